//! Verdicts per client through the binary, with the platforms' stores swapped
//! for test stores (`--platform-store`): a root that only one platform trusts,
//! and Apple's lifetime rule for public versus installed roots.

mod common;

use common::{mailtls, url_for, Pki};
use mailtls_testkit::{CertCase, Proto, ServerSpec, Transport};
use serde_json::Value;

/// `check` as JSON with extra arguments; no `--ca-file`, so the test root is
/// trusted only where a `--platform-store` puts it.
fn check(pki: &Pki, case: CertCase, extra: &[&str]) -> (i32, Value) {
    let server = pki.start(ServerSpec::new(Proto::Imap, Transport::ImplicitTls).cert(case));
    let url = url_for(&server, Proto::Imap, Transport::ImplicitTls);
    let mut args = vec![
        "check",
        &url,
        "--sni",
        "mail.test",
        "-f",
        "json",
        "--offline",
    ];
    args.extend_from_slice(extra);
    let run = mailtls(&args);
    (run.code, run.report())
}

fn outcome<'a>(report: &'a Value, id: &str) -> &'a str {
    report["clients"]
        .as_array()
        .expect("clients")
        .iter()
        .find(|c| c["id"] == id)
        .and_then(|c| c["outcome"].as_str())
        .unwrap_or_else(|| panic!("no client {id} in {:#}", report["clients"]))
}

#[test]
fn a_root_in_one_platform_store_only_lets_only_its_clients_in() {
    let pki = Pki::new();
    let root = pki.root.to_str().expect("UTF-8 path").to_owned();
    let apple = format!("apple={root}");
    let (code, report) = check(&pki, CertCase::Good, &["--platform-store", &apple]);
    assert_eq!(code, 2, "{:#}", report["findings"]);
    assert_eq!(
        outcome(&report, "apple"),
        "connects",
        "{:#}",
        report["clients"]
    );
    for (id, want) in [
        ("thunderbird", "warns"),
        ("android", "warns"),
        ("outlook", "warns"),
        ("gnutls", "cannot_connect"),
        ("openssl", "cannot_connect"),
        ("java", "cannot_connect"),
    ] {
        assert_eq!(outcome(&report, id), want, "{id}: {:#}", report["clients"]);
    }
    let headline = report["headline"].as_str().expect("headline");
    assert!(
        headline.contains("will warn") && headline.contains("Apple Mail connects"),
        "{headline}"
    );

    // A site whose users all use Apple Mail: no longer critical.
    let (code, report) = check(
        &pki,
        CertCase::Good,
        &["--platform-store", &apple, "--client", "apple"],
    );
    assert_eq!(code, 1, "{:#}", report["findings"]);
    assert_eq!(report["clients"].as_array().expect("clients").len(), 1);
}

#[test]
fn apple_refuses_a_500_day_leaf_from_a_public_root_but_not_from_an_installed_one() {
    let pki = Pki::new();
    let root = pki.root.to_str().expect("UTF-8 path").to_owned();
    let apple = format!("apple={root}");
    let (_, public) = check(&pki, CertCase::LongValidity, &["--platform-store", &apple]);
    assert_eq!(
        outcome(&public, "apple"),
        "warns",
        "{:#}",
        public["clients"]
    );
    let causes = public["clients"].to_string();
    assert!(causes.contains("at most 398"), "{causes}");

    let (_, private) = check(&pki, CertCase::LongValidity, &["--ca-file", &root]);
    assert_eq!(
        outcome(&private, "apple"),
        "connects",
        "{:#}",
        private["clients"]
    );
    assert_eq!(outcome(&private, "thunderbird"), "connects");
}

#[test]
fn a_platform_store_that_is_not_pem_is_a_plain_usage_error() {
    let pki = Pki::new();
    let server = pki.start(ServerSpec::new(Proto::Imap, Transport::ImplicitTls));
    let url = url_for(&server, Proto::Imap, Transport::ImplicitTls);
    let run = mailtls(&["check", &url, "--platform-store", "apple=/nonexistent.pem"]);
    assert_eq!(run.code, 3);
    assert!(run.stderr.contains("/nonexistent.pem"), "{}", run.stderr);
    let run = mailtls(&["check", &url, "--platform-store", "nokia=/x.pem"]);
    assert_eq!(run.code, 3);
    assert!(run.stderr.contains("apple, microsoft"), "{}", run.stderr);
}

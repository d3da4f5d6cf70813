//! Certificate-chain diagnosis through the real binary: every chain finding,
//! with its severity and the key words of its explanation.

mod common;

use common::{check_json, codes, finding, mailtls, url_for, Pki};
use mailtls_testkit::{CertCase, ClientAuth, HttpFile, Proto, ServerSpec, Transport, AIA_URL};
use rustls_pki_types::pem::PemObject;
use serde_json::Value;

/// Checks an IMAPS server presenting `case`; returns (exit code, report).
fn check_case(pki: &Pki, case: CertCase) -> (i32, Value) {
    let spec = ServerSpec::new(Proto::Imap, Transport::ImplicitTls).cert(case);
    let server = pki.start(spec);
    let run = check_json(
        pki,
        &url_for(&server, Proto::Imap, Transport::ImplicitTls),
        "5s",
        &[],
    );
    (run.code, run.report())
}

fn text(f: &Value) -> String {
    format!("{} {}", f["message"], f["fix"])
}

#[test]
fn incomplete_chain_names_the_missing_intermediate_and_where_to_get_it() {
    let pki = Pki::new();
    let (code, report) = check_case(&pki, CertCase::ChainIncomplete);
    assert_eq!(code, 2);
    assert_eq!(codes(&report)[0], "cert.chain_incomplete");
    let f = finding(&report, "cert.chain_incomplete");
    let words = text(&f);
    assert!(words.contains("mailtls Test Intermediate"), "{words}");
    assert!(words.contains(AIA_URL), "{words}");
    assert!(words.contains("only its own certificate"), "{words}");
    assert_eq!(
        report["facts"]["certificates"][0]["ca_issuers_urls"][0],
        AIA_URL
    );
}

#[test]
fn chain_shape_problems_are_named_but_a_working_chain_stays_usable() {
    let pki = Pki::new();
    // Verification builds the path in any order, so these are trusted; the shape
    // findings say what to tidy up.
    let cases = [
        (CertCase::WrongOrder, "cert.wrong_order", "info", 0),
        (CertCase::RootIncluded, "cert.root_included", "info", 0),
        (CertCase::Duplicate, "cert.duplicate", "info", 0),
    ];
    for (case, code, severity, exit) in cases {
        let (got, report) = check_case(&pki, case);
        assert_eq!(got, exit, "{case:?}: {:#}", report["findings"]);
        assert!(
            codes(&report).contains(&"cert.trusted".to_owned()),
            "{case:?}"
        );
        assert_eq!(finding(&report, code)["severity"], severity, "{case:?}");
    }
    let (_, report) = check_case(&pki, CertCase::WrongOrder);
    let fix = finding(&report, "cert.wrong_order")["fix"].to_string();
    // The fix spells out the right order: leaf, intermediate, root.
    let (leaf, inter, root) = (
        fix.find("'mail.test'").expect("leaf"),
        fix.find("'mailtls Test Intermediate'")
            .expect("intermediate"),
        fix.find("'mailtls Test Root'").expect("root"),
    );
    assert!(leaf < inter && inter < root, "{fix}");
}

#[test]
fn a_private_root_sent_by_the_server_is_named_with_the_client_side_fix() {
    let pki = Pki::new();
    let (code, report) = check_case(&pki, CertCase::PrivateRootSent);
    assert_eq!(code, 2);
    assert_eq!(codes(&report)[0], "cert.untrusted_root");
    let words = text(&finding(&report, "cert.untrusted_root"));
    assert!(
        words.contains("Unknown Test Root") && words.contains("private"),
        "{words}"
    );
    assert!(words.contains("Install the root certificate"), "{words}");
}

#[test]
fn weak_signatures_and_keys_are_critical() {
    let pki = Pki::new();
    let (code, report) = check_case(&pki, CertCase::Sha1Signature);
    assert_eq!(code, 2, "{:#}", report["findings"]);
    let words = text(&finding(&report, "cert.weak_signature"));
    assert!(
        words.contains("SHA-1") && words.contains("SHA-256"),
        "{words}"
    );
    assert_eq!(
        report["facts"]["certificates"][0]["weak_signature_hash"],
        "SHA-1"
    );

    let (code, report) = check_case(&pki, CertCase::WeakIntermediateKey);
    assert_eq!(code, 2, "{:#}", report["findings"]);
    let words = text(&finding(&report, "cert.weak_key"));
    assert!(
        words.contains("1024-bit") && words.contains("Weak Intermediate"),
        "{words}"
    );
}

#[test]
fn lifetime_staple_and_intermediate_expiry() {
    let pki = Pki::new();
    let (code, report) = check_case(&pki, CertCase::LongValidity);
    assert_eq!(code, 1);
    assert!(text(&finding(&report, "cert.validity_too_long")).contains("398"));

    let (code, report) = check_case(&pki, CertCase::MustStaple);
    assert_eq!(code, 2);
    assert_eq!(report["facts"]["certificates"][0]["must_staple"], true);
    assert_eq!(
        finding(&report, "cert.must_staple_not_stapled")["severity"],
        "critical"
    );

    for (days, severity, exit) in [(20, "warning", 1), (3, "critical", 2)] {
        let (code, report) = check_case(&pki, CertCase::IntermediateExpiresIn(days));
        assert_eq!(code, exit, "{days}: {:#}", report["findings"]);
        let f = finding(&report, "cert.expires_soon");
        assert_eq!(f["severity"], severity);
        assert!(text(&f).contains("intermediate"), "{f}");
    }
}

#[test]
fn trust_is_judged_per_store_side_by_side() {
    let pki = Pki::new();
    let (_, report) = check_case(&pki, CertCase::Good);
    let stores = report["facts"]["trust_by_store"]
        .as_array()
        .expect("stores");
    let verdict = |kind: &str| {
        stores
            .iter()
            .find(|s| s["store"] == kind)
            .unwrap_or_else(|| panic!("no {kind} in {stores:?}"))["trusted"]
            .clone()
    };
    assert_eq!(verdict("mozilla"), false);
    assert_eq!(verdict("ca_files"), true);
    let words = text(&finding(&report, "cert.trust_differs"));
    assert!(
        words.contains("Thunderbird") && words.contains("private"),
        "{words}"
    );
}

#[test]
fn client_certificates_requested_required_and_presented() {
    let pki = Pki::new();
    let spec = |auth| ServerSpec::new(Proto::Imap, Transport::ImplicitTls).client_auth(auth);
    let url =
        |server: &mailtls_testkit::TestServer| url_for(server, Proto::Imap, Transport::ImplicitTls);

    // Asked for, optional: the check goes on and lists the accepted authorities.
    let optional = pki.start(spec(ClientAuth::Optional));
    let run = check_json(&pki, &url(&optional), "5s", &[]);
    assert_eq!(run.code, 0, "{:#}", run.report()["findings"]);
    let words = text(&finding(&run.report(), "tls.client_cert_requested"));
    assert!(
        words.contains("mailtls Test Root") && words.contains("sent none"),
        "{words}"
    );

    // Required, none given: said plainly, and not mistaken for a network fault.
    let required = pki.start(spec(ClientAuth::Required));
    let run = check_json(&pki, &url(&required), "5s", &[]);
    assert_eq!(run.code, 3, "{:#}", run.report()["findings"]);
    let found = run.codes();
    assert_eq!(found[0], "tls.client_cert_required");
    assert!(!found.iter().any(|c| c.starts_with("net.")), "{found:?}");
    assert!(text(&finding(&run.report(), "tls.client_cert_required")).contains("--client-cert"));
    // In TLS 1.3 the refusal is an alert after the handshake, kept as a typed error.
    assert_eq!(
        run.report()["facts"]["stopped"]["error"]["tls_alert"]["alert"],
        "certificate_required",
        "{:#}",
        run.report()["facts"]["stopped"]
    );

    // Required, and presented: the check completes.
    let (cert, key) = pki.pki.write_client_identity(pki.dir.path(), "client.test");
    let (cert, key) = (cert.to_str().expect("path"), key.to_str().expect("path"));
    let run = check_json(
        &pki,
        &url(&required),
        "5s",
        &["--client-cert", cert, "--client-key", key],
    );
    assert_eq!(run.code, 0, "{:#}", run.report()["findings"]);
    let words = text(&finding(&run.report(), "tls.client_cert_requested"));
    assert!(words.contains("presented 'client.test'"), "{words}");

    // A key that does not belong to the certificate is a usage error.
    let other = tempfile::tempdir().expect("tempdir");
    let (_, wrong_key) = pki.pki.write_client_identity(other.path(), "other.test");
    let run = mailtls(&[
        "check",
        &url(&required),
        "--client-cert",
        cert,
        "--client-key",
        wrong_key.to_str().expect("path"),
    ]);
    assert_eq!(run.code, 3);
    assert!(run.stderr.contains("does not belong"), "{}", run.stderr);
}

#[test]
fn certs_prints_the_chain_as_pem_or_writes_files() {
    let pki = Pki::new();
    let server =
        pki.start(ServerSpec::new(Proto::Smtp, Transport::Starttls).cert(CertCase::RootIncluded));
    let url = url_for(&server, Proto::Smtp, Transport::Starttls);
    let run = mailtls(&["certs", &url, "--sni", "mail.test"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    // Exactly what was sent, in order, readable by PEM parsers.
    let sent: Vec<_> = rustls_pki_types::CertificateDer::pem_slice_iter(run.stdout.as_bytes())
        .collect::<Result<_, _>>()
        .expect("valid PEM");
    assert_eq!(sent.len(), 3);
    assert_eq!(sent[2], pki.pki.root_der());
    assert!(
        run.stdout.contains("# 0 subject: CN=mail.test"),
        "{}",
        run.stdout
    );

    let out = tempfile::tempdir().expect("tempdir");
    let dir = out.path().join("chain");
    let run = mailtls(&["certs", &url, "--out", dir.to_str().expect("path")]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .expect("dir")
        .map(|e| e.expect("entry").file_name().into_string().expect("utf-8"))
        .collect();
    files.sort();
    let port = server.port();
    assert_eq!(
        files,
        [0, 1, 2].map(|i| format!("127.0.0.1_{port}-{i}.pem"))
    );

    // No chain, no success.
    let silent = pki.start(
        ServerSpec::new(Proto::Imap, Transport::ImplicitTls)
            .misbehave(mailtls_testkit::Misbehaviour::TlsAlert),
    );
    let run = mailtls(&[
        "certs",
        &url_for(&silent, Proto::Imap, Transport::ImplicitTls),
    ]);
    assert_eq!(run.code, 3);
    assert!(run.stdout.contains("no certificates"), "{}", run.stdout);
}

#[test]
fn a_certificate_that_is_not_der_is_reported_not_fatal() {
    let pki = Pki::new();
    let (code, report) = check_case(&pki, CertCase::GarbageInChain);
    let f = finding(&report, "cert.unparsable");
    assert_eq!(f["severity"], "critical");
    assert!(text(&f).contains("Certificate 3"), "{f}");
    assert_eq!(code, 2);
    let certs = report["facts"]["certificates"].as_array().expect("certs");
    assert_eq!(certs.len(), 3);
    assert!(certs[2]["parse_error"].is_string());
    assert_eq!(
        certs[0]["subject"], "CN=mail.test",
        "the good ones are still shown"
    );
}

#[test]
fn the_missing_intermediate_is_downloaded_as_outlook_and_apple_do_unless_offline() {
    let pki = Pki::new();
    let aia = HttpFile::serve(pki.pki.intermediate_der().to_vec()).expect("http server");
    let spec = ServerSpec::new(Proto::Imap, Transport::ImplicitTls)
        .cert(CertCase::ChainIncompleteAt(aia.port()));
    let server = pki.start(spec);
    let url = url_for(&server, Proto::Imap, Transport::ImplicitTls);

    // Offline nothing is fetched, and the clients that would download it are
    // judged unknown.
    let run = check_json(&pki, &url, "5s", &["--offline"]);
    let report = run.report();
    assert!(report["facts"]["fetched_issuer"].is_null());
    let outlook = report["clients"]
        .as_array()
        .expect("clients")
        .iter()
        .find(|c| c["id"] == "outlook")
        .cloned()
        .expect("outlook");
    assert_eq!(outlook["outcome"], "unknown", "{outlook}");

    // By default mailtls downloads it once, as Outlook and Apple Mail do;
    // --fetch-missing still says so.
    for flags in [&[][..], &["--fetch-missing"][..]] {
        let run = check_json(&pki, &url, "5s", flags);
        assert_eq!(run.code, 2, "the server is still broken for mail clients");
        let fetched = &run.report()["facts"]["fetched_issuer"];
        assert_eq!(fetched["completes_chain"], true, "{fetched}");
        assert_eq!(
            fetched["certificate"]["subject"],
            "O=mailtls tests, CN=mailtls Test Intermediate"
        );
        let words = text(&finding(&run.report(), "cert.chain_incomplete"));
        assert!(words.contains("with it, the chain is trusted"), "{words}");
        let outlook = run.report()["clients"]
            .as_array()
            .expect("clients")
            .iter()
            .find(|c| c["id"] == "outlook")
            .cloned()
            .expect("outlook");
        assert_eq!(outlook["outcome"], "connects", "{outlook}");
    }

    // A URL that answers with something else is reported, not trusted.
    drop(aia);
    let junk = HttpFile::serve(b"<html>gone</html>".to_vec()).expect("http server");
    let spec = ServerSpec::new(Proto::Imap, Transport::ImplicitTls)
        .cert(CertCase::ChainIncompleteAt(junk.port()));
    let server = pki.start(spec);
    let url = url_for(&server, Proto::Imap, Transport::ImplicitTls);
    let run = check_json(&pki, &url, "5s", &["--fetch-missing"]);
    let words = text(&finding(&run.report(), "cert.chain_incomplete"));
    assert!(
        words.contains("failed") && words.contains("not a certificate"),
        "{words}"
    );
}

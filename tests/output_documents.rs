//! Exact-output tests of the `account` and `domain` human reports: every saved
//! document in `tests/reports/account/` and `tests/reports/domain/` is read
//! into its type, rendered by the library's renderer (the function the binary
//! prints with, its styles stripped as `--color never` strips them) and
//! compared, byte for byte, with the expected file next to it. See
//! tests/reports/README.md.
//!
//! - `account/NAME.json`: what `mailtls account ... -f json` printed (an
//!   `AccountsDocument`); `account/NAME.human` is `render_accounts` of it.
//! - `domain/NAME.json`: what `mailtls domain ... -f json` printed (a
//!   `DomainDocument`); `domain/NAME.human` is `render_domain` of it.
//!
//! Each saved document must also read back and write out as the very same
//! JSON: the types keep every fact the binary wrote.
//!
//! `MAILTLS_BLESS=1 cargo test --test output_documents` rewrites the expected
//! renderings; `MAILTLS_REGENERATE=1 cargo test --test output_documents --
//! --ignored` makes the saved documents afresh (dnsmasq, NSD and ldnsutils,
//! the test kit's mail and web servers on loopback, run as root).

mod common;

use std::path::{Path, PathBuf};

use common::every_source::{EverySource, Options, ARGS, ILL_FORMED};
use common::golden::{run_mailtls, unified_diff, Golden};
use common::nsd::{smtp_at, spki_sha256, Nsd, Zone};
use common::Pki;
use mailtls::report::account::AccountsDocument;
use mailtls::report::domain::DomainDocument;
use mailtls_testkit::web::{Reply, WebServer};
use mailtls_testkit::CertCase;

/// One kind of saved document: its directory under tests/reports, and how a
/// saved one is read, written out again and rendered.
struct Kind {
    dir: &'static str,
    /// The saved text read into the document's type and serialized again as
    /// the binary serializes it (`-f json`).
    round_trip: fn(&str) -> Result<String, String>,
    /// The human rendering, styled as the renderer returns it.
    render: fn(&str) -> Result<String, String>,
}

const ACCOUNT: Kind = Kind {
    dir: "account",
    round_trip: |text| {
        let doc: AccountsDocument = serde_json::from_str(text).map_err(|e| e.to_string())?;
        Ok(mailtls::output::json_document(&doc))
    },
    render: |text| {
        let doc: AccountsDocument = serde_json::from_str(text).map_err(|e| e.to_string())?;
        Ok(mailtls::output::render_accounts(&doc.accounts))
    },
};

const DOMAIN: Kind = Kind {
    dir: "domain",
    round_trip: |text| {
        let doc: DomainDocument = serde_json::from_str(text).map_err(|e| e.to_string())?;
        Ok(mailtls::output::json_document(&doc))
    },
    render: |text| {
        let doc: DomainDocument = serde_json::from_str(text).map_err(|e| e.to_string())?;
        Ok(mailtls::output::render_domain(&doc))
    },
};

fn dir_of(kind: &Kind) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/reports")
        .join(kind.dir)
}

/// The saved documents of a kind: every `NAME.json` in its directory, by name.
fn saved(kind: &Kind) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir_of(kind))
        .unwrap_or_else(|e| panic!("tests/reports/{}: {e}", kind.dir))
        .map(|entry| entry.expect("directory entry").file_name())
        .filter_map(|name| name.to_str()?.strip_suffix(".json").map(str::to_owned))
        .collect();
    names.sort();
    assert!(
        !names.is_empty(),
        "no saved documents in tests/reports/{}",
        kind.dir
    );
    names
}

/// The text as `mailtls --color never` writes it: the renderer's styles
/// stripped by the same adapter the binary's output stream uses.
fn plain(styled: &str) -> String {
    anstream::adapter::strip_str(styled).to_string()
}

/// What in a styled rendering is neither text nor one of the renderer's own
/// styles (SGR sequences, `ESC [ digits and semicolons m`): outside text is
/// shown escaped, so a raw control character is a leak.
fn unescaped(styled: &str) -> Option<String> {
    let mut chars = styled.chars().peekable();
    while let Some(c) = chars.next() {
        if c == '\u{1b}' {
            let mut sequence = String::from("\\x1b");
            if chars.next_if_eq(&'[').is_some() {
                sequence.push('[');
                while let Some(p) = chars.next_if(|p| p.is_ascii_digit() || *p == ';') {
                    sequence.push(p);
                }
                if chars.next_if_eq(&'m').is_some() {
                    continue;
                }
            }
            return Some(format!(
                "the rendering holds an escape sequence that is no style: {sequence}…"
            ));
        }
        if c.is_control() && c != '\n' {
            return Some(format!(
                "the rendering holds the control character {c:?} unescaped"
            ));
        }
    }
    None
}

/// Renders every saved document of a kind and compares (or, blessing,
/// rewrites) its expected rendering; fails once, with every difference.
fn check_renderings(kind: &Kind) {
    let mut golden = Golden::new("output_documents");
    let names = saved(kind);
    for name in &names {
        let shown = format!("tests/reports/{}/{name}", kind.dir);
        let text = std::fs::read_to_string(dir_of(kind).join(format!("{name}.json")))
            .unwrap_or_else(|e| panic!("{shown}.json: {e}"));
        let styled = match (kind.render)(&text) {
            Ok(styled) => styled,
            Err(e) => {
                golden.fail(format!("{shown}.json does not read into its type: {e}"));
                continue;
            }
        };
        if let Some(why) = unescaped(&styled) {
            golden.fail(format!("{shown}: {why}"));
        }
        golden.compare(
            &dir_of(kind).join(format!("{name}.human")),
            &format!("{shown}.human"),
            &plain(&styled),
            "the renderer",
            &format!("the rendering of {shown}.json"),
            |_| Ok(()),
        );
    }
    golden.finish(names.len());
}

/// Every saved document reads into its type and writes out as it was saved.
/// Blessing never changes a saved document: a difference is a fact the types
/// lose or change (a bug), or a change of the documents' shape (then
/// regenerate them).
fn check_round_trips(kind: &Kind) {
    let mut failures = Vec::new();
    for name in saved(kind) {
        let shown = format!("tests/reports/{}/{name}.json", kind.dir);
        let text = std::fs::read_to_string(dir_of(kind).join(format!("{name}.json")))
            .unwrap_or_else(|e| panic!("{shown}: {e}"));
        match (kind.round_trip)(&text) {
            Ok(again) if again == text => {}
            Ok(again) => failures.push(format!(
                "{shown} reads back and writes out otherwise:\n{}",
                unified_diff(&text, &again, &shown)
            )),
            Err(e) => failures.push(format!("{shown} does not read into its type: {e}")),
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}

/// Every file in a kind's directory is a saved document or its rendering.
fn check_files(kind: &Kind) {
    let names = saved(kind);
    for entry in std::fs::read_dir(dir_of(kind)).expect("directory") {
        let file = entry.expect("entry").file_name();
        let file = file.to_str().expect("UTF-8 file name").to_owned();
        if file.starts_with('.') || file.ends_with(".json") {
            continue;
        }
        let name = file.strip_suffix(".human").unwrap_or_else(|| {
            panic!(
                "tests/reports/{}/{file}: not an expected output of the tests",
                kind.dir
            )
        });
        assert!(
            names.iter().any(|n| n == name),
            "tests/reports/{}/{file}: there is no {name}.json",
            kind.dir
        );
    }
}

#[test]
fn account_reports_are_exactly_as_expected() {
    check_renderings(&ACCOUNT);
}

#[test]
fn domain_reports_are_exactly_as_expected() {
    check_renderings(&DOMAIN);
}

#[test]
fn saved_account_documents_round_trip() {
    check_round_trips(&ACCOUNT);
}

#[test]
fn saved_domain_documents_round_trip() {
    check_round_trips(&DOMAIN);
}

#[test]
fn only_styles_count_as_escape_sequences() {
    assert_eq!(
        unescaped("\u{1b}[1mbold\u{1b}[0m \u{1b}[38;5;2mx\u{1b}[0m\n"),
        None
    );
    assert!(unescaped("a\u{1b}[2Jb").is_some());
    assert!(unescaped("a\u{1b}]0;title\u{7}").is_some());
    assert!(unescaped("a\rb").is_some());
    assert_eq!(unescaped("shown \\x1b[2J as text"), None);
}

#[test]
fn every_file_belongs_to_a_saved_document() {
    check_files(&ACCOUNT);
    check_files(&DOMAIN);
}

// ---------------------------------------------------------------------------
// Making the saved documents: the real binary in the scenarios of
// tests/account_http.rs and tests/domain.rs.

/// The private root, trusted with `--ca-file` as a company root would be.
const ROOT_FILE: &str = "mailtls-test-root.pem";
/// The test DNS root's key-signing key, given as `--trust-anchor`.
const ANCHOR_FILE: &str = "mailtls-test-dnssec-root.key";

/// Writes the saved documents: with `MAILTLS_REGENERATE=1` into
/// tests/reports/account/ and tests/reports/domain/, otherwise into a
/// temporary directory (to try the generator out). Skipped, as the
/// integration tests are, when dnsmasq or NSD is missing and CI is unset.
#[test]
#[ignore = "makes the saved documents afresh: MAILTLS_REGENERATE=1 cargo test --test output_documents -- --ignored"]
fn regenerate_document_fixtures() {
    let regenerate = std::env::var_os("MAILTLS_REGENERATE").is_some_and(|v| v == "1");
    let scratch = tempfile::tempdir().expect("tempdir");
    let out = |kind: &Kind| {
        let dir = match regenerate {
            true => dir_of(kind),
            false => scratch.path().join(kind.dir),
        };
        std::fs::create_dir_all(&dir).expect("documents directory");
        dir
    };
    let written = [
        account_every_source(&out(&ACCOUNT)),
        domain_dane_and_mta_sts(&out(&DOMAIN)),
    ];
    for path in written.iter().flatten() {
        eprintln!("wrote {}", path.display());
    }
    if regenerate {
        eprintln!(
            "Now bless the expected renderings: MAILTLS_BLESS=1 cargo test --test output_documents"
        );
    }
}

/// Checks that the document the binary wrote reads back (with unknown fields
/// denied) and round-trips, and that its rendering is what the binary printed
/// in a second run of the same command in human form (`human`): the tests'
/// rendering is the command's. Then saves it as `NAME.json`.
fn save(kind: &Kind, dir: &Path, name: &str, text: &str, human: &str) -> PathBuf {
    let again = (kind.round_trip)(text)
        .unwrap_or_else(|e| panic!("{name}: the binary wrote no {} document ({e})", kind.dir));
    assert_eq!(again, text, "{name}: the document does not round-trip");
    let rendered = plain(&(kind.render)(text).expect("renders"));
    assert!(
        rendered == human,
        "{name}: the rendering of the JSON run differs from what the human run printed \
         (a renderer that reads more than the document, or a scenario that does not \
         repeat):\n{}",
        unified_diff(human, &rendered, name)
    );
    let path = dir.join(format!("{name}.json"));
    std::fs::write(&path, text).expect("write the document");
    path
}

/// The scenario of tests/account_http.rs's
/// `every_source_is_read_and_every_disagreement_flagged`
/// (tests/common/every_source.rs), on 127.0.160.0/24, with a broken server
/// and a broken document more: SRV for IMAPS; autoconfig over plain HTTP only
/// (STARTTLS for IMAP where SSL/TLS works, SMTPS); the well-known autoconfig
/// URL serving XML that is not well formed and carries an escape sequence in
/// a tag name (which the parser's message quotes); ISPDB naming an old
/// hoster's server where nothing answers; the MX host's base domain's
/// autoconfig agreeing; Autodiscover only by the plain-HTTP redirect to
/// another domain; and the SMTPS server's certificate expired, so that the
/// outgoing setting has a caveat. `None` (skipped) without dnsmasq.
fn account_every_source(out: &Path) -> Option<PathBuf> {
    let pki = Pki::new();
    let options = Options {
        well_known: Some(ILL_FORMED),
        smtps_cert: CertCase::Expired,
        ..Options::on(160)
    };
    let scenario = EverySource::start(&pki, options)?;
    let work = tempfile::tempdir().expect("tempdir");
    std::fs::copy(&pki.root, work.path().join(ROOT_FILE)).expect("copy the root");

    let server = scenario.dns_server();
    let args = [
        &["account"][..],
        &ARGS,
        &["--dns-server", &server, "--ca-file", ROOT_FILE],
    ]
    .concat();
    let (text, code) = run_mailtls(work.path(), &[&args[..], &["-f", "json"]].concat(), None);
    let doc: AccountsDocument = serde_json::from_str(&text).expect("an accounts document");
    assert_eq!(i32::from(doc.exit_code), code);
    assert_eq!(
        code, 2,
        "the expired SMTPS certificate is critical:\n{text}"
    );
    let account = &doc.accounts[0];
    assert!(
        !account.discovery.timed_out,
        "discovery ran out of time:\n{text}"
    );
    let mut codes: Vec<String> = account
        .findings
        .iter()
        .map(|f| f.code.to_string())
        .collect();
    codes.sort();
    assert_eq!(
        codes,
        [
            "account.autodiscover_other_domain",
            "account.config_over_http",
            "account.config_over_http",
            // The ill-formed document at the well-known URL.
            "account.config_unreadable",
            "account.endpoint_unreachable",
            "account.sources_disagree",
            "account.starttls_where_tls_works",
        ],
        "{text}"
    );
    let (human, _) = run_mailtls(
        work.path(),
        &[&args[..], &["--color", "never"]].concat(),
        None,
    );
    Some(save(&ACCOUNT, out, "every_source", &text, &human))
}

/// The scenario of tests/domain.rs's
/// `an_enforced_policy_that_misses_an_mx_and_dane_per_mx`, on 127.0.161.x: a
/// signed zone with two MX hosts, the first with a TLSA record matching its
/// key (DANE authenticated), the second with one matching another key; an
/// enforced MTA-STS policy that lists only the first; and a TLS-RPT record
/// whose address ends in an escape sequence (clear screen), which the
/// rendering must show escaped. `None` (skipped) without NSD or ldnsutils.
fn domain_dane_and_mta_sts(out: &Path) -> Option<PathBuf> {
    let pki = Pki::new();
    let mx1 = smtp_at(&pki, "mx1.sts.test", "127.0.161.11");
    let _mx2 = smtp_at(&pki, "mx2.sts.test", "127.0.161.12");
    let other = spki_sha256(&pki.pki.server_cert(CertCase::Good, "mx2.sts.test").chain[0]);
    let _policy = WebServer::start(
        "127.0.161.13:443".parse().expect("address"),
        Some(pki.pki.server_cert(CertCase::Good, "mta-sts.sts.test")),
        vec![(
            "/.well-known/mta-sts.txt",
            Reply::Document {
                content_type: "text/plain",
                body: b"version: STSv1\r\nmode: enforce\r\nmx: mx1.sts.test\r\nmax_age: 604800\r\n"
                    .to_vec(),
            },
        )],
    )
    .expect("policy server on port 443 (run as root)");
    let nsd = Nsd::start(&[Zone::signed(
        "sts.test",
        &[
            "@ IN MX 10 mx1.sts.test.".to_owned(),
            "@ IN MX 20 mx2.sts.test.".to_owned(),
            "mx1 IN A 127.0.161.11".to_owned(),
            "mx2 IN A 127.0.161.12".to_owned(),
            "mta-sts IN A 127.0.161.13".to_owned(),
            format!(
                "_25._tcp.mx1 IN TLSA 3 1 1 {}",
                spki_sha256(&mx1.chain()[0])
            ),
            format!("_25._tcp.mx2 IN TLSA 3 1 1 {other}"),
            "_mta-sts IN TXT \"v=STSv1; id=2026a\"".to_owned(),
            // \027 is ESC in a zone file.
            "_smtp._tls IN TXT \"v=TLSRPTv1; rua=mailto:tls@sts.test\\027[2J\"".to_owned(),
        ],
    )])?;
    let work = tempfile::tempdir().expect("tempdir");
    std::fs::copy(&pki.root, work.path().join(ROOT_FILE)).expect("copy the root");
    std::fs::copy(nsd.anchor(), work.path().join(ANCHOR_FILE)).expect("copy the anchor");
    let server = nsd.server();
    let args = [
        "domain",
        "sts.test",
        "--dns-server",
        &server,
        "--trust-anchor",
        ANCHOR_FILE,
        "--ca-file",
        ROOT_FILE,
        "--timeout",
        "15s",
    ];
    let (text, code) = run_mailtls(work.path(), &[&args[..], &["-f", "json"]].concat(), None);
    let doc: DomainDocument = serde_json::from_str(&text).expect("a domain document");
    assert_eq!(i32::from(doc.exit_code), code);
    assert_eq!(doc.domain.mx.dnssec.name(), "secure", "{text}");
    let mx_codes = |i: usize| -> Vec<String> {
        doc.mx[i].reports[0]
            .findings
            .iter()
            .map(|f| f.code.to_string())
            .collect()
    };
    assert!(
        mx_codes(0).contains(&"dane.authenticated".to_owned()),
        "{text}"
    );
    assert!(mx_codes(1).contains(&"dane.no_match".to_owned()), "{text}");
    let codes: Vec<String> = doc.findings.iter().map(|f| f.code.to_string()).collect();
    assert_eq!(
        codes,
        // The ESC in the reporting address makes it no URI (RFC 8460).
        ["mtasts.mx_not_listed", "tlsrpt.invalid"],
        "{text}"
    );
    assert_eq!(code, 2, "{text}");
    let (human, _) = run_mailtls(
        work.path(),
        &[&args[..], &["--color", "never"]].concat(),
        None,
    );
    Some(save(&DOMAIN, out, "dane_and_mta_sts", &text, &human))
}

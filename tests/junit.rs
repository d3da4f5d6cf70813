//! `--format junit`: the XML is read back with a JUnit reader (quick-xml) and
//! its test cases, failures and errors compared with the verdicts.

mod common;

use std::path::Path;

use common::{mailtls, mailtls_with_input, url_for, Pki};
use mailtls_testkit::{CertCase, Proto, ServerSpec, Transport};
use quick_xml::events::{BytesStart, Event};
use quick_xml::Reader;
use serde_json::Value;

/// A `<testcase>` as a CI system reads it.
#[derive(Debug, Default)]
struct Case {
    name: String,
    classname: String,
    /// `failure` or `error`, with its message, type and body.
    outcome: Option<Outcome>,
}

#[derive(Debug, Default)]
struct Outcome {
    element: String,
    message: String,
    kind: String,
    body: String,
}

/// The suite's counters and its cases.
#[derive(Debug, Default)]
struct Suite {
    name: String,
    tests: usize,
    failures: usize,
    errors: usize,
    cases: Vec<Case>,
}

fn attribute(element: &BytesStart<'_>, name: &str) -> String {
    element
        .try_get_attribute(name)
        .expect("well-formed attribute")
        .map(|a| {
            a.normalized_value(quick_xml::XmlVersion::Explicit1_0)
                .expect("attribute value")
                .into_owned()
        })
        .unwrap_or_default()
}

/// Reads a JUnit document; panics on anything that is not well-formed.
fn read_junit(xml: &str) -> Suite {
    // XML 1.0 forbids these characters anywhere in a document.
    assert!(
        !xml.chars()
            .any(|c| (c as u32) < 0x20 && !matches!(c, '\t' | '\n' | '\r')),
        "forbidden character in:\n{xml}"
    );
    let mut reader = Reader::from_str(xml);
    let mut suite = Suite::default();
    let mut suites = 0;
    let mut in_outcome = false;
    loop {
        let event = reader.read_event().expect("well-formed XML");
        match event {
            Event::Start(e) | Event::Empty(e) => match e.name().as_ref() {
                b"testsuite" => {
                    suites += 1;
                    suite.name = attribute(&e, "name");
                    suite.tests = attribute(&e, "tests").parse().expect("tests");
                    suite.failures = attribute(&e, "failures").parse().expect("failures");
                    suite.errors = attribute(&e, "errors").parse().expect("errors");
                }
                b"testcase" => suite.cases.push(Case {
                    name: attribute(&e, "name"),
                    classname: attribute(&e, "classname"),
                    outcome: None,
                }),
                element @ (b"failure" | b"error") => {
                    let case = suite.cases.last_mut().expect("inside a testcase");
                    assert!(case.outcome.is_none(), "two outcomes in {}", case.name);
                    case.outcome = Some(Outcome {
                        element: String::from_utf8_lossy(element).into_owned(),
                        message: attribute(&e, "message"),
                        kind: attribute(&e, "type"),
                        body: String::new(),
                    });
                    in_outcome = true;
                }
                _ => {}
            },
            Event::End(e) => {
                if matches!(e.name().as_ref(), b"failure" | b"error") {
                    in_outcome = false;
                }
            }
            Event::Text(text) if in_outcome => {
                let text = text.decode().expect("UTF-8 text");
                let body = &mut last_outcome(&mut suite).body;
                body.push_str(&quick_xml::escape::unescape(&text).expect("text"));
            }
            Event::GeneralRef(reference) if in_outcome => {
                let name = reference.decode().expect("UTF-8 reference");
                let resolved = quick_xml::escape::unescape(&format!("&{name};"))
                    .expect("a known entity")
                    .into_owned();
                last_outcome(&mut suite).body.push_str(&resolved);
            }
            Event::Eof => break,
            _ => {}
        }
    }
    assert_eq!(suites, 1, "one test suite");
    suite
}

fn last_outcome(suite: &mut Suite) -> &mut Outcome {
    suite
        .cases
        .last_mut()
        .and_then(|c| c.outcome.as_mut())
        .expect("inside a failure or error")
}

#[test]
fn one_case_per_target_failure_for_critical_error_for_could_not_check() {
    let pki = Pki::new();
    let good = pki.start(ServerSpec::new(Proto::Imap, Transport::ImplicitTls));
    let expired =
        pki.start(ServerSpec::new(Proto::Smtp, Transport::Starttls).cert(CertCase::Expired));
    let closed = mailtls_testkit::real::free_ports(1).expect("a free port")[0];
    let good_url = url_for(&good, Proto::Imap, Transport::ImplicitTls);
    let expired_url = url_for(&expired, Proto::Smtp, Transport::Starttls);
    let closed_url = format!("pop3s://127.0.0.1:{closed}");
    let root = pki.root.to_str().expect("utf-8 path");
    let run = mailtls(&[
        "check",
        &good_url,
        &expired_url,
        &closed_url,
        "--sni",
        "mail.test",
        "--ca-file",
        root,
        "--timeout",
        "5s",
        "-f",
        "junit",
        "--quiet",
    ]);
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert!(run.stderr.is_empty(), "--quiet: {}", run.stderr);
    let suite = read_junit(&run.stdout);
    assert_eq!(suite.name, "mailtls");
    assert_eq!(
        (suite.tests, suite.failures, suite.errors),
        (3, 1, 1),
        "{suite:#?}"
    );
    let names: Vec<&str> = suite.cases.iter().map(|c| c.name.as_str()).collect();
    assert_eq!(names, [&good_url, &expired_url, &closed_url]);
    let classes: Vec<&str> = suite.cases.iter().map(|c| c.classname.as_str()).collect();
    assert_eq!(classes, ["imap/implicit", "smtp/starttls", "pop3/implicit"]);

    assert!(suite.cases[0].outcome.is_none(), "{:#?}", suite.cases[0]);

    let failure = suite.cases[1].outcome.as_ref().expect("a failure");
    assert_eq!(failure.element, "failure");
    assert_eq!(failure.kind, "critical");
    assert!(
        failure
            .message
            .starts_with("Mail clients will say the server's certificate could not be verified."),
        "{}",
        failure.message
    );
    assert!(
        failure
            .body
            .lines()
            .any(|l| l.starts_with("critical cert.expired: ")),
        "{}",
        failure.body
    );

    let error = suite.cases[2].outcome.as_ref().expect("an error");
    assert_eq!(error.element, "error");
    assert_eq!(error.kind, "unknown");
    assert!(error.message.starts_with("Could not check."), "{error:?}");
    assert!(
        error.body.contains("net.connection_refused"),
        "{}",
        error.body
    );
}

#[test]
fn a_warning_is_a_failure_of_type_warning() {
    let pki = Pki::new();
    let soon = pki
        .start(ServerSpec::new(Proto::Imap, Transport::ImplicitTls).cert(CertCase::ExpiresIn(20)));
    let url = url_for(&soon, Proto::Imap, Transport::ImplicitTls);
    let root = pki.root.to_str().expect("utf-8 path");
    let run = mailtls(&[
        "check",
        &url,
        "--sni",
        "mail.test",
        "--ca-file",
        root,
        "-f",
        "junit",
    ]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    let suite = read_junit(&run.stdout);
    let failure = suite.cases[0].outcome.as_ref().expect("a failure");
    assert_eq!(
        (failure.element.as_str(), failure.kind.as_str()),
        ("failure", "warning")
    );
    assert!(
        failure.body.contains("warning cert.expires_soon: "),
        "{}",
        failure.body
    );
}

#[test]
fn server_and_input_text_cannot_break_the_document() {
    // Lines of a targets file that are not targets, with markup and control characters.
    let input = "imap\u{1b}]0;pwned\u{7}://x:1\n<testcase name=\"forged\"/>&amp;\n";
    let run = mailtls_with_input(&["check", "-", "-f", "junit", "--quiet"], Some(input));
    assert_eq!(run.code, 3, "{}", run.stderr);
    let suite = read_junit(&run.stdout);
    assert_eq!(suite.cases.len(), 2, "{suite:#?}");
    assert_eq!(suite.cases[0].name, "imap\\x1b]0;pwned\\x07://x:1");
    assert_eq!(suite.cases[1].name, "<testcase name=\"forged\"/>&amp;");
    assert!(suite.cases.iter().all(|c| c.classname == "input"));
    assert_eq!(suite.errors, 2);
}

#[test]
fn explain_writes_junit_for_every_saved_report() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/reports");
    let mut checked = 0;
    for entry in std::fs::read_dir(&dir).expect("tests/reports") {
        let path = entry.expect("entry").path();
        if path.extension().is_none_or(|e| e != "json") {
            continue;
        }
        let saved: Value =
            serde_json::from_str(&std::fs::read_to_string(&path).expect("read")).expect("JSON");
        let reports = saved["reports"].as_array().expect("reports");
        let run = mailtls(&["explain", path.to_str().expect("utf-8"), "-f", "junit"]);
        let suite = read_junit(&run.stdout);
        assert_eq!(suite.cases.len(), reports.len(), "{}", path.display());
        for (case, report) in suite.cases.iter().zip(reports) {
            assert_eq!(case.name, report["input"].as_str().expect("input"));
            let expected = match report["verdict"].as_str().expect("verdict") {
                "ok" | "info" => None,
                "warning" => Some(("failure", "warning")),
                "critical" => Some(("failure", "critical")),
                _ => Some(("error", "unknown")),
            };
            let got = case
                .outcome
                .as_ref()
                .map(|o| (o.element.as_str(), o.kind.as_str()));
            assert_eq!(got, expected, "{}: {}", path.display(), case.name);
            if let Some(outcome) = &case.outcome {
                assert_eq!(
                    outcome.message,
                    report["headline"].as_str().expect("headline")
                );
                let lines = outcome.body.lines().count();
                assert_eq!(
                    lines,
                    report["findings"].as_array().expect("findings").len()
                );
            }
        }
        checked += 1;
    }
    assert!(checked >= 12, "{checked} saved reports");
}

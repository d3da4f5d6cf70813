//! Exact-output tests of the renderers: every saved report in `tests/reports/`
//! is rendered by `mailtls explain` in each format and compared, byte for byte,
//! with the expected file next to it. See tests/reports/README.md.
//!
//! - `NAME.json` is the saved report (from `mailtls check -f json`). It is also
//!   the expected output of `mailtls explain NAME.json -f json`: judging saved
//!   facts again and writing them out must give the same document.
//! - `NAME.human`, `NAME.nagios`: `-f human` and `-f nagios`.
//! - `NAME.transcript.human`: `-f human --transcript`, for a few of them.
//!
//! `MAILTLS_BLESS=1 cargo test --test output` rewrites the expected files from
//! what the renderers print now; review the change with `git diff`.
//! `MAILTLS_REGENERATE=1 cargo test --test output -- --ignored` makes the saved
//! reports afresh from the test kit's servers.

mod common;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::Duration;

use assert_cmd::Command;
use common::golden::{run_mailtls, unified_diff, Golden};
use mailtls::report::Document;
use mailtls_testkit::{
    CertCase, ClientAuth, LegacyServer, Misbehaviour, Proto, Quirks, RobotOracle, ServerSpec,
    TestPki, TestServer, Transport,
};
use serde_json::Value;

/// The fixtures that are also rendered with `--transcript`.
const TRANSCRIPTS: &[&str] = &["good_submission", "auth_before_tls"];

fn reports_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/reports")
}

/// The saved reports: every `NAME.json` in tests/reports (not in its
/// subdirectories, which hold the other commands' documents), by name.
fn fixtures() -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(reports_dir())
        .expect("tests/reports")
        .map(|entry| entry.expect("directory entry").file_name())
        .filter_map(|name| name.to_str()?.strip_suffix(".json").map(str::to_owned))
        .collect();
    names.sort();
    assert!(
        names.len() >= 12,
        "the saved reports are missing from tests/reports: {names:?}"
    );
    names
}

/// A format as explain is asked for it, and the suffix of its expected files.
struct Rendering {
    suffix: &'static str,
    args: &'static [&'static str],
}

const HUMAN: Rendering = Rendering {
    suffix: "human",
    args: &["-f", "human"],
};
const NAGIOS: Rendering = Rendering {
    suffix: "nagios",
    args: &["-f", "nagios"],
};
const JSON: Rendering = Rendering {
    suffix: "json",
    args: &["-f", "json"],
};
const TRANSCRIPT: Rendering = Rendering {
    suffix: "transcript.human",
    args: &["-f", "human", "--transcript"],
};

/// `mailtls explain tests/reports/NAME.json ARGS --color never`: stdout and exit code.
fn explain(name: &str, args: &[&str]) -> (String, i32) {
    let output = Command::cargo_bin("mailtls")
        .expect("binary")
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .arg("explain")
        .arg(format!("tests/reports/{name}.json"))
        .args(args)
        .args(["--color", "never"])
        .env("NO_COLOR", "1")
        .timeout(Duration::from_secs(60))
        .output()
        .expect("run mailtls explain");
    let stdout = String::from_utf8(output.stdout).unwrap_or_else(|e| {
        panic!("explain {name} {args:?}: stdout is not UTF-8 ({e})");
    });
    assert!(
        !stdout.is_empty(),
        "explain {name} {args:?} printed nothing; stderr: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    (stdout, output.status.code().unwrap_or(-1))
}

/// The exit code the saved report's summary records.
fn saved_exit_code(name: &str) -> i32 {
    let text = std::fs::read_to_string(reports_dir().join(format!("{name}.json")))
        .expect("read the saved report");
    let document: Value = serde_json::from_str(&text).expect("the saved report is JSON");
    document["summary"]["exit_code"]
        .as_i64()
        .and_then(|c| i32::try_from(c).ok())
        .unwrap_or_else(|| panic!("{name}.json has no summary.exit_code"))
}

/// Renders every listed fixture and compares (or, blessing, rewrites) the
/// expected files; fails once, with every difference.
fn check_renderings(rendering: &Rendering, names: &[String]) {
    let mut golden = Golden::new("output");
    for name in names {
        let (actual, code) = explain(name, rendering.args);
        let expected_code = saved_exit_code(name);
        // Blessing the JSON rendering rewrites the saved summary too.
        if code != expected_code && !golden.blessing() {
            golden.fail(format!(
                "{name} ({}): explain exited with {code}, the saved summary.exit_code is {expected_code}",
                rendering.suffix
            ));
        }
        if rendering.suffix.ends_with("human") && actual.contains('\u{1b}') {
            golden.fail(format!(
                "{name} ({}): --color never (and NO_COLOR) still printed escape sequences",
                rendering.suffix
            ));
        }
        golden.compare(
            &reports_dir().join(format!("{name}.{}", rendering.suffix)),
            &format!("tests/reports/{name}.{}", rendering.suffix),
            &actual,
            "explain",
            &format!(
                "`mailtls explain tests/reports/{name}.json {} --color never`",
                rendering.args.join(" ")
            ),
            |expected| may_bless(rendering, expected, &actual),
        );
    }
    golden.finish(names.len());
}

/// The JSON rendering of a saved report is the saved report itself: blessing
/// it may change the judgement (findings, headlines, summary), never the facts,
/// which only regenerating changes.
fn may_bless(rendering: &Rendering, expected: Option<&str>, actual: &str) -> Result<(), String> {
    if rendering.suffix != JSON.suffix {
        return Ok(());
    }
    let facts = |text: &str| -> Result<Vec<Value>, String> {
        let document: Value = serde_json::from_str(text).map_err(|e| format!("not JSON ({e})"))?;
        Ok(document["reports"]
            .as_array()
            .ok_or("no reports")?
            .iter()
            .map(|r| r["facts"].clone())
            .collect())
    };
    let before = facts(expected.ok_or("the saved report is missing; regenerate it")?)?;
    let after = facts(actual)?;
    if before.len() != after.len() || !before.iter().zip(&after).all(|(b, a)| keeps(a, b)) {
        return Err(
            "explain wrote other facts than it read: a bug in reading or writing \
                    facts, or a change of their shape (then regenerate the saved reports)"
                .to_owned(),
        );
    }
    Ok(())
}

/// Whether `new` keeps every saved fact of `old` as it was (new fields may be added).
fn keeps(new: &Value, old: &Value) -> bool {
    match (new, old) {
        (Value::Object(new), Value::Object(old)) => old
            .iter()
            .all(|(key, value)| new.get(key).is_some_and(|n| keeps(n, value))),
        (Value::Array(new), Value::Array(old)) => {
            new.len() == old.len() && new.iter().zip(old).all(|(n, o)| keeps(n, o))
        }
        _ => new == old,
    }
}

#[test]
fn human_reports_are_exactly_as_expected() {
    check_renderings(&HUMAN, &fixtures());
}

#[test]
fn nagios_lines_are_exactly_as_expected() {
    check_renderings(&NAGIOS, &fixtures());
}

/// Judging the saved facts again and writing them out gives the saved report.
#[test]
fn json_documents_are_exactly_as_saved() {
    check_renderings(&JSON, &fixtures());
}

#[test]
fn transcripts_are_exactly_as_expected() {
    let names: Vec<String> = TRANSCRIPTS.iter().map(|n| (*n).to_owned()).collect();
    let all = fixtures();
    for name in &names {
        assert!(all.contains(name), "no saved report {name}.json");
    }
    check_renderings(&TRANSCRIPT, &names);
}

#[test]
fn every_expected_file_belongs_to_a_saved_report() {
    let names = fixtures();
    for entry in std::fs::read_dir(reports_dir()).expect("tests/reports") {
        let entry = entry.expect("entry");
        // account/ and domain/: the other commands' documents (tests/output_documents.rs).
        if entry.file_type().expect("file type").is_dir() {
            continue;
        }
        let file = entry.file_name();
        let file = file.to_str().expect("UTF-8 file name");
        if file == "README.md" || file.starts_with('.') || file.ends_with(".json") {
            continue;
        }
        let (name, suffix) = file.split_once('.').expect("NAME.SUFFIX");
        assert!(
            names.iter().any(|n| n == name),
            "{file}: there is no {name}.json"
        );
        let expected_suffix = suffix == HUMAN.suffix
            || suffix == NAGIOS.suffix
            || (suffix == TRANSCRIPT.suffix && TRANSCRIPTS.contains(&name));
        assert!(
            expected_suffix,
            "{file}: not an expected output of the tests"
        );
    }
}

/// The expected files are plain even without NO_COLOR: `--color never`, and
/// standard output is a pipe.
#[test]
fn piped_output_with_color_never_is_plain_without_no_color() {
    let output = Command::cargo_bin("mailtls")
        .expect("binary")
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .args(["explain", "tests/reports/expired.json", "--color", "never"])
        .env_remove("NO_COLOR")
        .timeout(Duration::from_secs(60))
        .output()
        .expect("run mailtls explain");
    let plain = String::from_utf8_lossy(&output.stdout);
    assert!(
        plain.contains("cert.expired") && !plain.contains('\u{1b}'),
        "{plain}"
    );
}

#[test]
fn blessing_may_add_facts_but_not_change_or_drop_them() {
    let old = serde_json::json!({"a": 1, "b": [{"c": null}]});
    assert!(keeps(&old, &old));
    assert!(keeps(
        &serde_json::json!({"a": 1, "b": [{"c": null, "d": 2}], "e": null}),
        &old
    ));
    assert!(!keeps(
        &serde_json::json!({"a": 2, "b": [{"c": null}]}),
        &old
    ));
    assert!(!keeps(&serde_json::json!({"b": [{"c": null}]}), &old));
    assert!(!keeps(&serde_json::json!({"a": 1, "b": []}), &old));
}

#[test]
fn the_diff_shows_changed_lines_with_context() {
    let expected = "a\nb\nc\nd\ne\nf\ng\nh\ni\nj\n";
    let actual = "a\nb\nc\nd\nE\nf\ng\nh\ni\nj\nk\n";
    let diff = unified_diff(expected, actual, "x");
    assert_eq!(
        diff,
        "--- x (expected)\n+++ x (actual)\n@@ -2,9 +2,10 @@\n b\n c\n d\n-e\n+E\n f\n g\n h\n i\n j\n+k\n"
    );
    assert!(unified_diff("same\n", "same", "x").contains("no newline at the end"));
    assert!(unified_diff("tab\n", "tab\u{1b}[1m\n", "x").contains("+tab\\u{1b}[1m"));
}

// ---------------------------------------------------------------------------
// Making the saved reports: the real binary against the test kit's servers.

/// What answers at a target of a saved report.
enum Server {
    /// The test kit's rustls server.
    Kit(ServerSpec),
    /// The test kit's hand-made TLS 1.2 emulation (testkit/src/legacy.rs) with
    /// an RSA certificate for mail.test under the test root; it speaks TLS
    /// from the first byte (only for implicit-TLS schemes) and never finishes
    /// a handshake, so rustls's own fails and the probe reads the rest.
    Legacy(Quirks),
    /// Nothing: the port is closed.
    Nothing,
}

/// One target of a saved report.
struct Target {
    scheme: &'static str,
    /// The port the saved report shows instead of the server's ephemeral one.
    port: u16,
    server: Server,
}

fn serve(scheme: &'static str, port: u16, spec: ServerSpec) -> Target {
    Target {
        scheme,
        port,
        server: Server::Kit(spec),
    }
}

/// One saved report: its name, targets and extra `check` options.
struct Case {
    name: &'static str,
    targets: Vec<Target>,
    extra: &'static [&'static str],
}

fn cases() -> Vec<Case> {
    use Proto::*;
    use Transport::*;
    let case = |name, targets, extra| Case {
        name,
        targets,
        extra,
    };
    let good = |proto, transport| ServerSpec::new(proto, transport);
    vec![
        case(
            "good_imaps",
            vec![serve("imaps", 993, good(Imap, ImplicitTls))],
            &[],
        ),
        case(
            "good_submission",
            vec![serve("submission", 587, good(Smtp, Starttls))],
            &[],
        ),
        case(
            "expired",
            vec![serve(
                "imaps",
                993,
                good(Imap, ImplicitTls).cert(CertCase::Expired),
            )],
            &[],
        ),
        case(
            "name_mismatch",
            vec![serve(
                "pop3s",
                995,
                good(Pop3, ImplicitTls).cert(CertCase::WrongName),
            )],
            &[],
        ),
        case(
            "self_signed",
            vec![serve(
                "sieve",
                4190,
                good(Sieve, Starttls).cert(CertCase::SelfSigned),
            )],
            &[],
        ),
        case(
            "chain_incomplete",
            vec![serve(
                "smtps",
                465,
                good(Smtp, ImplicitTls).cert(CertCase::ChainIncomplete),
            )],
            &[],
        ),
        case(
            "private_root_sent",
            vec![serve(
                "imaps",
                993,
                good(Imap, ImplicitTls).cert(CertCase::PrivateRootSent),
            )],
            &[],
        ),
        case(
            "wrong_order",
            vec![serve(
                "pop3+starttls",
                110,
                good(Pop3, Starttls).cert(CertCase::WrongOrder),
            )],
            &[],
        ),
        case(
            "starttls_not_offered",
            vec![serve(
                "imap+starttls",
                143,
                good(Imap, Starttls).misbehave(Misbehaviour::NoStarttls),
            )],
            &[],
        ),
        case(
            "auth_before_tls",
            vec![serve(
                "imap+starttls",
                143,
                good(Imap, Starttls).misbehave(Misbehaviour::AuthBeforeTls),
            )],
            &[],
        ),
        case(
            "connection_refused",
            vec![Target {
                scheme: "imaps",
                port: 993,
                server: Server::Nothing,
            }],
            &[],
        ),
        case(
            "tls_on_starttls_port",
            vec![serve("submission", 587, good(Smtp, ImplicitTls))],
            &[],
        ),
        case(
            "probe",
            vec![serve("imaps", 993, good(Imap, ImplicitTls))],
            &["--probe", "--probe-concurrency", "2"],
        ),
        case(
            "probe_robot",
            vec![Target {
                scheme: "imaps",
                port: 993,
                server: Server::Legacy(Quirks {
                    robot: Some(RobotOracle::Strong),
                    ..Quirks::default()
                }),
            }],
            &["--probe", "--probe-concurrency", "2"],
        ),
        case(
            "client_cert_requested",
            vec![serve(
                "imaps",
                993,
                good(Imap, ImplicitTls).client_auth(ClientAuth::Optional),
            )],
            &[],
        ),
        case(
            "batch",
            vec![
                serve("imaps", 993, good(Imap, ImplicitTls)),
                serve(
                    "pop3s",
                    995,
                    good(Pop3, ImplicitTls).cert(CertCase::ExpiresIn(20)),
                ),
                serve(
                    "submission",
                    587,
                    good(Smtp, Starttls).cert(CertCase::Expired),
                ),
            ],
            &[],
        ),
    ]
}

/// The name every target is checked as; `--resolve` sends it to 127.0.0.1.
const HOST: &str = "mail.test";
/// The private root, trusted with `--ca-file` as a company root would be.
const ROOT_FILE: &str = "mailtls-test-root.pem";

/// Writes the saved reports: with `MAILTLS_REGENERATE=1` into tests/reports,
/// otherwise into a temporary directory (to try the generator out).
#[test]
#[ignore = "makes the saved reports afresh: MAILTLS_REGENERATE=1 cargo test --test output -- --ignored"]
fn regenerate_report_fixtures() {
    let pki = TestPki::new();
    let work = tempfile::tempdir().expect("tempdir");
    std::fs::write(work.path().join(ROOT_FILE), pki.root_pem()).expect("write the root");
    let regenerate = std::env::var_os("MAILTLS_REGENERATE").is_some_and(|v| v == "1");
    let out = if regenerate {
        reports_dir()
    } else {
        work.path().join("reports")
    };
    std::fs::create_dir_all(&out).expect("reports directory");
    // MAILTLS_REGENERATE_ONLY=NAME,NAME: only these (to add a report without
    // changing every other).
    let only: Option<Vec<String>> = std::env::var("MAILTLS_REGENERATE_ONLY")
        .ok()
        .filter(|v| !v.is_empty())
        .map(|v| v.split(',').map(|n| n.trim().to_owned()).collect());
    let cases: Vec<Case> = cases()
        .into_iter()
        .filter(|c| only.as_ref().is_none_or(|o| o.iter().any(|n| n == c.name)))
        .collect();
    if let Some(only) = &only {
        assert_eq!(
            cases.len(),
            only.len(),
            "MAILTLS_REGENERATE_ONLY names a report cases() does not make: {only:?}"
        );
    }
    for case in cases {
        let text = generate(&case, &pki, work.path());
        std::fs::write(out.join(format!("{}.json", case.name)), text).expect("write report");
        eprintln!(
            "wrote {}",
            out.join(format!("{}.json", case.name)).display()
        );
    }
    if regenerate {
        eprintln!("Now bless the expected outputs: MAILTLS_BLESS=1 cargo test --test output");
    }
}

/// A port nothing listens on (bound, then closed again).
fn closed_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("a free port")
        .port()
}

/// Runs `mailtls check` for one case and returns the saved report, with the
/// ephemeral ports and the durations made fixed, judged again by `explain`.
fn generate(case: &Case, pki: &TestPki, work: &Path) -> String {
    let mut servers: Vec<TestServer> = Vec::new();
    let mut legacy_servers: Vec<LegacyServer> = Vec::new();
    let mut ports = BTreeMap::new();
    let mut args: Vec<String> = vec!["check".into()];
    for target in &case.targets {
        let port = match &target.server {
            Server::Kit(spec) => {
                let server = TestServer::start(spec.clone(), pki);
                let port = server.port();
                servers.push(server);
                port
            }
            Server::Legacy(quirks) => {
                let cert = pki.rsa_server_cert(HOST);
                let server = LegacyServer::start_with_key(quirks.clone(), cert.chain, &cert.key)
                    .expect("the TLS 1.2 emulation starts");
                let port = server.addr().port();
                legacy_servers.push(server);
                port
            }
            Server::Nothing => closed_port(),
        };
        ports.insert(port, target.port);
        args.push(format!("{}://{HOST}:{port}", target.scheme));
    }
    args.extend(
        [
            "--resolve",
            "mail.test:127.0.0.1",
            "--ca-file",
            ROOT_FILE,
            "--timeout",
            "5s",
            "--quiet",
            "-f",
            "json",
        ]
        .map(str::to_owned),
    );
    args.extend(case.extra.iter().map(|a| (*a).to_owned()));
    let (checked, _) = run_mailtls(work, &args, None);
    drop(servers);
    drop(legacy_servers);

    let mut document: Value = serde_json::from_str(&checked)
        .unwrap_or_else(|e| panic!("{}: check printed no JSON ({e}):\n{checked}", case.name));
    fix_durations(&mut document);
    let mut text = serde_json::to_string(&document).expect("serialize");
    for (&from, &to) in &ports {
        text = replace_port(&text, from, to);
    }
    // Judged again from the fixed facts (the ports appear in messages), by the
    // very command the tests run.
    let (saved, code) = run_mailtls(work, &["explain", "-", "-f", "json"], Some(text));
    let document: Document = serde_json::from_str(&saved)
        .unwrap_or_else(|e| panic!("{}: explain gave no report ({e}):\n{saved}", case.name));
    assert_eq!(i32::from(document.summary.exit_code), code, "{}", case.name);
    assert_eq!(document.reports.len(), case.targets.len(), "{}", case.name);
    for &port in ports.keys() {
        assert!(
            !saved.contains(&format!(":{port}")) && !saved.contains(&format!(": {port}")),
            "{}: the ephemeral port {port} is still in the report:\n{saved}",
            case.name
        );
    }
    saved
}

/// Durations differ from run to run: each check is said to take 20 ms more
/// than the one before (so the slowest are listed in a fixed order), every
/// handshake 4 ms and every probe 250 ms.
fn fix_durations(document: &mut Value) {
    let Some(reports) = document["reports"].as_array_mut() else {
        return;
    };
    for (i, report) in reports.iter_mut().enumerate() {
        let facts = &mut report["facts"];
        if facts.is_null() {
            continue;
        }
        facts["duration_ms"] = Value::from(20 + 20 * i as u64);
        if facts["tls"]["handshake_ms"].is_u64() {
            facts["tls"]["handshake_ms"] = Value::from(4);
        }
        for phase in ["greeting_ms", "dns_ms", "connect_ms"] {
            if facts[phase].is_u64() {
                facts[phase] = Value::from(1);
            }
        }
        if facts["probe"].is_object() {
            facts["probe"]["duration_ms"] = Value::from(250);
        }
    }
}

/// `PORT` as written after a colon (`host:PORT`, `"port":PORT`), replaced.
fn replace_port(text: &str, from: u16, to: u16) -> String {
    let needle = format!(":{from}");
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(at) = rest.find(&needle) {
        let after = &rest[at + needle.len()..];
        out.push_str(&rest[..at]);
        if after.starts_with(|c: char| c.is_ascii_digit()) {
            out.push_str(&needle);
        } else {
            out.push_str(&format!(":{to}"));
        }
        rest = after;
    }
    out.push_str(rest);
    out
}

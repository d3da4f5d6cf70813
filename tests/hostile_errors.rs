//! mailtls speaks plain words on every error path: each kind of command-line
//! error, and the findings about peers that break TLS in odd ways, are checked
//! through the binary for Rust identifiers (`KeyMismatch`, `Other(…)`), the
//! wording of the libraries underneath ("no items found", "timeout: global")
//! and causes said twice ("… (os error 2): … (os error 2)").

mod common;
mod hostile_common;

use std::net::{Ipv4Addr, TcpListener};
use std::path::Path;
use std::time::Duration;

use common::{url_for, Pki};
use hostile_common::{not_plain_words, run, Terminal};
use mailtls_testkit::{
    CertCase, HttpBehaviour, HttpScript, Misbehaviour, Proto, ServerSpec, Transport,
};
use serde_json::Value;

/// A loopback port nothing listens on (bound, then released).
fn closed_port() -> String {
    let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).expect("bind");
    let port = listener.local_addr().expect("address").port();
    drop(listener);
    format!("imaps://127.0.0.1:{port}")
}

fn text(path: &Path) -> String {
    path.to_str().expect("UTF-8 path").to_owned()
}

#[test]
fn command_line_errors_are_one_plain_sentence() {
    let pki = Pki::new();
    let dir = pki.dir.path();
    let target = closed_port();
    let (cert, key) = pki.pki.write_client_identity(dir, "client.test");
    let other = tempfile::tempdir().expect("tempdir");
    let (_, other_key) = pki.pki.write_client_identity(other.path(), "other.test");
    let missing = dir.join("missing.pem");
    let corrupt = dir.join("corrupt.pem");
    std::fs::write(
        &corrupt,
        "-----BEGIN CERTIFICATE-----\nMIIB!!!!not-base64\n-----END CERTIFICATE-----\n",
    )
    .expect("write");
    let junk = dir.join("junk.pem");
    std::fs::write(&junk, "this is not PEM\n").expect("write");
    let empty = dir.join("empty.txt");
    std::fs::write(&empty, "# nothing to check\n").expect("write");
    let existing_file = dir.join("a-file");
    std::fs::write(&existing_file, "x").expect("write");
    let other_dir = text(other.path());
    let (cert, key, other_key, missing, corrupt, junk, empty, existing_file, dir_text) = (
        text(&cert),
        text(&key),
        text(&other_key),
        text(&missing),
        text(&corrupt),
        text(&junk),
        text(&empty),
        text(&existing_file),
        text(dir),
    );
    let cases: Vec<(&str, Vec<&str>)> = vec![
        (
            "a CA file that does not exist",
            vec!["check", &target, "--ca-file", &missing],
        ),
        (
            "a CA file that is a directory (unreadable)",
            vec!["check", &target, "--ca-file", &dir_text],
        ),
        (
            "a CA file that is not PEM",
            vec!["check", &target, "--ca-file", &junk],
        ),
        (
            "a CA file with corrupt base64",
            vec!["check", &target, "--ca-file", &corrupt],
        ),
        (
            "a client key file that holds a certificate",
            vec![
                "check",
                &target,
                "--client-cert",
                &cert,
                "--client-key",
                &cert,
            ],
        ),
        (
            "a client key that belongs to another certificate",
            vec![
                "check",
                &target,
                "--client-cert",
                &cert,
                "--client-key",
                &other_key,
            ],
        ),
        (
            "a client key file with corrupt base64",
            vec![
                "check",
                &target,
                "--client-cert",
                &cert,
                "--client-key",
                &corrupt,
            ],
        ),
        (
            "a client certificate file that does not exist",
            vec![
                "check",
                &target,
                "--client-cert",
                &missing,
                "--client-key",
                &key,
            ],
        ),
        (
            "a client certificate file with corrupt base64",
            vec![
                "check",
                &target,
                "--client-cert",
                &corrupt,
                "--client-key",
                &key,
            ],
        ),
        (
            "a client certificate file that holds only a key",
            vec![
                "check",
                &target,
                "--client-cert",
                &key,
                "--client-key",
                &key,
            ],
        ),
        ("a bad --sni", vec!["check", &target, "--sni", "bad!name"]),
        (
            "--crit-days above --warn-days",
            vec!["check", &target, "--warn-days", "5", "--crit-days", "9"],
        ),
        ("a bad target", vec!["check", "bad host:993"]),
        (
            "a targets file that does not exist",
            vec!["check", "--targets-file", &missing],
        ),
        (
            "a targets file that is a directory (unreadable)",
            vec!["check", "--targets-file", &dir_text],
        ),
        (
            "a targets file without targets",
            vec!["check", "--targets-file", &empty],
        ),
        (
            "certs --out naming a file",
            vec!["certs", &target, "--out", &existing_file],
        ),
    ];
    let mut bad = Vec::new();
    for (what, args) in &cases {
        let out = run(Terminal::PipedNoColor, args);
        let stderr = out.stderr.trim_end();
        if out.code != 3 {
            bad.push(format!("{what}: exit code {} (expected 3)", out.code));
        }
        if stderr.lines().count() != 1 || !stderr.starts_with("mailtls: ") {
            bad.push(format!("{what}: not one line: {stderr:?}"));
        }
        let why = not_plain_words(stderr, &[&dir_text, &other_dir]);
        if !why.is_empty() {
            bad.push(format!("{what}: {stderr:?}: {}", why.join("; ")));
        }
    }
    // Writing the report fails (a full disk).
    let full = std::process::Command::new(hostile_common::mailtls_path())
        .args(["check", &target])
        .env("NO_COLOR", "1")
        .stdout(std::fs::File::create("/dev/full").expect("/dev/full"))
        .output()
        .expect("run mailtls");
    let stderr = String::from_utf8_lossy(&full.stderr).trim_end().to_owned();
    let why = not_plain_words(&stderr, &[]);
    if stderr.lines().count() != 1 || !why.is_empty() {
        bad.push(format!(
            "a full disk for the report: {stderr:?}: {}",
            why.join("; ")
        ));
    }
    assert!(
        bad.is_empty(),
        "{} of {} error paths do not speak plain words:\n{}",
        bad.len(),
        cases.len() + 1,
        bad.join("\n")
    );
}

/// Every sentence of a report meant for a person: findings, fixes, the headline
/// and where the check stopped.
fn sentences(report: &Value) -> Vec<String> {
    let mut out = vec![report["headline"].as_str().unwrap_or_default().to_owned()];
    for f in report["findings"].as_array().expect("findings") {
        for key in ["message", "fix"] {
            if let Some(text) = f[key].as_str() {
                out.push(text.to_owned());
            }
        }
    }
    if let Some(stop) = report["facts"]["stopped"]["message"].as_str() {
        out.push(stop.to_owned());
    }
    out
}

#[test]
fn findings_about_broken_peers_are_plain_words() {
    let pki = Pki::new();
    let root = pki.root.to_str().expect("UTF-8 path").to_owned();
    let silent_ca = HttpScript::serve(HttpBehaviour::Silent).expect("http server");
    let implicit =
        |m: Misbehaviour| ServerSpec::new(Proto::Imap, Transport::ImplicitTls).misbehave(m);
    let cases: Vec<(&str, ServerSpec, Vec<&str>)> = vec![
        (
            "a TLS 1.0-only server",
            implicit(Misbehaviour::Tls10ServerHello),
            vec![],
        ),
        (
            "an oversized handshake message",
            implicit(Misbehaviour::OversizedHandshake),
            vec![],
        ),
        (
            "garbage instead of TLS",
            implicit(Misbehaviour::GarbageTls),
            vec![],
        ),
        ("a TLS alert", implicit(Misbehaviour::TlsAlert), vec![]),
        (
            "a truncated handshake",
            implicit(Misbehaviour::TruncatedHandshake),
            vec![],
        ),
        (
            "a close during the handshake",
            implicit(Misbehaviour::CloseDuringHandshake),
            vec![],
        ),
        (
            "a reset right after accept",
            implicit(Misbehaviour::ResetOnAccept),
            vec![],
        ),
        (
            "a chain longer than its path length allows",
            ServerSpec::new(Proto::Imap, Transport::ImplicitTls).cert(CertCase::PathLenExceeded),
            vec![],
        ),
        (
            "an AIA download that never answers (--fetch-missing)",
            ServerSpec::new(Proto::Imap, Transport::ImplicitTls)
                .cert(CertCase::ChainIncompleteAt(silent_ca.port())),
            vec!["--fetch-missing"],
        ),
    ];
    let mut bad = Vec::new();
    for (what, spec, extra) in cases {
        let server = pki.start(spec);
        let url = url_for(&server, Proto::Imap, Transport::ImplicitTls);
        let mut args = vec![
            "check",
            &url,
            "--sni",
            "mail.test",
            "--ca-file",
            &root,
            "-f",
            "json",
            "--timeout",
            "2s",
        ];
        args.extend(extra);
        let out = hostile_common::run_with(Terminal::PipedNoColor, &args, Duration::from_secs(30));
        let report = out.json()["reports"][0].clone();
        for sentence in sentences(&report) {
            let why = not_plain_words(&sentence, &[&root]);
            if !why.is_empty() {
                bad.push(format!("{what}: {sentence:?}: {}", why.join("; ")));
            }
        }
    }
    assert!(
        bad.is_empty(),
        "{} sentences about broken peers do not speak plain words:\n{}",
        bad.len(),
        bad.join("\n")
    );
}

//! Hostile peers against the renderers: nothing a server (or a targets file)
//! sends may rewrite the user's terminal, forge monitoring output or plant
//! certificates in PEM output, and odd inputs and dates must be judged right.
//!
//! Server text carries every control it could use (ESC sequences, BEL, CR, BS,
//! NUL, DEL, C1, a right-to-left override, `|`, line breaks, bytes that are not
//! UTF-8), each framed by `<field>` tags naming where it came from (see
//! `mailtls_testkit::hostile`). Human output must show it escaped (`\x1b`,
//! `\u{202e}`) whether it goes to a terminal or a pipe; nagios output stays one
//! line per target; PEM comments never break a line; JSON keeps the exact text.

mod common;
mod hostile_common;

use std::io::Write as _;
use std::path::Path;

use common::{url_for, Pki};
use hostile_common::{
    assert_escaped, assert_nagios, assert_pem_holds_exactly, raw_controls, run, Terminal,
};
use mailtls_testkit::hostile::{ascii_payload, name_payload, payload};
use mailtls_testkit::{
    CertCase, ClientAuth, HostileCert, HttpBehaviour, HttpScript, Misbehaviour, Proto, ServerSpec,
    TestServer, Transport,
};
use serde_json::Value;

const HOSTILE_CERTS: [HostileCert; 3] = [
    HostileCert::Names,
    HostileCert::SelfSigned,
    HostileCert::MissingIssuer,
];

/// Every kind of hostile server, each with a target URL for it.
struct HostileServers {
    servers: Vec<(TestServer, String, &'static str)>,
}

impl HostileServers {
    fn start(pki: &Pki) -> HostileServers {
        let mut specs: Vec<(ServerSpec, &'static str)> = Vec::new();
        for proto in [Proto::Imap, Proto::Pop3, Proto::Smtp, Proto::Sieve] {
            specs.push((
                ServerSpec::new(proto, Transport::Starttls).misbehave(Misbehaviour::InjectText),
                "greeting and capabilities, STARTTLS",
            ));
        }
        specs.push((
            ServerSpec::new(Proto::Imap, Transport::ImplicitTls)
                .misbehave(Misbehaviour::InjectText),
            "greeting and capabilities, SSL/TLS",
        ));
        for case in HOSTILE_CERTS {
            specs.push((
                ServerSpec::new(Proto::Imap, Transport::ImplicitTls).cert(CertCase::Hostile(case)),
                "certificate names",
            ));
        }
        specs.push((
            ServerSpec::new(Proto::Imap, Transport::ImplicitTls)
                .client_auth(ClientAuth::OptionalHostileNames),
            "CA names of a client-certificate request",
        ));
        let servers = specs
            .into_iter()
            .map(|(spec, what)| {
                let (proto, transport) = (spec.proto, spec.transport);
                let server = pki.start(spec);
                let url = url_for(&server, proto, transport);
                (server, url, what)
            })
            .collect();
        HostileServers { servers }
    }
}

/// Writes `lines` (raw bytes each) to `name` in `dir`, one per line.
fn targets_file(dir: &Path, name: &str, lines: &[&[u8]]) -> String {
    let path = dir.join(name);
    let mut file = std::fs::File::create(&path).expect("create targets file");
    for line in lines {
        file.write_all(line).expect("write");
        file.write_all(b"\n").expect("write");
    }
    path.to_str().expect("UTF-8 path").to_owned()
}

fn root(pki: &Pki) -> &str {
    pki.root.to_str().expect("UTF-8 path")
}

/// One run over every hostile server and a hostile line that is not a target,
/// with `--transcript`, rendered for a person.
fn human_output_of_every_hostile_field(terminal: Terminal) -> String {
    let pki = Pki::new();
    let hostile = HostileServers::start(&pki);
    let invalid = payload("target");
    let mut lines: Vec<&[u8]> = hostile
        .servers
        .iter()
        .map(|(_, url, _)| url.as_bytes())
        .collect();
    lines.push(invalid.as_bytes());
    let file = targets_file(pki.dir.path(), "targets.txt", &lines);
    let out = run(
        terminal,
        &[
            "check",
            "--targets-file",
            &file,
            "--sni",
            "mail.test",
            "--ca-file",
            root(&pki),
            "--timeout",
            "5s",
            "--transcript",
            "--quiet",
        ],
    );
    let text = String::from_utf8(out.stdout.clone()).expect("human output is UTF-8");
    assert_eq!(
        text.matches("  IMAP with ").count()
            + text.matches("  POP3 with ").count()
            + text.matches("  SMTP with ").count()
            + text.matches("  ManageSieve with ").count(),
        hostile.servers.len(),
        "one report per server:\n{text}"
    );
    // Every field is shown (escaped), not dropped.
    for field in [
        "greeting", "cap", "cn", "san", "san2", "issuer", "aia", "self", "target",
    ] {
        assert!(
            text.contains(&format!("<{field}>")),
            "{terminal:?}: the field <{field}> is not shown at all:\n{text}"
        );
    }
    text
}

#[test]
fn server_text_reaches_a_pipe_escaped() {
    let text = human_output_of_every_hostile_field(Terminal::Piped);
    assert_escaped(&text, "piped");
}

#[test]
fn server_text_reaches_a_pipe_escaped_with_no_color() {
    let text = human_output_of_every_hostile_field(Terminal::PipedNoColor);
    assert_escaped(&text, "piped with NO_COLOR");
}

#[test]
fn server_text_reaches_a_terminal_escaped() {
    let text = human_output_of_every_hostile_field(Terminal::Pty);
    // The binary did see a terminal: its own colours are on.
    assert!(
        text.contains("\x1b[1m") || text.contains("\x1b[31m"),
        "mailtls's own colours are off, so this is not the terminal path:\n{text:?}"
    );
    assert_escaped(&text, "on a terminal");
}

#[test]
fn nagios_output_stays_one_line_per_target() {
    let pki = Pki::new();
    let hostile = HostileServers::start(&pki);
    for (_, url, what) in &hostile.servers {
        let out = run(
            Terminal::PipedNoColor,
            &[
                "check",
                url,
                "--sni",
                "mail.test",
                "--ca-file",
                root(&pki),
                "-f",
                "nagios",
            ],
        );
        assert_nagios(&out.text(), 1, &format!("one target, {what}"));
    }
    // Several targets: the status line, then one line per target, one of them
    // a hostile line that is not a target.
    let invalid = payload("target");
    let (_, cert_url, _) = hostile
        .servers
        .iter()
        .find(|(_, _, what)| *what == "certificate names")
        .expect("a certificate server");
    let file = targets_file(
        pki.dir.path(),
        "targets.txt",
        &[cert_url.as_bytes(), invalid.as_bytes()],
    );
    let out = run(
        Terminal::PipedNoColor,
        &[
            "check",
            "--targets-file",
            &file,
            "--sni",
            "mail.test",
            "--ca-file",
            root(&pki),
            "-f",
            "nagios",
        ],
    );
    assert_nagios(
        &out.text(),
        2,
        "two targets, certificate names and a hostile line",
    );
}

#[test]
fn pem_comments_cannot_plant_certificates() {
    let pki = Pki::new();
    for case in [HostileCert::Names, HostileCert::SelfSigned] {
        let server = pki.start(
            ServerSpec::new(Proto::Imap, Transport::ImplicitTls).cert(CertCase::Hostile(case)),
        );
        let url = url_for(&server, Proto::Imap, Transport::ImplicitTls);
        let out = run(
            Terminal::PipedNoColor,
            &["certs", &url, "--sni", "mail.test"],
        );
        assert_eq!(out.code, 0, "{case:?}: {}", out.stderr);
        assert_pem_holds_exactly(&out.text(), server.chain(), &format!("{case:?}, stdout"));

        let dir = tempfile::tempdir().expect("tempdir");
        let dir_text = dir.path().to_str().expect("UTF-8 path");
        let out = run(
            Terminal::PipedNoColor,
            &["certs", &url, "--sni", "mail.test", "--out", dir_text],
        );
        assert_eq!(out.code, 0, "{case:?}: {}", out.stderr);
        let mut files: Vec<_> = std::fs::read_dir(dir.path())
            .expect("read --out dir")
            .map(|e| e.expect("entry").path())
            .collect();
        files.sort();
        assert_eq!(files.len(), server.chain().len(), "{case:?}: {files:?}");
        for (i, file) in files.iter().enumerate() {
            let text = std::fs::read_to_string(file).expect("read PEM file");
            assert_pem_holds_exactly(
                &text,
                &server.chain()[i..=i],
                &format!("{case:?}, {}", file.display()),
            );
        }
        // What --out says it wrote: one line per file, escaped.
        let said = out.text();
        assert_eq!(
            said.lines().count(),
            files.len(),
            "{case:?}: one line per file written:\n{said}"
        );
        let raw = raw_controls(&said);
        assert!(raw.is_empty(), "{case:?}, --out summary: {raw:#?}");
    }
}

#[test]
fn json_keeps_the_exact_text() {
    let pki = Pki::new();
    let text_server = pki.start(
        ServerSpec::new(Proto::Imap, Transport::Starttls).misbehave(Misbehaviour::InjectText),
    );
    let cert_server = pki.start(
        ServerSpec::new(Proto::Imap, Transport::ImplicitTls)
            .cert(CertCase::Hostile(HostileCert::Names)),
    );
    let run_json = |url: &str| {
        let out = run(
            Terminal::PipedNoColor,
            &[
                "check",
                url,
                "--sni",
                "mail.test",
                "--ca-file",
                root(&pki),
                "-f",
                "json",
            ],
        );
        out.json()["reports"][0].clone()
    };
    let report = run_json(&url_for(&text_server, Proto::Imap, Transport::Starttls));
    let greeting = report["facts"]["dialogue"]["greeting"]
        .as_str()
        .expect("greeting");
    // The text up to the byte that is not UTF-8, exactly as sent.
    let sent = payload("greeting");
    let exact = sent.strip_suffix("</greeting>").expect("framed");
    assert!(
        greeting.contains(exact),
        "the JSON greeting is not the server's text: {greeting:?}"
    );
    let caps: Vec<&str> = report["facts"]["dialogue"]["capabilities_before_tls"]
        .as_array()
        .expect("capabilities")
        .iter()
        .filter_map(Value::as_str)
        .collect();
    assert!(
        caps.iter().any(|c| c.contains("\x1b]0;PWNED\x07")),
        "{caps:?}"
    );

    let report = run_json(&url_for(&cert_server, Proto::Imap, Transport::ImplicitTls));
    let leaf = &report["facts"]["certificates"][0];
    let subject = leaf["subject"].as_str().expect("subject");
    assert!(subject.contains(&name_payload("cn")), "{subject:?}");
    assert!(
        subject.contains("\n-----BEGIN CERTIFICATE-----\n"),
        "{subject:?}"
    );
    assert_eq!(
        leaf["names"],
        serde_json::json!([ascii_payload("san"), "evil.test", ascii_payload("san2")])
    );
    assert_eq!(
        leaf["ca_issuers_urls"][0],
        format!("http://127.0.0.1:9/{}.der", ascii_payload("aia"))
    );
    let issuer = leaf["issuer"].as_str().expect("issuer");
    assert!(issuer.contains(&name_payload("issuer")), "{issuer:?}");
}

/// `--color always` colours a pipe; `--color never` keeps a terminal plain.
#[test]
fn color_always_and_never_are_obeyed() {
    let pki = Pki::new();
    let server = pki.start(ServerSpec::new(Proto::Imap, Transport::ImplicitTls));
    let url = url_for(&server, Proto::Imap, Transport::ImplicitTls);
    let coloured = |terminal: Terminal, color: &str| {
        let out = run(
            terminal,
            &[
                "check",
                &url,
                "--sni",
                "mail.test",
                "--ca-file",
                root(&pki),
                "--color",
                color,
            ],
        );
        assert_eq!(out.code, 0, "{terminal:?} --color {color}: {}", out.stderr);
        out.text().contains('\x1b')
    };
    // What auto does, so that the two below test the flag and not the set-up.
    assert!(coloured(Terminal::Pty, "auto"), "auto colours a terminal");
    assert!(
        !coloured(Terminal::Piped, "auto"),
        "auto keeps a pipe plain"
    );
    let mut ignored = Vec::new();
    if !coloured(Terminal::Piped, "always") {
        ignored.push("--color always on a pipe gives no colour");
    }
    if coloured(Terminal::Pty, "never") {
        ignored.push("--color never on a terminal still colours");
    }
    assert!(ignored.is_empty(), "{}", ignored.join("; "));
}

/// `check --targets-file F -f json` or `check - -f json` with `input` on
/// standard input: the reports.
fn reports_for_targets(pki: &Pki, targets: &[u8], via_stdin: bool) -> (i32, Vec<Value>, String) {
    let path = pki.dir.path().join("targets.txt");
    std::fs::write(&path, targets).expect("write targets file");
    let mut cmd = assert_cmd::Command::cargo_bin("mailtls").expect("binary");
    cmd.env("NO_COLOR", "1")
        .args(["check", "-f", "json", "--quiet", "--timeout", "5s"])
        .args(["--sni", "mail.test", "--ca-file", root(pki)])
        .timeout(std::time::Duration::from_secs(60));
    if via_stdin {
        cmd.arg("-").write_stdin(targets.to_vec());
    } else {
        cmd.arg("--targets-file").arg(&path);
    }
    let output = cmd.output().expect("run mailtls");
    let stderr = String::from_utf8_lossy(&output.stderr).into_owned();
    let code = output.status.code().unwrap_or(-1);
    let document: Value = serde_json::from_slice(&output.stdout).unwrap_or_else(|e| {
        panic!("no JSON document ({e}), exit {code}: {stderr}");
    });
    let reports = document["reports"].as_array().expect("reports").clone();
    (code, reports, stderr)
}

#[test]
fn a_latin1_byte_spoils_only_its_own_line() {
    let pki = Pki::new();
    let first = pki.start(ServerSpec::new(Proto::Imap, Transport::ImplicitTls));
    let second = pki.start(ServerSpec::new(Proto::Imap, Transport::ImplicitTls));
    let (a, b) = (
        url_for(&first, Proto::Imap, Transport::ImplicitTls),
        url_for(&second, Proto::Imap, Transport::ImplicitTls),
    );
    // "café.example:993" in Latin-1: the é is the single byte 0xE9.
    let mut targets = format!("{a}\n").into_bytes();
    targets.extend_from_slice(b"caf\xe9.example:993\n");
    targets.extend_from_slice(format!("{b}\n").as_bytes());
    for via_stdin in [false, true] {
        let (_, reports, stderr) = reports_for_targets(&pki, &targets, via_stdin);
        let from = if via_stdin { "stdin" } else { "a file" };
        assert_eq!(reports.len(), 3, "{from}: one result per line: {stderr}");
        assert_eq!(reports[0]["input"], a.as_str(), "{from}");
        assert_eq!(reports[2]["input"], b.as_str(), "{from}");
        for i in [0, 2] {
            assert!(
                reports[i]["facts"]["tls"]["version"].is_string(),
                "{from}: line {} was checked: {:#}",
                i + 1,
                reports[i]["findings"]
            );
        }
        assert!(reports[1]["facts"].is_null(), "{from}");
        assert_eq!(
            reports[1]["findings"][0]["code"], "input.invalid_target",
            "{from}: {:#}",
            reports[1]
        );
    }
}

#[test]
fn a_utf8_bom_is_ignored() {
    let pki = Pki::new();
    let first = pki.start(ServerSpec::new(Proto::Imap, Transport::ImplicitTls));
    let second = pki.start(ServerSpec::new(Proto::Imap, Transport::ImplicitTls));
    let (a, b) = (
        url_for(&first, Proto::Imap, Transport::ImplicitTls),
        url_for(&second, Proto::Imap, Transport::ImplicitTls),
    );
    // As Windows Notepad saves it: a byte-order mark and CR LF line ends.
    let targets = format!("\u{feff}{a}\r\n{b}\r\n").into_bytes();
    for via_stdin in [false, true] {
        let (code, reports, stderr) = reports_for_targets(&pki, &targets, via_stdin);
        let from = if via_stdin { "stdin" } else { "a file" };
        assert_eq!(reports.len(), 2, "{from}: {stderr}");
        for (report, url) in reports.iter().zip([&a, &b]) {
            assert_eq!(report["input"], url.as_str(), "{from}");
            assert!(
                report["facts"]["tls"]["version"].is_string(),
                "{from}: {:#}",
                report["findings"]
            );
        }
        assert_eq!(code, 0, "{from}");
    }
}

/// `openssl verify` of the chain a server sends against the test root: the
/// reference verdict the mail clients that use OpenSSL (and NSS) reach.
fn openssl_accepts(pki: &Pki, server: &TestServer) -> bool {
    let dir = tempfile::tempdir().expect("tempdir");
    let write = |name: &str, der: &[u8]| {
        let path = dir.path().join(name);
        std::fs::write(&path, pem::encode(&pem::Pem::new("CERTIFICATE", der))).expect("write");
        path
    };
    let leaf = write("leaf.pem", server.chain()[0].as_ref());
    let inter = write("inter.pem", server.chain()[1].as_ref());
    let output = std::process::Command::new("openssl")
        .arg("verify")
        .arg("-CAfile")
        .arg(&pki.root)
        .arg("-untrusted")
        .arg(&inter)
        .arg(&leaf)
        .output()
        .expect("run openssl (install Debian's openssl package)");
    output.status.success()
}

/// Checks a server with `case` and asserts its leaf is read, dated as
/// `not_before` / `not_after` say, and judged like any other certificate: not
/// unreadable, not out of date, not critical (openssl accepts the chain).
fn assert_dated_certificate_is_judged(
    case: CertCase,
    not_before: Option<&str>,
    not_after: Option<&str>,
) {
    let pki = Pki::new();
    let server = pki.start(ServerSpec::new(Proto::Imap, Transport::ImplicitTls).cert(case));
    assert!(
        openssl_accepts(&pki, &server),
        "{case:?}: openssl itself refuses the chain"
    );
    let out = run(
        Terminal::PipedNoColor,
        &[
            "check",
            &url_for(&server, Proto::Imap, Transport::ImplicitTls),
            "--sni",
            "mail.test",
            "--ca-file",
            root(&pki),
            "-f",
            "json",
        ],
    );
    let report = out.json()["reports"][0].clone();
    let leaf = &report["facts"]["certificates"][0];
    assert!(leaf["parse_error"].is_null(), "{case:?}: {leaf:#}");
    if let Some(date) = not_before {
        assert_eq!(leaf["not_before"], date, "{case:?}");
    }
    if let Some(date) = not_after {
        assert_eq!(leaf["not_after"], date, "{case:?}");
        assert!(
            leaf["days_left"].as_i64().is_some_and(|d| d > 2_000_000),
            "{case:?}: {leaf:#}"
        );
    }
    for f in report["findings"].as_array().expect("findings") {
        let message = f["message"].as_str().unwrap_or_default();
        assert!(
            f["code"] != "cert.unparsable"
                && f["code"] != "cert.expired"
                && f["code"] != "cert.not_yet_valid"
                && !message.contains("not valid DER"),
            "{case:?}: a certificate openssl accepts is called unreadable or out of date: {f:#}"
        );
    }
    assert_ne!(
        report["verdict"], "critical",
        "{case:?}: {:#}",
        report["findings"]
    );
}

/// Valid from 1960 (UTCTime 600101000000Z), before the Unix epoch.
#[test]
fn a_certificate_valid_since_1960_is_judged_not_unreadable() {
    assert_dated_certificate_is_judged(CertCase::Since1960, Some("1960-01-01T00:00:00Z"), None);
}

/// Valid until 9999-12-31 (GeneralizedTime), "no well-defined expiration".
#[test]
fn a_certificate_valid_until_9999_is_judged_not_unreadable() {
    assert_dated_certificate_is_judged(CertCase::Until9999, None, Some("9999-12-31T23:59:59Z"));
}

/// `--fetch-missing` downloads over plain HTTP only: a redirect to https (or
/// anything but http) is not followed, and a redirect loop ends after a few.
#[test]
fn fetch_missing_follows_only_a_few_http_redirects() {
    let pki = Pki::new();
    let tls_port = HttpScript::serve(HttpBehaviour::Close).expect("listener");
    let to_https = HttpScript::serve(HttpBehaviour::Redirect(format!(
        "https://127.0.0.1:{}/intermediate.der",
        tls_port.port()
    )))
    .expect("http server");
    let looping = HttpScript::serve(HttpBehaviour::Redirect(
        "http://127.0.0.1:{self}/again".to_owned(),
    ))
    .expect("http server");
    for http in [&to_https, &looping] {
        let server = pki.start(
            ServerSpec::new(Proto::Imap, Transport::ImplicitTls)
                .cert(CertCase::ChainIncompleteAt(http.port())),
        );
        let out = run(
            Terminal::PipedNoColor,
            &[
                "check",
                &url_for(&server, Proto::Imap, Transport::ImplicitTls),
                "--sni",
                "mail.test",
                "--ca-file",
                root(&pki),
                "--fetch-missing",
                "--timeout",
                "5s",
                "-f",
                "json",
            ],
        );
        let report = out.json()["reports"][0].clone();
        let fetched = &report["facts"]["fetched_issuer"];
        assert!(fetched["error"].is_string(), "{fetched:#}");
    }
    assert!(
        (1..=5).contains(&looping.connections()),
        "a redirect loop was followed {} times",
        looping.connections()
    );
    assert_eq!(
        tls_port.connections(),
        0,
        "--fetch-missing followed a redirect from http to https"
    );
}

/// The rules above accept what a correct renderer writes: hostile text escaped
/// the way the issue asks (`\x1b`, `\u{202e}`), mailtls's own colours, a
/// well-formed status line, PEM with one-line comments, plain sentences. Without
/// this, a rule that nothing can satisfy would pass for a failing feature.
#[test]
fn the_output_rules_accept_correctly_escaped_output() {
    fn escaped(text: &str) -> String {
        text.chars()
            .map(|c| match c {
                c if c.is_ascii_control() => format!("\\x{:02x}", c as u32),
                c if c.is_control() || hostile_common::is_bidi_control(c) => {
                    format!("\\u{{{:x}}}", c as u32)
                }
                c => c.to_string(),
            })
            .collect()
    }
    let greeting = escaped(&payload("greeting"));
    let san = escaped(&ascii_payload("san")).replace('|', "/");
    let human = format!(
        "\x1b[1m127.0.0.1:993\x1b[0m  IMAP with SSL/TLS  \x1b[31;1mCRITICAL\x1b[0m\n  \x1b[1mGreeting     \x1b[0m* OK {greeting} ready.\n  \x1b[2mS: (TLS)\x1b[0m {greeting}\n"
    );
    assert!(
        raw_controls(&human).is_empty(),
        "{:?}",
        raw_controls(&human)
    );
    assert_escaped(&human, "a correctly escaped report");
    assert!(!raw_controls(&payload("x")).is_empty());

    let single = format!(
        "MAILTLS CRITICAL - imaps://127.0.0.1:993: The certificate is not valid for mail.test: it covers only {san}. | days=90;30:;7: handshake=0.001s;;;0 time=0.016s;;;0\n"
    );
    assert_nagios(&single, 1, "a correct status line");
    let several = format!(
        "MAILTLS CRITICAL - 2 targets: 1 critical, 1 unknown, 0 warning, 0 ok; imaps://127.0.0.1:993: it covers only {san} | 'imaps://127.0.0.1:993 days'=90;30:;7: 'imaps://127.0.0.1:993 time'=0.016s;;;0\nCRITICAL imaps://127.0.0.1:993: it covers only {san}\nUNKNOWN {}: Could not check.\n",
        escaped(&payload("target")).replace('|', "/")
    );
    assert_nagios(&several, 2, "correct status lines");

    let pki = mailtls_testkit::TestPki::new();
    let pem = format!(
        "# 127.0.0.1:993 (IMAP with SSL/TLS) sent 1 certificate(s), in this order:\n# 0 subject: CN={}\n{}",
        escaped(&name_payload("cn")),
        pki.root_pem()
    );
    assert_pem_holds_exactly(&pem, &[pki.root_der()], "a correct PEM output");

    for sentence in [
        "mailtls: cannot read CA file /tmp/ca.pem: No such file or directory (os error 2)",
        "mailtls: the key in client.key does not belong to the certificate in client.pem",
        "Enable TLS 1.3 on the server (OpenSSL 1.1.1 or later; e.g. Dovecot ssl_min_protocol).",
        "The server sends a certificate whose subjectAltName lists no host; check that port 4190 runs a ManageSieve server.",
    ] {
        let why = hostile_common::not_plain_words(sentence, &[]);
        assert!(why.is_empty(), "{sentence:?}: {why:?}");
    }
    for sentence in [
        "keys may not be consistent: KeyMismatch",
        "invalid peer certificate: Other(OtherError(PathLenConstraintViolated))",
        "cannot read x: No such file or directory (os error 2): No such file or directory (os error 2)",
        "base64 decode error: InvalidCharacter(33)",
    ] {
        assert!(
            !hostile_common::not_plain_words(sentence, &[]).is_empty(),
            "{sentence:?} passes for plain words"
        );
    }
}

//! Shared helpers for the integration tests: run the real binary against test servers.

#![allow(dead_code)] // each test file uses a different subset

pub mod dns;
pub mod every_source;
pub mod exporter;
pub mod golden;
pub mod nsd;
pub mod openssl;
pub mod probe;

use std::path::PathBuf;
use std::time::Duration;

use assert_cmd::Command;
use mailtls::report::account::AccountsDocument;
use mailtls::report::Document;
use mailtls_testkit::{Proto, ServerSpec, TestPki, TestServer, Transport};
use serde_json::Value;

/// A PKI with its root written to a temporary directory.
pub struct Pki {
    pub pki: TestPki,
    pub dir: tempfile::TempDir,
    pub root: PathBuf,
}

impl Pki {
    pub fn new() -> Pki {
        let pki = TestPki::new();
        let dir = tempfile::tempdir().expect("tempdir");
        let root = pki.write_root_pem(dir.path());
        Pki { pki, dir, root }
    }

    pub fn start(&self, spec: ServerSpec) -> TestServer {
        TestServer::start(spec, &self.pki)
    }
}

/// The URL scheme that says protocol and mode for any port.
pub fn scheme(proto: Proto, implicit: bool) -> &'static str {
    match (proto, implicit) {
        (Proto::Imap, true) => "imaps",
        (Proto::Imap, false) => "imap+starttls",
        (Proto::Pop3, true) => "pop3s",
        (Proto::Pop3, false) => "pop3+starttls",
        (Proto::Smtp, true) => "smtps",
        (Proto::Smtp, false) => "smtp+starttls",
        (Proto::Sieve, _) => "sieve",
    }
}

/// The URL a client would use for a server, in the mode the server speaks.
pub fn url_for(server: &TestServer, proto: Proto, transport: Transport) -> String {
    format!(
        "{}://127.0.0.1:{}",
        scheme(proto, transport == Transport::ImplicitTls),
        server.port()
    )
}

/// The outcome of one run of the binary.
pub struct Run {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

impl Run {
    pub fn json(&self) -> Value {
        serde_json::from_str(&self.stdout)
            .unwrap_or_else(|e| panic!("stdout is not JSON ({e}):\n{}", self.stdout))
    }

    /// The first report of a JSON run.
    pub fn report(&self) -> Value {
        self.json()["reports"][0].clone()
    }

    pub fn codes(&self) -> Vec<String> {
        codes(&self.report())
    }

    /// The first account of a JSON `account` run.
    pub fn account(&self) -> Value {
        self.json()["accounts"][0].clone()
    }
}

pub fn codes(report: &Value) -> Vec<String> {
    report["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .map(|f| f["code"].as_str().expect("code").to_owned())
        .collect()
}

/// Runs `mailtls ARGS`. The generous hard timeout only turns a hang into a failure.
///
/// Every JSON or NDJSON report a `check` produces is also judged again by
/// `mailtls explain` from its saved facts, which must give the same findings,
/// verdicts, headlines and exit code: what is judged is what is serialized.
pub fn mailtls(args: &[&str]) -> Run {
    let run = mailtls_with_input(args, None);
    let machine_format = args
        .windows(2)
        .any(|w| matches!(w[0], "-f" | "--format") && matches!(w[1], "json" | "ndjson"));
    if args.first() == Some(&"check") && machine_format && !run.stdout.trim().is_empty() {
        assert_rejudged_alike(args, &run);
    }
    run
}

/// Runs `mailtls ARGS` with `input` on standard input.
pub fn mailtls_with_input(args: &[&str], input: Option<&str>) -> Run {
    let mut command = Command::cargo_bin("mailtls").expect("binary");
    command
        .args(args)
        .env("NO_COLOR", "1")
        .timeout(Duration::from_secs(60));
    if let Some(input) = input {
        command.write_stdin(input);
    }
    let output = command.output().expect("run mailtls");
    Run {
        code: output.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
    }
}

/// The judgement of each report: what `explain` must reproduce.
fn judgements(stdout: &str) -> Vec<Value> {
    let reports: Vec<Value> = match serde_json::from_str::<Value>(stdout) {
        Ok(document) => document["reports"].as_array().cloned().unwrap_or_default(),
        Err(_) => stdout
            .lines()
            .filter(|l| !l.trim().is_empty())
            .map(|l| serde_json::from_str(l).expect("an NDJSON line"))
            .collect(),
    };
    reports
        .iter()
        .map(|r| {
            serde_json::json!({
                "input": r["input"],
                "verdict": r["verdict"],
                "headline": r["headline"],
                "findings": r["findings"],
            })
        })
        .collect()
}

/// `mailtls explain` on the saved output, with the same thresholds and format.
fn assert_rejudged_alike(args: &[&str], run: &Run) {
    let takes_value = [
        "--warn-days",
        "--crit-days",
        "--fail-on",
        "-f",
        "--format",
        "--client",
        "--profile",
    ];
    let mut again = vec!["explain", "-", "--quiet"];
    for (i, arg) in args.iter().enumerate() {
        if takes_value.contains(arg) {
            again.extend([*arg, args.get(i + 1).copied().unwrap_or_default()]);
        }
    }
    let rejudged = mailtls_with_input(&again, Some(&run.stdout));
    assert_eq!(
        judgements(&rejudged.stdout),
        judgements(&run.stdout),
        "explain judged the saved facts differently (stderr: {})",
        rejudged.stderr
    );
    assert_eq!(rejudged.code, run.code, "explain's exit code");
}

/// `mailtls check URL --sni mail.test --ca-file ROOT -f json --timeout T EXTRA...`,
/// also checking that the JSON reads back into the report types with unknown
/// fields denied.
pub fn check_json(pki: &Pki, url: &str, timeout: &str, extra: &[&str]) -> Run {
    let root = pki.root.to_str().expect("utf-8 path");
    let mut args = vec![
        "check",
        url,
        "--sni",
        "mail.test",
        "--ca-file",
        root,
        "-f",
        "json",
        "--timeout",
        timeout,
    ];
    args.extend_from_slice(extra);
    let run = mailtls(&args);
    let document: Document = serde_json::from_str(&run.stdout).unwrap_or_else(|e| {
        panic!(
            "JSON does not match the schema types ({e}):\n{}",
            run.stdout
        )
    });
    assert_eq!(document.reports.len(), 1);
    assert_eq!(
        i32::from(document.summary.exit_code),
        run.code,
        "summary.exit_code"
    );
    run
}

/// `mailtls account ARGS... --dns-server SERVER`, and `--ca-file ROOT` with a PKI.
pub fn account_args<'a>(server: &'a str, pki: Option<&'a Pki>, args: &[&'a str]) -> Vec<&'a str> {
    let mut all = vec!["account"];
    all.extend_from_slice(args);
    all.extend(["--dns-server", server]);
    if let Some(pki) = pki {
        all.extend(["--ca-file", pki.root.to_str().expect("utf-8 path")]);
    }
    all
}

/// [`account_args`] with `-f json`, also checking that the JSON reads back
/// into the accounts document type with unknown fields denied (every field
/// is serialized) and that its exit code is the run's.
pub fn account_json(server: &str, pki: Option<&Pki>, args: &[&str]) -> (Run, AccountsDocument) {
    let mut all = account_args(server, pki, args);
    all.extend(["-f", "json"]);
    let run = mailtls(&all);
    let document: AccountsDocument = serde_json::from_str(&run.stdout).unwrap_or_else(|e| {
        panic!(
            "JSON does not match the accounts document type ({e}):\n{}",
            run.stdout
        )
    });
    assert_eq!(i32::from(document.exit_code), run.code, "exit_code");
    (run, document)
}

/// Asserts a finding with `code` exists and returns it.
pub fn finding(report: &Value, code: &str) -> Value {
    report["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .find(|f| f["code"] == code)
        .cloned()
        .unwrap_or_else(|| panic!("no finding {code} in {:#}", report["findings"]))
}

/// How a DNS server child started: listening, or its port was taken.
enum Started {
    Listening,
    PortTaken,
}

/// Waits for `child` (`what`) to accept TCP on 127.0.0.1:`port`, polling
/// within `limit`; a child that exits with `in_use` in its error output lost
/// its port to another process (the caller tries another), any other exit
/// fails the test.
fn wait_listening(
    child: &mut std::process::Child,
    port: u16,
    limit: std::time::Duration,
    in_use: &str,
    what: &str,
) -> Started {
    let start = std::time::Instant::now();
    while start.elapsed() < limit {
        if let Ok(Some(status)) = child.try_wait() {
            let mut text = String::new();
            if let Some(mut err) = child.stderr.take() {
                let _ = std::io::Read::read_to_string(&mut err, &mut text);
            }
            assert!(text.contains(in_use), "{what} exited ({status}): {text}");
            return Started::PortTaken;
        }
        if std::net::TcpStream::connect(("127.0.0.1", port)).is_ok() {
            return Started::Listening;
        }
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    let _ = child.kill();
    let _ = child.wait();
    panic!("{what} did not listen on 127.0.0.1:{port} within {limit:?}");
}

/// Starts a DNS server (`what`) with `spawn(port)` on a loopback port free
/// for both UDP and TCP, and waits within `limit` until it accepts TCP; one
/// that lost its port to another process (`in_use` in its error output) is
/// started again on another port, five times at most.
pub fn start_dns_server(
    what: &str,
    limit: std::time::Duration,
    in_use: &str,
    spawn: impl Fn(u16) -> std::process::Child,
) -> (std::process::Child, u16) {
    for _ in 0..5 {
        let port = std::net::UdpSocket::bind("127.0.0.1:0")
            .and_then(|s| s.local_addr())
            .expect("free port")
            .port();
        if std::net::TcpListener::bind(("127.0.0.1", port)).is_err() {
            continue;
        }
        let mut child = spawn(port);
        match wait_listening(&mut child, port, limit, in_use, what) {
            Started::Listening => return (child, port),
            Started::PortTaken => continue,
        }
    }
    panic!("{what} did not start");
}

/// Whether the tests run under CI (`CI` set to anything but empty, `false` or
/// `0`): a missing server then fails a test instead of skipping it.
pub fn under_ci() -> bool {
    std::env::var("CI").is_ok_and(|v| !v.is_empty() && v != "false" && v != "0")
}

/// Where `name` is installed: on PATH, or in /usr/sbin or /sbin (daemons).
pub fn program(name: &str) -> Option<PathBuf> {
    let path = std::env::var_os("PATH").unwrap_or_default();
    std::env::split_paths(&path)
        .chain([PathBuf::from("/usr/sbin"), PathBuf::from("/sbin")])
        .map(|dir| dir.join(name))
        .find(|p| p.is_file())
}

//! Many targets at once: input order, one result per input, streaming NDJSON,
//! monitoring output, exit codes by --fail-on, every address of a name.

mod common;

use std::net::SocketAddr;

use assert_cmd::Command;
use common::{codes, mailtls, url_for, Pki};
use mailtls_testkit::{CertCase, Misbehaviour, Proto, ServerSpec, TestServer, Transport};
use serde_json::Value;

fn ndjson(stdout: &str) -> Vec<Value> {
    stdout
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{e}: {l}")))
        .collect()
}

#[test]
fn a_targets_file_yields_one_result_per_line_in_order() {
    let pki = Pki::new();
    let mut servers = Vec::new();
    let mut lines = vec!["# a comment, then a blank line".to_owned(), String::new()];
    let mut expected = Vec::new();
    // Twelve servers at once: good, expiring, expired, silent, no STARTTLS.
    for i in 0..12 {
        let (spec, verdict) = match i % 4 {
            0 => (ServerSpec::new(Proto::Imap, Transport::ImplicitTls), "ok"),
            1 => (
                ServerSpec::new(Proto::Smtp, Transport::Starttls).cert(CertCase::ExpiresIn(20)),
                "warning",
            ),
            2 => (
                ServerSpec::new(Proto::Pop3, Transport::ImplicitTls).cert(CertCase::Expired),
                "critical",
            ),
            _ => (
                ServerSpec::new(Proto::Imap, Transport::ImplicitTls)
                    .misbehave(Misbehaviour::Silent),
                "unknown",
            ),
        };
        let (proto, transport) = (spec.proto, spec.transport);
        let server = pki.start(spec);
        lines.push(url_for(&server, proto, transport));
        expected.push(verdict);
        servers.push(server);
        if i == 5 {
            lines.push("not a target at all:99999".to_owned());
            expected.push("unknown");
        }
    }
    let file = pki.dir.path().join("targets.txt");
    std::fs::write(&file, lines.join("\n")).expect("write targets");
    let root = pki.root.to_str().expect("path");
    let run = mailtls(&[
        "check",
        "--targets-file",
        file.to_str().expect("path"),
        "--sni",
        "mail.test",
        "--ca-file",
        root,
        "-f",
        "ndjson",
        "--timeout",
        "1s",
        "--quiet",
    ]);
    let records = ndjson(&run.stdout);
    let inputs: Vec<&str> = records
        .iter()
        .map(|r| r["input"].as_str().expect("input"))
        .collect();
    let wanted: Vec<&str> = lines.iter().skip(2).map(String::as_str).collect();
    assert_eq!(inputs, wanted, "one record per line, in input order");
    let verdicts: Vec<&str> = records
        .iter()
        .map(|r| r["verdict"].as_str().expect("verdict"))
        .collect();
    assert_eq!(verdicts, expected);
    let invalid = &records[6];
    assert_eq!(codes(invalid), ["input.invalid_target"]);
    assert!(invalid["facts"].is_null());
    assert_eq!(run.code, 2, "critical outranks unknown and warning");
    assert!(run.stderr.is_empty(), "--quiet: {}", run.stderr);
}

#[test]
fn fail_on_decides_what_fails_the_run() {
    let pki = Pki::new();
    let expiring = pki
        .start(ServerSpec::new(Proto::Imap, Transport::ImplicitTls).cert(CertCase::ExpiresIn(20)));
    let url = url_for(&expiring, Proto::Imap, Transport::ImplicitTls);
    let root = pki.root.to_str().expect("path");
    let base = [
        "check",
        url.as_str(),
        "--sni",
        "mail.test",
        "--ca-file",
        root,
        "-f",
        "json",
    ];
    assert_eq!(mailtls(&base).code, 1);
    let mut lenient = base.to_vec();
    lenient.extend(["--fail-on", "critical"]);
    let run = mailtls(&lenient);
    assert_eq!(run.code, 0);
    assert_eq!(run.json()["summary"]["exit_code"], 0);
    assert_eq!(run.json()["summary"]["warning"], 1);

    // Could-not-check fails the run whatever --fail-on says.
    let silent = pki.start(
        ServerSpec::new(Proto::Imap, Transport::ImplicitTls).misbehave(Misbehaviour::Silent),
    );
    let url = url_for(&silent, Proto::Imap, Transport::ImplicitTls);
    let run = mailtls(&[
        "check",
        &url,
        "--fail-on",
        "critical",
        "--timeout",
        "500ms",
        "-f",
        "json",
    ]);
    assert_eq!(run.code, 3);
}

#[test]
fn targets_come_from_standard_input_with_a_dash() {
    let pki = Pki::new();
    let a = pki.start(ServerSpec::new(Proto::Imap, Transport::ImplicitTls));
    let b = pki.start(ServerSpec::new(Proto::Pop3, Transport::Starttls));
    let input = format!(
        "{}\n# comment\n{}\n",
        url_for(&a, Proto::Imap, Transport::ImplicitTls),
        url_for(&b, Proto::Pop3, Transport::Starttls)
    );
    let root = pki.root.to_str().expect("path");
    let output = Command::cargo_bin("mailtls")
        .expect("binary")
        .args([
            "check",
            "-",
            "--sni",
            "mail.test",
            "--ca-file",
            root,
            "-f",
            "ndjson",
        ])
        .write_stdin(input)
        .timeout(std::time::Duration::from_secs(60))
        .output()
        .expect("run");
    let records = ndjson(&String::from_utf8_lossy(&output.stdout));
    assert_eq!(records.len(), 2);
    assert!(records
        .iter()
        .all(|r| r["verdict"] == "info" || r["verdict"] == "ok"));
    assert_eq!(output.status.code(), Some(0));
    // Not quiet: the summary goes to standard error, standard output stays NDJSON.
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("2 targets: 2 ok") && stderr.contains("slowest"),
        "{stderr}"
    );
}

#[test]
fn nagios_output_is_a_status_line_with_performance_data() {
    let pki = Pki::new();
    let server =
        pki.start(ServerSpec::new(Proto::Smtp, Transport::Starttls).cert(CertCase::ExpiresIn(20)));
    let url = url_for(&server, Proto::Smtp, Transport::Starttls);
    let root = pki.root.to_str().expect("path");
    let run = mailtls(&[
        "check",
        &url,
        "--sni",
        "mail.test",
        "--ca-file",
        root,
        "-f",
        "nagios",
    ]);
    assert_eq!(run.code, 1);
    let line = run.stdout.lines().next().expect("status line");
    assert!(line.starts_with("MAILTLS WARNING - "), "{line}");
    let (text, perf) = line.split_once(" | ").expect("performance data");
    assert!(text.contains("expires"), "{text}");
    // The intermediate outlives the leaf: the chain's minimum is the leaf's 19-20 days.
    assert!(perf.contains(";30:;7:"), "{perf}");
    let days: i64 = perf
        .split_whitespace()
        .find_map(|p| p.strip_prefix("days="))
        .and_then(|v| v.split(';').next())
        .and_then(|v| v.parse().ok())
        .expect("days=N");
    assert!((19..=20).contains(&days), "{perf}");
    assert!(
        perf.contains("handshake=") && perf.contains("time="),
        "{perf}"
    );
}

#[test]
fn all_addresses_checks_each_and_says_when_they_differ() {
    let pki = Pki::new();
    let good = pki.start(ServerSpec::new(Proto::Imap, Transport::ImplicitTls));
    // A second server for the same name on another loopback address, same port,
    // with an expired certificate: some users would see it, some not.
    let port = good.port();
    let stale = TestServer::try_start_on(
        ServerSpec::new(Proto::Imap, Transport::ImplicitTls).cert(CertCase::Expired),
        &pki.pki,
        SocketAddr::from(([127, 0, 0, 2], port)),
    )
    .expect("127.0.0.2 with the same port");
    let root = pki.root.to_str().expect("path");
    let target = format!("imaps://mail.test:{port}");
    let run = mailtls(&[
        "check",
        &target,
        "--resolve",
        "mail.test:127.0.0.1",
        "--resolve",
        "mail.test:127.0.0.2",
        "--all-addresses",
        "--ca-file",
        root,
        "-f",
        "json",
    ]);
    let doc = run.json();
    let reports = doc["reports"].as_array().expect("reports");
    assert_eq!(reports.len(), 2, "one report per address");
    let connected: Vec<&str> = reports
        .iter()
        .map(|r| r["facts"]["connected_to"].as_str().expect("address"))
        .collect();
    assert_eq!(
        connected,
        [format!("127.0.0.1:{port}"), format!("127.0.0.2:{port}")]
    );
    for report in reports {
        let f = common::finding(report, "dns.addresses_differ");
        assert!(
            f["message"]
                .as_str()
                .expect("message")
                .contains("certificate"),
            "{f}"
        );
    }
    assert_eq!(run.code, 2);
    drop(stale);

    // Without --all-addresses the first address that answers is checked, once.
    let run = mailtls(&[
        "check",
        &target,
        "--resolve",
        "mail.test:127.0.0.1",
        "--ca-file",
        root,
        "-f",
        "json",
    ]);
    assert_eq!(run.json()["reports"].as_array().expect("reports").len(), 1);
    assert_eq!(run.code, 0);
}

#[test]
fn completions_and_man_page_come_from_the_cli_definition() {
    let run = mailtls(&["completions", "bash"]);
    assert_eq!(run.code, 0);
    assert!(run.stdout.contains("--targets-file") && run.stdout.contains("mailtls"));
    let run = mailtls(&["man"]);
    assert_eq!(run.code, 0);
    assert!(run.stdout.contains(".TH mailtls"), "{}", run.stdout);
}

#[test]
fn one_host_never_gets_more_than_its_connection_budget() {
    let pki = Pki::new();
    // Six checks of one silent server, which holds every connection until
    // the client gives up on it, with PER_HOST connections at once at most.
    let batch = |per_host: &str| {
        let server = pki.start(
            ServerSpec::new(Proto::Imap, Transport::ImplicitTls).misbehave(Misbehaviour::Silent),
        );
        let url = url_for(&server, Proto::Imap, Transport::ImplicitTls);
        let mut args = vec![
            "check",
            "--timeout",
            "300ms",
            "-f",
            "ndjson",
            "--quiet",
            "--per-host",
            per_host,
        ];
        args.extend(vec![url.as_str(); 6]);
        (mailtls(&args), server)
    };
    let (run, server) = batch("2");
    assert_eq!(ndjson(&run.stdout).len(), 6);
    assert_eq!(server.connections_accepted(), 6);
    assert_eq!(server.most_connections_at_once(), 2);

    // The same batch with a larger budget does overlap: the measure can tell.
    let (_, wide) = batch("6");
    assert!(
        wide.most_connections_at_once() > 2,
        "{}",
        wide.most_connections_at_once()
    );
}

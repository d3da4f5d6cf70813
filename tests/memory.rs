//! Memory stays bounded against peers that flood: this file is its own process,
//! with one test, so the process's high-water mark measures the checks alone.

use clap::Parser;
use mailtls::cli::Cli;
use mailtls_testkit::{Misbehaviour, Proto, ServerSpec, TestPki, TestServer, Transport};

/// Peak resident memory of this process so far, in KiB (Linux).
fn peak_kib() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").expect("/proc/self/status");
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.split_whitespace().next())
        .and_then(|v| v.parse().ok())
        .expect("VmHWM")
}

#[test]
fn floods_do_not_grow_memory() {
    let pki = TestPki::new();
    let floods = [
        (Transport::Starttls, Misbehaviour::EndlessLine),
        (Transport::ImplicitTls, Misbehaviour::EndlessLine),
        (Transport::ImplicitTls, Misbehaviour::OversizedHandshake),
        (Transport::ImplicitTls, Misbehaviour::GarbageTls),
    ];
    let servers: Vec<TestServer> = floods
        .iter()
        .map(|&(t, m)| TestServer::start(ServerSpec::new(Proto::Smtp, t).misbehave(m), &pki))
        .collect();
    let urls: Vec<String> = floods
        .iter()
        .zip(&servers)
        .map(|(&(t, _), s)| {
            let scheme = if t == Transport::ImplicitTls {
                "smtps"
            } else {
                "smtp+starttls"
            };
            format!("{scheme}://127.0.0.1:{}", s.port())
        })
        .collect();
    let mut args = vec![
        "mailtls",
        "check",
        "-f",
        "json",
        "--timeout",
        "2s",
        "--quiet",
    ];
    args.extend(urls.iter().map(String::as_str));

    let before = peak_kib();
    // Each flood, several times over, so a leak or an unbounded buffer would add up.
    for _ in 0..5 {
        let cli = Cli::try_parse_from(&args).expect("arguments");
        let mut out = Vec::new();
        let plan = mailtls::plan::from_cli(cli).expect("plan");
        let code = mailtls::app::run(plan, &mut out).expect("run");
        assert_eq!(code, 2, "{}", String::from_utf8_lossy(&out));
    }
    let grown_mib = (peak_kib().saturating_sub(before)) / 1024;
    // The line cap is 16 KiB and rustls caps handshake messages at 64 KiB; a
    // buffer that followed the server would grow by hundreds of MiB in 2 s.
    assert!(grown_mib < 48, "peak memory grew by {grown_mib} MiB");
}

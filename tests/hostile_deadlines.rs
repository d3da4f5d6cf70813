//! Hostile peers against the clock: every check, `--probe` and `--audit`
//! included, ends within `--timeout`; a greeting may take as long as the
//! deadline allows; a server that resets right after accepting is always
//! judged the same way.
//!
//! The wall-clock bounds below are assertions about the deadline, not
//! benchmarks: a check against a well-behaved loopback server takes about
//! 50 ms from process start to exit on the 2-core test machine, and each
//! hostile server here would keep a check without an overall deadline busy for
//! at least a whole further `--timeout`.

mod common;
mod hostile_common;

use std::collections::BTreeSet;
use std::time::Duration;

use common::{codes, url_for, Pki};
use hostile_common::{numbers_in, run_with, Output, Terminal};
use mailtls_testkit::{Misbehaviour, Proto, ServerSpec, Transport};

/// `--timeout` of the deadline tests.
const TIMEOUT: Duration = Duration::from_secs(2);
/// Time allowed beyond `--timeout` for starting the process, loading the trust
/// stores and printing: more than ten times what it takes, and less than half
/// of one more hostile wait (1.5 s and more below), so a check that starts one
/// more wait after its deadline cannot pass.
const SLACK: Duration = Duration::from_millis(750);
/// Kills a run that has clearly missed its deadline (the failure then says so).
const HARD_LIMIT: Duration = Duration::from_secs(20);

fn check(pki: &Pki, url: &str, extra: &[&str]) -> Output {
    let root = pki.root.to_str().expect("UTF-8 path");
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
        "2s",
    ];
    args.extend_from_slice(extra);
    run_with(Terminal::PipedNoColor, &args, HARD_LIMIT)
}

fn assert_within_deadline(out: &Output, what: &str) {
    assert!(
        out.elapsed <= TIMEOUT + SLACK,
        "{what} with --timeout {TIMEOUT:?} ran for {:?}{} (allowed: {:?})",
        out.elapsed,
        if out.code == -1 {
            " and was killed"
        } else {
            ""
        },
        TIMEOUT + SLACK
    );
}

/// A server that answers every ClientHello after 1.5 s: the normal check gets
/// its answer at 1.5 s, and no probe connection can get one before the deadline.
#[test]
fn probe_ends_within_the_timeout_against_slow_hellos() {
    let pki = Pki::new();
    let server = pki.start(
        ServerSpec::new(Proto::Imap, Transport::ImplicitTls)
            .misbehave(Misbehaviour::SlowHello(Duration::from_millis(1500))),
    );
    let out = check(
        &pki,
        &url_for(&server, Proto::Imap, Transport::ImplicitTls),
        &["--probe"],
    );
    assert_within_deadline(&out, "check --probe against 1.5 s hellos");
    let report = out.json()["reports"][0].clone();
    // The check itself finished before the probe began.
    assert_eq!(
        report["facts"]["tls"]["version"], "TLSv1.3",
        "{:#}",
        report["findings"]
    );
    // The probe cannot have found out what the server accepts: it says so.
    assert!(
        codes(&report).iter().any(|c| c == "tls.probe_inconclusive"),
        "{:#}",
        report["findings"]
    );
}

/// A POP3 server that never answers the audit's tests (an STLS with a command
/// pipelined behind it, and USER): both test connections wait until the
/// deadline, which must be the check's, not one each.
#[test]
fn audit_ends_within_the_timeout_against_a_stalling_pop3_server() {
    let pki = Pki::new();
    let server = pki.start(
        ServerSpec::new(Proto::Pop3, Transport::Starttls).misbehave(Misbehaviour::StallAudit),
    );
    let out = check(
        &pki,
        &url_for(&server, Proto::Pop3, Transport::Starttls),
        &["--audit"],
    );
    assert_within_deadline(&out, "check --audit against a stalling POP3 server");
    let report = out.json()["reports"][0].clone();
    let audit = &report["facts"]["audit"];
    // Neither test finished: inconclusive, never "safe".
    assert!(audit["injection"]["positive"].is_null(), "{audit:#}");
    assert!(
        audit["pop3_user_before_tls"]["positive"].is_null(),
        "{audit:#}"
    );
    assert!(
        codes(&report)
            .iter()
            .any(|c| c == "starttls.injection_inconclusive"),
        "{:#}",
        report["findings"]
    );
}

/// A greeting that arrives at 60% of the timeout is a slow greeting (an info
/// finding with its seconds), not a missing one, in every protocol and mode.
#[test]
fn a_greeting_at_sixty_percent_of_the_timeout_is_slow_not_missing() {
    let pki = Pki::new();
    let delay = Duration::from_millis(1200);
    let cases = [
        (Proto::Imap, Transport::Starttls),
        (Proto::Pop3, Transport::Starttls),
        (Proto::Smtp, Transport::Starttls),
        (Proto::Sieve, Transport::Starttls),
        (Proto::Imap, Transport::ImplicitTls),
    ];
    let servers: Vec<_> = cases
        .iter()
        .map(|&(proto, transport)| {
            pki.start(
                ServerSpec::new(proto, transport).misbehave(Misbehaviour::SlowGreeting(delay)),
            )
        })
        .collect();
    std::thread::scope(|scope| {
        let runs: Vec<_> = cases
            .iter()
            .zip(&servers)
            .map(|(&(proto, transport), server)| {
                let pki = &pki;
                scope.spawn(move || {
                    let out = check(pki, &url_for(server, proto, transport), &[]);
                    (proto, transport, out)
                })
            })
            .collect();
        for joined in runs {
            let (proto, transport, out) = joined.join().expect("run");
            let report = out.json()["reports"][0].clone();
            let found = codes(&report);
            assert!(
                !found.iter().any(|c| c == "net.no_greeting"),
                "{proto:?} {transport:?}: a greeting after {delay:?} of {TIMEOUT:?} is called missing: {:#}",
                report["findings"]
            );
            let slow = report["findings"]
                .as_array()
                .expect("findings")
                .iter()
                .find(|f| f["code"] == "greeting.slow")
                .unwrap_or_else(|| {
                    panic!(
                        "{proto:?} {transport:?}: no greeting.slow finding: {:#}",
                        report["findings"]
                    )
                })
                .clone();
            assert_eq!(slow["severity"], "info", "{slow:#}");
            let message = slow["message"].as_str().expect("message");
            assert!(
                numbers_in(message).iter().any(|s| (1.0..=2.0).contains(s)),
                "{proto:?} {transport:?}: the message does not give the greeting's seconds: {message:?}"
            );
            assert_eq!(
                out.code, 0,
                "{proto:?} {transport:?}: {:#}",
                report["findings"]
            );
        }
    });
    // A prompt greeting is not slow.
    let prompt = pki.start(ServerSpec::new(Proto::Imap, Transport::Starttls));
    let out = check(
        &pki,
        &url_for(&prompt, Proto::Imap, Transport::Starttls),
        &[],
    );
    let report = out.json()["reports"][0].clone();
    assert!(
        !codes(&report).iter().any(|c| c == "greeting.slow"),
        "{:#}",
        report["findings"]
    );
}

/// A server that accepts and at once resets (SO_LINGER 0): the reset races the
/// client's connect and first read, and the verdict must not depend on who wins.
#[test]
fn a_reset_right_after_accept_always_gives_the_same_finding() {
    const RUNS: usize = 20;
    let pki = Pki::new();
    for transport in [Transport::ImplicitTls, Transport::Starttls] {
        let server = pki
            .start(ServerSpec::new(Proto::Imap, transport).misbehave(Misbehaviour::ResetOnAccept));
        let url = url_for(&server, Proto::Imap, transport);
        let mut seen = BTreeSet::new();
        for _ in 0..RUNS {
            let out = check(&pki, &url, &[]);
            let report = out.json()["reports"][0].clone();
            let first = codes(&report).first().cloned().unwrap_or_default();
            seen.insert((first, out.code));
        }
        assert_eq!(
            seen.len(),
            1,
            "{transport:?}: {RUNS} runs against the same server gave these (first finding, exit code): {seen:?}"
        );
    }
}

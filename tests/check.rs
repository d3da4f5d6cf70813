//! `mailtls check` through the real binary against in-process servers, good and broken.
//!
//! Every case asserts the finding codes and the exit code, so a change of verdict
//! or a renamed code fails here.

mod common;

use common::{check_json, codes, finding, mailtls, url_for, Pki};
use mailtls_testkit::{CertCase, Misbehaviour, Proto, ServerSpec, Transport};

const ALL_PROTOS: [Proto; 4] = [Proto::Imap, Proto::Pop3, Proto::Smtp, Proto::Sieve];

fn run_case(pki: &Pki, spec: ServerSpec, timeout: &str) -> common::Run {
    let (proto, transport) = (spec.proto, spec.transport);
    let server = pki.start(spec);
    check_json(pki, &url_for(&server, proto, transport), timeout, &[])
}

#[test]
fn good_servers_pass_in_every_protocol_and_mode() {
    let pki = Pki::new();
    for proto in ALL_PROTOS {
        for transport in [Transport::Starttls, Transport::ImplicitTls] {
            if proto == Proto::Sieve && transport == Transport::ImplicitTls {
                continue; // ManageSieve has no implicit-TLS form.
            }
            let run = run_case(&pki, ServerSpec::new(proto, transport), "5s");
            let report = run.report();
            assert_eq!(
                run.code, 0,
                "{proto:?} {transport:?}: {:#}",
                report["findings"]
            );
            assert_eq!(report["verdict"], "ok");
            // Trusted through --ca-file only: a private CA, which the report says.
            let mut expected = vec!["cert.trust_differs", "cert.trusted"];
            if transport == Transport::Starttls {
                // Logging in is offered only inside TLS.
                expected.push("auth.tls_required");
            }
            assert_eq!(codes(&report), expected, "{proto:?} {transport:?}");
            assert_eq!(finding(&report, "cert.trust_differs")["severity"], "info");
            let tls = &report["facts"]["tls"];
            assert_eq!(tls["version"], "TLSv1.3");
            assert_eq!(tls["sni"], "mail.test");
            assert_eq!(tls["verification"]["trusted"], true);
            // Both ends are rustls with aws-lc-rs: the post-quantum hybrid wins.
            assert_eq!(tls["key_exchange"]["group"], "X25519MLKEM768");
            assert_eq!(tls["key_exchange"]["post_quantum"], true);
            let certs = report["facts"]["certificates"].as_array().expect("certs");
            assert_eq!(certs.len(), 2, "leaf and intermediate");
            assert_eq!(certs[0]["names"][0], "mail.test");
            let dialogue = &report["facts"]["dialogue"];
            assert!(
                dialogue["greeting"].is_string(),
                "{proto:?} {transport:?}: {dialogue}"
            );
            assert!(dialogue["capabilities_after_tls"].is_array(), "{dialogue}");
            if transport == Transport::Starttls {
                assert_eq!(dialogue["starttls_offered"], true);
            } else {
                assert!(dialogue["capabilities_before_tls"].is_null());
            }
        }
    }
}

#[test]
fn certificate_problems_are_named() {
    let pki = Pki::new();
    let cases = [
        (CertCase::Expired, "cert.expired", 2),
        (CertCase::NotYetValid, "cert.not_yet_valid", 2),
        (CertCase::WrongName, "cert.name_mismatch", 2),
        (CertCase::SelfSigned, "cert.self_signed", 2),
        (CertCase::UnknownRoot, "cert.unknown_issuer", 2),
        (CertCase::MissingIntermediate, "cert.unknown_issuer", 2),
        (CertCase::ExpiresIn(20), "cert.expires_soon", 1),
        (CertCase::ExpiresIn(3), "cert.expires_soon", 2),
    ];
    for (case, code, exit) in cases {
        let spec = ServerSpec::new(Proto::Imap, Transport::ImplicitTls).cert(case);
        let run = run_case(&pki, spec, "5s");
        let report = run.report();
        assert_eq!(run.code, exit, "{case:?}: {:#}", report["findings"]);
        let f = finding(&report, code);
        assert_eq!(codes(&report)[0], code, "{case:?}: the cause comes first");
        assert!(f["fix"].is_string(), "{case:?} has a fix");
        // A bad certificate is data, not a failed check: the report is complete.
        assert!(report["facts"]["stopped"].is_null(), "{case:?}");
        assert_eq!(report["facts"]["tls"]["version"], "TLSv1.3");
        assert!(report["facts"]["dialogue"]["capabilities_after_tls"].is_array());
    }
}

#[test]
fn name_mismatch_lists_the_names_the_certificate_covers() {
    let pki = Pki::new();
    let spec = ServerSpec::new(Proto::Smtp, Transport::Starttls).cert(CertCase::WrongName);
    let run = run_case(&pki, spec, "5s");
    let message = finding(&run.report(), "cert.name_mismatch")["message"]
        .as_str()
        .expect("message")
        .to_owned();
    assert!(message.contains("mail.test"), "{message}");
    assert!(
        message.contains("other.test") && message.contains("*.other.test"),
        "{message}"
    );
}

#[test]
fn expiry_thresholds_follow_the_options() {
    let pki = Pki::new();
    let server = pki
        .start(ServerSpec::new(Proto::Pop3, Transport::ImplicitTls).cert(CertCase::ExpiresIn(20)));
    let url = url_for(&server, Proto::Pop3, Transport::ImplicitTls);
    let run = check_json(&pki, &url, "5s", &["--warn-days", "10", "--crit-days", "5"]);
    assert_eq!(run.code, 0, "{:#}", run.report()["findings"]);
    let run = check_json(
        &pki,
        &url,
        "5s",
        &["--warn-days", "60", "--crit-days", "21"],
    );
    assert_eq!(run.code, 2);
    assert_eq!(
        finding(&run.report(), "cert.expires_soon")["severity"],
        "critical"
    );
}

#[test]
fn without_the_test_root_the_chain_is_untrusted() {
    let pki = Pki::new();
    let server = pki.start(ServerSpec::new(Proto::Imap, Transport::ImplicitTls));
    let url = url_for(&server, Proto::Imap, Transport::ImplicitTls);
    let run = mailtls(&["check", &url, "--sni", "mail.test", "-f", "json"]);
    assert_eq!(run.code, 2);
    let report = run.report();
    let f = finding(&report, "cert.unknown_issuer");
    assert!(
        f["message"]
            .as_str()
            .expect("message")
            .contains("mailtls Test Root"),
        "{f}"
    );
    assert_eq!(
        report["facts"]["tls"]["verification"]["trust_store"]["base"],
        "mozilla"
    );
}

#[test]
fn plaintext_on_an_implicit_tls_port_says_use_starttls() {
    let pki = Pki::new();
    for proto in [Proto::Imap, Proto::Pop3, Proto::Smtp] {
        let server = pki.start(ServerSpec::new(proto, Transport::Starttls));
        let url = url_for(&server, proto, Transport::ImplicitTls);
        let run = check_json(&pki, &url, "5s", &[]);
        assert_eq!(run.code, 2, "{proto:?}");
        let f = finding(&run.report(), "port.plaintext_on_tls_port");
        let fix = f["fix"].as_str().expect("fix");
        assert!(fix.contains("STARTTLS") && fix.contains("SSL/TLS"), "{fix}");
        assert!(f["message"]
            .as_str()
            .expect("message")
            .contains("answered in plaintext"));
    }
}

#[test]
fn tls_on_a_starttls_port_says_use_ssl_tls() {
    let pki = Pki::new();
    for proto in [Proto::Imap, Proto::Smtp] {
        let server = pki.start(ServerSpec::new(proto, Transport::ImplicitTls));
        let url = url_for(&server, proto, Transport::Starttls);
        let run = check_json(&pki, &url, "2s", &[]);
        assert_eq!(run.code, 2, "{proto:?}: {:#}", run.report()["findings"]);
        let f = finding(&run.report(), "port.tls_on_plaintext_port");
        assert!(f["fix"]
            .as_str()
            .expect("fix")
            .contains("SSL/TLS instead of STARTTLS"));
        // The TLS found there is reported too.
        assert_eq!(run.report()["facts"]["tls"]["version"], "TLSv1.3");
    }
}

#[test]
fn starttls_missing_or_refused() {
    let pki = Pki::new();
    for proto in ALL_PROTOS {
        let spec = ServerSpec::new(proto, Transport::Starttls).misbehave(Misbehaviour::NoStarttls);
        let run = run_case(&pki, spec, "5s");
        assert_eq!(run.code, 2, "{proto:?}");
        assert_eq!(codes(&run.report()), ["starttls.not_offered"], "{proto:?}");
        assert_eq!(run.report()["facts"]["dialogue"]["starttls_offered"], false);

        let spec =
            ServerSpec::new(proto, Transport::Starttls).misbehave(Misbehaviour::StarttlsRefused);
        let run = run_case(&pki, spec, "5s");
        assert_eq!(run.code, 2, "{proto:?}");
        assert_eq!(codes(&run.report()), ["starttls.refused"], "{proto:?}");
    }
    // A plaintext-only server is the same finding.
    let spec = ServerSpec::new(Proto::Imap, Transport::PlaintextOnly);
    assert_eq!(run_case(&pki, spec, "5s").codes(), ["starttls.not_offered"]);
}

#[test]
fn refusal_greetings_are_reported_as_such() {
    let pki = Pki::new();
    for proto in ALL_PROTOS {
        let spec = ServerSpec::new(proto, Transport::Starttls).misbehave(Misbehaviour::Greeting421);
        let run = run_case(&pki, spec, "5s");
        assert_eq!(
            (run.code, run.codes()),
            (3, vec!["server.busy".to_owned()]),
            "{proto:?}"
        );
    }
    let spec =
        ServerSpec::new(Proto::Smtp, Transport::Starttls).misbehave(Misbehaviour::Greeting554);
    let run = run_case(&pki, spec, "5s");
    assert_eq!(
        (run.code, run.codes()),
        (2, vec!["server.refused".to_owned()])
    );
    let message = finding(&run.report(), "server.refused")["message"].to_string();
    assert!(message.contains("554"), "{message}");
}

#[test]
fn garbage_silence_and_floods_end_with_a_finding_within_the_deadline() {
    let pki = Pki::new();
    let cases = [
        (
            Transport::Starttls,
            Misbehaviour::GarbageGreeting,
            "protocol.unexpected_greeting",
            2,
        ),
        (
            Transport::Starttls,
            Misbehaviour::Silent,
            "net.no_greeting",
            3,
        ),
        (
            Transport::ImplicitTls,
            Misbehaviour::Silent,
            "net.timeout",
            3,
        ),
        (Transport::Starttls, Misbehaviour::Trickle, "net.timeout", 3),
        (
            Transport::Starttls,
            Misbehaviour::EndlessLine,
            "protocol.line_too_long",
            2,
        ),
        (
            Transport::ImplicitTls,
            Misbehaviour::EndlessLine,
            "protocol.line_too_long",
            2,
        ),
    ];
    for (transport, misbehaviour, code, exit) in cases {
        let spec = ServerSpec::new(Proto::Imap, transport).misbehave(misbehaviour);
        let run = run_case(&pki, spec, "1s");
        assert_eq!(
            run.code,
            exit,
            "{misbehaviour:?}: {:#}",
            run.report()["findings"]
        );
        assert_eq!(run.codes()[0], code, "{misbehaviour:?} {transport:?}");
        assert!(run.report()["facts"]["stopped"]["message"].is_string());
    }
}

#[test]
fn implicit_tls_that_works_but_no_greeting_follows_is_said_so_and_no_client_connects() {
    let pki = Pki::new();
    let spec = ServerSpec::new(Proto::Imap, Transport::ImplicitTls)
        .misbehave(Misbehaviour::SilentAfterTls);
    let run = run_case(&pki, spec, "1s");
    assert_eq!(run.code, 3, "{:#}", run.report()["findings"]);
    let report = run.report();
    assert_eq!(
        report["facts"]["tls"]["version"], "TLSv1.3",
        "the handshake completed"
    );
    let message = finding(&report, "net.no_greeting")["message"].to_string();
    assert!(
        message.contains("TLS handshake")
            && message.contains("succeeded")
            && !message.contains("did not answer TLS"),
        "{message}"
    );
    // TLS works, yet no client gets a session: none is said to connect.
    let clients = report["clients"].as_array().expect("per-client verdicts");
    assert!(!clients.is_empty());
    for client in clients {
        assert_ne!(client["outcome"], "connects", "{client:#}");
    }
}

#[test]
fn broken_tls_handshakes_are_critical() {
    let pki = Pki::new();
    let cases = [
        (
            Transport::ImplicitTls,
            Misbehaviour::TlsAlert,
            "handshake_failure",
        ),
        (
            Transport::Starttls,
            Misbehaviour::TlsAlert,
            "handshake_failure",
        ),
        (
            Transport::ImplicitTls,
            Misbehaviour::CloseDuringHandshake,
            "closed",
        ),
        (
            Transport::Starttls,
            Misbehaviour::CloseAfterStarttls,
            "closed",
        ),
    ];
    for (transport, misbehaviour, word) in cases {
        let spec = ServerSpec::new(Proto::Smtp, transport).misbehave(misbehaviour);
        let run = run_case(&pki, spec, "5s");
        assert_eq!(run.code, 2, "{misbehaviour:?}");
        let f = finding(&run.report(), "tls.handshake_failed");
        assert!(
            f["message"].as_str().expect("message").contains(word),
            "{f}"
        );
        assert_eq!(run.report()["facts"]["stopped"]["phase"], "tls_handshake");
    }
}

#[test]
fn plaintext_after_the_starttls_go_ahead_is_discarded_and_reported() {
    let pki = Pki::new();
    for proto in [Proto::Imap, Proto::Smtp] {
        let spec = ServerSpec::new(proto, Transport::Starttls)
            .misbehave(Misbehaviour::PlaintextAfterStarttls);
        let run = run_case(&pki, spec, "5s");
        assert_eq!(run.code, 2, "{proto:?}");
        let report = run.report();
        assert_eq!(codes(&report)[0], "starttls.unexpected_plaintext");
        assert!(report["facts"]["unexpected_plaintext"]
            .as_str()
            .expect("text")
            .contains("injected"));
        // The injected line was not taken as a reply inside TLS.
        let transcript = report["facts"]["transcript"]["lines"]
            .as_array()
            .expect("lines");
        assert!(transcript
            .iter()
            .all(|l| !l["text"].as_str().unwrap_or("").contains("injected")));
        assert_eq!(report["facts"]["tls"]["version"], "TLSv1.3");
    }
}

#[test]
fn refused_connection_is_could_not_check() {
    // Bind and drop a listener to get a port where nothing listens.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("port")
        .port();
    let run = mailtls(&["check", &format!("imaps://127.0.0.1:{port}"), "-f", "json"]);
    assert_eq!(run.code, 3);
    assert_eq!(run.codes(), ["net.connection_refused"]);
    assert_eq!(run.report()["verdict"], "unknown");
}

#[test]
fn transcript_shows_the_dialogue_and_no_credentials() {
    let pki = Pki::new();
    let server = pki.start(ServerSpec::new(Proto::Smtp, Transport::Starttls));
    let url = url_for(&server, Proto::Smtp, Transport::Starttls);
    let root = pki.root.to_str().expect("path");
    let run = mailtls(&[
        "check",
        &url,
        "--sni",
        "mail.test",
        "--ca-file",
        root,
        "--transcript",
        "--ehlo-name",
        "client.test",
    ]);
    assert_eq!(run.code, 0, "{}", run.stdout);
    for expected in [
        "C: EHLO client.test",
        "C: STARTTLS",
        "S: 220 2.0.0 Ready to start TLS",
        "C: (TLS) EHLO client.test",
        "C: (TLS) QUIT",
    ] {
        assert!(
            run.stdout.contains(expected),
            "missing {expected:?} in\n{}",
            run.stdout
        );
    }
    for client_line in run
        .stdout
        .lines()
        .filter(|l| l.trim_start().starts_with("C:"))
    {
        assert!(
            !client_line.contains("AUTH") && !client_line.contains("PASS"),
            "{client_line}"
        );
    }
}

#[test]
fn human_report_is_plain_when_piped_and_leads_with_the_verdict() {
    let pki = Pki::new();
    let server =
        pki.start(ServerSpec::new(Proto::Imap, Transport::ImplicitTls).cert(CertCase::Expired));
    let url = url_for(&server, Proto::Imap, Transport::ImplicitTls);
    let root = pki.root.to_str().expect("path");
    let run = mailtls(&["check", &url, "--sni", "mail.test", "--ca-file", root]);
    assert_eq!(run.code, 2);
    assert!(!run.stdout.contains('\u{1b}'), "no colour when piped");
    let mut lines = run.stdout.lines();
    assert!(lines.next().expect("first").ends_with("CRITICAL"));
    let headline = lines.next().expect("headline");
    assert!(
        headline.contains("could not be verified") && headline.contains("expired"),
        "{headline}"
    );
    // The helpdesk's three sentences come first: will it work, why not, what to change.
    let what_to_do = lines.next().expect("third line");
    assert!(
        what_to_do.trim_start().starts_with("What to do: Renew"),
        "{what_to_do}"
    );
    assert!(run.stdout.contains("cert.expired") && run.stdout.contains("Fix:"));
    assert!(
        run.stdout.contains("by store: Mozilla: no"),
        "{}",
        run.stdout
    );
}

#[test]
fn several_targets_keep_their_order_and_the_worst_exit_code() {
    let pki = Pki::new();
    let good = pki.start(ServerSpec::new(Proto::Imap, Transport::ImplicitTls));
    let expired =
        pki.start(ServerSpec::new(Proto::Pop3, Transport::ImplicitTls).cert(CertCase::Expired));
    let silent = pki.start(
        ServerSpec::new(Proto::Smtp, Transport::ImplicitTls).misbehave(Misbehaviour::Silent),
    );
    let urls = [
        url_for(&silent, Proto::Smtp, Transport::ImplicitTls),
        url_for(&good, Proto::Imap, Transport::ImplicitTls),
        url_for(&expired, Proto::Pop3, Transport::ImplicitTls),
    ];
    let root = pki.root.to_str().expect("path");
    let mut args = vec![
        "check",
        "--sni",
        "mail.test",
        "--ca-file",
        root,
        "-f",
        "json",
        "--timeout",
        "1s",
    ];
    args.extend(urls.iter().map(String::as_str));
    let run = mailtls(&args);
    let doc = run.json();
    let reports = doc["reports"].as_array().expect("reports");
    let inputs: Vec<_> = reports
        .iter()
        .map(|r| r["facts"]["target"]["input"].as_str().expect("input"))
        .collect();
    assert_eq!(inputs, urls.iter().map(String::as_str).collect::<Vec<_>>());
    let verdicts: Vec<_> = reports
        .iter()
        .map(|r| r["verdict"].as_str().expect("verdict"))
        .collect();
    assert_eq!(verdicts, ["unknown", "ok", "critical"]);
    assert_eq!(run.code, 2, "critical outranks unknown");
    assert_eq!(doc["summary"]["total"], 3);
}

#[test]
fn usage_errors_are_one_line_and_exit_3() {
    for args in [
        vec!["check", "mail.example.org:10993"],
        vec!["check", "mail.example.org"],
        vec!["check", "gopher://mail.example.org"],
        vec!["check", "--timeout", "soon", "h:993"],
        vec!["check", "h:993", "--ca-file", "/nonexistent/root.pem"],
    ] {
        let run = mailtls(&args);
        assert_eq!(run.code, 3, "{args:?}: {}", run.stderr);
        assert!(run.stdout.is_empty(), "{args:?}");
        let first = run.stderr.lines().next().unwrap_or("");
        assert!(!first.is_empty(), "{args:?}");
    }
    let run = mailtls(&["check", "mail.example.org:10993"]);
    assert_eq!(run.stderr.lines().count(), 1, "{}", run.stderr);
    assert!(run.stderr.contains("--protocol"));
}

#[test]
fn help_documents_exit_codes() {
    let run = mailtls(&["--help"]);
    assert_eq!(run.code, 0);
    assert!(run.stdout.contains("3  unknown"), "{}", run.stdout);
}

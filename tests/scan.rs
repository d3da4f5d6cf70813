//! `mailtls scan`: every mail port classified, and the settings for users.

mod common;

use common::{mailtls, Pki};
use mailtls_testkit::{CertCase, Proto, ServerSpec, Transport};

#[test]
fn scan_classifies_every_port_and_recommends_settings() {
    let pki = Pki::new();
    let imaps = pki.start(ServerSpec::new(Proto::Imap, Transport::ImplicitTls));
    let imap = pki.start(ServerSpec::new(Proto::Imap, Transport::Starttls));
    // "995" greets in plaintext but offers STLS: a misconfigured port, still usable with STARTTLS.
    let pop3s = pki.start(ServerSpec::new(Proto::Pop3, Transport::Starttls));
    let pop3 = pki.start(ServerSpec::new(Proto::Pop3, Transport::PlaintextOnly));
    let smtps =
        pki.start(ServerSpec::new(Proto::Smtp, Transport::ImplicitTls).cert(CertCase::Expired));
    let submission = pki.start(ServerSpec::new(Proto::Smtp, Transport::Starttls));
    let sieve = pki.start(ServerSpec::new(Proto::Sieve, Transport::Starttls));
    let nothing = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("free port")
        .port();
    let map = |standard: u16, port: u16| format!("{standard}={port}");
    let maps = [
        map(993, imaps.port()),
        map(143, imap.port()),
        map(995, pop3s.port()),
        map(110, pop3.port()),
        map(465, smtps.port()),
        map(587, submission.port()),
        map(25, nothing),
        map(4190, sieve.port()),
    ];
    let root = pki.root.to_str().expect("path");
    let mut args = vec![
        "scan",
        "127.0.0.1",
        "--sni",
        "mail.test",
        "--ca-file",
        root,
        "-f",
        "json",
        "--timeout",
        "3s",
    ];
    for m in &maps {
        args.extend(["--port-map", m.as_str()]);
    }
    let run = mailtls(&args);
    let doc = run.json();
    let answers: Vec<(u64, &str)> = doc["ports"]
        .as_array()
        .expect("ports")
        .iter()
        .map(|p| {
            (
                p["standard_port"].as_u64().expect("port"),
                p["answer"].as_str().expect("answer"),
            )
        })
        .collect();
    assert_eq!(
        answers,
        [
            (993, "implicit_tls"),
            (143, "starttls"),
            (995, "starttls"),
            (110, "plaintext_only"),
            (465, "implicit_tls"),
            (587, "starttls"),
            (25, "nothing"),
            (4190, "starttls"),
        ]
    );
    let settings: Vec<(&str, &str, u64, &str)> = doc["settings"]
        .as_array()
        .expect("settings")
        .iter()
        .map(|s| {
            (
                s["role"].as_str().expect("role"),
                s["protocol"].as_str().expect("protocol"),
                s["port"].as_u64().expect("port"),
                s["security"].as_str().expect("security"),
            )
        })
        .collect();
    assert_eq!(
        settings,
        [
            ("incoming", "imap", u64::from(imaps.port()), "SSL/TLS"),
            ("incoming", "pop3", u64::from(pop3s.port()), "STARTTLS"),
            // SMTPS has an expired certificate: submission with STARTTLS is the working choice.
            ("outgoing", "smtp", u64::from(submission.port()), "STARTTLS"),
            ("filters", "sieve", u64::from(sieve.port()), "STARTTLS"),
        ]
    );
    assert_eq!(
        run.code, 2,
        "the expired SMTPS certificate and plaintext-only POP3 are critical"
    );

    // The human form: a table, then the settings in mail-client words.
    let mut human = args.clone();
    human.retain(|a| *a != "-f" && *a != "json");
    let run = mailtls(&human);
    assert!(
        run.stdout.contains("Settings for mail clients"),
        "{}",
        run.stdout
    );
    assert!(run.stdout.contains("Incoming mail (IMAP)") && run.stdout.contains("security SSL/TLS"));
    assert!(run.stdout.contains("plaintext only"));
}

#[test]
fn a_host_where_nothing_answers_could_not_be_checked() {
    let free = || {
        std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .expect("port")
            .port()
    };
    let mut maps = Vec::new();
    for standard in [993, 143, 995, 110, 465, 587, 25, 4190] {
        maps.push(format!("{standard}={}", free()));
    }
    let mut args = vec!["scan", "127.0.0.1", "-f", "json", "--timeout", "2s"];
    for m in &maps {
        args.extend(["--port-map", m.as_str()]);
    }
    let run = mailtls(&args);
    assert_eq!(run.code, 3);
    assert!(run.json()["settings"]
        .as_array()
        .expect("settings")
        .is_empty());
}

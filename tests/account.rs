//! `mailtls account`: discovery through a real DNS server (Debian's dnsmasq on
//! a loopback high port, serving a test zone), every endpoint checked against
//! test servers, the settings and the disagreements. Only 127.0.0.1 is asked
//! or contacted: every run passes `--dns-server`.
//!
//! Without dnsmasq the tests are skipped with a printed reason, unless `CI` is
//! set: then they fail (`.ci/install-servers.sh` installs it).

mod common;

use std::net::{TcpListener, UdpSocket};
use std::time::{Duration, Instant};

use common::dns::Dns;
use common::{account_args, account_json, codes, mailtls, Pki};
use mailtls_testkit::{Proto, ServerSpec, Transport};
use serde_json::Value;

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("free port")
        .port()
}

fn srv(service: &str, domain: &str, target: &str, port: u16, priority: u16) -> String {
    format!("--srv-host={service}.{domain},{target},{port},{priority},1")
}

fn endpoints(doc: &Value) -> Vec<(String, u64, String, String)> {
    doc["endpoints"]
        .as_array()
        .expect("endpoints")
        .iter()
        .map(|e| {
            (
                format!(
                    "{}:{}",
                    e["endpoint"]["host"].as_str().expect("host"),
                    e["endpoint"]["source"].as_str().expect("source")
                ),
                e["endpoint"]["port"].as_u64().expect("port"),
                e["answer"].as_str().expect("answer").to_owned(),
                e["verdict"].as_str().expect("verdict").to_owned(),
            )
        })
        .collect()
}

/// Each endpoint's host and source, and its port.
fn named_ports(doc: &Value) -> Vec<(String, u64)> {
    endpoints(doc)
        .into_iter()
        .map(|(who, port, _, _)| (who, port))
        .collect()
}

#[test]
fn srv_records_are_followed_checked_and_their_disagreements_flagged() {
    let pki = Pki::new();
    let named = |proto, transport| ServerSpec::new(proto, transport).name("mail.example.test");
    let imaps = pki.start(named(Proto::Imap, Transport::ImplicitTls));
    let imap = pki.start(named(Proto::Imap, Transport::Starttls));
    let submission = pki.start(named(Proto::Smtp, Transport::Starttls));
    // The SRV record names smtp.example.test, whose certificate is for another name.
    let submissions = pki
        .start(ServerSpec::new(Proto::Smtp, Transport::ImplicitTls).name("elsewhere.example.net"));
    let nothing = free_port();
    let domain = "example.test";
    let records = [
        // STARTTLS ranks ahead of a working SSL/TLS endpoint.
        srv("_imaps._tcp", domain, "mail.example.test", imaps.port(), 10),
        srv("_imap._tcp", domain, "mail.example.test", imap.port(), 0),
        // Published, but nothing answers there.
        srv("_pop3s._tcp", domain, "mail.example.test", nothing, 0),
        srv(
            "_submissions._tcp",
            domain,
            "smtp.example.test",
            submissions.port(),
            0,
        ),
        srv(
            "_submission._tcp",
            domain,
            "mail.example.test",
            submission.port(),
            10,
        ),
        "--host-record=mail.example.test,127.0.0.1".to_owned(),
        "--host-record=smtp.example.test,127.0.0.1".to_owned(),
    ];
    let Some(dns) = Dns::start(&records) else {
        return;
    };
    let server = dns.server();
    let args = ["alice@example.test", "--timeout", "5s"];
    let (run, typed) = account_json(&server, Some(&pki), &args);
    let doc = run.account();
    let typed = typed.accounts.into_iter().next().expect("one account");
    assert_eq!(typed.endpoints.len(), 5);
    let mail = |source: &str| format!("mail.example.test:srv:{source}");
    let row = |who: String, port: u16, answer: &str, verdict: &str| {
        (who, u64::from(port), answer.to_owned(), verdict.to_owned())
    };
    assert_eq!(
        endpoints(&doc),
        [
            row(mail("_imaps._tcp"), imaps.port(), "implicit_tls", "ok"),
            row(mail("_imap._tcp"), imap.port(), "starttls", "ok"),
            row(mail("_pop3s._tcp"), nothing, "nothing", "unknown"),
            row(
                "smtp.example.test:srv:_submissions._tcp".to_owned(),
                submissions.port(),
                "implicit_tls",
                "critical"
            ),
            row(
                mail("_submission._tcp"),
                submission.port(),
                "starttls",
                "ok"
            ),
        ],
        "{}",
        run.stdout
    );
    let settings: Vec<(&str, &str, &str, u64, &str, &str)> = doc["settings"]
        .as_array()
        .expect("settings")
        .iter()
        .map(|s| {
            (
                s["role"].as_str().expect("role"),
                s["protocol"].as_str().expect("protocol"),
                s["server"].as_str().expect("server"),
                s["port"].as_u64().expect("port"),
                s["security"].as_str().expect("security"),
                s["source"].as_str().expect("source"),
            )
        })
        .collect();
    assert_eq!(
        settings,
        [
            (
                "incoming",
                "imap",
                "mail.example.test",
                u64::from(imaps.port()),
                "SSL/TLS",
                "srv:_imaps._tcp"
            ),
            // SMTPS's certificate is for another name: submission with STARTTLS works.
            (
                "outgoing",
                "smtp",
                "mail.example.test",
                u64::from(submission.port()),
                "STARTTLS",
                "srv:_submission._tcp"
            ),
        ]
    );
    let mut found = codes(&doc);
    found.sort();
    assert_eq!(
        found,
        [
            "account.endpoint_unreachable",
            "account.srv_target_name_mismatch",
            "account.starttls_where_tls_works",
        ]
    );
    assert_eq!(run.code, 2, "the SMTPS certificate's name is critical");
    assert_eq!(doc["exit_code"], 2);

    // The human form: where each setting came from, and the disagreements.
    let run = mailtls(&account_args(&server, Some(&pki), &args));
    let out = &run.stdout;
    assert!(out.contains("Settings for mail clients"), "{out}");
    assert!(
        out.contains(&format!(
            "server mail.example.test  port {:<5} security SSL/TLS  from srv:_imaps._tcp",
            imaps.port()
        )),
        "{out}"
    );
    assert!(out.contains("account.starttls_where_tls_works"), "{out}");
    assert!(out.contains("_imap._tcp.example.test"), "{out}");
    assert_eq!(run.code, 2);
}

#[test]
fn without_srv_records_thunderbirds_guesses_that_resolve_are_used() {
    // Only imap.guess.test resolves; nothing answers at its standard ports on 127.0.0.1.
    let Some(dns) = Dns::start(&["--host-record=imap.guess.test,127.0.0.1".to_owned()]) else {
        return;
    };
    let server = dns.server();
    let (run, _) = account_json(&server, None, &["guess.test", "--timeout", "3s"]);
    let doc = run.account();
    assert_eq!(
        named_ports(&doc),
        [
            ("imap.guess.test:guess".to_owned(), 993),
            ("imap.guess.test:guess".to_owned(), 143)
        ],
        "{}",
        run.stdout
    );
    assert_eq!(doc["discovery"]["guessed"], true);
    let lookups: Vec<(&str, &str)> = doc["discovery"]["lookups"]
        .as_array()
        .expect("lookups")
        .iter()
        .map(|l| {
            (
                l["name"].as_str().expect("name"),
                l["answer"]["outcome"].as_str().expect("outcome"),
            )
        })
        .collect();
    assert!(lookups.contains(&("_imaps._tcp.guess.test", "no_records")));
    assert!(lookups.contains(&("imap.guess.test", "found")));
    assert!(lookups.contains(&("mail.guess.test", "no_records")));
    assert_eq!(codes(&doc), ["account.nothing_published"]);
    assert_eq!(run.code, 3, "nothing answers");

    // --no-guess: no endpoint at all.
    let args = ["alice@guess.test", "--no-guess", "--timeout", "3s"];
    let (run, _) = account_json(&server, None, &args);
    let doc = run.account();
    assert!(endpoints(&doc).is_empty());
    assert_eq!(codes(&doc), ["account.nothing_published"]);
    assert_eq!(run.code, 3);
}

#[test]
fn a_protocol_published_only_for_starttls_is_also_tried_at_its_tls_port() {
    let pki = Pki::new();
    let imap = pki.start(ServerSpec::new(Proto::Imap, Transport::Starttls).name("mail.alone.test"));
    let records = [
        srv(
            "_imap._tcp",
            "alone.test",
            "mail.alone.test",
            imap.port(),
            0,
        ),
        "--host-record=mail.alone.test,127.0.0.1".to_owned(),
    ];
    let Some(dns) = Dns::start(&records) else {
        return;
    };
    let args = ["bob@alone.test", "--timeout", "3s"];
    let (run, _) = account_json(&dns.server(), Some(&pki), &args);
    let doc = run.account();
    assert_eq!(
        named_ports(&doc),
        [
            (
                "mail.alone.test:srv:_imap._tcp".to_owned(),
                u64::from(imap.port())
            ),
            ("mail.alone.test:alongside:_imap._tcp".to_owned(), 993),
        ],
        "{}",
        run.stdout
    );
    // Whatever 127.0.0.1:993 is on this machine, the published STARTTLS endpoint works.
    assert_eq!(doc["endpoints"][0]["answer"], "starttls");
    assert_eq!(doc["settings"][0]["protocol"], "imap");
    assert!(codes(&doc)
        .iter()
        .all(|c| c != "account.endpoint_unreachable" && c != "account.nothing_published"));
}

#[test]
fn a_word_that_is_no_address_is_a_usage_error() {
    let run = mailtls(&["account", "not an address", "--dns-server", "127.0.0.1:9"]);
    assert_eq!(run.code, 3);
    assert!(
        run.stderr.contains("neither an e-mail address"),
        "{}",
        run.stderr
    );
}

#[test]
fn a_silent_name_server_costs_no_more_than_the_timeout() {
    // Bound but never read: every question goes unanswered.
    let silent = UdpSocket::bind("127.0.0.1:0").expect("udp socket");
    let server = silent.local_addr().expect("address").to_string();
    let started = Instant::now();
    let (run, _) = account_json(&server, None, &["alice@example.test", "--timeout", "2s"]);
    let took = started.elapsed();
    assert!(took < Duration::from_secs(5), "took {took:?}");
    let doc = run.account();
    assert_eq!(doc["discovery"]["timed_out"], true, "{}", run.stdout);
    assert!(endpoints(&doc).is_empty());
    assert!(
        codes(&doc).is_empty(),
        "failed questions are not \"nothing published\""
    );
    assert_eq!(run.code, 3);
}

#[test]
fn every_address_of_an_endpoint_is_checked_and_a_dead_one_is_named() {
    let pki = Pki::new();
    let imaps =
        pki.start(ServerSpec::new(Proto::Imap, Transport::ImplicitTls).name("mail.twice.test"));
    // The server listens on 127.0.0.1 only; the name's second address,
    // 127.0.0.3, has nothing at that port.
    let records = [
        srv(
            "_imaps._tcp",
            "twice.test",
            "mail.twice.test",
            imaps.port(),
            0,
        ),
        "--host-record=mail.twice.test,127.0.0.1".to_owned(),
        "--host-record=mail.twice.test,127.0.0.3".to_owned(),
    ];
    let Some(dns) = Dns::start(&records) else {
        return;
    };
    let args = [
        "carol@twice.test",
        "--no-guess",
        "--offline",
        "--timeout",
        "5s",
    ];
    let (run, _) = account_json(&dns.server(), Some(&pki), &args);
    let doc = run.account();
    let endpoint = doc["endpoints"]
        .as_array()
        .and_then(|all| all.iter().find(|e| e["endpoint"]["port"] == imaps.port()))
        .unwrap_or_else(|| panic!("the SRV endpoint: {}", run.stdout))
        .clone();
    assert_eq!(
        endpoint["addresses"].as_array().map(Vec::len),
        Some(2),
        "{endpoint:#}"
    );
    let mut all = vec![endpoint["report"].clone()];
    all.extend(
        endpoint["address_reports"]
            .as_array()
            .cloned()
            .unwrap_or_default(),
    );
    assert_eq!(all.len(), 2, "one report per address: {endpoint:#}");
    let connected: Vec<String> = all
        .iter()
        .map(|r| {
            r["facts"]["connected_to"]
                .as_str()
                .unwrap_or("-")
                .to_owned()
        })
        .collect();
    let refused = all
        .iter()
        .find(|r| r["facts"]["connected_to"].is_null())
        .unwrap_or_else(|| panic!("one address refuses: {connected:?}"));
    let refused_codes = codes(refused);
    assert!(
        refused_codes.iter().any(|c| c.starts_with("net.")),
        "{refused_codes:?}"
    );
    assert!(
        all.iter()
            .any(|r| codes(r).contains(&"dns.addresses_differ".to_owned())),
        "the addresses are compared"
    );
    // The endpoint's verdict is its worst address's.
    assert_ne!(endpoint["verdict"], "ok", "{endpoint:#}");
    assert_ne!(run.code, 0);
}

#[test]
fn an_srv_record_at_port_0_is_named_and_not_checked() {
    let pki = Pki::new();
    let imaps =
        pki.start(ServerSpec::new(Proto::Imap, Transport::ImplicitTls).name("mail.zero.test"));
    let records = [
        srv(
            "_imaps._tcp",
            "zero.test",
            "mail.zero.test",
            imaps.port(),
            0,
        ),
        srv("_submission._tcp", "zero.test", "mail.zero.test", 0, 0),
        "--host-record=mail.zero.test,127.0.0.1".to_owned(),
    ];
    let Some(dns) = Dns::start(&records) else {
        return;
    };
    let args = [
        "dave@zero.test",
        "--no-guess",
        "--offline",
        "--timeout",
        "5s",
    ];
    let (run, _) = account_json(&dns.server(), Some(&pki), &args);
    let doc = run.account();
    assert_eq!(
        named_ports(&doc),
        [(
            "mail.zero.test:srv:_imaps._tcp".to_owned(),
            u64::from(imaps.port())
        )],
        "{}",
        run.stdout
    );
    let zero = &doc["discovery"]["port_zero"];
    assert_eq!(zero[0]["source"], "srv:_submission._tcp", "{zero:#}");
    assert_eq!(zero[0]["port"], 0);
    assert_eq!(codes(&doc), ["account.port_zero"]);
    let finding = &doc["findings"][0];
    assert_eq!(
        finding["message"],
        "The SRV record _submission._tcp.zero.test names port 0 of mail.zero.test, which is no port: no client can connect to it, so it was not checked."
    );
    assert!(finding["fix"]
        .as_str()
        .is_some_and(|f| f.contains("_submission._tcp.zero.test. SRV 0 1 587 mail.zero.test.")));
    assert_eq!(run.code, 1, "a warning: {}", run.stdout);

    let run = mailtls(&account_args(&dns.server(), Some(&pki), &args));
    let line = run
        .stdout
        .lines()
        .find(|l| l.contains("_submission._tcp.zero.test"))
        .unwrap_or_default();
    assert!(
        line.ends_with(" 1 found, 1 at port 0 (no port: not checked)"),
        "{}",
        run.stdout
    );
    assert!(!run.stdout.contains("mail.zero.test:0"), "{}", run.stdout);
}

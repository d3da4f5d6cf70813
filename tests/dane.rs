//! `check --dane`: TLSA records served by a real authoritative server (NSD on
//! 127.0.0.1, zones signed by ldns in the test), validated by mailtls's own
//! resolver from the test zone's key (`--trust-anchor`), against the test
//! kit's SMTP STARTTLS servers on port 25 of their own loopback addresses.
//! Only loopback is contacted.

mod common;

use std::net::SocketAddr;

use common::dns::Dns;
use common::nsd::{hex, smtp_at, spki_sha256, Nsd, Zone};
use common::{mailtls, Pki, Run};
use mailtls_testkit::{CertCase, Proto, ServerSpec, TestServer, Transport};
use rustls_pki_types::CertificateDer;
use serde_json::Value;

/// The data of a `2 0 1` record: SHA-256 of the whole certificate.
fn cert_sha256(der: &CertificateDer<'_>) -> String {
    hex(aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA256, der).as_ref())
}

fn check_dane(pki: &Pki, nsd: &Nsd, host: &str, address: &str) -> Run {
    check_dane_via(pki, &nsd.server(), nsd.anchor(), host, address)
}

/// `check --dane` asking the DNS server `server`, trusting `anchor`.
fn check_dane_via(pki: &Pki, server: &str, anchor: &str, host: &str, address: &str) -> Run {
    let resolve = format!("{host}:{address}");
    let url = format!("smtp://{host}:25");
    mailtls(&[
        "check",
        &url,
        "--dane",
        "--dns-server",
        server,
        "--trust-anchor",
        anchor,
        "--resolve",
        &resolve,
        "--ca-file",
        pki.root.to_str().expect("utf-8"),
        "--timeout",
        "10s",
        "-f",
        "json",
    ])
}

fn finding(report: &Value, code: &str) -> Option<Value> {
    report["findings"]
        .as_array()?
        .iter()
        .find(|f| f["code"] == code)
        .cloned()
}

fn dane_codes(run: &Run) -> Vec<String> {
    run.codes()
        .into_iter()
        .filter(|c| c.starts_with("dane."))
        .collect()
}

#[test]
fn a_rollover_in_progress_authenticates_and_names_the_next_key() {
    let pki = Pki::new();
    let server = smtp_at(&pki, "mx.roll.test", "127.0.18.1");
    let current = spki_sha256(&server.chain()[0]);
    // A key the server does not serve yet: the next one.
    let next = spki_sha256(&pki.pki.server_cert(CertCase::Good, "mx.roll.test").chain[0]);
    assert_ne!(current, next);
    let Some(nsd) = Nsd::start(&[Zone::signed(
        "roll.test",
        &[
            "mx IN A 127.0.18.1".to_owned(),
            format!("_25._tcp.mx IN TLSA 3 1 1 {current}"),
            format!("_25._tcp.mx IN TLSA 3 1 1 {next}"),
        ],
    )]) else {
        return;
    };
    let run = check_dane(&pki, &nsd, "mx.roll.test", "127.0.18.1");
    assert_eq!(
        dane_codes(&run),
        ["dane.unmatched_record", "dane.authenticated"],
        "{}",
        run.stdout
    );
    assert_eq!(run.code, 0, "{}", run.stdout);
    let report = run.report();
    let dane = &report["facts"]["dane"];
    assert_eq!(dane["dnssec"], "secure");
    assert_eq!(dane["leaf_spki_sha256"], current.as_str());
    let unmatched = finding(&report, "dane.unmatched_record").expect("rollover");
    assert!(
        unmatched["message"]
            .as_str()
            .is_some_and(|m| m.contains(&next[..16])),
        "{unmatched}"
    );
}

#[test]
fn a_dane_ta_record_for_the_intermediate_authenticates() {
    let pki = Pki::new();
    let server = smtp_at(&pki, "mx.ta.test", "127.0.18.2");
    let intermediate = cert_sha256(&server.chain()[1]);
    let Some(nsd) = Nsd::start(&[Zone::signed(
        "ta.test",
        &[
            "mx IN A 127.0.18.2".to_owned(),
            format!("_25._tcp.mx IN TLSA 2 0 1 {intermediate}"),
            // PKIX usages are not for SMTP (RFC 7672 section 3.1.3).
            format!("_25._tcp.mx IN TLSA 1 0 1 {intermediate}"),
        ],
    )]) else {
        return;
    };
    let run = check_dane(&pki, &nsd, "mx.ta.test", "127.0.18.2");
    assert_eq!(
        dane_codes(&run),
        ["dane.unusable_record", "dane.authenticated"],
        "{}",
        run.stdout
    );
}

#[test]
fn records_that_match_nothing_served_are_critical_with_the_record_to_publish() {
    let pki = Pki::new();
    let server = smtp_at(&pki, "mx.stale.test", "127.0.18.3");
    let served = spki_sha256(&server.chain()[0]);
    let old = spki_sha256(&pki.pki.server_cert(CertCase::Good, "mx.stale.test").chain[0]);
    let Some(nsd) = Nsd::start(&[Zone::signed(
        "stale.test",
        &[
            "mx IN A 127.0.18.3".to_owned(),
            format!("_25._tcp.mx IN TLSA 3 1 1 {old}"),
        ],
    )]) else {
        return;
    };
    let run = check_dane(&pki, &nsd, "mx.stale.test", "127.0.18.3");
    assert_eq!(dane_codes(&run), ["dane.no_match"], "{}", run.stdout);
    assert_eq!(run.code, 2);
    let found = finding(&run.report(), "dane.no_match").expect("no_match");
    assert_eq!(found["severity"], "critical");
    assert!(
        found["fix"].as_str().is_some_and(|f| f.contains(&format!(
            "_25._tcp.mx.stale.test. IN TLSA 3 1 1 {served}"
        ))),
        "{found}"
    );
}

#[test]
fn a_record_altered_after_signing_is_bogus() {
    let pki = Pki::new();
    let server = smtp_at(&pki, "mx.bogus.test", "127.0.18.4");
    let served = spki_sha256(&server.chain()[0]);
    let other = spki_sha256(&pki.pki.server_cert(CertCase::Good, "mx.bogus.test").chain[0]);
    let mut zone = Zone::signed(
        "bogus.test",
        &[
            "mx IN A 127.0.18.4".to_owned(),
            format!("_25._tcp.mx IN TLSA 3 1 1 {other}"),
        ],
    );
    // The record is changed to the served key after signing: it would match,
    // but its signature is for the old data.
    zone.tamper = Some((other, served));
    let Some(nsd) = Nsd::start(&[zone]) else {
        return;
    };
    let run = check_dane(&pki, &nsd, "mx.bogus.test", "127.0.18.4");
    assert_eq!(dane_codes(&run), ["dane.bogus"], "{}", run.stdout);
    assert_eq!(run.report()["facts"]["dane"]["dnssec"], "bogus");
    assert_eq!(run.code, 2);
}

#[test]
fn a_dns_server_that_strips_signatures_is_not_a_bogus_zone() {
    let pki = Pki::new();
    let server = smtp_at(&pki, "mx.strip.test", "127.0.18.15");
    let key = spki_sha256(&server.chain()[0]);
    let Some(nsd) = Nsd::start(&[Zone::signed(
        "strip.test",
        &[
            "mx IN A 127.0.18.15".to_owned(),
            format!("_25._tcp.mx IN TLSA 3 1 1 {key}"),
        ],
    )]) else {
        return;
    };
    // Asked directly, the zone validates and the record authenticates.
    let direct = check_dane(&pki, &nsd, "mx.strip.test", "127.0.18.15");
    assert_eq!(
        dane_codes(&direct),
        ["dane.authenticated"],
        "{}",
        direct.stdout
    );
    // Through a forwarder that passes no signatures on, every answer fails
    // validation: that is the forwarder's doing, not the zone's.
    let Some(forwarder) = Dns::stripping_forwarder_to(&nsd.server()) else {
        return;
    };
    let run = check_dane_via(
        &pki,
        &forwarder.server(),
        nsd.anchor(),
        "mx.strip.test",
        "127.0.18.15",
    );
    let codes = run.codes();
    assert!(
        codes.iter().any(|c| c == "dns.dnssec_unavailable"),
        "{}",
        run.stdout
    );
    assert!(dane_codes(&run).is_empty(), "{}", run.stdout);
    let report = run.report();
    let dane = &report["facts"]["dane"];
    assert_eq!(dane["dnssec"], "indeterminate", "{dane}");
    assert!(
        dane["unvalidatable"]
            .as_str()
            .is_some_and(|why| why.contains(&forwarder.server())),
        "{dane}"
    );
    // Unknown, not critical: nothing is known of the zone.
    assert_eq!(run.code, 3, "{}", run.stdout);
}

#[test]
fn an_unsigned_zone_is_insecure_not_dane() {
    let pki = Pki::new();
    let server = smtp_at(&pki, "mx.plain.signed.test", "127.0.18.5");
    let served = spki_sha256(&server.chain()[0]);
    // plain.signed.test is delegated from the signed parent without a DS record.
    let Some(nsd) = Nsd::start(&[
        Zone::signed("signed.test", &["plain IN NS ns.signed.test.".to_owned()]),
        Zone::unsigned(
            "plain.signed.test",
            &[
                "mx IN A 127.0.18.5".to_owned(),
                format!("_25._tcp.mx IN TLSA 3 1 1 {served}"),
            ],
        ),
    ]) else {
        return;
    };
    let run = check_dane(&pki, &nsd, "mx.plain.signed.test", "127.0.18.5");
    assert_eq!(dane_codes(&run), ["dane.insecure"], "{}", run.stdout);
    let report = run.report();
    assert_eq!(report["facts"]["dane"]["dnssec"], "insecure");
    assert_eq!(
        finding(&report, "dane.insecure").expect("insecure")["severity"],
        "warning"
    );
}

#[test]
fn a_delegation_whose_ds_names_another_key_is_bogus() {
    let pki = Pki::new();
    let server = smtp_at(&pki, "mx.wrongds.test", "127.0.18.6");
    let served = spki_sha256(&server.chain()[0]);
    let mut zone = Zone::signed(
        "wrongds.test",
        &[format!("_25._tcp.mx IN TLSA 3 1 1 {served}")],
    );
    // The parent vouches for a key the zone does not sign with.
    zone.ds_mismatch = true;
    let Some(nsd) = Nsd::start(&[zone]) else {
        return;
    };
    let run = check_dane(&pki, &nsd, "mx.wrongds.test", "127.0.18.6");
    assert_eq!(dane_codes(&run), ["dane.bogus"], "{}", run.stdout);
    assert_eq!(run.code, 2);
}

#[test]
fn a_root_signed_with_another_key_than_the_anchor_validates_nothing() {
    let pki = Pki::new();
    let server = smtp_at(&pki, "mx.anchor.test", "127.0.18.8");
    let served = spki_sha256(&server.chain()[0]);
    let Some(nsd) = Nsd::start(&[Zone::signed(
        "anchor.test",
        &[format!("_25._tcp.mx IN TLSA 3 1 1 {served}")],
    )]) else {
        return;
    };
    // Another test root's key-signing key as the anchor.
    let Some(stranger) = Nsd::start(&[]) else {
        return;
    };
    let run = mailtls(&[
        "check",
        "smtp://mx.anchor.test:25",
        "--dane",
        "--dns-server",
        &nsd.server(),
        "--trust-anchor",
        stranger.anchor(),
        "--resolve",
        "mx.anchor.test:127.0.18.8",
        "--ca-file",
        pki.root.to_str().expect("utf-8"),
        "-f",
        "json",
    ]);
    // The served root is signed with a key that is not the anchor: nothing
    // validates through this server, which says nothing of anchor.test.
    assert!(dane_codes(&run).is_empty(), "{}", run.stdout);
    let unavailable = finding(&run.report(), "dns.dnssec_unavailable").expect("finding");
    assert!(
        unavailable["message"]
            .as_str()
            .is_some_and(|m| m.contains("other keys than the anchor's")),
        "{unavailable}"
    );
    assert_eq!(run.code, 3, "{}", run.stdout);
    // The right anchor authenticates the same answer.
    let right = check_dane(&pki, &nsd, "mx.anchor.test", "127.0.18.8");
    assert_eq!(
        dane_codes(&right),
        ["dane.authenticated"],
        "{}",
        right.stdout
    );
}

#[test]
fn a_trust_anchor_file_without_keys_is_a_usage_error() {
    let dir = tempfile::tempdir().expect("tempdir");
    let empty = dir.path().join("anchor.key");
    std::fs::write(&empty, "; no keys here\n").expect("write");
    let run = mailtls(&[
        "check",
        "smtp://mx.none.test:25",
        "--dane",
        "--trust-anchor",
        empty.to_str().expect("utf-8"),
        // Never the system's resolver, should the order of the checks change.
        "--dns-server",
        "127.0.0.1:9",
        "--resolve",
        "mx.none.test:127.0.18.7",
    ]);
    assert_eq!(run.code, 3);
    assert!(
        run.stderr.contains("holds no usable DNSKEY record"),
        "{}",
        run.stderr
    );
}

#[test]
fn a_signed_zone_without_tlsa_records_is_a_validated_absence() {
    let pki = Pki::new();
    let _server = smtp_at(&pki, "mx.empty.test", "127.0.18.9");
    let Some(nsd) = Nsd::start(&[Zone::signed(
        "empty.test",
        &["mx IN A 127.0.18.9".to_owned()],
    )]) else {
        return;
    };
    // NODATA at a name that exists and NXDOMAIN below it, both proven by NSEC.
    let run = check_dane(&pki, &nsd, "mx.empty.test", "127.0.18.9");
    assert_eq!(dane_codes(&run), ["dane.no_records"], "{}", run.stdout);
    assert_eq!(run.report()["facts"]["dane"]["dnssec"], "secure");
    assert_eq!(run.code, 0);
}

#[test]
fn a_silent_name_server_costs_no_more_than_the_timeout() {
    let pki = Pki::new();
    let _server = smtp_at(&pki, "mx.silent.test", "127.0.18.10");
    // Takes questions and never answers.
    let silent = std::net::UdpSocket::bind("127.0.0.1:0").expect("udp");
    let dns = silent.local_addr().expect("address").to_string();
    let started = std::time::Instant::now();
    let run = mailtls(&[
        "check",
        "smtp://mx.silent.test:25",
        "--dane",
        "--dns-server",
        &dns,
        "--resolve",
        "mx.silent.test:127.0.18.10",
        "--ca-file",
        pki.root.to_str().expect("utf-8"),
        "--timeout",
        "2s",
        "-f",
        "json",
    ]);
    assert!(started.elapsed() < std::time::Duration::from_secs(8));
    assert_eq!(dane_codes(&run), ["dane.lookup_failed"], "{}", run.stdout);
    let found = finding(&run.report(), "dane.lookup_failed").expect("finding");
    assert_eq!(found["severity"], "unknown", "{found}");
}

#[test]
fn the_root_can_be_anchored_by_its_ds_record() {
    let pki = Pki::new();
    let server = smtp_at(&pki, "mx.byds.test", "127.0.18.14");
    let served = spki_sha256(&server.chain()[0]);
    let Some(nsd) = Nsd::start(&[Zone::signed(
        "byds.test",
        &[format!("_25._tcp.mx IN TLSA 3 1 1 {served}")],
    )]) else {
        return;
    };
    let run_with = |anchor: &str| {
        mailtls(&[
            "check",
            "smtp://mx.byds.test:25",
            "--dane",
            "--dns-server",
            &nsd.server(),
            "--trust-anchor",
            anchor,
            "--resolve",
            "mx.byds.test:127.0.18.14",
            "--ca-file",
            pki.root.to_str().expect("utf-8"),
            "-f",
            "json",
        ])
    };
    let ds = nsd.anchor_ds();
    let run = run_with(&ds);
    assert_eq!(dane_codes(&run), ["dane.authenticated"], "{}", run.stdout);
    // A DS whose digest names no key of the root pins nothing.
    let text = std::fs::read_to_string(&ds).expect("ds");
    let digest_start = text.trim_end().rfind(char::is_whitespace).expect("digest") + 1;
    let mut wrong = text.clone();
    let first = &text[digest_start..digest_start + 1];
    let replacement = if first == "0" { "1" } else { "0" };
    wrong.replace_range(digest_start..digest_start + 1, replacement);
    let dir = tempfile::tempdir().expect("tempdir");
    let wrong_path = dir.path().join("wrong.ds");
    std::fs::write(&wrong_path, wrong).expect("write");
    let run = run_with(wrong_path.to_str().expect("utf-8"));
    assert_eq!(dane_codes(&run), ["dane.lookup_failed"], "{}", run.stdout);
    let found = finding(&run.report(), "dane.lookup_failed").expect("finding");
    assert!(
        found["message"]
            .as_str()
            .is_some_and(|m| m.contains("matches the DS trust anchor")),
        "{found}"
    );
}

#[test]
fn account_checks_dane_at_srv_targets() {
    let pki = Pki::new();
    let bind: SocketAddr = "127.0.18.51:465".parse().expect("address");
    let server = TestServer::try_start_on(
        ServerSpec::new(Proto::Smtp, Transport::ImplicitTls).name("smtp.acct18.test"),
        &pki.pki,
        bind,
    )
    .expect("SMTPS server on port 465");
    let served = spki_sha256(&server.chain()[0]);
    let Some(nsd) = Nsd::start(&[Zone::signed(
        "acct18.test",
        &[
            "_submissions._tcp IN SRV 0 1 465 smtp.acct18.test.".to_owned(),
            "smtp IN A 127.0.18.51".to_owned(),
            format!("_465._tcp.smtp IN TLSA 3 1 1 {served}"),
        ],
    )]) else {
        return;
    };
    let run = mailtls(&[
        "account",
        "acct18.test",
        "--dns-server",
        &nsd.server(),
        "--no-guess",
        "--dane",
        "--trust-anchor",
        nsd.anchor(),
        "--ca-file",
        pki.root.to_str().expect("utf-8"),
        "-f",
        "json",
    ]);
    let doc = run.json()["accounts"][0].clone();
    let endpoints = doc["endpoints"].as_array().expect("endpoints");
    let smtps = endpoints
        .iter()
        .find(|e| e["endpoint"]["port"] == 465)
        .unwrap_or_else(|| panic!("the SRV target is checked: {}", run.stdout));
    let codes = common::codes(&smtps["report"]);
    assert!(
        codes.contains(&"dane.authenticated".to_owned()),
        "{codes:?}"
    );
    assert_eq!(
        smtps["report"]["facts"]["dane"]["name"],
        "_465._tcp.smtp.acct18.test"
    );
    // Not port 25: the words are about RFC 7673 clients, not sending servers.
    let authenticated = smtps["report"]["findings"]
        .as_array()
        .and_then(|all| all.iter().find(|f| f["code"] == "dane.authenticated"))
        .and_then(|f| f["message"].as_str())
        .unwrap_or_default()
        .to_owned();
    assert!(
        authenticated.contains("RFC 7673") && !authenticated.contains("Postfix"),
        "{authenticated}"
    );
}

//! `mailtls domain`: a domain's MX hosts, DANE, MTA-STS and TLS-RPT, from a
//! real authoritative DNS server (NSD on 127.0.0.1, the zone signed by ldns
//! in the test and its keys given as `--trust-anchor`), the test kit's SMTP
//! STARTTLS servers on port 25 of their own loopback addresses, and an
//! MTA-STS policy server on 127.0.18.x:443 with a test certificate. Only
//! loopback is contacted.

mod common;

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use common::dns::Dns;
use common::nsd::{smtp_at, spki_sha256, Distant, Nsd, Zone};
use common::{mailtls, Pki, Run};
use mailtls::report::domain::DomainDocument;
use mailtls_testkit::web::{Reply, WebServer};
use mailtls_testkit::{CertCase, Proto, ServerSpec, TestServer, Transport};

fn policy_server(pki: &Pki, domain: &str, address: &str, policy: &str) -> WebServer {
    let bind: SocketAddr = format!("{address}:443").parse().expect("address");
    let cert = pki
        .pki
        .server_cert(CertCase::Good, &format!("mta-sts.{domain}"));
    WebServer::start(
        bind,
        Some(cert),
        vec![(
            "/.well-known/mta-sts.txt",
            Reply::Document {
                content_type: "text/plain",
                body: policy.as_bytes().to_vec(),
            },
        )],
    )
    .expect("policy server on port 443")
}

fn domain(pki: &Pki, nsd: &Nsd, name: &str) -> (Run, DomainDocument) {
    domain_via(pki, &nsd.server(), nsd.anchor(), name)
}

/// `mailtls domain NAME` asking the DNS server `server`, trusting `anchor`.
fn domain_via(pki: &Pki, server: &str, anchor: &str, name: &str) -> (Run, DomainDocument) {
    domain_within(pki, server, anchor, name, "15s")
}

/// `mailtls domain NAME --timeout TIMEOUT` asking `server`, trusting `anchor`.
fn domain_within(
    pki: &Pki,
    server: &str,
    anchor: &str,
    name: &str,
    timeout: &str,
) -> (Run, DomainDocument) {
    let run = mailtls(&[
        "domain",
        name,
        "--dns-server",
        server,
        "--trust-anchor",
        anchor,
        "--ca-file",
        pki.root.to_str().expect("utf-8"),
        "--timeout",
        timeout,
        "-f",
        "json",
    ]);
    let doc: DomainDocument = serde_json::from_str(&run.stdout).unwrap_or_else(|e| {
        panic!(
            "not a domain document ({e}): {}\n{}",
            run.stdout, run.stderr
        )
    });
    assert_eq!(i32::from(doc.exit_code), run.code);
    (run, doc)
}

fn codes(findings: &[mailtls::diagnose::Finding]) -> Vec<String> {
    findings.iter().map(|f| f.code.to_string()).collect()
}

#[test]
fn an_enforced_policy_that_misses_an_mx_and_dane_per_mx() {
    let pki = Pki::new();
    let mx1 = smtp_at(&pki, "mx1.mail18.test", "127.0.18.11");
    let _mx2 = smtp_at(&pki, "mx2.mail18.test", "127.0.18.12");
    let other = spki_sha256(&pki.pki.server_cert(CertCase::Good, "mx2.mail18.test").chain[0]);
    let _web = policy_server(
        &pki,
        "mail18.test",
        "127.0.18.13",
        "version: STSv1\r\nmode: enforce\r\nmx: mx1.mail18.test\r\nmax_age: 604800\r\n",
    );
    let Some(nsd) = Nsd::start(&[Zone::signed(
        "mail18.test",
        &[
            "@ IN MX 10 mx1.mail18.test.".to_owned(),
            "@ IN MX 20 mx2.mail18.test.".to_owned(),
            "mx1 IN A 127.0.18.11".to_owned(),
            "mx2 IN A 127.0.18.12".to_owned(),
            "mta-sts IN A 127.0.18.13".to_owned(),
            format!(
                "_25._tcp.mx1 IN TLSA 3 1 1 {}",
                spki_sha256(&mx1.chain()[0])
            ),
            format!("_25._tcp.mx2 IN TLSA 3 1 1 {other}"),
            "_mta-sts IN TXT \"v=STSv1; id=2026a\"".to_owned(),
            "_smtp._tls IN TXT \"v=TLSRPTv1; rua=mailto:tls@mail18.test\"".to_owned(),
        ],
    )]) else {
        return;
    };
    let (run, doc) = domain(&pki, &nsd, "mail18.test");
    assert_eq!(doc.domain.mx.dnssec.name(), "secure");
    let hosts: Vec<(u16, &str, usize)> = doc
        .mx
        .iter()
        .map(|m| (m.preference, m.host.as_str(), m.reports.len()))
        .collect();
    assert_eq!(
        hosts,
        [(10, "mx1.mail18.test", 1), (20, "mx2.mail18.test", 1)],
        "{}",
        run.stdout
    );
    assert!(codes(&doc.mx[0].reports[0].findings).contains(&"dane.authenticated".to_owned()));
    assert!(codes(&doc.mx[1].reports[0].findings).contains(&"dane.no_match".to_owned()));
    let found = codes(&doc.findings);
    assert_eq!(
        found,
        ["mtasts.mx_not_listed", "tlsrpt.published"],
        "{}",
        run.stdout
    );
    let missing = &doc.findings[0];
    assert_eq!(missing.severity.name(), "critical");
    assert!(
        missing.message.contains("mx2.mail18.test"),
        "{}",
        missing.message
    );
    assert!(doc.findings[1].message.contains("mailto:tls@mail18.test"));
    assert_eq!(run.code, 2);
    // The policy was fetched over HTTPS and judged.
    let policy = doc.domain.mta_sts_policy.as_ref().expect("policy fetched");
    assert_eq!(policy.status, Some(200));
}

#[test]
fn through_a_dns_server_that_strips_signatures_dnssec_is_unknown_not_broken() {
    let pki = Pki::new();
    let server = smtp_at(&pki, "mx.strip18.test", "127.0.18.16");
    let key = spki_sha256(&server.chain()[0]);
    let Some(nsd) = Nsd::start(&[Zone::signed(
        "strip18.test",
        &[
            "@ IN MX 10 mx.strip18.test.".to_owned(),
            "mx IN A 127.0.18.16".to_owned(),
            format!("_25._tcp.mx IN TLSA 3 1 1 {key}"),
        ],
    )]) else {
        return;
    };
    let (run, direct) = domain(&pki, &nsd, "strip18.test");
    assert_eq!(direct.domain.mx.dnssec.name(), "secure", "{}", run.stdout);
    let Some(forwarder) = Dns::stripping_forwarder_to(&nsd.server()) else {
        return;
    };
    let (run, doc) = domain_via(&pki, &forwarder.server(), nsd.anchor(), "strip18.test");
    assert_eq!(
        doc.domain.mx.dnssec.name(),
        "indeterminate",
        "{}",
        run.stdout
    );
    let found = codes(&doc.findings);
    assert!(
        found.contains(&"dns.dnssec_unavailable".to_owned())
            && !found.iter().any(|c| c.starts_with("dane.")),
        "{found:?}"
    );
    let mx_codes = codes(&doc.mx[0].reports[0].findings);
    assert!(
        mx_codes.contains(&"dns.dnssec_unavailable".to_owned())
            && !mx_codes.iter().any(|c| c.starts_with("dane.")),
        "{mx_codes:?}"
    );
    // Unknown, never critical: nothing is known of the zone's signatures.
    assert_eq!(run.code, 3, "{}", run.stdout);
}

#[test]
fn an_mx_host_whose_address_does_not_validate_is_not_connected_to() {
    let pki = Pki::new();
    let mut zone = Zone::signed(
        "bogusa18.test",
        &[
            "@ IN MX 10 mx.bogusa18.test.".to_owned(),
            "mx IN A 127.0.20.1".to_owned(),
        ],
    );
    // Changed after signing: the signature is for 127.0.20.1.
    zone.tamper = Some(("127.0.20.1".to_owned(), "127.0.20.2".to_owned()));
    let Some(nsd) = Nsd::start(&[zone]) else {
        return;
    };
    let (run, doc) = domain(&pki, &nsd, "bogusa18.test");
    let host = &doc.domain.mx.hosts[0];
    assert_eq!(
        host.dnssec.map(|d| d.name()),
        Some("bogus"),
        "{}",
        run.stdout
    );
    assert!(
        host.addresses.is_empty(),
        "a forged address is not used: {:?}",
        host.addresses
    );
    assert!(
        host.error
            .as_deref()
            .is_some_and(|e| e.contains("did not validate")),
        "{:?}",
        host.error
    );
    assert!(doc.mx[0].reports.is_empty(), "nothing was connected to");
    assert!(
        codes(&doc.findings).contains(&"dns.mx_unresolvable".to_owned()),
        "{}",
        run.stdout
    );
}

#[test]
fn a_domain_without_mx_is_checked_at_its_own_address() {
    let pki = Pki::new();
    let server = smtp_at(&pki, "implicit18.test", "127.0.18.17");
    let key = spki_sha256(&server.chain()[0]);
    let Some(nsd) = Nsd::start(&[Zone::signed(
        "implicit18.test",
        &[
            "@ IN A 127.0.18.17".to_owned(),
            // RFC 7672 section 2.2.2: the TLSA base name is the domain itself.
            format!("_25._tcp IN TLSA 3 1 1 {key}"),
        ],
    )]) else {
        return;
    };
    let (run, doc) = domain(&pki, &nsd, "implicit18.test");
    assert!(doc.domain.mx.implicit, "{}", run.stdout);
    assert_eq!(doc.mx.len(), 1, "{}", run.stdout);
    assert_eq!(doc.mx[0].host, "implicit18.test");
    assert_eq!(doc.mx[0].preference, 0);
    assert_eq!(
        doc.domain.mx.dnssec.name(),
        "secure",
        "the absence of MX is signed"
    );
    let mx_codes = codes(&doc.mx[0].reports[0].findings);
    assert!(
        mx_codes.contains(&"dane.authenticated".to_owned()),
        "{mx_codes:?}"
    );
    let no_mx = doc
        .findings
        .iter()
        .find(|f| f.code.to_string() == "dns.no_mx")
        .expect("dns.no_mx");
    assert!(no_mx.message.contains("implicit MX"), "{}", no_mx.message);
    assert_eq!(run.code, 1, "{}", run.stdout);
}

#[test]
fn a_testing_policy_with_every_mx_listed_an_unsigned_zone_and_no_tls_rpt() {
    let pki = Pki::new();
    let _mx = smtp_at(&pki, "mx.plain.signed18.test", "127.0.18.21");
    let web = policy_server(
        &pki,
        "plain.signed18.test",
        "127.0.18.22",
        "version: STSv1\nmode: testing\nmx: *.plain.signed18.test\nmax_age: 3600\n",
    );
    // The zone is delegated from a signed parent without a DS record.
    let Some(nsd) = Nsd::start(&[
        Zone::signed(
            "signed18.test",
            &["plain IN NS ns.signed18.test.".to_owned()],
        ),
        Zone::unsigned(
            "plain.signed18.test",
            &[
                "@ IN MX 10 mx.plain.signed18.test.".to_owned(),
                "mx IN A 127.0.18.21".to_owned(),
                "mta-sts IN A 127.0.18.22".to_owned(),
                "_mta-sts IN TXT \"v=STSv1; id=1\"".to_owned(),
            ],
        ),
    ]) else {
        return;
    };
    let (run, doc) = domain(&pki, &nsd, "plain.signed18.test");
    let found = codes(&doc.findings);
    assert_eq!(
        found,
        ["mtasts.max_age_short", "mtasts.testing", "tlsrpt.none"],
        "{}",
        run.stdout
    );
    let mx_codes = codes(&doc.mx[0].reports[0].findings);
    assert!(
        mx_codes.contains(&"dane.insecure".to_owned()),
        "{mx_codes:?}"
    );
    assert_eq!(run.code, 0, "{}", run.stdout);
    let asked: Vec<String> = web.requests().iter().map(|r| r.target.clone()).collect();
    assert_eq!(asked, ["/.well-known/mta-sts.txt"]);
    // The human form names the hosts and the policy.
    let human = mailtls(&[
        "domain",
        "plain.signed18.test",
        "--dns-server",
        &nsd.server(),
        "--trust-anchor",
        nsd.anchor(),
        "--ca-file",
        pki.root.to_str().expect("utf-8"),
    ]);
    assert!(
        human.stdout.contains("mx.plain.signed18.test"),
        "{}",
        human.stdout
    );
    assert!(human.stdout.contains("mtasts.testing"), "{}", human.stdout);
}

#[test]
fn an_mx_certificate_for_another_name_fails_mta_sts_but_not_dane_ee() {
    let pki = Pki::new();
    let bind: SocketAddr = "127.0.18.31:25".parse().expect("address");
    let mx = TestServer::try_start_on(
        ServerSpec::new(Proto::Smtp, Transport::Starttls)
            .name("mx.wrongname18.test")
            .cert(CertCase::WrongName),
        &pki.pki,
        bind,
    )
    .expect("SMTP server on port 25");
    let _web = policy_server(
        &pki,
        "wrongname18.test",
        "127.0.18.32",
        "version: STSv1\nmode: enforce\nmx: mx.wrongname18.test\nmax_age: 604800\n",
    );
    let Some(nsd) = Nsd::start(&[Zone::signed(
        "wrongname18.test",
        &[
            "@ IN MX 10 mx.wrongname18.test.".to_owned(),
            "mx IN A 127.0.18.31".to_owned(),
            "mta-sts IN A 127.0.18.32".to_owned(),
            format!("_25._tcp.mx IN TLSA 3 1 1 {}", spki_sha256(&mx.chain()[0])),
            "_mta-sts IN TXT \"v=STSv1; id=7\"".to_owned(),
        ],
    )]) else {
        return;
    };
    let (run, doc) = domain(&pki, &nsd, "wrongname18.test");
    // DANE-EE binds the key, not the name (RFC 7672 section 3.1.1).
    let mx_codes = codes(&doc.mx[0].reports[0].findings);
    assert!(
        mx_codes.contains(&"dane.authenticated".to_owned()),
        "{mx_codes:?}"
    );
    assert!(
        mx_codes.contains(&"cert.name_mismatch".to_owned()),
        "{mx_codes:?}"
    );
    // On port 25 the name does not stop DANE-aware senders: the mismatch is information there.
    let mismatch = doc.mx[0].reports[0]
        .findings
        .iter()
        .find(|f| f.code.to_string() == "cert.name_mismatch")
        .expect("cert.name_mismatch");
    assert_eq!(mismatch.severity.name(), "info", "{}", mismatch.message);
    assert!(mismatch.message.contains("DANE-EE"), "{}", mismatch.message);
    assert_eq!(
        codes(&doc.findings),
        ["mtasts.mx_cert_invalid", "tlsrpt.none"],
        "{}",
        run.stdout
    );
    assert_eq!(doc.findings[0].severity.name(), "critical");
    assert_eq!(run.code, 2);
}

#[test]
fn a_policy_behind_a_redirect_is_not_followed() {
    let pki = Pki::new();
    let _mx = smtp_at(&pki, "mx.redirect18.test", "127.0.18.41");
    let bind: SocketAddr = "127.0.18.42:443".parse().expect("address");
    let web = WebServer::start(
        bind,
        Some(
            pki.pki
                .server_cert(CertCase::Good, "mta-sts.redirect18.test"),
        ),
        vec![(
            "/.well-known/mta-sts.txt",
            Reply::Redirect {
                status: 301,
                location: "https://mta-sts.redirect18.test/policy.txt".to_owned(),
            },
        )],
    )
    .expect("policy server");
    let Some(nsd) = Nsd::start(&[Zone::signed(
        "redirect18.test",
        &[
            "@ IN MX 10 mx.redirect18.test.".to_owned(),
            "mx IN A 127.0.18.41".to_owned(),
            "mta-sts IN A 127.0.18.42".to_owned(),
            "_mta-sts IN TXT \"v=STSv1; id=7\"".to_owned(),
            "_smtp._tls IN TXT \"v=TLSRPTv1; rua=ftp://reports.redirect18.test\"".to_owned(),
        ],
    )]) else {
        return;
    };
    let (run, doc) = domain(&pki, &nsd, "redirect18.test");
    assert_eq!(
        codes(&doc.findings),
        ["mtasts.policy_unavailable", "tlsrpt.invalid"],
        "{}",
        run.stdout
    );
    assert!(doc.findings[0]
        .message
        .contains("which senders do not follow"));
    assert_eq!(web.requests().len(), 1, "the redirect was not followed");
}

#[test]
fn a_large_mx_set_is_kept_within_the_timeout() {
    // 200 MX hosts, each with an address where nothing listens (the checks
    // end at once, connection refused): the MX answer is large, and its
    // additional section holds 200 signed address records, each of which
    // hickory's validator checks in turn, asking for the zone's keys anew.
    // Through a DNS server 10 ms away that takes longer than the timeout.
    let mut records = Vec::new();
    for i in 1..=200 {
        records.push(format!("@ IN MX {i} mx{i}.many19.test."));
        records.push(format!("mx{i} IN A 127.0.19.{i}"));
    }
    let Some(nsd) = Nsd::start(&[Zone::signed("many19.test", &records)]) else {
        return;
    };
    let distant = Distant::to(&nsd.server(), Duration::from_millis(10));
    let pki = Pki::new();
    let started = Instant::now();
    let (run, doc) = domain_within(&pki, &distant.server(), nsd.anchor(), "many19.test", "5s");
    let took = started.elapsed();
    assert_eq!(doc.domain.mx.error, None, "{}", run.stdout);
    let hosts: Vec<&str> = doc.mx.iter().map(|m| m.host.as_str()).collect();
    let first: Vec<String> = (1..=10).map(|i| format!("mx{i}.many19.test")).collect();
    assert_eq!(hosts, first, "{}", run.stdout);
    assert_eq!(doc.domain.mx.dropped, 190);
    assert!(
        doc.mx.iter().all(|m| m.addresses.len() == 1),
        "{}",
        run.stdout
    );
    // Not validated in time: unknown, and said so.
    assert_eq!(doc.domain.mx.dnssec.name(), "indeterminate");
    assert!(doc.domain.mx.unvalidated.is_some(), "{}", run.stdout);
    let found = codes(&doc.findings);
    assert!(
        found.contains(&"dns.dnssec_unavailable".to_owned())
            && !found.contains(&"dns.mx_failed".to_owned()),
        "{found:?}"
    );
    // The whole run keeps to its timeout (with the process's start-up).
    assert!(took < Duration::from_millis(6500), "took {took:?}");
    // Directly, the same answer validates in time.
    let (run, direct) = domain_within(&pki, &nsd.server(), nsd.anchor(), "many19.test", "5s");
    assert_eq!(direct.domain.mx.dnssec.name(), "secure", "{}", run.stdout);
    assert_eq!(direct.mx.len(), 10);
}

#[test]
fn mx_hosts_without_addresses_are_told_in_plain_words() {
    // Only the DNS matters here: no host has an address to check.
    let Some(nsd) = Nsd::start(&[Zone::signed(
        "words19.test",
        &[
            "@ IN MX 20 gone.words19.test.".to_owned(),
            "@ IN MX 30 text.words19.test.".to_owned(),
            // RFC 5321 section 5.1: an MX names a host, never an address.
            "@ IN MX 40 127.0.19.204.".to_owned(),
            "text IN TXT \"no address\"".to_owned(),
        ],
    )]) else {
        return;
    };
    let pki = Pki::new();
    let (run, doc) = domain(&pki, &nsd, "words19.test");
    let reasons: Vec<(&str, Option<&str>)> = doc
        .domain
        .mx
        .hosts
        .iter()
        .map(|h| (h.host.as_str(), h.error.as_deref()))
        .collect();
    assert_eq!(
        reasons,
        [
            ("gone.words19.test", Some("the name does not exist")),
            ("text.words19.test", Some("no A or AAAA record")),
            (
                "127.0.19.204",
                Some("the MX record names an address, not a host")
            ),
        ],
        "{}",
        run.stdout
    );
    let unresolvable: Vec<&mailtls::diagnose::Finding> = doc
        .findings
        .iter()
        .filter(|f| f.code.to_string() == "dns.mx_unresolvable")
        .collect();
    assert_eq!(unresolvable.len(), 3, "{}", run.stdout);
    assert!(unresolvable[0]
        .message
        .contains("has no address (the name does not exist)"));
    let literal = unresolvable[2];
    assert!(
        literal
            .message
            .contains("names the address 127.0.19.204, not a host")
            && literal.message.contains("RFC 5321"),
        "{}",
        literal.message
    );
    let fix = literal.fix.as_deref().unwrap_or_default();
    assert!(
        fix.contains("Name a host") && !fix.contains("Publish A/AAAA records for 127.0.19.204"),
        "{fix}"
    );
    assert!(
        doc.findings
            .iter()
            .all(|f| !f.message.contains("proto error")),
        "{}",
        run.stdout
    );
}

//! The two codes only a report makes: `dns.addresses_differ` (comparing the
//! checks of one name's addresses) and `input.invalid_target` (no check at all).

use std::net::{IpAddr, Ipv4Addr, SocketAddr};

use super::Report;
use crate::diagnose::{Code, Finding, Policy, Severity};
use crate::facts::testing::{CertBuilder, FactsBuilder, HOST};
use crate::facts::tls::VerifyError;
use crate::facts::CheckFacts;

/// The facts of one address of [`HOST`], `192.0.2.<last>`.
fn at(last: u8, facts: FactsBuilder) -> CheckFacts {
    let mut facts = facts.build();
    let address = SocketAddr::new(IpAddr::V4(Ipv4Addr::new(192, 0, 2, last)), 993);
    facts.addresses = vec![address];
    facts.connected_to = Some(address);
    facts
}

fn differ_findings(report: &Report) -> Vec<&Finding> {
    report
        .findings
        .iter()
        .filter(|f| f.code == Code::DnsAddressesDiffer)
        .collect()
}

#[test]
fn addresses_that_serve_different_certificates_differ() {
    let reports = Report::judge_all(
        vec![
            at(1, FactsBuilder::good()),
            at(
                2,
                FactsBuilder::good().cert_at(0, CertBuilder::leaf(HOST).serial("02")),
            ),
        ],
        &Policy::default(),
    );
    assert_eq!(reports.len(), 2);
    for report in &reports {
        let [finding] = differ_findings(report)[..] else {
            panic!("one dns.addresses_differ in {:#?}", report.findings);
        };
        assert_eq!(finding.severity, Severity::Warning);
        assert!(
            finding.message.contains(
                "The 2 addresses of mail.test do not serve the same certificate (192.0.2.1: ok, 192.0.2.2: ok)"
            ),
            "{}",
            finding.message
        );
        let fix = finding.fix.as_deref().unwrap_or_default();
        assert!(fix.contains("remove the stale address from DNS"), "{fix}");
        // The warning is the verdict now, and the headline says so.
        assert_eq!(report.verdict, Severity::Warning);
        assert!(
            report.headline.contains("needs attention"),
            "{}",
            report.headline
        );
    }
}

#[test]
fn addresses_that_differ_in_version_and_verdict_say_which() {
    let reports = Report::judge_all(
        vec![
            at(1, FactsBuilder::good()),
            at(
                2,
                FactsBuilder::imaps()
                    .tls12()
                    .good_chain()
                    .cert_at(0, CertBuilder::leaf(HOST).expires_in_days(-1))
                    .verify_error(VerifyError::Expired),
            ),
        ],
        &Policy::default(),
    );
    let finding = differ_findings(&reports[0])[0];
    assert!(
        finding
            .message
            .contains("the same certificate, TLS version, cipher suite, verdict (192.0.2.1: ok, 192.0.2.2: critical)"),
        "{}",
        finding.message
    );
    assert_eq!(reports[1].verdict, Severity::Critical);
}

#[test]
fn addresses_that_agree_or_a_single_address_do_not_differ() {
    let same = Report::judge_all(
        vec![at(1, FactsBuilder::good()), at(2, FactsBuilder::good())],
        &Policy::default(),
    );
    let one = Report::judge_all(vec![at(1, FactsBuilder::good())], &Policy::default());
    for report in same.iter().chain(&one) {
        assert!(differ_findings(report).is_empty(), "{:#?}", report.findings);
        assert_eq!(report.verdict, Severity::Ok);
    }
}

#[test]
fn an_input_that_is_not_a_target_gets_one_unknown_result() {
    let report = Report::invalid_input(
        "bad host:993",
        "\"bad host:993\": \"bad host\" is not a valid host name or IP address",
    );
    assert_eq!(report.input, "bad host:993");
    assert_eq!(report.verdict, Severity::Unknown);
    assert!(report.facts.is_none());
    let [finding] = &report.findings[..] else {
        panic!("one finding: {:#?}", report.findings);
    };
    assert_eq!(
        (finding.code, finding.severity),
        (Code::InputInvalidTarget, Severity::Unknown)
    );
    assert!(
        finding.message.starts_with("Not a target: ")
            && finding.message.contains("is not a valid host name"),
        "{}",
        finding.message
    );
    let fix = finding.fix.as_deref().unwrap_or_default();
    assert!(
        fix.contains("HOST:PORT") && fix.contains("imaps://HOST"),
        "{fix}"
    );
    assert!(report.headline.starts_with("Could not check. Not a target"));
}

/// A leaf without its intermediate: Outlook and Apple download it, the others do not.
fn chain_incomplete() -> CheckFacts {
    use crate::facts::tls::StoreKind;
    FactsBuilder::missing_intermediate("http://ca.test/i.der")
        .downloaded_issuer(
            "http://ca.test/i.der",
            &[StoreKind::Microsoft, StoreKind::Apple],
        )
        .build()
}

#[test]
fn the_headline_says_who_is_affected_and_who_is_not() {
    let report = Report::new(chain_incomplete(), &Policy::default());
    assert_eq!(report.verdict, Severity::Critical);
    assert!(
        report.headline.starts_with("Thunderbird and Android phones will warn and GnuTLS clients, OpenSSL clients and Java clients cannot connect: the server does not send the intermediate"),
        "{}",
        report.headline
    );
    assert!(
        report
            .headline
            .contains("Outlook and Apple Mail connect: the missing intermediate"),
        "{}",
        report.headline
    );
    assert_eq!(report.clients.len(), 8);
}

#[test]
fn a_site_for_outlook_and_apple_only_is_not_critical() {
    let clients = crate::diagnose::clients::ClientSet::of(["outlook", "apple"]).expect("ids");
    let policy = Policy {
        clients,
        ..Policy::default()
    };
    let report = Report::new(chain_incomplete(), &policy);
    assert_eq!(report.clients.len(), 2);
    assert_eq!(report.verdict, Severity::Warning, "{:#?}", report.findings);
    let thunderbird_too =
        crate::diagnose::clients::ClientSet::of(["outlook", "thunderbird"]).expect("ids");
    let policy = Policy {
        clients: thunderbird_too,
        ..Policy::default()
    };
    assert_eq!(
        Report::new(chain_incomplete(), &policy).verdict,
        Severity::Critical
    );
}

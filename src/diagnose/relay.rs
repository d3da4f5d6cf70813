//! Port 25 is mail between servers, not a mail client's port: senders use
//! opportunistic TLS (RFC 7435) and deliver whatever the certificate, unless
//! DANE (RFC 7672) or MTA-STS (RFC 8461) tells them to verify. This pass
//! weighs the certificate findings of an SMTP check on port 25 by that: a
//! key DANE-EE authenticates makes names, dates and issuers moot; without
//! DANE a broken certificate stops only senders that verify.

use super::codes::Area;
use super::{Finding, Severity};
use crate::facts::dane::{Dnssec, TlsaMatch, USAGE_DANE_EE};
use crate::facts::protocol::Protocol;
use crate::facts::CheckFacts;

/// The port of mail between servers.
pub const RELAY_PORT: u16 = 25;

/// Whether `facts` are a check of the SMTP relay port.
pub fn is_relay(facts: &CheckFacts) -> bool {
    facts.target.protocol == Protocol::Smtp && facts.target.port == RELAY_PORT
}

/// Whether a DNSSEC-signed DANE-EE record matched the key the server sent.
fn dane_ee_authenticates(facts: &CheckFacts) -> bool {
    facts.dane.as_ref().is_some_and(|d| {
        d.dnssec == Dnssec::Secure
            && d.records.iter().any(|r| {
                r.usage == USAGE_DANE_EE && matches!(r.result, TlsaMatch::Authenticates { .. })
            })
    })
}

/// Re-weighs the certificate findings of a port-25 check (see the module).
pub fn weigh(facts: &CheckFacts, findings: &mut [Finding]) {
    if !is_relay(facts) {
        return;
    }
    let dane_ee = dane_ee_authenticates(facts);
    for finding in findings
        .iter_mut()
        .filter(|f| f.code.area() == Area::Certificate && f.severity > Severity::Info)
    {
        if dane_ee {
            finding.severity = Severity::Info;
            finding.message.push_str(
                " On port 25 this does not stop DANE-aware senders (Postfix, Exim): the signed DANE-EE TLSA record authenticates the server's key, and RFC 7672 ignores the certificate's names, dates and issuer for DANE-EE.",
            );
        } else if finding.severity > Severity::Warning {
            finding.severity = Severity::Warning;
            finding.message.push_str(
                " On port 25 senders use opportunistic TLS and deliver anyway (RFC 7435; Postfix as Debian installs it, with `smtp_tls_security_level = may`, and Exim by default); only senders told to verify, by DANE or an MTA-STS policy in enforce mode, refuse it.",
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::diagnose::codes::Code;

    fn finding(code: Code, severity: Severity) -> Finding {
        Finding {
            code,
            severity,
            message: "The certificate has expired.".to_owned(),
            fix: None,
        }
    }

    #[test]
    fn only_the_relay_port_is_weighed() {
        use crate::facts::testing::FactsBuilder;
        let submission = FactsBuilder::starttls(Protocol::Smtp).build();
        let mut findings = vec![finding(Code::CertExpired, Severity::Critical)];
        weigh(&submission, &mut findings);
        assert_eq!(findings[0].severity, Severity::Critical);

        let relay = FactsBuilder::starttls(Protocol::Smtp)
            .port(RELAY_PORT)
            .build();
        weigh(&relay, &mut findings);
        assert_eq!(findings[0].severity, Severity::Warning);
        assert!(findings[0].message.contains("opportunistic TLS"));
    }

    #[test]
    fn a_dane_ee_match_makes_certificate_findings_information() {
        use crate::facts::dane::{Dnssec, TlsaMatch};
        use crate::facts::testing::FactsBuilder;
        let authenticated = TlsaMatch::Authenticates { position: 0 };
        let relay = |dnssec| {
            FactsBuilder::starttls(Protocol::Smtp)
                .port(RELAY_PORT)
                .dane(dnssec, &[(3, 1, 1, authenticated.clone())], None)
                .build()
        };
        let mut findings = vec![
            finding(Code::CertExpired, Severity::Critical),
            finding(Code::TlsLegacyOnly, Severity::Critical),
        ];
        weigh(&relay(Dnssec::Secure), &mut findings);
        assert_eq!(findings[0].severity, Severity::Info);
        assert!(findings[0].message.contains("DANE-EE"));
        assert_eq!(
            findings[1].severity,
            Severity::Critical,
            "not a certificate finding"
        );

        // Unsigned records authenticate nothing.
        let mut findings = vec![finding(Code::CertExpired, Severity::Critical)];
        weigh(&relay(Dnssec::Insecure), &mut findings);
        assert_eq!(findings[0].severity, Severity::Warning);
    }
}

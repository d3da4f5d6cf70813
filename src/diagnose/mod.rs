//! From facts to findings: what is wrong, how bad it is, and how to fix it.
//!
//! Pure functions of [`CheckFacts`]: no I/O, no clock (the check's start time is
//! in the facts), so every finding can be tested from hand-made facts. The rules
//! are grouped by concern: why a check stopped ([`stop`]), the certificate chain
//! ([`certificate`]), the plaintext phase ([`plaintext`]), and the TLS session and
//! the probe ([`tls`]); `report::compare` judges several addresses of one name. Each
//! finding has a stable [`Code`]; the list is in `docs/findings.md` and must only grow.

mod certificate;
pub mod clients;
pub mod codes;
mod dane;
pub mod dh;
pub mod mtasts;
mod plaintext;
pub mod profiles;
mod relay;
mod stop;
#[cfg(test)]
mod tests;
mod tls;

use serde::{Deserialize, Serialize};

pub use codes::Code;

use crate::facts::cert::{short_name, CertFacts};
use crate::facts::tls::VerifyError;
use crate::facts::CheckFacts;

/// How much a finding matters. Ordered from best to worst for sorting; the
/// verdict of a report ranks `critical` above `unknown`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    /// Good news worth saying ("the certificate is trusted").
    Ok,
    /// Worth knowing; nothing to fix.
    Info,
    /// Works today, but should be fixed.
    Warning,
    /// The check could not find out (unreachable, timed out, rate-limited).
    Unknown,
    /// Mail clients will fail or warn, or the connection is not secure.
    Critical,
}

impl Severity {
    /// The name JSON uses: `ok`, `info`, `warning`, `unknown`, `critical`.
    pub fn name(self) -> &'static str {
        match self {
            Severity::Ok => "ok",
            Severity::Info => "info",
            Severity::Warning => "warning",
            Severity::Unknown => "unknown",
            Severity::Critical => "critical",
        }
    }
}

/// One thing mailtls found.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Finding {
    /// Stable dotted code, e.g. `cert.expired`.
    pub code: Code,
    pub severity: Severity,
    /// One sentence for a person.
    pub message: String,
    /// What to change, in the words of server configuration or mail-client settings.
    pub fix: Option<String>,
}

/// Thresholds for certificate expiry.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Policy {
    pub warn_days: i64,
    pub crit_days: i64,
    /// The clients the verdict speaks for (`--client`); all by default.
    pub clients: clients::ClientSet,
    /// The Mozilla configuration the probe's results are held against (`--profile`).
    pub profile: Option<profiles::MozillaProfile>,
}

impl Default for Policy {
    fn default() -> Self {
        Self {
            warn_days: 30,
            crit_days: 7,
            clients: clients::ClientSet::ALL,
            profile: None,
        }
    }
}

fn finding(code: Code, severity: Severity, message: String, fix: Option<String>) -> Finding {
    Finding {
        code,
        severity,
        message,
        fix,
    }
}

/// All findings for one check, worst first (a stable sort: within one
/// severity, in the order the rules below add them).
pub fn diagnose(facts: &CheckFacts, policy: &Policy) -> Vec<Finding> {
    let mut findings = Vec::new();
    stop::findings(facts, &mut findings);
    stop::slow_greeting(facts, &mut findings);
    plaintext::unexpected_plaintext(facts, &mut findings);
    certificate::findings(facts, policy, &mut findings);
    tls::negotiated(facts, &mut findings);
    plaintext::findings(facts, &mut findings);
    plaintext::limits(facts, &mut findings);
    tls::client_certificate(facts, &mut findings);
    dane::findings(facts, &mut findings);
    relay::weigh(facts, &mut findings);
    if let Some(probe) = &facts.probe {
        tls::probe_findings(probe, &mut findings);
        tls::extras_findings(facts, probe, &mut findings);
        if let Some(profile) = policy.profile {
            tls::profile_findings(probe, profile, &mut findings);
        }
    }
    findings.sort_by_key(|f| std::cmp::Reverse(f.severity));
    findings
}

/// `text` with its first letter in upper case.
pub fn capitalise(text: &str) -> String {
    let mut chars = text.chars();
    chars.next().map_or_else(String::new, |first| {
        first.to_uppercase().chain(chars).collect()
    })
}

fn which_cert(cert: &CertFacts) -> String {
    match cert.position {
        0 => "The server's certificate".to_owned(),
        n => format!(
            "Certificate {} in the chain ('{}')",
            n + 1,
            short_name(&cert.subject)
        ),
    }
}

/// Shortens server text for a sentence, on a character boundary.
use crate::facts::clip;

/// The verdict of a set of severities: critical beats unknown beats warning beats ok.
pub fn worst(severities: impl IntoIterator<Item = Severity>) -> Severity {
    let rank = |s: Severity| match s {
        Severity::Ok | Severity::Info => 0,
        Severity::Warning => 1,
        Severity::Unknown => 2,
        Severity::Critical => 3,
    };
    severities
        .into_iter()
        .map(|s| if s == Severity::Info { Severity::Ok } else { s })
        .max_by_key(|&s| rank(s))
        .unwrap_or(Severity::Ok)
}

/// The verdict of one report.
pub fn verdict(findings: &[Finding]) -> Severity {
    worst(findings.iter().map(|f| f.severity))
}

/// Why the verifier refused a chain, as the end of a sentence.
fn verify_error_text(error: &VerifyError) -> String {
    match error {
        VerifyError::Expired => "a certificate in the chain has expired".to_owned(),
        VerifyError::NotYetValid => "a certificate in the chain is not yet valid".to_owned(),
        VerifyError::NameMismatch { presented } => format!("it is for {}", presented.join(", ")),
        VerifyError::UnknownIssuer => "its issuer is unknown".to_owned(),
        VerifyError::BadSignature => "a signature in the chain is invalid".to_owned(),
        VerifyError::UnsupportedSignatureAlgorithm => {
            "it is signed with an algorithm that is no longer accepted".to_owned()
        }
        VerifyError::Revoked => "it has been revoked".to_owned(),
        VerifyError::InvalidPurpose => {
            "it is not issued for TLS servers (extended key usage)".to_owned()
        }
        VerifyError::BadEncoding => "a certificate in the chain is not valid DER".to_owned(),
        VerifyError::CaUsedAsEndEntity => {
            "the server's certificate is a CA certificate, not a server certificate".to_owned()
        }
        VerifyError::ChainTooLong => {
            "the chain of intermediates is longer than clients will follow (at most 6)".to_owned()
        }
        VerifyError::UnsupportedTime => {
            "a certificate in the chain is dated before 1970, which mailtls's verifier cannot check"
                .to_owned()
        }
        // Reports saved by older versions carry rustls's own wording.
        VerifyError::Other { detail } => detail
            .strip_prefix("invalid peer certificate: ")
            .map_or_else(
                || detail.clone(),
                |_| "the verifier refused the chain".to_owned(),
            ),
    }
}

//! `--all-addresses`: do all addresses of one name serve the same thing?
//!
//! A name with several A/AAAA records behind which servers differ is a classic
//! cause of "it fails for some users only": each client picks one address.

use super::Report;
use crate::diagnose::{Code, Finding, Severity};

/// What must agree between the addresses of one name.
#[derive(Debug, PartialEq, Eq)]
struct Fingerprint {
    leaf: Option<String>,
    version: Option<String>,
    cipher: Option<String>,
    trusted: Option<bool>,
    verdict: Severity,
}

fn fingerprint(report: &Report) -> Fingerprint {
    let facts = report.facts.as_ref();
    let tls = facts.and_then(|f| f.tls.as_ref());
    Fingerprint {
        leaf: facts
            .and_then(|f| f.certificates.first())
            .map(|c| c.sha256.clone()),
        version: tls.and_then(|t| t.version.clone()),
        cipher: tls.and_then(|t| t.cipher_suite.clone()),
        trusted: tls.and_then(|t| t.verification.as_ref()).map(|v| v.trusted),
        verdict: report.verdict,
    }
}

/// Adds `dns.addresses_differ` to every report of one name's addresses when they
/// do not all serve the same certificate, TLS version, cipher and verdict.
pub fn addresses(reports: &mut [Report]) {
    if reports.len() < 2 {
        return;
    }
    let prints: Vec<Fingerprint> = reports.iter().map(fingerprint).collect();
    let mut differences = Vec::new();
    let differs =
        |get: &dyn Fn(&Fingerprint) -> String| prints.iter().any(|p| get(p) != get(&prints[0]));
    if differs(&|p| format!("{:?}", p.leaf)) {
        differences.push("certificate");
    }
    if differs(&|p| format!("{:?}", p.version)) {
        differences.push("TLS version");
    }
    if differs(&|p| format!("{:?}", p.cipher)) {
        differences.push("cipher suite");
    }
    if differs(&|p| format!("{:?} {:?}", p.trusted, p.verdict)) {
        differences.push("verdict");
    }
    if differences.is_empty() {
        return;
    }
    let summary = reports
        .iter()
        .map(|r| {
            let address = r
                .facts
                .as_ref()
                .and_then(|f| f.connected_to.or_else(|| f.addresses.first().copied()))
                .map_or_else(|| "?".to_owned(), |a| a.ip().to_string());
            format!("{address}: {}", r.verdict.name())
        })
        .collect::<Vec<_>>()
        .join(", ");
    let name = reports[0]
        .facts
        .as_ref()
        .map_or_else(|| reports[0].input.clone(), |f| f.target.host.to_string());
    for report in reports.iter_mut() {
        report.add_finding(Finding {
            code: Code::DnsAddressesDiffer,
            severity: Severity::Warning,
            message: format!(
                "The {} addresses of {name} do not serve the same {} ({summary}); clients that reach another address see something else.",
                prints.len(),
                differences.join(", ")
            ),
            fix: Some(format!("Make every server behind {name} use the same certificate and TLS settings, or remove the stale address from DNS.")),
        });
    }
}

//! `mailtls domain DOMAIN`: mail between servers. The domain's MX hosts, each
//! address checked on port 25 with DANE, and the findings that need the
//! whole domain (the MX answer, MTA-STS, TLS-RPT). Pure: from the domain's
//! facts and the MX hosts' reports.

use std::net::IpAddr;

use serde::{Deserialize, Serialize};

use super::exit;
use crate::diagnose::mtasts::{self, MxOutcome};
use crate::diagnose::{worst, Finding, Severity};
use crate::facts::dane::Dnssec;
use crate::facts::domain::{DomainFacts, MxHost};
use crate::facts::target::Host;
use crate::report::{Report, Tool, SCHEMA_VERSION};

/// One MX host and its checks, one report per address.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MxResult {
    pub preference: u16,
    pub host: String,
    pub addresses: Vec<IpAddr>,
    /// The worst verdict of its reports; `unknown` when it was not checked.
    pub verdict: Severity,
    pub reports: Vec<Report>,
}

impl MxResult {
    /// Each MX host with the reports of its addresses; a host none of whose
    /// addresses was checked is `unknown`.
    pub fn of_hosts(hosts: &[MxHost], reports: &[Report]) -> Vec<MxResult> {
        hosts
            .iter()
            .map(|host| {
                let mine: Vec<Report> = reports
                    .iter()
                    .filter(|r| {
                        r.facts
                            .as_ref()
                            .is_some_and(|f| f.target.host == Host::Name(host.host.clone()))
                    })
                    .cloned()
                    .collect();
                let verdict = match mine.is_empty() {
                    true => Severity::Unknown,
                    false => worst(mine.iter().map(|r| r.verdict)),
                };
                MxResult {
                    preference: host.preference,
                    host: host.host.clone(),
                    addresses: host.addresses.clone(),
                    verdict,
                    reports: mine,
                }
            })
            .collect()
    }
}

/// The whole result, for `--format json`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DomainDocument {
    pub schema: u32,
    pub tool: Tool,
    pub domain: DomainFacts,
    pub mx: Vec<MxResult>,
    /// The domain's own findings, worst first.
    pub findings: Vec<Finding>,
    /// The worst of the MX hosts' verdicts and the domain's findings.
    pub verdict: Severity,
    pub exit_code: u8,
}

/// What the domain's rules need of one MX host's reports.
fn outcome(mx: &MxResult) -> MxOutcome {
    let facts = || mx.reports.iter().filter_map(|r| r.facts.as_ref());
    MxOutcome {
        host: mx.host.clone(),
        checked: !mx.reports.is_empty(),
        // rustls speaks TLS 1.2 and 1.3 only: a session is at least TLS 1.2.
        tls: facts().count() > 0 && facts().all(|f| f.tls.is_some()),
        webpki_valid: facts().count() > 0
            && facts().all(|f| {
                f.tls
                    .as_ref()
                    .and_then(|t| t.verification.as_ref())
                    .is_some_and(|v| v.trusted)
            }),
        tlsa_secure: facts().any(|f| {
            f.dane
                .as_ref()
                .is_some_and(|d| d.dnssec == Dnssec::Secure && !d.records.is_empty())
        }),
    }
}

impl DomainDocument {
    pub fn new(domain: DomainFacts, mx: Vec<MxResult>) -> DomainDocument {
        let outcomes: Vec<MxOutcome> = mx.iter().map(outcome).collect();
        let mut findings = Vec::new();
        mtasts::mx(&domain, &outcomes, &mut findings);
        mtasts::mta_sts(&domain, &outcomes, &mut findings);
        mtasts::tls_rpt(&domain.tls_rpt_record, &mut findings);
        findings.sort_by_key(|f| std::cmp::Reverse(f.severity));
        let verdict = worst(
            mx.iter()
                .map(|m| m.verdict)
                .chain(findings.iter().map(|f| f.severity)),
        );
        DomainDocument {
            schema: SCHEMA_VERSION,
            tool: Tool::this(),
            exit_code: exit::of_verdict(verdict),
            verdict,
            domain,
            mx,
            findings,
        }
    }
}

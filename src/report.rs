//! The report: facts plus their judgement, as versioned serde data with no formatting.
//!
//! JSON users depend on this shape. `SCHEMA_VERSION` changes when a field is
//! removed or changes meaning; adding a field does not change it. The shape is
//! documented in `docs/json.md`, and a test reads real output back into these
//! types with unknown fields denied, so it cannot drift silently.

use serde::{Deserialize, Serialize};

use crate::check::CheckFacts;
use crate::diagnose::{self, Finding, Policy, Severity};
use crate::protocol::TlsMode;

pub const SCHEMA_VERSION: u32 = 1;

/// One target's result.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Report {
    /// The worst severity among the findings (critical above unknown).
    pub verdict: Severity,
    /// One sentence for a helpdesk: will a mail client connect without a warning, and if not, why.
    pub headline: String,
    /// Worst first.
    pub findings: Vec<Finding>,
    pub facts: CheckFacts,
}

/// The whole output of a run.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Document {
    pub schema: u32,
    pub tool: Tool,
    /// In the order the targets were given.
    pub reports: Vec<Report>,
    pub summary: Summary,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Tool {
    pub name: String,
    pub version: String,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Summary {
    pub total: usize,
    pub ok: usize,
    pub warning: usize,
    pub critical: usize,
    pub unknown: usize,
    /// The process's exit code: 2 if any critical, else 3 if any unknown, else 1 if
    /// any warning, else 0.
    pub exit_code: u8,
}

impl Report {
    pub fn new(facts: CheckFacts, policy: &Policy) -> Report {
        let findings = diagnose::diagnose(&facts, policy);
        let verdict = diagnose::verdict(&findings);
        let headline = headline(&facts, &findings, verdict);
        Report {
            verdict,
            headline,
            findings,
            facts,
        }
    }
}

impl Document {
    pub fn new(reports: Vec<Report>) -> Document {
        let mut summary = Summary {
            total: reports.len(),
            ..Summary::default()
        };
        for report in &reports {
            match report.verdict {
                Severity::Ok | Severity::Info => summary.ok += 1,
                Severity::Warning => summary.warning += 1,
                Severity::Critical => summary.critical += 1,
                Severity::Unknown => summary.unknown += 1,
            }
        }
        summary.exit_code = diagnose::exit_code(diagnose::worst(reports.iter().map(|r| r.verdict)));
        Document {
            schema: SCHEMA_VERSION,
            tool: Tool {
                name: env!("CARGO_PKG_NAME").to_owned(),
                version: env!("CARGO_PKG_VERSION").to_owned(),
            },
            reports,
            summary,
        }
    }
}

fn headline(facts: &CheckFacts, findings: &[Finding], verdict: Severity) -> String {
    let target = &facts.target;
    let setting = target.mode.client_setting();
    let first = |severity: Severity| {
        findings
            .iter()
            .find(|f| f.severity == severity)
            .map_or("", |f| f.message.as_str())
    };
    match verdict {
        Severity::Ok | Severity::Info => format!(
            "A mail client set to {} port {} with {setting} will connect securely, without a certificate warning.",
            target.host, target.port
        ),
        Severity::Warning => format!(
            "Mail clients connect without a warning today; one thing needs attention. {}",
            first(Severity::Warning)
        ),
        Severity::Critical => {
            let worst = findings.iter().find(|f| f.severity == Severity::Critical);
            let is_cert = worst.is_some_and(|f| f.code.starts_with("cert."));
            let starttls_plain = worst.is_some_and(|f| f.code == "starttls.not_offered")
                && target.mode == TlsMode::Starttls;
            if is_cert {
                format!(
                    "Mail clients will say the server's certificate could not be verified. {}",
                    first(Severity::Critical)
                )
            } else if starttls_plain {
                format!("Mail clients cannot protect this connection. {}", first(Severity::Critical))
            } else {
                format!("Mail clients cannot connect securely. {}", first(Severity::Critical))
            }
        }
        Severity::Unknown => format!("Could not check. {}", first(Severity::Unknown)),
    }
}

//! The report: facts plus their judgement, as versioned serde data with no formatting.
//!
//! JSON users depend on this shape. `SCHEMA_VERSION` changes when a field is
//! removed or changes meaning; adding a field does not change it. The shape is
//! documented in `docs/json.md`, and a test reads real output back into these
//! types with unknown fields denied, so it cannot drift silently.

use serde::{Deserialize, Serialize};

pub mod account;
pub mod compare;
pub mod domain;
pub mod exit;
pub mod saved;
pub mod scan;
#[cfg(test)]
mod tests;

use crate::diagnose::clients::{self, ClientOutcome, Outcome};
use crate::diagnose::codes::Area;
use crate::diagnose::{self, Code, Finding, Policy, Severity};
use crate::facts::protocol::TlsMode;
use crate::facts::CheckFacts;

pub const SCHEMA_VERSION: u32 = 1;

/// One target's result.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Report {
    /// The target as the user gave it (a command-line word or a line of a targets
    /// file), so results can be matched to inputs.
    pub input: String,
    /// The worst severity among the findings (critical above unknown).
    pub verdict: Severity,
    /// One sentence for a helpdesk: will a mail client connect without a warning, and if not, why.
    pub headline: String,
    /// Worst first.
    pub findings: Vec<Finding>,
    /// Each client family's outcome (see `mailtls clients`); empty when the
    /// input was not a target.
    #[serde(default)]
    pub clients: Vec<ClientOutcome>,
    /// What the check saw; `null` only when the input could not be understood as a target.
    pub facts: Option<CheckFacts>,
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

impl Tool {
    /// This build of mailtls.
    pub fn this() -> Tool {
        Tool {
            name: env!("CARGO_PKG_NAME").to_owned(),
            version: env!("CARGO_PKG_VERSION").to_owned(),
        }
    }
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
    /// any warning, else 0 (with `--fail-on critical`, warnings give 0).
    pub exit_code: u8,
    /// The slowest checks, slowest first (at most five).
    pub slowest: Vec<Timing>,
}

/// How long one target's check took.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Timing {
    pub input: String,
    pub duration_ms: u64,
}

/// How many slow targets a summary names.
const SLOWEST: usize = 5;

impl Summary {
    /// Counts one more report in.
    pub fn add(&mut self, report: &Report, fail_on: Severity) {
        self.total += 1;
        match report.verdict {
            Severity::Ok | Severity::Info => self.ok += 1,
            Severity::Warning => self.warning += 1,
            Severity::Critical => self.critical += 1,
            Severity::Unknown => self.unknown += 1,
        }
        self.exit_code = exit::of_counts(self.critical, self.unknown, self.warning, fail_on);
        if let Some(facts) = &report.facts {
            self.slowest.push(Timing {
                input: report.input.clone(),
                duration_ms: facts.duration_ms,
            });
            self.slowest
                .sort_by_key(|t| std::cmp::Reverse(t.duration_ms));
            self.slowest.truncate(SLOWEST);
        }
    }
}

impl Report {
    pub fn new(facts: CheckFacts, policy: &Policy) -> Report {
        let mut findings = diagnose::diagnose(&facts, policy);
        let mut clients = clients::judge(&facts);
        if !policy.clients.is_all() {
            clients.retain(|c| policy.clients.contains(&c.id));
            narrow_to(&clients, &mut findings);
        }
        let verdict = diagnose::verdict(&findings);
        let headline = headline(&facts, &findings, &clients, verdict);
        Report {
            input: facts.target.input.clone(),
            verdict,
            headline,
            findings,
            clients,
            facts: Some(facts),
        }
    }

    /// The reports of one target's checks (one per address with
    /// `--all-addresses`), judged, and compared with each other.
    pub fn judge_all(all_facts: Vec<CheckFacts>, policy: &Policy) -> Vec<Report> {
        let mut reports: Vec<Report> = all_facts
            .into_iter()
            .map(|facts| Report::new(facts, policy))
            .collect();
        compare::addresses(&mut reports);
        reports
    }

    /// Adds a finding made from several reports (e.g. addresses that differ) and
    /// re-judges.
    pub fn add_finding(&mut self, finding: Finding) {
        self.findings.push(finding);
        self.findings.sort_by_key(|f| std::cmp::Reverse(f.severity));
        self.verdict = diagnose::verdict(&self.findings);
        if let Some(facts) = &self.facts {
            self.headline = headline(facts, &self.findings, &self.clients, self.verdict);
        }
    }

    /// The helpdesk's third sentence: what to change, from the finding that
    /// decides the verdict (none when the verdict is ok).
    pub fn what_to_do(&self) -> Option<&str> {
        if matches!(self.verdict, Severity::Ok | Severity::Info) {
            return None;
        }
        self.findings
            .iter()
            .find(|f| f.severity == self.verdict)
            .and_then(|f| f.fix.as_deref())
    }

    /// The result for an input that is not a target (a malformed line of a
    /// targets file): it still yields exactly one result, which says why.
    pub fn invalid_input(input: &str, error: &str) -> Report {
        let finding = Finding {
            code: Code::InputInvalidTarget,
            severity: Severity::Unknown,
            message: format!("Not a target: {error}."),
            fix: Some("Write HOST:PORT with a mail port, [IPv6]:PORT, or a URL such as imaps://HOST; see mailtls check --help.".to_owned()),
        };
        Report {
            input: input.to_owned(),
            verdict: Severity::Unknown,
            headline: format!("Could not check. {}", finding.message),
            findings: vec![finding],
            clients: Vec::new(),
            facts: None,
        }
    }
}

impl Document {
    pub fn new(reports: Vec<Report>, fail_on: Severity) -> Document {
        let mut summary = Summary::default();
        for report in &reports {
            summary.add(report, fail_on);
        }
        Document::with_summary(reports, summary)
    }

    /// A document whose summary was counted while the reports streamed in.
    pub fn with_summary(reports: Vec<Report>, summary: Summary) -> Document {
        Document {
            schema: SCHEMA_VERSION,
            tool: Tool::this(),
            reports,
            summary,
        }
    }
}

fn headline(
    facts: &CheckFacts,
    findings: &[Finding],
    clients: &[ClientOutcome],
    verdict: Severity,
) -> String {
    let target = &facts.target;
    // The name a client must be set to: the one verified (`--sni`), else the host.
    let server = facts
        .tls
        .as_ref()
        .and_then(|t| t.verification.as_ref())
        .map_or_else(|| target.host.to_string(), |v| v.name.clone());
    let setting = target.mode.client_setting();
    let first = |severity: Severity| {
        findings
            .iter()
            .find(|f| f.severity == severity)
            .map_or("", |f| f.message.as_str())
    };
    match verdict {
        Severity::Ok | Severity::Info => format!(
            "A mail client set to {server} port {} with {setting} will connect securely, without a certificate warning.",
            target.port
        ),
        Severity::Warning => format!(
            "Mail clients connect without a warning today; one thing needs attention. {}",
            first(Severity::Warning)
        ),
        Severity::Critical if split(clients) => by_client(clients, first(Severity::Critical)),
        Severity::Critical => {
            let worst = findings.iter().find(|f| f.severity == Severity::Critical);
            let is_cert = worst.is_some_and(|f| f.code.area() == Area::Certificate);
            let starttls_plain = worst.is_some_and(|f| f.code == Code::StarttlsNotOffered)
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

/// `--client`: when every chosen client connects, what keeps other clients
/// out (a certificate they refuse, a handshake only they cannot finish) is
/// still worth fixing, but no longer critical for this site.
fn narrow_to(chosen: &[ClientOutcome], findings: &mut [Finding]) {
    if chosen.is_empty() || chosen.iter().any(|c| c.outcome != Outcome::Connects) {
        return;
    }
    for finding in findings.iter_mut() {
        let about_clients = finding.code.area() == Area::Certificate
            || matches!(finding.code, Code::TlsHandshakeFailed | Code::TlsLegacyOnly);
        if about_clients && finding.severity == Severity::Critical {
            finding.severity = Severity::Warning;
        }
    }
    findings.sort_by_key(|f| std::cmp::Reverse(f.severity));
}

/// Whether the clients disagree: some connect and some do not.
fn split(clients: &[ClientOutcome]) -> bool {
    let connects = |c: &&ClientOutcome| c.outcome == Outcome::Connects;
    clients.iter().any(|c| connects(&c))
        && clients
            .iter()
            .any(|c| matches!(c.outcome, Outcome::Warns | Outcome::CannotConnect))
}

/// "Thunderbird and Android phones will warn: … Outlook and Apple Mail connect: …"
fn by_client(clients: &[ClientOutcome], worst: &str) -> String {
    let named = |outcome: Outcome| -> Vec<&str> {
        clients
            .iter()
            .filter(|c| c.outcome == outcome)
            .filter_map(|c| clients::profile(&c.id).map(|p| p.short))
            .collect()
    };
    let (warn, refuse, fine) = (
        named(Outcome::Warns),
        named(Outcome::CannotConnect),
        named(Outcome::Connects),
    );
    let mut affected = Vec::new();
    if !warn.is_empty() {
        affected.push(format!("{} will warn", clients::list(&warn)));
    }
    if !refuse.is_empty() {
        affected.push(format!("{} cannot connect", clients::list(&refuse)));
    }
    let why = clients
        .iter()
        .find(|c| c.outcome == Outcome::Connects && !c.causes.is_empty())
        .map_or(String::new(), |c| {
            format!(": {}", lowercase_first(&c.causes[0]))
        });
    // The first affected client's own reason is the shortest true account; the
    // finding that decided the verdict stands in when there is none.
    let cause = clients
        .iter()
        .find(|c| matches!(c.outcome, Outcome::Warns | Outcome::CannotConnect))
        .and_then(|c| c.causes.first())
        .map_or_else(|| worst.to_owned(), |c| lowercase_first(c));
    let verb = if fine.len() == 1 {
        "connects"
    } else {
        "connect"
    };
    format!(
        "{}: {} {} {verb}{}",
        diagnose::capitalise(&affected.join(" and ")),
        cause,
        clients::list(&fine),
        if why.is_empty() { ".".to_owned() } else { why }
    )
}

fn lowercase_first(text: &str) -> String {
    let mut chars = text.chars();
    chars.next().map_or_else(String::new, |first| {
        first.to_lowercase().chain(chars).collect()
    })
}

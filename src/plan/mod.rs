//! The checked, complete description of a run: what to check, how, and how to
//! judge and show it. Built once from the arguments by [`build`] (ripgrep's
//! LowArgs → HiArgs); everything after it sees only these core types.

pub mod build;
pub mod shard;

use std::path::PathBuf;
use std::sync::Arc;

use crate::diagnose::{Policy, Severity};
use crate::facts::target::{Target, TargetError};
use crate::gather::tls::trust::TrustError;
use crate::gather::tls::IdentityError;
use crate::gather::CheckSettings;
use crate::output::{Format, HumanOptions};

pub use build::from_cli;

/// One input of a run: a target to check, or a line that is not one (which still
/// yields a result saying why).
#[derive(Debug, Clone)]
pub enum Job {
    Check(Target),
    Invalid { input: String, error: String },
}

/// How checks are spread over time and servers.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    /// Checks at once, over all servers.
    pub concurrency: usize,
    /// Connections at once to any one host.
    pub per_host: usize,
    /// Check each address of a name separately.
    pub all_addresses: bool,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            concurrency: 64,
            per_host: 2,
            all_addresses: false,
        }
    }
}

/// Whether the human report uses colour.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Color {
    /// On a terminal, unless NO_COLOR is set.
    Auto,
    Always,
    Never,
}

/// What every connecting command needs: the inputs and how to check them.
#[derive(Debug, Clone)]
pub struct ConnectPlan {
    pub jobs: Vec<Job>,
    pub settings: Arc<CheckSettings>,
    pub limits: Limits,
}

/// How facts are judged and shown (`check` and `explain`).
#[derive(Debug, Clone, Copy)]
pub struct Judgement {
    pub policy: Policy,
    pub format: Format,
    pub human: HumanOptions,
    /// The least severity that fails the run (exit code non-zero).
    pub fail_on: Severity,
    /// No progress bar or summary on standard error.
    pub quiet: bool,
    pub color: Color,
}

/// `mailtls check`.
#[derive(Debug, Clone)]
pub struct CheckPlan {
    pub connect: ConnectPlan,
    pub judgement: Judgement,
}

/// `mailtls certs`.
#[derive(Debug, Clone)]
pub struct CertsPlan {
    pub connect: ConnectPlan,
    /// Write one file per certificate here instead of printing them.
    pub out: Option<PathBuf>,
}

/// One port of a scan: the standard port it stands for, and the target checked.
#[derive(Debug, Clone)]
pub struct ScanPort {
    pub standard_port: u16,
    pub target: Target,
}

/// The output formats of `mailtls scan`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ScanFormat {
    Human,
    Json,
}

/// `mailtls scan`.
#[derive(Debug, Clone)]
pub struct ScanPlan {
    /// The host as the user wrote it, without brackets.
    pub host: String,
    /// Every mail port, in table order.
    pub ports: Vec<ScanPort>,
    pub settings: Arc<CheckSettings>,
    pub limits: Limits,
    pub format: ScanFormat,
    pub color: Color,
}

/// Where `mailtls explain` reads saved reports from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ReportSource {
    File(PathBuf),
    Stdin,
}

/// `mailtls explain`.
#[derive(Debug, Clone)]
pub struct ExplainPlan {
    pub source: ReportSource,
    pub judgement: Judgement,
}

/// A whole run.
#[derive(Debug, Clone)]
pub enum Plan {
    Check(CheckPlan),
    Certs(CertsPlan),
    Scan(ScanPlan),
    Explain(ExplainPlan),
    /// Text to print as it is (completions, the manual page).
    Print(Vec<u8>),
}

impl Plan {
    /// How the standard output is written: `Some(colour)` for the human
    /// formats, which carry styles; `None` for the machine formats (JSON,
    /// NDJSON, nagios, PEM, completions), written byte for byte.
    pub fn styled_output(&self) -> Option<Color> {
        let human = |j: &Judgement| (j.format == Format::Human).then_some(j.color);
        match self {
            Plan::Check(plan) => human(&plan.judgement),
            Plan::Explain(plan) => human(&plan.judgement),
            Plan::Scan(plan) => (plan.format == ScanFormat::Human).then_some(plan.color),
            Plan::Certs(_) | Plan::Print(_) => None,
        }
    }
}

/// A run that cannot start. Each is a usage or set-up error (exit code 3).
#[derive(Debug, thiserror::Error)]
pub enum PlanError {
    #[error(transparent)]
    Target(#[from] TargetError),
    #[error(transparent)]
    Trust(#[from] TrustError),
    #[error(transparent)]
    Identity(#[from] IdentityError),
    #[error("--sni {0:?} is not a valid server name")]
    BadSni(String),
    #[error("--crit-days ({crit}) must not be larger than --warn-days ({warn})")]
    Days { warn: i64, crit: i64 },
    #[error("no targets given (the targets file or standard input was empty)")]
    NoTargets,
    #[error("cannot read targets from {from}: {source}")]
    ReadTargets {
        from: String,
        source: std::io::Error,
    },
    #[error("cannot write the manual page: {0}")]
    Manual(std::io::Error),
}

/// Lines of a targets file: trimmed, without blanks and `#` comments.
pub fn target_lines(text: &str) -> Vec<String> {
    text.lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .map(str::to_owned)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn target_files_skip_blanks_and_comments() {
        let text =
            "# mail servers\nimap.example.org:993\n\n   smtp.example.org:587  \n#smtp.old:25\n";
        assert_eq!(
            target_lines(text),
            ["imap.example.org:993", "smtp.example.org:587"]
        );
    }
}

//! The checked, complete description of a run: what to check, how, and how to
//! judge and show it. Built once from the arguments by [`build`] (ripgrep's
//! LowArgs → HiArgs); everything after it sees only these core types.

pub mod build;
pub mod exporter;
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

/// The output formats of `mailtls account`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AccountFormat {
    Human,
    Json,
    /// One line of JSON per address.
    Ndjson,
}

/// One address (or bare domain) to discover.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AccountInput {
    /// The e-mail address as given, if one was (not a bare domain).
    pub address: Option<String>,
    pub domain: String,
}

/// `mailtls account`.
#[derive(Debug, Clone)]
pub struct AccountPlan {
    /// In the order given.
    pub accounts: Vec<AccountInput>,
    pub discover: crate::gather::discover::DiscoverOptions,
    /// For every endpoint's check; `timeout` is the whole run's.
    pub settings: Arc<CheckSettings>,
    pub format: AccountFormat,
    pub color: Color,
}

/// `mailtls domain`.
#[derive(Debug, Clone)]
pub struct DomainPlan {
    /// Lowercase, without a final dot.
    pub domain: String,
    pub dane: Arc<crate::gather::dane::DaneOptions>,
    /// For every MX host's check (with `dane` set); `timeout` is the whole run's.
    pub settings: Arc<CheckSettings>,
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
    Account(AccountPlan),
    Domain(DomainPlan),
    Explain(ExplainPlan),
    Exporter(exporter::ExporterPlan),
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
            Plan::Account(plan) => (plan.format == AccountFormat::Human).then_some(plan.color),
            Plan::Domain(plan) => (plan.format == ScanFormat::Human).then_some(plan.color),
            Plan::Certs(_) | Plan::Print(_) | Plan::Exporter(_) => None,
        }
    }
}

/// A run that cannot start. Each is a usage or set-up error (exit code 3),
/// and each message is a whole sentence on its own: the binary prints it
/// alone, so no variant also hands its cause on as an error source.
#[derive(Debug, thiserror::Error)]
pub enum PlanError {
    #[error(transparent)]
    Target(#[from] TargetError),
    #[error(transparent)]
    Trust(#[from] TrustError),
    #[error(transparent)]
    Identity(#[from] IdentityError),
    #[error(transparent)]
    Anchor(#[from] crate::gather::dane::AnchorError),
    #[error("--sni {0:?} is not a valid server name")]
    BadSni(String),
    #[error("--crit-days ({crit}) must not be larger than --warn-days ({warn})")]
    Days { warn: i64, crit: i64 },
    #[error("--client {0:?} is not a client profile; `mailtls clients` lists them")]
    UnknownClient(String),
    #[error("--profile judges the probe's results: add --probe")]
    ProfileWithoutProbe,
    #[error("no targets given (the targets file or standard input was empty)")]
    NoTargets,
    #[error("cannot read targets from {from}: {error}")]
    ReadTargets { from: String, error: std::io::Error },
    #[error("cannot read the exporter configuration {path}: {error}")]
    ReadConfig { path: String, error: std::io::Error },
    #[error("the exporter configuration {path} is not valid: {detail}")]
    BadConfig { path: String, detail: String },
    #[error("module {module:?} of the exporter configuration: {detail}")]
    Module { module: String, detail: String },
    #[error("{0:?} is not a domain name; write e.g. example.org")]
    NotADomain(String),
    #[error("{0:?} is neither an e-mail address nor a domain name; write e.g. alice@example.edu or example.edu")]
    NotAnAddress(String),
    #[error("cannot write the manual page: {0}")]
    Manual(std::io::Error),
}

/// One line of a targets file or of standard input that names something to check.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TargetLine {
    /// A trimmed line of text.
    Text(String),
    /// A line that is not valid UTF-8 (say, a Latin-1 `é`): `shown` is the
    /// trimmed line with each bad byte replaced by U+FFFD; `number` counts from 1.
    NotUtf8 { number: usize, shown: String },
}

impl TargetLine {
    /// The error for a line that is not text, in plain words.
    pub fn not_utf8_error(number: usize) -> String {
        format!("line {number} is not valid UTF-8 text (it was probably saved as Latin-1 or Windows-1252); save the list of targets as UTF-8")
    }
}

/// Lines of a targets file: trimmed, without blanks and `#` comments, without
/// a UTF-8 byte-order mark at the start (as Windows Notepad writes one). A line
/// that is not UTF-8 spoils only itself.
pub fn target_lines(bytes: &[u8]) -> Vec<TargetLine> {
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    bytes
        .split(|&b| b == b'\n')
        .enumerate()
        .filter_map(|(i, line)| {
            let lossy = String::from_utf8_lossy(line);
            let trimmed = lossy.trim();
            if trimmed.is_empty() || trimmed.starts_with('#') {
                return None;
            }
            Some(match std::str::from_utf8(line) {
                Ok(_) => TargetLine::Text(trimmed.to_owned()),
                Err(_) => TargetLine::NotUtf8 {
                    number: i + 1,
                    shown: trimmed.to_owned(),
                },
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn text(lines: &[&str]) -> Vec<TargetLine> {
        lines
            .iter()
            .map(|l| TargetLine::Text(l.to_string()))
            .collect()
    }

    #[test]
    fn target_files_skip_blanks_and_comments() {
        let text_file =
            "# mail servers\nimap.example.org:993\n\n   smtp.example.org:587  \n#smtp.old:25\n";
        assert_eq!(
            target_lines(text_file.as_bytes()),
            text(&["imap.example.org:993", "smtp.example.org:587"])
        );
    }

    #[test]
    fn a_byte_order_mark_and_crlf_are_ignored() {
        let notepad = "\u{feff}imap.example.org:993\r\nsmtp.example.org:587\r\n";
        assert_eq!(
            target_lines(notepad.as_bytes()),
            text(&["imap.example.org:993", "smtp.example.org:587"])
        );
        // Only at the start: elsewhere U+FEFF is part of the line.
        assert_eq!(
            target_lines("a:993\n\u{feff}b:993".as_bytes()),
            text(&["a:993", "\u{feff}b:993"])
        );
        assert_eq!(target_lines(b"\xEF\xBB\xBF"), text(&[]));
    }

    #[test]
    fn a_line_that_is_not_utf8_spoils_only_itself() {
        let latin1 = b"a.example:993\ncaf\xe9.example:993\r\n# caf\xe9 (old)\nb.example:993\n";
        assert_eq!(
            target_lines(latin1),
            vec![
                TargetLine::Text("a.example:993".to_owned()),
                TargetLine::NotUtf8 {
                    number: 2,
                    shown: "caf\u{fffd}.example:993".to_owned()
                },
                TargetLine::Text("b.example:993".to_owned()),
            ]
        );
        let error = TargetLine::not_utf8_error(2);
        assert!(
            error.starts_with("line 2 is not valid UTF-8 text"),
            "{error}"
        );
    }
}

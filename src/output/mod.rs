//! Renderers: turn a [`crate::report::Document`] (and the other commands'
//! documents) into text. They never touch the network.

mod account;
pub mod clients;
mod domain;
pub mod escape;
mod human;
mod junit;
pub mod metrics;
mod nagios;
pub mod pem;
mod scan;

pub use account::{render_account, render_accounts};
pub use domain::render_domain;
pub use human::{render_report, render_summary};
pub use junit::render_junit;
pub use nagios::render_nagios;
pub use scan::render_scan;

use crate::diagnose::Severity;

/// The word of a verdict line, as monitoring plugins print it (info is OK).
pub fn verdict_word(severity: Severity) -> &'static str {
    match severity {
        Severity::Ok | Severity::Info => "OK",
        Severity::Warning => "WARNING",
        Severity::Unknown => "UNKNOWN",
        Severity::Critical => "CRITICAL",
    }
}

/// The output formats.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// A readable report for a person, coloured on a terminal.
    Human,
    /// One JSON document (see docs/json.md).
    Json,
    /// One JSON report per line, streamed in input order.
    Ndjson,
    /// A monitoring-plugin status line with performance data.
    Nagios,
    /// JUnit XML for CI: one test case per target.
    Junit,
}

/// Options that change what the human report shows.
#[derive(Debug, Clone, Copy, Default)]
pub struct HumanOptions {
    /// Show the plaintext and TLS dialogue line by line.
    pub transcript: bool,
}

/// One report, or any document, as a single line of JSON (for `--format ndjson`).
pub fn ndjson_line(document: &impl serde::Serialize) -> String {
    // Serializing plain data structs to a String cannot fail.
    let mut line = serde_json::to_string(document).unwrap_or_default();
    line.push('\n');
    line
}

/// A whole document (`check`'s, `scan`'s, `account`'s, `domain`'s) as pretty
/// JSON (for `--format json`).
pub fn json_document(document: &impl serde::Serialize) -> String {
    let mut text = serde_json::to_string_pretty(document).unwrap_or_default();
    text.push('\n');
    text
}

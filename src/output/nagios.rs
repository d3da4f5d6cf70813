//! Monitoring-plugin output (Nagios, Icinga, Checkmk, Zabbix's wrappers): one
//! status line with performance data, then one line per target.
//!
//! Format per the Monitoring Plugins development guidelines:
//! `SERVICE STATUS - text | 'label'=value[UOM];warn;crit;min;max ...`.

use std::fmt::Write;

use super::escape::one_line;
use super::verdict_word;
use crate::diagnose::{Policy, Severity};
use crate::report::{exit, Document, Report};

/// Days until the first certificate of the chain expires (the whole chain counts).
fn days_left(report: &Report) -> Option<i64> {
    report
        .facts
        .as_ref()?
        .certificates
        .iter()
        .filter(|c| c.parse_error.is_none())
        .map(|c| c.days_left)
        .min()
}

/// Performance-data labels may not contain `'` or `=`, nor anything that
/// breaks the line or starts another field.
fn label(report: &Report, what: &str) -> String {
    let name: String = one_line(&report.input)
        .chars()
        .map(|c| match c {
            '\'' | '=' => '_',
            c => c,
        })
        .collect();
    format!("'{name} {what}'")
}

pub fn render_nagios(document: &Document, policy: &Policy) -> String {
    let summary = &document.summary;
    let single = document.reports.len() == 1;
    let text = match document.reports.as_slice() {
        [only] => format!("{}: {}", one_line(&only.input), one_line(&only.headline)),
        reports => {
            let worst = reports
                .iter()
                .filter(|r| r.verdict == Severity::Critical)
                .chain(reports.iter().filter(|r| r.verdict == Severity::Unknown))
                .chain(reports.iter().filter(|r| r.verdict == Severity::Warning))
                .next();
            let mut text = format!(
                "{} targets: {} critical, {} unknown, {} warning, {} ok",
                summary.total, summary.critical, summary.unknown, summary.warning, summary.ok
            );
            if let Some(worst) = worst {
                let _ = write!(
                    text,
                    "; {}: {}",
                    one_line(&worst.input),
                    one_line(&worst.headline)
                );
            }
            text
        }
    };
    let mut perf = Vec::new();
    for report in &document.reports {
        let name = |what: &str| {
            if single {
                what.to_owned()
            } else {
                label(report, what)
            }
        };
        if let Some(days) = days_left(report) {
            // "warn:" means alert when below: the monitoring-plugin range syntax.
            perf.push(format!(
                "{}={days};{}:;{}:",
                name("days"),
                policy.warn_days,
                policy.crit_days
            ));
        }
        if let Some(facts) = &report.facts {
            if let Some(ms) = facts.tls.as_ref().and_then(|t| t.handshake_ms) {
                perf.push(format!(
                    "{}={:.3}s;;;0",
                    name("handshake"),
                    ms as f64 / 1000.0
                ));
            }
            perf.push(format!(
                "{}={:.3}s;;;0",
                name("time"),
                facts.duration_ms as f64 / 1000.0
            ));
        }
    }
    // Every piece of outside text above went through `one_line`: no line
    // break and no '|' (which starts performance data) comes from a server.
    let mut out = format!(
        "MAILTLS {} - {text}",
        verdict_word(exit::verdict_of(summary.exit_code))
    );
    if !perf.is_empty() {
        let _ = write!(out, " | {}", perf.join(" "));
    }
    out.push('\n');
    if !single {
        for report in &document.reports {
            let _ = writeln!(
                out,
                "{} {}: {}",
                verdict_word(report.verdict),
                one_line(&report.input),
                one_line(&report.headline)
            );
        }
    }
    out
}

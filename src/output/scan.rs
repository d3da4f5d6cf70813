//! The human form of `mailtls scan`: a port table, then the settings for users.

use std::fmt::Write;

use anstyle::Style;

use super::escape::Text;
use super::verdict_word;
use crate::diagnose::Severity;
use crate::report::scan::{Answer, PortResult, ScanDocument};

const BOLD: Style = Style::new().bold();
const DIM: Style = Style::new().dimmed();

fn verdict(answer: Answer, severity: Severity) -> (Style, &'static str) {
    if answer == Answer::Nothing {
        return (DIM, "-");
    }
    (
        super::human::severity_style(severity),
        verdict_word(severity),
    )
}

pub fn render_scan(doc: &ScanDocument) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "{BOLD}Mail ports of {}{BOLD:#}\n", Text(&doc.host));
    let port_text = |p: &PortResult| {
        if p.port == p.standard_port {
            p.port.to_string()
        } else {
            format!("{}→{}", p.standard_port, p.port)
        }
    };
    let width = doc
        .ports
        .iter()
        .map(|p| port_text(p).chars().count())
        .max()
        .unwrap_or(4)
        .max(4);
    let _ = writeln!(
        out,
        "  {BOLD}{:<width$} {:<12} {:<15} {:<9} why{BOLD:#}",
        "port", "service", "answers", "verdict"
    );
    for p in &doc.ports {
        let (style, word) = verdict(p.answer, p.verdict);
        let port = port_text(p);
        let why = match p.answer {
            Answer::Nothing => String::new(),
            _ => p
                .report
                .findings
                .iter()
                .find(|f| f.severity == p.verdict)
                .map_or_else(String::new, |f| f.code.to_string()),
        };
        let _ = writeln!(
            out,
            "  {port:<width$} {:<12} {:<15} {style}{word:<9}{style:#} {DIM}{why}{DIM:#}",
            p.protocol.display_name(),
            p.answer.describe(),
        );
    }
    out.push('\n');
    if doc.settings.is_empty() {
        let _ = writeln!(
            out,
            "{BOLD}No mail port offers an encrypted connection:{BOLD:#} there are no settings to give users."
        );
        return out;
    }
    let _ = writeln!(out, "{BOLD}Settings for mail clients{BOLD:#}");
    for s in &doc.settings {
        let role = match (s.role.as_str(), s.protocol.display_name()) {
            ("incoming", name) => format!("Incoming mail ({name})"),
            ("outgoing", name) => format!("Outgoing mail ({name})"),
            (_, _) => "Filters (ManageSieve)".to_owned(),
        };
        let _ = writeln!(
            out,
            "  {role:<24} server {}  port {:<5} security {}",
            Text(&s.server),
            s.port,
            s.security
        );
        if let Some(caveat) = &s.caveat {
            let _ = writeln!(out, "  {:<24} {DIM}but: {}{DIM:#}", "", Text(caveat));
        }
    }
    let _ = writeln!(
        out,
        "  {DIM}Outgoing mail needs authentication (the same user name and password); port 25 is for servers, not clients.{DIM:#}"
    );
    out
}

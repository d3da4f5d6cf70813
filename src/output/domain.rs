//! The human form of `mailtls domain`: the MX hosts with each address's
//! verdict and DANE state, then the domain's findings and each MX report's
//! findings that matter (warnings and worse, and every `dane.*`). Server and
//! DNS text goes through `escape`.

use std::fmt::Write;

use anstyle::Style;

use super::escape::Text;
use super::verdict_word;
use crate::diagnose::codes::Area;
use crate::diagnose::{Finding, Severity};
use crate::report::domain::DomainDocument;

const BOLD: Style = Style::new().bold();
const DIM: Style = Style::new().dimmed();

/// A TXT answer's records, or what the question got instead.
fn records(txt: &crate::facts::domain::TxtFacts) -> String {
    match (&txt.error, txt.records.is_empty()) {
        (Some(why), _) => format!("failed: {why}"),
        (None, true) => "none".to_owned(),
        (None, false) => txt.records.join(" | "),
    }
}

/// One finding as the account and domain reports list it: severity, code
/// and message, then the fix, at `indent`.
pub(super) fn write_finding(out: &mut String, f: &Finding, indent: &str) {
    let style = super::human::severity_style(f.severity);
    let _ = writeln!(
        out,
        "{indent}{style}{}{style:#} {}: {}",
        f.severity.name(),
        f.code,
        Text(&f.message)
    );
    if let Some(fix) = &f.fix {
        let _ = writeln!(out, "{indent}  {DIM}fix: {}{DIM:#}", Text(fix));
    }
}

pub fn render_domain(doc: &DomainDocument) -> String {
    let mut out = String::new();
    let d = &doc.domain;
    let style = super::human::severity_style(doc.verdict);
    let _ = writeln!(
        out,
        "{BOLD}Mail between servers for {}{BOLD:#}: {style}{}{style:#}\n",
        Text(&d.domain),
        verdict_word(doc.verdict)
    );
    let _ = writeln!(
        out,
        "{BOLD}MX{BOLD:#} {DIM}(DNSSEC: {}; trust anchor: {}){DIM:#}",
        d.mx.dnssec.name(),
        Text(&d.trust_anchor)
    );
    if doc.mx.is_empty() {
        let _ = writeln!(out, "  {DIM}none{DIM:#}");
    }
    for mx in &doc.mx {
        let implicit = match d.mx.implicit {
            true => format!(" {DIM}(implicit MX: no MX record, the domain's own address){DIM:#}"),
            false => String::new(),
        };
        let _ = writeln!(out, "  {:>5} {}{implicit}", mx.preference, Text(&mx.host));
        if mx.reports.is_empty() {
            let _ = writeln!(out, "        {DIM}not checked (no address){DIM:#}");
        }
        for report in &mx.reports {
            let Some(facts) = &report.facts else { continue };
            let at = facts
                .connected_to
                .or_else(|| facts.addresses.first().copied())
                .map_or_else(|| "-".to_owned(), |a| a.ip().to_string());
            let dane = facts.dane.as_ref().map_or_else(String::new, |dane| {
                format!(
                    "DANE: {} TLSA record(s), {}",
                    dane.records.len(),
                    dane.dnssec.name()
                )
            });
            let style = super::human::severity_style(report.verdict);
            let _ = writeln!(
                out,
                "        {at:<16} {style}{:<9}{style:#} {DIM}{}{DIM:#}",
                verdict_word(report.verdict),
                Text(&dane)
            );
            for f in report
                .findings
                .iter()
                .filter(|f| f.severity >= Severity::Warning || f.code.area() == Area::Dane)
            {
                write_finding(&mut out, f, "          ");
            }
        }
    }
    out.push('\n');
    let policy = d
        .mta_sts_policy
        .as_ref()
        .map_or_else(|| "not fetched".to_owned(), |p| p.outcome());
    let _ = writeln!(out, "{BOLD}MTA-STS{BOLD:#}");
    let _ = writeln!(
        out,
        "  {:<28} {DIM}{}{DIM:#}",
        Text(&d.mta_sts_record.name).to_string(),
        Text(&records(&d.mta_sts_record))
    );
    let _ = writeln!(out, "  {:<28} {DIM}{}{DIM:#}", "policy", Text(&policy));
    let _ = writeln!(out, "{BOLD}TLS-RPT{BOLD:#}");
    let _ = writeln!(
        out,
        "  {:<28} {DIM}{}{DIM:#}",
        Text(&d.tls_rpt_record.name).to_string(),
        Text(&records(&d.tls_rpt_record))
    );
    if !doc.findings.is_empty() {
        let _ = writeln!(out, "\n{BOLD}Findings for the domain{BOLD:#}");
        for f in &doc.findings {
            write_finding(&mut out, f, "  ");
        }
    }
    out
}

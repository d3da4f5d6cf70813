//! The human form of `mailtls account`: what DNS said, each endpoint with its
//! source and verdict, the settings for users, then the disagreements.

use std::fmt::Write;

use anstyle::Style;

use super::escape::Text;
use super::verdict_word;
use crate::facts::discovery::{host_port, Answer as Dns, DocOutcome, Source};
use crate::report::account::AccountDocument;
use crate::report::scan::Answer;

const BOLD: Style = Style::new().bold();
const DIM: Style = Style::new().dimmed();

/// Every address's report, in the order given, a blank line between them:
/// what `mailtls account` prints (styled; the output stream strips the styles
/// where colour is off).
pub fn render_accounts(docs: &[AccountDocument]) -> String {
    docs.iter()
        .map(render_account)
        .collect::<Vec<String>>()
        .join("\n")
}

pub fn render_account(doc: &AccountDocument) -> String {
    let mut out = String::new();
    let d = &doc.discovery;
    let who = d.address.as_deref().unwrap_or(&d.domain);
    let _ = writeln!(out, "{BOLD}Mail servers for {}{BOLD:#}\n", Text(who));

    let _ = writeln!(out, "{BOLD}DNS{BOLD:#}");
    for lookup in &d.lookups {
        // SRV records at port 0 are counted, and said not to be checked.
        let zero = d
            .port_zero
            .iter()
            .filter(|e| {
                matches!(e.source, Source::Srv(s) if lookup.kind == "SRV"
                    && lookup.name == s.name_in(&d.domain))
            })
            .count();
        let answer = match &lookup.answer {
            Dns::Found(n) if zero > 0 => {
                format!("{n} found, {zero} at port 0 (no port: not checked)")
            }
            Dns::Found(n) => format!("{n} found"),
            Dns::NoRecords => "none".to_owned(),
            Dns::NotOffered => "not offered (target \".\")".to_owned(),
            Dns::Failed(why) => format!("failed: {}", Text(why)),
        };
        let _ = writeln!(
            out,
            "  {:<6} {:<36} {DIM}{answer}{DIM:#}",
            lookup.kind,
            Text(&lookup.name).to_string()
        );
    }
    out.push('\n');
    let _ = writeln!(out, "{BOLD}Configuration documents{BOLD:#}");
    if d.offline {
        let _ = writeln!(out, "  {DIM}none fetched (--offline){DIM:#}");
    }
    if let Some(mx) = &d.mx {
        let _ = writeln!(
            out,
            "  {DIM}MX host {}, base domain {}{DIM:#}",
            Text(&mx.host),
            Text(mx.base_domain.as_deref().unwrap_or("-"))
        );
    }
    for doc in &d.documents {
        let outcome = match &doc.outcome {
            DocOutcome::Settings(n) => format!("{n} server(s)"),
            DocOutcome::Missing => doc.fetch.outcome(),
            DocOutcome::Unreadable(why) => format!("unreadable: {why}"),
            DocOutcome::RedirectAddr(to) => format!("redirects to the address {to}"),
        };
        let via = if doc.fetch.redirects.is_empty() {
            String::new()
        } else {
            format!(" → {}", doc.fetch.final_url)
        };
        let plain = if doc.fetch.forgeable() && matches!(doc.outcome, DocOutcome::Settings(_)) {
            " (plain HTTP: forgeable)"
        } else {
            ""
        };
        let _ = writeln!(
            out,
            "  {:<26} {}{} {DIM}{}{plain}{DIM:#}",
            doc.source.label(),
            Text(&doc.fetch.url),
            Text(&via),
            Text(&outcome)
        );
        for server in &doc.servers {
            let zero = if server.port == 0 {
                " (port 0 is no port: not checked)"
            } else {
                ""
            };
            let _ = writeln!(
                out,
                "  {:<26}   {} {} {}{DIM}{zero}{DIM:#}",
                "",
                server.protocol.display_name(),
                Text(&host_port(&server.host, server.port)),
                server.security.words()
            );
        }
    }
    if d.timed_out {
        let _ = writeln!(out, "  {DIM}(discovery ran out of time){DIM:#}");
    }
    if d.truncated {
        let _ = writeln!(
            out,
            "  {DIM}(more endpoints than kept; the first ones are checked){DIM:#}"
        );
    }
    out.push('\n');

    if doc.endpoints.is_empty() {
        let _ = writeln!(out, "{BOLD}No servers found.{BOLD:#}");
    } else {
        let _ = writeln!(out, "{BOLD}Servers{BOLD:#}");
        let name = |e: &crate::report::account::EndpointResult| {
            Text(&host_port(&e.endpoint.host, e.endpoint.port)).to_string()
        };
        let width = doc
            .endpoints
            .iter()
            .map(|e| name(e).chars().count())
            .max()
            .unwrap_or(6)
            .max(6);
        let _ = writeln!(
            out,
            "  {BOLD}{:<width$} {:<8} {:<26} {:<15} {:<9} why{BOLD:#}",
            "server", "service", "source", "answers", "verdict"
        );
        for e in &doc.endpoints {
            let (style, word) = match e.answer {
                Answer::Nothing => (DIM, "-"),
                _ => (
                    super::human::severity_style(e.verdict),
                    verdict_word(e.verdict),
                ),
            };
            let why = match (&e.report, e.answer) {
                (None, _) => "does not resolve".to_owned(),
                (Some(r), Answer::Nothing) => r.headline.clone(),
                (Some(r), _) => std::iter::once(r)
                    .chain(&e.address_reports)
                    .flat_map(|r| &r.findings)
                    .find(|f| f.severity == e.verdict)
                    .map_or_else(String::new, |f| f.code.to_string()),
            };
            let _ = writeln!(
                out,
                "  {:<width$} {:<8} {:<26} {:<15} {style}{word:<9}{style:#} {DIM}{}{DIM:#}",
                name(e),
                e.endpoint.protocol.display_name(),
                e.endpoint.source.to_string(),
                e.answer.describe(),
                Text(&why)
            );
        }
    }
    out.push('\n');

    if doc.settings.is_empty() {
        let _ = writeln!(
            out,
            "{BOLD}No server found offers an encrypted connection:{BOLD:#} there are no settings to give users."
        );
    } else {
        let _ = writeln!(out, "{BOLD}Settings for mail clients{BOLD:#}");
        for s in &doc.settings {
            let role = match s.role.as_str() {
                "incoming" => format!("Incoming mail ({})", s.protocol.display_name()),
                _ => format!("Outgoing mail ({})", s.protocol.display_name()),
            };
            let _ = writeln!(
                out,
                "  {role:<22} server {}  port {:<5} security {:<8} {DIM}from {}{DIM:#}",
                Text(&s.server),
                s.port,
                s.security,
                s.source
            );
            if let Some(caveat) = &s.caveat {
                let _ = writeln!(out, "  {:<22} {DIM}but: {}{DIM:#}", "", Text(caveat));
            }
        }
        let _ = writeln!(
            out,
            "  {DIM}User name: usually the whole address; outgoing mail needs the same login.{DIM:#}"
        );
    }

    if !doc.findings.is_empty() {
        let _ = writeln!(out, "\n{BOLD}Findings{BOLD:#}");
        for f in &doc.findings {
            super::domain::write_finding(&mut out, f, "  ");
        }
    }
    out
}

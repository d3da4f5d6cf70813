//! The human report: verdict and helpdesk sentence first, then findings, then the details.

use std::fmt::Write;

use anstyle::{AnsiColor, Style};

use crate::diagnose::clients::{self, ClientOutcome, Outcome};
use crate::diagnose::{Finding, Severity};
use crate::facts::cert::{date_only, short_name, CertFacts, Validity};
use crate::facts::dialogue::Side;
use crate::facts::probe::{Acceptance, ProbeFacts};
use crate::facts::tls::{StoreKind, StoreVerdict, TlsFacts};
use crate::facts::CheckFacts;
use crate::report::{Report, Summary};

use super::escape::Text;
use super::{verdict_word, HumanOptions};

const BOLD: Style = Style::new().bold();
const DIM: Style = Style::new().dimmed();
const LABEL_WIDTH: usize = 13;

pub(super) fn severity_style(severity: Severity) -> Style {
    match severity {
        Severity::Ok => AnsiColor::Green.on_default(),
        Severity::Info => AnsiColor::Cyan.on_default(),
        Severity::Warning => AnsiColor::Yellow.on_default(),
        Severity::Critical => AnsiColor::Red.on_default().bold(),
        Severity::Unknown => AnsiColor::Magenta.on_default(),
    }
}

fn severity_mark(severity: Severity) -> &'static str {
    match severity {
        Severity::Ok => "✓",
        Severity::Info => "i",
        Severity::Warning => "!",
        Severity::Critical => "✗",
        Severity::Unknown => "?",
    }
}

/// The closing lines of a batch: counts by verdict and the slowest targets.
pub fn render_summary(s: &Summary) -> String {
    let mut out = format!(
        "{BOLD}{} targets:{BOLD:#} {} ok, {} warning, {} critical, {} unknown\n",
        s.total, s.ok, s.warning, s.critical, s.unknown
    );
    if s.total > 1 && !s.slowest.is_empty() {
        let slowest = s
            .slowest
            .iter()
            .map(|t| format!("{} ({} ms)", Text(&t.input), t.duration_ms))
            .collect::<Vec<_>>()
            .join(", ");
        let _ = writeln!(out, "{DIM}slowest: {slowest}{DIM:#}");
    }
    out
}

/// One target's report.
pub fn render_report(report: &Report, options: HumanOptions) -> String {
    let mut out = String::new();
    let style = severity_style(report.verdict);
    let Some(facts) = &report.facts else {
        // An input that is not a target: just say so.
        let _ = writeln!(
            out,
            "{BOLD}{}{BOLD:#}  {style}{}{style:#}\n  {}",
            Text(&report.input),
            verdict_word(report.verdict),
            Text(&report.headline)
        );
        return out;
    };
    let out = &mut out;
    let target = &facts.target;
    let _ = writeln!(
        out,
        "{BOLD}{}:{}{BOLD:#}  {} with {}  {style}{}{style:#}",
        target.host,
        target.port,
        target.protocol.display_name(),
        target.mode.client_setting(),
        verdict_word(report.verdict),
    );
    let _ = writeln!(out, "  {}", Text(&report.headline));
    if let Some(fix) = report.what_to_do() {
        let _ = writeln!(out, "  {BOLD}What to do:{BOLD:#} {}", Text(fix));
    }
    out.push('\n');
    for finding in &report.findings {
        render_finding(out, finding);
    }
    if !report.findings.is_empty() {
        out.push('\n');
    }
    render_clients(out, &report.clients);
    render_details(out, facts);
    if options.transcript {
        render_transcript(out, facts);
    }
    std::mem::take(out)
}

fn render_finding(out: &mut String, finding: &Finding) {
    let style = severity_style(finding.severity);
    let _ = writeln!(
        out,
        "  {style}{} {:<8}{style:#} {DIM}{}{DIM:#}",
        severity_mark(finding.severity),
        finding.severity.name(),
        finding.code
    );
    let _ = writeln!(out, "             {}", Text(&finding.message));
    if let Some(fix) = &finding.fix {
        let _ = writeln!(out, "             {BOLD}Fix:{BOLD:#} {}", Text(fix));
    }
}

/// One line per client family: its outcome and the first reason.
fn render_clients(out: &mut String, clients: &[ClientOutcome]) {
    for (i, client) in clients.iter().enumerate() {
        let name = clients::profile(&client.id).map_or(client.name.as_str(), |p| p.short);
        let outcome = match client.outcome {
            Outcome::Connects => "connects",
            Outcome::Warns => "warns",
            Outcome::CannotConnect => "cannot connect",
            Outcome::Unknown => "unknown",
        };
        let why = client.causes.first().map_or("", String::as_str);
        let value = format!("{name:<17} {outcome:<16}{why}");
        label(out, if i == 0 { "Clients" } else { "" }, value.trim_end());
    }
    if !clients.is_empty() {
        out.push('\n');
    }
}

/// A labelled line of details; the value is data, shown escaped.
fn label(out: &mut String, name: &str, value: &str) {
    let _ = writeln!(out, "  {BOLD}{name:<LABEL_WIDTH$}{BOLD:#}{}", Text(value));
}

/// The facts under the findings: connection, greeting, TLS, trust,
/// certificates, capabilities, probe.
fn render_details(out: &mut String, facts: &CheckFacts) {
    label(out, "Connection", &connection_text(facts));
    if let Some(stop) = &facts.stopped {
        label(out, "Stopped", &stop.message);
    }
    if let Some(greeting) = &facts.dialogue.greeting {
        label(out, "Greeting", greeting);
    }
    if let Some(tls) = &facts.tls {
        render_tls(out, tls);
    }
    if !facts.trust_by_store.is_empty() {
        label(
            out,
            "",
            &format!("by store: {}", by_store_text(&facts.trust_by_store)),
        );
    }
    if !facts.certificates.is_empty() {
        label(
            out,
            "Certificates",
            &format!("{} sent by the server, in order:", facts.certificates.len()),
        );
        for cert in &facts.certificates {
            render_cert(out, cert, facts.started_unix);
            let asked = facts
                .revocation
                .iter()
                .flat_map(|r| &r.certificates)
                .filter(|r| r.position == cert.position);
            for revocation in asked {
                let indent = " ".repeat(LABEL_WIDTH + 2);
                let _ = writeln!(
                    out,
                    "{indent}   revocation: {}",
                    Text(&revocation.summary())
                );
            }
        }
    }
    if let Some(caps) = &facts.dialogue.capabilities_before_tls {
        label(out, "Before TLS", &caps.join(" "));
    }
    if let Some(caps) = &facts.dialogue.capabilities_after_tls {
        label(out, "Inside TLS", &caps.join(" "));
    }
    if let Some(probe) = &facts.probe {
        render_probe(out, probe, &facts.certificates, facts.started_unix);
    }
}

fn connection_text(facts: &CheckFacts) -> String {
    match facts.connected_to {
        Some(address) => format!("{address}, checked in {} ms", facts.duration_ms),
        None if facts.addresses.is_empty() => "not connected".to_owned(),
        None => {
            let tried: Vec<String> = facts.addresses.iter().map(|a| a.to_string()).collect();
            format!("not connected (tried {})", tried.join(", "))
        }
    }
}

/// What was negotiated, SNI, ALPN, OCSP, and the handshake's own trust verdict.
fn render_tls(out: &mut String, tls: &TlsFacts) {
    let mut parts = Vec::new();
    parts.extend(tls.version.clone());
    parts.extend(tls.cipher_suite.clone());
    if let Some(kx) = &tls.key_exchange {
        parts.push(match kx.post_quantum {
            true => format!("{} (post-quantum hybrid)", kx.group),
            false => kx.group.clone(),
        });
    }
    if let Some(ms) = tls.handshake_ms {
        parts.push(format!("handshake {ms} ms"));
    }
    let sni = tls.sni.as_deref().unwrap_or("(none sent)");
    if parts.is_empty() {
        // The handshake never completed: there is nothing negotiated to show.
        label(out, "TLS", &format!("no session · SNI {sni}"));
    } else {
        label(out, "TLS", &parts.join(" · "));
        use crate::facts::ocsp::OcspStatus;
        let ocsp = match (tls.ocsp_stapled, tls.ocsp.as_ref().map(|o| o.status)) {
            (false, _) => "not stapled",
            // Saved before the staple was read: stapled is all that is known.
            (true, None) => "stapled",
            (true, Some(Some(OcspStatus::Good))) => "stapled (good)",
            (true, Some(Some(OcspStatus::Revoked))) => "stapled (REVOKED)",
            (true, Some(Some(OcspStatus::Unknown))) => "stapled (status unknown)",
            (true, Some(None)) => "stapled (unusable)",
        };
        let alpn = tls.alpn.as_deref().unwrap_or("none");
        label(out, "", &format!("SNI {sni} · ALPN {alpn} · OCSP {ocsp}"));
    }
    if let Some(v) = &tls.verification {
        let outcome = match v.trusted {
            true => "trusted",
            false => "NOT trusted",
        };
        let store = v.trust_store.label();
        label(
            out,
            "Trust",
            &format!("{outcome} for {} by {store}", v.name),
        );
    }
}

fn by_store_text(verdicts: &[StoreVerdict]) -> String {
    let each: Vec<String> = verdicts
        .iter()
        .map(|v| {
            let store = match v.store {
                StoreKind::Mozilla => "Mozilla",
                StoreKind::System => "this machine",
                StoreKind::CaFiles => "CA files",
                StoreKind::Apple => "Apple",
                StoreKind::Microsoft => "Windows",
                StoreKind::Android => "Android",
                StoreKind::Android8 => "Android 8",
                StoreKind::Java => "Java",
            };
            let answer = match v.trusted {
                Some(true) => "yes",
                Some(false) => "no",
                None => "unavailable",
            };
            format!("{store}: {answer}")
        })
        .collect();
    each.join(" · ")
}

/// The probe as a compact table: one line per version.
/// `shown`: the certificates already listed under Certificates.
fn render_probe(out: &mut String, probe: &ProbeFacts, shown: &[CertFacts], now: i64) {
    label(
        out,
        "Probe",
        &format!(
            "{} connection{} in {} ms{}",
            probe.connections,
            if probe.connections == 1 { "" } else { "s" },
            probe.duration_ms,
            probe
                .stopped
                .as_deref()
                .map_or_else(String::new, |s| format!(" · stopped early: {s}"))
        ),
    );
    let indent = " ".repeat(LABEL_WIDTH + 2);
    let _ = writeln!(
        out,
        "{indent}{DIM}{:<8} {:<14} {:>6}  strongest / weakest{DIM:#}",
        "version", "accepted", "suites"
    );
    for v in &probe.versions {
        let accepted = match (v.accepted, v.server_order) {
            (Acceptance::Yes, Some(true)) => "yes, own order",
            (Acceptance::Yes, _) => "yes",
            (Acceptance::No, _) => "no",
            (Acceptance::Inconclusive, _) => "inconclusive",
        };
        let count = match (v.accepted, v.suites_complete) {
            (Acceptance::Yes, true) => v.suites.len().to_string(),
            (Acceptance::Yes, false) => format!("{}+", v.suites.len()),
            _ => String::new(),
        };
        let range = match (v.strongest(), v.weakest()) {
            (Some(best), Some(worst)) if best.name != worst.name => {
                format!("{} / {}", best.openssl_name, worst.openssl_name)
            }
            (Some(only), _) => only.openssl_name.clone(),
            _ => v.detail.clone().unwrap_or_default(),
        };
        let _ = writeln!(
            out,
            "{indent}{:<8} {accepted:<14} {count:>6}  {}",
            v.version.name(),
            Text(&range)
        );
        if let Some(groups) = v.groups.as_ref().filter(|g| !g.is_empty()) {
            let groups = groups.join(", ");
            let _ = writeln!(out, "{indent}{:<8} groups: {}", "", Text(&groups));
        }
    }
    render_extras(out, probe);
    if !probe.legacy_certificates.is_empty() && probe.legacy_certificates == *shown {
        label(
            out,
            "",
            "the certificates above were read from the probe's own handshake",
        );
    } else if !probe.legacy_certificates.is_empty() {
        label(
            out,
            "",
            &format!(
                "{} certificate(s) read from the probe's own handshake",
                probe.legacy_certificates.len()
            ),
        );
        for cert in &probe.legacy_certificates {
            render_cert(out, cert, now);
        }
    }
}

/// The extra questions and resumption, one line each, when they were asked.
fn render_extras(out: &mut String, probe: &ProbeFacts) {
    let answer = |a: Option<bool>| match a {
        Some(true) => "yes",
        Some(false) => "no",
        None => "?",
    };
    let extras = &probe.extras;
    if let Some(version) = extras.version {
        let mut parts = vec![
            format!("compression {}", answer(extras.compression)),
            format!("EMS {}", answer(extras.extended_master_secret)),
            format!("heartbeat {}", answer(extras.heartbeat)),
        ];
        if extras.heartbleed.is_some() {
            parts.push(format!("Heartbleed {}", answer(extras.heartbleed)));
        }
        parts.push(format!("CCS injection {}", answer(extras.ccs_injection)));
        if let Some(robot) = &extras.robot {
            use crate::facts::probe::RobotVerdict;
            parts.push(
                match robot.verdict {
                    RobotVerdict::NotVulnerable => "ROBOT no",
                    RobotVerdict::WeakOracle => "ROBOT weak oracle",
                    RobotVerdict::StrongOracle => "ROBOT strong oracle",
                    RobotVerdict::Inconclusive => "ROBOT ?",
                }
                .to_owned(),
            );
        }
        if extras.client_renegotiation.is_some() {
            parts.push(format!(
                "client renegotiation {}",
                answer(extras.client_renegotiation)
            ));
        }
        if let Some(dh) = &extras.dh {
            parts.push(format!("DHE {} bits", dh.bits));
        }
        label(
            out,
            "",
            &format!("{}: {}", version.name(), parts.join(" · ")),
        );
    }
    if let Some(r) = &probe.resumption {
        label(
            out,
            "",
            &format!(
                "resumption: TLS 1.2 session ID {} · TLS 1.2 tickets {} · TLS 1.3 {} · 0-RTT offered {}",
                answer(r.tls12_session_id),
                answer(r.tls12_ticket),
                answer(r.tls13_ticket),
                answer(r.tls13_early_data)
            ),
        );
    }
}

fn render_cert(out: &mut String, cert: &CertFacts, now: i64) {
    let indent = " ".repeat(LABEL_WIDTH + 2);
    if let Some(error) = &cert.parse_error {
        let _ = writeln!(out, "{indent}{}. {}", cert.position + 1, Text(error));
        let _ = writeln!(out, "{indent}   SHA-256 {}", cert.sha256);
        return;
    }
    let validity = match cert.validity(now) {
        Validity::NotYetValid => format!("NOT VALID until {}", date_only(&cert.not_before)),
        Validity::Expired { days_ago } => {
            format!(
                "EXPIRED {} ({days_ago} days ago)",
                date_only(&cert.not_after)
            )
        }
        Validity::Valid { days_left } => {
            format!(
                "valid until {} ({days_left} days)",
                date_only(&cert.not_after)
            )
        }
    };
    let kind = match (cert.is_ca, cert.self_issued) {
        (true, true) => ", root CA",
        (true, false) => ", CA",
        (false, true) => ", self-signed",
        (false, false) => "",
    };
    let _ = writeln!(
        out,
        "{indent}{}. {BOLD}{}{BOLD:#}{kind}",
        cert.position + 1,
        Text(short_name(&cert.subject))
    );
    if !cert.names.is_empty() {
        // Every name is in the JSON; a line shows the first hundred.
        let names = crate::facts::cert::listed_names(&cert.names, 100);
        let _ = writeln!(out, "{indent}   names:  {}", Text(&names));
    }
    let _ = writeln!(out, "{indent}   issuer: {}", Text(&cert.issuer));
    let _ = writeln!(
        out,
        "{indent}   {}; {}, {}",
        Text(&validity),
        Text(&cert.key),
        Text(&cert.signature_algorithm)
    );
    let _ = writeln!(
        out,
        "{indent}   {DIM}serial {} · SHA-256 {}{DIM:#}",
        Text(&cert.serial),
        cert.sha256
    );
    for url in &cert.ca_issuers_urls {
        let _ = writeln!(
            out,
            "{indent}   {DIM}issuer certificate at {}{DIM:#}",
            Text(url)
        );
    }
    for url in &cert.ocsp_urls {
        let _ = writeln!(out, "{indent}   {DIM}OCSP {}{DIM:#}", Text(url));
    }
}

fn render_transcript(out: &mut String, facts: &CheckFacts) {
    label(out, "Transcript", "");
    for line in &facts.transcript.lines {
        let who = match line.from {
            Side::Client => "C:",
            Side::Server => "S:",
        };
        let tls = if line.tls { " (TLS)" } else { "" };
        let _ = writeln!(out, "    {DIM}{who}{tls}{DIM:#} {}", Text(&line.text));
    }
    if facts.transcript.truncated {
        let _ = writeln!(out, "    {DIM}(transcript truncated){DIM:#}");
    }
    if let Some(text) = &facts.unexpected_plaintext {
        let _ = writeln!(out, "    {DIM}S: (discarded before TLS){DIM:#} {text:?}");
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::facts::probe::{ProbeExtras, TlsVersion};

    #[test]
    fn the_extras_line_tells_client_renegotiation_only_when_answered() {
        let mut probe = crate::facts::testing::ProbeBuilder::empty().build();
        probe.secure_renegotiation = Some(true);
        probe.extras = ProbeExtras {
            version: Some(TlsVersion::Tls12),
            client_renegotiation: Some(false),
            ..ProbeExtras::default()
        };
        let mut out = String::new();
        render_extras(&mut out, &probe);
        assert!(
            out.contains("CCS injection ? · client renegotiation no"),
            "{out}"
        );
        probe.extras.client_renegotiation = None;
        let mut out = String::new();
        render_extras(&mut out, &probe);
        assert!(!out.contains("renegotiation"), "{out}");
    }
}

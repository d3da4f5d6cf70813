//! `mailtls account ADDRESS`: the servers a mail client finds for an address,
//! each checked, the settings to give users, and where DNS and the servers
//! disagree. Pure: from discovery facts and the endpoints' reports.
//!
//! The settings follow RFC 8314 as `scan`'s do: a clean endpoint first, SSL/TLS
//! before STARTTLS, published (SRV) before guessed, never an unencrypted one.

use std::net::IpAddr;

use serde::{Deserialize, Serialize};

use super::exit;
use super::scan::Answer;
use crate::diagnose::{Code, Finding, Severity};
use crate::facts::discovery::{Discovery, Endpoint, Source};
use crate::facts::protocol::{Protocol, TlsMode};
use crate::report::{Report, Tool, SCHEMA_VERSION};

/// One endpoint and what its check found.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EndpointResult {
    pub endpoint: Endpoint,
    /// Where its host resolved to; empty when it did not (and was not checked).
    pub addresses: Vec<IpAddr>,
    pub answer: Answer,
    pub verdict: Severity,
    /// The check's report; `None` when the host did not resolve.
    pub report: Option<Report>,
}

/// One line of the settings to hand a user, and where it came from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AccountSetting {
    /// "incoming" or "outgoing".
    pub role: String,
    pub protocol: Protocol,
    pub server: String,
    pub port: u16,
    /// In mail-client words: "SSL/TLS" or "STARTTLS".
    pub security: String,
    pub source: Source,
    /// Set when even the best choice has a problem (e.g. its certificate).
    pub caveat: Option<String>,
}

/// The whole result, for `--format json`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AccountDocument {
    pub schema: u32,
    pub tool: Tool,
    /// What DNS said (its endpoints are in `endpoints`, with their results).
    pub discovery: Discovery,
    pub endpoints: Vec<EndpointResult>,
    pub settings: Vec<AccountSetting>,
    /// Where DNS and the servers disagree, worst first.
    pub findings: Vec<Finding>,
    pub exit_code: u8,
}

fn clean(verdict: Severity) -> bool {
    matches!(verdict, Severity::Ok | Severity::Info | Severity::Warning)
}

fn secure(answer: Answer) -> bool {
    matches!(answer, Answer::ImplicitTls | Answer::Starttls)
}

/// The settings per protocol: IMAP and POP3 incoming, SMTP outgoing.
pub fn settings(endpoints: &[EndpointResult]) -> Vec<AccountSetting> {
    let mut settings = Vec::new();
    for (protocol, role) in [
        (Protocol::Imap, "incoming"),
        (Protocol::Pop3, "incoming"),
        (Protocol::Smtp, "outgoing"),
    ] {
        let chosen = endpoints
            .iter()
            .enumerate()
            .filter(|(_, e)| e.endpoint.protocol == protocol && secure(e.answer))
            .min_by_key(|(i, e)| {
                (
                    !clean(e.verdict),
                    e.answer != Answer::ImplicitTls,
                    !e.endpoint.source.is_published(),
                    *i,
                )
            })
            .map(|(_, e)| e);
        let Some(chosen) = chosen else { continue };
        settings.push(AccountSetting {
            role: role.to_owned(),
            protocol,
            server: chosen.endpoint.host.clone(),
            port: chosen.endpoint.port,
            security: match chosen.answer {
                Answer::ImplicitTls => "SSL/TLS",
                _ => "STARTTLS",
            }
            .to_owned(),
            source: chosen.endpoint.source,
            caveat: (!clean(chosen.verdict))
                .then(|| chosen.report.as_ref().map(|r| r.headline.clone()))
                .flatten(),
        });
    }
    settings
}

/// `_imaps._tcp.example.edu`, the name an SRV endpoint was published under.
fn published_name(endpoint: &Endpoint, domain: &str) -> String {
    match endpoint.source {
        Source::Srv(service) => format!("{}.{domain}", service.label()),
        Source::Alongside(_) | Source::Guess => format!("{}:{}", endpoint.host, endpoint.port),
    }
}

/// The findings that need the whole account: DNS against what answers.
pub fn findings(discovery: &Discovery, endpoints: &[EndpointResult]) -> Vec<Finding> {
    let domain = &discovery.domain;
    let mut findings = Vec::new();
    let published = |e: &&EndpointResult| e.endpoint.source.is_published();

    let srv_failed = discovery
        .lookups
        .iter()
        .any(|l| l.kind == "SRV" && matches!(l.answer, crate::facts::discovery::Answer::Failed(_)));
    if !endpoints.iter().any(|e| published(&e)) && !srv_failed {
        let from = if discovery.guessed && !endpoints.is_empty() {
            "the settings below come from guessed host names (imap., pop., smtp., mail.), as Thunderbird guesses them"
        } else if discovery.guessed {
            "and no guessed host name (imap., pop., smtp., mail.) resolves"
        } else {
            "and guessing is off (--no-guess)"
        };
        findings.push(Finding {
            code: Code::AccountNothingPublished,
            severity: Severity::Info,
            message: format!(
                "{domain} publishes no SRV records for mail clients (RFC 6186, RFC 8314); {from}."
            ),
            fix: Some(format!(
                "Publish SRV records so clients that look for them (Evolution, aerc, …) find the servers, e.g. _imaps._tcp.{domain}. SRV 0 1 993 imap.{domain}. and _submissions._tcp.{domain}. SRV 0 1 465 smtp.{domain}."
            )),
        });
    }

    for e in endpoints.iter().filter(published) {
        let name = published_name(&e.endpoint, domain);
        let at = format!("{}:{}", e.endpoint.host, e.endpoint.port);
        if e.answer == Answer::Nothing {
            let why = match &e.report {
                None => "which does not resolve".to_owned(),
                Some(report) => format!("where nothing answers ({})", report.headline),
            };
            findings.push(Finding {
                code: Code::AccountEndpointUnreachable,
                severity: Severity::Warning,
                message: format!(
                    "{name} points to {at}, {why}; clients that follow it fail or wait."
                ),
                fix: Some(format!(
                    "Correct or remove the SRV record {name}, or make the server answer at {at}."
                )),
            });
        }
        let mismatch = e
            .report
            .iter()
            .flat_map(|r| &r.findings)
            .any(|f| f.code == Code::CertNameMismatch);
        if mismatch {
            findings.push(Finding {
                code: Code::AccountSrvTargetNameMismatch,
                severity: Severity::Warning,
                message: format!(
                    "{name} points to {at}, but the certificate there does not cover {}; clients verify it for the name the SRV record gives, and warn or refuse.",
                    e.endpoint.host
                ),
                fix: Some(format!(
                    "Point {name} at a name the certificate covers, or add {} to the certificate.",
                    e.endpoint.host
                )),
            });
        }
    }

    for protocol in [Protocol::Imap, Protocol::Pop3, Protocol::Smtp] {
        let of_protocol = |e: &&EndpointResult| e.endpoint.protocol == protocol;
        // A working SSL/TLS endpoint: published, or tried alongside a STARTTLS-only record.
        let Some(best_tls) = endpoints
            .iter()
            .filter(of_protocol)
            .filter(|e| matches!(e.endpoint.source, Source::Srv(_) | Source::Alongside(_)))
            .filter(|e| e.endpoint.mode == TlsMode::Implicit)
            .filter(|e| e.answer == Answer::ImplicitTls && clean(e.verdict))
            .min_by_key(|e| e.endpoint.priority)
        else {
            continue;
        };
        let unpublished = !best_tls.endpoint.source.is_published();
        let ahead = endpoints
            .iter()
            .filter(of_protocol)
            .filter(|e| e.endpoint.source.is_published() && e.endpoint.mode == TlsMode::Starttls)
            .filter(|e| matches!(e.answer, Answer::Starttls | Answer::PlaintextOnly))
            .filter(|e| unpublished || e.endpoint.priority <= best_tls.endpoint.priority)
            .min_by_key(|e| e.endpoint.priority);
        let Some(ahead) = ahead else { continue };
        let priority = |e: &EndpointResult| e.endpoint.priority.unwrap_or_default();
        let ahead_name = published_name(&ahead.endpoint, domain);
        let ahead_at = format!(
            "{}:{}, {}",
            ahead.endpoint.host,
            ahead.endpoint.port,
            ahead.answer.describe()
        );
        let tls_at = format!("{}:{}", best_tls.endpoint.host, best_tls.endpoint.port);
        let (message, fix) = match best_tls.endpoint.source {
            Source::Alongside(service) => {
                let tls_name = format!("{}.{domain}", service.implicit_twin().label());
                (
                    format!(
                        "For {}, SRV publishes only {ahead_name} ({ahead_at}), but {tls_at} answers SSL/TLS; clients that follow SRV records never use it.",
                        protocol.display_name()
                    ),
                    format!(
                        "RFC 8314 prefers SSL/TLS: publish {tls_name}. SRV 0 1 {} {}. and give {ahead_name} a higher priority number, or remove it.",
                        best_tls.endpoint.port, best_tls.endpoint.host
                    ),
                )
            }
            _ => {
                let tls_name = published_name(&best_tls.endpoint, domain);
                (
                    format!(
                        "For {}, {ahead_name} ({ahead_at}, priority {}) ranks as high as or higher than {tls_name} ({tls_at}, SSL/TLS, priority {}), which works; clients that weigh both by priority may choose the weaker one.",
                        protocol.display_name(),
                        priority(ahead),
                        priority(best_tls),
                    ),
                    format!(
                        "RFC 8314 prefers SSL/TLS: give {tls_name} a lower priority number than {ahead_name}, or remove the latter."
                    ),
                )
            }
        };
        findings.push(Finding {
            code: Code::AccountStarttlsWhereTlsWorks,
            severity: Severity::Warning,
            message,
            fix: Some(fix),
        });
    }
    findings.sort_by_key(|f| std::cmp::Reverse(severity_rank(f.severity)));
    findings
}

fn severity_rank(s: Severity) -> u8 {
    match s {
        Severity::Ok => 0,
        Severity::Info => 1,
        Severity::Warning => 2,
        Severity::Unknown => 3,
        Severity::Critical => 4,
    }
}

/// The exit code: the worst verdict among endpoints that answer and of the
/// account's findings; 3 when no endpoint answers.
pub fn exit_code(endpoints: &[EndpointResult], findings: &[Finding]) -> u8 {
    let answering: Vec<Severity> = endpoints
        .iter()
        .filter(|e| e.answer != Answer::Nothing)
        .map(|e| e.verdict)
        .collect();
    if answering.is_empty() {
        return exit::of_answering_ports(&[]);
    }
    let all: Vec<Severity> = answering
        .into_iter()
        .chain(findings.iter().map(|f| f.severity))
        .collect();
    exit::of_answering_ports(&all)
}

impl AccountDocument {
    pub fn new(mut discovery: Discovery, endpoints: Vec<EndpointResult>) -> AccountDocument {
        discovery.endpoints.clear();
        let findings = findings(&discovery, &endpoints);
        AccountDocument {
            schema: SCHEMA_VERSION,
            tool: Tool {
                name: env!("CARGO_PKG_NAME").to_owned(),
                version: env!("CARGO_PKG_VERSION").to_owned(),
            },
            settings: settings(&endpoints),
            exit_code: exit_code(&endpoints, &findings),
            findings,
            discovery,
            endpoints,
        }
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use super::*;
    use crate::facts::discovery::{Lookup, SrvService};

    fn discovery(guessed: bool) -> Discovery {
        Discovery {
            address: Some("alice@example.edu".to_owned()),
            domain: "example.edu".to_owned(),
            name_server: None,
            lookups: vec![Lookup {
                name: "_imaps._tcp.example.edu".to_owned(),
                kind: "SRV".to_owned(),
                answer: crate::facts::discovery::Answer::NoRecords,
            }],
            endpoints: Vec::new(),
            addresses: BTreeMap::new(),
            guessed,
            truncated: false,
            timed_out: false,
        }
    }

    fn result(
        source: Source,
        port: u16,
        mode: TlsMode,
        priority: u16,
        answer: Answer,
        verdict: Severity,
    ) -> EndpointResult {
        let protocol = match source {
            Source::Srv(service) | Source::Alongside(service) => service.protocol(),
            Source::Guess => Protocol::Imap,
        };
        EndpointResult {
            endpoint: Endpoint {
                host: "mail.example.edu".to_owned(),
                port,
                protocol,
                mode,
                source,
                priority: source.is_published().then_some(priority),
                weight: source.is_published().then_some(1),
            },
            addresses: vec![IpAddr::from([127, 0, 0, 1])],
            answer,
            verdict,
            report: None,
        }
    }

    fn codes(findings: &[Finding]) -> Vec<Code> {
        findings.iter().map(|f| f.code).collect()
    }

    #[test]
    fn starttls_ranked_ahead_of_working_tls_is_flagged_and_tls_recommended() {
        let endpoints = vec![
            result(
                Source::Srv(SrvService::Imaps),
                993,
                TlsMode::Implicit,
                10,
                Answer::ImplicitTls,
                Severity::Ok,
            ),
            result(
                Source::Srv(SrvService::Imap),
                143,
                TlsMode::Starttls,
                0,
                Answer::Starttls,
                Severity::Ok,
            ),
        ];
        let doc = AccountDocument::new(discovery(false), endpoints);
        assert_eq!(codes(&doc.findings), [Code::AccountStarttlsWhereTlsWorks]);
        assert!(doc.findings[0].message.contains("_imap._tcp.example.edu"));
        assert_eq!(doc.settings.len(), 1);
        assert_eq!(doc.settings[0].port, 993);
        assert_eq!(doc.settings[0].security, "SSL/TLS");
        assert_eq!(doc.exit_code, 1);
    }

    #[test]
    fn starttls_published_alone_where_tls_works_alongside_is_flagged() {
        let endpoints = vec![
            result(
                Source::Srv(SrvService::Imap),
                143,
                TlsMode::Starttls,
                0,
                Answer::Starttls,
                Severity::Ok,
            ),
            result(
                Source::Alongside(SrvService::Imap),
                993,
                TlsMode::Implicit,
                0,
                Answer::ImplicitTls,
                Severity::Ok,
            ),
        ];
        let doc = AccountDocument::new(discovery(false), endpoints);
        assert_eq!(codes(&doc.findings), [Code::AccountStarttlsWhereTlsWorks]);
        assert!(doc.findings[0]
            .message
            .contains("publishes only _imap._tcp.example.edu"));
        let fix = doc.findings[0].fix.as_deref().unwrap_or_default();
        assert!(
            fix.contains("_imaps._tcp.example.edu. SRV 0 1 993 mail.example.edu."),
            "{fix}"
        );
        assert_eq!(doc.settings[0].port, 993);
        assert_eq!(doc.settings[0].source, Source::Alongside(SrvService::Imap));
    }

    #[test]
    fn nothing_at_the_tls_port_alongside_is_no_finding() {
        let endpoints = vec![
            result(
                Source::Srv(SrvService::Imap),
                143,
                TlsMode::Starttls,
                0,
                Answer::Starttls,
                Severity::Ok,
            ),
            result(
                Source::Alongside(SrvService::Imap),
                993,
                TlsMode::Implicit,
                0,
                Answer::Nothing,
                Severity::Unknown,
            ),
        ];
        let doc = AccountDocument::new(discovery(false), endpoints);
        assert!(doc.findings.is_empty(), "{:?}", doc.findings);
        assert_eq!(doc.settings[0].security, "STARTTLS");
        assert_eq!(doc.exit_code, 0);
    }

    #[test]
    fn tls_preferred_by_priority_is_not_flagged() {
        let endpoints = vec![
            result(
                Source::Srv(SrvService::Imaps),
                993,
                TlsMode::Implicit,
                0,
                Answer::ImplicitTls,
                Severity::Ok,
            ),
            result(
                Source::Srv(SrvService::Imap),
                143,
                TlsMode::Starttls,
                10,
                Answer::Starttls,
                Severity::Ok,
            ),
        ];
        let doc = AccountDocument::new(discovery(false), endpoints);
        assert!(doc.findings.is_empty(), "{:?}", doc.findings);
        assert_eq!(doc.exit_code, 0);
    }

    #[test]
    fn an_unreachable_published_endpoint_is_flagged_but_does_not_decide_alone() {
        let endpoints = vec![result(
            Source::Srv(SrvService::Submissions),
            465,
            TlsMode::Implicit,
            0,
            Answer::Nothing,
            Severity::Unknown,
        )];
        let doc = AccountDocument::new(discovery(false), endpoints);
        assert_eq!(codes(&doc.findings), [Code::AccountEndpointUnreachable]);
        assert!(doc.settings.is_empty());
        assert_eq!(doc.exit_code, 3);
    }

    #[test]
    fn guesses_only_say_nothing_is_published() {
        let endpoints = vec![result(
            Source::Guess,
            993,
            TlsMode::Implicit,
            0,
            Answer::ImplicitTls,
            Severity::Ok,
        )];
        let doc = AccountDocument::new(discovery(true), endpoints);
        assert_eq!(codes(&doc.findings), [Code::AccountNothingPublished]);
        assert_eq!(doc.findings[0].severity, Severity::Info);
        assert_eq!(doc.settings[0].source, Source::Guess);
        assert_eq!(doc.exit_code, 0);
    }

    #[test]
    fn a_certificate_for_another_name_behind_srv_is_flagged() {
        let mut endpoint = result(
            Source::Srv(SrvService::Imaps),
            993,
            TlsMode::Implicit,
            0,
            Answer::ImplicitTls,
            Severity::Critical,
        );
        let mut report = Report::invalid_input("imaps://mail.example.edu:993", "test");
        report.findings = vec![Finding {
            code: Code::CertNameMismatch,
            severity: Severity::Critical,
            message: "name".to_owned(),
            fix: None,
        }];
        endpoint.report = Some(report);
        let doc = AccountDocument::new(discovery(false), vec![endpoint]);
        assert_eq!(codes(&doc.findings), [Code::AccountSrvTargetNameMismatch]);
        assert!(doc.settings[0].caveat.is_some());
        assert_eq!(doc.exit_code, 2);
    }
}

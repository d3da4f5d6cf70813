//! `mailtls account ADDRESS`: the servers a mail client finds for an address,
//! each checked, the settings to give users, and where DNS and the servers
//! disagree. Pure: from discovery facts and the endpoints' reports.
//!
//! The settings follow RFC 8314 as `scan`'s do: a clean endpoint first, SSL/TLS
//! before STARTTLS, published (SRV) before guessed, never an unencrypted one.

use std::collections::HashMap;
use std::net::IpAddr;

use serde::{Deserialize, Serialize};

use super::exit;
use super::scan::Answer;
use crate::diagnose::{worst, Code, Finding, Severity};
use crate::facts::discovery::{
    host_port, ConfigDocument, Discovery, DocOutcome, DocSource, Endpoint, Security, Server, Source,
};
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
    /// The worst verdict of its addresses.
    pub verdict: Severity,
    /// The report of its first address (the one a client tries first);
    /// `None` when the host did not resolve.
    pub report: Option<Report>,
    /// The reports of its other addresses: every address is checked, and
    /// reports that differ carry `dns.addresses_differ`.
    #[serde(default)]
    pub address_reports: Vec<Report>,
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

/// `_imaps._tcp.example.edu`, the name an SRV endpoint was published under,
/// or the configuration document that names it.
fn published_name(endpoint: &Endpoint, domain: &str) -> String {
    match endpoint.source {
        Source::Srv(service) => service.name_in(domain),
        Source::Document(doc) => format!("the {} configuration", doc.label()),
        Source::Alongside(_) | Source::Guess | Source::BesideDocument(_) => {
            host_port(&endpoint.host, endpoint.port)
        }
    }
}

/// The result of checking `host:port` for `protocol` in `mode`, if it was checked.
fn result_at<'a>(
    endpoints: &'a [EndpointResult],
    host: &str,
    port: u16,
    protocol: Protocol,
    mode: TlsMode,
) -> Option<&'a EndpointResult> {
    endpoints.iter().find(|e| {
        e.endpoint.host == host
            && e.endpoint.port == port
            && e.endpoint.protocol == protocol
            && e.endpoint.mode == mode
    })
}

/// Microsoft's own Autodiscover domains, which Thunderbird follows without
/// asking (`kSafeDomains` in `ExchangeAutoDiscover.sys.mjs`).
const MICROSOFT_AUTODISCOVER: &[&str] = &["office365.com", "outlook.com"];

/// The document-based findings: STARTTLS or no encryption where SSL/TLS works,
/// settings only over plain HTTP, Autodiscover from another domain.
fn document_findings(discovery: &Discovery, endpoints: &[EndpointResult]) -> Vec<Finding> {
    let domain = &discovery.domain;
    let mut findings = Vec::new();
    let with_settings = || {
        discovery
            .documents
            .iter()
            .filter(|d| matches!(d.outcome, DocOutcome::Settings(_)))
    };
    for doc in with_settings() {
        for protocol in [Protocol::Imap, Protocol::Pop3, Protocol::Smtp] {
            let servers: Vec<&Server> = doc
                .servers
                .iter()
                .filter(|s| s.protocol == protocol && s.port != 0)
                .collect();
            if servers.iter().any(|s| s.security == Security::Tls) {
                continue;
            }
            let tls_port = protocol.default_port(TlsMode::Implicit);
            let weaker = servers.iter().find_map(|s| {
                result_at(endpoints, &s.host, tls_port, protocol, TlsMode::Implicit)
                    .filter(|r| r.answer == Answer::ImplicitTls && clean(r.verdict))
                    .map(|_| *s)
            });
            let Some(server) = weaker else { continue };
            let offered = result_at(
                endpoints,
                &server.host,
                server.port,
                protocol,
                TlsMode::Starttls,
            )
            .is_some_and(|r| r.answer == Answer::Starttls);
            let said = match server.security {
                Security::Plain if offered => "no encryption (though STARTTLS works there)",
                security => security.words(),
            };
            let (what, change) = if doc.source.is_autodiscover() {
                (
                    "Autodiscover answer",
                    format!("<Port>{tls_port}</Port> with <SSL>on</SSL> (or <Encryption>SSL</Encryption>)"),
                )
            } else {
                (
                    "autoconfig document",
                    format!("<port>{tls_port}</port> with <socketType>SSL</socketType>"),
                )
            };
            findings.push(Finding {
                code: Code::AccountStarttlsWhereTlsWorks,
                severity: Severity::Warning,
                message: format!(
                    "For {}, the {what} at {} ({}) gives {} with {said}, but {} answers SSL/TLS; clients that use this configuration never try it.",
                    protocol.display_name(),
                    doc.fetch.url,
                    doc.source.label(),
                    host_port(&server.host, server.port),
                    host_port(&server.host, tls_port),
                ),
                fix: Some(format!(
                    "RFC 8314 prefers SSL/TLS: in the {what} for {}, give {} {change}.",
                    protocol.display_name(),
                    server.host
                )),
            });
        }
    }

    // Settings only over plain HTTP, per family (the domain's autoconfig, Autodiscover).
    for (family, is_family) in [
        (
            "autoconfig",
            (|d: &ConfigDocument| d.source.is_isp_autoconfig()) as fn(&ConfigDocument) -> bool,
        ),
        ("Autodiscover", |d: &ConfigDocument| {
            d.source.is_autodiscover()
        }),
    ] {
        let found: Vec<&ConfigDocument> = with_settings().filter(|d| is_family(d)).collect();
        if found.is_empty() || !found.iter().all(|d| d.fetch.forgeable()) {
            continue;
        }
        let urls: Vec<String> = found.iter().map(|d| d.fetch.url.clone()).collect();
        findings.push(Finding {
            code: Code::AccountConfigOverHttp,
            severity: Severity::Warning,
            message: format!(
                "The {family} settings for {domain} come only over plain HTTP ({}); anyone on the network path can change the servers clients are told to use.",
                urls.join(", ")
            ),
            fix: Some(if family == "autoconfig" {
                format!("Serve the autoconfig document over HTTPS at https://autoconfig.{domain}/mail/config-v1.1.xml with a certificate clients trust.")
            } else {
                format!("Serve Autodiscover over HTTPS at https://autodiscover.{domain}/autodiscover/autodiscover.xml with a certificate clients trust.")
            }),
        });
    }

    // Documents served that no client can read as settings.
    for doc in &discovery.documents {
        let DocOutcome::Unreadable(why) = &doc.outcome else {
            continue;
        };
        findings.push(Finding {
            code: Code::AccountConfigUnreadable,
            severity: Severity::Info,
            message: format!(
                "The {} configuration at {} is served, but {why}: mail clients cannot use it.",
                doc.source.label(),
                doc.fetch.url
            ),
            fix: Some(format!(
                "Serve a valid document at {}, or let the URL answer 404 Not Found so clients move on to the next source at once.",
                doc.fetch.url
            )),
        });
    }

    // Autodiscover answered from, or sending the client to, another domain.
    let own_base = discovery.base_domain.as_deref().unwrap_or(domain);
    for doc in discovery
        .documents
        .iter()
        .filter(|d| d.source.is_autodiscover())
    {
        let other = match &doc.outcome {
            // Following a RedirectAddr is flagged at the answer that redirected.
            DocOutcome::Settings(_) if doc.source == DocSource::AutodiscoverRedirectAddr => None,
            DocOutcome::Settings(_) => doc
                .served_by_base
                .as_deref()
                .filter(|base| *base != own_base && !MICROSOFT_AUTODISCOVER.contains(base))
                .map(|base| format!("is answered by {} (domain {base})", doc.served_by())),
            DocOutcome::RedirectAddr(to) => to
                .rsplit_once('@')
                .map(|(_, d)| d.to_ascii_lowercase())
                .filter(|d| d != domain)
                .map(|d| format!("sends the client to the address {to} (domain {d})")),
            _ => None,
        };
        let Some(other) = other else { continue };
        findings.push(Finding {
            code: Code::AccountAutodiscoverOtherDomain,
            severity: Severity::Warning,
            message: format!(
                "Autodiscover for {domain} ({}, {}) {other}; Thunderbird asks the user whether to trust that domain, and a forged DNS or HTTP answer can send clients there.",
                doc.source.label(),
                doc.fetch.url
            ),
            fix: Some(format!(
                "Answer Autodiscover for {domain} at https://autodiscover.{domain}/autodiscover/autodiscover.xml, or remove the redirect or SRV record that points elsewhere if it is not meant."
            )),
        });
    }
    findings
}

/// Sources that name different servers for one protocol: SRV (all records
/// together) and each configuration document with settings.
/// A server as a source names it: host, port, mode.
type Named = (String, u16, TlsMode);

fn disagreements(discovery: &Discovery, endpoints: &[EndpointResult]) -> Vec<Finding> {
    let mut findings = Vec::new();
    let fix = "Make every published source (SRV records, autoconfig, Autodiscover, the ISPDB entry) name the same servers, or remove the stale ones.";
    for protocol in [Protocol::Imap, Protocol::Pop3, Protocol::Smtp] {
        // Each source's servers for the protocol: host, port and mode.
        let mut sources: Vec<(String, Vec<Named>)> = Vec::new();
        let srv: Vec<Named> = endpoints
            .iter()
            .map(|e| &e.endpoint)
            .filter(|e| matches!(e.source, Source::Srv(_)) && e.protocol == protocol)
            .map(|e| (e.host.clone(), e.port, e.mode))
            .collect();
        if !srv.is_empty() {
            sources.push(("SRV".to_owned(), srv));
        }
        for doc in &discovery.documents {
            if !matches!(doc.outcome, DocOutcome::Settings(_)) {
                continue;
            }
            let servers: Vec<Named> = doc
                .servers
                .iter()
                .filter(|s| s.protocol == protocol && s.port != 0)
                .map(|s| {
                    let mode = match s.security {
                        Security::Tls => TlsMode::Implicit,
                        Security::Starttls | Security::Plain => TlsMode::Starttls,
                    };
                    (s.host.clone(), s.port, mode)
                })
                .collect();
            if !servers.is_empty() {
                sources.push((doc.source.label().to_owned(), servers));
            }
        }
        let listed = |each: &dyn Fn(&Named) -> Option<String>| {
            let mut said: Vec<(String, Vec<String>)> = Vec::new();
            for (name, servers) in &sources {
                let mut items: Vec<String> = servers.iter().filter_map(each).collect();
                items.sort();
                items.dedup();
                if !items.is_empty() {
                    said.push((name.clone(), items));
                }
            }
            let differ = said.iter().any(|(_, a)| said.iter().any(|(_, b)| a != b));
            differ.then(|| {
                said.iter()
                    .map(|(name, items)| format!("{name}: {}", items.join(", ")))
                    .collect::<Vec<_>>()
                    .join("; ")
            })
        };
        if let Some(said) = listed(&|(host, _, _)| Some(host.clone())) {
            findings.push(Finding {
                code: Code::AccountSourcesDisagree,
                severity: Severity::Warning,
                message: format!(
                    "For {}, the sources name different servers ({said}); which one a client uses depends on where it looks.",
                    protocol.display_name(),
                ),
                fix: Some(fix.to_owned()),
            });
            continue;
        }
        // The same hosts, but another port for the same security.
        for mode in [TlsMode::Implicit, TlsMode::Starttls] {
            let at = |(host, port, m): &Named| (*m == mode).then(|| format!("{host}:{port}"));
            if let Some(said) = listed(&at) {
                findings.push(Finding {
                    code: Code::AccountSourcesDisagree,
                    severity: Severity::Warning,
                    message: format!(
                        "For {} with {}, the sources name different ports ({said}); which one a client uses depends on where it looks.",
                        protocol.display_name(),
                        mode.client_setting()
                    ),
                    fix: Some(fix.to_owned()),
                });
            }
        }
    }
    findings
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
    // SRV records at port 0 are published too (and named on their own below).
    let from_srv = endpoints
        .iter()
        .map(|e| &e.endpoint)
        .chain(&discovery.port_zero)
        .any(|e| matches!(e.source, Source::Srv(_)));
    // Only settings that are there are said to come from somewhere.
    let has_settings = !settings(endpoints).is_empty();
    let none_secure =
        "but none of them answers with SSL/TLS or STARTTLS, so there are no settings to give users";
    if !from_srv && !srv_failed {
        let from = if endpoints.iter().any(|e| published(&e)) {
            if has_settings {
                "the settings below come from its configuration documents (autoconfig, ISPDB, Autodiscover), which clients that look only for SRV records do not read".to_owned()
            } else {
                format!("the servers below come from its configuration documents (autoconfig, ISPDB, Autodiscover), which clients that look only for SRV records do not read, {none_secure}")
            }
        } else if discovery.guessed && !endpoints.is_empty() {
            if has_settings {
                "the settings below come from guessed host names (imap., pop., smtp., mail.), as Thunderbird guesses them".to_owned()
            } else {
                format!("the servers below are guessed host names (imap., pop., smtp., mail.), as Thunderbird guesses them, {none_secure}")
            }
        } else if discovery.guessed {
            "and no guessed host name (imap., pop., smtp., mail.) resolves".to_owned()
        } else {
            "and guessing is off (--no-guess)".to_owned()
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

    findings.extend(discovery.port_zero.iter().map(|e| port_zero(discovery, e)));

    for e in endpoints.iter().filter(published) {
        let name = published_name(&e.endpoint, domain);
        let at = host_port(&e.endpoint.host, e.endpoint.port);
        if e.answer == Answer::Nothing {
            let why = match &e.report {
                None => "which does not resolve".to_owned(),
                // The check's own words for why it stopped, else its headline.
                Some(report) => {
                    let stopped = report
                        .facts
                        .as_ref()
                        .and_then(|f| f.stopped.as_ref())
                        .map(|s| s.message.clone())
                        .unwrap_or_else(|| report.headline.trim_end_matches('.').to_owned());
                    format!("where nothing answers ({stopped})")
                }
            };
            let (message, fix) = match e.endpoint.source {
                Source::Document(doc) => {
                    let url = discovery
                        .documents
                        .iter()
                        .find(|d| d.source == doc)
                        .map_or_else(String::new, |d| format!(" at {}", d.fetch.url));
                    (
                        format!(
                            "{}{url} gives {at} for {}, {why}; clients that use it fail or wait.",
                            crate::diagnose::capitalise(&name),
                            e.endpoint.protocol.display_name()
                        ),
                        format!("Correct {name}{url}, or make the server answer at {at}."),
                    )
                }
                _ => (
                    format!("{name} points to {at}, {why}; clients that follow it fail or wait."),
                    format!(
                        "Correct or remove the SRV record {name}, or make the server answer at {at}."
                    ),
                ),
            };
            findings.push(Finding {
                code: Code::AccountEndpointUnreachable,
                severity: Severity::Warning,
                message,
                fix: Some(fix),
            });
        }
        if !matches!(e.endpoint.source, Source::Srv(_)) {
            continue;
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
            .filter(|e| matches!(e.endpoint.source, Source::Srv(_)))
            .filter(|e| e.endpoint.mode == TlsMode::Starttls)
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
                let tls_name = service.implicit_twin().name_in(domain);
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
    findings.extend(document_findings(discovery, endpoints));
    findings.extend(disagreements(discovery, endpoints));
    findings.sort_by_key(|f| std::cmp::Reverse(f.severity));
    findings
}

/// The URL of the configuration document from `source`, or "".
fn document_url(discovery: &Discovery, source: DocSource) -> String {
    discovery
        .documents
        .iter()
        .find(|d| d.source == source)
        .map_or_else(String::new, |d| d.fetch.url.clone())
}

/// An SRV record or a configuration document's server at port 0: no client
/// can connect there, so it was not checked; the fix gives the standard port.
fn port_zero(discovery: &Discovery, e: &Endpoint) -> Finding {
    let domain = &discovery.domain;
    let protocol = e.protocol.display_name();
    let standard = e.protocol.default_port(e.mode);
    let (message, fix) = match e.source {
        Source::Srv(service) => {
            let name = service.name_in(domain);
            (
                format!(
                    "The SRV record {name} names port 0 of {}, which is no port: no client can connect to it, so it was not checked.",
                    e.host
                ),
                format!(
                    "Publish the port the {protocol} server answers at, e.g. {name}. SRV {} {} {} {}. ({} is the standard port of {}), or remove the record.",
                    e.priority.unwrap_or_default(),
                    e.weight.unwrap_or(1),
                    service.standard_port(),
                    e.host,
                    service.standard_port(),
                    service.label()
                ),
            )
        }
        source => {
            let doc = match source {
                Source::Document(doc) | Source::BesideDocument(doc) => Some(doc),
                _ => None,
            };
            let url = doc.map(|d| document_url(discovery, d)).unwrap_or_default();
            let label = doc.map_or("", DocSource::label);
            let what = if doc.is_some_and(DocSource::is_autodiscover) {
                format!("<Port>{standard}</Port>")
            } else {
                format!("<port>{standard}</port>")
            };
            (
                format!(
                    "The {label} configuration at {url} gives {} port 0 for {protocol}, which is no port: no client can connect to it, so it was not checked.",
                    e.host
                ),
                format!(
                    "Give the port the {protocol} server {} answers at in the document at {url}, e.g. {what} (the standard port for {protocol} with {}).",
                    e.host,
                    e.mode.client_setting()
                ),
            )
        }
    };
    Finding {
        code: Code::AccountPortZero,
        severity: Severity::Warning,
        message,
        fix: Some(fix),
    }
}

/// `text` with its first letter in capitals.
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

/// Every address's results, in the order given, for `--format json` (one
/// address or several: the same shape).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AccountsDocument {
    pub schema: u32,
    pub tool: Tool,
    /// In the order given.
    pub accounts: Vec<AccountDocument>,
    /// As for several targets of `check` ([`exit::of_accounts`]).
    pub exit_code: u8,
}

impl AccountsDocument {
    pub fn new(accounts: Vec<AccountDocument>, exit_code: u8) -> AccountsDocument {
        AccountsDocument {
            schema: SCHEMA_VERSION,
            tool: Tool::this(),
            accounts,
            exit_code,
        }
    }
}

/// One endpoint to check, however many addresses or sources name it.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct EndpointKey {
    /// Lower-case.
    pub host: String,
    pub port: u16,
    pub protocol: Protocol,
    pub mode: TlsMode,
}

impl EndpointKey {
    pub fn of(endpoint: &Endpoint) -> EndpointKey {
        EndpointKey {
            host: endpoint.host.to_ascii_lowercase(),
            port: endpoint.port,
            protocol: endpoint.protocol,
            mode: endpoint.mode,
        }
    }
}

/// The endpoints of every discovery to check, each once, in the order found:
/// those whose host `resolves` (a batch of one hoster's addresses checks its
/// servers once).
pub fn endpoints_to_check(
    discoveries: &[Discovery],
    resolves: impl Fn(&str) -> bool,
) -> Vec<EndpointKey> {
    let mut keys: Vec<EndpointKey> = Vec::new();
    for endpoint in discoveries.iter().flat_map(|d| &d.endpoints) {
        let key = EndpointKey::of(endpoint);
        if resolves(&key.host) && !keys.contains(&key) {
            keys.push(key);
        }
    }
    keys
}

impl AccountDocument {
    /// The document of one discovery, each endpoint with the report of its
    /// check (none when it was not checked: its host did not resolve).
    pub fn with_reports(
        discovery: Discovery,
        reports: &HashMap<EndpointKey, Vec<Report>>,
    ) -> AccountDocument {
        let endpoints = discovery
            .endpoints
            .iter()
            .map(|endpoint| {
                let all = reports
                    .get(&EndpointKey::of(endpoint))
                    .map_or(&[][..], Vec::as_slice);
                let (answer, verdict) = match all.first() {
                    None => (Answer::Nothing, Severity::Unknown),
                    Some(r) => (
                        super::scan::classify(r).unwrap_or(Answer::Broken),
                        worst(all.iter().map(|r| r.verdict)),
                    ),
                };
                EndpointResult {
                    endpoint: endpoint.clone(),
                    addresses: discovery.addresses_of(&endpoint.host).to_vec(),
                    answer,
                    verdict,
                    report: all.first().cloned(),
                    address_reports: all.iter().skip(1).cloned().collect(),
                }
            })
            .collect();
        AccountDocument::new(discovery, endpoints)
    }

    pub fn new(mut discovery: Discovery, endpoints: Vec<EndpointResult>) -> AccountDocument {
        discovery.endpoints.clear();
        let findings = findings(&discovery, &endpoints);
        AccountDocument {
            schema: SCHEMA_VERSION,
            tool: Tool::this(),
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
    use crate::facts::http::{HttpFetch, Scheme};

    #[test]
    fn each_endpoint_is_checked_once_and_only_where_its_host_resolves() {
        let endpoint = |host: &str, source| Endpoint {
            host: host.to_owned(),
            port: 993,
            protocol: Protocol::Imap,
            mode: TlsMode::Implicit,
            source,
            priority: None,
            weight: None,
        };
        let mut first = discovery(false);
        first.endpoints = vec![
            endpoint("Mail.Example.edu", Source::Guess),
            endpoint("nowhere.example.edu", Source::Guess),
        ];
        let mut second = discovery(false);
        second.endpoints = vec![endpoint("mail.example.edu", Source::Srv(SrvService::Imaps))];
        let keys = endpoints_to_check(&[first, second], |host| host == "mail.example.edu");
        assert_eq!(
            keys,
            [EndpointKey {
                host: "mail.example.edu".to_owned(),
                port: 993,
                protocol: Protocol::Imap,
                mode: TlsMode::Implicit,
            }]
        );
    }

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
            port_zero: Vec::new(),
            guessed,
            truncated: false,
            timed_out: false,
            offline: true,
            mx: None,
            documents: Vec::new(),
            base_domain: Some("example.edu".to_owned()),
        }
    }

    /// The result of checking `mail.example.edu:PORT` (SSL/TLS at 993 and
    /// 465, STARTTLS elsewhere), named by `source`.
    fn result(
        source: Source,
        port: u16,
        priority: u16,
        answer: Answer,
        verdict: Severity,
    ) -> EndpointResult {
        let protocol = match source {
            Source::Srv(service) | Source::Alongside(service) => service.protocol(),
            _ => Protocol::Imap,
        };
        EndpointResult {
            endpoint: Endpoint {
                host: "mail.example.edu".to_owned(),
                port,
                protocol,
                mode: match port {
                    993 | 465 => TlsMode::Implicit,
                    _ => TlsMode::Starttls,
                },
                source,
                priority: source.is_published().then_some(priority),
                weight: source.is_published().then_some(1),
            },
            addresses: vec![IpAddr::from([127, 0, 0, 1])],
            answer,
            verdict,
            report: None,
            address_reports: Vec::new(),
        }
    }

    fn document(source: DocSource, url: &str, servers: Vec<Server>) -> ConfigDocument {
        ConfigDocument {
            source,
            domain: "example.edu".to_owned(),
            fetch: HttpFetch {
                url: url.to_owned(),
                scheme: if url.starts_with("https") {
                    Scheme::Https
                } else {
                    Scheme::Http
                },
                redirects: Vec::new(),
                final_url: url.to_owned(),
                status: Some(200),
                location: None,
                content_type: None,
                body: Some(Vec::new()),
                error: None,
            },
            outcome: DocOutcome::Settings(servers.len()),
            servers,
            served_by_base: Some("example.edu".to_owned()),
        }
    }

    fn server(host: &str, port: u16, security: Security) -> Server {
        Server {
            host: host.to_owned(),
            port,
            protocol: Protocol::Imap,
            security,
        }
    }

    /// What `doc` names, STARTTLS at 143, and SSL/TLS that works beside it at 993.
    fn starttls_with_tls_beside(doc: DocSource) -> Vec<EndpointResult> {
        vec![
            result(
                Source::Document(doc),
                143,
                0,
                Answer::Starttls,
                Severity::Ok,
            ),
            result(
                Source::BesideDocument(doc),
                993,
                0,
                Answer::ImplicitTls,
                Severity::Ok,
            ),
        ]
    }

    const AUTOCONFIG: &str = "https://autoconfig.example.edu/mail/config-v1.1.xml";

    /// What discovery and the checks found, and all the account document
    /// must say about it.
    struct Case {
        name: &'static str,
        /// Whether discovery guessed the host names.
        guessed: bool,
        documents: Vec<ConfigDocument>,
        endpoints: Vec<EndpointResult>,
        /// Every finding, in order: its code, its severity and words its
        /// message holds (with a leading `^`: words it starts with).
        findings: Vec<(Code, Severity, &'static str)>,
        /// Words the first finding's fix holds.
        fix: Option<&'static str>,
        /// Every setting: `PORT SECURITY SOURCE`, and ` (caveat)` with one.
        settings: Vec<&'static str>,
        exit_code: u8,
    }

    fn cases() -> Vec<Case> {
        use Source::{Alongside, Document, Guess, Srv};
        let ok = Severity::Ok;
        vec![
            Case {
                name: "STARTTLS ranked ahead of working SSL/TLS: flagged, SSL/TLS recommended",
                guessed: false,
                documents: Vec::new(),
                endpoints: vec![
                    result(Srv(SrvService::Imaps), 993, 10, Answer::ImplicitTls, ok),
                    result(Srv(SrvService::Imap), 143, 0, Answer::Starttls, ok),
                ],
                findings: vec![(
                    Code::AccountStarttlsWhereTlsWorks,
                    Severity::Warning,
                    "_imap._tcp.example.edu",
                )],
                fix: None,
                settings: vec!["993 SSL/TLS srv:_imaps._tcp"],
                exit_code: 1,
            },
            Case {
                name: "STARTTLS published alone where SSL/TLS works alongside: flagged",
                guessed: false,
                documents: Vec::new(),
                endpoints: vec![
                    result(Srv(SrvService::Imap), 143, 0, Answer::Starttls, ok),
                    result(Alongside(SrvService::Imap), 993, 0, Answer::ImplicitTls, ok),
                ],
                findings: vec![(
                    Code::AccountStarttlsWhereTlsWorks,
                    Severity::Warning,
                    "publishes only _imap._tcp.example.edu",
                )],
                fix: Some("_imaps._tcp.example.edu. SRV 0 1 993 mail.example.edu."),
                settings: vec!["993 SSL/TLS alongside:_imap._tcp"],
                exit_code: 1,
            },
            Case {
                name: "nothing at the SSL/TLS port alongside: no finding",
                guessed: false,
                documents: Vec::new(),
                endpoints: vec![
                    result(Srv(SrvService::Imap), 143, 0, Answer::Starttls, ok),
                    result(
                        Alongside(SrvService::Imap),
                        993,
                        0,
                        Answer::Nothing,
                        Severity::Unknown,
                    ),
                ],
                findings: Vec::new(),
                fix: None,
                settings: vec!["143 STARTTLS srv:_imap._tcp"],
                exit_code: 0,
            },
            Case {
                name: "SSL/TLS preferred by priority: not flagged",
                guessed: false,
                documents: Vec::new(),
                endpoints: vec![
                    result(Srv(SrvService::Imaps), 993, 0, Answer::ImplicitTls, ok),
                    result(Srv(SrvService::Imap), 143, 10, Answer::Starttls, ok),
                ],
                findings: Vec::new(),
                fix: None,
                settings: vec!["993 SSL/TLS srv:_imaps._tcp"],
                exit_code: 0,
            },
            Case {
                name: "an unreachable published endpoint: flagged, but does not decide alone",
                guessed: false,
                documents: Vec::new(),
                endpoints: vec![result(
                    Srv(SrvService::Submissions),
                    465,
                    0,
                    Answer::Nothing,
                    Severity::Unknown,
                )],
                findings: vec![(Code::AccountEndpointUnreachable, Severity::Warning, "")],
                fix: None,
                settings: Vec::new(),
                exit_code: 3,
            },
            Case {
                name: "guesses where nothing answers: no settings are said to come from them",
                guessed: true,
                documents: Vec::new(),
                endpoints: vec![result(Guess, 993, 0, Answer::Nothing, Severity::Unknown)],
                findings: vec![(
                    Code::AccountNothingPublished,
                    Severity::Info,
                    "the servers below are guessed host names (imap., pop., smtp., mail.), as Thunderbird guesses them, but none of them answers",
                )],
                fix: None,
                settings: Vec::new(),
                exit_code: 3,
            },
            Case {
                name: "guesses only: nothing is published",
                guessed: true,
                documents: Vec::new(),
                endpoints: vec![result(Guess, 993, 0, Answer::ImplicitTls, ok)],
                findings: vec![(Code::AccountNothingPublished, Severity::Info, "")],
                fix: None,
                settings: vec!["993 SSL/TLS guess"],
                exit_code: 0,
            },
            Case {
                name: "a configuration giving STARTTLS where SSL/TLS works: flagged",
                guessed: false,
                documents: vec![document(
                    DocSource::Autoconfig,
                    AUTOCONFIG,
                    vec![server("mail.example.edu", 143, Security::Starttls)],
                )],
                endpoints: starttls_with_tls_beside(DocSource::Autoconfig),
                findings: vec![
                    (
                        Code::AccountStarttlsWhereTlsWorks,
                        Severity::Warning,
                        "mail.example.edu:993 answers SSL/TLS",
                    ),
                    (
                        Code::AccountNothingPublished,
                        Severity::Info,
                        "come from its configuration documents",
                    ),
                ],
                fix: Some("<socketType>SSL</socketType>"),
                settings: vec!["993 SSL/TLS alongside:autoconfig"],
                exit_code: 1,
            },
            Case {
                name: "a configuration giving no encryption where SSL/TLS works: flagged",
                guessed: false,
                documents: vec![document(
                    DocSource::AutodiscoverDomain,
                    "https://example.edu/autodiscover/autodiscover.xml",
                    vec![server("mail.example.edu", 143, Security::Plain)],
                )],
                endpoints: starttls_with_tls_beside(DocSource::AutodiscoverDomain),
                findings: vec![
                    (
                        Code::AccountStarttlsWhereTlsWorks,
                        Severity::Warning,
                        "with no encryption (though STARTTLS works there)",
                    ),
                    (Code::AccountNothingPublished, Severity::Info, ""),
                ],
                fix: Some("<SSL>on</SSL>"),
                settings: vec!["993 SSL/TLS alongside:autodiscover-domain"],
                exit_code: 1,
            },
            Case {
                name: "settings only over plain HTTP: flagged",
                guessed: false,
                documents: vec![document(
                    DocSource::AutoconfigHttp,
                    "http://autoconfig.example.edu/mail/config-v1.1.xml",
                    vec![server("mail.example.edu", 993, Security::Tls)],
                )],
                endpoints: vec![result(
                    Document(DocSource::AutoconfigHttp),
                    993,
                    0,
                    Answer::ImplicitTls,
                    ok,
                )],
                findings: vec![
                    (
                        Code::AccountConfigOverHttp,
                        Severity::Warning,
                        "http://autoconfig.example.edu/",
                    ),
                    (Code::AccountNothingPublished, Severity::Info, ""),
                ],
                fix: None,
                settings: vec!["993 SSL/TLS autoconfig-http"],
                exit_code: 1,
            },
            Case {
                name: "settings over plain HTTP with the same over HTTPS beside them: not flagged",
                guessed: false,
                documents: vec![
                    document(
                        DocSource::Autoconfig,
                        AUTOCONFIG,
                        vec![server("mail.example.edu", 993, Security::Tls)],
                    ),
                    document(
                        DocSource::AutoconfigHttp,
                        "http://autoconfig.example.edu/mail/config-v1.1.xml",
                        vec![server("mail.example.edu", 993, Security::Tls)],
                    ),
                ],
                endpoints: vec![result(
                    Document(DocSource::AutoconfigHttp),
                    993,
                    0,
                    Answer::ImplicitTls,
                    ok,
                )],
                findings: vec![(Code::AccountNothingPublished, Severity::Info, "")],
                fix: None,
                settings: vec!["993 SSL/TLS autoconfig-http"],
                exit_code: 0,
            },
            Case {
                name: "a settings URL answering with something else: named",
                guessed: false,
                documents: vec![
                    ConfigDocument {
                        outcome: DocOutcome::Unreadable(
                            "it is not an autoconfig document (no clientConfig)".to_owned(),
                        ),
                        ..document(DocSource::WellKnown, "https://example.edu/.well-known/autoconfig/mail/config-v1.1.xml", Vec::new())
                    },
                    document(
                        DocSource::Autoconfig,
                        AUTOCONFIG,
                        vec![server("mail.example.edu", 993, Security::Tls)],
                    ),
                ],
                endpoints: vec![result(
                    Document(DocSource::Autoconfig),
                    993,
                    0,
                    Answer::ImplicitTls,
                    ok,
                )],
                findings: vec![
                    (Code::AccountNothingPublished, Severity::Info, ""),
                    (
                        Code::AccountConfigUnreadable,
                        Severity::Info,
                        "https://example.edu/.well-known/autoconfig/mail/config-v1.1.xml is served, but it is not an autoconfig document",
                    ),
                ],
                fix: None,
                settings: vec!["993 SSL/TLS autoconfig"],
                exit_code: 0,
            },
            Case {
                name: "sources naming different servers: flagged",
                guessed: false,
                documents: vec![document(
                    DocSource::Ispdb,
                    "https://autoconfig.thunderbird.net/v1.1/example.edu",
                    vec![server("imap.old-hoster.example", 993, Security::Tls)],
                )],
                endpoints: vec![result(
                    Srv(SrvService::Imaps),
                    993,
                    0,
                    Answer::ImplicitTls,
                    ok,
                )],
                findings: vec![(
                    Code::AccountSourcesDisagree,
                    Severity::Warning,
                    "SRV: mail.example.edu; ispdb: imap.old-hoster.example",
                )],
                fix: None,
                settings: vec!["993 SSL/TLS srv:_imaps._tcp"],
                exit_code: 1,
            },
            Case {
                name: "the same host at another port for the same security: flagged",
                guessed: false,
                documents: vec![document(
                    DocSource::Ispdb,
                    "https://autoconfig.thunderbird.net/v1.1/example.edu",
                    vec![server("mail.example.edu", 10993, Security::Tls)],
                )],
                endpoints: vec![result(
                    Srv(SrvService::Imaps),
                    993,
                    0,
                    Answer::ImplicitTls,
                    ok,
                )],
                findings: vec![(
                    Code::AccountSourcesDisagree,
                    Severity::Warning,
                    "For IMAP with SSL/TLS, the sources name different ports (SRV: mail.example.edu:993; ispdb: mail.example.edu:10993)",
                )],
                fix: None,
                settings: vec!["993 SSL/TLS srv:_imaps._tcp"],
                exit_code: 1,
            },
            Case {
                name: "Autodiscover from another domain: flagged",
                guessed: false,
                documents: vec![
                    ConfigDocument {
                        outcome: DocOutcome::RedirectAddr("alice@elsewhere.example".to_owned()),
                        ..document(
                            DocSource::Autodiscover,
                            "https://autodiscover.example.edu/autodiscover/autodiscover.xml",
                            Vec::new(),
                        )
                    },
                    ConfigDocument {
                        served_by_base: Some("hoster.example".to_owned()),
                        ..document(
                            DocSource::AutodiscoverSrv,
                            "https://autodiscover.hoster.example/autodiscover/autodiscover.xml",
                            vec![server("mail.example.edu", 993, Security::Tls)],
                        )
                    },
                ],
                endpoints: vec![result(
                    Document(DocSource::AutodiscoverSrv),
                    993,
                    0,
                    Answer::ImplicitTls,
                    ok,
                )],
                findings: vec![
                    (
                        Code::AccountAutodiscoverOtherDomain,
                        Severity::Warning,
                        "elsewhere.example",
                    ),
                    (
                        Code::AccountAutodiscoverOtherDomain,
                        Severity::Warning,
                        "hoster.example",
                    ),
                    (Code::AccountNothingPublished, Severity::Info, ""),
                ],
                fix: None,
                settings: vec!["993 SSL/TLS autodiscover-srv"],
                exit_code: 1,
            },
            Case {
                name: "a configured port where nothing answers: flagged",
                guessed: false,
                documents: vec![document(
                    DocSource::Autoconfig,
                    AUTOCONFIG,
                    vec![server("mail.example.edu", 993, Security::Tls)],
                )],
                endpoints: vec![result(
                    Document(DocSource::Autoconfig),
                    993,
                    0,
                    Answer::Nothing,
                    ok,
                )],
                findings: vec![
                    (
                        Code::AccountEndpointUnreachable,
                        Severity::Warning,
                        "^The autoconfig configuration at https://autoconfig.example.edu/",
                    ),
                    // No settings below: none is said to come from the documents.
                    (
                        Code::AccountNothingPublished,
                        Severity::Info,
                        "the servers below come from its configuration documents (autoconfig, ISPDB, Autodiscover), which clients that look only for SRV records do not read, but none of them answers with SSL/TLS or STARTTLS",
                    ),
                ],
                fix: None,
                settings: Vec::new(),
                exit_code: 3,
            },
            Case {
                name:
                    "a certificate for another name behind SRV: flagged, the setting has a caveat",
                guessed: false,
                documents: Vec::new(),
                endpoints: vec![EndpointResult {
                    report: Some(Report {
                        findings: vec![Finding {
                            code: Code::CertNameMismatch,
                            severity: Severity::Critical,
                            message: "name".to_owned(),
                            fix: None,
                        }],
                        ..Report::invalid_input("imaps://mail.example.edu:993", "test")
                    }),
                    ..result(
                        Srv(SrvService::Imaps),
                        993,
                        0,
                        Answer::ImplicitTls,
                        Severity::Critical,
                    )
                }],
                findings: vec![(Code::AccountSrvTargetNameMismatch, Severity::Warning, "")],
                fix: None,
                settings: vec!["993 SSL/TLS srv:_imaps._tcp (caveat)"],
                exit_code: 2,
            },
        ]
    }

    #[test]
    fn a_port_zero_record_or_server_is_named_and_not_taken_for_missing_srv() {
        let zero = |source: Source, mode: TlsMode, protocol: Protocol| Endpoint {
            host: "mail.example.edu".to_owned(),
            port: 0,
            protocol,
            mode,
            source,
            priority: source.is_published().then_some(0),
            weight: matches!(source, Source::Srv(_)).then_some(5),
        };
        let mut found = discovery(false);
        found.port_zero = vec![zero(
            Source::Srv(SrvService::Submission),
            TlsMode::Starttls,
            Protocol::Smtp,
        )];
        let doc = AccountDocument::new(found, Vec::new());
        let said: Vec<(Code, &str, &str)> = doc
            .findings
            .iter()
            .map(|f| {
                (
                    f.code,
                    f.message.as_str(),
                    f.fix.as_deref().unwrap_or_default(),
                )
            })
            .collect();
        assert_eq!(
            said,
            [(
                Code::AccountPortZero,
                "The SRV record _submission._tcp.example.edu names port 0 of mail.example.edu, which is no port: no client can connect to it, so it was not checked.",
                "Publish the port the SMTP server answers at, e.g. _submission._tcp.example.edu. SRV 0 5 587 mail.example.edu. (587 is the standard port of _submission._tcp), or remove the record.",
            )],
            "an SRV record at port 0 is published: not account.nothing_published"
        );

        let mut found = discovery(false);
        found.documents = vec![document(
            DocSource::Autoconfig,
            AUTOCONFIG,
            vec![server("mail.example.edu", 0, Security::Tls)],
        )];
        found.port_zero = vec![zero(
            Source::Document(DocSource::Autoconfig),
            TlsMode::Implicit,
            Protocol::Imap,
        )];
        let doc = AccountDocument::new(found, Vec::new());
        let finding = doc
            .findings
            .iter()
            .find(|f| f.code == Code::AccountPortZero)
            .expect("account.port_zero");
        assert_eq!(
            finding.message,
            format!("The autoconfig configuration at {AUTOCONFIG} gives mail.example.edu port 0 for IMAP, which is no port: no client can connect to it, so it was not checked.")
        );
        assert!(
            finding
                .fix
                .as_deref()
                .unwrap_or_default()
                .contains("e.g. <port>993</port> (the standard port for IMAP with SSL/TLS)"),
            "{:?}",
            finding.fix
        );
    }

    /// Whether `message` holds `words` (with a leading `^`: starts with them).
    fn holds(message: &str, words: &str) -> bool {
        match words.strip_prefix('^') {
            Some(start) => message.starts_with(start),
            None => message.contains(words),
        }
    }

    #[test]
    fn findings_settings_and_exit_code_follow_what_was_found() {
        for case in cases() {
            let name = case.name;
            let mut discovery = discovery(case.guessed);
            discovery.documents = case.documents;
            let doc = AccountDocument::new(discovery, case.endpoints);
            let found: Vec<(Code, Severity)> =
                doc.findings.iter().map(|f| (f.code, f.severity)).collect();
            let expected: Vec<(Code, Severity)> =
                case.findings.iter().map(|(c, s, _)| (*c, *s)).collect();
            assert_eq!(found, expected, "{name}: the findings");
            for (finding, (code, _, words)) in doc.findings.iter().zip(&case.findings) {
                assert!(
                    holds(&finding.message, words),
                    "{name}: {code:?} does not say {words:?}: {}",
                    finding.message
                );
            }
            if let Some(words) = case.fix {
                let fix = doc.findings[0].fix.as_deref().unwrap_or_default();
                assert!(
                    fix.contains(words),
                    "{name}: the fix does not say {words:?}: {fix}"
                );
            }
            let settings: Vec<String> = doc
                .settings
                .iter()
                .map(|s| {
                    let caveat = if s.caveat.is_some() { " (caveat)" } else { "" };
                    format!("{} {} {}{caveat}", s.port, s.security, s.source)
                })
                .collect();
            assert_eq!(settings, case.settings, "{name}: the settings");
            assert_eq!(doc.exit_code, case.exit_code, "{name}: the exit code");
        }
    }
}

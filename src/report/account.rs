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
    ConfigDocument, Discovery, DocOutcome, DocSource, Endpoint, Security, Server, Source,
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
        Source::Srv(service) => format!("{}.{domain}", service.label()),
        Source::Document(doc) => format!("the {} configuration", doc.label()),
        Source::Alongside(_) | Source::Guess | Source::BesideDocument(_) => {
            format!("{}:{}", endpoint.host, endpoint.port)
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
                .filter(|s| s.protocol == protocol)
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
                    "For {}, the {what} at {} ({}) gives {}:{} with {said}, but {}:{tls_port} answers SSL/TLS; clients that use this configuration never try it.",
                    protocol.display_name(),
                    doc.fetch.url,
                    doc.source.label(),
                    server.host,
                    server.port,
                    server.host,
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
fn disagreements(discovery: &Discovery, endpoints: &[EndpointResult]) -> Vec<Finding> {
    let mut findings = Vec::new();
    for protocol in [Protocol::Imap, Protocol::Pop3, Protocol::Smtp] {
        let mut sources: Vec<(String, Vec<String>)> = Vec::new();
        let mut srv: Vec<String> = endpoints
            .iter()
            .filter(|e| {
                matches!(e.endpoint.source, Source::Srv(_)) && e.endpoint.protocol == protocol
            })
            .map(|e| e.endpoint.host.clone())
            .collect();
        srv.sort();
        srv.dedup();
        if !srv.is_empty() {
            sources.push(("SRV".to_owned(), srv));
        }
        for doc in &discovery.documents {
            if !matches!(doc.outcome, DocOutcome::Settings(_)) {
                continue;
            }
            let mut hosts: Vec<String> = doc
                .servers
                .iter()
                .filter(|s| s.protocol == protocol)
                .map(|s| s.host.clone())
                .collect();
            hosts.sort();
            hosts.dedup();
            if !hosts.is_empty() {
                sources.push((doc.source.label().to_owned(), hosts));
            }
        }
        let differ = sources
            .iter()
            .any(|(_, a)| sources.iter().any(|(_, b)| a != b));
        if !differ {
            continue;
        }
        let said: Vec<String> = sources
            .iter()
            .map(|(name, hosts)| format!("{name}: {}", hosts.join(", ")))
            .collect();
        findings.push(Finding {
            code: Code::AccountSourcesDisagree,
            severity: Severity::Warning,
            message: format!(
                "For {}, the sources name different servers ({}); which one a client uses depends on where it looks.",
                protocol.display_name(),
                said.join("; ")
            ),
            fix: Some(
                "Make every published source (SRV records, autoconfig, Autodiscover, the ISPDB entry) name the same servers, or remove the stale ones."
                    .to_owned(),
            ),
        });
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
    let from_srv = endpoints
        .iter()
        .any(|e| matches!(e.endpoint.source, Source::Srv(_)));
    if !from_srv && !srv_failed {
        let from = if endpoints.iter().any(|e| published(&e)) {
            "the settings below come from its configuration documents (autoconfig, ISPDB, Autodiscover), which clients that look only for SRV records do not read"
        } else if discovery.guessed && !endpoints.is_empty() {
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
                            capitalised(&name),
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
    findings.extend(document_findings(discovery, endpoints));
    findings.extend(disagreements(discovery, endpoints));
    findings.sort_by_key(|f| std::cmp::Reverse(severity_rank(f.severity)));
    findings
}

/// `text` with its first letter in capitals.
fn capitalised(text: &str) -> String {
    let mut chars = text.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => String::new(),
    }
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
            tool: Tool {
                name: env!("CARGO_PKG_NAME").to_owned(),
                version: env!("CARGO_PKG_VERSION").to_owned(),
            },
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
            guessed,
            truncated: false,
            timed_out: false,
            offline: true,
            mx: None,
            documents: Vec::new(),
            base_domain: Some("example.edu".to_owned()),
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
            _ => Protocol::Imap,
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
            address_reports: Vec::new(),
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

    /// The findings' codes but the notice that no SRV record exists, which
    /// every test with documents only gets.
    fn document_codes(findings: &[Finding]) -> Vec<Code> {
        codes(findings)
            .into_iter()
            .filter(|c| *c != Code::AccountNothingPublished)
            .collect()
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

    fn from(source: Source, port: u16, mode: TlsMode, answer: Answer) -> EndpointResult {
        let mut result = result(source, port, mode, 0, answer, Severity::Ok);
        result.endpoint.protocol = Protocol::Imap;
        result
    }

    #[test]
    fn a_configuration_giving_starttls_where_tls_works_is_flagged() {
        let mut d = discovery(false);
        d.documents = vec![document(
            DocSource::Autoconfig,
            "https://autoconfig.example.edu/mail/config-v1.1.xml",
            vec![server("mail.example.edu", 143, Security::Starttls)],
        )];
        let endpoints = vec![
            from(
                Source::Document(DocSource::Autoconfig),
                143,
                TlsMode::Starttls,
                Answer::Starttls,
            ),
            from(
                Source::BesideDocument(DocSource::Autoconfig),
                993,
                TlsMode::Implicit,
                Answer::ImplicitTls,
            ),
        ];
        let doc = AccountDocument::new(d, endpoints);
        assert_eq!(
            document_codes(&doc.findings),
            [Code::AccountStarttlsWhereTlsWorks]
        );
        let f = &doc.findings[0];
        assert!(
            f.message.contains("mail.example.edu:993 answers SSL/TLS"),
            "{}",
            f.message
        );
        assert!(f
            .fix
            .as_deref()
            .unwrap_or_default()
            .contains("<socketType>SSL</socketType>"));
        let notice = doc.findings.last().expect("the notice");
        assert_eq!(notice.code, Code::AccountNothingPublished);
        assert!(notice
            .message
            .contains("come from its configuration documents"));
        assert_eq!(doc.settings[0].port, 993);
    }

    #[test]
    fn a_configuration_giving_no_encryption_where_tls_works_is_flagged() {
        let mut d = discovery(false);
        d.documents = vec![document(
            DocSource::AutodiscoverDomain,
            "https://example.edu/autodiscover/autodiscover.xml",
            vec![server("mail.example.edu", 143, Security::Plain)],
        )];
        let endpoints = vec![
            from(
                Source::Document(DocSource::AutodiscoverDomain),
                143,
                TlsMode::Starttls,
                Answer::Starttls,
            ),
            from(
                Source::BesideDocument(DocSource::AutodiscoverDomain),
                993,
                TlsMode::Implicit,
                Answer::ImplicitTls,
            ),
        ];
        let doc = AccountDocument::new(d, endpoints);
        assert_eq!(
            document_codes(&doc.findings),
            [Code::AccountStarttlsWhereTlsWorks]
        );
        let f = &doc.findings[0];
        assert!(
            f.message
                .contains("with no encryption (though STARTTLS works there)"),
            "{}",
            f.message
        );
        assert!(f
            .fix
            .as_deref()
            .unwrap_or_default()
            .contains("<SSL>on</SSL>"));
    }

    #[test]
    fn settings_only_over_plain_http_are_flagged_and_https_beside_them_is_not() {
        let http = document(
            DocSource::AutoconfigHttp,
            "http://autoconfig.example.edu/mail/config-v1.1.xml",
            vec![server("mail.example.edu", 993, Security::Tls)],
        );
        let endpoints = || {
            vec![from(
                Source::Document(DocSource::AutoconfigHttp),
                993,
                TlsMode::Implicit,
                Answer::ImplicitTls,
            )]
        };
        let mut d = discovery(false);
        d.documents = vec![http.clone()];
        let doc = AccountDocument::new(d.clone(), endpoints());
        assert_eq!(document_codes(&doc.findings), [Code::AccountConfigOverHttp]);
        assert!(doc.findings[0]
            .message
            .contains("http://autoconfig.example.edu/"));
        d.documents.insert(
            0,
            document(
                DocSource::Autoconfig,
                "https://autoconfig.example.edu/mail/config-v1.1.xml",
                vec![server("mail.example.edu", 993, Security::Tls)],
            ),
        );
        let doc = AccountDocument::new(d, endpoints());
        assert!(
            document_codes(&doc.findings).is_empty(),
            "{:?}",
            doc.findings
        );
    }

    #[test]
    fn sources_naming_different_servers_are_flagged() {
        let mut d = discovery(false);
        d.documents = vec![document(
            DocSource::Ispdb,
            "https://autoconfig.thunderbird.net/v1.1/example.edu",
            vec![server("imap.old-hoster.example", 993, Security::Tls)],
        )];
        let endpoints = vec![from(
            Source::Srv(SrvService::Imaps),
            993,
            TlsMode::Implicit,
            Answer::ImplicitTls,
        )];
        let doc = AccountDocument::new(d, endpoints);
        assert_eq!(
            document_codes(&doc.findings),
            [Code::AccountSourcesDisagree]
        );
        let message = &doc.findings[0].message;
        assert!(
            message.contains("SRV: mail.example.edu; ispdb: imap.old-hoster.example"),
            "{message}"
        );
    }

    #[test]
    fn autodiscover_from_another_domain_is_flagged() {
        let mut d = discovery(false);
        let mut srv = document(
            DocSource::AutodiscoverSrv,
            "https://autodiscover.hoster.example/autodiscover/autodiscover.xml",
            vec![server("mail.example.edu", 993, Security::Tls)],
        );
        srv.served_by_base = Some("hoster.example".to_owned());
        let mut redirect = document(
            DocSource::Autodiscover,
            "https://autodiscover.example.edu/autodiscover/autodiscover.xml",
            Vec::new(),
        );
        redirect.outcome = DocOutcome::RedirectAddr("alice@elsewhere.example".to_owned());
        d.documents = vec![redirect, srv];
        let endpoints = vec![from(
            Source::Document(DocSource::AutodiscoverSrv),
            993,
            TlsMode::Implicit,
            Answer::ImplicitTls,
        )];
        let doc = AccountDocument::new(d, endpoints);
        assert_eq!(
            document_codes(&doc.findings),
            [
                Code::AccountAutodiscoverOtherDomain,
                Code::AccountAutodiscoverOtherDomain
            ]
        );
        assert!(doc.findings[0].message.contains("elsewhere.example"));
        assert!(doc.findings[1].message.contains("hoster.example"));
    }

    #[test]
    fn a_configured_port_where_nothing_answers_is_flagged() {
        let mut d = discovery(false);
        d.documents = vec![document(
            DocSource::Autoconfig,
            "https://autoconfig.example.edu/mail/config-v1.1.xml",
            vec![server("mail.example.edu", 993, Security::Tls)],
        )];
        let endpoints = vec![from(
            Source::Document(DocSource::Autoconfig),
            993,
            TlsMode::Implicit,
            Answer::Nothing,
        )];
        let doc = AccountDocument::new(d, endpoints);
        assert_eq!(
            document_codes(&doc.findings),
            [Code::AccountEndpointUnreachable]
        );
        assert!(doc.findings[0]
            .message
            .starts_with("The autoconfig configuration at https://autoconfig.example.edu/"));
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

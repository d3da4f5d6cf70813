//! Account discovery: the DNS questions a mail client asks to find a
//! domain's servers. RFC 6186 / RFC 8314 SRV records first; when there are
//! none (and guessing is allowed), Thunderbird's guesses of host names
//! (`GuessConfig.sys.mjs`: imap., pop., smtp., mail. at the standard ports),
//! kept only for names that resolve. Every question is asked at once, all
//! within one deadline, through hickory's tokio resolver.

use std::collections::BTreeMap;
use std::net::{IpAddr, SocketAddr};
use std::time::Duration;

use hickory_resolver::TokioResolver;
use tokio::task::JoinSet;
use tokio::time::{timeout_at, Instant};

use super::dns::{absolute, failed, DnsOptions};
use crate::facts::discovery::{
    address_literal, Answer, ConfigDocument, Discovery, DocOutcome, Endpoint, Lookup, Security,
    Source, SrvService, MAX_ENDPOINTS,
};
use crate::facts::protocol::{Protocol, TlsMode};
use crate::gather::autoconfig::{fetch_documents, DocumentOptions};

/// How to discover.
#[derive(Debug, Clone)]
pub struct DiscoverOptions {
    /// Ask this name server instead of the system's (`--dns-server`).
    pub name_server: Option<SocketAddr>,
    /// Guess host names when no SRV record exists (off with `--no-guess`).
    pub guess: bool,
    /// All of discovery, every question included.
    pub timeout: Duration,
    /// How to fetch configuration documents; `None` with `--offline`.
    pub documents: Option<DocumentOptions>,
}

/// A port a guessed name is tried at, and how.
type GuessPort = (u16, Protocol, TlsMode);

/// Thunderbird's guesses: each name prefix with the ports it is tried at.
const GUESSES: &[(&str, &[GuessPort])] = &[
    (
        "imap",
        &[
            (993, Protocol::Imap, TlsMode::Implicit),
            (143, Protocol::Imap, TlsMode::Starttls),
        ],
    ),
    (
        "pop",
        &[
            (995, Protocol::Pop3, TlsMode::Implicit),
            (110, Protocol::Pop3, TlsMode::Starttls),
        ],
    ),
    (
        "smtp",
        &[
            (465, Protocol::Smtp, TlsMode::Implicit),
            (587, Protocol::Smtp, TlsMode::Starttls),
        ],
    ),
    (
        "mail",
        &[
            (993, Protocol::Imap, TlsMode::Implicit),
            (143, Protocol::Imap, TlsMode::Starttls),
            (995, Protocol::Pop3, TlsMode::Implicit),
            (110, Protocol::Pop3, TlsMode::Starttls),
            (465, Protocol::Smtp, TlsMode::Implicit),
            (587, Protocol::Smtp, TlsMode::Starttls),
        ],
    ),
];

/// The resolver discovery asks (and HTTP fetches, `gather::http`): the given
/// name server, or the system's configuration ([`super::dns::resolver`]
/// without validation).
pub fn resolver(
    name_server: Option<SocketAddr>,
    timeout: Duration,
) -> Result<TokioResolver, hickory_resolver::ResolveError> {
    super::dns::resolver(
        &DnsOptions {
            name_server,
            timeout,
        },
        None,
    )
}

/// What one SRV question found: the lookup, its endpoints in preference
/// order, and the records that name port 0.
type SrvAnswer = (Lookup, Vec<Endpoint>, Vec<Endpoint>);

/// The SRV records of one service: the lookup, its endpoints in preference
/// order (priority, then the larger weight), and apart from them those that
/// name port 0, which no client can connect to (counted in the lookup's
/// answer, but not checked).
async fn srv(resolver: TokioResolver, domain: String, service: SrvService) -> SrvAnswer {
    let name = service.name_in(&domain);
    let mut lookup = Lookup {
        name: name.clone(),
        kind: "SRV".to_owned(),
        answer: Answer::NoRecords,
    };
    let question = match absolute(&name) {
        Ok(question) => question,
        Err(detail) => {
            lookup.answer = Answer::Failed(detail);
            return (lookup, Vec::new(), Vec::new());
        }
    };
    let records = match resolver.srv_lookup(question).await {
        Ok(records) => records,
        Err(error) => {
            lookup.answer = failed(&error);
            return (lookup, Vec::new(), Vec::new());
        }
    };
    let mut endpoints: Vec<Endpoint> = records
        .iter()
        .filter(|r| !r.target().is_root())
        .map(|r| Endpoint {
            host: r
                .target()
                .to_ascii()
                .trim_end_matches('.')
                .to_ascii_lowercase(),
            port: r.port(),
            protocol: service.protocol(),
            mode: service.mode(),
            source: Source::Srv(service),
            priority: Some(r.priority()),
            weight: Some(r.weight()),
        })
        .collect();
    let count = records.iter().count();
    lookup.answer = if count > 0 && endpoints.is_empty() {
        Answer::NotOffered
    } else if count == 0 {
        Answer::NoRecords
    } else {
        Answer::Found(endpoints.len())
    };
    endpoints.sort_by_key(|e| (e.priority, std::cmp::Reverse(e.weight)));
    let (port_zero, endpoints) = endpoints.into_iter().partition(|e| e.port == 0);
    (lookup, endpoints, port_zero)
}

/// The addresses of one host name.
async fn addresses(resolver: TokioResolver, host: String) -> (Lookup, String, Vec<IpAddr>) {
    let mut lookup = Lookup {
        name: host.clone(),
        kind: "A/AAAA".to_owned(),
        answer: Answer::NoRecords,
    };
    let ips: Vec<IpAddr> = match absolute(&host) {
        Err(detail) => {
            lookup.answer = Answer::Failed(detail);
            Vec::new()
        }
        Ok(question) => match resolver.lookup_ip(question).await {
            Ok(found) => found.iter().collect(),
            Err(error) => {
                lookup.answer = failed(&error);
                Vec::new()
            }
        },
    };
    if !ips.is_empty() {
        lookup.answer = Answer::Found(ips.len());
    }
    (lookup, host, ips)
}

/// Resolves every host in `hosts` at once, within the deadline; the lookups
/// in the order of `hosts`, and the addresses of those that resolved.
async fn resolve_all(
    resolver: &TokioResolver,
    hosts: &[String],
    deadline: Instant,
    timed_out: &mut bool,
) -> (Vec<Lookup>, BTreeMap<String, Vec<IpAddr>>) {
    let mut set = JoinSet::new();
    for (i, host) in hosts.iter().enumerate() {
        let (resolver, host) = (resolver.clone(), host.clone());
        set.spawn(async move { (i, addresses(resolver, host).await) });
    }
    let mut done: Vec<Option<Lookup>> = vec![None; hosts.len()];
    let mut found = BTreeMap::new();
    loop {
        match timeout_at(deadline, set.join_next()).await {
            Ok(Some(Ok((i, (lookup, host, ips))))) => {
                if !ips.is_empty() {
                    found.insert(host, ips);
                }
                done[i] = Some(lookup);
            }
            Ok(Some(Err(_))) => {}
            Ok(None) => break,
            Err(_) => {
                *timed_out = true;
                set.abort_all();
                break;
            }
        }
    }
    let lookups = hosts
        .iter()
        .zip(done)
        .map(|(host, lookup)| {
            lookup.unwrap_or_else(|| Lookup {
                name: host.clone(),
                kind: "A/AAAA".to_owned(),
                answer: Answer::Failed("no answer in time".to_owned()),
            })
        })
        .collect();
    (lookups, found)
}

/// For each protocol SRV publishes only for STARTTLS, the standard SSL/TLS
/// port of each host it names, to see whether SSL/TLS works there too.
fn alongside(published: &[Endpoint]) -> Vec<Endpoint> {
    let mut tried: Vec<Endpoint> = Vec::new();
    for e in published {
        let Source::Srv(service) = e.source else {
            continue;
        };
        let twin = service.implicit_twin();
        let tls_published = published.iter().any(|p| p.source == Source::Srv(twin));
        if service == twin
            || tls_published
            || tried
                .iter()
                .any(|t| t.host == e.host && t.protocol == e.protocol)
        {
            continue;
        }
        tried.push(Endpoint {
            host: e.host.clone(),
            port: twin.standard_port(),
            protocol: e.protocol,
            mode: TlsMode::Implicit,
            source: Source::Alongside(service),
            priority: None,
            weight: None,
        });
    }
    tried
}

/// The endpoint a configuration document names: SSL/TLS is implicit TLS;
/// STARTTLS, and no encryption, are checked with STARTTLS.
fn document_endpoint(server: &crate::facts::discovery::Server, doc: &ConfigDocument) -> Endpoint {
    Endpoint {
        host: server.host.clone(),
        port: server.port,
        protocol: server.protocol,
        mode: match server.security {
            Security::Tls => TlsMode::Implicit,
            Security::Starttls | Security::Plain => TlsMode::Starttls,
        },
        source: Source::Document(doc.source),
        priority: None,
        weight: None,
    }
}

/// The servers the configuration documents name, then, for each host a
/// document names for a protocol with STARTTLS or no encryption only, its
/// standard SSL/TLS port (to see whether SSL/TLS works there too); and apart
/// from them the servers named at port 0, which no client can connect to
/// (they count for nothing else either).
fn document_endpoints(documents: &[ConfigDocument]) -> (Vec<Endpoint>, Vec<Endpoint>) {
    let mut named = Vec::new();
    let mut beside = Vec::new();
    let mut port_zero = Vec::new();
    for doc in documents {
        if !matches!(doc.outcome, DocOutcome::Settings(_)) {
            continue;
        }
        let (zero, usable): (Vec<_>, Vec<_>) = doc.servers.iter().partition(|s| s.port == 0);
        port_zero.extend(
            zero.into_iter()
                .map(|server| document_endpoint(server, doc)),
        );
        for server in usable.iter().copied() {
            named.push(document_endpoint(server, doc));
            let tls_named = usable
                .iter()
                .any(|s| s.protocol == server.protocol && s.security == Security::Tls);
            if server.security != Security::Tls && !tls_named {
                let port = server.protocol.default_port(TlsMode::Implicit);
                beside.push(Endpoint {
                    host: server.host.clone(),
                    port,
                    protocol: server.protocol,
                    mode: TlsMode::Implicit,
                    source: Source::BesideDocument(doc.source),
                    priority: None,
                    weight: None,
                });
            }
        }
    }
    named.extend(beside);
    (named, port_zero)
}

/// The endpoints without repeats of one host, port and mode (the first kept):
/// an SRV answer may name the same target twice.
fn unique(endpoints: Vec<Endpoint>) -> Vec<Endpoint> {
    let mut kept: Vec<Endpoint> = Vec::with_capacity(endpoints.len());
    for e in endpoints {
        let seen = kept.iter().any(|k| {
            k.host == e.host && k.port == e.port && k.protocol == e.protocol && k.mode == e.mode
        });
        if !seen {
            kept.push(e);
        }
    }
    kept
}

/// Discovers the servers of `domain` (`address` is the e-mail address it
/// came from, if any).
pub async fn discover(
    address: Option<String>,
    domain: &str,
    options: &DiscoverOptions,
) -> Discovery {
    let deadline = Instant::now() + options.timeout;
    let mut discovery = Discovery {
        name_server: options.name_server.map(|s| s.to_string()),
        timed_out: false,
        offline: options.documents.is_none(),
        base_domain: crate::gather::autoconfig::base_domain(domain),
        ..Discovery::empty(address, domain)
    };
    let resolver = match resolver(options.name_server, options.timeout) {
        Ok(resolver) => resolver,
        Err(error) => {
            discovery.lookups.push(Lookup {
                name: "system resolver configuration".to_owned(),
                kind: "config".to_owned(),
                answer: Answer::Failed(error.to_string()),
            });
            return discovery;
        }
    };

    // The configuration documents, beside the SRV questions, within half the
    // time: a silent web server must leave the endpoints' checks time to run.
    let documents_deadline = Instant::now() + options.timeout / 2;
    let documents = options.documents.clone().map(|doc_options| {
        let (resolver, address, domain) = (
            resolver.clone(),
            discovery.address.clone(),
            domain.to_owned(),
        );
        tokio::spawn(async move {
            fetch_documents(
                &resolver,
                &doc_options,
                address.as_deref(),
                &domain,
                documents_deadline,
            )
            .await
        })
    });

    // Every SRV question at once.
    let mut set = JoinSet::new();
    for (i, service) in SrvService::ALL.into_iter().enumerate() {
        let (resolver, domain) = (resolver.clone(), domain.to_owned());
        set.spawn(async move { (i, srv(resolver, domain, service).await) });
    }
    let mut answers: Vec<Option<SrvAnswer>> = vec![None; SrvService::ALL.len()];
    loop {
        match timeout_at(deadline, set.join_next()).await {
            Ok(Some(Ok((i, answer)))) => answers[i] = Some(answer),
            Ok(Some(Err(_))) => {}
            Ok(None) => break,
            Err(_) => {
                discovery.timed_out = true;
                set.abort_all();
                break;
            }
        }
    }
    let mut endpoints = Vec::new();
    for (service, answer) in SrvService::ALL.into_iter().zip(answers) {
        let (lookup, found, port_zero) = answer.unwrap_or_else(|| {
            (
                Lookup {
                    name: service.name_in(domain),
                    kind: "SRV".to_owned(),
                    answer: Answer::Failed("no answer in time".to_owned()),
                },
                Vec::new(),
                Vec::new(),
            )
        });
        discovery.lookups.push(lookup);
        endpoints.extend(found);
        discovery.port_zero.extend(port_zero);
    }

    endpoints.extend(alongside(&endpoints));
    if let Some(task) = documents {
        if let Ok(found) = task.await {
            discovery.lookups.extend(found.lookups);
            discovery.mx = found.mx;
            discovery.timed_out |= found.timed_out;
            let (named, port_zero) = document_endpoints(&found.documents);
            endpoints.extend(named);
            discovery.port_zero.extend(port_zero);
            discovery.documents = found.documents;
        }
    }

    if endpoints.is_empty() && options.guess {
        // Thunderbird's guesses: only names that resolve.
        discovery.guessed = true;
        let names: Vec<String> = GUESSES
            .iter()
            .map(|(prefix, _)| format!("{prefix}.{domain}"))
            .collect();
        let mut timed_out = discovery.timed_out;
        let (lookups, found) = resolve_all(&resolver, &names, deadline, &mut timed_out).await;
        discovery.timed_out = timed_out;
        discovery.lookups.extend(lookups);
        for ((_, ports), name) in GUESSES.iter().zip(&names) {
            if !found.contains_key(name) {
                continue;
            }
            endpoints.extend(ports.iter().map(|&(port, protocol, mode)| Endpoint {
                host: name.clone(),
                port,
                protocol,
                mode,
                source: Source::Guess,
                priority: None,
                weight: None,
            }));
        }
        discovery.addresses = found;
    } else {
        endpoints = unique(endpoints);
        // A document's IP address is where a client connects, as given: no
        // DNS question, the address is the host's own.
        let mut hosts: Vec<String> = Vec::new();
        let mut literals = BTreeMap::new();
        for e in endpoints.iter().take(MAX_ENDPOINTS) {
            if let Some(ip) = address_literal(&e.host) {
                literals.insert(e.host.clone(), vec![ip]);
            } else if !hosts.contains(&e.host) {
                hosts.push(e.host.clone());
            }
        }
        let mut timed_out = discovery.timed_out;
        let (lookups, mut found) = resolve_all(&resolver, &hosts, deadline, &mut timed_out).await;
        discovery.timed_out = timed_out;
        discovery.lookups.extend(lookups);
        found.extend(literals);
        discovery.addresses = found;
    }
    let mut endpoints = unique(endpoints);
    discovery.truncated = endpoints.len() > MAX_ENDPOINTS;
    endpoints.truncate(MAX_ENDPOINTS);
    discovery.endpoints = endpoints;
    discovery
}

/// Discovers every `(address, domain)` at once (at most eight at a time),
/// all by `deadline`; each result in the order given, an empty discovery for
/// one whose task failed.
pub async fn discover_all(
    inputs: &[(Option<String>, String)],
    options: &DiscoverOptions,
    deadline: Instant,
) -> Vec<Discovery> {
    let slots = std::sync::Arc::new(tokio::sync::Semaphore::new(8));
    let mut set = JoinSet::new();
    for (i, (address, domain)) in inputs.iter().enumerate() {
        let (slots, address, domain, mut options) = (
            slots.clone(),
            address.clone(),
            domain.clone(),
            options.clone(),
        );
        set.spawn(async move {
            let _slot = slots.acquire_owned().await;
            options.timeout = deadline.saturating_duration_since(Instant::now());
            (i, discover(address, &domain, &options).await)
        });
    }
    let mut found: Vec<Option<Discovery>> = vec![None; inputs.len()];
    while let Some(done) = set.join_next().await {
        if let Ok((i, discovery)) = done {
            found[i] = Some(discovery);
        }
    }
    found
        .into_iter()
        .zip(inputs)
        .map(|(d, (address, domain))| {
            d.unwrap_or_else(|| Discovery::empty(address.clone(), domain))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn endpoint(host: &str, port: u16, source: Source) -> Endpoint {
        Endpoint {
            host: host.to_owned(),
            port,
            protocol: Protocol::Imap,
            mode: TlsMode::Implicit,
            source,
            priority: Some(0),
            weight: Some(1),
        }
    }

    #[test]
    fn a_protocol_published_only_for_starttls_is_tried_at_its_tls_port() {
        let starttls = |service: SrvService, host: &str, port: u16| Endpoint {
            host: host.to_owned(),
            port,
            protocol: service.protocol(),
            mode: service.mode(),
            source: Source::Srv(service),
            priority: Some(0),
            weight: Some(1),
        };
        let published = [
            starttls(SrvService::Imap, "mail.example", 143),
            starttls(SrvService::Imap, "mail.example", 10143),
            starttls(SrvService::Submission, "smtp.example", 587),
            starttls(SrvService::Submissions, "smtp.example", 465),
            starttls(SrvService::Pop3s, "mail.example", 995),
        ];
        let tried: Vec<(String, u16, Source)> = alongside(&published)
            .into_iter()
            .map(|e| (e.host, e.port, e.source))
            .collect();
        assert_eq!(
            tried,
            [(
                "mail.example".to_owned(),
                993,
                Source::Alongside(SrvService::Imap)
            )]
        );
    }

    #[test]
    fn repeated_targets_are_kept_once() {
        let srv = Source::Srv(SrvService::Imaps);
        let kept = unique(vec![
            endpoint("a.example", 993, srv),
            endpoint("a.example", 993, srv),
            endpoint("b.example", 993, srv),
            endpoint("a.example", 10993, srv),
        ]);
        let hosts: Vec<(&str, u16)> = kept.iter().map(|e| (e.host.as_str(), e.port)).collect();
        assert_eq!(
            hosts,
            [("a.example", 993), ("b.example", 993), ("a.example", 10993)]
        );
    }
}

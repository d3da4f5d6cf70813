//! The configuration documents mail clients fetch to set up an account:
//! Thunderbird's autoconfig (the domain's own URLs over HTTPS then plain
//! HTTP, the ISPDB, the MX host's base domain; `FetchConfig.sys.mjs`) and
//! Microsoft Autodiscover POX (two HTTPS URLs, the HTTP redirect method and
//! `_autodiscover._tcp` SRV; MS-OXDISCO, `ExchangeAutoDiscover.sys.mjs`).
//! Every fetch at once through `gather::http`, all by one deadline; the
//! documents are parsed with quick-xml into plain facts.

use std::sync::Arc;

use hickory_resolver::TokioResolver;
use rustls::crypto::CryptoProvider;
use serde::Deserialize;
use tokio::task::JoinSet;
use tokio::time::{timeout_at, Instant};

use crate::facts::discovery::{
    address_literal, domain_of, Answer, ConfigDocument, DocOutcome, DocSource, Lookup, MxBase,
    Security, Server,
};
use crate::facts::http::{HttpError, HttpFetch};
use crate::facts::protocol::Protocol;
use crate::gather::http::{HttpClient, Request};
use crate::gather::tls::trust::TrustStore;

/// Thunderbird's ISPDB (`mailnews.auto_config_url`); the domain is appended.
pub const DEFAULT_ISPDB: &str = "https://autoconfig.thunderbird.net/v1.1/";

/// The most servers read from one document.
const MAX_SERVERS: usize = 10;

/// How to fetch configuration documents.
#[derive(Debug, Clone)]
pub struct DocumentOptions {
    /// The ISPDB URL: `{{domain}}` is replaced by the domain, or it is appended.
    pub ispdb_url: String,
    /// The run's trust store: HTTPS servers are verified against it.
    pub trust: TrustStore,
    pub provider: Arc<CryptoProvider>,
}

/// The base domain of `host` under the Public Suffix List.
pub fn base_domain(host: &str) -> Option<String> {
    psl::domain_str(host.trim_end_matches('.')).map(str::to_ascii_lowercase)
}

/// `base` with the label of `host` just before it (`mx1.mail.hoster.com`,
/// `hoster.com` → `mail.hoster.com`); `None` when `host` is `base` itself.
fn next_sub_domain(host: &str, base: &str) -> Option<String> {
    let above = host.strip_suffix(base)?.strip_suffix('.')?;
    let label = above.rsplit('.').next().filter(|l| !l.is_empty())?;
    Some(format!("{label}.{base}"))
}

/// The ISPDB URL for `domain`.
fn ispdb(url: &str, domain: &str) -> String {
    if url.contains("{{domain}}") {
        url.replace("{{domain}}", domain)
    } else {
        format!("{url}{domain}")
    }
}

/// `?emailaddress=…` with the address percent-encoded, or nothing.
fn address_query(address: Option<&str>) -> String {
    match address {
        None => String::new(),
        Some(address) => format!(
            "?emailaddress={}",
            url::form_urlencoded::byte_serialize(address.as_bytes()).collect::<String>()
        ),
    }
}

/// The POX request body for `address`.
fn autodiscover_request(address: &str) -> Vec<u8> {
    let escaped = address
        .replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;");
    format!(
        "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n<Autodiscover xmlns=\"http://schemas.microsoft.com/exchange/autodiscover/outlook/requestschema/2006\">\n  <Request>\n    <EMailAddress>{escaped}</EMailAddress>\n    <AcceptableResponseSchema>http://schemas.microsoft.com/exchange/autodiscover/outlook/responseschema/2006a</AcceptableResponseSchema>\n  </Request>\n</Autodiscover>\n"
    )
    .into_bytes()
}

/// Why a fetched document gives no settings; each message is a fragment
/// for "The document at URL …", in plain words.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DocumentError {
    #[error("it is not UTF-8 text")]
    NotText,
    #[error("it is not an autoconfig document (no clientConfig)")]
    NotAutoconfig,
    #[error("it is not an Autodiscover answer")]
    NotAutodiscover,
    #[error("it is not valid {kind} XML ({detail})")]
    Xml { kind: &'static str, detail: String },
    #[error("it holds no account settings (no Response/Account)")]
    NoAccount,
    #[error("it names no IMAP, POP3 or SMTP server")]
    NoServers,
}

impl DocumentError {
    /// quick-xml's error, its text cut to 200 characters (it may quote the document).
    fn xml(kind: &'static str, error: &quick_xml::DeError) -> DocumentError {
        let text = error.to_string();
        let detail = match text.char_indices().nth(200) {
            Some((end, _)) => format!("{}…", &text[..end]),
            None => text,
        };
        DocumentError::Xml { kind, detail }
    }
}

/// What one source's task brings back.
type Found = (Vec<ConfigDocument>, Vec<Lookup>, Option<MxBase>);

/// What [`fetch_documents`] found.
#[derive(Debug, Clone, Default)]
pub struct Documents {
    /// In [`DocSource`] order.
    pub documents: Vec<ConfigDocument>,
    /// The DNS questions asked on the way (MX, `_autodiscover._tcp` SRV).
    pub lookups: Vec<Lookup>,
    pub mx: Option<MxBase>,
    /// Some fetch was still running at the deadline.
    pub timed_out: bool,
}

/// Fetches every configuration document for `domain` at once, by `deadline`.
pub async fn fetch_documents(
    resolver: &TokioResolver,
    options: &DocumentOptions,
    address: Option<&str>,
    domain: &str,
    deadline: Instant,
) -> Documents {
    let http = HttpClient::new(resolver.clone(), &options.trust, &options.provider);
    let query = address_query(address);
    let mut set: JoinSet<Found> = JoinSet::new();
    let autoconfig = [
        (
            DocSource::Autoconfig,
            format!("https://autoconfig.{domain}/mail/config-v1.1.xml{query}"),
        ),
        (
            DocSource::WellKnown,
            format!("https://{domain}/.well-known/autoconfig/mail/config-v1.1.xml{query}"),
        ),
        (
            DocSource::AutoconfigHttp,
            format!("http://autoconfig.{domain}/mail/config-v1.1.xml{query}"),
        ),
        (
            DocSource::WellKnownHttp,
            format!("http://{domain}/.well-known/autoconfig/mail/config-v1.1.xml{query}"),
        ),
        (DocSource::Ispdb, ispdb(&options.ispdb_url, domain)),
    ];
    for (source, url) in autoconfig {
        let (http, domain, address) = (http.clone(), domain.to_owned(), address.map(str::to_owned));
        set.spawn(async move {
            let fetch = http.get(&url, deadline).await;
            let doc = autoconfig_document(source, &domain, address.as_deref(), fetch);
            (vec![doc], Vec::new(), None)
        });
    }
    {
        // Thunderbird's MX lookup: the most preferred MX host's base domain,
        // its own autoconfig over HTTPS and its ISPDB entry.
        let (http, resolver, domain, address, ispdb_url) = (
            http.clone(),
            resolver.clone(),
            domain.to_owned(),
            address.map(str::to_owned),
            options.ispdb_url.clone(),
        );
        set.spawn(async move {
            let (lookup, mx) = mx_host(&resolver, &domain, deadline).await;
            let Some(mx) = mx else {
                return (Vec::new(), vec![lookup], None);
            };
            let base = match &mx.base_domain {
                Some(base) if *base != domain => base.clone(),
                _ => return (Vec::new(), vec![lookup], Some(mx)),
            };
            let query = address_query(address.as_deref());
            let isp = |d: &str| format!("https://autoconfig.{d}/mail/config-v1.1.xml{query}");
            let sub = mx.sub_domain.clone();
            let urls = |d: &str| (isp(d), ispdb(&ispdb_url, d));
            let (base_isp, base_db) = urls(&base);
            let sub_urls = sub.as_deref().map(urls);
            let fetch_sub = async {
                match &sub_urls {
                    Some((i, d)) => {
                        Some(tokio::join!(http.get(i, deadline), http.get(d, deadline)))
                    }
                    None => None,
                }
            };
            let fetch_base =
                async { tokio::join!(http.get(&base_isp, deadline), http.get(&base_db, deadline)) };
            let (on_sub, (isp, db)) = tokio::join!(fetch_sub, fetch_base);
            let mut docs = Vec::new();
            if let (Some(sub), Some((sub_isp, sub_db))) = (&sub, on_sub) {
                let address = address.as_deref();
                docs.push(autoconfig_document(
                    DocSource::MxSubAutoconfig,
                    sub,
                    address,
                    sub_isp,
                ));
                docs.push(autoconfig_document(
                    DocSource::MxSubIspdb,
                    sub,
                    address,
                    sub_db,
                ));
            }
            docs.push(autoconfig_document(
                DocSource::MxAutoconfig,
                &base,
                address.as_deref(),
                isp,
            ));
            docs.push(autoconfig_document(
                DocSource::MxIspdb,
                &base,
                address.as_deref(),
                db,
            ));
            (docs, vec![lookup], Some(mx))
        });
    }
    // Autodiscover: POST the request; a bare domain asks for postmaster@.
    let email = address
        .map(str::to_owned)
        .unwrap_or_else(|| format!("postmaster@{domain}"));
    let body = autodiscover_request(&email);
    for (source, url) in [
        (
            DocSource::Autodiscover,
            format!("https://autodiscover.{domain}/autodiscover/autodiscover.xml"),
        ),
        (
            DocSource::AutodiscoverDomain,
            format!("https://{domain}/autodiscover/autodiscover.xml"),
        ),
    ] {
        let (http, domain, body) = (http.clone(), domain.to_owned(), body.clone());
        set.spawn(async move {
            let fetch = http
                .fetch(
                    &Request::post(url, "text/xml; charset=utf-8", body),
                    deadline,
                )
                .await;
            (
                vec![autodiscover_document(source, &domain, fetch)],
                Vec::new(),
                None,
            )
        });
    }
    {
        // The HTTP redirect method: plain HTTP, its redirect asked again with a POST.
        let (http, domain, body) = (http.clone(), domain.to_owned(), body.clone());
        set.spawn(async move {
            let url = format!("http://autodiscover.{domain}/autodiscover/autodiscover.xml");
            let first = http
                .fetch(
                    &Request::post(url.clone(), "text/xml; charset=utf-8", body.clone())
                        .with_max_redirects(0),
                    deadline,
                )
                .await;
            let fetch = match &first.location {
                Some(location) if location.starts_with("https://") => {
                    let mut then = http
                        .fetch(
                            &Request::post(location.clone(), "text/xml; charset=utf-8", body),
                            deadline,
                        )
                        .await;
                    then.redirects.insert(0, then.url.clone());
                    then.url = url;
                    then.scheme = first.scheme;
                    then
                }
                _ => first,
            };
            let doc = autodiscover_document(DocSource::AutodiscoverRedirect, &domain, fetch);
            (vec![doc], Vec::new(), None)
        });
    }
    {
        // `_autodiscover._tcp` SRV: its target's Autodiscover URL.
        let (http, resolver, domain) = (http.clone(), resolver.clone(), domain.to_owned());
        set.spawn(async move {
            let (lookup, target) = autodiscover_srv(&resolver, &domain, deadline).await;
            let Some(target) = target else {
                return (Vec::new(), vec![lookup], None);
            };
            let url = format!("https://{target}/autodiscover/autodiscover.xml");
            let fetch = http
                .fetch(
                    &Request::post(url, "text/xml; charset=utf-8", body),
                    deadline,
                )
                .await;
            let doc = autodiscover_document(DocSource::AutodiscoverSrv, &domain, fetch);
            (vec![doc], vec![lookup], None)
        });
    }

    let (mut documents, mut lookups, mut mx, mut timed_out) = (Vec::new(), Vec::new(), None, false);
    loop {
        // A little past the deadline: every fetch stops at it by itself.
        match timeout_at(
            deadline + std::time::Duration::from_millis(500),
            set.join_next(),
        )
        .await
        {
            Ok(Some(Ok((docs, asked, found)))) => {
                documents.extend(docs);
                lookups.extend(asked);
                mx = mx.or(found);
            }
            Ok(Some(Err(_))) => {}
            Ok(None) => break,
            Err(_) => {
                timed_out = true;
                set.abort_all();
                break;
            }
        }
    }
    // As Thunderbird, follow an Autodiscover RedirectAddr (here once): the
    // two HTTPS URLs of the new address's domain, asked for that address.
    let redirected = documents.iter().find_map(|d| match &d.outcome {
        DocOutcome::RedirectAddr(to) => match domain_of(to) {
            Some((Some(address), new_domain)) if new_domain != domain => {
                Some((address, new_domain))
            }
            _ => None,
        },
        _ => None,
    });
    if let Some((address, new_domain)) = redirected {
        let body = autodiscover_request(&address);
        let ask = |url: String| {
            let request = Request::post(url, "text/xml; charset=utf-8", body.clone());
            let http = http.clone();
            async move { http.fetch(&request, deadline).await }
        };
        let (first, second) = tokio::join!(
            ask(format!(
                "https://autodiscover.{new_domain}/autodiscover/autodiscover.xml"
            )),
            ask(format!(
                "https://{new_domain}/autodiscover/autodiscover.xml"
            )),
        );
        let answered = if first.document().is_some() {
            first
        } else {
            second
        };
        documents.push(autodiscover_document(
            DocSource::AutodiscoverRedirectAddr,
            &new_domain,
            answered,
        ));
    }
    timed_out |= documents.iter().any(|d| {
        matches!(
            d.fetch.error,
            Some(HttpError::Timeout) | Some(HttpError::NoTime)
        )
    });
    documents.sort_by_key(|d| d.source);
    lookups.sort_by(|a, b| a.kind.cmp(&b.kind).then(a.name.cmp(&b.name)));
    Documents {
        documents,
        lookups,
        mx,
        timed_out,
    }
}

/// The most preferred MX host of `domain`.
async fn mx_host(
    resolver: &TokioResolver,
    domain: &str,
    deadline: Instant,
) -> (Lookup, Option<MxBase>) {
    let mut lookup = Lookup {
        name: domain.to_owned(),
        kind: "MX".to_owned(),
        answer: Answer::NoRecords,
    };
    let asked = timeout_at(deadline, resolver.mx_lookup(format!("{domain}."))).await;
    let records = match asked {
        Err(_) => {
            lookup.answer = Answer::Failed("no answer in time".to_owned());
            return (lookup, None);
        }
        Ok(Err(error)) => {
            lookup.answer = super::dns::failed(&error);
            return (lookup, None);
        }
        Ok(Ok(records)) => records,
    };
    let best = records
        .iter()
        .filter(|r| !r.exchange().is_root())
        .min_by_key(|r| r.preference())
        .map(|r| {
            r.exchange()
                .to_ascii()
                .trim_end_matches('.')
                .to_ascii_lowercase()
        });
    lookup.answer = Answer::Found(records.iter().count());
    let mx = best.map(|host| {
        let base = base_domain(&host);
        MxBase {
            sub_domain: base.as_deref().and_then(|b| next_sub_domain(&host, b)),
            base_domain: base,
            host,
        }
    });
    (lookup, mx)
}

/// The target of `_autodiscover._tcp.<domain>`, as Thunderbird picks it (the
/// first after sorting by weight).
async fn autodiscover_srv(
    resolver: &TokioResolver,
    domain: &str,
    deadline: Instant,
) -> (Lookup, Option<String>) {
    let name = format!("_autodiscover._tcp.{domain}");
    let mut lookup = Lookup {
        name: name.clone(),
        kind: "SRV".to_owned(),
        answer: Answer::NoRecords,
    };
    let records = match timeout_at(deadline, resolver.srv_lookup(format!("{name}."))).await {
        Err(_) => {
            lookup.answer = Answer::Failed("no answer in time".to_owned());
            return (lookup, None);
        }
        Ok(Err(error)) => {
            lookup.answer = super::dns::failed(&error);
            return (lookup, None);
        }
        Ok(Ok(records)) => records,
    };
    let mut found: Vec<_> = records.iter().filter(|r| !r.target().is_root()).collect();
    lookup.answer = if found.is_empty() {
        Answer::NotOffered
    } else {
        Answer::Found(found.len())
    };
    found.sort_by_key(|r| r.weight());
    let target = found.first().map(|r| {
        r.target()
            .to_ascii()
            .trim_end_matches('.')
            .to_ascii_lowercase()
    });
    (lookup, target.filter(|t| domain_of(t).is_some()))
}

/// A host name from a document, placeholders filled in, or the IP address
/// it gives instead ([`address_literal`]: canonical, without brackets);
/// `None` when it is neither.
fn host_name(raw: &str, address: Option<&str>, domain: &str) -> Option<String> {
    let local = address.and_then(|a| a.rsplit_once('@')).map(|(l, _)| l);
    let mut host = raw.trim().replace("%EMAILDOMAIN%", domain);
    if let Some(local) = local {
        host = host.replace("%EMAILLOCALPART%", local);
    }
    if let Some(ip) = address_literal(&host) {
        return Some(ip.to_string());
    }
    match domain_of(&host) {
        Some((None, host)) => Some(host),
        _ => None,
    }
}

#[derive(Debug, Deserialize)]
struct XmlClientConfig {
    #[serde(rename = "emailProvider", default)]
    providers: Vec<XmlProvider>,
}

#[derive(Debug, Deserialize)]
struct XmlProvider {
    #[serde(rename = "incomingServer", default)]
    incoming: Vec<XmlServer>,
    #[serde(rename = "outgoingServer", default)]
    outgoing: Vec<XmlServer>,
}

#[derive(Debug, Deserialize)]
struct XmlServer {
    #[serde(rename = "@type", default)]
    kind: String,
    hostname: Option<String>,
    port: Option<String>,
    #[serde(rename = "socketType")]
    socket_type: Option<String>,
}

/// The servers of a Thunderbird `config-v1.1.xml` document.
pub fn parse_autoconfig(
    body: &[u8],
    address: Option<&str>,
    domain: &str,
) -> Result<Vec<Server>, DocumentError> {
    let text = std::str::from_utf8(body).map_err(|_| DocumentError::NotText)?;
    if !text.contains("clientConfig") {
        return Err(DocumentError::NotAutoconfig);
    }
    let config: XmlClientConfig =
        quick_xml::de::from_str(text).map_err(|e| DocumentError::xml("autoconfig", &e))?;
    let mut servers = Vec::new();
    for provider in &config.providers {
        for server in provider.incoming.iter().chain(&provider.outgoing) {
            let protocol = match server.kind.trim().to_ascii_lowercase().as_str() {
                "imap" => Protocol::Imap,
                "pop3" => Protocol::Pop3,
                "smtp" => Protocol::Smtp,
                _ => continue,
            };
            let (Some(host), Some(port)) = (
                server
                    .hostname
                    .as_deref()
                    .and_then(|h| host_name(h, address, domain)),
                server
                    .port
                    .as_deref()
                    .and_then(|p| p.trim().parse::<u16>().ok()),
            ) else {
                continue;
            };
            let security = match server
                .socket_type
                .as_deref()
                .map(|s| s.trim().to_ascii_uppercase())
                .as_deref()
            {
                Some("SSL") | Some("TLS") => Security::Tls,
                Some("STARTTLS") => Security::Starttls,
                _ => Security::Plain,
            };
            let server = Server {
                host,
                port,
                protocol,
                security,
            };
            if !servers.contains(&server) && servers.len() < MAX_SERVERS {
                servers.push(server);
            }
        }
    }
    if servers.is_empty() {
        return Err(DocumentError::NoServers);
    }
    Ok(servers)
}

#[derive(Debug, Deserialize)]
struct XmlAutodiscover {
    #[serde(rename = "Response")]
    response: Option<XmlResponse>,
}

#[derive(Debug, Deserialize)]
struct XmlResponse {
    #[serde(rename = "Account")]
    account: Option<XmlAccount>,
}

#[derive(Debug, Deserialize)]
struct XmlAccount {
    #[serde(rename = "RedirectAddr")]
    redirect_addr: Option<String>,
    #[serde(rename = "Protocol", default)]
    protocols: Vec<XmlProtocol>,
}

#[derive(Debug, Deserialize)]
struct XmlProtocol {
    #[serde(rename = "Type", default)]
    kind: String,
    #[serde(rename = "Server")]
    server: Option<String>,
    #[serde(rename = "Port")]
    port: Option<String>,
    #[serde(rename = "SSL")]
    ssl: Option<String>,
    #[serde(rename = "Encryption")]
    encryption: Option<String>,
}

/// What an Autodiscover answer holds: servers, or another address to ask for.
pub fn parse_autodiscover(body: &[u8]) -> Result<DocOutcome, DocumentError> {
    let text = std::str::from_utf8(body).map_err(|_| DocumentError::NotText)?;
    if !text.contains("Autodiscover") {
        return Err(DocumentError::NotAutodiscover);
    }
    let answer: XmlAutodiscover =
        quick_xml::de::from_str(text).map_err(|e| DocumentError::xml("Autodiscover", &e))?;
    let account = answer
        .response
        .and_then(|r| r.account)
        .ok_or(DocumentError::NoAccount)?;
    if let Some(redirect) = account.redirect_addr {
        let redirect: String = redirect.trim().chars().take(254).collect();
        return Ok(DocOutcome::RedirectAddr(redirect));
    }
    Ok(DocOutcome::Settings(account.protocols.len()))
}

/// The servers of an Autodiscover answer, read as Thunderbird reads them:
/// `SSL` off or `Encryption` None is no encryption; otherwise STARTTLS at
/// 143, 110, 25 and 587, SSL/TLS at any other port.
pub fn autodiscover_servers(body: &[u8], domain: &str) -> Vec<Server> {
    let Ok(text) = std::str::from_utf8(body) else {
        return Vec::new();
    };
    let Ok(answer) = quick_xml::de::from_str::<XmlAutodiscover>(text) else {
        return Vec::new();
    };
    let protocols = answer
        .response
        .and_then(|r| r.account)
        .map(|a| a.protocols)
        .unwrap_or_default();
    let mut servers = Vec::new();
    for p in protocols {
        let protocol = match p.kind.trim().to_ascii_uppercase().as_str() {
            "IMAP" => Protocol::Imap,
            "POP3" => Protocol::Pop3,
            "SMTP" => Protocol::Smtp,
            _ => continue,
        };
        let (Some(host), Some(port)) = (
            p.server.as_deref().and_then(|h| host_name(h, None, domain)),
            p.port.as_deref().and_then(|p| p.trim().parse::<u16>().ok()),
        ) else {
            continue;
        };
        let off = |v: &Option<String>, word: &str| {
            v.as_deref()
                .is_some_and(|v| v.trim().eq_ignore_ascii_case(word))
        };
        let security = if off(&p.ssl, "off") || off(&p.encryption, "none") {
            Security::Plain
        } else if matches!(port, 143 | 110 | 25 | 587) {
            Security::Starttls
        } else {
            Security::Tls
        };
        let server = Server {
            host,
            port,
            protocol,
            security,
        };
        if !servers.contains(&server) && servers.len() < MAX_SERVERS {
            servers.push(server);
        }
    }
    servers
}

/// A fetched document with what was read from it; `served_by_base` is the
/// base domain of the host that finally answered.
fn document(
    source: DocSource,
    domain: &str,
    fetch: HttpFetch,
    outcome: DocOutcome,
    servers: Vec<Server>,
) -> ConfigDocument {
    ConfigDocument {
        source,
        domain: domain.to_owned(),
        served_by_base: base_domain(&crate::facts::discovery::url_host(&fetch.final_url)),
        fetch,
        outcome,
        servers,
    }
}

fn autoconfig_document(
    source: DocSource,
    domain: &str,
    address: Option<&str>,
    fetch: HttpFetch,
) -> ConfigDocument {
    let (outcome, servers) = match fetch.document() {
        None => (DocOutcome::Missing, Vec::new()),
        Some(body) => match parse_autoconfig(body, address, domain) {
            Ok(servers) => (DocOutcome::Settings(servers.len()), servers),
            Err(why) => (DocOutcome::Unreadable(why.to_string()), Vec::new()),
        },
    };
    document(source, domain, fetch, outcome, servers)
}

fn autodiscover_document(source: DocSource, domain: &str, fetch: HttpFetch) -> ConfigDocument {
    let (outcome, servers) = match fetch.document() {
        None => (DocOutcome::Missing, Vec::new()),
        Some(body) => match parse_autodiscover(body) {
            Ok(DocOutcome::Settings(_)) => {
                let servers = autodiscover_servers(body, domain);
                if servers.is_empty() {
                    (
                        DocOutcome::Unreadable(DocumentError::NoServers.to_string()),
                        servers,
                    )
                } else {
                    (DocOutcome::Settings(servers.len()), servers)
                }
            }
            Ok(other) => (other, Vec::new()),
            Err(why) => (DocOutcome::Unreadable(why.to_string()), Vec::new()),
        },
    };
    document(source, domain, fetch, outcome, servers)
}

#[cfg(test)]
mod tests {
    use super::*;

    const CONFIG: &str = r#"<?xml version="1.0"?>
<clientConfig version="1.1">
  <emailProvider id="example.test">
    <domain>example.test</domain>
    <incomingServer type="imap">
      <hostname>imap.%EMAILDOMAIN%</hostname>
      <port>143</port>
      <socketType>STARTTLS</socketType>
      <username>%EMAILADDRESS%</username>
    </incomingServer>
    <outgoingServer type="smtp">
      <hostname>SMTP.example.test.</hostname>
      <port>465</port>
      <socketType>SSL</socketType>
    </outgoingServer>
    <incomingServer type="pop3">
      <hostname>pop.example.test</hostname>
      <port>110</port>
      <socketType>plain</socketType>
    </incomingServer>
    <incomingServer type="exchange">
      <hostname>ews.example.test</hostname>
      <port>443</port>
    </incomingServer>
  </emailProvider>
</clientConfig>"#;

    #[test]
    fn autoconfig_documents_give_their_servers() {
        let servers = parse_autoconfig(CONFIG.as_bytes(), Some("a@example.test"), "example.test")
            .expect("parses");
        let got: Vec<(&str, u16, Protocol, Security)> = servers
            .iter()
            .map(|s| (s.host.as_str(), s.port, s.protocol, s.security))
            .collect();
        assert_eq!(
            got,
            [
                ("imap.example.test", 143, Protocol::Imap, Security::Starttls),
                ("pop.example.test", 110, Protocol::Pop3, Security::Plain),
                ("smtp.example.test", 465, Protocol::Smtp, Security::Tls),
            ]
        );
    }

    #[test]
    fn an_address_given_as_host_name_is_kept_as_an_address() {
        let config = r#"<clientConfig><emailProvider id="example.test">
  <incomingServer type="imap"><hostname>127.0.0.40</hostname><port>993</port><socketType>SSL</socketType></incomingServer>
  <incomingServer type="pop3"><hostname>[::1]</hostname><port>995</port><socketType>SSL</socketType></incomingServer>
  <outgoingServer type="smtp"><hostname>2001:DB8::7</hostname><port>465</port><socketType>SSL</socketType></outgoingServer>
</emailProvider></clientConfig>"#;
        let hosts: Vec<String> = parse_autoconfig(config.as_bytes(), None, "example.test")
            .expect("parses")
            .into_iter()
            .map(|s| s.host)
            .collect();
        assert_eq!(hosts, ["127.0.0.40", "::1", "2001:db8::7"]);
        assert_eq!(
            host_name("[::1]", None, "example.test").as_deref(),
            Some("::1")
        );
    }

    #[test]
    fn what_is_not_autoconfig_is_unreadable_not_a_panic() {
        for bad in [
            &b"<html>nope</html>"[..],
            b"\xff\xfe",
            b"<clientConfig><emailProvider><incomingServer type=\"imap\"><port>99999</port>",
            b"<clientConfig/>",
            b"<clientConfig><emailProvider><incomingServer type=\"imap\"><hostname>a b</hostname><port>1</port></incomingServer></emailProvider></clientConfig>",
        ] {
            assert!(parse_autoconfig(bad, None, "example.test").is_err());
        }
    }

    #[test]
    fn deeply_nested_documents_are_refused_without_running_out_of_stack() {
        let depth = crate::gather::http::MAX_DOCUMENT / 8;
        for wrapper in ["x", "emailProvider", "incomingServer"] {
            let mut doc = String::from("<clientConfig><emailProvider>");
            doc.push_str(&format!("<{wrapper}>").repeat(depth));
            assert!(parse_autoconfig(doc.as_bytes(), None, "example.test").is_err());
            doc.push_str(&format!("</{wrapper}>").repeat(depth));
            doc.push_str("</emailProvider></clientConfig>");
            assert!(parse_autoconfig(doc.as_bytes(), None, "example.test").is_err());
            let mut doc = String::from("<Autodiscover><Response><Account>");
            doc.push_str(&format!("<{wrapper}>").repeat(depth));
            assert!(parse_autodiscover(doc.as_bytes()).is_err());
            assert!(autodiscover_servers(doc.as_bytes(), "example.test").is_empty());
        }
    }

    #[test]
    fn mangled_documents_never_panic() {
        // Deterministic pseudo-random edits of the sample documents.
        let mut state: u64 = 0x2545_f491_4f6c_dd1d;
        let mut next = move || {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state
        };
        for sample in [CONFIG, AUTODISCOVER] {
            for _ in 0..2000 {
                let mut bytes = sample.as_bytes().to_vec();
                for _ in 0..(next() % 8 + 1) {
                    let at = (next() % bytes.len() as u64) as usize;
                    match next() % 3 {
                        0 => bytes[at] = (next() & 0xff) as u8,
                        1 => {
                            bytes.remove(at);
                        }
                        _ => bytes.insert(at, b"<>/&\"%"[(next() % 6) as usize]),
                    }
                }
                let _ = parse_autoconfig(&bytes, Some("a@example.test"), "example.test");
                let _ = parse_autodiscover(&bytes);
                let _ = autodiscover_servers(&bytes, "example.test");
            }
        }
    }

    const AUTODISCOVER: &str = r#"<?xml version="1.0" encoding="utf-8"?>
<Autodiscover xmlns="http://schemas.microsoft.com/exchange/autodiscover/responseschema/2006">
  <Response xmlns="http://schemas.microsoft.com/exchange/autodiscover/outlook/responseschema/2006a">
    <Account>
      <AccountType>email</AccountType>
      <Action>settings</Action>
      <Protocol><Type>IMAP</Type><Server>mail.example.test</Server><Port>993</Port><SSL>on</SSL></Protocol>
      <Protocol><Type>SMTP</Type><Server>mail.example.test</Server><Port>587</Port><SSL>on</SSL></Protocol>
      <Protocol><Type>POP3</Type><Server>mail.example.test</Server><Port>110</Port><SSL>off</SSL></Protocol>
      <Protocol><Type>EXCH</Type><Server>ex.example.test</Server></Protocol>
    </Account>
  </Response>
</Autodiscover>"#;

    #[test]
    fn autodiscover_answers_are_read_as_thunderbird_reads_them() {
        assert_eq!(
            parse_autodiscover(AUTODISCOVER.as_bytes()),
            Ok(DocOutcome::Settings(4))
        );
        let got: Vec<(u16, Security)> =
            autodiscover_servers(AUTODISCOVER.as_bytes(), "example.test")
                .iter()
                .map(|s| (s.port, s.security))
                .collect();
        assert_eq!(
            got,
            [
                (993, Security::Tls),
                (587, Security::Starttls),
                (110, Security::Plain)
            ]
        );
        let redirect = r#"<Autodiscover><Response><Account><Action>redirectAddr</Action><RedirectAddr>bob@other.test</RedirectAddr></Account></Response></Autodiscover>"#;
        assert_eq!(
            parse_autodiscover(redirect.as_bytes()),
            Ok(DocOutcome::RedirectAddr("bob@other.test".to_owned()))
        );
        assert!(
            parse_autodiscover(b"<Autodiscover><Response><Error/></Response></Autodiscover>")
                .is_err()
        );
    }

    #[test]
    fn the_mx_base_domain_follows_the_public_suffix_list() {
        assert_eq!(
            base_domain("mx1.incoming.hoster.co.uk").as_deref(),
            Some("hoster.co.uk")
        );
        assert_eq!(
            base_domain("mx.hoster.test").as_deref(),
            Some("hoster.test")
        );
        assert_eq!(
            next_sub_domain("mx1.mail.hoster.co.uk", "hoster.co.uk").as_deref(),
            Some("mail.hoster.co.uk")
        );
        assert_eq!(
            next_sub_domain("mx1.hoster.test", "hoster.test").as_deref(),
            Some("mx1.hoster.test")
        );
        assert_eq!(next_sub_domain("hoster.test", "hoster.test"), None);
        assert_eq!(
            ispdb(DEFAULT_ISPDB, "example.test"),
            "https://autoconfig.thunderbird.net/v1.1/example.test"
        );
        assert_eq!(
            ispdb("https://db.test/{{domain}}.xml", "example.test"),
            "https://db.test/example.test.xml"
        );
        assert_eq!(
            address_query(Some("a+b@c.test")),
            "?emailaddress=a%2Bb%40c.test"
        );
    }
}

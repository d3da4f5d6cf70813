//! What account discovery found in DNS, the way mail clients look: RFC 6186 /
//! RFC 8314 SRV records, and, when there are none, Thunderbird's guesses of
//! host names. Plain data: `gather::discover` fills it in, `report::account`
//! judges it.

use std::collections::BTreeMap;
use std::fmt;
use std::net::{IpAddr, Ipv6Addr};

use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::facts::protocol::{Protocol, TlsMode};

/// The most endpoints one discovery keeps (SRV answers may be long).
pub const MAX_ENDPOINTS: usize = 20;

/// The SRV services of RFC 6186 and RFC 8314, in the order they are looked up.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum SrvService {
    Imaps,
    Imap,
    Pop3s,
    Pop3,
    Submissions,
    Submission,
}

impl SrvService {
    pub const ALL: [SrvService; 6] = [
        SrvService::Imaps,
        SrvService::Imap,
        SrvService::Pop3s,
        SrvService::Pop3,
        SrvService::Submissions,
        SrvService::Submission,
    ];

    /// The record's name in `domain`, e.g. `_imaps._tcp.example.edu`.
    pub fn name_in(self, domain: &str) -> String {
        format!("{}.{domain}", self.label())
    }

    /// The record's label, e.g. `_imaps._tcp`.
    pub fn label(self) -> &'static str {
        match self {
            SrvService::Imaps => "_imaps._tcp",
            SrvService::Imap => "_imap._tcp",
            SrvService::Pop3s => "_pop3s._tcp",
            SrvService::Pop3 => "_pop3._tcp",
            SrvService::Submissions => "_submissions._tcp",
            SrvService::Submission => "_submission._tcp",
        }
    }

    pub fn protocol(self) -> Protocol {
        match self {
            SrvService::Imaps | SrvService::Imap => Protocol::Imap,
            SrvService::Pop3s | SrvService::Pop3 => Protocol::Pop3,
            SrvService::Submissions | SrvService::Submission => Protocol::Smtp,
        }
    }

    /// Implicit TLS for the `s` services (RFC 8314), STARTTLS (or nothing) otherwise.
    pub fn mode(self) -> TlsMode {
        match self {
            SrvService::Imaps | SrvService::Pop3s | SrvService::Submissions => TlsMode::Implicit,
            SrvService::Imap | SrvService::Pop3 | SrvService::Submission => TlsMode::Starttls,
        }
    }

    /// The SSL/TLS service of the same protocol (`_imap._tcp` → `_imaps._tcp`).
    pub fn implicit_twin(self) -> SrvService {
        match self.protocol() {
            Protocol::Imap => SrvService::Imaps,
            Protocol::Pop3 => SrvService::Pop3s,
            _ => SrvService::Submissions,
        }
    }

    /// The standard port of the service (RFC 8314, RFC 6409).
    pub fn standard_port(self) -> u16 {
        match self {
            SrvService::Imaps => 993,
            SrvService::Imap => 143,
            SrvService::Pop3s => 995,
            SrvService::Pop3 => 110,
            SrvService::Submissions => 465,
            SrvService::Submission => 587,
        }
    }

    pub fn parse(label: &str) -> Option<SrvService> {
        SrvService::ALL.into_iter().find(|s| s.label() == label)
    }
}

/// A configuration document a mail client fetches over HTTP(S), by where it
/// is fetched from (Thunderbird's `FetchConfig.sys.mjs` and
/// `ExchangeAutoDiscover.sys.mjs`, MS-OXDISCO).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum DocSource {
    /// `https://autoconfig.<domain>/mail/config-v1.1.xml`
    Autoconfig,
    /// `https://<domain>/.well-known/autoconfig/mail/config-v1.1.xml`
    WellKnown,
    /// `http://autoconfig.<domain>/mail/config-v1.1.xml`
    AutoconfigHttp,
    /// `http://<domain>/.well-known/autoconfig/mail/config-v1.1.xml`
    WellKnownHttp,
    /// Thunderbird's ISPDB entry for the domain (`--ispdb-url`).
    Ispdb,
    /// `https://autoconfig.<MX next sub-domain>/mail/config-v1.1.xml`: the
    /// base domain with one more label of the MX host (`mail.hoster.com` for
    /// `mx1.mail.hoster.com`), asked first.
    MxSubAutoconfig,
    /// The ISPDB entry of the MX host's next sub-domain.
    MxSubIspdb,
    /// `https://autoconfig.<MX base domain>/mail/config-v1.1.xml`
    MxAutoconfig,
    /// The ISPDB entry of the MX host's base domain.
    MxIspdb,
    /// `https://autodiscover.<domain>/autodiscover/autodiscover.xml`
    Autodiscover,
    /// `https://<domain>/autodiscover/autodiscover.xml`
    AutodiscoverDomain,
    /// `http://autodiscover.<domain>/autodiscover/autodiscover.xml`, whose
    /// redirect is then asked again with a POST.
    AutodiscoverRedirect,
    /// `https://<target of _autodiscover._tcp.<domain>>/autodiscover/autodiscover.xml`
    AutodiscoverSrv,
    /// Autodiscover asked again, over HTTPS, for the address an earlier answer
    /// redirected to (`RedirectAddr`), at that address's domain.
    AutodiscoverRedirectAddr,
}

impl DocSource {
    pub const ALL: [DocSource; 14] = [
        DocSource::Autoconfig,
        DocSource::WellKnown,
        DocSource::AutoconfigHttp,
        DocSource::WellKnownHttp,
        DocSource::Ispdb,
        DocSource::MxSubAutoconfig,
        DocSource::MxSubIspdb,
        DocSource::MxAutoconfig,
        DocSource::MxIspdb,
        DocSource::Autodiscover,
        DocSource::AutodiscoverDomain,
        DocSource::AutodiscoverRedirect,
        DocSource::AutodiscoverSrv,
        DocSource::AutodiscoverRedirectAddr,
    ];

    pub fn label(self) -> &'static str {
        match self {
            DocSource::Autoconfig => "autoconfig",
            DocSource::WellKnown => "autoconfig-well-known",
            DocSource::AutoconfigHttp => "autoconfig-http",
            DocSource::WellKnownHttp => "autoconfig-well-known-http",
            DocSource::Ispdb => "ispdb",
            DocSource::MxSubAutoconfig => "mx-sub-autoconfig",
            DocSource::MxSubIspdb => "mx-sub-ispdb",
            DocSource::MxAutoconfig => "mx-autoconfig",
            DocSource::MxIspdb => "mx-ispdb",
            DocSource::Autodiscover => "autodiscover",
            DocSource::AutodiscoverDomain => "autodiscover-domain",
            DocSource::AutodiscoverRedirect => "autodiscover-redirect",
            DocSource::AutodiscoverSrv => "autodiscover-srv",
            DocSource::AutodiscoverRedirectAddr => "autodiscover-redirect-addr",
        }
    }

    pub fn parse(label: &str) -> Option<DocSource> {
        DocSource::ALL.into_iter().find(|s| s.label() == label)
    }

    /// Microsoft Autodiscover (POX), not a Thunderbird autoconfig document.
    pub fn is_autodiscover(self) -> bool {
        matches!(
            self,
            DocSource::Autodiscover
                | DocSource::AutodiscoverDomain
                | DocSource::AutodiscoverRedirect
                | DocSource::AutodiscoverSrv
                | DocSource::AutodiscoverRedirectAddr
        )
    }

    /// The domain's own autoconfig URLs (the ISP's), as opposed to ISPDB and MX.
    pub fn is_isp_autoconfig(self) -> bool {
        matches!(
            self,
            DocSource::Autoconfig
                | DocSource::WellKnown
                | DocSource::AutoconfigHttp
                | DocSource::WellKnownHttp
        )
    }
}

impl Serialize for DocSource {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.label())
    }
}

impl<'de> Deserialize<'de> for DocSource {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<DocSource, D::Error> {
        let text = String::deserialize(d)?;
        DocSource::parse(&text)
            .ok_or_else(|| serde::de::Error::custom(format!("unknown document source {text:?}")))
    }
}

/// How a configuration document says to connect.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Security {
    /// "SSL/TLS" (`SSL` in autoconfig).
    Tls,
    Starttls,
    /// No encryption at all.
    Plain,
}

impl Security {
    /// In mail-client words.
    pub fn words(self) -> &'static str {
        match self {
            Security::Tls => "SSL/TLS",
            Security::Starttls => "STARTTLS",
            Security::Plain => "no encryption",
        }
    }
}

/// One server a configuration document names.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Server {
    /// Lowercase, without the final dot, placeholders filled in.
    pub host: String,
    pub port: u16,
    pub protocol: Protocol,
    pub security: Security,
}

/// What a fetched configuration document held.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "outcome", content = "detail")]
pub enum DocOutcome {
    /// Settings for this many servers (IMAP, POP3, SMTP; others ignored).
    Settings(usize),
    /// No document (an error status, no answer, nothing at the URL).
    Missing,
    /// A document that is not a configuration, in words.
    Unreadable(String),
    /// Autodiscover sent the client to another address (`RedirectAddr`).
    RedirectAddr(String),
}

/// One configuration document asked for.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ConfigDocument {
    pub source: DocSource,
    /// The domain the URL was made for (the MX host's base domain for `mx-*`).
    pub domain: String,
    pub fetch: crate::facts::http::HttpFetch,
    pub outcome: DocOutcome,
    /// The servers it names (IMAP, POP3, SMTP), in document order.
    pub servers: Vec<Server>,
    /// The base domain (Public Suffix List) of the host that finally answered.
    pub served_by_base: Option<String>,
}

impl ConfigDocument {
    /// Where the document finally came from: its host name.
    pub fn served_by(&self) -> String {
        url_host(&self.fetch.final_url)
    }
}

/// The host of an http(s) URL, lowercase ("" when there is none).
pub fn url_host(url: &str) -> String {
    let rest = url.split_once("://").map_or(url, |(_, r)| r);
    let authority = rest.split(['/', '?', '#']).next().unwrap_or_default();
    let host = authority.rsplit_once('@').map_or(authority, |(_, h)| h);
    let host = if host.starts_with('[') {
        host.split(']').next().map_or(host, |h| &h[1..])
    } else {
        host.split(':').next().unwrap_or(host)
    };
    host.to_ascii_lowercase()
}

/// The MX host Thunderbird's MX lookup starts from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MxBase {
    /// The most preferred MX host (the lowest preference number).
    pub host: String,
    /// Its base domain under the Public Suffix List (`mx1.mail.hoster.co.uk` → `hoster.co.uk`).
    pub base_domain: Option<String>,
    /// The base domain with the next label of the host (`mail.hoster.co.uk`),
    /// when the host has one more.
    pub sub_domain: Option<String>,
}

/// Where an endpoint came from: `srv:_imaps._tcp`, `alongside:_imap._tcp`,
/// `guess`, a configuration document (`autoconfig`, `ispdb`, …) or
/// `alongside:autoconfig`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Source {
    /// Published in an SRV record.
    Srv(SrvService),
    /// The standard SSL/TLS port of a host that SRV publishes for this
    /// STARTTLS service only (no SSL/TLS record for the protocol): tried to
    /// see whether SSL/TLS works there too.
    Alongside(SrvService),
    /// Guessed from the domain, as Thunderbird does (imap., pop., smtp., mail.).
    Guess,
    /// Named in a configuration document.
    Document(DocSource),
    /// The standard SSL/TLS port of a host a configuration document names
    /// for STARTTLS or no encryption only: tried to see whether SSL/TLS works.
    BesideDocument(DocSource),
}

impl Source {
    /// Published by the domain (SRV or a configuration document), not
    /// guessed or tried alongside.
    pub fn is_published(self) -> bool {
        matches!(self, Source::Srv(_) | Source::Document(_))
    }
}

impl fmt::Display for Source {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Source::Srv(service) => write!(f, "srv:{}", service.label()),
            Source::Alongside(service) => write!(f, "alongside:{}", service.label()),
            Source::Guess => f.write_str("guess"),
            Source::Document(doc) => f.write_str(doc.label()),
            Source::BesideDocument(doc) => write!(f, "alongside:{}", doc.label()),
        }
    }
}

impl Serialize for Source {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for Source {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Source, D::Error> {
        let text = String::deserialize(d)?;
        if text == "guess" {
            return Ok(Source::Guess);
        }
        let parsed = match text.split_once(':') {
            Some(("srv", label)) => SrvService::parse(label).map(Source::Srv),
            Some(("alongside", label)) => SrvService::parse(label)
                .map(Source::Alongside)
                .or_else(|| DocSource::parse(label).map(Source::BesideDocument)),
            None => DocSource::parse(&text).map(Source::Document),
            _ => None,
        };
        parsed.ok_or_else(|| serde::de::Error::custom(format!("unknown source {text:?}")))
    }
}

/// One server a client would use: where, how, and who said so.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Endpoint {
    /// The host name, lowercase, without the final dot; or the IP address a
    /// configuration document gives instead of a name ([`address_literal`]),
    /// in its canonical form (`192.0.2.7`, `2001:db8::7`, no brackets).
    pub host: String,
    pub port: u16,
    pub protocol: Protocol,
    pub mode: TlsMode,
    pub source: Source,
    /// The SRV record's priority (lower is preferred); `None` for guesses.
    pub priority: Option<u16>,
    pub weight: Option<u16>,
}

/// What one DNS question got.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "outcome", content = "detail")]
pub enum Answer {
    /// This many records.
    Found(usize),
    /// The name has no such records (NXDOMAIN or an empty answer).
    NoRecords,
    /// An SRV record with target "." (RFC 2782): the service is explicitly not offered.
    NotOffered,
    /// The question failed (timeout, server failure); the resolver's words.
    Failed(String),
}

/// One DNS question and its answer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Lookup {
    /// The name asked, e.g. `_imaps._tcp.example.edu` or `imap.example.edu`.
    pub name: String,
    /// `SRV` or `A/AAAA`.
    pub kind: String,
    pub answer: Answer,
}

/// Everything discovery found.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Discovery {
    /// The e-mail address as given, if one was.
    pub address: Option<String>,
    pub domain: String,
    /// The name server asked (`--dns-server`), or `None` for the system's.
    pub name_server: Option<String>,
    /// Every question, SRV first, in the order asked.
    pub lookups: Vec<Lookup>,
    /// At most [`MAX_ENDPOINTS`], published ones in SRV order (priority, then weight).
    pub endpoints: Vec<Endpoint>,
    /// The addresses each endpoint host resolved to (lowercase names); a host
    /// missing here did not resolve. An endpoint host that is an IP address
    /// is its own address, with no DNS question.
    pub addresses: BTreeMap<String, Vec<IpAddr>>,
    /// What an SRV record or a configuration document names at port 0, which
    /// is no port (no client can connect to it): not among `endpoints`, and
    /// not checked.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub port_zero: Vec<Endpoint>,
    /// Whether host names were guessed (no SRV record, and guessing allowed).
    pub guessed: bool,
    /// More endpoints were found than kept.
    pub truncated: bool,
    /// Discovery ran out of time (`--timeout`) before every answer came.
    pub timed_out: bool,
    /// No configuration document was fetched (`--offline`).
    pub offline: bool,
    /// The MX host the MX-based lookup started from, if MX was asked and answered.
    pub mx: Option<MxBase>,
    /// Every configuration document asked for, in [`DocSource`] order.
    pub documents: Vec<ConfigDocument>,
    /// The domain's base domain under the Public Suffix List.
    pub base_domain: Option<String>,
}

impl Discovery {
    /// A discovery that asked nothing (it could not run).
    pub fn empty(address: Option<String>, domain: &str) -> Discovery {
        Discovery {
            address,
            domain: domain.to_owned(),
            name_server: None,
            lookups: Vec::new(),
            endpoints: Vec::new(),
            addresses: BTreeMap::new(),
            port_zero: Vec::new(),
            guessed: false,
            truncated: false,
            timed_out: true,
            offline: false,
            mx: None,
            documents: Vec::new(),
            base_domain: None,
        }
    }

    /// The addresses of an endpoint's host, empty when it did not resolve.
    pub fn addresses_of(&self, host: &str) -> &[IpAddr] {
        self.addresses
            .get(&host.to_ascii_lowercase())
            .map_or(&[], Vec::as_slice)
    }
}

/// The IP address a configuration document gives where a host name belongs:
/// an IPv4 literal (`192.0.2.7`), or an IPv6 literal, in brackets as beside a
/// port in a URL (`[2001:db8::7]`) or bare (`2001:db8::7`). Mail clients
/// connect to such an address as given, without asking DNS; bare IPv6 is
/// accepted on the assumption that clients accept it too (Thunderbird's
/// host-name check, `isLegalIPv6Address` in `hostnameUtils`, takes the bare
/// form), brackets because that is how an address is written in a URL. Zone
/// indices (`fe80::1%eth0`) are not addresses here.
pub fn address_literal(host: &str) -> Option<IpAddr> {
    let host = host.trim();
    match host.strip_prefix('[').and_then(|h| h.strip_suffix(']')) {
        Some(inner) => inner.parse::<Ipv6Addr>().ok().map(IpAddr::V6),
        None => host.parse::<IpAddr>().ok(),
    }
}

/// `host:port`, an IPv6 address in brackets (`[2001:db8::7]:993`).
pub fn host_port(host: &str, port: u16) -> String {
    if host.contains(':') {
        format!("[{host}]:{port}")
    } else {
        format!("{host}:{port}")
    }
}

/// The domain of `alice@example.edu` or of a bare `example.edu`, lowercase,
/// without a final dot; `None` when it is not a plausible domain name.
pub fn domain_of(input: &str) -> Option<(Option<String>, String)> {
    let input = input.trim();
    let (address, domain) = match input.rsplit_once('@') {
        Some((local, domain)) if !local.is_empty() => (Some(input.to_owned()), domain),
        Some(_) => return None,
        None => (None, input),
    };
    let domain = domain.trim_end_matches('.').to_ascii_lowercase();
    let label_ok = |l: &str| {
        !l.is_empty()
            && l.len() <= 63
            && l.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
            && !l.starts_with('-')
            && !l.ends_with('-')
    };
    (domain.len() <= 253 && domain.contains('.') && domain.split('.').all(label_ok))
        .then_some((address, domain))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sources_round_trip_as_their_labels() {
        for source in SrvService::ALL
            .into_iter()
            .map(Source::Srv)
            .chain(SrvService::ALL.into_iter().map(Source::Alongside))
            .chain([Source::Guess])
            .chain(DocSource::ALL.into_iter().map(Source::Document))
            .chain(DocSource::ALL.into_iter().map(Source::BesideDocument))
        {
            let json = serde_json::to_string(&source).expect("serializes");
            assert_eq!(json, format!("\"{source}\""));
            assert_eq!(
                serde_json::from_str::<Source>(&json).expect("parses"),
                source
            );
        }
        assert_eq!(
            Source::Srv(SrvService::Imaps).to_string(),
            "srv:_imaps._tcp"
        );
    }

    #[test]
    fn address_literals_are_addresses_with_or_without_brackets() {
        let ip = |text: &str| text.parse::<IpAddr>().ok();
        assert_eq!(address_literal("127.0.0.40"), ip("127.0.0.40"));
        assert_eq!(address_literal(" [::1] "), ip("::1"));
        assert_eq!(address_literal("2001:DB8::7"), ip("2001:db8::7"));
        for name in [
            "mail.example.edu",
            "[127.0.0.1]",
            "[::1",
            "fe80::1%eth0",
            "1.2.3",
        ] {
            assert_eq!(address_literal(name), None, "{name}");
        }
        assert_eq!(host_port("::1", 993), "[::1]:993");
        assert_eq!(host_port("mail.example.edu", 993), "mail.example.edu:993");
    }

    #[test]
    fn domains_come_from_addresses_or_stand_alone() {
        assert_eq!(
            domain_of("alice@Example.EDU"),
            Some((
                Some("alice@Example.EDU".to_owned()),
                "example.edu".to_owned()
            ))
        );
        assert_eq!(
            domain_of("example.edu."),
            Some((None, "example.edu".to_owned()))
        );
        for bad in [
            "@example.edu",
            "localhost",
            "a..b",
            "exa mple.edu",
            "-a.b",
            "",
        ] {
            assert_eq!(domain_of(bad), None, "{bad}");
        }
    }
}

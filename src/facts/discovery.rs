//! What account discovery found in DNS, the way mail clients look: RFC 6186 /
//! RFC 8314 SRV records, and, when there are none, Thunderbird's guesses of
//! host names. Plain data: `gather::discover` fills it in, `report::account`
//! judges it.

use std::collections::BTreeMap;
use std::fmt;
use std::net::IpAddr;

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

/// Where an endpoint came from: `srv:_imaps._tcp`, `alongside:_imap._tcp` or `guess`.
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
}

impl Source {
    pub fn is_published(self) -> bool {
        matches!(self, Source::Srv(_))
    }
}

impl fmt::Display for Source {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Source::Srv(service) => write!(f, "srv:{}", service.label()),
            Source::Alongside(service) => write!(f, "alongside:{}", service.label()),
            Source::Guess => f.write_str("guess"),
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
            Some(("alongside", label)) => SrvService::parse(label).map(Source::Alongside),
            _ => None,
        };
        parsed.ok_or_else(|| serde::de::Error::custom(format!("unknown source {text:?}")))
    }
}

/// One server a client would use: where, how, and who said so.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Endpoint {
    /// The host name, without the final dot.
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
    /// missing here did not resolve.
    pub addresses: BTreeMap<String, Vec<IpAddr>>,
    /// Whether host names were guessed (no SRV record, and guessing allowed).
    pub guessed: bool,
    /// More endpoints were found than kept.
    pub truncated: bool,
    /// Discovery ran out of time (`--timeout`) before every answer came.
    pub timed_out: bool,
}

impl Discovery {
    /// The addresses of an endpoint's host, empty when it did not resolve.
    pub fn addresses_of(&self, host: &str) -> &[IpAddr] {
        self.addresses
            .get(&host.to_ascii_lowercase())
            .map_or(&[], Vec::as_slice)
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

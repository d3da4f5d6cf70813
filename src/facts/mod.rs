//! Facts: what a check saw, with no judgement and no I/O.
//!
//! Gathering writes these types, rules and renderers read them, and nothing
//! here imports anything above it. Everything the rules read is serialized
//! (DER as base64, times as RFC 3339 and Unix seconds), so a saved report is
//! judged again exactly (`mailtls explain`).

pub mod audit;
pub mod cert;
pub mod chain;
pub mod dane;
pub mod der;
pub mod dialogue;
pub mod discovery;
pub mod domain;
pub mod http;
pub mod ocsp;
pub mod probe;
pub mod protocol;
pub mod revocation;
pub mod stop;
pub mod target;
#[cfg(test)]
pub mod testing;
pub mod tls;

use std::net::SocketAddr;
use std::time::{Duration, SystemTime};

use rustls_pki_types::UnixTime;
use serde::{Deserialize, Serialize};

use audit::AuditFacts;
use cert::CertFacts;
use dialogue::{DialogueFacts, Transcript};
use probe::ProbeFacts;
use stop::Stop;
use target::Target;
use tls::{StoreVerdict, TlsFacts};

/// `text` cut to `max` characters, with `…` where it was cut: outside text
/// kept in facts and findings stays bounded.
pub fn clip(text: &str, max: usize) -> String {
    match text.char_indices().nth(max) {
        Some((cut, _)) => format!("{}…", &text[..cut]),
        None => text.to_owned(),
    }
}

/// Everything one check saw. No judgement here.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CheckFacts {
    pub target: Target,
    /// RFC 3339 time the check started.
    pub started_at: String,
    /// Unix seconds the check started; certificate ages are relative to this.
    #[serde(default)]
    pub started_unix: i64,
    pub duration_ms: u64,
    /// The addresses the name resolved to, in the order tried.
    pub addresses: Vec<SocketAddr>,
    /// The address the check talked to.
    pub connected_to: Option<SocketAddr>,
    pub dialogue: DialogueFacts,
    /// Milliseconds from connecting (after the handshake, for implicit TLS)
    /// until the greeting's first line; `null` when none came.
    #[serde(default)]
    pub greeting_ms: Option<u64>,
    /// Milliseconds the DNS lookup took; `null` for an address, a `--resolve`d
    /// name, or a lookup that did not finish.
    #[serde(default)]
    pub dns_ms: Option<u64>,
    /// Milliseconds from the first connection attempt to an accepted connection.
    #[serde(default)]
    pub connect_ms: Option<u64>,
    pub tls: Option<TlsFacts>,
    pub certificates: Vec<CertFacts>,
    /// The chain judged by each trust store: Mozilla's, this machine's, the CA files.
    pub trust_by_store: Vec<StoreVerdict>,
    /// The chain judged by each platform's store (Apple, Windows, Android,
    /// Android 8, Java), for the verdicts per client.
    #[serde(default)]
    pub trust_by_platform: Vec<StoreVerdict>,
    /// The missing intermediate, fetched from its AIA URL (`--fetch-missing`).
    pub fetched_issuer: Option<FetchedIssuer>,
    /// The active audit of the plaintext phase (`--audit`).
    pub audit: Option<AuditFacts>,
    /// Certificate authorities the server named when it asked for a client
    /// certificate; `None` if it did not ask.
    pub client_certificate_requested: Option<Vec<String>>,
    /// Bytes the server sent after its STARTTLS go-ahead and before TLS. mailtls
    /// discards them; a server must never send any (response injection).
    pub unexpected_plaintext: Option<String>,
    pub stopped: Option<Stop>,
    pub transcript: Transcript,
    /// The legacy TLS and cipher-suite probe (`--probe`); `null` when not run.
    pub probe: Option<ProbeFacts>,
    /// The server name's TLSA records against the served chain (`--dane`,
    /// `mailtls domain`); absent when not asked.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dane: Option<dane::DaneFacts>,
    /// What the CA's OCSP responders and CRLs say about the chain
    /// (`--revocation`); absent when not asked.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub revocation: Option<revocation::RevocationFacts>,
}

impl CheckFacts {
    /// When the check started, for verifying certificates as of that moment.
    pub fn started(&self) -> UnixTime {
        UnixTime::since_unix_epoch(Duration::from_secs(
            u64::try_from(self.started_unix).unwrap_or(0),
        ))
    }

    /// Facts of a check that has not started yet, stamped with the current time.
    pub fn new(target: Target) -> CheckFacts {
        let started_unix = SystemTime::now()
            .duration_since(SystemTime::UNIX_EPOCH)
            .map_or(0, |d| d.as_secs() as i64);
        CheckFacts {
            target,
            started_at: cert::rfc3339(started_unix),
            started_unix,
            duration_ms: 0,
            addresses: Vec::new(),
            connected_to: None,
            dialogue: DialogueFacts::default(),
            greeting_ms: None,
            dns_ms: None,
            connect_ms: None,
            tls: None,
            certificates: Vec::new(),
            trust_by_store: Vec::new(),
            trust_by_platform: Vec::new(),
            fetched_issuer: None,
            audit: None,
            client_certificate_requested: None,
            unexpected_plaintext: None,
            stopped: None,
            transcript: Transcript::default(),
            probe: None,
            dane: None,
            revocation: None,
        }
    }
}

/// An intermediate certificate downloaded from the URL in the chain's AIA extension.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FetchedIssuer {
    pub url: String,
    pub certificate: Option<CertFacts>,
    /// With it appended, is the chain trusted by the check's trust store?
    pub completes_chain: Option<bool>,
    /// With it appended, the chain as each platform's store judges it.
    #[serde(default)]
    pub trusted_by_platform: Vec<StoreVerdict>,
    pub error: Option<String>,
}

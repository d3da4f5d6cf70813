//! One check of one target: connect, talk, upgrade, and collect the facts.
//!
//! [`run_check`] never fails: whatever happens, it returns [`CheckFacts`] saying how
//! far it got and, if it stopped early, where and why. Judging the facts is
//! `diagnose`'s job; printing them is `output`'s.

use std::collections::HashMap;
use std::net::{IpAddr, SocketAddr};
use std::time::{Duration, SystemTime};

use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use serde::{Deserialize, Serialize};
use tokio::io::{AsyncRead, AsyncWrite, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::time::{timeout_at, Instant};

use crate::audit::{self, AuditFacts};
use crate::cert::{self, CertFacts};
use crate::chain;
use crate::fetch;
use crate::lines::LineReader;
use crate::protocol::{self, Dialogue, DialogueError, DialogueFacts, TlsMode};
use crate::session::{self, Deadlines, Pause, Transcript};
use crate::target::{Host, Target};
use crate::tls::probe::ProbeFacts;
use crate::tls::trust::{StoreVerdict, TrustComparison};
use crate::tls::{HandshakeFailure, TlsClient, TlsFacts, VerifyError};

/// How to check; the same for every target of a run.
#[derive(Debug, Clone)]
pub struct CheckSettings {
    pub tls: TlsClient,
    /// The whole check, from DNS to the last byte.
    pub timeout: Duration,
    /// Name to send with EHLO; `None` uses the address literal of our end of the
    /// connection, which every server accepts as syntactically valid (RFC 5321 4.1.3).
    pub ehlo_name: Option<String>,
    /// Name to send as SNI and to verify the certificate against, instead of the host.
    pub server_name: Option<String>,
    /// The stores the chain is also judged by, side by side.
    pub compare: TrustComparison,
    /// Download a missing intermediate from the leaf's AIA URL to confirm the diagnosis.
    pub fetch_missing: bool,
    /// Names answered without DNS (`--resolve`), lowercase.
    pub resolve: HashMap<String, Vec<IpAddr>>,
    /// Also run the active audit of the plaintext phase (`--audit`).
    pub audit: bool,
}

/// The stage a check was in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Phase {
    Dns,
    Connect,
    Greeting,
    PlaintextDialogue,
    TlsHandshake,
    TlsDialogue,
}

impl Phase {
    pub fn describe(self) -> &'static str {
        match self {
            Phase::Dns => "the DNS lookup",
            Phase::Connect => "the connection attempt",
            Phase::Greeting => "the greeting",
            Phase::PlaintextDialogue => "the plaintext dialogue before TLS",
            Phase::TlsHandshake => "the TLS handshake",
            Phase::TlsDialogue => "the dialogue inside TLS",
        }
    }
}

/// Why a check stopped before its end.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CheckError {
    #[error("DNS lookup of {host} failed: {detail}")]
    Dns { host: String, detail: String },
    #[error("{host} has no IP address")]
    NoAddress { host: String },
    #[error("connection to {address} refused")]
    Refused { address: SocketAddr },
    #[error("could not connect to {address}: {detail}")]
    Connect { address: SocketAddr, detail: String },
    #[error("no answer in time during {}", .phase.describe())]
    Timeout { phase: Phase },
    /// Connected, but not one byte of greeting arrived in the time allowed for it.
    #[error("the server sent no greeting")]
    NoGreeting,
    /// The port said nothing in plaintext, and a TLS handshake on it succeeded.
    #[error("the port expects TLS from the first byte (SSL/TLS), not a plaintext greeting")]
    TlsOnPlaintextPort,
    #[error("the server closed the connection during {}", .phase.describe())]
    Closed { phase: Phase },
    #[error("the server sent a line longer than {limit} bytes during {}", .phase.describe())]
    LineTooLong { phase: Phase, limit: usize },
    #[error("network error during {}: {detail}", .phase.describe())]
    Io { phase: Phase, detail: String },
    #[error("{0}")]
    Dialogue(DialogueError),
    #[error("{0}")]
    Handshake(HandshakeFailure),
    /// A bug in mailtls; reported rather than lost.
    #[error("internal error in mailtls: {detail}")]
    Internal { detail: String },
}

impl CheckError {
    pub fn from_io(phase: Phase, error: &std::io::Error) -> CheckError {
        use std::io::ErrorKind::*;
        match error.kind() {
            UnexpectedEof | ConnectionReset | ConnectionAborted | BrokenPipe => {
                CheckError::Closed { phase }
            }
            _ => CheckError::Io {
                phase,
                detail: error.to_string(),
            },
        }
    }

    /// The phase this error belongs to.
    pub fn phase(&self) -> Phase {
        match self {
            CheckError::Dns { .. } | CheckError::NoAddress { .. } => Phase::Dns,
            CheckError::Refused { .. } | CheckError::Connect { .. } => Phase::Connect,
            CheckError::NoGreeting | CheckError::TlsOnPlaintextPort => Phase::Greeting,
            CheckError::Timeout { phase }
            | CheckError::Closed { phase }
            | CheckError::LineTooLong { phase, .. }
            | CheckError::Io { phase, .. } => *phase,
            CheckError::Dialogue(DialogueError::UnexpectedGreeting { .. })
            | CheckError::Dialogue(DialogueError::ServiceUnavailable { .. }) => Phase::Greeting,
            CheckError::Dialogue(_) => Phase::PlaintextDialogue,
            CheckError::Handshake(_) => Phase::TlsHandshake,
            CheckError::Internal { .. } => Phase::Connect,
        }
    }
}

/// Where a check stopped, as the report shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Stop {
    pub phase: Phase,
    pub message: String,
    /// The typed error, for `diagnose`; not part of the JSON.
    #[serde(skip)]
    pub error: Option<CheckError>,
}

impl From<CheckError> for Stop {
    fn from(error: CheckError) -> Self {
        Stop {
            phase: error.phase(),
            message: error.to_string(),
            error: Some(error),
        }
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
    #[serde(skip)]
    pub started_unix: i64,
    pub duration_ms: u64,
    /// The addresses the name resolved to, in the order tried.
    pub addresses: Vec<SocketAddr>,
    /// The address the check talked to.
    pub connected_to: Option<SocketAddr>,
    pub dialogue: DialogueFacts,
    pub tls: Option<TlsFacts>,
    pub certificates: Vec<CertFacts>,
    /// The chain judged by each trust store: Mozilla's, this machine's, the CA files.
    pub trust_by_store: Vec<StoreVerdict>,
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
            tls: None,
            certificates: Vec::new(),
            trust_by_store: Vec::new(),
            fetched_issuer: None,
            audit: None,
            client_certificate_requested: None,
            unexpected_plaintext: None,
            stopped: None,
            transcript: Transcript::default(),
            probe: None,
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
    pub error: Option<String>,
}

/// Checks one target. Never panics on server input, never runs past `settings.timeout`.
pub async fn run_check(target: Target, settings: &CheckSettings) -> CheckFacts {
    run_check_at(target, None, settings).await
}

/// Like [`run_check`], but connects to `address` instead of resolving the host
/// (for `--all-addresses`); SNI and verification still use the host name.
pub async fn run_check_at(
    target: Target,
    address: Option<SocketAddr>,
    settings: &CheckSettings,
) -> CheckFacts {
    let started = Instant::now();
    let deadline = started + settings.timeout;
    let mut facts = CheckFacts::new(target);
    if let Some(address) = address {
        facts.addresses = vec![address];
    }
    // The audit's connections run alongside the check, within the same timeout.
    let audit_target = facts.target.clone();
    let audit = async {
        match settings.audit {
            true => audit::run_audit(&audit_target, settings).await,
            false => None,
        }
    };
    let (result, audit) = tokio::join!(check(&mut facts, settings, deadline), audit);
    if let Err(error) = result {
        facts.stopped = Some(Stop::from(error));
    }
    facts.audit = audit;
    if let Some(tls) = &facts.tls {
        facts.certificates = cert::parse_chain(&tls.chain, facts.started_unix);
        if let Some(name) = tls
            .verification
            .as_ref()
            .and_then(|v| ServerName::try_from(v.name.as_str()).ok())
        {
            let now = facts.started();
            let primary = tls
                .verification
                .as_ref()
                .map(|v| (v.trust_store.base, v.trusted));
            facts.trust_by_store = settings.compare.judge(&tls.chain, &name, now, primary);
            let unknown_issuer = tls
                .verification
                .as_ref()
                .is_some_and(|v| v.error == Some(VerifyError::UnknownIssuer));
            if settings.fetch_missing && unknown_issuer {
                let chain = tls.chain.clone();
                facts.fetched_issuer =
                    fetch_missing_issuer(&facts, &chain, settings, &name, now, deadline).await;
            }
        }
        facts.client_certificate_requested = tls
            .client_cert_request
            .as_ref()
            .map(|names| names.iter().map(|dn| cert::dn_text(dn)).collect());
    }
    facts.duration_ms = started.elapsed().as_millis() as u64;
    facts
}

/// A server that speaks only TLS 1.1 or older never gets as far as its
/// certificate with rustls; the probe reads it from the old handshake. This
/// verifies that chain like any other, so the report says what is wrong with it
/// too (the handshake failure and `tls.legacy_only` stay).
pub fn adopt_legacy_chain(facts: &mut CheckFacts, settings: &CheckSettings) {
    let now = facts.started();
    let Some(probe) = &facts.probe else { return };
    let Some(tls) = facts.tls.as_mut() else {
        return;
    };
    if !tls.chain.is_empty() || probe.legacy_chain.is_empty() {
        return;
    }
    let Ok(name) = server_name(&facts.target, settings) else {
        return;
    };
    let chain = probe.legacy_chain.clone();
    let outcome = settings.tls.trust().verify(&chain, &name, now);
    tls.verification = Some(crate::tls::Verification {
        trust_store: settings.tls.trust().description.clone(),
        name: crate::tls::server_name_text(&name),
        trusted: outcome.is_ok(),
        error: outcome.err(),
    });
    let primary = tls
        .verification
        .as_ref()
        .map(|v| (v.trust_store.base, v.trusted));
    tls.chain = chain;
    facts.certificates = probe.legacy_certificates.clone();
    facts.trust_by_store = settings.compare.judge(&tls.chain, &name, now, primary);
}

/// Fetches the issuer the chain lacks, if its AIA names one, and re-verifies.
async fn fetch_missing_issuer(
    facts: &CheckFacts,
    chain: &[CertificateDer<'static>],
    settings: &CheckSettings,
    name: &ServerName<'_>,
    now: UnixTime,
    deadline: Instant,
) -> Option<FetchedIssuer> {
    let missing = chain::analyse(&facts.certificates).top_issuer_missing?;
    let url = missing.ca_issuers_urls.first()?.clone();
    Some(match fetch::fetch_certificate(&url, deadline).await {
        Ok(der) => {
            let mut completed = chain.to_vec();
            completed.push(der.clone());
            let position = completed.len() - 1;
            let mut certificate = cert::parse_chain(&completed[position..], facts.started_unix);
            if let Some(c) = certificate.first_mut() {
                c.position = position;
            }
            FetchedIssuer {
                url,
                certificate: certificate.into_iter().next(),
                completes_chain: Some(settings.tls.trust().verify(&completed, name, now).is_ok()),
                error: None,
            }
        }
        Err(e) => FetchedIssuer {
            url,
            certificate: None,
            completes_chain: None,
            error: Some(e.to_string()),
        },
    })
}

async fn check(
    facts: &mut CheckFacts,
    settings: &CheckSettings,
    deadline: Instant,
) -> Result<(), CheckError> {
    if facts.addresses.is_empty() {
        facts.addresses = resolve(&facts.target, settings, deadline).await?;
    }
    let (tcp, address) = connect(&facts.addresses, deadline).await?;
    facts.connected_to = Some(address);
    let name = server_name(&facts.target, settings)?;
    let ehlo_name = settings
        .ehlo_name
        .clone()
        .unwrap_or_else(|| address_literal(tcp.local_addr().ok()));
    let mut dialogue = protocol::dialogue_for(facts.target.protocol, facts.target.mode, &ehlo_name);
    let end = Deadlines {
        end: deadline,
        greeting: None,
    };

    let plain = match facts.target.mode {
        TlsMode::Implicit => tcp,
        TlsMode::Starttls => {
            // Give the greeting half the time; silence may mean the port wants TLS.
            let now = Instant::now();
            let greeting = now + (deadline.saturating_duration_since(now) / 2);
            let result = starttls_dialogue(
                tcp,
                dialogue.as_mut(),
                &mut facts.transcript,
                Deadlines {
                    greeting: Some(greeting),
                    ..end
                },
            )
            .await;
            facts.dialogue = dialogue.facts().clone();
            let (tcp, leftover) = match result {
                Ok(ready) => ready,
                Err(CheckError::NoGreeting) => {
                    return Err(probe_implicit_tls(facts, settings, name, address, deadline).await)
                }
                Err(e) => return Err(e),
            };
            if !leftover.is_empty() {
                facts.unexpected_plaintext = Some(String::from_utf8_lossy(&leftover).into_owned());
            }
            tcp
        }
    };

    let (tls_stream, tls_facts) = settings.tls.handshake(plain, name, deadline).await;
    facts.tls = Some(tls_facts);
    let tls_stream = tls_stream.map_err(CheckError::Handshake)?;
    dialogue.on_tls_established();
    let mut reader = LineReader::new(tls_stream);
    let result = session::drive(
        &mut reader,
        dialogue.as_mut(),
        &mut facts.transcript,
        true,
        end,
    )
    .await;
    facts.dialogue = dialogue.facts().clone();
    result?;
    close_politely(reader.get_mut(), deadline).await;
    Ok(())
}

/// Runs the plaintext dialogue up to the server's STARTTLS go-ahead. Returns the
/// stream positioned for the ClientHello and any bytes the server sent after
/// its go-ahead (which must be none).
async fn starttls_dialogue(
    tcp: TcpStream,
    dialogue: &mut dyn Dialogue,
    transcript: &mut Transcript,
    deadlines: Deadlines,
) -> Result<(TcpStream, Vec<u8>), CheckError> {
    let mut reader = LineReader::new(tcp);
    match session::drive(&mut reader, dialogue, transcript, false, deadlines).await? {
        Pause::StartTls => Ok(reader.into_parts()),
        // Every dialogue asks for STARTTLS or fails; ending quietly
        // without TLS must never pass for a secure connection.
        Pause::Done => Err(CheckError::Internal {
            detail: "the dialogue ended without STARTTLS".to_owned(),
        }),
    }
}

/// A fresh connection to `address`, positioned where the ClientHello goes: for
/// STARTTLS targets, after the mail dialogue up to the go-ahead. For callers that
/// need many connections to a server already checked, such as the TLS probe.
#[derive(Debug)]
pub struct TlsReady {
    pub stream: TcpStream,
    /// What was said before TLS.
    pub transcript: Transcript,
    /// Bytes the server sent after its STARTTLS go-ahead (discarded; should be none).
    pub leftover: Vec<u8>,
}

/// Connects to `address` for `target` and, for STARTTLS, drives the dialogue up
/// to the go-ahead, all by `deadline`.
pub async fn open_tls_ready_stream(
    target: &Target,
    settings: &CheckSettings,
    address: SocketAddr,
    deadline: Instant,
) -> Result<TlsReady, CheckError> {
    let (tcp, _) = connect(&[address], deadline).await?;
    let mut transcript = Transcript::default();
    match target.mode {
        TlsMode::Implicit => Ok(TlsReady {
            stream: tcp,
            transcript,
            leftover: Vec::new(),
        }),
        TlsMode::Starttls => {
            let ehlo_name = settings
                .ehlo_name
                .clone()
                .unwrap_or_else(|| address_literal(tcp.local_addr().ok()));
            let mut dialogue = protocol::dialogue_for(target.protocol, target.mode, &ehlo_name);
            let deadlines = Deadlines {
                end: deadline,
                greeting: None,
            };
            let (stream, leftover) =
                starttls_dialogue(tcp, dialogue.as_mut(), &mut transcript, deadlines).await?;
            Ok(TlsReady {
                stream,
                transcript,
                leftover,
            })
        }
    }
}

/// The SNI a check of `target` sends, if any.
pub fn sni_for(target: &Target, settings: &CheckSettings) -> Option<String> {
    if !settings.tls.sends_sni() {
        return None;
    }
    match (&settings.server_name, &target.host) {
        (Some(name), _) => Some(name.clone()),
        (None, Host::Name(name)) => Some(name.clone()),
        (None, Host::Ip(_)) => None,
    }
}

/// After a silent greeting on a STARTTLS port: is it really an implicit-TLS port?
/// Returns the error that ends the check either way.
async fn probe_implicit_tls(
    facts: &mut CheckFacts,
    settings: &CheckSettings,
    name: ServerName<'static>,
    address: SocketAddr,
    deadline: Instant,
) -> CheckError {
    let Ok(Ok(tcp)) = timeout_at(deadline, TcpStream::connect(address)).await else {
        return CheckError::NoGreeting;
    };
    let (stream, tls) = settings.tls.handshake(tcp, name, deadline).await;
    match stream {
        Ok(mut stream) => {
            facts.tls = Some(tls);
            close_politely(&mut stream, deadline).await;
            CheckError::TlsOnPlaintextPort
        }
        Err(_) => CheckError::NoGreeting,
    }
}

/// Sends close_notify / FIN without waiting for the server. The dialogue already
/// sent its QUIT/LOGOUT.
pub(crate) async fn close_politely<S: AsyncRead + AsyncWrite + Unpin>(
    stream: &mut S,
    deadline: Instant,
) {
    let soon = (Instant::now() + Duration::from_millis(100)).min(deadline);
    let _ = timeout_at(soon, stream.shutdown()).await;
}

/// The addresses of the target's host, IPv6 and IPv4, in the resolver's order.
pub async fn resolve(
    target: &Target,
    settings: &CheckSettings,
    deadline: Instant,
) -> Result<Vec<SocketAddr>, CheckError> {
    let name = match &target.host {
        Host::Ip(ip) => return Ok(vec![SocketAddr::new(*ip, target.port)]),
        Host::Name(name) => name,
    };
    if let Some(ips) = settings.resolve.get(&name.to_ascii_lowercase()) {
        return Ok(ips
            .iter()
            .map(|ip| SocketAddr::new(*ip, target.port))
            .collect());
    }
    let lookup = tokio::net::lookup_host((name.as_str(), target.port));
    let addresses: Vec<SocketAddr> = match timeout_at(deadline, lookup).await {
        Ok(Ok(found)) => found.collect(),
        Ok(Err(e)) => {
            return Err(CheckError::Dns {
                host: name.clone(),
                detail: e.to_string(),
            })
        }
        Err(_) => return Err(CheckError::Timeout { phase: Phase::Dns }),
    };
    if addresses.is_empty() {
        return Err(CheckError::NoAddress { host: name.clone() });
    }
    Ok(addresses)
}

/// Tries each address in turn until one accepts; the first error is reported.
pub(crate) async fn connect(
    addresses: &[SocketAddr],
    deadline: Instant,
) -> Result<(TcpStream, SocketAddr), CheckError> {
    let mut first_error = None;
    for &address in addresses {
        match timeout_at(deadline, TcpStream::connect(address)).await {
            Ok(Ok(stream)) => {
                let _ = stream.set_nodelay(true);
                return Ok((stream, address));
            }
            Ok(Err(e)) if e.kind() == std::io::ErrorKind::ConnectionRefused => {
                first_error.get_or_insert(CheckError::Refused { address });
            }
            Ok(Err(e)) => {
                first_error.get_or_insert(CheckError::Connect {
                    address,
                    detail: e.to_string(),
                });
            }
            Err(_) => {
                return Err(first_error.unwrap_or(CheckError::Timeout {
                    phase: Phase::Connect,
                }))
            }
        }
    }
    Err(first_error.unwrap_or(CheckError::Timeout {
        phase: Phase::Connect,
    }))
}

pub(crate) fn server_name(
    target: &Target,
    settings: &CheckSettings,
) -> Result<ServerName<'static>, CheckError> {
    let text = match (&settings.server_name, &target.host) {
        (Some(name), _) => name.clone(),
        (None, Host::Name(name)) => name.clone(),
        (None, Host::Ip(ip)) => return Ok(ServerName::IpAddress((*ip).into())),
    };
    ServerName::try_from(text.clone()).map_err(|_| CheckError::Dns {
        host: text,
        detail: "not a valid server name".to_owned(),
    })
}

/// `[192.0.2.1]` or `[IPv6:2001:db8::1]` (RFC 5321 4.1.3).
pub(crate) fn address_literal(local: Option<SocketAddr>) -> String {
    match local.map(|a| a.ip()) {
        Some(IpAddr::V4(ip)) => format!("[{ip}]"),
        Some(IpAddr::V6(ip)) => format!("[IPv6:{ip}]"),
        None => "[127.0.0.1]".to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ehlo_address_literals_follow_rfc5321() {
        assert_eq!(address_literal("192.0.2.1:5".parse().ok()), "[192.0.2.1]");
        assert_eq!(
            address_literal("[2001:db8::1]:5".parse().ok()),
            "[IPv6:2001:db8::1]"
        );
    }
}

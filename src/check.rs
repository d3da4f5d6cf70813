//! One check of one target: connect, talk, upgrade, and collect the facts.
//!
//! [`run_check`] never fails: whatever happens, it returns [`CheckFacts`] saying how
//! far it got and, if it stopped early, where and why. Judging the facts is
//! `diagnose`'s job; printing them is `output`'s.

use std::net::{IpAddr, SocketAddr};
use std::time::{Duration, SystemTime};

use rustls::pki_types::ServerName;
use serde::{Deserialize, Serialize};
use tokio::io::{AsyncRead, AsyncWrite, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::time::{timeout_at, Instant};

use crate::cert::{self, CertFacts};
use crate::lines::LineReader;
use crate::protocol::{self, Dialogue, DialogueError, DialogueFacts, TlsMode};
use crate::session::{self, Deadlines, Pause, Transcript};
use crate::target::{Host, Target};
use crate::tls::probe::ProbeFacts;
use crate::tls::{HandshakeFailure, TlsClient, TlsFacts};

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
            client_certificate_requested: None,
            unexpected_plaintext: None,
            stopped: None,
            transcript: Transcript::default(),
            probe: None,
        }
    }
}

/// Checks one target. Never panics on server input, never runs past `settings.timeout`.
pub async fn run_check(target: Target, settings: &CheckSettings) -> CheckFacts {
    let started = Instant::now();
    let deadline = started + settings.timeout;
    let mut facts = CheckFacts::new(target);
    if let Err(error) = check(&mut facts, settings, deadline).await {
        facts.stopped = Some(Stop::from(error));
    }
    if let Some(tls) = &facts.tls {
        facts.certificates = cert::parse_chain(&tls.chain, facts.started_unix);
        facts.client_certificate_requested = tls
            .client_cert_request
            .as_ref()
            .map(|names| names.iter().map(|dn| cert::dn_text(dn)).collect());
    }
    facts.duration_ms = started.elapsed().as_millis() as u64;
    facts
}

async fn check(
    facts: &mut CheckFacts,
    settings: &CheckSettings,
    deadline: Instant,
) -> Result<(), CheckError> {
    facts.addresses = resolve(&facts.target, deadline).await?;
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
async fn close_politely<S: AsyncRead + AsyncWrite + Unpin>(stream: &mut S, deadline: Instant) {
    let soon = (Instant::now() + Duration::from_millis(100)).min(deadline);
    let _ = timeout_at(soon, stream.shutdown()).await;
}

async fn resolve(target: &Target, deadline: Instant) -> Result<Vec<SocketAddr>, CheckError> {
    let name = match &target.host {
        Host::Ip(ip) => return Ok(vec![SocketAddr::new(*ip, target.port)]),
        Host::Name(name) => name,
    };
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
async fn connect(
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

fn server_name(
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
fn address_literal(local: Option<SocketAddr>) -> String {
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

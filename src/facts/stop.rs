//! Where and why a check stopped: phases and the typed errors of every stage.
//!
//! Plain data: gathering writes these, rules read them, and they are serialized
//! in full so a saved report is judged again exactly as it was.

use std::net::SocketAddr;

use serde::{Deserialize, Serialize};

use crate::facts::protocol::MAX_REPLY_LINES;

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
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", deny_unknown_fields)]
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
    /// The server accepted the connection and reset it before sending anything
    /// (a refusal by a firewall or connection limit; the same whenever the
    /// reset arrives).
    #[error("the server accepted the connection and reset it at once, before sending anything")]
    ResetAtOnce,
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
    /// A fatal TLS alert after the handshake, e.g. `certificate_required`:
    /// in TLS 1.3 a server's refusal of the client's certificate comes so,
    /// on the first read.
    #[error("network error during {}: the server sent the TLS alert {alert}", .phase.describe())]
    TlsAlert { phase: Phase, alert: String },
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
            CheckError::Refused { .. } | CheckError::Connect { .. } | CheckError::ResetAtOnce => {
                Phase::Connect
            }
            CheckError::NoGreeting | CheckError::TlsOnPlaintextPort => Phase::Greeting,
            CheckError::Timeout { phase }
            | CheckError::Closed { phase }
            | CheckError::LineTooLong { phase, .. }
            | CheckError::Io { phase, .. }
            | CheckError::TlsAlert { phase, .. } => *phase,
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
    /// The typed error the rules judge (`null` only in reports older than this field).
    #[serde(default)]
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

/// Why a dialogue stopped before reaching its end. Each is a fact about the server,
/// turned into a finding by `diagnose`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", deny_unknown_fields)]
pub enum DialogueError {
    /// The first line is not this protocol's greeting (garbage, another protocol,
    /// or an HTTP server).
    #[error("the server's greeting is not a {protocol} greeting: {line:?}")]
    UnexpectedGreeting {
        #[serde(deserialize_with = "static_name")]
        protocol: Name,
        line: String,
    },
    /// The server greeted with a refusal: SMTP 421/554, IMAP `* BYE`, POP3 `-ERR`,
    /// ManageSieve `BYE`/`NO`. `temporary` is true where the protocol says "try later"
    /// (SMTP 4xx, IMAP BYE), which usually means rate limiting.
    #[error("the server refused the session: {line:?}")]
    ServiceUnavailable { line: String, temporary: bool },
    /// The capabilities (before TLS) do not include STARTTLS (or STLS for POP3).
    #[error("the server does not offer STARTTLS")]
    StarttlsNotOffered,
    /// The server answered the STARTTLS command with a refusal.
    #[error("the server refused STARTTLS: {line:?}")]
    StarttlsRefused { line: String },
    /// A reply that does not fit the protocol at this point.
    #[error("unexpected reply to {command}: {line:?}")]
    UnexpectedReply {
        #[serde(deserialize_with = "static_name")]
        command: Name,
        line: String,
    },
    /// One reply had more than [`MAX_REPLY_LINES`] lines.
    #[error("the reply to {command} has more than {max} lines", max = MAX_REPLY_LINES)]
    ReplyTooLong {
        #[serde(deserialize_with = "static_name")]
        command: Name,
    },
}

/// Why a handshake did not complete.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", deny_unknown_fields)]
pub enum HandshakeFailure {
    /// The server answered the ClientHello with a fatal alert.
    #[error("the server sent the TLS alert {alert:?}")]
    AlertReceived { alert: String },
    /// The server reset the connection before sending a single byte of TLS.
    #[error("the server reset the connection before answering the TLS hello")]
    Reset,
    /// The server closed the connection before the handshake finished.
    #[error("the server closed the connection during the TLS handshake")]
    Closed,
    /// The server sent text, not TLS: `first_line` is its beginning.
    #[error("the server answered in plaintext instead of TLS: {first_line:?}")]
    NotTls { first_line: String },
    /// The server sent binary bytes that are neither TLS nor a text greeting.
    #[error("the server answered with bytes that are neither TLS nor text ({first_bytes})")]
    Garbage { first_bytes: String },
    /// The server sent something rustls rejected.
    #[error("TLS handshake failed: {detail}")]
    Protocol { detail: String },
    #[error("the TLS handshake did not finish before the deadline")]
    Timeout,
    #[error("{detail}")]
    Io { detail: String },
}

/// A protocol or command name in an error: one of the dialogues' constants.
/// (An alias, so serde does not take the field for one borrowed from the input.)
pub type Name = &'static str;

/// Command and protocol names in errors are the dialogues' own constants; read
/// back from a saved report they are matched to those (anything else is kept,
/// leaked once: a report is read once per run).
fn static_name<'de, D: serde::Deserializer<'de>>(d: D) -> Result<&'static str, D::Error> {
    const KNOWN: &[&str] = &[
        "greeting",
        "CAPA",
        "STLS",
        "CAPABILITY",
        "STARTTLS",
        "EHLO",
        "IMAP",
        "POP3",
        "SMTP",
        "ManageSieve",
    ];
    let name = String::deserialize(d)?;
    Ok(KNOWN
        .iter()
        .copied()
        .find(|k| *k == name)
        .unwrap_or_else(|| Box::leak(name.into_boxed_str())))
}

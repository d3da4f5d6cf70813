//! The plaintext part of each mail protocol, as state machines that do no I/O.
//!
//! A dialogue is fed the server's lines one at a time and answers with the next
//! [`Action`]: bytes to send, a line to read, "upgrade to TLS now", or done. The
//! async driver in [`crate::session`] runs any dialogue over any stream, so the unit
//! tests here are literal server lines in, literal client bytes out.

mod common;
mod imap;
mod pop3;
#[cfg(test)]
mod robustness;
mod sieve;
mod smtp;

use serde::{Deserialize, Serialize};

pub use imap::ImapDialogue;
pub use pop3::Pop3Dialogue;
pub use sieve::SieveDialogue;
pub use smtp::SmtpDialogue;

/// The most lines one server reply may have (an SMTP multi-line reply, a POP3 CAPA
/// list, IMAP untagged lines before the tagged one, ManageSieve capabilities).
/// Real servers send a few dozen; a server that sends more is flooding.
pub const MAX_REPLY_LINES: usize = 512;

/// The mail protocols mailtls speaks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Protocol {
    Imap,
    Pop3,
    Smtp,
    Sieve,
}

/// How TLS starts on a connection.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TlsMode {
    /// TLS from the first byte ("SSL/TLS" in mail clients): IMAPS 993, POP3S 995, SMTPS 465.
    Implicit,
    /// Plaintext greeting, then the protocol's STARTTLS command ("STARTTLS" in mail clients).
    Starttls,
}

/// What the driver must do next for a dialogue.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Action {
    /// Write these bytes to the server (a complete command with its CRLF).
    Send(Vec<u8>),
    /// Read one line from the server and pass it to [`Dialogue::on_line`].
    ReadLine,
    /// The server agreed to STARTTLS: run the TLS handshake now, then call
    /// [`Dialogue::on_tls_established`].
    StartTls,
    /// Nothing more to do; the driver closes the connection without waiting.
    Done,
}

/// Why a dialogue stopped before reaching its end. Each is a fact about the server,
/// turned into a finding by `diagnose`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DialogueError {
    /// The first line is not this protocol's greeting (garbage, another protocol,
    /// or an HTTP server).
    #[error("the server's greeting is not a {protocol} greeting: {line:?}")]
    UnexpectedGreeting {
        protocol: &'static str,
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
    UnexpectedReply { command: &'static str, line: String },
    /// One reply had more than [`MAX_REPLY_LINES`] lines.
    #[error("the reply to {command} has more than {MAX_REPLY_LINES} lines")]
    ReplyTooLong { command: &'static str },
}

/// What a dialogue learned. Capability names keep the server's spelling; for SMTP
/// they are the EHLO keyword lines (without the reply code), for IMAP the atoms
/// after `CAPABILITY`, for POP3 the CAPA lines, for ManageSieve the capability
/// lines as sent (e.g. `"SASL" "PLAIN"`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DialogueFacts {
    /// The first greeting line (the last line for a multi-line SMTP greeting is
    /// not kept separately; the transcript has them all).
    pub greeting: Option<String>,
    /// Capabilities announced in plaintext, if the dialogue asked for them.
    pub capabilities_before_tls: Option<Vec<String>>,
    /// Capabilities announced inside TLS.
    pub capabilities_after_tls: Option<Vec<String>>,
    /// Whether the plaintext capabilities offered STARTTLS (None where not asked:
    /// implicit TLS, or a POP3 server without CAPA).
    pub starttls_offered: Option<bool>,
}

/// A mail protocol's plaintext dialogue, as a state machine.
///
/// The driver loop is:
/// ```text
/// loop { match d.next_action() {
///     Send(bytes) => write bytes,
///     ReadLine    => d.on_line(read_line())?,
///     StartTls    => { handshake; d.on_tls_established() }
///     Done        => break,
/// } }
/// ```
/// For implicit TLS the driver does the handshake first and calls
/// `on_tls_established` before the first `next_action`, so the greeting is read
/// inside TLS. No dialogue ever sends credentials.
pub trait Dialogue: Send {
    /// The next thing to do. Called repeatedly; returns queued `Send`s first.
    fn next_action(&mut self) -> Action;
    /// One server line, without its line ending.
    fn on_line(&mut self, line: &str) -> Result<(), DialogueError>;
    /// TLS is now established (after `StartTls`, or at once for implicit TLS).
    fn on_tls_established(&mut self);
    /// What was learned so far (also after an error).
    fn facts(&self) -> &DialogueFacts;
}

/// Builds the dialogue for a protocol. `ehlo_name` is used by SMTP only.
pub fn dialogue_for(protocol: Protocol, mode: TlsMode, ehlo_name: &str) -> Box<dyn Dialogue> {
    match protocol {
        Protocol::Imap => Box::new(ImapDialogue::new(mode)),
        Protocol::Pop3 => Box::new(Pop3Dialogue::new(mode)),
        Protocol::Smtp => Box::new(SmtpDialogue::new(mode, ehlo_name)),
        Protocol::Sieve => Box::new(SieveDialogue::new(mode)),
    }
}

impl Protocol {
    /// The name a person knows the protocol by.
    pub fn display_name(self) -> &'static str {
        match self {
            Protocol::Imap => "IMAP",
            Protocol::Pop3 => "POP3",
            Protocol::Smtp => "SMTP",
            Protocol::Sieve => "ManageSieve",
        }
    }
}

impl TlsMode {
    /// The setting's name in mail clients' account dialogs.
    pub fn client_setting(self) -> &'static str {
        match self {
            TlsMode::Implicit => "SSL/TLS",
            TlsMode::Starttls => "STARTTLS",
        }
    }
}

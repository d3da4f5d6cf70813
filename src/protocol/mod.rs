//! The plaintext part of each mail protocol, as state machines that do no I/O.
//!
//! A dialogue is fed the server's lines one at a time and answers with the next
//! [`Action`]: bytes to send, a line to read, "upgrade to TLS now", or done. The
//! async driver in [`crate::gather::session`] runs any dialogue over any stream, so the unit
//! tests here are literal server lines in, literal client bytes out.

mod common;
mod imap;
mod pop3;
#[cfg(test)]
mod robustness;
mod sieve;
mod smtp;

use crate::facts::dialogue::DialogueFacts;
use crate::facts::protocol::{Protocol, TlsMode, MAX_REPLY_LINES};
use crate::facts::stop::DialogueError;

pub use imap::ImapDialogue;
pub use pop3::Pop3Dialogue;
pub use sieve::SieveDialogue;
pub use smtp::SmtpDialogue;

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

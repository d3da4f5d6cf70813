//! Runs a dialogue over a stream: the only place where dialogues meet sockets.
//!
//! Every read and write is bounded by the check's deadline, every line by
//! [`crate::lines::MAX_LINE`], and the transcript by [`MAX_TRANSCRIPT_LINES`].

use serde::{Deserialize, Serialize};
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::time::{timeout_at, Instant};

use crate::check::{CheckError, Phase};
use crate::lines::{LineReader, ReadLineError};
use crate::protocol::{Action, Dialogue};

/// The most transcript lines kept; a dialogue that goes on longer is cut short by
/// the dialogues' own reply limits, so this only bounds memory.
pub const MAX_TRANSCRIPT_LINES: usize = 400;
/// Longer lines are kept only in part.
const MAX_TRANSCRIPT_LINE: usize = 400;

/// Who sent a line.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Side {
    Client,
    Server,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TranscriptLine {
    pub from: Side,
    /// Whether the line travelled inside TLS.
    pub tls: bool,
    pub text: String,
}

/// What was said on the connection, in order. Never holds credentials: mailtls
/// sends none.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Transcript {
    pub lines: Vec<TranscriptLine>,
    /// True when lines were dropped to stay within [`MAX_TRANSCRIPT_LINES`].
    pub truncated: bool,
}

impl Transcript {
    pub fn push(&mut self, from: Side, tls: bool, text: &str) {
        if self.lines.len() >= MAX_TRANSCRIPT_LINES {
            self.truncated = true;
            return;
        }
        let text = match text.char_indices().nth(MAX_TRANSCRIPT_LINE) {
            Some((cut, _)) => format!("{}… ({} bytes)", &text[..cut], text.len()),
            None => text.to_owned(),
        };
        self.lines.push(TranscriptLine { from, tls, text });
    }

    fn push_sent(&mut self, tls: bool, bytes: &[u8]) {
        let text = String::from_utf8_lossy(bytes);
        for line in text.split_terminator("\r\n") {
            self.push(Side::Client, tls, line);
        }
    }
}

/// Where a dialogue paused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Pause {
    /// The server agreed to STARTTLS; the stream is positioned for the ClientHello.
    StartTls,
    /// The dialogue is finished.
    Done,
}

/// Deadlines for one run of the driver.
#[derive(Debug, Clone, Copy)]
pub struct Deadlines {
    /// When the whole check must end.
    pub end: Instant,
    /// An earlier limit for the greeting only. On a STARTTLS port, silence usually
    /// means the port expects TLS first; giving up on the greeting early leaves time
    /// to find that out.
    pub greeting: Option<Instant>,
}

/// Runs `dialogue` until it asks for STARTTLS or is done.
pub async fn drive<S>(
    reader: &mut LineReader<S>,
    dialogue: &mut dyn Dialogue,
    transcript: &mut Transcript,
    tls: bool,
    deadlines: Deadlines,
) -> Result<Pause, CheckError>
where
    S: AsyncRead + AsyncWrite + Unpin,
{
    loop {
        let awaiting_greeting = dialogue.facts().greeting.is_none();
        let phase = match (awaiting_greeting, tls) {
            (true, _) => Phase::Greeting,
            (false, false) => Phase::PlaintextDialogue,
            (false, true) => Phase::TlsDialogue,
        };
        match dialogue.next_action() {
            Action::Send(bytes) => {
                transcript.push_sent(tls, &bytes);
                match timeout_at(deadlines.end, reader.write_all(&bytes)).await {
                    Ok(Ok(())) => {}
                    Ok(Err(e)) => return Err(CheckError::from_io(phase, &e)),
                    Err(_) => return Err(CheckError::Timeout { phase }),
                }
            }
            Action::ReadLine => {
                let deadline = match deadlines.greeting {
                    Some(greeting) if awaiting_greeting => greeting.min(deadlines.end),
                    _ => deadlines.end,
                };
                let line = match timeout_at(deadline, reader.read_line()).await {
                    Ok(Ok(line)) => line,
                    Ok(Err(ReadLineError::Closed)) => return Err(CheckError::Closed { phase }),
                    Ok(Err(ReadLineError::TooLong { limit })) => {
                        return Err(CheckError::LineTooLong { phase, limit })
                    }
                    Ok(Err(ReadLineError::Io(e))) => return Err(CheckError::from_io(phase, &e)),
                    Err(_) => {
                        return Err(match (awaiting_greeting, reader.buffered().is_empty()) {
                            (true, true) => CheckError::NoGreeting,
                            _ => CheckError::Timeout { phase },
                        })
                    }
                };
                transcript.push(Side::Server, tls, &line);
                dialogue.on_line(&line).map_err(CheckError::Dialogue)?;
            }
            Action::StartTls => return Ok(Pause::StartTls),
            Action::Done => return Ok(Pause::Done),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn transcript_is_bounded() {
        let mut t = Transcript::default();
        for _ in 0..MAX_TRANSCRIPT_LINES + 10 {
            t.push(Side::Server, false, "x");
        }
        assert_eq!(t.lines.len(), MAX_TRANSCRIPT_LINES);
        assert!(t.truncated);
        let mut t = Transcript::default();
        t.push(Side::Server, false, &"é".repeat(1000));
        assert!(
            t.lines[0].text.ends_with("(2000 bytes)"),
            "{}",
            t.lines[0].text
        );
    }

    #[test]
    fn sent_bytes_become_one_line_per_command() {
        let mut t = Transcript::default();
        t.push_sent(true, b"a1 CAPABILITY\r\na2 LOGOUT\r\n");
        let texts: Vec<_> = t.lines.iter().map(|l| l.text.as_str()).collect();
        assert_eq!(texts, ["a1 CAPABILITY", "a2 LOGOUT"]);
        assert!(t.lines.iter().all(|l| l.tls && l.from == Side::Client));
    }
}

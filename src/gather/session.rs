//! Runs a dialogue over a stream: the only place where dialogues meet sockets.
//!
//! Every read and write is bounded by the check's deadline, every line by
//! [`super::lines::MAX_LINE`], and the transcript by
//! [`crate::facts::dialogue::MAX_TRANSCRIPT_LINES`].

use tokio::io::{AsyncRead, AsyncWrite};
use tokio::time::{timeout_at, Instant};

use super::lines::{LineReader, ReadLineError};
use crate::facts::dialogue::{Side, Transcript};
use crate::facts::stop::{CheckError, Phase};
use crate::protocol::{Action, Dialogue};

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

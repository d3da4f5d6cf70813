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
    /// When the whole check must end; the greeting may take all of it.
    pub end: Instant,
    /// When the client began to wait for the greeting (its connection, or the
    /// end of the TLS handshake for implicit TLS): the greeting's time counts from here.
    pub waiting_since: Instant,
}

/// What the driver measured.
#[derive(Debug, Default)]
pub struct Timing {
    /// Milliseconds from `waiting_since` until the greeting's first line.
    pub greeting_ms: Option<u64>,
}

/// Runs `dialogue` until it asks for STARTTLS or is done.
pub async fn drive<S>(
    reader: &mut LineReader<S>,
    dialogue: &mut dyn Dialogue,
    transcript: &mut Transcript,
    tls: bool,
    deadlines: Deadlines,
    timing: &mut Timing,
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
                    Ok(Err(e)) => return Err(io_error(phase, &e)),
                    Err(_) => return Err(CheckError::Timeout { phase }),
                }
            }
            Action::ReadLine => {
                let nothing_yet = awaiting_greeting && reader.buffered().is_empty();
                let line = match timeout_at(deadlines.end, reader.read_line()).await {
                    Ok(Ok(line)) => line,
                    Ok(Err(ReadLineError::Closed)) => return Err(CheckError::Closed { phase }),
                    Ok(Err(ReadLineError::TooLong { limit })) => {
                        return Err(CheckError::LineTooLong { phase, limit })
                    }
                    Ok(Err(ReadLineError::Io(e)))
                        if nothing_yet && e.kind() == std::io::ErrorKind::ConnectionReset =>
                    {
                        return Err(CheckError::ResetAtOnce)
                    }
                    Ok(Err(ReadLineError::Io(e))) => return Err(io_error(phase, &e)),
                    Err(_) => {
                        return Err(match (awaiting_greeting, reader.buffered().is_empty()) {
                            (true, true) => CheckError::NoGreeting,
                            _ => CheckError::Timeout { phase },
                        })
                    }
                };
                if awaiting_greeting {
                    let waited = deadlines.waiting_since.elapsed().as_millis();
                    timing.greeting_ms = Some(u64::try_from(waited).unwrap_or(u64::MAX));
                }
                transcript.push(Side::Server, tls, &line);
                dialogue.on_line(&line).map_err(CheckError::Dialogue)?;
            }
            Action::StartTls => return Ok(Pause::StartTls),
            Action::Done => return Ok(Pause::Done),
        }
    }
}

/// An I/O error of a dialogue, in words: one from the TLS layer (an alert
/// inside TLS, a damaged record) says what TLS said, not the library's names.
fn io_error(phase: Phase, error: &std::io::Error) -> CheckError {
    match error
        .get_ref()
        .and_then(|inner| inner.downcast_ref::<rustls::Error>())
    {
        Some(rustls::Error::AlertReceived(alert)) => CheckError::TlsAlert {
            phase,
            alert: super::tls::words::alert_name(*alert),
        },
        Some(tls) => CheckError::Io {
            phase,
            detail: super::tls::words::tls_error(tls),
        },
        None => CheckError::from_io(phase, error),
    }
}

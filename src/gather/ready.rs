//! Streams positioned where the ClientHello goes: a fresh connection, with the
//! STARTTLS dialogue driven up to the server's go-ahead where the target needs it.

use std::net::SocketAddr;
use std::time::Duration;

use tokio::io::{AsyncRead, AsyncWrite, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::time::{timeout_at, Instant};

use super::lines::LineReader;
use super::net::{address_literal, connect};
use super::session::{self, Deadlines, Pause, Timing};
use super::CheckSettings;
use crate::facts::dialogue::Transcript;
use crate::facts::protocol::TlsMode;
use crate::facts::stop::CheckError;
use crate::facts::target::Target;
use crate::protocol::{self, Dialogue};

/// Runs the plaintext dialogue up to the server's STARTTLS go-ahead. Returns the
/// stream positioned for the ClientHello and any bytes the server sent after
/// its go-ahead (which must be none).
/// The dialogue for `target` on `tcp`. SMTP's EHLO names `--ehlo-name` or, by
/// default, our end of the connection as an address literal, which every
/// server accepts as syntactically valid (RFC 5321 4.1.3).
pub(super) fn dialogue_for(
    target: &Target,
    settings: &CheckSettings,
    tcp: &TcpStream,
) -> Box<dyn Dialogue> {
    let ehlo_name = settings
        .ehlo_name
        .clone()
        .unwrap_or_else(|| address_literal(tcp.local_addr().ok()));
    protocol::dialogue_for(target.protocol, target.mode, &ehlo_name)
}

pub(super) async fn starttls_dialogue(
    tcp: TcpStream,
    dialogue: &mut dyn Dialogue,
    transcript: &mut Transcript,
    deadlines: Deadlines,
    timing: &mut Timing,
) -> Result<(TcpStream, Vec<u8>), CheckError> {
    let mut reader = LineReader::new(tcp);
    match session::drive(&mut reader, dialogue, transcript, false, deadlines, timing).await? {
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
            let mut dialogue = dialogue_for(target, settings, &tcp);
            let deadlines = Deadlines {
                end: deadline,
                waiting_since: Instant::now(),
            };
            let mut timing = Timing::default();
            let (stream, leftover) = starttls_dialogue(
                tcp,
                dialogue.as_mut(),
                &mut transcript,
                deadlines,
                &mut timing,
            )
            .await?;
            Ok(TlsReady {
                stream,
                transcript,
                leftover,
            })
        }
    }
}

/// Sends close_notify / FIN without waiting for the server. The dialogue already
/// sent its QUIT/LOGOUT.
pub(super) async fn close_politely<S: AsyncRead + AsyncWrite + Unpin>(
    stream: &mut S,
    deadline: Instant,
) {
    let soon = (Instant::now() + Duration::from_millis(100)).min(deadline);
    let _ = timeout_at(soon, stream.shutdown()).await;
}

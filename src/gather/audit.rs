//! Active checks of the plaintext phase (`check --audit`), each on its own connection:
//!
//! - STARTTLS command injection (CVE-2011-0411 class, and the 2021 "NO STARTTLS"
//!   research): STARTTLS and a harmless NOOP go out in one write; a server that
//!   answers the NOOP *inside* TLS kept plaintext input across the upgrade, so an
//!   attacker on the path can inject commands into the user's protected session.
//! - POP3 USER before TLS: does the server accept a user name in cleartext? The
//!   name sent cannot exist, and no password is ever sent.
//!
//! Gathering only: the judgement is in `diagnose`.

use std::time::Duration;

use tokio::net::TcpStream;
use tokio::time::{timeout_at, Instant};

use super::lines::LineReader;
use super::ready::{close_politely, dialogue_for};
use super::session::{self, Deadlines, Pause, Timing};
use super::{net, CheckSettings};
use crate::facts::audit::{AuditFacts, AuditTest};
use crate::facts::dialogue::{DialogueFacts, Transcript};
use crate::facts::protocol::{Protocol, TlsMode};
use crate::facts::stop::{CheckError, DialogueError, Phase};
use crate::facts::target::Target;
use crate::protocol::{Action, Dialogue};

/// How long to wait, inside TLS and before sending anything, for an answer to
/// the injected command. A correct server says nothing until the client speaks.
const INJECTION_WINDOW: Duration = Duration::from_millis(800);

/// The user name sent by the POP3 USER probe: unmistakable in a server log.
pub const PROBE_USER: &str = "mailtls-probe-no-such-user";

/// Runs the audit for a STARTTLS target; implicit-TLS targets have no plaintext phase.
///
/// The tests run one after the other (one extra connection at a time, beside
/// the check's own), all by the check's `deadline`: a test the deadline cuts
/// short is inconclusive, and the whole check still ends within `--timeout`.
pub async fn run_audit(
    target: &Target,
    settings: &CheckSettings,
    addresses: &[std::net::SocketAddr],
    deadline: Instant,
) -> Option<AuditFacts> {
    if target.mode != TlsMode::Starttls {
        return None;
    }
    let injection =
        Some(on_own_connection(target, settings, addresses, deadline, injection_exchange).await);
    let pop3_user_before_tls = match target.protocol {
        Protocol::Pop3 => {
            Some(on_own_connection(target, settings, addresses, deadline, pop3_user_exchange).await)
        }
        _ => None,
    };
    Some(AuditFacts {
        injection,
        pop3_user_before_tls,
    })
}

/// The harmless command pipelined after STARTTLS.
fn injected_command(protocol: Protocol) -> &'static [u8] {
    protocol.info().harmless_command
}

/// Wraps a dialogue and appends the injected command to its STARTTLS command.
struct Injecting {
    inner: Box<dyn Dialogue>,
    injected: &'static [u8],
    done: bool,
}

fn is_starttls_command(bytes: &[u8]) -> bool {
    let text = String::from_utf8_lossy(bytes)
        .trim_end()
        .to_ascii_uppercase();
    text.ends_with("STARTTLS") || text == "STLS"
}

impl Dialogue for Injecting {
    fn next_action(&mut self) -> Action {
        match self.inner.next_action() {
            Action::Send(mut bytes) if !self.done && is_starttls_command(&bytes) => {
                self.done = true;
                bytes.extend_from_slice(self.injected);
                Action::Send(bytes)
            }
            other => other,
        }
    }
    fn on_line(&mut self, line: &str) -> Result<(), DialogueError> {
        self.inner.on_line(line)
    }
    fn on_tls_established(&mut self) {
        self.inner.on_tls_established();
    }
    fn facts(&self) -> &DialogueFacts {
        self.inner.facts()
    }
}

/// Runs one test exchange on a connection of its own, within the check's timeout;
/// a connection that fails makes the test inconclusive.
async fn on_own_connection<'a, F, Fut>(
    target: &'a Target,
    settings: &'a CheckSettings,
    addresses: &[std::net::SocketAddr],
    deadline: Instant,
    exchange: F,
) -> AuditTest
where
    F: FnOnce(&'a Target, &'a CheckSettings, TcpStream, Instant) -> Fut,
    Fut: std::future::Future<Output = Result<AuditTest, CheckError>>,
{
    let result = match net::connect(addresses, deadline).await.map(|(tcp, _)| tcp) {
        Ok(tcp) => exchange(target, settings, tcp, deadline).await,
        Err(e) => Err(e),
    };
    result.unwrap_or_else(|e| AuditTest::inconclusive(format!("the test connection failed: {e}")))
}

async fn injection_exchange(
    target: &Target,
    settings: &CheckSettings,
    tcp: TcpStream,
    deadline: Instant,
) -> Result<AuditTest, CheckError> {
    let name = net::server_name(target, settings)?;
    let mut dialogue = Injecting {
        inner: dialogue_for(target, settings, &tcp),
        injected: injected_command(target.protocol),
        done: false,
    };
    let mut reader = LineReader::new(tcp);
    let mut transcript = Transcript::default();
    let deadlines = Deadlines {
        end: deadline,
        waiting_since: Instant::now(),
    };
    match session::drive(
        &mut reader,
        &mut dialogue,
        &mut transcript,
        false,
        deadlines,
        &mut Timing::default(),
    )
    .await?
    {
        Pause::StartTls => {}
        Pause::Done => {
            return Ok(AuditTest::inconclusive(
                "the server did not agree to STARTTLS",
            ))
        }
    }
    let (tcp, leftover) = reader.into_parts();
    if !leftover.is_empty() {
        // The answer to NOOP came in plaintext, before TLS: the server processed
        // it in the right phase. (That plaintext itself is reported by the main
        // check as starttls.unexpected_plaintext if it happens there.)
        return Ok(AuditTest {
            positive: Some(false),
            evidence: Some(String::from_utf8_lossy(&leftover).trim_end().to_owned()),
            note: Some("the server answered the pipelined command before TLS".to_owned()),
        });
    }
    let (stream, _) = settings.tls.handshake(tcp, name, deadline).await;
    let stream = match stream {
        Ok(stream) => stream,
        // Some servers (Dovecot 2.3) hand the bytes they already buffered to the
        // TLS layer, where the NOOP breaks the handshake: the command is never run.
        // (The plain check, without the extra bytes, shows whether TLS works.)
        Err(failure) => {
            return Ok(AuditTest {
                positive: Some(false),
                evidence: None,
                note: Some(format!(
                    "the server treated the pipelined command as TLS data and ended the handshake ({failure}); it did not run it"
                )),
            })
        }
    };
    let mut reader = LineReader::new(stream);
    if target.protocol.info().capabilities_after_tls_unasked {
        // RFC 5804: the server repeats its capabilities after TLS, unasked; skip
        // them up to their closing OK.
        loop {
            let line = match timeout_at(deadline, reader.read_line()).await {
                Ok(Ok(line)) => line,
                _ => {
                    return Ok(AuditTest::inconclusive(
                        "the server did not repeat its capabilities after TLS",
                    ))
                }
            };
            let upper = line.to_ascii_uppercase();
            if upper.starts_with("OK") || upper.starts_with("NO") || upper.starts_with("BYE") {
                break;
            }
        }
    }
    let window = (Instant::now() + INJECTION_WINDOW).min(deadline);
    let probe = match timeout_at(window, reader.read_line()).await {
        Ok(Ok(line)) => AuditTest {
            positive: Some(true),
            evidence: Some(line),
            note: None,
        },
        // Silence until the client speaks is the correct behaviour.
        Err(_) => AuditTest {
            positive: Some(false),
            evidence: None,
            note: None,
        },
        Ok(Err(e)) => AuditTest::inconclusive(format!("the connection ended inside TLS: {e}")),
    };
    close_politely(reader.get_mut(), deadline).await;
    Ok(probe)
}

async fn pop3_user_exchange(
    _target: &Target,
    _settings: &CheckSettings,
    tcp: TcpStream,
    deadline: Instant,
) -> Result<AuditTest, CheckError> {
    let mut reader = LineReader::new(tcp);
    let greeting = read_by(&mut reader, deadline).await?;
    if !greeting.starts_with("+OK") {
        return Ok(AuditTest::inconclusive(format!(
            "the server did not greet: {greeting:?}"
        )));
    }
    let user = format!("USER {PROBE_USER}\r\n");
    match timeout_at(deadline, reader.write_all(user.as_bytes())).await {
        Ok(Ok(())) => {}
        _ => return Ok(AuditTest::inconclusive("the server closed the connection")),
    }
    let answer = read_by(&mut reader, deadline).await?;
    let _ = timeout_at(deadline, reader.write_all(b"QUIT\r\n")).await;
    Ok(AuditTest {
        positive: Some(answer.starts_with("+OK")),
        evidence: Some(answer),
        note: None,
    })
}

async fn read_by<S>(reader: &mut LineReader<S>, deadline: Instant) -> Result<String, CheckError>
where
    S: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin,
{
    let phase = Phase::PlaintextDialogue;
    match timeout_at(deadline, reader.read_line()).await {
        Ok(Ok(line)) => Ok(line),
        Ok(Err(_)) => Err(CheckError::Closed { phase }),
        Err(_) => Err(CheckError::Timeout { phase }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_starttls_command_is_recognised_in_every_protocol() {
        assert!(is_starttls_command(b"a2 STARTTLS\r\n"));
        assert!(is_starttls_command(b"STARTTLS\r\n"));
        assert!(is_starttls_command(b"STLS\r\n"));
        assert!(!is_starttls_command(b"a1 CAPABILITY\r\n"));
        assert!(!is_starttls_command(b"EHLO [127.0.0.1]\r\n"));
    }

    #[test]
    fn injection_rides_in_the_same_write_as_starttls() {
        let mut d = Injecting {
            inner: crate::protocol::dialogue_for(Protocol::Smtp, TlsMode::Starttls, "[127.0.0.1]"),
            injected: injected_command(Protocol::Smtp),
            done: false,
        };
        assert_eq!(d.next_action(), Action::ReadLine);
        d.on_line("220 mail.test ESMTP").expect("greeting");
        assert_eq!(
            d.next_action(),
            Action::Send(b"EHLO [127.0.0.1]\r\n".to_vec())
        );
        assert_eq!(d.next_action(), Action::ReadLine);
        assert_eq!(d.next_action(), Action::ReadLine);
        d.on_line("250-mail.test").expect("ehlo");
        assert_eq!(d.next_action(), Action::ReadLine);
        d.on_line("250 STARTTLS").expect("ehlo");
        assert_eq!(
            d.next_action(),
            Action::Send(b"STARTTLS\r\nNOOP\r\n".to_vec())
        );
    }
}

//! Session resumption (`--probe`): does a second handshake resume the first?
//!
//! Each question is two rustls handshakes on fresh connections from the mail
//! connector (STARTTLS dialogue included) sharing one session store: TLS 1.2
//! by session ID alone, TLS 1.2 with tickets allowed, TLS 1.3 by ticket. The
//! second handshake's `handshake_kind()` says whether it resumed. TLS 1.3
//! tickets come after the handshake, so the first connection waits for one
//! (at most [`TICKET_WAIT`]). Whether a ticket allows early data is read from
//! the ticket; no early data is ever sent. Questions for versions the probe
//! found refused are not asked.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use rustls::client::{ClientSessionMemoryCache, ClientSessionStore, Tls12Resumption};
use rustls::pki_types::ServerName;
use rustls::{HandshakeKind, NamedGroup};
use tokio::io::AsyncReadExt;
use tokio::sync::Notify;
use tokio::time::{timeout_at, Instant};

use super::probe::Connector;
use super::tls::TlsClient;
use crate::facts::probe::{Acceptance, ProbeFacts, ResumptionFacts, TlsVersion};

/// The longest wait for a TLS 1.3 ticket after the first handshake.
pub const TICKET_WAIT: Duration = Duration::from_millis(1500);

/// A session store that also counts TLS 1.3 tickets and notes whether any
/// allows early data.
#[derive(Debug)]
struct Watched {
    inner: ClientSessionMemoryCache,
    tickets: Mutex<(u32, bool)>,
    arrived: Notify,
}

impl Watched {
    fn new() -> Arc<Watched> {
        Arc::new(Watched {
            inner: ClientSessionMemoryCache::new(8),
            tickets: Mutex::new((0, false)),
            arrived: Notify::new(),
        })
    }

    fn tickets(&self) -> (u32, bool) {
        *self.tickets.lock().unwrap_or_else(|e| e.into_inner())
    }
}

impl ClientSessionStore for Watched {
    fn set_kx_hint(&self, name: ServerName<'static>, group: NamedGroup) {
        self.inner.set_kx_hint(name, group)
    }
    fn kx_hint(&self, name: &ServerName<'_>) -> Option<NamedGroup> {
        self.inner.kx_hint(name)
    }
    fn set_tls12_session(
        &self,
        name: ServerName<'static>,
        value: rustls::client::Tls12ClientSessionValue,
    ) {
        self.inner.set_tls12_session(name, value)
    }
    fn tls12_session(
        &self,
        name: &ServerName<'_>,
    ) -> Option<rustls::client::Tls12ClientSessionValue> {
        self.inner.tls12_session(name)
    }
    fn remove_tls12_session(&self, name: &ServerName<'static>) {
        self.inner.remove_tls12_session(name)
    }
    fn insert_tls13_ticket(
        &self,
        name: ServerName<'static>,
        value: rustls::client::Tls13ClientSessionValue,
    ) {
        {
            let mut tickets = self.tickets.lock().unwrap_or_else(|e| e.into_inner());
            tickets.0 = tickets.0.saturating_add(1);
            tickets.1 |= value.max_early_data_size() > 0;
        }
        self.inner.insert_tls13_ticket(name, value);
        self.arrived.notify_one();
    }
    fn take_tls13_ticket(
        &self,
        name: &ServerName<'static>,
    ) -> Option<rustls::client::Tls13ClientSessionValue> {
        self.inner.take_tls13_ticket(name)
    }
}

/// One question's outcome: resumed or not, or why it stayed open.
type Outcome = Result<bool, String>;

/// One question: the version, how TLS 1.2 may resume, the shared store.
type Question = (
    &'static rustls::SupportedProtocolVersion,
    Tls12Resumption,
    Arc<Watched>,
);

/// Two handshakes sharing `store`; whether the second resumed.
async fn twice<C: Connector>(
    tls: &TlsClient,
    connector: &C,
    name: &ServerName<'static>,
    (version, tls12, store): Question,
    deadline: Instant,
    connections: &std::sync::atomic::AtomicU32,
) -> Outcome {
    use std::sync::atomic::Ordering;
    let config = tls
        .resuming_config(version, tls12, store.clone())
        .map_err(|e| format!("mailtls could not set up the resumption test: {e}"))?;
    let tls13 = version.version == rustls::ProtocolVersion::TLSv1_3;
    for round in 0..2 {
        connections.fetch_add(1, Ordering::Relaxed);
        let stream = connector
            .connect(deadline)
            .await
            .map_err(|e| format!("a connection for the resumption test failed: {e}"))?;
        let mut stream = TlsClient::handshake_with(&config, stream, name.clone(), deadline)
            .await
            .map_err(|e| format!("a handshake for the resumption test failed: {e}"))?;
        if round == 1 {
            let resumed = stream.get_ref().1.handshake_kind() == Some(HandshakeKind::Resumed);
            let _ = timeout_at(deadline, tokio::io::AsyncWriteExt::shutdown(&mut stream)).await;
            return Ok(resumed);
        }
        if tls13 {
            // Tickets come after the handshake: read (and discard) until one
            // arrives, the server says something, or the wait is over.
            let wait = deadline.min(Instant::now() + TICKET_WAIT);
            let mut buf = [0u8; 512];
            let arrived = store.arrived.notified();
            tokio::pin!(arrived);
            loop {
                if store.tickets().0 > 0 {
                    break;
                }
                tokio::select! {
                    _ = &mut arrived => break,
                    read = timeout_at(wait, stream.read(&mut buf)) => match read {
                        Ok(Ok(n)) if n > 0 => continue,
                        _ => break,
                    },
                }
            }
        }
        let _ = timeout_at(deadline, tokio::io::AsyncWriteExt::shutdown(&mut stream)).await;
    }
    Ok(false)
}

/// Asks the resumption questions of a server the probe has judged.
pub async fn resumption<C: Connector>(
    tls: &TlsClient,
    connector: &C,
    name: ServerName<'static>,
    probe: &ProbeFacts,
    deadline: Instant,
) -> ResumptionFacts {
    let connections = std::sync::atomic::AtomicU32::new(0);
    let accepts = |v| {
        probe
            .version(v)
            .is_some_and(|p| p.accepted == Acceptance::Yes)
    };
    let ask = |version, tls12, store: Arc<Watched>, wanted: bool| {
        let (name, connections) = (&name, &connections);
        async move {
            match wanted {
                true => Some(
                    twice(
                        tls,
                        connector,
                        name,
                        (version, tls12, store),
                        deadline,
                        connections,
                    )
                    .await,
                ),
                false => None,
            }
        }
    };
    let tls13_store = Watched::new();
    let (by_id, by_ticket, tls13) = tokio::join!(
        ask(
            &rustls::version::TLS12,
            Tls12Resumption::SessionIdOnly,
            Watched::new(),
            accepts(TlsVersion::Tls12)
        ),
        ask(
            &rustls::version::TLS12,
            Tls12Resumption::SessionIdOrTickets,
            Watched::new(),
            accepts(TlsVersion::Tls12)
        ),
        ask(
            &rustls::version::TLS13,
            Tls12Resumption::Disabled,
            tls13_store.clone(),
            accepts(TlsVersion::Tls13)
        ),
    );
    let mut facts = ResumptionFacts::default();
    let mut keep = |outcome: Option<Outcome>, what: &str| match outcome {
        Some(Ok(resumed)) => Some(resumed),
        Some(Err(why)) => {
            facts.notes.push(format!("{what}: {why}."));
            None
        }
        None => None,
    };
    facts.tls12_session_id = keep(by_id, "TLS 1.2 resumption by session ID");
    facts.tls12_ticket = keep(by_ticket, "TLS 1.2 resumption with tickets");
    let asked13 = tls13.is_some();
    facts.tls13_ticket = keep(tls13, "TLS 1.3 resumption");
    if asked13 {
        let (count, early) = tls13_store.tickets();
        facts.tls13_tickets = Some(count);
        facts.tls13_early_data = (count > 0).then_some(early);
    }
    facts.connections = connections.load(std::sync::atomic::Ordering::Relaxed);
    facts
}

//! The probe's connector for mail servers: a fresh connection per probe, STARTTLS dialogue included.

use std::net::SocketAddr;
use std::sync::Arc;

use tokio::net::TcpStream;
use tokio::time::Instant;

use super::net::sni_for;
use super::probe::{probe, Connector, ProbeOptions};
use super::ready::open_tls_ready_stream;
use super::CheckSettings;
use crate::facts::probe::ProbeFacts;
use crate::facts::stop::CheckError;
use crate::facts::target::Target;
use crate::facts::CheckFacts;

/// Connects to one address of a target the way the check did: for STARTTLS
/// ports it runs the mail dialogue up to the go-ahead on every connection.
#[derive(Debug, Clone)]
pub struct MailConnector {
    pub target: Target,
    pub settings: Arc<CheckSettings>,
    pub address: SocketAddr,
}

impl Connector for MailConnector {
    type Stream = TcpStream;

    async fn connect(&self, deadline: Instant) -> Result<TcpStream, CheckError> {
        open_tls_ready_stream(&self.target, &self.settings, self.address, deadline)
            .await
            .map(|ready| ready.stream)
    }
}

/// Probes the server a check talked to, at the same address, with the same SNI
/// and STARTTLS dialogue. `None` when the check did not get as far as TLS:
/// there is then nothing a probe could add.
pub async fn probe_checked_target(
    facts: &CheckFacts,
    settings: &Arc<CheckSettings>,
    mut options: ProbeOptions,
    deadline: Instant,
) -> Option<ProbeFacts> {
    let address = facts.connected_to?;
    // A TLS handshake was attempted on a connection of the target's kind (not on
    // the implicit-TLS retry of a silent STARTTLS port).
    let wrong_mode = facts
        .stopped
        .as_ref()
        .is_some_and(|s| s.error == Some(CheckError::TlsOnPlaintextPort));
    if facts.tls.is_none() || wrong_mode {
        return None;
    }
    options.server_name = sni_for(&facts.target, settings);
    options.deadline = Some(deadline);
    options.keep_chain = facts.tls.as_ref().is_some_and(|t| t.chain.is_empty());
    let connector = MailConnector {
        target: facts.target.clone(),
        settings: settings.clone(),
        address,
    };
    Some(probe(connector, options, facts.started_unix).await)
}

/// Asks the resumption questions ([`super::resume`]) of the server a check
/// probed, at the same address and with the same dialogue; `None` when it was
/// not probed.
pub async fn resumption_of_checked_target(
    facts: &CheckFacts,
    settings: &Arc<CheckSettings>,
    deadline: Instant,
) -> Option<crate::facts::probe::ResumptionFacts> {
    let probe = facts.probe.as_ref()?;
    let address = facts.connected_to?;
    let name = super::net::server_name(&facts.target, settings).ok()?;
    let connector = MailConnector {
        target: facts.target.clone(),
        settings: settings.clone(),
        address,
    };
    Some(super::resume::resumption(&settings.tls, &connector, name, probe, deadline).await)
}

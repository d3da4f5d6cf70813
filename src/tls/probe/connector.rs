//! The probe's connector for mail servers: a fresh connection per probe, STARTTLS dialogue included.

use std::net::SocketAddr;
use std::sync::Arc;

use tokio::net::TcpStream;
use tokio::time::Instant;

use super::Connector;
use crate::check::{open_tls_ready_stream, CheckError, CheckSettings};
use crate::target::Target;

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

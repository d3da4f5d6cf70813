//! The probe driven in-process over plain TCP, for the probe suites: the test
//! servers speak TLS from the first byte.

use std::net::SocketAddr;

use mailtls::diagnose::{diagnose, Policy, Severity};
use mailtls::facts::probe::ProbeFacts;
use mailtls::facts::stop::CheckError;
use mailtls::gather::probe::{probe, Connector, ProbeOptions};
use tokio::net::TcpStream;
use tokio::time::Instant;

/// Plain TCP: the servers speak TLS from the first byte.
pub struct Tcp(pub SocketAddr);

impl Connector for Tcp {
    type Stream = TcpStream;

    async fn connect(&self, deadline: Instant) -> Result<TcpStream, CheckError> {
        let address = self.0;
        match tokio::time::timeout_at(deadline, TcpStream::connect(address)).await {
            Ok(Ok(stream)) => Ok(stream),
            Ok(Err(e)) => Err(CheckError::Connect {
                address,
                detail: e.to_string(),
            }),
            Err(_) => Err(CheckError::Timeout {
                phase: mailtls::facts::stop::Phase::Connect,
            }),
        }
    }
}

pub fn run_probe(addr: SocketAddr) -> ProbeFacts {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("a tokio runtime");
    let options = ProbeOptions {
        server_name: Some("mail.test".to_owned()),
        connection_timeout: std::time::Duration::from_secs(8),
        ..ProbeOptions::default()
    };
    runtime.block_on(probe(
        Tcp(addr),
        options,
        mailtls::gather::probe::now_unix(),
    ))
}

/// The findings of a check whose only facts are this probe's.
pub fn codes(probe: ProbeFacts) -> Vec<(String, Severity)> {
    let mut facts = mailtls::facts::CheckFacts::new(
        mailtls::facts::target::TargetSpec::parse("imaps://mail.test")
            .and_then(|s| s.resolve(None, None))
            .expect("a target"),
    );
    facts.probe = Some(probe);
    diagnose(&facts, &Policy::default())
        .into_iter()
        .map(|f| (f.code.to_string(), f.severity))
        .collect()
}

//! Gathering: the only code that opens connections.
//!
//! Resolve and connect ([`net`]), drive a sans-I/O dialogue over a line reader
//! ([`session`], [`lines`]), run the one rustls session layer ([`tls`]), send
//! hand-built ClientHellos where rustls cannot go ([`probe`], over the mail
//! [`connector`]), run the audit's exchanges ([`audit`]) and the AIA fetch
//! ([`fetch`]). [`check`] puts one target's facts together, all of them, in one
//! place; judging them is `diagnose`'s job.

pub mod audit;
pub mod autoconfig;
pub mod check;
pub mod connector;
pub mod dane;
pub mod discover;
pub mod dns;
pub mod domain;
pub mod fetch;
pub mod http;
pub mod lines;
pub mod net;
pub mod probe;
pub mod ready;
pub mod resume;
pub mod revocation;
pub mod session;
pub mod tls;

use std::collections::HashMap;
use std::net::IpAddr;
use std::time::Duration;

pub use check::{run_check, run_check_at};

/// How to check; the same for every target of a run.
#[derive(Debug, Clone)]
pub struct CheckSettings {
    pub tls: tls::TlsClient,
    /// The whole check, from DNS to the last byte.
    pub timeout: Duration,
    /// Name to send with EHLO; `None` uses the address literal of our end of the
    /// connection, which every server accepts as syntactically valid (RFC 5321 4.1.3).
    pub ehlo_name: Option<String>,
    /// Name to send as SNI and to verify the certificate against, instead of the host.
    pub server_name: Option<String>,
    /// The platforms' stores the chain is judged by, for the verdicts per client.
    pub platforms: tls::platforms::PlatformStores,
    /// The stores the chain is also judged by, side by side.
    pub compare: tls::trust::TrustComparison,
    /// Download a missing intermediate from the AIA URL, as Outlook and Apple
    /// Mail do (off with `--offline`).
    pub fetch_missing: bool,
    /// Ask the CA whether the chain's certificates are revoked: OCSP and CRL
    /// (`--revocation`).
    pub revocation: bool,
    /// The HTTP client revocation questions and AIA downloads go through,
    /// made on first use and shared by the run's checks (see
    /// [`CheckSettings::http_client`]).
    pub http_client: http::SharedClient,
    /// This run's downloads, by URL.
    pub fetched: fetch::FetchCache,
    /// Names answered without DNS (`--resolve`), lowercase.
    pub resolve: HashMap<String, Vec<IpAddr>>,
    /// Also run the active audit of the plaintext phase (`--audit`).
    pub audit: bool,
    /// Also probe versions, suites and groups after the check (`--probe`).
    pub probe: Option<probe::ProbeOptions>,
    /// Also ask for the TLSA records and compare them with the chain (`--dane`).
    pub dane: Option<std::sync::Arc<dane::DaneOptions>>,
}

impl CheckSettings {
    /// The run's HTTP client for the checks' own fetches (OCSP, CRL, AIA):
    /// names asked of the system's name servers through [`dns::resolver`]
    /// (never the hosts file), HTTPS against the run's trust store.
    pub async fn http_client(&self) -> Result<http::HttpClient, String> {
        self.http_client
            .get_or_init(|| async {
                dns::resolver(
                    &dns::DnsOptions {
                        name_server: None,
                        timeout: self.timeout,
                    },
                    None,
                )
                .map(|resolver| {
                    http::HttpClient::new(resolver, self.tls.trust(), self.tls.provider())
                })
                .map_err(|e| format!("no DNS resolver could be set up ({e})"))
            })
            .await
            .clone()
    }
}

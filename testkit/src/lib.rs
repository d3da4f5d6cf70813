//! Test kit for mailtls: a throw-away PKI, in-process mail servers (good and broken) and real
//! Dovecot and Postfix instances, all on loopback.

pub mod hostile;
pub mod http;
pub mod legacy;
pub mod pki;
pub mod prometheus;
pub mod real;
pub mod server;
pub mod web;

pub use hostile::{HostileCert, HttpBehaviour, HttpScript};
pub use http::HttpFile;
pub use legacy::{LegacyServer, Quirks, RobotOracle};
pub use pki::{
    sct_list_extension, CertCase, OcspCase, ServerCert, TestPki, AIA_URL, SCT_LOG_IDS,
    SCT_TIMESTAMP_MS,
};
pub use rustls_pki_types::{CertificateDer, PrivateKeyDer};
pub use server::{
    ClientAuth, Misbehaviour, Proto, ServerSpec, TestServer, Transport, MAX_LINE, TRICKLE_DELAY,
};

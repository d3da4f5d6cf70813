//! Test kit for mailtls: a throw-away PKI, in-process mail servers (good and broken) and real
//! Dovecot and Postfix instances, all on loopback.

pub mod pki;
pub mod real;
pub mod server;

pub use pki::{CertCase, ServerCert, TestPki};
pub use rustls_pki_types::{CertificateDer, PrivateKeyDer};
pub use server::{Misbehaviour, Proto, ServerSpec, TestServer, Transport, MAX_LINE, TRICKLE_DELAY};

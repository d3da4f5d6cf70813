//! The one place where mailtls lets a TLS handshake go on past a bad certificate.
//!
//! A diagnostic tool must see the whole handshake to report on it, so the
//! [`RecordingVerifier`] runs the real WebPKI verification, records its outcome,
//! and tells rustls the certificate is fine. Handshake signatures are still
//! verified for real, so the peer did prove possession of the certificate's key.
//! Callers must treat a recorded failure as "do not trust this session": after
//! such a handshake mailtls exchanges nothing but the capability query and QUIT.
//!
//! One `ClientConfig`, and so one verifier, serves every handshake of a run
//! (building a config per connection cost allocation and locking for nothing).
//! Each handshake's observations still go to that connection alone: the
//! handshake future runs inside [`RECORDING`]`.scope(..)`, a tokio task-local
//! that is set only while that future is being polled, and rustls calls the
//! verifier and the client-certificate resolver synchronously from within that
//! poll. Two handshakes on one worker thread never see each other's recording,
//! as each poll sets and restores its own. A call outside any scope (which
//! mailtls never makes) records nothing and does not accept the certificate.

use std::sync::{Arc, Mutex};

use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::client::ResolvesClientCert;
use rustls::crypto::{verify_tls12_signature, verify_tls13_signature, CryptoProvider};
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::{DigitallySignedStruct, SignatureScheme};

use super::trust::TrustStore;
use crate::facts::tls::VerifyError;

tokio::task_local! {
    /// The recording of the handshake being polled (see the module comment).
    pub static RECORDING: Recording;
}

/// Runs `f` on the current handshake's recording; `None` outside a handshake.
fn with_recording<R>(f: impl FnOnce(&mut Recorded) -> R) -> Option<R> {
    RECORDING
        .try_with(|recording| {
            let mut recorded = recording.lock().unwrap_or_else(|e| e.into_inner());
            f(&mut recorded)
        })
        .ok()
}

/// What the verifier saw, for one connection.
#[derive(Debug, Clone, Default)]
pub struct Recorded {
    /// The chain as sent: leaf first, then whatever else the server included.
    pub chain: Vec<CertificateDer<'static>>,
    /// The stapled OCSP response (empty if none).
    pub ocsp_response: Vec<u8>,
    /// The verification outcome; `None` until verification ran.
    pub outcome: Option<Result<(), VerifyError>>,
    /// Set when the server sent a CertificateRequest: the certificate authorities it
    /// names (DER-encoded distinguished names; may be empty).
    pub client_cert_request: Option<Vec<Vec<u8>>>,
    /// A client certificate was presented in answer.
    pub client_cert_sent: bool,
}

/// Shared between the verifier (written during the handshake) and the caller (read after).
pub type Recording = Arc<Mutex<Recorded>>;

/// Runs the real verification (through the store's verification cache, if
/// any), records it in the current [`RECORDING`], and accepts the certificate
/// anyway.
#[derive(Debug)]
pub struct RecordingVerifier {
    store: TrustStore,
    provider: Arc<CryptoProvider>,
}

impl RecordingVerifier {
    pub fn new(store: TrustStore, provider: Arc<CryptoProvider>) -> Self {
        Self { store, provider }
    }
}

impl ServerCertVerifier for RecordingVerifier {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        server_name: &ServerName<'_>,
        ocsp_response: &[u8],
        now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        let chain: Vec<CertificateDer<'static>> = std::iter::once(end_entity)
            .chain(intermediates)
            .map(|c| c.clone().into_owned())
            .collect();
        let outcome = self.store.verify(&chain, server_name, now);
        let recorded = with_recording(|recorded| {
            recorded.chain = chain;
            recorded.ocsp_response = ocsp_response.to_vec();
            recorded.outcome = Some(outcome);
        });
        match recorded {
            Some(()) => Ok(ServerCertVerified::assertion()),
            // Nobody is recording: nobody could learn that the chain is bad.
            None => Err(rustls::Error::General(
                "certificate verified outside a recorded handshake".to_owned(),
            )),
        }
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        verify_tls12_signature(
            message,
            cert,
            dss,
            &self.provider.signature_verification_algorithms,
        )
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        verify_tls13_signature(
            message,
            cert,
            dss,
            &self.provider.signature_verification_algorithms,
        )
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.provider
            .signature_verification_algorithms
            .supported_schemes()
    }
}

/// Notes that the server asked for a client certificate, and answers with the
/// `--client-cert` identity if there is one, else with none. Records into the
/// current [`RECORDING`].
#[derive(Debug)]
pub struct ClientCertRequestRecorder {
    pub identity: Option<Arc<rustls::sign::CertifiedKey>>,
}

impl ResolvesClientCert for ClientCertRequestRecorder {
    fn resolve(
        &self,
        root_hint_subjects: &[&[u8]],
        _sigschemes: &[SignatureScheme],
    ) -> Option<Arc<rustls::sign::CertifiedKey>> {
        with_recording(|recorded| {
            recorded.client_cert_request =
                Some(root_hint_subjects.iter().map(|s| s.to_vec()).collect());
            recorded.client_cert_sent = self.identity.is_some();
        })?;
        self.identity.clone()
    }

    fn has_certs(&self) -> bool {
        // rustls asks this before resolve(); true makes it call resolve() so the
        // request is recorded. resolve() returning None still sends no certificate.
        true
    }
}

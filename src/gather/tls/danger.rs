//! The one place where mailtls lets a TLS handshake go on past a bad certificate.
//!
//! A diagnostic tool must see the whole handshake to report on it, so the
//! [`RecordingVerifier`] runs the real WebPKI verification, records its outcome,
//! and tells rustls the certificate is fine. Handshake signatures are still
//! verified for real, so the peer did prove possession of the certificate's key.
//! Callers must treat a recorded failure as "do not trust this session": after
//! such a handshake mailtls exchanges nothing but the capability query and QUIT.

use std::sync::{Arc, Mutex};

use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::client::{ResolvesClientCert, WebPkiServerVerifier};
use rustls::crypto::{verify_tls12_signature, verify_tls13_signature, CryptoProvider};
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::{DigitallySignedStruct, SignatureScheme};

/// What the verifier saw, for one connection.
#[derive(Debug, Clone, Default)]
pub struct Recorded {
    /// The chain as sent: leaf first, then whatever else the server included.
    pub chain: Vec<CertificateDer<'static>>,
    /// The stapled OCSP response (empty if none).
    pub ocsp_response: Vec<u8>,
    /// The verification outcome; `None` until verification ran.
    pub outcome: Option<Result<(), rustls::Error>>,
    /// Set when the server sent a CertificateRequest: the certificate authorities it
    /// names (DER-encoded distinguished names; may be empty).
    pub client_cert_request: Option<Vec<Vec<u8>>>,
    /// A client certificate was presented in answer.
    pub client_cert_sent: bool,
}

/// Shared between the verifier (written during the handshake) and the caller (read after).
pub type Recording = Arc<Mutex<Recorded>>;

/// Runs the real verification, records it, and accepts the certificate anyway.
#[derive(Debug)]
pub struct RecordingVerifier {
    /// `None` when the trust store is empty: every chain is then "unknown issuer".
    inner: Option<Arc<WebPkiServerVerifier>>,
    provider: Arc<CryptoProvider>,
    recording: Recording,
}

impl RecordingVerifier {
    pub fn new(
        inner: Option<Arc<WebPkiServerVerifier>>,
        provider: Arc<CryptoProvider>,
        recording: Recording,
    ) -> Self {
        Self {
            inner,
            provider,
            recording,
        }
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
        let outcome = match &self.inner {
            Some(inner) => inner
                .verify_server_cert(end_entity, intermediates, server_name, ocsp_response, now)
                .map(|_| ()),
            None => Err(rustls::Error::InvalidCertificate(
                rustls::CertificateError::UnknownIssuer,
            )),
        };
        let mut recorded = self.recording.lock().unwrap_or_else(|e| e.into_inner());
        recorded.chain = std::iter::once(end_entity)
            .chain(intermediates)
            .map(|c| c.clone().into_owned())
            .collect();
        recorded.ocsp_response = ocsp_response.to_vec();
        recorded.outcome = Some(outcome);
        Ok(ServerCertVerified::assertion())
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
/// `--client-cert` identity if there is one, else with none.
#[derive(Debug)]
pub struct ClientCertRequestRecorder {
    pub recording: Recording,
    pub identity: Option<Arc<rustls::sign::CertifiedKey>>,
}

impl ResolvesClientCert for ClientCertRequestRecorder {
    fn resolve(
        &self,
        root_hint_subjects: &[&[u8]],
        _sigschemes: &[SignatureScheme],
    ) -> Option<Arc<rustls::sign::CertifiedKey>> {
        let mut recorded = self.recording.lock().unwrap_or_else(|e| e.into_inner());
        recorded.client_cert_request =
            Some(root_hint_subjects.iter().map(|s| s.to_vec()).collect());
        recorded.client_cert_sent = self.identity.is_some();
        self.identity.clone()
    }

    fn has_certs(&self) -> bool {
        // rustls asks this before resolve(); true makes it call resolve() so the
        // request is recorded. resolve() returning None still sends no certificate.
        true
    }
}

//! The one TLS session layer: a rustls handshake over any async stream, and the facts it yields.
//!
//! Implicit TLS and STARTTLS both end up here with a stream positioned where the
//! ClientHello goes. [`TlsClient::handshake`] always returns [`TlsFacts`], also when
//! the handshake fails, so a report can show how far TLS got.

pub mod danger;
pub mod platforms;
pub mod trust;
pub(crate) mod words;

use std::io;
use std::path::{Path, PathBuf};
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use std::time::Instant;

use rustls::client::Resumption;
use rustls::crypto::CryptoProvider;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer, ServerName};
use rustls::{CertificateError, ClientConfig};
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio_rustls::client::TlsStream;
use tokio_rustls::TlsConnector;

use danger::{ClientCertRequestRecorder, Recorded, RecordingVerifier};
use trust::TrustStore;

use crate::facts::cert;
use crate::facts::stop::HandshakeFailure;
use crate::facts::tls::{KeyExchange, TlsFacts, Verification, VerifyError};

/// How a check speaks TLS; built once and shared by every connection.
#[derive(Debug, Clone)]
pub struct TlsClient {
    provider: Arc<CryptoProvider>,
    trust: TrustStore,
    send_sni: bool,
    identity: Option<ClientIdentity>,
    /// Built once from the fields above and shared by every handshake; each
    /// handshake records into its own [`danger::RECORDING`] scope.
    config: Arc<ClientConfig>,
}

/// A client certificate and key to present when a server asks for one.
#[derive(Clone)]
pub struct ClientIdentity {
    pub key: Arc<rustls::sign::CertifiedKey>,
    /// The subject of the certificate, for the report.
    pub subject: String,
}

impl std::fmt::Debug for ClientIdentity {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ClientIdentity")
            .field("subject", &self.subject)
            .finish_non_exhaustive()
    }
}

/// Why `--client-cert`/`--client-key` could not be used. Each message is a
/// whole sentence on its own (no error source behind it).
#[derive(Debug, thiserror::Error)]
pub enum IdentityError {
    #[error("cannot read the {what} {path}: {detail}")]
    Read {
        what: &'static str,
        path: PathBuf,
        detail: String,
    },
    #[error("the client certificate file {path} cannot be used: {why}")]
    Certificate { path: PathBuf, why: String },
    #[error("the client key file {path} cannot be used: {why}")]
    Key { path: PathBuf, why: String },
    #[error("the key in {key} does not belong to the certificate in {cert}")]
    Mismatch { cert: PathBuf, key: PathBuf },
}

impl ClientIdentity {
    pub fn load(
        cert: &Path,
        key: &Path,
        provider: &Arc<CryptoProvider>,
    ) -> Result<ClientIdentity, IdentityError> {
        let read = |what: &'static str, path: &Path| {
            std::fs::read(path).map_err(|e| IdentityError::Read {
                what,
                path: path.to_owned(),
                detail: e.to_string(),
            })
        };
        let cert_error = |why: String| IdentityError::Certificate {
            path: cert.to_owned(),
            why,
        };
        let key_error = |why: String| IdentityError::Key {
            path: key.to_owned(),
            why,
        };
        let cert_pem = read("client certificate file", cert)?;
        let chain = CertificateDer::pem_slice_iter(&cert_pem)
            .collect::<Result<Vec<_>, _>>()
            .map_err(|e| cert_error(words::pem_error(&e, "certificate")))?;
        let Some(first) = chain.first() else {
            return Err(cert_error(
                if PrivateKeyDer::from_pem_slice(&cert_pem).is_ok() {
                    "it holds a private key but no certificate (a -----BEGIN CERTIFICATE----- block)"
                        .to_owned()
                } else {
                    "it holds no certificate (a -----BEGIN CERTIFICATE----- block)".to_owned()
                },
            ));
        };
        let subject = cert::parse_chain(std::slice::from_ref(first), 0)
            .first()
            .map(|c| c.subject.clone())
            .unwrap_or_default();
        let key_pem = read("client key file", key)?;
        let private = PrivateKeyDer::from_pem_slice(&key_pem).map_err(|e| {
            let holds_certificate = CertificateDer::pem_slice_iter(&key_pem).any(|c| c.is_ok());
            key_error(match e {
                rustls::pki_types::pem::Error::NoItemsFound if holds_certificate => {
                    "it holds a certificate, not a private key".to_owned()
                }
                e => words::pem_error(&e, "private key"),
            })
        })?;
        let signing = provider
            .key_provider
            .load_private_key(private)
            .map_err(|_| {
                key_error(
                    "mailtls cannot use a key of this kind (RSA, ECDSA and Ed25519 keys work)"
                        .to_owned(),
                )
            })?;
        let certified = rustls::sign::CertifiedKey::new(chain, signing);
        certified.keys_match().map_err(|e| match e {
            rustls::Error::InconsistentKeys(rustls::InconsistentKeys::KeyMismatch) => {
                IdentityError::Mismatch {
                    cert: cert.to_owned(),
                    key: key.to_owned(),
                }
            }
            rustls::Error::InconsistentKeys(why) => {
                key_error(words::inconsistent_keys(why).to_owned())
            }
            other => cert_error(words::tls_error(&other)),
        })?;
        Ok(ClientIdentity {
            key: Arc::new(certified),
            subject,
        })
    }
}

impl TlsClient {
    pub fn new(provider: Arc<CryptoProvider>, trust: TrustStore, send_sni: bool) -> Self {
        let config = Self::config(&provider, &trust, send_sni, None);
        Self {
            provider,
            trust,
            send_sni,
            identity: None,
            config,
        }
    }

    /// Presents `identity` to servers that ask for a client certificate.
    pub fn with_identity(self, identity: Option<ClientIdentity>) -> Self {
        let config = Self::config(
            &self.provider,
            &self.trust,
            self.send_sni,
            identity.as_ref(),
        );
        Self {
            identity,
            config,
            ..self
        }
    }

    /// rustls's default provider (aws-lc-rs), which offers the X25519MLKEM768
    /// post-quantum hybrid first, as current browsers and mail clients do.
    pub fn default_provider() -> Arc<CryptoProvider> {
        Arc::new(rustls::crypto::aws_lc_rs::default_provider())
    }

    pub fn provider(&self) -> &Arc<CryptoProvider> {
        &self.provider
    }

    pub fn trust(&self) -> &TrustStore {
        &self.trust
    }

    /// Whether handshakes send SNI (off with `--no-sni`).
    pub fn sends_sni(&self) -> bool {
        self.send_sni
    }

    /// Runs the handshake on `stream` for `name`, finishing by `deadline`.
    pub async fn handshake<S>(
        &self,
        stream: S,
        name: ServerName<'static>,
        deadline: tokio::time::Instant,
    ) -> (Result<TlsStream<Sniffed<S>>, HandshakeFailure>, TlsFacts)
    where
        S: AsyncRead + AsyncWrite + Unpin,
    {
        let recording = Arc::new(Mutex::new(Recorded::default()));
        let sni = match &name {
            ServerName::DnsName(dns) if self.send_sni => Some(dns.as_ref().to_owned()),
            _ => None,
        };
        let verified_name = server_name_text(&name);
        let started = Instant::now();
        let connect = danger::RECORDING.scope(
            recording.clone(),
            TlsConnector::from(self.config.clone()).connect(name, Sniffed::new(stream)),
        );
        let result = match tokio::time::timeout_at(deadline, connect).await {
            Ok(Ok(stream)) => Ok(stream),
            Ok(Err(e)) => Err(e),
            Err(_) => Err(io::Error::new(io::ErrorKind::TimedOut, "deadline")),
        };
        let recorded = recording.lock().unwrap_or_else(|e| e.into_inner()).clone();
        let verification = recorded.outcome.map(|outcome| Verification {
            trust_store: self.trust.description.clone(),
            name: verified_name,
            trusted: outcome.is_ok(),
            error: outcome.err(),
        });
        let mut facts = TlsFacts {
            sni,
            ocsp_stapled: !recorded.ocsp_response.is_empty(),
            ocsp: (!recorded.ocsp_response.is_empty())
                .then(|| crate::facts::ocsp::parse(&recorded.ocsp_response, &recorded.chain)),
            client_cert_request: recorded.client_cert_request,
            client_cert_sent: match (&self.identity, recorded.client_cert_sent) {
                (Some(identity), true) => Some(identity.subject.clone()),
                _ => None,
            },
            chain: recorded.chain,
            verification,
            ..TlsFacts::default()
        };
        match result {
            Ok(stream) => {
                let conn = stream.get_ref().1;
                facts.handshake_ms = Some(started.elapsed().as_millis() as u64);
                facts.version = conn.protocol_version().map(version_name);
                facts.cipher_suite = conn
                    .negotiated_cipher_suite()
                    .map(|s| suite_name(s.suite()));
                facts.key_exchange = conn.negotiated_key_exchange_group().map(|g| {
                    let group = g
                        .name()
                        .as_str()
                        .map_or_else(|| format!("{:?}", g.name()), str::to_owned);
                    KeyExchange {
                        post_quantum: group.contains("MLKEM"),
                        group,
                    }
                });
                facts.alpn = conn
                    .alpn_protocol()
                    .map(|p| String::from_utf8_lossy(p).into_owned());
                (Ok(stream), facts)
            }
            Err(e) => (Err(classify_failure(e)), facts),
        }
    }

    /// The one configuration of a run's handshakes (see [`danger`] for how
    /// each handshake still records its own observations).
    fn config(
        provider: &Arc<CryptoProvider>,
        trust: &TrustStore,
        send_sni: bool,
        identity: Option<&ClientIdentity>,
    ) -> Arc<ClientConfig> {
        let verifier = RecordingVerifier::new(trust.clone(), provider.clone());
        let mut config = ClientConfig::builder_with_provider(provider.clone())
            .with_safe_default_protocol_versions()
            .expect("the default provider supports the default versions")
            .dangerous()
            .with_custom_certificate_verifier(Arc::new(verifier))
            .with_client_cert_resolver(Arc::new(ClientCertRequestRecorder {
                identity: identity.map(|i| i.key.clone()),
            }));
        config.enable_sni = send_sni;
        // Each check is a fresh look at the server, never a resumed session.
        config.resumption = Resumption::disabled();
        Arc::new(config)
    }
}

impl TlsClient {
    /// A config for one version only that keeps sessions in `store` (TLS 1.2
    /// by session ID alone, or by ID or ticket), for the resumption tests; it
    /// verifies like every other config and presents no client certificate.
    pub fn resuming_config(
        &self,
        version: &'static rustls::SupportedProtocolVersion,
        tls12: rustls::client::Tls12Resumption,
        store: Arc<dyn rustls::client::ClientSessionStore>,
    ) -> Result<Arc<ClientConfig>, rustls::Error> {
        let verifier = RecordingVerifier::new(self.trust.clone(), self.provider.clone());
        let mut config = ClientConfig::builder_with_provider(self.provider.clone())
            .with_protocol_versions(&[version])?
            .dangerous()
            .with_custom_certificate_verifier(Arc::new(verifier))
            .with_no_client_auth();
        config.enable_sni = self.send_sni;
        config.resumption = Resumption::store(store).tls12_resumption(tls12);
        Ok(Arc::new(config))
    }

    /// A handshake with a [`TlsClient::resuming_config`] config, recording
    /// nothing: the caller asks the stream whether it resumed.
    pub async fn handshake_with<S>(
        config: &Arc<ClientConfig>,
        stream: S,
        name: ServerName<'static>,
        deadline: tokio::time::Instant,
    ) -> Result<TlsStream<S>, String>
    where
        S: AsyncRead + AsyncWrite + Unpin,
    {
        let recording = Arc::new(Mutex::new(Recorded::default()));
        let connect = danger::RECORDING.scope(
            recording,
            TlsConnector::from(config.clone()).connect(name, stream),
        );
        match tokio::time::timeout_at(deadline, connect).await {
            Ok(Ok(stream)) => Ok(stream),
            Ok(Err(e)) => Err(
                match e
                    .get_ref()
                    .and_then(|inner| inner.downcast_ref::<rustls::Error>())
                {
                    Some(tls) => words::tls_error(tls),
                    None => e.to_string(),
                },
            ),
            Err(_) => Err("the handshake did not finish in time".to_owned()),
        }
    }
}

pub(crate) fn server_name_text(name: &ServerName<'_>) -> String {
    match name {
        ServerName::DnsName(dns) => dns.as_ref().to_owned(),
        ServerName::IpAddress(ip) => std::net::IpAddr::from(*ip).to_string(),
        other => format!("{other:?}"),
    }
}

fn version_name(version: rustls::ProtocolVersion) -> String {
    match version {
        rustls::ProtocolVersion::TLSv1_3 => "TLSv1.3".to_owned(),
        rustls::ProtocolVersion::TLSv1_2 => "TLSv1.2".to_owned(),
        other => other
            .as_str()
            .map_or_else(|| format!("{other:?}"), |s| s.replace('_', ".")),
    }
}

/// rustls names TLS 1.3 suites `TLS13_*`; the IANA registry (and OpenSSL) says `TLS_*`.
fn suite_name(suite: rustls::CipherSuite) -> String {
    let name = suite
        .as_str()
        .map_or_else(|| format!("{suite:?}"), str::to_owned);
    match name.strip_prefix("TLS13_") {
        Some(rest) => format!("TLS_{rest}"),
        None => name,
    }
}

/// The verifier's refusal of `chain` (leaf first, as sent) as a fact.
pub(crate) fn verify_error(error: rustls::Error, chain: &[CertificateDer<'_>]) -> VerifyError {
    match error {
        rustls::Error::InvalidCertificate(e) => match e {
            CertificateError::Expired | CertificateError::ExpiredContext { .. } => {
                VerifyError::Expired
            }
            CertificateError::NotValidYet | CertificateError::NotValidYetContext { .. } => {
                VerifyError::NotYetValid
            }
            CertificateError::NotValidForNameContext { presented, .. } => {
                VerifyError::NameMismatch { presented }
            }
            CertificateError::NotValidForName => VerifyError::NameMismatch { presented: vec![] },
            CertificateError::UnknownIssuer => VerifyError::UnknownIssuer,
            CertificateError::BadSignature => VerifyError::BadSignature,
            CertificateError::UnsupportedSignatureAlgorithmContext { .. }
            | CertificateError::UnsupportedSignatureAlgorithmForPublicKeyContext { .. } => {
                VerifyError::UnsupportedSignatureAlgorithm
            }
            CertificateError::Revoked => VerifyError::Revoked,
            CertificateError::InvalidPurpose | CertificateError::InvalidPurposeContext { .. } => {
                VerifyError::InvalidPurpose
            }
            CertificateError::BadEncoding if dated_before_1970(chain) => {
                VerifyError::UnsupportedTime
            }
            CertificateError::BadEncoding => VerifyError::BadEncoding,
            CertificateError::Other(other)
                if matches!(
                    other.0.downcast_ref::<webpki::Error>(),
                    Some(webpki::Error::CaUsedAsEndEntity)
                ) =>
            {
                VerifyError::CaUsedAsEndEntity
            }
            CertificateError::Other(other)
                if matches!(
                    other.0.downcast_ref::<webpki::Error>(),
                    Some(
                        webpki::Error::MaximumPathDepthExceeded
                            | webpki::Error::MaximumPathBuildCallsExceeded
                            | webpki::Error::MaximumSignatureChecksExceeded
                    )
                ) =>
            {
                VerifyError::ChainTooLong
            }
            other => VerifyError::Other {
                detail: words::certificate_error(&other),
            },
        },
        other => VerifyError::Other {
            detail: words::tls_error(&other),
        },
    }
}

/// Whether WebPKI's "bad encoding" is only a date it cannot handle: WebPKI
/// refuses every time before 1970 as bad DER (`BadDerTime`, which rustls
/// reports as `BadEncoding`), while the chain reads as X.509 throughout and a
/// certificate in it is dated before 1970.
fn dated_before_1970(chain: &[CertificateDer<'_>]) -> bool {
    let mut before_1970 = false;
    for der in chain {
        match x509_parser::parse_x509_certificate(der.as_ref()) {
            Ok(([], cert)) => {
                let validity = cert.validity();
                before_1970 |=
                    validity.not_before.timestamp() < 0 || validity.not_after.timestamp() < 0;
            }
            _ => return false,
        }
    }
    before_1970
}

fn classify_failure(error: io::Error) -> HandshakeFailure {
    if error.kind() == io::ErrorKind::TimedOut {
        return HandshakeFailure::Timeout;
    }
    if error
        .get_ref()
        .is_some_and(|inner| inner.is::<ResetBeforeAnswer>())
    {
        return HandshakeFailure::Reset;
    }
    if let Some(sniffed) = error
        .get_ref()
        .and_then(|inner| inner.downcast_ref::<NotTlsError>())
    {
        return HandshakeFailure::NotTls {
            first_line: sniffed.first_line.clone(),
        };
    }
    if let Some(garbage) = error
        .get_ref()
        .and_then(|inner| inner.downcast_ref::<GarbageError>())
    {
        return HandshakeFailure::Garbage {
            first_bytes: garbage
                .first_bytes
                .iter()
                .map(|b| format!("{b:02x}"))
                .collect::<Vec<_>>()
                .join(" "),
        };
    }
    if let Some(tls) = error
        .get_ref()
        .and_then(|inner| inner.downcast_ref::<rustls::Error>())
    {
        return match tls {
            rustls::Error::AlertReceived(alert) => HandshakeFailure::AlertReceived {
                alert: words::alert_name(*alert),
            },
            other => HandshakeFailure::Protocol {
                detail: words::tls_error(other),
            },
        };
    }
    match error.kind() {
        io::ErrorKind::UnexpectedEof
        | io::ErrorKind::ConnectionReset
        | io::ErrorKind::ConnectionAborted
        | io::ErrorKind::BrokenPipe => HandshakeFailure::Closed,
        _ => HandshakeFailure::Io {
            detail: error.to_string(),
        },
    }
}

/// A stream that checks the first bytes the server sends: a TLS record starts
/// with a content type from 20 to 24; anything else (a `* OK` greeting, `220 `,
/// `+OK`) means the port speaks plaintext, and the read fails with [`NotTlsError`]
/// carrying the first line, so the caller can say so instead of "corrupt message".
#[derive(Debug)]
pub struct Sniffed<S> {
    inner: S,
    /// Bytes seen while deciding; emptied once the first byte proved to be TLS.
    first: Vec<u8>,
    decided: bool,
}

/// How much plaintext to collect for the report before failing the read.
const SNIFF_LIMIT: usize = 256;

/// The read error raised when the server's first bytes are not TLS.
#[derive(Debug, thiserror::Error)]
#[error("the server sent plaintext instead of TLS: {first_line:?}")]
pub struct NotTlsError {
    pub first_line: String,
}

/// The read error raised when the server's first bytes are neither TLS nor text.
#[derive(Debug, thiserror::Error)]
#[error("the server sent bytes that are neither TLS nor text")]
pub struct GarbageError {
    pub first_bytes: Vec<u8>,
}

/// The error raised when the server resets the connection before sending a
/// single byte: the same refusal whether the reset beats the ClientHello or not.
#[derive(Debug, thiserror::Error)]
#[error("the server reset the connection before answering")]
pub struct ResetBeforeAnswer;

/// A reset before the server said anything, told apart from other errors.
fn reset_before_answer(error: io::Error, nothing_seen: bool) -> io::Error {
    let reset = matches!(
        error.kind(),
        io::ErrorKind::ConnectionReset | io::ErrorKind::BrokenPipe
    );
    if reset && nothing_seen {
        io::Error::new(io::ErrorKind::ConnectionReset, ResetBeforeAnswer)
    } else {
        error
    }
}

/// Mail greetings start with a printable ASCII character (`*`, `+`, `2`, a letter …).
fn looks_like_text(byte: u8) -> bool {
    byte.is_ascii_graphic() || byte == b' '
}

/// The plaintext seen, as the error that ends the handshake: a line of text
/// (a greeting of some protocol, hostile characters and all) is
/// [`NotTlsError`]; bytes that only began like text (random data is almost
/// never UTF-8) are [`GarbageError`].
fn not_tls(seen: &[u8]) -> io::Error {
    let end = seen
        .iter()
        .position(|&b| b == b'\r' || b == b'\n')
        .unwrap_or(seen.len())
        .min(SNIFF_LIMIT);
    let line = &seen[..end];
    match std::str::from_utf8(line) {
        Ok(text) => io::Error::new(
            io::ErrorKind::InvalidData,
            NotTlsError {
                first_line: text.to_owned(),
            },
        ),
        _ => io::Error::new(
            io::ErrorKind::InvalidData,
            GarbageError {
                first_bytes: seen[..seen.len().min(16)].to_vec(),
            },
        ),
    }
}

impl<S> Sniffed<S> {
    fn new(inner: S) -> Self {
        Self {
            inner,
            first: Vec::new(),
            decided: false,
        }
    }

    pub fn get_ref(&self) -> &S {
        &self.inner
    }
}

impl<S: AsyncRead + Unpin> AsyncRead for Sniffed<S> {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let this = &mut *self;
        if this.decided {
            return Pin::new(&mut this.inner).poll_read(cx, buf);
        }
        let before = buf.filled().len();
        let poll = match Pin::new(&mut this.inner).poll_read(cx, buf) {
            Poll::Ready(Err(e)) => {
                return Poll::Ready(Err(reset_before_answer(e, this.first.is_empty())))
            }
            poll => poll,
        };
        if let Poll::Ready(Ok(())) = &poll {
            let new = &buf.filled()[before..];
            let Some(&first) = new.first() else {
                // EOF. Nothing seen: let rustls report the close. Some plaintext seen:
                // that is the finding, not the close.
                if this.first.is_empty() {
                    return poll;
                }
                return Poll::Ready(Err(not_tls(&this.first)));
            };
            if (20..=24).contains(&first) && this.first.is_empty() {
                this.decided = true;
                return poll;
            }
            if this.first.is_empty() && !looks_like_text(first) {
                // Neither TLS nor a greeting: binary garbage. Fail at once.
                let seen = new[..new.len().min(16)].to_vec();
                buf.set_filled(before);
                return Poll::Ready(Err(io::Error::new(
                    io::ErrorKind::InvalidData,
                    GarbageError { first_bytes: seen },
                )));
            }
            // Plaintext: collect up to one line (or the limit), then fail.
            this.first
                .extend_from_slice(&new[..new.len().min(SNIFF_LIMIT)]);
            buf.set_filled(before);
            let have_line = this.first.contains(&b'\n');
            if have_line || this.first.len() >= SNIFF_LIMIT {
                return Poll::Ready(Err(not_tls(&this.first)));
            }
            // Not a whole line yet: wait for more.
            cx.waker().wake_by_ref();
            return Poll::Pending;
        }
        poll
    }
}

impl<S: AsyncWrite + Unpin> AsyncWrite for Sniffed<S> {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        let nothing_seen = !self.decided && self.first.is_empty();
        match Pin::new(&mut self.inner).poll_write(cx, buf) {
            Poll::Ready(Err(e)) => Poll::Ready(Err(reset_before_answer(e, nothing_seen))),
            poll => poll,
        }
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_shutdown(cx)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kind(seen: &[u8]) -> &'static str {
        let error = not_tls(seen);
        let inner = error.get_ref();
        if inner.is_some_and(|e| e.is::<NotTlsError>()) {
            "text"
        } else if inner.is_some_and(|e| e.is::<GarbageError>()) {
            "garbage"
        } else {
            "other"
        }
    }

    #[test]
    fn a_greeting_is_text_and_random_bytes_that_begin_printably_are_garbage() {
        assert_eq!(kind(b"* OK IMAP ready\r\n"), "text");
        // Hostile characters do not make a greeting garbage; they are escaped later.
        assert_eq!(kind(b"* OK \x1b[31mred\x07\r\n"), "text");
        assert_eq!(kind(b"80\xf3\x9a\xc7$\xe1\x01\xfe\r\n"), "garbage");
    }
}

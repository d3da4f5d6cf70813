//! What the TLS handshake showed and how each trust store judged the chain.

use std::path::PathBuf;

use rustls_pki_types::CertificateDer;
use serde::{Deserialize, Serialize};

use crate::facts::der;

/// What the TLS handshake showed. Every field is optional because a failed
/// handshake may stop anywhere.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TlsFacts {
    /// "TLSv1.3" or "TLSv1.2".
    pub version: Option<String>,
    /// IANA name, e.g. "TLS_AES_256_GCM_SHA384".
    pub cipher_suite: Option<String>,
    pub key_exchange: Option<KeyExchange>,
    pub alpn: Option<String>,
    /// The server name sent in the ClientHello (none for IP addresses or `--no-sni`).
    pub sni: Option<String>,
    /// Milliseconds from the ClientHello to the end of the handshake.
    pub handshake_ms: Option<u64>,
    pub ocsp_stapled: bool,
    /// What the stapled OCSP response says; `null` when none was stapled.
    #[serde(default)]
    pub ocsp: Option<crate::facts::ocsp::OcspFacts>,
    /// Present when the server asked for a client certificate: the DER of each
    /// certificate authority name it listed (base64). Parsed into text by `cert`.
    #[serde(default, with = "der::optional_list")]
    pub client_cert_request: Option<Vec<Vec<u8>>>,
    /// The subject of the client certificate mailtls presented, if it did.
    pub client_cert_sent: Option<String>,
    pub verification: Option<Verification>,
    /// The chain exactly as the server sent it, leaf first (DER, base64).
    #[serde(default, with = "der::certificates")]
    pub chain: Vec<CertificateDer<'static>>,
}

/// The key-exchange group, e.g. "X25519MLKEM768" (a post-quantum hybrid) or "X25519".
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct KeyExchange {
    pub group: String,
    pub post_quantum: bool,
}

/// The outcome of certificate verification against one trust store.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Verification {
    pub trust_store: TrustDescription,
    /// The name the certificate was checked against.
    pub name: String,
    pub trusted: bool,
    pub error: Option<VerifyError>,
}

/// Why verification failed, as WebPKI saw it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
pub enum VerifyError {
    Expired,
    NotYetValid,
    /// The certificate does not cover the name; `presented` is what it does cover.
    NameMismatch {
        presented: Vec<String>,
    },
    UnknownIssuer,
    BadSignature,
    UnsupportedSignatureAlgorithm,
    Revoked,
    /// Not issued for TLS server use (extended key usage).
    InvalidPurpose,
    BadEncoding,
    /// The server's own certificate is a CA certificate (basicConstraints CA:TRUE),
    /// as `openssl req -x509` makes by default.
    CaUsedAsEndEntity,
    /// The path to a root is longer (or takes more work) than verifiers allow.
    ChainTooLong,
    /// A certificate is dated before 1970 (a UTCTime year 50–69 means 1950–1969),
    /// which WebPKI cannot check: it counts from the Unix epoch and refuses the
    /// date as bad DER, so the rest of the chain went unchecked. OpenSSL, GnuTLS
    /// and NSS read such dates.
    UnsupportedTime,
    Other {
        detail: String,
    },
}

/// The base set of roots.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum TrustBase {
    /// Mozilla's root program, as shipped by the webpki-roots crate: what Thunderbird trusts.
    Mozilla,
    /// The operating system's store (rustls-native-certs): what most other clients trust.
    System,
}

/// What a report says about the trust store used.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TrustDescription {
    pub base: TrustBase,
    pub ca_files: Vec<PathBuf>,
    /// Number of root certificates in the store.
    pub roots: usize,
}

impl TrustDescription {
    /// "Mozilla's root store (webpki-roots) + roots.pem"
    pub fn label(&self) -> String {
        let mut label = match self.base {
            TrustBase::Mozilla => "Mozilla's root store".to_owned(),
            TrustBase::System => "this machine's root store".to_owned(),
        };
        for file in &self.ca_files {
            label.push_str(&format!(" + {}", file.display()));
        }
        label
    }
}

/// Which store a [`StoreVerdict`] speaks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum StoreKind {
    /// Mozilla's roots: Thunderbird, and clients that bundle Mozilla's list.
    Mozilla,
    /// The operating system's store: Outlook, Apple Mail, most other clients.
    System,
    /// Only the `--ca-file` certificates: a private (organisation's) CA.
    CaFiles,
    /// Apple's store (iOS, iPadOS, macOS): Apple Mail, Mail on iPhone and iPad.
    Apple,
    /// The Windows root program, less what Windows has distrusted: Outlook.
    Microsoft,
    /// The current Android (AOSP) store: Android mail apps.
    Android,
    /// Android 8's store: the same apps on old phones.
    Android8,
    /// OpenJDK's cacerts, less what it distrusts: Java mail clients.
    Java,
}

impl StoreKind {
    /// The platforms' stores, in the order verdicts are reported.
    pub const PLATFORMS: [StoreKind; 5] = [
        StoreKind::Apple,
        StoreKind::Microsoft,
        StoreKind::Android,
        StoreKind::Android8,
        StoreKind::Java,
    ];

    /// Who uses this store, for sentences.
    pub fn clients(self) -> &'static str {
        match self {
            StoreKind::Mozilla => "Thunderbird (Mozilla's root store)",
            StoreKind::System => {
                "clients that use the operating system's store (Outlook, Apple Mail)"
            }
            StoreKind::CaFiles => "clients with the given CA certificate installed",
            StoreKind::Apple => "Apple Mail (Apple's root store)",
            StoreKind::Microsoft => "Outlook (the Windows root program)",
            StoreKind::Android => "Android mail apps (Android's root store)",
            StoreKind::Android8 => "mail apps on Android 8",
            StoreKind::Java => "Java mail clients (OpenJDK's cacerts)",
        }
    }
}

/// The verdict of one trust store on the chain the server sent.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StoreVerdict {
    pub store: StoreKind,
    /// `None` when the store could not be loaded (see `unavailable`).
    pub trusted: Option<bool>,
    pub error: Option<VerifyError>,
    pub unavailable: Option<String>,
}

impl StoreVerdict {
    /// The store's answer: trusted, or refused for `error`.
    pub fn judged(store: StoreKind, outcome: Result<(), VerifyError>) -> StoreVerdict {
        StoreVerdict {
            store,
            trusted: Some(outcome.is_ok()),
            error: outcome.err(),
            unavailable: None,
        }
    }

    /// A store that could not be loaded, and why.
    pub fn unavailable(store: StoreKind, why: &str) -> StoreVerdict {
        StoreVerdict {
            store,
            trusted: None,
            error: None,
            unavailable: Some(why.to_owned()),
        }
    }
}

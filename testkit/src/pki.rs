//! Throw-away test PKI: a root and intermediate CA and server certificates, good and broken.

use std::path::{Path, PathBuf};

use rcgen::{
    BasicConstraints, CertificateParams, DnType, ExtendedKeyUsagePurpose, IsCa, Issuer, KeyPair,
    KeyUsagePurpose,
};
use rustls_pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};
use time::{Duration, OffsetDateTime};

/// Which kind of certificate (chain) a test server presents.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CertCase {
    /// Leaf for `name` signed by the intermediate, valid now-1d..now+90d; chain [leaf, intermediate].
    Good,
    /// Like `Good` but valid now-100d..now-10d.
    Expired,
    /// Like `Good` but valid now+10d..now+100d.
    NotYetValid,
    /// Like `Good` but the SANs are "other.test" and "*.other.test".
    WrongName,
    /// Self-signed leaf for `name`; chain [leaf].
    SelfSigned,
    /// Leaf and intermediate under an unrelated "Unknown Test Root"; chain [leaf, that intermediate].
    UnknownRoot,
    /// Good leaf, but the chain sent is [leaf] only.
    MissingIntermediate,
    /// Good chain, leaf valid from now-60d until now + N days.
    ExpiresIn(i64),
}

/// A certificate chain (leaf first) and the leaf's private key, ready for rustls.
#[derive(Debug)]
pub struct ServerCert {
    pub chain: Vec<CertificateDer<'static>>,
    pub key: PrivateKeyDer<'static>,
}

impl ServerCert {
    /// The chain as PEM, leaf first (what Dovecot's `ssl_cert` and Postfix's
    /// `smtpd_tls_chain_files` read).
    pub fn chain_pem(&self) -> String {
        let blocks: Vec<pem::Pem> = self
            .chain
            .iter()
            .map(|der| pem::Pem::new("CERTIFICATE", der.as_ref()))
            .collect();
        pem::encode_many_config(&blocks, pem_config())
    }

    /// The leaf's private key as PKCS#8 PEM.
    pub fn key_pem(&self) -> String {
        pem::encode_config(
            &pem::Pem::new("PRIVATE KEY", self.key.secret_der()),
            pem_config(),
        )
    }
}

fn pem_config() -> pem::EncodeConfig {
    pem::EncodeConfig::new().set_line_ending(pem::LineEnding::LF)
}

impl Clone for ServerCert {
    fn clone(&self) -> Self {
        ServerCert {
            chain: self.chain.clone(),
            key: self.key.clone_key(),
        }
    }
}

/// A CA that can sign certificates: its certificate and its issuer handle.
struct Ca {
    cert: CertificateDer<'static>,
    pem: String,
    issuer: Issuer<'static, KeyPair>,
}

/// A fresh root CA "mailtls Test Root" with intermediate "mailtls Test Intermediate" (ECDSA P-256),
/// plus an unrelated "Unknown Test Root" hierarchy for [`CertCase::UnknownRoot`].
pub struct TestPki {
    root: Ca,
    intermediate: Ca,
    unknown_intermediate: Ca,
}

impl std::fmt::Debug for TestPki {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TestPki").finish_non_exhaustive()
    }
}

impl Default for TestPki {
    fn default() -> Self {
        Self::new()
    }
}

fn days(n: i64) -> OffsetDateTime {
    OffsetDateTime::now_utc() + Duration::days(n)
}

fn ca_params(cn: &str, path_len: Option<u8>) -> CertificateParams {
    let mut p = CertificateParams::default();
    p.distinguished_name = rcgen::DistinguishedName::new();
    p.distinguished_name
        .push(DnType::OrganizationName, "mailtls tests");
    p.distinguished_name.push(DnType::CommonName, cn);
    p.is_ca = match path_len {
        Some(n) => IsCa::Ca(BasicConstraints::Constrained(n)),
        None => IsCa::Ca(BasicConstraints::Unconstrained),
    };
    p.key_usages = vec![
        KeyUsagePurpose::KeyCertSign,
        KeyUsagePurpose::CrlSign,
        KeyUsagePurpose::DigitalSignature,
    ];
    p.use_authority_key_identifier_extension = path_len.is_some();
    p.not_before = days(-365);
    p.not_after = days(3650);
    p
}

fn make_ca(cn: &str, parent: Option<&Issuer<'static, KeyPair>>) -> Ca {
    let key = KeyPair::generate().expect("generate CA key");
    let params = ca_params(cn, parent.map(|_| 0));
    let cert = match parent {
        Some(issuer) => params.signed_by(&key, issuer),
        None => params.self_signed(&key),
    }
    .expect("sign CA certificate");
    Ca {
        cert: cert.der().clone(),
        pem: cert.pem(),
        issuer: Issuer::new(params, key),
    }
}

fn leaf_params(sans: &[&str], from: OffsetDateTime, until: OffsetDateTime) -> CertificateParams {
    let sans: Vec<String> = sans.iter().map(|s| s.to_string()).collect();
    let mut p = CertificateParams::new(sans.clone()).expect("valid SAN");
    p.distinguished_name = rcgen::DistinguishedName::new();
    p.distinguished_name
        .push(DnType::CommonName, sans[0].as_str());
    p.key_usages = vec![KeyUsagePurpose::DigitalSignature];
    p.extended_key_usages = vec![ExtendedKeyUsagePurpose::ServerAuth];
    p.use_authority_key_identifier_extension = true;
    p.not_before = from;
    p.not_after = until;
    p
}

impl TestPki {
    /// Generates a new root, intermediate and the unrelated "unknown" hierarchy.
    pub fn new() -> TestPki {
        let root = make_ca("mailtls Test Root", None);
        let intermediate = make_ca("mailtls Test Intermediate", Some(&root.issuer));
        let unknown_root = make_ca("Unknown Test Root", None);
        let unknown_intermediate = make_ca("Unknown Test Intermediate", Some(&unknown_root.issuer));
        TestPki {
            root,
            intermediate,
            unknown_intermediate,
        }
    }

    /// PEM of the root certificate (the one clients should trust).
    pub fn root_pem(&self) -> String {
        self.root.pem.clone()
    }

    /// DER of the root certificate.
    pub fn root_der(&self) -> CertificateDer<'static> {
        self.root.cert.clone()
    }

    /// Writes the root certificate to `dir/root.pem` and returns that path.
    ///
    /// Panics if the file cannot be written.
    pub fn write_root_pem(&self, dir: &Path) -> PathBuf {
        let path = dir.join("root.pem");
        std::fs::write(&path, self.root_pem())
            .unwrap_or_else(|e| panic!("writing {}: {e}", path.display()));
        path
    }

    /// Issues a server certificate (chain and key) for `name` according to `case`.
    pub fn server_cert(&self, case: CertCase, name: &str) -> ServerCert {
        let key = KeyPair::generate().expect("generate leaf key");
        let (from, until) = match case {
            CertCase::Expired => (days(-100), days(-10)),
            CertCase::NotYetValid => (days(10), days(100)),
            CertCase::ExpiresIn(n) => (days(-60), days(n)),
            _ => (days(-1), days(90)),
        };
        let params = match case {
            CertCase::WrongName => leaf_params(&["other.test", "*.other.test"], from, until),
            _ => leaf_params(&[name], from, until),
        };
        let ca = match case {
            CertCase::UnknownRoot => &self.unknown_intermediate,
            _ => &self.intermediate,
        };
        let (leaf, chain_ca) = match case {
            CertCase::SelfSigned => (params.self_signed(&key), None),
            CertCase::MissingIntermediate => (params.signed_by(&key, &ca.issuer), None),
            _ => (params.signed_by(&key, &ca.issuer), Some(ca.cert.clone())),
        };
        let leaf = leaf.expect("sign leaf certificate");
        ServerCert {
            chain: std::iter::once(leaf.der().clone())
                .chain(chain_ca)
                .collect(),
            key: PrivatePkcs8KeyDer::from(key.serialize_der()).into(),
        }
    }
}

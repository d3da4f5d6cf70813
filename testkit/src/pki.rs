//! Throw-away test PKI: a root and intermediate CA and server certificates, good and broken.

use std::path::{Path, PathBuf};

use rcgen::{
    BasicConstraints, CertificateParams, CustomExtension, DnType, ExtendedKeyUsagePurpose, IsCa,
    Issuer, KeyPair, KeyUsagePurpose,
};
use rustls_pki_types::pem::PemObject;
use rustls_pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};
use time::{Date, Duration, Month, OffsetDateTime};

use crate::hostile::{self, HostileCert};

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
    /// Leaf only, with an AIA caIssuers URL naming where the intermediate lives.
    ChainIncomplete,
    /// Like `ChainIncomplete`, but the AIA URL is `http://127.0.0.1:PORT/intermediate.der`
    /// (see [`crate::HttpFile`]).
    ChainIncompleteAt(u16),
    /// [leaf, root, intermediate]: out of order, root included.
    WrongOrder,
    /// [leaf, intermediate, root].
    RootIncluded,
    /// [leaf, intermediate, intermediate].
    Duplicate,
    /// Leaf under the "Unknown Test" hierarchy, sent with its root: [leaf, intermediate, root].
    PrivateRootSent,
    /// Good chain, leaf valid for 500 days.
    LongValidity,
    /// Good chain, leaf with the OCSP must-staple extension (the test server staples nothing).
    MustStaple,
    /// Good chain, but a fresh intermediate (same name and key) that expires in N days.
    IntermediateExpiresIn(i64),
    /// Leaf under a chain of N intermediates (each signing the next), all sent.
    LongChain(usize),
    /// Good chain followed by 64 bytes that are not a certificate: [leaf, intermediate, junk].
    GarbageInChain,
    /// Leaf signed by the intermediate with SHA-1 (made with the `openssl` command).
    Sha1Signature,
    /// Leaf signed by an intermediate with a 1024-bit RSA key (made with the `openssl` command).
    WeakIntermediateKey,
    /// Names carrying hostile text (terminal sequences, line breaks, a planted PEM block).
    Hostile(HostileCert),
    /// Like `Good`, but valid from 1960-01-01 (UTCTime 600101000000Z), before the Unix epoch.
    Since1960,
    /// Like `Good`, but valid until 9999-12-31 23:59:59 (GeneralizedTime), RFC 5280's
    /// "no well-defined expiration date".
    Until9999,
    /// Good chain, the leaf (serial number `serial`, at least 2^60) naming an
    /// OCSP responder `http://127.0.0.1:OCSP/` (AIA) and a CRL
    /// `http://127.0.0.1:CRL/intermediate.crl` (distribution point).
    RevocationAt { ocsp: u16, crl: u16, serial: u64 },
    /// Leaf under a sub-intermediate that the intermediate (pathlen 0) may not sign:
    /// [leaf, sub-intermediate, intermediate].
    PathLenExceeded,
    /// Good chain, leaf with an embedded list of two signed certificate
    /// timestamps (RFC 6962 3.3) from the logs [`SCT_LOG_IDS`] (made-up logs;
    /// the signatures are not real).
    WithScts,
}

/// The log IDs of [`CertCase::WithScts`]'s timestamps.
pub const SCT_LOG_IDS: [[u8; 32]; 2] = [[0x11; 32], [0x22; 32]];

/// The time (Unix milliseconds) of [`CertCase::WithScts`]'s timestamps: 2026-01-01.
pub const SCT_TIMESTAMP_MS: u64 = 1_767_225_600_000;

/// The DER OCTET STRING holding an RFC 6962 SignedCertificateTimestampList,
/// one v1 timestamp per log ID, each with a made-up ECDSA signature.
pub fn sct_list_extension(log_ids: &[[u8; 32]], timestamp_ms: u64) -> Vec<u8> {
    let mut list = Vec::new();
    for id in log_ids {
        let mut sct = vec![0u8]; // v1
        sct.extend_from_slice(id);
        sct.extend_from_slice(&timestamp_ms.to_be_bytes());
        sct.extend_from_slice(&[0, 0]); // no extensions
        sct.extend_from_slice(&[4, 3]); // sha256, ecdsa
        sct.extend_from_slice(&[0, 8, 0x30, 0x06, 0x02, 0x01, 0x01, 0x02, 0x01, 0x01]);
        list.extend_from_slice(&(sct.len() as u16).to_be_bytes());
        list.extend_from_slice(&sct);
    }
    let mut tls = (list.len() as u16).to_be_bytes().to_vec();
    tls.extend_from_slice(&list);
    let mut der = vec![0x04, tls.len() as u8];
    der.extend_from_slice(&tls);
    der
}

/// What a stapled OCSP response made by [`TestPki::ocsp_response`] says.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OcspCase {
    Good,
    /// Revoked (keyCompromise) a day before now.
    Revoked,
}

/// Where the AIA of [`CertCase::ChainIncomplete`] says the intermediate can be fetched.
/// Port 9 (discard) on loopback: nothing listens there, so a download is
/// refused at once and nothing leaves the machine.
pub const AIA_URL: &str = "http://127.0.0.1:9/intermediate.der";

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
    unknown_root: Ca,
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
            unknown_root,
            unknown_intermediate,
        }
    }

    /// PEM of the root certificate (the one clients should trust).
    pub fn root_pem(&self) -> String {
        self.root.pem.clone()
    }

    /// DER of the intermediate certificate.
    pub fn intermediate_der(&self) -> CertificateDer<'static> {
        self.intermediate.cert.clone()
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

    /// Issues a client certificate for `name` under the test intermediate and writes
    /// `client.pem` (certificate, then intermediate) and `client.key` into `dir`.
    /// Returns their paths.
    pub fn write_client_identity(&self, dir: &Path, name: &str) -> (PathBuf, PathBuf) {
        let key = KeyPair::generate().expect("generate client key");
        let mut params = leaf_params(&[name], days(-1), days(90));
        params.extended_key_usages = vec![ExtendedKeyUsagePurpose::ClientAuth];
        let cert = params
            .signed_by(&key, &self.intermediate.issuer)
            .expect("sign client certificate");
        let (cert_path, key_path) = (dir.join("client.pem"), dir.join("client.key"));
        std::fs::write(
            &cert_path,
            format!("{}{}", cert.pem(), self.intermediate.pem),
        )
        .expect("write client.pem");
        std::fs::write(&key_path, key.serialize_pem()).expect("write client.key");
        (cert_path, key_path)
    }

    /// A good server certificate for `name` with a fresh 2048-bit RSA key
    /// (signed by the intermediate; chain [leaf, intermediate]); the key is
    /// PKCS#8.
    pub fn rsa_server_cert(&self, name: &str) -> ServerCert {
        let key = KeyPair::generate_rsa_for(&rcgen::PKCS_RSA_SHA256, rcgen::RsaKeySize::_2048)
            .expect("generate RSA leaf key");
        let leaf = leaf_params(&[name], days(-1), days(90))
            .signed_by(&key, &self.intermediate.issuer)
            .expect("sign RSA leaf");
        ServerCert {
            chain: vec![leaf.der().clone(), self.intermediate.cert.clone()],
            key: PrivatePkcs8KeyDer::from(key.serialize_der()).into(),
        }
    }

    /// Issues a server certificate (chain and key) for `name` according to `case`.
    ///
    /// Panics if the certificate cannot be made (for the openssl-made cases: if the
    /// `openssl` command is missing or fails).
    pub fn server_cert(&self, case: CertCase, name: &str) -> ServerCert {
        match case {
            CertCase::Sha1Signature => return self.openssl_leaf(name, false),
            CertCase::WeakIntermediateKey => return self.openssl_leaf(name, true),
            CertCase::Hostile(hostile) => {
                return hostile::hostile_cert(hostile, name, &self.root.cert, |sans| {
                    leaf_params(sans, days(-1), days(90))
                })
            }
            CertCase::PathLenExceeded => return self.path_len_exceeded(name),
            _ => {}
        }
        let key = KeyPair::generate().expect("generate leaf key");
        let (from, until) = match case {
            CertCase::Expired => (days(-100), days(-10)),
            CertCase::NotYetValid => (days(10), days(100)),
            CertCase::ExpiresIn(n) => (days(-60), days(n)),
            CertCase::LongValidity => (days(-1), days(499)),
            CertCase::Since1960 => (
                Date::from_calendar_date(1960, Month::January, 1)
                    .expect("date")
                    .midnight()
                    .assume_utc(),
                days(90),
            ),
            CertCase::Until9999 => (
                days(-1),
                Date::from_calendar_date(9999, Month::December, 31)
                    .expect("date")
                    .with_hms(23, 59, 59)
                    .expect("time")
                    .assume_utc(),
            ),
            _ => (days(-1), days(90)),
        };
        let mut params = match case {
            CertCase::WrongName => leaf_params(&["other.test", "*.other.test"], from, until),
            _ => leaf_params(&[name], from, until),
        };
        match case {
            CertCase::ChainIncomplete => {
                params
                    .custom_extensions
                    .push(CustomExtension::from_oid_content(
                        &[1, 3, 6, 1, 5, 5, 7, 1, 1],
                        hostile::aia_ca_issuers(AIA_URL),
                    ))
            }
            CertCase::ChainIncompleteAt(port) => {
                params
                    .custom_extensions
                    .push(CustomExtension::from_oid_content(
                        &[1, 3, 6, 1, 5, 5, 7, 1, 1],
                        hostile::aia_ca_issuers(&format!(
                            "http://127.0.0.1:{port}/intermediate.der"
                        )),
                    ))
            }
            CertCase::RevocationAt { ocsp, crl, serial } => {
                assert!(serial >= 1 << 60, "a serial of 16 hex digits");
                params.serial_number = Some(rcgen::SerialNumber::from(serial));
                params
                    .custom_extensions
                    .push(CustomExtension::from_oid_content(
                        &[1, 3, 6, 1, 5, 5, 7, 1, 1],
                        aia_ocsp(&format!("http://127.0.0.1:{ocsp}/")),
                    ));
                params.crl_distribution_points = vec![rcgen::CrlDistributionPoint {
                    uris: vec![format!("http://127.0.0.1:{crl}/intermediate.crl")],
                }];
            }
            CertCase::WithScts => params
                .custom_extensions
                .push(CustomExtension::from_oid_content(
                    &[1, 3, 6, 1, 4, 1, 11129, 2, 4, 2],
                    sct_list_extension(&SCT_LOG_IDS, SCT_TIMESTAMP_MS),
                )),
            // TLS Feature (RFC 7633): SEQUENCE { INTEGER 5 (status_request) }.
            CertCase::MustStaple => {
                params
                    .custom_extensions
                    .push(CustomExtension::from_oid_content(
                        &[1, 3, 6, 1, 5, 5, 7, 1, 24],
                        vec![0x30, 0x03, 0x02, 0x01, 0x05],
                    ))
            }
            _ => {}
        }
        if let CertCase::LongChain(n) = case {
            return self.long_chain(n, params, key);
        }
        let ca = match case {
            CertCase::UnknownRoot | CertCase::PrivateRootSent => &self.unknown_intermediate,
            _ => &self.intermediate,
        };
        let leaf = match case {
            CertCase::SelfSigned => params.self_signed(&key),
            _ => params.signed_by(&key, &ca.issuer),
        }
        .expect("sign leaf certificate");
        let leaf = leaf.der().clone();
        let (inter, root) = (ca.cert.clone(), self.root.cert.clone());
        let chain = match case {
            CertCase::SelfSigned
            | CertCase::MissingIntermediate
            | CertCase::ChainIncomplete
            | CertCase::ChainIncompleteAt(_) => vec![leaf],
            CertCase::WrongOrder => vec![leaf, root, inter],
            CertCase::RootIncluded => vec![leaf, inter, root],
            CertCase::Duplicate => vec![leaf, inter.clone(), inter],
            CertCase::PrivateRootSent => vec![leaf, inter, self.unknown_root.cert.clone()],
            CertCase::IntermediateExpiresIn(n) => vec![leaf, self.reissued_intermediate(n)],
            CertCase::GarbageInChain => vec![leaf, inter, CertificateDer::from(vec![0x5A; 64])],
            _ => vec![leaf, inter],
        };
        ServerCert {
            chain,
            key: PrivatePkcs8KeyDer::from(key.serialize_der()).into(),
        }
    }

    /// Root → intermediate 1 → … → intermediate n → leaf; sent leaf first, then n … 1.
    fn long_chain(&self, n: usize, leaf: CertificateParams, key: KeyPair) -> ServerCert {
        let mut cas: Vec<Ca> = Vec::with_capacity(n);
        for i in 1..=n {
            let ca = {
                let parent = cas.last().map_or(&self.root.issuer, |c| &c.issuer);
                let ca_key = KeyPair::generate().expect("generate CA key");
                let mut params = ca_params(&format!("mailtls Chain Intermediate {i}"), None);
                params.use_authority_key_identifier_extension = true;
                let cert = params
                    .signed_by(&ca_key, parent)
                    .expect("sign intermediate");
                Ca {
                    cert: cert.der().clone(),
                    pem: cert.pem(),
                    issuer: Issuer::new(params, ca_key),
                }
            };
            cas.push(ca);
        }
        let issuer = cas.last().map_or(&self.root.issuer, |c| &c.issuer);
        let leaf = leaf.signed_by(&key, issuer).expect("sign leaf");
        let mut chain = vec![leaf.der().clone()];
        chain.extend(cas.iter().rev().map(|c| c.cert.clone()));
        ServerCert {
            chain,
            key: PrivatePkcs8KeyDer::from(key.serialize_der()).into(),
        }
    }

    /// Root → intermediate (pathlen 0) → "mailtls Sub Intermediate" → leaf, all sent.
    fn path_len_exceeded(&self, name: &str) -> ServerCert {
        let sub_key = KeyPair::generate().expect("generate CA key");
        let mut sub_params = ca_params("mailtls Sub Intermediate", Some(0));
        sub_params.not_before = days(-30);
        let sub = sub_params
            .signed_by(&sub_key, &self.intermediate.issuer)
            .expect("sign sub-intermediate");
        let sub_issuer = Issuer::new(sub_params, sub_key);
        let key = KeyPair::generate().expect("generate leaf key");
        let leaf = leaf_params(&[name], days(-1), days(90))
            .signed_by(&key, &sub_issuer)
            .expect("sign leaf");
        ServerCert {
            chain: vec![
                leaf.der().clone(),
                sub.der().clone(),
                self.intermediate.cert.clone(),
            ],
            key: PrivatePkcs8KeyDer::from(key.serialize_der()).into(),
        }
    }

    /// The intermediate again (same name and key, so it still verifies the leaf),
    /// valid until now + `n` days.
    fn reissued_intermediate(&self, n: i64) -> CertificateDer<'static> {
        let mut params = ca_params("mailtls Test Intermediate", Some(0));
        params.not_after = days(n);
        params
            .signed_by(self.intermediate.issuer.key(), &self.root.issuer)
            .expect("re-sign intermediate")
            .der()
            .clone()
    }

    /// A leaf the `openssl` command signs: with SHA-1 by the test intermediate, or
    /// (`weak_intermediate`) with SHA-256 by a fresh 1024-bit RSA intermediate that
    /// the test root signs. rcgen (rightly) makes neither. The leaf key is P-256, so
    /// the TLS server itself works as usual.
    /// An OCSP response for `cert`'s leaf (issued by the test intermediate),
    /// signed by the intermediate and valid for a day, made with `openssl ocsp`
    /// against a CA index that lists the leaf as `case` says.
    ///
    /// Panics if the `openssl` command is missing or fails.
    pub fn ocsp_response(&self, cert: &ServerCert, case: OcspCase) -> Vec<u8> {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = |f: &str| dir.path().join(f).to_string_lossy().into_owned();
        let write =
            |f: &str, bytes: &[u8]| std::fs::write(path(f), bytes).expect("write temp file");
        let leaf = cert.chain.first().expect("a leaf");
        write(
            "leaf.pem",
            pem::encode_config(&pem::Pem::new("CERTIFICATE", leaf.as_ref()), pem_config())
                .as_bytes(),
        );
        self.write_ocsp_index(dir.path(), &x509_serial_hex(leaf.as_ref()), case);
        openssl(&[
            "ocsp",
            "-issuer",
            &path("inter.pem"),
            "-cert",
            &path("leaf.pem"),
            "-no_nonce",
            "-reqout",
            &path("req.der"),
        ]);
        openssl(&[
            "ocsp",
            "-index",
            &path("index.txt"),
            "-rsigner",
            &path("inter.pem"),
            "-rkey",
            &path("inter.key"),
            "-CA",
            &path("inter.pem"),
            "-reqin",
            &path("req.der"),
            "-respout",
            &path("resp.der"),
            "-ndays",
            "1",
        ]);
        std::fs::read(path("resp.der")).expect("read the OCSP response")
    }

    /// Writes what `openssl ocsp` needs to answer for the leaf numbered
    /// `serial` as the test intermediate, into `dir`: `index.txt` (listing it as `case`
    /// says), `inter.pem` and `inter.key`. Returns their paths in that order.
    pub fn write_ocsp_responder(&self, dir: &Path, serial: u64, case: OcspCase) -> [PathBuf; 3] {
        self.write_ocsp_index(dir, &format!("{serial:016X}"), case)
    }

    /// [`TestPki::write_ocsp_responder`] for the leaf whose serial number is
    /// `serial` in hexadecimal, as the CA index writes it.
    fn write_ocsp_index(&self, dir: &Path, serial: &str, case: OcspCase) -> [PathBuf; 3] {
        let write = |f: &str, bytes: &[u8]| {
            let path = dir.join(f);
            std::fs::write(&path, bytes).expect("write temp file");
            path
        };
        let line = match case {
            OcspCase::Good => format!(
                "V\t{}\t\t{serial}\tunknown\t/CN=leaf\n",
                asn1_time(days(90))
            ),
            OcspCase::Revoked => format!(
                "R\t{}\t{},keyCompromise\t{serial}\tunknown\t/CN=leaf\n",
                asn1_time(days(90)),
                asn1_time(days(-1))
            ),
        };
        write("index.txt.attr", b"unique_subject = no\n");
        [
            write("index.txt", line.as_bytes()),
            write("inter.pem", self.intermediate.pem.as_bytes()),
            write(
                "inter.key",
                self.intermediate.issuer.key().serialize_pem().as_bytes(),
            ),
        ]
    }

    /// A CRL of the test intermediate listing the serial numbers `revoked`
    /// (keyCompromise, a day ago), issued a day ago and next updated in
    /// `next_update_days` (negative: out of date).
    pub fn crl(&self, revoked: &[u64], next_update_days: i64) -> Vec<u8> {
        let revoked_certs = revoked
            .iter()
            .map(|&serial| rcgen::RevokedCertParams {
                serial_number: rcgen::SerialNumber::from(serial),
                revocation_time: days(-1),
                reason_code: Some(rcgen::RevocationReason::KeyCompromise),
                invalidity_date: None,
            })
            .collect();
        let params = rcgen::CertificateRevocationListParams {
            this_update: days(-1).min(days(next_update_days - 1)),
            next_update: days(next_update_days),
            crl_number: rcgen::SerialNumber::from(1u64),
            issuing_distribution_point: None,
            revoked_certs,
            key_identifier_method: rcgen::KeyIdMethod::Sha256,
        };
        params
            .signed_by(&self.intermediate.issuer)
            .expect("sign the CRL")
            .der()
            .to_vec()
    }

    fn openssl_leaf(&self, name: &str, weak_intermediate: bool) -> ServerCert {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = |f: &str| dir.path().join(f).to_string_lossy().into_owned();
        let write = |f: &str, text: &str| std::fs::write(path(f), text).expect("write temp file");
        write("root.pem", &self.root.pem);
        write("root.key", &self.root.issuer.key().serialize_pem());
        write("inter.pem", &self.intermediate.pem);
        write("inter.key", &self.intermediate.issuer.key().serialize_pem());
        write(
            "leaf.ext",
            &format!("subjectAltName=DNS:{name}\nbasicConstraints=critical,CA:FALSE\nkeyUsage=critical,digitalSignature\nextendedKeyUsage=serverAuth\nauthorityKeyIdentifier=keyid\n"),
        );
        write(
            "inter.ext",
            "basicConstraints=critical,CA:TRUE,pathlen:0\nkeyUsage=critical,keyCertSign,cRLSign,digitalSignature\nsubjectKeyIdentifier=hash\nauthorityKeyIdentifier=keyid\n",
        );
        let (ca_pem, ca_key, digest) = if weak_intermediate {
            openssl(&[
                "genpkey",
                "-algorithm",
                "RSA",
                "-pkeyopt",
                "rsa_keygen_bits:1024",
                "-out",
                &path("weak.key"),
            ]);
            openssl(&[
                "req",
                "-new",
                "-key",
                &path("weak.key"),
                "-subj",
                "/O=mailtls tests/CN=mailtls Weak Intermediate",
                "-out",
                &path("weak.csr"),
            ]);
            openssl(&[
                "x509",
                "-req",
                "-in",
                &path("weak.csr"),
                "-CA",
                &path("root.pem"),
                "-CAkey",
                &path("root.key"),
                "-sha256",
                "-days",
                "365",
                "-set_serial",
                "7",
                "-extfile",
                &path("inter.ext"),
                "-out",
                &path("weak.pem"),
            ]);
            (path("weak.pem"), path("weak.key"), "-sha256")
        } else {
            (path("inter.pem"), path("inter.key"), "-sha1")
        };
        openssl(&[
            "genpkey",
            "-algorithm",
            "EC",
            "-pkeyopt",
            "ec_paramgen_curve:P-256",
            "-out",
            &path("leaf.key"),
        ]);
        openssl(&[
            "req",
            "-new",
            "-key",
            &path("leaf.key"),
            "-subj",
            &format!("/CN={name}"),
            "-out",
            &path("leaf.csr"),
        ]);
        openssl(&[
            "x509",
            "-req",
            "-in",
            &path("leaf.csr"),
            "-CA",
            &ca_pem,
            "-CAkey",
            &ca_key,
            digest,
            "-days",
            "90",
            "-set_serial",
            "8",
            "-extfile",
            &path("leaf.ext"),
            "-out",
            &path("leaf.pem"),
        ]);
        let read_cert = |file: &str| {
            CertificateDer::from_pem_file(file).expect("openssl wrote a PEM certificate")
        };
        let key = PrivateKeyDer::from_pem_file(path("leaf.key")).expect("openssl wrote a PEM key");
        ServerCert {
            chain: vec![read_cert(&path("leaf.pem")), read_cert(&ca_pem)],
            key,
        }
    }
}

/// An Authority Information Access extension naming an OCSP responder at `url`.
fn aia_ocsp(url: &str) -> Vec<u8> {
    // AccessDescription { id-ad-ocsp 1.3.6.1.5.5.7.48.1, [6] IA5String }
    let mut access = vec![0x06, 0x08, 0x2B, 0x06, 0x01, 0x05, 0x05, 0x07, 0x30, 0x01];
    access.push(0x86);
    access.push(u8::try_from(url.len()).expect("a short URL"));
    access.extend_from_slice(url.as_bytes());
    let mut description = vec![0x30, u8::try_from(access.len()).expect("short")];
    description.extend(access);
    let mut aia = vec![0x30, u8::try_from(description.len()).expect("short")];
    aia.extend(description);
    aia
}

/// `t` as OpenSSL's CA index writes times (UTCTime).
fn asn1_time(t: OffsetDateTime) -> String {
    format!(
        "{:02}{:02}{:02}{:02}{:02}{:02}Z",
        t.year() % 100,
        u8::from(t.month()),
        t.day(),
        t.hour(),
        t.minute(),
        t.second()
    )
}

/// Runs `openssl ARGS`, panicking with its output when it fails.
/// A certificate's serial number in uppercase hex, as OpenSSL's CA index writes it.
fn x509_serial_hex(der: &[u8]) -> String {
    // Certificate ::= SEQUENCE { tbsCertificate SEQUENCE { [0] version, serialNumber INTEGER, … } }
    fn header(bytes: &[u8]) -> (usize, usize) {
        let first = bytes[1];
        if first < 0x80 {
            (2, usize::from(first))
        } else {
            let n = usize::from(first & 0x7F);
            let len = bytes[2..2 + n]
                .iter()
                .fold(0usize, |acc, &b| acc << 8 | usize::from(b));
            (2 + n, len)
        }
    }
    let (h, _) = header(der);
    let tbs = &der[h..];
    let (h, _) = header(tbs);
    let mut at = &tbs[h..];
    if at[0] == 0xA0 {
        let (h, len) = header(at);
        at = &at[h + len..];
    }
    let (h, len) = header(at);
    let bytes = &at[h..h + len];
    let first = bytes.iter().position(|&b| b != 0).unwrap_or(bytes.len());
    let hex: String = bytes[first..].iter().map(|b| format!("{b:02X}")).collect();
    if hex.is_empty() {
        "00".to_owned()
    } else {
        hex
    }
}

fn openssl(args: &[&str]) {
    let output = std::process::Command::new("openssl")
        .args(args)
        .output()
        .expect("run openssl (install Debian's openssl package)");
    assert!(
        output.status.success(),
        "openssl {} failed: {}",
        args.join(" "),
        String::from_utf8_lossy(&output.stderr)
    );
}

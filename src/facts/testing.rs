//! Hand-made facts for the rules' unit tests: one fluent builder of
//! [`CheckFacts`], with builders for the certificates and the probe in it.
//!
//! Everything is fixed: the check starts at [`NOW`] (not the clock), the host is
//! [`HOST`], and certificate dates are given relative to the start, so a test
//! says only what matters to its rule:
//!
//! ```ignore
//! let facts = FactsBuilder::good()
//!     .cert_at(0, CertBuilder::leaf(HOST).expires_in_days(3))
//!     .build();
//! ```
//!
//! Only the name-mismatch rule reads DER (it asks WebPKI about `tls.chain[0]`);
//! [`FactsBuilder::der_leaf`] makes a real leaf with rcgen for it.

use std::net::{IpAddr, Ipv4Addr, SocketAddr};

use rustls_pki_types::CertificateDer;

use super::audit::{AuditFacts, AuditTest};
use super::cert::{rfc3339, CertFacts};
use super::dialogue::DialogueFacts;
use super::probe::{
    Acceptance, Auth, Kx, Mac, ProbeFacts, SuiteFacts, TlsVersion, VersionProbe, Weakness,
};
use super::protocol::{Protocol, TlsMode};
use super::stop::{CheckError, Stop};
use super::target::{Host, Target};
use super::tls::{
    KeyExchange, StoreKind, StoreVerdict, TlsFacts, TrustBase, TrustDescription, Verification,
    VerifyError,
};
use super::{CheckFacts, FetchedIssuer};

/// When every hand-made check starts: 2026-01-01T00:00:00Z.
pub const NOW: i64 = 1_767_225_600;

/// Seconds in a day.
pub const DAY: i64 = 86_400;

/// The host every hand-made check talks to.
pub const HOST: &str = "mail.test";

/// The issuer of [`CertBuilder::leaf`] and subject of the default intermediate.
pub const INTERMEDIATE: &str = "O=mailtls tests, CN=Test Intermediate";

/// The issuer of the default intermediate and subject of [`CertBuilder::root`] by default.
pub const ROOT: &str = "O=mailtls tests, CN=Test Root";

/// The address the hand-made check connected to.
pub fn address(port: u16) -> SocketAddr {
    SocketAddr::new(IpAddr::V4(Ipv4Addr::new(192, 0, 2, 1)), port)
}

/// Builds one [`CheckFacts`].
#[derive(Debug, Clone)]
pub struct FactsBuilder {
    facts: CheckFacts,
    certs: Vec<CertBuilder>,
    der_names: Option<Vec<String>>,
}

impl FactsBuilder {
    /// A check of [`HOST`] on the protocol's standard port in `mode`, started at
    /// [`NOW`], that has seen nothing yet (no TLS, no stop).
    pub fn new(protocol: Protocol, mode: TlsMode) -> FactsBuilder {
        let port = protocol.default_port(mode);
        let target = Target::at(Host::Name(HOST.to_owned()), port, protocol, mode);
        let mut facts = CheckFacts::new(target);
        facts.started_unix = NOW;
        facts.started_at = rfc3339(NOW);
        facts.duration_ms = 42;
        facts.addresses = vec![address(port)];
        facts.connected_to = Some(address(port));
        FactsBuilder {
            facts,
            certs: Vec::new(),
            der_names: None,
        }
    }

    /// IMAP on port 993 with SSL/TLS, nothing seen yet.
    pub fn imaps() -> FactsBuilder {
        FactsBuilder::new(Protocol::Imap, TlsMode::Implicit)
    }

    /// `protocol` on its STARTTLS port, nothing seen yet.
    pub fn starttls(protocol: Protocol) -> FactsBuilder {
        FactsBuilder::new(protocol, TlsMode::Starttls)
    }

    /// A check with nothing to complain about: IMAPS, TLS 1.3, the leaf and its
    /// intermediate, trusted by Mozilla's store.
    pub fn good() -> FactsBuilder {
        FactsBuilder::imaps().tls13().good_chain().trusted()
    }

    /// Another port (the target's input follows).
    pub fn port(mut self, port: u16) -> FactsBuilder {
        let t = &self.facts.target;
        self.facts.target = Target::at(t.host.clone(), port, t.protocol, t.mode);
        self.facts.addresses = vec![address(port)];
        self.facts.connected_to = Some(address(port));
        self
    }

    /// Another host: a name, or an IP address literal.
    pub fn host(mut self, host: &str) -> FactsBuilder {
        let t = &self.facts.target;
        let host = match host.parse::<IpAddr>() {
            Ok(ip) => Host::Ip(ip),
            Err(_) => Host::Name(host.to_owned()),
        };
        self.facts.target = Target::at(host, t.port, t.protocol, t.mode);
        self
    }

    /// Another start time (Unix seconds); certificate ages follow.
    pub fn started(mut self, unix: i64) -> FactsBuilder {
        self.facts.started_unix = unix;
        self.facts.started_at = rfc3339(unix);
        self
    }

    fn tls_mut(&mut self) -> &mut TlsFacts {
        self.facts.tls.get_or_insert_with(TlsFacts::default)
    }

    /// A completed handshake with this version ("TLSv1.3") and suite (IANA name).
    pub fn session(mut self, version: &str, suite: &str) -> FactsBuilder {
        let sni = match &self.facts.target.host {
            Host::Name(name) => Some(name.clone()),
            Host::Ip(_) => None,
        };
        let tls = self.tls_mut();
        tls.version = Some(version.to_owned());
        tls.cipher_suite = Some(suite.to_owned());
        tls.key_exchange = Some(KeyExchange {
            group: "X25519".to_owned(),
            post_quantum: false,
        });
        tls.sni = sni;
        tls.handshake_ms = Some(5);
        self
    }

    /// A TLS 1.3 session with AES-256-GCM.
    pub fn tls13(self) -> FactsBuilder {
        self.session("TLSv1.3", "TLS_AES_256_GCM_SHA384")
    }

    /// A TLS 1.2 session with ECDHE and AES-128-GCM.
    pub fn tls12(self) -> FactsBuilder {
        self.session("TLSv1.2", "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256")
    }

    /// Appends a certificate to the chain as sent (its position is its place).
    pub fn cert(mut self, cert: CertBuilder) -> FactsBuilder {
        self.certs.push(cert);
        self
    }

    /// Replaces the certificate at `position` (e.g. the leaf of [`FactsBuilder::good`]).
    pub fn cert_at(mut self, position: usize, cert: CertBuilder) -> FactsBuilder {
        self.certs[position] = cert;
        self
    }

    /// Appends the leaf for the host and the intermediate that issued it (the
    /// root is not sent, as it should not be).
    pub fn good_chain(self) -> FactsBuilder {
        let host = self.facts.target.host.to_string();
        self.cert(CertBuilder::leaf(&host))
            .cert(CertBuilder::intermediate())
    }

    fn verification(mut self, trusted: bool, error: Option<VerifyError>) -> FactsBuilder {
        self.tls_mut().verification = Some(Verification {
            trust_store: TrustDescription {
                base: TrustBase::Mozilla,
                ca_files: Vec::new(),
                roots: 150,
            },
            // Filled in with the host by `build` (the host may still change).
            name: String::new(),
            trusted,
            error,
        });
        self
    }

    /// The chain verified: trusted by Mozilla's store.
    pub fn trusted(self) -> FactsBuilder {
        self.verification(true, None)
    }

    /// The chain did not verify, for this reason.
    pub fn verify_error(self, error: VerifyError) -> FactsBuilder {
        self.verification(false, Some(error))
    }

    /// One trust store's verdict: trusted, refused (with no error given), or
    /// unavailable (`None`).
    pub fn store(mut self, store: StoreKind, trusted: Option<bool>) -> FactsBuilder {
        self.facts.trust_by_store.push(StoreVerdict {
            store,
            trusted,
            error: (trusted == Some(false)).then_some(VerifyError::UnknownIssuer),
            unavailable: trusted.is_none().then(|| "not loaded".to_owned()),
        });
        self
    }

    /// IMAPS with only the leaf sent, its issuer named by AIA at `url`, and no
    /// store trusting it: the missing-intermediate case.
    pub fn missing_intermediate(url: &str) -> FactsBuilder {
        FactsBuilder::imaps()
            .tls13()
            .cert(CertBuilder::leaf(HOST).ca_issuers_url(url))
            .verify_error(VerifyError::UnknownIssuer)
            .store(StoreKind::Mozilla, Some(false))
            .store(StoreKind::System, Some(false))
            .platforms(false, Some(VerifyError::UnknownIssuer))
    }

    /// Every platform store's verdict (Apple, Windows, Android, Android 8, Java).
    pub fn platforms(mut self, trusted: bool, error: Option<VerifyError>) -> FactsBuilder {
        self.facts.trust_by_platform = StoreKind::PLATFORMS
            .into_iter()
            .map(|store| StoreVerdict {
                store,
                trusted: Some(trusted),
                error: error.clone(),
                unavailable: None,
            })
            .collect();
        self
    }

    /// One platform store's verdict changed to `trusted` (after [`Self::platforms`]).
    pub fn platform(mut self, store: StoreKind, trusted: Option<bool>) -> FactsBuilder {
        for verdict in self.facts.trust_by_platform.iter_mut() {
            if verdict.store == store {
                verdict.trusted = trusted;
                verdict.error = (trusted == Some(false)).then_some(VerifyError::UnknownIssuer);
            }
        }
        self
    }

    /// The missing intermediate downloaded from `url`; with it the chain is
    /// trusted by the platform stores `trusting` and by no other.
    pub fn downloaded_issuer(mut self, url: &str, trusting: &[StoreKind]) -> FactsBuilder {
        self.facts.fetched_issuer = Some(FetchedIssuer {
            url: url.to_owned(),
            certificate: None,
            completes_chain: Some(false),
            trusted_by_platform: StoreKind::PLATFORMS
                .into_iter()
                .map(|store| StoreVerdict {
                    store,
                    trusted: Some(trusting.contains(&store)),
                    error: (!trusting.contains(&store)).then_some(VerifyError::UnknownIssuer),
                    unavailable: None,
                })
                .collect(),
            error: None,
        });
        self
    }

    /// The missing intermediate, as `--fetch-missing` found it.
    pub fn fetched_issuer(mut self, fetched: FetchedIssuer) -> FactsBuilder {
        self.facts.fetched_issuer = Some(fetched);
        self
    }

    /// The server stapled an OCSP response.
    pub fn ocsp_stapled(mut self) -> FactsBuilder {
        self.tls_mut().ocsp_stapled = true;
        self
    }

    /// `--revocation` asked about the leaf and got this.
    pub fn revocation(mut self, leaf: crate::facts::revocation::CertRevocation) -> FactsBuilder {
        self.facts.revocation = Some(crate::facts::revocation::RevocationFacts {
            certificates: vec![leaf],
        });
        self
    }

    /// The server stapled an OCSP response saying this.
    pub fn ocsp(mut self, ocsp: crate::facts::ocsp::OcspFacts) -> FactsBuilder {
        let tls = self.tls_mut();
        tls.ocsp_stapled = true;
        tls.ocsp = Some(ocsp);
        self
    }

    /// A real leaf certificate (DER, made with rcgen) covering exactly `names`
    /// as the chain sent, for the rules that ask WebPKI; the leaf's facts get
    /// the same names.
    pub fn der_leaf(mut self, names: &[&str]) -> FactsBuilder {
        self.der_names = Some(names.iter().map(|n| (*n).to_owned()).collect());
        self
    }

    /// The check stopped with this error.
    pub fn stopped(mut self, error: CheckError) -> FactsBuilder {
        self.facts.stopped = Some(Stop::from(error));
        self
    }

    /// The check stopped, as a report older than typed errors says it.
    pub fn stopped_untyped(mut self, stop: Stop) -> FactsBuilder {
        self.facts.stopped = Some(stop);
        self
    }

    /// The server's first greeting line.
    pub fn greeting(mut self, line: &str) -> FactsBuilder {
        self.facts.dialogue.greeting = Some(line.to_owned());
        self
    }

    /// The capabilities announced in plaintext; STARTTLS counts as offered when
    /// one of them is STARTTLS or STLS (or, for ManageSieve, `"STARTTLS"`).
    pub fn caps_before(mut self, caps: &[&str]) -> FactsBuilder {
        let offered = caps.iter().any(|c| {
            let c = c.trim_matches('"').to_ascii_uppercase();
            c == "STARTTLS" || c == "STLS"
        });
        self.facts.dialogue = DialogueFacts {
            capabilities_before_tls: Some(strings(caps)),
            starttls_offered: Some(offered),
            ..self.facts.dialogue
        };
        self
    }

    /// The capabilities announced inside TLS.
    pub fn caps_after(mut self, caps: &[&str]) -> FactsBuilder {
        self.facts.dialogue.capabilities_after_tls = Some(strings(caps));
        self
    }

    fn audit_mut(&mut self) -> &mut AuditFacts {
        self.facts.audit.get_or_insert_with(AuditFacts::default)
    }

    /// The outcome of the STARTTLS command-injection test (`--audit`).
    pub fn audit_injection(mut self, test: AuditTest) -> FactsBuilder {
        self.audit_mut().injection = Some(test);
        self
    }

    /// The outcome of the POP3 `USER` before TLS test (`--audit`).
    pub fn audit_pop3_user(mut self, test: AuditTest) -> FactsBuilder {
        self.audit_mut().pop3_user_before_tls = Some(test);
        self
    }

    /// What the probe (`--probe`) found.
    pub fn probe(mut self, probe: ProbeBuilder) -> FactsBuilder {
        self.facts.probe = Some(probe.build());
        self
    }

    /// The server asked for a client certificate, naming these authorities.
    pub fn client_cert_requested(mut self, authorities: &[&str]) -> FactsBuilder {
        self.facts.client_certificate_requested = Some(strings(authorities));
        self.tls_mut().client_cert_request = Some(Vec::new());
        self
    }

    /// mailtls presented a client certificate with this subject.
    pub fn client_cert_sent(mut self, subject: &str) -> FactsBuilder {
        self.tls_mut().client_cert_sent = Some(subject.to_owned());
        self
    }

    /// The server sent these bytes after its STARTTLS go-ahead, before TLS.
    pub fn unexpected_plaintext(mut self, text: &str) -> FactsBuilder {
        self.facts.unexpected_plaintext = Some(text.to_owned());
        self
    }

    /// The greeting came `ms` milliseconds after the connection.
    pub fn greeting_after(mut self, ms: u64) -> FactsBuilder {
        self.facts.greeting_ms = Some(ms);
        self
    }

    /// A capability list was cut to what mailtls keeps.
    pub fn capabilities_truncated(mut self) -> FactsBuilder {
        self.facts.dialogue.capabilities_truncated = true;
        self
    }

    /// TLSA records were asked for (`--dane`): this answer, with these
    /// records (usage, selector, matching type, result) at `_25._tcp.mx.example.org`.
    pub fn dane(
        mut self,
        dnssec: crate::facts::dane::Dnssec,
        records: &[(u8, u8, u8, crate::facts::dane::TlsaMatch)],
        error: Option<&str>,
    ) -> FactsBuilder {
        self.facts.dane = Some(crate::facts::dane::DaneFacts {
            name: "_25._tcp.mx.example.org".to_owned(),
            dnssec,
            records: records
                .iter()
                .enumerate()
                .map(|(i, (usage, selector, matching_type, result))| {
                    crate::facts::dane::TlsaRecord {
                        usage: *usage,
                        selector: *selector,
                        matching_type: *matching_type,
                        data: format!("{i:02x}").repeat(32),
                        result: result.clone(),
                    }
                })
                .collect(),
            error: error.map(str::to_owned),
            timed_out: error.is_some_and(|e| e.contains("in time")),
            leaf_spki_sha256: Some("cd".repeat(32)),
            ..crate::facts::dane::DaneFacts::asked(String::new())
        });
        self
    }

    /// The TLSA answer (see [`FactsBuilder::dane`]) came out bogus or
    /// insecure through a DNS server nothing validates through (`why`).
    pub fn dane_unvalidatable(mut self, why: &str) -> FactsBuilder {
        if let Some(dane) = self.facts.dane.as_mut() {
            dane.unvalidatable(why.to_owned());
        }
        self
    }

    /// The transcript was cut to what mailtls keeps.
    pub fn transcript_truncated(mut self) -> FactsBuilder {
        self.facts.transcript.truncated = true;
        self
    }

    /// The facts.
    pub fn build(self) -> CheckFacts {
        let FactsBuilder {
            mut facts,
            certs,
            der_names,
        } = self;
        let now = facts.started_unix;
        let host = facts.target.host.to_string();
        facts.certificates = certs
            .into_iter()
            .enumerate()
            .map(|(position, c)| c.finish(position, now))
            .collect();
        if let Some(names) = der_names {
            if let Some(leaf) = facts.certificates.first_mut() {
                leaf.names.clone_from(&names);
            }
            let der = der_leaf(&names);
            facts.tls.get_or_insert_with(TlsFacts::default).chain = vec![der];
        }
        if let Some(v) = facts.tls.as_mut().and_then(|t| t.verification.as_mut()) {
            if v.name.is_empty() {
                v.name = host;
            }
        }
        facts
    }
}

fn strings(items: &[&str]) -> Vec<String> {
    items.iter().map(|s| (*s).to_owned()).collect()
}

/// A leaf certificate (DER) whose subjectAltName holds exactly `names` (none
/// at all when empty), self-signed with a fresh P-256 key.
pub fn der_leaf(names: &[String]) -> CertificateDer<'static> {
    let mut params =
        rcgen::CertificateParams::new(names.to_vec()).expect("names rcgen accepts as SANs");
    params.distinguished_name = rcgen::DistinguishedName::new();
    params
        .distinguished_name
        .push(rcgen::DnType::CommonName, "mailtls test leaf");
    let key = rcgen::KeyPair::generate().expect("generate a P-256 key");
    params
        .self_signed(&key)
        .expect("self-sign the test leaf")
        .der()
        .clone()
}

/// Builds one [`CertFacts`]; times are Unix seconds (use [`NOW`] and [`DAY`]),
/// and the derived fields (RFC 3339 times, days left, validity) are filled in
/// when the facts are built.
#[derive(Debug, Clone)]
pub struct CertBuilder {
    cert: CertFacts,
    validity_days: Option<i64>,
}

impl CertBuilder {
    fn new(subject: &str, issuer: &str) -> CertBuilder {
        CertBuilder {
            cert: CertFacts {
                subject: subject.to_owned(),
                issuer: issuer.to_owned(),
                serial: "01".to_owned(),
                not_before_unix: NOW - 30 * DAY,
                not_after_unix: NOW + 60 * DAY,
                key: "ECDSA P-256".to_owned(),
                key_bits: 256,
                signature_algorithm: "ecdsa-with-SHA256".to_owned(),
                ..CertFacts::default()
            },
            validity_days: None,
        }
    }

    /// A server certificate for `name` issued by [`INTERMEDIATE`], valid from 30
    /// days before the check until 60 days after.
    pub fn leaf(name: &str) -> CertBuilder {
        let mut c = CertBuilder::new(&format!("CN={name}"), INTERMEDIATE);
        c.cert.names = vec![name.to_owned()];
        c.cert.scts = vec![crate::facts::cert::Sct {
            log_id: "ERERERERERERERERERERERERERERERERERERERERERE=".to_owned(),
            timestamp: rfc3339(NOW - 31 * DAY),
            timestamp_unix: NOW - 31 * DAY,
        }];
        c
    }

    /// No Certificate Transparency timestamps (a leaf has one by default).
    pub fn without_scts(mut self) -> CertBuilder {
        self.cert.scts.clear();
        self
    }

    /// A self-signed server certificate for `name`.
    pub fn self_signed(name: &str) -> CertBuilder {
        let subject = format!("CN={name}");
        CertBuilder::leaf(name).issuer(&subject).self_issued(true)
    }

    /// [`INTERMEDIATE`], issued by [`ROOT`], valid for years either side.
    pub fn intermediate() -> CertBuilder {
        CertBuilder::ca(INTERMEDIATE, ROOT)
    }

    /// A CA certificate `subject` issued by `issuer`, valid for years either side.
    pub fn ca(subject: &str, issuer: &str) -> CertBuilder {
        let mut c = CertBuilder::new(subject, issuer)
            .valid(NOW - 1000 * DAY, NOW + 2000 * DAY)
            .is_ca(true);
        c.cert.self_issued = subject == issuer;
        c
    }

    /// A root: a self-issued CA certificate.
    pub fn root(subject: &str) -> CertBuilder {
        CertBuilder::ca(subject, subject)
    }

    /// Bytes that are not a certificate.
    pub fn unparsable(error: &str) -> CertBuilder {
        CertBuilder {
            cert: CertFacts {
                parse_error: Some(error.to_owned()),
                ..CertFacts::default()
            },
            validity_days: None,
        }
    }

    pub fn subject(mut self, subject: &str) -> CertBuilder {
        self.cert.subject = subject.to_owned();
        self
    }

    pub fn issuer(mut self, issuer: &str) -> CertBuilder {
        self.cert.issuer = issuer.to_owned();
        self
    }

    /// The DNS names and IP addresses of subjectAltName.
    pub fn names(mut self, names: &[&str]) -> CertBuilder {
        self.cert.names = strings(names);
        self
    }

    pub fn serial(mut self, serial: &str) -> CertBuilder {
        self.cert.serial = serial.to_owned();
        self
    }

    /// notBefore and notAfter, Unix seconds.
    pub fn valid(mut self, not_before: i64, not_after: i64) -> CertBuilder {
        self.cert.not_before_unix = not_before;
        self.cert.not_after_unix = not_after;
        self
    }

    /// notAfter this many days after the check started (negative: expired).
    pub fn expires_in_days(mut self, days: i64) -> CertBuilder {
        self.cert.not_after_unix = NOW + days * DAY;
        self
    }

    /// notBefore this many days after the check started (positive: not yet valid).
    pub fn valid_from_days(mut self, days: i64) -> CertBuilder {
        self.cert.not_before_unix = NOW + days * DAY;
        self
    }

    /// The key as the report names it ("RSA 2048", "ECDSA P-256") and its size.
    pub fn key(mut self, key: &str, bits: u32) -> CertBuilder {
        self.cert.key = key.to_owned();
        self.cert.key_bits = bits;
        self
    }

    /// An RSA key of this size.
    pub fn rsa(self, bits: u32) -> CertBuilder {
        self.key(&format!("RSA {bits}"), bits)
    }

    /// The certificate's own signature uses this broken hash ("SHA-1", "MD5").
    pub fn weak_signature(mut self, hash: &str) -> CertBuilder {
        self.cert.weak_signature_hash = Some(hash.to_owned());
        self.cert.signature_algorithm = format!("{}WithRSAEncryption", hash.replace('-', ""));
        self
    }

    pub fn is_ca(mut self, is_ca: bool) -> CertBuilder {
        self.cert.is_ca = is_ca;
        self
    }

    pub fn self_issued(mut self, self_issued: bool) -> CertBuilder {
        self.cert.self_issued = self_issued;
        self
    }

    /// Whole days from notBefore to notAfter, when it should not follow from them.
    pub fn validity_days(mut self, days: i64) -> CertBuilder {
        self.validity_days = Some(days);
        self
    }

    /// An AIA caIssuers URL: where the issuer's certificate can be fetched.
    pub fn ca_issuers_url(mut self, url: &str) -> CertBuilder {
        self.cert.ca_issuers_urls.push(url.to_owned());
        self
    }

    /// An AIA OCSP responder.
    pub fn ocsp_url(mut self, url: &str) -> CertBuilder {
        self.cert.ocsp_urls.push(url.to_owned());
        self
    }

    pub fn subject_key_id(mut self, id: &str) -> CertBuilder {
        self.cert.subject_key_id = Some(id.to_owned());
        self
    }

    pub fn authority_key_id(mut self, id: &str) -> CertBuilder {
        self.cert.authority_key_id = Some(id.to_owned());
        self
    }

    /// The TLS Feature extension asks for a stapled OCSP response.
    pub fn must_staple(mut self) -> CertBuilder {
        self.cert.must_staple = true;
        self
    }

    /// The certificate could not be parsed (everything else is dropped, as the parser does).
    pub fn parse_error(self, error: &str) -> CertBuilder {
        CertBuilder::unparsable(error)
    }

    /// The facts of the certificate at `position` of a check started at `now`.
    pub fn finish(self, position: usize, now: i64) -> CertFacts {
        let CertBuilder {
            mut cert,
            validity_days,
        } = self;
        cert.position = position;
        if cert.sha256.is_empty() {
            cert.sha256 = fake_fingerprint(&cert);
        }
        if cert.parse_error.is_some() {
            return cert;
        }
        cert.not_before = rfc3339(cert.not_before_unix);
        cert.not_after = rfc3339(cert.not_after_unix);
        cert.days_left = (cert.not_after_unix - now).div_euclid(DAY);
        cert.validity_days = validity_days
            .unwrap_or_else(|| (cert.not_after_unix - cert.not_before_unix).div_euclid(DAY));
        cert
    }
}

/// A stand-in fingerprint: the same for the same certificate, so duplicates are
/// seen as such, and different for different ones.
fn fake_fingerprint(cert: &CertFacts) -> String {
    match &cert.parse_error {
        Some(error) => format!("unparsable:{}:{error}", cert.position),
        None => format!(
            "{}|{}|{}|{}",
            cert.subject, cert.issuer, cert.serial, cert.not_after_unix
        ),
    }
}

/// Builds the probe's facts, version by version.
#[derive(Debug, Clone)]
pub struct ProbeBuilder {
    probe: ProbeFacts,
}

impl ProbeBuilder {
    /// A probe that asked about no version (yet).
    pub fn empty() -> ProbeBuilder {
        ProbeBuilder {
            probe: ProbeFacts {
                versions: Vec::new(),
                sslv2: "not_tested".to_owned(),
                legacy_certificates: Vec::new(),
                legacy_chain: Vec::new(),
                fallback_scsv: None,
                secure_renegotiation: None,
                extras: Default::default(),
                resumption: None,
                every_hello_closed: false,
                stopped: None,
                connections: 12,
                duration_ms: 300,
            },
        }
    }

    /// A well-configured server: SSL 3.0 to TLS 1.1 refused; TLS 1.2 with ECDHE
    /// AES-GCM and TLS 1.3 accepted, every list complete.
    pub fn modern() -> ProbeBuilder {
        ProbeBuilder::empty()
            .refuses(TlsVersion::Ssl3)
            .refuses(TlsVersion::Tls10)
            .refuses(TlsVersion::Tls11)
            .suites(
                TlsVersion::Tls12,
                vec![
                    suite("TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384"),
                    suite("TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256"),
                ],
            )
            .suites(
                TlsVersion::Tls13,
                vec![SuiteFacts {
                    key_exchange: Kx::Tls13,
                    authentication: Auth::Any,
                    ..suite("TLS_AES_256_GCM_SHA384")
                }],
            )
    }

    fn version_mut(&mut self, version: TlsVersion) -> &mut VersionProbe {
        let versions = &mut self.probe.versions;
        let at = match versions.iter().position(|v| v.version == version) {
            Some(at) => at,
            None => {
                versions.push(VersionProbe::new(version));
                versions.sort_by_key(|v| v.version);
                versions
                    .iter()
                    .position(|v| v.version == version)
                    .expect("just added")
            }
        };
        &mut versions[at]
    }

    /// The answer for `version`; anything but `Yes` clears its suites.
    pub fn accepts(mut self, version: TlsVersion, accepted: Acceptance) -> ProbeBuilder {
        let v = self.version_mut(version);
        v.accepted = accepted;
        if accepted != Acceptance::Yes {
            v.suites.clear();
            v.suites_complete = false;
            v.server_order = None;
            v.groups = None;
            v.groups_complete = false;
            v.detail = Some(match accepted {
                Acceptance::No => "protocol_version alert".to_owned(),
                _ => "connection reset".to_owned(),
            });
        }
        self
    }

    /// The server refuses `version`.
    pub fn refuses(self, version: TlsVersion) -> ProbeBuilder {
        self.accepts(version, Acceptance::No)
    }

    /// The probe could not tell about `version`.
    pub fn inconclusive(self, version: TlsVersion) -> ProbeBuilder {
        self.accepts(version, Acceptance::Inconclusive)
    }

    /// The server accepts `version` with exactly these suites (a complete list).
    pub fn suites(mut self, version: TlsVersion, suites: Vec<SuiteFacts>) -> ProbeBuilder {
        let v = self.version_mut(version);
        v.accepted = Acceptance::Yes;
        v.detail = None;
        v.server_order = (suites.len() > 1).then_some(true);
        v.suites = suites;
        v.suites_complete = true;
        self
    }

    /// What the TLS_FALLBACK_SCSV hello found.
    pub fn fallback_scsv(mut self, supported: bool) -> ProbeBuilder {
        self.probe.fallback_scsv = Some(supported);
        self
    }

    /// Whether the ServerHellos carried renegotiation_info.
    pub fn secure_renegotiation(mut self, supported: bool) -> ProbeBuilder {
        self.probe.secure_renegotiation = Some(supported);
        self
    }

    /// The suite list of `version` may be partial.
    pub fn suites_incomplete(mut self, version: TlsVersion) -> ProbeBuilder {
        self.version_mut(version).suites_complete = false;
        self
    }

    /// The groups of `version`, and whether the list is complete.
    pub fn groups(mut self, version: TlsVersion, groups: &[&str], complete: bool) -> ProbeBuilder {
        let v = self.version_mut(version);
        v.groups = Some(strings(groups));
        v.groups_complete = complete;
        self
    }

    /// The extra questions' answers.
    pub fn extras(mut self, extras: crate::facts::probe::ProbeExtras) -> ProbeBuilder {
        self.probe.extras = extras;
        self
    }

    /// Probing stopped early, for this reason.
    pub fn stopped(mut self, reason: &str) -> ProbeBuilder {
        self.probe.stopped = Some(reason.to_owned());
        self
    }

    pub fn build(self) -> ProbeFacts {
        self.probe
    }
}

/// A sound TLS 1.2 suite: ECDHE, RSA, AES-GCM (forward secrecy, AEAD, no weakness).
pub fn suite(name: &str) -> SuiteFacts {
    SuiteFacts {
        name: name.to_owned(),
        openssl_name: name.to_owned(),
        code: "0xC030".to_owned(),
        key_exchange: Kx::Ecdhe,
        authentication: Auth::Rsa,
        cipher: "AES-256-GCM".to_owned(),
        bits: 256,
        mac: Mac::Aead,
        forward_secrecy: true,
        aead: true,
        weakness: None,
        rank: 100,
    }
}

/// A CBC-mode suite with a SHA-1 MAC, still forward secret (weakness "legacy").
pub fn cbc_suite(name: &str) -> SuiteFacts {
    SuiteFacts {
        cipher: "AES-128-CBC".to_owned(),
        bits: 128,
        mac: Mac::Sha1,
        aead: false,
        weakness: Some(Weakness::Legacy),
        rank: 50,
        ..suite(name)
    }
}

/// A suite with RSA key exchange: no forward secrecy.
pub fn rsa_kx_suite(name: &str) -> SuiteFacts {
    SuiteFacts {
        key_exchange: Kx::Rsa,
        forward_secrecy: false,
        rank: 40,
        ..suite(name)
    }
}

/// A suite whose worst trait is `weakness` (RSA key exchange, not AEAD).
pub fn weak_suite(name: &str, weakness: Weakness) -> SuiteFacts {
    SuiteFacts {
        cipher: "weak".to_owned(),
        mac: Mac::Sha1,
        aead: false,
        weakness: Some(weakness),
        rank: 1,
        ..rsa_kx_suite(name)
    }
}

/// An audit test that showed the weakness, with the server line that decided it.
pub fn audit_positive(evidence: &str) -> AuditTest {
    AuditTest {
        positive: Some(true),
        evidence: Some(evidence.to_owned()),
        note: None,
    }
}

/// An audit test that showed the weakness absent.
pub fn audit_negative(evidence: &str) -> AuditTest {
    AuditTest {
        positive: Some(false),
        evidence: Some(evidence.to_owned()),
        note: None,
    }
}

/// A readable, successful staple saying `status` about the leaf, valid from an
/// hour before the check until `next_update` (Unix seconds).
pub fn staple(
    status: crate::facts::ocsp::OcspStatus,
    next_update: i64,
) -> crate::facts::ocsp::OcspFacts {
    crate::facts::ocsp::OcspFacts {
        bytes: 1500,
        response_status: "successful".to_owned(),
        status: Some(status),
        responder: Some("CN=Test Intermediate".to_owned()),
        produced_at: Some(rfc3339(NOW - 3600)),
        this_update: Some(rfc3339(NOW - 3600)),
        this_update_unix: Some(NOW - 3600),
        next_update: Some(rfc3339(next_update)),
        next_update_unix: Some(next_update),
        names_leaf: Some(true),
        signature_valid: Some(true),
        ..Default::default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::facts::chain;

    #[test]
    fn the_good_facts_are_a_complete_trusted_session() {
        let facts = FactsBuilder::good().build();
        assert_eq!(facts.target.input, "imaps://mail.test:993");
        assert_eq!(facts.started_at, "2026-01-01T00:00:00Z");
        let tls = facts.tls.as_ref().expect("tls");
        assert_eq!(tls.version.as_deref(), Some("TLSv1.3"));
        let v = tls.verification.as_ref().expect("verification");
        assert!(v.trusted && v.error.is_none());
        assert_eq!(v.name, HOST);
        let [leaf, inter] = &facts.certificates[..] else {
            panic!("two certificates");
        };
        assert_eq!((leaf.position, inter.position), (0, 1));
        assert_eq!(leaf.days_left, 60);
        assert_eq!(leaf.validity_days, 90);
        assert_eq!(leaf.not_after, "2026-03-02T00:00:00Z");
        assert_ne!(leaf.sha256, inter.sha256);
        let shape = chain::analyse(&facts.certificates);
        assert_eq!(shape.path, [0, 1]);
        assert!(!shape.out_of_order);
        assert_eq!(
            shape.top_issuer_missing.map(|m| m.name).as_deref(),
            Some(ROOT)
        );
    }

    #[test]
    fn the_same_certificate_twice_has_one_fingerprint() {
        let facts = FactsBuilder::good()
            .cert(CertBuilder::intermediate())
            .build();
        assert_eq!(chain::analyse(&facts.certificates).duplicates, [2]);
    }

    #[test]
    fn the_der_leaf_parses_with_the_names_given() {
        let facts = FactsBuilder::good()
            .der_leaf(&["other.test", "*.other.test"])
            .build();
        let der = &facts.tls.as_ref().expect("tls").chain;
        let parsed = crate::facts::cert::parse_chain(der, NOW);
        assert_eq!(parsed[0].names, ["other.test", "*.other.test"]);
        assert_eq!(facts.certificates[0].names, parsed[0].names);
    }

    #[test]
    fn the_modern_probe_lists_every_version_in_order() {
        let probe = ProbeBuilder::modern()
            .inconclusive(TlsVersion::Tls10)
            .build();
        let versions: Vec<_> = probe.versions.iter().map(|v| v.version).collect();
        assert_eq!(versions, TlsVersion::ALL);
        assert_eq!(
            probe.version(TlsVersion::Tls10).map(|v| v.accepted),
            Some(Acceptance::Inconclusive)
        );
    }
}

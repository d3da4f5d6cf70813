//! What the TLS probe (`check --probe`) found: versions, suites, groups, and
//! the chain of a server that speaks only legacy TLS.

use rustls_pki_types::CertificateDer;
use serde::{Deserialize, Serialize};

use crate::facts::cert::CertFacts;
use crate::facts::der;

/// A protocol version the probe asks about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum TlsVersion {
    #[serde(rename = "SSLv3")]
    Ssl3,
    #[serde(rename = "TLSv1.0")]
    Tls10,
    #[serde(rename = "TLSv1.1")]
    Tls11,
    #[serde(rename = "TLSv1.2")]
    Tls12,
    #[serde(rename = "TLSv1.3")]
    Tls13,
}

impl TlsVersion {
    pub const ALL: [TlsVersion; 5] = [
        TlsVersion::Ssl3,
        TlsVersion::Tls10,
        TlsVersion::Tls11,
        TlsVersion::Tls12,
        TlsVersion::Tls13,
    ];

    /// The version number on the wire.
    pub fn wire(self) -> u16 {
        match self {
            TlsVersion::Ssl3 => 0x0300,
            TlsVersion::Tls10 => 0x0301,
            TlsVersion::Tls11 => 0x0302,
            TlsVersion::Tls12 => 0x0303,
            TlsVersion::Tls13 => 0x0304,
        }
    }

    /// "SSLv3", "TLSv1.0", … as in the JSON report.
    pub fn name(self) -> &'static str {
        match self {
            TlsVersion::Ssl3 => "SSLv3",
            TlsVersion::Tls10 => "TLSv1.0",
            TlsVersion::Tls11 => "TLSv1.1",
            TlsVersion::Tls12 => "TLSv1.2",
            TlsVersion::Tls13 => "TLSv1.3",
        }
    }

    pub fn from_wire(wire: u16) -> Option<TlsVersion> {
        TlsVersion::ALL.into_iter().find(|v| v.wire() == wire)
    }
}

/// The answer to "does the server accept this?".
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Acceptance {
    Yes,
    No,
    /// The probe could not find out (connection closed, timed out, refused by the mail server).
    Inconclusive,
}

/// Everything the probe found.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ProbeFacts {
    /// SSL 3.0 to TLS 1.3, in that order.
    pub versions: Vec<VersionProbe>,
    /// SSL 2.0 is never offered (its hello format is not sent): always "not_tested".
    pub sslv2: String,
    /// The certificate chain read from the probe's own handshakes when the
    /// normal check could not get it: a server that accepts neither TLS 1.2 nor
    /// 1.3, or whose TLS 1.2 suites are all ones rustls lacks (RSA key exchange, CBC).
    pub legacy_certificates: Vec<CertFacts>,
    /// The same chain as sent (DER, base64), so the check can verify it like any other.
    #[serde(default, with = "der::certificates")]
    pub legacy_chain: Vec<CertificateDer<'static>>,
    /// TLS_FALLBACK_SCSV (RFC 7507): whether a hello for the second-highest
    /// accepted version carrying it was refused (inappropriate_fallback);
    /// `null` when fewer than two versions are accepted or it could not be told.
    #[serde(default)]
    pub fallback_scsv: Option<bool>,
    /// RFC 5746: whether every ServerHello of an accepted version up to TLS 1.2
    /// carried renegotiation_info (every probe hello offers the renegotiation
    /// SCSV); `null` when no such version is accepted.
    #[serde(default)]
    pub secure_renegotiation: Option<bool>,
    /// The extra questions asked by raw hello at one TLS ≤ 1.2 version:
    /// compression, extended master secret, heartbeat (and Heartbleed), CCS
    /// injection, DH parameters, the certificates served without SNI and per
    /// key type, ROBOT, client-initiated renegotiation.
    #[serde(default)]
    pub extras: ProbeExtras,
    /// Session resumption, tried with rustls (two handshakes sharing a session
    /// store per question); `null` when not tried.
    #[serde(default)]
    pub resumption: Option<ResumptionFacts>,
    /// Every version's hello ended in a close before the server answered
    /// anything (no ServerHello, no alert): nothing the probe could tell
    /// apart. On a STARTTLS port, whose dialogue went through each time,
    /// it means no TLS client gets a session.
    #[serde(default)]
    pub every_hello_closed: bool,
    /// Why probing stopped before it finished, if it did.
    pub stopped: Option<String>,
    pub connections: u32,
    pub duration_ms: u64,
}

impl ProbeFacts {
    pub fn version(&self, version: TlsVersion) -> Option<&VersionProbe> {
        self.versions.iter().find(|v| v.version == version)
    }

    /// The versions the server accepted, oldest first.
    pub fn accepted_versions(&self) -> Vec<TlsVersion> {
        self.versions
            .iter()
            .filter(|v| v.accepted == Acceptance::Yes)
            .map(|v| v.version)
            .collect()
    }
}

/// What the probe found for one version.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct VersionProbe {
    pub version: TlsVersion,
    pub accepted: Acceptance,
    /// How the server said no, or why the answer is inconclusive.
    pub detail: Option<String>,
    /// Accepted suites: in the server's order when it imposes one, else strongest first.
    pub suites: Vec<SuiteFacts>,
    /// False when the list may be partial (a connection failed during enumeration).
    pub suites_complete: bool,
    /// Whether the server picks by its own preference (`true`) or the client's;
    /// `null` when it could not be told (fewer than two suites, or inconsistent picks).
    pub server_order: Option<bool>,
    /// Accepted key-exchange groups (ECDHE curves for TLS 1.2); `null` when not tested.
    pub groups: Option<Vec<String>>,
    pub groups_complete: bool,
}

impl VersionProbe {
    pub fn new(version: TlsVersion) -> VersionProbe {
        VersionProbe {
            version,
            accepted: Acceptance::Inconclusive,
            detail: None,
            suites: Vec::new(),
            suites_complete: false,
            server_order: None,
            groups: None,
            groups_complete: false,
        }
    }

    /// The strongest and weakest accepted suite.
    pub fn strongest(&self) -> Option<&SuiteFacts> {
        self.suites.iter().max_by_key(|s| s.rank)
    }

    pub fn weakest(&self) -> Option<&SuiteFacts> {
        self.suites.iter().min_by_key(|s| s.rank)
    }
}

/// One accepted suite and what it is made of.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SuiteFacts {
    /// IANA name.
    pub name: String,
    pub openssl_name: String,
    /// e.g. "0xC02F".
    pub code: String,
    pub key_exchange: Kx,
    pub authentication: Auth,
    pub cipher: String,
    pub bits: u16,
    pub mac: Mac,
    pub forward_secrecy: bool,
    pub aead: bool,
    /// The worst thing about it, if anything.
    pub weakness: Option<Weakness>,
    /// Larger is stronger; only for ordering.
    #[serde(default)]
    pub rank: u32,
}

impl SuiteFacts {
    /// The suite's number on the wire, read back from `code`.
    pub fn wire_code(&self) -> Option<u16> {
        u16::from_str_radix(self.code.trim_start_matches("0x"), 16).ok()
    }
}

/// How the key is agreed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Kx {
    /// The client encrypts the secret to the server's RSA key: no forward secrecy.
    Rsa,
    /// Static Diffie-Hellman from the certificate: no forward secrecy.
    Dh,
    /// Ephemeral finite-field Diffie-Hellman.
    Dhe,
    /// Static elliptic-curve Diffie-Hellman from the certificate: no forward secrecy.
    Ecdh,
    /// Ephemeral elliptic-curve Diffie-Hellman.
    Ecdhe,
    /// TLS 1.3: always ephemeral, negotiated separately from the suite.
    Tls13,
}

/// How the server proves who it is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Auth {
    Rsa,
    Dss,
    Ecdsa,
    /// Nobody: anyone in the middle can impersonate the server.
    Anon,
    /// TLS 1.3: negotiated separately from the suite.
    Any,
}

/// The record MAC; `Aead` when the cipher authenticates itself.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Mac {
    Md5,
    Sha1,
    Sha256,
    Sha384,
    Aead,
}

/// Why a suite is weak, worst first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Weakness {
    /// No encryption at all.
    Null,
    /// No server authentication: a man in the middle is trivial.
    Anon,
    /// Deliberately weakened 40/56-bit "export" cryptography (FREAK, Logjam).
    Export,
    /// RC4: broken stream cipher (RFC 7465 forbids it).
    Rc4,
    /// Single DES or RC2: 56-bit keys or worse.
    Des,
    /// 3DES: 64-bit blocks (Sweet32), 112-bit strength.
    TripleDes,
    /// MD5 record MAC.
    Md5,
    /// Sound but dated: CBC mode with a SHA-1 MAC, or no forward secrecy (Lucky13 class).
    Legacy,
}

impl Weakness {
    /// Broken outright (as opposed to merely old).
    pub fn is_broken(self) -> bool {
        !matches!(self, Weakness::TripleDes | Weakness::Md5 | Weakness::Legacy)
    }
}

/// What the probe's extra hellos found. Every answer is `null` when it was not
/// asked (no TLS ≤ 1.2 version accepted) or could not be told.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ProbeExtras {
    /// The version the extra hellos offered (the highest accepted up to TLS 1.2).
    pub version: Option<TlsVersion>,
    /// The server chose DEFLATE compression when offered it (CRIME).
    pub compression: Option<bool>,
    /// The ServerHello carried extended_master_secret (RFC 7627).
    pub extended_master_secret: Option<bool>,
    /// The ServerHello carried the heartbeat extension (RFC 6520).
    pub heartbeat: Option<bool>,
    /// A heartbeat request claiming more bytes than it carried got a heartbeat
    /// back (Heartbleed, CVE-2014-0160); asked only when `heartbeat` is true.
    /// The answer's bytes are never read beyond its record header.
    pub heartbleed: Option<bool>,
    /// A ChangeCipherSpec sent right after the server's first flight was
    /// taken: the record after it got bad_record_mac, not unexpected_message
    /// (CCS injection, CVE-2014-0224); `null` when the answer proved nothing.
    pub ccs_injection: Option<bool>,
    /// The server's finite-field DH parameters, from a hello offering only the
    /// DHE suites it accepts; `null` when it accepts none.
    pub dh: Option<DhParams>,
    /// Certificate Transparency timestamps the server sent in the TLS
    /// extension (RFC 6962 3.3) to the hello that asked for them.
    #[serde(default)]
    pub tls_scts: Option<Vec<crate::facts::cert::Sct>>,
    /// Leaf certificates served to other hellos than the check's.
    pub certificates: Vec<ServedCertificate>,
    /// Why an extra question stayed open, one sentence each.
    pub notes: Vec<String>,
    /// The ROBOT test; `null` when not asked (no RSA key-exchange suite
    /// accepted at TLS 1.0 to 1.2).
    #[serde(default)]
    pub robot: Option<RobotFacts>,
    /// Client-initiated renegotiation, as testssl.sh and sslyze ask it: one
    /// TLS 1.2 ECDHE handshake completed, then a new ClientHello sent inside
    /// it. `true`: the server answered with a ServerHello (it renegotiates
    /// when a client asks); `false`: it refused (the no_renegotiation alert,
    /// another alert, or a close); `null` when not asked (no TLS 1.2 ECDHE
    /// suite with AES-GCM or ChaCha20-Poly1305 over X25519 or secp256r1) or
    /// when the answer told nothing (see `notes`).
    #[serde(default)]
    pub client_renegotiation: Option<bool>,
}

/// The ROBOT test (Return Of Bleichenbacher's Oracle Threat, CVE-2017-13099
/// and its family), asked as robot-detect asks it: five ClientKeyExchanges
/// whose RSA-encrypted premaster secrets are padded right or wrong in five
/// ways, each followed by a ChangeCipherSpec and a Finished that is no
/// ciphertext, on its own connection; a second round when the answers differ.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RobotFacts {
    /// The version the hellos offered (the highest accepted with an RSA
    /// key-exchange suite).
    pub version: TlsVersion,
    /// The RSA key-exchange suites offered (IANA names).
    pub suites: Vec<String>,
    /// Each round's answers, in [`RobotVariant`] order.
    pub rounds: Vec<Vec<RobotAnswer>>,
    pub verdict: RobotVerdict,
    /// Connections the test asked for (also counted in the probe's
    /// `connections`; fewer were made when the probe had stopped).
    pub connections: u32,
}

/// One variant's answer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RobotAnswer {
    pub variant: RobotVariant,
    /// What the server did after the Finished: `alert:NAME` (e.g.
    /// `alert:bad_record_mac`), `record:TYPE` (a record that is no alert),
    /// `closed`, `reset`, `silence` (nothing within three seconds), or
    /// `no_answer` (the connection gave no ServerHello with an RSA key).
    pub answer: String,
}

/// How the premaster secret was padded (PKCS#1 v1.5, block type 2).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RobotVariant {
    /// 00 02, padding, 00, the hello's version, 46 bytes: what a client sends.
    Correct,
    /// 41 17 instead of 00 02.
    WrongFirstBytes,
    /// The 00 separator moved near the end, so the secret seems one byte long.
    ZeroMisplaced,
    /// No 00 separator at all.
    NoSeparator,
    /// Padded right, but version 02 02 inside the secret.
    WrongVersion,
}

impl RobotVariant {
    pub const ALL: [RobotVariant; 5] = [
        RobotVariant::Correct,
        RobotVariant::WrongFirstBytes,
        RobotVariant::ZeroMisplaced,
        RobotVariant::NoSeparator,
        RobotVariant::WrongVersion,
    ];
}

/// What the answers say.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RobotVerdict {
    /// All five answers were the same.
    NotVulnerable,
    /// The answers differed, the same way in both rounds, but only between
    /// the correct premaster and the one with the wrong version (or between
    /// those two and the badly padded ones, which all answered alike): the
    /// server tells apart only fully correct padding, and an attack needs
    /// very many connections.
    WeakOracle,
    /// The badly padded variants got different answers, the same in both
    /// rounds: an attacker can decrypt recorded sessions and sign with the
    /// server's key.
    StrongOracle,
    /// A connection gave no usable answer, or the rounds disagreed.
    Inconclusive,
}

/// Finite-field Diffie-Hellman parameters as the ServerKeyExchange sent them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DhParams {
    pub bits: u32,
    /// The prime, uppercase hex without leading zeros.
    pub prime: String,
    /// The generator, uppercase hex.
    pub generator: String,
}

/// Which hello a served certificate answered.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CertificateAsk {
    /// A hello without server_name.
    NoSni,
    /// Only suites authenticated by RSA, and RSA signature algorithms.
    Rsa,
    /// Only suites authenticated by ECDSA, and ECDSA signature algorithms.
    Ecdsa,
}

/// The leaf a server sent to one kind of hello.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ServedCertificate {
    pub asked: CertificateAsk,
    /// The leaf; `null` when the server sent none (see `detail`).
    pub leaf: Option<CertFacts>,
    /// How the server answered when it sent no certificate.
    pub detail: Option<String>,
}

/// Whether a second handshake resumed the first one's session.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ResumptionFacts {
    /// TLS 1.2 by session ID (RFC 5246) alone.
    pub tls12_session_id: Option<bool>,
    /// TLS 1.2 with session tickets (RFC 5077) allowed; rustls uses a ticket
    /// when the server issued one, else the session ID.
    pub tls12_ticket: Option<bool>,
    /// TLS 1.3 by a ticket (PSK, RFC 8446 2.2).
    pub tls13_ticket: Option<bool>,
    /// TLS 1.3 tickets the server sent after the first handshake.
    pub tls13_tickets: Option<u32>,
    /// A TLS 1.3 ticket allows early data (0-RTT, max_early_data_size above 0);
    /// mailtls sends none.
    pub tls13_early_data: Option<bool>,
    /// Why a question stayed open, one sentence each.
    pub notes: Vec<String>,
    pub connections: u32,
}

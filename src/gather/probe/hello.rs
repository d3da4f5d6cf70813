//! Builds ClientHello records for SSL 3.0 to TLS 1.3 with any cipher-suite and group list.

use crate::facts::probe::TlsVersion;

/// Key-exchange groups (IANA "TLS Supported Groups"): code, name, and whether
/// TLS 1.2 can use it for ECDHE (only elliptic curves can).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Group {
    pub code: u16,
    pub name: &'static str,
    pub ecdhe_tls12: bool,
    pub tls13: bool,
}

const fn g(code: u16, name: &'static str, ecdhe_tls12: bool, tls13: bool) -> Group {
    Group {
        code,
        name,
        ecdhe_tls12,
        tls13,
    }
}

/// The groups mailtls offers, in the order offered.
pub static GROUPS: &[Group] = &[
    g(0x001D, "x25519", true, true),
    g(0x0017, "secp256r1", true, true),
    g(0x0018, "secp384r1", true, true),
    g(0x0019, "secp521r1", true, true),
    g(0x001E, "x448", true, true),
    g(0x11EC, "X25519MLKEM768", false, true),
    g(0x11EB, "SecP256r1MLKEM768", false, true),
    g(0x11ED, "SecP384r1MLKEM1024", false, true),
    g(0x001A, "brainpoolP256r1", true, false),
    g(0x001B, "brainpoolP384r1", true, false),
    g(0x001C, "brainpoolP512r1", true, false),
    g(0x001F, "brainpoolP256r1tls13", false, true),
    g(0x0020, "brainpoolP384r1tls13", false, true),
    g(0x0021, "brainpoolP512r1tls13", false, true),
    g(0x0015, "secp224r1", true, false),
    g(0x0013, "secp192r1", true, false),
    g(0x0100, "ffdhe2048", false, true),
    g(0x0101, "ffdhe3072", false, true),
    g(0x0102, "ffdhe4096", false, true),
    g(0x0103, "ffdhe6144", false, true),
    g(0x0104, "ffdhe8192", false, true),
];

pub const X25519: u16 = 0x001D;

/// The name of a group code, or its hex.
pub fn group_name(code: u16) -> String {
    GROUPS
        .iter()
        .find(|g| g.code == code)
        .map_or_else(|| format!("0x{code:04X}"), |g| g.name.to_owned())
}

/// Signature algorithms offered (RFC 8446 4.2.3), SHA-1 and DSA included so
/// that legacy servers answer.
const SIGNATURE_ALGORITHMS: &[u16] = &[
    0x0403, 0x0503, 0x0603, 0x0807, 0x0808, 0x0804, 0x0805, 0x0806, 0x0809, 0x080A, 0x080B, 0x0401,
    0x0501, 0x0601, 0x0303, 0x0301, 0x0302, 0x0402, 0x0203, 0x0201, 0x0202,
];

/// TLS_EMPTY_RENEGOTIATION_INFO_SCSV (RFC 5746).
pub const RENEGOTIATION_SCSV: u16 = 0x00FF;

/// The renegotiation_info extension (RFC 5746).
pub const RENEGOTIATION_INFO: u16 = 0xFF01;

/// The extended_master_secret extension (RFC 7627).
pub const EXTENDED_MASTER_SECRET: u16 = 23;

/// The heartbeat extension (RFC 6520).
pub const HEARTBEAT: u16 = 15;

/// ECDSA signature algorithms only (SHA-256/384/512, and SHA-1 for old servers).
pub const ECDSA_SIGNATURES: &[u16] = &[0x0403, 0x0503, 0x0603, 0x0203];

/// RSA signature algorithms only (PSS and PKCS#1 v1.5).
pub const RSA_SIGNATURES: &[u16] = &[0x0804, 0x0805, 0x0806, 0x0401, 0x0501, 0x0601, 0x0201];

/// TLS_FALLBACK_SCSV (RFC 7507): "this hello is a retry at a lower version".
pub const FALLBACK_SCSV: u16 = 0x5600;

/// What the key_share extension of a TLS 1.3 ClientHello carries.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum KeyShare {
    /// No share at all: a server that accepts one of the offered groups must
    /// answer with a HelloRetryRequest naming it (RFC 8446 4.2.8).
    Empty,
    /// One share for `group` with these public-key bytes.
    One { group: u16, public: Vec<u8> },
}

/// Everything that varies between probe ClientHellos.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HelloSpec {
    pub version: TlsVersion,
    pub suites: Vec<u16>,
    pub groups: Vec<u16>,
    pub server_name: Option<String>,
    /// Used only for TLS 1.3.
    pub key_share: KeyShare,
    /// Offer DEFLATE compression (RFC 3749) before null.
    pub deflate: bool,
    /// Offer only these signature algorithms instead of the full list.
    pub signature_algorithms: Option<Vec<u16>>,
    /// More extensions, appended as given (type, body).
    pub extra_extensions: Vec<(u16, Vec<u8>)>,
    /// A renegotiation hello (RFC 5746 3.5): the renegotiation_info
    /// extension carrying this client verify_data instead of the SCSV every
    /// first hello offers. `None`: the SCSV.
    pub renegotiation_info: Option<Vec<u8>>,
}

impl HelloSpec {
    /// A hello for `version` offering `suites` and every group usable with it.
    pub fn new(version: TlsVersion, suites: Vec<u16>, server_name: Option<String>) -> HelloSpec {
        let groups = GROUPS
            .iter()
            .filter(|g| {
                if version == TlsVersion::Tls13 {
                    g.tls13
                } else {
                    g.ecdhe_tls12
                }
            })
            .map(|g| g.code)
            .collect();
        HelloSpec {
            version,
            suites,
            groups,
            server_name,
            key_share: KeyShare::Empty,
            deflate: false,
            signature_algorithms: None,
            extra_extensions: Vec::new(),
            renegotiation_info: None,
        }
    }
}

/// A fresh X25519 public key (the private half is dropped: a probe never
/// finishes the handshake). Falls back to fixed bytes if the RNG fails.
pub fn x25519_share() -> KeyShare {
    use aws_lc_rs::agreement::{self, EphemeralPrivateKey};
    let rng = aws_lc_rs::rand::SystemRandom::new();
    let public = EphemeralPrivateKey::generate(&agreement::X25519, &rng)
        .and_then(|key| key.compute_public_key())
        .map_or_else(|_| vec![9u8; 32], |p| p.as_ref().to_vec());
    KeyShare::One {
        group: X25519,
        public,
    }
}

fn random_bytes() -> [u8; 32] {
    let mut bytes = [0u8; 32];
    if aws_lc_rs::rand::fill(&mut bytes).is_err() {
        // Not secret: only needs to differ between hellos.
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_nanos());
        bytes[..16].copy_from_slice(&nanos.to_be_bytes());
    }
    bytes
}

fn put_u16(out: &mut Vec<u8>, value: u16) {
    out.extend_from_slice(&value.to_be_bytes());
}

/// Appends `body` with a big-endian length prefix of `width` bytes.
fn put_vec(out: &mut Vec<u8>, width: usize, body: &[u8]) {
    let len = body.len().to_be_bytes();
    out.extend_from_slice(&len[len.len() - width..]);
    out.extend_from_slice(body);
}

fn put_extension(out: &mut Vec<u8>, kind: u16, body: &[u8]) {
    put_u16(out, kind);
    put_vec(out, 2, body);
}

fn u16_list(values: &[u16]) -> Vec<u8> {
    values.iter().flat_map(|v| v.to_be_bytes()).collect()
}

/// The ClientHello as one TLS record (or SSL 3.0 record), ready to send.
pub fn client_hello(spec: &HelloSpec) -> Vec<u8> {
    let tls13 = spec.version == TlsVersion::Tls13;
    let mut body = Vec::with_capacity(512);
    let legacy_version = if tls13 { 0x0303 } else { spec.version.wire() };
    put_u16(&mut body, legacy_version);
    body.extend_from_slice(&random_bytes());
    // TLS 1.3 middlebox compatibility mode sends a session id (RFC 8446 D.4).
    let session_id = if tls13 {
        random_bytes().to_vec()
    } else {
        Vec::new()
    };
    put_vec(&mut body, 1, &session_id);
    let mut suites = spec.suites.clone();
    if !tls13 && spec.renegotiation_info.is_none() {
        suites.push(RENEGOTIATION_SCSV);
    }
    put_vec(&mut body, 2, &u16_list(&suites));
    match spec.deflate {
        true => put_vec(&mut body, 1, &[1, 0]), // compression: DEFLATE, null
        false => put_vec(&mut body, 1, &[0]),   // compression: null only
    }

    if spec.version != TlsVersion::Ssl3 {
        let mut extensions = extensions(spec);
        // Some old servers hang on hellos of 256 to 511 bytes; pad past them (RFC 7685).
        let handshake_len = 4 + body.len() + 2 + extensions.len();
        if (256..512).contains(&handshake_len) {
            let pad = (512 - handshake_len).saturating_sub(4);
            put_extension(&mut extensions, 21, &vec![0u8; pad]);
        }
        put_vec(&mut body, 2, &extensions);
    }

    let mut handshake = vec![1u8]; // client_hello
    put_vec(&mut handshake, 3, &body);

    let record_version = if spec.version == TlsVersion::Ssl3 {
        0x0300
    } else {
        0x0301
    };
    let mut record = vec![22u8];
    put_u16(&mut record, record_version);
    put_vec(&mut record, 2, &handshake);
    record
}

fn extensions(spec: &HelloSpec) -> Vec<u8> {
    let mut out = Vec::new();
    if let Some(name) = &spec.server_name {
        let mut entry = vec![0u8]; // host_name
        put_vec(&mut entry, 2, name.as_bytes());
        let mut list = Vec::new();
        put_vec(&mut list, 2, &entry);
        put_extension(&mut out, 0, &list);
    }
    let mut groups = Vec::new();
    put_vec(&mut groups, 2, &u16_list(&spec.groups));
    put_extension(&mut out, 10, &groups);
    put_extension(&mut out, 11, &[1, 0]); // ec_point_formats: uncompressed
    let mut sigs = Vec::new();
    let algorithms = spec
        .signature_algorithms
        .as_deref()
        .unwrap_or(SIGNATURE_ALGORITHMS);
    put_vec(&mut sigs, 2, &u16_list(algorithms));
    put_extension(&mut out, 13, &sigs);
    if spec.version == TlsVersion::Tls13 {
        put_extension(&mut out, 43, &[2, 0x03, 0x04]); // supported_versions: TLS 1.3
        put_extension(&mut out, 45, &[1, 1]); // psk_key_exchange_modes: psk_dhe_ke
        let mut shares = Vec::new();
        if let KeyShare::One { group, public } = &spec.key_share {
            put_u16(&mut shares, *group);
            put_vec(&mut shares, 2, public);
        }
        let mut key_share = Vec::new();
        put_vec(&mut key_share, 2, &shares);
        put_extension(&mut out, 51, &key_share);
    }
    if let Some(verify_data) = &spec.renegotiation_info {
        let mut info = Vec::new();
        put_vec(&mut info, 1, verify_data);
        put_extension(&mut out, RENEGOTIATION_INFO, &info);
    }
    for (kind, body) in &spec.extra_extensions {
        put_extension(&mut out, *kind, body);
    }
    out
}

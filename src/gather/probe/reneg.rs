//! Client-initiated renegotiation, asked as testssl.sh and sslyze ask it,
//! because a server that renegotiates whenever a client asks lets one client
//! make it redo the costly half of a handshake again and again on one
//! connection (a cheap denial of service), and, without secure renegotiation
//! (RFC 5746), lets a man in the middle splice his own commands in front of a
//! client's session (CVE-2009-3555).
//!
//! Asked on one extra connection, only when TLS 1.2 is accepted with an
//! ECDHE suite using AES-128-GCM, AES-256-GCM or ChaCha20-Poly1305 and
//! X25519 or secp256r1 is among its groups. This is the one TLS handshake
//! the probe completes by hand: the ephemeral key agreement
//! (`aws_lc_rs::agreement`), the TLS 1.2 PRF (RFC 5246 5: P_SHA256 or
//! P_SHA384 built on `aws_lc_rs::hmac`), the handshake hashes
//! (`aws_lc_rs::digest`) and the record protection (`aws_lc_rs::aead`, with
//! RFC 5288's 4-byte implicit and 8-byte explicit nonce for AES-GCM, RFC
//! 7905's nonce for ChaCha20) are aws-lc-rs's; only the messages are laid out
//! here. Extended master secret (RFC 7627) is offered and used when the
//! server agrees.
//!
//! The server's certificate and the signature of its ServerKeyExchange are
//! NOT verified: this connection only asks a question, sends no data and no
//! secret, and whoever answers it is the server being asked. The server's
//! Finished is verified, which proves both sides hold the same keys.
//!
//! After both Finished, an encrypted ClientHello is sent (renegotiation_info
//! carrying the client verify_data, RFC 5746 3.5), and the first encrypted
//! handshake record or alert within [`RENEG_WAIT`] is the answer: a
//! ServerHello means the server renegotiates at a client's request; the
//! no_renegotiation alert, another alert or a close mean it refuses; silence
//! leaves it open. Application data before the answer (a mail greeting) is
//! skipped. Every read has the connection's deadline and the probe's size
//! bounds; anything unexpected leaves the question open with a note.

use std::sync::Arc;

use aws_lc_rs::{aead, agreement, digest, hmac};
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::time::{timeout_at, Instant};

use super::hello::{client_hello, HelloSpec, EXTENDED_MASTER_SECRET, RENEGOTIATION_INFO, X25519};
use super::parse::{alert_name, parse_server_hello, MAX_BYTES};
use super::{Answer, Connector, Opened, Shared};

/// How long the answer to the renegotiating ClientHello may take. Servers
/// that refuse answer at once (OpenSSL's alert or close); a server behind an
/// asynchronous TLS layer (rustls under tokio) sends its no_renegotiation
/// warning only with its next write, so it stays silent, and this wait is
/// what such a server costs the probe.
const RENEG_WAIT: std::time::Duration = std::time::Duration::from_secs(1);
use crate::facts::probe::{Acceptance, TlsVersion, VersionProbe};

/// The secp256r1 group code (RFC 8422).
const SECP256R1: u16 = 0x0017;
/// The largest record payload a server may send (2^14 plus expansion, RFC 5246 6.2.3).
const MAX_RECORD: usize = (1 << 14) + 2048;
/// The most application-data records skipped while waiting for the answer
/// to the renegotiation hello (a mail greeting is one or two).
const MAX_SKIPPED: usize = 16;
/// TLS 1.2 on the wire.
const TLS12: [u8; 2] = [3, 3];
/// The AEAD tag of every suite used here.
const TAG_LEN: usize = 16;
/// The explicit part of an AES-GCM record nonce (RFC 5288 3).
const EXPLICIT_NONCE_LEN: usize = 8;

/// The bulk cipher of a suite this check can speak.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Cipher {
    Aes128Gcm,
    Aes256Gcm,
    Chacha20Poly1305,
}

impl Cipher {
    fn algorithm(self) -> &'static aead::Algorithm {
        match self {
            Cipher::Aes128Gcm => &aead::AES_128_GCM,
            Cipher::Aes256Gcm => &aead::AES_256_GCM,
            Cipher::Chacha20Poly1305 => &aead::CHACHA20_POLY1305,
        }
    }

    fn key_len(self) -> usize {
        match self {
            Cipher::Aes128Gcm => 16,
            Cipher::Aes256Gcm | Cipher::Chacha20Poly1305 => 32,
        }
    }

    /// The fixed IV from the key block: 4 bytes for AES-GCM (the implicit
    /// nonce, RFC 5288 3), 12 for ChaCha20 (RFC 7905 2).
    fn iv_len(self) -> usize {
        match self {
            Cipher::Aes128Gcm | Cipher::Aes256Gcm => 4,
            Cipher::Chacha20Poly1305 => 12,
        }
    }
}

/// The PRF's hash (RFC 5246 5): SHA-256 unless the suite names SHA-384.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Hash {
    Sha256,
    Sha384,
}

impl Hash {
    fn hmac(self) -> hmac::Algorithm {
        match self {
            Hash::Sha256 => hmac::HMAC_SHA256,
            Hash::Sha384 => hmac::HMAC_SHA384,
        }
    }

    fn digest(self, bytes: &[u8]) -> Vec<u8> {
        let algorithm = match self {
            Hash::Sha256 => &digest::SHA256,
            Hash::Sha384 => &digest::SHA384,
        };
        digest::digest(algorithm, bytes).as_ref().to_vec()
    }
}

/// The cipher and PRF hash of the TLS 1.2 ECDHE suites this check speaks.
fn suite_params(code: u16) -> Option<(Cipher, Hash)> {
    match code {
        0xC02B | 0xC02F => Some((Cipher::Aes128Gcm, Hash::Sha256)),
        0xC02C | 0xC030 => Some((Cipher::Aes256Gcm, Hash::Sha384)),
        0xCCA8 | 0xCCA9 => Some((Cipher::Chacha20Poly1305, Hash::Sha256)),
        _ => None,
    }
}

/// P_hash (RFC 5246 5): HMAC(secret, A(i) + seed) for A(i) = HMAC(secret,
/// A(i-1)), A(0) = seed, cut to `len` bytes.
fn p_hash(algorithm: hmac::Algorithm, secret: &[u8], seed: &[u8], len: usize) -> Vec<u8> {
    let key = hmac::Key::new(algorithm, secret);
    let mut out = Vec::with_capacity(len + 64);
    let mut a = hmac::sign(&key, seed);
    while out.len() < len {
        let mut context = hmac::Context::with_key(&key);
        context.update(a.as_ref());
        context.update(seed);
        out.extend_from_slice(context.sign().as_ref());
        a = hmac::sign(&key, a.as_ref());
    }
    out.truncate(len);
    out
}

/// PRF(secret, label, seed) = P_hash(secret, label + seed) (RFC 5246 5).
fn prf(hash: Hash, secret: &[u8], label: &[u8], seed: &[u8], len: usize) -> Vec<u8> {
    let mut full = Vec::with_capacity(label.len() + seed.len());
    full.extend_from_slice(label);
    full.extend_from_slice(seed);
    p_hash(hash.hmac(), secret, &full, len)
}

/// The 12-byte AEAD nonce of record number `seq`: for AES-GCM the fixed
/// 4-byte IV and the 8-byte explicit nonce (`explicit`, sent in the record;
/// RFC 5288 3); for ChaCha20 the 12-byte IV XORed with the sequence number,
/// left-padded (RFC 7905 2).
fn record_nonce(cipher: Cipher, iv: &[u8], seq: u64, explicit: Option<[u8; 8]>) -> [u8; 12] {
    let mut nonce = [0u8; 12];
    match cipher {
        Cipher::Aes128Gcm | Cipher::Aes256Gcm => {
            nonce[..4].copy_from_slice(&iv[..4.min(iv.len())]);
            nonce[4..].copy_from_slice(&explicit.unwrap_or(seq.to_be_bytes()));
        }
        Cipher::Chacha20Poly1305 => {
            nonce[..iv.len().min(12)].copy_from_slice(&iv[..iv.len().min(12)]);
            for (n, s) in nonce[4..].iter_mut().zip(seq.to_be_bytes()) {
                *n ^= s;
            }
        }
    }
    nonce
}

/// The additional data of a TLS 1.2 AEAD record (RFC 5246 6.2.3.3).
fn additional_data(seq: u64, kind: u8, plaintext_len: usize) -> [u8; 13] {
    let mut aad = [0u8; 13];
    aad[..8].copy_from_slice(&seq.to_be_bytes());
    aad[8] = kind;
    aad[9..11].copy_from_slice(&TLS12);
    aad[11..].copy_from_slice(&(plaintext_len as u16).to_be_bytes());
    aad
}

/// One direction's record protection: key, fixed IV, sequence number.
struct Protection {
    cipher: Cipher,
    key: aead::LessSafeKey,
    iv: Vec<u8>,
    seq: u64,
}

impl Protection {
    fn new(cipher: Cipher, key: &[u8], iv: &[u8]) -> Result<Protection, Failure> {
        let unbound = aead::UnboundKey::new(cipher.algorithm(), key)
            .map_err(|_| Failure::Crypto("the record key was refused"))?;
        Ok(Protection {
            cipher,
            key: aead::LessSafeKey::new(unbound),
            iv: iv.to_vec(),
            seq: 0,
        })
    }

    /// `plaintext` as one protected record of type `kind`.
    fn seal(&mut self, kind: u8, plaintext: &[u8]) -> Result<Vec<u8>, Failure> {
        let seq = self.seq;
        self.seq += 1;
        let nonce = record_nonce(self.cipher, &self.iv, seq, None);
        let aad = additional_data(seq, kind, plaintext.len());
        let mut body = plaintext.to_vec();
        self.key
            .seal_in_place_append_tag(
                aead::Nonce::assume_unique_for_key(nonce),
                aead::Aad::from(aad),
                &mut body,
            )
            .map_err(|_| Failure::Crypto("a record could not be encrypted"))?;
        let explicit: &[u8] = match self.cipher {
            Cipher::Chacha20Poly1305 => &[],
            _ => &nonce[4..],
        };
        let mut record = vec![kind, TLS12[0], TLS12[1]];
        record.extend_from_slice(&((explicit.len() + body.len()) as u16).to_be_bytes());
        record.extend_from_slice(explicit);
        record.extend_from_slice(&body);
        Ok(record)
    }

    /// The plaintext of a protected record of type `kind`; `None` when it
    /// does not decrypt.
    fn open(&mut self, kind: u8, payload: &[u8]) -> Option<Vec<u8>> {
        let seq = self.seq;
        let (explicit, sealed) = match self.cipher {
            Cipher::Chacha20Poly1305 => (None, payload),
            _ => {
                let head = payload.get(..EXPLICIT_NONCE_LEN)?;
                let mut explicit = [0u8; EXPLICIT_NONCE_LEN];
                explicit.copy_from_slice(head);
                (Some(explicit), &payload[EXPLICIT_NONCE_LEN..])
            }
        };
        let plaintext_len = sealed.len().checked_sub(TAG_LEN)?;
        let nonce = record_nonce(self.cipher, &self.iv, seq, explicit);
        let aad = additional_data(seq, kind, plaintext_len);
        let mut buffer = sealed.to_vec();
        let plain = self
            .key
            .open_in_place(
                aead::Nonce::assume_unique_for_key(nonce),
                aead::Aad::from(aad),
                &mut buffer,
            )
            .ok()?
            .to_vec();
        self.seq += 1;
        Some(plain)
    }
}

/// Why the handshake stopped before the question could be asked, or why the
/// answer could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
enum Failure {
    #[error("the server closed the connection {0}")]
    Closed(&'static str),
    #[error("the server did not answer {0} in time")]
    Timeout(&'static str),
    #[error("the server sent the alert {alert} {during}")]
    Alert { alert: String, during: &'static str },
    #[error("the server's {0} could not be read")]
    Malformed(&'static str),
    #[error("the server sent more than {MAX_BYTES} bytes")]
    TooMuch,
    #[error("the server chose {0}, which was not offered")]
    NotOffered(String),
    #[error("the server sent {0}")]
    Unexpected(String),
    #[error("{0}")]
    Crypto(&'static str),
    #[error(
        "the server's Finished does not match the keys (a broken server, or a bug in mailtls)"
    )]
    FinishedMismatch,
}

/// Reads whole TLS records, within the probe's size bounds.
#[derive(Default)]
struct Records {
    buffer: Vec<u8>,
    total: usize,
}

impl Records {
    /// The next record (type, payload); `during` words failures.
    async fn next<S: AsyncRead + Unpin>(
        &mut self,
        stream: &mut S,
        deadline: Instant,
        during: &'static str,
    ) -> Result<(u8, Vec<u8>), Failure> {
        loop {
            if self.buffer.len() >= 5 {
                let kind = self.buffer[0];
                if !(20..=24).contains(&kind) || self.buffer[1] != 3 {
                    return Err(Failure::Malformed("record header"));
                }
                let len = usize::from(u16::from_be_bytes([self.buffer[3], self.buffer[4]]));
                if len > MAX_RECORD {
                    return Err(Failure::Malformed("record length"));
                }
                if self.buffer.len() >= 5 + len {
                    let payload = self.buffer[5..5 + len].to_vec();
                    self.buffer.drain(..5 + len);
                    return Ok((kind, payload));
                }
            }
            let mut chunk = [0u8; 4096];
            match timeout_at(deadline, stream.read(&mut chunk)).await {
                Ok(Ok(0)) | Ok(Err(_)) => return Err(Failure::Closed(during)),
                Ok(Ok(n)) => {
                    self.total = self.total.saturating_add(n);
                    if self.total > MAX_BYTES {
                        return Err(Failure::TooMuch);
                    }
                    self.buffer.extend_from_slice(&chunk[..n]);
                }
                Err(_) => return Err(Failure::Timeout(during)),
            }
        }
    }
}

/// Takes one whole handshake message (header included) off `buffer`, if
/// one is there.
fn take_message(buffer: &mut Vec<u8>) -> Result<Option<Vec<u8>>, Failure> {
    let Some(header) = buffer.get(..4) else {
        return Ok(None);
    };
    let len = usize::from(header[1]) << 16 | usize::from(header[2]) << 8 | usize::from(header[3]);
    if len > MAX_BYTES {
        return Err(Failure::TooMuch);
    }
    if buffer.len() < 4 + len {
        return Ok(None);
    }
    Ok(Some(buffer.drain(..4 + len).collect()))
}

/// A handshake message: type, 3-byte length, body.
fn handshake_message(kind: u8, body: &[u8]) -> Vec<u8> {
    let mut message = vec![kind];
    message.extend_from_slice(&(body.len() as u32).to_be_bytes()[1..]);
    message.extend_from_slice(body);
    message
}

/// A plaintext TLS 1.2 record.
fn plain_record(kind: u8, payload: &[u8]) -> Vec<u8> {
    let mut record = vec![kind, TLS12[0], TLS12[1]];
    record.extend_from_slice(&(payload.len() as u16).to_be_bytes());
    record.extend_from_slice(payload);
    record
}

/// What the server's first flight said that the handshake needs.
struct ServerFlight {
    random: Vec<u8>,
    suite: u16,
    extended_master_secret: bool,
    secure_renegotiation: bool,
    group: u16,
    public: Vec<u8>,
    certificate_requested: bool,
}

/// The named curve and public point of an ECDHE ServerKeyExchange (RFC 8422 5.4).
fn ecdhe_share(body: &[u8]) -> Option<(u16, Vec<u8>)> {
    let (&curve_type, rest) = body.split_first()?;
    let curve = u16::from_be_bytes([*rest.first()?, *rest.get(1)?]);
    let len = usize::from(*rest.get(2)?);
    let point = rest.get(3..3 + len)?;
    (curve_type == 3 && !point.is_empty()).then(|| (curve, point.to_vec()))
}

/// The answer to the renegotiation hello.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Outcome {
    /// An encrypted ServerHello: renegotiation allowed.
    Allowed,
    /// Refused, in these words (an alert's name, or "a close").
    Refused(String),
    /// Nothing within the wait.
    Silence,
    /// Something that answers neither way, in these words.
    Unreadable(String),
}

/// The suites and groups to offer, when TLS 1.2 is accepted with one this
/// check speaks.
fn offer(versions: &[VersionProbe]) -> Option<(Vec<u16>, Vec<u16>)> {
    let tls12 = versions
        .iter()
        .find(|p| p.version == TlsVersion::Tls12 && p.accepted == Acceptance::Yes)?;
    let suites: Vec<u16> = tls12
        .suites
        .iter()
        .filter_map(|s| s.wire_code())
        .filter(|&c| suite_params(c).is_some())
        .collect();
    let groups: Vec<u16> = tls12
        .groups
        .as_ref()?
        .iter()
        .filter_map(|g| match g.as_str() {
            "x25519" => Some(X25519),
            "secp256r1" => Some(SECP256R1),
            _ => None,
        })
        .collect();
    (!suites.is_empty() && !groups.is_empty()).then_some((suites, groups))
}

/// Asks whether the server renegotiates when the client asks; `None` when
/// not asked (no note) or when the answer told nothing (a note says why).
pub(super) async fn client_renegotiation<C: Connector>(
    shared: &Arc<Shared<C>>,
    versions: &[VersionProbe],
    notes: &mut Vec<String>,
) -> Option<bool> {
    let (suites, groups) = offer(versions)?;
    let mut spec = shared.spec(TlsVersion::Tls12, suites);
    spec.groups = groups;
    spec.extra_extensions = vec![(EXTENDED_MASTER_SECRET, Vec::new())];
    let open = |why: String| {
        format!("Client-initiated renegotiation stays open: the TLS 1.2 handshake it needs did not complete ({why}).")
    };
    let Opened {
        mut stream,
        deadline,
        _permit,
    } = match shared.open().await {
        Ok(opened) => opened,
        Err(answer) => {
            let why = match answer {
                Answer::Stopped(why) | Answer::Garbled(why) => why,
                other => other
                    .open_reason()
                    .unwrap_or_else(|| "no connection".to_owned()),
            };
            notes.push(open(why));
            return None;
        }
    };
    let outcome = ask(&mut stream, deadline, &spec).await;
    let _ = timeout_at(deadline, stream.shutdown()).await;
    match outcome {
        Ok(Outcome::Allowed) => Some(true),
        Ok(Outcome::Refused(_)) => Some(false),
        Ok(Outcome::Silence) => {
            notes.push(format!("After a ClientHello sent inside an established TLS 1.2 session the server sent nothing within {} second(s); client-initiated renegotiation stays open.", RENEG_WAIT.as_secs()));
            None
        }
        Ok(Outcome::Unreadable(why)) => {
            notes.push(format!("The answer to a ClientHello sent inside an established TLS 1.2 session told nothing ({why}); client-initiated renegotiation stays open."));
            None
        }
        Err(failure) => {
            notes.push(open(failure.to_string()));
            None
        }
    }
}

/// How failures after the renegotiation hello are worded.
const DURING_ANSWER: &str = "in answer to the renegotiation hello";

/// Sends `bytes` by the deadline.
async fn send<S: AsyncWrite + Unpin>(
    stream: &mut S,
    bytes: &[u8],
    deadline: Instant,
    during: &'static str,
) -> Result<(), Failure> {
    match timeout_at(deadline, stream.write_all(bytes)).await {
        Ok(Ok(())) => Ok(()),
        Ok(Err(_)) => Err(Failure::Closed(during)),
        Err(_) => Err(Failure::Timeout(during)),
    }
}

/// Reads the server's first flight up to ServerHelloDone, adding every
/// message to `transcript`.
async fn read_first_flight<S: AsyncRead + Unpin>(
    stream: &mut S,
    records: &mut Records,
    deadline: Instant,
    spec: &HelloSpec,
    transcript: &mut Vec<u8>,
) -> Result<ServerFlight, Failure> {
    const DURING: &str = "in answer to the hello";
    let mut pending = Vec::new();
    let mut hello: Option<(Vec<u8>, u16, bool, bool)> = None;
    let mut share: Option<(u16, Vec<u8>)> = None;
    let mut certificate_requested = false;
    loop {
        let (kind, payload) = records.next(stream, deadline, DURING).await?;
        match kind {
            22 => {}
            21 if payload.len() == 2 && payload[0] == 1 && payload[1] != 0 => continue,
            21 if payload.len() == 2 => {
                return Err(Failure::Alert {
                    alert: alert_name(payload[1]),
                    during: DURING,
                })
            }
            _ => {
                return Err(Failure::Unexpected(format!(
                    "a record of type {kind} before its ServerHelloDone"
                )))
            }
        }
        pending.extend_from_slice(&payload);
        while let Some(message) = take_message(&mut pending)? {
            transcript.extend_from_slice(&message);
            let body = &message[4..];
            match message[0] {
                2 if hello.is_none() => {
                    let parsed =
                        parse_server_hello(body).map_err(|_| Failure::Malformed("ServerHello"))?;
                    if parsed.version() != TlsVersion::Tls12.wire() {
                        return Err(Failure::Unexpected(format!(
                            "a ServerHello for version 0x{:04X}",
                            parsed.version()
                        )));
                    }
                    if !spec.suites.contains(&parsed.cipher_suite) {
                        return Err(Failure::NotOffered(format!(
                            "cipher suite 0x{:04X}",
                            parsed.cipher_suite
                        )));
                    }
                    if parsed.compression != 0 {
                        return Err(Failure::NotOffered("compression".to_owned()));
                    }
                    let random = body.get(2..34).ok_or(Failure::Malformed("ServerHello"))?;
                    hello = Some((
                        random.to_vec(),
                        parsed.cipher_suite,
                        parsed.extensions.contains(&EXTENDED_MASTER_SECRET),
                        parsed.extensions.contains(&RENEGOTIATION_INFO),
                    ));
                }
                11 if hello.is_some() => {}
                12 if hello.is_some() => {
                    let (group, public) =
                        ecdhe_share(body).ok_or(Failure::Malformed("ServerKeyExchange"))?;
                    if !spec.groups.contains(&group) {
                        return Err(Failure::NotOffered(format!("group 0x{group:04X}")));
                    }
                    share = Some((group, public));
                }
                13 if hello.is_some() => certificate_requested = true,
                14 => {
                    let (
                        Some((random, suite, extended_master_secret, secure_renegotiation)),
                        Some((group, public)),
                    ) = (hello, share)
                    else {
                        return Err(Failure::Unexpected(
                            "ServerHelloDone without a ServerHello and an ECDHE ServerKeyExchange"
                                .to_owned(),
                        ));
                    };
                    return Ok(ServerFlight {
                        random,
                        suite,
                        extended_master_secret,
                        secure_renegotiation,
                        group,
                        public,
                        certificate_requested,
                    });
                }
                other => {
                    return Err(Failure::Unexpected(format!(
                        "handshake message {other} out of place"
                    )))
                }
            }
        }
    }
}

/// The ephemeral key agreement: our public key and the premaster secret.
fn agree(group: u16, server_public: &[u8]) -> Result<(Vec<u8>, Vec<u8>), Failure> {
    let algorithm = match group {
        X25519 => &agreement::X25519,
        SECP256R1 => &agreement::ECDH_P256,
        _ => return Err(Failure::NotOffered(format!("group 0x{group:04X}"))),
    };
    let rng = aws_lc_rs::rand::SystemRandom::new();
    let private = agreement::EphemeralPrivateKey::generate(algorithm, &rng)
        .map_err(|_| Failure::Crypto("no ephemeral key could be made"))?;
    let public = private
        .compute_public_key()
        .map_err(|_| Failure::Crypto("no ephemeral key could be made"))?
        .as_ref()
        .to_vec();
    let peer = agreement::UnparsedPublicKey::new(algorithm, server_public);
    let premaster = agreement::agree_ephemeral(
        private,
        peer,
        Failure::Crypto("the server's ECDHE public key was refused"),
        |secret| Ok(secret.to_vec()),
    )?;
    Ok((public, premaster))
}

/// The whole exchange on one connection: handshake, then the question.
async fn ask<S: AsyncRead + AsyncWrite + Unpin>(
    stream: &mut S,
    deadline: Instant,
    spec: &HelloSpec,
) -> Result<Outcome, Failure> {
    let hello = client_hello(spec);
    let client_random = hello
        .get(11..43)
        .ok_or(Failure::Crypto("the hello was built wrong"))?
        .to_vec();
    let mut transcript = hello[5..].to_vec();
    send(stream, &hello, deadline, "before the hello was sent").await?;
    let mut records = Records::default();
    let flight = read_first_flight(stream, &mut records, deadline, spec, &mut transcript).await?;
    let (cipher, hash) = suite_params(flight.suite)
        .ok_or_else(|| Failure::NotOffered(format!("0x{:04X}", flight.suite)))?;

    // The client's flight: (an empty Certificate,) ClientKeyExchange, CCS, Finished.
    let (public, premaster) = agree(flight.group, &flight.public)?;
    let mut plain = Vec::new();
    if flight.certificate_requested {
        plain.extend(handshake_message(11, &[0, 0, 0]));
    }
    let mut exchange = vec![public.len() as u8];
    exchange.extend_from_slice(&public);
    plain.extend(handshake_message(16, &exchange));
    transcript.extend_from_slice(&plain);
    let master = if flight.extended_master_secret {
        // RFC 7627 4: the session hash covers the messages up to the ClientKeyExchange.
        prf(
            hash,
            &premaster,
            b"extended master secret",
            &hash.digest(&transcript),
            48,
        )
    } else {
        let seed = [client_random.as_slice(), &flight.random].concat();
        prf(hash, &premaster, b"master secret", &seed, 48)
    };
    let (key_len, iv_len) = (cipher.key_len(), cipher.iv_len());
    let seed = [flight.random.as_slice(), &client_random].concat();
    let block = prf(
        hash,
        &master,
        b"key expansion",
        &seed,
        2 * key_len + 2 * iv_len,
    );
    let (client_key, rest) = block.split_at(key_len);
    let (server_key, rest) = rest.split_at(key_len);
    let (client_iv, server_iv) = rest.split_at(iv_len);
    let mut sending = Protection::new(cipher, client_key, client_iv)?;
    let mut receiving = Protection::new(cipher, server_key, server_iv)?;
    let client_verify = prf(
        hash,
        &master,
        b"client finished",
        &hash.digest(&transcript),
        12,
    );
    let finished = handshake_message(20, &client_verify);
    transcript.extend_from_slice(&finished);
    let mut out = plain_record(22, &plain);
    out.extend(plain_record(20, &[1]));
    out.extend(sending.seal(22, &finished)?);
    send(stream, &out, deadline, "before the key exchange was sent").await?;

    // The server's flight: (NewSessionTicket,) CCS, Finished.
    const DURING: &str = "in answer to the key exchange";
    let mut pending = Vec::new();
    let mut changed = false;
    loop {
        let (kind, payload) = records.next(stream, deadline, DURING).await?;
        match (kind, changed) {
            (20, false) if payload == [1] && pending.is_empty() => changed = true,
            (22, false) => {
                pending.extend_from_slice(&payload);
                while let Some(message) = take_message(&mut pending)? {
                    if message[0] != 4 {
                        return Err(Failure::Unexpected(format!(
                            "handshake message {} before its ChangeCipherSpec",
                            message[0]
                        )));
                    }
                    transcript.extend_from_slice(&message);
                }
            }
            (21, false) if payload.len() == 2 => {
                return Err(Failure::Alert {
                    alert: alert_name(payload[1]),
                    during: DURING,
                })
            }
            (21, true) => {
                let alert = receiving
                    .open(21, &payload)
                    .filter(|a| a.len() == 2)
                    .ok_or(Failure::Malformed("encrypted alert"))?;
                return Err(Failure::Alert {
                    alert: alert_name(alert[1]),
                    during: DURING,
                });
            }
            (22, true) => {
                let message = receiving.open(22, &payload).ok_or(Failure::Crypto(
                    "the server's Finished does not decrypt with the agreed keys",
                ))?;
                let expected = prf(
                    hash,
                    &master,
                    b"server finished",
                    &hash.digest(&transcript),
                    12,
                );
                if message != handshake_message(20, &expected) {
                    return Err(Failure::FinishedMismatch);
                }
                break;
            }
            _ => {
                return Err(Failure::Unexpected(format!(
                    "a record of type {kind} where its ChangeCipherSpec and Finished belong"
                )))
            }
        }
    }

    // The question: a new ClientHello inside the session (RFC 5746 3.5).
    let mut again = spec.clone();
    if flight.secure_renegotiation {
        again.renegotiation_info = Some(client_verify);
    }
    let renegotiation = client_hello(&again);
    let record = sending.seal(22, renegotiation.get(5..).unwrap_or_default())?;
    if let Err(failure) = send(
        stream,
        &record,
        deadline,
        "before the renegotiation hello was sent",
    )
    .await
    {
        return Ok(Outcome::Unreadable(failure.to_string()));
    }
    let wait = deadline.min(Instant::now() + RENEG_WAIT);
    let mut skipped = 0;
    loop {
        let (kind, payload) = match records.next(stream, wait, DURING_ANSWER).await {
            Ok(record) => record,
            Err(Failure::Closed(_)) => return Ok(Outcome::Refused("a close".to_owned())),
            Err(Failure::Timeout(_)) => return Ok(Outcome::Silence),
            Err(other) => return Ok(Outcome::Unreadable(other.to_string())),
        };
        let Some(plain) = receiving.open(kind, &payload) else {
            // A server that lost the keys may alert in plaintext.
            if kind == 21 && payload.len() == 2 {
                return Ok(Outcome::Refused(alert_name(payload[1])));
            }
            return Ok(Outcome::Unreadable(format!(
                "a record of type {kind} that does not decrypt with the session's keys"
            )));
        };
        match kind {
            23 if skipped < MAX_SKIPPED => skipped += 1,
            22 if plain.first() == Some(&2) => return Ok(Outcome::Allowed),
            22 => {
                return Ok(Outcome::Unreadable(format!(
                    "the server sent handshake message {} {DURING_ANSWER}",
                    plain.first().copied().unwrap_or_default()
                )))
            }
            21 if plain.len() == 2 && (plain[0] == 2 || plain[1] == 100 || plain[1] == 0) => {
                return Ok(Outcome::Refused(alert_name(plain[1])))
            }
            // Another warning: keep waiting for the answer.
            21 if plain.len() == 2 => {}
            _ => {
                return Ok(Outcome::Unreadable(format!(
                    "the server sent a record of type {kind} {DURING_ANSWER}"
                )))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::facts::probe::SuiteFacts;

    fn hex(text: &str) -> Vec<u8> {
        let clean: String = text.chars().filter(char::is_ascii_hexdigit).collect();
        (0..clean.len())
            .step_by(2)
            .map(|i| u8::from_str_radix(&clean[i..i + 2], 16).unwrap_or_default())
            .collect()
    }

    #[test]
    fn the_prf_gives_the_published_tls_1_2_vectors() {
        // The TLS 1.2 PRF test vectors posted to the IETF TLS list, which
        // `openssl kdf -keylen 100 -kdfopt digest:SHA256 … TLS1-PRF` agrees with.
        let out = prf(
            Hash::Sha256,
            &hex("9bbe436ba940f017b17652849a71db35"),
            b"test label",
            &hex("a0ba9f936cda311827a6f796ffd5198c"),
            100,
        );
        assert_eq!(
            out,
            hex("e3f229ba727be17b8d122620557cd453c2aab21d07c3d495329b52d4e61edb5a6b301791e90d35c9c9a46b4e14baf9af0fa022f7077def17abfd3797c0564bab4fbc91666e9def9b97fce34f796789baa48082d122ee42c5a72e5a5110fff70187347b66")
        );
        let out = prf(
            Hash::Sha384,
            &hex("b80b733d6ceefcdc71566ea48e5567df"),
            b"test label",
            &hex("cd665cf6a8447dd6ff8b27555edb7465"),
            148,
        );
        assert_eq!(
            out,
            hex("7b0c18e9ced410ed1804f2cfa34a336a1c14dffb4900bb5fd7942107e81c83cde9ca0faa60be9fe34f82b1233c9146a0e534cb400fed2700884f9dc236f80edd8bfa961144c9e8d792eca722a7b32fc3d416d473ebc2c5fd4abfdad05d9184259b5bf8cd4d90fa0d31e2dec479e4f1a26066f2eea9a69236a3e52655c9e9aee691c8f3a26854308d5eaa3be85e0990703d73e56f")
        );
    }

    #[test]
    fn record_nonces_are_rfc_5288_and_rfc_7905() {
        let gcm = record_nonce(Cipher::Aes128Gcm, &[1, 2, 3, 4], 0x0102, None);
        assert_eq!(gcm, [1, 2, 3, 4, 0, 0, 0, 0, 0, 0, 1, 2]);
        let sent = record_nonce(Cipher::Aes256Gcm, &[9; 4], 7, Some([5; 8]));
        assert_eq!(sent, [9, 9, 9, 9, 5, 5, 5, 5, 5, 5, 5, 5]);
        let iv = [0xA0u8; 12];
        let chacha = record_nonce(Cipher::Chacha20Poly1305, &iv, 0x0102, None);
        assert_eq!(
            chacha,
            [0xA0, 0xA0, 0xA0, 0xA0, 0xA0, 0xA0, 0xA0, 0xA0, 0xA0, 0xA0, 0xA1, 0xA2]
        );
        assert_eq!(
            additional_data(1, 22, 16),
            [0, 0, 0, 0, 0, 0, 0, 1, 22, 3, 3, 0, 16]
        );
    }

    #[test]
    fn sealed_records_open_on_the_other_side_and_count() {
        for cipher in [
            Cipher::Aes128Gcm,
            Cipher::Aes256Gcm,
            Cipher::Chacha20Poly1305,
        ] {
            let key = vec![7u8; cipher.key_len()];
            let iv = vec![3u8; cipher.iv_len()];
            let mut a = Protection::new(cipher, &key, &iv).unwrap();
            let mut b = Protection::new(cipher, &key, &iv).unwrap();
            for n in 0..3u8 {
                let record = a.seal(23, &[n; 5]).unwrap();
                let explicit = if cipher == Cipher::Chacha20Poly1305 {
                    0
                } else {
                    8
                };
                assert_eq!(record.len(), 5 + explicit + 5 + TAG_LEN);
                assert_eq!(b.open(23, &record[5..]), Some(vec![n; 5]), "{cipher:?}");
            }
            // The wrong type (additional data) or a flipped byte does not open.
            let mut record = a.seal(22, &[1]).unwrap();
            assert_eq!(b.open(21, &record[5..]), None);
            let last = record.len() - 1;
            record[last] ^= 1;
            assert_eq!(b.open(22, &record[5..]), None);
        }
    }

    #[test]
    fn only_tls_1_2_ecdhe_aead_suites_over_x25519_or_p256_are_asked() {
        let suite = |code: &str| SuiteFacts {
            name: String::new(),
            openssl_name: String::new(),
            code: code.to_owned(),
            key_exchange: crate::facts::probe::Kx::Ecdhe,
            authentication: crate::facts::probe::Auth::Rsa,
            cipher: String::new(),
            bits: 128,
            mac: crate::facts::probe::Mac::Aead,
            forward_secrecy: true,
            aead: true,
            weakness: None,
            rank: 0,
        };
        let mut tls12 = VersionProbe::new(TlsVersion::Tls12);
        tls12.accepted = Acceptance::Yes;
        tls12.suites = vec![suite("0xC013"), suite("0xC02F"), suite("0xCCA8")];
        tls12.groups = Some(vec!["secp384r1".to_owned(), "x25519".to_owned()]);
        assert_eq!(
            offer(&[tls12.clone()]),
            Some((vec![0xC02F, 0xCCA8], vec![X25519]))
        );
        let mut cbc = tls12.clone();
        cbc.suites = vec![suite("0xC013"), suite("0x009E")];
        assert_eq!(offer(&[cbc]), None);
        let mut other_groups = tls12.clone();
        other_groups.groups = Some(vec!["secp384r1".to_owned()]);
        assert_eq!(offer(&[other_groups]), None);
        tls12.accepted = Acceptance::No;
        assert_eq!(offer(&[tls12]), None);
    }

    /// Runs [`ask`] against a peer that reads the hello and answers `reply`
    /// (then closes, or stays silent with `hold`).
    async fn against(reply: Vec<u8>, hold: bool) -> Result<Outcome, Failure> {
        let (mut ours, mut theirs) = tokio::io::duplex(64 * 1024);
        let peer = tokio::spawn(async move {
            let mut hello = [0u8; 5];
            let _ = theirs.read_exact(&mut hello).await;
            let _ = theirs.write_all(&reply).await;
            if hold {
                let mut rest = Vec::new();
                let _ = theirs.read_to_end(&mut rest).await;
            }
        });
        let mut spec = HelloSpec::new(TlsVersion::Tls12, vec![0xC02F], None);
        spec.groups = vec![X25519];
        let deadline = Instant::now() + std::time::Duration::from_secs(5);
        let outcome = ask(&mut ours, deadline, &spec).await;
        drop(ours);
        let _ = peer.await;
        outcome
    }

    #[tokio::test]
    async fn hostile_first_flights_leave_it_open_in_words() {
        let alert = plain_record(21, &[2, 40]);
        assert_eq!(
            against(alert, false).await,
            Err(Failure::Alert {
                alert: "handshake_failure".to_owned(),
                during: "in answer to the hello"
            })
        );
        assert!(matches!(
            against(Vec::new(), false).await,
            Err(Failure::Closed(_))
        ));
        assert_eq!(
            against(vec![22, 3, 3, 0xFF, 0xFF], true).await,
            Err(Failure::Malformed("record length"))
        );
        assert_eq!(
            against(b"* OK IMAP ready".to_vec(), true).await,
            Err(Failure::Malformed("record header"))
        );
        // A ServerHello for a suite that was not offered.
        let mut hello = vec![3, 3];
        hello.extend_from_slice(&[7; 32]);
        hello.extend_from_slice(&[0, 0x00, 0x2F, 0]);
        let record = plain_record(22, &handshake_message(2, &hello));
        assert_eq!(
            against(record, true).await,
            Err(Failure::NotOffered("cipher suite 0x002F".to_owned()))
        );
        // A handshake message claiming more than the bound.
        let record = plain_record(22, &[2, 0x7F, 0xFF, 0xFF]);
        assert_eq!(against(record, true).await, Err(Failure::TooMuch));
        // ServerHelloDone with nothing before it.
        let record = plain_record(22, &handshake_message(14, &[]));
        assert!(matches!(
            against(record, true).await,
            Err(Failure::Unexpected(_))
        ));
    }

    #[test]
    fn hostile_bytes_are_refused_without_panic() {
        assert_eq!(ecdhe_share(&[]), None);
        assert_eq!(ecdhe_share(&[3, 0, 0x1d, 32, 1]), None);
        assert_eq!(ecdhe_share(&[3, 0, 0x1d, 1, 9]), Some((0x1d, vec![9])));
        let mut buffer = vec![20, 0xff, 0xff, 0xff];
        assert_eq!(take_message(&mut buffer), Err(Failure::TooMuch));
        let mut short = vec![20, 0, 0, 12, 1];
        assert_eq!(take_message(&mut short), Ok(None));
        let mut p = Protection::new(Cipher::Aes128Gcm, &[0; 16], &[0; 4]).unwrap();
        assert_eq!(p.open(22, &[0; 7]), None);
        assert_eq!(p.open(22, &[0; 20]), None);
    }
}

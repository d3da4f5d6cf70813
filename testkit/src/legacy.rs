//! A hand-made TLS 1.2 server that emulates what no maintained library can be
//! made to do any more: choose DEFLATE compression, echo heartbeats
//! (Heartbleed), keep silent after an early ChangeCipherSpec (CCS injection),
//! leave out extended_master_secret, use a chosen DH prime, or tell right from
//! wrong RSA padding in a ClientKeyExchange (ROBOT).
//!
//! It speaks only as far as the end of its first flight (ServerHello,
//! Certificate, ServerKeyExchange for DHE, ServerHelloDone) and never derives a
//! key: enough for a probe that reads answers and hangs up. Given an RSA key,
//! it decrypts a ClientKeyExchange (raw m^d mod n) only to judge its padding
//! as a [`RobotOracle`] would; a sound one (no quirk) takes any
//! ClientKeyExchange and fails the Finished after it with bad_record_mac, as
//! a server that uses a random premaster for bad padding does. It listens on
//! 127.0.0.1 only, one thread per connection, until dropped. Its "leaked"
//! heartbeat bytes are zeros.

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::Duration;

use num_bigint::BigUint;
use rustls_pki_types::{CertificateDer, PrivateKeyDer};

/// TLS_RSA_WITH_AES_128_GCM_SHA256.
pub const RSA_SUITE: u16 = 0x009C;
/// TLS_DHE_RSA_WITH_AES_128_GCM_SHA256.
pub const DHE_SUITE: u16 = 0x009E;

/// What the emulated server does wrong (or right).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Quirks {
    /// Chooses DEFLATE when the client offers it.
    pub deflate: bool,
    /// Announces the heartbeat extension and answers every heartbeat request
    /// with a heartbeat response, whatever length it claims.
    pub heartbleed: bool,
    /// Takes an early ChangeCipherSpec in silence, as OpenSSL before 1.0.1h
    /// did, and answers the next record with bad_record_mac (a sound server
    /// sends unexpected_message to the CCS itself).
    pub ignore_early_ccs: bool,
    /// Takes an early ChangeCipherSpec and then answers nothing at all (what
    /// some servers do; it proves neither way).
    pub silent_after_ccs: bool,
    /// Answers extended_master_secret when offered.
    pub extended_master_secret: bool,
    /// Offers DHE with this prime (generator 2) when the client offers it.
    pub dh_prime: Option<Vec<u8>>,
    /// Sends [`crate::pki::SCT_LOG_IDS`]' timestamps in the
    /// signed_certificate_timestamp extension when asked.
    pub scts: bool,
    /// Tells RSA padding apart (needs the key: [`LegacyServer::start_with_key`]):
    /// a ClientKeyExchange whose padding the oracle finds wrong is answered at
    /// once with handshake_failure; one it finds right waits for the Finished
    /// and fails its MAC (bad_record_mac).
    pub robot: Option<RobotOracle>,
    /// Refuses the RSA key-exchange suite: only DHE (with `dh_prime`) is left.
    pub no_rsa_key_exchange: bool,
    /// Also speaks SSL 3.0: to an SSL 3.0 hello offering RC4-SHA or
    /// DES-CBC3-SHA it answers with an SSL 3.0 ServerHello, its certificate
    /// and ServerHelloDone (OpenSSL 3 can no longer be built to).
    pub ssl3: bool,
}

/// How a ROBOT-vulnerable server judges a decrypted premaster.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RobotOracle {
    /// Only the first two bytes (00 02) count: a strong oracle.
    Strong,
    /// The whole PKCS#1 v1.5 structure and a 48-byte secret count, the
    /// version inside it not: a weak oracle.
    Weak,
    /// A strong oracle for the first five ClientKeyExchanges, sound after
    /// them: answers that do not repeat (a load balancer in front of a
    /// vulnerable and a sound server).
    Flaky,
}

/// The private RSA key's modulus and private exponent.
#[derive(Debug)]
struct RsaPrivate {
    n: BigUint,
    d: BigUint,
    len: usize,
}

/// One DER TLV: tag, content, rest.
fn tlv(input: &[u8]) -> Option<(u8, &[u8], &[u8])> {
    let (&tag, rest) = input.split_first()?;
    let (&first, rest) = rest.split_first()?;
    let (len, rest) = if first < 0x80 {
        (usize::from(first), rest)
    } else {
        let n = usize::from(first & 0x7f);
        if n > 4 || rest.len() < n {
            return None;
        }
        let len = rest[..n]
            .iter()
            .fold(0usize, |a, &b| (a << 8) | usize::from(b));
        (len, &rest[n..])
    };
    (rest.len() >= len).then(|| (tag, &rest[..len], &rest[len..]))
}

/// n and d from a PKCS#8 RSA key (RFC 5208 PrivateKeyInfo around an RFC 8017
/// RSAPrivateKey).
fn rsa_private(pkcs8: &[u8]) -> Option<RsaPrivate> {
    let (_, info, _) = tlv(pkcs8)?;
    let (_, _version, rest) = tlv(info)?;
    let (_, _algorithm, rest) = tlv(rest)?;
    let (_, octets, _) = tlv(rest)?;
    let (_, key, _) = tlv(octets)?;
    let (_, _version, rest) = tlv(key)?;
    let (_, n, rest) = tlv(rest)?;
    let (_, _e, rest) = tlv(rest)?;
    let (_, d, _) = tlv(rest)?;
    let n = BigUint::from_bytes_be(n);
    let len = usize::try_from(n.bits().div_ceil(8)).ok()?;
    Some(RsaPrivate {
        n,
        d: BigUint::from_bytes_be(d),
        len,
    })
}

impl RobotOracle {
    /// Whether this oracle finds the padding of `ciphertext` right.
    fn padding_ok(self, key: &RsaPrivate, ciphertext: &[u8]) -> bool {
        let m = BigUint::from_bytes_be(ciphertext)
            .modpow(&key.d, &key.n)
            .to_bytes_be();
        if m.len() > key.len {
            return false;
        }
        let mut block = vec![0u8; key.len - m.len()];
        block.extend_from_slice(&m);
        if block[..2] != [0, 2] {
            return false;
        }
        match self {
            RobotOracle::Strong | RobotOracle::Flaky => true,
            RobotOracle::Weak => {
                let separator = block[2..].iter().position(|&b| b == 0).map(|i| i + 2);
                separator.is_some_and(|i| i >= 10 && block.len() - i - 1 == 48)
            }
        }
    }
}

/// The running emulation; stops when dropped.
#[derive(Debug)]
pub struct LegacyServer {
    addr: SocketAddr,
    stop: Arc<AtomicBool>,
    accepted: Arc<AtomicUsize>,
    key_exchanges: Arc<AtomicUsize>,
    thread: Option<JoinHandle<()>>,
}

impl LegacyServer {
    /// Starts serving `chain` (leaf first; the key is never used) on a free
    /// loopback port.
    pub fn start(quirks: Quirks, chain: Vec<CertificateDer<'static>>) -> std::io::Result<Self> {
        Self::start_inner(quirks, chain, None)
    }

    /// Like [`LegacyServer::start`], with the chain's PKCS#8 RSA `key`, which
    /// [`Quirks::robot`] uses to judge ClientKeyExchanges.
    pub fn start_with_key(
        quirks: Quirks,
        chain: Vec<CertificateDer<'static>>,
        key: &PrivateKeyDer<'_>,
    ) -> std::io::Result<Self> {
        let key = rsa_private(key.secret_der()).ok_or_else(|| {
            std::io::Error::new(std::io::ErrorKind::InvalidInput, "not a PKCS#8 RSA key")
        })?;
        Self::start_inner(quirks, chain, Some(key))
    }

    fn start_inner(
        quirks: Quirks,
        chain: Vec<CertificateDer<'static>>,
        key: Option<RsaPrivate>,
    ) -> std::io::Result<Self> {
        let listener = TcpListener::bind("127.0.0.1:0")?;
        let addr = listener.local_addr()?;
        let stop = Arc::new(AtomicBool::new(false));
        let accepted = Arc::new(AtomicUsize::new(0));
        let key_exchanges = Arc::new(AtomicUsize::new(0));
        let (stop2, accepted2, kx2) = (stop.clone(), accepted.clone(), key_exchanges.clone());
        let quirks = Arc::new(quirks);
        let chain = Arc::new(chain);
        let key = Arc::new(key);
        let thread = std::thread::spawn(move || {
            while !stop2.load(Ordering::SeqCst) {
                match listener.accept() {
                    // The connection Drop makes to wake the accept.
                    Ok(_) if stop2.load(Ordering::SeqCst) => break,
                    Ok((stream, _)) => {
                        accepted2.fetch_add(1, Ordering::SeqCst);
                        let (quirks, chain, key) = (quirks.clone(), chain.clone(), key.clone());
                        let kx = kx2.clone();
                        std::thread::spawn(move || {
                            let _ = serve(stream, &quirks, &chain, key.as_ref().as_ref(), &kx);
                        });
                    }
                    Err(_) => break,
                }
            }
        });
        Ok(LegacyServer {
            addr,
            stop,
            accepted,
            key_exchanges,
            thread: Some(thread),
        })
    }

    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// Connections accepted so far.
    pub fn connections(&self) -> usize {
        self.accepted.load(Ordering::SeqCst)
    }

    /// ClientKeyExchange records received so far.
    pub fn key_exchanges(&self) -> usize {
        self.key_exchanges.load(Ordering::SeqCst)
    }
}

impl Drop for LegacyServer {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        // Wakes the blocking accept, which then sees the flag.
        let _ = TcpStream::connect_timeout(&self.addr, Duration::from_secs(1));
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

/// What the emulation reads of a ClientHello.
struct Hello {
    version: u16,
    suites: Vec<u16>,
    compression: Vec<u8>,
    extensions: Vec<u16>,
}

fn read_record(stream: &mut TcpStream) -> std::io::Result<(u8, Vec<u8>)> {
    let mut header = [0u8; 5];
    stream.read_exact(&mut header)?;
    let len = usize::from(u16::from_be_bytes([header[3], header[4]]));
    let mut body = vec![0u8; len];
    stream.read_exact(&mut body)?;
    Ok((header[0], body))
}

fn parse_hello(body: &[u8]) -> Option<Hello> {
    let mut at = 4; // handshake header
    let version = u16::from_be_bytes([*body.get(at)?, *body.get(at + 1)?]);
    at += 2 + 32;
    at += 1 + usize::from(*body.get(at)?);
    let n = usize::from(u16::from_be_bytes([*body.get(at)?, *body.get(at + 1)?]));
    let suites = body
        .get(at + 2..at + 2 + n)?
        .chunks_exact(2)
        .map(|c| u16::from_be_bytes([c[0], c[1]]))
        .collect();
    at += 2 + n;
    let n = usize::from(*body.get(at)?);
    let compression = body.get(at + 1..at + 1 + n)?.to_vec();
    at += 1 + n;
    let mut extensions = Vec::new();
    if let Some(len) = body.get(at..at + 2) {
        let end = at + 2 + usize::from(u16::from_be_bytes([len[0], len[1]]));
        at += 2;
        while at + 4 <= end.min(body.len()) {
            extensions.push(u16::from_be_bytes([body[at], body[at + 1]]));
            at += 4 + usize::from(u16::from_be_bytes([body[at + 2], body[at + 3]]));
        }
    }
    Some(Hello {
        version,
        suites,
        compression,
        extensions,
    })
}

fn record(kind: u8, body: &[u8]) -> Vec<u8> {
    let mut out = vec![kind, 3, 3];
    out.extend_from_slice(&(body.len() as u16).to_be_bytes());
    out.extend_from_slice(body);
    out
}

fn handshake(kind: u8, body: &[u8]) -> Vec<u8> {
    let mut out = vec![kind];
    out.extend_from_slice(&(body.len() as u32).to_be_bytes()[1..]);
    out.extend_from_slice(body);
    out
}

/// The Certificate handshake message carrying `chain`.
fn certificate_message(chain: &[CertificateDer<'static>]) -> Vec<u8> {
    let mut certificates = Vec::new();
    for der in chain {
        certificates.extend_from_slice(&(der.len() as u32).to_be_bytes()[1..]);
        certificates.extend_from_slice(der);
    }
    let mut body = (certificates.len() as u32).to_be_bytes()[1..].to_vec();
    body.extend_from_slice(&certificates);
    handshake(11, &body)
}

fn alert(stream: &mut TcpStream, description: u8) -> std::io::Result<()> {
    stream.write_all(&record(21, &[2, description]))
}

/// SSL 3.0's suites the emulation chooses, in its order: RC4-SHA, DES-CBC3-SHA.
const SSL3_SUITES: [u16; 2] = [0x0005, 0x000A];

/// The SSL 3.0 answer: ServerHello (no extensions: SSL 3.0 has none),
/// Certificate, ServerHelloDone, in SSL 3.0 records; then it waits for the
/// client to go.
fn serve_ssl3(
    mut stream: TcpStream,
    hello: &Hello,
    chain: &[CertificateDer<'static>],
) -> std::io::Result<()> {
    let ssl3_record = |kind: u8, body: &[u8]| {
        let mut out = vec![kind, 3, 0];
        out.extend_from_slice(&(body.len() as u16).to_be_bytes());
        out.extend_from_slice(body);
        out
    };
    let Some(suite) = SSL3_SUITES.into_iter().find(|s| hello.suites.contains(s)) else {
        return stream.write_all(&ssl3_record(21, &[2, 40])); // handshake_failure
    };
    let mut server_hello = vec![3, 0];
    server_hello.extend_from_slice(&[0x30; 32]);
    server_hello.push(0); // no session id
    server_hello.extend_from_slice(&suite.to_be_bytes());
    server_hello.push(0); // no compression
    let mut flight = handshake(2, &server_hello);
    flight.extend(certificate_message(chain));
    flight.extend(handshake(14, &[]));
    stream.write_all(&ssl3_record(22, &flight))?;
    while read_record(&mut stream).is_ok() {}
    Ok(())
}

fn serve(
    mut stream: TcpStream,
    quirks: &Quirks,
    chain: &[CertificateDer<'static>],
    key: Option<&RsaPrivate>,
    key_exchanges: &AtomicUsize,
) -> std::io::Result<()> {
    stream.set_read_timeout(Some(Duration::from_secs(20)))?;
    let (kind, body) = read_record(&mut stream)?;
    let Some(hello) = (kind == 22).then(|| parse_hello(&body)).flatten() else {
        return alert(&mut stream, 10);
    };
    if hello.version == 0x0300 && quirks.ssl3 {
        return serve_ssl3(stream, &hello, chain);
    }
    if hello.version < 0x0303 {
        return alert(&mut stream, 70); // protocol_version
    }
    let dhe = quirks.dh_prime.is_some() && hello.suites.contains(&DHE_SUITE);
    let suite = if dhe {
        DHE_SUITE
    } else if hello.suites.contains(&RSA_SUITE) && !quirks.no_rsa_key_exchange {
        RSA_SUITE
    } else {
        return alert(&mut stream, 40); // handshake_failure
    };
    let compression = u8::from(quirks.deflate && hello.compression.contains(&1));
    let mut extensions = vec![0xFF, 0x01, 0, 1, 0]; // renegotiation_info
    if quirks.extended_master_secret && hello.extensions.contains(&23) {
        extensions.extend_from_slice(&[0, 23, 0, 0]);
    }
    if quirks.scts && hello.extensions.contains(&18) {
        // The extension carries the list without the certificate's DER wrapping.
        let der =
            crate::pki::sct_list_extension(&crate::pki::SCT_LOG_IDS, crate::pki::SCT_TIMESTAMP_MS);
        let list = &der[2..];
        extensions.extend_from_slice(&[0, 18]);
        extensions.extend_from_slice(&(list.len() as u16).to_be_bytes());
        extensions.extend_from_slice(list);
    }
    if quirks.heartbleed && hello.extensions.contains(&15) {
        extensions.extend_from_slice(&[0, 15, 0, 1, 1]);
    }
    let mut server_hello = vec![3, 3];
    server_hello.extend_from_slice(&[0x42; 32]);
    server_hello.push(0); // no session id
    server_hello.extend_from_slice(&suite.to_be_bytes());
    server_hello.push(compression);
    server_hello.extend_from_slice(&(extensions.len() as u16).to_be_bytes());
    server_hello.extend_from_slice(&extensions);
    let mut flight = handshake(2, &server_hello);
    flight.extend(certificate_message(chain));
    if let (true, Some(prime)) = (dhe, &quirks.dh_prime) {
        let mut ske = (prime.len() as u16).to_be_bytes().to_vec();
        ske.extend_from_slice(prime);
        ske.extend_from_slice(&[0, 1, 2]); // g = 2
        ske.extend_from_slice(&[0, 1, 5]); // Ys, made up
        ske.extend_from_slice(&[4, 1, 0, 4, 1, 2, 3, 4]); // a signature that is not one
        flight.extend(handshake(12, &ske));
    }
    flight.extend(handshake(14, &[]));
    stream.write_all(&record(22, &flight))?;
    let (mut ccs_accepted, mut silent) = (false, false);
    let (mut key_exchanged, mut ccs_after_kx) = (false, false);
    loop {
        let (kind, body) = read_record(&mut stream)?;
        match kind {
            // A ClientKeyExchange (RSA: a two-byte length, then the ciphertext).
            22 if suite == RSA_SUITE
                && !key_exchanged
                && !ccs_accepted
                && !silent
                && body.first() == Some(&16) =>
            {
                let earlier = key_exchanges.fetch_add(1, Ordering::SeqCst);
                let ciphertext = body.get(6..).unwrap_or_default();
                let oracle = quirks
                    .robot
                    .filter(|&o| !(o == RobotOracle::Flaky && earlier >= 5));
                if let (Some(oracle), Some(key)) = (oracle, key) {
                    if !oracle.padding_ok(key, ciphertext) {
                        return alert(&mut stream, 40); // handshake_failure
                    }
                }
                key_exchanged = true;
            }
            20 if key_exchanged && body == [1] => ccs_after_kx = true,
            // The Finished, "encrypted" under keys from whatever premaster.
            _ if ccs_after_kx => return alert(&mut stream, 20), // bad_record_mac
            24 if quirks.heartbleed => {
                // A response as long as the request's payload claims would
                // leak memory; this one carries 16 zero bytes.
                let mut response = vec![2, 0, 16];
                response.extend_from_slice(&[0; 32]);
                stream.write_all(&record(24, &response))?;
            }
            20 if quirks.ignore_early_ccs && body == [1] => ccs_accepted = true,
            20 if quirks.silent_after_ccs && body == [1] => silent = true,
            _ if silent => {}
            // Having taken the early CCS, the next record is "encrypted" with
            // keys from no master secret, and its MAC cannot verify.
            _ if ccs_accepted => return alert(&mut stream, 20), // bad_record_mac
            _ => return alert(&mut stream, 10),                 // unexpected_message
        }
    }
}

//! Reads what a server answers to a ClientHello: records, handshake messages, alerts.
//!
//! Strictly bounds-checked and size-capped: every malformed input is a
//! [`ParseError`], never a panic. Handshake messages may be split across records
//! or share one; [`FlightReader`] reassembles them.

use std::collections::VecDeque;

/// The most bytes read from one server answer.
pub const MAX_BYTES: usize = 128 * 1024;
/// The most certificates kept from one Certificate message.
pub const MAX_CERTIFICATES: usize = 16;
/// The largest record payload a server may send (2^14 plus expansion, RFC 5246 6.2.3).
const MAX_RECORD: usize = (1 << 14) + 2048;

/// SHA-256("HelloRetryRequest"): the ServerHello random of a HelloRetryRequest (RFC 8446 4.1.3).
pub const HELLO_RETRY_RANDOM: [u8; 32] = [
    0xCF, 0x21, 0xAD, 0x74, 0xE5, 0x9A, 0x61, 0x11, 0xBE, 0x1D, 0x8C, 0x02, 0x1E, 0x65, 0xB8, 0x91,
    0xC2, 0xA2, 0x11, 0x16, 0x7A, 0xBB, 0x8C, 0x5E, 0x07, 0x9E, 0x09, 0xE2, 0xC8, 0xA8, 0x33, 0x9C,
];

/// Why a server answer could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ParseError {
    #[error("the server's answer is not TLS (first byte {first:#04x})")]
    NotTls { first: u8 },
    #[error("malformed {what} from the server")]
    Malformed { what: &'static str },
    #[error("the server sent a TLS record of {len} bytes, more than TLS allows")]
    RecordTooLong { len: usize },
    #[error("the server sent more than {MAX_BYTES} bytes before its hello was complete")]
    TooMuch,
    #[error("the server sent more than {MAX_CERTIFICATES} certificates")]
    TooManyCertificates,
}

fn malformed(what: &'static str) -> ParseError {
    ParseError::Malformed { what }
}

/// A fatal or warning alert.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Alert {
    pub level: u8,
    pub description: u8,
}

impl Alert {
    pub fn is_fatal(&self) -> bool {
        self.level == 2
    }

    /// The RFC spelling, e.g. `handshake_failure`.
    pub fn name(&self) -> String {
        alert_name(self.description)
    }
}

/// The RFC 8446 / RFC 5246 name of an alert description.
pub fn alert_name(description: u8) -> String {
    let name = match description {
        0 => "close_notify",
        10 => "unexpected_message",
        20 => "bad_record_mac",
        21 => "decryption_failed",
        22 => "record_overflow",
        30 => "decompression_failure",
        40 => "handshake_failure",
        41 => "no_certificate",
        42 => "bad_certificate",
        43 => "unsupported_certificate",
        44 => "certificate_revoked",
        45 => "certificate_expired",
        46 => "certificate_unknown",
        47 => "illegal_parameter",
        48 => "unknown_ca",
        49 => "access_denied",
        50 => "decode_error",
        51 => "decrypt_error",
        60 => "export_restriction",
        70 => "protocol_version",
        71 => "insufficient_security",
        80 => "internal_error",
        86 => "inappropriate_fallback",
        90 => "user_canceled",
        100 => "no_renegotiation",
        109 => "missing_extension",
        110 => "unsupported_extension",
        112 => "unrecognized_name",
        113 => "bad_certificate_status_response",
        115 => "unknown_psk_identity",
        116 => "certificate_required",
        120 => "no_application_protocol",
        other => return format!("alert_{other}"),
    };
    name.to_owned()
}

/// A ServerHello or HelloRetryRequest.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServerHello {
    /// The version field of the message (0x0303 for TLS 1.3).
    pub legacy_version: u16,
    pub cipher_suite: u16,
    pub compression: u8,
    /// Extension types in the order sent.
    pub extensions: Vec<u16>,
    /// From supported_versions, if present.
    pub selected_version: Option<u16>,
    /// From key_share: the group of the server's share, or the group a
    /// HelloRetryRequest asks for.
    pub key_share_group: Option<u16>,
    /// This is a HelloRetryRequest (RFC 8446 4.1.4).
    pub hello_retry: bool,
    /// The last 8 bytes of the random are a TLS 1.3 downgrade sentinel (RFC 8446 4.1.3).
    pub downgrade_sentinel: bool,
    /// The body of signed_certificate_timestamp (RFC 6962 3.3), if sent.
    pub sct_list: Option<Vec<u8>>,
}

impl ServerHello {
    /// The version the server chose.
    pub fn version(&self) -> u16 {
        self.selected_version.unwrap_or(self.legacy_version)
    }
}

/// A handshake message the probe cares about.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Message {
    ServerHello(ServerHello),
    /// TLS ≤ 1.2 Certificate: the DER chain as sent, leaf first.
    Certificate(Vec<Vec<u8>>),
    /// The raw ServerKeyExchange body; its layout depends on the suite.
    ServerKeyExchange(Vec<u8>),
    CertificateRequest,
    ServerHelloDone,
    /// Any other handshake type.
    Other(u8),
}

/// One thing the server sent.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Event {
    Handshake(Message),
    Alert(Alert),
    ChangeCipherSpec,
    /// An encrypted record (TLS 1.3 after the ServerHello); not read further.
    ApplicationData,
    /// An SSL 2.0-format answer: the server speaks only SSL 2.0, or chose it.
    Sslv2Reply,
}

/// Incremental reader of a server's answer: feed bytes, take events.
#[derive(Debug, Default)]
pub struct FlightReader {
    buffer: Vec<u8>,
    handshake: Vec<u8>,
    events: VecDeque<Event>,
    total: usize,
    first_seen: bool,
    /// Set after an SSLv2 reply or a fatal parse error: nothing more is read.
    finished: bool,
}

impl FlightReader {
    pub fn new() -> FlightReader {
        FlightReader::default()
    }

    /// Adds bytes from the server and parses what is complete.
    pub fn feed(&mut self, bytes: &[u8]) -> Result<(), ParseError> {
        if self.finished {
            return Ok(());
        }
        self.total = self.total.saturating_add(bytes.len());
        if self.total > MAX_BYTES {
            self.finished = true;
            return Err(ParseError::TooMuch);
        }
        self.buffer.extend_from_slice(bytes);
        let result = self.parse_records();
        if result.is_err() {
            self.finished = true;
        }
        result
    }

    /// The next complete event, if any.
    pub fn next_event(&mut self) -> Option<Event> {
        self.events.pop_front()
    }

    fn parse_records(&mut self) -> Result<(), ParseError> {
        let mut at = 0;
        let result = loop {
            let rest = &self.buffer[at..];
            if !self.first_seen {
                let Some(&first) = rest.first() else {
                    break Ok(());
                };
                if first & 0x80 != 0 {
                    // SSL 2.0 record header: 2-byte length with the high bit set,
                    // then the message type; SERVER-HELLO is 4.
                    if rest.len() < 3 {
                        break Ok(());
                    }
                    if rest[2] == 4 {
                        self.first_seen = true;
                        self.finished = true;
                        self.events.push_back(Event::Sslv2Reply);
                        break Ok(());
                    }
                    break Err(ParseError::NotTls { first });
                }
                if !(20..=24).contains(&first) {
                    break Err(ParseError::NotTls { first });
                }
                self.first_seen = true;
            }
            if rest.len() < 5 {
                break Ok(());
            }
            let kind = rest[0];
            if rest[1] != 3 {
                break Err(malformed("record version"));
            }
            let len = usize::from(u16::from_be_bytes([rest[3], rest[4]]));
            if len > MAX_RECORD {
                break Err(ParseError::RecordTooLong { len });
            }
            let Some(payload) = rest.get(5..5 + len) else {
                break Ok(());
            };
            let payload = payload.to_vec();
            at += 5 + len;
            if let Err(e) = self.on_record(kind, &payload) {
                break Err(e);
            }
        };
        self.buffer.drain(..at);
        result
    }

    fn on_record(&mut self, kind: u8, payload: &[u8]) -> Result<(), ParseError> {
        if kind != 22 && !self.handshake.is_empty() {
            return Err(malformed(
                "record sequence (a handshake message was cut off)",
            ));
        }
        match kind {
            20 => {
                if payload != [1] {
                    return Err(malformed("ChangeCipherSpec"));
                }
                self.events.push_back(Event::ChangeCipherSpec);
            }
            21 => {
                // An alert record may in principle carry several alerts.
                if payload.is_empty() || payload.len() % 2 != 0 {
                    return Err(malformed("alert"));
                }
                for pair in payload.chunks_exact(2) {
                    self.events.push_back(Event::Alert(Alert {
                        level: pair[0],
                        description: pair[1],
                    }));
                }
            }
            22 => {
                if payload.is_empty() {
                    return Err(malformed("empty handshake record"));
                }
                self.handshake.extend_from_slice(payload);
                self.take_handshake_messages()?;
            }
            23 => self.events.push_back(Event::ApplicationData),
            // 24: heartbeat; ignored.
            24 => {}
            _ => return Err(malformed("record type")),
        }
        Ok(())
    }

    fn take_handshake_messages(&mut self) -> Result<(), ParseError> {
        let mut at = 0;
        while let Some(header) = self.handshake.get(at..at + 4) {
            let kind = header[0];
            let len =
                usize::from(header[1]) << 16 | usize::from(header[2]) << 8 | usize::from(header[3]);
            if len > MAX_BYTES {
                return Err(ParseError::TooMuch);
            }
            let Some(body) = self.handshake.get(at + 4..at + 4 + len) else {
                break;
            };
            let message = parse_message(kind, body)?;
            self.events.push_back(Event::Handshake(message));
            at += 4 + len;
        }
        self.handshake.drain(..at);
        Ok(())
    }
}

/// A cursor over a byte slice whose reads fail instead of panicking.
struct Cursor<'a> {
    bytes: &'a [u8],
    what: &'static str,
}

impl<'a> Cursor<'a> {
    fn new(bytes: &'a [u8], what: &'static str) -> Self {
        Cursor { bytes, what }
    }

    fn take(&mut self, n: usize) -> Result<&'a [u8], ParseError> {
        if n > self.bytes.len() {
            return Err(malformed(self.what));
        }
        let (head, tail) = self.bytes.split_at(n);
        self.bytes = tail;
        Ok(head)
    }

    fn u8(&mut self) -> Result<u8, ParseError> {
        Ok(self.take(1)?[0])
    }

    fn u16(&mut self) -> Result<u16, ParseError> {
        let b = self.take(2)?;
        Ok(u16::from_be_bytes([b[0], b[1]]))
    }

    fn u24(&mut self) -> Result<usize, ParseError> {
        let b = self.take(3)?;
        Ok(usize::from(b[0]) << 16 | usize::from(b[1]) << 8 | usize::from(b[2]))
    }

    fn vec8(&mut self) -> Result<&'a [u8], ParseError> {
        let n = usize::from(self.u8()?);
        self.take(n)
    }

    fn vec16(&mut self) -> Result<&'a [u8], ParseError> {
        let n = usize::from(self.u16()?);
        self.take(n)
    }

    fn vec24(&mut self) -> Result<&'a [u8], ParseError> {
        let n = self.u24()?;
        self.take(n)
    }

    fn is_empty(&self) -> bool {
        self.bytes.is_empty()
    }

    fn finish(&self) -> Result<(), ParseError> {
        if self.bytes.is_empty() {
            Ok(())
        } else {
            Err(malformed(self.what))
        }
    }
}

/// Parses one handshake message body of type `kind`.
pub fn parse_message(kind: u8, body: &[u8]) -> Result<Message, ParseError> {
    Ok(match kind {
        2 => Message::ServerHello(parse_server_hello(body)?),
        11 => Message::Certificate(parse_certificate(body)?),
        12 => Message::ServerKeyExchange(body.to_vec()),
        13 => Message::CertificateRequest,
        14 => {
            if !body.is_empty() {
                return Err(malformed("ServerHelloDone"));
            }
            Message::ServerHelloDone
        }
        other => Message::Other(other),
    })
}

/// Parses a ServerHello (or HelloRetryRequest) body.
pub fn parse_server_hello(body: &[u8]) -> Result<ServerHello, ParseError> {
    let mut c = Cursor::new(body, "ServerHello");
    let legacy_version = c.u16()?;
    let random = c.take(32)?;
    let session_id = c.vec8()?;
    if session_id.len() > 32 {
        return Err(malformed("ServerHello session id"));
    }
    let cipher_suite = c.u16()?;
    let compression = c.u8()?;
    let hello_retry = random == HELLO_RETRY_RANDOM;
    let downgrade_sentinel = random[24..31] == *b"DOWNGRD" && random[31] <= 1;
    let mut hello = ServerHello {
        legacy_version,
        cipher_suite,
        compression,
        extensions: Vec::new(),
        selected_version: None,
        key_share_group: None,
        hello_retry,
        downgrade_sentinel,
        sct_list: None,
    };
    if c.is_empty() {
        // SSL 3.0 and early TLS: no extensions at all.
        return Ok(hello);
    }
    let mut ext = Cursor::new(c.vec16()?, "ServerHello extensions");
    c.finish()?;
    while !ext.is_empty() {
        let kind = ext.u16()?;
        let data = ext.vec16()?;
        if hello.extensions.contains(&kind) {
            return Err(malformed("ServerHello (duplicate extension)"));
        }
        hello.extensions.push(kind);
        match kind {
            43 => {
                let mut d = Cursor::new(data, "supported_versions");
                hello.selected_version = Some(d.u16()?);
                d.finish()?;
            }
            18 => hello.sct_list = Some(data.to_vec()),
            51 => {
                let mut d = Cursor::new(data, "key_share");
                hello.key_share_group = Some(d.u16()?);
                if !hello_retry {
                    let share = d.vec16()?;
                    if share.is_empty() {
                        return Err(malformed("key_share"));
                    }
                }
                d.finish()?;
            }
            _ => {}
        }
    }
    Ok(hello)
}

/// Parses a TLS ≤ 1.2 Certificate body into the DER certificates.
pub fn parse_certificate(body: &[u8]) -> Result<Vec<Vec<u8>>, ParseError> {
    let mut c = Cursor::new(body, "Certificate");
    let mut list = Cursor::new(c.vec24()?, "Certificate list");
    c.finish()?;
    let mut certs = Vec::new();
    while !list.is_empty() {
        if certs.len() == MAX_CERTIFICATES {
            return Err(ParseError::TooManyCertificates);
        }
        let der = list.vec24()?;
        if der.is_empty() {
            return Err(malformed("Certificate (empty entry)"));
        }
        certs.push(der.to_vec());
    }
    Ok(certs)
}

/// The named curve of an ECDHE ServerKeyExchange (RFC 8422 5.4).
pub fn ecdhe_curve(server_key_exchange: &[u8]) -> Option<u16> {
    let mut c = Cursor::new(server_key_exchange, "ServerKeyExchange");
    // curve_type 3 = named_curve
    (c.u8().ok()? == 3).then(|| c.u16().ok()).flatten()
}

/// The size in bits of the prime of a DHE ServerKeyExchange (RFC 5246 7.4.3).
pub fn dhe_prime_bits(server_key_exchange: &[u8]) -> Option<u32> {
    let mut c = Cursor::new(server_key_exchange, "ServerKeyExchange");
    let p = c.vec16().ok()?;
    let first = p.iter().position(|&b| b != 0)?;
    let significant = (p.len() - first) as u32;
    Some(significant * 8 - p[first].leading_zeros())
}

/// The prime and generator of a DHE ServerKeyExchange (RFC 5246 7.4.3),
/// each at most 2 KiB (16384 bits).
pub fn dhe_params(server_key_exchange: &[u8]) -> Option<(Vec<u8>, Vec<u8>)> {
    let mut c = Cursor::new(server_key_exchange, "ServerKeyExchange");
    let p = c.vec16().ok()?;
    let g = c.vec16().ok()?;
    (p.len() <= 2048 && g.len() <= 2048 && !p.is_empty()).then(|| (p.to_vec(), g.to_vec()))
}

/// Parses a whole answer at once (for tests and fuzzing): every event up to the
/// first error.
pub fn parse_all(bytes: &[u8]) -> (Vec<Event>, Option<ParseError>) {
    let mut reader = FlightReader::new();
    let error = reader.feed(bytes).err();
    let mut events = Vec::new();
    while let Some(event) = reader.next_event() {
        events.push(event);
    }
    (events, error)
}

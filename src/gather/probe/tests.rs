//! Unit tests of the probe: hello building, parsing, and the connection-budget rules.

use super::hello::*;
use super::parse::*;
use super::*;

fn record(kind: u8, payload: &[u8]) -> Vec<u8> {
    let mut out = vec![kind, 3, 3];
    out.extend_from_slice(&(payload.len() as u16).to_be_bytes());
    out.extend_from_slice(payload);
    out
}

fn handshake(kind: u8, body: &[u8]) -> Vec<u8> {
    let len = (body.len() as u32).to_be_bytes();
    let mut out = vec![kind, len[1], len[2], len[3]];
    out.extend_from_slice(body);
    out
}

fn server_hello_body(
    version: u16,
    random: [u8; 32],
    suite: u16,
    extensions: &[(u16, Vec<u8>)],
) -> Vec<u8> {
    let mut body = version.to_be_bytes().to_vec();
    body.extend_from_slice(&random);
    body.push(0); // empty session id
    body.extend_from_slice(&suite.to_be_bytes());
    body.push(0);
    if !extensions.is_empty() {
        let mut ext = Vec::new();
        for (kind, data) in extensions {
            ext.extend_from_slice(&kind.to_be_bytes());
            ext.extend_from_slice(&(data.len() as u16).to_be_bytes());
            ext.extend_from_slice(data);
        }
        body.extend_from_slice(&(ext.len() as u16).to_be_bytes());
        body.extend_from_slice(&ext);
    }
    body
}

fn certificate_body(certs: &[&[u8]]) -> Vec<u8> {
    let mut list = Vec::new();
    for cert in certs {
        list.extend_from_slice(&(cert.len() as u32).to_be_bytes()[1..]);
        list.extend_from_slice(cert);
    }
    let mut body = (list.len() as u32).to_be_bytes()[1..].to_vec();
    body.extend_from_slice(&list);
    body
}

/// A TLS 1.2 ECDHE flight: ServerHello, Certificate, ServerKeyExchange (x25519), ServerHelloDone.
fn tls12_flight() -> Vec<u8> {
    let mut messages = handshake(
        2,
        &server_hello_body(
            0x0303,
            [7; 32],
            0xC02F,
            &[(0xFF01, vec![0]), (11, vec![1, 0])],
        ),
    );
    messages.extend(handshake(
        11,
        &certificate_body(&[b"leaf-der", b"intermediate-der"]),
    ));
    messages.extend(handshake(12, &[3, 0x00, 0x1D, 32, 1, 2, 3]));
    messages.extend(handshake(14, &[]));
    messages
}

#[test]
fn a_flight_in_one_record_and_split_across_records_reads_the_same() {
    let messages = tls12_flight();
    let (one, error) = parse_all(&record(22, &messages));
    assert_eq!(error, None);
    // Split every 5 bytes: messages cross record boundaries.
    let mut split = Vec::new();
    for chunk in messages.chunks(5) {
        split.extend(record(22, chunk));
    }
    // And feed the bytes one at a time.
    let mut reader = FlightReader::new();
    let mut events = Vec::new();
    for byte in &split {
        reader.feed(&[*byte]).expect("valid");
        while let Some(e) = reader.next_event() {
            events.push(e);
        }
    }
    assert_eq!(events, one);
    assert_eq!(one.len(), 4);
    let Event::Handshake(Message::ServerHello(hello)) = &one[0] else {
        panic!("{one:?}")
    };
    assert_eq!((hello.version(), hello.cipher_suite), (0x0303, 0xC02F));
    assert_eq!(hello.extensions, [0xFF01, 11]);
    assert!(!hello.hello_retry && !hello.downgrade_sentinel);
    assert_eq!(
        one[1],
        Event::Handshake(Message::Certificate(vec![
            b"leaf-der".to_vec(),
            b"intermediate-der".to_vec()
        ]))
    );
    let Event::Handshake(Message::ServerKeyExchange(ske)) = &one[2] else {
        panic!()
    };
    assert_eq!(ecdhe_curve(ske), Some(0x001D));
    assert_eq!(one[3], Event::Handshake(Message::ServerHelloDone));
}

#[test]
fn tls13_server_hello_and_hello_retry_request() {
    let hello = server_hello_body(
        0x0303,
        [1; 32],
        0x1302,
        &[
            (43, vec![3, 4]),
            (51, [&[0, 0x1D, 0, 2][..], &[9, 9]].concat()),
        ],
    );
    let parsed = parse_server_hello(&hello).expect("valid");
    assert_eq!(parsed.version(), 0x0304);
    assert_eq!(parsed.key_share_group, Some(0x001D));
    assert!(!parsed.hello_retry);

    let hrr = server_hello_body(
        0x0303,
        HELLO_RETRY_RANDOM,
        0x1301,
        &[(43, vec![3, 4]), (51, vec![0, 0x17])],
    );
    let parsed = parse_server_hello(&hrr).expect("valid");
    assert!(parsed.hello_retry);
    assert_eq!(parsed.key_share_group, Some(0x0017));

    let mut random = [0u8; 32];
    random[24..].copy_from_slice(b"DOWNGRD\x01");
    let parsed =
        parse_server_hello(&server_hello_body(0x0303, random, 0xC02F, &[])).expect("valid");
    assert!(parsed.downgrade_sentinel);
}

#[test]
fn alerts_sslv2_and_garbage() {
    let (events, error) = parse_all(&record(21, &[2, 40]));
    assert_eq!(error, None);
    let Event::Alert(alert) = events[0] else {
        panic!()
    };
    assert!(alert.is_fatal());
    assert_eq!(alert.name(), "handshake_failure");
    assert_eq!(alert_name(70), "protocol_version");
    assert_eq!(alert_name(250), "alert_250");

    // An SSL 2.0 SERVER-HELLO: 2-byte header with the high bit, then type 4.
    let (events, error) = parse_all(&[0x80, 0x2E, 0x04, 0x00, 0x01, 0x00, 0x02]);
    assert_eq!((events, error), (vec![Event::Sslv2Reply], None));

    let (events, error) = parse_all(b"* OK IMAP ready\r\n");
    assert!(events.is_empty());
    assert_eq!(error, Some(ParseError::NotTls { first: b'*' }));

    let (_, error) = parse_all(&[22, 3, 3, 0xFF, 0xFF]);
    assert!(matches!(error, Some(ParseError::RecordTooLong { .. })));
    // A handshake message cut off by an alert record.
    let mut bytes = record(22, &[2, 0, 0, 10, 3, 3]);
    bytes.extend(record(21, &[2, 40]));
    assert!(matches!(
        parse_all(&bytes).1,
        Some(ParseError::Malformed { .. })
    ));
}

#[test]
fn limits_hold() {
    let many: Vec<&[u8]> = vec![b"x"; MAX_CERTIFICATES + 1];
    assert_eq!(
        parse_certificate(&certificate_body(&many)),
        Err(ParseError::TooManyCertificates)
    );
    let mut reader = FlightReader::new();
    let chunk = record(23, &[0u8; 16_000]);
    let mut result = Ok(());
    for _ in 0..(MAX_BYTES / chunk.len() + 2) {
        result = reader.feed(&chunk);
        if result.is_err() {
            break;
        }
    }
    assert_eq!(result, Err(ParseError::TooMuch));
    // A handshake header announcing 16 MiB.
    assert_eq!(
        parse_all(&record(22, &[2, 0xFF, 0xFF, 0xFF])).1,
        Some(ParseError::TooMuch)
    );
    assert_eq!(dhe_prime_bits(&[0, 3, 0x01, 0xFF, 0xFF, 0, 1, 2]), Some(17));
    assert_eq!(ecdhe_curve(&[1]), None);
}

/// The parser never panics: deterministic pseudo-random input and mutations of
/// real flights (the cargo-fuzz target `server_messages` does the same, longer).
#[test]
fn the_parser_survives_random_and_mutated_input() {
    let mut state: u64 = 0x9E37_79B9_7F4A_7C15;
    let mut next = move || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state
    };
    let seeds = [
        record(22, &tls12_flight()),
        record(21, &[2, 70]),
        record(
            22,
            &handshake(
                2,
                &server_hello_body(
                    0x0303,
                    HELLO_RETRY_RANDOM,
                    0x1301,
                    &[(43, vec![3, 4]), (51, vec![0, 0x17])],
                ),
            ),
        ),
    ];
    for round in 0..6000 {
        let input: Vec<u8> = if round % 3 == 0 {
            let len = (next() % 600) as usize;
            let mut bytes: Vec<u8> = (0..len).map(|_| next() as u8).collect();
            if let Some(first) = bytes.first_mut() {
                *first = 20 + (*first % 5); // mostly valid record types, to get deeper
            }
            bytes
        } else {
            let mut bytes = seeds[round % seeds.len()].clone();
            for _ in 0..(1 + next() % 4) {
                let at = (next() as usize) % bytes.len().max(1);
                match next() % 4 {
                    0 => {
                        if let Some(b) = bytes.get_mut(at) {
                            *b = next() as u8
                        }
                    }
                    1 => bytes.truncate(at),
                    2 => bytes.insert(at, next() as u8),
                    _ => {
                        if let Some(b) = bytes.get_mut(at) {
                            *b ^= 1 << (next() % 8)
                        }
                    }
                }
            }
            bytes
        };
        let _ = parse_all(&input);
        // Also fed in two pieces at a random cut.
        let cut = (next() as usize) % (input.len() + 1);
        let mut reader = FlightReader::new();
        if reader.feed(&input[..cut]).is_ok() {
            let _ = reader.feed(&input[cut..]);
        }
        while reader.next_event().is_some() {}
    }
}

/// A minimal reading of our own ClientHello record.
struct ParsedHello {
    record_version: u16,
    client_version: u16,
    handshake_len: usize,
    suites: Vec<u16>,
    extensions: Vec<(u16, Vec<u8>)>,
}

fn parse_client_hello(bytes: &[u8]) -> ParsedHello {
    assert_eq!(bytes[0], 22);
    let record_len = usize::from(u16::from_be_bytes([bytes[3], bytes[4]]));
    assert_eq!(bytes.len(), 5 + record_len);
    let hs = &bytes[5..];
    assert_eq!(hs[0], 1);
    let handshake_len = usize::from(hs[1]) << 16 | usize::from(hs[2]) << 8 | usize::from(hs[3]);
    assert_eq!(hs.len(), 4 + handshake_len);
    let body = &hs[4..];
    let client_version = u16::from_be_bytes([body[0], body[1]]);
    let mut at = 2 + 32;
    at += 1 + usize::from(body[at]);
    let suites_len = usize::from(u16::from_be_bytes([body[at], body[at + 1]]));
    let suites = body[at + 2..at + 2 + suites_len]
        .chunks(2)
        .map(|c| u16::from_be_bytes([c[0], c[1]]))
        .collect();
    at += 2 + suites_len;
    let methods = usize::from(body[at]);
    let compression = &body[at + 1..at + 1 + methods];
    assert!(
        compression == [0] || compression == [1, 0],
        "null compression, or DEFLATE then null: {compression:?}"
    );
    at += 1 + methods;
    let mut extensions = Vec::new();
    if at < body.len() {
        let total = usize::from(u16::from_be_bytes([body[at], body[at + 1]]));
        at += 2;
        assert_eq!(body.len(), at + total);
        while at < body.len() {
            let kind = u16::from_be_bytes([body[at], body[at + 1]]);
            let len = usize::from(u16::from_be_bytes([body[at + 2], body[at + 3]]));
            extensions.push((kind, body[at + 4..at + 4 + len].to_vec()));
            at += 4 + len;
        }
    }
    ParsedHello {
        record_version: u16::from_be_bytes([bytes[1], bytes[2]]),
        client_version,
        handshake_len,
        suites,
        extensions,
    }
}

#[test]
fn client_hellos_for_every_version() {
    for version in TlsVersion::ALL {
        let candidates = candidates(version);
        let mut spec = HelloSpec::new(version, candidates.clone(), Some("mail.test".to_owned()));
        if version == TlsVersion::Tls13 {
            spec.key_share = x25519_share();
        }
        let hello = parse_client_hello(&client_hello(&spec));
        let kinds: Vec<u16> = hello.extensions.iter().map(|e| e.0).collect();
        match version {
            TlsVersion::Ssl3 => {
                assert_eq!(
                    (hello.record_version, hello.client_version),
                    (0x0300, 0x0300)
                );
                assert!(hello.extensions.is_empty());
            }
            TlsVersion::Tls13 => {
                assert_eq!(
                    (hello.record_version, hello.client_version),
                    (0x0301, 0x0303)
                );
                assert!(kinds.contains(&43) && kinds.contains(&51), "{kinds:?}");
                let share = &hello
                    .extensions
                    .iter()
                    .find(|e| e.0 == 51)
                    .expect("key_share")
                    .1;
                assert_eq!(&share[..4], [0, 36, 0, 0x1D]);
                assert!(candidates
                    .iter()
                    .all(|&c| suites::by_code(c).is_some_and(|s| s.tls13())));
            }
            other => {
                assert_eq!(
                    (hello.record_version, hello.client_version),
                    (0x0301, other.wire())
                );
                assert_eq!(&kinds[..4], [0, 10, 11, 13]);
                assert!(!kinds.contains(&43));
            }
        }
        if version != TlsVersion::Tls13 {
            assert_eq!(hello.suites.last(), Some(&RENEGOTIATION_SCSV));
        }
        assert_eq!(&hello.suites[..candidates.len()], &candidates[..]);
        if version != TlsVersion::Ssl3 {
            let sni = &hello.extensions[0].1;
            assert!(sni.ends_with(b"mail.test"));
        }
    }
    // TLS 1.0 offers no TLS 1.2-only suites.
    assert!(candidates(TlsVersion::Tls10)
        .iter()
        .all(|&c| suites::by_code(c).is_some_and(|s| !s.tls12_only() && !s.tls13())));
}

#[test]
fn small_hellos_are_padded_past_the_256_to_511_byte_range() {
    for n in 1..120 {
        let suites: Vec<u16> = SUITES.iter().take(n).map(|s| s.code).collect();
        let spec = HelloSpec::new(TlsVersion::Tls12, suites, None);
        let hello = parse_client_hello(&client_hello(&spec));
        // The whole handshake message, header included (RFC 7685).
        assert!(
            !(256..512).contains(&(4 + hello.handshake_len)),
            "{n} suites: {} bytes",
            hello.handshake_len
        );
    }
}

/// A connector whose every connection fails like a 421 greeting.
struct Busy;

impl Connector for Busy {
    type Stream = tokio::io::DuplexStream;

    async fn connect(&self, _deadline: Instant) -> Result<Self::Stream, CheckError> {
        {
            Err(CheckError::Dialogue(
                crate::facts::stop::DialogueError::ServiceUnavailable {
                    line: "421 too many connections".to_owned(),
                    temporary: true,
                },
            ))
        }
    }
}

/// A connector whose server closes every connection without a word.
struct Hangs;

impl Connector for Hangs {
    type Stream = tokio::io::DuplexStream;

    async fn connect(&self, _deadline: Instant) -> Result<Self::Stream, CheckError> {
        {
            let (client, server) = tokio::io::duplex(64 * 1024);
            drop(server);
            Ok(client)
        }
    }
}

#[tokio::test]
async fn a_busy_server_makes_every_answer_inconclusive_and_stops_the_probe() {
    let facts = probe(Busy, ProbeOptions::default(), 0).await;
    assert!(facts
        .versions
        .iter()
        .all(|v| v.accepted == Acceptance::Inconclusive));
    assert!(
        facts.stopped.as_deref().is_some_and(|s| s.contains("421")),
        "{facts:?}"
    );
    // Each version asked at most once before the probe stopped.
    assert!(facts.connections <= 5, "{}", facts.connections);
}

#[tokio::test]
async fn a_closed_connection_is_inconclusive_not_unsupported() {
    let facts = probe(Hangs, ProbeOptions::default(), 0).await;
    for v in &facts.versions {
        assert_eq!(v.accepted, Acceptance::Inconclusive, "{v:?}");
        assert!(
            v.detail.as_deref().is_some_and(|d| d.contains("closed")),
            "{v:?}"
        );
    }
    assert_eq!(facts.stopped, None);
}

/// A server that answers TLS 1.0 hellos (a ServerHello for AES128-SHA, or a
/// handshake_failure alert when it is not offered) and closes the connection
/// on every other hello without a word, like some old mail servers. After
/// `budget` TLS 1.0 answers it closes everything (a server limiting connections).
struct OnlyTls10 {
    budget: Arc<AtomicU32>,
}

impl OnlyTls10 {
    fn new(budget: u32) -> OnlyTls10 {
        OnlyTls10 {
            budget: Arc::new(AtomicU32::new(budget)),
        }
    }
}

impl Connector for OnlyTls10 {
    type Stream = tokio::io::DuplexStream;

    async fn connect(&self, _deadline: Instant) -> Result<Self::Stream, CheckError> {
        let (client, mut server) = tokio::io::duplex(64 * 1024);
        let budget = self.budget.clone();
        tokio::spawn(async move {
            let mut header = vec![0u8; 5];
            if server.read_exact(&mut header).await.is_err() {
                return;
            }
            let len = usize::from(u16::from_be_bytes([header[3], header[4]]));
            let mut rest = vec![0u8; len];
            if server.read_exact(&mut rest).await.is_err() {
                return;
            }
            let parsed = parse_client_hello(&[header, rest].concat());
            let tls13 = parsed.extensions.iter().any(|e| e.0 == 43);
            if parsed.client_version != 0x0301 || tls13 {
                return; // dropped: closed without a word
            }
            let allowed = budget
                .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| n.checked_sub(1))
                .is_ok();
            if !allowed {
                return;
            }
            let answer = if parsed.suites.contains(&0x002F) {
                let mut messages = handshake(2, &server_hello_body(0x0301, [5; 32], 0x002F, &[]));
                messages.extend(handshake(14, &[]));
                let mut out = record(22, &messages);
                out[1..3].copy_from_slice(&[3, 1]);
                out
            } else {
                record(21, &[2, 40])
            };
            let _ = server.write_all(&answer).await;
            let _ = server.shutdown().await;
        });
        Ok(client)
    }
}

#[tokio::test]
async fn a_close_where_other_versions_are_answered_is_no_after_one_retry() {
    let facts = probe(OnlyTls10::new(u32::MAX), ProbeOptions::default(), 0).await;
    let accepted: Vec<(TlsVersion, Acceptance)> = facts
        .versions
        .iter()
        .map(|v| (v.version, v.accepted))
        .collect();
    use Acceptance::{No, Yes};
    assert_eq!(
        accepted,
        [
            (TlsVersion::Ssl3, No),
            (TlsVersion::Tls10, Yes),
            (TlsVersion::Tls11, No),
            (TlsVersion::Tls12, No),
            (TlsVersion::Tls13, No)
        ],
        "{facts:#?}"
    );
    assert_eq!(
        facts.version(TlsVersion::Tls13).and_then(|v| v.detail.as_deref()),
        Some("the server closed the connection in answer to a TLS 1.3 hello, which it answers for other versions")
    );
    assert_eq!(facts.stopped, None);
    // TLS 1.0: the hello and one enumeration; four first hellos closed, each
    // asked again with a control hello; the extras' hello (compression,
    // extensions) and CCS test at TLS 1.0 (no SNI, DHE or second key type);
    // one ROBOT hello (the suite is RSA key exchange), whose answer carries
    // no certificate to encrypt to, so ROBOT stops there.
    assert_eq!(facts.connections, 2 + 4 + 4 * 2 + 2 + 1, "{facts:#?}");
    let robot = facts.extras.robot.as_ref().expect("ROBOT asked");
    assert_eq!(
        (robot.verdict, robot.connections),
        (crate::facts::probe::RobotVerdict::Inconclusive, 1)
    );
}

#[tokio::test]
async fn a_close_of_the_control_too_leaves_the_question_open() {
    // Two TLS 1.0 answers (the hello, the enumeration's alert), then nothing.
    let facts = probe(OnlyTls10::new(2), ProbeOptions::default(), 0).await;
    let tls10 = facts.version(TlsVersion::Tls10).expect("TLS 1.0");
    assert_eq!(tls10.accepted, Acceptance::Yes);
    for v in facts
        .versions
        .iter()
        .filter(|v| v.version != TlsVersion::Tls10)
    {
        assert_eq!(v.accepted, Acceptance::Inconclusive, "{v:?}");
        assert!(
            v.detail
                .as_deref()
                .is_some_and(|d| d.contains("may be limiting connections")),
            "{v:?}"
        );
    }
}

/// A server of TLS 1.0 and 1.1 (AES128-SHA only; a protocol_version alert to
/// anything newer), with or without TLS_FALLBACK_SCSV and renegotiation_info.
struct OldServer {
    honours_fallback_scsv: bool,
    renegotiation_info: bool,
}

impl Connector for OldServer {
    type Stream = tokio::io::DuplexStream;

    async fn connect(&self, _deadline: Instant) -> Result<Self::Stream, CheckError> {
        let (client, mut server) = tokio::io::duplex(64 * 1024);
        let (scsv, info) = (self.honours_fallback_scsv, self.renegotiation_info);
        tokio::spawn(async move {
            let mut header = vec![0u8; 5];
            if server.read_exact(&mut header).await.is_err() {
                return;
            }
            let len = usize::from(u16::from_be_bytes([header[3], header[4]]));
            let mut rest = vec![0u8; len];
            if server.read_exact(&mut rest).await.is_err() {
                return;
            }
            let hello = parse_client_hello(&[header, rest].concat());
            let version = hello.client_version;
            let answer = if !(0x0301..=0x0302).contains(&version) {
                record(21, &[2, 70])
            } else if scsv && version < 0x0302 && hello.suites.contains(&FALLBACK_SCSV) {
                record(21, &[2, 86])
            } else if hello.suites.contains(&0x002F) {
                let extensions = match info {
                    true => vec![(RENEGOTIATION_INFO, vec![0])],
                    false => Vec::new(),
                };
                let mut messages =
                    handshake(2, &server_hello_body(version, [5; 32], 0x002F, &extensions));
                messages.extend(handshake(14, &[]));
                record(22, &messages)
            } else {
                record(21, &[2, 40])
            };
            let _ = server.write_all(&answer).await;
            let _ = server.shutdown().await;
        });
        Ok(client)
    }
}

#[tokio::test]
async fn fallback_scsv_and_secure_renegotiation_are_read_from_the_answers() {
    for (scsv, info) in [(true, true), (false, false), (true, false)] {
        let server = OldServer {
            honours_fallback_scsv: scsv,
            renegotiation_info: info,
        };
        let facts = probe(server, ProbeOptions::default(), 0).await;
        let yes: Vec<TlsVersion> = facts
            .versions
            .iter()
            .filter(|v| v.accepted == Acceptance::Yes)
            .map(|v| v.version)
            .collect();
        assert_eq!(yes, [TlsVersion::Tls10, TlsVersion::Tls11], "{facts:#?}");
        assert_eq!(facts.fallback_scsv, Some(scsv), "{facts:#?}");
        assert_eq!(facts.secure_renegotiation, Some(info), "{facts:#?}");
    }
    // One version accepted: nothing to fall back to.
    let facts = probe(OnlyTls10::new(u32::MAX), ProbeOptions::default(), 0).await;
    assert_eq!(facts.fallback_scsv, None);
    assert_eq!(facts.secure_renegotiation, Some(false));
}

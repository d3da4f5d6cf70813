//! The legacy TLS and cipher-suite probe: which versions, suites and groups a server accepts.
//!
//! rustls speaks only TLS 1.2 and 1.3 and never lists what a server would
//! accept. The probe sends hand-built ClientHellos ([`hello`]) on fresh
//! connections from a [`Connector`] (which does any STARTTLS dialogue first),
//! reads the answer ([`parse`]) only as far as the ServerHello (or, before TLS
//! 1.3, the end of the server's first flight), and hangs up: no handshake is
//! completed and nothing is encrypted, but on the one connection of
//! [`reneg`], which finishes a TLS 1.2 handshake to ask whether the server
//! renegotiates at a client's request.
//!
//! For each version from SSL 3.0 to TLS 1.3 it asks: does the server accept it?
//! Which suites, found the standard way (offer all, note the pick, remove it,
//! repeat until the server refuses)? Does the server impose its own order
//! (the accepted list offered in two orders)? Which key-exchange groups (one
//! offered at a time)? A connection that fails, times out or is refused by the
//! mail server (e.g. a 421 greeting) makes the question `inconclusive`, never
//! "not supported", and stops further probing of that server. A close without
//! a word in answer to one version's hello, on a port that answered other
//! versions' hellos, is asked again once, together with a hello the server
//! answered: a second close while the control is answered means "not
//! offered"; a close of the control too (a server limiting connections)
//! leaves the question open.

pub mod extras;
pub mod hello;
pub mod parse;
pub mod reneg;
pub mod robot;
pub mod suites;

use std::future::Future;
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime};

use rustls::pki_types::CertificateDer;
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::sync::Semaphore;
use tokio::task::JoinSet;
use tokio::time::{timeout_at, Instant};

use crate::facts::cert;
use crate::facts::probe::{Acceptance, ProbeFacts, SuiteFacts, TlsVersion, VersionProbe};
use crate::facts::stop::CheckError;
use hello::{
    client_hello, group_name, x25519_share, HelloSpec, KeyShare, FALLBACK_SCSV, GROUPS,
    RENEGOTIATION_INFO,
};
use parse::{Alert, Event, FlightReader, Message, ServerHello};
use suites::{Kx, Suite, SUITES};

/// How many probe connections to one server may be open at once, by default.
pub const DEFAULT_CONCURRENCY: usize = 4;
/// Why a probe stopped when the check's deadline came first.
const OUT_OF_TIME: &str = "the check's time (--timeout) ran out before the probe finished";

/// The most connections one probe makes; a safety net, far above what any server needs.
pub const MAX_CONNECTIONS: u32 = 1000;

/// Opens fresh connections positioned where the ClientHello goes.
pub trait Connector: Send + Sync + 'static {
    type Stream: AsyncRead + AsyncWrite + Unpin + Send + 'static;
    /// One new connection, ready for TLS, by `deadline`.
    fn connect(
        &self,
        deadline: Instant,
    ) -> impl Future<Output = Result<Self::Stream, CheckError>> + Send;
}

/// How to probe.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProbeOptions {
    /// Connections open at once (at least 1).
    pub concurrency: usize,
    /// Time for each probe connection, from connect (and STARTTLS dialogue) to the answer.
    pub connection_timeout: Duration,
    /// SNI to send, if any.
    pub server_name: Option<String>,
    /// When the whole probe must end (the check's own deadline); questions
    /// still open then stay inconclusive. `None`: no limit but the connections'.
    pub deadline: Option<Instant>,
    /// Keep the chain read from the probe's own handshakes even when the server
    /// accepts TLS 1.2 or 1.3: set when the check's handshake got no chain (a
    /// server whose only TLS 1.2 suites are ones rustls lacks).
    pub keep_chain: bool,
}

impl Default for ProbeOptions {
    fn default() -> Self {
        ProbeOptions {
            concurrency: DEFAULT_CONCURRENCY,
            connection_timeout: Duration::from_secs(10),
            server_name: None,
            deadline: None,
            keep_chain: false,
        }
    }
}

impl From<&Suite> for SuiteFacts {
    fn from(s: &Suite) -> Self {
        SuiteFacts {
            name: s.iana.to_owned(),
            openssl_name: s.openssl.to_owned(),
            code: format!("0x{:04X}", s.code),
            key_exchange: s.kx,
            authentication: s.auth,
            cipher: s.cipher.to_owned(),
            bits: s.bits,
            mac: s.mac,
            forward_secrecy: s.forward_secrecy(),
            aead: s.aead(),
            weakness: s.weakness(),
            rank: s.rank(),
        }
    }
}

/// The suites a ClientHello of this version may offer.
fn candidates(version: TlsVersion) -> Vec<u16> {
    SUITES
        .iter()
        .filter(|s| match version {
            TlsVersion::Tls13 => s.tls13(),
            TlsVersion::Tls12 => !s.tls13(),
            _ => !s.tls13() && !s.tls12_only(),
        })
        .map(|s| s.code)
        .collect()
}

/// What one probe connection learnt.
#[derive(Debug, Clone)]
enum Answer {
    Hello {
        hello: ServerHello,
        certificates: Vec<Vec<u8>>,
        key_exchange: Option<Vec<u8>>,
    },
    /// A fatal alert (or a warning alert ending the exchange) before any ServerHello.
    Refused(Alert),
    /// An SSL 2.0 answer.
    Sslv2,
    /// The connection ended without an answer.
    Closed,
    /// Something that is not a usable answer.
    Garbled(String),
    /// Not asked, or the connection could not be made: probing has stopped.
    Stopped(String),
}

impl Answer {
    /// Why this answer leaves the question open, if it does.
    fn open_reason(&self) -> Option<String> {
        match self {
            Answer::Closed => {
                Some("the server closed the connection without answering the hello".to_owned())
            }
            Answer::Garbled(why) | Answer::Stopped(why) => Some(why.clone()),
            _ => None,
        }
    }
}

struct Shared<C> {
    connector: C,
    options: ProbeOptions,
    permits: Semaphore,
    stopped: Mutex<Option<String>>,
    connections: AtomicU32,
}

impl<C: Connector> Shared<C> {
    fn stopped(&self) -> Option<String> {
        self.stopped
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }

    fn stop(&self, why: String) -> Answer {
        let mut stopped = self.stopped.lock().unwrap_or_else(|e| e.into_inner());
        stopped.get_or_insert(why.clone());
        Answer::Stopped(why)
    }

    fn spec(&self, version: TlsVersion, suites: Vec<u16>) -> HelloSpec {
        let mut spec = HelloSpec::new(version, suites, self.options.server_name.clone());
        if version == TlsVersion::Tls13 {
            spec.key_share = x25519_share();
        }
        spec
    }

    /// One connection: send `spec`'s hello, read the answer. With `full_flight`,
    /// a TLS ≤ 1.2 answer is read up to ServerHelloDone (certificate, key exchange).
    async fn ask(&self, spec: &HelloSpec, full_flight: bool) -> Answer {
        self.ask_then(spec, full_flight, None).await.0
    }

    /// Like [`Shared::ask`] (reading the full flight), and then, when the
    /// server answered with a hello, sends `follow_up` and reads only the
    /// header of what comes back ([`After`]), waiting at most [`AFTER_WAIT`].
    async fn ask_then(
        &self,
        spec: &HelloSpec,
        full_flight: bool,
        follow_up: Option<&[u8]>,
    ) -> (Answer, Option<After>) {
        self.ask_then_with(spec, full_flight, |_| follow_up.map(<[u8]>::to_vec))
            .await
    }

    /// Like [`Shared::ask_then`], with the follow-up made from the server's
    /// answer (e.g. encrypted to its certificate's key); `None` sends nothing.
    async fn ask_then_with(
        &self,
        spec: &HelloSpec,
        full_flight: bool,
        follow_up: impl FnOnce(&Answer) -> Option<Vec<u8>> + Send,
    ) -> (Answer, Option<After>) {
        let answer = self.ask_inner(spec, full_flight, follow_up).await;
        match answer {
            Ok(pair) => pair,
            Err(answer) => (answer, None),
        }
    }

    /// Why the probe stops when a connection's time ran out: the check's
    /// deadline, or `otherwise`.
    fn out_of_time(&self, otherwise: &str) -> Answer {
        let why = match self
            .options
            .deadline
            .is_some_and(|end| Instant::now() >= end)
        {
            true => OUT_OF_TIME,
            false => otherwise,
        };
        self.stop(why.to_owned())
    }

    /// One new probe connection, counted against [`MAX_CONNECTIONS`] and
    /// holding a concurrency permit, with its deadline; for a question that
    /// speaks several flights itself ([`reneg`]). `Err`: why none was made.
    async fn open(&self) -> Result<Opened<'_, C::Stream>, Answer> {
        if let Some(why) = self.stopped() {
            return Err(Answer::Stopped(why));
        }
        let Ok(permit) = self.permits.acquire().await else {
            return Err(Answer::Stopped("probe cancelled".to_owned()));
        };
        if let Some(why) = self.stopped() {
            return Err(Answer::Stopped(why));
        }
        if self.connections.fetch_add(1, Ordering::Relaxed) >= MAX_CONNECTIONS {
            return Err(self.stop(format!("more than {MAX_CONNECTIONS} connections needed")));
        }
        let own = Instant::now() + self.options.connection_timeout;
        let deadline = self.options.deadline.map_or(own, |end| own.min(end));
        if self
            .options
            .deadline
            .is_some_and(|end| Instant::now() >= end)
        {
            return Err(self.stop(OUT_OF_TIME.to_owned()));
        }
        match self.connector.connect(deadline).await {
            Ok(stream) => Ok(Opened {
                stream,
                deadline,
                _permit: permit,
            }),
            Err(e) => Err(self.stop(format!("a probe connection failed: {e}"))),
        }
    }

    async fn ask_inner(
        &self,
        spec: &HelloSpec,
        full_flight: bool,
        follow_up: impl FnOnce(&Answer) -> Option<Vec<u8>> + Send,
    ) -> Result<(Answer, Option<After>), Answer> {
        let Opened {
            mut stream,
            deadline,
            _permit,
        } = self.open().await?;
        let out_of_time = |shared: &Self, otherwise: &str| shared.out_of_time(otherwise);
        let hello = client_hello(spec);
        match timeout_at(deadline, stream.write_all(&hello)).await {
            Ok(Ok(())) => {}
            Ok(Err(_)) => return Err(Answer::Closed),
            Err(_) => return Err(out_of_time(self, "a probe connection timed out")),
        }
        let answer = read_answer(&mut stream, deadline, full_flight).await;
        let bytes = match &answer {
            Some(hello @ Answer::Hello { .. }) => follow_up(hello),
            _ => None,
        };
        let after = match bytes {
            Some(bytes) => Some(follow(&mut stream, &bytes, deadline).await),
            None => None,
        };
        let _ = timeout_at(deadline, stream.shutdown()).await;
        match answer {
            Some(answer) => Ok((answer, after)),
            None => Err(out_of_time(
                self,
                "the server did not answer a hello in time",
            )),
        }
    }
}

/// A connection from [`Shared::open`]: the stream, its deadline, and the
/// concurrency permit it holds until dropped.
struct Opened<'a, S> {
    stream: S,
    deadline: Instant,
    _permit: tokio::sync::SemaphorePermit<'a>,
}

/// The longest wait for an answer to a follow-up record: a server that
/// refuses it answers at once with an alert.
pub const AFTER_WAIT: Duration = Duration::from_secs(3);

/// What the server sent after a follow-up record: only the record header is
/// read (the alert's two bytes for an alert); anything else is discarded unread.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum After {
    Alert(Alert),
    /// A record of this content type (24: heartbeat).
    Record(u8),
    /// Nothing within [`AFTER_WAIT`] (or the connection's deadline).
    Silence,
    /// The connection ended without a record.
    Closed,
    /// The connection was reset before any record.
    Reset,
}

/// Sends `bytes` and reads at most one record header (plus an alert's body).
async fn follow<S: AsyncRead + AsyncWrite + Unpin>(
    stream: &mut S,
    bytes: &[u8],
    deadline: Instant,
) -> After {
    let deadline = deadline.min(Instant::now() + AFTER_WAIT);
    match timeout_at(deadline, stream.write_all(bytes)).await {
        Ok(Ok(())) => {}
        Ok(Err(e)) if e.kind() == std::io::ErrorKind::ConnectionReset => return After::Reset,
        Ok(Err(_)) => return After::Closed,
        Err(_) => return After::Silence,
    }
    let mut header = [0u8; 7];
    let mut have = 0;
    while have < 5 || (header[0] == 21 && have < 7) {
        match timeout_at(deadline, stream.read(&mut header[have..])).await {
            Ok(Err(e)) if have == 0 && e.kind() == std::io::ErrorKind::ConnectionReset => {
                return After::Reset
            }
            Ok(Ok(0)) | Ok(Err(_)) if have == 0 => return After::Closed,
            Ok(Ok(0)) | Ok(Err(_)) => break,
            Ok(Ok(n)) => have += n,
            Err(_) if have == 0 => return After::Silence,
            Err(_) => break,
        }
        if have >= 5 && header[0] != 21 {
            break;
        }
    }
    match header[0] {
        21 if have >= 7 => After::Alert(Alert {
            level: header[5],
            description: header[6],
        }),
        kind if have >= 1 => After::Record(kind),
        _ => After::Closed,
    }
}

/// Reads the server's answer; `None` on timeout with nothing usable.
async fn read_answer<S: AsyncRead + Unpin>(
    stream: &mut S,
    deadline: Instant,
    full_flight: bool,
) -> Option<Answer> {
    let mut reader = FlightReader::new();
    let mut buf = vec![0u8; 16 * 1024];
    let mut hello: Option<ServerHello> = None;
    let mut certificates = Vec::new();
    let mut key_exchange = None;
    let finish = |hello: ServerHello, certificates, key_exchange| Answer::Hello {
        hello,
        certificates,
        key_exchange,
    };
    loop {
        while let Some(event) = reader.next_event() {
            match event {
                Event::Sslv2Reply => return Some(Answer::Sslv2),
                // A warning such as unrecognized_name does not end the handshake.
                Event::Alert(alert) if !alert.is_fatal() && alert.description != 0 => {}
                Event::Alert(alert) => {
                    return Some(match hello {
                        Some(h) => finish(h, certificates, key_exchange),
                        None => Answer::Refused(alert),
                    })
                }
                Event::Handshake(Message::ServerHello(h)) => {
                    if hello.is_some() {
                        return Some(Answer::Garbled("two ServerHellos".to_owned()));
                    }
                    let tls13 = h.hello_retry || h.version() >= 0x0304;
                    if tls13 || !full_flight {
                        return Some(finish(h, certificates, key_exchange));
                    }
                    hello = Some(h);
                }
                Event::Handshake(Message::Certificate(certs)) => certificates = certs,
                Event::Handshake(Message::ServerKeyExchange(ske)) => key_exchange = Some(ske),
                Event::Handshake(Message::ServerHelloDone) => {
                    return Some(match hello {
                        Some(h) => finish(h, certificates, key_exchange),
                        None => Answer::Garbled("ServerHelloDone without ServerHello".to_owned()),
                    })
                }
                Event::Handshake(_) | Event::ChangeCipherSpec | Event::ApplicationData => {
                    if hello.is_none() {
                        return Some(Answer::Garbled(
                            "the server sent something else before its ServerHello".to_owned(),
                        ));
                    }
                }
            }
        }
        let read = match timeout_at(deadline, stream.read(&mut buf)).await {
            Ok(Ok(n)) => n,
            Ok(Err(_)) => 0,
            Err(_) => {
                return hello.map(|h| finish(h, certificates, key_exchange));
            }
        };
        if read == 0 {
            return Some(match hello {
                Some(h) => finish(h, certificates, key_exchange),
                None => Answer::Closed,
            });
        }
        if let Err(e) = reader.feed(&buf[..read]) {
            // Events parsed before the error still count.
            while let Some(event) = reader.next_event() {
                if let Event::Handshake(Message::ServerHello(h)) = event {
                    hello.get_or_insert(h);
                }
            }
            return Some(match hello {
                Some(h) => finish(h, certificates, key_exchange),
                None => Answer::Garbled(e.to_string()),
            });
        }
    }
}

/// Probes every version, suite and group the server at `connector` accepts.
/// `now_unix` dates the certificates of a legacy-only server.
pub async fn probe<C: Connector>(connector: C, options: ProbeOptions, now_unix: i64) -> ProbeFacts {
    let started = Instant::now();
    let keep_chain = options.keep_chain;
    let shared = Arc::new(Shared {
        connector,
        permits: Semaphore::new(options.concurrency.max(1)),
        options,
        stopped: Mutex::new(None),
        connections: AtomicU32::new(0),
    });
    let mut results = ask_versions(&shared, &TlsVersion::ALL, None).await;
    let every_hello_closed = !results.is_empty() && results.iter().all(|r| r.closed);
    // A close in answer to one version's hello, on a port that answered others
    // (a ServerHello or an alert): asked again, with a hello it answered as the
    // control, a second close means "not offered".
    let control = results
        .iter()
        .filter(|r| !r.closed && r.probe.accepted != Acceptance::Inconclusive)
        .max_by_key(|r| (r.probe.accepted == Acceptance::Yes, r.probe.version))
        .map(|r| r.probe.version);
    let closed: Vec<TlsVersion> = results
        .iter()
        .filter(|r| r.closed)
        .map(|r| r.probe.version)
        .collect();
    if let (Some(control), false) = (control, closed.is_empty()) {
        if shared.stopped().is_none() {
            let again = ask_versions(&shared, &closed, Some(control)).await;
            results.retain(|r| !again.iter().any(|a| a.probe.version == r.probe.version));
            results.extend(again);
        }
    }
    // RFC 5746: every accepted version up to TLS 1.2 must answer the
    // renegotiation SCSV every hello carries with renegotiation_info.
    let infos: Vec<bool> = results
        .iter()
        .filter_map(|r| r.renegotiation_info)
        .collect();
    let secure_renegotiation = (!infos.is_empty()).then(|| infos.iter().all(|&i| i));
    let mut versions = Vec::new();
    let mut chains = Vec::new();
    for version in TlsVersion::ALL {
        match results.iter().position(|r| r.probe.version == version) {
            Some(i) => {
                let VersionResult { probe, chain, .. } = results.swap_remove(i);
                versions.push(probe);
                chains.push((version, chain));
            }
            None => {
                let mut missing = VersionProbe::new(version);
                missing.detail = Some("internal error in the probe".to_owned());
                versions.push(missing);
            }
        }
    }
    let modern = versions
        .iter()
        .any(|v| v.version >= TlsVersion::Tls12 && v.accepted == Acceptance::Yes);
    let legacy_chain: Vec<CertificateDer<'static>> = if modern && !keep_chain {
        Vec::new()
    } else {
        chains
            .into_iter()
            .rev()
            .find(|(_, chain)| !chain.is_empty())
            .map(|(_, chain)| chain.into_iter().map(CertificateDer::from).collect())
            .unwrap_or_default()
    };
    let legacy_certificates = cert::parse_chain(&legacy_chain, now_unix);
    let (fallback_scsv, extras) = tokio::join!(
        fallback_scsv(&shared, &versions),
        extras::extras(&shared, &versions, now_unix)
    );
    ProbeFacts {
        versions,
        sslv2: "not_tested".to_owned(),
        legacy_certificates,
        legacy_chain,
        fallback_scsv,
        secure_renegotiation,
        extras,
        resumption: None,
        every_hello_closed,
        stopped: shared.stopped(),
        connections: shared.connections.load(Ordering::Relaxed),
        duration_ms: started.elapsed().as_millis() as u64,
    }
}

/// RFC 7507: a hello for the second-highest accepted version with
/// TLS_FALLBACK_SCSV must be refused with inappropriate_fallback. `None` when
/// fewer than two versions are accepted or the answer says neither.
async fn fallback_scsv<C: Connector>(
    shared: &Arc<Shared<C>>,
    versions: &[VersionProbe],
) -> Option<bool> {
    let mut accepted = versions
        .iter()
        .rev()
        .filter(|v| v.accepted == Acceptance::Yes)
        .map(|v| v.version);
    let (_highest, lower) = (accepted.next()?, accepted.next()?);
    let mut suites = candidates(lower);
    suites.push(FALLBACK_SCSV);
    match shared.ask(&shared.spec(lower, suites), false).await {
        Answer::Refused(alert) if alert.description == INAPPROPRIATE_FALLBACK => Some(true),
        Answer::Hello { hello, .. } if hello.version() == lower.wire() => Some(false),
        _ => None,
    }
}

/// The alert a server that knows TLS_FALLBACK_SCSV sends (RFC 7507).
const INAPPROPRIATE_FALLBACK: u8 = 86;

/// Unix seconds now, for [`probe`]'s certificate dates.
pub fn now_unix() -> i64 {
    SystemTime::now()
        .duration_since(SystemTime::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs() as i64)
}

/// What the probe of one version found.
struct VersionResult {
    probe: VersionProbe,
    /// The certificate chain seen (TLS ≤ 1.2).
    chain: Vec<Vec<u8>>,
    /// The first hello was answered by a close (or reset) without a word.
    closed: bool,
    /// TLS ≤ 1.2, accepted: whether the ServerHello carried renegotiation_info.
    renegotiation_info: Option<bool>,
}

/// Probes `versions` at once; a panicking task loses its version's answer
/// (it stays inconclusive).
async fn ask_versions<C: Connector>(
    shared: &Arc<Shared<C>>,
    versions: &[TlsVersion],
    control: Option<TlsVersion>,
) -> Vec<VersionResult> {
    let mut tasks = JoinSet::new();
    for &version in versions {
        let shared = shared.clone();
        tasks.spawn(async move { probe_version(shared, version, control).await });
    }
    let mut results = Vec::new();
    while let Some(joined) = tasks.join_next().await {
        if let Ok(result) = joined {
            results.push(result);
        }
    }
    results
}

/// "TLS 1.2", "SSL 3.0": the version in a sentence.
fn spoken(version: TlsVersion) -> &'static str {
    match version {
        TlsVersion::Ssl3 => "SSL 3.0",
        TlsVersion::Tls10 => "TLS 1.0",
        TlsVersion::Tls11 => "TLS 1.1",
        TlsVersion::Tls12 => "TLS 1.2",
        TlsVersion::Tls13 => "TLS 1.3",
    }
}

/// Whether an answer is the server's own word (a hello, an alert, SSL 2.0).
fn is_real(answer: &Answer) -> bool {
    matches!(
        answer,
        Answer::Hello { .. } | Answer::Refused(_) | Answer::Sslv2
    )
}

/// All questions about one version. With `control` (a version whose hello
/// this server answered), a close in answer to the first hello is "not
/// offered" when the control hello, asked next, is answered; a close of both
/// (a server limiting connections) leaves the question open.
async fn probe_version<C: Connector>(
    shared: Arc<Shared<C>>,
    version: TlsVersion,
    control: Option<TlsVersion>,
) -> VersionResult {
    let mut result = VersionProbe::new(version);
    let done = |probe: VersionProbe| VersionResult {
        probe,
        chain: Vec::new(),
        closed: false,
        renegotiation_info: None,
    };
    let candidates = candidates(version);
    let spec = shared.spec(version, candidates.clone());
    let first = shared.ask(&spec, version != TlsVersion::Tls13).await;
    let (first_suite, chain, renegotiation_info) = match first {
        Answer::Hello {
            hello,
            certificates,
            ..
        } => {
            let got = hello.version();
            if got == version.wire() && candidates.contains(&hello.cipher_suite) {
                let info = (version != TlsVersion::Tls13)
                    .then(|| hello.extensions.contains(&RENEGOTIATION_INFO));
                (hello.cipher_suite, certificates, info)
            } else if got == version.wire() {
                result.detail = Some(format!(
                    "the server chose cipher suite 0x{:04X}, which was not offered",
                    hello.cipher_suite
                ));
                return done(result);
            } else if got < version.wire() {
                result.accepted = Acceptance::No;
                result.detail = Some(format!(
                    "the server answered with {}",
                    TlsVersion::from_wire(got)
                        .map_or_else(|| format!("0x{got:04X}"), |v| v.name().to_owned())
                ));
                result.suites_complete = true;
                return done(result);
            } else {
                result.detail = Some(format!(
                    "the server answered with version 0x{got:04X}, newer than offered"
                ));
                return done(result);
            }
        }
        Answer::Refused(alert) => {
            result.accepted = Acceptance::No;
            result.detail = Some(format!("refused with the alert {}", alert.name()));
            result.suites_complete = true;
            return done(result);
        }
        Answer::Sslv2 => {
            result.accepted = Acceptance::No;
            result.detail = Some("the server answered in SSL 2.0".to_owned());
            result.suites_complete = true;
            return done(result);
        }
        Answer::Closed => match control {
            None => {
                return VersionResult {
                    probe: VersionProbe {
                        detail: Answer::Closed.open_reason(),
                        ..result
                    },
                    chain: Vec::new(),
                    closed: true,
                    renegotiation_info: None,
                }
            }
            Some(control) => {
                let spec = shared.spec(control, self::candidates(control));
                let answer = shared.ask(&spec, false).await;
                let label = spoken(version);
                if is_real(&answer) {
                    result.accepted = Acceptance::No;
                    result.suites_complete = true;
                    result.detail = Some(format!("the server closed the connection in answer to a {label} hello, which it answers for other versions"));
                } else if matches!(answer, Answer::Closed) {
                    result.detail = Some(format!("the server closed the connection in answer to a {label} hello twice, and then also to a {} hello it had answered: it may be limiting connections", spoken(control)));
                } else {
                    result.detail = answer.open_reason();
                }
                return done(result);
            }
        },
        other => {
            result.detail = other.open_reason();
            return done(result);
        }
    };
    result.accepted = Acceptance::Yes;

    // Enumerate: offer what is left until the server refuses.
    let mut accepted = vec![first_suite];
    result.suites_complete = true;
    while accepted.len() < candidates.len() {
        let remaining: Vec<u16> = candidates
            .iter()
            .copied()
            .filter(|c| !accepted.contains(c))
            .collect();
        let answer = shared
            .ask(&shared.spec(version, remaining.clone()), false)
            .await;
        match answer {
            Answer::Hello { hello, .. } if hello.version() == version.wire() => {
                if !remaining.contains(&hello.cipher_suite) {
                    result.suites_complete = false;
                    result.detail = Some(format!(
                        "the server chose cipher suite 0x{:04X}, which was not offered",
                        hello.cipher_suite
                    ));
                    break;
                }
                accepted.push(hello.cipher_suite);
            }
            // A lower version, an alert, SSL 2.0: no more suites at this version.
            Answer::Hello { .. } | Answer::Refused(_) | Answer::Sslv2 => break,
            other => {
                result.suites_complete = false;
                result.detail = other.open_reason();
                break;
            }
        }
    }

    if accepted.len() >= 2 {
        let mut reversed = accepted.clone();
        reversed.reverse();
        let forward_spec = shared.spec(version, accepted.clone());
        let reverse_spec = shared.spec(version, reversed.clone());
        let (forward, reverse) = tokio::join!(
            shared.ask(&forward_spec, false),
            shared.ask(&reverse_spec, false)
        );
        let pick = |answer: &Answer| match answer {
            Answer::Hello { hello, .. } if hello.version() == version.wire() => {
                Some(hello.cipher_suite)
            }
            _ => None,
        };
        result.server_order = match (pick(&forward), pick(&reverse)) {
            (Some(a), Some(b)) if a == b => Some(true),
            (Some(a), Some(b)) if a == accepted[0] && b == reversed[0] => Some(false),
            _ => None,
        };
    }
    let mut facts: Vec<SuiteFacts> = accepted
        .iter()
        .filter_map(|&code| suites::by_code(code))
        .map(SuiteFacts::from)
        .collect();
    if result.server_order != Some(true) {
        facts.sort_by_key(|s| std::cmp::Reverse(s.rank));
    }
    result.suites = facts;

    match version {
        TlsVersion::Tls12 => {
            let ecdhe: Vec<u16> = accepted
                .iter()
                .copied()
                .filter(|&c| suites::by_code(c).is_some_and(|s| s.kx == Kx::Ecdhe))
                .collect();
            if !ecdhe.is_empty() {
                probe_groups(&shared, &mut result, version, &ecdhe).await;
            }
        }
        TlsVersion::Tls13 => probe_groups(&shared, &mut result, version, &accepted).await,
        _ => {}
    }
    VersionResult {
        probe: result,
        chain,
        closed: false,
        renegotiation_info,
    }
}

/// Offers one group at a time with suites the server accepts.
async fn probe_groups<C: Connector>(
    shared: &Arc<Shared<C>>,
    result: &mut VersionProbe,
    version: TlsVersion,
    suites: &[u16],
) {
    let tls13 = version == TlsVersion::Tls13;
    let mut tasks = JoinSet::new();
    for (index, group) in GROUPS
        .iter()
        .filter(|g| if tls13 { g.tls13 } else { g.ecdhe_tls12 })
        .enumerate()
    {
        let shared = shared.clone();
        let mut spec = HelloSpec::new(version, suites.to_vec(), shared.options.server_name.clone());
        spec.groups = vec![group.code];
        // No share: a server that accepts the group must name it in a HelloRetryRequest.
        spec.key_share = KeyShare::Empty;
        let code = group.code;
        tasks.spawn(async move {
            let answer = shared.ask(&spec, !tls13).await;
            (index, code, answer)
        });
    }
    let mut found = Vec::new();
    let mut complete = true;
    while let Some(joined) = tasks.join_next().await {
        let Ok((index, code, answer)) = joined else {
            complete = false;
            continue;
        };
        match answer {
            Answer::Hello {
                hello,
                key_exchange,
                ..
            } if hello.version() == version.wire() => {
                let group = if tls13 {
                    hello.key_share_group
                } else {
                    key_exchange.as_deref().and_then(parse::ecdhe_curve)
                };
                if group == Some(code) {
                    found.push((index, code));
                }
            }
            Answer::Hello { .. } | Answer::Refused(_) | Answer::Sslv2 => {}
            _ => complete = false,
        }
    }
    found.sort_unstable();
    result.groups = Some(
        found
            .into_iter()
            .map(|(_, code)| group_name(code))
            .collect(),
    );
    result.groups_complete = complete;
}

#[cfg(test)]
mod tests;

//! In-process IMAP/POP3/SMTP/ManageSieve servers on 127.0.0.1, well-behaved or deliberately broken.

use std::io;
use std::net::{Ipv4Addr, SocketAddr};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::Duration;

use anyhow::Context;

use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::oneshot;
use tokio_rustls::server::TlsStream;
use tokio_rustls::TlsAcceptor;

use crate::hostile;
use crate::pki::{CertCase, OcspCase, TestPki};

/// Longest command line (without its line end) a client may send before the server hangs up.
pub const MAX_LINE: usize = 4096;

/// Delay between the bytes of a [`Misbehaviour::Trickle`] greeting.
pub const TRICKLE_DELAY: Duration = Duration::from_millis(300);

/// Mail protocol spoken by a test server.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Proto {
    Imap,
    Pop3,
    Smtp,
    Sieve,
}

/// How TLS is reached.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Transport {
    /// TLS from the first byte, then the protocol's greeting inside TLS.
    ImplicitTls,
    /// Plaintext greeting, STARTTLS offered, upgrade, then the protocol inside TLS.
    Starttls,
    /// Plaintext greeting; no STARTTLS capability at all (same as [`Misbehaviour::NoStarttls`]).
    PlaintextOnly,
}

/// The one thing a test server does wrong (or [`Misbehaviour::None`]).
///
/// Greeting-level misbehaviours (`GarbageGreeting`, `Trickle`, `EndlessLine`, `Greeting421`,
/// `Greeting554`) replace the greeting, so with [`Transport::ImplicitTls`] they happen inside TLS.
/// `Silent` never sends a byte, not even a TLS ServerHello. `TlsAlert` and `CloseDuringHandshake`
/// happen where TLS would start. STARTTLS-related ones only matter with [`Transport::Starttls`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Misbehaviour {
    None,
    /// STARTTLS/STLS missing from the capabilities; the command gets the protocol's error.
    NoStarttls,
    /// STARTTLS advertised, but the command is refused.
    StarttlsRefused,
    /// 64 bytes of binary junk plus CRLF instead of a greeting, then the connection is held.
    GarbageGreeting,
    /// Accepts the connection and never sends anything.
    Silent,
    /// Sends the greeting one byte every [`TRICKLE_DELAY`], looping forever, never ending the line.
    Trickle,
    /// Sends an endless greeting line without CRLF as fast as the client reads it.
    EndlessLine,
    /// Answers STARTTLS with the go-ahead and closes the connection at once.
    CloseAfterStarttls,
    /// Sends an extra plaintext line in the same write as the STARTTLS go-ahead, then does TLS.
    PlaintextAfterStarttls,
    /// Temporary refusal instead of a greeting, then close.
    Greeting421,
    /// Permanent refusal instead of a greeting, then close.
    Greeting554,
    /// Reads the ClientHello record, replies with a fatal handshake_failure alert and closes.
    TlsAlert,
    /// Reads the ClientHello record, then closes.
    CloseDuringHandshake,
    /// The plaintext capabilities also offer authentication (and POP3 accepts USER).
    AuthBeforeTls,
    /// Answers the ClientHello with the start of a handshake record that never
    /// completes (a 256-byte record of which 10 bytes arrive), then stays silent.
    TruncatedHandshake,
    /// Answers the ClientHello with a ServerHello whose handshake header claims
    /// 16 MiB, streaming filler until the client gives up.
    OversizedHandshake,
    /// Answers the ClientHello with endless random-looking bytes.
    GarbageTls,
    /// Vulnerable to STARTTLS command injection (CVE-2011-0411 class): commands
    /// pipelined after STARTTLS in plaintext are answered inside TLS.
    StarttlsInjection,
    /// Hostile text ([`hostile::line_payload`]) in the greeting (field `greeting`)
    /// and as an extra capability (field `cap`), in plaintext and inside TLS; the
    /// IMAP greeting then carries no capability list, so the client asks for one.
    InjectText,
    /// IMAP: every CAPABILITY reply is the real capability line, then
    /// [`hostile::FLOOD_LINES`] untagged lines of [`hostile::FLOOD_ATOMS`] one-letter
    /// atoms, then the tagged OK: each line and each reply under the client's limits.
    CapabilityFlood,
    /// Sends the greeting only this long after accepting the connection.
    SlowGreeting(Duration),
    /// Waits this long after the ClientHello arrives before answering it (on
    /// every connection, so every probe hello too).
    SlowHello(Duration),
    /// Closes every connection with a TCP reset (SO_LINGER 0) right after accepting it.
    ResetOnAccept,
    /// Implicit TLS: completes the handshake, then sends nothing (a TLS
    /// proxy in front of a mail server that does not answer).
    SilentAfterTls,
    /// POP3: never answers USER, nor an STLS that has further commands pipelined
    /// behind it (the audit's two test connections), holding them open instead.
    StallAudit,
    /// Answers the ClientHello with a TLS 1.0 ServerHello ([`hostile::tls10_server_hello`]),
    /// then holds the connection.
    Tls10ServerHello,
}

/// What a [`TestServer`] should be.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServerSpec {
    pub proto: Proto,
    pub transport: Transport,
    pub cert: CertCase,
    /// Host name the certificate is issued for (and the SMTP greeting names); default "mail.test".
    pub name: String,
    pub misbehaviour: Misbehaviour,
    /// Whether the server asks for a client certificate (issued under the test root).
    pub client_auth: ClientAuth,
    /// The OCSP response the server staples ([`TestPki::ocsp_response`]), if any.
    pub staple: Option<OcspCase>,
}

/// Client-certificate policy of a test server.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ClientAuth {
    /// Never asks.
    None,
    /// Asks (naming the test root), accepts connections without one.
    Optional,
    /// Asks, and refuses connections without a certificate from the test root.
    Required,
    /// Asks naming only the hostile CA ([`hostile::hostile_ca`], whose name
    /// carries hostile text); accepts connections without a certificate.
    OptionalHostileNames,
}

impl ServerSpec {
    /// A well-behaved server with a good certificate for "mail.test".
    pub fn new(proto: Proto, transport: Transport) -> Self {
        ServerSpec {
            proto,
            transport,
            cert: CertCase::Good,
            name: "mail.test".to_string(),
            misbehaviour: Misbehaviour::None,
            client_auth: ClientAuth::None,
            staple: None,
        }
    }

    /// Staples an OCSP response saying `case` about the server's certificate.
    pub fn staple(self, case: OcspCase) -> Self {
        ServerSpec {
            staple: Some(case),
            ..self
        }
    }

    pub fn client_auth(self, client_auth: ClientAuth) -> Self {
        ServerSpec {
            client_auth,
            ..self
        }
    }

    pub fn cert(self, case: CertCase) -> Self {
        ServerSpec { cert: case, ..self }
    }

    pub fn misbehave(self, m: Misbehaviour) -> Self {
        ServerSpec {
            misbehaviour: m,
            ..self
        }
    }

    pub fn name(self, name: &str) -> Self {
        ServerSpec {
            name: name.to_string(),
            ..self
        }
    }
}

/// A running server on 127.0.0.1; it serves every connection concurrently until dropped.
///
/// Runs on its own thread with its own single-threaded tokio runtime, so it works from
/// synchronous tests and from inside a tokio runtime alike.
#[derive(Debug)]
pub struct TestServer {
    addr: SocketAddr,
    shutdown: Option<oneshot::Sender<()>>,
    thread: Option<JoinHandle<()>>,
    connections: Arc<Connections>,
    chain: Vec<rustls_pki_types::CertificateDer<'static>>,
}

/// Connection counts, for asserting that a client respects its connection budget.
///
/// "Open" is judged by the kernel, not by when a connection's task ends: on each
/// accept, connections whose peer has already closed (EOF pending) are pruned
/// first. On loopback a client's FIN is queued before its next SYN, so a client
/// that closes one connection and then opens another is never counted twice.
///
/// The registry holds a clone of each socket only while its task runs, so a
/// server-side close still closes the socket.
#[derive(Debug, Default)]
struct Connections {
    open: std::sync::Mutex<Vec<(usize, std::net::TcpStream)>>,
    most_at_once: AtomicUsize,
    total: AtomicUsize,
}

/// Takes a connection out of the registry when its task ends.
struct Registered(Arc<Connections>, usize);

impl Drop for Registered {
    fn drop(&mut self) {
        let mut open = self.0.open.lock().unwrap_or_else(|e| e.into_inner());
        open.retain(|(id, _)| *id != self.1);
    }
}

impl Connections {
    fn accepted(self: &Arc<Self>, tcp: &std::net::TcpStream) -> Registered {
        let id = self.total.fetch_add(1, Ordering::SeqCst);
        let mut open = self.open.lock().unwrap_or_else(|e| e.into_inner());
        open.retain(|(_, c)| {
            let mut byte = [0u8; 1];
            // Non-blocking peek: Ok(0) is EOF, WouldBlock is "still open and quiet".
            match c.peek(&mut byte) {
                Ok(n) => n > 0,
                Err(e) => e.kind() == io::ErrorKind::WouldBlock,
            }
        });
        if let Ok(clone) = tcp.try_clone() {
            open.push((id, clone));
        }
        self.most_at_once.fetch_max(open.len(), Ordering::SeqCst);
        Registered(self.clone(), id)
    }
}

impl TestServer {
    /// Binds 127.0.0.1:0 and starts serving; the listener is bound when this returns.
    ///
    /// Panics if the certificate, the socket or the thread cannot be set up
    /// (see [`TestServer::try_start`]).
    pub fn start(spec: ServerSpec, pki: &TestPki) -> TestServer {
        Self::try_start(spec, pki).expect("start test server")
    }

    /// Like [`TestServer::start`], but reports set-up failures instead of panicking.
    pub fn try_start(spec: ServerSpec, pki: &TestPki) -> anyhow::Result<TestServer> {
        Self::try_start_on(spec, pki, SocketAddr::from((Ipv4Addr::LOCALHOST, 0)))
    }

    /// Like [`TestServer::try_start`], on a given loopback address and port (port 0:
    /// any). Two servers on 127.0.0.1:P and 127.0.0.2:P stand in for two
    /// addresses of one name.
    pub fn try_start_on(
        spec: ServerSpec,
        pki: &TestPki,
        bind: SocketAddr,
    ) -> anyhow::Result<TestServer> {
        anyhow::ensure!(
            bind.ip().is_loopback(),
            "test servers listen on loopback only"
        );
        let cert = pki.server_cert(spec.cert, &spec.name);
        let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
        let builder = rustls::ServerConfig::builder_with_provider(provider.clone())
            .with_protocol_versions(&[&rustls::version::TLS12, &rustls::version::TLS13])?;
        let builder = match spec.client_auth {
            ClientAuth::None => builder.with_no_client_auth(),
            policy => {
                let mut roots = rustls::RootCertStore::empty();
                if policy == ClientAuth::OptionalHostileNames {
                    roots.add(hostile::hostile_ca().0)?;
                } else {
                    roots.add(pki.root_der())?;
                }
                let verifier = rustls::server::WebPkiClientVerifier::builder_with_provider(
                    Arc::new(roots),
                    provider,
                );
                let verifier = if policy != ClientAuth::Required {
                    verifier.allow_unauthenticated()
                } else {
                    verifier
                };
                builder.with_client_cert_verifier(verifier.build()?)
            }
        };
        let chain = cert.chain.clone();
        let staple = spec.staple.map(|case| pki.ocsp_response(&cert, case));
        let config = match staple {
            Some(staple) => builder.with_single_cert_with_ocsp(cert.chain, cert.key, staple),
            None => builder.with_single_cert(cert.chain, cert.key),
        }
        .context("rustls rejects the test certificate")?;
        let listener = std::net::TcpListener::bind(bind)
            .and_then(|l| l.set_nonblocking(true).map(|()| l))
            .with_context(|| format!("bind {bind}"))?;
        let addr = listener.local_addr()?;
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .context("build tokio runtime")?;
        let connections = Arc::new(Connections::default());
        let ctx = Arc::new(Ctx {
            spec,
            acceptor: TlsAcceptor::from(Arc::new(config)),
            connections: connections.clone(),
        });
        let (tx, rx) = oneshot::channel();
        let thread = std::thread::Builder::new()
            .name(format!("testkit-{:?}-{}", ctx.spec.proto, addr.port()))
            .spawn(move || {
                rt.block_on(accept_loop(listener, ctx, rx));
                // Dropping the runtime here cancels every connection task.
            })
            .context("spawn server thread")?;
        Ok(TestServer {
            addr,
            shutdown: Some(tx),
            thread: Some(thread),
            connections,
            chain,
        })
    }

    /// The most connections this server had open at the same time.
    pub fn most_connections_at_once(&self) -> usize {
        self.connections.most_at_once.load(Ordering::SeqCst)
    }

    /// How many connections this server accepted in all.
    pub fn connections_accepted(&self) -> usize {
        self.connections.total.load(Ordering::SeqCst)
    }

    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    pub fn port(&self) -> u16 {
        self.addr.port()
    }

    /// The certificate chain the server sends, leaf first.
    pub fn chain(&self) -> &[rustls_pki_types::CertificateDer<'static>] {
        &self.chain
    }
}

impl Drop for TestServer {
    fn drop(&mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

struct Ctx {
    spec: ServerSpec,
    acceptor: TlsAcceptor,
    connections: Arc<Connections>,
}

async fn accept_loop(
    listener: std::net::TcpListener,
    ctx: Arc<Ctx>,
    mut shutdown: oneshot::Receiver<()>,
) {
    let Ok(listener) = TcpListener::from_std(listener) else {
        return;
    };
    loop {
        tokio::select! {
            _ = &mut shutdown => return,
            accepted = listener.accept() => match accepted {
                Ok((tcp, _)) => {
                    let ctx = Arc::clone(&ctx);
                    let Ok(tcp) = tcp.into_std() else { continue };
                    let registered = ctx.connections.accepted(&tcp);
                    let Ok(tcp) = TcpStream::from_std(tcp) else { continue };
                    tokio::spawn(async move {
                        // Any error just ends this connection.
                        let _ = handle(tcp, &ctx).await;
                        drop(registered);
                    });
                }
                // E.g. out of file descriptors: back off a little instead of spinning.
                Err(_) => tokio::time::sleep(Duration::from_millis(10)).await,
            },
        }
    }
}

async fn handle(tcp: TcpStream, ctx: &Ctx) -> io::Result<()> {
    tcp.set_nodelay(true)?;
    match ctx.spec.misbehaviour {
        Misbehaviour::Silent => return drain(tcp).await,
        Misbehaviour::ResetOnAccept => {
            // The registry's clone closes with the task; the last close sends the RST.
            tcp.set_zero_linger()?;
            return Ok(());
        }
        _ => {}
    }
    if ctx.spec.transport == Transport::ImplicitTls {
        if let Some(tls) = accept_tls(tcp, ctx).await? {
            if ctx.spec.misbehaviour == Misbehaviour::SilentAfterTls {
                return drain(tls).await;
            }
            serve(tls, ctx, true, false, Vec::new()).await?;
        }
    } else if let Some((tcp, pending)) = serve(tcp, ctx, false, false, Vec::new()).await? {
        if let Some(tls) = accept_tls(tcp, ctx).await? {
            serve(tls, ctx, true, true, pending).await?;
        }
    }
    Ok(())
}

/// Starts TLS on `tcp`, or misbehaves where TLS would start (then returns `None`).
async fn accept_tls(mut tcp: TcpStream, ctx: &Ctx) -> io::Result<Option<TlsStream<TcpStream>>> {
    match ctx.spec.misbehaviour {
        Misbehaviour::TlsAlert => {
            read_tls_record(&mut tcp).await?;
            // Fatal (2) handshake_failure (40) alert in a TLS 1.2 record.
            send(&mut tcp, &[0x15, 0x03, 0x03, 0x00, 0x02, 0x02, 0x28]).await?;
            tcp.shutdown().await?;
            Ok(None)
        }
        Misbehaviour::CloseDuringHandshake => {
            read_tls_record(&mut tcp).await?;
            tcp.shutdown().await?;
            Ok(None)
        }
        Misbehaviour::TruncatedHandshake => {
            read_tls_record(&mut tcp).await?;
            send(
                &mut tcp,
                &[0x16, 0x03, 0x03, 0x01, 0x00, 0x02, 0x00, 0x00, 0xfc, 0x03],
            )
            .await?;
            drain(tcp).await?;
            Ok(None)
        }
        Misbehaviour::OversizedHandshake => {
            read_tls_record(&mut tcp).await?;
            // Handshake record, ServerHello (2) of length 0xFFFFFF, then filler
            // records for as long as the client reads.
            send(
                &mut tcp,
                &[0x16, 0x03, 0x03, 0x40, 0x00, 0x02, 0xff, 0xff, 0xff],
            )
            .await?;
            let filler = [0x41u8; 0x4000 - 4];
            send(&mut tcp, &filler).await?;
            let mut record = vec![0x16, 0x03, 0x03, 0x40, 0x00];
            record.extend_from_slice(&[0x41; 0x4000]);
            loop {
                send(&mut tcp, &record).await?;
            }
        }
        Misbehaviour::GarbageTls => {
            read_tls_record(&mut tcp).await?;
            let mut x: u32 = 0x1234_5678;
            let junk: Vec<u8> = (0..4096)
                .map(|_| {
                    // xorshift: deterministic, not valid TLS.
                    x ^= x << 13;
                    x ^= x >> 17;
                    x ^= x << 5;
                    (x & 0xff) as u8
                })
                .collect();
            loop {
                send(&mut tcp, &junk).await?;
            }
        }
        Misbehaviour::Tls10ServerHello => {
            read_tls_record(&mut tcp).await?;
            send(&mut tcp, &hostile::tls10_server_hello()).await?;
            drain(tcp).await?;
            Ok(None)
        }
        Misbehaviour::SlowHello(delay) => {
            // Wait for the ClientHello without taking it, then let rustls answer.
            let mut first = [0u8; 1];
            tcp.peek(&mut first).await?;
            tokio::time::sleep(delay).await;
            Ok(Some(ctx.acceptor.accept(tcp).await?))
        }
        _ => Ok(Some(ctx.acceptor.accept(tcp).await?)),
    }
}

/// Reads (and discards) one TLS record, normally the ClientHello, so closing afterwards is clean.
async fn read_tls_record(tcp: &mut TcpStream) -> io::Result<()> {
    let mut header = [0u8; 5];
    tcp.read_exact(&mut header).await?;
    let len = u16::from_be_bytes([header[3], header[4]]) as u64;
    tokio::io::copy(&mut tcp.take(len), &mut tokio::io::sink()).await?;
    Ok(())
}

/// Runs the protocol dialogue on `io` until the client leaves or asks for STARTTLS.
///
/// Returns the stream back when the STARTTLS go-ahead has been sent. Plaintext the client sent
/// after the STARTTLS command is discarded, as a careful server must.
/// Serves one phase (plaintext, or inside TLS). Returns the stream when the client
/// asked for STARTTLS, with the plaintext bytes read past the STARTTLS command if
/// the server is (deliberately) vulnerable to command injection, else none.
/// `pending` are such bytes from the plaintext phase, handled first.
async fn serve<S>(
    mut io: S,
    ctx: &Ctx,
    tls: bool,
    after_starttls: bool,
    pending: Vec<u8>,
) -> io::Result<Option<(S, Vec<u8>)>>
where
    S: AsyncRead + AsyncWrite + Unpin,
{
    let m = ctx.spec.misbehaviour;
    let s = Session {
        proto: ctx.spec.proto,
        name: &ctx.spec.name,
        tls,
        offer_starttls: ctx.spec.transport == Transport::Starttls && m != Misbehaviour::NoStarttls,
        refuse_starttls: m == Misbehaviour::StarttlsRefused,
        auth: tls || m == Misbehaviour::AuthBeforeTls,
        inject: m == Misbehaviour::InjectText,
    };
    // Hostile text is sent with its non-UTF-8 byte; everything else as it is.
    let bytes = |text: &str| {
        if s.inject {
            hostile::wire(text)
        } else {
            text.as_bytes().to_vec()
        }
    };
    if after_starttls {
        if s.proto == Proto::Sieve {
            // RFC 5804: capabilities again, unprompted, after the handshake.
            let caps = s.sieve_caps("OK \"TLS negotiation successful.\"");
            send(&mut io, &bytes(&caps)).await?;
        }
    } else {
        if let Misbehaviour::SlowGreeting(delay) = m {
            tokio::time::sleep(delay).await;
        }
        match m {
            Misbehaviour::GarbageGreeting => {
                let mut junk: Vec<u8> = (0..64u8).map(|i| i.wrapping_mul(4)).collect();
                junk.extend_from_slice(b"\r\n");
                send(&mut io, &junk).await?;
                return drain(io).await.map(|()| None);
            }
            Misbehaviour::Trickle => {
                let greeting = s.greeting();
                let line = greeting.lines().next().unwrap_or_default().as_bytes();
                loop {
                    for b in line {
                        send(&mut io, std::slice::from_ref(b)).await?;
                        tokio::time::sleep(TRICKLE_DELAY).await;
                    }
                }
            }
            Misbehaviour::EndlessLine => {
                send(&mut io, s.endless_prefix().as_bytes()).await?;
                let chunk = [b'A'; 16 * 1024];
                loop {
                    send(&mut io, &chunk).await?;
                }
            }
            Misbehaviour::Greeting421 | Misbehaviour::Greeting554 => {
                let refusal = s.refusal(m == Misbehaviour::Greeting554);
                send(&mut io, refusal.as_bytes()).await?;
                io.shutdown().await?;
                return Ok(None);
            }
            Misbehaviour::CapabilityFlood if s.proto == Proto::Imap => {
                send(&mut io, b"* OK mailtls test IMAP ready.\r\n").await?
            }
            _ => send(&mut io, &bytes(&s.greeting())).await?,
        }
    }
    let mut lines = LineReader { buf: pending };
    while let Some(line) = lines.next(&mut io).await? {
        let command = line.to_ascii_uppercase();
        if m == Misbehaviour::StallAudit
            && s.proto == Proto::Pop3
            && (command.starts_with("USER ") || (command == "STLS" && !lines.buf.is_empty()))
        {
            return drain(io).await.map(|()| None);
        }
        if m == Misbehaviour::CapabilityFlood && s.proto == Proto::Imap {
            if let Some(tag) = command.strip_suffix(" CAPABILITY") {
                let flood = hostile::flood_line();
                let tag = &line[..tag.len()];
                send(
                    &mut io,
                    format!("* CAPABILITY {}\r\n", s.caps().join(" ")).as_bytes(),
                )
                .await?;
                for _ in 0..hostile::FLOOD_LINES {
                    io.write_all(flood.as_bytes()).await?;
                }
                send(
                    &mut io,
                    format!("{tag} OK Capability completed.\r\n").as_bytes(),
                )
                .await?;
                continue;
            }
        }
        match s.respond(&line) {
            Action::Reply(reply) => send(&mut io, &bytes(&reply)).await?,
            Action::Close(reply) => {
                send(&mut io, &bytes(&reply)).await?;
                io.shutdown().await?;
                return Ok(None);
            }
            Action::StartTls(mut reply) => {
                if m == Misbehaviour::PlaintextAfterStarttls {
                    reply.push_str(s.injected());
                }
                send(&mut io, reply.as_bytes()).await?;
                if m == Misbehaviour::CloseAfterStarttls {
                    io.shutdown().await?;
                    return Ok(None);
                }
                // A correct server throws away what was pipelined after STARTTLS.
                let pending = if m == Misbehaviour::StarttlsInjection {
                    std::mem::take(&mut lines.buf)
                } else {
                    Vec::new()
                };
                return Ok(Some((io, pending)));
            }
        }
    }
    Ok(None)
}

/// What the server does with a command line.
enum Action {
    Reply(String),
    /// Send this, then close.
    Close(String),
    /// Send this go-ahead, then start TLS.
    StartTls(String),
}

/// Per-protocol replies, depending on the session state.
struct Session<'a> {
    proto: Proto,
    name: &'a str,
    tls: bool,
    offer_starttls: bool,
    refuse_starttls: bool,
    auth: bool,
    /// Add hostile text to the greeting and the capabilities ([`Misbehaviour::InjectText`]).
    inject: bool,
}

/// Joins lines with CRLF, including a final CRLF.
fn crlf<T: AsRef<str>>(lines: impl IntoIterator<Item = T>) -> String {
    lines.into_iter().fold(String::new(), |mut out, l| {
        out.push_str(l.as_ref());
        out.push_str("\r\n");
        out
    })
}

impl Session<'_> {
    /// Capabilities as the protocol lists them (without framing).
    fn caps(&self) -> Vec<String> {
        let (starttls, auth) = (self.offer_starttls && !self.tls, self.auth);
        let opt = |on: bool, v: &'static str| on.then_some(v);
        let caps: Vec<Option<&'static str>> = match self.proto {
            Proto::Imap => vec![
                Some("IMAP4rev1 SASL-IR ID ENABLE IDLE LITERAL+"),
                opt(starttls, "STARTTLS"),
                Some(if auth { "AUTH=PLAIN" } else { "LOGINDISABLED" }),
            ],
            Proto::Pop3 => vec![
                Some("TOP"),
                Some("UIDL"),
                Some("RESP-CODES"),
                Some("PIPELINING"),
                opt(starttls, "STLS"),
                opt(auth, "SASL PLAIN"),
                opt(auth, "USER"),
            ],
            Proto::Smtp => vec![
                Some("PIPELINING"),
                Some("SIZE 10240000"),
                opt(starttls, "STARTTLS"),
                opt(auth, "AUTH PLAIN LOGIN"),
                Some("ENHANCEDSTATUSCODES"),
                Some("8BITMIME"),
            ],
            Proto::Sieve => vec![
                Some("\"IMPLEMENTATION\" \"mailtls test sieve\""),
                Some("\"SIEVE\" \"fileinto reject envelope\""),
                Some("\"NOTIFY\" \"mailto\""),
                opt(auth, "\"SASL\" \"PLAIN\""),
                opt(starttls, "\"STARTTLS\""),
                Some("\"VERSION\" \"1.0\""),
            ],
        };
        let mut caps: Vec<String> = caps.into_iter().flatten().map(str::to_owned).collect();
        if self.inject {
            let cap = hostile::line_payload("cap");
            caps.push(match self.proto {
                Proto::Sieve => format!("\"X-HOSTILE\" \"{cap}\""),
                _ => cap,
            });
        }
        caps
    }

    fn sieve_caps(&self, ok: &str) -> String {
        crlf(self.caps().into_iter().chain([ok.to_owned()]))
    }

    fn greeting(&self) -> String {
        if self.inject {
            let text = hostile::line_payload("greeting");
            return match self.proto {
                Proto::Imap => crlf([format!("* OK {text} mailtls test IMAP ready.")]),
                Proto::Pop3 => crlf([format!("+OK {text} ready.")]),
                Proto::Smtp => crlf([format!("220 {} ESMTP {text}", self.name)]),
                Proto::Sieve => crlf(
                    std::iter::once(format!("\"IMPLEMENTATION\" \"{text}\""))
                        .chain(self.caps().into_iter().skip(1))
                        .chain(["OK \"mailtls test ready.\"".to_owned()]),
                ),
            };
        }
        match self.proto {
            Proto::Imap => crlf([format!(
                "* OK [CAPABILITY {}] mailtls test IMAP ready.",
                self.caps().join(" ")
            )]),
            Proto::Pop3 => crlf(["+OK mailtls test POP3 ready."]),
            Proto::Smtp => crlf([format!("220 {} ESMTP mailtls test", self.name)]),
            Proto::Sieve => self.sieve_caps("OK \"mailtls test ready.\""),
        }
    }

    fn refusal(&self, permanent: bool) -> String {
        crlf([match (self.proto, permanent) {
            (Proto::Imap, false) => "* BYE Too many connections",
            (Proto::Imap, true) => "* BYE Access denied: no IMAP service here",
            (Proto::Pop3, false) => "-ERR [IN-USE] too many connections",
            (Proto::Pop3, true) => "-ERR [SYS/PERM] No POP3 service here",
            (Proto::Smtp, false) => "421 4.3.2 Service not available, too many connections",
            (Proto::Smtp, true) => "554 5.7.1 No SMTP service here",
            (Proto::Sieve, false) => "BYE \"Too many connections\"",
            (Proto::Sieve, true) => "NO \"No ManageSieve service here\"",
        }])
    }

    fn endless_prefix(&self) -> &'static str {
        match self.proto {
            Proto::Imap => "* OK ",
            Proto::Pop3 => "+OK ",
            Proto::Smtp => "220 ",
            Proto::Sieve => "\"IMPLEMENTATION\" \"",
        }
    }

    fn injected(&self) -> &'static str {
        match self.proto {
            Proto::Imap => "* OK injected\r\n",
            Proto::Pop3 => "+OK injected\r\n",
            Proto::Smtp => "250 injected\r\n",
            Proto::Sieve => "OK \"injected\"\r\n",
        }
    }

    /// Replies to STARTTLS: `[already active, not offered, refused, go-ahead]`.
    fn starttls(&self, [active, disabled, refused, go]: [String; 4]) -> Action {
        if self.tls {
            Action::Reply(active)
        } else if !self.offer_starttls {
            Action::Reply(disabled)
        } else if self.refuse_starttls {
            Action::Reply(refused)
        } else {
            Action::StartTls(go)
        }
    }

    fn respond(&self, line: &str) -> Action {
        let mut words = line.split_whitespace();
        let first = words.next().unwrap_or_default();
        match self.proto {
            Proto::Imap => {
                let tag = first;
                if tag.is_empty() {
                    return Action::Reply(crlf(["* BAD Error in IMAP command."]));
                }
                let r = |text: &str| crlf([format!("{tag} {text}")]);
                match words
                    .next()
                    .unwrap_or_default()
                    .to_ascii_uppercase()
                    .as_str()
                {
                    "CAPABILITY" => Action::Reply(crlf([
                        format!("* CAPABILITY {}", self.caps().join(" ")),
                        format!("{tag} OK Capability completed."),
                    ])),
                    "NOOP" => Action::Reply(r("OK NOOP completed.")),
                    "LOGOUT" => Action::Close(crlf([
                        "* BYE Logging out".to_string(),
                        format!("{tag} OK Logout completed."),
                    ])),
                    "STARTTLS" => self.starttls([
                        r("BAD TLS is already active."),
                        r("BAD TLS support isn't enabled."),
                        r("NO [UNAVAILABLE] TLS not available."),
                        r("OK Begin TLS negotiation now."),
                    ]),
                    _ => Action::Reply(r("BAD Error in IMAP command.")),
                }
            }
            Proto::Pop3 => match first.to_ascii_uppercase().as_str() {
                "CAPA" => Action::Reply(crlf(
                    std::iter::once("+OK".to_owned())
                        .chain(self.caps())
                        .chain(std::iter::once(".".to_owned())),
                )),
                "QUIT" => Action::Close(crlf(["+OK Logging out."])),
                "USER" if self.auth => Action::Reply(crlf(["+OK"])),
                "USER" => Action::Reply(crlf([
                    "-ERR [AUTH] Plaintext authentication disallowed on non-secure (SSL/TLS) connections.",
                ])),
                "NOOP" => Action::Reply(crlf(["-ERR Unknown command."])),
                "STLS" => self.starttls([
                    crlf(["-ERR TLS is already active."]),
                    crlf(["-ERR TLS support isn't enabled."]),
                    crlf(["-ERR [SYS/TEMP] TLS not available."]),
                    crlf(["+OK Begin TLS negotiation now."]),
                ]),
                _ => Action::Reply(crlf(["-ERR Unknown command."])),
            },
            Proto::Smtp => {
                let has_arg = words.next().is_some();
                match first.to_ascii_uppercase().as_str() {
                    "EHLO" if has_arg => {
                        let mut lines = vec![self.name.to_string()];
                        lines.extend(self.caps());
                        let last = lines.len() - 1;
                        Action::Reply(crlf(
                            lines.iter().enumerate().map(|(i, l)| {
                                format!("250{}{l}", if i == last { ' ' } else { '-' })
                            }),
                        ))
                    }
                    "HELO" if has_arg => Action::Reply(crlf([format!("250 {}", self.name)])),
                    "EHLO" | "HELO" => Action::Reply(crlf(["501 5.5.4 Syntax: EHLO hostname"])),
                    "NOOP" => Action::Reply(crlf(["250 2.0.0 Ok"])),
                    "QUIT" => Action::Close(crlf(["221 2.0.0 Bye"])),
                    "STARTTLS" => self.starttls([
                        crlf(["554 5.5.1 Error: TLS already active"]),
                        crlf(["502 5.5.1 Error: command not implemented"]),
                        crlf(["454 4.7.0 TLS not available"]),
                        crlf(["220 2.0.0 Ready to start TLS"]),
                    ]),
                    _ => Action::Reply(crlf(["502 5.5.2 Error: command not recognized"])),
                }
            }
            Proto::Sieve => match first.to_ascii_uppercase().as_str() {
                "CAPABILITY" => Action::Reply(self.sieve_caps("OK \"Capability completed.\"")),
                "LOGOUT" => Action::Close(crlf(["OK \"Logout completed.\""])),
                "NOOP" => Action::Reply(crlf(["OK \"NOOP completed.\""])),
                "STARTTLS" => self.starttls([
                    crlf(["NO \"TLS is already active.\""]),
                    crlf(["NO \"TLS support isn't enabled.\""]),
                    crlf(["NO \"TLS not available.\""]),
                    crlf(["OK \"Begin TLS negotiation now.\""]),
                ]),
                _ => Action::Reply(crlf(["NO \"Unknown command.\""])),
            },
        }
    }
}

/// Bounded line reader: accepts CRLF or bare LF, hangs up on lines longer than [`MAX_LINE`].
#[derive(Default)]
struct LineReader {
    buf: Vec<u8>,
}

impl LineReader {
    async fn next<S: AsyncRead + Unpin>(&mut self, io: &mut S) -> io::Result<Option<String>> {
        loop {
            if let Some(pos) = self.buf.iter().position(|&b| b == b'\n') {
                if pos > MAX_LINE + 1 {
                    return Err(io::Error::new(io::ErrorKind::InvalidData, "line too long"));
                }
                let mut line: Vec<u8> = self.buf.drain(..=pos).collect();
                line.pop();
                if line.last() == Some(&b'\r') {
                    line.pop();
                }
                return Ok(Some(String::from_utf8_lossy(&line).into_owned()));
            }
            if self.buf.len() > MAX_LINE {
                return Err(io::Error::new(io::ErrorKind::InvalidData, "line too long"));
            }
            let mut chunk = [0u8; 1024];
            let n = io.read(&mut chunk).await?;
            if n == 0 {
                return Ok(None);
            }
            self.buf.extend_from_slice(&chunk[..n]);
        }
    }
}

async fn send<S: AsyncWrite + Unpin>(io: &mut S, data: &[u8]) -> io::Result<()> {
    io.write_all(data).await?;
    io.flush().await
}

/// Holds the connection open, discarding input, until the client closes it.
async fn drain<S: AsyncRead + Unpin>(mut io: S) -> io::Result<()> {
    let mut buf = [0u8; 1024];
    while io.read(&mut buf).await? > 0 {}
    Ok(())
}

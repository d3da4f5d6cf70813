//! End-to-end checks of the test servers with a real (verifying) rustls client on loopback.

#![allow(clippy::unwrap_used)] // helpers of a test crate; a panic is the failure report

use std::io;
use std::sync::Arc;
use std::time::Duration;

use mailtls_testkit::{CertCase, Misbehaviour, Proto, ServerSpec, TestPki, TestServer, Transport};
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, ServerName};
use rustls::{AlertDescription, CertificateError, ClientConfig, RootCertStore};
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::time::timeout;
use tokio_rustls::TlsConnector;

const WAIT: Duration = Duration::from_secs(5);

trait Io: AsyncRead + AsyncWrite + Unpin + Send {}
impl<T: AsyncRead + AsyncWrite + Unpin + Send> Io for T {}

/// A line-oriented test client that never reads past the line it was asked for.
struct Client {
    io: Box<dyn Io>,
}

impl Client {
    async fn connect(server: &TestServer) -> Client {
        let tcp = TcpStream::connect(server.addr()).await.expect("connect");
        Client { io: Box::new(tcp) }
    }

    /// Verifying TLS handshake for "mail.test" against the kit's root.
    async fn tls(self, pki: &TestPki) -> io::Result<Client> {
        let mut roots = RootCertStore::empty();
        roots
            .add(CertificateDer::from_pem_slice(pki.root_pem().as_bytes()).unwrap())
            .unwrap();
        let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
        let config = ClientConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .unwrap()
            .with_root_certificates(roots)
            .with_no_client_auth();
        let name = ServerName::try_from("mail.test").unwrap();
        let tls = timeout(
            WAIT,
            TlsConnector::from(Arc::new(config)).connect(name, self.io),
        )
        .await
        .expect("handshake finishes")?;
        Ok(Client { io: Box::new(tls) })
    }

    async fn send(&mut self, text: &str) {
        self.io.write_all(text.as_bytes()).await.unwrap();
        self.io.flush().await.unwrap();
    }

    async fn line(&mut self) -> String {
        let mut line = Vec::new();
        let mut byte = [0u8; 1];
        while line.last() != Some(&b'\n') {
            let n = timeout(WAIT, self.io.read(&mut byte))
                .await
                .expect("line arrives in time")
                .expect("read");
            assert!(n == 1, "EOF after {:?}", String::from_utf8_lossy(&line));
            line.push(byte[0]);
        }
        assert!(line.ends_with(b"\r\n"), "line not ended by CRLF: {line:?}");
        line.truncate(line.len() - 2);
        String::from_utf8(line).unwrap()
    }

    /// True when the server closed the connection (cleanly or not) within [`WAIT`].
    async fn closed(&mut self) -> bool {
        let mut buf = [0u8; 64];
        matches!(
            timeout(WAIT, self.io.read(&mut buf)).await,
            Ok(Ok(0) | Err(_))
        )
    }
}

const TLS: &str = "<TLS>";

/// Runs a script of (command, expected reply lines); "" only reads, [`TLS`] upgrades.
/// Commands already ending in '\n' are sent as they are (bare LF), others get CRLF.
/// The server must close the connection after the last step.
async fn run(server: &TestServer, pki: &TestPki, script: &[(&str, &[&str])]) {
    let mut c = Client::connect(server).await;
    for (cmd, want) in script {
        if *cmd == TLS {
            c = c.tls(pki).await.expect("TLS handshake");
        } else if cmd.ends_with('\n') {
            c.send(cmd).await;
        } else if !cmd.is_empty() {
            c.send(&format!("{cmd}\r\n")).await;
        }
        for want in *want {
            assert_eq!(&c.line().await, want, "after {cmd:?}");
        }
    }
    assert!(c.closed().await, "server closes at the end");
}

async fn dialogue(proto: Proto, transport: Transport, script: &[(&str, &[&str])]) {
    let pki = TestPki::new();
    let server = TestServer::start(ServerSpec::new(proto, transport), &pki);
    run(&server, &pki, script).await;
}

const IMAP_TLS_CAPS: &str = "IMAP4rev1 SASL-IR ID ENABLE IDLE LITERAL+ AUTH=PLAIN";
const IMAP_PLAIN_CAPS: &str = "IMAP4rev1 SASL-IR ID ENABLE IDLE LITERAL+ STARTTLS LOGINDISABLED";

#[tokio::test]
async fn imap_starttls() {
    dialogue(
        Proto::Imap,
        Transport::Starttls,
        &[
            (
                "",
                &[&format!(
                    "* OK [CAPABILITY {IMAP_PLAIN_CAPS}] mailtls test IMAP ready."
                )],
            ),
            (
                "a1 CAPABILITY",
                &[
                    &format!("* CAPABILITY {IMAP_PLAIN_CAPS}"),
                    "a1 OK Capability completed.",
                ],
            ),
            ("a2 starttls", &["a2 OK Begin TLS negotiation now."]),
            (TLS, &[]),
            (
                "a3 capability\n",
                &[
                    &format!("* CAPABILITY {IMAP_TLS_CAPS}"),
                    "a3 OK Capability completed.",
                ],
            ),
            ("a4 NOOP", &["a4 OK NOOP completed."]),
            ("a5 STARTTLS", &["a5 BAD TLS is already active."]),
            ("a6 SELECT INBOX", &["a6 BAD Error in IMAP command."]),
            (
                "a7 LOGOUT",
                &["* BYE Logging out", "a7 OK Logout completed."],
            ),
        ],
    )
    .await;
}

#[tokio::test]
async fn imap_implicit_tls() {
    dialogue(
        Proto::Imap,
        Transport::ImplicitTls,
        &[
            (TLS, &[]),
            (
                "",
                &[&format!(
                    "* OK [CAPABILITY {IMAP_TLS_CAPS}] mailtls test IMAP ready."
                )],
            ),
            (
                "a1 CAPABILITY",
                &[
                    &format!("* CAPABILITY {IMAP_TLS_CAPS}"),
                    "a1 OK Capability completed.",
                ],
            ),
            ("a2 STARTTLS", &["a2 BAD TLS is already active."]),
            (
                "a3 logout",
                &["* BYE Logging out", "a3 OK Logout completed."],
            ),
        ],
    )
    .await;
}

const POP3_COMMON: [&str; 5] = ["+OK", "TOP", "UIDL", "RESP-CODES", "PIPELINING"];

#[tokio::test]
async fn pop3_starttls() {
    let plain_capa = [&POP3_COMMON[..], &["STLS", "."]].concat();
    let tls_capa = [&POP3_COMMON[..], &["SASL PLAIN", "USER", "."]].concat();
    dialogue(
        Proto::Pop3,
        Transport::Starttls,
        &[
            ("", &["+OK mailtls test POP3 ready."]),
            ("CAPA", &plain_capa),
            ("stls", &["+OK Begin TLS negotiation now."]),
            (TLS, &[]),
            ("capa\n", &tls_capa),
            ("STLS", &["-ERR TLS is already active."]),
            ("STAT", &["-ERR Unknown command."]),
            ("QUIT", &["+OK Logging out."]),
        ],
    )
    .await;
}

#[tokio::test]
async fn pop3_implicit_tls() {
    let tls_capa = [&POP3_COMMON[..], &["SASL PLAIN", "USER", "."]].concat();
    dialogue(
        Proto::Pop3,
        Transport::ImplicitTls,
        &[
            (TLS, &[]),
            ("", &["+OK mailtls test POP3 ready."]),
            ("CAPA", &tls_capa),
            ("QUIT", &["+OK Logging out."]),
        ],
    )
    .await;
}

#[tokio::test]
async fn smtp_starttls() {
    dialogue(
        Proto::Smtp,
        Transport::Starttls,
        &[
            ("", &["220 mail.test ESMTP mailtls test"]),
            (
                "EHLO client.test",
                &[
                    "250-mail.test",
                    "250-PIPELINING",
                    "250-SIZE 10240000",
                    "250-STARTTLS",
                    "250-ENHANCEDSTATUSCODES",
                    "250 8BITMIME",
                ],
            ),
            ("StartTLS", &["220 2.0.0 Ready to start TLS"]),
            (TLS, &[]),
            (
                "ehlo client.test\n",
                &[
                    "250-mail.test",
                    "250-PIPELINING",
                    "250-SIZE 10240000",
                    "250-AUTH PLAIN LOGIN",
                    "250-ENHANCEDSTATUSCODES",
                    "250 8BITMIME",
                ],
            ),
            ("HELO client.test", &["250 mail.test"]),
            ("NOOP", &["250 2.0.0 Ok"]),
            ("STARTTLS", &["554 5.5.1 Error: TLS already active"]),
            (
                "VRFY postmaster",
                &["502 5.5.2 Error: command not recognized"],
            ),
            ("QUIT", &["221 2.0.0 Bye"]),
        ],
    )
    .await;
}

#[tokio::test]
async fn smtp_implicit_tls() {
    dialogue(
        Proto::Smtp,
        Transport::ImplicitTls,
        &[
            (TLS, &[]),
            ("", &["220 mail.test ESMTP mailtls test"]),
            (
                "EHLO client.test",
                &[
                    "250-mail.test",
                    "250-PIPELINING",
                    "250-SIZE 10240000",
                    "250-AUTH PLAIN LOGIN",
                    "250-ENHANCEDSTATUSCODES",
                    "250 8BITMIME",
                ],
            ),
            ("QUIT", &["221 2.0.0 Bye"]),
        ],
    )
    .await;
}

const SIEVE_HEAD: [&str; 3] = [
    "\"IMPLEMENTATION\" \"mailtls test sieve\"",
    "\"SIEVE\" \"fileinto reject envelope\"",
    "\"NOTIFY\" \"mailto\"",
];

fn sieve_caps(middle: &'static str, ok: &'static str) -> Vec<&'static str> {
    [&SIEVE_HEAD[..], &[middle, "\"VERSION\" \"1.0\"", ok]].concat()
}

#[tokio::test]
async fn sieve_starttls() {
    let sasl = "\"SASL\" \"PLAIN\"";
    dialogue(
        Proto::Sieve,
        Transport::Starttls,
        &[
            (
                "",
                &sieve_caps("\"STARTTLS\"", "OK \"mailtls test ready.\""),
            ),
            ("STARTTLS", &["OK \"Begin TLS negotiation now.\""]),
            (TLS, &[]),
            ("", &sieve_caps(sasl, "OK \"TLS negotiation successful.\"")),
            (
                "capability\n",
                &sieve_caps(sasl, "OK \"Capability completed.\""),
            ),
            ("STARTTLS", &["NO \"TLS is already active.\""]),
            ("HAVESPACE \"x\" 1", &["NO \"Unknown command.\""]),
            ("LOGOUT", &["OK \"Logout completed.\""]),
        ],
    )
    .await;
}

#[tokio::test]
async fn sieve_implicit_tls() {
    let sasl = "\"SASL\" \"PLAIN\"";
    dialogue(
        Proto::Sieve,
        Transport::ImplicitTls,
        &[
            (TLS, &[]),
            ("", &sieve_caps(sasl, "OK \"mailtls test ready.\"")),
            ("LOGOUT", &["OK \"Logout completed.\""]),
        ],
    )
    .await;
}

#[tokio::test]
async fn plaintext_only_and_no_starttls() {
    let pki = TestPki::new();
    let plain = TestServer::start(ServerSpec::new(Proto::Smtp, Transport::PlaintextOnly), &pki);
    let script: &[(&str, &[&str])] = &[
        ("", &["220 mail.test ESMTP mailtls test"]),
        (
            "EHLO client.test",
            &[
                "250-mail.test",
                "250-PIPELINING",
                "250-SIZE 10240000",
                "250-ENHANCEDSTATUSCODES",
                "250 8BITMIME",
            ],
        ),
        ("STARTTLS", &["502 5.5.1 Error: command not implemented"]),
        ("QUIT", &["221 2.0.0 Bye"]),
    ];
    run(&plain, &pki, script).await;
    let spec =
        ServerSpec::new(Proto::Smtp, Transport::Starttls).misbehave(Misbehaviour::NoStarttls);
    run(&TestServer::start(spec, &pki), &pki, script).await;

    let spec =
        ServerSpec::new(Proto::Imap, Transport::Starttls).misbehave(Misbehaviour::NoStarttls);
    let caps = "IMAP4rev1 SASL-IR ID ENABLE IDLE LITERAL+ LOGINDISABLED";
    let script: &[(&str, &[&str])] = &[
        (
            "",
            &[&format!(
                "* OK [CAPABILITY {caps}] mailtls test IMAP ready."
            )],
        ),
        ("1 STARTTLS", &["1 BAD TLS support isn't enabled."]),
        ("2 LOGOUT", &["* BYE Logging out", "2 OK Logout completed."]),
    ];
    run(&TestServer::start(spec, &pki), &pki, script).await;
}

#[tokio::test]
async fn starttls_refused_and_auth_before_tls() {
    let pki = TestPki::new();
    let spec =
        ServerSpec::new(Proto::Pop3, Transport::Starttls).misbehave(Misbehaviour::StarttlsRefused);
    let script: &[(&str, &[&str])] = &[
        ("", &["+OK mailtls test POP3 ready."]),
        ("STLS", &["-ERR [SYS/TEMP] TLS not available."]),
        ("QUIT", &["+OK Logging out."]),
    ];
    run(&TestServer::start(spec, &pki), &pki, script).await;

    let spec =
        ServerSpec::new(Proto::Smtp, Transport::Starttls).misbehave(Misbehaviour::StarttlsRefused);
    let script: &[(&str, &[&str])] = &[
        ("", &["220 mail.test ESMTP mailtls test"]),
        ("STARTTLS", &["454 4.7.0 TLS not available"]),
        ("QUIT", &["221 2.0.0 Bye"]),
    ];
    run(&TestServer::start(spec, &pki), &pki, script).await;

    let spec =
        ServerSpec::new(Proto::Imap, Transport::Starttls).misbehave(Misbehaviour::AuthBeforeTls);
    let caps = "IMAP4rev1 SASL-IR ID ENABLE IDLE LITERAL+ STARTTLS AUTH=PLAIN";
    let script: &[(&str, &[&str])] = &[
        (
            "",
            &[&format!(
                "* OK [CAPABILITY {caps}] mailtls test IMAP ready."
            )],
        ),
        ("1 LOGOUT", &["* BYE Logging out", "1 OK Logout completed."]),
    ];
    run(&TestServer::start(spec, &pki), &pki, script).await;

    let spec =
        ServerSpec::new(Proto::Sieve, Transport::Starttls).misbehave(Misbehaviour::AuthBeforeTls);
    let mut greeting = sieve_caps("\"SASL\" \"PLAIN\"", "OK \"mailtls test ready.\"");
    greeting.insert(4, "\"STARTTLS\"");
    run(
        &TestServer::start(spec, &pki),
        &pki,
        &[
            ("", &greeting[..]),
            ("LOGOUT", &["OK \"Logout completed.\""]),
        ],
    )
    .await;
}

#[tokio::test]
async fn refusing_greetings_then_close() {
    let pki = TestPki::new();
    for (proto, m, want) in [
        (
            Proto::Smtp,
            Misbehaviour::Greeting421,
            "421 4.3.2 Service not available, too many connections",
        ),
        (
            Proto::Smtp,
            Misbehaviour::Greeting554,
            "554 5.7.1 No SMTP service here",
        ),
        (
            Proto::Imap,
            Misbehaviour::Greeting421,
            "* BYE Too many connections",
        ),
        (
            Proto::Pop3,
            Misbehaviour::Greeting421,
            "-ERR [IN-USE] too many connections",
        ),
        (
            Proto::Sieve,
            Misbehaviour::Greeting554,
            "NO \"No ManageSieve service here\"",
        ),
    ] {
        let server = TestServer::start(
            ServerSpec::new(proto, Transport::Starttls).misbehave(m),
            &pki,
        );
        run(&server, &pki, &[("", &[want])]).await;
    }
    // Implicit TLS: the refusal comes inside TLS.
    let spec =
        ServerSpec::new(Proto::Imap, Transport::ImplicitTls).misbehave(Misbehaviour::Greeting421);
    run(
        &TestServer::start(spec, &pki),
        &pki,
        &[(TLS, &[]), ("", &["* BYE Too many connections"])],
    )
    .await;
}

/// Extracts the rustls error from a failed handshake.
fn rustls_error(e: &io::Error) -> &rustls::Error {
    e.get_ref()
        .and_then(|inner| inner.downcast_ref::<rustls::Error>())
        .unwrap_or_else(|| panic!("not a rustls error: {e:?}"))
}

/// Starts a server and does a verifying TLS handshake with it; the server lives as long as the result.
async fn handshake(pki: &TestPki, spec: ServerSpec) -> (TestServer, io::Result<Client>) {
    let server = TestServer::start(spec, pki);
    let client = Client::connect(&server).await.tls(pki).await;
    (server, client)
}

#[tokio::test]
async fn bad_certificates_are_rejected() {
    let pki = TestPki::new();
    for case in [
        CertCase::Expired,
        CertCase::ExpiresIn(-1),
        CertCase::NotYetValid,
        CertCase::WrongName,
        CertCase::SelfSigned,
        CertCase::UnknownRoot,
        CertCase::MissingIntermediate,
    ] {
        let spec = ServerSpec::new(Proto::Imap, Transport::ImplicitTls).cert(case);
        let err = handshake(&pki, spec)
            .await
            .1
            .err()
            .unwrap_or_else(|| panic!("{case:?} accepted"));
        let rustls::Error::InvalidCertificate(cert_err) = rustls_error(&err) else {
            panic!("{case:?}: unexpected error {err:?}");
        };
        let ok = match case {
            CertCase::Expired | CertCase::ExpiresIn(_) => {
                matches!(
                    cert_err,
                    CertificateError::Expired | CertificateError::ExpiredContext { .. }
                )
            }
            CertCase::NotYetValid => matches!(
                cert_err,
                CertificateError::NotValidYet | CertificateError::NotValidYetContext { .. }
            ),
            CertCase::WrongName => matches!(
                cert_err,
                CertificateError::NotValidForName | CertificateError::NotValidForNameContext { .. }
            ),
            _ => matches!(cert_err, CertificateError::UnknownIssuer),
        };
        assert!(ok, "{case:?}: unexpected {cert_err:?}");
    }
}

#[tokio::test]
async fn good_certificates_are_accepted() {
    let pki = TestPki::new();
    for case in [
        CertCase::Good,
        CertCase::ExpiresIn(3),
        CertCase::ExpiresIn(20),
    ] {
        let spec = ServerSpec::new(Proto::Pop3, Transport::ImplicitTls).cert(case);
        let (_server, client) = handshake(&pki, spec).await;
        let mut c = client.unwrap_or_else(|e| panic!("{case:?}: {e}"));
        assert_eq!(c.line().await, "+OK mailtls test POP3 ready.");
    }
}

#[test]
fn certificate_chains_have_the_promised_shape() {
    let pki = TestPki::new();
    for (case, len) in [
        (CertCase::Good, 2),
        (CertCase::UnknownRoot, 2),
        (CertCase::ExpiresIn(3), 2),
        (CertCase::SelfSigned, 1),
        (CertCase::MissingIntermediate, 1),
    ] {
        assert_eq!(
            pki.server_cert(case, "mail.test").chain.len(),
            len,
            "{case:?}"
        );
    }
    let dir = std::env::temp_dir().join(format!("mailtls-testkit-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = pki.write_root_pem(&dir);
    assert_eq!(path.file_name().unwrap(), "root.pem");
    assert_eq!(std::fs::read_to_string(&path).unwrap(), pki.root_pem());
    std::fs::remove_dir_all(&dir).unwrap();
}

#[tokio::test]
async fn tls_alert_is_received() {
    let pki = TestPki::new();
    let spec =
        ServerSpec::new(Proto::Imap, Transport::ImplicitTls).misbehave(Misbehaviour::TlsAlert);
    let err = handshake(&pki, spec)
        .await
        .1
        .err()
        .expect("handshake fails");
    assert_eq!(
        rustls_error(&err),
        &rustls::Error::AlertReceived(AlertDescription::HandshakeFailure)
    );

    // STARTTLS: go-ahead first, then the alert where TLS starts.
    let spec = ServerSpec::new(Proto::Smtp, Transport::Starttls).misbehave(Misbehaviour::TlsAlert);
    let server = TestServer::start(spec, &pki);
    let mut c = Client::connect(&server).await;
    c.line().await;
    c.send("STARTTLS\r\n").await;
    assert_eq!(c.line().await, "220 2.0.0 Ready to start TLS");
    let err = c.tls(&pki).await.err().expect("handshake fails");
    assert_eq!(
        rustls_error(&err),
        &rustls::Error::AlertReceived(AlertDescription::HandshakeFailure)
    );
}

#[tokio::test]
async fn close_during_handshake_and_after_starttls() {
    let pki = TestPki::new();
    let spec = ServerSpec::new(Proto::Pop3, Transport::ImplicitTls)
        .misbehave(Misbehaviour::CloseDuringHandshake);
    let err = handshake(&pki, spec)
        .await
        .1
        .err()
        .expect("handshake fails");
    assert_eq!(err.kind(), io::ErrorKind::UnexpectedEof, "{err:?}");

    let spec = ServerSpec::new(Proto::Imap, Transport::Starttls)
        .misbehave(Misbehaviour::CloseAfterStarttls);
    let server = TestServer::start(spec, &pki);
    let mut c = Client::connect(&server).await;
    c.line().await;
    c.send("a STARTTLS\r\n").await;
    assert_eq!(c.line().await, "a OK Begin TLS negotiation now.");
    assert!(c.closed().await);
}

#[tokio::test]
async fn plaintext_injected_after_starttls() {
    let pki = TestPki::new();
    let spec = ServerSpec::new(Proto::Imap, Transport::Starttls)
        .misbehave(Misbehaviour::PlaintextAfterStarttls);
    let server = TestServer::start(spec, &pki);
    let mut c = Client::connect(&server).await;
    c.line().await;
    c.send("a STARTTLS\r\n").await;
    assert_eq!(c.line().await, "a OK Begin TLS negotiation now.");
    assert_eq!(c.line().await, "* OK injected");
    // Past the injected line, the server does TLS normally.
    let mut c = c.tls(&pki).await.expect("TLS after the injected line");
    c.send("b LOGOUT\r\n").await;
    assert_eq!(c.line().await, "* BYE Logging out");
}

#[tokio::test]
async fn garbage_greeting() {
    let pki = TestPki::new();
    let spec =
        ServerSpec::new(Proto::Smtp, Transport::Starttls).misbehave(Misbehaviour::GarbageGreeting);
    let server = TestServer::start(spec, &pki);
    let mut c = Client::connect(&server).await;
    let mut junk = [0u8; 66];
    timeout(WAIT, c.io.read_exact(&mut junk))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(&junk[..4], &[0x00, 0x04, 0x08, 0x0c]);
    assert_eq!(&junk[64..], b"\r\n");
    // Then it waits: nothing more arrives, the connection stays open.
    assert!(timeout(Duration::from_millis(200), c.io.read(&mut junk))
        .await
        .is_err());
}

#[tokio::test]
async fn silent_server_sends_nothing() {
    let pki = TestPki::new();
    let server = TestServer::start(
        ServerSpec::new(Proto::Imap, Transport::Starttls).misbehave(Misbehaviour::Silent),
        &pki,
    );
    let mut c = Client::connect(&server).await;
    let mut buf = [0u8; 16];
    assert!(timeout(Duration::from_millis(300), c.io.read(&mut buf))
        .await
        .is_err());
}

#[tokio::test]
async fn trickle_sends_a_byte_at_a_time() {
    let pki = TestPki::new();
    let spec = ServerSpec::new(Proto::Pop3, Transport::Starttls).misbehave(Misbehaviour::Trickle);
    let server = TestServer::start(spec, &pki);
    let mut c = Client::connect(&server).await;
    let mut got = Vec::new();
    let mut buf = [0u8; 16];
    while got.len() < 3 {
        let n = timeout(WAIT, c.io.read(&mut buf)).await.unwrap().unwrap();
        assert_eq!(n, 1, "one byte per write");
        got.extend_from_slice(&buf[..n]);
    }
    assert_eq!(got, b"+OK");
}

#[tokio::test]
async fn endless_line_never_ends() {
    let pki = TestPki::new();
    let spec =
        ServerSpec::new(Proto::Imap, Transport::Starttls).misbehave(Misbehaviour::EndlessLine);
    let server = TestServer::start(spec, &pki);
    let mut c = Client::connect(&server).await;
    let mut total = 0usize;
    let mut buf = vec![0u8; 64 * 1024];
    let n = timeout(WAIT, c.io.read_exact(&mut buf[..5]))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(&buf[..n], b"* OK ");
    while total <= 1 << 20 {
        let n = timeout(WAIT, c.io.read(&mut buf)).await.unwrap().unwrap();
        assert!(n > 0 && buf[..n].iter().all(|&b| b == b'A'));
        total += n;
    }
}

#[tokio::test]
async fn overlong_command_line_is_cut_off() {
    let pki = TestPki::new();
    let server = TestServer::start(ServerSpec::new(Proto::Pop3, Transport::Starttls), &pki);
    let mut idle = Client::connect(&server).await;
    assert_eq!(idle.line().await, "+OK mailtls test POP3 ready.");
    // Without a line end, and with one but too long: both cut off.
    for tail in ["", "\r\n"] {
        let mut c = Client::connect(&server).await;
        c.line().await;
        c.send(&format!("{}{tail}", "A".repeat(5_000))).await;
        assert!(c.closed().await);
    }
    // Connections are served concurrently: the idle one still works.
    idle.send("QUIT\r\n").await;
    assert_eq!(idle.line().await, "+OK Logging out.");
}

#[tokio::test]
async fn drop_is_prompt_with_open_connections() {
    let pki = TestPki::new();
    let silent = TestServer::start(
        ServerSpec::new(Proto::Smtp, Transport::ImplicitTls).misbehave(Misbehaviour::Silent),
        &pki,
    );
    let mut quiet = Client::connect(&silent).await;
    let endless = TestServer::start(
        ServerSpec::new(Proto::Smtp, Transport::Starttls).misbehave(Misbehaviour::EndlessLine),
        &pki,
    );
    let mut busy = Client::connect(&endless).await;
    // Once bytes arrive, its task is running (and soon blocked writing).
    let mut first = [0u8; 4];
    timeout(WAIT, busy.io.read_exact(&mut first))
        .await
        .unwrap()
        .unwrap();

    // Dropping a server stops it and closes the connections it was serving.
    drop(silent);
    drop(endless);
    assert!(quiet.closed().await, "connection closed by drop");
    let mut buf = vec![0u8; 64 * 1024];
    // Drain what was in flight; the stream must end.
    let ended = timeout(WAIT, async {
        loop {
            if !matches!(busy.io.read(&mut buf).await, Ok(n) if n > 0) {
                break;
            }
        }
    });
    assert!(ended.await.is_ok());
}

/// The kit works from plain synchronous tests, without any tokio runtime.
#[test]
fn usable_without_a_runtime() {
    use std::io::{BufRead, BufReader, Write};
    let pki = TestPki::new();
    let server = TestServer::start(
        ServerSpec::new(Proto::Smtp, Transport::Starttls).name("mx.test"),
        &pki,
    );
    assert!(server.addr().ip().is_loopback());
    assert_eq!(server.addr().port(), server.port());
    let tcp = std::net::TcpStream::connect(server.addr()).unwrap();
    tcp.set_read_timeout(Some(WAIT)).unwrap();
    let mut reader = BufReader::new(tcp.try_clone().unwrap());
    let mut line = String::new();
    reader.read_line(&mut line).unwrap();
    assert_eq!(line, "220 mx.test ESMTP mailtls test\r\n");
    (&tcp).write_all(b"QUIT\r\n").unwrap();
    line.clear();
    reader.read_line(&mut line).unwrap();
    assert_eq!(line, "221 2.0.0 Bye\r\n");
}

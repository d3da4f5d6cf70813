//! The probe's client-initiated renegotiation check: a TLS 1.2 handshake
//! completed by hand against `openssl s_server` (which refuses by default
//! and renegotiates with `-client_renegotiation`), the rustls test server
//! through the binary (rustls never renegotiates), a relay that swallows
//! the renegotiation hello (silence leaves it open), and the test kit's
//! emulation without ECDHE (no connection for it). Only 127.0.0.1 is
//! contacted.

#![allow(clippy::unwrap_used)]

mod common;

use common::openssl::self_signed;
use common::probe::{codes, run_probe};

use std::io::{Read, Write};
use std::net::{Shutdown, SocketAddr, TcpListener, TcpStream};
use std::path::Path;
use std::process::Command;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use mailtls::diagnose::Severity;
use mailtls_testkit::{CertCase, LegacyServer, Proto, Quirks, ServerSpec, TestPki, Transport};

/// `openssl s_server` on 127.0.0.1; killed on drop.
use common::openssl::SServer as OpensslServer;

/// `openssl s_server` with a certificate of `key` and `args`.
fn s_server(dir: &Path, key: &[&str], args: &[&str]) -> OpensslServer {
    s_server_configured(dir, key, args, None)
}

/// Like [`s_server`], with the section `mailtls` of the OpenSSL
/// configuration `config` (SSL_CONF settings the command line lacks).
fn s_server_configured(
    dir: &Path,
    key: &[&str],
    args: &[&str],
    config: Option<&str>,
) -> OpensslServer {
    let (cert, key) = self_signed(dir, "mail.test", key);
    let config = config.map(|text| {
        let path = dir.join("openssl.cnf");
        std::fs::write(
            &path,
            format!("openssl_conf = default_conf\n[default_conf]\nssl_conf = ssl_sect\n[ssl_sect]\nmailtls = mailtls_sect\n[mailtls_sect]\n{text}\n"),
        )
        .unwrap();
        path
    });
    common::openssl::start_s_server(|port| {
        let mut command = Command::new("openssl");
        command.arg("s_server");
        if let Some(path) = &config {
            command
                .env("OPENSSL_CONF", path)
                .args(["-ssl_config", "mailtls"]);
        }
        command
            .args(["-accept", &format!("127.0.0.1:{port}"), "-quiet"])
            .arg("-cert")
            .arg(&cert)
            .arg("-key")
            .arg(&key)
            .args(args);
        command
    })
}

const ECDSA: &[&str] = &["ec", "-pkeyopt", "ec_paramgen_curve:P-256"];

#[test]
fn openssl_refuses_client_renegotiation_by_default() {
    let dir = tempfile::tempdir().unwrap();
    let server = s_server(dir.path(), ECDSA, &[]);
    let facts = run_probe(server.addr);
    assert_eq!(
        facts.extras.client_renegotiation,
        Some(false),
        "{:#?}",
        facts.extras
    );
    assert_eq!(facts.secure_renegotiation, Some(true));
    let found = codes(facts);
    assert!(
        !found.iter().any(|(c, _)| c == "tls.client_renegotiation"),
        "{found:?}"
    );
}

#[test]
fn openssl_with_client_renegotiation_renegotiates_over_aes_256_gcm_and_rsa() {
    let dir = tempfile::tempdir().unwrap();
    // Only the SHA-384 suite: the PRF on P_SHA384, the record key 32 bytes.
    let server = s_server(
        dir.path(),
        &["rsa:2048"],
        &[
            "-client_renegotiation",
            "-cipher",
            "ECDHE-RSA-AES256-GCM-SHA384",
        ],
    );
    let facts = run_probe(server.addr);
    assert_eq!(
        facts.extras.client_renegotiation,
        Some(true),
        "{:#?}",
        facts.extras
    );
    let found = codes(facts);
    assert!(
        found.contains(&("tls.client_renegotiation".to_owned(), Severity::Warning)),
        "{found:?}"
    );
}

#[test]
fn openssl_with_client_renegotiation_renegotiates_over_aes_128_gcm_and_p256() {
    let dir = tempfile::tempdir().unwrap();
    // Only secp256r1: the key agreement on P-256, not X25519.
    let server = s_server(
        dir.path(),
        ECDSA,
        &[
            "-client_renegotiation",
            "-groups",
            "P-256",
            "-cipher",
            "ECDHE-ECDSA-AES128-GCM-SHA256",
        ],
    );
    let facts = run_probe(server.addr);
    let tls12 = facts
        .version(mailtls::facts::probe::TlsVersion::Tls12)
        .unwrap();
    assert_eq!(tls12.groups.as_deref(), Some(&["secp256r1".to_owned()][..]));
    assert_eq!(
        facts.extras.client_renegotiation,
        Some(true),
        "{:#?}",
        facts.extras
    );
}

#[test]
fn openssl_with_client_renegotiation_renegotiates_over_chacha20_without_ems() {
    let dir = tempfile::tempdir().unwrap();
    let server = s_server_configured(
        dir.path(),
        ECDSA,
        &[
            "-client_renegotiation",
            "-cipher",
            "ECDHE-ECDSA-CHACHA20-POLY1305",
        ],
        Some("Options = -ExtendedMasterSecret"),
    );
    let facts = run_probe(server.addr);
    assert_eq!(facts.extras.extended_master_secret, Some(false));
    assert_eq!(
        facts.extras.client_renegotiation,
        Some(true),
        "{:#?}",
        facts.extras
    );
}

/// A rustls TLS server on 127.0.0.1 that writes what rustls has to say
/// after every read (`complete_io`), as a synchronous server does.
fn rustls_server() -> SocketAddr {
    let pki = TestPki::new();
    let cert = pki.server_cert(CertCase::Good, "mail.test");
    let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
    let config = Arc::new(
        rustls::ServerConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .unwrap()
            .with_no_client_auth()
            .with_single_cert(cert.chain, cert.key)
            .unwrap(),
    );
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    std::thread::spawn(move || {
        for socket in listener.incoming() {
            let Ok(mut socket) = socket else { return };
            let config = config.clone();
            std::thread::spawn(move || {
                let mut conn = rustls::ServerConnection::new(config).unwrap();
                while let Ok(moved) = conn.complete_io(&mut socket) {
                    if moved == (0, 0) {
                        break;
                    }
                }
            });
        }
    });
    addr
}

#[test]
fn rustls_refuses_with_no_renegotiation() {
    let facts = run_probe(rustls_server());
    assert_eq!(
        facts.extras.client_renegotiation,
        Some(false),
        "{:#?}",
        facts.extras
    );
}

#[test]
fn the_rustls_test_server_through_the_binary_never_renegotiates() {
    let pki = common::Pki::new();
    let server = pki.start(ServerSpec::new(Proto::Imap, Transport::ImplicitTls));
    let url = format!("imaps://127.0.0.1:{}", server.port());
    let run = common::check_json(&pki, &url, "20s", &["--probe"]);
    let extras = &run.report()["facts"]["probe"]["extras"];
    // tokio-rustls holds rustls's no_renegotiation warning until the IMAP
    // server next writes, which it does only after a command: silence.
    assert_eq!(
        extras["client_renegotiation"],
        serde_json::Value::Null,
        "{extras:#}"
    );
    let notes = extras["notes"].to_string();
    assert!(notes.contains("sent nothing"), "{notes}");
}

/// A relay to `upstream` that passes the first `pass` records a client
/// sends and swallows the rest; counts connections that sent more.
fn swallowing_relay(upstream: SocketAddr, pass: usize) -> (SocketAddr, Arc<AtomicUsize>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    let swallowed = Arc::new(AtomicUsize::new(0));
    let counter = swallowed.clone();
    std::thread::spawn(move || {
        for client in listener.incoming() {
            let Ok(mut client) = client else { return };
            let Ok(mut server) = TcpStream::connect(upstream) else {
                continue;
            };
            let (mut client_read, mut server_write) =
                (client.try_clone().unwrap(), server.try_clone().unwrap());
            let counter = counter.clone();
            std::thread::spawn(move || {
                let _ = std::io::copy(&mut server, &mut client);
                let _ = client.shutdown(Shutdown::Write);
            });
            std::thread::spawn(move || {
                let mut records = 0;
                let mut counted = false;
                loop {
                    let mut header = [0u8; 5];
                    if client_read.read_exact(&mut header).is_err() {
                        break;
                    }
                    let len = usize::from(u16::from_be_bytes([header[3], header[4]]));
                    let mut body = vec![0u8; len];
                    if client_read.read_exact(&mut body).is_err() {
                        break;
                    }
                    records += 1;
                    if records <= pass {
                        let _ = server_write.write_all(&header);
                        let _ = server_write.write_all(&body);
                    } else if !counted {
                        counted = true;
                        counter.fetch_add(1, Ordering::SeqCst);
                    }
                }
                let _ = server_write.shutdown(Shutdown::Write);
            });
        }
    });
    (addr, swallowed)
}

#[test]
fn silence_after_the_renegotiation_hello_leaves_it_open() {
    let dir = tempfile::tempdir().unwrap();
    let server = s_server(dir.path(), ECDSA, &["-client_renegotiation"]);
    // Hello; ClientKeyExchange, ChangeCipherSpec, Finished: four records.
    let (relay, swallowed) = swallowing_relay(server.addr, 4);
    let facts = run_probe(relay);
    assert_eq!(
        facts.extras.client_renegotiation, None,
        "{:#?}",
        facts.extras
    );
    assert_eq!(swallowed.load(Ordering::SeqCst), 1, "one connection asked");
    assert!(
        facts
            .extras
            .notes
            .iter()
            .any(|n| n.contains("sent nothing") && n.contains("stays open")),
        "{:?}",
        facts.extras.notes
    );
}

#[test]
fn a_server_without_tls_1_2_ecdhe_gets_no_renegotiation_connection() {
    let pki = TestPki::new();
    let chain = pki.server_cert(CertCase::Good, "mail.test").chain;
    let server = LegacyServer::start(Quirks::default(), chain).unwrap();
    let with = run_probe(server.addr());
    // Every connection the check opens ends in an answer or a note, so no
    // answer and no note means it opened none.
    assert_eq!(with.extras.client_renegotiation, None);
    assert!(
        !with
            .extras
            .notes
            .iter()
            .any(|n| n.contains("renegotiation")),
        "{:?}",
        with.extras.notes
    );
    assert_eq!(with.connections as usize, server.connections());
}

//! `--revocation` through the real binary: a leaf naming an OCSP responder
//! (a real `openssl ocsp` responder over the test CA's index) and a CRL (made
//! by rcgen, served by the test kit's web server), all on loopback. Good,
//! revoked by OCSP, revoked by CRL, the responder down, and nothing asked
//! without the option.

#![allow(clippy::unwrap_used)]

mod common;

use std::io::{BufRead, BufReader};
use std::net::{SocketAddr, TcpListener};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use common::{check_json, codes, finding, Pki};
use mailtls_testkit::web::{Reply, WebServer};
use mailtls_testkit::{CertCase, OcspCase, Proto, ServerSpec, Transport};

const SERIAL: u64 = 0x1A2B_3C4D_5E6F_7081;
const OTHER_SERIAL: u64 = 0x1000_0000_0000_0042;

fn loopback() -> SocketAddr {
    SocketAddr::from(([127, 0, 0, 1], 0))
}

/// An `openssl ocsp` responder for the leaf `SERIAL`, answering as `case`.
struct Responder {
    child: Child,
    port: u16,
    _dir: tempfile::TempDir,
}

impl Drop for Responder {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn responder(pki: &Pki, case: OcspCase) -> Responder {
    let dir = tempfile::tempdir().unwrap();
    let [index, cert, key] = pki.pki.write_ocsp_responder(dir.path(), SERIAL, case);
    // Port 0: openssl picks a free port and names it on its first line
    // ("ACCEPT [::]:PORT PID=…") once it listens, which is the signal to go on.
    let mut child = Command::new("openssl")
        .arg("ocsp")
        .arg("-index")
        .arg(&index)
        .args(["-port", "0"])
        .arg("-rsigner")
        .arg(&cert)
        .arg("-rkey")
        .arg(&key)
        .arg("-CA")
        .arg(&cert)
        .args(["-ndays", "1", "-ignore_err"])
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("start openssl ocsp");
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    let port = line
        .split_whitespace()
        .nth(1)
        .and_then(|a| a.rsplit(':').next())
        .and_then(|p| p.parse().ok())
        .unwrap_or_else(|| panic!("openssl ocsp said {line:?}"));
    Responder {
        child,
        port,
        _dir: dir,
    }
}

/// A port on loopback where nothing listens.
fn closed_port() -> u16 {
    TcpListener::bind(loopback())
        .and_then(|l| l.local_addr())
        .unwrap()
        .port()
}

fn crl_server(crl: Reply) -> WebServer {
    WebServer::start(loopback(), None, vec![("/intermediate.crl", crl)]).unwrap()
}

fn crl_reply(der: Vec<u8>) -> Reply {
    Reply::Document {
        content_type: "application/pkix-crl",
        body: der,
    }
}

/// Checks an IMAPS server presenting the leaf `SERIAL` that names the two ports.
fn check(
    pki: &Pki,
    ocsp: u16,
    crl: u16,
    extra: &[&str],
) -> (common::Run, Duration, mailtls_testkit::TestServer, String) {
    let cert = CertCase::RevocationAt {
        ocsp,
        crl,
        serial: SERIAL,
    };
    let server = pki.start(ServerSpec::new(Proto::Imap, Transport::ImplicitTls).cert(cert));
    let url = format!("imaps://127.0.0.1:{}", server.port());
    let started = Instant::now();
    let run = check_json(pki, &url, "4s", extra);
    (run, started.elapsed(), server, url)
}

#[test]
fn a_good_certificate_is_good_by_ocsp_and_crl() {
    let pki = Pki::new();
    let ocsp = responder(&pki, OcspCase::Good);
    let web = crl_server(crl_reply(pki.pki.crl(&[OTHER_SERIAL], 7)));
    let (run, _, _server, _) = check(&pki, ocsp.port, web.addr().port(), &["--revocation"]);
    let report = run.report();
    let leaf = &report["facts"]["revocation"]["certificates"][0];
    assert_eq!(leaf["position"], 0, "{leaf:#}");
    let answer = &leaf["ocsp"]["response"];
    assert_eq!(leaf["ocsp"]["error"], serde_json::Value::Null, "{leaf:#}");
    assert_eq!(answer["status"], "good");
    assert_eq!(answer["signature_valid"], true);
    assert_eq!(answer["names_leaf"], true);
    let crl = &leaf["crl"];
    assert_eq!(crl["error"], serde_json::Value::Null, "{crl:#}");
    assert_eq!(crl["revoked"], false);
    assert_eq!(crl["signature_valid"], true);
    assert_eq!(crl["current"], true);
    let found = codes(&report);
    for code in ["cert.revoked", "cert.revocation_unknown"] {
        assert!(!found.contains(&code.to_owned()), "{found:?}");
    }
    assert_eq!(run.code, 0, "{}", run.stdout);
    // The CA's POST went where the certificate says, with the CRL fetched once.
    let seen = web.requests();
    assert_eq!(seen.len(), 1, "{seen:?}");
    assert_eq!(seen[0].method, "GET");
}

#[test]
fn revoked_by_ocsp_is_critical_and_names_the_responder() {
    let pki = Pki::new();
    let ocsp = responder(&pki, OcspCase::Revoked);
    let web = crl_server(crl_reply(pki.pki.crl(&[], 7)));
    let (run, _, _server, _) = check(&pki, ocsp.port, web.addr().port(), &["--revocation"]);
    let report = run.report();
    let revoked = finding(&report, "cert.revoked");
    assert_eq!(revoked["severity"], "critical");
    let message = revoked["message"].as_str().unwrap();
    assert!(
        message.contains("OCSP responder at http://127.0.0.1:"),
        "{message}"
    );
    assert!(message.contains("key_compromise"), "{message}");
    assert!(!message.contains("CRL"), "{message}");
    assert!(revoked["fix"].as_str().unwrap().contains("re-issue"));
    assert_eq!(run.code, 2);
}

#[test]
fn revoked_by_a_signed_current_crl_is_critical() {
    let pki = Pki::new();
    let ocsp = responder(&pki, OcspCase::Good);
    let web = crl_server(crl_reply(pki.pki.crl(&[OTHER_SERIAL, SERIAL], 7)));
    let (run, _, server, url) = check(&pki, ocsp.port, web.addr().port(), &["--revocation"]);
    let report = run.report();
    let crl = &report["facts"]["revocation"]["certificates"][0]["crl"];
    assert_eq!(crl["revoked"], true, "{crl:#}");
    assert_eq!(crl["signature_valid"], true);
    assert_eq!(crl["revocation_reason"], "key_compromise");
    let revoked = finding(&report, "cert.revoked");
    let message = revoked["message"].as_str().unwrap();
    assert!(message.contains("CRL at http://127.0.0.1:"), "{message}");
    assert_eq!(run.code, 2);
    // The certificate section says so in one line.
    let root = pki.root.to_str().unwrap();
    let human = common::mailtls(&[
        "check",
        &url,
        "--sni",
        "mail.test",
        "--ca-file",
        root,
        "--timeout",
        "4s",
        "--revocation",
    ]);
    assert!(
        human
            .stdout
            .contains("revocation: OCSP good · CRL lists it: REVOKED"),
        "{}",
        human.stdout
    );
    drop(server);
}

#[test]
fn a_responder_down_and_a_silent_crl_server_are_unknown_within_the_deadline() {
    let pki = Pki::new();
    let web = crl_server(Reply::Silent);
    let (run, took, _server, _) = check(&pki, closed_port(), web.addr().port(), &["--revocation"]);
    let report = run.report();
    let unknown = finding(&report, "cert.revocation_unknown");
    assert_eq!(unknown["severity"], "warning");
    let message = unknown["message"].as_str().unwrap();
    assert!(message.contains("refused"), "{message}");
    assert!(!codes(&report).contains(&"cert.revoked".to_owned()));
    assert!(took < Duration::from_secs(8), "{took:?}");
    assert_eq!(run.code, 1, "{}", run.stdout);
}

#[test]
fn a_stale_crl_is_not_relied_on() {
    let pki = Pki::new();
    let web = crl_server(crl_reply(pki.pki.crl(&[SERIAL], -1)));
    let (run, _, _server, _) = check(&pki, closed_port(), web.addr().port(), &["--revocation"]);
    let report = run.report();
    let crl = &report["facts"]["revocation"]["certificates"][0]["crl"];
    assert_eq!(crl["current"], false, "{crl:#}");
    assert!(!codes(&report).contains(&"cert.revoked".to_owned()));
    let unknown = finding(&report, "cert.revocation_unknown");
    assert!(unknown["message"].as_str().unwrap().contains("out of date"));
}

#[test]
fn without_the_option_nothing_is_asked() {
    let pki = Pki::new();
    // Both URLs point at the web server, which records every request.
    let web = WebServer::start(loopback(), None, vec![("/", Reply::Status(500))]).unwrap();
    let port = web.addr().port();
    let (run, _, _server, _) = check(&pki, port, port, &[]);
    let report = run.report();
    assert_eq!(report["facts"].get("revocation"), None);
    assert!(web.requests().is_empty(), "{:?}", web.requests());
    assert_eq!(run.code, 0, "{}", run.stdout);
}

#[test]
fn the_ocsp_request_is_byte_for_byte_what_openssl_sends() {
    let pki = Pki::new();
    let cert = pki.pki.server_cert(CertCase::Good, "mail.test");
    let dir = tempfile::tempdir().unwrap();
    let pem = |name: &str, der: &[u8]| {
        let path = dir.path().join(name);
        std::fs::write(&path, pem::encode(&pem::Pem::new("CERTIFICATE", der))).unwrap();
        path
    };
    let (leaf, issuer) = (
        pem("leaf.pem", &cert.chain[0]),
        pem("inter.pem", &cert.chain[1]),
    );
    let request = dir.path().join("req.der");
    let status = Command::new("openssl")
        .arg("ocsp")
        .arg("-issuer")
        .arg(&issuer)
        .arg("-cert")
        .arg(&leaf)
        .arg("-no_nonce")
        .arg("-reqout")
        .arg(&request)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .unwrap();
    assert!(status.success());
    let ours = mailtls::facts::revocation::ocsp_request(&cert.chain[0], &cert.chain[1]).unwrap();
    assert_eq!(ours, std::fs::read(&request).unwrap());
}

#[test]
fn a_real_crl_cut_or_flipped_anywhere_is_read_without_panicking() {
    use mailtls::facts::revocation::read_crl;
    let pki = Pki::new();
    let cert = pki.pki.server_cert(CertCase::Good, "mail.test");
    let crl = pki.pki.crl(&[OTHER_SERIAL], 7);
    let (leaf, issuer) = (&cert.chain[0], Some(&cert.chain[1]));
    let now = i64::try_from(
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_secs(),
    )
    .unwrap();
    let whole = read_crl("http://x/", &crl, leaf, issuer, now);
    assert_eq!(whole.error, None, "{whole:?}");
    assert_eq!(
        (whole.revoked, whole.signature_valid, whole.current),
        (Some(false), Some(true), Some(true))
    );
    for end in 0..crl.len() {
        let cut = read_crl("http://x/", &crl[..end], leaf, issuer, now);
        assert!(cut.error.is_some(), "{end}");
    }
    for at in 0..crl.len() {
        let mut flipped = crl.clone();
        flipped[at] ^= 0xFF;
        let read = read_crl("http://x/", &flipped, leaf, issuer, now);
        // A change anywhere, signature included, must not verify.
        assert!(
            read.error.is_some() || read.signature_valid != Some(true),
            "{at}"
        );
    }
}

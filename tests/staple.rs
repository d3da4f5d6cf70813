//! OCSP stapling and Certificate Transparency through the real binary: the
//! rustls test server stapling a response made by `openssl ocsp` against a test
//! CA index, `openssl s_server -status_file` stapling the same kind of
//! response, and a certificate with embedded SCTs. All on 127.0.0.1.

#![allow(clippy::unwrap_used)]

mod common;

use common::{check_json, codes, finding, Pki};
use mailtls_testkit::{CertCase, OcspCase, Proto, ServerSpec, Transport, SCT_LOG_IDS};

fn imaps(pki: &Pki, spec: ServerSpec) -> (mailtls_testkit::TestServer, String) {
    let server = pki.start(spec);
    let url = format!("imaps://127.0.0.1:{}", server.port());
    (server, url)
}

#[test]
fn a_good_staple_is_read_and_says_good_for_the_leaf() {
    let pki = Pki::new();
    let spec = ServerSpec::new(Proto::Imap, Transport::ImplicitTls).staple(OcspCase::Good);
    let (_server, url) = imaps(&pki, spec);
    let run = check_json(&pki, &url, "10s", &[]);
    let report = run.report();
    let ocsp = &report["facts"]["tls"]["ocsp"];
    assert_eq!(ocsp["parse_error"], serde_json::Value::Null, "{ocsp:#}");
    assert_eq!(ocsp["response_status"], "successful");
    assert_eq!(ocsp["status"], "good");
    assert_eq!(ocsp["names_leaf"], true);
    assert_eq!(ocsp["signature_valid"], true);
    assert!(ocsp["responder"]
        .as_str()
        .unwrap()
        .contains("mailtls Test Intermediate"));
    let (this, next) = (
        ocsp["this_update_unix"].as_i64().unwrap(),
        ocsp["next_update_unix"].as_i64().unwrap(),
    );
    assert_eq!(next - this, 86_400, "openssl ocsp -ndays 1");
    let found = codes(&report);
    for code in ["cert.ocsp_revoked", "cert.ocsp_stale", "cert.ocsp_unusable"] {
        assert!(!found.contains(&code.to_owned()), "{found:?}");
    }
    assert_eq!(run.code, 0, "{}", run.stdout);
}

#[test]
fn a_revoked_staple_is_critical() {
    let pki = Pki::new();
    let spec = ServerSpec::new(Proto::Imap, Transport::ImplicitTls).staple(OcspCase::Revoked);
    let (_server, url) = imaps(&pki, spec);
    let run = check_json(&pki, &url, "10s", &[]);
    let report = run.report();
    assert_eq!(report["facts"]["tls"]["ocsp"]["status"], "revoked");
    assert_eq!(
        report["facts"]["tls"]["ocsp"]["revocation_reason"],
        "key_compromise"
    );
    let revoked = finding(&report, "cert.ocsp_revoked");
    assert_eq!(revoked["severity"], "critical");
    assert_eq!(run.code, 2);
}

#[test]
fn a_staple_for_another_certificate_is_unusable() {
    let pki = Pki::new();
    // The response is made for another leaf than the one the server sends.
    let other = pki.pki.server_cert(CertCase::Good, "mail.test");
    let staple = pki.pki.ocsp_response(&other, OcspCase::Good);
    let server = pki.start(ServerSpec::new(Proto::Imap, Transport::ImplicitTls));
    let facts = mailtls::facts::ocsp::parse(&staple, server.chain());
    assert_eq!(facts.names_leaf, Some(false), "{facts:?}");
    let facts = mailtls::facts::ocsp::parse(&staple, &other.chain);
    assert_eq!(facts.names_leaf, Some(true), "{facts:?}");
}

#[test]
fn a_staple_changed_after_signing_does_not_verify() {
    let pki = Pki::new();
    let cert = pki.pki.server_cert(CertCase::Good, "mail.test");
    let mut staple = pki.pki.ocsp_response(&cert, OcspCase::Good);
    let good = mailtls::facts::ocsp::parse(&staple, &cert.chain);
    assert_eq!(good.signature_valid, Some(true), "{good:?}");
    // producedAt, a GeneralizedTime (tag 0x18, 15 bytes): its last second digit changed.
    let at = staple
        .windows(2)
        .position(|w| w == [0x18, 0x0F])
        .expect("producedAt");
    let second = at + 2 + 13;
    staple[second] = if staple[second] == b'0' { b'1' } else { b'0' };
    let changed = mailtls::facts::ocsp::parse(&staple, &cert.chain);
    assert_eq!(changed.parse_error, None);
    assert_eq!(changed.signature_valid, Some(false), "{changed:?}");
    // Without the issuer there is nothing to verify with.
    let alone = mailtls::facts::ocsp::parse(&staple, &cert.chain[..1]);
    assert_eq!(alone.signature_valid, None);
}

#[test]
fn openssl_s_server_status_file_staple_is_read() {
    let pki = Pki::new();
    let cert = pki.pki.server_cert(CertCase::Good, "mail.test");
    let staple = pki.pki.ocsp_response(&cert, OcspCase::Good);
    let dir = tempfile::tempdir().unwrap();
    let (cert_path, key_path, staple_path) = (
        dir.path().join("chain.pem"),
        dir.path().join("key.pem"),
        dir.path().join("staple.der"),
    );
    std::fs::write(&cert_path, cert.chain_pem()).unwrap();
    std::fs::write(&key_path, cert.key_pem()).unwrap();
    std::fs::write(&staple_path, &staple).unwrap();
    let server = common::openssl::start_s_server(|port| {
        let mut command = common::openssl::s_server(port, &cert_path, &key_path);
        command.arg("-status_file").arg(&staple_path).arg("-quiet");
        command
    });
    // s_server speaks no IMAP: the check stops after the handshake, with its facts.
    let run = check_json(
        &pki,
        &format!("imaps://127.0.0.1:{}", server.addr.port()),
        "3s",
        &[],
    );
    drop(server);
    let ocsp = &run.report()["facts"]["tls"]["ocsp"];
    assert_eq!(ocsp["status"], "good", "{}", run.stdout);
    assert_eq!(ocsp["names_leaf"], true);
}

#[test]
fn embedded_scts_are_listed_with_their_logs() {
    use base64::Engine;
    let pki = Pki::new();
    let spec = ServerSpec::new(Proto::Imap, Transport::ImplicitTls).cert(CertCase::WithScts);
    let (_server, url) = imaps(&pki, spec);
    let run = check_json(&pki, &url, "10s", &[]);
    let report = run.report();
    let scts = report["facts"]["certificates"][0]["scts"]
        .as_array()
        .unwrap()
        .clone();
    let ids: Vec<String> = scts
        .iter()
        .map(|s| s["log_id"].as_str().unwrap().to_owned())
        .collect();
    let expected: Vec<String> = SCT_LOG_IDS
        .iter()
        .map(|id| base64::engine::general_purpose::STANDARD.encode(id))
        .collect();
    assert_eq!(ids, expected);
    assert_eq!(scts[0]["timestamp"], "2026-01-01T00:00:00Z");
    // A private CA (--ca-file): no judgement about CT either way.
    assert!(!codes(&report).contains(&"cert.no_sct".to_owned()));
}

#[test]
fn a_real_staple_cut_or_flipped_anywhere_is_read_without_panicking() {
    let pki = Pki::new();
    let cert = pki.pki.server_cert(CertCase::Good, "mail.test");
    let staple = pki.pki.ocsp_response(&cert, OcspCase::Revoked);
    let whole = mailtls::facts::ocsp::parse(&staple, &cert.chain);
    assert_eq!(whole.parse_error, None);
    for end in 0..staple.len() {
        let cut = mailtls::facts::ocsp::parse(&staple[..end], &cert.chain);
        assert!(cut.parse_error.is_some() || cut.status.is_none(), "{end}");
    }
    for at in 0..staple.len() {
        let mut flipped = staple.clone();
        flipped[at] ^= 0xFF;
        let _ = mailtls::facts::ocsp::parse(&flipped, &cert.chain);
    }
}

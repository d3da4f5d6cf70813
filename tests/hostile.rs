//! Peers that misbehave on purpose: each ends with a clear finding inside the
//! deadline, never a panic or a hang (the harness's hard timeout would fail it).

mod common;

use common::{check_json, codes, finding, url_for, Pki};
use mailtls_testkit::{CertCase, Misbehaviour, Proto, ServerSpec, Transport};

#[test]
fn broken_tls_from_the_server_is_a_finding() {
    let pki = Pki::new();
    let cases = [
        (Misbehaviour::TruncatedHandshake, "net.timeout", 3),
        (Misbehaviour::OversizedHandshake, "tls.handshake_failed", 2),
        (Misbehaviour::GarbageTls, "tls.handshake_failed", 2),
        (Misbehaviour::TlsAlert, "tls.handshake_failed", 2),
        (
            Misbehaviour::CloseDuringHandshake,
            "tls.handshake_failed",
            2,
        ),
    ];
    for transport in [Transport::ImplicitTls, Transport::Starttls] {
        for (misbehaviour, code, exit) in cases {
            let spec = ServerSpec::new(Proto::Imap, transport).misbehave(misbehaviour);
            let server = pki.start(spec);
            let run = check_json(&pki, &url_for(&server, Proto::Imap, transport), "1s", &[]);
            let report = run.report();
            assert_eq!(
                codes(&report)[0],
                code,
                "{misbehaviour:?} {transport:?}: {:#}",
                report["findings"]
            );
            assert_eq!(run.code, exit, "{misbehaviour:?} {transport:?}");
            assert_eq!(
                report["facts"]["stopped"]["phase"], "tls_handshake",
                "{misbehaviour:?}"
            );
            let message = finding(&report, code)["message"]
                .as_str()
                .expect("message")
                .to_owned();
            assert!(
                !message.is_empty() && !message.contains('\n'),
                "one line: {message:?}"
            );
        }
    }
}

#[test]
fn a_chain_of_fifty_certificates_is_reported_in_full() {
    let pki = Pki::new();
    let spec = ServerSpec::new(Proto::Smtp, Transport::ImplicitTls).cert(CertCase::LongChain(49));
    let server = pki.start(spec);
    let run = check_json(
        &pki,
        &url_for(&server, Proto::Smtp, Transport::ImplicitTls),
        "10s",
        &[],
    );
    let report = run.report();
    assert_eq!(
        report["facts"]["certificates"]
            .as_array()
            .expect("certs")
            .len(),
        50
    );
    // WebPKI refuses paths this long; whatever the verdict, it is explained.
    assert!(report["facts"]["stopped"].is_null(), "the check finished");
    assert_ne!(report["verdict"], "ok", "{:#}", report["findings"]);
    let f = finding(&report, "cert.untrusted");
    let message = f["message"].as_str().expect("message");
    assert!(message.contains("longer than clients will follow"), "{f}");
    assert!(f["fix"].as_str().expect("fix").contains("sends 50"), "{f}");
}

#[test]
fn a_starttls_go_ahead_followed_by_a_close_is_explained() {
    let pki = Pki::new();
    for proto in [Proto::Imap, Proto::Pop3, Proto::Smtp, Proto::Sieve] {
        let spec =
            ServerSpec::new(proto, Transport::Starttls).misbehave(Misbehaviour::CloseAfterStarttls);
        let server = pki.start(spec);
        let run = check_json(
            &pki,
            &url_for(&server, proto, Transport::Starttls),
            "2s",
            &[],
        );
        assert_eq!(run.code, 2, "{proto:?}");
        let words = finding(&run.report(), "tls.handshake_failed")["message"].to_string();
        assert!(words.contains("closed"), "{proto:?}: {words}");
        // Every handshake is closed, the probe's too: no client gets a session,
        // as the headline says.
        let report = run.report();
        assert_eq!(
            report["facts"]["probe"]["every_hello_closed"], true,
            "{proto:?}"
        );
        let clients = report["clients"].as_array().expect("clients");
        assert!(!clients.is_empty(), "{proto:?}: per-client verdicts");
        for client in clients {
            assert_eq!(client["outcome"], "cannot_connect", "{proto:?}: {client:#}");
        }
    }
}

//! The plaintext phase: cleartext login before TLS, STARTTLS command injection,
//! and mailtls's own immunity to response injection.

mod common;

use common::{check_json, codes, finding, url_for, Pki};
use mailtls_testkit::{Misbehaviour, Proto, ServerSpec, Transport};

const STARTTLS_PROTOS: [Proto; 4] = [Proto::Imap, Proto::Pop3, Proto::Smtp, Proto::Sieve];

fn audit(pki: &Pki, proto: Proto, misbehaviour: Misbehaviour) -> common::Run {
    let server = pki.start(ServerSpec::new(proto, Transport::Starttls).misbehave(misbehaviour));
    check_json(
        pki,
        &url_for(&server, proto, Transport::Starttls),
        "5s",
        &["--audit"],
    )
}

#[test]
fn login_offered_before_tls_is_a_warning_in_every_protocol() {
    let pki = Pki::new();
    for proto in STARTTLS_PROTOS {
        let run = audit(&pki, proto, Misbehaviour::AuthBeforeTls);
        // Clients set to STARTTLS are safe; the warning is about clients set to
        // no or optional encryption. POP3's test server also accepts USER
        // before TLS, which the audit shows: that is critical.
        let expected = if proto == Proto::Pop3 { 2 } else { 1 };
        assert_eq!(
            run.code,
            expected,
            "{proto:?}: {:#}",
            run.report()["findings"]
        );
        let f = finding(&run.report(), "auth.cleartext_offered");
        assert_eq!(f["severity"], "warning", "{proto:?}");
        let message = f["message"].as_str().expect("message");
        let way = match proto {
            Proto::Imap => "AUTH=PLAIN",
            Proto::Pop3 => "USER/PASS",
            Proto::Smtp => "AUTH PLAIN",
            Proto::Sieve => "SASL PLAIN",
        };
        assert!(message.contains(way), "{proto:?}: {message}");
        assert!(!codes(&run.report()).contains(&"auth.tls_required".to_owned()));
    }
}

#[test]
fn a_pop3_server_that_takes_user_before_tls_is_caught_without_a_password() {
    let pki = Pki::new();
    let run = audit(&pki, Proto::Pop3, Misbehaviour::AuthBeforeTls);
    let f = finding(&run.report(), "auth.cleartext_accepted");
    assert_eq!(f["severity"], "critical");
    let probe = &run.report()["facts"]["audit"]["pop3_user_before_tls"];
    assert_eq!(probe["positive"], true);

    // A server that refuses it is not flagged, and says why in the facts.
    let run = audit(&pki, Proto::Pop3, Misbehaviour::None);
    assert!(!codes(&run.report()).contains(&"auth.cleartext_accepted".to_owned()));
    let probe = &run.report()["facts"]["audit"]["pop3_user_before_tls"];
    assert_eq!(probe["positive"], false);
    assert!(probe["evidence"]
        .as_str()
        .expect("evidence")
        .starts_with("-ERR"));
}

#[test]
fn starttls_command_injection_is_found_in_every_protocol() {
    let pki = Pki::new();
    for proto in STARTTLS_PROTOS {
        let run = audit(&pki, proto, Misbehaviour::StarttlsInjection);
        assert_eq!(run.code, 2, "{proto:?}: {:#}", run.report()["findings"]);
        assert_eq!(
            codes(&run.report())[0],
            "starttls.command_injection",
            "{proto:?}"
        );
        let probe = &run.report()["facts"]["audit"]["injection"];
        assert_eq!(probe["positive"], true, "{proto:?}: {probe}");

        // The same server without the flaw passes the same test.
        let run = audit(&pki, proto, Misbehaviour::None);
        assert_eq!(run.code, 0, "{proto:?}: {:#}", run.report()["findings"]);
        assert!(codes(&run.report()).contains(&"starttls.no_command_injection".to_owned()));
    }
}

#[test]
fn without_audit_no_extra_connection_is_made() {
    let pki = Pki::new();
    let server = pki.start(ServerSpec::new(Proto::Pop3, Transport::Starttls));
    let url = url_for(&server, Proto::Pop3, Transport::Starttls);
    let run = check_json(&pki, &url, "5s", &[]);
    assert!(run.report()["facts"]["audit"].is_null());
    assert_eq!(server.connections_accepted(), 1);
    check_json(&pki, &url, "5s", &["--audit"]);
    assert_eq!(
        server.connections_accepted(),
        1 + 3,
        "check, injection test, USER test"
    );
}

#[test]
fn response_injection_is_discarded_by_mailtls_itself() {
    // The reverse attack: plaintext sent by the server after its STARTTLS go-ahead
    // must never be read as if it came through TLS.
    let pki = Pki::new();
    for proto in STARTTLS_PROTOS {
        let run = audit(&pki, proto, Misbehaviour::PlaintextAfterStarttls);
        let report = run.report();
        assert_eq!(
            codes(&report)[0],
            "starttls.unexpected_plaintext",
            "{proto:?}"
        );
        let lines = report["facts"]["transcript"]["lines"]
            .as_array()
            .expect("lines");
        assert!(
            lines.iter().all(
                |l| l["tls"] == false || !l["text"].as_str().unwrap_or("").contains("injected")
            ),
            "{proto:?}: injected text read as TLS data"
        );
    }
}

//! The probe's ROBOT test against the test kit's TLS 1.2 emulation with an
//! RSA key (a strong and a weak oracle, and a sound server), against
//! `openssl s_server` with an RSA certificate and only AES128-SHA, and
//! against a server without RSA key exchange, which must get no ROBOT
//! connection. Only 127.0.0.1 is contacted.

#![allow(clippy::unwrap_used)]

mod common;

use common::probe::{codes, run_probe};

use mailtls::diagnose::Severity;
use mailtls::facts::probe::{ProbeFacts, RobotVariant, RobotVerdict};
use mailtls_testkit::{CertCase, LegacyServer, Quirks, RobotOracle, TestPki};

fn emulation(robot: Option<RobotOracle>) -> LegacyServer {
    let pki = TestPki::new();
    let cert = pki.rsa_server_cert("mail.test");
    let quirks = Quirks {
        robot,
        ..Quirks::default()
    };
    LegacyServer::start_with_key(quirks, cert.chain, &cert.key).unwrap()
}

fn answers(facts: &ProbeFacts, round: usize) -> Vec<(RobotVariant, String)> {
    let robot = facts.extras.robot.as_ref().unwrap();
    robot.rounds[round]
        .iter()
        .map(|a| (a.variant, a.answer.clone()))
        .collect()
}

#[test]
fn a_strong_oracle_is_found_in_two_rounds() {
    let server = emulation(Some(RobotOracle::Strong));
    let facts = run_probe(server.addr());
    let robot = facts.extras.robot.clone().unwrap();
    assert_eq!(robot.verdict, RobotVerdict::StrongOracle, "{robot:#?}");
    assert_eq!(robot.suites, ["TLS_RSA_WITH_AES_128_GCM_SHA256"]);
    assert_eq!(robot.rounds.len(), 2);
    assert_eq!(robot.connections, 10);
    assert_eq!(server.key_exchanges(), 10);
    let expected: Vec<(RobotVariant, String)> = [
        (RobotVariant::Correct, "alert:bad_record_mac"),
        (RobotVariant::WrongFirstBytes, "alert:handshake_failure"),
        (RobotVariant::ZeroMisplaced, "alert:bad_record_mac"),
        (RobotVariant::NoSeparator, "alert:bad_record_mac"),
        (RobotVariant::WrongVersion, "alert:bad_record_mac"),
    ]
    .into_iter()
    .map(|(v, a)| (v, a.to_owned()))
    .collect();
    assert_eq!(answers(&facts, 0), expected);
    assert_eq!(answers(&facts, 1), expected);
    assert_eq!(facts.connections as usize, server.connections());
    let found = codes(facts);
    assert!(
        found.contains(&("tls.robot".to_owned(), Severity::Critical)),
        "{found:?}"
    );
}

#[test]
fn a_weak_oracle_is_a_warning() {
    let server = emulation(Some(RobotOracle::Weak));
    let facts = run_probe(server.addr());
    let robot = facts.extras.robot.clone().unwrap();
    assert_eq!(robot.verdict, RobotVerdict::WeakOracle, "{robot:#?}");
    let texts: Vec<String> = answers(&facts, 0).into_iter().map(|(_, a)| a).collect();
    assert_eq!(
        texts,
        [
            "alert:bad_record_mac",
            "alert:handshake_failure",
            "alert:handshake_failure",
            "alert:handshake_failure",
            "alert:bad_record_mac"
        ]
    );
    let found = codes(facts);
    assert!(
        found.contains(&("tls.robot".to_owned(), Severity::Warning)),
        "{found:?}"
    );
}

#[test]
fn answers_that_do_not_repeat_leave_it_open() {
    let server = emulation(Some(RobotOracle::Flaky));
    let facts = run_probe(server.addr());
    let robot = facts.extras.robot.clone().unwrap();
    assert_eq!(robot.verdict, RobotVerdict::Inconclusive, "{robot:#?}");
    assert_eq!(robot.rounds.len(), 2);
    assert_eq!(robot.connections, 10);
    assert_ne!(answers(&facts, 0), answers(&facts, 1));
    assert!(
        facts
            .extras
            .notes
            .iter()
            .any(|n| n.contains("differed between the two rounds")),
        "{:?}",
        facts.extras.notes
    );
    let found = codes(facts);
    assert!(
        !found.iter().any(|(code, _)| code == "tls.robot"),
        "{found:?}"
    );
}

#[test]
fn a_sound_server_answers_alike_in_one_round() {
    let server = emulation(None);
    let facts = run_probe(server.addr());
    let robot = facts.extras.robot.clone().unwrap();
    assert_eq!(robot.verdict, RobotVerdict::NotVulnerable, "{robot:#?}");
    assert_eq!(robot.rounds.len(), 1);
    assert_eq!(robot.connections, 5);
    assert_eq!(server.key_exchanges(), 5);
    assert!(answers(&facts, 0)
        .iter()
        .all(|(_, a)| a == "alert:bad_record_mac"));
    assert_eq!(facts.connections as usize, server.connections());
    let found = codes(facts);
    assert!(
        !found.iter().any(|(code, _)| code == "tls.robot"),
        "{found:?}"
    );
}

#[test]
fn a_certificate_without_an_rsa_key_costs_one_connection_and_stays_open() {
    let pki = TestPki::new();
    let chain = pki.server_cert(CertCase::Good, "mail.test").chain;
    let server = LegacyServer::start(Quirks::default(), chain).unwrap();
    let facts = run_probe(server.addr());
    let robot = facts.extras.robot.clone().unwrap();
    assert_eq!(robot.verdict, RobotVerdict::Inconclusive);
    assert_eq!(robot.connections, 1);
    assert_eq!(server.key_exchanges(), 0);
    assert!(
        facts
            .extras
            .notes
            .iter()
            .any(|n| n.contains("not RSA") && n.contains("ROBOT stays open")),
        "{:?}",
        facts.extras.notes
    );
}

#[test]
fn a_server_without_rsa_key_exchange_gets_no_robot_connection() {
    let pki = TestPki::new();
    let cert = pki.rsa_server_cert("mail.test");
    let quirks = Quirks {
        dh_prime: Some(vec![0xff; 256]),
        no_rsa_key_exchange: true,
        ..Quirks::default()
    };
    let server = LegacyServer::start_with_key(quirks, cert.chain, &cert.key).unwrap();
    let facts = run_probe(server.addr());
    let tls12 = facts
        .version(mailtls::facts::probe::TlsVersion::Tls12)
        .unwrap();
    assert_eq!(
        tls12
            .suites
            .iter()
            .map(|s| s.name.as_str())
            .collect::<Vec<_>>(),
        ["TLS_DHE_RSA_WITH_AES_128_GCM_SHA256"]
    );
    assert_eq!(facts.extras.robot, None);
    assert_eq!(server.key_exchanges(), 0);
    assert_eq!(facts.connections as usize, server.connections());
}

#[test]
fn openssl_with_an_rsa_certificate_and_aes128_sha_is_not_an_oracle() {
    let dir = tempfile::tempdir().unwrap();
    let (cert, key) = common::openssl::self_signed(dir.path(), "mail.test", &["rsa:2048"]);
    let server = common::openssl::start_s_server(|port| {
        let mut command = common::openssl::s_server(port, &cert, &key);
        command.args(["-quiet", "-no_tls1_3", "-cipher", "AES128-SHA"]);
        command
    });
    let facts = run_probe(server.addr);
    drop(server);
    let robot = facts.extras.robot.clone().unwrap();
    assert_eq!(robot.suites, ["TLS_RSA_WITH_AES_128_CBC_SHA"], "{robot:#?}");
    assert_eq!(robot.verdict, RobotVerdict::NotVulnerable, "{robot:#?}");
    assert_eq!(robot.connections, 5);
    // OpenSSL takes every premaster and then fails the Finished: an alert,
    // not silence that would prove nothing.
    assert!(
        answers(&facts, 0)
            .iter()
            .all(|(_, a)| a.starts_with("alert:")),
        "{robot:#?}"
    );
    let found = codes(facts);
    assert!(
        !found.iter().any(|(code, _)| code == "tls.robot"),
        "{found:?}"
    );
}

//! The probe's extra questions (compression, extended master secret,
//! Heartbleed, CCS injection, DH parameters, certificates without SNI and per
//! key type) against the test kit's hand-made TLS 1.2 emulation (which can be
//! made vulnerable), `openssl s_server` and the rustls test server (which
//! cannot). Only 127.0.0.1 is contacted.

#![allow(clippy::unwrap_used)]

mod common;

use common::openssl::self_signed;
use common::probe::{codes, run_probe, Tcp};

use std::net::SocketAddr;
use std::process::Command;

use mailtls::diagnose::{diagnose, Policy, Severity};
use mailtls::facts::probe::CertificateAsk;
use mailtls_testkit::{CertCase, LegacyServer, Proto, Quirks, ServerSpec, TestPki, Transport};
use tokio::time::Instant;

/// RFC 2409 Oakley Group 2, the 1024-bit prime Logjam is about.
fn oakley_group_2() -> Vec<u8> {
    let known = &mailtls::diagnose::dh::KNOWN_PRIMES[1];
    assert!(known.name.contains("Group 2"));
    (0..known.prime.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&known.prime[i..i + 2], 16).unwrap())
        .collect()
}

#[test]
fn an_emulated_vulnerable_server_is_found_vulnerable_on_every_count() {
    let pki = TestPki::new();
    let chain = pki.server_cert(CertCase::Good, "mail.test").chain;
    let quirks = Quirks {
        deflate: true,
        heartbleed: true,
        ignore_early_ccs: true,
        silent_after_ccs: false,
        extended_master_secret: false,
        dh_prime: Some(oakley_group_2()),
        scts: true,
        robot: None,
        no_rsa_key_exchange: false,
        ssl3: false,
    };
    let server = LegacyServer::start(quirks, chain).unwrap();
    let facts = run_probe(server.addr());
    let extras = &facts.extras;
    assert_eq!(extras.compression, Some(true), "{extras:#?}");
    assert_eq!(extras.heartbeat, Some(true));
    assert_eq!(extras.heartbleed, Some(true));
    assert_eq!(extras.ccs_injection, Some(true));
    assert_eq!(extras.extended_master_secret, Some(false));
    let scts = extras.tls_scts.as_ref().unwrap();
    assert_eq!(scts.len(), 2, "{scts:?}");
    assert_eq!(scts[0].timestamp, "2026-01-01T00:00:00Z");
    let dh = extras.dh.as_ref().unwrap();
    assert_eq!(dh.bits, 1024);
    assert_eq!(dh.generator, "02");
    assert_eq!(facts.connections as usize, server.connections());
    let found = codes(facts);
    for (code, severity) in [
        ("tls.compression", Severity::Critical),
        ("tls.heartbleed", Severity::Critical),
        ("tls.ccs_injection", Severity::Critical),
        ("tls.no_extended_master_secret", Severity::Info),
        ("tls.weak_dh", Severity::Warning),
    ] {
        assert!(
            found.contains(&(code.to_owned(), severity)),
            "{code} {severity:?} not in {found:?}"
        );
    }
}

#[test]
fn an_emulated_server_that_still_speaks_ssl_3_is_named() {
    use mailtls::facts::probe::{Acceptance, TlsVersion};
    let pki = TestPki::new();
    let chain = pki.server_cert(CertCase::Good, "mail.test").chain;
    let quirks = Quirks {
        ssl3: true,
        ..Quirks::default()
    };
    let server = LegacyServer::start(quirks, chain).unwrap();
    let facts = run_probe(server.addr());
    let ssl3 = facts
        .versions
        .iter()
        .find(|v| v.version == TlsVersion::Ssl3)
        .expect("SSL 3.0 is asked");
    assert_eq!(ssl3.accepted, Acceptance::Yes, "{ssl3:#?}");
    let names: Vec<&str> = ssl3
        .suites
        .iter()
        .map(|s| s.openssl_name.as_str())
        .collect();
    assert!(names.contains(&"RC4-SHA"), "{names:?}");
    let found = codes(facts);
    assert!(
        found.contains(&("tls.sslv3_enabled".to_owned(), Severity::Critical)),
        "{found:?}"
    );

    // Without the quirk the same emulation refuses SSL 3.0.
    let server = LegacyServer::start(
        Quirks::default(),
        pki.server_cert(CertCase::Good, "mail.test").chain,
    )
    .unwrap();
    let facts = run_probe(server.addr());
    let ssl3 = facts
        .versions
        .iter()
        .find(|v| v.version == TlsVersion::Ssl3)
        .expect("SSL 3.0");
    assert_eq!(ssl3.accepted, Acceptance::No, "{ssl3:#?}");
}

#[test]
fn silence_after_an_early_change_cipher_spec_proves_nothing() {
    let pki = TestPki::new();
    let chain = pki.server_cert(CertCase::Good, "mail.test").chain;
    let quirks = Quirks {
        silent_after_ccs: true,
        ..Quirks::default()
    };
    let server = LegacyServer::start(quirks, chain).unwrap();
    let facts = run_probe(server.addr());
    let extras = &facts.extras;
    assert_eq!(extras.ccs_injection, None, "{extras:#?}");
    assert!(
        extras
            .notes
            .iter()
            .any(|n| n.contains("CCS injection stays open")),
        "{:?}",
        extras.notes
    );
    let found = codes(facts);
    assert!(
        !found.iter().any(|(code, _)| code == "tls.ccs_injection"),
        "{found:?}"
    );
}

#[test]
fn an_emulated_sound_server_is_found_sound() {
    let pki = TestPki::new();
    let chain = pki.server_cert(CertCase::Good, "mail.test").chain;
    let quirks = Quirks {
        extended_master_secret: true,
        ..Quirks::default()
    };
    let server = LegacyServer::start(quirks, chain).unwrap();
    let facts = run_probe(server.addr());
    let extras = &facts.extras;
    assert_eq!(extras.compression, Some(false), "{extras:#?}");
    assert_eq!(extras.heartbeat, Some(false));
    assert_eq!(extras.heartbleed, None, "not asked without the extension");
    assert_eq!(extras.ccs_injection, Some(false));
    assert_eq!(extras.extended_master_secret, Some(true));
    assert_eq!(extras.tls_scts, Some(Vec::new()));
    assert_eq!(extras.dh, None);
    let found = codes(facts);
    for code in [
        "tls.compression",
        "tls.heartbleed",
        "tls.ccs_injection",
        "tls.no_extended_master_secret",
        "tls.weak_dh",
    ] {
        assert!(!found.iter().any(|(c, _)| c == code), "{found:?}");
    }
}

/// `openssl s_server` on 127.0.0.1; killed on drop.
use common::openssl::SServer as OpensslServer;

/// `openssl s_server` with `args`, answering HTTP (-www) unless it is to
/// accept early data, which -www excludes.
fn s_server(args: Vec<std::ffi::OsString>) -> OpensslServer {
    let www = !args.iter().any(|a| a == "-early_data");
    common::openssl::start_s_server(|port| {
        let mut command = Command::new("openssl");
        command
            .arg("s_server")
            .args(["-accept", &format!("127.0.0.1:{port}"), "-quiet"])
            .args(www.then_some("-www"))
            .args(&args);
        command
    })
}

#[test]
fn openssl_is_not_vulnerable_and_serves_rsa_and_ecdsa_side_by_side() {
    let dir = tempfile::tempdir().unwrap();
    let (rsa, rsa_key) = self_signed(dir.path(), "mail.test", &["rsa:2048"]);
    let (ec, ec_key) = self_signed(
        dir.path(),
        "ec.mail.test",
        &["ec", "-pkeyopt", "ec_paramgen_curve:P-256"],
    );
    let server = s_server(vec![
        "-cert".into(),
        rsa.into(),
        "-key".into(),
        rsa_key.into(),
        "-dcert".into(),
        ec.into(),
        "-dkey".into(),
        ec_key.into(),
    ]);
    let facts = run_probe(server.addr);
    let extras = &facts.extras;
    assert_eq!(extras.compression, Some(false), "{extras:#?}");
    assert_eq!(extras.heartbeat, Some(false));
    assert_eq!(extras.heartbleed, None);
    assert_eq!(extras.ccs_injection, Some(false));
    assert_eq!(extras.extended_master_secret, Some(true));
    let key_of = |asked| {
        extras
            .certificates
            .iter()
            .find(|c| c.asked == asked)
            .and_then(|c| c.leaf.as_ref())
            .map(|l| l.key.clone())
            .unwrap_or_default()
    };
    assert_eq!(key_of(CertificateAsk::Rsa), "RSA 2048");
    assert_eq!(key_of(CertificateAsk::Ecdsa), "ECDSA P-256");
}

#[test]
fn a_server_with_another_certificate_without_sni_is_told() {
    let dir = tempfile::tempdir().unwrap();
    let (default, default_key) = self_signed(dir.path(), "default.test", &["rsa:2048"]);
    let (named, named_key) = self_signed(dir.path(), "mail.test", &["rsa:2048"]);
    let server = s_server(vec![
        "-cert".into(),
        default.into(),
        "-key".into(),
        default_key.into(),
        "-servername".into(),
        "mail.test".into(),
        "-cert2".into(),
        named.into(),
        "-key2".into(),
        named_key.into(),
    ]);
    let facts = run_probe(server.addr);
    let no_sni = facts
        .extras
        .certificates
        .iter()
        .find(|c| c.asked == CertificateAsk::NoSni)
        .and_then(|c| c.leaf.clone())
        .unwrap();
    assert_eq!(no_sni.names, ["default.test"]);
    // The check's own leaf: the one served for mail.test.
    let mut check = mailtls::facts::CheckFacts::new(
        mailtls::facts::target::TargetSpec::parse("imaps://mail.test")
            .and_then(|s| s.resolve(None, None))
            .unwrap(),
    );
    let pem = std::fs::read_to_string(dir.path().join("mail.test.pem")).unwrap();
    let der = pem::parse(pem).unwrap().into_contents();
    check.certificates = mailtls::facts::cert::parse_chain(&[der.into()], 0);
    check.probe = Some(facts);
    let findings = diagnose(&check, &Policy::default());
    let differs = findings
        .iter()
        .find(|f| f.code.as_str() == "cert.differs_without_sni")
        .unwrap();
    assert!(
        differs.message.contains("does not cover the name"),
        "{differs:?}"
    );
}

#[test]
fn the_rustls_test_server_through_the_binary_is_not_vulnerable() {
    let pki = common::Pki::new();
    let server = pki.start(ServerSpec::new(Proto::Imap, Transport::ImplicitTls));
    let url = format!("imaps://127.0.0.1:{}", server.port());
    let run = common::check_json(&pki, &url, "20s", &["--probe"]);
    let extras = &run.report()["facts"]["probe"]["extras"];
    assert_eq!(extras["version"], "TLSv1.2", "{extras:#}");
    assert_eq!(extras["compression"], false);
    assert_eq!(extras["heartbeat"], false);
    assert_eq!(extras["ccs_injection"], false);
    assert_eq!(extras["extended_master_secret"], true);
    assert_eq!(extras["certificates"][0]["asked"], "no_sni");
}

#[test]
fn the_rustls_test_server_resumes_by_id_and_ticket_without_early_data() {
    let pki = common::Pki::new();
    let server = pki.start(ServerSpec::new(Proto::Imap, Transport::ImplicitTls));
    let url = format!("imaps://127.0.0.1:{}", server.port());
    let run = common::check_json(&pki, &url, "20s", &["--probe"]);
    let resumption = &run.report()["facts"]["probe"]["resumption"];
    assert_eq!(resumption["tls12_session_id"], true, "{resumption:#}");
    assert_eq!(resumption["tls12_ticket"], true);
    assert_eq!(resumption["tls13_ticket"], true);
    assert!(resumption["tls13_tickets"].as_u64().unwrap() >= 1);
    assert_eq!(resumption["tls13_early_data"], false);
    assert_eq!(resumption["connections"], 6);
}

/// The resumption questions asked directly of a server speaking TLS from the first byte.
fn resumption_of(addr: SocketAddr) -> mailtls::facts::probe::ResumptionFacts {
    use mailtls::gather::tls::trust::{CaFiles, TrustStore};
    use mailtls::gather::tls::TlsClient;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    let facts = run_probe(addr);
    let provider = TlsClient::default_provider();
    let trust = TrustStore::load_files_only(&CaFiles::read(&[]).unwrap(), &provider).unwrap();
    let tls = TlsClient::new(provider, trust, true);
    let name = rustls_pki_types::ServerName::try_from("mail.test").unwrap();
    let deadline = Instant::now() + std::time::Duration::from_secs(20);
    runtime.block_on(mailtls::gather::resume::resumption(
        &tls,
        &Tcp(addr),
        name,
        &facts,
        deadline,
    ))
}

#[test]
fn openssl_without_cache_or_tickets_resumes_nothing_and_with_them_everything() {
    let dir = tempfile::tempdir().unwrap();
    let (cert, key) = self_signed(dir.path(), "mail.test", &["rsa:2048"]);
    let args = |extra: &[&str]| {
        let mut args: Vec<std::ffi::OsString> = vec![
            "-cert".into(),
            cert.clone().into(),
            "-key".into(),
            key.clone().into(),
        ];
        args.extend(extra.iter().map(Into::into));
        args
    };
    let closed = s_server(args(&["-no_cache", "-no_ticket"]));
    let facts = resumption_of(closed.addr);
    assert_eq!(facts.tls12_session_id, Some(false), "{facts:#?}");
    assert_eq!(facts.tls12_ticket, Some(false));
    assert_eq!(facts.tls13_ticket, Some(false));
    let open = s_server(args(&["-early_data"]));
    let facts = resumption_of(open.addr);
    assert_eq!(facts.tls12_session_id, Some(true), "{facts:#?}");
    assert_eq!(facts.tls12_ticket, Some(true));
    assert_eq!(facts.tls13_ticket, Some(true));
    assert_eq!(facts.tls13_early_data, Some(true));
}

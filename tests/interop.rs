//! `mailtls check` through the real binary against real Dovecot and Postfix on 127.0.0.1,
//! cross-checked with `openssl s_client`.
//!
//! Needs root and the servers from `.ci/install-servers.sh`; a missing server fails the
//! suite (it is never skipped). Each test function starts its instances once and checks
//! many endpoints against them.

mod common;

use std::net::Ipv4Addr;
use std::path::Path;
use std::time::Duration;

use common::{check_json, codes, finding, Pki, Run};
use mailtls_testkit::real::{Dovecot, DovecotOptions, Postfix, SmtpListener, DOVECOT_ADDRESS};
use mailtls_testkit::CertCase;
use serde_json::Value;

/// One endpoint of a real server: the URL scheme mailtls gets and openssl's `-starttls` name.
#[derive(Debug, Clone, Copy)]
struct Endpoint {
    scheme: &'static str,
    host: Ipv4Addr,
    port: u16,
    starttls: Option<&'static str>,
}

impl Endpoint {
    fn url(&self) -> String {
        format!("{}://{}:{}", self.scheme, self.host, self.port)
    }
}

fn dovecot_endpoints(d: &Dovecot) -> [Endpoint; 5] {
    [
        Endpoint {
            scheme: "imap+starttls",
            host: DOVECOT_ADDRESS,
            port: d.imap,
            starttls: Some("imap"),
        },
        Endpoint {
            scheme: "imaps",
            host: DOVECOT_ADDRESS,
            port: d.imaps,
            starttls: None,
        },
        Endpoint {
            scheme: "pop3+starttls",
            host: DOVECOT_ADDRESS,
            port: d.pop3,
            starttls: Some("pop3"),
        },
        Endpoint {
            scheme: "pop3s",
            host: DOVECOT_ADDRESS,
            port: d.pop3s,
            starttls: None,
        },
        Endpoint {
            scheme: "sieve",
            host: DOVECOT_ADDRESS,
            port: d.sieve,
            starttls: Some("sieve"),
        },
    ]
}

fn postfix_endpoints(submission: u16, smtps: u16) -> [Endpoint; 2] {
    [
        Endpoint {
            scheme: "smtp+starttls",
            host: Ipv4Addr::LOCALHOST,
            port: submission,
            starttls: Some("smtp"),
        },
        Endpoint {
            scheme: "smtps",
            host: Ipv4Addr::LOCALHOST,
            port: smtps,
            starttls: None,
        },
    ]
}

fn start_dovecot(pki: &Pki, cert: CertCase) -> Dovecot {
    Dovecot::start(&pki.pki, DovecotOptions::new(cert))
        .unwrap_or_else(|e| panic!("Dovecot ({cert:?}) did not start: {e:#}"))
}

fn start_postfix(pki: &Pki, listeners: &[SmtpListener]) -> Postfix {
    Postfix::start(&pki.pki, listeners)
        .unwrap_or_else(|e| panic!("Postfix ({listeners:?}) did not start: {e:#}"))
}

fn check(pki: &Pki, endpoint: &Endpoint) -> Run {
    check_json(pki, &endpoint.url(), "10s", &[])
}

/// What `openssl s_client -brief` saw.
#[derive(Debug)]
struct OpenSsl {
    version: Option<String>,
    cipher: Option<String>,
    verified: bool,
    output: String,
}

/// `openssl s_client -connect 127.0.0.1:PORT -servername mail.test -verify_hostname mail.test
/// -CAfile ROOT -verify_return_error -brief [-starttls P]` with empty stdin and a bounded wait.
///
/// `-servername` only sends SNI: without `-verify_hostname` openssl says "Verification: OK"
/// for a certificate of another name, where mailtls (and every mail client) checks the name.
fn openssl(root: &Path, endpoint: &Endpoint) -> OpenSsl {
    let connect = format!("{}:{}", endpoint.host, endpoint.port);
    let mut args = vec![
        "s_client",
        "-connect",
        &connect,
        "-servername",
        "mail.test",
        "-verify_hostname",
        "mail.test",
        "-CAfile",
        root.to_str().expect("utf-8 path"),
        "-verify_return_error",
        "-brief",
    ];
    if let Some(proto) = endpoint.starttls {
        args.extend(["-starttls", proto]);
    }
    let output = assert_cmd::Command::new("openssl")
        .args(&args)
        .write_stdin("")
        .timeout(Duration::from_secs(30))
        .output()
        .expect("run openssl s_client (install it with `sudo bash .ci/install-servers.sh`)");
    let output = format!(
        "{}{}",
        String::from_utf8_lossy(&output.stderr),
        String::from_utf8_lossy(&output.stdout)
    );
    let field = |name: &str| {
        output
            .lines()
            .find_map(|l| l.strip_prefix(name))
            .map(|v| v.trim().to_owned())
    };
    OpenSsl {
        version: field("Protocol version:"),
        cipher: field("Ciphersuite:").map(|c| iana_suite(&c)),
        verified: output.lines().any(|l| l.trim() == "Verification: OK"),
        output,
    }
}

/// OpenSSL's name of a cipher suite in IANA's words (mailtls reports IANA names).
/// TLS 1.3 suites have the same name in both; TLS 1.2 ones differ.
fn iana_suite(openssl: &str) -> String {
    let name = match openssl {
        "ECDHE-ECDSA-AES256-GCM-SHA384" => "TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384",
        "ECDHE-ECDSA-AES128-GCM-SHA256" => "TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256",
        "ECDHE-ECDSA-CHACHA20-POLY1305" => "TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256",
        "ECDHE-RSA-AES256-GCM-SHA384" => "TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384",
        "ECDHE-RSA-AES128-GCM-SHA256" => "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256",
        "ECDHE-RSA-CHACHA20-POLY1305" => "TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256",
        other => other,
    };
    name.to_owned()
}

/// A good endpoint: exit 0, trusted, TLS 1.2 or 1.3, and the same version, suite and
/// verdict as openssl. Both servers are set to choose the suite themselves
/// (`ssl_prefer_server_ciphers`, `tls_preempt_cipherlist`), so both clients, which offer
/// the same suites, must be given the same one.
fn assert_good(pki: &Pki, endpoint: &Endpoint) -> Value {
    let run = check(pki, endpoint);
    let report = run.report();
    let what = endpoint.url();
    assert_eq!(run.code, 0, "{what}: {:#}", report["findings"]);
    assert!(
        codes(&report).contains(&"cert.trusted".to_owned()),
        "{what}"
    );
    let tls = &report["facts"]["tls"];
    assert_eq!(tls["verification"]["trusted"], true, "{what}");
    let version = tls["version"].as_str().expect("tls.version");
    assert!(
        version == "TLSv1.3" || version == "TLSv1.2",
        "{what}: {version}"
    );
    let dialogue = &report["facts"]["dialogue"];
    assert!(
        dialogue["capabilities_after_tls"].is_array(),
        "{what}: {dialogue}"
    );
    if endpoint.starttls.is_some() {
        assert_eq!(dialogue["starttls_offered"], true, "{what}");
    }

    let ossl = openssl(&pki.root, endpoint);
    assert!(
        ossl.verified,
        "{what}: openssl does not verify:\n{}",
        ossl.output
    );
    assert_eq!(
        ossl.version.as_deref(),
        Some(version),
        "{what}: version\n{}",
        ossl.output
    );
    assert_eq!(
        ossl.cipher.as_deref(),
        tls["cipher_suite"].as_str(),
        "{what}: cipher suite\n{}",
        ossl.output
    );
    report
}

/// A broken certificate: `code` is the first finding, exit 2, the report complete, and
/// openssl refuses to verify too.
fn assert_cert_problem(pki: &Pki, endpoint: &Endpoint, case: CertCase, code: &str) {
    let run = check(pki, endpoint);
    let report = run.report();
    let what = format!("{} ({case:?})", endpoint.url());
    assert_eq!(run.code, 2, "{what}: {:#}", report["findings"]);
    assert_eq!(codes(&report)[0], code, "{what}: {:#}", report["findings"]);
    assert!(report["facts"]["stopped"].is_null(), "{what}");
    assert_eq!(report["facts"]["tls"]["verification"]["trusted"], false);
    assert!(
        report["facts"]["dialogue"]["capabilities_after_tls"].is_array(),
        "{what}"
    );

    let ossl = openssl(&pki.root, endpoint);
    assert!(
        !ossl.verified,
        "{what}: openssl verifies what mailtls does not:\n{}",
        ossl.output
    );
    let reason = match case {
        CertCase::Expired => "certificate has expired",
        CertCase::SelfSigned => "self-signed certificate",
        CertCase::MissingIntermediate => "unable to get local issuer certificate",
        CertCase::WrongName => "hostname mismatch",
        _ => "",
    };
    assert!(
        ossl.output.contains(reason),
        "{what}: openssl gives another reason than {reason:?}:\n{}",
        ossl.output
    );
}

/// A STARTTLS port checked as implicit TLS, and an implicit-TLS port checked as STARTTLS.
/// mailtls waits half the timeout for a greeting before it tries TLS, hence the short one.
fn assert_port_mix_ups(pki: &Pki, starttls_url: &str, implicit_url: &str) {
    let run = check_json(pki, starttls_url, "4s", &[]);
    assert_eq!(
        run.code,
        2,
        "{starttls_url}: {:#}",
        run.report()["findings"]
    );
    finding(&run.report(), "port.plaintext_on_tls_port");

    let run = check_json(pki, implicit_url, "4s", &[]);
    assert_eq!(
        run.code,
        2,
        "{implicit_url}: {:#}",
        run.report()["findings"]
    );
    finding(&run.report(), "port.tls_on_plaintext_port");
    assert!(
        run.report()["facts"]["tls"]["version"].is_string(),
        "{implicit_url}: the TLS found there is reported"
    );
}

/// Stops several instances at once: each takes a second or two to shut down.
fn stop_all<T: Send>(instances: Vec<T>) {
    std::thread::scope(|s| {
        for instance in instances {
            s.spawn(move || drop(instance));
        }
    });
}

const BROKEN: [(CertCase, &str); 4] = [
    (CertCase::Expired, "cert.expired"),
    (CertCase::WrongName, "cert.name_mismatch"),
    (CertCase::MissingIntermediate, "cert.unknown_issuer"),
    (CertCase::SelfSigned, "cert.self_signed"),
];

#[test]
fn dovecot_good_chain_on_every_endpoint_agrees_with_openssl() {
    let pki = Pki::new();
    let dovecot = start_dovecot(&pki, CertCase::Good);
    for endpoint in dovecot_endpoints(&dovecot) {
        assert_good(&pki, &endpoint);
    }
    assert_port_mix_ups(
        &pki,
        &format!("imaps://{DOVECOT_ADDRESS}:{}", dovecot.imap),
        &format!("imap+starttls://{DOVECOT_ADDRESS}:{}", dovecot.imaps),
    );
    assert_port_mix_ups(
        &pki,
        &format!("pop3s://{DOVECOT_ADDRESS}:{}", dovecot.pop3),
        &format!("pop3+starttls://{DOVECOT_ADDRESS}:{}", dovecot.pop3s),
    );
}

#[test]
fn dovecot_certificate_problems_are_named_as_openssl_sees_them() {
    let pki = Pki::new();
    let instances: Vec<(CertCase, &str, Dovecot)> = BROKEN
        .iter()
        .map(|&(case, code)| {
            // One instance also allows cleartext authentication (the other setting of
            // `disable_plaintext_auth`): certificate findings do not depend on it.
            let options = DovecotOptions {
                cleartext_auth: case == CertCase::Expired,
                ..DovecotOptions::new(case)
            };
            let dovecot = Dovecot::start(&pki.pki, options)
                .unwrap_or_else(|e| panic!("Dovecot ({options:?}) did not start: {e:#}"));
            (case, code, dovecot)
        })
        .collect();
    for (case, code, dovecot) in &instances {
        let [imap, imaps, _, pop3s, sieve] = dovecot_endpoints(dovecot);
        for endpoint in [imap, imaps, pop3s, sieve] {
            assert_cert_problem(&pki, &endpoint, *case, code);
        }
    }
    stop_all(instances);
}

#[test]
fn postfix_good_chain_on_every_endpoint_agrees_with_openssl() {
    let pki = Pki::new();
    let postfix = start_postfix(
        &pki,
        &[
            SmtpListener::new(CertCase::Good),
            SmtpListener::new(CertCase::Good).tls12_only(),
        ],
    );
    for ports in &postfix.ports {
        for endpoint in postfix_endpoints(ports.submission, ports.smtps) {
            let report = assert_good(&pki, &endpoint);
            let version = &report["facts"]["tls"]["version"];
            if ports.listener.tls12_only {
                assert_eq!(version, "TLSv1.2", "{}", endpoint.url());
                finding(&report, "tls.no_tls13");
            } else {
                assert_eq!(version, "TLSv1.3", "{}", endpoint.url());
            }
        }
    }
    let ports = postfix.ports[0];
    assert_port_mix_ups(
        &pki,
        &format!("smtps://127.0.0.1:{}", ports.submission),
        &format!("smtp+starttls://127.0.0.1:{}", ports.smtps),
    );
}

#[test]
fn postfix_certificate_problems_are_named_as_openssl_sees_them() {
    let pki = Pki::new();
    let listeners: Vec<SmtpListener> = BROKEN
        .iter()
        .map(|&(case, _)| SmtpListener::new(case))
        .collect();
    let postfix = start_postfix(&pki, &listeners);
    for (ports, (case, code)) in postfix.ports.iter().zip(BROKEN) {
        for endpoint in postfix_endpoints(ports.submission, ports.smtps) {
            assert_cert_problem(&pki, &endpoint, case, code);
        }
    }
}

#[test]
fn postfix_instances_run_side_by_side() {
    let pki = Pki::new();
    let first = start_postfix(&pki, &[SmtpListener::new(CertCase::Good)]);
    let second = start_postfix(&pki, &[SmtpListener::new(CertCase::Expired)]);
    let smtps = |p: &Postfix| format!("smtps://127.0.0.1:{}", p.ports[0].smtps);
    assert_eq!(check_json(&pki, &smtps(&first), "10s", &[]).code, 0);
    assert_eq!(check_json(&pki, &smtps(&second), "10s", &[]).code, 2);
    // Stopping one leaves the other running.
    let second_url = smtps(&second);
    drop(first);
    let run = check_json(&pki, &second_url, "10s", &[]);
    assert_eq!(codes(&run.report())[0], "cert.expired");
}

/// Issue 5 against the real thing: Dovecot refusing and allowing cleartext login
/// before STARTTLS, seen through the passive capability check and `--audit`.
#[test]
fn dovecot_cleartext_login_both_ways() {
    let pki = Pki::new();
    let strict = start_dovecot(&pki, CertCase::Good);
    let lax = Dovecot::start(
        &pki.pki,
        DovecotOptions {
            cleartext_auth: true,
            ..DovecotOptions::new(CertCase::Good)
        },
    )
    .unwrap_or_else(|e| panic!("Dovecot (cleartext allowed) did not start: {e:#}"));

    for (dovecot, allows) in [(&strict, false), (&lax, true)] {
        let [imap, _, pop3, _, sieve] = dovecot_endpoints(dovecot);
        for endpoint in [imap, pop3, sieve] {
            let what = endpoint.url();
            let run = check_json(&pki, &what, "10s", &["--audit"]);
            let report = run.report();
            let found = codes(&report);
            if allows {
                // A warning: clients set to STARTTLS are safe, those set to no
                // or optional encryption send the password in clear. For POP3
                // the audit also shows USER accepted before TLS: critical.
                let pop3 = what.starts_with("pop3");
                assert!(
                    found.contains(&"auth.cleartext_offered".to_owned()),
                    "{what}: {found:?}"
                );
                let first = if pop3 {
                    "auth.cleartext_accepted"
                } else {
                    "auth.cleartext_offered"
                };
                assert_eq!(found[0], first, "{what}: {found:?}");
                assert_eq!(run.code, if pop3 { 2 } else { 1 }, "{what}");
            } else {
                assert!(
                    found.contains(&"auth.tls_required".to_owned()),
                    "{what}: {found:?}"
                );
                assert!(
                    !found.contains(&"auth.cleartext_offered".to_owned()),
                    "{what}"
                );
                assert_eq!(run.code, 0, "{what}: {:#}", report["findings"]);
            }
            // Dovecot discards what was pipelined after STARTTLS.
            assert!(
                found.contains(&"starttls.no_command_injection".to_owned()),
                "{what}: {found:?}"
            );
            if endpoint.scheme == "pop3+starttls" {
                let probe = &report["facts"]["audit"]["pop3_user_before_tls"];
                assert_eq!(probe["positive"], allows, "{what}: {probe}");
                assert_eq!(
                    found.contains(&"auth.cleartext_accepted".to_owned()),
                    allows,
                    "{what}"
                );
            }
        }
    }
}

/// Postfix discards what was pipelined after STARTTLS (its CVE-2011-0411 fix).
#[test]
fn postfix_is_not_open_to_starttls_command_injection() {
    let pki = Pki::new();
    let postfix = start_postfix(&pki, &[SmtpListener::new(CertCase::Good)]);
    let [submission, _] = postfix_endpoints(postfix.ports[0].submission, postfix.ports[0].smtps);
    let run = check_json(&pki, &submission.url(), "10s", &["--audit"]);
    let found = codes(&run.report());
    assert!(
        found.contains(&"starttls.no_command_injection".to_owned()),
        "{found:?}"
    );
    assert_eq!(run.code, 0, "{:#}", run.report()["findings"]);
}

/// Postfix with SASL (through Dovecot) and `smtpd_tls_auth_only` both ways.
#[test]
fn postfix_tls_auth_only_both_ways() {
    let pki = Pki::new();
    let dovecot = start_dovecot(&pki, CertCase::Good);
    let socket = dovecot.auth_socket();
    for tls_auth_only in [true, false] {
        let postfix = Postfix::start_with_auth(
            &pki.pki,
            &[SmtpListener::new(CertCase::Good)],
            Some((&socket, tls_auth_only)),
        )
        .unwrap_or_else(|e| panic!("Postfix (tls_auth_only {tls_auth_only}) did not start: {e:#}"));
        let [submission, _] =
            postfix_endpoints(postfix.ports[0].submission, postfix.ports[0].smtps);
        let run = check(&pki, &submission);
        let report = run.report();
        let found = codes(&report);
        let after = report["facts"]["dialogue"]["capabilities_after_tls"].to_string();
        assert!(
            after.contains("AUTH PLAIN"),
            "AUTH is offered inside TLS: {after}"
        );
        if tls_auth_only {
            assert!(found.contains(&"auth.tls_required".to_owned()), "{found:?}");
            assert_eq!(run.code, 0, "{:#}", report["findings"]);
        } else {
            assert_eq!(found[0], "auth.cleartext_offered", "{found:?}");
            assert_eq!(run.code, 1);
        }
    }
}

/// What `openssl s_client -tls1_2` says of a second connection that offers the
/// first one's session: `Some(true)` for "Reused", `Some(false)` for "New",
/// and the first connection's "Extended master secret" and "Compression" lines.
struct OpensslResumption {
    reused: Option<bool>,
    extended_master_secret: Option<bool>,
    compression: Option<String>,
    output: String,
}

fn openssl_resumption(root: &Path, endpoint: &Endpoint) -> OpensslResumption {
    let dir = tempfile::tempdir().expect("temporary directory");
    let session = dir.path().join("session.pem");
    let connect = format!("{}:{}", endpoint.host, endpoint.port);
    let run = |session_arg: &str| {
        let mut args = vec![
            "s_client",
            "-connect",
            &connect,
            "-servername",
            "mail.test",
            "-CAfile",
            root.to_str().expect("utf-8 path"),
            "-tls1_2",
            session_arg,
            session.to_str().expect("utf-8 path"),
        ];
        if let Some(proto) = endpoint.starttls {
            args.extend(["-starttls", proto]);
        }
        let output = assert_cmd::Command::new("openssl")
            .args(&args)
            .write_stdin("")
            .timeout(Duration::from_secs(30))
            .output()
            .expect("run openssl s_client");
        format!(
            "{}{}",
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        )
    };
    let first = run("-sess_out");
    let second = run("-sess_in");
    let field = |text: &str, name: &str| {
        text.lines()
            .find_map(|l| l.trim().strip_prefix(name))
            .map(|v| v.trim().to_owned())
    };
    let reused = second.lines().find_map(|l| {
        let l = l.trim();
        if l.starts_with("Reused, TLSv1.2") {
            Some(true)
        } else if l.starts_with("New, TLSv1.2") {
            Some(false)
        } else {
            None
        }
    });
    OpensslResumption {
        reused,
        extended_master_secret: field(&first, "Extended master secret:").map(|v| v == "yes"),
        compression: field(&first, "Compression:"),
        output: format!("{first}\n---- second connection ----\n{second}"),
    }
}

/// The probe's answers about real Dovecot and Postfix (OpenSSL 3 underneath):
/// TLS 1.2 resumption and extended master secret as `openssl s_client` sees
/// them, and none of the old holes (compression, Heartbleed, CCS injection,
/// ROBOT, client-initiated renegotiation) on a current OpenSSL.
#[test]
fn dovecot_and_postfix_probe_extras_agree_with_openssl() {
    let pki = Pki::new();
    let dovecot = start_dovecot(&pki, CertCase::Good);
    let postfix = start_postfix(&pki, &[SmtpListener::new(CertCase::Good)]);
    let endpoints: Vec<Endpoint> = dovecot_endpoints(&dovecot)
        .into_iter()
        .filter(|e| e.scheme == "imaps" || e.scheme == "pop3+starttls")
        .chain(postfix_endpoints(
            postfix.ports[0].submission,
            postfix.ports[0].smtps,
        ))
        .collect();
    for endpoint in endpoints {
        let what = endpoint.url();
        let run = check_json(&pki, &what, "20s", &["--probe"]);
        let report = run.report();
        let probe = &report["facts"]["probe"];
        let extras = &probe["extras"];
        assert_eq!(extras["version"], "TLSv1.2", "{what}: {extras:#}");
        assert_eq!(extras["compression"], false, "{what}: {extras:#}");
        assert_ne!(extras["heartbleed"], true, "{what}: {extras:#}");
        // Dovecot's login process closes without an alert, which proves nothing.
        assert_ne!(extras["ccs_injection"], true, "{what}: {extras:#}");
        // OpenSSL 3 refuses client-initiated renegotiation unless the server
        // sets SSL_OP_ALLOW_CLIENT_RENEGOTIATION, which neither does.
        assert_eq!(extras["client_renegotiation"], false, "{what}: {extras:#}");
        if !extras["robot"].is_null() {
            assert_eq!(
                extras["robot"]["verdict"], "not_vulnerable",
                "{what}: {:#}",
                extras["robot"]
            );
        }
        let found = codes(&report);
        for code in [
            "tls.compression",
            "tls.heartbleed",
            "tls.ccs_injection",
            "tls.robot",
        ] {
            assert!(!found.contains(&code.to_owned()), "{what}: {found:?}");
        }

        let ossl = openssl_resumption(&pki.root, &endpoint);
        let resumed = ossl.reused.unwrap_or_else(|| {
            panic!(
                "{what}: openssl said neither New nor Reused:\n{}",
                ossl.output
            )
        });
        println!(
            "{what}: TLS 1.2 resumed {resumed}, extended master secret {:?}, ChangeCipherSpec {}",
            ossl.extended_master_secret, extras["ccs_injection"]
        );
        assert_eq!(
            probe["resumption"]["tls12_ticket"], resumed,
            "{what}: mailtls {:#} against openssl:\n{}",
            probe["resumption"], ossl.output
        );
        assert_eq!(
            Some(extras["extended_master_secret"] == true),
            ossl.extended_master_secret,
            "{what}: {extras:#}\n{}",
            ossl.output
        );
        assert_eq!(ossl.compression.as_deref(), Some("NONE"), "{}", ossl.output);
    }
    stop_all(vec![dovecot]);
    stop_all(vec![postfix]);
}

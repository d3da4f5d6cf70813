//! The legacy TLS probe against real peers: `openssl s_server` (Debian's OpenSSL 3)
//! with chosen versions, cipher lists and preference order, and a STARTTLS
//! server from the testkit through the real binary.
//!
//! Only 127.0.0.1 is contacted. Servers are waited for by polling their port
//! with a deadline, and killed when dropped.

#![allow(clippy::unwrap_used)]

mod common;

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::OnceLock;

use common::probe::Tcp;
use mailtls::facts::probe::{Acceptance, ProbeFacts, TlsVersion, VersionProbe};
use mailtls::facts::stop::CheckError;
use mailtls::gather::probe::{probe, Connector, ProbeOptions};
use tokio::net::TcpStream;
use tokio::time::Instant;

/// A certificate, key and OpenSSL configuration shared by every server of this test run.
struct Material {
    _dir: tempfile::TempDir,
    cert: PathBuf,
    key: PathBuf,
    /// An OPENSSL_CONF that loads the legacy provider and drops the security level
    /// to 0, instead of Debian's system file (TLS 1.2 minimum, SECLEVEL 2).
    legacy_conf: PathBuf,
}

fn material() -> &'static Material {
    static MATERIAL: OnceLock<Material> = OnceLock::new();
    MATERIAL.get_or_init(|| {
        let dir = tempfile::tempdir().expect("tempdir");
        let (cert, key) = common::openssl::self_signed(dir.path(), "mail.test", &["rsa:2048"]);
        let legacy_conf = dir.path().join("legacy.cnf");
        std::fs::write(&legacy_conf, common::openssl::LEGACY_CONF).expect("write openssl config");
        Material {
            _dir: dir,
            cert,
            key,
            legacy_conf,
        }
    })
}

/// `openssl s_server` on 127.0.0.1; killed on drop.
use common::openssl::SServer as OpensslServer;

/// Runs `openssl ARGS` with the legacy configuration and returns (success, stderr).
fn openssl_status(args: &[&str], conf: &Path) -> (bool, String) {
    let output = Command::new("openssl")
        .args(args)
        .env("OPENSSL_CONF", conf)
        .stdin(Stdio::null())
        .output()
        .expect("run openssl");
    (
        output.status.success(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

impl OpensslServer {
    /// Starts `openssl s_server -www` with `args`, and waits until it accepts connections.
    fn start(args: &[&str]) -> OpensslServer {
        let m = material();
        common::openssl::start_s_server(|port| {
            let mut command = common::openssl::s_server(port, &m.cert, &m.key);
            command
                .args(["-www", "-quiet"])
                .args(args)
                .env("OPENSSL_CONF", &m.legacy_conf);
            command
        })
    }
}

fn run_probe(server: &OpensslServer) -> ProbeFacts {
    probe_through(Tcp(server.addr))
}

/// The probe through `connector`, for mail.test, which must not stop early.
fn probe_through(connector: impl Connector) -> ProbeFacts {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("runtime");
    let options = ProbeOptions {
        server_name: Some("mail.test".to_owned()),
        ..ProbeOptions::default()
    };
    let facts = runtime.block_on(probe(
        connector,
        options,
        mailtls::gather::probe::now_unix(),
    ));
    assert_eq!(facts.stopped, None, "{facts:#?}");
    facts
}

fn version(facts: &ProbeFacts, v: TlsVersion) -> &VersionProbe {
    facts.version(v).expect("every version is reported")
}

fn accepted(facts: &ProbeFacts) -> Vec<(TlsVersion, Acceptance)> {
    facts
        .versions
        .iter()
        .map(|v| (v.version, v.accepted))
        .collect()
}

fn suite_names(v: &VersionProbe) -> Vec<&str> {
    v.suites.iter().map(|s| s.openssl_name.as_str()).collect()
}

/// The suites `openssl ciphers` says a server with `cipher_list` and an RSA
/// certificate can negotiate at `version_flag` (e.g. "-tls1_2"): RSA-signed or
/// anonymous, without PSK or SRP, TLS 1.3 suites left out.
fn openssl_expected_suites(version_flag: &str, cipher_list: &str) -> Vec<String> {
    let output = Command::new("openssl")
        .args(["ciphers", "-V", "-s", version_flag, cipher_list])
        .env("OPENSSL_CONF", &material().legacy_conf)
        .output()
        .expect("run openssl ciphers");
    assert!(output.status.success(), "openssl ciphers {cipher_list}");
    let mut names: Vec<String> = String::from_utf8_lossy(&output.stdout)
        .lines()
        .filter_map(|line| {
            let f: Vec<&str> = line.split_whitespace().collect();
            // 0x13,0x02 - NAME VERSION Kx=.. Au=.. Enc=.. Mac=..
            let (name, version, kx, au) = (f[2], f[3], f[4], f[5]);
            let usable = matches!(au, "Au=RSA" | "Au=None")
                && !kx.contains("PSK")
                && !kx.contains("SRP")
                && version != "TLSv1.3";
            usable.then(|| name.to_owned())
        })
        .collect();
    names.sort();
    names
}

fn sorted_names(v: &VersionProbe) -> Vec<String> {
    let mut names: Vec<String> = suite_names(v).into_iter().map(str::to_owned).collect();
    names.sort();
    names
}

use Acceptance::{No, Yes};
use TlsVersion::*;

#[test]
fn tls10_only_server_in_client_order_with_its_chain() {
    let server = OpensslServer::start(&[
        "-tls1",
        "-cipher",
        "AES128-SHA:ECDHE-RSA-AES256-SHA:@SECLEVEL=0",
    ]);
    let facts = run_probe(&server);
    assert_eq!(
        accepted(&facts),
        [
            (Ssl3, No),
            (Tls10, Yes),
            (Tls11, No),
            (Tls12, No),
            (Tls13, No)
        ]
    );
    let v = version(&facts, Tls10);
    assert!(v.suites_complete);
    // Without -serverpref OpenSSL takes the client's first choice.
    assert_eq!(v.server_order, Some(false));
    // Client order: listed strongest first.
    assert_eq!(suite_names(v), ["ECDHE-RSA-AES256-SHA", "AES128-SHA"]);
    // A TLS 1.2 or 1.1 hello gets a TLS 1.0 answer: "no", said by the server.
    assert_eq!(
        version(&facts, Tls12).detail.as_deref(),
        Some("the server answered with TLSv1.0")
    );
    assert_eq!(facts.sslv2, "not_tested");
    // The normal check cannot get the chain of a legacy-only server; the probe does.
    assert_eq!(facts.legacy_certificates.len(), 1);
    assert_eq!(facts.legacy_certificates[0].names, ["mail.test"]);
}

#[test]
fn tls11_only_server_with_its_own_order() {
    let server = OpensslServer::start(&[
        "-tls1_1",
        "-serverpref",
        "-cipher",
        "AES256-SHA:ECDHE-RSA-AES128-SHA:CAMELLIA128-SHA:DHE-RSA-AES128-SHA:@SECLEVEL=0",
    ]);
    let facts = run_probe(&server);
    assert_eq!(
        accepted(&facts),
        [
            (Ssl3, No),
            (Tls10, No),
            (Tls11, Yes),
            (Tls12, No),
            (Tls13, No)
        ]
    );
    let v = version(&facts, Tls11);
    assert_eq!(v.server_order, Some(true));
    // In the server's order, exactly as configured.
    assert_eq!(
        suite_names(v),
        [
            "AES256-SHA",
            "ECDHE-RSA-AES128-SHA",
            "CAMELLIA128-SHA",
            "DHE-RSA-AES128-SHA"
        ]
    );
    let names: Vec<&str> = v.suites.iter().map(|s| s.name.as_str()).collect();
    assert_eq!(names[0], "TLS_RSA_WITH_AES_256_CBC_SHA");
    assert!(!v.suites[0].forward_secrecy && v.suites[1].forward_secrecy);
}

#[test]
fn tls12_suites_and_curves() {
    let server = OpensslServer::start(&[
        "-tls1_2",
        "-groups",
        "X25519:P-384",
        "-cipher",
        "ECDHE-RSA-AES128-GCM-SHA256:DHE-RSA-AES256-GCM-SHA384:ECDHE-RSA-CHACHA20-POLY1305:AES128-GCM-SHA256:ECDHE-RSA-AES256-SHA384",
    ]);
    let facts = run_probe(&server);
    assert_eq!(
        accepted(&facts),
        [
            (Ssl3, No),
            (Tls10, No),
            (Tls11, No),
            (Tls12, Yes),
            (Tls13, No)
        ]
    );
    let v = version(&facts, Tls12);
    assert!(v.suites_complete);
    assert_eq!(
        sorted_names(v),
        [
            "AES128-GCM-SHA256",
            "DHE-RSA-AES256-GCM-SHA384",
            "ECDHE-RSA-AES128-GCM-SHA256",
            "ECDHE-RSA-AES256-SHA384",
            "ECDHE-RSA-CHACHA20-POLY1305",
        ]
    );
    assert_eq!(v.server_order, Some(false));
    assert_eq!(
        v.groups.as_deref(),
        Some(&["x25519".to_owned(), "secp384r1".to_owned()][..])
    );
    assert!(v.groups_complete);
    assert!(
        facts.legacy_certificates.is_empty(),
        "TLS 1.2 works: the check has the chain"
    );
}

#[test]
fn tls13_suites_and_groups() {
    let server = OpensslServer::start(&[
        "-tls1_3",
        "-groups",
        "P-256:X25519:ffdhe2048",
        "-ciphersuites",
        "TLS_AES_256_GCM_SHA384:TLS_CHACHA20_POLY1305_SHA256",
    ]);
    let facts = run_probe(&server);
    assert_eq!(
        accepted(&facts),
        [
            (Ssl3, No),
            (Tls10, No),
            (Tls11, No),
            (Tls12, No),
            (Tls13, Yes)
        ]
    );
    let v = version(&facts, Tls13);
    assert_eq!(
        sorted_names(v),
        ["TLS_AES_256_GCM_SHA384", "TLS_CHACHA20_POLY1305_SHA256"]
    );
    assert_eq!(
        v.groups.as_deref(),
        Some(
            &[
                "x25519".to_owned(),
                "secp256r1".to_owned(),
                "ffdhe2048".to_owned()
            ][..]
        )
    );
}

/// Every version OpenSSL 3 still has, with every suite it can offer with an RSA
/// certificate at security level 0: what mailtls lists is exactly what `openssl
/// ciphers` says, version by version.
#[test]
fn everything_openssl_can_offer() {
    let list = "ALL:COMPLEMENTOFALL:@SECLEVEL=0";
    let server = OpensslServer::start(&["-cipher", list]);
    let facts = run_probe(&server);
    assert_eq!(
        accepted(&facts),
        [
            (Ssl3, No),
            (Tls10, Yes),
            (Tls11, Yes),
            (Tls12, Yes),
            (Tls13, Yes)
        ]
    );
    for (v, flag) in [(Tls10, "-tls1"), (Tls11, "-tls1_1"), (Tls12, "-tls1_2")] {
        let probe = version(&facts, v);
        assert!(probe.suites_complete, "{v:?}");
        let expected = openssl_expected_suites(flag, list);
        assert!(expected.len() >= 20, "{v:?}: {expected:?}");
        assert_eq!(sorted_names(probe), expected, "{v:?}");
        eprintln!("{v:?}: {} suites, as openssl lists", expected.len());
    }
    // NULL and anonymous suites were among them, classified as such.
    let tls12 = version(&facts, Tls12);
    let weak = |name: &str| {
        tls12
            .suites
            .iter()
            .find(|s| s.openssl_name == name)
            .and_then(|s| s.weakness)
    };
    assert_eq!(
        weak("NULL-SHA"),
        Some(mailtls::facts::probe::Weakness::Null)
    );
    assert_eq!(
        weak("AECDH-AES128-SHA"),
        Some(mailtls::facts::probe::Weakness::Anon)
    );
    assert_eq!(sorted_names(version(&facts, Tls13)).len(), 3);
}

/// What this machine's OpenSSL cannot serve at all, so no test here can prove
/// mailtls detects it against a real peer: SSL 3.0 (compiled out), RC4, DES,
/// 3DES and EXPORT suites (absent even with the legacy provider). The parser and
/// classification of those suites are covered by unit tests instead.
#[test]
fn what_the_local_openssl_cannot_offer_is_said_not_skipped() {
    let conf = material().legacy_conf.clone();
    let (ok, stderr) = openssl_status(&["s_server", "-ssl3", "-help"], &conf);
    assert!(
        !ok && stderr.contains("-ssl3"),
        "this OpenSSL knows -ssl3 now: add an SSL 3.0 server test ({stderr})"
    );
    eprintln!(
        "SSL 3.0 not testable against a real peer: openssl s_server says {:?}",
        stderr.lines().next()
    );
    for suite in [
        "RC4-SHA",
        "RC4-MD5",
        "DES-CBC3-SHA",
        "DES-CBC-SHA",
        "EXP-RC4-MD5",
    ] {
        let (ok, stderr) = openssl_status(
            &["ciphers", "-s", "-tls1", &format!("{suite}:@SECLEVEL=0")],
            &conf,
        );
        assert!(
            !ok,
            "this OpenSSL offers {suite} now: add it to a server test"
        );
        eprintln!(
            "{suite} not testable against a real peer: {}",
            stderr.lines().next().unwrap_or("refused")
        );
    }
}

// ---- Through the binary -------------------------------------------------------

use common::{check_json, codes, finding, mailtls, url_for, Pki};
use mailtls_testkit::{Proto, ServerSpec, Transport};

/// STARTTLS in every protocol: each probe connection must run the mail dialogue
/// up to the go-ahead, or the server would read the ClientHello as a command
/// and every answer would be inconclusive.
#[test]
fn the_probe_speaks_starttls_on_every_connection() {
    let pki = Pki::new();
    for proto in [Proto::Imap, Proto::Pop3, Proto::Smtp, Proto::Sieve] {
        let server = pki.start(ServerSpec::new(proto, Transport::Starttls));
        let url = url_for(&server, proto, Transport::Starttls);
        let run = check_json(&pki, &url, "5s", &["--probe", "--probe-concurrency", "2"]);
        let report = run.report();
        let probe = &report["facts"]["probe"];
        let accepted: Vec<(&str, &str)> = probe["versions"]
            .as_array()
            .expect("versions")
            .iter()
            .map(|v| {
                (
                    v["version"].as_str().expect("version"),
                    v["accepted"].as_str().expect("accepted"),
                )
            })
            .collect();
        // The testkit servers are rustls: TLS 1.2 and 1.3 only.
        assert_eq!(
            accepted,
            [
                ("SSLv3", "no"),
                ("TLSv1.0", "no"),
                ("TLSv1.1", "no"),
                ("TLSv1.2", "yes"),
                ("TLSv1.3", "yes")
            ],
            "{proto:?}: {probe:#}"
        );
        assert!(probe["stopped"].is_null(), "{proto:?}: {probe:#}");
        let tls13: Vec<&str> = probe["versions"][4]["suites"]
            .as_array()
            .expect("suites")
            .iter()
            .map(|s| s["name"].as_str().expect("name"))
            .collect();
        assert_eq!(tls13.len(), 3, "{proto:?}: {tls13:?}");
        assert!(probe["connections"].as_u64().expect("connections") > 10);
        // A good rustls server gives the probe nothing to complain about.
        assert_eq!(run.code, 0, "{proto:?}: {:#}", report["findings"]);
        // No tls.* finding: only what the plain check says (trust, login only in TLS).
        assert!(
            codes(&report).iter().all(|c| !c.starts_with("tls.")),
            "{proto:?}: {:?}",
            codes(&report)
        );
    }
}

#[test]
fn without_probe_the_probe_facts_are_null() {
    let pki = Pki::new();
    let server = pki.start(ServerSpec::new(Proto::Imap, Transport::ImplicitTls));
    let run = check_json(
        &pki,
        &url_for(&server, Proto::Imap, Transport::ImplicitTls),
        "5s",
        &[],
    );
    assert!(run.report()["facts"]["probe"].is_null());
}

/// A TLS 1.0-only server: the normal check fails (rustls speaks TLS 1.2+), and
/// the probe explains why and still shows the certificate.
#[test]
fn a_legacy_only_server_is_explained_by_the_probe() {
    let server = OpensslServer::start(&[
        "-tls1",
        "-cipher",
        "AES128-SHA:ECDHE-RSA-AES256-SHA:@SECLEVEL=0",
    ]);
    let url = format!("imaps://127.0.0.1:{}", server.addr.port());
    let run = mailtls(&[
        "check",
        &url,
        "--sni",
        "mail.test",
        "--probe",
        "-f",
        "json",
        "--timeout",
        "5s",
    ]);
    let report = run.report();
    assert_eq!(run.code, 2, "{report:#}");
    let codes = codes(&report);
    for code in [
        "tls.handshake_failed",
        "tls.legacy_only",
        "tls.no_forward_secrecy",
    ] {
        assert!(
            codes.contains(&code.to_owned()),
            "{code} missing: {codes:?}"
        );
    }
    // Not "disable TLS 1.0" on a server that has nothing else.
    assert!(
        !codes.contains(&"tls.tls10_enabled".to_owned()),
        "{codes:?}"
    );
    assert!(!codes.contains(&"tls.weak_cipher".to_owned()), "{codes:?}");
    assert!(finding(&report, "tls.legacy_only")["message"]
        .as_str()
        .expect("message")
        .contains("TLSv1.0"));
    let certs = &report["facts"]["probe"]["legacy_certificates"];
    assert_eq!(certs[0]["names"][0], "mail.test", "{certs:#}");
    // The chain read from the old handshake is verified and judged like any other.
    assert_eq!(report["facts"]["certificates"][0]["names"][0], "mail.test");
    assert!(
        report["facts"]["tls"]["verification"].is_object(),
        "{report:#}"
    );
    assert!(codes.iter().any(|c| c.starts_with("cert.")), "{codes:?}");

    let human = mailtls(&[
        "check",
        &url,
        "--sni",
        "mail.test",
        "--probe",
        "--timeout",
        "5s",
    ]);
    assert!(
        human
            .stdout
            .contains("TLSv1.0  yes                 2  ECDHE-RSA-AES256-SHA / AES128-SHA"),
        "{}",
        human.stdout
    );
}

// ---- Findings from hand-made probe results ------------------------------------

use mailtls::diagnose::{diagnose, Policy, Severity};
use mailtls::facts::probe::SuiteFacts;
use mailtls::gather::probe::suites::by_name;

fn version_with(version: TlsVersion, accepted: Acceptance, suites: &[&str]) -> VersionProbe {
    VersionProbe {
        version,
        accepted,
        detail: None,
        suites: suites
            .iter()
            .map(|n| SuiteFacts::from(by_name(n).expect(n)))
            .collect(),
        suites_complete: true,
        server_order: None,
        groups: None,
        groups_complete: false,
    }
}

/// The probe findings (code, severity) for versions SSLv3..TLSv1.3 as given.
fn probe_codes(versions: Vec<VersionProbe>, stopped: Option<&str>) -> Vec<(String, Severity)> {
    let mut facts = mailtls::facts::CheckFacts::new(
        mailtls::facts::target::TargetSpec::parse("imaps://127.0.0.1")
            .and_then(|s| s.resolve(None, None))
            .expect("target"),
    );
    facts.probe = Some(ProbeFacts {
        versions,
        sslv2: "not_tested".to_owned(),
        legacy_certificates: Vec::new(),
        legacy_chain: Vec::new(),
        fallback_scsv: None,
        secure_renegotiation: None,
        extras: Default::default(),
        resumption: None,
        every_hello_closed: false,
        stopped: stopped.map(str::to_owned),
        connections: 1,
        duration_ms: 1,
    });
    diagnose(&facts, &Policy::default())
        .into_iter()
        .filter(|f| f.code.area() == mailtls::diagnose::codes::Area::Tls)
        .map(|f| (f.code.to_string(), f.severity))
        .collect()
}

#[test]
fn findings_follow_the_probe_results() {
    use Acceptance::Inconclusive;
    let none: &[&str] = &[];
    // Only 3DES beyond good suites: a warning, not critical. CBC only at TLS 1.2.
    let codes = probe_codes(
        vec![
            version_with(Ssl3, No, none),
            version_with(Tls10, No, none),
            version_with(Tls11, No, none),
            version_with(
                Tls12,
                Yes,
                &["ECDHE-RSA-AES128-SHA", "ECDHE-RSA-DES-CBC3-SHA"],
            ),
            version_with(Tls13, No, none),
        ],
        None,
    );
    assert_eq!(
        codes,
        [
            ("tls.weak_cipher".to_owned(), Severity::Warning),
            ("tls.cbc_only".to_owned(), Severity::Warning),
        ]
    );
    // SSL 3.0 with RC4; TLS 1.2 and 1.3 unknown: not "legacy only", but inconclusive.
    let codes = probe_codes(
        vec![
            version_with(Ssl3, Yes, &["RC4-SHA"]),
            version_with(Tls10, No, none),
            version_with(Tls11, No, none),
            version_with(Tls12, Inconclusive, none),
            version_with(Tls13, Inconclusive, none),
        ],
        None,
    );
    let names: Vec<&str> = codes.iter().map(|c| c.0.as_str()).collect();
    assert_eq!(
        names,
        [
            "tls.sslv3_enabled",
            "tls.weak_cipher",
            "tls.no_forward_secrecy",
            "tls.probe_inconclusive"
        ]
    );
    assert_eq!(codes[1].1, Severity::Critical);
    assert_eq!(codes[3].1, Severity::Info);
    // Probing cut short: unknown.
    let codes = probe_codes(
        vec![
            version_with(Ssl3, Inconclusive, none),
            version_with(Tls10, Inconclusive, none),
            version_with(Tls11, Inconclusive, none),
            version_with(Tls12, Yes, &["TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256"]),
            version_with(Tls13, Inconclusive, none),
        ],
        Some("a probe connection failed: 421"),
    );
    assert_eq!(
        codes,
        [("tls.probe_inconclusive".to_owned(), Severity::Unknown)]
    );
}

/// In front of a server: closes the connection without a word on a TLS 1.3
/// hello (the only one with a session id) and passes every other one through,
/// like old mail servers that drop hellos they cannot parse.
struct ClosesTls13(SocketAddr);

impl Connector for ClosesTls13 {
    type Stream = tokio::io::DuplexStream;

    async fn connect(&self, _deadline: Instant) -> Result<Self::Stream, CheckError> {
        use tokio::io::{AsyncReadExt, AsyncWriteExt};
        let (client, mut near) = tokio::io::duplex(64 * 1024);
        let address = self.0;
        tokio::spawn(async move {
            let mut hello = vec![0u8; 5];
            if near.read_exact(&mut hello).await.is_err() {
                return;
            }
            let len = usize::from(u16::from_be_bytes([hello[3], hello[4]]));
            hello.resize(5 + len, 0);
            if near.read_exact(&mut hello[5..]).await.is_err() || hello.get(43) == Some(&32) {
                return;
            }
            let Ok(mut far) = TcpStream::connect(address).await else {
                return;
            };
            if far.write_all(&hello).await.is_ok() {
                let _ = tokio::io::copy_bidirectional(&mut near, &mut far).await;
            }
        });
        Ok(client)
    }
}

/// A TLS 1.0-only server that closes on a TLS 1.3 hello: the close is "no"
/// once asked again, so the server is found legacy-only.
#[test]
fn a_close_on_a_tls13_hello_is_no_when_other_hellos_are_answered() {
    let server = OpensslServer::start(&["-tls1", "-cipher", "AES128-SHA:@SECLEVEL=0"]);
    let facts = probe_through(ClosesTls13(server.addr));
    assert_eq!(
        accepted(&facts),
        [
            (Ssl3, No),
            (Tls10, Yes),
            (Tls11, No),
            (Tls12, No),
            (Tls13, No)
        ],
        "{facts:#?}"
    );
    assert!(version(&facts, Tls13)
        .detail
        .as_deref()
        .is_some_and(|d| d.contains("closed the connection in answer to a TLS 1.3 hello")));
    let mut check = mailtls::facts::CheckFacts::new(
        mailtls::facts::target::TargetSpec::parse("imaps://127.0.0.1")
            .and_then(|s| s.resolve(None, None))
            .expect("target"),
    );
    check.probe = Some(facts);
    let codes: Vec<String> = diagnose(&check, &Policy::default())
        .into_iter()
        .map(|f| f.code.to_string())
        .collect();
    assert!(codes.contains(&"tls.legacy_only".to_owned()), "{codes:?}");
    assert!(
        !codes.contains(&"tls.probe_inconclusive".to_owned()),
        "{codes:?}"
    );
}

/// `--profile`: a rustls server (TLS 1.2 with ECDHE AES-GCM and ChaCha20, and
/// TLS 1.3) is within Mozilla's intermediate configuration and outside modern;
/// `explain --profile` judges saved facts the same way.
#[test]
fn a_profile_judges_the_probe_results_and_the_exit_code() {
    let pki = Pki::new();
    let server = pki.start(ServerSpec::new(Proto::Imap, Transport::ImplicitTls));
    let url = url_for(&server, Proto::Imap, Transport::ImplicitTls);
    let within = check_json(
        &pki,
        &url,
        "5s",
        &["--probe", "--profile", "mozilla-intermediate"],
    );
    assert_eq!(within.code, 0, "{:#}", within.report()["findings"]);
    assert!(!codes(&within.report()).contains(&"tls.profile_deviation".to_owned()));

    let outside = check_json(&pki, &url, "5s", &["--probe", "--profile", "modern"]);
    assert_eq!(outside.code, 1, "{:#}", outside.report()["findings"]);
    let message = finding(&outside.report(), "tls.profile_deviation")["message"]
        .as_str()
        .expect("message")
        .to_owned();
    assert!(
        message.contains("\"modern\"") && message.contains("it accepts TLSv1.2"),
        "{message}"
    );

    // The facts of a check without a profile, judged again with one.
    let plain = check_json(&pki, &url, "5s", &["--probe"]);
    assert_eq!(plain.code, 0);
    let explained = common::mailtls_with_input(
        &["explain", "-", "-f", "json", "--profile", "mozilla-modern"],
        Some(&plain.stdout),
    );
    assert_eq!(explained.code, 1, "{}", explained.stderr);
    assert!(explained.stdout.contains("tls.profile_deviation"));

    let refused = mailtls(&["check", &url, "--profile", "mozilla-modern"]);
    assert_ne!(refused.code, 0);
    assert!(refused.stderr.contains("add --probe"), "{}", refused.stderr);
}

/// The profiles' IANA and OpenSSL lists name the same suites, all known to the probe.
#[test]
fn the_profiles_lists_agree_and_are_known() {
    use mailtls::diagnose::profiles::MozillaProfile;
    for profile in MozillaProfile::ALL {
        let p = profile.profile();
        let mut from_openssl: Vec<&str> = p
            .ciphers
            .iter()
            .map(|n| by_name(n).unwrap_or_else(|| panic!("{n} unknown")).iana)
            .collect();
        let mut iana = p.ciphers_iana.to_vec();
        from_openssl.sort_unstable();
        iana.sort_unstable();
        assert_eq!(from_openssl, iana, "{}", p.name);
        for n in p.ciphersuites {
            assert!(by_name(n).is_some_and(|s| s.tls13()), "{n}");
        }
    }
}

/// OpenSSL knows TLS_FALLBACK_SCSV (a TLS 1.2 hello carrying it is refused
/// when TLS 1.3 is there) and answers the renegotiation SCSV with renegotiation_info.
#[test]
fn openssl_refuses_a_marked_fallback_and_renegotiates_securely() {
    let server = OpensslServer::start(&["-no_ssl3", "-no_tls1", "-no_tls1_1"]);
    let facts = run_probe(&server);
    assert_eq!(
        accepted(&facts),
        [
            (Ssl3, No),
            (Tls10, No),
            (Tls11, No),
            (Tls12, Yes),
            (Tls13, Yes)
        ]
    );
    assert_eq!(facts.fallback_scsv, Some(true), "{facts:#?}");
    assert_eq!(facts.secure_renegotiation, Some(true), "{facts:#?}");
    // A TLS 1.0-only server: one version, nothing to fall back to.
    let old = OpensslServer::start(&["-tls1", "-cipher", "AES128-SHA:@SECLEVEL=0"]);
    let facts = run_probe(&old);
    assert_eq!(facts.fallback_scsv, None);
    assert_eq!(facts.secure_renegotiation, Some(true));
}

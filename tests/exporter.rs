//! `mailtls exporter` over HTTP, as a child process of the built binary,
//! probing the test kit's servers on loopback: metrics of good and broken
//! servers, the allow-list, the parameters a probe accepts, the concurrency
//! limit and Prometheus's scrape-timeout header.

mod common;

use std::path::PathBuf;
use std::time::{Duration, Instant};

use common::exporter::{get, Exporter};
use common::Pki;
use mailtls_testkit::{CertCase, Misbehaviour, Proto, ServerSpec, Transport};

/// A configuration file in the PKI's directory.
fn config(pki: &Pki, text: &str) -> PathBuf {
    let path = pki.dir.path().join("exporter.toml");
    let text = text.replace("ROOT", pki.root.to_str().expect("utf-8 path"));
    std::fs::write(&path, text).expect("write config");
    path
}

/// Modules for the test kit's servers: IMAP with SSL/TLS and SMTP with
/// STARTTLS, trusting the test root, allowed to probe loopback only.
const MODULES: &str = r#"
[modules.imaps]
protocol = "imap"
tls = "implicit"
sni = "mail.test"
ca_files = ["ROOT"]
timeout = "5s"
allow_networks = ["127.0.0.0/8", "::1/128"]

[modules.submission]
protocol = "smtp"
tls = "starttls"
sni = "mail.test"
ca_files = ["ROOT"]
timeout = "5s"
allow_networks = ["127.0.0.0/8"]

[modules.example_only]
protocol = "imap"
tls = "implicit"
allow_hosts = ["*.example.org"]
allow_networks = ["192.0.2.0/24"]

[modules.slow]
protocol = "imap"
tls = "implicit"
timeout = "10s"
allow_hosts = ["localhost"]
allow_networks = ["127.0.0.0/8"]
"#;

#[test]
fn a_good_server_answers_with_its_metrics() {
    let pki = Pki::new();
    let server = pki.start(ServerSpec::new(Proto::Imap, Transport::ImplicitTls));
    let exporter = Exporter::start(Some(&config(&pki, MODULES)), &[]);
    let answer = exporter.probe(&format!("127.0.0.1:{}", server.port()), "imaps");
    assert_eq!(answer.status, 200, "{}", answer.body);
    assert!(
        answer.content_type.starts_with("text/plain; version=0.0.4"),
        "{}",
        answer.content_type
    );
    assert_eq!(
        answer.sample("mailtls_probe_success"),
        Some(1.0),
        "{}",
        answer.body
    );
    assert_eq!(answer.sample("mailtls_verdict"), Some(0.0));
    assert_eq!(
        answer.sample("mailtls_finding{code=\"cert.trusted\",severity=\"ok\"}"),
        Some(1.0),
        "{}",
        answer.body
    );
    assert_eq!(answer.sample("mailtls_cert_verified"), Some(1.0));
    assert_eq!(
        answer
            .series("mailtls_cert_not_after_timestamp_seconds")
            .len(),
        2
    );
    assert_eq!(
        answer
            .series("mailtls_cert_not_before_timestamp_seconds")
            .len(),
        2
    );
    let leaf = answer
        .series("mailtls_cert_not_after_timestamp_seconds")
        .into_iter()
        .find(|l| l.contains("position=\"0\""))
        .expect("the leaf's series")
        .to_owned();
    assert!(leaf.contains("subject=\"CN=mail.test"), "{leaf}");
    assert!(leaf.contains("fingerprint_sha256=\""), "{leaf}");
    let expires_in = answer
        .sample("mailtls_cert_expires_in_seconds")
        .expect("expires_in");
    assert!(expires_in > 86_400.0, "{expires_in}");
    assert_eq!(
        answer.sample("mailtls_tls_version_info{version=\"TLSv1.3\"}"),
        Some(1.0)
    );
    assert_eq!(answer.series("mailtls_tls_cipher_info").len(), 1);
    assert!(answer
        .sample("mailtls_phase_duration_seconds{phase=\"tls_handshake\"}")
        .is_some());
    assert!(answer.sample("mailtls_probe_duration_seconds").is_some());

    // OpenMetrics when asked, as Prometheus asks.
    let url = exporter.url(&format!(
        "/probe?target=127.0.0.1:{}&module=imaps",
        server.port()
    ));
    let open = get(
        &url,
        &[(
            "Accept",
            "application/openmetrics-text;version=1.0.0,text/plain;version=0.0.4;q=0.5",
        )],
    );
    assert!(
        open.content_type
            .starts_with("application/openmetrics-text"),
        "{}",
        open.content_type
    );
    assert!(open.body.ends_with("# EOF\n"), "{}", open.body);

    // The exporter counts what it did.
    exporter.wait_for_own_metric(
        "mailtls_exporter_probes_total{module=\"imaps\",verdict=\"ok\"} 2",
        Duration::from_secs(5),
    );
    // Every one of its own metrics is documented.
    let docs = include_str!("../docs/metrics.md");
    let own = get(&exporter.url("/metrics"), &[]);
    for line in own.body.lines().filter_map(|l| l.strip_prefix("# TYPE ")) {
        let name = line.split_whitespace().next().expect("a name");
        assert!(
            docs.contains(&format!("| `{name}` |")),
            "docs/metrics.md lacks {name}"
        );
    }
}

#[test]
fn an_expired_certificate_keeps_its_metrics() {
    let pki = Pki::new();
    let server =
        pki.start(ServerSpec::new(Proto::Smtp, Transport::Starttls).cert(CertCase::Expired));
    let exporter = Exporter::start(Some(&config(&pki, MODULES)), &[]);
    let answer = exporter.probe(&format!("127.0.0.1:{}", server.port()), "submission");
    assert_eq!(answer.status, 200, "{}", answer.body);
    assert_eq!(answer.sample("mailtls_probe_success"), Some(0.0));
    assert_eq!(answer.sample("mailtls_verdict"), Some(2.0));
    assert_eq!(
        answer.sample("mailtls_finding{code=\"cert.expired\",severity=\"critical\"}"),
        Some(1.0),
        "{}",
        answer.body
    );
    // What blackbox_exporter loses on a failed verification is all here.
    assert_eq!(answer.sample("mailtls_cert_verified"), Some(0.0));
    assert!(
        answer
            .sample("mailtls_cert_expires_in_seconds")
            .expect("expiry")
            < 0.0
    );
    assert_eq!(
        answer
            .series("mailtls_cert_not_after_timestamp_seconds")
            .len(),
        2
    );
    assert_eq!(answer.series("mailtls_tls_version_info").len(), 1);
}

#[test]
fn refused_and_rate_limited_servers_are_could_not_check() {
    let pki = Pki::new();
    let limited = pki.start(
        ServerSpec::new(Proto::Smtp, Transport::Starttls).misbehave(Misbehaviour::Greeting421),
    );
    let closed = mailtls_testkit::real::free_ports(1).expect("free port")[0];
    let exporter = Exporter::start(Some(&config(&pki, MODULES)), &[]);
    let refused = exporter.probe(&format!("127.0.0.1:{closed}"), "submission");
    assert_eq!(refused.status, 200, "{}", refused.body);
    assert_eq!(refused.sample("mailtls_verdict"), Some(3.0));
    assert_eq!(refused.sample("mailtls_probe_success"), Some(0.0));
    assert_eq!(
        refused.sample("mailtls_finding{code=\"net.connection_refused\",severity=\"unknown\"}"),
        Some(1.0),
        "{}",
        refused.body
    );
    let answer = exporter.probe(&format!("127.0.0.1:{}", limited.port()), "submission");
    assert_eq!(
        answer.sample("mailtls_verdict"),
        Some(3.0),
        "{}",
        answer.body
    );
    assert_eq!(
        answer.sample("mailtls_finding{code=\"server.busy\",severity=\"unknown\"}"),
        Some(1.0),
        "{}",
        answer.body
    );
}

#[test]
fn targets_outside_the_allow_list_are_refused_before_any_connection() {
    let pki = Pki::new();
    let server = pki.start(ServerSpec::new(Proto::Imap, Transport::ImplicitTls));
    let exporter = Exporter::start(Some(&config(&pki, MODULES)), &[]);
    let target = format!("127.0.0.1:{}", server.port());
    let answer = exporter.probe(&target, "example_only");
    assert_eq!(answer.status, 400, "{}", answer.body);
    assert!(answer.content_type.starts_with("text/plain"));
    assert!(
        answer.body.contains("not allowed by module example_only"),
        "{}",
        answer.body
    );
    // A name that matches no pattern is judged by its addresses.
    let by_name = exporter.probe(&format!("localhost:{}", server.port()), "example_only");
    assert_eq!(by_name.status, 400, "{}", by_name.body);
    assert!(by_name.body.contains("allow_networks"), "{}", by_name.body);
    let outside = exporter.probe("10.0.0.1:993", "imaps");
    assert_eq!(outside.status, 400, "{}", outside.body);
    assert_eq!(server.connections_accepted(), 0, "nothing was sent");

    // Without --config the one module allows nothing.
    let bare = Exporter::start(None, &[]);
    let answer = bare.probe(&target, "default");
    assert_eq!(answer.status, 400, "{}", answer.body);
    assert!(answer.body.contains("allows no target"), "{}", answer.body);
    assert_eq!(server.connections_accepted(), 0);

    // allow_any_target is the explicit opt-in.
    let any = config(
        &pki,
        "[modules.any]\nprotocol = \"imap\"\ntls = \"implicit\"\nsni = \"mail.test\"\nca_files = [\"ROOT\"]\nallow_any_target = true\n",
    );
    let open = Exporter::start(Some(&any), &[]);
    let answer = open.probe(&target, "any");
    assert_eq!(answer.status, 200, "{}", answer.body);
    assert_eq!(
        answer.sample("mailtls_verdict"),
        Some(0.0),
        "{}",
        answer.body
    );
    exporter.wait_for_own_metric(
        "mailtls_exporter_requests_rejected_total{reason=\"not_allowed\"} 3",
        Duration::from_secs(5),
    );
}

#[test]
fn a_probe_takes_only_a_target_and_a_known_module() {
    let pki = Pki::new();
    let exporter = Exporter::start(Some(&config(&pki, MODULES)), &[]);
    for (query, expected) in [
        (
            "/probe?target=127.0.0.1:993&module=nope",
            "unknown module \"nope\"",
        ),
        ("/probe?target=127.0.0.1:993", "missing parameter module"),
        ("/probe?module=imaps", "missing parameter target"),
        (
            "/probe?target=127.0.0.1:993&module=imaps&ca_file=/etc/shadow",
            "unknown parameter \"ca_file\"",
        ),
        (
            "/probe?target=127.0.0.1:993&module=imaps&module=slow",
            "module given twice",
        ),
        ("/probe?target=/etc/passwd&module=imaps", "target: "),
        ("/probe?target=127.0.0.1:99999&module=imaps", "target: "),
    ] {
        let answer = get(&exporter.url(query), &[]);
        assert_eq!(answer.status, 400, "{query}: {}", answer.body);
        assert!(answer.body.contains(expected), "{query}: {}", answer.body);
    }
    assert_eq!(get(&exporter.url("/nothing"), &[]).status, 404);
    let index = get(&exporter.url("/"), &[]);
    assert!(index.body.contains("/probe?target="), "{}", index.body);
}

#[test]
fn the_scrape_timeout_header_bounds_a_probe() {
    let pki = Pki::new();
    let silent = pki.start(
        ServerSpec::new(Proto::Imap, Transport::ImplicitTls).misbehave(Misbehaviour::Silent),
    );
    let exporter = Exporter::start(Some(&config(&pki, MODULES)), &[]);
    let url = exporter.url(&format!(
        "/probe?target=localhost:{}&module=slow",
        silent.port()
    ));
    let started = Instant::now();
    let answer = get(&url, &[("X-Prometheus-Scrape-Timeout-Seconds", "2")]);
    let took = started.elapsed();
    assert_eq!(answer.status, 200, "{}", answer.body);
    // 2 s less the offset, not the module's 10 s.
    assert!(
        took >= Duration::from_millis(1400) && took < Duration::from_millis(2000),
        "{took:?}"
    );
    assert_eq!(
        answer.sample("mailtls_verdict"),
        Some(3.0),
        "{}",
        answer.body
    );
    assert!(
        answer
            .series("mailtls_finding")
            .iter()
            .any(|l| l.contains("timeout")),
        "{}",
        answer.body
    );
    let bad = get(&url, &[("X-Prometheus-Scrape-Timeout-Seconds", "soon")]);
    assert_eq!(bad.status, 400, "{}", bad.body);
}

#[test]
fn probes_beyond_the_limit_wait_then_get_503() {
    let pki = Pki::new();
    let silent = pki.start(
        ServerSpec::new(Proto::Imap, Transport::ImplicitTls).misbehave(Misbehaviour::Silent),
    );
    let exporter = Exporter::start(Some(&config(&pki, MODULES)), &["--max-probes", "1"]);
    let url = exporter.url(&format!(
        "/probe?target=127.0.0.1:{}&module=slow",
        silent.port()
    ));
    let first = {
        let url = url.clone();
        std::thread::spawn(move || get(&url, &[("X-Prometheus-Scrape-Timeout-Seconds", "4.5")]))
    };
    exporter.wait_for_own_metric(
        "mailtls_exporter_probes_in_flight 1",
        Duration::from_secs(10),
    );
    let started = Instant::now();
    let second = get(&url, &[("X-Prometheus-Scrape-Timeout-Seconds", "1.5")]);
    let waited = started.elapsed();
    assert_eq!(second.status, 503, "{}", second.body);
    assert!(
        second.body.contains("1 probes are running"),
        "{}",
        second.body
    );
    assert!(
        waited >= Duration::from_millis(900) && waited < Duration::from_millis(3000),
        "waited {waited:?} for a slot"
    );
    let first = first.join().expect("first probe");
    assert_eq!(first.status, 200, "{}", first.body);
    assert_eq!(first.sample("mailtls_verdict"), Some(3.0));
    exporter.wait_for_own_metric(
        "mailtls_exporter_requests_rejected_total{reason=\"busy\"} 1",
        Duration::from_secs(5),
    );
    exporter.wait_for_own_metric(
        "mailtls_exporter_probes_in_flight 0",
        Duration::from_secs(5),
    );
}

//! A real Prometheus (Debian's package, started on 127.0.0.1 from a static
//! configuration) scrapes `mailtls exporter` probing the test kit's servers
//! (good, expired, refused, rate-limited); the series are read back through
//! Prometheus's HTTP API.
//!
//! Without `prometheus` installed the test is skipped with a reason, except
//! under CI (`CI` set), where that is a failure: `.ci/install-servers.sh`
//! installs it.

mod common;

use std::time::Duration;

use common::exporter::Exporter;
use common::Pki;
use mailtls_testkit::prometheus::{self, with_label, ProbeJob, Prometheus};
use mailtls_testkit::{CertCase, Misbehaviour, Proto, ServerSpec, Transport};
use serde_json::Value;

const DEADLINE: Duration = Duration::from_secs(90);

const MODULES: &str = r#"
[modules.imaps]
protocol = "imap"
tls = "implicit"
sni = "mail.test"
ca_files = ["ROOT"]
allow_networks = ["127.0.0.0/8"]

[modules.submission]
protocol = "smtp"
tls = "starttls"
sni = "mail.test"
ca_files = ["ROOT"]
allow_networks = ["127.0.0.0/8"]
"#;

fn value_of(result: &[Value], instance: &str) -> Option<f64> {
    with_label(result, "instance", instance).and_then(prometheus::value)
}

#[test]
fn prometheus_scrapes_the_exporter_and_finds_every_series() {
    if prometheus::installed().is_none() {
        assert!(
            std::env::var_os("CI").is_none(),
            "prometheus is not installed under CI: .ci/install-servers.sh installs it"
        );
        eprintln!("skipped: prometheus is not installed (sudo bash .ci/install-servers.sh)");
        return;
    }
    let pki = Pki::new();
    let good = pki.start(ServerSpec::new(Proto::Imap, Transport::ImplicitTls));
    let expired =
        pki.start(ServerSpec::new(Proto::Imap, Transport::ImplicitTls).cert(CertCase::Expired));
    let limited = pki.start(
        ServerSpec::new(Proto::Smtp, Transport::Starttls).misbehave(Misbehaviour::Greeting421),
    );
    let closed = mailtls_testkit::real::free_ports(1).expect("free port")[0];
    let config = pki.dir.path().join("exporter.toml");
    std::fs::write(
        &config,
        MODULES.replace("ROOT", pki.root.to_str().expect("utf-8 path")),
    )
    .expect("write config");
    let exporter = Exporter::start(Some(&config), &[]);

    let good_target = format!("127.0.0.1:{}", good.port());
    let expired_target = format!("127.0.0.1:{}", expired.port());
    let refused_target = format!("127.0.0.1:{closed}");
    let limited_target = format!("127.0.0.1:{}", limited.port());
    let jobs = [
        ProbeJob {
            name: "mailtls_imaps".to_owned(),
            exporter_port: exporter.port,
            module: "imaps".to_owned(),
            targets: vec![
                good_target.clone(),
                expired_target.clone(),
                refused_target.clone(),
            ],
        },
        ProbeJob {
            name: "mailtls_submission".to_owned(),
            exporter_port: exporter.port,
            module: "submission".to_owned(),
            targets: vec![limited_target.clone()],
        },
    ];
    let prom = Prometheus::start(&jobs, exporter.port).expect("start prometheus");

    // Every probe answered, and every target has its verdict.
    let expected = [
        (&good_target, 0.0),
        (&expired_target, 2.0),
        (&refused_target, 3.0),
        (&limited_target, 3.0),
    ];
    let verdicts = prom
        .wait_for("mailtls_verdict", DEADLINE, |result| {
            expected
                .iter()
                .all(|(instance, v)| value_of(result, instance) == Some(*v))
        })
        .expect("verdicts");
    for sample in &verdicts {
        let job = sample["metric"]["job"].as_str().unwrap_or_default();
        assert!(job.starts_with("mailtls_"), "{sample}");
    }
    let up = prom
        .wait_for("up", DEADLINE, |result| {
            result.len() == 5 && result.iter().all(|s| prometheus::value(s) == Some(1.0))
        })
        .expect("every scrape succeeds");
    assert!(
        with_label(&up, "job", "mailtls_exporter").is_some(),
        "{up:?}"
    );

    let success = prom.query("mailtls_probe_success").expect("query");
    assert_eq!(value_of(&success, &good_target), Some(1.0));
    assert_eq!(value_of(&success, &expired_target), Some(0.0));

    // The expired chain keeps its certificate series.
    let leaf = prom
        .query(&format!(
            "mailtls_cert_not_after_timestamp_seconds{{instance=\"{expired_target}\",position=\"0\"}}"
        ))
        .expect("query");
    assert_eq!(leaf.len(), 1, "{leaf:?}");
    assert!(leaf[0]["metric"]["subject"]
        .as_str()
        .is_some_and(|s| s.contains("mail.test")));
    assert!(leaf[0]["metric"]["fingerprint_sha256"].is_string());
    let left = prom
        .query("mailtls_cert_expires_in_seconds")
        .expect("query");
    assert!(
        value_of(&left, &good_target).is_some_and(|s| s > 0.0),
        "{left:?}"
    );
    assert!(
        value_of(&left, &expired_target).is_some_and(|s| s < 0.0),
        "{left:?}"
    );

    // Findings as series, as the alert rules in docs/metrics.md use them.
    let expired_finding = prom
        .query("mailtls_finding{code=\"cert.expired\",severity=\"critical\"}")
        .expect("query");
    assert_eq!(value_of(&expired_finding, &expired_target), Some(1.0));
    let busy = prom
        .query("mailtls_finding{code=\"server.busy\"}")
        .expect("query");
    assert_eq!(value_of(&busy, &limited_target), Some(1.0), "{busy:?}");
    let refused = prom
        .query("mailtls_finding{code=\"net.connection_refused\"}")
        .expect("query");
    assert_eq!(
        value_of(&refused, &refused_target),
        Some(1.0),
        "{refused:?}"
    );
    let version = prom
        .query("mailtls_tls_version_info{version=\"TLSv1.3\"}")
        .expect("query");
    assert!(value_of(&version, &good_target).is_some(), "{version:?}");

    // The exporter's own metrics.
    prom.wait_for("sum(mailtls_exporter_probes_total)", DEADLINE, |result| {
        result
            .first()
            .and_then(prometheus::value)
            .is_some_and(|n| n >= 4.0)
    })
    .expect("the exporter counts its probes");
}

/// The yaml blocks of docs/metrics.md: the scrape configuration, then the alert rules.
fn documented_yaml() -> Vec<String> {
    let docs = include_str!("../docs/metrics.md");
    docs.split("```yaml\n")
        .skip(1)
        .filter_map(|block| block.split_once("```").map(|(yaml, _)| yaml.to_owned()))
        .collect()
}

#[test]
fn the_documented_configuration_and_alert_rules_are_valid() {
    let promtool = std::path::Path::new("/usr/bin/promtool");
    if !promtool.is_file() {
        assert!(
            std::env::var_os("CI").is_none(),
            "promtool is not installed under CI: .ci/install-servers.sh installs prometheus"
        );
        eprintln!("skipped: promtool is not installed (sudo bash .ci/install-servers.sh)");
        return;
    }
    let blocks = documented_yaml();
    assert_eq!(
        blocks.len(),
        2,
        "docs/metrics.md: a scrape configuration and alert rules"
    );
    let dir = tempfile::tempdir().expect("tempdir");
    for (block, what) in blocks.iter().zip(["config", "rules"]) {
        let path = dir.path().join(format!("{what}.yml"));
        std::fs::write(&path, block).expect("write");
        let output = std::process::Command::new(promtool)
            .args(["check", what])
            .arg(&path)
            .output()
            .expect("run promtool");
        assert!(
            output.status.success(),
            "promtool check {what}: {}{}",
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        );
    }
}

//! Prometheus metrics of one report, for `mailtls exporter`'s `/probe`: pure
//! formatting through prometheus-client's registry and encoders, in the
//! Prometheus text format (0.0.4) or OpenMetrics 1.0.
//!
//! Every metric is documented in docs/metrics.md (a test holds the two
//! equal). What the check saw is exported whatever the verdict: a chain
//! that fails verification still has its dates, a handshake that completed
//! before the check stopped still has its version.

use std::sync::atomic::AtomicU64;

use prometheus_client::encoding::{prometheus_text, text as openmetrics_text};
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::registry::{Registry, Unit};

use super::escape;
use crate::diagnose::Severity;
use crate::report::Report;

/// The text formats a scraper can ask for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Exposition {
    /// `text/plain; version=0.0.4`: what Prometheus asks for by default.
    Prometheus,
    /// `application/openmetrics-text; version=1.0.0`, ending in `# EOF`.
    OpenMetrics,
}

impl Exposition {
    /// The format to answer with, from the request's `Accept` header:
    /// OpenMetrics when it is asked for, the Prometheus text format otherwise.
    pub fn from_accept(accept: Option<&str>) -> Exposition {
        match accept {
            Some(accept) if accept.contains("application/openmetrics-text") => {
                Exposition::OpenMetrics
            }
            _ => Exposition::Prometheus,
        }
    }

    pub fn content_type(self) -> &'static str {
        match self {
            Exposition::Prometheus => prometheus_text::CONTENT_TYPE,
            Exposition::OpenMetrics => "application/openmetrics-text; version=1.0.0; charset=utf-8",
        }
    }
}

/// A registry in the chosen format.
pub fn encode(registry: &Registry, format: Exposition) -> String {
    let mut text = String::new();
    // Writing to a String cannot fail.
    let _ = match format {
        Exposition::Prometheus => prometheus_text::encode(&mut text, registry),
        Exposition::OpenMetrics => openmetrics_text::encode(&mut text, registry),
    };
    text
}

type FloatGauge = Gauge<f64, AtomicU64>;
type Labels = Vec<(String, String)>;

fn gauge(registry: &mut Registry, name: &str, help: &str, unit: Option<Unit>) -> FloatGauge {
    let metric = FloatGauge::default();
    match unit {
        Some(unit) => registry.register_with_unit(name, help, unit, metric.clone()),
        None => registry.register(name, help, metric.clone()),
    }
    metric
}

fn family(
    registry: &mut Registry,
    name: &str,
    help: &str,
    unit: Option<Unit>,
) -> Family<Labels, FloatGauge> {
    let metric = Family::<Labels, FloatGauge>::default();
    match unit {
        Some(unit) => registry.register_with_unit(name, help, unit, metric.clone()),
        None => registry.register(name, help, metric.clone()),
    }
    metric
}

fn labels(pairs: &[(&str, &str)]) -> Labels {
    pairs
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect()
}

/// The verdict as the exit code numbers it: 0 ok, 1 warning, 2 critical, 3 unknown.
pub fn verdict_number(verdict: Severity) -> f64 {
    match verdict {
        Severity::Ok | Severity::Info => 0.0,
        Severity::Warning => 1.0,
        Severity::Critical => 2.0,
        Severity::Unknown => 3.0,
    }
}

/// The probe's metrics for one report, registered under `mailtls_`.
pub fn probe_registry(report: &Report) -> Registry {
    let mut registry = Registry::with_prefix("mailtls");
    let r = &mut registry;

    let success = gauge(
        r,
        "probe_success",
        "1 when mail clients connect securely without a certificate warning (verdict ok or warning), else 0",
        None,
    );
    success.set(match report.verdict {
        Severity::Ok | Severity::Info | Severity::Warning => 1.0,
        Severity::Critical | Severity::Unknown => 0.0,
    });
    gauge(
        r,
        "verdict",
        "The verdict: 0 ok, 1 warning, 2 critical, 3 unknown (could not check)",
        None,
    )
    .set(verdict_number(report.verdict));

    let findings = family(
        r,
        "finding",
        "One series per finding of the check, value 1, with its code and severity",
        None,
    );
    for finding in &report.findings {
        findings
            .get_or_create(&labels(&[
                ("code", finding.code.as_str()),
                ("severity", finding.severity.name()),
            ]))
            .set(1.0);
    }

    let outcomes = family(
        r,
        "client_outcome",
        "One series per mail-client family (mailtls clients), value 1, with its outcome: connects, warns, cannot_connect or unknown",
        None,
    );
    for client in &report.clients {
        outcomes
            .get_or_create(&labels(&[
                ("client", client.id.as_str()),
                ("outcome", client.outcome.name()),
            ]))
            .set(1.0);
    }

    let Some(facts) = &report.facts else {
        return registry;
    };

    gauge(
        r,
        "probe_duration",
        "How long the whole check took, DNS to goodbye",
        Some(Unit::Seconds),
    )
    .set(facts.duration_ms as f64 / 1000.0);
    let phases = family(
        r,
        "phase_duration",
        "How long a phase of the check took: greeting (connect to the greeting's first line), tls_handshake",
        Some(Unit::Seconds),
    );
    let phase_times = [
        ("dns", facts.dns_ms),
        ("connect", facts.connect_ms),
        ("greeting", facts.greeting_ms),
        (
            "tls_handshake",
            facts.tls.as_ref().and_then(|t| t.handshake_ms),
        ),
    ];
    for (phase, ms) in phase_times {
        if let Some(ms) = ms {
            phases
                .get_or_create(&labels(&[("phase", phase)]))
                .set(ms as f64 / 1000.0);
        }
    }

    let not_after = family(
        r,
        "cert_not_after_timestamp",
        "When each certificate the server sent expires (notAfter, Unix time); position 0 is the server's own",
        Some(Unit::Seconds),
    );
    let not_before = family(
        r,
        "cert_not_before_timestamp",
        "When each certificate the server sent becomes valid (notBefore, Unix time); position 0 is the server's own",
        Some(Unit::Seconds),
    );
    let parsed: Vec<_> = facts
        .certificates
        .iter()
        .filter(|c| c.parse_error.is_none())
        .collect();
    for cert in &parsed {
        let position = cert.position.to_string();
        let subject = escape::text(&cert.subject);
        let issuer = escape::text(&cert.issuer);
        let set = labels(&[
            ("position", &position),
            ("subject", &subject),
            ("issuer", &issuer),
            ("fingerprint_sha256", &cert.sha256),
        ]);
        not_after
            .get_or_create(&set)
            .set(cert.not_after_unix as f64);
        not_before
            .get_or_create(&set)
            .set(cert.not_before_unix as f64);
    }
    if let Some(earliest) = parsed.iter().map(|c| c.not_after_unix).min() {
        gauge(
            r,
            "cert_earliest_expiry_timestamp",
            "When the first certificate of the chain expires (the earliest notAfter, Unix time)",
            Some(Unit::Seconds),
        )
        .set(earliest as f64);
        gauge(
            r,
            "cert_expires_in",
            "Seconds from the check until the first certificate of the chain expires (negative once expired)",
            Some(Unit::Seconds),
        )
        .set((earliest - facts.started_unix) as f64);
    }

    if let Some(tls) = &facts.tls {
        if let Some(verification) = &tls.verification {
            gauge(
                r,
                "cert_verified",
                "1 when the chain verified for the server name against the module's trust store, else 0",
                None,
            )
            .set(if verification.trusted { 1.0 } else { 0.0 });
        }
        if let Some(version) = &tls.version {
            family(
                r,
                "tls_version_info",
                "The TLS version negotiated, value 1",
                None,
            )
            .get_or_create(&labels(&[("version", version)]))
            .set(1.0);
        }
        if let Some(suite) = &tls.cipher_suite {
            family(
                r,
                "tls_cipher_info",
                "The cipher suite negotiated (IANA name), value 1",
                None,
            )
            .get_or_create(&labels(&[("cipher_suite", suite)]))
            .set(1.0);
        }
        if let Some(kx) = &tls.key_exchange {
            family(
                r,
                "tls_key_exchange_info",
                "The key-exchange group negotiated and whether it is post-quantum, value 1",
                None,
            )
            .get_or_create(&labels(&[
                ("group", &kx.group),
                (
                    "post_quantum",
                    if kx.post_quantum { "true" } else { "false" },
                ),
            ]))
            .set(1.0);
        }
    }
    registry
}

/// The probe's metrics for one report, as text in the chosen format.
pub fn render_probe(report: &Report, format: Exposition) -> String {
    encode(&probe_registry(report), format)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::diagnose::{Code, Finding};
    use crate::facts::cert::CertFacts;
    use crate::facts::protocol::{Protocol, TlsMode};
    use crate::facts::target::{Host, Target};
    use crate::facts::tls::{KeyExchange, TlsFacts};
    use crate::facts::CheckFacts;

    fn report() -> Report {
        let target = Target::at(
            Host::Name("mail.test".to_owned()),
            993,
            Protocol::Imap,
            TlsMode::Implicit,
        );
        let mut facts = CheckFacts::new(target);
        facts.started_unix = 1_000_000;
        facts.duration_ms = 1250;
        facts.greeting_ms = Some(20);
        facts.tls = Some(TlsFacts {
            version: Some("TLSv1.3".to_owned()),
            cipher_suite: Some("TLS_AES_256_GCM_SHA384".to_owned()),
            key_exchange: Some(KeyExchange {
                group: "X25519MLKEM768".to_owned(),
                post_quantum: true,
            }),
            handshake_ms: Some(7),
            ..TlsFacts::default()
        });
        facts.certificates = vec![
            CertFacts {
                position: 0,
                subject: "CN=mail.test\n\"x\"".to_owned(),
                issuer: "CN=Test CA".to_owned(),
                sha256: "AB:CD".to_owned(),
                not_before_unix: 900_000,
                not_after_unix: 999_000,
                ..CertFacts::default()
            },
            CertFacts {
                position: 1,
                subject: "CN=Test CA".to_owned(),
                issuer: "CN=Root".to_owned(),
                sha256: "EF:01".to_owned(),
                not_before_unix: 800_000,
                not_after_unix: 5_000_000,
                ..CertFacts::default()
            },
        ];
        Report {
            input: facts.target.input.clone(),
            verdict: Severity::Critical,
            headline: "Mail clients will say …".to_owned(),
            findings: vec![Finding {
                code: Code::CertExpired,
                severity: Severity::Critical,
                message: "expired".to_owned(),
                fix: None,
            }],
            clients: Vec::new(),
            facts: Some(facts),
        }
    }

    #[test]
    fn a_failed_verification_keeps_every_metric() {
        let text = render_probe(&report(), Exposition::Prometheus);
        for line in [
            "mailtls_probe_success 0.0",
            "mailtls_verdict 2.0",
            "mailtls_finding{code=\"cert.expired\",severity=\"critical\"} 1.0",
            "mailtls_probe_duration_seconds 1.25",
            "mailtls_phase_duration_seconds{phase=\"greeting\"} 0.02",
            "mailtls_phase_duration_seconds{phase=\"tls_handshake\"} 0.007",
            "mailtls_cert_not_after_timestamp_seconds{position=\"1\",subject=\"CN=Test CA\",issuer=\"CN=Root\",fingerprint_sha256=\"EF:01\"} 5000000.0",
            "mailtls_cert_not_before_timestamp_seconds{position=\"1\",subject=\"CN=Test CA\",issuer=\"CN=Root\",fingerprint_sha256=\"EF:01\"} 800000.0",
            "mailtls_cert_earliest_expiry_timestamp_seconds 999000.0",
            "mailtls_cert_expires_in_seconds -1000.0",
            "mailtls_tls_version_info{version=\"TLSv1.3\"} 1.0",
            "mailtls_tls_cipher_info{cipher_suite=\"TLS_AES_256_GCM_SHA384\"} 1.0",
            "mailtls_tls_key_exchange_info{group=\"X25519MLKEM768\",post_quantum=\"true\"} 1.0",
            "# TYPE mailtls_cert_expires_in_seconds gauge",
        ] {
            assert!(text.lines().any(|l| l == line), "no {line:?} in:\n{text}");
        }
        // Server text is escaped once for display, then for the label syntax.
        assert!(
            text.contains("subject=\"CN=mail.test\\\\x0a\\\"x\\\"\""),
            "{text}"
        );
        assert!(!text.contains("# EOF"));
    }

    #[test]
    fn openmetrics_is_asked_for_by_accept() {
        let accept = "application/openmetrics-text;version=1.0.0,text/plain;version=0.0.4;q=0.5";
        assert_eq!(
            Exposition::from_accept(Some(accept)),
            Exposition::OpenMetrics
        );
        assert_eq!(Exposition::from_accept(None), Exposition::Prometheus);
        let text = render_probe(&report(), Exposition::OpenMetrics);
        assert!(text.ends_with("# EOF\n"), "{text}");
        assert!(text.contains("# UNIT mailtls_cert_expires_in_seconds seconds"));
    }

    #[test]
    fn without_facts_only_the_judgement() {
        let report = Report::invalid_input("nonsense", "no");
        let text = render_probe(&report, Exposition::Prometheus);
        assert!(text.contains("mailtls_verdict 3.0"), "{text}");
        assert!(!text.contains("mailtls_cert_"), "{text}");
    }
}

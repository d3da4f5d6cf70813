//! `mailtls exporter`: a Prometheus probe endpoint over HTTP (axum).
//!
//! `GET /probe?target=HOST:PORT&module=NAME` runs one check through the same
//! engine as `mailtls check` and answers with the report's metrics
//! (`output::metrics`); `GET /metrics` has the exporter's own. A request
//! names nothing but a target and a module: no file, no command, no option.
//! A target must pass its module's allow-list ([`allow`]) before anything is
//! sent to it, and the check then talks to exactly the addresses that were
//! allowed. At most `max_probes` checks run at once; a request waits for a
//! slot until its timeout, then gets 503.

pub mod allow;

use std::sync::Arc;
use std::time::Duration;

use axum::extract::{Query, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::registry::Registry;
use tokio::sync::Semaphore;
use tokio::time::Instant;

use crate::engine::{self, Outcome};
use crate::facts::target::TargetSpec;
use crate::output::metrics::{self as metrics_text, Exposition};
use crate::plan::exporter::{ExporterModule, ExporterPlan};
use crate::plan::{ConnectPlan, Job, Limits};
use crate::report::Report;

/// Taken off Prometheus's scrape timeout, so the answer arrives in time.
pub const SCRAPE_TIMEOUT_OFFSET: Duration = Duration::from_millis(500);
/// The shortest timeout a probe is given, whatever the header says.
const MIN_TIMEOUT: Duration = Duration::from_millis(100);

/// Why the exporter could not serve.
#[derive(Debug, thiserror::Error)]
pub enum ExporterError {
    #[error("cannot listen on {address}: {source}")]
    Listen {
        address: std::net::SocketAddr,
        source: std::io::Error,
    },
    #[error("cannot start the async runtime: {0}")]
    Runtime(std::io::Error),
    #[error("the HTTP server stopped: {0}")]
    Serve(std::io::Error),
}

/// The exporter's own metrics (`/metrics`).
#[derive(Debug)]
struct OwnMetrics {
    registry: Registry,
    probes: Family<Vec<(String, String)>, Counter>,
    rejected: Family<Vec<(String, String)>, Counter>,
    in_flight: Gauge,
}

impl OwnMetrics {
    fn new() -> OwnMetrics {
        let mut registry = Registry::with_prefix("mailtls_exporter");
        let probes = Family::<Vec<(String, String)>, Counter>::default();
        registry.register(
            "probes",
            "Probes run, by module and verdict",
            probes.clone(),
        );
        let rejected = Family::<Vec<(String, String)>, Counter>::default();
        registry.register(
            "requests_rejected",
            "Probe requests refused before any check, by reason (bad_request, unknown_module, not_allowed, busy)",
            rejected.clone(),
        );
        let in_flight = Gauge::default();
        registry.register("probes_in_flight", "Probes running now", in_flight.clone());
        let build = Family::<Vec<(String, String)>, Gauge>::default();
        registry.register(
            "build_info",
            "The mailtls version serving, value 1",
            build.clone(),
        );
        build
            .get_or_create(&vec![(
                "version".to_owned(),
                env!("CARGO_PKG_VERSION").to_owned(),
            )])
            .set(1);
        OwnMetrics {
            registry,
            probes,
            rejected,
            in_flight,
        }
    }

    fn reject(&self, reason: &str) {
        self.rejected
            .get_or_create(&vec![("reason".to_owned(), reason.to_owned())])
            .inc();
    }
}

/// One running probe in `mailtls_exporter_probes_in_flight`.
struct InFlight<'a>(&'a Gauge);

impl<'a> InFlight<'a> {
    fn new(gauge: &'a Gauge) -> InFlight<'a> {
        gauge.inc();
        InFlight(gauge)
    }
}

impl Drop for InFlight<'_> {
    fn drop(&mut self) {
        self.0.dec();
    }
}

struct Exporter {
    plan: ExporterPlan,
    slots: Semaphore,
    metrics: OwnMetrics,
}

/// Serves the plan until the process is stopped.
pub fn run(plan: ExporterPlan) -> Result<(), ExporterError> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .thread_stack_size(crate::engine::WORKER_STACK)
        .enable_all()
        .build()
        .map_err(ExporterError::Runtime)?;
    runtime.block_on(serve(plan))
}

async fn serve(plan: ExporterPlan) -> Result<(), ExporterError> {
    let address = plan.listen;
    let listener = tokio::net::TcpListener::bind(address)
        .await
        .map_err(|source| ExporterError::Listen { address, source })?;
    let bound = listener
        .local_addr()
        .map_err(|source| ExporterError::Listen { address, source })?;
    let modules: Vec<&str> = plan.modules.keys().map(String::as_str).collect();
    // The one line a service manager (or a test) reads to find the port.
    eprintln!(
        "mailtls exporter: listening on http://{bound} (modules: {})",
        modules.join(", ")
    );
    let state = Arc::new(Exporter {
        slots: Semaphore::new(plan.max_probes.max(1)),
        plan,
        metrics: OwnMetrics::new(),
    });
    let app = Router::new()
        .route("/", get(index))
        .route("/probe", get(probe))
        .route("/metrics", get(own_metrics))
        .with_state(state);
    axum::serve(listener, app)
        .await
        .map_err(ExporterError::Serve)
}

async fn index() -> &'static str {
    "mailtls exporter\n\nGET /probe?target=HOST:PORT&module=NAME  check one target\nGET /metrics                             the exporter's own metrics\n"
}

fn plain(status: StatusCode, text: String) -> Response {
    (
        status,
        [(header::CONTENT_TYPE, "text/plain; charset=utf-8")],
        format!("{text}\n"),
    )
        .into_response()
}

fn metrics_response(text: String, format: Exposition) -> Response {
    (
        StatusCode::OK,
        [(header::CONTENT_TYPE, format.content_type())],
        text,
    )
        .into_response()
}

fn exposition(headers: &HeaderMap) -> Exposition {
    Exposition::from_accept(headers.get(header::ACCEPT).and_then(|v| v.to_str().ok()))
}

async fn own_metrics(State(state): State<Arc<Exporter>>, headers: HeaderMap) -> Response {
    let format = exposition(&headers);
    metrics_response(
        metrics_text::encode(&state.metrics.registry, format),
        format,
    )
}

/// A probe request's parameters: exactly `target` and `module`, once each.
fn parameters(pairs: &[(String, String)]) -> Result<(String, String), String> {
    let mut target = None;
    let mut module = None;
    for (key, value) in pairs {
        let slot = match key.as_str() {
            "target" => &mut target,
            "module" => &mut module,
            other => {
                return Err(format!(
                    "unknown parameter {other:?}: a probe takes only target and module"
                ))
            }
        };
        if slot.replace(value.clone()).is_some() {
            return Err(format!("parameter {key} given twice"));
        }
    }
    match (target, module) {
        (Some(t), Some(m)) => Ok((t, m)),
        (None, _) => Err("missing parameter target (HOST:PORT)".to_owned()),
        (_, None) => Err("missing parameter module".to_owned()),
    }
}

/// How long the probe may take: the module's timeout, or Prometheus's
/// scrape timeout less [`SCRAPE_TIMEOUT_OFFSET`] if that is shorter.
pub fn effective_timeout(module: Duration, header: Option<&str>) -> Result<Duration, String> {
    let Some(text) = header else {
        return Ok(module);
    };
    let seconds: f64 = text
        .trim()
        .parse()
        .ok()
        .filter(|s: &f64| s.is_finite() && *s > 0.0)
        .ok_or_else(|| {
            format!("X-Prometheus-Scrape-Timeout-Seconds {text:?} is not a number of seconds")
        })?;
    let scrape = Duration::from_secs_f64(seconds.min(86_400.0));
    let budget = scrape
        .saturating_sub(SCRAPE_TIMEOUT_OFFSET)
        .max(MIN_TIMEOUT);
    Ok(module.min(budget))
}

async fn probe(
    State(state): State<Arc<Exporter>>,
    headers: HeaderMap,
    Query(pairs): Query<Vec<(String, String)>>,
) -> Response {
    let started = Instant::now();
    let own = &state.metrics;
    let (target_text, module_name) = match parameters(&pairs) {
        Ok(found) => found,
        Err(e) => {
            own.reject("bad_request");
            return plain(StatusCode::BAD_REQUEST, e);
        }
    };
    let Some(module) = state.plan.modules.get(&module_name) else {
        own.reject("unknown_module");
        let known: Vec<&str> = state.plan.modules.keys().map(String::as_str).collect();
        return plain(
            StatusCode::BAD_REQUEST,
            format!(
                "unknown module {module_name:?}; the configuration has: {}",
                known.join(", ")
            ),
        );
    };
    if module.allow.is_empty() {
        own.reject("not_allowed");
        return plain(StatusCode::BAD_REQUEST, allow::nothing_allowed(module));
    }
    let scrape_header = headers
        .get("x-prometheus-scrape-timeout-seconds")
        .map(|v| v.to_str().unwrap_or("(not text)"));
    let timeout = match effective_timeout(module.settings.timeout, scrape_header) {
        Ok(timeout) => timeout,
        Err(e) => {
            own.reject("bad_request");
            return plain(StatusCode::BAD_REQUEST, e);
        }
    };
    let deadline = started + timeout;
    let target = match TargetSpec::parse(&target_text)
        .and_then(|spec| spec.resolve(module.protocol, module.mode))
    {
        Ok(target) => target,
        Err(e) => {
            own.reject("bad_request");
            return plain(StatusCode::BAD_REQUEST, format!("target: {e}"));
        }
    };
    let settings = match allow::admit(&target, module, deadline).await {
        Ok(settings) => settings,
        Err(allow::Refusal::NotAllowed(why)) => {
            own.reject("not_allowed");
            return plain(StatusCode::BAD_REQUEST, why);
        }
    };
    let Ok(Ok(_slot)) = tokio::time::timeout_at(deadline, state.slots.acquire()).await else {
        own.reject("busy");
        return plain(
            StatusCode::SERVICE_UNAVAILABLE,
            format!(
                "{} probes are running; none ended within this probe's timeout ({:.1}s)",
                state.plan.max_probes,
                timeout.as_secs_f64()
            ),
        );
    };
    let report = {
        // Counted down however the probe ends, a scraper that hung up included.
        let _in_flight = InFlight::new(&own.in_flight);
        check(target, module, settings, deadline).await
    };
    own.probes
        .get_or_create(&vec![
            ("module".to_owned(), module.name.clone()),
            ("verdict".to_owned(), report.verdict.name().to_owned()),
        ])
        .inc();
    let format = exposition(&headers);
    metrics_response(metrics_text::render_probe(&report, format), format)
}

/// One check through the engine, within what is left until `deadline`.
async fn check(
    target: crate::facts::target::Target,
    module: &ExporterModule,
    mut settings: crate::gather::CheckSettings,
    deadline: Instant,
) -> Report {
    let left = deadline
        .saturating_duration_since(Instant::now())
        .max(MIN_TIMEOUT);
    settings.timeout = left;
    if let Some(probe) = &mut settings.probe {
        probe.connection_timeout = probe.connection_timeout.min(left);
    }
    let plan = ConnectPlan {
        jobs: vec![Job::Check(target.clone())],
        settings: Arc::new(settings),
        limits: Limits {
            concurrency: 1,
            per_host: 1,
            all_addresses: false,
        },
    };
    let mut outcome = None;
    engine::run_jobs(&plan, None, |o| outcome = Some(o)).await;
    let reports = match outcome {
        Some(Outcome::Checked(all_facts)) => Report::judge_all(all_facts, &module.policy),
        Some(Outcome::Invalid { input, error }) => vec![Report::invalid_input(&input, &error)],
        None => Vec::new(),
    };
    reports
        .into_iter()
        .next()
        .unwrap_or_else(|| Report::invalid_input(&target.input, "the check gave no result"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pairs(list: &[(&str, &str)]) -> Vec<(String, String)> {
        list.iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect()
    }

    #[test]
    fn only_target_and_module_once_each() {
        assert_eq!(
            parameters(&pairs(&[("module", "m"), ("target", "h:993")])),
            Ok(("h:993".to_owned(), "m".to_owned()))
        );
        for bad in [
            pairs(&[("target", "h:993")]),
            pairs(&[("module", "m")]),
            pairs(&[("target", "a"), ("module", "m"), ("ca_file", "/etc/shadow")]),
            pairs(&[("target", "a"), ("target", "b"), ("module", "m")]),
        ] {
            assert!(parameters(&bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn the_scrape_timeout_header_bounds_the_probe() {
        let ten = Duration::from_secs(10);
        assert_eq!(effective_timeout(ten, None), Ok(ten));
        assert_eq!(
            effective_timeout(ten, Some("3")),
            Ok(Duration::from_millis(2500))
        );
        assert_eq!(effective_timeout(ten, Some("60")), Ok(ten));
        assert_eq!(effective_timeout(ten, Some("0.2")), Ok(MIN_TIMEOUT));
        assert!(effective_timeout(ten, Some("soon")).is_err());
        assert!(effective_timeout(ten, Some("-1")).is_err());
        assert!(effective_timeout(ten, Some("NaN")).is_err());
    }
}

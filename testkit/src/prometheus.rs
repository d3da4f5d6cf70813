//! A real Prometheus (Debian's `prometheus` package) on 127.0.0.1, scraping
//! `mailtls exporter` from a static configuration in a temporary directory,
//! stopped when dropped. Only loopback addresses are ever contacted.

use std::fmt::Write as _;
use std::net::Ipv4Addr;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{bail, Context};
use serde_json::Value;

use crate::real::free_ports_on;

/// How long Prometheus may take to be ready.
pub const READY_DEADLINE: Duration = Duration::from_secs(60);
const POLL: Duration = Duration::from_millis(100);

/// The `prometheus` binary, if installed (`.ci/install-servers.sh` installs it).
pub fn installed() -> Option<PathBuf> {
    ["/usr/bin/prometheus", "/usr/sbin/prometheus"]
        .iter()
        .map(PathBuf::from)
        .find(|p| p.is_file())
}

/// One scrape job: an exporter module probing targets, relabelled as
/// blackbox_exporter's documentation does (`__address__` becomes the `target`
/// parameter and the `instance` label; the exporter is scraped instead).
#[derive(Debug, Clone)]
pub struct ProbeJob {
    pub name: String,
    pub exporter_port: u16,
    pub module: String,
    pub targets: Vec<String>,
}

/// A running Prometheus.
#[derive(Debug)]
pub struct Prometheus {
    child: Child,
    pub port: u16,
    dir: tempfile::TempDir,
}

/// The configuration: every probe job, and the exporter's own `/metrics`
/// (job `mailtls_exporter`), scraped every second.
pub fn configuration(jobs: &[ProbeJob], exporter_port: u16) -> String {
    let mut yaml = String::from(
        "global:\n  scrape_interval: 1s\n  scrape_timeout: 1s\n  evaluation_interval: 1s\nscrape_configs:\n",
    );
    for job in jobs {
        let targets: Vec<String> = job.targets.iter().map(|t| format!("'{t}'")).collect();
        let _ = write!(
            yaml,
            "  - job_name: '{name}'\n    metrics_path: /probe\n    params:\n      module: ['{module}']\n    static_configs:\n      - targets: [{targets}]\n    relabel_configs:\n      - source_labels: [__address__]\n        target_label: __param_target\n      - source_labels: [__param_target]\n        target_label: instance\n      - target_label: __address__\n        replacement: '127.0.0.1:{port}'\n",
            name = job.name,
            module = job.module,
            targets = targets.join(", "),
            port = job.exporter_port,
        );
    }
    let _ = write!(
        yaml,
        "  - job_name: 'mailtls_exporter'\n    static_configs:\n      - targets: ['127.0.0.1:{exporter_port}']\n"
    );
    yaml
}

impl Prometheus {
    /// Starts Prometheus with `configuration(jobs, exporter_port)` and waits
    /// until `/-/ready` answers 200.
    pub fn start(jobs: &[ProbeJob], exporter_port: u16) -> anyhow::Result<Prometheus> {
        let binary = installed().context(
            "`prometheus` is not installed: install it with `sudo bash .ci/install-servers.sh`",
        )?;
        let dir = tempfile::Builder::new()
            .prefix("mailtls-prometheus-")
            .tempdir()
            .context("create Prometheus directory")?;
        let config = dir.path().join("prometheus.yml");
        std::fs::write(&config, configuration(jobs, exporter_port)).context("write config")?;
        let port = free_ports_on(Ipv4Addr::LOCALHOST, 1)?[0];
        let log = std::fs::File::create(dir.path().join("prometheus.log")).context("log file")?;
        let child = Command::new(binary)
            .arg(format!("--config.file={}", config.display()))
            .arg(format!(
                "--storage.tsdb.path={}",
                dir.path().join("data").display()
            ))
            .arg(format!("--web.listen-address=127.0.0.1:{port}"))
            .stdin(Stdio::null())
            .stdout(log.try_clone().context("log file")?)
            .stderr(log)
            .spawn()
            .context("start prometheus")?;
        let mut prometheus = Prometheus { child, port, dir };
        prometheus.wait_ready()?;
        Ok(prometheus)
    }

    fn log_tail(&self) -> String {
        let path = self.dir.path().join("prometheus.log");
        let text = std::fs::read_to_string(&path).unwrap_or_default();
        let lines: Vec<&str> = text.lines().collect();
        format!(
            "last lines of {}:\n{}",
            path.display(),
            lines[lines.len().saturating_sub(25)..].join("\n")
        )
    }

    fn agent() -> ureq::Agent {
        ureq::Agent::config_builder()
            .http_status_as_error(false)
            .timeout_global(Some(Duration::from_secs(10)))
            .build()
            .into()
    }

    fn wait_ready(&mut self) -> anyhow::Result<()> {
        let until = Instant::now() + READY_DEADLINE;
        let url = format!("http://127.0.0.1:{}/-/ready", self.port);
        let agent = Prometheus::agent();
        loop {
            if let Some(status) = self.child.try_wait().context("wait on prometheus")? {
                bail!(
                    "prometheus exited while starting ({status})\n{}",
                    self.log_tail()
                );
            }
            if let Ok(response) = agent.get(&url).call() {
                if response.status() == 200 {
                    return Ok(());
                }
            }
            if Instant::now() > until {
                bail!(
                    "prometheus not ready after {READY_DEADLINE:?}\n{}",
                    self.log_tail()
                );
            }
            std::thread::sleep(POLL);
        }
    }

    /// The result vector of an instant query (`/api/v1/query`).
    pub fn query(&self, promql: &str) -> anyhow::Result<Vec<Value>> {
        let url = format!("http://127.0.0.1:{}/api/v1/query", self.port);
        let mut response = Prometheus::agent()
            .get(&url)
            .query("query", promql)
            .call()
            .with_context(|| format!("query {promql}"))?;
        let body = response
            .body_mut()
            .read_to_string()
            .context("read answer")?;
        let answer: Value = serde_json::from_str(&body).context("answer is not JSON")?;
        if answer["status"] != "success" {
            bail!("query {promql}: {body}");
        }
        Ok(answer["data"]["result"]
            .as_array()
            .cloned()
            .unwrap_or_default())
    }

    /// Queries until `done` holds for the result, within `deadline`; the
    /// error carries the last result and the log's tail.
    pub fn wait_for(
        &self,
        promql: &str,
        deadline: Duration,
        done: impl Fn(&[Value]) -> bool,
    ) -> anyhow::Result<Vec<Value>> {
        let until = Instant::now() + deadline;
        loop {
            let result = self.query(promql)?;
            if done(&result) {
                return Ok(result);
            }
            if Instant::now() > until {
                bail!(
                    "{promql}: not as expected within {deadline:?}; last result: {}\n{}",
                    Value::Array(result),
                    self.log_tail()
                );
            }
            std::thread::sleep(POLL);
        }
    }

    pub fn dir(&self) -> &Path {
        self.dir.path()
    }
}

impl Drop for Prometheus {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The value of a sample in a query result (`"value": [time, "text"]`).
pub fn value(sample: &Value) -> Option<f64> {
    sample["value"][1].as_str()?.parse().ok()
}

/// The sample of `result` whose label `name` is `value`.
pub fn with_label<'a>(result: &'a [Value], name: &str, value: &str) -> Option<&'a Value> {
    result.iter().find(|s| s["metric"][name] == value)
}

//! `mailtls exporter` as a child process of the built binary, and a small HTTP
//! client for it. Loopback only.

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

/// How long the exporter may take to start listening.
const START_DEADLINE: Duration = Duration::from_secs(30);

/// A running exporter, stopped when dropped.
pub struct Exporter {
    child: Child,
    pub port: u16,
}

impl Exporter {
    /// Starts `mailtls exporter --listen 127.0.0.1:0 --config CONFIG EXTRA…`
    /// and reads the port it listens on from its first line on standard error.
    pub fn start(config: Option<&Path>, extra: &[&str]) -> Exporter {
        let mut command = Command::new(assert_cmd::cargo::cargo_bin("mailtls"));
        command.args(["exporter", "--listen", "127.0.0.1:0"]);
        if let Some(config) = config {
            command.arg("--config").arg(config);
        }
        command
            .args(extra)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped());
        let mut child = command.spawn().expect("start mailtls exporter");
        let stderr = child.stderr.take().expect("stderr");
        let (tx, rx) = mpsc::channel();
        std::thread::spawn(move || {
            let mut lines = BufReader::new(stderr).lines();
            if let Some(Ok(first)) = lines.next() {
                let _ = tx.send(first);
            }
            // Keep draining, so the exporter never blocks on a full pipe.
            for line in lines.map_while(Result::ok) {
                eprintln!("exporter: {line}");
            }
        });
        let line = match rx.recv_timeout(START_DEADLINE) {
            Ok(line) => line,
            Err(_) => {
                let _ = child.kill();
                let status = child.wait();
                panic!("mailtls exporter did not say where it listens ({status:?})");
            }
        };
        let port = line
            .split("http://127.0.0.1:")
            .nth(1)
            .and_then(|rest| rest.split_whitespace().next())
            .and_then(|p| p.parse().ok())
            .unwrap_or_else(|| panic!("no port in {line:?}"));
        Exporter { child, port }
    }

    pub fn url(&self, path_and_query: &str) -> String {
        format!("http://127.0.0.1:{}{path_and_query}", self.port)
    }

    /// `GET /probe?target=…&module=…`.
    pub fn probe(&self, target: &str, module: &str) -> Answer {
        get(
            &self.url(&format!("/probe?target={target}&module={module}")),
            &[],
        )
    }

    /// Polls `/metrics` until `line` appears, within `deadline`.
    pub fn wait_for_own_metric(&self, line: &str, deadline: Duration) {
        let until = Instant::now() + deadline;
        loop {
            let answer = get(&self.url("/metrics"), &[]);
            if answer.body.lines().any(|l| l == line) {
                return;
            }
            assert!(
                Instant::now() < until,
                "no {line:?} in /metrics within {deadline:?}:\n{}",
                answer.body
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

impl Drop for Exporter {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// An HTTP answer.
#[derive(Debug)]
pub struct Answer {
    pub status: u16,
    pub content_type: String,
    pub body: String,
}

impl Answer {
    /// The value of the one sample whose line starts with `series` (name and labels).
    pub fn sample(&self, series: &str) -> Option<f64> {
        self.body
            .lines()
            .filter(|l| !l.starts_with('#'))
            .find_map(|l| l.strip_prefix(series)?.strip_prefix(' ')?.parse().ok())
    }

    /// Lines of samples of the metric `name`.
    pub fn series(&self, name: &str) -> Vec<&str> {
        self.body
            .lines()
            .filter(|l| {
                l.strip_prefix(name)
                    .is_some_and(|rest| rest.starts_with(['{', ' ']))
            })
            .collect()
    }
}

/// `GET url` with extra headers; any status is an answer.
pub fn get(url: &str, headers: &[(&str, &str)]) -> Answer {
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .http_status_as_error(false)
        .timeout_global(Some(Duration::from_secs(60)))
        .build()
        .into();
    let mut request = agent.get(url);
    for (name, value) in headers {
        request = request.header(*name, *value);
    }
    let mut response = request.call().unwrap_or_else(|e| panic!("GET {url}: {e}"));
    let content_type = response
        .headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    Answer {
        status: response.status().as_u16(),
        content_type,
        body: response
            .body_mut()
            .read_to_string()
            .unwrap_or_else(|e| panic!("GET {url}: body: {e}")),
    }
}

//! Runs a command from its plan: checks through the engine, judges through
//! the report, writes through the renderers, and returns the exit code.
//! Knows nothing of clap.

use std::io::{IsTerminal, Read, Write};
use std::path::Path;

use indicatif::{ProgressBar, ProgressStyle};

use crate::diagnose::Policy;
use crate::engine::{self, Outcome};
use crate::facts::protocol::TlsMode;
use crate::facts::target::Target;
use crate::output::pem::Listing;
use crate::output::{self, Format};
use crate::plan::{
    AccountFormat, AccountPlan, CertsPlan, CheckPlan, ConnectPlan, DomainPlan, ExplainPlan,
    Judgement, Plan, PlanError, ReportSource, ScanFormat, ScanPlan,
};
use crate::report::scan::{self, ScanDocument};
use crate::report::{exit, Document, Report, Summary};

/// Why a command could not run at all (exit code 3). Each message is a whole
/// sentence on its own: the binary prints it alone, so no variant also hands
/// its cause on as an error source.
#[derive(Debug, thiserror::Error)]
pub enum AppError {
    #[error(transparent)]
    Plan(#[from] PlanError),
    #[error("cannot start the async runtime: {0}")]
    Runtime(std::io::Error),
    #[error("cannot write the report: {0}")]
    Output(std::io::Error),
    #[error("cannot write {path}: {error}")]
    Write {
        path: std::path::PathBuf,
        error: std::io::Error,
    },
    #[error("cannot read the report {from}: {error}")]
    ReadReport { from: String, error: std::io::Error },
    #[error("{from} is not a mailtls report: {detail}")]
    NotAReport { from: String, detail: String },
    #[error(transparent)]
    Exporter(#[from] crate::exporter::ExporterError),
}

/// Runs the plan, writing the report to `out`. Returns the exit code.
pub fn run(plan: Plan, out: &mut dyn Write) -> Result<u8, AppError> {
    match plan {
        Plan::Check(plan) => run_check(&plan, out),
        Plan::Certs(plan) => run_certs(&plan, out),
        Plan::Scan(plan) => run_scan(&plan, out),
        Plan::Account(plan) => run_account(&plan, out),
        Plan::Domain(plan) => run_domain(&plan, out),
        Plan::Explain(plan) => run_explain(&plan, out),
        // Serves until the process is stopped.
        Plan::Exporter(plan) => {
            crate::exporter::run(plan)?;
            Ok(0)
        }
        Plan::Print(text) => {
            out.write_all(&text).map_err(AppError::Output)?;
            Ok(0)
        }
    }
}

/// One thread for one target (starting worker threads would cost more than the
/// check: about a third of a single check's time); all cores for a batch.
fn runtime(jobs: usize) -> Result<tokio::runtime::Runtime, AppError> {
    let mut builder = if jobs <= 1 {
        tokio::runtime::Builder::new_current_thread()
    } else {
        let mut builder = tokio::runtime::Builder::new_multi_thread();
        builder.thread_stack_size(crate::engine::WORKER_STACK);
        builder
    };
    builder.enable_all().build().map_err(AppError::Runtime)
}

/// The reports of one job's outcome.
fn judge(outcome: Outcome, policy: &Policy) -> Vec<Report> {
    match outcome {
        Outcome::Checked(all_facts) => Report::judge_all(all_facts, policy),
        Outcome::Invalid { input, error } => vec![Report::invalid_input(&input, &error)],
    }
}

/// Checks every job, without judging options (`certs`, `scan`): the reports in input order.
fn gather_reports(connect: &ConnectPlan, runtime: &tokio::runtime::Runtime) -> Vec<Report> {
    gather_report_groups(connect, runtime)
        .into_iter()
        .flatten()
        .collect()
}

/// [`gather_reports`], one group a job (one report per address with
/// `all_addresses`).
fn gather_report_groups(
    connect: &ConnectPlan,
    runtime: &tokio::runtime::Runtime,
) -> Vec<Vec<Report>> {
    let policy = Policy::default();
    let mut groups = Vec::new();
    runtime.block_on(engine::run_jobs(connect, None, |outcome| {
        groups.push(judge(outcome, &policy));
    }));
    groups
}

fn run_check(plan: &CheckPlan, out: &mut dyn Write) -> Result<u8, AppError> {
    let judgement = &plan.judgement;
    let jobs = plan.connect.jobs.len();
    let progress = (!judgement.quiet && std::io::stderr().is_terminal() && jobs > 1).then(|| {
        let bar = ProgressBar::new(jobs as u64);
        if let Ok(style) = ProgressStyle::with_template(
            "{spinner} {pos}/{len} checked [{bar:30}] {elapsed} (ETA {eta})",
        ) {
            bar.set_style(style.progress_chars("=> "));
        }
        bar
    });
    let mut writer = ReportWriter::new(judgement, out, progress.clone());
    runtime(jobs)?.block_on(engine::run_jobs(
        &plan.connect,
        progress.clone(),
        |outcome| {
            for report in judge(outcome, &judgement.policy) {
                writer.add(report);
            }
        },
    ));
    if let Some(bar) = &progress {
        bar.finish_and_clear();
    }
    writer.finish()
}

/// Writes reports as they come (human, NDJSON) or at the end (JSON, nagios),
/// counting the summary as it goes.
struct ReportWriter<'a> {
    judgement: &'a Judgement,
    out: &'a mut dyn Write,
    progress: Option<ProgressBar>,
    summary: Summary,
    collected: Vec<Report>,
    error: Option<std::io::Error>,
}

impl<'a> ReportWriter<'a> {
    fn new(
        judgement: &'a Judgement,
        out: &'a mut dyn Write,
        progress: Option<ProgressBar>,
    ) -> ReportWriter<'a> {
        ReportWriter {
            judgement,
            out,
            progress,
            summary: Summary::default(),
            collected: Vec::new(),
            error: None,
        }
    }

    fn add(&mut self, report: Report) {
        self.summary.add(&report, self.judgement.fail_on);
        let text = match self.judgement.format {
            Format::Human => {
                let separator = if self.summary.total > 1 { "\n" } else { "" };
                format!(
                    "{separator}{}",
                    output::render_report(&report, self.judgement.human)
                )
            }
            Format::Ndjson => output::ndjson_line(&report),
            Format::Json | Format::Nagios | Format::Junit => {
                self.collected.push(report);
                return;
            }
        };
        // Keep the bar off the lines being written.
        let out = &mut self.out;
        let mut write = || out.write_all(text.as_bytes()).and_then(|()| out.flush());
        let result = match &self.progress {
            Some(bar) => bar.suspend(write),
            None => write(),
        };
        if let Err(e) = result {
            self.error.get_or_insert(e);
        }
    }

    fn finish(self) -> Result<u8, AppError> {
        if let Some(e) = self.error {
            return Err(AppError::Output(e));
        }
        let (judgement, summary) = (self.judgement, self.summary);
        let tail = match judgement.format {
            Format::Human if summary.total > 1 => {
                format!("\n{}", output::render_summary(&summary))
            }
            Format::Human | Format::Ndjson => String::new(),
            Format::Json => {
                output::json_document(&Document::with_summary(self.collected, summary.clone()))
            }
            Format::Nagios => output::render_nagios(
                &Document::with_summary(self.collected, summary.clone()),
                &judgement.policy,
            ),
            Format::Junit => {
                output::render_junit(&Document::with_summary(self.collected, summary.clone()))
            }
        };
        self.out
            .write_all(tail.as_bytes())
            .map_err(AppError::Output)?;
        self.out.flush().map_err(AppError::Output)?;
        // Machine formats keep standard output clean; a person or a CI log still
        // gets the counts and the slowest targets.
        if !judgement.quiet
            && summary.total > 1
            && matches!(
                judgement.format,
                Format::Json | Format::Ndjson | Format::Junit
            )
        {
            anstream::eprint!("{}", output::render_summary(&summary));
        }
        Ok(summary.exit_code)
    }
}

/// Writes a whole rendering and flushes it.
fn emit(out: &mut dyn Write, text: &str) -> Result<(), AppError> {
    out.write_all(text.as_bytes())
        .and_then(|()| out.flush())
        .map_err(AppError::Output)
}

fn run_certs(plan: &CertsPlan, out: &mut dyn Write) -> Result<u8, AppError> {
    let reports = gather_reports(&plan.connect, &runtime(plan.connect.jobs.len())?);
    let text = match &plan.out {
        None => output::pem::render_chains(&reports),
        Some(dir) => write_chain_files(dir, &reports)?,
    };
    emit(out, &text)?;
    let all_sent = reports.iter().all(|r| {
        r.facts
            .as_ref()
            .and_then(|f| f.tls.as_ref())
            .is_some_and(|t| !t.chain.is_empty())
    });
    Ok(exit::of_chains(all_sent))
}

fn run_scan(plan: &ScanPlan, out: &mut dyn Write) -> Result<u8, AppError> {
    let runtime = runtime(plan.ports.len())?;
    let connect = |targets: Vec<Target>| ConnectPlan {
        jobs: targets.into_iter().map(crate::plan::Job::Check).collect(),
        settings: plan.settings.clone(),
        limits: plan.limits,
    };
    let targets = plan.ports.iter().map(|p| p.target.clone()).collect();
    let mut reports = gather_reports(&connect(targets), &runtime);

    // An implicit-TLS port that greeted in plaintext: what does it offer as STARTTLS?
    let again: Vec<usize> = reports
        .iter()
        .enumerate()
        .filter(|(_, r)| scan::classify(r).is_none())
        .map(|(i, _)| i)
        .collect();
    if !again.is_empty() {
        let targets = again
            .iter()
            .map(|&i| {
                let t = &plan.ports[i].target;
                Target::at(t.host.clone(), t.port, t.protocol, TlsMode::Starttls)
            })
            .collect();
        let second = gather_reports(&connect(targets), &runtime);
        for (i, report) in again.into_iter().zip(second) {
            reports[i] = report;
        }
    }
    let ports = plan
        .ports
        .iter()
        .zip(reports)
        .map(|(port, report)| scan::PortResult {
            standard_port: port.standard_port,
            port: port.target.port,
            protocol: port.target.protocol,
            answer: scan::classify(&report).unwrap_or(scan::Answer::Broken),
            verdict: report.verdict,
            report,
        })
        .collect();
    let doc = ScanDocument::new(&plan.host, ports);
    let text = match plan.format {
        ScanFormat::Human => output::render_scan(&doc),
        ScanFormat::Json => output::json_document(&doc),
    };
    emit(out, &text)?;
    Ok(doc.exit_code)
}

/// `mailtls account`: every address's discovery at once, then every endpoint
/// found checked at once, all within `--timeout`; the names resolve as
/// discovery resolved them.
fn run_account(plan: &AccountPlan, out: &mut dyn Write) -> Result<u8, AppError> {
    use crate::facts::discovery::{address_literal, MAX_ENDPOINTS};
    use crate::facts::target::Host;
    use crate::report::account::{endpoints_to_check, AccountDocument, AccountsDocument};

    let started = std::time::Instant::now();
    let runtime = runtime(MAX_ENDPOINTS)?;
    let deadline = tokio::time::Instant::now() + plan.discover.timeout;
    let inputs: Vec<(Option<String>, String)> = plan
        .accounts
        .iter()
        .map(|a| (a.address.clone(), a.domain.clone()))
        .collect();
    let discoveries = runtime.block_on(crate::gather::discover::discover_all(
        &inputs,
        &plan.discover,
        deadline,
    ));
    // The names resolve to what discovery found, and the checks get what is
    // left of the one deadline.
    // An endpoint a document gives as an IP address is checked at that
    // address, as `mailtls check 192.0.2.7:993` is (no SNI, the certificate
    // verified for the address).
    let mut settings = (*plan.settings).clone();
    for discovery in &discoveries {
        for (host, ips) in &discovery.addresses {
            if address_literal(host).is_none() {
                settings
                    .resolve
                    .entry(host.clone())
                    .or_insert_with(|| ips.clone());
            }
        }
    }
    let left = plan.discover.timeout.saturating_sub(started.elapsed());
    settings.timeout = left.max(std::time::Duration::from_millis(100));
    let keys = endpoints_to_check(&discoveries, |host| {
        address_literal(host).is_some() || settings.resolve.contains_key(host)
    });
    let connect = ConnectPlan {
        jobs: keys
            .iter()
            .map(|key| {
                let host = match address_literal(&key.host) {
                    Some(ip) => Host::Ip(ip),
                    None => Host::Name(key.host.clone()),
                };
                crate::plan::Job::Check(Target::at(host, key.port, key.protocol, key.mode))
            })
            .collect(),
        settings: std::sync::Arc::new(settings),
        // Every address of every endpoint, as a client may reach any of them.
        limits: crate::plan::Limits {
            concurrency: MAX_ENDPOINTS,
            per_host: MAX_ENDPOINTS,
            all_addresses: true,
        },
    };
    let reports: std::collections::HashMap<_, Vec<Report>> = keys
        .into_iter()
        .zip(gather_report_groups(&connect, &runtime))
        .collect();
    let docs: Vec<AccountDocument> = discoveries
        .into_iter()
        .map(|discovery| AccountDocument::with_reports(discovery, &reports))
        .collect();
    let codes: Vec<u8> = docs.iter().map(|d| d.exit_code).collect();
    let exit_code = match codes.as_slice() {
        [one] => *one,
        many => crate::report::exit::of_accounts(many),
    };
    let text = match plan.format {
        AccountFormat::Human => output::render_accounts(&docs),
        AccountFormat::Ndjson => docs.iter().map(output::ndjson_line).collect(),
        // One shape however many addresses: scripts need not branch on it.
        AccountFormat::Json => output::json_document(&AccountsDocument::new(docs, exit_code)),
    };
    emit(out, &text)?;
    Ok(exit_code)
}

/// `mailtls domain`: the domain's DNS and MTA-STS policy, then every address
/// of every MX host checked at once on port 25 with DANE, all within
/// `--timeout`; the MX names resolve as the domain's lookup resolved them.
fn run_domain(plan: &DomainPlan, out: &mut dyn Write) -> Result<u8, AppError> {
    use crate::facts::protocol::Protocol;
    use crate::facts::target::Host;
    use crate::report::domain::{DomainDocument, MxResult};

    let started = std::time::Instant::now();
    let timeout = plan.settings.timeout;
    let runtime = runtime(crate::facts::domain::MAX_MX)?;
    let deadline = tokio::time::Instant::now() + timeout;
    let facts = runtime.block_on(crate::gather::domain::gather(
        &plan.domain,
        &plan.dane,
        &plan.settings,
        deadline,
    ));
    let mut settings = (*plan.settings).clone();
    for host in &facts.mx.hosts {
        if !host.addresses.is_empty() {
            settings
                .resolve
                .entry(host.host.clone())
                .or_insert_with(|| host.addresses.clone());
        }
    }
    let left = timeout.saturating_sub(started.elapsed());
    settings.timeout = left.max(std::time::Duration::from_millis(100));
    let checked: Vec<&crate::facts::domain::MxHost> = facts
        .mx
        .hosts
        .iter()
        .filter(|h| !h.addresses.is_empty())
        .collect();
    let connect = ConnectPlan {
        jobs: checked
            .iter()
            .map(|h| {
                crate::plan::Job::Check(Target::at(
                    Host::Name(h.host.clone()),
                    25,
                    Protocol::Smtp,
                    TlsMode::Starttls,
                ))
            })
            .collect(),
        settings: std::sync::Arc::new(settings),
        limits: crate::plan::Limits {
            concurrency: crate::facts::domain::MAX_MX,
            per_host: 2,
            all_addresses: true,
        },
    };
    let reports = gather_reports(&connect, &runtime);
    let mx = MxResult::of_hosts(&facts.mx.hosts, &reports);
    let doc = DomainDocument::new(facts, mx);
    let text = match plan.format {
        ScanFormat::Human => output::render_domain(&doc),
        ScanFormat::Json => output::json_document(&doc),
    };
    emit(out, &text)?;
    Ok(doc.exit_code)
}

/// `mailtls explain`: the facts of saved reports, judged again and rendered.
fn run_explain(plan: &ExplainPlan, out: &mut dyn Write) -> Result<u8, AppError> {
    let judgement = &plan.judgement;
    let (from, text) = match &plan.source {
        ReportSource::File(path) => (
            path.display().to_string(),
            std::fs::read_to_string(path).map_err(|error| AppError::ReadReport {
                from: path.display().to_string(),
                error,
            })?,
        ),
        ReportSource::Stdin => {
            let mut text = String::new();
            std::io::stdin()
                .read_to_string(&mut text)
                .map_err(|error| AppError::ReadReport {
                    from: "standard input".to_owned(),
                    error,
                })?;
            ("standard input".to_owned(), text)
        }
    };
    let saved = crate::report::saved::read(&text).map_err(|detail| AppError::NotAReport {
        from: from.clone(),
        detail,
    })?;
    let mut writer = ReportWriter::new(judgement, out, None);
    for group in saved {
        let reports = match group {
            crate::report::saved::Saved::Checked(all_facts) => {
                Report::judge_all(all_facts, &judgement.policy)
            }
            crate::report::saved::Saved::Kept(report) => vec![*report],
        };
        for report in reports {
            writer.add(report);
        }
    }
    writer.finish()
}

fn write_chain_files(dir: &Path, reports: &[Report]) -> Result<String, AppError> {
    std::fs::create_dir_all(dir).map_err(|e| AppError::Write {
        path: dir.to_owned(),
        error: e,
    })?;
    let mut summary = String::new();
    for listing in output::pem::listings(reports) {
        match listing {
            Listing::NotATarget { input, headline } => {
                let line = output::pem::summary_line(&[input, ": ", headline]);
                summary.push_str(&format!("{line}\n"));
            }
            Listing::NoCertificates { server, why } => {
                let line = output::pem::summary_line(&[&server, ": no certificates: ", why]);
                summary.push_str(&format!("{line}\n"));
            }
            Listing::Chain {
                file_stem,
                certificates,
                ..
            } => {
                for (i, (pem, subject)) in certificates.into_iter().enumerate() {
                    let path = dir.join(format!("{file_stem}-{i}.pem"));
                    std::fs::write(&path, pem).map_err(|e| AppError::Write {
                        path: path.clone(),
                        error: e,
                    })?;
                    let path = path.display().to_string();
                    let line = output::pem::summary_line(&[&path, "  ", subject]);
                    summary.push_str(&format!("{line}\n"));
                }
            }
        }
    }
    Ok(summary)
}

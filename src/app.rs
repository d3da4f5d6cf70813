//! Runs a command: plan, check every target concurrently, stream the reports in
//! input order, pick the exit code.

use std::collections::HashMap;
use std::io::{IsTerminal, Read, Write};
use std::net::SocketAddr;
use std::path::Path;
use std::sync::Arc;

use clap::CommandFactory;
use indicatif::{ProgressBar, ProgressStyle};
use tokio::sync::Semaphore;

use crate::check::{self, run_check_at, CheckError, CheckFacts, Stop};
use crate::cli::{
    CertsArgs, CheckArgs, Cli, ColorArg, Command, ConnectArgs, ScanArgs, ScanFormatArg,
};
use crate::compare;
use crate::output::{self, Format};
use crate::plan::{target_lines, ConnectPlan, Job, Plan, PlanError};
use crate::protocol::{Protocol, TlsMode};
use crate::report::{Document, Report, Summary};
use crate::scan::{self, ScanDocument, MAIL_PORTS};
use crate::tls::probe::probe_checked_target;

/// Why a command could not run at all (exit code 3).
#[derive(Debug, thiserror::Error)]
pub enum AppError {
    #[error(transparent)]
    Plan(#[from] PlanError),
    #[error("cannot start the async runtime: {0}")]
    Runtime(std::io::Error),
    #[error("cannot write the report: {0}")]
    Output(std::io::Error),
    #[error("cannot write {path}: {source}")]
    Write {
        path: std::path::PathBuf,
        source: std::io::Error,
    },
    #[error("cannot read targets from {from}: {source}")]
    ReadTargets {
        from: String,
        source: std::io::Error,
    },
}

/// Runs the parsed command line, writing the report to `out`. Returns the exit code.
pub fn run(cli: Cli, out: &mut dyn Write) -> Result<u8, AppError> {
    match cli.command {
        Command::Check(args) => run_check_command(&args, out),
        Command::Certs(args) => run_certs_command(&args, out),
        Command::Scan(args) => run_scan_command(&args, out),
        Command::Completions { shell } => {
            let mut command = Cli::command();
            clap_complete::generate(shell, &mut command, "mailtls", out);
            Ok(0)
        }
        Command::Man => {
            clap_mangen::Man::new(Cli::command())
                .render(out)
                .map_err(AppError::Output)?;
            Ok(0)
        }
    }
}

/// The targets listed in `--targets-file` and, for a `-` target, on standard input.
fn listed_targets(args: &ConnectArgs) -> Result<Vec<String>, AppError> {
    let mut lines = Vec::new();
    if let Some(path) = &args.targets_file {
        let text = std::fs::read_to_string(path).map_err(|source| AppError::ReadTargets {
            from: path.display().to_string(),
            source,
        })?;
        lines.extend(target_lines(&text));
    }
    if args.targets.iter().any(|t| t == "-") {
        let mut text = String::new();
        std::io::stdin()
            .read_to_string(&mut text)
            .map_err(|source| AppError::ReadTargets {
                from: "standard input".to_owned(),
                source,
            })?;
        lines.extend(target_lines(&text));
    }
    Ok(lines)
}

/// One thread for one target (starting worker threads would cost more than the
/// check: about a third of a single check's time); all cores for a batch.
fn runtime(jobs: usize) -> Result<tokio::runtime::Runtime, AppError> {
    let mut builder = if jobs <= 1 {
        tokio::runtime::Builder::new_current_thread()
    } else {
        tokio::runtime::Builder::new_multi_thread()
    };
    builder.enable_all().build().map_err(AppError::Runtime)
}

fn run_check_command(args: &CheckArgs, out: &mut dyn Write) -> Result<u8, AppError> {
    let plan = Plan::from_args(args, &listed_targets(&args.connect)?)?;
    let choice = match args.color {
        ColorArg::Auto => anstream::ColorChoice::Auto,
        ColorArg::Always => anstream::ColorChoice::Always,
        ColorArg::Never => anstream::ColorChoice::Never,
    };
    choice.write_global();
    let stderr_is_terminal = std::io::stderr().is_terminal();
    let progress = (!plan.quiet && stderr_is_terminal && plan.jobs.len() > 1).then(|| {
        let bar = ProgressBar::new(plan.jobs.len() as u64);
        if let Ok(style) = ProgressStyle::with_template(
            "{spinner} {pos}/{len} checked [{bar:30}] {elapsed} (ETA {eta})",
        ) {
            bar.set_style(style.progress_chars("=> "));
        }
        bar
    });

    let mut summary = Summary::default();
    let mut collected = Vec::new();
    let mut write_error = None;
    runtime(plan.jobs.len())?.block_on(run_jobs(&plan, progress.clone(), |report| {
        summary.add(&report, plan.fail_on);
        let text = match plan.format {
            Format::Human => {
                let separator = if summary.total > 1 { "\n" } else { "" };
                format!("{separator}{}", output::render_report(&report, plan.human))
            }
            Format::Ndjson => output::ndjson_line(&report),
            Format::Json | Format::Nagios => {
                collected.push(report);
                return;
            }
        };
        // Keep the bar off the lines being written.
        let mut write = || out.write_all(text.as_bytes()).and_then(|()| out.flush());
        let result = match &progress {
            Some(bar) => bar.suspend(write),
            None => write(),
        };
        if let Err(e) = result {
            write_error.get_or_insert(e);
        }
    }));
    if let Some(bar) = &progress {
        bar.finish_and_clear();
    }
    if let Some(e) = write_error {
        return Err(AppError::Output(e));
    }

    let tail = match plan.format {
        Format::Human if summary.total > 1 => format!("\n{}", output::render_summary(&summary)),
        Format::Human | Format::Ndjson => String::new(),
        Format::Json => output::json_document(&Document::with_summary(collected, summary.clone())),
        Format::Nagios => output::render_nagios(
            &Document::with_summary(collected, summary.clone()),
            &plan.policy,
        ),
    };
    out.write_all(tail.as_bytes()).map_err(AppError::Output)?;
    out.flush().map_err(AppError::Output)?;
    // Machine formats keep standard output clean; a person or a CI log still
    // gets the counts and the slowest targets.
    if !plan.quiet && summary.total > 1 && matches!(plan.format, Format::Json | Format::Ndjson) {
        anstream::eprint!("{}", output::render_summary(&summary));
    }
    Ok(summary.exit_code)
}

fn run_certs_command(args: &CertsArgs, out: &mut dyn Write) -> Result<u8, AppError> {
    let connect = ConnectPlan::from_args(&args.connect, &listed_targets(&args.connect)?)?;
    let plan = Plan::gather_only(connect);
    let mut reports = Vec::new();
    runtime(plan.jobs.len())?.block_on(run_jobs(&plan, None, |report| reports.push(report)));
    let text = match &args.out {
        None => output::pem::render_chains(&reports),
        Some(dir) => write_chain_files(dir, &reports)?,
    };
    out.write_all(text.as_bytes()).map_err(AppError::Output)?;
    out.flush().map_err(AppError::Output)?;
    let all_sent = reports.iter().all(|r| {
        r.facts
            .as_ref()
            .and_then(|f| f.tls.as_ref())
            .is_some_and(|t| !t.chain.is_empty())
    });
    Ok(if all_sent { 0 } else { 3 })
}

fn run_scan_command(args: &ScanArgs, out: &mut dyn Write) -> Result<u8, AppError> {
    let choice = match args.color {
        ColorArg::Auto => anstream::ColorChoice::Auto,
        ColorArg::Always => anstream::ColorChoice::Always,
        ColorArg::Never => anstream::ColorChoice::Never,
    };
    choice.write_global();
    let host = args
        .host
        .trim_start_matches('[')
        .trim_end_matches(']')
        .to_owned();
    let url_host = if host.contains(':') {
        format!("[{host}]")
    } else {
        host.clone()
    };
    let actual = |standard: u16| {
        args.port_map
            .iter()
            .rev()
            .find(|(s, _)| *s == standard)
            .map_or(standard, |(_, a)| *a)
    };
    let url = |standard: u16, protocol: Protocol, mode: TlsMode| {
        let scheme = match (protocol, mode) {
            (Protocol::Imap, TlsMode::Implicit) => "imaps",
            (Protocol::Imap, TlsMode::Starttls) => "imap+starttls",
            (Protocol::Pop3, TlsMode::Implicit) => "pop3s",
            (Protocol::Pop3, TlsMode::Starttls) => "pop3+starttls",
            (Protocol::Smtp, TlsMode::Implicit) => "smtps",
            (Protocol::Smtp, TlsMode::Starttls) => "smtp+starttls",
            (Protocol::Sieve, _) => "sieve",
        };
        format!("{scheme}://{url_host}:{}", actual(standard))
    };
    let connect_args = |targets: Vec<String>| ConnectArgs {
        targets,
        targets_file: None,
        concurrency: 8,
        per_host: args.per_host,
        all_addresses: false,
        resolve: args.resolve.clone(),
        protocol: None,
        starttls: false,
        implicit_tls: false,
        sni: args.sni.clone(),
        no_sni: false,
        ehlo_name: args.ehlo_name.clone(),
        trust: args.trust,
        ca_files: args.ca_files.clone(),
        client_cert: None,
        client_key: None,
        timeout: args.timeout,
    };
    let first: Vec<String> = MAIL_PORTS
        .iter()
        .map(|&(p, proto, mode)| url(p, proto, mode))
        .collect();
    let runtime = runtime(MAIL_PORTS.len())?;
    let mut reports = Vec::new();
    let plan = Plan::gather_only(ConnectPlan::from_args(&connect_args(first), &[])?);
    runtime.block_on(run_jobs(&plan, None, |r| reports.push(r)));

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
                let (p, proto, _) = MAIL_PORTS[i];
                url(p, proto, TlsMode::Starttls)
            })
            .collect();
        let plan = Plan::gather_only(ConnectPlan::from_args(&connect_args(targets), &[])?);
        let mut second = Vec::new();
        runtime.block_on(run_jobs(&plan, None, |r| second.push(r)));
        for (i, report) in again.into_iter().zip(second) {
            reports[i] = report;
        }
    }
    let ports = MAIL_PORTS
        .iter()
        .zip(reports)
        .map(|(&(standard, protocol, _), report)| scan::PortResult {
            standard_port: standard,
            port: actual(standard),
            protocol,
            answer: scan::classify(&report).unwrap_or(scan::Answer::Broken),
            verdict: report.verdict,
            report,
        })
        .collect();
    let doc = ScanDocument::new(&host, ports);
    let text = match args.format {
        ScanFormatArg::Human => output::render_scan(&doc),
        ScanFormatArg::Json => {
            let mut text = serde_json::to_string_pretty(&doc).unwrap_or_default();
            text.push('\n');
            text
        }
    };
    out.write_all(text.as_bytes()).map_err(AppError::Output)?;
    out.flush().map_err(AppError::Output)?;
    Ok(doc.exit_code)
}

/// Checks every job of the plan and hands each report to `sink` in input order,
/// as soon as it and all before it are done. At most `limits.concurrency` checks
/// run at once, and at most `limits.per_host` against any one host. Every job
/// yields a report (one per address with `--all-addresses`), failures included.
pub async fn run_jobs(plan: &Plan, progress: Option<ProgressBar>, mut sink: impl FnMut(Report)) {
    let limits = plan.limits;
    let global = Arc::new(Semaphore::new(limits.concurrency.max(1)));
    let mut per_host: HashMap<String, Arc<Semaphore>> = HashMap::new();
    let settings = Arc::new(plan.settings.clone());
    let policy = plan.policy;
    let mut tasks = Vec::with_capacity(plan.jobs.len());
    for job in &plan.jobs {
        let target = match job {
            Job::Check(target) => target.clone(),
            Job::Invalid { input, error } => {
                tasks.push(Pending::Ready(vec![Report::invalid_input(input, error)]));
                if let Some(bar) = &progress {
                    bar.inc(1);
                }
                continue;
            }
        };
        let host = per_host
            .entry(target.host.to_string().to_ascii_lowercase())
            .or_insert_with(|| Arc::new(Semaphore::new(limits.per_host.max(1))))
            .clone();
        let (global, settings, progress) = (global.clone(), settings.clone(), progress.clone());
        let probe = plan.probe.clone();
        let fallback = target.clone();
        let handle = tokio::spawn(async move {
            // Semaphores are never closed, so acquiring cannot fail. The host's
            // permit comes first so a busy host does not hold global slots idle.
            let _host = host.acquire_owned().await;
            let _slot = global.acquire_owned().await;
            // Boxed: a check's state machine is large, and tasks still waiting for
            // a permit would otherwise each hold room for one.
            let mut all_facts = if limits.all_addresses {
                Box::pin(check_every_address(target, &settings)).await
            } else {
                vec![Box::pin(run_check_at(target, None, &settings)).await]
            };
            if let Some(options) = &probe {
                // Each address checked is probed: they may differ.
                for facts in &mut all_facts {
                    facts.probe =
                        Box::pin(probe_checked_target(facts, &settings, options.clone())).await;
                    check::adopt_legacy_chain(facts, &settings);
                }
            }
            if let Some(bar) = &progress {
                bar.inc(1);
            }
            all_facts
        });
        tasks.push(Pending::Running(fallback, handle));
    }
    for task in tasks {
        let reports = match task {
            Pending::Ready(reports) => reports,
            Pending::Running(target, handle) => {
                // A check that panicked still yields a report: nothing is lost.
                let all_facts = handle.await.unwrap_or_else(|e| {
                    let mut facts = CheckFacts::new(target);
                    facts.stopped = Some(Stop::from(CheckError::Internal {
                        detail: e.to_string(),
                    }));
                    vec![facts]
                });
                let mut reports: Vec<Report> = all_facts
                    .into_iter()
                    .map(|facts| Report::new(facts, &policy))
                    .collect();
                compare::addresses(&mut reports);
                reports
            }
        };
        for report in reports {
            sink(report);
        }
    }
}

enum Pending {
    Ready(Vec<Report>),
    Running(
        crate::target::Target,
        tokio::task::JoinHandle<Vec<CheckFacts>>,
    ),
}

/// `--all-addresses`: resolve once, then check each address in turn (the host's
/// connection budget already covers this task, so addresses are not run in
/// parallel). A name that does not resolve yields the one report saying so.
async fn check_every_address(
    target: crate::target::Target,
    settings: &check::CheckSettings,
) -> Vec<CheckFacts> {
    let started = tokio::time::Instant::now();
    let mut addresses: Vec<SocketAddr> =
        match check::resolve(&target, settings, started + settings.timeout).await {
            Ok(addresses) => addresses,
            Err(error) => {
                // One report says why, from this lookup (not a second one).
                let mut facts = CheckFacts::new(target);
                facts.stopped = Some(Stop::from(error));
                facts.duration_ms = started.elapsed().as_millis() as u64;
                return vec![facts];
            }
        };
    // getaddrinfo may list an address once per socket type.
    let mut seen = std::collections::HashSet::new();
    addresses.retain(|a| seen.insert(*a));
    let mut all = Vec::with_capacity(addresses.len());
    for address in addresses {
        all.push(run_check_at(target.clone(), Some(address), settings).await);
    }
    all
}

/// Writes `DIR/HOST_PORT-N.pem` for every certificate; returns what was written,
/// one line each, for the user.
fn write_chain_files(dir: &Path, reports: &[Report]) -> Result<String, AppError> {
    std::fs::create_dir_all(dir).map_err(|e| AppError::Write {
        path: dir.to_owned(),
        source: e,
    })?;
    let mut summary = String::new();
    for report in reports {
        let Some(facts) = &report.facts else {
            summary.push_str(&format!("{}: {}\n", report.input, report.headline));
            continue;
        };
        let target = &facts.target;
        // IPv6 colons and other odd characters do not belong in file names.
        let host: String = target
            .host
            .to_string()
            .chars()
            .map(|c| {
                if c.is_ascii_alphanumeric() || c == '.' || c == '-' {
                    c
                } else {
                    '_'
                }
            })
            .collect();
        let chain = facts.tls.as_ref().map_or(&[][..], |t| &t.chain[..]);
        if chain.is_empty() {
            let why = output::pem::no_chain_reason(facts);
            summary.push_str(&format!(
                "{}:{}: no certificates: {why}\n",
                target.host, target.port
            ));
        }
        for (i, der) in chain.iter().enumerate() {
            let path = dir.join(format!("{host}_{}-{i}.pem", target.port));
            let pem = output::pem::certificate_pem(der, facts.certificates.get(i), i);
            std::fs::write(&path, pem).map_err(|e| AppError::Write {
                path: path.clone(),
                source: e,
            })?;
            let subject = facts.certificates.get(i).map_or("", |c| c.subject.as_str());
            summary.push_str(&format!("{}  {subject}\n", path.display()));
        }
    }
    Ok(summary)
}

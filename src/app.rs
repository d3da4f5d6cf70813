//! Runs a command: plan, check every target concurrently, render once, pick the exit code.

use std::io::Write;
use std::path::Path;
use std::sync::Arc;

use tokio::sync::Semaphore;

use crate::check::{run_check, CheckError, CheckFacts, Stop};
use crate::cli::{Cli, ColorArg, Command};
use crate::diagnose::Policy;
use crate::output;
use crate::plan::{ConnectPlan, Plan, PlanError, DEFAULT_CONCURRENCY};
use crate::report::{Document, Report};

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
}

/// Runs the parsed command line, writing the report to `out`. Returns the exit code.
pub fn run(cli: Cli, out: &mut dyn Write) -> Result<u8, AppError> {
    match cli.command {
        Command::Check(args) => {
            let plan = Plan::from_args(&args)?;
            let choice = match args.color {
                ColorArg::Auto => anstream::ColorChoice::Auto,
                ColorArg::Always => anstream::ColorChoice::Always,
                ColorArg::Never => anstream::ColorChoice::Never,
            };
            choice.write_global();
            let runtime = tokio::runtime::Builder::new_multi_thread()
                .enable_all()
                .build()
                .map_err(AppError::Runtime)?;
            let document = runtime.block_on(run_plan(&plan));
            let text = output::render(&document, plan.format, plan.human);
            out.write_all(text.as_bytes()).map_err(AppError::Output)?;
            out.flush().map_err(AppError::Output)?;
            Ok(document.summary.exit_code)
        }
        Command::Certs(args) => {
            let ConnectPlan { targets, settings } = ConnectPlan::from_args(&args.connect)?;
            let plan = Plan {
                targets,
                settings,
                policy: Policy::default(),
                format: output::Format::Human,
                human: output::HumanOptions::default(),
                concurrency: DEFAULT_CONCURRENCY,
            };
            let runtime = tokio::runtime::Builder::new_multi_thread()
                .enable_all()
                .build()
                .map_err(AppError::Runtime)?;
            let document = runtime.block_on(run_plan(&plan));
            let text = match &args.out {
                None => output::pem::render_chains(&document.reports),
                Some(dir) => write_chain_files(dir, &document.reports)?,
            };
            out.write_all(text.as_bytes()).map_err(AppError::Output)?;
            out.flush().map_err(AppError::Output)?;
            let all_sent = document
                .reports
                .iter()
                .all(|r| r.facts.tls.as_ref().is_some_and(|t| !t.chain.is_empty()));
            Ok(if all_sent { 0 } else { 3 })
        }
    }
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
        let facts = &report.facts;
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
            let why = facts
                .stopped
                .as_ref()
                .map_or("the server sent no certificate", |s| s.message.as_str());
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

/// Checks every target of the plan, at most `plan.concurrency` at once, and returns
/// one report per target in the order given, failures included.
pub async fn run_plan(plan: &Plan) -> Document {
    let limit = Arc::new(Semaphore::new(plan.concurrency.max(1)));
    let settings = Arc::new(plan.settings.clone());
    let mut tasks = Vec::with_capacity(plan.targets.len());
    for target in &plan.targets {
        let (limit, settings, target) = (limit.clone(), settings.clone(), target.clone());
        tasks.push((
            target.clone(),
            tokio::spawn(async move {
                // The semaphore is never closed, so acquiring cannot fail.
                let _permit = limit.acquire_owned().await;
                run_check(target, &settings).await
            }),
        ));
    }
    let mut reports = Vec::with_capacity(tasks.len());
    for (target, task) in tasks {
        // A check that panicked still yields a report: nothing is lost.
        let facts = task.await.unwrap_or_else(|e| {
            let mut facts = CheckFacts::new(target);
            facts.stopped = Some(Stop::from(CheckError::Internal {
                detail: e.to_string(),
            }));
            facts
        });
        reports.push(Report::new(facts, &plan.policy));
    }
    Document::new(reports)
}

//! Runs a command: plan, check every target concurrently, render once, pick the exit code.

use std::io::Write;
use std::sync::Arc;

use tokio::sync::Semaphore;

use crate::check::{run_check, CheckError, CheckFacts, Stop};
use crate::cli::{Cli, ColorArg, Command};
use crate::output;
use crate::plan::{Plan, PlanError};
use crate::report::{Document, Report};
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
    }
}

/// Checks every target of the plan, at most `plan.concurrency` at once, and returns
/// one report per target in the order given, failures included.
pub async fn run_plan(plan: &Plan) -> Document {
    let limit = Arc::new(Semaphore::new(plan.concurrency.max(1)));
    let settings = Arc::new(plan.settings.clone());
    let mut tasks = Vec::with_capacity(plan.targets.len());
    for target in &plan.targets {
        let (limit, settings, target) = (limit.clone(), settings.clone(), target.clone());
        let probe = plan.probe.clone();
        tasks.push((
            target.clone(),
            tokio::spawn(async move {
                // The semaphore is never closed, so acquiring cannot fail.
                let _permit = limit.acquire_owned().await;
                let mut facts = run_check(target, &settings).await;
                if let Some(options) = probe {
                    facts.probe = probe_checked_target(&facts, &settings, options).await;
                }
                facts
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

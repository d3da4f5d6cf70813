//! The engine: runs a plan's jobs concurrently within its limits and hands back
//! every job's facts in input order. Nothing is lost: every job yields an
//! outcome, a check that panicked included.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::Arc;

use indicatif::ProgressBar;
use tokio::sync::Semaphore;

use crate::facts::stop::{CheckError, Stop};
use crate::facts::target::Target;
use crate::facts::CheckFacts;
use crate::gather::{net, run_check_at, CheckSettings};
use crate::plan::{ConnectPlan, Job};

/// The stack of each runtime worker thread: the main thread's 8 MiB rather
/// than tokio's 2 MiB. hickory's DNSSEC validation polls deeply nested
/// futures; through a DNS server that strips signatures, a `domain` run of a
/// debug build overflowed 2 MiB (tests/domain.rs has the case).
pub const WORKER_STACK: usize = 8 << 20;

/// What one job produced.
#[derive(Debug)]
pub enum Outcome {
    /// The facts of each address checked (one, unless `--all-addresses`).
    Checked(Vec<CheckFacts>),
    /// An input that is not a target, and why.
    Invalid { input: String, error: String },
}

/// Checks every job of the plan and hands each outcome to `sink` in input
/// order, as soon as it and all before it are done. At most
/// `limits.concurrency` checks run at once, and at most `limits.per_host`
/// against any one host.
pub async fn run_jobs(
    plan: &ConnectPlan,
    progress: Option<ProgressBar>,
    mut sink: impl FnMut(Outcome),
) {
    let limits = plan.limits;
    let global = Arc::new(Semaphore::new(limits.concurrency.max(1)));
    let mut per_host: HashMap<String, Arc<Semaphore>> = HashMap::new();
    let mut tasks = Vec::with_capacity(plan.jobs.len());
    for job in &plan.jobs {
        let target = match job {
            Job::Check(target) => target.clone(),
            Job::Invalid { input, error } => {
                tasks.push(Pending::Ready(Outcome::Invalid {
                    input: input.clone(),
                    error: error.clone(),
                }));
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
        let (global, settings, progress) =
            (global.clone(), plan.settings.clone(), progress.clone());
        let fallback = target.clone();
        let handle = tokio::spawn(async move {
            // Semaphores are never closed, so acquiring cannot fail. The host's
            // permit comes first so a busy host does not hold global slots idle.
            let _host = host.acquire_owned().await;
            let _slot = global.acquire_owned().await;
            // Boxed: a check's state machine is large, and tasks still waiting for
            // a permit would otherwise each hold room for one.
            let all_facts = if limits.all_addresses {
                Box::pin(check_every_address(target, &settings)).await
            } else {
                vec![Box::pin(run_check_at(target, None, &settings)).await]
            };
            if let Some(bar) = &progress {
                bar.inc(1);
            }
            all_facts
        });
        tasks.push(Pending::Running(fallback, handle));
    }
    for task in tasks {
        let outcome = match task {
            Pending::Ready(outcome) => outcome,
            Pending::Running(target, handle) => {
                // A check that panicked still yields a report: nothing is lost.
                Outcome::Checked(handle.await.unwrap_or_else(|e| {
                    let mut facts = CheckFacts::new(target);
                    facts.stopped = Some(Stop::from(CheckError::Internal {
                        detail: e.to_string(),
                    }));
                    vec![facts]
                }))
            }
        };
        sink(outcome);
    }
}

enum Pending {
    Ready(Outcome),
    Running(Target, tokio::task::JoinHandle<Vec<CheckFacts>>),
}

/// `--all-addresses`: resolve once, then check each address in turn (the host's
/// connection budget already covers this task, so addresses are not run in
/// parallel). A name that does not resolve yields the one report saying so.
async fn check_every_address(target: Target, settings: &Arc<CheckSettings>) -> Vec<CheckFacts> {
    let started = tokio::time::Instant::now();
    let mut addresses: Vec<SocketAddr> =
        match net::resolve(&target, settings, started + settings.timeout).await {
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

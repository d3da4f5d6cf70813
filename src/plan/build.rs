//! From clap's types to the plan: the one reader of [`crate::cli`].
//!
//! Every command that connects builds its settings through [`settings`], so a
//! connection option means the same everywhere; targets files and standard
//! input are read here, once.

use std::collections::HashMap;
use std::io::Read;
use std::sync::Arc;

use clap::CommandFactory;

use super::{
    CertsPlan, CheckPlan, Color, ConnectPlan, ExplainPlan, Job, Judgement, Limits, Plan, PlanError,
    ReportSource, ScanFormat, ScanPlan, ScanPort,
};
use crate::cli::{
    CheckArgs, Cli, ColorArg, Command, ConnectArgs, ConnectionArgs, FailOnArg, FormatArg,
    JudgementArgs, ProtocolArg, ScanArgs, ScanFormatArg, TrustArg,
};
use crate::diagnose::{Policy, Severity};
use crate::facts::protocol::{mail_ports, Protocol, TlsMode};
use crate::facts::target::{Target, TargetSpec};
use crate::facts::tls::TrustBase;
use crate::gather::probe::ProbeOptions;
use crate::gather::tls::trust::{CaFiles, TrustComparison, TrustStore, VerificationCache};
use crate::gather::tls::{ClientIdentity, TlsClient};
use crate::gather::CheckSettings;
use crate::output::{Format, HumanOptions};

/// The plan for a parsed command line.
pub fn from_cli(cli: Cli) -> Result<Plan, PlanError> {
    build(cli.command)
}

/// The plan for one command.
pub fn build(command: Command) -> Result<Plan, PlanError> {
    match command {
        Command::Check(args) => check(&args).map(Plan::Check),
        Command::Certs(args) => Ok(Plan::Certs(CertsPlan {
            connect: connect(&args.connect)?,
            out: args.out,
        })),
        Command::Scan(args) => scan(&args).map(Plan::Scan),
        Command::Explain(args) => Ok(Plan::Explain(ExplainPlan {
            source: match args.report.as_os_str() == "-" {
                true => ReportSource::Stdin,
                false => ReportSource::File(args.report),
            },
            judgement: judgement(&args.judgement)?,
        })),
        Command::Completions { shell } => {
            let mut text = Vec::new();
            clap_complete::generate(shell, &mut Cli::command(), "mailtls", &mut text);
            Ok(Plan::Print(text))
        }
        Command::Man => {
            let mut text = Vec::new();
            clap_mangen::Man::new(Cli::command())
                .render(&mut text)
                .map_err(PlanError::Manual)?;
            Ok(Plan::Print(text))
        }
    }
}

fn check(args: &CheckArgs) -> Result<CheckPlan, PlanError> {
    let judgement = judgement(&args.judgement)?;
    let mut connect = connect(&args.connect)?;
    let settings = Arc::make_mut(&mut connect.settings);
    settings.fetch_missing = args.fetch_missing;
    settings.audit = args.audit;
    settings.probe = args.probe.then(|| ProbeOptions {
        concurrency: usize::from(args.probe_concurrency),
        connection_timeout: args.connect.connection.timeout,
        server_name: None,
        deadline: None,
    });
    Ok(CheckPlan { connect, judgement })
}

fn judgement(args: &JudgementArgs) -> Result<Judgement, PlanError> {
    if args.crit_days > args.warn_days {
        return Err(PlanError::Days {
            warn: args.warn_days,
            crit: args.crit_days,
        });
    }
    Ok(Judgement {
        policy: Policy {
            warn_days: args.warn_days,
            crit_days: args.crit_days,
        },
        format: match args.format {
            FormatArg::Human => Format::Human,
            FormatArg::Json => Format::Json,
            FormatArg::Ndjson => Format::Ndjson,
            FormatArg::Nagios => Format::Nagios,
        },
        human: HumanOptions {
            transcript: args.transcript,
        },
        fail_on: match args.fail_on {
            FailOnArg::Warning => Severity::Warning,
            FailOnArg::Critical => Severity::Critical,
        },
        quiet: args.quiet,
        color: color(args.color),
    })
}

fn color(arg: ColorArg) -> Color {
    match arg {
        ColorArg::Auto => Color::Auto,
        ColorArg::Always => Color::Always,
        ColorArg::Never => Color::Never,
    }
}

/// The targets of a connecting command. Those listed in `--targets-file` or on
/// standard input that are malformed become [`Job::Invalid`] results; a
/// malformed target on the command line is a usage error instead, said at once.
fn connect(args: &ConnectArgs) -> Result<ConnectPlan, PlanError> {
    let listed = listed_targets(args)?;
    let protocol = args.protocol.map(|p| match p {
        ProtocolArg::Imap => Protocol::Imap,
        ProtocolArg::Pop3 => Protocol::Pop3,
        ProtocolArg::Smtp => Protocol::Smtp,
        ProtocolArg::Sieve => Protocol::Sieve,
    });
    let mode = match (args.starttls, args.implicit_tls) {
        (true, _) => Some(TlsMode::Starttls),
        (_, true) => Some(TlsMode::Implicit),
        _ => None,
    };
    let parse = |text: &str| TargetSpec::parse(text)?.resolve(protocol, mode);
    let mut jobs = Vec::new();
    for word in args.targets.iter().filter(|t| t.as_str() != "-") {
        jobs.push(Job::Check(parse(word)?));
    }
    jobs.extend(listed.iter().map(|line| match parse(line) {
        Ok(target) => Job::Check(target),
        Err(e) => Job::Invalid {
            input: line.clone(),
            error: e.to_string(),
        },
    }));
    if jobs.is_empty() {
        return Err(PlanError::NoTargets);
    }
    // After the check for targets: a shard that no host falls into is an empty run, not an error.
    if let Some((k, n)) = args.shard {
        jobs.retain(|job| super::shard::of(job, n) == k - 1);
    }
    Ok(ConnectPlan {
        jobs,
        settings: Arc::new(settings(&args.connection)?),
        limits: Limits {
            concurrency: args.concurrency as usize,
            per_host: args.per_host as usize,
            all_addresses: args.all_addresses,
        },
    })
}

/// The targets listed in `--targets-file` and, for a `-` target, on standard input.
fn listed_targets(args: &ConnectArgs) -> Result<Vec<String>, PlanError> {
    let mut lines = Vec::new();
    if let Some(path) = &args.targets_file {
        let text = std::fs::read_to_string(path).map_err(|source| PlanError::ReadTargets {
            from: path.display().to_string(),
            source,
        })?;
        lines.extend(super::target_lines(&text));
    }
    if args.targets.iter().any(|t| t == "-") {
        let mut text = String::new();
        std::io::stdin()
            .read_to_string(&mut text)
            .map_err(|source| PlanError::ReadTargets {
                from: "standard input".to_owned(),
                source,
            })?;
        lines.extend(super::target_lines(&text));
    }
    Ok(lines)
}

/// How to reach servers and judge their certificates; the same for every command.
fn settings(args: &ConnectionArgs) -> Result<CheckSettings, PlanError> {
    if let Some(sni) = &args.sni {
        if rustls::pki_types::ServerName::try_from(sni.as_str()).is_err() {
            return Err(PlanError::BadSni(sni.clone()));
        }
    }
    let base = match args.trust {
        TrustArg::Mozilla => TrustBase::Mozilla,
        TrustArg::System => TrustBase::System,
    };
    let provider = TlsClient::default_provider();
    let ca_files = CaFiles::read(&args.ca_files)?;
    // One cache of chain verdicts for every store of the run (off only to
    // measure what it saves: --no-verify-cache).
    let cache = (!args.no_verify_cache)
        .then(|| Arc::new(VerificationCache::new(VerificationCache::CAPACITY)));
    let trust = TrustStore::load(base, &ca_files, &provider)?.with_cache(cache.clone());
    let compare = TrustComparison::load(&ca_files, &provider).with_cache(cache);
    let identity = match (&args.client_cert, &args.client_key) {
        (Some(cert), Some(key)) => Some(ClientIdentity::load(cert, key, &provider)?),
        _ => None,
    };
    Ok(CheckSettings {
        tls: TlsClient::new(provider, trust, !args.no_sni).with_identity(identity),
        timeout: args.timeout,
        ehlo_name: args.ehlo_name.clone(),
        server_name: args.sni.clone(),
        compare,
        fetch_missing: false,
        audit: false,
        probe: None,
        resolve: args
            .resolve
            .iter()
            .fold(HashMap::new(), |mut map, (name, ip)| {
                map.entry(name.clone()).or_insert_with(Vec::new).push(*ip);
                map
            }),
    })
}

fn scan(args: &ScanArgs) -> Result<ScanPlan, PlanError> {
    let host = args
        .host
        .trim_start_matches('[')
        .trim_end_matches(']')
        .to_owned();
    let written = if host.contains(':') {
        format!("[{host}]")
    } else {
        host.clone()
    };
    let parsed = TargetSpec::parse(&written)?.host;
    let actual = |standard: u16| {
        args.port_map
            .iter()
            .rev()
            .find(|(s, _)| *s == standard)
            .map_or(standard, |(_, a)| *a)
    };
    let ports = mail_ports()
        .map(|(standard, protocol, mode)| ScanPort {
            standard_port: standard,
            target: Target::at(parsed.clone(), actual(standard), protocol, mode),
        })
        .collect();
    Ok(ScanPlan {
        host,
        ports,
        settings: Arc::new(settings(&args.connection)?),
        limits: Limits {
            concurrency: 8,
            per_host: args.per_host as usize,
            all_addresses: false,
        },
        format: match args.format {
            ScanFormatArg::Human => ScanFormat::Human,
            ScanFormatArg::Json => ScanFormat::Json,
        },
        color: color(args.color),
    })
}

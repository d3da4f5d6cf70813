//! From clap's types to the plan: the one reader of [`crate::cli`].
//!
//! Every command that connects builds its settings through [`settings`], so a
//! connection option means the same everywhere; targets files and standard
//! input are read here, once.

use std::collections::HashMap;
use std::io::Read;
use std::sync::Arc;

use clap::CommandFactory;

use super::exporter::{
    ConfigFile, ExporterModule, ExporterPlan, ModuleConfig, DEFAULT_MODULE, DEFAULT_TIMEOUT,
};
use super::{
    AccountFormat, AccountInput, AccountPlan, CertsPlan, CheckPlan, Color, ConnectPlan, DomainPlan,
    ExplainPlan, Job, Judgement, Limits, Plan, PlanError, ReportSource, ScanFormat, ScanPlan,
    ScanPort, TargetLine,
};
use crate::cli::{
    AccountArgs, AccountFormatArg, CheckArgs, Cli, ColorArg, Command, ConnectArgs, ConnectionArgs,
    DnssecArgs, DomainArgs, ExporterArgs, FailOnArg, FormatArg, JudgementArgs, ProfileArg,
    ProtocolArg, ScanArgs, ScanFormatArg, TrustArg,
};
use crate::diagnose::clients::ClientSet;
use crate::diagnose::profiles::MozillaProfile;
use crate::diagnose::{Policy, Severity};
use crate::facts::protocol::{mail_ports, Protocol, TlsMode};
use crate::facts::target::{Target, TargetSpec};
use crate::facts::tls::StoreKind;
use crate::facts::tls::TrustBase;
use crate::gather::autoconfig::DocumentOptions;
use crate::gather::probe::ProbeOptions;
use crate::gather::tls::platforms::{self, PlatformStores};
use crate::gather::tls::trust::{
    read_roots, CaFiles, TrustComparison, TrustStore, VerificationCache,
};
use crate::gather::tls::{ClientIdentity, TlsClient};
use crate::gather::CheckSettings;
use crate::output::clients::{render_clients, StoreDate};
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
        Command::Account(args) => account(&args).map(Plan::Account),
        Command::Domain(args) => domain(&args).map(Plan::Domain),
        Command::Explain(args) => Ok(Plan::Explain(ExplainPlan {
            source: match args.report.as_os_str() == "-" {
                true => ReportSource::Stdin,
                false => ReportSource::File(args.report),
            },
            judgement: judgement(&args.judgement)?,
        })),
        Command::Clients => Ok(Plan::Print(clients_listing().into_bytes())),
        Command::Exporter(args) => exporter(&args).map(Plan::Exporter),
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

/// `mailtls clients`: the profiles, and the embedded stores' versions and dates.
fn clients_listing() -> String {
    let manifest = platforms::manifest();
    let stores: Vec<StoreDate> = platforms::PLATFORMS
        .iter()
        .filter_map(|&store| {
            let file = platforms::bundle_file(store)?;
            let row = manifest.iter().find(|m| m.file == file)?;
            Some(StoreDate {
                store,
                description: format!(
                    "{} {} roots, fetched {} ({})",
                    row.version.as_deref().unwrap_or(&row.platform),
                    row.count,
                    row.date_fetched,
                    row.used_by
                ),
            })
        })
        .collect();
    render_clients(&stores)
}

fn check(args: &CheckArgs) -> Result<CheckPlan, PlanError> {
    if args.judgement.profile.is_some() && !args.probe {
        return Err(PlanError::ProfileWithoutProbe);
    }
    let judgement = judgement(&args.judgement)?;
    let mut connect = connect(&args.connect)?;
    let settings = Arc::make_mut(&mut connect.settings);
    // The default now (AIA downloads are on unless --offline); kept for scripts.
    settings.fetch_missing |= args.fetch_missing && !args.connect.connection.offline;
    settings.audit = args.audit;
    settings.probe = args.probe.then(|| ProbeOptions {
        concurrency: usize::from(args.probe_concurrency),
        connection_timeout: args.connect.connection.timeout,
        server_name: None,
        deadline: None,
        keep_chain: false,
    });
    settings.dane = match args.dane {
        true => Some(Arc::new(dane_options(
            &args.dnssec,
            args.connect.connection.timeout,
        )?)),
        false => None,
    };
    Ok(CheckPlan { connect, judgement })
}

/// Where DANE's questions go and the trust anchors they are validated from.
fn dane_options(
    args: &DnssecArgs,
    timeout: std::time::Duration,
) -> Result<crate::gather::dane::DaneOptions, PlanError> {
    Ok(crate::gather::dane::DaneOptions::new(
        args.dns_server,
        timeout,
        args.trust_anchor.as_deref(),
    )?)
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
            clients: ClientSet::of(args.clients.iter().map(String::as_str))
                .map_err(PlanError::UnknownClient)?,
            profile: args.profile.map(|p| match p {
                ProfileArg::MozillaOld => MozillaProfile::Old,
                ProfileArg::MozillaIntermediate => MozillaProfile::Intermediate,
                ProfileArg::MozillaModern => MozillaProfile::Modern,
            }),
        },
        format: match args.format {
            FormatArg::Human => Format::Human,
            FormatArg::Json => Format::Json,
            FormatArg::Ndjson => Format::Ndjson,
            FormatArg::Nagios => Format::Nagios,
            FormatArg::Junit => Format::Junit,
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
    jobs.extend(listed.into_iter().map(|line| match line {
        TargetLine::Text(line) => match parse(&line) {
            Ok(target) => Job::Check(target),
            Err(e) => Job::Invalid {
                input: line,
                error: e.to_string(),
            },
        },
        TargetLine::NotUtf8 { number, shown } => Job::Invalid {
            input: shown,
            error: TargetLine::not_utf8_error(number),
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

/// The targets listed in `--targets-file` and, for a `-` target, on standard
/// input: read as bytes, so a line that is not UTF-8 spoils only itself.
fn listed_targets(args: &ConnectArgs) -> Result<Vec<TargetLine>, PlanError> {
    let mut lines = Vec::new();
    if let Some(path) = &args.targets_file {
        let bytes = std::fs::read(path).map_err(|error| PlanError::ReadTargets {
            from: path.display().to_string(),
            error,
        })?;
        lines.extend(super::target_lines(&bytes));
    }
    if args.targets.iter().any(|t| t == "-") {
        let mut bytes = Vec::new();
        std::io::stdin()
            .read_to_end(&mut bytes)
            .map_err(|error| PlanError::ReadTargets {
                from: "standard input".to_owned(),
                error,
            })?;
        lines.extend(super::target_lines(&bytes));
    }
    Ok(lines)
}

/// The platform stores given by file (`--platform-store`).
fn replaced_platforms(
    given: &[(String, std::path::PathBuf)],
) -> Result<Vec<(StoreKind, Vec<rustls::pki_types::CertificateDer<'static>>)>, PlanError> {
    given
        .iter()
        .filter_map(|(name, path)| PlatformStores::named(name).map(|kind| (kind, path)))
        .map(|(kind, path)| Ok((kind, read_roots(path)?)))
        .collect()
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
    let compare = TrustComparison::load(&ca_files, &provider).with_cache(cache.clone());
    let identity = match (&args.client_cert, &args.client_key) {
        (Some(cert), Some(key)) => Some(ClientIdentity::load(cert, key, &provider)?),
        _ => None,
    };
    Ok(CheckSettings {
        tls: TlsClient::new(provider.clone(), trust, !args.no_sni).with_identity(identity),
        timeout: args.timeout,
        ehlo_name: args.ehlo_name.clone(),
        server_name: args.sni.clone(),
        compare,
        platforms: PlatformStores::load(
            &provider,
            &replaced_platforms(&args.platform_stores)?,
            cache,
        ),
        fetch_missing: !args.offline,
        revocation: args.revocation,
        http_client: Default::default(),
        fetched: Default::default(),
        audit: false,
        probe: None,
        dane: None,
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

/// `mailtls account`: the address or domain, and discovery's options; the
/// checks' settings come from [`settings`] as every command's do.
fn account(args: &AccountArgs) -> Result<AccountPlan, PlanError> {
    let mut accounts = Vec::new();
    for given in &args.addresses {
        let (address, domain) = crate::facts::discovery::domain_of(given)
            .ok_or_else(|| PlanError::NotAnAddress(given.clone()))?;
        let input = AccountInput { address, domain };
        if !accounts.contains(&input) {
            accounts.push(input);
        }
    }
    let mut settings = settings(&args.connection)?;
    if args.dane {
        settings.dane = Some(Arc::new(dane_options(
            &DnssecArgs {
                dns_server: args.dns_server,
                trust_anchor: args.trust_anchor.clone(),
            },
            args.connection.timeout,
        )?));
    }
    let documents = (!args.connection.offline).then(|| DocumentOptions {
        ispdb_url: args.ispdb_url.clone(),
        trust: settings.tls.trust().clone(),
        provider: settings.tls.provider().clone(),
    });
    Ok(AccountPlan {
        accounts,
        discover: crate::gather::discover::DiscoverOptions {
            name_server: args.dns_server,
            guess: !args.no_guess,
            timeout: args.connection.timeout,
            documents,
        },
        settings: Arc::new(settings),
        format: match args.format {
            AccountFormatArg::Human => AccountFormat::Human,
            AccountFormatArg::Json => AccountFormat::Json,
            AccountFormatArg::Ndjson => AccountFormat::Ndjson,
        },
        color: color(args.color),
    })
}

/// `mailtls domain`: the domain, DANE's options, and the MX hosts' check
/// settings from [`settings`] as every command's, with DANE on.
fn domain(args: &DomainArgs) -> Result<DomainPlan, PlanError> {
    let domain = args.domain.trim_end_matches('.').to_ascii_lowercase();
    let valid = domain.contains('.')
        && domain.split('.').all(|label| {
            !label.is_empty()
                && label.len() <= 63
                && label
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
        });
    if !valid {
        return Err(PlanError::NotADomain(args.domain.clone()));
    }
    let dane = Arc::new(dane_options(&args.dnssec, args.connection.timeout)?);
    let mut settings = settings(&args.connection)?;
    settings.dane = Some(dane.clone());
    Ok(DomainPlan {
        domain,
        dane,
        settings: Arc::new(settings),
        format: match args.format {
            ScanFormatArg::Human => ScanFormat::Human,
            ScanFormatArg::Json => ScanFormat::Json,
        },
        color: color(args.color),
    })
}

/// `mailtls exporter`: the modules of the configuration file, each built
/// through [`settings`] and [`judgement`] as `check` is.
fn exporter(args: &ExporterArgs) -> Result<ExporterPlan, PlanError> {
    let file = match &args.config {
        None => ConfigFile {
            modules: [(DEFAULT_MODULE.to_owned(), ModuleConfig::default())].into(),
        },
        Some(path) => {
            let shown = path.display().to_string();
            let text = std::fs::read_to_string(path).map_err(|error| PlanError::ReadConfig {
                path: shown.clone(),
                error,
            })?;
            toml::from_str(&text).map_err(|e| PlanError::BadConfig {
                path: shown.clone(),
                detail: e.to_string(),
            })?
        }
    };
    let mut modules = std::collections::BTreeMap::new();
    for (name, config) in file.modules {
        let module = exporter_module(&name, &config).map_err(|e| match e {
            PlanError::Module { .. } => e,
            other => PlanError::Module {
                module: name.clone(),
                detail: other.to_string(),
            },
        })?;
        modules.insert(name, module);
    }
    Ok(ExporterPlan {
        listen: args.listen,
        max_probes: args.max_probes as usize,
        modules,
    })
}

fn exporter_module(name: &str, config: &ModuleConfig) -> Result<ExporterModule, PlanError> {
    let invalid = |detail: String| PlanError::Module {
        module: name.to_owned(),
        detail,
    };
    let timeout = match &config.timeout {
        Some(text) => crate::cli::parse_duration(text).map_err(invalid)?,
        None => DEFAULT_TIMEOUT,
    };
    if config.client_cert.is_some() != config.client_key.is_some() {
        return Err(invalid("client_cert and client_key go together".to_owned()));
    }
    let connection = ConnectionArgs {
        resolve: Vec::new(),
        sni: config.sni.clone(),
        no_sni: config.no_sni,
        ehlo_name: config.ehlo_name.clone(),
        trust: match config.trust.unwrap_or(TrustBase::Mozilla) {
            TrustBase::Mozilla => TrustArg::Mozilla,
            TrustBase::System => TrustArg::System,
        },
        ca_files: config.ca_files.clone(),
        client_cert: config.client_cert.clone(),
        client_key: config.client_key.clone(),
        offline: !config.download_missing_intermediates,
        revocation: false,
        platform_stores: Vec::new(),
        no_verify_cache: false,
        timeout,
    };
    let judged = judgement(&JudgementArgs {
        warn_days: config.warn_days.unwrap_or(30),
        crit_days: config.crit_days.unwrap_or(7),
        format: FormatArg::Json,
        fail_on: FailOnArg::Warning,
        quiet: true,
        transcript: false,
        color: ColorArg::Never,
        clients: config.clients.clone(),
        profile: None,
    })?;
    let mut settings = settings(&connection)?;
    settings.audit = config.audit;
    settings.probe = config.probe.then_some(ProbeOptions {
        concurrency: 4,
        connection_timeout: timeout,
        server_name: None,
        deadline: None,
        keep_chain: false,
    });
    Ok(ExporterModule {
        name: name.to_owned(),
        protocol: config.protocol,
        mode: config.tls,
        settings: Arc::new(settings),
        policy: judged.policy,
        allow: config.allow_list().map_err(invalid)?,
        clients: config.clients.clone(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_exporter_module_downloads_nothing_the_server_names_unless_asked() {
        let quiet = exporter_module("m", &ModuleConfig::default()).expect("module");
        assert!(!quiet.settings.fetch_missing);
        let asked = ModuleConfig {
            download_missing_intermediates: true,
            ..ModuleConfig::default()
        };
        let fetching = exporter_module("m", &asked).expect("module");
        assert!(fetching.settings.fetch_missing);
    }
}

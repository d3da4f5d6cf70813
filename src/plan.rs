//! The checked, complete description of a run, built once from the arguments.
//!
//! This is the only module that reads clap types; everything after it sees core types.

use std::collections::HashMap;

use crate::check::CheckSettings;
use crate::cli::{CheckArgs, ConnectArgs, FailOnArg, FormatArg, ProtocolArg, TrustArg};
use crate::diagnose::{Policy, Severity};
use crate::output::{Format, HumanOptions};
use crate::protocol::{Protocol, TlsMode};
use crate::target::{Target, TargetError, TargetSpec};
use crate::tls::probe::ProbeOptions;
use crate::tls::trust::{CaFiles, TrustBase, TrustComparison, TrustError, TrustStore};
use crate::tls::{ClientIdentity, IdentityError, TlsClient};

/// One input of a run: a target to check, or a line that is not one (which still
/// yields a result saying why).
#[derive(Debug, Clone)]
pub enum Job {
    Check(Target),
    Invalid { input: String, error: String },
}

/// How checks are spread over time and servers.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    /// Checks at once, over all servers.
    pub concurrency: usize,
    /// Connections at once to any one host.
    pub per_host: usize,
    /// Check each address of a name separately.
    pub all_addresses: bool,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            concurrency: 64,
            per_host: 2,
            all_addresses: false,
        }
    }
}

#[derive(Debug)]
pub struct Plan {
    pub jobs: Vec<Job>,
    pub settings: CheckSettings,
    pub limits: Limits,
    pub policy: Policy,
    pub format: Format,
    pub human: HumanOptions,
    /// The least severity that fails the run (exit code non-zero).
    pub fail_on: Severity,
    /// No progress bar or summary on standard error.
    pub quiet: bool,
    /// The TLS probe to run after each check (`--probe`); `None` without it.
    pub probe: Option<ProbeOptions>,
}

/// A run that cannot start. Each is a usage or set-up error (exit code 3).
#[derive(Debug, thiserror::Error)]
pub enum PlanError {
    #[error(transparent)]
    Target(#[from] TargetError),
    #[error(transparent)]
    Trust(#[from] TrustError),
    #[error(transparent)]
    Identity(#[from] IdentityError),
    #[error("--sni {0:?} is not a valid server name")]
    BadSni(String),
    #[error("--crit-days ({crit}) must not be larger than --warn-days ({warn})")]
    Days { warn: i64, crit: i64 },
    #[error("no targets given (the targets file or standard input was empty)")]
    NoTargets,
}

/// What every connecting command needs: the inputs and how to check them.
#[derive(Debug)]
pub struct ConnectPlan {
    pub jobs: Vec<Job>,
    pub settings: CheckSettings,
    pub limits: Limits,
}

impl ConnectPlan {
    /// `listed` are the targets read from `--targets-file` or standard input: a
    /// malformed one becomes a [`Job::Invalid`] result. A malformed target on the
    /// command line is a usage error instead, said at once.
    pub fn from_args(args: &ConnectArgs, listed: &[String]) -> Result<ConnectPlan, PlanError> {
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
        let trust = TrustStore::load(base, &ca_files, &provider)?;
        let compare = TrustComparison::load(&ca_files, &provider);
        let identity = match (&args.client_cert, &args.client_key) {
            (Some(cert), Some(key)) => Some(ClientIdentity::load(cert, key, &provider)?),
            _ => None,
        };
        Ok(ConnectPlan {
            jobs,
            settings: CheckSettings {
                tls: TlsClient::new(provider, trust, !args.no_sni).with_identity(identity),
                timeout: args.timeout,
                ehlo_name: args.ehlo_name.clone(),
                server_name: args.sni.clone(),
                compare,
                fetch_missing: false,
                audit: false,
                resolve: args
                    .resolve
                    .iter()
                    .fold(HashMap::new(), |mut map, (name, ip)| {
                        map.entry(name.clone()).or_insert_with(Vec::new).push(*ip);
                        map
                    }),
            },
            limits: Limits {
                concurrency: args.concurrency as usize,
                per_host: args.per_host as usize,
                all_addresses: args.all_addresses,
            },
        })
    }
}

impl Plan {
    pub fn from_args(args: &CheckArgs, listed: &[String]) -> Result<Plan, PlanError> {
        if args.crit_days > args.warn_days {
            return Err(PlanError::Days {
                warn: args.warn_days,
                crit: args.crit_days,
            });
        }
        let ConnectPlan {
            jobs,
            mut settings,
            limits,
        } = ConnectPlan::from_args(&args.connect, listed)?;
        settings.fetch_missing = args.fetch_missing;
        settings.audit = args.audit;
        Ok(Plan {
            jobs,
            settings,
            limits,
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
            probe: args.probe.then(|| ProbeOptions {
                concurrency: usize::from(args.probe_concurrency),
                connection_timeout: args.connect.timeout,
                server_name: None,
            }),
        })
    }

    /// A plan for a command that only gathers (e.g. `certs`): no judgement options.
    pub fn gather_only(connect: ConnectPlan) -> Plan {
        Plan {
            jobs: connect.jobs,
            settings: connect.settings,
            limits: connect.limits,
            policy: Policy::default(),
            format: Format::Human,
            human: HumanOptions::default(),
            fail_on: Severity::Warning,
            quiet: true,
            probe: None,
        }
    }
}

/// Lines of a targets file: trimmed, without blanks and `#` comments.
pub fn target_lines(text: &str) -> Vec<String> {
    text.lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .map(str::to_owned)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn target_files_skip_blanks_and_comments() {
        let text =
            "# mail servers\nimap.example.org:993\n\n   smtp.example.org:587  \n#smtp.old:25\n";
        assert_eq!(
            target_lines(text),
            ["imap.example.org:993", "smtp.example.org:587"]
        );
    }
}

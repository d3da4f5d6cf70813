//! The checked, complete description of a run, built once from the arguments.
//!
//! This is the only module that reads clap types; everything after it sees core types.

use crate::check::CheckSettings;
use crate::cli::{CheckArgs, FormatArg, ProtocolArg, TrustArg};
use crate::diagnose::Policy;
use crate::output::{Format, HumanOptions};
use crate::protocol::{Protocol, TlsMode};
use crate::target::{Target, TargetError, TargetSpec};
use crate::tls::probe::ProbeOptions;
use crate::tls::trust::{TrustBase, TrustError, TrustStore};
use crate::tls::TlsClient;

/// How many checks run at once.
pub const DEFAULT_CONCURRENCY: usize = 32;

#[derive(Debug)]
pub struct Plan {
    pub targets: Vec<Target>,
    pub settings: CheckSettings,
    pub policy: Policy,
    pub format: Format,
    pub human: HumanOptions,
    pub concurrency: usize,
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
    #[error("--sni {0:?} is not a valid server name")]
    BadSni(String),
    #[error("--crit-days ({crit}) must not be larger than --warn-days ({warn})")]
    Days { warn: i64, crit: i64 },
}

impl Plan {
    pub fn from_args(args: &CheckArgs) -> Result<Plan, PlanError> {
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
        let targets = args
            .targets
            .iter()
            .map(|t| TargetSpec::parse(t)?.resolve(protocol, mode))
            .collect::<Result<Vec<_>, _>>()?;
        if let Some(sni) = &args.sni {
            if rustls::pki_types::ServerName::try_from(sni.as_str()).is_err() {
                return Err(PlanError::BadSni(sni.clone()));
            }
        }
        if args.crit_days > args.warn_days {
            return Err(PlanError::Days {
                warn: args.warn_days,
                crit: args.crit_days,
            });
        }
        let base = match args.trust {
            TrustArg::Mozilla => TrustBase::Mozilla,
            TrustArg::System => TrustBase::System,
        };
        let provider = TlsClient::default_provider();
        let trust = TrustStore::load(base, &args.ca_files, &provider)?;
        Ok(Plan {
            targets,
            settings: CheckSettings {
                tls: TlsClient::new(provider, trust, !args.no_sni),
                timeout: args.timeout,
                ehlo_name: args.ehlo_name.clone(),
                server_name: args.sni.clone(),
            },
            policy: Policy {
                warn_days: args.warn_days,
                crit_days: args.crit_days,
            },
            format: match args.format {
                FormatArg::Human => Format::Human,
                FormatArg::Json => Format::Json,
            },
            human: HumanOptions {
                transcript: args.transcript,
            },
            concurrency: DEFAULT_CONCURRENCY,
            probe: args.probe.then(|| ProbeOptions {
                concurrency: usize::from(args.probe_concurrency),
                connection_timeout: args.timeout,
                server_name: None,
            }),
        })
    }
}

//! Whether a module may probe a target, decided before anything is sent to it.
//!
//! A target is allowed when the module sets `allow_any_target = true`, when
//! its host name matches one of `allow_hosts`, or when every address it
//! resolves to (an address target: the address itself) lies in one of
//! `allow_networks`. In the last case the check is then pinned to exactly the
//! addresses that were allowed, so a second DNS answer cannot take it
//! elsewhere.

use std::net::IpAddr;

use tokio::time::Instant;

use crate::facts::target::{Host, Target};
use crate::gather::{net, CheckSettings};
use crate::plan::exporter::ExporterModule;

/// Why a target may not be probed: a sentence for the HTTP answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Refusal {
    NotAllowed(String),
}

/// The answer of a module that allows nothing (the one module without `--config`).
pub fn nothing_allowed(module: &ExporterModule) -> String {
    format!(
        "module {} allows no target: list allow_hosts or allow_networks in its [modules.{}] table of the --config file, or set allow_any_target = true",
        module.name, module.name
    )
}

/// The settings to check `target` with, if the module allows it.
pub async fn admit(
    target: &Target,
    module: &ExporterModule,
    deadline: Instant,
) -> Result<CheckSettings, Refusal> {
    let allow = &module.allow;
    let mut settings = CheckSettings::clone(&module.settings);
    let refuse = |why: String| {
        Refusal::NotAllowed(format!(
            "target {} is not allowed by module {}: {why}",
            target.host, module.name
        ))
    };
    if allow.is_empty() {
        return Err(Refusal::NotAllowed(nothing_allowed(module)));
    }
    match &target.host {
        Host::Name(name) if allow.allows_name(name) => Ok(settings),
        Host::Ip(ip) if allow.allows_addresses(&[*ip]) => Ok(settings),
        Host::Ip(_) => Err(refuse(
            "the address is in none of allow_networks".to_owned(),
        )),
        Host::Name(_) if allow.networks.is_empty() => {
            Err(refuse("the name matches none of allow_hosts".to_owned()))
        }
        Host::Name(name) => {
            let addresses: Vec<IpAddr> = net::resolve(target, &settings, deadline)
                .await
                .map_err(|e| {
                    refuse(format!(
                        "the name matches none of allow_hosts and its addresses could not be found ({e})"
                    ))
                })?
                .into_iter()
                .map(|a| a.ip())
                .collect();
            if !allow.allows_addresses(&addresses) {
                let outside: Vec<String> = addresses
                    .iter()
                    .filter(|ip| !allow.networks.iter().any(|n| n.contains(**ip)))
                    .map(IpAddr::to_string)
                    .collect();
                return Err(refuse(format!(
                    "the name matches none of allow_hosts, and not every address is in allow_networks (outside: {})",
                    outside.join(", ")
                )));
            }
            settings
                .resolve
                .insert(name.to_ascii_lowercase(), addresses);
            Ok(settings)
        }
    }
}

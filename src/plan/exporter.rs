//! `mailtls exporter`'s plan: where to listen, how many probes at once, and
//! the modules of the configuration file, each with its check settings and
//! the allow-list of targets it may probe. Also the file's own shape (TOML),
//! which `build` turns into these types through the same settings builder
//! as `check`.

use std::collections::BTreeMap;
use std::net::{IpAddr, SocketAddr};
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use serde::Deserialize;

use crate::diagnose::Policy;
use crate::facts::protocol::{Protocol, TlsMode};
use crate::facts::tls::TrustBase;
use crate::gather::CheckSettings;

/// `mailtls exporter`.
#[derive(Debug, Clone)]
pub struct ExporterPlan {
    pub listen: SocketAddr,
    /// Probes running at once; more wait (up to their timeout), then get 503.
    pub max_probes: usize,
    /// By name.
    pub modules: BTreeMap<String, ExporterModule>,
}

/// One module: how to check and which targets it may check.
#[derive(Debug, Clone)]
pub struct ExporterModule {
    pub name: String,
    /// For targets whose port implies neither (given here, they win).
    pub protocol: Option<Protocol>,
    pub mode: Option<TlsMode>,
    /// The check's settings; their `timeout` is the module's longest.
    pub settings: Arc<CheckSettings>,
    pub policy: Policy,
    pub allow: AllowList,
    /// The mail clients whose outcome the module reports (empty: all).
    pub clients: Vec<String>,
}

/// Which targets a module may probe: an explicit opt-in for any, or names
/// matching a pattern, or names and addresses whose every address lies in
/// the listed networks.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AllowList {
    pub any: bool,
    pub hosts: Vec<HostPattern>,
    pub networks: Vec<Network>,
}

impl AllowList {
    /// Whether the name itself is allowed (before looking at its addresses).
    pub fn allows_name(&self, name: &str) -> bool {
        self.any || self.hosts.iter().any(|p| p.matches(name))
    }

    /// Whether every one of `addresses` (and at least one) lies in a listed network.
    pub fn allows_addresses(&self, addresses: &[IpAddr]) -> bool {
        self.any
            || (!addresses.is_empty()
                && addresses
                    .iter()
                    .all(|ip| self.networks.iter().any(|n| n.contains(*ip))))
    }

    /// Nothing at all may be probed.
    pub fn is_empty(&self) -> bool {
        !self.any && self.hosts.is_empty() && self.networks.is_empty()
    }
}

/// `mail.example.org` (that name) or `*.example.org` (any name below it, not itself).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum HostPattern {
    Exact(String),
    Below(String),
}

impl HostPattern {
    pub fn parse(text: &str) -> Result<HostPattern, String> {
        let text = text.trim().trim_end_matches('.').to_ascii_lowercase();
        let (below, name) = match text.strip_prefix("*.") {
            Some(rest) => (true, rest.to_owned()),
            None => (false, text.clone()),
        };
        let valid = !name.is_empty()
            && name.split('.').all(|label| {
                !label.is_empty()
                    && label
                        .chars()
                        .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
            });
        if !valid {
            return Err(format!(
                "{text:?} is not a host pattern; write a name such as mail.example.org or *.example.org"
            ));
        }
        Ok(if below {
            HostPattern::Below(name)
        } else {
            HostPattern::Exact(name)
        })
    }

    pub fn matches(&self, name: &str) -> bool {
        let name = name.trim_end_matches('.').to_ascii_lowercase();
        match self {
            HostPattern::Exact(exact) => name == *exact,
            HostPattern::Below(parent) => name
                .strip_suffix(parent.as_str())
                .and_then(|head| head.strip_suffix('.'))
                .is_some_and(|head| !head.is_empty()),
        }
    }
}

/// An address range: `192.0.2.0/24`, `2001:db8::/32`, or one address.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Network {
    pub address: IpAddr,
    pub prefix: u8,
}

impl Network {
    pub fn parse(text: &str) -> Result<Network, String> {
        let bad = || format!("{text:?} is not a network; write e.g. 192.0.2.0/24 or ::1/128");
        let (address, prefix) = match text.trim().split_once('/') {
            Some((a, p)) => (a, Some(p)),
            None => (text.trim(), None),
        };
        let address: IpAddr = address.parse().map_err(|_| bad())?;
        let max = if address.is_ipv4() { 32 } else { 128 };
        let prefix = match prefix {
            Some(p) => p.parse::<u8>().ok().filter(|&p| p <= max).ok_or_else(bad)?,
            None => max,
        };
        if Network::mask(address, prefix) != address {
            return Err(format!(
                "{text:?} has host bits set; write {}/{prefix}",
                Network::mask(address, prefix)
            ));
        }
        Ok(Network { address, prefix })
    }

    fn mask(address: IpAddr, prefix: u8) -> IpAddr {
        match address {
            IpAddr::V4(ip) => {
                let bits = u32::from(ip);
                let mask = u32::MAX.checked_shl(32 - u32::from(prefix)).unwrap_or(0);
                IpAddr::V4((bits & mask).into())
            }
            IpAddr::V6(ip) => {
                let bits = u128::from(ip);
                let mask = u128::MAX.checked_shl(128 - u32::from(prefix)).unwrap_or(0);
                IpAddr::V6((bits & mask).into())
            }
        }
    }

    /// Whether `ip` lies in the range; an IPv4-mapped IPv6 address counts as IPv4.
    pub fn contains(&self, ip: IpAddr) -> bool {
        let ip = match ip {
            IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(ip, IpAddr::V4),
            v4 => v4,
        };
        ip.is_ipv4() == self.address.is_ipv4() && Network::mask(ip, self.prefix) == self.address
    }
}

/// The configuration file (`--config`), as written.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ConfigFile {
    #[serde(default)]
    pub modules: BTreeMap<String, ModuleConfig>,
}

/// One `[modules.NAME]` table. Every field is optional; the defaults are
/// those of `mailtls check`, and nothing may be probed unless allowed.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ModuleConfig {
    /// `imap`, `pop3`, `smtp`, `sieve`; default: what the target's port implies.
    pub protocol: Option<Protocol>,
    /// `implicit` or `starttls`; default: what the target's port implies.
    pub tls: Option<TlsMode>,
    pub sni: Option<String>,
    #[serde(default)]
    pub no_sni: bool,
    pub ehlo_name: Option<String>,
    /// `mozilla` (the default) or `system`.
    pub trust: Option<TrustBase>,
    #[serde(default)]
    pub ca_files: Vec<PathBuf>,
    pub client_cert: Option<PathBuf>,
    pub client_key: Option<PathBuf>,
    /// e.g. "10s", "2.5s", "500ms"; also bounded by Prometheus's scrape timeout.
    pub timeout: Option<String>,
    pub warn_days: Option<i64>,
    pub crit_days: Option<i64>,
    /// Download a missing intermediate from the URL the server's certificate
    /// names (AIA), as Outlook and Apple Mail do. Off by default here: the URL
    /// comes from the server, and an exporter sits inside a network it must
    /// not be made to fetch from; without it, those clients are judged unknown.
    #[serde(default)]
    pub download_missing_intermediates: bool,
    /// Mail clients of interest, by profile id (`mailtls clients`): the
    /// verdict speaks for them, as `--client` does.
    #[serde(default)]
    pub clients: Vec<String>,
    /// Also run the TLS probe (`--probe`): many connections per scrape.
    #[serde(default)]
    pub probe: bool,
    /// Also run the plaintext audit (`--audit`).
    #[serde(default)]
    pub audit: bool,
    #[serde(default)]
    pub allow_hosts: Vec<String>,
    #[serde(default)]
    pub allow_networks: Vec<String>,
    /// Allow any target at all: the explicit opt-in.
    #[serde(default)]
    pub allow_any_target: bool,
}

impl ModuleConfig {
    /// The allow-list, checked.
    pub fn allow_list(&self) -> Result<AllowList, String> {
        Ok(AllowList {
            any: self.allow_any_target,
            hosts: self
                .allow_hosts
                .iter()
                .map(|h| HostPattern::parse(h))
                .collect::<Result<_, _>>()?,
            networks: self
                .allow_networks
                .iter()
                .map(|n| Network::parse(n))
                .collect::<Result<_, _>>()?,
        })
    }
}

/// The default probe timeout when a module sets none.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(10);

/// The name of the one module used without `--config`.
pub const DEFAULT_MODULE: &str = "default";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn host_patterns() {
        let exact = HostPattern::parse("Mail.Example.NET").expect("exact");
        assert!(exact.matches("mail.example.net"));
        assert!(exact.matches("MAIL.example.net."));
        assert!(!exact.matches("x.mail.example.net"));
        let below = HostPattern::parse("*.example.org").expect("wildcard");
        assert!(below.matches("mail.example.org"));
        assert!(below.matches("a.b.example.org"));
        assert!(!below.matches("example.org"));
        assert!(!below.matches("badexample.org"));
        assert!(!below.matches("example.org.evil.test"));
        for bad in ["", "*", "*.", "a..b", "a b", "*.*.x", "a/b"] {
            assert!(HostPattern::parse(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn networks() {
        let net = Network::parse("192.0.2.0/24").expect("v4");
        assert!(net.contains("192.0.2.77".parse().expect("ip")));
        assert!(!net.contains("192.0.3.1".parse().expect("ip")));
        assert!(net.contains("::ffff:192.0.2.1".parse().expect("mapped")));
        let one = Network::parse("::1/128").expect("v6");
        assert!(one.contains("::1".parse().expect("ip")));
        assert!(!one.contains("127.0.0.1".parse().expect("ip")));
        assert_eq!(
            Network::parse("127.0.0.1"),
            Ok(Network {
                address: "127.0.0.1".parse().expect("ip"),
                prefix: 32
            })
        );
        assert!(Network::parse("0.0.0.0/0")
            .expect("all")
            .contains("203.0.113.9".parse().expect("ip")));
        for bad in ["192.0.2.1/24", "192.0.2.0/33", "mail/24", "::1/129", ""] {
            assert!(Network::parse(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn allow_lists() {
        let empty = AllowList::default();
        assert!(empty.is_empty());
        assert!(!empty.allows_name("mail.test"));
        assert!(!empty.allows_addresses(&["127.0.0.1".parse().expect("ip")]));
        let nets = AllowList {
            networks: vec![Network::parse("127.0.0.0/8").expect("net")],
            ..AllowList::default()
        };
        let inside: IpAddr = "127.0.0.5".parse().expect("ip");
        let outside: IpAddr = "10.0.0.1".parse().expect("ip");
        assert!(nets.allows_addresses(&[inside]));
        assert!(!nets.allows_addresses(&[inside, outside]), "every address");
        assert!(!nets.allows_addresses(&[]));
        let any = AllowList {
            any: true,
            ..AllowList::default()
        };
        assert!(any.allows_name("anything.example") && any.allows_addresses(&[outside]));
    }

    #[test]
    fn the_file_is_strict() {
        let file: ConfigFile = toml::from_str(
            "[modules.imap]\nprotocol = \"imap\"\ntls = \"starttls\"\nallow_hosts = [\"*.example.org\"]\n",
        )
        .expect("valid");
        let module = &file.modules["imap"];
        assert_eq!(module.protocol, Some(Protocol::Imap));
        assert_eq!(module.tls, Some(TlsMode::Starttls));
        assert!(toml::from_str::<ConfigFile>("[modules.x]\nalow_hosts = []\n").is_err());
        assert!(toml::from_str::<ConfigFile>("[modules.x]\ntls = \"ssl\"\n").is_err());
    }
}

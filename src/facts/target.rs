//! What the user asked to check: parsing `host[:port]`, `[v6]:port` and mail URLs.
//!
//! Parsing only records what the text says. Filling in the gaps (a port's usual
//! protocol and TLS mode, a protocol's usual port) happens in [`TargetSpec::resolve`],
//! so that `--protocol` and `--starttls` can override what the text implies.

use std::fmt;
use std::net::IpAddr;

use serde::{Deserialize, Serialize};

use crate::facts::protocol::{self, port_convention, Protocol, TlsMode};

/// A host as given: a DNS name or an IP address literal.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Host {
    Name(String),
    Ip(IpAddr),
}

impl fmt::Display for Host {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Host::Name(name) => f.write_str(name),
            Host::Ip(IpAddr::V6(ip)) => write!(f, "[{ip}]"),
            Host::Ip(ip) => write!(f, "{ip}"),
        }
    }
}

impl<'de> Deserialize<'de> for Host {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let text = String::deserialize(d)?;
        Ok(match text.parse::<IpAddr>() {
            Ok(ip) => Host::Ip(ip),
            Err(_) => Host::Name(text),
        })
    }
}

impl Serialize for Host {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self {
            Host::Name(name) => s.serialize_str(name),
            Host::Ip(ip) => s.collect_str(ip),
        }
    }
}

/// A target as written on the command line, before defaults are applied.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TargetSpec {
    pub input: String,
    pub host: Host,
    pub port: Option<u16>,
    pub protocol: Option<Protocol>,
    pub mode: Option<TlsMode>,
}

/// A complete target: every field known.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Target {
    /// The text the user gave, for matching results to input lines.
    pub input: String,
    pub host: Host,
    pub port: u16,
    pub protocol: Protocol,
    pub mode: TlsMode,
}

impl Target {
    /// The target for `port` of `host` in a given protocol and mode, written
    /// as the URL that says all of it (`imap+starttls://host:143`).
    pub fn at(host: Host, port: u16, protocol: Protocol, mode: TlsMode) -> Target {
        Target {
            input: format!(
                "{}://{host}:{port}",
                protocol::explicit_scheme(protocol, mode)
            ),
            host,
            port,
            protocol,
            mode,
        }
    }
}

/// Why a target could not be understood. Each message is a complete sentence
/// that says what to write instead.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TargetError {
    #[error("{input:?}: empty host name")]
    EmptyHost { input: String },
    #[error("{input:?}: {host:?} is not a valid host name or IP address")]
    InvalidHost { input: String, host: String },
    #[error("{input:?}: {port:?} is not a port number (1-65535)")]
    InvalidPort { input: String, port: String },
    #[error("{input:?}: unknown scheme {scheme:?}; use one of imap, imaps, pop3, pop3s, smtp, smtps, submission, submissions, sieve (optionally with +starttls)")]
    UnknownScheme { input: String, scheme: String },
    #[error("{input:?}: a URL may only name a host and a port, not {rest:?}")]
    UrlPath { input: String, rest: String },
    #[error("{input:?}: no port and no protocol given; write e.g. {host}:993 for IMAP over SSL/TLS, or add --protocol")]
    NoPortNoProtocol { input: String, host: String },
    #[error("{input:?}: port {port} is not a standard mail port, so its protocol is unknown; add --protocol imap|pop3|smtp|sieve or use a URL such as imaps://{host}:{port}")]
    UnknownPort {
        input: String,
        host: String,
        port: u16,
    },
    #[error("{input:?}: port {port} is not a standard {protocol} port, so its TLS mode is unknown; add --implicit-tls or --starttls")]
    UnknownMode {
        input: String,
        port: u16,
        protocol: &'static str,
    },
    #[error("{input:?}: {protocol} has no implicit-TLS form; use STARTTLS (port 4190)")]
    NoImplicitSieve {
        input: String,
        protocol: &'static str,
    },
}

impl TargetSpec {
    /// Parses `host`, `host:port`, `[v6]`, `[v6]:port`, a bare IPv6 address, or
    /// `scheme://host[:port][/]`.
    pub fn parse(input: &str) -> Result<TargetSpec, TargetError> {
        let text = input.trim();
        let (scheme, rest) = match text.split_once("://") {
            Some((scheme, rest)) => (Some(scheme), rest),
            None => (None, text),
        };
        let (protocol, mode, default_port) = match scheme {
            Some(scheme) => {
                let (protocol, mode, port) =
                    protocol::parse_scheme(scheme).ok_or_else(|| TargetError::UnknownScheme {
                        input: input.to_owned(),
                        scheme: scheme.to_owned(),
                    })?;
                (Some(protocol), Some(mode), Some(port))
            }
            None => (None, None, None),
        };
        let authority = match scheme {
            Some(_) => {
                let (authority, path) = rest.split_at(rest.find('/').unwrap_or(rest.len()));
                if !(path.is_empty() || path == "/") {
                    return Err(TargetError::UrlPath {
                        input: input.to_owned(),
                        rest: path.to_owned(),
                    });
                }
                authority
            }
            None => rest,
        };
        let (host, port) = split_host_port(input, authority)?;
        Ok(TargetSpec {
            input: input.to_owned(),
            host,
            port: port.or(default_port),
            protocol,
            mode,
        })
    }

    /// Fills in protocol, mode and port. `protocol` and `mode` given here (from
    /// `--protocol`, `--starttls`, `--implicit-tls`) win over what the text implies.
    pub fn resolve(
        self,
        protocol: Option<Protocol>,
        mode: Option<TlsMode>,
    ) -> Result<Target, TargetError> {
        let host_text = self.host.to_string();
        let convention = self.port.and_then(port_convention);
        let protocol = protocol
            .or(self.protocol)
            .or(convention.map(|(p, _)| p))
            .ok_or_else(|| match self.port {
                Some(port) => TargetError::UnknownPort {
                    input: self.input.clone(),
                    host: host_text.clone(),
                    port,
                },
                None => TargetError::NoPortNoProtocol {
                    input: self.input.clone(),
                    host: host_text.clone(),
                },
            })?;
        // The port's convention only speaks for the mode when it is a port of this protocol.
        let conventional_mode = convention.filter(|(p, _)| *p == protocol).map(|(_, m)| m);
        let mode = match mode.or(self.mode).or(conventional_mode) {
            Some(mode) => mode,
            // Sieve has only one form; the others prefer implicit TLS when no port
            // says otherwise (RFC 8314).
            None if protocol.info().implicit_port.is_none() => TlsMode::Starttls,
            None if self.port.is_none() => TlsMode::Implicit,
            None => {
                return Err(TargetError::UnknownMode {
                    input: self.input,
                    port: self.port.unwrap_or_default(),
                    protocol: protocol.display_name(),
                })
            }
        };
        let no_implicit_form = protocol.info().implicit_port.is_none();
        if no_implicit_form && mode == TlsMode::Implicit && self.port.is_none() {
            return Err(TargetError::NoImplicitSieve {
                input: self.input,
                protocol: protocol.display_name(),
            });
        }
        Ok(Target {
            input: self.input,
            host: self.host,
            port: self.port.unwrap_or_else(|| protocol.default_port(mode)),
            protocol,
            mode,
        })
    }
}

fn split_host_port(input: &str, authority: &str) -> Result<(Host, Option<u16>), TargetError> {
    let invalid_port = |port: &str| TargetError::InvalidPort {
        input: input.to_owned(),
        port: port.to_owned(),
    };
    let parse_port = |port: &str| match port.parse::<u16>() {
        Ok(0) | Err(_) => Err(invalid_port(port)),
        Ok(port) => Ok(port),
    };
    if let Some(rest) = authority.strip_prefix('[') {
        let (ip, after) = rest
            .split_once(']')
            .ok_or_else(|| TargetError::InvalidHost {
                input: input.to_owned(),
                host: authority.to_owned(),
            })?;
        let ip = ip
            .parse::<std::net::Ipv6Addr>()
            .map_err(|_| TargetError::InvalidHost {
                input: input.to_owned(),
                host: ip.to_owned(),
            })?;
        let port = match after {
            "" => None,
            _ => Some(parse_port(
                after.strip_prefix(':').ok_or_else(|| invalid_port(after))?,
            )?),
        };
        return Ok((Host::Ip(IpAddr::V6(ip)), port));
    }
    // A bare IPv6 address has several colons and no port.
    if let Ok(ip) = authority.parse::<IpAddr>() {
        return Ok((Host::Ip(ip), None));
    }
    let (host, port) = match authority.rsplit_once(':') {
        Some((host, port)) => (host, Some(parse_port(port)?)),
        None => (authority, None),
    };
    Ok((parse_host(input, host)?, port))
}

fn parse_host(input: &str, host: &str) -> Result<Host, TargetError> {
    if host.is_empty() {
        return Err(TargetError::EmptyHost {
            input: input.to_owned(),
        });
    }
    if let Ok(ip) = host.parse::<IpAddr>() {
        return Ok(Host::Ip(ip));
    }
    let name = host.strip_suffix('.').unwrap_or(host);
    let valid_label = |label: &str| {
        !label.is_empty()
            && label.len() <= 63
            && label
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
    };
    if name.len() > 253 || !name.split('.').all(valid_label) {
        return Err(TargetError::InvalidHost {
            input: input.to_owned(),
            host: host.to_owned(),
        });
    }
    Ok(Host::Name(name.to_ascii_lowercase()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn resolve(input: &str) -> Result<Target, TargetError> {
        TargetSpec::parse(input)?.resolve(None, None)
    }

    fn summary(input: &str) -> (String, u16, Protocol, TlsMode) {
        let t = resolve(input).unwrap_or_else(|e| panic!("{input}: {e}"));
        (t.host.to_string(), t.port, t.protocol, t.mode)
    }

    #[test]
    fn well_known_ports_imply_protocol_and_mode() {
        use Protocol::*;
        use TlsMode::*;
        let cases = [
            ("imap.example.edu:993", 993, Imap, Implicit),
            ("imap.example.edu:143", 143, Imap, Starttls),
            ("h:995", 995, Pop3, Implicit),
            ("h:110", 110, Pop3, Starttls),
            ("h:465", 465, Smtp, Implicit),
            ("h:25", 25, Smtp, Starttls),
            ("h:587", 587, Smtp, Starttls),
            ("h:4190", 4190, Sieve, Starttls),
        ];
        for (input, port, protocol, mode) in cases {
            let (_, p, pr, m) = summary(input);
            assert_eq!((p, pr, m), (port, protocol, mode), "{input}");
        }
    }

    #[test]
    fn urls_give_protocol_mode_and_default_port() {
        use Protocol::*;
        use TlsMode::*;
        assert_eq!(
            summary("imaps://mail.example.org"),
            ("mail.example.org".into(), 993, Imap, Implicit)
        );
        assert_eq!(
            summary("imap+starttls://h:1143"),
            ("h".into(), 1143, Imap, Starttls)
        );
        assert_eq!(summary("imap://h"), ("h".into(), 143, Imap, Starttls));
        assert_eq!(summary("smtps://h"), ("h".into(), 465, Smtp, Implicit));
        assert_eq!(summary("smtp://h/"), ("h".into(), 25, Smtp, Starttls));
        assert_eq!(
            summary("submission://h:587"),
            ("h".into(), 587, Smtp, Starttls)
        );
        assert_eq!(
            summary("submissions://h"),
            ("h".into(), 465, Smtp, Implicit)
        );
        assert_eq!(summary("pop3s://h"), ("h".into(), 995, Pop3, Implicit));
        assert_eq!(summary("POP3://h"), ("h".into(), 110, Pop3, Starttls));
        assert_eq!(
            summary("sieve://h:4190"),
            ("h".into(), 4190, Sieve, Starttls)
        );
    }

    #[test]
    fn ipv6_forms() {
        assert_eq!(summary("[::1]:993").0, "[::1]");
        assert_eq!(summary("imaps://[2001:db8::1]").1, 993);
        let spec = TargetSpec::parse("2001:db8::1").expect("bare v6");
        assert_eq!(spec.port, None);
        assert!(matches!(spec.host, Host::Ip(IpAddr::V6(_))));
        assert!(matches!(
            resolve("[::1]993"),
            Err(TargetError::InvalidPort { .. })
        ));
        assert!(matches!(
            resolve("[zz]:993"),
            Err(TargetError::InvalidHost { .. })
        ));
    }

    #[test]
    fn overrides_win_over_the_port_convention() {
        let t = TargetSpec::parse("h:993")
            .and_then(|s| s.resolve(None, Some(TlsMode::Starttls)))
            .expect("override");
        assert_eq!((t.protocol, t.mode), (Protocol::Imap, TlsMode::Starttls));
        let t = TargetSpec::parse("h:2525")
            .and_then(|s| s.resolve(Some(Protocol::Smtp), Some(TlsMode::Starttls)))
            .expect("custom port");
        assert_eq!((t.port, t.protocol), (2525, Protocol::Smtp));
        // --protocol alone on a bare host picks the implicit-TLS port.
        let t = TargetSpec::parse("h")
            .and_then(|s| s.resolve(Some(Protocol::Pop3), None))
            .expect("bare");
        assert_eq!((t.port, t.mode), (995, TlsMode::Implicit));
        // A port of another protocol says nothing about the mode.
        assert!(matches!(
            TargetSpec::parse("h:993").and_then(|s| s.resolve(Some(Protocol::Smtp), None)),
            Err(TargetError::UnknownMode { .. })
        ));
    }

    #[test]
    fn usage_errors_are_specific() {
        assert!(matches!(
            resolve("h:10993"),
            Err(TargetError::UnknownPort { port: 10993, .. })
        ));
        assert!(matches!(
            resolve("h"),
            Err(TargetError::NoPortNoProtocol { .. })
        ));
        assert!(matches!(
            resolve("h:0"),
            Err(TargetError::InvalidPort { .. })
        ));
        assert!(matches!(
            resolve("h:99999"),
            Err(TargetError::InvalidPort { .. })
        ));
        assert!(matches!(
            resolve(":993"),
            Err(TargetError::EmptyHost { .. })
        ));
        assert!(matches!(
            resolve("bad host:993"),
            Err(TargetError::InvalidHost { .. })
        ));
        assert!(matches!(
            resolve("gopher://h"),
            Err(TargetError::UnknownScheme { .. })
        ));
        assert!(matches!(
            resolve("imaps+starttls://h"),
            Err(TargetError::UnknownScheme { .. })
        ));
        assert!(matches!(
            resolve("imaps://h/INBOX"),
            Err(TargetError::UrlPath { .. })
        ));
        let message = resolve("h:10993").unwrap_err().to_string();
        assert!(message.contains("--protocol"), "{message}");
    }

    #[test]
    fn names_are_normalised() {
        assert_eq!(summary("IMAP.Example.EDU.:993").0, "imap.example.edu");
    }
}

//! Names and addresses: DNS lookups, TCP connections, the names TLS sends and verifies.

use std::net::{IpAddr, SocketAddr};

use rustls::pki_types::ServerName;
use tokio::net::TcpStream;
use tokio::time::{timeout_at, Instant};

use super::CheckSettings;
use crate::facts::stop::{CheckError, Phase};
use crate::facts::target::{Host, Target};

/// The addresses of the target's host, IPv6 and IPv4, in the resolver's order.
pub async fn resolve(
    target: &Target,
    settings: &CheckSettings,
    deadline: Instant,
) -> Result<Vec<SocketAddr>, CheckError> {
    let name = match &target.host {
        Host::Ip(ip) => return Ok(vec![SocketAddr::new(*ip, target.port)]),
        Host::Name(name) => name,
    };
    if let Some(ips) = settings.resolve.get(&name.to_ascii_lowercase()) {
        return Ok(ips
            .iter()
            .map(|ip| SocketAddr::new(*ip, target.port))
            .collect());
    }
    let lookup = tokio::net::lookup_host((name.as_str(), target.port));
    let addresses: Vec<SocketAddr> = match timeout_at(deadline, lookup).await {
        Ok(Ok(found)) => found.collect(),
        Ok(Err(e)) => {
            return Err(CheckError::Dns {
                host: name.clone(),
                detail: e.to_string(),
            })
        }
        Err(_) => return Err(CheckError::Timeout { phase: Phase::Dns }),
    };
    if addresses.is_empty() {
        return Err(CheckError::NoAddress { host: name.clone() });
    }
    Ok(addresses)
}

/// Tries each address in turn until one accepts; the first error is reported.
pub(crate) async fn connect(
    addresses: &[SocketAddr],
    deadline: Instant,
) -> Result<(TcpStream, SocketAddr), CheckError> {
    let mut first_error = None;
    for &address in addresses {
        match timeout_at(deadline, TcpStream::connect(address)).await {
            Ok(Ok(stream)) => {
                let _ = stream.set_nodelay(true);
                return Ok((stream, address));
            }
            Ok(Err(e)) if e.kind() == std::io::ErrorKind::ConnectionRefused => {
                first_error.get_or_insert(CheckError::Refused { address });
            }
            // Accepted, then reset before the connection was complete here.
            Ok(Err(e)) if e.kind() == std::io::ErrorKind::ConnectionReset => {
                first_error.get_or_insert(CheckError::ResetAtOnce);
            }
            Ok(Err(e)) => {
                first_error.get_or_insert(CheckError::Connect {
                    address,
                    detail: e.to_string(),
                });
            }
            Err(_) => {
                return Err(first_error.unwrap_or(CheckError::Timeout {
                    phase: Phase::Connect,
                }))
            }
        }
    }
    Err(first_error.unwrap_or(CheckError::Timeout {
        phase: Phase::Connect,
    }))
}

pub(crate) fn server_name(
    target: &Target,
    settings: &CheckSettings,
) -> Result<ServerName<'static>, CheckError> {
    let text = match (&settings.server_name, &target.host) {
        (Some(name), _) => name.clone(),
        (None, Host::Name(name)) => name.clone(),
        (None, Host::Ip(ip)) => return Ok(ServerName::IpAddress((*ip).into())),
    };
    ServerName::try_from(text.clone()).map_err(|_| CheckError::Dns {
        host: text,
        detail: "not a valid server name".to_owned(),
    })
}

/// `[192.0.2.1]` or `[IPv6:2001:db8::1]` (RFC 5321 4.1.3).
pub(crate) fn address_literal(local: Option<SocketAddr>) -> String {
    match local.map(|a| a.ip()) {
        Some(IpAddr::V4(ip)) => format!("[{ip}]"),
        Some(IpAddr::V6(ip)) => format!("[IPv6:{ip}]"),
        None => "[127.0.0.1]".to_owned(),
    }
}

/// The SNI a check of `target` sends, if any.
pub fn sni_for(target: &Target, settings: &CheckSettings) -> Option<String> {
    match server_name(target, settings) {
        Ok(ServerName::DnsName(name)) if settings.tls.sends_sni() => Some(name.as_ref().to_owned()),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ehlo_address_literals_follow_rfc5321() {
        assert_eq!(address_literal("192.0.2.1:5".parse().ok()), "[192.0.2.1]");
        assert_eq!(
            address_literal("[2001:db8::1]:5".parse().ok()),
            "[IPv6:2001:db8::1]"
        );
    }
}

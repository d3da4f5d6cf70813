//! The mail protocols and how each is reached: the one table of ports, modes,
//! URL schemes, names, roles, the audit's harmless command and how logins are
//! announced. Adding a protocol is its dialogue, its row here and its test server.

use serde::{Deserialize, Serialize};

/// The most lines one server reply may have (an SMTP multi-line reply, a POP3 CAPA
/// list, IMAP untagged lines before the tagged one, ManageSieve capabilities).
/// Real servers send a few dozen; a server that sends more is flooding.
pub const MAX_REPLY_LINES: usize = 512;

/// The mail protocols mailtls speaks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Protocol {
    Imap,
    Pop3,
    Smtp,
    Sieve,
}

/// How TLS starts on a connection.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TlsMode {
    /// TLS from the first byte ("SSL/TLS" in mail clients): IMAPS 993, POP3S 995, SMTPS 465.
    Implicit,
    /// Plaintext greeting, then the protocol's STARTTLS command ("STARTTLS" in mail clients).
    Starttls,
}

impl Protocol {
    /// The name a person knows the protocol by.
    pub fn display_name(self) -> &'static str {
        self.info().name
    }

    /// The name with its indefinite article, as it is said: "an IMAP",
    /// "a POP3", "an SMTP", "a ManageSieve".
    pub fn with_article(self) -> String {
        let article = match self {
            Protocol::Imap | Protocol::Smtp => "an",
            Protocol::Pop3 | Protocol::Sieve => "a",
        };
        format!("{article} {}", self.display_name())
    }
}

impl TlsMode {
    /// The setting's name in mail clients' account dialogs.
    pub fn client_setting(self) -> &'static str {
        match self {
            TlsMode::Implicit => "SSL/TLS",
            TlsMode::Starttls => "STARTTLS",
        }
    }
}

/// What a protocol is for, in the words of a mail client's account settings.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    /// Reading mail (IMAP, POP3).
    Incoming,
    /// Sending mail (SMTP submission).
    Outgoing,
    /// Managing server-side filters (ManageSieve).
    Filters,
}

impl Role {
    /// The name JSON uses: `incoming`, `outgoing`, `filters`.
    pub fn name(self) -> &'static str {
        match self {
            Role::Incoming => "incoming",
            Role::Outgoing => "outgoing",
            Role::Filters => "filters",
        }
    }
}

/// A login command that takes the password itself, as capabilities announce it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LoginCommand {
    /// Available unless the capability is listed (IMAP LOGIN, LOGINDISABLED).
    UnlessCapability {
        capability: &'static str,
        label: &'static str,
    },
    /// Available when the capability is listed (POP3 USER).
    IfCapability {
        capability: &'static str,
        label: &'static str,
    },
}

/// How a protocol's capabilities announce the ways to log in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Logins {
    /// A plain login command, where the protocol has one.
    pub command: Option<LoginCommand>,
    /// The capability word the SASL mechanisms follow (`AUTH=` for IMAP, `SASL`
    /// for POP3, `AUTH` for SMTP, `"SASL"` for ManageSieve).
    pub sasl_prefix: &'static str,
    /// How a report names one mechanism: `AUTH=PLAIN`, `SASL PLAIN`, `AUTH PLAIN`.
    pub sasl_label: &'static str,
    /// How to allow logins only after TLS, in the words of the usual server's configuration.
    pub tls_only_fix: &'static str,
}

/// One URL scheme: the protocol and mode it names, and its default port.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Scheme {
    pub name: &'static str,
    pub mode: TlsMode,
    pub default_port: u16,
}

/// Everything mailtls knows about one protocol apart from its dialogue.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ProtocolInfo {
    pub protocol: Protocol,
    /// The name a person knows it by.
    pub name: &'static str,
    /// The implicit-TLS port (RFC 8314), if the protocol has that form.
    pub implicit_port: Option<u16>,
    /// The STARTTLS ports, the usual one for clients first.
    pub starttls_ports: &'static [u16],
    /// URL schemes, each optionally followed by `+starttls`.
    pub schemes: &'static [Scheme],
    pub role: Role,
    /// The harmless command the audit pipelines after STARTTLS.
    pub harmless_command: &'static [u8],
    /// The server repeats its capabilities after STARTTLS without being asked
    /// (ManageSieve, RFC 5804 §2.2).
    pub capabilities_after_tls_unasked: bool,
    pub logins: Logins,
}

const fn scheme(name: &'static str, mode: TlsMode, default_port: u16) -> Scheme {
    Scheme {
        name,
        mode,
        default_port,
    }
}

/// The table. Its order is the order ports are listed in (`mailtls scan`).
pub const PROTOCOLS: [ProtocolInfo; 4] = [
    ProtocolInfo {
        protocol: Protocol::Imap,
        name: "IMAP",
        implicit_port: Some(993),
        starttls_ports: &[143],
        schemes: &[
            scheme("imap", TlsMode::Starttls, 143),
            scheme("imaps", TlsMode::Implicit, 993),
        ],
        capabilities_after_tls_unasked: false,
        role: Role::Incoming,
        harmless_command: b"mailtls9 NOOP\r\n",
        logins: Logins {
            command: Some(LoginCommand::UnlessCapability {
                capability: "LOGINDISABLED",
                label: "the LOGIN command, as LOGINDISABLED is not announced",
            }),
            sasl_prefix: "AUTH=",
            tls_only_fix: "Allow authentication only after TLS: Dovecot disable_plaintext_auth = yes (2.3) / auth_allow_cleartext = no (2.4), and ssl = required.",
            sasl_label: "AUTH=",
        },
    },
    ProtocolInfo {
        protocol: Protocol::Pop3,
        name: "POP3",
        implicit_port: Some(995),
        starttls_ports: &[110],
        schemes: &[
            scheme("pop3", TlsMode::Starttls, 110),
            scheme("pop", TlsMode::Starttls, 110),
            scheme("pop3s", TlsMode::Implicit, 995),
            scheme("pops", TlsMode::Implicit, 995),
        ],
        capabilities_after_tls_unasked: false,
        role: Role::Incoming,
        harmless_command: b"NOOP\r\n",
        logins: Logins {
            command: Some(LoginCommand::IfCapability {
                capability: "USER",
                label: "USER/PASS",
            }),
            sasl_prefix: "SASL",
            tls_only_fix: "Allow authentication only after TLS: Dovecot disable_plaintext_auth = yes (2.3) / auth_allow_cleartext = no (2.4), and ssl = required.",
            sasl_label: "SASL ",
        },
    },
    ProtocolInfo {
        protocol: Protocol::Smtp,
        name: "SMTP",
        implicit_port: Some(465),
        starttls_ports: &[587, 25],
        schemes: &[
            scheme("smtp", TlsMode::Starttls, 25),
            scheme("submission", TlsMode::Starttls, 587),
            scheme("smtps", TlsMode::Implicit, 465),
            scheme("submissions", TlsMode::Implicit, 465),
        ],
        capabilities_after_tls_unasked: false,
        role: Role::Outgoing,
        harmless_command: b"NOOP\r\n",
        logins: Logins {
            command: None,
            sasl_prefix: "AUTH",
            tls_only_fix: "Offer AUTH only after STARTTLS: Postfix smtpd_tls_auth_only = yes (and smtpd_tls_security_level = encrypt on the submission port).",
            sasl_label: "AUTH ",
        },
    },
    ProtocolInfo {
        protocol: Protocol::Sieve,
        name: "ManageSieve",
        implicit_port: None,
        starttls_ports: &[4190],
        schemes: &[
            scheme("sieve", TlsMode::Starttls, 4190),
            scheme("managesieve", TlsMode::Starttls, 4190),
        ],
        capabilities_after_tls_unasked: true,
        role: Role::Filters,
        harmless_command: b"NOOP\r\n",
        logins: Logins {
            command: None,
            sasl_prefix: "\"SASL\"",
            tls_only_fix: "Allow authentication only after TLS: Dovecot disable_plaintext_auth = yes (2.3) / auth_allow_cleartext = no (2.4), and ssl = required.",
            sasl_label: "SASL ",
        },
    },
];

impl Protocol {
    /// This protocol's row of the table.
    pub fn info(self) -> &'static ProtocolInfo {
        match PROTOCOLS.iter().find(|p| p.protocol == self) {
            Some(info) => info,
            // Every protocol has a row; a test holds the table to that.
            None => &PROTOCOLS[0],
        }
    }

    /// The standard port of this protocol in a mode (RFC 8314 for implicit TLS).
    /// A protocol without an implicit-TLS form answers with its STARTTLS port.
    pub fn default_port(self, mode: TlsMode) -> u16 {
        let info = self.info();
        match (mode, info.implicit_port) {
            (TlsMode::Implicit, Some(port)) => port,
            _ => info.starttls_ports[0],
        }
    }
}

/// The protocol and TLS mode a well-known port implies.
pub fn port_convention(port: u16) -> Option<(Protocol, TlsMode)> {
    PROTOCOLS.iter().find_map(|p| {
        if p.implicit_port == Some(port) {
            Some((p.protocol, TlsMode::Implicit))
        } else if p.starttls_ports.contains(&port) {
            Some((p.protocol, TlsMode::Starttls))
        } else {
            None
        }
    })
}

/// Every standard mail port with its convention, in table order (993, 143,
/// 995, 110, 465, 587, 25, 4190).
pub fn mail_ports() -> impl Iterator<Item = (u16, Protocol, TlsMode)> {
    PROTOCOLS.iter().flat_map(|p| {
        p.implicit_port
            .map(|port| (port, p.protocol, TlsMode::Implicit))
            .into_iter()
            .chain(
                p.starttls_ports
                    .iter()
                    .map(|&port| (port, p.protocol, TlsMode::Starttls)),
            )
    })
}

/// The protocol and mode a URL scheme names (`imaps`, `smtp+starttls`, …) and
/// its default port; `None` for an unknown scheme, or `+starttls` on an
/// implicit-TLS scheme.
pub fn parse_scheme(text: &str) -> Option<(Protocol, TlsMode, u16)> {
    let lower = text.to_ascii_lowercase();
    let (base, forced_starttls) = match lower.strip_suffix("+starttls") {
        Some(base) => (base, true),
        None => (lower.as_str(), false),
    };
    PROTOCOLS.iter().find_map(|p| {
        let s = p.schemes.iter().find(|s| s.name == base)?;
        if forced_starttls && s.mode == TlsMode::Implicit {
            return None;
        }
        Some((p.protocol, s.mode, s.default_port))
    })
}

/// The URL scheme that names `protocol` in `mode` at any port: `imaps`,
/// `imap+starttls`, … (`sieve` for ManageSieve, which has only one form).
pub fn explicit_scheme(protocol: Protocol, mode: TlsMode) -> String {
    let info = protocol.info();
    let name = info
        .schemes
        .iter()
        .find(|s| s.mode == mode)
        .or(info.schemes.first())
        .map_or("", |s| s.name);
    match (mode, info.implicit_port) {
        (TlsMode::Starttls, Some(_)) => format!("{name}+starttls"),
        _ => name.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_protocol_has_its_row() {
        for protocol in [
            Protocol::Imap,
            Protocol::Pop3,
            Protocol::Smtp,
            Protocol::Sieve,
        ] {
            assert_eq!(protocol.info().protocol, protocol);
            assert_eq!(protocol.info().name, protocol.display_name());
        }
    }

    #[test]
    fn ports_and_schemes_follow_the_conventions() {
        let ports: Vec<u16> = mail_ports().map(|(p, _, _)| p).collect();
        assert_eq!(ports, [993, 143, 995, 110, 465, 587, 25, 4190]);
        assert_eq!(
            port_convention(25),
            Some((Protocol::Smtp, TlsMode::Starttls))
        );
        assert_eq!(port_convention(10993), None);
        assert_eq!(Protocol::Sieve.default_port(TlsMode::Implicit), 4190);
        assert_eq!(Protocol::Smtp.default_port(TlsMode::Starttls), 587);
        assert_eq!(
            parse_scheme("SMTP"),
            Some((Protocol::Smtp, TlsMode::Starttls, 25))
        );
        assert_eq!(
            parse_scheme("pop3+starttls"),
            Some((Protocol::Pop3, TlsMode::Starttls, 110))
        );
        assert_eq!(parse_scheme("imaps+starttls"), None);
        assert_eq!(parse_scheme("gopher"), None);
        assert_eq!(
            explicit_scheme(Protocol::Pop3, TlsMode::Starttls),
            "pop3+starttls"
        );
        assert_eq!(explicit_scheme(Protocol::Smtp, TlsMode::Implicit), "smtps");
        assert_eq!(explicit_scheme(Protocol::Sieve, TlsMode::Starttls), "sieve");
    }
}

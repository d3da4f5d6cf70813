//! `mailtls scan HOST`: every mail port, what it speaks, and the settings to give users.
//!
//! Each of the eight mail ports is checked as its convention says (implicit TLS
//! on 465/993/995, STARTTLS on 25/587/110/143/4190); an implicit-TLS port that
//! greets in plaintext is checked again with STARTTLS. The client settings follow
//! RFC 8314: implicit TLS first where it works, STARTTLS otherwise, never none.

use serde::{Deserialize, Serialize};

use crate::diagnose::Severity;
use crate::protocol::{Protocol, TlsMode};
use crate::report::{Report, Tool, SCHEMA_VERSION};

/// The mail ports, in the order they are listed, with their conventions.
pub const MAIL_PORTS: [(u16, Protocol, TlsMode); 8] = [
    (993, Protocol::Imap, TlsMode::Implicit),
    (143, Protocol::Imap, TlsMode::Starttls),
    (995, Protocol::Pop3, TlsMode::Implicit),
    (110, Protocol::Pop3, TlsMode::Starttls),
    (465, Protocol::Smtp, TlsMode::Implicit),
    (587, Protocol::Smtp, TlsMode::Starttls),
    (25, Protocol::Smtp, TlsMode::Starttls),
    (4190, Protocol::Sieve, TlsMode::Starttls),
];

/// What a port turned out to speak.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Answer {
    /// TLS from the first byte ("SSL/TLS").
    ImplicitTls,
    /// A plaintext greeting and a working STARTTLS.
    Starttls,
    /// A plaintext greeting and no (working) STARTTLS: only unencrypted use.
    PlaintextOnly,
    /// Something answers, but TLS fails (handshake error, refusal, garbage).
    Broken,
    /// Nothing answers (refused, filtered, silent).
    Nothing,
}

impl Answer {
    pub fn describe(self) -> &'static str {
        match self {
            Answer::ImplicitTls => "SSL/TLS",
            Answer::Starttls => "STARTTLS",
            Answer::PlaintextOnly => "plaintext only",
            Answer::Broken => "TLS broken",
            Answer::Nothing => "nothing",
        }
    }
}

/// One port's result.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PortResult {
    /// The standard port this stands for (25, 110, 143, 465, 587, 993, 995, 4190).
    pub standard_port: u16,
    /// The port checked (differs from the standard one only with --port-map).
    pub port: u16,
    pub protocol: Protocol,
    pub answer: Answer,
    /// The verdict of the check that decided `answer` (see `report`).
    pub verdict: Severity,
    pub report: Report,
}

/// One line of the settings to hand a user.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ClientSetting {
    /// "incoming", "outgoing" or "filters".
    pub role: String,
    pub protocol: Protocol,
    pub server: String,
    pub port: u16,
    /// In mail-client words: "SSL/TLS" or "STARTTLS".
    pub security: String,
    /// Set when even the best choice has a problem (e.g. its certificate).
    pub caveat: Option<String>,
}

/// The whole scan, for `--format json`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ScanDocument {
    pub schema: u32,
    pub tool: Tool,
    pub host: String,
    pub ports: Vec<PortResult>,
    pub settings: Vec<ClientSetting>,
    pub exit_code: u8,
}

/// What a finished check says the port speaks; `None` means "check it again
/// with STARTTLS" (a plaintext greeting on an implicit-TLS port).
pub fn classify(report: &Report) -> Option<Answer> {
    let has = |code: &str| report.findings.iter().any(|f| f.code == code);
    let facts = report.facts.as_ref()?;
    if has("port.plaintext_on_tls_port") {
        return None;
    }
    let tls_up = facts.tls.as_ref().is_some_and(|t| t.version.is_some());
    Some(if has("port.tls_on_plaintext_port") {
        Answer::ImplicitTls
    } else if tls_up {
        match facts.target.mode {
            TlsMode::Implicit => Answer::ImplicitTls,
            TlsMode::Starttls => Answer::Starttls,
        }
    } else if has("starttls.not_offered") || has("starttls.refused") {
        Answer::PlaintextOnly
    } else if has("net.connection_refused")
        || has("net.connect_failed")
        || has("net.no_greeting")
        || (has("net.timeout") && facts.dialogue.greeting.is_none())
    {
        Answer::Nothing
    } else {
        Answer::Broken
    })
}

/// The settings a helpdesk would hand out, from the ports' results.
pub fn client_settings(host: &str, ports: &[PortResult]) -> Vec<ClientSetting> {
    // Preference per role: implicit TLS first (RFC 8314), then STARTTLS.
    let roles: [(&str, Protocol, [u16; 2]); 4] = [
        ("incoming", Protocol::Imap, [993, 143]),
        ("incoming", Protocol::Pop3, [995, 110]),
        ("outgoing", Protocol::Smtp, [465, 587]),
        ("filters", Protocol::Sieve, [4190, 4190]),
    ];
    let mut settings = Vec::new();
    for (role, protocol, preference) in roles {
        let secure = |p: &&PortResult| {
            p.protocol == protocol
                && preference.contains(&p.standard_port)
                && matches!(p.answer, Answer::ImplicitTls | Answer::Starttls)
        };
        let ordered = preference
            .iter()
            .filter_map(|standard| ports.iter().find(|p| p.standard_port == *standard));
        let candidates: Vec<&PortResult> = ordered.filter(secure).collect();
        let clean = candidates
            .iter()
            .find(|p| matches!(p.verdict, Severity::Ok | Severity::Info | Severity::Warning));
        let Some(chosen) = clean.or(candidates.first()) else {
            continue;
        };
        let caveat = (!matches!(
            chosen.verdict,
            Severity::Ok | Severity::Info | Severity::Warning
        ))
        .then(|| chosen.report.headline.clone());
        settings.push(ClientSetting {
            role: role.to_owned(),
            protocol,
            server: host.to_owned(),
            port: chosen.port,
            security: match chosen.answer {
                Answer::ImplicitTls => "SSL/TLS",
                _ => "STARTTLS",
            }
            .to_owned(),
            caveat,
        });
    }
    settings
}

/// The exit code: the worst verdict among ports that answer; 3 when none does.
pub fn exit_code(ports: &[PortResult]) -> u8 {
    let answering: Vec<Severity> = ports
        .iter()
        .filter(|p| p.answer != Answer::Nothing)
        .map(|p| p.verdict)
        .collect();
    if answering.is_empty() {
        return 3;
    }
    crate::diagnose::exit_code(crate::diagnose::worst(answering))
}

impl ScanDocument {
    pub fn new(host: &str, ports: Vec<PortResult>) -> ScanDocument {
        ScanDocument {
            schema: SCHEMA_VERSION,
            tool: Tool {
                name: env!("CARGO_PKG_NAME").to_owned(),
                version: env!("CARGO_PKG_VERSION").to_owned(),
            },
            host: host.to_owned(),
            settings: client_settings(host, &ports),
            exit_code: exit_code(&ports),
            ports,
        }
    }
}

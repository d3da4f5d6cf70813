//! `mailtls scan HOST`: every mail port, what it speaks, and the settings to give users.
//!
//! Each of the eight mail ports is checked as its convention says (implicit TLS
//! on 465/993/995, STARTTLS on 25/587/110/143/4190); an implicit-TLS port that
//! greets in plaintext is checked again with STARTTLS. The client settings follow
//! RFC 8314: implicit TLS first where it works, STARTTLS otherwise, never none.

use serde::{Deserialize, Serialize};

use super::exit;
use crate::diagnose::Severity;
use crate::facts::protocol::{Protocol, TlsMode, PROTOCOLS};
use crate::facts::stop::{CheckError, DialogueError, HandshakeFailure};
use crate::report::{Report, Tool, SCHEMA_VERSION};

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

/// What a finished check says the port speaks, from its facts; `None` means
/// "check it again with STARTTLS" (a plaintext greeting on an implicit-TLS port).
pub fn classify(report: &Report) -> Option<Answer> {
    let facts = report.facts.as_ref()?;
    let error = facts.stopped.as_ref().and_then(|s| s.error.as_ref());
    let mode = facts.target.mode;
    if mode == TlsMode::Implicit
        && matches!(
            error,
            Some(CheckError::Handshake(HandshakeFailure::NotTls { .. }))
        )
    {
        return None;
    }
    let tls_up = facts.tls.as_ref().is_some_and(|t| t.version.is_some());
    let silent = facts.dialogue.greeting.is_none();
    Some(match error {
        Some(CheckError::TlsOnPlaintextPort) => Answer::ImplicitTls,
        _ if tls_up => match mode {
            TlsMode::Implicit => Answer::ImplicitTls,
            TlsMode::Starttls => Answer::Starttls,
        },
        Some(CheckError::Dialogue(
            DialogueError::StarttlsNotOffered | DialogueError::StarttlsRefused { .. },
        )) => Answer::PlaintextOnly,
        Some(CheckError::Refused { .. } | CheckError::Connect { .. } | CheckError::NoGreeting) => {
            Answer::Nothing
        }
        Some(CheckError::Timeout { .. } | CheckError::Handshake(HandshakeFailure::Timeout))
            if silent =>
        {
            Answer::Nothing
        }
        _ => Answer::Broken,
    })
}

/// The settings a helpdesk would hand out, from the ports' results.
pub fn client_settings(host: &str, ports: &[PortResult]) -> Vec<ClientSetting> {
    let mut settings = Vec::new();
    for info in &PROTOCOLS {
        // Preference: implicit TLS first (RFC 8314), then the usual STARTTLS port.
        let (role, protocol) = (info.role.name(), info.protocol);
        let preference: Vec<u16> = info
            .implicit_port
            .into_iter()
            .chain(info.starttls_ports.first().copied())
            .collect();
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
    exit::of_answering_ports(&answering)
}

impl ScanDocument {
    pub fn new(host: &str, ports: Vec<PortResult>) -> ScanDocument {
        ScanDocument {
            schema: SCHEMA_VERSION,
            tool: Tool::this(),
            host: host.to_owned(),
            settings: client_settings(host, &ports),
            exit_code: exit_code(&ports),
            ports,
        }
    }
}

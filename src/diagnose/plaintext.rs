//! Rules about the plaintext phase: logins offered before STARTTLS, bytes
//! pipelined around the upgrade, and the `--audit` tests.

use super::codes::Code;
use super::{clip, finding, Finding, Severity};
use crate::facts::dialogue::{MAX_CAPABILITIES, MAX_CAPABILITY_LEN, MAX_TRANSCRIPT_LINES};
use crate::facts::protocol::{LoginCommand, Logins, Protocol, TlsMode};
use crate::facts::CheckFacts;

/// Bytes the server sent between its STARTTLS go-ahead and the handshake.
pub(super) fn unexpected_plaintext(facts: &CheckFacts, out: &mut Vec<Finding>) {
    if let Some(text) = &facts.unexpected_plaintext {
        out.push(finding(
            Code::StarttlsUnexpectedPlaintext,
            Severity::Critical,
            format!(
                "After agreeing to STARTTLS the server sent more plaintext before TLS began ({:?}); mailtls discarded it, but a client that keeps it can be fed forged responses.",
                clip(text, 80)
            ),
            Some("Fix the server or the middlebox in front of it so that nothing follows the STARTTLS reply (CVE-2021-33515 class); update the mail server software.".to_owned()),
        ));
    }
}

/// What a limit on what is kept cut short.
pub(super) fn limits(facts: &CheckFacts, out: &mut Vec<Finding>) {
    let mut cut = Vec::new();
    if facts.dialogue.capabilities_truncated {
        cut.push(format!(
            "capability lists (kept: the first {MAX_CAPABILITIES}, each at most {MAX_CAPABILITY_LEN} bytes)"
        ));
    }
    if facts.transcript.truncated {
        cut.push(format!(
            "transcript (kept: the first {MAX_TRANSCRIPT_LINES} lines)"
        ));
    }
    if cut.is_empty() {
        return;
    }
    out.push(finding(
        Code::LimitsTruncated,
        Severity::Warning,
        format!(
            "The server sent more than mailtls keeps of one check, so the report holds only part of its {}; no real mail server sends this much.",
            cut.join(" and ")
        ),
        Some("Check that the port runs a real, healthy mail server: a flood of lines is a broken or hostile server, or something other than mail answering.".to_owned()),
    ));
}

/// Password mechanisms that put the password itself on the wire.
const CLEARTEXT_MECHANISMS: [&str; 2] = ["PLAIN", "LOGIN"];

/// How a server lets a client log in before TLS, from its plaintext capabilities
/// and the protocol table's [`Logins`]: the ways in, in the protocol's words.
/// Empty when it does not.
pub(super) fn cleartext_logins(protocol: Protocol, capabilities: &[String]) -> Vec<String> {
    let Logins {
        command,
        sasl_prefix,
        sasl_label,
        ..
    } = protocol.info().logins;
    let upper: Vec<String> = capabilities
        .iter()
        .map(|c| c.to_ascii_uppercase())
        .collect();
    let listed = |name: &str| upper.iter().any(|c| c == name);
    let mut ways = Vec::new();
    match command {
        Some(LoginCommand::UnlessCapability { capability, label }) if !listed(capability) => {
            ways.push(label.to_owned());
        }
        Some(LoginCommand::IfCapability { capability, label }) if listed(capability) => {
            ways.push(label.to_owned());
        }
        _ => {}
    }
    for rest in upper.iter().filter_map(|c| c.strip_prefix(sasl_prefix)) {
        ways.extend(
            rest.trim_start_matches('=')
                .split_whitespace()
                .map(|w| w.trim_matches('"'))
                .filter(|w| CLEARTEXT_MECHANISMS.contains(w))
                .map(|m| format!("{sasl_label}{m}")),
        );
    }
    ways.dedup();
    ways
}

/// What protects (or exposes) passwords before TLS, and the active audit.
pub(super) fn findings(facts: &CheckFacts, out: &mut Vec<Finding>) {
    use Severity::*;
    let target = &facts.target;
    let protocol = target.protocol.display_name();
    let port = target.port;
    if let (TlsMode::Starttls, Some(before)) =
        (target.mode, &facts.dialogue.capabilities_before_tls)
    {
        let ways = cleartext_logins(target.protocol, before);
        if !ways.is_empty() {
            out.push(finding(
            Code::AuthCleartextOffered,
                Warning,
                format!("Before STARTTLS, the {protocol} server on port {port} already offers to log in ({}). Clients set to STARTTLS are safe; a client set to no encryption, or to STARTTLS only if available (which an attacker can strip), sends the password unencrypted, and the server takes it.", ways.join(", ")),
                Some(target.protocol.info().logins.tls_only_fix.to_owned()),
            ));
        } else if facts.dialogue.capabilities_after_tls.is_some() {
            out.push(finding(
            Code::AuthTlsRequired,
                Ok,
                format!("The {protocol} server offers to log in only after STARTTLS; passwords never travel unencrypted."),
                None,
            ));
        }
    }
    let Some(audit) = &facts.audit else {
        return;
    };
    if let Some(probe) = &audit.injection {
        match probe.positive {
            Some(true) => out.push(finding(
            Code::StarttlsCommandInjection,
                Critical,
                format!("The server answered, inside TLS, a command that was sent in plaintext together with STARTTLS ({:?}): an attacker on the network path can inject commands into users' encrypted sessions (CVE-2011-0411 class).", clip(probe.evidence.as_deref().unwrap_or(""), 80)),
                Some("Update the mail server software (or the proxy in front of it): on STARTTLS it must discard any input it has buffered before starting TLS.".to_owned()),
            )),
            Some(false) => out.push(finding(
            Code::StarttlsNoCommandInjection,
                Ok,
                "Commands pipelined after STARTTLS are not carried into the TLS session.".to_owned(),
                None,
            )),
            None => out.push(finding(
            Code::StarttlsInjectionInconclusive,
                Info,
                format!("The STARTTLS command-injection test could not finish: {}.", probe.note.as_deref().unwrap_or("no reason given")),
                Some("Run the audit again; a server that limits connections may have refused the extra test connection.".to_owned()),
            )),
        }
    }
    if let Some(probe) = &audit.pop3_user_before_tls {
        if probe.positive == Some(true) {
            out.push(finding(
            Code::AuthCleartextAccepted,
                Critical,
                format!("The POP3 server accepted USER before TLS ({:?}): it would take the password in cleartext next.", clip(probe.evidence.as_deref().unwrap_or(""), 80)),
                Some("Refuse USER/PASS and AUTH before STLS: Dovecot disable_plaintext_auth = yes (2.3) / auth_allow_cleartext = no (2.4).".to_owned()),
            ));
        }
    }
}

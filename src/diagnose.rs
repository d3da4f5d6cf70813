//! From facts to findings: what is wrong, how bad it is, and how to fix it.
//!
//! Pure functions of [`CheckFacts`]: no I/O, no clock (the check's start time is
//! in the facts), so every finding can be tested from hand-made facts. Each finding
//! has a stable code that JSON users match on; the list of codes is in
//! `docs/findings.md` and must only grow.

use rustls::pki_types::ServerName;
use serde::{Deserialize, Serialize};

use crate::cert::{date_only, short_name, CertFacts};
use crate::chain::{self, ChainReport};
use crate::check::{CheckError, CheckFacts, FetchedIssuer};
use crate::protocol::{DialogueError, Protocol, TlsMode};
use crate::target::{default_port, Target};
use crate::tls::probe::suites::Weakness;
use crate::tls::probe::{Acceptance, ProbeFacts, TlsVersion};
use crate::tls::trust::StoreKind;
use crate::tls::{HandshakeFailure, VerifyError};

/// How much a finding matters. Ordered from best to worst for sorting; the
/// verdict of a report ranks `critical` above `unknown`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    /// Good news worth saying ("the certificate is trusted").
    Ok,
    /// Worth knowing; nothing to fix.
    Info,
    /// Works today, but should be fixed.
    Warning,
    /// The check could not find out (unreachable, timed out, rate-limited).
    Unknown,
    /// Mail clients will fail or warn, or the connection is not secure.
    Critical,
}

impl Severity {
    /// The name JSON uses: `ok`, `info`, `warning`, `unknown`, `critical`.
    pub fn name(self) -> &'static str {
        match self {
            Severity::Ok => "ok",
            Severity::Info => "info",
            Severity::Warning => "warning",
            Severity::Unknown => "unknown",
            Severity::Critical => "critical",
        }
    }

    /// The word of a verdict line, as monitoring plugins print it (info is OK).
    pub fn verdict_word(self) -> &'static str {
        match self {
            Severity::Ok | Severity::Info => "OK",
            Severity::Warning => "WARNING",
            Severity::Unknown => "UNKNOWN",
            Severity::Critical => "CRITICAL",
        }
    }

    /// The verdict an exit code stands for (the inverse of [`exit_code`]).
    pub fn of_exit_code(code: u8) -> Severity {
        match code {
            0 => Severity::Ok,
            1 => Severity::Warning,
            2 => Severity::Critical,
            _ => Severity::Unknown,
        }
    }
}

/// One thing mailtls found.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Finding {
    /// Stable dotted code, e.g. `cert.expired`.
    pub code: String,
    pub severity: Severity,
    /// One sentence for a person.
    pub message: String,
    /// What to change, in the words of server configuration or mail-client settings.
    pub fix: Option<String>,
}

/// Thresholds for certificate expiry.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Policy {
    pub warn_days: i64,
    pub crit_days: i64,
}

impl Default for Policy {
    fn default() -> Self {
        Self {
            warn_days: 30,
            crit_days: 7,
        }
    }
}

fn finding(code: &str, severity: Severity, message: String, fix: Option<String>) -> Finding {
    Finding {
        code: code.to_owned(),
        severity,
        message,
        fix,
    }
}

/// All findings for one check, worst first.
pub fn diagnose(facts: &CheckFacts, policy: &Policy) -> Vec<Finding> {
    let mut findings = Vec::new();
    if let Some(error) = facts.stopped.as_ref().and_then(|s| s.error.as_ref()) {
        findings.push(stop_finding(&facts.target, error, facts));
    }
    if facts.stopped.is_none()
        && facts
            .tls
            .as_ref()
            .and_then(|t| t.version.as_ref())
            .is_none()
    {
        // Defence in depth: a check that "finished" without a TLS session is a bug,
        // and must not come out as ok.
        findings.push(finding(
            "mailtls.internal_error",
            Severity::Unknown,
            "mailtls finished without establishing TLS and without saying why.".to_owned(),
            Some("Please report this as a bug in mailtls, with the command line used.".to_owned()),
        ));
    }
    if let Some(text) = &facts.unexpected_plaintext {
        findings.push(finding(
            "starttls.unexpected_plaintext",
            Severity::Critical,
            format!(
                "After agreeing to STARTTLS the server sent more plaintext before TLS began ({:?}); mailtls discarded it, but a client that keeps it can be fed forged responses.",
                clip(text, 80)
            ),
            Some("Fix the server or the middlebox in front of it so that nothing follows the STARTTLS reply (CVE-2021-33515 class); update the mail server software.".to_owned()),
        ));
    }
    if let Some(tls) = &facts.tls {
        if tls.verification.is_some() {
            certificate_findings(facts, policy, &mut findings);
        }
        if tls.version.as_deref() == Some("TLSv1.2") {
            findings.push(finding(
                "tls.no_tls13",
                Severity::Info,
                "The server negotiated TLS 1.2, not TLS 1.3, although mailtls offered TLS 1.3.".to_owned(),
                Some("Enable TLS 1.3 on the server (OpenSSL 1.1.1 or later; e.g. Dovecot ssl_min_protocol, Postfix smtpd_tls_protocols).".to_owned()),
            ));
        }
    }
    plaintext_phase_findings(facts, &mut findings);
    if let Some(authorities) = &facts.client_certificate_requested {
        let named = if authorities.is_empty() {
            "without naming any certificate authority".to_owned()
        } else {
            format!(
                "from {}",
                authorities
                    .iter()
                    .map(|a| short_name(a))
                    .collect::<Vec<_>>()
                    .join(", ")
            )
        };
        let sent = facts
            .tls
            .as_ref()
            .and_then(|t| t.client_cert_sent.as_deref());
        let refused_without = sent.is_none() && stopped_by_client_cert_demand(facts);
        if refused_without {
            findings.retain(|f| {
                f.code != "net.io_error"
                    && f.code != "net.closed"
                    && f.code != "tls.handshake_failed"
            });
            findings.push(finding(
                "tls.client_cert_required",
                Severity::Unknown,
                format!("The server requires a client certificate {named} and ended the connection without one; mail clients without such a certificate cannot connect."),
                Some("Check with a certificate the server accepts: mailtls --client-cert CERT.pem --client-key KEY.pem. Mail clients need the same certificate installed in their account settings.".to_owned()),
            ));
        } else {
            let answer = match sent {
                Some(subject) => format!("mailtls presented '{}'", short_name(subject)),
                None => "mailtls sent none".to_owned(),
            };
            findings.push(finding(
                "tls.client_cert_requested",
                Severity::Info,
                format!("The server asked for a client certificate {named}; {answer}."),
                None,
            ));
        }
    }
    if let Some(probe) = &facts.probe {
        probe_findings(probe, &mut findings);
    }
    findings.sort_by_key(|f| std::cmp::Reverse(f.severity));
    findings
}

/// Password mechanisms that put the password itself on the wire.
const CLEARTEXT_MECHANISMS: [&str; 2] = ["PLAIN", "LOGIN"];

/// How a server lets a client log in before TLS, from its plaintext capabilities:
/// the ways in, in the protocol's words. Empty when it does not.
fn cleartext_logins(protocol: Protocol, capabilities: &[String]) -> Vec<String> {
    let upper: Vec<String> = capabilities
        .iter()
        .map(|c| c.to_ascii_uppercase())
        .collect();
    let mechanisms = |words: &mut dyn Iterator<Item = &str>| -> Vec<String> {
        words
            .map(|w| w.trim_matches('"'))
            .filter(|w| CLEARTEXT_MECHANISMS.contains(w))
            .map(str::to_owned)
            .collect()
    };
    let mut ways = Vec::new();
    match protocol {
        Protocol::Imap => {
            if !upper.iter().any(|c| c == "LOGINDISABLED") {
                ways.push("the LOGIN command (no LOGINDISABLED)".to_owned());
            }
            let mut auth = upper.iter().filter_map(|c| c.strip_prefix("AUTH="));
            ways.extend(
                mechanisms(&mut auth)
                    .into_iter()
                    .map(|m| format!("AUTH={m}")),
            );
        }
        Protocol::Pop3 => {
            if upper.iter().any(|c| c == "USER") {
                ways.push("USER/PASS".to_owned());
            }
            for line in upper.iter().filter_map(|c| c.strip_prefix("SASL")) {
                ways.extend(
                    mechanisms(&mut line.split_whitespace())
                        .into_iter()
                        .map(|m| format!("SASL {m}")),
                );
            }
        }
        Protocol::Smtp => {
            for line in upper.iter().filter_map(|c| c.strip_prefix("AUTH")) {
                let mut words = line.trim_start_matches('=').split_whitespace();
                ways.extend(
                    mechanisms(&mut words)
                        .into_iter()
                        .map(|m| format!("AUTH {m}")),
                );
            }
        }
        Protocol::Sieve => {
            for line in upper.iter().filter_map(|c| c.strip_prefix("\"SASL\"")) {
                ways.extend(
                    mechanisms(&mut line.split_whitespace())
                        .into_iter()
                        .map(|m| format!("SASL {m}")),
                );
            }
        }
    }
    ways.dedup();
    ways
}

/// What protects (or exposes) passwords before TLS, and the active audit.
fn plaintext_phase_findings(facts: &CheckFacts, out: &mut Vec<Finding>) {
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
                "auth.cleartext_offered",
                Critical,
                format!("Before STARTTLS, the {protocol} server on port {port} already offers to log in ({}): a client that skips STARTTLS, or is tricked into skipping it, sends the password unencrypted.", ways.join(", ")),
                Some(match target.protocol {
                    Protocol::Imap | Protocol::Pop3 | Protocol::Sieve => "Allow authentication only after TLS: Dovecot disable_plaintext_auth = yes (2.3) / auth_allow_cleartext = no (2.4), and ssl = required.".to_owned(),
                    Protocol::Smtp => "Offer AUTH only after STARTTLS: Postfix smtpd_tls_auth_only = yes (and smtpd_tls_security_level = encrypt on the submission port).".to_owned(),
                }),
            ));
        } else if facts.dialogue.capabilities_after_tls.is_some() {
            out.push(finding(
                "auth.tls_required",
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
                "starttls.command_injection",
                Critical,
                format!("The server answered, inside TLS, a command that was sent in plaintext together with STARTTLS ({:?}): an attacker on the network path can inject commands into users' encrypted sessions (CVE-2011-0411 class).", clip(probe.evidence.as_deref().unwrap_or(""), 80)),
                Some("Update the mail server software (or the proxy in front of it): on STARTTLS it must discard any input it has buffered before starting TLS.".to_owned()),
            )),
            Some(false) => out.push(finding(
                "starttls.no_command_injection",
                Ok,
                "Commands pipelined after STARTTLS are not carried into the TLS session.".to_owned(),
                None,
            )),
            None => out.push(finding(
                "starttls.injection_inconclusive",
                Info,
                format!("The STARTTLS command-injection test could not finish: {}.", probe.note.as_deref().unwrap_or("no reason given")),
                Some("Run the audit again; a server that limits connections may have refused the extra test connection.".to_owned()),
            )),
        }
    }
    if let Some(probe) = &audit.pop3_user_before_tls {
        if probe.positive == Some(true) {
            out.push(finding(
                "auth.cleartext_accepted",
                Critical,
                format!("The POP3 server accepted USER before TLS ({:?}): it would take the password in cleartext next.", clip(probe.evidence.as_deref().unwrap_or(""), 80)),
                Some("Refuse USER/PASS and AUTH before STLS: Dovecot disable_plaintext_auth = yes (2.3) / auth_allow_cleartext = no (2.4).".to_owned()),
            ));
        }
    }
}

/// The server asked for a client certificate, got none, and then broke off: in
/// TLS 1.3 with an alert on the first read after the handshake, in TLS 1.2
/// during the handshake.
fn stopped_by_client_cert_demand(facts: &CheckFacts) -> bool {
    match facts.stopped.as_ref().and_then(|s| s.error.as_ref()) {
        // e.g. "received fatal alert: CertificateRequired"
        Some(CheckError::Io { detail, .. }) => detail.contains("ertificate"),
        Some(CheckError::Handshake(HandshakeFailure::AlertReceived { alert })) => {
            alert.contains("certificate") || alert == "handshake_failure"
        }
        Some(CheckError::Closed { .. } | CheckError::Handshake(HandshakeFailure::Closed)) => true,
        _ => false,
    }
}

/// The finding that explains why a check stopped.
fn stop_finding(target: &Target, error: &CheckError, facts: &CheckFacts) -> Finding {
    let port = target.port;
    let host = target.host.to_string();
    let protocol = target.protocol.display_name();
    let other_mode_port = |mode: TlsMode| default_port(target.protocol, mode);
    use Severity::*;
    match error {
        CheckError::Dns { host, detail } => finding(
            "net.dns_failed",
            Unknown,
            format!("The host name {host} could not be looked up ({detail})."),
            Some("Check the server name in the mail client's account settings for typos.".to_owned()),
        ),
        CheckError::NoAddress { host } => finding(
            "net.dns_failed",
            Unknown,
            format!("The host name {host} has no IP address."),
            Some("Check the server name in the mail client's account settings for typos.".to_owned()),
        ),
        CheckError::Refused { address } => finding(
            "net.connection_refused",
            Unknown,
            format!("Nothing accepts connections on port {port} at {address}."),
            Some(format!("Check the port number in the mail client; on the server, check that the {protocol} service listens on port {port} and that the firewall lets it through.")),
        ),
        CheckError::Connect { address, detail } => finding(
            "net.connect_failed",
            Unknown,
            format!("Could not connect to {address}: {detail}."),
            Some("Check the network path and firewall between this machine and the server.".to_owned()),
        ),
        CheckError::Timeout { phase } => finding(
            "net.timeout",
            Unknown,
            format!("The server did not answer in time during {}.", phase.describe()),
            Some("Retry with a longer --timeout; if it persists, the server or a firewall is dropping the connection.".to_owned()),
        ),
        CheckError::NoGreeting => finding(
            "net.no_greeting",
            Unknown,
            format!("The server at {host}:{port} accepted the connection but sent no {protocol} greeting, and did not answer TLS either."),
            Some(format!("Check that the {protocol} service on port {port} is healthy; a firewall or proxy may be holding the connection.")),
        ),
        CheckError::TlsOnPlaintextPort => finding(
            "port.tls_on_plaintext_port",
            Critical,
            format!("Port {port} expects SSL/TLS from the first byte, but it was checked as a STARTTLS port: a client set to STARTTLS waits for a greeting that never comes."),
            Some(format!("In the mail client, set the connection security for port {port} to SSL/TLS instead of STARTTLS (mailtls: --implicit-tls). The usual STARTTLS port for {protocol} is {}.", other_mode_port(TlsMode::Starttls))),
        ),
        CheckError::Closed { phase } => finding(
            "net.closed",
            Unknown,
            format!("The server closed the connection during {}.", phase.describe()),
            Some("The server may be limiting connections from this address; retry later, and check the server's log.".to_owned()),
        ),
        CheckError::LineTooLong { phase, limit } => finding(
            "protocol.line_too_long",
            Critical,
            format!("The server sent a line of more than {limit} bytes during {}; this is not {protocol}.", phase.describe()),
            Some(format!("Check that port {port} runs a {protocol} server.")),
        ),
        CheckError::Io { phase, detail } => finding(
            "net.io_error",
            Unknown,
            format!("A network error ended the check during {}: {detail}.", phase.describe()),
            None,
        ),
        CheckError::Internal { detail } => finding(
            "mailtls.internal_error",
            Unknown,
            format!("mailtls hit an internal error: {detail}."),
            Some("Please report this as a bug in mailtls, with the command line used.".to_owned()),
        ),
        CheckError::Dialogue(e) => dialogue_finding(target, e),
        CheckError::Handshake(e) => handshake_finding(target, e, facts),
    }
}

fn dialogue_finding(target: &Target, error: &DialogueError) -> Finding {
    let port = target.port;
    let protocol = target.protocol.display_name();
    let implicit_port = default_port(target.protocol, TlsMode::Implicit);
    use Severity::*;
    match error {
        DialogueError::UnexpectedGreeting { line, .. } => {
            let looks_like_tls = line.starts_with('\u{16}') || line.starts_with('\u{15}');
            finding(
                "protocol.unexpected_greeting",
                Critical,
                format!("The server on port {port} does not greet like a {protocol} server; it sent {:?}.", clip(line, 80)),
                Some(if looks_like_tls {
                    format!("The port seems to speak TLS at once: set the mail client to SSL/TLS for port {port}.")
                } else {
                    format!("Check the port number: port {port} runs some other service.")
                }),
            )
        }
        DialogueError::ServiceUnavailable { line, temporary: true } => finding(
            "server.busy",
            Unknown,
            format!("The server refused the session for now ({:?}); this usually means too many connections or rate limiting.", clip(line, 80)),
            Some("Retry later; if it persists, check the server's connection limits.".to_owned()),
        ),
        DialogueError::ServiceUnavailable { line, temporary: false } => finding(
            "server.refused",
            Critical,
            format!("The server refused the session ({:?}).", clip(line, 80)),
            Some("Check the server's access rules (for SMTP, whether this client address is blocked).".to_owned()),
        ),
        DialogueError::StarttlsNotOffered => finding(
            "starttls.not_offered",
            Critical,
            format!("The {protocol} server on port {port} does not offer STARTTLS, so a client would send passwords and mail unencrypted."),
            Some(format!("Enable TLS on the server (Dovecot: ssl = required; Postfix: smtpd_tls_security_level = encrypt on submission). Meanwhile, use SSL/TLS on port {implicit_port} if the server offers it.")),
        ),
        DialogueError::StarttlsRefused { line } => finding(
            "starttls.refused",
            Critical,
            format!("The server advertised STARTTLS but refused the command ({:?}).", clip(line, 80)),
            Some("Check the server's TLS configuration: a refusal usually means its certificate or key could not be loaded (see the server's log).".to_owned()),
        ),
        DialogueError::UnexpectedReply { command, line } => finding(
            "protocol.unexpected_reply",
            Critical,
            format!("The server answered {command} with {:?}, which a {protocol} client cannot use.", clip(line, 80)),
            Some("Check the server's log for the reason it rejected the command.".to_owned()),
        ),
        DialogueError::ReplyTooLong { command } => finding(
            "protocol.reply_too_long",
            Critical,
            format!("The server's reply to {command} went on for more lines than any real server sends."),
            Some(format!("Check that port {port} runs a {protocol} server.")),
        ),
    }
}

fn handshake_finding(target: &Target, error: &HandshakeFailure, facts: &CheckFacts) -> Finding {
    let port = target.port;
    let protocol = target.protocol.display_name();
    use Severity::*;
    match (error, target.mode) {
        (HandshakeFailure::NotTls { first_line }, TlsMode::Implicit) => finding(
            "port.plaintext_on_tls_port",
            Critical,
            format!("Port {port} answered in plaintext ({:?}) instead of TLS: a client set to SSL/TLS cannot connect.", clip(first_line, 80)),
            Some(format!(
                "In the mail client, set the connection security for port {port} to STARTTLS instead of SSL/TLS, or better, enable SSL/TLS on the server's port {} and use that (RFC 8314).",
                default_port(target.protocol, TlsMode::Implicit)
            )),
        ),
        (HandshakeFailure::NotTls { first_line }, TlsMode::Starttls) => finding(
            "starttls.no_tls_after_go_ahead",
            Critical,
            format!("The server agreed to STARTTLS but then went on in plaintext ({:?}).", clip(first_line, 80)),
            Some("A proxy or firewall in front of the server may be stripping STARTTLS; check the path to the server.".to_owned()),
        ),
        (HandshakeFailure::Garbage { first_bytes }, _) => finding(
            "tls.handshake_failed",
            Critical,
            format!("The server answered the TLS handshake with bytes that are neither TLS nor a {protocol} greeting (hex {first_bytes})."),
            Some(format!("Check that port {port} runs a {protocol} server with TLS, and that no other service or a broken proxy answers there.")),
        ),
        (HandshakeFailure::Timeout, _) => finding(
            "net.timeout",
            Unknown,
            format!("The TLS handshake with the {protocol} server did not finish in time."),
            Some("Retry with a longer --timeout; if it persists, a firewall may be dropping TLS packets.".to_owned()),
        ),
        (HandshakeFailure::AlertReceived { alert }, _) => {
            let hint = match alert.as_str() {
                "protocol_version" => " It does not accept TLS 1.2 or 1.3; it may speak only legacy TLS 1.0/1.1, which current mail clients refuse.",
                "handshake_failure" | "insufficient_security" => " It shares no cipher suite or key exchange with a modern client.",
                _ => "",
            };
            finding(
                "tls.handshake_failed",
                Critical,
                format!("The server rejected the TLS handshake with the alert {alert}.{hint}"),
                Some("Enable TLS 1.2 and 1.3 with current cipher suites on the server (for example Mozilla's \"intermediate\" configuration).".to_owned()),
            )
        }
        (HandshakeFailure::Closed, _) => finding(
            "tls.handshake_failed",
            Critical,
            if facts.tls.as_ref().is_some_and(|t| !t.chain.is_empty()) {
                "The server closed the connection in the middle of the TLS handshake, after sending its certificate.".to_owned()
            } else {
                "The server closed the connection during the TLS handshake, before sending a certificate.".to_owned()
            },
            Some("Check the server's log for TLS errors; it may not support TLS 1.2/1.3, or it failed to load its certificate.".to_owned()),
        ),
        (HandshakeFailure::Protocol { detail } | HandshakeFailure::Io { detail }, _) => finding(
            "tls.handshake_failed",
            Critical,
            format!("The TLS handshake failed: {detail}."),
            Some("Check the server's TLS configuration and log.".to_owned()),
        ),
    }
}

fn certificate_findings(facts: &CheckFacts, policy: &Policy, out: &mut Vec<Finding>) {
    let Some(verification) = facts.tls.as_ref().and_then(|t| t.verification.as_ref()) else {
        return;
    };
    let now = facts.started_unix;
    let certs = &facts.certificates;
    let Some(leaf) = certs.first() else {
        return;
    };
    let name = &verification.name;
    let mut explained = false;
    use Severity::*;

    for cert in certs.iter().filter(|c| c.parse_error.is_none()) {
        let which = which_cert(cert);
        if cert.not_after_unix < now {
            explained |= cert.position == 0 || verification.error == Some(VerifyError::Expired);
            out.push(finding(
                "cert.expired",
                Critical,
                format!("{which} expired on {} ({} days ago); mail clients will show a certificate warning.", date_only(&cert.not_after), -cert.days_left),
                Some(if cert.position == 0 {
                    "Renew the server's certificate and install it together with its intermediate certificates, then reload the mail server.".to_owned()
                } else {
                    format!("Replace the expired intermediate '{}' in the server's certificate file with its current version from the certificate authority.", short_name(&cert.subject))
                }),
            ));
        } else if cert.not_before_unix > now {
            explained |= cert.position == 0 || verification.error == Some(VerifyError::NotYetValid);
            out.push(finding(
                "cert.not_yet_valid",
                Critical,
                format!("{which} is not valid until {}; mail clients will refuse it until then.", date_only(&cert.not_before)),
                Some("Check the server's clock, or install the previous certificate until the new one becomes valid.".to_owned()),
            ));
        }
    }

    let chain = facts.tls.as_ref().map_or(&[][..], |t| &t.chain[..]);
    if name_matches(chain, name) == Some(false) {
        explained = true;
        let covered = if leaf.names.is_empty() {
            format!(
                "it names no host in subjectAltName (subject: {})",
                leaf.subject
            )
        } else {
            format!("it covers only {}", leaf.names.join(", "))
        };
        out.push(finding(
            "cert.name_mismatch",
            Critical,
            format!("The certificate is not valid for {name}: {covered}."),
            Some(format!("Either set the mail client's server name to one the certificate covers, or get a certificate that includes {name}.")),
        ));
    }

    if leaf.self_issued && certs.len() == 1 && !verification.trusted {
        explained = true;
        let (message, fix) = if verification.error == Some(VerifyError::CaUsedAsEndEntity) {
            (
                format!("The server's certificate is self-signed ({}) and marked as a certificate authority (CA:TRUE); strict clients refuse it even where it was installed as trusted.", short_name(&leaf.subject)),
                "Re-issue the certificate as a server certificate (basicConstraints CA:FALSE, extendedKeyUsage serverAuth; with openssl req -x509 add -addext basicConstraints=critical,CA:FALSE), or better, use one from a public certificate authority.",
            )
        } else {
            (
                format!("The server's certificate is self-signed ({}): no mail client trusts it without a manual exception.", short_name(&leaf.subject)),
                "Install a certificate from a public certificate authority (for example Let's Encrypt) on the server; or, for a private server, give users the certificate to install and trust.",
            )
        };
        out.push(finding(
            "cert.self_signed",
            Critical,
            message,
            Some(fix.to_owned()),
        ));
    }

    for cert in certs.iter().filter(|c| c.parse_error.is_some()) {
        explained |= cert.position == 0;
        out.push(finding(
            "cert.unparsable",
            Critical,
            format!(
                "Certificate {} of the chain could not be read: {}.",
                cert.position + 1,
                cert.parse_error.as_deref().unwrap_or("unknown error")
            ),
            Some("Re-export the certificate file from the certificate authority's download (PEM, leaf first, then intermediates) and reload the mail server.".to_owned()),
        ));
    }

    let shape = chain::analyse(certs);
    let store = verification.trust_store.label();
    // A broken hash or a short key is the precise reason behind the verifier's
    // "bad signature" / "unsupported algorithm"; say that instead of the generic error.
    let strength = strength_findings(facts, certs, &shape);
    explained |= strength
        .iter()
        .any(|f| f.code == "cert.weak_signature" || f.code == "cert.weak_key");
    let mut private_root = None;
    match (&verification.error, explained) {
        (None, _) => {
            out.push(finding(
                "cert.trusted",
                Ok,
                format!("The certificate is valid for {name} and trusted by {store}."),
                None,
            ));
        }
        (Some(VerifyError::UnknownIssuer), false) => {
            if let Some(root) = shape.root_sent.map(|p| &certs[p]) {
                private_root = Some(root.position);
                let root_name = short_name(&root.subject);
                out.push(finding(
                    "cert.untrusted_root",
                    Critical,
                    format!("The chain ends at the root '{root_name}', which the server sends but which is not in {store}: the certificate comes from a private certificate authority, so mail clients warn unless that root is installed."),
                    Some(format!("Install the root certificate '{root_name}' as trusted on each client (mailtls: --ca-file), or use a certificate from a public certificate authority on the server.")),
                ));
            } else if let Some(missing) = shape
                .top_issuer_missing
                .as_ref()
                .filter(|m| !m.ca_issuers_urls.is_empty())
            {
                let issuer = short_name(&missing.name);
                let fetched = match &facts.fetched_issuer {
                    Some(FetchedIssuer { url, completes_chain: Some(true), .. }) => format!(" mailtls downloaded it from {url}: with it, the chain is trusted by {store}."),
                    Some(FetchedIssuer { url, completes_chain: Some(false), .. }) => format!(" mailtls downloaded it from {url}, but even with it the chain is not trusted by {store}."),
                    Some(FetchedIssuer { url, error: Some(error), .. }) => format!(" Downloading it from {url} failed: {error}."),
                    _ => String::new(),
                };
                let sent = match certs.len() {
                    1 => "only its own certificate".to_owned(),
                    n => format!("{n} certificates"),
                };
                out.push(finding(
                    "cert.chain_incomplete",
                    Critical,
                    format!("The chain is incomplete: the server sends {sent} but not the intermediate '{issuer}' that issued '{}'. Mail clients do not fetch missing certificates, so they cannot verify the chain.{fetched}", short_name(&certs[missing.below].subject)),
                    Some(format!("Add the intermediate certificate '{issuer}' to the server's certificate file, after the server certificate (it can be downloaded from {}). Dovecot: ssl_cert = </path/fullchain.pem; Postfix: smtpd_tls_chain_files = key.pem, fullchain.pem.", missing.ca_issuers_urls.join(" or "))),
                ));
            } else {
                let issuer = certs.last().map_or("", |c| short_name(&c.issuer));
                out.push(finding(
                    "cert.unknown_issuer",
                    Critical,
                    format!("The certificate chain ends at '{issuer}', which is not in {store}: either the server does not send the intermediate certificate, or the certificate comes from a private certificate authority."),
                    Some(format!("If '{issuer}' is an intermediate, add it to the server's certificate file after the server certificate. If it is your organisation's own root, install that root on each client (mailtls: --ca-file).")),
                ));
            }
        }
        (Some(error), false) => {
            let fix = match error {
                VerifyError::ChainTooLong => format!("Send only the server's certificate and the intermediates that lead to the root (usually one or two); the server sends {}.", certs.len()),
                _ => "Install a valid certificate chain from a public certificate authority on the server.".to_owned(),
            };
            out.push(finding(
                "cert.untrusted",
                Critical,
                format!(
                    "The certificate is not trusted: {}.",
                    verify_error_text(error)
                ),
                Some(fix),
            ));
        }
        (Some(_), true) => {}
    }

    trust_comparison_findings(facts, out);
    chain_shape_findings(certs, &shape, private_root, out);
    out.extend(strength);

    // Expiry warnings, for certificates that work today: the leaf and every
    // intermediate on its path (an expiring intermediate breaks the chain too).
    for cert in shape.path.iter().map(|&p| &certs[p]) {
        if cert.not_after_unix < now || (cert.self_issued && cert.position != 0) {
            continue;
        }
        let days = cert.days_left;
        let severity = if days < policy.crit_days {
            Some(Critical)
        } else if days < policy.warn_days {
            Some(Warning)
        } else {
            None
        };
        if let Some(severity) = severity {
            let (message, fix) = if cert.position == 0 {
                (
                    format!("The server's certificate expires on {} (in {days} days).", date_only(&cert.not_after)),
                    "Renew the certificate now and check that automatic renewal (e.g. certbot) also reloads the mail server.".to_owned(),
                )
            } else {
                (
                    format!("The intermediate certificate '{}' sent by the server expires on {} (in {days} days); the chain breaks then even if the server's own certificate is renewed.", short_name(&cert.subject), date_only(&cert.not_after)),
                    "Download the current intermediate from the certificate authority and replace the old one in the server's certificate file.".to_owned(),
                )
            };
            out.push(finding("cert.expires_soon", severity, message, Some(fix)));
        }
    }
}

/// Says when the stores disagree, and what that means for which clients.
fn trust_comparison_findings(facts: &CheckFacts, out: &mut Vec<Finding>) {
    let trusting: Vec<_> = facts
        .trust_by_store
        .iter()
        .filter(|v| v.trusted == Some(true))
        .map(|v| v.store)
        .collect();
    let refusing: Vec<_> = facts
        .trust_by_store
        .iter()
        .filter(|v| v.trusted == Some(false))
        .map(|v| v.store)
        .collect();
    if trusting.is_empty() || refusing.is_empty() {
        return;
    }
    let clients = |kinds: &[StoreKind]| {
        kinds
            .iter()
            .map(|k| k.clients())
            .collect::<Vec<_>>()
            .join(" and ")
    };
    let private_only = trusting == [StoreKind::CaFiles];
    let (severity, fix) = if private_only {
        (
            Severity::Info,
            "Each client needs the organisation's root certificate installed; or use a certificate from a public certificate authority.",
        )
    } else {
        (
            Severity::Warning,
            "Use a certificate from a certificate authority that both Mozilla's and the operating systems' root programs include, and send the full chain.",
        )
    };
    let mut message = format!(
        "{} will accept this certificate; {} will not.",
        capitalise(&clients(&trusting)),
        clients(&refusing)
    );
    if private_only {
        message.push_str(" It is issued by a private certificate authority.");
    }
    out.push(finding(
        "cert.trust_differs",
        severity,
        message,
        Some(fix.to_owned()),
    ));
}

/// Findings about how the chain is put together.
fn chain_shape_findings(
    certs: &[CertFacts],
    shape: &ChainReport,
    private_root: Option<usize>,
    out: &mut Vec<Finding>,
) {
    use Severity::*;
    if shape.out_of_order {
        let order = shape
            .path
            .iter()
            .map(|&p| format!("'{}'", short_name(&certs[p].subject)))
            .collect::<Vec<_>>()
            .join(", ");
        out.push(finding(
            "cert.wrong_order",
            Warning,
            "The server sends its certificates out of order; some mail clients (older Outlook, Java-based ones) then fail to build the chain.".to_owned(),
            Some(format!("Put the certificates in the server's certificate file in this order: {order}.")),
        ));
    }
    if let Some(root) = shape.root_sent.filter(|&p| Some(p) != private_root) {
        out.push(finding(
            "cert.root_included",
            Info,
            format!("The server also sends the root certificate '{}'; clients never use a root sent by the server, so this only costs bytes on every connection.", short_name(&certs[root].subject)),
            Some("Remove the root certificate from the end of the server's certificate file.".to_owned()),
        ));
    }
    for &dup in &shape.duplicates {
        out.push(finding(
            "cert.duplicate",
            Info,
            format!(
                "The server sends the certificate '{}' more than once.",
                short_name(&certs[dup].subject)
            ),
            Some("Remove the repeated certificate from the server's certificate file.".to_owned()),
        ));
    }
    for &stray in &shape.unused {
        if certs[stray].parse_error.is_some() {
            continue;
        }
        out.push(finding(
            "cert.unrelated_certificate",
            Info,
            format!("The server sends the certificate '{}', which is not part of its certificate's chain.", short_name(&certs[stray].subject)),
            Some("Remove it from the server's certificate file; it may be a leftover of an old certificate authority.".to_owned()),
        ));
    }
}

/// Broken hashes, short keys, lifetimes clients refuse, must-staple without a staple.
fn strength_findings(facts: &CheckFacts, certs: &[CertFacts], shape: &ChainReport) -> Vec<Finding> {
    use Severity::*;
    let mut out = Vec::new();
    for cert in shape.path.iter().map(|&p| &certs[p]) {
        let which = which_cert(cert);
        // A root's self-signature is never checked, so its hash does not matter.
        let is_root = cert.self_issued && cert.is_ca && cert.position != 0;
        if let Some(hash) = cert.weak_signature_hash.as_ref().filter(|_| !is_root) {
            out.push(finding(
                "cert.weak_signature",
                Critical,
                format!("{which} is signed with {hash}, which is broken; current mail clients refuse it."),
                Some("Re-issue the certificate with a SHA-256 signature.".to_owned()),
            ));
        }
        if cert.key.starts_with("RSA") && cert.key_bits > 0 && cert.key_bits < 2048 {
            out.push(finding(
                "cert.weak_key",
                Critical,
                format!("{which} has a {}-bit RSA key; at least 2048 bits are required, and current clients refuse shorter keys.", cert.key_bits),
                Some("Generate a new key of at least 2048 bits (or an ECDSA P-256 key) and re-issue the certificate.".to_owned()),
            ));
        }
    }
    let Some(leaf) = certs.first().filter(|c| c.parse_error.is_none()) else {
        return out;
    };
    // CA/Browser Forum limit for certificates issued since 2020-09-01; Apple's
    // clients enforce it for public CAs and 825 days even for private ones.
    const MAX_DAYS: i64 = 398;
    if !leaf.self_issued && leaf.validity_days > MAX_DAYS && leaf.not_before_unix >= 1_598_918_400 {
        out.push(finding(
            "cert.validity_too_long",
            Warning,
            format!("The server's certificate is valid for {} days, longer than the {MAX_DAYS} days clients accept from public certificate authorities; Apple Mail refuses such certificates (beyond 825 days even from private ones).", leaf.validity_days),
            Some(format!("Re-issue the certificate with a lifetime of at most {MAX_DAYS} days (better: 90 days with automatic renewal).")),
        ));
    }
    let stapled = facts.tls.as_ref().is_some_and(|t| t.ocsp_stapled);
    if leaf.must_staple && !stapled {
        out.push(finding(
            "cert.must_staple_not_stapled",
            Critical,
            "The server's certificate requires a stapled OCSP response (OCSP must-staple), but the server sent none; clients that honour must-staple refuse the connection.".to_owned(),
            Some("Enable OCSP stapling on the server, or re-issue the certificate without the must-staple extension (Dovecot and Postfix do not staple OCSP).".to_owned()),
        ));
    }
    out
}

fn capitalise(text: &str) -> String {
    let mut chars = text.chars();
    chars.next().map_or_else(String::new, |first| {
        first.to_uppercase().chain(chars).collect()
    })
}

/// Whether the leaf covers `name`, by WebPKI's own rules (RFC 6125 wildcards,
/// IP addresses); `None` when the leaf cannot be parsed.
fn name_matches(chain: &[rustls::pki_types::CertificateDer<'_>], name: &str) -> Option<bool> {
    let leaf = chain.first()?;
    let cert = webpki::EndEntityCert::try_from(leaf).ok()?;
    let server_name = ServerName::try_from(name).ok()?;
    Some(cert.verify_is_valid_for_subject_name(&server_name).is_ok())
}

fn which_cert(cert: &CertFacts) -> String {
    match cert.position {
        0 => "The server's certificate".to_owned(),
        n => format!(
            "Certificate {} in the chain ('{}')",
            n + 1,
            short_name(&cert.subject)
        ),
    }
}

fn verify_error_text(error: &VerifyError) -> String {
    match error {
        VerifyError::Expired => "a certificate in the chain has expired".to_owned(),
        VerifyError::NotYetValid => "a certificate in the chain is not yet valid".to_owned(),
        VerifyError::NameMismatch { presented } => format!("it is for {}", presented.join(", ")),
        VerifyError::UnknownIssuer => "its issuer is unknown".to_owned(),
        VerifyError::BadSignature => "a signature in the chain is invalid".to_owned(),
        VerifyError::UnsupportedSignatureAlgorithm => {
            "it is signed with an algorithm that is no longer accepted".to_owned()
        }
        VerifyError::Revoked => "it has been revoked".to_owned(),
        VerifyError::InvalidPurpose => {
            "it is not issued for TLS servers (extended key usage)".to_owned()
        }
        VerifyError::BadEncoding => "a certificate in the chain is not valid DER".to_owned(),
        VerifyError::CaUsedAsEndEntity => {
            "the server's certificate is a CA certificate, not a server certificate".to_owned()
        }
        VerifyError::ChainTooLong => {
            "the chain of intermediates is longer than clients will follow (at most 6)".to_owned()
        }
        VerifyError::Other { detail } => detail.clone(),
    }
}

/// Shortens server text for a sentence, on a character boundary.
fn clip(text: &str, max: usize) -> String {
    match text.char_indices().nth(max) {
        Some((cut, _)) => format!("{}…", &text[..cut]),
        None => text.to_owned(),
    }
}

/// The verdict of a set of severities: critical beats unknown beats warning beats ok.
pub fn worst(severities: impl IntoIterator<Item = Severity>) -> Severity {
    let rank = |s: Severity| match s {
        Severity::Ok | Severity::Info => 0,
        Severity::Warning => 1,
        Severity::Unknown => 2,
        Severity::Critical => 3,
    };
    severities
        .into_iter()
        .map(|s| if s == Severity::Info { Severity::Ok } else { s })
        .max_by_key(|&s| rank(s))
        .unwrap_or(Severity::Ok)
}

/// The verdict of one report.
pub fn verdict(findings: &[Finding]) -> Severity {
    worst(findings.iter().map(|f| f.severity))
}

/// The monitoring-plugin exit code of a verdict.
pub fn exit_code(verdict: Severity) -> u8 {
    match verdict {
        Severity::Ok | Severity::Info => 0,
        Severity::Warning => 1,
        Severity::Critical => 2,
        Severity::Unknown => 3,
    }
}

const DOVECOT_MIN_PROTOCOL: &str = "Dovecot: ssl_min_protocol = TLSv1.2";
const POSTFIX_PROTOCOLS: &str = "Postfix: smtpd_tls_protocols = >=TLSv1.2 and smtpd_tls_mandatory_protocols = >=TLSv1.2 (before Postfix 3.6: !SSLv2, !SSLv3, !TLSv1, !TLSv1.1)";
const CIPHER_FIX: &str = "Dovecot: set ssl_cipher_list to Mozilla's \"intermediate\" list (ECDHE and DHE with AES-GCM or ChaCha20); Postfix: smtpd_tls_mandatory_ciphers = high and smtpd_tls_ciphers = high, with tls_high_cipherlist set to that list (or smtpd_tls_exclude_ciphers naming what to drop)";

/// Findings from the legacy TLS and cipher-suite probe (`--probe`).
fn probe_findings(probe: &ProbeFacts, out: &mut Vec<Finding>) {
    use Severity::*;
    let accepted = |v: TlsVersion| probe.version(v).map(|p| p.accepted);
    let yes = |v: TlsVersion| accepted(v) == Some(Acceptance::Yes);
    let no = |v: TlsVersion| accepted(v) == Some(Acceptance::No);

    if yes(TlsVersion::Ssl3) {
        out.push(finding(
            "tls.sslv3_enabled",
            Critical,
            "The server accepts SSL 3.0, which is broken (POODLE, RFC 7568) and refused by every current mail client.".to_owned(),
            Some(format!("Disable SSL 3.0: {DOVECOT_MIN_PROTOCOL}; {POSTFIX_PROTOCOLS}.")),
        ));
    }
    for (version, code, label) in [
        (TlsVersion::Tls10, "tls.tls10_enabled", "TLS 1.0"),
        (TlsVersion::Tls11, "tls.tls11_enabled", "TLS 1.1"),
    ] {
        if yes(version) {
            out.push(finding(
                code,
                Warning,
                format!("The server still accepts {label}, which RFC 8996 deprecates; current mail clients no longer use it, and it lets old clients connect weakly."),
                Some(format!("Disable TLS 1.0 and 1.1: {DOVECOT_MIN_PROTOCOL}; {POSTFIX_PROTOCOLS}.")),
            ));
        }
    }
    let legacy = [TlsVersion::Ssl3, TlsVersion::Tls10, TlsVersion::Tls11];
    if legacy.into_iter().any(yes) && no(TlsVersion::Tls12) && no(TlsVersion::Tls13) {
        let best = legacy
            .into_iter()
            .rfind(|&v| yes(v))
            .map_or("", TlsVersion::name);
        out.push(finding(
            "tls.legacy_only",
            Critical,
            format!("The server speaks at most {best}, and neither TLS 1.2 nor TLS 1.3: current mail clients (Thunderbird, Outlook, Apple Mail, phones) refuse to connect."),
            Some("Enable TLS 1.2 and 1.3 on the server; this usually means updating the mail server or its OpenSSL, and removing any old ssl_protocols / smtpd_tls_protocols setting that limits the versions.".to_owned()),
        ));
    }

    // Weak suites, each named once with its worst weakness, at any version.
    let mut weak: Vec<(&str, Weakness)> = Vec::new();
    let mut no_fs: Vec<&str> = Vec::new();
    for version in &probe.versions {
        for suite in &version.suites {
            if let Some(w) = suite.weakness.filter(|w| *w != Weakness::Legacy) {
                if !weak.iter().any(|(name, _)| *name == suite.name) {
                    weak.push((&suite.name, w));
                }
            }
            if !suite.forward_secrecy
                && version.version != TlsVersion::Tls13
                && !no_fs.contains(&suite.name.as_str())
            {
                no_fs.push(&suite.name);
            }
        }
    }
    if !weak.is_empty() {
        weak.sort_by_key(|(_, w)| *w);
        let broken = weak.iter().any(|(_, w)| w.is_broken());
        let list = weak
            .iter()
            .take(6)
            .map(|(name, w)| format!("{name} ({})", weakness_text(*w)))
            .collect::<Vec<_>>()
            .join(", ");
        let more = match weak.len() {
            n if n > 6 => format!(" and {} more", n - 6),
            _ => String::new(),
        };
        out.push(finding(
            "tls.weak_cipher",
            if broken { Critical } else { Warning },
            format!("The server accepts weak cipher suites: {list}{more}. An attacker who can steer the negotiation can weaken or read the connection."),
            Some(format!("Remove them from the server's cipher list. {CIPHER_FIX}.")),
        ));
    }
    if !no_fs.is_empty() {
        out.push(finding(
            "tls.no_forward_secrecy",
            Warning,
            format!(
                "The server accepts {} cipher suite{} without forward secrecy (e.g. {}): whoever obtains the server's private key later can decrypt recorded sessions that used them.",
                no_fs.len(),
                if no_fs.len() == 1 { "" } else { "s" },
                no_fs[0]
            ),
            Some(format!("Allow only ECDHE and DHE key exchange. {CIPHER_FIX}.")),
        ));
    }
    if let Some(tls12) = probe.version(TlsVersion::Tls12) {
        if tls12.accepted == Acceptance::Yes
            && tls12.suites_complete
            && !tls12.suites.is_empty()
            && !tls12.suites.iter().any(|s| s.aead)
            && no(TlsVersion::Tls13)
        {
            out.push(finding(
                "tls.cbc_only",
                Warning,
                "The server offers only CBC-mode cipher suites and no TLS 1.3: no AES-GCM or ChaCha20, so every connection uses the older construction behind Lucky13-style attacks.".to_owned(),
                Some(format!("Enable AES-GCM or ChaCha20-Poly1305 suites (and TLS 1.3). {CIPHER_FIX}.")),
            ));
        }
    }

    let open: Vec<&str> = probe
        .versions
        .iter()
        .filter(|v| v.accepted == Acceptance::Inconclusive)
        .map(|v| v.version.name())
        .collect();
    let partial = probe.versions.iter().any(|v| {
        v.accepted == Acceptance::Yes
            && (!v.suites_complete || (v.groups.is_some() && !v.groups_complete))
    });
    if !open.is_empty() || partial || probe.stopped.is_some() {
        let all_open = open.len() == probe.versions.len();
        let mut parts = Vec::new();
        if !open.is_empty() {
            parts.push(format!(
                "could not tell whether the server accepts {}",
                open.join(", ")
            ));
        }
        if partial {
            parts.push("some cipher-suite or group lists may be incomplete".to_owned());
        }
        let why = probe
            .stopped
            .as_deref()
            .map_or_else(String::new, |s| format!(" Probing stopped early: {s}."));
        out.push(finding(
            "tls.probe_inconclusive",
            if all_open || probe.stopped.is_some() { Unknown } else { Info },
            format!("The TLS probe {}.{why}", parts.join("; ")),
            Some("Retry later or with --probe-concurrency 1 and a longer --timeout: the server may limit connections per client.".to_owned()),
        ));
    }
}

fn weakness_text(weakness: Weakness) -> &'static str {
    match weakness {
        Weakness::Null => "no encryption",
        Weakness::Anon => "no server authentication",
        Weakness::Export => "export-grade",
        Weakness::Rc4 => "RC4",
        Weakness::Des => "DES/RC2",
        Weakness::TripleDes => "3DES, Sweet32",
        Weakness::Md5 => "MD5",
        Weakness::Legacy => "legacy",
    }
}

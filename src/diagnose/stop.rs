//! Rules about why a check stopped: the network, the server's refusals, the
//! mail dialogue and the TLS handshake.

use super::codes::Code;
use super::{clip, finding, short_name, Finding, Severity};
use crate::facts::protocol::TlsMode;
use crate::facts::stop::{CheckError, DialogueError, HandshakeFailure, Phase, Stop};
use crate::facts::target::Target;
use crate::facts::CheckFacts;

/// The finding that says why the check stopped, if it stopped; and the defence
/// against a check that "finished" without TLS and without saying why.
pub(super) fn findings(facts: &CheckFacts, out: &mut Vec<Finding>) {
    match facts.stopped.as_ref() {
        Some(Stop {
            error: Some(error), ..
        }) => out.push(if client_cert_refused(facts) {
            client_cert_required(facts)
        } else {
            stop_finding(&facts.target, error, facts)
        }),
        // A report saved before the typed error was: its words are all there is.
        Some(Stop {
            error: None,
            phase,
            message,
        }) => out.push(finding(
            Code::NetIoError,
            Severity::Unknown,
            format!("The check stopped during {}: {message}.", phase.describe()),
            None,
        )),
        None => {}
    }
    let negotiated = facts.tls.as_ref().and_then(|t| t.version.as_ref());
    if facts.stopped.is_none() && negotiated.is_none() {
        // A bug in mailtls must not come out as ok.
        out.push(finding(
            Code::MailtlsInternalError,
            Severity::Unknown,
            "mailtls finished without establishing TLS and without saying why.".to_owned(),
            Some("Please report this as a bug in mailtls, with the command line used.".to_owned()),
        ));
    }
}

/// How long a greeting may take before the report mentions it.
const SLOW_GREETING_MS: u64 = 1000;

/// A greeting that came, but slowly: worth knowing, not a failure.
pub(super) fn slow_greeting(facts: &CheckFacts, out: &mut Vec<Finding>) {
    let Some(ms) = facts.greeting_ms.filter(|&ms| ms >= SLOW_GREETING_MS) else {
        return;
    };
    let target = &facts.target;
    let seconds = ms as f64 / 1000.0;
    out.push(finding(
        Code::GreetingSlow,
        Severity::Info,
        format!(
            "The {} server on port {} took {seconds:.1} s to send its greeting; mailtls waited, but a mail client with a short timeout may give up first.",
            target.protocol.display_name(),
            target.port
        ),
        Some("Anti-spam greeting delays belong on port 25 only, not on the ports mail clients use (465, 587, IMAP, POP3); otherwise check the server's load and its DNS lookups of clients.".to_owned()),
    ));
}

/// The server asked for a client certificate, got none, and ended the
/// connection because of it: that, not the broken connection, is the finding.
pub(super) fn client_cert_refused(facts: &CheckFacts) -> bool {
    let sent = facts
        .tls
        .as_ref()
        .and_then(|t| t.client_cert_sent.as_deref());
    facts.client_certificate_requested.is_some()
        && sent.is_none()
        && stopped_by_client_cert_demand(facts)
}

/// "from CA 1, CA 2" or "without naming any certificate authority".
pub(super) fn requested_authorities(facts: &CheckFacts) -> String {
    match facts.client_certificate_requested.as_deref() {
        None | Some([]) => "without naming any certificate authority".to_owned(),
        Some(authorities) => format!(
            "from {}",
            authorities
                .iter()
                .map(|a| short_name(a))
                .collect::<Vec<_>>()
                .join(", ")
        ),
    }
}

fn client_cert_required(facts: &CheckFacts) -> Finding {
    let named = requested_authorities(facts);
    finding(
        Code::TlsClientCertRequired,
        Severity::Unknown,
        format!("The server requires a client certificate {named} and ended the connection without one; mail clients without such a certificate cannot connect."),
        Some("Check with a certificate the server accepts: mailtls --client-cert CERT.pem --client-key KEY.pem. Mail clients need the same certificate installed in their account settings.".to_owned()),
    )
}

/// The server asked for a client certificate, got none, and then broke off: in
/// TLS 1.3 with an alert on the first read after the handshake, in TLS 1.2
/// during the handshake.
fn stopped_by_client_cert_demand(facts: &CheckFacts) -> bool {
    match facts.stopped.as_ref().and_then(|s| s.error.as_ref()) {
        // certificate_required, bad_certificate, certificate_unknown, …
        Some(CheckError::TlsAlert { alert, .. }) => alert.contains("certificate"),
        Some(CheckError::Handshake(HandshakeFailure::AlertReceived { alert })) => {
            alert.contains("certificate") || alert == "handshake_failure"
        }
        Some(CheckError::Closed { .. } | CheckError::Handshake(HandshakeFailure::Closed)) => true,
        _ => false,
    }
}

/// Whether the check's own TLS handshake completed.
fn tls_done(facts: &CheckFacts) -> bool {
    facts.tls.as_ref().is_some_and(|t| t.version.is_some())
}

/// The finding that explains why a check stopped.
fn stop_finding(target: &Target, error: &CheckError, facts: &CheckFacts) -> Finding {
    let port = target.port;
    let host = target.host.to_string();
    let protocol = target.protocol.display_name();
    let a_protocol = target.protocol.with_article();
    let other_mode_port = |mode: TlsMode| target.protocol.default_port(mode);
    use Severity::*;
    match error {
        CheckError::Dns { host, detail } => finding(
            Code::NetDnsFailed,
            Unknown,
            format!("The host name {host} could not be looked up ({detail})."),
            Some("Check the server name in the mail client's account settings for typos.".to_owned()),
        ),
        CheckError::NoAddress { host } => finding(
            Code::NetDnsFailed,
            Unknown,
            format!("The host name {host} has no IP address."),
            Some("Check the server name in the mail client's account settings for typos.".to_owned()),
        ),
        CheckError::Refused { address } => finding(
            Code::NetConnectionRefused,
            Unknown,
            format!("Nothing accepts connections on port {port} at {address}."),
            Some(format!("Check the port number in the mail client; on the server, check that the {protocol} service listens on port {port} and that the firewall lets it through.")),
        ),
        CheckError::Connect { address, detail } => finding(
            Code::NetConnectFailed,
            Unknown,
            format!("Could not connect to {address}: {detail}."),
            Some("Check the network path and firewall between this machine and the server.".to_owned()),
        ),
        CheckError::ResetAtOnce => finding(
            Code::NetClosed,
            Unknown,
            format!("The server at {host}:{port} accepted the connection and reset it at once, before sending anything."),
            Some("The server or a firewall in front of it refuses this client: check connection limits, fail2ban-style blocks and the server's log.".to_owned()),
        ),
        CheckError::Timeout { phase } => finding(
            Code::NetTimeout,
            Unknown,
            format!("The server did not answer in time during {}.", phase.describe()),
            Some("Retry with a longer --timeout; if it persists, the server or a firewall is dropping the connection.".to_owned()),
        ),
        CheckError::NoGreeting if tls_done(facts) => finding(
            Code::NetNoGreeting,
            Unknown,
            format!("The TLS handshake with {host}:{port} succeeded, but no {protocol} greeting came inside TLS: mail clients wait for it, then give up."),
            Some(format!("Check that the {protocol} service behind TLS on port {port} is healthy: a TLS proxy or load balancer in front of it may reach no server.")),
        ),
        CheckError::NoGreeting => finding(
            Code::NetNoGreeting,
            Unknown,
            format!("The server at {host}:{port} accepted the connection but sent no {protocol} greeting, and did not answer TLS either."),
            Some(format!("Check that the {protocol} service on port {port} is healthy; a firewall or proxy may be holding the connection.")),
        ),
        CheckError::TlsOnPlaintextPort => finding(
            Code::PortTlsOnPlaintextPort,
            Critical,
            format!("Port {port} expects SSL/TLS from the first byte, but it was checked as a STARTTLS port: a client set to STARTTLS waits for a greeting that never comes."),
            Some(format!("In the mail client, set the connection security for port {port} to SSL/TLS instead of STARTTLS (mailtls: --implicit-tls). The usual STARTTLS port for {protocol} is {}.", other_mode_port(TlsMode::Starttls))),
        ),
        CheckError::Closed {
            phase: Phase::Greeting,
        } if tls_done(facts) => finding(
            Code::NetClosed,
            Unknown,
            format!("The server closed the connection right after the TLS handshake, before its {protocol} greeting."),
            Some(format!("Check the {protocol} server's log: it may be limiting connections from this address, or a TLS proxy in front of it reaches no server.")),
        ),
        CheckError::Closed { phase } => finding(
            Code::NetClosed,
            Unknown,
            format!("The server closed the connection during {}.", phase.describe()),
            Some("The server may be limiting connections from this address; retry later, and check the server's log.".to_owned()),
        ),
        CheckError::LineTooLong { phase, limit } => finding(
            Code::ProtocolLineTooLong,
            Critical,
            format!("The server sent a line of more than {limit} bytes during {}; this is not {protocol}.", phase.describe()),
            Some(format!("Check that port {port} runs {a_protocol} server.")),
        ),
        CheckError::Io { phase, detail } => finding(
            Code::NetIoError,
            Unknown,
            format!("A network error ended the check during {}: {detail}.", phase.describe()),
            None,
        ),
        CheckError::TlsAlert { phase, alert } => finding(
            Code::NetIoError,
            Unknown,
            format!("A network error ended the check during {}: the server sent the TLS alert {alert}.", phase.describe()),
            None,
        ),
        CheckError::Internal { detail } => finding(
            Code::MailtlsInternalError,
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
    let a_protocol = target.protocol.with_article();
    use Severity::*;
    match error {
        DialogueError::UnexpectedGreeting { line, .. } => {
            let looks_like_tls = line.starts_with('\u{16}') || line.starts_with('\u{15}');
            finding(
            Code::ProtocolUnexpectedGreeting,
                Critical,
                format!("The server on port {port} does not greet like {a_protocol} server; it sent {:?}.", clip(line, 80)),
                Some(if looks_like_tls {
                    format!("The port seems to speak TLS at once: set the mail client to SSL/TLS for port {port}.")
                } else {
                    format!("Check the port number: port {port} runs some other service.")
                }),
            )
        }
        DialogueError::ServiceUnavailable { line, temporary: true } => finding(
            Code::ServerBusy,
            Unknown,
            format!("The server refused the session for now ({:?}); this usually means too many connections or rate limiting.", clip(line, 80)),
            Some("Retry later; if it persists, check the server's connection limits.".to_owned()),
        ),
        DialogueError::ServiceUnavailable { line, temporary: false } => finding(
            Code::ServerRefused,
            Critical,
            format!("The server refused the session ({:?}).", clip(line, 80)),
            Some("Check the server's access rules (for SMTP, whether this client address is blocked).".to_owned()),
        ),
        DialogueError::StarttlsNotOffered => finding(
            Code::StarttlsNotOffered,
            Critical,
            format!("The {protocol} server on port {port} does not offer STARTTLS, so a client would send passwords and mail unencrypted."),
            Some(match target.protocol.info().implicit_port {
                Some(implicit_port) => format!("Enable TLS on the server (Dovecot: ssl = required; Postfix: smtpd_tls_security_level = encrypt on submission). Meanwhile, use SSL/TLS on port {implicit_port} if the server offers it."),
                None => "Enable TLS on the server (Dovecot: ssl = required).".to_owned(),
            }),
        ),
        DialogueError::StarttlsRefused { line } => finding(
            Code::StarttlsRefused,
            Critical,
            format!("The server advertised STARTTLS but refused the command ({:?}).", clip(line, 80)),
            Some("Check the server's TLS configuration: a refusal usually means its certificate or key could not be loaded (see the server's log).".to_owned()),
        ),
        DialogueError::UnexpectedReply { command, line } => finding(
            Code::ProtocolUnexpectedReply,
            Critical,
            format!("The server answered {command} with {:?}, which {a_protocol} client cannot use.", clip(line, 80)),
            Some("Check the server's log for the reason it rejected the command.".to_owned()),
        ),
        DialogueError::ReplyTooLong { command } => finding(
            Code::ProtocolReplyTooLong,
            Critical,
            format!("The server's reply to {command} went on for more lines than any real server sends."),
            Some(format!("Check that port {port} runs {a_protocol} server.")),
        ),
    }
}

/// The TLS 1.2 and 1.3 suites the probe found the server accepts, by name.
fn modern_accepted(facts: &CheckFacts) -> Vec<&str> {
    use crate::facts::probe::TlsVersion;
    let Some(probe) = facts.probe.as_ref() else {
        return Vec::new();
    };
    probe
        .accepted_versions()
        .into_iter()
        .filter(|v| matches!(v, TlsVersion::Tls12 | TlsVersion::Tls13))
        .filter_map(|v| probe.version(v))
        .flat_map(|v| v.suites.iter().map(|s| s.name.as_str()))
        .collect()
}

fn handshake_finding(target: &Target, error: &HandshakeFailure, facts: &CheckFacts) -> Finding {
    let port = target.port;
    let protocol = target.protocol.display_name();
    let a_protocol = target.protocol.with_article();
    use Severity::*;
    // The TLS 1.2/1.3 suites the probe found, if it ran.
    let accepted = modern_accepted(facts);
    match (error, target.mode) {
        (HandshakeFailure::NotTls { first_line }, TlsMode::Implicit) => finding(
            Code::PortPlaintextOnTlsPort,
            Critical,
            format!("Port {port} answered in plaintext ({:?}) instead of TLS: a client set to SSL/TLS cannot connect.", clip(first_line, 80)),
            Some(format!(
                "In the mail client, set the connection security for port {port} to STARTTLS instead of SSL/TLS, or better, enable SSL/TLS on the server's port {} and use that (RFC 8314).",
                target.protocol.default_port(TlsMode::Implicit)
            )),
        ),
        (HandshakeFailure::NotTls { first_line }, TlsMode::Starttls) => finding(
            Code::StarttlsNoTlsAfterGoAhead,
            Critical,
            format!("The server agreed to STARTTLS but then went on in plaintext ({:?}).", clip(first_line, 80)),
            Some("A proxy or firewall in front of the server may be stripping STARTTLS; check the path to the server.".to_owned()),
        ),
        (HandshakeFailure::Garbage { first_bytes }, _) => finding(
            Code::TlsHandshakeFailed,
            Critical,
            format!("The server answered the TLS handshake with bytes that are neither TLS nor {a_protocol} greeting (hex {first_bytes})."),
            Some(format!("Check that port {port} runs {a_protocol} server with TLS, and that no other service or a broken proxy answers there.")),
        ),
        (HandshakeFailure::Timeout, _) => finding(
            Code::NetTimeout,
            Unknown,
            format!("The TLS handshake with the {protocol} server did not finish in time."),
            Some("Retry with a longer --timeout; if it persists, a firewall may be dropping TLS packets.".to_owned()),
        ),
        (HandshakeFailure::AlertReceived { alert }, _)
            if matches!(alert.as_str(), "handshake_failure" | "insufficient_security")
                && !accepted.is_empty() =>
        {
            finding(
                Code::TlsHandshakeFailed,
                Info,
                format!(
                    "mailtls's own handshake was refused with the alert {alert}: its TLS library (rustls) offers only ECDHE key exchange with AEAD suites, and the server accepts none of them. The probe found what the server does accept ({}); its other findings and the verdicts per client say what that means for mail clients.",
                    accepted.join(", ")
                ),
                Some("Enable ECDHE suites with AES-GCM or ChaCha20 (Mozilla's \"intermediate\" configuration), which every current mail client offers.".to_owned()),
            )
        }
        (HandshakeFailure::AlertReceived { alert }, _) => {
            let hint = match alert.as_str() {
                "protocol_version" => " It does not accept TLS 1.2 or 1.3; it may speak only legacy TLS 1.0/1.1, which current mail clients refuse.",
                "handshake_failure" | "insufficient_security" => " It shares no cipher suite or key exchange with a modern client.",
                _ => "",
            };
            finding(
            Code::TlsHandshakeFailed,
                Critical,
                format!("The server rejected the TLS handshake with the alert {alert}.{hint}"),
                Some("Enable TLS 1.2 and 1.3 with current cipher suites on the server (for example Mozilla's \"intermediate\" configuration).".to_owned()),
            )
        }
        (HandshakeFailure::Reset, _) => finding(
            Code::TlsHandshakeFailed,
            Critical,
            "The server reset the connection instead of answering the TLS handshake.".to_owned(),
            Some("Check the server's log for TLS errors; it may not support TLS 1.2/1.3, or it failed to load its certificate.".to_owned()),
        ),
        (HandshakeFailure::Closed, _) => finding(
            Code::TlsHandshakeFailed,
            Critical,
            if facts.tls.as_ref().is_some_and(|t| !t.chain.is_empty()) {
                "The server closed the connection in the middle of the TLS handshake, after sending its certificate.".to_owned()
            } else {
                "The server closed the connection during the TLS handshake, before sending a certificate.".to_owned()
            },
            Some("Check the server's log for TLS errors; it may not support TLS 1.2/1.3, or it failed to load its certificate.".to_owned()),
        ),
        (HandshakeFailure::Protocol { detail } | HandshakeFailure::Io { detail }, _) => finding(
            Code::TlsHandshakeFailed,
            Critical,
            format!("The TLS handshake failed: {detail}."),
            Some("Check the server's TLS configuration and log.".to_owned()),
        ),
    }
}

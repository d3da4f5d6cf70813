//! Every finding code, from hand-made facts.
//!
//! The rules are tested as a table: each [`Case`] is facts made with the one
//! builder in `facts::testing`, the code it must produce with its severity, the
//! words its message or fix must say, and the codes that must not appear (the
//! interplay between rules). One test runs the table; others hold it to
//! covering every code `diagnose` can make, with the severities the docs name.

use super::profiles::MozillaProfile;
use super::{diagnose, verdict, Code, Finding, Policy, Severity};
use crate::facts::audit::AuditTest;
use crate::facts::probe::{TlsVersion, Weakness};
use crate::facts::protocol::Protocol;
use crate::facts::stop::{CheckError, DialogueError, HandshakeFailure, Phase};
use crate::facts::testing::{
    address, audit_negative, audit_positive, cbc_suite, rsa_kx_suite, suite, weak_suite,
    CertBuilder, FactsBuilder, ProbeBuilder, DAY, HOST, NOW, ROOT,
};
use crate::facts::tls::{StoreKind, VerifyError};
use crate::facts::{CheckFacts, FetchedIssuer};

use Severity::{Critical, Info, Ok, Unknown, Warning};

/// The codes only `report` makes, from several checks or from no check at all.
const REPORT_CODES: &[Code] = &[
    // `mailtls domain`'s, from the domain's DNS and policy (diagnose/mtasts.rs).
    Code::DaneMxInsecure,
    Code::DnsNoMx,
    Code::DnsMxFailed,
    Code::DnsMxUnresolvable,
    Code::MtaStsNone,
    Code::MtaStsRecordInvalid,
    Code::MtaStsPolicyUnavailable,
    Code::MtaStsPolicyInvalid,
    Code::MtaStsMaxAgeShort,
    Code::MtaStsModeNone,
    Code::MtaStsTesting,
    Code::MtaStsMxNotListed,
    Code::MtaStsMxCertInvalid,
    Code::MtaStsEnforced,
    Code::TlsRptNone,
    Code::TlsRptInvalid,
    Code::TlsRptPublished,
    Code::DnsAddressesDiffer,
    Code::InputInvalidTarget,
    // `mailtls account`'s, from discovery and several endpoints (report/account.rs).
    Code::AccountStarttlsWhereTlsWorks,
    Code::AccountSrvTargetNameMismatch,
    Code::AccountNothingPublished,
    Code::AccountEndpointUnreachable,
    Code::AccountConfigOverHttp,
    Code::AccountSourcesDisagree,
    Code::AccountAutodiscoverOtherDomain,
    Code::AccountConfigUnreadable,
    Code::AccountPortZero,
];

/// One row of the table.
struct Case {
    name: &'static str,
    facts: CheckFacts,
    policy: Policy,
    code: Code,
    severity: Severity,
    /// Each must appear in the message or the fix of the expected finding.
    words: &'static [&'static str],
    /// Codes that must not appear in the findings.
    absent: Vec<Code>,
}

fn case(
    name: &'static str,
    facts: FactsBuilder,
    code: Code,
    severity: Severity,
    words: &'static [&'static str],
) -> Case {
    Case {
        name,
        facts: facts.build(),
        policy: Policy::default(),
        code,
        severity,
        words,
        absent: Vec::new(),
    }
}

impl Case {
    /// These codes must not be found as well.
    fn without(mut self, codes: &[Code]) -> Case {
        self.absent.extend_from_slice(codes);
        self
    }

    fn policy(mut self, warn_days: i64, crit_days: i64) -> Case {
        self.policy = Policy {
            warn_days,
            crit_days,
            ..Policy::default()
        };
        self
    }

    fn profile(mut self, profile: MozillaProfile) -> Case {
        self.policy.profile = Some(profile);
        self
    }

    /// Whether the findings are what this case expects; if not, why not.
    fn check(&self) -> Result<(), String> {
        let findings = diagnose(&self.facts, &self.policy);
        let listing = || {
            findings
                .iter()
                .map(|f| {
                    format!(
                        "    {} {}: {} | fix: {}",
                        f.code,
                        f.severity.name(),
                        f.message,
                        f.fix.as_deref().unwrap_or("-")
                    )
                })
                .collect::<Vec<_>>()
                .join("\n")
        };
        let same_code: Vec<&Finding> = findings.iter().filter(|f| f.code == self.code).collect();
        if same_code.is_empty() {
            return Err(format!("no {} among:\n{}", self.code, listing()));
        }
        let Some(found) = same_code.iter().find(|f| f.severity == self.severity) else {
            return Err(format!(
                "{} is not {} in:\n{}",
                self.code,
                self.severity.name(),
                listing()
            ));
        };
        let text = format!("{}\n{}", found.message, found.fix.as_deref().unwrap_or(""));
        let missing: Vec<&str> = self
            .words
            .iter()
            .copied()
            .filter(|w| !text.contains(w))
            .collect();
        if !missing.is_empty() {
            return Err(format!(
                "{} does not say {missing:?}:\n{}",
                self.code,
                listing()
            ));
        }
        let unwanted: Vec<Code> = self
            .absent
            .iter()
            .copied()
            .filter(|c| findings.iter().any(|f| f.code == *c))
            .collect();
        if !unwanted.is_empty() {
            return Err(format!("{unwanted:?} found as well:\n{}", listing()));
        }
        if let Some(f) = findings.iter().find(|f| REPORT_CODES.contains(&f.code)) {
            return Err(format!("{} is for report to make, not diagnose", f.code));
        }
        if findings.windows(2).any(|w| w[0].severity < w[1].severity) {
            return Err(format!("findings not worst first:\n{}", listing()));
        }
        Result::Ok(())
    }
}

/// A STARTTLS check of `protocol` with nothing to complain about.
fn good_starttls(protocol: Protocol) -> FactsBuilder {
    FactsBuilder::starttls(protocol)
        .tls13()
        .good_chain()
        .trusted()
}

/// A check of IMAPS that stopped with `error` before TLS was established.
fn stopped(error: CheckError) -> FactsBuilder {
    FactsBuilder::imaps().stopped(error)
}

fn handshake(error: HandshakeFailure) -> CheckError {
    CheckError::Handshake(error)
}

fn dialogue(error: DialogueError) -> CheckError {
    CheckError::Dialogue(error)
}

fn alert(alert: &str) -> CheckError {
    handshake(HandshakeFailure::AlertReceived {
        alert: alert.to_owned(),
    })
}

const PROBE_CODES: &[Code] = &[
    Code::TlsSslv3Enabled,
    Code::TlsTls10Enabled,
    Code::TlsTls11Enabled,
    Code::TlsLegacyOnly,
    Code::TlsWeakCipher,
    Code::TlsNoForwardSecrecy,
    Code::TlsCbcOnly,
    Code::TlsProbeInconclusive,
    Code::TlsNoFallbackScsv,
    Code::TlsInsecureRenegotiation,
    Code::TlsProfileDeviation,
    Code::TlsCompression,
    Code::TlsNoExtendedMasterSecret,
    Code::TlsHeartbleed,
    Code::TlsCcsInjection,
    Code::TlsRobot,
    Code::TlsClientRenegotiation,
    Code::TlsWeakDh,
    Code::CertDiffersWithoutSni,
];

const AIA: &str = "http://ca.test/intermediate.der";

fn fetched(completes_chain: Option<bool>, error: Option<&str>) -> FetchedIssuer {
    FetchedIssuer {
        url: AIA.to_owned(),
        certificate: None,
        completes_chain,
        trusted_by_platform: Vec::new(),
        error: error.map(str::to_owned),
    }
}

fn stop_cases() -> Vec<Case> {
    vec![
        case(
            "DNS lookup failed",
            stopped(CheckError::Dns {
                host: HOST.to_owned(),
                detail: "NXDOMAIN".to_owned(),
            }),
            Code::NetDnsFailed,
            Unknown,
            &["mail.test could not be looked up (NXDOMAIN)", "typos"],
        )
        .without(&[Code::MailtlsInternalError]),
        case(
            "the name has no address",
            stopped(CheckError::NoAddress {
                host: HOST.to_owned(),
            }),
            Code::NetDnsFailed,
            Unknown,
            &["mail.test has no IP address"],
        ),
        case(
            "connection refused",
            stopped(CheckError::Refused {
                address: address(993),
            }),
            Code::NetConnectionRefused,
            Unknown,
            &[
                "Nothing accepts connections on port 993",
                "IMAP service listens on port 993",
            ],
        ),
        case(
            "connection failed",
            stopped(CheckError::Connect {
                address: address(993),
                detail: "network unreachable".to_owned(),
            }),
            Code::NetConnectFailed,
            Unknown,
            &[
                "Could not connect to 192.0.2.1:993: network unreachable",
                "firewall",
            ],
        ),
        case(
            "timeout, with the phase named",
            stopped(CheckError::Timeout {
                phase: Phase::Greeting,
            }),
            Code::NetTimeout,
            Unknown,
            &["did not answer in time during the greeting", "--timeout"],
        ),
        case(
            "handshake timeout",
            stopped(handshake(HandshakeFailure::Timeout)),
            Code::NetTimeout,
            Unknown,
            &["TLS handshake with the IMAP server did not finish in time"],
        )
        .without(&[Code::TlsHandshakeFailed]),
        case(
            "no greeting",
            stopped(CheckError::NoGreeting),
            Code::NetNoGreeting,
            Unknown,
            &["accepted the connection but sent no IMAP greeting"],
        ),
        case(
            "TLS on a port checked as STARTTLS",
            FactsBuilder::starttls(Protocol::Imap)
                .port(993)
                .stopped(CheckError::TlsOnPlaintextPort),
            Code::PortTlsOnPlaintextPort,
            Critical,
            &[
                "Port 993 expects SSL/TLS from the first byte",
                "SSL/TLS instead of STARTTLS (mailtls: --implicit-tls)",
                "usual STARTTLS port for IMAP is 143",
            ],
        ),
        case(
            "connection closed",
            stopped(CheckError::Closed {
                phase: Phase::PlaintextDialogue,
            }),
            Code::NetClosed,
            Unknown,
            &["closed the connection during the plaintext dialogue before TLS"],
        ),
        case(
            "line too long",
            stopped(CheckError::LineTooLong {
                phase: Phase::Greeting,
                limit: 16384,
            }),
            Code::ProtocolLineTooLong,
            Critical,
            &[
                "more than 16384 bytes during the greeting",
                "this is not IMAP",
            ],
        ),
        case(
            "network error",
            stopped(CheckError::Io {
                phase: Phase::TlsDialogue,
                detail: "connection reset by peer".to_owned(),
            }),
            Code::NetIoError,
            Unknown,
            &["during the dialogue inside TLS: connection reset by peer"],
        ),
        case(
            "internal error",
            stopped(CheckError::Internal {
                detail: "no runtime".to_owned(),
            }),
            Code::MailtlsInternalError,
            Unknown,
            &["internal error: no runtime", "report this as a bug"],
        ),
        case(
            "finished without TLS and without a reason",
            FactsBuilder::imaps(),
            Code::MailtlsInternalError,
            Unknown,
            &["without establishing TLS and without saying why"],
        ),
        case(
            "a greeting of another protocol",
            stopped(dialogue(DialogueError::UnexpectedGreeting {
                protocol: "IMAP",
                line: "SSH-2.0-OpenSSH_9.6".to_owned(),
            })),
            Code::ProtocolUnexpectedGreeting,
            Critical,
            &[
                "does not greet like",
                "SSH-2.0-OpenSSH_9.6",
                "runs some other service",
            ],
        ),
        case(
            "a greeting that is a TLS record",
            FactsBuilder::starttls(Protocol::Imap).stopped(dialogue(
                DialogueError::UnexpectedGreeting {
                    protocol: "IMAP",
                    line: "\u{16}\u{3}\u{3}".to_owned(),
                },
            )),
            Code::ProtocolUnexpectedGreeting,
            Critical,
            &["seems to speak TLS at once", "SSL/TLS for port 143"],
        ),
        case(
            "busy: a temporary refusal",
            FactsBuilder::starttls(Protocol::Smtp).stopped(dialogue(
                DialogueError::ServiceUnavailable {
                    line: "421 4.7.0 Too many connections".to_owned(),
                    temporary: true,
                },
            )),
            Code::ServerBusy,
            Unknown,
            &[
                "refused the session for now",
                "421 4.7.0 Too many",
                "Retry later",
            ],
        ),
        case(
            "refused: a permanent refusal",
            FactsBuilder::starttls(Protocol::Smtp).stopped(dialogue(
                DialogueError::ServiceUnavailable {
                    line: "554 5.7.1 Go away".to_owned(),
                    temporary: false,
                },
            )),
            Code::ServerRefused,
            Critical,
            &["refused the session", "554 5.7.1 Go away", "access rules"],
        ),
        case(
            "STARTTLS not offered",
            FactsBuilder::starttls(Protocol::Imap)
                .caps_before(&["IMAP4rev1", "LOGINDISABLED"])
                .stopped(dialogue(DialogueError::StarttlsNotOffered)),
            Code::StarttlsNotOffered,
            Critical,
            &[
                "IMAP server on port 143 does not offer STARTTLS",
                "ssl = required",
                "SSL/TLS on port 993",
            ],
        ),
        case(
            "STARTTLS refused",
            FactsBuilder::starttls(Protocol::Imap).stopped(dialogue(
                DialogueError::StarttlsRefused {
                    line: "a2 NO TLS not available".to_owned(),
                },
            )),
            Code::StarttlsRefused,
            Critical,
            &[
                "advertised STARTTLS but refused the command",
                "a2 NO TLS not available",
            ],
        ),
        case(
            "unexpected reply",
            FactsBuilder::starttls(Protocol::Imap).stopped(dialogue(
                DialogueError::UnexpectedReply {
                    command: "CAPABILITY",
                    line: "a1 BAD what".to_owned(),
                },
            )),
            Code::ProtocolUnexpectedReply,
            Critical,
            &["answered CAPABILITY with", "a1 BAD what", "server's log"],
        ),
        case(
            "reply too long",
            FactsBuilder::starttls(Protocol::Smtp)
                .stopped(dialogue(DialogueError::ReplyTooLong { command: "EHLO" })),
            Code::ProtocolReplyTooLong,
            Critical,
            &["reply to EHLO went on for more lines", "port 587"],
        ),
        case(
            "plaintext on a port checked as SSL/TLS",
            FactsBuilder::imaps()
                .port(1993)
                .stopped(handshake(HandshakeFailure::NotTls {
                    first_line: "* OK IMAP4rev1 ready".to_owned(),
                })),
            Code::PortPlaintextOnTlsPort,
            Critical,
            &[
                "Port 1993 answered in plaintext",
                "* OK IMAP4rev1 ready",
                "STARTTLS instead of SSL/TLS",
                "port 993",
            ],
        )
        .without(&[Code::StarttlsNoTlsAfterGoAhead, Code::TlsHandshakeFailed]),
        case(
            "plaintext after the STARTTLS go-ahead",
            FactsBuilder::starttls(Protocol::Imap).stopped(handshake(HandshakeFailure::NotTls {
                first_line: "a3 OK what".to_owned(),
            })),
            Code::StarttlsNoTlsAfterGoAhead,
            Critical,
            &[
                "agreed to STARTTLS but then went on in plaintext",
                "stripping STARTTLS",
            ],
        )
        .without(&[Code::PortPlaintextOnTlsPort]),
        case(
            "handshake answered with garbage",
            stopped(handshake(HandshakeFailure::Garbage {
                first_bytes: "00 ff 13".to_owned(),
            })),
            Code::TlsHandshakeFailed,
            Critical,
            &["neither TLS nor", "hex 00 ff 13"],
        ),
        case(
            "handshake refused: protocol_version",
            stopped(alert("protocol_version")),
            Code::TlsHandshakeFailed,
            Critical,
            &[
                "alert protocol_version",
                "legacy TLS 1.0/1.1",
                "Enable TLS 1.2 and 1.3",
            ],
        ),
        case(
            "handshake refused: handshake_failure",
            stopped(alert("handshake_failure")),
            Code::TlsHandshakeFailed,
            Critical,
            &["alert handshake_failure", "shares no cipher suite"],
        )
        .without(&[Code::TlsClientCertRequired]),
        case(
            "handshake closed before a certificate",
            stopped(handshake(HandshakeFailure::Closed)),
            Code::TlsHandshakeFailed,
            Critical,
            &["before sending a certificate"],
        ),
        case(
            "handshake closed after the certificate",
            stopped(handshake(HandshakeFailure::Closed)).der_leaf(&[HOST]),
            Code::TlsHandshakeFailed,
            Critical,
            &["after sending its certificate"],
        ),
        case(
            "handshake broken",
            stopped(handshake(HandshakeFailure::Protocol {
                detail: "received corrupt message".to_owned(),
            })),
            Code::TlsHandshakeFailed,
            Critical,
            &["The TLS handshake failed: received corrupt message"],
        ),
        case(
            "handshake I/O error",
            stopped(handshake(HandshakeFailure::Io {
                detail: "broken pipe".to_owned(),
            })),
            Code::TlsHandshakeFailed,
            Critical,
            &["The TLS handshake failed: broken pipe"],
        ),
    ]
}

fn client_certificate_cases() -> Vec<Case> {
    vec![
        case(
            "client certificate required replaces tls.handshake_failed",
            FactsBuilder::imaps()
                .client_cert_requested(&["O=Corp, CN=Corp Client CA"])
                .stopped(alert("certificate_required")),
            Code::TlsClientCertRequired,
            Unknown,
            &[
                "requires a client certificate from Corp Client CA",
                "--client-cert CERT.pem --client-key KEY.pem",
            ],
        )
        .without(&[Code::TlsHandshakeFailed, Code::TlsClientCertRequested]),
        case(
            "client certificate required replaces net.closed",
            FactsBuilder::imaps()
                .tls13()
                .client_cert_requested(&[])
                .stopped(CheckError::Closed {
                    phase: Phase::TlsDialogue,
                }),
            Code::TlsClientCertRequired,
            Unknown,
            &["without naming any certificate authority"],
        )
        .without(&[Code::NetClosed, Code::TlsClientCertRequested]),
        case(
            "client certificate required: the TLS 1.3 alert after the handshake",
            FactsBuilder::imaps()
                .tls13()
                .client_cert_requested(&["CN=Corp Client CA"])
                .stopped(CheckError::TlsAlert {
                    phase: Phase::TlsDialogue,
                    alert: "certificate_required".to_owned(),
                }),
            Code::TlsClientCertRequired,
            Unknown,
            &["from Corp Client CA"],
        )
        .without(&[Code::NetIoError]),
        case(
            "client certificate required: handshake_failure after a request",
            FactsBuilder::imaps()
                .client_cert_requested(&["CN=Corp Client CA"])
                .stopped(alert("handshake_failure")),
            Code::TlsClientCertRequired,
            Unknown,
            &["requires a client certificate"],
        )
        .without(&[Code::TlsHandshakeFailed]),
        case(
            "client certificate sent, then closed: the closing stands",
            FactsBuilder::good()
                .client_cert_requested(&["CN=Corp Client CA"])
                .client_cert_sent("O=Corp, CN=mailtls client")
                .stopped(CheckError::Closed {
                    phase: Phase::TlsDialogue,
                }),
            Code::NetClosed,
            Unknown,
            &["closed the connection during the dialogue inside TLS"],
        )
        .without(&[Code::TlsClientCertRequired]),
        case(
            "client certificate sent and requested",
            FactsBuilder::good()
                .client_cert_requested(&["CN=Corp Client CA"])
                .client_cert_sent("O=Corp, CN=mailtls client"),
            Code::TlsClientCertRequested,
            Info,
            &["asked for a client certificate from Corp Client CA; mailtls presented 'mailtls client'"],
        ),
        case(
            "client certificate requested, not required",
            FactsBuilder::good().client_cert_requested(&["O=Corp, CN=Corp Client CA", "CN=Other CA"]),
            Code::TlsClientCertRequested,
            Info,
            &["asked for a client certificate from Corp Client CA, Other CA; mailtls sent none"],
        )
        .without(&[Code::TlsClientCertRequired]),
    ]
}

fn validity_cases() -> Vec<Case> {
    vec![
        case(
            "trusted",
            FactsBuilder::good(),
            Code::CertTrusted,
            Ok,
            &["valid for mail.test and trusted by Mozilla's root store"],
        ),
        case(
            "an expired leaf suppresses cert.untrusted",
            FactsBuilder::good()
                .cert_at(0, CertBuilder::leaf(HOST).valid(NOW - 100 * DAY, NOW - 10 * DAY))
                .verify_error(VerifyError::Expired),
            Code::CertExpired,
            Critical,
            &[
                "The server's certificate expired on 2025-12-22 (10 days ago)",
                "Renew the server's certificate",
            ],
        )
        .without(&[Code::CertUntrusted, Code::CertExpiresSoon, Code::CertTrusted]),
        case(
            "an expired intermediate",
            FactsBuilder::good()
                .cert_at(1, CertBuilder::intermediate().expires_in_days(-3))
                .verify_error(VerifyError::Expired),
            Code::CertExpired,
            Critical,
            &[
                "Certificate 2 in the chain ('Test Intermediate') expired on 2025-12-29",
                "Replace the expired intermediate 'Test Intermediate'",
            ],
        )
        .without(&[Code::CertUntrusted]),
        case(
            "not yet valid",
            FactsBuilder::good()
                .cert_at(0, CertBuilder::leaf(HOST).valid_from_days(5))
                .verify_error(VerifyError::NotYetValid),
            Code::CertNotYetValid,
            Critical,
            &["The server's certificate is not valid until 2026-01-06", "clock"],
        )
        .without(&[Code::CertUntrusted, Code::CertExpired]),
        case(
            "expires soon: warning within the warning days",
            FactsBuilder::good().cert_at(0, CertBuilder::leaf(HOST).expires_in_days(20)),
            Code::CertExpiresSoon,
            Warning,
            &["expires on 2026-01-21 (in 20 days)", "automatic renewal"],
        ),
        case(
            "expires soon: critical within the critical days",
            FactsBuilder::good().cert_at(0, CertBuilder::leaf(HOST).expires_in_days(3)),
            Code::CertExpiresSoon,
            Critical,
            &["(in 3 days)"],
        ),
        case(
            "expires soon: the critical threshold is exclusive",
            FactsBuilder::good().cert_at(0, CertBuilder::leaf(HOST).expires_in_days(7)),
            Code::CertExpiresSoon,
            Warning,
            &["(in 7 days)"],
        ),
        case(
            "expires soon: warning with wider policy thresholds",
            FactsBuilder::good().cert_at(0, CertBuilder::leaf(HOST).expires_in_days(45)),
            Code::CertExpiresSoon,
            Warning,
            &["(in 45 days)"],
        )
        .policy(60, 30),
        case(
            "expires soon: critical with wider policy thresholds",
            FactsBuilder::good().cert_at(0, CertBuilder::leaf(HOST).expires_in_days(20)),
            Code::CertExpiresSoon,
            Critical,
            &["(in 20 days)"],
        )
        .policy(60, 30),
        case(
            "expires soon: not yet under the default thresholds",
            FactsBuilder::good().cert_at(0, CertBuilder::leaf(HOST).expires_in_days(45)),
            Code::CertTrusted,
            Ok,
            &[],
        )
        .without(&[Code::CertExpiresSoon]),
        case(
            "expires soon: an intermediate",
            FactsBuilder::good().cert_at(1, CertBuilder::intermediate().expires_in_days(10)),
            Code::CertExpiresSoon,
            Warning,
            &[
                "intermediate certificate 'Test Intermediate' sent by the server expires on 2026-01-11 (in 10 days)",
                "replace the old one",
            ],
        ),
        case(
            "expires soon: not a root sent along",
            FactsBuilder::good().cert(CertBuilder::root(ROOT).expires_in_days(3)),
            Code::CertRootIncluded,
            Info,
            &[],
        )
        .without(&[Code::CertExpiresSoon]),
        case(
            "validity too long",
            FactsBuilder::good()
                .cert_at(0, CertBuilder::leaf(HOST).valid(NOW - 30 * DAY, NOW + 470 * DAY)),
            Code::CertValidityTooLong,
            Warning,
            &["valid for 500 days, longer than the 398 days", "at most 398 days"],
        ),
        case(
            "validity too long: not for a self-signed leaf",
            FactsBuilder::imaps()
                .tls13()
                .cert(CertBuilder::self_signed(HOST).valid(NOW - 30 * DAY, NOW + 3000 * DAY))
                .verify_error(VerifyError::UnknownIssuer),
            Code::CertSelfSigned,
            Critical,
            &[],
        )
        .without(&[Code::CertValidityTooLong]),
    ]
}

fn name_cases() -> Vec<Case> {
    vec![
        case(
            "name mismatch, with the names covered",
            FactsBuilder::good()
                .der_leaf(&["other.test", "*.other.test"])
                .verify_error(VerifyError::NameMismatch {
                    presented: vec!["other.test".to_owned(), "*.other.test".to_owned()],
                }),
            Code::CertNameMismatch,
            Critical,
            &[
                "not valid for mail.test: it covers only other.test, *.other.test",
                "a certificate that includes mail.test",
            ],
        )
        .without(&[Code::CertUntrusted, Code::CertTrusted]),
        case(
            "name mismatch: no subjectAltName at all",
            FactsBuilder::good()
                .der_leaf(&[])
                .verify_error(VerifyError::NameMismatch { presented: vec![] }),
            Code::CertNameMismatch,
            Critical,
            &["it names no host in subjectAltName (subject: CN=mail.test)"],
        )
        .without(&[Code::CertUntrusted]),
        case(
            "a wildcard covers the name",
            FactsBuilder::imaps()
                .host("imap.mail.test")
                .tls13()
                .good_chain()
                .trusted()
                .der_leaf(&["*.mail.test"]),
            Code::CertTrusted,
            Ok,
            &["valid for imap.mail.test"],
        )
        .without(&[Code::CertNameMismatch]),
        case(
            "self-signed",
            FactsBuilder::imaps()
                .tls13()
                .cert(CertBuilder::self_signed(HOST))
                .verify_error(VerifyError::UnknownIssuer),
            Code::CertSelfSigned,
            Critical,
            &[
                "self-signed (mail.test): no mail client trusts it without a manual exception",
                "public certificate authority",
            ],
        )
        .without(&[
            Code::CertUnknownIssuer,
            Code::CertChainIncomplete,
            Code::CertUntrustedRoot,
            Code::CertUntrusted,
        ]),
        case(
            "self-signed and marked CA:TRUE",
            FactsBuilder::imaps()
                .tls13()
                .cert(CertBuilder::self_signed(HOST).is_ca(true))
                .verify_error(VerifyError::CaUsedAsEndEntity),
            Code::CertSelfSigned,
            Critical,
            &[
                "marked as a certificate authority (CA:TRUE)",
                "basicConstraints=critical,CA:FALSE",
            ],
        )
        .without(&[Code::CertUntrusted]),
    ]
}

fn trust_cases() -> Vec<Case> {
    vec![
        case(
            "a date before 1970 is one the verifier cannot check: a warning",
            FactsBuilder::good().verify_error(VerifyError::UnsupportedTime),
            Code::CertDateUnsupported,
            Warning,
            &["before 1970"],
        )
        .without(&[Code::CertUntrusted, Code::CertUnparsable]),
        case(
            "unknown issuer: no root sent, no AIA",
            FactsBuilder::good().verify_error(VerifyError::UnknownIssuer),
            Code::CertUnknownIssuer,
            Critical,
            &[
                "ends at 'Test Root', which is not in Mozilla's root store",
                "add it to the server's certificate file",
                "--ca-file",
            ],
        )
        .without(&[
            Code::CertChainIncomplete,
            Code::CertUntrustedRoot,
            Code::CertUntrusted,
        ]),
        case(
            "chain incomplete: the leaf alone, with its AIA",
            FactsBuilder::imaps()
                .tls13()
                .cert(CertBuilder::leaf(HOST).ca_issuers_url(AIA))
                .verify_error(VerifyError::UnknownIssuer),
            Code::CertChainIncomplete,
            Critical,
            &[
                "the server sends only its own certificate but not the intermediate 'Test Intermediate' that issued 'mail.test'",
                "downloaded from http://ca.test/intermediate.der",
                "fullchain.pem",
            ],
        )
        .without(&[
            Code::CertUnknownIssuer,
            Code::CertUntrustedRoot,
            Code::CertUntrusted,
        ]),
        case(
            "chain incomplete: the fetched intermediate completes it",
            FactsBuilder::imaps()
                .tls13()
                .cert(CertBuilder::leaf(HOST).ca_issuers_url(AIA))
                .verify_error(VerifyError::UnknownIssuer)
                .fetched_issuer(fetched(Some(true), None)),
            Code::CertChainIncomplete,
            Critical,
            &["mailtls downloaded it from http://ca.test/intermediate.der: with it, the chain is trusted by Mozilla's root store"],
        ),
        case(
            "chain incomplete: the fetched intermediate does not complete it",
            FactsBuilder::imaps()
                .tls13()
                .cert(CertBuilder::leaf(HOST).ca_issuers_url(AIA))
                .verify_error(VerifyError::UnknownIssuer)
                .fetched_issuer(fetched(Some(false), None)),
            Code::CertChainIncomplete,
            Critical,
            &["but even with it the chain is not trusted"],
        ),
        case(
            "chain incomplete: fetching failed",
            FactsBuilder::imaps()
                .tls13()
                .cert(CertBuilder::leaf(HOST).ca_issuers_url(AIA))
                .verify_error(VerifyError::UnknownIssuer)
                .fetched_issuer(fetched(None, Some("HTTP 404"))),
            Code::CertChainIncomplete,
            Critical,
            &["Downloading it from http://ca.test/intermediate.der failed: HTTP 404"],
        ),
        case(
            "untrusted root: the server sends a private root",
            FactsBuilder::good()
                .cert(CertBuilder::root(ROOT))
                .verify_error(VerifyError::UnknownIssuer),
            Code::CertUntrustedRoot,
            Critical,
            &[
                "ends at the root 'Test Root', which the server sends but which is not in Mozilla's root store",
                "private certificate authority",
                "Install the root certificate 'Test Root' as trusted on each client",
            ],
        )
        .without(&[
            Code::CertRootIncluded,
            Code::CertUnknownIssuer,
            Code::CertChainIncomplete,
            Code::CertUntrusted,
        ]),
        case(
            "untrusted: a bad signature with no weak key to explain it",
            FactsBuilder::good().verify_error(VerifyError::BadSignature),
            Code::CertUntrusted,
            Critical,
            &[
                "not trusted: a signature in the chain is invalid",
                "public certificate authority",
            ],
        )
        .without(&[Code::CertWeakKey, Code::CertTrusted]),
        case(
            "untrusted: wrong purpose",
            FactsBuilder::good().verify_error(VerifyError::InvalidPurpose),
            Code::CertUntrusted,
            Critical,
            &["not issued for TLS servers (extended key usage)"],
        ),
        case(
            "untrusted: revoked",
            FactsBuilder::good().verify_error(VerifyError::Revoked),
            Code::CertUntrusted,
            Critical,
            &["it has been revoked"],
        ),
        case(
            "untrusted: a CA certificate as the server's, in a chain",
            FactsBuilder::good().verify_error(VerifyError::CaUsedAsEndEntity),
            Code::CertUntrusted,
            Critical,
            &["a CA certificate, not a server certificate"],
        )
        .without(&[Code::CertSelfSigned]),
        case(
            "untrusted: chain too long",
            FactsBuilder::good().verify_error(VerifyError::ChainTooLong),
            Code::CertUntrusted,
            Critical,
            &["longer than clients will follow", "the server sends 2"],
        ),
        case(
            "untrusted: another reason, in the verifier's words",
            FactsBuilder::good().verify_error(VerifyError::Other {
                detail: "something odd".to_owned(),
            }),
            Code::CertUntrusted,
            Critical,
            &["The certificate is not trusted: something odd."],
        ),
        case(
            "trust differs: the chosen store trusts, another common one does not",
            FactsBuilder::good()
                .store(StoreKind::Mozilla, Some(true))
                .store(StoreKind::System, Some(false)),
            Code::CertTrustDiffers,
            Warning,
            &[
                "Thunderbird (Mozilla's root store) will accept this certificate; clients that use the operating system's store (Outlook, Apple Mail) will not",
                "both Mozilla's and the operating systems' root programs",
            ],
        ),
        case(
            "trust differs: only the CA files trust it (a private CA)",
            FactsBuilder::good()
                .store(StoreKind::Mozilla, Some(false))
                .store(StoreKind::System, Some(false))
                .store(StoreKind::CaFiles, Some(true)),
            Code::CertTrustDiffers,
            Info,
            &[
                "Clients with the given CA certificate installed will accept this certificate; Thunderbird (Mozilla's root store) and clients that use the operating system's store (Outlook, Apple Mail) will not",
                "issued by a private certificate authority",
                "organisation's root certificate installed",
            ],
        ),
        case(
            "trust differs: the platforms' stores speak for their clients, not this machine's",
            FactsBuilder::good()
                .store(StoreKind::Mozilla, Some(true))
                .store(StoreKind::System, Some(true))
                .platforms(true, None)
                .platform(StoreKind::Apple, Some(false)),
            Code::CertTrustDiffers,
            Warning,
            &["Thunderbird (Mozilla's root store), Outlook (the Windows root program), Android mail apps (Android's root store), mail apps on Android 8 and Java mail clients (OpenJDK's cacerts) will accept this certificate; Apple Mail (Apple's root store) will not."],
        ),
        case(
            "trust differs: not when a store is unavailable",
            FactsBuilder::good()
                .store(StoreKind::Mozilla, Some(true))
                .store(StoreKind::System, None),
            Code::CertTrusted,
            Ok,
            &[],
        )
        .without(&[Code::CertTrustDiffers]),
    ]
}

fn shape_and_strength_cases() -> Vec<Case> {
    vec![
        case(
            "unparsable leaf: suppresses cert.untrusted",
            FactsBuilder::imaps()
                .tls13()
                .cert(CertBuilder::unparsable("not a valid X.509 certificate: bad tag"))
                .verify_error(VerifyError::BadEncoding),
            Code::CertUnparsable,
            Critical,
            &[
                "Certificate 1 of the chain could not be read: not a valid X.509 certificate: bad tag",
                "Re-export the certificate file",
            ],
        )
        .without(&[Code::CertUntrusted, Code::CertSelfSigned]),
        case(
            "unparsable extra certificate: not called unrelated",
            FactsBuilder::good().cert(CertBuilder::unparsable("junk")),
            Code::CertUnparsable,
            Critical,
            &["Certificate 3 of the chain could not be read: junk"],
        )
        .without(&[Code::CertUnrelatedCertificate]),
        case(
            "weak signature: explains an unsupported algorithm",
            FactsBuilder::good()
                .cert_at(0, CertBuilder::leaf(HOST).weak_signature("SHA-1"))
                .verify_error(VerifyError::UnsupportedSignatureAlgorithm),
            Code::CertWeakSignature,
            Critical,
            &[
                "The server's certificate is signed with SHA-1, which is broken",
                "SHA-256 signature",
            ],
        )
        .without(&[Code::CertUntrusted]),
        case(
            "weak signature: an intermediate's MD5",
            FactsBuilder::good().cert_at(1, CertBuilder::intermediate().weak_signature("MD5")),
            Code::CertWeakSignature,
            Critical,
            &["Certificate 2 in the chain ('Test Intermediate') is signed with MD5"],
        ),
        case(
            "weak signature: not a root's own",
            FactsBuilder::good().cert(CertBuilder::root(ROOT).weak_signature("SHA-1")),
            Code::CertRootIncluded,
            Info,
            &[],
        )
        .without(&[Code::CertWeakSignature]),
        case(
            "a weak key explains BadSignature (no cert.untrusted)",
            FactsBuilder::good()
                .cert_at(1, CertBuilder::intermediate().rsa(1024))
                .verify_error(VerifyError::BadSignature),
            Code::CertWeakKey,
            Critical,
            &[
                "Certificate 2 in the chain ('Test Intermediate') has a 1024-bit RSA key",
                "at least 2048 bits",
            ],
        )
        .without(&[Code::CertUntrusted, Code::CertTrusted]),
        case(
            "weak key: 2048 bits is enough",
            FactsBuilder::good().cert_at(0, CertBuilder::leaf(HOST).rsa(2048)),
            Code::CertTrusted,
            Ok,
            &[],
        )
        .without(&[Code::CertWeakKey]),
        case(
            "must-staple without a staple",
            FactsBuilder::good().cert_at(0, CertBuilder::leaf(HOST).must_staple()),
            Code::CertMustStapleNotStapled,
            Critical,
            &["OCSP must-staple", "Enable OCSP stapling"],
        ),
        case(
            "must-staple with a staple",
            FactsBuilder::good()
                .cert_at(0, CertBuilder::leaf(HOST).must_staple())
                .ocsp_stapled(),
            Code::CertTrusted,
            Ok,
            &[],
        )
        .without(&[Code::CertMustStapleNotStapled]),
        case(
            "wrong order, with the right one",
            FactsBuilder::imaps()
                .tls13()
                .cert(CertBuilder::leaf(HOST))
                .cert(CertBuilder::root(ROOT))
                .cert(CertBuilder::intermediate())
                .trusted(),
            Code::CertWrongOrder,
            Info,
            &[
                "out of order",
                "in this order: 'mail.test', 'Test Intermediate', 'Test Root'",
            ],
        ),
        case(
            "root included",
            FactsBuilder::good().cert(CertBuilder::root(ROOT)),
            Code::CertRootIncluded,
            Info,
            &["also sends the root certificate 'Test Root'", "Remove the root certificate"],
        )
        .without(&[Code::CertUntrustedRoot, Code::CertWrongOrder]),
        case(
            "duplicate",
            FactsBuilder::good().cert(CertBuilder::intermediate()),
            Code::CertDuplicate,
            Info,
            &[
                "sends the certificate 'Test Intermediate' more than once",
                "Remove the repeated certificate",
            ],
        )
        .without(&[Code::CertUnrelatedCertificate]),
        case(
            "unrelated certificate",
            FactsBuilder::good().cert(CertBuilder::ca(
                "O=Old CA, CN=Old Intermediate",
                "O=Old CA, CN=Old Root",
            )),
            Code::CertUnrelatedCertificate,
            Info,
            &[
                "sends the certificate 'Old Intermediate', which is not part of its certificate's chain",
                "leftover",
            ],
        )
        .without(&[Code::CertWrongOrder]),
    ]
}

fn tls_cases() -> Vec<Case> {
    let tls10_cbc = || cbc_suite("TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA");
    vec![
        case(
            "TLS 1.2 negotiated",
            FactsBuilder::imaps().tls12().good_chain().trusted(),
            Code::TlsNoTls13,
            Info,
            &["negotiated TLS 1.2, not TLS 1.3", "Enable TLS 1.3"],
        ),
        case(
            "a modern probe finds nothing",
            FactsBuilder::good().probe(ProbeBuilder::modern()),
            Code::CertTrusted,
            Ok,
            &[],
        )
        .without(PROBE_CODES),
        case(
            "no fallback SCSV",
            FactsBuilder::good().probe(
                ProbeBuilder::modern()
                    .suites(TlsVersion::Tls11, vec![tls10_cbc()])
                    .fallback_scsv(false),
            ),
            Code::TlsNoFallbackScsv,
            Info,
            &[
                "accepts TLSv1.1, TLSv1.2, TLSv1.3 and ignores TLS_FALLBACK_SCSV",
                "OpenSSL",
                "Dovecot",
            ],
        ),
        case(
            "no fallback SCSV: TLS 1.2 and 1.3 only, the downgrade sentinel covers it",
            FactsBuilder::good().probe(ProbeBuilder::modern().fallback_scsv(false)),
            Code::CertTrusted,
            Ok,
            &[],
        )
        .without(&[Code::TlsNoFallbackScsv]),
        case(
            "fallback SCSV and secure renegotiation supported",
            FactsBuilder::good().probe(
                ProbeBuilder::modern()
                    .fallback_scsv(true)
                    .secure_renegotiation(true),
            ),
            Code::CertTrusted,
            Ok,
            &[],
        )
        .without(&[Code::TlsNoFallbackScsv, Code::TlsInsecureRenegotiation]),
        case(
            "insecure renegotiation",
            FactsBuilder::good().probe(ProbeBuilder::modern().secure_renegotiation(false)),
            Code::TlsInsecureRenegotiation,
            Warning,
            &["RFC 5746", "CVE-2009-3555", "Dovecot and Postfix", "ssl_min_protocol = TLSv1.3"],
        ),
        case(
            "profile: a modern probe is within intermediate",
            FactsBuilder::good().probe(ProbeBuilder::modern()),
            Code::CertTrusted,
            Ok,
            &[],
        )
        .profile(MozillaProfile::Intermediate)
        .without(&[Code::TlsProfileDeviation]),
        case(
            "profile: TLS 1.0 and a CBC suite are outside intermediate",
            FactsBuilder::good().probe(
                ProbeBuilder::modern()
                    .suites(TlsVersion::Tls10, vec![tls10_cbc()])
                    .suites(
                        TlsVersion::Tls12,
                        vec![
                            suite("TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384"),
                            tls10_cbc(),
                        ],
                    ),
            ),
            Code::TlsProfileDeviation,
            Warning,
            &[
                "Mozilla's \"intermediate\" TLS configuration (guidelines 5.7)",
                "it accepts TLSv1.0, which the configuration does not allow",
                "at TLSv1.2 it accepts TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA, not on",
                "Dovecot: ssl_min_protocol = TLSv1.2, ssl_cipher_list = ECDHE-ECDSA-AES128-GCM-SHA256:",
                "Postfix: smtpd_tls_protocols = >=TLSv1.2",
                "tls_medium_cipherlist",
            ],
        )
        .profile(MozillaProfile::Intermediate),
        case(
            "profile: modern needs TLS 1.3 and only TLS 1.3",
            FactsBuilder::good().probe(ProbeBuilder::modern().refuses(TlsVersion::Tls13)),
            Code::TlsProfileDeviation,
            Warning,
            &[
                "\"modern\"",
                "it accepts TLSv1.2, which the configuration does not allow; it does not accept TLSv1.3, which the configuration requires",
                "ssl_min_protocol = TLSv1.3",
            ],
        )
        .profile(MozillaProfile::Modern),
        case(
            "profile: old allows TLS 1.0 with CBC and 3DES",
            FactsBuilder::good().probe(ProbeBuilder::modern().suites(
                TlsVersion::Tls10,
                vec![
                    tls10_cbc(),
                    weak_suite("TLS_RSA_WITH_3DES_EDE_CBC_SHA", Weakness::TripleDes),
                ],
            )),
            Code::TlsTls10Enabled,
            Warning,
            &[],
        )
        .profile(MozillaProfile::Old)
        .without(&[Code::TlsProfileDeviation]),
        case(
            "SSL 3.0 accepted",
            FactsBuilder::good().probe(
                ProbeBuilder::modern().suites(TlsVersion::Ssl3, vec![tls10_cbc()]),
            ),
            Code::TlsSslv3Enabled,
            Critical,
            &["accepts SSL 3.0", "POODLE", "ssl_min_protocol = TLSv1.2"],
        )
        .without(&[Code::TlsLegacyOnly, Code::TlsProbeInconclusive]),
        case(
            "TLS 1.0 accepted",
            FactsBuilder::good().probe(
                ProbeBuilder::modern().suites(TlsVersion::Tls10, vec![tls10_cbc()]),
            ),
            Code::TlsTls10Enabled,
            Warning,
            &["still accepts TLS 1.0", "RFC 8996", "Disable TLS 1.0 and 1.1"],
        )
        .without(&[Code::TlsTls11Enabled, Code::TlsLegacyOnly, Code::TlsWeakCipher]),
        case(
            "TLS 1.1 accepted",
            FactsBuilder::good().probe(
                ProbeBuilder::modern().suites(TlsVersion::Tls11, vec![tls10_cbc()]),
            ),
            Code::TlsTls11Enabled,
            Warning,
            &["still accepts TLS 1.1", "smtpd_tls_protocols"],
        )
        .without(&[Code::TlsTls10Enabled, Code::TlsLegacyOnly]),
        case(
            "mailtls's own handshake refused, but the probe found TLS 1.2 suites",
            stopped(alert("handshake_failure")).probe(
                ProbeBuilder::empty()
                    .refuses(TlsVersion::Ssl3)
                    .refuses(TlsVersion::Tls10)
                    .refuses(TlsVersion::Tls11)
                    .suites(
                        TlsVersion::Tls12,
                        vec![rsa_kx_suite("TLS_RSA_WITH_AES_128_GCM_SHA256")],
                    )
                    .refuses(TlsVersion::Tls13),
            ),
            Code::TlsHandshakeFailed,
            Info,
            &[
                "rustls",
                "accepts none of them",
                "TLS_RSA_WITH_AES_128_GCM_SHA256",
            ],
        )
        .without(&[Code::TlsLegacyOnly]),
        case(
            "legacy only",
            stopped(alert("protocol_version")).probe(
                ProbeBuilder::empty()
                    .refuses(TlsVersion::Ssl3)
                    .suites(TlsVersion::Tls10, vec![tls10_cbc()])
                    .suites(TlsVersion::Tls11, vec![tls10_cbc()])
                    .refuses(TlsVersion::Tls12)
                    .refuses(TlsVersion::Tls13),
            ),
            Code::TlsLegacyOnly,
            Critical,
            &[
                "speaks at most TLSv1.1, and neither TLS 1.2 nor TLS 1.3",
                "Enable TLS 1.2 and 1.3 on the server",
            ],
        )
        .without(&[Code::TlsTls10Enabled, Code::TlsTls11Enabled]),
        case(
            "legacy only: not when TLS 1.2 is an open question",
            stopped(alert("protocol_version")).probe(
                ProbeBuilder::empty()
                    .refuses(TlsVersion::Ssl3)
                    .suites(TlsVersion::Tls10, vec![tls10_cbc()])
                    .refuses(TlsVersion::Tls11)
                    .inconclusive(TlsVersion::Tls12)
                    .refuses(TlsVersion::Tls13),
            ),
            Code::TlsTls10Enabled,
            Warning,
            &[],
        )
        .without(&[Code::TlsLegacyOnly]),
        case(
            "weak cipher: a broken suite is critical",
            FactsBuilder::good().probe(ProbeBuilder::modern().suites(
                TlsVersion::Tls12,
                vec![
                    suite("TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384"),
                    weak_suite("TLS_RSA_WITH_RC4_128_SHA", Weakness::Rc4),
                ],
            )),
            Code::TlsWeakCipher,
            Critical,
            &[
                "weak cipher suites: TLS_RSA_WITH_RC4_128_SHA (RC4).",
                "Remove them from the server's cipher list",
            ],
        ),
        case(
            "weak cipher: 3DES alone is a warning",
            FactsBuilder::good().probe(ProbeBuilder::modern().suites(
                TlsVersion::Tls12,
                vec![
                    suite("TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384"),
                    weak_suite("TLS_RSA_WITH_3DES_EDE_CBC_SHA", Weakness::TripleDes),
                ],
            )),
            Code::TlsWeakCipher,
            Warning,
            &["TLS_RSA_WITH_3DES_EDE_CBC_SHA (3DES, Sweet32)"],
        ),
        case(
            "weak cipher: worst first, with the rest counted",
            FactsBuilder::good().probe(ProbeBuilder::modern().suites(
                TlsVersion::Tls12,
                vec![
                    weak_suite("W1_3DES", Weakness::TripleDes),
                    weak_suite("W2_RC4", Weakness::Rc4),
                    weak_suite("W3_DES", Weakness::Des),
                    weak_suite("W4_EXPORT", Weakness::Export),
                    weak_suite("W5_ANON", Weakness::Anon),
                    weak_suite("W6_NULL", Weakness::Null),
                    weak_suite("W7_MD5", Weakness::Md5),
                    weak_suite("W8_RC4", Weakness::Rc4),
                ],
            )),
            Code::TlsWeakCipher,
            Critical,
            &[
                "W6_NULL (no encryption), W5_ANON (no server authentication), W4_EXPORT (export-grade), W2_RC4 (RC4), W8_RC4 (RC4), W3_DES (DES/RC2) and 2 more.",
            ],
        ),
        case(
            "no forward secrecy",
            FactsBuilder::good().probe(ProbeBuilder::modern().suites(
                TlsVersion::Tls12,
                vec![
                    suite("TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384"),
                    rsa_kx_suite("TLS_RSA_WITH_AES_128_GCM_SHA256"),
                ],
            )),
            Code::TlsNoForwardSecrecy,
            Warning,
            &[
                "accepts 1 cipher suite without forward secrecy (e.g. TLS_RSA_WITH_AES_128_GCM_SHA256)",
                "Allow only ECDHE and DHE key exchange",
            ],
        )
        .without(&[Code::TlsWeakCipher]),
        case(
            "CBC only, and no TLS 1.3",
            FactsBuilder::imaps()
                .tls12()
                .good_chain()
                .trusted()
                .probe(
                    ProbeBuilder::modern()
                        .suites(
                            TlsVersion::Tls12,
                            vec![
                                cbc_suite("TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA"),
                                cbc_suite("TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA"),
                            ],
                        )
                        .refuses(TlsVersion::Tls13),
                ),
            Code::TlsCbcOnly,
            Warning,
            &["only CBC-mode cipher suites and no TLS 1.3", "ChaCha20-Poly1305"],
        )
        .without(&[Code::TlsWeakCipher, Code::TlsNoForwardSecrecy]),
        case(
            "CBC only: not when TLS 1.3 is accepted",
            FactsBuilder::good().probe(ProbeBuilder::modern().suites(
                TlsVersion::Tls12,
                vec![cbc_suite("TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA")],
            )),
            Code::CertTrusted,
            Ok,
            &[],
        )
        .without(&[Code::TlsCbcOnly]),
        case(
            "probe inconclusive: one open question is info",
            FactsBuilder::good().probe(ProbeBuilder::modern().inconclusive(TlsVersion::Tls10)),
            Code::TlsProbeInconclusive,
            Info,
            &[
                "could not tell whether the server accepts TLSv1.0",
                "--probe-concurrency 1",
            ],
        )
        .without(&[Code::TlsTls10Enabled]),
        case(
            "probe inconclusive: a partial suite list is info",
            FactsBuilder::good().probe(ProbeBuilder::modern().suites_incomplete(TlsVersion::Tls12)),
            Code::TlsProbeInconclusive,
            Info,
            &["some cipher-suite or group lists may be incomplete"],
        ),
        case(
            "probe inconclusive: a partial group list is info",
            FactsBuilder::good().probe(ProbeBuilder::modern().groups(
                TlsVersion::Tls13,
                &["X25519"],
                false,
            )),
            Code::TlsProbeInconclusive,
            Info,
            &["may be incomplete"],
        ),
        case(
            "probe inconclusive: stopped early is unknown",
            FactsBuilder::good().probe(
                ProbeBuilder::modern()
                    .inconclusive(TlsVersion::Tls10)
                    .stopped("the server closed every connection"),
            ),
            Code::TlsProbeInconclusive,
            Unknown,
            &["Probing stopped early: the server closed every connection."],
        ),
        case(
            "probe inconclusive: no version answered is unknown",
            FactsBuilder::good().probe(
                TlsVersion::ALL
                    .into_iter()
                    .fold(ProbeBuilder::empty(), ProbeBuilder::inconclusive),
            ),
            Code::TlsProbeInconclusive,
            Unknown,
            &["could not tell whether the server accepts SSLv3, TLSv1.0, TLSv1.1, TLSv1.2, TLSv1.3"],
        )
        .without(&[Code::TlsLegacyOnly]),
    ]
}

fn plaintext_cases() -> Vec<Case> {
    vec![
        case(
            "plaintext after the STARTTLS go-ahead, discarded",
            good_starttls(Protocol::Imap).unexpected_plaintext("* OK injected"),
            Code::StarttlsUnexpectedPlaintext,
            Critical,
            &[r#"before TLS began ("* OK injected")"#, "CVE-2021-33515"],
        ),
        case(
            "cleartext login offered: IMAP LOGIN without LOGINDISABLED",
            good_starttls(Protocol::Imap)
                .caps_before(&["IMAP4rev1", "STARTTLS", "AUTH=SCRAM-SHA-256"])
                .caps_after(&["IMAP4rev1", "AUTH=PLAIN"]),
            Code::AuthCleartextOffered,
            Warning,
            &[
                "the IMAP server on port 143 already offers to log in (the LOGIN command, as LOGINDISABLED is not announced)",
                "disable_plaintext_auth = yes",
            ],
        )
        .without(&[Code::AuthTlsRequired]),
        case(
            "cleartext login offered: IMAP AUTH=PLAIN despite LOGINDISABLED",
            good_starttls(Protocol::Imap).caps_before(&[
                "IMAP4rev1",
                "STARTTLS",
                "LOGINDISABLED",
                "AUTH=PLAIN",
            ]),
            Code::AuthCleartextOffered,
            Warning,
            &["already offers to log in (AUTH=PLAIN)"],
        ),
        case(
            "cleartext login offered: POP3 USER",
            good_starttls(Protocol::Pop3)
                .caps_before(&["TOP", "UIDL", "USER", "STLS", "SASL SCRAM-SHA-1"])
                .caps_after(&["USER", "SASL PLAIN"]),
            Code::AuthCleartextOffered,
            Warning,
            &[
                "the POP3 server on port 110 already offers to log in (USER/PASS)",
                "auth_allow_cleartext = no",
            ],
        )
        .without(&[Code::AuthTlsRequired]),
        case(
            "cleartext login offered: POP3 USER and SASL PLAIN LOGIN",
            good_starttls(Protocol::Pop3).caps_before(&["USER", "STLS", "SASL PLAIN LOGIN"]),
            Code::AuthCleartextOffered,
            Warning,
            &["(USER/PASS, SASL PLAIN, SASL LOGIN)"],
        ),
        case(
            "cleartext login offered: SMTP AUTH PLAIN",
            good_starttls(Protocol::Smtp)
                .caps_before(&["PIPELINING", "SIZE 10240000", "STARTTLS", "AUTH PLAIN LOGIN"])
                .caps_after(&["PIPELINING", "AUTH PLAIN LOGIN"]),
            Code::AuthCleartextOffered,
            Warning,
            &[
                "the SMTP server on port 587 already offers to log in (AUTH PLAIN, AUTH LOGIN)",
                "smtpd_tls_auth_only = yes",
            ],
        )
        .without(&[Code::AuthTlsRequired]),
        case(
            "cleartext login offered: SMTP's old AUTH= form",
            good_starttls(Protocol::Smtp).caps_before(&["STARTTLS", "AUTH=PLAIN"]),
            Code::AuthCleartextOffered,
            Warning,
            &["(AUTH PLAIN)"],
        ),
        case(
            "cleartext login offered: ManageSieve \"SASL\" \"PLAIN\"",
            good_starttls(Protocol::Sieve)
                .caps_before(&[
                    r#""IMPLEMENTATION" "Dovecot Pigeonhole""#,
                    r#""SIEVE" "fileinto reject""#,
                    r#""SASL" "PLAIN""#,
                    r#""STARTTLS""#,
                ])
                .caps_after(&[r#""SASL" "PLAIN""#]),
            Code::AuthCleartextOffered,
            Warning,
            &[
                "the ManageSieve server on port 4190 already offers to log in (SASL PLAIN)",
                "ssl = required",
            ],
        )
        .without(&[Code::AuthTlsRequired]),
        case(
            "a slow greeting is worth knowing, not a failure",
            good_starttls(Protocol::Smtp).greeting_after(6_400),
            Code::GreetingSlow,
            Info,
            &["took 6.4 s to send its greeting", "port 25 only"],
        )
        .without(&[Code::NetNoGreeting, Code::NetTimeout]),
        case(
            "a capability flood is cut, and said",
            good_starttls(Protocol::Imap)
                .caps_before(&["IMAP4rev1", "STARTTLS", "LOGINDISABLED"])
                .capabilities_truncated(),
            Code::LimitsTruncated,
            Warning,
            &["capability lists (kept: the first 512", "real, healthy mail server"],
        ),
        case(
            "a long transcript is cut, and said",
            good_starttls(Protocol::Smtp).transcript_truncated(),
            Code::LimitsTruncated,
            Warning,
            &["part of its transcript (kept: the first 400 lines)"],
        ),
        case(
            "login only inside TLS: IMAP",
            good_starttls(Protocol::Imap)
                .caps_before(&["IMAP4rev1", "STARTTLS", "LOGINDISABLED"])
                .caps_after(&["IMAP4rev1", "AUTH=PLAIN"]),
            Code::AuthTlsRequired,
            Ok,
            &["The IMAP server offers to log in only after STARTTLS"],
        )
        .without(&[Code::AuthCleartextOffered]),
        case(
            "login only inside TLS: POP3 without USER",
            good_starttls(Protocol::Pop3)
                .caps_before(&["TOP", "STLS"])
                .caps_after(&["USER", "SASL PLAIN"]),
            Code::AuthTlsRequired,
            Ok,
            &["The POP3 server offers to log in only after STARTTLS"],
        ),
        case(
            "login only inside TLS: SMTP",
            good_starttls(Protocol::Smtp)
                .caps_before(&["PIPELINING", "STARTTLS"])
                .caps_after(&["PIPELINING", "AUTH PLAIN LOGIN"]),
            Code::AuthTlsRequired,
            Ok,
            &["The SMTP server offers to log in only after STARTTLS"],
        ),
        case(
            "login only inside TLS: ManageSieve with an empty SASL list",
            good_starttls(Protocol::Sieve)
                .caps_before(&[r#""SASL" """#, r#""STARTTLS""#])
                .caps_after(&[r#""SASL" "PLAIN""#]),
            Code::AuthTlsRequired,
            Ok,
            &["The ManageSieve server offers to log in only after STARTTLS"],
        ),
        case(
            "capabilities of an implicit-TLS check are not judged as plaintext",
            FactsBuilder::good().caps_before(&["IMAP4rev1", "AUTH=PLAIN"]),
            Code::CertTrusted,
            Ok,
            &[],
        )
        .without(&[Code::AuthCleartextOffered, Code::AuthTlsRequired]),
        case(
            "audit: command injection",
            good_starttls(Protocol::Smtp).audit_injection(audit_positive("250 2.0.0 Ok")),
            Code::StarttlsCommandInjection,
            Critical,
            &[r#"("250 2.0.0 Ok")"#, "CVE-2011-0411", "discard any input it has buffered"],
        )
        .without(&[Code::StarttlsNoCommandInjection]),
        case(
            "audit: no command injection",
            good_starttls(Protocol::Smtp).audit_injection(audit_negative("")),
            Code::StarttlsNoCommandInjection,
            Ok,
            &["not carried into the TLS session"],
        ),
        case(
            "audit: injection test inconclusive",
            good_starttls(Protocol::Smtp).audit_injection(AuditTest::inconclusive(
                "the server refused the extra connection",
            )),
            Code::StarttlsInjectionInconclusive,
            Info,
            &[
                "could not finish: the server refused the extra connection",
                "Run the audit again",
            ],
        )
        .without(&[Code::StarttlsNoCommandInjection]),
        case(
            "audit: POP3 accepts USER before TLS",
            good_starttls(Protocol::Pop3).audit_pop3_user(audit_positive("+OK")),
            Code::AuthCleartextAccepted,
            Critical,
            &[r#"accepted USER before TLS ("+OK")"#, "Refuse USER/PASS"],
        ),
        case(
            "audit: POP3 refuses USER before TLS",
            good_starttls(Protocol::Pop3).audit_pop3_user(audit_negative("-ERR")),
            Code::CertTrusted,
            Ok,
            &[],
        )
        .without(&[Code::AuthCleartextAccepted]),
    ]
}

fn dane_cases() -> Vec<Case> {
    use crate::facts::dane::{Dnssec, TlsaMatch};
    // Port 25: the records are for sending servers (RFC 7672).
    let smtp = || good_starttls(Protocol::Smtp).port(25);
    let ok = TlsaMatch::Authenticates { position: 0 };
    let unusable = || TlsaMatch::Unusable {
        why: "usage 1 (PKIX-EE) is not used for SMTP".to_owned(),
    };
    vec![
        case(
            "dane: away from port 25 the records are for RFC 7673 clients",
            good_starttls(Protocol::Smtp).dane(
                Dnssec::Secure,
                &[(3, 1, 1, TlsaMatch::NoMatch)],
                None,
            ),
            Code::DaneNoMatch,
            Critical,
            &["RFC 7673", "will not connect"],
        ),
        case(
            "dane: a record matches",
            smtp().dane(Dnssec::Secure, &[(3, 1, 1, ok.clone())], None),
            Code::DaneAuthenticated,
            Ok,
            &["3 1 1 0000000000000000", "authenticate this server"],
        )
        .without(&[Code::DaneUnmatchedRecord]),
        case(
            "dane: no record matches",
            smtp().dane(Dnssec::Secure, &[(3, 1, 1, TlsaMatch::NoMatch)], None),
            Code::DaneNoMatch,
            Critical,
            &["will not deliver", "IN TLSA 3 1 1 cdcdcd"],
        ),
        case(
            "dane: rollover, the next key published",
            smtp().dane(
                Dnssec::Secure,
                &[(3, 1, 1, ok.clone()), (3, 1, 1, TlsaMatch::NoMatch)],
                None,
            ),
            Code::DaneUnmatchedRecord,
            Info,
            &["3 1 1 0101010101010101", "next key"],
        ),
        case(
            "dane: a DANE-TA record whose chain fails beside one that works",
            smtp().dane(
                Dnssec::Secure,
                &[
                    (3, 1, 1, ok.clone()),
                    (
                        2,
                        0,
                        1,
                        TlsaMatch::TaChainInvalid {
                            position: 1,
                            why: "the certificate has expired".to_owned(),
                        },
                    ),
                ],
                None,
            ),
            Code::DaneTaChainInvalid,
            Warning,
            &["the certificate has expired"],
        ),
        case(
            "dane: PKIX usages only",
            smtp().dane(Dnssec::Secure, &[(1, 1, 1, unusable())], None),
            Code::DaneUnusableRecord,
            Warning,
            &["PKIX-EE", "authenticate nothing"],
        )
        .without(&[Code::DaneNoMatch]),
        case(
            "dane: bogus answer",
            smtp().dane(
                Dnssec::Bogus,
                &[(3, 1, 1, ok.clone())],
                Some("the TLSA records' signatures do not verify"),
            ),
            Code::DaneBogus,
            Critical,
            &["signatures do not verify", "defer mail"],
        )
        .without(&[Code::DaneAuthenticated]),
        case(
            "dane: nothing validates through the DNS server asked",
            smtp()
                .dane(
                    Dnssec::Bogus,
                    &[(3, 1, 1, ok.clone())],
                    Some("the TLSA records' signatures do not verify"),
                )
                .dane_unvalidatable("the DNS server 192.0.2.53:53 returns no DNSSEC signatures"),
            Code::DnsDnssecUnavailable,
            Unknown,
            &[
                "192.0.2.53:53 returns no DNSSEC signatures",
                "says nothing of the zone",
            ],
        )
        .without(&[Code::DaneBogus, Code::DaneAuthenticated]),
        case(
            "dane: the question failed",
            smtp().dane(
                Dnssec::Indeterminate,
                &[],
                Some("the name server answered SERVFAIL"),
            ),
            Code::DaneLookupFailed,
            Critical,
            &["SERVFAIL"],
        ),
        case(
            "dane: no answer in time",
            smtp().dane(Dnssec::Indeterminate, &[], Some("no answer in time")),
            Code::DaneLookupFailed,
            Unknown,
            &["no answer in time"],
        ),
        case(
            "dane: unsigned zone",
            smtp().dane(Dnssec::Insecure, &[], None),
            Code::DaneInsecure,
            Info,
            &["not in a DNSSEC-signed zone"],
        ),
        case(
            "dane: unsigned records",
            smtp().dane(Dnssec::Insecure, &[(3, 1, 1, ok)], None),
            Code::DaneInsecure,
            Warning,
            &["so they are ignored"],
        )
        .without(&[Code::DaneAuthenticated]),
        case(
            "dane: signed zone, no record",
            smtp().dane(Dnssec::Secure, &[], None),
            Code::DaneNoRecords,
            Info,
            &["no TLSA record", "IN TLSA 3 1 1 cdcd"],
        ),
    ]
}

fn revocation_cases() -> Vec<Case> {
    use crate::facts::ocsp::{OcspFacts, OcspStatus};
    use crate::facts::revocation::{CertRevocation, CrlVerdict, OcspAsked};
    use crate::facts::testing::staple;
    const OCSP: &str = "http://ocsp.ca.example/";
    const CRL: &str = "http://crl.ca.example/i.crl";
    let asked = |ocsp: Option<OcspAsked>, crl: Option<CrlVerdict>| CertRevocation {
        position: 0,
        subject: format!("CN={HOST}"),
        ocsp_urls: vec![OCSP.to_owned()],
        crl_urls: vec![CRL.to_owned()],
        ocsp,
        crl,
        not_asked: None,
    };
    let answer = |status: OcspStatus| OcspAsked {
        url: OCSP.to_owned(),
        http_status: Some(200),
        response: Some(OcspFacts {
            revoked_at: (status == OcspStatus::Revoked).then(|| "2026-11-20T10:00:00Z".to_owned()),
            revocation_reason: (status == OcspStatus::Revoked).then(|| "key_compromise".to_owned()),
            ..staple(status, NOW + DAY)
        }),
        error: None,
    };
    let down = OcspAsked {
        url: OCSP.to_owned(),
        error: Some(
            "the responder could not be asked: the server refused the connection".to_owned(),
        ),
        ..OcspAsked::default()
    };
    let crl = |revoked: bool, next: i64| CrlVerdict {
        url: CRL.to_owned(),
        bytes: 500,
        signature_valid: Some(true),
        this_update_unix: Some(NOW - DAY),
        next_update: Some(crate::facts::cert::rfc3339(next)),
        next_update_unix: Some(next),
        current: Some(next >= NOW),
        revoked: Some(revoked),
        revoked_at: revoked.then(|| "2026-11-21T00:00:00Z".to_owned()),
        revocation_reason: revoked.then(|| "superseded".to_owned()),
        ..CrlVerdict::default()
    };
    let codes = [Code::CertRevoked, Code::CertRevocationUnknown];
    vec![
        case(
            "revocation: good by OCSP and CRL",
            FactsBuilder::good().revocation(asked(
                Some(answer(OcspStatus::Good)),
                Some(crl(false, NOW + DAY)),
            )),
            Code::CertTrusted,
            Ok,
            &[],
        )
        .without(&codes),
        case(
            "revocation: revoked by OCSP",
            FactsBuilder::good().revocation(asked(
                Some(answer(OcspStatus::Revoked)),
                Some(crl(false, NOW + DAY)),
            )),
            Code::CertRevoked,
            Critical,
            &[
                "OCSP responder at http://ocsp.ca.example/",
                "since 2026-11-20",
                "key_compromise",
                "re-issue",
                "smtpd_tls_chain_files",
            ],
        ),
        case(
            "revocation: revoked by the CRL",
            FactsBuilder::good().revocation(asked(Some(down.clone()), Some(crl(true, NOW + DAY)))),
            Code::CertRevoked,
            Critical,
            &["CRL at http://crl.ca.example/i.crl", "superseded"],
        )
        .without(&[Code::CertRevocationUnknown]),
        case(
            "revocation: a badly signed OCSP answer is not believed",
            FactsBuilder::good().revocation(asked(
                Some(OcspAsked {
                    response: Some(OcspFacts {
                        signature_valid: Some(false),
                        ..staple(OcspStatus::Revoked, NOW + DAY)
                    }),
                    ..answer(OcspStatus::Revoked)
                }),
                None,
            )),
            Code::CertRevocationUnknown,
            Warning,
            &["not signed by the issuer"],
        )
        .without(&[Code::CertRevoked]),
        case(
            "revocation: responder down, CRL out of date",
            FactsBuilder::good().revocation(asked(Some(down), Some(crl(true, NOW - DAY)))),
            Code::CertRevocationUnknown,
            Warning,
            &[
                "refused the connection",
                "out of date",
                "soft fail",
                "briefly unreachable",
            ],
        )
        .without(&[Code::CertRevoked]),
        case(
            "revocation: nothing to ask",
            FactsBuilder::good().revocation(CertRevocation {
                ocsp_urls: Vec::new(),
                crl_urls: Vec::new(),
                not_asked: Some("the certificate names no OCSP responder and no CRL".to_owned()),
                ..asked(None, None)
            }),
            Code::CertRevocationUnknown,
            Info,
            &[
                "names no OCSP responder",
                "issuing CA's choice",
                "CRL distribution point",
            ],
        ),
    ]
}

fn staple_and_transparency_cases() -> Vec<Case> {
    use crate::facts::ocsp::{OcspFacts, OcspStatus};
    use crate::facts::testing::staple;
    let stapled = |ocsp: OcspFacts| FactsBuilder::good().ocsp(ocsp);
    let ocsp_codes = [
        Code::CertOcspRevoked,
        Code::CertOcspStale,
        Code::CertOcspUnusable,
    ];
    vec![
        case(
            "a fresh good staple says nothing",
            stapled(staple(OcspStatus::Good, NOW + DAY)),
            Code::CertTrusted,
            Ok,
            &[],
        )
        .without(&ocsp_codes),
        case(
            "a revoked staple",
            stapled(OcspFacts {
                revoked_at: Some("2026-11-20T10:00:00Z".to_owned()),
                revocation_reason: Some("key_compromise".to_owned()),
                ..staple(OcspStatus::Revoked, NOW + DAY)
            }),
            Code::CertOcspRevoked,
            Critical,
            &[
                "revoked since 2026-11-20",
                "key_compromise",
                "newly issued certificate",
            ],
        ),
        case(
            "an expired staple",
            stapled(staple(OcspStatus::Good, NOW - 7200)),
            Code::CertOcspStale,
            Warning,
            &[
                "expired",
                "2 hours before the check",
                "nextUpdate",
                "ssl_stapling",
            ],
        ),
        case(
            "an expired staple on a must-staple certificate",
            stapled(staple(OcspStatus::Good, NOW - 7200))
                .cert_at(0, CertBuilder::leaf(HOST).must_staple()),
            Code::CertOcspStale,
            Critical,
            &["must-staple refuse"],
        ),
        case(
            "a staple from the future",
            stapled(OcspFacts {
                this_update_unix: Some(NOW + 3 * 3600),
                ..staple(OcspStatus::Good, NOW + DAY)
            }),
            Code::CertOcspStale,
            Warning,
            &["not valid until", "180 minutes after the check"],
        ),
        case(
            "a staple about another certificate",
            stapled(OcspFacts {
                names_leaf: Some(false),
                ..staple(OcspStatus::Good, NOW + DAY)
            }),
            Code::CertOcspUnusable,
            Warning,
            &["about another certificate"],
        ),
        case(
            "a staple with a bad signature",
            stapled(OcspFacts {
                signature_valid: Some(false),
                ..staple(OcspStatus::Revoked, NOW + DAY)
            }),
            Code::CertOcspUnusable,
            Warning,
            &["signature does not verify"],
        )
        .without(&[Code::CertOcspRevoked]),
        case(
            "a staple the responder does not know",
            stapled(staple(OcspStatus::Unknown, NOW + DAY)),
            Code::CertOcspUnusable,
            Warning,
            &["does not know the certificate"],
        ),
        case(
            "an unsuccessful staple",
            stapled(OcspFacts {
                response_status: "try_later".to_owned(),
                status: None,
                ..OcspFacts::default()
            }),
            Code::CertOcspUnusable,
            Warning,
            &["'try_later'"],
        ),
        case(
            "an unreadable staple",
            stapled(crate::facts::ocsp::parse(&[0x30, 0x01], &[])),
            Code::CertOcspUnusable,
            Warning,
            &["not valid DER"],
        ),
        case(
            "a public certificate without SCTs",
            FactsBuilder::good().cert_at(0, CertBuilder::leaf(HOST).without_scts()),
            Code::CertNoSct,
            Info,
            &["Certificate Transparency", "Apple clients"],
        ),
        case(
            "SCTs in the staple are enough",
            FactsBuilder::good()
                .cert_at(0, CertBuilder::leaf(HOST).without_scts())
                .ocsp(OcspFacts {
                    scts: CertBuilder::leaf(HOST).finish(0, NOW).scts,
                    ..staple(OcspStatus::Good, NOW + DAY)
                }),
            Code::CertTrusted,
            Ok,
            &[],
        )
        .without(&[Code::CertNoSct]),
        case(
            "SCTs in the TLS extension are enough",
            FactsBuilder::good()
                .cert_at(0, CertBuilder::leaf(HOST).without_scts())
                .probe(
                    ProbeBuilder::modern().extras(crate::facts::probe::ProbeExtras {
                        tls_scts: Some(CertBuilder::leaf(HOST).finish(0, NOW).scts),
                        ..Default::default()
                    }),
                ),
            Code::CertTrusted,
            Ok,
            &[],
        )
        .without(&[Code::CertNoSct]),
        case(
            "no SCTs in the TLS extension either, when the probe asked",
            FactsBuilder::good()
                .cert_at(0, CertBuilder::leaf(HOST).without_scts())
                .probe(
                    ProbeBuilder::modern().extras(crate::facts::probe::ProbeExtras {
                        tls_scts: Some(Vec::new()),
                        ..Default::default()
                    }),
                ),
            Code::CertNoSct,
            Info,
            &["sent none in the TLS extension either"],
        ),
        case(
            "an untrusted certificate needs no SCTs to be untrusted",
            FactsBuilder::good()
                .cert_at(0, CertBuilder::leaf(HOST).without_scts())
                .verify_error(VerifyError::UnknownIssuer),
            Code::CertUnknownIssuer,
            Critical,
            &[],
        )
        .without(&[Code::CertNoSct]),
    ]
}

fn extras_cases() -> Vec<Case> {
    use crate::facts::probe::{
        CertificateAsk, DhParams, ProbeExtras, RobotAnswer, RobotFacts, RobotVariant, RobotVerdict,
        ServedCertificate,
    };
    let sound = || ProbeExtras {
        version: Some(TlsVersion::Tls12),
        compression: Some(false),
        extended_master_secret: Some(true),
        heartbeat: Some(false),
        ccs_injection: Some(false),
        ..ProbeExtras::default()
    };
    let with =
        |extras: ProbeExtras| FactsBuilder::good().probe(ProbeBuilder::modern().extras(extras));
    let dh = |prime: &str, bits: u32| ProbeExtras {
        dh: Some(DhParams {
            bits,
            prime: prime.to_owned(),
            generator: "02".to_owned(),
        }),
        ..sound()
    };
    let no_sni = |names: &[&str]| ProbeExtras {
        certificates: vec![ServedCertificate {
            asked: CertificateAsk::NoSni,
            leaf: Some(
                CertBuilder::leaf("default.test")
                    .names(names)
                    .serial("99")
                    .finish(0, NOW),
            ),
            detail: None,
        }],
        ..sound()
    };
    let robot = |verdict: RobotVerdict| {
        let answers = |list: [&str; 5]| {
            RobotVariant::ALL
                .into_iter()
                .zip(list)
                .map(|(variant, answer)| RobotAnswer {
                    variant,
                    answer: answer.to_owned(),
                })
                .collect::<Vec<_>>()
        };
        let round = answers([
            "alert:bad_record_mac",
            "alert:handshake_failure",
            "alert:bad_record_mac",
            "alert:bad_record_mac",
            "alert:bad_record_mac",
        ]);
        RobotFacts {
            version: TlsVersion::Tls12,
            suites: vec!["TLS_RSA_WITH_AES_128_GCM_SHA256".to_owned()],
            rounds: vec![round.clone(), round],
            verdict,
            connections: 10,
        }
    };
    let known = |i: usize| super::dh::KNOWN_PRIMES[i].prime;
    vec![
        case(
            "sound extras say nothing",
            with(sound()),
            Code::CertTrusted,
            Ok,
            &[],
        )
        .without(PROBE_CODES),
        case(
            "compression",
            with(ProbeExtras {
                compression: Some(true),
                ..sound()
            }),
            Code::TlsCompression,
            Critical,
            &["DEFLATE", "CRIME", "tls_ssl_options = NO_COMPRESSION"],
        ),
        case(
            "no extended master secret",
            with(ProbeExtras {
                extended_master_secret: Some(false),
                ..sound()
            }),
            Code::TlsNoExtendedMasterSecret,
            Info,
            &["RFC 7627", "triple handshake"],
        ),
        case(
            "heartbleed",
            with(ProbeExtras {
                heartbeat: Some(true),
                heartbleed: Some(true),
                ..sound()
            }),
            Code::TlsHeartbleed,
            Critical,
            &["CVE-2014-0160", "read no byte", "new private key"],
        ),
        case(
            "client-initiated renegotiation",
            with(ProbeExtras {
                client_renegotiation: Some(true),
                ..sound()
            }),
            Code::TlsClientRenegotiation,
            Warning,
            &[
                "denial of service",
                "SSL_OP_ALLOW_CLIENT_RENEGOTIATION",
                "tls_ssl_options = NO_RENEGOTIATION",
                "openssl_options = +no_renegotiation",
            ],
        ),
        case(
            "client-initiated renegotiation without secure renegotiation",
            FactsBuilder::good().probe(ProbeBuilder::modern().secure_renegotiation(false).extras(
                ProbeExtras {
                    client_renegotiation: Some(true),
                    ..sound()
                },
            )),
            Code::TlsClientRenegotiation,
            Critical,
            &["CVE-2009-3555", "RFC 5746"],
        ),
        case(
            "refused renegotiation says nothing",
            with(ProbeExtras {
                client_renegotiation: Some(false),
                ..sound()
            }),
            Code::CertTrusted,
            Ok,
            &[],
        )
        .without(&[Code::TlsClientRenegotiation]),
        case(
            "ccs injection",
            with(ProbeExtras {
                ccs_injection: Some(true),
                ..sound()
            }),
            Code::TlsCcsInjection,
            Critical,
            &["CVE-2014-0224", "1.0.1h"],
        ),
        case(
            "a strong ROBOT oracle",
            with(ProbeExtras {
                robot: Some(robot(RobotVerdict::StrongOracle)),
                ..sound()
            }),
            Code::TlsRobot,
            Critical,
            &[
                "ROBOT",
                "strong oracle",
                "kRSA",
                "tls_high_cipherlist",
                "ssl_cipher_list",
                "tls_require_ciphers",
                "alert:handshake_failure",
            ],
        ),
        case(
            "a weak ROBOT oracle",
            with(ProbeExtras {
                robot: Some(robot(RobotVerdict::WeakOracle)),
                ..sound()
            }),
            Code::TlsRobot,
            Warning,
            &["weak oracle", "TLS_RSA_WITH_AES_128_GCM_SHA256"],
        ),
        case(
            "no ROBOT oracle, or an open answer, says nothing",
            with(ProbeExtras {
                robot: Some(robot(RobotVerdict::NotVulnerable)),
                ..sound()
            }),
            Code::CertTrusted,
            Ok,
            &[],
        )
        .without(&[Code::TlsRobot]),
        case(
            "an inconclusive ROBOT test says nothing",
            with(ProbeExtras {
                robot: Some(robot(RobotVerdict::Inconclusive)),
                ..sound()
            }),
            Code::CertTrusted,
            Ok,
            &[],
        )
        .without(&[Code::TlsRobot]),
        case(
            "export-sized DH",
            with(dh(known(0), 768)),
            Code::TlsWeakDh,
            Critical,
            &["768-bit", "Oakley Group 1", "ffdhe2048"],
        ),
        case(
            "the shared 1024-bit DH prime",
            with(dh(known(1), 1024)),
            Code::TlsWeakDh,
            Warning,
            &["shared by many servers", "Oakley Group 2", "Logjam"],
        ),
        case(
            "an RFC 5114 group",
            with(dh(known(5), 2048)),
            Code::TlsWeakDh,
            Warning,
            &["RFC 5114", "small subgroups"],
        ),
        case(
            "ffdhe2048 is fine",
            with(dh(known(9), 2048)),
            Code::CertTrusted,
            Ok,
            &[],
        )
        .without(&[Code::TlsWeakDh]),
        case(
            "another certificate without SNI",
            with(no_sni(&["default.test"])),
            Code::CertDiffersWithoutSni,
            Info,
            &["Without SNI", "'default.test'", "does not cover the name"],
        ),
        case(
            "another certificate without SNI that covers the name",
            with(no_sni(&["*.test"])),
            Code::CertDiffersWithoutSni,
            Info,
            &["which also covers the name"],
        ),
    ]
}

fn cases() -> Vec<Case> {
    [
        dane_cases(),
        stop_cases(),
        client_certificate_cases(),
        validity_cases(),
        name_cases(),
        trust_cases(),
        shape_and_strength_cases(),
        staple_and_transparency_cases(),
        revocation_cases(),
        tls_cases(),
        extras_cases(),
        plaintext_cases(),
    ]
    .into_iter()
    .flatten()
    .collect()
}

#[test]
fn every_case_finds_its_code() {
    let cases = cases();
    let failures: Vec<String> = cases
        .iter()
        .filter_map(|c| c.check().err().map(|e| format!("{}:\n  {e}", c.name)))
        .collect();
    assert!(
        failures.is_empty(),
        "{} of {} cases failed:\n\n{}",
        failures.len(),
        cases.len(),
        failures.join("\n\n")
    );
}

#[test]
fn every_code_diagnose_can_make_has_a_case() {
    let cases = cases();
    let uncovered: Vec<&str> = Code::ALL
        .iter()
        .filter(|code| !REPORT_CODES.contains(code))
        .filter(|code| !cases.iter().any(|c| c.code == **code))
        .map(|code| code.as_str())
        .collect();
    assert!(uncovered.is_empty(), "codes without a case: {uncovered:?}");
}

#[test]
fn every_severity_a_code_has_a_case_for_is_one_the_docs_name() {
    for case in cases() {
        let documented: Vec<&str> = case.code.doc_severity().split(" / ").collect();
        assert!(
            documented.contains(&case.severity.name()),
            "{}: {} is documented as {:?}, found {}",
            case.name,
            case.code,
            case.code.doc_severity(),
            case.severity.name()
        );
    }
}

#[test]
fn every_severity_the_docs_name_has_a_case() {
    let cases = cases();
    for code in Code::ALL.iter().filter(|c| !REPORT_CODES.contains(c)) {
        for severity in code.doc_severity().split(" / ") {
            assert!(
                cases
                    .iter()
                    .any(|c| c.code == *code && c.severity.name() == severity),
                "{code} is documented as {severity}, and no case shows it"
            );
        }
    }
}

#[test]
fn case_names_are_unique() {
    let cases = cases();
    let mut names: Vec<&str> = cases.iter().map(|c| c.name).collect();
    names.sort_unstable();
    let before = names.len();
    names.dedup();
    assert_eq!(names.len(), before, "two cases share a name");
}

#[test]
fn a_good_check_has_one_finding_and_it_is_ok() {
    let findings = diagnose(&FactsBuilder::good().build(), &Policy::default());
    let codes: Vec<Code> = findings.iter().map(|f| f.code).collect();
    assert_eq!(codes, [Code::CertTrusted]);
    assert_eq!(verdict(&findings), Ok);
    assert_eq!(findings[0].fix, None);
}

#[test]
fn findings_come_worst_first() {
    // An expired leaf (critical), a probe stopped early (unknown), a trust
    // difference (warning), a root sent along and TLS 1.2 (info) at once.
    let facts = FactsBuilder::imaps()
        .tls12()
        .good_chain()
        .cert(CertBuilder::root(ROOT))
        .cert_at(0, CertBuilder::leaf(HOST).expires_in_days(-1))
        .verify_error(VerifyError::Expired)
        .store(StoreKind::Mozilla, Some(true))
        .store(StoreKind::System, Some(false))
        .probe(ProbeBuilder::modern().stopped("reset"))
        .build();
    let findings = diagnose(&facts, &Policy::default());
    let severities: Vec<Severity> = findings.iter().map(|f| f.severity).collect();
    assert_eq!(
        severities,
        [Critical, Unknown, Warning, Info, Info],
        "{findings:#?}"
    );
    assert_eq!(verdict(&findings), Critical);
}

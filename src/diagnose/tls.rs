//! Rules about the TLS session: what was negotiated, client certificates, and
//! the versions, suites and groups the probe found.

use super::clients;
use super::codes::Code;
use super::profiles::MozillaProfile;
use super::{finding, short_name, stop, Finding, Severity};
use crate::facts::probe::{Acceptance, ProbeFacts, SuiteFacts, TlsVersion, Weakness};
use crate::facts::CheckFacts;

/// What the handshake negotiated.
pub(super) fn negotiated(facts: &CheckFacts, out: &mut Vec<Finding>) {
    if facts.tls.as_ref().and_then(|t| t.version.as_deref()) == Some("TLSv1.2") {
        out.push(finding(
            Code::TlsNoTls13,
            Severity::Info,
            "The server negotiated TLS 1.2, not TLS 1.3, although mailtls offered TLS 1.3.".to_owned(),
            Some("Enable TLS 1.3 on the server (OpenSSL 1.1.1 or later; e.g. Dovecot ssl_min_protocol, Postfix smtpd_tls_protocols).".to_owned()),
        ));
    }
}

/// What dropping some versions or suites would cost, in client families.
fn cost_of_dropping(
    probe: &ProbeFacts,
    dropped: &dyn Fn(TlsVersion, Option<&SuiteFacts>) -> bool,
) -> String {
    match clients::would_lose_access(probe, dropped).as_slice() {
        [] => "Dropping it keeps out none of the client families mailtls judges.".to_owned(),
        lost => format!(
            "Dropping it would keep out {} (see the verdicts per client).",
            clients::list(lost)
        ),
    }
}

/// A server that asked for a client certificate and did not insist on it
/// (when it insisted, the stop rules say so instead).
pub(super) fn client_certificate(facts: &CheckFacts, out: &mut Vec<Finding>) {
    if facts.client_certificate_requested.is_none() || stop::client_cert_refused(facts) {
        return;
    }
    let named = stop::requested_authorities(facts);
    let sent = facts
        .tls
        .as_ref()
        .and_then(|t| t.client_cert_sent.as_deref());
    let answer = match sent {
        Some(subject) => format!("mailtls presented '{}'", short_name(subject)),
        None => "mailtls sent none".to_owned(),
    };
    out.push(finding(
        Code::TlsClientCertRequested,
        Severity::Info,
        format!("The server asked for a client certificate {named}; {answer}."),
        None,
    ));
}

const DOVECOT_MIN_PROTOCOL: &str = "Dovecot: ssl_min_protocol = TLSv1.2";

const POSTFIX_PROTOCOLS: &str = "Postfix: smtpd_tls_protocols = >=TLSv1.2 and smtpd_tls_mandatory_protocols = >=TLSv1.2 (before Postfix 3.6: !SSLv2, !SSLv3, !TLSv1, !TLSv1.1)";

const DOVECOT_MIN_PROTOCOL3: &str = "Dovecot: ssl_min_protocol = TLSv1.3";

const POSTFIX_PROTOCOLS3: &str =
    "Postfix: smtpd_tls_protocols = >=TLSv1.3 and smtpd_tls_mandatory_protocols = >=TLSv1.3";

const CIPHER_FIX: &str = "Dovecot: set ssl_cipher_list to Mozilla's \"intermediate\" list (ECDHE and DHE with AES-GCM or ChaCha20); Postfix: smtpd_tls_mandatory_ciphers = high and smtpd_tls_ciphers = high, with tls_high_cipherlist set to that list (or smtpd_tls_exclude_ciphers naming what to drop)";

/// Findings from the legacy TLS and cipher-suite probe (`--probe`).
pub(super) fn probe_findings(probe: &ProbeFacts, out: &mut Vec<Finding>) {
    use Severity::*;
    let accepted = |v: TlsVersion| probe.version(v).map(|p| p.accepted);
    let yes = |v: TlsVersion| accepted(v) == Some(Acceptance::Yes);
    let no = |v: TlsVersion| accepted(v) == Some(Acceptance::No);

    if yes(TlsVersion::Ssl3) {
        out.push(finding(
            Code::TlsSslv3Enabled,
            Critical,
            "The server accepts SSL 3.0, which is broken (POODLE, RFC 7568) and refused by every current mail client.".to_owned(),
            Some(format!("Disable SSL 3.0: {DOVECOT_MIN_PROTOCOL}; {POSTFIX_PROTOCOLS}.")),
        ));
    }
    for (version, code, label) in [
        (TlsVersion::Tls10, Code::TlsTls10Enabled, "TLS 1.0"),
        (TlsVersion::Tls11, Code::TlsTls11Enabled, "TLS 1.1"),
    ] {
        if yes(version) {
            let cost = cost_of_dropping(probe, &|v, _| {
                matches!(v, TlsVersion::Ssl3 | TlsVersion::Tls10 | TlsVersion::Tls11)
            });
            out.push(finding(
                code,
                Warning,
                format!("The server still accepts {label}, which RFC 8996 deprecates; current mail clients no longer need it, and it lets old clients connect weakly. {cost}"),
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
            Code::TlsLegacyOnly,
            Critical,
            format!("The server speaks at most {best}, and neither TLS 1.2 nor TLS 1.3: most current mail clients (Thunderbird, Outlook, Apple Mail, current phones) cannot connect; the verdicts per client say which still can."),
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
            Code::TlsWeakCipher,
            if broken { Critical } else { Warning },
            format!(
                "The server accepts weak cipher suites: {list}{more}. An attacker who can steer the negotiation can weaken or read the connection. {}",
                cost_of_dropping(probe, &|_, s| s.is_some_and(|s| weak.iter().any(|(name, _)| *name == s.name)))
            ),
            Some(format!("Remove them from the server's cipher list. {CIPHER_FIX}.")),
        ));
    }
    if !no_fs.is_empty() {
        out.push(finding(
            Code::TlsNoForwardSecrecy,
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
            Code::TlsCbcOnly,
                Warning,
                "The server offers only CBC-mode cipher suites and no TLS 1.3: no AES-GCM or ChaCha20, so every connection uses the older construction behind Lucky13-style attacks.".to_owned(),
                Some(format!("Enable AES-GCM or ChaCha20-Poly1305 suites (and TLS 1.3). {CIPHER_FIX}.")),
            ));
        }
    }

    if probe.secure_renegotiation == Some(false) {
        out.push(finding(
            Code::TlsInsecureRenegotiation,
            Warning,
            "The server's answer to a TLS 1.2 (or older) hello carries no renegotiation_info, so it does not support secure renegotiation (RFC 5746): if it allows renegotiation at all, an attacker in the middle can splice their own commands in front of a client's session (CVE-2009-3555).".to_owned(),
            Some(format!("Update the TLS library the mail server uses: OpenSSL has supported RFC 5746 since 0.9.8m, and Dovecot and Postfix use OpenSSL's, so current packages need no setting; an old appliance or proxy in front of the server is the usual cause. Or allow only TLS 1.3, which has no renegotiation: {DOVECOT_MIN_PROTOCOL3}; {POSTFIX_PROTOCOLS3}.")),
        ));
    }
    let accepted: Vec<TlsVersion> = probe
        .versions
        .iter()
        .filter(|v| v.accepted == Acceptance::Yes)
        .map(|v| v.version)
        .collect();
    // TLS 1.2 and 1.3 only: a fall from 1.3 to 1.2 is caught by TLS 1.3
    // clients through the ServerHello's downgrade sentinel (RFC 8446 4.1.3),
    // which is why rustls, for one, has no TLS_FALLBACK_SCSV.
    let sentinel_covers = accepted == [TlsVersion::Tls12, TlsVersion::Tls13];
    if probe.fallback_scsv == Some(false) && !sentinel_covers {
        let accepted: Vec<&str> = accepted.iter().map(|v| v.name()).collect();
        out.push(finding(
            Code::TlsNoFallbackScsv,
            Info,
            format!(
                "The server accepts {} and ignores TLS_FALLBACK_SCSV (RFC 7507): a hello for a lower version marked as a fallback retry was answered instead of refused, so a client that retries at a lower version after a failed connection can be pushed down to it by an attacker who breaks the first attempt.",
                accepted.join(", ")
            ),
            Some(format!("Update the TLS library the mail server uses (OpenSSL supports TLS_FALLBACK_SCSV since 1.0.1j, with no setting in Dovecot or Postfix), or accept only one version: {DOVECOT_MIN_PROTOCOL}; {POSTFIX_PROTOCOLS}.")),
        ));
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
        let what = match parts.is_empty() {
            true => "did not finish".to_owned(),
            false => parts.join("; "),
        };
        out.push(finding(
            Code::TlsProbeInconclusive,
            if all_open || probe.stopped.is_some() { Unknown } else { Info },
            format!("The TLS probe {what}.{why}"),
            Some("Retry later or with --probe-concurrency 1 and a longer --timeout: the server may limit connections per client.".to_owned()),
        ));
    }
}

/// Where the probe found the server outside a Mozilla configuration
/// (`--profile`): versions it should not accept or must accept, suites not on
/// the configuration's list. One finding naming every deviation.
pub(super) fn profile_findings(
    probe: &ProbeFacts,
    profile: MozillaProfile,
    out: &mut Vec<Finding>,
) {
    let spec = profile.profile();
    let accepted = |v: TlsVersion| probe.version(v).map(|p| p.accepted);
    let mut deviations = Vec::new();
    let extra: Vec<&str> = TlsVersion::ALL
        .into_iter()
        .filter(|v| !spec.versions.contains(v) && accepted(*v) == Some(Acceptance::Yes))
        .map(TlsVersion::name)
        .collect();
    if !extra.is_empty() {
        deviations.push(format!(
            "it accepts {}, which the configuration does not allow",
            extra.join(", ")
        ));
    }
    for &required in spec.required {
        if accepted(required) == Some(Acceptance::No) {
            deviations.push(format!(
                "it does not accept {}, which the configuration requires",
                required.name()
            ));
        }
    }
    for version in probe
        .versions
        .iter()
        .filter(|v| spec.versions.contains(&v.version))
    {
        let outside: Vec<&str> = version
            .suites
            .iter()
            .filter(|s| !spec.allows(version.version, &s.name))
            .map(|s| s.openssl_name.as_str())
            .collect();
        if !outside.is_empty() {
            deviations.push(format!(
                "at {} it accepts {}, not on the configuration's list",
                version.version.name(),
                outside.join(", ")
            ));
        }
    }
    if deviations.is_empty() {
        return;
    }
    out.push(finding(
        Code::TlsProfileDeviation,
        Severity::Warning,
        format!(
            "The server deviates from Mozilla's \"{}\" TLS configuration (guidelines {}): {}.",
            spec.name,
            super::profiles::GUIDELINES,
            deviations.join("; ")
        ),
        Some(spec.fix()),
    ));
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

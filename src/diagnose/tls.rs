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
    let legacy = [TlsVersion::Ssl3, TlsVersion::Tls10, TlsVersion::Tls11];
    // Only legacy versions: `tls.legacy_only` says it; "disable TLS 1.0" alone
    // would lock every client out.
    let legacy_only = legacy.into_iter().any(yes) && no(TlsVersion::Tls12) && no(TlsVersion::Tls13);

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
        if yes(version) && !legacy_only {
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
    if legacy_only {
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
    let accepted: Vec<TlsVersion> = probe.accepted_versions();
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

const OPENSSL_UPGRADE: &str = "Upgrade OpenSSL (or the TLS library the server links) to a maintained release and restart every service that uses it (Dovecot, Postfix, Exim)";

/// The probe's extra questions: compression, extended master secret,
/// Heartbleed, CCS injection, DH parameters, the certificate without SNI.
pub(super) fn extras_findings(facts: &CheckFacts, probe: &ProbeFacts, out: &mut Vec<Finding>) {
    use super::dh::{self, Kind};
    use Severity::*;
    let extras = &probe.extras;
    let at = extras.version.map_or("TLS", TlsVersion::name);
    if extras.compression == Some(true) {
        out.push(finding(
            Code::TlsCompression,
            Critical,
            format!("The server chose DEFLATE compression for {at} when offered it: an attacker who can inject traffic and watch its size reads secrets such as passwords out of the session (CRIME)."),
            Some("Turn TLS compression off: Dovecot ssl_options = no_compression (Dovecot 2.2; 2.3 has it off); Postfix tls_ssl_options = NO_COMPRESSION; Exim openssl_options = +no_compression. OpenSSL 1.1 and later build without it.".to_owned()),
        ));
    }
    if extras.heartbleed == Some(true) {
        out.push(finding(
            Code::TlsHeartbleed,
            Critical,
            format!("The server answered a {at} heartbeat request that claimed more data than it carried (Heartbleed, CVE-2014-0160): anyone can read its memory, private keys and passwords included. mailtls read no byte of the answer."),
            Some(format!("{OPENSSL_UPGRADE} (1.0.1g or later fixes it); then make a new private key, have the certificate re-issued and the old one revoked, and have users change their passwords.")),
        ));
    }
    if extras.ccs_injection == Some(true) {
        out.push(finding(
            Code::TlsCcsInjection,
            Critical,
            format!("The server took a {at} ChangeCipherSpec sent before the key exchange and then failed to decrypt the next record (bad_record_mac) instead of refusing the ChangeCipherSpec (CCS injection, CVE-2014-0224): a man in the middle can make the session use keys he knows."),
            Some(format!("{OPENSSL_UPGRADE} (OpenSSL 0.9.8za, 1.0.0m, 1.0.1h and later fix it).")),
        ));
    }
    if let Some(robot) = &extras.robot {
        use crate::facts::probe::RobotVerdict;
        let kind = match robot.verdict {
            RobotVerdict::StrongOracle => Some((Critical, "a strong oracle: wrongly padded premasters get different answers among themselves, so an attacker needs few connections")),
            RobotVerdict::WeakOracle => Some((Warning, "a weak oracle: only fully correct padding is answered otherwise, so an attack needs very many connections, but it remains possible")),
            RobotVerdict::NotVulnerable | RobotVerdict::Inconclusive => None,
        };
        if let Some((severity, what)) = kind {
            let answers = robot
                .rounds
                .first()
                .map(|round| {
                    round
                        .iter()
                        .map(|a| a.answer.as_str())
                        .collect::<Vec<_>>()
                        .join(", ")
                })
                .unwrap_or_default();
            out.push(finding(
                Code::TlsRobot,
                severity,
                format!("With RSA key exchange at {} ({}), the server answers premaster secrets padded right and wrong differently, the same way in two rounds (ROBOT, CVE-2017-13099 family): {what}. Anyone who recorded a session that used RSA key exchange can decrypt it, and sign in the server's name. The answers: {answers}.", robot.version.name(), robot.suites.join(", ")),
                Some(format!("Remove the RSA key-exchange suites (kRSA; TLS_RSA_WITH_*), keeping ECDHE: Dovecot ssl_cipher_list = ECDHE+AESGCM:ECDHE+CHACHA20:!kRSA; Postfix smtpd_tls_mandatory_ciphers = high with tls_high_cipherlist = ECDHE+AESGCM:ECDHE+CHACHA20:!kRSA (and smtpd_tls_exclude_ciphers = kRSA); Exim tls_require_ciphers = ECDHE+AESGCM:ECDHE+CHACHA20:!kRSA. The oracle itself is a bug of the TLS library or of a device in front of the server (a load balancer or TLS offloader): {OPENSSL_UPGRADE}, or update that device's firmware.")),
            ));
        }
    }
    if extras.client_renegotiation == Some(true) {
        let insecure = probe.secure_renegotiation == Some(false);
        let (severity, worse) = match insecure {
            true => (Critical, " And the server lacks secure renegotiation (RFC 5746), so a man in the middle can splice his own commands in front of a client's session (CVE-2009-3555)."),
            false => (Warning, ""),
        };
        out.push(finding(
            Code::TlsClientRenegotiation,
            severity,
            format!("The server renegotiates when a client asks: a new ClientHello sent inside a completed TLS 1.2 handshake was answered with a ServerHello. Any client can make it redo the costly half of a handshake again and again on one connection, a cheap way to load its CPU (denial of service).{worse}"),
            Some(format!("Refuse client-initiated renegotiation: {OPENSSL_UPGRADE}; OpenSSL 3 refuses it unless the application sets SSL_OP_ALLOW_CLIENT_RENEGOTIATION, and OpenSSL 1.1.1 and older allow it. Dovecot has no setting of its own and follows OpenSSL; Postfix tls_ssl_options = NO_RENEGOTIATION (Postfix 3.4 and later); Exim openssl_options = +no_renegotiation. Or allow only TLS 1.3, which has no renegotiation: {DOVECOT_MIN_PROTOCOL3}; {POSTFIX_PROTOCOLS3}.")),
        ));
    }
    if extras.extended_master_secret == Some(false) {
        out.push(finding(
            Code::TlsNoExtendedMasterSecret,
            Info,
            format!("The server's {at} ServerHello carries no extended_master_secret (RFC 7627): sessions can be attacked by the triple handshake, and clients that require the extension will not resume them."),
            Some(format!("{OPENSSL_UPGRADE}; OpenSSL 1.1.0 and later support the extension without configuration.")),
        ));
    }
    if let Some(params) = &extras.dh {
        let known = dh::known(&params.prime);
        let named = known.map_or(String::new(), |k| format!(" ({})", k.name));
        let (severity, why) = match (params.bits, known.map(|k| k.kind)) {
            (bits, _) if bits < 1024 => (Some(Critical), format!("{bits}-bit DHE parameters{named} can be broken outright (Logjam); current clients refuse them")),
            (_, Some(Kind::Shared)) => (Some(Warning), format!("its {}-bit DHE prime{named} is shared by many servers, so one precomputation breaks them all (Logjam)", params.bits)),
            (bits, _) if bits < 2048 => (Some(Warning), format!("{bits}-bit DHE parameters{named} are below the 2048 bits current guidance asks for, and some clients refuse them")),
            (_, Some(Kind::Rfc5114)) => (Some(Warning), format!("its DHE group{named} comes without proof of how it was made and has small subgroups that clients seldom check for")),
            _ => (None, String::new()),
        };
        if let Some(severity) = severity {
            out.push(finding(
                Code::TlsWeakDh,
                severity,
                format!("The server's DHE key exchange is weak: {why}."),
                Some("Use the RFC 7919 ffdhe2048 group or larger, or drop DHE suites for ECDHE: Dovecot ssl_dh = </etc/dovecot/dh.pem with a file holding ffdhe2048 or more (Dovecot 2.3; 2.2: ssl_dh_parameters_length = 2048); Postfix smtpd_tls_dh1024_param_file = a file holding ffdhe2048 (Postfix 3.7 and later use it by default); Exim tls_dhparam = ffdhe2048.".to_owned()),
            ));
        }
    }
    let main_leaf = facts
        .certificates
        .first()
        .filter(|c| c.parse_error.is_none());
    let no_sni = extras
        .certificates
        .iter()
        .find(|c| c.asked == crate::facts::probe::CertificateAsk::NoSni)
        .and_then(|c| c.leaf.as_ref());
    if let (Some(main), Some(other)) = (main_leaf, no_sni) {
        if main.sha256 != other.sha256 {
            let host = facts.target.host.to_string();
            let covers = other.names.iter().any(|n| {
                n.eq_ignore_ascii_case(&host)
                    || n.strip_prefix("*.").is_some_and(|domain| {
                        host.split_once('.')
                            .is_some_and(|(_, rest)| rest.eq_ignore_ascii_case(domain))
                    })
            });
            let verdict = match covers {
                true => "which also covers the name",
                false => "which does not cover the name, so a client that sends no SNI sees a wrong certificate",
            };
            out.push(finding(
                Code::CertDiffersWithoutSni,
                Info,
                format!("Without SNI the server sends another certificate, '{}' (names: {}), {verdict}.", super::short_name(&other.subject), if other.names.is_empty() { "none".to_owned() } else { crate::facts::cert::listed_names(&other.names, super::certificate::NAMES_SHOWN) }),
                Some("If clients without SNI must connect, make the certificate for this name the default one (Dovecot: the ssl_cert outside any local_name block; Postfix: smtpd_tls_chain_files; Exim: the first tls_certificate).".to_owned()),
            ));
        }
    }
}

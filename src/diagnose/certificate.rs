//! Rules about the certificate chain: validity, name, trust, shape, strength
//! and expiry.
//!
//! The verifier's own error is the last word only when no more precise rule
//! explains it: an expired leaf, a wrong name, a self-signed or unreadable
//! certificate, or a broken hash or short key each say why; otherwise the
//! trust rule names what the verifier found.

use rustls::pki_types::ServerName;

use super::clients::{self, Profile, Sha1, PROFILES};
use super::codes::Code;
use super::{capitalise, finding, verify_error_text, which_cert, Finding, Policy, Severity};
use crate::facts::cert::{date_only, short_name, CertFacts};
use crate::facts::chain::{self, ChainReport};
use crate::facts::tls::{StoreKind, StoreVerdict, Verification, VerifyError};
use crate::facts::{CheckFacts, FetchedIssuer};

/// What every certificate rule looks at.
struct Chain<'a> {
    facts: &'a CheckFacts,
    verification: &'a Verification,
    certs: &'a [CertFacts],
    leaf: &'a CertFacts,
    shape: ChainReport,
}

/// Every certificate finding of a check whose handshake got as far as verifying.
pub(super) fn findings(facts: &CheckFacts, policy: &Policy, out: &mut Vec<Finding>) {
    let Some(verification) = facts.tls.as_ref().and_then(|t| t.verification.as_ref()) else {
        return;
    };
    let certs = &facts.certificates[..];
    let Some(leaf) = certs.first() else {
        return;
    };
    let chain = Chain {
        facts,
        verification,
        certs,
        leaf,
        shape: chain::analyse(certs),
    };
    let strength = strength_findings(facts, certs, &chain.shape);
    let explained = explained(&chain, &strength);
    out.extend(validity(&chain));
    out.extend(name_mismatch(&chain));
    out.extend(self_signed(&chain));
    out.extend(unparsable(&chain));
    out.extend(trust(&chain, explained));
    trust_comparison_findings(facts, out);
    let private_root = private_root(&chain, explained);
    chain_shape_findings(certs, &chain.shape, private_root, out);
    out.extend(strength);
    out.extend(expiry(&chain, policy));
    staple_findings(&chain, out);
    revocation_findings(facts, out);
    transparency(&chain, out);
}

/// What the CA's OCSP responder and CRL say (`--revocation`): revoked by a
/// source that can be relied on, or no source that answers usably.
fn revocation_findings(facts: &CheckFacts, out: &mut Vec<Finding>) {
    use crate::facts::ocsp::OcspStatus;
    let Some(revocation) = &facts.revocation else {
        return;
    };
    let now = facts.started_unix;
    for cert in &revocation.certificates {
        let which = match cert.position {
            0 => "The server's certificate".to_owned(),
            _ => format!("The intermediate '{}'", short_name(&cert.subject)),
        };
        let ocsp = cert.ocsp.as_ref();
        let ocsp_status = ocsp.and_then(|o| o.usable_status(now));
        let crl = cert.crl.as_ref().filter(|c| c.usable());
        let by_ocsp = (ocsp_status == Some(OcspStatus::Revoked))
            .then(|| ocsp.map(|o| (o.url.as_str(), o.response.as_ref())))
            .flatten();
        let by_crl = crl.filter(|c| c.revoked == Some(true));
        if by_ocsp.is_some() || by_crl.is_some() {
            let mut sources = Vec::new();
            if let Some((url, response)) = by_ocsp {
                let when = response
                    .and_then(|r| r.revoked_at.as_deref())
                    .map_or(String::new(), |t| format!(" since {}", date_only(t)));
                let why = response
                    .and_then(|r| r.revocation_reason.as_deref())
                    .map_or(String::new(), |r| format!(", reason: {r}"));
                sources.push(format!(
                    "the OCSP responder at {url} says it is revoked{when}{why}"
                ));
            }
            if let Some(crl) = by_crl {
                let when = crl
                    .revoked_at
                    .as_deref()
                    .map_or(String::new(), |t| format!(" since {}", date_only(t)));
                let why = crl
                    .revocation_reason
                    .as_deref()
                    .map_or(String::new(), |r| format!(", reason: {r}"));
                sources.push(format!(
                    "the CA's CRL at {} lists it as revoked{when}{why}",
                    crl.url
                ));
            }
            let fix = match cert.position {
                0 => "Have the CA re-issue the certificate (with a new key if the old one may be compromised), install it with its chain (Dovecot ssl_cert, Postfix smtpd_tls_chain_files, Exim tls_certificate) and reload the server.",
                _ => "Get the CA's current intermediate and send it instead of the revoked one (Dovecot ssl_cert, Postfix smtpd_tls_chain_files, Exim tls_certificate); if the leaf was issued under it, have the CA re-issue the certificate.",
            };
            out.push(finding(
                Code::CertRevoked,
                Severity::Critical,
                format!(
                    "{which} is revoked: {}; clients that check revocation refuse the connection.",
                    sources.join("; and ")
                ),
                Some(fix.to_owned()),
            ));
            continue;
        }
        let ocsp_good = ocsp_status == Some(OcspStatus::Good);
        let crl_good = crl.is_some_and(|c| c.revoked == Some(false));
        if ocsp_good || crl_good {
            continue;
        }
        let mut why = Vec::new();
        if let Some(reason) = &cert.not_asked {
            why.push(reason.clone());
        }
        if let Some(asked) = ocsp {
            why.push(match (&asked.error, asked.response.as_ref()) {
                (Some(error), _) => format!(
                    "the OCSP responder at {}: {}",
                    asked.url,
                    error.trim_end_matches('.')
                ),
                (None, Some(r)) if r.status == Some(OcspStatus::Unknown) => format!(
                    "the OCSP responder at {} does not know the certificate",
                    asked.url
                ),
                (None, Some(r)) if r.signature_valid != Some(true) => format!(
                    "the answer of the OCSP responder at {} is not signed by the issuer",
                    asked.url
                ),
                (None, Some(r)) if r.names_leaf != Some(true) => format!(
                    "the OCSP responder at {} answered about another certificate",
                    asked.url
                ),
                (None, _) => format!(
                    "the answer of the OCSP responder at {} is out of date",
                    asked.url
                ),
            });
        }
        if let Some(c) = &cert.crl {
            why.push(if let Some(error) = &c.error {
                format!("the CRL at {}: {}", c.url, error.trim_end_matches('.'))
            } else if c.signature_valid != Some(true) {
                format!("the CRL at {} is not signed by the issuer", c.url)
            } else {
                format!(
                    "the CRL at {} is out of date (next update {})",
                    c.url,
                    c.next_update.as_deref().map_or("not given", date_only)
                )
            });
        }
        // Nothing to ask is the CA's choice; asking and getting no answer is worth a warning.
        let (severity, fix) = if cert.ocsp.is_none() && cert.crl.is_none() {
            (
                Severity::Info,
                "Nothing to change on the mail server: the certificate names nowhere to ask about its revocation, which is the issuing CA's choice. With a private CA, add a CRL distribution point (or an OCSP responder URL, over http://) when issuing, if clients must be able to learn of a revocation.",
            )
        } else {
            (
                Severity::Warning,
                "Nothing to change on the mail server if the CA's responder was only briefly unreachable; otherwise ask the CA about its OCSP responder and CRL, or have the CA re-issue the certificate with working revocation URLs.",
            )
        };
        out.push(finding(
            Code::CertRevocationUnknown,
            severity,
            format!("{which}'s revocation status could not be told: {}. Clients that check revocation then accept it (soft fail) or, strict ones, refuse.", why.join("; ")),
            Some(fix.to_owned()),
        ));
    }
}

/// The names of a certificate a message lists, at most.
pub(super) const NAMES_SHOWN: usize = 10;

/// Dovecot, Postfix and Exim cannot staple; a server that does is a proxy or
/// another server, whose own setting is named.
const STAPLING_FIX: &str = "Check the OCSP stapling of whatever terminates TLS (nginx ssl_stapling, HAProxy's ocsp-update, a Stunnel or load balancer); Dovecot, Postfix and Exim do not staple, so turning stapling off there is also a fix";

/// What a stapled OCSP response says: revoked, out of date, or unusable.
fn staple_findings(chain: &Chain<'_>, out: &mut Vec<Finding>) {
    use crate::facts::ocsp::OcspStatus;
    use Severity::*;
    let Some(ocsp) = chain.facts.tls.as_ref().and_then(|t| t.ocsp.as_ref()) else {
        return;
    };
    let now = chain.facts.started_unix;
    let unusable = |why: String| {
        finding(
            Code::CertOcspUnusable,
            Warning,
            format!("The server staples an OCSP response that clients cannot use: {why}. Clients then ask the responder themselves, or, if the certificate demands stapling, refuse."),
            Some(format!("{STAPLING_FIX}.")),
        )
    };
    if let Some(error) = &ocsp.parse_error {
        out.push(unusable(error.trim_end_matches('.').to_owned()));
        return;
    }
    if ocsp.response_status != "successful" {
        out.push(unusable(format!(
            "the responder answered '{}' instead of a status",
            ocsp.response_status
        )));
        return;
    }
    if ocsp.names_leaf == Some(false) {
        out.push(unusable(
            "it is about another certificate than the one the server sends".to_owned(),
        ));
        return;
    }
    if ocsp.signature_valid == Some(false) {
        out.push(unusable(
            "its signature does not verify with the issuer's key or that of a responder the issuer certified".to_owned(),
        ));
        return;
    }
    match ocsp.status {
        Some(OcspStatus::Revoked) => {
            let when = ocsp
                .revoked_at
                .as_deref()
                .map_or(String::new(), |t| format!(" since {}", date_only(t)));
            let why = ocsp
                .revocation_reason
                .as_deref()
                .map_or(String::new(), |r| format!(" (reason: {r})"));
            out.push(finding(
                Code::CertOcspRevoked,
                Critical,
                format!("The OCSP response the server staples says its certificate is revoked{when}{why}; clients that read the staple refuse the connection."),
                Some("Install a newly issued certificate (and a new key if the old one may be compromised), then reload the server.".to_owned()),
            ));
            return;
        }
        Some(OcspStatus::Unknown) => {
            out.push(unusable(
                "the responder says it does not know the certificate".to_owned(),
            ));
            return;
        }
        Some(OcspStatus::Good) => {}
        None => {
            out.push(unusable("it holds no certificate status".to_owned()));
            return;
        }
    }
    let severity = if chain.leaf.must_staple {
        Critical
    } else {
        Warning
    };
    let refusal = if chain.leaf.must_staple {
        "the certificate demands a valid staple, so clients that honour must-staple refuse the connection"
    } else {
        "clients ignore it and ask the responder themselves, or fail if they cannot reach it"
    };
    if let Some(next) = ocsp.next_update_unix.filter(|&next| next < now) {
        let hours = (now - next) / 3600;
        out.push(finding(
            Code::CertOcspStale,
            severity,
            format!(
                "The stapled OCSP response expired {} ({hours} hours before the check): {refusal}.",
                ocsp.next_update.as_deref().unwrap_or("")
            ),
            Some(format!(
                "{STAPLING_FIX}; the stapling cache must be refreshed before nextUpdate."
            )),
        ));
    } else if let Some(this) = ocsp.this_update_unix.filter(|&this| this > now + 300) {
        out.push(finding(
            Code::CertOcspStale,
            severity,
            format!("The stapled OCSP response is not valid until {} ({} minutes after the check; a clock is wrong): {refusal}.", ocsp.this_update.as_deref().unwrap_or(""), (this - now) / 60),
            Some(format!("{STAPLING_FIX}; check the clocks of the server and the responder.")),
        ));
    }
}

/// A publicly trusted certificate without any signed certificate timestamp.
fn transparency(chain: &Chain<'_>, out: &mut Vec<Finding>) {
    let public = chain.verification.trusted && chain.verification.trust_store.ca_files.is_empty();
    let stapled = chain
        .facts
        .tls
        .as_ref()
        .and_then(|t| t.ocsp.as_ref())
        .is_some_and(|o| !o.scts.is_empty());
    let in_tls = chain
        .facts
        .probe
        .as_ref()
        .and_then(|p| p.extras.tls_scts.as_ref());
    let sent_in_tls = in_tls.is_some_and(|scts| !scts.is_empty());
    if !public
        || chain.leaf.parse_error.is_some()
        || !chain.leaf.scts.is_empty()
        || stapled
        || sent_in_tls
    {
        return;
    }
    let tls_extension = match in_tls {
        Some(_) => "and it sent none in the TLS extension either when the probe asked",
        None => "unless the server sends SCTs in the TLS extension, which only --probe asks for",
    };
    out.push(finding(
        Code::CertNoSct,
        Severity::Info,
        format!("The server's certificate is publicly trusted but carries no Certificate Transparency timestamps (SCTs), in itself or in an OCSP staple; Apple clients refuse such certificates, {tls_extension}."),
        Some("Publicly trusted CAs embed SCTs in every certificate they issue today; re-issue the certificate from such a CA.".to_owned()),
    ));
}

/// Whether a precise rule already says why the verifier refused the chain.
fn explained(chain: &Chain<'_>, strength: &[Finding]) -> bool {
    let now = chain.facts.started_unix;
    let error = chain.verification.error.as_ref();
    let dates = chain
        .certs
        .iter()
        .filter(|c| c.parse_error.is_none())
        .any(|c| {
            (c.not_after_unix < now && (c.position == 0 || error == Some(&VerifyError::Expired)))
                || (c.not_after_unix >= now
                    && c.not_before_unix > now
                    && (c.position == 0 || error == Some(&VerifyError::NotYetValid)))
        });
    let unreadable_leaf = chain
        .certs
        .iter()
        .any(|c| c.parse_error.is_some() && c.position == 0);
    // A broken hash or a short key is the precise reason behind the verifier's
    // "bad signature" / "unsupported algorithm".
    let weak = strength
        .iter()
        .any(|f| matches!(f.code, Code::CertWeakSignature | Code::CertWeakKey));
    dates || names_mismatch(chain) || is_self_signed(chain) || unreadable_leaf || weak
}

/// Expired and not-yet-valid certificates anywhere in the chain.
fn validity(chain: &Chain<'_>) -> Vec<Finding> {
    let now = chain.facts.started_unix;
    let mut out = Vec::new();
    for cert in chain.certs.iter().filter(|c| c.parse_error.is_none()) {
        let which = which_cert(cert);
        if cert.not_after_unix < now {
            out.push(finding(
                Code::CertExpired,
                Severity::Critical,
                format!("{which} expired on {} ({} days ago); mail clients will show a certificate warning.", date_only(&cert.not_after), -cert.days_left),
                Some(if cert.position == 0 {
                    "Renew the server's certificate and install it together with its intermediate certificates, then reload the mail server.".to_owned()
                } else {
                    format!("Replace the expired intermediate '{}' in the server's certificate file with its current version from the certificate authority.", short_name(&cert.subject))
                }),
            ));
        } else if cert.not_before_unix > now {
            out.push(finding(
                Code::CertNotYetValid,
                Severity::Critical,
                format!("{which} is not valid until {}; mail clients will refuse it until then.", date_only(&cert.not_before)),
                Some("Check the server's clock, or install the previous certificate until the new one becomes valid.".to_owned()),
            ));
        }
    }
    out
}

fn names_mismatch(chain: &Chain<'_>) -> bool {
    let der = chain.facts.tls.as_ref().map_or(&[][..], |t| &t.chain[..]);
    name_matches(der, &chain.verification.name) == Some(false)
}

/// The certificate does not cover the name the client uses.
fn name_mismatch(chain: &Chain<'_>) -> Option<Finding> {
    if !names_mismatch(chain) {
        return None;
    }
    let (leaf, name) = (chain.leaf, &chain.verification.name);
    let covered = if leaf.names.is_empty() {
        format!(
            "it names no host in subjectAltName (subject: {})",
            leaf.subject
        )
    } else {
        format!(
            "it covers only {}",
            crate::facts::cert::listed_names(&leaf.names, NAMES_SHOWN)
        )
    };
    Some(finding(
        Code::CertNameMismatch,
        Severity::Critical,
        format!("The certificate is not valid for {name}: {covered}."),
        Some(format!("Either set the mail client's server name to one the certificate covers, or get a certificate that includes {name}.")),
    ))
}

fn is_self_signed(chain: &Chain<'_>) -> bool {
    chain.leaf.self_issued && chain.certs.len() == 1 && !chain.verification.trusted
}

/// A lone self-signed certificate that nothing trusts.
fn self_signed(chain: &Chain<'_>) -> Option<Finding> {
    if !is_self_signed(chain) {
        return None;
    }
    let (leaf, verification) = (chain.leaf, chain.verification);
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
    Some(finding(
        Code::CertSelfSigned,
        Severity::Critical,
        message,
        Some(fix.to_owned()),
    ))
}

/// Certificates that are not valid X.509.
fn unparsable(chain: &Chain<'_>) -> Vec<Finding> {
    let mut out = Vec::new();
    for cert in chain.certs.iter().filter(|c| c.parse_error.is_some()) {
        out.push(finding(
            Code::CertUnparsable,
            Severity::Critical,
            format!(
                "Certificate {} of the chain could not be read: {}.",
                cert.position + 1,
                cert.parse_error.as_deref().unwrap_or("unknown error")
            ),
            Some("Re-export the certificate file from the certificate authority's download (PEM, leaf first, then intermediates) and reload the mail server.".to_owned()),
        ));
    }
    out
}

/// The root the server sends along, when it is the reason the chain is untrusted.
fn private_root(chain: &Chain<'_>, explained: bool) -> Option<usize> {
    match chain.verification.error {
        Some(VerifyError::UnknownIssuer) if !explained => chain.shape.root_sent,
        _ => None,
    }
}

/// The verifier's answer, in words: trusted, or why not (unless a precise rule said so).
fn trust(chain: &Chain<'_>, explained: bool) -> Option<Finding> {
    let Chain {
        facts,
        verification,
        certs,
        shape,
        ..
    } = chain;
    let name = &verification.name;
    let store = verification.trust_store.label();
    use Severity::*;
    match (&verification.error, explained) {
        (None, _) => Some(finding(
            Code::CertTrusted,
            Ok,
            format!("The certificate is valid for {name} and trusted by {store}."),
            None,
        )),
        (Some(VerifyError::UnknownIssuer), false) => {
            if let Some(root) = shape.root_sent.map(|p| &certs[p]) {
                let root_name = short_name(&root.subject);
                Some(finding(
            Code::CertUntrustedRoot,
                    Critical,
                    format!("The chain ends at the root '{root_name}', which the server sends but which is not in {store}: the certificate comes from a private certificate authority, so mail clients warn unless that root is installed."),
                    Some(format!("Install the root certificate '{root_name}' as trusted on each client (mailtls: --ca-file), or use a certificate from a public certificate authority on the server.")),
                ))
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
                Some(finding(
            Code::CertChainIncomplete,
                    Critical,
                    format!("The chain is incomplete: the server sends {sent} but not the intermediate '{issuer}' that issued '{}'. Clients that do not download missing certificates cannot verify the chain.{fetched}", short_name(&certs[missing.below].subject)),
                    Some(format!("Add the intermediate certificate '{issuer}' to the server's certificate file, after the server certificate (it can be downloaded from {}). Dovecot: ssl_cert = </path/fullchain.pem; Postfix: smtpd_tls_chain_files = key.pem, fullchain.pem.", missing.ca_issuers_urls.join(" or "))),
                ))
            } else {
                let issuer = certs.last().map_or("", |c| short_name(&c.issuer));
                Some(finding(
            Code::CertUnknownIssuer,
                    Critical,
                    format!("The certificate chain ends at '{issuer}', which is not in {store}: either the server does not send the intermediate certificate, or the certificate comes from a private certificate authority."),
                    Some(format!("If '{issuer}' is an intermediate, add it to the server's certificate file after the server certificate. If it is your organisation's own root, install that root on each client (mailtls: --ca-file).")),
                ))
            }
        }
        (Some(VerifyError::UnsupportedTime), false) => Some(date_unsupported(certs)),
        (Some(error), false) => {
            let fix = match error {
                VerifyError::ChainTooLong => format!("Send only the server's certificate and the intermediates that lead to the root (usually one or two); the server sends {}.", certs.len()),
                _ => "Install a valid certificate chain from a public certificate authority on the server.".to_owned(),
            };
            Some(finding(
                Code::CertUntrusted,
                Critical,
                format!(
                    "The certificate is not trusted: {}.",
                    verify_error_text(error)
                ),
                Some(fix),
            ))
        }
        (Some(_), true) => None,
    }
}

/// A certificate dated before 1970: WebPKI cannot check the date, so mailtls
/// could not verify the chain, while the clients built on OpenSSL, GnuTLS or
/// NSS read it. Not mailtls's verdict on the chain, so a warning at most.
fn date_unsupported(certs: &[CertFacts]) -> Finding {
    let old = certs
        .iter()
        .filter(|c| c.parse_error.is_none())
        .find(|c| c.not_before_unix < 0 || c.not_after_unix < 0);
    let what = match old {
        Some(cert) => {
            let date = if cert.not_before_unix < 0 {
                &cert.not_before
            } else {
                &cert.not_after
            };
            format!(
                "{} is dated {}, before 1970",
                which_cert(cert),
                date_only(date)
            )
        }
        None => "A certificate in the chain is dated before 1970".to_owned(),
    };
    finding(
        Code::CertDateUnsupported,
        Severity::Warning,
        format!("{what}: a date mailtls's certificate verifier (WebPKI) cannot check, so mailtls could not verify the chain. Mail clients built on OpenSSL, GnuTLS or NSS (Thunderbird) accept such a date; the few built on rustls refuse the certificate."),
        Some("To be safe with every mail client, re-issue the certificate with a start date (notBefore) after 1970, such as the day it is issued.".to_owned()),
    )
}

/// Expiry warnings, for certificates that work today: the leaf and every
/// intermediate on its path (an expiring intermediate breaks the chain too).
fn expiry(chain: &Chain<'_>, policy: &Policy) -> Vec<Finding> {
    let (now, certs) = (chain.facts.started_unix, chain.certs);
    let mut out = Vec::new();
    use Severity::*;
    for cert in chain.shape.path.iter().map(|&p| &certs[p]) {
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
            out.push(finding(Code::CertExpiresSoon, severity, message, Some(fix)));
        }
    }
    out
}

/// The client families a rule says refuse something, in words ("OpenSSL
/// clients and Apple Mail"); "mail clients" when it is all of them.
fn refusing(refuses: impl Fn(&Profile) -> bool) -> String {
    let names: Vec<&str> = PROFILES
        .iter()
        .filter(|p| refuses(p))
        .map(|p| p.short)
        .collect();
    match names.len() {
        n if n == PROFILES.len() => "mail clients".to_owned(),
        0 => "strict clients".to_owned(),
        _ => clients::list(&names),
    }
}

/// Says when the stores disagree, and what that means for which clients.
/// The clients' stores are Mozilla's, the CA files' and each platform's; this
/// machine's store stands in for the platforms only in reports saved before
/// the platforms were judged.
fn trust_comparison_findings(facts: &CheckFacts, out: &mut Vec<Finding>) {
    let verdicts: Vec<&StoreVerdict> = facts
        .trust_by_store
        .iter()
        .filter(|v| v.store != StoreKind::System || facts.trust_by_platform.is_empty())
        .chain(&facts.trust_by_platform)
        .collect();
    let with = |trusted: bool| -> Vec<StoreKind> {
        verdicts
            .iter()
            .filter(|v| v.trusted == Some(trusted))
            .map(|v| v.store)
            .collect()
    };
    let (trusting, refusing) = (with(true), with(false));
    if trusting.is_empty() || refusing.is_empty() {
        return;
    }
    let clients = |kinds: &[StoreKind]| {
        let names: Vec<&str> = kinds.iter().map(|k| k.clients()).collect();
        clients::list(&names)
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
        message.push_str(" It is issued by a private certificate authority; the verdicts per client take its root as installed (--ca-file).");
    }
    out.push(finding(
        Code::CertTrustDiffers,
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
            Code::CertWrongOrder,
            Info,
            "The server sends its certificates out of order; every current mail client still builds the chain, but the order the standard asks for spares old and strict ones.".to_owned(),
            Some(format!("Put the certificates in the server's certificate file in this order: {order}.")),
        ));
    }
    if let Some(root) = shape.root_sent.filter(|&p| Some(p) != private_root) {
        out.push(finding(
            Code::CertRootIncluded,
            Info,
            format!("The server also sends the root certificate '{}'; clients never use a root sent by the server, so this only costs bytes on every connection.", short_name(&certs[root].subject)),
            Some("Remove the root certificate from the end of the server's certificate file.".to_owned()),
        ));
    }
    for &dup in &shape.duplicates {
        out.push(finding(
            Code::CertDuplicate,
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
            Code::CertUnrelatedCertificate,
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
                Code::CertWeakSignature,
                Critical,
                format!(
                    "{which} is signed with {hash}, which is broken; {} refuse it.",
                    refusing(|p| hash != "SHA-1" || p.sha1 == Sha1::Refused)
                ),
                Some("Re-issue the certificate with a SHA-256 signature.".to_owned()),
            ));
        }
        if cert.key.starts_with("RSA") && cert.key_bits > 0 && cert.key_bits < 2048 {
            out.push(finding(
            Code::CertWeakKey,
                Critical,
                format!("{which} has a {}-bit RSA key; at least 2048 bits are required, and {} refuse shorter keys.", cert.key_bits, refusing(|p| cert.key_bits < p.min_rsa_bits)),
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
            Code::CertValidityTooLong,
            Warning,
            format!("The server's certificate is valid for {} days, longer than the {MAX_DAYS} days clients accept from public certificate authorities; Apple Mail refuses such certificates (beyond 825 days even from private ones).", leaf.validity_days),
            Some(format!("Re-issue the certificate with a lifetime of at most {MAX_DAYS} days (better: 90 days with automatic renewal).")),
        ));
    }
    let stapled = facts.tls.as_ref().is_some_and(|t| t.ocsp_stapled);
    if leaf.must_staple && !stapled {
        out.push(finding(
            Code::CertMustStapleNotStapled,
            Critical,
            "The server's certificate requires a stapled OCSP response (OCSP must-staple), but the server sent none; clients that honour must-staple refuse the connection.".to_owned(),
            Some("Enable OCSP stapling on the server, or re-issue the certificate without the must-staple extension (Dovecot and Postfix do not staple OCSP).".to_owned()),
        ));
    }
    out
}

/// Whether the leaf covers `name`, by WebPKI's own rules (RFC 6125 wildcards,
/// IP addresses); `None` when the leaf cannot be parsed.
fn name_matches(chain: &[rustls::pki_types::CertificateDer<'_>], name: &str) -> Option<bool> {
    let leaf = chain.first()?;
    let cert = webpki::EndEntityCert::try_from(leaf).ok()?;
    let server_name = ServerName::try_from(name).ok()?;
    Some(cert.verify_is_valid_for_subject_name(&server_name).is_ok())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::facts::target::TargetSpec;
    use crate::facts::tls::{StoreVerdict, TlsFacts, TrustBase, TrustDescription};

    /// Facts of a check whose verifier refused a chain of `certs` with `error`
    /// in every store.
    fn refused(certs: Vec<CertFacts>, error: VerifyError) -> CheckFacts {
        let target = TargetSpec::parse("imaps://mail.example")
            .and_then(|spec| spec.resolve(None, None))
            .expect("a target");
        let mut facts = CheckFacts::new(target);
        facts.certificates = certs;
        facts.tls = Some(TlsFacts {
            version: Some("TLSv1.3".to_owned()),
            verification: Some(Verification {
                trust_store: TrustDescription {
                    base: TrustBase::Mozilla,
                    ca_files: Vec::new(),
                    roots: 150,
                },
                name: "mail.example".to_owned(),
                trusted: false,
                error: Some(error.clone()),
            }),
            ..TlsFacts::default()
        });
        facts.trust_by_store = [StoreKind::Mozilla, StoreKind::System]
            .into_iter()
            .map(|store| StoreVerdict {
                store,
                trusted: Some(false),
                error: Some(error.clone()),
                unavailable: None,
            })
            .collect();
        facts
    }

    fn cert(position: usize, not_before_unix: i64, not_after_unix: i64) -> CertFacts {
        CertFacts {
            position,
            subject: format!("CN=cert {position}"),
            issuer: format!("CN=cert {}", position + 1),
            not_before: crate::facts::cert::rfc3339(not_before_unix),
            not_after: crate::facts::cert::rfc3339(not_after_unix),
            not_before_unix,
            not_after_unix,
            days_left: 90,
            key: "EC P-256".to_owned(),
            ..CertFacts::default()
        }
    }

    #[test]
    fn a_date_before_1970_is_a_warning_not_an_unreadable_certificate() {
        let mut facts = refused(Vec::new(), VerifyError::UnsupportedTime);
        let (now, day) = (facts.started_unix, 86_400);
        let since_1960 = -315_619_200; // 1960-01-01
        facts.certificates = vec![
            cert(0, since_1960, now + 90 * day),
            cert(1, now - day, now + 900 * day),
        ];
        let found = crate::diagnose::diagnose(&facts, &Policy::default());
        let date = found
            .iter()
            .find(|f| f.code == Code::CertDateUnsupported)
            .unwrap_or_else(|| panic!("no cert.date_unsupported in {found:#?}"));
        assert_eq!(date.severity, Severity::Warning);
        assert!(
            date.message
                .starts_with("The server's certificate is dated 1960-01-01, before 1970"),
            "{}",
            date.message
        );
        assert!(
            found.iter().all(|f| f.severity <= Severity::Warning
                && f.code != Code::CertUntrusted
                && f.code != Code::CertUnparsable),
            "{found:#?}"
        );
    }

    #[test]
    fn old_saved_wording_of_the_verifier_is_not_repeated() {
        let old = VerifyError::Other {
            detail: "invalid peer certificate: Other(OtherError(PathLenConstraintViolated))"
                .to_owned(),
        };
        assert_eq!(verify_error_text(&old), "the verifier refused the chain");
    }
}

//! Which mail clients connect, warn or cannot connect, and why: client
//! profiles as data, and one rule that judges every profile from the facts.
//!
//! Each profile says what its client family trusts (a platform's root store),
//! whether it downloads a missing intermediate (AIA), which TLS versions and
//! kinds of cipher suite it negotiates, which keys and signatures it refuses,
//! its validity rules, and what the user sees when a certificate fails (a
//! warning with a way on, or a refusal). Every rule's source is in
//! docs/clients.md, under the section the profile names.

use serde::{Deserialize, Serialize};

use crate::facts::cert::{short_name, CertFacts};
use crate::facts::chain;
use crate::facts::probe::{Acceptance, Kx, Mac, ProbeFacts, TlsVersion};
use crate::facts::stop::{CheckError, DialogueError, HandshakeFailure};
use crate::facts::tls::{StoreKind, StoreVerdict, VerifyError};
use crate::facts::CheckFacts;

/// What a client does with this server.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    /// Connects without a prompt.
    Connects,
    /// Could not be told from what mailtls saw (the cause says what is missing).
    Unknown,
    /// Stops with a certificate warning the user can click through.
    Warns,
    /// No way on: the client refuses (versions, suites, or a library with no prompt).
    CannotConnect,
}

impl Outcome {
    /// `connects`, `unknown`, `warns`, `cannot_connect`.
    pub fn name(self) -> &'static str {
        match self {
            Outcome::Connects => "connects",
            Outcome::Unknown => "unknown",
            Outcome::Warns => "warns",
            Outcome::CannotConnect => "cannot_connect",
        }
    }
}

/// One client family's verdict on one check.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ClientOutcome {
    /// Stable id, e.g. `thunderbird`, `outlook` (`mailtls clients` lists them).
    pub id: String,
    /// The client family, in words.
    pub name: String,
    pub outcome: Outcome,
    /// Why, one sentence each; empty when it simply connects.
    pub causes: Vec<String>,
}

/// How a client treats SHA-1 signatures on the chain.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Sha1 {
    Refused,
    Accepted,
}

/// A family of mail clients, as its TLS stack judges servers.
#[derive(Debug, Clone, Copy)]
pub struct Profile {
    pub id: &'static str,
    pub name: &'static str,
    /// How a sentence names the family ("Thunderbird", "Android phones").
    pub short: &'static str,
    /// The root store it trusts (with `--ca-file` roots taken as installed on it).
    pub store: StoreKind,
    /// Downloads a missing intermediate from the certificate's AIA URL.
    pub fetches_missing_issuers: bool,
    /// The shortest RSA key it accepts on the chain (leaf and intermediates).
    pub min_rsa_bits: u32,
    pub sha1: Sha1,
    /// Apple's lifetime rules: at most 825 days (issued since 2019-07-01), and
    /// 398 days from public roots (issued since 2020-09-01).
    pub apple_validity: bool,
    /// The TLS versions it negotiates by default.
    pub versions: &'static [TlsVersion],
    /// Negotiates finite-field DHE suites.
    pub dhe: bool,
    /// Negotiates suites with RSA key exchange.
    pub rsa_key_exchange: bool,
    /// Negotiates CBC suites with SHA-256/384 MACs.
    pub cbc_sha2: bool,
    /// What its user sees when the certificate fails.
    pub on_certificate_error: Outcome,
    /// The section of docs/clients.md with the sources of these rules.
    pub source: &'static str,
}

const MODERN: &[TlsVersion] = &[TlsVersion::Tls12, TlsVersion::Tls13];
const TLS10_TO_12: &[TlsVersion] = &[TlsVersion::Tls10, TlsVersion::Tls11, TlsVersion::Tls12];
const TLS10_TO_13: &[TlsVersion] = &[
    TlsVersion::Tls10,
    TlsVersion::Tls11,
    TlsVersion::Tls12,
    TlsVersion::Tls13,
];

/// The profiles, in the order reports list them.
pub const PROFILES: &[Profile] = &[
    Profile {
        id: "thunderbird",
        name: "Thunderbird (desktop)",
        short: "Thunderbird",
        store: StoreKind::Mozilla,
        fetches_missing_issuers: false,
        min_rsa_bits: 1024,
        sha1: Sha1::Refused,
        apple_validity: false,
        versions: MODERN,
        dhe: false,
        rsa_key_exchange: true,
        cbc_sha2: false,
        on_certificate_error: Outcome::Warns,
        source: "docs/clients.md §1",
    },
    Profile {
        id: "android",
        name: "Android mail apps (Thunderbird for Android, K-9 Mail, Gmail)",
        short: "Android phones",
        store: StoreKind::Android,
        fetches_missing_issuers: false,
        min_rsa_bits: 1024,
        sha1: Sha1::Refused,
        apple_validity: false,
        versions: MODERN,
        dhe: false,
        rsa_key_exchange: true,
        cbc_sha2: false,
        on_certificate_error: Outcome::Warns,
        source: "docs/clients.md §2",
    },
    Profile {
        id: "android8",
        name: "Android mail apps on Android 8",
        short: "Android 8 phones",
        store: StoreKind::Android8,
        fetches_missing_issuers: false,
        min_rsa_bits: 1024,
        sha1: Sha1::Accepted,
        apple_validity: false,
        versions: TLS10_TO_12,
        dhe: false,
        rsa_key_exchange: true,
        cbc_sha2: false,
        on_certificate_error: Outcome::Warns,
        source: "docs/clients.md §2",
    },
    Profile {
        id: "outlook",
        name: "Outlook on Windows",
        short: "Outlook",
        store: StoreKind::Microsoft,
        fetches_missing_issuers: true,
        min_rsa_bits: 1024,
        sha1: Sha1::Accepted,
        apple_validity: false,
        versions: MODERN,
        dhe: false,
        rsa_key_exchange: true,
        cbc_sha2: true,
        on_certificate_error: Outcome::Warns,
        source: "docs/clients.md §3",
    },
    Profile {
        id: "apple",
        name: "Apple Mail (macOS, iPhone, iPad)",
        short: "Apple Mail",
        store: StoreKind::Apple,
        fetches_missing_issuers: true,
        min_rsa_bits: 2048,
        sha1: Sha1::Refused,
        apple_validity: true,
        versions: MODERN,
        dhe: false,
        rsa_key_exchange: true,
        cbc_sha2: true,
        on_certificate_error: Outcome::Warns,
        source: "docs/clients.md §4",
    },
    Profile {
        id: "gnutls",
        name: "GnuTLS clients (Evolution, Claws Mail, msmtp)",
        short: "GnuTLS clients",
        store: StoreKind::System,
        fetches_missing_issuers: false,
        min_rsa_bits: 1024,
        sha1: Sha1::Refused,
        apple_validity: false,
        versions: TLS10_TO_13,
        dhe: true,
        rsa_key_exchange: true,
        cbc_sha2: false,
        on_certificate_error: Outcome::CannotConnect,
        source: "docs/clients.md §5",
    },
    Profile {
        id: "openssl",
        name: "OpenSSL clients (fetchmail, isync, alpine, curl, Python)",
        short: "OpenSSL clients",
        store: StoreKind::System,
        fetches_missing_issuers: false,
        min_rsa_bits: 2048,
        sha1: Sha1::Refused,
        apple_validity: false,
        versions: MODERN,
        dhe: true,
        rsa_key_exchange: true,
        cbc_sha2: true,
        on_certificate_error: Outcome::CannotConnect,
        source: "docs/clients.md §6",
    },
    Profile {
        id: "java",
        name: "Java clients (JavaMail, Jakarta Mail)",
        short: "Java clients",
        store: StoreKind::Java,
        fetches_missing_issuers: false,
        min_rsa_bits: 1024,
        sha1: Sha1::Accepted,
        apple_validity: false,
        versions: MODERN,
        dhe: true,
        rsa_key_exchange: true,
        cbc_sha2: true,
        on_certificate_error: Outcome::CannotConnect,
        source: "docs/clients.md §7",
    },
];

/// The profile with this id.
pub fn profile(id: &str) -> Option<&'static Profile> {
    PROFILES.iter().find(|p| p.id == id)
}

/// Every profile's outcome for one check.
pub fn judge(facts: &CheckFacts) -> Vec<ClientOutcome> {
    PROFILES.iter().map(|p| judge_one(p, facts)).collect()
}

/// One profile's outcome: whether it gets to TLS with this server at all,
/// then what it makes of the certificate.
pub fn judge_one(profile: &Profile, facts: &CheckFacts) -> ClientOutcome {
    let (outcome, causes) = match reach(profile, facts) {
        Err(refusal) => refusal,
        Ok(()) => certificate(profile, facts),
    };
    ClientOutcome {
        id: profile.id.to_owned(),
        name: profile.name.to_owned(),
        outcome,
        causes,
    }
}

type Judged = (Outcome, Vec<String>);

/// Whether the client gets as far as the certificate: the mail dialogue, then
/// a TLS version and a cipher suite it shares with the server.
fn reach(profile: &Profile, facts: &CheckFacts) -> Result<(), Judged> {
    let stop = facts.stopped.as_ref();
    let error = stop.and_then(|s| s.error.as_ref());
    let Some(tls) = &facts.tls else {
        let message = stop.map_or("mailtls did not get as far as TLS", |s| s.message.as_str());
        let server_says_no = matches!(
            error,
            Some(
                CheckError::Dialogue(
                    DialogueError::StarttlsNotOffered
                        | DialogueError::StarttlsRefused { .. }
                        | DialogueError::UnexpectedGreeting { .. }
                        | DialogueError::ServiceUnavailable {
                            temporary: false,
                            ..
                        }
                ) | CheckError::TlsOnPlaintextPort
            )
        );
        let outcome = match server_says_no {
            true => Outcome::CannotConnect,
            false => Outcome::Unknown,
        };
        return Err((outcome, vec![sentence(message)]));
    };
    if matches!(
        error,
        Some(CheckError::Handshake(HandshakeFailure::NotTls { .. }))
    ) {
        let message = stop.map_or("", |s| s.message.as_str());
        return Err((Outcome::CannotConnect, vec![sentence(message)]));
    }
    let probe = facts.probe.as_ref();
    match (tls.version.as_deref().and_then(version_of), probe) {
        (Some(negotiated), _) if profile.versions.contains(&negotiated) => Ok(()),
        (_, Some(probe)) => negotiates(profile, probe),
        (Some(negotiated), None) => Err((
            Outcome::Unknown,
            vec![format!(
                "Uses {} only; the server chose {} with mailtls, and whether it also speaks the older versions was not probed (--probe tells).",
                names(profile.versions),
                negotiated.name().replace("TLSv", "TLS ")
            )],
        )),
        // The handshake did not finish, but the chain came: mailtls's own TLS
        // library stopped (e.g. at a key it refuses); the certificate rules decide.
        (None, None) if !tls.chain.is_empty() && tls.verification.is_some() => Ok(()),
        (None, None) => Err((
            Outcome::Unknown,
            vec![format!(
                "The TLS handshake with mailtls failed ({}); whether this client can connect needs --probe.",
                stop.map_or("no reason given", |s| s.message.as_str()),
            )],
        )),
    }
}

/// Whether the profile shares a version and a cipher suite with the server,
/// by the probe's findings.
fn negotiates(profile: &Profile, probe: &ProbeFacts) -> Result<(), Judged> {
    let accepted: Vec<TlsVersion> = probe
        .versions
        .iter()
        .filter(|v| v.accepted == Acceptance::Yes)
        .map(|v| v.version)
        .collect();
    let shared: Vec<TlsVersion> = accepted
        .iter()
        .copied()
        .filter(|v| profile.versions.contains(v))
        .collect();
    if shared.is_empty() {
        let open = probe.versions.iter().any(|v| {
            v.accepted == Acceptance::Inconclusive && profile.versions.contains(&v.version)
        });
        if open {
            return Err((
                Outcome::Unknown,
                vec!["The probe could not tell whether the server speaks the TLS versions this client uses.".to_owned()],
            ));
        }
        return Err((
            Outcome::CannotConnect,
            vec![format!(
                "The server speaks only {}, and this client uses {}.",
                if accepted.is_empty() {
                    "no TLS version the probe offered".to_owned()
                } else {
                    names(&accepted)
                },
                names(profile.versions)
            )],
        ));
    }
    let suite_ok = probe
        .versions
        .iter()
        .filter(|v| shared.contains(&v.version))
        .any(|v| {
            v.version == TlsVersion::Tls13
                || v.suites.iter().any(|s| {
                    (profile.dhe || s.key_exchange != Kx::Dhe)
                        && (profile.rsa_key_exchange || s.key_exchange != Kx::Rsa)
                        && (profile.cbc_sha2
                            || s.aead
                            || !matches!(s.mac, Mac::Sha256 | Mac::Sha384))
                        && s.weakness.is_none_or(|w| !w.is_broken())
                })
        });
    match suite_ok {
        true => Ok(()),
        false => Err((
            Outcome::CannotConnect,
            vec![format!(
                "The server offers only cipher suites this client does not use (it has no DHE{} suites).",
                if profile.cbc_sha2 { "" } else { " and no CBC-SHA256/384" }
            )],
        )),
    }
}

/// What the client makes of the certificate chain.
fn certificate(profile: &Profile, facts: &CheckFacts) -> Judged {
    let Some(verdict) = store_verdict(profile.store, facts) else {
        return (
            Outcome::Unknown,
            vec!["mailtls did not get the server's certificate to judge.".to_owned()],
        );
    };
    let installed = facts
        .trust_by_store
        .iter()
        .find(|v| v.store == StoreKind::CaFiles);
    let private_ca_installed = installed.is_some_and(|v| v.trusted == Some(true));
    let certs = &facts.certificates;
    let shape = chain::analyse(certs);
    let path: Vec<&CertFacts> = shape.path.iter().map(|&p| &certs[p]).collect();
    let signers: Vec<&CertFacts> = path
        .iter()
        .copied()
        .filter(|c| !(c.self_issued && c.is_ca && c.position != 0))
        .collect();
    let sha1 = signers
        .iter()
        .find(|c| c.weak_signature_hash.as_deref() == Some("SHA-1"));
    // A chain up to an installed root (--ca-file) that fails there only on its
    // SHA-1 signature: the client's own store lacks that private root, so judge
    // it by the installed one and let the client's SHA-1 rule decide (Java and
    // Android 8 accept it; checked against JSSE in tests/clients_interop.rs).
    let verdict = match installed {
        Some(ca)
            if sha1.is_some()
                && verdict.error == Some(VerifyError::UnknownIssuer)
                && ca.error == Some(VerifyError::UnsupportedSignatureAlgorithm) =>
        {
            ca
        }
        _ => verdict,
    };
    let refuse = profile.on_certificate_error;
    let mut judged: Vec<Judged> = Vec::new();

    let trusted = verdict.trusted == Some(true) || private_ca_installed;
    if verdict.trusted.is_none() && !private_ca_installed {
        return (
            Outcome::Unknown,
            vec![format!(
                "Its root store could not be loaded: {}.",
                verdict.unavailable.as_deref().unwrap_or("no reason given")
            )],
        );
    }
    if !trusted {
        judged.push(untrusted(profile, facts, verdict, &shape, sha1.copied()));
    }
    for cert in &signers {
        let weak_rsa = cert.key.starts_with("RSA")
            && cert.key_bits > 0
            && cert.key_bits < profile.min_rsa_bits;
        if weak_rsa {
            judged.push((
                refuse,
                vec![format!(
                    "{} has a {}-bit RSA key; this client requires at least {} bits.",
                    which(cert),
                    cert.key_bits,
                    profile.min_rsa_bits
                )],
            ));
        }
    }
    if let (Some(cert), Sha1::Refused, true) = (sha1, profile.sha1, trusted) {
        judged.push((
            refuse,
            vec![format!(
                "{} is signed with SHA-1, which this client refuses.",
                which(cert)
            )],
        ));
    }
    if profile.apple_validity {
        if let Some(leaf) = certs.first().filter(|c| c.parse_error.is_none()) {
            const JULY_2019: i64 = 1_561_939_200;
            const SEPTEMBER_2020: i64 = 1_598_918_400;
            let public = verdict.trusted == Some(true);
            if leaf.not_before_unix >= JULY_2019 && leaf.validity_days > 825 {
                judged.push((
                    Outcome::Warns,
                    vec![format!("The server's certificate is valid for {} days; this client accepts at most 825.", leaf.validity_days)],
                ));
            } else if public && leaf.not_before_unix >= SEPTEMBER_2020 && leaf.validity_days > 398 {
                judged.push((
                    Outcome::Warns,
                    vec![format!("The server's certificate is valid for {} days; this client accepts at most 398 from public certificate authorities.", leaf.validity_days)],
                ));
            }
        }
    }
    judged.into_iter().fold(
        (Outcome::Connects, Vec::new()),
        |(worst, mut causes), (outcome, more)| {
            causes.extend(more);
            (worst.max(outcome), causes)
        },
    )
}

/// Why a store that does not trust the chain is not the end of it (a
/// download by AIA, a SHA-1 signature the client accepts), or what it means.
fn untrusted(
    profile: &Profile,
    facts: &CheckFacts,
    verdict: &StoreVerdict,
    shape: &chain::ChainReport,
    sha1: Option<&CertFacts>,
) -> Judged {
    let refuse = profile.on_certificate_error;
    match &verdict.error {
        Some(VerifyError::UnknownIssuer) => {
            let missing = shape
                .top_issuer_missing
                .as_ref()
                .filter(|m| !m.ca_issuers_urls.is_empty() && shape.root_sent.is_none());
            match (missing, profile.fetches_missing_issuers) {
                (Some(missing), true) => {
                    let issuer = short_name(&missing.name);
                    let url = missing.ca_issuers_urls.join(" or ");
                    // With --ca-file, its roots count as installed on the client:
                    // a download that completes the chain to one of them is enough.
                    let installed = facts
                        .trust_by_store
                        .iter()
                        .any(|v| v.store == StoreKind::CaFiles);
                    let fetched = facts.fetched_issuer.as_ref().and_then(|f| {
                        let platform = f
                            .trusted_by_platform
                            .iter()
                            .find(|v| v.store == profile.store)
                            .and_then(|v| v.trusted);
                        match (installed, f.completes_chain) {
                            (true, Some(true)) => Some(true),
                            _ => platform,
                        }
                    });
                    match fetched {
                        Some(false) => (
                            refuse,
                            vec![format!("The missing intermediate '{issuer}' is downloaded from {url}, but even with it the chain is not trusted.")],
                        ),
                        Some(true) => (
                            Outcome::Connects,
                            vec![format!("The missing intermediate '{issuer}' is downloaded from {url}; mailtls did so too, and with it the chain is trusted.")],
                        ),
                        None => (
                            Outcome::Connects,
                            vec![format!("The missing intermediate '{issuer}' is downloaded from {url} (--fetch-missing confirms that it completes the chain).")],
                        ),
                    }
                }
                (Some(missing), false) => (
                    refuse,
                    vec![format!(
                        "The server does not send the intermediate '{}', and this client does not download missing certificates.",
                        short_name(&missing.name)
                    )],
                ),
                (None, _) => (
                    refuse,
                    vec!["The chain does not lead to a root this client trusts.".to_owned()],
                ),
            }
        }
        Some(VerifyError::UnsupportedSignatureAlgorithm) if sha1.is_some() => match profile.sha1 {
            Sha1::Accepted => (
                Outcome::Connects,
                vec![format!(
                    "The SHA-1 signature on {} is still accepted.",
                    sha1.map_or(String::new(), which).to_lowercase()
                )],
            ),
            Sha1::Refused => (
                refuse,
                vec![format!(
                    "{} is signed with SHA-1, which this client refuses.",
                    sha1.map_or(String::new(), which)
                )],
            ),
        },
        Some(error) => (
            refuse,
            vec![format!(
                "The certificate is not trusted: {}.",
                super::certificate::verify_error_text(error)
            )],
        ),
        None => (refuse, vec!["The certificate is not trusted.".to_owned()]),
    }
}

/// The verdict of the store a profile trusts.
fn store_verdict(store: StoreKind, facts: &CheckFacts) -> Option<&StoreVerdict> {
    facts
        .trust_by_store
        .iter()
        .chain(&facts.trust_by_platform)
        .find(|v| v.store == store)
}

fn which(cert: &CertFacts) -> String {
    match cert.position {
        0 => "The server's certificate".to_owned(),
        _ => format!("The intermediate '{}'", short_name(&cert.subject)),
    }
}

fn version_of(name: &str) -> Option<TlsVersion> {
    TlsVersion::ALL.into_iter().find(|v| v.name() == name)
}

/// "TLS 1.0 and TLS 1.1", from the report's version names.
fn names(versions: &[TlsVersion]) -> String {
    let names: Vec<String> = versions
        .iter()
        .map(|v| v.name().replace("TLSv", "TLS ").replace("SSLv3", "SSL 3.0"))
        .collect();
    match names.as_slice() {
        [] => String::new(),
        [only] => only.clone(),
        [init @ .., last] => format!("{} and {last}", init.join(", ")),
    }
}

/// A message as a sentence: capitalised, with a full stop.
fn sentence(text: &str) -> String {
    let mut out = super::capitalise(text.trim_end_matches('.'));
    out.push('.');
    out
}

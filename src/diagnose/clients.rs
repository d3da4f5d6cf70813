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
use crate::facts::probe::{Acceptance, Kx, Mac, ProbeFacts, SuiteFacts, TlsVersion};
use crate::facts::protocol::TlsMode;
use crate::facts::stop::{CheckError, DialogueError, HandshakeFailure, Phase};
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

/// A set of profiles, by their place in [`PROFILES`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ClientSet(u32);

impl ClientSet {
    /// Every profile.
    pub const ALL: ClientSet = ClientSet(u32::MAX);

    /// The profiles with these ids; `Err` names the first unknown one.
    pub fn of<'a>(ids: impl IntoIterator<Item = &'a str>) -> Result<ClientSet, String> {
        let mut bits = 0;
        for id in ids {
            let index = PROFILES
                .iter()
                .position(|p| p.id == id)
                .ok_or_else(|| id.to_owned())?;
            bits |= 1 << index;
        }
        Ok(if bits == 0 {
            ClientSet::ALL
        } else {
            ClientSet(bits)
        })
    }

    /// Whether the set holds the profile with this id.
    pub fn contains(self, id: &str) -> bool {
        PROFILES
            .iter()
            .position(|p| p.id == id)
            .is_some_and(|index| self.0 & (1 << index) != 0)
    }

    /// Whether this is every profile.
    pub fn is_all(self) -> bool {
        self == ClientSet::ALL
    }
}

/// The profile with this id.
pub fn profile(id: &str) -> Option<&'static Profile> {
    PROFILES.iter().find(|p| p.id == id)
}

/// Every profile's outcome for one check.
pub fn judge(facts: &CheckFacts) -> Vec<ClientOutcome> {
    let shape = chain::analyse(&facts.certificates);
    PROFILES
        .iter()
        .map(|p| judge_with(p, facts, &shape))
        .collect()
}

/// One profile's outcome: whether it gets to TLS with this server at all,
/// then what it makes of the certificate.
pub fn judge_one(profile: &Profile, facts: &CheckFacts) -> ClientOutcome {
    judge_with(profile, facts, &chain::analyse(&facts.certificates))
}

/// [`judge_one`] with the chain's shape already analysed (once for all profiles).
fn judge_with(profile: &Profile, facts: &CheckFacts, shape: &chain::ChainReport) -> ClientOutcome {
    let (outcome, causes) = match reach(profile, facts) {
        Err(refusal) => refusal,
        Ok(()) => certificate(profile, facts, shape),
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
    // Implicit TLS worked, but the mail dialogue inside it did not begin: no
    // client gets past a server that is not this protocol, and whether one
    // gets past a silent or closing server is not known from here.
    let implicit = facts.target.mode == TlsMode::Implicit;
    if let Some(error) = error.filter(|e| implicit && e.phase() == Phase::Greeting) {
        let message = stop.map_or("", |s| s.message.as_str());
        let outcome = match error {
            CheckError::Dialogue(
                DialogueError::UnexpectedGreeting { .. }
                | DialogueError::ServiceUnavailable {
                    temporary: false, ..
                },
            ) => Outcome::CannotConnect,
            _ => Outcome::Unknown,
        };
        return Err((
            outcome,
            vec![sentence(&format!("TLS worked, but then {message}"))],
        ));
    }
    let probe = facts.probe.as_ref();
    // STARTTLS went through, and then every handshake (mailtls's and each of
    // the probe's, after its own go-ahead) was closed unanswered.
    if let Some(probe) = probe.filter(|p| p.every_hello_closed) {
        let closed = matches!(
            error,
            Some(CheckError::Handshake(
                HandshakeFailure::Closed | HandshakeFailure::Reset
            ))
        );
        if closed && facts.target.mode == TlsMode::Starttls {
            return Err((
                Outcome::CannotConnect,
                vec![format!(
                    "The server gives the STARTTLS go-ahead, then closes every TLS handshake before answering it (mailtls's own and the probe's {} hellos): no client gets a TLS session.",
                    probe.versions.len()
                )],
            ));
        }
    }
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
    let accepted: Vec<TlsVersion> = probe.accepted_versions();
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

/// Whether the profile shares a version and a usable suite with the server,
/// counting only the versions and suites `keep` lets through.
fn shares(
    profile: &Profile,
    probe: &ProbeFacts,
    keep: &dyn Fn(TlsVersion, Option<&SuiteFacts>) -> bool,
) -> bool {
    probe
        .versions
        .iter()
        .filter(|v| v.accepted == Acceptance::Yes && profile.versions.contains(&v.version))
        .filter(|v| keep(v.version, None))
        .any(|v| {
            (v.version == TlsVersion::Tls13 && v.suites.is_empty())
                || v.suites.iter().any(|s| {
                    keep(v.version, Some(s))
                        && (v.version == TlsVersion::Tls13
                            || ((profile.dhe || s.key_exchange != Kx::Dhe)
                                && (profile.rsa_key_exchange || s.key_exchange != Kx::Rsa)
                                && (profile.cbc_sha2
                                    || s.aead
                                    || !matches!(s.mac, Mac::Sha256 | Mac::Sha384))
                                && s.weakness.is_none_or(|w| !w.is_broken())))
                })
        })
}

/// The client families that reach the server today but would not if it
/// dropped what `dropped` names (versions, or suites at a version): for the
/// probe's advice to say what a change costs.
pub fn would_lose_access(
    probe: &ProbeFacts,
    dropped: &dyn Fn(TlsVersion, Option<&SuiteFacts>) -> bool,
) -> Vec<&'static str> {
    PROFILES
        .iter()
        .filter(|p| shares(p, probe, &|_, _| true))
        .filter(|p| !shares(p, probe, &|v, s| !dropped(v, s)))
        .map(|p| p.short)
        .collect()
}

/// "A", "A and B", "A, B and C".
pub fn list(names: &[&str]) -> String {
    match names {
        [] => String::new(),
        [only] => (*only).to_owned(),
        [init @ .., last] => format!("{} and {last}", init.join(", ")),
    }
}

/// What the client makes of the certificate chain.
fn certificate(profile: &Profile, facts: &CheckFacts, shape: &chain::ChainReport) -> Judged {
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
        judged.push(untrusted(profile, facts, verdict, shape, sha1.copied()));
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
                        None => match &facts.fetched_issuer {
                            Some(fetched) => (
                                Outcome::Unknown,
                                vec![format!(
                                    "It would download the missing intermediate '{issuer}' from {url}, but mailtls's download failed: {}.",
                                    fetched.error.as_deref().unwrap_or("no certificate came")
                                )],
                            ),
                            None => (
                                Outcome::Unknown,
                                vec![format!("It would download the missing intermediate '{issuer}' from {url}; mailtls did not (--offline).")],
                            ),
                        },
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
                super::verify_error_text(error)
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::facts::stop::CheckError;
    use crate::facts::testing::{CertBuilder, FactsBuilder, ProbeBuilder};

    const HOST: &str = "mail.test";

    fn outcomes(facts: &CheckFacts) -> Vec<(&'static str, Outcome)> {
        PROFILES
            .iter()
            .map(|p| (p.id, judge_one(p, facts).outcome))
            .collect()
    }

    fn outcome(facts: &CheckFacts, id: &str) -> ClientOutcome {
        judge_one(profile(id).expect("profile"), facts)
    }

    /// Trusted everywhere, TLS 1.3.
    fn trusted_everywhere() -> FactsBuilder {
        everywhere(FactsBuilder::good())
    }

    /// Trusted everywhere, TLS 1.3, with `leaf` for the server's certificate.
    fn trusted_everywhere_with(leaf: CertBuilder) -> FactsBuilder {
        everywhere(
            FactsBuilder::imaps()
                .tls13()
                .cert(leaf)
                .cert(CertBuilder::intermediate())
                .trusted(),
        )
    }

    /// `facts` with the chain also in the Mozilla and system stores, and on
    /// every platform.
    fn everywhere(facts: FactsBuilder) -> FactsBuilder {
        facts
            .store(StoreKind::Mozilla, Some(true))
            .store(StoreKind::System, Some(true))
            .platforms(true, None)
    }

    #[test]
    fn a_good_server_is_fine_for_every_client_android_8_unprobed() {
        let facts = trusted_everywhere().build();
        for (id, got) in outcomes(&facts) {
            let want = if id == "android8" {
                Outcome::Unknown
            } else {
                Outcome::Connects
            };
            assert_eq!(got, want, "{id}");
        }
        let android8 = outcome(&facts, "android8");
        assert!(
            android8.causes[0].contains("--probe"),
            "{:?}",
            android8.causes
        );
    }

    fn leaf_without_its_intermediate() -> FactsBuilder {
        FactsBuilder::missing_intermediate("http://ca.test/i.der")
    }

    #[test]
    fn a_download_that_does_not_complete_the_chain_still_warns() {
        let facts = leaf_without_its_intermediate()
            .downloaded_issuer("http://ca.test/i.der", &[])
            .build();
        let apple = outcome(&facts, "apple");
        assert_eq!(apple.outcome, Outcome::Warns, "{apple:?}");
        assert!(
            apple.causes[0].contains("even with it"),
            "{:?}",
            apple.causes
        );
    }

    #[test]
    fn offline_the_downloading_clients_are_unknown() {
        let facts = leaf_without_its_intermediate().build();
        let outlook = outcome(&facts, "outlook");
        assert_eq!(outlook.outcome, Outcome::Unknown);
        assert!(
            outlook.causes[0].contains("--offline"),
            "{:?}",
            outlook.causes
        );
        assert_eq!(outcome(&facts, "thunderbird").outcome, Outcome::Warns);
    }

    #[test]
    fn a_missing_intermediate_is_downloaded_only_by_outlook_and_apple() {
        let facts = leaf_without_its_intermediate()
            .downloaded_issuer(
                "http://ca.test/i.der",
                &[StoreKind::Microsoft, StoreKind::Apple],
            )
            .build();
        let got: Vec<_> = outcomes(&facts);
        let want = [
            ("thunderbird", Outcome::Warns),
            ("android", Outcome::Warns),
            ("android8", Outcome::Unknown),
            ("outlook", Outcome::Connects),
            ("apple", Outcome::Connects),
            ("gnutls", Outcome::CannotConnect),
            ("openssl", Outcome::CannotConnect),
            ("java", Outcome::CannotConnect),
        ];
        assert_eq!(got, want);
        let outlook = outcome(&facts, "outlook");
        assert!(
            outlook.causes[0].contains("downloaded from http://ca.test/i.der"),
            "{:?}",
            outlook.causes
        );
        let thunderbird = outcome(&facts, "thunderbird");
        assert!(
            thunderbird.causes[0].contains("does not download"),
            "{:?}",
            thunderbird.causes
        );
    }

    #[test]
    fn a_1024_bit_leaf_is_refused_by_openssl_and_apple_only() {
        let facts = trusted_everywhere_with(CertBuilder::leaf(HOST).rsa(1024)).build();
        for (id, got) in outcomes(&facts) {
            let want = match id {
                "openssl" => Outcome::CannotConnect,
                "apple" => Outcome::Warns,
                "android8" => Outcome::Unknown,
                _ => Outcome::Connects,
            };
            assert_eq!(got, want, "{id}");
        }
        assert!(outcome(&facts, "openssl").causes[0].contains("1024-bit RSA key"));
    }

    #[test]
    fn a_sha1_leaf_from_a_private_ca_is_accepted_by_java_outlook_and_android_8() {
        let facts = FactsBuilder::imaps()
            .tls12()
            .cert(CertBuilder::leaf(HOST).weak_signature("SHA-1"))
            .cert(CertBuilder::intermediate())
            .verify_error(VerifyError::UnsupportedSignatureAlgorithm)
            .store(StoreKind::Mozilla, Some(false))
            .store(StoreKind::System, Some(false))
            .platforms(false, Some(VerifyError::UnsupportedSignatureAlgorithm))
            .build();
        let mut facts = facts;
        for v in facts.trust_by_store.iter_mut() {
            v.error = Some(VerifyError::UnsupportedSignatureAlgorithm);
        }
        for (id, got) in outcomes(&facts) {
            let want = match id {
                "java" | "outlook" | "android8" => Outcome::Connects,
                "gnutls" | "openssl" => Outcome::CannotConnect,
                _ => Outcome::Warns,
            };
            assert_eq!(got, want, "{id}");
        }
    }

    #[test]
    fn a_tls10_only_server_keeps_out_all_but_gnutls_and_android_8() {
        let probe = ProbeBuilder::empty()
            .refuses(TlsVersion::Ssl3)
            .suites(
                TlsVersion::Tls10,
                vec![crate::facts::testing::suite(
                    "TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA",
                )],
            )
            .refuses(TlsVersion::Tls11)
            .refuses(TlsVersion::Tls12)
            .refuses(TlsVersion::Tls13);
        let facts = everywhere(FactsBuilder::imaps().good_chain().trusted())
            .stopped(CheckError::Handshake(HandshakeFailure::AlertReceived {
                alert: "protocol_version".to_owned(),
            }))
            .probe(probe)
            .build();
        for (id, got) in outcomes(&facts) {
            let want = match id {
                "gnutls" | "android8" => Outcome::Connects,
                _ => Outcome::CannotConnect,
            };
            assert_eq!(got, want, "{id}");
        }
        assert!(outcome(&facts, "thunderbird").causes[0].contains("speaks only TLS 1.0"));
    }

    #[test]
    fn dropping_legacy_tls_costs_only_the_clients_that_need_it() {
        use crate::facts::testing::suite;
        let legacy = |v: TlsVersion, _: Option<&SuiteFacts>| {
            matches!(v, TlsVersion::Ssl3 | TlsVersion::Tls10 | TlsVersion::Tls11)
        };
        let both = ProbeBuilder::modern()
            .suites(
                TlsVersion::Tls10,
                vec![suite("TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA")],
            )
            .build();
        assert!(would_lose_access(&both, &legacy).is_empty());
        let only_legacy = ProbeBuilder::empty()
            .suites(
                TlsVersion::Tls10,
                vec![suite("TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA")],
            )
            .refuses(TlsVersion::Tls12)
            .refuses(TlsVersion::Tls13)
            .build();
        assert_eq!(
            would_lose_access(&only_legacy, &legacy),
            ["Android 8 phones", "GnuTLS clients"]
        );
    }

    #[test]
    fn apple_refuses_long_lived_public_certificates() {
        let facts = trusted_everywhere_with(CertBuilder::leaf(HOST).validity_days(500)).build();
        let apple = outcome(&facts, "apple");
        assert_eq!(apple.outcome, Outcome::Warns, "{apple:?}");
        assert!(apple.causes[0].contains("at most 398"));
        assert_eq!(outcome(&facts, "thunderbird").outcome, Outcome::Connects);
    }

    #[test]
    fn starttls_not_offered_keeps_every_client_out_and_unreachable_is_unknown() {
        let facts = FactsBuilder::starttls(crate::facts::protocol::Protocol::Imap)
            .stopped(CheckError::Dialogue(DialogueError::StarttlsNotOffered))
            .build();
        assert!(outcomes(&facts)
            .iter()
            .all(|(_, o)| *o == Outcome::CannotConnect));
        let mut refused = facts.clone();
        refused.tls = None;
        refused.stopped = Some(crate::facts::stop::Stop::from(CheckError::Refused {
            address: "127.0.0.1:143".parse().expect("address"),
        }));
        assert!(outcomes(&refused)
            .iter()
            .all(|(_, o)| *o == Outcome::Unknown));
    }

    #[test]
    fn client_sets_name_profiles_by_id() {
        let set = ClientSet::of(["outlook", "apple"]).expect("ids");
        assert!(set.contains("outlook") && set.contains("apple") && !set.contains("java"));
        assert_eq!(ClientSet::of(["nope"]), Err("nope".to_owned()));
        assert!(ClientSet::of([]).expect("none").is_all());
        let ids: std::collections::HashSet<_> = PROFILES.iter().map(|p| p.id).collect();
        assert_eq!(ids.len(), PROFILES.len(), "ids are unique");
        assert!(PROFILES
            .iter()
            .all(|p| p.source.starts_with("docs/clients.md")));
    }
}

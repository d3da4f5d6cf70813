//! One check of one target: connect, talk, upgrade, probe, and collect the facts.
//!
//! [`run_check`] never fails: whatever happens, it returns [`CheckFacts`] saying how
//! far it got and, if it stopped early, where and why. Every fact of a check is
//! put together here, the probe's included. Judging the facts is `diagnose`'s job.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use tokio::net::TcpStream;
use tokio::time::{timeout_at, Instant};

use super::connector::{probe_checked_target, resumption_of_checked_target};
use super::lines::LineReader;
use super::net::{connect, resolve, server_name};
use super::probe::ProbeOptions;
use super::ready::{close_politely, dialogue_for, starttls_dialogue};
use super::session::{self, Deadlines, Timing};
use super::{audit, dane, revocation, CheckSettings};
use crate::facts::chain;
use crate::facts::dane::DaneFacts;
use crate::facts::protocol::TlsMode;
use crate::facts::stop::HandshakeFailure;
use crate::facts::stop::{CheckError, Stop};
use crate::facts::target::{Host, Target};
use crate::facts::tls::{TlsFacts, Verification, VerifyError};
use crate::facts::{cert, CheckFacts, FetchedIssuer};

/// Checks one target. Never panics on server input, never runs past `settings.timeout`.
pub async fn run_check(target: Target, settings: &Arc<CheckSettings>) -> CheckFacts {
    run_check_at(target, None, settings).await
}

/// Like [`run_check`], but connects to `address` instead of resolving the host
/// (for `--all-addresses`); SNI and verification still use the host name.
pub async fn run_check_at(
    target: Target,
    address: Option<SocketAddr>,
    settings: &Arc<CheckSettings>,
) -> CheckFacts {
    let started = Instant::now();
    let deadline = started + settings.timeout;
    let mut facts = CheckFacts::new(target);
    if let Some(address) = address {
        facts.addresses = vec![address];
    }
    // The audit's connections run alongside the check, within the same
    // timeout, to the addresses the check resolved (one lookup for both).
    if settings.audit && facts.addresses.is_empty() {
        if let Err(error) = resolve_into(&mut facts, settings, deadline).await {
            facts.stopped = Some(Stop::from(error));
        }
    }
    if facts.stopped.is_none() {
        let (audit_target, addresses) = (facts.target.clone(), facts.addresses.clone());
        let audit = async {
            match settings.audit {
                true => audit::run_audit(&audit_target, settings, &addresses, deadline).await,
                false => None,
            }
        };
        let dane_target = facts.target.clone();
        let dane = dane_lookup(&dane_target, settings, deadline);
        let (result, audit, dane) =
            tokio::join!(check(&mut facts, settings, deadline), audit, dane);
        if let Err(error) = result {
            facts.stopped = Some(Stop::from(error));
        }
        facts.audit = audit;
        facts.dane = dane;
    }
    if let Some(tls) = &facts.tls {
        facts.certificates = cert::parse_chain(&tls.chain, facts.started_unix);
        if let Some(name) = tls
            .verification
            .as_ref()
            .and_then(|v| ServerName::try_from(v.name.as_str()).ok())
        {
            let now = facts.started();
            let primary = tls
                .verification
                .as_ref()
                .map(|v| (v.trust_store.base, v.trusted));
            facts.trust_by_store = settings.compare.judge(&tls.chain, &name, now, primary);
            facts.trust_by_platform = settings.platforms.judge(&tls.chain, &name, now);
            let unknown_issuer = tls
                .verification
                .as_ref()
                .is_some_and(|v| v.error == Some(VerifyError::UnknownIssuer));
            if settings.fetch_missing && unknown_issuer {
                let chain = tls.chain.clone();
                facts.fetched_issuer =
                    fetch_missing_issuer(&facts, &chain, settings, &name, now, deadline).await;
            }
        }
        if settings.revocation && !tls.chain.is_empty() {
            facts.revocation =
                Some(revocation::check(&tls.chain, settings, facts.started_unix, deadline).await);
        }
        let now = facts.started();
        if let (Some(dane), Host::Name(host)) = (&mut facts.dane, &facts.target.host) {
            dane::compare(dane, &tls.chain, host, now);
        }
        facts.client_certificate_requested = tls
            .client_cert_request
            .as_ref()
            .map(|names| names.iter().map(|dn| cert::dn_text(dn)).collect());
    }
    // The check's own time; the probe reports its time separately.
    facts.duration_ms = started.elapsed().as_millis() as u64;
    // With --probe, or when rustls could not finish a handshake for reasons
    // of its own (versions, suites, keys): the probe's hand-built hellos then
    // tell what the server does speak, so "rustls could not" is never taken for
    // "clients cannot".
    let options = settings.probe.clone().or_else(|| {
        rustls_gave_up(&facts).then(|| ProbeOptions {
            connection_timeout: settings.timeout,
            ..ProbeOptions::default()
        })
    });
    if let Some(options) = options {
        // The probe shares the check's deadline: the whole check ends within --timeout.
        let probe = probe_checked_target(&facts, settings, options, deadline);
        facts.probe = Box::pin(probe).await;
        adopt_legacy_chain(&mut facts, settings);
        if settings.probe.is_some() {
            let resumption = resumption_of_checked_target(&facts, settings, deadline);
            let resumption = Box::pin(resumption).await;
            if let Some(probe) = facts.probe.as_mut() {
                probe.resumption = resumption;
            }
        }
    }
    facts
}

/// The TLSA records of the target's name and port, with `--dane`.
async fn dane_lookup(
    target: &Target,
    settings: &CheckSettings,
    deadline: Instant,
) -> Option<DaneFacts> {
    let options = settings.dane.as_ref()?;
    let Host::Name(host) = &target.host else {
        return Some(DaneFacts::failed(
            dane::tlsa_name(&target.host.to_string(), target.port),
            "the target is an address; DANE needs the server's host name".to_owned(),
        ));
    };
    Some(options.tlsa(host, target.port, deadline).await)
}

/// The handshake failed in a way that may be rustls's limits rather than the
/// server's refusal of every client: a version or suite it lacks, a key it
/// refuses, a close right after the hello.
fn rustls_gave_up(facts: &CheckFacts) -> bool {
    let Some(CheckError::Handshake(failure)) =
        facts.stopped.as_ref().and_then(|s| s.error.as_ref())
    else {
        return false;
    };
    match failure {
        HandshakeFailure::AlertReceived { alert } => matches!(
            alert.as_str(),
            "protocol_version" | "handshake_failure" | "insufficient_security"
        ),
        HandshakeFailure::Protocol { .. } | HandshakeFailure::Closed => true,
        _ => false,
    }
}

/// A server that speaks only TLS 1.1 or older, or TLS 1.2 only with suites
/// rustls lacks, never gets as far as its certificate with rustls; the probe
/// reads it from its own handshake. This
/// verifies that chain like any other, so the report says what is wrong with it
/// too (the handshake failure and `tls.legacy_only` stay).
fn adopt_legacy_chain(facts: &mut CheckFacts, settings: &CheckSettings) {
    let now = facts.started();
    let Some(probe) = &facts.probe else { return };
    let Some(tls) = facts.tls.as_mut() else {
        return;
    };
    if !tls.chain.is_empty() || probe.legacy_chain.is_empty() {
        return;
    }
    let Ok(name) = server_name(&facts.target, settings) else {
        return;
    };
    let chain = probe.legacy_chain.clone();
    let outcome = settings.tls.trust().verify(&chain, &name, now);
    tls.verification = Some(Verification {
        trust_store: settings.tls.trust().description.clone(),
        name: super::tls::server_name_text(&name),
        trusted: outcome.is_ok(),
        error: outcome.err(),
    });
    let primary = tls
        .verification
        .as_ref()
        .map(|v| (v.trust_store.base, v.trusted));
    tls.chain = chain;
    facts.certificates = probe.legacy_certificates.clone();
    facts.trust_by_store = settings.compare.judge(&tls.chain, &name, now, primary);
    facts.trust_by_platform = settings.platforms.judge(&tls.chain, &name, now);
}

/// Fetches the issuer the chain lacks, if its AIA names one, and re-verifies.
async fn fetch_missing_issuer(
    facts: &CheckFacts,
    chain: &[CertificateDer<'static>],
    settings: &CheckSettings,
    name: &ServerName<'_>,
    now: UnixTime,
    deadline: Instant,
) -> Option<FetchedIssuer> {
    let missing = chain::analyse(&facts.certificates).top_issuer_missing?;
    let url = missing.ca_issuers_urls.first()?.clone();
    let fetched = match settings.http_client().await {
        Ok(client) => settings.fetched.fetch(&client, &url, deadline).await,
        Err(error) => Err(error),
    };
    Some(match fetched {
        Ok(der) => {
            let mut completed = chain.to_vec();
            completed.push(der.clone());
            let position = completed.len() - 1;
            let mut certificate = cert::parse_chain(&completed[position..], facts.started_unix);
            if let Some(c) = certificate.first_mut() {
                c.position = position;
            }
            FetchedIssuer {
                url,
                certificate: certificate.into_iter().next(),
                completes_chain: Some(settings.tls.trust().verify(&completed, name, now).is_ok()),
                trusted_by_platform: settings.platforms.judge(&completed, name, now),
                error: None,
            }
        }
        Err(e) => FetchedIssuer {
            url,
            certificate: None,
            completes_chain: None,
            trusted_by_platform: Vec::new(),
            error: Some(e),
        },
    })
}

async fn check(
    facts: &mut CheckFacts,
    settings: &CheckSettings,
    deadline: Instant,
) -> Result<(), CheckError> {
    if facts.addresses.is_empty() {
        resolve_into(facts, settings, deadline).await?;
    }
    let connecting = Instant::now();
    let (tcp, address) = connect(&facts.addresses, deadline).await?;
    let connected = Instant::now();
    facts.connect_ms = Some(millis(connected - connecting));
    facts.connected_to = Some(address);
    let name = server_name(&facts.target, settings)?;
    let mut dialogue = dialogue_for(&facts.target, settings, &tcp);
    let mut timing = Timing::default();

    let plain = match facts.target.mode {
        TlsMode::Implicit => tcp,
        TlsMode::Starttls => {
            if let Some(tls) = speaks_tls_instead(&tcp, settings, &name, address, deadline).await {
                facts.tls = Some(tls);
                return Err(CheckError::TlsOnPlaintextPort);
            }
            let deadlines = Deadlines {
                end: deadline,
                waiting_since: connected,
            };
            let result = starttls_dialogue(
                tcp,
                dialogue.as_mut(),
                &mut facts.transcript,
                deadlines,
                &mut timing,
            )
            .await;
            facts.dialogue = dialogue.facts().clone();
            facts.greeting_ms = timing.greeting_ms;
            let (tcp, leftover) = result?;
            if !leftover.is_empty() {
                facts.unexpected_plaintext = Some(String::from_utf8_lossy(&leftover).into_owned());
            }
            tcp
        }
    };

    let (tls_stream, tls_facts) = settings.tls.handshake(plain, name, deadline).await;
    facts.tls = Some(tls_facts);
    let tls_stream = tls_stream.map_err(|failure| match (failure, facts.target.mode) {
        // Reset before a single byte on a port that starts with TLS: the same
        // refusal as a reset that beats the connection's completion.
        (HandshakeFailure::Reset, TlsMode::Implicit) => CheckError::ResetAtOnce,
        (failure, _) => CheckError::Handshake(failure),
    })?;
    dialogue.on_tls_established();
    let mut reader = LineReader::new(tls_stream);
    let deadlines = Deadlines {
        end: deadline,
        waiting_since: Instant::now(),
    };
    let result = session::drive(
        &mut reader,
        dialogue.as_mut(),
        &mut facts.transcript,
        true,
        deadlines,
        &mut timing,
    )
    .await;
    facts.dialogue = dialogue.facts().clone();
    if facts.target.mode == TlsMode::Implicit {
        facts.greeting_ms = timing.greeting_ms;
    }
    result?;
    close_politely(reader.get_mut(), deadline).await;
    Ok(())
}

/// Looks the target's host up into `facts`, timing a real lookup.
async fn resolve_into(
    facts: &mut CheckFacts,
    settings: &CheckSettings,
    deadline: Instant,
) -> Result<(), CheckError> {
    let asked = Instant::now();
    facts.addresses = resolve(&facts.target, settings, deadline).await?;
    if matches!(facts.target.host, Host::Name(_)) {
        facts.dns_ms = Some(millis(asked.elapsed()));
    }
    Ok(())
}

fn millis(duration: Duration) -> u64 {
    u64::try_from(duration.as_millis()).unwrap_or(u64::MAX)
}

/// How long a STARTTLS port may stay silent before mailtls also tries TLS on
/// a second connection: a port that wants TLS first is then recognised in about
/// this time, while a slow greeting may still take the whole deadline.
const SILENCE_BEFORE_TLS_ATTEMPT: Duration = Duration::from_secs(1);

/// Waits for the greeting's first byte on `tcp` (without reading it). If the
/// port stays silent for [`SILENCE_BEFORE_TLS_ATTEMPT`], a TLS handshake is
/// tried on a second connection alongside; when it succeeds, the port speaks
/// TLS from the first byte and its TLS facts are returned. `None` means: go on
/// with the dialogue (a greeting came, the wait ran out, or TLS failed too).
async fn speaks_tls_instead(
    tcp: &TcpStream,
    settings: &CheckSettings,
    name: &ServerName<'static>,
    address: SocketAddr,
    deadline: Instant,
) -> Option<TlsFacts> {
    let mut byte = [0u8; 1];
    let greeted = timeout_at(deadline, tcp.peek(&mut byte));
    let tls_attempt = async {
        tokio::time::sleep_until((Instant::now() + SILENCE_BEFORE_TLS_ATTEMPT).min(deadline)).await;
        let second = timeout_at(deadline, TcpStream::connect(address))
            .await
            .ok()?
            .ok()?;
        let (stream, tls) = settings.tls.handshake(second, name.clone(), deadline).await;
        let mut stream = stream.ok()?;
        close_politely(&mut stream, deadline).await;
        Some(tls)
    };
    tokio::select! {
        biased;
        _ = greeted => None,
        Some(tls) = tls_attempt => Some(tls),
    }
}

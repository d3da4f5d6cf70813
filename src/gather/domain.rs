//! `mailtls domain`: the DNS and HTTPS questions a sending mail server asks
//! about a domain: its MX hosts (through the validating resolver, so DANE
//! knows whether the MX answer is secure) and their addresses, the MTA-STS
//! record and policy (RFC 8461: HTTPS, no redirects, bounded), the TLS-RPT
//! record (RFC 8460). Each MX host's check is the engine's job.

use std::net::IpAddr;

use hickory_resolver::proto::rr::{RData, RecordType};
use hickory_resolver::TokioResolver;
use tokio::time::{timeout_at, Instant};

use super::dane::{self, DaneOptions};
use super::dns;
use super::http::{HttpClient, Request};
use super::CheckSettings;
use crate::facts::dane::Dnssec;
use crate::facts::discovery::Answer;
use crate::facts::domain::{DomainFacts, MxFacts, MxHost, TxtFacts, MAX_MX, MAX_TXT, MAX_TXT_LEN};

/// The largest MTA-STS policy read (RFC 8461 policies are a few lines).
const MAX_POLICY: usize = 64 * 1024;

/// Why a question failed, in words; `None` for an absence of records.
fn answer_error(error: &hickory_resolver::ResolveError) -> Option<String> {
    match dns::failed(error) {
        Answer::Failed(_) => Some(dns::in_words(error)),
        _ => None,
    }
}

/// Why `dnssec` stays indeterminate when the validating resolver has not
/// finished by its share of the time: hickory validates every record set of
/// an answer in turn, the additional section's address records too, asking
/// for the zone's keys anew for each, so a large MX set takes many round
/// trips.
const VALIDATION_LATE: &str = "the validating resolver had not checked the MX answer's signatures within half the time given (it checks every record set of the answer in turn, the MX hosts' address records too, so a large MX set takes long); the MX hosts are those of the unvalidated answer";

/// The MX records of `domain`, each host's addresses, by `deadline`. The
/// question goes to the validating resolver and, at the same time, to the
/// plain one: when validation has not finished halfway to `deadline`, the
/// plain answer is used with `dnssec` indeterminate, so a large MX set is
/// neither lost nor the checks of its hosts left without time.
async fn mx(
    resolver: &TokioResolver,
    plain: &TokioResolver,
    domain: &str,
    deadline: Instant,
) -> MxFacts {
    let mut facts = MxFacts::asked();
    let question = match dns::absolute(domain) {
        Ok(question) => question,
        Err(why) => {
            facts.error = Some(why);
            return facts;
        }
    };
    let now = Instant::now();
    let validation_deadline = now + deadline.saturating_duration_since(now) / 2;
    let unvalidated = {
        let plain = plain.clone();
        let question = question.clone();
        tokio::spawn(
            async move { timeout_at(deadline, plain.lookup(question, RecordType::MX)).await },
        )
    };
    let validated = timeout_at(
        validation_deadline,
        resolver.lookup(question, RecordType::MX),
    )
    .await;
    let answer = match validated {
        Ok(answer) => {
            unvalidated.abort();
            answer
        }
        Err(_) => {
            facts.unvalidated = Some(VALIDATION_LATE.to_owned());
            match unvalidated.await {
                Ok(Ok(answer)) => answer,
                _ => {
                    facts.error = Some("no answer in time".to_owned());
                    return facts;
                }
            }
        }
    };
    let answer = match answer {
        Err(error) => {
            facts.error = answer_error(&error);
            if facts.error.is_none() {
                // No MX record: the domain itself may be the host.
                if facts.unvalidated.is_none() {
                    facts.dnssec = dane::absence_dnssec(&error).unwrap_or(Dnssec::Indeterminate);
                }
                implicit_mx(resolver, domain, deadline, &mut facts).await;
            }
            return facts;
        }
        Ok(answer) => answer,
    };
    let mut records: Vec<(u16, String)> = Vec::new();
    let mut proofs = Vec::new();
    for record in answer.records() {
        let RData::MX(mx) = record.data() else {
            continue;
        };
        proofs.push(record.proof());
        if mx.exchange().is_root() {
            facts.null_mx = true;
            continue;
        }
        let host = mx
            .exchange()
            .to_ascii()
            .trim_end_matches('.')
            .to_ascii_lowercase();
        if !records.iter().any(|(_, h)| *h == host) {
            records.push((mx.preference(), host));
        }
    }
    facts.dnssec = match facts.unvalidated {
        Some(_) => Dnssec::Indeterminate,
        None => dane::worst(proofs.into_iter()).unwrap_or(Dnssec::Indeterminate),
    };
    if records.is_empty() && !facts.null_mx {
        implicit_mx(resolver, domain, deadline, &mut facts).await;
        return facts;
    }
    records.sort();
    facts.dropped = records.len().saturating_sub(MAX_MX);
    records.truncate(MAX_MX);
    // Every host's addresses at once, each within the deadline.
    let mut set = tokio::task::JoinSet::new();
    for (i, (preference, host)) in records.into_iter().enumerate() {
        let resolver = resolver.clone();
        set.spawn(async move { (i, addresses(&resolver, preference, host, deadline).await) });
    }
    let mut hosts = Vec::new();
    while let Some(done) = set.join_next().await {
        if let Ok(found) = done {
            hosts.push(found);
        }
    }
    hosts.sort_by_key(|(i, _)| *i);
    facts.hosts = hosts.into_iter().map(|(_, host)| host).collect();
    facts
}

/// RFC 5321 section 5.1: without MX records the domain itself is the host,
/// at preference 0, if it has addresses.
async fn implicit_mx(
    resolver: &TokioResolver,
    domain: &str,
    deadline: Instant,
    facts: &mut MxFacts,
) {
    let itself = addresses(resolver, 0, domain.to_ascii_lowercase(), deadline).await;
    if !itself.addresses.is_empty() {
        facts.implicit = true;
        facts.hosts = vec![itself];
    }
}

/// The addresses of one MX host.
async fn addresses(
    resolver: &TokioResolver,
    preference: u16,
    host: String,
    deadline: Instant,
) -> MxHost {
    let mut mx = MxHost {
        preference,
        host,
        addresses: Vec::new(),
        error: None,
        dnssec: None,
    };
    if mx.host.parse::<IpAddr>().is_ok() {
        // An MX record naming an address literal: no host to resolve.
        mx.error = Some("the MX record names an address, not a host".to_owned());
        return mx;
    }
    match dns::absolute(&mx.host) {
        Err(why) => mx.error = Some(why),
        Ok(name) => match timeout_at(deadline, resolver.lookup_ip(name)).await {
            Err(_) => mx.error = Some("no answer in time".to_owned()),
            Ok(Err(error)) => mx.error = Some(dns::in_words(&error)),
            Ok(Ok(found)) => {
                mx.addresses = found.iter().collect::<Vec<IpAddr>>();
                let proofs = found
                    .as_lookup()
                    .records()
                    .iter()
                    .filter(|r| matches!(r.record_type(), RecordType::A | RecordType::AAAA))
                    .map(|r| r.proof());
                mx.dnssec = dane::worst(proofs);
            }
        },
    }
    mx
}

/// The TXT records at `name`, strings joined, bounded.
async fn txt(resolver: &TokioResolver, name: String, deadline: Instant) -> TxtFacts {
    let mut facts = TxtFacts::asked(name.clone());
    let question = match dns::absolute(&name) {
        Ok(question) => question,
        Err(why) => {
            facts.error = Some(why);
            return facts;
        }
    };
    match timeout_at(deadline, resolver.lookup(question, RecordType::TXT)).await {
        Err(_) => {
            facts.timed_out = true;
            facts.error = Some("no answer in time".to_owned());
        }
        Ok(Err(error)) => {
            facts.timed_out = dns::timed_out(&error);
            facts.error = answer_error(&error);
        }
        Ok(Ok(answer)) => {
            for record in answer.records() {
                let RData::TXT(text) = record.data() else {
                    continue;
                };
                if facts.records.len() == MAX_TXT {
                    break;
                }
                let bytes: Vec<u8> = text
                    .txt_data()
                    .iter()
                    .flat_map(|s| s.iter().copied())
                    .collect();
                let mut joined = String::from_utf8_lossy(&bytes).into_owned();
                if joined.len() > MAX_TXT_LEN {
                    let mut cut = MAX_TXT_LEN;
                    while !joined.is_char_boundary(cut) {
                        cut -= 1;
                    }
                    joined.truncate(cut);
                }
                facts.records.push(joined);
            }
        }
    }
    facts
}

/// Whether an MTA-STS record is published (its first field `v=STSv1`).
fn publishes_sts(record: &TxtFacts) -> bool {
    record
        .records
        .iter()
        .any(|r| r.trim_start().starts_with("v=STSv1"))
}

/// Asks everything about `domain` by `deadline`; MTA-STS's HTTPS fetch is
/// verified against the run's trust store (`--trust`, `--ca-file`).
pub async fn gather(
    domain: &str,
    options: &DaneOptions,
    settings: &CheckSettings,
    deadline: Instant,
) -> DomainFacts {
    let mut facts = DomainFacts {
        domain: domain.to_owned(),
        name_server: options.dns.name_server.map(|s| s.to_string()),
        trust_anchor: options.anchor_source.clone(),
        mx: MxFacts::asked(),
        mta_sts_record: TxtFacts::asked(format!("_mta-sts.{domain}")),
        mta_sts_policy: None,
        tls_rpt_record: TxtFacts::asked(format!("_smtp._tls.{domain}")),
    };
    let plain = match dns::resolver(&options.dns, None) {
        Ok(plain) => plain,
        Err(error) => {
            facts.mx.error = Some(format!("cannot set up the resolver: {error}"));
            return facts;
        }
    };
    let validating = match options.resolver(deadline).await {
        Ok(validating) => validating,
        Err(error) => {
            facts.mx.error = Some(error);
            return facts;
        }
    };
    let (mx, sts, rpt) = tokio::join!(
        mx(&validating, &plain, domain, deadline),
        txt(&plain, format!("_mta-sts.{domain}"), deadline),
        txt(&plain, format!("_smtp._tls.{domain}"), deadline),
    );
    facts.mx = mx;
    let bogus_host = facts
        .mx
        .hosts
        .iter()
        .any(|h| h.dnssec == Some(Dnssec::Bogus));
    if bogus_host || matches!(facts.mx.dnssec, Dnssec::Bogus | Dnssec::Insecure) {
        let unvalidatable = options.unvalidatable(&validating, deadline).await;
        if matches!(facts.mx.dnssec, Dnssec::Bogus | Dnssec::Insecure) {
            if let Some(why) = &unvalidatable {
                facts.mx.dnssec = Dnssec::Indeterminate;
                facts.mx.unvalidatable = Some(why.clone());
            }
        }
        for host in facts
            .mx
            .hosts
            .iter_mut()
            .filter(|h| h.dnssec == Some(Dnssec::Bogus))
        {
            match unvalidatable {
                // Nothing validates here: the proof says nothing of the zone.
                Some(_) => host.dnssec = Some(Dnssec::Indeterminate),
                // Senders that validate do not connect to a bogus address.
                None => {
                    host.addresses.clear();
                    host.error = Some("its address records did not validate (DNSSEC bogus), so senders that validate do not connect to it".to_owned());
                }
            }
        }
    }
    facts.mta_sts_record = sts;
    facts.tls_rpt_record = rpt;
    if publishes_sts(&facts.mta_sts_record) {
        let client = HttpClient::new(plain, settings.tls.trust(), settings.tls.provider());
        // RFC 8461 section 3.3: no redirects are followed.
        let request = Request::get(format!("https://mta-sts.{domain}/.well-known/mta-sts.txt"))
            .with_max_redirects(0)
            .with_max_body(MAX_POLICY);
        facts.mta_sts_policy = Some(client.fetch(&request, deadline).await);
    }
    facts
}

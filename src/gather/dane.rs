//! DANE for SMTP (RFC 7672): the TLSA records of `_PORT._tcp.HOST`, asked
//! through the validating resolver so each answer says secure, insecure or
//! bogus, and each record compared with the chain the server sent: DANE-EE(3)
//! against the leaf, DANE-TA(2) against the chain's CAs with the leaf
//! verified up to the matched one and its name checked. Usages 0 and 1 are
//! recorded as unusable, as SMTP clients treat them (RFC 7672 section 3.1.3).

use std::net::SocketAddr;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use hickory_resolver::proto::dnssec::{Proof, TrustAnchors};
use hickory_resolver::proto::op::ResponseCode;
use hickory_resolver::proto::rr::{RData, RecordType};
use hickory_resolver::proto::ProtoErrorKind;
use hickory_resolver::{ResolveError, TokioResolver};
use rustls::client::danger::ServerCertVerifier;
use rustls::client::WebPkiServerVerifier;
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::RootCertStore;
use tokio::time::{timeout_at, Instant};

use super::dns::{self, DnsOptions};
use crate::facts::dane::{
    hex, DaneFacts, Dnssec, TlsaMatch, TlsaRecord, MAX_TLSA_RECORDS, USAGE_DANE_EE, USAGE_DANE_TA,
    USAGE_PKIX_EE, USAGE_PKIX_TA,
};

/// Why a trust anchor file cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum AnchorError {
    #[error("cannot read the trust anchor file {path}: {error}")]
    Read { path: String, error: std::io::Error },
    #[error("the trust anchor file {path} holds no usable DNSKEY record: {detail}")]
    Parse { path: String, detail: String },
}

/// Where DANE asks, and which DNSSEC keys it trusts.
#[derive(Clone)]
pub struct DaneOptions {
    pub dns: DnsOptions,
    /// The DNSSEC trust anchors (`--trust-anchor`; the root's by default).
    pub anchors: Arc<TrustAnchors>,
    /// Where the anchors came from, for the report.
    pub anchor_source: String,
}

impl std::fmt::Debug for DaneOptions {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DaneOptions")
            .field("dns", &self.dns)
            .field("anchors", &self.anchors.len())
            .field("anchor_source", &self.anchor_source)
            .finish()
    }
}

impl DaneOptions {
    /// Options with the root zone's anchors (KSK-2017 and KSK-2024), or the
    /// DNSKEY records of `anchor_file`.
    pub fn new(
        name_server: Option<SocketAddr>,
        timeout: Duration,
        anchor_file: Option<&Path>,
    ) -> Result<DaneOptions, AnchorError> {
        let (anchors, anchor_source) = match anchor_file {
            None => (TrustAnchors::default(), "the root zone's keys".to_owned()),
            Some(path) => (read_anchors(path)?, path.display().to_string()),
        };
        Ok(DaneOptions {
            dns: DnsOptions {
                name_server,
                timeout,
            },
            anchors: Arc::new(anchors),
            anchor_source,
        })
    }

    /// The validating resolver these options describe.
    pub fn resolver(&self) -> Result<TokioResolver, ResolveError> {
        dns::resolver(&self.dns, Some(self.anchors.clone()))
    }
}

/// The DNSKEY records of a zone-file-like text (comments and other records
/// are skipped; a key-signing key is what one usually trusts).
fn read_anchors(path: &Path) -> Result<TrustAnchors, AnchorError> {
    let text = std::fs::read_to_string(path).map_err(|error| AnchorError::Read {
        path: path.display().to_string(),
        error,
    })?;
    // hickory's parser takes DNSKEY lines only: keep those.
    let keys: String = text
        .lines()
        .map(|line| line.split(';').next().unwrap_or_default())
        .filter(|line| {
            line.split_whitespace()
                .any(|word| word.eq_ignore_ascii_case("DNSKEY"))
        })
        .flat_map(|line| [line, "\n"])
        .collect();
    let parse_error = |detail: String| AnchorError::Parse {
        path: path.display().to_string(),
        detail,
    };
    let anchors: TrustAnchors = keys.parse().map_err(|e| parse_error(format!("{e}")))?;
    if anchors.is_empty() {
        let has_ds = text.lines().any(|line| {
            line.split(';')
                .next()
                .unwrap_or_default()
                .split_whitespace()
                .any(|word| word.eq_ignore_ascii_case("DS"))
        });
        return Err(parse_error(match has_ds {
            true => "it holds DS records, and mailtls takes the DNSKEY records they stand for (e.g. `dig +noall +answer DNSKEY ZONE`)".to_owned(),
            false => "no DNSKEY line found".to_owned(),
        }));
    }
    Ok(anchors)
}

/// The TLSA name of a TCP service: `_25._tcp.mx.example.org`.
pub fn tlsa_name(host: &str, port: u16) -> String {
    format!("_{port}._tcp.{}", host.trim_end_matches('.'))
}

fn dnssec_of(proof: Proof) -> Dnssec {
    match proof {
        Proof::Secure => Dnssec::Secure,
        Proof::Insecure => Dnssec::Insecure,
        Proof::Bogus => Dnssec::Bogus,
        Proof::Indeterminate => Dnssec::Indeterminate,
    }
}

/// The worst proof of a set of records (bogus below indeterminate below
/// insecure below secure, as far as DANE is concerned).
fn worst(proofs: impl Iterator<Item = Proof>) -> Option<Dnssec> {
    let rank = |d: Dnssec| match d {
        Dnssec::Bogus => 0,
        Dnssec::Indeterminate => 1,
        Dnssec::Insecure => 2,
        Dnssec::Secure => 3,
    };
    proofs.map(dnssec_of).min_by_key(|d| rank(*d))
}

/// A failed TLSA question as facts: a validated absence of records, or a
/// failure (bogus when validation is what failed).
fn from_error(name: String, error: &ResolveError) -> DaneFacts {
    let mut facts = DaneFacts {
        name,
        dnssec: Dnssec::Indeterminate,
        records: Vec::new(),
        records_dropped: 0,
        error: None,
        leaf_spki_sha256: None,
    };
    let kind = error.proto().map(|p| p.kind());
    match kind {
        Some(ProtoErrorKind::NoRecordsFound {
            response_code: ResponseCode::NoError | ResponseCode::NXDomain,
            soa,
            authorities,
            ..
        }) => {
            let proofs = soa
                .iter()
                .map(|s| s.proof())
                .chain(authorities.iter().flat_map(|a| a.iter().map(|r| r.proof())));
            facts.dnssec = worst(proofs).unwrap_or(Dnssec::Indeterminate);
        }
        Some(ProtoErrorKind::Nsec { proof, .. }) => {
            facts.dnssec = dnssec_of(*proof);
            if facts.dnssec != Dnssec::Insecure {
                facts.error = Some(format!(
                    "the proof that no TLSA record exists did not validate ({proof})"
                ));
            }
        }
        Some(ProtoErrorKind::NoRecordsFound { response_code, .. }) => {
            facts.error = Some(format!("the name server answered {response_code}"));
        }
        Some(ProtoErrorKind::Timeout) => facts.error = Some("no answer in time".to_owned()),
        // hickory says a negative answer failed validation only in words.
        Some(ProtoErrorKind::Message(text)) if text.contains("validate") => {
            facts.dnssec = Dnssec::Bogus;
            facts.error = Some(format!("the answer did not validate ({text})"));
        }
        Some(ProtoErrorKind::Msg(text)) if text.contains("validate") => {
            facts.dnssec = Dnssec::Bogus;
            facts.error = Some(format!("the answer did not validate ({text})"));
        }
        _ => facts.error = Some(error.to_string()),
    }
    facts
}

/// Asks for the TLSA records of `host`'s `port`, by `deadline`. The records
/// are not yet compared with a chain ([`compare`] does that).
pub async fn lookup(
    resolver: &TokioResolver,
    host: &str,
    port: u16,
    deadline: Instant,
) -> DaneFacts {
    let name = tlsa_name(host, port);
    let mut facts = DaneFacts {
        name: name.clone(),
        dnssec: Dnssec::Indeterminate,
        records: Vec::new(),
        records_dropped: 0,
        error: None,
        leaf_spki_sha256: None,
    };
    let question = match dns::absolute(&name) {
        Ok(question) => question,
        Err(detail) => {
            facts.error = Some(detail);
            return facts;
        }
    };
    let answer = match timeout_at(deadline, resolver.lookup(question, RecordType::TLSA)).await {
        Err(_) => {
            facts.error = Some("no answer in time".to_owned());
            return facts;
        }
        Ok(Err(error)) => return from_error(name, &error),
        Ok(Ok(answer)) => answer,
    };
    let tlsa: Vec<_> = answer
        .records()
        .iter()
        .filter(|r| r.record_type() == RecordType::TLSA)
        .collect();
    facts.dnssec = worst(tlsa.iter().map(|r| r.proof())).unwrap_or(Dnssec::Indeterminate);
    if facts.dnssec == Dnssec::Bogus {
        facts.error = Some("the TLSA records did not validate: their signatures do not verify, or do not chain to the trust anchor".to_owned());
    }
    for record in &tlsa {
        let RData::TLSA(data) = record.data() else {
            continue;
        };
        if facts.records.len() == MAX_TLSA_RECORDS {
            facts.records_dropped += 1;
            continue;
        }
        facts.records.push(TlsaRecord {
            usage: data.cert_usage().into(),
            selector: data.selector().into(),
            matching_type: data.matching().into(),
            data: hex(data.cert_data()),
            result: TlsaMatch::NotCompared,
        });
    }
    facts
}

/// Why a record can never be used by an SMTP client, if it cannot.
fn unusable(record: &TlsaRecord) -> Option<String> {
    let length = record.data.len() / 2;
    match record.usage {
        USAGE_PKIX_TA | USAGE_PKIX_EE => {
            return Some(format!(
                "usage {} (PKIX-{}) is not used for SMTP (RFC 7672 section 3.1.3)",
                record.usage,
                if record.usage == USAGE_PKIX_TA {
                    "TA"
                } else {
                    "EE"
                }
            ))
        }
        USAGE_DANE_TA | USAGE_DANE_EE => {}
        other => return Some(format!("usage {other} is not defined")),
    }
    if record.selector > 1 {
        return Some(format!("selector {} is not defined", record.selector));
    }
    match (record.matching_type, length) {
        (0, 0) => Some("matching type 0 with no data".to_owned()),
        (0, _) | (1, 32) | (2, 64) => None,
        (1 | 2, n) => Some(format!(
            "matching type {} needs {} bytes of data, the record has {n}",
            record.matching_type,
            if record.matching_type == 1 { 32 } else { 64 }
        )),
        (other, _) => Some(format!("matching type {other} is not defined")),
    }
}

/// The bytes a record's selector picks of a certificate.
fn selected(selector: u8, der: &[u8]) -> Option<Vec<u8>> {
    match selector {
        0 => Some(der.to_vec()),
        _ => x509_parser::parse_x509_certificate(der)
            .ok()
            .map(|(_, cert)| cert.tbs_certificate.subject_pki.raw.to_vec()),
    }
}

fn associated(matching_type: u8, bytes: &[u8]) -> Vec<u8> {
    use aws_lc_rs::digest::{digest, SHA256, SHA512};
    match matching_type {
        1 => digest(&SHA256, bytes).as_ref().to_vec(),
        2 => digest(&SHA512, bytes).as_ref().to_vec(),
        _ => bytes.to_vec(),
    }
}

fn matches(record: &TlsaRecord, der: &[u8]) -> bool {
    selected(record.selector, der)
        .is_some_and(|bytes| hex(&associated(record.matching_type, &bytes)) == record.data)
}

/// The leaf verified up to `anchor` through the certificates between them,
/// for `host`, as of `now`.
fn verify_to_anchor(
    chain: &[CertificateDer<'static>],
    position: usize,
    host: &str,
    now: UnixTime,
) -> Result<(), String> {
    let mut roots = RootCertStore::empty();
    roots
        .add(chain[position].clone())
        .map_err(|e| format!("the matched certificate cannot be a trust anchor: {e}"))?;
    let provider = super::tls::TlsClient::default_provider();
    let verifier = WebPkiServerVerifier::builder_with_provider(Arc::new(roots), provider)
        .build()
        .map_err(|e| e.to_string())?;
    let name = ServerName::try_from(host.trim_end_matches('.').to_owned())
        .map_err(|_| format!("{host} is not a server name"))?;
    verifier
        .verify_server_cert(&chain[0], &chain[1..position], &name, &[], now)
        .map(|_| ())
        .map_err(|e| super::tls::words::tls_error(&e))
}

/// Compares every record with the served chain (leaf first) for `host`.
pub fn compare(
    facts: &mut DaneFacts,
    chain: &[CertificateDer<'static>],
    host: &str,
    now: UnixTime,
) {
    facts.leaf_spki_sha256 = chain
        .first()
        .and_then(|leaf| selected(1, leaf))
        .map(|spki| hex(&associated(1, &spki)));
    for record in &mut facts.records {
        record.result = if let Some(why) = unusable(record) {
            TlsaMatch::Unusable { why }
        } else if chain.is_empty() {
            TlsaMatch::NotCompared
        } else if record.usage == USAGE_DANE_EE {
            match matches(record, &chain[0]) {
                true => TlsaMatch::Authenticates { position: 0 },
                false => TlsaMatch::NoMatch,
            }
        } else {
            // DANE-TA: a CA the server sends; the leaf itself is no TA.
            match (1..chain.len()).find(|&i| matches(record, &chain[i])) {
                None if matches(record, &chain[0]) => TlsaMatch::TaChainInvalid {
                    position: 0,
                    why: "the record matches the server's own certificate, not a CA's; publish it with usage 3 (DANE-EE)".to_owned(),
                },
                None => TlsaMatch::NoMatch,
                Some(position) => match verify_to_anchor(chain, position, host, now) {
                    Ok(()) => TlsaMatch::Authenticates { position },
                    Err(why) => TlsaMatch::TaChainInvalid { position, why },
                },
            }
        };
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record(usage: u8, selector: u8, matching_type: u8, data: &str) -> TlsaRecord {
        TlsaRecord {
            usage,
            selector,
            matching_type,
            data: data.to_owned(),
            result: TlsaMatch::NotCompared,
        }
    }

    #[test]
    fn records_smtp_cannot_use_are_told_apart() {
        let sha256 = "ab".repeat(32);
        assert_eq!(unusable(&record(3, 1, 1, &sha256)), None);
        assert_eq!(unusable(&record(2, 0, 2, &"cd".repeat(64))), None);
        assert!(unusable(&record(1, 1, 1, &sha256)).is_some_and(|w| w.contains("PKIX-EE")));
        assert!(unusable(&record(0, 1, 1, &sha256)).is_some_and(|w| w.contains("PKIX-TA")));
        assert!(unusable(&record(3, 2, 1, &sha256)).is_some());
        assert!(unusable(&record(3, 1, 3, &sha256)).is_some());
        assert!(unusable(&record(3, 1, 1, "abcd")).is_some_and(|w| w.contains("32 bytes")));
        assert!(unusable(&record(4, 1, 1, &sha256)).is_some());
    }

    #[test]
    fn tlsa_names_follow_rfc_6698() {
        assert_eq!(tlsa_name("mx.example.org.", 25), "_25._tcp.mx.example.org");
    }
}

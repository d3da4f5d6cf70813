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
    #[error("the trust anchor file {path} has a DS record for {owner}; mailtls takes DS anchors for the root zone only: give {owner}'s DNSKEY records instead")]
    NonRootDs { path: String, owner: String },
    #[error("the trust anchor file {path} has a DS record it cannot read: {line:?}")]
    BadDs { path: String, line: String },
}

/// A DS record of the root zone given as trust anchor (IANA publishes the
/// root's anchors as DS records, root-anchors.xml); the root key it stands
/// for is asked for when first needed.
#[derive(Debug, Clone, PartialEq, Eq)]
struct RootDs {
    key_tag: u16,
    algorithm: u8,
    digest_type: u8,
    digest: Vec<u8>,
}

/// The one validating resolver of a run, made on first use.
type Shared = Arc<tokio::sync::OnceCell<Result<TokioResolver, String>>>;

/// Whether anything can validate through the run's DNS server (see
/// [`DaneOptions::unvalidatable`]), asked once, the first time an answer is
/// bogus or insecure.
type PathCheck = Arc<tokio::sync::OnceCell<Option<String>>>;

/// Where DANE asks, and which DNSSEC keys it trusts.
#[derive(Clone)]
pub struct DaneOptions {
    pub dns: DnsOptions,
    /// The DNSSEC trust anchors (`--trust-anchor`; the root's by default).
    pub anchors: Arc<TrustAnchors>,
    /// Where the anchors came from, for the report.
    pub anchor_source: String,
    /// DS anchors of the root zone, to be turned into keys.
    root_ds: Vec<RootDs>,
    /// The zone the anchors are keys of (`.` unless `--trust-anchor` gives
    /// another zone's key set).
    anchor_zone: String,
    /// Shared by every check of the run, so its cache keeps the keys and
    /// proofs validated once (the root's, each TLD's) for the next MX host.
    shared: Shared,
    path: PathCheck,
}

impl std::fmt::Debug for DaneOptions {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DaneOptions")
            .field("dns", &self.dns)
            .field("anchors", &self.anchors.len())
            .field("anchor_source", &self.anchor_source)
            .field("root_ds", &self.root_ds.len())
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
        let (anchors, root_ds, anchor_zone, anchor_source) = match anchor_file {
            None => (
                TrustAnchors::default(),
                Vec::new(),
                ".".to_owned(),
                "the root zone's keys".to_owned(),
            ),
            Some(path) => {
                let (anchors, root_ds, zone) = read_anchors(path)?;
                (anchors, root_ds, zone, path.display().to_string())
            }
        };
        Ok(DaneOptions {
            dns: DnsOptions {
                name_server,
                timeout,
            },
            anchors: Arc::new(anchors),
            anchor_source,
            root_ds,
            anchor_zone,
            shared: Arc::default(),
            path: Arc::default(),
        })
    }

    /// The run's validating resolver, made on first use and shared by every
    /// check after it. With DS anchors, the root's keys are asked for first,
    /// by `deadline`.
    pub async fn resolver(&self, deadline: Instant) -> Result<TokioResolver, String> {
        self.shared
            .get_or_init(|| async {
                let anchors = match self.root_ds.is_empty() {
                    true => self.anchors.clone(),
                    false => self.keys_for_root_ds(deadline).await?,
                };
                dns::resolver(&self.dns, Some(anchors))
                    .map_err(|e| format!("cannot set up the resolver: {e}"))
            })
            .await
            .clone()
    }

    /// The TLSA records of `host`'s `port` through the run's validating
    /// resolver, by `deadline`; a bogus or insecure answer is told apart from
    /// a DNS server through which nothing validates
    /// ([`DaneOptions::unvalidatable`]).
    pub async fn tlsa(&self, host: &str, port: u16, deadline: Instant) -> DaneFacts {
        let resolver = match self.resolver(deadline).await {
            Ok(resolver) => resolver,
            Err(error) => return DaneFacts::failed(tlsa_name(host, port), error),
        };
        let mut facts = lookup(&resolver, host, port, deadline).await;
        if matches!(facts.dnssec, Dnssec::Bogus | Dnssec::Insecure) {
            if let Some(why) = self.unvalidatable(&resolver, deadline).await {
                facts.unvalidatable(why);
            }
        }
        facts
    }

    /// Why no answer can validate through the run's DNS server, if that is
    /// so: the trust anchor's own zone does not validate through it either.
    /// Through a server that strips DNSSEC records (some forwarders, home
    /// routers and middleboxes) hickory's validator calls signed answers
    /// bogus or even insecure (seen with dnsmasq's `--filter-rr=RRSIG`); this
    /// tells that apart from a zone whose signatures are wrong or absent.
    /// `None` when the anchor's zone validates, or when that cannot be told
    /// by `deadline`. Asked once per run, the first time an answer is bogus
    /// or insecure.
    pub async fn unvalidatable(
        &self,
        resolver: &TokioResolver,
        deadline: Instant,
    ) -> Option<String> {
        self.path
            .get_or_init(|| async {
                let zone = dns::absolute(&self.anchor_zone).ok()?;
                let server = match self.dns.name_server {
                    Some(server) => format!("the DNS server {server}"),
                    None => "the system's DNS server".to_owned(),
                };
                let answer = timeout_at(deadline, resolver.lookup(zone, RecordType::DNSKEY)).await;
                match answer {
                    Err(_) => None,
                    Ok(Err(error)) if dns::timed_out(&error) => None,
                    Ok(Err(error)) => {
                        let why = match dns::no_records_code(&error) {
                            Some(ResponseCode::NoError | ResponseCode::NXDomain) => {
                                "it has none".to_owned()
                            }
                            _ => dns::in_words(&error),
                        };
                        Some(format!(
                            "{server} gives no validatable DNSKEY records for the trust anchor's zone ({}): {why}",
                            self.anchor_zone
                        ))
                    }
                    Ok(Ok(keys)) => {
                        let secure = keys
                            .records()
                            .iter()
                            .filter(|r| r.record_type() == RecordType::DNSKEY)
                            .map(|r| r.proof())
                            .collect::<Vec<_>>();
                        match !secure.is_empty() && secure.iter().all(|p| *p == Proof::Secure) {
                            true => None,
                            false => Some(format!(
                                "the trust anchor's own zone ({}) does not validate through {server} either: it returns no DNSSEC signatures, or other keys than the anchor's{}",
                                self.anchor_zone,
                                match self.anchor_zone.as_str() {
                                    "." => "",
                                    _ => " (for a zone other than the root, give its whole DNSKEY set as the anchor, as `dig +noall +answer DNSKEY ZONE` prints it)",
                                }
                            )),
                        }
                    }
                }
            })
            .await
            .clone()
    }

    /// The anchors with the root's DNSKEY records that the DS anchors stand
    /// for. Only the key a DS pins is trusted; the validator checks the rest
    /// of the root's keys by their signatures.
    async fn keys_for_root_ds(&self, deadline: Instant) -> Result<Arc<TrustAnchors>, String> {
        use hickory_resolver::proto::dnssec::rdata::{DNSSECRData, DS};
        use hickory_resolver::proto::dnssec::{Algorithm, DigestType};
        use hickory_resolver::Name;

        let plain = dns::resolver(&self.dns, None)
            .map_err(|e| format!("cannot set up the resolver: {e}"))?;
        let keys = match timeout_at(deadline, plain.lookup(Name::root(), RecordType::DNSKEY)).await
        {
            Err(_) => return Err("the root's DNSKEY records did not come in time".to_owned()),
            Ok(Err(error)) => {
                return Err(format!("cannot ask for the root's DNSKEY records: {error}"))
            }
            Ok(Ok(keys)) => keys,
        };
        let mut anchors = (*self.anchors).clone();
        let mut pinned = 0;
        for record in keys.records() {
            let RData::DNSSEC(DNSSECRData::DNSKEY(key)) = record.data() else {
                continue;
            };
            let covered = self.root_ds.iter().any(|ds| {
                DS::new(
                    ds.key_tag,
                    Algorithm::from_u8(ds.algorithm),
                    DigestType::from(ds.digest_type),
                    ds.digest.clone(),
                )
                .covers(&Name::root(), key)
                .unwrap_or(false)
            });
            if covered {
                anchors.insert(key.public_key());
                pinned += 1;
            }
        }
        match pinned {
            0 => Err("no DNSKEY record of the root matches the DS trust anchor".to_owned()),
            _ => Ok(Arc::new(anchors)),
        }
    }
}

/// A DS line: `. [TTL] [IN] DS KEYTAG ALGORITHM DIGESTTYPE DIGEST`.
fn read_ds(line: &str, path: &Path) -> Result<RootDs, AnchorError> {
    let words: Vec<&str> = line.split_whitespace().collect();
    let bad = || AnchorError::BadDs {
        path: path.display().to_string(),
        line: line.chars().take(120).collect(),
    };
    let at = words
        .iter()
        .position(|w| w.eq_ignore_ascii_case("DS"))
        .ok_or_else(bad)?;
    let owner = words.first().copied().unwrap_or_default();
    if owner != "." {
        return Err(AnchorError::NonRootDs {
            path: path.display().to_string(),
            owner: owner.to_owned(),
        });
    }
    let field = |i: usize| words.get(at + i).ok_or_else(bad);
    let key_tag = field(1)?.parse().map_err(|_| bad())?;
    let algorithm = field(2)?.parse().map_err(|_| bad())?;
    let digest_type = field(3)?.parse().map_err(|_| bad())?;
    let hex: String = words.get(at + 4..).unwrap_or_default().concat();
    if hex.is_empty() || hex.len() % 2 != 0 || hex.len() > 256 {
        return Err(bad());
    }
    let digest = (0..hex.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(hex.get(i..i + 2).unwrap_or("zz"), 16))
        .collect::<Result<Vec<u8>, _>>()
        .map_err(|_| bad())?;
    Ok(RootDs {
        key_tag,
        algorithm,
        digest_type,
        digest,
    })
}

/// The DNSKEY records of a zone-file-like text, DS records of the root
/// (comments and other records are skipped), and the zone they are keys of
/// (the first DNSKEY line's owner; the root for DS records).
fn read_anchors(path: &Path) -> Result<(TrustAnchors, Vec<RootDs>, String), AnchorError> {
    let text = std::fs::read_to_string(path).map_err(|error| AnchorError::Read {
        path: path.display().to_string(),
        error,
    })?;
    let has = |line: &str, kind: &str| {
        line.split_whitespace()
            .any(|word| word.eq_ignore_ascii_case(kind))
    };
    let lines: Vec<&str> = text
        .lines()
        .map(|line| line.split(';').next().unwrap_or_default())
        .collect();
    // hickory's parser takes DNSKEY lines only: give it those.
    let keys: String = lines
        .iter()
        .filter(|line| has(line, "DNSKEY"))
        .flat_map(|line| [*line, "\n"])
        .collect();
    let root_ds = lines
        .iter()
        .filter(|line| has(line, "DS"))
        .map(|line| read_ds(line, path))
        .collect::<Result<Vec<RootDs>, AnchorError>>()?;
    let anchors: TrustAnchors = keys.parse().map_err(|e| AnchorError::Parse {
        path: path.display().to_string(),
        detail: format!("{e}"),
    })?;
    if anchors.is_empty() && root_ds.is_empty() {
        return Err(AnchorError::Parse {
            path: path.display().to_string(),
            detail: "no DNSKEY or DS line found".to_owned(),
        });
    }
    let zone = lines
        .iter()
        .find(|line| has(line, "DNSKEY"))
        .and_then(|line| line.split_whitespace().next())
        .filter(|_| root_ds.is_empty())
        .unwrap_or(".")
        .to_owned();
    Ok((anchors, root_ds, zone))
}

/// The TLSA name of a TCP service: `_25._tcp.mx.example.org`.
pub fn tlsa_name(host: &str, port: u16) -> String {
    format!("_{port}._tcp.{}", host.trim_end_matches('.'))
}

pub(crate) fn dnssec_of(proof: Proof) -> Dnssec {
    match proof {
        Proof::Secure => Dnssec::Secure,
        Proof::Insecure => Dnssec::Insecure,
        Proof::Bogus => Dnssec::Bogus,
        Proof::Indeterminate => Dnssec::Indeterminate,
    }
}

/// The worst proof of a set of records (bogus below indeterminate below
/// insecure below secure, as far as DANE is concerned).
pub(crate) fn worst(proofs: impl Iterator<Item = Proof>) -> Option<Dnssec> {
    let rank = |d: Dnssec| match d {
        Dnssec::Bogus => 0,
        Dnssec::Indeterminate => 1,
        Dnssec::Insecure => 2,
        Dnssec::Secure => 3,
    };
    proofs.map(dnssec_of).min_by_key(|d| rank(*d))
}

/// What DNSSEC said of an answer that there are no records (the proofs of
/// its SOA and authority records), if `error` is such an answer.
pub(crate) fn absence_dnssec(error: &ResolveError) -> Option<Dnssec> {
    match error.proto().map(|p| p.kind()) {
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
            Some(worst(proofs).unwrap_or(Dnssec::Indeterminate))
        }
        _ => None,
    }
}

/// A failed TLSA question as facts: a validated absence of records, or a
/// failure (bogus when validation is what failed).
fn from_error(name: String, error: &ResolveError) -> DaneFacts {
    let mut facts = DaneFacts::asked(name);
    if let Some(dnssec) = absence_dnssec(error) {
        facts.dnssec = dnssec;
        return facts;
    }
    let kind = error.proto().map(|p| p.kind());
    match kind {
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
        Some(ProtoErrorKind::Timeout) => {
            facts.timed_out = true;
            facts.error = Some("no answer in time".to_owned());
        }
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

/// Asks `resolver` for the TLSA records of `host`'s `port`, by `deadline`. The records
/// are not yet compared with a chain ([`compare`] does that).
async fn lookup(resolver: &TokioResolver, host: &str, port: u16, deadline: Instant) -> DaneFacts {
    let name = tlsa_name(host, port);
    let mut facts = DaneFacts::asked(name.clone());
    let question = match dns::absolute(&name) {
        Ok(question) => question,
        Err(detail) => {
            facts.error = Some(detail);
            return facts;
        }
    };
    let answer = match timeout_at(deadline, resolver.lookup(question, RecordType::TLSA)).await {
        Err(_) => {
            facts.timed_out = true;
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
    fn ds_anchors_are_read_for_the_root_only() {
        let path = Path::new("anchors");
        let root = read_ds(
            ". 172800 IN DS 20326 8 2 E06D44B80B8F1D39A95C0B0D7C65D084 58E880409BBC683457104237C7F8EC8D",
            path,
        )
        .expect("the root's KSK-2017");
        assert_eq!(
            (root.key_tag, root.algorithm, root.digest_type),
            (20326, 8, 2)
        );
        assert_eq!(root.digest.len(), 32);
        assert!(matches!(
            read_ds("example.org. IN DS 1 13 2 abcd", path),
            Err(AnchorError::NonRootDs { .. })
        ));
        assert!(matches!(
            read_ds(". IN DS 1 13 2 xyz", path),
            Err(AnchorError::BadDs { .. })
        ));
        assert!(matches!(
            read_ds(". IN DS 1 13", path),
            Err(AnchorError::BadDs { .. })
        ));
    }

    #[test]
    fn tlsa_names_follow_rfc_6698() {
        assert_eq!(tlsa_name("mx.example.org.", 25), "_25._tcp.mx.example.org");
    }
}

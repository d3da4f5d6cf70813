//! What each certificate the server sent says, parsed with x509-parser (pure: bytes in, facts out).
//!
//! Parsing never fails the check: a certificate that is not valid DER becomes a
//! [`CertFacts`] with `parse_error` set, and the report shows it as such.

use rustls::pki_types::CertificateDer;
use serde::{Deserialize, Serialize};
use x509_parser::der_parser::oid::Oid;
use x509_parser::extensions::{GeneralName, ParsedExtension};
use x509_parser::objects::{oid2sn, oid_registry};
use x509_parser::oid_registry::{
    OID_PKIX_ACCESS_DESCRIPTOR_CA_ISSUERS, OID_PKIX_ACCESS_DESCRIPTOR_OCSP,
};
use x509_parser::prelude::{FromDer, X509Certificate, X509Name};
use x509_parser::public_key::PublicKey;

/// One certificate as sent, in the order sent (position 0 is the leaf).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CertFacts {
    pub position: usize,
    pub subject: String,
    pub issuer: String,
    /// DNS names and IP addresses from subjectAltName.
    pub names: Vec<String>,
    pub serial: String,
    /// RFC 3339, UTC.
    pub not_before: String,
    pub not_after: String,
    /// Unix seconds, for computing with.
    #[serde(default)]
    pub not_before_unix: i64,
    #[serde(default)]
    pub not_after_unix: i64,
    /// Whole days from the check until `not_after` (negative once expired).
    pub days_left: i64,
    /// e.g. "ECDSA P-256", "RSA 2048".
    pub key: String,
    pub signature_algorithm: String,
    pub is_ca: bool,
    /// Subject and issuer are the same name (a root, or a self-signed leaf).
    pub self_issued: bool,
    /// Uppercase hex with colons, as browsers show it.
    pub sha256: String,
    /// Key size in bits (RSA modulus, EC field size); 0 when unknown.
    pub key_bits: u32,
    /// "SHA-1" or "MD5" when the certificate's own signature uses a broken hash.
    pub weak_signature_hash: Option<String>,
    /// Whole days from notBefore to notAfter.
    pub validity_days: i64,
    /// Authority Information Access: where the issuer's certificate can be fetched.
    pub ca_issuers_urls: Vec<String>,
    /// Authority Information Access: the OCSP responders.
    pub ocsp_urls: Vec<String>,
    /// The TLS Feature extension asks for status_request (OCSP must-staple, RFC 7633).
    pub must_staple: bool,
    /// Subject and authority key identifiers (hex), for matching issuers precisely.
    pub subject_key_id: Option<String>,
    pub authority_key_id: Option<String>,
    /// Certificate Transparency timestamps embedded in the certificate (RFC 6962 3.3).
    #[serde(default)]
    pub scts: Vec<Sct>,
    pub parse_error: Option<String>,
}

/// One signed certificate timestamp: which log promised to publish the certificate, and when.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Sct {
    /// The log's ID (SHA-256 of its key) in base64, as CT log lists write it.
    pub log_id: String,
    /// RFC 3339, UTC.
    pub timestamp: String,
    pub timestamp_unix: i64,
}

/// The most SCTs kept from one list.
pub const MAX_SCTS: usize = 16;

/// Reads an RFC 6962 SignedCertificateTimestampList wrapped in a DER OCTET
/// STRING (as a certificate or OCSP extension carries it); empty when unreadable.
pub fn sct_list(der: &[u8]) -> Vec<Sct> {
    let Ok((_, list)) = x509_parser::extensions::parse_ct_signed_certificate_timestamp_list(der)
    else {
        return Vec::new();
    };
    list.iter().take(MAX_SCTS).map(to_sct).collect()
}

/// Reads a SignedCertificateTimestampList as TLS carries it (the
/// signed_certificate_timestamp extension: no DER wrapping); empty when unreadable.
pub fn sct_list_tls(list: &[u8]) -> Vec<Sct> {
    let Ok(len) = u16::try_from(list.len()) else {
        return Vec::new();
    };
    let mut der = match len {
        0..=127 => vec![0x04, len as u8],
        128..=255 => vec![0x04, 0x81, len as u8],
        _ => vec![0x04, 0x82, (len >> 8) as u8, len as u8],
    };
    der.extend_from_slice(list);
    sct_list(&der)
}

fn to_sct(sct: &x509_parser::extensions::SignedCertificateTimestamp<'_>) -> Sct {
    use base64::Engine;
    let unix = i64::try_from(sct.timestamp / 1000).unwrap_or(i64::MAX);
    Sct {
        log_id: base64::engine::general_purpose::STANDARD.encode(sct.id.key_id),
        timestamp: rfc3339(unix),
        timestamp_unix: unix,
    }
}

/// Where a certificate stands in its validity period at a moment.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Validity {
    NotYetValid,
    Expired { days_ago: i64 },
    Valid { days_left: i64 },
}

impl CertFacts {
    /// Its validity at `now` (Unix seconds); the day counts are those of the
    /// check (`days_left`), which ran at `now`.
    pub fn validity(&self, now: i64) -> Validity {
        if self.not_before_unix > now {
            Validity::NotYetValid
        } else if self.days_left < 0 {
            Validity::Expired {
                days_ago: -self.days_left,
            }
        } else {
            Validity::Valid {
                days_left: self.days_left,
            }
        }
    }
}

/// Parses every certificate of a chain; `now` is Unix seconds.
pub fn parse_chain(chain: &[CertificateDer<'_>], now: i64) -> Vec<CertFacts> {
    chain
        .iter()
        .enumerate()
        .map(|(position, der)| parse_one(position, der, now))
        .collect()
}

fn parse_one(position: usize, der: &CertificateDer<'_>, now: i64) -> CertFacts {
    let sha256 = fingerprint(der);
    let cert = match X509Certificate::from_der(der) {
        Ok((_, cert)) => cert,
        Err(e) => {
            return CertFacts {
                position,
                sha256,
                parse_error: Some(format!("not a valid X.509 certificate: {e}")),
                ..CertFacts::default()
            }
        }
    };
    let validity = cert.validity();
    let not_before_unix = validity.not_before.timestamp();
    let not_after_unix = validity.not_after.timestamp();
    CertFacts {
        position,
        subject: name_text(cert.subject()),
        issuer: name_text(cert.issuer()),
        names: subject_alt_names(&cert),
        serial: cert.raw_serial_as_string().to_ascii_uppercase(),
        not_before: rfc3339(not_before_unix),
        not_after: rfc3339(not_after_unix),
        not_before_unix,
        not_after_unix,
        days_left: (not_after_unix - now).div_euclid(86_400),
        key: key_text(&cert),
        signature_algorithm: signature_name(&cert.signature_algorithm.algorithm),
        is_ca: cert.is_ca(),
        self_issued: cert.subject().as_raw() == cert.issuer().as_raw(),
        sha256,
        key_bits: cert
            .public_key()
            .parsed()
            .map_or(0, |k| u32::try_from(k.key_size()).unwrap_or(0)),
        weak_signature_hash: weak_signature_hash(
            &cert.signature_algorithm.algorithm.to_id_string(),
        ),
        validity_days: (not_after_unix - not_before_unix).div_euclid(86_400),
        ca_issuers_urls: aia_urls(&cert, &OID_PKIX_ACCESS_DESCRIPTOR_CA_ISSUERS),
        ocsp_urls: aia_urls(&cert, &OID_PKIX_ACCESS_DESCRIPTOR_OCSP),
        must_staple: must_staple(&cert),
        subject_key_id: cert
            .extensions()
            .iter()
            .find_map(|e| match e.parsed_extension() {
                ParsedExtension::SubjectKeyIdentifier(id) => Some(hex(id.0)),
                _ => None,
            }),
        authority_key_id: cert
            .extensions()
            .iter()
            .find_map(|e| match e.parsed_extension() {
                ParsedExtension::AuthorityKeyIdentifier(aki) => {
                    aki.key_identifier.as_ref().map(|id| hex(id.0))
                }
                _ => None,
            }),
        scts: cert
            .extensions()
            .iter()
            .find_map(|e| match e.parsed_extension() {
                ParsedExtension::SCT(list) => {
                    Some(list.iter().take(MAX_SCTS).map(to_sct).collect())
                }
                _ => None,
            })
            .unwrap_or_default(),
        parse_error: None,
    }
}

/// A signature algorithm's usual name; the registry lacks some legacy ones.
fn signature_name(oid: &Oid<'_>) -> String {
    match oid.to_id_string().as_str() {
        "1.2.840.10045.4.1" => "ecdsa-with-SHA1".to_owned(),
        "1.2.840.10040.4.3" => "dsa-with-SHA1".to_owned(),
        other => oid2sn(oid, oid_registry()).map_or_else(|_| other.to_owned(), str::to_owned),
    }
}

/// The broken hash of a signature algorithm, by OID.
fn weak_signature_hash(oid: &str) -> Option<String> {
    let hash = match oid {
        // sha1WithRSAEncryption, ecdsa-with-SHA1, dsa-with-sha1, sha1WithRSA (OIW)
        "1.2.840.113549.1.1.5" | "1.2.840.10045.4.1" | "1.2.840.10040.4.3" | "1.3.14.3.2.29" => {
            "SHA-1"
        }
        // md5WithRSAEncryption, md2WithRSAEncryption
        "1.2.840.113549.1.1.4" => "MD5",
        "1.2.840.113549.1.1.2" => "MD2",
        _ => return None,
    };
    Some(hash.to_owned())
}

fn aia_urls(cert: &X509Certificate<'_>, method: &Oid<'_>) -> Vec<String> {
    cert.extensions()
        .iter()
        .filter_map(|e| match e.parsed_extension() {
            ParsedExtension::AuthorityInfoAccess(aia) => Some(aia),
            _ => None,
        })
        .flat_map(|aia| aia.accessdescs.iter())
        .filter(|d| &d.access_method == method)
        .filter_map(|d| match &d.access_location {
            GeneralName::URI(uri) => Some((*uri).to_owned()),
            _ => None,
        })
        .collect()
}

/// RFC 7633 TLS Feature extension (1.3.6.1.5.5.7.1.24) listing status_request (5).
fn must_staple(cert: &X509Certificate<'_>) -> bool {
    cert.extensions().iter().any(|e| {
        e.oid.to_id_string() == "1.3.6.1.5.5.7.1.24"
            // SEQUENCE OF INTEGER; status_request is the one-byte INTEGER 5.
            && e.value.windows(3).any(|w| w == [0x02, 0x01, 0x05])
    })
}

/// `bytes` as uppercase hex, as certificate tools print serials.
pub(crate) fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02X}")).collect()
}

/// The names a certificate covers, for a sentence: at most `most`, then how
/// many more (a certificate may carry thousands, which would make a line no
/// monitoring system keeps whole).
pub fn listed_names(names: &[String], most: usize) -> String {
    match names.len().checked_sub(most) {
        Some(more) if more > 0 => {
            format!("{} and {more} more", names[..most].join(", "))
        }
        _ => names.join(", "),
    }
}

/// The common name if there is one (what people recognise), else the full RFC 4514 text.
pub fn short_name(full: &str) -> &str {
    full.split(", ")
        .find_map(|part| part.strip_prefix("CN="))
        .unwrap_or(full)
}

/// A DER-encoded distinguished name (as in a CertificateRequest) as text.
pub fn dn_text(der: &[u8]) -> String {
    match X509Name::from_der(der) {
        Ok((_, name)) => name_text(&name),
        Err(_) => "(unparsable name)".to_owned(),
    }
}

fn name_text(name: &X509Name<'_>) -> String {
    name.to_string()
}

fn subject_alt_names(cert: &X509Certificate<'_>) -> Vec<String> {
    let Ok(Some(san)) = cert.subject_alternative_name() else {
        return Vec::new();
    };
    san.value
        .general_names
        .iter()
        .filter_map(|name| match name {
            GeneralName::DNSName(dns) => Some((*dns).to_owned()),
            GeneralName::IPAddress(bytes) => ip_text(bytes),
            _ => None,
        })
        .collect()
}

fn ip_text(bytes: &[u8]) -> Option<String> {
    match bytes.len() {
        4 => <[u8; 4]>::try_from(bytes)
            .ok()
            .map(|b| std::net::Ipv4Addr::from(b).to_string()),
        16 => <[u8; 16]>::try_from(bytes)
            .ok()
            .map(|b| std::net::Ipv6Addr::from(b).to_string()),
        _ => None,
    }
}

fn key_text(cert: &X509Certificate<'_>) -> String {
    let spki = cert.public_key();
    match spki.parsed() {
        Ok(PublicKey::RSA(rsa)) => format!("RSA {}", rsa.key_size()),
        Ok(PublicKey::EC(_)) => {
            let curve = spki
                .algorithm
                .parameters
                .as_ref()
                .and_then(|p| p.as_oid().ok())
                .map(|oid| match oid.to_id_string().as_str() {
                    "1.2.840.10045.3.1.7" => "P-256".to_owned(),
                    "1.3.132.0.34" => "P-384".to_owned(),
                    "1.3.132.0.35" => "P-521".to_owned(),
                    other => other.to_owned(),
                })
                .unwrap_or_else(|| "unknown curve".to_owned());
            format!("ECDSA {curve}")
        }
        Ok(PublicKey::DSA(_)) => format!("DSA {}", spki.parsed().map_or(0, |k| k.key_size())),
        _ => match spki.algorithm.algorithm.to_id_string().as_str() {
            "1.3.101.112" => "Ed25519".to_owned(),
            "1.3.101.113" => "Ed448".to_owned(),
            other => oid2sn(&spki.algorithm.algorithm, oid_registry())
                .map_or_else(|_| other.to_owned(), str::to_owned),
        },
    }
}

fn fingerprint(der: &[u8]) -> String {
    let digest = aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA256, der);
    digest
        .as_ref()
        .iter()
        .map(|b| format!("{b:02X}"))
        .collect::<Vec<_>>()
        .join(":")
}

/// Unix seconds as RFC 3339 UTC; out-of-range values (a hostile certificate) as a number.
pub fn rfc3339(unix: i64) -> String {
    time::OffsetDateTime::from_unix_timestamp(unix)
        .ok()
        .and_then(|t| {
            t.format(&time::format_description::well_known::Rfc3339)
                .ok()
        })
        .unwrap_or_else(|| format!("@{unix}"))
}

/// The date part of an RFC 3339 time, for sentences.
pub fn date_only(rfc3339: &str) -> &str {
    rfc3339.get(..10).unwrap_or(rfc3339)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn long_name_lists_are_cut_with_a_count() {
        let names: Vec<String> = (0..2000).map(|i| format!("h{i}.example")).collect();
        assert_eq!(listed_names(&names[..2], 10), "h0.example, h1.example");
        assert_eq!(listed_names(&names[..10], 10).matches(", ").count(), 9);
        let cut = listed_names(&names, 3);
        assert_eq!(cut, "h0.example, h1.example, h2.example and 1997 more");
    }

    #[test]
    fn garbage_is_reported_not_fatal() {
        let facts = parse_chain(&[CertificateDer::from(vec![0x30, 0x03, 0x01, 0x02])], 0);
        assert_eq!(facts.len(), 1);
        assert!(facts[0].parse_error.is_some());
        assert_eq!(facts[0].sha256.len(), 32 * 3 - 1);
    }

    #[test]
    fn short_name_prefers_the_common_name() {
        assert_eq!(short_name("C=US, O=Let's Encrypt, CN=R3"), "R3");
        assert_eq!(short_name("O=Only Org"), "O=Only Org");
    }

    #[test]
    fn times_format_and_survive_nonsense() {
        assert_eq!(rfc3339(0), "1970-01-01T00:00:00Z");
        assert_eq!(rfc3339(i64::MAX), format!("@{}", i64::MAX));
        assert_eq!(date_only("2026-11-23T10:00:00Z"), "2026-11-23");
    }
}

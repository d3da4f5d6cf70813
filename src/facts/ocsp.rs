//! What a stapled OCSP response (RFC 6960) says about the server's certificate,
//! read without I/O so that the rules judge its status and freshness from facts.
//!
//! The response is read with the DER parsers x509-parser re-exports (asn1-rs),
//! bounded by the staple's own size; anything malformed becomes `parse_error`,
//! never a panic. The responder's signature is checked (aws-lc-rs) against the
//! issuer's key, or against a delegated responder certificate in the staple
//! that the issuer signed for OCSP signing (RFC 6960 4.2.2.2).

use rustls_pki_types::CertificateDer;
use serde::{Deserialize, Serialize};
use x509_parser::asn1_rs::{Any, Class, FromDer, Tag};
use x509_parser::prelude::{ASN1Time, X509Certificate, X509Name};

use crate::facts::cert::{rfc3339, Sct};

/// The largest staple read; real ones are 1–3 KB, 16 KB with a long responder chain.
pub const MAX_STAPLE: usize = 64 * 1024;

/// The certificate status a staple gives.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OcspStatus {
    Good,
    Revoked,
    /// The responder does not know the certificate.
    Unknown,
}

/// What one stapled OCSP response says.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OcspFacts {
    /// Size of the staple in bytes.
    pub bytes: usize,
    /// The OCSPResponseStatus: "successful", "try_later", "unauthorized", …
    pub response_status: String,
    /// The status of the response that names the server's certificate (or of
    /// the first response when none does); `null` when there is none.
    pub status: Option<OcspStatus>,
    /// When the response says the certificate was revoked, and why.
    pub revoked_at: Option<String>,
    pub revocation_reason: Option<String>,
    /// The responder: its name, or "key ID" and the hex SHA-1 of its key.
    pub responder: Option<String>,
    pub produced_at: Option<String>,
    pub this_update: Option<String>,
    pub this_update_unix: Option<i64>,
    /// When the response stops being valid; `null` when it gives no time.
    pub next_update: Option<String>,
    pub next_update_unix: Option<i64>,
    /// Whether a response names the server's certificate (its serial number
    /// and, when the issuer was sent, the issuer's key hash); `null` when the
    /// leaf could not be read.
    pub names_leaf: Option<bool>,
    /// Certificate Transparency timestamps carried in the response (RFC 6962 3.3).
    #[serde(default)]
    pub scts: Vec<Sct>,
    /// Whether the responder's signature verifies with the issuer's key (or a
    /// delegated responder's the issuer certified); `null` when it could not
    /// be told (the issuer was not sent, or an algorithm mailtls lacks).
    #[serde(default)]
    pub signature_valid: Option<bool>,
    pub parse_error: Option<String>,
}

/// Why a staple could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum OcspError {
    #[error("the stapled OCSP response is larger than {MAX_STAPLE} bytes")]
    TooLarge,
    #[error("the stapled OCSP response is not valid DER ({what})")]
    Malformed { what: &'static str },
}

pub(crate) fn malformed(what: &'static str) -> OcspError {
    OcspError::Malformed { what }
}

/// Reads a staple; `chain` is the chain it came with (leaf first).
pub fn parse(staple: &[u8], chain: &[CertificateDer<'_>]) -> OcspFacts {
    let mut facts = OcspFacts {
        bytes: staple.len(),
        ..OcspFacts::default()
    };
    if let Err(e) = read(staple, chain, &mut facts) {
        facts.parse_error = Some(e.to_string());
    }
    facts
}

/// A run of DER elements.
pub(crate) struct Elements<'a> {
    rest: &'a [u8],
    what: &'static str,
}

impl<'a> Elements<'a> {
    pub(crate) fn new(bytes: &'a [u8], what: &'static str) -> Self {
        Elements { rest: bytes, what }
    }

    /// The next element and its whole encoding (header included).
    pub(crate) fn next(&mut self) -> Result<(Any<'a>, &'a [u8]), OcspError> {
        let input = self.rest;
        let (rest, any) = Any::from_der(input).map_err(|_| malformed(self.what))?;
        let whole = &input[..input.len() - rest.len()];
        self.rest = rest;
        Ok((any, whole))
    }

    /// The next element, which must be universal `tag`.
    pub(crate) fn expect(&mut self, tag: Tag) -> Result<Any<'a>, OcspError> {
        let (any, _) = self.next()?;
        if any.header.class() != Class::Universal || any.header.tag() != tag {
            return Err(malformed(self.what));
        }
        Ok(any)
    }

    /// The next element if it is context-specific `[number]`.
    pub(crate) fn context(&mut self, number: u32) -> Result<Option<Any<'a>>, OcspError> {
        let Ok((rest, any)) = Any::from_der(self.rest) else {
            return Ok(None);
        };
        if any.header.class() == Class::ContextSpecific && any.header.tag() == Tag(number) {
            self.rest = rest;
            return Ok(Some(any));
        }
        Ok(None)
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.rest.is_empty()
    }
}

pub(crate) fn time(tlv: &[u8]) -> Result<i64, OcspError> {
    ASN1Time::from_der(tlv)
        .map(|(_, t)| t.timestamp())
        .map_err(|_| malformed("a time"))
}

const RESPONSE_STATUS: [&str; 7] = [
    "successful",
    "malformed_request",
    "internal_error",
    "try_later",
    "(unused)",
    "sig_required",
    "unauthorized",
];

/// A CRLReason code's name (RFC 5280 section 5.3.1), or "reason N".
pub(crate) fn reason_name(code: u8) -> String {
    CRL_REASONS
        .get(usize::from(code))
        .map_or_else(|| format!("reason {code}"), |s| (*s).to_owned())
}

pub(crate) const CRL_REASONS: [&str; 11] = [
    "unspecified",
    "key_compromise",
    "ca_compromise",
    "affiliation_changed",
    "superseded",
    "cessation_of_operation",
    "certificate_hold",
    "(unused)",
    "remove_from_crl",
    "privilege_withdrawn",
    "aa_compromise",
];

const OID_BASIC: &[u8] = &[0x2B, 0x06, 0x01, 0x05, 0x05, 0x07, 0x30, 0x01, 0x01];
const OID_SHA1: &[u8] = &[0x2B, 0x0E, 0x03, 0x02, 0x1A];
const OID_SHA256: &[u8] = &[0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x01];
/// 1.3.6.1.4.1.11129.2.4.5: the SCT list extension of an OCSP SingleResponse.
const OID_OCSP_SCTS: &[u8] = &[0x2B, 0x06, 0x01, 0x04, 0x01, 0xD6, 0x79, 0x02, 0x04, 0x05];

fn read(
    staple: &[u8],
    chain: &[CertificateDer<'_>],
    facts: &mut OcspFacts,
) -> Result<(), OcspError> {
    if staple.len() > MAX_STAPLE {
        return Err(OcspError::TooLarge);
    }
    // OCSPResponse ::= SEQUENCE { responseStatus ENUMERATED, responseBytes [0] EXPLICIT ResponseBytes OPTIONAL }
    let outer = Elements::new(staple, "OCSPResponse").expect(Tag::Sequence)?;
    let mut response = Elements::new(outer.data, "OCSPResponse");
    let status = response.expect(Tag::Enumerated)?;
    let code = match status.data {
        [code] => usize::from(*code),
        _ => return Err(malformed("responseStatus")),
    };
    facts.response_status = RESPONSE_STATUS
        .get(code)
        .map_or_else(|| format!("status {code}"), |s| (*s).to_owned());
    let Some(bytes) = response.context(0)? else {
        return Ok(());
    };
    // ResponseBytes ::= SEQUENCE { responseType OID, response OCTET STRING }
    let bytes = Elements::new(bytes.data, "responseBytes").expect(Tag::Sequence)?;
    let mut bytes = Elements::new(bytes.data, "responseBytes");
    if bytes.expect(Tag::Oid)?.data != OID_BASIC {
        return Err(malformed("responseType (not a basic OCSP response)"));
    }
    let basic = bytes.expect(Tag::OctetString)?;
    // BasicOCSPResponse ::= SEQUENCE { tbsResponseData ResponseData, signatureAlgorithm, signature, certs [0] OPTIONAL }
    let basic = Elements::new(basic.data, "BasicOCSPResponse").expect(Tag::Sequence)?;
    let mut signed = Elements::new(basic.data, "BasicOCSPResponse");
    let (data, tbs) = signed.next()?;
    if data.header.tag() != Tag::Sequence {
        return Err(malformed("tbsResponseData"));
    }
    let algorithm = signed.expect(Tag::Sequence)?;
    let algorithm = Elements::new(algorithm.data, "signatureAlgorithm")
        .expect(Tag::Oid)?
        .data;
    let signature = signed.expect(Tag::BitString)?;
    let signature = signature.data.get(1..).unwrap_or_default();
    let mut responder_certs = Vec::new();
    if let Some(certs) = signed.context(0)? {
        let list = Elements::new(certs.data, "certs").expect(Tag::Sequence)?;
        let mut list = Elements::new(list.data, "certs");
        for _ in 0..4 {
            if list.is_empty() {
                break;
            }
            let (_, der) = list.next()?;
            responder_certs.push(der);
        }
    }
    // ResponseData ::= SEQUENCE { version [0] EXPLICIT DEFAULT v1, responderID, producedAt, responses, responseExtensions [1] OPTIONAL }
    let mut data = Elements::new(data.data, "ResponseData");
    data.context(0)?;
    let responder = if let Some(by_name) = data.context(1)? {
        facts.responder = Some(match X509Name::from_der(by_name.data) {
            Ok((_, name)) => name.to_string(),
            Err(_) => return Err(malformed("responderID")),
        });
        Responder::Name(by_name.data)
    } else if let Some(by_key) = data.context(2)? {
        let hash = Elements::new(by_key.data, "responderID").expect(Tag::OctetString)?;
        facts.responder = Some(format!("key ID {}", hex(hash.data)));
        Responder::KeyHash(hash.data)
    } else {
        return Err(malformed("responderID"));
    };
    facts.signature_valid = verify_response(
        chain,
        &responder,
        &responder_certs,
        (tbs, algorithm, signature),
    );
    let (_, produced) = data.next()?;
    facts.produced_at = Some(rfc3339(time(produced)?));
    let responses = data.expect(Tag::Sequence)?;
    let leaf = Leaf::of(chain);
    let mut responses = Elements::new(responses.data, "responses");
    let mut chosen: Option<Single> = None;
    // A staple for one certificate holds one response; a few more are tolerated.
    for _ in 0..16 {
        if responses.is_empty() {
            break;
        }
        let (single, _) = responses.next()?;
        let single = read_single(single.data, leaf.as_ref())?;
        let better = match &chosen {
            None => true,
            Some(c) => single.names_leaf == Some(true) && c.names_leaf != Some(true),
        };
        if better {
            chosen = Some(single);
        }
    }
    if let Some(single) = chosen {
        facts.status = Some(single.status);
        facts.revoked_at = single.revoked_at.map(rfc3339);
        facts.revocation_reason = single.reason;
        facts.this_update = Some(rfc3339(single.this_update));
        facts.this_update_unix = Some(single.this_update);
        facts.next_update = single.next_update.map(rfc3339);
        facts.next_update_unix = single.next_update;
        facts.names_leaf = single.names_leaf;
        facts.scts = single.scts;
    }
    Ok(())
}

/// How the response names its signer.
enum Responder<'a> {
    /// The DER of the signer's subject name.
    Name(&'a [u8]),
    /// SHA-1 of the signer's public key bits.
    KeyHash(&'a [u8]),
}

fn names_signer(responder: &Responder<'_>, cert: &X509Certificate<'_>) -> bool {
    match responder {
        Responder::Name(name) => cert.subject().as_raw() == *name,
        Responder::KeyHash(hash) => {
            let key = &cert.public_key().subject_public_key.data;
            aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA1_FOR_LEGACY_USE_ONLY, key).as_ref()
                == *hash
        }
    }
}

/// Verifies `signature` over `message` with `signer`'s key by the algorithm
/// `oid`; `None` for an algorithm (or curve) mailtls does not check.
pub(crate) fn verify_with(
    signer: &X509Certificate<'_>,
    oid: &[u8],
    message: &[u8],
    signature: &[u8],
) -> Option<bool> {
    use aws_lc_rs::signature::{self as sig, VerificationAlgorithm};
    let spki = signer.public_key();
    let curve = spki
        .algorithm
        .parameters
        .as_ref()
        .and_then(|p| p.as_oid().ok())
        .map(|o| o.to_id_string());
    let algorithm: &dyn VerificationAlgorithm = match (oid, curve.as_deref()) {
        // sha256/384/512WithRSAEncryption, sha1WithRSAEncryption
        ([0x2A, 0x86, 0x48, 0x86, 0xF7, 0x0D, 0x01, 0x01, 0x0B], _) => {
            &sig::RSA_PKCS1_2048_8192_SHA256
        }
        ([0x2A, 0x86, 0x48, 0x86, 0xF7, 0x0D, 0x01, 0x01, 0x0C], _) => {
            &sig::RSA_PKCS1_2048_8192_SHA384
        }
        ([0x2A, 0x86, 0x48, 0x86, 0xF7, 0x0D, 0x01, 0x01, 0x0D], _) => {
            &sig::RSA_PKCS1_2048_8192_SHA512
        }
        ([0x2A, 0x86, 0x48, 0x86, 0xF7, 0x0D, 0x01, 0x01, 0x05], _) => {
            &sig::RSA_PKCS1_2048_8192_SHA1_FOR_LEGACY_USE_ONLY
        }
        // ecdsa-with-SHA256 / SHA384 on P-256 or P-384
        ([0x2A, 0x86, 0x48, 0xCE, 0x3D, 0x04, 0x03, 0x02], Some("1.2.840.10045.3.1.7")) => {
            &sig::ECDSA_P256_SHA256_ASN1
        }
        ([0x2A, 0x86, 0x48, 0xCE, 0x3D, 0x04, 0x03, 0x02], Some("1.3.132.0.34")) => {
            &sig::ECDSA_P384_SHA256_ASN1
        }
        ([0x2A, 0x86, 0x48, 0xCE, 0x3D, 0x04, 0x03, 0x03], Some("1.2.840.10045.3.1.7")) => {
            &sig::ECDSA_P256_SHA384_ASN1
        }
        ([0x2A, 0x86, 0x48, 0xCE, 0x3D, 0x04, 0x03, 0x03], Some("1.3.132.0.34")) => {
            &sig::ECDSA_P384_SHA384_ASN1
        }
        // Ed25519
        ([0x2B, 0x65, 0x70], _) => &sig::ED25519,
        _ => return None,
    };
    let key = sig::UnparsedPublicKey::new(algorithm, &spki.subject_public_key.data);
    Some(key.verify(message, signature).is_ok())
}

/// Whether the response's signature verifies: by the issuer itself, or by a
/// responder certificate in the staple that the issuer signed for OCSP signing.
fn verify_response(
    chain: &[CertificateDer<'_>],
    responder: &Responder<'_>,
    responder_certs: &[&[u8]],
    (tbs, algorithm, signature): (&[u8], &[u8], &[u8]),
) -> Option<bool> {
    let (_, leaf) = X509Certificate::from_der(chain.first()?).ok()?;
    let (_, issuer) = X509Certificate::from_der(chain.get(1)?).ok()?;
    if issuer.subject().as_raw() != leaf.issuer().as_raw() {
        return None;
    }
    if names_signer(responder, &issuer) {
        return verify_with(&issuer, algorithm, tbs, signature);
    }
    for der in responder_certs {
        let Ok((_, delegate)) = X509Certificate::from_der(der) else {
            continue;
        };
        if !names_signer(responder, &delegate) {
            continue;
        }
        let for_ocsp = delegate
            .extended_key_usage()
            .ok()
            .flatten()
            .is_some_and(|eku| eku.value.ocsp_signing);
        let certified = delegate.issuer().as_raw() == issuer.subject().as_raw()
            && verify_with(
                &issuer,
                delegate.signature_algorithm.algorithm.as_bytes(),
                delegate.tbs_certificate.as_ref(),
                &delegate.signature_value.data,
            ) == Some(true);
        if !(for_ocsp && certified) {
            return Some(false);
        }
        return verify_with(&delegate, algorithm, tbs, signature);
    }
    Some(false)
}

/// What identifies the server's certificate in a CertID.
struct Leaf {
    serial: Vec<u8>,
    /// The issuer's public key bits, when the issuer was sent.
    issuer_key: Option<Vec<u8>>,
}

impl Leaf {
    fn of(chain: &[CertificateDer<'_>]) -> Option<Leaf> {
        let (_, leaf) = X509Certificate::from_der(chain.first()?).ok()?;
        let issuer_key = chain.get(1).and_then(|der| {
            let (_, issuer) = X509Certificate::from_der(der).ok()?;
            (issuer.subject().as_raw() == leaf.issuer().as_raw())
                .then(|| issuer.public_key().subject_public_key.data.to_vec())
        });
        Some(Leaf {
            serial: leaf.raw_serial().to_vec(),
            issuer_key,
        })
    }
}

struct Single {
    status: OcspStatus,
    revoked_at: Option<i64>,
    reason: Option<String>,
    this_update: i64,
    next_update: Option<i64>,
    names_leaf: Option<bool>,
    scts: Vec<Sct>,
}

fn read_single(bytes: &[u8], leaf: Option<&Leaf>) -> Result<Single, OcspError> {
    // SingleResponse ::= SEQUENCE { certID, certStatus, thisUpdate, nextUpdate [0] OPTIONAL, singleExtensions [1] OPTIONAL }
    let mut single = Elements::new(bytes, "SingleResponse");
    // CertID ::= SEQUENCE { hashAlgorithm, issuerNameHash, issuerKeyHash, serialNumber }
    let cert_id = single.expect(Tag::Sequence)?;
    let mut cert_id = Elements::new(cert_id.data, "CertID");
    let algorithm = cert_id.expect(Tag::Sequence)?;
    let algorithm = Elements::new(algorithm.data, "CertID").expect(Tag::Oid)?;
    let _name_hash = cert_id.expect(Tag::OctetString)?;
    let key_hash = cert_id.expect(Tag::OctetString)?;
    let serial = cert_id.expect(Tag::Integer)?;
    let names_leaf = leaf.map(|leaf| {
        let serial_matches = strip_zeros(serial.data) == strip_zeros(&leaf.serial);
        let key_matches = leaf.issuer_key.as_ref().and_then(|key| {
            let hash = match algorithm.data {
                OID_SHA1 => &aws_lc_rs::digest::SHA1_FOR_LEGACY_USE_ONLY,
                OID_SHA256 => &aws_lc_rs::digest::SHA256,
                _ => return None,
            };
            Some(aws_lc_rs::digest::digest(hash, key).as_ref() == key_hash.data)
        });
        serial_matches && key_matches != Some(false)
    });
    let (status, _) = single.next()?;
    let (status, revoked_at, reason) = match (status.header.class(), status.header.tag()) {
        (Class::ContextSpecific, Tag(0)) => (OcspStatus::Good, None, None),
        (Class::ContextSpecific, Tag(1)) => {
            // RevokedInfo ::= SEQUENCE { revocationTime, revocationReason [0] EXPLICIT CRLReason OPTIONAL }
            let mut info = Elements::new(status.data, "RevokedInfo");
            let (_, when) = info.next()?;
            let reason = info
                .context(0)?
                .and_then(|r| {
                    Elements::new(r.data, "revocationReason")
                        .expect(Tag::Enumerated)
                        .ok()
                })
                .and_then(|e| e.data.first().copied())
                .map(reason_name);
            (OcspStatus::Revoked, Some(time(when)?), reason)
        }
        (Class::ContextSpecific, Tag(2)) => (OcspStatus::Unknown, None, None),
        _ => return Err(malformed("certStatus")),
    };
    let (_, this_update) = single.next()?;
    let this_update = time(this_update)?;
    let next_update = match single.context(0)? {
        Some(next) => Some(time(next.data)?),
        None => None,
    };
    let mut scts = Vec::new();
    if let Some(extensions) = single.context(1)? {
        let list = Elements::new(extensions.data, "singleExtensions").expect(Tag::Sequence)?;
        let mut list = Elements::new(list.data, "singleExtensions");
        for _ in 0..16 {
            if list.is_empty() {
                break;
            }
            let (extension, _) = list.next()?;
            let mut extension = Elements::new(extension.data, "singleExtensions");
            if extension.expect(Tag::Oid)?.data != OID_OCSP_SCTS {
                continue;
            }
            let (mut value, _) = extension.next()?;
            if value.header.tag() == Tag::Boolean {
                value = extension.expect(Tag::OctetString)?;
            }
            scts = crate::facts::cert::sct_list(value.data);
        }
    }
    Ok(Single {
        status,
        revoked_at,
        reason,
        this_update,
        next_update,
        names_leaf,
        scts,
    })
}

pub(crate) fn strip_zeros(bytes: &[u8]) -> &[u8] {
    let first = bytes.iter().position(|&b| b != 0).unwrap_or(bytes.len());
    &bytes[first..]
}

pub(crate) use super::cert::hex;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn garbage_is_a_parse_error_not_a_panic() {
        for staple in [&[][..], &[0x30], &[0x30, 0x03, 0x0A, 0x01], &[0xFF; 40]] {
            let facts = parse(staple, &[]);
            assert!(facts.parse_error.is_some(), "{staple:?}");
            assert_eq!(facts.status, None);
        }
    }

    #[test]
    fn an_unsuccessful_response_has_a_status_word_and_no_certificate_status() {
        // OCSPResponse { responseStatus tryLater(3) }
        let facts = parse(&[0x30, 0x03, 0x0A, 0x01, 0x03], &[]);
        assert_eq!(facts.parse_error, None);
        assert_eq!(facts.response_status, "try_later");
        assert_eq!(facts.status, None);
    }

    #[test]
    fn random_bytes_behind_a_valid_start_never_panic() {
        let mut state: u32 = 0x1234_5678;
        for len in 0..400 {
            let mut staple = vec![0x30, 0x82, 0x01, 0x00, 0x0A, 0x01, 0x00, 0xA0];
            for _ in 0..len {
                state = state.wrapping_mul(1_103_515_245).wrapping_add(12_345);
                staple.push((state >> 16) as u8);
            }
            let _ = parse(&staple, &[]);
        }
    }

    #[test]
    fn every_truncation_of_a_response_is_read_without_panicking() {
        let mut staple = vec![0x30, 0x03, 0x0A, 0x01, 0x00];
        staple.extend_from_slice(&[0xA0, 0x80, 0x30, 0x05]);
        for end in 0..staple.len() {
            let _ = parse(&staple[..end], &[]);
        }
    }
}

//! Whether the CA says a certificate of the chain is revoked, as asked with
//! `--revocation`: the answer of its OCSP responder and the verdict of its CRL,
//! as plain facts. The OCSP request is built and the CRL read here, without
//! I/O, so gathering only moves bytes and the rules judge facts.
//!
//! The OCSP request is hand-written DER (RFC 6960 4.1.1: one CertID with SHA-1
//! hashes, no nonce, unsigned); the answer is read by [`crate::facts::ocsp`].
//! The CRL is read with x509-parser and its signature checked with the
//! issuer's key by the same aws-lc-rs code as OCSP responses.

use rustls_pki_types::CertificateDer;
use serde::{Deserialize, Serialize};
use x509_parser::asn1_rs::{FromDer, Tag};
use x509_parser::extensions::{DistributionPointName, GeneralName, ParsedExtension};
use x509_parser::prelude::X509Certificate;
use x509_parser::revocation_list::CertificateRevocationList;

use crate::facts::cert::rfc3339;
use crate::facts::ocsp::{self, OcspFacts, OcspStatus};

/// The largest CRL downloaded; a CA's CRL for one intermediate is rarely more
/// than a few hundred KiB.
pub const MAX_CRL: usize = 1024 * 1024;

/// The most certificates asked about per check (the leaf and its issuer), so
/// at most this many OCSP requests and CRL downloads.
pub const MAX_ASKED: usize = 2;

/// What was asked about the chain's certificates (`--revocation`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct RevocationFacts {
    /// One entry per certificate asked about, leaf first.
    pub certificates: Vec<CertRevocation>,
}

/// What the CA's responder and CRL say about one certificate.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct CertRevocation {
    /// The certificate's place in the chain as sent (0 is the leaf).
    pub position: usize,
    pub subject: String,
    /// The OCSP responders the certificate names (AIA).
    #[serde(default)]
    pub ocsp_urls: Vec<String>,
    /// The CRL distribution points the certificate names.
    #[serde(default)]
    pub crl_urls: Vec<String>,
    /// The OCSP request sent to the first http:// responder, and its answer.
    #[serde(default)]
    pub ocsp: Option<OcspAsked>,
    /// The CRL downloaded from the first http:// distribution point.
    #[serde(default)]
    pub crl: Option<CrlVerdict>,
    /// Why nothing could be asked (no issuer sent, no URL), in plain words.
    #[serde(default)]
    pub not_asked: Option<String>,
}

/// One OCSP request and what came back.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct OcspAsked {
    pub url: String,
    /// The HTTP status of the answer; `null` when none came.
    pub http_status: Option<u16>,
    /// The OCSP response, read like a staple; `null` when none came.
    pub response: Option<OcspFacts>,
    /// Why there is no usable answer, in plain words.
    pub error: Option<String>,
}

/// One CRL and what it says about the certificate.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct CrlVerdict {
    pub url: String,
    pub bytes: usize,
    /// Whether the CRL's signature verifies with the issuer's key; `null`
    /// when it could not be told (no CRL, an algorithm mailtls lacks).
    pub signature_valid: Option<bool>,
    pub this_update: Option<String>,
    pub this_update_unix: Option<i64>,
    pub next_update: Option<String>,
    pub next_update_unix: Option<i64>,
    /// Whether the CRL was current when checked (thisUpdate passed and
    /// nextUpdate not yet); `null` without a CRL.
    pub current: Option<bool>,
    /// Whether the CRL lists the certificate's serial number; `null` without a CRL.
    pub revoked: Option<bool>,
    pub revoked_at: Option<String>,
    pub revocation_reason: Option<String>,
    /// Why there is no usable CRL, in plain words.
    pub error: Option<String>,
}

/// Why a request could not be built or a CRL read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RevocationError {
    #[error("the certificate is not valid X.509")]
    BadCertificate,
    #[error(
        "the certificate's issuer was not sent, so its name and key for the request are unknown"
    )]
    NoIssuer,
    #[error("the CRL is not valid DER")]
    BadCrl,
    #[error("the CRL was issued by '{issuer}', not by the certificate's issuer")]
    OtherIssuer { issuer: String },
}

impl CertRevocation {
    /// One line for people: what OCSP and the CRL said.
    pub fn summary(&self) -> String {
        let mut parts = Vec::new();
        match &self.ocsp {
            Some(asked) => parts.push(format!("OCSP {}", asked.summary())),
            None if self.ocsp_urls.is_empty() => parts.push("no OCSP responder".to_owned()),
            None => {}
        }
        match &self.crl {
            Some(crl) => parts.push(format!("CRL {}", crl.summary())),
            None if self.crl_urls.is_empty() => parts.push("no CRL".to_owned()),
            None => {}
        }
        if let Some(why) = &self.not_asked {
            parts.push(format!("not asked: {why}"));
        }
        parts.join(" · ")
    }
}

impl OcspAsked {
    fn summary(&self) -> String {
        let status = self.response.as_ref().and_then(|r| r.status);
        match (&self.error, status) {
            (Some(error), _) => format!("failed ({error})"),
            (None, Some(OcspStatus::Good)) => "good".to_owned(),
            (None, Some(OcspStatus::Revoked)) => "REVOKED".to_owned(),
            (None, Some(OcspStatus::Unknown)) => "unknown to the responder".to_owned(),
            (None, None) => "no status".to_owned(),
        }
    }

    /// The answer's status if it is usable: read, signed by the issuer (or
    /// its delegate), about this certificate, not out of date at `now`.
    pub fn usable_status(&self, now: i64) -> Option<OcspStatus> {
        let r = self.response.as_ref()?;
        let fresh = r.next_update_unix.is_none_or(|next| next >= now)
            && r.this_update_unix.is_some_and(|this| this <= now + 300);
        (self.error.is_none()
            && r.parse_error.is_none()
            && r.signature_valid == Some(true)
            && r.names_leaf == Some(true)
            && fresh)
            .then_some(r.status)
            .flatten()
    }
}

impl CrlVerdict {
    fn summary(&self) -> String {
        if let Some(error) = &self.error {
            return format!("failed ({error})");
        }
        let mut text = match self.revoked {
            Some(true) => "lists it: REVOKED".to_owned(),
            Some(false) => "does not list it".to_owned(),
            None => "unread".to_owned(),
        };
        if self.signature_valid != Some(true) {
            text.push_str(" (signature not verified)");
        }
        if self.current == Some(false) {
            text.push_str(" (out of date)");
        }
        text
    }

    /// Whether the CRL can be relied on: read, signed by the issuer, current.
    pub fn usable(&self) -> bool {
        self.error.is_none() && self.signature_valid == Some(true) && self.current == Some(true)
    }
}

/// The OCSP responder URLs and CRL distribution points of `cert`.
pub fn urls(cert: &CertificateDer<'_>) -> (Vec<String>, Vec<String>) {
    let Ok((_, cert)) = X509Certificate::from_der(cert) else {
        return (Vec::new(), Vec::new());
    };
    let mut ocsp = Vec::new();
    let mut crl = Vec::new();
    for extension in cert.extensions() {
        match extension.parsed_extension() {
            ParsedExtension::AuthorityInfoAccess(aia) => {
                for access in &aia.accessdescs {
                    if access.access_method.to_id_string() == "1.3.6.1.5.5.7.48.1" {
                        if let GeneralName::URI(uri) = access.access_location {
                            ocsp.push(clip(uri));
                        }
                    }
                }
            }
            ParsedExtension::CRLDistributionPoints(points) => {
                for point in points.iter() {
                    if let Some(DistributionPointName::FullName(names)) = &point.distribution_point
                    {
                        for name in names {
                            if let GeneralName::URI(uri) = name {
                                crl.push(clip(uri));
                            }
                        }
                    }
                }
            }
            _ => {}
        }
    }
    ocsp.truncate(8);
    crl.truncate(8);
    (ocsp, crl)
}

/// Outside text kept here: at most 200 characters.
fn clip(text: &str) -> String {
    super::clip(text, 200)
}

/// DER `tag` `content`.
fn tlv(tag: u8, content: &[u8]) -> Vec<u8> {
    let mut out = vec![tag];
    let len = content.len();
    if len < 0x80 {
        out.push(len as u8);
    } else {
        let bytes: Vec<u8> = len
            .to_be_bytes()
            .iter()
            .copied()
            .skip_while(|&b| b == 0)
            .collect();
        out.push(0x80 | bytes.len() as u8);
        out.extend_from_slice(&bytes);
    }
    out.extend_from_slice(content);
    out
}

fn sha1(bytes: &[u8]) -> Vec<u8> {
    aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA1_FOR_LEGACY_USE_ONLY, bytes)
        .as_ref()
        .to_vec()
}

/// An OCSPRequest (RFC 6960 4.1.1) for `cert` issued by `issuer`: one CertID
/// with the SHA-1 of the issuer's name and key and the serial number.
pub fn ocsp_request(
    cert: &CertificateDer<'_>,
    issuer: &CertificateDer<'_>,
) -> Result<Vec<u8>, RevocationError> {
    let (_, cert) = X509Certificate::from_der(cert).map_err(|_| RevocationError::BadCertificate)?;
    let (_, issuer) =
        X509Certificate::from_der(issuer).map_err(|_| RevocationError::BadCertificate)?;
    if issuer.subject().as_raw() != cert.issuer().as_raw() {
        return Err(RevocationError::NoIssuer);
    }
    // AlgorithmIdentifier { sha1, NULL }
    let algorithm = tlv(
        0x30,
        &[
            0x06, 0x05, 0x2B, 0x0E, 0x03, 0x02, 0x1A, // 1.3.14.3.2.26
            0x05, 0x00,
        ],
    );
    let mut cert_id = algorithm;
    cert_id.extend(tlv(0x04, &sha1(cert.issuer().as_raw())));
    cert_id.extend(tlv(
        0x04,
        &sha1(&issuer.public_key().subject_public_key.data),
    ));
    cert_id.extend(tlv(0x02, cert.raw_serial()));
    let request = tlv(0x30, &tlv(0x30, &cert_id));
    let request_list = tlv(0x30, &request);
    let tbs = tlv(0x30, &request_list);
    Ok(tlv(0x30, &tbs))
}

/// Reads the CRL `der` for `cert` issued by `issuer`, as of `now`.
pub fn read_crl(
    url: &str,
    der: &[u8],
    cert: &CertificateDer<'_>,
    issuer: Option<&CertificateDer<'_>>,
    now: i64,
) -> CrlVerdict {
    let mut verdict = CrlVerdict {
        url: url.to_owned(),
        bytes: der.len(),
        ..CrlVerdict::default()
    };
    if let Err(error) = judge_crl(der, cert, issuer, now, &mut verdict) {
        verdict.error = Some(error.to_string());
    }
    verdict
}

fn judge_crl(
    der: &[u8],
    cert: &CertificateDer<'_>,
    issuer: Option<&CertificateDer<'_>>,
    now: i64,
    verdict: &mut CrlVerdict,
) -> Result<(), RevocationError> {
    let (_, cert) = X509Certificate::from_der(cert).map_err(|_| RevocationError::BadCertificate)?;
    let (_, crl) = CertificateRevocationList::from_der(der).map_err(|_| RevocationError::BadCrl)?;
    if crl.issuer().as_raw() != cert.issuer().as_raw() {
        return Err(RevocationError::OtherIssuer {
            issuer: clip(&crl.issuer().to_string()),
        });
    }
    let this = crl.last_update().timestamp();
    let next = crl.next_update().map(|t| t.timestamp());
    verdict.this_update = Some(rfc3339(this));
    verdict.this_update_unix = Some(this);
    verdict.next_update = next.map(rfc3339);
    verdict.next_update_unix = next;
    verdict.current = Some(this <= now + 300 && next.is_none_or(|next| next >= now));
    let serial = ocsp::strip_zeros(cert.raw_serial());
    let listed = crl
        .iter_revoked_certificates()
        .find(|r| ocsp::strip_zeros(r.raw_serial()) == serial);
    verdict.revoked = Some(listed.is_some());
    if let Some(listed) = listed {
        verdict.revoked_at = Some(rfc3339(listed.revocation_date.timestamp()));
        verdict.revocation_reason = listed
            .reason_code()
            .map(|(_, code)| ocsp::reason_name(code.0));
    }
    // The signed part is the CRL's first element, header included.
    let mut outer = ocsp::Elements::new(der, "CertificateList");
    let signed = outer
        .expect(Tag::Sequence)
        .map_err(|_| RevocationError::BadCrl)?;
    let (_, tbs) = ocsp::Elements::new(signed.data, "CertificateList")
        .next()
        .map_err(|_| RevocationError::BadCrl)?;
    verdict.signature_valid = match issuer {
        None => None,
        Some(issuer) => {
            let (_, issuer) =
                X509Certificate::from_der(issuer).map_err(|_| RevocationError::BadCertificate)?;
            ocsp::verify_with(
                &issuer,
                crl.signature_algorithm.algorithm.as_bytes(),
                tbs,
                &crl.signature_value.data,
            )
        }
    };
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lengths_are_der() {
        assert_eq!(tlv(0x04, &[1, 2]), vec![0x04, 2, 1, 2]);
        let long = tlv(0x04, &[0; 300]);
        assert_eq!(&long[..4], &[0x04, 0x82, 0x01, 0x2C]);
        assert_eq!(long.len(), 304);
    }

    #[test]
    fn garbage_is_no_crl_and_no_request() {
        let cert = CertificateDer::from(vec![0x30, 0x00]);
        let verdict = read_crl("http://x/", b"junk", &cert, None, 0);
        assert!(verdict.error.is_some() && verdict.revoked.is_none());
        assert!(ocsp_request(&cert, &cert).is_err());
        assert_eq!(urls(&cert), (Vec::new(), Vec::new()));
    }
}

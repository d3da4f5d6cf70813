//! Fetching a missing intermediate from the URL in a certificate's Authority
//! Information Access extension, only when asked (`--fetch-missing`).
//!
//! Mail clients do not do this, which is why a missing intermediate breaks them;
//! mailtls does it only to confirm the diagnosis ("with this certificate the chain
//! would be trusted"). The URL comes from the server, so the fetch is plain HTTP
//! only (as RFC 5280 prescribes for caIssuers), bounded in size, redirects and time.

use std::time::Duration;

use rustls::pki_types::pem::PemObject;
use rustls::pki_types::CertificateDer;
use tokio::time::Instant;

/// Largest certificate we accept over AIA; real intermediates are 1–2 KiB.
const MAX_BODY: u64 = 64 * 1024;

#[derive(Debug, thiserror::Error)]
pub enum FetchError {
    #[error("only http:// URLs are fetched")]
    NotHttp,
    #[error("no time left before the deadline")]
    NoTime,
    #[error("{0}")]
    Http(String),
    #[error("the answer is not a certificate (DER or PEM)")]
    NotACertificate,
}

/// Downloads the certificate at `url` by `deadline`.
pub async fn fetch_certificate(
    url: &str,
    deadline: Instant,
) -> Result<CertificateDer<'static>, FetchError> {
    if !url.to_ascii_lowercase().starts_with("http://") {
        return Err(FetchError::NotHttp);
    }
    let remaining = deadline.saturating_duration_since(Instant::now());
    if remaining < Duration::from_millis(10) {
        return Err(FetchError::NoTime);
    }
    let url = url.to_owned();
    let body = tokio::task::spawn_blocking(move || {
        let agent = ureq::Agent::config_builder()
            .timeout_global(Some(remaining))
            .max_redirects(3)
            .build()
            .new_agent();
        agent
            .get(&url)
            .call()
            .and_then(|mut response| {
                response
                    .body_mut()
                    .with_config()
                    .limit(MAX_BODY)
                    .read_to_vec()
            })
            .map_err(|e| FetchError::Http(e.to_string()))
    })
    .await
    .map_err(|e| FetchError::Http(e.to_string()))??;
    parse_certificate(&body)
}

/// DER as served by most CAs, or PEM as served by some.
fn parse_certificate(body: &[u8]) -> Result<CertificateDer<'static>, FetchError> {
    if body.starts_with(b"-----BEGIN") {
        return CertificateDer::from_pem_slice(body).map_err(|_| FetchError::NotACertificate);
    }
    // A DER certificate is one SEQUENCE; anything else (HTML, PKCS#7) is refused.
    let parses = x509_parser::parse_x509_certificate(body).is_ok_and(|(rest, _)| rest.is_empty());
    if parses {
        Ok(CertificateDer::from(body.to_vec()))
    } else {
        Err(FetchError::NotACertificate)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_certificates_are_accepted() {
        assert!(matches!(
            parse_certificate(b"<html>not found</html>"),
            Err(FetchError::NotACertificate)
        ));
        assert!(matches!(
            parse_certificate(&[0x30, 0x03, 0x02, 0x01, 0x05]),
            Err(FetchError::NotACertificate)
        ));
    }

    #[tokio::test]
    async fn only_http_is_fetched() {
        let deadline = Instant::now() + Duration::from_secs(1);
        for url in [
            "https://ca.example/x.der",
            "ldap://ca.example/x",
            "file:///etc/passwd",
        ] {
            assert!(matches!(
                fetch_certificate(url, deadline).await,
                Err(FetchError::NotHttp)
            ));
        }
    }
}

//! Asking the CA whether the chain's certificates are revoked (`--revocation`):
//! an OCSP request POSTed to each certificate's responder and its CRL
//! downloaded, through the bounded fetcher (`http`), within the check's
//! deadline. At most [`MAX_ASKED`] certificates (the leaf and the
//! intermediate), so at most two OCSP requests and two CRL downloads per check;
//! plain http only, as RFC 5280 and RFC 6960 expect of these URLs.

use rustls::pki_types::CertificateDer;
use tokio::time::Instant;

use super::http::{HttpClient, Request, MAX_REDIRECTS};
use super::CheckSettings;
use crate::facts::revocation::{
    self, CertRevocation, CrlVerdict, OcspAsked, RevocationFacts, MAX_ASKED, MAX_CRL,
};

/// The largest OCSP response read (as for a staple).
const MAX_OCSP: usize = crate::facts::ocsp::MAX_STAPLE;

/// Asks about the leaf and, when its issuer was sent too, the intermediate.
pub async fn check(
    chain: &[CertificateDer<'static>],
    settings: &CheckSettings,
    now: i64,
    deadline: Instant,
) -> RevocationFacts {
    let client = settings.http_client().await;
    let asked = chain
        .iter()
        .enumerate()
        .take(MAX_ASKED)
        .filter(|(position, cert)| {
            *position == 0 || chain.get(position + 1).is_some() && !self_signed(cert)
        })
        .map(|(position, cert)| {
            one(
                position,
                cert,
                chain.get(position + 1),
                &client,
                now,
                deadline,
            )
        });
    RevocationFacts {
        certificates: futures_join(asked).await,
    }
}

/// Runs the per-certificate questions side by side.
async fn futures_join<F: std::future::Future<Output = CertRevocation>>(
    futures: impl Iterator<Item = F>,
) -> Vec<CertRevocation> {
    let mut futures: Vec<F> = futures.collect();
    match futures.len() {
        0 => Vec::new(),
        1 => match futures.pop() {
            Some(f) => vec![f.await],
            None => Vec::new(),
        },
        _ => {
            let second = futures.pop();
            let first = futures.pop();
            match (first, second) {
                (Some(a), Some(b)) => {
                    let (a, b) = tokio::join!(a, b);
                    vec![a, b]
                }
                _ => Vec::new(),
            }
        }
    }
}

fn self_signed(cert: &CertificateDer<'_>) -> bool {
    x509_parser::parse_x509_certificate(cert)
        .is_ok_and(|(_, c)| c.subject().as_raw() == c.issuer().as_raw())
}

fn is_http(url: &str) -> bool {
    url.get(..7)
        .is_some_and(|s| s.eq_ignore_ascii_case("http://"))
}

async fn one(
    position: usize,
    cert: &CertificateDer<'static>,
    issuer: Option<&CertificateDer<'static>>,
    client: &Result<HttpClient, String>,
    now: i64,
    deadline: Instant,
) -> CertRevocation {
    let (ocsp_urls, crl_urls) = revocation::urls(cert);
    let subject = x509_parser::parse_x509_certificate(cert)
        .map(|(_, c)| c.subject().to_string())
        .unwrap_or_default();
    let mut facts = CertRevocation {
        position,
        subject,
        ocsp_urls,
        crl_urls,
        ..CertRevocation::default()
    };
    let ocsp_url = facts.ocsp_urls.iter().find(|u| is_http(u)).cloned();
    let crl_url = facts.crl_urls.iter().find(|u| is_http(u)).cloned();
    if ocsp_url.is_none() && crl_url.is_none() {
        facts.not_asked = Some(
            if facts.ocsp_urls.is_empty() && facts.crl_urls.is_empty() {
                "the certificate names no OCSP responder and no CRL"
            } else {
                "the certificate names no http:// OCSP responder or CRL"
            }
            .to_owned(),
        );
        return facts;
    }
    let ocsp = async {
        let url = ocsp_url?;
        Some(ask_ocsp(&url, cert, issuer, client, deadline).await)
    };
    let crl = async {
        let url = crl_url?;
        Some(fetch_crl(&url, cert, issuer, client, now, deadline).await)
    };
    let (ocsp, crl) = tokio::join!(ocsp, crl);
    facts.ocsp = ocsp;
    facts.crl = crl;
    facts
}

async fn ask_ocsp(
    url: &str,
    cert: &CertificateDer<'static>,
    issuer: Option<&CertificateDer<'static>>,
    client: &Result<HttpClient, String>,
    deadline: Instant,
) -> OcspAsked {
    let mut asked = OcspAsked {
        url: url.to_owned(),
        ..OcspAsked::default()
    };
    let Some(issuer) = issuer else {
        asked.error = Some(revocation::RevocationError::NoIssuer.to_string());
        return asked;
    };
    let body = match revocation::ocsp_request(cert, issuer) {
        Ok(body) => body,
        Err(error) => {
            asked.error = Some(error.to_string());
            return asked;
        }
    };
    let client = match client {
        Ok(client) => client,
        Err(error) => {
            asked.error = Some(error.clone());
            return asked;
        }
    };
    let request = Request::post(url, "application/ocsp-request", body)
        .with_max_redirects(MAX_REDIRECTS)
        .with_plain_http_redirects_only()
        .with_max_body(MAX_OCSP);
    let fetch = client.fetch(&request, deadline).await;
    asked.http_status = fetch.status;
    if let Some(error) = fetch.error {
        asked.error = Some(format!("the responder could not be asked: {error}"));
        return asked;
    }
    match (fetch.status, fetch.body) {
        (Some(200), Some(body)) => {
            let chain = [cert.clone(), issuer.clone()];
            let response = crate::facts::ocsp::parse(&body, &chain);
            if let Some(error) = &response.parse_error {
                asked.error = Some(error.clone());
            } else if response.response_status != "successful" {
                asked.error = Some(format!(
                    "the responder answered '{}' instead of a status",
                    response.response_status
                ));
            }
            asked.response = Some(response);
        }
        (status, _) => {
            asked.error = Some(match status {
                Some(status) => format!("the responder answered with HTTP status {status}"),
                None => "the responder sent no answer".to_owned(),
            });
        }
    }
    asked
}

async fn fetch_crl(
    url: &str,
    cert: &CertificateDer<'static>,
    issuer: Option<&CertificateDer<'static>>,
    client: &Result<HttpClient, String>,
    now: i64,
    deadline: Instant,
) -> CrlVerdict {
    let failed = |error: String| CrlVerdict {
        url: url.to_owned(),
        error: Some(error),
        ..CrlVerdict::default()
    };
    let client = match client {
        Ok(client) => client,
        Err(error) => return failed(error.clone()),
    };
    let request = Request::get(url)
        .with_max_redirects(MAX_REDIRECTS)
        .with_plain_http_redirects_only()
        .with_max_body(MAX_CRL);
    let fetch = client.fetch(&request, deadline).await;
    if let Some(error) = fetch.error {
        return failed(format!("the CRL could not be downloaded: {error}"));
    }
    match (fetch.status, fetch.body) {
        (Some(200), Some(body)) => revocation::read_crl(url, &body, cert, issuer, now),
        (Some(status), _) => failed(format!("the CRL server answered with HTTP status {status}")),
        (None, _) => failed("the CRL server sent no answer".to_owned()),
    }
}

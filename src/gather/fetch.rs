//! Fetching a missing intermediate from the URL in a certificate's Authority
//! Information Access extension, as Outlook and Apple Mail do (unless
//! `--offline`).
//!
//! Most mail clients do not do this, which is why a missing intermediate breaks
//! them; mailtls does it only to confirm the diagnosis ("with this certificate
//! the chain would be trusted"). The URL comes from the server, so the fetch is
//! plain HTTP only (as RFC 5280 prescribes for caIssuers), redirects included,
//! bounded in size, redirects and time; it goes through the run's HTTP client
//! ([`super::http`]).

use rustls::pki_types::pem::PemObject;
use rustls::pki_types::CertificateDer;
use tokio::time::Instant;

use super::http::{HttpClient, Request};
use crate::facts::http::HttpError;

/// Largest certificate we accept over AIA; real intermediates are 1–2 KiB.
const MAX_BODY: usize = 64 * 1024;

/// Redirects followed at most (each to plain http, within the same deadline).
const MAX_REDIRECTS: usize = 3;

/// Why the download failed; each message is a fragment for "Downloading it
/// from URL failed: …", in plain words.
#[derive(Debug, thiserror::Error)]
pub enum FetchError {
    #[error("only plain http:// addresses are downloaded")]
    NotHttp,
    #[error("no time was left before the deadline")]
    NoTime,
    #[error("the server redirected to {location}; only plain http is followed")]
    RedirectNotHttp { location: String },
    #[error("the server redirected more than {MAX_REDIRECTS} times (last to {location})")]
    TooManyRedirects { location: String },
    #[error("the server answered with a redirect ({status}) but did not say where to")]
    RedirectWithoutLocation { status: u16 },
    #[error("{0}")]
    Http(String),
    #[error("the answer is not a certificate (DER or PEM)")]
    NotACertificate,
}

/// Downloads already made in this run, by URL: a batch asks each AIA URL once.
#[derive(Debug, Clone, Default)]
pub struct FetchCache {
    done: std::sync::Arc<
        std::sync::Mutex<
            std::collections::HashMap<String, Result<CertificateDer<'static>, String>>,
        >,
    >,
}

/// The most URLs a run remembers; past that, downloads are simply made again.
const MAX_CACHED: usize = 1024;

impl FetchCache {
    /// The certificate at `url`, from this run's earlier download if there
    /// was one, else through `client`.
    pub async fn fetch(
        &self,
        client: &HttpClient,
        url: &str,
        deadline: Instant,
    ) -> Result<CertificateDer<'static>, String> {
        let known = self
            .done
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .get(url)
            .cloned();
        if let Some(result) = known {
            return result;
        }
        let result = fetch_certificate(client, url, deadline)
            .await
            .map_err(|e| e.to_string());
        let mut done = self.done.lock().unwrap_or_else(|e| e.into_inner());
        if done.len() < MAX_CACHED {
            done.insert(url.to_owned(), result.clone());
        }
        result
    }
}

/// Downloads the certificate at `url` through `client` by `deadline`,
/// following at most [`MAX_REDIRECTS`] redirects, each to plain http only,
/// and reading at most [`MAX_BODY`] bytes.
pub async fn fetch_certificate(
    client: &HttpClient,
    url: &str,
    deadline: Instant,
) -> Result<CertificateDer<'static>, FetchError> {
    if !is_http(url) {
        return Err(FetchError::NotHttp);
    }
    let request = Request::get(url)
        .with_max_redirects(MAX_REDIRECTS)
        .with_max_body(MAX_BODY)
        .with_plain_http_redirects_only();
    let fetch = client.fetch(&request, deadline).await;
    match (fetch.status, fetch.error) {
        // Any other answer than a certificate or a redirect is its status,
        // whatever became of its body.
        (Some(status), _) if !(200..=299).contains(&status) && !is_redirect(status) => {
            Err(FetchError::Http(status_words(status)))
        }
        (_, Some(error)) => Err(fetch_error(error)),
        (_, None) => match fetch.body {
            Some(body) => parse_certificate(&body),
            None => Err(FetchError::Http("the server sent no answer".to_owned())),
        },
    }
}

/// The redirects the client follows (any other 3xx is an answer).
fn is_redirect(status: u16) -> bool {
    matches!(status, 301 | 302 | 303 | 307 | 308)
}

fn status_words(status: u16) -> String {
    match http::StatusCode::from_u16(status)
        .ok()
        .and_then(|s| s.canonical_reason())
    {
        Some(reason) => format!("the server answered with HTTP status {status} ({reason})"),
        None => format!("the server answered with HTTP status {status}"),
    }
}

/// The HTTP client's errors as this download's sentences.
fn fetch_error(error: HttpError) -> FetchError {
    let text = match error {
        HttpError::NoTime => return FetchError::NoTime,
        HttpError::RedirectNotPlainHttp { location } => {
            return FetchError::RedirectNotHttp { location }
        }
        HttpError::TooManyRedirects { location, .. } => {
            return FetchError::TooManyRedirects { location }
        }
        HttpError::RedirectWithoutLocation { status } => {
            return FetchError::RedirectWithoutLocation { status }
        }
        // Redirects elsewhere than plain http are refused above; this is a
        // `Location` that is no URL at all.
        HttpError::RedirectNotHttp { location } => {
            format!("the server redirected to {location}, which is not a valid URL")
        }
        // The address starts with http:// (checked first): it does not parse.
        HttpError::NotHttp => "the address is not a valid URL".to_owned(),
        HttpError::Dns(_) | HttpError::NoAddresses => {
            "the host name in the address could not be looked up".to_owned()
        }
        HttpError::Timeout => "the server did not answer in time".to_owned(),
        HttpError::TooLarge { .. } => format!(
            "the answer is larger than {} KiB, far more than a certificate",
            MAX_BODY / 1024
        ),
        // Already plain words ("the server refused the connection").
        HttpError::Connect(words) => words,
        error @ (HttpError::Protocol(_) | HttpError::Tls(_)) => error.to_string(),
    };
    FetchError::Http(text)
}

fn is_http(url: &str) -> bool {
    url.get(..7)
        .is_some_and(|s| s.eq_ignore_ascii_case("http://"))
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
    use std::time::Duration;

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

    #[test]
    fn only_http_addresses_count_as_http() {
        assert!(is_http("HTTP://ca.example/") && is_http("http://ca.example/"));
        assert!(!is_http("https://ca.example/") && !is_http("http:/x"));
    }

    #[test]
    fn errors_name_where_the_redirect_went() {
        let to_https = FetchError::RedirectNotHttp {
            location: "https://ca.example/i.der".to_owned(),
        };
        assert_eq!(
            to_https.to_string(),
            "the server redirected to https://ca.example/i.der; only plain http is followed"
        );
        let looping = FetchError::TooManyRedirects {
            location: "http://ca.example/again".to_owned(),
        };
        assert_eq!(
            looping.to_string(),
            "the server redirected more than 3 times (last to http://ca.example/again)"
        );
    }

    /// A client that asks a name server on a loopback port nobody serves:
    /// the tests' URLs name 127.0.0.1, so no DNS question is asked.
    fn client() -> HttpClient {
        use crate::gather::dns::{resolver, DnsOptions};
        use crate::gather::tls::trust::{CaFiles, TrustStore};
        let provider = crate::gather::tls::TlsClient::default_provider();
        let trust =
            TrustStore::load_files_only(&CaFiles::default(), &provider).expect("trust store");
        let dns = resolver(
            &DnsOptions {
                name_server: Some(std::net::SocketAddr::from(([127, 0, 0, 1], 9))),
                timeout: Duration::from_secs(1),
            },
            None,
        )
        .expect("resolver");
        HttpClient::new(dns, &trust, &provider)
    }

    /// A loopback HTTP server that answers every request with `answer(own
    /// address)`, a whole HTTP response; returns its address and a counter
    /// of the connections it accepted.
    fn serving(
        answer: impl Fn(&str) -> Vec<u8> + Send + 'static,
    ) -> (String, std::sync::Arc<std::sync::atomic::AtomicUsize>) {
        use std::io::{Read, Write};
        use std::sync::atomic::{AtomicUsize, Ordering};
        let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
        let address = listener.local_addr().expect("address").to_string();
        let count = std::sync::Arc::new(AtomicUsize::new(0));
        let (counting, own) = (count.clone(), address.clone());
        std::thread::spawn(move || {
            for mut stream in listener.incoming().flatten() {
                counting.fetch_add(1, Ordering::SeqCst);
                let mut request = [0u8; 2048];
                let _ = stream.read(&mut request);
                let _ = stream.write_all(&answer(&own));
            }
        });
        (address, count)
    }

    /// A server answering every request with a 302 to `location` (`{self}`
    /// becomes its own address).
    fn redirecting(
        location: &'static str,
    ) -> (String, std::sync::Arc<std::sync::atomic::AtomicUsize>) {
        serving(move |own| {
            let location = location.replace("{self}", own);
            format!(
                "HTTP/1.1 302 Found\r\nLocation: {location}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
            )
            .into_bytes()
        })
    }

    /// A server answering every request with `status` and `body`.
    fn answering(
        status: &'static str,
        body: Vec<u8>,
    ) -> (String, std::sync::Arc<std::sync::atomic::AtomicUsize>) {
        serving(move |_| {
            let mut answer = format!(
                "HTTP/1.1 {status}\r\nContent-Type: application/pkix-cert\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
                body.len()
            )
            .into_bytes();
            answer.extend_from_slice(&body);
            answer
        })
    }

    fn in_seconds(n: u64) -> Instant {
        Instant::now() + Duration::from_secs(n)
    }

    #[tokio::test]
    async fn a_redirect_loop_ends_after_three() {
        let (address, count) = redirecting("http://{self}/again");
        let result =
            fetch_certificate(&client(), &format!("http://{address}/first"), in_seconds(5)).await;
        let Err(FetchError::TooManyRedirects { location }) = result else {
            panic!("{result:?}");
        };
        assert_eq!(location, format!("http://{address}/again"));
        assert_eq!(count.load(std::sync::atomic::Ordering::SeqCst), 4);
    }

    #[tokio::test]
    async fn a_relative_redirect_goes_to_the_same_server() {
        let (address, count) = redirecting("again");
        let result = fetch_certificate(
            &client(),
            &format!("http://{address}/certs/first"),
            in_seconds(5),
        )
        .await;
        let Err(FetchError::TooManyRedirects { location }) = result else {
            panic!("{result:?}");
        };
        assert_eq!(location, format!("http://{address}/certs/again"));
        assert_eq!(count.load(std::sync::atomic::Ordering::SeqCst), 4);
    }

    #[tokio::test]
    async fn a_redirect_to_https_is_not_followed() {
        let (address, count) = redirecting("https://{self}/secure");
        let result =
            fetch_certificate(&client(), &format!("http://{address}/first"), in_seconds(5)).await;
        let Err(FetchError::RedirectNotHttp { location }) = result else {
            panic!("{result:?}");
        };
        assert_eq!(location, format!("https://{address}/secure"));
        assert_eq!(count.load(std::sync::atomic::Ordering::SeqCst), 1);
    }

    #[tokio::test]
    async fn a_redirect_to_another_scheme_is_not_followed() {
        let (address, count) = redirecting("file:///etc/passwd");
        let result =
            fetch_certificate(&client(), &format!("http://{address}/first"), in_seconds(5)).await;
        let Err(FetchError::RedirectNotHttp { location }) = result else {
            panic!("{result:?}");
        };
        assert_eq!(location, "file:///etc/passwd");
        assert_eq!(count.load(std::sync::atomic::Ordering::SeqCst), 1);
    }

    #[tokio::test]
    async fn an_answer_over_64_kib_is_refused() {
        let (big, _) = answering("200 OK", vec![0x30; MAX_BODY + 1]);
        let result =
            fetch_certificate(&client(), &format!("http://{big}/i.der"), in_seconds(5)).await;
        let Err(FetchError::Http(words)) = result else {
            panic!("{result:?}");
        };
        assert_eq!(
            words,
            "the answer is larger than 64 KiB, far more than a certificate"
        );
        // 64 KiB exactly is read, and judged as a certificate.
        let (largest, _) = answering("200 OK", vec![0x30; MAX_BODY]);
        let result =
            fetch_certificate(&client(), &format!("http://{largest}/i.der"), in_seconds(5)).await;
        assert!(
            matches!(result, Err(FetchError::NotACertificate)),
            "{result:?}"
        );
    }

    #[tokio::test]
    async fn an_error_status_is_named() {
        let (address, _) = answering("404 Not Found", b"<html>gone</html>".to_vec());
        let result =
            fetch_certificate(&client(), &format!("http://{address}/i.der"), in_seconds(5)).await;
        let Err(FetchError::Http(words)) = result else {
            panic!("{result:?}");
        };
        assert_eq!(
            words,
            "the server answered with HTTP status 404 (Not Found)"
        );
    }

    #[tokio::test]
    async fn a_refused_connection_is_said_so() {
        // Port 9 (discard) is the test kit's AIA URL that nobody serves.
        let result = fetch_certificate(&client(), "http://127.0.0.1:9/i.der", in_seconds(5)).await;
        let Err(FetchError::Http(words)) = result else {
            panic!("{result:?}");
        };
        assert_eq!(words, "the server refused the connection");
    }

    #[tokio::test]
    async fn only_http_is_fetched() {
        for url in [
            "https://ca.example/x.der",
            "ldap://ca.example/x",
            "file:///etc/passwd",
        ] {
            assert!(matches!(
                fetch_certificate(&client(), url, in_seconds(1)).await,
                Err(FetchError::NotHttp)
            ));
        }
    }
}

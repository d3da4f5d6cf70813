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

/// One HTTP exchange: a body, or a redirect that is not followed yet.
enum Answer {
    Body(Vec<u8>),
    Redirect {
        status: u16,
        location: Option<String>,
    },
}

/// Downloads the certificate at `url` by `deadline`, following at most
/// [`MAX_REDIRECTS`] redirects, each to plain http only.
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
    /// The certificate at `url`, from this run's earlier download if there was one.
    pub async fn fetch(
        &self,
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
        let result = fetch_certificate(url, deadline)
            .await
            .map_err(|e| e.to_string());
        let mut done = self.done.lock().unwrap_or_else(|e| e.into_inner());
        if done.len() < MAX_CACHED {
            done.insert(url.to_owned(), result.clone());
        }
        result
    }
}

pub async fn fetch_certificate(
    url: &str,
    deadline: Instant,
) -> Result<CertificateDer<'static>, FetchError> {
    if !is_http(url) {
        return Err(FetchError::NotHttp);
    }
    let mut url = url.to_owned();
    let mut redirects = 0;
    loop {
        let (status, location) = match get(&url, deadline).await? {
            Answer::Body(body) => return parse_certificate(&body),
            Answer::Redirect { status, location } => (status, location),
        };
        let Some(location) = location else {
            return Err(FetchError::RedirectWithoutLocation { status });
        };
        let next = resolve(&url, &location);
        if !is_http(&next) {
            return Err(FetchError::RedirectNotHttp {
                location: clip(&next),
            });
        }
        redirects += 1;
        if redirects > MAX_REDIRECTS {
            return Err(FetchError::TooManyRedirects {
                location: clip(&next),
            });
        }
        url = next;
    }
}

/// One GET without following redirects, bounded by `deadline` and [`MAX_BODY`].
async fn get(url: &str, deadline: Instant) -> Result<Answer, FetchError> {
    let remaining = deadline.saturating_duration_since(Instant::now());
    if remaining < Duration::from_millis(10) {
        return Err(FetchError::NoTime);
    }
    let url = url.to_owned();
    tokio::task::spawn_blocking(move || {
        let agent = ureq::Agent::config_builder()
            .timeout_global(Some(remaining))
            .max_redirects(0)
            .http_status_as_error(false)
            .build()
            .new_agent();
        let mut response = agent.get(&url).call().map_err(http_error)?;
        let status = response.status();
        if matches!(status.as_u16(), 301 | 302 | 303 | 307 | 308) {
            let location = response
                .headers()
                .get("location")
                .map(|v| String::from_utf8_lossy(v.as_bytes()).trim().to_owned());
            return Ok(Answer::Redirect {
                status: status.as_u16(),
                location,
            });
        }
        if !status.is_success() {
            return Err(FetchError::Http(match status.canonical_reason() {
                Some(reason) => format!(
                    "the server answered with HTTP status {} ({reason})",
                    status.as_u16()
                ),
                None => format!("the server answered with HTTP status {}", status.as_u16()),
            }));
        }
        response
            .body_mut()
            .with_config()
            .limit(MAX_BODY)
            .read_to_vec()
            .map(Answer::Body)
            .map_err(http_error)
    })
    .await
    .map_err(|_| FetchError::Http("the download stopped unexpectedly".to_owned()))?
}

/// ureq's errors in plain words.
fn http_error(error: ureq::Error) -> FetchError {
    use std::io::ErrorKind;
    let text = match error {
        ureq::Error::Timeout(_) => "the server did not answer in time".to_owned(),
        ureq::Error::HostNotFound => {
            "the host name in the address could not be looked up".to_owned()
        }
        ureq::Error::Io(e) => match e.kind() {
            ErrorKind::ConnectionRefused => "the server refused the connection".to_owned(),
            ErrorKind::ConnectionReset
            | ErrorKind::ConnectionAborted
            | ErrorKind::UnexpectedEof
            | ErrorKind::BrokenPipe => {
                "the server closed the connection before it answered".to_owned()
            }
            ErrorKind::TimedOut => "the server did not answer in time".to_owned(),
            _ => format!("a network error ended the download ({e})"),
        },
        ureq::Error::BodyExceedsLimit(_) => format!(
            "the answer is larger than {} KiB, far more than a certificate",
            MAX_BODY / 1024
        ),
        ureq::Error::LargeResponseHeader(..) => {
            "the server's answer has too many headers".to_owned()
        }
        ureq::Error::Protocol(_) => "the server's answer is not valid HTTP".to_owned(),
        ureq::Error::BadUri(_) | ureq::Error::Http(_) => {
            "the address is not a valid URL".to_owned()
        }
        ureq::Error::ConnectionFailed => "no connection to the server could be made".to_owned(),
        ureq::Error::StatusCode(status) => format!("the server answered with HTTP status {status}"),
        _ => "the download failed".to_owned(),
    };
    FetchError::Http(text)
}

fn is_http(url: &str) -> bool {
    url.get(..7)
        .is_some_and(|s| s.eq_ignore_ascii_case("http://"))
}

/// A `Location` as an absolute URL, resolved against the URL it came from
/// (RFC 3986 without dot-segment removal, which no CA needs).
fn resolve(base: &str, location: &str) -> String {
    let has_scheme = location.split_once(':').is_some_and(|(scheme, _)| {
        scheme.starts_with(|c: char| c.is_ascii_alphabetic())
            && scheme
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || "+-.".contains(c))
    });
    if has_scheme {
        return location.to_owned();
    }
    if location.starts_with("//") {
        return format!("http:{location}");
    }
    // `base` is http://authority[/path][?query][#fragment].
    let after_scheme = &base[7.min(base.len())..];
    let authority_end = after_scheme
        .find(['/', '?', '#'])
        .unwrap_or(after_scheme.len());
    let origin = &base[..7 + authority_end];
    let rest = &after_scheme[authority_end..];
    let path = &rest[..rest.find(['?', '#']).unwrap_or(rest.len())];
    if location.starts_with('/') {
        format!("{origin}{location}")
    } else if location.starts_with('?') || location.starts_with('#') || location.is_empty() {
        format!("{origin}{path}{location}")
    } else {
        let directory = &path[..path.rfind('/').map_or(0, |i| i + 1)];
        let directory = if directory.is_empty() { "/" } else { directory };
        format!("{origin}{directory}{location}")
    }
}

/// Server text in an error message: at most 200 characters.
fn clip(text: &str) -> String {
    match text.char_indices().nth(200) {
        Some((end, _)) => format!("{}…", &text[..end]),
        None => text.to_owned(),
    }
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

    #[test]
    fn redirects_resolve_against_the_url_they_came_from() {
        let base = "http://ca.example:8080/certs/inter.der?x=1";
        for (location, expected) in [
            ("https://ca.example/i.der", "https://ca.example/i.der"),
            ("HTTP://other.example/i.der", "HTTP://other.example/i.der"),
            ("//other.example/i.der", "http://other.example/i.der"),
            ("/root/i.der", "http://ca.example:8080/root/i.der"),
            ("i2.der", "http://ca.example:8080/certs/i2.der"),
            ("?y=2", "http://ca.example:8080/certs/inter.der?y=2"),
            ("file:///etc/passwd", "file:///etc/passwd"),
        ] {
            assert_eq!(resolve(base, location), expected, "{location}");
        }
        assert_eq!(
            resolve("http://ca.example", "i.der"),
            "http://ca.example/i.der"
        );
        assert!(is_http("HTTP://ca.example/") && !is_http("https://ca.example/"));
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
        assert_eq!(clip(&"x".repeat(300)).chars().count(), 201);
    }

    /// A loopback HTTP server that answers every request with a 302 to
    /// `location` (`{self}` becomes its own address); returns its address and
    /// a counter of the connections it accepted.
    fn redirecting(
        location: &'static str,
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
                let location = location.replace("{self}", &own);
                let _ = write!(
                    stream,
                    "HTTP/1.1 302 Found\r\nLocation: {location}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
                );
            }
        });
        (address, count)
    }

    #[tokio::test]
    async fn a_redirect_loop_ends_after_three() {
        let (address, count) = redirecting("http://{self}/again");
        let deadline = Instant::now() + Duration::from_secs(5);
        let result = fetch_certificate(&format!("http://{address}/first"), deadline).await;
        assert!(
            matches!(result, Err(FetchError::TooManyRedirects { .. })),
            "{result:?}"
        );
        assert_eq!(count.load(std::sync::atomic::Ordering::SeqCst), 4);
    }

    #[tokio::test]
    async fn a_redirect_to_https_is_not_followed() {
        let (address, count) = redirecting("https://{self}/secure");
        let deadline = Instant::now() + Duration::from_secs(5);
        let result = fetch_certificate(&format!("http://{address}/first"), deadline).await;
        let Err(FetchError::RedirectNotHttp { location }) = result else {
            panic!("{result:?}");
        };
        assert_eq!(location, format!("https://{address}/secure"));
        assert_eq!(count.load(std::sync::atomic::Ordering::SeqCst), 1);
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

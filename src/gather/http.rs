//! HTTP(S) fetches, the only ones mailtls makes: documents that configure
//! mail (Thunderbird autoconfig, Microsoft Autodiscover, MTA-STS policies)
//! and the checks' own (OCSP, CRLs, a missing intermediate from its AIA URL).
//! One bounded request at a time: names through the hickory resolver it is
//! given (for discovery and MTA-STS the one `--dns-server` governs), TCP to
//! the address found, TLS through tokio-rustls against the run's trust store (an
//! untrusted server is refused, as a client would), HTTP/1.1 by hyper. Size,
//! redirects and time are bounded; the result is plain facts.

use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;

use bytes::Bytes;
use hickory_resolver::TokioResolver;
use http_body_util::{BodyExt, Full, Limited};
use hyper_util::rt::TokioIo;
use rustls::crypto::CryptoProvider;
use rustls::pki_types::ServerName;
use rustls::ClientConfig;
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::net::TcpStream;
use tokio::time::{timeout_at, Instant};
use tokio_rustls::TlsConnector;
use url::Url;

use crate::facts::http::{HttpError, HttpFetch, Scheme};
use crate::gather::tls::trust::TrustStore;

/// The largest document fetched by default: configuration documents are a
/// few KiB.
pub const MAX_DOCUMENT: usize = 256 * 1024;

/// Redirects followed at most by default.
pub const MAX_REDIRECTS: usize = 3;

/// The largest response head hyper reads.
const MAX_HEAD: usize = 16 * 1024;

/// The most addresses of one name tried in turn.
const MAX_ADDRESSES: usize = 4;

/// `GET` or `POST`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Method {
    Get,
    Post,
}

/// One request: what to ask and how far to go.
#[derive(Debug, Clone)]
pub struct Request {
    pub method: Method,
    pub url: String,
    /// The body of a POST and its content type.
    pub body: Option<(String, Vec<u8>)>,
    /// Redirects followed at most; a redirect past them ends the fetch with
    /// its status, its `location` and [`HttpError::TooManyRedirects`].
    pub max_redirects: usize,
    /// The largest body read.
    pub max_body: usize,
    /// Redirects followed to plain http:// only, never to https (for URLs
    /// that RFC 5280 has be plain http, such as caIssuers); one elsewhere
    /// ends the fetch with [`HttpError::RedirectNotPlainHttp`]. The first URL
    /// is the caller's to choose.
    pub plain_http_redirects_only: bool,
}

impl Request {
    /// A GET with the default bounds.
    pub fn get(url: impl Into<String>) -> Request {
        Request {
            method: Method::Get,
            url: url.into(),
            body: None,
            max_redirects: MAX_REDIRECTS,
            max_body: MAX_DOCUMENT,
            plain_http_redirects_only: false,
        }
    }

    /// A POST of `body` with the default bounds.
    pub fn post(url: impl Into<String>, content_type: &str, body: Vec<u8>) -> Request {
        Request {
            method: Method::Post,
            body: Some((content_type.to_owned(), body)),
            ..Request::get(url)
        }
    }

    pub fn with_max_redirects(self, max_redirects: usize) -> Request {
        Request {
            max_redirects,
            ..self
        }
    }

    pub fn with_max_body(self, max_body: usize) -> Request {
        Request { max_body, ..self }
    }

    /// Follows redirects to plain http:// URLs only.
    pub fn with_plain_http_redirects_only(self) -> Request {
        Request {
            plain_http_redirects_only: true,
            ..self
        }
    }
}

/// A run's one [`HttpClient`] for the checks' fetches (revocation, the AIA
/// download), made on first use: `Err` says why none could be made.
pub type SharedClient = Arc<tokio::sync::OnceCell<Result<HttpClient, String>>>;

/// Fetches URLs; cheap to clone, shared by every fetch of a run.
#[derive(Clone)]
pub struct HttpClient {
    resolver: TokioResolver,
    /// `None` when the trust store is empty: every HTTPS fetch then fails.
    tls: Option<TlsConnector>,
}

impl std::fmt::Debug for HttpClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("HttpClient")
            .field("https", &self.tls.is_some())
            .finish_non_exhaustive()
    }
}

/// One answer, before redirects are decided.
struct Answer {
    status: u16,
    location: Option<String>,
    content_type: Option<String>,
    body: Result<Vec<u8>, HttpError>,
}

impl HttpClient {
    /// A client asking `resolver` for names and trusting `trust`'s roots.
    pub fn new(
        resolver: TokioResolver,
        trust: &TrustStore,
        provider: &Arc<CryptoProvider>,
    ) -> HttpClient {
        let tls = trust.server_verifier().and_then(|verifier| {
            let mut config = ClientConfig::builder_with_provider(provider.clone())
                .with_safe_default_protocol_versions()
                .ok()?
                .with_webpki_verifier(verifier)
                .with_no_client_auth();
            config.alpn_protocols = vec![b"http/1.1".to_vec()];
            Some(TlsConnector::from(Arc::new(config)))
        });
        HttpClient { resolver, tls }
    }

    /// GETs `url` with the default bounds, by `deadline`.
    pub async fn get(&self, url: &str, deadline: Instant) -> HttpFetch {
        self.fetch(&Request::get(url), deadline).await
    }

    /// Runs `request`, following redirects within its bounds, by `deadline`.
    pub async fn fetch(&self, request: &Request, deadline: Instant) -> HttpFetch {
        let mut fetch = HttpFetch {
            url: request.url.clone(),
            scheme: Scheme::Http,
            redirects: Vec::new(),
            final_url: request.url.clone(),
            status: None,
            location: None,
            content_type: None,
            body: None,
            error: None,
        };
        let mut url = match parse(&request.url) {
            Ok((url, scheme)) => {
                fetch.scheme = scheme;
                url
            }
            Err(error) => {
                fetch.error = Some(error);
                return fetch;
            }
        };
        let (mut method, mut body) = (request.method, request.body.clone());
        loop {
            fetch.final_url = url.to_string();
            let answer = match self
                .once(&url, method, body.as_ref(), request.max_body, deadline)
                .await
            {
                Ok(answer) => answer,
                Err(error) => {
                    fetch.error = Some(error);
                    return fetch;
                }
            };
            fetch.status = Some(answer.status);
            fetch.content_type = answer.content_type;
            fetch.location = None;
            if !matches!(answer.status, 301 | 302 | 303 | 307 | 308) {
                match answer.body {
                    Ok(bytes) => fetch.body = Some(bytes),
                    Err(error) => fetch.error = Some(error),
                }
                return fetch;
            }
            let Some(location) = answer.location else {
                fetch.error = Some(HttpError::RedirectWithoutLocation {
                    status: answer.status,
                });
                return fetch;
            };
            let next = match url.join(&location) {
                Ok(next) if next.scheme() == "http" => next,
                Ok(next) if next.scheme() == "https" && !request.plain_http_redirects_only => next,
                Ok(_) if request.plain_http_redirects_only => {
                    fetch.error = Some(HttpError::RedirectNotPlainHttp {
                        location: clip(&location),
                    });
                    return fetch;
                }
                _ => {
                    fetch.error = Some(HttpError::RedirectNotHttp {
                        location: clip(&location),
                    });
                    return fetch;
                }
            };
            fetch.location = Some(next.to_string());
            if fetch.redirects.len() >= request.max_redirects {
                fetch.error = Some(HttpError::TooManyRedirects {
                    limit: request.max_redirects,
                    location: clip(next.as_str()),
                });
                return fetch;
            }
            // As browsers do: 303 always, and 301/302 after a POST, go on as a GET.
            if answer.status == 303
                || (matches!(answer.status, 301 | 302) && method == Method::Post)
            {
                method = Method::Get;
                body = None;
            }
            fetch.redirects.push(next.to_string());
            url = next;
        }
    }

    /// One request and its answer, without following redirects.
    async fn once(
        &self,
        url: &Url,
        method: Method,
        body: Option<&(String, Vec<u8>)>,
        max_body: usize,
        deadline: Instant,
    ) -> Result<Answer, HttpError> {
        if Instant::now() >= deadline {
            return Err(HttpError::NoTime);
        }
        let port = url.port_or_known_default().ok_or(HttpError::NotHttp)?;
        let (addresses, name) = match url.host() {
            Some(url::Host::Ipv4(ip)) => (vec![IpAddr::V4(ip)], ServerName::from(IpAddr::V4(ip))),
            Some(url::Host::Ipv6(ip)) => (vec![IpAddr::V6(ip)], ServerName::from(IpAddr::V6(ip))),
            Some(url::Host::Domain(domain)) => {
                let name = ServerName::try_from(domain.to_owned())
                    .map_err(|_| HttpError::Dns("it is not a valid host name".to_owned()))?;
                (self.lookup(domain, deadline).await?, name)
            }
            None => return Err(HttpError::NotHttp),
        };
        let tcp = connect(&addresses, port, deadline).await?;
        if url.scheme() == "https" {
            let connector = self
                .tls
                .as_ref()
                .ok_or_else(|| HttpError::Tls("no certificate authority is trusted".to_owned()))?;
            let tls = match timeout_at(deadline, connector.connect(name, tcp)).await {
                Err(_) => return Err(HttpError::Timeout),
                Ok(Err(error)) => return Err(HttpError::Tls(tls_words(&error))),
                Ok(Ok(tls)) => tls,
            };
            exchange(tls, url, method, body, max_body, deadline).await
        } else {
            exchange(tcp, url, method, body, max_body, deadline).await
        }
    }

    /// The addresses of `host`, through the run's resolver.
    async fn lookup(&self, host: &str, deadline: Instant) -> Result<Vec<IpAddr>, HttpError> {
        let absolute = format!("{}.", host.trim_end_matches('.'));
        match timeout_at(deadline, self.resolver.lookup_ip(absolute)).await {
            Err(_) => Err(HttpError::Timeout),
            Ok(Err(error)) if error.is_no_records_found() => Err(HttpError::NoAddresses),
            Ok(Err(error)) => Err(HttpError::Dns(error.to_string())),
            Ok(Ok(found)) => {
                let ips: Vec<IpAddr> = found.iter().take(MAX_ADDRESSES).collect();
                if ips.is_empty() {
                    Err(HttpError::NoAddresses)
                } else {
                    Ok(ips)
                }
            }
        }
    }
}

/// `url` parsed, if it is http:// or https://.
fn parse(url: &str) -> Result<(Url, Scheme), HttpError> {
    let parsed = Url::parse(url).map_err(|_| HttpError::NotHttp)?;
    let scheme = match parsed.scheme() {
        "http" => Scheme::Http,
        "https" => Scheme::Https,
        _ => return Err(HttpError::NotHttp),
    };
    if parsed.host().is_none() {
        return Err(HttpError::NotHttp);
    }
    Ok((parsed, scheme))
}

/// A TCP connection to the first of `addresses` that accepts, by `deadline`.
async fn connect(
    addresses: &[IpAddr],
    port: u16,
    deadline: Instant,
) -> Result<TcpStream, HttpError> {
    let mut last = HttpError::NoAddresses;
    for ip in addresses {
        match timeout_at(deadline, TcpStream::connect(SocketAddr::new(*ip, port))).await {
            Err(_) => return Err(HttpError::Timeout),
            Ok(Ok(stream)) => return Ok(stream),
            Ok(Err(error)) => last = HttpError::Connect(io_words(&error)),
        }
    }
    Err(last)
}

/// One HTTP/1.1 exchange over `io` by `deadline`, the body read to at most
/// `max_body` bytes.
async fn exchange<S>(
    io: S,
    url: &Url,
    method: Method,
    body: Option<&(String, Vec<u8>)>,
    max_body: usize,
    deadline: Instant,
) -> Result<Answer, HttpError>
where
    S: AsyncRead + AsyncWrite + Unpin + Send + 'static,
{
    let protocol = |e: hyper::Error| {
        if e.is_timeout() {
            HttpError::Timeout
        } else {
            HttpError::Protocol(e.to_string())
        }
    };
    let (mut sender, connection) = timeout_at(
        deadline,
        hyper::client::conn::http1::Builder::new()
            .max_buf_size(MAX_HEAD.max(8192))
            .max_headers(100)
            .handshake::<_, Full<Bytes>>(TokioIo::new(io)),
    )
    .await
    .map_err(|_| HttpError::Timeout)?
    .map_err(protocol)?;
    // The connection is driven beside the request and ends with it.
    let driver = AbortOnDrop(tokio::spawn(connection));
    let authority = match (url.host_str(), url.port()) {
        (Some(host), Some(port)) => format!("{host}:{port}"),
        (Some(host), None) => host.to_owned(),
        (None, _) => return Err(HttpError::NotHttp),
    };
    let target = match url.query() {
        Some(query) => format!("{}?{query}", url.path()),
        None => url.path().to_owned(),
    };
    let mut builder = http::Request::builder()
        .method(match method {
            Method::Get => http::Method::GET,
            Method::Post => http::Method::POST,
        })
        .uri(target)
        .header(http::header::HOST, authority)
        .header(
            http::header::USER_AGENT,
            concat!("mailtls/", env!("CARGO_PKG_VERSION")),
        )
        .header(http::header::CONNECTION, "close");
    let payload = match body {
        Some((content_type, bytes)) => {
            builder = builder.header(http::header::CONTENT_TYPE, content_type.as_str());
            Bytes::from(bytes.clone())
        }
        None => Bytes::new(),
    };
    let request = builder
        .body(Full::new(payload))
        .map_err(|e| HttpError::Protocol(e.to_string()))?;
    let response = timeout_at(deadline, sender.send_request(request))
        .await
        .map_err(|_| HttpError::Timeout)?
        .map_err(protocol)?;
    let header = |name: http::header::HeaderName| {
        response
            .headers()
            .get(name)
            .map(|v| clip(String::from_utf8_lossy(v.as_bytes()).trim()))
    };
    let status = response.status().as_u16();
    let location = header(http::header::LOCATION);
    let content_type = header(http::header::CONTENT_TYPE);
    let body = match timeout_at(
        deadline,
        Limited::new(response.into_body(), max_body).collect(),
    )
    .await
    {
        Err(_) => Err(HttpError::Timeout),
        Ok(Ok(collected)) => Ok(collected.to_bytes().to_vec()),
        Ok(Err(error)) if error.is::<http_body_util::LengthLimitError>() => {
            Err(HttpError::TooLarge { limit: max_body })
        }
        Ok(Err(error)) => Err(match error.downcast::<hyper::Error>() {
            Ok(error) => protocol(*error),
            Err(error) => HttpError::Protocol(error.to_string()),
        }),
    };
    drop(driver);
    Ok(Answer {
        status,
        location,
        content_type,
        body,
    })
}

/// Aborts a spawned task when dropped, so no connection outlives its fetch.
struct AbortOnDrop<T>(tokio::task::JoinHandle<T>);

impl<T> Drop for AbortOnDrop<T> {
    fn drop(&mut self) {
        self.0.abort();
    }
}

/// An I/O error in plain words.
fn io_words(error: &std::io::Error) -> String {
    use std::io::ErrorKind;
    match error.kind() {
        ErrorKind::ConnectionRefused => "the server refused the connection".to_owned(),
        ErrorKind::ConnectionReset | ErrorKind::ConnectionAborted | ErrorKind::UnexpectedEof => {
            "the server closed the connection".to_owned()
        }
        ErrorKind::TimedOut => "the server did not answer in time".to_owned(),
        _ => error.to_string(),
    }
}

/// A TLS handshake's error in plain words (tokio-rustls wraps rustls's).
fn tls_words(error: &std::io::Error) -> String {
    match error
        .get_ref()
        .and_then(|inner| inner.downcast_ref::<rustls::Error>())
    {
        Some(tls) => crate::gather::tls::words::tls_error(tls),
        None => io_words(error),
    }
}

/// Server text in a fact: at most 200 characters.
fn clip(text: &str) -> String {
    crate::facts::clip(text, 200)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_http_and_https_urls_are_fetched() {
        for bad in [
            "ftp://example.edu/x",
            "file:///etc/passwd",
            "example.edu",
            "",
        ] {
            assert_eq!(parse(bad).err(), Some(HttpError::NotHttp), "{bad}");
        }
        assert_eq!(
            parse("HTTPS://Example.EDU/x").map(|(_, s)| s),
            Ok(Scheme::Https)
        );
    }

    #[test]
    fn requests_carry_their_bounds() {
        let request = Request::post("https://a.example/", "text/xml", b"<x/>".to_vec())
            .with_max_redirects(0)
            .with_max_body(10);
        assert_eq!(request.method, Method::Post);
        assert_eq!((request.max_redirects, request.max_body), (0, 10));
        assert_eq!(
            Request::get("http://a.example/").max_redirects,
            MAX_REDIRECTS
        );
        assert!(!Request::get("http://a.example/").plain_http_redirects_only);
        assert!(
            Request::get("http://a.example/")
                .with_plain_http_redirects_only()
                .plain_http_redirects_only
        );
    }

    #[test]
    fn server_text_is_clipped() {
        assert_eq!(clip(&"x".repeat(300)).chars().count(), 201);
        assert_eq!(clip("short"), "short");
    }
}

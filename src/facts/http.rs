//! What one HTTP(S) fetch saw: the URL asked, every redirect followed, the
//! status and the document, or why there is none in plain words. Plain data:
//! `gather::http` fills it in; whoever asked (account discovery, MTA-STS)
//! reads the body.

use serde::{Deserialize, Serialize};

/// `http` or `https`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Scheme {
    Http,
    Https,
}

/// A redirect past the limit, in words: none allowed is its own sentence.
fn too_many_redirects(limit: usize, location: &str) -> String {
    match limit {
        0 => format!(
            "the server answered with a redirect (to {location}), and none is followed here"
        ),
        1 => format!("the server redirected more than once (last to {location})"),
        _ => format!("the server redirected more than {limit} times (last to {location})"),
    }
}

/// Why a fetch brought no document. Each message is a fragment for
/// "Fetching URL failed: …", in plain words.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
#[serde(rename_all = "snake_case", tag = "error", content = "detail")]
pub enum HttpError {
    #[error("the address is not an http:// or https:// URL")]
    NotHttp,
    #[error("no time was left before the deadline")]
    NoTime,
    #[error("the host name could not be looked up ({0})")]
    Dns(String),
    #[error("the host name has no addresses")]
    NoAddresses,
    #[error("no connection could be made ({0})")]
    Connect(String),
    #[error("the TLS handshake failed: {0}")]
    Tls(String),
    #[error("the server's answer is not valid HTTP ({0})")]
    Protocol(String),
    #[error("the server did not answer in time")]
    Timeout,
    #[error("{}", too_many_redirects(*.limit, .location))]
    TooManyRedirects { limit: usize, location: String },
    #[error("the server answered with a redirect ({status}) but did not say where to")]
    RedirectWithoutLocation { status: u16 },
    #[error("the server redirected to {location}, which is not an http:// or https:// URL")]
    RedirectNotHttp { location: String },
    #[error("the server redirected to {location}; only plain http is followed")]
    RedirectNotPlainHttp { location: String },
    #[error("the document is larger than {limit} bytes")]
    TooLarge { limit: usize },
}

/// One fetch, redirects included.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HttpFetch {
    /// The URL asked first.
    pub url: String,
    /// The scheme of the URL asked first.
    pub scheme: Scheme,
    /// The URLs redirected to, in order (absolute).
    pub redirects: Vec<String>,
    /// The URL the last answer came from (the first one without redirects).
    pub final_url: String,
    /// The last answer's status, if an answer came.
    pub status: Option<u16>,
    /// A redirect not followed (past the request's limit): where it pointed.
    pub location: Option<String>,
    /// The last answer's `Content-Type`, if any.
    pub content_type: Option<String>,
    /// The last answer's body, when it came whole within the bounds (also
    /// for a status other than 2xx).
    #[serde(with = "crate::facts::der::bytes_opt")]
    pub body: Option<Vec<u8>>,
    /// Why there is no answer, or no whole one.
    pub error: Option<HttpError>,
}

impl HttpFetch {
    /// The body of a 2xx answer.
    pub fn document(&self) -> Option<&[u8]> {
        match (self.status, &self.body, &self.error) {
            (Some(200..=299), Some(body), None) => Some(body),
            _ => None,
        }
    }

    /// Whether any URL on the way (the first or a redirect) was plain HTTP.
    pub fn forgeable(&self) -> bool {
        std::iter::once(self.url.as_str())
            .chain(self.redirects.iter().map(String::as_str))
            .any(|u| {
                u.get(..7)
                    .is_some_and(|s| s.eq_ignore_ascii_case("http://"))
            })
    }

    /// What happened, in words: the error, or the status.
    pub fn outcome(&self) -> String {
        match (&self.error, self.status) {
            (Some(error), _) => error.to_string(),
            (None, Some(401)) => {
                "HTTP status 401 (it asks for a login, which mailtls does not send)".to_owned()
            }
            (None, Some(status)) => format!("HTTP status {status}"),
            (None, None) => "no answer".to_owned(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_fetch_round_trips_through_json() {
        let fetch = HttpFetch {
            url: "http://autoconfig.example/x".to_owned(),
            scheme: Scheme::Http,
            redirects: vec!["https://example/y".to_owned()],
            final_url: "https://example/y".to_owned(),
            status: Some(200),
            location: None,
            content_type: Some("text/xml".to_owned()),
            body: Some(b"<x/>\xff".to_vec()),
            error: None,
        };
        let json = serde_json::to_string(&fetch).expect("serializes");
        assert_eq!(
            serde_json::from_str::<HttpFetch>(&json).expect("parses"),
            fetch
        );
        assert!(fetch.forgeable());
        assert_eq!(fetch.document(), Some(&b"<x/>\xff"[..]));
        let failed = HttpFetch {
            error: Some(HttpError::TooLarge { limit: 10 }),
            body: None,
            ..fetch
        };
        let json = serde_json::to_string(&failed).expect("serializes");
        assert_eq!(
            serde_json::from_str::<HttpFetch>(&json).expect("parses"),
            failed
        );
        assert_eq!(failed.outcome(), "the document is larger than 10 bytes");
    }
}

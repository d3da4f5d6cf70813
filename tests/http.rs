//! `gather::http`, the bounded HTTP(S) fetcher, against the test kit's web
//! server on loopback: trusted and untrusted HTTPS, redirects, their limit
//! and their scheme, the size cap, the deadline, POST. URLs name 127.0.0.1 literally, so
//! no DNS question is asked (the resolver points at a port nobody serves).

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use mailtls::facts::http::{HttpError, Scheme};
use mailtls::gather::discover::resolver;
use mailtls::gather::http::{HttpClient, Request, MAX_DOCUMENT};
use mailtls::gather::tls::trust::{CaFiles, TrustStore};
use mailtls::gather::tls::TlsClient;
use mailtls_testkit::web::{Reply, WebServer};
use mailtls_testkit::{CertCase, TestPki};
use tokio::time::Instant;

fn client(pki: &TestPki) -> HttpClient {
    let dir = tempfile::tempdir().expect("temporary directory");
    let root = pki.write_root_pem(dir.path());
    let provider = TlsClient::default_provider();
    let trust = TrustStore::load_files_only(&CaFiles::read(&[root]).expect("root"), &provider)
        .expect("trust store");
    let dns = resolver(
        Some(SocketAddr::from(([127, 0, 0, 1], 9))),
        Duration::from_secs(1),
    )
    .expect("resolver");
    HttpClient::new(dns, &trust, &Arc::new((*provider).clone()))
}

fn any_port() -> SocketAddr {
    SocketAddr::from(([127, 0, 0, 1], 0))
}

fn in_seconds(n: u64) -> Instant {
    Instant::now() + Duration::from_secs(n)
}

#[tokio::test]
async fn a_trusted_https_server_gives_its_document() {
    let pki = TestPki::new();
    let server = WebServer::start(
        any_port(),
        Some(pki.server_cert(CertCase::Good, "127.0.0.1")),
        vec![("/mail/config.xml", Reply::xml("<clientConfig/>"))],
    )
    .expect("server");
    let url = format!(
        "https://{}/mail/config.xml?emailaddress=a%40b.test",
        server.addr()
    );
    let fetch = client(&pki).get(&url, in_seconds(5)).await;
    assert_eq!(fetch.error, None);
    assert_eq!(fetch.scheme, Scheme::Https);
    assert_eq!(fetch.status, Some(200));
    assert_eq!(fetch.document(), Some(&b"<clientConfig/>"[..]));
    assert_eq!(fetch.content_type.as_deref(), Some("text/xml"));
    assert!(!fetch.forgeable());
    let seen = server.requests();
    assert_eq!(seen.len(), 1);
    assert_eq!(seen[0].target, "/mail/config.xml?emailaddress=a%40b.test");
    assert_eq!(seen[0].host, server.addr().to_string());
}

#[tokio::test]
async fn an_untrusted_https_server_is_refused() {
    let pki = TestPki::new();
    let server = WebServer::start(
        any_port(),
        Some(pki.server_cert(CertCase::UnknownRoot, "127.0.0.1")),
        vec![("/x", Reply::xml("<forged/>"))],
    )
    .expect("server");
    let fetch = client(&pki)
        .get(&format!("https://{}/x", server.addr()), in_seconds(5))
        .await;
    assert!(matches!(fetch.error, Some(HttpError::Tls(_))), "{fetch:?}");
    assert_eq!(fetch.document(), None);
    assert!(server.requests().is_empty(), "nothing is asked over it");
}

#[tokio::test]
async fn redirects_are_followed_three_times_and_no_more() {
    let pki = TestPki::new();
    // Each hop on its own server, so the chain is visible in the facts.
    let end =
        WebServer::start(any_port(), None, vec![("/end", Reply::xml("<ok/>"))]).expect("server");
    let hop = |to: String| {
        WebServer::start(
            any_port(),
            None,
            vec![(
                "/hop",
                Reply::Redirect {
                    status: 302,
                    location: to,
                },
            )],
        )
        .expect("server")
    };
    let third = hop(format!("http://{}/end", end.addr()));
    let second = hop(format!("http://{}/hop", third.addr()));
    let first = hop(format!("http://{}/hop", second.addr()));
    let http = client(&pki);
    let fetch = http
        .get(&format!("http://{}/hop", first.addr()), in_seconds(5))
        .await;
    assert_eq!(fetch.error, None, "{fetch:?}");
    assert_eq!(fetch.redirects.len(), 3);
    assert_eq!(fetch.final_url, format!("http://{}/end", end.addr()));
    assert_eq!(fetch.document(), Some(&b"<ok/>"[..]));
    assert!(fetch.forgeable());

    // One hop more is refused, and names where it pointed.
    let zeroth = hop(format!("http://{}/hop", first.addr()));
    let fetch = http
        .get(&format!("http://{}/hop", zeroth.addr()), in_seconds(5))
        .await;
    assert_eq!(
        fetch.error,
        Some(HttpError::TooManyRedirects {
            limit: 3,
            location: format!("http://{}/end", end.addr()),
        })
    );
    assert_eq!(
        end.requests().len(),
        1,
        "the fourth redirect is not followed"
    );
    assert_eq!(fetch.status, Some(302));

    // Without redirects allowed, the first one is reported, not followed.
    let fetch = http
        .fetch(
            &Request::get(format!("http://{}/hop", third.addr())).with_max_redirects(0),
            in_seconds(5),
        )
        .await;
    assert_eq!(fetch.location, Some(format!("http://{}/end", end.addr())));
    assert_eq!(end.requests().len(), 1);
}

#[tokio::test]
async fn plain_http_redirects_only_refuses_https_and_other_schemes() {
    let pki = TestPki::new();
    let secure = WebServer::start(
        any_port(),
        Some(pki.server_cert(CertCase::Good, "127.0.0.1")),
        vec![("/i.der", Reply::xml("<secure/>"))],
    )
    .expect("server");
    let redirect = |location: String| Reply::Redirect {
        status: 301,
        location,
    };
    let server = WebServer::start(
        any_port(),
        None,
        vec![
            (
                "/to-https",
                redirect(format!("https://{}/i.der", secure.addr())),
            ),
            ("/to-ldap", redirect("ldap://127.0.0.1/cn=ca".to_owned())),
        ],
    )
    .expect("server");
    let http = client(&pki);
    let to_https = format!("http://{}/to-https", server.addr());
    let fetch = http
        .fetch(
            &Request::get(to_https.clone()).with_plain_http_redirects_only(),
            in_seconds(5),
        )
        .await;
    assert_eq!(
        fetch.error,
        Some(HttpError::RedirectNotPlainHttp {
            location: format!("https://{}/i.der", secure.addr()),
        })
    );
    assert_eq!(fetch.status, Some(301));
    assert!(
        secure.requests().is_empty(),
        "the https server is not asked"
    );
    let fetch = http
        .fetch(
            &Request::get(format!("http://{}/to-ldap", server.addr()))
                .with_plain_http_redirects_only(),
            in_seconds(5),
        )
        .await;
    assert_eq!(
        fetch.error,
        Some(HttpError::RedirectNotPlainHttp {
            location: "ldap://127.0.0.1/cn=ca".to_owned(),
        })
    );
    // By default the same redirect to https is followed.
    let fetch = http.get(&to_https, in_seconds(5)).await;
    assert_eq!(fetch.document(), Some(&b"<secure/>"[..]), "{fetch:?}");
}

#[tokio::test]
async fn a_document_past_the_cap_is_refused() {
    let pki = TestPki::new();
    let server = WebServer::start(
        any_port(),
        None,
        vec![
            ("/big", Reply::Huge(MAX_DOCUMENT + 1)),
            ("/small", Reply::Huge(100)),
        ],
    )
    .expect("server");
    let http = client(&pki);
    let fetch = http
        .get(&format!("http://{}/big", server.addr()), in_seconds(5))
        .await;
    assert_eq!(
        fetch.error,
        Some(HttpError::TooLarge {
            limit: MAX_DOCUMENT
        })
    );
    assert_eq!(fetch.body, None);
    let fetch = http
        .fetch(
            &Request::get(format!("http://{}/small", server.addr())).with_max_body(99),
            in_seconds(5),
        )
        .await;
    assert_eq!(fetch.error, Some(HttpError::TooLarge { limit: 99 }));
}

#[tokio::test]
async fn a_silent_server_is_left_at_the_deadline() {
    let pki = TestPki::new();
    let server =
        WebServer::start(any_port(), None, vec![("/wait", Reply::Silent)]).expect("server");
    let started = std::time::Instant::now();
    let fetch = client(&pki)
        .get(
            &format!("http://{}/wait", server.addr()),
            Instant::now() + Duration::from_millis(500),
        )
        .await;
    assert_eq!(fetch.error, Some(HttpError::Timeout));
    let took = started.elapsed();
    assert!(took >= Duration::from_millis(500), "{took:?}");
    assert!(took < Duration::from_secs(3), "{took:?}");
}

#[tokio::test]
async fn a_post_carries_its_body_and_a_303_goes_on_as_get() {
    let pki = TestPki::new();
    let end =
        WebServer::start(any_port(), None, vec![("/end", Reply::xml("<ok/>"))]).expect("server");
    let server = WebServer::start(
        any_port(),
        Some(pki.server_cert(CertCase::Good, "127.0.0.1")),
        vec![(
            "/post",
            Reply::Redirect {
                status: 303,
                location: format!("http://{}/end", end.addr()),
            },
        )],
    )
    .expect("server");
    let fetch = client(&pki)
        .fetch(
            &Request::post(
                format!("https://{}/post", server.addr()),
                "text/xml",
                b"<Autodiscover/>".to_vec(),
            ),
            in_seconds(5),
        )
        .await;
    assert_eq!(fetch.document(), Some(&b"<ok/>"[..]));
    assert!(fetch.forgeable(), "the answer came over plain HTTP");
    let posted = server.requests();
    assert_eq!(posted[0].method, "POST");
    assert_eq!(posted[0].body, b"<Autodiscover/>");
    assert_eq!(end.requests()[0].method, "GET");
}

#[tokio::test]
async fn what_is_not_http_is_not_fetched() {
    let pki = TestPki::new();
    let fetch = client(&pki).get("ftp://127.0.0.1/x", in_seconds(1)).await;
    assert_eq!(fetch.error, Some(HttpError::NotHttp));
    let refused = client(&pki)
        .get("http://127.0.0.1:9/x", in_seconds(1))
        .await;
    assert!(
        matches!(refused.error, Some(HttpError::Connect(_))),
        "{refused:?}"
    );
}

#[tokio::test]
async fn answers_that_are_not_http_are_errors_in_words() {
    let pki = TestPki::new();
    let mut huge_head = b"HTTP/1.1 200 OK\r\nX-Filler: ".to_vec();
    huge_head.extend(std::iter::repeat_n(b'a', 64 * 1024));
    huge_head.extend_from_slice(b"\r\nContent-Length: 0\r\n\r\n");
    let mut many_headers = b"HTTP/1.1 200 OK\r\n".to_vec();
    for i in 0..500 {
        many_headers.extend_from_slice(format!("X-{i}: y\r\n").as_bytes());
    }
    many_headers.extend_from_slice(b"Content-Length: 0\r\n\r\n");
    let server = WebServer::start(
        any_port(),
        None,
        vec![
            ("/ssh", Reply::Raw(b"SSH-2.0-OpenSSH_9.2\r\n".to_vec())),
            ("/head", Reply::Raw(huge_head)),
            ("/headers", Reply::Raw(many_headers)),
            ("/nothing", Reply::Raw(Vec::new())),
            (
                "/short",
                Reply::Raw(b"HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\nabc".to_vec()),
            ),
        ],
    )
    .expect("server");
    let http = client(&pki);
    for path in ["/ssh", "/head", "/headers", "/nothing", "/short"] {
        let fetch = http
            .get(&format!("http://{}{path}", server.addr()), in_seconds(5))
            .await;
        assert!(
            matches!(fetch.error, Some(HttpError::Protocol(_))),
            "{path}: {fetch:?}"
        );
        assert_eq!(fetch.document(), None, "{path}");
        let words = fetch.outcome();
        assert!(
            words.starts_with("the server's answer is not valid HTTP"),
            "{path}: {words}"
        );
    }
}

//! A small web server on a loopback address, plain HTTP or HTTPS with a test
//! certificate, answering fixed replies by path: it stands in for autoconfig,
//! Autodiscover, ISPDB and MTA-STS servers. It records every request it gets.

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;

use anyhow::Context;

use crate::pki::ServerCert;

/// What the server answers on one path.
#[derive(Debug, Clone)]
pub enum Reply {
    /// `200 OK` with this body.
    Document {
        content_type: &'static str,
        body: Vec<u8>,
    },
    /// This status with an empty body.
    Status(u16),
    /// A redirect (`301`, `302`, …) to `location`.
    Redirect { status: u16, location: String },
    /// `200 OK` with this many bytes of `x`.
    Huge(usize),
    /// Reads the request and never answers (until the client gives up).
    Silent,
    /// These bytes as the whole answer, then the connection closes (for
    /// answers that are not HTTP, or not valid HTTP).
    Raw(Vec<u8>),
}

impl Reply {
    /// An XML document.
    pub fn xml(body: impl Into<String>) -> Reply {
        Reply::Document {
            content_type: "text/xml",
            body: body.into().into_bytes(),
        }
    }
}

/// One request as received.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Seen {
    pub method: String,
    /// The request target: path and query.
    pub target: String,
    pub host: String,
    pub body: Vec<u8>,
}

/// A running server; it stops when dropped.
#[derive(Debug)]
pub struct WebServer {
    addr: SocketAddr,
    stop: Arc<AtomicBool>,
    seen: Arc<Mutex<Vec<Seen>>>,
    thread: Option<JoinHandle<()>>,
}

/// The largest request head and body read.
const MAX_REQUEST: usize = 64 * 1024;

impl WebServer {
    /// Serves `routes` (path without query → reply; other paths get 404) on
    /// `bind`, a loopback address; over TLS with `cert` when given. The
    /// listener is bound when this returns.
    pub fn start(
        bind: SocketAddr,
        cert: Option<ServerCert>,
        routes: Vec<(&str, Reply)>,
    ) -> anyhow::Result<WebServer> {
        anyhow::ensure!(
            bind.ip().is_loopback(),
            "test servers listen on loopback only"
        );
        let tls = match cert {
            None => None,
            Some(cert) => {
                let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
                let config = rustls::ServerConfig::builder_with_provider(provider)
                    .with_safe_default_protocol_versions()?
                    .with_no_client_auth()
                    .with_single_cert(cert.chain, cert.key)
                    .context("rustls rejects the test certificate")?;
                Some(Arc::new(config))
            }
        };
        let listener = TcpListener::bind(bind).with_context(|| format!("bind {bind}"))?;
        let addr = listener.local_addr()?;
        let routes: Arc<Vec<(String, Reply)>> =
            Arc::new(routes.into_iter().map(|(p, r)| (p.to_owned(), r)).collect());
        let stop = Arc::new(AtomicBool::new(false));
        let seen = Arc::new(Mutex::new(Vec::new()));
        let (stopping, seen_by) = (stop.clone(), seen.clone());
        let thread = std::thread::Builder::new()
            .name(format!("testkit-web-{addr}"))
            .spawn(move || {
                for stream in listener.incoming() {
                    if stopping.load(Ordering::SeqCst) {
                        return;
                    }
                    let Ok(stream) = stream else { continue };
                    let (routes, seen, tls) = (routes.clone(), seen_by.clone(), tls.clone());
                    std::thread::spawn(move || {
                        let _ = serve(stream, tls, &routes, &seen);
                    });
                }
            })
            .context("spawn web server thread")?;
        Ok(WebServer {
            addr,
            stop,
            seen,
            thread: Some(thread),
        })
    }

    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// Every request received so far, in order of arrival.
    pub fn requests(&self) -> Vec<Seen> {
        self.seen.lock().unwrap_or_else(|e| e.into_inner()).clone()
    }
}

impl Drop for WebServer {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        // Wake the blocking accept so the thread sees the flag.
        let _ = TcpStream::connect(self.addr);
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

fn serve(
    tcp: TcpStream,
    tls: Option<Arc<rustls::ServerConfig>>,
    routes: &[(String, Reply)],
    seen: &Mutex<Vec<Seen>>,
) -> anyhow::Result<()> {
    match tls {
        None => answer(tcp, routes, seen),
        Some(config) => {
            let connection = rustls::ServerConnection::new(config)?;
            answer(rustls::StreamOwned::new(connection, tcp), routes, seen)
        }
    }
}

/// Reads one request on `stream` and answers it.
fn answer<S: Read + Write>(
    mut stream: S,
    routes: &[(String, Reply)],
    seen: &Mutex<Vec<Seen>>,
) -> anyhow::Result<()> {
    let mut buffer = Vec::new();
    let mut chunk = [0u8; 4096];
    let head_end = loop {
        if let Some(at) = buffer.windows(4).position(|w| w == b"\r\n\r\n") {
            break at + 4;
        }
        anyhow::ensure!(buffer.len() < MAX_REQUEST, "request head too large");
        let n = stream.read(&mut chunk)?;
        anyhow::ensure!(n > 0, "closed before a whole request");
        buffer.extend_from_slice(&chunk[..n]);
    };
    let head = String::from_utf8_lossy(&buffer[..head_end]).into_owned();
    let mut lines = head.split("\r\n");
    let mut request_line = lines.next().unwrap_or_default().split(' ');
    let method = request_line.next().unwrap_or_default().to_owned();
    let target = request_line.next().unwrap_or_default().to_owned();
    let mut host = String::new();
    let mut length = 0usize;
    for line in lines {
        if let Some((name, value)) = line.split_once(':') {
            match name.trim().to_ascii_lowercase().as_str() {
                "host" => host = value.trim().to_owned(),
                "content-length" => length = value.trim().parse().unwrap_or(0),
                _ => {}
            }
        }
    }
    let length = length.min(MAX_REQUEST);
    let mut body = buffer[head_end..].to_vec();
    while body.len() < length {
        let n = stream.read(&mut chunk)?;
        anyhow::ensure!(n > 0, "closed before the whole body");
        body.extend_from_slice(&chunk[..n]);
    }
    body.truncate(length);
    seen.lock().unwrap_or_else(|e| e.into_inner()).push(Seen {
        method,
        target: target.clone(),
        host,
        body,
    });
    let path = target.split('?').next().unwrap_or_default();
    let reply = routes
        .iter()
        .find(|(p, _)| p == path)
        .map_or(Reply::Status(404), |(_, r)| r.clone());
    let (status, headers, body): (u16, String, Vec<u8>) = match reply {
        Reply::Document { content_type, body } => {
            (200, format!("Content-Type: {content_type}\r\n"), body)
        }
        Reply::Status(status) => (status, String::new(), Vec::new()),
        Reply::Redirect { status, location } => {
            (status, format!("Location: {location}\r\n"), Vec::new())
        }
        Reply::Huge(n) => (200, "Content-Type: text/xml\r\n".to_owned(), vec![b'x'; n]),
        Reply::Raw(bytes) => {
            stream.write_all(&bytes)?;
            stream.flush()?;
            return Ok(());
        }
        Reply::Silent => {
            // Wait for the client to give up; whatever it sends is ignored.
            while stream.read(&mut chunk).map(|n| n > 0).unwrap_or(false) {}
            return Ok(());
        }
    };
    write!(
        stream,
        "HTTP/1.1 {status} Test\r\n{headers}Content-Length: {}\r\nConnection: close\r\n\r\n",
        body.len()
    )?;
    stream.write_all(&body)?;
    stream.flush()?;
    Ok(())
}

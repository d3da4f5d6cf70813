//! What hostile peers send: text that would rewrite a terminal or forge output,
//! certificates carrying such text, capability floods, and small HTTP servers
//! that stall or redirect (for `--fetch-missing`).
//!
//! The servers themselves are [`crate::TestServer`]s with a hostile
//! [`crate::Misbehaviour`] or [`crate::CertCase::Hostile`]; this module holds the
//! payloads and builders they use, so tests can name exactly what was sent.

use std::io::{Read, Write};
use std::net::{Ipv4Addr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;

use rcgen::{
    BasicConstraints, CertificateParams, CustomExtension, DnType, IsCa, Issuer, KeyPair,
    KeyUsagePurpose, SanType,
};
use rustls_pki_types::{CertificateDer, PrivatePkcs8KeyDer};

use crate::pki::ServerCert;

/// In server lines, stands for the byte 0xFF, which is not UTF-8 (see [`wire`]).
pub const NOT_UTF8: char = '\u{FFFF}';

/// Terminal control sequences hidden in hostile text: set the window title (OSC
/// ended by BEL), clear the screen, ask the terminal to answer (device status
/// report), start blinking. mailtls's own colours never use any of them.
pub const TERMINAL_SEQUENCES: [&str; 4] = ["\x1b]0;PWNED\x07", "\x1b[2J", "\x1b[6n", "\x1b[5m"];

/// A forged monitoring-plugin status line, as a hostile server would plant it
/// after a line break.
pub const FORGED_NAGIOS: &str = "MAILTLS OK - forged | 'days'=999;30:;7:";

/// Hostile text for the server-controlled field `field`, valid UTF-8: every
/// terminal sequence of [`TERMINAL_SEQUENCES`], CR (overwrite the line), BS,
/// NUL, DEL, the C1 control CSI (U+009B), a right-to-left override (U+202E) and
/// a `|` (starts monitoring performance data). `<field>` and `</field>` frame it,
/// so a test can tell which field leaked. No spaces, so IMAP keeps it as few atoms.
pub fn payload(field: &str) -> String {
    format!(
        "<{field}>{}\rFORGED\x08\x00\x7f\u{9b}6n\u{202e}desrever|pipe</{field}>",
        TERMINAL_SEQUENCES.concat()
    )
}

/// [`payload`] plus a byte that is not UTF-8, for server lines (sent through [`wire`]).
pub fn line_payload(field: &str) -> String {
    let text = payload(field);
    let end = text.len() - format!("</{field}>").len();
    format!("{}{NOT_UTF8}{}", &text[..end], &text[end..])
}

/// Hostile text restricted to ASCII (IA5String: SAN dNSName, AIA URI), with a
/// line break and a forged status line: `<field>` ESC sequences, BEL, CR LF,
/// [`FORGED_NAGIOS`], BS, NUL, DEL, `</field>`.
pub fn ascii_payload(field: &str) -> String {
    format!(
        "<{field}>{}\r\n{FORGED_NAGIOS}\x08\x00\x7f</{field}>",
        TERMINAL_SEQUENCES.concat()
    )
}

/// Hostile text for certificate names (UTF8String): [`payload`]'s characters
/// and a line break with a forged status line.
pub fn name_payload(field: &str) -> String {
    format!(
        "<{field}>{}\r\n{FORGED_NAGIOS}\x08\x00\x7f\u{9b}6n\u{202e}desrever</{field}>",
        TERMINAL_SEQUENCES.concat()
    )
}

/// The bytes to send for a server line: [`NOT_UTF8`] becomes the byte 0xFF.
pub fn wire(text: &str) -> Vec<u8> {
    let mut out = Vec::with_capacity(text.len());
    for c in text.chars() {
        if c == NOT_UTF8 {
            out.push(0xFF);
        } else {
            let mut buf = [0u8; 4];
            out.extend_from_slice(c.encode_utf8(&mut buf).as_bytes());
        }
    }
    out
}

/// Lines of a [`crate::Misbehaviour::CapabilityFlood`] reply, besides the real
/// capability line and the tagged OK: 502 lines in all, under the client's 512.
pub const FLOOD_LINES: usize = 500;
/// One-letter atoms per flood line: 16,013 bytes a line, under the client's 16 KiB.
pub const FLOOD_ATOMS: usize = 8000;

/// One untagged IMAP flood line: `* CAPABILITY A B C …` with [`FLOOD_ATOMS`] atoms.
pub fn flood_line() -> String {
    let mut line = String::with_capacity(16 + 2 * FLOOD_ATOMS);
    line.push_str("* CAPABILITY");
    for i in 0..FLOOD_ATOMS {
        line.push(' ');
        line.push(char::from(b'A' + (i % 26) as u8));
    }
    line.push_str("\r\n");
    line
}

/// The bytes a server sends for one whole flood reply, per CAPABILITY command.
pub fn flood_bytes_per_reply() -> usize {
    FLOOD_LINES * flood_line().len()
}

/// A ServerHello for TLS 1.0 (no supported_versions extension), in one record:
/// what a server that speaks only TLS 1.0 answers a modern ClientHello with.
pub fn tls10_server_hello() -> Vec<u8> {
    let mut body = vec![0x03, 0x01];
    body.extend((0..32u8).map(|i| i.wrapping_mul(7).wrapping_add(1)));
    body.push(0); // session id length
    body.extend_from_slice(&[0x00, 0x2f]); // TLS_RSA_WITH_AES_128_CBC_SHA
    body.push(0); // no compression
    let mut handshake = vec![0x02, 0x00, 0x00, body.len() as u8];
    handshake.extend(body);
    let mut record = vec![0x16, 0x03, 0x01, 0x00, handshake.len() as u8];
    record.extend(handshake);
    record
}

/// Certificates whose names carry hostile text (see [`crate::CertCase::Hostile`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HostileCert {
    /// Leaf with a hostile subject (CN [`name_payload`]`("cn")` followed by a whole
    /// PEM block of another certificate, O [`name_payload`]`("o")`), hostile SAN
    /// dNSNames ([`ascii_payload`]`("san")` and `("san2")`) and a hostile AIA URL
    /// ([`ascii_payload`]`("aia")`), issued by the hostile CA ([`hostile_ca`],
    /// CN [`name_payload`]`("issuer")`); chain [leaf, hostile CA].
    Names,
    /// Self-signed leaf whose only name is its hostile subject (CN
    /// [`name_payload`]`("self")` plus a PEM block); no subjectAltName.
    SelfSigned,
    /// Leaf for the server's name with a hostile AIA URL, issued by the hostile
    /// CA, which is not sent: chain [leaf].
    MissingIssuer,
}

/// A self-signed CA whose subject is hostile: CN [`name_payload`]`("issuer")`.
/// Also the certificate authority a [`crate::ClientAuth::OptionalHostileNames`]
/// server names when it asks for a client certificate.
pub fn hostile_ca() -> (CertificateDer<'static>, Issuer<'static, KeyPair>) {
    let key = KeyPair::generate().expect("generate hostile CA key");
    let mut params = CertificateParams::default();
    params.distinguished_name = rcgen::DistinguishedName::new();
    params
        .distinguished_name
        .push(DnType::OrganizationName, "mailtls hostile tests");
    params
        .distinguished_name
        .push(DnType::CommonName, name_payload("issuer"));
    params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    params.key_usages = vec![
        KeyUsagePurpose::KeyCertSign,
        KeyUsagePurpose::CrlSign,
        KeyUsagePurpose::DigitalSignature,
    ];
    params.not_before = time::OffsetDateTime::now_utc() - time::Duration::days(30);
    params.not_after = time::OffsetDateTime::now_utc() + time::Duration::days(365);
    let cert = params.self_signed(&key).expect("sign hostile CA");
    (cert.der().clone(), Issuer::new(params, key))
}

/// A hostile certificate chain for a server named `name`; `planted` is the
/// certificate whose PEM block the hostile subjects carry.
pub(crate) fn hostile_cert(
    case: HostileCert,
    name: &str,
    planted: &CertificateDer<'_>,
    leaf_params: impl Fn(&[&str]) -> CertificateParams,
) -> ServerCert {
    let plant = pem::encode_config(
        &pem::Pem::new("CERTIFICATE", planted.as_ref()),
        pem::EncodeConfig::new().set_line_ending(pem::LineEnding::LF),
    );
    let key = KeyPair::generate().expect("generate leaf key");
    let aia = CustomExtension::from_oid_content(
        &[1, 3, 6, 1, 5, 5, 7, 1, 1],
        aia_ca_issuers(&format!("http://127.0.0.1:9/{}.der", ascii_payload("aia"))),
    );
    let (ca, issuer) = hostile_ca();
    let leaf = match case {
        HostileCert::Names => {
            let mut params = leaf_params(&[name]);
            params.subject_alt_names = vec![
                SanType::DnsName(ascii_payload("san").try_into().expect("ASCII")),
                SanType::DnsName("evil.test".try_into().expect("ASCII")),
                SanType::DnsName(ascii_payload("san2").try_into().expect("ASCII")),
            ];
            params.distinguished_name = rcgen::DistinguishedName::new();
            params
                .distinguished_name
                .push(DnType::OrganizationName, name_payload("o"));
            params.distinguished_name.push(
                DnType::CommonName,
                format!("{}\n{plant}", name_payload("cn")),
            );
            params.custom_extensions.push(aia);
            params.signed_by(&key, &issuer)
        }
        HostileCert::SelfSigned => {
            let mut params = leaf_params(&[name]);
            params.subject_alt_names = Vec::new();
            params.distinguished_name = rcgen::DistinguishedName::new();
            params.distinguished_name.push(
                DnType::CommonName,
                format!("{}\n{plant}", name_payload("self")),
            );
            params.self_signed(&key)
        }
        HostileCert::MissingIssuer => {
            let mut params = leaf_params(&[name]);
            params.custom_extensions.push(aia);
            params.signed_by(&key, &issuer)
        }
    }
    .expect("sign hostile leaf");
    let chain = match case {
        HostileCert::Names => vec![leaf.der().clone(), ca],
        HostileCert::SelfSigned | HostileCert::MissingIssuer => vec![leaf.der().clone()],
    };
    ServerCert {
        chain,
        key: PrivatePkcs8KeyDer::from(key.serialize_der()).into(),
    }
}

/// A DER TLV with a definite length (short or long form).
fn der(tag: u8, content: &[u8]) -> Vec<u8> {
    let mut out = vec![tag];
    let len = content.len();
    if len < 0x80 {
        out.push(len as u8);
    } else {
        let bytes: Vec<u8> = len
            .to_be_bytes()
            .into_iter()
            .skip_while(|&b| b == 0)
            .collect();
        out.push(0x80 | bytes.len() as u8);
        out.extend(bytes);
    }
    out.extend_from_slice(content);
    out
}

/// AuthorityInfoAccess with one caIssuers URI of any length:
/// SEQUENCE { SEQUENCE { id-ad-caIssuers, [6] IA5String url } }.
pub(crate) fn aia_ca_issuers(url: &str) -> Vec<u8> {
    const CA_ISSUERS: [u8; 10] = [0x06, 0x08, 0x2B, 0x06, 0x01, 0x05, 0x05, 0x07, 0x30, 0x02];
    let mut access = CA_ISSUERS.to_vec();
    access.extend(der(0x86, url.as_bytes()));
    der(0x30, &der(0x30, &access))
}

/// What a [`HttpScript`] does with each connection.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum HttpBehaviour {
    /// Reads the request and never answers (until dropped).
    Silent,
    /// Answers `302 Found` with this `Location`; `{self}` in it becomes the
    /// server's own port (for a redirect loop).
    Redirect(String),
    /// Closes the connection at once (a listener that only counts visitors).
    Close,
}

/// A small HTTP server on 127.0.0.1 that misbehaves as told and counts the
/// connections it accepted.
#[derive(Debug)]
pub struct HttpScript {
    port: u16,
    accepted: Arc<AtomicUsize>,
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
}

impl HttpScript {
    /// Binds 127.0.0.1:0; the listener is bound when this returns.
    pub fn serve(behaviour: HttpBehaviour) -> std::io::Result<HttpScript> {
        Self::serve_on(Ipv4Addr::LOCALHOST, behaviour)
    }

    /// Like [`HttpScript::serve`], on another loopback address (e.g. 127.0.0.2,
    /// standing in for another host).
    pub fn serve_on(ip: Ipv4Addr, behaviour: HttpBehaviour) -> std::io::Result<HttpScript> {
        assert!(ip.is_loopback(), "test servers listen on loopback only");
        let listener = TcpListener::bind((ip, 0))?;
        let port = listener.local_addr()?.port();
        let accepted = Arc::new(AtomicUsize::new(0));
        let stop = Arc::new(AtomicBool::new(false));
        let (counting, stopping) = (accepted.clone(), stop.clone());
        let held: Arc<Mutex<Vec<TcpStream>>> = Arc::default();
        let thread = std::thread::spawn(move || {
            for stream in listener.incoming() {
                if stopping.load(Ordering::SeqCst) {
                    return;
                }
                let Ok(mut stream) = stream else { continue };
                counting.fetch_add(1, Ordering::SeqCst);
                match &behaviour {
                    HttpBehaviour::Close => {}
                    HttpBehaviour::Silent => {
                        let mut request = [0u8; 2048];
                        let _ = stream.read(&mut request);
                        held.lock().unwrap_or_else(|e| e.into_inner()).push(stream);
                    }
                    HttpBehaviour::Redirect(location) => {
                        let mut request = [0u8; 2048];
                        let _ = stream.read(&mut request);
                        let location = location.replace("{self}", &port.to_string());
                        let head = format!(
                            "HTTP/1.1 302 Found\r\nLocation: {location}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
                        );
                        let _ = stream.write_all(head.as_bytes());
                    }
                }
            }
        });
        Ok(HttpScript {
            port,
            accepted,
            stop,
            thread: Some(thread),
        })
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    /// Connections accepted so far.
    pub fn connections(&self) -> usize {
        self.accepted.load(Ordering::SeqCst)
    }
}

impl Drop for HttpScript {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        // Wake the blocking accept so the thread sees the flag; the wake-up is not counted
        // by anyone who reads `connections` before dropping.
        let _ = TcpStream::connect((Ipv4Addr::LOCALHOST, self.port));
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn payloads_carry_what_they_promise() {
        let p = payload("greeting");
        for needle in TERMINAL_SEQUENCES {
            assert!(p.contains(needle));
        }
        for c in ['\r', '\x08', '\0', '\x7f', '\u{9b}', '\u{202e}', '|'] {
            assert!(p.contains(c), "{c:?}");
        }
        assert!(!p.contains(' '), "one IMAP atom or two, never a space");
        let wired = wire(&line_payload("x"));
        assert!(wired.contains(&0xFF));
        assert!(String::from_utf8(wired).is_err());
        assert!(ascii_payload("san").is_ascii());
        assert!(ascii_payload("san").contains("\r\nMAILTLS OK"));
        assert!(flood_line().len() < 16 * 1024);
        assert_eq!(tls10_server_hello().len(), 5 + 4 + 38);
    }

    #[test]
    fn long_der_lengths() {
        assert_eq!(der(0x04, &[0; 5])[..2], [0x04, 5]);
        assert_eq!(der(0x04, &[0; 200])[..3], [0x04, 0x81, 200]);
        assert_eq!(der(0x04, &[0; 300])[..4], [0x04, 0x82, 0x01, 0x2c]);
    }
}

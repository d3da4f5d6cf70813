//! A real authoritative DNS server for the tests: Debian's NSD on 127.0.0.1
//! at a free high port, serving zones the test writes, the signed ones
//! signed by ldns (`ldns-keygen`, `ldns-signzone`) with fresh keys per run,
//! under a signed test root that delegates to them with DS records, so
//! validation walks the chain of trust as it does from the real root. The
//! root's key-signing key is written as the trust-anchor file for mailtls's
//! `--trust-anchor`. Missing programs skip the test unless `CI` is set.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use super::{program, start_dns_server, under_ci};

/// The programs, or `None` with the reason printed (a failure under CI).
fn programs() -> Option<(PathBuf, PathBuf, PathBuf)> {
    let found = (
        program("nsd"),
        program("ldns-keygen"),
        program("ldns-signzone"),
    );
    match found {
        (Some(nsd), Some(keygen), Some(sign)) => Some((nsd, keygen, sign)),
        _ => {
            assert!(
                !under_ci(),
                "nsd or ldnsutils is not installed (CI is set; .ci/install-servers.sh installs them)"
            );
            println!(
                "SKIP: nsd or ldnsutils is not installed (set CI=true to make this a failure)"
            );
            None
        }
    }
}

/// One zone for the server: its origin and records (zone-file lines, names
/// relative to the origin or absolute).
pub struct Zone {
    pub origin: String,
    pub records: Vec<String>,
    /// Sign it (with a fresh KSK and ZSK).
    pub signed: bool,
    /// After signing, replace the first `from` in the signed text by `to`
    /// (a record altered after signing: its signature no longer verifies).
    pub tamper: Option<(String, String)>,
    /// The parent's DS names a key the zone does not sign with.
    pub ds_mismatch: bool,
}

impl Zone {
    pub fn signed(origin: &str, records: &[String]) -> Zone {
        Zone {
            origin: origin.to_owned(),
            records: records.to_vec(),
            signed: true,
            tamper: None,
            ds_mismatch: false,
        }
    }

    pub fn unsigned(origin: &str, records: &[String]) -> Zone {
        Zone {
            signed: false,
            ..Zone::signed(origin, records)
        }
    }
}

/// A running NSD; stopped when dropped.
pub struct Nsd {
    child: Child,
    pub port: u16,
    /// The test root's key-signing key (a DNSKEY line): the trust anchor.
    pub anchor: PathBuf,
    _dir: tempfile::TempDir,
}

fn run(program: &Path, args: &[&str], dir: &Path) -> String {
    let output = Command::new(program)
        .args(args)
        .current_dir(dir)
        .output()
        .unwrap_or_else(|e| panic!("{} runs: {e}", program.display()));
    assert!(
        output.status.success(),
        "{} {args:?}: {}",
        program.display(),
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8_lossy(&output.stdout).trim().to_owned()
}

/// Writes `zone` as zone file `file` in `path`, signed when asked; the name
/// of the file to serve, and the DS record of its key-signing key.
fn write_zone(
    zone: &Zone,
    file: &str,
    path: &Path,
    keygen: &Path,
    sign: &Path,
) -> (String, Option<String>) {
    let origin = match zone.origin.trim_end_matches('.') {
        "" => ".".to_owned(),
        name => format!("{name}."),
    };
    let ns = match origin.as_str() {
        "." => "ns.".to_owned(),
        _ => format!("ns.{origin}"),
    };
    let mut text = format!(
        "$ORIGIN {origin}\n$TTL 300\n@ IN SOA {ns} hostmaster.{ns} 1 3600 600 86400 300\n@ IN NS {ns}\n{ns} IN A 127.0.0.1\n"
    );
    for record in &zone.records {
        text.push_str(record);
        text.push('\n');
    }
    std::fs::write(path.join(file), text).expect("write zone");
    if !zone.signed {
        return (file.to_owned(), None);
    }
    let ksk = run(keygen, &["-a", "ECDSAP256SHA256", "-k", &origin], path);
    let zsk = run(keygen, &["-a", "ECDSAP256SHA256", &origin], path);
    let signed = format!("{file}.signed");
    run(sign, &["-f", &signed, file, &ksk, &zsk], path);
    if let Some((from, to)) = &zone.tamper {
        // ldns may write hex in either case: find it regardless.
        let mut text = std::fs::read_to_string(path.join(&signed)).expect("signed");
        let at = text
            .to_ascii_lowercase()
            .find(&from.to_ascii_lowercase())
            .unwrap_or_else(|| panic!("{from:?} not in the signed zone"));
        text.replace_range(at..at + from.len(), to);
        std::fs::write(path.join(&signed), text).expect("tamper");
    }
    // The parent publishes the DS of the key-signing key, or with
    // `ds_mismatch` that of a key the zone never signs with.
    let ds_of = match zone.ds_mismatch {
        false => ksk.clone(),
        true => run(keygen, &["-a", "ECDSAP256SHA256", "-k", &origin], path),
    };
    let ds = std::fs::read_to_string(path.join(format!("{ds_of}.ds"))).expect("ds");
    if origin == "." {
        // The root's key-signing key is the trust anchor, as in production.
        let key = std::fs::read_to_string(path.join(format!("{ksk}.key"))).expect("key");
        std::fs::write(path.join("anchor.key"), key).expect("anchor");
        // And its DS record, as IANA publishes the root's anchors.
        std::fs::write(path.join("anchor.ds"), &ds).expect("anchor DS");
    }
    (signed, Some(ds))
}

impl Nsd {
    /// Writes and signs the zones and a signed test root above them, and
    /// starts NSD; `None` when skipped. The root delegates each zone whose
    /// parent is not among `zones` (with its DS when signed); a zone below
    /// another given zone is delegated by that zone's own records. The
    /// root's key-signing key is the trust anchor (`anchor`).
    pub fn start(zones: &[Zone]) -> Option<Nsd> {
        let (nsd, keygen, sign) = programs()?;
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path();
        let mut config_zones = String::new();
        let mut root = Zone::signed(".", &[]);
        for (i, zone) in zones.iter().enumerate() {
            let (served, ds) = write_zone(zone, &format!("zone{i}"), path, &keygen, &sign);
            let name = zone.origin.trim_end_matches('.');
            let below_another = zones.iter().any(|other| {
                let parent = other.origin.trim_end_matches('.');
                name.ends_with(&format!(".{parent}"))
            });
            if !below_another {
                root.records.push(format!("{name}. IN NS ns.{name}."));
                root.records.push(format!("ns.{name}. IN A 127.0.0.1"));
                if let Some(ds) = ds {
                    root.records.push(ds.trim().to_owned());
                }
            }
            config_zones.push_str(&format!(
                "zone:\n    name: \"{name}.\"\n    zonefile: \"{}\"\n",
                path.join(&served).display()
            ));
        }
        let (served, _) = write_zone(&root, "root", path, &keygen, &sign);
        config_zones.push_str(&format!(
            "zone:\n    name: \".\"\n    zonefile: \"{}\"\n",
            path.join(&served).display()
        ));
        let anchor_path = path.join("anchor.key");
        let p = path.display();
        let (child, port) = start_dns_server("nsd", Duration::from_secs(10), "in use", |port| {
            let config = format!(
                "server:\n    ip-address: 127.0.0.1@{port}\n    do-ip6: no\n    username: \"\"\n    chroot: \"\"\n    zonesdir: \"{p}\"\n    database: \"\"\n    zonelistfile: \"{p}/zone.list\"\n    xfrdfile: \"{p}/xfrd.state\"\n    pidfile: \"{p}/nsd.pid\"\n    server-count: 1\n    verbosity: 1\nremote-control:\n    control-enable: no\n{config_zones}"
            );
            let conf = path.join(format!("nsd-{port}.conf"));
            std::fs::write(&conf, config).expect("config");
            Command::new(&nsd)
                .args(["-d", "-c"])
                .arg(&conf)
                .stdin(Stdio::null())
                .stdout(Stdio::null())
                .stderr(Stdio::piped())
                .spawn()
                .expect("nsd starts")
        });
        Some(Nsd {
            child,
            port,
            anchor: anchor_path,
            _dir: dir,
        })
    }

    pub fn server(&self) -> String {
        format!("127.0.0.1:{}", self.port)
    }

    /// The test root's key-signing key as a DS record.
    pub fn anchor_ds(&self) -> String {
        self.anchor
            .with_extension("ds")
            .to_str()
            .expect("utf-8 path")
            .to_owned()
    }

    pub fn anchor(&self) -> &str {
        self.anchor.to_str().expect("utf-8 path")
    }
}

impl Drop for Nsd {
    fn drop(&mut self) {
        // SIGTERM: NSD then stops its server and xfrd processes too.
        let stopped = Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status()
            .is_ok_and(|s| s.success());
        if !stopped {
            let _ = self.child.kill();
        }
        let _ = self.child.wait();
    }
}

/// Lower-case hex.
#[allow(dead_code)]
pub fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// The data of a `3 1 1` TLSA record for a certificate: SHA-256 of its SPKI.
#[allow(dead_code)]
pub fn spki_sha256(der: &rustls_pki_types::CertificateDer<'_>) -> String {
    let (_, cert) = x509_parser::parse_x509_certificate(der).expect("certificate");
    let spki = cert.tbs_certificate.subject_pki.raw;
    hex(aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA256, spki).as_ref())
}

/// An SMTP STARTTLS test server for `name` on `address`:25 (root may bind
/// port 25 of any loopback address; each test has its own address).
#[allow(dead_code)]
pub fn smtp_at(pki: &super::Pki, name: &str, address: &str) -> mailtls_testkit::TestServer {
    use mailtls_testkit::{Proto, ServerSpec, TestServer, Transport};
    let bind: std::net::SocketAddr = format!("{address}:25").parse().expect("address");
    TestServer::try_start_on(
        ServerSpec::new(Proto::Smtp, Transport::Starttls).name(name),
        &pki.pki,
        bind,
    )
    .expect("SMTP server on port 25")
}

/// A DNS server at a distance: a proxy on 127.0.0.1 (UDP and TCP, one free
/// port) that passes every question to `upstream` and its answer back
/// `delay` later, each question on its own, as a resolver some milliseconds
/// away answers. It simulates a round trip; nothing waits on it to order
/// events. Its threads end with the test process.
#[allow(dead_code)]
pub struct Distant {
    pub port: u16,
}

#[allow(dead_code)]
impl Distant {
    pub fn to(upstream: &str, delay: Duration) -> Distant {
        use std::io::{Read, Write};
        use std::net::{TcpListener, TcpStream, UdpSocket};
        let upstream: std::net::SocketAddr = upstream.parse().expect("ADDR:PORT");
        let (udp, tcp) = (0..20)
            .find_map(|_| {
                let udp = UdpSocket::bind("127.0.0.1:0").ok()?;
                let port = udp.local_addr().ok()?.port();
                let tcp = TcpListener::bind(("127.0.0.1", port)).ok()?;
                Some((udp, tcp))
            })
            .expect("a free port for UDP and TCP");
        let port = udp.local_addr().expect("port").port();
        std::thread::spawn(move || loop {
            let mut buf = vec![0u8; 65535];
            let Ok((n, client)) = udp.recv_from(&mut buf) else {
                return;
            };
            let reply_to = udp.try_clone().expect("socket");
            std::thread::spawn(move || {
                std::thread::sleep(delay);
                let ask = UdpSocket::bind("127.0.0.1:0").expect("socket");
                ask.set_read_timeout(Some(Duration::from_secs(5)))
                    .expect("timeout");
                ask.send_to(&buf[..n], upstream).expect("ask");
                let mut answer = vec![0u8; 65535];
                if let Ok(m) = ask.recv(&mut answer) {
                    let _ = reply_to.send_to(&answer[..m], client);
                }
            });
        });
        std::thread::spawn(move || {
            for stream in tcp.incoming() {
                let Ok(mut client) = stream else { return };
                std::thread::spawn(move || loop {
                    let mut len = [0u8; 2];
                    if client.read_exact(&mut len).is_err() {
                        return;
                    }
                    let mut question = vec![0u8; usize::from(u16::from_be_bytes(len))];
                    if client.read_exact(&mut question).is_err() {
                        return;
                    }
                    std::thread::sleep(delay);
                    let Ok(mut ask) = TcpStream::connect(upstream) else {
                        return;
                    };
                    let mut answer_len = [0u8; 2];
                    let sent = ask.write_all(&len).and_then(|_| ask.write_all(&question));
                    if sent.and_then(|_| ask.read_exact(&mut answer_len)).is_err() {
                        return;
                    }
                    let mut answer = vec![0u8; usize::from(u16::from_be_bytes(answer_len))];
                    if ask.read_exact(&mut answer).is_err() {
                        return;
                    }
                    let replied = client
                        .write_all(&answer_len)
                        .and_then(|_| client.write_all(&answer));
                    if replied.is_err() {
                        return;
                    }
                });
            }
        });
        Distant { port }
    }

    pub fn server(&self) -> String {
        format!("127.0.0.1:{}", self.port)
    }
}

//! A real authoritative DNS server for the tests: Debian's NSD on 127.0.0.1
//! at a free high port, serving zones the test writes, the signed ones
//! signed by ldns (`ldns-keygen`, `ldns-signzone`) with a fresh key pair per
//! run. The signed zones' DNSKEY sets are written as a trust-anchor file for mailtls's
//! `--trust-anchor`. Missing programs skip the test unless `CI` is set.

use std::net::{TcpListener, TcpStream, UdpSocket};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

fn under_ci() -> bool {
    std::env::var("CI").is_ok_and(|v| !v.is_empty() && v != "false" && v != "0")
}

fn program(name: &str) -> Option<PathBuf> {
    let path = std::env::var_os("PATH").unwrap_or_default();
    std::env::split_paths(&path)
        .chain([PathBuf::from("/usr/sbin"), PathBuf::from("/sbin")])
        .map(|dir| dir.join(name))
        .find(|p| p.is_file())
}

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
}

impl Zone {
    pub fn signed(origin: &str, records: &[String]) -> Zone {
        Zone {
            origin: origin.to_owned(),
            records: records.to_vec(),
            signed: true,
            tamper: None,
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
    /// The DNSKEY records of the signed zones, one a line.
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

impl Nsd {
    /// Writes and signs the zones and starts NSD; `None` when skipped.
    pub fn start(zones: &[Zone]) -> Option<Nsd> {
        let (nsd, keygen, sign) = programs()?;
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path();
        let mut anchor = String::new();
        let mut config_zones = String::new();
        for (i, zone) in zones.iter().enumerate() {
            let origin = format!("{}.", zone.origin.trim_end_matches('.'));
            let mut text = format!(
                "$ORIGIN {origin}\n$TTL 300\n@ IN SOA ns.{origin} hostmaster.{origin} 1 3600 600 86400 300\n@ IN NS ns.{origin}\nns IN A 127.0.0.1\n"
            );
            for record in &zone.records {
                text.push_str(record);
                text.push('\n');
            }
            let file = format!("zone{i}");
            std::fs::write(path.join(&file), text).expect("write zone");
            let mut served = file.clone();
            if zone.signed {
                let ksk = run(&keygen, &["-a", "ECDSAP256SHA256", "-k", &origin], path);
                let zsk = run(&keygen, &["-a", "ECDSAP256SHA256", &origin], path);
                run(
                    &sign,
                    &["-f", &format!("{file}.signed"), &file, &ksk, &zsk],
                    path,
                );
                served = format!("{file}.signed");
                if let Some((from, to)) = &zone.tamper {
                    // ldns may write hex in either case: find it regardless.
                    let mut signed = std::fs::read_to_string(path.join(&served)).expect("signed");
                    let at = signed
                        .to_ascii_lowercase()
                        .find(&from.to_ascii_lowercase())
                        .unwrap_or_else(|| panic!("{from:?} not in the signed zone"));
                    signed.replace_range(at..at + from.len(), to);
                    std::fs::write(path.join(&served), signed).expect("tamper");
                }
                // The zone's whole DNSKEY set, as `dig DNSKEY` would print it:
                // the anchor validates the set without asking for a DS.
                for key in [&ksk, &zsk] {
                    anchor.push_str(
                        &std::fs::read_to_string(path.join(format!("{key}.key"))).expect("key"),
                    );
                }
            }
            config_zones.push_str(&format!(
                "zone:\n    name: \"{origin}\"\n    zonefile: \"{}\"\n",
                path.join(&served).display()
            ));
        }
        let anchor_path = path.join("anchor.key");
        std::fs::write(&anchor_path, &anchor).expect("anchor");
        for _ in 0..5 {
            let port = UdpSocket::bind("127.0.0.1:0")
                .and_then(|s| s.local_addr())
                .expect("free port")
                .port();
            if TcpListener::bind(("127.0.0.1", port)).is_err() {
                continue;
            }
            let p = path.display();
            let config = format!(
                "server:\n    ip-address: 127.0.0.1@{port}\n    do-ip6: no\n    username: \"\"\n    chroot: \"\"\n    zonesdir: \"{p}\"\n    database: \"\"\n    zonelistfile: \"{p}/zone.list\"\n    xfrdfile: \"{p}/xfrd.state\"\n    pidfile: \"{p}/nsd.pid\"\n    server-count: 1\n    verbosity: 1\nremote-control:\n    control-enable: no\n{config_zones}"
            );
            let conf = path.join(format!("nsd-{port}.conf"));
            std::fs::write(&conf, config).expect("config");
            let mut child = Command::new(&nsd)
                .args(["-d", "-c"])
                .arg(&conf)
                .stdin(Stdio::null())
                .stdout(Stdio::null())
                .stderr(Stdio::piped())
                .spawn()
                .expect("nsd starts");
            let start = Instant::now();
            while start.elapsed() < Duration::from_secs(10) {
                if let Ok(Some(status)) = child.try_wait() {
                    let mut text = String::new();
                    if let Some(mut err) = child.stderr.take() {
                        let _ = std::io::Read::read_to_string(&mut err, &mut text);
                    }
                    if text.contains("in use") {
                        break;
                    }
                    panic!("nsd exited ({status}): {text}");
                }
                if TcpStream::connect(("127.0.0.1", port)).is_ok() {
                    return Some(Nsd {
                        child,
                        port,
                        anchor: anchor_path,
                        _dir: dir,
                    });
                }
                std::thread::sleep(Duration::from_millis(50));
            }
            let _ = child.kill();
            let _ = child.wait();
        }
        panic!("nsd did not start");
    }

    pub fn server(&self) -> String {
        format!("127.0.0.1:{}", self.port)
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

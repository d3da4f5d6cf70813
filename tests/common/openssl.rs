//! Starting `openssl s_server` on a free loopback port and waiting until it
//! listens, and what it is started with: self-signed certificates and a
//! configuration that allows legacy protocols.

use std::io::Read;
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// An OPENSSL_CONF that loads the legacy provider and drops the security level
/// to 0, instead of Debian's system file (TLS 1.2 minimum, SECLEVEL 2).
pub const LEGACY_CONF: &str = "openssl_conf = openssl_init\n\
     [openssl_init]\nproviders = provider_sect\nssl_conf = ssl_sect\n\
     [provider_sect]\ndefault = default_sect\nlegacy = legacy_sect\n\
     [default_sect]\nactivate = 1\n[legacy_sect]\nactivate = 1\n\
     [ssl_sect]\nsystem_default = system_default_sect\n\
     [system_default_sect]\nCipherString = ALL:@SECLEVEL=0\n";

/// A self-signed certificate for `name` (its subject and DNS name) and a new
/// key made with `openssl req -newkey KEY...` (`["rsa:2048"]`, or an
/// algorithm with its `-pkeyopt`s), written to `dir` as NAME.pem and NAME.key.
pub fn self_signed(dir: &Path, name: &str, key: &[&str]) -> (PathBuf, PathBuf) {
    let (cert, key_path) = (
        dir.join(format!("{name}.pem")),
        dir.join(format!("{name}.key")),
    );
    let status = Command::new("openssl")
        .args(["req", "-x509", "-nodes", "-days", "30", "-newkey"])
        .args(key)
        .args([
            "-subj",
            &format!("/CN={name}"),
            "-addext",
            &format!("subjectAltName=DNS:{name}"),
        ])
        .arg("-keyout")
        .arg(&key_path)
        .arg("-out")
        .arg(&cert)
        .stderr(Stdio::null())
        .status()
        .expect("run openssl req");
    assert!(status.success(), "openssl req failed");
    (cert, key_path)
}

/// `openssl s_server -accept 127.0.0.1:PORT -cert CERT -key KEY`, to which
/// the caller of [`start_s_server`] adds what its server needs.
pub fn s_server(port: u16, cert: &Path, key: &Path) -> Command {
    let mut command = Command::new("openssl");
    command
        .arg("s_server")
        .args(["-accept", &format!("127.0.0.1:{port}")])
        .arg("-cert")
        .arg(cert)
        .arg("-key")
        .arg(key);
    command
}

/// A running `openssl s_server`, killed when dropped (also when a test
/// panics before its end).
pub struct SServer {
    child: Child,
    pub addr: SocketAddr,
}

impl Drop for SServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Runs `command(port)` (an `openssl s_server -accept 127.0.0.1:PORT …`) on a
/// port the kernel chose, and returns once it accepts connections. Another
/// process could take the port in between, so a server that exits at once
/// because of it is started again on another port.
pub fn start_s_server(command: impl Fn(u16) -> Command) -> SServer {
    for _ in 0..5 {
        let port = TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .expect("a free port")
            .port();
        let mut child = command(port)
            .stdin(Stdio::piped())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .expect("start openssl s_server");
        let addr = SocketAddr::from(([127, 0, 0, 1], port));
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            if let Ok(Some(status)) = child.try_wait() {
                let mut stderr = String::new();
                if let Some(mut pipe) = child.stderr.take() {
                    let _ = pipe.read_to_string(&mut stderr);
                }
                if stderr.contains("Address already in use") {
                    break;
                }
                panic!("openssl s_server exited ({status}): {stderr}");
            }
            if TcpStream::connect_timeout(&addr, Duration::from_millis(200)).is_ok() {
                return SServer { child, addr };
            }
            assert!(
                Instant::now() < deadline,
                "openssl s_server did not listen in time"
            );
            std::thread::yield_now();
        }
    }
    panic!("no free port for openssl s_server");
}

//! Starting `openssl s_server` on a free loopback port and waiting until it listens.

use std::io::Read;
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// Runs `command(port)` (an `openssl s_server -accept 127.0.0.1:PORT …`) on a
/// port the kernel chose, and returns once it accepts connections. Another
/// process could take the port in between, so a server that exits at once
/// because of it is started again on another port.
pub fn start_s_server(command: impl Fn(u16) -> Command) -> (Child, SocketAddr) {
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
                return (child, addr);
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

//! A real DNS server for the tests: Debian's dnsmasq on 127.0.0.1 at a free
//! port, answering for the `.test` zone only from the records given
//! (`--srv-host`, `--host-record`, `--mx-host`); nothing else is answered or
//! asked upstream; or as a forwarder to another test server that strips
//! DNSSEC signatures from its answers.
//!
//! Without dnsmasq a test is skipped with a printed reason, unless `CI` is
//! set: then it fails (`.ci/install-servers.sh` installs it).

use std::process::{Child, Command, Stdio};
use std::time::Duration;

use super::{program, start_dns_server, under_ci};

/// A dnsmasq answering for the test zone only, on 127.0.0.1 at a free port.
pub struct Dns {
    child: Child,
    port: u16,
}

impl Dns {
    /// `None` (with the reason printed) when dnsmasq is missing and CI is unset.
    pub fn start(records: &[String]) -> Option<Dns> {
        // Every name under .test that is not configured: NXDOMAIN, never asked upstream.
        Dns::spawn(&["--local=/test/"], records)
    }

    /// A dnsmasq that forwards every question to `upstream` (`ADDR:PORT`)
    /// and takes the DNSSEC signatures out of the answers
    /// (`--filter-rr=RRSIG`), as some forwarders and home routers do.
    pub fn stripping_forwarder_to(upstream: &str) -> Option<Dns> {
        let (address, port) = upstream.rsplit_once(':').expect("ADDR:PORT");
        Dns::spawn(
            &[&format!("--server={address}#{port}"), "--filter-rr=RRSIG"],
            &[],
        )
    }

    fn spawn(answers: &[&str], records: &[String]) -> Option<Dns> {
        let Some(program) = program("dnsmasq") else {
            assert!(
                !under_ci(),
                "dnsmasq is not installed (CI is set; .ci/install-servers.sh installs it)"
            );
            println!("SKIP: dnsmasq is not installed (set CI=true to make this a failure)");
            return None;
        };
        let limit = Duration::from_secs(5);
        let in_use = "Address already in use";
        let (child, port) = start_dns_server("dnsmasq", limit, in_use, |port| {
            Command::new(&program)
                .args([
                    "--no-daemon",
                    "--keep-in-foreground",
                    &format!("--port={port}"),
                    "--listen-address=127.0.0.1",
                    "--bind-interfaces",
                    "--no-resolv",
                    "--no-hosts",
                    "--conf-file=/dev/null",
                    "--user=root",
                    "--pid-file=",
                ])
                .args(answers)
                .args(records)
                .stdin(Stdio::null())
                .stdout(Stdio::null())
                .stderr(Stdio::piped())
                .spawn()
                .expect("dnsmasq starts")
        });
        Some(Dns { child, port })
    }

    pub fn server(&self) -> String {
        format!("127.0.0.1:{}", self.port)
    }
}

impl Drop for Dns {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

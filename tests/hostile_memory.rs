//! A hostile peer against memory: a capability flood in which every line and
//! every reply stays under the client's limits (16 KiB a line, 512 lines a
//! reply), so only a bound on what one check reads and keeps stops it. Its own
//! test binary, so that it does not share the machine's two cores with the
//! timing-sensitive suites.
//!
//! Peak memory is the binary's own high-water mark (`ru_maxrss` of a parent that
//! runs nothing else), not this test process's.

mod common;
mod hostile_common;

use std::time::Duration;

use common::{url_for, Pki};
use hostile_common::peak_memory_kib;
use mailtls_testkit::hostile::{flood_bytes_per_reply, FLOOD_ATOMS, FLOOD_LINES};
use mailtls_testkit::{Misbehaviour, Proto, ServerSpec, Transport};

/// The most a check against the flood may take, in MiB of resident memory.
///
/// A check against a well-behaved server peaks at about 10-15 MiB (binary, trust
/// stores, one runtime thread; asserted below as the baseline). The flood is two
/// replies of 7.6 MiB each (before and inside TLS) of one-letter capabilities;
/// kept as strings they grow a check to about a gigabyte. A check that bounds
/// what it reads and keeps needs its baseline plus a line buffer; 64 MiB leaves
/// room for the baseline to double and for a whole copy of one reply, and is
/// still more than ten times below what an unbounded check takes.
const BOUND_MIB: u64 = 64;

#[test]
fn a_capability_flood_does_not_grow_memory() {
    let pki = Pki::new();
    let root = pki.root.to_str().expect("UTF-8 path").to_owned();
    let out_file = pki.dir.path().join("report.json");
    let measure = |url: &str| {
        peak_memory_kib(
            &[
                "check",
                url,
                "--sni",
                "mail.test",
                "--ca-file",
                &root,
                "-f",
                "json",
                "--quiet",
                "--timeout",
                "60s",
            ],
            &out_file,
            Duration::from_secs(300),
        )
    };

    let good = pki.start(ServerSpec::new(Proto::Imap, Transport::Starttls));
    let (code, baseline_kib) = measure(&url_for(&good, Proto::Imap, Transport::Starttls));
    assert_eq!(code, 0, "the baseline check failed");
    assert!(
        baseline_kib < BOUND_MIB * 1024 / 2,
        "a plain check already takes {} MiB; the bound below means nothing",
        baseline_kib / 1024
    );

    let flood = pki.start(
        ServerSpec::new(Proto::Imap, Transport::Starttls).misbehave(Misbehaviour::CapabilityFlood),
    );
    let (_, peak_kib) = measure(&url_for(&flood, Proto::Imap, Transport::Starttls));
    assert!(
        peak_kib < BOUND_MIB * 1024,
        "a check against {} MiB of capabilities ({FLOOD_LINES} lines of {FLOOD_ATOMS} one-letter atoms, twice) peaked at {} MiB (a plain check: {} MiB; bound {BOUND_MIB} MiB)",
        2 * flood_bytes_per_reply() / (1024 * 1024),
        peak_kib / 1024,
        baseline_kib / 1024
    );
    // A limit cut the capability list short: the report says so.
    let text = std::fs::read_to_string(&out_file).expect("report");
    let document: serde_json::Value = serde_json::from_str(&text).expect("JSON report");
    let report = &document["reports"][0];
    let truncated = report["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .find(|f| f["code"] == "limits.truncated")
        .unwrap_or_else(|| panic!("no limits.truncated finding: {:#}", report["findings"]));
    assert_eq!(truncated["severity"], "warning", "{truncated:#}");
}

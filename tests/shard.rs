//! `--shard K/N`: N shard processes together check exactly the targets of the
//! unsharded run, each once, and all targets of one host in the same shard.

mod common;

use std::collections::{BTreeMap, BTreeSet};
use std::process::{Command, Stdio};

use common::{mailtls, Pki};
use mailtls_testkit::{Proto, ServerSpec, Transport};
use serde_json::Value;

/// The host of a target line (`imaps://NAME:PORT`), or the line itself.
fn host_of(input: &str) -> String {
    input
        .split_once("://")
        .and_then(|(_, rest)| rest.split_once(':'))
        .map_or_else(|| input.to_owned(), |(host, _)| host.to_ascii_lowercase())
}

/// (input, verdict) of each NDJSON record.
fn records(stdout: &str) -> Vec<(String, String)> {
    stdout
        .lines()
        .map(|l| {
            let v: Value = serde_json::from_str(l).unwrap_or_else(|e| panic!("{e}: {l}"));
            let field = |name: &str| v[name].as_str().expect(name).to_owned();
            (field("input"), field("verdict"))
        })
        .collect()
}

#[test]
fn the_shards_together_check_every_target_exactly_once() {
    let pki = Pki::new();
    let servers: Vec<_> = (0..3)
        .map(|_| pki.start(ServerSpec::new(Proto::Imap, Transport::ImplicitTls)))
        .collect();
    // 30 targets over 10 host names (some spelled in capitals), each name on
    // loopback through --resolve, and two lines that are not targets.
    let names: Vec<String> = (0..10).map(|i| format!("host{i}.test")).collect();
    let mut lines = Vec::new();
    for i in 0..30 {
        let name = &names[(i * 7) % names.len()];
        let name = if i % 4 == 0 {
            name.to_ascii_uppercase()
        } else {
            name.clone()
        };
        lines.push(format!(
            "imaps://{name}:{}",
            servers[i % servers.len()].port()
        ));
        if i == 11 || i == 23 {
            lines.push(format!("not a target {i}:99999"));
        }
    }
    let file = pki.dir.path().join("targets.txt");
    std::fs::write(&file, lines.join("\n")).expect("write targets");
    let mut args: Vec<String> = [
        "check",
        "--targets-file",
        file.to_str().expect("path"),
        "--sni",
        "mail.test",
        "--ca-file",
        pki.root.to_str().expect("path"),
        "-f",
        "ndjson",
        "--timeout",
        "5s",
        "--quiet",
    ]
    .map(str::to_owned)
    .to_vec();
    for name in &names {
        args.extend(["--resolve".to_owned(), format!("{name}:127.0.0.1")]);
    }

    let whole = mailtls(&args.iter().map(String::as_str).collect::<Vec<_>>());
    let whole = records(&whole.stdout);
    assert_eq!(
        whole.len(),
        lines.len(),
        "the unsharded run: one record per line"
    );

    // The three shard processes run at once, as on three machines.
    let n = 3;
    let children: Vec<_> = (1..=n)
        .map(|k| {
            Command::new(env!("CARGO_BIN_EXE_mailtls"))
                .args(&args)
                .args(["--shard", &format!("{k}/{n}")])
                .env("NO_COLOR", "1")
                .stdout(Stdio::piped())
                .stderr(Stdio::piped())
                .spawn()
                .expect("start a shard")
        })
        .collect();
    let shards: Vec<Vec<(String, String)>> = children
        .into_iter()
        .map(|child| {
            let output = child.wait_with_output().expect("run a shard");
            assert!(
                output.status.code().is_some_and(|c| c <= 3),
                "{}",
                String::from_utf8_lossy(&output.stderr)
            );
            records(&String::from_utf8_lossy(&output.stdout))
        })
        .collect();

    // The union, as a multiset, is the unsharded run: nothing missing or doubled.
    let mut union: Vec<(String, String)> = shards.iter().flatten().cloned().collect();
    let mut expected = whole.clone();
    union.sort();
    expected.sort();
    assert_eq!(union, expected);

    // Each host (and each invalid line) lives in exactly one shard.
    let mut shard_of_host: BTreeMap<String, BTreeSet<usize>> = BTreeMap::new();
    for (k, records) in shards.iter().enumerate() {
        for (input, _) in records {
            shard_of_host.entry(host_of(input)).or_default().insert(k);
        }
    }
    for (host, in_shards) in &shard_of_host {
        assert_eq!(in_shards.len(), 1, "{host} is in shards {in_shards:?}");
    }
    assert!(
        shards.iter().filter(|s| !s.is_empty()).count() >= 2,
        "the hosts spread over more than one shard: {:?}",
        shards.iter().map(Vec::len).collect::<Vec<_>>()
    );
    // Within a shard, records stay in input order.
    for records in &shards {
        let positions: Vec<usize> = records
            .iter()
            .map(|(input, _)| {
                lines
                    .iter()
                    .position(|l| l == input)
                    .expect("an input line")
            })
            .collect();
        assert!(positions.windows(2).all(|w| w[0] <= w[1]), "{positions:?}");
    }
}

#[test]
fn a_shard_must_be_k_of_n() {
    for bad in ["0/3", "4/3", "3", "a/b", "1/10001"] {
        let run = mailtls(&["check", "imaps://127.0.0.1:1", "--shard", bad]);
        assert_eq!(run.code, 3, "--shard {bad}: {}", run.stderr);
        assert!(run.stderr.contains("K/N"), "{}", run.stderr);
    }
}

//! `mailtls-bench-servers`: the loopback servers `bench/run.sh` measures against.
//!
//! Starts, from the same test kit the test suite uses:
//! - one IMAP server with STARTTLS and one IMAPS server (implicit TLS) on 127.0.0.1,
//!   for the single-check rows;
//! - one IMAPS server on each of 127.0.1.1 … 127.0.1.N (`--hosts N`), for the batch,
//!   so that `--per-host` limits each host as it would a real mail server.
//!
//! Writes into `--dir`: `root.pem` (the private root CA the certificates chain to),
//! `targets.txt` (`--targets` lines of `imaps://127.0.1.X:PORT`, round-robin over the
//! hosts) and `targets-sslyze.txt` (the same targets as `HOST:PORT` for sslyze).
//! Prints shell variable assignments on standard output, ending with `READY=1`,
//! then serves until standard input closes, so the calling script controls its
//! lifetime. Listens on loopback addresses only.

use std::fmt::Write as _;
use std::io::{Read, Write};
use std::net::{Ipv4Addr, SocketAddr};
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;
use clap::Parser;
use mailtls_testkit::real::{Dovecot, DovecotOptions, DOVECOT_ADDRESS};
use mailtls_testkit::{CertCase, Proto, ServerSpec, TestPki, TestServer, Transport};

/// Loopback mail servers and a targets file for the benchmark (bench/run.sh).
#[derive(Debug, Parser)]
#[command(name = "mailtls-bench-servers")]
struct Args {
    /// Directory for root.pem, targets.txt and targets-sslyze.txt (created if missing).
    #[arg(long)]
    dir: PathBuf,
    /// Batch hosts: one IMAPS server on each of 127.0.1.1 … 127.0.1.N (1–250).
    #[arg(long, default_value_t = 100, value_parser = clap::value_parser!(u8).range(1..=250))]
    hosts: u8,
    /// Lines in targets.txt, spread round-robin over the batch hosts.
    #[arg(long, default_value_t = 10_000)]
    targets: usize,
}

fn main() -> ExitCode {
    match run(Args::parse()) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("mailtls-bench-servers: {e:#}");
            ExitCode::from(3)
        }
    }
}

fn run(args: Args) -> anyhow::Result<()> {
    std::fs::create_dir_all(&args.dir).with_context(|| format!("create {}", args.dir.display()))?;
    let pki = TestPki::new();
    let root = pki.write_root_pem(&args.dir);

    let localhost = SocketAddr::from((Ipv4Addr::LOCALHOST, 0));
    let starttls = TestServer::try_start_on(
        ServerSpec::new(Proto::Imap, Transport::Starttls),
        &pki,
        localhost,
    )
    .context("start the IMAP STARTTLS server")?;
    let imaps = TestServer::try_start_on(
        ServerSpec::new(Proto::Imap, Transport::ImplicitTls),
        &pki,
        localhost,
    )
    .context("start the IMAPS server")?;

    let mut batch = Vec::with_capacity(usize::from(args.hosts));
    for i in 1..=args.hosts {
        let bind = SocketAddr::from((Ipv4Addr::new(127, 0, 1, i), 0));
        let server = TestServer::try_start_on(
            ServerSpec::new(Proto::Imap, Transport::ImplicitTls),
            &pki,
            bind,
        )
        .with_context(|| format!("start the batch server on {bind}"))?;
        batch.push(server);
    }

    let mut targets = String::with_capacity(args.targets * 32);
    let mut sslyze = String::with_capacity(args.targets * 24);
    for n in 0..args.targets {
        let addr = batch[n % batch.len()].addr();
        writeln!(targets, "imaps://{addr}")?;
        writeln!(sslyze, "{addr}")?;
    }
    let targets_path = args.dir.join("targets.txt");
    std::fs::write(&targets_path, targets)
        .with_context(|| format!("write {}", targets_path.display()))?;
    let sslyze_path = args.dir.join("targets-sslyze.txt");
    std::fs::write(&sslyze_path, sslyze)
        .with_context(|| format!("write {}", sslyze_path.display()))?;

    // The real Dovecot of the interop suite, where it is installed (and we are
    // root); without it the script says why and leaves out its rows.
    let dovecot = Dovecot::start(&pki, DovecotOptions::new(CertCase::Good));

    let mut out = std::io::stdout().lock();
    match &dovecot {
        Ok(d) => {
            writeln!(out, "DOVECOT_IMAP_STARTTLS={}:{}", DOVECOT_ADDRESS, d.imap)?;
            writeln!(out, "DOVECOT_IMAPS={}:{}", DOVECOT_ADDRESS, d.imaps)?;
        }
        Err(e) => {
            let reason = format!("{e:#}");
            let first = reason.lines().next().unwrap_or("did not start");
            writeln!(out, "DOVECOT_SKIPPED={}", shell_quote(first))?;
        }
    }
    writeln!(out, "ROOT_PEM={}", shell_quote(&root.display().to_string()))?;
    writeln!(out, "SERVER_NAME=mail.test")?;
    writeln!(out, "IMAP_STARTTLS={}", starttls.addr())?;
    writeln!(out, "IMAPS={}", imaps.addr())?;
    writeln!(out, "BATCH_HOSTS={}", batch.len())?;
    writeln!(out, "BATCH_TARGETS={}", args.targets)?;
    writeln!(
        out,
        "TARGETS_FILE={}",
        shell_quote(&targets_path.display().to_string())
    )?;
    writeln!(
        out,
        "SSLYZE_TARGETS_FILE={}",
        shell_quote(&sslyze_path.display().to_string())
    )?;
    writeln!(out, "READY=1")?;
    out.flush()?;
    drop(out);

    // Serve until standard input reaches end of file (or fails).
    let mut sink = [0u8; 256];
    let mut stdin = std::io::stdin().lock();
    while matches!(stdin.read(&mut sink), Ok(n) if n > 0) {}
    Ok(())
}

/// Single-quotes `text` for a POSIX shell.
fn shell_quote(text: &str) -> String {
    format!("'{}'", text.replace('\'', r"'\''"))
}

//! `mailtls-demo`: a real check with no internet.
//!
//! Starts local mail servers on 127.0.0.1 (good ones and broken ones, from the same
//! test kit the test suite uses), writes their private root CA to a temporary
//! directory, and runs `mailtls check` against each of them, printing the very
//! command a user would type. `--serve` keeps the servers up so they can be
//! checked by hand from another terminal.

use std::io::{BufRead, Write};
use std::process::ExitCode;

use anyhow::Context;
use clap::Parser;
use mailtls::cli::Cli;
use mailtls_testkit::{CertCase, Misbehaviour, Proto, ServerSpec, TestPki, TestServer, Transport};

/// One demo server and what it shows.
struct Case {
    what: &'static str,
    scheme: &'static str,
    spec: ServerSpec,
}

fn cases() -> Vec<Case> {
    use Proto::*;
    use Transport::*;
    let case = |what, scheme, spec| Case { what, scheme, spec };
    vec![
        case(
            "IMAP with STARTTLS, good certificate",
            "imap+starttls",
            ServerSpec::new(Imap, Starttls),
        ),
        case(
            "IMAPS (implicit TLS), good certificate",
            "imaps",
            ServerSpec::new(Imap, ImplicitTls),
        ),
        case(
            "SMTP submission with STARTTLS",
            "submission",
            ServerSpec::new(Smtp, Starttls),
        ),
        case(
            "IMAPS with an expired certificate",
            "imaps",
            ServerSpec::new(Imap, ImplicitTls).cert(CertCase::Expired),
        ),
        case(
            "POP3S with a certificate for another host name",
            "pop3s",
            ServerSpec::new(Pop3, ImplicitTls).cert(CertCase::WrongName),
        ),
        case(
            "SMTPS whose server forgot the intermediate certificate",
            "smtps",
            ServerSpec::new(Smtp, ImplicitTls).cert(CertCase::MissingIntermediate),
        ),
        case(
            "IMAP that does not offer STARTTLS",
            "imap+starttls",
            ServerSpec::new(Imap, Starttls).misbehave(Misbehaviour::NoStarttls),
        ),
        case(
            "a plaintext IMAP server where the client expects SSL/TLS",
            "imaps",
            ServerSpec::new(Imap, PlaintextOnly),
        ),
    ]
}

fn main() -> ExitCode {
    match run() {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("mailtls-demo: {e:#}");
            ExitCode::from(3)
        }
    }
}

fn run() -> anyhow::Result<()> {
    let serve = match std::env::args().nth(1).as_deref() {
        None => false,
        Some("--serve") => true,
        Some("-h" | "--help") => {
            println!("usage: mailtls-demo [--serve]\n\nStarts local mail servers (good and broken) on 127.0.0.1 and checks each with mailtls.\n--serve  keep the servers running and print how to check them by hand");
            return Ok(());
        }
        Some(other) => anyhow::bail!("unknown argument {other:?} (try --help)"),
    };
    let pki = TestPki::new();
    let dir = tempfile::tempdir().context("create a temporary directory")?;
    let root = pki.write_root_pem(dir.path());
    let root = root
        .to_str()
        .context("temporary path is not UTF-8")?
        .to_owned();

    let mut servers = Vec::new();
    for case in cases() {
        let server = TestServer::try_start(case.spec.clone(), &pki)
            .with_context(|| format!("start the demo server for {}", case.what))?;
        let url = format!("{}://127.0.0.1:{}", case.scheme, server.port());
        servers.push((case, url, server));
    }

    let mut out = anstream::stdout().lock();
    writeln!(
        out,
        "Local demo servers run on 127.0.0.1 with certificates for \"mail.test\" from a private CA\n\
         (its root: {root}). --sni names the host the certificate is checked against;\n\
         --ca-file trusts the private root as a company CA would be trusted.\n"
    )?;
    if serve {
        for (case, url, _) in &servers {
            writeln!(
                out,
                "# {}\nmailtls check {url} --sni mail.test --ca-file {root}\n",
                case.what
            )?;
        }
        writeln!(out, "Servers are up. Press Enter (or Ctrl-D) to stop them.")?;
        out.flush()?;
        let mut line = String::new();
        std::io::stdin().lock().read_line(&mut line)?;
        return Ok(());
    }
    for (case, url, _) in &servers {
        writeln!(
            out,
            "# {}\n$ mailtls check {url} --sni mail.test --ca-file {root}",
            case.what
        )?;
        let cli = Cli::try_parse_from([
            "mailtls",
            "check",
            url,
            "--sni",
            "mail.test",
            "--ca-file",
            &root,
            "--timeout",
            "5s",
        ])?;
        let code = mailtls::app::run(mailtls::plan::from_cli(cli)?, &mut out)?;
        writeln!(out, "(exit code {code})\n")?;
    }
    Ok(())
}

//! Command-line arguments: clap types only, no logic. `plan` turns them into core types.

use std::path::PathBuf;
use std::time::Duration;

use clap::{Args, Parser, Subcommand, ValueEnum};

pub const EXIT_CODES: &str = "\
Exit codes (the monitoring-plugin convention):
  0  ok: every target is secure and trusted
  1  warning: works today, but something needs attention (e.g. certificate expires soon)
  2  critical: mail clients will fail or warn, or the connection is not secure
  3  unknown: could not check (unreachable, timed out, rate-limited, bad arguments)
With several targets the worst wins, critical ranking above unknown.";

#[derive(Debug, Parser)]
#[command(
    name = "mailtls",
    version,
    about = "Check how secure the connection between a mail client and a mail server is, and explain what is wrong.",
    after_help = EXIT_CODES
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Connect as a mail client would and report TLS version, cipher, certificate chain and verdict.
    #[command(after_help = CHECK_HELP)]
    Check(CheckArgs),
}

const CHECK_HELP: &str = "\
Targets:
  imap.example.edu:993     the port implies protocol and TLS mode:
                           993 IMAP, 995 POP3, 465 SMTP with SSL/TLS (implicit TLS);
                           143 IMAP, 110 POP3, 25/587 SMTP, 4190 ManageSieve with STARTTLS
  [2001:db8::1]:143        an IPv6 address
  imaps://h  pop3s://h  smtps://h  submissions://h
                           SSL/TLS (implicit TLS), default ports 993, 995, 465, 465
  imap://h  pop3://h  smtp://h  submission://h  sieve://h
                           STARTTLS, default ports 143, 110, 25, 587, 4190
  imap+starttls://h:10143  any port, mode spelled out (also imaps://h:10993)

Exit codes: 0 ok, 1 warning, 2 critical, 3 could not check (see mailtls --help).";

#[derive(Debug, Args)]
pub struct CheckArgs {
    /// Servers to check: HOST:PORT, [IPv6]:PORT, or a URL such as imaps://HOST
    #[arg(required = true, value_name = "TARGET")]
    pub targets: Vec<String>,

    /// Protocol, for ports that do not imply one
    #[arg(short, long, value_enum)]
    pub protocol: Option<ProtocolArg>,

    /// Use STARTTLS, whatever the port suggests
    #[arg(long, conflicts_with = "implicit_tls")]
    pub starttls: bool,

    /// Use implicit TLS ("SSL/TLS"), whatever the port suggests
    #[arg(long)]
    pub implicit_tls: bool,

    /// Send NAME as SNI and verify the certificate for NAME (e.g. when the target is an IP address)
    #[arg(long, value_name = "NAME", conflicts_with = "no_sni")]
    pub sni: Option<String>,

    /// Send no SNI (the certificate is still verified for the target's host name)
    #[arg(long)]
    pub no_sni: bool,

    /// Name to send in SMTP EHLO [default: our address as a literal, e.g. [192.0.2.1]]
    #[arg(long, value_name = "NAME")]
    pub ehlo_name: Option<String>,

    /// Base trust store: Mozilla's roots (as Thunderbird) or this machine's store
    #[arg(long, value_enum, default_value_t = TrustArg::Mozilla)]
    pub trust: TrustArg,

    /// Also trust the CA certificates in this PEM file (repeatable)
    #[arg(long = "ca-file", value_name = "PEM")]
    pub ca_files: Vec<PathBuf>,

    /// Time allowed for each whole check, e.g. 10s, 2.5s, 500ms
    #[arg(long, value_name = "DURATION", default_value = "10s", value_parser = parse_duration)]
    pub timeout: Duration,

    /// Warn when the certificate expires in fewer days than this
    #[arg(long, value_name = "DAYS", default_value_t = 30)]
    pub warn_days: i64,

    /// Critical when the certificate expires in fewer days than this
    #[arg(long, value_name = "DAYS", default_value_t = 7)]
    pub crit_days: i64,

    /// Output format
    #[arg(short, long, value_enum, default_value_t = FormatArg::Human)]
    pub format: FormatArg,

    /// Show the dialogue with the server line by line (human format; JSON always has it)
    #[arg(long)]
    pub transcript: bool,

    /// Also probe which TLS versions (SSL 3.0 to TLS 1.3), cipher suites and key-exchange
    /// groups the server accepts; makes many connections (dozens to hundreds)
    #[arg(long)]
    pub probe: bool,

    /// Probe connections open at once to each server
    #[arg(long, value_name = "N", default_value_t = 4, value_parser = clap::value_parser!(u16).range(1..=64))]
    pub probe_concurrency: u16,

    /// Colour in the human report [default: auto, off when piped or with NO_COLOR]
    #[arg(long, value_enum, default_value_t = ColorArg::Auto)]
    pub color: ColorArg,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ProtocolArg {
    Imap,
    Pop3,
    Smtp,
    Sieve,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum TrustArg {
    Mozilla,
    System,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum FormatArg {
    Human,
    Json,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ColorArg {
    Auto,
    Always,
    Never,
}

/// `10`, `10s`, `2.5s`, `500ms`.
fn parse_duration(text: &str) -> Result<Duration, String> {
    let text = text.trim();
    let (number, scale) = if let Some(ms) = text.strip_suffix("ms") {
        (ms, 0.001)
    } else {
        (text.strip_suffix('s').unwrap_or(text), 1.0)
    };
    let seconds: f64 = number
        .trim()
        .parse()
        .map_err(|_| format!("{text:?} is not a duration; write e.g. 10s or 500ms"))?;
    let seconds = seconds * scale;
    if !(0.001..=3600.0).contains(&seconds) {
        return Err(format!("{text:?} is out of range (1ms to 1h)"));
    }
    Ok(Duration::from_secs_f64(seconds))
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn cli_definition_is_consistent() {
        Cli::command().debug_assert();
    }

    #[test]
    fn durations() {
        assert_eq!(parse_duration("10"), Ok(Duration::from_secs(10)));
        assert_eq!(parse_duration("2.5s"), Ok(Duration::from_millis(2500)));
        assert_eq!(parse_duration("500ms"), Ok(Duration::from_millis(500)));
        assert!(parse_duration("0").is_err());
        assert!(parse_duration("soon").is_err());
    }
}

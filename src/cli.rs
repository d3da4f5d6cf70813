//! Command-line arguments: clap types only, no logic. `plan` turns them into core types.
//!
//! House rules for this file:
//! - Only clap types and their value parsers live here; no I/O, no defaults
//!   computed at run time. `plan::build` is the one reader of these types.
//! - Options that mean the same in several commands are one flattened group
//!   ([`ConnectionArgs`]), so they are spelled, documented and checked once.
//! - Flags are `--kebab-case`; every option has a `value_name` in capitals and
//!   a one-line help that starts with a capital and ends without a full stop.
//! - Defaults that matter to scripts are shown by clap (`default_value_t`);
//!   exit codes are listed in `after_help`.
//! - Values are validated here when clap can say so in one line (ranges,
//!   enums, durations); cross-field checks belong to the plan.

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
    /// Print the certificates each server sends, as PEM (like openssl s_client -showcerts).
    #[command(after_help = CERTS_HELP)]
    Certs(CertsArgs),
    /// Check every mail port of a host and print the settings to give mail users.
    #[command(after_help = SCAN_HELP)]
    Scan(ScanArgs),
    /// Find addresses' mail servers as clients do (SRV, autoconfig, ISPDB, MX, Autodiscover, else guesses), check each and print the settings to give users.
    #[command(after_help = ACCOUNT_HELP)]
    Account(AccountArgs),
    /// Check a domain's mail between servers: every MX host's STARTTLS on port 25, DANE (TLSA with DNSSEC), MTA-STS and TLS-RPT.
    #[command(after_help = DOMAIN_HELP)]
    Domain(DomainArgs),
    /// Judge saved reports (JSON or NDJSON from check) again with today's rules and thresholds.
    #[command(after_help = EXPLAIN_HELP)]
    Explain(ExplainArgs),
    /// List the mail-client profiles whose verdicts checks give, and the root stores behind them.
    Clients,
    /// Serve Prometheus probes over HTTP: GET /probe?target=HOST:PORT&module=NAME checks one target.
    #[command(after_help = EXPORTER_HELP)]
    Exporter(ExporterArgs),
    /// Print a shell completion script (bash, zsh, fish, elvish, powershell).
    Completions {
        #[arg(value_enum)]
        shell: clap_complete::Shell,
    },
    /// Print the manual page (roff), e.g. mailtls man > mailtls.1
    Man,
}

const EXPORTER_HELP: &str = "\
GET /probe?target=HOST:PORT&module=NAME runs one check, as `mailtls check`
does, and answers with its metrics (Prometheus text format, or OpenMetrics
when asked); GET /metrics has the exporter's own. Modules come from the TOML
file given with --config (see docs/metrics.md); a target must match its
module's allow_hosts or allow_networks, unless the module sets
allow_any_target = true. Without --config there is one module, default,
which allows no target. Runs until stopped.";

/// `mailtls exporter`: a Prometheus probe endpoint.
#[derive(Debug, Args)]
pub struct ExporterArgs {
    /// Address and port to serve HTTP on, e.g. 127.0.0.1:9745 or [::]:9745
    #[arg(long, value_name = "ADDR:PORT")]
    pub listen: std::net::SocketAddr,

    /// The modules: a TOML file of [modules.NAME] tables
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,

    /// How many probes run at once; more wait until their timeout, then get 503
    #[arg(long, value_name = "N", default_value_t = 8, value_parser = clap::value_parser!(u32).range(1..=1024))]
    pub max_probes: u32,
}

const CERTS_HELP: &str = "\
Targets are given as for `mailtls check`. Each certificate is printed as PEM,
preceded by comment lines naming its subject and issuer; tools such as
`openssl x509` and `openssl crl2pkcs7 -certfile` read the output as it is.

Exit codes: 0 every server's chain was obtained, 3 not for at least one.";

const EXPLAIN_HELP: &str = "\
REPORT is a file written by `mailtls check -f json` or `-f ndjson` (or - for
standard input). Nothing is contacted: the facts in the file are judged again,
as of the time each check ran, and printed in any format.

Exit codes: as for `mailtls check` (0 ok, 1 warning, 2 critical, 3 unknown).";

/// `mailtls explain`: saved facts, judged again.
#[derive(Debug, Args)]
pub struct ExplainArgs {
    /// A saved report: JSON or NDJSON from `mailtls check`; - reads standard input
    #[arg(value_name = "REPORT")]
    pub report: PathBuf,

    #[command(flatten)]
    pub judgement: JudgementArgs,
}

const SCAN_HELP: &str = "\
Ports: 993 IMAP and 995 POP3 and 465 SMTP with SSL/TLS; 143 IMAP, 110 POP3,
587 and 25 SMTP, 4190 ManageSieve with STARTTLS. Each is found to speak SSL/TLS,
STARTTLS, plaintext only, broken TLS, or nothing. The settings prefer SSL/TLS
(RFC 8314) and never suggest an unencrypted connection.

Exit codes: the worst verdict among the ports that answer (0 ok, 1 warning,
2 critical); 3 when no port answers.";

#[derive(Debug, Args)]
pub struct ScanArgs {
    /// The mail server: a host name or an IP address
    #[arg(value_name = "HOST")]
    pub host: String,

    /// Check a standard port at another port, e.g. 993=10993 (repeatable): for servers behind port forwarding
    #[arg(long = "port-map", value_name = "STANDARD=ACTUAL", value_parser = parse_port_map)]
    pub port_map: Vec<(u16, u16)>,

    #[command(flatten)]
    pub connection: ConnectionArgs,

    /// At most N connections to the host at once
    #[arg(long, value_name = "N", default_value_t = 4, value_parser = clap::value_parser!(u32).range(1..=8))]
    pub per_host: u32,

    /// Output format
    #[arg(short, long, value_enum, default_value_t = ScanFormatArg::Human)]
    pub format: ScanFormatArg,

    /// Colour in the human report
    #[arg(long, value_enum, default_value_t = ColorArg::Auto)]
    pub color: ColorArg,
}

const DOMAIN_HELP: &str = "\
What a sending mail server sees: the MX records (asked through mailtls's own
DNSSEC-validating resolver), every address of every MX host checked with
STARTTLS on port 25 as `check` does, with the TLSA records of
_25._tcp.HOST (DANE, RFC 7672); the _mta-sts TXT record and the policy at
https://mta-sts.DOMAIN/.well-known/mta-sts.txt (RFC 8461), each MX host held
against its mx lines and WebPKI; the _smtp._tls TXT record (TLS-RPT, RFC
8460). --timeout bounds the whole run.

Exit codes: the worst verdict among the MX hosts' reports and the domain's
findings (0 ok, 1 warning, 2 critical, 3 unknown).";

/// `mailtls domain`: mail between servers for one domain.
#[derive(Debug, Args)]
pub struct DomainArgs {
    /// The mail domain, e.g. example.org
    pub domain: String,

    #[command(flatten)]
    pub dnssec: DnssecArgs,

    #[command(flatten)]
    pub connection: ConnectionArgs,

    /// Output format
    #[arg(short, long, value_enum, default_value_t = ScanFormatArg::Human)]
    pub format: ScanFormatArg,

    /// Colour in the human report
    #[arg(long, value_enum, default_value_t = ColorArg::Auto)]
    pub color: ColorArg,
}

const ACCOUNT_HELP: &str = "\
Discovery, all at once: the SRV records of RFC 6186 and RFC 8314 (_imaps._tcp,
_imap._tcp, _pop3s._tcp, _pop3._tcp, _submissions._tcp, _submission._tcp);
Thunderbird's autoconfig (https://autoconfig.DOMAIN/mail/config-v1.1.xml,
https://DOMAIN/.well-known/autoconfig/mail/config-v1.1.xml, the same over
plain http, the ISPDB entry, and the autoconfig and ISPDB entry of the MX
host's base domain); Microsoft Autodiscover (https://autodiscover.DOMAIN/ and
https://DOMAIN/autodiscover/autodiscover.xml, the http redirect method,
_autodiscover._tcp SRV). The standard SSL/TLS port of a host published only for
STARTTLS is tried too. When nothing names a server, Thunderbird's guesses
(imap., pop., smtp., mail. at the standard ports), only names that resolve.
Every endpoint found is checked; --timeout bounds the whole run. --offline
fetches no document (DNS is still asked).

Exit codes: per address, the worst verdict among the endpoints that answer and
the account's findings (0 ok, 1 warning, 2 critical), 3 when no endpoint
answers; for several addresses, as for several targets of check: 2 if any is
critical, else 3 if any is unknown, else 1 if any warning, else 0.";

/// `mailtls account`: discover an address's servers and check them.
#[derive(Debug, Args)]
pub struct AccountArgs {
    /// E-mail addresses (alice@example.edu) or bare domains (example.edu)
    #[arg(value_name = "ADDRESS|DOMAIN", required = true, num_args = 1..)]
    pub addresses: Vec<String>,

    /// Thunderbird's ISPDB: the domain is appended, or replaces {{domain}}
    #[arg(
        long,
        value_name = "URL",
        default_value = "https://autoconfig.thunderbird.net/v1.1/"
    )]
    pub ispdb_url: String,

    /// Ask this DNS server (UDP and TCP) instead of the system's, e.g. 127.0.0.1:5353 or [::1]:53
    #[arg(long, value_name = "ADDR:PORT")]
    pub dns_server: Option<std::net::SocketAddr>,

    /// Do not guess host names when no SRV record or configuration document names a server
    #[arg(long)]
    pub no_guess: bool,

    /// Also check DANE at each endpoint (RFC 7673): the TLSA records of _PORT._tcp.HOST, validated with DNSSEC by mailtls, against the chain the server sends
    #[arg(long)]
    pub dane: bool,

    /// With --dane: trust these DNSKEY records (or the root's DS records) as DNSSEC trust anchors instead of the root zone's built-in keys
    #[arg(long, value_name = "FILE", requires = "dane")]
    pub trust_anchor: Option<PathBuf>,

    #[command(flatten)]
    pub connection: ConnectionArgs,

    /// Output format (ndjson: one line per address)
    #[arg(short, long, value_enum, default_value_t = AccountFormatArg::Human)]
    pub format: AccountFormatArg,

    /// Colour in the human report
    #[arg(long, value_enum, default_value_t = ColorArg::Auto)]
    pub color: ColorArg,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum AccountFormatArg {
    Human,
    Json,
    Ndjson,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ScanFormatArg {
    Human,
    Json,
}

/// `993=10993`.
fn parse_port_map(text: &str) -> Result<(u16, u16), String> {
    let (standard, actual) = text
        .split_once('=')
        .ok_or_else(|| format!("{text:?}: write STANDARD=ACTUAL, e.g. 993=10993"))?;
    let port = |p: &str| {
        p.trim()
            .parse::<u16>()
            .ok()
            .filter(|&p| p > 0)
            .ok_or_else(|| format!("{text:?}: {p:?} is not a port"))
    };
    let standard = port(standard)?;
    if crate::facts::protocol::port_convention(standard).is_none() {
        return Err(format!("{text:?}: {standard} is not one of the mail ports"));
    }
    Ok((standard, port(actual)?))
}

#[derive(Debug, Args)]
pub struct CertsArgs {
    #[command(flatten)]
    pub connect: ConnectArgs,

    /// Write one file per certificate into DIR (HOST_PORT-N.pem, N = 0 for the
    /// server's own) instead of printing them
    #[arg(long, value_name = "DIR")]
    pub out: Option<PathBuf>,
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

/// How to reach and talk to the servers: shared by every command that connects.
#[derive(Debug, Args)]
pub struct ConnectArgs {
    /// Servers to check: HOST:PORT, [IPv6]:PORT, or a URL such as imaps://HOST; - reads them from standard input
    #[arg(value_name = "TARGET", required_unless_present = "targets_file")]
    pub targets: Vec<String>,

    /// Read targets from FILE, one per line; blank lines and lines starting with # are skipped
    #[arg(long, value_name = "FILE")]
    pub targets_file: Option<PathBuf>,

    /// How many checks run at once
    #[arg(long, value_name = "N", default_value_t = 64, value_parser = clap::value_parser!(u32).range(1..=10_000))]
    pub concurrency: u32,

    /// At most N connections at once to any one host, however many targets name it
    #[arg(long, value_name = "N", default_value_t = 2, value_parser = clap::value_parser!(u32).range(1..=1000))]
    pub per_host: u32,

    /// Check every IPv4 and IPv6 address of each host name separately, and say when they differ
    #[arg(long)]
    pub all_addresses: bool,

    /// Protocol, for ports that do not imply one
    #[arg(short, long, value_enum)]
    pub protocol: Option<ProtocolArg>,

    /// Use STARTTLS, whatever the port suggests
    #[arg(long, conflicts_with = "implicit_tls")]
    pub starttls: bool,

    /// Use implicit TLS ("SSL/TLS"), whatever the port suggests
    #[arg(long)]
    pub implicit_tls: bool,

    /// Check only part K of N (K from 1 to N) of the targets, split by host name, so that N runs with 1/N … N/N check each target exactly once
    #[arg(long, value_name = "K/N", value_parser = parse_shard)]
    pub shard: Option<(u32, u32)>,

    #[command(flatten)]
    pub connection: ConnectionArgs,
}

/// How to talk to a server and judge its certificate: the same in every command that connects.
#[derive(Debug, Args)]
pub struct ConnectionArgs {
    /// Use ADDRESS for NAME instead of asking DNS (repeatable; several addresses per name allowed), e.g. mail.example.org:192.0.2.7 or mail.example.org:[2001:db8::7]
    #[arg(long, value_name = "NAME:ADDRESS", value_parser = parse_resolve)]
    pub resolve: Vec<(String, std::net::IpAddr)>,

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

    /// Present this client certificate (PEM: the certificate, then its intermediates) when a server asks for one
    #[arg(long, value_name = "PEM", requires = "client_key")]
    pub client_cert: Option<PathBuf>,

    /// The private key of --client-cert (PEM)
    #[arg(long, value_name = "PEM", requires = "client_cert")]
    pub client_key: Option<PathBuf>,

    /// Use the roots in PEM as a platform's root store (apple, microsoft, android, android-8, java) instead of the one built in (repeatable), e.g. apple=roots.pem
    #[arg(long = "platform-store", value_name = "PLATFORM=PEM", value_parser = parse_platform_store)]
    pub platform_stores: Vec<(String, PathBuf)>,

    /// Download nothing but what the servers checked send: no missing intermediate from its AIA URL (clients that download it are then judged "unknown"); for account, no configuration document
    #[arg(long)]
    pub offline: bool,

    /// Ask the CA whether the certificates are revoked: an OCSP request to the responder the leaf (and intermediate) names, and its CRL downloaded (plain http, within --timeout; at most 2 of each per check)
    #[arg(long, conflicts_with = "offline")]
    pub revocation: bool,

    /// Time allowed for each whole check, e.g. 10s, 2.5s, 500ms
    #[arg(long, value_name = "DURATION", default_value = "10s", value_parser = parse_duration)]
    pub timeout: Duration,

    /// Verify every chain afresh instead of reusing a verdict reached in this run (for benchmarks)
    #[arg(long, hide = true)]
    pub no_verify_cache: bool,
}

#[derive(Debug, Args)]
pub struct CheckArgs {
    #[command(flatten)]
    pub connect: ConnectArgs,

    /// Also test the plaintext phase actively, on extra connections: STARTTLS command injection and, for POP3, whether USER is accepted before TLS (a user name that cannot exist; never a password)
    #[arg(long)]
    pub audit: bool,

    /// Download a missing intermediate from the URL in the certificate (AIA, plain HTTP), as Outlook and Apple Mail do: the default unless --offline; kept for scripts
    #[arg(long)]
    pub fetch_missing: bool,

    /// Also probe which TLS versions (SSL 3.0 to TLS 1.3), cipher suites and key-exchange
    /// groups the server accepts; makes many connections (dozens to hundreds)
    #[arg(long)]
    pub probe: bool,

    /// Probe connections open at once to each server
    #[arg(long, value_name = "N", default_value_t = 4, value_parser = clap::value_parser!(u16).range(1..=64))]
    pub probe_concurrency: u16,

    /// Also check DANE (RFC 7672): the TLSA records of _PORT._tcp.HOST, validated with DNSSEC by mailtls itself, against the chain the server sends
    #[arg(long)]
    pub dane: bool,

    #[command(flatten)]
    pub dnssec: DnssecArgs,

    #[command(flatten)]
    pub judgement: JudgementArgs,
}

/// Where DNSSEC-validated questions go and which key they trust (`check --dane`, `domain`).
#[derive(Debug, Args)]
pub struct DnssecArgs {
    /// Ask this DNS server (UDP and TCP) instead of the system's, e.g. 127.0.0.1:5353 or [::1]:53; mailtls validates DNSSEC itself either way
    #[arg(long, value_name = "ADDR:PORT")]
    pub dns_server: Option<std::net::SocketAddr>,

    /// Trust the records in FILE (zone-file lines) as DNSSEC trust anchors instead of the root zone's built-in keys: DNSKEY records (a root's key-signing key, or a zone's whole key set as `dig +noall +answer DNSKEY ZONE` prints it) or the root's DS records (as IANA publishes them)
    #[arg(long, value_name = "FILE")]
    pub trust_anchor: Option<PathBuf>,
}

/// How facts are judged and shown: the same for `check` and `explain`.
#[derive(Debug, Args)]
pub struct JudgementArgs {
    /// Warn when the certificate expires in fewer days than this
    #[arg(long, value_name = "DAYS", default_value_t = 30)]
    pub warn_days: i64,

    /// Critical when the certificate expires in fewer days than this
    #[arg(long, value_name = "DAYS", default_value_t = 7)]
    pub crit_days: i64,

    /// Output format: human; json (one document); ndjson (one JSON object per target, streamed in input order); nagios (monitoring-plugin status line with performance data); junit (JUnit XML for CI, one test case per target)
    #[arg(short, long, value_enum, default_value_t = FormatArg::Human)]
    pub format: FormatArg,

    /// The least severity that makes the exit code non-zero (could-not-check always does)
    #[arg(long, value_enum, default_value_t = FailOnArg::Warning)]
    pub fail_on: FailOnArg,

    /// No progress bar and no summary on standard error
    #[arg(short, long)]
    pub quiet: bool,

    /// Show the dialogue with the server line by line (human format; JSON always has it)
    #[arg(long)]
    pub transcript: bool,

    /// Colour in the human report [default: auto, off when piped or with NO_COLOR]
    #[arg(long, value_enum, default_value_t = ColorArg::Auto)]
    pub color: ColorArg,

    /// Judge the verdict and exit code for these clients only (repeatable), e.g. outlook, apple; `mailtls clients` lists them
    #[arg(long = "client", value_name = "ID")]
    pub clients: Vec<String>,

    /// Hold the probe's results (check: needs --probe) against one of Mozilla's server-side TLS configurations (guidelines 5.7): a warning for every version or cipher suite outside it
    #[arg(long, value_enum, value_name = "PROFILE")]
    pub profile: Option<ProfileArg>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ProfileArg {
    #[value(name = "mozilla-old", alias = "old")]
    MozillaOld,
    #[value(name = "mozilla-intermediate", alias = "intermediate")]
    MozillaIntermediate,
    #[value(name = "mozilla-modern", alias = "modern")]
    MozillaModern,
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
    Ndjson,
    Nagios,
    Junit,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum FailOnArg {
    Warning,
    Critical,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ColorArg {
    Auto,
    Always,
    Never,
}

/// `name:192.0.2.7` or `name:[2001:db8::7]`.
fn parse_resolve(text: &str) -> Result<(String, std::net::IpAddr), String> {
    let (name, address) = text
        .split_once(':')
        .ok_or_else(|| format!("{text:?}: write NAME:ADDRESS"))?;
    let address = address.trim_start_matches('[').trim_end_matches(']');
    let ip = address
        .parse()
        .map_err(|_| format!("{text:?}: {address:?} is not an IP address"))?;
    if name.is_empty() {
        return Err(format!("{text:?}: the name is empty"));
    }
    Ok((name.to_ascii_lowercase(), ip))
}

/// `apple=roots.pem`.
fn parse_platform_store(text: &str) -> Result<(String, PathBuf), String> {
    let (name, path) = text
        .split_once('=')
        .ok_or_else(|| format!("{text:?}: write PLATFORM=PEM, e.g. apple=roots.pem"))?;
    let known = ["apple", "microsoft", "android", "android-8", "java"];
    if !known.contains(&name) {
        return Err(format!(
            "{text:?}: {name:?} is not one of {}",
            known.join(", ")
        ));
    }
    Ok((name.to_owned(), PathBuf::from(path)))
}

/// `K/N` with 1 ≤ K ≤ N ≤ 10000.
fn parse_shard(text: &str) -> Result<(u32, u32), String> {
    let bad = || format!("{text:?}: write K/N with 1 <= K <= N <= 10000, e.g. 2/8");
    let (k, n) = text.split_once('/').ok_or_else(bad)?;
    let k: u32 = k.trim().parse().map_err(|_| bad())?;
    let n: u32 = n.trim().parse().map_err(|_| bad())?;
    if k == 0 || k > n || n > 10_000 {
        return Err(bad());
    }
    Ok((k, n))
}

/// `10`, `10s`, `2.5s`, `500ms`.
pub(crate) fn parse_duration(text: &str) -> Result<Duration, String> {
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

    /// The help texts list the ports by hand, in prose; this holds them to
    /// the one table (`facts::protocol::PROTOCOLS`).
    #[test]
    fn the_help_texts_agree_with_the_port_table() {
        use crate::facts::protocol::{mail_ports, TlsMode};
        let line = |text: &'static str, marker: &str| -> &'static str {
            text.lines()
                .find(|l| l.contains(marker))
                .unwrap_or_else(|| panic!("no help line with {marker:?}"))
        };
        let scan = SCAN_HELP
            .split_once("with STARTTLS")
            .map(|(ports, _)| ports)
            .and_then(|ports| ports.split_once(';'))
            .expect("SCAN_HELP lists SSL/TLS ports, then STARTTLS ones");
        let lists = [
            (
                "check --help",
                line(CHECK_HELP, "with SSL/TLS (implicit TLS)"),
                line(CHECK_HELP, "ManageSieve with STARTTLS"),
            ),
            ("scan --help", scan.0, scan.1),
        ];
        let numbers = |text: &str| -> Vec<u16> {
            text.split(|c: char| c.is_whitespace() || ",/;".contains(c))
                .filter_map(|word| word.parse().ok())
                .collect()
        };
        for (help, implicit, starttls) in lists {
            let mut expected = (Vec::new(), Vec::new());
            for (port, protocol, mode) in mail_ports() {
                let (list, ports) = match mode {
                    TlsMode::Implicit => (implicit, &mut expected.0),
                    TlsMode::Starttls => (starttls, &mut expected.1),
                };
                let name = protocol.info().name;
                assert!(list.contains(name), "{help}: {name} missing from {list:?}");
                ports.push(port);
            }
            for (list, mut ports) in [(implicit, expected.0), (starttls, expected.1)] {
                let mut listed = numbers(list);
                listed.sort_unstable();
                ports.sort_unstable();
                assert_eq!(listed, ports, "{help}: the ports of {list:?}");
            }
        }
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

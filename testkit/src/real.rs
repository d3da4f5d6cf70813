//! Real mail servers (Dovecot, Postfix) run from private configurations on 127.0.0.1 high ports.
//!
//! Each instance lives in its own temporary directory (configuration, certificates, state,
//! queue and log) and is stopped when dropped. They need root and the Debian packages that
//! `.ci/install-servers.sh` installs. A server that does not come up is an error carrying the
//! tail of its log: callers should fail on it, never skip.

use std::fmt::Write as _;
use std::net::{Ipv4Addr, SocketAddr, TcpListener, TcpStream};
use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{bail, Context};

use crate::pki::{CertCase, TestPki};

/// How long a server may take to start or stop before that is an error.
pub const READY_DEADLINE: Duration = Duration::from_secs(30);

/// The host name the servers' certificates are issued for.
pub const SERVER_NAME: &str = "mail.test";

const INSTALL_HINT: &str = "install the servers with `sudo bash .ci/install-servers.sh`";
const POLL: Duration = Duration::from_millis(20);

/// The address Dovecot listens on. Not 127.0.0.1: Dovecot treats a connection
/// whose remote address equals its local one as secured (and then offers
/// authentication before TLS whatever its settings). Clients on this machine
/// connect from 127.0.0.1, so on 127.0.0.2 Dovecot behaves as it does for a
/// remote client.
pub const DOVECOT_ADDRESS: Ipv4Addr = Ipv4Addr::new(127, 0, 0, 2);

/// `n` distinct free TCP ports on 127.0.0.1, found by binding port 0 (all at once, so they
/// differ) and releasing them.
pub fn free_ports(n: usize) -> anyhow::Result<Vec<u16>> {
    free_ports_on(Ipv4Addr::LOCALHOST, n)
}

/// Like [`free_ports`], on another loopback address.
pub fn free_ports_on(address: Ipv4Addr, n: usize) -> anyhow::Result<Vec<u16>> {
    let listeners = (0..n)
        .map(|_| TcpListener::bind((address, 0)))
        .collect::<std::io::Result<Vec<_>>>()
        .with_context(|| format!("bind {address}:0"))?;
    listeners
        .iter()
        .map(|l| Ok(l.local_addr()?.port()))
        .collect()
}

/// Fails unless this process runs as root and `program` is installed.
fn preflight(program: &str) -> anyhow::Result<PathBuf> {
    let path = ["/usr/sbin", "/usr/bin", "/sbin", "/bin"]
        .iter()
        .map(|dir| Path::new(dir).join(program))
        .find(|p| p.is_file())
        .with_context(|| format!("`{program}` is not installed: {INSTALL_HINT}"))?;
    let uid = std::fs::metadata("/proc/self")
        .context("read /proc/self")?
        .uid();
    if uid != 0 {
        bail!("running a real {program} needs root (uid 0, this is {uid}): run the tests as root after `sudo bash .ci/install-servers.sh`");
    }
    Ok(path)
}

/// A private directory for one instance, readable by the servers' unprivileged users.
fn instance_dir(prefix: &str) -> anyhow::Result<tempfile::TempDir> {
    let dir = tempfile::Builder::new()
        .prefix(prefix)
        .tempdir()
        .context("create instance directory")?;
    std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o755))
        .context("chmod instance directory")?;
    Ok(dir)
}

fn write(path: &Path, contents: &str) -> anyhow::Result<()> {
    std::fs::write(path, contents).with_context(|| format!("write {}", path.display()))
}

/// Writes the chain and key for `case` as `DIR/NAME.chain.pem` and `DIR/NAME.key.pem`.
fn write_cert(
    pki: &TestPki,
    case: CertCase,
    dir: &Path,
    name: &str,
) -> anyhow::Result<(PathBuf, PathBuf)> {
    let cert = pki.server_cert(case, SERVER_NAME);
    let chain = dir.join(format!("{name}.chain.pem"));
    let key = dir.join(format!("{name}.key.pem"));
    write(&chain, &cert.chain_pem())?;
    write(&key, &cert.key_pem())?;
    std::fs::set_permissions(&key, std::fs::Permissions::from_mode(0o600)).context("chmod key")?;
    Ok((chain, key))
}

/// The last lines of a log file, for error messages.
fn log_tail(path: &Path) -> String {
    match std::fs::read_to_string(path) {
        Ok(text) => {
            let lines: Vec<&str> = text.lines().collect();
            let tail = lines[lines.len().saturating_sub(25)..].join("\n");
            format!("last lines of {}:\n{tail}", path.display())
        }
        Err(e) => format!("(no log at {}: {e})", path.display()),
    }
}

/// Runs a start command detached from our output pipes; a non-zero exit is an error with `logs`.
fn run_start(mut command: Command, what: &str, logs: &[&Path]) -> anyhow::Result<()> {
    let status = command
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .status()
        .with_context(|| format!("run {what}"))?;
    if !status.success() {
        bail!("{what} failed ({status})\n{}", tails(logs));
    }
    Ok(())
}

fn tails(logs: &[&Path]) -> String {
    logs.iter()
        .map(|p| log_tail(p))
        .collect::<Vec<_>>()
        .join("\n")
}

fn read_pid(pid_file: &Path) -> Option<u32> {
    std::fs::read_to_string(pid_file)
        .ok()
        .and_then(|s| s.trim().parse().ok())
}

fn alive(pid: u32) -> bool {
    Path::new(&format!("/proc/{pid}")).exists()
}

/// Waits until `pid_file` names a live process and every port accepts a connection.
fn wait_ready(
    what: &str,
    pid_file: &Path,
    address: Ipv4Addr,
    ports: &[u16],
    logs: &[&Path],
) -> anyhow::Result<u32> {
    let deadline = Instant::now() + READY_DEADLINE;
    let mut pid = None;
    let mut waiting_for = ports.to_vec();
    loop {
        if pid.is_none() {
            pid = read_pid(pid_file);
        }
        if let Some(p) = pid {
            if !alive(p) {
                bail!("{what} (pid {p}) exited while starting\n{}", tails(logs));
            }
            waiting_for.retain(|&port| {
                let addr = SocketAddr::from((address, port));
                TcpStream::connect_timeout(&addr, Duration::from_secs(1)).is_err()
            });
            if waiting_for.is_empty() {
                return Ok(p);
            }
        }
        if Instant::now() > deadline {
            bail!(
                "{what} not ready after {READY_DEADLINE:?} (pid file {}: {}, ports not accepting: {waiting_for:?})\n{}",
                pid_file.display(),
                if pid.is_some() { "present" } else { "missing" },
                tails(logs)
            );
        }
        std::thread::sleep(POLL);
    }
}

/// Sends SIGTERM (then SIGKILL after the deadline) and waits for the process to be gone.
fn terminate(pid: u32) {
    let signal = |sig: &str| {
        let _ = Command::new("kill")
            .args([sig, &pid.to_string()])
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status();
    };
    if alive(pid) {
        signal("-TERM");
    }
    let deadline = Instant::now() + READY_DEADLINE;
    while alive(pid) {
        if Instant::now() > deadline {
            signal("-KILL");
            break;
        }
        std::thread::sleep(POLL);
    }
}

/// Options for a [`Dovecot`] instance.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DovecotOptions {
    /// The certificate every listener presents (Dovecot picks certificates per address or
    /// SNI, not per port, so one case means one instance).
    pub cert: CertCase,
    /// `disable_plaintext_auth = no` (the Dovecot 2.3 name): allow password authentication
    /// without TLS. (Visible because Dovecot listens on [`DOVECOT_ADDRESS`].)
    pub cleartext_auth: bool,
}

impl DovecotOptions {
    pub fn new(cert: CertCase) -> Self {
        DovecotOptions {
            cert,
            cleartext_auth: false,
        }
    }
}

/// A running Dovecot with IMAP, POP3 and ManageSieve listeners on [`DOVECOT_ADDRESS`];
/// stopped on drop.
///
/// It authenticates nobody (an empty passwd-file) and delivers nothing.
#[derive(Debug)]
pub struct Dovecot {
    /// IMAP with STARTTLS.
    pub imap: u16,
    /// IMAP with implicit TLS.
    pub imaps: u16,
    /// POP3 with STARTTLS.
    pub pop3: u16,
    /// POP3 with implicit TLS.
    pub pop3s: u16,
    /// ManageSieve (STARTTLS).
    pub sieve: u16,
    pid: u32,
    log: PathBuf,
    dir: tempfile::TempDir,
}

impl Dovecot {
    /// Writes a private configuration, starts `dovecot -c` and waits until every port accepts.
    pub fn start(pki: &TestPki, options: DovecotOptions) -> anyhow::Result<Dovecot> {
        let dovecot = preflight("dovecot")?;
        let dir = instance_dir("mailtls-dovecot-")?;
        let d = dir.path();
        let (chain, key) = write_cert(pki, options.cert, d, "server")?;
        let passwd = d.join("passwd");
        write(&passwd, "")?;
        for sub in ["run", "state", "mail"] {
            std::fs::create_dir(d.join(sub)).with_context(|| format!("mkdir {sub}"))?;
        }
        let [imap, imaps, pop3, pop3s, sieve] = free_ports_on(DOVECOT_ADDRESS, 5)?[..] else {
            unreachable!("free_ports(5) returns 5 ports")
        };
        let log = d.join("dovecot.log");
        let config = d.join("dovecot.conf");
        let instance = d
            .file_name()
            .and_then(|n| n.to_str())
            .unwrap_or("mailtls-dovecot");
        let mut conf = String::new();
        let _ = write!(
            conf,
            "\
# Private mailtls test instance: loopback only, authenticates nobody.
instance_name = {instance}
base_dir = {d}/run
state_dir = {d}/state
log_path = {log}
protocols = imap pop3 sieve
listen = {DOVECOT_ADDRESS}
ssl = yes
ssl_cert = <{chain}
ssl_key = <{key}
ssl_min_protocol = TLSv1.2
# The server chooses the cipher suite, so that every client is offered the same one.
ssl_prefer_server_ciphers = yes
disable_plaintext_auth = {disable}
login_trusted_networks =
auth_mechanisms = plain login
passdb {{
  driver = passwd-file
  args = {passwd}
}}
userdb {{
  driver = static
  args = uid=nobody gid=nogroup home={d}/mail/%u
}}
mail_location = maildir:{d}/mail/%u
service imap-login {{
  inet_listener imap {{
    port = {imap}
  }}
  inet_listener imaps {{
    port = {imaps}
    ssl = yes
  }}
}}
service pop3-login {{
  inet_listener pop3 {{
    port = {pop3}
  }}
  inet_listener pop3s {{
    port = {pop3s}
    ssl = yes
  }}
}}
service managesieve-login {{
  inet_listener sieve {{
    port = {sieve}
  }}
}}
# For Postfix's SASL (smtpd_sasl_type = dovecot): see Dovecot::auth_socket.
service auth {{
  unix_listener {d}/run/auth-smtp {{
    mode = 0666
  }}
}}
",
            d = d.display(),
            log = log.display(),
            chain = chain.display(),
            key = key.display(),
            passwd = passwd.display(),
            disable = if options.cleartext_auth { "no" } else { "yes" },
        );
        write(&config, &conf)?;
        let start_err = d.join("start.err");
        let mut command = Command::new(dovecot);
        command
            .arg("-c")
            .arg(&config)
            .stderr(std::fs::File::create(&start_err).context("create start.err")?);
        run_start(command, "dovecot", &[&start_err, &log])?;
        let pid_file = d.join("run/master.pid");
        let pid = wait_ready(
            "dovecot",
            &pid_file,
            DOVECOT_ADDRESS,
            &[imap, imaps, pop3, pop3s, sieve],
            &[&start_err, &log],
        )
        .inspect_err(|_| {
            if let Some(pid) = read_pid(&pid_file) {
                terminate(pid);
            }
        })?;
        Ok(Dovecot {
            imap,
            imaps,
            pop3,
            pop3s,
            sieve,
            pid,
            log,
            dir,
        })
    }

    /// The instance's log file.
    pub fn log(&self) -> &Path {
        &self.log
    }

    /// The socket through which Postfix can authenticate SMTP clients against this
    /// Dovecot (which accepts nobody: only what is *offered* matters to mailtls).
    pub fn auth_socket(&self) -> PathBuf {
        self.dir.path().join("run/auth-smtp")
    }

    /// The instance's private directory.
    pub fn dir(&self) -> &Path {
        self.dir.path()
    }
}

impl Drop for Dovecot {
    fn drop(&mut self) {
        terminate(self.pid);
    }
}

/// One pair of Postfix listeners (submission with STARTTLS, SMTPS) and how they present TLS.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SmtpListener {
    pub cert: CertCase,
    /// Offer TLS 1.2 only (no TLS 1.3).
    pub tls12_only: bool,
}

impl SmtpListener {
    pub fn new(cert: CertCase) -> Self {
        SmtpListener {
            cert,
            tls12_only: false,
        }
    }

    pub fn tls12_only(self) -> Self {
        SmtpListener {
            tls12_only: true,
            ..self
        }
    }
}

/// The ports of one [`SmtpListener`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SmtpPorts {
    pub listener: SmtpListener,
    /// Submission-style SMTP with STARTTLS required (`smtpd_tls_security_level = encrypt`).
    pub submission: u16,
    /// SMTP with implicit TLS (`smtpd_tls_wrappermode = yes`).
    pub smtps: u16,
}

/// A running Postfix on 127.0.0.1 from a private configuration directory; stopped on drop.
///
/// Several instances run side by side: each has its own configuration, queue and data
/// directories (where `master.lock` lives), `syslog_name` and ports. It delivers nothing
/// (`default_transport` and `local_transport` are `error`) and relays for nobody.
#[derive(Debug)]
pub struct Postfix {
    /// One entry per requested listener, in order.
    pub ports: Vec<SmtpPorts>,
    program: PathBuf,
    pid: u32,
    log: PathBuf,
    dir: tempfile::TempDir,
}

/// Postfix's own services, all without chroot (the `smtpd` listeners are added per instance).
const POSTFIX_SERVICES: &str = "\
pickup     unix  n - n 60    1 pickup
cleanup    unix  n - n -     0 cleanup
qmgr       unix  n - n 300   1 qmgr
tlsmgr     unix  - - n 1000? 1 tlsmgr
rewrite    unix  - - n -     - trivial-rewrite
bounce     unix  - - n -     0 bounce
defer      unix  - - n -     0 bounce
trace      unix  - - n -     0 bounce
verify     unix  - - n -     1 verify
flush      unix  n - n 1000? 0 flush
proxymap   unix  - - n -     - proxymap
proxywrite unix  - - n -     1 proxymap
smtp       unix  - - n -     - smtp
relay      unix  - - n -     - smtp
showq      unix  n - n -     - showq
error      unix  - - n -     - error
retry      unix  - - n -     - error
discard    unix  - - n -     - discard
local      unix  - n n -     - local
anvil      unix  - - n -     1 anvil
scache     unix  - - n -     1 scache
postlog    unix-dgram n - n - 1 postlogd
";

impl Postfix {
    /// Writes `main.cf` and `master.cf` to a private directory, runs `postfix -c DIR start`
    /// and waits until every port accepts.
    pub fn start(pki: &TestPki, listeners: &[SmtpListener]) -> anyhow::Result<Postfix> {
        Self::start_with_auth(pki, listeners, None)
    }

    /// Like [`Postfix::start`], with SASL authentication through a Dovecot auth
    /// socket. `tls_auth_only` is `smtpd_tls_auth_only`: false offers AUTH before
    /// STARTTLS too. The submission listeners then make TLS optional
    /// (`smtpd_tls_security_level = may`) so that the setting shows.
    pub fn start_with_auth(
        pki: &TestPki,
        listeners: &[SmtpListener],
        auth: Option<(&Path, bool)>,
    ) -> anyhow::Result<Postfix> {
        let postfix = preflight("postfix")?;
        let dir = instance_dir("mailtls-postfix-")?;
        let d = dir.path();
        let queue = d.join("queue");
        let data = d.join("data");
        std::fs::create_dir(&queue).context("mkdir queue")?;
        std::fs::create_dir(&data).context("mkdir data")?;
        let chown = Command::new("chown")
            .arg("postfix")
            .arg(&data)
            .status()
            .context("run chown")?;
        if !chown.success() {
            bail!(
                "chown postfix {} failed ({chown}): {INSTALL_HINT}",
                data.display()
            );
        }
        let log = d.join("postfix.log");
        let syslog_name = d
            .file_name()
            .and_then(|n| n.to_str())
            .unwrap_or("mailtls-postfix")
            .to_owned();

        let mut main_cf = format!(
            "\
# Private mailtls test instance: loopback only, delivers and relays nothing.
compatibility_level = 3.6
queue_directory = {queue}
data_directory = {data}
mail_owner = postfix
syslog_name = {syslog_name}
maillog_file = {log}
maillog_file_prefixes = {d}
myhostname = {SERVER_NAME}
mydestination =
inet_interfaces = 127.0.0.1
inet_protocols = ipv4
mynetworks = 127.0.0.0/8
default_transport = error
local_transport = error
relay_transport = error
alias_maps =
alias_database =
local_recipient_maps =
smtpd_relay_restrictions = reject
# A good baseline; Postfix's defaults accept TLS 1.0 and anonymous suites.
smtpd_tls_security_level = may
smtpd_tls_protocols = >=TLSv1.2
smtpd_tls_mandatory_protocols = >=TLSv1.2
smtpd_tls_ciphers = high
smtpd_tls_mandatory_ciphers = high
smtpd_tls_exclude_ciphers = aNULL
# The server chooses the cipher suite, so that every client is offered the same one.
tls_preempt_cipherlist = yes
",
            queue = queue.display(),
            data = data.display(),
            log = log.display(),
            d = d.display(),
        );
        let submission_level = match auth {
            Some((socket, tls_auth_only)) => {
                let _ = write!(
                    main_cf,
                    "smtpd_sasl_auth_enable = yes\nsmtpd_sasl_type = dovecot\nsmtpd_sasl_path = {}\nsmtpd_tls_auth_only = {}\n",
                    socket.display(),
                    if tls_auth_only { "yes" } else { "no" }
                );
                "may"
            }
            None => "encrypt",
        };
        let mut master_cf = String::from(POSTFIX_SERVICES);
        let ports = free_ports(2 * listeners.len())?;
        let mut all_ports = Vec::new();
        for (i, (listener, pair)) in listeners.iter().zip(ports.chunks(2)).enumerate() {
            let (chain, key) = write_cert(pki, listener.cert, d, &format!("listener{i}"))?;
            if i == 0 {
                // main.cf needs a certificate for its own checks; each listener overrides it.
                let _ = writeln!(
                    main_cf,
                    "smtpd_tls_chain_files = {}, {}",
                    key.display(),
                    chain.display()
                );
            }
            let mut overrides = format!(
                "  -o smtpd_tls_chain_files={},{}\n",
                key.display(),
                chain.display()
            );
            if listener.tls12_only {
                overrides.push_str(
                    "  -o smtpd_tls_protocols=TLSv1.2\n  -o smtpd_tls_mandatory_protocols=TLSv1.2\n",
                );
            }
            let (submission, smtps) = (pair[0], pair[1]);
            let _ = write!(
                master_cf,
                "127.0.0.1:{submission} inet n - n - - smtpd\n  -o smtpd_tls_security_level={submission_level}\n{overrides}\
                 127.0.0.1:{smtps} inet n - n - - smtpd\n  -o smtpd_tls_wrappermode=yes\n  -o smtpd_tls_security_level=encrypt\n{overrides}"
            );
            all_ports.push(SmtpPorts {
                listener: *listener,
                submission,
                smtps,
            });
        }
        write(&d.join("main.cf"), &main_cf)?;
        write(&d.join("master.cf"), &master_cf)?;

        let start_err = d.join("start.err");
        let mut command = Command::new(&postfix);
        command
            .arg("-c")
            .arg(d)
            .arg("start")
            .stderr(std::fs::File::create(&start_err).context("create start.err")?);
        run_start(command, "postfix start", &[&start_err, &log])?;
        let listening: Vec<u16> = all_ports
            .iter()
            .flat_map(|p| [p.submission, p.smtps])
            .collect();
        let pid_file = queue.join("pid/master.pid");
        let pid = wait_ready(
            "postfix",
            &pid_file,
            Ipv4Addr::LOCALHOST,
            &listening,
            &[&start_err, &log],
        )
        .inspect_err(|_| stop_postfix(&postfix, d, read_pid(&pid_file)))?;
        Ok(Postfix {
            ports: all_ports,
            program: postfix,
            pid,
            log,
            dir,
        })
    }

    /// The instance's log file.
    pub fn log(&self) -> &Path {
        &self.log
    }

    /// The instance's private directory (its `config_directory`).
    pub fn dir(&self) -> &Path {
        self.dir.path()
    }
}

fn stop_postfix(program: &Path, dir: &Path, pid: Option<u32>) {
    let _ = Command::new(program)
        .arg("-c")
        .arg(dir)
        .arg("stop")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status();
    if let Some(pid) = pid {
        terminate(pid);
    }
}

impl Drop for Postfix {
    fn drop(&mut self) {
        stop_postfix(&self.program, self.dir.path(), Some(self.pid));
    }
}

//! Shared by the hostile-peer suites (`tests/hostile_*.rs`): running the real
//! binary piped, on a pseudo-terminal, against a wall clock or under a
//! peak-memory measurement, and the rules server text must keep in each output.

#![allow(dead_code)] // each test file uses a different subset

use std::path::Path;
use std::time::{Duration, Instant};

use rustls_pki_types::pem::PemObject;
use rustls_pki_types::CertificateDer;

/// How standard output of the binary is connected.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Terminal {
    /// A pipe, with `NO_COLOR=1`.
    PipedNoColor,
    /// A pipe, colour left to `--color` (no `NO_COLOR`).
    Piped,
    /// A pseudo-terminal (python3's `pty` module), `TERM=xterm-256color`,
    /// no `NO_COLOR`: the binary sees a terminal and colours its output. Output
    /// post-processing is off on the terminal, so every byte read is one the
    /// binary wrote (no LF to CR LF translation).
    Pty,
}

/// What one run of the binary did.
#[derive(Debug)]
pub struct Output {
    /// Exit code; -1 when killed (the hard timeout).
    pub code: i32,
    pub stdout: Vec<u8>,
    pub stderr: String,
    pub elapsed: Duration,
}

impl Output {
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.stdout).into_owned()
    }

    pub fn json(&self) -> serde_json::Value {
        serde_json::from_slice(&self.stdout).unwrap_or_else(|e| {
            panic!(
                "stdout is not JSON ({e}), exit {}:\n{}\nstderr: {}",
                self.code,
                self.text(),
                self.stderr
            )
        })
    }
}

/// Runs `python3 -c SCRIPT mailtls ARGS` style wrappers and the binary itself.
fn command(program: &str) -> assert_cmd::Command {
    let mut cmd = assert_cmd::Command::new(program);
    for var in ["NO_COLOR", "CLICOLOR", "CLICOLOR_FORCE", "TERM"] {
        cmd.env_remove(var);
    }
    cmd
}

/// The binary under test.
pub fn mailtls_path() -> String {
    assert_cmd::cargo::cargo_bin("mailtls")
        .to_str()
        .expect("UTF-8 path")
        .to_owned()
}

/// Puts stdout on a fresh pseudo-terminal with output post-processing off,
/// runs the command, copies everything written to the terminal to our stdout
/// and exits with the command's code (128 + N for a signal).
const PTY_RUNNER: &str = r#"
import os, subprocess, sys, termios
master, slave = os.openpty()
attrs = termios.tcgetattr(slave)
attrs[1] &= ~termios.OPOST
termios.tcsetattr(slave, termios.TCSANOW, attrs)
child = subprocess.Popen(sys.argv[1:], stdin=subprocess.DEVNULL, stdout=slave)
os.close(slave)
out = bytearray()
while True:
    try:
        chunk = os.read(master, 65536)
    except OSError:
        break
    if not chunk:
        break
    out += chunk
code = child.wait()
sys.stdout.buffer.write(bytes(out))
sys.stdout.flush()
sys.exit(code if code >= 0 else 128 - code)
"#;

/// Runs `mailtls ARGS` with stdout connected as `terminal`; the generous hard
/// timeout only turns a hang into a failure.
pub fn run(terminal: Terminal, args: &[&str]) -> Output {
    run_with(terminal, args, Duration::from_secs(60))
}

/// Like [`run`], killing the binary after `hard_timeout` (then `code` is -1).
pub fn run_with(terminal: Terminal, args: &[&str], hard_timeout: Duration) -> Output {
    let mut cmd = match terminal {
        Terminal::Pty => {
            let mut cmd = command("python3");
            cmd.arg("-c").arg(PTY_RUNNER).arg(mailtls_path());
            cmd.env("TERM", "xterm-256color");
            cmd
        }
        Terminal::Piped => command(&mailtls_path()),
        Terminal::PipedNoColor => {
            let mut cmd = command(&mailtls_path());
            cmd.env("NO_COLOR", "1");
            cmd
        }
    };
    cmd.args(args).timeout(hard_timeout);
    let started = Instant::now();
    let output = cmd.output().expect("run mailtls");
    Output {
        code: output.status.code().unwrap_or(-1),
        stdout: output.stdout,
        stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
        elapsed: started.elapsed(),
    }
}

/// Runs the binary with stdout into `out_file` and returns its exit code and
/// peak resident memory in KiB (`getrusage(RUSAGE_CHILDREN)` of a python3
/// parent that runs nothing else).
pub fn peak_memory_kib(args: &[&str], out_file: &Path, hard_timeout: Duration) -> (i32, u64) {
    const RUSAGE_RUNNER: &str = r#"
import resource, subprocess, sys
with open(sys.argv[1], "wb") as out:
    code = subprocess.run(sys.argv[2:], stdout=out).returncode
print(code, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)
"#;
    let output = command("python3")
        .env("NO_COLOR", "1")
        .arg("-c")
        .arg(RUSAGE_RUNNER)
        .arg(out_file)
        .arg(mailtls_path())
        .args(args)
        .timeout(hard_timeout)
        .output()
        .expect("run python3");
    let text = String::from_utf8_lossy(&output.stdout);
    let mut words = text.split_whitespace().map(|w| w.parse::<i64>().ok());
    match (words.next().flatten(), words.next().flatten()) {
        (Some(code), Some(kib)) => (code as i32, kib as u64),
        _ => panic!(
            "the measurement did not finish (killed after {hard_timeout:?}?): {text} {}",
            String::from_utf8_lossy(&output.stderr)
        ),
    }
}

/// Bidirectional formatting characters (Unicode Bidi_Control): they reorder
/// what a terminal shows.
pub fn is_bidi_control(c: char) -> bool {
    matches!(c, '\u{061C}' | '\u{200E}' | '\u{200F}' | '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}')
}

/// The field a position of hostile output belongs to: the last `<field>` tag
/// (see `mailtls_testkit::hostile::payload`) opened before it.
fn field_at(text: &str, at: usize) -> &str {
    let before = &text[..at];
    let Some(open) = before.rfind('<') else {
        return "?";
    };
    let tag = &before[open + 1..];
    match tag.find('>') {
        Some(end) if !tag[..end].starts_with('/') => &tag[..end],
        _ => "?",
    }
}

/// The length of mailtls's own SGR colour sequence at the start of `rest`
/// (`ESC [ digits/semicolons m`), or `None`. The hostile payload's blink
/// (`ESC[5m`) is not one of mailtls's styles and does not count.
fn own_sgr_len(rest: &str) -> Option<usize> {
    let body = rest.strip_prefix("\x1b[")?;
    let end = body.find(|c: char| !(c.is_ascii_digit() || c == ';'))?;
    if !body[end..].starts_with('m') || &body[..end] == "5" {
        return None;
    }
    Some(2 + end + 1)
}

/// Every place where `text` (human output) lets a control character, a C1
/// control, a bidi override or a terminal sequence through, except mailtls's own
/// colours and its line feeds: one message per place, naming the field.
pub fn raw_controls(text: &str) -> Vec<String> {
    let mut found = Vec::new();
    let mut chars = text.char_indices().peekable();
    while let Some((i, c)) = chars.next() {
        if c == '\x1b' {
            if let Some(len) = own_sgr_len(&text[i..]) {
                // Skip the rest of mailtls's own colour sequence.
                while chars.peek().is_some_and(|&(j, _)| j < i + len) {
                    chars.next();
                }
                continue;
            }
        }
        if (c.is_control() && c != '\n') || is_bidi_control(c) {
            let line_start = text[..i].rfind('\n').map_or(0, |p| p + 1);
            let line_end = text[i..].find('\n').map_or(text.len(), |p| i + p);
            found.push(format!(
                "raw {c:?} from field <{}> in line {:?}",
                field_at(text, i),
                &text[line_start..line_end]
            ));
        }
    }
    found
}

/// Asserts human output shows no raw control character from outside and shows
/// the hostile ones visibly (`\x1b` or `\u{1b}`, `\u{202e}`).
pub fn assert_escaped(text: &str, context: &str) {
    let raw = raw_controls(text);
    assert!(
        raw.is_empty(),
        "{context}: {} raw control characters reached the output, e.g.:\n{}",
        raw.len(),
        raw.iter().take(12).cloned().collect::<Vec<_>>().join("\n")
    );
    for needle in mailtls_testkit::hostile::TERMINAL_SEQUENCES {
        assert!(
            !text.contains(needle),
            "{context}: {needle:?} in the output"
        );
    }
    let visible_esc = ["\\x1b", "\\x1B", "\\u{1b}", "\\u{1B}"]
        .iter()
        .any(|v| text.contains(v));
    let visible_rlo = ["\\u{202e}", "\\u{202E}"].iter().any(|v| text.contains(v));
    assert!(
        visible_esc && visible_rlo,
        "{context}: the hostile ESC and U+202E are not shown visibly (as \\x1b, \\u{{202e}}):\n{text}"
    );
}

/// The certificates a PEM text holds, as a PEM reader (rustls-pki-types) finds them.
pub fn pem_certificates(text: &str) -> Vec<CertificateDer<'static>> {
    CertificateDer::pem_slice_iter(text.as_bytes())
        .collect::<Result<Vec<_>, _>>()
        .unwrap_or_else(|e| panic!("the PEM output does not read back ({e:?}):\n{text}"))
}

/// Asserts `text` is PEM blocks and `#` comment lines only, comments without
/// control characters, and that it holds exactly `chain`, in order.
pub fn assert_pem_holds_exactly(text: &str, chain: &[CertificateDer<'static>], context: &str) {
    let found = pem_certificates(text);
    assert_eq!(
        found.len(),
        chain.len(),
        "{context}: a PEM reader finds {} certificates where the server sent {}:\n{text}",
        found.len(),
        chain.len()
    );
    assert!(
        found.iter().zip(chain).all(|(a, b)| a == b),
        "{context}: the certificates read back are not the ones the server sent"
    );
    let mut inside = false;
    for line in text.lines() {
        match line {
            "-----BEGIN CERTIFICATE-----" => inside = true,
            "-----END CERTIFICATE-----" => inside = false,
            _ if inside => {}
            _ => {
                assert!(
                    line.starts_with('#'),
                    "{context}: a line outside the PEM blocks is not a comment: {line:?}\n{text}"
                );
                let raw = raw_controls(line);
                assert!(raw.is_empty(), "{context}: {raw:?}");
            }
        }
    }
}

/// Asserts `text` is monitoring-plugin output for `targets` targets: one status
/// line for one target, a status line and one line per target for several;
/// no CR or other control character and no bidi override anywhere; no `|` but
/// the one that starts the performance data of the status line, which is then
/// well-formed (`label=value[UOM];warn;crit;min;max`, labels quoted when needed).
pub fn assert_nagios(text: &str, targets: usize, context: &str) {
    let lines: Vec<&str> = text
        .strip_suffix('\n')
        .unwrap_or(text)
        .split('\n')
        .collect();
    let expected = if targets == 1 { 1 } else { targets + 1 };
    assert_eq!(
        lines.len(),
        expected,
        "{context}: {} lines for {targets} target(s):\n{text}",
        lines.len()
    );
    let raw = raw_controls(text);
    assert!(raw.is_empty(), "{context}: {raw:#?}");
    for sequence in mailtls_testkit::hostile::TERMINAL_SEQUENCES {
        assert!(!text.contains(sequence), "{context}: {sequence:?}");
    }
    let status = lines[0];
    assert!(
        ["OK", "WARNING", "CRITICAL", "UNKNOWN"]
            .iter()
            .any(|w| status.starts_with(&format!("MAILTLS {w} - "))),
        "{context}: not a status line: {status:?}"
    );
    for line in &lines[1..] {
        assert!(!line.contains('|'), "{context}: '|' in {line:?}");
        assert!(
            !line.starts_with("MAILTLS "),
            "{context}: a second status line: {line:?}"
        );
    }
    let Some((_, perf)) = status.split_once('|') else {
        return;
    };
    assert!(!perf.contains('|'), "{context}: two '|' in {status:?}");
    assert_perfdata(perf, context);
}

/// `'label'=value[UOM];warn;crit;min;max ...` per the Monitoring Plugins guidelines.
fn assert_perfdata(perf: &str, context: &str) {
    let mut rest = perf.trim();
    assert!(!rest.is_empty(), "{context}: empty performance data");
    while !rest.is_empty() {
        let after_label = if let Some(quoted) = rest.strip_prefix('\'') {
            let end = quoted
                .find('\'')
                .unwrap_or_else(|| panic!("{context}: unterminated label in {perf:?}"));
            &quoted[end + 1..]
        } else {
            let end = rest
                .find('=')
                .unwrap_or_else(|| panic!("{context}: no '=' in {perf:?}"));
            assert!(
                !rest[..end].contains(' '),
                "{context}: unquoted label with a space in {perf:?}"
            );
            &rest[end..]
        };
        let value = after_label
            .strip_prefix('=')
            .unwrap_or_else(|| panic!("{context}: no '=' after a label in {perf:?}"));
        let end = value.find(' ').unwrap_or(value.len());
        let mut fields = value[..end].split(';');
        let number = fields.next().unwrap_or_default();
        let digits = number.trim_end_matches(|c: char| c.is_ascii_alphabetic() || c == '%');
        assert!(
            digits.parse::<f64>().is_ok(),
            "{context}: {number:?} is not a value in {perf:?}"
        );
        for threshold in fields {
            assert!(
                threshold
                    .chars()
                    .all(|c| c.is_ascii_digit() || ".:~@-".contains(c)),
                "{context}: {threshold:?} is not a threshold in {perf:?}"
            );
        }
        rest = value[end..].trim_start();
    }
}

/// Why `message` (an error or finding for a person) is not plain words: Rust
/// identifiers (CamelCase words such as `KeyMismatch`, `Name(` calls, `::`
/// paths, `{ field:` debug structs), phrases of the libraries underneath, or
/// a cause said twice. `ignore` are texts to blank out first (temporary paths,
/// whose random names look like identifiers). Empty when the message is fine.
pub fn not_plain_words(message: &str, ignore: &[&str]) -> Vec<String> {
    /// Real words and names that are written in mixed case: products, cipher
    /// and TLS message names, X.509 field names.
    const MIXED_CASE_WORDS: [&str; 25] = [
        "OpenSSL",
        "LibreSSL",
        "BoringSSL",
        "GnuTLS",
        "WebPKI",
        "ManageSieve",
        "macOS",
        "iOS",
        "mailtls",
        "ChaCha20",
        "ClientHello",
        "ServerHello",
        "ServerHelloDone",
        "CertificateRequest",
        "subjectAltName",
        "basicConstraints",
        "pathLenConstraint",
        "keyUsage",
        "extendedKeyUsage",
        "serverAuth",
        "clientAuth",
        "notBefore",
        "notAfter",
        "caIssuers",
        "dNSName",
    ];
    /// What the libraries underneath say, which a user cannot act on.
    const LIBRARY_PHRASES: [&str; 9] = [
        "no items found",
        "timeout: global",
        "corrupt message",
        "peer is incompatible",
        "keys may not be consistent",
        "base64 decode error",
        "transport is unsecured",
        " io: ",
        "invalid peer certificate",
    ];
    let mut text = format!(" {message}");
    for blank in ignore {
        text = text.replace(blank, "PATH");
    }
    let mut why = Vec::new();
    for word in text.split(|c: char| !(c.is_ascii_alphanumeric() || c == '_')) {
        let mut previous_lower = false;
        let camel = word.chars().any(|c| {
            let hit = previous_lower && c.is_ascii_uppercase();
            previous_lower = c.is_ascii_lowercase();
            hit
        });
        if camel && !MIXED_CASE_WORDS.contains(&word) {
            why.push(format!("Rust identifier {word:?}"));
        }
    }
    let bytes = text.as_bytes();
    for (i, _) in text.match_indices('(') {
        let start = text[..i]
            .rfind(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
            .map_or(0, |p| p + 1);
        if start < i && bytes[start].is_ascii_uppercase() {
            why.push(format!("debug output {:?}", &text[start..=i]));
        }
    }
    if text.contains("::") {
        why.push("a Rust path (::)".to_owned());
    }
    for (i, _) in text.match_indices("{ ") {
        let field: String = text[i + 2..]
            .chars()
            .take_while(|c| c.is_ascii_lowercase() || *c == '_')
            .collect();
        if !field.is_empty() && text[i + 2 + field.len()..].starts_with(':') {
            why.push(format!("a debug struct near {:?}", &text[i..]));
        }
    }
    for phrase in LIBRARY_PHRASES {
        if text.contains(phrase) {
            why.push(format!("library wording {phrase:?}"));
        }
    }
    if text.matches("os error").count() > 1 {
        why.push("\"os error\" twice".to_owned());
    }
    let parts: Vec<&str> = text.split(": ").map(str::trim).collect();
    for (i, part) in parts.iter().enumerate() {
        if part.len() >= 8 && parts[i + 1..].contains(part) {
            why.push(format!("the cause {part:?} is said twice"));
        }
    }
    why
}

/// Every whitespace-separated number in `text`, e.g. to find "1.2 s" in a sentence.
pub fn numbers_in(text: &str) -> Vec<f64> {
    text.split(|c: char| !(c.is_ascii_digit() || c == '.'))
        .filter_map(|w| w.trim_matches('.').parse::<f64>().ok())
        .collect()
}

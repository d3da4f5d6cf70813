//! What was said on a connection before and inside TLS: the dialogue's facts and
//! the transcript, bounded in lines and line length.

use serde::{Deserialize, Serialize};

/// The most capabilities kept of one list; real servers announce a few dozen.
pub const MAX_CAPABILITIES: usize = 512;
/// The longest capability kept, in bytes; a longer one is cut (on a character boundary).
pub const MAX_CAPABILITY_LEN: usize = 1024;

/// What a dialogue learned. Capability names keep the server's spelling; for SMTP
/// they are the EHLO keyword lines (without the reply code), for IMAP the atoms
/// after `CAPABILITY`, for POP3 the CAPA lines, for ManageSieve the capability
/// lines as sent (e.g. `"SASL" "PLAIN"`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DialogueFacts {
    /// The first greeting line (the last line for a multi-line SMTP greeting is
    /// not kept separately; the transcript has them all).
    pub greeting: Option<String>,
    /// Capabilities announced in plaintext, if the dialogue asked for them.
    pub capabilities_before_tls: Option<Vec<String>>,
    /// Capabilities announced inside TLS.
    pub capabilities_after_tls: Option<Vec<String>>,
    /// Set when a capability list was longer than mailtls keeps
    /// ([`MAX_CAPABILITIES`] items of at most [`MAX_CAPABILITY_LEN`] bytes):
    /// the lists above hold the first ones only.
    #[serde(default)]
    pub capabilities_truncated: bool,
    /// Whether the plaintext capabilities offered STARTTLS (None where not asked:
    /// implicit TLS, or a POP3 server without CAPA).
    pub starttls_offered: Option<bool>,
}

/// The most transcript lines kept; a dialogue that goes on longer is cut short by
/// the dialogues' own reply limits, so this only bounds memory.
pub const MAX_TRANSCRIPT_LINES: usize = 400;

/// Longer lines are kept only in part.
const MAX_TRANSCRIPT_LINE: usize = 400;

/// Who sent a line.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Side {
    Client,
    Server,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TranscriptLine {
    pub from: Side,
    /// Whether the line travelled inside TLS.
    pub tls: bool,
    pub text: String,
}

/// What was said on the connection, in order. Never holds credentials: mailtls
/// sends none.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Transcript {
    pub lines: Vec<TranscriptLine>,
    /// True when lines were dropped to stay within [`MAX_TRANSCRIPT_LINES`].
    pub truncated: bool,
}

impl Transcript {
    pub fn push(&mut self, from: Side, tls: bool, text: &str) {
        if self.lines.len() >= MAX_TRANSCRIPT_LINES {
            self.truncated = true;
            return;
        }
        let text = match text.char_indices().nth(MAX_TRANSCRIPT_LINE) {
            Some((cut, _)) => format!("{}… ({} bytes)", &text[..cut], text.len()),
            None => text.to_owned(),
        };
        self.lines.push(TranscriptLine { from, tls, text });
    }

    pub fn push_sent(&mut self, tls: bool, bytes: &[u8]) {
        let text = String::from_utf8_lossy(bytes);
        for line in text.split_terminator("\r\n") {
            self.push(Side::Client, tls, line);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn transcript_is_bounded() {
        let mut t = Transcript::default();
        for _ in 0..MAX_TRANSCRIPT_LINES + 10 {
            t.push(Side::Server, false, "x");
        }
        assert_eq!(t.lines.len(), MAX_TRANSCRIPT_LINES);
        assert!(t.truncated);
        let mut t = Transcript::default();
        t.push(Side::Server, false, &"é".repeat(1000));
        assert!(
            t.lines[0].text.ends_with("(2000 bytes)"),
            "{}",
            t.lines[0].text
        );
    }

    #[test]
    fn sent_bytes_become_one_line_per_command() {
        let mut t = Transcript::default();
        t.push_sent(true, b"a1 CAPABILITY\r\na2 LOGOUT\r\n");
        let texts: Vec<_> = t.lines.iter().map(|l| l.text.as_str()).collect();
        assert_eq!(texts, ["a1 CAPABILITY", "a2 LOGOUT"]);
        assert!(t.lines.iter().all(|l| l.tls && l.from == Side::Client));
    }
}

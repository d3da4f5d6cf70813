//! Bookkeeping and line parsing shared by the four protocol dialogues.

use std::collections::VecDeque;

use super::{Action, Dialogue, DialogueError, DialogueFacts, TlsMode, MAX_REPLY_LINES};
use crate::facts::dialogue::{MAX_CAPABILITIES, MAX_CAPABILITY_LEN};

/// Where a dialogue stands with respect to the driver.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Stage {
    /// Reading the server's lines (after any queued sends).
    Talking,
    /// The server accepted STARTTLS: the next action is the handshake.
    StartTls,
    /// `Action::StartTls` was handed out; waiting for `on_tls_established`.
    AwaitingTls,
    /// Finished or stopped by an error: queued sends, then `Done` for ever.
    Finished,
}

/// The part of a dialogue that is the same for every protocol: the queue of
/// commands to send, the line budget of the reply being read, the STARTTLS
/// hand-off with the driver, and the facts learned.
#[derive(Debug)]
pub(super) struct Core {
    facts: DialogueFacts,
    stage: Stage,
    tls: bool,
    outbox: VecDeque<Vec<u8>>,
    /// The command whose reply is being read (for error messages).
    reply_to: &'static str,
    /// Lines read of that reply so far.
    reply_lines: usize,
}

impl Core {
    pub(super) fn new(mode: TlsMode) -> Self {
        Core {
            facts: DialogueFacts::default(),
            stage: Stage::Talking,
            tls: mode == TlsMode::Implicit,
            outbox: VecDeque::new(),
            reply_to: "greeting",
            reply_lines: 0,
        }
    }

    pub(super) fn facts(&self) -> &DialogueFacts {
        &self.facts
    }

    /// Whether the connection is inside TLS (implicit TLS, or after STARTTLS).
    pub(super) fn tls(&self) -> bool {
        self.tls
    }

    /// Queued sends first, then what the stage calls for.
    pub(super) fn next_action(&mut self) -> Action {
        if let Some(bytes) = self.outbox.pop_front() {
            return Action::Send(bytes);
        }
        match self.stage {
            Stage::Talking => Action::ReadLine,
            Stage::StartTls => {
                self.stage = Stage::AwaitingTls;
                Action::StartTls
            }
            // Reading on before the handshake would read the server's TLS bytes as
            // lines; ending is the only safe thing left.
            Stage::AwaitingTls | Stage::Finished => Action::Done,
        }
    }

    /// Whether a server line is expected now. Lines arriving at other times
    /// (after the end or an error) are ignored.
    pub(super) fn wants_line(&self) -> bool {
        self.stage == Stage::Talking
    }

    /// Counts one line of the current reply; a reply may have at most
    /// [`MAX_REPLY_LINES`] lines.
    pub(super) fn count_line(&mut self) -> Result<(), DialogueError> {
        self.reply_lines += 1;
        if self.reply_lines > MAX_REPLY_LINES {
            return Err(DialogueError::ReplyTooLong {
                command: self.reply_to,
            });
        }
        Ok(())
    }

    /// Starts reading the reply to `command` without sending anything (the
    /// server speaks first, as after ManageSieve's STARTTLS).
    pub(super) fn expect_reply(&mut self, command: &'static str) {
        self.reply_to = command;
        self.reply_lines = 0;
    }

    /// Queues `line` plus CRLF and starts reading the reply to `command`.
    pub(super) fn send(&mut self, command: &'static str, line: &str) {
        self.outbox.push_back(format!("{line}\r\n").into_bytes());
        self.expect_reply(command);
    }

    /// The server accepted STARTTLS: the next action is `StartTls`.
    pub(super) fn start_tls(&mut self) {
        self.stage = Stage::StartTls;
    }

    /// Called from `on_tls_established`. Returns whether it was expected, that is
    /// whether the dialogue handed out `StartTls` and now goes on inside TLS.
    pub(super) fn tls_established(&mut self) -> bool {
        if self.stage != Stage::AwaitingTls {
            return false;
        }
        self.stage = Stage::Talking;
        self.tls = true;
        true
    }

    /// Queues the polite goodbye; after it the dialogue is done (its reply is not read).
    pub(super) fn finish(&mut self, quit_line: &str) {
        self.send("quit", quit_line);
        self.stage = Stage::Finished;
    }

    /// Stops the dialogue after an error: nothing more is sent.
    pub(super) fn fail(&mut self) {
        self.outbox.clear();
        self.stage = Stage::Finished;
    }

    /// Keeps the first greeting line.
    pub(super) fn note_greeting(&mut self, line: &str) {
        if self.facts.greeting.is_none() {
            self.facts.greeting = Some(line.to_string());
        }
    }

    /// Adds `capability` to a list being collected, within the limits of what
    /// is kept ([`MAX_CAPABILITIES`], [`MAX_CAPABILITY_LEN`]); what is cut is
    /// noted in the facts.
    pub(super) fn keep_capability(&mut self, list: &mut Vec<String>, capability: &str) {
        if list.len() >= MAX_CAPABILITIES {
            self.facts.capabilities_truncated = true;
            return;
        }
        let mut end = capability.len().min(MAX_CAPABILITY_LEN);
        while !capability.is_char_boundary(end) {
            end -= 1;
        }
        if end < capability.len() {
            self.facts.capabilities_truncated = true;
        }
        list.push(capability[..end].to_owned());
    }

    /// Records a complete capability list: inside TLS as `capabilities_after_tls`,
    /// in plaintext as `capabilities_before_tls` together with `offered`, which is
    /// then required.
    pub(super) fn record_capabilities(
        &mut self,
        capabilities: Vec<String>,
        offered: bool,
    ) -> Result<(), DialogueError> {
        let capabilities = if capabilities.len() > MAX_CAPABILITIES
            || capabilities.iter().any(|c| c.len() > MAX_CAPABILITY_LEN)
        {
            let mut kept = Vec::with_capacity(MAX_CAPABILITIES);
            for capability in &capabilities {
                self.keep_capability(&mut kept, capability);
            }
            kept
        } else {
            capabilities
        };
        if self.tls {
            self.facts.capabilities_after_tls = Some(capabilities);
            return Ok(());
        }
        self.facts.capabilities_before_tls = Some(capabilities);
        self.facts.starttls_offered = Some(offered);
        if offered {
            Ok(())
        } else {
            Err(DialogueError::StarttlsNotOffered)
        }
    }
}

/// Splits off the first whitespace-separated word: `("a1", "OK done")` for
/// `"a1 OK done"`. Leading whitespace is skipped; the rest is trimmed at its start.
pub(super) fn split_word(text: &str) -> (&str, &str) {
    let text = text.trim_start();
    match text.split_once(char::is_whitespace) {
        Some((word, rest)) => (word, rest.trim_start()),
        None => (text, ""),
    }
}

/// Whether the first word of `text` is `word`, ignoring ASCII case.
pub(super) fn first_word_is(text: &str, word: &str) -> bool {
    split_word(text).0.eq_ignore_ascii_case(word)
}

/// Whether one of the capabilities starts with the word `keyword` (any case).
pub(super) fn offers(capabilities: &[String], keyword: &str) -> bool {
    capabilities.iter().any(|c| first_word_is(c, keyword))
}

/// The whitespace-separated words of `text`, owned.
pub(super) fn words(text: &str) -> Vec<String> {
    text.split_whitespace().map(str::to_string).collect()
}

/// A line that does not fit the protocol at this point.
pub(super) fn unexpected(command: &'static str, line: &str) -> DialogueError {
    DialogueError::UnexpectedReply {
        command,
        line: line.to_string(),
    }
}

/// Runs a dialogue against a script of server lines, as the driver would.
/// What each protocol's dialogue supplies. [`Dialogue`] is implemented once for
/// all of them: the line budget, stopping after a failure, and the facts are the
/// same in every protocol.
pub(super) trait Machine: Send {
    fn core(&self) -> &Core;
    fn core_mut(&mut self) -> &mut Core;
    /// One server line, already counted against the reply's line budget.
    fn handle(&mut self, line: &str) -> Result<(), DialogueError>;
    /// TLS is up: ask for (or expect) the capabilities again.
    fn after_tls(&mut self);
}

impl<M: Machine> Dialogue for M {
    fn next_action(&mut self) -> Action {
        self.core_mut().next_action()
    }

    fn on_line(&mut self, line: &str) -> Result<(), DialogueError> {
        if !self.core().wants_line() {
            return Ok(());
        }
        let result = self
            .core_mut()
            .count_line()
            .and_then(|()| self.handle(line));
        if result.is_err() {
            self.core_mut().fail();
        }
        result
    }

    fn on_tls_established(&mut self) {
        if self.core_mut().tls_established() {
            self.after_tls();
        }
    }

    fn facts(&self) -> &DialogueFacts {
        self.core().facts()
    }
}

#[cfg(test)]
pub(super) mod testing {
    use super::super::{Action, Dialogue, DialogueError, DialogueFacts, TlsMode};

    /// Stands for the TLS handshake in [`Run::client`].
    pub(in crate::protocol) const HANDSHAKE: &str = "<TLS handshake>";

    /// What the client did, in order, and how the dialogue ended.
    #[derive(Debug)]
    pub(in crate::protocol) struct Run {
        /// Every command sent, as text with its CRLF, and [`HANDSHAKE`] for each
        /// `Action::StartTls`.
        pub client: Vec<String>,
        pub result: Result<(), DialogueError>,
        pub facts: DialogueFacts,
    }

    /// Drives `dialogue` until it is done or fails. Panics if it wants more lines
    /// than `server` has, leaves some unread, or does not stay done.
    pub(in crate::protocol) fn run<S: AsRef<str>>(
        mut dialogue: impl Dialogue,
        mode: TlsMode,
        server: &[S],
    ) -> Run {
        if mode == TlsMode::Implicit {
            dialogue.on_tls_established();
        }
        let mut lines = server.iter().map(AsRef::as_ref);
        let mut client = Vec::new();
        let mut result = Ok(());
        for _ in 0..10_000 {
            match dialogue.next_action() {
                Action::Send(bytes) => client.push(String::from_utf8(bytes).expect("text")),
                Action::ReadLine => {
                    let line = lines
                        .next()
                        .unwrap_or_else(|| panic!("wants another line after {client:?}"));
                    if let Err(error) = dialogue.on_line(line) {
                        result = Err(error);
                        break;
                    }
                }
                Action::StartTls => {
                    client.push(HANDSHAKE.to_string());
                    dialogue.on_tls_established();
                }
                Action::Done => break,
            }
        }
        assert_eq!(dialogue.next_action(), Action::Done, "did not end");
        assert_eq!(dialogue.next_action(), Action::Done, "did not stay done");
        let unread: Vec<&str> = lines.collect();
        assert!(unread.is_empty(), "server lines left unread: {unread:?}");
        Run {
            client,
            result,
            facts: dialogue.facts().clone(),
        }
    }

    /// [`run`] of the dialogue `new` makes for `mode`, in that mode.
    pub(in crate::protocol) fn run_in<D: Dialogue, S: AsRef<str>>(
        mode: TlsMode,
        new: impl FnOnce(TlsMode) -> D,
        server: &[S],
    ) -> Run {
        run(new(mode), mode, server)
    }

    /// The capabilities in `list`, as the facts hold them.
    pub(in crate::protocol) fn caps(list: &[&str]) -> Option<Vec<String>> {
        Some(list.iter().map(|c| c.to_string()).collect())
    }

    /// `prefix` followed by the numbers 1..=count, one line each.
    pub(in crate::protocol) fn numbered(prefix: &str, count: usize) -> Vec<String> {
        (1..=count).map(|n| format!("{prefix}{n}")).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn split_word_handles_edges() {
        assert_eq!(split_word("a1 OK  done"), ("a1", "OK  done"));
        assert_eq!(split_word("  * BYE"), ("*", "BYE"));
        assert_eq!(split_word("+OK"), ("+OK", ""));
        assert_eq!(split_word(""), ("", ""));
        assert_eq!(split_word("é\u{a0}x"), ("é", "x"));
    }

    #[test]
    fn offers_matches_the_first_word_in_any_case() {
        let caps = words("IMAP4rev1 starttls AUTH=PLAIN");
        assert!(offers(&caps, "STARTTLS"));
        assert!(!offers(&caps, "PLAIN"));
        assert!(!offers(&["STARTTLSX".to_string()], "STARTTLS"));
    }

    /// Feeds every dialogue odd lines in many orders, including calls the driver
    /// never makes (lines after the end, TLS twice): nothing may panic.
    #[test]
    fn no_line_sequence_panics() {
        use super::super::{dialogue_for, Protocol};
        const LINES: [&str; 16] = [
            "* OK [CAPABILITY STARTTLS",
            "* OK [CAPABILITY IMAP4rev1 STARTTLS] hi",
            "a1 OK",
            "a2 OK [",
            "+OK",
            ".",
            "..",
            "-ERR",
            "220-é",
            "220",
            "250 STARTTLS",
            "\"STARTTLS",
            "OK",
            "",
            "€€€",
            "\u{0}\u{fffd}",
        ];
        let protocols = [
            Protocol::Imap,
            Protocol::Pop3,
            Protocol::Smtp,
            Protocol::Sieve,
        ];
        let modes = [TlsMode::Implicit, TlsMode::Starttls];
        let mut seed: u32 = 1;
        for round in 0..400 {
            for protocol in protocols {
                let mode = modes[round % 2];
                let mut dialogue = dialogue_for(protocol, mode, "probe");
                for _ in 0..40 {
                    seed = seed.wrapping_mul(1_103_515_245).wrapping_add(12_345);
                    let pick = (seed >> 16) as usize;
                    match pick % 7 {
                        0 => dialogue.on_tls_established(),
                        1 | 2 => {
                            let _ = dialogue.next_action();
                        }
                        _ => {
                            let _ = dialogue.on_line(LINES[pick % LINES.len()]);
                        }
                    }
                }
                let _ = dialogue.facts();
            }
        }
    }

    #[test]
    fn the_line_budget_allows_exactly_max_reply_lines() {
        let mut core = Core::new(TlsMode::Starttls);
        core.send("CAPA", "CAPA");
        for _ in 0..MAX_REPLY_LINES {
            assert_eq!(core.count_line(), Ok(()));
        }
        assert_eq!(
            core.count_line(),
            Err(DialogueError::ReplyTooLong { command: "CAPA" })
        );
    }
}

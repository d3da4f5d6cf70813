//! The IMAP dialogue (RFC 9051, 3501): greeting, CAPABILITY, STARTTLS, CAPABILITY again, LOGOUT.

use super::common::{self, first_word_is, split_word, Core, Machine};
use super::{DialogueError, TlsMode};

/// Which server line the dialogue waits for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    Greeting,
    /// The reply to CAPABILITY (before or inside TLS).
    Capability,
    /// The reply to STARTTLS.
    StartTls,
}

/// One server line, as far as this dialogue cares.
enum Response<'a> {
    /// `* ...`: the text after the star.
    Untagged(&'a str),
    /// `<our tag> <status> <text>`.
    Tagged { status: &'a str, text: &'a str },
}

/// The IMAP dialogue. Tags are `a1`, `a2`, ... in the order commands are sent.
#[derive(Debug)]
pub struct ImapDialogue {
    core: Core,
    state: State,
    /// Commands tagged so far; the next tag is `a{tagged + 1}`.
    tagged: u32,
    /// The tag of the command whose reply is being read.
    tag: String,
    /// Atoms from untagged `* CAPABILITY` lines of the current reply.
    capabilities: Option<Vec<String>>,
}

impl ImapDialogue {
    pub fn new(mode: TlsMode) -> Self {
        ImapDialogue {
            core: Core::new(mode),
            state: State::Greeting,
            tagged: 0,
            tag: String::new(),
            capabilities: None,
        }
    }

    /// The tagged command line `a<N> <command>` for the next tag.
    fn tagged_line(&mut self, command: &str) -> String {
        self.tagged += 1;
        self.tag = format!("a{}", self.tagged);
        format!("{} {command}", self.tag)
    }

    fn send(&mut self, command: &'static str, state: State) {
        let line = self.tagged_line(command);
        self.core.send(command, &line);
        self.state = state;
    }

    fn on_greeting(&mut self, line: &str) -> Result<(), DialogueError> {
        self.core.note_greeting(line);
        let (star, rest) = split_word(line);
        let (status, text) = split_word(rest);
        if star != "*" {
            return Err(not_a_greeting(line));
        }
        if status.eq_ignore_ascii_case("BYE") {
            return Err(DialogueError::ServiceUnavailable {
                line: line.to_string(),
                temporary: true,
            });
        }
        if !status.eq_ignore_ascii_case("OK") && !status.eq_ignore_ascii_case("PREAUTH") {
            return Err(not_a_greeting(line));
        }
        match capability_code(text) {
            Some(capabilities) => self.on_capabilities(capabilities),
            None => {
                self.send("CAPABILITY", State::Capability);
                Ok(())
            }
        }
    }

    fn on_capability_reply(&mut self, line: &str) -> Result<(), DialogueError> {
        match self.response(line, "CAPABILITY")? {
            Response::Untagged(text) => {
                let (word, atoms) = split_word(text);
                if word.eq_ignore_ascii_case("CAPABILITY") {
                    let collected = self.capabilities.get_or_insert_with(Vec::new);
                    for atom in atoms.split_whitespace() {
                        self.core.keep_capability(collected, atom);
                    }
                }
                Ok(())
            }
            Response::Tagged { status, text } if status.eq_ignore_ascii_case("OK") => {
                let capabilities = self
                    .capabilities
                    .take()
                    .or_else(|| capability_code(text))
                    .unwrap_or_default();
                self.on_capabilities(capabilities)
            }
            Response::Tagged { .. } => Err(common::unexpected("CAPABILITY", line)),
        }
    }

    /// A complete capability list, from the greeting or a CAPABILITY reply.
    fn on_capabilities(&mut self, capabilities: Vec<String>) -> Result<(), DialogueError> {
        let offered = common::offers(&capabilities, "STARTTLS");
        self.core.record_capabilities(capabilities, offered)?;
        if self.core.tls() {
            let line = self.tagged_line("LOGOUT");
            self.core.finish(&line);
        } else {
            self.send("STARTTLS", State::StartTls);
        }
        Ok(())
    }

    fn on_starttls_reply(&mut self, line: &str) -> Result<(), DialogueError> {
        match self.response(line, "STARTTLS")? {
            Response::Untagged(_) => Ok(()),
            Response::Tagged { status, .. } if status.eq_ignore_ascii_case("OK") => {
                self.core.start_tls();
                Ok(())
            }
            Response::Tagged { status, .. }
                if status.eq_ignore_ascii_case("NO") || status.eq_ignore_ascii_case("BAD") =>
            {
                Err(DialogueError::StarttlsRefused {
                    line: line.to_string(),
                })
            }
            Response::Tagged { .. } => Err(common::unexpected("STARTTLS", line)),
        }
    }

    /// Sorts a line of the reply to `command`. An untagged BYE (the server is
    /// closing), a continuation request, another tag or garbage is unexpected.
    fn response<'a>(
        &self,
        line: &'a str,
        command: &'static str,
    ) -> Result<Response<'a>, DialogueError> {
        let (first, rest) = split_word(line);
        if first == "*" && !first_word_is(rest, "BYE") {
            return Ok(Response::Untagged(rest));
        }
        if first.eq_ignore_ascii_case(&self.tag) {
            let (status, text) = split_word(rest);
            return Ok(Response::Tagged { status, text });
        }
        Err(common::unexpected(command, line))
    }
}

impl Machine for ImapDialogue {
    fn core(&self) -> &Core {
        &self.core
    }

    fn core_mut(&mut self) -> &mut Core {
        &mut self.core
    }

    fn handle(&mut self, line: &str) -> Result<(), DialogueError> {
        match self.state {
            State::Greeting => self.on_greeting(line),
            State::Capability => self.on_capability_reply(line),
            State::StartTls => self.on_starttls_reply(line),
        }
    }

    fn after_tls(&mut self) {
        self.send("CAPABILITY", State::Capability);
    }
}

/// The atoms of a `[CAPABILITY ...]` response code at the start of `text`.
fn capability_code(text: &str) -> Option<Vec<String>> {
    let (code, _) = text.strip_prefix('[')?.split_once(']')?;
    let (name, atoms) = split_word(code);
    name.eq_ignore_ascii_case("CAPABILITY")
        .then(|| common::words(atoms))
}

fn not_a_greeting(line: &str) -> DialogueError {
    DialogueError::UnexpectedGreeting {
        protocol: "IMAP",
        line: line.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::super::MAX_REPLY_LINES;
    use super::*;
    use crate::protocol::common::testing::{numbered, run_in, Run, HANDSHAKE};
    use crate::protocol::DialogueFacts;

    const DOVECOT: &str = "* OK [CAPABILITY IMAP4rev1 SASL-IR LOGIN-REFERRALS ID ENABLE IDLE LITERAL+ STARTTLS LOGINDISABLED] Dovecot (Debian) ready.";
    const DOVECOT_TLS_CAPS: &str =
        "* CAPABILITY IMAP4rev1 SASL-IR LOGIN-REFERRALS ID ENABLE IDLE LITERAL+ AUTH=PLAIN";

    fn starttls<S: AsRef<str>>(server: &[S]) -> Run {
        run_in(TlsMode::Starttls, ImapDialogue::new, server)
    }

    fn implicit<S: AsRef<str>>(server: &[S]) -> Run {
        run_in(TlsMode::Implicit, ImapDialogue::new, server)
    }

    fn caps(list: &str) -> Option<Vec<String>> {
        Some(common::words(list))
    }

    #[test]
    fn starttls_success_asks_for_capabilities_twice() {
        let run = starttls(&[
            "* OK IMAP server ready",
            "* CAPABILITY IMAP4rev1 STARTTLS LOGINDISABLED",
            "a1 OK CAPABILITY completed",
            "a2 OK Begin TLS negotiation now",
            "* CAPABILITY IMAP4rev1 AUTH=PLAIN",
            "a3 OK CAPABILITY completed",
        ]);
        assert_eq!(run.result, Ok(()));
        assert_eq!(
            run.client,
            [
                "a1 CAPABILITY\r\n",
                "a2 STARTTLS\r\n",
                HANDSHAKE,
                "a3 CAPABILITY\r\n",
                "a4 LOGOUT\r\n",
            ]
        );
        assert_eq!(
            run.facts,
            DialogueFacts {
                greeting: Some("* OK IMAP server ready".into()),
                capabilities_before_tls: caps("IMAP4rev1 STARTTLS LOGINDISABLED"),
                capabilities_after_tls: caps("IMAP4rev1 AUTH=PLAIN"),
                capabilities_truncated: false,
                starttls_offered: Some(true),
            }
        );
    }

    #[test]
    fn greeting_with_capability_code_skips_the_capability_command() {
        let run = starttls(&[
            DOVECOT,
            "a1 OK Begin TLS negotiation now.",
            DOVECOT_TLS_CAPS,
            "a2 OK Pre-login capabilities listed, post-login capabilities have more.",
        ]);
        assert_eq!(run.result, Ok(()));
        assert_eq!(
            run.client,
            [
                "a1 STARTTLS\r\n",
                HANDSHAKE,
                "a2 CAPABILITY\r\n",
                "a3 LOGOUT\r\n"
            ]
        );
        assert_eq!(run.facts.greeting.as_deref(), Some(DOVECOT));
        assert_eq!(
            run.facts.capabilities_before_tls,
            caps(
                "IMAP4rev1 SASL-IR LOGIN-REFERRALS ID ENABLE IDLE LITERAL+ STARTTLS LOGINDISABLED"
            )
        );
        assert_eq!(
            run.facts.capabilities_after_tls,
            caps("IMAP4rev1 SASL-IR LOGIN-REFERRALS ID ENABLE IDLE LITERAL+ AUTH=PLAIN")
        );
    }

    #[test]
    fn implicit_tls_reads_the_greeting_inside_tls() {
        let run = implicit(&[
            "* OK IMAP server ready",
            "* CAPABILITY IMAP4rev1 AUTH=PLAIN",
            "a1 OK done",
        ]);
        assert_eq!(run.result, Ok(()));
        assert_eq!(run.client, ["a1 CAPABILITY\r\n", "a2 LOGOUT\r\n"]);
        assert_eq!(
            run.facts,
            DialogueFacts {
                greeting: Some("* OK IMAP server ready".into()),
                capabilities_before_tls: None,
                capabilities_after_tls: caps("IMAP4rev1 AUTH=PLAIN"),
                capabilities_truncated: false,
                starttls_offered: None,
            }
        );
    }

    #[test]
    fn implicit_tls_with_capability_code_logs_out_at_once() {
        let run = implicit(&[DOVECOT]);
        assert_eq!(run.result, Ok(()));
        assert_eq!(run.client, ["a1 LOGOUT\r\n"]);
        assert_eq!(run.facts.starttls_offered, None);
        assert!(run.facts.capabilities_after_tls.is_some());
    }

    #[test]
    fn capabilities_in_the_tagged_ok_are_used() {
        let run = implicit(&[
            "* OK ready",
            "* ID NIL",
            "a1 OK [CAPABILITY IMAP4rev1 IDLE] done",
        ]);
        assert_eq!(run.result, Ok(()));
        assert_eq!(run.facts.capabilities_after_tls, caps("IMAP4rev1 IDLE"));
    }

    #[test]
    fn starttls_not_offered() {
        let run = starttls(&[
            "* OK ready",
            "* CAPABILITY IMAP4rev1 AUTH=PLAIN",
            "a1 OK done",
        ]);
        assert_eq!(run.result, Err(DialogueError::StarttlsNotOffered));
        assert_eq!(run.client, ["a1 CAPABILITY\r\n"]);
        assert_eq!(run.facts.starttls_offered, Some(false));
        assert_eq!(
            run.facts.capabilities_before_tls,
            caps("IMAP4rev1 AUTH=PLAIN")
        );
    }

    #[test]
    fn starttls_not_offered_in_the_greeting_code() {
        let run = starttls(&["* OK [CAPABILITY IMAP4rev1 AUTH=PLAIN] ready"]);
        assert_eq!(run.result, Err(DialogueError::StarttlsNotOffered));
        assert_eq!(run.client, Vec::<String>::new());
    }

    #[test]
    fn starttls_refused() {
        let run = starttls(&[
            DOVECOT,
            "* OK still here",
            "a1 NO [UNAVAILABLE] TLS not configured",
        ]);
        assert_eq!(
            run.result,
            Err(DialogueError::StarttlsRefused {
                line: "a1 NO [UNAVAILABLE] TLS not configured".into()
            })
        );
        assert_eq!(run.client, ["a1 STARTTLS\r\n"]);
    }

    #[test]
    fn starttls_bad_is_a_refusal() {
        let run = starttls(&[DOVECOT, "a1 BAD unknown command"]);
        assert!(matches!(
            run.result,
            Err(DialogueError::StarttlsRefused { .. })
        ));
    }

    #[test]
    fn capability_is_case_insensitive() {
        let run = starttls(&[
            "* ok ready",
            "* capability imap4rev1 starttls",
            "A1 ok done",
            "a2 OK go",
            "* CAPABILITY IMAP4rev1",
            "a3 OK done",
        ]);
        assert_eq!(run.result, Ok(()));
        assert_eq!(run.facts.starttls_offered, Some(true));
        assert_eq!(
            run.facts.capabilities_before_tls,
            caps("imap4rev1 starttls")
        );
    }

    #[test]
    fn preauth_greeting_is_read_like_ok() {
        let run = implicit(&["* PREAUTH [CAPABILITY IMAP4rev1] logged in as fred"]);
        assert_eq!(run.result, Ok(()));
        assert_eq!(
            run.facts.greeting.as_deref(),
            Some("* PREAUTH [CAPABILITY IMAP4rev1] logged in as fred")
        );
    }

    #[test]
    fn bye_greeting_is_a_temporary_refusal() {
        let run = starttls(&["* BYE Too many connections from your IP"]);
        assert_eq!(
            run.result,
            Err(DialogueError::ServiceUnavailable {
                line: "* BYE Too many connections from your IP".into(),
                temporary: true,
            })
        );
        assert_eq!(run.client, Vec::<String>::new());
    }

    #[test]
    fn garbage_greetings_are_not_imap() {
        for line in [
            "HTTP/1.1 400 Bad Request",
            "\u{16}\u{3}\u{1}\u{0}\u{fffd}\u{fffd}",
            "+OK POP3 ready",
            "220 mail.test ESMTP",
            "*OK no space",
            "* NO go away",
            "",
        ] {
            let run = starttls(&[line]);
            assert_eq!(
                run.result,
                Err(DialogueError::UnexpectedGreeting {
                    protocol: "IMAP",
                    line: line.into()
                }),
                "{line:?}"
            );
            assert_eq!(run.facts.greeting.as_deref(), Some(line));
        }
    }

    #[test]
    fn tagged_no_to_capability_is_unexpected() {
        let run = starttls(&["* OK ready", "a1 NO not now"]);
        assert_eq!(
            run.result,
            Err(DialogueError::UnexpectedReply {
                command: "CAPABILITY",
                line: "a1 NO not now".into()
            })
        );
    }

    #[test]
    fn continuation_request_is_unexpected() {
        let run = starttls(&["* OK ready", "+ go ahead"]);
        assert_eq!(
            run.result,
            Err(DialogueError::UnexpectedReply {
                command: "CAPABILITY",
                line: "+ go ahead".into()
            })
        );
    }

    #[test]
    fn wrong_tag_and_untagged_bye_are_unexpected() {
        for line in ["a7 OK done", "* BYE shutting down"] {
            let run = starttls(&[DOVECOT, line]);
            assert_eq!(
                run.result,
                Err(DialogueError::UnexpectedReply {
                    command: "STARTTLS",
                    line: line.into()
                })
            );
        }
    }

    #[test]
    fn reply_of_max_lines_is_accepted() {
        let mut server = vec!["* OK ready".to_string()];
        server.extend(numbered("* CAPABILITY X", MAX_REPLY_LINES - 1));
        server.push("a1 OK done".into());
        let run = implicit(&server);
        assert_eq!(run.result, Ok(()));
        let after = run.facts.capabilities_after_tls.unwrap_or_default();
        assert_eq!(after.len(), MAX_REPLY_LINES - 1);
    }

    #[test]
    fn reply_of_more_than_max_lines_is_too_long() {
        let mut server = vec!["* OK ready".to_string()];
        server.extend(numbered("* CAPABILITY X", MAX_REPLY_LINES));
        server.push("a1 OK done".into());
        let run = starttls(&server);
        assert_eq!(
            run.result,
            Err(DialogueError::ReplyTooLong {
                command: "CAPABILITY"
            })
        );
    }

    #[test]
    fn untagged_flood_before_starttls_reply_is_too_long() {
        let mut server = vec![DOVECOT.to_string()];
        server.extend(numbered("* OK noise ", MAX_REPLY_LINES + 1));
        let run = starttls(&server);
        assert_eq!(
            run.result,
            Err(DialogueError::ReplyTooLong {
                command: "STARTTLS"
            })
        );
    }
}

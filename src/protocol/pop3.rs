//! The POP3 dialogue (RFC 1939, 2449, 2595): greeting, CAPA, STLS, CAPA again, QUIT.

use super::common::{self, first_word_is, Core, Machine};
use super::{DialogueError, TlsMode};

/// Which server line the dialogue waits for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    Greeting,
    /// The status line of the reply to CAPA.
    CapaStatus,
    /// The capability lines after `+OK`, up to the `.` line.
    CapaList,
    /// The reply to STLS.
    Stls,
}

/// The POP3 dialogue.
#[derive(Debug)]
pub struct Pop3Dialogue {
    core: Core,
    state: State,
    /// The capability lines of the CAPA reply being read.
    capabilities: Vec<String>,
    /// The server answered the plaintext CAPA with `-ERR`, so STLS was never advertised.
    no_capa: bool,
}

impl Pop3Dialogue {
    pub fn new(mode: TlsMode) -> Self {
        Pop3Dialogue {
            core: Core::new(mode),
            state: State::Greeting,
            capabilities: Vec::new(),
            no_capa: false,
        }
    }

    fn send(&mut self, command: &'static str, state: State) {
        self.core.send(command, command);
        self.state = state;
    }

    fn on_greeting(&mut self, line: &str) -> Result<(), DialogueError> {
        self.core.note_greeting(line);
        if first_word_is(line, "+OK") {
            self.send("CAPA", State::CapaStatus);
            Ok(())
        } else if first_word_is(line, "-ERR") {
            Err(DialogueError::ServiceUnavailable {
                line: line.to_string(),
                temporary: is_temporary_refusal(line),
            })
        } else {
            Err(DialogueError::UnexpectedGreeting {
                protocol: "POP3",
                line: line.to_string(),
            })
        }
    }

    fn on_capa_status(&mut self, line: &str) -> Result<(), DialogueError> {
        if first_word_is(line, "+OK") {
            self.capabilities.clear();
            self.state = State::CapaList;
            Ok(())
        } else if first_word_is(line, "-ERR") {
            // No CAPA: many older servers still do STLS, so try it anyway.
            if self.core.tls() {
                self.core.finish("QUIT");
            } else {
                self.no_capa = true;
                self.send("STLS", State::Stls);
            }
            Ok(())
        } else {
            Err(common::unexpected("CAPA", line))
        }
    }

    fn on_capa_line(&mut self, line: &str) -> Result<(), DialogueError> {
        if line != "." {
            // RFC 1939 3: a leading "." of a line that is not the end is stuffing.
            let capability = line.strip_prefix('.').unwrap_or(line).trim();
            if !capability.is_empty() {
                self.capabilities.push(capability.to_string());
            }
            return Ok(());
        }
        let capabilities = std::mem::take(&mut self.capabilities);
        let offered = common::offers(&capabilities, "STLS");
        self.core.record_capabilities(capabilities, offered)?;
        if self.core.tls() {
            self.core.finish("QUIT");
        } else {
            self.send("STLS", State::Stls);
        }
        Ok(())
    }

    fn on_stls_reply(&mut self, line: &str) -> Result<(), DialogueError> {
        if first_word_is(line, "+OK") {
            self.core.start_tls();
            Ok(())
        } else if first_word_is(line, "-ERR") && self.no_capa {
            Err(DialogueError::StarttlsNotOffered)
        } else if first_word_is(line, "-ERR") {
            Err(DialogueError::StarttlsRefused {
                line: line.to_string(),
            })
        } else {
            Err(common::unexpected("STLS", line))
        }
    }
}

impl Machine for Pop3Dialogue {
    fn core(&self) -> &Core {
        &self.core
    }

    fn core_mut(&mut self) -> &mut Core {
        &mut self.core
    }

    fn handle(&mut self, line: &str) -> Result<(), DialogueError> {
        match self.state {
            State::Greeting => self.on_greeting(line),
            State::CapaStatus => self.on_capa_status(line),
            State::CapaList => self.on_capa_line(line),
            State::Stls => self.on_stls_reply(line),
        }
    }

    fn after_tls(&mut self) {
        self.send("CAPA", State::CapaStatus);
    }
}

/// RFC 2449 / RFC 3206 response codes that say "try again later" on a `-ERR` greeting.
/// Without a code, a refusal is taken as permanent: nothing says it will change.
fn is_temporary_refusal(line: &str) -> bool {
    let upper = line.to_ascii_uppercase();
    ["[SYS/TEMP]", "[IN-USE]", "[LOGIN-DELAY]"]
        .iter()
        .any(|code| upper.contains(code))
}

#[cfg(test)]
mod tests {
    use super::super::MAX_REPLY_LINES;
    use super::*;
    use crate::protocol::common::testing::{caps, numbered, run_in, Run, HANDSHAKE};
    use crate::protocol::DialogueFacts;

    const GREETING: &str = "+OK Dovecot (Debian) ready.";

    fn starttls<S: AsRef<str>>(server: &[S]) -> Run {
        run_in(TlsMode::Starttls, Pop3Dialogue::new, server)
    }

    fn implicit<S: AsRef<str>>(server: &[S]) -> Run {
        run_in(TlsMode::Implicit, Pop3Dialogue::new, server)
    }

    #[test]
    fn starttls_success_asks_for_capabilities_twice() {
        let run = starttls(&[
            GREETING,
            "+OK",
            "CAPA",
            "TOP",
            "UIDL",
            "RESP-CODES",
            "PIPELINING",
            "AUTH-RESP-CODE",
            "STLS",
            "USER",
            "SASL PLAIN",
            ".",
            "+OK Begin TLS negotiation now.",
            "+OK",
            "CAPA",
            "TOP",
            "UIDL",
            "USER",
            "SASL PLAIN LOGIN",
            ".",
        ]);
        assert_eq!(run.result, Ok(()));
        assert_eq!(
            run.client,
            ["CAPA\r\n", "STLS\r\n", HANDSHAKE, "CAPA\r\n", "QUIT\r\n"]
        );
        assert_eq!(
            run.facts,
            DialogueFacts {
                greeting: Some(GREETING.into()),
                capabilities_before_tls: caps(&[
                    "CAPA",
                    "TOP",
                    "UIDL",
                    "RESP-CODES",
                    "PIPELINING",
                    "AUTH-RESP-CODE",
                    "STLS",
                    "USER",
                    "SASL PLAIN"
                ]),
                capabilities_after_tls: caps(&["CAPA", "TOP", "UIDL", "USER", "SASL PLAIN LOGIN"]),
                capabilities_truncated: false,
                starttls_offered: Some(true),
            }
        );
    }

    #[test]
    fn implicit_tls_reads_the_greeting_inside_tls() {
        let run = implicit(&[GREETING, "+OK Capability list follows", "USER", "."]);
        assert_eq!(run.result, Ok(()));
        assert_eq!(run.client, ["CAPA\r\n", "QUIT\r\n"]);
        assert_eq!(
            run.facts,
            DialogueFacts {
                greeting: Some(GREETING.into()),
                capabilities_before_tls: None,
                capabilities_after_tls: caps(&["USER"]),
                capabilities_truncated: false,
                starttls_offered: None,
            }
        );
    }

    #[test]
    fn implicit_tls_without_capa_just_quits() {
        let run = implicit(&[GREETING, "-ERR unknown command"]);
        assert_eq!(run.result, Ok(()));
        assert_eq!(run.client, ["CAPA\r\n", "QUIT\r\n"]);
        assert_eq!(run.facts.capabilities_after_tls, None);
    }

    #[test]
    fn starttls_not_offered() {
        let run = starttls(&[GREETING, "+OK", "USER", "TOP", "."]);
        assert_eq!(run.result, Err(DialogueError::StarttlsNotOffered));
        assert_eq!(run.client, ["CAPA\r\n"]);
        assert_eq!(run.facts.starttls_offered, Some(false));
        assert_eq!(run.facts.capabilities_before_tls, caps(&["USER", "TOP"]));
    }

    #[test]
    fn starttls_refused() {
        let run = starttls(&[GREETING, "+OK", "STLS", ".", "-ERR TLS not available"]);
        assert_eq!(
            run.result,
            Err(DialogueError::StarttlsRefused {
                line: "-ERR TLS not available".into()
            })
        );
        assert_eq!(run.client, ["CAPA\r\n", "STLS\r\n"]);
    }

    #[test]
    fn without_capa_stls_is_tried_anyway() {
        let run = starttls(&[
            "+OK POP3 server ready <1896.697170952@dbc.mtview.ca.us>",
            "-ERR unknown command",
            "+OK begin TLS",
            "-ERR still unknown",
        ]);
        assert_eq!(run.result, Ok(()));
        assert_eq!(
            run.client,
            ["CAPA\r\n", "STLS\r\n", HANDSHAKE, "CAPA\r\n", "QUIT\r\n"]
        );
        assert_eq!(
            run.facts,
            DialogueFacts {
                greeting: Some("+OK POP3 server ready <1896.697170952@dbc.mtview.ca.us>".into()),
                capabilities_before_tls: None,
                capabilities_after_tls: None,
                capabilities_truncated: false,
                starttls_offered: None,
            }
        );
    }

    #[test]
    fn without_capa_a_refused_stls_was_never_offered() {
        let run = starttls(&[GREETING, "-ERR unknown command", "-ERR unknown command"]);
        assert_eq!(run.result, Err(DialogueError::StarttlsNotOffered));
        assert_eq!(run.client, ["CAPA\r\n", "STLS\r\n"]);
        assert_eq!(run.facts.starttls_offered, None);
    }

    #[test]
    fn dot_stuffed_lines_lose_one_dot() {
        let run = implicit(&[GREETING, "+OK", "..HIDDEN", "...", "X-DOT .", "."]);
        assert_eq!(run.result, Ok(()));
        assert_eq!(
            run.facts.capabilities_after_tls,
            caps(&[".HIDDEN", "..", "X-DOT ."])
        );
    }

    #[test]
    fn capability_is_case_insensitive() {
        let run = starttls(&["+ok hello", "+ok", "stls", ".", "+ok go", "+OK", "."]);
        assert_eq!(run.result, Ok(()));
        assert_eq!(run.facts.starttls_offered, Some(true));
        assert_eq!(run.facts.capabilities_after_tls, Some(vec![]));
    }

    #[test]
    fn stls_must_be_the_first_word() {
        let run = starttls(&[GREETING, "+OK", "X-STLS", "SASL STLS", "."]);
        assert_eq!(run.result, Err(DialogueError::StarttlsNotOffered));
    }

    #[test]
    fn err_greeting_is_a_refusal() {
        for (line, temporary) in [
            ("-ERR [SYS/TEMP] too many connections", true),
            ("-ERR [IN-USE] mailbox locked", true),
            ("-ERR [SYS/PERM] no POP3 here", false),
            ("-ERR go away", false),
        ] {
            let run = starttls(&[line]);
            assert_eq!(
                run.result,
                Err(DialogueError::ServiceUnavailable {
                    line: line.into(),
                    temporary,
                }),
                "{line}"
            );
            assert_eq!(run.client, Vec::<String>::new());
        }
    }

    #[test]
    fn garbage_greetings_are_not_pop3() {
        for line in [
            "HTTP/1.1 400 Bad Request",
            "\u{16}\u{3}\u{1}\u{0}\u{fffd}\u{fffd}",
            "* OK IMAP ready",
            "+OKAY",
            "",
        ] {
            let run = starttls(&[line]);
            assert_eq!(
                run.result,
                Err(DialogueError::UnexpectedGreeting {
                    protocol: "POP3",
                    line: line.into()
                }),
                "{line:?}"
            );
        }
    }

    #[test]
    fn garbage_capa_and_stls_replies_are_unexpected() {
        let run = starttls(&[GREETING, "* OK what"]);
        assert_eq!(
            run.result,
            Err(DialogueError::UnexpectedReply {
                command: "CAPA",
                line: "* OK what".into()
            })
        );
        let run = starttls(&[GREETING, "+OK", "STLS", ".", "maybe"]);
        assert_eq!(
            run.result,
            Err(DialogueError::UnexpectedReply {
                command: "STLS",
                line: "maybe".into()
            })
        );
    }

    #[test]
    fn reply_of_max_lines_is_accepted() {
        let mut server = vec![GREETING.to_string(), "+OK".into()];
        server.extend(numbered("X-CAP", MAX_REPLY_LINES - 2));
        server.push(".".into());
        let run = implicit(&server);
        assert_eq!(run.result, Ok(()));
    }

    #[test]
    fn reply_of_more_than_max_lines_is_too_long() {
        let mut server = vec![GREETING.to_string(), "+OK".into()];
        server.extend(numbered("X-CAP", MAX_REPLY_LINES - 1));
        server.push(".".into());
        let run = starttls(&server);
        assert_eq!(
            run.result,
            Err(DialogueError::ReplyTooLong { command: "CAPA" })
        );
    }
}

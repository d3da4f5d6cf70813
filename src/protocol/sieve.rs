//! The ManageSieve dialogue (RFC 5804): capability greeting, STARTTLS, capabilities again, LOGOUT.

use super::common::{self, split_word, Core, Machine};
use super::{DialogueError, TlsMode};

/// Which server lines the dialogue waits for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    /// The greeting, which is the capability list ended by `OK`.
    Greeting,
    /// The reply to STARTTLS.
    StartTls,
    /// The capabilities the server sends by itself once TLS is up.
    TlsCapabilities,
}

/// The final line of a ManageSieve response.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Status {
    Ok,
    No,
    Bye,
}

/// What the dialogue calls the capabilities the server sends after STARTTLS:
/// the response of the CAPABILITY command, which is implied there.
const TLS_CAPABILITIES: &str = "CAPABILITY";

/// The ManageSieve dialogue.
#[derive(Debug)]
pub struct SieveDialogue {
    core: Core,
    state: State,
    /// The capability lines read so far of the current list.
    capabilities: Vec<String>,
}

impl SieveDialogue {
    pub fn new(mode: TlsMode) -> Self {
        SieveDialogue {
            core: Core::new(mode),
            state: State::Greeting,
            capabilities: Vec::new(),
        }
    }

    fn on_greeting(&mut self, line: &str) -> Result<(), DialogueError> {
        self.core.note_greeting(line);
        match status(line) {
            Some(Status::Ok) => self.on_capabilities(),
            Some(status) => Err(DialogueError::ServiceUnavailable {
                line: line.to_string(),
                temporary: status == Status::Bye,
            }),
            None if line.starts_with('"') => {
                self.capabilities.push(line.trim().to_string());
                Ok(())
            }
            None => Err(DialogueError::UnexpectedGreeting {
                protocol: "ManageSieve",
                line: line.to_string(),
            }),
        }
    }

    fn on_tls_capability(&mut self, line: &str) -> Result<(), DialogueError> {
        match status(line) {
            Some(Status::Ok) => self.on_capabilities(),
            None if line.starts_with('"') => {
                self.capabilities.push(line.trim().to_string());
                Ok(())
            }
            _ => Err(common::unexpected(TLS_CAPABILITIES, line)),
        }
    }

    /// The `OK` ending a capability list.
    fn on_capabilities(&mut self) -> Result<(), DialogueError> {
        let capabilities = std::mem::take(&mut self.capabilities);
        let offered = capabilities.iter().any(|line| {
            first_quoted(line).is_some_and(|name| name.eq_ignore_ascii_case("STARTTLS"))
        });
        self.core.record_capabilities(capabilities, offered)?;
        if self.core.tls() {
            self.core.finish("LOGOUT");
        } else {
            self.core.send("STARTTLS", "STARTTLS");
            self.state = State::StartTls;
        }
        Ok(())
    }

    fn on_starttls_reply(&mut self, line: &str) -> Result<(), DialogueError> {
        match status(line) {
            Some(Status::Ok) => {
                self.core.start_tls();
                Ok(())
            }
            Some(Status::No | Status::Bye) => Err(DialogueError::StarttlsRefused {
                line: line.to_string(),
            }),
            None => Err(common::unexpected("STARTTLS", line)),
        }
    }
}

impl Machine for SieveDialogue {
    fn core(&self) -> &Core {
        &self.core
    }

    fn core_mut(&mut self) -> &mut Core {
        &mut self.core
    }

    fn handle(&mut self, line: &str) -> Result<(), DialogueError> {
        match self.state {
            State::Greeting => self.on_greeting(line),
            State::StartTls => self.on_starttls_reply(line),
            State::TlsCapabilities => self.on_tls_capability(line),
        }
    }

    fn after_tls(&mut self) {
        // RFC 5804 2.2: the server sends its capabilities unasked.
        self.core.expect_reply(TLS_CAPABILITIES);
        self.capabilities.clear();
        self.state = State::TlsCapabilities;
    }
}

/// The status of a final response line (`OK`, `NO`, `BYE`, in any case).
fn status(line: &str) -> Option<Status> {
    let word = split_word(line).0;
    if word.eq_ignore_ascii_case("OK") {
        Some(Status::Ok)
    } else if word.eq_ignore_ascii_case("NO") {
        Some(Status::No)
    } else if word.eq_ignore_ascii_case("BYE") {
        Some(Status::Bye)
    } else {
        None
    }
}

/// The content of the quoted string a line starts with: `SASL` for `"SASL" "PLAIN"`.
fn first_quoted(line: &str) -> Option<&str> {
    let (quoted, _) = line.strip_prefix('"')?.split_once('"')?;
    Some(quoted)
}

#[cfg(test)]
mod tests {
    use super::super::MAX_REPLY_LINES;
    use super::*;
    use crate::protocol::common::testing::{caps, numbered, run_in, Run, HANDSHAKE};
    use crate::protocol::{Action, Dialogue, DialogueFacts};

    const DOVECOT: [&str; 9] = [
        "\"IMPLEMENTATION\" \"Dovecot Pigeonhole\"",
        "\"SIEVE\" \"fileinto reject envelope encoded-character vacation\"",
        "\"NOTIFY\" \"mailto\"",
        "\"SASL\" \"\"",
        "\"STARTTLS\"",
        "\"VERSION\" \"1.0\"",
        "OK \"Dovecot ready.\"",
        // After TLS:
        "\"IMPLEMENTATION\" \"Dovecot Pigeonhole\"",
        "\"SASL\" \"PLAIN\"",
    ];

    fn starttls<S: AsRef<str>>(server: &[S]) -> Run {
        run_in(TlsMode::Starttls, SieveDialogue::new, server)
    }

    fn implicit<S: AsRef<str>>(server: &[S]) -> Run {
        run_in(TlsMode::Implicit, SieveDialogue::new, server)
    }

    #[test]
    fn starttls_success_reads_capabilities_twice() {
        let server = [
            &DOVECOT[..7],
            &["OK \"Begin TLS negotiation now.\""],
            &DOVECOT[7..],
            &["\"VERSION\" \"1.0\"", "OK \"TLS negotiation successful.\""],
        ]
        .concat();
        let run = starttls(&server);
        assert_eq!(run.result, Ok(()));
        // After the handshake nothing is sent until the capabilities were read.
        assert_eq!(run.client, ["STARTTLS\r\n", HANDSHAKE, "LOGOUT\r\n"]);
        assert_eq!(
            run.facts,
            DialogueFacts {
                greeting: Some(DOVECOT[0].into()),
                capabilities_before_tls: caps(&DOVECOT[..6]),
                capabilities_after_tls: caps(&[
                    "\"IMPLEMENTATION\" \"Dovecot Pigeonhole\"",
                    "\"SASL\" \"PLAIN\"",
                    "\"VERSION\" \"1.0\"",
                ]),
                capabilities_truncated: false,
                starttls_offered: Some(true),
            }
        );
    }

    #[test]
    fn after_tls_the_first_action_is_reading() {
        let mut dialogue = SieveDialogue::new(TlsMode::Starttls);
        for line in ["\"STARTTLS\"", "OK"] {
            assert_eq!(dialogue.next_action(), Action::ReadLine);
            assert_eq!(dialogue.on_line(line), Ok(()));
        }
        assert_eq!(
            dialogue.next_action(),
            Action::Send(b"STARTTLS\r\n".to_vec())
        );
        assert_eq!(dialogue.next_action(), Action::ReadLine);
        assert_eq!(dialogue.on_line("OK"), Ok(()));
        assert_eq!(dialogue.next_action(), Action::StartTls);
        dialogue.on_tls_established();
        assert_eq!(dialogue.next_action(), Action::ReadLine);
    }

    #[test]
    fn implicit_tls_reads_the_greeting_inside_tls() {
        let run = implicit(&DOVECOT[..7]);
        assert_eq!(run.result, Ok(()));
        assert_eq!(run.client, ["LOGOUT\r\n"]);
        assert_eq!(run.facts.capabilities_before_tls, None);
        assert_eq!(run.facts.starttls_offered, None);
        assert_eq!(run.facts.capabilities_after_tls, caps(&DOVECOT[..6]));
    }

    #[test]
    fn starttls_not_offered() {
        let run = starttls(&[
            "\"IMPLEMENTATION\" \"Cyrus timsieved\"",
            "\"SASL\" \"PLAIN\"",
            "OK",
        ]);
        assert_eq!(run.result, Err(DialogueError::StarttlsNotOffered));
        assert_eq!(run.client, Vec::<String>::new());
        assert_eq!(run.facts.starttls_offered, Some(false));
        assert_eq!(
            run.facts.capabilities_before_tls,
            caps(&[
                "\"IMPLEMENTATION\" \"Cyrus timsieved\"",
                "\"SASL\" \"PLAIN\""
            ])
        );
    }

    #[test]
    fn starttls_must_be_the_first_quoted_string() {
        let run = starttls(&["\"SIEVE\" \"STARTTLS\"", "\"X-STARTTLS\"", "OK"]);
        assert_eq!(run.result, Err(DialogueError::StarttlsNotOffered));
    }

    #[test]
    fn starttls_refused() {
        for line in ["NO \"TLS not available\"", "BYE (TRYLATER) \"bye\""] {
            let run = starttls(&["\"STARTTLS\"", "OK", line]);
            assert_eq!(
                run.result,
                Err(DialogueError::StarttlsRefused { line: line.into() })
            );
            assert_eq!(run.client, ["STARTTLS\r\n"]);
        }
    }

    #[test]
    fn capability_is_case_insensitive() {
        let run = starttls(&["\"starttls\"", "ok", "Ok", "\"sasl\" \"PLAIN\"", "oK done"]);
        assert_eq!(run.result, Ok(()));
        assert_eq!(run.facts.starttls_offered, Some(true));
        assert_eq!(
            run.facts.capabilities_after_tls,
            caps(&["\"sasl\" \"PLAIN\""])
        );
    }

    #[test]
    fn refusal_greetings() {
        let run = starttls(&["\"STARTTLS\"", "BYE \"Too many connections\""]);
        assert_eq!(
            run.result,
            Err(DialogueError::ServiceUnavailable {
                line: "BYE \"Too many connections\"".into(),
                temporary: true,
            })
        );
        let run = starttls(&["NO \"Service disabled\""]);
        assert_eq!(
            run.result,
            Err(DialogueError::ServiceUnavailable {
                line: "NO \"Service disabled\"".into(),
                temporary: false,
            })
        );
        assert_eq!(
            run.facts.greeting.as_deref(),
            Some("NO \"Service disabled\"")
        );
    }

    #[test]
    fn garbage_greetings_are_not_managesieve() {
        for line in [
            "HTTP/1.1 400 Bad Request",
            "\u{16}\u{3}\u{1}\u{0}\u{fffd}\u{fffd}",
            "* OK IMAP ready",
            "OKAY",
            "",
        ] {
            let run = starttls(&[line]);
            assert_eq!(
                run.result,
                Err(DialogueError::UnexpectedGreeting {
                    protocol: "ManageSieve",
                    line: line.into()
                }),
                "{line:?}"
            );
        }
    }

    #[test]
    fn garbage_after_tls_is_unexpected() {
        let run = starttls(&["\"STARTTLS\"", "OK", "OK", "BYE \"no\""]);
        assert_eq!(
            run.result,
            Err(DialogueError::UnexpectedReply {
                command: "CAPABILITY",
                line: "BYE \"no\"".into()
            })
        );
    }

    #[test]
    fn reply_of_max_lines_is_accepted() {
        let mut server = numbered("\"X-CAP\" \"", MAX_REPLY_LINES - 1);
        server.push("OK".into());
        let run = implicit(&server);
        assert_eq!(run.result, Ok(()));
    }

    #[test]
    fn greeting_of_more_than_max_lines_is_too_long() {
        let mut server = numbered("\"X-CAP\" \"", MAX_REPLY_LINES);
        server.push("OK".into());
        let run = starttls(&server);
        assert_eq!(
            run.result,
            Err(DialogueError::ReplyTooLong {
                command: "greeting"
            })
        );
    }

    #[test]
    fn capabilities_after_tls_of_more_than_max_lines_are_too_long() {
        let mut server = vec!["\"STARTTLS\"".to_string(), "OK".into(), "OK".into()];
        server.extend(numbered("\"X-CAP\" \"", MAX_REPLY_LINES + 1));
        let run = starttls(&server);
        assert_eq!(
            run.result,
            Err(DialogueError::ReplyTooLong {
                command: "CAPABILITY"
            })
        );
    }
}

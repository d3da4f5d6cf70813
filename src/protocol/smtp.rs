//! The SMTP dialogue (RFC 5321, 3207): greeting, EHLO, STARTTLS, EHLO again, QUIT.

use super::common::{self, Core, Machine};
use super::{DialogueError, TlsMode};

/// Which reply the dialogue waits for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    Greeting,
    /// The reply to EHLO (before or inside TLS).
    Ehlo,
    /// The reply to STARTTLS.
    StartTls,
}

/// One line of a reply: `250-PIPELINING`, `250 CHUNKING` or a bare `250`.
#[derive(Debug, PartialEq, Eq)]
struct ReplyLine<'a> {
    code: u16,
    /// No `-` after the code: this line ends the reply.
    last: bool,
    text: &'a str,
}

/// A reply whose lines have all been read.
#[derive(Debug, Default)]
struct Reply {
    code: u16,
    /// The text of each line, after the code and separator.
    texts: Vec<String>,
}

/// The SMTP dialogue.
#[derive(Debug)]
pub struct SmtpDialogue {
    core: Core,
    state: State,
    /// `EHLO <name>`, sent before and after STARTTLS.
    ehlo: String,
    /// The lines read so far of a multi-line reply.
    partial: Option<Reply>,
}

impl SmtpDialogue {
    /// `ehlo_name` is the name this client gives in EHLO; control characters are
    /// dropped so it cannot smuggle in a second command.
    pub fn new(mode: TlsMode, ehlo_name: &str) -> Self {
        let name: String = ehlo_name.chars().filter(|c| !c.is_control()).collect();
        SmtpDialogue {
            core: Core::new(mode),
            state: State::Greeting,
            ehlo: format!("EHLO {name}"),
            partial: None,
        }
    }

    fn send_ehlo(&mut self) {
        self.core.send("EHLO", &self.ehlo);
        self.state = State::Ehlo;
    }

    /// Adds one line to the reply to `command`; returns the reply once complete.
    /// Every line of a reply must carry the same code.
    fn collect(
        &mut self,
        line: &str,
        command: &'static str,
    ) -> Result<Option<Reply>, DialogueError> {
        let parsed = parse_reply_line(line).ok_or_else(|| common::unexpected(command, line))?;
        let reply = self.partial.get_or_insert_with(|| Reply {
            code: parsed.code,
            texts: Vec::new(),
        });
        if reply.code != parsed.code {
            return Err(common::unexpected(command, line));
        }
        reply.texts.push(parsed.text.to_string());
        if parsed.last {
            Ok(self.partial.take())
        } else {
            Ok(None)
        }
    }

    fn on_greeting(&mut self, line: &str) -> Result<(), DialogueError> {
        self.core.note_greeting(line);
        if parse_reply_line(line).is_none() {
            return Err(DialogueError::UnexpectedGreeting {
                protocol: "SMTP",
                line: line.to_string(),
            });
        }
        let Some(reply) = self.collect(line, "greeting")? else {
            return Ok(());
        };
        match reply.code {
            220 => {
                self.send_ehlo();
                Ok(())
            }
            400..=599 => Err(DialogueError::ServiceUnavailable {
                line: line.to_string(),
                temporary: reply.code < 500,
            }),
            _ => Err(DialogueError::UnexpectedGreeting {
                protocol: "SMTP",
                line: line.to_string(),
            }),
        }
    }

    fn on_ehlo_reply(&mut self, line: &str) -> Result<(), DialogueError> {
        let Some(reply) = self.collect(line, "EHLO")? else {
            return Ok(());
        };
        if reply.code != 250 {
            return Err(common::unexpected("EHLO", line));
        }
        // The first line greets with the server's name; the others are keywords.
        let capabilities: Vec<String> = reply
            .texts
            .iter()
            .skip(1)
            .map(|text| text.trim())
            .filter(|text| !text.is_empty())
            .map(str::to_string)
            .collect();
        let offered = common::offers(&capabilities, "STARTTLS");
        self.core.record_capabilities(capabilities, offered)?;
        if self.core.tls() {
            self.core.finish("QUIT");
        } else {
            self.core.send("STARTTLS", "STARTTLS");
            self.state = State::StartTls;
        }
        Ok(())
    }

    fn on_starttls_reply(&mut self, line: &str) -> Result<(), DialogueError> {
        let Some(reply) = self.collect(line, "STARTTLS")? else {
            return Ok(());
        };
        if reply.code == 220 {
            self.core.start_tls();
            Ok(())
        } else {
            Err(DialogueError::StarttlsRefused {
                line: line.to_string(),
            })
        }
    }
}

impl Machine for SmtpDialogue {
    fn core(&self) -> &Core {
        &self.core
    }

    fn core_mut(&mut self) -> &mut Core {
        &mut self.core
    }

    fn handle(&mut self, line: &str) -> Result<(), DialogueError> {
        match self.state {
            State::Greeting => self.on_greeting(line),
            State::Ehlo => self.on_ehlo_reply(line),
            State::StartTls => self.on_starttls_reply(line),
        }
    }

    fn after_tls(&mut self) {
        self.send_ehlo();
    }
}

/// Parses `NNN-text`, `NNN text` or a bare `NNN`; `None` for anything else.
fn parse_reply_line(line: &str) -> Option<ReplyLine<'_>> {
    let digits = line.get(..3)?;
    if !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let code = digits.parse().ok()?;
    let rest = line.get(3..)?;
    if rest.is_empty() {
        return Some(ReplyLine {
            code,
            last: true,
            text: "",
        });
    }
    if let Some(text) = rest.strip_prefix('-') {
        return Some(ReplyLine {
            code,
            last: false,
            text,
        });
    }
    let text = rest.strip_prefix(' ')?;
    Some(ReplyLine {
        code,
        last: true,
        text,
    })
}

#[cfg(test)]
mod tests {
    use super::super::MAX_REPLY_LINES;
    use super::*;
    use crate::protocol::common::testing::{caps, numbered, run, Run, HANDSHAKE};
    use crate::protocol::DialogueFacts;

    const GREETING: &str = "220 mail.test ESMTP Postfix (Debian/GNU)";
    const POSTFIX_EHLO: [&str; 11] = [
        "250-mail.test",
        "250-PIPELINING",
        "250-SIZE 10240000",
        "250-VRFY",
        "250-ETRN",
        "250-STARTTLS",
        "250-ENHANCEDSTATUSCODES",
        "250-8BITMIME",
        "250-DSN",
        "250-SMTPUTF8",
        "250 CHUNKING",
    ];
    const POSTFIX_EHLO_TLS: [&str; 11] = [
        "250-mail.test",
        "250-PIPELINING",
        "250-SIZE 10240000",
        "250-VRFY",
        "250-ETRN",
        "250-AUTH PLAIN LOGIN",
        "250-ENHANCEDSTATUSCODES",
        "250-8BITMIME",
        "250-DSN",
        "250-SMTPUTF8",
        "250 CHUNKING",
    ];

    fn script(parts: &[&[&str]]) -> Vec<String> {
        parts.concat().into_iter().map(str::to_string).collect()
    }

    fn starttls<S: AsRef<str>>(server: &[S]) -> Run {
        let dialogue = SmtpDialogue::new(TlsMode::Starttls, "probe.example");
        run(dialogue, TlsMode::Starttls, server)
    }

    fn implicit<S: AsRef<str>>(server: &[S]) -> Run {
        let dialogue = SmtpDialogue::new(TlsMode::Implicit, "probe.example");
        run(dialogue, TlsMode::Implicit, server)
    }

    #[test]
    fn starttls_success_says_ehlo_twice() {
        let run = starttls(&script(&[
            &[GREETING],
            &POSTFIX_EHLO,
            &["220 2.0.0 Ready to start TLS"],
            &POSTFIX_EHLO_TLS,
        ]));
        assert_eq!(run.result, Ok(()));
        assert_eq!(
            run.client,
            [
                "EHLO probe.example\r\n",
                "STARTTLS\r\n",
                HANDSHAKE,
                "EHLO probe.example\r\n",
                "QUIT\r\n",
            ]
        );
        assert_eq!(
            run.facts,
            DialogueFacts {
                greeting: Some(GREETING.into()),
                capabilities_before_tls: caps(&[
                    "PIPELINING",
                    "SIZE 10240000",
                    "VRFY",
                    "ETRN",
                    "STARTTLS",
                    "ENHANCEDSTATUSCODES",
                    "8BITMIME",
                    "DSN",
                    "SMTPUTF8",
                    "CHUNKING",
                ]),
                capabilities_after_tls: caps(&[
                    "PIPELINING",
                    "SIZE 10240000",
                    "VRFY",
                    "ETRN",
                    "AUTH PLAIN LOGIN",
                    "ENHANCEDSTATUSCODES",
                    "8BITMIME",
                    "DSN",
                    "SMTPUTF8",
                    "CHUNKING",
                ]),
                capabilities_truncated: false,
                starttls_offered: Some(true),
            }
        );
    }

    #[test]
    fn implicit_tls_reads_the_greeting_inside_tls() {
        let run = implicit(&script(&[&[GREETING], &POSTFIX_EHLO_TLS]));
        assert_eq!(run.result, Ok(()));
        assert_eq!(run.client, ["EHLO probe.example\r\n", "QUIT\r\n"]);
        assert_eq!(run.facts.greeting.as_deref(), Some(GREETING));
        assert_eq!(run.facts.capabilities_before_tls, None);
        assert_eq!(run.facts.starttls_offered, None);
        assert_eq!(
            run.facts.capabilities_after_tls.map(|c| c.len()),
            Some(POSTFIX_EHLO_TLS.len() - 1)
        );
    }

    #[test]
    fn starttls_not_offered() {
        let run = starttls(&[GREETING, "250-mail.test", "250-PIPELINING", "250 8BITMIME"]);
        assert_eq!(run.result, Err(DialogueError::StarttlsNotOffered));
        assert_eq!(run.client, ["EHLO probe.example\r\n"]);
        assert_eq!(run.facts.starttls_offered, Some(false));
        assert_eq!(
            run.facts.capabilities_before_tls,
            caps(&["PIPELINING", "8BITMIME"])
        );
    }

    #[test]
    fn starttls_refused() {
        let run = starttls(&script(&[
            &[GREETING],
            &POSTFIX_EHLO,
            &["454 4.7.0 TLS not available due to local problem"],
        ]));
        assert_eq!(
            run.result,
            Err(DialogueError::StarttlsRefused {
                line: "454 4.7.0 TLS not available due to local problem".into()
            })
        );
        assert_eq!(run.client, ["EHLO probe.example\r\n", "STARTTLS\r\n"]);
    }

    #[test]
    fn capability_is_case_insensitive() {
        let run = starttls(&[
            "220 mx.test",
            "250-mx.test",
            "250 starttls",
            "220 go ahead",
            "250 mx.test",
        ]);
        assert_eq!(run.result, Ok(()));
        assert_eq!(run.facts.starttls_offered, Some(true));
        assert_eq!(run.facts.capabilities_after_tls, Some(vec![]));
    }

    #[test]
    fn starttls_is_a_first_word_only() {
        let run = starttls(&["220 mx.test", "250-mx.test STARTTLS", "250 X-STARTTLS"]);
        assert_eq!(run.result, Err(DialogueError::StarttlsNotOffered));
    }

    #[test]
    fn multi_line_greeting_keeps_its_first_line() {
        let run = implicit(&[
            "220-mail.test ESMTP",
            "220-No UCE, please.",
            "220 Ready",
            "250 mail.test",
        ]);
        assert_eq!(run.result, Ok(()));
        assert_eq!(run.client, ["EHLO probe.example\r\n", "QUIT\r\n"]);
        assert_eq!(run.facts.greeting.as_deref(), Some("220-mail.test ESMTP"));
    }

    #[test]
    fn bare_codes_are_complete_lines() {
        let run = implicit(&["220", "250-mail.test", "250-SIZE 1000", "250"]);
        assert_eq!(run.result, Ok(()));
        assert_eq!(run.facts.greeting.as_deref(), Some("220"));
        assert_eq!(run.facts.capabilities_after_tls, caps(&["SIZE 1000"]));

        let run = implicit(&["220 mail.test", "250"]);
        assert_eq!(run.result, Ok(()));
        assert_eq!(run.facts.capabilities_after_tls, Some(vec![]));
    }

    #[test]
    fn greeting_421_is_temporary() {
        let run = starttls(&[
            "421-mail.test Too many connections",
            "421 4.7.0 Try again later",
        ]);
        assert_eq!(
            run.result,
            Err(DialogueError::ServiceUnavailable {
                line: "421 4.7.0 Try again later".into(),
                temporary: true,
            })
        );
        assert_eq!(run.client, Vec::<String>::new());
        assert_eq!(
            run.facts.greeting.as_deref(),
            Some("421-mail.test Too many connections")
        );
    }

    #[test]
    fn greeting_554_is_permanent() {
        let run = starttls(&["554 5.7.1 mail.test: your IP is blocked"]);
        assert_eq!(
            run.result,
            Err(DialogueError::ServiceUnavailable {
                line: "554 5.7.1 mail.test: your IP is blocked".into(),
                temporary: false,
            })
        );
    }

    #[test]
    fn other_greeting_codes_are_unexpected() {
        let run = starttls(&["250 mail.test"]);
        assert_eq!(
            run.result,
            Err(DialogueError::UnexpectedGreeting {
                protocol: "SMTP",
                line: "250 mail.test".into()
            })
        );
    }

    #[test]
    fn garbage_greetings_are_not_smtp() {
        for line in [
            "HTTP/1.1 400 Bad Request",
            "\u{16}\u{3}\u{1}\u{0}\u{fffd}\u{fffd}",
            "* OK IMAP ready",
            "220mail.test",
            "22",
            "2é0 x",
            "",
        ] {
            let run = starttls(&[line]);
            assert_eq!(
                run.result,
                Err(DialogueError::UnexpectedGreeting {
                    protocol: "SMTP",
                    line: line.into()
                }),
                "{line:?}"
            );
        }
    }

    #[test]
    fn greeting_continuation_with_another_code_is_unexpected() {
        let run = starttls(&["220-mail.test ESMTP", "250 ready"]);
        assert_eq!(
            run.result,
            Err(DialogueError::UnexpectedReply {
                command: "greeting",
                line: "250 ready".into()
            })
        );
    }

    #[test]
    fn ehlo_rejected_is_unexpected() {
        let run = starttls(&[GREETING, "502 5.5.2 Error: command not recognized"]);
        assert_eq!(
            run.result,
            Err(DialogueError::UnexpectedReply {
                command: "EHLO",
                line: "502 5.5.2 Error: command not recognized".into()
            })
        );
        assert_eq!(run.client, ["EHLO probe.example\r\n"]);
    }

    #[test]
    fn ehlo_name_cannot_inject_commands() {
        let dialogue = SmtpDialogue::new(TlsMode::Implicit, "probe\r\nAUTH PLAIN x");
        let run = run(dialogue, TlsMode::Implicit, &["220 mx", "250 mx"]);
        assert_eq!(run.client, ["EHLO probeAUTH PLAIN x\r\n", "QUIT\r\n"]);
    }

    #[test]
    fn reply_of_max_lines_is_accepted() {
        let mut server = vec![GREETING.to_string()];
        server.extend(numbered("250-X-CAP", MAX_REPLY_LINES - 1));
        server.push("250 LAST".into());
        let run = implicit(&server);
        assert_eq!(run.result, Ok(()));
    }

    #[test]
    fn reply_of_more_than_max_lines_is_too_long() {
        let mut server = vec![GREETING.to_string()];
        server.extend(numbered("250-X-CAP", MAX_REPLY_LINES));
        server.push("250 LAST".into());
        let run = starttls(&server);
        assert_eq!(
            run.result,
            Err(DialogueError::ReplyTooLong { command: "EHLO" })
        );
    }

    #[test]
    fn greeting_of_more_than_max_lines_is_too_long() {
        let mut server = numbered("220-spam ", MAX_REPLY_LINES);
        server.push("220 ready".into());
        let run = starttls(&server);
        assert_eq!(
            run.result,
            Err(DialogueError::ReplyTooLong {
                command: "greeting"
            })
        );
    }

    #[test]
    fn parse_reply_line_forms() {
        let line = |code, last, text| Some(ReplyLine { code, last, text });
        assert_eq!(parse_reply_line("250-SIZE 1"), line(250, false, "SIZE 1"));
        assert_eq!(parse_reply_line("250 OK"), line(250, true, "OK"));
        assert_eq!(parse_reply_line("250"), line(250, true, ""));
        assert_eq!(parse_reply_line("250-"), line(250, false, ""));
        assert_eq!(parse_reply_line("250x"), None);
        assert_eq!(parse_reply_line("-250"), None);
        assert_eq!(parse_reply_line("€"), None);
    }
}

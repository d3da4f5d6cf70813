//! Placeholder until the real dialogue lands.
use super::*;
#[derive(Debug)]
pub struct SmtpDialogue {
    facts: DialogueFacts,
}
impl SmtpDialogue {
    pub fn new(_mode: TlsMode, _ehlo: &str) -> Self {
        Self {
            facts: DialogueFacts::default(),
        }
    }
}
impl Dialogue for SmtpDialogue {
    fn next_action(&mut self) -> Action {
        Action::Done
    }
    fn on_line(&mut self, _line: &str) -> Result<(), DialogueError> {
        Ok(())
    }
    fn on_tls_established(&mut self) {}
    fn facts(&self) -> &DialogueFacts {
        &self.facts
    }
}

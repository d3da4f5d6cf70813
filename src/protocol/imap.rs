//! Placeholder until the real dialogue lands.
use super::*;
#[derive(Debug)]
pub struct ImapDialogue {
    facts: DialogueFacts,
}
impl ImapDialogue {
    pub fn new(_mode: TlsMode) -> Self {
        Self {
            facts: DialogueFacts::default(),
        }
    }
}
impl Dialogue for ImapDialogue {
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

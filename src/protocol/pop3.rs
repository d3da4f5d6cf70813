//! Placeholder until the real dialogue lands.
use super::*;
#[derive(Debug)]
pub struct Pop3Dialogue {
    facts: DialogueFacts,
}
impl Pop3Dialogue {
    pub fn new(_mode: TlsMode) -> Self {
        Self {
            facts: DialogueFacts::default(),
        }
    }
}
impl Dialogue for Pop3Dialogue {
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

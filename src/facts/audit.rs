//! What the active audit of the plaintext phase found (`check --audit`).

use serde::{Deserialize, Serialize};

/// What the active audit found.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AuditFacts {
    pub injection: Option<AuditTest>,
    /// POP3 only: the server's answer to `USER` before TLS.
    pub pop3_user_before_tls: Option<AuditTest>,
}

/// One active test's outcome. `positive` is None when the test could not be
/// completed (the connection failed, the server refused): inconclusive, never
/// "safe".
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AuditTest {
    /// The weakness was shown (true), shown absent (false), or the test could not finish (null).
    pub positive: Option<bool>,
    /// The server line that decided it.
    pub evidence: Option<String>,
    /// Why the test is inconclusive.
    pub note: Option<String>,
}

impl AuditTest {
    pub fn inconclusive(note: impl Into<String>) -> AuditTest {
        AuditTest {
            positive: None,
            evidence: None,
            note: Some(note.into()),
        }
    }
}

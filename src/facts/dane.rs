//! DANE facts: the TLSA records a server's name publishes (RFC 6698, RFC 7672
//! for SMTP), what DNSSEC said of the answer, and how each record compares
//! with the chain the server sent. No judgement here.

use serde::{Deserialize, Serialize};

/// The most TLSA records kept of one answer; more are counted, not kept.
pub const MAX_TLSA_RECORDS: usize = 32;

/// What DNSSEC validation said of an answer (RFC 4035 section 4.3).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Dnssec {
    /// Signed, and the signatures chain to the trust anchor.
    Secure,
    /// Provably unsigned: a delegation without DS on the way down.
    Insecure,
    /// Signed, but the signatures do not verify (or a proof is missing).
    Bogus,
    /// Validation could not decide (no answer, or no path to the anchor).
    Indeterminate,
}

impl Dnssec {
    pub fn name(self) -> &'static str {
        match self {
            Dnssec::Secure => "secure",
            Dnssec::Insecure => "insecure",
            Dnssec::Bogus => "bogus",
            Dnssec::Indeterminate => "indeterminate",
        }
    }
}

/// Certificate usage 2 and 3 are the ones SMTP uses (RFC 7672 section 3.1).
pub const USAGE_PKIX_TA: u8 = 0;
pub const USAGE_PKIX_EE: u8 = 1;
pub const USAGE_DANE_TA: u8 = 2;
pub const USAGE_DANE_EE: u8 = 3;

/// How one record compares with the served chain.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TlsaMatch {
    /// The record authenticates the server: DANE-EE matching the leaf, or
    /// DANE-TA matching certificate `position` of the chain, which the leaf
    /// chains to and whose name it holds.
    Authenticates { position: usize },
    /// DANE-TA matching certificate `position`, but the chain from the leaf
    /// to it does not verify (`why`).
    TaChainInvalid { position: usize, why: String },
    /// Usable, but matches no certificate the server sent.
    NoMatch,
    /// Not usable for SMTP: `why` (RFC 7672 usages 0 and 1, an unknown
    /// selector or matching type, data of the wrong length).
    Unusable { why: String },
    /// The server sent no certificate to compare with.
    NotCompared,
}

/// One TLSA record.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TlsaRecord {
    pub usage: u8,
    pub selector: u8,
    pub matching_type: u8,
    /// The certificate association data, lowercase hex.
    pub data: String,
    pub result: TlsaMatch,
}

impl TlsaRecord {
    /// `3 1 1 ab12…` as a zone file writes it (data cut to 16 digits).
    pub fn short(&self) -> String {
        let data: String = self.data.chars().take(16).collect();
        let more = if self.data.len() > 16 { "…" } else { "" };
        format!(
            "{} {} {} {data}{more}",
            self.usage, self.selector, self.matching_type
        )
    }
}

/// The TLSA question for one server and its answer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DaneFacts {
    /// The name asked, e.g. `_25._tcp.mx.example.org`.
    pub name: String,
    /// What DNSSEC said of the answer (records or their absence).
    pub dnssec: Dnssec,
    /// The records, at most [`MAX_TLSA_RECORDS`].
    pub records: Vec<TlsaRecord>,
    /// Records in the answer beyond those kept.
    #[serde(default)]
    pub records_dropped: usize,
    /// Why the question failed or validation did not succeed, in words.
    pub error: Option<String>,
    /// No answer came before the deadline (then `error` says so in words).
    #[serde(default)]
    pub timed_out: bool,
    /// Why nothing could validate through the DNS server asked (it strips
    /// DNSSEC records, or does not serve the trust anchor's zone), when the
    /// answer came out bogus or insecure through it: then `dnssec` is
    /// indeterminate, as nothing is known of the zone itself.
    #[serde(default)]
    pub unvalidatable: Option<String>,
    /// SHA-256 of the served leaf's public key (SubjectPublicKeyInfo), the
    /// data of the `3 1 1` record that would match it; `None` without a chain.
    #[serde(default)]
    pub leaf_spki_sha256: Option<String>,
}

impl DaneFacts {
    /// The question for `name`, not yet answered.
    pub fn asked(name: String) -> DaneFacts {
        DaneFacts {
            name,
            dnssec: Dnssec::Indeterminate,
            records: Vec::new(),
            records_dropped: 0,
            error: None,
            timed_out: false,
            unvalidatable: None,
            leaf_spki_sha256: None,
        }
    }

    /// The answer came out bogus or insecure because nothing validates
    /// through the DNS server asked (`why`), not because of the zone.
    pub fn unvalidatable(&mut self, why: String) {
        self.dnssec = Dnssec::Indeterminate;
        self.error = None;
        self.unvalidatable = Some(why);
    }

    /// The question for `name` could not be asked or answered: `error`, in words.
    pub fn failed(name: String, error: String) -> DaneFacts {
        DaneFacts {
            error: Some(error),
            ..DaneFacts::asked(name)
        }
    }
}

/// `bytes` as lowercase hex.
pub fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

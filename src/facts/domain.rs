//! Facts of a mail domain as other mail servers see it (`mailtls domain`):
//! its MX hosts and their addresses, with DNSSEC's word on the MX answer; the
//! MTA-STS record and policy (RFC 8461); the TLS-RPT record (RFC 8460). The
//! checks of each MX host are reports of their own; no judgement here.

use std::net::IpAddr;

use serde::{Deserialize, Serialize};

use super::dane::Dnssec;
use super::http::HttpFetch;

/// MX hosts looked at, at most; more are counted.
pub const MAX_MX: usize = 10;

/// TXT records kept of one answer, and bytes of each.
pub const MAX_TXT: usize = 8;
pub const MAX_TXT_LEN: usize = 2048;

/// One MX record and where its host resolved.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MxHost {
    pub preference: u16,
    /// Lowercase, without the final dot.
    pub host: String,
    pub addresses: Vec<IpAddr>,
    /// Why the host has no addresses, in words ("no A or AAAA record",
    /// "the name does not exist", ...).
    pub error: Option<String>,
    /// What DNSSEC said of the address records, when they were asked.
    /// Bogus ones are not kept in `addresses` (senders that validate do not
    /// connect to them), unless nothing validates through the DNS server asked.
    #[serde(default)]
    pub dnssec: Option<Dnssec>,
}

/// The MX question.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MxFacts {
    pub dnssec: Dnssec,
    /// In preference order (lowest first), at most [`MAX_MX`].
    pub hosts: Vec<MxHost>,
    /// MX records beyond those kept.
    pub dropped: usize,
    /// The domain publishes the null MX (RFC 7505): it accepts no mail.
    pub null_mx: bool,
    /// No MX record, but the domain has addresses: senders deliver to them
    /// (the implicit MX of RFC 5321 section 5.1), so `hosts` holds the domain
    /// itself at preference 0, and DANE asks `_25._tcp.DOMAIN` (RFC 7672
    /// section 2.2.2).
    #[serde(default)]
    pub implicit: bool,
    /// Why the question failed (not an absence of records).
    pub error: Option<String>,
    /// Why nothing could validate through the DNS server asked, when the MX
    /// answer came out bogus or insecure through it (`dnssec` is then
    /// indeterminate).
    #[serde(default)]
    pub unvalidatable: Option<String>,
    /// Why `dnssec` is indeterminate although the MX question was answered:
    /// the validating resolver had not finished in its share of the time, so
    /// `hosts` come from the plain (unvalidated) answer.
    #[serde(default)]
    pub unvalidated: Option<String>,
}

impl MxFacts {
    /// The MX question, not yet answered.
    pub fn asked() -> MxFacts {
        MxFacts {
            dnssec: Dnssec::Indeterminate,
            hosts: Vec::new(),
            dropped: 0,
            null_mx: false,
            implicit: false,
            error: None,
            unvalidatable: None,
            unvalidated: None,
        }
    }
}

/// A TXT question: each record's strings joined, as RFC 8461 and 8460 read them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TxtFacts {
    pub name: String,
    /// At most [`MAX_TXT`], each cut to [`MAX_TXT_LEN`] bytes.
    pub records: Vec<String>,
    pub error: Option<String>,
    /// No answer came before the deadline (then `error` says so in words):
    /// nothing is known of the record.
    #[serde(default)]
    pub timed_out: bool,
}

impl TxtFacts {
    /// The TXT question for `name`, not yet answered.
    pub fn asked(name: String) -> TxtFacts {
        TxtFacts {
            name,
            records: Vec::new(),
            error: None,
            timed_out: false,
        }
    }
}

/// Everything `mailtls domain` asked, apart from the MX hosts' checks.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DomainFacts {
    pub domain: String,
    /// The DNS server asked (`--dns-server`), if not the system's.
    pub name_server: Option<String>,
    /// Where the DNSSEC trust anchors came from.
    pub trust_anchor: String,
    pub mx: MxFacts,
    /// `_mta-sts.DOMAIN`.
    pub mta_sts_record: TxtFacts,
    /// `https://mta-sts.DOMAIN/.well-known/mta-sts.txt`, fetched when the
    /// record exists.
    pub mta_sts_policy: Option<HttpFetch>,
    /// `_smtp._tls.DOMAIN`.
    pub tls_rpt_record: TxtFacts,
}

//! DANE rules (RFC 7672, with RFC 7671's advice on rollovers): from the TLSA
//! facts of one check to what DANE-aware senders (Postfix, Exim; or, away
//! from port 25, clients that apply RFC 7673 to SRV targets) will do
//! with this server, and the zone records that fix it.

use super::{finding, Code, Finding, Severity};
use crate::facts::dane::{DaneFacts, Dnssec, TlsaMatch, TlsaRecord};
use crate::facts::CheckFacts;

/// The record that would match the served key, in zone-file words.
fn suggested(dane: &DaneFacts) -> Option<String> {
    dane.leaf_spki_sha256
        .as_ref()
        .map(|data| format!("{}. IN TLSA 3 1 1 {data}", dane.name))
}

fn listed(records: &[&TlsaRecord]) -> String {
    records
        .iter()
        .map(|r| format!("\"{}\"", r.short()))
        .collect::<Vec<_>>()
        .join(", ")
}

/// Who acts on a server's TLSA records, in the words of the findings: on
/// port 25 sending mail servers (RFC 7672; Postfix and Exim implement it,
/// docs/clients.md), at any other port clients that apply DANE to a server
/// an SRV record named (RFC 7673), of which mailtls names none.
struct Audience {
    /// Who they are, starting a clause.
    who: &'static str,
    /// What they do when no record authenticates the server.
    refuse: &'static str,
    /// What they do while the TLSA answer does not validate.
    bogus: &'static str,
    /// What a failed TLSA question makes them do.
    failed: &'static str,
    /// What they rely on without DANE.
    without: &'static str,
}

const SENDERS: Audience = Audience {
    who: "DANE-aware senders (Postfix, Exim)",
    refuse: "will not deliver mail to it",
    bogus: "defer mail to this server until it validates",
    failed: "a DANE-aware sender whose MX lookup was secure defers mail rather than send without knowing",
    without: "senders use TLS only opportunistically",
};

const SRV_CLIENTS: Audience = Audience {
    who: "clients that apply DANE to servers found by SRV records (RFC 7673)",
    refuse: "will not connect to it",
    bogus: "do not connect to this server until it validates",
    failed: "a client that applies DANE and found this server through a signed SRV answer does not connect rather than connect without knowing",
    without: "clients rely on the certificate alone",
};

fn audience(facts: &CheckFacts) -> &'static Audience {
    match super::relay::is_relay(facts) {
        true => &SENDERS,
        false => &SRV_CLIENTS,
    }
}

/// DNSSEC could not be checked for `name` through the DNS server asked
/// (`why`): a fault of the path to the trust anchor, not of the zone.
pub fn unavailable(name: &str, why: &str) -> Finding {
    finding(
        Code::DnsDnssecUnavailable,
        Severity::Unknown,
        format!("DNSSEC could not be checked for {name}: {why}. This says nothing of the zone's own signatures, which others judge through their own validating resolvers."),
        Some("Check through a DNS server that returns DNSSEC records (`--dns-server`): a validating resolver such as Unbound, or the zone's authoritative name server.".to_owned()),
    )
}

/// The DANE findings of one check, when its TLSA records were asked for.
pub fn findings(facts: &CheckFacts, out: &mut Vec<Finding>) {
    let Some(dane) = &facts.dane else { return };
    let name = &dane.name;
    let audience = audience(facts);
    let who = audience.who;
    let publish = suggested(dane)
        .map(|record| format!("Publish in the signed zone: `{record}`"))
        .unwrap_or_else(|| {
            format!("Publish a `3 1 1` TLSA record at {name} with the SHA-256 of the server's public key")
        });
    if let Some(why) = &dane.unvalidatable {
        out.push(unavailable(name, why));
        return;
    }
    match dane.dnssec {
        Dnssec::Bogus => {
            let why = dane
                .error
                .as_deref()
                .unwrap_or("the signatures do not verify");
            out.push(finding(
                Code::DaneBogus,
                Severity::Critical,
                format!("DNSSEC validation of the TLSA answer for {name} failed: {why}; {who} {}.", audience.bogus),
                Some("Re-sign the zone (expired or altered RRSIG records), and check that the DS record at the parent matches the zone's key-signing key (`ldns-key2ds`, `dnssec-dsfromkey`).".to_owned()),
            ));
            return;
        }
        Dnssec::Indeterminate if dane.error.is_some() => {
            let why = dane.error.as_deref().unwrap_or_default();
            let timed_out = dane.timed_out;
            out.push(finding(
                Code::DaneLookupFailed,
                if timed_out { Severity::Unknown } else { Severity::Critical },
                format!("The TLSA question for {name} failed ({why}); {}.", audience.failed),
                Some("Make every name server of the zone answer TLSA questions (NOERROR with or without records, never SERVFAIL or REFUSED), and check the zone's signatures reach the trust anchor.".to_owned()),
            ));
            return;
        }
        Dnssec::Insecure | Dnssec::Indeterminate => {
            let with_records = !dane.records.is_empty();
            out.push(finding(
                Code::DaneInsecure,
                if with_records { Severity::Warning } else { Severity::Info },
                if with_records {
                    format!("{name} publishes {} TLSA record(s), but the answer is not DNSSEC-signed, so they are ignored: no DANE for this server.", dane.records.len())
                } else {
                    format!("{name} is not in a DNSSEC-signed zone: no DANE for this server, {}.", audience.without)
                },
                Some("Sign the zone (e.g. `ldns-signzone`, BIND `dnssec-policy`, Knot `dnssec-signing: on`) and publish its DS record at the parent; then TLSA records take effect.".to_owned()),
            ));
            return;
        }
        Dnssec::Secure => {}
    }
    if dane.records.is_empty() {
        out.push(finding(
            Code::DaneNoRecords,
            Severity::Info,
            format!("The zone is signed, but {name} has no TLSA record: {}.", audience.without),
            Some(format!("{publish}, and a second for the next key before any key change (RFC 7671 section 8.1).")),
        ));
        return;
    }
    let unusable: Vec<(&TlsaRecord, &str)> = dane
        .records
        .iter()
        .filter_map(|r| match &r.result {
            TlsaMatch::Unusable { why } => Some((r, why.as_str())),
            _ => None,
        })
        .collect();
    if !unusable.is_empty() {
        let list = unusable
            .iter()
            .map(|(r, why)| format!("\"{}\" ({why})", r.short()))
            .collect::<Vec<_>>()
            .join(", ");
        let all = unusable.len() == dane.records.len();
        out.push(finding(
            Code::DaneUnusableRecord,
            Severity::Warning,
            if all {
                format!("No TLSA record at {name} is usable by RFC 7672's rules: {list}; {who} then require TLS but authenticate nothing.")
            } else {
                format!("RFC 7672's rules skip TLSA record(s) at {name}: {list}.")
            },
            Some(format!("Replace them with DANE-EE or DANE-TA records (RFC 7672 section 3.1). {publish}")),
        ));
        if all {
            return;
        }
    }
    let authenticating: Vec<&TlsaRecord> = dane
        .records
        .iter()
        .filter(|r| matches!(r.result, TlsaMatch::Authenticates { .. }))
        .collect();
    let unmatched: Vec<&TlsaRecord> = dane
        .records
        .iter()
        .filter(|r| r.result == TlsaMatch::NoMatch)
        .collect();
    let ta_invalid: Vec<String> = dane
        .records
        .iter()
        .filter_map(|r| match &r.result {
            TlsaMatch::TaChainInvalid { why, .. } => Some(format!("\"{}\": {why}", r.short())),
            _ => None,
        })
        .collect();
    let not_compared = dane
        .records
        .iter()
        .any(|r| r.result == TlsaMatch::NotCompared);
    if !ta_invalid.is_empty() && !authenticating.is_empty() {
        out.push(finding(
            Code::DaneTaChainInvalid,
            Severity::Warning,
            format!("A DANE-TA record at {name} matches a CA the server sends, but the server's certificate does not verify up to it: {}.", ta_invalid.join("; ")),
            Some("Serve the leaf with every intermediate up to the CA the record names (Postfix `smtpd_tls_chain_files`), for the MX host's name, and within its validity dates.".to_owned()),
        ));
    }
    if authenticating.is_empty() {
        let mut why = Vec::new();
        if not_compared {
            why.push("the server sent no certificate (DANE requires TLS)".to_owned());
        }
        if !unmatched.is_empty() {
            why.push(format!("{} match(es) nothing served", listed(&unmatched)));
        }
        why.extend(ta_invalid);
        out.push(finding(
            Code::DaneNoMatch,
            Severity::Critical,
            format!("No TLSA record at {name} authenticates the server: {}; {who} {}.", why.join("; "), audience.refuse),
            Some(format!("{publish}, or put back the key and certificate the records were made for; keep the old record until resolvers' caches expire (its TTL).")),
        ));
        return;
    }
    out.push(finding(
        Code::DaneAuthenticated,
        Severity::Ok,
        format!(
            "TLSA {} at {name} match(es) the served chain: {who} authenticate this server.",
            listed(&authenticating)
        ),
        None,
    ));
    if !unmatched.is_empty() {
        out.push(finding(
            Code::DaneUnmatchedRecord,
            Severity::Info,
            format!("TLSA {} at {name} match(es) no certificate served: a record published for the next key of a rollover (good, RFC 7671 section 8.1) or one left over from an old key.", listed(&unmatched)),
            Some("After the rollover, remove the records for keys the server no longer uses; before one, publish the next key's record at least two TTLs ahead.".to_owned()),
        ));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::facts::protocol::{Protocol, TlsMode};
    use crate::facts::testing::FactsBuilder;

    fn record(result: TlsaMatch) -> TlsaRecord {
        TlsaRecord {
            usage: 3,
            selector: 1,
            matching_type: 1,
            data: "ab".repeat(32),
            result,
        }
    }

    fn dane(dnssec: Dnssec, records: Vec<TlsaRecord>, error: Option<&str>) -> CheckFacts {
        let mut facts = FactsBuilder::new(Protocol::Smtp, TlsMode::Starttls).build();
        facts.dane = Some(DaneFacts {
            name: "_25._tcp.mx.example.org".to_owned(),
            dnssec,
            records,
            error: error.map(str::to_owned),
            timed_out: error.is_some_and(|e| e.contains("in time")),
            leaf_spki_sha256: Some("cd".repeat(32)),
            ..DaneFacts::asked(String::new())
        });
        facts
    }

    fn codes(facts: &CheckFacts) -> Vec<(Code, Severity)> {
        let mut out = Vec::new();
        findings(facts, &mut out);
        out.iter().map(|f| (f.code, f.severity)).collect()
    }

    #[test]
    fn a_rollover_in_progress_authenticates_and_says_so() {
        let facts = dane(
            Dnssec::Secure,
            vec![
                record(TlsaMatch::Authenticates { position: 0 }),
                record(TlsaMatch::NoMatch),
            ],
            None,
        );
        assert_eq!(
            codes(&facts),
            [
                (Code::DaneAuthenticated, Severity::Ok),
                (Code::DaneUnmatchedRecord, Severity::Info)
            ]
        );
    }

    #[test]
    fn no_matching_record_is_critical_and_the_fix_names_the_record() {
        let facts = dane(Dnssec::Secure, vec![record(TlsaMatch::NoMatch)], None);
        let mut out = Vec::new();
        findings(&facts, &mut out);
        assert_eq!(out.len(), 1);
        assert_eq!(out[0].code, Code::DaneNoMatch);
        assert_eq!(out[0].severity, Severity::Critical);
        let fix = out[0].fix.clone().unwrap_or_default();
        assert!(
            fix.contains(&format!(
                "_25._tcp.mx.example.org. IN TLSA 3 1 1 {}",
                "cd".repeat(32)
            )),
            "{fix}"
        );
    }

    #[test]
    fn bogus_insecure_and_failed_answers_are_told_apart() {
        let bogus = dane(Dnssec::Bogus, vec![record(TlsaMatch::NoMatch)], Some("bad"));
        assert_eq!(codes(&bogus), [(Code::DaneBogus, Severity::Critical)]);
        let unsigned = dane(Dnssec::Insecure, vec![record(TlsaMatch::NoMatch)], None);
        assert_eq!(codes(&unsigned), [(Code::DaneInsecure, Severity::Warning)]);
        let plain = dane(Dnssec::Insecure, Vec::new(), None);
        assert_eq!(codes(&plain), [(Code::DaneInsecure, Severity::Info)]);
        let failed = dane(
            Dnssec::Indeterminate,
            Vec::new(),
            Some("the name server answered SERVFAIL"),
        );
        assert_eq!(
            codes(&failed),
            [(Code::DaneLookupFailed, Severity::Critical)]
        );
        let none = dane(Dnssec::Secure, Vec::new(), None);
        assert_eq!(codes(&none), [(Code::DaneNoRecords, Severity::Info)]);
    }

    #[test]
    fn a_dns_server_nothing_validates_through_is_not_the_zones_fault() {
        let mut stripped = dane(Dnssec::Bogus, vec![record(TlsaMatch::NoMatch)], Some("bad"));
        stripped
            .dane
            .as_mut()
            .expect("dane facts")
            .unvalidatable("the DNS server 127.0.0.1:53 returns no DNSSEC signatures".to_owned());
        assert_eq!(
            codes(&stripped),
            [(Code::DnsDnssecUnavailable, Severity::Unknown)]
        );
    }

    #[test]
    fn pkix_usages_alone_leave_no_usable_record() {
        let mut pkix = record(TlsaMatch::Unusable {
            why: "usage 1 (PKIX-EE) is not used for SMTP".to_owned(),
        });
        pkix.usage = 1;
        let facts = dane(Dnssec::Secure, vec![pkix], None);
        assert_eq!(
            codes(&facts),
            [(Code::DaneUnusableRecord, Severity::Warning)]
        );
    }
}

//! Rules for mail between servers that need the whole domain (`mailtls
//! domain`): the MTA-STS record and policy (RFC 8461) against the MX hosts
//! and their checks, the TLS-RPT record (RFC 8460), and the MX answer as DANE
//! needs it (RFC 7672 section 2.2). Pure: from domain facts and a summary
//! of each MX host's checks.

use super::{finding, Code, Finding, Severity};
use crate::facts::dane::Dnssec;
use crate::facts::domain::{DomainFacts, TxtFacts};

/// The largest `max_age` RFC 8461 allows (about a year).
pub const MAX_AGE_LIMIT: u64 = 31_557_600;

/// What the checks of one MX host showed, for the domain's rules.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MxOutcome {
    pub host: String,
    /// The host resolved and was checked.
    pub checked: bool,
    /// Every address completed TLS (STARTTLS) at TLS 1.2 or later.
    pub tls: bool,
    /// Every address's chain is valid for the host name under WebPKI.
    pub webpki_valid: bool,
    /// Some address's TLSA records were signed and present.
    pub tlsa_secure: bool,
}

/// A policy's mode.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    Enforce,
    Testing,
    None,
}

/// A parsed MTA-STS policy and what is wrong with it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Policy {
    pub mode: Option<Mode>,
    pub max_age: Option<u64>,
    pub mx: Vec<String>,
    /// Each problem in words; a policy with any is invalid to senders.
    pub problems: Vec<String>,
}

/// The fields after the version of the one TXT record that starts with
/// `v=VERSION` (RFC 8461 and 8460 share the syntax: `key=value` separated by
/// `;`), or why there is none; `lost` says what several such records cost.
fn tagged_record<'a>(
    records: &'a [String],
    version: &str,
    lost: &str,
) -> Result<Vec<(&'a str, &'a str)>, String> {
    let tag = format!("v={version}");
    let found: Vec<&String> = records.iter().filter(|r| r.starts_with(&tag)).collect();
    let record = match found.as_slice() {
        [] => return Err(format!("no record starts with {tag}")),
        [one] => *one,
        many => return Err(format!("{} records start with {tag}; {lost}", many.len())),
    };
    let mut fields = Vec::new();
    for (i, field) in record.split(';').enumerate() {
        let field = field.trim_matches([' ', '\t']);
        if field.is_empty() && i > 0 {
            continue;
        }
        let Some((key, value)) = field.split_once('=') else {
            return Err(format!("the field {field:?} is not key=value"));
        };
        match i {
            0 if key == "v" && value == version => {}
            0 => return Err(format!("the record must start with {tag}")),
            _ => fields.push((key.trim(), value)),
        }
    }
    Ok(fields)
}

/// The `id` of the one valid `v=STSv1` record, or why there is none.
pub fn sts_record(records: &[String]) -> Result<String, String> {
    let mut id = None;
    for (key, value) in tagged_record(records, "STSv1", "senders then see no policy")? {
        if key == "id" {
            let valid = !value.is_empty()
                && value.len() <= 32
                && value.chars().all(|c| c.is_ascii_alphanumeric());
            if !valid {
                return Err(format!("id={value:?} is not 1 to 32 letters and digits"));
            }
            id = Some(value.to_owned());
        }
    }
    id.ok_or_else(|| "the record has no id= field".to_owned())
}

/// Parses a policy document (RFC 8461 section 3.2).
pub fn parse_policy(text: &str) -> Policy {
    let mut policy = Policy {
        mode: None,
        max_age: None,
        mx: Vec::new(),
        problems: Vec::new(),
    };
    let mut version = None;
    // Whether a mode or max_age line was there at all, valid or not.
    let (mut mode_seen, mut max_age_seen) = (false, false);
    for line in text.lines() {
        let line = line.trim_end_matches('\r');
        if line.trim().is_empty() {
            continue;
        }
        let Some((key, value)) = line.split_once(':') else {
            policy
                .problems
                .push(format!("the line {line:?} is not key: value"));
            continue;
        };
        let value = value.trim_matches([' ', '\t']);
        match key {
            "version" => version = Some(value.to_owned()),
            "mode" => {
                mode_seen = true;
                policy.mode = match value {
                    "enforce" => Some(Mode::Enforce),
                    "testing" => Some(Mode::Testing),
                    "none" => Some(Mode::None),
                    other => {
                        policy
                            .problems
                            .push(format!("mode {other:?} is not enforce, testing or none"));
                        None
                    }
                }
            }
            "max_age" => {
                max_age_seen = true;
                match value.parse::<u64>() {
                    Ok(age) if value.len() <= 10 && age <= MAX_AGE_LIMIT => {
                        policy.max_age = Some(age)
                    }
                    _ => policy.problems.push(format!(
                        "max_age {value:?} is not a number of seconds up to {MAX_AGE_LIMIT}"
                    )),
                }
            }
            "mx" => {
                let pattern = value.trim_end_matches('.').to_ascii_lowercase();
                let label_ok = |l: &str| {
                    !l.is_empty()
                        && l.len() <= 63
                        && l.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
                };
                let rest = pattern.strip_prefix("*.").unwrap_or(&pattern);
                if rest.split('.').all(label_ok) && rest.contains('.') {
                    policy.mx.push(pattern);
                } else {
                    policy
                        .problems
                        .push(format!("mx {value:?} is not a host name pattern"));
                }
            }
            _ => {}
        }
    }
    match version.as_deref() {
        Some("STSv1") => {}
        Some(other) => policy
            .problems
            .push(format!("version {other:?} is not STSv1")),
        None => policy
            .problems
            .push("there is no version: STSv1 line".to_owned()),
    }
    if !mode_seen {
        policy.problems.push("there is no mode line".to_owned());
    }
    if !max_age_seen {
        policy.problems.push("there is no max_age line".to_owned());
    }
    if policy.mx.is_empty() && policy.mode != Some(Mode::None) {
        policy.problems.push("there is no mx line".to_owned());
    }
    policy
}

/// Whether `host` matches an `mx` pattern (RFC 8461 section 4.1: a
/// wildcard stands for exactly one leftmost label).
pub fn mx_matches(pattern: &str, host: &str) -> bool {
    let host = host.trim_end_matches('.').to_ascii_lowercase();
    let pattern = pattern.trim_end_matches('.').to_ascii_lowercase();
    match pattern.strip_prefix("*.") {
        Some(suffix) => host
            .split_once('.')
            .is_some_and(|(label, rest)| !label.is_empty() && rest == suffix),
        None => host == pattern,
    }
}

/// The reporting URIs of the one valid TLS-RPT record, or why there is none.
pub fn tlsrpt_record(records: &[String]) -> Result<Vec<String>, String> {
    let mut rua = None;
    for (key, value) in tagged_record(records, "TLSRPTv1", "senders then send no reports")? {
        if key == "rua" {
            let uris: Vec<String> = value
                .split(',')
                .map(|u| u.trim_matches([' ', '\t']).to_owned())
                .collect();
            for uri in &uris {
                // RFC 8460 section 3: URIs (RFC 3986) have no spaces or control characters.
                if uri.is_empty() || uri.chars().any(|c| c.is_whitespace() || c.is_control()) {
                    return Err(format!(
                        "rua \"{uri}\" is not a URI (it is empty, or holds spaces or control characters)"
                    ));
                }
                let lower = uri.to_ascii_lowercase();
                let ok = lower
                    .strip_prefix("mailto:")
                    .is_some_and(|a| a.contains('@') && !a.starts_with('@') && !a.ends_with('@'))
                    || lower
                        .strip_prefix("https://")
                        .is_some_and(|rest| !rest.is_empty());
                if !ok {
                    return Err(format!("rua \"{uri}\" is not a mailto: or https: address"));
                }
            }
            rua = Some(uris);
        }
    }
    rua.ok_or_else(|| "the record has no rua= field".to_owned())
}

fn sts_fix(domain: &str) -> String {
    format!("Publish `_mta-sts.{domain}. IN TXT \"v=STSv1; id=20260101\"` and serve https://mta-sts.{domain}/.well-known/mta-sts.txt (text/plain) with lines `version: STSv1`, `mode: testing` (then `enforce`), one `mx: HOST` per MX host, `max_age: 604800`; change the id whenever the policy changes.")
}

/// The MTA-STS findings of a domain.
pub fn mta_sts(facts: &DomainFacts, mx: &[MxOutcome], out: &mut Vec<Finding>) {
    let domain = &facts.domain;
    let record = &facts.mta_sts_record;
    if let Some(why) = &record.error {
        out.push(finding(
            Code::MtaStsRecordInvalid,
            unanswered(record),
            format!(
                "The TXT question for {} failed ({why}); senders then see no MTA-STS policy.",
                record.name
            ),
            Some("Make every name server of the zone answer TXT questions.".to_owned()),
        ));
        return;
    }
    if !record.records.iter().any(|r| r.starts_with("v=STSv1")) {
        out.push(finding(
            Code::MtaStsNone,
            Severity::Info,
            format!("{domain} publishes no MTA-STS record ({}): senders use TLS only opportunistically unless DANE applies.", record.name),
            Some(sts_fix(domain)),
        ));
        return;
    }
    if let Err(why) = sts_record(&record.records) {
        out.push(finding(
            Code::MtaStsRecordInvalid,
            Severity::Warning,
            format!("The MTA-STS record {} is not valid: {why}; senders ignore the policy.", record.name),
            Some(format!("Publish exactly one record: `{}. IN TXT \"v=STSv1; id=20260101\"` (id: 1 to 32 letters and digits).", record.name)),
        ));
        return;
    }
    let url = format!("https://mta-sts.{domain}/.well-known/mta-sts.txt");
    let Some(fetch) = &facts.mta_sts_policy else {
        return;
    };
    let Some(body) = fetch.document() else {
        let redirect = fetch
            .location
            .as_ref()
            .map(|l| format!(" (a redirect to {l}, which senders do not follow)"))
            .unwrap_or_default();
        out.push(finding(
            Code::MtaStsPolicyUnavailable,
            Severity::Warning,
            format!("The MTA-STS record exists, but {url} gave no policy: {}{redirect}; senders without a cached policy use none.", fetch.outcome()),
            Some(format!("Serve the policy at {url} with a certificate valid for mta-sts.{domain} from a public CA (e.g. an A record for mta-sts.{domain} and a web server with a Let's Encrypt certificate); no redirects.")),
        ));
        return;
    };
    let text = String::from_utf8_lossy(body);
    let mut policy = parse_policy(&text);
    if let Some(kind) = &fetch.content_type {
        if !kind.to_ascii_lowercase().starts_with("text/plain") {
            policy
                .problems
                .push(format!("it is served as {kind:?}, not text/plain"));
        }
    }
    if !policy.problems.is_empty() {
        out.push(finding(
            Code::MtaStsPolicyInvalid,
            Severity::Warning,
            format!(
                "The MTA-STS policy at {url} is not valid: {}; senders ignore it.",
                policy.problems.join("; ")
            ),
            Some(sts_fix(domain)),
        ));
        return;
    }
    if let Some(age) = policy.max_age {
        if age < 86_400 {
            out.push(finding(
                Code::MtaStsMaxAgeShort,
                Severity::Info,
                format!("The MTA-STS policy's max_age is {age} seconds: senders forget it within a day, so an attacker who blocks the policy fetch strips it soon after."),
                Some("Set `max_age: 604800` (a week) or longer once the policy is stable; RFC 8461 allows up to 31557600.".to_owned()),
            ));
        }
    }
    let mode = policy.mode.unwrap_or(Mode::None);
    let severity = match mode {
        Mode::Enforce => Severity::Critical,
        _ => Severity::Warning,
    };
    match mode {
        Mode::None => {
            out.push(finding(
                Code::MtaStsModeNone,
                Severity::Info,
                format!("The MTA-STS policy of {domain} is mode: none: senders drop any policy they cached; nothing is enforced."),
                None,
            ));
            return;
        }
        Mode::Testing => out.push(finding(
            Code::MtaStsTesting,
            Severity::Info,
            format!("The MTA-STS policy of {domain} is mode: testing: senders deliver even when a check fails, and report failures by TLS-RPT."),
            Some("When the TLS-RPT reports show no failures, change the policy to `mode: enforce` and its record's id.".to_owned()),
        )),
        Mode::Enforce => {}
    }
    let consequence = match mode {
        Mode::Enforce => "senders that apply MTA-STS will not deliver mail to it",
        _ => "in mode enforce senders would not deliver mail to it",
    };
    let mut all_good = true;
    for host in mx {
        if !policy.mx.iter().any(|p| mx_matches(p, &host.host)) {
            all_good = false;
            out.push(finding(
                Code::MtaStsMxNotListed,
                severity,
                format!(
                    "The MX host {} matches no mx line of the MTA-STS policy ({}); {consequence}.",
                    host.host,
                    policy.mx.join(", ")
                ),
                Some(format!(
                    "Add `mx: {}` to {url} and change the id of {}.",
                    host.host, record.name
                )),
            ));
        }
        if host.checked && !(host.tls && host.webpki_valid) {
            all_good = false;
            let why = if host.tls {
                "its certificate is not valid for its name under WebPKI (a public CA, the name, the dates)"
            } else {
                "it does not complete STARTTLS at TLS 1.2 or later"
            };
            out.push(finding(
                Code::MtaStsMxCertInvalid,
                severity,
                format!("The MX host {}: {why}; {consequence}.", host.host),
                Some(format!("Give {} a certificate for its name from a public CA with the whole chain (Postfix `smtpd_tls_chain_files`, Exim `tls_certificate`), and offer STARTTLS on port 25.", host.host)),
            ));
        }
    }
    if all_good && mode == Mode::Enforce {
        out.push(finding(
            Code::MtaStsEnforced,
            Severity::Ok,
            format!("The MTA-STS policy of {domain} is enforced and every MX host is listed and has a valid certificate."),
            None,
        ));
    }
}

/// How a failed TXT question weighs: unknown when no answer came in time
/// (nothing is known of the record, and the DNS server asked may be the one
/// at fault), a warning when the zone's server answered with a failure.
fn unanswered(record: &TxtFacts) -> Severity {
    match record.timed_out {
        true => Severity::Unknown,
        false => Severity::Warning,
    }
}

/// The TLS-RPT findings of a domain.
pub fn tls_rpt(record: &TxtFacts, out: &mut Vec<Finding>) {
    if let Some(why) = &record.error {
        out.push(finding(
            Code::TlsRptInvalid,
            unanswered(record),
            format!(
                "The TXT question for {} failed ({why}); senders send no TLS reports.",
                record.name
            ),
            Some("Make every name server of the zone answer TXT questions.".to_owned()),
        ));
        return;
    }
    let domain = record
        .name
        .strip_prefix("_smtp._tls.")
        .unwrap_or(&record.name);
    let fix = format!("Publish `{}. IN TXT \"v=TLSRPTv1; rua=mailto:tls-reports@{domain}\"` to receive daily reports of senders' TLS failures.", record.name);
    if !record.records.iter().any(|r| r.starts_with("v=TLSRPTv1")) {
        out.push(finding(
            Code::TlsRptNone,
            Severity::Info,
            format!("No TLS-RPT record at {}: senders report no TLS failures (MTA-STS, DANE) to the domain.", record.name),
            Some(fix),
        ));
        return;
    }
    match tlsrpt_record(&record.records) {
        Ok(uris) => out.push(finding(
            Code::TlsRptPublished,
            Severity::Ok,
            format!("TLS-RPT reports go to {}.", uris.join(", ")),
            None,
        )),
        Err(why) => out.push(finding(
            Code::TlsRptInvalid,
            Severity::Warning,
            format!(
                "The TLS-RPT record {} is not valid: {why}; senders send no reports.",
                record.name
            ),
            Some(fix),
        )),
    }
}

/// The MX answer's findings: none found, failed, and DANE's need for a
/// secure MX answer.
pub fn mx(facts: &DomainFacts, outcomes: &[MxOutcome], out: &mut Vec<Finding>) {
    let domain = &facts.domain;
    if let Some(why) = &facts.mx.error {
        out.push(finding(
            Code::DnsMxFailed,
            Severity::Unknown,
            format!("The MX question for {domain} failed ({why})."),
            Some("Make every name server of the zone answer MX questions.".to_owned()),
        ));
        return;
    }
    if facts.mx.hosts.is_empty() {
        let no_mx = match facts.mx.null_mx {
            // It says what it means: nothing to do if it takes no mail.
            true => finding(
                Code::DnsNoMx,
                Severity::Info,
                format!("{domain} publishes the null MX (RFC 7505): it accepts no mail."),
                None,
            ),
            false => finding(
                Code::DnsNoMx,
                Severity::Warning,
                format!("{domain} has no MX record and no address record: senders cannot deliver mail to it."),
                Some(format!(
                    "Publish `{domain}. IN MX 10 mx.{domain}.` naming the hosts that receive its mail, or the null MX `{domain}. IN MX 0 .` if it takes none."
                )),
            ),
        };
        out.push(no_mx);
        return;
    }
    if facts.mx.implicit {
        out.push(finding(
            Code::DnsNoMx,
            Severity::Warning,
            format!("{domain} has no MX record: senders deliver to its own address records instead (the implicit MX of RFC 5321 section 5.1), checked here as the host {domain}."),
            Some(format!(
                "Publish `{domain}. IN MX 10 {domain}.` (or name the hosts that receive its mail), so the mail route is stated rather than implied."
            )),
        ));
    }
    for host in &facts.mx.hosts {
        if host.addresses.is_empty() && host.host.parse::<std::net::IpAddr>().is_ok() {
            out.push(finding(
                Code::DnsMxUnresolvable,
                Severity::Warning,
                format!(
                    "An MX record of {domain} names the address {}, not a host: RFC 5321 requires a host name there, so senders may reject it or skip it.",
                    host.host
                ),
                Some(format!(
                    "Name a host in that MX record (`{domain}. IN MX {} mx.{domain}.`) and give the host A/AAAA records (here {}).",
                    host.preference, host.host
                )),
            ));
        } else if host.addresses.is_empty() {
            let why = host.error.as_deref().unwrap_or("no A or AAAA record");
            out.push(finding(
                Code::DnsMxUnresolvable,
                Severity::Warning,
                format!(
                    "The MX host {} of {domain} has no address ({why}); senders skip it.",
                    host.host
                ),
                Some(format!(
                    "Publish A/AAAA records for {} or remove its MX record.",
                    host.host
                )),
            ));
        }
    }
    if let Some(why) = &facts.mx.unvalidatable {
        out.push(super::dane::unavailable(
            &format!("the MX answer of {domain}"),
            why,
        ));
    } else if let Some(why) = &facts.mx.unvalidated {
        out.push(finding(
            Code::DnsDnssecUnavailable,
            Severity::Unknown,
            format!("DNSSEC could not be checked for the MX answer of {domain}: {why}. Whether senders apply DANE to these hosts (RFC 7672 section 2.2.1 needs a signed MX answer) is not known; this says nothing of the zone's own signatures."),
            Some("Give the check more time (`--timeout`), or ask a DNS server with a shorter round trip (`--dns-server`).".to_owned()),
        ));
    } else if facts.mx.dnssec != Dnssec::Secure {
        let with_tlsa: Vec<&str> = outcomes
            .iter()
            .filter(|o| o.tlsa_secure)
            .map(|o| o.host.as_str())
            .collect();
        if !with_tlsa.is_empty() {
            out.push(finding(
                Code::DaneMxInsecure,
                Severity::Warning,
                format!("{} publish(es) signed TLSA records, but the MX answer of {domain} is {}: senders use DANE only when the MX answer is DNSSEC-signed (RFC 7672 section 2.2.1), so they ignore the records.", with_tlsa.join(", "), facts.mx.dnssec.name()),
                Some(format!("Sign the zone of {domain} (and publish its DS record at the parent) so its MX records validate.")),
            ));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::facts::domain::{MxFacts, MxHost};
    use crate::facts::http::{HttpError, HttpFetch, Scheme};

    fn txt(name: &str, records: &[&str]) -> TxtFacts {
        TxtFacts {
            records: records.iter().map(|r| r.to_string()).collect(),
            ..TxtFacts::asked(name.to_owned())
        }
    }

    fn fetched(body: Option<&str>, error: Option<HttpError>) -> HttpFetch {
        let url = "https://mta-sts.example.org/.well-known/mta-sts.txt".to_owned();
        HttpFetch {
            url: url.clone(),
            scheme: Scheme::Https,
            redirects: Vec::new(),
            final_url: url,
            status: body.map(|_| 200),
            location: None,
            content_type: Some("text/plain".to_owned()),
            body: body.map(|b| b.as_bytes().to_vec()),
            error,
        }
    }

    fn domain(sts: &[&str], policy: Option<HttpFetch>, mx_dnssec: Dnssec) -> DomainFacts {
        DomainFacts {
            domain: "example.org".to_owned(),
            name_server: None,
            trust_anchor: "the root zone's keys".to_owned(),
            mx: MxFacts {
                dnssec: mx_dnssec,
                hosts: ["mx1.example.org", "mx2.example.org"]
                    .iter()
                    .map(|h| MxHost {
                        preference: 10,
                        host: h.to_string(),
                        addresses: vec![std::net::IpAddr::from([192, 0, 2, 1])],
                        error: None,
                        dnssec: None,
                    })
                    .collect(),
                ..MxFacts::asked()
            },
            mta_sts_record: txt("_mta-sts.example.org", sts),
            mta_sts_policy: policy,
            tls_rpt_record: txt("_smtp._tls.example.org", &[]),
        }
    }

    fn outcome(host: &str, webpki_valid: bool) -> MxOutcome {
        MxOutcome {
            host: host.to_owned(),
            checked: true,
            tls: true,
            webpki_valid,
            tlsa_secure: true,
        }
    }

    fn sts_codes(facts: &DomainFacts, mx: &[MxOutcome]) -> Vec<(Code, Severity)> {
        let mut out = Vec::new();
        mta_sts(facts, mx, &mut out);
        out.iter().map(|f| (f.code, f.severity)).collect()
    }

    const ENFORCE: &str = "version: STSv1\nmode: enforce\nmx: *.example.org\nmax_age: 604800\n";

    #[test]
    fn an_enforced_policy_makes_a_bad_mx_certificate_critical() {
        let facts = domain(
            &["v=STSv1; id=1"],
            Some(fetched(Some(ENFORCE), None)),
            Dnssec::Secure,
        );
        let good = [
            outcome("mx1.example.org", true),
            outcome("mx2.example.org", true),
        ];
        assert_eq!(
            sts_codes(&facts, &good),
            [(Code::MtaStsEnforced, Severity::Ok)]
        );
        let bad = [
            outcome("mx1.example.org", true),
            outcome("mx2.example.org", false),
        ];
        assert_eq!(
            sts_codes(&facts, &bad),
            [(Code::MtaStsMxCertInvalid, Severity::Critical)]
        );
        let testing = ENFORCE.replace("enforce", "testing");
        let facts = domain(
            &["v=STSv1; id=1"],
            Some(fetched(Some(&testing), None)),
            Dnssec::Secure,
        );
        assert_eq!(
            sts_codes(&facts, &bad),
            [
                (Code::MtaStsTesting, Severity::Info),
                (Code::MtaStsMxCertInvalid, Severity::Warning)
            ]
        );
    }

    #[test]
    fn records_policies_and_fetches_that_senders_cannot_use() {
        let none = domain(&["google-site-verification=x"], None, Dnssec::Secure);
        assert_eq!(sts_codes(&none, &[]), [(Code::MtaStsNone, Severity::Info)]);
        let two = domain(&["v=STSv1; id=1", "v=STSv1; id=2"], None, Dnssec::Secure);
        assert_eq!(
            sts_codes(&two, &[]),
            [(Code::MtaStsRecordInvalid, Severity::Warning)]
        );
        let refused = domain(
            &["v=STSv1; id=1"],
            Some(fetched(
                None,
                Some(HttpError::Connect("refused".to_owned())),
            )),
            Dnssec::Secure,
        );
        assert_eq!(
            sts_codes(&refused, &[]),
            [(Code::MtaStsPolicyUnavailable, Severity::Warning)]
        );
        let broken = domain(
            &["v=STSv1; id=1"],
            Some(fetched(Some("version: STSv1\nmode: enforce\n"), None)),
            Dnssec::Secure,
        );
        assert_eq!(
            sts_codes(&broken, &[]),
            [(Code::MtaStsPolicyInvalid, Severity::Warning)]
        );
        let off = domain(
            &["v=STSv1; id=1"],
            Some(fetched(
                Some("version: STSv1\nmode: none\nmax_age: 86400\n"),
                None,
            )),
            Dnssec::Secure,
        );
        assert_eq!(
            sts_codes(&off, &[]),
            [(Code::MtaStsModeNone, Severity::Info)]
        );
        let unlisted = domain(
            &["v=STSv1; id=1"],
            Some(fetched(
                Some(&ENFORCE.replace("*.example.org", "mx1.example.org")),
                None,
            )),
            Dnssec::Secure,
        );
        let mx = [
            outcome("mx1.example.org", true),
            outcome("mx2.example.org", true),
        ];
        assert_eq!(
            sts_codes(&unlisted, &mx),
            [(Code::MtaStsMxNotListed, Severity::Critical)]
        );
    }

    #[test]
    fn signed_tlsa_under_an_unsigned_mx_answer_is_flagged() {
        let facts = domain(&[], None, Dnssec::Insecure);
        let mut out = Vec::new();
        mx(&facts, &[outcome("mx1.example.org", true)], &mut out);
        let codes: Vec<Code> = out.iter().map(|f| f.code).collect();
        assert_eq!(codes, [Code::DaneMxInsecure]);
        let mut none = facts.clone();
        none.mx.hosts.clear();
        let mut out = Vec::new();
        mx(&none, &[], &mut out);
        assert_eq!(
            out.iter().map(|f| (f.code, f.severity)).collect::<Vec<_>>(),
            [(Code::DnsNoMx, Severity::Warning)]
        );
        assert!(
            out[0].message.contains("no address record"),
            "{}",
            out[0].message
        );
        assert!(out[0].fix.is_some());
        none.mx.null_mx = true;
        let mut out = Vec::new();
        mx(&none, &[], &mut out);
        assert_eq!(out[0].severity, Severity::Info);
        // The null MX is what it means to publish: no advice to publish it.
        assert_eq!(out[0].fix, None, "{:?}", out[0].fix);
        // Only the domain's own address: the implicit MX, checked as a host.
        let mut implicit = facts.clone();
        implicit.mx.hosts.truncate(1);
        implicit.mx.hosts[0].host = "example.org".to_owned();
        implicit.mx.implicit = true;
        implicit.mx.dnssec = Dnssec::Secure;
        let mut out = Vec::new();
        mx(&implicit, &[outcome("example.org", false)], &mut out);
        assert_eq!(
            out.iter().map(|f| (f.code, f.severity)).collect::<Vec<_>>(),
            [(Code::DnsNoMx, Severity::Warning)]
        );
        assert!(out[0].message.contains("implicit MX"), "{}", out[0].message);
    }

    #[test]
    fn an_mx_record_naming_an_address_is_named_for_what_it_is() {
        let mut facts = domain(&[], None, Dnssec::Secure);
        facts.mx.hosts.truncate(1);
        facts.mx.hosts[0].host = "192.0.2.25".to_owned();
        facts.mx.hosts[0].addresses.clear();
        facts.mx.hosts[0].error = Some("the MX record names an address, not a host".to_owned());
        let mut out = Vec::new();
        mx(&facts, &[], &mut out);
        assert_eq!(out.len(), 1);
        assert!(
            out[0]
                .message
                .contains("names the address 192.0.2.25, not a host")
                && out[0].message.contains("RFC 5321"),
            "{}",
            out[0].message
        );
        let fix = out[0].fix.as_deref().unwrap_or_default();
        assert!(fix.contains("Name a host"), "{fix}");
        assert!(
            !fix.contains("Publish A/AAAA records for 192.0.2.25"),
            "{fix}"
        );
    }

    #[test]
    fn an_mx_answer_not_validated_in_time_is_unknown_not_insecure() {
        let mut facts = domain(&[], None, Dnssec::Indeterminate);
        facts.mx.unvalidated = Some("the validating resolver was late".to_owned());
        let mut out = Vec::new();
        mx(&facts, &[outcome("mx1.example.org", true)], &mut out);
        let found: Vec<(Code, Severity)> = out.iter().map(|f| (f.code, f.severity)).collect();
        assert_eq!(found, [(Code::DnsDnssecUnavailable, Severity::Unknown)]);
        assert!(
            out[0].message.contains("validating resolver was late"),
            "{}",
            out[0].message
        );
    }

    #[test]
    fn an_mx_answer_nothing_validates_through_is_unknown_not_insecure() {
        let mut facts = domain(&[], None, Dnssec::Indeterminate);
        facts.mx.unvalidatable = Some("the DNS server 192.0.2.53:53 strips signatures".to_owned());
        let mut out = Vec::new();
        mx(&facts, &[outcome("mx1.example.org", true)], &mut out);
        let found: Vec<(Code, Severity)> = out.iter().map(|f| (f.code, f.severity)).collect();
        assert_eq!(found, [(Code::DnsDnssecUnavailable, Severity::Unknown)]);
        assert!(
            out[0].message.contains("the MX answer of example.org"),
            "{}",
            out[0].message
        );
    }

    #[test]
    fn tls_rpt_records_are_judged() {
        let mut out = Vec::new();
        tls_rpt(
            &txt(
                "_smtp._tls.example.org",
                &["v=TLSRPTv1; rua=mailto:tls@example.org"],
            ),
            &mut out,
        );
        tls_rpt(
            &txt("_smtp._tls.example.org", &["v=TLSRPTv1; rua=ftp://x"]),
            &mut out,
        );
        tls_rpt(&txt("_smtp._tls.example.org", &[]), &mut out);
        let codes: Vec<Code> = out.iter().map(|f| f.code).collect();
        assert_eq!(
            codes,
            [Code::TlsRptPublished, Code::TlsRptInvalid, Code::TlsRptNone]
        );
        assert!(out[2]
            .fix
            .as_deref()
            .is_some_and(|f| f.contains("tls-reports@example.org")));
    }

    #[test]
    fn mx_patterns_follow_rfc_8461() {
        assert!(mx_matches("mx.example.org", "MX.example.org."));
        assert!(mx_matches("*.example.org", "mx1.example.org"));
        assert!(!mx_matches("*.example.org", "a.b.example.org"));
        assert!(!mx_matches("*.example.org", "example.org"));
        assert!(!mx_matches("mx.example.org", "mx.example.org.evil"));
    }

    #[test]
    fn sts_records_need_one_version_first_and_an_id() {
        let one = |r: &str| sts_record(&[r.to_owned()]);
        assert_eq!(one("v=STSv1; id=20260101"), Ok("20260101".to_owned()));
        assert_eq!(one("v=STSv1;id=abc;"), Ok("abc".to_owned()));
        assert!(one("v=STSv1").is_err());
        assert!(one("v=STSv1; id=bad-id").is_err());
        assert!(one(&format!("v=STSv1; id={}", "a".repeat(33))).is_err());
        assert!(sts_record(&["v=STSv1; id=a".to_owned(), "v=STSv1; id=b".to_owned()]).is_err());
    }

    #[test]
    fn policies_are_parsed_with_their_problems() {
        let good = parse_policy("version: STSv1\r\nmode: enforce\r\nmx: mx.example.org\r\nmx: *.backup.example.org\r\nmax_age: 604800\r\n");
        assert_eq!(good.problems, Vec::<String>::new());
        assert_eq!(good.mode, Some(Mode::Enforce));
        assert_eq!(good.mx, ["mx.example.org", "*.backup.example.org"]);
        let bad = parse_policy("version: STSv2\nmode: strict\nmax_age: 99999999999\n");
        assert_eq!(bad.problems.len(), 4, "{:?}", bad.problems);
        let none = parse_policy("version: STSv1\nmode: none\nmax_age: 86400\n");
        assert_eq!(none.problems, Vec::<String>::new());
    }

    #[test]
    fn a_txt_question_without_an_answer_is_unknown_not_a_fault_of_the_zone() {
        let silent = |name: &str| TxtFacts {
            error: Some("no answer in time".to_owned()),
            timed_out: true,
            ..TxtFacts::asked(name.to_owned())
        };
        let mut out = Vec::new();
        tls_rpt(&silent("_smtp._tls.example.org"), &mut out);
        assert_eq!(out[0].severity, Severity::Unknown);
        let mut facts = domain(&[], None, Dnssec::Secure);
        facts.mta_sts_record = silent("_mta-sts.example.org");
        assert_eq!(
            sts_codes(&facts, &[]),
            [(Code::MtaStsRecordInvalid, Severity::Unknown)]
        );
        // A failure the server answered with is the zone's.
        let mut refused = silent("_smtp._tls.example.org");
        refused.timed_out = false;
        refused.error = Some("the name server answered SERVFAIL".to_owned());
        let mut out = Vec::new();
        tls_rpt(&refused, &mut out);
        assert_eq!(out[0].severity, Severity::Warning);
    }

    #[test]
    fn tlsrpt_records_need_mailto_or_https_addresses() {
        let one = |r: &str| tlsrpt_record(&[r.to_owned()]);
        assert_eq!(
            one("v=TLSRPTv1; rua=mailto:tls@example.org,https://r.example.org/x"),
            Ok(vec![
                "mailto:tls@example.org".to_owned(),
                "https://r.example.org/x".to_owned()
            ])
        );
        assert!(one("v=TLSRPTv1; rua=http://r.example.org").is_err());
        assert!(one("v=TLSRPTv1; rua=mailto:tls@example.org\u{1b}[2J").is_err());
        assert!(one("v=TLSRPTv1; rua=mailto:tls @example.org").is_err());
        assert!(one("v=TLSRPTv1;").is_err());
        assert!(one("rua=mailto:a@b; v=TLSRPTv1").is_err());
    }
}

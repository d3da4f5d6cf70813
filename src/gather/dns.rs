//! The one way mailtls builds a DNS resolver (hickory's, over tokio): the
//! name server given or the system's, never the hosts file, and, when asked,
//! DNSSEC validation from a trust anchor. Discovery, DANE and the domain
//! check all ask through it.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use hickory_resolver::config::{NameServerConfigGroup, ResolveHosts, ResolverConfig};
use hickory_resolver::name_server::TokioConnectionProvider;
use hickory_resolver::proto::dnssec::TrustAnchors;
use hickory_resolver::proto::op::ResponseCode;
use hickory_resolver::proto::ProtoErrorKind;
use hickory_resolver::{Name, ResolveError, TokioResolver};

use crate::facts::discovery::Answer;

/// Where to ask and how long each question may take.
#[derive(Debug, Clone)]
pub struct DnsOptions {
    /// Ask this name server (UDP and TCP) instead of the system's (`--dns-server`).
    pub name_server: Option<SocketAddr>,
    /// The time one question may take, retries included.
    pub timeout: Duration,
}

/// A resolver that asks `options`' name server, or the system's
/// configuration; never the hosts file, so answers are DNS's. With
/// `validate`, every answer is checked against DNSSEC from `validate`'s trust
/// anchors (each record then carries its proof).
pub fn resolver(
    options: &DnsOptions,
    validate: Option<Arc<TrustAnchors>>,
) -> Result<TokioResolver, ResolveError> {
    let provider = TokioConnectionProvider::default();
    let mut builder = match options.name_server {
        Some(server) => TokioResolver::builder_with_config(
            ResolverConfig::from_parts(
                None,
                Vec::new(),
                NameServerConfigGroup::from_ips_clear(&[server.ip()], server.port(), true),
            ),
            provider,
        ),
        None => TokioResolver::builder(provider)?,
    };
    let opts = builder.options_mut();
    opts.timeout = options.timeout.min(Duration::from_secs(5));
    opts.attempts = 2;
    opts.use_hosts_file = ResolveHosts::Never;
    if let Some(anchors) = validate {
        builder.options_mut().validate = true;
        builder = builder.with_trust_anchor(anchors);
    }
    Ok(builder.build())
}

/// `name` as an absolute DNS name, so no search domain is appended.
pub fn absolute(name: &str) -> Result<Name, String> {
    Name::from_ascii(format!("{}.", name.trim_end_matches('.'))).map_err(|e| e.to_string())
}

/// The response code of a lookup that found nothing, if that is what it was.
pub fn no_records_code(error: &ResolveError) -> Option<ResponseCode> {
    error.proto().and_then(|proto| match proto.kind() {
        ProtoErrorKind::NoRecordsFound { response_code, .. } => Some(*response_code),
        _ => None,
    })
}

/// Whether a lookup failed for want of an answer in time.
pub fn timed_out(error: &ResolveError) -> bool {
    matches!(
        error.proto().map(|proto| proto.kind()),
        Some(ProtoErrorKind::Timeout)
    )
}

/// An error as an answer: "no records" only for NXDOMAIN or an empty NOERROR
/// answer; a refusal or a server failure is a failed question, not an absence.
pub fn failed(error: &ResolveError) -> Answer {
    match no_records_code(error) {
        Some(ResponseCode::NoError | ResponseCode::NXDomain) => Answer::NoRecords,
        Some(code) => Answer::Failed(format!("the name server answered {code}")),
        None => Answer::Failed(error.to_string()),
    }
}

/// Why a question found nothing, in plain words rather than the resolver's:
/// an empty answer, a name that does not exist, no answer in time, an
/// answer that did not validate; the resolver's own text only when it is
/// none of these.
pub fn in_words(error: &ResolveError) -> String {
    let Some(kind) = error.proto().map(|proto| proto.kind()) else {
        return error.to_string();
    };
    let dnssec = |text: &str| {
        let text = text.to_ascii_lowercase();
        ["validat", "dnssec", "rrsig", "dnskey", "nsec", "signature"]
            .iter()
            .any(|word| text.contains(word))
    };
    match kind {
        ProtoErrorKind::NoRecordsFound {
            response_code: ResponseCode::NoError,
            ..
        } => "no A or AAAA record".to_owned(),
        ProtoErrorKind::NoRecordsFound {
            response_code: ResponseCode::NXDomain,
            ..
        } => "the name does not exist".to_owned(),
        ProtoErrorKind::NoRecordsFound { response_code, .. } => {
            format!("the name server answered {response_code}")
        }
        ProtoErrorKind::Timeout => "no answer in time".to_owned(),
        ProtoErrorKind::Nsec { .. } => "the answer did not validate (DNSSEC)".to_owned(),
        ProtoErrorKind::Message(text) if dnssec(text) => {
            "the answer did not validate (DNSSEC)".to_owned()
        }
        ProtoErrorKind::Msg(text) if dnssec(text) => {
            "the answer did not validate (DNSSEC)".to_owned()
        }
        _ => error.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use hickory_resolver::proto::op::Query;
    use hickory_resolver::proto::rr::RecordType;
    use hickory_resolver::proto::ProtoError;

    fn absent(response_code: ResponseCode) -> ResolveError {
        ResolveError::from(ProtoError::from(ProtoErrorKind::NoRecordsFound {
            query: Box::new(Query::query(
                absolute("mx.example.org").expect("name"),
                RecordType::A,
            )),
            soa: None,
            ns: None,
            negative_ttl: None,
            response_code,
            trusted: true,
            authorities: None,
        }))
    }

    #[test]
    fn resolver_errors_are_told_in_plain_words() {
        assert_eq!(
            in_words(&absent(ResponseCode::NoError)),
            "no A or AAAA record"
        );
        assert_eq!(
            in_words(&absent(ResponseCode::NXDomain)),
            "the name does not exist"
        );
        assert_eq!(
            in_words(&absent(ResponseCode::ServFail)),
            "the name server answered Server Failure"
        );
        let missing_soa = ProtoError::from("could not validate negative response missing SOA");
        assert_eq!(
            in_words(&ResolveError::from(missing_soa)),
            "the answer did not validate (DNSSEC)"
        );
        assert_eq!(
            in_words(&ResolveError::from(ProtoError::from(
                ProtoErrorKind::Timeout
            ))),
            "no answer in time"
        );
        // Anything else keeps the resolver's text.
        let other = ProtoError::from("no connections available");
        assert!(in_words(&ResolveError::from(other)).contains("no connections available"));
    }

    #[test]
    fn names_are_asked_as_absolute_names() {
        assert_eq!(
            absolute("_imaps._tcp.example.edu")
                .expect("name")
                .to_ascii(),
            "_imaps._tcp.example.edu."
        );
        assert!(absolute("example.edu.").expect("name").is_fqdn());
    }
}

//! DNS answers in the words of the facts: which errors are an absence
//! (NXDOMAIN, an empty answer) and which a failed question. Shared by
//! account discovery and the configuration documents' lookups.

use hickory_resolver::proto::op::ResponseCode;
use hickory_resolver::proto::ProtoErrorKind;
use hickory_resolver::ResolveError;

use crate::facts::discovery::Answer;

/// An error as an answer: "no records" only for NXDOMAIN or an empty NOERROR
/// answer; a refusal or a server failure is a failed question, not an absence.
pub fn failed(error: &ResolveError) -> Answer {
    let code = error.proto().and_then(|proto| match proto.kind() {
        ProtoErrorKind::NoRecordsFound { response_code, .. } => Some(*response_code),
        _ => None,
    });
    match code {
        Some(ResponseCode::NoError | ResponseCode::NXDomain) => Answer::NoRecords,
        Some(code) => Answer::Failed(format!("the name server answered {code}")),
        None => Answer::Failed(error.to_string()),
    }
}

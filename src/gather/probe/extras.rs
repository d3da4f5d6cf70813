//! The probe's extra questions, each one raw hello at the highest accepted
//! version up to TLS 1.2, answered by reading (never exploiting) the reply.
//!
//! - compression, extended master secret, heartbeat, SCTs: one hello
//!   offering DEFLATE and the three extensions; the ServerHello says what was
//!   chosen and carries the SCTs the server sends in TLS;
//! - Heartbleed: only when the heartbeat extension came back, a heartbeat
//!   request whose stated length exceeds its (empty) payload, sent before the
//!   handshake ends as sslyze and testssl.sh do; any heartbeat in answer means
//!   vulnerable. Only the answer's record header is read, and nothing of it
//!   is kept;
//! - CCS injection: a ChangeCipherSpec right after the server's first flight,
//!   then a record it cannot decrypt; a sound server refuses the CCS
//!   (unexpected_message), a vulnerable one fails the record's MAC
//!   (bad_record_mac); silence proves nothing;
//! - DH parameters: a hello with only the accepted DHE suites;
//! - certificates: a hello without SNI, and, when both kinds of suites are
//!   accepted, one with only RSA and one with only ECDSA authentication;
//! - ROBOT ([`super::robot`]): only when RSA key-exchange suites are
//!   accepted, up to ten connections of its own;
//! - client-initiated renegotiation ([`super::reneg`]): only when TLS 1.2
//!   ECDHE with AES-GCM or ChaCha20-Poly1305 over X25519 or secp256r1 is
//!   accepted, one connection whose handshake is completed by hand.
//!
//! TLS 1.3 hides the certificate and has neither compression, heartbeats nor
//! early CCS, so a server that speaks only TLS 1.3 gets no extra hello.

use std::sync::Arc;

use super::hello::{
    HelloSpec, ECDSA_SIGNATURES, EXTENDED_MASTER_SECRET, HEARTBEAT, RSA_SIGNATURES,
};
use super::parse::{alert_name, dhe_params};
use super::{After, Answer, Connector, Shared};
use crate::facts::cert;
use crate::facts::probe::{
    Acceptance, Auth, CertificateAsk, DhParams, Kx, ProbeExtras, ServedCertificate, TlsVersion,
    VersionProbe,
};
use rustls::pki_types::CertificateDer;

/// The signed_certificate_timestamp extension (RFC 6962 3.3.1).
const SIGNED_CERTIFICATE_TIMESTAMP: u16 = 18;

/// A heartbeat request (RFC 6520) claiming a 16 KiB payload and carrying none.
fn heartbeat_request(version: TlsVersion) -> Vec<u8> {
    let [major, minor] = version.wire().to_be_bytes();
    vec![24, major, minor, 0, 3, 1, 0x40, 0x00]
}

/// A ChangeCipherSpec record.
/// An early ChangeCipherSpec, then a handshake record a server that took it
/// would have to decrypt (32 bytes that are no ciphertext). A sound server
/// refuses the CCS itself (unexpected_message); a server open to CCS
/// injection (CVE-2014-0224) takes it and fails the next record's MAC
/// (bad_record_mac or decryption_failed), as sslyze tells them apart.
fn change_cipher_spec(version: TlsVersion) -> Vec<u8> {
    let [major, minor] = version.wire().to_be_bytes();
    let mut bytes = vec![20, major, minor, 0, 1, 1, 22, major, minor, 0, 32];
    bytes.extend_from_slice(&[0x5a; 32]);
    bytes
}

/// The alerts of a server that took an early ChangeCipherSpec and then
/// could not decrypt: bad_record_mac (20), decryption_failed (21).
const AFTER_ACCEPTED_CCS: [u8; 2] = [20, 21];

/// Asks the extra questions of a server whose versions are known.
pub(super) async fn extras<C: Connector>(
    shared: &Arc<Shared<C>>,
    versions: &[VersionProbe],
    now_unix: i64,
) -> ProbeExtras {
    let mut facts = ProbeExtras::default();
    let Some(probe) = [TlsVersion::Tls12, TlsVersion::Tls11, TlsVersion::Tls10]
        .into_iter()
        .filter_map(|v| versions.iter().find(|p| p.version == v))
        .find(|p| p.accepted == Acceptance::Yes && !p.suites.is_empty())
    else {
        return facts;
    };
    let version = probe.version;
    facts.version = Some(version);
    let suites: Vec<u16> = probe.suites.iter().filter_map(|s| s.wire_code()).collect();
    let only = |keep: &dyn Fn(&crate::facts::probe::SuiteFacts) -> bool| -> Vec<u16> {
        probe
            .suites
            .iter()
            .filter(|s| keep(s))
            .filter_map(|s| s.wire_code())
            .collect()
    };
    let base = shared.spec(version, suites.clone());

    let mut offer = base.clone();
    offer.deflate = true;
    offer.extra_extensions = vec![
        (EXTENDED_MASTER_SECRET, Vec::new()),
        (HEARTBEAT, vec![1]),
        (SIGNED_CERTIFICATE_TIMESTAMP, Vec::new()),
    ];

    let dhe = only(&|s| s.key_exchange == Kx::Dhe);
    let dh_spec = (!dhe.is_empty()).then(|| shared.spec(version, dhe));
    let no_sni = shared.options.server_name.as_ref().map(|_| HelloSpec {
        server_name: None,
        ..base.clone()
    });
    let (rsa, ecdsa) = (
        only(&|s| s.authentication == Auth::Rsa),
        only(&|s| s.authentication == Auth::Ecdsa),
    );
    let by_key = (!rsa.is_empty() && !ecdsa.is_empty()).then(|| {
        let mut rsa_spec = shared.spec(version, rsa);
        rsa_spec.signature_algorithms = Some(RSA_SIGNATURES.to_vec());
        let mut ecdsa_spec = shared.spec(version, ecdsa);
        ecdsa_spec.signature_algorithms = Some(ECDSA_SIGNATURES.to_vec());
        (rsa_spec, ecdsa_spec)
    });

    let ccs = change_cipher_spec(version);
    let ask_optional = |spec: Option<HelloSpec>| async move {
        match spec {
            Some(spec) => Some(shared.ask(&spec, true).await),
            None => None,
        }
    };
    let (offered, ccs_answer, dh_answer, no_sni_answer, key_answers, robot, renegotiation) = tokio::join!(
        shared.ask(&offer, true),
        shared.ask_then(&base, true, Some(&ccs)),
        ask_optional(dh_spec),
        ask_optional(no_sni),
        async {
            match by_key {
                Some((rsa, ecdsa)) => Some(tokio::join!(
                    shared.ask(&rsa, true),
                    shared.ask(&ecdsa, true)
                )),
                None => None,
            }
        },
        async {
            let mut notes = Vec::new();
            let facts = super::robot::robot(shared, versions, &mut notes).await;
            (facts, notes)
        },
        async {
            let mut notes = Vec::new();
            let allowed = super::reneg::client_renegotiation(shared, versions, &mut notes).await;
            (allowed, notes)
        },
    );
    facts.robot = robot.0;
    facts.notes.extend(robot.1);
    facts.client_renegotiation = renegotiation.0;
    facts.notes.extend(renegotiation.1);

    match &offered {
        Answer::Hello { hello, .. } if hello.version() == version.wire() => {
            facts.compression = Some(hello.compression == 1);
            facts.extended_master_secret = Some(hello.extensions.contains(&EXTENDED_MASTER_SECRET));
            facts.heartbeat = Some(hello.extensions.contains(&HEARTBEAT));
            facts.tls_scts = Some(
                hello
                    .sct_list
                    .as_deref()
                    .map(cert::sct_list_tls)
                    .unwrap_or_default(),
            );
        }
        other => facts.notes.push(format!(
            "A hello offering DEFLATE, extended_master_secret and heartbeat was not answered with a {} ServerHello ({}); compression, extended master secret and heartbeat stay open.",
            spoken(version),
            describe(other)
        )),
    }

    if facts.heartbeat == Some(true) {
        let mut spec = base.clone();
        spec.extra_extensions = vec![(HEARTBEAT, vec![1])];
        let (answer, after) = shared
            .ask_then(&spec, true, Some(&heartbeat_request(version)))
            .await;
        facts.heartbleed = match (&answer, after) {
            (_, Some(After::Record(24))) => Some(true),
            (_, Some(After::Alert(_) | After::Silence | After::Closed | After::Reset)) => {
                Some(false)
            }
            (_, Some(After::Record(kind))) => {
                facts.notes.push(format!("After a heartbeat request the server sent a record of type {kind}; Heartbleed stays open."));
                None
            }
            (other, None) => {
                facts.notes.push(format!(
                    "The hello for the heartbeat request was not answered with a ServerHello ({}); Heartbleed stays open.",
                    describe(other)
                ));
                None
            }
        };
    }

    let (answer, after) = ccs_answer;
    facts.ccs_injection = match after {
        Some(After::Alert(alert)) => Some(AFTER_ACCEPTED_CCS.contains(&alert.description)),
        Some(After::Silence) => {
            facts.notes.push("The server sent nothing after an early ChangeCipherSpec and a record it could not decrypt; CCS injection stays open.".to_owned());
            None
        }
        Some(After::Closed | After::Reset) => {
            facts.notes.push("The server closed the connection without an alert after an early ChangeCipherSpec; CCS injection stays open.".to_owned());
            None
        }
        Some(After::Record(kind)) => {
            facts.notes.push(format!("After an early ChangeCipherSpec the server sent a record of type {kind}, not an alert; CCS injection stays open."));
            None
        }
        None => {
            facts.notes.push(format!(
                "The hello for the ChangeCipherSpec test was not answered with a ServerHello ({}); CCS injection stays open.",
                describe(&answer)
            ));
            None
        }
    };

    if let Some(answer) = dh_answer {
        match &answer {
            Answer::Hello {
                key_exchange: Some(ske),
                ..
            } => match dhe_params(ske) {
                Some((prime, generator)) => {
                    facts.dh = Some(DhParams {
                        bits: bits(&prime),
                        prime: hex(&prime),
                        generator: hex(&generator),
                    })
                }
                None => facts
                    .notes
                    .push("The server's DHE ServerKeyExchange could not be read.".to_owned()),
            },
            other => facts.notes.push(format!(
                "A hello with only the accepted DHE suites got no ServerKeyExchange ({}).",
                describe(other)
            )),
        }
    }

    let mut served = |asked: CertificateAsk, answer: &Answer| {
        let (leaf, detail) = match answer {
            Answer::Hello { certificates, .. } if !certificates.is_empty() => {
                let der = [CertificateDer::from(certificates[0].clone())];
                (cert::parse_chain(&der, now_unix).into_iter().next(), None)
            }
            other => (None, Some(describe(other))),
        };
        facts.certificates.push(ServedCertificate {
            asked,
            leaf,
            detail,
        });
    };
    if let Some(answer) = &no_sni_answer {
        served(CertificateAsk::NoSni, answer);
    }
    if let Some((rsa, ecdsa)) = &key_answers {
        served(CertificateAsk::Rsa, rsa);
        served(CertificateAsk::Ecdsa, ecdsa);
    }
    facts
}

fn spoken(version: TlsVersion) -> &'static str {
    super::spoken(version)
}

/// An answer in a few words, for notes and details.
fn describe(answer: &Answer) -> String {
    match answer {
        Answer::Hello { certificates, .. } if certificates.is_empty() => {
            "a ServerHello without a certificate".to_owned()
        }
        Answer::Hello { .. } => "a ServerHello".to_owned(),
        Answer::Refused(alert) => format!("the alert {}", alert_name(alert.description)),
        Answer::Sslv2 => "an SSL 2.0 answer".to_owned(),
        other => other
            .open_reason()
            .unwrap_or_else(|| "no answer".to_owned()),
    }
}

fn bits(number: &[u8]) -> u32 {
    let Some(first) = number.iter().position(|&b| b != 0) else {
        return 0;
    };
    (number.len() - first) as u32 * 8 - number[first].leading_zeros()
}

fn hex(number: &[u8]) -> String {
    let first = number.iter().position(|&b| b != 0).unwrap_or(number.len());
    let text: String = number[first..].iter().map(|b| format!("{b:02X}")).collect();
    if text.is_empty() {
        "00".to_owned()
    } else {
        text
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn records_are_what_rfc_6520_and_5246_say() {
        assert_eq!(
            heartbeat_request(TlsVersion::Tls12),
            [24, 3, 3, 0, 3, 1, 0x40, 0]
        );
        let ccs = change_cipher_spec(TlsVersion::Tls10);
        assert_eq!(ccs[..6], [20, 3, 1, 0, 1, 1], "the ChangeCipherSpec");
        assert_eq!(ccs[6..11], [22, 3, 1, 0, 32], "a handshake record's header");
        assert_eq!(ccs.len(), 11 + 32);
    }

    #[test]
    fn numbers_are_sized_and_written_without_leading_zeros() {
        assert_eq!(bits(&[0, 0x01, 0xFF]), 9);
        assert_eq!(bits(&[0, 0]), 0);
        assert_eq!(hex(&[0, 0x0A, 0xBC]), "0ABC");
        assert_eq!(hex(&[]), "00");
    }
}

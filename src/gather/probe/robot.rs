//! The ROBOT test (Return Of Bleichenbacher's Oracle Threat, CVE-2017-13099
//! and its family), asked as robot-detect asks it, because a server whose
//! answers tell right from wrong RSA padding lets anyone decrypt recorded
//! sessions and sign with its key.
//!
//! Asked only when RSA key-exchange suites are accepted at TLS 1.0 to 1.2,
//! at the highest such version, with a hello offering only those suites. On
//! each connection the server's first flight is read to ServerHelloDone, its
//! certificate's RSA key taken, and a ClientKeyExchange sent whose premaster
//! secret is padded in one of five ways ([`RobotVariant`]), raw-encrypted
//! (m^e mod n) to that key, then a ChangeCipherSpec and a 40-byte Finished
//! that is no ciphertext. What comes back (an alert, a close, a reset,
//! silence) is the variant's answer.
//!
//! One round is five connections: the correct variant first (when its
//! connection gives no RSA key, the test stops there), then the other four at
//! once. Five equal answers: not vulnerable. Differing answers are asked
//! again; the same answers twice make an oracle, strong when the badly padded
//! variants differ among themselves, weak otherwise; different answers
//! leave it open. At most ten connections; nothing is decrypted, no
//! handshake finishes.

use std::sync::Arc;

use num_bigint::BigUint;
use x509_parser::prelude::{FromDer, X509Certificate};
use x509_parser::public_key::PublicKey;

use super::parse::alert_name;
use super::{After, Answer, Connector, Shared};
use crate::facts::probe::{
    Acceptance, Kx, RobotAnswer, RobotFacts, RobotVariant, RobotVerdict, TlsVersion, VersionProbe,
};

/// The longest RSA modulus the test encrypts to (a bound on the work a
/// hostile certificate can ask for).
const MAX_MODULUS_BYTES: usize = 2048;
/// The longest public exponent (65537 is three bytes).
const MAX_EXPONENT_BYTES: usize = 8;
/// The premaster secret: two version bytes and 46 more.
const PREMASTER_LEN: usize = 48;
/// The shortest padding PKCS#1 v1.5 allows, so the shortest usable modulus.
const MIN_MODULUS_BYTES: usize = PREMASTER_LEN + 3 + 8;

/// The 46 bytes after the version in every premaster (robot-detect's).
const SECRET: [u8; 46] = [
    0xaa, 0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77, 0x88, 0x99, 0x11, 0x22, 0x33, 0x44, 0x55, 0x66,
    0x77, 0x88, 0x99, 0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77, 0x88, 0x99, 0x11, 0x22, 0x33, 0x44,
    0x55, 0x66, 0x77, 0x88, 0x99, 0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77, 0x88, 0x99,
];

/// The server's RSA public key, big-endian.
#[derive(Debug, Clone, PartialEq, Eq)]
struct RsaKey {
    modulus: Vec<u8>,
    exponent: Vec<u8>,
}

/// The RSA key of a DER certificate, or why there is none to use.
fn rsa_key(der: &[u8]) -> Result<RsaKey, String> {
    let (_, cert) = X509Certificate::from_der(der)
        .map_err(|_| "its certificate could not be read".to_owned())?;
    let Ok(PublicKey::RSA(rsa)) = cert.public_key().parsed() else {
        return Err("its certificate's key is not RSA".to_owned());
    };
    let strip = |b: &[u8]| -> Vec<u8> {
        let first = b.iter().position(|&x| x != 0).unwrap_or(b.len());
        b[first..].to_vec()
    };
    let (modulus, exponent) = (strip(rsa.modulus), strip(rsa.exponent));
    if !(MIN_MODULUS_BYTES..=MAX_MODULUS_BYTES).contains(&modulus.len())
        || exponent.is_empty()
        || exponent.len() > MAX_EXPONENT_BYTES
    {
        return Err(format!(
            "its certificate's RSA key ({} modulus bytes, {} exponent bytes) is outside what the test encrypts to",
            modulus.len(),
            exponent.len()
        ));
    }
    Ok(RsaKey { modulus, exponent })
}

/// The padded block (as long as the modulus) for `variant`, as robot-detect
/// builds it: padding bytes `ab cd` repeated, the hello's `version`.
fn padded(variant: RobotVariant, version: u16, len: usize) -> Vec<u8> {
    let pad: Vec<u8> = [0xab, 0xcd]
        .into_iter()
        .cycle()
        .take(len.saturating_sub(PREMASTER_LEN + 3))
        .collect();
    let [major, minor] = version.to_be_bytes();
    let mut block = Vec::with_capacity(len);
    let head = match variant {
        RobotVariant::WrongFirstBytes => [0x41, 0x17],
        _ => [0x00, 0x02],
    };
    block.extend_from_slice(&head);
    block.extend_from_slice(&pad);
    match variant {
        RobotVariant::Correct | RobotVariant::WrongFirstBytes => {
            block.extend_from_slice(&[0x00, major, minor]);
            block.extend_from_slice(&SECRET);
        }
        RobotVariant::ZeroMisplaced => {
            block.push(0x11);
            block.extend_from_slice(&SECRET);
            block.extend_from_slice(&[0x00, 0x11]);
        }
        RobotVariant::NoSeparator => {
            block.extend_from_slice(&[0x11, 0x11, 0x11]);
            block.extend_from_slice(&SECRET);
        }
        RobotVariant::WrongVersion => {
            block.extend_from_slice(&[0x00, 0x02, 0x02]);
            block.extend_from_slice(&SECRET);
        }
    }
    block
}

/// Raw RSA: `block`^e mod n, as many bytes as the modulus.
fn encrypt(key: &RsaKey, block: &[u8]) -> Vec<u8> {
    let n = BigUint::from_bytes_be(&key.modulus);
    let e = BigUint::from_bytes_be(&key.exponent);
    let c = BigUint::from_bytes_be(block).modpow(&e, &n).to_bytes_be();
    let mut out = vec![0u8; key.modulus.len().saturating_sub(c.len())];
    out.extend_from_slice(&c);
    out
}

/// ClientKeyExchange, ChangeCipherSpec and a Finished of 40 bytes that are
/// no ciphertext, as three records of `version`.
fn flight(ciphertext: &[u8], version: u16) -> Vec<u8> {
    let [major, minor] = version.to_be_bytes();
    let mut message = vec![16];
    message.extend_from_slice(&((ciphertext.len() + 2) as u32).to_be_bytes()[1..]);
    message.extend_from_slice(&(ciphertext.len() as u16).to_be_bytes());
    message.extend_from_slice(ciphertext);
    let mut out = vec![22, major, minor];
    out.extend_from_slice(&(message.len() as u16).to_be_bytes());
    out.extend_from_slice(&message);
    out.extend_from_slice(&[20, major, minor, 0, 1, 1]);
    out.extend_from_slice(&[22, major, minor, 0, 40]);
    out.extend_from_slice(&[0x5a; 40]);
    out
}

/// The bytes to send after `answer`'s first flight, or why there are none.
fn follow_up(answer: &Answer, variant: RobotVariant, version: u16) -> Result<Vec<u8>, String> {
    let Answer::Hello {
        hello,
        certificates,
        ..
    } = answer
    else {
        return Err("no ServerHello".to_owned());
    };
    if hello.version() != version {
        return Err(format!(
            "the ServerHello is for version 0x{:04X}",
            hello.version()
        ));
    }
    let leaf = certificates
        .first()
        .ok_or_else(|| "the server sent no certificate".to_owned())?;
    let key = rsa_key(leaf)?;
    let block = padded(variant, version, key.modulus.len());
    Ok(flight(&encrypt(&key, &block), version))
}

/// What the server did after the flight, as plain data.
fn spoken(after: After) -> String {
    match after {
        After::Alert(alert) => format!("alert:{}", alert_name(alert.description)),
        After::Record(kind) => format!("record:{kind}"),
        After::Silence => "silence".to_owned(),
        After::Closed => "closed".to_owned(),
        After::Reset => "reset".to_owned(),
    }
}

/// The answer robot-detect's comparison cannot use.
const NO_ANSWER: &str = "no_answer";

/// What one round's answers (in [`RobotVariant::ALL`] order) say, if it is
/// the last round: robot-detect's rule.
fn judge(round: &[String]) -> RobotVerdict {
    if round.iter().any(|a| a == NO_ANSWER) || round.len() != RobotVariant::ALL.len() {
        RobotVerdict::Inconclusive
    } else if round.iter().all(|a| *a == round[0]) {
        RobotVerdict::NotVulnerable
    } else if round[1] == round[2] && round[2] == round[3] {
        RobotVerdict::WeakOracle
    } else {
        RobotVerdict::StrongOracle
    }
}

/// Asks the ROBOT question when RSA key-exchange suites are accepted at TLS
/// 1.0 to 1.2; `None` when none is. Why it stayed open goes to `notes`.
pub(super) async fn robot<C: Connector>(
    shared: &Arc<Shared<C>>,
    versions: &[VersionProbe],
    notes: &mut Vec<String>,
) -> Option<RobotFacts> {
    let probe = [TlsVersion::Tls12, TlsVersion::Tls11, TlsVersion::Tls10]
        .into_iter()
        .filter_map(|v| versions.iter().find(|p| p.version == v))
        .filter(|p| p.accepted == Acceptance::Yes)
        .find(|p| p.suites.iter().any(|s| s.key_exchange == Kx::Rsa))?;
    let version = probe.version;
    let rsa: Vec<_> = probe
        .suites
        .iter()
        .filter(|s| s.key_exchange == Kx::Rsa)
        .collect();
    let codes: Vec<u16> = rsa.iter().filter_map(|s| s.wire_code()).collect();
    let spec = shared.spec(version, codes);
    let wire = version.wire();
    let mut facts = RobotFacts {
        version,
        suites: rsa.iter().map(|s| s.name.clone()).collect(),
        rounds: Vec::new(),
        verdict: RobotVerdict::Inconclusive,
        connections: 0,
    };
    let ask = |variant: RobotVariant| {
        let spec = &spec;
        async move {
            let (answer, after) = shared
                .ask_then_with(spec, true, |a| follow_up(a, variant, wire).ok())
                .await;
            match after {
                Some(after) => (spoken(after), None),
                None => {
                    let why = match &answer {
                        Answer::Hello { .. } => follow_up(&answer, variant, wire)
                            .err()
                            .unwrap_or_else(|| "no key exchange was sent".to_owned()),
                        Answer::Refused(alert) => format!("the alert {}", alert.name()),
                        Answer::Sslv2 => "an SSL 2.0 answer".to_owned(),
                        other => other
                            .open_reason()
                            .unwrap_or_else(|| "no answer".to_owned()),
                    };
                    (NO_ANSWER.to_owned(), Some(why))
                }
            }
        }
    };
    for round in 0..2 {
        let first = ask(RobotVariant::Correct).await;
        facts.connections += 1;
        let mut answers = vec![first];
        if answers[0].1.is_none() {
            let (a, b, c, d) = tokio::join!(
                ask(RobotVariant::WrongFirstBytes),
                ask(RobotVariant::ZeroMisplaced),
                ask(RobotVariant::NoSeparator),
                ask(RobotVariant::WrongVersion),
            );
            facts.connections += 4;
            answers.extend([a, b, c, d]);
        }
        let why = answers.iter().find_map(|(_, why)| why.clone());
        let texts: Vec<String> = answers.into_iter().map(|(a, _)| a).collect();
        facts.rounds.push(
            RobotVariant::ALL
                .into_iter()
                .zip(&texts)
                .map(|(variant, answer)| RobotAnswer {
                    variant,
                    answer: answer.clone(),
                })
                .collect(),
        );
        if let Some(why) = why {
            notes.push(format!(
                "A ROBOT connection got no answer to use ({why}); ROBOT stays open."
            ));
            facts.verdict = RobotVerdict::Inconclusive;
            break;
        }
        let verdict = judge(&texts);
        if round == 0 {
            facts.verdict = verdict;
            if verdict == RobotVerdict::NotVulnerable {
                break;
            }
        } else if facts.rounds[0] != facts.rounds[1] {
            notes.push(
                "The ROBOT answers differed between the two rounds; ROBOT stays open.".to_owned(),
            );
            facts.verdict = RobotVerdict::Inconclusive;
        }
    }
    Some(facts)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn answers(list: [&str; 5]) -> Vec<String> {
        list.iter().map(|a| (*a).to_owned()).collect()
    }

    #[test]
    fn blocks_are_what_robot_detect_sends() {
        let len = 128;
        let good = padded(RobotVariant::Correct, 0x0303, len);
        assert_eq!(good.len(), len);
        assert_eq!(good[..4], [0x00, 0x02, 0xab, 0xcd]);
        assert_eq!(good[len - 49..len - 46], [0x00, 0x03, 0x03]);
        assert_eq!(good[len - 46..], SECRET);
        assert!(!good[2..len - 49].contains(&0), "the padding has no zero");
        let bad = padded(RobotVariant::WrongFirstBytes, 0x0303, len);
        assert_eq!(bad[..2], [0x41, 0x17]);
        assert_eq!(bad[2..], good[2..]);
        let misplaced = padded(RobotVariant::ZeroMisplaced, 0x0303, len);
        assert_eq!(misplaced.len(), len);
        assert_eq!(misplaced.iter().rposition(|&b| b == 0), Some(len - 2));
        assert_eq!(misplaced.iter().position(|&b| b == 0), Some(0));
        let none = padded(RobotVariant::NoSeparator, 0x0303, len);
        assert_eq!(none.len(), len);
        assert_eq!(none[1..].iter().position(|&b| b == 0), None);
        let version = padded(RobotVariant::WrongVersion, 0x0301, len);
        assert_eq!(version[len - 49..len - 46], [0x00, 0x02, 0x02]);
    }

    #[test]
    fn encryption_is_m_to_the_e_mod_n() {
        // n = 61 * 53 = 3233, e = 17: 65^17 mod 3233 = 2790 (the textbook example).
        let key = RsaKey {
            modulus: vec![0x0c, 0xa1],
            exponent: vec![17],
        };
        assert_eq!(encrypt(&key, &[0, 65]), vec![0x0a, 0xe6]);
        // A result shorter than the modulus is left-padded with zeros.
        assert_eq!(encrypt(&key, &[0, 1]), vec![0, 1]);
    }

    #[test]
    fn the_flight_is_three_records() {
        let out = flight(&[7; 64], 0x0301);
        assert_eq!(out[..5], [22, 3, 1, 0, 70]);
        assert_eq!(out[5..11], [16, 0, 0, 66, 0, 64]);
        assert_eq!(out[75..81], [20, 3, 1, 0, 1, 1]);
        assert_eq!(out[81..86], [22, 3, 1, 0, 40]);
        assert_eq!(out.len(), 86 + 40);
    }

    #[test]
    fn answers_are_judged_as_robot_detect_judges_them() {
        let same = answers(["alert:bad_record_mac"; 5]);
        assert_eq!(judge(&same), RobotVerdict::NotVulnerable);
        let strong = answers([
            "alert:bad_record_mac",
            "alert:handshake_failure",
            "alert:bad_record_mac",
            "alert:bad_record_mac",
            "alert:bad_record_mac",
        ]);
        assert_eq!(judge(&strong), RobotVerdict::StrongOracle);
        let weak = answers([
            "alert:bad_record_mac",
            "closed",
            "closed",
            "closed",
            "alert:bad_record_mac",
        ]);
        assert_eq!(judge(&weak), RobotVerdict::WeakOracle);
        let version_only = answers([
            "alert:bad_record_mac",
            "closed",
            "closed",
            "closed",
            "closed",
        ]);
        assert_eq!(judge(&version_only), RobotVerdict::WeakOracle);
        let open = answers(["silence", "silence", NO_ANSWER, "silence", "silence"]);
        assert_eq!(judge(&open), RobotVerdict::Inconclusive);
    }

    #[test]
    fn unusable_keys_are_refused_without_work() {
        assert!(rsa_key(&[0x30, 0x03, 0x02, 0x01, 0x00]).is_err());
    }
}

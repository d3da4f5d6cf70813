//! How the certificates a server sent fit together: order, gaps, extras.
//!
//! Pure analysis of [`CertFacts`], with no trust store: whether the chain is
//! *trusted* is the verifier's answer; this module explains the shape behind it
//! (a missing intermediate, a wrong order, a root sent along, duplicates).

use crate::facts::cert::CertFacts;

/// The shape of a chain as sent.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ChainReport {
    /// Positions (as sent) of the issuer path from the leaf upwards, following
    /// issuer names (and key identifiers where both sides have one).
    pub path: Vec<usize>,
    /// The path is not the order sent (leaf, its issuer, that one's issuer …).
    pub out_of_order: bool,
    /// Positions of certificates that are not on the leaf's path (strays).
    pub unused: Vec<usize>,
    /// Positions of certificates sent more than once (each later copy).
    pub duplicates: Vec<usize>,
    /// Position of a self-issued CA certificate sent on the path: a root, which
    /// clients never need from the server.
    pub root_sent: Option<usize>,
    /// The path stops at a certificate whose issuer was not sent.
    pub top_issuer_missing: Option<MissingIssuer>,
}

/// The certificate the path needs next but the server did not send.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MissingIssuer {
    /// Distinguished name of the missing issuer.
    pub name: String,
    /// Position of the certificate it should have signed.
    pub below: usize,
    /// Where that certificate's AIA says the issuer can be fetched.
    pub ca_issuers_urls: Vec<String>,
}

/// `candidate` plausibly issued `cert`: the names match, and so do the key
/// identifiers when both are present (names alone can repeat across CA generations).
fn issued(candidate: &CertFacts, cert: &CertFacts) -> bool {
    candidate.subject == cert.issuer
        && match (&candidate.subject_key_id, &cert.authority_key_id) {
            (Some(ski), Some(aki)) => ski == aki,
            _ => true,
        }
}

/// Analyses the chain as sent (leaf first). Certificates that failed to parse
/// take no part in the path.
pub fn analyse(certs: &[CertFacts]) -> ChainReport {
    let mut report = ChainReport::default();
    let Some(leaf) = certs.first().filter(|c| c.parse_error.is_none()) else {
        return report;
    };

    for (i, cert) in certs.iter().enumerate() {
        if certs[..i]
            .iter()
            .any(|earlier| earlier.sha256 == cert.sha256)
        {
            report.duplicates.push(i);
        }
    }

    report.path.push(0);
    let mut current = leaf;
    // Bounded by the number of certificates: each step takes a new one.
    while !current.self_issued {
        let next = certs.iter().position(|c| {
            c.parse_error.is_none()
                && !report.path.contains(&c.position)
                && !report.duplicates.contains(&c.position)
                && issued(c, current)
        });
        match next {
            Some(i) => {
                report.path.push(i);
                current = &certs[i];
            }
            None => {
                report.top_issuer_missing = Some(MissingIssuer {
                    name: current.issuer.clone(),
                    below: current.position,
                    ca_issuers_urls: current.ca_issuers_urls.clone(),
                });
                break;
            }
        }
    }
    if current.self_issued && current.is_ca && current.position != 0 {
        report.root_sent = Some(current.position);
    }
    report.out_of_order = report.path.iter().enumerate().any(|(i, &p)| i != p);
    report.unused = (0..certs.len())
        .filter(|i| !report.path.contains(i) && !report.duplicates.contains(i))
        .collect();
    report
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cert(position: usize, subject: &str, issuer: &str) -> CertFacts {
        CertFacts {
            position,
            subject: subject.to_owned(),
            issuer: issuer.to_owned(),
            self_issued: subject == issuer,
            is_ca: position > 0,
            sha256: format!("fp-{subject}"),
            ..CertFacts::default()
        }
    }

    fn renumber(mut certs: Vec<CertFacts>) -> Vec<CertFacts> {
        for (i, c) in certs.iter_mut().enumerate() {
            c.position = i;
            c.is_ca = i > 0;
        }
        certs
    }

    #[test]
    fn a_good_chain_is_in_order_and_complete_up_to_the_root() {
        let certs = renumber(vec![
            cert(0, "CN=leaf", "CN=Inter"),
            cert(1, "CN=Inter", "CN=Root"),
        ]);
        let r = analyse(&certs);
        assert_eq!(r.path, [0, 1]);
        assert!(!r.out_of_order && r.unused.is_empty() && r.duplicates.is_empty());
        assert_eq!(r.root_sent, None);
        // The root is not sent, as it should be; whether it is trusted is the verifier's call.
        let missing = r.top_issuer_missing.expect("root not sent");
        assert_eq!((missing.name.as_str(), missing.below), ("CN=Root", 1));
    }

    #[test]
    fn leaf_only_names_the_missing_intermediate_and_its_aia() {
        let mut leaf = cert(0, "CN=leaf", "CN=Inter");
        leaf.ca_issuers_urls = vec!["http://ca.example/inter.der".to_owned()];
        let r = analyse(&[leaf]);
        let missing = r.top_issuer_missing.expect("missing");
        assert_eq!(missing.name, "CN=Inter");
        assert_eq!(missing.ca_issuers_urls, ["http://ca.example/inter.der"]);
    }

    #[test]
    fn wrong_order_root_and_duplicates_are_seen() {
        let certs = renumber(vec![
            cert(0, "CN=leaf", "CN=Inter"),
            cert(0, "CN=Root", "CN=Root"),
            cert(0, "CN=Inter", "CN=Root"),
            cert(0, "CN=Inter", "CN=Root"),
        ]);
        let r = analyse(&certs);
        assert_eq!(r.path, [0, 2, 1]);
        assert!(r.out_of_order);
        assert_eq!(r.root_sent, Some(1));
        assert_eq!(r.duplicates, [3]);
        assert!(r.unused.is_empty());
        assert_eq!(r.top_issuer_missing, None);
    }

    #[test]
    fn key_identifiers_tell_apart_two_cas_with_one_name() {
        let mut leaf = cert(0, "CN=leaf", "CN=Inter");
        leaf.authority_key_id = Some("NEW".to_owned());
        let mut old = cert(1, "CN=Inter", "CN=Root");
        old.subject_key_id = Some("OLD".to_owned());
        let r = analyse(&[leaf, old]);
        assert_eq!(r.path, [0]);
        assert_eq!(r.unused, [1]);
        assert!(r.top_issuer_missing.is_some());
    }

    #[test]
    fn a_self_signed_leaf_is_its_own_path() {
        let r = analyse(&[cert(0, "CN=me", "CN=me")]);
        assert_eq!(r.path, [0]);
        assert_eq!((r.root_sent, r.top_issuer_missing), (None, None));
    }

    #[test]
    fn unparsable_leaf_gives_an_empty_analysis() {
        let bad = CertFacts {
            parse_error: Some("bad".to_owned()),
            ..CertFacts::default()
        };
        assert_eq!(analyse(&[bad]), ChainReport::default());
    }
}

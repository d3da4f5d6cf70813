//! The chains as sent, in PEM: for `mailtls certs`, like `openssl s_client -showcerts`.

use std::fmt::Write;

use super::escape::Text;
use crate::facts::cert::CertFacts;
use crate::report::Report;

/// One certificate as PEM, preceded by `#` comment lines naming it (PEM readers
/// ignore text outside the BEGIN/END lines).
pub fn certificate_pem(der: &[u8], facts: Option<&CertFacts>, index: usize) -> String {
    let mut out = String::new();
    match facts {
        Some(c) if c.parse_error.is_none() => {
            let _ = writeln!(out, "# {index} subject: {}", Text(&c.subject));
            let _ = writeln!(out, "#   issuer:  {}", Text(&c.issuer));
            let _ = writeln!(
                out,
                "#   valid:   {} to {}",
                Text(&c.not_before),
                Text(&c.not_after)
            );
            let _ = writeln!(out, "#   sha256:  {}", c.sha256);
        }
        Some(c) => {
            let _ = writeln!(
                out,
                "# {index} (unparsable: {})",
                Text(c.parse_error.as_deref().unwrap_or(""))
            );
        }
        None => {
            let _ = writeln!(out, "# {index}");
        }
    }
    let pem = pem::Pem::new("CERTIFICATE", der.to_vec());
    out.push_str(&pem::encode_config(
        &pem,
        pem::EncodeConfig::new().set_line_ending(pem::LineEnding::LF),
    ));
    out
}

/// One line of the summary `certs --out` prints: outside text escaped.
pub fn summary_line(parts: &[&str]) -> String {
    let escaped: Vec<String> = parts.iter().map(|p| Text(p).to_string()).collect();
    escaped.join("")
}

/// What `certs` shows of one report.
#[derive(Debug)]
pub enum Listing<'a> {
    /// An input that is not a target: its headline says why.
    NotATarget { input: &'a str, headline: &'a str },
    /// A server that sent no chain, and why.
    NoCertificates { server: String, why: &'a str },
    /// The chain as sent, in order.
    Chain {
        /// `host:port (IMAP with SSL/TLS) sent N certificate(s), in this order:`
        heading: String,
        /// A file-name stem for `--out`: the host with odd characters replaced, and the port.
        file_stem: String,
        /// Each certificate as PEM with its comment lines, and its subject.
        certificates: Vec<(String, &'a str)>,
    },
}

/// The listing of every report, in order: one source for the printed chains
/// and for the files of `--out`.
pub fn listings(reports: &[Report]) -> Vec<Listing<'_>> {
    reports.iter().map(listing).collect()
}

fn listing(report: &Report) -> Listing<'_> {
    let Some(facts) = &report.facts else {
        return Listing::NotATarget {
            input: &report.input,
            headline: &report.headline,
        };
    };
    let target = &facts.target;
    let chain = facts.tls.as_ref().map_or(&[][..], |t| &t.chain[..]);
    if chain.is_empty() {
        return Listing::NoCertificates {
            server: format!("{}:{}", target.host, target.port),
            why: facts
                .stopped
                .as_ref()
                .map_or("the server sent no certificate", |s| s.message.as_str()),
        };
    }
    // IPv6 colons and other odd characters do not belong in file names.
    let host: String = target
        .host
        .to_string()
        .chars()
        .map(|c| match c {
            c if c.is_ascii_alphanumeric() || c == '.' || c == '-' => c,
            _ => '_',
        })
        .collect();
    Listing::Chain {
        heading: format!(
            "{}:{} ({} with {}) sent {} certificate(s), in this order:",
            target.host,
            target.port,
            target.protocol.display_name(),
            target.mode.client_setting(),
            chain.len()
        ),
        file_stem: format!("{host}_{}", target.port),
        certificates: chain
            .iter()
            .enumerate()
            .map(|(i, der)| {
                let facts = facts.certificates.get(i);
                (
                    certificate_pem(der, facts, i),
                    facts.map_or("", |c| c.subject.as_str()),
                )
            })
            .collect(),
    }
}

/// Every report's chain, each headed by a comment naming the server; a server
/// that sent no chain gets a comment saying why.
pub fn render_chains(reports: &[Report]) -> String {
    let mut out = String::new();
    for listing in listings(reports) {
        match listing {
            Listing::NotATarget { input, headline } => {
                let _ = writeln!(out, "# {}: {}", Text(input), Text(headline));
            }
            Listing::NoCertificates { server, why } => {
                let _ = writeln!(out, "# {}: no certificates: {}", Text(&server), Text(why));
            }
            Listing::Chain {
                heading,
                certificates,
                ..
            } => {
                let _ = writeln!(out, "# {}", Text(&heading));
                for (pem, _) in certificates {
                    out.push_str(&pem);
                }
            }
        }
    }
    out
}

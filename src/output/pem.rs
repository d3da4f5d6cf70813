//! The chains as sent, in PEM: for `mailtls certs`, like `openssl s_client -showcerts`.

use std::fmt::Write;

use crate::facts::cert::CertFacts;
use crate::report::Report;

/// One certificate as PEM, preceded by `#` comment lines naming it (PEM readers
/// ignore text outside the BEGIN/END lines).
pub fn certificate_pem(der: &[u8], facts: Option<&CertFacts>, index: usize) -> String {
    let mut out = String::new();
    match facts {
        Some(c) if c.parse_error.is_none() => {
            let _ = writeln!(out, "# {index} subject: {}", c.subject);
            let _ = writeln!(out, "#   issuer:  {}", c.issuer);
            let _ = writeln!(out, "#   valid:   {} to {}", c.not_before, c.not_after);
            let _ = writeln!(out, "#   sha256:  {}", c.sha256);
        }
        Some(c) => {
            let _ = writeln!(
                out,
                "# {index} (unparsable: {})",
                c.parse_error.as_deref().unwrap_or("")
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

/// Why a check has no chain to show, in words.
pub fn no_chain_reason(facts: &crate::facts::CheckFacts) -> &str {
    facts
        .stopped
        .as_ref()
        .map_or("the server sent no certificate", |s| s.message.as_str())
}

/// Every report's chain, each headed by a comment naming the server; a server
/// that sent no chain gets a comment saying why.
pub fn render_chains(reports: &[Report]) -> String {
    let mut out = String::new();
    for report in reports {
        let Some(facts) = &report.facts else {
            let _ = writeln!(out, "# {}: {}", report.input, report.headline);
            continue;
        };
        let target = &facts.target;
        let chain = facts.tls.as_ref().map_or(&[][..], |t| &t.chain[..]);
        if chain.is_empty() {
            let why = no_chain_reason(facts);
            let _ = writeln!(
                out,
                "# {}:{}: no certificates: {why}",
                target.host, target.port
            );
            continue;
        }
        let _ = writeln!(
            out,
            "# {}:{} ({} with {}) sent {} certificate(s), in this order:",
            target.host,
            target.port,
            target.protocol.display_name(),
            target.mode.client_setting(),
            chain.len()
        );
        for (i, der) in chain.iter().enumerate() {
            out.push_str(&certificate_pem(der, facts.certificates.get(i), i));
        }
    }
    out
}

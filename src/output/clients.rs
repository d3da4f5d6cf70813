//! `mailtls clients`: the client profiles, what each trusts and negotiates,
//! and the dates of the root stores behind them.

use std::fmt::Write;

use crate::diagnose::clients::{Sha1, PROFILES};
use crate::facts::tls::StoreKind;

/// What the listing says of a root store: its file, version and date.
#[derive(Debug, Clone)]
pub struct StoreDate {
    pub store: StoreKind,
    pub description: String,
}

/// The profiles as a table, then the stores they use.
pub fn render_clients(stores: &[StoreDate]) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "{:<12} {:<60} {:<10} {:<5} {:<7} {:<6} versions",
        "id", "clients", "roots", "AIA", "min RSA", "SHA-1"
    );
    for p in PROFILES {
        let versions: Vec<&str> = p.versions.iter().map(|v| v.name()).collect();
        let _ = writeln!(
            out,
            "{:<12} {:<60} {:<10} {:<5} {:<7} {:<6} {}",
            p.id,
            p.name,
            store_name(p.store),
            if p.fetches_missing_issuers {
                "yes"
            } else {
                "no"
            },
            p.min_rsa_bits,
            match p.sha1 {
                Sha1::Accepted => "yes",
                Sha1::Refused => "no",
            },
            versions.join(" ")
        );
    }
    let _ = writeln!(out, "\nRoot stores:");
    for s in stores {
        let _ = writeln!(out, "  {:<10} {}", store_name(s.store), s.description);
    }
    let _ = writeln!(
        out,
        "  {:<10} this machine's store (what GnuTLS and OpenSSL clients here trust)\n  {:<10} Mozilla's program as webpki-roots ships it\n\nSources for every rule: docs/clients.md. With --ca-file, its roots count as installed on every client.",
        "system", "mozilla"
    );
    out
}

fn store_name(store: StoreKind) -> &'static str {
    match store {
        StoreKind::Mozilla => "mozilla",
        StoreKind::System => "system",
        StoreKind::CaFiles => "ca-files",
        StoreKind::Apple => "apple",
        StoreKind::Microsoft => "microsoft",
        StoreKind::Android => "android",
        StoreKind::Android8 => "android-8",
        StoreKind::Java => "java",
    }
}

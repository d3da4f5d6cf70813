//! Certificates as a server may send them: parsed and analysed without panicking.
#![no_main]

use libfuzzer_sys::fuzz_target;
use mailtls::facts::{cert, chain};
use rustls_pki_types::CertificateDer;

fuzz_target!(|data: &[u8]| {
    // Up to four "certificates", split at 0xFF 0x00 markers.
    let parts: Vec<CertificateDer<'static>> = data
        .split(|&b| b == 0xff)
        .take(4)
        .map(|p| CertificateDer::from(p.to_vec()))
        .collect();
    let facts = cert::parse_chain(&parts, 1_700_000_000);
    let _ = chain::analyse(&facts);
});

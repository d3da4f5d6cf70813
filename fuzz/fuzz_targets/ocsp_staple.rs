//! A stapled OCSP response as a server may send it: read without panicking,
//! alone and beside a certificate chain (the bytes after a 0xFF marker).
#![no_main]

use libfuzzer_sys::fuzz_target;
use mailtls::facts::{cert, ocsp};
use rustls_pki_types::CertificateDer;

fuzz_target!(|data: &[u8]| {
    let mut parts = data.splitn(2, |&b| b == 0xff);
    let staple = parts.next().unwrap_or_default();
    let chain: Vec<CertificateDer<'static>> = parts
        .next()
        .map(|c| vec![CertificateDer::from(c.to_vec())])
        .unwrap_or_default();
    let _ = ocsp::parse(staple, &chain);
    let _ = ocsp::parse(data, &[]);
    let _ = cert::sct_list_tls(data);
});

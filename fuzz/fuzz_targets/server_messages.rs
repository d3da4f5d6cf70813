//! Fuzzes the probe's reader of server answers (records, handshake messages,
//! alerts, SSLv2 replies): any input must give events or an error, never a panic.

#![no_main]

use libfuzzer_sys::fuzz_target;
use mailtls::gather::probe::parse::{dhe_prime_bits, ecdhe_curve, parse_all, FlightReader};

fuzz_target!(|data: &[u8]| {
    let _ = parse_all(data);
    let _ = ecdhe_curve(data);
    let _ = dhe_prime_bits(data);
    // The same bytes in two reads, cut where the first byte says: records and
    // handshake messages split across reads take the reassembly paths.
    if let Some((&cut, rest)) = data.split_first() {
        let cut = usize::from(cut) % (rest.len() + 1);
        let mut reader = FlightReader::new();
        if reader.feed(&rest[..cut]).is_ok() {
            let _ = reader.feed(&rest[cut..]);
        }
        while reader.next_event().is_some() {}
    }
});

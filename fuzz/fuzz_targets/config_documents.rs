//! Configuration documents as a web server may send them (Thunderbird
//! autoconfig, Autodiscover answers): parsed without panicking.
#![no_main]

use libfuzzer_sys::fuzz_target;
use mailtls::gather::autoconfig::{autodiscover_servers, parse_autoconfig, parse_autodiscover};

fuzz_target!(|data: &[u8]| {
    let _ = parse_autoconfig(data, Some("alice@example.test"), "example.test");
    let _ = parse_autodiscover(data);
    let _ = autodiscover_servers(data, "example.test");
});

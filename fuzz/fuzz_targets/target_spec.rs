//! Target syntax (`host:port`, `[v6]:port`, URLs): any text parses or errs, never panics.
#![no_main]

use libfuzzer_sys::fuzz_target;
use mailtls::facts::target::TargetSpec;

fuzz_target!(|text: &str| {
    if let Ok(spec) = TargetSpec::parse(text) {
        let _ = spec.resolve(None, None);
    }
});

//! Any bytes → (if UTF-8) the unit parsers: `parse_duration`, `parse_rate`,
//! and a `DistValue` deserialized from the TOML document `x = <input>`.
//! Errors are fine; a panic, abort, overflow (debug assertions are on), hang
//! or OOM is a bug.
#![no_main]

use libfuzzer_sys::fuzz_target;
use serde::Deserialize;
use unbindsim::scenario::units::{DistValue, parse_duration, parse_rate};

#[derive(Deserialize)]
struct Doc {
    #[allow(dead_code)]
    x: DistValue,
}

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    if let Ok(rate) = parse_rate(text) {
        // The derived quantities must not panic for any accepted rate.
        let _ = rate.mean_gap();
        let _ = rate.to_string();
    }
    let _ = parse_duration(text);
    let _ = toml::from_str::<Doc>(&format!("x = {text}"));
});

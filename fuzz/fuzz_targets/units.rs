//! Any bytes → (if UTF-8) the unit parsers: `parse_duration`, `parse_rate`,
//! and a `DistValue` deserialized from the TOML document `x = <input>`
//! (the body is `units_case.rs`, which the corpus replay test shares).
//! Errors are fine; a panic, abort, overflow (debug assertions are on), hang
//! or OOM is a bug.
#![no_main]

mod units_case;

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    units_case::units_case(data);
});

//! Any bytes → (if UTF-8) the scenario loader. Errors are fine; a panic,
//! abort, overflow (debug assertions are on), hang or OOM is a bug.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(text) = std::str::from_utf8(data) {
        // Exercise the error path too: rendering a located error (line,
        // column, dotted key, caret under the value) must not panic either.
        if let Err(error) = unbindsim::scenario::parse_scenario("fuzz.toml", text) {
            let _ = error.to_string();
        }
    }
});

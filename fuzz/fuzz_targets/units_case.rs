//! The body of the `units` fuzz target, shared by path with the corpus
//! replay in `tests/integration/fuzz_corpus.rs`: any bytes → (if UTF-8) the
//! unit parsers `parse_duration` and `parse_rate` (with the quantities an
//! accepted rate derives), and a `DistValue` deserialized from the TOML
//! document `x = <input>`. Errors are fine; a panic is a bug.

use serde::Deserialize;
use unbindsim::scenario::units::{DistValue, parse_duration, parse_rate};

#[derive(Deserialize)]
struct Doc {
    #[serde(rename = "x")]
    _x: DistValue,
}

/// Runs one input through every unit parser; returns normally unless a
/// parser panics.
pub fn units_case(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    if let Ok(rate) = parse_rate(text) {
        let _ = (rate.mean_gap(), rate.to_string());
    }
    let _ = parse_duration(text);
    let _ = toml::from_str::<Doc>(&format!("x = {text}"));
}

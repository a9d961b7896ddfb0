//! Units as people write them in scenario files, one private module each:
//! durations (`duration`: `"72h"`, `"1.5d"`, `"250ms"`), rates (`rate`:
//! `"40/d"`, `"20/30s"`), probabilities (`probability`) and duration
//! distributions (`distribution`: `{ exp = "4h" }`, a bare `"6h"`, ...).
//!
//! The plain parsers ([`parse_duration`], [`parse_rate`]) return messages
//! that say what is allowed. The serde wrappers ([`DurationValue`],
//! [`RateValue`], [`Probability`], [`DistValue`]) deserialize directly from
//! TOML values through their own visitors and raise errors with
//! [`serde::de::Error::custom`] inside the visitor, so `toml` attaches the
//! span of the offending value (an `#[serde(untagged)]` enum would lose it).

mod distribution;
mod duration;
mod probability;
mod rate;

pub use distribution::{DistValue, distribution_names};
pub use duration::{DurationValue, parse_duration};
pub use probability::Probability;
pub use rate::{Rate, RateValue, parse_rate, rate_with_mean_gap};

/// Reading and writing one value as the TOML document `x = <value>`, for
/// the tests of each unit.
#[cfg(test)]
mod document {
    use serde::de::DeserializeOwned;
    use serde::{Deserialize, Serialize};

    #[derive(Deserialize, Serialize)]
    struct Document<T> {
        x: T,
    }

    /// The value written in TOML as `text`, or toml's message.
    pub(super) fn read<T: DeserializeOwned>(text: &str) -> Result<T, String> {
        toml::from_str::<Document<T>>(&format!("x = {text}\n")).map(|doc| doc.x).map_err(|e| e.message().to_string())
    }

    /// The value written as a TOML document and read back.
    pub(super) fn round_trip<T: Serialize + DeserializeOwned>(x: T) -> T {
        let text = toml::to_string(&Document { x }).expect("units serialize");
        toml::from_str::<Document<T>>(&text).unwrap_or_else(|e| panic!("{text}\n{e}")).x
    }
}

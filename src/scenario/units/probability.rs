//! Probabilities as scenario files write them: a TOML float or integer in
//! [0, 1], read through a serde wrapper that names the bad value.

use std::fmt;

use serde::de::{self, Deserializer, Visitor};
use serde::ser::Serializer;
use serde::{Deserialize, Serialize};

/// A probability: a TOML float or integer in [0, 1].
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Probability(pub f64);

struct ProbabilityVisitor;

impl ProbabilityVisitor {
    fn check<E: de::Error>(p: f64, shown: impl fmt::Display) -> Result<f64, E> {
        if (0.0..=1.0).contains(&p) {
            Ok(p)
        } else {
            Err(E::custom(format!("must be a probability in [0, 1], got {shown}")))
        }
    }
}

impl Visitor<'_> for ProbabilityVisitor {
    type Value = f64;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a probability in [0, 1]")
    }

    fn visit_f64<E: de::Error>(self, v: f64) -> Result<f64, E> {
        Self::check(v, v)
    }

    fn visit_i64<E: de::Error>(self, v: i64) -> Result<f64, E> {
        Self::check(v as f64, v)
    }

    fn visit_u64<E: de::Error>(self, v: u64) -> Result<f64, E> {
        Self::check(v as f64, v)
    }
}

impl<'de> Deserialize<'de> for Probability {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(ProbabilityVisitor).map(Probability)
    }
}

impl Serialize for Probability {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_f64(self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::super::document;
    use super::*;

    #[test]
    fn probabilities_in_the_unit_interval() {
        assert_eq!(document::read("0.5"), Ok(Probability(0.5)));
        assert_eq!(document::read("1"), Ok(Probability(1.0)));
        assert_eq!(document::read("0"), Ok(Probability(0.0)));
        assert_eq!(document::round_trip(Probability(0.25)), Probability(0.25));
    }

    #[test]
    fn wrapper_errors() {
        let error = |text: &str| document::read::<Probability>(text).unwrap_err();
        assert_eq!(error("1.3"), "must be a probability in [0, 1], got 1.3");
        assert_eq!(error("2"), "must be a probability in [0, 1], got 2");
        assert_eq!(error("-0.1"), "must be a probability in [0, 1], got -0.1");
        assert_eq!(error("nan"), "must be a probability in [0, 1], got NaN");
        assert!(error("\"0.5\"").contains("expected a probability in [0, 1]"));
    }
}

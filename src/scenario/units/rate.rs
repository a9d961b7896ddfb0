//! Rates as scenario files write them (`"40/d"`, `"20/30s"`): the
//! [`Rate`] itself, its parser, its whole-count display and the serde
//! wrapper that reads one from a TOML string.

use std::fmt;

use serde::de::{self, Deserializer, Visitor};
use serde::ser::Serializer;
use serde::{Deserialize, Serialize};

use super::duration::{duration_unit, is_decimal, parse_duration};
use crate::engine::SimDuration;

const RATE_HELP: &str = r#"expected a rate like "20/s", "40/d", "600/h" or "20/30s" (a positive count per unit or per duration; units: us, ms, s, min, h, d, w)"#;

/// A positive, finite number of occurrences per second.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Rate {
    per_sec: f64,
}

impl Rate {
    /// A rate of `per_sec` occurrences per second; positive and finite.
    fn from_per_sec(per_sec: f64) -> Result<Rate, String> {
        if per_sec.is_finite() && per_sec > 0.0 {
            Ok(Rate { per_sec })
        } else {
            Err(format!("a rate must be positive and finite, got {per_sec}/s"))
        }
    }

    /// Occurrences per second.
    pub fn per_sec(&self) -> f64 {
        self.per_sec
    }

    /// The mean gap between occurrences, `1 / rate`, rounded to the nearest
    /// microsecond (saturating at `SimDuration::FOREVER`).
    pub fn mean_gap(&self) -> SimDuration {
        SimDuration::from_secs_f64(1.0 / self.per_sec)
    }
}

/// Writes `<count>/<unit>` with the smallest of s, min, h, d, w that makes
/// the count a whole number (`40/d`, `10/min`, `3/w`), else `<per_sec>/s`.
/// [`parse_rate`] reads the result back.
impl fmt::Display for Rate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        const UNITS: [(f64, &str); 5] = [(1.0, "s"), (60.0, "min"), (3_600.0, "h"), (86_400.0, "d"), (604_800.0, "w")];
        for (secs, name) in UNITS {
            let count = self.per_sec * secs;
            let whole = count.round();
            if (1.0..1e15).contains(&whole) && (count - whole).abs() <= 1e-9 * whole {
                return write!(f, "{whole}/{name}");
            }
        }
        write!(f, "{}/s", self.per_sec)
    }
}

/// A rate as [`parse_rate`] reads it whose [`Rate::mean_gap`] is `gap`:
/// a whole count per unit, as [`Rate`]'s `Display` writes it, where that
/// reads back to the same gap (`10/min` for 6 s), else one per the gap
/// itself (`1/7001ms`); a zero gap (a rate too fast for a microsecond) as
/// a rate that rounds to it.
pub fn rate_with_mean_gap(gap: SimDuration) -> String {
    if gap.is_zero() {
        return "3000000/s".to_owned();
    }
    let per_gap = format!("1/{}", gap.exact_text());
    let whole = Rate::from_per_sec(1.0 / gap.as_secs_f64()).map(|rate| rate.to_string());
    match whole {
        Ok(text) if !text.contains('.') && parse_rate(&text).is_ok_and(|back| back.mean_gap() == gap) => text,
        Ok(_) | Err(_) => per_gap,
    }
}

/// Parses a rate: `"<count>/<unit>"` (`"20/s"`, `"40/d"`, `"10/min"`,
/// `"600/h"`, `"3/w"`) or `"<count>/<duration>"` (`"20/30s"`). The count is
/// a positive decimal; the period must be positive.
pub fn parse_rate(text: &str) -> Result<Rate, String> {
    let trimmed = text.trim();
    let Some((count, period)) = trimmed.split_once('/') else {
        return Err(format!("{RATE_HELP}, got {text:?}"));
    };
    if count.starts_with('-') {
        return Err(format!("a rate cannot be negative, got {text:?}"));
    }
    if !is_decimal(count) {
        return Err(format!("{RATE_HELP}, got {text:?}"));
    }
    let count: f64 = count.parse().map_err(|_| format!("{RATE_HELP}, got {text:?}"))?;
    if count == 0.0 {
        return Err(format!("a rate must be positive, got {text:?}"));
    }
    let period = if period.starts_with(|c: char| c.is_ascii_digit()) {
        parse_duration(period).map_err(|e| format!("in rate {text:?}: {e}"))?
    } else {
        match duration_unit(period) {
            Some(micros) => SimDuration::from_micros(micros),
            None => return Err(format!("{RATE_HELP}, got {text:?}")),
        }
    };
    if period.is_zero() {
        return Err(format!("the period of a rate must be positive, got {text:?}"));
    }
    Rate::from_per_sec(count / period.as_secs_f64()).map_err(|e| format!("in rate {text:?}: {e}"))
}

/// A rate read from a TOML string (`"40/d"`, `"20/30s"`).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct RateValue(pub Rate);

struct RateVisitor;

impl Visitor<'_> for RateVisitor {
    type Value = Rate;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(r#"a rate string like "20/s", "40/d" or "20/30s""#)
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<Rate, E> {
        parse_rate(v).map_err(E::custom)
    }
}

impl<'de> Deserialize<'de> for RateValue {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(RateVisitor).map(RateValue)
    }
}

impl Serialize for RateValue {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::super::document;
    use super::*;

    #[test]
    fn rates_per_unit_and_per_duration() {
        let r = |t: &str| parse_rate(t).unwrap_or_else(|e| panic!("{t:?}: {e}")).per_sec();
        assert_eq!(r("20/s"), 20.0);
        assert_eq!(r("40/d"), 40.0 / 86_400.0);
        assert_eq!(r("10/min"), 10.0 / 60.0);
        assert_eq!(r("600/h"), 600.0 / 3_600.0);
        assert_eq!(r("3/w"), 3.0 / 604_800.0);
        assert_eq!(r("20/30s"), 20.0 / 30.0);
        assert_eq!(r("0.5/h"), 0.5 / 3_600.0);
        assert_eq!(r("1000/ms"), 1e6);
        assert_eq!(parse_rate("1/h").unwrap().mean_gap(), SimDuration::from_hours(1));
        assert_eq!(parse_rate("40/d").unwrap().mean_gap(), SimDuration::from_secs(2_160));
    }

    #[test]
    fn rate_errors() {
        for bad in ["", "20", "20/", "/s", "20/x", "x/s", "20/s/s", "1e3/s", "20 / s"] {
            let err = parse_rate(bad).unwrap_err();
            assert!(err.contains("expected a rate like"), "{bad:?}: {err}");
        }
        assert!(parse_rate("-2/s").unwrap_err().contains("cannot be negative"));
        assert!(parse_rate("0/s").unwrap_err().contains("must be positive"));
        assert!(parse_rate("5/0s").unwrap_err().contains("period"));
        assert!(parse_rate("5/7x").unwrap_err().starts_with("in rate \"5/7x\": expected a duration"));
        assert!(Rate::from_per_sec(0.0).is_err());
        assert!(Rate::from_per_sec(f64::NAN).is_err());
        assert!(Rate::from_per_sec(f64::INFINITY).is_err());
        assert!(Rate::from_per_sec(-1.0).is_err());
    }

    #[test]
    fn rate_display_uses_a_whole_count() {
        let show = |t: &str| parse_rate(t).unwrap().to_string();
        assert_eq!(show("40/d"), "40/d");
        assert_eq!(show("20/s"), "20/s");
        assert_eq!(show("600/h"), "10/min");
        assert_eq!(show("3/w"), "3/w");
        assert_eq!(show("20/30s"), "40/min");
        assert!(show("0.5/w").starts_with("0.00000082671957"), "{}", show("0.5/w"));
        for t in ["40/d", "3/w", "20/30s", "0.5/w", "7/h"] {
            let rate = parse_rate(t).unwrap();
            let back = parse_rate(&rate.to_string()).unwrap();
            assert!((back.per_sec() - rate.per_sec()).abs() <= 1e-12 * rate.per_sec(), "{t}");
        }
    }

    #[test]
    fn a_mean_gap_is_written_as_a_rate_that_reads_back_to_it() {
        assert_eq!(rate_with_mean_gap(SimDuration::from_secs(6)), "10/min");
        assert_eq!(rate_with_mean_gap(SimDuration::from_secs(2_160)), "40/d");
        assert_eq!(rate_with_mean_gap(SimDuration::from_hours(1_000_000)), "1/1000000h");
        assert!(parse_rate(&rate_with_mean_gap(SimDuration::ZERO)).unwrap().mean_gap().is_zero());
    }

    proptest::proptest! {
        #[test]
        fn any_mean_gap_reads_back(us in 0u64..1_000_000_000_000_000) {
            let gap = SimDuration::from_micros(us);
            proptest::prop_assert_eq!(parse_rate(&rate_with_mean_gap(gap)).unwrap().mean_gap(), gap);
        }
    }

    #[test]
    fn wrapper_errors() {
        let error = |text: &str| document::read::<RateValue>(text).unwrap_err();
        assert!(error("\"40\"").contains("expected a rate like"));
        assert!(error("40").contains("expected a rate string"));
    }

    #[test]
    fn wrapper_writes_what_it_reads() {
        let rate = parse_rate("20/30s").unwrap();
        let back = document::round_trip(RateValue(rate)).0;
        assert!((back.per_sec() - rate.per_sec()).abs() < 1e-12);
    }
}

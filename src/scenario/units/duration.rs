//! Durations as scenario files write them (`"72h"`, `"1.5d"`, `"250ms"`,
//! `"0"`): the parser, its unit table, and the serde wrapper that reads one
//! from a TOML string (or the integer `0`) and writes it back exactly.

use std::fmt;

use serde::de::{self, Deserializer, Visitor};
use serde::ser::Serializer;
use serde::{Deserialize, Serialize};

use crate::engine::{MICROS_PER_DAY, MICROS_PER_HOUR, MICROS_PER_MIN, MICROS_PER_SEC, SimDuration};

/// Microseconds in a week.
const MICROS_PER_WEEK: u64 = 7 * MICROS_PER_DAY;

/// Every unit a duration may carry, with its length in microseconds.
/// `m` is accepted as an alias of `min`.
const DURATION_UNITS: [(&str, u64); 8] = [
    ("us", 1),
    ("ms", 1_000),
    ("s", MICROS_PER_SEC),
    ("min", MICROS_PER_MIN),
    ("m", MICROS_PER_MIN),
    ("h", MICROS_PER_HOUR),
    ("d", MICROS_PER_DAY),
    ("w", MICROS_PER_WEEK),
];

const DURATION_HELP: &str = r#"expected a duration like "72h", "30d", "250ms" (units: us, ms, s, min, h, d, w)"#;

/// Parses a duration such as `"72h"`, `"30d"`, `"250ms"`, `"90s"`,
/// `"15min"` (or `"15m"`), `"2w"` or `"1.5h"`; a plain `"0"` is zero.
///
/// The number is a non-negative decimal (`1`, `1.5`, `0.25`; no sign, no
/// exponent) immediately followed by the unit. Fractions are exact and
/// rounded to the nearest microsecond. Values beyond `u64` microseconds
/// (about 213 503 982 days) are rejected as too large.
pub fn parse_duration(text: &str) -> Result<SimDuration, String> {
    let trimmed = text.trim();
    if trimmed == "0" {
        return Ok(SimDuration::ZERO);
    }
    if trimmed.starts_with('-') {
        return Err(format!("a duration cannot be negative, got {text:?}"));
    }
    let (number, unit) = split_number(trimmed);
    if !is_decimal(number) {
        return Err(format!("{DURATION_HELP}, got {text:?}"));
    }
    if unit.is_empty() {
        return Err(format!("{text:?} has no unit: {DURATION_HELP}; only \"0\" may be written without a unit"));
    }
    let Some(unit_micros) = duration_unit(unit) else {
        return Err(format!("{DURATION_HELP}, got {text:?}"));
    };
    scaled_micros(number, unit_micros)
        .and_then(|us| u64::try_from(us).ok())
        .map(SimDuration::from_micros)
        .ok_or_else(|| format!("duration {text:?} is too large (at most {}d)", u64::MAX / MICROS_PER_DAY))
}

/// The length of a duration unit in microseconds.
pub(super) fn duration_unit(unit: &str) -> Option<u64> {
    DURATION_UNITS.iter().find(|(name, _)| *name == unit).map(|(_, micros)| *micros)
}

/// Splits `"1.5h"` into `("1.5", "h")`: the leading run of digits and dots,
/// and the rest.
fn split_number(text: &str) -> (&str, &str) {
    let end = text.find(|c: char| !(c.is_ascii_digit() || c == '.')).unwrap_or(text.len());
    text.split_at(end)
}

/// `digits` or `digits.digits`.
pub(super) fn is_decimal(number: &str) -> bool {
    let all_digits = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
    match number.split_once('.') {
        Some((whole, fraction)) => all_digits(whole) && all_digits(fraction),
        None => all_digits(number),
    }
}

/// `number × unit_micros`, exactly, with the fraction rounded to the
/// nearest microsecond; `None` on overflow. `number` must satisfy
/// [`is_decimal`].
fn scaled_micros(number: &str, unit_micros: u64) -> Option<u128> {
    let unit = u128::from(unit_micros);
    let (whole, fraction) = number.split_once('.').unwrap_or((number, ""));
    let whole = whole.trim_start_matches('0');
    // 10^38 would overflow u128; anything that long is far too large anyway.
    if whole.len() > 37 {
        return None;
    }
    let whole: u128 = if whole.is_empty() { 0 } else { whole.parse().ok()? };
    let mut total = whole.checked_mul(unit)?;
    // Digits beyond the 20th are worth less than a microsecond per unit
    // (units are at most ~6e11 us); dropping them keeps the product in u128.
    let fraction = &fraction[..fraction.len().min(20)];
    if !fraction.is_empty() {
        let numerator: u128 = fraction.parse().ok()?;
        let denominator = 10u128.pow(fraction.len() as u32);
        total = total.checked_add((numerator * unit + denominator / 2) / denominator)?;
    }
    Some(total)
}

/// A duration read from a TOML string (`"72h"`), or the integer `0`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct DurationValue(pub SimDuration);

/// Reads a duration string, or the integer `0`; also the scalar forms of
/// a distribution.
pub(super) struct DurationVisitor;

impl DurationVisitor {
    fn bare_number<E: de::Error>(number: impl fmt::Display) -> E {
        E::custom(format!(
            "a duration needs a unit, e.g. \"{number}h\" or \"{number}s\", got the bare number \
             {number} (only 0 may be written without a unit)"
        ))
    }
}

impl Visitor<'_> for DurationVisitor {
    type Value = SimDuration;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(r#"a duration string like "72h", "30d" or "250ms""#)
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<SimDuration, E> {
        parse_duration(v).map_err(E::custom)
    }

    fn visit_u64<E: de::Error>(self, v: u64) -> Result<SimDuration, E> {
        if v == 0 { Ok(SimDuration::ZERO) } else { Err(Self::bare_number(v)) }
    }

    fn visit_i64<E: de::Error>(self, v: i64) -> Result<SimDuration, E> {
        if v == 0 {
            Ok(SimDuration::ZERO)
        } else if v < 0 {
            Err(E::custom(format!("a duration cannot be negative, got {v}")))
        } else {
            Err(Self::bare_number(v))
        }
    }

    fn visit_f64<E: de::Error>(self, v: f64) -> Result<SimDuration, E> {
        Err(Self::bare_number(v))
    }
}

impl<'de> Deserialize<'de> for DurationValue {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(DurationVisitor).map(DurationValue)
    }
}

impl Serialize for DurationValue {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.0.exact_text())
    }
}

#[cfg(test)]
mod tests {
    use super::super::document;
    use super::*;
    use proptest::prelude::*;

    fn d(text: &str) -> SimDuration {
        parse_duration(text).unwrap_or_else(|e| panic!("{text:?}: {e}"))
    }

    #[test]
    fn durations_in_every_unit() {
        assert_eq!(d("72h"), SimDuration::from_hours(72));
        assert_eq!(d("30d"), SimDuration::from_days(30));
        assert_eq!(d("250ms"), SimDuration::from_millis(250));
        assert_eq!(d("90s"), SimDuration::from_secs(90));
        assert_eq!(d("15min"), SimDuration::from_mins(15));
        assert_eq!(d("15m"), SimDuration::from_mins(15));
        assert_eq!(d("2w"), SimDuration::from_days(14));
        assert_eq!(d("7us"), SimDuration::from_micros(7));
        assert_eq!(d("0h"), SimDuration::ZERO);
        assert_eq!(d("0"), SimDuration::ZERO);
        assert_eq!(d(" 6h "), SimDuration::from_hours(6));
    }

    #[test]
    fn fractions_are_exact_and_rounded_to_the_microsecond() {
        assert_eq!(d("1.5h"), SimDuration::from_mins(90));
        assert_eq!(d("0.25s"), SimDuration::from_millis(250));
        assert_eq!(d("0.1s"), SimDuration::from_millis(100));
        assert_eq!(d("1.0000004s"), SimDuration::from_micros(1_000_000));
        assert_eq!(d("1.0000005s"), SimDuration::from_micros(1_000_001));
        assert_eq!(d("2.5us"), SimDuration::from_micros(3));
        assert_eq!(d("0.333333333333333333333333333d"), SimDuration::from_hours(8));
    }

    #[test]
    fn duration_errors_say_what_is_allowed() {
        assert_eq!(
            parse_duration("7x").unwrap_err(),
            r#"expected a duration like "72h", "30d", "250ms" (units: us, ms, s, min, h, d, w), got "7x""#
        );
        for bad in ["", "h", "1.h", ".5h", "1..5h", "1e3s", "NaN", "nanh", "inf", "+5h", "5 h", "5H", "1h30m"] {
            let err = parse_duration(bad).unwrap_err();
            assert!(err.contains("expected a duration like"), "{bad:?}: {err}");
        }
        assert!(parse_duration("-5h").unwrap_err().contains("cannot be negative"));
        let err = parse_duration("72").unwrap_err();
        assert!(err.contains("has no unit") && err.contains("only \"0\""), "{err}");
        assert!(parse_duration("0.0").unwrap_err().contains("has no unit"));
    }

    #[test]
    fn overflowing_durations_are_too_large() {
        let max = u64::MAX;
        assert_eq!(d(&format!("{max}us")), SimDuration::FOREVER);
        for bad in [
            format!("{}us", u128::from(max) + 1),
            "30600000000w".to_string(),
            "99999999999999999999999999999999999999999999h".to_string(),
            "213503982.5d".to_string(),
        ] {
            let err = parse_duration(&bad).unwrap_err();
            assert!(err.contains("too large"), "{bad}: {err}");
        }
        assert_eq!(d("213503982d"), SimDuration::from_days(213_503_982));
    }

    #[test]
    fn wrapper_errors() {
        let error = |text: &str| document::read::<DurationValue>(text).unwrap_err();
        assert_eq!(
            error("72"),
            "a duration needs a unit, e.g. \"72h\" or \"72s\", got the bare number 72 (only 0 may be written without a unit)"
        );
        assert!(error("1.5").contains("needs a unit, e.g. \"1.5h\""));
        assert!(error("-3").contains("cannot be negative"));
        assert!(error("true").contains("expected a duration string"));
        assert!(error("\"7x\"").contains("expected a duration like"));
        assert_eq!(document::read("0"), Ok(DurationValue(SimDuration::ZERO)));
        assert_eq!(document::read("\"6h\""), Ok(DurationValue(SimDuration::from_hours(6))));
    }

    #[test]
    fn durations_are_written_exactly() {
        for us in [0, 1, 999, 1_000, 90_000_000, 3_600_000_000, 86_400_000_000, 86_400_000_001, u64::MAX] {
            let span = DurationValue(SimDuration::from_micros(us));
            assert_eq!(document::round_trip(span), span, "{us}");
        }
    }

    proptest! {
        #[test]
        fn exact_text_of_any_duration_parses_back(us in any::<u64>()) {
            let span = SimDuration::from_micros(us);
            prop_assert_eq!(parse_duration(&span.exact_text()), Ok(span));
        }

        #[test]
        fn decimal_seconds_round_to_the_nearest_microsecond(whole in 0u64..1_000_000, frac in 0u64..1_000_000_000) {
            let text = format!("{whole}.{frac:09}s");
            let expected = whole * 1_000_000 + (frac + 500) / 1_000;
            prop_assert_eq!(parse_duration(&text), Ok(SimDuration::from_micros(expected)));
        }
    }
}

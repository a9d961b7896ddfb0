//! Units as people write them in scenario files: durations (`"72h"`,
//! `"1.5d"`, `"250ms"`), rates (`"40/d"`, `"20/30s"`), probabilities and
//! duration distributions (`{ exp = "4h" }`, a bare `"6h"`, ...).
//!
//! The plain parsers ([`parse_duration`], [`parse_rate`]) return messages
//! that say what is allowed. The serde wrappers ([`DurationValue`],
//! [`RateValue`], [`Probability`], [`DistValue`]) deserialize directly from
//! TOML values through their own visitors and raise errors with
//! [`serde::de::Error::custom`] inside the visitor, so `toml` attaches the
//! span of the offending value (an `#[serde(untagged)]` enum would lose it).

use std::fmt;

use serde::de::{self, DeserializeSeed, Deserializer, MapAccess, SeqAccess, Visitor};
use serde::ser::{SerializeMap, Serializer};
use serde::{Deserialize, Serialize};

use crate::engine::{Dist, MICROS_PER_DAY, MICROS_PER_HOUR, MICROS_PER_MIN, MICROS_PER_SEC, SimDuration};

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

const RATE_HELP: &str = r#"expected a rate like "20/s", "40/d", "600/h" or "20/30s" (a positive count per unit or per duration; units: us, ms, s, min, h, d, w)"#;

const DIST_KINDS: &str = "exp, lognormal, fixed, uniform, empirical";

// ---------------------------------------------------------------------------
// Durations
// ---------------------------------------------------------------------------

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
fn duration_unit(unit: &str) -> Option<u64> {
    DURATION_UNITS.iter().find(|(name, _)| *name == unit).map(|(_, micros)| *micros)
}

/// Splits `"1.5h"` into `("1.5", "h")`: the leading run of digits and dots,
/// and the rest.
fn split_number(text: &str) -> (&str, &str) {
    let end = text.find(|c: char| !(c.is_ascii_digit() || c == '.')).unwrap_or(text.len());
    text.split_at(end)
}

/// `digits` or `digits.digits`.
fn is_decimal(number: &str) -> bool {
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

/// The scenario-file spelling of a duration, which [`parse_duration`]
/// reads back exactly (unlike `Display`, which writes `forever`).
fn duration_text(duration: SimDuration) -> String {
    if duration == SimDuration::FOREVER { format!("{}us", duration.as_micros()) } else { duration.to_string() }
}

// ---------------------------------------------------------------------------
// Rates
// ---------------------------------------------------------------------------

/// A positive, finite number of occurrences per second.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Rate {
    per_sec: f64,
}

impl Rate {
    /// A rate of `per_sec` occurrences per second; positive and finite.
    pub fn from_per_sec(per_sec: f64) -> Result<Rate, String> {
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

// ---------------------------------------------------------------------------
// Serde wrappers
// ---------------------------------------------------------------------------

/// A duration read from a TOML string (`"72h"`), or the integer `0`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct DurationValue(pub SimDuration);

impl From<DurationValue> for SimDuration {
    fn from(value: DurationValue) -> SimDuration {
        value.0
    }
}

struct DurationVisitor;

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
        serializer.serialize_str(&duration_text(self.0))
    }
}

/// A rate read from a TOML string (`"40/d"`, `"20/30s"`).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct RateValue(pub Rate);

impl From<RateValue> for Rate {
    fn from(value: RateValue) -> Rate {
        value.0
    }
}

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

/// A probability: a TOML float or integer in [0, 1].
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Probability(pub f64);

impl From<Probability> for f64 {
    fn from(value: Probability) -> f64 {
        value.0
    }
}

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

/// A validated distribution of durations: a bare duration string (fixed)
/// or a single-key table, one of
///
/// ```toml
/// a = { exp = "4h" }                                # mean
/// b = { lognormal = { median = "2h", sigma = 0.8 } }
/// c = { fixed = "6h" }                              # same as c = "6h"
/// d = { uniform = ["1h", "3h"] }                    # [low, high]
/// e = { empirical = ["1h", "2h", "5h"] }            # uniform choice
/// ```
#[derive(Clone, Debug, PartialEq)]
pub struct DistValue(pub Dist);

impl From<DistValue> for Dist {
    fn from(value: DistValue) -> Dist {
        value.0
    }
}

/// The key of a distribution table.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum DistKind {
    Exp,
    LogNormal,
    Fixed,
    Uniform,
    Empirical,
}

impl DistKind {
    fn name(self) -> &'static str {
        match self {
            DistKind::Exp => "exp",
            DistKind::LogNormal => "lognormal",
            DistKind::Fixed => "fixed",
            DistKind::Uniform => "uniform",
            DistKind::Empirical => "empirical",
        }
    }
}

struct DistKindVisitor;

impl Visitor<'_> for DistKindVisitor {
    type Value = DistKind;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "a distribution name, one of: {DIST_KINDS}")
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<DistKind, E> {
        match v {
            "exp" => Ok(DistKind::Exp),
            "lognormal" => Ok(DistKind::LogNormal),
            "fixed" => Ok(DistKind::Fixed),
            "uniform" => Ok(DistKind::Uniform),
            "empirical" => Ok(DistKind::Empirical),
            other => Err(E::custom(format!("unknown distribution {other:?}, expected one of: {DIST_KINDS}"))),
        }
    }
}

impl<'de> Deserialize<'de> for DistKind {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_str(DistKindVisitor)
    }
}

/// Deserializes a second key of a distribution table, always failing, so
/// the error carries that key's span.
struct ExtraKey(DistKind);

impl<'de> DeserializeSeed<'de> for ExtraKey {
    type Value = std::convert::Infallible;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Self::Value, D::Error> {
        deserializer.deserialize_str(self)
    }
}

impl Visitor<'_> for ExtraKey {
    type Value = std::convert::Infallible;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("no further key")
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
        Err(E::custom(format!("a distribution table has exactly one key, got {:?} and {v:?}", self.0.name())))
    }
}

/// The parameters of `{ lognormal = { median = "2h", sigma = 0.8 } }`.
#[derive(Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
struct LogNormalParams {
    median: DurationValue,
    sigma: f64,
}

/// The `[low, high]` of `{ uniform = ["1h", "3h"] }`.
struct UniformBounds(SimDuration, SimDuration);

struct UniformBoundsVisitor;

impl<'de> Visitor<'de> for UniformBoundsVisitor {
    type Value = UniformBounds;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(r#"two bounds [low, high], like ["1h", "3h"]"#)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<UniformBounds, A::Error> {
        let mut bounds = Vec::with_capacity(2);
        while let Some(DurationValue(bound)) = seq.next_element()? {
            bounds.push(bound);
        }
        match bounds[..] {
            [low, high] => Ok(UniformBounds(low, high)),
            _ => Err(de::Error::custom(format!("uniform takes exactly two bounds [low, high], got {}", bounds.len()))),
        }
    }
}

impl<'de> Deserialize<'de> for UniformBounds {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_seq(UniformBoundsVisitor)
    }
}

struct DistVisitor;

impl<'de> Visitor<'de> for DistVisitor {
    type Value = Dist;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            r#"a distribution: a duration like "6h" or a table with one key ({DIST_KINDS}), like {{ exp = "4h" }}"#
        )
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<Dist, E> {
        DurationVisitor.visit_str(v).map(Dist::Fixed)
    }

    fn visit_u64<E: de::Error>(self, v: u64) -> Result<Dist, E> {
        DurationVisitor.visit_u64(v).map(Dist::Fixed)
    }

    fn visit_i64<E: de::Error>(self, v: i64) -> Result<Dist, E> {
        DurationVisitor.visit_i64(v).map(Dist::Fixed)
    }

    fn visit_f64<E: de::Error>(self, v: f64) -> Result<Dist, E> {
        DurationVisitor.visit_f64(v).map(Dist::Fixed)
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Dist, A::Error> {
        let Some(kind) = map.next_key::<DistKind>()? else {
            return Err(de::Error::custom(format!("empty distribution table, expected one key, one of: {DIST_KINDS}")));
        };
        let dist = match kind {
            DistKind::Exp => Dist::Exp { mean: map.next_value::<DurationValue>()?.0 },
            DistKind::LogNormal => {
                let params: LogNormalParams = map.next_value()?;
                Dist::LogNormal { median: params.median.0, sigma: params.sigma }
            }
            DistKind::Fixed => Dist::Fixed(map.next_value::<DurationValue>()?.0),
            DistKind::Uniform => {
                let UniformBounds(low, high) = map.next_value()?;
                Dist::Uniform { low, high }
            }
            DistKind::Empirical => {
                let values: Vec<DurationValue> = map.next_value()?;
                Dist::Empirical(values.into_iter().map(|v| v.0).collect())
            }
        };
        if let Some(never) = map.next_key_seed(ExtraKey(kind))? {
            match never {}
        }
        dist.validate().map_err(de::Error::custom)?;
        Ok(dist)
    }
}

impl<'de> Deserialize<'de> for DistValue {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(DistVisitor).map(DistValue)
    }
}

impl Serialize for DistValue {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        fn single<S: Serializer, V: Serialize>(serializer: S, key: &str, value: &V) -> Result<S::Ok, S::Error> {
            let mut map = serializer.serialize_map(Some(1))?;
            map.serialize_entry(key, value)?;
            map.end()
        }
        match &self.0 {
            Dist::Fixed(span) => DurationValue(*span).serialize(serializer),
            Dist::Exp { mean } => single(serializer, "exp", &DurationValue(*mean)),
            Dist::LogNormal { median, sigma } => {
                single(serializer, "lognormal", &LogNormalParams { median: DurationValue(*median), sigma: *sigma })
            }
            Dist::Uniform { low, high } => single(serializer, "uniform", &[DurationValue(*low), DurationValue(*high)]),
            Dist::Empirical(values) => {
                let values: Vec<DurationValue> = values.iter().copied().map(DurationValue).collect();
                single(serializer, "empirical", &values)
            }
        }
    }
}

#[cfg(test)]
mod tests {
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

    #[derive(Debug, Deserialize, Serialize, PartialEq)]
    struct Values {
        wait: DurationValue,
        rate: RateValue,
        p: Probability,
        service: DistValue,
    }

    fn values(service: &str) -> Result<Values, toml::de::Error> {
        toml::from_str(&format!("wait = \"6h\"\nrate = \"40/d\"\np = 0.5\nservice = {service}\n"))
    }

    fn dist(service: &str) -> Dist {
        values(service).unwrap_or_else(|e| panic!("{service}: {e}")).service.0
    }

    fn dist_error(service: &str) -> String {
        values(service).unwrap_err().message().to_string()
    }

    #[test]
    fn every_distribution_form() {
        let h = SimDuration::from_hours;
        assert_eq!(dist(r#""6h""#), Dist::Fixed(h(6)));
        assert_eq!(dist("0"), Dist::Fixed(SimDuration::ZERO));
        assert_eq!(dist(r#"{ fixed = "6h" }"#), Dist::Fixed(h(6)));
        assert_eq!(dist(r#"{ exp = "4h" }"#), Dist::Exp { mean: h(4) });
        assert_eq!(
            dist(r#"{ lognormal = { median = "2h", sigma = 0.8 } }"#),
            Dist::LogNormal { median: h(2), sigma: 0.8 }
        );
        assert_eq!(
            dist(r#"{ lognormal = { median = "2h", sigma = 1 } }"#),
            Dist::LogNormal { median: h(2), sigma: 1.0 }
        );
        assert_eq!(dist(r#"{ uniform = ["1h", "3h"] }"#), Dist::Uniform { low: h(1), high: h(3) });
        assert_eq!(dist(r#"{ empirical = ["1h", "2h", "5h"] }"#), Dist::Empirical(vec![h(1), h(2), h(5)]));
    }

    #[test]
    fn distribution_errors() {
        assert_eq!(
            dist_error(r#"{ foo = "1h" }"#),
            "unknown distribution \"foo\", expected one of: exp, lognormal, fixed, uniform, empirical"
        );
        assert!(dist_error("{}").contains("empty distribution table"));
        assert!(dist_error(r#"{ exp = "1h", fixed = "2h" }"#).contains("exactly one key"));
        assert!(dist_error(r#"{ exp = "0h" }"#).contains("exp mean must be greater than zero"));
        assert!(dist_error(r#"{ exp = "4x" }"#).contains("expected a duration like"));
        assert!(dist_error(r#"{ lognormal = { median = "2h", sigma = 0 } }"#).contains("sigma must be in (0, 10]"));
        assert!(dist_error(r#"{ lognormal = { median = "2h" } }"#).contains("missing field `sigma`"));
        assert!(dist_error(r#"{ lognormal = { median = "2h", sigma = 1, mu = 3 } }"#).contains("unknown field `mu`"));
        assert!(dist_error(r#"{ uniform = ["3h", "1h"] }"#).contains("must be ordered"));
        assert!(dist_error(r#"{ uniform = ["1h", "2h", "3h"] }"#).contains("exactly two bounds"));
        assert!(dist_error(r#"{ empirical = [] }"#).contains("at least one value"));
        assert!(dist_error("6").contains("needs a unit"));
        assert!(dist_error("true").contains("expected a distribution"));
    }

    #[test]
    fn wrapper_errors() {
        let parse = |text: &str| toml::from_str::<Values>(text).unwrap_err().message().to_string();
        let ok = "wait = \"6h\"\nrate = \"40/d\"\nservice = \"1h\"\n";
        assert_eq!(parse(&format!("{ok}p = 1.3")), "must be a probability in [0, 1], got 1.3");
        assert_eq!(parse(&format!("{ok}p = 2")), "must be a probability in [0, 1], got 2");
        assert_eq!(parse(&format!("{ok}p = -0.1")), "must be a probability in [0, 1], got -0.1");
        assert_eq!(parse(&format!("{ok}p = nan")), "must be a probability in [0, 1], got NaN");
        assert!(parse(&format!("{ok}p = \"0.5\"")).contains("expected a probability in [0, 1]"));
        let base = "rate = \"40/d\"\np = 1\nservice = \"1h\"\n";
        assert!(parse(&format!("{base}wait = 72")).contains("needs a unit, e.g. \"72h\""));
        assert!(parse(&format!("{base}wait = -3")).contains("cannot be negative"));
        assert!(parse(&format!("{base}wait = true")).contains("expected a duration string"));
        let base = "wait = \"6h\"\np = 1\nservice = \"1h\"\n";
        assert!(parse(&format!("{base}rate = \"40\"")).contains("expected a rate like"));
        assert!(parse(&format!("{base}rate = 40")).contains("expected a rate string"));
    }

    #[test]
    fn wrappers_serialize_to_what_they_parse() {
        let h = SimDuration::from_hours;
        for service in [
            Dist::Fixed(h(6)),
            Dist::Exp { mean: h(4) },
            Dist::LogNormal { median: h(2), sigma: 0.8 },
            Dist::Uniform { low: h(1), high: h(3) },
            Dist::Empirical(vec![h(1), SimDuration::from_millis(1_500)]),
        ] {
            let original = Values {
                wait: DurationValue(SimDuration::FOREVER),
                rate: RateValue(parse_rate("20/30s").unwrap()),
                p: Probability(0.25),
                service: DistValue(service),
            };
            let text = toml::to_string(&original).unwrap();
            let back: Values = toml::from_str(&text).unwrap_or_else(|e| panic!("{text}\n{e}"));
            assert_eq!(back.wait, original.wait);
            assert_eq!(back.p, original.p);
            assert_eq!(back.service, original.service, "{text}");
            assert!((back.rate.0.per_sec() - original.rate.0.per_sec()).abs() < 1e-12);
        }
    }

    proptest! {
        #[test]
        fn display_of_any_duration_parses_back(us in any::<u64>()) {
            let span = SimDuration::from_micros(us);
            prop_assert_eq!(parse_duration(&duration_text(span)), Ok(span));
        }

        #[test]
        fn decimal_seconds_round_to_the_nearest_microsecond(whole in 0u64..1_000_000, frac in 0u64..1_000_000_000) {
            let text = format!("{whole}.{frac:09}s");
            let expected = whole * 1_000_000 + (frac + 500) / 1_000;
            prop_assert_eq!(parse_duration(&text), Ok(SimDuration::from_micros(expected)));
        }
    }
}

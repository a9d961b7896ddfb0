//! Distributions of durations as scenario files write them: a bare
//! duration (fixed) or a table whose one key names the distribution. One
//! table, [`readers`], lists the names and how each value is read; there is
//! no second list of distribution kinds to keep in step with [`Dist`].

use std::fmt;

use serde::de::{self, DeserializeSeed, Deserializer, MapAccess, SeqAccess, Visitor};
use serde::ser::{SerializeMap, Serializer};
use serde::{Deserialize, Serialize};

use super::duration::{DurationValue, DurationVisitor};
use crate::engine::{Dist, SimDuration};

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

/// A distribution's name as a table key, and how the value under that key
/// becomes a [`Dist`].
type Reader<'de, A> = (&'static str, fn(&mut A) -> Result<Dist, <A as MapAccess<'de>>::Error>);

/// One [`Reader`] per distribution.
type Readers<'de, A> = [Reader<'de, A>; 5];

/// Every distribution a scenario file can name, in the order messages list
/// them; the rows do not depend on the map type `A`. A new distribution is
/// its variant of [`Dist`] (the compiler then asks for its arm in
/// `DistValue`'s `Serialize`) and one row here.
fn readers<'de, A: MapAccess<'de>>() -> Readers<'de, A> {
    [
        ("exp", |map| Ok(Dist::Exp { mean: map.next_value::<DurationValue>()?.0 })),
        ("lognormal", |map| {
            let params: LogNormalParams = map.next_value()?;
            Ok(Dist::LogNormal { median: params.median.0, sigma: params.sigma })
        }),
        ("fixed", |map| Ok(Dist::Fixed(map.next_value::<DurationValue>()?.0))),
        ("uniform", |map| {
            let UniformBounds(low, high) = map.next_value()?;
            Ok(Dist::Uniform { low, high })
        }),
        ("empirical", |map| {
            let values: Vec<DurationValue> = map.next_value()?;
            Ok(Dist::Empirical(values.into_iter().map(|v| v.0).collect()))
        }),
    ]
}

/// The names of [`readers`], in their order.
pub fn distribution_names() -> impl Iterator<Item = &'static str> {
    // Any map type gives the same rows; this one is at hand without a map.
    type AnyMap = de::value::MapDeserializer<'static, std::iter::Empty<((), ())>, de::value::Error>;
    readers::<AnyMap>().into_iter().map(|(name, _)| name)
}

/// The names of [`readers`], as messages list them.
fn names() -> String {
    distribution_names().collect::<Vec<_>>().join(", ")
}

/// Deserializes the key of a distribution table into its row of
/// [`readers`], so an unknown name is reported at the key's span.
struct KeySeed<'de, A: MapAccess<'de>>(Readers<'de, A>);

impl<'de, A: MapAccess<'de>> DeserializeSeed<'de> for KeySeed<'de, A> {
    type Value = Reader<'de, A>;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Self::Value, D::Error> {
        deserializer.deserialize_str(self)
    }
}

impl<'de, A: MapAccess<'de>> Visitor<'de> for KeySeed<'de, A> {
    type Value = Reader<'de, A>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "a distribution name, one of: {}", names())
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
        let row = self.0.into_iter().find(|(name, _)| *name == v);
        row.ok_or_else(|| E::custom(format!("unknown distribution {v:?}, expected one of: {}", names())))
    }
}

/// Deserializes a second key of a distribution table, always failing, so
/// the error carries that key's span. Holds the first key.
struct ExtraKey(&'static str);

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
        Err(E::custom(format!("a distribution table has exactly one key, got {:?} and {v:?}", self.0)))
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
            r#"a distribution: a duration like "6h" or a table with one key ({}), like {{ exp = "4h" }}"#,
            names()
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
        let Some((name, read_value)) = map.next_key_seed(KeySeed(readers::<A>()))? else {
            return Err(de::Error::custom(format!("empty distribution table, expected one key, one of: {}", names())));
        };
        let dist = read_value(&mut map)?;
        if let Some(never) = map.next_key_seed(ExtraKey(name))? {
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
    use super::super::document;
    use super::*;

    fn dist(service: &str) -> Dist {
        document::read::<DistValue>(service).unwrap_or_else(|e| panic!("{service}: {e}")).0
    }

    fn dist_error(service: &str) -> String {
        document::read::<DistValue>(service).unwrap_err()
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
    fn wrapper_writes_what_it_reads() {
        let h = SimDuration::from_hours;
        for service in [
            Dist::Fixed(h(6)),
            Dist::Exp { mean: h(4) },
            Dist::LogNormal { median: h(2), sigma: 0.8 },
            Dist::Uniform { low: h(1), high: h(3) },
            Dist::Empirical(vec![h(1), SimDuration::from_millis(1_500)]),
        ] {
            assert_eq!(document::round_trip(DistValue(service.clone())), DistValue(service));
        }
    }
}

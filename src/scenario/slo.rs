//! Service-level objectives a scenario may carry in its `[slo]` table:
//! which figure, compared how, against what. Parsed and checked here (a
//! bad key or threshold is a located error); evaluated by `metrics::slo`.
//!
//! ```toml
//! [slo]
//! batch_latency_p99 = "24h"          # bare value: at most
//! lockout_rate = "< 0.05"
//! residue_probability = "<= 0.5"
//! token_after_disable_rate = "< 0.7"
//! ```

use super::units::parse_duration;
use crate::model::{RaceKind, ResidueKind};
use std::fmt;

/// The figure an objective constrains.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SloMetric {
    /// A latency quantile (0.5, 0.9, 0.99, 0.999, or 1.0 for max).
    Latency {
        revocation: bool,
        quantile_permille: u16,
    },
    LockoutRate,
    ResidueProbability,
    ResidueKind(ResidueKind),
    RaceRate,
    RaceKind(RaceKind),
}

/// How the figure must compare with the threshold.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Comparison {
    Below,
    AtMost,
    Above,
    AtLeast,
}

impl Comparison {
    pub fn symbol(self) -> &'static str {
        match self {
            Comparison::Below => "<",
            Comparison::AtMost => "<=",
            Comparison::Above => ">",
            Comparison::AtLeast => ">=",
        }
    }

    /// Whether `value` satisfies `value <op> threshold`.
    pub fn holds(self, value: f64, threshold: f64) -> bool {
        match self {
            Comparison::Below => value < threshold,
            Comparison::AtMost => value <= threshold,
            Comparison::Above => value > threshold,
            Comparison::AtLeast => value >= threshold,
        }
    }

    /// Whether larger values are the good direction.
    pub fn wants_large(self) -> bool {
        matches!(self, Comparison::Above | Comparison::AtLeast)
    }
}

/// One objective: `key <op> threshold`. Latency thresholds are in
/// milliseconds, rates are fractions.
#[derive(Clone, Debug, PartialEq)]
pub struct Slo {
    pub key: String,
    pub metric: SloMetric,
    pub comparison: Comparison,
    pub threshold: f64,
    /// The threshold as written.
    pub text: String,
}

impl fmt::Display for Slo {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {} {}", self.key, self.comparison.symbol(), self.text.trim_start_matches(['<', '>', '=', ' ']))
    }
}

const QUANTILES: [(&str, u16); 5] = [("p50", 500), ("p90", 900), ("p99", 990), ("p999", 999), ("max", 1000)];

/// Every key an `[slo]` table accepts.
fn slo_keys() -> Vec<String> {
    let mut keys = Vec::new();
    for latency in ["batch_latency", "revocation_latency"] {
        keys.extend(QUANTILES.iter().map(|(name, _)| format!("{latency}_{name}")));
    }
    keys.extend(["lockout_rate", "residue_probability", "race_rate"].map(String::from));
    keys.extend(ResidueKind::ALL.iter().map(|kind| format!("residue_{}_probability", kind.name())));
    keys.extend(RaceKind::ALL.iter().map(|kind| format!("{}_rate", kind.name())));
    keys
}

fn metric_of(key: &str) -> Option<SloMetric> {
    for (prefix, revocation) in [("batch_latency_", false), ("revocation_latency_", true)] {
        if let Some(quantile) = key.strip_prefix(prefix) {
            let (_, permille) = QUANTILES.iter().find(|(name, _)| *name == quantile)?;
            return Some(SloMetric::Latency { revocation, quantile_permille: *permille });
        }
    }
    match key {
        "lockout_rate" => return Some(SloMetric::LockoutRate),
        "residue_probability" => return Some(SloMetric::ResidueProbability),
        "race_rate" => return Some(SloMetric::RaceRate),
        _ => {}
    }
    if let Some(kind) = ResidueKind::ALL.iter().find(|k| key == format!("residue_{}_probability", k.name())) {
        return Some(SloMetric::ResidueKind(*kind));
    }
    RaceKind::ALL.iter().find(|k| key == format!("{}_rate", k.name())).map(|kind| SloMetric::RaceKind(*kind))
}

/// Parses `key = "threshold"`; the error says what is allowed.
pub fn parse_slo(key: &str, text: &str) -> Result<Slo, String> {
    let metric = metric_of(key)
        .ok_or_else(|| format!("unknown objective `{key}`, expected one of: {}", slo_keys().join(", ")))?;
    let trimmed = text.trim();
    let (comparison, value) =
        [("<=", Comparison::AtMost), (">=", Comparison::AtLeast), ("<", Comparison::Below), (">", Comparison::Above)]
            .iter()
            .find_map(|(symbol, comparison)| trimmed.strip_prefix(symbol).map(|rest| (*comparison, rest.trim())))
            .unwrap_or((Comparison::AtMost, trimmed));
    let threshold = match metric {
        SloMetric::Latency { .. } => parse_duration(value)?.as_millis_f64(),
        _ => {
            let rate: f64 =
                value.parse().map_err(|_| format!("expected a rate in [0, 1] like \"< 0.05\", got \"{text}\""))?;
            if !(0.0..=1.0).contains(&rate) {
                return Err(format!("a rate threshold must lie in [0, 1], got {rate}"));
            }
            rate
        }
    };
    Ok(Slo { key: key.to_owned(), metric, comparison, threshold, text: trimmed.to_owned() })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_latency_and_rate_objectives() {
        let latency = parse_slo("batch_latency_p99", "24h").unwrap();
        assert_eq!(latency.metric, SloMetric::Latency { revocation: false, quantile_permille: 990 });
        assert_eq!(latency.comparison, Comparison::AtMost);
        assert_eq!(latency.threshold, 86_400_000.0);
        let rate = parse_slo("lockout_rate", "< 0.05").unwrap();
        assert_eq!((rate.metric, rate.comparison, rate.threshold), (SloMetric::LockoutRate, Comparison::Below, 0.05));
        let race = parse_slo("token_after_disable_rate", ">= 0.1").unwrap();
        assert_eq!(race.metric, SloMetric::RaceKind(RaceKind::TokenAfterDisable));
    }

    #[test]
    fn rejects_unknown_keys_and_bad_thresholds_saying_what_is_allowed() {
        assert!(parse_slo("latency", "1h").unwrap_err().contains("batch_latency_p99"));
        assert!(parse_slo("lockout_rate", "< 1.5").unwrap_err().contains("[0, 1]"));
        assert!(parse_slo("batch_latency_p50", "< soon").is_err());
    }
}

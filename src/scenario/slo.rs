//! Service-level objectives a scenario may carry in its `[slo]` table:
//! which figure, compared how, against what. Parsed and checked here (a
//! bad key or threshold is a located error); evaluated by `metrics::slo`.
//! The keys are the names of [`Figure`]s.
//!
//! ```toml
//! [slo]
//! batch_latency_p99 = "24h"          # bare value: at most
//! lockout_rate = "< 0.05"
//! residue_probability = "<= 0.5"
//! token_after_disable_rate = "< 0.7"
//! ```

use super::figure::Figure;
use super::units::parse_duration;
use std::fmt;

/// How the figure must compare with the threshold.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Comparison {
    Below,
    AtMost,
    Above,
    AtLeast,
}

impl Comparison {
    /// Longest symbols first, so `<=` is not read as `<`.
    const BY_SYMBOL: [Comparison; 4] = [Comparison::AtMost, Comparison::AtLeast, Comparison::Below, Comparison::Above];

    pub fn symbol(self) -> &'static str {
        match self {
            Comparison::Below => "<",
            Comparison::AtMost => "<=",
            Comparison::Above => ">",
            Comparison::AtLeast => ">=",
        }
    }

    /// The comparison that holds exactly when this one does not.
    pub fn negated(self) -> Comparison {
        match self {
            Comparison::Below => Comparison::AtLeast,
            Comparison::AtMost => Comparison::Above,
            Comparison::Above => Comparison::AtMost,
            Comparison::AtLeast => Comparison::Below,
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
        match self {
            Comparison::Above | Comparison::AtLeast => true,
            Comparison::Below | Comparison::AtMost => false,
        }
    }

    /// Splits a leading symbol off `text`; a bare value means at most.
    pub fn split(text: &str) -> (Comparison, &str) {
        Comparison::BY_SYMBOL
            .iter()
            .find_map(|comparison| text.strip_prefix(comparison.symbol()).map(|rest| (*comparison, rest.trim())))
            .unwrap_or((Comparison::AtMost, text))
    }
}

/// One objective: `key <op> threshold`. Latency thresholds are in
/// milliseconds, rates are fractions.
#[derive(Clone, Debug, PartialEq)]
pub struct Slo {
    pub key: String,
    /// The figure the objective constrains, named by `key`.
    pub figure: Figure,
    pub comparison: Comparison,
    pub threshold: f64,
    /// The threshold as written.
    pub text: String,
}

impl Slo {
    /// The threshold as the scenario wrote it, without its comparison.
    pub fn threshold_text(&self) -> &str {
        self.text.trim_start_matches(['<', '>', '=', ' '])
    }
}

impl fmt::Display for Slo {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {} {}", self.key, self.comparison.symbol(), self.threshold_text())
    }
}

/// Every key an `[slo]` table accepts: the names of the figures an
/// objective may constrain.
fn slo_keys() -> Vec<String> {
    Figure::all().into_iter().filter(|figure| figure.is_objective()).map(Figure::name).collect()
}

/// Parses `key = "threshold"`; the error says what is allowed.
pub fn parse_slo(key: &str, text: &str) -> Result<Slo, String> {
    let figure = Figure::named(key)
        .filter(|figure| figure.is_objective())
        .ok_or_else(|| format!("unknown objective `{key}`, expected one of: {}", slo_keys().join(", ")))?;
    let trimmed = text.trim();
    let (comparison, value) = Comparison::split(trimmed);
    let threshold = match figure {
        Figure::LatencyQuantile(..) => parse_duration(value)?.as_millis_f64(),
        _ => {
            let rate: f64 =
                value.parse().map_err(|_| format!("expected a rate in [0, 1] like \"< 0.05\", got \"{text}\""))?;
            if !(0.0..=1.0).contains(&rate) {
                return Err(format!("a rate threshold must lie in [0, 1], got {rate}"));
            }
            rate
        }
    };
    Ok(Slo { key: key.to_owned(), figure, comparison, threshold, text: trimmed.to_owned() })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::RaceKind;
    use crate::scenario::figure::{Latency, Quantile};

    #[test]
    fn parses_latency_and_rate_objectives() {
        let latency = parse_slo("batch_latency_p99", "24h").unwrap();
        assert_eq!(latency.figure, Figure::LatencyQuantile(Latency::Batch, Quantile::P99));
        assert_eq!(latency.comparison, Comparison::AtMost);
        assert_eq!(latency.threshold, 86_400_000.0);
        let rate = parse_slo("lockout_rate", "< 0.05").unwrap();
        assert_eq!((rate.figure, rate.comparison, rate.threshold), (Figure::LockoutRate, Comparison::Below, 0.05));
        let race = parse_slo("token_after_disable_rate", ">= 0.1").unwrap();
        assert_eq!(race.figure, Figure::RaceKindRate(RaceKind::TokenAfterDisable));
        assert_eq!(race.to_string(), "token_after_disable_rate >= 0.1");
    }

    #[test]
    fn negation_holds_exactly_when_the_comparison_does_not() {
        for comparison in Comparison::BY_SYMBOL {
            for value in [0.4, 0.5, 0.6] {
                assert_ne!(comparison.holds(value, 0.5), comparison.negated().holds(value, 0.5));
            }
        }
        assert_eq!(Comparison::Below.negated().symbol(), ">=");
    }

    #[test]
    fn objectives_accept_the_latency_percentiles_and_the_rates_with_intervals() {
        let keys = slo_keys();
        // Eight latencies' percentiles (five and three pools' waits), the headline rates, residue kinds,
        // race kinds, the leaver rates, the five default leak-risk points and
        // residue survival at those points for nine kinds and four platforms.
        assert_eq!(keys.len(), 40 + 4 + 9 + 6 + 3 + 5 + 13 * 5, "{keys:?}");
        assert!(keys.contains(&"residue_credentials_30d".to_owned()));
        assert!(keys.contains(&"exposure_p99".to_owned()) && keys.contains(&"leak_risk_7d".to_owned()));
        assert_eq!(keys[..3], ["batch_latency_p50", "batch_latency_p90", "batch_latency_p99"]);
        assert!(keys.contains(&"residue_credentials_probability".to_owned()));
        assert!(parse_slo("done_share", "< 0.5").unwrap_err().contains("unknown objective"));
    }

    #[test]
    fn rejects_unknown_keys_and_bad_thresholds_saying_what_is_allowed() {
        assert!(parse_slo("latency", "1h").unwrap_err().contains("batch_latency_p99"));
        assert!(parse_slo("lockout_rate", "< 1.5").unwrap_err().contains("[0, 1]"));
        assert!(parse_slo("batch_latency_p50", "< soon").is_err());
    }
}

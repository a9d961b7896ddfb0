//! Proportions (hits out of trials) with their Wilson 95 % interval, the
//! serialisable report of one, and the rounding that keeps report floats
//! stable in JSON. A [`Proportion`] is the metrics layer's one shape of
//! hits out of trials: the model's `Count`, as records store it and as
//! summaries compute with it.

use serde::{Deserialize, Serialize};

use super::interval::{Z95, wilson_interval};
use crate::model::Count;

/// A count of hits out of trials, such as lockouts out of unbind attempts.
/// In JSON, `{"hits": …, "trials": …}`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Proportion {
    pub hits: u64,
    pub trials: u64,
}

impl Proportion {
    /// Panics if `hits > trials`.
    pub fn new(hits: u64, trials: u64) -> Self {
        assert!(hits <= trials, "a proportion cannot have more hits ({hits}) than trials ({trials})");
        Self { hits, trials }
    }

    /// Adds the hits and trials of `other`, as if recorded here.
    pub fn merge(&mut self, other: Proportion) {
        self.hits += other.hits;
        self.trials += other.trials;
    }

    /// Hits divided by trials; `None` without trials.
    pub fn rate(&self) -> Option<f64> {
        (self.trials > 0).then(|| self.hits as f64 / self.trials as f64)
    }

    /// Wilson 95 % interval of the rate as `(low, high)`; `None` without trials.
    pub fn ci95(&self) -> Option<(f64, f64)> {
        wilson_interval(self.hits, self.trials, Z95)
    }

    /// The report of this proportion, floats rounded with [`round9`].
    ///
    /// `reason_if_empty` becomes the report's `null_reason` when there were
    /// no trials (and so no rate); it is left out otherwise.
    pub fn report(&self, reason_if_empty: &str) -> ProportionReport {
        ProportionReport {
            rate: self.rate().map(round9),
            ci95: self.ci95().map(|(low, high)| [round9(low), round9(high)]),
            hits: self.hits,
            trials: self.trials,
            null_reason: (self.trials == 0).then(|| reason_if_empty.to_owned()),
        }
    }
}

impl From<Count> for Proportion {
    fn from(count: Count) -> Proportion {
        Proportion { hits: count.hits, trials: count.trials }
    }
}

/// A proportion as written to results.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ProportionReport {
    /// Hits divided by trials; null when there were no trials.
    pub rate: Option<f64>,
    /// Wilson 95 % interval of the rate as `[low, high]`; null with `rate`.
    pub ci95: Option<[f64; 2]>,
    pub hits: u64,
    pub trials: u64,
    /// Why `rate` is null; absent when it is not.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub null_reason: Option<String>,
}

/// Rounds `x` to the nearest multiple of 1e-9, so that floats in reports
/// print the same on every run and platform. Negative zero becomes zero.
pub fn round9(x: f64) -> f64 {
    let rounded = (x * 1e9).round() / 1e9;
    if rounded == 0.0 { 0.0 } else { rounded }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn new_keeps_hits_and_trials() {
        assert_eq!(Proportion::new(2, 5), Proportion { hits: 2, trials: 5 });
    }

    #[test]
    #[should_panic(expected = "more hits")]
    fn new_rejects_more_hits_than_trials() {
        Proportion::new(6, 5);
    }

    #[test]
    fn a_model_count_becomes_the_same_proportion() {
        let mut count = Count::default();
        for hit in [true, false, true, false, false] {
            count.record(hit);
        }
        assert_eq!(Proportion::from(count), Proportion::new(2, 5));
    }

    #[test]
    fn merge_adds_counts() {
        let mut proportion = Proportion::new(1, 4);
        proportion.merge(Proportion::new(3, 6));
        assert_eq!(proportion, Proportion::new(4, 10));
    }

    #[test]
    fn rate_and_interval_are_none_without_trials() {
        let empty = Proportion::default();
        assert_eq!(empty.rate(), None);
        assert_eq!(empty.ci95(), None);
    }

    #[test]
    fn rate_and_interval_of_half() {
        let half = Proportion::new(5, 10);
        assert_eq!(half.rate(), Some(0.5));
        assert_eq!(half.ci95(), wilson_interval(5, 10, Z95));
    }

    #[test]
    fn report_of_empty_proportion_is_null_with_reason() {
        let report = Proportion::default().report("no device was replaced");
        let json = serde_json::to_value(&report).expect("report serialises");
        assert_eq!(
            json,
            serde_json::json!({
                "rate": null,
                "ci95": null,
                "hits": 0,
                "trials": 0,
                "null_reason": "no device was replaced",
            })
        );
    }

    #[test]
    fn report_with_trials_is_rounded_and_omits_reason() {
        let report = Proportion::new(1, 3).report("unused");
        let json = serde_json::to_value(&report).expect("report serialises");
        assert_eq!(json["rate"], serde_json::json!(0.333333333));
        let (low, high) = wilson_interval(1, 3, Z95).expect("trials > 0");
        assert_eq!(report.ci95, Some([round9(low), round9(high)]));
        assert!(json.get("null_reason").is_none());
    }

    #[test]
    fn report_round_trips_through_json_without_reason_field() {
        let report = Proportion::new(3, 8).report("unused");
        let text = serde_json::to_string(&report).expect("report serialises");
        let parsed: ProportionReport = serde_json::from_str(&text).expect("report parses");
        assert_eq!(parsed, report);
    }

    #[test]
    fn round9_rounds_to_nanounits() {
        assert_eq!(round9(0.1234567894), 0.123456789);
        assert_eq!(round9(0.1234567896), 0.12345679);
        assert_eq!(round9(2.0), 2.0);
        assert_eq!(round9(-1.0000000004), -1.0);
    }

    #[test]
    fn round9_turns_tiny_negatives_into_positive_zero() {
        let rounded = round9(-1e-12);
        assert_eq!(rounded, 0.0);
        assert!(rounded.is_sign_positive());
    }
}

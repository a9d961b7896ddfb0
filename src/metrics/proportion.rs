//! Proportions (hits out of trials), the serialisable report of a rate
//! measured over replications (pooled point, interval across
//! replications), and the rounding that keeps report floats stable in
//! JSON. A [`Proportion`] is the metrics layer's one shape of hits out of
//! trials: the model's `Count`, as records store it and as summaries
//! compute with it.

use serde::{Deserialize, Serialize};

use super::interval::{Grain, IntervalMethod, Level, batch_rate_over_replications, rate_over_replications};
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

    /// A report of these counts as if every trial were its own
    /// replication (design effect 1): the Clopper–Pearson interval of the counts.
    /// For tests that need a rate with a known interval.
    #[cfg(test)]
    pub fn report(&self, reason_if_empty: &str) -> ProportionReport {
        let ci95 = super::interval::clopper_pearson_interval(self.hits, self.trials);
        ProportionReport {
            rate: self.rate().map(round9),
            ci95: ci95.map(|(low, high)| [round9(low), round9(high)]),
            method: ci95.map(|_| IntervalMethod::KornGraubard),
            replications_used: self.trials.min(u64::from(u32::MAX)) as u32,
            design_effect: ci95.map(|_| 1.0),
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

/// A rate as written to results: the ratio of the hits and trials pooled
/// over replications, and its 95 % interval estimated across replications.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ProportionReport {
    /// Hits divided by trials, both summed over replications; null when
    /// there were no trials.
    pub rate: Option<f64>,
    /// 95 % interval of the rate as `[low, high]`; null without trials or
    /// with fewer replications with trials than the minimum.
    pub ci95: Option<[f64; 2]>,
    /// How `ci95` was computed (`ratio-t`, `korn-graubard`, or `hall-t`
    /// for a rate whose hits come in whole batches); null with it.
    pub method: Option<IntervalMethod>,
    /// Replications that had trials for this rate: the interval's R.
    pub replications_used: u32,
    /// Variance across replications over the binomial variance of the
    /// pooled trials, floored at 1; null with `ci95`.
    pub design_effect: Option<f64>,
    pub hits: u64,
    pub trials: u64,
    /// Why `rate` or `ci95` is null; absent when neither is.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub null_reason: Option<String>,
}

impl ProportionReport {
    /// The report of a rate observed as `per_replication` counts (in
    /// replication order), floats rounded with [`round9`].
    ///
    /// `reason_if_empty` becomes `null_reason` when no replication had
    /// trials; with too few replications with trials, the reason is the
    /// minimum not met.
    pub fn over_replications(per_replication: &[Proportion], reason_if_empty: &str, level: Level) -> ProportionReport {
        Self::over_replications_of(per_replication, reason_if_empty, Grain::Members, level)
    }

    /// [`ProportionReport::over_replications`] for a rate whose hits
    /// cluster as `grain` says.
    pub fn over_replications_of(
        per_replication: &[Proportion],
        reason_if_empty: &str,
        grain: Grain,
        level: Level,
    ) -> ProportionReport {
        let mut pooled = Proportion::default();
        per_replication.iter().for_each(|counts| pooled.merge(*counts));
        let pairs: Vec<(u64, u64)> = per_replication.iter().map(|counts| (counts.hits, counts.trials)).collect();
        let interval = match grain {
            Grain::Members => rate_over_replications(&pairs, level),
            Grain::Batches => batch_rate_over_replications(&pairs, level),
        };
        let null_reason = match (&interval, pooled.trials) {
            (_, 0) => Some(reason_if_empty.to_owned()),
            (Err(reason), _) => Some(reason.clone()),
            (Ok(_), _) => None,
        };
        let interval = interval.ok();
        ProportionReport {
            rate: pooled.rate().map(round9),
            ci95: interval.map(|ci| [round9(ci.low), round9(ci.high)]),
            method: interval.map(|ci| ci.method),
            replications_used: per_replication.iter().filter(|counts| counts.trials > 0).count() as u32,
            design_effect: interval.and_then(|ci| ci.design_effect).map(round9),
            hits: pooled.hits,
            trials: pooled.trials,
            null_reason,
        }
    }
}

impl ProportionReport {
    /// The share a rate the scenario's own rules fix takes (its rate made
    /// null with the rule as its reason, its counts kept): 1 where every
    /// trial hit; `None` for a measured rate, one without trials, or counts
    /// that cannot be a share (more hits than trials).
    pub fn fixed_share(&self) -> Option<f64> {
        let share = self.rate.is_none() && self.trials > 0 && self.hits <= self.trials;
        share.then(|| self.hits as f64 / self.trials as f64)
    }
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
    fn rate_is_none_without_trials() {
        assert_eq!(Proportion::default().rate(), None);
        assert_eq!(Proportion::new(5, 10).rate(), Some(0.5));
    }

    fn replications(counts: &[(u64, u64)]) -> Vec<Proportion> {
        counts.iter().map(|&(hits, trials)| Proportion::new(hits, trials)).collect()
    }

    #[test]
    fn report_of_no_trials_is_null_with_reason() {
        let report = ProportionReport::over_replications(
            &replications(&[(0, 0); 12]),
            "no device was replaced",
            Level::NINETY_FIVE,
        );
        let json = serde_json::to_value(&report).expect("report serialises");
        assert_eq!(
            json,
            serde_json::json!({
                "rate": null,
                "ci95": null,
                "method": null,
                "replications_used": 0,
                "design_effect": null,
                "hits": 0,
                "trials": 0,
                "null_reason": "no device was replaced",
            })
        );
    }

    #[test]
    fn report_below_the_minimum_has_a_rate_but_no_interval() {
        // Replications without trials do not count towards the minimum.
        let counts = [(3, 10), (0, 0), (4, 10), (5, 10), (0, 0), (2, 10)];
        let report = ProportionReport::over_replications(&replications(&counts), "unused", Level::NINETY_FIVE);
        assert_eq!((report.rate, report.ci95, report.method), (Some(0.35), None, None));
        assert_eq!((report.hits, report.trials, report.replications_used), (14, 40, 4));
        assert_eq!(report.null_reason.as_deref(), Some("needs at least 10 replications with trials; got 4"));
    }

    #[test]
    fn report_with_enough_replications_is_rounded_and_omits_reason() {
        let counts = [(10, 30), (11, 30), (9, 30), (12, 30), (10, 30), (8, 30), (10, 30), (11, 30), (9, 30), (10, 30)];
        let report = ProportionReport::over_replications(&replications(&counts), "unused", Level::NINETY_FIVE);
        let json = serde_json::to_value(&report).expect("report serialises");
        assert_eq!(json["rate"], serde_json::json!(0.333333333));
        assert_eq!((json["method"].as_str(), json["replications_used"].as_u64()), (Some("korn-graubard"), Some(10)));
        let interval = rate_over_replications(&counts, Level::NINETY_FIVE).expect("ten replications");
        assert_eq!(report.ci95, Some([round9(interval.low), round9(interval.high)]));
        assert!(json.get("null_reason").is_none());
    }

    #[test]
    fn report_round_trips_through_json_without_reason_field() {
        let report = ProportionReport::over_replications(&replications(&[(3, 8); 10]), "unused", Level::NINETY_FIVE);
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

//! The regression gate: a run's summary compared with a baseline summary
//! of the same scenario, figure by figure. Rates (lockout, residue, races
//! and each of their kinds; higher is worse for all) are compared through
//! Newcombe's hybrid score interval for the difference of two independent
//! proportions; latency percentiles are compared as point estimates,
//! beyond the histogram's 0.1 % precision.

use super::figures::{RateEstimate, format_rate, latency_of, quantile_ms, rate_estimate};
use super::latency::format_duration_ms;
use super::summary::{LatencyReport, Summary};
use crate::model::{RaceKind, ResidueKind};
use crate::scenario::{Figure, Latency, Quantile};
use serde::{Deserialize, Serialize};
use std::fmt::Write;

/// The latency histograms resolve one part in this many (3 significant
/// digits, 0.1 %).
const PRECISION_PARTS: u128 = 1000;

/// Latency percentiles the gate compares.
const COMPARED_QUANTILES: [Quantile; 2] = [Quantile::P50, Quantile::P99];

/// How a figure moved from the baseline to the current run.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Change {
    Worse,
    Better,
    /// No difference the data can show.
    Indistinguishable,
    /// One side has no figure, or the runs are of different scenarios.
    NotComparable,
}

impl Change {
    /// The upper-case words tables print.
    pub fn label(self) -> &'static str {
        match self {
            Change::Worse => "WORSE",
            Change::Better => "BETTER",
            Change::Indistinguishable => "INDISTINGUISHABLE",
            Change::NotComparable => "NOT COMPARABLE",
        }
    }
}

/// The comparison of one figure with its baseline.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct RegressionCheck {
    /// The figure, named as in a scenario's `[slo]` table (`lockout_rate`).
    pub metric: String,
    pub baseline: Option<f64>,
    pub current: Option<f64>,
    pub change: Change,
    /// In words: the two values, the interval or tolerance, the reason.
    pub explanation: String,
}

/// Compares every gated figure of `current` with `baseline`. Runs of
/// different scenarios give a single not-comparable check saying so.
pub fn compare_to_baseline(current: &Summary, baseline: &Summary) -> Vec<RegressionCheck> {
    if current.scenario != baseline.scenario {
        return vec![scenario_mismatch(current, baseline)];
    }
    let mut checks: Vec<RegressionCheck> = compared_rates(current, baseline)
        .into_iter()
        .map(|figure| rate_check(figure.name(), rate_estimate(figure, current), rate_estimate(figure, baseline)))
        .collect();
    checks.extend(latency_checks(current, baseline));
    checks
}

/// Whether any figure got worse.
pub fn any_regression(checks: &[RegressionCheck]) -> bool {
    checks.iter().any(|check| check.change == Change::Worse)
}

/// One line per check: change, figure and explanation, in columns.
pub fn regression_table(checks: &[RegressionCheck]) -> String {
    let metric_width = checks.iter().map(|check| check.metric.chars().count()).max().unwrap_or(0);
    let mut table = String::new();
    for check in checks {
        let _ =
            writeln!(table, "  {:<17}  {:<metric_width$}  {}", check.change.label(), check.metric, check.explanation);
    }
    table
}

/// Newcombe's hybrid score 95 % interval (his method 10) for the
/// difference `first − second` of two independent proportions, built from
/// their Wilson intervals. `None` when either side has no trials or more
/// hits than trials.
pub fn newcombe_difference_ci95(
    first_hits: u64,
    first_trials: u64,
    second_hits: u64,
    second_trials: u64,
) -> Option<(f64, f64)> {
    let first = RateEstimate::from_counts(first_hits, first_trials, None).ok()?;
    let second = RateEstimate::from_counts(second_hits, second_trials, None).ok()?;
    Some(difference_interval(&first, &second))
}

/// Newcombe's interval for `first.rate − second.rate` from the two rates'
/// own intervals, clamped to [-1, 1].
fn difference_interval(first: &RateEstimate, second: &RateEstimate) -> (f64, f64) {
    let difference = first.rate - second.rate;
    let below = (first.rate - first.low).hypot(second.high - second.rate);
    let above = (first.high - first.rate).hypot(second.rate - second.low);
    ((difference - below).max(-1.0), (difference + above).min(1.0))
}

fn scenario_mismatch(current: &Summary, baseline: &Summary) -> RegressionCheck {
    RegressionCheck {
        metric: "scenario".to_owned(),
        baseline: None,
        current: None,
        change: Change::NotComparable,
        explanation: format!(
            "the baseline is a run of scenario `{}` and this run of `{}`: only runs of one scenario compare",
            baseline.scenario, current.scenario
        ),
    }
}

// ---------------------------------------------------------------- rates

/// The rates to compare: the three headline rates always, and each race
/// and residue kind that had trials in both runs.
fn compared_rates(current: &Summary, baseline: &Summary) -> Vec<Figure> {
    let mut rates = vec![Figure::LockoutRate, Figure::ResidueProbability, Figure::RaceRate];
    let race_kinds = RaceKind::ALL.map(Figure::RaceKindRate);
    let residue_kinds = ResidueKind::ALL.map(Figure::ResidueKindProbability);
    let in_both = |figure: &Figure| rate_estimate(*figure, current).is_ok() && rate_estimate(*figure, baseline).is_ok();
    rates.extend(race_kinds.into_iter().chain(residue_kinds).filter(in_both));
    rates
}

fn rate_check(
    metric: String,
    current: Result<RateEstimate, String>,
    baseline: Result<RateEstimate, String>,
) -> RegressionCheck {
    let (current, baseline) = match (current, baseline) {
        (Ok(current), Ok(baseline)) => (current, baseline),
        (current, baseline) => return rate_not_comparable(metric, current, baseline),
    };
    let (low, high) = difference_interval(&current, &baseline);
    let (change, verdict) = if low > 0.0 {
        (Change::Worse, "lies above 0")
    } else if high < 0.0 {
        (Change::Better, "lies below 0")
    } else {
        (Change::Indistinguishable, "contains 0")
    };
    let explanation = format!(
        "{} → {}; difference {}, Newcombe 95 % interval [{}, {}] {verdict}",
        baseline.describe(),
        current.describe(),
        format_signed_rate(current.rate - baseline.rate),
        format_signed_rate(low),
        format_signed_rate(high)
    );
    RegressionCheck { metric, baseline: Some(baseline.rate), current: Some(current.rate), change, explanation }
}

fn rate_not_comparable(
    metric: String,
    current: Result<RateEstimate, String>,
    baseline: Result<RateEstimate, String>,
) -> RegressionCheck {
    let reasons: Vec<String> = [("baseline", &baseline), ("current run", &current)]
        .into_iter()
        .filter_map(|(side, estimate)| estimate.as_ref().err().map(|reason| format!("{side}: {reason}")))
        .collect();
    RegressionCheck {
        metric,
        baseline: baseline.ok().map(|estimate| estimate.rate),
        current: current.ok().map(|estimate| estimate.rate),
        change: Change::NotComparable,
        explanation: format!("no figure to compare ({})", reasons.join("; ")),
    }
}

/// A difference of rates with its sign: `+0.0230`, `-0.0100`.
fn format_signed_rate(difference: f64) -> String {
    let magnitude = format_rate(difference.abs());
    if difference < 0.0 { format!("-{magnitude}") } else { format!("+{magnitude}") }
}

// -------------------------------------------------------------- latency

fn latency_checks(current: &Summary, baseline: &Summary) -> Vec<RegressionCheck> {
    let side = |summary, latency, quantile| {
        let report = latency_of(summary, latency);
        (quantile_ms(report, quantile), report)
    };
    Latency::ALL
        .into_iter()
        .flat_map(|latency| {
            COMPARED_QUANTILES.map(|quantile| {
                let name = Figure::LatencyQuantile(latency, quantile).name();
                latency_check(name, quantile, side(current, latency, quantile), side(baseline, latency, quantile))
            })
        })
        .collect()
}

/// One percentile compared, each side given as (point value, report).
fn latency_check(
    metric: String,
    quantile: Quantile,
    (current_ms, current): (Option<u64>, &LatencyReport),
    (baseline_ms, baseline): (Option<u64>, &LatencyReport),
) -> RegressionCheck {
    match (current_ms, baseline_ms) {
        (Some(current_ms), Some(baseline_ms)) => {
            let (change, explanation) =
                compare_latency_points(quantile, (current_ms, current.count), (baseline_ms, baseline.count));
            let (baseline, current) = (Some(baseline_ms as f64), Some(current_ms as f64));
            RegressionCheck { metric, baseline, current, change, explanation }
        }
        (current_ms, baseline_ms) => latency_not_comparable(metric, current, baseline, current_ms, baseline_ms),
    }
}

/// The change between two point percentiles given as (milliseconds,
/// batches), with its explanation.
fn compare_latency_points(quantile: Quantile, current: (u64, u64), baseline: (u64, u64)) -> (Change, String) {
    let name = quantile.label();
    let ((current_ms, current_count), (baseline_ms, baseline_count)) = (current, baseline);
    let values =
        format!("{name} {} → {}", format_duration_ms(baseline_ms as f64), format_duration_ms(current_ms as f64));
    let counts = format!("over {baseline_count} and {current_count} batches");
    let needed = quantile.minimum_samples();
    if current_count < needed || baseline_count < needed {
        let words = format!("{values} {counts}: too few to compare, {name} needs at least {needed} batches in each");
        return (Change::Indistinguishable, words);
    }
    let words = format!(
        "{values} ({}) {counts}; percentiles are compared as point estimates, within the histograms' 0.1 % \
         precision counting as no change",
        relative_change(current_ms as f64, baseline_ms as f64)
    );
    (latency_change(current_ms, baseline_ms), words)
}

/// Worse or better only beyond the histograms' relative precision, in
/// exact integer arithmetic: by more than one part in a thousand.
fn latency_change(current_ms: u64, baseline_ms: u64) -> Change {
    let (current, baseline) = (u128::from(current_ms), u128::from(baseline_ms));
    if current * PRECISION_PARTS > baseline * (PRECISION_PARTS + 1) {
        Change::Worse
    } else if current * (PRECISION_PARTS + 1) < baseline * PRECISION_PARTS {
        Change::Better
    } else {
        Change::Indistinguishable
    }
}

/// `+15.0 %`, `-2.5 %`, or `from 0` when the baseline is zero.
fn relative_change(current_ms: f64, baseline_ms: f64) -> String {
    if baseline_ms == 0.0 {
        return if current_ms == 0.0 { "+0.0 %".to_owned() } else { "up from 0".to_owned() };
    }
    format!("{:+.1} %", (current_ms / baseline_ms - 1.0) * 100.0)
}

fn latency_not_comparable(
    metric: String,
    current: &LatencyReport,
    baseline: &LatencyReport,
    current_ms: Option<u64>,
    baseline_ms: Option<u64>,
) -> RegressionCheck {
    let reason = |report: &LatencyReport| report.null_reason.clone().unwrap_or_else(|| "no such percentile".into());
    let mut reasons = Vec::new();
    if baseline_ms.is_none() {
        reasons.push(format!("baseline: {}", reason(baseline)));
    }
    if current_ms.is_none() {
        reasons.push(format!("current run: {}", reason(current)));
    }
    RegressionCheck {
        metric,
        baseline: baseline_ms.map(|ms| ms as f64),
        current: current_ms.map(|ms| ms as f64),
        change: Change::NotComparable,
        explanation: format!("no figure to compare ({})", reasons.join("; ")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::metrics::Proportion;
    use crate::metrics::fixtures::{empty_summary, latency};

    fn assert_close(actual: f64, expected: f64) {
        assert!((actual - expected).abs() < 5e-5, "{actual} is not {expected}");
    }

    fn with_lockouts(hits: u64, trials: u64) -> Summary {
        let mut summary = empty_summary("s");
        summary.metrics.lockout.overall = Proportion::new(hits, trials).report("unused");
        summary
    }

    fn check<'a>(checks: &'a [RegressionCheck], metric: &str) -> &'a RegressionCheck {
        checks.iter().find(|check| check.metric == metric).expect("the metric is checked")
    }

    #[test]
    fn newcombe_matches_the_published_examples() {
        // Newcombe (1998), Statistics in Medicine 17:873, table II, method 10.
        let examples = [
            ((56, 70, 48, 80), (0.0524, 0.3339)),
            ((9, 10, 3, 10), (0.1705, 0.8090)),
            ((6, 7, 2, 7), (0.0582, 0.8062)),
            ((5, 56, 0, 29), (-0.0381, 0.1926)),
            ((0, 10, 0, 20), (-0.1611, 0.2775)),
            ((10, 10, 0, 20), (0.6791, 1.0)),
        ];
        for ((a, m, b, n), (low, high)) in examples {
            let (actual_low, actual_high) = newcombe_difference_ci95(a, m, b, n).expect("trials on both sides");
            assert_close(actual_low, low);
            assert_close(actual_high, high);
        }
    }

    #[test]
    fn newcombe_needs_trials_on_both_sides() {
        assert_eq!(newcombe_difference_ci95(0, 0, 1, 2), None);
        assert_eq!(newcombe_difference_ci95(3, 2, 1, 2), None);
    }

    #[test]
    fn a_clearly_higher_rate_is_worse_and_a_lower_one_better() {
        let checks = compare_to_baseline(&with_lockouts(95, 1000), &with_lockouts(40, 1000));
        let lockout = check(&checks, "lockout_rate");
        assert_eq!(lockout.change, Change::Worse);
        assert_eq!((lockout.baseline, lockout.current), (Some(0.04), Some(0.095)));
        assert!(lockout.explanation.starts_with("0.0400 (40 of 1000) → 0.0950 (95 of 1000); difference +0.0550"));
        assert!(lockout.explanation.ends_with("lies above 0"));
        assert!(any_regression(&checks));
        let reversed = compare_to_baseline(&with_lockouts(40, 1000), &with_lockouts(95, 1000));
        assert_eq!(check(&reversed, "lockout_rate").change, Change::Better);
        assert!(!any_regression(&reversed));
    }

    #[test]
    fn a_small_difference_is_indistinguishable() {
        let checks = compare_to_baseline(&with_lockouts(45, 1000), &with_lockouts(40, 1000));
        assert_eq!(check(&checks, "lockout_rate").change, Change::Indistinguishable);
        assert!(!any_regression(&checks));
    }

    #[test]
    fn headline_rates_without_trials_are_not_comparable_and_empty_kinds_are_left_out() {
        let checks = compare_to_baseline(&with_lockouts(4, 100), &empty_summary("s"));
        let lockout = check(&checks, "lockout_rate");
        assert_eq!((lockout.change, lockout.baseline, lockout.current), (Change::NotComparable, None, Some(0.04)));
        assert!(lockout.explanation.starts_with("no figure to compare (baseline: no member-driven device unbind"));
        assert_eq!(check(&checks, "race_rate").change, Change::NotComparable);
        assert!(checks.iter().all(|check| !check.metric.starts_with("token_after_disable")));
    }

    #[test]
    fn kinds_with_trials_in_both_runs_are_compared() {
        let mut current = empty_summary("s");
        let mut baseline = empty_summary("s");
        for (summary, hits) in [(&mut current, 300), (&mut baseline, 100)] {
            let kinds = &mut summary.metrics.residue.by_kind;
            kinds.insert(ResidueKind::Credentials.name().into(), Proportion::new(hits, 1000).report(""));
            let race = summary.metrics.grace_races.by_kind.get_mut(RaceKind::TokenAfterDisable.name()).unwrap();
            race.rate = Proportion::new(hits, 500).report("");
        }
        let checks = compare_to_baseline(&current, &baseline);
        assert_eq!(check(&checks, "residue_credentials_probability").change, Change::Worse);
        assert_eq!(check(&checks, "token_after_disable_rate").change, Change::Worse);
        assert!(checks.iter().all(|check| check.metric != "residue_sd_cache_probability"));
    }

    #[test]
    fn race_rate_is_compared_from_the_carried_interval() {
        let mut current = empty_summary("s");
        let mut baseline = empty_summary("s");
        for (summary, rate, ci95) in [(&mut current, 0.5, [0.45, 0.55]), (&mut baseline, 0.2, [0.16, 0.24])] {
            let races = &mut summary.metrics.grace_races;
            (races.rate, races.ci95, races.members, races.null_reason) = (Some(rate), Some(ci95), 400, None);
            (races.hits, races.method) = ((rate * 400.0) as u64, Some(crate::metrics::IntervalMethod::RatioT));
        }
        let race = &compare_to_baseline(&current, &baseline)[2];
        assert_eq!((race.metric.as_str(), race.change), ("race_rate", Change::Worse));
        assert!(race.explanation.starts_with("0.2000 (80 of 400) → 0.5000 (200 of 400)"));
    }

    #[test]
    fn latency_percentiles_are_compared_beyond_the_histogram_precision() {
        let mut current = empty_summary("s");
        let mut baseline = empty_summary("s");
        baseline.metrics.batch_latency_ms = latency(400, 100_000);
        current.metrics.batch_latency_ms = latency(400, 100_100);
        let checks = compare_to_baseline(&current, &baseline);
        assert_eq!(check(&checks, "batch_latency_p99").change, Change::Indistinguishable);
        current.metrics.batch_latency_ms = latency(400, 100_101);
        let checks = compare_to_baseline(&current, &baseline);
        let p99 = check(&checks, "batch_latency_p99");
        assert_eq!((p99.change, p99.baseline, p99.current), (Change::Worse, Some(100_000.0), Some(100_101.0)));
        assert!(p99.explanation.contains("compared as point estimates"), "{}", p99.explanation);
        assert!(p99.explanation.starts_with("p99 1.7min → 1.7min (+0.1 %) over 400 and 400 batches"));
        current.metrics.batch_latency_ms = latency(400, 50_000);
        assert_eq!(check(&compare_to_baseline(&current, &baseline), "batch_latency_p50").change, Change::Better);
    }

    #[test]
    fn latency_with_too_few_batches_is_indistinguishable_and_without_any_not_comparable() {
        let mut current = empty_summary("s");
        let mut baseline = empty_summary("s");
        baseline.metrics.revocation_latency_ms = latency(50, 1_000);
        current.metrics.revocation_latency_ms = latency(50, 9_000);
        let checks = compare_to_baseline(&current, &baseline);
        assert_eq!(check(&checks, "revocation_latency_p50").change, Change::Worse);
        let p99 = check(&checks, "revocation_latency_p99");
        assert_eq!(p99.change, Change::Indistinguishable);
        assert!(p99.explanation.contains("needs at least 100 batches in each"));
        let batch = check(&checks, "batch_latency_p50");
        assert_eq!(batch.change, Change::NotComparable);
        assert!(batch.explanation.contains("baseline: no batch was decided before the horizon"));
    }

    #[test]
    fn different_scenarios_give_one_not_comparable_check() {
        let checks = compare_to_baseline(&empty_summary("a"), &empty_summary("b"));
        assert_eq!(checks.len(), 1);
        assert_eq!((checks[0].metric.as_str(), checks[0].change), ("scenario", Change::NotComparable));
        assert!(checks[0].explanation.contains("scenario `b` and this run of `a`"));
        assert!(!any_regression(&checks));
    }

    #[test]
    fn every_rate_and_latency_is_checked_once_for_a_full_pair() {
        let checks = compare_to_baseline(&with_lockouts(1, 10), &with_lockouts(1, 10));
        let metrics: Vec<&str> = checks.iter().map(|check| check.metric.as_str()).collect();
        assert_eq!(
            metrics,
            [
                "lockout_rate",
                "residue_probability",
                "race_rate",
                "batch_latency_p50",
                "batch_latency_p99",
                "revocation_latency_p50",
                "revocation_latency_p99",
                "lockout_duration_p50",
                "lockout_duration_p99"
            ]
        );
    }

    #[test]
    fn table_aligns_one_line_per_check() {
        let checks = compare_to_baseline(&with_lockouts(95, 1000), &with_lockouts(40, 1000));
        let table = regression_table(&checks);
        assert_eq!(table.lines().count(), checks.len());
        assert!(table.starts_with("  WORSE              lockout_rate            0.0400"), "{table}");
        assert!(table.contains("\n  NOT COMPARABLE     residue_probability     no figure"), "{table}");
    }

    #[test]
    fn changes_serialise_in_kebab_case() {
        assert_eq!(serde_json::to_value(Change::NotComparable).unwrap(), "not-comparable");
        let check = &compare_to_baseline(&with_lockouts(1, 10), &with_lockouts(1, 10))[0];
        let parsed: RegressionCheck = serde_json::from_value(serde_json::to_value(check).unwrap()).unwrap();
        assert_eq!(&parsed, check);
    }
}

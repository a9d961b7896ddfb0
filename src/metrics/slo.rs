//! Evaluating a scenario's service-level objectives against a run's
//! summary, conservatively. An objective uses the 95 % interval the
//! summary carries: it passes only when the whole interval lies on the good
//! side (the unfavourable bound satisfies it), fails only when the whole
//! interval lies on the bad side (even the favourable bound violates it),
//! and is undecided otherwise — also when the interval is null, with its
//! reason. A rate's interval is estimated across replications; a latency
//! percentile's is its bootstrap interval over replications (a bound beyond
//! the horizon lies above the largest censoring time, with no end), and a
//! latency objective is undecided without one or when too few batches were
//! measured for that percentile to mean anything. Figures are read through
//! `figures`.

use super::figures::{RateEstimate, Reading, format_rate, read};
use super::interval::Level;
use super::latency::format_duration_ms;
use super::summary::{LatencyReport, Summary};
use super::survival::IntervalBound;
use crate::scenario::{Comparison, Quantile, Slo};
use serde::{Deserialize, Serialize};
use std::fmt::Write;

/// What an objective's evaluation concluded.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum SloOutcome {
    Pass,
    Fail,
    /// The data cannot tell yet: too few samples, or an interval that
    /// straddles the threshold.
    Undecided,
    /// No verdict: the figure did not occur in any replication (no trials,
    /// no batch), most often because the scenario cannot produce it.
    #[serde(rename = "not_applicable")]
    NotApplicable,
}

impl SloOutcome {
    /// The upper-case word tables print.
    pub fn label(self) -> &'static str {
        match self {
            SloOutcome::Pass => "PASS",
            SloOutcome::Fail => "FAIL",
            SloOutcome::Undecided => "UNDECIDED",
            SloOutcome::NotApplicable => "N/A",
        }
    }
}

/// The evaluation of one objective.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Verdict {
    /// The objective as written, such as `lockout_rate < 0.05`.
    pub objective: String,
    pub outcome: SloOutcome,
    /// The point figure: a rate, or a latency in milliseconds.
    pub observed: Option<f64>,
    /// The bound of the 95 % interval the decision rests on (rates only).
    pub bound_used: Option<f64>,
    /// The interval the decision rests on, where there is one (a latency
    /// bound beyond the horizon is null).
    #[serde(default)]
    pub interval: Option<[Option<f64>; 2]>,
    /// In words: which value was compared with what, and why.
    pub explanation: String,
}

/// Evaluates every objective against `summary`, in order.
pub fn evaluate(slos: &[Slo], summary: &Summary) -> Vec<Verdict> {
    evaluate_at(slos, summary, Level::NINETY_FIVE)
}

/// Evaluates every objective against `summary` built at `level` (a look of
/// a sequential run), in order; the explanations name the level.
pub fn evaluate_at(slos: &[Slo], summary: &Summary, level: Level) -> Vec<Verdict> {
    slos.iter().map(|slo| evaluate_one(slo, summary, level)).collect()
}

/// Whether any objective failed. Undecided objectives are not failures.
pub fn any_failed(verdicts: &[Verdict]) -> bool {
    verdicts.iter().any(|verdict| verdict.outcome == SloOutcome::Fail)
}

/// One line per verdict: outcome, objective and explanation, in columns.
pub fn verdict_table(verdicts: &[Verdict]) -> String {
    let objective_width = verdicts.iter().map(|verdict| verdict.objective.chars().count()).max().unwrap_or(0);
    let mut table = String::new();
    for verdict in verdicts {
        let _ = writeln!(
            table,
            "  {:<9}  {:<objective_width$}  {}",
            verdict.outcome.label(),
            verdict.objective,
            verdict.explanation
        );
    }
    table
}

fn evaluate_one(slo: &Slo, summary: &Summary, level: Level) -> Verdict {
    match read(slo.figure, summary) {
        Ok(Reading::Percentile { quantile, report, .. }) => evaluate_latency(slo, report, quantile, level),
        // A rate that did not occur: nothing to judge.
        Ok(Reading::Rate(view)) if view.trials == 0 => {
            not_applicable(slo, view.null_reason.as_deref().unwrap_or("no trials"))
        }
        // A rate the scenario's rules fix (null with the rule, its counts
        // kept): its value is known, so is the verdict.
        Ok(Reading::Rate(view)) => match view.fixed_share() {
            Some(share) => fixed_verdict(slo, share, view.null_reason.as_deref().unwrap_or("fixed by the rules")),
            None => evaluate_rate(slo, view.rate, RateEstimate::from_view(&view), level),
        },
        Ok(Reading::Mean(_) | Reading::Count(_)) => {
            undecided(slo, None, format!("no figure to compare: `{}` is not a rate or a percentile", slo.key))
        }
        Err(reason) => evaluate_rate(slo, None, Err(reason), level),
    }
}

// ---------------------------------------------------------------- rates

/// The verdict on a rate whose point value is `observed` (null without
/// trials) and whose `estimate` carries the interval, or the reason there
/// is none.
fn evaluate_rate(slo: &Slo, observed: Option<f64>, estimate: Result<RateEstimate, String>, level: Level) -> Verdict {
    let estimate = match (estimate, observed) {
        (Ok(estimate), _) => estimate,
        (Err(reason), None) => return undecided(slo, None, format!("no figure to compare: {reason}")),
        (Err(reason), Some(rate)) => {
            let words = format!("no interval to decide on: {reason} (observed {})", format_rate(rate));
            return undecided(slo, Some(rate), words);
        }
    };
    let (favourable, unfavourable) = bounds_by_side(slo.comparison, &estimate, level);
    let threshold = slo.threshold_text();
    let observed = format!("(observed {}{})", estimate.describe(), method_words(&estimate));
    let (outcome, bound, explanation) = if slo.comparison.holds(unfavourable.value, slo.threshold) {
        let words = format!("{} {} {threshold} {observed}", unfavourable.words(), slo.comparison.symbol());
        (SloOutcome::Pass, unfavourable.value, words)
    } else if !slo.comparison.holds(favourable.value, slo.threshold) {
        let symbol = slo.comparison.negated().symbol();
        let words = format!("{} {symbol} {threshold}: the whole interval violates it {observed}", favourable.words());
        (SloOutcome::Fail, favourable.value, words)
    } else {
        let interval = format!("[{}, {}]", format_rate(estimate.low), format_rate(estimate.high));
        let words = format!("undecided: the {} interval {interval} straddles {threshold} {observed}", level.label());
        (SloOutcome::Undecided, unfavourable.value, words)
    };
    Verdict {
        objective: slo.to_string(),
        outcome,
        observed: Some(estimate.rate),
        bound_used: Some(bound),
        interval: Some([Some(estimate.low), Some(estimate.high)]),
        explanation,
    }
}

/// `; ratio-t over 10 replications`, for a rate read from a summary.
fn method_words(estimate: &RateEstimate) -> String {
    estimate.method.map_or_else(String::new, |(method, replications)| {
        format!("; {} over {replications} replications", method.name())
    })
}

/// One bound of an interval at `level`, named for explanations.
struct Bound {
    value: f64,
    side: &'static str,
    level: Level,
}

impl Bound {
    fn words(&self) -> String {
        format!("{} {} bound {}", self.side, self.level.label(), format_rate(self.value))
    }
}

/// The interval's bounds as (favourable, unfavourable) for `comparison`:
/// for an upper limit the upper bound is the unfavourable one.
fn bounds_by_side(comparison: Comparison, estimate: &RateEstimate, level: Level) -> (Bound, Bound) {
    let lower = Bound { value: estimate.low, side: "lower", level };
    let upper = Bound { value: estimate.high, side: "upper", level };
    if comparison.wants_large() { (upper, lower) } else { (lower, upper) }
}

/// The verdict on a rate fixed at `share` by the scenario's own rules
/// (`rule`): PASS or FAIL with certainty, the interval the point itself.
fn fixed_verdict(slo: &Slo, share: f64, rule: &str) -> Verdict {
    let holds = slo.comparison.holds(share, slo.threshold);
    let (outcome, symbol) = if holds {
        (SloOutcome::Pass, slo.comparison.symbol())
    } else {
        (SloOutcome::Fail, slo.comparison.negated().symbol())
    };
    Verdict {
        objective: slo.to_string(),
        outcome,
        observed: Some(share),
        bound_used: Some(share),
        interval: Some([Some(share), Some(share)]),
        explanation: format!(
            "fixed at {} {symbol} {} by the scenario's rules: {rule}",
            format_rate(share),
            slo.threshold_text()
        ),
    }
}

fn not_applicable(slo: &Slo, reason: &str) -> Verdict {
    let explanation = format!("no verdict: {reason}");
    Verdict {
        objective: slo.to_string(),
        outcome: SloOutcome::NotApplicable,
        observed: None,
        bound_used: None,
        interval: None,
        explanation,
    }
}

fn undecided(slo: &Slo, observed: Option<f64>, explanation: String) -> Verdict {
    Verdict {
        objective: slo.to_string(),
        outcome: SloOutcome::Undecided,
        observed,
        bound_used: None,
        interval: None,
        explanation,
    }
}

// -------------------------------------------------------------- latency

fn evaluate_latency(slo: &Slo, report: &LatencyReport, quantile: Quantile, level: Level) -> Verdict {
    let name = quantile.label();
    let Some(percentile) = report.percentile(quantile) else {
        let reason = report.null_reason.clone().unwrap_or_else(|| format!("the summary holds no {name}"));
        return not_applicable(slo, &reason);
    };
    let observed = percentile.value.map(|ms| ms as f64);
    let context = format!(
        "(observed {name} = {} over {} batches{})",
        bound_text(report, percentile.value),
        report.batches,
        unfinished_note(report)
    );
    let needed = quantile.minimum_samples();
    if report.batches < needed {
        let words = format!("too few samples to decide: {name} needs at least {needed} batches {context}");
        return undecided(slo, observed, words);
    }
    let Some([low, high]) = percentile.ci95 else {
        let reason = percentile.ci95_null_reason.as_deref().unwrap_or("the summary holds none");
        return undecided(slo, observed, format!("no interval to decide on: {reason} {context}"));
    };
    let interval =
        format!("{name} {} interval [{}, {}]", level.label(), bound_text(report, low), bound_text(report, high));
    // Beyond the horizon is above the largest censoring time, with no end.
    let beyond_ms = report.largest_censoring_ms.unwrap_or(0) as f64 + 1.0;
    let smallest = |bound: IntervalBound| bound.map_or(beyond_ms, |ms| ms as f64);
    let largest = |bound: IntervalBound| bound.map_or(f64::INFINITY, |ms| ms as f64);
    let ((favourable, favourable_bound), (unfavourable, unfavourable_bound)) = if slo.comparison.wants_large() {
        ((largest(high), high), (smallest(low), low))
    } else {
        ((smallest(low), low), (largest(high), high))
    };
    let threshold = slo.threshold_text();
    let (outcome, bound, explanation) = if slo.comparison.holds(unfavourable, slo.threshold) {
        (SloOutcome::Pass, unfavourable_bound, format!("{interval} {} {threshold} {context}", slo.comparison.symbol()))
    } else if !slo.comparison.holds(favourable, slo.threshold) {
        let symbol = slo.comparison.negated().symbol();
        (
            SloOutcome::Fail,
            favourable_bound,
            format!("{interval} {symbol} {threshold}: the whole interval violates it {context}"),
        )
    } else {
        let words = format!("too few samples to decide: {interval} straddles {threshold} {context}");
        (SloOutcome::Undecided, unfavourable_bound, words)
    };
    let bound_used = bound.map(|ms| ms as f64);
    let interval = Some([low.map(|ms| ms as f64), high.map(|ms| ms as f64)]);
    Verdict { objective: slo.to_string(), outcome, observed, bound_used, interval, explanation }
}

/// A percentile or bound: a duration, or beyond the horizon.
fn bound_text(report: &LatencyReport, bound: IntervalBound) -> String {
    match bound {
        Some(ms) => format_duration_ms(ms as f64),
        None => {
            format!("> {} (beyond the horizon)", format_duration_ms(report.largest_censoring_ms.unwrap_or(0) as f64))
        }
    }
}

/// Batches still running at the horizon are in the estimate, censored.
fn unfinished_note(report: &LatencyReport) -> String {
    match report.incomplete {
        0 => String::new(),
        unfinished => format!(", {unfinished} unfinished at the horizon and counted as censored"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::metrics::fixtures::{empty_summary, latency};
    use crate::metrics::{IntervalMethod, Level, Proportion, ProportionReport, rate_over_replications, round9};
    use crate::model::{RaceKind, ResidueKind};
    use crate::scenario::parse_slo;

    fn verdict_of(key: &str, text: &str, summary: &Summary) -> Verdict {
        let slo = parse_slo(key, text).expect("valid objective");
        evaluate(&[slo], summary).remove(0)
    }

    /// `hits` of `trials` spread as evenly as can be over `replications`
    /// (trials a multiple of them), the first replications taking the
    /// remainder.
    fn spread(hits: u64, trials: u64, replications: u64) -> Vec<Proportion> {
        let (each, extra) = (hits / replications, hits % replications);
        (0..replications).map(|i| Proportion::new(each + u64::from(i < extra), trials / replications)).collect()
    }

    fn over_ten(hits: u64, trials: u64) -> ProportionReport {
        ProportionReport::over_replications(&spread(hits, trials, 10), "unused", Level::NINETY_FIVE)
    }

    /// The rounded bounds a summary writes for `hits` of `trials` over ten replications.
    fn bounds_over_ten(hits: u64, trials: u64) -> (f64, f64) {
        let pairs: Vec<(u64, u64)> = spread(hits, trials, 10).iter().map(|p| (p.hits, p.trials)).collect();
        let interval = rate_over_replications(&pairs, Level::NINETY_FIVE).expect("ten replications");
        (round9(interval.low), round9(interval.high))
    }

    fn summary_with_lockouts(hits: u64, trials: u64) -> Summary {
        let mut summary = empty_summary("s");
        summary.metrics.lockout.overall = over_ten(hits, trials);
        summary
    }

    #[test]
    fn rate_passes_when_the_upper_bound_is_below_the_threshold() {
        let verdict = verdict_of("lockout_rate", "< 0.10", &summary_with_lockouts(72, 1000));
        let (_, high) = bounds_over_ten(72, 1000);
        assert_eq!(verdict.outcome, SloOutcome::Pass);
        assert_eq!(verdict.objective, "lockout_rate < 0.10");
        assert_eq!(verdict.observed, Some(0.072));
        assert_eq!(verdict.bound_used, Some(high));
        assert_eq!(
            verdict.explanation,
            format!(
                "upper 95 % bound {high:.4} < 0.10 (observed 0.0720 (72 of 1000); korn-graubard over 10 replications)"
            )
        );
    }

    #[test]
    fn rate_fails_only_when_the_whole_interval_violates_the_objective() {
        let verdict = verdict_of("lockout_rate", "< 0.05", &summary_with_lockouts(72, 1000));
        let (low, _) = bounds_over_ten(72, 1000);
        assert!(low > 0.05);
        assert_eq!(verdict.outcome, SloOutcome::Fail);
        assert_eq!(verdict.bound_used, Some(low));
        assert!(verdict.explanation.starts_with(&format!("lower 95 % bound {low:.4} >= 0.05")));
    }

    #[test]
    fn rate_is_undecided_when_the_interval_straddles_the_threshold() {
        // 72 effective hits: Korn–Graubard, the beta quantiles on
        // n* = 1000 · (z / t₉)² trials (the design effect floored at 1),
        // scipy.stats.beta.ppf(0.025, x*, n* − x* + 1) and ppf(0.975, x* + 1, n* − x*).
        let verdict = verdict_of("lockout_rate", "< 0.08", &summary_with_lockouts(72, 1000));
        assert_eq!(verdict.outcome, SloOutcome::Undecided);
        let expected = "undecided: the 95 % interval [0.0546, 0.0929] straddles 0.08";
        assert!(verdict.explanation.starts_with(expected), "{}", verdict.explanation);
    }

    #[test]
    fn point_estimate_below_threshold_is_not_enough_to_pass() {
        let verdict = verdict_of("lockout_rate", "< 0.05", &summary_with_lockouts(1, 30));
        assert_eq!(verdict.outcome, SloOutcome::Undecided);
    }

    #[test]
    fn a_null_interval_is_undecided_with_its_reason_and_the_point_value() {
        let mut summary = empty_summary("s");
        summary.metrics.lockout.overall =
            ProportionReport::over_replications(&spread(72, 1000, 4), "unused", Level::NINETY_FIVE);
        let verdict = verdict_of("lockout_rate", "< 0.5", &summary);
        assert_eq!((verdict.outcome, verdict.observed, verdict.bound_used), (SloOutcome::Undecided, Some(0.072), None));
        assert_eq!(
            verdict.explanation,
            "no interval to decide on: needs at least 10 replications with trials; got 4 (observed 0.0720)"
        );
    }

    #[test]
    fn lower_limits_use_the_lower_bound_to_pass_and_the_upper_to_fail() {
        let mut summary = empty_summary("s");
        let report = &mut summary.metrics.grace_races.by_kind.get_mut(RaceKind::TokenAfterDisable.name()).unwrap().rate;
        *report = over_ten(500, 1000);
        let (low, high) = bounds_over_ten(500, 1000);
        let pass = verdict_of("token_after_disable_rate", ">= 0.4", &summary);
        assert_eq!((pass.outcome, pass.bound_used), (SloOutcome::Pass, Some(low)));
        let fail = verdict_of("token_after_disable_rate", "> 0.6", &summary);
        assert_eq!((fail.outcome, fail.bound_used), (SloOutcome::Fail, Some(high)));
        assert!(fail.explanation.starts_with("upper 95 % bound 0.5364 <= 0.6"), "{}", fail.explanation);
        assert_eq!(verdict_of("token_after_disable_rate", "> 0.51", &summary).outcome, SloOutcome::Undecided);
    }

    #[test]
    fn residue_figures_are_read_from_their_reports() {
        let mut summary = empty_summary("s");
        let overall = over_ten(10, 1000);
        let residue = &mut summary.metrics.residue;
        (residue.probability, residue.ci95, residue.method) = (overall.rate, overall.ci95, overall.method);
        (residue.hits, residue.trials, residue.null_reason) = (10, 1000, None);
        residue.by_kind.insert(ResidueKind::Credentials.name().into(), over_ten(900, 1000));
        assert_eq!(verdict_of("residue_probability", "<= 0.05", &summary).outcome, SloOutcome::Pass);
        assert_eq!(verdict_of("residue_credentials_probability", "<= 0.5", &summary).outcome, SloOutcome::Fail);
    }

    #[test]
    fn race_rate_uses_the_interval_the_summary_carries() {
        let mut summary = empty_summary("s");
        let races = &mut summary.metrics.grace_races;
        (races.rate, races.ci95, races.method, races.replications_used) =
            (Some(0.2), Some([0.15, 0.25]), Some(IntervalMethod::RatioT), 12);
        (races.hits, races.members, races.null_reason) = (80, 400, None);
        let verdict = verdict_of("race_rate", "< 0.3", &summary);
        assert_eq!((verdict.outcome, verdict.bound_used), (SloOutcome::Pass, Some(0.25)));
        assert!(verdict.explanation.ends_with("(observed 0.2000 (80 of 400); ratio-t over 12 replications)"));
    }

    #[test]
    fn figures_that_never_occurred_get_no_verdict_and_inconsistent_ones_are_undecided() {
        let summary = empty_summary("s");
        let verdict = verdict_of("lockout_rate", "< 0.05", &summary);
        assert_eq!((verdict.outcome, verdict.observed, verdict.bound_used), (SloOutcome::NotApplicable, None, None));
        assert_eq!(verdict_table(std::slice::from_ref(&verdict)).split_whitespace().next(), Some("N/A"));
        assert!(verdict.explanation.contains("no member-driven device unbind"), "{}", verdict.explanation);
        assert!(verdict_of("race_rate", "< 0.05", &summary).explanation.contains("no member was targeted"));
        let mut broken = summary.clone();
        (broken.metrics.lockout.overall.hits, broken.metrics.lockout.overall.trials) = (7, 5);
        let verdict = verdict_of("lockout_rate", "< 0.05", &broken);
        assert_eq!(verdict.outcome, SloOutcome::Undecided);
        assert!(verdict.explanation.contains("7 hits out of 5 trials"));
    }

    /// A report of `count` batches whose p99 is `value` with interval
    /// [`low`, `high`] (`None`: beyond the horizon, above 30 days).
    fn latency_with_p99(count: u64, value: Option<u64>, low: Option<u64>, high: Option<u64>) -> LatencyReport {
        let mut report = latency(count, 1_000);
        report.largest_censoring_ms = Some(30 * 86_400_000);
        let p99 = report.percentiles.get_mut("p99").expect("fixture has p99");
        (p99.value, p99.beyond_horizon, p99.ci95) = (value, value.is_none(), Some([low, high]));
        report
    }

    #[test]
    fn latency_quantile_is_decided_on_its_interval() {
        let mut summary = empty_summary("s");
        summary.metrics.batch_latency_ms = latency(411, 164_160_000);
        let pass = verdict_of("batch_latency_p99", "2d", &summary);
        assert_eq!(
            (pass.outcome, pass.observed, pass.bound_used),
            (SloOutcome::Pass, Some(164_160_000.0), Some(164_160_000.0))
        );
        assert_eq!(pass.explanation, "p99 95 % interval [1.9d, 1.9d] <= 2d (observed p99 = 1.9d over 411 batches)");
        let fail = verdict_of("batch_latency_p99", "< 1d", &summary);
        assert_eq!(fail.outcome, SloOutcome::Fail);
        assert!(fail.explanation.starts_with("p99 95 % interval [1.9d, 1.9d] >= 1d: the whole interval"));
        summary.metrics.batch_latency_ms = latency_with_p99(411, Some(3_600_000), Some(1_800_000), Some(7_200_000));
        let straddles = verdict_of("batch_latency_p99", "1h", &summary);
        assert_eq!(straddles.outcome, SloOutcome::Undecided, "the point passes, the interval does not");
        assert!(straddles.explanation.contains("[30.0min, 2.0h] straddles 1h"), "{}", straddles.explanation);
        assert_eq!(verdict_of("batch_latency_p99", ">= 10min", &summary).outcome, SloOutcome::Pass);
    }

    #[test]
    fn a_percentile_beyond_the_horizon_never_passes_an_upper_limit() {
        let mut summary = empty_summary("s");
        summary.metrics.batch_latency_ms = latency_with_p99(400, None, None, None);
        let verdict = verdict_of("batch_latency_p99", "1h", &summary);
        assert_eq!((verdict.outcome, verdict.observed, verdict.bound_used), (SloOutcome::Fail, None, None));
        assert!(verdict.explanation.contains("[> 30.0d (beyond the horizon), > 30.0d"), "{}", verdict.explanation);
        // Beyond 30 days says nothing about whether it is beyond 60.
        assert_eq!(verdict_of("batch_latency_p99", "60d", &summary).outcome, SloOutcome::Undecided);
        assert_eq!(verdict_of("batch_latency_p99", "> 1d", &summary).outcome, SloOutcome::Pass);
        summary.metrics.batch_latency_ms = latency_with_p99(400, Some(7_200_000), Some(3_600_000), None);
        assert_eq!(verdict_of("batch_latency_p99", "1d", &summary).outcome, SloOutcome::Undecided);
        assert_eq!(verdict_of("batch_latency_p99", "30min", &summary).outcome, SloOutcome::Fail);
    }

    #[test]
    fn latency_quantile_needs_enough_batches_and_an_interval() {
        let mut summary = empty_summary("s");
        summary.metrics.revocation_latency_ms = latency(99, 1_000);
        let verdict = verdict_of("revocation_latency_p99", "1h", &summary);
        assert_eq!(verdict.outcome, SloOutcome::Undecided);
        assert!(verdict.explanation.contains("p99 needs at least 100 batches (observed p99 = 1.0s over 99 batches)"));
        assert_eq!(verdict_of("revocation_latency_p90", "1h", &summary).outcome, SloOutcome::Pass);
        summary.metrics.revocation_latency_ms = latency(1, 1_000);
        assert_eq!(verdict_of("revocation_latency_max", "1h", &summary).outcome, SloOutcome::Pass);
        summary.metrics.revocation_latency_ms = latency(10, 1_000);
        let p50 = summary.metrics.revocation_latency_ms.percentiles.get_mut("p50").expect("fixture has p50");
        (p50.ci95, p50.ci95_null_reason) = (None, Some("needs 10 replications".into()));
        let verdict = verdict_of("revocation_latency_p50", "1h", &summary);
        assert_eq!(verdict.outcome, SloOutcome::Undecided);
        assert!(verdict.explanation.starts_with("no interval to decide on: needs 10 replications"));
    }

    #[test]
    fn a_rate_fixed_by_the_rules_passes_or_fails_for_certain() {
        let mut summary = summary_with_lockouts(1000, 1000);
        let rule = "every device locks out here: 1 by construction".to_owned();
        crate::metrics::by_construction::fixed(&mut summary.metrics.lockout.overall, rule);
        let failed = verdict_of("lockout_rate", "< 0.5", &summary);
        assert_eq!((failed.outcome, failed.observed), (SloOutcome::Fail, Some(1.0)));
        assert_eq!(
            failed.explanation,
            "fixed at 1.0000 >= 0.5 by the scenario's rules: every device locks out here: 1 by construction"
        );
        assert_eq!(verdict_of("lockout_rate", "<= 1", &summary).outcome, SloOutcome::Pass);
    }

    #[test]
    fn latency_notes_unfinished_batches_and_null_figures() {
        let mut summary = empty_summary("s");
        let verdict = verdict_of("batch_latency_p50", "1h", &summary);
        assert_eq!(verdict.outcome, SloOutcome::NotApplicable);
        assert!(verdict.explanation.contains("no batch was decided before the horizon"));
        summary.metrics.batch_latency_ms = LatencyReport { incomplete: 3, ..latency(10, 500) };
        let verdict = verdict_of("batch_latency_p50", "1h", &summary);
        assert!(verdict.explanation.ends_with(", 3 unfinished at the horizon and counted as censored)"));
    }

    #[test]
    fn table_has_one_aligned_line_per_verdict_and_failures_are_found() {
        let summary = summary_with_lockouts(72, 1000);
        let slos = [parse_slo("lockout_rate", "< 0.10").unwrap(), parse_slo("residue_probability", "< 0.5").unwrap()];
        let verdicts = evaluate(&slos, &summary);
        let table = verdict_table(&verdicts);
        let lines: Vec<&str> = table.lines().collect();
        assert_eq!(lines.len(), 2);
        assert!(
            lines[0].starts_with("  PASS       lockout_rate < 0.10        upper 95 % bound 0.0929 < 0.10"),
            "{table}"
        );
        assert!(lines[1].starts_with("  N/A        residue_probability < 0.5  no verdict: no member"), "{table}");
        assert!(!any_failed(&verdicts));
        let failing = evaluate(&[parse_slo("lockout_rate", "< 0.01").unwrap()], &summary);
        assert!(any_failed(&failing));
        assert_eq!(verdict_table(&[]), "");
    }

    #[test]
    fn verdicts_serialise_with_lowercase_outcomes() {
        let verdict = verdict_of("lockout_rate", "< 0.10", &summary_with_lockouts(72, 1000));
        let json = serde_json::to_value(&verdict).unwrap();
        assert_eq!(json["outcome"], "pass");
        let parsed: Verdict = serde_json::from_value(json).unwrap();
        assert_eq!(parsed, verdict);
    }

    #[test]
    fn durations_print_readably() {
        assert_eq!(format_duration_ms(850.0), "850ms");
        assert_eq!(format_duration_ms(164_160_000.0), "1.9d");
    }
}

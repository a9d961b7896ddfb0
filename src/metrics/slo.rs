//! Evaluating a scenario's service-level objectives against a run's
//! summary, conservatively. A rate objective passes only when the bound of
//! its Wilson 95 % interval on the unfavourable side satisfies it, fails
//! only when even the favourable bound violates it (the whole interval lies
//! on the wrong side), and is undecided otherwise. A latency objective
//! compares the point percentile the summary holds, and is undecided when
//! too few batches finished for that percentile to mean anything.
//!
//! Also owns the rate estimates read back from a summary ([`RateEstimate`])
//! and the number formats that `regression` shares.

use super::interval::{Z95, wilson_interval};
use super::latency::format_duration_ms;
use super::proportion::ProportionReport;
use super::summary::{LatencyReport, RaceReport, Summary};
use crate::scenario::{Comparison, Slo, SloMetric};
use serde::{Deserialize, Serialize};
use std::fmt::Write;

/// What an objective's evaluation concluded.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum SloOutcome {
    Pass,
    Fail,
    /// The data cannot tell: too few samples, or no figure at all.
    Undecided,
}

impl SloOutcome {
    /// The upper-case word tables print.
    pub fn label(self) -> &'static str {
        match self {
            SloOutcome::Pass => "PASS",
            SloOutcome::Fail => "FAIL",
            SloOutcome::Undecided => "UNDECIDED",
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
    /// In words: which value was compared with what, and why.
    pub explanation: String,
}

/// Evaluates every objective against `summary`, in order.
pub fn evaluate(slos: &[Slo], summary: &Summary) -> Vec<Verdict> {
    slos.iter().map(|slo| evaluate_one(slo, summary)).collect()
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

/// Samples a quantile needs before its point value means anything:
/// `1 / (1 - q)` rounded up (p99 needs 100), and 1 for the maximum.
pub fn minimum_samples_for_quantile(quantile_permille: u16) -> u64 {
    match quantile_permille {
        1000.. => 1,
        permille => 1000_u64.div_ceil(1000 - u64::from(permille)),
    }
}

fn evaluate_one(slo: &Slo, summary: &Summary) -> Verdict {
    match slo.metric {
        SloMetric::Latency { revocation, quantile_permille } => {
            evaluate_latency(slo, latency_report(summary, revocation), quantile_permille)
        }
        rate_metric => evaluate_rate(slo, rate_estimate(rate_metric, summary)),
    }
}

// ---------------------------------------------------------------- rates

/// A rate read back from a summary: its point value and Wilson 95 %
/// interval, with the counts behind them.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(super) struct RateEstimate {
    pub rate: f64,
    pub low: f64,
    pub high: f64,
    /// Hits, where the summary records them (the overall race rate does not).
    pub hits: Option<u64>,
    pub trials: u64,
}

impl RateEstimate {
    /// The estimate of `hits` out of `trials`, recomputed exactly; the
    /// error says why there is none.
    pub(super) fn from_counts(hits: u64, trials: u64, null_reason: Option<&str>) -> Result<RateEstimate, String> {
        if trials == 0 {
            return Err(null_reason.unwrap_or("no trials").to_owned());
        }
        let (low, high) = wilson_interval(hits, trials, Z95)
            .ok_or_else(|| format!("inconsistent figure: {hits} hits out of {trials} trials"))?;
        Ok(RateEstimate { rate: hits as f64 / trials as f64, low, high, hits: Some(hits), trials })
    }

    pub(super) fn from_proportion(report: &ProportionReport) -> Result<RateEstimate, String> {
        RateEstimate::from_counts(report.hits, report.trials, report.null_reason.as_deref())
    }

    /// The overall race rate carries no hit count: its rate and interval
    /// are taken as the summary wrote them.
    pub(super) fn from_race_report(report: &RaceReport) -> Result<RateEstimate, String> {
        let no_rate = || report.null_reason.clone().unwrap_or_else(|| "no member was targeted".to_owned());
        match (report.rate, report.ci95) {
            (Some(rate), Some([low, high])) if report.members > 0 && low <= high => {
                Ok(RateEstimate { rate, low, high, hits: None, trials: report.members })
            }
            (Some(_), Some(_)) => {
                Err("inconsistent figure: the race rate's interval or member count is invalid".into())
            }
            _ => Err(no_rate()),
        }
    }

    /// `0.0720 (72 of 1000)`, or `0.0720 (of 1000)` without a hit count.
    pub(super) fn describe(&self) -> String {
        match self.hits {
            Some(hits) => format!("{} ({hits} of {})", format_rate(self.rate), self.trials),
            None => format!("{} (of {})", format_rate(self.rate), self.trials),
        }
    }
}

/// The estimate of a rate objective's figure in `summary`; an error with
/// the reason when there is none (or `metric` is a latency).
pub(super) fn rate_estimate(metric: SloMetric, summary: &Summary) -> Result<RateEstimate, String> {
    let metrics = &summary.metrics;
    match metric {
        SloMetric::LockoutRate => RateEstimate::from_proportion(&metrics.lockout.overall),
        SloMetric::ResidueProbability => {
            let residue = &metrics.residue;
            RateEstimate::from_counts(residue.hits, residue.trials, residue.null_reason.as_deref())
        }
        SloMetric::ResidueKind(kind) => metrics
            .residue
            .by_kind
            .get(kind.name())
            .ok_or_else(|| format!("the summary has no figure for residue kind `{}`", kind.name()))
            .and_then(RateEstimate::from_proportion),
        SloMetric::RaceRate => RateEstimate::from_race_report(&metrics.grace_races),
        SloMetric::RaceKind(kind) => metrics
            .grace_races
            .by_kind
            .get(kind.name())
            .ok_or_else(|| format!("the summary has no figure for race kind `{}`", kind.name()))
            .and_then(|report| RateEstimate::from_proportion(&report.rate)),
        SloMetric::Latency { .. } => Err("a latency is not a rate".into()),
    }
}

fn evaluate_rate(slo: &Slo, estimate: Result<RateEstimate, String>) -> Verdict {
    let estimate = match estimate {
        Ok(estimate) => estimate,
        Err(reason) => return undecided(slo, None, format!("no figure to compare: {reason}")),
    };
    let (favourable, unfavourable) = bounds_by_side(slo.comparison, &estimate);
    let threshold = threshold_text(slo);
    let observed = format!("(observed {})", estimate.describe());
    let (outcome, bound, explanation) = if slo.comparison.holds(unfavourable.value, slo.threshold) {
        let words = format!("{} {} {threshold} {observed}", unfavourable.words(), slo.comparison.symbol());
        (SloOutcome::Pass, unfavourable.value, words)
    } else if !slo.comparison.holds(favourable.value, slo.threshold) {
        let symbol = negated_symbol(slo.comparison);
        let words = format!("{} {symbol} {threshold}: the whole interval violates it {observed}", favourable.words());
        (SloOutcome::Fail, favourable.value, words)
    } else {
        let interval = format!("[{}, {}]", format_rate(estimate.low), format_rate(estimate.high));
        let words = format!("too few samples to decide: {interval} straddles {threshold} {observed}");
        (SloOutcome::Undecided, unfavourable.value, words)
    };
    Verdict { objective: slo.to_string(), outcome, observed: Some(estimate.rate), bound_used: Some(bound), explanation }
}

/// One bound of a 95 % interval, named for explanations.
struct Bound {
    value: f64,
    side: &'static str,
}

impl Bound {
    fn words(&self) -> String {
        format!("{} 95 % bound {}", self.side, format_rate(self.value))
    }
}

/// The interval's bounds as (favourable, unfavourable) for `comparison`:
/// for an upper limit the upper bound is the unfavourable one.
fn bounds_by_side(comparison: Comparison, estimate: &RateEstimate) -> (Bound, Bound) {
    let lower = Bound { value: estimate.low, side: "lower" };
    let upper = Bound { value: estimate.high, side: "upper" };
    if comparison.wants_large() { (upper, lower) } else { (lower, upper) }
}

/// The symbol that holds exactly when `comparison` does not.
fn negated_symbol(comparison: Comparison) -> &'static str {
    match comparison {
        Comparison::Below => ">=",
        Comparison::AtMost => ">",
        Comparison::Above => "<=",
        Comparison::AtLeast => "<",
    }
}

/// The threshold as the scenario wrote it, without its comparison.
fn threshold_text(slo: &Slo) -> &str {
    slo.text.trim_start_matches(['<', '>', '=', ' '])
}

fn undecided(slo: &Slo, observed: Option<f64>, explanation: String) -> Verdict {
    Verdict { objective: slo.to_string(), outcome: SloOutcome::Undecided, observed, bound_used: None, explanation }
}

// -------------------------------------------------------------- latency

fn latency_report(summary: &Summary, revocation: bool) -> &LatencyReport {
    if revocation { &summary.metrics.revocation_latency_ms } else { &summary.metrics.batch_latency_ms }
}

/// The point value of a quantile the summary holds, in milliseconds.
pub(super) fn latency_point(report: &LatencyReport, quantile_permille: u16) -> Option<u64> {
    match quantile_permille {
        500 => report.p50,
        900 => report.p90,
        990 => report.p99,
        999 => report.p999,
        1000 => report.max,
        _ => None,
    }
}

/// `p50`, `p90`, `p99`, `p99.9` or `max`.
pub(super) fn quantile_name(quantile_permille: u16) -> String {
    match quantile_permille {
        1000 => "max".to_owned(),
        permille if permille % 10 == 0 => format!("p{}", permille / 10),
        permille => format!("p{}.{}", permille / 10, permille % 10),
    }
}

fn evaluate_latency(slo: &Slo, report: &LatencyReport, quantile_permille: u16) -> Verdict {
    let name = quantile_name(quantile_permille);
    let Some(value) = latency_point(report, quantile_permille) else {
        let reason = report.null_reason.clone().unwrap_or_else(|| format!("the summary holds no {name}"));
        return undecided(slo, None, format!("no figure to compare: {reason}"));
    };
    let value_ms = value as f64;
    let needed = minimum_samples_for_quantile(quantile_permille);
    if report.count < needed {
        let words = format!(
            "too few samples to decide: {name} needs at least {needed} batches, only {} finished (observed {name} = {})",
            report.count,
            format_duration_ms(value_ms)
        );
        return undecided(slo, Some(value_ms), words);
    }
    let (outcome, symbol) = if slo.comparison.holds(value_ms, slo.threshold) {
        (SloOutcome::Pass, slo.comparison.symbol())
    } else {
        (SloOutcome::Fail, negated_symbol(slo.comparison))
    };
    let explanation = format!(
        "{name} = {} over {} batches {symbol} {} (point percentile, 3 significant digits){}",
        format_duration_ms(value_ms),
        report.count,
        threshold_text(slo),
        unfinished_note(report)
    );
    Verdict { objective: slo.to_string(), outcome, observed: Some(value_ms), bound_used: None, explanation }
}

/// Batches still running at the horizon are not in the percentiles.
fn unfinished_note(report: &LatencyReport) -> String {
    match report.incomplete {
        0 => String::new(),
        1 => "; 1 batch unfinished at the horizon is not in it".to_owned(),
        unfinished => format!("; {unfinished} batches unfinished at the horizon are not in it"),
    }
}

// -------------------------------------------------------------- numbers

/// A rate with four decimals, or in scientific notation when smaller
/// than 0.001 (so tiny rates do not print as zero).
pub(super) fn format_rate(rate: f64) -> String {
    if rate == 0.0 || rate.abs() >= 0.001 { format!("{rate:.4}") } else { format!("{rate:.2e}") }
}

#[cfg(test)]
pub(super) mod tests {
    use super::*;
    use crate::metrics::{Proportion, RunInfo, Timing};
    use crate::model::{RaceKind, ResidueKind};
    use crate::scenario::parse_slo;

    /// A summary of no replications (every figure null) to fill in.
    pub(in crate::metrics) fn empty_summary(scenario: &str) -> Summary {
        let info = RunInfo {
            scenario: scenario.to_owned(),
            description: String::new(),
            seed: 7,
            members: 1000,
            replications: 0,
            horizon: "30d".to_owned(),
            parameters: serde_json::Value::Null,
        };
        let timing = Timing { wall_ms: 0.0, replication_ms: 0.0, events_per_sec: 0.0, threads: 1, host: String::new() };
        Summary::build(info, &[], timing)
    }

    /// A batch latency report with `count` batches and every quantile `ms`.
    pub(in crate::metrics) fn latency(count: u64, ms: u64) -> LatencyReport {
        LatencyReport {
            count,
            mean: Some(ms as f64),
            p50: Some(ms),
            p90: Some(ms),
            p99: Some(ms),
            p999: Some(ms),
            max: Some(ms),
            min: Some(ms),
            batches: count,
            incomplete: 0,
            null_reason: None,
        }
    }

    fn verdict_of(key: &str, text: &str, summary: &Summary) -> Verdict {
        let slo = parse_slo(key, text).expect("valid objective");
        evaluate(&[slo], summary).remove(0)
    }

    fn summary_with_lockouts(hits: u64, trials: u64) -> Summary {
        let mut summary = empty_summary("s");
        summary.metrics.lockout.overall = Proportion::new(hits, trials).report("unused");
        summary
    }

    #[test]
    fn rate_passes_when_the_upper_bound_is_below_the_threshold() {
        let verdict = verdict_of("lockout_rate", "< 0.10", &summary_with_lockouts(72, 1000));
        let (_, high) = wilson_interval(72, 1000, Z95).unwrap();
        assert_eq!(verdict.outcome, SloOutcome::Pass);
        assert_eq!(verdict.objective, "lockout_rate < 0.10");
        assert_eq!(verdict.observed, Some(0.072));
        assert_eq!(verdict.bound_used, Some(high));
        assert_eq!(verdict.explanation, format!("upper 95 % bound {high:.4} < 0.10 (observed 0.0720 (72 of 1000))"));
    }

    #[test]
    fn rate_fails_only_when_the_whole_interval_violates_the_objective() {
        let verdict = verdict_of("lockout_rate", "< 0.05", &summary_with_lockouts(72, 1000));
        let (low, _) = wilson_interval(72, 1000, Z95).unwrap();
        assert!(low > 0.05);
        assert_eq!(verdict.outcome, SloOutcome::Fail);
        assert_eq!(verdict.bound_used, Some(low));
        assert!(verdict.explanation.starts_with(&format!("lower 95 % bound {low:.4} >= 0.05")));
    }

    #[test]
    fn rate_is_undecided_when_the_interval_straddles_the_threshold() {
        let verdict = verdict_of("lockout_rate", "< 0.08", &summary_with_lockouts(72, 1000));
        assert_eq!(verdict.outcome, SloOutcome::Undecided);
        assert!(verdict.explanation.starts_with("too few samples to decide: [0.0576, 0.0897] straddles 0.08"));
    }

    #[test]
    fn point_estimate_below_threshold_is_not_enough_to_pass() {
        let verdict = verdict_of("lockout_rate", "< 0.05", &summary_with_lockouts(1, 30));
        assert_eq!(verdict.outcome, SloOutcome::Undecided);
    }

    #[test]
    fn lower_limits_use_the_lower_bound_to_pass_and_the_upper_to_fail() {
        let mut summary = empty_summary("s");
        let report = &mut summary.metrics.grace_races.by_kind.get_mut(RaceKind::TokenAfterDisable.name()).unwrap().rate;
        *report = Proportion::new(500, 1000).report("unused");
        let (low, high) = wilson_interval(500, 1000, Z95).unwrap();
        let pass = verdict_of("token_after_disable_rate", ">= 0.4", &summary);
        assert_eq!((pass.outcome, pass.bound_used), (SloOutcome::Pass, Some(low)));
        let fail = verdict_of("token_after_disable_rate", "> 0.6", &summary);
        assert_eq!((fail.outcome, fail.bound_used), (SloOutcome::Fail, Some(high)));
        assert!(fail.explanation.starts_with("upper 95 % bound 0.5309 <= 0.6"));
        assert_eq!(verdict_of("token_after_disable_rate", "> 0.51", &summary).outcome, SloOutcome::Undecided);
    }

    #[test]
    fn residue_figures_are_read_from_their_reports() {
        let mut summary = empty_summary("s");
        summary.metrics.residue.hits = 10;
        summary.metrics.residue.trials = 1000;
        summary
            .metrics
            .residue
            .by_kind
            .insert(ResidueKind::Credentials.name().into(), Proportion::new(900, 1000).report(""));
        assert_eq!(verdict_of("residue_probability", "<= 0.05", &summary).outcome, SloOutcome::Pass);
        assert_eq!(verdict_of("residue_credentials_probability", "<= 0.5", &summary).outcome, SloOutcome::Fail);
    }

    #[test]
    fn race_rate_uses_the_interval_the_summary_carries() {
        let mut summary = empty_summary("s");
        let races = &mut summary.metrics.grace_races;
        (races.rate, races.ci95, races.members, races.null_reason) = (Some(0.2), Some([0.15, 0.25]), 400, None);
        let verdict = verdict_of("race_rate", "< 0.3", &summary);
        assert_eq!((verdict.outcome, verdict.bound_used), (SloOutcome::Pass, Some(0.25)));
        assert!(verdict.explanation.ends_with("(observed 0.2000 (of 400))"));
    }

    #[test]
    fn missing_or_inconsistent_figures_are_undecided_with_the_reason() {
        let summary = empty_summary("s");
        let verdict = verdict_of("lockout_rate", "< 0.05", &summary);
        assert_eq!((verdict.outcome, verdict.observed, verdict.bound_used), (SloOutcome::Undecided, None, None));
        assert!(verdict.explanation.contains("no member-driven device unbind"), "{}", verdict.explanation);
        assert!(verdict_of("race_rate", "< 0.05", &summary).explanation.contains("no member was targeted"));
        let mut broken = summary.clone();
        (broken.metrics.lockout.overall.hits, broken.metrics.lockout.overall.trials) = (7, 5);
        let verdict = verdict_of("lockout_rate", "< 0.05", &broken);
        assert_eq!(verdict.outcome, SloOutcome::Undecided);
        assert!(verdict.explanation.contains("7 hits out of 5 trials"));
    }

    #[test]
    fn minimum_samples_follow_one_over_one_minus_q() {
        let needed: Vec<u64> = [500, 900, 990, 999, 1000].map(minimum_samples_for_quantile).to_vec();
        assert_eq!(needed, [2, 10, 100, 1000, 1]);
        assert_eq!(minimum_samples_for_quantile(u16::MAX), 1);
    }

    #[test]
    fn latency_quantile_is_compared_as_a_point_value() {
        let mut summary = empty_summary("s");
        summary.metrics.batch_latency_ms = latency(411, 164_160_000);
        let pass = verdict_of("batch_latency_p99", "2d", &summary);
        assert_eq!((pass.outcome, pass.observed, pass.bound_used), (SloOutcome::Pass, Some(164_160_000.0), None));
        assert_eq!(pass.explanation, "p99 = 1.9d over 411 batches <= 2d (point percentile, 3 significant digits)");
        let fail = verdict_of("batch_latency_p99", "< 1d", &summary);
        assert_eq!(fail.outcome, SloOutcome::Fail);
        assert!(fail.explanation.starts_with("p99 = 1.9d over 411 batches >= 1d"));
    }

    #[test]
    fn latency_quantile_needs_enough_batches() {
        let mut summary = empty_summary("s");
        summary.metrics.revocation_latency_ms = latency(99, 1_000);
        let verdict = verdict_of("revocation_latency_p99", "1h", &summary);
        assert_eq!(verdict.outcome, SloOutcome::Undecided);
        assert!(verdict.explanation.contains("p99 needs at least 100 batches, only 99 finished"));
        assert_eq!(verdict_of("revocation_latency_p90", "1h", &summary).outcome, SloOutcome::Pass);
        summary.metrics.revocation_latency_ms = latency(1, 1_000);
        assert_eq!(verdict_of("revocation_latency_max", "1h", &summary).outcome, SloOutcome::Pass);
    }

    #[test]
    fn latency_notes_unfinished_batches_and_null_figures() {
        let mut summary = empty_summary("s");
        let verdict = verdict_of("batch_latency_p50", "1h", &summary);
        assert_eq!(verdict.outcome, SloOutcome::Undecided);
        assert!(verdict.explanation.contains("no batch was decided before the horizon"));
        summary.metrics.batch_latency_ms = LatencyReport { incomplete: 3, ..latency(10, 500) };
        let verdict = verdict_of("batch_latency_p50", "1h", &summary);
        assert!(verdict.explanation.ends_with("; 3 batches unfinished at the horizon are not in it"));
    }

    #[test]
    fn quantile_names_match_the_summary() {
        assert_eq!([500, 990, 999, 1000].map(quantile_name), ["p50", "p99", "p99.9", "max"]);
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
            lines[0].starts_with("  PASS       lockout_rate < 0.10        upper 95 % bound 0.0897 < 0.10"),
            "{table}"
        );
        assert!(lines[1].starts_with("  UNDECIDED  residue_probability < 0.5  no figure to compare"), "{table}");
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
    fn numbers_print_readably() {
        assert_eq!(format_rate(0.072), "0.0720");
        assert_eq!(format_rate(0.0), "0.0000");
        assert_eq!(format_rate(0.000012), "1.20e-5");
        assert_eq!(format_duration_ms(850.0), "850ms");
        assert_eq!(format_duration_ms(164_160_000.0), "1.9d");
    }
}

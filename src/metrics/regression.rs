//! The regression gate: a run checked against a baseline run of the same
//! scenario, replication by replication. A summary keeps each comparable
//! figure per replication (`replication_figures`), so the gate tests what
//! `compare` tests: paired differences (the exact sign-flip test over the
//! replications that differ) when both runs share seed, replication count
//! and org draw, so that replication *i* of each saw the same people;
//! Welch's t on two independent samples otherwise.
//!
//! Holm's step-down adjustment runs over the gated figures, so an unchanged
//! model trips the gate at most 5 % of the time however many figures are
//! gated. A figure is WORSE only when its adjusted p-value is below 5 % and
//! its whole 95 % interval lies beyond the noise threshold (a share of the
//! baseline's value, as criterion's) in the worse direction; BETTER the
//! same way round. A baseline of another scenario, org size, horizon,
//! workload kind or summary layout is refused, not compared.

use super::compare::{Estimate, FigureComparison, Pairing, Test, compare_figures, compared_figures, comparison_key};
use super::figures::format_rate;
use super::latency::format_duration_ms;
use super::proportion::round9;
use super::significance::holm_adjusted_where_reachable;
use super::summary::{RunInfo, Summary};
use crate::model::WorkloadKind;
use crate::scenario::{Figure, Latency, Quantile, Unit};
use serde::{Deserialize, Serialize};
use std::fmt::Write;

/// The family-wise level of the gate.
const ALPHA: f64 = 0.05;

/// The noise threshold when none is given: a change smaller than 1 % of
/// the baseline's value is never a regression.
pub const DEFAULT_NOISE_THRESHOLD: f64 = 0.01;

/// The figures gated when neither `--gate` nor the scenario's objectives
/// name any: the three headline rates, the share fully unbound, and the
/// batch latency's median and p99.
pub fn default_gated_figures() -> Vec<Figure> {
    vec![
        Figure::LockoutRate,
        Figure::ResidueProbability,
        Figure::RaceRate,
        Figure::DoneShare,
        Figure::LatencyQuantile(Latency::Batch, Quantile::P50),
        Figure::LatencyQuantile(Latency::Batch, Quantile::P99),
    ]
}

/// Whether the gate can check `figure`: it must be one a summary keeps
/// replication by replication.
pub fn is_gateable(figure: Figure) -> bool {
    compared_figures().contains(&figure)
}

/// The names `--gate` accepts, for its error message.
pub fn gateable_names() -> Vec<String> {
    compared_figures().into_iter().map(Figure::name).collect()
}

/// What the gate checks and how much change it ignores.
#[derive(Clone, Debug, PartialEq)]
pub struct Gate {
    pub figures: Vec<Figure>,
    /// A difference within this share of the baseline's value is noise.
    pub noise_threshold: f64,
}

/// How a figure moved from the baseline to the current run.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Change {
    Worse,
    Better,
    /// No difference the data can show beyond the noise threshold.
    Indistinguishable,
    /// One side has no figure, or nothing varied that a test could use.
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
    /// The mean over the baseline's replications.
    pub baseline: Option<f64>,
    /// The mean over this run's replications.
    pub current: Option<f64>,
    /// Current − baseline, with its 95 % interval.
    pub difference: Option<Estimate>,
    pub test: Option<Test>,
    pub p_value: Option<f64>,
    /// Holm-adjusted over the gated figures that have a p-value.
    pub p_holm: Option<f64>,
    pub change: Change,
    /// In words: the two values, the difference and its interval, the test, the reason.
    pub explanation: String,
}

/// Refuses a baseline that is not a run of the same experiment as
/// `current`: another scenario, org size, horizon or workload kind.
pub fn check_baseline(current: &RunInfo, baseline: &Summary) -> Result<(), String> {
    // The kind is the one kind table under `workload`, as the file writes it.
    let workload = |parameters: &serde_json::Value| {
        let tables = parameters.get("workload").and_then(|workload| workload.as_object())?;
        tables.keys().find(|key| WorkloadKind::names().contains(&key.as_str())).cloned()
    };
    let mismatch = if current.scenario != baseline.scenario {
        Some(format!("is a run of scenario `{}`, not `{}`", baseline.scenario, current.scenario))
    } else if current.members != baseline.members {
        Some(format!("has {} members, this run {}", baseline.members, current.members))
    } else if current.horizon != baseline.horizon {
        Some(format!("is read at horizon {}, this run at {}", baseline.horizon, current.horizon))
    } else if workload(&current.parameters) != workload(&baseline.parameters) {
        Some(format!(
            "has workload kind {}, this run {}",
            workload(&baseline.parameters).unwrap_or_default(),
            workload(&current.parameters).unwrap_or_default()
        ))
    } else {
        None
    };
    mismatch.map_or(Ok(()), |why| Err(format!("the baseline {why}: only runs of one scenario and size compare")))
}

/// How the baseline's replications relate to the current run's.
fn pairing(current: &Summary, baseline: &Summary) -> Pairing {
    let same_streams =
        current.seed == baseline.seed && current.replications == baseline.replications && current.org == baseline.org;
    if same_streams { Pairing::Paired } else { Pairing::Independent }
}

/// Checks every figure of `gate` of `current` against `baseline` (which
/// `check_baseline` accepted).
pub fn compare_to_baseline(current: &Summary, baseline: &Summary, gate: &Gate) -> Vec<RegressionCheck> {
    let pairing = pairing(current, baseline);
    let comparison = compare_figures(&baseline.figures_of_replications(), &current.figures_of_replications(), pairing);
    let compared: Vec<Option<&FigureComparison>> =
        gate.figures.iter().map(|figure| comparison.figures.get(&comparison_key(*figure))).collect();
    let tests: Vec<_> = compared.iter().flatten().filter_map(|figure| figure.discrete_test()).collect();
    let mut adjusted = holm_adjusted_where_reachable(&tests, ALPHA).0.into_iter();
    gate.figures
        .iter()
        .zip(compared)
        .map(|(figure, compared)| {
            let p_holm = compared.and_then(|c| c.p_value).and_then(|_| adjusted.next());
            check_figure(*figure, compared, p_holm, gate.noise_threshold, pairing)
        })
        .collect()
}

/// One gated figure's verdict from its comparison.
fn check_figure(
    figure: Figure,
    compared: Option<&FigureComparison>,
    p_holm: Option<f64>,
    noise_threshold: f64,
    pairing: Pairing,
) -> RegressionCheck {
    let metric = figure.name();
    let Some(compared) = compared else {
        let explanation = "neither run produced this figure in any replication".to_owned();
        return RegressionCheck::not_comparable(metric, explanation);
    };
    let (baseline, current) = (compared.a.map(|a| a.mean), compared.b.map(|b| b.mean));
    let (Some(difference), Some(p_holm)) = (compared.difference, p_holm) else {
        let reason = compared.null_reason.clone().unwrap_or_else(|| "no test was possible".to_owned());
        return RegressionCheck { baseline, current, ..RegressionCheck::not_comparable(metric, reason) };
    };
    let margin = noise_threshold * baseline.unwrap_or(0.0).abs();
    let change = change_of(figure, &difference, p_holm, margin);
    let explanation = explain(figure, compared, &difference, p_holm, margin, pairing, change);
    RegressionCheck {
        metric,
        baseline,
        current,
        difference: Some(difference),
        test: compared.test,
        p_value: compared.p_value,
        p_holm: Some(round9(p_holm)),
        change,
        explanation,
    }
}

impl RegressionCheck {
    fn not_comparable(metric: String, explanation: String) -> RegressionCheck {
        RegressionCheck {
            metric,
            baseline: None,
            current: None,
            difference: None,
            test: None,
            p_value: None,
            p_holm: None,
            change: Change::NotComparable,
            explanation,
        }
    }
}

/// Worse (or better) when the adjusted test rejects and the whole interval
/// — the point difference where no interval could be given — lies beyond
/// `margin` on that side.
fn change_of(figure: Figure, difference: &Estimate, p_holm: f64, margin: f64) -> Change {
    let sign = if figure.higher_is_worse() { 1.0 } else { -1.0 };
    let [low, high] = difference.ci95.unwrap_or([difference.mean; 2]).map(|bound| bound * sign);
    let (worse_low, worse_high) = (low.min(high), low.max(high));
    if p_holm >= ALPHA {
        Change::Indistinguishable
    } else if worse_low > margin {
        Change::Worse
    } else if worse_high < -margin {
        Change::Better
    } else {
        Change::Indistinguishable
    }
}

fn explain(
    figure: Figure,
    compared: &FigureComparison,
    difference: &Estimate,
    p_holm: f64,
    margin: f64,
    pairing: Pairing,
    change: Change,
) -> String {
    let unit = figure.unit();
    let side = |estimate: Option<Estimate>| estimate.map_or("none".to_owned(), |e| format_value(unit, e.mean));
    let mut words =
        format!("{} → {}; difference {}", side(compared.a), side(compared.b), signed(unit, difference.mean));
    match difference.ci95 {
        Some([low, high]) => write!(words, " [{}, {}]", signed(unit, low), signed(unit, high)),
        None => write!(words, " (no interval: {})", compared.null_reason.as_deref().unwrap_or("no spread")),
    }
    .expect("writing to a String");
    let test = match pairing {
        Pairing::Independent => "independent replications",
        Pairing::Paired | Pairing::SameModel => "paired replications",
    };
    let p = compared.p_value.unwrap_or(1.0);
    write!(words, "; {test}, p {p:.4}, Holm p {p_holm:.4}").expect("writing to a String");
    if change == Change::Indistinguishable && p_holm < ALPHA {
        write!(words, "; within the noise threshold ({})", format_value(unit, margin)).expect("writing to a String");
    }
    words
}

fn format_value(unit: Unit, value: f64) -> String {
    match unit {
        Unit::Milliseconds => format_duration_ms(value.abs()),
        Unit::Fraction => format_rate(value.abs()),
        Unit::Batches | Unit::Members | Unit::Events | Unit::Grants | Unit::Days | Unit::Requests => {
            format!("{:.2}", value.abs())
        }
    }
}

/// A difference with its sign: `+0.0230`, `-1.5h`.
fn signed(unit: Unit, difference: f64) -> String {
    let sign = if difference < 0.0 { "-" } else { "+" };
    format!("{sign}{}", format_value(unit, difference))
}

/// Whether any figure got worse.
pub fn any_regression(checks: &[RegressionCheck]) -> bool {
    checks.iter().any(|check| check.change == Change::Worse)
}

/// The names of the figures that got worse, for a failure message.
pub fn regressed_figures(checks: &[RegressionCheck]) -> Vec<&str> {
    checks.iter().filter(|check| check.change == Change::Worse).map(|check| check.metric.as_str()).collect()
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::metrics::fixtures::empty_summary;

    /// A summary of `scenario` whose replications gave `values` of the
    /// lockout rate and of the done share.
    fn summary(seed: u64, lockout: &[f64], done: &[f64]) -> Summary {
        let mut summary = empty_summary("s");
        summary.seed = seed;
        summary.replications = lockout.len() as u32;
        let column = |values: &[f64]| values.iter().map(|v| Some(*v)).collect();
        summary.replication_figures.insert("lockout_rate".to_owned(), column(lockout));
        summary.replication_figures.insert("done_share".to_owned(), column(done));
        summary
    }

    fn gate(figures: &[Figure]) -> Gate {
        Gate { figures: figures.to_vec(), noise_threshold: DEFAULT_NOISE_THRESHOLD }
    }

    const BASE: [f64; 10] = [0.10, 0.12, 0.08, 0.11, 0.09, 0.10, 0.13, 0.07, 0.10, 0.10];

    fn shifted(by: f64) -> Vec<f64> {
        BASE.iter().zip(0..).map(|(v, i)| v + by + f64::from(i) * 1e-4).collect()
    }

    #[test]
    fn the_same_run_is_indistinguishable() {
        let base = summary(1, &BASE, &BASE);
        let checks = compare_to_baseline(&base, &base.clone(), &gate(&[Figure::LockoutRate, Figure::DoneShare]));
        assert!(checks.iter().all(|c| c.change == Change::Indistinguishable), "{checks:?}");
        assert!(!any_regression(&checks));
    }

    #[test]
    fn a_paired_rise_in_every_replication_is_worse_and_named() {
        let (base, current) = (summary(1, &BASE, &BASE), summary(1, &shifted(0.02), &shifted(0.02)));
        let checks = compare_to_baseline(&current, &base, &gate(&[Figure::LockoutRate, Figure::DoneShare]));
        // Ten positive paired differences: 2 of 1024 sign patterns are as
        // extreme (p = 0.00195); Holm over two figures doubles the smaller.
        let lockout = &checks[0];
        assert_eq!(
            (lockout.change, lockout.test, lockout.p_value),
            (Change::Worse, Some(Test::SignFlipExact), Some(0.001953125))
        );
        assert_eq!(lockout.p_holm, Some(0.00390625));
        assert_eq!(checks[1].change, Change::Better, "a higher done share is better: {:?}", checks[1]);
        assert_eq!(regressed_figures(&checks), ["lockout_rate"]);
    }

    #[test]
    fn a_rise_within_the_noise_threshold_is_not_a_regression() {
        let (base, current) = (summary(1, &BASE, &BASE), summary(1, &shifted(0.0005), &BASE));
        let wide = Gate { figures: vec![Figure::LockoutRate], noise_threshold: 0.05 };
        let check = &compare_to_baseline(&current, &base, &wide)[0];
        assert_eq!(check.change, Change::Indistinguishable, "{check:?}");
        assert!(check.explanation.contains("within the noise threshold"), "{}", check.explanation);
        let strict = Gate { figures: vec![Figure::LockoutRate], noise_threshold: 0.0 };
        assert_eq!(compare_to_baseline(&current, &base, &strict)[0].change, Change::Worse);
    }

    #[test]
    fn another_seed_is_compared_as_independent_samples() {
        let (base, current) = (summary(1, &BASE, &BASE), summary(2, &shifted(0.002), &BASE));
        let check = &compare_to_baseline(&current, &base, &gate(&[Figure::LockoutRate]))[0];
        assert_eq!((check.test, check.change), (Some(Test::WelchT), Change::Indistinguishable), "{check:?}");
        let far = summary(2, &shifted(0.05), &BASE);
        assert_eq!(compare_to_baseline(&far, &base, &gate(&[Figure::LockoutRate]))[0].change, Change::Worse);
    }

    #[test]
    fn holm_runs_over_the_gated_figures_only() {
        let (base, current) = (summary(1, &BASE, &BASE), summary(1, &shifted(0.02), &shifted(0.02)));
        let alone = &compare_to_baseline(&current, &base, &gate(&[Figure::LockoutRate]))[0];
        assert_eq!(alone.p_holm, alone.p_value);
    }

    #[test]
    fn a_figure_neither_run_has_is_not_comparable() {
        let base = summary(1, &BASE, &BASE);
        let check = &compare_to_baseline(&base, &base.clone(), &gate(&[Figure::RaceRate]))[0];
        assert_eq!(check.change, Change::NotComparable);
        assert!(check.explanation.contains("neither run"), "{}", check.explanation);
    }

    #[test]
    fn another_scenario_size_or_horizon_is_refused() {
        let base = summary(1, &BASE, &BASE);
        let info = |scenario: &str, members: u64, horizon: &str| RunInfo {
            scenario: scenario.to_owned(),
            description: String::new(),
            seed: 9,
            members,
            replications: 10,
            org: base.org,
            horizon: horizon.to_owned(),
            parameters: base.parameters.clone(),
        };
        assert_eq!(check_baseline(&info("s", base.members, &base.horizon), &base), Ok(()));
        for (other, words) in [
            (info("t", base.members, &base.horizon), "scenario `s`, not `t`"),
            (info("s", base.members + 1, &base.horizon), "members"),
            (info("s", base.members, "1d"), "horizon"),
        ] {
            let error = check_baseline(&other, &base).unwrap_err();
            assert!(error.contains(words), "{error}");
        }
    }

    #[test]
    fn only_per_replication_figures_are_gateable() {
        assert!(is_gateable(Figure::LockoutRate));
        assert!(!is_gateable(Figure::Events));
        assert!(default_gated_figures().into_iter().all(is_gateable));
        assert!(gateable_names().contains(&"batch_latency_p99".to_owned()));
    }

    #[test]
    fn changes_serialise_in_kebab_case() {
        assert_eq!(serde_json::to_string(&Change::NotComparable).unwrap(), "\"not-comparable\"");
    }
}

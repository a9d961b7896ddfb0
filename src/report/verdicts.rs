//! The verdicts a summary carries (`verdicts` in `summary.json`, and in
//! `--format json`): each objective's figure, comparison, threshold,
//! estimate, interval, verdict and reason, and each figure the baseline
//! check gated, so a program reads them without parsing tables.

use crate::metrics::{Change, Gate, RegressionCheck, SloOutcome, Summary, Verdict};
use crate::scenario::Slo;
use serde::Serialize;

/// Every verdict on one summary: none when it has no objectives and no
/// baseline (or it was interrupted, and nothing was judged).
#[derive(Clone, Debug, Default, Serialize)]
pub struct SummaryVerdicts {
    pub objectives: Vec<ObjectiveVerdict>,
    pub baseline: Option<BaselineVerdicts>,
}

/// One objective of `[slo]`, judged.
#[derive(Clone, Debug, Serialize)]
pub struct ObjectiveVerdict {
    /// The objective as written (`lockout_rate < 0.05`).
    pub objective: String,
    /// The figure, named as in `[slo]` (`lockout_rate`, `batch_latency_p99`).
    pub figure: String,
    /// `<`, `<=`, `>` or `>=`.
    pub comparison: &'static str,
    /// In the figure's unit: a share, or milliseconds for a latency.
    pub threshold: f64,
    /// The point figure.
    pub estimate: Option<f64>,
    /// The interval the verdict rests on (a latency bound beyond the horizon is null).
    pub interval: Option<[Option<f64>; 2]>,
    pub verdict: SloOutcome,
    pub reason: String,
}

/// The baseline check of one summary.
#[derive(Clone, Debug, Serialize)]
pub struct BaselineVerdicts {
    pub baseline_seed: u64,
    pub baseline_replications: u32,
    /// A change smaller than this share of the baseline is never a regression.
    pub noise_threshold: f64,
    pub checks: Vec<BaselineVerdict>,
}

/// One gated figure against the baseline.
#[derive(Clone, Debug, Serialize)]
pub struct BaselineVerdict {
    pub figure: String,
    pub baseline: Option<f64>,
    /// This run's mean over its replications.
    pub estimate: Option<f64>,
    /// This run − the baseline.
    pub difference: Option<f64>,
    /// The difference's 95 % interval.
    pub interval: Option<[f64; 2]>,
    /// Holm-adjusted over the gated figures.
    pub p_holm: Option<f64>,
    /// `worse`, `better`, `indistinguishable` or `not-comparable`.
    pub verdict: Change,
    pub reason: String,
}

impl ObjectiveVerdict {
    /// The verdict on `slo`.
    pub fn new(slo: &Slo, verdict: &Verdict) -> ObjectiveVerdict {
        ObjectiveVerdict {
            objective: verdict.objective.clone(),
            figure: slo.key.clone(),
            comparison: slo.comparison.symbol(),
            threshold: slo.threshold,
            estimate: verdict.observed,
            interval: verdict.interval,
            verdict: verdict.outcome,
            reason: verdict.explanation.clone(),
        }
    }
}

impl BaselineVerdicts {
    /// The checks of a run against `baseline` through `gate`.
    pub fn new(baseline: &Summary, gate: &Gate, checks: &[RegressionCheck]) -> BaselineVerdicts {
        let checks = checks
            .iter()
            .map(|check| BaselineVerdict {
                figure: check.metric.clone(),
                baseline: check.baseline,
                estimate: check.current,
                difference: check.difference.as_ref().map(|d| d.mean),
                interval: check.difference.as_ref().and_then(|d| d.ci95),
                p_holm: check.p_holm,
                verdict: check.change,
                reason: check.explanation.clone(),
            })
            .collect();
        BaselineVerdicts {
            baseline_seed: baseline.seed,
            baseline_replications: baseline.replications,
            noise_threshold: gate.noise_threshold,
            checks,
        }
    }
}

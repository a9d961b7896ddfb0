//! Comparing two policies replication by replication. Each replication
//! yields a set of figures (rates, latency percentiles); with common random
//! numbers replication *i* of A and of B see the same people, so the paired
//! differences B−A have a small spread and a narrow Student-t interval. The
//! independent alternative (Welch) is there to show how much pairing buys.

use super::figures::quantile_ms;
use super::interval::{mean_ci95, student_t_975};
use super::latency::LatencyHistogram;
use super::proportion::{Proportion, round9};
use super::record::{ReplicationCounts, ReplicationRecord};
use super::summary::latency_report;
use crate::model::{Platform, RaceKind, ResidueKind};
use crate::scenario::{Figure, Latency, Quantile};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// The figures a comparison shows, where a replication has them.
fn compared_figures() -> Vec<Figure> {
    let mut figures = vec![Figure::LockoutRate, Figure::ResidueProbability, Figure::RaceRate];
    figures.extend(Platform::ALL.map(Figure::PlatformLockoutRate));
    figures.extend(ResidueKind::ALL.map(Figure::ResidueKindProbability));
    figures.push(Figure::GrantResidueProbability);
    figures.extend(RaceKind::ALL.map(Figure::RaceKindRate));
    figures.push(Figure::DoneShare);
    for latency in Latency::ALL {
        figures.extend([Quantile::P50, Quantile::P99].map(|quantile| Figure::LatencyQuantile(latency, quantile)));
        figures.push(Figure::LatencyMean(latency));
    }
    figures
}

/// The figures of one replication, by name.
fn replication_figures(record: &ReplicationRecord) -> BTreeMap<String, f64> {
    compared_figures()
        .into_iter()
        .filter_map(|figure| Some((figure.name(), replication_value(figure, record)?)))
        .collect()
}

/// The value of `figure` in one replication, computed from its exact
/// counts (a summary rounds the overall race rate and keeps no hit count
/// for it): rates as hits over trials, none without trials; latencies
/// from the histograms, none without a finished batch.
fn replication_value(figure: Figure, record: &ReplicationRecord) -> Option<f64> {
    let counts = &record.counts;
    let share = |hits, trials| Proportion { hits, trials }.rate();
    match figure {
        Figure::LatencyQuantile(latency, quantile) => {
            quantile_ms(&latency_report(histogram(counts, latency), 0, 0), quantile).map(|ms| ms as f64)
        }
        Figure::LatencyMean(latency) => latency_report(histogram(counts, latency), 0, 0).mean,
        Figure::LatencyUnfinished(Latency::Batch) => Some(counts.batches_incomplete as f64),
        Figure::LatencyUnfinished(Latency::Revocation) => Some(counts.batches_unrevoked as f64),
        Figure::LockoutRate => {
            let mut lockouts = Proportion::default();
            counts.lockouts.iter().for_each(|platform| lockouts.merge(*platform));
            lockouts.rate()
        }
        Figure::PlatformLockoutRate(platform) => counts.lockouts[platform.index()].rate(),
        Figure::ResidueProbability => counts.residue_members.rate(),
        Figure::ResidueKindProbability(kind) => {
            share(counts.residue_by_kind[kind.index()], counts.residue_members.trials)
        }
        Figure::GrantResidueProbability => counts.residue_grants.rate(),
        Figure::RaceRate => counts.members_raced.rate(),
        Figure::RaceKindRate(kind) => counts.races[kind.index()].units.rate(),
        Figure::DoneShare => share(counts.done, counts.done + counts.pending + counts.locked_out + counts.rolled_back),
        Figure::Done => Some(counts.done as f64),
        Figure::Pending => Some(counts.pending as f64),
        Figure::Events => Some(record.events as f64),
    }
}

fn histogram(counts: &ReplicationCounts, latency: Latency) -> &LatencyHistogram {
    match latency {
        Latency::Batch => &counts.batch_latency,
        Latency::Revocation => &counts.revocation_latency,
    }
}

/// A mean over replications with its 95 % interval.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct Estimate {
    pub mean: f64,
    pub ci95: Option<[f64; 2]>,
    pub replications: usize,
}

/// One figure compared: A, B, and the difference B−A.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct FigureComparison {
    pub a: Option<Estimate>,
    pub b: Option<Estimate>,
    /// Mean of B−A with its 95 % interval (paired t, or Welch when independent).
    pub difference: Option<Estimate>,
    /// The interval excludes zero.
    pub significant: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub null_reason: Option<String>,
}

/// Compares every figure both sides produced in at least two replications.
pub fn compare_records(
    a: &[ReplicationRecord],
    b: &[ReplicationRecord],
    paired: bool,
) -> BTreeMap<String, FigureComparison> {
    let a_figures: Vec<_> = a.iter().map(replication_figures).collect();
    let b_figures: Vec<_> = b.iter().map(replication_figures).collect();
    let names: std::collections::BTreeSet<String> =
        a_figures.iter().chain(&b_figures).flat_map(|f| f.keys().cloned()).collect();
    names
        .into_iter()
        .map(|name| {
            let a_values: Vec<f64> = a_figures.iter().filter_map(|f| f.get(&name).copied()).collect();
            let b_values: Vec<f64> = b_figures.iter().filter_map(|f| f.get(&name).copied()).collect();
            let comparison = if paired {
                let pairs: Vec<f64> = a_figures
                    .iter()
                    .zip(&b_figures)
                    .filter_map(|(fa, fb)| Some(fb.get(&name)? - fa.get(&name)?))
                    .collect();
                compare_figure(&a_values, &b_values, difference_paired(&pairs))
            } else {
                compare_figure(&a_values, &b_values, difference_welch(&a_values, &b_values))
            };
            (name, comparison)
        })
        .collect()
}

fn estimate(values: &[f64]) -> Option<Estimate> {
    match values.len() {
        0 => None,
        1 => Some(Estimate { mean: round9(values[0]), ci95: None, replications: 1 }),
        _ => mean_ci95(values).map(|ci| Estimate {
            mean: round9(ci.mean),
            ci95: Some([round9(ci.low), round9(ci.high)]),
            replications: ci.n,
        }),
    }
}

fn compare_figure(a: &[f64], b: &[f64], difference: Option<Estimate>) -> FigureComparison {
    let significant = difference.and_then(|d| d.ci95).map(|[low, high]| low > 0.0 || high < 0.0);
    let null_reason = difference.is_none().then(|| match (a.len(), b.len()) {
        (0, _) | (_, 0) => "only one side produced this figure".to_owned(),
        _ => "fewer than two replications produced it on both sides".to_owned(),
    });
    FigureComparison { a: estimate(a), b: estimate(b), difference, significant, null_reason }
}

/// Mean of paired differences with a Student-t interval.
fn difference_paired(differences: &[f64]) -> Option<Estimate> {
    if differences.len() < 2 {
        return None;
    }
    estimate(differences)
}

/// Difference of two independent means with Welch's interval.
fn difference_welch(a: &[f64], b: &[f64]) -> Option<Estimate> {
    let (ca, cb) = (mean_ci95(a)?, mean_ci95(b)?);
    let variance_of_mean = |ci: &super::interval::MeanInterval| {
        let se = (ci.high - ci.low) / 2.0 / student_t_975(ci.n as u64 - 1);
        se * se
    };
    let (va, vb) = (variance_of_mean(&ca), variance_of_mean(&cb));
    let mean = cb.mean - ca.mean;
    let se = (va + vb).sqrt();
    let df = if se == 0.0 {
        (ca.n + cb.n - 2) as f64
    } else {
        (va + vb).powi(2) / (va * va / (ca.n - 1) as f64 + vb * vb / (cb.n - 1) as f64)
    };
    let half = student_t_975(df.floor().max(1.0) as u64) * se;
    Some(Estimate {
        mean: round9(mean),
        ci95: Some([round9(mean - half), round9(mean + half)]),
        replications: ca.n.min(cb.n),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::Stop;
    use crate::model::{Count, Observations};

    /// Replication `index` with `hits` lockouts out of 10 on the first
    /// platform and a batch that took `index + 1` seconds.
    fn record(index: u32, hits: u64) -> ReplicationRecord {
        let mut observations = Observations::default();
        observations.lockouts_by_platform[0] = Count { hits, trials: 10 };
        observations.batch_latencies_us = vec![u64::from(index + 1) * 1_000_000];
        ReplicationRecord::new(index, 100, Stop::Horizon, &observations)
    }

    #[test]
    fn identical_replications_differ_by_exactly_zero_and_not_significantly() {
        let records: Vec<ReplicationRecord> =
            [1, 2, 4, 3].into_iter().zip(0..).map(|(hits, i)| record(i, hits)).collect();
        let figures = compare_records(&records, &records.clone(), true);
        assert!(figures.len() >= 2, "{figures:?}");
        for (name, comparison) in &figures {
            let (a, b) = (comparison.a.unwrap(), comparison.b.unwrap());
            assert_eq!(a, b, "{name}");
            assert_eq!(a.replications, 4, "{name}");
            let difference = comparison.difference.unwrap();
            assert_eq!((difference.mean, difference.ci95), (0.0, Some([0.0, 0.0])), "{name}");
            assert_eq!(comparison.significant, Some(false), "{name}");
        }
        assert_eq!(figures["lockout_rate"].a.unwrap().mean, 0.25);
    }

    #[test]
    fn welch_interval_is_wider_than_paired_for_correlated_values() {
        let a = [0.10, 0.20, 0.30, 0.40, 0.50];
        let b = [0.12, 0.21, 0.33, 0.41, 0.52];
        let paired: Vec<f64> = a.iter().zip(&b).map(|(x, y)| y - x).collect();
        let paired = difference_paired(&paired).unwrap().ci95.unwrap();
        let welch = difference_welch(&a, &b).unwrap().ci95.unwrap();
        assert!(welch[1] - welch[0] > 10.0 * (paired[1] - paired[0]));
        assert!(paired[0] > 0.0, "the paired difference is significant");
    }
}

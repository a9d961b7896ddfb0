//! The latency part of a summary: percentiles of batch and revocation
//! latency from a Kaplan–Meier estimate that counts every batch unfinished
//! at the horizon as censored there (see `survival`), each with a 95 %
//! bootstrap interval over replications, the share unfinished and why, and
//! per admin tier where the workload has tiers.

use super::congestion::CongestedPool;
use super::interval::{Level, Minimum, mean_over_replications_needing};
use super::latency::{LatencyHistogram, LatencySummary};
use super::proportion::round9;
use super::record::{CensoredRecord, ReplicationCounts, ReplicationRecord};
use super::survival::{Bootstrap, IntervalBound, KmQuantile, LifeTable};
use crate::model::Unfinished;
use crate::scenario::Quantile;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// Batches expected above a percentile for it to get an interval.
pub const MIN_BATCHES_BEYOND: f64 = 10.0;

/// Percentiles of batch latencies, or nulls with the reason.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct LatencyReport {
    /// Batches that finished before the horizon.
    pub count: u64,
    /// Mean over the finished batches only.
    pub mean: Option<f64>,
    /// The mean's 95 % interval across replications (ratio of each
    /// replication's sum to its count of finished batches).
    #[serde(default)]
    pub mean_ci95: Option<[f64; 2]>,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub mean_ci95_null_reason: Option<String>,
    /// Kaplan–Meier percentiles; null beyond the horizon (see `percentiles`).
    pub p50: Option<u64>,
    pub p90: Option<u64>,
    pub p99: Option<u64>,
    pub p999: Option<u64>,
    pub max: Option<u64>,
    /// Shortest finished latency.
    pub min: Option<u64>,
    /// Batches measured, and how many had not finished at the horizon.
    pub batches: u64,
    pub incomplete: u64,
    /// `incomplete / batches`.
    pub unfinished_share: Option<f64>,
    /// Unfinished batches by reason (`never_checked_in`, `locked_out`,
    /// `no_auto_logout`, `rolled_back`, `horizon`), those seen only.
    pub unfinished_reasons: BTreeMap<String, u64>,
    /// Longest censoring time (horizon − decision) in ms: a percentile
    /// beyond the horizon lies above it.
    pub largest_censoring_ms: Option<u64>,
    /// Every percentile (`p50`, `p90`, `p99`, `p999`, `max`) with its
    /// interval.
    pub percentiles: BTreeMap<String, PercentileReport>,
    /// Per admin tier (`super`, `department`, `app`, `escalated`), where
    /// the workload has tiers.
    #[serde(skip_serializing_if = "BTreeMap::is_empty", default)]
    pub by_tier: BTreeMap<String, LatencyReport>,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub null_reason: Option<String>,
}

/// One percentile: its Kaplan–Meier value, and its 95 % interval from a
/// seeded bootstrap over replications (a null bound lies beyond the
/// horizon).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct PercentileReport {
    pub value: Option<u64>,
    /// The estimate never falls this far before the largest censoring time.
    pub beyond_horizon: bool,
    pub ci95: Option<[IntervalBound; 2]>,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub ci95_null_reason: Option<String>,
}

impl LatencyReport {
    /// The percentile `quantile`, if the report has batches.
    pub fn percentile(&self, quantile: Quantile) -> Option<&PercentileReport> {
        self.percentiles.get(quantile.key())
    }
}

/// The share of batches finished that a percentile stands for.
pub fn quantile_fraction(quantile: Quantile) -> f64 {
    match quantile {
        Quantile::P50 => 0.5,
        Quantile::P90 => 0.9,
        Quantile::P99 => 0.99,
        Quantile::P999 => 0.999,
        Quantile::Max => 1.0,
    }
}

/// The report of finished latencies alone, as if nothing were censored:
/// `batches` measured, `incomplete` of them unfinished. Percentiles are
/// the histogram's; there are no intervals.
pub fn latency_report(histogram: &LatencyHistogram, batches: u64, incomplete: u64) -> LatencyReport {
    let summary: Option<LatencySummary> = histogram.summary();
    let null_reason = summary.is_none().then(|| match batches {
        0 => "no batch was decided before the horizon".to_owned(),
        _ => format!("none of the {batches} batches finished before the horizon"),
    });
    LatencyReport {
        count: histogram.count(),
        mean: summary.as_ref().map(|s| s.mean),
        mean_ci95: None,
        mean_ci95_null_reason: None,
        p50: summary.as_ref().map(|s| s.p50),
        p90: summary.as_ref().map(|s| s.p90),
        p99: summary.as_ref().map(|s| s.p99),
        p999: summary.as_ref().map(|s| s.p999),
        max: summary.as_ref().map(|s| s.max),
        min: summary.as_ref().map(|s| s.min),
        batches,
        incomplete,
        unfinished_share: (batches > 0).then(|| round9(incomplete as f64 / batches as f64)),
        unfinished_reasons: BTreeMap::new(),
        largest_censoring_ms: None,
        percentiles: BTreeMap::new(),
        by_tier: BTreeMap::new(),
        null_reason,
    }
}

/// Which latency of a record.
#[derive(Clone, Copy, Debug)]
enum Measured {
    Batch,
    Revocation,
    /// Batch latency of the tier at this slot of `BatchTier::ALL`.
    Tier(usize),
    /// Lock to recovery of locked-out accounts.
    Lockout,
    /// Decision to the end of an offboarded member's last access path.
    Exposure,
    /// Revocation to the end of a grant's acceptance window.
    TokenWindow,
    /// Waits in the pool at this slot of the records' `queues`.
    QueueWait(usize),
}

impl Measured {
    /// The fewest replications the mean's interval is computed from:
    /// [`LATENCY_MEAN_MINIMUM`] for a batch's latency (as a whole, by
    /// tier, to revocation), the default for the rest, whose units are many
    /// per replication.
    fn mean_minimum(self) -> Minimum {
        match self {
            Measured::Batch | Measured::Revocation | Measured::Tier(_) => LATENCY_MEAN_MINIMUM,
            Measured::Lockout | Measured::Exposure | Measured::TokenWindow | Measured::QueueWait(_) => Minimum::DEFAULT,
        }
    }

    /// The congested pool that makes its tail, if any: for a pool's wait
    /// that pool, for a latency that includes waits in every pool
    /// (approvers, officers, re-binders) the busiest; none for those that
    /// start after the pools.
    fn congested_pool(self, totals: &ReplicationCounts) -> Option<CongestedPool> {
        match self {
            Measured::QueueWait(slot) => CongestedPool::at(totals, slot),
            Measured::Batch | Measured::Revocation | Measured::Tier(_) | Measured::Exposure => {
                CongestedPool::busiest(totals)
            }
            Measured::Lockout | Measured::TokenWindow => None,
        }
    }

    /// What it counts, in the words of a reason.
    fn units(self) -> &'static str {
        match self {
            Measured::Batch | Measured::Revocation | Measured::Tier(_) => "batches",
            Measured::Lockout => "lockouts",
            Measured::Exposure => "offboarded members",
            Measured::TokenWindow => "revoked grants",
            Measured::QueueWait(_) => "requests",
        }
    }

    /// The finished and censored times; none for a pool the record lacks.
    fn of(self, counts: &ReplicationCounts) -> Option<(&LatencyHistogram, &CensoredRecord)> {
        Some(match self {
            Measured::Batch => (&counts.batch_latency, &counts.batch_censored),
            Measured::Revocation => (&counts.revocation_latency, &counts.revocation_censored),
            Measured::Tier(slot) => {
                let tier = &counts.batch_by_tier[slot];
                (&tier.finished, &tier.censored)
            }
            Measured::Lockout => (&counts.lockout_duration, &counts.lockout_censored),
            Measured::Exposure => (&counts.exposure.ended, &counts.exposure.censored),
            Measured::TokenWindow => (&counts.exposure.tokens.ended, &counts.exposure.tokens.censored),
            Measured::QueueWait(slot) => {
                let queue = counts.queues.get(slot)?;
                (&queue.wait, &queue.waiting_at_horizon)
            }
        })
    }
}

/// Batch and revocation latency of `totals` (every replication's counts
/// added up), with intervals from the bootstrap of `replications` seeded
/// by the run's `seed`.
pub fn latency_reports(
    totals: &ReplicationCounts,
    replications: &[ReplicationRecord],
    seed: u64,
    level: Level,
) -> (LatencyReport, LatencyReport) {
    let bootstrap = Bootstrap::new(seed, replications.len().max(1), level);
    let report = |measured| censored_report(measured, totals, replications, &bootstrap);
    let mut batch = report(Measured::Batch);
    batch.by_tier = totals
        .batch_by_tier
        .iter()
        .enumerate()
        .filter(|(_, tier)| tier.finished.count() + tier.censored.times.count() > 0)
        .map(|(slot, tier)| (tier.tier.clone(), report(Measured::Tier(slot))))
        .collect();
    (batch, report(Measured::Revocation))
}

/// How long lockouts lasted, lock to recovery, with those still locked
/// out at the horizon censored there: a latency report whose "batches"
/// are lockouts, its intervals from the same bootstrap as the latencies'.
pub fn lockout_duration_report(
    totals: &ReplicationCounts,
    replications: &[ReplicationRecord],
    seed: u64,
    level: Level,
) -> LatencyReport {
    let over = (totals, replications, seed, level);
    counted_report(Measured::Lockout, over, "no account was locked out before the horizon")
}

/// Offboarded members' exposure windows, decision to the end of the last
/// live path, with those still exposed at the horizon censored there: a
/// latency report whose "batches" are members.
pub fn exposure_window_report(
    totals: &ReplicationCounts,
    replications: &[ReplicationRecord],
    seed: u64,
    level: Level,
) -> LatencyReport {
    let over = (totals, replications, seed, level);
    counted_report(Measured::Exposure, over, "no member was offboarded before the horizon")
}

/// Revoked grants' acceptance windows, revocation to the app's last
/// acceptance, grants still accepted at the horizon censored there.
pub fn token_window_report(
    totals: &ReplicationCounts,
    replications: &[ReplicationRecord],
    seed: u64,
    level: Level,
) -> LatencyReport {
    let over = (totals, replications, seed, level);
    counted_report(Measured::TokenWindow, over, "no grant was revoked before the horizon")
}

/// Waits in the pool at `slot` of the records' `queues`, arrival to a
/// server taking the request, with those still in line at the horizon
/// censored there: a latency report whose "batches" are requests.
pub fn queue_wait_report(
    slot: usize,
    totals: &ReplicationCounts,
    replications: &[ReplicationRecord],
    seed: u64,
    level: Level,
) -> LatencyReport {
    let over = (totals, replications, seed, level);
    counted_report(Measured::QueueWait(slot), over, "the pool took no request before the horizon")
}

/// A censored report of `measured` over (totals, replications, seed,
/// level), null with `none` where nothing was measured.
fn counted_report(
    measured: Measured,
    (totals, replications, seed, level): (&ReplicationCounts, &[ReplicationRecord], u64, Level),
    none: &str,
) -> LatencyReport {
    let bootstrap = Bootstrap::new(seed, replications.len().max(1), level);
    let mut report = censored_report(measured, totals, replications, &bootstrap);
    if report.batches == 0 {
        report.null_reason = Some(none.to_owned());
    }
    report
}

/// Fewest replications with finished batches a latency mean's interval
/// is computed from. The mean rests on the rarest, longest batches (one
/// that waits for a device's 60-day auto-logout), which ten replications
/// often hold none of, and nothing in them says so: measured with
/// `benches/coverage.sh` (`results/replications.md`), gdpr-export's mean
/// batch latency covered 63 % at 10 replications, 80 % at 20 and 94 % at
/// 40. The percentiles, from a bootstrap of the survival curves, need
/// only [`MIN_REPLICATIONS`](super::MIN_REPLICATIONS).
const LATENCY_MEAN_MINIMUM: Minimum = Minimum {
    replications: 40,
    why: Some("a latency mean rests on its rarest, longest batches, which fewer replications often miss"),
};

fn censored_report(
    measured: Measured,
    totals: &ReplicationCounts,
    replications: &[ReplicationRecord],
    bootstrap: &Bootstrap,
) -> LatencyReport {
    let empty = (LatencyHistogram::new(), CensoredRecord::none());
    let (finished, censored) = measured.of(totals).unwrap_or((&empty.0, &empty.1));
    let incomplete = censored.times.count();
    let mut report = latency_report(finished, finished.count() + incomplete, incomplete);
    report.unfinished_reasons = Unfinished::ALL
        .iter()
        .zip(&censored.by_reason)
        .filter(|(_, count)| **count > 0)
        .map(|(reason, count)| (reason.name().to_owned(), *count))
        .collect();
    report.largest_censoring_ms = censored.times.summary().map(|s| s.max);
    let per_replication: Vec<(f64, u64)> = replications
        .iter()
        .map(|record| match measured.of(&record.counts) {
            Some((finished, _)) => {
                (finished.mean_ms().map_or(0.0, |mean| mean * finished.count() as f64), finished.count())
            }
            None => (0.0, 0),
        })
        .collect();
    match mean_over_replications_needing(
        &per_replication,
        "finished batches",
        measured.mean_minimum(),
        bootstrap.level(),
    ) {
        Ok(ci) => report.mean_ci95 = Some([round9(ci.low), round9(ci.high)]),
        Err(reason) => report.mean_ci95_null_reason = Some(reason),
    }
    let fractions = Quantile::ALL.map(quantile_fraction);
    let Some(points) = LifeTable::new(finished, &censored.times).quantiles(&fractions) else { return report };
    let tables: Vec<LifeTable> = replications
        .iter()
        .map(|record| {
            measured
                .of(&record.counts)
                .map_or_else(LifeTable::default, |(finished, censored)| LifeTable::new(finished, &censored.times))
        })
        .collect();
    let intervals = bootstrap.intervals(&tables, &fractions);
    let congested = measured.congested_pool(totals);
    for (slot, (&quantile, point)) in Quantile::ALL.iter().zip(points).enumerate() {
        let value = match point {
            KmQuantile::At(ms) => Some(ms),
            KmQuantile::Beyond => None,
        };
        *point_of(&mut report, quantile) = value;
        // An interval reaching beyond the horizon needs no values above it,
        // nor rare congested stretches to push its upper bound up.
        let interval = intervals.as_ref().map_err(Clone::clone).and_then(|all| match all[slot] {
            [_, Some(_)] => tail_too_thin(quantile, report.batches, measured.units())
                .or_else(|| congested.as_ref().and_then(|pool| pool.tail_needs_more(quantile, replications.len())))
                .map_or(Ok(all[slot]), Err),
            beyond @ [_, None] => Ok(beyond),
        });
        let percentile = PercentileReport {
            value,
            beyond_horizon: point == KmQuantile::Beyond,
            ci95: interval.as_ref().ok().copied(),
            ci95_null_reason: interval.err(),
        };
        report.percentiles.insert(quantile.key().to_owned(), percentile);
    }
    report
}

/// Why `batches` (counted as `units`) are too few for a finite interval
/// of `quantile`: a bootstrap cannot reach beyond the largest values it
/// resamples, so it needs at least [`MIN_BATCHES_BEYOND`] batches expected
/// above the percentile.
fn tail_too_thin(quantile: Quantile, batches: u64, units: &str) -> Option<String> {
    let beyond = (1.0 - quantile_fraction(quantile)) * batches as f64;
    match quantile {
        Quantile::Max => Some("the largest latency has no interval: a bootstrap cannot see beyond it".to_owned()),
        Quantile::P50 | Quantile::P90 | Quantile::P99 | Quantile::P999 => {
            (beyond < MIN_BATCHES_BEYOND - 1e-9).then(|| {
                let needed = (MIN_BATCHES_BEYOND / (1.0 - quantile_fraction(quantile))).round();
                format!("an interval of {} needs at least {needed} {units}, this run has {batches}", quantile.label())
            })
        }
    }
}

fn point_of(report: &mut LatencyReport, quantile: Quantile) -> &mut Option<u64> {
    match quantile {
        Quantile::P50 => &mut report.p50,
        Quantile::P90 => &mut report.p90,
        Quantile::P99 => &mut report.p99,
        Quantile::P999 => &mut report.p999,
        Quantile::Max => &mut report.max,
    }
}

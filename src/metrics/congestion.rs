//! The rule for latency tails through a busy pool. A pool whose servers
//! are busy most of the time (compliance officers at 82 %) congests now and
//! then for days, and those stretches make the tail of every latency that
//! waits in it; a run of few replications often holds none of them, and
//! nothing in its data says so, so a bootstrap over its replications
//! builds a tail interval that misses the truth from below. Measured with
//! `benches/latency_coverage.py` (`results/latency-coverage.md`) and
//! `benches/coverage.sh` (`results/coverage.md`): a p90 through such a
//! pool gets an interval from [`CONGESTED_P90_MINIMUM`] replications, a p99
//! from [`CONGESTED_P99_MINIMUM`], a p99.9 none at all.

use super::record::ReplicationCounts;
use crate::scenario::Quantile;

/// Utilisation (service taken over servers × horizon, pooled over the
/// replications) from which a pool counts as congested. The lowest
/// measured to under-cover is 55 % (a pool's own wait p99: 82–85 % at 10
/// replications); every other built-in pool is below 3 % and covers.
pub const CONGESTED_UTILISATION: f64 = 0.5;

/// Fewest replications a p90 through a congested pool is given an interval
/// from: compliance-dual-control's p90s covered 86–87 % at 10 replications
/// (100 runs), 95–96 % at 40 (100 runs against a truth of 1 000).
pub const CONGESTED_P90_MINIMUM: usize = 40;

/// Fewest replications a p99 through a congested pool is given an interval
/// from: compliance-dual-control's p99s through its officers covered
/// 80–85 % at 10 replications and 87–89 % at 40 (100 runs, where the
/// medians covered 94–95 % against the same truth); at 100 as the medians
/// do (89–90 % against a truth of 1 000, whose own error is no longer small
/// beside intervals that narrow; 92.5–95 % in 40 runs against 2 000).
pub const CONGESTED_P99_MINIMUM: usize = 100;

/// The busiest pool of a run, when it is congested.
#[derive(Clone, Debug, PartialEq)]
pub struct CongestedPool {
    pub name: String,
    pub utilisation: f64,
}

impl CongestedPool {
    /// The pool of `totals` (every replication's counts added up) with the
    /// highest utilisation, if that reaches [`CONGESTED_UTILISATION`]: the
    /// one that makes the tail of a latency through every pool.
    pub fn busiest(totals: &ReplicationCounts) -> Option<CongestedPool> {
        (0..totals.queues.len())
            .filter_map(|slot| CongestedPool::at(totals, slot))
            .max_by(|a, b| a.utilisation.total_cmp(&b.utilisation))
    }

    /// The pool at `slot` of `totals`' queues, if it is congested: the one
    /// that makes the tail of its own wait.
    pub fn at(totals: &ReplicationCounts, slot: usize) -> Option<CongestedPool> {
        let queue = totals.queues.get(slot)?;
        let capacity_us = queue.capacity_us(totals.api.horizon_us);
        let utilisation = queue.busy_sum_us as f64 / capacity_us as f64;
        (capacity_us > 0 && utilisation >= CONGESTED_UTILISATION)
            .then(|| CongestedPool { name: queue.name.clone(), utilisation })
    }

    /// Why `quantile` of a latency that waits in this pool has no interval
    /// from `replications`: a p90 needs [`CONGESTED_P90_MINIMUM`], a p99
    /// [`CONGESTED_P99_MINIMUM`], a p99.9
    /// has none (its intervals covered 27–53 % at 10 replications, 68 % at
    /// 40 and 83 % at 100), the body of the distribution needs no more.
    pub fn tail_needs_more(&self, quantile: Quantile, replications: usize) -> Option<String> {
        let pool = || format!("the {} pool (utilisation {:.0} %)", self.name, 100.0 * self.utilisation);
        match quantile {
            Quantile::P90 | Quantile::P99 => {
                let minimum = if quantile == Quantile::P90 { CONGESTED_P90_MINIMUM } else { CONGESTED_P99_MINIMUM };
                (replications < minimum).then(|| {
                    format!(
                        "an interval of {} through {} needs at least {minimum} replications, this run has \
                         {replications}: the pool's rare congested stretches make the tail, and fewer \
                         replications often hold none",
                        quantile.label(),
                        pool()
                    )
                })
            }
            Quantile::P999 => Some(format!(
                "no interval of p99.9 through {}: the pool's rare congested stretches make it, and \
                 intervals from 10, 40 and 100 replications covered it in 53 %, 68 % and 83 % of runs",
                pool()
            )),
            Quantile::P50 | Quantile::Max => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::metrics::latency::LatencyHistogram;
    use crate::metrics::record::{CensoredRecord, QueueRecord};

    fn counts(pools: &[(&str, u32, u64)], horizon_us: u64) -> ReplicationCounts {
        let mut counts = ReplicationCounts::empty();
        counts.api.horizon_us = horizon_us;
        counts.queues = pools
            .iter()
            .map(|&(name, servers, busy_sum_us)| QueueRecord {
                name: name.to_owned(),
                servers,
                served: 1,
                wait_sum_us: 0,
                wait_max_us: 0,
                busy_sum_us,
                abandoned: 0,
                wait: LatencyHistogram::new(),
                waiting_at_horizon: CensoredRecord::none(),
            })
            .collect();
        counts
    }

    #[test]
    fn a_pool_counts_as_congested_from_the_threshold_on() {
        let horizon = 1_000_000;
        let busy = counts(&[("approvers", 3, 1_650_000), ("officers", 2, 1_640_000)], horizon);
        let pool = CongestedPool::busiest(&busy).expect("officers at 82 %");
        assert_eq!(pool.name, "officers");
        assert!((pool.utilisation - 0.82).abs() < 1e-12);
        assert_eq!(CongestedPool::at(&busy, 0).map(|pool| pool.name), Some("approvers".to_owned()));
        assert_eq!(CongestedPool::at(&busy, 2), None);
        let at_threshold = counts(&[("idle", 1, 0), ("officers", 2, 1_000_000)], horizon);
        assert_eq!(CongestedPool::busiest(&at_threshold).map(|pool| pool.name), Some("officers".to_owned()));
        assert_eq!(CongestedPool::at(&at_threshold, 0), None);
        let below = counts(&[("officers", 2, 999_999)], horizon);
        assert_eq!(CongestedPool::busiest(&below), None);
        assert_eq!(CongestedPool::busiest(&counts(&[], horizon)), None);
        assert_eq!(CongestedPool::busiest(&counts(&[("officers", 2, 5)], 0)), None);
        assert_eq!(CongestedPool::busiest(&counts(&[("nobody", 0, 5)], horizon)), None);
    }

    #[test]
    fn a_p90_or_p99_needs_more_replications_and_a_p999_has_no_interval() {
        let pool = CongestedPool { name: "compliance_officers".into(), utilisation: 0.816 };
        let reason = pool.tail_needs_more(Quantile::P99, 10).expect("p99 at 10 replications");
        assert!(reason.contains("p99 through the compliance_officers pool (utilisation 82 %)"), "{reason}");
        assert!(reason.contains("needs at least 100 replications, this run has 10"), "{reason}");
        assert!(pool.tail_needs_more(Quantile::P99, 99).is_some());
        assert_eq!(pool.tail_needs_more(Quantile::P99, 100), None);
        let p999 = pool.tail_needs_more(Quantile::P999, 1000).expect("no p99.9 interval at any size");
        assert!(p999.starts_with("no interval of p99.9 through the compliance_officers pool"), "{p999}");
        let p90 = pool.tail_needs_more(Quantile::P90, 39).expect("p90 at 39 replications");
        assert!(p90.starts_with("an interval of p90 through") && p90.contains("needs at least 40"), "{p90}");
        assert_eq!(pool.tail_needs_more(Quantile::P90, 40), None);
        assert_eq!(pool.tail_needs_more(Quantile::P50, 2), None);
        assert_eq!(pool.tail_needs_more(Quantile::Max, 2), None);
    }
}

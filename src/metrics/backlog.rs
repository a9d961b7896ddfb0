//! The admin console's backlog over time (`metrics.console_backlog`): the
//! members queued in console batches the console has not reached yet
//! (`model::ConsoleBacklog`), at fixed times from the start of the run
//! (the leak-risk points) and at each replication's peak, as the mean
//! across replications with its interval and the largest replication's
//! count. The per-replication `ConsoleBacklogRecord` adds up exactly, so
//! shards merge into the figures of an unsharded run.

use super::interval::{Level, mean_over_replications};
use super::proportion::round9;
use super::record::ReplicationRecord;
use crate::engine::SimDuration;
use crate::model::ConsoleBacklog;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// The backlog's counts over replications: sums (for the mean), maxima,
/// and the replications that saw each point.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct ConsoleBacklogRecord {
    /// Members ever queued for the console (0: no console was used).
    pub queued: u64,
    /// The peak: summed, and the largest.
    pub peak_sum: u64,
    pub peak_max: u64,
    pub points: Vec<BacklogPointRecord>,
}

/// One fixed time: the members queued then, summed over the replications
/// whose horizon reached it, their largest count and how many they are.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct BacklogPointRecord {
    pub at_us: u64,
    pub waiting_sum: u64,
    pub waiting_max: u64,
    pub replications: u64,
}

impl ConsoleBacklogRecord {
    pub fn new(backlog: &ConsoleBacklog) -> ConsoleBacklogRecord {
        ConsoleBacklogRecord {
            queued: backlog.queued,
            peak_sum: backlog.peak,
            peak_max: backlog.peak,
            points: backlog
                .points
                .iter()
                .map(|point| BacklogPointRecord {
                    at_us: point.at.as_micros(),
                    waiting_sum: point.waiting.unwrap_or(0),
                    waiting_max: point.waiting.unwrap_or(0),
                    replications: u64::from(point.waiting.is_some()),
                })
                .collect(),
        }
    }

    /// Sums add up, maxima take the larger; points are matched by position
    /// (an empty record, the start of a merge, takes the other's).
    pub fn merge(&mut self, other: &ConsoleBacklogRecord) {
        self.queued += other.queued;
        self.peak_sum += other.peak_sum;
        self.peak_max = self.peak_max.max(other.peak_max);
        if self.points.is_empty() {
            self.points = other
                .points
                .iter()
                .map(|p| BacklogPointRecord { waiting_sum: 0, waiting_max: 0, replications: 0, ..*p })
                .collect();
        }
        for (point, theirs) in self.points.iter_mut().zip(&other.points) {
            point.waiting_sum += theirs.waiting_sum;
            point.waiting_max = point.waiting_max.max(theirs.waiting_max);
            point.replications += theirs.replications;
        }
    }

    /// Checks a record read from a file.
    pub fn check_shape(&self) -> Result<(), String> {
        let consistent = |p: &BacklogPointRecord| p.waiting_max <= p.waiting_sum && p.waiting_max <= self.peak_max;
        if self.peak_max > self.peak_sum || self.peak_max > self.queued || !self.points.iter().all(consistent) {
            return Err("`console_backlog` has a count above its peak or its sum".into());
        }
        Ok(())
    }
}

/// `metrics.console_backlog`: null with the reason where no request
/// reached the console.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct ConsoleBacklogReport {
    /// Members ever queued for the console, over every replication.
    pub queued: u64,
    /// The most members queued at once in a replication.
    pub peak: BacklogEstimate,
    /// Per fixed time from the start of the run (`1h`, `7d`, …).
    pub at: BTreeMap<String, BacklogPoint>,
    pub definition: String,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub null_reason: Option<String>,
}

/// The backlog at one fixed time.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct BacklogPoint {
    /// From the start of the run, in milliseconds.
    pub at_ms: u64,
    pub members: BacklogEstimate,
}

/// Members queued, as the mean across replications with its 95 %
/// interval, and the largest replication's count.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct BacklogEstimate {
    pub mean: Option<f64>,
    pub ci95: Option<[f64; 2]>,
    pub max: Option<u64>,
    /// Replications whose horizon reached the point.
    pub replications_used: u32,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub null_reason: Option<String>,
}

const DEFINITION: &str = "members queued for the admin console and not yet reached by it (every member of a console \
     batch waiting its turn, and the rest of a batch an API limit stopped; an app admin's archive counts the members \
     whose grants it revokes), at fixed times from the start of the run (after every event at that instant) and at \
     each replication's peak";

/// The backlog of `totals` over `replications`, at `level`.
pub(super) fn console_backlog_report(
    totals: &ConsoleBacklogRecord,
    replications: &[ReplicationRecord],
    level: Level,
) -> ConsoleBacklogReport {
    if totals.queued == 0 {
        let reason = || Some("no request reached the admin console before the horizon".to_owned());
        return ConsoleBacklogReport {
            peak: BacklogEstimate { null_reason: reason(), ..BacklogEstimate::default() },
            definition: DEFINITION.to_owned(),
            null_reason: reason(),
            ..ConsoleBacklogReport::default()
        };
    }
    let peaks: Vec<(f64, u64)> = replications.iter().map(|r| (r.counts.console_backlog.peak_sum as f64, 1)).collect();
    let peak = estimate(&peaks, Some(totals.peak_max), level);
    let at = totals
        .points
        .iter()
        .enumerate()
        .map(|(slot, point)| {
            let each: Vec<(f64, u64)> = replications
                .iter()
                .filter_map(|r| r.counts.console_backlog.points.get(slot))
                .map(|p| (p.waiting_sum as f64, p.replications))
                .collect();
            let max = (point.replications > 0).then_some(point.waiting_max);
            let members = estimate(&each, max, level);
            (backlog_key(SimDuration::from_micros(point.at_us)), BacklogPoint { at_ms: point.at_us / 1_000, members })
        })
        .collect();
    ConsoleBacklogReport { queued: totals.queued, peak, at, definition: DEFINITION.to_owned(), null_reason: None }
}

/// The mean of `pairs` (members, replications that saw the point) with
/// its interval across replications, and the largest count `max`.
fn estimate(pairs: &[(f64, u64)], max: Option<u64>, level: Level) -> BacklogEstimate {
    let seen: u64 = pairs.iter().map(|pair| pair.1).sum();
    if seen == 0 {
        let reason = Some("past the horizon: no replication reached this time".to_owned());
        return BacklogEstimate { null_reason: reason, ..BacklogEstimate::default() };
    }
    let mean = Some(round9(pairs.iter().map(|pair| pair.0).sum::<f64>() / seen as f64));
    let (ci95, null_reason) = match mean_over_replications(pairs, "a backlog reading", level) {
        Ok(ci) => (Some([round9(ci.low), round9(ci.high)]), None),
        Err(reason) => (None, Some(reason)),
    };
    BacklogEstimate { mean, ci95, max, replications_used: seen as u32, null_reason }
}

/// A point's key in `metrics.console_backlog.at` and in its figure's name.
pub fn backlog_key(at: SimDuration) -> String {
    at.exact_text()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::SimTime;

    fn record(waiting: &[u64], horizon_hours: u64) -> ConsoleBacklogRecord {
        let mut backlog = ConsoleBacklog::at(&[SimDuration::from_hours(1), SimDuration::from_hours(10)]);
        for (hour, &members) in waiting.iter().enumerate() {
            let now = SimTime::ZERO + SimDuration::from_hours(hour as u64);
            backlog.reach(now, backlog.waiting);
            backlog.enqueue(now, members);
        }
        backlog.finish(SimTime::ZERO + SimDuration::from_hours(horizon_hours));
        ConsoleBacklogRecord::new(&backlog)
    }

    #[test]
    fn a_merge_sums_what_the_mean_needs_and_keeps_the_largest() {
        let mut merged = ConsoleBacklogRecord::default();
        merged.merge(&record(&[5, 3], 20));
        merged.merge(&record(&[2, 9], 5));
        assert_eq!((merged.queued, merged.peak_sum, merged.peak_max), (19, 14, 9));
        let at_1h = merged.points[0];
        assert_eq!((at_1h.waiting_sum, at_1h.waiting_max, at_1h.replications), (12, 9, 2));
        // The second run's horizon (5 h) did not reach 10 h.
        assert_eq!((merged.points[1].waiting_sum, merged.points[1].replications), (3, 1));
        assert_eq!(merged.check_shape(), Ok(()));
    }
}

//! What one replication contributes to a summary, in a form that can be
//! written to a shard file and read back exactly: counts as integers and
//! latencies as HdrHistograms. A summary is always built from records, so a
//! merge of shards and an unsharded run go through the same arithmetic.

use super::latency::LatencyHistogram;
use super::proportion::Proportion;
use crate::engine::Stop;
use crate::model::{Count, Observations, Platform, QueueTally, RaceKind, ResidueKind};
use serde::{Deserialize, Serialize};

/// Largest count a record read from a file may hold: far above any real
/// run, far below where sums over many replications could overflow.
const MAX_COUNT: u64 = 1 << 50;

/// Hits out of trials, as stored in a record.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Tally {
    pub hits: u64,
    pub trials: u64,
}

impl Tally {
    pub fn proportion(self) -> Proportion {
        Proportion::new(self.hits, self.trials)
    }
}

impl From<Count> for Tally {
    fn from(count: Count) -> Tally {
        Tally { hits: count.hits, trials: count.trials }
    }
}

/// One race kind in one replication.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct RaceRecord {
    pub kind: String,
    pub events: u64,
    pub units: Tally,
}

/// One pool of people in one replication.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct QueueRecord {
    pub name: String,
    pub servers: u32,
    pub served: u64,
    pub wait_sum_us: u64,
    pub wait_max_us: u64,
    pub busy_sum_us: u64,
}

/// Everything one replication observed, as numbers and histograms.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ReplicationRecord {
    pub index: u32,
    pub events: u64,
    /// "horizon", "drained" or "event-limit".
    pub stopped: String,
    pub batch_latency: LatencyHistogram,
    pub revocation_latency: LatencyHistogram,
    pub requests: u64,
    pub batches: u64,
    pub batches_unrevoked: u64,
    pub batches_incomplete: u64,
    pub console_batches: u64,
    pub largest_console_batch: u32,
    /// In `RaceKind::ALL` order.
    pub races: Vec<RaceRecord>,
    pub members_raced: Tally,
    /// In `Platform::ALL` order.
    pub lockouts: Vec<Tally>,
    pub residue_members: Tally,
    /// In `ResidueKind::ALL` order: members with that kind left.
    pub residue_by_kind: Vec<u64>,
    /// In `Platform::ALL` order.
    pub residue_devices: Vec<Tally>,
    pub residue_grants: Tally,
    pub untouched: u64,
    pub done: u64,
    pub pending: u64,
    pub locked_out: u64,
    pub rolled_back: u64,
    pub queues: Vec<QueueRecord>,
    pub scope_violations: u64,
    pub tokens_accepted_after_expiry: u64,
}

/// The name a run's stop reason has in results.
pub fn stop_name(stop: Stop) -> &'static str {
    match stop {
        Stop::Horizon => "horizon",
        Stop::Drained => "drained",
        Stop::EventLimit => "event-limit",
    }
}

impl ReplicationRecord {
    /// The record of replication `index`, which processed `events` and
    /// stopped for `stop`.
    pub fn new(index: u32, events: u64, stop: Stop, obs: &Observations) -> ReplicationRecord {
        ReplicationRecord {
            index,
            events,
            stopped: stop_name(stop).to_owned(),
            batch_latency: histogram(&obs.batch_latencies_us),
            revocation_latency: histogram(&obs.revocation_latencies_us),
            requests: obs.requests,
            batches: obs.batches,
            batches_unrevoked: obs.batches_unrevoked,
            batches_incomplete: obs.batches_incomplete,
            console_batches: obs.console_batches,
            largest_console_batch: obs.largest_console_batch,
            races: RaceKind::ALL
                .iter()
                .map(|kind| {
                    let tally = obs.races[kind.index()];
                    RaceRecord { kind: kind.name().to_owned(), events: tally.events, units: tally.units.into() }
                })
                .collect(),
            members_raced: obs.members_raced.into(),
            lockouts: Platform::ALL.iter().map(|p| obs.lockouts_by_platform[p.index()].into()).collect(),
            residue_members: obs.residue.members.into(),
            residue_by_kind: ResidueKind::ALL.iter().map(|k| obs.residue.by_kind[k.index()]).collect(),
            residue_devices: Platform::ALL.iter().map(|p| obs.residue.devices_by_platform[p.index()].into()).collect(),
            residue_grants: obs.residue.grants.into(),
            untouched: obs.outcomes.untouched,
            done: obs.outcomes.done,
            pending: obs.outcomes.pending,
            locked_out: obs.outcomes.locked_out,
            rolled_back: obs.outcomes.rolled_back,
            queues: obs.queues.iter().map(|(name, tally)| queue_record(name, tally)).collect(),
            scope_violations: obs.scope_violations,
            tokens_accepted_after_expiry: obs.tokens_accepted_after_expiry,
        }
    }

    /// Checks the shape a reader must be able to rely on (lengths of the
    /// per-kind and per-platform lists), for records read from files.
    pub fn check_shape(&self) -> Result<(), String> {
        let expected = [
            ("races", self.races.len(), RaceKind::ALL.len()),
            ("lockouts", self.lockouts.len(), Platform::ALL.len()),
            ("residue_by_kind", self.residue_by_kind.len(), ResidueKind::ALL.len()),
            ("residue_devices", self.residue_devices.len(), Platform::ALL.len()),
        ];
        for (field, found, wanted) in expected {
            if found != wanted {
                return Err(format!("replication {}: `{field}` has {found} entries, expected {wanted}", self.index));
            }
        }
        let tallies = self
            .races
            .iter()
            .map(|r| r.units)
            .chain(self.lockouts.iter().copied())
            .chain(self.residue_devices.iter().copied());
        for tally in tallies.chain([self.members_raced, self.residue_members, self.residue_grants]) {
            if tally.hits > tally.trials || tally.trials > MAX_COUNT {
                return Err(format!(
                    "replication {}: a count has more hits than trials, or is implausibly large",
                    self.index
                ));
            }
        }
        if self.residue_by_kind.iter().any(|&hits| hits > self.residue_members.trials) {
            return Err(format!("replication {}: a residue kind has more members than were unbound", self.index));
        }
        let counts =
            [self.events, self.requests, self.batches, self.untouched, self.done, self.pending, self.locked_out]
                .into_iter()
                .chain([
                    self.rolled_back,
                    self.console_batches,
                    self.scope_violations,
                    self.tokens_accepted_after_expiry,
                ])
                .chain(self.races.iter().map(|r| r.events))
                .chain(self.queues.iter().flat_map(|q| [q.served, q.wait_sum_us, q.wait_max_us, q.busy_sum_us]));
        if counts.into_iter().any(|count| count > MAX_COUNT) {
            return Err(format!("replication {}: an implausibly large count (above {MAX_COUNT})", self.index));
        }
        if self.batches_incomplete > self.batches || self.batches_unrevoked > self.batches {
            return Err(format!("replication {}: more unfinished batches than batches", self.index));
        }
        Ok(())
    }
}

fn histogram(samples_us: &[u64]) -> LatencyHistogram {
    let mut histogram = LatencyHistogram::new();
    samples_us.iter().for_each(|&us| histogram.record_micros(us));
    histogram
}

fn queue_record(name: &str, tally: &QueueTally) -> QueueRecord {
    QueueRecord {
        name: name.to_owned(),
        servers: tally.servers,
        served: tally.served,
        wait_sum_us: tally.wait_sum_us,
        wait_max_us: tally.wait_max_us,
        busy_sum_us: tally.busy_sum_us,
    }
}

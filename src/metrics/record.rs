//! What one replication contributes to a summary, in a form that can be
//! written to a shard file and read back exactly: counts as integers and
//! latencies as HdrHistograms. A summary is always built from the
//! replications' [`ReplicationCounts`] added up by [`ReplicationCounts::merge`],
//! so a merge of shards and an unsharded run go through the same arithmetic.

use super::backlog::ConsoleBacklogRecord;
use super::exposure::{ExposureRecord, censored_at_horizon};
use super::latency::LatencyHistogram;
use super::leaver::{CustomerRecord, ModuleRecord};
use super::proportion::Proportion;
use super::residue_survival::ResidueSurvivalRecord;
use crate::engine::Stop;
use crate::model::{BatchTier, Censored, Observations, Platform, QueueTally, RaceKind, ResidueKind, Unfinished};
use serde::{Deserialize, Serialize};

/// Largest count a record read from a file may hold: far above any real
/// run, far below where sums over many replications could overflow.
const MAX_COUNT: u64 = 1 << 50;

/// One race kind in one replication.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct RaceRecord {
    pub kind: String,
    pub events: u64,
    pub units: Proportion,
}

/// Batches unfinished at the horizon in one replication: their censoring
/// times (horizon − decision) and how many are unfinished for each reason.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct CensoredRecord {
    pub times: LatencyHistogram,
    /// In `Unfinished::ALL` order.
    pub by_reason: Vec<u64>,
}

impl CensoredRecord {
    /// Nothing censored.
    pub fn none() -> CensoredRecord {
        CensoredRecord::new(&Censored::default())
    }

    fn new(censored: &Censored) -> CensoredRecord {
        CensoredRecord { times: histogram(&censored.times_us), by_reason: censored.by_reason.to_vec() }
    }

    pub(super) fn merge(&mut self, other: &CensoredRecord) {
        self.times.merge(&other.times);
        for (count, theirs) in self.by_reason.iter_mut().zip(&other.by_reason) {
            *count += theirs;
        }
    }

    pub(super) fn check_shape(&self, what: &str, unfinished: u64) -> Result<(), String> {
        if self.by_reason.len() != Unfinished::ALL.len() {
            return Err(format!("`{what}` has {} reasons, expected {}", self.by_reason.len(), Unfinished::ALL.len()));
        }
        let reasons = self.by_reason.iter().try_fold(0u64, |sum, &count| sum.checked_add(count));
        if reasons != Some(self.times.count()) || self.times.count() > unfinished {
            return Err(format!("`{what}` holds {} times for {reasons:?} reasons", self.times.count()));
        }
        Ok(())
    }
}

/// The directory API's calls in one replication (absent from records
/// written before the API budget: read as none).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ApiRecord {
    pub calls: u64,
    pub errors_45009: u64,
    pub stale_failures: u64,
    /// Most calls accepted in one fixed minute (the larger in a merge).
    pub peak_per_minute: u64,
    /// Time the console waited on a limit or a cycle, up to the horizon.
    pub blocked_us: u64,
    /// The horizon (summed in a merge, as the blocked time is); 0 without.
    pub horizon_us: u64,
}

impl ApiRecord {
    fn check_shape(&self) -> Result<(), String> {
        if [self.calls, self.errors_45009, self.blocked_us, self.horizon_us].into_iter().any(|count| count > MAX_COUNT)
        {
            return Err(format!("an implausibly large API count (above {MAX_COUNT})"));
        }
        if self.stale_failures > self.calls || self.peak_per_minute > self.calls {
            return Err("more failed or peak API calls than calls".into());
        }
        if self.horizon_us > 0 && self.blocked_us > self.horizon_us {
            return Err("the console was blocked longer than the horizon".into());
        }
        Ok(())
    }

    fn merge(&mut self, other: &ApiRecord) {
        self.calls += other.calls;
        self.errors_45009 += other.errors_45009;
        self.stale_failures += other.stale_failures;
        self.peak_per_minute = self.peak_per_minute.max(other.peak_per_minute);
        self.blocked_us += other.blocked_us;
        self.horizon_us += other.horizon_us;
    }
}

/// Batch latencies of one admin tier in one replication.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct TierRecord {
    pub tier: String,
    pub finished: LatencyHistogram,
    pub censored: CensoredRecord,
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
    /// Picked up too late to act (absent in older records: none).
    #[serde(default)]
    pub abandoned: u64,
    /// Each served request's wait, and the wait so far of those still in
    /// line at the horizon (absent in older records: none).
    #[serde(default)]
    pub wait: LatencyHistogram,
    #[serde(default = "CensoredRecord::none")]
    pub waiting_at_horizon: CensoredRecord,
}

impl QueueRecord {
    /// The service time the pool's servers could give over `horizon_us`.
    pub fn capacity_us(&self, horizon_us: u64) -> u64 {
        u64::from(self.servers) * horizon_us
    }
}

/// Everything one replication observed, as numbers and histograms.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ReplicationRecord {
    pub index: u32,
    pub events: u64,
    /// "horizon", "drained" or "event-limit".
    pub stopped: String,
    /// Written beside the fields above, as one flat object.
    #[serde(flatten)]
    pub counts: ReplicationCounts,
}

/// The part of a record that adds up over replications: counts,
/// histograms and pools. A summary is built from their [`merge`](Self::merge).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ReplicationCounts {
    pub batch_latency: LatencyHistogram,
    pub revocation_latency: LatencyHistogram,
    pub batch_censored: CensoredRecord,
    pub revocation_censored: CensoredRecord,
    /// In `BatchTier::ALL` order (empty histograms without tiers).
    pub batch_by_tier: Vec<TierRecord>,
    pub batches: u64,
    pub batches_unrevoked: u64,
    pub batches_incomplete: u64,
    pub largest_console_batch: u32,
    /// In `RaceKind::ALL` order.
    pub races: Vec<RaceRecord>,
    pub members_raced: Proportion,
    /// In `Platform::ALL` order.
    pub lockouts: Vec<Proportion>,
    /// Lockouts among uninstalls before unbind, in `Platform::ALL` order.
    /// (Absent from records written before lockouts were recovered: read
    /// as none.)
    #[serde(default = "no_lockouts")]
    pub lockouts_given_uninstall: Vec<Proportion>,
    /// Lock to recovery of the lockouts recovered, and the horizon − lock
    /// of those still locked out.
    #[serde(default = "LatencyHistogram::new")]
    pub lockout_duration: LatencyHistogram,
    #[serde(default = "no_censored_lockouts")]
    pub lockout_censored: CensoredRecord,
    pub residue_members: Proportion,
    /// In `ResidueKind::ALL` order: members with that kind left.
    pub residue_by_kind: Vec<u64>,
    /// In `ResidueKind::ALL` order: members who could have left that kind.
    pub residue_at_risk_by_kind: Vec<u64>,
    /// In `Platform::ALL` order.
    pub residue_devices: Vec<Proportion>,
    pub residue_grants: Proportion,
    pub untouched: u64,
    pub done: u64,
    pub pending: u64,
    pub locked_out: u64,
    pub rolled_back: u64,
    pub queues: Vec<QueueRecord>,
    pub scope_violations: u64,
    pub tokens_accepted_after_expiry: u64,
    /// Over grants whose token was accepted after revocation: the sum and
    /// the largest time from revocation to the last accepted use.
    #[serde(default)]
    pub token_last_use_sum_s: u64,
    #[serde(default)]
    pub token_last_use_max_ms: u64,
    #[serde(default)]
    pub api: ApiRecord,
    /// Audit records written, those still kept at the horizon, and the
    /// members whose account was cut (absent in older records: none).
    #[serde(default)]
    pub audit_records: u64,
    #[serde(default)]
    pub audit_kept: u64,
    #[serde(default)]
    pub offboarded: u64,
    /// Full-overwrite imports of deletions and those the mass-deletion
    /// guard aborted (absent in older records: none).
    #[serde(default)]
    pub guard_imports: u64,
    #[serde(default)]
    pub guard_aborted: u64,
    /// Modules a pro edition's disable kept, and customers handed over
    /// (absent in older records: none).
    #[serde(default)]
    pub kept_modules: ModuleRecord,
    #[serde(default)]
    pub customers: CustomerRecord,
    /// Offboarded members' exposure windows and leak-risk points (absent
    /// in older records: nobody offboarded).
    #[serde(default)]
    pub exposure: ExposureRecord,
    /// Residue survival after unbind at the leak-risk points (absent in
    /// older records: not counted).
    #[serde(default)]
    pub residue_over_time: ResidueSurvivalRecord,
    /// Members queued for the admin console over the run (absent in older
    /// records: no console).
    #[serde(default)]
    pub console_backlog: ConsoleBacklogRecord,
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
        ReplicationRecord { index, events, stopped: stop_name(stop).to_owned(), counts: ReplicationCounts::new(obs) }
    }

    /// Checks the shape a reader must be able to rely on (lengths of the
    /// per-kind and per-platform lists, plausible counts), for records read
    /// from files.
    pub fn check_shape(&self) -> Result<(), String> {
        if self.events > MAX_COUNT {
            return Err(format!("replication {}: an implausibly large count (above {MAX_COUNT})", self.index));
        }
        self.counts.check_shape().map_err(|why| format!("replication {}: {why}", self.index))
    }
}

impl ReplicationCounts {
    /// The counts of one run's observations.
    pub fn new(obs: &Observations) -> ReplicationCounts {
        ReplicationCounts {
            batch_latency: histogram(&obs.batch_latencies_us),
            revocation_latency: histogram(&obs.revocation_latencies_us),
            batch_censored: CensoredRecord::new(&obs.batch_censored),
            revocation_censored: CensoredRecord::new(&obs.revocation_censored),
            batch_by_tier: BatchTier::ALL
                .iter()
                .zip(&obs.batch_by_tier)
                .map(|(tier, samples)| TierRecord {
                    tier: tier.name().to_owned(),
                    finished: histogram(&samples.completed_us),
                    censored: CensoredRecord::new(&samples.censored),
                })
                .collect(),
            batches: obs.batches,
            batches_unrevoked: obs.batches_unrevoked,
            batches_incomplete: obs.batches_incomplete,
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
            lockouts_given_uninstall: Platform::ALL
                .iter()
                .map(|p| obs.lockouts_given_uninstall_by_platform[p.index()].into())
                .collect(),
            lockout_duration: histogram(&obs.lockout_durations_us),
            lockout_censored: CensoredRecord::new(&obs.lockout_censored),
            residue_members: obs.residue.members.into(),
            residue_by_kind: ResidueKind::ALL.iter().map(|k| obs.residue.by_kind[k.index()]).collect(),
            residue_at_risk_by_kind: ResidueKind::ALL.iter().map(|k| obs.residue.at_risk_by_kind[k.index()]).collect(),
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
            token_last_use_sum_s: obs.token_last_use_sum_s,
            token_last_use_max_ms: obs.token_last_use_max_ms,
            api: ApiRecord {
                calls: obs.api.calls,
                errors_45009: obs.api.errors_45009,
                stale_failures: obs.api.stale_failures,
                peak_per_minute: obs.api.peak_per_minute,
                blocked_us: obs.api.blocked_us,
                horizon_us: obs.api.horizon_us,
            },
            audit_records: obs.audit.records,
            audit_kept: obs.audit.kept,
            offboarded: obs.audit.offboarded,
            guard_imports: obs.guard.trials,
            guard_aborted: obs.guard.hits,
            kept_modules: ModuleRecord::new(&obs.modules),
            customers: CustomerRecord::new(&obs.customers),
            exposure: ExposureRecord::new(&obs.exposure),
            residue_over_time: ResidueSurvivalRecord::new(&obs.residue_over_time),
            console_backlog: ConsoleBacklogRecord::new(&obs.console_backlog),
        }
    }

    /// Counts of nothing observed, shaped like any record's: the start of a
    /// merge.
    pub fn empty() -> ReplicationCounts {
        ReplicationCounts::new(&Observations::default())
    }

    /// Adds `other` to these counts, as if both replications were one:
    /// counts and histograms add up, the largest batch and longest wait are
    /// the larger of the two. Lists are matched by position (every record
    /// has the same kinds, platforms and pools in the same order).
    pub fn merge(&mut self, other: &ReplicationCounts) {
        self.batch_latency.merge(&other.batch_latency);
        self.revocation_latency.merge(&other.revocation_latency);
        self.batch_censored.merge(&other.batch_censored);
        self.revocation_censored.merge(&other.revocation_censored);
        for (tier, theirs) in self.batch_by_tier.iter_mut().zip(&other.batch_by_tier) {
            tier.finished.merge(&theirs.finished);
            tier.censored.merge(&theirs.censored);
        }
        self.batches += other.batches;
        self.batches_unrevoked += other.batches_unrevoked;
        self.batches_incomplete += other.batches_incomplete;
        self.largest_console_batch = self.largest_console_batch.max(other.largest_console_batch);
        for (race, theirs) in self.races.iter_mut().zip(&other.races) {
            race.events += theirs.events;
            race.units.merge(theirs.units);
        }
        self.members_raced.merge(other.members_raced);
        merge_all(&mut self.lockouts, &other.lockouts);
        merge_all(&mut self.lockouts_given_uninstall, &other.lockouts_given_uninstall);
        self.lockout_duration.merge(&other.lockout_duration);
        self.lockout_censored.merge(&other.lockout_censored);
        self.residue_members.merge(other.residue_members);
        for (hits, theirs) in self.residue_by_kind.iter_mut().zip(&other.residue_by_kind) {
            *hits += theirs;
        }
        for (at_risk, theirs) in self.residue_at_risk_by_kind.iter_mut().zip(&other.residue_at_risk_by_kind) {
            *at_risk += theirs;
        }
        merge_all(&mut self.residue_devices, &other.residue_devices);
        self.residue_grants.merge(other.residue_grants);
        self.untouched += other.untouched;
        self.done += other.done;
        self.pending += other.pending;
        self.locked_out += other.locked_out;
        self.rolled_back += other.rolled_back;
        self.merge_queues(&other.queues);
        self.scope_violations += other.scope_violations;
        self.tokens_accepted_after_expiry += other.tokens_accepted_after_expiry;
        self.token_last_use_sum_s += other.token_last_use_sum_s;
        self.token_last_use_max_ms = self.token_last_use_max_ms.max(other.token_last_use_max_ms);
        self.api.merge(&other.api);
        self.audit_records += other.audit_records;
        self.audit_kept += other.audit_kept;
        self.offboarded += other.offboarded;
        self.guard_imports += other.guard_imports;
        self.guard_aborted += other.guard_aborted;
        self.kept_modules.merge(&other.kept_modules);
        self.customers.merge(&other.customers);
        self.exposure.merge(&other.exposure);
        self.residue_over_time.merge(&other.residue_over_time);
        self.console_backlog.merge(&other.console_backlog);
    }

    /// Pools matched by position; the first record's pools name the merge.
    fn merge_queues(&mut self, others: &[QueueRecord]) {
        if self.queues.is_empty() {
            self.queues = others.to_vec();
            return;
        }
        for (queue, theirs) in self.queues.iter_mut().zip(others) {
            queue.served += theirs.served;
            queue.wait_sum_us += theirs.wait_sum_us;
            queue.wait_max_us = queue.wait_max_us.max(theirs.wait_max_us);
            queue.busy_sum_us += theirs.busy_sum_us;
            queue.abandoned += theirs.abandoned;
            queue.wait.merge(&theirs.wait);
            queue.waiting_at_horizon.merge(&theirs.waiting_at_horizon);
        }
    }

    fn check_shape(&self) -> Result<(), String> {
        let expected = [
            ("races", self.races.len(), RaceKind::ALL.len()),
            ("lockouts", self.lockouts.len(), Platform::ALL.len()),
            ("lockouts_given_uninstall", self.lockouts_given_uninstall.len(), Platform::ALL.len()),
            ("residue_by_kind", self.residue_by_kind.len(), ResidueKind::ALL.len()),
            ("residue_at_risk_by_kind", self.residue_at_risk_by_kind.len(), ResidueKind::ALL.len()),
            ("residue_devices", self.residue_devices.len(), Platform::ALL.len()),
            ("batch_by_tier", self.batch_by_tier.len(), BatchTier::ALL.len()),
        ];
        for (field, found, wanted) in expected {
            if found != wanted {
                return Err(format!("`{field}` has {found} entries, expected {wanted}"));
            }
        }
        let proportions = self
            .races
            .iter()
            .map(|r| r.units)
            .chain(self.lockouts.iter().copied())
            .chain(self.lockouts_given_uninstall.iter().copied())
            .chain(self.residue_devices.iter().copied());
        for proportion in proportions.chain([self.members_raced, self.residue_members, self.residue_grants]) {
            if proportion.hits > proportion.trials || proportion.trials > MAX_COUNT {
                return Err("a count has more hits than trials, or is implausibly large".into());
            }
        }
        if self.residue_by_kind.iter().any(|&hits| hits > self.residue_members.trials) {
            return Err("a residue kind has more members than were unbound".into());
        }
        let at_risk = self.residue_by_kind.iter().zip(&self.residue_at_risk_by_kind);
        if at_risk.clone().any(|(&hits, &risk)| hits > risk || risk > self.residue_members.trials) {
            return Err("a residue kind has more members than could leave it, or than were unbound".into());
        }
        self.residue_over_time.check_shape(self.residue_members.trials)?;
        let counts = [self.batches, self.untouched, self.done, self.pending, self.locked_out, self.rolled_back]
            .into_iter()
            .chain([self.scope_violations, self.tokens_accepted_after_expiry, self.token_last_use_sum_s])
            .chain([self.audit_records, self.offboarded, self.guard_imports])
            .chain(self.races.iter().map(|r| r.events))
            .chain(
                self.queues.iter().flat_map(|q| [q.served, q.wait_sum_us, q.wait_max_us, q.busy_sum_us, q.abandoned]),
            );
        if counts.into_iter().any(|count| count > MAX_COUNT) {
            return Err(format!("an implausibly large count (above {MAX_COUNT})"));
        }
        if self.audit_kept > self.audit_records || self.guard_aborted > self.guard_imports {
            return Err("more audit records kept than written, or imports aborted than run".into());
        }
        if self.batches_incomplete > self.batches || self.batches_unrevoked > self.batches {
            return Err("more unfinished batches than batches".into());
        }
        self.api.check_shape()?;
        self.kept_modules.check_shape()?;
        self.customers.check_shape()?;
        self.exposure.check_shape()?;
        self.console_backlog.check_shape()?;
        self.check_queue_shape()?;
        self.check_censored_shape()
    }

    /// One censoring time per unfinished batch, with a reason each.
    fn check_censored_shape(&self) -> Result<(), String> {
        self.batch_censored.check_shape("batch_censored", self.batches_incomplete)?;
        self.revocation_censored.check_shape("revocation_censored", self.batches_unrevoked)?;
        if self.batch_censored.times.count() != self.batches_incomplete
            || self.revocation_censored.times.count() != self.batches_unrevoked
        {
            return Err("censoring times do not match the unfinished batches".into());
        }
        for tier in &self.batch_by_tier {
            tier.censored.check_shape(&format!("batch_by_tier.{}", tier.tier), self.batches_incomplete)?;
        }
        self.lockout_censored.check_shape("lockout_censored", self.locked_out)?;
        if self.lockout_censored.times.count() != self.locked_out {
            return Err("lockout censoring times do not match the members locked out".into());
        }
        Ok(())
    }
}

impl ReplicationCounts {
    /// One wait per request served, and a censoring time with a reason
    /// each for those still in line.
    fn check_queue_shape(&self) -> Result<(), String> {
        for queue in &self.queues {
            let what = format!("queues.{}.waiting_at_horizon", queue.name);
            queue.waiting_at_horizon.check_shape(&what, queue.waiting_at_horizon.times.count())?;
            // Older records carry no waits at all.
            if queue.wait.count() > 0 && queue.wait.count() != queue.served {
                return Err(format!(
                    "`queues.{}` has {} waits for {} served",
                    queue.name,
                    queue.wait.count(),
                    queue.served
                ));
            }
        }
        Ok(())
    }
}

fn no_lockouts() -> Vec<Proportion> {
    vec![Proportion::default(); Platform::ALL.len()]
}

fn no_censored_lockouts() -> CensoredRecord {
    CensoredRecord::new(&Censored::default())
}

/// The proportions of every platform (or kind) as one.
pub fn merged(proportions: &[Proportion]) -> Proportion {
    let mut all = Proportion::default();
    proportions.iter().for_each(|proportion| all.merge(*proportion));
    all
}

fn merge_all(proportions: &mut [Proportion], others: &[Proportion]) {
    for (proportion, theirs) in proportions.iter_mut().zip(others) {
        proportion.merge(*theirs);
    }
}

pub(super) fn histogram(samples_us: &[u64]) -> LatencyHistogram {
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
        abandoned: tally.abandoned,
        wait: histogram(&tally.waits_us),
        waiting_at_horizon: censored_at_horizon(&tally.waiting_at_horizon_us),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Count;

    fn observations(hits: u64, latency_us: u64) -> Observations {
        let mut observations = Observations::default();
        observations.lockouts_by_platform[1] = Count { hits, trials: 10 };
        observations.batch_latencies_us = vec![latency_us];
        observations.largest_console_batch = hits as u32;
        observations.batches = 1;
        observations
    }

    #[test]
    fn merge_adds_counts_and_histograms_and_keeps_the_largest_batch() {
        let mut merged = ReplicationCounts::empty();
        merged.merge(&ReplicationCounts::new(&observations(3, 1_000)));
        merged.merge(&ReplicationCounts::new(&observations(5, 2_000)));
        assert_eq!(merged.lockouts[1], Proportion::new(8, 20));
        assert_eq!((merged.batches, merged.largest_console_batch), (2, 5));
        assert_eq!(merged.batch_latency.count(), 2);
    }

    #[test]
    fn a_record_is_one_flat_object_that_reads_back_exactly() {
        let record = ReplicationRecord::new(4, 99, Stop::Drained, &observations(2, 5_000));
        let json = serde_json::to_value(&record).unwrap();
        assert_eq!((json["index"].as_u64(), json["batches"].as_u64()), (Some(4), Some(1)));
        assert_eq!(json["lockouts"][1], serde_json::json!({"hits": 2, "trials": 10}));
        let parsed: ReplicationRecord = serde_json::from_value(json).unwrap();
        assert_eq!(parsed, record);
        assert_eq!(parsed.check_shape(), Ok(()));
    }
}

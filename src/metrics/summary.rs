//! The summary of a run: every replication's observations merged into the
//! figures users read — latency percentiles, race, lockout and residue
//! rates with 95 % intervals, outcomes, queues — plus the seed, the
//! parameters and the engine's event count. Wall-clock figures live apart
//! under `timing`, so everything else is a pure function of scenario, seed
//! and flags.

use super::interval::mean_ci95;
use super::latency_report::latency_reports;
pub use super::latency_report::{LatencyReport, PercentileReport, latency_report};
use super::proportion::{Proportion, ProportionReport, round9};
use super::record::{QueueRecord, ReplicationCounts, ReplicationRecord};
use crate::model::{Platform, RaceKind, ResidueKind};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// Version of the summary layout; bumped on any incompatible change.
pub const SCHEMA_VERSION: u32 = 1;

/// What a run was, as recorded in its summary.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct RunInfo {
    pub scenario: String,
    pub description: String,
    pub seed: u64,
    pub members: u64,
    pub replications: u32,
    pub horizon: String,
    /// Every resolved parameter (defaults filled in).
    pub parameters: serde_json::Value,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Summary {
    pub schema_version: u32,
    pub scenario: String,
    pub description: String,
    pub seed: u64,
    pub members: u64,
    pub replications: u32,
    pub horizon: String,
    pub parameters: serde_json::Value,
    pub metrics: Metrics,
    pub engine: EngineFigures,
    pub timing: Timing,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Metrics {
    pub batch_latency_ms: LatencyReport,
    pub revocation_latency_ms: LatencyReport,
    pub grace_races: RaceReport,
    pub lockout: LockoutReport,
    pub residue: ResidueReport,
    pub outcomes: OutcomeReport,
    pub queues: BTreeMap<String, QueueReport>,
    pub invariants: InvariantReport,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct RaceReport {
    /// Race events of every kind.
    pub total: u64,
    /// Share of targeted members that saw at least one race.
    pub rate: Option<f64>,
    pub ci95: Option<[f64; 2]>,
    pub members: u64,
    pub by_kind: BTreeMap<String, RaceKindReport>,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub null_reason: Option<String>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct RaceKindReport {
    pub count: u64,
    /// Units (members or grants) exposed to this race that saw it.
    pub unit: String,
    #[serde(flatten)]
    pub rate: ProportionReport,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct LockoutReport {
    #[serde(flatten)]
    pub overall: ProportionReport,
    pub by_platform: BTreeMap<String, ProportionReport>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ResidueReport {
    /// Share of members whose unbind took effect with any residue left.
    pub probability: Option<f64>,
    pub ci95: Option<[f64; 2]>,
    pub hits: u64,
    pub trials: u64,
    pub by_kind: BTreeMap<String, ProportionReport>,
    /// Share of devices the unbind touched with any residue left.
    pub by_platform: BTreeMap<String, ProportionReport>,
    /// Share of revoked grants whose app data survives.
    pub app_data_per_grant: ProportionReport,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub null_reason: Option<String>,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct OutcomeReport {
    pub untouched: u64,
    pub done: u64,
    pub pending: u64,
    pub locked_out: u64,
    pub rolled_back: u64,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct QueueReport {
    pub servers: u32,
    pub served: u64,
    pub mean_wait_ms: Option<f64>,
    /// 95 % interval of the mean wait across replications (needs ≥ 2).
    pub mean_wait_ms_ci95: Option<[f64; 2]>,
    pub max_wait_ms: u64,
    pub mean_service_ms: Option<f64>,
}

/// Counters of broken model invariants: always zero in a correct model.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct InvariantReport {
    pub scope_violations: u64,
    pub tokens_accepted_after_expiry: u64,
    pub largest_console_batch: u32,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct EngineFigures {
    pub events: u64,
    pub events_per_replication: Vec<u64>,
    /// Why each replication stopped: "horizon", "drained" or "event-limit".
    pub stopped: Vec<String>,
}

/// Wall-clock figures: the only part that differs between identical runs.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Timing {
    /// From the start of the command until this scenario's results were
    /// complete (its replications share the threads with other scenarios').
    pub wall_ms: f64,
    /// This scenario's replications' own run times, summed.
    #[serde(default)]
    pub replication_ms: f64,
    /// Events per second of replication time: the rate of one thread.
    pub events_per_sec: f64,
    pub threads: usize,
    pub host: String,
}

impl Summary {
    /// Merges the records of every replication (in index order) into a
    /// summary.
    pub fn build(info: RunInfo, replications: &[ReplicationRecord], timing: Timing) -> Summary {
        let mut totals = ReplicationCounts::empty();
        replications.iter().for_each(|record| totals.merge(&record.counts));
        let engine = EngineFigures {
            events: replications.iter().map(|r| r.events).sum(),
            events_per_replication: replications.iter().map(|r| r.events).collect(),
            stopped: replications.iter().map(|r| r.stopped.clone()).collect(),
        };
        let buffer = info.parameters.pointer("/policy/buffer").and_then(|v| v.as_str()).unwrap_or("?").to_owned();
        Summary {
            schema_version: SCHEMA_VERSION,
            metrics: metrics(&totals, replications, &buffer, info.seed),
            engine,
            timing,
            scenario: info.scenario,
            description: info.description,
            seed: info.seed,
            members: info.members,
            replications: info.replications,
            horizon: info.horizon,
            parameters: info.parameters,
        }
    }

    /// The summary without its `timing` object: what must be identical
    /// between runs of the same scenario, seed and flags.
    pub fn deterministic_json(&self) -> serde_json::Value {
        let mut value = serde_json::to_value(self).expect("summaries serialise");
        if let Some(object) = value.as_object_mut() {
            object.remove("timing");
        }
        value
    }
}

/// The figures of `totals`, every replication's counts added up; queue
/// and latency intervals need the `replications` one by one (latency's
/// bootstrap is seeded by the run's `seed`).
fn metrics(totals: &ReplicationCounts, replications: &[ReplicationRecord], buffer: &str, seed: u64) -> Metrics {
    let (batch_latency_ms, revocation_latency_ms) = latency_reports(totals, replications, seed);
    Metrics {
        batch_latency_ms,
        revocation_latency_ms,
        grace_races: race_report(totals, buffer),
        lockout: lockout_report(&totals.lockouts),
        residue: residue_report(totals),
        outcomes: OutcomeReport {
            untouched: totals.untouched,
            done: totals.done,
            pending: totals.pending,
            locked_out: totals.locked_out,
            rolled_back: totals.rolled_back,
        },
        queues: queue_reports(&totals.queues, replications),
        invariants: InvariantReport {
            scope_violations: totals.scope_violations,
            tokens_accepted_after_expiry: totals.tokens_accepted_after_expiry,
            largest_console_batch: totals.largest_console_batch,
        },
    }
}

fn race_reason(kind: RaceKind, buffer: &str) -> String {
    match kind {
        RaceKind::ActionDuringBuffer => format!("no member went through a buffer (policy.buffer = {buffer})"),
        RaceKind::TokenAfterDisable => "no app grant was revoked".into(),
        RaceKind::RebindVsRollback => "no subsidiary re-bind in this workload".into(),
        RaceKind::TierDelayConflict => "no department-tier request in this workload".into(),
        RaceKind::ExportCutOff => "no GDPR export in this workload".into(),
        RaceKind::DisputeWithoutData => "no GDPR dispute arrived before the horizon".into(),
    }
}

fn race_report(totals: &ReplicationCounts, buffer: &str) -> RaceReport {
    let by_kind = RaceKind::ALL
        .iter()
        .zip(&totals.races)
        .map(|(&kind, race)| {
            let rate = race.units.report(&race_reason(kind, buffer));
            (kind.name().to_owned(), RaceKindReport { count: race.events, unit: kind.unit().into(), rate })
        })
        .collect();
    let overall = totals.members_raced.report("no member was targeted before the horizon");
    RaceReport {
        total: totals.races.iter().map(|race| race.events).sum(),
        rate: overall.rate,
        ci95: overall.ci95,
        members: overall.trials,
        by_kind,
        null_reason: overall.null_reason,
    }
}

fn lockout_report(lockouts: &[Proportion]) -> LockoutReport {
    const REASON: &str = "no member-driven device unbind in this workload (only device changes uninstall apps)";
    let mut overall = Proportion::default();
    lockouts.iter().for_each(|p| overall.merge(*p));
    LockoutReport {
        overall: overall.report(REASON),
        by_platform: Platform::ALL
            .iter()
            .map(|&p| (p.name().to_owned(), lockouts[p.index()].report(&format!("no {} device changed", p.name()))))
            .collect(),
    }
}

fn residue_report(totals: &ReplicationCounts) -> ResidueReport {
    const REASON: &str = "no member's unbind took effect before the horizon";
    let overall = totals.residue_members.report(REASON);
    let trials = totals.residue_members.trials;
    ResidueReport {
        probability: overall.rate,
        ci95: overall.ci95,
        hits: overall.hits,
        trials,
        by_kind: ResidueKind::ALL
            .iter()
            .map(|&kind| {
                (kind.name().to_owned(), Proportion::new(totals.residue_by_kind[kind.index()], trials).report(REASON))
            })
            .collect(),
        by_platform: Platform::ALL
            .iter()
            .map(|&p| {
                let reason = format!("the unbind touched no {} device", p.name());
                (p.name().to_owned(), totals.residue_devices[p.index()].report(&reason))
            })
            .collect(),
        app_data_per_grant: totals.residue_grants.report("no app grant was revoked"),
        null_reason: overall.null_reason,
    }
}

/// Each pool's merged `totals`, with the interval of its mean wait across
/// `replications`.
fn queue_reports(totals: &[QueueRecord], replications: &[ReplicationRecord]) -> BTreeMap<String, QueueReport> {
    let mut reports = BTreeMap::new();
    for (slot, queue) in totals.iter().enumerate() {
        let per_replication: Vec<f64> = replications
            .iter()
            .filter_map(|r| r.counts.queues.get(slot))
            .filter(|t| t.served > 0)
            .map(|t| t.wait_sum_us as f64 / t.served as f64 / 1_000.0)
            .collect();
        let served = queue.served;
        let mean_ms = |sum: u64| (served > 0).then(|| round9(sum as f64 / served as f64 / 1_000.0));
        reports.insert(
            queue.name.clone(),
            QueueReport {
                servers: queue.servers,
                served,
                mean_wait_ms: mean_ms(queue.wait_sum_us),
                mean_wait_ms_ci95: mean_ci95(&per_replication).map(|ci| [round9(ci.low), round9(ci.high)]),
                max_wait_ms: queue.wait_max_us / 1_000,
                mean_service_ms: mean_ms(queue.busy_sum_us),
            },
        );
    }
    reports
}

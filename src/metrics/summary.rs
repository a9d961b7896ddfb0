//! The summary of a run: every replication's observations merged into the
//! figures users read — latency percentiles, race, lockout and residue
//! rates with 95 % intervals, outcomes, queues, the API budget — plus the seed, the
//! parameters and the engine's event count. Every rate and mean is the
//! ratio of sums pooled over replications, its interval estimated across
//! replications (the replication is the independent unit; see
//! `interval`). Wall-clock figures live apart under `timing`, so
//! everything else is a pure function of scenario, seed and flags.

use super::api_report::{ApiReport, absent_api, api_report};
use super::backlog::{ConsoleBacklogReport, console_backlog_report};
use super::by_construction::{HeldLive, archive_fixed, fixed, windows_residue_fixed};
use super::compare::{ReplicationFigures, compared_figures, comparison_key, replication_figures};
use super::compliance::{AuditReport, GuardReport, audit_report};
use super::exposure::{ExposureReport, LeakRiskReport, exposure_report, leak_risk_report};
use super::interval::{Grain, IntervalMethod, Level, RatioInterval, mean_over_replications};
use super::latency::LatencyHistogram;
pub use super::latency_report::{LatencyReport, PercentileReport, latency_report};
use super::latency_report::{
    exposure_window_report, latency_reports, lockout_duration_report, queue_wait_report, token_window_report,
};
use super::leaver::{CustomerReport, KeptModuleReport, leaver_reports};
use super::proportion::{Proportion, ProportionReport, round9};
use super::record::{QueueRecord, RaceRecord, ReplicationCounts, ReplicationRecord, merged, stop_name};
use super::residue_survival::{ResidueOverTimeReport, residue_over_time_report};
use crate::engine::{SimDuration, Stop};
use crate::model::{Platform, RaceKind, ResidueKind};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// Version of the summary layout; bumped on any incompatible change.
pub const SCHEMA_VERSION: u32 = 4;

/// What a run was, as recorded in its summary.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct RunInfo {
    pub scenario: String,
    pub description: String,
    pub seed: u64,
    pub members: u64,
    pub replications: u32,
    /// How the replications' orgs were drawn.
    pub org: OrgDraw,
    pub horizon: String,
    /// Every resolved parameter (defaults filled in).
    pub parameters: serde_json::Value,
}

/// How a run's replications got their orgs: `{"mode": "sampled"}` (each
/// its own, from its own seed) or `{"mode": "shared", "seed": S}` (one org
/// for all: every figure is conditional on the org of seed S).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "mode", rename_all = "lowercase")]
pub enum OrgDraw {
    Sampled,
    Shared { seed: u64 },
}

impl std::fmt::Display for OrgDraw {
    /// What every interval of the run is about, for headers and banners.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            OrgDraw::Sampled => f.write_str("orgs sampled (one per replication)"),
            OrgDraw::Shared { seed } => write!(f, "one shared org: conditional on the org of seed {seed}"),
        }
    }
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Summary {
    pub schema_version: u32,
    pub scenario: String,
    pub description: String,
    pub seed: u64,
    pub members: u64,
    pub replications: u32,
    pub org: OrgDraw,
    pub horizon: String,
    pub parameters: serde_json::Value,
    pub metrics: Metrics,
    /// Each comparable figure replication by replication (index order;
    /// null where a replication has none): what a baseline gate tests
    /// another run against.
    pub replication_figures: BTreeMap<String, Vec<Option<f64>>>,
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
    pub token_uses: TokenUseReport,
    /// The directory API's calls, errors and time blocked.
    #[serde(default = "absent_api")]
    pub api: ApiReport,
    /// Audit records (absent from older summaries: read as not counted).
    #[serde(default)]
    pub audit: AuditReport,
    /// The mass-deletion guard (absent from older summaries: none).
    #[serde(default)]
    pub guard: GuardReport,
    /// Modules a pro edition's disable kept live (absent from older
    /// summaries: read as not modelled).
    #[serde(default)]
    pub kept_modules: KeptModuleReport,
    /// Customers and group chats handed over by API after members left.
    #[serde(default)]
    pub customers: CustomerReport,
    /// How long offboarded members could still get in (absent from older
    /// summaries: read as not measured).
    #[serde(default)]
    pub exposure: ExposureReport,
    /// The share of offboarded members still exposed at fixed times after
    /// their decision.
    #[serde(default)]
    pub leak_risk: LeakRiskReport,
    /// Members queued for the admin console at fixed times and at its
    /// peak (absent from older summaries: not measured).
    #[serde(default)]
    pub console_backlog: ConsoleBacklogReport,
}

/// Every accepted use of a revoked grant's token inside its window (the
/// token race's events), per revoked grant, and how late the last came.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct TokenUseReport {
    pub uses: u64,
    pub grants_revoked: u64,
    /// `uses / grants_revoked`; null when no grant was revoked.
    pub uses_per_revoked_grant: Option<f64>,
    /// Its 95 % interval across replications (ratio-t).
    pub uses_per_revoked_grant_ci95: Option<[f64; 2]>,
    /// Mean time from revocation to the last accepted use, over the grants
    /// used at least once after revocation; null when none was.
    pub mean_last_use_ms: Option<f64>,
    pub mean_last_use_ms_ci95: Option<[f64; 2]>,
    /// Why an interval is missing (too few replications with revoked or
    /// used grants).
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub null_reason: Option<String>,
    pub max_last_use_ms: Option<u64>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct RaceReport {
    /// Race events of every kind.
    pub total: u64,
    /// Share of targeted members that saw at least one race.
    pub rate: Option<f64>,
    pub ci95: Option<[f64; 2]>,
    pub method: Option<IntervalMethod>,
    pub replications_used: u32,
    pub design_effect: Option<f64>,
    /// Targeted members that saw a race, out of `members` targeted.
    pub hits: u64,
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
    /// Lockouts among device changes (the lost devices aside).
    #[serde(flatten)]
    pub overall: ProportionReport,
    pub by_platform: BTreeMap<String, ProportionReport>,
    /// Lockouts among device changes that uninstalled the app first.
    /// (Both figures are null in a summary written before lockouts were
    /// recovered, so such a baseline still reads.)
    #[serde(default = "absent_given_uninstall")]
    pub given_uninstall: ProportionReport,
    /// Lock to recovery; lockouts not recovered at the horizon are
    /// censored there (its `batches` are lockouts).
    #[serde(default = "absent_duration")]
    pub duration_ms: LatencyReport,
}

const ABSENT: &str = "not in this summary (written before lockouts were recovered)";

fn absent_given_uninstall() -> ProportionReport {
    ProportionReport::over_replications(&[], ABSENT, Level::NINETY_FIVE)
}

fn absent_duration() -> LatencyReport {
    LatencyReport { null_reason: Some(ABSENT.to_owned()), ..latency_report(&LatencyHistogram::new(), 0, 0) }
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ResidueReport {
    /// Share of members whose unbind took effect with any residue left.
    pub probability: Option<f64>,
    pub ci95: Option<[f64; 2]>,
    pub method: Option<IntervalMethod>,
    pub replications_used: u32,
    pub design_effect: Option<f64>,
    pub hits: u64,
    pub trials: u64,
    pub by_kind: BTreeMap<String, ProportionReport>,
    /// Share of devices the unbind touched with any residue left.
    pub by_platform: BTreeMap<String, ProportionReport>,
    /// Share of revoked grants whose app data survives.
    pub app_data_per_grant: ProportionReport,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub null_reason: Option<String>,
    /// The survival of residue after each unbind and the residue-days
    /// per member (absent from older summaries: not measured).
    #[serde(default)]
    pub over_time: ResidueOverTimeReport,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct OutcomeReport {
    pub untouched: u64,
    pub done: u64,
    pub pending: u64,
    pub locked_out: u64,
    pub rolled_back: u64,
    /// Targeted members fully unbound at the horizon, out of all targeted.
    pub done_share: ProportionReport,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct QueueReport {
    pub servers: u32,
    pub served: u64,
    /// Requests picked up too late to act (a re-bind batch after the
    /// rollback): not served, and in neither mean.
    pub abandoned: u64,
    /// Σ wait / Σ served over replications.
    pub mean_wait_ms: Option<f64>,
    /// 95 % ratio-t interval of the mean wait across replications.
    pub mean_wait_ms_ci95: Option<[f64; 2]>,
    pub max_wait_ms: u64,
    pub mean_service_ms: Option<f64>,
    pub mean_service_ms_ci95: Option<[f64; 2]>,
    /// Service time of the requests taken by the horizon (each counted
    /// whole), over the servers' time to the horizon, pooled over
    /// replications, with its interval across them; null without a
    /// horizon (absent from older summaries: null).
    #[serde(default)]
    pub utilisation: Option<f64>,
    #[serde(default)]
    pub utilisation_ci95: Option<[f64; 2]>,
    /// Replications in which the pool served anyone: the intervals' R.
    pub replications_used: u32,
    /// Why the means or their intervals are null; absent when none is.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub null_reason: Option<String>,
    /// The wait's Kaplan–Meier percentiles with bootstrap intervals,
    /// requests still in line at the horizon censored there
    /// (`incomplete`); its mean is `mean_wait_ms` (absent from older
    /// summaries: nothing measured).
    #[serde(default = "no_wait")]
    pub wait_ms: LatencyReport,
}

fn no_wait() -> LatencyReport {
    latency_report(&LatencyHistogram::new(), 0, 0)
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
    /// Whether the event limit stopped a replication before the horizon:
    /// its figures are then partial (the written summary says
    /// `"status": "event-limit"`).
    pub fn stopped_by_event_limit(&self) -> bool {
        self.engine.stopped.iter().any(|stop| stop == stop_name(Stop::EventLimit))
    }

    /// Merges the records of every replication (in index order) into a
    /// summary.
    pub fn build(info: RunInfo, replications: &[ReplicationRecord], timing: Timing) -> Summary {
        Summary::build_at(info, replications, timing, Level::NINETY_FIVE)
    }

    /// The summary with every interval at `level` instead of 95 % (the
    /// fields keep their `ci95` names): what a look of a sequential run
    /// decides its objectives on. Only 95 % summaries are ever written.
    pub fn build_at(info: RunInfo, replications: &[ReplicationRecord], timing: Timing, level: Level) -> Summary {
        let mut totals = ReplicationCounts::empty();
        replications.iter().for_each(|record| totals.merge(&record.counts));
        let engine = EngineFigures {
            events: replications.iter().map(|r| r.events).sum(),
            events_per_replication: replications.iter().map(|r| r.events).collect(),
            stopped: replications.iter().map(|r| r.stopped.clone()).collect(),
        };
        let buffer = info.parameters.pointer("/policy/buffer").and_then(|v| v.as_str()).unwrap_or("?").to_owned();
        let retention = info.parameters.pointer("/policy/audit_retention").and_then(|v| v.as_str()).unwrap_or("?");
        let audit = audit_report(&totals, &info.horizon, retention);
        let leaver = leaver_reports(&totals, replications, level, &info.parameters);
        let windows = (
            exposure_window_report(&totals, replications, info.seed, level),
            token_window_report(&totals, replications, info.seed, level),
        );
        let exposure =
            (exposure_report(&totals, replications, windows, level), leak_risk_report(&totals, replications, level));
        let over = Over { records: replications, level };
        let mut metrics = metrics(&totals, over, (&buffer, info.seed), audit, leaver, exposure);
        null_what_is_fixed_by_construction(&mut metrics, &info.parameters, &info.horizon);
        Summary {
            schema_version: SCHEMA_VERSION,
            metrics,
            replication_figures: figures_by_replication(replications),
            engine,
            timing,
            scenario: info.scenario,
            description: info.description,
            seed: info.seed,
            members: info.members,
            replications: info.replications,
            org: info.org,
            horizon: info.horizon,
            parameters: info.parameters,
        }
    }

    /// Each replication's figures, by comparison key: `replication_figures`
    /// read back.
    pub fn figures_of_replications(&self) -> Vec<ReplicationFigures> {
        let mut replications = vec![ReplicationFigures::new(); self.replications as usize];
        for (key, values) in &self.replication_figures {
            for (figures, value) in replications.iter_mut().zip(values) {
                if let Some(value) = value {
                    figures.insert(key.clone(), *value);
                }
            }
        }
        replications
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

/// Every comparable figure, replication by replication.
fn figures_by_replication(replications: &[ReplicationRecord]) -> BTreeMap<String, Vec<Option<f64>>> {
    let per_replication: Vec<ReplicationFigures> = replications.iter().map(replication_figures).collect();
    compared_figures()
        .into_iter()
        .map(comparison_key)
        .filter(|key| per_replication.iter().any(|figures| figures.contains_key(key)))
        .map(|key| {
            let values = per_replication.iter().map(|figures| figures.get(&key).copied().map(round9)).collect();
            (key, values)
        })
        .collect()
}

/// The figures of `totals`, every replication's counts added up; rates,
/// means and latency intervals take the `replications` one by one
/// (latency's bootstrap is seeded by the run's `seed`); the audit, kept
/// modules, customers, exposure and leak risk come built.
fn metrics(
    totals: &ReplicationCounts,
    replications: Over<'_>,
    (buffer, seed): (&str, u64),
    audit: AuditReport,
    (kept_modules, customers): (KeptModuleReport, CustomerReport),
    (exposure, leak_risk): (ExposureReport, LeakRiskReport),
) -> Metrics {
    let (mut batch_latency_ms, mut revocation_latency_ms) =
        latency_reports(totals, replications.records, seed, replications.level);
    for report in [&mut batch_latency_ms, &mut revocation_latency_ms] {
        explain_no_batch_yet(report, totals.pending);
    }
    Metrics {
        batch_latency_ms,
        revocation_latency_ms,
        grace_races: race_report(totals, replications, buffer),
        token_uses: token_use_report(totals, replications),
        audit,
        guard: GuardReport { imports: totals.guard_imports, aborted: totals.guard_aborted },
        lockout: lockout_report(totals, replications, seed),
        residue: residue_report(totals, replications),
        outcomes: OutcomeReport {
            untouched: totals.untouched,
            done: totals.done,
            pending: totals.pending,
            locked_out: totals.locked_out,
            rolled_back: totals.rolled_back,
            done_share: over(replications, "no member was targeted", |counts| {
                let targeted = counts.done + counts.pending + counts.locked_out + counts.rolled_back;
                Proportion::new(counts.done, targeted)
            }),
        },
        queues: queue_reports(totals, replications, seed),
        invariants: InvariantReport {
            scope_violations: totals.scope_violations,
            tokens_accepted_after_expiry: totals.tokens_accepted_after_expiry,
            largest_console_batch: totals.largest_console_batch,
        },
        api: api_report(totals, replications.records, replications.level),
        kept_modules,
        customers,
        exposure,
        leak_risk,
        console_backlog: console_backlog_report(&totals.console_backlog, replications.records, replications.level),
    }
}

/// The replications a summary's figures are taken over, and the level of
/// their intervals.
#[derive(Clone, Copy)]
struct Over<'a> {
    records: &'a [ReplicationRecord],
    level: Level,
}

/// A report without batches while members are pending was read before
/// its decisions opened a batch (a dissolution in review and notice):
/// decisions exist, so "no batch was decided" would be wrong.
fn explain_no_batch_yet(report: &mut LatencyReport, pending: u64) {
    if report.batches == 0 && pending > 0 {
        report.null_reason = Some(format!(
            "decisions cover {pending} members, but none had reached its first batch before the horizon \
             (still in review, notice or approval)"
        ));
    }
}

/// One replication's token race counts.
fn token_race(counts: &ReplicationCounts) -> &RaceRecord {
    &counts.races[RaceKind::TokenAfterDisable.index()]
}

fn token_use_report(totals: &ReplicationCounts, replications: Over<'_>) -> TokenUseReport {
    let race = &totals.races[RaceKind::TokenAfterDisable.index()];
    let (grants, raced) = (race.units.trials, race.units.hits);
    let per_grant: Vec<(f64, u64)> = replications
        .records
        .iter()
        .map(|r| (token_race(&r.counts).events as f64, token_race(&r.counts).units.trials))
        .collect();
    let last_use: Vec<(f64, u64)> = replications
        .records
        .iter()
        .map(|r| (r.counts.token_last_use_sum_s as f64 * 1e3, token_race(&r.counts).units.hits))
        .collect();
    let uses_ci = mean_over_replications(&per_grant, "revoked grants", replications.level);
    let last_ci = mean_over_replications(&last_use, "grants used after revocation", replications.level);
    TokenUseReport {
        uses: race.events,
        grants_revoked: grants,
        uses_per_revoked_grant: (grants > 0).then(|| round9(race.events as f64 / grants as f64)),
        uses_per_revoked_grant_ci95: rounded_ci95(&uses_ci),
        mean_last_use_ms: (raced > 0).then(|| round9(totals.token_last_use_sum_s as f64 * 1e3 / raced as f64)),
        mean_last_use_ms_ci95: rounded_ci95(&last_ci),
        max_last_use_ms: (raced > 0).then_some(totals.token_last_use_max_ms),
        null_reason: uses_ci.err().or(last_ci.err()),
    }
}

/// The report of the rate `pick` takes from each replication's counts.
fn over(
    replications: Over<'_>,
    reason_if_empty: &str,
    pick: impl Fn(&ReplicationCounts) -> Proportion,
) -> ProportionReport {
    over_grained(replications, reason_if_empty, Grain::Members, pick)
}

/// [`over`] for a rate whose hits cluster as `grain` says.
fn over_grained(
    replications: Over<'_>,
    reason_if_empty: &str,
    grain: Grain,
    pick: impl Fn(&ReplicationCounts) -> Proportion,
) -> ProportionReport {
    let per_replication: Vec<Proportion> = replications.records.iter().map(|record| pick(&record.counts)).collect();
    ProportionReport::over_replications_of(&per_replication, reason_if_empty, grain, replications.level)
}

/// Makes null, with the rule as the reason, every rate the scenario's own
/// rules fix (`by_construction`): the archive still held when its purge
/// is past the horizon, the leak risk inside a buffer or a dissolution's
/// lead, a Windows device's residue without an MDM wipe. Those last two
/// keep their own reason when they had no trials.
fn null_what_is_fixed_by_construction(metrics: &mut Metrics, parameters: &serde_json::Value, horizon: &str) {
    let fix = |report: &mut ProportionReport, reason: Option<String>| {
        if let (Some(reason), true) = (reason, report.trials > 0) {
            fixed(report, reason);
        }
    };
    if let (Some(reason), Some(archive)) =
        (archive_fixed(parameters, horizon), metrics.residue.by_kind.get_mut(ResidueKind::Archive.name()))
    {
        fixed(archive, reason);
    }
    if let Some(held) = HeldLive::of(parameters) {
        for point in metrics.leak_risk.points.values_mut() {
            fix(&mut point.live, held.leak_risk_fixed(SimDuration::from_millis(point.after_ms)));
        }
    }
    let Some(windows_rule) = windows_residue_fixed(parameters) else { return };
    let over_time = metrics.residue.over_time.points.values_mut().map(|point| &mut point.by_platform);
    for by_platform in std::iter::once(&mut metrics.residue.by_platform).chain(over_time) {
        if let Some(report) = by_platform.get_mut(Platform::Windows.name()) {
            fix(report, Some(windows_rule.clone()));
        }
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

fn race_report(totals: &ReplicationCounts, replications: Over<'_>, buffer: &str) -> RaceReport {
    let by_kind = RaceKind::ALL
        .iter()
        .zip(&totals.races)
        .map(|(&kind, race)| {
            let grain = Grain::of(kind.hits_come_in_batches());
            let rate = over_grained(replications, &race_reason(kind, buffer), grain, |counts| {
                counts.races[kind.index()].units
            });
            (kind.name().to_owned(), RaceKindReport { count: race.events, unit: kind.unit().into(), rate })
        })
        .collect();
    // Members raced in any kind move in batches as soon as one kind that
    // races whole batches was exposed.
    let batched = RaceKind::ALL
        .iter()
        .zip(&totals.races)
        .any(|(kind, race)| kind.hits_come_in_batches() && race.units.trials > 0);
    let grain = Grain::of(batched);
    let mut overall =
        over_grained(replications, "no member was targeted before the horizon", grain, |counts| counts.members_raced);
    if overall.trials > 0 && totals.races.iter().all(|race| race.units.trials == 0) {
        fixed(&mut overall, "no race of any kind could occur here: no kind was exposed (0 by construction)".to_owned());
    }
    RaceReport {
        total: totals.races.iter().map(|race| race.events).sum(),
        rate: overall.rate,
        ci95: overall.ci95,
        method: overall.method,
        replications_used: overall.replications_used,
        design_effect: overall.design_effect,
        hits: overall.hits,
        members: overall.trials,
        by_kind,
        null_reason: overall.null_reason,
    }
}

fn lockout_report(totals: &ReplicationCounts, replications: Over<'_>, seed: u64) -> LockoutReport {
    const REASON: &str = "no member-driven device unbind in this workload (only device changes uninstall apps)";
    const UNINSTALLS: &str = "no device change uninstalled the app first (behaviour.uninstall_before_unbind)";
    LockoutReport {
        overall: over(replications, REASON, |counts| merged(&counts.lockouts)),
        given_uninstall: over(replications, UNINSTALLS, |counts| merged(&counts.lockouts_given_uninstall)),
        duration_ms: lockout_duration_report(totals, replications.records, seed, replications.level),
        by_platform: Platform::ALL
            .iter()
            .map(|&p| {
                let reason = format!("no {} device changed", p.name());
                (p.name().to_owned(), over(replications, &reason, |counts| counts.lockouts[p.index()]))
            })
            .collect(),
    }
}

/// Why no offboarded member of any replication could leave `kind`.
fn cannot_occur(kind: ResidueKind) -> String {
    let why = match kind {
        ResidueKind::Credentials => "no unbind touched an iOS device",
        ResidueKind::SdCache => "no unbind touched an Android device",
        ResidueKind::Registry => "no unbind touched a Windows device",
        ResidueKind::Biometric => "no unbind touched a device that enrols biometrics (any but Windows)",
        ResidueKind::ChatHistory | ResidueKind::TrustedDevice => "no unbind touched a device",
        ResidueKind::AppData => "no offboarded member's grant was revoked",
        ResidueKind::CloudCopy => "only a GDPR unbind that may keep a cloud copy leaves one",
        ResidueKind::Archive => "only a dissolution leaves an archive",
    };
    format!("cannot occur here: {why}")
}

fn residue_report(totals: &ReplicationCounts, replications: Over<'_>) -> ResidueReport {
    const REASON: &str = "no member's unbind took effect before the horizon";
    let overall = over(replications, REASON, |counts| counts.residue_members);
    // A kind no offboarded member could leave is null, not a rate of 0.
    let kind_share = |kind: ResidueKind| {
        let reason = if overall.trials == 0 { REASON.to_owned() } else { cannot_occur(kind) };
        over(replications, &reason, |counts| {
            let at_risk = counts.residue_at_risk_by_kind[kind.index()] > 0;
            Proportion::new(
                counts.residue_by_kind[kind.index()],
                if at_risk { counts.residue_members.trials } else { 0 },
            )
        })
    };
    ResidueReport {
        probability: overall.rate,
        ci95: overall.ci95,
        method: overall.method,
        replications_used: overall.replications_used,
        design_effect: overall.design_effect,
        hits: overall.hits,
        trials: overall.trials,
        by_kind: ResidueKind::ALL.iter().map(|&kind| (kind.name().to_owned(), kind_share(kind))).collect(),
        by_platform: Platform::ALL
            .iter()
            .map(|&p| {
                let reason = format!("the unbind touched no {} device", p.name());
                (p.name().to_owned(), over(replications, &reason, |counts| counts.residue_devices[p.index()]))
            })
            .collect(),
        app_data_per_grant: over(replications, "no app grant was revoked", |counts| counts.residue_grants),
        null_reason: overall.null_reason,
        over_time: residue_over_time_report(totals, replications.records, replications.level),
    }
}

/// Each pool's merged `totals`, its mean wait and service time as ratios
/// of sums over `replications`, with their intervals across them, and the
/// wait's percentiles (their bootstrap seeded by the run's `seed`).
fn queue_reports(totals: &ReplicationCounts, replications: Over<'_>, seed: u64) -> BTreeMap<String, QueueReport> {
    let mut reports = BTreeMap::new();
    for (slot, queue) in totals.queues.iter().enumerate() {
        let pools: Vec<Option<&QueueRecord>> = replications.records.iter().map(|r| r.counts.queues.get(slot)).collect();
        let (mean_wait_ms, wait) = pool_mean_ms(queue, &pools, |q| q.wait_sum_us, replications.level);
        let (mean_service_ms, service) = pool_mean_ms(queue, &pools, |q| q.busy_sum_us, replications.level);
        let (utilisation, utilisation_ci) = pool_utilisation(slot, replications);
        let null_reason = match (&wait, queue.served) {
            (_, 0) => Some("the pool served no request".to_owned()),
            (Err(reason), _) => Some(reason.clone()),
            (Ok(_), _) => None,
        };
        let report = QueueReport {
            servers: queue.servers,
            served: queue.served,
            abandoned: queue.abandoned,
            mean_wait_ms,
            mean_wait_ms_ci95: rounded_ci95(&wait),
            max_wait_ms: queue.wait_max_us / 1_000,
            mean_service_ms,
            mean_service_ms_ci95: rounded_ci95(&service),
            utilisation,
            utilisation_ci95: rounded_ci95(&utilisation_ci),
            replications_used: pools.iter().filter(|pool| pool.is_some_and(|q| q.served > 0)).count() as u32,
            null_reason,
            wait_ms: queue_wait((slot, totals), replications, seed, (mean_wait_ms, &wait)),
        };
        reports.insert(queue.name.clone(), report);
    }
    reports
}

/// The percentiles of the wait in pool `slot`, its mean the pool's own
/// (`mean_wait_ms` and its interval, from the exact sums).
fn queue_wait(
    (slot, totals): (usize, &ReplicationCounts),
    replications: Over<'_>,
    seed: u64,
    (mean_ms, mean_interval): (Option<f64>, &Result<RatioInterval, String>),
) -> LatencyReport {
    let mut report = queue_wait_report(slot, totals, replications.records, seed, replications.level);
    report.mean = mean_ms;
    report.mean_ci95 = rounded_ci95(mean_interval);
    report.mean_ci95_null_reason = mean_interval.as_ref().err().cloned();
    report
}

/// The mean per request served of the time `sum_us` takes from a pool, in
/// milliseconds: pooled over `totals`, and across the replications'
/// `pools` with its interval.
fn pool_mean_ms(
    totals: &QueueRecord,
    pools: &[Option<&QueueRecord>],
    sum_us: fn(&QueueRecord) -> u64,
    level: Level,
) -> (Option<f64>, Result<RatioInterval, String>) {
    let per_replication: Vec<(f64, u64)> =
        pools.iter().map(|pool| pool.map_or((0.0, 0), |q| (sum_us(q) as f64 / 1_000.0, q.served))).collect();
    let point = (totals.served > 0).then(|| round9(sum_us(totals) as f64 / totals.served as f64 / 1_000.0));
    (point, mean_over_replications(&per_replication, "requests served", level))
}

/// The busy share of pool `slot`: Σ service / Σ servers × horizon over
/// the replications, with its interval across them.
fn pool_utilisation(slot: usize, replications: Over<'_>) -> (Option<f64>, Result<RatioInterval, String>) {
    let capacity =
        |r: &ReplicationRecord| r.counts.queues.get(slot).map_or(0, |q| q.capacity_us(r.counts.api.horizon_us));
    let pairs: Vec<(f64, u64)> = replications
        .records
        .iter()
        .map(|r| (r.counts.queues.get(slot).map_or(0.0, |q| q.busy_sum_us as f64), capacity(r)))
        .collect();
    let (busy, total): (f64, u64) = pairs.iter().fold((0.0, 0), |(b, t), &(busy, cap)| (b + busy, t + cap));
    let point = (total > 0).then(|| round9(busy / total as f64));
    (point, mean_over_replications(&pairs, "replications with a horizon", replications.level))
}

fn rounded_ci95(interval: &Result<RatioInterval, String>) -> Option<[f64; 2]> {
    interval.as_ref().ok().map(|ci| [round9(ci.low), round9(ci.high)])
}

#[cfg(test)]
mod tests {
    use crate::metrics::fixtures::empty_summary;

    #[test]
    fn a_summary_written_before_lockouts_were_recovered_still_reads() {
        let mut json = serde_json::to_value(empty_summary("s")).expect("serialises");
        let lockout = json["metrics"]["lockout"].as_object_mut().expect("an object");
        lockout.remove("given_uninstall");
        lockout.remove("duration_ms");
        let read: super::Summary = serde_json::from_value(json).expect("reads without the lockout figures");
        assert!(
            read.metrics.lockout.given_uninstall.null_reason.as_deref().unwrap_or("").contains("not in this summary")
        );
        assert_eq!(read.metrics.lockout.duration_ms.batches, 0);
    }
}

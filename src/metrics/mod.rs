//! Statistics for results: proportions with confidence intervals, latency
//! histograms, and the summary assembled from a run. Every figure named in
//! `scenario::Figure` is read from a summary by `figures` alone (the
//! objectives, the baseline check, sweeps and the printed table go through
//! it); `compare` computes the same figures, by the same names, from each
//! replication's exact counts.
//!
//! Each submodule owns one kind of statistic and is private; its public
//! items are re-exported here so callers write `metrics::Proportion`, not
//! `metrics::proportion::Proportion`. To add a submodule, declare it below
//! and re-export its public items beside the others.

mod api_report;
mod backlog;
mod by_construction;
mod compare;
mod compliance;
mod congestion;
mod exposure;
mod figures;
#[cfg(test)]
pub(crate) mod fixtures;
mod interval;
mod latency;
mod latency_report;
mod leaver;
mod proportion;
mod record;
mod regression;
mod residue_survival;
mod sequential;
mod shard;
mod significance;
mod slo;
mod summary;
mod survival;

pub use api_report::{ApiEstimate, ApiReport};
pub use backlog::{
    BacklogEstimate, BacklogPoint, BacklogPointRecord, ConsoleBacklogRecord, ConsoleBacklogReport, backlog_key,
};
pub use compare::{
    Comparison, Differing, Estimate, FigureComparison, Pairing, ReplicationFigures, Test, compare_records,
};
pub use compliance::{AuditReport, GuardReport};
pub use exposure::{
    ExposureRecord, ExposureReport, LeakRiskPoint, LeakRiskRecord, LeakRiskReport, TokenEndReport, TokenWindowRecord,
    TokenWindowReport, point_key,
};
pub use figures::{Reading, quantile_ms, read};
pub use interval::{
    Grain, IntervalMethod, Level, MIN_REPLICATIONS, MeanInterval, Minimum, RatioInterval, Z95, Z999, mean_ci95,
    mean_over_replications, mean_over_replications_needing, rate_over_replications, student_t_975,
};
pub use latency::{HIGHEST_TRACKABLE_LATENCY_MS, LatencyHistogram, LatencySummary, format_duration_ms};
pub use leaver::{CustomerRecord, CustomerReport, KeptModule, KeptModuleReport, ModuleRecord};
pub use proportion::{Proportion, ProportionReport, round9};
pub use record::{
    ApiRecord, CensoredRecord, QueueRecord, RaceRecord, ReplicationCounts, ReplicationRecord, TierRecord, stop_name,
};
pub use regression::{
    Change, DEFAULT_NOISE_THRESHOLD, Gate, RegressionCheck, any_regression, check_baseline, compare_to_baseline,
    default_gated_figures, gateable_names, is_gateable, regressed_figures, regression_table,
};
pub use residue_survival::{ResidueOverTimeReport, ResiduePointRecord, ResidueSurvivalPoint, ResidueSurvivalRecord};
pub use sequential::{Sequence, SequentialVerdict, look_level};
pub use shard::{MAX_RESULT_BYTES, SHARD_KIND, ShardFile, ShardId, merge_shards};
pub use slo::{SloOutcome, Verdict, any_failed, evaluate, evaluate_at, verdict_table};
pub use summary::{
    EngineFigures, InvariantReport, LatencyReport, LockoutReport, Metrics, OrgDraw, OutcomeReport, PercentileReport,
    QueueReport, RaceKindReport, RaceReport, ResidueReport, RunInfo, SCHEMA_VERSION, Summary, Timing, latency_report,
};
pub use survival::{BOOTSTRAP_RESAMPLES, IntervalBound, MIN_BOOTSTRAP_REPLICATIONS};

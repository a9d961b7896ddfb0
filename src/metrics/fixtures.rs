//! Summaries to fill in, shared by the tests of the modules that read
//! figures from summaries.

use super::latency_report::{PercentileReport, latency_report};
use super::summary::{LatencyReport, OrgDraw, RunInfo, Summary, Timing};
use crate::scenario::Quantile;

/// A summary of no replications (every figure null) to fill in.
pub fn empty_summary(scenario: &str) -> Summary {
    let info = RunInfo {
        scenario: scenario.to_owned(),
        description: String::new(),
        seed: 7,
        members: 1000,
        replications: 0,
        org: OrgDraw::Sampled,
        horizon: "30d".to_owned(),
        parameters: serde_json::Value::Null,
    };
    let timing = Timing { wall_ms: 0.0, replication_ms: 0.0, events_per_sec: 0.0, threads: 1, host: String::new() };
    Summary::build(info, &[], timing)
}

/// A latency report with `count` finished batches and every quantile `ms`,
/// each with the interval [`ms`, `ms`].
pub fn latency(count: u64, ms: u64) -> LatencyReport {
    let mut report = latency_report(&super::LatencyHistogram::new(), count, 0);
    let percentile =
        PercentileReport { value: Some(ms), beyond_horizon: false, ci95: Some([Some(ms); 2]), ci95_null_reason: None };
    report.percentiles = Quantile::ALL.iter().map(|q| (q.key().to_owned(), percentile.clone())).collect();
    LatencyReport {
        count,
        mean: Some(ms as f64),
        p50: Some(ms),
        p90: Some(ms),
        p99: Some(ms),
        p999: Some(ms),
        max: Some(ms),
        min: Some(ms),
        null_reason: None,
        ..report
    }
}

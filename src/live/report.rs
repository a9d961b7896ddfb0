//! The live run's `summary.json` — the shape `run` writes (`schema_version`,
//! `scenario`, `seed`, `members`, `replications`, `parameters`, `metrics`
//! with `batch_latency_ms`, …, `timing` last) plus what only a live run
//! has: request figures, the target, provisioning, verification and the
//! sim-vs-live table — and the table printed to the terminal.

use super::provision::ProvisionReport;
use super::record::{Counters, LATE_START_THRESHOLD, Recorder};
use super::replay::{PlannedRequest, Stop};
use super::schedule::Schedule;
use super::verify::Verification;
use crate::engine::SimTime;
use crate::metrics::{LatencyHistogram, LatencyReport, RunInfo, Summary, format_duration_ms, latency_report};
use crate::report::ObjectiveVerdict;
use hdrhistogram::Histogram;
use serde::Serialize;
use std::collections::BTreeMap;
use std::time::Instant;

/// Version of the live summary layout: 2 added `verdicts`, the `aborted`
/// status and `metrics.rate`'s ratio and saturation, and made figures that
/// measured nothing null (with `null_reason`) rather than zero.
pub const LIVE_SCHEMA_VERSION: u32 = 2;

#[derive(Clone, Debug, Serialize)]
pub struct LiveSummary {
    pub schema_version: u32,
    pub kind: &'static str,
    /// `complete`, `partial` (the service went down) or `interrupted`.
    pub status: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub status_reason: Option<String>,
    /// The scenario as `run` records it; `replications` are those of the
    /// simulation the live run is compared with.
    #[serde(flatten)]
    pub run: RunInfo,
    pub target: TargetReport,
    pub provision: ProvisionReport,
    pub metrics: LiveMetrics,
    pub verify: Option<Verification>,
    /// Whether nothing was lost: verification clean and every request accounted for.
    pub nothing_lost: bool,
    /// The `[slo]` objectives, judged (none when the run was interrupted).
    pub verdicts: LiveVerdicts,
    pub sim_vs_live: SimVsLive,
    pub timing: LiveTiming,
}

/// The verdicts of a live run.
#[derive(Clone, Debug, Default, Serialize)]
pub struct LiveVerdicts {
    pub objectives: Vec<ObjectiveVerdict>,
    /// The `abort_on_fail` objective that stopped the run, as written.
    pub aborted_by: Option<String>,
}

/// Where the load went and how (never the token itself).
#[derive(Clone, Debug, Serialize)]
pub struct TargetReport {
    pub kind: &'static str,
    pub url: String,
    pub mode: &'static str,
    pub rate_per_sec: f64,
    pub concurrency: usize,
    pub speedup: f64,
    pub retries: u32,
    pub timeout_ms: u64,
    pub bearer_token: bool,
    pub bulk_max_operations: Option<u32>,
    pub bulk_max_payload_bytes: Option<u64>,
}

#[derive(Clone, Debug, Serialize)]
pub struct LiveMetrics {
    /// Decision (model) to the last member of the batch confirmed by the service.
    pub batch_latency_ms: LatencyReport,
    pub requests: RequestCounts,
    /// Milliseconds, from HdrHistograms of microseconds.
    pub request_latency_ms: BTreeMap<&'static str, Percentiles>,
    pub rate: RateReport,
}

#[derive(Clone, Debug, Serialize)]
pub struct RequestCounts {
    pub planned: u64,
    /// Every outcome, retry and late start the recorder counted.
    #[serde(flatten)]
    pub counters: Counters,
    /// `sent = ok + http_error + timeout + connection_error + abandoned`.
    pub accounted: bool,
    pub late_start_threshold_ms: u64,
    pub operations: u64,
}

/// Milliseconds; null with `null_reason` when nothing was measured.
#[derive(Clone, Debug, Serialize)]
pub struct Percentiles {
    pub count: u64,
    pub mean: Option<f64>,
    pub p50: Option<f64>,
    pub p90: Option<f64>,
    pub p99: Option<f64>,
    pub p999: Option<f64>,
    pub max: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub null_reason: Option<String>,
}

/// Below this share of the intended rate a run is saturated: the service
/// (or the client) did not keep up with the schedule.
pub const SATURATED_BELOW: f64 = 0.9;

#[derive(Clone, Debug, Serialize)]
pub struct RateReport {
    /// Planned requests over the span of their intended send times; null
    /// when there is no span (nothing planned, or one moment for all).
    pub intended_per_sec: Option<f64>,
    /// Answered or failed requests over the replay's wall time; null when
    /// nothing was sent.
    pub achieved_per_sec: Option<f64>,
    /// Achieved over intended.
    pub achieved_rate_ratio: Option<f64>,
    /// Whether the ratio is below [`SATURATED_BELOW`].
    pub saturated: bool,
    pub duration_s: f64,
    /// Whether the client itself fell behind its schedule: more than 1 % of
    /// requests started late although a concurrency slot was free.
    pub client_bottleneck: bool,
    /// Whether the client's own delay (`client_delay` p50) exceeds the
    /// service time p50: then the client, not the service, dominates the
    /// corrected latencies.
    pub client_dominates: bool,
    /// CPU seconds the process used during the replay, and per 1 000
    /// requests sent (null where the platform does not say).
    pub client_cpu_s: Option<f64>,
    pub client_cpu_s_per_1000_requests: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub null_reason: Option<String>,
}

/// The simulator's prediction next to the measurement, for the same
/// scenario and seed: decision to the last account cut.
#[derive(Clone, Debug, Serialize)]
pub struct SimVsLive {
    pub figure: &'static str,
    /// Every replication of the simulation (revocation latency).
    pub sim_all_replications_ms: LatencyReport,
    /// The replayed replication's own batches, as the model cut them.
    pub sim_replayed_ms: LatencyReport,
    /// The same batches, with the service's real confirmation times.
    pub live_ms: LatencyReport,
    /// Per finished batch, live minus sim: what the real service (and the
    /// client's pacing) added to the model's prediction.
    pub live_minus_sim_ms: Percentiles,
    /// For reference: the simulator's batch latency (devices confirmed too),
    /// which a SCIM service cannot observe.
    pub sim_batch_latency_ms: LatencyReport,
}

#[derive(Clone, Debug, Serialize)]
pub struct LiveTiming {
    pub wall_ms: f64,
    pub replay_wall_ms: f64,
    pub host: String,
}

/// Per-request latency figures in milliseconds; null, saying `empty`,
/// when the histogram holds nothing.
pub fn percentiles(histogram: &Histogram<u64>, empty: &str) -> Percentiles {
    let measured = !histogram.is_empty();
    let ms = |us: u64| measured.then(|| us as f64 / 1e3);
    Percentiles {
        count: histogram.len(),
        mean: measured.then(|| histogram.mean().round() / 1e3),
        p50: ms(histogram.value_at_quantile(0.5)),
        p90: ms(histogram.value_at_quantile(0.9)),
        p99: ms(histogram.value_at_quantile(0.99)),
        p999: ms(histogram.value_at_quantile(0.999)),
        max: ms(histogram.max()),
        null_reason: (!measured).then(|| empty.to_owned()),
    }
}

/// Milliseconds for a table, `n/a` when null.
fn ms_text(value: Option<f64>, decimals: usize) -> String {
    value.map_or_else(|| "n/a".to_owned(), |ms| format!("{ms:.decimals$}ms"))
}

/// Request counts for the summary.
pub fn request_counts(counters: &Counters, planned: u64, operations: u64) -> RequestCounts {
    RequestCounts {
        planned,
        counters: counters.clone(),
        accounted: counters.accounted(),
        late_start_threshold_ms: LATE_START_THRESHOLD.as_millis() as u64,
        operations,
    }
}

/// Batch latencies of the replayed batches.
pub struct BatchLatencies {
    pub sim: LatencyReport,
    pub live: LatencyReport,
    pub live_minus_sim: Percentiles,
}

/// Batch latencies, model and live, of the replayed batches.
pub fn batch_latencies(
    schedule: &Schedule,
    requests: &[PlannedRequest],
    recorder: &Recorder,
    started: Instant,
) -> BatchLatencies {
    let batches = schedule.batches.len();
    let mut sim_last = vec![SimTime::ZERO; batches];
    let mut live_last: Vec<Option<SimTime>> = vec![Some(SimTime::ZERO); batches];
    for (index, request) in requests.iter().enumerate() {
        let lag = recorder.confirmed_at[index].map(|t| t.saturating_duration_since(started + request.anchor));
        for operation in &schedule.operations[request.operations.clone()] {
            let batch = operation.batch as usize;
            sim_last[batch] = sim_last[batch].max(operation.revoked_at);
            live_last[batch] = match (live_last[batch], lag) {
                (Some(last), Some(lag)) => Some(last.max(operation.revoked_at + micros(lag))),
                _ => None,
            };
        }
    }
    let mut sim = LatencyHistogram::new();
    let mut live = LatencyHistogram::new();
    // Up to ~11.6 days in microseconds; longer differences saturate.
    let mut added_us = Histogram::<u64>::new_with_bounds(1, 1_000_000_000_000, 3).expect("valid bounds");
    let mut incomplete = 0;
    for (batch, scheduled) in schedule.batches.iter().enumerate() {
        sim.record_micros((sim_last[batch] - scheduled.decided_at).as_micros());
        match live_last[batch] {
            Some(last) => {
                live.record_micros((last - scheduled.decided_at).as_micros());
                added_us.saturating_record((last - sim_last[batch]).as_micros());
            }
            None => incomplete += 1,
        }
    }
    BatchLatencies {
        sim: latency_report(&sim, batches as u64, 0),
        live: latency_report(&live, batches as u64, incomplete),
        live_minus_sim: percentiles(&added_us, "no batch was confirmed by the service"),
    }
}

fn micros(duration: std::time::Duration) -> crate::engine::SimDuration {
    crate::engine::SimDuration::from_micros(duration.as_micros() as u64)
}

/// The simulator's side of the comparison.
pub fn sim_side(summary: &Summary) -> (LatencyReport, LatencyReport) {
    (summary.metrics.revocation_latency_ms.clone(), summary.metrics.batch_latency_ms.clone())
}

/// The summary's `status` after a stop.
pub fn status_of(stop: Stop) -> &'static str {
    match stop {
        Stop::Complete => "complete",
        Stop::ServiceDown(_) => "partial",
        Stop::Interrupted => "interrupted",
        Stop::Aborted => "aborted",
    }
}

/// The table a live run prints.
pub fn live_table(summary: &LiveSummary) -> String {
    let m = &summary.metrics;
    let mut out = live_header(summary);
    for (name, p) in &m.request_latency_ms {
        let cells = [("p50", p.p50), ("p90", p.p90), ("p99", p.p99), ("p99.9", p.p999), ("max", p.max)];
        let cells: Vec<String> = cells.iter().map(|(label, v)| format!("{label} {}", ms_text(*v, 2))).collect();
        out += &format!("  {name:<24} {}\n", cells.join("  "));
    }
    if let Some(v) = &summary.verify {
        out += &format!(
            "  verify: {} unbound, {} still active, {} still present{}\n",
            v.unbound,
            v.still_active_count,
            v.still_present_count,
            if summary.nothing_lost { " — nothing lost" } else { "" }
        );
    }
    out + &verdict_lines(&summary.verdicts) + &sim_vs_live_table(&summary.sim_vs_live)
}

/// The table's first lines: the target, the status, the request counts and the rate.
fn live_header(summary: &LiveSummary) -> String {
    let m = &summary.metrics;
    let (requests, r) = (&m.requests, &m.requests.counters);
    let t = &summary.target;
    let mut out = format!(
        "== live {} → {} ({} mode, seed {}, {} members, rate {}/s, concurrency {}, speedup {})\n",
        summary.run.scenario,
        t.url,
        t.mode,
        summary.run.seed,
        summary.run.members,
        t.rate_per_sec,
        t.concurrency,
        t.speedup
    );
    out += &format!(
        "  status: {}{}\n",
        summary.status,
        summary.status_reason.as_ref().map_or(String::new(), |r| format!(" — {r}"))
    );
    out += &format!(
        "  requests: sent {} = ok {} + http_error {} + timeout {} + connection_error {} + abandoned {} ({}); planned {}, retries {}\n",
        r.sent,
        r.ok,
        r.http_error,
        r.timeout,
        r.connection_error,
        r.abandoned,
        if requests.accounted { "all accounted for" } else { "NOT accounted for" },
        requests.planned,
        r.retries
    );
    let per_sec = |rate: Option<f64>| rate.map_or_else(|| "n/a".to_owned(), |r| format!("{r:.1}/s"));
    out += &format!(
        "  rate: intended {}, achieved {} over {:.1}s; late starts {} (> {} ms; {} held by the {} busy slots, {} by the client itself){}\n",
        per_sec(m.rate.intended_per_sec),
        per_sec(m.rate.achieved_per_sec),
        m.rate.duration_s,
        r.late_starts,
        requests.late_start_threshold_ms,
        r.late_starts - r.late_starts_client,
        t.concurrency,
        r.late_starts_client,
        if m.rate.client_bottleneck { " — the client, not the server, was the bottleneck" } else { "" }
    );
    if let Some(line) = saturation_line(&m.rate) {
        out += &format!("  {line}\n");
    }
    if m.rate.client_dominates {
        out += "  CLIENT-BOUND: the client's own delay (client_delay p50) exceeds the service time p50: these latencies measure the client more than the service\n";
    }
    if let Some(per_1000) = m.rate.client_cpu_s_per_1000_requests {
        out += &format!(
            "  client CPU: {:.3}s during the replay, {per_1000:.4}s per 1 000 requests\n",
            m.rate.client_cpu_s.unwrap_or(0.0)
        );
    }
    out
}

/// The warning of a saturated run, if it was.
pub fn saturation_line(rate: &RateReport) -> Option<String> {
    let (Some(ratio), Some(achieved), Some(intended)) =
        (rate.achieved_rate_ratio, rate.achieved_per_sec, rate.intended_per_sec)
    else {
        return None;
    };
    rate.saturated.then(|| {
        format!(
            "SATURATED: achieved {achieved:.1}/s of the intended {intended:.1}/s (ratio {ratio:.2} < {SATURATED_BELOW}): the run did not keep up with its schedule (the late starts say whether busy slots or the client held it), and the response times include the queue"
        )
    })
}

/// The verdict lines of the table.
fn verdict_lines(verdicts: &LiveVerdicts) -> String {
    if verdicts.objectives.is_empty() {
        return String::new();
    }
    let width = verdicts.objectives.iter().map(|v| v.objective.chars().count()).max().unwrap_or(0);
    let mut out = "  objectives (a live run is one measurement: judged on the measured value):\n".to_owned();
    for v in &verdicts.objectives {
        out += &format!("    {:<9}  {:<width$}  {}\n", v.verdict.label(), v.objective, v.reason);
    }
    if let Some(objective) = &verdicts.aborted_by {
        out += &format!("  aborted by {objective} (abort_on_fail)\n");
    }
    out
}

/// The sim-vs-live table: one row per figure.
fn sim_vs_live_table(table: &SimVsLive) -> String {
    let mut out = format!(
        "  sim vs live ({}):\n    {:<10} {:>16} {:>16} {:>16}\n",
        table.figure, "figure", "sim (all reps)", "sim (replayed)", "live"
    );
    let columns = [&table.sim_all_replications_ms, &table.sim_replayed_ms, &table.live_ms];
    type Read = fn(&LatencyReport) -> Option<f64>;
    let rows: [(&str, Read); 5] = [
        ("p50", |r| r.p50.map(|v| v as f64)),
        ("p90", |r| r.p90.map(|v| v as f64)),
        ("p99", |r| r.p99.map(|v| v as f64)),
        ("max", |r| r.max.map(|v| v as f64)),
        ("mean", |r| r.mean),
    ];
    for (name, read) in rows {
        let cells: Vec<String> = columns.iter().map(|c| read(c).map_or("n/a".into(), format_duration_ms)).collect();
        out += &format!("    {name:<10} {:>16} {:>16} {:>16}\n", cells[0], cells[1], cells[2]);
    }
    let counts: Vec<String> = columns.iter().map(|c| format!("{} ({} inc.)", c.count, c.incomplete)).collect();
    out += &format!("    {:<10} {:>16} {:>16} {:>16}\n", "batches", counts[0], counts[1], counts[2]);
    let added = &table.live_minus_sim_ms;
    out + &format!(
        "    live − sim per batch (what the service added): p50 {}  p90 {}  max {}\n",
        ms_text(added.p50, 1),
        ms_text(added.p90, 1),
        ms_text(added.max, 1)
    )
}

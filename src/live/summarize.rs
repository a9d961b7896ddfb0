//! From what a live run produced to its files and exit: the summary
//! (figures, status, verdicts), the interval log and the JUnit file
//! written, the table printed, and the run's verdict — exit 1 for a run
//! stopped by the service or a signal or left unverified, exit 3 (a
//! `Failed`) for a loss, a failed objective or an objective's abort.

use super::objectives::{self, EndFigures};
use super::record::Recorder;
use super::replay::{PlannedRequest, Replayed, Stop};
use super::report::{self, LiveMetrics, LiveSummary, LiveTiming, LiveVerdicts, SimVsLive, TargetReport};
use super::run::{Live, LoadConfig, LoadError, results_directory};
use super::schedule::Schedule;
use super::scim::ServiceConfig;
use super::verify::Verification;
use crate::metrics::{SloOutcome, Summary};
use crate::report::{TestSuite, junit_xml, publish_folder, write_atomic};
use std::path::Path;
use std::time::{Instant, SystemTime};
use url::Url;

/// Writes the run's files, prints its table and says how it ended.
pub fn summarize(
    config: &LoadConfig,
    schedule: &Schedule,
    sim: &Summary,
    mut live: Live,
    (clock, wall_start): (Instant, SystemTime),
) -> Result<LiveSummary, LoadError> {
    let replayed = &mut live.replayed;
    let hlog = replayed.recorder.finish_hlog(replayed.finished, wall_start);
    let live = &live;
    let replayed = &live.replayed;
    let batches = report::batch_latencies(schedule, &live.requests, &replayed.recorder, replayed.started);
    let (sim_revocation, sim_batch) = report::sim_side(sim);
    let metrics = live_metrics(&live.requests, replayed, batches.live.clone(), schedule.operations.len() as u64);
    let stop_reason = live.failure.clone().or_else(|| stop_reason(config, live));
    let nothing_lost = metrics.requests.accounted
        && replayed.stop == Stop::Complete
        && live.verification.as_ref().is_some_and(Verification::clean);
    let summary = LiveSummary {
        schema_version: report::LIVE_SCHEMA_VERSION,
        kind: "live-load",
        status: status(live).to_owned(),
        status_reason: stop_reason.clone().or(live.verify_error.clone()),
        run: crate::runner::run_info(&config.scenario, config.seed, config.replications),
        target: target_report(config, &live.base, &live.service),
        provision: live.provision.clone(),
        verdicts: verdicts(config, live, &metrics),
        metrics,
        verify: live.verification.clone(),
        nothing_lost,
        sim_vs_live: SimVsLive {
            figure: "decision → last account cut (sim) / confirmed by the service (live)",
            sim_all_replications_ms: sim_revocation,
            sim_replayed_ms: batches.sim,
            live_ms: batches.live,
            live_minus_sim_ms: batches.live_minus_sim,
            sim_batch_latency_ms: sim_batch,
        },
        timing: LiveTiming {
            wall_ms: clock.elapsed().as_secs_f64() * 1e3,
            replay_wall_ms: replayed.finished.saturating_duration_since(replayed.started).as_secs_f64() * 1e3,
            host: crate::runner::host_name(),
        },
    };
    let directory = results_directory(&config.out, &config.scenario.name);
    write_files(config, &summary, &hlog, &directory)?;
    print_table(config, &summary, &directory);
    verdict(&summary, stop_reason, &directory)
}

/// The summary and the interval log as one folder, then the JUnit file.
fn write_files(config: &LoadConfig, summary: &LiveSummary, hlog: &[u8], directory: &Path) -> Result<(), LoadError> {
    let mut text = serde_json::to_string_pretty(summary).map_err(|e| LoadError::Runtime(e.to_string()))?;
    text.push('\n');
    // The summary and the interval log describe one run: published as one
    // folder, a reader never sees a new summary beside an old log.
    let files: [(&str, &[u8]); 2] = [("requests.hlog", hlog), ("summary.json", text.as_bytes())];
    publish_folder(directory, &files)
        .map_err(|e| LoadError::Runtime(format!("{}: cannot write: {e}", directory.display())))?;
    // An interrupted run judged nothing, and writes no JUnit file (as `run`).
    match &config.junit {
        Some(path) if summary.status != report::status_of(Stop::Interrupted) => {
            let mut suite = TestSuite::new(&summary.run.scenario, summary.timing.wall_ms / 1e3);
            suite.add_objectives(&summary.verdicts.objectives);
            let xml = junit_xml("unbindsim", &[suite]);
            write_atomic(path, xml.as_bytes())
                .map_err(|e| LoadError::Runtime(format!("{}: cannot write: {e}", path.display())))
        }
        _ => Ok(()),
    }
}

fn print_table(config: &LoadConfig, summary: &LiveSummary, directory: &Path) {
    if config.quiet {
        return;
    }
    let shown = directory.join("summary.json");
    let table = format!("{}  wrote {} and requests.hlog\n\n", report::live_table(summary), shown.display());
    // A closed stream (`| head`) ends the printing, never the run.
    let _ = if config.table_to_stderr {
        std::io::Write::write_all(&mut std::io::stderr(), table.as_bytes())
    } else {
        std::io::Write::write_all(&mut std::io::stdout(), table.as_bytes())
    };
}

/// The verdicts on `[slo]`: none for an interrupted run.
fn verdicts(config: &LoadConfig, live: &Live, metrics: &LiveMetrics) -> LiveVerdicts {
    let stop = live.replayed.stop;
    if stop == Stop::Interrupted {
        return LiveVerdicts::default();
    }
    let achieved_rate_ratio = match (stop, metrics.rate.achieved_rate_ratio) {
        (Stop::Complete, Some(ratio)) => Ok(ratio),
        (Stop::Complete, None) => Err(metrics.rate.null_reason.clone().unwrap_or_else(|| "no rate measured".into())),
        _ => Err(format!("the run stopped early ({})", report::status_of(stop))),
    };
    let still_active = match (&live.verification, &live.failure) {
        (Some(v), _) => Ok(v.still_active_count + v.still_present_count),
        (None, Some(failure)) => Err(failure.clone()),
        (None, None) => Err(live.verify_error.clone().unwrap_or_else(|| "not verified: the run stopped early".into())),
    };
    let end = EndFigures { achieved_rate_ratio, still_active };
    let recorder = &live.replayed.recorder;
    let mut objectives = objectives::judge(&config.scenario.live_slo, &config.scenario.slo, recorder, &end);
    let aborted_by = live.aborted_by.as_ref().map(|aborted| {
        // The aborting objective keeps the verdict that stopped the run.
        if let Some(entry) = objectives.iter_mut().find(|v| v.objective == aborted.objective) {
            entry.verdict = SloOutcome::Fail;
            entry.reason = format!(
                "aborted the run (abort_on_fail), at the abort: {}; after the requests in flight: {}",
                aborted.reason, entry.reason
            );
        }
        aborted.objective.clone()
    });
    LiveVerdicts { objectives, aborted_by }
}

fn live_metrics(
    requests: &[PlannedRequest],
    replayed: &Replayed,
    batches: crate::metrics::LatencyReport,
    operations: u64,
) -> LiveMetrics {
    let recorder = &replayed.recorder;
    let empty = "no response was measured";
    let latencies = [
        ("response_time", report::percentiles(&recorder.totals.response_us, empty)),
        ("service_time", report::percentiles(&recorder.totals.service_us, empty)),
        ("dispatch_delay", report::percentiles(&recorder.totals.dispatch_us, empty)),
        ("client_delay", report::percentiles(&recorder.client_delay_us, "no request found a concurrency slot free")),
    ];
    LiveMetrics {
        batch_latency_ms: batches,
        requests: report::request_counts(&recorder.counters, requests.len() as u64, operations),
        request_latency_ms: latencies.into_iter().collect(),
        rate: rate_report(requests, replayed),
    }
}

/// Intended and achieved rates, null with a reason where nothing measures them.
fn rate_report(requests: &[PlannedRequest], replayed: &Replayed) -> report::RateReport {
    let counters = &replayed.recorder.counters;
    let planned = requests.len() as u64;
    let intended_s = requests.last().map_or(0.0, |r| r.offset.as_secs_f64());
    let duration_s = replayed.finished.saturating_duration_since(replayed.started).as_secs_f64();
    let completed = counters.sent - counters.abandoned;
    let intended = (intended_s > 0.0).then(|| planned as f64 / intended_s);
    let achieved = (duration_s > 0.0 && counters.sent > 0).then(|| completed as f64 / duration_s);
    let ratio = intended.zip(achieved).map(|(intended, achieved)| achieved / intended);
    let cpu_s = replayed.cpu.map(|cpu| cpu.as_secs_f64());
    let null_reason = if counters.sent == 0 {
        Some("nothing was sent".to_owned())
    } else if intended.is_none() {
        Some("every request was intended at one moment: no intended rate".to_owned())
    } else {
        None
    };
    report::RateReport {
        intended_per_sec: intended,
        achieved_per_sec: achieved,
        achieved_rate_ratio: ratio,
        saturated: ratio.is_some_and(|r| r < report::SATURATED_BELOW),
        duration_s,
        client_bottleneck: counters.late_starts_client * 100 > counters.sent.max(1),
        client_dominates: client_dominates(&replayed.recorder),
        client_cpu_s: cpu_s,
        client_cpu_s_per_1000_requests: cpu_s.filter(|_| counters.sent > 0).map(|s| s / counters.sent as f64 * 1000.0),
        null_reason,
    }
}

/// Whether the client's own delay is larger than what it measures: the
/// median delay of requests sent with a slot free above the median service
/// time.
fn client_dominates(recorder: &super::record::Recorder) -> bool {
    let (client, service) = (&recorder.client_delay_us, &recorder.totals.service_us);
    !client.is_empty() && !service.is_empty() && client.value_at_quantile(0.5) > service.value_at_quantile(0.5)
}

fn target_report(config: &LoadConfig, base: &Url, service: &ServiceConfig) -> TargetReport {
    let mut url = super::scim::redacted(base);
    url.set_query(None);
    TargetReport {
        kind: "scim",
        url: url.to_string(),
        mode: config.mode.name(),
        rate_per_sec: config.rate_per_sec,
        concurrency: config.concurrency,
        speedup: config.speedup,
        retries: config.retries,
        timeout_ms: config.timeout.as_millis() as u64,
        bearer_token: config.token.is_some(),
        bulk_max_operations: service.bulk.map(|b| b.max_operations),
        bulk_max_payload_bytes: service.bulk.map(|b| b.max_payload_bytes),
    }
}

/// The run's status: provisioning failed, how the replay stopped, or
/// `unverified` when it completed but what the service shows could not be
/// read back.
fn status(live: &Live) -> &'static str {
    match (live.failure.is_some(), live.replayed.stop, live.verification.is_some()) {
        (true, _, _) => "provisioning-failed",
        (false, Stop::Complete, false) => "unverified",
        (false, stop, _) => report::status_of(stop),
    }
}

fn stop_reason(config: &LoadConfig, live: &Live) -> Option<String> {
    let recorder: &Recorder = &live.replayed.recorder;
    let kinds = &recorder.counters.connection_errors_by_kind;
    match live.replayed.stop {
        Stop::Complete => None,
        Stop::ServiceDown(down) => Some(format!(
            "the service at {} gave no response for {:.1}s while connections failed ({} connection errors: {}), longer than --down-limit {}s; stopped sending",
            super::scim::redacted(&config.url),
            down.as_secs_f64(),
            recorder.counters.connection_error,
            kinds.iter().map(|(k, n)| format!("{k} {n}")).collect::<Vec<_>>().join(", "),
            config.down_limit.as_secs_f64()
        )),
        Stop::Interrupted => {
            Some("interrupted (SIGINT or SIGTERM): stopped sending and waited for requests in flight".into())
        }
        Stop::Aborted => Some(match &live.aborted_by {
            Some(aborted) => format!(
                "aborted by objective {} (abort_on_fail) after {} responses: {}; stopped sending and waited for requests in flight",
                aborted.objective,
                recorder.counters.sent - recorder.counters.abandoned,
                aborted.reason
            ),
            None => "aborted by an abort_on_fail objective".to_owned(),
        }),
    }
}

/// How the run ended: its summary, or why it failed (`Runtime`: exit 1;
/// `Failed`: exit 3).
fn verdict(summary: &LiveSummary, stop_reason: Option<String>, directory: &Path) -> Result<LiveSummary, LoadError> {
    let written = format!("{} results written to {}", summary.status, directory.display());
    match (stop_reason, summary.verdicts.aborted_by.is_some()) {
        (Some(reason), true) => return Err(LoadError::Failed(format!("{reason}; {written}"))),
        (Some(reason), false) => return Err(LoadError::Runtime(format!("{reason}; {written}"))),
        (None, _) => {}
    }
    let Some(verification) = &summary.verify else {
        // Not "lost": what the service holds is unknown, so the run failed.
        return Err(LoadError::Runtime(format!(
            "{}; every request is accounted for in {}",
            summary.status_reason.clone().unwrap_or_default(),
            directory.display()
        )));
    };
    let mut failures = Vec::new();
    if !summary.nothing_lost {
        failures.push(format!(
            "not everything was unbound: {} unbound members still active, {} still present",
            verification.still_active_count, verification.still_present_count
        ));
    }
    let failed: Vec<&str> = summary
        .verdicts
        .objectives
        .iter()
        .filter(|v| v.verdict == SloOutcome::Fail)
        .map(|v| v.objective.as_str())
        .collect();
    if !failed.is_empty() {
        failures.push(format!("{}: objective failed: {}", summary.run.scenario, failed.join(", ")));
    }
    if failures.is_empty() {
        return Ok(summary.clone());
    }
    Err(LoadError::Failed(format!("{}; see {}", failures.join("; "), directory.display())))
}

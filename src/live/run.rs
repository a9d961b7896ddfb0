//! One live run end to end: schedule and simulation first (no network),
//! then discovery, provisioning, replay and verification on a tokio
//! runtime, then the summary and the interval log, written atomically —
//! also when the service went down or the run was interrupted.

use super::provision::{self, ProvisionFailure, ProvisionReport, Provisioned};
use super::record::Recorder;
use super::replay::{self, Mode, Pacing, PlannedRequest, Replayed, Stop};
use super::report::{self, LiveMetrics, LiveSummary, LiveTiming, SimVsLive, TargetReport};
use super::schedule::Schedule;
use super::scim::{ScimClient, ServiceConfig};
use super::verify::{self, Verification};
use crate::metrics::Summary;
use crate::report::publish_folder;
use crate::scenario::Scenario;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime};
use url::Url;

/// Bounds on every live run, checked before anything is sent.
#[derive(Clone, Copy, Debug)]
pub struct Limits;

impl Limits {
    pub const MAX_MEMBERS: u32 = 100_000;
    pub const MAX_CONCURRENCY: usize = 1_024;
    pub const MAX_RATE_PER_SEC: f64 = 100_000.0;
    pub const MAX_REQUESTS: usize = 1_000_000;
    pub const MAX_DURATION: Duration = Duration::from_secs(24 * 3600);
    pub const MAX_RETRIES: u32 = 20;
}

/// Everything a live run needs, checked by the caller.
pub struct LoadConfig {
    pub scenario: Scenario,
    pub seed: u64,
    pub replications: u32,
    pub threads: usize,
    pub url: Url,
    pub token: Option<String>,
    pub mode: Mode,
    pub rate_per_sec: f64,
    pub concurrency: usize,
    pub speedup: f64,
    pub retries: u32,
    pub timeout: Duration,
    pub down_limit: Duration,
    pub drain_limit: Duration,
    pub max_duration: Duration,
    pub out: PathBuf,
    pub quiet: bool,
    /// With `--format json`: the table goes to stderr, stdout keeps the document.
    pub table_to_stderr: bool,
}

/// Why a live run did not succeed.
#[derive(Debug)]
pub enum LoadError {
    /// A flag the service or the limits refuse; nothing was written.
    BadInput(String),
    /// A failure at run time; partial results may have been written.
    Runtime(String),
    /// The run finished but the service lost something.
    Lost(String),
}

/// Runs the load and writes `<out>/<scenario>-live/summary.json` and
/// `requests.hlog`; returns the summary.
pub fn run(config: &LoadConfig) -> Result<LiveSummary, LoadError> {
    let wall_start = SystemTime::now();
    let clock = Instant::now();
    let schedule = Schedule::build(&config.scenario, config.seed).map_err(LoadError::Runtime)?;
    check_duration(config, &schedule)?;
    let sim = crate::runner::simulate(&config.scenario, config.seed, config.replications, config.threads, &|| {})
        .map_err(|fault| LoadError::Runtime(fault.to_string()))?;
    say(
        config,
        &format!(
            "live {}: seed {}, {} members, {} accounts to unbind in {} console batches over {} of model time (≈ {:.1}s at speedup {})",
            config.scenario.name,
            config.seed,
            config.scenario.org.members,
            schedule.operations.len(),
            schedule.batches.len(),
            crate::metrics::format_duration_ms(schedule.span().as_micros() as f64 / 1e3),
            schedule.span().as_micros() as f64 / 1e6 / config.speedup,
            config.speedup
        ),
    );
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .map_err(|e| LoadError::Runtime(format!("cannot start the async runtime: {e}")))?;
    let live = runtime.block_on(drive(config, &schedule))?;
    let summary = summarize(config, &schedule, &sim, live, clock, wall_start)?;
    Ok(summary)
}

/// What the async part produced.
struct Live {
    base: Url,
    service: ServiceConfig,
    provision: ProvisionReport,
    requests: Vec<PlannedRequest>,
    replayed: Replayed,
    verification: Option<Verification>,
    verify_error: Option<String>,
    /// Why the run stopped before the replay (provisioning failed).
    failure: Option<String>,
}

async fn drive(config: &LoadConfig, schedule: &Schedule) -> Result<Live, LoadError> {
    let pool = config.concurrency;
    let client = ScimClient::new(&config.url, config.token.as_deref(), config.timeout, pool)
        .map_err(LoadError::BadInput)?
        .with_retries(config.retries);
    let (client, service) = discover(client).await?;
    check_mode(config.mode, &service)?;
    let limits = provision::Limits {
        rate_per_sec: config.rate_per_sec,
        concurrency: pool,
        retries: config.retries,
        reactivate: config.mode == Mode::Patch,
    };
    let Provisioned { ids, report: provision } =
        match provision::provision(&client, &service, &config.scenario.name, &schedule.org, limits).await {
            Ok(provisioned) => provisioned,
            Err(failure) => return Ok(provisioning_failed(client.base().clone(), service, failure)),
        };
    say(
        config,
        &format!(
            "  provisioned: {} users existed, {} created, {} reactivated; {} groups existed, {} created; {} errors",
            provision.users_existing,
            provision.users_created,
            provision.users_reactivated,
            provision.groups_existing,
            provision.groups_created,
            provision.errors
        ),
    );
    let op_ids: Vec<String> = schedule.operations.iter().map(|op| ids[op.member as usize].clone()).collect();
    let bulk = service.bulk.map(|limits| (limits, config.scenario.policy.batch_limit));
    let mut requests = replay::plan(schedule, &op_ids, config.mode, bulk);
    let pacing = pacing(config);
    replay::set_intended_times(&mut requests, schedule, &pacing);
    let requests = Arc::new(requests);
    let interrupt = async {
        // SIGTERM (a CI timeout, Kubernetes) stops the replay as Ctrl-C does.
        let terminate = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate());
        match terminate {
            Ok(mut terminate) => tokio::select! { _ = tokio::signal::ctrl_c() => {}, _ = terminate.recv() => {} },
            Err(_) => drop(tokio::signal::ctrl_c().await),
        }
    };
    let replayed = replay::replay(&client, requests.clone(), pacing, interrupt).await;
    let (verification, verify_error) = match replayed.stop {
        Stop::ServiceDown(_) => (None, Some("not verified: the service is down".to_owned())),
        _ => match verify::verify(&client, &service, &config.scenario.name, schedule, config.mode).await {
            Ok(v) => (Some(v), None),
            Err(e) => (None, Some(format!("unverified: the verification could not complete ({e})"))),
        },
    };
    let requests = Arc::try_unwrap(requests).unwrap_or_else(|shared| (*shared).clone());
    Ok(Live {
        base: client.base().clone(),
        service,
        provision,
        requests,
        replayed,
        verification,
        verify_error,
        failure: None,
    })
}

/// A run whose provisioning failed (after its retry budget): nothing is
/// replayed, nothing verified, and the summary says why.
fn provisioning_failed(base: Url, service: ServiceConfig, failure: ProvisionFailure) -> Live {
    let now = Instant::now();
    let replayed = Replayed { recorder: Recorder::new(0, now), stop: Stop::Complete, started: now, finished: now };
    let reason = format!("provisioning failed: {}", failure.reason);
    Live {
        base,
        service,
        provision: failure.report,
        requests: Vec::new(),
        replayed,
        verification: None,
        verify_error: None,
        failure: Some(reason),
    }
}

/// Reads `/ServiceProviderConfig` at the URL, or under `v2/` if the URL is
/// the server's root (as with servers that mount SCIM at `/v2`).
async fn discover(client: ScimClient) -> Result<(ScimClient, ServiceConfig), LoadError> {
    match client.service_config().await {
        Ok(config) => Ok((client, config)),
        Err(first) => {
            let nested = client.under("v2/");
            match nested.service_config().await {
                Ok(config) => Ok((nested, config)),
                Err(_) => Err(LoadError::Runtime(format!(
                    "--url {}: no SCIM service there ({first}); give the SCIM base URL, the one /ServiceProviderConfig is under",
                    client.base()
                ))),
            }
        }
    }
}

fn check_mode(mode: Mode, service: &ServiceConfig) -> Result<(), LoadError> {
    match mode {
        Mode::Patch if !service.patch => Err(LoadError::BadInput(
            "--mode patch: the service announces patch.supported = false in /ServiceProviderConfig; use --mode delete".into(),
        )),
        Mode::Bulk if service.bulk.is_none_or(|b| b.max_operations == 0 || b.max_payload_bytes == 0) => Err(LoadError::BadInput(
            "--mode bulk: the service announces no usable /Bulk (bulk.supported = false, or maxOperations/maxPayloadSize 0) in /ServiceProviderConfig; use --mode patch or delete".into(),
        )),
        _ => Ok(()),
    }
}

fn pacing(config: &LoadConfig) -> Pacing {
    Pacing {
        rate_per_sec: config.rate_per_sec,
        concurrency: config.concurrency,
        speedup: config.speedup,
        retries: config.retries,
        down_limit: config.down_limit,
        drain_limit: config.drain_limit,
    }
}

/// Refuses a run whose provisioning and replay would take longer than
/// `--max-duration` or send more than the request limit, before anything
/// is sent. Provisioning is counted at its most (every member created and
/// every department's group), both at `--rate`; the arithmetic stays in
/// seconds as floats, so no speedup or rate, however small, overflows a
/// `Duration`.
fn check_duration(config: &LoadConfig, schedule: &Schedule) -> Result<(), LoadError> {
    let operations = schedule.operations.len();
    if operations > Limits::MAX_REQUESTS {
        return Err(LoadError::BadInput(format!(
            "--members: the scenario unbinds {operations} accounts, more than the {} requests a live run may send",
            Limits::MAX_REQUESTS
        )));
    }
    let provisioning = schedule.org.members.len() + schedule.org.departments.len();
    let provision_s = provisioning as f64 / config.rate_per_sec;
    let model_s = schedule.span().as_micros() as f64 / 1e6 / config.speedup;
    let replay_s = model_s.max(operations as f64 / config.rate_per_sec);
    let total_s = provision_s + replay_s;
    // Also refuses NaN: only a finite total within the limit passes.
    if total_s.is_finite() && total_s <= config.max_duration.as_secs_f64() {
        return Ok(());
    }
    Err(LoadError::BadInput(format!(
        "--speedup {} / --rate {}/s: provisioning ({provisioning} requests, {}) and the replay ({} of model time, {operations} requests, {}) would take longer than --max-duration {}s; raise --speedup or --rate",
        number_text(config.speedup),
        number_text(config.rate_per_sec),
        wall_text(provision_s),
        crate::metrics::format_duration_ms(schedule.span().as_micros() as f64 / 1e3),
        wall_text(replay_s),
        config.max_duration.as_secs()
    )))
}

/// A flag's number for a message, in scientific notation when tiny or huge.
fn number_text(value: f64) -> String {
    if (1e-3..1e9).contains(&value) { format!("{value}") } else { format!("{value:e}") }
}

/// Seconds of wall time for a message: `12s`, or `more than a year`.
fn wall_text(seconds: f64) -> String {
    if seconds.is_finite() && seconds < 365.0 * 86_400.0 { format!("{seconds:.0}s") } else { "more than a year".into() }
}

fn summarize(
    config: &LoadConfig,
    schedule: &Schedule,
    sim: &Summary,
    mut live: Live,
    clock: Instant,
    wall_start: SystemTime,
) -> Result<LiveSummary, LoadError> {
    let replayed = &mut live.replayed;
    let hlog = replayed.recorder.finish_hlog(replayed.finished, wall_start);
    let batches = report::batch_latencies(schedule, &live.requests, &replayed.recorder, replayed.started);
    let (sim_revocation, sim_batch) = report::sim_side(sim);
    let metrics = live_metrics(&live.requests, replayed, batches.live.clone(), schedule.operations.len() as u64);
    let stop_reason = live.failure.clone().or_else(|| stop_reason(config, replayed.stop, &replayed.recorder));
    let status_reason = stop_reason.clone().or(live.verify_error.clone());
    let nothing_lost = metrics.requests.accounted
        && replayed.stop == Stop::Complete
        && live.verification.as_ref().is_some_and(Verification::clean);
    let summary = LiveSummary {
        schema_version: report::LIVE_SCHEMA_VERSION,
        kind: "live-load",
        status: if live.failure.is_some() {
            "provisioning-failed"
        } else {
            status(replayed.stop, live.verification.is_some())
        }
        .to_owned(),
        status_reason,
        run: crate::runner::run_info(&config.scenario, config.seed, config.replications),
        target: target_report(config, &live.base, &live.service),
        provision: live.provision.clone(),
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
    let mut text = serde_json::to_string_pretty(&summary).map_err(|e| LoadError::Runtime(e.to_string()))?;
    text.push('\n');
    // The summary and the interval log describe one run: published as one
    // folder, a reader never sees a new summary beside an old log.
    let files: [(&str, &[u8]); 2] = [("requests.hlog", &hlog), ("summary.json", text.as_bytes())];
    publish_folder(&directory, &files)
        .map_err(|e| LoadError::Runtime(format!("{}: cannot write: {e}", directory.display())))?;
    if !config.quiet {
        let shown = directory.join("summary.json");
        let table = format!("{}  wrote {} and requests.hlog\n\n", report::live_table(&summary), shown.display());
        // A closed stream (`| head`) ends the printing, never the run.
        let _ = if config.table_to_stderr {
            std::io::Write::write_all(&mut std::io::stderr(), table.as_bytes())
        } else {
            std::io::Write::write_all(&mut std::io::stdout(), table.as_bytes())
        };
    }
    verdict(&summary, stop_reason, &directory)
}

/// Where a load run of `scenario` writes its files: `<out>/<scenario>-live/`.
pub fn results_directory(out: &std::path::Path, scenario: &str) -> PathBuf {
    out.join(format!("{scenario}-live"))
}

fn live_metrics(
    requests: &[PlannedRequest],
    replayed: &Replayed,
    batches: crate::metrics::LatencyReport,
    operations: u64,
) -> LiveMetrics {
    let recorder = &replayed.recorder;
    let planned = requests.len() as u64;
    let intended_s = requests.last().map_or(0.0, |r| r.offset.as_secs_f64());
    let duration_s = replayed.finished.saturating_duration_since(replayed.started).as_secs_f64();
    let completed = recorder.counters.sent - recorder.counters.abandoned;
    let latencies = [
        ("response_time", report::percentiles(&recorder.totals.response_us)),
        ("service_time", report::percentiles(&recorder.totals.service_us)),
        ("dispatch_delay", report::percentiles(&recorder.totals.dispatch_us)),
    ];
    LiveMetrics {
        batch_latency_ms: batches,
        requests: report::request_counts(&recorder.counters, planned, operations),
        request_latency_ms: latencies.into_iter().collect(),
        rate: report::RateReport {
            intended_per_sec: if intended_s > 0.0 { planned as f64 / intended_s } else { 0.0 },
            achieved_per_sec: if duration_s > 0.0 { completed as f64 / duration_s } else { 0.0 },
            duration_s,
            client_bottleneck: recorder.counters.late_starts_client * 100 > recorder.counters.sent.max(1),
        },
    }
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

/// The run's status: how the replay stopped, or `unverified` when it
/// completed but what the service shows could not be read back.
fn status(stop: Stop, verified: bool) -> &'static str {
    match (stop, verified) {
        (Stop::Complete, false) => "unverified",
        (stop, _) => report::status_of(stop),
    }
}

fn stop_reason(config: &LoadConfig, stop: Stop, recorder: &Recorder) -> Option<String> {
    let kinds = &recorder.counters.connection_errors_by_kind;
    match stop {
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
    }
}

fn verdict(
    summary: &LiveSummary,
    stop_reason: Option<String>,
    directory: &std::path::Path,
) -> Result<LiveSummary, LoadError> {
    if let Some(reason) = stop_reason {
        return Err(LoadError::Runtime(format!(
            "{reason}; {} results written to {}",
            summary.status,
            directory.display()
        )));
    }
    let Some(verification) = &summary.verify else {
        // Not "lost": what the service holds is unknown, so the run failed.
        return Err(LoadError::Runtime(format!(
            "{}; every request is accounted for in {}",
            summary.status_reason.clone().unwrap_or_default(),
            directory.display()
        )));
    };
    if !summary.nothing_lost {
        return Err(LoadError::Lost(format!(
            "not everything was unbound: {} unbound members still active, {} still present; see {}",
            verification.still_active_count,
            verification.still_present_count,
            directory.display()
        )));
    }
    Ok(summary.clone())
}

fn say(config: &LoadConfig, line: &str) {
    if !config.quiet {
        eprintln!("{line}");
    }
}

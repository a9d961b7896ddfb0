//! One live run end to end: schedule, plan checks and simulation first (no
//! network), then discovery, provisioning, replay and verification on a
//! tokio runtime (with the monitor publishing the counters and watching
//! the `abort_on_fail` objectives, and the `--metrics-addr` responder),
//! then `summarize` writes the files — also when the service went down,
//! the run was interrupted or an objective aborted it.

use super::monitor::{Monitor, Phase, Progress};
use super::plan;
use super::provision::{self, ProvisionFailure, ProvisionReport, Provisioned};
use super::record::Recorder;
use super::replay::{self, Mode, Pacing, PlannedRequest, Replayed, Stop};
use super::report::LiveSummary;
use super::schedule::Schedule;
use super::scim::{ScimClient, ServiceConfig};
use super::summarize::summarize;
use super::verify::{self, Verification};
use crate::report::ObjectiveVerdict;
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
    pub const MAX_RATE_PER_SEC: f64 = 1_000_000.0;
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
    /// `--junit FILE`: the verdicts as JUnit XML (not for an interrupted run).
    pub junit: Option<PathBuf>,
    /// `--metrics-addr`: where the live counters are served (loopback, checked by the caller).
    pub metrics_addr: Option<std::net::SocketAddr>,
    /// Sees every snapshot of the counters (the command line draws them).
    pub progress: Box<dyn Progress>,
}

/// Why a live run did not succeed.
#[derive(Debug)]
pub enum LoadError {
    /// A flag the service or the limits refuse; nothing was written.
    BadInput(String),
    /// A failure at run time; partial results may have been written.
    Runtime(String),
    /// The run finished but the service lost something, an objective
    /// failed, or one aborted the run.
    Failed(String),
}

/// Runs the load and writes `<out>/<scenario>-live/summary.json` and
/// `requests.hlog` (and the JUnit file, if asked); returns the summary.
pub fn run(config: &LoadConfig) -> Result<LiveSummary, LoadError> {
    let wall_start = SystemTime::now();
    let clock = Instant::now();
    let schedule = Schedule::build(&config.scenario, config.seed).map_err(LoadError::Runtime)?;
    let estimate = plan::check(config, &schedule)?;
    let metrics_listener = config.metrics_addr.map(listen).transpose()?;
    let sim = crate::runner::simulate(&config.scenario, config.seed, config.replications, config.threads, &|| {})
        .map_err(|fault| LoadError::Runtime(fault.to_string()))?;
    say(config, &plan::plan_line(config, &schedule, estimate));
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| LoadError::Runtime(format!("cannot start the async runtime: {e}")))?;
    let live = runtime.block_on(drive(config, &schedule, metrics_listener))?;
    summarize(config, &schedule, &sim, live, (clock, wall_start))
}

/// Binds `--metrics-addr` before anything is sent (a port in use is exit 2).
fn listen(address: std::net::SocketAddr) -> Result<std::net::TcpListener, LoadError> {
    let refused = |e: std::io::Error| LoadError::BadInput(format!("--metrics-addr {address}: cannot listen: {e}"));
    let listener = std::net::TcpListener::bind(address).map_err(refused)?;
    listener.set_nonblocking(true).map_err(refused)?;
    Ok(listener)
}

/// What the async part produced, for `summarize`.
pub struct Live {
    pub base: Url,
    pub service: ServiceConfig,
    pub provision: ProvisionReport,
    pub requests: Vec<PlannedRequest>,
    pub replayed: Replayed,
    pub verification: Option<Verification>,
    pub verify_error: Option<String>,
    /// Why the run stopped before the replay (provisioning failed).
    pub failure: Option<String>,
    /// The `abort_on_fail` objective that stopped the replay.
    pub aborted_by: Option<ObjectiveVerdict>,
}

async fn drive(
    config: &LoadConfig,
    schedule: &Schedule,
    metrics: Option<std::net::TcpListener>,
) -> Result<Live, LoadError> {
    let mut monitor = Monitor::new(&*config.progress, &config.scenario.live_slo);
    let _server = metrics.map(|listener| {
        if let Ok(address) = listener.local_addr() {
            say(config, &format!("  serving the live counters at http://{address}/metrics"));
        }
        Aborting(tokio::spawn(super::exposition::serve(listener, monitor.subscribe())))
    });
    let live = replay_and_verify(config, schedule, &mut monitor).await;
    monitor.phase(Phase::Done);
    live
}

/// A task aborted when dropped (the metrics responder ends with the run).
struct Aborting(tokio::task::JoinHandle<()>);

impl Drop for Aborting {
    fn drop(&mut self) {
        self.0.abort();
    }
}

async fn replay_and_verify(
    config: &LoadConfig,
    schedule: &Schedule,
    monitor: &mut Monitor<'_>,
) -> Result<Live, LoadError> {
    let pool = config.concurrency;
    let client = ScimClient::new(&config.url, config.token.as_deref(), config.timeout, pool)
        .map_err(LoadError::BadInput)?
        .with_retries(config.retries);
    monitor.phase(Phase::Discovery);
    let (client, service) = discover(client).await?;
    check_mode(config.mode, &service)?;
    monitor.phase(Phase::Provisioning);
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
    // The replay's first tick, at once, enters its phase with the plan's counts.
    let replayed = replay::replay(&client, requests.clone(), pacing, interrupt, monitor).await;
    monitor.phase(Phase::Verification);
    let (verification, verify_error) = match replayed.stop {
        Stop::ServiceDown(_) => (None, Some("not verified: the service is down".to_owned())),
        Stop::Aborted => (None, None),
        Stop::Complete | Stop::Interrupted => {
            match verify::verify(&client, &service, &config.scenario.name, schedule, config.mode).await {
                Ok(v) => (Some(v), None),
                Err(e) => (None, Some(format!("unverified: the verification could not complete ({e})"))),
            }
        }
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
        aborted_by: monitor.aborted_by.take(),
    })
}

/// A run whose provisioning failed (after its retry budget): nothing is
/// replayed, nothing verified, and the summary says why.
fn provisioning_failed(base: Url, service: ServiceConfig, failure: ProvisionFailure) -> Live {
    let now = Instant::now();
    let replayed =
        Replayed { cpu: None, recorder: Recorder::new(0, now), stop: Stop::Complete, started: now, finished: now };
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
        aborted_by: None,
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

/// Where a load run of `scenario` writes its files: `<out>/<scenario>-live/`.
pub fn results_directory(out: &std::path::Path, scenario: &str) -> PathBuf {
    out.join(format!("{scenario}-live"))
}

pub fn say(config: &LoadConfig, line: &str) {
    if !config.quiet {
        config.progress.say(line);
    }
}

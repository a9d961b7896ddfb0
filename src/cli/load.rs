//! `unbindsim load`: replay a scenario's unbinds against a real SCIM 2.0
//! service (see `live`). Every flag is checked here, before anything is
//! sent or written; bad flags exit 2 naming the flag.

use super::CliError;
use super::options::RunOptions;
use super::output::{self, Format};
use crate::live::{Limits, LoadConfig, LoadError, Mode};
use crate::scenario::units::{parse_duration, parse_rate};
use clap::{Args, ValueEnum};
use std::time::Duration;
use url::Url;

/// The environment variable read for the bearer token when no flag gives one.
const TOKEN_VARIABLE: &str = "UNBINDSIM_TOKEN";
/// Largest token file read, in bytes.
const MAX_TOKEN_FILE_BYTES: u64 = 64 * 1024;

#[derive(Args, Debug)]
pub struct LoadArgs {
    /// Scenario file or built-in name whose unbind workload is replayed.
    scenario: String,
    /// Kind of service the load goes to.
    #[arg(long, value_enum, default_value = "scim")]
    target: Target,
    /// SCIM base URL (http or https), the one /ServiceProviderConfig is under.
    #[arg(long)]
    url: String,
    #[command(flatten)]
    options: RunOptions,
    /// Most requests per second, for provisioning and replay (`200/s`, `5000/min`).
    #[arg(long, default_value = "200/s")]
    rate: String,
    /// Most requests in flight at once.
    #[arg(long, default_value_t = 64)]
    concurrency: usize,
    /// Bearer token sent to the service (never logged or written). Without
    /// it or --token-file, the UNBINDSIM_TOKEN environment variable is used.
    #[arg(long, conflicts_with = "token_file")]
    token: Option<String>,
    /// File holding the bearer token (surrounding whitespace is trimmed);
    /// keeps the token out of the process list and the shell history.
    #[arg(long, value_name = "FILE")]
    token_file: Option<std::path::PathBuf>,
    /// patch: PATCH active=false (soft); delete: DELETE (hard); bulk: POST /Bulk of DELETEs.
    #[arg(long, value_enum, default_value = "patch")]
    mode: ModeArg,
    /// Model time per wall time: 3600 replays an hour of the scenario per second.
    #[arg(long, default_value_t = 3600.0)]
    speedup: f64,
    /// Retries of a request answered 429 or 503 (honouring Retry-After).
    #[arg(long, default_value_t = 3)]
    retries: u32,
    /// Timeout of one attempt (`10s`, `500ms`).
    #[arg(long, default_value = "10s")]
    timeout: String,
    /// Stop when the service gives no response this long while connections fail.
    #[arg(long, default_value = "10s")]
    down_limit: String,
    /// Refuse a replay planned to last longer than this.
    #[arg(long, default_value = "1h")]
    max_duration: String,
    /// Write the verdicts on the scenario's [slo] objectives as JUnit XML
    /// to FILE (not for an interrupted run).
    #[arg(long, value_name = "FILE")]
    junit: Option<std::path::PathBuf>,
    /// Serve the live counters in the Prometheus text format at
    /// http://ADDR/metrics while the run lasts: a loopback address and port
    /// (`127.0.0.1:9464`, `[::1]:9464`) or a port alone (on 127.0.0.1; 0
    /// picks a free one). Other addresses are refused.
    #[arg(long, value_name = "ADDR")]
    metrics_addr: Option<String>,
}

#[derive(Clone, Copy, Debug, ValueEnum)]
enum Target {
    Scim,
}

#[derive(Clone, Copy, Debug, ValueEnum)]
enum ModeArg {
    Patch,
    Delete,
    Bulk,
}

/// How long a stopped run waits for the requests in flight.
const DRAIN_LIMIT: Duration = Duration::from_secs(5);

pub fn load(args: LoadArgs) -> Result<(), CliError> {
    output::begin(args.options.format);
    let config = config(&args)?;
    let summary = crate::live::results_directory(&config.out, &config.scenario.name).join("summary.json");
    args.options.guard().absent(&summary, "an earlier load run (a live run is never replaced)")?;
    let modified = || std::fs::metadata(&summary).and_then(|m| m.modified()).ok();
    let before = modified();
    let result = crate::live::run(&config);
    // What this run wrote (also when it stopped early), for `--format json`.
    if let Some(written) = (modified() != before)
        .then(|| std::fs::read_to_string(&summary).ok())
        .flatten()
        .and_then(|text| serde_json::from_str::<serde_json::Value>(&text).ok())
    {
        output::add("summaries", &written);
    }
    match result {
        Ok(_) => Ok(()),
        Err(LoadError::BadInput(message)) => Err(CliError::BadInput(message)),
        Err(LoadError::Runtime(message)) => Err(CliError::Runtime(message)),
        Err(LoadError::Failed(message)) => Err(CliError::GateFailed(message)),
    }
}

fn config(args: &LoadArgs) -> Result<LoadConfig, CliError> {
    let Target::Scim = args.target;
    let url = parse_url(&args.url)?;
    let token = token(args)?;
    if token.is_some() && crate::live::has_credentials(&url) {
        return Err(CliError::BadInput(crate::live::CREDENTIALS_AND_TOKEN.to_owned()));
    }
    let rate = parse_rate(&args.rate).map_err(|e| bad("--rate", &e))?.per_sec();
    if rate > Limits::MAX_RATE_PER_SEC {
        return Err(bad("--rate", &format!("at most {}/s", Limits::MAX_RATE_PER_SEC)));
    }
    if args.concurrency == 0 || args.concurrency > Limits::MAX_CONCURRENCY {
        return Err(bad(
            "--concurrency",
            &format!("must be 1 to {}, got {}", Limits::MAX_CONCURRENCY, args.concurrency),
        ));
    }
    if !(args.speedup.is_finite() && args.speedup > 0.0) {
        return Err(bad("--speedup", &format!("must be a positive number, got {}", args.speedup)));
    }
    if args.retries > Limits::MAX_RETRIES {
        return Err(bad("--retries", &format!("at most {}, got {}", Limits::MAX_RETRIES, args.retries)));
    }
    if args.options.scenario.members.is_some_and(|m| m > Limits::MAX_MEMBERS) {
        return Err(bad("--members", &format!("a live run provisions at most {} members", Limits::MAX_MEMBERS)));
    }
    let metrics_addr = args
        .metrics_addr
        .as_deref()
        .map(crate::live::metrics_address)
        .transpose()
        .map_err(|e| bad("--metrics-addr", &e))?;
    if let Some(path) = &args.junit {
        super::overwrite::writable_file(path)?;
    }
    let scenario = args.options.scenario.load(&args.scenario)?;
    if scenario.org.members > Limits::MAX_MEMBERS {
        return Err(bad(
            "--members",
            &format!(
                "{} has {} members; a live run provisions at most {}; pass a smaller --members",
                args.scenario,
                scenario.org.members,
                Limits::MAX_MEMBERS
            ),
        ));
    }
    Ok(LoadConfig {
        seed: args.options.scenario.seed_for(&scenario),
        replications: args.options.replications_for(&scenario),
        threads: args.options.threads(),
        scenario,
        url,
        token,
        mode: match args.mode {
            ModeArg::Patch => Mode::Patch,
            ModeArg::Delete => Mode::Delete,
            ModeArg::Bulk => Mode::Bulk,
        },
        rate_per_sec: rate,
        concurrency: args.concurrency,
        speedup: args.speedup,
        retries: args.retries,
        timeout: duration("--timeout", &args.timeout, Duration::from_secs(600))?,
        down_limit: duration("--down-limit", &args.down_limit, Duration::from_secs(3600))?,
        drain_limit: DRAIN_LIMIT,
        max_duration: duration("--max-duration", &args.max_duration, Limits::MAX_DURATION)?,
        out: args.options.out.clone(),
        quiet: args.options.quiet,
        table_to_stderr: args.options.format == Format::Json,
        junit: args.junit.clone(),
        metrics_addr,
        progress: super::progress::live_line(args.options.quiet),
    })
}

/// The URL of `--url`; no message quotes it but without its credentials.
fn parse_url(text: &str) -> Result<Url, CliError> {
    let url = Url::parse(text).map_err(|e| bad("--url", &format!("not a URL: {e}")))?;
    let shown = crate::live::redacted(&url);
    if !matches!(url.scheme(), "http" | "https") || url.host_str().is_none() {
        return Err(bad("--url", &format!("{shown}: only http:// and https:// URLs with a host are supported")));
    }
    if url.query().is_some() || url.fragment().is_some() {
        return Err(bad("--url", &format!("{shown}: give the SCIM base URL without a query or fragment")));
    }
    Ok(url)
}

/// The bearer token: `--token`, else `--token-file`, else `UNBINDSIM_TOKEN`.
fn token(args: &LoadArgs) -> Result<Option<String>, CliError> {
    if let Some(token) = &args.token {
        return non_empty("--token", token.clone()).map(Some);
    }
    if let Some(path) = &args.token_file {
        let flag = format!("--token-file {}", path.display());
        let text = crate::scenario::read_capped(path, MAX_TOKEN_FILE_BYTES).map_err(|e| bad(&flag, &e))?;
        return non_empty(&flag, text.trim().to_owned()).map(Some);
    }
    match std::env::var(TOKEN_VARIABLE) {
        Ok(token) if !token.is_empty() => Ok(Some(token)),
        Ok(_) | Err(std::env::VarError::NotPresent) => Ok(None),
        Err(std::env::VarError::NotUnicode(_)) => Err(bad(TOKEN_VARIABLE, "is not valid UTF-8")),
    }
}

fn non_empty(flag: &str, token: String) -> Result<String, CliError> {
    if token.is_empty() { Err(bad(flag, "the bearer token is empty")) } else { Ok(token) }
}

fn duration(flag: &str, text: &str, max: Duration) -> Result<Duration, CliError> {
    let value = parse_duration(text).map_err(|e| bad(flag, &e))?;
    let value = Duration::from_micros(value.as_micros());
    if value.is_zero() || value > max {
        return Err(bad(flag, &format!("must be positive and at most {}s, got {text:?}", max.as_secs())));
    }
    Ok(value)
}

fn bad(flag: &str, message: &str) -> CliError {
    CliError::BadInput(format!("{flag}: {message}"))
}

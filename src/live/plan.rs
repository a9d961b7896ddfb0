//! The checks of a live run's plan, made before anything is provisioned or
//! sent: something to replay, the request limit, the planned duration
//! within `--max-duration` — and the plan line, whose duration estimate is
//! the same arithmetic (`--rate` and `--speedup` both counted).

use super::run::{Limits, LoadConfig, LoadError};
use super::schedule::Schedule;
use crate::metrics::format_duration_ms;

/// How long a run is planned to take, in wall seconds.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Estimate {
    /// Provisioning at its most: every member and department created at `--rate`.
    pub provision_s: f64,
    /// The replay: the model's span over `--speedup`, or the requests at
    /// `--rate`, whichever is longer.
    pub replay_s: f64,
}

/// Refuses a plan with more requests than the limit, a longer duration
/// than `--max-duration` (provisioning counted, even with nothing to
/// replay) or nothing to replay; returns its estimate. The
/// arithmetic stays in seconds as floats, so no speedup or rate, however
/// small, overflows a `Duration`.
pub fn check(config: &LoadConfig, schedule: &Schedule) -> Result<Estimate, LoadError> {
    let operations = schedule.operations.len();
    if operations > Limits::MAX_REQUESTS {
        return Err(LoadError::BadInput(format!(
            "--members: the scenario unbinds {operations} accounts, more than the {} requests a live run may send",
            Limits::MAX_REQUESTS
        )));
    }
    let provisioning = schedule.org.members.len() + schedule.org.departments.len();
    let estimate = Estimate {
        provision_s: provisioning as f64 / config.rate_per_sec,
        replay_s: model_seconds(config, schedule).max(operations as f64 / config.rate_per_sec),
    };
    let total_s = estimate.provision_s + estimate.replay_s;
    // Also refuses NaN: only a finite total within the limit passes.
    if !(total_s.is_finite() && total_s <= config.max_duration.as_secs_f64()) {
        return Err(too_long(config, schedule, estimate));
    }
    nothing_to_replay(config, operations)?;
    Ok(estimate)
}

/// Why a plan is longer than `--max-duration`.
fn too_long(config: &LoadConfig, schedule: &Schedule, estimate: Estimate) -> LoadError {
    let operations = schedule.operations.len();
    let provisioning = schedule.org.members.len() + schedule.org.departments.len();
    LoadError::BadInput(format!(
        "--speedup {} / --rate {}/s: provisioning ({provisioning} requests, {}) and the replay ({} of model time, {operations} requests, {}) would take longer than --max-duration {}s; raise --speedup or --rate",
        number_text(config.speedup),
        number_text(config.rate_per_sec),
        wall_text(estimate.provision_s),
        model_span_text(schedule),
        wall_text(estimate.replay_s),
        config.max_duration.as_secs()
    ))
}

/// Refuses a plan that replays nothing (checked after the plan's limits,
/// which a plan's provisioning alone may exceed).
fn nothing_to_replay(config: &LoadConfig, operations: usize) -> Result<(), LoadError> {
    if operations == 0 {
        return Err(LoadError::BadInput(format!(
            "{}: nothing to replay: replication 0 of the model (seed {}, {} members) cuts no account (app-only revocations and device changes keep the account); nothing was provisioned or sent; replay a workload that revokes or unbinds members, or try another --seed or --members",
            config.scenario.name, config.seed, config.scenario.org.members
        )));
    }
    Ok(())
}

/// The plan line printed before a run.
pub fn plan_line(config: &LoadConfig, schedule: &Schedule, estimate: Estimate) -> String {
    format!(
        "live {}: seed {}, {} members, {} accounts to unbind in {} console batches over {} of model time; replay ≈ {:.1}s at --rate {}/s and --speedup {} (the longer of {:.1}s of model time and {:.1}s of requests at the rate), after provisioning (at most ≈ {:.1}s)",
        config.scenario.name,
        config.seed,
        config.scenario.org.members,
        schedule.operations.len(),
        schedule.batches.len(),
        model_span_text(schedule),
        estimate.replay_s,
        number_text(config.rate_per_sec),
        number_text(config.speedup),
        model_seconds(config, schedule),
        schedule.operations.len() as f64 / config.rate_per_sec,
        estimate.provision_s
    )
}

/// The model's span of the replayed operations in wall seconds.
fn model_seconds(config: &LoadConfig, schedule: &Schedule) -> f64 {
    schedule.span().as_micros() as f64 / 1e6 / config.speedup
}

fn model_span_text(schedule: &Schedule) -> String {
    format_duration_ms(schedule.span().as_micros() as f64 / 1e3)
}

/// A flag's number for a message, in scientific notation when tiny or huge.
fn number_text(value: f64) -> String {
    if (1e-3..1e9).contains(&value) { format!("{value}") } else { format!("{value:e}") }
}

/// Seconds of wall time for a message: `12s`, or `more than a year`.
fn wall_text(seconds: f64) -> String {
    if seconds.is_finite() && seconds < 365.0 * 86_400.0 { format!("{seconds:.0}s") } else { "more than a year".into() }
}

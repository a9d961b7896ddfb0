//! One scenario end to end: generate its org from the seed, run the
//! replications, merge them into a `Summary`.

use super::{DEFAULT_MAX_EVENTS, Experiment, RunFault, run_replications};
use crate::engine::SimTime;
use crate::metrics::{ReplicationRecord, RunInfo, Summary, Timing};
use crate::scenario::Scenario;
use crate::synth::generate;
use std::time::Instant;

/// Runs `replications` of `scenario` from `seed` on `threads` threads.
pub fn simulate(scenario: &Scenario, seed: u64, replications: u32, threads: usize) -> Result<Summary, RunFault> {
    let started = Instant::now();
    let org = generate(&scenario.org, seed);
    let experiment = Experiment {
        org: &org,
        policy: &scenario.policy,
        behaviour: &scenario.behaviour,
        workload: &scenario.workload,
        horizon: SimTime::ZERO + scenario.horizon,
        max_events: DEFAULT_MAX_EVENTS,
    };
    let results = run_replications(&experiment, seed, 0..replications, threads)?;
    let wall = started.elapsed();
    let records: Vec<ReplicationRecord> =
        results.iter().map(|r| ReplicationRecord::new(r.index, r.events, r.stop, &r.observations)).collect();
    let events: u64 = records.iter().map(|r| r.events).sum();
    let timing = Timing {
        wall_ms: wall.as_secs_f64() * 1e3,
        events_per_sec: events as f64 / wall.as_secs_f64().max(1e-9),
        threads,
        host: host_name(),
    };
    let info = RunInfo {
        scenario: scenario.name.clone(),
        description: scenario.description.clone(),
        seed,
        members: u64::from(scenario.org.members),
        replications,
        horizon: scenario.horizon.to_string(),
        parameters: scenario.parameters(),
    };
    Ok(Summary::build(info, &records, timing))
}

fn host_name() -> String {
    std::fs::read_to_string("/proc/sys/kernel/hostname")
        .map(|name| name.trim().to_owned())
        .or_else(|_| std::env::var("HOSTNAME"))
        .unwrap_or_else(|_| "unknown".to_owned())
}

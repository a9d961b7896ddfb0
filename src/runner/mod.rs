//! Running replications: one `World` per replication on its own seed (and,
//! unless the org is shared, its own org from that seed), spread over
//! threads, results gathered in replication order so the merged result does
//! not depend on the thread count or on which thread ran what.
//!
//! **Architecture invariant:** parallelism lives here, across replications
//! and scenarios; a single replication is sequential. The wall clock is read
//! here only for `timing`, and the file system only for the host name a
//! result records; neither reaches a figure.
//!
//! The submodules are private; what other layers use is re-exported below.
//! Inside the layer an item is `pub` when a sibling module or another layer
//! uses it and private when only its own file does.

mod checked;
mod replay;
mod simulate;
mod tasks;

pub use checked::{CheckFailure, run_checked};
pub use replay::{Explained, ReplayError, ReplayedRun, explain, find};
pub use simulate::{
    Seeds, SummaryJob, host_name, process_cpu_time, run_info, simulate, summarize, summarize_all, timing,
};
pub use tasks::{MEMORY_LIMIT_BYTES, Task, TaskResult, TaskRun, check_memory, simulate_tasks};

use crate::engine::{SimDuration, SimTime, Simulation, Stop, Streams};
use crate::model::{
    Behaviour, IllegalTransition, LEAK_RISK_DEFAULT, Observations, Org, Policy, Workload, World, finish,
};
use crate::scenario::Scenario;
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

/// Most events one replication may process before it is stopped.
const DEFAULT_MAX_EVENTS: u64 = 2_000_000_000;

/// Everything a replication needs besides its seed.
#[derive(Clone, Copy)]
pub struct Experiment<'a> {
    pub org: &'a Org,
    pub policy: &'a Policy,
    pub behaviour: &'a Behaviour,
    pub workload: &'a Workload,
    pub horizon: SimTime,
    pub max_events: u64,
    /// The leak-risk points (`metrics.leak_risk_at`, or the defaults).
    pub leak_risk_at: &'a [SimDuration],
}

impl<'a> Experiment<'a> {
    /// `scenario` on `org`, to its horizon, under its event limit (the
    /// default unless the file sets `max_events`).
    pub fn of(scenario: &'a Scenario, org: &'a Org) -> Self {
        Experiment {
            org,
            policy: &scenario.policy,
            behaviour: &scenario.behaviour,
            workload: &scenario.workload,
            horizon: SimTime::ZERO + scenario.horizon,
            max_events: scenario.max_events.unwrap_or(DEFAULT_MAX_EVENTS),
            leak_risk_at: scenario.leak_risk_at.as_deref().unwrap_or(&LEAK_RISK_DEFAULT),
        }
    }

    /// A fresh world of this experiment on `streams`, observed until the horizon.
    pub fn world(&self, streams: Streams) -> World<'a> {
        World::new(self.org, self.policy, self.behaviour, self.workload, streams)
            .observed_until(self.horizon)
            .with_leak_risk_at(self.leak_risk_at)
    }
}

/// What one replication produced.
#[derive(Clone, Debug)]
pub struct Replication {
    pub index: u32,
    pub observations: Observations,
    pub events: u64,
    pub stop: Stop,
    pub wall: Duration,
}

/// A broken model invariant, with what is needed to replay it.
#[derive(Clone, Debug)]
pub struct RunFault {
    pub replication: u32,
    pub seed: u64,
    pub fault: IllegalTransition,
}

impl std::fmt::Display for RunFault {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "model invariant broken in replication {} of seed {}: {}", self.replication, self.seed, self.fault)
    }
}

impl std::error::Error for RunFault {}

/// The streams of replication `index` of a run seeded `seed`.
pub fn replication_streams(seed: u64, index: u32) -> Streams {
    Streams::new(seed).child(u64::from(index))
}

/// Labels the org generator's child of a replication's streams ("org" in ASCII).
const ORG_CHILD: u64 = 0x006f_7267;

/// The seed of the org replication `index` of a run seeded `seed`
/// generates when orgs are sampled: a child of the replication's streams,
/// so it depends on (seed, index) alone and on no draw of the run.
pub fn replication_org_seed(seed: u64, index: u32) -> u64 {
    replication_streams(seed, index).child(ORG_CHILD).seed()
}

/// Runs replication `index`.
pub fn run_replication(experiment: &Experiment<'_>, seed: u64, index: u32) -> Result<Replication, RunFault> {
    let started = Instant::now();
    let streams = replication_streams(seed, index);
    let mut world = experiment.world(streams);
    let mut simulation = Simulation::new(streams);
    world.start(&mut simulation.context());
    let stop = simulation
        .run_until(&mut world, experiment.horizon, experiment.max_events)
        .map_err(|fault| RunFault { replication: index, seed, fault })?;
    Ok(Replication {
        index,
        observations: finish(world),
        events: simulation.events_processed(),
        stop,
        wall: started.elapsed(),
    })
}

/// Called once per finished replication (from worker threads), for progress.
pub type OnReplication<'a> = &'a (dyn Fn() + Sync);

/// Runs `work(0..jobs)` on up to `threads` worker threads, each taking the
/// next job in order as it frees up; the results come back in job order,
/// whichever thread ran what.
fn run_pool<R: Send>(jobs: usize, threads: usize, work: impl Fn(usize) -> R + Sync) -> Vec<R> {
    let next = AtomicUsize::new(0);
    let results: Mutex<Vec<(usize, R)>> = Mutex::new(Vec::with_capacity(jobs));
    let workers = threads.clamp(1, jobs.max(1));
    std::thread::scope(|scope| {
        for _ in 0..workers {
            scope.spawn(|| {
                loop {
                    let job = next.fetch_add(1, Ordering::Relaxed);
                    if job >= jobs {
                        break;
                    }
                    let result = work(job);
                    results.lock().expect("no worker panics while holding the lock").push((job, result));
                }
            });
        }
    });
    let mut results = results.into_inner().expect("workers joined");
    results.sort_by_key(|(job, _)| *job);
    results.into_iter().map(|(_, result)| result).collect()
}

/// The number of threads to use when the user does not say.
pub fn default_threads() -> usize {
    std::thread::available_parallelism().map_or(1, |n| n.get())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scenario::{builtin, parse_scenario};
    use crate::synth::generate;

    #[test]
    fn the_pool_returns_results_in_job_order_whatever_the_thread_count() {
        for threads in [1, 2, 7, 64] {
            let results = run_pool(50, threads, |job| job * 10);
            assert_eq!(results, (0..50).map(|job| job * 10).collect::<Vec<_>>(), "{threads} threads");
        }
        assert!(run_pool(0, 4, |job| job).is_empty());
    }

    /// What a replication produced, without its wall time.
    fn outcome(replication: &Replication) -> (u32, &Observations, u64, Stop) {
        (replication.index, &replication.observations, replication.events, replication.stop)
    }

    #[test]
    fn a_replication_is_the_same_alone_or_in_a_pool_of_any_size() {
        let name = "admin-batch";
        let mut scenario = parse_scenario(name, builtin(name).unwrap()).unwrap();
        scenario.org.members = 1_500;
        let org = generate(&scenario.org, 3);
        let experiment = Experiment::of(&scenario, &org);
        let run = |index: usize| run_replication(&experiment, 11, index as u32).unwrap();
        let one_thread = run_pool(4, 1, run);
        let three_threads = run_pool(4, 3, run);
        for (index, replication) in one_thread.iter().enumerate() {
            let alone = run(index);
            assert_eq!(outcome(replication), outcome(&alone), "replication {index} in a pool of one thread");
            assert_eq!(outcome(&three_threads[index]), outcome(&alone), "replication {index} in a pool of three");
        }
        assert_ne!(one_thread[0].observations, one_thread[1].observations, "replications draw their own streams");
    }
}

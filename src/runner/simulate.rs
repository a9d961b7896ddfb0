//! Scenarios end to end: the seeds of a run (its streams, and its orgs:
//! one per replication, or one shared), the replications run, their records
//! merged into a `Summary`.

use super::tasks::{Task, TaskRun, simulate_tasks};
use super::{OnReplication, RunFault, replication_org_seed, run_pool};
use crate::engine::hash_keys;
use crate::metrics::{OrgDraw, ReplicationRecord, RunInfo, Summary, Timing};
use crate::scenario::{OrgMode, Scenario};
use std::time::Duration;

/// The seeds of a run: the orgs are generated from one, the replications'
/// streams derive from the other. A plain run uses the same seed for both;
/// an independent comparison gives its second side other streams (and,
/// when orgs are sampled, other orgs).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Seeds {
    pub org: u64,
    pub streams: u64,
    pub org_mode: OrgMode,
}

impl Seeds {
    pub fn same(seed: u64, org_mode: OrgMode) -> Seeds {
        Seeds { org: seed, streams: seed, org_mode }
    }

    /// The seeds of a run of `scenario` from `seed`: its shared org's own
    /// seed when the scenario names one (`--org-seed`), else the run's.
    pub fn of(scenario: &Scenario, seed: u64) -> Seeds {
        Seeds { org: scenario.org_seed.unwrap_or(seed), ..Seeds::same(seed, scenario.org_mode) }
    }

    /// Streams independent of `Seeds::of(scenario, seed)`'s; the same
    /// org when it is shared, independent orgs when they are sampled.
    pub fn independent(scenario: &Scenario, seed: u64) -> Seeds {
        let streams = hash_keys(&[seed, 0x696e_6465_7065_6e64]);
        let org = match scenario.org_mode {
            OrgMode::Sampled => streams,
            OrgMode::Shared => Seeds::of(scenario, seed).org,
        };
        Seeds { org, streams, org_mode: scenario.org_mode }
    }

    /// The seed of replication `index`'s org: the run's own when shared,
    /// the replication's when sampled. It depends on nothing else, so a
    /// shard, a thread or the other side of a comparison gets the same org.
    pub fn org_seed(&self, index: u32) -> u64 {
        match self.org_mode {
            OrgMode::Sampled => replication_org_seed(self.org, index),
            OrgMode::Shared => self.org,
        }
    }

    /// How the summary records these orgs.
    pub fn org_draw(&self) -> OrgDraw {
        match self.org_mode {
            OrgMode::Sampled => OrgDraw::Sampled,
            OrgMode::Shared => OrgDraw::Shared { seed: self.org },
        }
    }
}

/// Runs `replications` of `scenario` from `seed` on `threads` threads.
pub fn simulate(
    scenario: &Scenario,
    seed: u64,
    replications: u32,
    threads: usize,
    on_done: OnReplication<'_>,
) -> Result<Summary, RunFault> {
    let indices: Vec<u32> = (0..replications).collect();
    let task = Task { scenario, seeds: Seeds::of(scenario, seed), indices: &indices };
    let run = simulate_tasks(&[task], threads, &|_| on_done(), &|| false).pop().expect("one result per task")?;
    Ok(summarize(scenario, seed, replications, &run.records, timing(&run, threads)))
}

/// What a run of `scenario` records about itself.
pub fn run_info(scenario: &Scenario, seed: u64, replications: u32) -> RunInfo {
    RunInfo {
        scenario: scenario.name.clone(),
        description: scenario.description.clone(),
        seed,
        members: u64::from(scenario.org.members),
        replications,
        org: Seeds::of(scenario, seed).org_draw(),
        horizon: scenario.horizon.to_string(),
        parameters: scenario.parameters(),
    }
}

/// The summary of `records` (in index order).
pub fn summarize(
    scenario: &Scenario,
    seed: u64,
    replications: u32,
    records: &[ReplicationRecord],
    timing: Timing,
) -> Summary {
    Summary::build(run_info(scenario, seed, replications), records, timing)
}

/// What one summary is built from: a scenario's records, in index order.
pub struct SummaryJob<'a> {
    pub scenario: &'a Scenario,
    pub seed: u64,
    pub replications: u32,
    pub records: &'a [ReplicationRecord],
    pub timing: Timing,
}

/// The summaries of `jobs`, in order, built on up to `threads` threads:
/// each is a pure function of its records, so the thread count changes
/// nothing but how soon they are ready.
pub fn summarize_all(jobs: &[SummaryJob<'_>], threads: usize) -> Vec<Summary> {
    run_pool(jobs.len(), threads, |job| {
        let job = &jobs[job];
        summarize(job.scenario, job.seed, job.replications, job.records, job.timing.clone())
    })
}

/// Wall-clock figures of a task's run on up to `threads` threads: the
/// threads reported are those that ran its replications, never more than
/// one per replication (the pool starts no more workers than jobs).
pub fn timing(run: &TaskRun, threads: usize) -> Timing {
    let events: u64 = run.records.iter().map(|r| r.events).sum();
    Timing {
        wall_ms: run.wall.as_secs_f64() * 1e3,
        replication_ms: run.busy.as_secs_f64() * 1e3,
        events_per_sec: events as f64 / run.busy.as_secs_f64().max(1e-9),
        threads: threads.clamp(1, run.records.len().max(1)),
        host: host_name(),
    }
}

/// CPU time (user and system, every thread) this process has used so far,
/// from `/proc/self/stat` (in Linux's clock ticks of 1/100 s); `None` where
/// there is no `/proc`.
pub fn process_cpu_time() -> Option<Duration> {
    let stat = std::fs::read_to_string("/proc/self/stat").ok()?;
    cpu_ticks(&stat).map(|ticks| Duration::from_millis(ticks.saturating_mul(10)))
}

/// utime + stime of a `/proc/<pid>/stat` line: fields 14 and 15, counted
/// after the command name, which may itself hold spaces and parentheses.
fn cpu_ticks(stat: &str) -> Option<u64> {
    let after_name = &stat[stat.rfind(')')? + 1..];
    let mut fields = after_name.split_whitespace().skip(11);
    let user: u64 = fields.next()?.parse().ok()?;
    let system: u64 = fields.next()?.parse().ok()?;
    Some(user + system)
}

/// The machine's name, for `timing`.
pub fn host_name() -> String {
    std::fs::read_to_string("/proc/sys/kernel/hostname")
        .map(|name| name.trim().to_owned())
        .or_else(|_| std::env::var("HOSTNAME"))
        .unwrap_or_else(|_| "unknown".to_owned())
}

#[cfg(test)]
mod tests {
    use super::cpu_ticks;

    #[test]
    fn cpu_ticks_are_user_plus_system_after_a_name_with_spaces() {
        let stat = "4242 (a (b) c) S 1 4242 4242 0 -1 4194304 100 0 0 0 37 5 0 0 20 0 3 0 12345 0 0";
        assert_eq!(cpu_ticks(stat), Some(42));
        assert_eq!(cpu_ticks("no name here"), None);
    }

    #[test]
    fn this_process_has_used_some_cpu() {
        assert!(super::process_cpu_time().is_some());
    }
}

//! Many scenarios' replications on one pool of threads. Every replication
//! of every task is a job, so a run of eight scenarios keeps every core
//! busy even at one replication each. Each replication runs on the org of
//! its task's `Seeds::org_seed` (its own when orgs are sampled, the run's
//! when shared); replications whose orgs agree (same parameters, same org
//! seed: replication *i* of both sides of a comparison) share one copy of
//! it, generated in the worker by the first replication that needs it and
//! dropped after the last. Jobs run grouped by org, so memory holds about
//! one org per thread, whatever the replication count.

use super::{Experiment, RunFault, Seeds, run_pool, run_replication};
use crate::metrics::ReplicationRecord;
use crate::model::Org;
use crate::scenario::Scenario;
use crate::synth::{OrgParams, generate};
use std::collections::BTreeMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// One scenario's share of a pooled run.
#[derive(Clone, Copy)]
pub struct Task<'a> {
    pub scenario: &'a Scenario,
    pub seeds: Seeds,
    /// The replications to run, by index.
    pub indices: &'a [u32],
}

/// What a task's replications produced, and how long they took.
#[derive(Debug)]
pub struct TaskRun {
    /// One record per replication, in index order.
    pub records: Vec<ReplicationRecord>,
    /// From the start of the pool until the task's last replication finished.
    pub wall: Duration,
    /// The task's replications' own run times, summed.
    pub busy: Duration,
}

/// A task's run, or the first model fault among its replications.
pub type TaskResult = Result<TaskRun, RunFault>;

/// One org in use: by every replication whose org has these parameters and
/// this seed (replication *i* of each side of a comparison, every point of
/// a sweep, each replication of a shared-org run).
struct SharedOrg<'a> {
    params: &'a OrgParams,
    seed: u64,
    org: Mutex<Option<Arc<Org>>>,
    replications_left: AtomicUsize,
}

impl SharedOrg<'_> {
    /// The org, generated on first use (in the worker that needs it);
    /// other threads needing it wait.
    fn get(&self) -> Arc<Org> {
        let mut slot = self.org.lock().expect("no generator panics while holding the lock");
        Arc::clone(slot.get_or_insert_with(|| Arc::new(generate(self.params, self.seed))))
    }

    /// One replication on this org is done; the last one drops it.
    fn release(&self) {
        if self.replications_left.fetch_sub(1, Ordering::AcqRel) == 1 {
            self.org.lock().expect("no generator panics while holding the lock").take();
        }
    }
}

/// One replication to run: replication `index` of task `task`, on org
/// `org`; `slot` is its place in task order (tasks in order, each task's
/// indices in order).
#[derive(Clone, Copy)]
struct Job {
    task: usize,
    index: u32,
    org: usize,
    slot: usize,
}

/// Runs every task's replications on up to `threads` threads; `on_done`
/// hears the task index of each finished replication. Once `stop` says so,
/// no further replication starts (those running finish): a task's records
/// are then the replications that finished. Results come back in task
/// order, each in replication order.
pub fn simulate_tasks(
    tasks: &[Task<'_>],
    threads: usize,
    on_done: &(dyn Fn(usize) + Sync),
    stop: &(dyn Fn() -> bool + Sync),
) -> Vec<TaskResult> {
    let started = Instant::now();
    let (orgs, jobs) = plan_jobs(tasks);
    let finished = run_pool(jobs.len(), threads, |job| {
        let Job { task, index, org, .. } = jobs[job];
        let shared = &orgs[org];
        if stop() {
            shared.release();
            return None;
        }
        let org = shared.get();
        let result = run_replication(&Experiment::of(tasks[task].scenario, &org), tasks[task].seeds.streams, index);
        drop(org);
        shared.release();
        on_done(task);
        Some((result, started.elapsed()))
    });
    let mut done: Vec<(Job, _)> = jobs.into_iter().zip(finished).collect();
    done.sort_by_key(|(job, _)| job.slot);
    let empty = || TaskRun { records: Vec::new(), wall: Duration::ZERO, busy: Duration::ZERO };
    let mut results: Vec<TaskResult> = tasks.iter().map(|_| Ok(empty())).collect();
    for (job, (replication, finished_at)) in done.into_iter().filter_map(|(job, run)| Some((job, run?))) {
        let Ok(run) = &mut results[job.task] else { continue };
        match replication {
            Ok(r) => {
                run.records.push(ReplicationRecord::new(r.index, r.events, r.stop, &r.observations));
                run.wall = run.wall.max(finished_at);
                run.busy += r.wall;
            }
            Err(fault) => results[job.task] = Err(fault),
        }
    }
    results
}

/// Memory the replications of one command may be estimated to need before
/// it is refused up front.
pub const MEMORY_LIMIT_BYTES: u64 = 16 << 30;

/// Refuses tasks whose replications would need more than
/// [`MEMORY_LIMIT_BYTES`] on `threads` threads: one org and one run's state
/// (`OrgParams::estimated_bytes`, the largest of the tasks') per thread
/// actually used (no more threads run than there are replications), plus
/// one org whose replications are still being handed out while any wait.
/// The one check of `run`, `sweep` and `compare`, before anything runs.
pub fn check_memory(tasks: &[Task<'_>], threads: usize) -> Result<(), String> {
    let jobs: usize = tasks.iter().map(|task| task.indices.len()).sum();
    let Some(largest) = tasks.iter().max_by_key(|task| task.scenario.org.estimated_bytes()) else { return Ok(()) };
    let used = threads.min(jobs);
    let copies = (used + 1).min(jobs) as u64;
    let needed = largest.scenario.org.estimated_bytes().saturating_mul(copies);
    if needed <= MEMORY_LIMIT_BYTES {
        return Ok(());
    }
    Err(format!(
        "{}: {} members on {used} thread(s) would need about {} GiB, more than the {} GiB limit; use fewer members or --threads",
        largest.scenario.name,
        largest.scenario.org.members,
        needed >> 30,
        MEMORY_LIMIT_BYTES >> 30
    ))
}

/// One `SharedOrg` per distinct (parameters, org seed) among the tasks'
/// replications, and the jobs, ordered by the org they use (in order of
/// first use; task order within one org) so the replications on one org
/// run one after another and it is dropped soon after it was generated.
fn plan_jobs<'a>(tasks: &[Task<'a>]) -> (Vec<SharedOrg<'a>>, Vec<Job>) {
    let mut params: Vec<&'a OrgParams> = Vec::new();
    let mut org_of: BTreeMap<(usize, u64), usize> = BTreeMap::new();
    let mut orgs: Vec<SharedOrg<'a>> = Vec::new();
    let mut jobs = Vec::new();
    for (task, t) in tasks.iter().enumerate() {
        let kind = params.iter().position(|p| **p == t.scenario.org).unwrap_or_else(|| {
            params.push(&t.scenario.org);
            params.len() - 1
        });
        for &index in t.indices {
            let seed = t.seeds.org_seed(index);
            let org = *org_of.entry((kind, seed)).or_insert_with(|| {
                let shared = SharedOrg {
                    params: params[kind],
                    seed,
                    org: Mutex::new(None),
                    replications_left: AtomicUsize::new(0),
                };
                orgs.push(shared);
                orgs.len() - 1
            });
            *orgs[org].replications_left.get_mut() += 1;
            jobs.push(Job { task, index, org, slot: jobs.len() });
        }
    }
    jobs.sort_by_key(|job| job.org);
    (orgs, jobs)
}

#[cfg(test)]
mod tests {
    use super::super::replication_org_seed;
    use super::*;
    use crate::engine::SimDuration;
    use crate::scenario::{OrgMode, builtin, parse_scenario};

    fn small(name: &str) -> Scenario {
        let mut scenario = parse_scenario(name, builtin(name).unwrap()).unwrap();
        scenario.org.members = 1_200;
        scenario
    }

    /// Replication `index` of `scenario` run alone on `org`, as a record.
    fn alone(scenario: &Scenario, org: &Org, seed: u64, index: u32) -> ReplicationRecord {
        let r = run_replication(&Experiment::of(scenario, org), seed, index).unwrap();
        ReplicationRecord::new(r.index, r.events, r.stop, &r.observations)
    }

    /// Two policies on one org, compared the way `compare` runs them.
    fn pair(seeds: Seeds, indices: &[u32]) -> (Scenario, Scenario, Vec<TaskResult>) {
        let a = small("admin-batch");
        let mut b = a.clone();
        b.policy.buffer = SimDuration::from_hours(72);
        let tasks = [Task { scenario: &a, seeds, indices }, Task { scenario: &b, seeds, indices }];
        let results = simulate_tasks(&tasks, 3, &|_| {}, &|| false);
        (a, b, results)
    }

    #[test]
    fn sampled_orgs_differ_between_replications_and_pair_replication_i_of_both_sides() {
        let (seed, indices) = (11, [0, 1, 2]);
        let (a, b, results) = pair(Seeds::same(seed, OrgMode::Sampled), &indices);
        let orgs: Vec<Org> = indices.iter().map(|&i| generate(&a.org, replication_org_seed(seed, i))).collect();
        let departments = |org: &Org| org.members.iter().map(|m| m.department).collect::<Vec<_>>();
        assert_ne!(departments(&orgs[0]), departments(&orgs[1]), "replications draw their own members' departments");
        assert_ne!(orgs[1].apps, orgs[2].apps, "and their own apps");
        for (scenario, result) in [&a, &b].into_iter().zip(&results) {
            let records = &result.as_ref().unwrap().records;
            for (&index, org) in indices.iter().zip(&orgs) {
                assert_eq!(
                    records[index as usize],
                    alone(scenario, org, seed, index),
                    "replication {index} on org {index}"
                );
            }
        }
    }

    #[test]
    fn a_shared_org_is_the_org_of_the_run_seed_for_every_replication() {
        let (seed, indices) = (11, [0, 1, 2]);
        let (a, b, results) = pair(Seeds::same(seed, OrgMode::Shared), &indices);
        let org = generate(&a.org, seed);
        for (scenario, result) in [&a, &b].into_iter().zip(&results) {
            let records = &result.as_ref().unwrap().records;
            for &index in &indices {
                assert_eq!(records[index as usize], alone(scenario, &org, seed, index), "replication {index}");
            }
        }
    }

    #[test]
    fn jobs_on_one_org_run_together_and_org_seeds_depend_on_seed_and_index_only() {
        let scenario = small("self-exit");
        let (first, rest) = ([0, 2, 4], [1, 3]);
        let seeds = Seeds::same(5, OrgMode::Sampled);
        let shard = |indices| Task { scenario: &scenario, seeds, indices };
        let tasks = [shard(&first[..]), shard(&rest[..]), shard(&first[..])];
        let (orgs, jobs) = plan_jobs(&tasks);
        assert_eq!(orgs.len(), 5, "one org per replication index");
        let order: Vec<(usize, u32)> = jobs.iter().map(|job| (job.task, job.index)).collect();
        assert_eq!(order, [(0, 0), (2, 0), (0, 2), (2, 2), (0, 4), (2, 4), (1, 1), (1, 3)]);
        for job in &jobs {
            assert_eq!(orgs[job.org].seed, replication_org_seed(5, job.index));
        }
        let shared = Seeds::same(5, OrgMode::Shared);
        assert!((0..4).all(|index| shared.org_seed(index) == 5));
        let independent = Seeds::independent(&scenario, 5);
        assert_ne!(independent.org_seed(0), seeds.org_seed(0), "an independent side samples other orgs");
        let mut shared_scenario = scenario.clone();
        shared_scenario.org_mode = OrgMode::Shared;
        assert_eq!(Seeds::independent(&shared_scenario, 5).org_seed(3), 5, "or keeps the shared one");
        shared_scenario.org_seed = Some(77);
        assert_eq!(Seeds::of(&shared_scenario, 5).org_seed(3), 77, "the shared org's own seed");
        assert_eq!(Seeds::independent(&shared_scenario, 5).org_seed(0), 77, "on both sides");
    }
}

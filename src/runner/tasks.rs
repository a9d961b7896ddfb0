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
/// hears the task index of each finished replication. Results come back in
/// task order, each in replication order.
pub fn simulate_tasks(tasks: &[Task<'_>], threads: usize, on_done: &(dyn Fn(usize) + Sync)) -> Vec<TaskResult> {
    let started = Instant::now();
    let (orgs, jobs) = plan_jobs(tasks);
    let finished = run_pool(jobs.len(), threads, |job| {
        let Job { task, index, org, .. } = jobs[job];
        let shared = &orgs[org];
        let org = shared.get();
        let result = run_replication(&Experiment::of(tasks[task].scenario, &org), tasks[task].seeds.streams, index);
        drop(org);
        shared.release();
        on_done(task);
        (result, started.elapsed())
    });
    let mut done: Vec<(Job, _)> = jobs.into_iter().zip(finished).collect();
    done.sort_by_key(|(job, _)| job.slot);
    let empty = || TaskRun { records: Vec::new(), wall: Duration::ZERO, busy: Duration::ZERO };
    let mut results: Vec<TaskResult> = tasks.iter().map(|_| Ok(empty())).collect();
    for (job, (replication, finished_at)) in done {
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

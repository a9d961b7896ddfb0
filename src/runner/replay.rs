//! One replication replayed on its own, for `explain`: the org, streams and
//! events replication `index` of a run from `seed` has (so what it shows is
//! what that run counted), with a trace kept of one member, device or grant
//! (`trace`), or none, to list the members whose end matches a test
//! (`find`).

use super::{Experiment, RunFault, Seeds, replication_streams};
use crate::engine::{SimTime, Simulation, Stop};
use crate::model::{MemberEnd, MemberId, Org, Subject, Trace, World};
use crate::scenario::Scenario;
use crate::synth::generate;

/// Which replication was replayed, and how it stopped.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ReplayedRun {
    pub seed: u64,
    pub replication: u32,
    pub org_seed: u64,
    pub members: u32,
    pub horizon: SimTime,
    pub events: u64,
    pub stop: Stop,
}

/// A subject's path and the end of its member.
#[derive(Clone, Debug, PartialEq)]
pub struct Explained {
    pub run: ReplayedRun,
    /// The replication's org.
    pub org: Org,
    /// The pools' names, by the slot an event names.
    pub pools: Vec<&'static str>,
    pub trace: Trace,
    pub end: MemberEnd,
}

/// Why a replay gives nothing.
#[derive(Debug)]
pub enum ReplayError {
    /// The subject is not in the replication's org (bad input).
    NoSuchSubject(String),
    Fault(RunFault),
}

/// Replication `replication` of `scenario` from `seed`, with `subject`'s
/// path traced.
pub fn explain(scenario: &Scenario, seed: u64, replication: u32, subject: Subject) -> Result<Explained, ReplayError> {
    let (run, org, (trace, end, pools)) = replay(scenario, seed, replication, Some(subject), |world, trace| {
        let trace = trace.expect("a traced replay keeps its trace");
        let end = world.member_end(trace.member);
        (trace, end, world.pool_names())
    })?;
    Ok(Explained { run, org, pools, trace, end })
}

/// The first `limit` members of replication `replication` whose end
/// `matches`, in member order, and how many match in all.
pub fn find(
    scenario: &Scenario,
    seed: u64,
    replication: u32,
    matches: &dyn Fn(&MemberEnd) -> bool,
    limit: usize,
) -> Result<(ReplayedRun, Vec<MemberEnd>, usize), ReplayError> {
    let (run, _, (found, total)) = replay(scenario, seed, replication, None, |world, _| {
        let mut found = Vec::new();
        let mut total = 0;
        for member in (0..scenario.org.members).map(MemberId) {
            let end = world.member_end(member);
            if matches(&end) {
                total += 1;
                if found.len() < limit {
                    found.push(end);
                }
            }
        }
        (found, total)
    })?;
    Ok((run, found, total))
}

/// Runs the replication to its horizon and hands the world (and its trace,
/// if `subject` asked for one) to `read` before the horizon is read; gives
/// back the org too.
fn replay<T>(
    scenario: &Scenario,
    seed: u64,
    replication: u32,
    subject: Option<Subject>,
    read: impl FnOnce(&World<'_>, Option<Trace>) -> T,
) -> Result<(ReplayedRun, Org, T), ReplayError> {
    let seeds = Seeds::of(scenario, seed);
    let org_seed = seeds.org_seed(replication);
    let org = generate(&scenario.org, org_seed);
    let experiment = Experiment::of(scenario, &org);
    let streams = replication_streams(seeds.streams, replication);
    let mut world = experiment.world(streams);
    if let Some(subject) = subject {
        world = world.traced(Trace::of(&org, subject).map_err(ReplayError::NoSuchSubject)?);
    }
    let mut simulation = Simulation::new(streams);
    world.start(&mut simulation.context());
    let stop = simulation
        .run_until(&mut world, experiment.horizon, experiment.max_events)
        .map_err(|fault| ReplayError::Fault(RunFault { replication, seed, fault }))?;
    let trace = world.take_trace();
    let run = ReplayedRun {
        seed,
        replication,
        org_seed,
        members: scenario.org.members,
        horizon: experiment.horizon,
        events: simulation.events_processed(),
        stop,
    };
    let value = read(&world, trace);
    drop(world);
    Ok((run, org, value))
}

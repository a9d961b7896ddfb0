//! One replication run event by event with every invariant checked after
//! each event: the world's (`World::check_invariants`), the engine's (the
//! clock never goes back, the run ends within its event limit) and, at the
//! end, the observations' (`check_outcomes`). Slow; for the operation
//! fuzzer and the property tests, not for ordinary runs.

use super::{Experiment, Replication, RunFault, replication_streams};
use crate::engine::{SimTime, Simulation, Stop};
use crate::model::ensure;
use crate::model::{IllegalTransition, Violation, World, check_counts, check_outcomes, finish};
use std::fmt;
use std::time::Instant;

/// Why a checked run failed: the model refused a transition, or an
/// invariant broke after `event` events at `time`.
#[derive(Clone, Debug)]
pub enum CheckFailure {
    Fault(RunFault),
    Invariant { seed: u64, event: u64, time: SimTime, violation: Violation },
}

impl fmt::Display for CheckFailure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            CheckFailure::Fault(fault) => fault.fmt(f),
            CheckFailure::Invariant { seed, event, time, violation } => {
                write!(f, "{violation} after event {event} at {time} (seed {seed})")
            }
        }
    }
}

impl std::error::Error for CheckFailure {}

/// Runs replication `index` of `experiment`, checking after every event
/// and then handing the world to `on_event` (a test comparing it with a
/// reference). Reaching `max_events` is a failure too: a run must end by
/// itself.
pub fn run_checked(
    experiment: &Experiment<'_>,
    seed: u64,
    index: u32,
    on_event: &mut dyn FnMut(&World<'_>),
) -> Result<Replication, CheckFailure> {
    let started = Instant::now();
    let streams = replication_streams(seed, index);
    let mut world = experiment.world(streams);
    let mut simulation = Simulation::new(streams);
    world.start(&mut simulation.context());
    let fail = |simulation: &Simulation<_>, violation| CheckFailure::Invariant {
        seed,
        event: simulation.events_processed(),
        time: simulation.now(),
        violation,
    };
    let fault = |fault: IllegalTransition| CheckFailure::Fault(RunFault { replication: index, seed, fault });
    let mut last = SimTime::ZERO;
    let stop = loop {
        let stop = simulation.run_until(&mut world, experiment.horizon, 1).map_err(fault)?;
        let at_limit = simulation.events_processed() >= experiment.max_events;
        let checked = world.check_invariants().and_then(|()| clock_moves_on(last, simulation.now(), at_limit));
        checked.map_err(|violation| fail(&simulation, violation))?;
        on_event(&world);
        last = simulation.now();
        if stop != Stop::EventLimit {
            break stop;
        }
    };
    let observations = finish(world);
    check_counts(&observations, experiment.policy.batch_limit)
        .and_then(|()| check_outcomes(&observations, experiment.org.members.len()))
        .map_err(|violation| fail(&simulation, violation))?;
    Ok(Replication { index, observations, events: simulation.events_processed(), stop, wall: started.elapsed() })
}

fn clock_moves_on(last: SimTime, now: SimTime, at_limit: bool) -> Result<(), Violation> {
    ensure(now >= last, "clock_never_goes_back", || format!("{now} after {last}"))?;
    ensure(!at_limit, "ends_within_event_limit", || "the event limit was reached".to_owned())
}

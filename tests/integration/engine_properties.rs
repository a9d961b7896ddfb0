//! Property tests of the engine's guarantees (numbered as in
//! `src/engine/mod.rs`): (1) events come out in non-decreasing time and the
//! clock never goes back, (2) ties fire in insertion order, (3) cancelled
//! events never fire and every other event fires once, at its time,
//! (4) scheduling before the current time is refused (the call panics and
//! nothing is scheduled), and (5) every draw is a function of its keys
//! alone, whatever order events fire in and whatever else was drawn.

use proptest::prelude::*;
use rand::Rng;
use std::collections::HashSet;
use std::panic::{AssertUnwindSafe, catch_unwind};
use unbindsim::engine::{Context, EventId, EventQueue, Model, SimDuration, SimTime, Simulation, Stop, Streams};

#[derive(Clone, Debug)]
enum Op {
    /// Schedule at now + delay (small delays make ties common).
    Schedule(u64),
    /// Cancel the n-th scheduled event (modulo how many there are).
    Cancel(usize),
    Pop,
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        4 => (0u64..5).prop_map(Op::Schedule),
        1 => any::<usize>().prop_map(Op::Cancel),
        2 => Just(Op::Pop),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn queue_keeps_its_ordering_guarantees(ops in proptest::collection::vec(op(), 1..300)) {
        let mut queue = EventQueue::new();
        let mut now = SimTime::ZERO;
        let mut ids: Vec<(EventId, SimTime)> = Vec::new();
        // Events cancelled while pending: these must never fire.
        let mut cancelled = HashSet::new();
        let mut fired: Vec<(SimTime, usize)> = Vec::new();
        let pop = |queue: &mut EventQueue<usize>, now: &mut SimTime, fired: &mut Vec<(SimTime, usize)>| {
            if let Some((time, event)) = queue.pop() {
                prop_assert!(time >= *now, "clock went back");
                *now = time;
                fired.push((time, event));
            }
            Ok(())
        };
        for op in ops {
            match op {
                Op::Schedule(delay) => {
                    let time = now + SimDuration::from_micros(delay);
                    ids.push((queue.schedule(time, ids.len()), time));
                }
                Op::Cancel(n) if !ids.is_empty() => {
                    let index = n % ids.len();
                    let was_pending = queue.cancel(ids[index].0);
                    let already_fired = fired.iter().any(|&(_, e)| e == index);
                    prop_assert_eq!(was_pending, !already_fired && !cancelled.contains(&index));
                    if was_pending {
                        cancelled.insert(index);
                    }
                }
                Op::Cancel(_) => {}
                Op::Pop => pop(&mut queue, &mut now, &mut fired)?,
            }
        }
        while !queue.is_empty() {
            pop(&mut queue, &mut now, &mut fired)?;
        }
        for pair in fired.windows(2) {
            let ((t0, e0), (t1, e1)) = (pair[0], pair[1]);
            if t0 == t1 {
                prop_assert!(e0 < e1, "tie broken out of insertion order");
            }
        }
        let fired_set: HashSet<usize> = fired.iter().map(|&(_, e)| e).collect();
        prop_assert_eq!(fired_set.len(), fired.len(), "an event fired twice");
        for (index, &(_, time)) in ids.iter().enumerate() {
            let fired_here = fired.iter().find(|&&(_, e)| e == index);
            match fired_here {
                Some(&(fired_at, _)) => {
                    prop_assert_eq!(fired_at, time, "event {} fired at another time", index);
                    prop_assert!(!cancelled.contains(&index), "cancelled event {} fired", index);
                }
                None => prop_assert!(cancelled.contains(&index), "event {} was lost", index),
            }
        }
    }
}

/// A model that schedules random follow-ups and checks the clock.
struct Jumper {
    last_seen: SimTime,
    handled: u64,
    clock_went_back: bool,
}

impl Model for Jumper {
    type Event = u64;
    type Fault = ();
    fn handle(&mut self, event: u64, ctx: &mut Context<'_, u64>) -> Result<(), ()> {
        self.clock_went_back |= ctx.now() < self.last_seen;
        self.last_seen = ctx.now();
        self.handled += 1;
        let draw = ctx.streams().uniform(event, 0, 0);
        if draw < 0.7 {
            ctx.schedule_in(SimDuration::from_micros((draw * 1000.0) as u64), event * 2 + 1);
        }
        Ok(())
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn simulation_clock_never_goes_back_and_stops_at_the_horizon(seed in any::<u64>(), starts in 1usize..50, horizon_us in 1u64..5_000) {
        let mut sim = Simulation::new(Streams::new(seed));
        for start in 0..starts {
            sim.context().schedule_at(SimTime::from_micros(start as u64 * 37 % 1000), start as u64);
        }
        let mut model = Jumper { last_seen: SimTime::ZERO, handled: 0, clock_went_back: false };
        let horizon = SimTime::from_micros(horizon_us);
        sim.run_until(&mut model, horizon, u64::MAX).unwrap();
        prop_assert!(!model.clock_went_back);
        prop_assert!(model.last_seen <= horizon);
        prop_assert!(sim.now() <= horizon);
        prop_assert_eq!(sim.events_processed(), model.handled);
    }
}

/// Each event asks to be followed in the past (which must be refused), at
/// the same instant and after a delay, until `budget` events have run.
struct PastScheduler {
    backs_us: Vec<u64>,
    delays_us: Vec<u64>,
    budget: usize,
    handled: usize,
    refused: usize,
}

/// An event: when it was scheduled and for when.
#[derive(Clone, Copy, Debug)]
struct Timed {
    made_at: SimTime,
    due: SimTime,
}

impl PastScheduler {
    /// Tries to schedule `back_us` before now; true if the call was refused
    /// with the engine's message and the queue is unchanged.
    fn refused_in_the_past(ctx: &mut Context<'_, Timed>, back_us: u64) -> bool {
        let now = ctx.now();
        let past = SimTime::from_micros(now.as_micros() - back_us.min(now.as_micros()));
        let attempt = catch_unwind(AssertUnwindSafe(|| ctx.schedule_at(past, Timed { made_at: now, due: past })));
        match attempt {
            Ok(_) => false,
            Err(panic) => panic.downcast_ref::<String>().is_some_and(|m| m.contains("scheduled in the past")),
        }
    }
}

impl Model for PastScheduler {
    type Event = Timed;
    type Fault = String;
    fn handle(&mut self, event: Timed, ctx: &mut Context<'_, Timed>) -> Result<(), String> {
        let now = ctx.now();
        if now != event.due || now < event.made_at {
            return Err(format!("{event:?} fired at {now}"));
        }
        let turn = self.handled;
        self.handled += 1;
        if now > SimTime::ZERO {
            if !Self::refused_in_the_past(ctx, self.backs_us[turn % self.backs_us.len()]) {
                return Err(format!("an event before {now} was accepted"));
            }
            self.refused += 1;
        }
        if self.handled < self.budget {
            let delay = SimDuration::from_micros(self.delays_us[turn % self.delays_us.len()]);
            ctx.schedule_at(now, Timed { made_at: now, due: now });
            ctx.schedule_in(delay, Timed { made_at: now, due: now + delay });
        }
        Ok(())
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn nothing_can_be_scheduled_in_the_past(
        start_us in 0u64..1_000,
        backs_us in proptest::collection::vec(1u64..2_000, 1..8),
        delays_us in proptest::collection::vec(0u64..50, 1..8),
        budget in 1usize..200,
    ) {
        let mut sim = Simulation::new(Streams::new(1));
        let start = SimTime::from_micros(start_us);
        sim.context().schedule_at(start, Timed { made_at: SimTime::ZERO, due: start });
        let mut model = PastScheduler { backs_us, delays_us, budget, handled: 0, refused: 0 };
        let stop = sim.run_until(&mut model, SimTime::NEVER, u64::MAX);
        prop_assert_eq!(stop, Ok(Stop::Drained));
        if start_us > 0 {
            prop_assert_eq!(model.refused, model.handled, "every event tried the past once and was refused");
        }
        prop_assert_eq!(sim.events_processed() as usize, model.handled);
        prop_assert_eq!(sim.pending(), 0, "a refused event was left pending");
        // Between runs too: the clock stands at the last event.
        let now = sim.now();
        if now > SimTime::ZERO {
            let mut context = sim.context();
            prop_assert!(PastScheduler::refused_in_the_past(&mut context, 1));
            prop_assert_eq!(sim.pending(), 0);
        }
    }
}

/// Draws for each key it is handed, first at `Streams::uniform` and then
/// three words of `Streams::stream`, and records them by key.
struct Drawer {
    keys: Vec<(u64, u64, u64)>,
    drawn: Vec<Option<Draws>>,
}

type Draws = (f64, [u64; 3]);

fn draws(streams: &Streams, (entity, purpose, index): (u64, u64, u64)) -> Draws {
    let mut stream = streams.stream(entity, purpose, index);
    (streams.uniform(entity, purpose, index), [stream.next_u64(), stream.next_u64(), stream.next_u64()])
}

impl Model for Drawer {
    type Event = usize;
    type Fault = ();
    fn handle(&mut self, key: usize, ctx: &mut Context<'_, usize>) -> Result<(), ()> {
        self.drawn[key] = Some(draws(ctx.streams(), self.keys[key]));
        Ok(())
    }
}

/// Runs one event per key at `times[key]` on `seed` and returns what each drew.
fn draws_in_a_run(seed: u64, keys: &[(u64, u64, u64)], times: &[u64]) -> Vec<Option<Draws>> {
    let mut sim = Simulation::new(Streams::new(seed));
    for (key, &time) in times.iter().enumerate() {
        sim.context().schedule_at(SimTime::from_micros(time), key);
    }
    let mut model = Drawer { keys: keys.to_vec(), drawn: vec![None; keys.len()] };
    sim.run_until(&mut model, SimTime::NEVER, u64::MAX).unwrap();
    model.drawn
}

fn key() -> impl Strategy<Value = (u64, u64, u64)> {
    (any::<u64>(), 0u64..64, 0u64..1_000)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(128))]

    #[test]
    fn draws_depend_only_on_their_keys(
        seed in any::<u64>(),
        keys in proptest::collection::vec(key(), 1..40),
        noise in proptest::collection::vec(key(), 0..40),
        shuffle in any::<u64>(),
    ) {
        let in_order: Vec<u64> = (0..keys.len() as u64).collect();
        // Another firing order: each key at a pseudo-random time (ties too).
        let shuffled: Vec<u64> = in_order.iter().map(|&k| Streams::new(shuffle).stream(k, 0, 0).next_u64() % 16).collect();
        // The same keys after unrelated draws for other keys.
        let mut with_noise = noise.clone();
        with_noise.extend(&keys);
        let noise_times: Vec<u64> = (0..with_noise.len() as u64).collect();
        let reference: Vec<Draws> = keys.iter().map(|&k| draws(&Streams::new(seed), k)).collect();
        let first = draws_in_a_run(seed, &keys, &in_order);
        let second = draws_in_a_run(seed, &keys, &shuffled);
        let third = draws_in_a_run(seed, &with_noise, &noise_times);
        for (index, expected) in reference.iter().enumerate() {
            prop_assert_eq!(first[index], Some(*expected), "key {:?} in order", keys[index]);
            prop_assert_eq!(second[index], Some(*expected), "key {:?} reordered", keys[index]);
            prop_assert_eq!(third[noise.len() + index], Some(*expected), "key {:?} after other draws", keys[index]);
        }
    }
}

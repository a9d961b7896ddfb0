//! Property tests of the engine's ordering guarantees: events come out in
//! non-decreasing time, ties in insertion order, cancelled events never
//! fire, every live event fires once, and the clock never goes back.

use proptest::prelude::*;
use std::collections::HashSet;
use unbindsim::engine::{Context, EventId, EventQueue, Model, SimDuration, SimTime, Simulation, Streams};

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
                    cancelled.insert(index);
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
            prop_assert!(t0 <= t1, "time went back");
            if t0 == t1 && ids[e0].1 == ids[e1].1 {
                prop_assert!(e0 < e1, "tie broken out of insertion order");
            }
        }
        let fired_set: HashSet<usize> = fired.iter().map(|&(_, e)| e).collect();
        prop_assert_eq!(fired_set.len(), fired.len(), "an event fired twice");
        for index in 0..ids.len() {
            let fired_here = fired_set.contains(&index);
            let cancelled_before_firing = cancelled.contains(&index) && !fired_here;
            prop_assert!(fired_here || cancelled_before_firing, "event {} was lost", index);
        }
        for &(_, event) in &fired {
            prop_assert_eq!(fired.iter().filter(|(_, e)| *e == event).count(), 1);
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

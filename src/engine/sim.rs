//! The simulation loop: a clock, the pending events, the random streams and
//! the `Context` through which a model reads the time and schedules.
//!
//! The loop pops the earliest event, advances the clock to its time and
//! hands it to the model. The model sees the world only through `Context`.

use super::queue::{EventId, EventQueue};
use super::rng::Streams;
use super::time::{SimDuration, SimTime};

/// A model driven by the engine: it reacts to its own closed set of events.
pub trait Model {
    /// The model's events: small plain values.
    type Event;
    /// A broken model invariant (a bug, not bad input): stops the run.
    type Fault;
    /// Reacts to one event at `ctx.now()`.
    fn handle(&mut self, event: Self::Event, ctx: &mut Context<'_, Self::Event>) -> Result<(), Self::Fault>;
}

/// What a model may do while handling an event.
pub struct Context<'a, E> {
    now: SimTime,
    queue: &'a mut EventQueue<E>,
    streams: &'a Streams,
}

impl<E> Context<'_, E> {
    /// The current simulated time.
    pub fn now(&self) -> SimTime {
        self.now
    }

    /// The run's random streams.
    pub fn streams(&self) -> &Streams {
        self.streams
    }

    /// Schedules `event` at `time`, which must not be in the past.
    #[inline]
    pub fn schedule_at(&mut self, time: SimTime, event: E) -> EventId {
        assert!(time >= self.now, "event scheduled in the past: {time} < {}", self.now);
        self.queue.schedule(time, event)
    }

    /// Schedules `event` after `delay`.
    #[inline]
    pub fn schedule_in(&mut self, delay: SimDuration, event: E) -> EventId {
        self.queue.schedule(self.now + delay, event)
    }

    /// Cancels a pending event; false if it already fired or was cancelled.
    pub fn cancel(&mut self, id: EventId) -> bool {
        self.queue.cancel(id)
    }
}

/// Why a run stopped.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Stop {
    /// No event was left.
    Drained,
    /// The next event lies after the horizon; the clock stands at the horizon.
    Horizon,
    /// The event limit was reached.
    EventLimit,
}

/// The engine: clock, pending events and random streams of one run.
pub struct Simulation<E> {
    now: SimTime,
    queue: EventQueue<E>,
    streams: Streams,
    events_processed: u64,
}

impl<E> Simulation<E> {
    pub fn new(streams: Streams) -> Self {
        Simulation { now: SimTime::ZERO, queue: EventQueue::new(), streams, events_processed: 0 }
    }

    pub fn now(&self) -> SimTime {
        self.now
    }

    pub fn streams(&self) -> &Streams {
        &self.streams
    }

    /// Events handed to the model so far.
    pub fn events_processed(&self) -> u64 {
        self.events_processed
    }

    /// Events still pending.
    pub fn pending(&self) -> usize {
        self.queue.len()
    }

    /// A context at the current time, for seeding the first events.
    pub fn context(&mut self) -> Context<'_, E> {
        Context { now: self.now, queue: &mut self.queue, streams: &self.streams }
    }

    /// Runs until the queue drains, the next event lies after `horizon`, or
    /// `max_events` more events have been handled. At `Horizon` the clock is
    /// moved to `horizon`, so state read afterwards is "as of the horizon".
    /// A model fault stops the run at once and is returned.
    pub fn run_until<M>(&mut self, model: &mut M, horizon: SimTime, max_events: u64) -> Result<Stop, M::Fault>
    where
        M: Model<Event = E>,
    {
        let limit = self.events_processed.saturating_add(max_events);
        loop {
            let next = if self.events_processed < limit { self.queue.pop_through(horizon) } else { None };
            let Some((time, event)) = next else { return Ok(self.stop_reason(horizon)) };
            debug_assert!(time >= self.now, "clock went back");
            self.now = time;
            self.events_processed += 1;
            let mut ctx = Context { now: time, queue: &mut self.queue, streams: &self.streams };
            model.handle(event, &mut ctx)?;
        }
    }

    /// Why a run that takes no further event stops: nothing is pending, the
    /// next event lies after `horizon` (the clock moves there), or the
    /// event limit was reached with an event due.
    fn stop_reason(&mut self, horizon: SimTime) -> Stop {
        match self.queue.peek_time() {
            None => Stop::Drained,
            Some(time) if time > horizon => {
                self.now = horizon;
                Stop::Horizon
            }
            Some(_) => Stop::EventLimit,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Records what fired when, and re-schedules a follower for even events.
    struct Recorder {
        fired: Vec<(SimTime, u32)>,
    }

    impl Model for Recorder {
        type Event = u32;
        type Fault = ();
        fn handle(&mut self, event: u32, ctx: &mut Context<'_, u32>) -> Result<(), ()> {
            self.fired.push((ctx.now(), event));
            if event.is_multiple_of(2) && event < 10 {
                ctx.schedule_in(SimDuration::from_secs(1), event + 2);
            }
            Ok(())
        }
    }

    #[test]
    fn runs_chains_until_the_horizon() {
        let mut sim = Simulation::new(Streams::new(1));
        sim.context().schedule_at(SimTime::ZERO, 0);
        let mut model = Recorder { fired: Vec::new() };
        let stop = sim.run_until(&mut model, SimTime::ZERO + SimDuration::from_secs(3), u64::MAX).unwrap();
        assert_eq!(stop, Stop::Horizon);
        assert_eq!(model.fired.iter().map(|f| f.1).collect::<Vec<_>>(), vec![0, 2, 4, 6]);
        assert_eq!(sim.now(), SimTime::ZERO + SimDuration::from_secs(3));
        assert_eq!(sim.events_processed(), 4);
    }

    #[test]
    fn drains_and_respects_event_limit() {
        let mut sim = Simulation::new(Streams::new(1));
        sim.context().schedule_at(SimTime::ZERO, 0);
        let mut model = Recorder { fired: Vec::new() };
        assert_eq!(sim.run_until(&mut model, SimTime::NEVER, 2), Ok(Stop::EventLimit));
        assert_eq!(sim.run_until(&mut model, SimTime::NEVER, u64::MAX), Ok(Stop::Drained));
        assert_eq!(model.fired.len(), 6);
    }
}

//! The generic discrete-event kernel: simulated time, the pending-event
//! queue, the run loop and the random streams. It knows nothing about
//! enterprises, members or devices.
//!
//! The submodules are private; what other layers use is re-exported below.
//! Inside the layer an item is `pub` when a sibling module uses it and
//! private when only its own file does.
//!
//! # Ordering guarantees
//!
//! 1. Events fire in non-decreasing simulated time; the clock never goes back.
//! 2. Events scheduled for the same instant fire in the order they were
//!    scheduled (FIFO ties, by a global insertion sequence).
//! 3. A cancelled event never fires; cancelling an event that already fired
//!    or was already cancelled does nothing and says so.
//! 4. An event may not be scheduled before the current time:
//!    `Context::schedule_at` refuses it by panicking (a model bug) and
//!    schedules nothing; `schedule_in` adds a delay, which cannot be negative.
//! 5. Every random draw is a function of (run seed, entity, purpose, index)
//!    only, never of the order events fire in or of other draws.
//!
//! Each is checked by a property test in
//! `tests/integration/engine_properties.rs`: 1 to 3 by
//! `queue_keeps_its_ordering_guarantees` (1 also by
//! `simulation_clock_never_goes_back_and_stops_at_the_horizon`), 4 by
//! `nothing_can_be_scheduled_in_the_past`, 5 by
//! `draws_depend_only_on_their_keys`.

mod dist;
mod pending;
mod queue;
mod radix_heap;
mod rng;
mod sim;
mod time;

pub use dist::Dist;
pub use queue::{EventId, EventQueue};
pub use rng::{Stream, Streams, hash_keys};
pub use sim::{Context, Model, Simulation, Stop};
pub use time::{MICROS_PER_DAY, MICROS_PER_HOUR, MICROS_PER_MIN, MICROS_PER_SEC, SimDuration, SimTime};

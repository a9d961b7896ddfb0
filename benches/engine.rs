//! The classic **hold model** for the event kernel: a queue pre-filled with
//! N pending events (N = 10^3 .. 10^6, at uniformly random times), then one
//! "hold" = pop the earliest event and schedule a successor at its time plus
//! an exponential increment with mean N µs. A hold keeps the queue size
//! constant, so one long-lived queue serves every iteration and no setup is
//! timed. Increments are drawn up front into a ring buffer so the RNG is not
//! measured.
//!
//! Three variants per N, side by side in the group `hold_N`, all reported as
//! time per event (`Throughput::Elements`):
//!
//! - `bare_binary_heap`: `BinaryHeap<Reverse<(time, seq)>>` push + pop, the
//!   raw baseline;
//! - `event_queue`: `unbindsim::engine::EventQueue<u32>` schedule + pop;
//! - `simulation`: `Simulation::run_until` driving a tiny `Model` whose
//!   `handle` reschedules one follow-up through `Context::schedule_in`,
//!   `SIM_BATCH` events per iteration.
//!
//! Run: `cargo bench --bench engine` (quick check:
//! `cargo bench --bench engine -- --quick`; one size: `-- hold_10000/`).

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use rand::{RngExt, SeedableRng};
use rand_distr::{Distribution, Exp1};
use rand_xoshiro::Xoshiro256PlusPlus;
use std::cmp::Reverse;
use std::collections::BinaryHeap;
use std::hint::black_box;
use std::time::Duration;
use unbindsim::engine::{Context, EventQueue, Model, SimDuration, SimTime, Simulation, Streams};

/// Pending-event counts measured.
const SIZES: [u64; 4] = [1_000, 10_000, 100_000, 1_000_000];
/// Precomputed increments, cycled through; a power of two for cheap masking.
const RING: usize = 1 << 16;
/// Events handled per `simulation` iteration.
const SIM_BATCH: u64 = 10_000;
/// Fixed seed of every generator here.
const SEED: u64 = 0x686f_6c64;

/// Exponential increments with mean `mean_us` µs, at least 1 µs.
struct Increments {
    ring: Vec<u64>,
    next: usize,
}

impl Increments {
    fn new(mean_us: u64) -> Self {
        let mut rng = Xoshiro256PlusPlus::seed_from_u64(SEED ^ mean_us);
        let ring = (0..RING)
            .map(|_| {
                let unit: f64 = Exp1.sample(&mut rng);
                ((unit * mean_us as f64) as u64).max(1)
            })
            .collect();
        Increments { ring, next: 0 }
    }

    #[inline]
    fn next(&mut self) -> u64 {
        let increment = self.ring[self.next];
        self.next = (self.next + 1) & (RING - 1);
        increment
    }
}

/// `n` initial event times, uniform over [0, n * mean) µs — the span the
/// hold steady state occupies.
fn initial_times(n: u64) -> Vec<u64> {
    let mut rng = Xoshiro256PlusPlus::seed_from_u64(SEED.wrapping_add(n));
    (0..n).map(|_| rng.random_range(0..n * n)).collect()
}

/// Holds per pending event run before measuring, so the queue reaches its
/// steady shape (times spread by the increments, not the initial fill).
const WARM_HOLDS: u64 = 2;

/// The model of the `simulation` variant: every event schedules one
/// successor, so the pending count stays at N.
struct Hold {
    increments: Increments,
}

impl Model for Hold {
    type Event = u32;
    type Fault = ();

    #[inline]
    fn handle(&mut self, event: u32, ctx: &mut Context<'_, u32>) -> Result<(), ()> {
        let delay = SimDuration::from_micros(self.increments.next());
        ctx.schedule_in(delay, event.wrapping_add(1));
        Ok(())
    }
}

fn hold(c: &mut Criterion) {
    for n in SIZES {
        let mut group = c.benchmark_group(format!("hold_{n}"));
        group.sample_size(if n >= 1_000_000 { 10 } else { 20 });
        group.warm_up_time(Duration::from_secs(1));
        group.measurement_time(Duration::from_secs(if n >= 1_000_000 { 4 } else { 3 }));
        let times = initial_times(n);

        // Baseline: a bare binary heap of (time, sequence) keys.
        {
            let mut increments = Increments::new(n);
            let mut heap: BinaryHeap<Reverse<(u64, u64)>> = BinaryHeap::with_capacity(n as usize + 1);
            let mut seq = 0u64;
            for &t in &times {
                heap.push(Reverse((t, seq)));
                seq += 1;
            }
            let mut step = |heap: &mut BinaryHeap<Reverse<(u64, u64)>>, seq: &mut u64| {
                let Reverse((t, _)) = heap.pop().expect("hold keeps the heap full");
                heap.push(Reverse((t + increments.next(), *seq)));
                *seq += 1;
                t
            };
            for _ in 0..WARM_HOLDS * n {
                step(&mut heap, &mut seq);
            }
            group.throughput(Throughput::Elements(1));
            group.bench_function("bare_binary_heap", |b| b.iter(|| black_box(step(&mut heap, &mut seq))));
            assert_eq!(heap.len() as u64, n);
        }

        // The engine's queue: schedule + pop through the radix heap.
        {
            let mut increments = Increments::new(n);
            let mut queue: EventQueue<u32> = EventQueue::new();
            for (i, &t) in times.iter().enumerate() {
                queue.schedule(SimTime::from_micros(t), i as u32);
            }
            let mut step = |queue: &mut EventQueue<u32>| {
                let (t, event) = queue.pop().expect("hold keeps the queue full");
                queue.schedule(t + SimDuration::from_micros(increments.next()), event.wrapping_add(1));
                t
            };
            for _ in 0..WARM_HOLDS * n {
                step(&mut queue);
            }
            group.throughput(Throughput::Elements(1));
            group.bench_function("event_queue", |b| b.iter(|| black_box(step(&mut queue))));
            assert_eq!(queue.len() as u64, n);
        }

        // The full loop: Simulation::run_until + Model::handle + schedule_in.
        {
            let mut sim: Simulation<u32> = Simulation::new(Streams::new(SEED));
            {
                let mut ctx = sim.context();
                for (i, &t) in times.iter().enumerate() {
                    ctx.schedule_at(SimTime::from_micros(t), i as u32);
                }
            }
            let mut model = Hold { increments: Increments::new(n) };
            let warmed = sim.run_until(&mut model, SimTime::NEVER, WARM_HOLDS * n);
            assert_eq!(warmed, Ok(unbindsim::engine::Stop::EventLimit));
            group.throughput(Throughput::Elements(SIM_BATCH));
            group.bench_function("simulation", |b| {
                b.iter(|| black_box(sim.run_until(&mut model, SimTime::NEVER, SIM_BATCH)))
            });
            assert_eq!(sim.pending() as u64, n);
        }

        group.finish();
    }
}

criterion_group!(benches, hold);
criterion_main!(benches);

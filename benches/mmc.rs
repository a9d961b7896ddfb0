//! The M/M/c approval queue on unbindsim's engine: the same model as
//! `peer/simpy_mmc.py`, for the side-by-side comparison that
//! `compare-simpy.sh` runs.
//!
//! `cargo bench --bench mmc -- --lambda 2.5 --mu 1 --servers 3 --requests 200000 --seed 42 [--draws keyed|sequential]`
//! prints one JSON line: requests, events, simulated hours, the mean wait with
//! a 95 % batch-means interval, the Erlang-C mean wait, wall time, events/s
//! and requests/s.
//!
//! With `--draws keyed` (the default) every interarrival gap and service
//! time comes from its own keyed stream (request, purpose), as draws do in
//! the simulator proper: that is what common random numbers cost. With
//! `--draws sequential` gaps and service times are the successive draws of
//! two streams, one per purpose, as the SimPy model draws them from one
//! generator: the engine's own speed.

use std::collections::VecDeque;
use std::time::Instant;
use unbindsim::engine::{Context, Dist, Model, SimDuration, SimTime, Simulation, Stream, Streams};
use unbindsim::metrics::{mean_ci95, round9};

#[derive(Clone, Copy)]
enum Event {
    Arrival { request: u32 },
    Departure,
}

/// Where the model's draws come from.
enum Draws {
    /// A stream per (request, purpose), opened for its one draw.
    Keyed,
    /// One stream per purpose, drawn in order.
    Sequential { gaps: Stream, services: Stream },
}

struct Mmc {
    draws: Draws,
    interarrival: Dist,
    service: Dist,
    servers: u32,
    busy: u32,
    requests: u32,
    waiting: VecDeque<(u32, SimTime)>,
    waits_h: Vec<f64>,
}

const ARRIVAL_GAP: u64 = 1;
const SERVICE: u64 = 2;

impl Mmc {
    /// The gap before request `request` arrives.
    fn gap(&mut self, request: u32, streams: &Streams) -> SimDuration {
        match &mut self.draws {
            Draws::Keyed => self.interarrival.sample(&mut streams.stream(u64::from(request), ARRIVAL_GAP, 0)),
            Draws::Sequential { gaps, .. } => self.interarrival.sample(gaps),
        }
    }

    fn service_time(&mut self, request: u32, streams: &Streams) -> SimDuration {
        match &mut self.draws {
            Draws::Keyed => self.service.sample(&mut streams.stream(u64::from(request), SERVICE, 0)),
            Draws::Sequential { services, .. } => self.service.sample(services),
        }
    }

    fn start_service(&mut self, request: u32, arrived: SimTime, ctx: &mut Context<'_, Event>) {
        self.busy += 1;
        self.waits_h.push((ctx.now() - arrived).as_secs_f64() / 3600.0);
        let service = self.service_time(request, ctx.streams());
        ctx.schedule_in(service, Event::Departure);
    }
}

impl Model for Mmc {
    type Event = Event;
    type Fault = std::convert::Infallible;

    fn handle(&mut self, event: Event, ctx: &mut Context<'_, Event>) -> Result<(), Self::Fault> {
        match event {
            Event::Arrival { request } => {
                if request + 1 < self.requests {
                    let gap = self.gap(request + 1, ctx.streams());
                    ctx.schedule_in(gap, Event::Arrival { request: request + 1 });
                }
                if self.busy < self.servers {
                    self.start_service(request, ctx.now(), ctx);
                } else {
                    self.waiting.push_back((request, ctx.now()));
                }
            }
            Event::Departure => {
                self.busy -= 1;
                if let Some((request, arrived)) = self.waiting.pop_front() {
                    self.start_service(request, arrived, ctx);
                }
            }
        }
        Ok(())
    }
}

fn arg(args: &[String], name: &str, default: f64) -> f64 {
    args.iter()
        .position(|a| a == name)
        .and_then(|i| args.get(i + 1))
        .map_or(default, |v| v.parse().unwrap_or_else(|_| panic!("{name} takes a number, got {v}")))
}

fn erlang_c_wait(lambda: f64, mu: f64, servers: u32) -> f64 {
    let load = lambda / mu;
    let (mut term, mut below) = (1.0, 0.0);
    for k in 0..servers {
        below += term;
        term *= load / f64::from(k + 1);
    }
    let waiting = term * f64::from(servers) / (f64::from(servers) - load);
    waiting / (below + waiting) / (f64::from(servers) * mu - lambda)
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let (lambda, mu) = (arg(&args, "--lambda", 2.5), arg(&args, "--mu", 1.0));
    let servers = arg(&args, "--servers", 3.0) as u32;
    let requests = arg(&args, "--requests", 200_000.0) as u32;
    let seed = arg(&args, "--seed", 42.0) as u64;
    let streams = Streams::new(seed);
    let draws = match args.iter().position(|a| a == "--draws").and_then(|i| args.get(i + 1)).map(String::as_str) {
        None | Some("keyed") => Draws::Keyed,
        Some("sequential") => {
            Draws::Sequential { gaps: streams.stream(0, ARRIVAL_GAP, 0), services: streams.stream(0, SERVICE, 0) }
        }
        Some(other) => panic!("--draws takes keyed or sequential, got {other}"),
    };
    let draws_name = if matches!(draws, Draws::Keyed) { "keyed" } else { "sequential" };
    let hour = |h: f64| SimDuration::from_secs_f64(h * 3600.0);
    let mut model = Mmc {
        draws,
        interarrival: Dist::Exp { mean: hour(1.0 / lambda) },
        service: Dist::Exp { mean: hour(1.0 / mu) },
        servers,
        busy: 0,
        requests,
        waiting: VecDeque::new(),
        waits_h: Vec::with_capacity(requests as usize),
    };
    let mut simulation = Simulation::new(streams);
    let first = model.gap(0, &streams);
    simulation.context().schedule_in(first, Event::Arrival { request: 0 });
    let started = Instant::now();
    simulation.run_until(&mut model, SimTime::NEVER, u64::MAX).expect("the M/M/c model cannot fail");
    let wall = started.elapsed().as_secs_f64();
    let batch = model.waits_h.len() / 30;
    let batch_means: Vec<f64> =
        model.waits_h.chunks_exact(batch).map(|c| c.iter().sum::<f64>() / c.len() as f64).collect();
    let ci = mean_ci95(&batch_means).expect("30 batches");
    println!(
        "{{\"simulator\": \"unbindsim engine\", \"draws\": \"{draws_name}\", \"requests\": {}, \"events\": {}, \"simulated_hours\": {}, \"mean_wait_h\": {}, \"mean_wait_h_ci95\": [{}, {}], \"erlang_c_wait_h\": {}, \"wall_s\": {}, \"events_per_sec\": {}, \"requests_per_sec\": {}}}",
        model.waits_h.len(),
        simulation.events_processed(),
        round9(simulation.now().as_micros() as f64 / 3.6e9),
        round9(ci.mean),
        round9(ci.low),
        round9(ci.high),
        round9(erlang_c_wait(lambda, mu, servers)),
        round9(wall),
        (simulation.events_processed() as f64 / wall).round(),
        (model.waits_h.len() as f64 / wall).round()
    );
}

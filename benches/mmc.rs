//! The M/M/c approval queue on unbindsim's engine: the same model as
//! `peer/simpy_mmc.py`, for the side-by-side comparison that
//! `compare-simpy.sh` runs.
//!
//! `cargo bench --bench mmc -- --lambda 2.5 --mu 1 --servers 3 --requests 200000 --seed 42 [--draws keyed|sequential] [--repeat 7]`
//! prints one JSON line: requests, events, simulated hours, the mean wait with
//! a 95 % batch-means interval, the Erlang-C mean wait, the median wall time
//! of `--repeat` identical runs (and the fastest and slowest), events/s and
//! requests/s at the median.
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

/// One kind of draw: its distribution, the purpose that keys its streams
/// (a constant, as the simulator's purposes are at each call site), and,
/// with sequential draws, the one stream it draws from in order.
struct Source<const PURPOSE: u64> {
    dist: Dist,
    sequence: Option<Stream>,
}

impl<const PURPOSE: u64> Source<PURPOSE> {
    fn new(dist: Dist, streams: &Streams, sequential: bool) -> Self {
        Source { dist, sequence: sequential.then(|| streams.stream(0, PURPOSE, 0)) }
    }

    /// The draw for `request`: the next one of the sequence, or the one of
    /// the stream keyed by (request, purpose).
    #[inline(always)]
    fn draw(&mut self, request: u32, streams: &Streams) -> SimDuration {
        match &mut self.sequence {
            Some(stream) => self.dist.sample(stream),
            None => self.dist.sample(&mut streams.stream(u64::from(request), PURPOSE, 0)),
        }
    }
}

struct Mmc {
    gaps: Source<ARRIVAL_GAP>,
    services: Source<SERVICE>,
    servers: u32,
    busy: u32,
    requests: u32,
    waiting: VecDeque<(u32, SimTime)>,
    waits_h: Vec<f64>,
}

const ARRIVAL_GAP: u64 = 1;
const SERVICE: u64 = 2;

impl Mmc {
    fn start_service(&mut self, request: u32, arrived: SimTime, ctx: &mut Context<'_, Event>) {
        self.busy += 1;
        self.waits_h.push((ctx.now() - arrived).as_secs_f64() / 3600.0);
        let service = self.services.draw(request, ctx.streams());
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
                    let gap = self.gaps.draw(request + 1, ctx.streams());
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

/// The model's parameters, from the command line.
struct Params {
    lambda: f64,
    mu: f64,
    servers: u32,
    requests: u32,
    seed: u64,
    sequential: bool,
}

impl Params {
    fn from_args(args: &[String]) -> Params {
        let sequential =
            match args.iter().position(|a| a == "--draws").and_then(|i| args.get(i + 1)).map(String::as_str) {
                None | Some("keyed") => false,
                Some("sequential") => true,
                Some(other) => panic!("--draws takes keyed or sequential, got {other}"),
            };
        Params {
            lambda: arg(args, "--lambda", 2.5),
            mu: arg(args, "--mu", 1.0),
            servers: arg(args, "--servers", 3.0) as u32,
            requests: arg(args, "--requests", 200_000.0) as u32,
            seed: arg(args, "--seed", 42.0) as u64,
            sequential,
        }
    }
}

/// One run from an empty system: the model, the simulation it ran on, and
/// the wall time of the run loop in seconds.
fn run_once(params: &Params) -> (Mmc, Simulation<Event>, f64) {
    let streams = Streams::new(params.seed);
    let hour = |h: f64| SimDuration::from_secs_f64(h * 3600.0);
    let mut model = Mmc {
        gaps: Source::new(Dist::Exp { mean: hour(1.0 / params.lambda) }, &streams, params.sequential),
        services: Source::new(Dist::Exp { mean: hour(1.0 / params.mu) }, &streams, params.sequential),
        servers: params.servers,
        busy: 0,
        requests: params.requests,
        waiting: VecDeque::new(),
        waits_h: Vec::with_capacity(params.requests as usize),
    };
    let mut simulation = Simulation::new(streams);
    let first = model.gaps.draw(0, &streams);
    simulation.context().schedule_in(first, Event::Arrival { request: 0 });
    let started = Instant::now();
    simulation.run_until(&mut model, SimTime::NEVER, u64::MAX).expect("the M/M/c model cannot fail");
    (model, simulation, started.elapsed().as_secs_f64())
}

/// Runs the model `--repeat` times (default 7; a run of 200 000 requests
/// lasts a few tens of milliseconds, too short for one timing to mean much
/// on a shared machine) and reports the median wall time. Every repeat must
/// produce the same waits: same seed, same run.
fn main() {
    let args: Vec<String> = std::env::args().collect();
    let params = Params::from_args(&args);
    let repeats = (arg(&args, "--repeat", 7.0) as usize).max(1);
    let (model, simulation, first_wall) = run_once(&params);
    let mut walls = vec![first_wall];
    for _ in 1..repeats {
        let (again, _, wall) = run_once(&params);
        assert!(again.waits_h == model.waits_h, "a repeat of the same seed gave other waits");
        walls.push(wall);
    }
    walls.sort_by(f64::total_cmp);
    let wall = walls[walls.len() / 2];
    let batch = model.waits_h.len() / 30;
    let batch_means: Vec<f64> =
        model.waits_h.chunks_exact(batch).map(|c| c.iter().sum::<f64>() / c.len() as f64).collect();
    let ci = mean_ci95(&batch_means).expect("30 batches");
    let draws = if params.sequential { "sequential" } else { "keyed" };
    println!(
        "{{\"simulator\": \"unbindsim engine\", \"draws\": \"{draws}\", \"requests\": {}, \"events\": {}, \"simulated_hours\": {}, \"mean_wait_h\": {}, \"mean_wait_h_ci95\": [{}, {}], \"erlang_c_wait_h\": {}, \"repeats\": {repeats}, \"wall_s\": {}, \"wall_s_min\": {}, \"wall_s_max\": {}, \"events_per_sec\": {}, \"requests_per_sec\": {}}}",
        model.waits_h.len(),
        simulation.events_processed(),
        round9(simulation.now().as_micros() as f64 / 3.6e9),
        round9(ci.mean),
        round9(ci.low),
        round9(ci.high),
        round9(erlang_c_wait(params.lambda, params.mu, params.servers)),
        round9(wall),
        round9(walls[0]),
        round9(walls[walls.len() - 1]),
        (simulation.events_processed() as f64 / wall).round(),
        (model.waits_h.len() as f64 / wall).round()
    );
}

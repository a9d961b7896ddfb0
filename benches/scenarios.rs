//! End-to-end throughput of whole replications at 100 000 members.
//!
//! - `admin_batch_100k/run_replication`: the `admin-batch` built-in scenario
//!   with `org.members = 100_000`, one replication (`run_replication`, seed
//!   42, index 0) per iteration; the org is generated once, outside the
//!   timed part. Throughput is members per second.
//! - `admin_batch_100k/synth_generate_100k`: `synth::generate` of that org
//!   alone (members per second).
//! - `seed_suite_100k/<name>`: each of the eight built-in scenarios at
//!   100 000 members, one replication per iteration (members per second).
//!
//! Before timing each scenario, one untimed replication checks it runs
//! without a fault and prints its event count (stderr), so time per run can
//! be turned into events per second; its wall time sizes the measurement
//! window: iterations over 50 ms (synth, dissolution) are sampled flat,
//! with time for ten of them.
//!
//! The throughput counts the org's members, not the members a workload
//! unbinds (admin-batch unbinds 40 x 200 of them), and each run includes
//! building the per-run `World`.
//!
//! Run: `cargo bench --bench scenarios` (quick check:
//! `cargo bench --bench scenarios -- --quick`; one group:
//! `-- seed_suite_100k`).

use criterion::measurement::WallTime;
use criterion::{BenchmarkGroup, BenchmarkId, Criterion, SamplingMode, Throughput, criterion_group, criterion_main};
use std::hint::black_box;
use std::time::{Duration, Instant};
use unbindsim::runner::{self, Experiment};
use unbindsim::scenario::{BUILTIN, Scenario, builtin, parse_scenario};
use unbindsim::synth;

const MEMBERS: u32 = 100_000;
const SEED: u64 = 42;
/// Samples per benchmark.
const SAMPLES: usize = 10;
/// Iterations this slow are sampled flat (linear sampling would need 55).
const SLOW: Duration = Duration::from_millis(50);

/// The built-in scenario `name`, resized to `MEMBERS` members.
fn scenario_at_100k(name: &str, text: &str) -> Scenario {
    let mut scenario = parse_scenario(name, text).unwrap_or_else(|e| panic!("{e}"));
    scenario.org.members = MEMBERS;
    scenario
}

/// One untimed replication: fails loudly on a model fault, reports the
/// event count and stop reason, and returns its wall time.
fn check_runs(name: &str, experiment: &Experiment<'_>) -> Duration {
    let replication = runner::run_replication(experiment, SEED, 0).unwrap_or_else(|e| panic!("{name}: {e}"));
    eprintln!(
        "{name} @ {MEMBERS} members: {} events, stop {:?}, {:.1} ms untimed check",
        replication.events,
        replication.stop,
        replication.wall.as_secs_f64() * 1e3
    );
    replication.wall
}

/// Sizes the measurement of a benchmark whose iteration takes about `wall`:
/// at least `floor`, and for slow iterations (synth, dissolution) flat
/// sampling with room for `SAMPLES` of them, so no sample count warning.
fn size_for(group: &mut BenchmarkGroup<'_, WallTime>, wall: Duration, floor: Duration) {
    if wall >= SLOW {
        group.sampling_mode(SamplingMode::Flat);
        group.measurement_time((wall * (SAMPLES as u32 + 2)).max(floor));
    } else {
        group.sampling_mode(SamplingMode::Auto);
        group.measurement_time(floor);
    }
}

fn admin_batch(c: &mut Criterion) {
    let scenario = scenario_at_100k("admin-batch", builtin("admin-batch").expect("admin-batch is built in"));
    let mut group = c.benchmark_group("admin_batch_100k");
    group.sample_size(SAMPLES);
    group.warm_up_time(Duration::from_secs(1));
    group.throughput(Throughput::Elements(u64::from(MEMBERS)));

    let started = Instant::now();
    let org = synth::generate(&scenario.org, SEED);
    size_for(&mut group, started.elapsed(), Duration::from_secs(4));
    group.bench_function("synth_generate_100k", |b| b.iter(|| black_box(synth::generate(&scenario.org, SEED))));

    let experiment = Experiment::of(&scenario, &org);
    let wall = check_runs("admin-batch", &experiment);
    size_for(&mut group, wall, Duration::from_secs(4));
    group.bench_function("run_replication", |b| {
        b.iter(|| black_box(runner::run_replication(&experiment, SEED, 0).expect("no model fault")))
    });
    group.finish();
}

fn seed_suite(c: &mut Criterion) {
    let mut group = c.benchmark_group("seed_suite_100k");
    group.sample_size(SAMPLES);
    group.warm_up_time(Duration::from_secs(1));
    group.throughput(Throughput::Elements(u64::from(MEMBERS)));
    for (name, text) in BUILTIN {
        let scenario = scenario_at_100k(name, text);
        let org = synth::generate(&scenario.org, SEED);
        let experiment = Experiment::of(&scenario, &org);
        let wall = check_runs(name, &experiment);
        size_for(&mut group, wall, Duration::from_secs(3));
        group.bench_function(BenchmarkId::from_parameter(name), |b| {
            b.iter(|| black_box(runner::run_replication(&experiment, SEED, 0).expect("no model fault")))
        });
    }
    group.finish();
}

criterion_group!(benches, admin_batch, seed_suite);
criterion_main!(benches);

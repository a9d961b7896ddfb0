//! A fast, deterministic guard on the coverage of the reported intervals
//! (the full measurement is `benches/coverage.sh`). The truth is the pooled
//! rate of one large run (400 replications, seed 900 000, 300 members), and
//! 40 runs of 10 replications (seeds 1..=40, orgs sampled) each report a
//! 95 % interval. At the nominal 95 % about 38 of 40 cover; the test fails
//! below 32 (80 %), which a correct interval reaches by chance with
//! probability under 0.3 % — and, the seeds being fixed, the outcome never
//! changes from run to run.
//!
//! Measured on these seeds: the token race's intervals cover 37 of 40 and
//! device-change lockout's 40 of 40. The token race is the figure the org
//! moves as a whole (each org draws its apps' introspection and native
//! unbind), so Wilson intervals on the pooled counts, which treat every
//! grant as an independent trial, cover it only 11 of 40 times: this is
//! the collapse the test guards against.

use super::common::seed_scenario;
use unbindsim::metrics::{Reading, Summary, read};
use unbindsim::runner::simulate;
use unbindsim::scenario::Figure;

const MEMBERS: u32 = 300;
const TRUTH_SEED: u64 = 900_000;
const TRUTH_REPLICATIONS: u32 = 400;
const TRIAL_RUNS: u64 = 40;
const TRIAL_REPLICATIONS: u32 = 10;
const MINIMUM_COVERING: usize = 32;

fn run(scenario: &str, seed: u64, replications: u32) -> Summary {
    let mut scenario = seed_scenario(scenario);
    scenario.org.members = MEMBERS;
    simulate(&scenario, seed, replications, 2, &|| {}).expect("the seed scenarios run")
}

/// The figure's pooled rate and its interval (if any).
fn rate(summary: &Summary, figure: Figure) -> (f64, Option<[f64; 2]>) {
    match read(figure, summary) {
        Ok(Reading::Rate(view)) => (view.hits as f64 / view.trials.max(1) as f64, view.ci95),
        other => panic!("{} is not a rate here: {other:?}", figure.name()),
    }
}

fn check(scenario: &str, figures: &[Figure]) {
    let truth_run = run(scenario, TRUTH_SEED, TRUTH_REPLICATIONS);
    let trials: Vec<Summary> = (1..=TRIAL_RUNS).map(|seed| run(scenario, seed, TRIAL_REPLICATIONS)).collect();
    for &figure in figures {
        let (truth, _) = rate(&truth_run, figure);
        assert!(
            truth > 0.0 && truth < 1.0,
            "{scenario} {}: the truth {truth} must be strictly inside (0, 1)",
            figure.name()
        );
        let covering = trials
            .iter()
            .filter(|summary| rate(summary, figure).1.is_some_and(|[low, high]| low <= truth && truth <= high))
            .count();
        assert!(
            covering >= MINIMUM_COVERING,
            "{scenario} {}: {covering} of {TRIAL_RUNS} intervals cover the truth {truth:.5}; at 95 % about 38 should (replay: seeds 1..={TRIAL_RUNS}, {MEMBERS} members, truth seed {TRUTH_SEED})",
            figure.name()
        );
    }
}

#[test]
fn admin_batch_token_race_intervals_cover() {
    check("admin-batch", &[Figure::named("token_after_disable_rate").expect("a figure")]);
}

#[test]
fn device_change_lockout_intervals_cover() {
    check("device-change", &[Figure::LockoutRate]);
}

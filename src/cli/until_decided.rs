//! `run --until-decided`: replications in rounds (each of the scenario's
//! replication count) until every objective of every scenario is PASS or
//! FAIL or the cap is reached. Each look judges the objectives on intervals
//! at the level `metrics::look_level` spends, so the chance of any wrong
//! verdict over all looks stays at 5 %; the summary written at the end is
//! the plain 95 % summary of every replication run, identical to a run with
//! that many replications.

use super::CliError;
use super::run::{Plan, simulate_plans};
use crate::metrics::{Sequence, Summary, Timing, evaluate_at, look_level};
use crate::runner::{TaskRun, run_info};
use std::time::Duration;

/// Rounds a run may take when `--max-replications` is not given.
pub const DEFAULT_ROUNDS: u32 = 10;

/// One scenario's replications so far and its objectives' looks.
pub struct Decided {
    pub run: TaskRun,
    pub sequence: Sequence,
    /// Replications run (the count the summary reports).
    pub replications: u32,
}

/// The cap on replications for `plan`: `--max-replications`, else ten rounds.
pub fn cap_of(plan: &Plan, max_replications: Option<u32>) -> u32 {
    max_replications.unwrap_or(plan.replications.saturating_mul(DEFAULT_ROUNDS)).max(plan.replications)
}

/// Refuses scenarios without objectives: there would be nothing to decide.
pub fn check_objectives(plans: &[Plan]) -> Result<(), CliError> {
    match plans.iter().find(|plan| plan.scenario.slo.is_empty()) {
        Some(plan) => Err(CliError::BadInput(format!(
            "--until-decided: scenario {} has no objectives ([slo]) to decide{}",
            plan.scenario.name,
            if plan.scenario.live_slo.is_empty() {
                ""
            } else {
                " (its live objectives are judged by `unbindsim load`)"
            }
        ))),
        None => Ok(()),
    }
}

/// Runs every plan in rounds until its objectives are decided or its cap
/// is reached; all open plans share each round's pool of threads.
pub fn simulate_until_decided(
    plans: &[Plan],
    max_replications: Option<u32>,
    threads: usize,
    quiet: bool,
) -> Result<Vec<Decided>, CliError> {
    let mut states: Vec<Decided> = plans
        .iter()
        .map(|_| Decided {
            run: TaskRun { records: Vec::new(), wall: Duration::ZERO, busy: Duration::ZERO },
            sequence: Sequence::default(),
            replications: 0,
        })
        .collect();
    loop {
        let open: Vec<usize> = (0..plans.len()).filter(|&i| is_open(&plans[i], &states[i], max_replications)).collect();
        if open.is_empty() {
            return Ok(states);
        }
        let round: Vec<&Plan> = open.iter().map(|&i| &plans[i]).collect();
        let indices: Vec<Vec<u32>> =
            open.iter().map(|&i| next_round(&plans[i], &states[i], max_replications)).collect();
        let results = simulate_plans(&round, &indices, threads, quiet);
        if let Some(signal) = super::signals::received() {
            return Err(super::signals::interrupted(
                signal,
                "nothing written: --until-decided decides on whole rounds",
            ));
        }
        for ((&i, result), indices) in open.iter().zip(results).zip(&indices) {
            let run = result.map_err(|fault| CliError::Runtime(fault.to_string()))?;
            look(&plans[i], &mut states[i], run, indices.len() as u32, cap_of(&plans[i], max_replications));
        }
    }
}

fn is_open(plan: &Plan, state: &Decided, max_replications: Option<u32>) -> bool {
    state.replications < cap_of(plan, max_replications) && (state.replications == 0 || !state.sequence.decided())
}

/// The indices of the next round: the scenario's replication count more, up to the cap.
fn next_round(plan: &Plan, state: &Decided, max_replications: Option<u32>) -> Vec<u32> {
    let end = (state.replications + plan.replications).min(cap_of(plan, max_replications));
    (state.replications..end).collect()
}

/// Adds a round's replications and judges the objectives at this look's level.
fn look(plan: &Plan, state: &mut Decided, round: TaskRun, added: u32, cap: u32) {
    let previous = state.replications;
    state.replications += added;
    state.run.records.extend(round.records);
    state.run.wall += round.wall;
    state.run.busy += round.busy;
    let level = look_level(previous, state.replications, cap);
    let info = run_info(&plan.scenario, plan.seed, state.replications);
    let at_level = Summary::build_at(info, &state.run.records, no_timing(), level);
    state.sequence.look(evaluate_at(&plan.scenario.slo, &at_level, level), state.replications, level);
}

/// A look's summary is never written: its timing is empty.
fn no_timing() -> Timing {
    Timing { wall_ms: 0.0, replication_ms: 0.0, events_per_sec: 0.0, threads: 0, host: String::new() }
}

//! Who is unbound when: the scenario's own workload, taken from the
//! simulator. Replication 0's org is generated with `synth::generate` from
//! the org seed `run` gives replication 0 (its own when orgs are sampled,
//! the run seed's when shared), and the model runs to the horizon on it,
//! exactly as `run` runs it;
//! every member whose account that replication cuts becomes one live
//! operation at the simulated time of the cut, grouped by the console batch
//! the model cut it in. The live side therefore replays the model's
//! decisions, approvals, delays and console pacing, not just its arrival
//! parameters; what the model cannot know is how long the real service
//! takes, and that is what the replay measures.

use crate::engine::{SimDuration, SimTime, Simulation};
use crate::model::{AccountRevocation, Org};
use crate::runner::{Experiment, Seeds, replication_streams};
use crate::scenario::Scenario;
use crate::synth::generate;

/// Most events the schedule's replication may process.
const MAX_EVENTS: u64 = 500_000_000;

/// One member to unbind on the service.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Operation {
    /// Index of the member in the org (its SCIM `userName` derives from it).
    pub member: u32,
    /// The model's console batch (an index into [`Schedule::batches`]).
    pub batch: u32,
    /// When the model cut the account.
    pub revoked_at: SimTime,
}

/// A console batch of the model: when its request was decided.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ScheduledBatch {
    pub decided_at: SimTime,
}

/// The replayed workload: operations in order of revocation time.
#[derive(Clone, Debug)]
pub struct Schedule {
    pub org: Org,
    pub operations: Vec<Operation>,
    pub batches: Vec<ScheduledBatch>,
}

impl Schedule {
    /// Runs replication 0 of `scenario` on `seed` and collects its account
    /// revocations. Fails only on a broken model invariant.
    pub fn build(scenario: &Scenario, seed: u64) -> Result<Schedule, String> {
        let org = generate(&scenario.org, Seeds::same(seed, scenario.org_mode).org_seed(0));
        let revocations = revocations(scenario, &org, seed)?;
        Ok(Self::from_revocations(org, &revocations))
    }

    fn from_revocations(org: Org, revocations: &[AccountRevocation]) -> Schedule {
        let mut batch_index = std::collections::BTreeMap::new();
        let mut batches = Vec::new();
        let operations = revocations
            .iter()
            .map(|r| {
                let batch = *batch_index.entry(r.batch).or_insert_with(|| {
                    batches.push(ScheduledBatch { decided_at: r.decided_at });
                    batches.len() as u32 - 1
                });
                Operation { member: r.member.0, batch, revoked_at: r.revoked_at }
            })
            .collect();
        Schedule { org, operations, batches }
    }

    /// Simulated time from the start to the last operation.
    pub fn span(&self) -> SimDuration {
        self.operations.last().map_or(SimDuration::ZERO, |op| op.revoked_at - SimTime::ZERO)
    }
}

fn revocations(scenario: &Scenario, org: &Org, seed: u64) -> Result<Vec<AccountRevocation>, String> {
    let streams = replication_streams(seed, 0);
    let experiment = Experiment::of(scenario, org);
    let mut world = experiment.world(streams);
    let mut simulation = Simulation::new(streams);
    world.start(&mut simulation.context());
    simulation
        .run_until(&mut world, experiment.horizon, MAX_EVENTS)
        .map_err(|fault| format!("model invariant broken while building the schedule (seed {seed}): {fault}"))?;
    Ok(world.account_revocations())
}

/// A member's SCIM `userName`: the scenario's name and the member's index.
pub fn user_name(scenario: &str, member: u32) -> String {
    format!("{}{member:07}", user_prefix(scenario))
}

/// The prefix every provisioned user of `scenario` shares.
pub fn user_prefix(scenario: &str) -> String {
    format!("unbindsim-{scenario}-m")
}

/// A department's SCIM group `displayName`.
pub fn group_name(scenario: &str, department: u32) -> String {
    format!("unbindsim-{scenario}-d{department:05}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn admin_batch_schedule_is_time_ordered_and_deterministic() {
        let mut scenario = crate::scenario::load_scenario("admin-batch").unwrap();
        scenario.org.members = 1000;
        let a = Schedule::build(&scenario, 42).unwrap();
        let b = Schedule::build(&scenario, 42).unwrap();
        assert!(!a.operations.is_empty());
        assert_eq!(a.operations, b.operations);
        assert!(a.operations.windows(2).all(|w| w[0].revoked_at <= w[1].revoked_at));
        for op in &a.operations {
            assert!(a.batches[op.batch as usize].decided_at <= op.revoked_at);
        }
        let mut members: Vec<u32> = a.operations.iter().map(|op| op.member).collect();
        members.sort_unstable();
        members.dedup();
        assert_eq!(members.len(), a.operations.len(), "each member is unbound once");
    }
}

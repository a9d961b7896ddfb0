//! Reading the world at the horizon: how every member ended, what residue
//! survives, which requests never completed, and the pools' tallies.

use super::super::ids::MemberId;
use super::super::observe::Observations;
use super::super::platform::ResidueKind;
use super::super::state::{DeviceState, GrantState, Outcome};
use super::{Mark, World};

/// Consumes the world and returns everything it observed.
pub fn finish(mut world: World<'_>) -> Observations {
    count_outcomes(&mut world);
    count_residue(&mut world);
    world.obs.batches = world.batches.iter().filter(|b| !b.superseded).count() as u64;
    world.obs.batches_unrevoked =
        world.batches.iter().filter(|b| b.revocations_left > 0 && !b.superseded).count() as u64;
    world.obs.batches_incomplete = world.batches.iter().filter(|b| b.members_left > 0 && !b.superseded).count() as u64;
    world.obs.queues = world.pools.iter().map(|pool| (pool.name, pool.tally)).collect();
    world.obs
}

fn count_outcomes(world: &mut World<'_>) {
    let outcomes = &mut world.obs.outcomes;
    for run in &world.members {
        if run.state.outcome() != Outcome::Untouched {
            world.obs.members_raced.record(!run.races.is_empty());
        }
        match run.state.outcome() {
            Outcome::Untouched => outcomes.untouched += 1,
            Outcome::Done => outcomes.done += 1,
            Outcome::Pending => outcomes.pending += 1,
            Outcome::LockedOut => outcomes.locked_out += 1,
            Outcome::RolledBack => outcomes.rolled_back += 1,
        }
    }
}

/// Residue over members whose unbind took effect: their own (archive,
/// cloud copy, app data of every grant the unbind revoked) and that of
/// every device the unbind touched.
fn count_residue(world: &mut World<'_>) {
    let (org, obs) = (world.org, &mut world.obs.residue);
    for (index, run) in world.members.iter().enumerate() {
        if !run.marks.has(Mark::Effective) {
            continue;
        }
        let member = MemberId(index as u32);
        let mut residue = run.residue;
        for grant in org.grants_of(member) {
            let grant_run = &world.grants[grant.index()];
            if grant_run.state == GrantState::Active {
                continue; // not revoked (a device change keeps the account's grants): no trial
            }
            obs.grants.record(grant_run.app_data_left);
            if grant_run.app_data_left {
                residue = residue.with(ResidueKind::AppData);
            }
        }
        for device in org.devices_of(member) {
            let device_run = world.devices[device.index()];
            if device_run.state == DeviceState::Bound {
                continue; // untouched by this unbind
            }
            let platform = org.devices[device.index()].platform;
            obs.devices_by_platform[platform.index()].record(!device_run.residue.is_empty());
            residue = residue.union(device_run.residue);
        }
        obs.members.record(!residue.is_empty());
        for kind in residue.kinds() {
            obs.by_kind[kind.index()] += 1;
        }
    }
}

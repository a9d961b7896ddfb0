//! Reading the world at the horizon: how every member ended, what residue
//! survives (and how it survived after each unbind: `residue`), which batches never completed (censored at the horizon, with
//! the reason their members give), which lockouts are not yet recovered
//! (censored there too), each offboarded member's exposure (`exposure`),
//! the pools' tallies (requests still waiting censored at the horizon) and
//! the console's backlog at the points the run did not pass.

use super::super::ids::{DeviceId, MemberId};
use super::super::observe::{Observations, Unfinished};
use super::super::platform::{Residue, ResidueKind};
use super::super::state::{DeviceState, GrantState, MemberState, Outcome};
use super::purpose::Purpose;
use super::residue::SurvivalTrials;
use super::{Mark, NONE, RequestKind, World, exposure, residue};
use crate::engine::SimTime;

/// Consumes the world and returns everything it observed.
pub fn finish(mut world: World<'_>) -> Observations {
    count_outcomes(&mut world);
    let trials = count_residue(&mut world);
    world.obs.residue_over_time = residue::count_survival(trials);
    count_censored(&mut world);
    count_lockouts_pending(&mut world);
    exposure::count_exposure(&mut world);
    world.obs.batches = world.batches.iter().filter(|b| !b.superseded).count() as u64;
    world.obs.batches_unrevoked =
        world.batches.iter().filter(|b| b.revocations_left > 0 && !b.superseded).count() as u64;
    world.obs.batches_incomplete = world.batches.iter().filter(|b| b.members_left > 0 && !b.superseded).count() as u64;
    world.obs.console_backlog.finish(world.horizon);
    for pool in &mut world.pools {
        pool.censor_waiting(world.horizon);
    }
    world.obs.queues = world.pools.iter_mut().map(|pool| (pool.kind.name(), std::mem::take(&mut pool.tally))).collect();
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
/// every device the unbind touched; the same members and devices are the
/// trials of the residue survival points.
fn count_residue<'a>(world: &mut World<'a>) -> SurvivalTrials<'a> {
    let mut trials = SurvivalTrials::new(world);
    let (org, obs) = (world.org, &mut world.obs.residue);
    for (index, run) in world.members.iter().enumerate() {
        if !run.marks.has(Mark::Effective) {
            continue;
        }
        let member = MemberId(index as u32);
        let mut residue = run.residue;
        let mut at_risk = own_residue_risk(world.requests[run.request as usize].kind);
        let mut app_data_since = None;
        for grant in org.grants_of(member) {
            let grant_run = &world.grants[grant.index()];
            if grant_run.state == GrantState::Active {
                continue; // not revoked (a device change keeps the account's grants): no trial
            }
            at_risk = at_risk.with(ResidueKind::AppData);
            obs.grants.record(grant_run.app_data_left);
            if grant_run.app_data_left {
                residue = residue.with(ResidueKind::AppData);
                app_data_since =
                    Some(app_data_since.map_or(grant_run.revoked_at, |since: SimTime| since.min(grant_run.revoked_at)));
            }
        }
        let reach = trials.member(run.revoked_at, app_data_since);
        for device in org.devices_of(member) {
            let device_run = world.devices[device.index()];
            if device_run.state == DeviceState::Bound {
                continue; // untouched by this unbind
            }
            let platform = org.devices[device.index()].platform;
            trials.device(reach, platform);
            obs.devices_by_platform[platform.index()].record(!device_run.residue.is_empty());
            residue = residue.union(device_run.residue);
            at_risk = at_risk.union(platform.possible_residue());
        }
        obs.members.record(!residue.is_empty());
        for kind in residue.kinds() {
            assert!(at_risk.contains(kind), "member {index} kept {} residue it could not leave", kind.name());
            obs.by_kind[kind.index()] += 1;
        }
        for kind in at_risk.kinds() {
            obs.at_risk_by_kind[kind.index()] += 1;
        }
    }
    trials
}

/// The residue a member's own unbind can leave, apart from its devices and
/// grants: the archive of a dissolution, the cloud copy of a GDPR unbind.
fn own_residue_risk(kind: RequestKind<'_>) -> Residue {
    match kind {
        RequestKind::Dissolution(_) => Residue::of(ResidueKind::Archive),
        RequestKind::Gdpr(params) if params.cloud_copy_kept > 0.0 => Residue::of(ResidueKind::CloudCopy),
        RequestKind::Gdpr(_)
        | RequestKind::SelfExit
        | RequestKind::Admin(..)
        | RequestKind::AppGrants
        | RequestKind::DeviceChange(_)
        | RequestKind::Compliance(_)
        | RequestKind::Rebind => Residue::EMPTY,
    }
}

/// Every measured batch unfinished at the horizon, censored at horizon −
/// decision: its batch latency if a member is not fully unbound, its
/// revocation latency if a member is not yet revoked.
fn count_censored(world: &mut World<'_>) {
    let (batch_reasons, revocation_reasons) = unfinished_reasons(world);
    let obs = &mut world.obs;
    for (index, batch) in world.batches.iter().enumerate().filter(|(_, b)| !b.superseded) {
        let censored_us = (world.horizon - batch.decided_at).as_micros();
        if batch.members_left > 0 {
            obs.batch_censored.record(censored_us, batch_reasons[index]);
            if let Some(tier) = batch.tier {
                obs.batch_by_tier[tier.index()].censored.record(censored_us, batch_reasons[index]);
            }
        }
        if batch.revocations_left > 0 {
            obs.revocation_censored.record(censored_us, revocation_reasons[index]);
        }
    }
}

/// Every account still locked out at the horizon, censored at horizon −
/// lock (the account locked when its device change was done, which cut
/// it).
fn count_lockouts_pending(world: &mut World<'_>) {
    for run in world.members.iter().filter(|run| run.state == MemberState::LockedOut) {
        let censored_us = (world.horizon - run.revoked_at).as_micros();
        world.obs.lockout_censored.record(censored_us, Unfinished::LockedOut);
    }
}

/// Per batch, why it is unfinished: the first reason in `Unfinished::ALL`
/// order that any of its members gives (for revocation, only a rollback
/// stops it for good).
fn unfinished_reasons(world: &World<'_>) -> (Vec<Unfinished>, Vec<Unfinished>) {
    let mut batch = vec![Unfinished::Horizon; world.batches.len()];
    let mut revocation = batch.clone();
    for (index, run) in world.members.iter().enumerate().filter(|(_, run)| run.batch != NONE) {
        let slot = run.batch as usize;
        let reason = member_reason(world, MemberId(index as u32));
        batch[slot] = batch[slot].min(reason);
        if reason == Unfinished::RolledBack {
            revocation[slot] = Unfinished::RolledBack;
        }
    }
    (batch, revocation)
}

fn member_reason(world: &World<'_>, member: MemberId) -> Unfinished {
    match world.members[member.index()].state {
        MemberState::LockedOut => Unfinished::LockedOut,
        MemberState::RolledBack => Unfinished::RolledBack,
        MemberState::Revoked | MemberState::ChangingDevice => {
            world.org.devices_of(member).map(|device| device_reason(world, device)).min().unwrap_or(Unfinished::Horizon)
        }
        MemberState::Active
        | MemberState::Requested
        | MemberState::Handover
        | MemberState::Buffer
        | MemberState::Unbound
        | MemberState::DeviceChanged
        | MemberState::PendingRebind
        | MemberState::Rebinding
        | MemberState::Rebound => Unfinished::Horizon,
    }
}

/// A device holding its member back: told to log out but never checking
/// in (until its platform's auto-logout, if any), or uninstalled or lost on
/// a platform that never logs out by itself.
fn device_reason(world: &World<'_>, device: DeviceId) -> Unfinished {
    let platform = world.org.devices[device.index()].platform;
    match world.devices[device.index()].state {
        DeviceState::LogoutPending
            if world.chance(device.stream_key(), Purpose::NeverChecksIn, world.behaviour.device_never_checks_in) =>
        {
            Unfinished::NeverCheckedIn
        }
        DeviceState::Uninstalled | DeviceState::Lost if platform.auto_logout_after().is_none() => {
            Unfinished::NoAutoLogout
        }
        DeviceState::Bound
        | DeviceState::Uninstalled
        | DeviceState::Lost
        | DeviceState::LogoutPending
        | DeviceState::Inactive
        | DeviceState::Wiped
        | DeviceState::AutoLoggedOut => Unfinished::Horizon,
    }
}

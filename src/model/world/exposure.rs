//! Each offboarded member's exposure, read at the horizon from instants the
//! world keeps (no events, no draws): its decision, its revocation, every
//! revoked grant's acceptance end, its devices' last release, whether a pro
//! disable kept modules. The window runs from the decision to the end of
//! the last live path (`ExposurePath`); one still live at the horizon
//! censors the member there. The paths after the account start at its cut.
//! Every revoked grant's acceptance window is read the same way.

use super::super::exposure::{ExposurePath, ExposureTally, LeakPoint, TokenEnd, TokenTally};
use super::super::ids::MemberId;
use super::super::observe::Count;
use super::super::state::{DeviceState, GrantState, MemberState};
use super::{Mark, NONE, World};
use crate::engine::SimTime;

/// Counts every offboarded member's exposure into the world's observations.
pub(super) fn count_exposure(world: &mut World<'_>) {
    let mut tally = ExposureTally {
        leak_risk: world
            .leak_risk_at
            .iter()
            .map(|&after| LeakPoint { after, live: Count::default(), past_horizon: 0 })
            .collect(),
        ..ExposureTally::default()
    };
    for index in 0..world.members.len() {
        let member = MemberId(index as u32);
        if offboarded(world, member) {
            let decided_at = world.members[index].decided_at;
            record(&mut tally, world.horizon, decided_at, path_ends(world, member));
        }
    }
    tally.tokens = token_windows(world);
    world.obs.exposure = tally;
}

/// Every grant revoked by the horizon (of an offboarded member, or by an
/// app admin's archive): revocation to the end of its acceptance window,
/// censored at the horizon where the app still accepts it.
fn token_windows(world: &World<'_>) -> TokenTally {
    let (org, horizon) = (world.org, world.horizon);
    let mut tally = TokenTally { ended_us: Vec::with_capacity(world.revoked_grants.len()), ..TokenTally::default() };
    for &grant in &world.revoked_grants {
        let run = world.grants[grant.index()];
        let app = org.apps[org.grants[grant.index()].app.index()];
        let end = TokenEnd::of(&app);
        let accepted_ms = (run.accept_until.min(horizon) - run.revoked_at).as_micros() / 1_000;
        tally.accepted_ms = tally.accepted_ms.saturating_add(accepted_ms);
        tally.grants_by_end[end.index()] += 1;
        let sum = &mut tally.accepted_ms_by_end[end.index()];
        *sum = sum.saturating_add(accepted_ms);
        if run.accept_until > horizon {
            tally.censored_us.push((horizon - run.revoked_at).as_micros());
        } else {
            tally.ended_us.push((run.accept_until - run.revoked_at).as_micros());
        }
    }
    tally
}

/// Whether a request took `member` to cut its account: every kind that
/// opens in `Requested` (not a device change, a re-bind or an app admin's
/// archive, which keep the account).
pub(super) fn offboarded(world: &World<'_>, member: MemberId) -> bool {
    let run = &world.members[member.index()];
    run.request != NONE && world.requests[run.request as usize].kind.opening_state() == Some(MemberState::Requested)
}

/// When each path of `member` ends, in `ExposurePath::ALL` order;
/// `SimTime::NEVER` where it has not ended. Until the account is cut the
/// account carries every path, so the others end at the cut at the latest.
pub(super) fn path_ends(world: &World<'_>, member: MemberId) -> [SimTime; ExposurePath::ALL.len()] {
    let run = &world.members[member.index()];
    if run.state.account_usable() {
        return [SimTime::NEVER, SimTime::ZERO, SimTime::ZERO, SimTime::ZERO];
    }
    let cut = run.revoked_at;
    let tokens = world
        .org
        .grants_of(member)
        .map(|grant| &world.grants[grant.index()])
        .filter(|grant| grant.state != GrantState::Active)
        .map(|grant| grant.accept_until)
        .fold(cut, SimTime::max);
    let bound = world.org.devices_of(member).any(|device| match world.devices[device.index()].state {
        DeviceState::Inactive | DeviceState::Wiped | DeviceState::AutoLoggedOut => false,
        DeviceState::Bound | DeviceState::LogoutPending | DeviceState::Uninstalled | DeviceState::Lost => true,
    });
    let devices = if bound { SimTime::NEVER } else { cut.max(run.devices_released_at) };
    let modules = if run.marks.has(Mark::KeptModules) { SimTime::NEVER } else { cut };
    [cut, tokens, devices, modules]
}

/// One member decided at `decided_at`, whose paths end at `ends`, read at
/// `horizon`.
fn record(tally: &mut ExposureTally, horizon: SimTime, decided_at: SimTime, ends: [SimTime; 4]) {
    let clip = |t: SimTime| t.min(horizon);
    let ms = |from: SimTime, to: SimTime| (clip(to) - clip(from)).as_micros() / 1_000;
    let end = ends.into_iter().fold(decided_at, SimTime::max);
    let cut = ends[ExposurePath::Account.index()];
    tally.members += 1;
    tally.total_ms = tally.total_ms.saturating_add(ms(decided_at, end));
    for path in ExposurePath::ALL {
        let start = if path == ExposurePath::Account { decided_at } else { cut };
        let sum = &mut tally.path_ms[path.index()];
        *sum = sum.saturating_add(ms(start, ends[path.index()]));
        tally.live_at_horizon[path.index()] += u64::from(ends[path.index()] > horizon && start <= horizon);
    }
    if end > horizon {
        tally.censored_us.push((horizon - decided_at).as_micros());
    } else {
        tally.ended_us.push((end - decided_at).as_micros());
    }
    for point in &mut tally.leak_risk {
        let at = decided_at + point.after;
        if at > horizon {
            point.past_horizon += 1;
        } else {
            point.live.record(end > at);
        }
    }
}

//! Subsidiary split after the interconnect stopped (see `arrivals`): which
//! members the subsidiary takes, the subsidiary's admins re-binding them
//! batch by batch, and at the end of the window everything not re-bound
//! rolling back to the parent. A re-bind still in flight when the rollback
//! fires races it.

use super::super::ids::{MemberId, RequestId};
use super::super::observe::RaceKind;
use super::super::state::{IllegalTransition, MemberState};
use super::{Event, World};
use crate::engine::{Context, SimTime};
use std::ops::Range;

/// Whole top-level departments, in order, until they hold at least `share`
/// of the members: a contiguous member range (members are sorted by
/// department and departments are in pre-order).
pub(super) fn subsidiary_members(world: &World<'_>, share: f64) -> Range<u32> {
    let wanted = (share * world.org.members.len() as f64).ceil() as u32;
    let mut range: Option<Range<u32>> = None;
    for department in world.org.departments.iter().filter(|d| d.parent.is_some() && d.depth == 1) {
        let current = range.clone().unwrap_or(department.members.start..department.members.start);
        if current.end - current.start >= wanted {
            break;
        }
        range = Some(current.start..department.members.end);
    }
    range.unwrap_or(0..0)
}

/// A re-binder picks up a batch; false if the rollback already took it.
pub(super) fn rebind_started(world: &mut World<'_>, now: SimTime, request: RequestId) -> bool {
    if now >= world.split_deadline {
        return false;
    }
    for position in world.members_of(request) {
        let member = world.request_members[position];
        world.set_member(member, MemberState::Rebinding).expect("pending members start re-binding");
    }
    true
}

/// A batch's re-bind finished: members still re-binding are re-bound.
pub(super) fn rebind_done(
    world: &mut World<'_>,
    ctx: &mut Context<'_, Event>,
    request: RequestId,
) -> Result<(), IllegalTransition> {
    for position in world.members_of(request) {
        let member = world.request_members[position];
        if world.members[member.index()].state == MemberState::Rebinding {
            world.set_member(member, MemberState::Rebound)?;
            world.member_revoked(ctx.now(), member);
            world.member_done(ctx.now(), member);
        }
    }
    Ok(())
}

/// The window is over: pending members roll back; a member mid-re-bind
/// rolls back too, and that is a race.
pub(super) fn rollback(world: &mut World<'_>) -> Result<(), IllegalTransition> {
    for index in world.split_members.clone() {
        let member = MemberId(index);
        match world.members[member.index()].state {
            MemberState::PendingRebind => world.set_member(member, MemberState::RolledBack)?,
            MemberState::Rebinding => {
                world.set_member(member, MemberState::RolledBack)?;
                world.race(member, RaceKind::RebindVsRollback);
            }
            MemberState::Rebound | MemberState::RolledBack => {} // settled before the deadline
            MemberState::Active
            | MemberState::Requested
            | MemberState::Handover
            | MemberState::Buffer
            | MemberState::Revoked
            | MemberState::Unbound
            | MemberState::ChangingDevice
            | MemberState::DeviceChanged
            | MemberState::LockedOut => {} // never in the split
        }
    }
    Ok(())
}

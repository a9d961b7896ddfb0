//! The pro edition's per-module revoke at a member's revocation: an
//! admin's or the system's disable keeps `policy.keep_modules` live, so the
//! member can still reach them (its first use after the cut, drawn from
//! `behaviour.activity_gap`, counts if it comes no later than the horizon)
//! and each keeps its data (a kept mail module its mailbox, and so on).
//! Nothing in the model cuts a kept module later: its access lasts past
//! the horizon. Settled at the revocation, without events.

use super::super::ids::MemberId;
use super::purpose::Purpose;
use super::{Mark, RequestKind, World};
use crate::engine::SimTime;

/// `member`'s account was cut at `now` by a request of `kind`.
pub(super) fn at_revoke(world: &mut World<'_>, now: SimTime, member: MemberId, kind: RequestKind<'_>) {
    let kept = world.policy.keep_modules;
    let keeps = kind.keeps_modules() && !kept.is_empty();
    let tally = &mut world.obs.modules;
    tally.access.record(keeps);
    if !keeps {
        return;
    }
    world.members[member.index()].marks.set(Mark::KeptModules);
    for module in kept.modules() {
        tally.by_module[module.index()] += 1;
    }
    let gap = world.sample(&world.behaviour.activity_gap, member.stream_key(), Purpose::KeptModuleUse, 0);
    let used = now + gap <= world.horizon;
    world.obs.modules.used.record(used);
}

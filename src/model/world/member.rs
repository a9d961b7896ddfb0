//! A member's unbind once it takes effect: handover (before a self-exit
//! only), buffer (and what the member does inside it), revocation, GDPR
//! export and disputes, and the member's completion, which may complete
//! its request.

use super::super::ids::MemberId;
use super::super::observe::RaceKind;
use super::super::platform::ResidueKind;
use super::super::state::{IllegalTransition, MemberState};
use super::super::workload::GdprExportParams;
use super::purpose::Purpose;
use super::{Event, Mark, RequestKind, World, customers, device, grant, modules, residue};
use crate::engine::{Context, Dist, SimDuration, SimTime};

/// The member's unbind starts. Handover (group ownership, pending
/// approvals, customers) gates only the member's own exit; after an admin
/// or system disable it runs afterwards as inheritance and holds nothing
/// back, so those paths go straight to the buffer.
pub(super) fn begin_unbind(
    world: &mut World<'_>,
    ctx: &mut Context<'_, Event>,
    member: MemberId,
) -> Result<(), IllegalTransition> {
    let kind = world.request_kind(member);
    if let RequestKind::Gdpr(params) = kind {
        start_export(world, ctx, member, params);
    }
    if waits_for_handover(kind) && world.org.member(member).roles.needs_handover() {
        world.set_member(member, MemberState::Handover)?;
        let handover = world.sample(&world.policy.handover, member.stream_key(), Purpose::Handover, 0);
        ctx.schedule_in(handover, Event::HandoverDone { member });
        return Ok(());
    }
    start_buffer(world, ctx, member)
}

/// Whether revocation waits for the member's handover: only when the
/// member leaves by itself (every server-side unbind runs it afterwards).
fn waits_for_handover(kind: RequestKind<'_>) -> bool {
    !kind.server_side()
}

/// Revocation waits out the buffer; the member may act meanwhile.
pub(super) fn start_buffer(
    world: &mut World<'_>,
    ctx: &mut Context<'_, Event>,
    member: MemberId,
) -> Result<(), IllegalTransition> {
    let buffer = world.policy.buffer;
    if buffer.is_zero() {
        return revoke(world, ctx, member);
    }
    world.set_member(member, MemberState::Buffer)?;
    world.race_exposed(RaceKind::ActionDuringBuffer, 1);
    ctx.schedule_in(buffer, Event::Revoke { member });
    schedule_act(world, ctx, member, 0);
    Ok(())
}

fn schedule_act(world: &World<'_>, ctx: &mut Context<'_, Event>, member: MemberId, index: u32) {
    let gap = world.sample(&world.behaviour.activity_gap, member.stream_key(), Purpose::Activity, u64::from(index));
    ctx.schedule_in(gap, Event::MemberAct { member, index });
}

/// The member's `index`-th action: a race if it falls inside the buffer.
/// Action times depend only on the member's stream and the buffer's start,
/// so a longer buffer sees a superset of a shorter one's actions.
pub(super) fn act(world: &mut World<'_>, ctx: &mut Context<'_, Event>, member: MemberId, index: u32) {
    if world.members[member.index()].state == MemberState::Buffer {
        world.race(member, RaceKind::ActionDuringBuffer);
        schedule_act(world, ctx, member, index + 1);
    }
}

/// Revocation: the account is disabled (but for the modules a pro
/// edition keeps), grants revoked, devices unbound, and the member's
/// customers handed over.
/// A disable from the server side (an admin or the system) writes one
/// audit record; a member leaving by itself writes none.
pub(super) fn revoke(
    world: &mut World<'_>,
    ctx: &mut Context<'_, Event>,
    member: MemberId,
) -> Result<(), IllegalTransition> {
    let kind = world.request_kind(member);
    world.set_member(member, MemberState::Revoked)?;
    residue::watch(world, member);
    world.obs.audit.offboarded += 1;
    if kind.server_side() {
        world.audit(ctx.now());
    }
    grant::revoke_all(world, ctx, member, kind)?;
    world.member_revoked(ctx.now(), member);
    modules::at_revoke(world, ctx.now(), member, kind);
    customers::at_revoke(world, ctx.now(), member, kind);
    let outstanding = device::unbind_all(world, ctx, member, kind)?;
    world.members[member.index()].outstanding = outstanding;
    match kind {
        RequestKind::Dissolution(_) => world.add_residue(member, ResidueKind::Archive, ctx.now()),
        RequestKind::Gdpr(params) => gdpr_at_revoke(world, ctx, member, params),
        RequestKind::SelfExit
        | RequestKind::Admin(..)
        | RequestKind::AppGrants
        | RequestKind::DeviceChange(_)
        | RequestKind::Compliance(_)
        | RequestKind::Rebind => {}
    }
    if outstanding == 0 {
        world.complete(ctx.now(), member);
    }
    Ok(())
}

fn start_export(world: &mut World<'_>, ctx: &mut Context<'_, Event>, member: MemberId, params: &GdprExportParams) {
    if world.chance(member.stream_key(), Purpose::Export, params.export_share) {
        world.race_exposed(RaceKind::ExportCutOff, 1);
        let time = world.sample(&params.export_time, member.stream_key(), Purpose::ExportTime, 0);
        ctx.schedule_in(time, Event::ExportDone { member });
    }
}

/// An export finishing after revocation was cut off.
pub(super) fn export_done(world: &mut World<'_>, member: MemberId) {
    if world.members[member.index()].state.account_usable() {
        world.members[member.index()].marks.set(Mark::Exported);
    } else {
        world.race(member, RaceKind::ExportCutOff);
    }
}

fn gdpr_at_revoke(world: &mut World<'_>, ctx: &mut Context<'_, Event>, member: MemberId, params: &GdprExportParams) {
    let key = member.stream_key();
    if world.chance(key, Purpose::CloudCopy, params.cloud_copy_kept) {
        world.members[member.index()].marks.set(Mark::CloudCopy);
        world.add_residue(member, ResidueKind::CloudCopy, ctx.now());
    }
    if world.chance(key, Purpose::Dispute, params.dispute_share) {
        let window = Dist::Uniform { low: SimDuration::ZERO, high: params.dispute_window };
        let delay = world.sample(&window, key, Purpose::DisputeTime, 0);
        ctx.schedule_in(delay, Event::Dispute { member });
    }
}

/// A dispute needs data: without an export or a cloud copy there is none.
pub(super) fn dispute(world: &mut World<'_>, member: MemberId) {
    world.race_exposed(RaceKind::DisputeWithoutData, 1);
    let marks = world.members[member.index()].marks;
    if !marks.has(Mark::Exported) && !marks.has(Mark::CloudCopy) {
        world.race(member, RaceKind::DisputeWithoutData);
    }
}

/// The dissolved enterprise's archive reaches the end of its retention.
pub(super) fn purge_archive(world: &mut World<'_>, now: SimTime) {
    for index in 0..world.members.len() {
        let residue = world.members[index].residue;
        if residue.contains(ResidueKind::Archive) {
            residue::set_own(world, MemberId(index as u32), residue.without(ResidueKind::Archive), now);
        }
    }
}

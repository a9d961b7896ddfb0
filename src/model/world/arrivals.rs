//! Decisions arriving: when the workload's next decision comes, whom it
//! targets, and which request it becomes.

use super::super::config::{Arrivals, WorkloadKind};
use super::super::ids::{AdminId, MemberId, RequestId};
use super::super::observe::RaceKind;
use super::super::org::AdminTier;
use super::super::state::{IllegalTransition, MemberState};
use super::purpose::Purpose;
use super::{Event, RequestKind, World, pipeline, script, split};
use crate::engine::{Context, SimDuration, SimTime};
use std::ops::Range;

/// Schedules arrival number `index`, if the process has one and someone
/// is left for it to take (a script's steps all come: some act on members
/// already taken).
pub(super) fn schedule_arrival(world: &World<'_>, ctx: &mut Context<'_, Event>, index: u32) {
    let scripted = matches!(world.workload.kind, WorkloadKind::Script { .. });
    if index >= world.workload.arrivals.max_count() || (world.untouched == 0 && !scripted) {
        return;
    }
    let time = match &world.workload.arrivals {
        Arrivals::Poisson { mean_gap, .. } => {
            let gap = crate::engine::Dist::Exp { mean: *mean_gap };
            ctx.now() + world.sample(&gap, u64::from(index), Purpose::ArrivalGap, 0)
        }
        Arrivals::At(offsets) => SimTime::ZERO + offsets[index as usize],
        Arrivals::Every { start, every, count: _ } => {
            SimTime::ZERO + *start + SimDuration::from_micros(every.as_micros().saturating_mul(u64::from(index)))
        }
    };
    ctx.schedule_at(time.max(ctx.now()), Event::Arrival { index });
}

/// Arrival `index`: pick the targets, open the request, schedule the next.
pub(super) fn arrive(world: &mut World<'_>, ctx: &mut Context<'_, Event>, index: u32) -> Result<(), IllegalTransition> {
    schedule_arrival(world, ctx, index + 1);
    let per_arrival = world.workload.members_per_arrival;
    let all = 0..world.org.members.len() as u32;
    let opened = match &world.workload.kind {
        WorkloadKind::SelfExit => open_picked(world, ctx, index, RequestKind::SelfExit, all, 1),
        WorkloadKind::DeviceChange { .. } => open_picked(world, ctx, index, RequestKind::DeviceChange, all, 1),
        WorkloadKind::AppGrants => open_picked(world, ctx, index, RequestKind::AppGrants, all, per_arrival),
        WorkloadKind::GdprExport { .. } => open_picked(world, ctx, index, RequestKind::Gdpr, all, per_arrival),
        WorkloadKind::ComplianceDualControl { .. } => {
            open_picked(world, ctx, index, RequestKind::Compliance, all, per_arrival)
        }
        WorkloadKind::Dissolution { .. } => {
            open_picked(world, ctx, index, RequestKind::Dissolution, all.clone(), all.end)
        }
        WorkloadKind::AdminBatch { .. } => return admin_arrival(world, ctx, index),
        WorkloadKind::SubsidiarySplit { .. } => return stop_interconnect(world, ctx),
        WorkloadKind::Script { steps } => {
            let step = steps[index as usize];
            return script::apply(world, ctx, step);
        }
    };
    opened.map(|_| ())
}

/// An admin-batch decision: draw the tier and the admin, then the targets
/// within that admin's scope.
fn admin_arrival(world: &mut World<'_>, ctx: &mut Context<'_, Event>, index: u32) -> Result<(), IllegalTransition> {
    let WorkloadKind::AdminBatch { tiers, .. } = &world.workload.kind else { unreachable!("admin arrival") };
    let u = world.streams.uniform(u64::from(index), Purpose::PickTier.key(), 0);
    let tier = if u < tiers.super_admin {
        AdminTier::Super
    } else if u < tiers.super_admin + tiers.department {
        AdminTier::Department
    } else {
        AdminTier::App
    };
    let admin = pick_admin(world, index, tier);
    let scope = world.org.scope_members(admin);
    let opened = open_picked(world, ctx, index, RequestKind::Admin(tier), scope, world.workload.members_per_arrival)?;
    if let Some(request) = opened.filter(|_| tier == AdminTier::Department) {
        for position in world.members_of(request) {
            if !world.org.admin_may_unbind(admin, world.request_members[position]) {
                world.obs.scope_violations += 1;
            }
        }
    }
    Ok(())
}

/// An admin of `tier`, uniformly among them. The scenario layer guarantees
/// each tier the workload draws has at least one admin.
fn pick_admin(world: &World<'_>, index: u32, tier: AdminTier) -> AdminId {
    let admins = &world.admins_by_tier[tier as usize];
    assert!(!admins.is_empty(), "workload draws {} admins but the org has none", tier.name());
    let u = world.streams.uniform(u64::from(index), Purpose::PickAdmin.key(), 0);
    admins[((u * admins.len() as f64) as usize).min(admins.len() - 1)]
}

/// The interconnect stops: the subsidiary's members turn pending and are
/// queued for re-binding in console-sized batches.
fn stop_interconnect(world: &mut World<'_>, ctx: &mut Context<'_, Event>) -> Result<(), IllegalTransition> {
    let WorkloadKind::SubsidiarySplit { subsidiary_share, window, .. } = &world.workload.kind else {
        unreachable!("split outside a split workload")
    };
    if !world.split_members.is_empty() {
        return Ok(()); // the interconnect stops once
    }
    let members = split::subsidiary_members(world, *subsidiary_share);
    world.split_members = members.clone();
    world.split_deadline = ctx.now() + *window;
    world.race_exposed(RaceKind::RebindVsRollback, u64::from(members.end - members.start));
    ctx.schedule_at(world.split_deadline, Event::RollbackDeadline);
    let limit = world.policy.batch_limit;
    let mut start = members.start;
    while start < members.end {
        let len = limit.min(members.end - start);
        let first = world.request_members.len() as u32;
        world.request_members.extend((start..start + len).map(MemberId));
        let request = world.open_request(ctx.now(), RequestKind::Rebind, first, len, MemberState::PendingRebind)?;
        pipeline::decided(world, ctx, request)?;
        start += len;
    }
    Ok(())
}

/// Picks up to `count` untouched members of `scope` (walking on from a
/// random start, so a batch is a block of colleagues) and opens a request.
fn open_picked(
    world: &mut World<'_>,
    ctx: &mut Context<'_, Event>,
    index: u32,
    kind: RequestKind,
    scope: Range<u32>,
    count: u32,
) -> Result<Option<RequestId>, IllegalTransition> {
    let first = world.request_members.len() as u32;
    let span = scope.end - scope.start;
    if span > 0 && world.untouched > 0 {
        let u = world.streams.uniform(u64::from(index), Purpose::PickMember.key(), 0);
        let start = ((u * f64::from(span)) as u32).min(span - 1);
        for step in 0..span {
            if world.request_members.len() as u32 - first >= count {
                break;
            }
            let member = MemberId(scope.start + (start + step) % span);
            if world.members[member.index()].state == MemberState::Active {
                world.request_members.push(member);
            }
        }
    }
    let len = world.request_members.len() as u32 - first;
    if len == 0 {
        return Ok(None);
    }
    let request = world.open_request(ctx.now(), kind, first, len, MemberState::Requested)?;
    pipeline::decided(world, ctx, request)?;
    Ok(Some(request))
}

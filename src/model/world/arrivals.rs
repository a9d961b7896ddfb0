//! Decisions arriving: when the workload's next decision comes, whom it
//! targets, and which request it becomes (for a subsidiary split, the
//! interconnect stopping, which opens the re-bind requests).

use super::super::ids::{AdminId, MemberId, RequestId};
use super::super::observe::RaceKind;
use super::super::org::AdminTier;
use super::super::state::{IllegalTransition, MemberState};
use super::super::workload::{AdminBatchParams, Arrivals, SubsidiarySplitParams, Workload, WorkloadKind};
use super::purpose::Purpose;
use super::{AdminAct, DeviceChangeBy, Event, RequestKind, World, grant, pipeline, script, split};
use crate::engine::{Context, SimDuration, SimTime};
use std::ops::Range;

/// Schedules arrival number `index`, if the process has one and someone
/// is left for it to take (a script's steps all come: some act on members
/// already taken).
pub(super) fn schedule_arrival(world: &World<'_>, ctx: &mut Context<'_, Event>, index: u32) {
    let needs_untouched = world.workload.kind.needs_untouched_members();
    if index >= world.workload.arrivals.max_count() || (world.untouched == 0 && needs_untouched) {
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
pub(super) fn arrive<'a>(
    world: &mut World<'a>,
    ctx: &mut Context<'_, Event>,
    index: u32,
) -> Result<(), IllegalTransition> {
    schedule_arrival(world, ctx, index + 1);
    let workload: &'a Workload = world.workload;
    let per_arrival = workload.members_per_arrival;
    let all = 0..world.org.members.len() as u32;
    let opened = match &workload.kind {
        WorkloadKind::SelfExit => open_picked(world, ctx, index, RequestKind::SelfExit, all, 1),
        WorkloadKind::DeviceChange(params) => {
            let kind = RequestKind::DeviceChange(DeviceChangeBy::Workload(params));
            open_picked(world, ctx, index, kind, all, 1)
        }
        WorkloadKind::AppGrants => open_picked(world, ctx, index, RequestKind::AppGrants, all, per_arrival),
        WorkloadKind::GdprExport(params) => open_picked(world, ctx, index, RequestKind::Gdpr(params), all, per_arrival),
        WorkloadKind::ComplianceDualControl(params) => {
            open_picked(world, ctx, index, RequestKind::Compliance(params), all, per_arrival)
        }
        WorkloadKind::Dissolution(params) => {
            open_picked(world, ctx, index, RequestKind::Dissolution(params), all.clone(), all.end)
        }
        WorkloadKind::AdminBatch(params) => return admin_arrival(world, ctx, index, params),
        WorkloadKind::SubsidiarySplit(params) => return stop_interconnect(world, ctx, params),
        WorkloadKind::Script { steps } => return script::apply(world, ctx, steps[index as usize]),
    };
    opened.map(|_| ())
}

/// An admin-batch decision: draw the tier and the admin, then the targets
/// within that admin's scope.
fn admin_arrival<'a>(
    world: &mut World<'a>,
    ctx: &mut Context<'_, Event>,
    index: u32,
    params: &'a AdminBatchParams,
) -> Result<(), IllegalTransition> {
    let tiers = params.tiers;
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
    let act = match tier {
        AdminTier::Super => AdminAct::Super,
        AdminTier::Department => AdminAct::Department,
        AdminTier::App => match world.org.admins[admin.index()].app {
            Some(app) => AdminAct::App(app),
            None => return Ok(()), // an org without apps: nothing to archive
        },
    };
    let kind = RequestKind::Admin(act, Some(params));
    let opened = open_picked(world, ctx, index, kind, scope, world.workload.members_per_arrival)?;
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
fn stop_interconnect(
    world: &mut World<'_>,
    ctx: &mut Context<'_, Event>,
    params: &SubsidiarySplitParams,
) -> Result<(), IllegalTransition> {
    if !world.split_members.is_empty() {
        return Ok(()); // the interconnect stops once
    }
    let members = split::subsidiary_members(world, params.subsidiary_share);
    world.split_members = members.clone();
    world.split_deadline = ctx.now() + params.window;
    world.race_exposed(RaceKind::RebindVsRollback, u64::from(members.end - members.start));
    ctx.schedule_at(world.split_deadline, Event::RollbackDeadline);
    let limit = world.policy.batch_limit;
    let mut start = members.start;
    while start < members.end {
        let len = limit.min(members.end - start);
        let first = world.request_members.len() as u32;
        world.request_members.extend((start..start + len).map(MemberId));
        let request = world.open_request(ctx.now(), RequestKind::Rebind, first, len)?;
        pipeline::decided(world, ctx, request)?;
        start += len;
    }
    Ok(())
}

/// Picks up to `count` members of `scope` the request can act on (walking
/// on from a random start, so a batch is a block of colleagues) and opens
/// a request.
fn open_picked<'a>(
    world: &mut World<'a>,
    ctx: &mut Context<'_, Event>,
    index: u32,
    kind: RequestKind<'a>,
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
            if eligible(world, kind, member) {
                world.request_members.push(member);
            }
        }
    }
    let len = world.request_members.len() as u32 - first;
    if len == 0 {
        return Ok(None);
    }
    let request = world.open_request(ctx.now(), kind, first, len)?;
    pipeline::decided(world, ctx, request)?;
    Ok(Some(request))
}

/// Whether a request of `kind` can act on `member`: an untouched member,
/// holding a grant of the app for an app admin's archive.
fn eligible(world: &World<'_>, kind: RequestKind<'_>, member: MemberId) -> bool {
    let untouched = world.members[member.index()].state == MemberState::Active;
    match kind {
        RequestKind::Admin(AdminAct::App(app), _) => untouched && grant::active_grant_of(world, member, app).is_some(),
        RequestKind::SelfExit
        | RequestKind::Admin(AdminAct::Super | AdminAct::Department, _)
        | RequestKind::AppGrants
        | RequestKind::DeviceChange(_)
        | RequestKind::Dissolution(_)
        | RequestKind::Gdpr(_)
        | RequestKind::Compliance(_)
        | RequestKind::Rebind => untouched,
    }
}

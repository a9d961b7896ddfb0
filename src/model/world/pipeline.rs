//! A request's way from decision to action: approvals in pools, tier and
//! notice delays, and the admin console that runs batches of at most
//! `batch_limit` accounts, one batch per `console_gap`, spending the
//! directory API's budget (`api`) call by call.

use super::super::ids::{MemberId, RequestId};
use super::super::observe::{BatchTier, RaceKind};
use super::super::state::{IllegalTransition, MemberState};
use super::super::workload::AdminBatchParams;
use super::api::{Admission, Api};
use super::purpose::Purpose;
use super::{APPROVERS, AdminAct, ConsoleJob, Event, RequestKind, SECOND_POOL, World, device, grant, member, split};
use crate::engine::{Context, SimDuration, SimTime};

/// A request was just decided: send it on its path. A request without a
/// console (a self-exit, a device change, a re-bind batch) is one batch.
pub(super) fn decided(
    world: &mut World<'_>,
    ctx: &mut Context<'_, Event>,
    request: RequestId,
) -> Result<(), IllegalTransition> {
    let key = u64::from(request.0);
    match world.requests[request.index()].kind {
        RequestKind::SelfExit => {
            world.open_batch(request, world.members_of(request));
            let steps = exit_steps(world, first_member(world, request));
            ctx.schedule_in(steps, Event::Effective { request });
        }
        RequestKind::DeviceChange(_) => {
            world.open_batch(request, world.members_of(request));
            let member = first_member(world, request);
            let steps = exit_steps(world, member);
            ctx.schedule_in(steps, Event::DeviceChangeDone { member });
        }
        RequestKind::Admin(AdminAct::Super, _) | RequestKind::AppGrants => effective(world, ctx, request)?,
        RequestKind::Admin(AdminAct::Department, batch) => {
            // Every member a department request holds may be taken by a
            // super admin before it acts (escalated, or scripted).
            world.race_exposed(RaceKind::TierDelayConflict, world.members_of(request).len() as u64);
            if let Some(params) = batch {
                schedule_escalations(world, ctx, request, params);
            }
            await_pools(world, ctx, request, &[APPROVERS]);
        }
        RequestKind::Admin(AdminAct::App(_), _) => {
            let delay = world.sample(&world.policy.app_admin_delay, key, Purpose::EffectiveDelay, 0);
            ctx.schedule_in(delay, Event::Effective { request });
        }
        RequestKind::Dissolution(params) => {
            let reviewed = world.sample(&params.review, key, Purpose::EffectiveDelay, 0) + params.notice;
            ctx.schedule_in(reviewed.max(params.lead), Event::Effective { request });
        }
        RequestKind::Gdpr(params) => {
            let delay = world.sample(&params.reason, key, Purpose::EffectiveDelay, 0);
            ctx.schedule_in(delay, Event::Effective { request });
        }
        RequestKind::Compliance(_) => await_pools(world, ctx, request, &[APPROVERS, SECOND_POOL]),
        RequestKind::Rebind => {
            world.open_batch(request, world.members_of(request));
            await_pools(world, ctx, request, &[SECOND_POOL]);
        }
    }
    Ok(())
}

fn first_member(world: &World<'_>, request: RequestId) -> MemberId {
    world.request_members[world.requests[request.index()].first as usize]
}

/// Time for a member to get through the exit menus on the device it acts
/// on (its phone, else its first device).
fn exit_steps(world: &World<'_>, member: MemberId) -> SimDuration {
    let platform = device::exit_device(world.org, member).map(|d| world.org.devices[d.index()].platform);
    platform.map_or(SimDuration::ZERO, |p| world.behaviour.exit_steps.get(p))
}

/// Department-tier requests of an admin batch: each member may be taken
/// over by a super admin.
fn schedule_escalations(
    world: &mut World<'_>,
    ctx: &mut Context<'_, Event>,
    request: RequestId,
    params: &AdminBatchParams,
) {
    for position in world.members_of(request) {
        let member = world.request_members[position];
        if world.chance(member.stream_key(), Purpose::Escalation, params.escalation) {
            let delay = world.sample(&params.escalation_delay, member.stream_key(), Purpose::EscalationDelay, 0);
            ctx.schedule_in(delay, Event::Escalate { member });
        }
    }
}

/// Sends the request to every pool in `pools`; it goes on when all are done.
fn await_pools(world: &mut World<'_>, ctx: &mut Context<'_, Event>, request: RequestId, pools: &[u8]) {
    world.requests[request.index()].approvals_left = pools.len() as u8;
    for &pool in pools {
        if world.pools[pool as usize].arrive(request, ctx.now()) {
            start_service(world, ctx, pool, request, SimDuration::ZERO);
        }
    }
}

/// A server takes `request` after `wait`. A re-bind batch the rollback
/// overtook is abandoned: the server lets it go at once, and it counts as
/// abandoned, not as served with no service time.
fn start_service(world: &mut World<'_>, ctx: &mut Context<'_, Event>, pool: u8, request: RequestId, wait: SimDuration) {
    if waits_for_rebinders(world.requests[request.index()].kind) && !split::rebind_started(world, ctx.now(), request) {
        world.pools[pool as usize].record_abandoned();
        ctx.schedule_in(SimDuration::ZERO, Event::PoolDone { pool, request });
        return;
    }
    let service = world.sample(
        &world.pools[pool as usize].config.service,
        u64::from(request.0),
        Purpose::PoolService,
        u64::from(pool),
    );
    world.pools[pool as usize].record_served(wait, service);
    ctx.schedule_in(service, Event::PoolDone { pool, request });
}

/// A pool finished with `request`: the server takes the next in line, and
/// the request goes on once every pool it waits for is done.
pub(super) fn pool_done(
    world: &mut World<'_>,
    ctx: &mut Context<'_, Event>,
    pool: u8,
    request: RequestId,
) -> Result<(), IllegalTransition> {
    if let Some((next, wait)) = world.pools[pool as usize].finish(ctx.now()) {
        start_service(world, ctx, pool, next, wait);
    }
    let left = &mut world.requests[request.index()].approvals_left;
    *left -= 1;
    if *left > 0 {
        return Ok(());
    }
    let key = u64::from(request.0);
    match world.requests[request.index()].kind {
        RequestKind::Admin(AdminAct::Department, _) => {
            let delay = world.sample(&world.policy.department_delay, key, Purpose::EffectiveDelay, 0);
            ctx.schedule_in(delay, Event::Effective { request });
        }
        RequestKind::Compliance(params) => {
            let delay = world.sample(&params.risk_confirm, key, Purpose::EffectiveDelay, 0);
            ctx.schedule_in(delay, Event::Effective { request });
        }
        RequestKind::Rebind => split::rebind_done(world, ctx, request)?,
        kind @ (RequestKind::SelfExit
        | RequestKind::Admin(AdminAct::Super | AdminAct::App(_), _)
        | RequestKind::AppGrants
        | RequestKind::DeviceChange(_)
        | RequestKind::Dissolution(_)
        | RequestKind::Gdpr(_)) => unreachable!("{kind:?} requests wait in no pool"),
    }
    Ok(())
}

/// Whether a pool's server picking up a request of `kind` starts a re-bind
/// (which the rollback may have overtaken).
fn waits_for_rebinders(kind: RequestKind<'_>) -> bool {
    match kind {
        RequestKind::Rebind => true,
        RequestKind::SelfExit
        | RequestKind::Admin(..)
        | RequestKind::AppGrants
        | RequestKind::DeviceChange(_)
        | RequestKind::Dissolution(_)
        | RequestKind::Gdpr(_)
        | RequestKind::Compliance(_) => false,
    }
}

/// The request takes effect: a self-exit starts at once, everything else
/// goes to the admin console in batches, once its import passed the
/// mass-deletion guard.
pub(super) fn effective(
    world: &mut World<'_>,
    ctx: &mut Context<'_, Event>,
    request: RequestId,
) -> Result<(), IllegalTransition> {
    if guard_aborts(world, request) {
        world.requests[request.index()].guard_bypassed = true;
        ctx.schedule_in(world.policy.guard_bypass_delay, Event::Effective { request });
        return Ok(());
    }
    match world.requests[request.index()].kind {
        RequestKind::SelfExit => {
            let member = first_member(world, request);
            return member::begin_unbind(world, ctx, member);
        }
        RequestKind::Dissolution(params) => {
            ctx.schedule_in(params.archive_retention, Event::ArchivePurge);
        }
        RequestKind::Admin(..)
        | RequestKind::AppGrants
        | RequestKind::DeviceChange(_)
        | RequestKind::Gdpr(_)
        | RequestKind::Compliance(_)
        | RequestKind::Rebind => {}
    }
    let range = world.members_of(request);
    let limit = world.policy.batch_limit as usize;
    for start in range.clone().step_by(limit) {
        let end = (start + limit).min(range.end);
        let batch = world.open_batch(request, start..end);
        let len = (end - start) as u32;
        world.console.push_back(ConsoleJob { request, batch, first: start as u32, len, started: false, retry: false });
        world.obs.console_backlog.enqueue(ctx.now(), u64::from(len));
    }
    kick_console(world, ctx);
    Ok(())
}

/// The mass-deletion guard: a full-overwrite import aborts when its
/// deletions exceed 20 % of the headcount (80 % under 50 members), the
/// headcount being the members whose account is not cut yet. An aborted
/// request goes the other way after `policy.guard_bypass_delay` and does
/// not meet the guard again.
fn guard_aborts(world: &mut World<'_>, request: RequestId) -> bool {
    let r = &world.requests[request.index()];
    if !r.kind.deletes_members() || r.guard_bypassed {
        return false;
    }
    let headcount = world.org.members.len() as u64 - world.obs.audit.offboarded;
    let (deletions, limit_fifths) = (u64::from(r.len), if headcount < 50 { 4 } else { 1 });
    let aborted = deletions * 5 > headcount * limit_fifths;
    world.obs.guard.record(aborted);
    aborted
}

fn kick_console(world: &mut World<'_>, ctx: &mut Context<'_, Event>) {
    if !world.console_scheduled && !world.console.is_empty() {
        world.console_scheduled = true;
        ctx.schedule_at(world.console_free_at.max(ctx.now()), Event::ConsoleReady);
    }
}

/// The console runs its next batch, call by call (see `api`): a delete
/// call covers up to `ids_per_delete` members, a disable or a grant's
/// revocation one. Each member a call covers that is still waiting on
/// this request starts its unbind; one already taken by another request
/// is a tier-delay conflict (and needs no call). An app admin's archive
/// cuts its app's grants. A call over a limit leaves the rest of the batch
/// to the end of the window, where the console resumes it.
pub(super) fn console_ready(world: &mut World<'_>, ctx: &mut Context<'_, Event>) -> Result<(), IllegalTransition> {
    world.console_scheduled = false;
    let Some(mut job) = world.console.pop_front() else { return Ok(()) };
    if !job.started {
        job.started = true;
        world.obs.console_batches += 1;
        world.obs.largest_console_batch = world.obs.largest_console_batch.max(job.len);
    }
    let kind = world.requests[job.request.index()].kind;
    let (api, per_call) = console_api(kind, world.policy.api_limits.rules().ids_per_delete);
    while job.len > 0 {
        let take = job.len.min(per_call);
        if let Err(until) = step_calls(world, ctx.now(), &mut job, api, take) {
            block_console(world, ctx, job, until);
            return Ok(());
        }
        world.obs.console_backlog.reach(ctx.now(), u64::from(take));
        act_on(world, ctx, job, take)?;
        (job.first, job.len, job.retry) = (job.first + take, job.len - take, false);
    }
    if let RequestKind::Admin(AdminAct::App(_), _) = kind {
        world.archive_done(ctx.now(), job.batch);
    }
    world.console_free_at = ctx.now() + console_gap(world);
    kick_console(world, ctx);
    Ok(())
}

/// The least time to the console's next batch: `console_gap`, or none
/// under a provisioning cycle, which sends every pending change when the
/// cycle starts.
fn console_gap(world: &World<'_>) -> SimDuration {
    match world.policy.api_limits.rules().cycle {
        Some(_) => SimDuration::ZERO,
        None => world.policy.console_gap,
    }
}

/// The API a console batch of `kind` calls, and how many members one call
/// covers. Self-exits, device changes and re-binds never reach the console.
fn console_api(kind: RequestKind<'_>, ids_per_delete: u32) -> (Api, u32) {
    match kind {
        RequestKind::Dissolution(_) | RequestKind::Gdpr(_) => (Api::Delete, ids_per_delete),
        RequestKind::Admin(AdminAct::App(_), _) => (Api::Revoke, 1),
        RequestKind::Admin(AdminAct::Super | AdminAct::Department, _)
        | RequestKind::AppGrants
        | RequestKind::Compliance(_)
        | RequestKind::SelfExit
        | RequestKind::DeviceChange(_)
        | RequestKind::Rebind => (Api::Disable, 1),
    }
}

/// The calls for the next `take` members of `job`: none if no member needs
/// one; a delete with a stale id fails whole (one call) and is retried
/// without it (another). `Err` is the time the console may try again.
fn step_calls(world: &mut World<'_>, now: SimTime, job: &mut ConsoleJob, api: Api, take: u32) -> Result<(), SimTime> {
    let positions = job.first as usize..(job.first + take) as usize;
    if !positions.clone().any(|position| needs_call(world, job.request, world.request_members[position])) {
        return Ok(());
    }
    if api == Api::Delete && !job.retry && has_stale_id(world, positions) {
        call(world, api, now)?;
        world.obs.api.stale_failures += 1;
        job.retry = true;
    }
    call(world, api, now)
}

fn call(world: &mut World<'_>, api: Api, now: SimTime) -> Result<(), SimTime> {
    match world.api.call(&world.policy.api_limits.rules(), api, now, &mut world.obs.api) {
        Admission::Accepted => Ok(()),
        Admission::Wait(until) => Err(until),
    }
}

/// Whether the console's batch of `request` has to call the API for
/// `member`: an app admin's archive for a grant of its app still active,
/// any other batch for a member it still holds.
fn needs_call(world: &World<'_>, request: RequestId, member: MemberId) -> bool {
    if let RequestKind::Admin(AdminAct::App(app), _) = world.requests[request.index()].kind {
        grant::active_grant_of(world, member, app).is_some()
    } else {
        held_by(world, request, member)
    }
}

fn held_by(world: &World<'_>, request: RequestId, member: MemberId) -> bool {
    let run = world.members[member.index()];
    run.state == MemberState::Requested && run.request == request.0
}

/// Whether any member at `positions` is stale in the directory (already
/// gone): one draw per member, only when stale ids exist at all.
fn has_stale_id(world: &World<'_>, positions: std::ops::Range<usize>) -> bool {
    let share = world.behaviour.stale_id_share;
    share > 0.0
        && positions
            .into_iter()
            .any(|position| world.chance(world.request_members[position].stream_key(), Purpose::StaleId, share))
}

/// The console's next `take` members of `job` are called for: each starts
/// its unbind, or has its app's grant archived.
fn act_on(
    world: &mut World<'_>,
    ctx: &mut Context<'_, Event>,
    job: ConsoleJob,
    take: u32,
) -> Result<(), IllegalTransition> {
    for position in job.first as usize..(job.first + take) as usize {
        let member = world.request_members[position];
        if let RequestKind::Admin(AdminAct::App(app), _) = world.requests[job.request.index()].kind {
            grant::archive(world, ctx, member, app)?;
        } else if held_by(world, job.request, member) {
            member::begin_unbind(world, ctx, member)?;
        } else {
            world.race(member, RaceKind::TierDelayConflict);
        }
    }
    Ok(())
}

/// A call was refused (or waits for a cycle): the console resumes `job`
/// at `until`; the wait up to the horizon is time blocked.
fn block_console(world: &mut World<'_>, ctx: &mut Context<'_, Event>, job: ConsoleJob, until: SimTime) {
    let blocked_end = until.min(world.horizon);
    if blocked_end > ctx.now() {
        world.obs.api.blocked_us += (blocked_end - ctx.now()).as_micros();
    }
    world.console.push_front(job);
    world.console_free_at = until;
    kick_console(world, ctx);
}

/// A super admin takes a member a department admin's request still waits
/// on (an escalation, or a scripted super step): the member moves to a
/// new, immediate request.
pub(super) fn escalate(
    world: &mut World<'_>,
    ctx: &mut Context<'_, Event>,
    member: MemberId,
) -> Result<(), IllegalTransition> {
    if !super_may_take(world, member) {
        return Ok(());
    }
    let tiered = world.request_kind(member).batch_tier().is_some();
    world.leave_batch(member);
    let first = world.request_members.len() as u32;
    world.request_members.push(member);
    let request = world.push_request(ctx.now(), RequestKind::Admin(AdminAct::Super, None), first, 1);
    world.members[member.index()].request = request.0;
    effective(world, ctx, request)?;
    if tiered {
        world.tag_last_batch(BatchTier::Escalated);
    }
    Ok(())
}

/// Whether a super admin can take `member` over: a department admin's
/// request holds it and has not reached the console yet.
pub(super) fn super_may_take(world: &World<'_>, member: MemberId) -> bool {
    world.members[member.index()].state == MemberState::Requested
        && matches!(world.request_kind(member), RequestKind::Admin(AdminAct::Department, _))
}

//! Scripted steps: each opens a one-member request of the kind its
//! operation names (a super admin's step may take over a member a
//! department admin's request still waits on), archives or revokes one
//! grant, or is refused when its target is not in a state the operation
//! applies to. Nothing here draws: the member
//! is named by the step.

use super::super::ids::MemberId;
use super::super::org::AdminTier;
use super::super::script::{ScriptOp, ScriptStep, Unbinder};
use super::super::state::{IllegalTransition, MemberState};
use super::{AdminAct, DeviceChangeBy, Event, RequestKind, World, grant, pipeline};
use crate::engine::Context;

/// Takes one step and counts it as applied or refused.
pub(super) fn apply(
    world: &mut World<'_>,
    ctx: &mut Context<'_, Event>,
    step: ScriptStep,
) -> Result<(), IllegalTransition> {
    let member = step.op.member();
    let applied = member.index() < world.members.len()
        && match step.op {
            ScriptOp::Unbind { by: Unbinder::Member, .. } => take(world, ctx, member, RequestKind::SelfExit)?,
            ScriptOp::Unbind { by: Unbinder::Admin(AdminTier::Super), .. } => super_take(world, ctx, member)?,
            ScriptOp::Unbind { by: Unbinder::Admin(AdminTier::Department), .. } => {
                take(world, ctx, member, RequestKind::Admin(AdminAct::Department, None))?
            }
            ScriptOp::Unbind { by: Unbinder::Admin(AdminTier::App), .. } => archive(world, ctx, member)?,
            ScriptOp::ChangeDevice { uninstall, .. } => {
                take(world, ctx, member, RequestKind::DeviceChange(DeviceChangeBy::Script { uninstall }))?
            }
            ScriptOp::Revoke { nth, .. } => grant::revoke_one(world, ctx, member, nth)?,
        };
    world.script_steps.record(applied);
    Ok(())
}

/// Opens a one-member request of `kind` if nothing has taken the member
/// yet; false (refused) otherwise.
fn take<'a>(
    world: &mut World<'a>,
    ctx: &mut Context<'_, Event>,
    member: MemberId,
    kind: RequestKind<'a>,
) -> Result<bool, IllegalTransition> {
    if world.members[member.index()].state != MemberState::Active {
        return Ok(false);
    }
    open_one(world, ctx, member, kind)?;
    Ok(true)
}

/// Opens a request of `kind` for `member` alone and sends it on its way.
fn open_one<'a>(
    world: &mut World<'a>,
    ctx: &mut Context<'_, Event>,
    member: MemberId,
    kind: RequestKind<'a>,
) -> Result<(), IllegalTransition> {
    let first = world.request_members.len() as u32;
    world.request_members.push(member);
    let request = world.open_request(ctx.now(), kind, first, 1)?;
    pipeline::decided(world, ctx, request)
}

/// A super admin's step: it takes an untouched member, or takes over a
/// member a department admin's request still waits on (which makes the
/// tier race when that request reaches the console).
fn super_take(
    world: &mut World<'_>,
    ctx: &mut Context<'_, Event>,
    member: MemberId,
) -> Result<bool, IllegalTransition> {
    if pipeline::super_may_take(world, member) {
        pipeline::escalate(world, ctx, member)?;
        return Ok(true);
    }
    take(world, ctx, member, RequestKind::Admin(AdminAct::Super, None))
}

/// An app admin's step: the admin of the app of the member's first grant
/// archives the member's access to it. Refused if that grant is gone (or
/// the member has none); the member's state does not matter.
fn archive(world: &mut World<'_>, ctx: &mut Context<'_, Event>, member: MemberId) -> Result<bool, IllegalTransition> {
    let Some(first) = world.org.grants_of(member).next() else { return Ok(false) };
    let app = world.org.grants[first.index()].app;
    if grant::active_grant_of(world, member, app).is_none() {
        return Ok(false);
    }
    open_one(world, ctx, member, RequestKind::Admin(AdminAct::App(app), None))?;
    Ok(true)
}

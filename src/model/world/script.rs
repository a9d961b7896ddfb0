//! Scripted steps: each opens a one-member request of the kind its
//! operation names, or revokes one grant, or is refused when its target is
//! not in a state the operation applies to. Nothing here draws: the member
//! is named by the step.

use super::super::ids::MemberId;
use super::super::script::{ScriptOp, ScriptStep, Unbinder};
use super::super::state::{IllegalTransition, MemberState};
use super::{DeviceChangeBy, Event, RequestKind, World, grant, pipeline};
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
            ScriptOp::Unbind { by: Unbinder::Admin(tier), .. } => {
                take(world, ctx, member, RequestKind::Admin(tier, None))?
            }
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
    let first = world.request_members.len() as u32;
    world.request_members.push(member);
    let request = world.open_request(ctx.now(), kind, first, 1)?;
    pipeline::decided(world, ctx, request)?;
    Ok(true)
}

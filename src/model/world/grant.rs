//! App grants at revocation: how long each app keeps accepting the
//! member's token, whether it uses it inside that window, and whether the
//! app's data survives.
//!
//! An app that must be unbound on the vendor's own platform keeps its own
//! session until someone does so (maybe never). An app that introspects
//! tokens learns of the revocation after the propagation delay. Any other
//! app honours the access token until it expires: its remaining validity is
//! uniform over the token lifetime (tokens are refreshed as used).
//!
//! Grants are revoked all at once when the member is revoked, one app at a
//! time by an app admin's archive (the member keeps its account), or one by
//! one when a script has the member revoke an authorization first; revoking
//! all skips those already gone.
//!
//! The app's first use of the token after revocation is settled when the
//! grant is revoked, not by an event: once revoked, a grant stays revoked
//! until its acceptance window ends (a vendor unbind fires at that end), so
//! nothing between revocation and the use can change whether it is
//! accepted. A use inside the window and no later than the horizon is a
//! race, tallied at once — the same count an event would give, without
//! visiting the grant again at a random later moment.

use super::super::ids::{AppId, GrantId, MemberId};
use super::super::observe::RaceKind;
use super::super::org::Grant;
use super::super::state::{GrantState, IllegalTransition};
use super::purpose::Purpose;
use super::{Event, RequestKind, World};
use crate::engine::{Context, SimDuration, SimTime};

pub(super) fn revoke_all(
    world: &mut World<'_>,
    ctx: &mut Context<'_, Event>,
    member: MemberId,
    kind: RequestKind,
) -> Result<(), IllegalTransition> {
    for grant in world.org.grants_of(member) {
        if world.grants[grant.index()].state == GrantState::Active {
            revoke(world, ctx, grant, kind.member_revokes_grants())?;
        }
    }
    Ok(())
}

/// The member revokes its `nth` authorization itself; false (refused) if
/// it has no such grant, the grant is gone, or its account no longer works.
pub(super) fn revoke_one(
    world: &mut World<'_>,
    ctx: &mut Context<'_, Event>,
    member: MemberId,
    nth: u8,
) -> Result<bool, IllegalTransition> {
    let Some(grant) = world.org.grants_of(member).nth(usize::from(nth)) else { return Ok(false) };
    if !world.members[member.index()].state.account_usable() || world.grants[grant.index()].state != GrantState::Active
    {
        return Ok(false);
    }
    revoke(world, ctx, grant, false)?;
    Ok(true)
}

/// An app admin's archive reaches `member`: its grant of `app`, if still
/// active, is revoked by the workspace (the member skips nothing).
pub(super) fn archive(
    world: &mut World<'_>,
    ctx: &mut Context<'_, Event>,
    member: MemberId,
    app: AppId,
) -> Result<(), IllegalTransition> {
    match active_grant_of(world, member, app) {
        Some(grant) => revoke(world, ctx, grant, false),
        None => Ok(()),
    }
}

/// The member's grant of `app`, if it has one still active.
pub(super) fn active_grant_of(world: &World<'_>, member: MemberId, app: AppId) -> Option<GrantId> {
    world
        .org
        .grants_of(member)
        .find(|g| world.org.grants[g.index()].app == app && world.grants[g.index()].state == GrantState::Active)
}

/// Revokes `grant`; `may_skip`: the member, not the workspace, decides on
/// the app's own "revoke authorization" (and may skip it).
fn revoke(
    world: &mut World<'_>,
    ctx: &mut Context<'_, Event>,
    grant: GrantId,
    may_skip: bool,
) -> Result<(), IllegalTransition> {
    world.set_grant(grant, GrantState::Revoked)?;
    world.grants[grant.index()].revoked_at = ctx.now();
    world.race_exposed(RaceKind::TokenAfterDisable, 1);
    let key = grant.stream_key();
    let accept_until = acceptance_end(world, ctx, grant);
    world.grants[grant.index()].accept_until = accept_until;
    let first_use = ctx.now() + world.sample(&world.behaviour.app_use_gap, key, Purpose::AppUse, 0);
    if first_use < accept_until && first_use <= world.horizon {
        token_used(world, grant, ctx.now(), first_use);
    }
    let behaviour = world.behaviour;
    let skipped = may_skip && world.chance(key, Purpose::SkipRevoke, behaviour.skip_app_revoke);
    world.grants[grant.index()].app_data_left =
        skipped || world.chance(key, Purpose::VendorKeeps, behaviour.vendor_keeps_data);
    Ok(())
}

/// When the app stops accepting the member's credentials.
fn acceptance_end(world: &World<'_>, ctx: &mut Context<'_, Event>, grant: GrantId) -> SimTime {
    let app = world.org.apps[world.org.grants[grant.index()].app.index()];
    let key = grant.stream_key();
    let now = ctx.now();
    if app.native_unbind {
        if world.chance(key, Purpose::NativeSkipped, world.behaviour.native_unbind_skipped) {
            return SimTime::NEVER;
        }
        let delay = world.sample(&world.behaviour.native_unbind_delay, key, Purpose::NativeDelay, 0);
        ctx.schedule_in(delay, Event::VendorUnbind { grant });
        return now + delay;
    }
    let expiry = token_expiry(world, grant, now);
    if app.introspects {
        let propagation = world.sample(&world.policy.revocation_propagation, key, Purpose::Propagation, 0);
        return (now + propagation).min(expiry);
    }
    expiry
}

/// When the access token the app holds at revocation expires.
fn token_expiry(world: &World<'_>, grant: GrantId, revoked_at: SimTime) -> SimTime {
    let age = world.streams.uniform(grant.stream_key(), Purpose::TokenAge.key(), 0);
    let ttl = world.policy.token_ttl.as_micros();
    let remaining = ttl - (age * ttl as f64) as u64;
    revoked_at + SimDuration::from_micros(remaining.max(1))
}

/// The app used the member's token at `used_at`, inside its acceptance
/// window: a race.
fn token_used(world: &mut World<'_>, grant: GrantId, revoked_at: SimTime, used_at: SimTime) {
    let Grant { member, app } = world.org.grants[grant.index()];
    world.race(member, RaceKind::TokenAfterDisable);
    if !world.org.apps[app.index()].native_unbind && used_at >= token_expiry(world, grant, revoked_at) {
        world.obs.tokens_accepted_after_expiry += 1;
    }
}

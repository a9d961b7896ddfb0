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
//! Grants are revoked all at once when the member is revoked, or one by one
//! when a script has the member revoke an authorization first; revoking all
//! skips those already gone.

use super::super::ids::{GrantId, MemberId};
use super::super::observe::RaceKind;
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
    world.obs.races[RaceKind::TokenAfterDisable.index()].units.trials += 1;
    let accept_until = acceptance_end(world, ctx, grant);
    world.grants[grant.index()].accept_until = accept_until;
    let key = grant.stream_key();
    let first_use = ctx.now() + world.sample(&world.behaviour.app_use_gap, key, Purpose::AppUse, 0);
    if first_use < accept_until {
        ctx.schedule_at(first_use, Event::TokenUse { grant });
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

/// The app uses the member's token: accepted means a race.
pub(super) fn token_use(world: &mut World<'_>, ctx: &Context<'_, Event>, grant: GrantId) {
    let run = world.grants[grant.index()];
    let now = ctx.now();
    if run.state != GrantState::Revoked || now >= run.accept_until {
        return;
    }
    let tally = &mut world.obs.races[RaceKind::TokenAfterDisable.index()];
    tally.events += 1;
    tally.units.hits += 1;
    let app = world.org.apps[world.org.grants[grant.index()].app.index()];
    let member = world.org.grants[grant.index()].member;
    world.members[member.index()].flags |= u16::from(RaceKind::TokenAfterDisable.flag());
    if !app.native_unbind && now >= token_expiry(world, grant, run.revoked_at) {
        world.obs.tokens_accepted_after_expiry += 1;
    }
}

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
//! The app's uses of the token after revocation are settled when the grant
//! is revoked, not by events: once revoked, a grant stays revoked until its
//! acceptance window ends (a vendor unbind fires at that end), so nothing
//! between revocation and a use can change whether it is accepted. Every
//! use inside the window and no later than the horizon is a race event
//! (the grant is one raced unit, however many uses), tallied at once with
//! the time of the last — the same counts events would give, without
//! visiting the grant again at random later moments.

use super::super::ids::{AppId, GrantId, MemberId};
use super::super::observe::RaceKind;
use super::super::org::Grant;
use super::super::state::{GrantState, IllegalTransition};
use super::super::trace::{Entity, Step};
use super::purpose::Purpose;
use super::{Event, RequestKind, World};
use crate::engine::{Context, Dist, SimDuration, SimTime};
use rand_distr::{Distribution, Poisson};

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

/// An app admin's archive reaches `member` (one audit record): its grant
/// of `app`, if still active, is revoked by the workspace (the member
/// skips nothing).
pub(super) fn archive(
    world: &mut World<'_>,
    ctx: &mut Context<'_, Event>,
    member: MemberId,
    app: AppId,
) -> Result<(), IllegalTransition> {
    world.audit(ctx.now());
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
    world.revoked_grants.push(grant);
    world.race_exposed(RaceKind::TokenAfterDisable, 1);
    let key = grant.stream_key();
    let accept_until = acceptance_end(world, ctx, grant);
    world.grants[grant.index()].accept_until = accept_until;
    let (uses, last_use) = accepted_uses(world, grant, ctx.now(), accept_until);
    if uses > 0 {
        token_used(world, grant, ctx.now(), uses, last_use);
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
    let expiry = expiry_after(world, now, world.uniform(key, Purpose::TokenAge, 0));
    if app.introspects {
        let propagation = world.sample(&world.policy.revocation_propagation, key, Purpose::Propagation, 0);
        return (now + propagation).min(expiry);
    }
    expiry
}

/// When the access token the app holds at revocation expires (its age
/// drawn again, out of the trace: `acceptance_end` drew it first).
fn token_expiry(world: &World<'_>, grant: GrantId, revoked_at: SimTime) -> SimTime {
    expiry_after(world, revoked_at, world.streams.uniform(grant.stream_key(), Purpose::TokenAge.key(), 0))
}

/// When a token `age` (a share of its lifetime) old at `revoked_at` expires.
fn expiry_after(world: &World<'_>, revoked_at: SimTime, age: f64) -> SimTime {
    let ttl = world.policy.token_ttl.as_micros();
    let remaining = ttl - (age * ttl as f64) as u64;
    revoked_at + SimDuration::from_micros(remaining.max(1))
}

/// Most uses of one revoked grant's token counted: a bound on the walk
/// through the app's use gaps, which a zero gap would never end.
const MAX_USES_COUNTED: u64 = 10_000;

/// The app's uses of the member's token after `revoked_at`, inside its
/// acceptance window and no later than the horizon: how many, and when the
/// last was. The first use is draw 0 of the grant's `AppUse` stream, the
/// one a single-use count saw. After it, exponential gaps make the uses a
/// Poisson process, whose count and last time in the rest of the window
/// take two draws (`poisson_uses`); any other gap is walked use by use
/// (the gap before use `i` is draw `i`).
fn accepted_uses(world: &World<'_>, grant: GrantId, revoked_at: SimTime, accept_until: SimTime) -> (u64, SimTime) {
    let (gap, key) = (&world.behaviour.app_use_gap, grant.stream_key());
    let end = accept_until.min(world.horizon + SimDuration::from_micros(1));
    let first = revoked_at + world.sample(gap, key, Purpose::AppUse, 0);
    if first >= end {
        return (0, revoked_at);
    }
    if let Dist::Exp { mean } = gap {
        return poisson_uses(world, key, first, end, *mean);
    }
    let (mut uses, mut last, mut at) = (0, first, first);
    while at < end && uses < MAX_USES_COUNTED {
        uses += 1;
        last = at;
        at += world.sample(gap, key, Purpose::AppUse, uses);
    }
    (uses, last)
}

/// Uses of a Poisson process of mean gap `mean` after a use at `first`,
/// before `end`: their count is Poisson with mean (end − first) / mean
/// (draw 1), and the last of n uniform times lies at U^(1/n) of the way
/// (draw 2). The first use included, at most `MAX_USES_COUNTED`.
fn poisson_uses(world: &World<'_>, key: u64, first: SimTime, end: SimTime, mean: SimDuration) -> (u64, SimTime) {
    let span_us = (end - first).as_micros() as f64;
    let expected = span_us / mean.as_micros().max(1) as f64;
    let cap = MAX_USES_COUNTED - 1;
    let more = if expected > cap as f64 {
        cap
    } else {
        let mut stream = world.streams.stream(key, Purpose::AppUse.key(), 1);
        Poisson::new(expected.max(f64::MIN_POSITIVE)).map_or(0, |law| law.sample(&mut stream) as u64).min(cap)
    };
    if more == 0 {
        return (1, first);
    }
    let u = world.uniform(key, Purpose::AppUse, 2);
    let offset_us = (span_us * u.powf(1.0 / more as f64)) as u64;
    (1 + more, first + SimDuration::from_micros(offset_us.min((end - first).as_micros().saturating_sub(1))))
}

/// The app used the member's token `uses` times inside its acceptance
/// window, the last at `last_use`: one grant raced, `uses` race events.
fn token_used(world: &mut World<'_>, grant: GrantId, revoked_at: SimTime, uses: u64, last_use: SimTime) {
    let Grant { member, app } = world.org.grants[grant.index()];
    world.races(member, RaceKind::TokenAfterDisable, uses);
    if world.tracing() {
        world.trace(Entity::Grant(grant), Step::Race { kind: RaceKind::TokenAfterDisable, events: uses });
    }
    let after_us = (last_use - revoked_at).as_micros();
    world.obs.token_last_use_sum_s += after_us / 1_000_000;
    world.obs.token_last_use_max_ms = world.obs.token_last_use_max_ms.max(after_us / 1_000);
    if !world.org.apps[app.index()].native_unbind && last_use >= token_expiry(world, grant, revoked_at) {
        world.obs.tokens_accepted_after_expiry += 1;
    }
}

//! Devices through an unbind: server-side logout (waiting for check-in,
//! remote wipe), a member logging out on the device it acts on, a device
//! change with or without uninstalling first or with the device lost, the
//! recovery of an account locked by uninstalling first, and the timers that
//! clear residue or bindings (chat retention, the server's auto-logout after
//! inactivity).
//!
//! What stays on a device is read from one table, `Platform::residue_rule`,
//! by the way the device left the unbind (`DeviceExit`); every path sets a
//! device's residue through `leave`; every write of a device's residue goes
//! through `residue::set_device`, which counts it over time.

use super::super::config::Edition;
use super::super::ids::{DeviceId, MemberId};
use super::super::org::Org;
use super::super::platform::{DeviceExit, Fate, Platform, Residue, ResidueKind};
use super::super::state::{DeviceState, IllegalTransition, MemberState};
use super::purpose::Purpose;
use super::{DeviceChangeBy, Event, Mark, RequestKind, World, residue};
use crate::engine::{Context, SimTime};

/// Unbinds every device of a revoked member; returns how many must still
/// confirm before the member is fully unbound. A member leaving from the
/// app logs out by hand on the device it exits on; its other devices (the
/// desktops too), like every device of a server-side unbind, learn of it
/// when they next check in, or never.
pub(super) fn unbind_all(
    world: &mut World<'_>,
    ctx: &mut Context<'_, Event>,
    member: MemberId,
    kind: RequestKind,
) -> Result<u16, IllegalTransition> {
    let by_hand = if kind.server_side() { None } else { exit_device(world.org, member) };
    let mut outstanding = 0;
    for device in world.org.devices_of(member) {
        if Some(device) == by_hand {
            world.set_device(device, DeviceState::Inactive)?;
            log_out_by_hand(world, ctx, device, true);
        } else {
            outstanding += server_unbind(world, ctx, device)?;
        }
    }
    Ok(outstanding)
}

/// The device a member acts on (exits on, or replaces): its phone if it has
/// one, else its first device.
pub(super) fn exit_device(org: &Org, member: MemberId) -> Option<DeviceId> {
    let first = org.devices_of(member).next();
    org.devices_of(member).find(|d| org.devices[d.index()].platform.is_mobile()).or(first)
}

fn platform_of(world: &World<'_>, device: DeviceId) -> Platform {
    world.org.devices[device.index()].platform
}

/// Sets what stays on `device` after it left the unbind by `exit`, by the
/// platform's rule (forced cleanup and biometrics drawn per device, the
/// same draw on every path), and schedules chat history's deletion where
/// it expires.
fn leave(world: &mut World<'_>, ctx: &mut Context<'_, Event>, device: DeviceId, exit: DeviceExit) {
    let platform = platform_of(world, device);
    let rule = platform.residue_rule(exit);
    let mut residue = Residue::EMPTY;
    if survives(world, device, rule.leftovers) {
        residue = residue.union(platform.local_residue());
    }
    if survives(world, device, rule.chat_history) {
        residue = residue.with(ResidueKind::ChatHistory);
    }
    if exit != DeviceExit::Wiped {
        residue = residue.union(biometric(world, device));
    }
    residue::set_device(world, device, residue, ctx.now());
    if rule.chat_history == Fate::Expires {
        ctx.schedule_in(world.policy.chat_retention, Event::ChatRetentionEnd { device });
    }
}

/// Whether data of this fate is still there right after the unbind.
fn survives(world: &World<'_>, device: DeviceId, fate: Fate) -> bool {
    match fate {
        Fate::Removed => false,
        Fate::Kept | Fate::Expires => true,
        Fate::ForcedCleanup => {
            !world.chance(device.stream_key(), Purpose::ForcedCleanup, world.behaviour.forced_cleanup)
        }
    }
}

fn biometric(world: &World<'_>, device: DeviceId) -> Residue {
    if platform_of(world, device).has_biometrics()
        && world.chance(device.stream_key(), Purpose::BiometricKept, world.behaviour.biometric_kept)
    {
        Residue::of(ResidueKind::Biometric)
    } else {
        Residue::EMPTY
    }
}

/// A device a member left from the app may stay in the trusted list.
fn trusted_kept(world: &mut World<'_>, device: DeviceId, now: SimTime) {
    if world.chance(device.stream_key(), Purpose::TrustedKept, world.behaviour.trusted_device_kept) {
        trusted(world, device, true, now);
    }
}

/// The device's trusted-device entry is kept (`true`) or dropped at `now`.
fn trusted(world: &mut World<'_>, device: DeviceId, kept: bool, now: SimTime) {
    let residue = world.devices[device.index()].residue;
    let residue =
        if kept { residue.with(ResidueKind::TrustedDevice) } else { residue.without(ResidueKind::TrustedDevice) };
    residue::set_device(world, device, residue, now);
}

/// The member logs out on the device and clears the app's data unless it
/// skips that; leaving the workspace, it may keep the device trusted, and
/// on Android may wipe the app locally instead.
fn log_out_by_hand(world: &mut World<'_>, ctx: &mut Context<'_, Event>, device: DeviceId, leaving: bool) {
    let key = device.stream_key();
    let behaviour = world.behaviour;
    let wiped = leaving
        && platform_of(world, device) == Platform::Android
        && world.chance(key, Purpose::AndroidWipe, behaviour.android_full_wipe);
    let cleared = wiped || !world.chance(key, Purpose::ClearDataSkipped, behaviour.clear_data_skipped);
    leave(world, ctx, device, if cleared { DeviceExit::Cleared } else { DeviceExit::LoggedOut });
    released(world, device, ctx.now());
    if leaving {
        trusted_kept(world, device, ctx.now());
    }
}

/// The server unbinds the device; it learns so when it next checks in.
/// One that never does is logged out by the server's inactivity timer
/// where its platform has one (Windows stays pending for good).
fn server_unbind(
    world: &mut World<'_>,
    ctx: &mut Context<'_, Event>,
    device: DeviceId,
) -> Result<u16, IllegalTransition> {
    world.set_device(device, DeviceState::LogoutPending)?;
    leave(world, ctx, device, DeviceExit::Unreachable);
    let key = device.stream_key();
    if world.chance(key, Purpose::NeverChecksIn, world.behaviour.device_never_checks_in) {
        schedule_auto_logout(world, ctx, device);
    } else {
        let delay = world.sample(&world.policy.device_checkin, key, Purpose::CheckIn, 0);
        ctx.schedule_in(delay, Event::DeviceCheckIn { device });
    }
    Ok(1)
}

fn schedule_auto_logout(world: &World<'_>, ctx: &mut Context<'_, Event>, device: DeviceId) {
    if let Some(after) = platform_of(world, device).auto_logout_after() {
        ctx.schedule_in(after, Event::AutoLogout { device });
    }
}

/// The device checks in: after an admin's (or the system's) unbind it is
/// wiped under a pro MDM policy, else the app logs out with its data left
/// behind; after the member's own exit on another device it logs out.
pub(super) fn check_in(
    world: &mut World<'_>,
    ctx: &mut Context<'_, Event>,
    device: DeviceId,
) -> Result<(), IllegalTransition> {
    let member = world.org.devices[device.index()].member;
    let server_side = world.request_kind(member).server_side();
    if server_side && world.policy.mdm_wipe && world.policy.edition == Edition::Pro {
        world.set_device(device, DeviceState::Wiped)?;
        leave(world, ctx, device, DeviceExit::Wiped);
    } else {
        world.set_device(device, DeviceState::Inactive)?;
        leave(world, ctx, device, DeviceExit::CheckedIn);
        if !server_side {
            trusted_kept(world, device, ctx.now());
        }
    }
    device_done(world, ctx, device);
    Ok(())
}

/// `device` stops being bound to its member at `now`.
fn released(world: &mut World<'_>, device: DeviceId, now: SimTime) {
    let run = &mut world.members[world.org.devices[device.index()].member.index()];
    run.devices_released_at = run.devices_released_at.max(now);
}

/// One of the member's outstanding devices is done (released now); a
/// locked-out member still waits for its recovery.
fn device_done(world: &mut World<'_>, ctx: &mut Context<'_, Event>, device: DeviceId) {
    released(world, device, ctx.now());
    let member = world.org.devices[device.index()].member;
    let run = &mut world.members[member.index()];
    run.outstanding -= 1;
    if run.outstanding == 0 && run.state != MemberState::LockedOut {
        world.complete(ctx.now(), member);
    }
}

pub(super) fn retention_end(world: &mut World<'_>, device: DeviceId, now: SimTime) {
    let residue = world.devices[device.index()].residue.without(ResidueKind::ChatHistory);
    residue::set_device(world, device, residue, now);
}

/// The member has replaced a device: the old one is lost (only a wipe or
/// the auto-logout unbinds it), uninstalled first (may lock the account;
/// stays bound until auto-logout), or unbound in the right order.
pub(super) fn change_done(
    world: &mut World<'_>,
    ctx: &mut Context<'_, Event>,
    member: MemberId,
) -> Result<(), IllegalTransition> {
    let Some(device) = exit_device(world.org, member) else {
        world.member_revoked(ctx.now(), member);
        world.complete(ctx.now(), member);
        return Ok(());
    };
    residue::watch(world, member);
    world.member_revoked(ctx.now(), member);
    let key = member.stream_key();
    // A scripted change says whether the app is uninstalled first and
    // loses no device; a device-change workload draws both.
    let (lost_device, uninstalled) = match world.request_kind(member) {
        RequestKind::DeviceChange(DeviceChangeBy::Workload(params)) => (
            world.chance(key, Purpose::LostDevice, params.lost_device),
            world.chance(key, Purpose::Uninstall, world.behaviour.uninstall_before_unbind),
        ),
        RequestKind::DeviceChange(DeviceChangeBy::Script { uninstall }) => (false, uninstall),
        kind @ (RequestKind::SelfExit
        | RequestKind::Admin(..)
        | RequestKind::AppGrants
        | RequestKind::Dissolution(_)
        | RequestKind::Gdpr(_)
        | RequestKind::Compliance(_)
        | RequestKind::Rebind) => unreachable!("a {kind:?} request changes no device"),
    };
    if lost_device {
        return lost(world, ctx, member, device);
    }
    let platform = platform_of(world, device);
    let behaviour = world.behaviour;
    let locked = uninstalled && world.chance(key, Purpose::Lockout, behaviour.lockout_given_uninstall.get(platform));
    world.obs.lockouts_by_platform[platform.index()].record(locked);
    if uninstalled {
        world.obs.lockouts_given_uninstall_by_platform[platform.index()].record(locked);
        uninstall_first(world, ctx, member, device, locked)
    } else {
        world.set_device(device, DeviceState::Inactive)?;
        log_out_by_hand(world, ctx, device, false);
        world.complete(ctx.now(), member);
        Ok(())
    }
}

/// A lost device: a pro MDM policy wipes it when it checks in; without a
/// wipe nobody reaches it, so it stays bound (and trusted) with its data
/// until an admin unbinds it (`policy.lost_device_unbind`) or its
/// platform's auto-logout comes, whichever is first (on Windows, without
/// an admin, for good).
fn lost(
    world: &mut World<'_>,
    ctx: &mut Context<'_, Event>,
    member: MemberId,
    device: DeviceId,
) -> Result<(), IllegalTransition> {
    world.members[member.index()].outstanding = 1;
    if world.policy.mdm_wipe && world.policy.edition == Edition::Pro {
        server_unbind(world, ctx, device)?;
        return Ok(());
    }
    world.set_device(device, DeviceState::Lost)?;
    leave(world, ctx, device, DeviceExit::Unreachable);
    trusted(world, device, true, ctx.now());
    schedule_auto_logout(world, ctx, device);
    if let Some(unbind) = &world.policy.lost_device_unbind {
        let delay = world.sample(unbind, device.stream_key(), Purpose::LostDeviceUnbind, 0);
        ctx.schedule_in(delay, Event::LostDeviceUnbound { device });
    }
    Ok(())
}

/// An admin unbinds a lost device from the console: the server drops its
/// binding and the trusted-device entry; what is on the device stays. One
/// the auto-logout came to first is left as is.
pub(super) fn unbind_lost(
    world: &mut World<'_>,
    ctx: &mut Context<'_, Event>,
    device: DeviceId,
) -> Result<(), IllegalTransition> {
    if world.devices[device.index()].state != DeviceState::Lost {
        return Ok(());
    }
    world.set_device(device, DeviceState::Inactive)?;
    world.audit(ctx.now());
    trusted(world, device, false, ctx.now());
    device_done(world, ctx, device);
    Ok(())
}

/// The app is uninstalled before the device is unbound: the device stays
/// bound (and trusted) until auto-logout; a locked account waits for an
/// admin or a support ticket to recover it.
fn uninstall_first(
    world: &mut World<'_>,
    ctx: &mut Context<'_, Event>,
    member: MemberId,
    device: DeviceId,
    locked: bool,
) -> Result<(), IllegalTransition> {
    world.set_device(device, DeviceState::Uninstalled)?;
    leave(world, ctx, device, DeviceExit::Uninstalled);
    trusted(world, device, true, ctx.now());
    world.members[member.index()].outstanding = 1;
    schedule_auto_logout(world, ctx, device);
    if locked {
        world.set_member(member, MemberState::LockedOut)?;
        world.members[member.index()].marks.set(Mark::LockedOut);
        let delay = world.sample(&world.policy.lockout_recovery, member.stream_key(), Purpose::LockoutRecovery, 0);
        ctx.schedule_in(delay, Event::LockoutRecovered { member });
    }
    Ok(())
}

/// An admin or a support ticket recovers a locked account: the old device's
/// binding is removed if the auto-logout has not done so, and the device
/// change is done. The lockout lasted since the change (when the account
/// was cut).
pub(super) fn recover_lockout(
    world: &mut World<'_>,
    ctx: &mut Context<'_, Event>,
    member: MemberId,
) -> Result<(), IllegalTransition> {
    let device = exit_device(world.org, member).expect("a locked-out member changed a device");
    if world.devices[device.index()].state == DeviceState::Uninstalled {
        world.set_device(device, DeviceState::Inactive)?;
        trusted(world, device, false, ctx.now());
        device_done(world, ctx, device);
    }
    world.audit(ctx.now());
    let locked_at = world.members[member.index()].revoked_at;
    world.obs.lockout_durations_us.push((ctx.now() - locked_at).as_micros());
    world.set_member(member, MemberState::DeviceChanged)?;
    world.complete(ctx.now(), member);
    Ok(())
}

/// The server's inactivity timer logs out a device still bound to a
/// member being unbound (uninstalled, lost, or never confirming a logout).
/// A device whose binding a lockout's recovery or an admin removed first is
/// left as is.
pub(super) fn auto_logout(
    world: &mut World<'_>,
    ctx: &mut Context<'_, Event>,
    device: DeviceId,
) -> Result<(), IllegalTransition> {
    match world.devices[device.index()].state {
        DeviceState::Uninstalled | DeviceState::Lost | DeviceState::LogoutPending => {}
        DeviceState::Bound | DeviceState::Inactive | DeviceState::Wiped | DeviceState::AutoLoggedOut => return Ok(()),
    }
    world.set_device(device, DeviceState::AutoLoggedOut)?;
    trusted(world, device, false, ctx.now());
    device_done(world, ctx, device);
    Ok(())
}

//! Devices through an unbind: server-side logout (waiting for check-in,
//! remote wipe), a member logging out on the device, a device change with
//! or without uninstalling first, and the timers that clear residue
//! (chat retention, auto-logout after inactivity).

use super::super::config::Edition;
use super::super::ids::{DeviceId, MemberId};
use super::super::platform::{Residue, ResidueKind};
use super::super::state::{DeviceState, IllegalTransition, MemberState};
use super::purpose::Purpose;
use super::{DeviceChangeBy, Event, Mark, RequestKind, World};
use crate::engine::Context;

/// Unbinds every device of a revoked member; returns how many must still
/// check in before the member is fully unbound.
pub(super) fn unbind_all(
    world: &mut World<'_>,
    ctx: &mut Context<'_, Event>,
    member: MemberId,
    kind: RequestKind,
) -> Result<u16, IllegalTransition> {
    let mut outstanding = 0;
    for device in world.org.devices_of(member) {
        if kind.server_side() {
            outstanding += server_unbind(world, ctx, device)?;
        } else {
            member_logs_out(world, ctx, device)?;
        }
    }
    Ok(outstanding)
}

/// What stays on a device nobody cleaned: the platform's leftovers, local
/// chat history, and biometrics if the member kept them.
fn uncleaned_residue(world: &World<'_>, device: DeviceId) -> Residue {
    let platform = world.org.devices[device.index()].platform;
    platform.local_residue().with(ResidueKind::ChatHistory).union(biometric(world, device))
}

fn biometric(world: &World<'_>, device: DeviceId) -> Residue {
    let platform = world.org.devices[device.index()].platform;
    if platform.has_biometrics()
        && world.chance(device.stream_key(), Purpose::BiometricKept, world.behaviour.biometric_kept)
    {
        Residue::of(ResidueKind::Biometric)
    } else {
        Residue::EMPTY
    }
}

/// The server unbinds the device; it learns so when it next checks in
/// (some never do and stay pending).
fn server_unbind(
    world: &mut World<'_>,
    ctx: &mut Context<'_, Event>,
    device: DeviceId,
) -> Result<u16, IllegalTransition> {
    world.set_device(device, DeviceState::LogoutPending)?;
    world.devices[device.index()].residue = uncleaned_residue(world, device);
    schedule_check_in(world, ctx, device);
    Ok(1)
}

fn schedule_check_in(world: &World<'_>, ctx: &mut Context<'_, Event>, device: DeviceId) {
    let key = device.stream_key();
    if !world.chance(key, Purpose::NeverChecksIn, world.behaviour.device_never_checks_in) {
        let delay = world.sample(&world.policy.device_checkin, key, Purpose::CheckIn, 0);
        ctx.schedule_in(delay, Event::DeviceCheckIn { device });
    }
}

/// The device checks in: wiped under a pro MDM policy, else logged out with
/// its local data left behind.
pub(super) fn check_in(
    world: &mut World<'_>,
    ctx: &mut Context<'_, Event>,
    device: DeviceId,
) -> Result<(), IllegalTransition> {
    if world.policy.mdm_wipe && world.policy.edition == Edition::Pro {
        world.set_device(device, DeviceState::Wiped)?;
        world.devices[device.index()].residue = Residue::EMPTY;
    } else {
        world.set_device(device, DeviceState::Inactive)?;
        schedule_retention(world, ctx, device);
    }
    device_done(world, ctx, device);
    Ok(())
}

/// One of the member's outstanding devices is done.
fn device_done(world: &mut World<'_>, ctx: &mut Context<'_, Event>, device: DeviceId) {
    let member = world.org.devices[device.index()].member;
    let run = &mut world.members[member.index()];
    run.outstanding -= 1;
    if run.outstanding == 0 && run.state != MemberState::LockedOut {
        world.complete(ctx.now(), member);
    }
}

/// Local chat history is deleted after the retention period, except where
/// the platform keeps its history files.
fn schedule_retention(world: &World<'_>, ctx: &mut Context<'_, Event>, device: DeviceId) {
    let platform = world.org.devices[device.index()].platform;
    if world.devices[device.index()].residue.contains(ResidueKind::ChatHistory) && !platform.keeps_chat_history() {
        ctx.schedule_in(world.policy.chat_retention, Event::ChatRetentionEnd { device });
    }
}

pub(super) fn retention_end(world: &mut World<'_>, device: DeviceId) {
    let run = &mut world.devices[device.index()];
    run.residue = run.residue.without(ResidueKind::ChatHistory);
}

/// A member leaving from the app logs the device out at once. Android can
/// wipe locally; the device may stay in the trusted list; app data stays
/// unless the member clears it.
fn member_logs_out(
    world: &mut World<'_>,
    ctx: &mut Context<'_, Event>,
    device: DeviceId,
) -> Result<(), IllegalTransition> {
    world.set_device(device, DeviceState::Inactive)?;
    let platform = world.org.devices[device.index()].platform;
    let key = device.stream_key();
    let behaviour = world.behaviour;
    let full_wipe = platform == super::super::platform::Platform::Android
        && world.chance(key, Purpose::AndroidWipe, behaviour.android_full_wipe);
    let mut residue = biometric(world, device);
    if !full_wipe {
        residue = residue.with(ResidueKind::ChatHistory);
        if world.chance(key, Purpose::ClearDataSkipped, behaviour.clear_data_skipped) {
            residue = residue.union(platform.local_residue());
        }
    }
    if world.chance(key, Purpose::TrustedKept, behaviour.trusted_device_kept) {
        residue = residue.with(ResidueKind::TrustedDevice);
    }
    world.devices[device.index()].residue = residue;
    schedule_retention(world, ctx, device);
    Ok(())
}

/// The member has replaced a device: the old one is lost (only a wipe can
/// clean it), uninstalled first (may lock the account; stays bound until
/// auto-logout), or unbound in the right order.
pub(super) fn change_done(
    world: &mut World<'_>,
    ctx: &mut Context<'_, Event>,
    member: MemberId,
) -> Result<(), IllegalTransition> {
    let Some(device) = old_device(world, member) else {
        world.member_revoked(ctx.now(), member);
        world.complete(ctx.now(), member);
        return Ok(());
    };
    world.members[member.index()].marks.set(Mark::Effective);
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
    let platform = world.org.devices[device.index()].platform;
    let behaviour = world.behaviour;
    let locked = uninstalled && world.chance(key, Purpose::Lockout, behaviour.lockout_given_uninstall.get(platform));
    world.obs.lockouts_by_platform[platform.index()].record(locked);
    if uninstalled {
        uninstall_first(world, ctx, member, device, locked)
    } else {
        unbind_in_order(world, ctx, member, device)
    }
}

/// The member's phone if they have one, else their first device.
fn old_device(world: &World<'_>, member: MemberId) -> Option<DeviceId> {
    let first = world.org.devices_of(member).next();
    world.org.devices_of(member).find(|d| world.org.devices[d.index()].platform.is_mobile()).or(first)
}

fn lost(
    world: &mut World<'_>,
    ctx: &mut Context<'_, Event>,
    member: MemberId,
    device: DeviceId,
) -> Result<(), IllegalTransition> {
    if world.policy.mdm_wipe && world.policy.edition == Edition::Pro {
        world.members[member.index()].outstanding = server_unbind(world, ctx, device)?;
        return Ok(());
    }
    world.set_device(device, DeviceState::Inactive)?;
    world.devices[device.index()].residue = uncleaned_residue(world, device);
    schedule_retention(world, ctx, device);
    world.complete(ctx.now(), member);
    Ok(())
}

fn uninstall_first(
    world: &mut World<'_>,
    ctx: &mut Context<'_, Event>,
    member: MemberId,
    device: DeviceId,
    locked: bool,
) -> Result<(), IllegalTransition> {
    world.set_device(device, DeviceState::Uninstalled)?;
    let platform = world.org.devices[device.index()].platform;
    let mut residue = biometric(world, device).with(ResidueKind::TrustedDevice);
    if !world.chance(device.stream_key(), Purpose::ForcedCleanup, world.behaviour.forced_cleanup) {
        residue = residue.union(platform.local_residue());
    }
    if platform.keeps_chat_history() {
        residue = residue.with(ResidueKind::ChatHistory);
    }
    world.devices[device.index()].residue = residue;
    world.members[member.index()].outstanding = 1;
    if let Some(after) = platform.auto_logout_after() {
        ctx.schedule_in(after, Event::AutoLogout { device });
    }
    if locked {
        world.set_member(member, MemberState::LockedOut)?;
    }
    Ok(())
}

fn unbind_in_order(
    world: &mut World<'_>,
    ctx: &mut Context<'_, Event>,
    member: MemberId,
    device: DeviceId,
) -> Result<(), IllegalTransition> {
    world.set_device(device, DeviceState::Inactive)?;
    let platform = world.org.devices[device.index()].platform;
    let mut residue = biometric(world, device);
    if world.chance(device.stream_key(), Purpose::ClearDataSkipped, world.behaviour.clear_data_skipped) {
        residue = residue.union(platform.local_residue()).with(ResidueKind::ChatHistory);
    }
    world.devices[device.index()].residue = residue;
    schedule_retention(world, ctx, device);
    world.complete(ctx.now(), member);
    Ok(())
}

/// An uninstalled device still bound on the server is logged out by the
/// inactivity timer.
pub(super) fn auto_logout(
    world: &mut World<'_>,
    ctx: &mut Context<'_, Event>,
    device: DeviceId,
) -> Result<(), IllegalTransition> {
    world.set_device(device, DeviceState::AutoLoggedOut)?;
    let run = &mut world.devices[device.index()];
    run.residue = run.residue.without(ResidueKind::TrustedDevice);
    device_done(world, ctx, device);
    Ok(())
}

//! Model-based property tests: random scripts run on the real world and on
//! a reference — a few lines per operation saying what each member, device
//! and grant must end as once the run drains. Every invariant is checked
//! after every event on the way (`run_checked`); at the end each entity's
//! state must be the reference's. A shrunk counterexample prints as a
//! scenario file with the command that replays it.
//!
//! The rules the reference states: an app admin's step revokes the grant
//! of its app (the member's first) and takes no member; any other unbind
//! takes the member if nothing has, and ends it unbound; a super admin's
//! step on a member a department request still holds ends it unbound too
//! (the take-over changes how, not where it ends).
//!
//! The cases are chosen so the end state is exact: steps on whole hours
//! (a member's exit steps take seconds, so a lockout lands before the next
//! hour), lockout after uninstalling always or never, a lockout recovered
//! after a fixed 36 h 30 min (between hours), every device checks in, and
//! the run drains.
//!
//! The rules the reference states: a self-exit logs the exit device out by
//! hand and the others at their check-in (never wiped: no admin unbound
//! them), all ending inactive; an admin's unbind ends every device wiped
//! under MDM, else inactive; an app admin touches no device; a device
//! change in the right order ends the old device inactive; uninstalling
//! first leaves it bound until its platform's auto-logout (Windows never),
//! and a lockout it causes is recovered, which removes the binding (the
//! device ends inactive) and completes the change. A member cannot revoke
//! a grant while its account is locked out.
//!
//! Audit records: an admin's unbind writes one (the disable), a
//! recovered lockout one, an app admin's archive one when its console
//! runs (an archive step is accepted only while the grant is active, which
//! the reference does not follow hour by hour: each adds at most one); a
//! member's own exit and device change write none. Every member an unbind
//! took is offboarded.

use super::script_case::{
    LOCKOUT_RECOVERY, LONGEST_HORIZON, MAX_MEMBERS, MAX_STEPS, PLATFORM_MIXES, SEED_MAX, ScriptCase, op_of,
};
use proptest::prelude::*;
use unbindsim::engine::SimDuration;
use unbindsim::model::{
    AdminTier, DeviceId, DeviceState, GrantId, GrantState, MemberId, MemberState, Org, ScriptOp, ScriptStep, Unbinder,
    World,
};
use unbindsim::scenario::parse_scenario;
use unbindsim::synth::generate;

/// How the reference says a member was taken, and when.
#[derive(Clone, Copy, Debug)]
enum Taken {
    Unbind(Unbinder),
    Change { uninstall: bool },
}

/// The reference: which step took each member, and which grants a member
/// revoked itself.
struct Reference<'a> {
    org: &'a Org,
    case: &'a ScriptCase,
    taken: Vec<Option<(SimDuration, Taken)>>,
    revoked: Vec<bool>,
}

impl<'a> Reference<'a> {
    fn new(org: &'a Org, case: &'a ScriptCase) -> Self {
        let mut reference =
            Reference { org, case, taken: vec![None; org.members.len()], revoked: vec![false; org.grants.len()] };
        for step in &case.steps {
            reference.step(*step);
        }
        reference
    }

    fn step(&mut self, step: ScriptStep) {
        let taken = match step.op {
            ScriptOp::Unbind { member, by: Unbinder::Admin(AdminTier::App) } => return self.archive(member),
            ScriptOp::Unbind { by, .. } => Taken::Unbind(by),
            ScriptOp::ChangeDevice { uninstall, .. } => Taken::Change { uninstall },
            ScriptOp::Revoke { member, nth } => return self.revoke(step.at, member, nth),
        };
        let slot = &mut self.taken[step.op.member().index()];
        if slot.is_none() {
            *slot = Some((step.at, taken));
        }
    }

    /// A member revokes a grant unless its account is locked at that
    /// moment: from its change (seconds after the step, so from the next
    /// hour on) until its recovery `LOCKOUT_RECOVERY` later (between two
    /// hours). A grant its unbind revokes ends revoked either way.
    fn revoke(&mut self, at: SimDuration, member: MemberId, nth: u8) {
        let locked_then = matches!(self.taken[member.index()],
            Some((when, _)) if when < at && at < when + LOCKOUT_RECOVERY && self.locked(member));
        if let Some(grant) = self.org.grants_of(member).nth(usize::from(nth))
            && !locked_then
        {
            self.revoked[grant.index()] = true;
        }
    }

    /// An app admin archives the member's access to the app of its first
    /// grant: that grant ends revoked whatever the member does; the member
    /// is not taken (account and devices untouched).
    fn archive(&mut self, member: MemberId) {
        if let Some(grant) = self.org.grants_of(member).next() {
            self.revoked[grant.index()] = true;
        }
    }

    fn old_device(&self, member: MemberId) -> Option<DeviceId> {
        let mut devices = self.org.devices_of(member);
        let first = self.org.devices_of(member).next();
        devices.find(|d| self.org.devices[d.index()].platform.is_mobile()).or(first)
    }

    fn locked(&self, member: MemberId) -> bool {
        matches!(self.taken[member.index()], Some((_, Taken::Change { uninstall: true })))
            && self.case.lockout
            && self.old_device(member).is_some()
    }

    fn member(&self, member: MemberId) -> MemberState {
        match self.taken[member.index()] {
            None => MemberState::Active,
            Some((_, Taken::Unbind(_))) => MemberState::Unbound,
            Some((_, Taken::Change { uninstall: true })) if self.locked(member) => MemberState::DeviceChanged,
            Some((_, Taken::Change { uninstall: true })) => match self.old_device(member) {
                Some(d) if self.org.devices[d.index()].platform.auto_logout_after().is_none() => {
                    MemberState::ChangingDevice
                }
                _ => MemberState::DeviceChanged,
            },
            Some((_, Taken::Change { uninstall: false })) => MemberState::DeviceChanged,
        }
    }

    fn device(&self, device: DeviceId) -> DeviceState {
        let member = self.org.devices[device.index()].member;
        let old = self.old_device(member) == Some(device);
        match self.taken[member.index()] {
            None => DeviceState::Bound,
            Some((_, Taken::Unbind(Unbinder::Member))) => DeviceState::Inactive,
            Some((_, Taken::Unbind(_))) if self.case.mdm_wipe => DeviceState::Wiped,
            Some((_, Taken::Unbind(_))) => DeviceState::Inactive,
            Some((_, Taken::Change { .. })) if !old => DeviceState::Bound,
            Some((_, Taken::Change { uninstall: false })) => DeviceState::Inactive,
            Some((_, Taken::Change { uninstall: true })) if self.locked(member) => DeviceState::Inactive,
            Some((_, Taken::Change { uninstall: true })) => {
                match self.org.devices[device.index()].platform.auto_logout_after() {
                    Some(_) => DeviceState::AutoLoggedOut,
                    None => DeviceState::Uninstalled,
                }
            }
        }
    }

    /// Whether the grant ends revoked (`Revoked`, or `VendorUnbound` for an
    /// app unbound on its own platform).
    /// The audit records the run must write, at least and at most, and
    /// the members offboarded.
    fn audit(&self) -> (u64, u64, u64) {
        let ids = (0..self.org.members.len() as u32).map(MemberId);
        let admin = |taken| matches!(taken, Some((_, Taken::Unbind(Unbinder::Admin(_)))));
        let least = ids.clone().filter(|&m| admin(self.taken[m.index()]) || self.locked(m)).count() as u64;
        let archives = self
            .case
            .steps
            .iter()
            .filter(|s| matches!(s.op, ScriptOp::Unbind { by: Unbinder::Admin(AdminTier::App), .. }))
            .count() as u64;
        let offboarded = self.taken.iter().filter(|t| matches!(t, Some((_, Taken::Unbind(_))))).count() as u64;
        (least, least + archives, offboarded)
    }

    fn grant_gone(&self, grant: GrantId) -> bool {
        let member = self.org.grants[grant.index()].member;
        self.revoked[grant.index()] || matches!(self.taken[member.index()], Some((_, Taken::Unbind(_))))
    }
}

/// The end states of every member, device and grant of a world.
#[derive(Default)]
struct EndStates {
    members: Vec<MemberState>,
    devices: Vec<DeviceState>,
    grants: Vec<GrantState>,
    steps_taken: u64,
}

impl EndStates {
    fn read(&mut self, org: &Org, world: &World<'_>) {
        self.members = (0..org.members.len() as u32).map(|i| world.member_state(MemberId(i))).collect();
        self.devices = (0..org.devices.len() as u32).map(|i| world.device_state(DeviceId(i))).collect();
        self.grants = (0..org.grants.len() as u32).map(|i| world.grant_state(GrantId(i))).collect();
        self.steps_taken = world.script_steps().trials;
    }
}

/// Runs `case` and compares the world's end with the reference's.
fn check(case: &ScriptCase) -> Result<(), String> {
    let scenario = parse_scenario("script-case.toml", &case.toml()).map_err(|e| case.report(&e.to_string()))?;
    let org = generate(&scenario.org, case.seed);
    let mut end = EndStates::default();
    let (_, replication) = case.run(&mut |world| end.read(&org, world))?;
    let reference = Reference::new(&org, case);
    let mut differences = Vec::new();
    let (least, most, offboarded) = reference.audit();
    let audit = replication.observations.audit;
    if audit.records < least || audit.records > most || audit.offboarded != offboarded {
        differences.push(format!("{audit:?}, reference {least}..={most} records, {offboarded} offboarded"));
    }
    if end.steps_taken != case.steps.len() as u64 {
        differences.push(format!("{} steps taken of {}", end.steps_taken, case.steps.len()));
    }
    for (i, &state) in end.members.iter().enumerate() {
        let expected = reference.member(MemberId(i as u32));
        if state != expected {
            differences.push(format!("member {i}: {state:?}, reference {expected:?}"));
        }
    }
    for (i, &state) in end.devices.iter().enumerate() {
        let expected = reference.device(DeviceId(i as u32));
        if state != expected {
            differences
                .push(format!("device {i} of member {}: {state:?}, reference {expected:?}", org.devices[i].member.0));
        }
    }
    for (i, &state) in end.grants.iter().enumerate() {
        let gone = reference.grant_gone(GrantId(i as u32));
        let native = org.apps[org.grants[i].app.index()].native_unbind;
        let allowed = match state {
            GrantState::Active => !gone,
            GrantState::Revoked => gone,
            GrantState::VendorUnbound => gone && native,
        };
        if !allowed {
            differences
                .push(format!("grant {i} of member {}: {state:?}, reference gone = {gone}", org.grants[i].member.0));
        }
    }
    if differences.is_empty() { Ok(()) } else { Err(case.report(&differences.join("\n"))) }
}

/// A step as drawn: an hour jump, an operation kind, a member (modulo the
/// org's size) and a grant index.
fn step() -> impl Strategy<Value = (u64, u8, u32, u8)> {
    (0u64..30, 0u8..7, 0..MAX_MEMBERS, 0u8..4)
}

fn case() -> impl Strategy<Value = ScriptCase> {
    let org = (1..=MAX_MEMBERS, 1u32..4, 0u32..3, 0..PLATFORM_MIXES.len());
    let policy = (0u64..=72, any::<bool>(), 1u32..5, 1u32..4, any::<bool>(), 0..=SEED_MAX);
    (org, policy, proptest::collection::vec(step(), 1..=MAX_STEPS)).prop_map(
        |(
            (members, branching, depth, platforms),
            (buffer_h, mdm_wipe, batch_limit, approvers, lockout, seed),
            drawn,
        )| {
            let mut at = SimDuration::ZERO;
            let steps = drawn
                .into_iter()
                .map(|(jump_h, kind, member, nth)| {
                    at = at + SimDuration::from_hours(jump_h);
                    ScriptStep { at, op: op_of(kind, MemberId(member % members), nth) }
                })
                .collect();
            ScriptCase {
                seed,
                members,
                branching,
                depth,
                platforms,
                buffer_h,
                mdm_wipe,
                batch_limit,
                approvers,
                lockout,
                devices_vanish: false,
                horizon: LONGEST_HORIZON,
                steps,
            }
        },
    )
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(CASES))]

    #[test]
    fn scripted_world_ends_as_the_reference_says(case in case()) {
        check(&case).map_err(TestCaseError::fail)?;
    }
}

/// Cases per run of the property test.
const CASES: u32 = 1024;

//! The invariants a world keeps between any two events, across its state
//! machines: a member's state agrees with its devices, grants, request and
//! the `untouched` count; a revoked grant's token never outlives its
//! lifetime; batches and pools stay consistent; no scripted step is taken
//! twice; the counts obey
//! `invariants::check_counts`. The operation fuzzer and the property tests
//! call `check_invariants` after every event.

use super::super::ids::MemberId;
use super::super::invariants::{Violation, check_counts, ensure};
use super::super::state::{DeviceState, GrantState, MemberState};
use super::{MemberRun, NONE, World};

impl World<'_> {
    /// Checks every cross-entity invariant of the current state.
    pub fn check_invariants(&self) -> Result<(), Violation> {
        let active = self.members.iter().filter(|run| run.state == MemberState::Active).count() as u32;
        ensure(active == self.untouched, "untouched_count", || {
            format!("{active} members active, {} counted untouched", self.untouched)
        })?;
        for index in 0..self.members.len() {
            self.check_member(MemberId(index as u32))?;
        }
        self.check_grants()?;
        self.check_batches()?;
        for pool in &self.pools {
            ensure(pool.is_consistent(), "pool_servers", || {
                format!("pool {} serves past its servers", pool.kind.name())
            })?;
        }
        let taken = self.script_steps.trials;
        let written = self.workload.arrivals.max_count();
        ensure(taken <= u64::from(written), "script_steps_taken_once", || format!("{taken} steps taken of {written}"))?;
        check_counts(&self.obs, self.policy.batch_limit)
    }

    fn check_member(&self, member: MemberId) -> Result<(), Violation> {
        use MemberState::*;
        let run = self.members[member.index()];
        let detail = |what: &str| format!("member {} in {:?}: {what} ({run:?})", member.0, run.state);
        ensure((run.state == Active) == (run.request == NONE), "request_iff_taken", || detail("request"))?;
        let (mut bound, mut pending, mut unbound, mut still_bound) = (0, 0, 0, 0);
        for device in self.org.devices_of(member) {
            let state = self.devices[device.index()].state;
            bound += usize::from(state == DeviceState::Bound);
            pending += usize::from(state == DeviceState::LogoutPending);
            unbound += usize::from(state.is_unbound());
            still_bound += usize::from(matches!(state, DeviceState::Uninstalled | DeviceState::Lost));
        }
        let n_devices = usize::from(self.org.member(member).n_devices);
        let grants_active = self.org.grants_of(member).any(|g| self.grants[g.index()].state == GrantState::Active);
        match run.state {
            Revoked => {
                ensure(!grants_active, "revoked_member_has_no_grant", || detail("an active grant"))?;
                ensure(
                    run.outstanding > 0 && usize::from(run.outstanding) == pending,
                    "revoked_waits_on_devices",
                    || detail(&format!("{pending} devices pending logout")),
                )
            }
            Unbound => {
                ensure(!grants_active, "revoked_member_has_no_grant", || detail("an active grant"))?;
                ensure(unbound == n_devices && run.outstanding == 0, "unbound_member_has_no_device", || {
                    detail(&format!("{unbound} of {n_devices} devices unbound"))
                })
            }
            ChangingDevice | LockedOut => {
                ensure(n_devices - bound <= 1, "one_old_device", || detail("more than one device changed"))?;
                ensure(
                    usize::from(run.outstanding) == pending + still_bound,
                    "changing_waits_on_its_old_device",
                    || detail(&format!("{pending} pending, {still_bound} uninstalled or lost")),
                )
            }
            DeviceChanged => ensure(
                n_devices - bound <= 1 && run.outstanding == 0 && n_devices - bound == unbound,
                "changed_device_unbound",
                || detail("the old device is not unbound"),
            ),
            Active | Requested | Handover | Buffer | PendingRebind | Rebinding | Rebound | RolledBack => {
                ensure(bound == n_devices, "devices_bound_before_revocation", || detail("a device left bound"))
            }
        }
    }

    /// A revoked grant stops being accepted no earlier than its revocation
    /// and, unless the app keeps its own session, no later than its token's
    /// lifetime after it; only such an app is unbound at the vendor.
    fn check_grants(&self) -> Result<(), Violation> {
        for (index, run) in self.grants.iter().enumerate() {
            if run.state == GrantState::Active {
                continue;
            }
            let native = self.org.apps[self.org.grants[index].app.index()].native_unbind;
            let token_end = run.revoked_at + self.policy.token_ttl;
            ensure(run.accept_until >= run.revoked_at, "grant_accepted_until_after_revocation", || {
                format!("grant {index}: {run:?}")
            })?;
            ensure(native || run.accept_until <= token_end, "token_within_lifetime", || {
                format!("grant {index} accepted until {}, token ends {token_end}", run.accept_until)
            })?;
            ensure(native || run.state != GrantState::VendorUnbound, "vendor_unbind_only_native", || {
                format!("grant {index} of a non-native app unbound at the vendor")
            })?;
        }
        Ok(())
    }

    /// A batch's members are revoked before they are fully unbound; an app
    /// admin's archive holds no member of its own, so it is left out of
    /// the members counted in batches.
    fn check_batches(&self) -> Result<(), Violation> {
        for (index, batch) in self.batches.iter().enumerate() {
            ensure(batch.revocations_left <= batch.members_left, "revoked_before_unbound", || {
                format!("batch {index}: {batch:?}")
            })?;
        }
        let owned = |run: &&MemberRun| run.batch != NONE;
        let members_in_batches = self.members.iter().filter(owned).count();
        let left: u64 = self.batches.iter().filter(|b| !b.archive).map(|b| u64::from(b.members_left)).sum();
        ensure(left <= members_in_batches as u64, "batch_members_exist", || {
            format!("{left} members left in batches, {members_in_batches} members in one")
        })
    }
}

//! The world's own steps, which every handler calls and which call no
//! handler: draws, state transitions, requests and batches, races and
//! residue (its writes counted over time by `residue`). Handler files import this file's `World` methods, never each
//! other's primitives, so the handler files form a DAG read top-down.

use super::super::ids::{DeviceId, GrantId, MemberId, RequestId};
use super::super::observe::{BatchTier, RaceKind, RaceUnit};
use super::super::platform::ResidueKind;
use super::super::state::{DeviceState, GrantState, IllegalTransition, MemberState, StateMachine};
use super::super::trace::{DrawRule, Drawn, Entity, Step};
use super::purpose::{Keyed, Purpose};
use super::{Batch, NONE, Request, RequestKind, World, residue};
use crate::engine::{Dist, SimDuration, SimTime};
use std::ops::Range;

impl<'a> World<'a> {
    /// True with probability `p` (no draw when `p` is not positive).
    #[inline]
    pub(super) fn chance(&self, entity: u64, purpose: Purpose, p: f64) -> bool {
        p > 0.0 && {
            let drawn = self.streams.uniform(entity, purpose.key(), 0);
            if self.tracing() {
                self.trace_draw(entity, purpose, 0, Drawn::Chance { drawn, p });
            }
            drawn < p
        }
    }

    #[inline]
    pub(super) fn sample(&self, dist: &Dist, entity: u64, purpose: Purpose, index: u64) -> SimDuration {
        let duration = dist.sample(&mut self.streams.stream(entity, purpose.key(), index));
        if self.tracing() {
            self.trace_draw(entity, purpose, index, Drawn::Duration(duration));
        }
        duration
    }

    /// A uniform draw in [0, 1) that places or sizes something.
    #[inline]
    pub(super) fn uniform(&self, entity: u64, purpose: Purpose, index: u64) -> f64 {
        let drawn = self.streams.uniform(entity, purpose.key(), index);
        if self.tracing() {
            self.trace_draw(entity, purpose, index, Drawn::Uniform(drawn));
        }
        drawn
    }

    #[inline]
    pub(super) fn set_member(&mut self, member: MemberId, next: MemberState) -> Result<(), IllegalTransition> {
        let from = self.members[member.index()].state;
        self.members[member.index()].state.advance(member.0, next)?;
        if self.tracing() {
            self.trace(Entity::Member(member), Step::Member { from, to: next });
        }
        Ok(())
    }

    #[inline]
    pub(super) fn set_device(&mut self, device: DeviceId, next: DeviceState) -> Result<(), IllegalTransition> {
        let from = self.devices[device.index()].state;
        self.devices[device.index()].state.advance(device.0, next)?;
        if self.tracing() {
            self.trace(Entity::Device(device), Step::Device { device, from, to: next });
        }
        Ok(())
    }

    #[inline]
    pub(super) fn set_grant(&mut self, grant: GrantId, next: GrantState) -> Result<(), IllegalTransition> {
        let from = self.grants[grant.index()].state;
        self.grants[grant.index()].state.advance(grant.0, next)?;
        if self.tracing() {
            self.trace(Entity::Grant(grant), Step::Grant { grant, from, to: next });
        }
        Ok(())
    }

    /// Whether a trace is kept: the one test an ordinary run pays per
    /// draw, transition, race and residue write.
    #[inline(always)]
    pub(super) fn tracing(&self) -> bool {
        self.trace.is_some()
    }

    /// Records `step`, about `about`, if the trace watches it: the traced
    /// member, one of its traced devices or grants, or the request it is on.
    #[cold]
    #[inline(never)]
    pub(super) fn trace(&self, about: Entity, step: Step) {
        let Some(trace) = &self.trace else { return };
        let mut trace = trace.borrow_mut();
        let watched = match about {
            Entity::Member(member) => trace.watches_member(member),
            Entity::Device(device) => trace.watches_device(device),
            Entity::Grant(grant) => trace.watches_grant(grant),
            Entity::Request(request) => self.members[trace.member.index()].request == request.0,
        };
        if watched {
            trace.record(step);
        }
    }

    /// A draw for `entity` under `purpose`: a request's delay and a pool's
    /// service name the key the request and the pool use.
    #[cold]
    #[inline(never)]
    fn trace_draw(&self, entity: u64, purpose: Purpose, index: u64, drawn: Drawn) {
        let id = entity as u32;
        let about = match purpose.keyed_by() {
            Keyed::Arrival => return,
            Keyed::Request => Entity::Request(RequestId(id)),
            Keyed::Member => Entity::Member(MemberId(id)),
            Keyed::Device => Entity::Device(DeviceId(id)),
            Keyed::Grant => Entity::Grant(GrantId(id)),
        };
        let rule = purpose.rule();
        let rule = match purpose {
            Purpose::PoolService => DrawRule { key: self.pools[index as usize].kind.key(), ..rule },
            Purpose::EffectiveDelay => DrawRule { key: self.requests[id as usize].kind.delay_key(), ..rule },
            _ => rule,
        };
        self.trace(about, Step::Draw { entity: about, rule, drawn });
    }

    pub(super) fn members_of(&self, request: RequestId) -> Range<usize> {
        let r = &self.requests[request.index()];
        r.first as usize..(r.first + r.len) as usize
    }

    /// Records a request without touching its members' states.
    pub(super) fn push_request(&mut self, now: SimTime, kind: RequestKind<'a>, first: u32, len: u32) -> RequestId {
        let request = RequestId(self.requests.len() as u32);
        self.requests.push(Request { kind, decided_at: now, first, len, approvals_left: 0, guard_bypassed: false });
        self.obs.requests += 1;
        request
    }

    /// Opens a batch over `request_members[positions]`, counting the
    /// members the request still owns.
    /// An app admin's archive owns no member: it counts all of them.
    pub(super) fn open_batch(&mut self, request: RequestId, positions: Range<usize>) -> u32 {
        let batch = self.batches.len() as u32;
        let Request { decided_at, kind, .. } = self.requests[request.index()];
        let archive = kind.opening_state().is_none();
        let mut owned = 0;
        for position in positions {
            let run = &mut self.members[self.request_members[position].index()];
            if archive {
                owned += 1;
            } else if run.request == request.0 {
                run.batch = batch;
                owned += 1;
            }
        }
        self.batches.push(Batch {
            decided_at,
            revocations_left: owned,
            members_left: owned,
            superseded: owned == 0,
            tier: kind.batch_tier(),
            archive,
        });
        batch
    }

    /// An app admin's archive batch ran: all its members' access to the
    /// app is cut at once, which is both its revocation and its end.
    pub(super) fn archive_done(&mut self, now: SimTime, batch: u32) {
        let batch = &mut self.batches[batch as usize];
        batch.revocations_left = 0;
        batch.members_left = 0;
        let latency_us = (now - batch.decided_at).as_micros();
        self.obs.revocation_latencies_us.push(latency_us);
        self.obs.batch_latencies_us.push(latency_us);
        if let Some(tier) = batch.tier {
            self.obs.batch_by_tier[tier.index()].completed_us.push(latency_us);
        }
    }

    /// A member's account and grants are cut; the batch's last records the
    /// revocation latency.
    pub(super) fn member_revoked(&mut self, now: SimTime, member: MemberId) {
        self.members[member.index()].revoked_at = now;
        residue::cut_moved(self, member);
        let batch = &mut self.batches[self.members[member.index()].batch as usize];
        batch.revocations_left -= 1;
        if batch.revocations_left == 0 && !batch.superseded {
            self.obs.revocation_latencies_us.push((now - batch.decided_at).as_micros());
        }
    }

    /// A member is fully unbound; the batch's last records the batch latency.
    pub(super) fn member_done(&mut self, now: SimTime, member: MemberId) {
        let batch = &mut self.batches[self.members[member.index()].batch as usize];
        batch.members_left -= 1;
        if batch.members_left == 0 && !batch.superseded {
            let latency_us = (now - batch.decided_at).as_micros();
            self.obs.batch_latencies_us.push(latency_us);
            if let Some(tier) = batch.tier {
                self.obs.batch_by_tier[tier.index()].completed_us.push(latency_us);
            }
        }
    }

    /// An admin (or the system) acts on an item at `now`: one audit record.
    pub(super) fn audit(&mut self, now: SimTime) {
        self.obs.audit.record(now, self.horizon, self.policy.audit_retention);
    }

    /// The batch opened last is reported under `tier`.
    pub(super) fn tag_last_batch(&mut self, tier: BatchTier) {
        if let Some(batch) = self.batches.last_mut() {
            batch.tier = Some(tier);
        }
    }

    /// A member leaves its batch before revocation (taken by another request).
    pub(super) fn leave_batch(&mut self, member: MemberId) {
        let run = &mut self.members[member.index()];
        if run.batch == NONE {
            return;
        }
        let batch = &mut self.batches[run.batch as usize];
        run.batch = NONE;
        batch.revocations_left -= 1;
        batch.members_left -= 1;
        batch.superseded |= batch.members_left == 0;
    }

    /// The kind of the request a member is on.
    pub(super) fn request_kind(&self, member: MemberId) -> RequestKind<'a> {
        self.requests[self.members[member.index()].request as usize].kind
    }

    /// `units` more members or grants are exposed to races of `kind`.
    pub(super) fn race_exposed(&mut self, kind: RaceKind, units: u64) {
        self.obs.races[kind.index()].units.trials += units;
    }

    /// A race of `kind` involving `member`: its unit is hit the first time
    /// (a member once per kind; a grant races only once).
    pub(super) fn race(&mut self, member: MemberId, kind: RaceKind) {
        self.races(member, kind, 1);
    }

    /// `events` races of `kind` on one unit involving `member` (a grant's
    /// token accepted that many times after revocation).
    pub(super) fn races(&mut self, member: MemberId, kind: RaceKind, events: u64) {
        if self.tracing() && kind.exposed_unit() == RaceUnit::Members {
            self.trace(Entity::Member(member), Step::Race { kind, events });
        }
        let tally = &mut self.obs.races[kind.index()];
        tally.events += events;
        let first_for_member = self.members[member.index()].races.insert(kind);
        let first_for_unit = match kind.exposed_unit() {
            RaceUnit::Members => first_for_member,
            RaceUnit::Grants => true,
        };
        tally.units.hits += u64::from(first_for_unit);
    }

    pub(super) fn add_residue(&mut self, member: MemberId, kind: ResidueKind, now: SimTime) {
        let residue = self.members[member.index()].residue.with(kind);
        residue::set_own(self, member, residue, now);
    }

    /// Records a request over `request_members[first .. first + len]` and
    /// moves its members to the kind's opening state (an app admin's
    /// archive leaves them as they are).
    pub(super) fn open_request(
        &mut self,
        now: SimTime,
        kind: RequestKind<'a>,
        first: u32,
        len: u32,
    ) -> Result<RequestId, IllegalTransition> {
        let request = self.push_request(now, kind, first, len);
        let Some(state) = kind.opening_state() else { return Ok(request) };
        self.untouched -= len;
        for position in first..first + len {
            let member = self.request_members[position as usize];
            self.set_member(member, state)?;
            self.members[member.index()].request = request.0;
            self.members[member.index()].decided_at = now;
        }
        Ok(request)
    }

    /// The member is fully unbound (or done changing a device): its batch
    /// may be complete.
    pub(super) fn complete(&mut self, now: SimTime, member: MemberId) {
        let run = self.members[member.index()];
        let next = match run.state {
            MemberState::Revoked => MemberState::Unbound,
            MemberState::ChangingDevice => MemberState::DeviceChanged,
            settled @ (MemberState::Active
            | MemberState::Requested
            | MemberState::Handover
            | MemberState::Buffer
            | MemberState::Unbound
            | MemberState::DeviceChanged
            | MemberState::LockedOut
            | MemberState::PendingRebind
            | MemberState::Rebinding
            | MemberState::Rebound
            | MemberState::RolledBack) => settled,
        };
        if next != run.state {
            self.set_member(member, next).expect("completion follows revocation or a device change");
        }
        self.member_done(now, member);
    }
}

//! The enterprise in motion: per-run state of every member, device and
//! grant, the closed set of events, and the handlers that move the state
//! machines. One `World` is one replication; the `Org` it acts on is shared
//! and never changes.
//!
//! Handlers are grouped by what they own: `arrivals` (decisions, whom they
//! target, and the split's stopped interconnect), `pipeline` (approvals,
//! delays, the admin console), `member` (handover, buffer, revocation),
//! `device`, `grant`, `split` (subsidiary re-bind and rollback), `api` (the
//! directory API's call budget the console spends), `script`
//! (scripted operations) and `finish` (what is read at the horizon). They
//! call each other top-down only — arrivals → script → pipeline → member →
//! device and grant; pipeline → split, and → device for the device a
//! member exits on; member → `modules` (what a pro disable keeps live) and
//! `customers` (the customer handover by API) — and share what several need
//! through the `World` methods of `primitives`, which calls no handler.
//! `check` holds the invariants a world keeps between any two events.

mod api;
mod arrivals;
mod check;
mod customers;
mod device;
mod exposure;
mod finish;
mod grant;
mod member;
mod member_end;
mod modules;
mod pipeline;
mod pool;
mod primitives;
mod purpose;
mod residue;
mod script;
mod split;

use super::config::{Behaviour, Policy};
use super::exposure::LEAK_RISK_DEFAULT;
use super::ids::{AdminId, AppId, DeviceId, GrantId, MemberId, RequestId};
use super::observe::{BatchTier, Count, Observations, RaceSet};
use super::org::{AdminTier, Org};
use super::platform::Residue;
use super::queues::{ConsoleBacklog, PoolKind};
use super::state::{DeviceState, GrantState, IllegalTransition, MemberState};
use super::trace::Trace;
use super::workload::{
    AdminBatchParams, ComplianceDualControlParams, DeviceChangeParams, DissolutionParams, GdprExportParams, Workload,
    WorkloadKind,
};
use crate::engine::{Context, Model, SimDuration, SimTime, Streams};
use pool::Pool;
use std::cell::RefCell;
use std::collections::VecDeque;
use std::ops::Range;

/// The model's events: small, plain, closed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Event {
    /// The workload's next decision.
    Arrival {
        index: u32,
    },
    /// A pool finished serving a request.
    PoolDone {
        pool: u8,
        request: RequestId,
    },
    /// A request's approvals and delays are over: act on it.
    Effective {
        request: RequestId,
    },
    /// The admin console can run its next batch.
    ConsoleReady,
    HandoverDone {
        member: MemberId,
    },
    /// The buffer is over: revoke.
    Revoke {
        member: MemberId,
    },
    /// A member acts (only matters inside a buffer).
    MemberAct {
        member: MemberId,
        index: u32,
    },
    DeviceChangeDone {
        member: MemberId,
    },
    ExportDone {
        member: MemberId,
    },
    Dispute {
        member: MemberId,
    },
    Escalate {
        member: MemberId,
    },
    DeviceCheckIn {
        device: DeviceId,
    },
    ChatRetentionEnd {
        device: DeviceId,
    },
    AutoLogout {
        device: DeviceId,
    },
    /// An admin or a support ticket recovers a locked-out account.
    LockoutRecovered {
        member: MemberId,
    },
    /// An admin unbinds a lost device from the console.
    LostDeviceUnbound {
        device: DeviceId,
    },
    VendorUnbind {
        grant: GrantId,
    },
    RollbackDeadline,
    ArchivePurge,
}

/// Who decided a request, which fixes its path through the pipeline, with
/// the workload parameters its handlers need.
#[derive(Clone, Copy, Debug)]
enum RequestKind<'a> {
    SelfExit,
    /// An admin's request; `Some` under an admin-batch workload, whose
    /// department-tier requests may see their members escalated.
    Admin(AdminAct, Option<&'a AdminBatchParams>),
    /// Offboarded by a super admin; the member revokes app grants.
    AppGrants,
    DeviceChange(DeviceChangeBy<'a>),
    Dissolution(&'a DissolutionParams),
    Gdpr(&'a GdprExportParams),
    Compliance(&'a ComplianceDualControlParams),
    Rebind,
}

/// What an admin's request does, by tier. Super and department admins
/// disable accounts; an app admin archives the members' access to its own
/// app (after the auto-archive buffer its grants of that app are revoked)
/// and leaves their accounts and devices alone, so it takes no member.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum AdminAct {
    Super,
    Department,
    App(AppId),
}

impl AdminAct {
    fn tier(self) -> AdminTier {
        match self {
            AdminAct::Super => AdminTier::Super,
            AdminAct::Department => AdminTier::Department,
            AdminAct::App(_) => AdminTier::App,
        }
    }
}

/// Where a device change comes from: a device-change workload draws whether
/// the device was lost and the app uninstalled first; a script says.
#[derive(Clone, Copy, Debug)]
enum DeviceChangeBy<'a> {
    Workload(&'a DeviceChangeParams),
    Script { uninstall: bool },
}

impl RequestKind<'_> {
    /// The tier a batch of this request is reported under: only an
    /// admin-batch workload's admin requests have one.
    fn batch_tier(self) -> Option<BatchTier> {
        match self {
            RequestKind::Admin(act, Some(_)) => Some(match act.tier() {
                AdminTier::Super => BatchTier::Super,
                AdminTier::Department => BatchTier::Department,
                AdminTier::App => BatchTier::App,
            }),
            RequestKind::Admin(_, None)
            | RequestKind::SelfExit
            | RequestKind::AppGrants
            | RequestKind::DeviceChange(_)
            | RequestKind::Dissolution(_)
            | RequestKind::Gdpr(_)
            | RequestKind::Compliance(_)
            | RequestKind::Rebind => None,
        }
    }

    /// Whether the member (not the workspace) decides on revoking grants.
    fn member_revokes_grants(self) -> bool {
        match self {
            RequestKind::SelfExit | RequestKind::AppGrants => true,
            RequestKind::Admin(..)
            | RequestKind::DeviceChange(_)
            | RequestKind::Dissolution(_)
            | RequestKind::Gdpr(_)
            | RequestKind::Compliance(_)
            | RequestKind::Rebind => false,
        }
    }

    /// Whether revocation unbinds devices from the server side (admin or
    /// system) rather than by the member on the device.
    fn server_side(self) -> bool {
        match self {
            RequestKind::SelfExit => false,
            RequestKind::Admin(..)
            | RequestKind::AppGrants
            | RequestKind::DeviceChange(_)
            | RequestKind::Dissolution(_)
            | RequestKind::Gdpr(_)
            | RequestKind::Compliance(_)
            | RequestKind::Rebind => true,
        }
    }

    /// Whether the request deletes its members from the directory in one
    /// full-overwrite import, which the mass-deletion guard watches: every
    /// admin or system offboarding; not a member's own exit, a device
    /// change, an app admin's archive (no member leaves) or a re-bind.
    fn deletes_members(self) -> bool {
        match self {
            RequestKind::Admin(AdminAct::Super | AdminAct::Department, _)
            | RequestKind::AppGrants
            | RequestKind::Dissolution(_)
            | RequestKind::Gdpr(_)
            | RequestKind::Compliance(_) => true,
            RequestKind::SelfExit
            | RequestKind::Admin(AdminAct::App(_), _)
            | RequestKind::DeviceChange(_)
            | RequestKind::Rebind => false,
        }
    }

    /// Whether the request's disable keeps `policy.keep_modules` live: an
    /// admin's or the system's disable of an account; not a member's own
    /// exit, a dissolution (the workspace goes), or requests that keep the
    /// account (an app admin's archive, a device change, a re-bind).
    fn keeps_modules(self) -> bool {
        match self {
            RequestKind::Admin(AdminAct::Super | AdminAct::Department, _)
            | RequestKind::AppGrants
            | RequestKind::Gdpr(_)
            | RequestKind::Compliance(_) => true,
            RequestKind::SelfExit
            | RequestKind::Admin(AdminAct::App(_), _)
            | RequestKind::DeviceChange(_)
            | RequestKind::Dissolution(_)
            | RequestKind::Rebind => false,
        }
    }

    /// Whether a successor takes over the leaving member's customers and
    /// group chats: on every path that cuts an account but a dissolution
    /// (nobody is left to take them).
    fn has_successor(self) -> bool {
        match self {
            RequestKind::Dissolution(_) => false,
            RequestKind::SelfExit
            | RequestKind::Admin(..)
            | RequestKind::AppGrants
            | RequestKind::DeviceChange(_)
            | RequestKind::Gdpr(_)
            | RequestKind::Compliance(_)
            | RequestKind::Rebind => true,
        }
    }

    /// The state a request moves its members to when it is opened; none
    /// for an app admin's archive, which takes no member (each keeps its
    /// account and may still be offboarded by another request).
    fn opening_state(self) -> Option<MemberState> {
        match self {
            RequestKind::DeviceChange(_) => Some(MemberState::ChangingDevice),
            RequestKind::Rebind => Some(MemberState::PendingRebind),
            RequestKind::Admin(AdminAct::App(_), _) => None,
            RequestKind::SelfExit
            | RequestKind::Admin(AdminAct::Super | AdminAct::Department, _)
            | RequestKind::AppGrants
            | RequestKind::Dissolution(_)
            | RequestKind::Gdpr(_)
            | RequestKind::Compliance(_) => Some(MemberState::Requested),
        }
    }

    /// The scenario key of the delay drawn before this request takes
    /// effect, for a trace (the kinds that draw none have none).
    fn delay_key(self) -> &'static str {
        match self {
            RequestKind::Admin(AdminAct::Department, _) => "policy.department_delay",
            RequestKind::Admin(AdminAct::App(_), _) => "policy.app_admin_delay",
            RequestKind::Dissolution(_) => "workload.dissolution.review",
            RequestKind::Gdpr(_) => "workload.gdpr-export.reason",
            RequestKind::Compliance(_) => "workload.compliance-dual-control.risk_confirm",
            RequestKind::SelfExit
            | RequestKind::Admin(AdminAct::Super, _)
            | RequestKind::AppGrants
            | RequestKind::DeviceChange(_)
            | RequestKind::Rebind => "none",
        }
    }
}

/// One decision covering `members[first .. first + len]` of `request_members`.
#[derive(Clone, Copy, Debug)]
struct Request<'a> {
    kind: RequestKind<'a>,
    decided_at: SimTime,
    first: u32,
    len: u32,
    approvals_left: u8,
    /// The mass-deletion guard aborted its import and it went the other
    /// way: it does not meet the guard again.
    guard_bypassed: bool,
}

/// A batch whose latency is measured from its request's decision: a
/// console batch, or the whole request where there is no console (a
/// self-exit, a device change, a re-bind batch).
#[derive(Clone, Copy, Debug)]
struct Batch {
    decided_at: SimTime,
    /// Members not yet revoked (account and grants cut).
    revocations_left: u32,
    /// Members not yet fully unbound (devices confirmed too).
    members_left: u32,
    /// All its members were taken over by another request.
    superseded: bool,
    /// The admin tier behind it, under an admin-batch workload.
    tier: Option<BatchTier>,
    /// An app admin's archive: its members are not its own (they keep
    /// their accounts), and it is done when the console has run it.
    archive: bool,
}

/// Per-member run state.
#[derive(Clone, Copy, Debug, Default)]
struct MemberRun {
    state: MemberState,
    races: RaceSet,
    marks: Marks,
    /// Devices still to check in before the member is fully unbound.
    outstanding: u16,
    request: u32,
    batch: u32,
    residue: Residue,
    /// When the member's account (or app access) was cut.
    revoked_at: SimTime,
    /// When the request that took the member was decided (a super admin's
    /// takeover of a department request keeps the first decision).
    decided_at: SimTime,
    /// When the last of its devices released so far stopped being bound
    /// (logged out, checked in, wiped, unbound by an admin or the
    /// auto-logout): kept per member, not per device, to keep devices small.
    devices_released_at: SimTime,
}

/// Per-device run state. Once its member's unbind took effect, what a
/// residue change needs of the member and the platform is kept beside it
/// (`residue::watch`), so the change reads no other row.
#[derive(Clone, Copy, Debug, Default)]
struct DeviceRun {
    state: DeviceState,
    residue: Residue,
    /// Its member's unbind took effect at `unbound_at`: residue is counted
    /// over time from there.
    watched: bool,
    /// `Platform::index` of the device.
    platform: u8,
    /// Its place among its member's devices, and how many they are: its
    /// siblings are `device − rank ..` that many.
    rank: u8,
    siblings: u8,
    unbound_at: SimTime,
}

/// Per-grant run state.
#[derive(Clone, Copy, Debug, Default)]
struct GrantRun {
    state: GrantState,
    revoked_at: SimTime,
    accept_until: SimTime,
    app_data_left: bool,
}

/// What a member went through besides its state and races, a bit each.
#[derive(Clone, Copy, Debug, Default)]
struct Marks(u8);

#[derive(Clone, Copy, Debug)]
enum Mark {
    /// The member's unbind took effect (its residue is counted).
    Effective,
    /// A GDPR export finished while the account still worked.
    Exported,
    /// A cloud copy of the member's data is kept.
    CloudCopy,
    /// A pro edition's disable kept modules live (`policy.keep_modules`).
    KeptModules,
    /// Uninstalling before unbinding locked the account.
    LockedOut,
}

impl Marks {
    fn set(&mut self, mark: Mark) {
        self.0 |= 1 << mark as u8;
    }

    fn has(self, mark: Mark) -> bool {
        self.0 & 1 << mark as u8 != 0
    }
}

/// A console batch waiting to run: `request_members[first .. first + len]`
/// of `request`, measured as `batch`.
#[derive(Clone, Copy, Debug)]
struct ConsoleJob {
    request: RequestId,
    batch: u32,
    first: u32,
    len: u32,
    /// The console has run part of it (a call was refused meanwhile).
    started: bool,
    /// Its next delete call is the retry without the stale ids.
    retry: bool,
}

const NONE: u32 = u32::MAX;

/// Pool slots.
const APPROVERS: u8 = 0;
const SECOND_POOL: u8 = 1;

/// One replication of the enterprise.
pub struct World<'a> {
    org: &'a Org,
    policy: &'a Policy,
    behaviour: &'a Behaviour,
    workload: &'a Workload,
    streams: Streams,
    members: Vec<MemberRun>,
    devices: Vec<DeviceRun>,
    grants: Vec<GrantRun>,
    /// Every grant revoked so far, in revocation order (room for all of
    /// them is reserved up front): the horizon reads only these.
    revoked_grants: Vec<GrantId>,
    requests: Vec<Request<'a>>,
    request_members: Vec<MemberId>,
    batches: Vec<Batch>,
    console: VecDeque<ConsoleJob>,
    console_scheduled: bool,
    console_free_at: SimTime,
    api: api::Budget,
    pools: Vec<Pool>,
    admins_by_tier: [Vec<AdminId>; 3],
    /// Members no decision has taken yet.
    untouched: u32,
    split_members: Range<u32>,
    split_deadline: SimTime,
    /// When the run will be read; nothing after it is observed.
    horizon: SimTime,
    /// The leak-risk points read at the horizon (times after a decision).
    leak_risk_at: &'a [SimDuration],
    /// Scripted steps taken so far (trials) and those applied (hits).
    script_steps: Count,
    /// Residue changes of unbound members, signed into the survival points.
    residue_clock: residue::ResidueClock,
    obs: Observations,
    /// One subject's path, kept only when asked for (`traced`); a cell,
    /// since draws are made through `&self`.
    trace: Option<Box<RefCell<Trace>>>,
}

impl<'a> World<'a> {
    pub fn new(
        org: &'a Org,
        policy: &'a Policy,
        behaviour: &'a Behaviour,
        workload: &'a Workload,
        streams: Streams,
    ) -> Self {
        let mut pools = vec![Pool::new(PoolKind::Approvers, policy.approval.clone())];
        pools.extend(second_pool(&workload.kind));
        World {
            org,
            policy,
            behaviour,
            workload,
            streams,
            members: vec![MemberRun { request: NONE, batch: NONE, ..MemberRun::default() }; org.members.len()],
            devices: vec![DeviceRun::default(); org.devices.len()],
            grants: vec![GrantRun::default(); org.grants.len()],
            revoked_grants: Vec::with_capacity(org.grants.len()),
            requests: Vec::new(),
            request_members: Vec::new(),
            batches: Vec::new(),
            console: VecDeque::new(),
            console_scheduled: false,
            console_free_at: SimTime::ZERO,
            api: api::Budget::default(),
            pools,
            admins_by_tier: AdminTier::ALL.map(|tier| org.admins_of(tier).collect()),
            untouched: org.members.len() as u32,
            split_members: 0..0,
            split_deadline: SimTime::NEVER,
            horizon: SimTime::NEVER,
            leak_risk_at: &LEAK_RISK_DEFAULT,
            script_steps: Count::default(),
            residue_clock: residue::ResidueClock::new(LEAK_RISK_DEFAULT.len()),
            obs: Observations { console_backlog: ConsoleBacklog::at(&LEAK_RISK_DEFAULT), ..Observations::default() },
            trace: None,
        }
    }

    /// Keeps the path of `trace`'s subject through the run, read back with
    /// `take_trace` before `finish`.
    pub fn traced(mut self, trace: Trace) -> Self {
        self.trace = Some(Box::new(RefCell::new(trace)));
        self
    }

    /// The trace kept so far, if one was asked for.
    pub fn take_trace(&mut self) -> Option<Trace> {
        self.trace.take().map(|trace| trace.into_inner())
    }

    /// Observes the run only up to `horizon` (the default: until it drains).
    /// Outcomes settled at a decision (a token use to come) count only if
    /// they fall no later than the horizon.
    pub fn observed_until(mut self, horizon: SimTime) -> Self {
        self.horizon = horizon;
        self.obs.api.horizon_us = if horizon == SimTime::NEVER { 0 } else { horizon.as_micros() };
        self
    }

    /// Reads the leak risk at `points` after each decision, and the
    /// console's backlog at the same times from the start of the run (the
    /// default: `LEAK_RISK_DEFAULT`).
    pub fn with_leak_risk_at(mut self, points: &'a [SimDuration]) -> Self {
        self.leak_risk_at = points;
        self.residue_clock = residue::ResidueClock::new(points.len());
        self.obs.console_backlog = ConsoleBacklog::at(points);
        self
    }

    /// Schedules the workload's first arrival.
    pub fn start(&mut self, ctx: &mut Context<'_, Event>) {
        arrivals::schedule_arrival(self, ctx, 0);
    }

    /// Scripted steps taken so far (`trials`) and how many were applied
    /// (`hits`); the rest were refused.
    pub fn script_steps(&self) -> Count {
        self.script_steps
    }

    /// The pools' names, by the slot `Event::PoolDone` names.
    pub fn pool_names(&self) -> Vec<&'static str> {
        self.pools.iter().map(|pool| pool.kind.name()).collect()
    }

    pub fn member_state(&self, member: MemberId) -> MemberState {
        self.members[member.index()].state
    }

    pub fn device_state(&self, device: DeviceId) -> DeviceState {
        self.devices[device.index()].state
    }

    pub fn grant_state(&self, grant: GrantId) -> GrantState {
        self.grants[grant.index()].state
    }
}

impl Model for World<'_> {
    type Event = Event;
    type Fault = IllegalTransition;

    fn handle(&mut self, event: Event, ctx: &mut Context<'_, Event>) -> Result<(), IllegalTransition> {
        if let Some(trace) = &self.trace {
            trace.borrow_mut().enter(ctx.now(), event);
        }
        match event {
            Event::Arrival { index } => arrivals::arrive(self, ctx, index),
            Event::PoolDone { pool, request } => pipeline::pool_done(self, ctx, pool, request),
            Event::Effective { request } => pipeline::effective(self, ctx, request),
            Event::ConsoleReady => pipeline::console_ready(self, ctx),
            Event::HandoverDone { member } => member::start_buffer(self, ctx, member),
            Event::Revoke { member } => member::revoke(self, ctx, member),
            Event::MemberAct { member, index } => {
                member::act(self, ctx, member, index);
                Ok(())
            }
            Event::DeviceChangeDone { member } => device::change_done(self, ctx, member),
            Event::ExportDone { member } => {
                member::export_done(self, member);
                Ok(())
            }
            Event::Dispute { member } => {
                member::dispute(self, member);
                Ok(())
            }
            Event::Escalate { member } => pipeline::escalate(self, ctx, member),
            Event::DeviceCheckIn { device } => device::check_in(self, ctx, device),
            Event::ChatRetentionEnd { device } => {
                device::retention_end(self, device, ctx.now());
                Ok(())
            }
            Event::AutoLogout { device } => device::auto_logout(self, ctx, device),
            Event::LockoutRecovered { member } => device::recover_lockout(self, ctx, member),
            Event::LostDeviceUnbound { device } => device::unbind_lost(self, ctx, device),
            Event::VendorUnbind { grant } => self.set_grant(grant, GrantState::VendorUnbound),
            Event::RollbackDeadline => split::rollback(self),
            Event::ArchivePurge => {
                member::purge_archive(self, ctx.now());
                Ok(())
            }
        }
    }
}

pub use finish::finish;

/// The pool of people a workload adds beside the approvers, in slot
/// `SECOND_POOL`.
fn second_pool(kind: &WorkloadKind) -> Option<Pool> {
    match kind {
        WorkloadKind::ComplianceDualControl(params) => {
            Some(Pool::new(PoolKind::ComplianceOfficers, params.officers.clone()))
        }
        WorkloadKind::SubsidiarySplit(params) => Some(Pool::new(PoolKind::Rebinders, params.rebinders.clone())),
        WorkloadKind::SelfExit
        | WorkloadKind::AdminBatch(_)
        | WorkloadKind::DeviceChange(_)
        | WorkloadKind::AppGrants
        | WorkloadKind::Dissolution(_)
        | WorkloadKind::GdprExport(_)
        | WorkloadKind::Script { .. } => None,
    }
}

/// One member whose account a run revoked: when its request was decided,
/// when the account was cut, and the batch it was cut in.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct AccountRevocation {
    pub member: MemberId,
    pub batch: u32,
    pub decided_at: SimTime,
    pub revoked_at: SimTime,
}

impl World<'_> {
    /// Every member whose account is cut (revoked or fully unbound) so far,
    /// in order of revocation time, then batch, then member id. App-only
    /// revocations and device changes keep the account and are left out.
    pub fn account_revocations(&self) -> Vec<AccountRevocation> {
        let mut out: Vec<AccountRevocation> = self
            .members
            .iter()
            .enumerate()
            .filter(|(_, run)| matches!(run.state, MemberState::Revoked | MemberState::Unbound) && run.batch != NONE)
            .map(|(index, run)| AccountRevocation {
                member: MemberId(index as u32),
                batch: run.batch,
                decided_at: self.batches[run.batch as usize].decided_at,
                revoked_at: run.revoked_at,
            })
            .collect();
        out.sort_by_key(|r| (r.revoked_at, r.batch, r.member.0));
        out
    }
}

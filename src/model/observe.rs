//! What one run observed: raw counts and latency samples, as plain numbers.
//! The metrics layer turns them into rates, intervals and histograms; the
//! model only counts.

use super::exposure::ExposureTally;
use super::modules::Module;
use super::platform::{Platform, ResidueKind};
use super::queues::ConsoleBacklog;
use super::residue_survival::ResidueSurvivalTally;
use crate::engine::{SimDuration, SimTime};

/// A kind of grace-period race: something that happened while the model
/// was inconsistent.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum RaceKind {
    /// A member acted inside the buffer before revocation.
    ActionDuringBuffer,
    /// An app accepted a token after the member was disabled.
    TokenAfterDisable,
    /// A re-bind was in flight when the rollback fired.
    RebindVsRollback,
    /// A department admin's delayed action landed on a member a super admin
    /// had already taken.
    TierDelayConflict,
    /// A GDPR export was still running when revocation cut it off.
    ExportCutOff,
    /// A dispute arrived for a member with no export and no cloud copy.
    DisputeWithoutData,
}

impl RaceKind {
    pub const ALL: [RaceKind; 6] = [
        RaceKind::ActionDuringBuffer,
        RaceKind::TokenAfterDisable,
        RaceKind::RebindVsRollback,
        RaceKind::TierDelayConflict,
        RaceKind::ExportCutOff,
        RaceKind::DisputeWithoutData,
    ];

    pub fn name(self) -> &'static str {
        match self {
            RaceKind::ActionDuringBuffer => "action_during_buffer",
            RaceKind::TokenAfterDisable => "token_after_disable",
            RaceKind::RebindVsRollback => "rebind_vs_rollback",
            RaceKind::TierDelayConflict => "tier_delay_conflict",
            RaceKind::ExportCutOff => "export_cut_off",
            RaceKind::DisputeWithoutData => "dispute_without_data",
        }
    }

    /// What one exposed unit is.
    pub fn exposed_unit(self) -> RaceUnit {
        match self {
            RaceKind::TokenAfterDisable => RaceUnit::Grants,
            RaceKind::ActionDuringBuffer
            | RaceKind::RebindVsRollback
            | RaceKind::TierDelayConflict
            | RaceKind::ExportCutOff
            | RaceKind::DisputeWithoutData => RaceUnit::Members,
        }
    }

    /// Whether the race's hits come in whole batches: a re-bind batch that
    /// misses the window is rolled back as one, so every member in it
    /// races together and a replication holds only a few such draws.
    pub fn hits_come_in_batches(self) -> bool {
        self == RaceKind::RebindVsRollback
    }

    /// The exposed unit's name: members, or grants for token races.
    pub fn unit(self) -> &'static str {
        match self.exposed_unit() {
            RaceUnit::Members => "members",
            RaceUnit::Grants => "grants",
        }
    }

    pub fn index(self) -> usize {
        self as usize
    }
}

/// What a race kind's exposure counts: members, or grants (a grant is hit
/// once however many times its token is accepted after revocation; each
/// accepted use is an event).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RaceUnit {
    Members,
    Grants,
}

/// The race kinds one member has seen: a bit per kind, in a set of its own
/// so no other member flag shares its bits.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct RaceSet(u8);

// Every race kind needs a bit of its own.
const _: () = assert!(RaceKind::ALL.len() <= u8::BITS as usize);

impl RaceSet {
    pub fn contains(self, kind: RaceKind) -> bool {
        self.0 & Self::bit(kind) != 0
    }

    /// Adds `kind`; true if it was not in the set yet.
    pub fn insert(&mut self, kind: RaceKind) -> bool {
        let new = !self.contains(kind);
        self.0 |= Self::bit(kind);
        new
    }

    pub fn is_empty(self) -> bool {
        self.0 == 0
    }

    fn bit(kind: RaceKind) -> u8 {
        1 << kind.index()
    }
}

/// Why a batch had not finished at the horizon, as far as the model can
/// tell; the first that applies to any of its members names the batch.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Unfinished {
    /// A device was told to log out and never checked in (its platform's
    /// auto-logout, if any, had not come yet).
    NeverCheckedIn,
    /// The member locked the account by uninstalling first; its recovery
    /// was still pending.
    LockedOut,
    /// An uninstalled or lost device on a platform without auto-logout
    /// (Windows): it stays bound.
    NoAutoLogout,
    /// The re-bind window closed first: the member rolled back.
    RolledBack,
    /// Still on its way: a longer horizon would have seen more of it.
    Horizon,
}

impl Unfinished {
    pub const ALL: [Unfinished; 5] = [
        Unfinished::NeverCheckedIn,
        Unfinished::LockedOut,
        Unfinished::NoAutoLogout,
        Unfinished::RolledBack,
        Unfinished::Horizon,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Unfinished::NeverCheckedIn => "never_checked_in",
            Unfinished::LockedOut => "locked_out",
            Unfinished::NoAutoLogout => "no_auto_logout",
            Unfinished::RolledBack => "rolled_back",
            Unfinished::Horizon => "horizon",
        }
    }

    /// In words, for tables.
    pub fn words(self) -> &'static str {
        match self {
            Unfinished::NeverCheckedIn => "never checked in",
            Unfinished::LockedOut => "locked out, recovery pending",
            Unfinished::NoAutoLogout => "Windows never logs out",
            Unfinished::RolledBack => "rolled back",
            Unfinished::Horizon => "still running",
        }
    }

    pub fn index(self) -> usize {
        self as usize
    }
}

/// The admin tier behind a batch of an admin-batch workload; a member a
/// super admin took over from a department request is `Escalated`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum BatchTier {
    Super,
    Department,
    App,
    Escalated,
}

impl BatchTier {
    pub const ALL: [BatchTier; 4] = [BatchTier::Super, BatchTier::Department, BatchTier::App, BatchTier::Escalated];

    pub fn name(self) -> &'static str {
        match self {
            BatchTier::Super => "super",
            BatchTier::Department => "department",
            BatchTier::App => "app",
            BatchTier::Escalated => "escalated",
        }
    }

    pub fn index(self) -> usize {
        self as usize
    }
}

/// Batches unfinished at the horizon: each one's censoring time (horizon −
/// decision) in microseconds, and how many are unfinished for each reason.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Censored {
    pub times_us: Vec<u64>,
    /// In `Unfinished::ALL` order.
    pub by_reason: [u64; Unfinished::ALL.len()],
}

impl Censored {
    pub fn record(&mut self, time_us: u64, reason: Unfinished) {
        self.times_us.push(time_us);
        self.by_reason[reason.index()] += 1;
    }
}

/// Batch latencies of one admin tier: finished and censored.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct TierLatencies {
    pub completed_us: Vec<u64>,
    pub censored: Censored,
}

/// Hits out of trials.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Count {
    pub hits: u64,
    pub trials: u64,
}

impl Count {
    pub fn record(&mut self, hit: bool) {
        self.trials += 1;
        self.hits += u64::from(hit);
    }
}

/// One race kind: how many times it happened, and how many exposed units
/// (members or grants) it touched at least once.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct RaceTally {
    pub events: u64,
    pub units: Count,
}

/// Waits in one pool of people (approvers, officers, re-binders).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct QueueTally {
    pub served: u64,
    /// Each served request's wait, arrival to a server taking it.
    pub waits_us: Vec<u64>,
    /// Horizon − arrival of each request still waiting at the horizon.
    pub waiting_at_horizon_us: Vec<u64>,
    pub wait_sum_us: u64,
    pub wait_max_us: u64,
    pub busy_sum_us: u64,
    pub servers: u32,
    /// Requests a server picked up too late to act (a re-bind batch after
    /// the rollback): neither served nor counted in waits or service.
    pub abandoned: u64,
}

/// How targeted members ended, at the horizon.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Outcomes {
    pub untouched: u64,
    pub done: u64,
    pub pending: u64,
    pub locked_out: u64,
    pub rolled_back: u64,
}

impl Outcomes {
    pub fn total(&self) -> u64 {
        self.untouched + self.done + self.pending + self.locked_out + self.rolled_back
    }
}

/// Residue surviving at the horizon.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ResidueTally {
    /// Members whose unbind took effect, with any residue left.
    pub members: Count,
    /// Per residue kind, hits among the same members.
    pub by_kind: [u64; ResidueKind::ALL.len()],
    /// Per residue kind, the same members who could have left it at all
    /// (a device of a platform that leaves it, a revoked grant, a
    /// dissolution's archive, a GDPR unbind's cloud copy): zero where the
    /// kind cannot occur.
    pub at_risk_by_kind: [u64; ResidueKind::ALL.len()],
    /// Devices the unbind touched, with any residue left, per platform.
    pub devices_by_platform: [Count; Platform::ALL.len()],
    /// Grants revoked, whose app data survives.
    pub grants: Count,
}

/// The directory API's calls in one run: what was accepted, refused by a
/// limit (error 45009) or wasted on a stale id, and how long the console
/// waited on a limit.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ApiTally {
    /// Calls the API accepted (a delete that failed on a stale id included).
    pub calls: u64,
    /// Calls refused by a limit (error 45009); each blocks the caller.
    pub errors_45009: u64,
    /// Delete calls that failed whole on a stale id and were retried.
    pub stale_failures: u64,
    /// Most calls accepted in one fixed minute of simulated time.
    pub peak_per_minute: u64,
    /// Time the console waited for a window or a cycle to open, up to the
    /// horizon.
    pub blocked_us: u64,
    /// The horizon the blocked time is a share of; 0 without one.
    pub horizon_us: u64,
}

/// Audit records: every admin action (an account disabled by an admin or
/// the system, a member's app access archived, a lost device unbound from
/// the console, a locked account recovered) writes one record (time,
/// actor, item). Only counts are kept: whether a record is still kept at
/// the horizon is settled when it is written (its age at the horizon
/// against `policy.audit_retention`), so no record is stored.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct AuditTally {
    pub records: u64,
    /// Records younger than the retention at the horizon.
    pub kept: u64,
    /// Members whose account was cut, by any path.
    pub offboarded: u64,
}

impl AuditTally {
    /// One record written at `now`; a run read at `horizon` still keeps it
    /// if it is younger than `retention` there (a run without a horizon
    /// keeps every record).
    pub fn record(&mut self, now: SimTime, horizon: SimTime, retention: SimDuration) {
        self.records += 1;
        let kept = horizon == SimTime::NEVER || now + retention > horizon;
        self.kept += u64::from(kept);
    }
}

/// Modules an admin's disable kept live (`policy.keep_modules`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ModuleTally {
    /// Members whose account was cut (trials) and those who kept a module
    /// (hits: cut on a path that keeps modules, an admin's or the system's
    /// disable, while `policy.keep_modules` lists any).
    pub access: Count,
    /// Members who kept each module, in `Module::ALL` order: each keeps
    /// its data (the module's residue) and its live access.
    pub by_module: [u64; Module::ALL.len()],
    /// Members with a module kept (trials) who reached one after their
    /// account was cut, no later than the horizon (hits).
    pub used: Count,
}

/// Customers and group chats handed over by API after members left
/// (`policy.customer_handover`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct CustomerTally {
    /// Members whose handover started (with customers or group chats).
    pub members: u64,
    /// Transfer calls issued (at most 100 customers each).
    pub calls: u64,
    /// Customers whose takeover ended by the horizon (status 1, 3 or 4).
    pub settled: u64,
    /// Of those, refused by the customer (status 3).
    pub refused: u64,
    /// Of those, lost to the successor's full quota (status 4).
    pub quota_full: u64,
    /// Customers still waiting at the horizon (status 2).
    pub waiting: u64,
    /// Group chats of the members whose handover started.
    pub group_chats: u64,
    /// Members with more group chats than one day's transfer takes.
    pub multi_day_owners: u64,
    /// Most days one member's group chats took.
    pub group_chat_days_max: u64,
    /// Handovers whose last customer and group chat were taken over by
    /// the horizon, and the sum (whole seconds) and largest time from
    /// the leave to that last takeover.
    pub done: u64,
    pub time_sum_s: u64,
    pub time_max_s: u64,
}

impl CustomerTally {
    /// Customers lost: refused or over the successor's quota.
    pub fn lost(&self) -> u64 {
        self.refused + self.quota_full
    }
}

/// Everything one run observed.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Observations {
    /// Decision to last member fully unbound (account, grants, devices
    /// confirmed), per completed batch.
    pub batch_latencies_us: Vec<u64>,
    /// Decision to last member revoked (account and grants cut), per batch.
    pub revocation_latencies_us: Vec<u64>,
    /// Horizon − decision of each batch not fully unbound at the horizon,
    /// and why.
    pub batch_censored: Censored,
    /// Horizon − decision of each batch not yet revoked at the horizon.
    pub revocation_censored: Censored,
    /// Batch latencies (finished and censored) per admin tier, in
    /// `BatchTier::ALL` order; empty where the workload has no tiers.
    pub batch_by_tier: [TierLatencies; BatchTier::ALL.len()],
    pub requests: u64,
    /// Batches measured: console batches, or whole requests without one.
    pub batches: u64,
    /// Batches with a member not yet revoked at the horizon.
    pub batches_unrevoked: u64,
    /// Batches with a member not yet fully unbound at the horizon.
    pub batches_incomplete: u64,
    pub console_batches: u64,
    pub largest_console_batch: u32,
    pub races: [RaceTally; RaceKind::ALL.len()],
    /// Targeted members that saw at least one race of any kind.
    pub members_raced: Count,
    /// Lockouts among member-driven device unbinds, per platform.
    pub lockouts_by_platform: [Count; Platform::ALL.len()],
    /// Lockouts among device changes that uninstalled the app first, per
    /// platform.
    pub lockouts_given_uninstall_by_platform: [Count; Platform::ALL.len()],
    /// Lock to recovery, per lockout recovered before the horizon.
    pub lockout_durations_us: Vec<u64>,
    /// Horizon − lock of each lockout not recovered at the horizon.
    pub lockout_censored: Censored,
    pub residue: ResidueTally,
    pub outcomes: Outcomes,
    /// Approval / officer / re-binder pools, by name.
    pub queues: Vec<(&'static str, QueueTally)>,
    /// Members queued for the admin console, over the run.
    pub console_backlog: ConsoleBacklog,
    /// Invariant counters: must stay zero.
    pub scope_violations: u64,
    pub tokens_accepted_after_expiry: u64,
    /// Over grants whose token was accepted after revocation: the sum (in
    /// whole seconds, so a large org's sum stays far from overflow) and the
    /// largest time from revocation to the last accepted use.
    pub token_last_use_sum_s: u64,
    pub token_last_use_max_ms: u64,
    pub api: ApiTally,
    pub audit: AuditTally,
    /// Full-overwrite imports of deletions (trials) and those the
    /// mass-deletion guard aborted (hits).
    pub guard: Count,
    pub modules: ModuleTally,
    pub customers: CustomerTally,
    /// Offboarded members' exposure windows and leak-risk points.
    pub exposure: ExposureTally,
    /// Residue survival after unbind at the leak-risk points.
    pub residue_over_time: ResidueSurvivalTally,
}

//! What a run is configured with besides the organisation: the policy the
//! enterprise sets, how people behave, and the workload (who unbinds what,
//! when). Defaults are the figures of the domain; a scenario file overrides
//! any of them. `validate` checks every bound and names the offending field.

use super::ids::MemberId;
use super::platform::Platform;
use super::script::{MAX_SCRIPT_STEPS, ScriptStep};
use crate::engine::{Dist, SimDuration};

/// WeCom's `user/batchdelete` takes at most this many ids per call.
pub const DEFAULT_BATCH_LIMIT: u32 = 200;
/// The longest buffer the domain allows before revocation takes effect.
pub const MAX_BUFFER: SimDuration = SimDuration::from_hours(72);

/// Basic edition: all-or-nothing disable, no MDM. Pro: per-module revoke and
/// remote wipe.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Edition {
    Basic,
    Pro,
}

/// A pool of people serving requests first come, first served: approvers,
/// compliance officers, subsidiary admins. With Poisson arrivals and
/// exponential service it is an M/M/c queue.
#[derive(Clone, Debug, PartialEq)]
pub struct PoolConfig {
    pub servers: u32,
    pub service: Dist,
}

/// The enterprise's unbind policy.
#[derive(Clone, Debug, PartialEq)]
pub struct Policy {
    /// Delay between an unbind taking effect and revocation (0–72 h).
    pub buffer: SimDuration,
    pub edition: Edition,
    /// Remote-wipe devices of unbound members (pro edition only).
    pub mdm_wipe: bool,
    /// Validity of an OAuth access token issued to an app.
    pub token_ttl: SimDuration,
    /// Time for a revocation to reach an app that introspects tokens.
    pub revocation_propagation: Dist,
    /// How long local chat history stays on a device after unbind.
    pub chat_retention: SimDuration,
    /// Most accounts one console batch may disable.
    pub batch_limit: u32,
    /// Least time between two console batches (the admin console's rate).
    pub console_gap: SimDuration,
    /// Superiors confirming department admins' requests.
    pub approval: PoolConfig,
    /// When a department admin's confirmed request takes effect.
    pub department_delay: Dist,
    /// When an app admin's request takes effect.
    pub app_admin_delay: Dist,
    /// Group-owner / pending-approval handover before revocation.
    pub handover: Dist,
    /// Time for an online device to receive a logout or wipe.
    pub device_checkin: Dist,
}

impl Default for Policy {
    fn default() -> Self {
        Policy {
            buffer: SimDuration::ZERO,
            edition: Edition::Pro,
            mdm_wipe: false,
            token_ttl: SimDuration::from_days(7),
            revocation_propagation: Dist::Exp { mean: SimDuration::from_mins(15) },
            chat_retention: SimDuration::from_days(30),
            batch_limit: DEFAULT_BATCH_LIMIT,
            console_gap: SimDuration::from_secs(6),
            approval: PoolConfig { servers: 10, service: Dist::Exp { mean: SimDuration::from_hours(1) } },
            department_delay: Dist::Uniform { low: SimDuration::ZERO, high: SimDuration::from_hours(24) },
            app_admin_delay: Dist::Fixed(SimDuration::from_hours(6)),
            handover: Dist::Uniform { low: SimDuration::from_hours(1), high: SimDuration::from_hours(24) },
            device_checkin: Dist::Exp { mean: SimDuration::from_mins(15) },
        }
    }
}

impl Policy {
    /// Checks the policy's bounds; errors name the field.
    pub fn validate(&self) -> Result<(), FieldError> {
        if self.buffer > MAX_BUFFER {
            return Err(FieldError::new("policy.buffer", format!("must be at most 72h, got {}", self.buffer)));
        }
        if self.mdm_wipe && self.edition == Edition::Basic {
            return Err(FieldError::new("policy.mdm_wipe", "remote wipe needs edition = \"pro\""));
        }
        if self.token_ttl.is_zero() {
            return Err(FieldError::new("policy.token_ttl", "must be greater than zero"));
        }
        if self.batch_limit == 0 {
            return Err(FieldError::new("policy.batch_limit", "must be at least 1"));
        }
        if self.approval.servers == 0 {
            return Err(FieldError::new("policy.approval.servers", "must be at least 1"));
        }
        check_dist("policy.revocation_propagation", &self.revocation_propagation)?;
        check_dist("policy.approval.service", &self.approval.service)?;
        check_dist("policy.department_delay", &self.department_delay)?;
        check_dist("policy.app_admin_delay", &self.app_admin_delay)?;
        check_dist("policy.handover", &self.handover)?;
        check_dist("policy.device_checkin", &self.device_checkin)
    }
}

/// A per-platform value.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct PerPlatform<T>(pub [T; 4]);

impl<T: Copy> PerPlatform<T> {
    pub fn all(value: T) -> Self {
        PerPlatform([value; 4])
    }
    pub fn get(&self, platform: Platform) -> T {
        self.0[platform.index()]
    }
}

/// How members and their devices behave. Probabilities are per member or
/// per device as named; each is drawn from that entity's own stream.
#[derive(Clone, Debug, PartialEq)]
pub struct Behaviour {
    /// A member uninstalls the app before unbinding a device.
    pub uninstall_before_unbind: f64,
    /// Given an uninstall before unbind, the account locks (claim: 23.6 %).
    pub lockout_given_uninstall: PerPlatform<f64>,
    /// A member skips "revoke authorization" for an app (claim: 68 %).
    pub skip_app_revoke: f64,
    /// An app vendor keeps the company's data after `cancel_auth`.
    pub vendor_keeps_data: f64,
    /// Nobody unbinds a native-unbind app on the vendor's own platform.
    pub native_unbind_skipped: f64,
    /// Time to unbind an app on the vendor's own platform, when done.
    pub native_unbind_delay: Dist,
    /// A member skips "clear app data" when unbinding a device properly.
    pub clear_data_skipped: f64,
    /// A member leaves the device in the trusted-devices list.
    pub trusted_device_kept: f64,
    /// A member leaves biometric records in place.
    pub biometric_kept: f64,
    /// An Android member chooses a full local wipe at self-exit.
    pub android_full_wipe: f64,
    /// Forced cleanup (Apple ID reset, factory reset, HKCU delete) is done.
    pub forced_cleanup: f64,
    /// A device never checks in again (stays pending forever).
    pub device_never_checks_in: f64,
    /// Gap between a member's actions (used while inside a buffer).
    pub activity_gap: Dist,
    /// Gap between an app's uses of a member's token.
    pub app_use_gap: Dist,
    /// Time for a member to get through the exit menus and second factor.
    pub exit_steps: PerPlatform<SimDuration>,
}

impl Default for Behaviour {
    fn default() -> Self {
        Behaviour {
            uninstall_before_unbind: 0.0,
            lockout_given_uninstall: PerPlatform::all(0.236),
            skip_app_revoke: 0.68,
            vendor_keeps_data: 0.2,
            native_unbind_skipped: 0.5,
            native_unbind_delay: Dist::Exp { mean: SimDuration::from_days(2) },
            clear_data_skipped: 0.2,
            trusted_device_kept: 0.5,
            biometric_kept: 0.5,
            android_full_wipe: 0.3,
            forced_cleanup: 0.1,
            device_never_checks_in: 0.0005,
            activity_gap: Dist::Exp { mean: SimDuration::from_hours(8) },
            app_use_gap: Dist::Exp { mean: SimDuration::from_days(1) },
            // Menu depth 3–5 by platform plus the second factor.
            exit_steps: PerPlatform([
                SimDuration::from_secs(90),
                SimDuration::from_secs(90),
                SimDuration::from_secs(45),
                SimDuration::from_secs(60),
            ]),
        }
    }
}

impl Behaviour {
    pub fn validate(&self) -> Result<(), FieldError> {
        let probabilities = [
            ("behaviour.uninstall_before_unbind", self.uninstall_before_unbind),
            ("behaviour.skip_app_revoke", self.skip_app_revoke),
            ("behaviour.vendor_keeps_data", self.vendor_keeps_data),
            ("behaviour.native_unbind_skipped", self.native_unbind_skipped),
            ("behaviour.clear_data_skipped", self.clear_data_skipped),
            ("behaviour.trusted_device_kept", self.trusted_device_kept),
            ("behaviour.biometric_kept", self.biometric_kept),
            ("behaviour.android_full_wipe", self.android_full_wipe),
            ("behaviour.forced_cleanup", self.forced_cleanup),
            ("behaviour.device_never_checks_in", self.device_never_checks_in),
        ];
        for (field, p) in probabilities {
            check_probability(field, p)?;
        }
        for p in self.lockout_given_uninstall.0 {
            check_probability("behaviour.lockout_given_uninstall", p)?;
        }
        check_dist("behaviour.native_unbind_delay", &self.native_unbind_delay)?;
        check_dist("behaviour.activity_gap", &self.activity_gap)?;
        check_dist("behaviour.app_use_gap", &self.app_use_gap)?;
        if self.activity_gap.mean().is_zero() || self.app_use_gap.mean().is_zero() {
            return Err(FieldError::new("behaviour", "activity_gap and app_use_gap must have a positive mean"));
        }
        Ok(())
    }
}

/// How a workload's decisions arrive.
#[derive(Clone, Debug, PartialEq)]
pub enum Arrivals {
    /// A Poisson process with this mean gap, for at most `count` arrivals.
    Poisson { mean_gap: SimDuration, count: u32 },
    /// At these offsets from the start.
    At(Vec<SimDuration>),
    /// `count` arrivals `every` apart, the first at `start`.
    Every { start: SimDuration, every: SimDuration, count: u32 },
}

impl Arrivals {
    /// The most arrivals the process can produce.
    pub fn max_count(&self) -> u32 {
        match self {
            Arrivals::Poisson { count, .. } | Arrivals::Every { count, .. } => *count,
            Arrivals::At(times) => times.len() as u32,
        }
    }
}

/// Shares of admin-batch requests by admin tier.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct TierMix {
    pub super_admin: f64,
    pub department: f64,
    pub app: f64,
}

/// What a workload does, with the parameters peculiar to it.
#[derive(Clone, Debug, PartialEq)]
pub enum WorkloadKind {
    /// Members leave from the app themselves.
    SelfExit,
    /// Admins disable accounts in console batches.
    AdminBatch {
        tiers: TierMix,
        /// A department-tier request's members are also taken by a super
        /// admin (escalation) with this probability each...
        escalation: f64,
        /// ...this long after the department admin's decision.
        escalation_delay: Dist,
    },
    /// Members replace a device; some uninstall before unbinding.
    DeviceChange {
        /// The old device was lost: only a remote wipe can clean it.
        lost_device: f64,
    },
    /// Members are offboarded by a super admin, then asked to revoke their
    /// app authorizations one by one.
    AppGrants,
    /// The enterprise dissolves: review, notice, then everyone at once.
    Dissolution {
        review: Dist,
        /// Staff notice before deregistration (≥ 15 working days).
        notice: SimDuration,
        /// Deregistration is at least this long after the start (30 d).
        lead: SimDuration,
        /// Encrypted data is kept this long after deregistration (180 d).
        archive_retention: SimDuration,
    },
    /// Overseas offboarding under GDPR: written reason, export, cloud copy.
    GdprExport {
        reason: Dist,
        export_share: f64,
        export_time: Dist,
        cloud_copy_kept: f64,
        dispute_share: f64,
        dispute_window: SimDuration,
    },
    /// The parent stops the interconnect; the subsidiary must re-bind its
    /// members within the window or they roll back to the parent.
    SubsidiarySplit { subsidiary_share: f64, rebinders: PoolConfig, window: SimDuration },
    /// HR offboarding under dual control: an authorized admin and a
    /// compliance officer both approve, then the risk team confirms.
    /// The authorized admin is `policy.approval`; the officers are a pool
    /// of their own, and both must approve.
    ComplianceDualControl { officers: PoolConfig, risk_confirm: Dist },
    /// Operations on named members at given times, in time order (ties in
    /// the order written); arrival `i` is step `i`.
    Script { steps: Vec<ScriptStep> },
}

impl WorkloadKind {
    pub fn name(&self) -> &'static str {
        match self {
            WorkloadKind::SelfExit => "self-exit",
            WorkloadKind::AdminBatch { .. } => "admin-batch",
            WorkloadKind::DeviceChange { .. } => "device-change",
            WorkloadKind::AppGrants => "app-grants",
            WorkloadKind::Dissolution { .. } => "dissolution",
            WorkloadKind::GdprExport { .. } => "gdpr-export",
            WorkloadKind::SubsidiarySplit { .. } => "subsidiary-split",
            WorkloadKind::ComplianceDualControl { .. } => "compliance-dual-control",
            WorkloadKind::Script { .. } => "script",
        }
    }
}

/// The workload of a run.
#[derive(Clone, Debug, PartialEq)]
pub struct Workload {
    pub kind: WorkloadKind,
    pub arrivals: Arrivals,
    /// Members each decision covers (a whole-org workload ignores it).
    pub members_per_arrival: u32,
}

impl Workload {
    /// The highest member id a script names (none for other workloads).
    pub fn highest_member(&self) -> Option<MemberId> {
        let WorkloadKind::Script { steps } = &self.kind else { return None };
        steps.iter().map(|step| step.op.member()).max()
    }

    pub fn validate(&self) -> Result<(), FieldError> {
        if self.members_per_arrival == 0 {
            return Err(FieldError::new("workload.members_per_arrival", "must be at least 1"));
        }
        match &self.arrivals {
            Arrivals::Poisson { mean_gap, .. } if mean_gap.is_zero() => {
                return Err(FieldError::new("workload.arrivals", "Poisson rate must be finite"));
            }
            Arrivals::Every { every, count, .. } if every.is_zero() && *count > 1 => {
                return Err(FieldError::new("workload.arrivals", "`every` must be greater than zero"));
            }
            _ => {}
        }
        if self.arrivals.max_count() == 0 {
            return Err(FieldError::new("workload.arrivals", "the workload has no arrivals"));
        }
        self.validate_kind()
    }

    fn validate_kind(&self) -> Result<(), FieldError> {
        let path = |field: &str| format!("workload.{}.{field}", self.kind.name());
        match &self.kind {
            WorkloadKind::AdminBatch { tiers, escalation, escalation_delay } => {
                let total = tiers.super_admin + tiers.department + tiers.app;
                if [tiers.super_admin, tiers.department, tiers.app].iter().any(|s| !(0.0..=1.0).contains(s))
                    || (total - 1.0).abs() > 1e-6
                {
                    return Err(FieldError::new(
                        path("tiers"),
                        format!("shares must lie in [0, 1] and sum to 1, got {total}"),
                    ));
                }
                check_probability(&path("escalation"), *escalation)?;
                check_dist(&path("escalation_delay"), escalation_delay)
            }
            WorkloadKind::DeviceChange { lost_device } => check_probability(&path("lost_device"), *lost_device),
            WorkloadKind::Dissolution { review, .. } => check_dist(&path("review"), review),
            WorkloadKind::GdprExport { reason, export_share, export_time, cloud_copy_kept, dispute_share, .. } => {
                check_dist(&path("reason"), reason)?;
                check_dist(&path("export_time"), export_time)?;
                check_probability(&path("export_share"), *export_share)?;
                check_probability(&path("cloud_copy_kept"), *cloud_copy_kept)?;
                check_probability(&path("dispute_share"), *dispute_share)
            }
            WorkloadKind::SubsidiarySplit { subsidiary_share, rebinders, .. } => {
                check_probability(&path("subsidiary_share"), *subsidiary_share)?;
                check_pool(&path("rebinders"), rebinders)
            }
            WorkloadKind::ComplianceDualControl { officers, risk_confirm } => {
                check_pool(&path("officers"), officers)?;
                check_dist(&path("risk_confirm"), risk_confirm)
            }
            WorkloadKind::Script { steps } => self.validate_script(steps),
            WorkloadKind::SelfExit | WorkloadKind::AppGrants => Ok(()),
        }
    }

    /// A script's steps are its arrivals, in time order, at most
    /// `MAX_SCRIPT_STEPS` of them.
    fn validate_script(&self, steps: &[ScriptStep]) -> Result<(), FieldError> {
        if steps.len() > MAX_SCRIPT_STEPS {
            return Err(FieldError::new(
                "workload.script.steps",
                format!("at most {MAX_SCRIPT_STEPS} steps, got {}", steps.len()),
            ));
        }
        let times: Vec<SimDuration> = steps.iter().map(|step| step.at).collect();
        if !times.is_sorted() || self.arrivals != Arrivals::At(times) {
            return Err(FieldError::new("workload.script.steps", "steps must be the arrivals, in time order"));
        }
        Ok(())
    }
}

/// A configuration value out of bounds: which field, and what is allowed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FieldError {
    pub field: String,
    pub message: String,
}

impl FieldError {
    pub fn new(field: impl Into<String>, message: impl Into<String>) -> Self {
        FieldError { field: field.into(), message: message.into() }
    }
}

impl std::fmt::Display for FieldError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "`{}`: {}", self.field, self.message)
    }
}

fn check_probability(field: &str, p: f64) -> Result<(), FieldError> {
    if (0.0..=1.0).contains(&p) {
        Ok(())
    } else {
        Err(FieldError::new(field, format!("must be a probability in [0, 1], got {p}")))
    }
}

fn check_dist(field: &str, dist: &Dist) -> Result<(), FieldError> {
    dist.validate().map_err(|message| FieldError::new(field, message))
}

fn check_pool(field: &str, pool: &PoolConfig) -> Result<(), FieldError> {
    if pool.servers == 0 {
        return Err(FieldError::new(format!("{field}.servers"), "must be at least 1"));
    }
    check_dist(&format!("{field}.service"), &pool.service)
}

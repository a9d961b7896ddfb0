//! What a run is configured with besides the organisation and the workload
//! (see `workload`): the policy the enterprise sets and how people behave.
//! Defaults are the figures of the domain; a scenario file overrides any of
//! them. `validate` checks every bound and names the offending field.

use super::customers::CustomerHandover;
use super::modules::ModuleSet;
use super::platform::Platform;
use crate::engine::{Dist, SimDuration};

/// WeCom's `user/batchdelete` takes at most this many ids per call.
pub const DEFAULT_BATCH_LIMIT: u32 = 200;
/// Audit logs a finance compliance scenario keeps: 7 years of 365 days.
pub const DEFAULT_AUDIT_RETENTION: SimDuration = SimDuration::from_days(7 * 365);
/// The longest buffer the domain allows before revocation takes effect.
const MAX_BUFFER: SimDuration = SimDuration::from_hours(72);

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
    /// Time for an admin or a support ticket to recover an account locked
    /// by uninstalling before unbinding.
    pub lockout_recovery: Dist,
    /// When an admin, told of a lost device, unbinds it from the console
    /// (the server drops its binding; its data stays on it); `None`: no
    /// admin does, and without a wipe it waits for its auto-logout.
    pub lost_device_unbind: Option<Dist>,
    /// The directory API's call limits the console and the dissolution
    /// run into (see `model::world::api`).
    pub api_limits: ApiLimits,
    /// How long an audit record is kept (finance: 7 years, 2555 d).
    pub audit_retention: SimDuration,
    /// How long an import the mass-deletion guard aborted takes to go the
    /// other way (an assumption: a day to raise the limit with support or
    /// delete through the API instead).
    pub guard_bypass_delay: SimDuration,
    /// Modules an admin's disable keeps live (pro edition only; empty:
    /// every module is revoked, as the basic edition always does).
    pub keep_modules: ModuleSet,
    /// Customers and group chats handed over by API after a member
    /// leaves; `None`: not modelled.
    pub customer_handover: Option<CustomerHandover>,
}

/// Whose API call limits apply: a vendor's preset or a table of its own.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ApiLimits {
    /// WeCom: 10 000 calls/min and 150 000/h per company and API, 20 000/min
    /// per IP; `user/batchdelete` takes up to 200 ids.
    WeCom,
    /// Slack SCIM: 600 writes/min org-wide, of which DELETE 180/min; no
    /// bulk delete (one id a call).
    SlackScim,
    /// Entra ID provisioning: calls go out only at the start of a cycle,
    /// about every 40 min, and a cycle sends every change pending at its
    /// start (the console's gap does not apply).
    Entra,
    /// No limit at all.
    None,
    /// Per API: calls per minute and per hour (either may be absent).
    Table { per_minute: Option<u32>, per_hour: Option<u32> },
}

/// Calls per API and per minute or hour, as `ApiLimits` resolve to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ApiRules {
    /// Calls one API accepts in one fixed minute.
    pub api_per_minute: Option<u32>,
    /// Calls one API accepts in one fixed hour.
    pub api_per_hour: Option<u32>,
    /// Calls the delete API accepts in one fixed minute (beside the above).
    pub deletes_per_minute: Option<u32>,
    /// Calls all APIs together accept in one fixed minute (WeCom: per IP).
    pub all_per_minute: Option<u32>,
    /// Calls go out only at multiples of this cycle (Entra).
    pub cycle: Option<SimDuration>,
    /// Most ids one delete call takes.
    pub ids_per_delete: u32,
}

impl ApiLimits {
    /// The limits the preset or table stands for.
    pub fn rules(self) -> ApiRules {
        let unlimited = ApiRules {
            api_per_minute: None,
            api_per_hour: None,
            deletes_per_minute: None,
            all_per_minute: None,
            cycle: None,
            ids_per_delete: DEFAULT_BATCH_LIMIT,
        };
        match self {
            ApiLimits::WeCom => ApiRules {
                api_per_minute: Some(10_000),
                api_per_hour: Some(150_000),
                all_per_minute: Some(20_000),
                ..unlimited
            },
            ApiLimits::SlackScim => {
                ApiRules { deletes_per_minute: Some(180), all_per_minute: Some(600), ids_per_delete: 1, ..unlimited }
            }
            ApiLimits::Entra => ApiRules { cycle: Some(SimDuration::from_mins(40)), ids_per_delete: 1, ..unlimited },
            ApiLimits::None => unlimited,
            ApiLimits::Table { per_minute, per_hour } => {
                ApiRules { api_per_minute: per_minute, api_per_hour: per_hour, ..unlimited }
            }
        }
    }

    /// The preset's name in scenario files, or `None` for a table.
    pub fn preset_name(self) -> Option<&'static str> {
        match self {
            ApiLimits::WeCom => Some("wecom"),
            ApiLimits::SlackScim => Some("slack-scim"),
            ApiLimits::Entra => Some("entra"),
            ApiLimits::None => Some("none"),
            ApiLimits::Table { .. } => None,
        }
    }
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
            // A support ticket: about two days, often longer.
            lockout_recovery: Dist::LogNormal { median: SimDuration::from_days(2), sigma: 0.8 },
            lost_device_unbind: None,
            api_limits: ApiLimits::WeCom,
            audit_retention: DEFAULT_AUDIT_RETENTION,
            guard_bypass_delay: SimDuration::from_days(1),
            keep_modules: ModuleSet::EMPTY,
            customer_handover: None,
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
        if !self.keep_modules.is_empty() && self.edition == Edition::Basic {
            return Err(FieldError::new(
                "policy.keep_modules",
                "per-module revoke needs edition = \"pro\" (the basic edition disables all or nothing)",
            ));
        }
        if let Some(handover) = &self.customer_handover {
            handover.validate()?;
        }
        if self.token_ttl.is_zero() {
            return Err(FieldError::new("policy.token_ttl", "must be greater than zero"));
        }
        if self.batch_limit == 0 {
            return Err(FieldError::new("policy.batch_limit", "must be at least 1"));
        }
        if self.audit_retention.is_zero() {
            return Err(FieldError::new("policy.audit_retention", "must be greater than zero"));
        }
        if self.approval.servers == 0 {
            return Err(FieldError::new("policy.approval.servers", "must be at least 1"));
        }
        check_dist("policy.revocation_propagation", &self.revocation_propagation)?;
        check_dist("policy.approval.service", &self.approval.service)?;
        check_dist("policy.department_delay", &self.department_delay)?;
        check_dist("policy.app_admin_delay", &self.app_admin_delay)?;
        check_dist("policy.handover", &self.handover)?;
        check_dist("policy.device_checkin", &self.device_checkin)?;
        check_dist("policy.lockout_recovery", &self.lockout_recovery)?;
        if let ApiLimits::Table { per_minute: Some(0), .. } | ApiLimits::Table { per_hour: Some(0), .. } =
            self.api_limits
        {
            return Err(FieldError::new("policy.api_limits", "a limit must be at least 1 call"));
        }
        match &self.lost_device_unbind {
            Some(dist) => check_dist("policy.lost_device_unbind", dist),
            None => Ok(()),
        }
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
    /// Share of the ids in a delete call that are stale (the member is
    /// already gone): one such id fails the whole `user/batchdelete`,
    /// which is retried without them.
    pub stale_id_share: f64,
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
            stale_id_share: 0.0,
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
            ("behaviour.stale_id_share", self.stale_id_share),
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

pub(super) fn check_probability(field: &str, p: f64) -> Result<(), FieldError> {
    if (0.0..=1.0).contains(&p) {
        Ok(())
    } else {
        Err(FieldError::new(field, format!("must be a probability in [0, 1], got {p}")))
    }
}

pub(super) fn check_dist(field: &str, dist: &Dist) -> Result<(), FieldError> {
    dist.validate().map_err(|message| FieldError::new(field, message))
}

pub(super) fn check_pool(field: &str, pool: &PoolConfig) -> Result<(), FieldError> {
    if pool.servers == 0 {
        return Err(FieldError::new(format!("{field}.servers"), "must be at least 1"));
    }
    check_dist(&format!("{field}.service"), &pool.service)
}

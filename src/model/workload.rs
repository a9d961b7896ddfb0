//! The workload of a run: how its decisions arrive, and what kind of
//! workload it is, each kind with a parameter struct of its own whose
//! `Default` holds the domain's figures. `WorkloadKind` is the one list of
//! kinds: their names, defaults and per-kind rules are all matched on it,
//! so a new kind is a new variant the compiler then asks about everywhere.

use super::calendar::fewest_working_days;
use super::config::{DEFAULT_BATCH_LIMIT, FieldError, PoolConfig, check_dist, check_pool, check_probability};
use super::ids::MemberId;
use super::script::{MAX_SCRIPT_STEPS, ScriptStep};
use crate::engine::{Dist, SimDuration};

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

/// Admins disable accounts in console batches.
#[derive(Clone, Debug, PartialEq)]
pub struct AdminBatchParams {
    pub tiers: TierMix,
    /// A department-tier request's members are also taken by a super
    /// admin (escalation) with this probability each...
    pub escalation: f64,
    /// ...this long after the department admin's decision.
    pub escalation_delay: Dist,
}

impl Default for AdminBatchParams {
    fn default() -> Self {
        AdminBatchParams {
            tiers: TierMix { super_admin: 0.2, department: 0.6, app: 0.2 },
            escalation: 0.05,
            escalation_delay: Dist::Exp { mean: SimDuration::from_hours(6) },
        }
    }
}

/// Members replace a device; some uninstall before unbinding.
#[derive(Clone, Debug, PartialEq)]
pub struct DeviceChangeParams {
    /// The old device was lost: only a remote wipe can clean it.
    pub lost_device: f64,
}

impl Default for DeviceChangeParams {
    fn default() -> Self {
        DeviceChangeParams { lost_device: 0.05 }
    }
}

/// Working days of notice staff must get before a dissolution.
pub const MIN_NOTICE_WORKING_DAYS: u64 = 15;

/// The enterprise dissolves: review, notice, then everyone at once.
#[derive(Clone, Debug, PartialEq)]
pub struct DissolutionParams {
    pub review: Dist,
    /// Staff notice before deregistration: it must hold at least
    /// `MIN_NOTICE_WORKING_DAYS` working days wherever in the week it
    /// starts (21 d always does; 20 d from a Saturday holds 14).
    pub notice: SimDuration,
    /// Deregistration is at least this long after the start (30 d).
    pub lead: SimDuration,
    /// Encrypted data is kept this long after deregistration (180 d).
    pub archive_retention: SimDuration,
}

impl Default for DissolutionParams {
    fn default() -> Self {
        DissolutionParams {
            review: Dist::LogNormal { median: SimDuration::from_days(3), sigma: 0.5 },
            notice: SimDuration::from_days(21),
            lead: SimDuration::from_days(30),
            archive_retention: SimDuration::from_days(180),
        }
    }
}

/// Overseas offboarding under GDPR: written reason, export, cloud copy.
#[derive(Clone, Debug, PartialEq)]
pub struct GdprExportParams {
    pub reason: Dist,
    pub export_share: f64,
    pub export_time: Dist,
    pub cloud_copy_kept: f64,
    pub dispute_share: f64,
    pub dispute_window: SimDuration,
}

impl Default for GdprExportParams {
    fn default() -> Self {
        GdprExportParams {
            reason: Dist::Exp { mean: SimDuration::from_hours(4) },
            export_share: 0.6,
            export_time: Dist::LogNormal { median: SimDuration::from_hours(2), sigma: 1.0 },
            cloud_copy_kept: 0.3,
            dispute_share: 0.05,
            dispute_window: SimDuration::from_days(60),
        }
    }
}

/// The parent stops the interconnect; the subsidiary must re-bind its
/// members within the window or they roll back to the parent.
#[derive(Clone, Debug, PartialEq)]
pub struct SubsidiarySplitParams {
    pub subsidiary_share: f64,
    pub rebinders: PoolConfig,
    pub window: SimDuration,
}

impl Default for SubsidiarySplitParams {
    fn default() -> Self {
        SubsidiarySplitParams {
            subsidiary_share: 0.3,
            rebinders: PoolConfig {
                servers: 3,
                service: Dist::LogNormal { median: SimDuration::from_hours(6), sigma: 0.6 },
            },
            window: SimDuration::from_hours(72),
        }
    }
}

/// HR offboarding under dual control: an authorized admin and a
/// compliance officer both approve, then the risk team confirms.
/// The authorized admin is `policy.approval`; the officers are a pool
/// of their own, and both must approve.
#[derive(Clone, Debug, PartialEq)]
pub struct ComplianceDualControlParams {
    pub officers: PoolConfig,
    pub risk_confirm: Dist,
}

impl Default for ComplianceDualControlParams {
    fn default() -> Self {
        ComplianceDualControlParams {
            officers: PoolConfig { servers: 2, service: Dist::Exp { mean: SimDuration::from_hours(2) } },
            risk_confirm: Dist::Exp { mean: SimDuration::from_hours(4) },
        }
    }
}

/// What a workload does, with the parameters peculiar to it.
#[derive(Clone, Debug, PartialEq)]
pub enum WorkloadKind {
    /// Members leave from the app themselves.
    SelfExit,
    AdminBatch(AdminBatchParams),
    DeviceChange(DeviceChangeParams),
    /// Members are offboarded by a super admin, then asked to revoke their
    /// app authorizations one by one.
    AppGrants,
    Dissolution(DissolutionParams),
    GdprExport(GdprExportParams),
    SubsidiarySplit(SubsidiarySplitParams),
    ComplianceDualControl(ComplianceDualControlParams),
    /// Operations on named members at given times, in time order (ties in
    /// the order written); arrival `i` is step `i`.
    Script {
        steps: Vec<ScriptStep>,
    },
}

impl WorkloadKind {
    /// Every kind with its domain defaults (a script without steps), in
    /// the order kinds are listed to users.
    pub fn all_with_defaults() -> Vec<WorkloadKind> {
        vec![
            WorkloadKind::SelfExit,
            WorkloadKind::AdminBatch(AdminBatchParams::default()),
            WorkloadKind::DeviceChange(DeviceChangeParams::default()),
            WorkloadKind::AppGrants,
            WorkloadKind::Dissolution(DissolutionParams::default()),
            WorkloadKind::GdprExport(GdprExportParams::default()),
            WorkloadKind::SubsidiarySplit(SubsidiarySplitParams::default()),
            WorkloadKind::ComplianceDualControl(ComplianceDualControlParams::default()),
            WorkloadKind::Script { steps: Vec::new() },
        ]
    }

    /// Every kind's name, in the order of `all_with_defaults`.
    pub fn names() -> Vec<&'static str> {
        WorkloadKind::all_with_defaults().iter().map(WorkloadKind::name).collect()
    }

    /// The kind's name: its table in a scenario file, `[workload.NAME]`.
    pub fn name(&self) -> &'static str {
        match self {
            WorkloadKind::SelfExit => "self-exit",
            WorkloadKind::AdminBatch(_) => "admin-batch",
            WorkloadKind::DeviceChange(_) => "device-change",
            WorkloadKind::AppGrants => "app-grants",
            WorkloadKind::Dissolution(_) => "dissolution",
            WorkloadKind::GdprExport(_) => "gdpr-export",
            WorkloadKind::SubsidiarySplit(_) => "subsidiary-split",
            WorkloadKind::ComplianceDualControl(_) => "compliance-dual-control",
            WorkloadKind::Script { .. } => "script",
        }
    }

    /// Whether one decision takes the whole organisation (or the whole
    /// subsidiary): such a workload arrives once, at the start, by default.
    pub fn whole_org(&self) -> bool {
        match self {
            WorkloadKind::Dissolution(_) | WorkloadKind::SubsidiarySplit(_) => true,
            WorkloadKind::SelfExit
            | WorkloadKind::AdminBatch(_)
            | WorkloadKind::DeviceChange(_)
            | WorkloadKind::AppGrants
            | WorkloadKind::GdprExport(_)
            | WorkloadKind::ComplianceDualControl(_)
            | WorkloadKind::Script { .. } => false,
        }
    }

    /// Members one decision covers unless the file says: an admin batch
    /// takes a console batch's worth, everyone else one member.
    pub fn default_members_per_arrival(&self) -> u32 {
        match self {
            WorkloadKind::AdminBatch(_) => DEFAULT_BATCH_LIMIT,
            WorkloadKind::SelfExit
            | WorkloadKind::DeviceChange(_)
            | WorkloadKind::AppGrants
            | WorkloadKind::Dissolution(_)
            | WorkloadKind::GdprExport(_)
            | WorkloadKind::SubsidiarySplit(_)
            | WorkloadKind::ComplianceDualControl(_)
            | WorkloadKind::Script { .. } => 1,
        }
    }

    /// Whether a decision needs an untouched member to act on. A script's
    /// steps all come: some act on members already taken, and are refused.
    pub fn needs_untouched_members(&self) -> bool {
        self.script_steps().is_none()
    }

    /// The steps of a script (none for other kinds).
    pub fn script_steps(&self) -> Option<&[ScriptStep]> {
        match self {
            WorkloadKind::Script { steps } => Some(steps),
            WorkloadKind::SelfExit
            | WorkloadKind::AdminBatch(_)
            | WorkloadKind::DeviceChange(_)
            | WorkloadKind::AppGrants
            | WorkloadKind::Dissolution(_)
            | WorkloadKind::GdprExport(_)
            | WorkloadKind::SubsidiarySplit(_)
            | WorkloadKind::ComplianceDualControl(_) => None,
        }
    }

    /// The shares of admin tiers the workload draws admins from (an admin
    /// batch only; a script names its members and draws no admin).
    pub fn admin_tiers(&self) -> Option<&TierMix> {
        match self {
            WorkloadKind::AdminBatch(params) => Some(&params.tiers),
            WorkloadKind::SelfExit
            | WorkloadKind::DeviceChange(_)
            | WorkloadKind::AppGrants
            | WorkloadKind::Dissolution(_)
            | WorkloadKind::GdprExport(_)
            | WorkloadKind::SubsidiarySplit(_)
            | WorkloadKind::ComplianceDualControl(_)
            | WorkloadKind::Script { .. } => None,
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
        self.kind.script_steps()?.iter().map(|step| step.op.member()).max()
    }

    pub fn validate(&self) -> Result<(), FieldError> {
        if self.members_per_arrival == 0 {
            return Err(FieldError::new("workload.members_per_arrival", "must be at least 1"));
        }
        let unbounded = match &self.arrivals {
            Arrivals::Poisson { mean_gap, .. } => mean_gap.is_zero().then_some("Poisson rate must be finite"),
            Arrivals::Every { every, count, .. } => {
                (every.is_zero() && *count > 1).then_some("`every` must be greater than zero")
            }
            Arrivals::At(_) => None,
        };
        if let Some(message) = unbounded {
            return Err(FieldError::new("workload.arrivals", message));
        }
        if self.arrivals.max_count() == 0 {
            return Err(FieldError::new("workload.arrivals", "the workload has no arrivals"));
        }
        self.validate_kind()
    }

    fn validate_kind(&self) -> Result<(), FieldError> {
        let path = |field: &str| format!("workload.{}.{field}", self.kind.name());
        match &self.kind {
            WorkloadKind::AdminBatch(params) => validate_admin_batch(params, path),
            WorkloadKind::DeviceChange(params) => check_probability(&path("lost_device"), params.lost_device),
            WorkloadKind::Dissolution(params) => validate_dissolution(params, path),
            WorkloadKind::GdprExport(params) => validate_gdpr(params, path),
            WorkloadKind::SubsidiarySplit(params) => {
                check_probability(&path("subsidiary_share"), params.subsidiary_share)?;
                check_pool(&path("rebinders"), &params.rebinders)
            }
            WorkloadKind::ComplianceDualControl(params) => {
                check_pool(&path("officers"), &params.officers)?;
                check_dist(&path("risk_confirm"), &params.risk_confirm)
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

fn validate_admin_batch(params: &AdminBatchParams, path: impl Fn(&str) -> String) -> Result<(), FieldError> {
    let tiers = params.tiers;
    let total = tiers.super_admin + tiers.department + tiers.app;
    if [tiers.super_admin, tiers.department, tiers.app].iter().any(|s| !(0.0..=1.0).contains(s))
        || (total - 1.0).abs() > 1e-6
    {
        return Err(FieldError::new(path("tiers"), format!("shares must lie in [0, 1] and sum to 1, got {total}")));
    }
    check_probability(&path("escalation"), params.escalation)?;
    check_dist(&path("escalation_delay"), &params.escalation_delay)
}

/// The notice must give staff `MIN_NOTICE_WORKING_DAYS` working days
/// wherever it starts (it starts when the review ends, at a drawn time).
fn validate_dissolution(params: &DissolutionParams, path: impl Fn(&str) -> String) -> Result<(), FieldError> {
    check_dist(&path("review"), &params.review)?;
    let fewest = fewest_working_days(params.notice);
    if fewest < MIN_NOTICE_WORKING_DAYS {
        return Err(FieldError::new(
            path("notice"),
            format!(
                "staff must be notified at least {MIN_NOTICE_WORKING_DAYS} working days ahead; {} holds only {fewest} \
                 when it starts on the worst day of the week (21d always holds 15)",
                params.notice
            ),
        ));
    }
    Ok(())
}

fn validate_gdpr(params: &GdprExportParams, path: impl Fn(&str) -> String) -> Result<(), FieldError> {
    check_dist(&path("reason"), &params.reason)?;
    check_dist(&path("export_time"), &params.export_time)?;
    check_probability(&path("export_share"), params.export_share)?;
    check_probability(&path("cloud_copy_kept"), params.cloud_copy_kept)?;
    check_probability(&path("dispute_share"), params.dispute_share)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_kind_is_listed_once_under_its_own_name() {
        let names = WorkloadKind::names();
        for (position, name) in names.iter().enumerate() {
            assert!(!names[..position].contains(name), "{name} listed twice");
        }
        for kind in WorkloadKind::all_with_defaults() {
            let workload = Workload { kind, arrivals: Arrivals::At(Vec::new()), members_per_arrival: 1 };
            assert_eq!(workload.validate_kind(), Ok(()), "{} defaults", workload.kind.name());
        }
    }
}

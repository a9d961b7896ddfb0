//! From the file as written to the model's configuration: defaults filled
//! in (the domain's figures; the workload's, per kind, in `workload`), then
//! every bound checked, errors located at the key that is wrong.

mod workload;

use super::live_figure::{LiveSlo, Objective, parse_objective};
use super::slo::Slo;
use super::spec::*;
use super::units::DurationValue;
use crate::engine::SimDuration;
use crate::model::{
    ApiLimits, Behaviour, CustomerHandover, Edition, FieldError, ModuleSet, PerPlatform, Platform, Policy, PoolConfig,
    Workload,
};
use crate::synth::{OrgParams, Preset};

/// Longest simulated horizon a scenario may ask for.
const MAX_HORIZON: SimDuration = SimDuration::from_days(3_660);
/// Longest `description`, in bytes: it is copied into every summary.
const MAX_DESCRIPTION_BYTES: usize = 4 << 10;
/// Longest `name`, in bytes: it names the result folder.
const MAX_NAME_BYTES: usize = 64;
/// Most replications a scenario may ask for.
pub const MAX_REPLICATIONS: u32 = 100_000;

/// How the replications of a run get their orgs.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum OrgMode {
    /// Each replication generates its own org from its own seed, so an
    /// interval is about every org these parameters describe.
    #[default]
    Sampled,
    /// One org, generated from the run seed, for every replication: the
    /// figures are conditional on that org.
    Shared,
}

impl OrgMode {
    /// The name the scenario key and the `--org` flag use.
    pub fn name(self) -> &'static str {
        match self {
            OrgMode::Sampled => "sampled",
            OrgMode::Shared => "shared",
        }
    }
}

/// A validated scenario: everything a run needs but the seed.
#[derive(Clone, Debug, PartialEq)]
pub struct Scenario {
    pub name: String,
    pub description: String,
    pub horizon: SimDuration,
    pub seed: Option<u64>,
    pub replications: Option<u32>,
    /// `max_events` of the file: the runner's default when `None`.
    pub max_events: Option<u64>,
    /// `org_mode` (sampled when the file does not say; `--org` overrides).
    pub org_mode: OrgMode,
    /// The seed of the shared org when it is not the run's own
    /// (`--org-seed`): runs of several seeds then share one org.
    pub org_seed: Option<u64>,
    pub org: OrgParams,
    pub policy: Policy,
    pub behaviour: Behaviour,
    pub workload: Workload,
    /// Objectives from the `[slo]` table, in key order.
    pub slo: Vec<Slo>,
    /// The `[slo]` table's live objectives (judged by `load`), in key order.
    pub live_slo: Vec<LiveSlo>,
    /// `metrics.leak_risk_at`, in increasing order: the leak-risk points
    /// (`model::LEAK_RISK_DEFAULT` when `None`).
    pub leak_risk_at: Option<Vec<SimDuration>>,
}

/// The `[slo]` table split into the simulation's and the live run's objectives.
fn objectives(table: &std::collections::BTreeMap<String, String>) -> Result<(Vec<Slo>, Vec<LiveSlo>), FieldError> {
    let (mut sim, mut live) = (Vec::new(), Vec::new());
    for (key, text) in table {
        match parse_objective(key, text).map_err(|message| FieldError::new(format!("slo.{key}"), message))? {
            Objective::Sim(slo) => sim.push(slo),
            Objective::Live(slo) => live.push(slo),
        }
    }
    Ok((sim, live))
}

/// Most leak-risk points a scenario may ask for.
const MAX_LEAK_RISK_POINTS: usize = 32;

/// `metrics.leak_risk_at`: 1 to 32 distinct times, each greater than zero
/// and no longer than the longest horizon, sorted.
fn leak_risk_at(points: Option<Vec<DurationValue>>) -> Result<Option<Vec<SimDuration>>, FieldError> {
    let Some(points) = points else { return Ok(None) };
    let mut points: Vec<SimDuration> = points.into_iter().map(|point| point.0).collect();
    let error = |message: String| FieldError::new("metrics.leak_risk_at", message);
    if points.is_empty() || points.len() > MAX_LEAK_RISK_POINTS {
        return Err(error(format!("must list 1 to {MAX_LEAK_RISK_POINTS} times, got {}", points.len())));
    }
    if let Some(bad) = points.iter().find(|point| point.is_zero() || **point > MAX_HORIZON) {
        return Err(error(format!("each time must be greater than zero and at most {MAX_HORIZON}, got {bad}")));
    }
    points.sort();
    if let Some(pair) = points.windows(2).find(|pair| pair[0] == pair[1]) {
        return Err(error(format!("lists {} twice", pair[0])));
    }
    Ok(Some(points))
}

/// The free text copied into results: a name that can name a folder, and
/// a description of bounded length.
fn check_text(name: &str, description: &str) -> Result<(), FieldError> {
    let allowed = |c: char| c.is_ascii_alphanumeric() || c == '-' || c == '_';
    if name.trim().is_empty() || name.len() > MAX_NAME_BYTES || !name.chars().all(allowed) {
        return Err(FieldError::new(
            "name",
            format!("must be 1 to {MAX_NAME_BYTES} letters, digits, '-' and '_' (it names the result folder)"),
        ));
    }
    if description.len() > MAX_DESCRIPTION_BYTES {
        return Err(FieldError::new(
            "description",
            format!(
                "at most {MAX_DESCRIPTION_BYTES} bytes (it is copied into every summary), got {}",
                description.len()
            ),
        ));
    }
    Ok(())
}

/// Checks a deserialized spec and fills in the defaults.
pub(super) fn build(spec: ScenarioSpec) -> Result<Scenario, FieldError> {
    let horizon = spec.horizon.0;
    if horizon.is_zero() || horizon > MAX_HORIZON {
        return Err(FieldError::new(
            "horizon",
            format!("must be greater than zero and at most {MAX_HORIZON}, got {horizon}"),
        ));
    }
    if let Some(replications) = spec.replications
        && !(1..=MAX_REPLICATIONS).contains(&replications)
    {
        return Err(FieldError::new("replications", format!("must be between 1 and {MAX_REPLICATIONS}")));
    }
    check_text(&spec.name, &spec.description)?;
    if spec.max_events == Some(0) {
        return Err(FieldError::new("max_events", "must be at least 1"));
    }
    let org = org_params(spec.org)?;
    org.validate()?;
    let policy = policy(spec.policy)?;
    policy.validate()?;
    let behaviour = behaviour(spec.behaviour);
    behaviour.validate()?;
    let workload = workload::workload(spec.workload, org.members, horizon)?;
    workload.validate()?;
    workload::check_roster(&org, &workload)?;
    let (slo, live_slo) = objectives(&spec.slo)?;
    let leak_risk_at = leak_risk_at(spec.metrics.leak_risk_at)?;
    Ok(Scenario {
        slo,
        live_slo,
        leak_risk_at,
        name: spec.name,
        description: spec.description,
        horizon,
        max_events: spec.max_events,
        seed: spec.seed,
        replications: spec.replications,
        org_mode: org_mode(spec.org_mode),
        org_seed: None,
        org,
        policy,
        behaviour,
        workload,
    })
}

fn org_mode(spec: Option<OrgModeSpec>) -> OrgMode {
    match spec {
        None | Some(OrgModeSpec::Sampled) => OrgMode::Sampled,
        Some(OrgModeSpec::Shared) => OrgMode::Shared,
    }
}

fn org_params(spec: OrgSpec) -> Result<OrgParams, FieldError> {
    let mut org = match &spec.preset {
        None => OrgParams::default(),
        Some(name) => Preset::from_name(name)
            .ok_or_else(|| {
                FieldError::new(
                    "org.preset",
                    format!("unknown preset \"{name}\", expected one of: {}", Preset::NAMES.join(", ")),
                )
            })?
            .params(),
    };
    set(&mut org.members, spec.members);
    if let Some(departments) = spec.departments {
        org.branching = departments.branching;
        org.depth = departments.depth;
    }
    if let Some(devices) = spec.devices_per_member {
        org.devices_mean = devices.poisson;
        set(&mut org.devices_min, devices.min);
        set(&mut org.devices_max, devices.max);
    }
    if let Some(mix) = spec.platforms {
        org.platform_mix = [mix.ios, mix.android, mix.windows, mix.macos].map(|share| share.map_or(0.0, |p| p.0));
    }
    if let Some(apps) = spec.apps {
        set(&mut org.apps, apps.count);
        set(&mut org.app_zipf, apps.zipf);
        set(&mut org.grants_mean, apps.grants_per_member);
        set(&mut org.native_unbind_share, apps.native_unbind_share.map(|p| p.0));
        set(&mut org.introspection_share, apps.introspection_share.map(|p| p.0));
    }
    if let Some(roles) = spec.roles {
        set(&mut org.group_owner_share, roles.group_owner.map(|p| p.0));
        set(&mut org.pending_approvals_share, roles.pending_approvals.map(|p| p.0));
    }
    if let Some(admins) = spec.admins {
        set(&mut org.super_admins, admins.super_admins);
        set(&mut org.members_per_department_admin, admins.department_per_members);
        set(&mut org.app_admins, admins.app);
    }
    Ok(org)
}

fn set<T>(target: &mut T, value: Option<T>) {
    if let Some(value) = value {
        *target = value;
    }
}

fn policy(spec: PolicySpec) -> Result<Policy, FieldError> {
    let mut policy = Policy::default();
    set(&mut policy.buffer, spec.buffer.map(|d| d.0));
    set(
        &mut policy.edition,
        spec.edition.map(|e| match e {
            EditionSpec::Basic => Edition::Basic,
            EditionSpec::Pro => Edition::Pro,
        }),
    );
    set(&mut policy.mdm_wipe, spec.mdm_wipe);
    set(&mut policy.token_ttl, spec.token_ttl.map(|d| d.0));
    set(&mut policy.revocation_propagation, spec.revocation_propagation.map(|d| d.0));
    set(&mut policy.chat_retention, spec.chat_retention.map(|d| d.0));
    set(&mut policy.batch_limit, spec.batch_limit);
    if let Some(rate) = spec.console_rate {
        policy.console_gap = rate.0.mean_gap();
    }
    set(&mut policy.approval, spec.approval.map(pool));
    set(&mut policy.department_delay, spec.department_delay.map(|d| d.0));
    set(&mut policy.app_admin_delay, spec.app_admin_delay.map(|d| d.0));
    set(&mut policy.handover, spec.handover.map(|d| d.0));
    set(&mut policy.device_checkin, spec.device_checkin.map(|d| d.0));
    set(&mut policy.lockout_recovery, spec.lockout_recovery.map(|d| d.0));
    set(&mut policy.audit_retention, spec.audit_retention.map(|d| d.0));
    set(&mut policy.guard_bypass_delay, spec.guard_bypass_delay.map(|d| d.0));
    if let Some(unbind) = spec.lost_device_unbind {
        policy.lost_device_unbind = Some(unbind.0);
    }
    set(&mut policy.api_limits, spec.api_limits.map(api_limits));
    if let Some(names) = spec.keep_modules {
        policy.keep_modules = ModuleSet::of_names(names.iter().map(String::as_str))
            .map_err(|message| FieldError::new("policy.keep_modules", message))?;
    }
    policy.customer_handover = spec.customer_handover.map(customer_handover);
    Ok(policy)
}

fn customer_handover(spec: CustomerHandoverSpec) -> CustomerHandover {
    let mut handover = CustomerHandover::default();
    set(&mut handover.owner_share, spec.owner_share.map(|p| p.0));
    set(&mut handover.customers_mean, spec.customers_mean);
    set(&mut handover.refused, spec.refused.map(|p| p.0));
    set(&mut handover.quota_full, spec.quota_full.map(|p| p.0));
    set(&mut handover.group_chats_mean, spec.group_chats_mean);
    handover
}

fn api_limits(spec: ApiLimitsSpec) -> ApiLimits {
    match spec {
        ApiLimitsSpec::Preset(ApiPresetSpec::Wecom) => ApiLimits::WeCom,
        ApiLimitsSpec::Preset(ApiPresetSpec::SlackScim) => ApiLimits::SlackScim,
        ApiLimitsSpec::Preset(ApiPresetSpec::Entra) => ApiLimits::Entra,
        ApiLimitsSpec::Preset(ApiPresetSpec::None) => ApiLimits::None,
        ApiLimitsSpec::Table(ApiTableSpec { per_minute, per_hour }) => ApiLimits::Table { per_minute, per_hour },
    }
}

fn pool(spec: PoolSpec) -> PoolConfig {
    PoolConfig { servers: spec.servers, service: spec.service.0 }
}

fn behaviour(spec: BehaviourSpec) -> Behaviour {
    let mut b = Behaviour::default();
    let probability = |target: &mut f64, value: Option<super::units::Probability>| set(target, value.map(|p| p.0));
    probability(&mut b.uninstall_before_unbind, spec.uninstall_before_unbind);
    probability(&mut b.skip_app_revoke, spec.skip_app_revoke);
    probability(&mut b.vendor_keeps_data, spec.vendor_keeps_data);
    probability(&mut b.native_unbind_skipped, spec.native_unbind_skipped);
    probability(&mut b.clear_data_skipped, spec.clear_data_skipped);
    probability(&mut b.trusted_device_kept, spec.trusted_device_kept);
    probability(&mut b.biometric_kept, spec.biometric_kept);
    probability(&mut b.android_full_wipe, spec.android_full_wipe);
    probability(&mut b.forced_cleanup, spec.forced_cleanup);
    probability(&mut b.device_never_checks_in, spec.device_never_checks_in);
    probability(&mut b.stale_id_share, spec.stale_id_share);
    set(&mut b.native_unbind_delay, spec.native_unbind_delay.map(|d| d.0));
    set(&mut b.activity_gap, spec.activity_gap.map(|d| d.0));
    set(&mut b.app_use_gap, spec.app_use_gap.map(|d| d.0));
    match spec.lockout_given_uninstall {
        Some(PlatformProbability::All(p)) => b.lockout_given_uninstall = PerPlatform::all(p.0),
        Some(PlatformProbability::ByPlatform(table)) => {
            let given = [table.ios, table.android, table.windows, table.macos];
            for platform in Platform::ALL {
                set(&mut b.lockout_given_uninstall.0[platform.index()], given[platform.index()].map(|p| p.0));
            }
        }
        None => {}
    }
    if let Some(steps) = spec.exit_steps {
        let given = [steps.ios, steps.android, steps.windows, steps.macos];
        for platform in Platform::ALL {
            set(&mut b.exit_steps.0[platform.index()], given[platform.index()].map(|d| d.0));
        }
    }
    b
}

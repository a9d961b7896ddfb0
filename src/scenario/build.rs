//! From the file as written to the model's configuration: defaults filled
//! in (the domain's figures, per workload kind where they differ), then
//! every bound checked, errors located at the key that is wrong.

use super::slo::{Slo, parse_slo};
use super::spec::*;
use crate::engine::{Dist, SimDuration};
use crate::model::{
    Arrivals, Behaviour, Edition, FieldError, PerPlatform, Platform, Policy, PoolConfig, TierMix, Workload,
    WorkloadKind,
};
use crate::synth::{OrgParams, Preset};

/// Longest simulated horizon a scenario may ask for.
pub const MAX_HORIZON: SimDuration = SimDuration::from_days(3_660);
/// Most replications a scenario may ask for.
pub const MAX_REPLICATIONS: u32 = 100_000;

/// A validated scenario: everything a run needs but the seed.
#[derive(Clone, Debug, PartialEq)]
pub struct Scenario {
    pub name: String,
    pub description: String,
    pub horizon: SimDuration,
    pub seed: Option<u64>,
    pub replications: Option<u32>,
    pub org: OrgParams,
    pub policy: Policy,
    pub behaviour: Behaviour,
    pub workload: Workload,
    /// Objectives from the `[slo]` table, in key order.
    pub slo: Vec<Slo>,
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
    if spec.name.trim().is_empty() || !spec.name.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_') {
        return Err(FieldError::new(
            "name",
            "must be non-empty and use only letters, digits, '-' and '_' (it names the result folder)",
        ));
    }
    let org = org_params(spec.org)?;
    org.validate()?;
    let policy = policy(spec.policy);
    policy.validate()?;
    let behaviour = behaviour(spec.behaviour);
    behaviour.validate()?;
    let workload = workload(spec.workload, org.members, horizon)?;
    workload.validate()?;
    check_roster(&org, &workload)?;
    let slo = spec
        .slo
        .iter()
        .map(|(key, text)| parse_slo(key, text).map_err(|message| FieldError::new(format!("slo.{key}"), message)))
        .collect::<Result<_, _>>()?;
    Ok(Scenario {
        slo,
        name: spec.name,
        description: spec.description,
        horizon,
        seed: spec.seed,
        replications: spec.replications,
        org,
        policy,
        behaviour,
        workload,
    })
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

fn policy(spec: PolicySpec) -> Policy {
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
    policy
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

fn workload(spec: WorkloadSpec, members: u32, horizon: SimDuration) -> Result<Workload, FieldError> {
    if let Some(script) = &spec.script {
        return script_workload(&spec, &script.steps, members, horizon);
    }
    let kind = workload_kind(&spec)?;
    let whole_org = matches!(kind, WorkloadKind::Dissolution { .. } | WorkloadKind::SubsidiarySplit { .. });
    let arrivals = match spec.arrivals {
        Some(arrivals) => arrivals_of(arrivals)?,
        None if whole_org => Arrivals::At(vec![SimDuration::ZERO]),
        None => {
            return Err(FieldError::new(
                "workload",
                format!("missing `arrivals` (how {} decisions arrive)", kind.name()),
            ));
        }
    };
    let default_per_arrival = if matches!(kind, WorkloadKind::AdminBatch { .. }) { 200 } else { 1 };
    Ok(Workload { kind, arrivals, members_per_arrival: spec.members_per_arrival.unwrap_or(default_per_arrival) })
}

/// A script's steps are its arrivals, one member each: no `arrivals`, no
/// `members_per_arrival`, no other kind table.
fn script_workload(
    spec: &WorkloadSpec,
    steps: &[StepSpec],
    members: u32,
    horizon: SimDuration,
) -> Result<Workload, FieldError> {
    workload_kind(spec)?;
    if spec.arrivals.is_some() || spec.members_per_arrival.is_some() {
        let key = if spec.arrivals.is_some() { "workload.arrivals" } else { "workload.members_per_arrival" };
        return Err(FieldError::new(key, "a script's steps are its arrivals, one member each: leave this out"));
    }
    let steps = super::script::steps(steps, members, horizon)?;
    let arrivals = Arrivals::At(steps.iter().map(|step| step.at).collect());
    Ok(Workload { kind: WorkloadKind::Script { steps }, arrivals, members_per_arrival: 1 })
}

fn arrivals_of(spec: ArrivalsSpec) -> Result<Arrivals, FieldError> {
    let count = spec.count.unwrap_or(u32::MAX);
    match (spec.poisson, spec.at, spec.every) {
        (Some(rate), None, None) if spec.start.is_none() => {
            Ok(Arrivals::Poisson { mean_gap: rate.0.mean_gap(), count })
        }
        (None, Some(times), None) if spec.start.is_none() && spec.count.is_none() => {
            let mut times: Vec<SimDuration> = times.into_iter().map(|t| t.0).collect();
            times.sort();
            Ok(Arrivals::At(times))
        }
        (None, None, Some(every)) => Ok(Arrivals::Every {
            start: spec.start.map_or(SimDuration::ZERO, |s| s.0),
            every: every.0,
            count: spec.count.ok_or_else(|| FieldError::new("workload.arrivals", "`every` needs a `count`"))?,
        }),
        _ => Err(FieldError::new(
            "workload.arrivals",
            "give exactly one of { poisson = \"40/d\", count = N }, { at = [\"0h\", ...] } or { every = \"1h\", count = N, start = \"0h\" }",
        )),
    }
}

const KIND_NAMES: &str = "self-exit, admin-batch, device-change, app-grants, dissolution, gdpr-export, subsidiary-split, compliance-dual-control, script";

fn workload_kind(spec: &WorkloadSpec) -> Result<WorkloadKind, FieldError> {
    let given = [
        spec.self_exit.is_some(),
        spec.admin_batch.is_some(),
        spec.device_change.is_some(),
        spec.app_grants.is_some(),
        spec.dissolution.is_some(),
        spec.gdpr_export.is_some(),
        spec.subsidiary_split.is_some(),
        spec.compliance_dual_control.is_some(),
        spec.script.is_some(),
    ];
    if given.iter().filter(|g| **g).count() != 1 {
        return Err(FieldError::new(
            "workload",
            format!("give exactly one workload kind table, [workload.KIND] with KIND one of: {KIND_NAMES}"),
        ));
    }
    let exp = |mean: SimDuration| Dist::Exp { mean };
    let dist = |value: &Option<super::units::DistValue>, default: Dist| value.as_ref().map_or(default, |d| d.0.clone());
    let prob = |value: Option<super::units::Probability>, default: f64| value.map_or(default, |p| p.0);
    let span = |value: Option<super::units::DurationValue>, default: SimDuration| value.map_or(default, |d| d.0);
    let pool_or = |value: &Option<PoolSpec>, servers: u32, service: Dist| {
        value.as_ref().map_or(PoolConfig { servers, service }, |p| PoolConfig {
            servers: p.servers,
            service: p.service.0.clone(),
        })
    };
    Ok(if spec.self_exit.is_some() {
        WorkloadKind::SelfExit
    } else if let Some(s) = &spec.admin_batch {
        WorkloadKind::AdminBatch {
            tiers: s.tiers.as_ref().map_or(TierMix { super_admin: 0.2, department: 0.6, app: 0.2 }, |t| TierMix {
                super_admin: prob(t.super_admin, 0.0),
                department: prob(t.department, 0.0),
                app: prob(t.app, 0.0),
            }),
            escalation: prob(s.escalation, 0.05),
            escalation_delay: dist(&s.escalation_delay, exp(SimDuration::from_hours(6))),
        }
    } else if let Some(s) = &spec.device_change {
        WorkloadKind::DeviceChange { lost_device: prob(s.lost_device, 0.05) }
    } else if spec.app_grants.is_some() {
        WorkloadKind::AppGrants
    } else if let Some(s) = &spec.dissolution {
        WorkloadKind::Dissolution {
            review: dist(&s.review, Dist::LogNormal { median: SimDuration::from_days(3), sigma: 0.5 }),
            notice: span(s.notice, SimDuration::from_days(21)),
            lead: span(s.lead, SimDuration::from_days(30)),
            archive_retention: span(s.archive_retention, SimDuration::from_days(180)),
        }
    } else if let Some(s) = &spec.gdpr_export {
        WorkloadKind::GdprExport {
            reason: dist(&s.reason, exp(SimDuration::from_hours(4))),
            export_share: prob(s.export_share, 0.6),
            export_time: dist(&s.export_time, Dist::LogNormal { median: SimDuration::from_hours(2), sigma: 1.0 }),
            cloud_copy_kept: prob(s.cloud_copy_kept, 0.3),
            dispute_share: prob(s.dispute_share, 0.05),
            dispute_window: span(s.dispute_window, SimDuration::from_days(60)),
        }
    } else if let Some(s) = &spec.subsidiary_split {
        WorkloadKind::SubsidiarySplit {
            subsidiary_share: prob(s.subsidiary_share, 0.3),
            rebinders: pool_or(&s.rebinders, 3, Dist::LogNormal { median: SimDuration::from_hours(6), sigma: 0.6 }),
            window: span(s.window, SimDuration::from_hours(72)),
        }
    } else if let Some(s) = &spec.compliance_dual_control {
        WorkloadKind::ComplianceDualControl {
            officers: pool_or(&s.officers, 2, exp(SimDuration::from_hours(2))),
            risk_confirm: dist(&s.risk_confirm, exp(SimDuration::from_hours(4))),
        }
    } else {
        // A script is built from its steps (see `script_workload`).
        WorkloadKind::Script { steps: Vec::new() }
    })
}

/// An admin-batch workload draws admins of each tier it gives a share to:
/// the roster must have some.
fn check_roster(org: &OrgParams, workload: &Workload) -> Result<(), FieldError> {
    let WorkloadKind::AdminBatch { tiers, .. } = &workload.kind else { return Ok(()) };
    let roster = [
        (tiers.super_admin, org.super_admins, "super"),
        (tiers.department, org.department_admins(), "department"),
        (tiers.app, org.app_admins, "app"),
    ];
    for (share, admins, tier) in roster {
        if share > 0.0 && admins == 0 {
            return Err(FieldError::new(
                "org.admins",
                format!("the workload gives {tier} admins a share of {share} but the org has none"),
            ));
        }
    }
    Ok(())
}

//! The `[workload]` table to the model's `Workload`: the one kind table
//! given, picked into `KindTable` and matched exhaustively; each kind's
//! values over its domain defaults (`model::workload`); the arrivals; and
//! the admin roster an admin batch draws from.

use super::super::spec::*;
use super::super::units::{DistValue, DurationValue, Probability};
use crate::engine::{Dist, SimDuration};
use crate::model::{
    AdminBatchParams, Arrivals, ComplianceDualControlParams, DeviceChangeParams, DissolutionParams, FieldError,
    GdprExportParams, PoolConfig, SubsidiarySplitParams, TierMix, Workload, WorkloadKind,
};
use crate::synth::OrgParams;

/// The one kind table a workload gives, `[workload.KIND]`.
enum KindTable<'s> {
    SelfExit,
    AdminBatch(&'s AdminBatchSpec),
    DeviceChange(&'s DeviceChangeSpec),
    AppGrants,
    Dissolution(&'s DissolutionSpec),
    GdprExport(&'s GdprSpec),
    SubsidiarySplit(&'s SplitSpec),
    ComplianceDualControl(&'s ComplianceSpec),
    Script(&'s ScriptSpec),
}

pub(super) fn workload(spec: WorkloadSpec, members: u32, horizon: SimDuration) -> Result<Workload, FieldError> {
    let kind = match kind_table(&spec)? {
        KindTable::SelfExit => WorkloadKind::SelfExit,
        KindTable::AdminBatch(table) => WorkloadKind::AdminBatch(admin_batch(table)),
        KindTable::DeviceChange(table) => WorkloadKind::DeviceChange(DeviceChangeParams {
            lost_device: probability(table.lost_device, DeviceChangeParams::default().lost_device),
        }),
        KindTable::AppGrants => WorkloadKind::AppGrants,
        KindTable::Dissolution(table) => WorkloadKind::Dissolution(dissolution(table)),
        KindTable::GdprExport(table) => WorkloadKind::GdprExport(gdpr_export(table)),
        KindTable::SubsidiarySplit(table) => WorkloadKind::SubsidiarySplit(subsidiary_split(table)),
        KindTable::ComplianceDualControl(table) => WorkloadKind::ComplianceDualControl(compliance(table)),
        KindTable::Script(script) => return script_workload(&spec, &script.steps, members, horizon),
    };
    let arrivals = match spec.arrivals {
        Some(arrivals) => arrivals_of(arrivals)?,
        None if kind.whole_org() => Arrivals::At(vec![SimDuration::ZERO]),
        None => {
            return Err(FieldError::new(
                "workload",
                format!("missing `arrivals` (how {} decisions arrive)", kind.name()),
            ));
        }
    };
    let members_per_arrival = spec.members_per_arrival.unwrap_or(kind.default_members_per_arrival());
    Ok(Workload { kind, arrivals, members_per_arrival })
}

/// The kind table given, if exactly one is.
fn kind_table(spec: &WorkloadSpec) -> Result<KindTable<'_>, FieldError> {
    let WorkloadSpec {
        arrivals: _,
        members_per_arrival: _,
        self_exit,
        admin_batch,
        device_change,
        app_grants,
        dissolution,
        gdpr_export,
        subsidiary_split,
        compliance_dual_control,
        script,
    } = spec;
    let given = [
        self_exit.as_ref().map(|_| KindTable::SelfExit),
        admin_batch.as_ref().map(KindTable::AdminBatch),
        device_change.as_ref().map(KindTable::DeviceChange),
        app_grants.as_ref().map(|_| KindTable::AppGrants),
        dissolution.as_ref().map(KindTable::Dissolution),
        gdpr_export.as_ref().map(KindTable::GdprExport),
        subsidiary_split.as_ref().map(KindTable::SubsidiarySplit),
        compliance_dual_control.as_ref().map(KindTable::ComplianceDualControl),
        script.as_ref().map(KindTable::Script),
    ];
    let mut given = given.into_iter().flatten();
    match (given.next(), given.next()) {
        (Some(table), None) => Ok(table),
        (None, _) | (Some(_), Some(_)) => Err(FieldError::new(
            "workload",
            format!(
                "give exactly one workload kind table, [workload.KIND] with KIND one of: {}",
                WorkloadKind::names().join(", ")
            ),
        )),
    }
}

fn probability(value: Option<Probability>, default: f64) -> f64 {
    value.map_or(default, |p| p.0)
}

fn dist(value: &Option<DistValue>, default: Dist) -> Dist {
    value.as_ref().map_or(default, |d| d.0.clone())
}

fn span(value: Option<DurationValue>, default: SimDuration) -> SimDuration {
    value.map_or(default, |d| d.0)
}

fn pool(value: &Option<PoolSpec>, default: PoolConfig) -> PoolConfig {
    value.as_ref().map_or(default, |p| PoolConfig { servers: p.servers, service: p.service.0.clone() })
}

/// Tier shares given replace the default mix; a tier left out has none.
fn admin_batch(table: &AdminBatchSpec) -> AdminBatchParams {
    let defaults = AdminBatchParams::default();
    AdminBatchParams {
        tiers: table.tiers.as_ref().map_or(defaults.tiers, |t| TierMix {
            super_admin: probability(t.super_admin, 0.0),
            department: probability(t.department, 0.0),
            app: probability(t.app, 0.0),
        }),
        escalation: probability(table.escalation, defaults.escalation),
        escalation_delay: dist(&table.escalation_delay, defaults.escalation_delay),
    }
}

fn dissolution(table: &DissolutionSpec) -> DissolutionParams {
    let defaults = DissolutionParams::default();
    DissolutionParams {
        review: dist(&table.review, defaults.review),
        notice: span(table.notice, defaults.notice),
        lead: span(table.lead, defaults.lead),
        archive_retention: span(table.archive_retention, defaults.archive_retention),
    }
}

fn gdpr_export(table: &GdprSpec) -> GdprExportParams {
    let defaults = GdprExportParams::default();
    GdprExportParams {
        reason: dist(&table.reason, defaults.reason),
        export_share: probability(table.export_share, defaults.export_share),
        export_time: dist(&table.export_time, defaults.export_time),
        cloud_copy_kept: probability(table.cloud_copy_kept, defaults.cloud_copy_kept),
        dispute_share: probability(table.dispute_share, defaults.dispute_share),
        dispute_window: span(table.dispute_window, defaults.dispute_window),
    }
}

fn subsidiary_split(table: &SplitSpec) -> SubsidiarySplitParams {
    let defaults = SubsidiarySplitParams::default();
    SubsidiarySplitParams {
        subsidiary_share: probability(table.subsidiary_share, defaults.subsidiary_share),
        rebinders: pool(&table.rebinders, defaults.rebinders),
        window: span(table.window, defaults.window),
    }
}

fn compliance(table: &ComplianceSpec) -> ComplianceDualControlParams {
    let defaults = ComplianceDualControlParams::default();
    ComplianceDualControlParams {
        officers: pool(&table.officers, defaults.officers),
        risk_confirm: dist(&table.risk_confirm, defaults.risk_confirm),
    }
}

/// A script's steps are its arrivals, one member each: no `arrivals`, no
/// `members_per_arrival`.
fn script_workload(
    spec: &WorkloadSpec,
    steps: &[StepSpec],
    members: u32,
    horizon: SimDuration,
) -> Result<Workload, FieldError> {
    if spec.arrivals.is_some() || spec.members_per_arrival.is_some() {
        let key = if spec.arrivals.is_some() { "workload.arrivals" } else { "workload.members_per_arrival" };
        return Err(FieldError::new(key, "a script's steps are its arrivals, one member each: leave this out"));
    }
    let steps = super::super::script::steps(steps, members, horizon)?;
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

/// A workload that draws admins of each tier it gives a share to needs
/// some in the roster.
pub(super) fn check_roster(org: &OrgParams, workload: &Workload) -> Result<(), FieldError> {
    let Some(tiers) = workload.kind.admin_tiers() else { return Ok(()) };
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

#[cfg(test)]
mod tests {
    use crate::model::WorkloadKind;
    use crate::scenario::parse_scenario;

    /// Each kind's table, left empty, gives that kind with the model's
    /// defaults: the file's names and the model's agree, and no default is
    /// kept twice.
    #[test]
    fn an_empty_kind_table_gives_the_kind_with_its_defaults() {
        for kind in WorkloadKind::all_with_defaults() {
            if kind.script_steps().is_some() {
                continue; // a script needs steps (see scenario::script)
            }
            let table = kind.name();
            let text = format!(
                "name = \"t\"\nhorizon = \"1d\"\n[workload]\narrivals = {{ at = [\"0h\"] }}\n[workload.{table}]\n"
            );
            let scenario = parse_scenario("t", &text).unwrap_or_else(|e| panic!("{table}: {e}"));
            assert_eq!(scenario.workload.kind, kind);
        }
    }
}

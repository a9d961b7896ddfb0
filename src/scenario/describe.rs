//! Every resolved parameter of a scenario (defaults filled in) as JSON,
//! spelled as a scenario file would spell it, for the summary and the
//! banner a run prints before it starts.

use super::build::Scenario;
use crate::engine::Dist;
use crate::model::{
    AdminBatchParams, ApiLimits, Arrivals, ComplianceDualControlParams, DeviceChangeParams, DissolutionParams, Edition,
    GdprExportParams, Module, Platform, PoolConfig, SubsidiarySplitParams, WorkloadKind,
};
use serde_json::{Value, json};

impl Scenario {
    /// The resolved parameters, as JSON.
    pub fn parameters(&self) -> Value {
        let mut parameters = json!({
            "horizon": self.horizon.to_string(),
            "org": self.org_json(),
            "policy": self.policy_json(),
            "behaviour": self.behaviour_json(),
            "workload": self.workload_json(),
            "slo": Value::Object(self.slo.iter().map(|slo| (slo.key.clone(), json!(slo.text))).collect()),
        });
        // Written only when the file sets it, so other results keep their bytes.
        if let Some(max_events) = self.max_events {
            parameters["max_events"] = json!(max_events);
        }
        if let Some(points) = &self.leak_risk_at {
            let points: Vec<String> = points.iter().map(|point| point.exact_text()).collect();
            parameters["metrics"] = json!({ "leak_risk_at": points });
        }
        parameters
    }

    fn org_json(&self) -> Value {
        let o = &self.org;
        json!({
            "members": o.members,
            "departments": { "branching": o.branching, "depth": o.depth },
            "devices_per_member": { "poisson": o.devices_mean, "min": o.devices_min, "max": o.devices_max },
            "platforms": per_platform(|p| json!(o.platform_mix[p.index()])),
            "apps": { "count": o.apps, "zipf": o.app_zipf, "grants_per_member": o.grants_mean,
                      "native_unbind_share": o.native_unbind_share, "introspection_share": o.introspection_share },
            "roles": { "group_owner": o.group_owner_share, "pending_approvals": o.pending_approvals_share },
            "admins": { "super": o.super_admins, "department_per_members": o.members_per_department_admin, "app": o.app_admins },
        })
    }

    fn policy_json(&self) -> Value {
        let p = &self.policy;
        json!({
            "buffer": p.buffer.to_string(),
            "edition": match p.edition { Edition::Basic => "basic", Edition::Pro => "pro" },
            "mdm_wipe": p.mdm_wipe,
            "token_ttl": p.token_ttl.to_string(),
            "revocation_propagation": dist(&p.revocation_propagation),
            "chat_retention": p.chat_retention.to_string(),
            "batch_limit": p.batch_limit,
            "console_gap": p.console_gap.to_string(),
            "approval": pool(&p.approval),
            "department_delay": dist(&p.department_delay),
            "app_admin_delay": dist(&p.app_admin_delay),
            "handover": dist(&p.handover),
            "device_checkin": dist(&p.device_checkin),
            "lockout_recovery": dist(&p.lockout_recovery),
            "lost_device_unbind": p.lost_device_unbind.as_ref().map(dist),
            "api_limits": api_limits(p.api_limits),
            "audit_retention": p.audit_retention.to_string(),
            "guard_bypass_delay": p.guard_bypass_delay.to_string(),
            "keep_modules": p.keep_modules.modules().map(Module::name).collect::<Vec<_>>(),
            "customer_handover": p.customer_handover.map(|h| json!({
                "owner_share": h.owner_share, "customers_mean": h.customers_mean, "refused": h.refused,
                "quota_full": h.quota_full, "group_chats_mean": h.group_chats_mean,
            })),
        })
    }

    fn behaviour_json(&self) -> Value {
        let b = &self.behaviour;
        json!({
            "uninstall_before_unbind": b.uninstall_before_unbind,
            "lockout_given_uninstall": per_platform(|p| json!(b.lockout_given_uninstall.get(p))),
            "skip_app_revoke": b.skip_app_revoke,
            "vendor_keeps_data": b.vendor_keeps_data,
            "native_unbind_skipped": b.native_unbind_skipped,
            "native_unbind_delay": dist(&b.native_unbind_delay),
            "clear_data_skipped": b.clear_data_skipped,
            "trusted_device_kept": b.trusted_device_kept,
            "biometric_kept": b.biometric_kept,
            "android_full_wipe": b.android_full_wipe,
            "forced_cleanup": b.forced_cleanup,
            "device_never_checks_in": b.device_never_checks_in,
            "activity_gap": dist(&b.activity_gap),
            "app_use_gap": dist(&b.app_use_gap),
            "exit_steps": per_platform(|p| json!(b.exit_steps.get(p).to_string())),
            "stale_id_share": b.stale_id_share,
        })
    }

    fn workload_json(&self) -> Value {
        let w = &self.workload;
        let arrivals = match &w.arrivals {
            Arrivals::Poisson { mean_gap, count } => {
                json!({ "poisson_mean_gap": mean_gap.to_string(), "count": count })
            }
            Arrivals::At(times) => json!({ "at": times.iter().map(|t| t.to_string()).collect::<Vec<_>>() }),
            Arrivals::Every { start, every, count } => {
                json!({ "every": every.to_string(), "start": start.to_string(), "count": count })
            }
        };
        json!({
            "kind": w.kind.name(),
            "arrivals": arrivals,
            "members_per_arrival": w.members_per_arrival,
            w.kind.name(): kind_json(&w.kind),
        })
    }
}

/// A preset by its name, a table as written.
fn api_limits(limits: ApiLimits) -> Value {
    match limits {
        ApiLimits::Table { per_minute, per_hour } => json!({ "per_minute": per_minute, "per_hour": per_hour }),
        ApiLimits::WeCom | ApiLimits::SlackScim | ApiLimits::Entra | ApiLimits::None => json!(limits.preset_name()),
    }
}

fn kind_json(kind: &WorkloadKind) -> Value {
    match kind {
        WorkloadKind::SelfExit | WorkloadKind::AppGrants => json!({}),
        WorkloadKind::AdminBatch(AdminBatchParams { tiers, escalation, escalation_delay }) => json!({
            "tiers": { "super": tiers.super_admin, "department": tiers.department, "app": tiers.app },
            "escalation": escalation,
            "escalation_delay": dist(escalation_delay),
        }),
        WorkloadKind::DeviceChange(DeviceChangeParams { lost_device }) => json!({ "lost_device": lost_device }),
        WorkloadKind::Dissolution(DissolutionParams { review, notice, lead, archive_retention }) => json!({
            "review": dist(review), "notice": notice.to_string(), "lead": lead.to_string(),
            "archive_retention": archive_retention.to_string(),
        }),
        WorkloadKind::GdprExport(GdprExportParams {
            reason,
            export_share,
            export_time,
            cloud_copy_kept,
            dispute_share,
            dispute_window,
        }) => json!({
            "reason": dist(reason), "export_share": export_share, "export_time": dist(export_time),
            "cloud_copy_kept": cloud_copy_kept, "dispute_share": dispute_share, "dispute_window": dispute_window.to_string(),
        }),
        WorkloadKind::SubsidiarySplit(SubsidiarySplitParams { subsidiary_share, rebinders, window }) => json!({
            "subsidiary_share": subsidiary_share, "rebinders": pool(rebinders), "window": window.to_string(),
        }),
        WorkloadKind::ComplianceDualControl(ComplianceDualControlParams { officers, risk_confirm }) => json!({
            "officers": pool(officers), "risk_confirm": dist(risk_confirm),
        }),
        WorkloadKind::Script { steps } => {
            json!({ "steps": steps.iter().map(super::script::step_toml).collect::<Vec<_>>() })
        }
    }
}

fn dist(dist: &Dist) -> Value {
    json!(dist.to_string())
}

fn pool(pool: &PoolConfig) -> Value {
    json!({ "servers": pool.servers, "service": dist(&pool.service) })
}

fn per_platform(value: impl Fn(Platform) -> Value) -> Value {
    Value::Object(Platform::ALL.iter().map(|&p| (p.name().to_owned(), value(p))).collect())
}

//! The scenario file as written: serde types mirroring the TOML, every
//! table closed to unknown keys, every value optional where the domain has
//! a default. Quantities use the located parsers of `units`, so a bad value
//! is reported at its own line and column. These types are the file format
//! only; `build` turns them into the model's configuration.

use super::units::{DistValue, DurationValue, Probability, RateValue};
use crate::model::MAX_SCRIPT_STEPS;
use serde::Deserialize;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ScenarioSpec {
    pub name: String,
    #[serde(default)]
    pub description: String,
    pub horizon: DurationValue,
    pub seed: Option<u64>,
    pub replications: Option<u32>,
    /// Most events one replication may process (the runner's default when
    /// left out); a replication stopped by it leaves partial figures.
    pub max_events: Option<u64>,
    /// How the replications' orgs are drawn (`sampled` when left out).
    pub org_mode: Option<OrgModeSpec>,
    #[serde(default)]
    pub org: OrgSpec,
    #[serde(default)]
    pub policy: PolicySpec,
    #[serde(default)]
    pub behaviour: BehaviourSpec,
    pub workload: WorkloadSpec,
    /// Objectives: figure name → threshold, e.g. `lockout_rate = "< 0.05"`.
    #[serde(default)]
    pub slo: std::collections::BTreeMap<String, String>,
    /// What the run measures beyond its defaults.
    #[serde(default)]
    pub metrics: MetricsSpec,
}

/// `[metrics]`: `leak_risk_at = ["1h", "1d", "7d", "30d", "90d"]`, the
/// times after a decision at which the leak risk is read.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MetricsSpec {
    pub leak_risk_at: Option<Vec<DurationValue>>,
}

/// `org_mode = "sampled"`: every replication generates its own org from
/// its own seed; `"shared"`: one org, from the run seed, for all of them.
#[derive(Clone, Copy, Debug, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum OrgModeSpec {
    Sampled,
    Shared,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OrgSpec {
    pub preset: Option<String>,
    pub members: Option<u32>,
    pub departments: Option<DepartmentsSpec>,
    pub devices_per_member: Option<DevicesSpec>,
    pub platforms: Option<PlatformMixSpec>,
    pub apps: Option<AppsSpec>,
    pub roles: Option<RolesSpec>,
    pub admins: Option<AdminsSpec>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DepartmentsSpec {
    pub branching: u32,
    pub depth: u32,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DevicesSpec {
    pub poisson: f64,
    pub min: Option<u8>,
    pub max: Option<u8>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PlatformMixSpec {
    pub ios: Option<Probability>,
    pub android: Option<Probability>,
    pub windows: Option<Probability>,
    pub macos: Option<Probability>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AppsSpec {
    pub count: Option<u32>,
    pub zipf: Option<f64>,
    pub grants_per_member: Option<f64>,
    pub native_unbind_share: Option<Probability>,
    pub introspection_share: Option<Probability>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RolesSpec {
    pub group_owner: Option<Probability>,
    pub pending_approvals: Option<Probability>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AdminsSpec {
    #[serde(rename = "super")]
    pub super_admins: Option<u32>,
    pub department_per_members: Option<u32>,
    pub app: Option<u32>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PolicySpec {
    pub buffer: Option<DurationValue>,
    pub edition: Option<EditionSpec>,
    pub mdm_wipe: Option<bool>,
    pub token_ttl: Option<DurationValue>,
    pub revocation_propagation: Option<DistValue>,
    pub chat_retention: Option<DurationValue>,
    pub batch_limit: Option<u32>,
    pub console_rate: Option<RateValue>,
    pub approval: Option<PoolSpec>,
    pub department_delay: Option<DistValue>,
    pub app_admin_delay: Option<DistValue>,
    pub handover: Option<DistValue>,
    pub device_checkin: Option<DistValue>,
    pub lockout_recovery: Option<DistValue>,
    pub lost_device_unbind: Option<DistValue>,
    pub api_limits: Option<ApiLimitsSpec>,
    pub audit_retention: Option<DurationValue>,
    pub guard_bypass_delay: Option<DurationValue>,
    /// Modules an admin's disable keeps live (pro edition): `["mail"]`.
    pub keep_modules: Option<Vec<String>>,
    pub customer_handover: Option<CustomerHandoverSpec>,
}

/// `[policy.customer_handover]`: customers and group chats handed over by
/// API after a member leaves; each key absent takes the model's default.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CustomerHandoverSpec {
    pub owner_share: Option<Probability>,
    pub customers_mean: Option<f64>,
    pub refused: Option<Probability>,
    pub quota_full: Option<Probability>,
    pub group_chats_mean: Option<f64>,
}

/// `policy.api_limits`: a vendor's preset by name, or a table
/// `{ per_minute = N, per_hour = N }`.
#[derive(Debug)]
pub enum ApiLimitsSpec {
    Preset(ApiPresetSpec),
    Table(ApiTableSpec),
}

#[derive(Clone, Copy, Debug, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum ApiPresetSpec {
    Wecom,
    SlackScim,
    Entra,
    None,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ApiTableSpec {
    pub per_minute: Option<u32>,
    pub per_hour: Option<u32>,
}

impl<'de> Deserialize<'de> for ApiLimitsSpec {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(ApiLimitsVisitor)
    }
}

/// Reads a preset's name or a table, without buffering, so errors keep
/// their position.
struct ApiLimitsVisitor;

impl<'de> serde::de::Visitor<'de> for ApiLimitsVisitor {
    type Value = ApiLimitsSpec;

    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str("\"wecom\", \"slack-scim\", \"entra\", \"none\" or a table { per_minute, per_hour }")
    }

    fn visit_str<E: serde::de::Error>(self, value: &str) -> Result<Self::Value, E> {
        use serde::de::IntoDeserializer;
        ApiPresetSpec::deserialize(value.into_deserializer()).map(ApiLimitsSpec::Preset)
    }

    fn visit_map<A: serde::de::MapAccess<'de>>(self, map: A) -> Result<Self::Value, A::Error> {
        ApiTableSpec::deserialize(serde::de::value::MapAccessDeserializer::new(map)).map(ApiLimitsSpec::Table)
    }
}

#[derive(Clone, Copy, Debug, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum EditionSpec {
    Basic,
    Pro,
}

/// A pool of people: how many, and how long each takes.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PoolSpec {
    pub servers: u32,
    pub service: DistValue,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BehaviourSpec {
    pub uninstall_before_unbind: Option<Probability>,
    pub lockout_given_uninstall: Option<PlatformProbability>,
    pub skip_app_revoke: Option<Probability>,
    pub vendor_keeps_data: Option<Probability>,
    pub native_unbind_skipped: Option<Probability>,
    pub native_unbind_delay: Option<DistValue>,
    pub clear_data_skipped: Option<Probability>,
    pub trusted_device_kept: Option<Probability>,
    pub biometric_kept: Option<Probability>,
    pub android_full_wipe: Option<Probability>,
    pub forced_cleanup: Option<Probability>,
    pub device_never_checks_in: Option<Probability>,
    pub activity_gap: Option<DistValue>,
    pub app_use_gap: Option<DistValue>,
    pub exit_steps: Option<PlatformDurations>,
    pub stale_id_share: Option<Probability>,
}

/// One probability for every platform, or a table of them by platform.
#[derive(Debug)]
pub enum PlatformProbability {
    All(Probability),
    ByPlatform(PlatformProbabilities),
}

impl<'de> Deserialize<'de> for PlatformProbability {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(PlatformProbabilityVisitor)
    }
}

/// Reads a number (validated as a probability) or a per-platform table,
/// without buffering, so errors keep their position.
struct PlatformProbabilityVisitor;

impl<'de> serde::de::Visitor<'de> for PlatformProbabilityVisitor {
    type Value = PlatformProbability;

    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str("a probability in [0, 1] or a table { ios, android, windows, macos } of them")
    }

    fn visit_f64<E: serde::de::Error>(self, value: f64) -> Result<Self::Value, E> {
        use serde::de::IntoDeserializer;
        Probability::deserialize(value.into_deserializer()).map(PlatformProbability::All)
    }

    fn visit_i64<E: serde::de::Error>(self, value: i64) -> Result<Self::Value, E> {
        self.visit_f64(value as f64)
    }

    fn visit_u64<E: serde::de::Error>(self, value: u64) -> Result<Self::Value, E> {
        self.visit_f64(value as f64)
    }

    fn visit_map<A: serde::de::MapAccess<'de>>(self, map: A) -> Result<Self::Value, A::Error> {
        PlatformProbabilities::deserialize(serde::de::value::MapAccessDeserializer::new(map))
            .map(PlatformProbability::ByPlatform)
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PlatformProbabilities {
    pub ios: Option<Probability>,
    pub android: Option<Probability>,
    pub windows: Option<Probability>,
    pub macos: Option<Probability>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PlatformDurations {
    pub ios: Option<DurationValue>,
    pub android: Option<DurationValue>,
    pub windows: Option<DurationValue>,
    pub macos: Option<DurationValue>,
}

/// The workload: arrivals, members per decision, and exactly one of the
/// kind tables (`[workload.admin-batch]` and so on).
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WorkloadSpec {
    pub arrivals: Option<ArrivalsSpec>,
    pub members_per_arrival: Option<u32>,
    #[serde(rename = "self-exit")]
    pub self_exit: Option<EmptySpec>,
    #[serde(rename = "admin-batch")]
    pub admin_batch: Option<AdminBatchSpec>,
    #[serde(rename = "device-change")]
    pub device_change: Option<DeviceChangeSpec>,
    #[serde(rename = "app-grants")]
    pub app_grants: Option<EmptySpec>,
    pub dissolution: Option<DissolutionSpec>,
    #[serde(rename = "gdpr-export")]
    pub gdpr_export: Option<GdprSpec>,
    #[serde(rename = "subsidiary-split")]
    pub subsidiary_split: Option<SplitSpec>,
    #[serde(rename = "compliance-dual-control")]
    pub compliance_dual_control: Option<ComplianceSpec>,
    pub script: Option<ScriptSpec>,
}

/// How decisions arrive: exactly one of `poisson`, `at`, `every`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ArrivalsSpec {
    pub poisson: Option<RateValue>,
    pub at: Option<Vec<DurationValue>>,
    pub every: Option<DurationValue>,
    pub start: Option<DurationValue>,
    pub count: Option<u32>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EmptySpec {}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AdminBatchSpec {
    pub tiers: Option<TiersSpec>,
    pub escalation: Option<Probability>,
    pub escalation_delay: Option<DistValue>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TiersSpec {
    #[serde(rename = "super")]
    pub super_admin: Option<Probability>,
    pub department: Option<Probability>,
    pub app: Option<Probability>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DeviceChangeSpec {
    pub lost_device: Option<Probability>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DissolutionSpec {
    pub review: Option<DistValue>,
    pub notice: Option<DurationValue>,
    pub lead: Option<DurationValue>,
    pub archive_retention: Option<DurationValue>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GdprSpec {
    pub reason: Option<DistValue>,
    pub export_share: Option<Probability>,
    pub export_time: Option<DistValue>,
    pub cloud_copy_kept: Option<Probability>,
    pub dispute_share: Option<Probability>,
    pub dispute_window: Option<DurationValue>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SplitSpec {
    pub subsidiary_share: Option<Probability>,
    pub rebinders: Option<PoolSpec>,
    pub window: Option<DurationValue>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ComplianceSpec {
    pub officers: Option<PoolSpec>,
    pub risk_confirm: Option<DistValue>,
}

/// `[workload.script]`: timed operations on named members.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ScriptSpec {
    /// Refused while parsing beyond the model's limit, before more steps
    /// are built (the count is checked again with the rest in `script`).
    #[serde(deserialize_with = "bounded_steps")]
    pub steps: Vec<StepSpec>,
}

/// At most `MAX_SCRIPT_STEPS` steps, refused at the first one beyond.
fn bounded_steps<'de, D: serde::Deserializer<'de>>(deserializer: D) -> Result<Vec<StepSpec>, D::Error> {
    struct Steps;
    impl<'de> serde::de::Visitor<'de> for Steps {
        type Value = Vec<StepSpec>;
        fn expecting(&self, formatter: &mut std::fmt::Formatter) -> std::fmt::Result {
            write!(formatter, "an array of at most {MAX_SCRIPT_STEPS} steps")
        }
        fn visit_seq<A: serde::de::SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
            let mut steps = Vec::new();
            while let Some(step) = seq.next_element()? {
                if steps.len() == MAX_SCRIPT_STEPS {
                    return Err(serde::de::Error::custom(format!(
                        "give between 1 and {MAX_SCRIPT_STEPS} steps, got more"
                    )));
                }
                steps.push(step);
            }
            Ok(steps)
        }
    }
    deserializer.deserialize_seq(Steps)
}

/// One step, e.g. `{ at = "2h", op = "unbind", member = 3, by = "super" }`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StepSpec {
    pub at: DurationValue,
    pub op: OpSpec,
    pub member: u32,
    /// Who unbinds (`unbind` only; `super` when left out).
    pub by: Option<UnbinderSpec>,
    /// Which of the member's grants, from 0 (`revoke` only).
    pub grant: Option<u8>,
}

#[derive(Clone, Copy, Debug, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum OpSpec {
    Unbind,
    ChangeDevice,
    Uninstall,
    Revoke,
}

#[derive(Clone, Copy, Debug, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum UnbinderSpec {
    Member,
    Super,
    Department,
    App,
}

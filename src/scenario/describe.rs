//! Every resolved parameter of a scenario (defaults filled in), spelled as
//! a scenario file spells it: each key under the file's name, each value in
//! the file's syntax — durations and distributions as `units` writes them
//! (`"8h"`, `{ exp = "8h" }`), rates as `"40/d"` — so a printed
//! `key=value` reads back through `sweep --set` or a file to the same
//! parameter. No sentinel is written: arrivals without a `count` leave the
//! key out, and so do settings the model leaves unset.
//!
//! The summary keeps them all as JSON ([`Scenario::parameters`]); the
//! banner prints them as `key=value` [`Setting`]s, all of them
//! ([`Scenario::settings`]) or those that differ from the defaults
//! ([`Scenario::changed_settings`]). This file is the one place that knows
//! how a resolved parameter is spelled.

use super::build::Scenario;
use super::units::{DistValue, DurationValue, rate_with_mean_gap};
use crate::engine::{Dist, SimDuration};
use crate::model::{
    AdminBatchParams, ApiLimits, Arrivals, Behaviour, ComplianceDualControlParams, DeviceChangeParams,
    DissolutionParams, Edition, GdprExportParams, Module, Platform, Policy, PoolConfig, SubsidiarySplitParams,
    WorkloadKind,
};
use crate::synth::OrgParams;
use serde::Serialize;
use serde_json::{Map, Value, json};
use std::fmt;

/// The dotted key of the arrivals, which have no default but for the
/// kinds that take the whole org at once.
const ARRIVALS_KEY: &str = "workload.arrivals";

/// One resolved parameter as `--set` and a scenario file take it: a
/// dotted key and its TOML value; `Display` writes `key=value`.
#[derive(Clone, Debug, PartialEq)]
pub struct Setting {
    pub key: String,
    pub value: toml::Value,
}

impl fmt::Display for Setting {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}={}", self.key, self.value)
    }
}

/// The resolved parameters as a tree: tables the file may write key by
/// key, and values it writes whole (a number, a duration, a distribution,
/// a pool, the arrivals). A `null` value is a key left out.
enum Node {
    Whole(Value),
    Keys(Vec<(String, Node)>),
}

impl Node {
    fn json(self) -> Value {
        match self {
            Node::Whole(value) => value,
            Node::Keys(entries) => Value::Object(entries.into_iter().map(|(key, node)| (key, node.json())).collect()),
        }
    }

    /// The settings under `prefix`; a table without keys (a kind's empty
    /// table, `[workload.self-exit]`) is the setting `key={}`.
    fn flatten(self, prefix: &str, out: &mut Vec<Setting>) {
        let dotted = |key: &str| if prefix.is_empty() { key.to_owned() } else { format!("{prefix}.{key}") };
        match self {
            Node::Keys(entries) if entries.is_empty() => {
                out.push(Setting { key: prefix.to_owned(), value: toml::Value::Table(toml::Table::new()) })
            }
            Node::Keys(entries) => entries.into_iter().for_each(|(key, node)| node.flatten(&dotted(&key), out)),
            Node::Whole(value) => {
                let value = toml::Value::try_from(&value).expect("a resolved parameter is a TOML value");
                out.push(Setting { key: prefix.to_owned(), value });
            }
        }
    }
}

/// A table of the entries given, keys left out (`null`) dropped.
fn keys<const N: usize>(entries: [(&str, Node); N]) -> Node {
    let given = entries.into_iter().filter(|(_, node)| !matches!(node, Node::Whole(Value::Null)));
    Node::Keys(given.map(|(key, node)| (key.to_owned(), node)).collect())
}

fn whole(value: impl Serialize) -> Node {
    Node::Whole(serde_json::to_value(value).expect("a resolved parameter serializes"))
}

fn duration(span: SimDuration) -> Node {
    whole(DurationValue(span))
}

fn dist(dist: &Dist) -> Node {
    whole(DistValue(dist.clone()))
}

fn pool(pool: &PoolConfig) -> Node {
    whole(json!({ "servers": pool.servers, "service": DistValue(pool.service.clone()) }))
}

fn per_platform(value: impl Fn(Platform) -> Value) -> Node {
    whole(Value::Object(Platform::ALL.iter().map(|&p| (p.name().to_owned(), value(p))).collect()))
}

impl Scenario {
    /// The resolved parameters as JSON, as a scenario file writes them.
    pub fn parameters(&self) -> Value {
        self.tree().json()
    }

    /// Every resolved parameter as a `key=value` setting, in file order.
    pub fn settings(&self) -> Vec<Setting> {
        let mut settings = Vec::new();
        self.tree().flatten("", &mut settings);
        settings
    }

    /// The settings that differ from the defaults of a scenario with this
    /// horizon and workload kind; arrivals with no default always differ.
    pub fn changed_settings(&self) -> Vec<Setting> {
        let mut defaults = self.defaults().settings();
        if !self.workload.kind.whole_org() {
            defaults.retain(|setting| setting.key != ARRIVALS_KEY);
        }
        self.settings().into_iter().filter(|setting| !defaults.contains(setting)).collect()
    }

    /// This scenario with every parameter that has a default set to it.
    fn defaults(&self) -> Scenario {
        let name = self.workload.kind.name();
        let kind = WorkloadKind::all_with_defaults().into_iter().find(|kind| kind.name() == name);
        let mut defaults = self.clone();
        defaults.workload.kind = kind.expect("every kind has its defaults");
        defaults.workload.members_per_arrival = defaults.workload.kind.default_members_per_arrival();
        if defaults.workload.kind.whole_org() {
            defaults.workload.arrivals = Arrivals::At(vec![SimDuration::ZERO]);
        }
        (defaults.org, defaults.policy, defaults.behaviour) =
            (OrgParams::default(), Policy::default(), Behaviour::default());
        (defaults.slo, defaults.max_events, defaults.leak_risk_at) = (Vec::new(), None, None);
        defaults
    }

    fn tree(&self) -> Node {
        let slo = Node::Keys(self.slo.iter().map(|slo| (slo.key.clone(), whole(&slo.text))).collect());
        keys([
            ("horizon", duration(self.horizon)),
            ("org", org(&self.org)),
            ("policy", policy(&self.policy)),
            ("behaviour", behaviour(&self.behaviour)),
            ("workload", self.workload_node()),
            ("slo", if self.slo.is_empty() { whole(Value::Null) } else { slo }),
            ("max_events", whole(self.max_events)),
            ("metrics", self.metrics_node()),
        ])
    }

    /// `metrics.leak_risk_at`, written only when the file sets it.
    fn metrics_node(&self) -> Node {
        let points =
            self.leak_risk_at.as_ref().map(|points| points.iter().copied().map(DurationValue).collect::<Vec<_>>());
        match points {
            Some(points) => keys([("leak_risk_at", whole(points))]),
            None => whole(Value::Null),
        }
    }

    /// The arrivals, members per arrival and the kind's table (a script's
    /// steps are its arrivals, one member each: neither is written).
    fn workload_node(&self) -> Node {
        let w = &self.workload;
        let kind = (w.kind.name(), kind_node(&w.kind));
        if let WorkloadKind::Script { .. } = w.kind {
            return keys([kind]);
        }
        let arrivals = match &w.arrivals {
            Arrivals::Poisson { mean_gap, count } => {
                let mut table = Map::from_iter([("poisson".to_owned(), json!(rate_with_mean_gap(*mean_gap)))]);
                // `u32::MAX` is what a file without `count` means: unbounded.
                if *count != u32::MAX {
                    table.insert("count".to_owned(), json!(count));
                }
                whole(table)
            }
            Arrivals::At(times) => whole(json!({ "at": times.iter().copied().map(DurationValue).collect::<Vec<_>>() })),
            Arrivals::Every { start, every, count } => {
                whole(json!({ "every": DurationValue(*every), "start": DurationValue(*start), "count": count }))
            }
        };
        keys([("arrivals", arrivals), ("members_per_arrival", whole(w.members_per_arrival)), kind])
    }
}

fn org(o: &OrgParams) -> Node {
    keys([
        ("members", whole(o.members)),
        ("departments", whole(json!({ "branching": o.branching, "depth": o.depth }))),
        ("devices_per_member", whole(json!({ "poisson": o.devices_mean, "min": o.devices_min, "max": o.devices_max }))),
        ("platforms", per_platform(|p| json!(o.platform_mix[p.index()]))),
        (
            "apps",
            keys([
                ("count", whole(o.apps)),
                ("zipf", whole(o.app_zipf)),
                ("grants_per_member", whole(o.grants_mean)),
                ("native_unbind_share", whole(o.native_unbind_share)),
                ("introspection_share", whole(o.introspection_share)),
            ]),
        ),
        (
            "roles",
            keys([
                ("group_owner", whole(o.group_owner_share)),
                ("pending_approvals", whole(o.pending_approvals_share)),
            ]),
        ),
        (
            "admins",
            keys([
                ("super", whole(o.super_admins)),
                ("department_per_members", whole(o.members_per_department_admin)),
                ("app", whole(o.app_admins)),
            ]),
        ),
    ])
}

fn policy(p: &Policy) -> Node {
    keys([
        ("buffer", duration(p.buffer)),
        ("edition", whole(edition(p.edition))),
        ("mdm_wipe", whole(p.mdm_wipe)),
        ("token_ttl", duration(p.token_ttl)),
        ("revocation_propagation", dist(&p.revocation_propagation)),
        ("chat_retention", duration(p.chat_retention)),
        ("batch_limit", whole(p.batch_limit)),
        ("console_rate", whole(rate_with_mean_gap(p.console_gap))),
        ("approval", pool(&p.approval)),
        ("department_delay", dist(&p.department_delay)),
        ("app_admin_delay", dist(&p.app_admin_delay)),
        ("handover", dist(&p.handover)),
        ("device_checkin", dist(&p.device_checkin)),
        ("lockout_recovery", dist(&p.lockout_recovery)),
        ("lost_device_unbind", whole(p.lost_device_unbind.clone().map(DistValue))),
        ("api_limits", api_limits(p.api_limits)),
        ("audit_retention", duration(p.audit_retention)),
        ("guard_bypass_delay", duration(p.guard_bypass_delay)),
        ("keep_modules", whole(p.keep_modules.modules().map(Module::name).collect::<Vec<_>>())),
        (
            "customer_handover",
            whole(p.customer_handover.map(|h| {
                json!({
                    "owner_share": h.owner_share, "customers_mean": h.customers_mean, "refused": h.refused,
                    "quota_full": h.quota_full, "group_chats_mean": h.group_chats_mean,
                })
            })),
        ),
    ])
}

fn edition(edition: Edition) -> &'static str {
    match edition {
        Edition::Basic => "basic",
        Edition::Pro => "pro",
    }
}

/// A preset by its name, a table with the limits it sets.
fn api_limits(limits: ApiLimits) -> Node {
    match limits {
        ApiLimits::Table { per_minute, per_hour } => {
            let limits = [("per_minute", per_minute), ("per_hour", per_hour)];
            whole(Map::from_iter(limits.into_iter().filter_map(|(key, limit)| Some((key.to_owned(), json!(limit?))))))
        }
        ApiLimits::WeCom | ApiLimits::SlackScim | ApiLimits::Entra | ApiLimits::None => whole(limits.preset_name()),
    }
}

fn behaviour(b: &Behaviour) -> Node {
    keys([
        ("uninstall_before_unbind", whole(b.uninstall_before_unbind)),
        ("lockout_given_uninstall", per_platform(|p| json!(b.lockout_given_uninstall.get(p)))),
        ("skip_app_revoke", whole(b.skip_app_revoke)),
        ("vendor_keeps_data", whole(b.vendor_keeps_data)),
        ("native_unbind_skipped", whole(b.native_unbind_skipped)),
        ("native_unbind_delay", dist(&b.native_unbind_delay)),
        ("clear_data_skipped", whole(b.clear_data_skipped)),
        ("trusted_device_kept", whole(b.trusted_device_kept)),
        ("biometric_kept", whole(b.biometric_kept)),
        ("android_full_wipe", whole(b.android_full_wipe)),
        ("forced_cleanup", whole(b.forced_cleanup)),
        ("device_never_checks_in", whole(b.device_never_checks_in)),
        ("activity_gap", dist(&b.activity_gap)),
        ("app_use_gap", dist(&b.app_use_gap)),
        ("exit_steps", per_platform(|p| json!(DurationValue(b.exit_steps.get(p))))),
        ("stale_id_share", whole(b.stale_id_share)),
    ])
}

fn kind_node(kind: &WorkloadKind) -> Node {
    match kind {
        WorkloadKind::SelfExit | WorkloadKind::AppGrants => keys([]),
        WorkloadKind::AdminBatch(AdminBatchParams { tiers, escalation, escalation_delay }) => keys([
            ("tiers", whole(json!({ "super": tiers.super_admin, "department": tiers.department, "app": tiers.app }))),
            ("escalation", whole(escalation)),
            ("escalation_delay", dist(escalation_delay)),
        ]),
        WorkloadKind::DeviceChange(DeviceChangeParams { lost_device }) => keys([("lost_device", whole(lost_device))]),
        WorkloadKind::Dissolution(DissolutionParams { review, notice, lead, archive_retention }) => keys([
            ("review", dist(review)),
            ("notice", duration(*notice)),
            ("lead", duration(*lead)),
            ("archive_retention", duration(*archive_retention)),
        ]),
        WorkloadKind::GdprExport(GdprExportParams {
            reason,
            export_share,
            export_time,
            cloud_copy_kept,
            dispute_share,
            dispute_window,
        }) => keys([
            ("reason", dist(reason)),
            ("export_share", whole(export_share)),
            ("export_time", dist(export_time)),
            ("cloud_copy_kept", whole(cloud_copy_kept)),
            ("dispute_share", whole(dispute_share)),
            ("dispute_window", duration(*dispute_window)),
        ]),
        WorkloadKind::SubsidiarySplit(SubsidiarySplitParams { subsidiary_share, rebinders, window }) => keys([
            ("subsidiary_share", whole(subsidiary_share)),
            ("rebinders", pool(rebinders)),
            ("window", duration(*window)),
        ]),
        WorkloadKind::ComplianceDualControl(ComplianceDualControlParams { officers, risk_confirm }) => {
            keys([("officers", pool(officers)), ("risk_confirm", dist(risk_confirm))])
        }
        WorkloadKind::Script { steps } => {
            let steps: Vec<toml::Value> =
                steps.iter().map(|step| toml_value(&super::script::step_toml(step))).collect();
            keys([("steps", whole(steps))])
        }
    }
}

/// The TOML value `text` writes; `text` is one this crate wrote.
fn toml_value(text: &str) -> toml::Value {
    let mut table: toml::Table = toml::from_str(&format!("v = {text}")).expect("a written step reads back");
    table.remove("v").expect("the key just written")
}

#[cfg(test)]
mod tests {
    use super::super::{BUILTIN, load_scenario, load_with_overrides, parse_scenario};
    use super::*;
    use std::path::{Path, PathBuf};

    /// Odd values of every kind of setting: a rate whose gap is not a
    /// whole count per unit, a capped count, a partial API table, a
    /// distribution in every form, a lost-device unbind.
    const ODD: &str = r#"
name = "odd"
horizon = "9d"
max_events = 5000000
[org]
preset = "small"
platforms = { ios = 0.5, android = 0.5 }
[policy]
console_rate = "7/h"
api_limits = { per_minute = 90 }
lost_device_unbind = { empirical = ["1h", "90min", "1500ms"] }
handover = { fixed = "3h" }
[behaviour]
lockout_given_uninstall = { ios = 0.5 }
exit_steps = { windows = "1.5min" }
[workload]
arrivals = { poisson = "3/7d", count = 12 }
[workload.gdpr-export]
reason = { lognormal = { median = "2h", sigma = 1 } }
"#;

    /// Every built-in scenario, every file in `scenarios/`, and [`ODD`].
    fn every_scenario() -> Vec<Scenario> {
        let mut all: Vec<Scenario> = BUILTIN.iter().map(|(name, _)| load_scenario(name).unwrap()).collect();
        let folder = Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios");
        let mut files: Vec<PathBuf> = std::fs::read_dir(folder).unwrap().map(|entry| entry.unwrap().path()).collect();
        files.sort();
        for file in files.iter().filter(|file| file.extension().is_some_and(|ext| ext == "toml")) {
            all.push(load_scenario(file.to_str().unwrap()).unwrap_or_else(|e| panic!("{}: {e}", file.display())));
        }
        all.push(parse_scenario("odd.toml", ODD).unwrap());
        all
    }

    /// What the parameters fix, field by field (not the name, seed or
    /// replication count, which are no parameters).
    fn assert_same_parameters(back: &Scenario, scenario: &Scenario, how: &str) {
        let name = &scenario.name;
        assert_eq!(back.horizon, scenario.horizon, "{name} {how}: horizon");
        assert_eq!(back.org, scenario.org, "{name} {how}: org");
        assert_eq!(back.policy, scenario.policy, "{name} {how}: policy");
        assert_eq!(back.behaviour, scenario.behaviour, "{name} {how}: behaviour");
        assert_eq!(back.workload, scenario.workload, "{name} {how}: workload");
        assert_eq!(back.slo, scenario.slo, "{name} {how}: slo");
        assert_eq!(back.max_events, scenario.max_events, "{name} {how}: max_events");
        assert_eq!(back.parameters(), scenario.parameters(), "{name} {how}: parameters");
    }

    /// The least file with this scenario's name, horizon and kind, the
    /// settings given as `--set` overrides on top of it.
    fn with_settings(scenario: &Scenario, settings: &[Setting], folder: &Path) -> Scenario {
        let text = format!(
            "name = \"{}\"\nhorizon = \"{}\"\n[workload.{}]\n",
            scenario.name,
            scenario.horizon.exact_text(),
            scenario.workload.kind.name()
        );
        let file = folder.join(format!("{}.toml", scenario.name));
        std::fs::write(&file, text).unwrap();
        let overrides: Vec<(String, toml::Value)> = settings.iter().map(|s| (s.key.clone(), s.value.clone())).collect();
        load_with_overrides(file.to_str().unwrap(), &overrides).unwrap_or_else(|e| panic!("{}: {e}", scenario.name))
    }

    #[test]
    fn every_printed_setting_reads_back_through_set() {
        let folder = std::env::temp_dir().join(format!("unbindsim-settings-{}", std::process::id()));
        std::fs::create_dir_all(&folder).unwrap();
        for scenario in every_scenario() {
            let back = with_settings(&scenario, &scenario.settings(), &folder);
            assert_same_parameters(&back, &scenario, "from every setting");
            let back = with_settings(&scenario, &scenario.changed_settings(), &folder);
            assert_same_parameters(&back, &scenario, "from the settings not at their defaults");
        }
        std::fs::remove_dir_all(folder).unwrap();
    }

    #[test]
    fn the_summary_parameters_are_a_scenario_file() {
        for scenario in every_scenario() {
            let mut table = toml::Table::try_from(scenario.parameters()).unwrap();
            table.insert("name".to_owned(), toml::Value::String(scenario.name.clone()));
            let text = toml::to_string(&table).unwrap();
            let back = parse_scenario("parameters.toml", &text).unwrap_or_else(|e| panic!("{text}\n{e}"));
            assert_same_parameters(&back, &scenario, "from the summary's parameters");
        }
    }

    #[test]
    fn no_setting_is_a_sentinel_and_defaults_are_not_printed() {
        for scenario in every_scenario() {
            for setting in scenario.settings() {
                let text = setting.to_string();
                assert!(
                    !text.contains(&u32::MAX.to_string()) && !text.contains("forever"),
                    "{}: {text}",
                    scenario.name
                );
            }
        }
        let self_exit = load_scenario("self-exit").unwrap();
        let changed: Vec<String> = self_exit.changed_settings().iter().map(Setting::to_string).collect();
        assert!(changed.iter().any(|s| s.starts_with("workload.arrivals=")), "arrivals have no default: {changed:?}");
        assert!(!changed.iter().any(|s| s.starts_with("policy.token_ttl=")), "{changed:?}");
        let odd = parse_scenario("odd.toml", ODD).unwrap();
        let changed: Vec<String> = odd.changed_settings().iter().map(Setting::to_string).collect();
        for expected in [
            r#"policy.console_rate="7/h""#,
            r#"policy.api_limits={ per_minute = 90 }"#,
            r#"policy.handover="3h""#,
            r#"workload.arrivals={ count = 12, poisson = "3/w" }"#,
        ] {
            assert!(changed.iter().any(|s| s == expected), "{expected} not in {changed:?}");
        }
    }
}

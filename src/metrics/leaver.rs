//! What a leaving member leaves besides devices and grants: the modules
//! a pro edition's disable kept live (`metrics.kept_modules`: the share of
//! offboarded members keeping one, the share of those who reached one
//! after the cut, and each module's members, who keep its data) and the
//! customers and group chats handed over by API (`metrics.customers`:
//! customers lost, refused or over the successor's quota, with their 95 %
//! interval across replications; transfer calls; the time to the last
//! takeover; group chats taking several days). A figure that cannot occur
//! is null with the reason; one fixed by construction says so.

use super::by_construction::fixed;
use super::interval::{Level, mean_over_replications};
use super::proportion::{Proportion, ProportionReport, round9};
use super::record::{ReplicationCounts, ReplicationRecord};
use crate::model::{CustomerTally, Module, ModuleTally};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// Kept modules in one replication.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ModuleRecord {
    /// Members whose account was cut, and those who kept a module.
    pub access: Proportion,
    /// In `Module::ALL` order: members who kept that module.
    pub by_module: Vec<u64>,
    /// Members who kept a module, and those who used one after the cut.
    pub used: Proportion,
}

impl Default for ModuleRecord {
    /// None kept (a record written before modules were modelled).
    fn default() -> Self {
        ModuleRecord::new(&ModuleTally::default())
    }
}

impl ModuleRecord {
    pub fn new(tally: &ModuleTally) -> ModuleRecord {
        ModuleRecord { access: tally.access.into(), by_module: tally.by_module.to_vec(), used: tally.used.into() }
    }

    pub fn merge(&mut self, other: &ModuleRecord) {
        self.access.merge(other.access);
        self.used.merge(other.used);
        for (members, theirs) in self.by_module.iter_mut().zip(&other.by_module) {
            *members += theirs;
        }
    }

    pub fn check_shape(&self) -> Result<(), String> {
        if self.by_module.len() != Module::ALL.len() {
            return Err(format!("`kept_modules` has {} modules, expected {}", self.by_module.len(), Module::ALL.len()));
        }
        let within = self.access.hits <= self.access.trials && self.used.hits <= self.used.trials;
        if !within || self.used.trials != self.access.hits || self.by_module.iter().any(|&n| n > self.access.hits) {
            return Err("`kept_modules` counts more members keeping or using a module than could".into());
        }
        Ok(())
    }
}

/// Customer handover in one replication (the fields of the model's
/// `CustomerTally`; absent from older records: none).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct CustomerRecord {
    pub members: u64,
    pub calls: u64,
    pub settled: u64,
    pub refused: u64,
    pub quota_full: u64,
    pub waiting: u64,
    pub group_chats: u64,
    pub multi_day_owners: u64,
    pub group_chat_days_max: u64,
    pub done: u64,
    pub time_sum_s: u64,
    pub time_max_s: u64,
}

impl CustomerRecord {
    pub fn new(t: &CustomerTally) -> CustomerRecord {
        CustomerRecord {
            members: t.members,
            calls: t.calls,
            settled: t.settled,
            refused: t.refused,
            quota_full: t.quota_full,
            waiting: t.waiting,
            group_chats: t.group_chats,
            multi_day_owners: t.multi_day_owners,
            group_chat_days_max: t.group_chat_days_max,
            done: t.done,
            time_sum_s: t.time_sum_s,
            time_max_s: t.time_max_s,
        }
    }

    /// Customers lost: refused or over the successor's quota.
    pub fn lost(&self) -> u64 {
        self.refused.saturating_add(self.quota_full)
    }

    /// Counts add up; the largest days and time are the larger.
    pub fn merge(&mut self, o: &CustomerRecord) {
        let sums = [
            (&mut self.members, o.members),
            (&mut self.calls, o.calls),
            (&mut self.settled, o.settled),
            (&mut self.refused, o.refused),
            (&mut self.quota_full, o.quota_full),
            (&mut self.waiting, o.waiting),
            (&mut self.group_chats, o.group_chats),
            (&mut self.multi_day_owners, o.multi_day_owners),
            (&mut self.done, o.done),
            (&mut self.time_sum_s, o.time_sum_s),
        ];
        for (count, theirs) in sums {
            *count += theirs;
        }
        self.group_chat_days_max = self.group_chat_days_max.max(o.group_chat_days_max);
        self.time_max_s = self.time_max_s.max(o.time_max_s);
    }

    /// Checks a record read from a file.
    pub fn check_shape(&self) -> Result<(), String> {
        let consistent = self.lost() <= self.settled
            && self.done <= self.members
            && self.multi_day_owners <= self.members
            && self.time_max_s.saturating_mul(self.done) >= self.time_sum_s;
        if consistent { Ok(()) } else { Err("`customers` counts more lost or finished than handed over".into()) }
    }
}

/// `metrics.kept_modules`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct KeptModuleReport {
    /// Offboarded members who kept a module (its live access and data).
    pub access: ProportionReport,
    /// Of those, the share who reached a kept module after their account
    /// was cut, no later than the horizon (the access race).
    pub used: ProportionReport,
    /// Per module kept: the members keeping it and the residue they leave.
    pub by_module: BTreeMap<String, KeptModule>,
    /// Nothing in the model cuts a kept module later.
    pub access_lasts: String,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct KeptModule {
    pub members: u64,
    /// The data the kept module holds on to (a mailbox for mail).
    pub residue: String,
}

impl Default for KeptModuleReport {
    /// The report of a summary written before modules were modelled.
    fn default() -> Self {
        const ABSENT: &str = "not in this summary (written before per-module revoke was modelled)";
        let null = || ProportionReport::over_replications(&[], ABSENT, Level::NINETY_FIVE);
        KeptModuleReport { access: null(), used: null(), by_module: BTreeMap::new(), access_lasts: ABSENT.into() }
    }
}

/// Why no member kept a module: `keep_listed` is whether
/// `policy.keep_modules` lists any.
fn no_module_kept(keep_listed: bool) -> &'static str {
    if keep_listed {
        "cannot occur here: no member was cut on a path that keeps modules (only an admin's or the system's \
         disable does; a member's own exit and a dissolution cut every module)"
    } else {
        "cannot occur here: policy.keep_modules is empty (every module is revoked)"
    }
}

fn kept_module_report(
    totals: &ReplicationCounts,
    replications: &[ReplicationRecord],
    level: Level,
    keep_listed: bool,
) -> KeptModuleReport {
    let each = |pick: fn(&ModuleRecord) -> Proportion| -> Vec<Proportion> {
        replications.iter().map(|r| pick(&r.counts.kept_modules)).collect()
    };
    let (cut, none_kept) = (totals.kept_modules.access.trials > 0, totals.kept_modules.access.hits == 0);
    let reason = if cut { no_module_kept(keep_listed) } else { "no member's account was cut before the horizon" };
    let mut access = ProportionReport::over_replications(&each(|m| m.access), reason, level);
    if cut && none_kept {
        fixed(&mut access, reason.to_owned());
    } else if cut && each(|m| m.access).iter().all(|p| p.hits == p.trials) {
        fixed(&mut access, ALL_KEPT.to_owned());
    }
    let used = ProportionReport::over_replications(&each(|m| m.used), reason, level);
    let by_module = Module::ALL
        .iter()
        .filter(|module| totals.kept_modules.by_module[module.index()] > 0)
        .map(|&module| {
            let members = totals.kept_modules.by_module[module.index()];
            (module.name().to_owned(), KeptModule { members, residue: module.residue_name().to_owned() })
        })
        .collect();
    KeptModuleReport { access, used, by_module, access_lasts: ACCESS_LASTS.to_owned() }
}

const ALL_KEPT: &str = "every offboarded member was cut by an admin's or the system's disable, which keeps \
     policy.keep_modules: 1 by construction";
const ACCESS_LASTS: &str = "past the horizon: nothing in the model cuts a kept module later, so its live access \
     has no end to measure";

/// `metrics.customers`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct CustomerReport {
    /// Members whose handover started (customers or group chats).
    pub handovers: u64,
    /// Transfer calls (≤ 100 customers each), and their mean per
    /// replication with its interval.
    pub calls: u64,
    pub calls_per_replication: Option<f64>,
    pub calls_per_replication_ci95: Option<[f64; 2]>,
    /// Customers lost (refused, status 3, or over the successor's quota,
    /// status 4) among those whose takeover ended by the horizon.
    pub lost: ProportionReport,
    pub refused: u64,
    pub quota_full: u64,
    /// Customers still waiting at the horizon (status 2).
    pub waiting: u64,
    /// Leave to last takeover, over the handovers finished by the horizon.
    pub handovers_done: u64,
    pub mean_time_ms: Option<f64>,
    pub mean_time_ms_ci95: Option<[f64; 2]>,
    pub max_time_ms: Option<u64>,
    /// Group chats handed over (≤ 300 a day per owner), the owners who
    /// needed more than a day, and the most days one owner needed.
    pub group_chats: u64,
    pub multi_day_owners: u64,
    pub group_chat_days_max: u64,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub null_reason: Option<String>,
}

impl Default for CustomerReport {
    /// The report of a summary written before customers were modelled.
    fn default() -> Self {
        customer_report(&ReplicationCounts::empty(), &[], Level::NINETY_FIVE, false)
    }
}

const NOT_MODELLED: &str = "cannot occur here: policy.customer_handover is not set (customers are not modelled)";

fn customer_report(
    totals: &ReplicationCounts,
    replications: &[ReplicationRecord],
    level: Level,
    modelled: bool,
) -> CustomerReport {
    let c = &totals.customers;
    let lost_reason = if modelled { "no customer's takeover ended before the horizon" } else { NOT_MODELLED };
    let lost: Vec<Proportion> =
        replications.iter().map(|r| Proportion::new(r.counts.customers.lost(), r.counts.customers.settled)).collect();
    let calls: Vec<(f64, u64)> = replications.iter().map(|r| (r.counts.customers.calls as f64, 1)).collect();
    let times: Vec<(f64, u64)> =
        replications.iter().map(|r| (r.counts.customers.time_sum_s as f64 * 1e3, r.counts.customers.done)).collect();
    let calls_ci = if modelled { mean_over_replications(&calls, "replications", level) } else { Err(String::new()) };
    let time_ci = mean_over_replications(&times, "finished handovers", level);
    CustomerReport {
        handovers: c.members,
        calls: c.calls,
        calls_per_replication: (modelled && !replications.is_empty())
            .then(|| round9(c.calls as f64 / replications.len() as f64)),
        calls_per_replication_ci95: calls_ci.as_ref().ok().map(|ci| [round9(ci.low), round9(ci.high)]),
        lost: ProportionReport::over_replications(&lost, lost_reason, level),
        refused: c.refused,
        quota_full: c.quota_full,
        waiting: c.waiting,
        handovers_done: c.done,
        mean_time_ms: (c.done > 0).then(|| round9(c.time_sum_s as f64 * 1e3 / c.done as f64)),
        mean_time_ms_ci95: time_ci.as_ref().ok().map(|ci| [round9(ci.low), round9(ci.high)]),
        max_time_ms: (c.done > 0).then_some(c.time_max_s * 1_000),
        group_chats: c.group_chats,
        multi_day_owners: c.multi_day_owners,
        group_chat_days_max: c.group_chat_days_max,
        null_reason: if modelled { calls_ci.err().or(time_ci.err()) } else { Some(NOT_MODELLED.to_owned()) },
    }
}

/// The kept modules and customers of a run under `parameters` (whether
/// `policy.keep_modules` lists any, whether `policy.customer_handover` is
/// set).
pub(super) fn leaver_reports(
    totals: &ReplicationCounts,
    replications: &[ReplicationRecord],
    level: Level,
    parameters: &serde_json::Value,
) -> (KeptModuleReport, CustomerReport) {
    let keep_listed =
        parameters.pointer("/policy/keep_modules").and_then(|v| v.as_array()).is_some_and(|v| !v.is_empty());
    let modelled = parameters.pointer("/policy/customer_handover").is_some_and(|v| !v.is_null());
    (
        kept_module_report(totals, replications, level, keep_listed),
        customer_report(totals, replications, level, modelled),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::Stop;
    use crate::model::{Count, Observations};

    fn record(index: u32, obs: &Observations) -> ReplicationRecord {
        ReplicationRecord::new(index, 1, Stop::Drained, obs)
    }

    #[test]
    fn no_module_kept_is_null_with_the_reason_and_all_kept_is_fixed() {
        let mut obs = Observations::default();
        obs.modules.access = Count { hits: 0, trials: 5 };
        let records = [record(0, &obs), record(1, &obs)];
        let mut totals = ReplicationCounts::empty();
        records.iter().for_each(|r| totals.merge(&r.counts));
        let report = kept_module_report(&totals, &records, Level::NINETY_FIVE, false);
        assert_eq!(report.access.rate, None);
        assert!(report.access.null_reason.unwrap().contains("policy.keep_modules is empty"));
        assert!(report.used.null_reason.unwrap().contains("cannot occur here"));
        obs.modules.access = Count { hits: 5, trials: 5 };
        obs.modules.by_module[Module::Mail.index()] = 5;
        obs.modules.used = Count { hits: 4, trials: 5 };
        let records = [record(0, &obs), record(1, &obs)];
        let mut totals = ReplicationCounts::empty();
        records.iter().for_each(|r| totals.merge(&r.counts));
        let report = kept_module_report(&totals, &records, Level::NINETY_FIVE, true);
        assert!(report.access.null_reason.unwrap().contains("1 by construction"));
        assert_eq!((report.access.hits, report.access.trials), (10, 10));
        assert_eq!(report.used.rate, Some(0.8));
        assert_eq!(report.by_module["mail"], KeptModule { members: 10, residue: "mailbox".into() });
    }

    #[test]
    fn customers_lost_pool_refusals_and_quota_over_settled_customers() {
        let mut obs = Observations::default();
        obs.customers =
            CustomerTally { members: 2, calls: 3, settled: 200, refused: 10, quota_full: 4, ..obs.customers };
        let records: Vec<ReplicationRecord> = (0..10)
            .map(|i| {
                let mut other = obs.clone();
                other.customers.refused = 10 + u64::from(i % 3);
                record(i, &other)
            })
            .collect();
        assert_eq!(records[1].counts.customers.lost(), 15);
        let mut totals = ReplicationCounts::empty();
        records.iter().for_each(|r| totals.merge(&r.counts));
        let report = customer_report(&totals, &records, Level::NINETY_FIVE, true);
        // 10 + 11 + 12 + 10 + 11 + 12 + 10 + 11 + 12 + 10 = 109 refused, 40 over quota, of 2000.
        assert_eq!((report.lost.hits, report.lost.trials), (149, 2000));
        assert!(report.lost.ci95.is_some(), "{report:?}");
        assert_eq!(report.calls_per_replication, Some(3.0));
        let off = customer_report(&ReplicationCounts::empty(), &[], Level::NINETY_FIVE, false);
        assert!(off.lost.null_reason.unwrap().contains("policy.customer_handover is not set"));
    }

    #[test]
    fn records_read_back_and_check_their_shape() {
        let mut obs = Observations::default();
        obs.modules.access = Count { hits: 2, trials: 3 };
        obs.modules.used = Count { hits: 1, trials: 2 };
        let record = ModuleRecord::new(&obs.modules);
        assert_eq!(record.check_shape(), Ok(()));
        let bad = ModuleRecord { used: Proportion::new(1, 3), ..record };
        assert!(bad.check_shape().is_err());
        let customers = CustomerRecord { settled: 3, refused: 4, ..CustomerRecord::default() };
        assert!(customers.check_shape().is_err());
    }
}

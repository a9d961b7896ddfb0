//! Each seed scenario runs, and its headline figure lies where its own
//! parameters say it must: inside the binomial 99.9 % interval of the
//! implied probability, inside the bounds its delays imply, or (for the
//! approval queue) on the Erlang-C mean wait.

use super::common::seed_scenario;
use unbindsim::engine::{Dist, SimDuration};
use unbindsim::metrics::{Summary, Z999};
use unbindsim::model::{AdminBatchParams, GdprExportParams, TierMix, WorkloadKind};
use unbindsim::runner::simulate;
use unbindsim::scenario::Scenario;

const SEED: u64 = 2026;
/// HdrHistogram keeps three significant digits: values are exact to 0.1 %.
const HDR_PRECISION: f64 = 1e-3;

fn at_least(value_ms: u64, bound_ms: u64) -> bool {
    value_ms as f64 >= bound_ms as f64 * (1.0 - HDR_PRECISION)
}

fn at_most(value_ms: u64, bound_ms: u64) -> bool {
    value_ms as f64 <= bound_ms as f64 * (1.0 + HDR_PRECISION)
}

fn run(scenario: &Scenario, replications: u32) -> Summary {
    simulate(scenario, SEED, replications, 2, &|| {}).unwrap_or_else(|fault| panic!("{fault}"))
}

/// `hits` out of `trials` is within the 99.9 % normal interval of a
/// binomial with probability `p` (with continuity correction).
fn check_binomial(what: &str, hits: u64, trials: u64, p: f64) {
    assert!(trials >= 500, "{what}: only {trials} trials");
    let mean = trials as f64 * p;
    let half_width = Z999 * (trials as f64 * p * (1.0 - p)).sqrt() + 0.5;
    assert!(
        (hits as f64 - mean).abs() <= half_width,
        "{what}: {hits}/{trials} = {:.4}, expected {p:.4} ± {:.4} (99.9 %)",
        hits as f64 / trials as f64,
        half_width / trials as f64
    );
}

#[test]
fn device_change_lockout_is_uninstall_share_times_conditional_lockout() {
    let scenario = seed_scenario("device-change");
    let p = scenario.behaviour.uninstall_before_unbind * scenario.behaviour.lockout_given_uninstall.0[0];
    let summary = run(&scenario, 2);
    let lockout = &summary.metrics.lockout.overall;
    check_binomial("lockout rate", lockout.hits, lockout.trials, p);
    // A device change keeps the account and its grants: no grant is a trial.
    let grants = &summary.metrics.residue.app_data_per_grant;
    assert_eq!((grants.hits, grants.trials), (0, 0), "app data per grant counted unrevoked grants");
}

#[test]
fn app_grants_app_data_survives_when_skipped_or_kept_by_the_vendor() {
    let scenario = seed_scenario("app-grants");
    let b = &scenario.behaviour;
    let p = b.skip_app_revoke + (1.0 - b.skip_app_revoke) * b.vendor_keeps_data;
    let summary = run(&scenario, 2);
    let grants = &summary.metrics.residue.app_data_per_grant;
    check_binomial("app data per grant", grants.hits, grants.trials, p);
}

#[test]
fn self_exit_members_act_inside_the_buffer_as_often_as_exponential_gaps_imply() {
    let mut scenario = seed_scenario("self-exit");
    scenario.policy.buffer = SimDuration::from_hours(4);
    let Dist::Exp { mean } = scenario.behaviour.activity_gap else { panic!("self-exit uses exponential activity") };
    let p = 1.0 - (-4.0 * 3600.0 / mean.as_secs_f64()).exp();
    let summary = run(&scenario, 2);
    let buffer = &summary.metrics.grace_races.by_kind["action_during_buffer"].rate;
    check_binomial("action during buffer", buffer.hits, buffer.trials, p);
    let min_latency_ms = summary.metrics.revocation_latency_ms.min.unwrap();
    assert!(at_least(min_latency_ms, 4 * 3_600_000), "revocation before the buffer ended: {min_latency_ms} ms");
}

#[test]
fn gdpr_cloud_copies_are_kept_at_the_configured_share() {
    let scenario = seed_scenario("gdpr-export");
    let WorkloadKind::GdprExport(GdprExportParams { cloud_copy_kept, .. }) = scenario.workload.kind else {
        panic!("gdpr workload")
    };
    let summary = run(&scenario, 4);
    let cloud = &summary.metrics.residue.by_kind["cloud_copy"];
    check_binomial("cloud copy kept", cloud.hits, cloud.trials, cloud_copy_kept);
}

#[test]
fn app_admin_batches_take_effect_after_the_six_hour_buffer_in_batches_of_at_most_200() {
    let mut scenario = seed_scenario("admin-batch");
    scenario.org.group_owner_share = 0.0;
    scenario.org.pending_approvals_share = 0.0;
    let WorkloadKind::AdminBatch(AdminBatchParams { tiers, .. }) = &mut scenario.workload.kind else {
        panic!("admin-batch")
    };
    *tiers = TierMix { super_admin: 0.0, department: 0.0, app: 1.0 };
    let summary = run(&scenario, 2);
    let latency = &summary.metrics.revocation_latency_ms;
    let six_hours_ms = 6 * 3_600_000;
    assert!(at_least(latency.min.unwrap(), six_hours_ms), "{latency:?}");
    // One batch per arrival, so the console never queues: 6 h plus rounding.
    assert!(at_most(latency.max.unwrap(), six_hours_ms + 60_000), "{latency:?}");
    assert_eq!(summary.metrics.invariants.largest_console_batch, 200);
}

#[test]
fn admin_batch_never_exceeds_the_batch_limit_and_tier_conflicts_need_escalations() {
    let mut scenario = seed_scenario("admin-batch");
    scenario.policy.batch_limit = 64;
    let summary = run(&scenario, 2);
    assert!(summary.metrics.invariants.largest_console_batch <= 64);
    assert_eq!(summary.metrics.invariants.scope_violations, 0);
    let conflicts = &summary.metrics.grace_races.by_kind["tier_delay_conflict"];
    assert!(conflicts.count > 0, "escalations at 5 % must sometimes beat a 24 h delay");
    let WorkloadKind::AdminBatch(AdminBatchParams { escalation, .. }) = &mut scenario.workload.kind else {
        panic!("admin-batch")
    };
    *escalation = 0.0;
    let without = run(&scenario, 2);
    assert_eq!(without.metrics.grace_races.by_kind["tier_delay_conflict"].count, 0);
}

#[test]
fn dissolution_unbinds_nobody_before_the_lead_time() {
    let scenario = seed_scenario("dissolution");
    let summary = run(&scenario, 2);
    let latency = &summary.metrics.revocation_latency_ms;
    let thirty_days_ms = 30 * 86_400_000;
    assert!(at_least(latency.min.unwrap(), thirty_days_ms), "{latency:?}");
    assert_eq!(summary.metrics.outcomes.untouched, 0, "dissolution reaches every member");
    let archive = &summary.metrics.residue.by_kind["archive"];
    assert_eq!(archive.hits, 0, "the 180-day archive is purged before the 240-day horizon");
}

#[test]
fn subsidiary_split_every_pending_member_is_rebound_or_rolled_back() {
    let scenario = seed_scenario("subsidiary-split");
    let summary = run(&scenario, 4);
    let outcomes = &summary.metrics.outcomes;
    let race = &summary.metrics.grace_races.by_kind["rebind_vs_rollback"].rate;
    assert_eq!(outcomes.pending, 0);
    assert_eq!(
        outcomes.done + outcomes.rolled_back,
        race.trials,
        "every subsidiary member ends re-bound or rolled back"
    );
    assert!(race.hits <= outcomes.rolled_back);
    assert!(outcomes.rolled_back > 0 && race.hits > 0, "the default split is tight enough to race: {outcomes:?}");
}

/// Erlang C: the mean wait in an M/M/c queue.
fn erlang_c_mean_wait_hours(arrivals_per_hour: f64, service_hours: f64, servers: u32) -> f64 {
    let load = arrivals_per_hour * service_hours;
    let c = f64::from(servers);
    let mut term = 1.0;
    let mut below = 0.0;
    for k in 0..servers {
        below += term;
        term *= load / f64::from(k + 1);
    }
    let waiting = term * c / (c - load);
    let p_wait = waiting / (below + waiting);
    p_wait / (c / service_hours - arrivals_per_hour)
}

#[test]
fn compliance_approval_queue_waits_as_erlang_c_predicts() {
    let scenario = seed_scenario("compliance-dual-control");
    let approval = &scenario.policy.approval;
    let Dist::Exp { mean } = approval.service else { panic!("exponential service") };
    let expected_h = erlang_c_mean_wait_hours(20.0 / 24.0, mean.as_secs_f64() / 3600.0, approval.servers);
    let summary = run(&scenario, 20);
    let queue = &summary.metrics.queues["approvers"];
    let observed_h = queue.mean_wait_ms.unwrap() / 3_600_000.0;
    let [low, high] = queue.mean_wait_ms_ci95.unwrap().map(|ms| ms / 3_600_000.0);
    let slack = (high - low) / 2.0 * 1.5; // ≈ 99.7 % of the mean's spread
    assert!(
        (observed_h - expected_h).abs() <= slack,
        "M/M/{} mean wait {observed_h:.3} h [{low:.3}, {high:.3}] vs Erlang C {expected_h:.3} h",
        approval.servers
    );
}

//! Figures the scenario's own rules fix at 1 are null with the rule as
//! their reason, and the counts they keep bear the rule out: every member
//! at risk was live, every Windows device kept residue. A rule the draws
//! can break (a pro edition's MDM wipe) leaves the figure measured.

use super::common::seed_scenario;
use unbindsim::metrics::{ProportionReport, Summary};
use unbindsim::model::Edition;
use unbindsim::runner::simulate;
use unbindsim::scenario::Scenario;

fn run(mut scenario: Scenario) -> Summary {
    scenario.org.members = 2_000;
    simulate(&scenario, 11, 10, 2, &|| {}).unwrap_or_else(|fault| panic!("{fault}"))
}

fn assert_fixed_at_one(report: &ProportionReport, rule: &str) {
    let reason = report.null_reason.as_deref().unwrap_or_else(|| panic!("not null: {report:?}"));
    assert!(reason.contains(rule) && reason.ends_with("1 by construction"), "{reason}");
    assert_eq!((report.rate, report.ci95), (None, None));
    assert!(report.trials > 0 && report.hits == report.trials, "the rule does not hold: {report:?}");
}

#[test]
fn inside_the_72h_buffer_the_leak_risk_is_fixed_at_one_and_after_it_is_measured() {
    let summary = run(seed_scenario("self-exit"));
    let points = &summary.metrics.leak_risk.points;
    for inside in ["1h", "1d"] {
        assert_fixed_at_one(&points[inside].live, "(policy.buffer = 3d)");
    }
    let after = &points["7d"].live;
    assert!(after.null_reason.is_none() && after.ci95.is_some(), "{after:?}");
}

#[test]
fn a_dissolution_fixes_the_leak_risk_through_its_lead() {
    let summary = run(seed_scenario("dissolution"));
    let points = &summary.metrics.leak_risk.points;
    for inside in ["1h", "1d", "7d"] {
        assert_fixed_at_one(&points[inside].live, "(workload.dissolution.lead = 30d)");
    }
    // 30 days is the lead itself: the rule no longer holds every member.
    assert!(points["30d"].live.null_reason.as_deref().is_none_or(|reason| !reason.contains("construction")));
}

#[test]
fn without_an_mdm_wipe_windows_residue_is_fixed_at_one_and_with_one_it_is_measured() {
    let summary = run(seed_scenario("self-exit"));
    let residue = &summary.metrics.residue;
    assert_fixed_at_one(&residue.by_platform["windows"], "policy.mdm_wipe");
    for point in residue.over_time.points.values() {
        if point.by_platform["windows"].trials > 0 {
            assert_fixed_at_one(&point.by_platform["windows"], "policy.mdm_wipe");
        }
    }
    assert!(residue.by_platform["ios"].ci95.is_some());

    let mut wiping = seed_scenario("admin-batch");
    (wiping.policy.edition, wiping.policy.mdm_wipe) = (Edition::Pro, true);
    let windows = &run(wiping).metrics.residue.by_platform["windows"];
    assert!(windows.null_reason.is_none() && windows.hits < windows.trials, "{windows:?}");
}

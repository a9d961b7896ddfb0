//! The compliance rules, each on a tiny scripted org whose outcome is
//! derived by hand in the test's comment: every admin action writes one
//! audit record, and the retention decides how many are kept at the
//! horizon.

use super::admin_rules::{run, summary, tiny_with};
use unbindsim::model::AuditTally;

/// Three members; a super admin disables member 0 at 1 h, the admin of
/// member 1's first app archives its access at 2 h, a department admin
/// disables member 1 at 3 h, and member 2 leaves by itself at 4 h.
const STEPS: &str = "  { at = \"1h\", op = \"unbind\", member = 0, by = \"super\" },\n  \
                     { at = \"2h\", op = \"unbind\", member = 1, by = \"app\" },\n  \
                     { at = \"3h\", op = \"unbind\", member = 1, by = \"department\" },\n  \
                     { at = \"4h\", op = \"unbind\", member = 2, by = \"member\" },\n";

/// One approver taking a fixed hour, a fixed 30 h department delay.
const POLICY: &str = "approval = { servers = 1, service = { fixed = \"1h\" } }\ndepartment_delay = { fixed = \"30h\" }";

#[test]
fn every_admin_action_writes_one_audit_record_and_the_retention_decides_what_is_kept() {
    // Three admin actions on two members: member 0's disable at 1 h (the
    // super admin's console runs at once, no buffer), member 1's archive
    // at 2 h + 6 h = 8 h (the app admin's fixed delay), member 1's disable
    // at 3 h + 1 h approval + 30 h delay = 34 h. Member 2's own exit is no
    // admin action: no record. Records: 3; offboarded (accounts cut): 0,
    // 1 and 2 = 3, so 1.0 record per offboarded member. With a 4 d
    // retention read at a 5 d horizon a record is kept if written after
    // 5 d − 4 d = 24 h: only the 34 h one. (Before: no record at all.)
    let policy = format!("{POLICY}\naudit_retention = \"4d\"");
    let end = run(&tiny_with(3, "5d", "", &policy, "", STEPS));
    assert_eq!(end.steps_applied, 4);
    assert_eq!(end.obs.audit, AuditTally { records: 3, kept: 1, offboarded: 3 });
    let audit = summary(&tiny_with(3, "5d", "", &policy, "", STEPS), 1).metrics.audit;
    assert_eq!((audit.kept_share, audit.records_per_offboarded_member), (Some(0.333333333), Some(1.0)));
}

#[test]
fn a_seven_year_retention_keeps_every_record_by_construction_and_says_so() {
    // The default retention is 7 × 365 d = 2555 d, longer than the 5 d
    // horizon: all three records are kept, and the kept share (1 by
    // construction) is null with the reason.
    let summary = summary(&tiny_with(3, "5d", "", POLICY, "", STEPS), 1);
    let audit = &summary.metrics.audit;
    assert_eq!((audit.records, audit.kept, audit.kept_share), (3, 3, None));
    assert!(audit.null_reason.as_deref().is_some_and(|r| r.contains("2555d")), "{:?}", audit.null_reason);
    assert_eq!(summary.parameters["policy"]["audit_retention"], "2555d");
}

/// A 20-member org dissolving at time 0 with the article's parameters
/// (review ~3 d, 21 d notice, 30 d lead, 180 d archive retention).
fn dissolution(horizon: &str) -> unbindsim::scenario::Scenario {
    let text = format!(
        "name = \"dissolve\"\nhorizon = \"{horizon}\"\nseed = 3\nreplications = 1\n[org]\nmembers = 20\n\
         [workload]\narrivals = {{ at = [\"0h\"] }}\n[workload.dissolution]\n"
    );
    unbindsim::scenario::parse_scenario("dissolve.toml", &text).unwrap_or_else(|e| panic!("{e}"))
}

#[test]
fn the_archive_held_at_the_horizon_is_null_where_the_retention_fixes_it() {
    // Deregistration comes no earlier than the 30 d lead, so no archive is
    // purged before 30 d + 180 d = 210 d: at a 60 d horizon every archive
    // is held (1 by construction, null with the reason). At 240 d the
    // review (median 3 d) plus the notice (21 d) ends before the lead in
    // this draw, so all 20 archives were purged at 210 d: 0 of 20, a
    // figure the review could have moved. Without a dissolution no member
    // could leave an archive (0 by construction): null, as a residue kind
    // that cannot occur.
    let held = |horizon: &str| summary(&dissolution(horizon), 1).metrics.residue.by_kind["archive"].clone();
    let early = held("60d");
    assert_eq!(early.rate, None);
    assert!(early.null_reason.as_deref().is_some_and(|r| r.contains("1 by construction")), "{early:?}");
    let late = held("240d");
    assert_eq!((late.rate, late.hits, late.trials), (Some(0.0), 0, 20));
    let none = summary(&tiny_with(3, "5d", "", POLICY, "", STEPS), 1).metrics.residue.by_kind["archive"].clone();
    assert!(
        none.null_reason.as_deref().is_some_and(|r| r.contains("only a dissolution leaves an archive")),
        "{none:?}"
    );
}

/// `members` members; at time 0 a super admin offboards `deletions` of
/// them in one import (no buffer, no approval).
fn layoff(members: u32, deletions: u32) -> unbindsim::scenario::Scenario {
    let text = format!(
        "name = \"layoff\"\nhorizon = \"3d\"\nseed = 5\nreplications = 1\n[org]\nmembers = {members}\n\
         [workload]\narrivals = {{ at = [\"0h\"] }}\nmembers_per_arrival = {deletions}\n\
         [workload.admin-batch]\ntiers = {{ super = 1.0, department = 0.0, app = 0.0 }}\n"
    );
    unbindsim::scenario::parse_scenario("layoff.toml", &text).unwrap_or_else(|e| panic!("{e}"))
}

#[test]
fn the_mass_deletion_guard_aborts_an_import_over_its_share_and_the_other_way_takes_a_day() {
    // 60 deletions in a 200-member org are 30 % > 20 %: the import aborts
    // and goes the other way after the 1 d guard_bypass_delay, so the one
    // console batch (60 ≤ 200) revokes everyone at exactly 1 d. 40 are
    // 20 %, not over it: revoked at once (latency 0). Under 50 members
    // the guard allows 80 %: 32 of 40 pass (32 × 5 = 160 = 40 × 4), 33
    // abort. (Before: no guard, every latency 0.)
    const DAY_US: u64 = 86_400_000_000;
    let cases = [(200, 60, 1, DAY_US), (200, 40, 0, 0), (40, 32, 0, 0), (40, 33, 1, DAY_US)];
    for (members, deletions, aborted, latency_us) in cases {
        let end = run(&layoff(members, deletions));
        assert_eq!((end.obs.guard.trials, end.obs.guard.hits), (1, aborted), "{deletions} of {members}");
        assert_eq!(end.obs.revocation_latencies_us, [latency_us], "{deletions} of {members}");
    }
    assert_eq!(summary(&layoff(200, 60), 1).metrics.guard.aborted, 1);
}

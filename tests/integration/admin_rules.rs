//! The admin tiers' rules, each on a tiny scripted org whose outcome is
//! derived by hand in the test's comment: a super admin's disable does not
//! wait for handover, an app admin archives its own app's grants and takes
//! no member, a scripted super step races a department admin's waiting
//! request, department admins reach the whole org, and the re-binder queue
//! counts abandoned batches as abandoned.

use unbindsim::metrics::Summary;
use unbindsim::model::{DeviceState, GrantId, GrantState, MemberId, MemberState, Observations, RaceKind, World};
use unbindsim::runner::{Experiment, run_checked, simulate};
use unbindsim::scenario::{Scenario, parse_scenario};
use unbindsim::synth::generate;

const SEED: u64 = 11;

/// A tiny org: `members` members, each a group owner with three grants to
/// three apps, one iOS device each; no buffer, every device checks in.
fn tiny(members: u32, horizon: &str, policy: &str, steps: &str) -> Scenario {
    tiny_with(members, horizon, "", policy, "", steps)
}

/// `tiny`, with more keys in `org.apps`, `[policy]` and `[behaviour]`.
pub(super) fn tiny_with(
    members: u32,
    horizon: &str,
    apps: &str,
    policy: &str,
    behaviour: &str,
    steps: &str,
) -> Scenario {
    let text = format!(
        "name = \"admin-rule\"\nhorizon = \"{horizon}\"\nseed = {SEED}\nreplications = 1\n\n\
         [org]\nmembers = {members}\ndepartments = {{ branching = 2, depth = 1 }}\n\
         devices_per_member = {{ poisson = 1.0, min = 1, max = 1 }}\n\
         platforms = {{ ios = 1.0, android = 0.0, windows = 0.0, macos = 0.0 }}\n\
         apps = {{ count = 3, grants_per_member = 3.0{apps} }}\nroles = {{ group_owner = 1.0 }}\n\n\
         [policy]\nbuffer = \"0h\"\nhandover = {{ fixed = \"10h\" }}\n{policy}\n\n\
         [behaviour]\ndevice_never_checks_in = 0.0\n{behaviour}\n\n[workload.script]\nsteps = [\n{steps}]\n"
    );
    parse_scenario("admin-rule.toml", &text).unwrap_or_else(|e| panic!("{e}\n{text}"))
}

/// Members', devices' and grants' states at the end of a checked run.
pub(super) struct End {
    pub(super) members: Vec<MemberState>,
    pub(super) devices: Vec<DeviceState>,
    pub(super) grants: Vec<GrantState>,
    pub(super) steps_applied: u64,
    pub(super) obs: Observations,
}

pub(super) fn run(scenario: &Scenario) -> End {
    let org = generate(&scenario.org, SEED);
    let mut end =
        End { members: vec![], devices: vec![], grants: vec![], steps_applied: 0, obs: Observations::default() };
    let mut read = |world: &World<'_>| {
        end.members = (0..org.members.len() as u32).map(|i| world.member_state(MemberId(i))).collect();
        end.devices =
            (0..org.devices.len() as u32).map(|i| world.device_state(unbindsim::model::DeviceId(i))).collect();
        end.grants = (0..org.grants.len() as u32).map(|i| world.grant_state(GrantId(i))).collect();
        end.steps_applied = world.script_steps().hits;
    };
    let experiment = Experiment::of(scenario, &org);
    let replication = run_checked(&experiment, SEED, 0, &mut read).unwrap_or_else(|f| panic!("{f}"));
    end.obs = replication.observations;
    end
}

#[test]
fn a_super_admin_disable_does_not_wait_for_handover_but_a_self_exit_does() {
    // Both members own groups (handover fixed 10 h). Member 0 is disabled
    // by a super admin at 1 h: no approval, the console runs at once, no
    // buffer, so its account is revoked at 1 h (revocation latency 0) and
    // its handover runs afterwards as inheritance. Member 1 leaves by
    // itself at 1 h: 90 s of exit steps, then the 10 h handover, so at the
    // 5 h horizon it is still handing over. (Before, member 0 waited in
    // handover too: revoked only at 11 h.)
    let steps = "  { at = \"1h\", op = \"unbind\", member = 0, by = \"super\" },\n  \
                 { at = \"1h\", op = \"unbind\", member = 1, by = \"member\" },\n";
    let end = run(&tiny(2, "5h", "", steps));
    assert!(matches!(end.members[0], MemberState::Revoked | MemberState::Unbound), "{:?}", end.members);
    assert_eq!(end.members[1], MemberState::Handover);
    assert!(end.obs.revocation_latencies_us.contains(&0), "{:?}", end.obs.revocation_latencies_us);
}

#[test]
fn an_app_admin_archives_its_apps_grants_after_six_hours_and_takes_no_member() {
    // Member 0 holds three grants (seed 11 draws three of the three apps). The app admin of
    // the app of its first grant archives it at 1 h; the auto-archive
    // buffer is 6 h (no approval), so at a 6.5 h horizon the grant is still
    // active and at 7.5 h it is revoked; the other two grants, the device
    // and the account are untouched, and the member counts as untouched,
    // not done. (Before: every grant revoked and the member "done".)
    let policy = "app_admin_delay = { fixed = \"6h\" }";
    let steps = "  { at = \"1h\", op = \"unbind\", member = 0, by = \"app\" },\n";
    let before = run(&tiny(1, "390min", policy, steps));
    assert_eq!(before.grants, vec![GrantState::Active; 3]);
    let after = run(&tiny(1, "450min", policy, steps));
    assert_eq!(after.grants, vec![GrantState::Revoked, GrantState::Active, GrantState::Active]);
    assert_eq!(after.members, vec![MemberState::Active]);
    assert_eq!(after.devices, vec![DeviceState::Bound]);
    assert_eq!((after.obs.outcomes.untouched, after.obs.outcomes.done), (1, 0));
    // The archive's batch is done when its console batch ran: 6 h.
    assert_eq!(after.obs.batch_latencies_us, vec![6 * 3_600_000_000]);
    // The member keeps its account, so a super admin may still offboard
    // it: at 2 h it is disabled and ends fully unbound, all grants gone.
    let steps = "  { at = \"1h\", op = \"unbind\", member = 0, by = \"app\" },\n  \
                 { at = \"2h\", op = \"unbind\", member = 0, by = \"super\" },\n";
    let offboarded = run(&tiny(1, "30d", policy, steps));
    assert_eq!(offboarded.steps_applied, 2);
    assert_eq!(offboarded.members, vec![MemberState::Unbound]);
    assert!(offboarded.grants.iter().all(|&g| g != GrantState::Active));
}

#[test]
fn a_scripted_super_step_takes_over_a_waiting_department_request_and_races_it() {
    // A department admin asks for member 0 at 1 h; its superior takes a
    // fixed 10 h to confirm, so the request waits until 11 h. A super
    // admin disables the member at 2 h: it takes the member over (an
    // immediate request), and when the department request reaches the
    // console at 11 h + delay the member is gone: one tier-delay conflict
    // out of one member exposed. (Before: the super step was refused and
    // no trial counted outside the admin-batch workload.) Two members, so
    // one member's import is 50 % of the headcount, under the guard's 80 %.
    let policy = "approval = { servers = 1, service = { fixed = \"10h\" } }\ndepartment_delay = { fixed = \"1h\" }";
    let steps = "  { at = \"1h\", op = \"unbind\", member = 0, by = \"department\" },\n  \
                 { at = \"2h\", op = \"unbind\", member = 0, by = \"super\" },\n";
    let end = run(&tiny(2, "30d", policy, steps));
    assert_eq!(end.steps_applied, 2);
    let race = end.obs.races[RaceKind::TierDelayConflict.index()];
    assert_eq!((race.events, race.units.hits, race.units.trials), (1, 1, 1));
    assert_eq!(end.members, vec![MemberState::Unbound, MemberState::Active]);
}

pub(super) fn summary(scenario: &Scenario, replications: u32) -> Summary {
    simulate(scenario, SEED, replications, 2, &|| {}).unwrap_or_else(|fault| panic!("{fault}"))
}

#[test]
fn the_tier_race_has_the_probability_the_department_delay_implies() {
    // Approval takes no time; the department delay is uniform on
    // [0, 24 h]; a super admin steps in s = 6 h after the department
    // decision. The race happens iff the delay exceeds s:
    // P = 1 − 6/24 = 0.75. Over 600 replications the count is binomial.
    // Two members: one member's import (50 %) passes the mass-deletion
    // guard, which would hold a whole 1-member org's back a day.
    let policy = "approval = { servers = 1, service = { fixed = \"0s\" } }\n\
                  department_delay = { uniform = [\"0h\", \"24h\"] }";
    let steps = "  { at = \"1h\", op = \"unbind\", member = 0, by = \"department\" },\n  \
                 { at = \"7h\", op = \"unbind\", member = 0, by = \"super\" },\n";
    let result = summary(&tiny(2, "30d", policy, steps), 600);
    let rate = &result.metrics.grace_races.by_kind[RaceKind::TierDelayConflict.name()].rate;
    assert_eq!(rate.trials, 600);
    let (p, n): (f64, f64) = (0.75, 600.0);
    let half_width = unbindsim::metrics::Z999 * (n * p * (1.0 - p)).sqrt() + 0.5;
    assert!((rate.hits as f64 - n * p).abs() <= half_width, "{} of 600, expected 450 ± {half_width:.0}", rate.hits);
}

#[test]
fn five_thousand_department_decisions_reach_the_whole_org() {
    // 100 department admins on the default 10 000-member tree (6 × 4
    // levels, 1 555 departments). They used to sit in departments 1..100
    // in pre-order, all inside the first top-level department: 5 000
    // decisions of 200 members reached 1 600 members (seed 42), one sixth.
    // Breadth-first from the root, the first admin's scope is the whole
    // org, so the decisions reach every member.
    let text = "name = \"department-reach\"\nhorizon = \"400d\"\nreplications = 1\n\n\
                [org]\nmembers = 10_000\nadmins = { super = 2, department_per_members = 100, app = 5 }\n\n\
                [policy]\napproval = { servers = 10, service = { fixed = \"0s\" } }\n\
                department_delay = { fixed = \"0s\" }\n\n\
                [workload]\narrivals = { every = \"1h\", count = 5000 }\nmembers_per_arrival = 200\n\n\
                [workload.admin-batch]\ntiers = { super = 0.0, department = 1.0, app = 0.0 }\nescalation = 0.0\n";
    let scenario = parse_scenario("department-reach.toml", text).expect("parses");
    let result = simulate(&scenario, 42, 1, 1, &|| {}).unwrap_or_else(|fault| panic!("{fault}"));
    assert_eq!(result.metrics.outcomes.untouched, 0, "{:?}", result.metrics.outcomes);
    let org = generate(&scenario.org, 42);
    let covered = |member: u32| {
        org.admins_of(unbindsim::model::AdminTier::Department).any(|admin| org.scope_members(admin).contains(&member))
    };
    assert!((0..10_000).all(covered), "a member has no department admin above them");
}

#[test]
fn rebind_batches_picked_up_after_the_deadline_are_abandoned_not_served() {
    // One re-binder, 10 h per batch, a 24 h window, one member per batch;
    // the subsidiary is the first top-level department (B members). The
    // re-binder starts batches at 0 h, 10 h and 20 h (before the deadline:
    // served, 10 h each) and picks the rest up at 30 h, 30 h, … after the
    // rollback: B − 3 abandoned. Mean service is exactly 10 h. (Before, the
    // abandoned counted as served with no service: mean 10 h · 3 / B.)
    let text = "name = \"rebind-abandon\"\nhorizon = \"30d\"\nreplications = 1\n\n\
                [org]\nmembers = 40\ndepartments = { branching = 2, depth = 1 }\n\n\
                [policy]\nbatch_limit = 1\n\n[workload]\narrivals = { at = [\"0h\"] }\n\n\
                [workload.subsidiary-split]\nsubsidiary_share = 0.01\n\
                rebinders = { servers = 1, service = { fixed = \"10h\" } }\nwindow = \"24h\"\n";
    let scenario = parse_scenario("rebind-abandon.toml", text).expect("parses");
    let result = simulate(&scenario, SEED, 1, 1, &|| {}).unwrap_or_else(|fault| panic!("{fault}"));
    let org = generate(&scenario.org, unbindsim::runner::replication_org_seed(SEED, 0));
    let subsidiary = org.departments[1].members.len() as u64;
    assert!(subsidiary > 3, "the case needs more than three batches, got {subsidiary}");
    let queue = &result.metrics.queues["rebinders"];
    assert_eq!((queue.served, queue.abandoned), (3, subsidiary - 3));
    assert_eq!(queue.mean_service_ms, Some(36_000_000.0));
}

#[test]
fn a_dissolution_read_before_its_first_batch_says_decisions_are_waiting() {
    // A dissolution decided at 0 h acts after review + 21 d notice, and
    // no earlier than 30 d: read at 10 d, its one decision covers all 5
    // members (pending) but no batch has opened. The latency's reason must
    // say so rather than "no batch was decided".
    let text = "name = \"dissolution-early\"\nhorizon = \"10d\"\nreplications = 1\n\n\
                [org]\nmembers = 5\n\n[workload]\narrivals = { at = [\"0h\"] }\n\n[workload.dissolution]\n";
    let scenario = parse_scenario("dissolution-early.toml", text).expect("parses");
    let result = simulate(&scenario, SEED, 1, 1, &|| {}).unwrap_or_else(|fault| panic!("{fault}"));
    let reason = result.metrics.batch_latency_ms.null_reason.clone().unwrap_or_default();
    assert!(reason.contains("decisions cover 5 members") && reason.contains("first batch"), "{reason}");
    assert_eq!(result.metrics.outcomes.pending, 5);
}

#[test]
fn every_accepted_token_use_after_revocation_is_counted_with_the_last() {
    // Member 0's three grants go to apps that must be unbound on the
    // vendor's platform, which happens exactly 5.5 h after revocation; the
    // app uses the token every hour. A super admin disables the member at
    // 1 h: each grant's token is accepted at +1 h, +2 h, +3 h, +4 h and
    // +5 h (+6 h is past the window): 5 uses, the last 5 h after
    // revocation. 3 grants: 15 events, 3 grants hit of 3, 5 uses per
    // revoked grant, last use 5 h after on average. (Before: only the
    // first use counted, 3 events.)
    let apps = ", native_unbind_share = 1.0";
    let behaviour = "native_unbind_skipped = 0.0\nnative_unbind_delay = { fixed = \"330min\" }\n\
                     app_use_gap = { fixed = \"1h\" }";
    let steps = "  { at = \"1h\", op = \"unbind\", member = 0, by = \"super\" },\n";
    let scenario = tiny_with(1, "30d", apps, "", behaviour, steps);
    let end = run(&scenario);
    let race = end.obs.races[RaceKind::TokenAfterDisable.index()];
    assert_eq!((race.events, race.units.hits, race.units.trials), (15, 3, 3));
    assert_eq!((end.obs.token_last_use_sum_s, end.obs.token_last_use_max_ms), (3 * 18_000, 18_000_000));
    // The summary's replication draws its own org (its member may hold
    // fewer grants): still five uses per revoked grant, the last at 5 h.
    let uses = summary(&scenario, 1).metrics.token_uses;
    assert_eq!((uses.uses, uses.uses_per_revoked_grant), (5 * uses.grants_revoked, Some(5.0)));
    assert_eq!((uses.mean_last_use_ms, uses.max_last_use_ms), (Some(18_000_000.0), Some(18_000_000)));
}

#[test]
fn exponential_token_uses_are_a_poisson_count_over_the_window() {
    // As above, but the app uses the token at exponential gaps of mean
    // 1 h: the uses inside the 5.5 h window are a Poisson process of rate
    // 1/h, so their number per revoked grant is Poisson with mean 5.5, and
    // its mean over G grants has standard deviation √(5.5 / G).
    let apps = ", native_unbind_share = 1.0";
    let behaviour = "native_unbind_skipped = 0.0\nnative_unbind_delay = { fixed = \"330min\" }\n\
                     app_use_gap = { exp = \"1h\" }";
    let steps = "  { at = \"1h\", op = \"unbind\", member = 0, by = \"super\" },\n";
    let uses = summary(&tiny_with(1, "30d", apps, "", behaviour, steps), 400).metrics.token_uses;
    let per_grant = uses.uses_per_revoked_grant.expect("grants were revoked");
    let sd = (5.5 / uses.grants_revoked as f64).sqrt();
    assert!(uses.grants_revoked >= 400, "{uses:?}");
    assert!((per_grant - 5.5).abs() <= 4.0 * sd, "{per_grant} uses per grant, expected 5.5 ± {:.3}", 4.0 * sd);
}

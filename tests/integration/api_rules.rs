//! The directory API's budget and `user/batchdelete`'s whole-batch failure,
//! each on a tiny org whose outcome is derived by hand in the test's
//! comment: calls counted per path, a call over a fixed window's limit
//! refused (45009) with the console resumed at the window's end, the
//! vendors' presets, and stale ids failing a delete call that is then
//! retried without them.

use unbindsim::model::{MemberId, Observations};
use unbindsim::runner::{Experiment, run_checked};
use unbindsim::scenario::{Scenario, parse_scenario};
use unbindsim::synth::generate;

const SEED: u64 = 5;
const SECOND_US: u64 = 1_000_000;
/// The dissolution below takes effect at max(review 1 d + notice 21 d,
/// lead 2 d) = 22 d; the mass-deletion guard aborts its import (every
/// member at once) and the other way takes `guard_bypass_delay` (1 d), so
/// its console starts at 23 d: a whole minute and a whole 40-min cycle.
const EFFECTIVE_US: u64 = 23 * 86_400 * SECOND_US;

/// A tiny org of `members`, one iOS device and one grant each, no buffer;
/// the console runs one batch of up to `batch_limit` every 6 s.
fn scenario(members: u32, batch_limit: u32, policy: &str, behaviour: &str, workload: &str) -> Scenario {
    let text = format!(
        "name = \"api-rule\"\nhorizon = \"30d\"\nseed = {SEED}\nreplications = 1\n\n\
         [org]\nmembers = {members}\ndepartments = {{ branching = 2, depth = 1 }}\n\
         devices_per_member = {{ poisson = 1.0, min = 1, max = 1 }}\n\
         platforms = {{ ios = 1.0, android = 0.0, windows = 0.0, macos = 0.0 }}\n\
         apps = {{ count = 2, grants_per_member = 1.0 }}\n\n\
         [policy]\nbuffer = \"0h\"\nbatch_limit = {batch_limit}\nconsole_rate = \"10/min\"\n{policy}\n\n\
         [behaviour]\ndevice_never_checks_in = 0.0\n{behaviour}\n\n{workload}\n"
    );
    parse_scenario("api-rule.toml", &text).unwrap_or_else(|e| panic!("{e}\n{text}"))
}

/// A dissolution of every member in batches of 200.
fn dissolution(members: u32, policy: &str, behaviour: &str) -> Scenario {
    dissolution_in(members, 200, policy, behaviour)
}

fn dissolution_in(members: u32, batch_limit: u32, policy: &str, behaviour: &str) -> Scenario {
    let workload = "[workload]\narrivals = { at = [\"0h\"] }\n\n[workload.dissolution]\n\
                    review = { fixed = \"1d\" }\nnotice = \"21d\"\nlead = \"2d\"\narchive_retention = \"180d\"";
    scenario(members, batch_limit, policy, behaviour, workload)
}

fn run(scenario: &Scenario) -> Observations {
    let org = generate(&scenario.org, SEED);
    let experiment = Experiment::of(scenario, &org);
    run_checked(&experiment, SEED, 0, &mut |_| {}).unwrap_or_else(|f| panic!("{f}")).observations
}

/// Revocation latencies in seconds after the dissolution took effect, in
/// the order the batches were revoked.
fn after_effective_s(obs: &Observations) -> Vec<u64> {
    let mut latencies: Vec<u64> =
        obs.revocation_latencies_us.iter().map(|us| (us - EFFECTIVE_US) / SECOND_US).collect();
    latencies.sort_unstable();
    latencies
}

#[test]
fn a_dissolution_of_450_makes_three_batch_deletes_and_the_third_waits_for_the_next_minute() {
    // 450 members in batches of 200, 200, 50 at 23 d + 0, 6, 12 s: one
    // `user/batchdelete` each (≤ 200 ids), so 3 calls. Under WeCom's
    // 10 000/min none is refused: revoked at 0, 6, 12 s. With per_minute = 2
    // the minute [23 d, 23 d + 60 s) takes the first two; the third, at
    // 12 s, gets 45009 and the console waits to the minute's end: revoked
    // at 60 s, blocked 60 − 12 = 48 s, one error, peak 2 calls a minute.
    let free = run(&dissolution(450, "", ""));
    assert_eq!((free.api.calls, free.api.errors_45009, free.api.blocked_us), (3, 0, 0));
    assert_eq!(after_effective_s(&free), vec![0, 6, 12]);
    let tight = run(&dissolution(450, "api_limits = { per_minute = 2 }", ""));
    assert_eq!((tight.api.calls, tight.api.errors_45009, tight.api.peak_per_minute), (3, 1, 2));
    assert_eq!(tight.api.blocked_us, 48 * SECOND_US);
    assert_eq!(after_effective_s(&tight), vec![0, 6, 60]);
    assert_eq!(tight.api.horizon_us, 30 * 86_400 * SECOND_US);
}

#[test]
fn slack_deletes_one_id_a_call_at_180_a_minute() {
    // Slack SCIM has no bulk delete: 450 calls. DELETE takes 180 a minute
    // (under the 600 writes): batch 1 (200) sends 180 at 0 s, is refused
    // on the 181st and resumes at 60 s with the last 20; batch 2 at 66 s
    // sends 160 (the minute holds 20), is refused and resumes at 120 s
    // with 40; batch 3 at 126 s sends its 50 (90 in that minute). Batches
    // revoked at 60, 120, 126 s; 2 errors; blocked 60 + (120 − 66) = 114 s.
    let obs = run(&dissolution(450, "api_limits = \"slack-scim\"", ""));
    assert_eq!((obs.api.calls, obs.api.errors_45009, obs.api.peak_per_minute), (450, 2, 180));
    assert_eq!(obs.api.blocked_us, 114 * SECOND_US);
    assert_eq!(after_effective_s(&obs), vec![60, 120, 126]);
}

#[test]
fn entra_sends_calls_only_at_the_start_of_a_provisioning_cycle() {
    // With a review of 1 d 20 min the dissolution takes effect at 22 d
    // 20 min and, after the guard's 1 d, its console starts at 23 d 20 min
    // = 33 140 min, half way through the cycle [33 120, 33 160) min: its
    // first call waits 20 min for the next cycle start, which then sends
    // every pending change, the three batches' 450 one-id deletes together
    // (no console gap). No error; blocked 20 min once; all revoked 23 d
    // 40 min after the decision. Without limits ("none") the console never
    // waits: 3 calls.
    let workload = "[workload]\narrivals = { at = [\"0h\"] }\n\n[workload.dissolution]\n\
                    review = { fixed = \"1460min\" }\nnotice = \"21d\"\nlead = \"2d\"\narchive_retention = \"180d\"";
    let obs = run(&scenario(450, 200, "api_limits = \"entra\"", "", workload));
    assert_eq!((obs.api.calls, obs.api.errors_45009, obs.api.peak_per_minute), (450, 0, 450));
    assert_eq!(obs.api.blocked_us, 20 * 60 * SECOND_US);
    assert_eq!(obs.revocation_latencies_us, vec![(23 * 24 * 60 + 40) * 60 * SECOND_US; 3]);
    let none = run(&dissolution(450, "api_limits = \"none\"", ""));
    assert_eq!((none.api.calls, none.api.blocked_us), (3, 0));
}

#[test]
fn a_stale_id_fails_the_whole_batch_delete_which_is_retried_without_it() {
    // Every id stale (share 1): each of the 3 batch deletes fails whole
    // (one call wasted) and is retried (one more): 6 calls, 3 failures.
    // With per_minute = 2 the first batch's two calls fill the minute at
    // 0 s; batch 2 at 6 s is refused to 60 s (two calls), batch 3 at 66 s
    // to 120 s: revoked at 0, 60, 120 s, blocked 54 + 54 = 108 s, 2 errors.
    let stale = "stale_id_share = 1.0";
    let free = run(&dissolution(450, "", stale));
    assert_eq!((free.api.calls, free.api.stale_failures), (6, 3));
    assert_eq!(after_effective_s(&free), vec![0, 6, 12]);
    let tight = run(&dissolution(450, "api_limits = { per_minute = 2 }", stale));
    assert_eq!((tight.api.calls, tight.api.errors_45009, tight.api.stale_failures), (6, 2, 3));
    assert_eq!(tight.api.blocked_us, 108 * SECOND_US);
    assert_eq!(after_effective_s(&tight), vec![0, 60, 120]);
}

#[test]
fn a_batch_delete_fails_with_the_chance_that_any_of_its_ids_is_stale() {
    // Batches of 2 ids, each stale with probability 0.25 on its member's
    // own stream: a batch fails with 1 − 0.75² = 0.4375. 400 members make
    // 200 batches: failures ~ Binomial(200, 0.4375), mean 87.5, sd 7.0;
    // calls = 200 + failures. Four sd either side.
    let obs = run(&dissolution_in(400, 2, "", "stale_id_share = 0.25"));
    let failures = obs.api.stale_failures as f64;
    assert!((failures - 87.5).abs() < 4.0 * 7.0, "{failures} failures of 200 batches");
    assert_eq!(obs.api.calls, 200 + obs.api.stale_failures);
}

#[test]
fn a_super_admins_disables_are_one_call_each_and_wait_out_a_full_minute() {
    // Three super-admin disables scripted at 1 h (a whole minute): three
    // one-member console batches at 1 h + 0, 6, 12 s, one disable call
    // each. With per_minute = 2 the third is refused to 1 h + 60 s: its
    // revocation latency (from its decision at 1 h) is 60 s. A stale share
    // changes nothing here: only a batch delete fails on a stale id.
    let steps = "[workload.script]\nsteps = [\n\
                 { at = \"1h\", op = \"unbind\", member = 0, by = \"super\" },\n\
                 { at = \"1h\", op = \"unbind\", member = 1, by = \"super\" },\n\
                 { at = \"1h\", op = \"unbind\", member = 2, by = \"super\" },\n]";
    let obs = run(&scenario(3, 200, "api_limits = { per_minute = 2 }", "stale_id_share = 1.0", steps));
    assert_eq!((obs.api.calls, obs.api.errors_45009, obs.api.stale_failures), (3, 1, 0));
    let mut latencies_s: Vec<u64> = obs.revocation_latencies_us.iter().map(|us| us / SECOND_US).collect();
    latencies_s.sort_unstable();
    assert_eq!(latencies_s, vec![0, 6, 60]);
    assert_eq!(obs.api.blocked_us, 48 * SECOND_US);
}

#[test]
fn an_app_admins_archive_is_one_grant_revocation_call() {
    // The admin of the app of a member's first grant archives it at 1 h:
    // after the 6 h auto-archive delay the console revokes that grant, one
    // revocation call; the account is not disabled, so no other call.
    let policy = "app_admin_delay = { fixed = \"6h\" }";
    let archive = |member: u32| {
        let steps = format!(
            "[workload.script]\nsteps = [\n{{ at = \"1h\", op = \"unbind\", member = {member}, by = \"app\" }},\n]"
        );
        scenario(4, 200, policy, "", &steps)
    };
    let org = generate(&archive(0).org, SEED);
    let member = (0..4).find(|&m| org.grants_of(MemberId(m)).next().is_some()).expect("a member with a grant");
    let obs = run(&archive(member));
    assert_eq!((obs.api.calls, obs.api.errors_45009, obs.api.peak_per_minute), (1, 0, 1));
}

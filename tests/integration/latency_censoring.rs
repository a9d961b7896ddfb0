//! Unfinished batches are censored, not dropped: a scripted tiny org whose
//! devices never check in has its batch latency percentiles "beyond the
//! horizon", with the reason, and a latency objective it cannot meet fails
//! on the whole interval; the intervals do not depend on the thread count
//! (shard splits are covered by the workflow tests, which compare whole
//! summaries).

use unbindsim::metrics::{SloOutcome, Summary, evaluate};
use unbindsim::runner::simulate;
use unbindsim::scenario::{Scenario, parse_scenario};

/// Four members unbound by a super admin, one an hour (120 batches over
/// 30 replications, enough for a p99 objective); every device is
/// told to log out and a share `never` of them never checks in. The horizon
/// leaves room for the longest handover (1 day).
fn scenario(never: &str) -> Scenario {
    let text = format!(
        "name = \"never-checks-in\"\nhorizon = \"3d\"\nseed = 3\nreplications = 30\n\n\
         [org]\nmembers = 6\ndepartments = {{ branching = 2, depth = 1 }}\n\n\
         [policy]\nbuffer = \"0s\"\n\n\
         [behaviour]\ndevice_never_checks_in = {never}\n\n\
         [slo]\nbatch_latency_p99 = \"1h\"\nrevocation_latency_p50 = \"1h\"\n\n\
         [workload.script]\nsteps = [\n\
           {{ at = \"1h\", op = \"unbind\", member = 0, by = \"super\" }},\n\
           {{ at = \"2h\", op = \"unbind\", member = 1, by = \"super\" }},\n\
           {{ at = \"3h\", op = \"unbind\", member = 2, by = \"super\" }},\n\
           {{ at = \"4h\", op = \"unbind\", member = 3, by = \"super\" }},\n]\n"
    );
    parse_scenario("never-checks-in.toml", &text).unwrap_or_else(|error| panic!("{error}"))
}

fn run(scenario: &Scenario) -> Summary {
    simulate(scenario, 3, 30, 2, &|| {}).unwrap_or_else(|fault| panic!("{fault}"))
}

#[test]
fn a_device_that_never_checks_in_puts_the_percentiles_beyond_the_horizon() {
    let scenario = scenario("1.0");
    let summary = run(&scenario);
    let batch = &summary.metrics.batch_latency_ms;
    assert_eq!((batch.batches, batch.count, batch.incomplete), (120, 0, 120));
    assert_eq!(batch.unfinished_share, Some(1.0));
    assert_eq!(batch.unfinished_reasons.get("never_checked_in"), Some(&120));
    // Censored at horizon − decision: 3d − 1h is the longest (to the
    // histogram's 3 significant digits).
    let longest_ms = batch.largest_censoring_ms.expect("censored batches") as f64;
    assert!((longest_ms / 255_600_000.0 - 1.0).abs() < 1e-3, "{longest_ms}");
    let p99 = &batch.percentiles["p99"];
    assert_eq!((p99.value, p99.beyond_horizon, p99.ci95), (None, true, Some([None, None])));
    let json = serde_json::to_value(batch).expect("serialises");
    assert_eq!(json["percentiles"]["p50"]["value"], serde_json::Value::Null);
    assert_eq!(json["percentiles"]["p50"]["beyond_horizon"], true);
    // Revocation is immediate (no buffer): every batch revoked at once.
    let revocation = &summary.metrics.revocation_latency_ms;
    assert_eq!((revocation.incomplete, revocation.percentiles["p50"].beyond_horizon), (0, false));
    let verdicts = evaluate(&scenario.slo, &summary);
    let p99 = verdicts.iter().find(|v| v.objective.starts_with("batch_latency_p99")).expect("objective");
    assert_eq!(p99.outcome, SloOutcome::Fail, "{}", p99.explanation);
    assert!(p99.explanation.contains("beyond the horizon"), "{}", p99.explanation);
}

#[test]
fn with_every_device_checking_in_nothing_is_censored() {
    let summary = run(&scenario("0.0"));
    let batch = &summary.metrics.batch_latency_ms;
    assert_eq!((batch.batches, batch.count, batch.incomplete), (120, 120, 0));
    assert!(batch.percentiles.values().all(|p| !p.beyond_horizon), "{batch:?}");
    assert!(batch.percentiles["p50"].ci95.is_some(), "{batch:?}");
    // 120 batches leave fewer than 10 above p99: a bootstrap cannot see there.
    let p99 = &batch.percentiles["p99"];
    assert_eq!(p99.ci95, None);
    assert!(p99.ci95_null_reason.as_deref().unwrap_or("").contains("needs at least 1000 batches"), "{p99:?}");
    assert_eq!(batch.p50, batch.percentiles["p50"].value);
}

#[test]
fn the_intervals_do_not_depend_on_the_thread_count() {
    let scenario = scenario("0.5");
    let one = simulate(&scenario, 3, 30, 1, &|| {}).unwrap_or_else(|fault| panic!("{fault}"));
    let two = run(&scenario);
    assert_eq!(one.metrics.batch_latency_ms, two.metrics.batch_latency_ms);
    let batch = &two.metrics.batch_latency_ms;
    assert!(batch.incomplete > 0 && batch.count > 0, "{batch:?}");
    assert!(batch.percentiles["p50"].ci95.is_some());
}

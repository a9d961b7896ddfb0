//! wrk2's coordinated-omission experiment, automated: a fixed-rate replay
//! against the fast SCIM service (`fast_scim.rs`) while it freezes for 1 s
//! of every 3 s. The requests that were due during the freeze waited for
//! it, so the corrected response time's p99 must show the stall, and the
//! uncorrected service time — what a closed-loop tool reports, measured
//! from the actual send, after the freeze — must not.

use super::common::{stderr, temp_dir, unbindsim};
use super::fast_scim::{Options, start};
use serde_json::Value;
use std::time::Duration;

/// 1 000 members, five super-admin batches of 200: 1 000 PATCHes.
const SCENARIO: &str = r#"base = "admin-batch"
name = "co-test"

[org]
members = 1000
departments = { branching = 4, depth = 2 }

[workload]
arrivals = { every = "1h", count = 5 }
members_per_arrival = 200

[workload.admin-batch]
tiers = { super = 1.0, department = 0.0, app = 0.0 }
"#;

#[test]
fn a_stalling_service_shows_in_the_corrected_p99_and_not_in_the_uncorrected_one() {
    let directory = temp_dir("coordinated-omission");
    let scenario = directory.join("co-test.toml");
    std::fs::write(&scenario, SCENARIO).unwrap();
    // At 250/s the 1 000 PATCHes take 4 s from the first, whose arrival
    // starts the service's clock: the freeze [2 s, 3 s) falls inside.
    let options = Options { stall: Duration::from_secs(1), every: Duration::from_secs(3), threads: 1 };
    let service = start(options).expect("the fast SCIM service listens on loopback");
    let url = service.url();
    let out = directory.join("out");
    let args = [
        "load",
        scenario.to_str().unwrap(),
        "--url",
        &url,
        "--out",
        out.to_str().unwrap(),
        "--mode",
        "patch",
        "--rate",
        "250/s",
        "--concurrency",
        "4",
        "--speedup",
        "1000000",
        "--replications",
        "2",
    ];
    let output = unbindsim(&args);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    let text = std::fs::read_to_string(out.join("co-test-live/summary.json")).expect("summary written");
    let summary: Value = serde_json::from_str(&text).unwrap();
    assert_eq!(summary["nothing_lost"], true, "every member unbound: {text}");
    let latency = &summary["metrics"]["request_latency_ms"];
    let corrected_p99 = latency["response_time"]["p99"].as_f64().expect("a corrected p99");
    let uncorrected_p99 = latency["service_time"]["p99"].as_f64().expect("an uncorrected p99");
    assert_eq!(summary["metrics"]["requests"]["ok"], 1000, "{}", summary["metrics"]["requests"]);
    assert!(corrected_p99 >= 500.0, "the 1 s freeze must show in the corrected p99: {corrected_p99} ms");
    assert!(
        uncorrected_p99 < 250.0 && uncorrected_p99 * 4.0 < corrected_p99,
        "the service time, measured from the actual send, must not show the freeze: \
         {uncorrected_p99} ms against {corrected_p99} ms corrected"
    );
}

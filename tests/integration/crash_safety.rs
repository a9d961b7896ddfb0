//! Results are written atomically: a run killed with SIGKILL at any moment
//! leaves, for each scenario, the previous complete summary or the new
//! complete one — never a half-written file that looks valid.

use super::common::temp_dir;
use std::process::{Command, Stdio};
use std::time::Duration;

#[test]
fn a_run_killed_at_random_moments_leaves_only_complete_summaries() {
    let directory = temp_dir("kill");
    let out = directory.join("results");
    let run = || {
        let mut command = Command::new(env!("CARGO_BIN_EXE_unbindsim"));
        command
            .args(["run", "--members", "20000", "--replications", "3", "--threads", "1", "--quiet", "--out"])
            .arg(&out)
            .stdout(Stdio::null())
            .stderr(Stdio::null());
        command
    };
    // A complete run first: every later, killed run must leave its results
    // whole (the previous complete result) or replace them whole.
    assert!(run().status().expect("the binary starts").success());
    check_every_summary(&out, unbindsim::scenario::BUILTIN.len());
    // Fixed kill delays (ms), spread over a run of every seed scenario.
    for delay_ms in [30u64, 90, 160, 240, 330, 450, 600, 800, 1_100, 1_500, 2_000] {
        let mut child = run().spawn().expect("the binary starts");
        std::thread::sleep(Duration::from_millis(delay_ms));
        let _ = child.kill(); // SIGKILL on Unix
        let _ = child.wait();
        check_every_summary(&out, unbindsim::scenario::BUILTIN.len());
    }
    std::fs::remove_dir_all(directory).unwrap();
}

/// Every summary under `out` is complete JSON, and there are `expected`.
fn check_every_summary(out: &std::path::Path, expected: usize) {
    let mut found = 0;
    for scenario in std::fs::read_dir(out).expect("the complete run made the directory") {
        let path = scenario.unwrap().path().join("summary.json");
        if !path.exists() {
            continue;
        }
        found += 1;
        let text = std::fs::read_to_string(&path).unwrap();
        let summary: serde_json::Value =
            serde_json::from_str(&text).unwrap_or_else(|e| panic!("{} is not complete JSON: {e}", path.display()));
        assert_eq!(summary["schema_version"], unbindsim::metrics::SCHEMA_VERSION, "{}", path.display());
        assert!(summary["timing"]["wall_ms"].is_number(), "{} lacks its last object", path.display());
    }
    assert_eq!(found, expected, "a killed run removed a previous complete summary");
}

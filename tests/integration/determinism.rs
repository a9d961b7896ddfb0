//! Same scenario and seed ⇒ byte-identical summary (apart from `timing`),
//! whatever the thread count, and across runs.

use super::common::{summary_before_timing, temp_dir, unbindsim};
use std::path::{Path, PathBuf};

/// Runs `scenario` into `out` and returns where its summary is.
fn run(out: &Path, threads: &str, scenario: &str, seed: &str) -> PathBuf {
    let output = unbindsim(&[
        "run",
        scenario,
        "--members",
        "1500",
        "--replications",
        "4",
        "--seed",
        seed,
        "--threads",
        threads,
        "--quiet",
        "--out",
        out.to_str().unwrap(),
    ]);
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    out.join(scenario).join("summary.json")
}

#[test]
fn one_and_two_threads_and_two_runs_give_byte_identical_summaries() {
    let directory = temp_dir("determinism");
    for scenario in ["admin-batch", "device-change", "subsidiary-split", "compliance-dual-control"] {
        let one = summary_before_timing(&run(&directory.join("t1"), "1", scenario, "9"));
        let two = summary_before_timing(&run(&directory.join("t2"), "2", scenario, "9"));
        let again = summary_before_timing(&run(&directory.join("t2b"), "2", scenario, "9"));
        assert_eq!(one, two, "{scenario}: the thread count changed the summary's bytes");
        assert_eq!(two, again, "{scenario}: a second run changed the summary's bytes");
    }
    std::fs::remove_dir_all(directory).unwrap();
}

#[test]
fn another_seed_gives_another_result() {
    let directory = temp_dir("seeds");
    let read = |path: PathBuf| -> serde_json::Value {
        serde_json::from_str(&std::fs::read_to_string(path).unwrap()).expect("summary is JSON")
    };
    let a = read(run(&directory.join("a"), "2", "device-change", "1"));
    let b = read(run(&directory.join("b"), "2", "device-change", "2"));
    assert_ne!(a["metrics"], b["metrics"]);
    assert_eq!(a["seed"], 1);
    assert_eq!(b["seed"], 2);
    std::fs::remove_dir_all(directory).unwrap();
}

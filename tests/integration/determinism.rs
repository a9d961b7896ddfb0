//! Same scenario and seed ⇒ byte-identical summary (apart from `timing`),
//! whatever the thread count, and across runs.

use super::common::{temp_dir, unbindsim, without_timing};

fn run(out: &std::path::Path, threads: &str, scenario: &str, seed: &str) -> serde_json::Value {
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
    without_timing(&out.join(scenario).join("summary.json"))
}

#[test]
fn one_and_two_threads_and_two_runs_give_identical_summaries() {
    let directory = temp_dir("determinism");
    for scenario in ["admin-batch", "device-change", "subsidiary-split", "compliance-dual-control"] {
        let one = run(&directory.join("t1"), "1", scenario, "9");
        let two = run(&directory.join("t2"), "2", scenario, "9");
        let again = run(&directory.join("t2b"), "2", scenario, "9");
        assert_eq!(one, two, "{scenario}: thread count changed the result");
        assert_eq!(two, again, "{scenario}: a second run changed the result");
        let text_one = serde_json::to_string_pretty(&one).unwrap();
        let text_two = serde_json::to_string_pretty(&two).unwrap();
        assert_eq!(text_one, text_two, "{scenario}: bytes differ");
    }
    std::fs::remove_dir_all(directory).unwrap();
}

#[test]
fn another_seed_gives_another_result() {
    let directory = temp_dir("seeds");
    let a = run(&directory.join("a"), "2", "device-change", "1");
    let b = run(&directory.join("b"), "2", "device-change", "2");
    assert_ne!(a["metrics"], b["metrics"]);
    assert_eq!(a["seed"], 1);
    std::fs::remove_dir_all(directory).unwrap();
}

//! The command line: exit codes and nothing written on bad input, the keys
//! a summary promises, and the list of scenarios. Located errors are
//! checked by the table in `bad_input.rs`.

use super::common::{stderr, temp_dir, unbindsim};

#[test]
fn validate_accepts_every_shipped_scenario() {
    let files: Vec<String> = std::fs::read_dir("scenarios")
        .unwrap()
        .map(|entry| entry.unwrap().path().to_string_lossy().into_owned())
        .filter(|path| path.ends_with(".toml"))
        .collect();
    assert!(files.len() >= unbindsim::scenario::BUILTIN.len(), "the seed scenarios and their variants");
    let mut args = vec!["validate"];
    args.extend(files.iter().map(String::as_str));
    let output = unbindsim(&args);
    assert!(output.status.success(), "{}", stderr(&output));
}

#[test]
fn missing_file_directory_and_bad_flags_exit_2_and_write_nothing() {
    let out = temp_dir("bad-input");
    let out_arg = out.join("results");
    let out_str = out_arg.to_str().unwrap();
    let cases: Vec<Vec<&str>> = vec![
        vec!["run", "no-such-file.toml", "--out", out_str],
        vec!["run", "scenarios", "--out", out_str],
        vec!["run", "self-exit", "--members", "0", "--out", out_str],
        vec!["run", "self-exit", "--replications", "0", "--out", out_str],
        vec!["run", "self-exit", "--threads", "zero", "--out", out_str],
        vec!["run", "self-exit", "--org", "mixed", "--out", out_str],
        vec!["run", "self-exit", "--members", "1000000000", "--out", out_str],
        vec!["run", "self-exit", "no-such-file.toml", "--out", out_str],
        vec!["validate"],
    ];
    for args in cases {
        let output = unbindsim(&args);
        assert_eq!(output.status.code(), Some(2), "{args:?}: {}", stderr(&output));
        assert!(!stderr(&output).contains("panicked"), "{args:?}");
        assert!(!out_arg.exists(), "{args:?} wrote results");
    }
    std::fs::remove_dir_all(out).unwrap();
}

#[test]
fn run_writes_a_complete_summary_with_the_promised_keys() {
    let out = temp_dir("summary-keys");
    let output = unbindsim(&[
        "run",
        "device-change",
        "--members",
        "2000",
        "--replications",
        "2",
        "--quiet",
        "--out",
        out.to_str().unwrap(),
    ]);
    assert!(output.status.success(), "{}", stderr(&output));
    let text = std::fs::read_to_string(out.join("device-change/summary.json")).unwrap();
    let summary: serde_json::Value = serde_json::from_str(&text).unwrap();
    for pointer in [
        "/schema_version",
        "/scenario",
        "/seed",
        "/members",
        "/replications",
        "/org/mode",
        "/metrics/batch_latency_ms/count",
        "/metrics/batch_latency_ms/p50",
        "/metrics/batch_latency_ms/p90",
        "/metrics/batch_latency_ms/p99",
        "/metrics/batch_latency_ms/p999",
        "/metrics/batch_latency_ms/max",
        "/metrics/grace_races/total",
        "/metrics/grace_races/rate",
        "/metrics/grace_races/ci95",
        "/metrics/grace_races/by_kind",
        "/metrics/lockout/rate",
        "/metrics/lockout/ci95",
        "/metrics/lockout/by_platform",
        "/metrics/residue/probability",
        "/metrics/residue/ci95",
        "/metrics/residue/by_kind",
        "/metrics/residue/by_platform",
        "/engine/events",
        "/timing/events_per_sec",
        "/parameters/policy/buffer",
    ] {
        assert!(summary.pointer(pointer).is_some(), "missing {pointer}");
    }
    assert_eq!(summary["members"], 2000);
    assert!(summary["metrics"]["lockout"]["rate"].as_f64().unwrap() > 0.0);
    std::fs::remove_dir_all(out).unwrap();
}

#[test]
fn a_metric_the_scenario_cannot_produce_is_null_with_a_reason() {
    let out = temp_dir("nulls");
    let output = unbindsim(&[
        "run",
        "subsidiary-split",
        "--members",
        "1000",
        "--replications",
        "1",
        "--quiet",
        "--out",
        out.to_str().unwrap(),
    ]);
    assert!(output.status.success(), "{}", stderr(&output));
    let summary: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("subsidiary-split/summary.json")).unwrap()).unwrap();
    let lockout = &summary["metrics"]["lockout"];
    assert!(lockout["rate"].is_null());
    assert!(lockout["null_reason"].as_str().unwrap().contains("device"));
    assert!(summary["metrics"]["residue"]["probability"].is_null());
    std::fs::remove_dir_all(out).unwrap();
}

#[test]
fn scenarios_lists_every_seed_scenario() {
    let output = unbindsim(&["scenarios"]);
    assert!(output.status.success());
    let text = String::from_utf8_lossy(&output.stdout);
    assert_eq!(text.lines().count(), unbindsim::scenario::BUILTIN.len(), "{text}");
    assert!(text.contains("compliance-dual-control"));
}

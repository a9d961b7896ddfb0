//! Verdicts a program can read: `summary.json` carries each objective's and
//! the baseline check's verdict, and `--format json` prints what a command
//! wrote (with its verdicts), its exit code and error as one JSON document
//! on stdout, the tables going to stderr.

use super::common::{stderr, temp_dir, unbindsim};
use serde_json::Value;

/// The document `--format json` printed, parsed.
fn document(output: &std::process::Output) -> Value {
    let text = String::from_utf8_lossy(&output.stdout);
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("stdout is one JSON document ({e}): {text}"))
}

#[test]
fn run_writes_verdicts_in_the_summary_and_prints_them_as_one_json_document() {
    let directory = temp_dir("json-run");
    let scenario = directory.join("strict.toml");
    let objectives = "[slo]\nlockout_rate = \"< 0.01\"\nbatch_latency_p50 = \"< 30d\"\n";
    std::fs::write(&scenario, format!("base = \"device-change\"\nname = \"strict\"\n{objectives}")).unwrap();
    let out = directory.join("out");
    let sized = ["--members", "2000", "--replications", "10", "--format", "json"];
    let base = directory.join("base");
    let run = |out: &std::path::Path, extra: &[&str]| {
        let mut args = vec!["run", scenario.to_str().unwrap(), "--out", out.to_str().unwrap()];
        args.extend(sized);
        args.extend(extra);
        unbindsim(&args)
    };
    assert_eq!(run(&base, &[]).status.code(), Some(3));
    let baseline = base.join("strict/summary.json");
    let output = run(&out, &["--baseline", baseline.to_str().unwrap(), "--seed", "5"]);
    assert_eq!(output.status.code(), Some(3), "{}", stderr(&output));
    assert!(stderr(&output).contains("objectives (PASS or FAIL"), "the tables go to stderr");
    let document = document(&output);
    assert_eq!(document["command"], "run");
    assert_eq!(document["exit_code"], 3);
    assert!(document["error"].as_str().unwrap().contains("objective failed: lockout_rate"));
    let printed = &document["summaries"][0];
    assert_eq!(printed["scenario"], "strict");
    assert_eq!(printed["status"], "complete");
    let written: Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("strict/summary.json")).unwrap()).unwrap();
    assert_eq!(printed["verdicts"], written["verdicts"], "the document prints what summary.json holds");
    let objective = |figure: &str| {
        let objectives = written["verdicts"]["objectives"].as_array().unwrap();
        objectives.iter().find(|o| o["figure"] == figure).cloned().unwrap_or_else(|| panic!("{figure}: {objectives:?}"))
    };
    let lockout = objective("lockout_rate");
    assert_eq!(lockout["figure"], "lockout_rate");
    assert_eq!(lockout["comparison"], "<");
    assert_eq!(lockout["threshold"], 0.01);
    assert_eq!(lockout["verdict"], "fail");
    let estimate = lockout["estimate"].as_f64().unwrap();
    let interval: Vec<f64> = lockout["interval"].as_array().unwrap().iter().map(|b| b.as_f64().unwrap()).collect();
    assert!(interval[0] <= estimate && estimate <= interval[1] && interval[0] > 0.01, "{lockout}");
    assert!(lockout["reason"].as_str().unwrap().contains("violates"), "{lockout}");
    let latency = objective("batch_latency_p50");
    assert_eq!(latency["threshold"], 30.0 * 86_400_000.0, "a latency threshold in milliseconds");
    let checks = &written["verdicts"]["baseline"];
    assert_eq!(checks["baseline_seed"], 42);
    let gated: Vec<&str> = checks["checks"].as_array().unwrap().iter().map(|c| c["figure"].as_str().unwrap()).collect();
    assert!(gated.contains(&"lockout_rate") && gated.contains(&"batch_latency_p50"), "{gated:?}");
    assert!(checks["checks"][0]["verdict"].is_string() && checks["checks"][0]["reason"].is_string());
    std::fs::remove_dir_all(directory).unwrap();
}

#[test]
fn compare_sweep_merge_and_bad_input_print_one_json_document() {
    let directory = temp_dir("json-others");
    let out = directory.to_str().unwrap();
    let sized = ["--members", "400", "--replications", "2", "--format", "json", "--out", out];
    let with = |args: &[&str]| unbindsim(&args.iter().copied().chain(sized).collect::<Vec<_>>());
    let output = with(&["compare", "device-change", "scenarios/device-change-basic.toml"]);
    assert!(output.status.success(), "{}", stderr(&output));
    let compared = document(&output);
    assert_eq!(compared["command"], "compare");
    assert!(compared["comparisons"][0]["figures"]["lockout_rate"].is_object(), "{compared}");
    let output = with(&["sweep", "self-exit", "--set", "policy.buffer=0h,24h"]);
    let swept = document(&output);
    assert_eq!(swept["points"].as_array().unwrap().len(), 2, "{swept}");
    assert!(swept["points"][1]["verdicts"]["objectives"].is_array());
    for i in ["0/2", "1/2"] {
        assert!(with(&["run", "admin-batch", "--shard", i]).status.success());
    }
    let merged_out = directory.join("merged");
    let shards = directory.join("admin-batch");
    let output =
        unbindsim(&["merge", shards.to_str().unwrap(), "--format", "json", "--out", merged_out.to_str().unwrap()]);
    let merged = document(&output);
    assert_eq!(merged["summaries"][0]["scenario"], "admin-batch", "{merged}");
    let output = with(&["run", "no-such-file.toml"]);
    assert_eq!(output.status.code(), Some(2));
    let refused = document(&output);
    assert_eq!(refused["exit_code"], 2);
    assert!(refused["error"].as_str().unwrap().contains("no-such-file.toml"), "{refused}");
    std::fs::remove_dir_all(directory).unwrap();
}

//! The architect's workflow end to end: shards merge into the unsharded
//! summary byte for byte, a scenario compared with itself differs by exactly
//! zero, sweeps refuse unknown keys, and failed objectives exit 3.

use super::common::{stderr, summary_before_timing, temp_dir, unbindsim};

fn ok(args: &[&str]) {
    let output = unbindsim(args);
    assert!(output.status.success(), "{args:?}: {}", stderr(&output));
}

#[test]
fn three_shards_merge_into_the_unsharded_summary_byte_for_byte() {
    let directory = temp_dir("shards");
    let out = |name: &str| directory.join(name).to_string_lossy().into_owned();
    let common = ["--members", "1500", "--replications", "7", "--seed", "13", "--quiet"];
    for scenario in ["admin-batch", "compliance-dual-control"] {
        for shard in ["0/3", "1/3", "2/3"] {
            let mut args = vec!["run", scenario, "--shard", shard, "--out"];
            let shards = out("shards");
            args.push(&shards);
            args.extend(common);
            ok(&args);
        }
        let whole = out("whole");
        let mut args = vec!["run", scenario, "--out", &whole];
        args.extend(common);
        ok(&args);
    }
    ok(&["merge", &out("shards"), "--out", &out("merged"), "--quiet"]);
    for scenario in ["admin-batch", "compliance-dual-control"] {
        let merged = summary_before_timing(&directory.join("merged").join(scenario).join("summary.json"));
        let whole = summary_before_timing(&directory.join("whole").join(scenario).join("summary.json"));
        assert_eq!(merged, whole, "{scenario}: merged shards differ from the unsharded run");
    }
    std::fs::remove_dir_all(directory).unwrap();
}

#[test]
fn merge_refuses_shards_of_different_runs_or_overlapping_ones() {
    let directory = temp_dir("bad-shards");
    let shards = directory.join("shards").to_string_lossy().into_owned();
    let other = directory.join("other").to_string_lossy().into_owned();
    ok(&[
        "run",
        "self-exit",
        "--members",
        "500",
        "--replications",
        "2",
        "--seed",
        "1",
        "--shard",
        "0/2",
        "--out",
        &shards,
        "--quiet",
    ]);
    ok(&[
        "run",
        "self-exit",
        "--members",
        "500",
        "--replications",
        "2",
        "--seed",
        "2",
        "--shard",
        "1/2",
        "--out",
        &other,
        "--quiet",
    ]);
    let first = format!("{shards}/self-exit/shard-0-of-2.json");
    let foreign = format!("{other}/self-exit/shard-1-of-2.json");
    let merged = directory.join("merged").to_string_lossy().into_owned();
    for (files, expected) in
        [(vec![&first, &foreign], "different runs"), (vec![&first, &first], "twice"), (vec![&first], "missing")]
    {
        let mut args = vec!["merge"];
        args.extend(files.iter().map(|f| f.as_str()));
        args.extend(["--out", &merged]);
        let output = unbindsim(&args);
        assert_eq!(output.status.code(), Some(2), "{}", stderr(&output));
        assert!(stderr(&output).contains(expected), "{}", stderr(&output));
    }
    assert!(!directory.join("merged").exists(), "a refused merge wrote nothing");
    std::fs::remove_dir_all(directory).unwrap();
}

#[test]
fn a_scenario_compared_with_itself_differs_by_exactly_zero() {
    let directory = temp_dir("self-compare");
    let out = directory.to_string_lossy().into_owned();
    ok(&[
        "compare",
        "device-change",
        "device-change",
        "--members",
        "2000",
        "--replications",
        "4",
        "--out",
        &out,
        "--quiet",
    ]);
    let text =
        std::fs::read_to_string(directory.join("compare-device-change-vs-device-change/comparison.json")).unwrap();
    let comparison: serde_json::Value = serde_json::from_str(&text).unwrap();
    let figures = comparison["figures"].as_object().unwrap();
    assert!(figures.len() > 10);
    for (name, figure) in figures {
        if figure["difference"].is_null() {
            continue;
        }
        assert_eq!(figure["difference"]["mean"], 0.0, "{name}");
        assert_eq!(figure["difference"]["ci95"], serde_json::json!([0.0, 0.0]), "{name}");
        assert_eq!(figure["significant"], false, "{name}");
    }
    std::fs::remove_dir_all(directory).unwrap();
}

#[test]
fn paired_comparison_is_narrower_than_independent() {
    let directory = temp_dir("crn");
    let out = directory.to_string_lossy().into_owned();
    let args = [
        "compare",
        "device-change",
        "scenarios/device-change-basic.toml",
        "--members",
        "3000",
        "--replications",
        "8",
        "--out",
        &out,
        "--quiet",
    ];
    ok(&args);
    let mut independent = args.to_vec();
    independent.push("--independent");
    ok(&independent);
    let read = |name: &str| -> serde_json::Value {
        serde_json::from_str(&std::fs::read_to_string(directory.join(name).join("comparison.json")).unwrap()).unwrap()
    };
    let paired = read("compare-device-change-vs-device-change-basic");
    let separate = read("compare-device-change-vs-device-change-basic-independent");
    let width = |c: &serde_json::Value, figure: &str| {
        let ci = &c["figures"][figure]["difference"]["ci95"];
        ci[1].as_f64().unwrap() - ci[0].as_f64().unwrap()
    };
    assert_eq!(width(&paired, "lockout_rate"), 0.0, "the wipe policy does not touch lockouts: CRN shows it exactly");
    assert!(width(&separate, "lockout_rate") > 0.0);
    assert!(width(&paired, "residue_probability") < width(&separate, "residue_probability"));
    std::fs::remove_dir_all(directory).unwrap();
}

#[test]
fn sweep_over_a_missing_key_exits_2_listing_valid_keys() {
    let output = unbindsim(&["sweep", "admin-batch", "--set", "policy.buffr=0h,6h", "--members", "300"]);
    assert_eq!(output.status.code(), Some(2));
    assert!(
        stderr(&output).contains("--set policy.buffr") && stderr(&output).contains("`buffer`"),
        "{}",
        stderr(&output)
    );
}

#[test]
fn sweep_writes_one_csv_row_per_grid_point() {
    let directory = temp_dir("sweep");
    let out = directory.to_string_lossy().into_owned();
    ok(&[
        "sweep",
        "self-exit",
        "--set",
        "policy.buffer=0h,24h",
        "--set",
        "behaviour.activity_gap=2h,8h",
        "--members",
        "800",
        "--replications",
        "2",
        "--out",
        &out,
        "--quiet",
    ]);
    let csv = std::fs::read_to_string(directory.join("sweep-self-exit/sweep.csv")).unwrap();
    let lines: Vec<&str> = csv.lines().collect();
    assert_eq!(lines.len(), 5, "{csv}");
    assert!(lines[0].starts_with("policy.buffer,behaviour.activity_gap,batch_latency_p50"));
    assert!(lines[0].contains("lockout_rate_ci_high") && lines[0].contains("residue_probability_ci_low"));
    std::fs::remove_dir_all(directory).unwrap();
}

#[test]
fn a_failed_objective_exits_3_and_is_a_junit_failure() {
    let directory = temp_dir("slo");
    let scenario = directory.join("strict.toml");
    std::fs::write(&scenario, "base = \"device-change\"\nname = \"strict\"\n[slo]\nlockout_rate = \"< 0.01\"\nresidue_probability = \">= 0.0\"\n").unwrap();
    let junit = directory.join("junit.xml");
    let output = unbindsim(&[
        "run",
        scenario.to_str().unwrap(),
        "--members",
        "2000",
        "--replications",
        "10",
        "--quiet",
        "--out",
        directory.to_str().unwrap(),
        "--junit",
        junit.to_str().unwrap(),
    ]);
    assert_eq!(output.status.code(), Some(3), "{}", stderr(&output));
    let xml = std::fs::read_to_string(junit).unwrap();
    assert!(xml.contains("failures=\"1\"") && xml.contains("<failure"), "{xml}");
    assert!(directory.join("strict/summary.json").exists(), "the summary is written before the gate");
    std::fs::remove_dir_all(directory).unwrap();
}

#[test]
fn baseline_gate_passes_an_identical_run_and_exits_3_on_a_regression() {
    let directory = temp_dir("baseline");
    let out = |name: &str| directory.join(name).to_string_lossy().into_owned();
    let sized = ["--members", "3000", "--replications", "10", "--quiet"];
    let better = directory.join("better.toml");
    std::fs::write(
        &better,
        "base = \"device-change\"\nname = \"device-change\"\n[behaviour]\nuninstall_before_unbind = 0.1\n",
    )
    .unwrap();
    let mut args = vec!["run", better.to_str().unwrap(), "--out"];
    let base_out = out("base");
    args.push(&base_out);
    args.extend(sized);
    ok(&args);
    let baseline = directory.join("base/device-change/summary.json").to_string_lossy().into_owned();
    let current_out = out("current");
    let mut same = vec!["run", better.to_str().unwrap(), "--out", &current_out, "--baseline", &baseline];
    same.extend(sized);
    ok(&same);
    let mut worse = vec!["run", "device-change", "--out", &current_out, "--baseline", &baseline];
    worse.extend(sized);
    let output = unbindsim(&worse);
    assert_eq!(
        output.status.code(),
        Some(3),
        "more uninstalls must be a confident lockout regression: {}",
        stderr(&output)
    );
    std::fs::remove_dir_all(directory).unwrap();
}

//! The architect's workflow end to end: shards merge into the unsharded
//! summary byte for byte (sampled orgs and a shared one), the org mode
//! comes from `--org` or `org_mode` and every output says it, a scenario
//! compared with itself differs by exactly zero, sweeps refuse unknown
//! keys, and failed objectives exit 3.

use super::common::{stderr, summary_before_timing, temp_dir, unbindsim};

fn ok(args: &[&str]) {
    let output = unbindsim(args);
    assert!(output.status.success(), "{args:?}: {}", stderr(&output));
}

/// Runs `scenarios` in three shards and whole under `--org org_mode` and
/// checks that the merged shards are the whole run byte for byte.
fn shards_merge_into_the_unsharded_run(org_mode: &str, scenarios: &[&str]) {
    let directory = temp_dir(&format!("shards-{org_mode}"));
    let out = |name: &str| directory.join(name).to_string_lossy().into_owned();
    let common = ["--members", "1500", "--replications", "7", "--seed", "13", "--org", org_mode, "--quiet"];
    for scenario in scenarios {
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
    for scenario in scenarios {
        let merged = summary_before_timing(&directory.join("merged").join(scenario).join("summary.json"));
        let whole = summary_before_timing(&directory.join("whole").join(scenario).join("summary.json"));
        assert_eq!(merged, whole, "{scenario}, {org_mode} orgs: merged shards differ from the unsharded run");
    }
    std::fs::remove_dir_all(directory).unwrap();
}

#[test]
fn three_shards_merge_into_the_unsharded_summary_byte_for_byte() {
    shards_merge_into_the_unsharded_run("sampled", &["admin-batch", "compliance-dual-control"]);
    shards_merge_into_the_unsharded_run("shared", &["admin-batch"]);
}

/// The summary JSON (without `timing`) and the table's header line of a
/// 3-replication self-exit run from seed 9 with `extra` arguments.
fn self_exit_run(directory: &std::path::Path, name: &str, scenario: &str, extra: &[&str]) -> (String, String) {
    let out = directory.join(name).to_string_lossy().into_owned();
    let mut args = vec!["run", scenario, "--members", "800", "--replications", "3", "--seed", "9", "--out", &out];
    args.extend(extra);
    let output = unbindsim(&args);
    assert!(output.status.success(), "{args:?}: {}", stderr(&output));
    let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
    let header = stdout.lines().find(|line| line.starts_with("== ")).expect("a table header").to_owned();
    (summary_before_timing(&directory.join(name).join("self-exit/summary.json")), header)
}

#[test]
fn compare_refuses_sides_that_draw_their_orgs_differently_unless_told_how() {
    let directory = temp_dir("compare-org-modes");
    let file = directory.join("shared.toml");
    std::fs::write(&file, "base = \"device-change\"\norg_mode = \"shared\"\n").unwrap();
    let out = directory.join("results").to_string_lossy().into_owned();
    let mut args = vec!["compare", "device-change", file.to_str().unwrap(), "--members", "500", "--replications", "2"];
    args.extend(["--out", &out, "--quiet"]);
    let output = unbindsim(&args);
    assert_eq!(output.status.code(), Some(2), "{}", stderr(&output));
    assert!(stderr(&output).contains("org_mode") && stderr(&output).contains("--org"), "{}", stderr(&output));
    args.extend(["--org", "shared"]);
    ok(&args);
    std::fs::remove_dir_all(directory).unwrap();
}

#[test]
fn orgs_are_sampled_unless_shared_by_flag_or_key_and_every_output_says_which() {
    let directory = temp_dir("org-modes");
    let file = directory.join("shared.toml");
    std::fs::write(&file, "base = \"self-exit\"\norg_mode = \"shared\"\n").unwrap();
    let (sampled, sampled_header) = self_exit_run(&directory, "sampled", "self-exit", &[]);
    let (by_flag, flag_header) = self_exit_run(&directory, "flag", "self-exit", &["--org", "shared"]);
    let (by_key, _) = self_exit_run(&directory, "key", file.to_str().unwrap(), &[]);
    let (back, _) = self_exit_run(&directory, "back", file.to_str().unwrap(), &["--org", "sampled"]);
    assert!(sampled.contains("\"org\": {\n    \"mode\": \"sampled\"\n  }"), "{sampled}");
    assert!(by_flag.contains("\"org\": {\n    \"mode\": \"shared\",\n    \"seed\": 9\n  }"), "{by_flag}");
    assert_eq!(by_key, by_flag, "org_mode = \"shared\" is --org shared");
    assert_eq!(back, sampled, "--org overrides the key");
    assert_ne!(sampled.split("\"metrics\"").nth(1), by_flag.split("\"metrics\"").nth(1), "another org, other figures");
    assert!(sampled_header.contains("seed 9, 3 replication(s)") && sampled_header.contains("orgs sampled"));
    assert!(flag_header.contains("conditional on the org of seed 9"), "{flag_header}");
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
    assert_eq!(comparison["org"], serde_json::json!({ "mode": "sampled" }), "replication i of both on org i");
    let figures = comparison["figures"].as_object().unwrap();
    assert!(figures.len() > 10);
    for (name, figure) in figures {
        if figure["difference"].is_null() {
            continue;
        }
        assert_eq!(figure["difference"]["mean"], 0.0, "{name}");
        assert_eq!(figure["difference"]["ci95"], serde_json::json!([0.0, 0.0]), "{name}");
        assert_eq!(figure["test"], "by_construction", "{name}");
        assert_eq!(figure["significant"], false, "{name}");
        assert_eq!(figure["significant_holm"], false, "{name}");
    }
    assert!(figures.contains_key("batch_latency_p99_ms"), "latency keys carry their unit");
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
    let lockout = &paired["figures"]["lockout_rate"];
    assert_eq!(lockout["difference"]["mean"], 0.0, "the wipe policy does not touch lockouts: CRN shows it exactly");
    assert!(lockout["difference"]["ci95"].is_null(), "but no zero-width interval: {lockout}");
    assert!(lockout["null_reason"].as_str().unwrap().contains("all 8 paired differences are zero"), "{lockout}");
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
fn sweep_runs_each_point_with_its_own_seed_and_replications() {
    let directory = temp_dir("sweep-runs");
    let out = directory.to_string_lossy().into_owned();
    let sets = ["--set", "seed=1,2", "--set", "replications=2,3", "--set", "org.members=300,400"];
    let mut args = vec!["sweep", "self-exit", "--out", &out, "--quiet"];
    args.extend(sets);
    ok(&args);
    let text = std::fs::read_to_string(directory.join("sweep-self-exit/sweep.json")).unwrap();
    let points: serde_json::Value = serde_json::from_str(&text).unwrap();
    let points = points.as_array().unwrap();
    assert_eq!(points.len(), 8);
    for point in points {
        let settings = point["settings"].as_array().unwrap();
        let ran = |key: &str| point["summary"][key].to_string();
        for (pair, key) in settings.iter().zip(["seed", "replications", "members"]) {
            assert_eq!(pair[1].as_str().unwrap(), ran(key), "{key} in {settings:?}");
        }
    }
    std::fs::remove_dir_all(directory).unwrap();
}

#[test]
fn sweep_takes_values_with_commas_inside_braces() {
    let directory = temp_dir("sweep-commas");
    let out = directory.to_string_lossy().into_owned();
    let set = r#"policy.department_delay={ uniform = ["1h", "24h"] },{ exp = "2h" }"#;
    ok(&["sweep", "admin-batch", "--set", set, "--members", "300", "--replications", "2", "--out", &out, "--quiet"]);
    let csv = std::fs::read_to_string(directory.join("sweep-admin-batch/sweep.csv")).unwrap();
    let lines: Vec<&str> = csv.lines().collect();
    assert_eq!(lines.len(), 3, "{csv}");
    assert!(lines[1].starts_with(r#""{ uniform = [""1h"", ""24h""] }","#), "{csv}");
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
    // Another model into the same folder: it replaces the earlier run only when told.
    let mut worse = vec!["run", "device-change", "--out", &current_out, "--baseline", &baseline, "--overwrite"];
    worse.extend(sized);
    let output = unbindsim(&worse);
    assert_eq!(
        output.status.code(),
        Some(3),
        "more uninstalls must be a confident lockout regression: {}",
        stderr(&output)
    );
    assert!(
        stderr(&output).contains("worse than the baseline: lockout_rate"),
        "--quiet still names the figure: {}",
        stderr(&output)
    );
    std::fs::remove_dir_all(directory).unwrap();
}

#[test]
fn a_baseline_folder_checks_every_scenario_and_a_mismatched_one_is_refused() {
    let directory = temp_dir("baseline-folder");
    let base = directory.join("base").to_string_lossy().into_owned();
    let current = directory.join("current").to_string_lossy().into_owned();
    let sized = ["--members", "400", "--replications", "10", "--quiet"];
    let run = |extra: &[&str]| {
        let mut args = vec!["run", "self-exit", "app-grants"];
        args.extend(sized);
        args.extend(extra);
        unbindsim(&args)
    };
    assert!(run(&["--out", &base]).status.success());
    let junit = directory.join("junit.xml").to_string_lossy().into_owned();
    let output = run(&["--out", &current, "--baseline", &base, "--seed", "7", "--junit", &junit]);
    assert!(output.status.success(), "the same model on another seed passes: {}", stderr(&output));
    let xml = std::fs::read_to_string(&junit).unwrap();
    assert!(xml.contains("self-exit.regression") && xml.contains("app-grants.regression"), "both are checked: {xml}");
    let refused = |extra: &[&str], words: &str| {
        let mut args =
            vec!["run", "self-exit", "--replications", "10", "--quiet", "--out", &current, "--baseline", &base];
        args.extend(extra);
        let output = unbindsim(&args);
        assert_eq!(output.status.code(), Some(2), "{args:?}: {}", stderr(&output));
        assert!(stderr(&output).contains(words), "{args:?}: {}", stderr(&output));
    };
    refused(&["--members", "500"], "has 400 members, this run 500");
    refused(&["--members", "400", "--gate", "lockout_rate,nope"], "--gate nope");
    let output =
        unbindsim(&["run", "device-change", "--members", "400", "--quiet", "--out", &current, "--baseline", &base]);
    assert_eq!(output.status.code(), Some(2), "{}", stderr(&output));
    assert!(stderr(&output).contains("device-change/summary.json"), "{}", stderr(&output));
    std::fs::remove_dir_all(directory).unwrap();
}

#[test]
fn until_decided_stops_at_the_first_decisive_look_or_the_cap_and_writes_a_plain_summary() {
    let directory = temp_dir("until-decided");
    let scenario = directory.join("looks.toml");
    std::fs::write(
        &scenario,
        "base = \"device-change\"\nname = \"looks\"\n[slo]\nlockout_rate = \"< 0.5\"\nrebind_vs_rollback_rate = \"< 0.1\"\nlockout_given_uninstall_rate = \"< 0.236\"\n",
    )
    .unwrap();
    let easy = directory.join("easy.toml");
    std::fs::write(&easy, "base = \"device-change\"\nname = \"easy\"\n[slo]\nlockout_rate = \"< 0.5\"\n").unwrap();
    let out = |name: &str| directory.join(name).to_string_lossy().into_owned();
    let (looks_out, easy_out, plain_out) = (out("looks"), out("easy"), out("plain"));
    let run = |file: &std::path::Path, extra: &[&str]| {
        let mut args = vec!["run", file.to_str().unwrap(), "--members", "300"];
        args.extend(extra);
        unbindsim(&args)
    };
    // Rounds of 5 up to the cap of 15: a threshold at the figure's own
    // default (0.236) stays undecided to the cap; a figure the scenario
    // never produces gets no verdict at the first look.
    let output =
        run(&scenario, &["--replications", "5", "--until-decided", "--max-replications", "15", "--out", &looks_out]);
    assert!(output.status.success(), "{}", stderr(&output));
    let printed = String::from_utf8_lossy(&output.stdout);
    assert!(printed.contains("decided in 3 look(s) of up to 15 replications"), "{printed}");
    let line = |objective: &str| printed.lines().find(|line| line.contains(objective)).unwrap_or_default().to_owned();
    // The first look at 5 replications cannot decide: intervals need 10.
    let lockout = line("lockout_rate < 0.5");
    assert!(
        lockout.starts_with("  PASS") && lockout.contains("look 2 (10 replications, 98.45 % intervals)"),
        "{printed}"
    );
    let rebind = line("rebind_vs_rollback_rate < 0.1");
    assert!(rebind.starts_with("  N/A") && rebind.contains("look 1 (5 replications"), "{printed}");
    let close = line("lockout_given_uninstall_rate < 0.236");
    assert!(close.starts_with("  UNDECIDED") && close.contains("look 3 (15 replications"), "{printed}");
    let output = run(&scenario, &["--replications", "15", "--out", &plain_out, "--quiet"]);
    assert!(output.status.success(), "{}", stderr(&output));
    assert_eq!(
        summary_before_timing(&directory.join("looks/looks/summary.json")),
        summary_before_timing(&directory.join("plain/looks/summary.json")),
        "the summary after the looks is the plain run of as many replications"
    );
    let output = run(&easy, &["--until-decided", "--replications", "10", "--out", &easy_out, "--quiet"]);
    assert!(output.status.success(), "{}", stderr(&output));
    let summary = std::fs::read_to_string(directory.join("easy/easy/summary.json")).unwrap();
    assert!(summary.contains("\"replications\": 10,") || summary.contains("\"replications\":10,"), "one look decides");
    let output = unbindsim(&["run", "self-exit", "--members", "300", "--until-decided", "--out", &easy_out]);
    assert_eq!(output.status.code(), Some(2), "{}", stderr(&output));
    assert!(stderr(&output).contains("has no objectives"), "{}", stderr(&output));
    std::fs::remove_dir_all(directory).unwrap();
}

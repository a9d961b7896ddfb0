//! No silent overwrites: the same run replaces its results, another run in
//! the way is refused (exit 2) unless `--overwrite`, for every command; two
//! scenarios of one command with the same name are refused.

use super::common::{stderr, temp_dir, unbindsim};
use std::path::Path;

const SMALL: [&str; 4] = ["--members", "400", "--replications", "2"];

/// `unbindsim` with `args`, the small sizes and `--quiet --out out`.
fn small(args: &[&str], out: &Path) -> std::process::Output {
    let mut all: Vec<&str> = args.to_vec();
    all.extend(SMALL);
    all.extend(["--quiet", "--out", out.to_str().unwrap()]);
    unbindsim(&all)
}

fn seed_of(path: &Path) -> u64 {
    let summary: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    summary["seed"].as_u64().unwrap()
}

#[test]
fn a_run_replaces_itself_refuses_another_seed_and_overwrites_only_when_told() {
    let out = temp_dir("overwrite-run");
    let summary = out.join("admin-batch/summary.json");
    for _ in 0..2 {
        let output = small(&["run", "admin-batch", "--seed", "1"], &out);
        assert!(output.status.success(), "the same run twice: {}", stderr(&output));
    }
    let output = small(&["run", "admin-batch", "--seed", "2"], &out);
    assert_eq!(output.status.code(), Some(2), "{}", stderr(&output));
    let message = stderr(&output);
    assert!(message.contains("admin-batch/summary.json") && message.contains("seed (now 2)"), "{message}");
    assert!(message.contains("--overwrite"), "{message}");
    assert_eq!(seed_of(&summary), 1, "the earlier run is untouched");
    let output = small(&["run", "admin-batch", "--seed", "2", "--overwrite"], &out);
    assert!(output.status.success(), "{}", stderr(&output));
    assert_eq!(seed_of(&summary), 2);
    let output = small(&["run", "admin-batch", "admin-batch"], &out);
    assert_eq!(output.status.code(), Some(2), "duplicate names");
    assert!(stderr(&output).contains("two scenarios are named admin-batch"), "{}", stderr(&output));
    std::fs::remove_dir_all(out).unwrap();
}

#[test]
fn sweep_compare_merge_and_load_refuse_another_runs_results() {
    let out = temp_dir("overwrite-others");
    let cases: [(&[&str], &[&str]); 3] = [
        (
            &["sweep", "self-exit", "--set", "policy.buffer=0h,24h"],
            &["sweep", "self-exit", "--set", "policy.buffer=0h,72h"],
        ),
        (
            &["compare", "device-change", "scenarios/device-change-basic.toml"],
            &["compare", "device-change", "scenarios/device-change-basic.toml", "--seed", "5"],
        ),
        (&["run", "admin-batch", "--shard", "0/2"], &["run", "admin-batch", "--shard", "0/2", "--seed", "5"]),
    ];
    for (first, other) in cases {
        for _ in 0..2 {
            assert!(small(first, &out).status.success(), "{first:?} twice");
        }
        let output = small(other, &out);
        assert_eq!(output.status.code(), Some(2), "{other:?}: {}", stderr(&output));
        assert!(stderr(&output).contains("refusing to overwrite"), "{}", stderr(&output));
        let mut forced = other.to_vec();
        forced.push("--overwrite");
        assert!(small(&forced, &out).status.success(), "{forced:?}");
    }
    // merge: the shards of seed 5 onto a summary of seed 1.
    assert!(small(&["run", "admin-batch", "--shard", "1/2", "--seed", "5"], &out).status.success());
    let merged = out.join("merged");
    assert!(small(&["run", "admin-batch", "--seed", "1"], &merged).status.success());
    let shards = out.join("admin-batch");
    let merge = |extra: &[&str]| {
        let mut args = vec!["merge", shards.to_str().unwrap(), "--quiet", "--out", merged.to_str().unwrap()];
        args.extend(extra);
        unbindsim(&args)
    };
    assert_eq!(merge(&[]).status.code(), Some(2), "{}", stderr(&merge(&[])));
    assert_eq!(seed_of(&merged.join("admin-batch/summary.json")), 1);
    assert!(merge(&["--overwrite"]).status.success());
    assert_eq!(seed_of(&merged.join("admin-batch/summary.json")), 5);
    // load: an earlier live run is never replaced (refused before anything is sent).
    let live = out.join("admin-batch-live");
    std::fs::create_dir_all(&live).unwrap();
    std::fs::write(live.join("summary.json"), "{}").unwrap();
    let output = unbindsim(&["load", "admin-batch", "--url", "http://127.0.0.1:9/v2", "--out", out.to_str().unwrap()]);
    assert_eq!(output.status.code(), Some(2), "{}", stderr(&output));
    assert!(stderr(&output).contains("never replaced"), "{}", stderr(&output));
    assert_eq!(std::fs::read_to_string(live.join("summary.json")).unwrap(), "{}");
    std::fs::remove_dir_all(out).unwrap();
}

#[test]
fn outputs_that_cannot_be_written_are_refused_before_anything_runs() {
    // `--out` naming a file and `--junit` naming a folder were found only
    // after the whole simulation (exit 1); now they are bad input, even
    // with --overwrite, and nothing is written.
    let directory = temp_dir("unwritable-outputs");
    let file = directory.join("a-file");
    std::fs::write(&file, "not a folder").unwrap();
    let (file, folder) = (file.to_str().unwrap(), directory.to_str().unwrap());
    let shards = directory.join("shards");
    let output = small(&["run", "self-exit", "--shard", "0/1"], &shards);
    assert!(output.status.success(), "{}", stderr(&output));
    let shards = shards.to_str().unwrap();
    let cases: [(&[&str], &str); 7] = [
        (&["run", "self-exit", "--out", file], "is a file, not a folder"),
        (&["run", "self-exit", "--junit", folder], "is a folder, where a file is to be written"),
        (&["sweep", "self-exit", "--set", "policy.buffer=0h,1h", "--out", file], "is a file, not a folder"),
        (&["sweep", "self-exit", "--set", "policy.buffer=0h,1h", "--junit", folder], "is a folder"),
        (&["compare", "self-exit", "self-exit", "--out", file], "is a file, not a folder"),
        (&["merge", shards, "--out", file], "is a file, not a folder"),
        (&["merge", shards, "--junit", folder], "is a folder"),
    ];
    for (args, needle) in cases {
        let mut all: Vec<&str> = args.to_vec();
        if args[0] != "merge" {
            all.extend(SMALL);
        }
        all.extend(["--quiet", "--overwrite"]);
        let output = unbindsim(&all);
        let message = stderr(&output);
        assert_eq!(output.status.code(), Some(2), "{args:?}: {message}");
        assert!(message.contains(needle), "{args:?}: {message}");
    }
    assert_eq!(std::fs::read_to_string(directory.join("a-file")).unwrap(), "not a folder");
    std::fs::remove_dir_all(directory).unwrap();
}

//! Helpers shared by the integration tests: running the binary, fresh
//! temporary directories, loading a built-in scenario, a summary's bytes
//! before its `timing` object, and a run in shards merged beside the
//! same run whole.

use std::path::PathBuf;
use std::process::{Command, Output};
use unbindsim::scenario::{Scenario, builtin, parse_scenario};

/// Runs the `unbindsim` binary with `args`.
pub fn unbindsim(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_unbindsim")).args(args).output().expect("the binary runs")
}

pub fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

/// A fresh, empty directory for one test.
pub fn temp_dir(name: &str) -> PathBuf {
    let directory = std::env::temp_dir().join(format!("unbindsim-it-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&directory);
    std::fs::create_dir_all(&directory).expect("temp dir");
    directory
}

/// The built-in scenario `name`, parsed.
pub fn seed_scenario(name: &str) -> Scenario {
    parse_scenario(name, builtin(name).expect("a built-in scenario")).expect("built-in scenarios parse")
}

/// A summary file's text up to its wall-clock `timing` object (the last
/// key), byte for byte: what must agree between runs that should be identical.
pub fn summary_before_timing(path: &std::path::Path) -> String {
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let cut = text.find("\n  \"timing\":").unwrap_or_else(|| panic!("{}: no timing object", path.display()));
    text[..cut].to_owned()
}

/// `scenario` (a built-in name or a file) named `name`, at 1 500 members,
/// 7 replications and seed 3: run in three shards and merged, and run
/// whole, in `directory`. Returns the two summaries before their `timing`
/// (merged, whole): a merge must give the unsharded run byte for byte.
pub fn merged_shards_and_whole(directory: &std::path::Path, scenario: &str, name: &str) -> (String, String) {
    let out = |folder: &str| directory.join(folder).to_string_lossy().into_owned();
    let common = ["--members", "1500", "--replications", "7", "--seed", "3", "--quiet"];
    let run = |extra: &[&str], folder: &str| {
        let output = unbindsim(&[&["run", scenario, "--out", &out(folder)], extra, &common[..]].concat());
        assert!(output.status.success(), "{}", stderr(&output));
    };
    for shard in ["0/3", "1/3", "2/3"] {
        run(&["--shard", shard], "shards");
    }
    run(&[], "whole");
    let merged = unbindsim(&["merge", &out("shards"), "--out", &out("merged"), "--quiet"]);
    assert!(merged.status.success(), "{}", stderr(&merged));
    let read = |folder: &str| summary_before_timing(&directory.join(folder).join(name).join("summary.json"));
    (read("merged"), read("whole"))
}

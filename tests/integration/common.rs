//! Helpers shared by the integration tests: running the binary, fresh
//! temporary directories, and loading a built-in scenario with overrides.

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

/// The summary JSON without the wall-clock `timing` object.
pub fn without_timing(path: &std::path::Path) -> serde_json::Value {
    let text = std::fs::read_to_string(path).expect("summary written");
    let mut value: serde_json::Value = serde_json::from_str(&text).expect("summary is JSON");
    value.as_object_mut().expect("object").remove("timing");
    value
}

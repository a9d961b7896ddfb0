//! Helpers shared by the integration tests: running the binary, fresh
//! temporary directories, loading a built-in scenario, and a summary's bytes
//! before its `timing` object.

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

//! A newcomer's first steps through the binary: a built-in's TOML with
//! `scenarios --show`, a starting file with `init` (never overwriting),
//! shell completions, and `--help` with examples and the exit codes.

use super::common::{stderr, temp_dir, unbindsim};

#[test]
fn scenarios_show_prints_a_builtins_toml_and_refuses_an_unknown_name() {
    let output = unbindsim(&["scenarios", "--show", "admin-batch"]);
    assert!(output.status.success(), "{}", stderr(&output));
    let text = String::from_utf8_lossy(&output.stdout);
    assert_eq!(text, unbindsim::scenario::builtin("admin-batch").unwrap());
    let output = unbindsim(&["scenarios", "--show", "no-such"]);
    assert_eq!(output.status.code(), Some(2));
    assert!(stderr(&output).contains("one of self-exit, admin-batch"), "{}", stderr(&output));
}

#[test]
fn init_writes_a_commented_file_that_validates_and_never_overwrites() {
    let directory = temp_dir("init");
    let file = directory.join("mine.toml");
    let path = file.to_str().unwrap();
    let output = unbindsim(&["init", path, "--from", "device-change"]);
    assert!(output.status.success(), "{}", stderr(&output));
    let text = std::fs::read_to_string(&file).unwrap();
    assert!(text.contains("base = \"device-change\"\nname = \"mine\""), "{text}");
    assert!(text.contains("# [org]"), "the built-in's keys, commented: {text}");
    let output = unbindsim(&["validate", path]);
    assert!(output.status.success(), "{}", stderr(&output));
    assert!(String::from_utf8_lossy(&output.stdout).contains("mine, device-change workload"));
    std::fs::write(&file, "kept").unwrap();
    let output = unbindsim(&["init", path]);
    assert_eq!(output.status.code(), Some(2));
    assert!(stderr(&output).contains("already exists"), "{}", stderr(&output));
    assert_eq!(std::fs::read_to_string(&file).unwrap(), "kept");
    let other = directory.join("other.toml");
    assert_eq!(unbindsim(&["init", other.to_str().unwrap(), "--from", "nope"]).status.code(), Some(2));
    assert!(!other.exists());
    std::fs::remove_dir_all(directory).unwrap();
}

#[test]
fn completions_and_help_are_there_for_a_newcomer() {
    let output = unbindsim(&["completions", "bash"]);
    assert!(output.status.success());
    let script = String::from_utf8_lossy(&output.stdout);
    assert!(script.contains("_unbindsim") && script.contains("sweep"), "a bash completion script");
    assert_eq!(unbindsim(&["completions", "tcsh"]).status.code(), Some(2));
    let help = String::from_utf8_lossy(&unbindsim(&["--help"]).stdout).into_owned();
    for words in ["Examples:", "unbindsim init", "Exit codes:", "143 by SIGTERM", "3    an objective failed"] {
        assert!(help.contains(words), "--help says {words:?}: {help}");
    }
}

//! The command line under CI conditions: a stdout closed early (`| head -1`)
//! ends the printing, never the work; SIGTERM and SIGINT stop a run at a
//! replication boundary and write what is complete.

use super::common::temp_dir;
use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};

/// Runs `unbindsim args` with stdout a pipe that is closed after its first
/// line; returns the exit code and stderr.
fn with_stdout_closed_after_one_line(args: &[&str]) -> (Option<i32>, String) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_unbindsim"))
        .args(args)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the binary runs");
    let mut first = String::new();
    BufReader::new(child.stdout.take().unwrap()).read_line(&mut first).unwrap();
    assert!(!first.is_empty(), "{args:?} printed a first line");
    // The reader is dropped here: the pipe is closed after one line.
    let output = child.wait_with_output().unwrap();
    (output.status.code(), String::from_utf8_lossy(&output.stderr).into_owned())
}

#[test]
fn a_stdout_closed_after_one_line_ends_the_printing_not_the_run() {
    let out = temp_dir("closed-stdout");
    let (code, stderr) = with_stdout_closed_after_one_line(&[
        "run",
        "--members",
        "300",
        "--replications",
        "2",
        "--out",
        out.to_str().unwrap(),
    ]);
    assert_eq!(code, Some(0), "every replication ran and every summary was written: {stderr}");
    assert!(!stderr.contains("panicked") && !stderr.contains("Broken pipe"), "{stderr}");
    for (name, _) in unbindsim::scenario::BUILTIN {
        let summary = out.join(name).join("summary.json");
        assert!(summary.is_file(), "{} written", summary.display());
    }
    std::fs::remove_dir_all(out).unwrap();
}

#[test]
fn scenarios_into_a_closed_pipe_exits_0_without_a_panic() {
    let (code, stderr) = with_stdout_closed_after_one_line(&["scenarios"]);
    assert_eq!(code, Some(0), "{stderr}");
    assert!(stderr.is_empty(), "{stderr}");
    // And into a pipe closed before the first line: no panic either.
    let (reader, writer) = std::io::pipe().unwrap();
    drop(reader);
    let output = Command::new(env!("CARGO_BIN_EXE_unbindsim")).arg("scenarios").stdout(writer).output().unwrap();
    assert_eq!(output.status.code(), Some(0), "{}", String::from_utf8_lossy(&output.stderr));
}

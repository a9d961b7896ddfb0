//! The command line under CI conditions: a stdout closed early (`| head -1`)
//! ends the printing, never the work; SIGTERM and SIGINT stop a run at a
//! replication boundary and write what is complete.

use super::common::{summary_before_timing, temp_dir, unbindsim};
use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::time::Duration;

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

/// Starts `unbindsim args`, waits for the banner's line holding `marker`
/// on stderr (the signals are watched from then on), lets it run `after`,
/// sends `signal`, and returns the exit code and stderr.
fn signalled_after_banner(args: &[&str], marker: &str, signal: &str, after: Duration) -> (Option<i32>, String) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_unbindsim"))
        .args(args)
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the binary runs");
    let mut lines = BufReader::new(child.stderr.take().unwrap()).lines();
    let banner: Vec<String> = lines.by_ref().map_while(Result::ok).take_while(|l| !l.contains(marker)).collect();
    std::thread::sleep(after);
    let sent = Command::new("kill").arg(format!("-{signal}")).arg(child.id().to_string()).status().unwrap();
    assert!(sent.success(), "kill -{signal}");
    let rest: Vec<String> = lines.map_while(Result::ok).collect();
    let status = child.wait().unwrap();
    (status.code(), format!("{}\n{}", banner.join("\n"), rest.join("\n")))
}

fn json(path: &std::path::Path) -> serde_json::Value {
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    serde_json::from_str(&text).unwrap()
}

#[test]
fn sigterm_stops_a_run_at_a_replication_boundary_and_writes_the_complete_ones() {
    let out = temp_dir("sigterm-run");
    let stopped = out.join("stopped");
    let (code, stderr) = signalled_after_banner(
        &["run", "admin-batch", "--members", "2000", "--replications", "5000", "--threads", "1"]
            .into_iter()
            .chain(["--out", stopped.to_str().unwrap()])
            .collect::<Vec<_>>(),
        "parameters:",
        "TERM",
        Duration::from_millis(1500),
    );
    assert_eq!(code, Some(143), "128 + SIGTERM: {stderr}");
    assert!(stderr.contains("interrupted by SIGTERM") && stderr.contains("of 5000 replications"), "{stderr}");
    let path = stopped.join("admin-batch/summary.json");
    let summary = json(&path);
    assert_eq!(summary["status"], "interrupted");
    assert_eq!(summary["replications_planned"], 5000);
    let done = summary["replications"].as_u64().unwrap();
    assert!((1..5000).contains(&done), "{done} replications complete");
    // The complete replications are the first ones, without a gap: the
    // summary is the one a run of that many writes.
    let whole = out.join("whole");
    let done_arg = done.to_string();
    let args = ["run", "admin-batch", "--members", "2000", "--replications", &done_arg, "--quiet", "--out"];
    let output = unbindsim(&args.into_iter().chain([whole.to_str().unwrap()]).collect::<Vec<_>>());
    assert!(output.status.success());
    let same = summary_before_timing(&whole.join("admin-batch/summary.json"));
    assert_eq!(summary_before_timing(&path), same, "the first {done} replications");
    assert_eq!(json(&whole.join("admin-batch/summary.json"))["status"], "complete");
    std::fs::remove_dir_all(out).unwrap();
}

#[test]
fn sigint_stops_a_sweep_and_writes_each_points_complete_replications() {
    let out = temp_dir("sigint-sweep");
    let out_arg = out.to_str().unwrap();
    let common = ["--members", "2000", "--replications", "3000", "--threads", "1", "--out", out_arg];
    let sweep: Vec<&str> = ["sweep", "self-exit", "--set", "policy.buffer=0h,24h"].into_iter().chain(common).collect();
    let (code, stderr) = signalled_after_banner(&sweep, "points,", "INT", Duration::from_millis(1500));
    assert_eq!(code, Some(130), "128 + SIGINT: {stderr}");
    assert!(stderr.contains("interrupted by SIGINT"), "{stderr}");
    let points = json(&out.join("sweep-self-exit/sweep.json"));
    assert!(points.as_array().unwrap().iter().all(|point| point["status"] == "interrupted"), "{points}");
    std::fs::remove_dir_all(out).unwrap();
}

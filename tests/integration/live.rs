//! Live load against real SCIM 2.0 servers: `scim2-server` (PyPI), pinned
//! and installed into `target/scim-venv` by `scripts/scim-server.sh`, and,
//! for provisioning, every mode, paging and verification, a second,
//! independent implementation, SCIMMY with its Express routers (npm),
//! pinned and installed into `target/scimmy` by `scripts/scimmy-server.sh`.
//! Each is started on a free loopback port per test and killed at its end.
//! A missing Python, Node or install fails these tests with the script's
//! message; they never skip.

use super::common::{stderr, temp_dir, unbindsim};
use serde_json::Value;
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// A SCIM server process on a free port, killed when dropped.
struct ScimServer {
    pid: String,
    port: String,
}

/// The servers' start scripts under `scripts/`: scim2-server, SCIMMY.
const SERVERS: [&str; 2] = ["scim-server.sh", "scimmy-server.sh"];

impl ScimServer {
    /// scim2-server, the server of every live test.
    fn start(directory: &Path) -> ScimServer {
        ScimServer::start_with(SERVERS[0], directory)
    }

    fn start_with(script: &str, directory: &Path) -> ScimServer {
        let pidfile = directory.join(format!("{script}.pid"));
        let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("scripts").join(script);
        let output = Command::new("bash").arg(&script).arg("start").arg(&pidfile).output().expect("bash runs");
        assert!(
            output.status.success(),
            "cannot start the SCIM test server ({} start): {}",
            script.display(),
            stderr(&output)
        );
        let port = String::from_utf8_lossy(&output.stdout).trim().to_owned();
        let pid = std::fs::read_to_string(&pidfile).expect("the script writes the pid").trim().to_owned();
        ScimServer { pid, port }
    }

    fn url(&self) -> String {
        format!("http://127.0.0.1:{}/v2", self.port)
    }

    fn kill(&self) {
        let _ = Command::new("kill").arg("-KILL").arg(&self.pid).stderr(Stdio::null()).status();
    }
}

impl Drop for ScimServer {
    fn drop(&mut self) {
        self.kill();
    }
}

/// 2 000 members, ten super-admin batches of 200: every member is unbound.
const SCENARIO: &str = r#"base = "admin-batch"
name = "live-test"

[org]
members = 2000
departments = { branching = 4, depth = 2 }

[workload]
arrivals = { every = "1h", count = 10 }
members_per_arrival = 200

[workload.admin-batch]
tiers = { super = 1.0, department = 0.0, app = 0.0 }
"#;

fn scenario_file(directory: &Path) -> PathBuf {
    let path = directory.join("live-test.toml");
    std::fs::write(&path, SCENARIO).unwrap();
    path
}

/// A fresh folder `name` holding the scenario file, the server started
/// there, and the `out` folder a load run writes.
fn live_case(name: &str) -> (PathBuf, PathBuf, ScimServer, PathBuf) {
    let directory = temp_dir(name);
    let scenario = scenario_file(&directory);
    let server = ScimServer::start(&directory);
    let out = directory.join("out");
    (directory, scenario, server, out)
}

fn summary(out: &Path) -> Value {
    let text = std::fs::read_to_string(out.join("live-test-live/summary.json")).expect("summary written");
    serde_json::from_str(&text).expect("summary is JSON")
}

fn load(scenario: &Path, server: &ScimServer, out: &Path, extra: &[&str]) -> std::process::Output {
    let url = server.url();
    let mut args = vec!["load", scenario.to_str().unwrap(), "--url", &url];
    args.extend(["--out", out.to_str().unwrap(), "--replications", "2", "--speedup", "1000000"]);
    args.extend(extra);
    unbindsim(&args)
}

#[test]
fn every_mode_unbinds_all_2000_members_and_loses_none() {
    every_mode_unbinds_every_member(SERVERS[0], 2000);
}

fn every_mode_unbinds_every_member(script: &str, members: u64) {
    let directory = temp_dir(&format!("live-modes-{script}"));
    let scenario = scenario_file(&directory);
    let server = ScimServer::start_with(script, &directory);
    for mode in ["patch", "delete", "bulk"] {
        let out = directory.join(mode);
        let label = format!("{mode} on {script}");
        let members_flag = members.to_string();
        let flags = ["--mode", mode, "--rate", "2000/s", "--concurrency", "8", "--members", &members_flag];
        let output = load(&scenario, &server, &out, &flags);
        assert_eq!(output.status.code(), Some(0), "{label}: {}", stderr(&output));
        let summary = summary(&out);
        let requests = &summary["metrics"]["requests"];
        assert_eq!(summary["status"], "complete", "{label}");
        assert_eq!(summary["verify"]["unbound"], members, "{label}");
        assert_eq!(summary["verify"]["still_active_count"], 0, "{label}");
        assert_eq!(summary["verify"]["still_present_count"], 0, "{label}");
        assert_eq!(summary["nothing_lost"], true, "{label}");
        assert_eq!(requests["accounted"], true, "{label}");
        assert_eq!(requests["operations"], members, "{label}");
        let sent = requests["sent"].as_u64().unwrap();
        let parts = ["ok", "http_error", "timeout", "connection_error"].map(|k| requests[k].as_u64().unwrap());
        assert_eq!(sent, parts.iter().sum::<u64>(), "{label}: sent = ok + http_error + timeout + connection_error");
        if mode == "bulk" {
            assert!(sent < members, "bulk sends fewer requests than members");
            assert!(summary["target"]["bulk_max_operations"].as_u64().unwrap() > 0);
        }
        assert_eq!(summary["sim_vs_live"]["live_ms"]["count"], members / 200, "{label}");
        let hlog = std::fs::read_to_string(out.join("live-test-live/requests.hlog")).unwrap();
        assert!(hlog.contains("#[Histogram log format version 1.3]"), "{label}");
        assert!(
            hlog.contains("\"StartTimestamp\",\"Interval_Length\",\"Interval_Max\",\"Interval_Compressed_Histogram\"")
        );
    }
    drop(server);
    std::fs::remove_dir_all(directory).unwrap();
}

/// The second implementation: provisioning (users, and groups with their
/// members), each mode (bulk as SCIMMY advertises it), paging at its
/// `maxResults` and verification. SCIMMY coerces every stored user on each
/// listing page, which makes the 2 000-member scenario take minutes, so
/// the built-in admin-batch at 300 members (192 groups) runs here.
#[test]
fn every_mode_unbinds_every_member_on_scimmy_too() {
    let directory = temp_dir("live-scimmy");
    let server = ScimServer::start_with(SERVERS[1], &directory);
    for mode in ["patch", "delete", "bulk"] {
        let out = directory.join(mode);
        let url = server.url();
        let output = unbindsim(&[
            "load",
            "admin-batch",
            "--members",
            "300",
            "--replications",
            "2",
            "--url",
            &url,
            "--mode",
            mode,
            "--speedup",
            "1000000",
            "--rate",
            "2000/s",
            "--concurrency",
            "8",
            "--out",
            out.to_str().unwrap(),
        ]);
        assert_eq!(output.status.code(), Some(0), "{mode} on SCIMMY: {}", stderr(&output));
        let text = std::fs::read_to_string(out.join("admin-batch-live/summary.json")).expect("summary written");
        let summary: Value = serde_json::from_str(&text).unwrap();
        let requests = &summary["metrics"]["requests"];
        assert_eq!(summary["status"], "complete", "{mode}");
        assert_eq!(summary["nothing_lost"], true, "{mode}");
        assert!(requests["operations"].as_u64().unwrap() > 200, "{mode}: {requests}");
        assert_eq!(summary["verify"]["unbound"], requests["operations"], "{mode}");
        assert_eq!(summary["provision"]["errors"], 0, "{mode}");
        if mode == "bulk" {
            assert!(requests["sent"].as_u64().unwrap() < requests["operations"].as_u64().unwrap(), "{mode}");
        }
    }
    drop(server);
    std::fs::remove_dir_all(directory).unwrap();
}

#[test]
fn overload_shows_the_servers_queue_and_fails_its_rate_objective_with_exit_3() {
    let (directory, scenario, server, out) = live_case("live-overload");
    // The saturated run is gated: an objective on the achieved rate fails it.
    let gated = format!("{SCENARIO}\n[slo]\nachieved_rate_ratio = \">= 0.9\"\nstill_active = \"0\"\n");
    std::fs::write(&scenario, gated).unwrap();
    let junit = directory.join("junit.xml");
    let args = ["--mode", "delete", "--rate", "5000/s", "--concurrency", "4", "--members", "1000"];
    let output = load(&scenario, &server, &out, &[&args[..], &["--junit", junit.to_str().unwrap()]].concat());
    let message = stderr(&output);
    assert_eq!(output.status.code(), Some(3), "{message}");
    assert!(message.contains("objective failed: achieved_rate_ratio >= 0.9"), "{message}");
    let summary = summary(&out);
    let latency = &summary["metrics"]["request_latency_ms"];
    let corrected = latency["response_time"]["p99"].as_f64().unwrap();
    let uncorrected = latency["service_time"]["p99"].as_f64().unwrap();
    assert!(corrected > 2.0 * uncorrected, "corrected p99 {corrected} ms vs uncorrected {uncorrected} ms");
    let rate = &summary["metrics"]["rate"];
    assert!(rate["achieved_per_sec"].as_f64().unwrap() < 0.5 * rate["intended_per_sec"].as_f64().unwrap());
    assert_eq!(rate["saturated"], true, "{rate}");
    assert!(String::from_utf8_lossy(&output.stdout).contains("SATURATED: achieved"));
    assert!(summary["metrics"]["requests"]["waited_for_slot"].as_u64().unwrap() > 0);
    let verdicts = summary["verdicts"]["objectives"].as_array().unwrap();
    let verdict = |figure: &str| verdicts.iter().find(|v| v["figure"] == figure).unwrap()["verdict"].clone();
    assert_eq!((verdict("achieved_rate_ratio"), verdict("still_active")), ("fail".into(), "pass".into()));
    super::junit::assert_valid(&junit);
    drop(server);
    std::fs::remove_dir_all(directory).unwrap();
}

#[test]
fn a_server_killed_mid_run_leaves_partial_results_and_a_clear_error() {
    let (directory, scenario, server, out) = live_case("live-killed");
    let url = server.url();
    let mut child = Command::new(env!("CARGO_BIN_EXE_unbindsim"))
        .args(["load", scenario.to_str().unwrap(), "--url", &url, "--out", out.to_str().unwrap()])
        .args(["--members", "600", "--rate", "100/s", "--concurrency", "4", "--speedup", "1000000"])
        .args(["--replications", "2", "--down-limit", "2s", "--token", "s3cret-token-value"])
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the binary runs");
    let mut lines = BufReader::new(child.stderr.take().unwrap()).lines();
    let mut seen = String::new();
    for line in lines.by_ref() {
        let line = line.unwrap();
        seen.push_str(&line);
        seen.push('\n');
        if line.contains("provisioned:") {
            break;
        }
    }
    assert!(seen.contains("provisioned:"), "no provisioning line: {seen}");
    std::thread::sleep(Duration::from_millis(1500));
    server.kill();
    let killed_at = Instant::now();
    let rest: Vec<String> = lines.map_while(Result::ok).collect();
    let status = child.wait().unwrap();
    let message = rest.join("\n");
    assert_eq!(status.code(), Some(1), "{seen}{message}");
    assert!(killed_at.elapsed() < Duration::from_secs(20), "the run stopped promptly");
    assert!(message.contains("gave no response") && message.contains("partial results written"), "{message}");
    let summary = summary(&out);
    assert_eq!(summary["status"], "partial");
    let requests = &summary["metrics"]["requests"];
    assert_eq!(requests["accounted"], true);
    assert!(requests["connection_error"].as_u64().unwrap() > 0);
    assert!(requests["ok"].as_u64().unwrap() > 0);
    assert!(requests["sent"].as_u64().unwrap() < requests["planned"].as_u64().unwrap());
    let written = std::fs::read_to_string(out.join("live-test-live/summary.json")).unwrap()
        + &std::fs::read_to_string(out.join("live-test-live/requests.hlog")).unwrap();
    assert!(!written.contains("s3cret-token-value") && !message.contains("s3cret-token-value"), "the token leaked");
    std::fs::remove_dir_all(directory).unwrap();
}

#[test]
fn sigterm_during_the_replay_stops_it_like_ctrl_c_and_writes_an_interrupted_summary() {
    let (directory, scenario, server, out) = live_case("live-sigterm");
    let url = server.url();
    let mut child = Command::new(env!("CARGO_BIN_EXE_unbindsim"))
        .args(["load", scenario.to_str().unwrap(), "--url", &url, "--out", out.to_str().unwrap()])
        .args(["--members", "600", "--rate", "100/s", "--concurrency", "4", "--speedup", "1000000"])
        .args(["--replications", "2"])
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the binary runs");
    let mut lines = BufReader::new(child.stderr.take().unwrap()).lines();
    let seen: Vec<String> =
        lines.by_ref().map_while(Result::ok).take_while(|line| !line.contains("provisioned:")).collect();
    // The replay of about 600 requests at 100/s has started: SIGTERM now.
    std::thread::sleep(Duration::from_millis(1000));
    let sent = Command::new("kill").arg("-TERM").arg(child.id().to_string()).status().unwrap();
    assert!(sent.success());
    let signalled_at = Instant::now();
    let rest: Vec<String> = lines.map_while(Result::ok).collect();
    let status = child.wait().unwrap();
    assert_eq!(status.code(), Some(1), "{}\n{}", seen.join("\n"), rest.join("\n"));
    assert!(signalled_at.elapsed() < Duration::from_secs(10), "the run stopped promptly");
    let summary = summary(&out);
    assert_eq!(summary["status"], "interrupted", "{summary}");
    assert!(summary["status_reason"].as_str().unwrap().contains("SIGTERM"));
    let requests = &summary["metrics"]["requests"];
    assert!(requests["sent"].as_u64().unwrap() < requests["planned"].as_u64().unwrap());
    std::fs::remove_dir_all(directory).unwrap();
}

#[test]
fn load_prints_one_json_document_and_never_replaces_an_earlier_live_run() {
    let (directory, scenario, server, out) = live_case("live-json");
    let flags = ["--members", "400", "--rate", "2000/s", "--concurrency", "8", "--format", "json"];
    let output = load(&scenario, &server, &out, &flags);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    let document: Value = serde_json::from_slice(&output.stdout).expect("stdout is one JSON document");
    assert_eq!(document["command"], "load");
    assert_eq!(document["exit_code"], 0);
    assert_eq!(document["summaries"][0], summary(&out), "the document holds the summary written");
    assert!(stderr(&output).contains("wrote"), "the table goes to stderr");
    let again = load(&scenario, &server, &out, &flags);
    assert_eq!(again.status.code(), Some(2), "{}", stderr(&again));
    let refused: Value = serde_json::from_slice(&again.stdout).unwrap();
    assert!(refused["error"].as_str().unwrap().contains("never replaced"), "{refused}");
    assert!(refused.get("summaries").is_none(), "nothing of the earlier run is reported as this one's");
    drop(server);
    std::fs::remove_dir_all(directory).unwrap();
}

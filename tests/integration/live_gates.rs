//! A load run CI can gate on and watch: live objectives in `[slo]` with
//! their verdicts in the summary, `--format json` and `--junit` (valid
//! against `tests/junit.xsd`), exit 3 on a failed objective, a saturated
//! run made visible, `abort_on_fail` stopping the replay, nothing to replay
//! refused before anything is provisioned, the live line on a terminal
//! only, the Prometheus counters of `--metrics-addr`, the plan line's
//! duration at `--rate`, and `run` on a scenario with live objectives.
//! Against `tests/fault_scim_server.py` on loopback, whose `--slow`
//! answers every PATCH late so an objective fails deterministically; each
//! run is 300 members and 200 replayed PATCHes, a few seconds.

use super::common::{stderr, temp_dir, unbindsim};
use super::junit::assert_valid;
use super::live_faults::FaultServer;
use serde_json::Value;
use std::collections::BTreeMap;
use std::io::{BufRead, BufReader, Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

/// Every PATCH answered 50 ms late: at most 80/s through 4 connections.
const SLOW_PATCH: &str = "--slow=patch=100000*0.05";

/// A scenario of 300 members, 200 of them unbound by super admins in two
/// batches, with the `[slo]` lines `slo`.
fn scenario(directory: &Path, slo: &str) -> PathBuf {
    let path = directory.join("gated.toml");
    let text = format!(
        "base = \"admin-batch\"\nname = \"gated\"\n\n[org]\nmembers = 300\ndepartments = {{ branching = 4, depth = 2 }}\n\n\
         [workload]\narrivals = {{ every = \"1h\", count = 2 }}\nmembers_per_arrival = 100\n\n\
         [workload.admin-batch]\ntiers = {{ super = 1.0, department = 0.0, app = 0.0 }}\n\n[slo]\n{slo}\n"
    );
    std::fs::write(&path, text).unwrap();
    path
}

/// The arguments of a load of `scenario` against the server at `port`.
fn load_args(scenario: &Path, port: &str, out: &Path, flags: &[&str]) -> Vec<String> {
    let mut args: Vec<String> = ["load", scenario.to_str().unwrap(), "--url"].map(String::from).to_vec();
    args.push(format!("http://127.0.0.1:{port}/v2"));
    args.extend(["--out", out.to_str().unwrap(), "--replications", "2", "--speedup", "1000000"].map(String::from));
    args.extend(["--retries", "1", "--timeout", "5s"].map(String::from));
    args.extend(flags.iter().map(|flag| flag.to_string()));
    args
}

fn load(scenario: &Path, port: &str, out: &Path, flags: &[&str]) -> Output {
    let started = Instant::now();
    let args = load_args(scenario, port, out, flags);
    let output = unbindsim(&args.iter().map(String::as_str).collect::<Vec<_>>());
    assert!(started.elapsed() < Duration::from_secs(60), "took {:?}", started.elapsed());
    output
}

fn summary(out: &Path) -> Value {
    let text = std::fs::read_to_string(out.join("gated-live/summary.json")).expect("summary written");
    serde_json::from_str(&text).expect("summary is JSON")
}

/// The verdict of each objective in `summary`, by figure.
fn verdicts(summary: &Value) -> BTreeMap<String, String> {
    let objectives = summary["verdicts"]["objectives"].as_array().expect("verdicts.objectives");
    objectives
        .iter()
        .map(|v| (v["figure"].as_str().unwrap().to_owned(), v["verdict"].as_str().unwrap().to_owned()))
        .collect()
}

#[test]
fn a_failing_live_objective_exits_3_with_its_verdicts_json_and_valid_junit() {
    let directory = temp_dir("live-gate-fail");
    let slo = "response_time_p99 = \"<= 20ms\"\nachieved_rate_ratio = \">= 0.9\"\nerror_rate = \"< 0.01\"\nstill_active = \"0\"";
    let scenario = scenario(&directory, slo);
    let server = FaultServer::start(&[SLOW_PATCH]);
    let (out, junit) = (directory.join("out"), directory.join("junit.xml"));
    let flags = ["--rate", "400/s", "--concurrency", "4", "--format", "json", "--junit", junit.to_str().unwrap()];
    let output = load(&scenario, &server.port, &out, &flags);
    let message = stderr(&output);
    assert_eq!(output.status.code(), Some(3), "{message}");
    assert!(message.contains("objective failed: achieved_rate_ratio >= 0.9, response_time_p99 <= 20ms"), "{message}");
    assert!(message.contains("SATURATED: achieved"), "a saturated run says so: {message}");
    assert!(!message.contains("replay: sent"), "no live line when stderr is not a terminal: {message}");
    let summary = summary(&out);
    assert_eq!((summary["schema_version"].as_u64(), summary["status"].as_str()), (Some(2), Some("complete")));
    assert_eq!(summary["metrics"]["rate"]["saturated"], true);
    assert!(summary["metrics"]["rate"]["achieved_rate_ratio"].as_f64().unwrap() < 0.9);
    let verdicts = verdicts(&summary);
    assert_eq!(verdicts["response_time_p99"], "fail");
    assert_eq!(verdicts["achieved_rate_ratio"], "fail");
    assert_eq!(verdicts["error_rate"], "pass");
    assert_eq!(verdicts["still_active"], "pass");
    assert_eq!(verdicts["revocation_latency_p99"], "not_applicable", "a simulation objective is N/A live");
    let p99 = &summary["verdicts"]["objectives"]
        .as_array()
        .unwrap()
        .iter()
        .find(|v| v["figure"] == "response_time_p99")
        .cloned()
        .unwrap();
    assert!(p99["estimate"].as_f64().unwrap() > 20.0 && p99["interval"].is_null(), "{p99}");
    assert!(p99["reason"].as_str().unwrap().contains("no replications, so no interval"), "{p99}");
    let document: Value = serde_json::from_slice(&output.stdout).expect("--format json prints one document");
    assert_eq!(document["exit_code"], 3);
    assert_eq!(document["summaries"][0]["verdicts"], summary["verdicts"]);
    assert_valid(&junit);
    let xml = std::fs::read_to_string(&junit).unwrap();
    assert!(xml.contains("<testsuite name=\"gated\" tests=\"5\" failures=\"2\""), "{xml}");
    assert!(xml.contains("classname=\"gated.slo\" name=\"response_time_p99\""), "{xml}");
    std::fs::remove_dir_all(directory).unwrap();
}

#[test]
fn abort_on_fail_stops_the_replay_early_writes_its_files_and_exits_3() {
    let directory = temp_dir("live-gate-abort");
    let scenario = scenario(&directory, "response_time_p99 = \"<= 20ms, abort_on_fail\"\nerror_rate = \"< 0.5\"");
    // 100 ms a PATCH through 4 connections: 40/s, so 200 would take 5 s.
    let server = FaultServer::start(&["--slow=patch=100000*0.1"]);
    let (out, junit) = (directory.join("out"), directory.join("junit.xml"));
    let flags = ["--rate", "400/s", "--concurrency", "4", "--quiet", "--junit", junit.to_str().unwrap()];
    let output = load(&scenario, &server.port, &out, &flags);
    let message = stderr(&output);
    assert_eq!(output.status.code(), Some(3), "{message}");
    assert!(message.contains("aborted by objective response_time_p99 <= 20ms (abort_on_fail)"), "{message}");
    let summary = summary(&out);
    assert_eq!(summary["status"], "aborted");
    assert_eq!(summary["verdicts"]["aborted_by"], "response_time_p99 <= 20ms");
    let requests = &summary["metrics"]["requests"];
    let sent = requests["sent"].as_u64().unwrap();
    assert!((100..200).contains(&sent), "stopped after at least 100 responses, before the end: {requests}");
    assert_eq!(requests["accounted"], true, "{requests}");
    assert!(summary["verify"].is_null(), "an aborted run is not verified");
    assert_eq!(verdicts(&summary)["response_time_p99"], "fail");
    assert!(out.join("gated-live/requests.hlog").is_file());
    assert_valid(&junit);
    assert!(std::fs::read_to_string(&junit).unwrap().contains("type=\"objective\""));
    std::fs::remove_dir_all(directory).unwrap();
}

#[test]
fn a_plan_with_nothing_to_replay_exits_2_before_anything_is_provisioned() {
    let directory = temp_dir("live-gate-nothing");
    // Nothing listens on port 1: a run that got as far as discovery would fail with exit 1.
    let output = unbindsim(&[
        "load",
        "device-change",
        "--members",
        "200",
        "--url",
        "http://127.0.0.1:1/v2",
        "--out",
        directory.join("out").to_str().unwrap(),
    ]);
    let message = stderr(&output);
    assert_eq!(output.status.code(), Some(2), "{message}");
    assert!(
        message.contains("device-change: nothing to replay") && message.contains("nothing was provisioned"),
        "{message}"
    );
    assert!(!directory.join("out").exists(), "nothing written");
    std::fs::remove_dir_all(directory).unwrap();
}

/// Reads `url` (an `http://host:port/path`) with a bare HTTP/1.0 GET.
fn scrape(address: &str) -> Option<String> {
    let mut stream = std::net::TcpStream::connect(address).ok()?;
    stream.set_read_timeout(Some(Duration::from_secs(2))).ok()?;
    stream.write_all(b"GET /metrics HTTP/1.0\r\nHost: x\r\n\r\n").ok()?;
    let mut text = String::new();
    stream.read_to_string(&mut text).ok()?;
    text.split_once("\r\n\r\n").map(|(_, body)| body.to_owned())
}

/// The samples of a Prometheus text exposition, by name with labels.
fn samples(text: &str) -> BTreeMap<String, f64> {
    text.lines()
        .filter(|line| !line.starts_with('#') && !line.is_empty())
        .map(|line| {
            let (name, value) = line.rsplit_once(' ').unwrap_or_else(|| panic!("not a sample: {line}"));
            (name.to_owned(), value.parse().unwrap_or_else(|_| panic!("not a number: {line}")))
        })
        .collect()
}

#[test]
fn metrics_addr_serves_the_live_counters_and_the_plan_line_counts_the_rate() {
    let directory = temp_dir("live-gate-metrics");
    let scenario = scenario(&directory, "error_rate = \"< 0.5\"");
    let server = FaultServer::start(&[SLOW_PATCH]);
    let out = directory.join("out");
    let args =
        load_args(&scenario, &server.port, &out, &["--rate", "400/s", "--concurrency", "2", "--metrics-addr", "0"]);
    let mut child = Command::new(env!("CARGO_BIN_EXE_unbindsim"))
        .args(&args)
        .stderr(Stdio::piped())
        .stdout(Stdio::null())
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(child.stderr.take().unwrap()).lines();
    let plan = lines.next().unwrap().unwrap();
    // 200 PATCHes at 400/s: half a second, whatever the model's 0.1 s at this speedup.
    assert!(plan.contains("replay ≈ 0.5s at --rate 400/s"), "{plan}");
    let serving = lines.next().unwrap().unwrap();
    let address =
        serving.split("http://").nth(1).and_then(|rest| rest.strip_suffix("/metrics")).expect(&serving).to_owned();
    let rest = std::thread::spawn(move || lines.map_while(Result::ok).collect::<Vec<_>>().join("\n"));
    let deadline = Instant::now() + Duration::from_secs(30);
    let during = loop {
        let scraped = scrape(&address).map(|text| samples(&text));
        if let Some(found) = scraped
            .filter(|s| s["unbindsim_phase{phase=\"replay\"}"] == 1.0 && s["unbindsim_requests_sent_total"] > 0.0)
        {
            break found;
        }
        assert!(Instant::now() < deadline, "no scrape during the replay");
        std::thread::sleep(Duration::from_millis(100));
    };
    let status = child.wait().unwrap();
    let message = rest.join().unwrap();
    assert_eq!(status.code(), Some(0), "{message}");
    assert_eq!(during["unbindsim_requests_planned"], 200.0);
    let sent = during["unbindsim_requests_sent_total"];
    assert!(sent < 200.0 && during["unbindsim_requests_ok_total"] <= sent, "scraped mid-replay: {during:?}");
    assert!(during.contains_key("unbindsim_response_rate_per_second"), "{during:?}");
    assert_eq!(summary(&out)["metrics"]["requests"]["sent"], 200);
    assert!(scrape(&address).is_none(), "the responder ends with the run");
    std::fs::remove_dir_all(directory).unwrap();
}

#[test]
fn metrics_addr_refuses_a_non_loopback_address() {
    let output =
        unbindsim(&["load", "admin-batch", "--url", "http://127.0.0.1:1/v2", "--metrics-addr", "0.0.0.0:9464"]);
    let message = stderr(&output);
    assert_eq!(output.status.code(), Some(2), "{message}");
    assert!(message.contains("--metrics-addr") && message.contains("only a loopback address"), "{message}");
}

/// Runs `load` under `script`, which gives it a terminal; returns what the
/// terminal showed.
fn on_a_terminal(scenario: &Path, port: &str, out: &Path, flags: &[&str]) -> String {
    let mut words = vec![env!("CARGO_BIN_EXE_unbindsim").to_owned()];
    words.extend(load_args(scenario, port, out, flags));
    let command = words.iter().map(|w| format!("'{w}'")).collect::<Vec<_>>().join(" ");
    let output = Command::new("script")
        .args(["-qec", &command, "/dev/null"])
        .stdin(Stdio::null())
        .output()
        .expect("script (util-linux) runs");
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stdout));
    String::from_utf8_lossy(&output.stdout).into_owned()
}

#[test]
fn the_live_line_is_drawn_on_a_terminal_and_not_with_quiet() {
    let directory = temp_dir("live-gate-tty");
    let scenario = scenario(&directory, "error_rate = \"< 0.5\"");
    let server = FaultServer::start(&[SLOW_PATCH]);
    // 200 PATCHes through 2 connections at 50 ms: about 5 s, several refreshes.
    let flags = ["--rate", "400/s", "--concurrency", "2"];
    let shown = on_a_terminal(&scenario, &server.port, &directory.join("out"), &flags);
    assert!(shown.contains("provisioning: users and groups ("), "{shown}");
    assert!(shown.contains("replay: sent ") && shown.contains("response time p99"), "{shown}");
    assert!(!shown.contains("sent 0/0"), "the replay's line starts with its plan: {shown}");
    assert!(shown.contains("/200, ok "), "{shown}");
    let quiet = on_a_terminal(&scenario, &server.port, &directory.join("quiet"), &[&flags[..], &["--quiet"]].concat());
    assert!(!quiet.contains("replay: sent"), "{quiet}");
    std::fs::remove_dir_all(directory).unwrap();
}

#[test]
fn run_keeps_working_with_live_objectives_and_says_they_are_not_judged() {
    let directory = temp_dir("live-gate-run");
    let scenario = scenario(&directory, "response_time_p99 = \"<= 20ms, abort_on_fail\"\nstill_active = \"0\"");
    let junit = directory.join("junit.xml");
    let output = unbindsim(&[
        "run",
        scenario.to_str().unwrap(),
        "--replications",
        "2",
        "--out",
        directory.join("out").to_str().unwrap(),
        "--junit",
        junit.to_str().unwrap(),
    ]);
    let text = String::from_utf8_lossy(&output.stdout);
    assert_eq!(output.status.code(), Some(0), "{}{text}", stderr(&output));
    assert!(text.contains("live objectives (judged by `unbindsim load`, not by a simulation)"), "{text}");
    let summary: Value =
        serde_json::from_str(&std::fs::read_to_string(directory.join("out/gated/summary.json")).unwrap()).unwrap();
    let verdicts = verdicts(&summary);
    assert_eq!(
        (verdicts["response_time_p99"].as_str(), verdicts["still_active"].as_str()),
        ("not_applicable", "not_applicable")
    );
    assert_valid(&junit);
    std::fs::remove_dir_all(directory).unwrap();
}

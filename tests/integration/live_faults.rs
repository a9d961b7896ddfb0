//! Live load against a faulty SCIM service: `tests/fault_scim_server.py`
//! (Python standard library only), an in-memory SCIM server on a free
//! loopback port that throttles (429/503 with `Retry-After` in seconds or
//! as an HTTP date), fails (500), answers late, resets a connection
//! mid-response, sends broken JSON, lies
//! (answers success and changes nothing) or misreports `totalResults`, on
//! one kind of request at a time. Each case is one bounded run of 60
//! members; the table says what the run must report.

use super::common::{stderr, temp_dir};
use serde_json::Value;
use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// The fault server, killed when dropped.
pub(super) struct FaultServer {
    child: Child,
    pub(super) port: String,
}

impl FaultServer {
    pub(super) fn start(faults: &[&str]) -> FaultServer {
        let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fault_scim_server.py");
        let mut child = Command::new("python3")
            .arg(script)
            .args(faults)
            .stdout(Stdio::piped())
            .spawn()
            .expect("python3 runs the fault server");
        let mut port = String::new();
        BufReader::new(child.stdout.take().unwrap()).read_line(&mut port).expect("the server prints its port");
        FaultServer { child, port: port.trim().to_owned() }
    }
}

impl Drop for FaultServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// What a faulty run must end with.
struct Expected {
    code: i32,
    status: &'static str,
    /// Text the error message must hold ("" for none).
    message: &'static str,
    /// Members the verification must still find active (None: unverified).
    still_active: Option<u64>,
}

const fn ok() -> Expected {
    Expected { code: 0, status: "complete", message: "", still_active: Some(0) }
}

const UNVERIFIED: Expected = Expected {
    code: 1,
    status: "unverified",
    message: "unverified: the verification could not complete",
    still_active: None,
};

/// (case, server flags, extra load flags, expected).
fn cases() -> Vec<(&'static str, Vec<&'static str>, Vec<&'static str>, Expected)> {
    let throttled = vec![
        "--fault=config=2*429:0",
        "--fault=list-users=2*503:date",
        "--fault=post-users=3*429:1",
        "--fault=post-groups=2*503:0",
        "--fault=list-groups=1*429:0",
        "--fault=patch=3*503:0",
        "--fault=list-active=2*429:date",
    ];
    vec![
        ("429/503 in every phase, Retry-After in seconds and as a date", throttled, vec![], ok()),
        ("500s on provisioning POSTs", vec!["--fault=post-users=4*500", "--fault=post-groups=2*500"], vec![], ok()),
        ("verification throttled beyond the budget", vec!["--fault=list-active=100*503:0"], vec![], UNVERIFIED),
        ("verification answers broken JSON", vec!["--malformed=list-active=100"], vec![], UNVERIFIED),
        ("totalResults under-reported", vec!["--total-offset=45"], vec![], ok()),
        ("totalResults over-reported", vec!["--total-offset=-1000"], vec![], ok()),
        (
            "a lying server under-reporting totalResults",
            vec!["--lie=patch", "--total-offset=45"],
            vec![],
            Expected {
                code: 3,
                status: "complete",
                message: "60 unbound members still active",
                still_active: Some(60),
            },
        ),
        ("answers slower than the timeout", vec!["--slow=patch=3*3"], vec!["--timeout", "1s"], ok()),
        (
            "discovery answers broken JSON",
            vec!["--malformed=config=5"],
            vec![],
            Expected { code: 1, status: "", message: "is not JSON", still_active: None },
        ),
    ]
}

#[test]
fn faulty_services_are_retried_verified_or_reported_truthfully() {
    let directory = temp_dir("live-faults");
    for (index, (case, faults, extra, expected)) in cases().into_iter().enumerate() {
        let server = FaultServer::start(&faults);
        let out = directory.join(format!("case-{index}"));
        let url = format!("http://127.0.0.1:{}/v2", server.port);
        let started = Instant::now();
        let output = Command::new(env!("CARGO_BIN_EXE_unbindsim"))
            .args(["load", "admin-batch", "--members", "60", "--replications", "2", "--url", &url])
            .args(["--speedup", "1000000", "--rate", "1000/s", "--retries", "3", "--quiet"])
            .args(["--out", out.to_str().unwrap()])
            .args(&extra)
            .env_remove("UNBINDSIM_TOKEN")
            .output()
            .expect("the binary runs");
        drop(server);
        let message = stderr(&output);
        assert!(started.elapsed() < Duration::from_secs(60), "{case}: took {:?}", started.elapsed());
        assert_eq!(output.status.code(), Some(expected.code), "{case}: {message}");
        assert!(message.contains(expected.message), "{case}: `{}` not in {message}", expected.message);
        assert!(!message.contains("not everything was unbound") || expected.code == 3, "{case}: {message}");
        assert!(!message.contains("panicked"), "{case}: {message}");
        if expected.status.is_empty() {
            continue;
        }
        let text = std::fs::read_to_string(out.join("admin-batch-live/summary.json")).expect("summary written");
        let summary: Value = serde_json::from_str(&text).unwrap();
        let requests = &summary["metrics"]["requests"];
        assert_eq!(summary["status"], expected.status, "{case}");
        assert_eq!(requests["accounted"], true, "{case}");
        assert_eq!(requests["operations"], 60, "{case}");
        assert_eq!(summary["provision"]["errors"], 0, "{case}");
        match expected.still_active {
            Some(active) => assert_eq!(summary["verify"]["still_active_count"], active, "{case}"),
            None => assert!(summary["verify"].is_null(), "{case}: {}", summary["verify"]),
        }
        assert_eq!(summary["nothing_lost"], expected.code == 0, "{case}");
    }
    std::fs::remove_dir_all(directory).unwrap();
}

#[test]
fn retries_resets_and_timeouts_are_counted_where_they_happen() {
    let directory = temp_dir("live-fault-counts");
    let server = FaultServer::start(&["--fault=patch=3*503:date", "--reset=patch=2", "--slow=patch=2*3"]);
    let url = format!("http://127.0.0.1:{}/v2", server.port);
    let out = directory.join("out");
    let output = Command::new(env!("CARGO_BIN_EXE_unbindsim"))
        .args(["load", "admin-batch", "--members", "60", "--replications", "2", "--url", &url, "--quiet"])
        .args(["--speedup", "1000000", "--rate", "1000/s", "--retries", "3", "--timeout", "1s"])
        .args(["--out", out.to_str().unwrap()])
        .output()
        .expect("the binary runs");
    drop(server);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    let text = std::fs::read_to_string(out.join("admin-batch-live/summary.json")).unwrap();
    let requests = serde_json::from_str::<Value>(&text).unwrap()["metrics"]["requests"].clone();
    // Three throttled attempts, then two PATCHes reset mid-response, then
    // two answered too late: each counted where it happened.
    assert_eq!(requests["retries"], 3, "{requests}");
    assert_eq!(requests["connection_error"], 2, "{requests}");
    assert_eq!(requests["connection_errors_by_kind"]["reset"], 2, "{requests}");
    assert_eq!(requests["timeout"], 2, "{requests}");
    let parts = ["ok", "http_error", "timeout", "connection_error"].map(|k| requests[k].as_u64().unwrap());
    assert_eq!(requests["sent"].as_u64().unwrap(), parts.iter().sum::<u64>());
    std::fs::remove_dir_all(directory).unwrap();
}

/// Runs `load admin-batch` (60 members) against a fault server started with
/// `faults`, at `url_of(port)`; returns the output and the out folder.
fn load_against(
    directory: &Path,
    faults: &[&str],
    url_of: fn(&str) -> String,
    flags: &[&str],
) -> (std::process::Output, std::path::PathBuf) {
    let server = FaultServer::start(faults);
    let out = directory.join("out");
    let started = Instant::now();
    let output = Command::new(env!("CARGO_BIN_EXE_unbindsim"))
        .args(["load", "admin-batch", "--members", "60", "--replications", "2", "--url", &url_of(&server.port)])
        .args(["--speedup", "1000000", "--retries", "2", "--timeout", "2s", "--quiet"])
        .args(["--out", out.to_str().unwrap()])
        .args(flags)
        .env_remove("UNBINDSIM_TOKEN")
        .output()
        .expect("the binary runs");
    drop(server);
    assert!(started.elapsed() < Duration::from_secs(60), "took {:?}", started.elapsed());
    (output, out)
}

/// Every entry of `folder`, none of them a hidden temporary.
fn assert_nothing_half_written(folder: &Path) {
    for entry in std::fs::read_dir(folder).unwrap() {
        let name = entry.unwrap().file_name().to_string_lossy().into_owned();
        assert!(!name.starts_with('.'), "{name} left in {}", folder.display());
    }
}

#[test]
fn provisioning_that_fails_after_its_retries_still_writes_a_summary() {
    let directory = temp_dir("live-provisioning-failed");
    let url_of = |port: &str| format!("http://admin:S3CRET@127.0.0.1:{port}/v2");
    let (output, out) = load_against(&directory, &["--fault=post-users=100000*500"], url_of, &["--rate", "1000/s"]);
    let message = stderr(&output);
    assert_eq!(output.status.code(), Some(1), "{message}");
    assert!(message.contains("provisioning failed"), "{message}");
    assert!(!message.contains("S3CRET") && !message.contains("panicked"), "{message}");
    let folder = out.join("admin-batch-live");
    let text = std::fs::read_to_string(folder.join("summary.json")).expect("summary written");
    assert!(!text.contains("S3CRET"), "the URL's password is never written");
    let summary: Value = serde_json::from_str(&text).unwrap();
    assert_eq!(summary["status"], "provisioning-failed");
    let reason = summary["status_reason"].as_str().unwrap();
    assert!(reason.starts_with("provisioning failed: ") && reason.contains("60 users are missing"), "{reason}");
    assert_eq!(summary["metrics"]["requests"]["sent"], 0, "nothing is replayed");
    assert_eq!(summary["metrics"]["requests"]["accounted"], true);
    // Nothing measured is null with its reason, never a zero.
    let response = &summary["metrics"]["request_latency_ms"]["response_time"];
    assert!(response["p99"].is_null() && response["mean"].is_null(), "{response}");
    assert_eq!(response["null_reason"], "no response was measured", "{response}");
    let rate = &summary["metrics"]["rate"];
    assert!(rate["intended_per_sec"].is_null() && rate["achieved_per_sec"].is_null(), "{rate}");
    assert_eq!(rate["null_reason"], "nothing was sent", "{rate}");
    assert!(summary["verify"].is_null() && summary["nothing_lost"] == false);
    assert_nothing_half_written(&folder);
    std::fs::remove_dir_all(directory).unwrap();
}

#[test]
fn a_service_that_stops_listening_mid_replay_is_reported_as_down() {
    let directory = temp_dir("live-stops-listening");
    let url_of = |port: &str| format!("http://127.0.0.1:{port}/v2");
    let flags = ["--rate", "30/s", "--down-limit", "1s"];
    let (output, out) = load_against(&directory, &["--stop-after=patch=10"], url_of, &flags);
    let message = stderr(&output);
    assert_eq!(output.status.code(), Some(1), "{message}");
    assert!(!message.contains("panicked"), "{message}");
    let folder = out.join("admin-batch-live");
    let text = std::fs::read_to_string(folder.join("summary.json")).expect("summary written");
    let summary: Value = serde_json::from_str(&text).unwrap();
    let requests = &summary["metrics"]["requests"];
    assert_eq!(summary["status"], "partial", "{message}");
    assert!(summary["status_reason"].as_str().unwrap().contains("gave no response"), "{}", summary["status_reason"]);
    assert!(requests["connection_errors_by_kind"]["refused"].as_u64().unwrap() > 0, "{requests}");
    assert_eq!(requests["accounted"], true, "{requests}");
    let parts = ["ok", "http_error", "timeout", "connection_error", "abandoned"];
    let sum: u64 = parts.map(|k| requests[k].as_u64().unwrap_or(0)).iter().sum();
    assert_eq!(requests["sent"].as_u64().unwrap(), sum, "{requests}");
    assert!(summary["verify"].is_null(), "the service is gone: nothing verified");
    assert_nothing_half_written(&folder);
    std::fs::remove_dir_all(directory).unwrap();
}

//! Results are written atomically: a run killed with SIGKILL at any moment
//! leaves, for each scenario, either a complete summary or none — never a
//! half-written file that looks valid.

use super::common::temp_dir;
use std::process::{Command, Stdio};
use std::time::Duration;

#[test]
fn a_run_killed_at_random_moments_leaves_only_complete_summaries() {
    let directory = temp_dir("kill");
    let out = directory.join("results");
    // Fixed kill delays (ms), spread over a run of all eight scenarios.
    for delay_ms in [30u64, 90, 160, 240, 330, 450, 600, 800] {
        let mut child = Command::new(env!("CARGO_BIN_EXE_unbindsim"))
            .args(["run", "--members", "20000", "--replications", "3", "--threads", "1", "--quiet", "--out"])
            .arg(&out)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("the binary starts");
        std::thread::sleep(Duration::from_millis(delay_ms));
        let _ = child.kill(); // SIGKILL on Unix
        let _ = child.wait();
        check_every_summary(&out);
    }
    let written = std::fs::read_dir(&out)
        .map_or(0, |d| d.filter(|e| e.as_ref().unwrap().path().join("summary.json").exists()).count());
    assert!(written > 0, "no kill came late enough to leave a summary: the test exercised nothing");
    std::fs::remove_dir_all(directory).unwrap();
}

fn check_every_summary(out: &std::path::Path) {
    let Ok(scenarios) = std::fs::read_dir(out) else { return };
    for scenario in scenarios {
        let path = scenario.unwrap().path().join("summary.json");
        if !path.exists() {
            continue;
        }
        let text = std::fs::read_to_string(&path).unwrap();
        let summary: serde_json::Value =
            serde_json::from_str(&text).unwrap_or_else(|e| panic!("{} is not complete JSON: {e}", path.display()));
        assert_eq!(summary["schema_version"], 1, "{}", path.display());
        assert!(summary["timing"]["wall_ms"].is_number(), "{} lacks its last object", path.display());
    }
}

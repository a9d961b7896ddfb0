//! What commands leave on disk: the threads a summary reports, stale
//! temporaries of a killed run removed by the next one, and a sweep's CSV
//! and JSON published together.

use super::common::{stderr, temp_dir, unbindsim};
use std::path::Path;

/// The pid of a process that has exited (a child we waited for).
fn dead_pid() -> u32 {
    let mut child = std::process::Command::new("true").spawn().expect("true runs");
    let pid = child.id();
    child.wait().unwrap();
    assert!(!Path::new(&format!("/proc/{pid}")).exists(), "pid {pid} is free");
    pid
}

fn names(directory: &Path) -> Vec<String> {
    let mut names: Vec<String> =
        std::fs::read_dir(directory).unwrap().map(|e| e.unwrap().file_name().to_string_lossy().into_owned()).collect();
    names.sort();
    names
}

#[test]
fn timing_reports_the_threads_that_ran_not_the_threads_asked_for() {
    let out = temp_dir("threads-used");
    let args = ["run", "self-exit", "--members", "100", "--replications", "3", "--threads", "10", "--quiet", "--out"];
    let output = unbindsim(&[&args[..], &[out.to_str().unwrap()]].concat());
    assert!(output.status.success(), "{}", stderr(&output));
    let text = std::fs::read_to_string(out.join("self-exit/summary.json")).unwrap();
    let summary: serde_json::Value = serde_json::from_str(&text).unwrap();
    assert_eq!(summary["timing"]["threads"], 3, "3 replications ran on 3 of the 10 threads asked for");
    std::fs::remove_dir_all(out).unwrap();
}

#[test]
fn a_later_run_removes_the_stale_temporaries_of_a_killed_one_only() {
    let out = temp_dir("stale-temporaries");
    let folder = out.join("self-exit");
    std::fs::create_dir_all(&folder).unwrap();
    let dead = dead_pid();
    let ours_alive = std::process::id();
    let stale = [format!(".summary.json.tmp-{dead}"), format!(".latency.hgrm.tmp-{dead}")];
    let kept = [format!(".summary.json.tmp-{ours_alive}"), ".summary.json.tmp-x1".to_owned(), "notes.tmp-1".to_owned()];
    for name in stale.iter().chain(&kept) {
        std::fs::write(folder.join(name), b"{\"half").unwrap();
    }
    let args = ["run", "self-exit", "--members", "100", "--replications", "2", "--quiet", "--out"];
    let output = unbindsim(&[&args[..], &[out.to_str().unwrap()]].concat());
    assert!(output.status.success(), "{}", stderr(&output));
    let left = names(&folder);
    for name in &stale {
        assert!(!left.contains(name), "{name} (a dead process's) is removed: {left:?}");
    }
    for name in &kept {
        assert!(left.contains(name), "{name} (a live process's, or not our pattern) is kept: {left:?}");
    }
    std::fs::remove_dir_all(out).unwrap();
}

#[test]
fn a_sweep_publishes_its_csv_and_json_as_one_folder() {
    let out = temp_dir("sweep-together");
    let folder = out.join("sweep-self-exit");
    let dead = dead_pid();
    let stale_folder = out.join(format!(".sweep-self-exit.tmp-{dead}"));
    std::fs::create_dir_all(&stale_folder).unwrap();
    std::fs::write(stale_folder.join("sweep.csv"), b"half").unwrap();
    let sweep = |values: &str| {
        let set = format!("policy.buffer={values}");
        let args = ["sweep", "self-exit", "--set", &set, "--members", "100", "--replications", "2", "--quiet"];
        let output = unbindsim(&[&args[..], &["--overwrite", "--out", out.to_str().unwrap()]].concat());
        assert!(output.status.success(), "{}", stderr(&output));
    };
    sweep("0h,6h");
    std::fs::write(folder.join("README.txt"), b"the user's own note").unwrap();
    sweep("0h,6h,12h");
    assert_eq!(names(&out), ["sweep-self-exit"], "no temporary or displaced folder is left, the stale one removed");
    assert_eq!(names(&folder), ["README.txt", "sweep.csv", "sweep.json"], "the folder's other files stay");
    let csv = std::fs::read_to_string(folder.join("sweep.csv")).unwrap();
    let json: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(folder.join("sweep.json")).unwrap()).unwrap();
    assert_eq!(csv.lines().count() - 1, 3, "{csv}");
    assert_eq!(json.as_array().unwrap().len(), 3, "the JSON is the CSV's pair");
    std::fs::remove_dir_all(out).unwrap();
}

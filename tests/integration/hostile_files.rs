//! Hostile result files: forged shards that declare absurd counts, folders
//! whose symbolic links loop, and shards of zero replications. Each is
//! refused with exit 2 and a message (or, for a loop, merged once), quickly
//! and without a large allocation.

use super::common::{stderr, temp_dir, unbindsim};
use serde_json::Value;
use std::path::{Path, PathBuf};

/// A real one-shard run of `replications` replications; returns its file.
fn real_shard(directory: &Path, replications: &str) -> PathBuf {
    let out = directory.join("real");
    let args = ["run", "self-exit", "--members", "100", "--replications", replications, "--shard", "0/1", "--quiet"];
    let output = unbindsim(&[&args[..], &["--out", out.to_str().unwrap()]].concat());
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    out.join("self-exit/shard-0-of-1.json")
}

/// `shard` with `edit` applied, written as `<directory>/<name>/shard-0-of-1.json`.
fn forged(shard: &Path, directory: &Path, name: &str, edit: impl Fn(&mut Value)) -> PathBuf {
    let mut value: Value = serde_json::from_str(&std::fs::read_to_string(shard).unwrap()).unwrap();
    edit(&mut value);
    let folder = directory.join(name);
    std::fs::create_dir_all(&folder).unwrap();
    let path = folder.join("shard-0-of-1.json");
    std::fs::write(&path, serde_json::to_string(&value).unwrap()).unwrap();
    path
}

#[test]
fn forged_shards_are_refused_before_allocating() {
    let directory = temp_dir("forged-shards");
    let one = real_shard(&directory, "1");
    let huge_count = forged(&one, &directory, "count", |v| v["shard"]["count"] = 4_000_000_000u64.into());
    let zero = forged(&one, &directory, "zero", |v| {
        v["info"]["replications"] = 0.into();
        v["records"] = Value::Array(vec![]);
    });
    let out = directory.join("out");
    let cases = [
        (&huge_count, "3999999999 of 4000000000 shards missing (the first: [1, 2, 3, 4, 5, 6, 7, 8, 9, 10])"),
        (&zero, "declares 0 replications"),
    ];
    for (path, needle) in cases {
        let started = std::time::Instant::now();
        let output = unbindsim(&["merge", path.to_str().unwrap(), "--out", out.to_str().unwrap(), "--quiet"]);
        let message = stderr(&output);
        assert_eq!(output.status.code(), Some(2), "{needle}: {message}");
        assert!(message.contains(needle), "`{needle}` not in {message}");
        assert!(started.elapsed() < std::time::Duration::from_secs(10), "{needle}: took {:?}", started.elapsed());
        assert!(!out.exists(), "{needle}: a refused merge wrote a result");
    }
    std::fs::remove_dir_all(directory).unwrap();
}

#[test]
fn a_folder_whose_links_loop_is_walked_once() {
    let directory = temp_dir("shard-loop");
    let shard = real_shard(&directory, "2");
    let folder = shard.parent().unwrap();
    std::os::unix::fs::symlink(".", folder.join("loop")).unwrap();
    std::os::unix::fs::symlink(folder, folder.join("again")).unwrap();
    let out = directory.join("out");
    let output = unbindsim(&["merge", folder.to_str().unwrap(), "--out", out.to_str().unwrap()]);
    let message = String::from_utf8_lossy(&output.stdout);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    assert!(message.contains("merged 1 shard(s)"), "{message}");
    std::fs::remove_dir_all(directory).unwrap();
}

const HEAD: &str = "name = \"t\"\nhorizon = \"30d\"\n";
const WORKLOAD: &str = "[workload]\narrivals = { poisson = \"1/d\" }\n[workload.self-exit]\n";

/// Every input read is capped (scenario files and bases at 4 MiB, shards
/// and baselines at 256 MiB, `--set` at 64 KiB), free text copied into
/// results is bounded, and the script-step limit fires while parsing: each
/// exits 2 quickly, naming what and where.
#[test]
fn every_input_read_and_copied_text_is_capped() {
    let directory = temp_dir("input-caps");
    let file = |name: &str, text: String| {
        let path = directory.join(name);
        std::fs::write(&path, text).unwrap();
        path.to_string_lossy().into_owned()
    };
    let endless_base = file("base.toml", format!("base = \"/dev/zero\"\n{HEAD}{WORKLOAD}"));
    let long_description =
        file("description.toml", format!("{HEAD}description = \"{}\"\n{WORKLOAD}", "x".repeat(5000)));
    let long_name = file("name.toml", format!("name = \"{}\"\nhorizon = \"30d\"\n{WORKLOAD}", "n".repeat(100)));
    let step = "{ at = \"1h\", op = \"unbind\", member = 1 }";
    let steps = vec![step; 90_000].join(", ");
    let script = file("script.toml", format!("{HEAD}[org]\nmembers = 10\n[workload.script]\nsteps = [{steps}]\n"));
    let shards = directory.join("shards");
    std::fs::create_dir_all(&shards).unwrap();
    std::os::unix::fs::symlink("/dev/zero", shards.join("shard-0-of-1.json")).unwrap();
    let shards = shards.to_string_lossy().into_owned();
    let long_set = format!("policy.buffer={}", "1h,".repeat(30_000));
    let nested_set = format!("policy.buffer={}{}", "[".repeat(100), "]".repeat(100));
    let out = directory.join("out");
    let out = out.to_str().unwrap();
    let cases: Vec<(Vec<&str>, &str)> = vec![
        (vec!["validate", "/dev/zero"], "/dev/zero: larger than 4 MiB"),
        (vec!["validate", &endless_base], "base.toml:1:1: key `base`"),
        (vec!["validate", &endless_base], "larger than 4 MiB"),
        (vec!["validate", &long_description], "at most 4096 bytes"),
        (vec!["validate", &long_name], "must be 1 to 64 letters"),
        (vec!["validate", &script], "between 1 and 10000 steps, got more"),
        (vec!["merge", &shards, "--out", out], "larger than 256 MiB"),
        (vec!["run", "self-exit", "--members", "50", "--baseline", "/dev/zero", "--out", out], "--baseline /dev/zero"),
        (vec!["sweep", "self-exit", "--set", &long_set, "--out", out], "longer than 65536 bytes"),
        (vec!["sweep", "self-exit", "--set", &nested_set, "--out", out], "nested deeper than 32"),
    ];
    for (args, needle) in cases {
        let started = std::time::Instant::now();
        let output = unbindsim(&args);
        let message = stderr(&output);
        assert_eq!(output.status.code(), Some(2), "{needle}: {message}");
        assert!(message.contains(needle), "`{needle}` not in {message}");
        assert!(!message.contains("panicked"), "{message}");
        assert!(started.elapsed() < std::time::Duration::from_secs(20), "{needle}: took {:?}", started.elapsed());
        assert!(!std::path::Path::new(out).exists(), "{needle}: a result was written");
    }
    std::fs::remove_dir_all(directory).unwrap();
}

/// `run`, `sweep` and `compare` share one memory estimate, made before
/// anything runs: a 20 M-member org with 64 devices and 255 grants each is
/// refused by all three (sweep and compare aborted on an allocation
/// failure before). The estimate counts the threads actually used: 1024
/// threads for 2 replications hold 2 orgs, not 1025.
#[test]
fn one_memory_estimate_for_every_command_by_the_threads_used() {
    let directory = temp_dir("memory-estimate");
    let huge = directory.join("huge.toml");
    let org = "[org]\nmembers = 20000000\ndevices_per_member = { poisson = 64.0, min = 64, max = 64 }\napps = { count = 255, grants_per_member = 255.0 }\n";
    std::fs::write(&huge, format!("name = \"huge\"\nhorizon = \"30d\"\n{org}{WORKLOAD}")).unwrap();
    let other = directory.join("huge-b.toml");
    std::fs::write(&other, "base = \"huge.toml\"\nname = \"huge-b\"\n[policy]\nbuffer = \"2h\"\n").unwrap();
    let (huge, other) = (huge.to_str().unwrap(), other.to_str().unwrap());
    let out = directory.join("out");
    let out = out.to_str().unwrap();
    let refused: [&[&str]; 3] = [
        &["run", huge, "--replications", "2", "--threads", "2"],
        &["sweep", huge, "--set", "policy.buffer=1h,2h", "--threads", "2"],
        &["compare", huge, other, "--threads", "2"],
    ];
    for args in refused {
        let output = unbindsim(&[args, &["--out", out]].concat());
        let message = stderr(&output);
        assert_eq!(output.status.code(), Some(2), "{args:?}: {message}");
        assert!(message.contains("20000000 members on 2 thread(s) would need about"), "{args:?}: {message}");
        assert!(!std::path::Path::new(out).exists(), "{args:?} wrote a result");
    }
    let args = ["run", "self-exit", "--members", "400000", "--threads", "1024", "--replications", "2", "--quiet"];
    let output = unbindsim(&[&args[..], &["--out", out]].concat());
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    std::fs::remove_dir_all(directory).unwrap();
}

/// A run stopped by the event limit (`max_events` in the file) writes its
/// partial summary marked `"status": "event-limit"` and exits 1, from
/// `run` and from `merge`; a complete run is marked `complete`.
#[test]
fn a_run_stopped_by_the_event_limit_has_its_own_status_and_exit() {
    let directory = temp_dir("event-limit");
    let limited = directory.join("limited.toml");
    std::fs::write(&limited, "base = \"self-exit\"\nname = \"limited\"\nmax_events = 500\n").unwrap();
    let limited = limited.to_str().unwrap();
    let out = |name: &str| directory.join(name).to_string_lossy().into_owned();
    let status = |folder: &str, scenario: &str| {
        let text = std::fs::read_to_string(Path::new(folder).join(scenario).join("summary.json")).unwrap();
        serde_json::from_str::<Value>(&text).unwrap()["status"].clone()
    };
    let small = ["--members", "100", "--replications", "2", "--quiet"];
    let output = unbindsim(&[&["run", "self-exit"], &small[..], &["--out", &out("whole")]].concat());
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    assert_eq!(status(&out("whole"), "self-exit"), "complete");
    let output = unbindsim(&[&["run", limited], &small[..], &["--out", &out("limited")]].concat());
    assert_eq!(output.status.code(), Some(1), "{}", stderr(&output));
    assert!(stderr(&output).contains("limited: a replication hit the event limit"), "{}", stderr(&output));
    assert_eq!(status(&out("limited"), "limited"), "event-limit");
    let output = unbindsim(&[&["run", limited, "--shard", "0/1"], &small[..], &["--out", &out("shards")]].concat());
    assert_eq!(output.status.code(), Some(0), "a shard is not judged: {}", stderr(&output));
    let output = unbindsim(&["merge", &out("shards"), "--out", &out("merged"), "--quiet"]);
    assert_eq!(output.status.code(), Some(1), "{}", stderr(&output));
    assert_eq!(status(&out("merged"), "limited"), "event-limit");
    std::fs::remove_dir_all(directory).unwrap();
}

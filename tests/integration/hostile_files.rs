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

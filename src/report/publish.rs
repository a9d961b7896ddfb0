//! How results reach their place on disk: a file through a hidden
//! temporary beside it (`.<name>.tmp-<pid>`), renamed over the target; files
//! that belong together (a sweep's CSV and JSON) through a hidden temporary
//! folder (`.<folder>.tmp-<pid>`), swapped in for the old one by two
//! renames, so a reader sees the old pair, then (for an instant) no folder,
//! then the new pair, and never one file of each.
//!
//! A kill -9 can leave such temporaries behind. Before a command writes in
//! a folder it removes the stale ones: only entries whose name is exactly
//! one of our temporary patterns (`.<name>.tmp-<pid>` or
//! `.<name>.old-<pid>`) whose pid is not a live process (no
//! `/proc/<pid>`; where `/proc` is missing nothing is removed) and is not
//! this process.

use std::io::Write;
use std::path::{Path, PathBuf};

/// The hidden name of `name`'s temporary (`kind` "tmp") or displaced
/// (`kind` "old") copy for this process.
fn hidden(directory: &Path, name: &str, kind: &str) -> PathBuf {
    directory.join(format!(".{name}.{kind}-{}", std::process::id()))
}

/// The pid of an entry named by our temporary patterns, or `None`.
fn temporary_pid(name: &str) -> Option<u32> {
    let rest = name.strip_prefix('.')?;
    let (stem, pid) = rest.rsplit_once(".tmp-").or_else(|| rest.rsplit_once(".old-"))?;
    let digits = !pid.is_empty() && pid.len() <= 10 && pid.bytes().all(|b| b.is_ascii_digit());
    (digits && !stem.is_empty()).then(|| pid.parse().ok()).flatten()
}

/// Whether `pid` may still be writing: this process, a live process, or
/// any process when liveness cannot be told.
fn may_be_alive(pid: u32) -> bool {
    pid == std::process::id() || !Path::new("/proc/self").exists() || Path::new(&format!("/proc/{pid}")).exists()
}

/// Removes the stale temporaries of our own naming in `directory` (see the
/// module's rule); errors are ignored (a folder we cannot clean is still
/// written to, or refused, by the caller).
pub fn clean_stale(directory: &Path) {
    let Ok(entries) = std::fs::read_dir(directory) else { return };
    for entry in entries.flatten() {
        let name = entry.file_name();
        let Some(pid) = name.to_str().and_then(temporary_pid) else { continue };
        if may_be_alive(pid) {
            continue;
        }
        let path = entry.path();
        let _ = match entry.file_type() {
            Ok(kind) if kind.is_dir() => std::fs::remove_dir_all(&path),
            Ok(kind) if kind.is_file() => std::fs::remove_file(&path),
            _ => Ok(()),
        };
    }
}

/// Writes `bytes` to `path` atomically: a temporary file beside it, flushed
/// to disk, then renamed over the target; stale temporaries in the folder
/// are removed first.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let directory = path.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(Path::new("."));
    std::fs::create_dir_all(directory)?;
    clean_stale(directory);
    let file_name = path.file_name().ok_or_else(|| std::io::Error::other("result path has no file name"))?;
    let temporary = hidden(directory, &file_name.to_string_lossy(), "tmp");
    let result = write_synced(&temporary, bytes).and_then(|()| std::fs::rename(&temporary, path));
    if result.is_err() {
        let _ = std::fs::remove_file(&temporary);
    }
    result
}

fn write_synced(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let mut file = std::fs::File::create(path)?;
    file.write_all(bytes)?;
    file.sync_all()
}

/// Publishes `files` (name, bytes) as the folder `folder`, together: they
/// are written into a hidden temporary folder beside it, which then
/// replaces the old folder (renamed aside, then removed). Anything else the
/// old folder held is moved into the new one first, so only `files` change.
pub fn publish_folder(folder: &Path, files: &[(&str, &[u8])]) -> std::io::Result<()> {
    let parent = folder.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(Path::new("."));
    std::fs::create_dir_all(parent)?;
    clean_stale(parent);
    let name = folder.file_name().ok_or_else(|| std::io::Error::other("result folder has no name"))?.to_string_lossy();
    let (fresh, old) = (hidden(parent, &name, "tmp"), hidden(parent, &name, "old"));
    let result = fill(&fresh, files).and_then(|()| swap_in(&fresh, &old, folder));
    if result.is_err() {
        let _ = std::fs::remove_dir_all(&fresh);
    }
    result
}

/// The new folder with `files`, each flushed to disk.
fn fill(fresh: &Path, files: &[(&str, &[u8])]) -> std::io::Result<()> {
    let _ = std::fs::remove_dir_all(fresh);
    std::fs::create_dir(fresh)?;
    for (name, bytes) in files {
        write_synced(&fresh.join(name), bytes)?;
    }
    std::fs::File::open(fresh)?.sync_all()
}

/// Renames `folder` aside to `old`, `fresh` into its place, moves what else
/// the old folder held into the new one, and removes the old folder.
fn swap_in(fresh: &Path, old: &Path, folder: &Path) -> std::io::Result<()> {
    let had_old = match std::fs::rename(folder, old) {
        Ok(()) => true,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => false,
        Err(e) => return Err(e),
    };
    if let Err(e) = std::fs::rename(fresh, folder) {
        if had_old {
            let _ = std::fs::rename(old, folder);
        }
        return Err(e);
    }
    if had_old {
        for entry in std::fs::read_dir(old)?.flatten() {
            let target = folder.join(entry.file_name());
            if !target.exists() {
                let _ = std::fs::rename(entry.path(), target);
            }
        }
        let _ = std::fs::remove_dir_all(old);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_our_exact_temporary_names_carry_a_pid() {
        assert_eq!(temporary_pid(".summary.json.tmp-4242"), Some(4242));
        assert_eq!(temporary_pid(".sweep-self-exit.old-7"), Some(7));
        for other in
            ["summary.json.tmp-1", ".summary.json.tmp-", ".summary.json.tmp-12a", "..tmp-1", ".x.tmp-99999999999"]
        {
            assert_eq!(temporary_pid(other), None, "{other}");
        }
        assert!(may_be_alive(std::process::id()));
    }
}

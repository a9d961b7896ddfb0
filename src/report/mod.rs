//! What runs write and print: summaries and the other JSON results
//! (comparisons, sweeps, shards) written atomically (temporary file, then
//! rename, so a reader never sees half a result; files that belong together
//! published as one folder; stale temporaries of a killed run removed:
//! `publish`), the readable table a run prints per scenario, and the
//! timeline `explain` prints (`timeline`).
//!
//! **Architecture invariant:** every result file is written here
//! (`write_atomic`). The simulation commands (`run`, `compare`, `sweep`,
//! `merge`) serialise their results only through [`write_json`] and
//! [`write_json_line`] (the types themselves live in `metrics` and `cli`);
//! `live` serialises a load run's summary itself and writes it through
//! `write_atomic`. Nothing here runs a simulation.

mod junit;
mod publish;
mod residue_lines;
mod table;
mod timeline;
mod verdicts;

pub use junit::{CaseOutcome, TestCase, TestSuite, escape_xml, junit_xml};
pub use publish::{publish_folder, write_atomic};
pub use table::summary_table;
pub use timeline::{entity_name, found_json, found_text, member_facts, timeline_json, timeline_text};
pub use verdicts::{BaselineVerdict, BaselineVerdicts, ObjectiveVerdict, SummaryVerdicts};

use crate::metrics::Summary;
use serde::Serialize;
use std::path::{Path, PathBuf};

/// A short, stable key of what a result was computed from (its `inputs`):
/// FNV-1a (64 bits) of their compact JSON, in hex.
pub fn run_key<T: Serialize + ?Sized>(inputs: &T) -> String {
    let text = serde_json::to_string(inputs).unwrap_or_default();
    let hash = text
        .bytes()
        .fold(0xcbf2_9ce4_8422_2325_u64, |hash, byte| (hash ^ u64::from(byte)).wrapping_mul(0x0100_0000_01b3));
    format!("{hash:016x}")
}

/// Where a scenario's summary goes under the output directory.
pub fn summary_path(out: &Path, scenario: &str) -> PathBuf {
    out.join(scenario).join("summary.json")
}

/// How a run ended, written after a summary's figures: `complete`, or
/// `interrupted` (a signal stopped it; the summary holds the replications
/// that were complete, `replications_planned` says how many were asked for).
#[derive(Clone, Debug, Serialize)]
pub struct RunStatus {
    pub status: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub status_reason: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub replications_planned: Option<u32>,
}

impl RunStatus {
    /// A run whose every replication finished.
    pub fn complete() -> RunStatus {
        RunStatus { status: "complete", status_reason: None, replications_planned: None }
    }

    /// How a run that was not interrupted ended: `complete`, or
    /// `event-limit` when the event limit stopped a replication before the
    /// horizon (its figures are partial).
    pub fn of(summary: &Summary) -> RunStatus {
        if !summary.stopped_by_event_limit() {
            return RunStatus::complete();
        }
        RunStatus {
            status: "event-limit",
            status_reason: Some("a replication hit the event limit before the horizon: the figures are partial".into()),
            replications_planned: None,
        }
    }

    /// A run stopped by `signal` (its name) with `planned` replications asked for.
    pub fn interrupted(signal: &str, planned: u32, done: u32) -> RunStatus {
        RunStatus {
            status: "interrupted",
            status_reason: Some(format!(
                "{signal}: stopped at a replication boundary; the first {done} of {planned} replications"
            )),
            replications_planned: Some(planned),
        }
    }
}

/// A summary as written: its figures, then how the run ended and the
/// verdicts on it.
#[derive(Serialize)]
pub struct WrittenSummary<'a> {
    #[serde(flatten)]
    pub summary: &'a Summary,
    #[serde(flatten)]
    pub status: &'a RunStatus,
    pub verdicts: &'a SummaryVerdicts,
}

/// Writes the summary as pretty JSON (with a final newline), atomically.
pub fn write_summary(path: &Path, written: &WrittenSummary<'_>) -> std::io::Result<()> {
    write_json(path, written)
}

/// `value` as pretty JSON with a final newline: the one document
/// `--format json` prints.
pub fn json_text<T: Serialize + ?Sized>(value: &T) -> String {
    let mut text = serde_json::to_string_pretty(value).unwrap_or_else(|e| format!("{{\"error\": \"{e}\"}}"));
    text.push('\n');
    text
}

/// Writes `value` as pretty JSON with a final newline, atomically.
pub fn write_json<T: Serialize + ?Sized>(path: &Path, value: &T) -> std::io::Result<()> {
    let mut text = serde_json::to_string_pretty(value).map_err(std::io::Error::other)?;
    text.push('\n');
    write_atomic(path, text.as_bytes())
}

/// Writes `value` as JSON on one line (with a final newline), atomically:
/// for files read by programs only, such as shard results.
pub fn write_json_line<T: Serialize + ?Sized>(path: &Path, value: &T) -> std::io::Result<()> {
    let mut text = serde_json::to_string(value).map_err(std::io::Error::other)?;
    text.push('\n');
    write_atomic(path, text.as_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn atomic_write_replaces_and_leaves_no_temporary() {
        let directory = std::env::temp_dir().join(format!("unbindsim-atomic-{}", std::process::id()));
        let path = directory.join("nested").join("summary.json");
        write_atomic(&path, b"first").unwrap();
        write_atomic(&path, b"second").unwrap();
        assert_eq!(std::fs::read(&path).unwrap(), b"second");
        let leftovers: Vec<_> = std::fs::read_dir(path.parent().unwrap()).unwrap().collect();
        assert_eq!(leftovers.len(), 1, "only the result remains");
        std::fs::remove_dir_all(directory).unwrap();
    }
}

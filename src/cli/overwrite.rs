//! No silent overwrites. A command writes its results where they are
//! absent, or where they are the results of the same run, which it
//! replaces (a simulation is deterministic: the same run writes the same
//! figures). "The same run" is the same scenario name, seed, org size and
//! draw, horizon, replication count and resolved parameters — for a
//! summary, a shard or each point of a sweep, as the file records them; for
//! a comparison, the run key (`run_key`) of both sides and the mode. An
//! interrupted summary counts as the run it was planned to be. `load`
//! never replaces a live run (a real service is not deterministic). Any
//! other result in the way is refused before anything runs (exit 2, naming
//! the file and what differs) unless `--overwrite`. Two scenarios of one
//! command with the same name are refused too.

use super::CliError;
use crate::metrics::RunInfo;
use serde_json::Value;
use std::path::Path;

/// The keys of a run's record that make it the same run.
const SAME_RUN_KEYS: [&str; 7] = ["scenario", "seed", "members", "replications", "org", "horizon", "parameters"];

/// How a command may treat results in its way.
#[derive(Clone, Copy, Debug)]
pub struct Guard {
    /// `--overwrite`: replace whatever is there.
    pub overwrite: bool,
}

impl Guard {
    /// Refuses `path` unless it is absent or holds a record of the same run
    /// as `info` at `pointer` (`""` for a summary, `/info` for a shard);
    /// `any_replications` (for `--until-decided`) ignores the count.
    pub fn same_run(&self, path: &Path, pointer: &str, info: &RunInfo, any_replications: bool) -> Result<(), CliError> {
        let Some(existing) = self.existing(path)? else { return Ok(()) };
        let differs = existing.pointer(pointer).map_or_else(
            || vec!["everything (not a result of this kind)".to_owned()],
            |record| differences(record, info, any_replications),
        );
        self.refuse_if(path, &differs)
    }

    /// Refuses `path` unless it is absent or holds a sweep of the same
    /// points, in order, as `infos`.
    pub fn same_sweep(&self, path: &Path, infos: &[RunInfo]) -> Result<(), CliError> {
        let Some(existing) = self.existing(path)? else { return Ok(()) };
        let points = existing.as_array().map(Vec::as_slice).unwrap_or_default();
        let mut differs = Vec::new();
        if points.len() != infos.len() {
            differs.push(format!("the grid ({} points, not {})", points.len(), infos.len()));
        }
        for (point, info) in points.iter().zip(infos) {
            differs.extend(differences(&point["summary"], info, false));
        }
        differs.dedup();
        self.refuse_if(path, &differs)
    }

    /// Refuses `path` unless it is absent or its `run_key` is `key`.
    pub fn same_key(&self, path: &Path, key: &str) -> Result<(), CliError> {
        let Some(existing) = self.existing(path)? else { return Ok(()) };
        let same = existing.get("run_key").and_then(Value::as_str) == Some(key);
        self.refuse_if(path, &if same { Vec::new() } else { vec!["the scenarios, seed, size or mode".to_owned()] })
    }

    /// Refuses `path` unless it is absent.
    pub fn absent(&self, path: &Path, what: &str) -> Result<(), CliError> {
        writable_file(path)?;
        if self.overwrite || !path.exists() {
            return Ok(());
        }
        Err(CliError::BadInput(format!(
            "{} holds {what}; refusing to overwrite it: pass --overwrite, or another --out",
            path.display()
        )))
    }

    /// The JSON at `path`, if something is there and may not simply be replaced.
    fn existing(&self, path: &Path) -> Result<Option<Value>, CliError> {
        writable_file(path)?;
        if self.overwrite || !path.exists() {
            return Ok(None);
        }
        let text = std::fs::read_to_string(path)
            .map_err(|e| CliError::BadInput(format!("{}: cannot read the result in the way: {e}", path.display())))?;
        Ok(Some(serde_json::from_str(&text).unwrap_or(Value::Null)))
    }

    fn refuse_if(&self, path: &Path, differs: &[String]) -> Result<(), CliError> {
        if differs.is_empty() {
            return Ok(());
        }
        Err(CliError::BadInput(format!(
            "{} holds the results of another run (it differs in {}); refusing to overwrite it: pass --overwrite, or another --out",
            path.display(),
            differs.join(", ")
        )))
    }
}

/// The keys in which the run recorded in `record` differs from `info`.
fn differences(record: &Value, info: &RunInfo, any_replications: bool) -> Vec<String> {
    let ours = serde_json::to_value(info).unwrap_or(Value::Null);
    SAME_RUN_KEYS
        .iter()
        .filter(|key| !(any_replications && **key == "replications"))
        .filter(|key| {
            let theirs = match **key {
                // An interrupted summary is the run it was planned to be.
                "replications" => record.get("replications_planned").or_else(|| record.get("replications")),
                key => record.get(key),
            };
            theirs != ours.get(**key)
        })
        .map(|key| match ours.get(*key) {
            Some(value) if value.is_number() || value.is_string() => format!("{key} (now {value})"),
            _ => (*key).to_owned(),
        })
        .collect()
}

/// Refuses a file the command could not write, before anything runs
/// (`--overwrite` or not): a folder where the file goes, or a file where
/// one of its folders should be (`--out` naming a file, `--junit` a folder).
pub fn writable_file(path: &Path) -> Result<(), CliError> {
    if path.is_dir() {
        return Err(CliError::BadInput(format!("{}: is a folder, where a file is to be written", path.display())));
    }
    match path.ancestors().skip(1).find(|folder| folder.exists()) {
        Some(file) if !file.is_dir() => Err(CliError::BadInput(format!(
            "{}: cannot be written: {} is a file, not a folder",
            path.display(),
            file.display()
        ))),
        _ => Ok(()),
    }
}

/// Refuses two scenarios of one command with the same name: they would
/// write the same files.
pub fn refuse_duplicate_names<'a>(names: impl IntoIterator<Item = &'a str>) -> Result<(), CliError> {
    let mut seen: Vec<&str> = Vec::new();
    for name in names {
        if seen.contains(&name) {
            return Err(CliError::BadInput(format!(
                "two scenarios are named {name}: their results would overwrite each other; give one another `name`"
            )));
        }
        seen.push(name);
    }
    Ok(())
}

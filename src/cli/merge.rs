//! `unbindsim merge PATH…`: gathers shard files (given directly, or found
//! in the folders given), merges each run's complete set into the summary
//! the unsharded run writes, prints it and gates on its objectives.

use super::CliError;
use super::gates::{Gates, objectives_of};
use super::output::{self, Format};
use super::overwrite::{Guard, writable_file};
use super::run::write_and_print;
use crate::metrics::{MAX_RESULT_BYTES, ShardFile, merge_shards};
use crate::report::{RunStatus, summary_path};
use crate::scenario::read_capped;
use clap::Args;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

#[derive(Args, Debug)]
pub struct MergeArgs {
    /// Shard files, or folders to search (recursively) for shard-*.json.
    #[arg(required = true)]
    paths: Vec<PathBuf>,
    #[arg(long, default_value = "results")]
    out: PathBuf,
    #[arg(long)]
    junit: Option<PathBuf>,
    #[arg(long)]
    quiet: bool,
    /// `json`: print one JSON document on stdout at the end; tables go to stderr.
    #[arg(long, value_enum, default_value = "text")]
    format: Format,
    /// Replace summaries of other runs in the output folder (refused otherwise).
    #[arg(long)]
    overwrite: bool,
}

pub fn merge(args: MergeArgs) -> Result<(), CliError> {
    output::begin(args.format);
    let mut files = Vec::new();
    for path in &args.paths {
        collect(path, &mut files)?;
    }
    if files.is_empty() {
        return Err(CliError::BadInput("no shard-*.json file found in the paths given".into()));
    }
    let mut runs: BTreeMap<String, Vec<ShardFile>> = BTreeMap::new();
    for file in &files {
        let shard = read_shard(file)?;
        runs.entry(shard.info.scenario.clone()).or_default().push(shard);
    }
    args.junit.as_deref().map_or(Ok(()), writable_file)?;
    // Every run merged and checked against what is in the way before anything is written.
    let mut merged = Vec::with_capacity(runs.len());
    let mut stopped_early = Vec::new();
    for (scenario, shards) in &runs {
        let summary =
            merge_shards(shards).map_err(|why| CliError::BadInput(format!("cannot merge {scenario}: {why}")))?;
        let path = summary_path(&args.out, scenario);
        Guard { overwrite: args.overwrite }.same_run(&path, "", &shards[0].info, false)?;
        merged.push((summary, path, shards.len()));
    }
    let mut gates = Gates::default();
    for (summary, path, shards) in merged {
        let checked = gates.check(&summary.scenario, &summary, &objectives_of(&summary), None);
        let done = format!("merged {shards} shard(s), wrote");
        write_and_print(&path, &summary, &RunStatus::of(&summary), &checked, &done, args.quiet)?;
        if summary.stopped_by_event_limit() {
            stopped_early.push(summary.scenario.clone());
        }
    }
    let gated = gates.finish(args.junit.as_deref());
    super::run::event_limit_verdict(&stopped_early).and(gated)
}

/// How deep below a folder given `merge` looks for shard files.
const MAX_FOLDER_DEPTH: usize = 32;

/// Shard files at `path`: the file itself, or every `shard-*.json` below
/// the folder. Below a folder given, symbolic links to folders are not
/// followed (a link to `.` would loop), nor is the walk deeper than
/// [`MAX_FOLDER_DEPTH`].
fn collect(path: &Path, files: &mut Vec<PathBuf>) -> Result<(), CliError> {
    if path.is_file() {
        files.push(path.to_owned());
        return Ok(());
    }
    collect_below(path, 0, files)
}

fn collect_below(path: &Path, depth: usize, files: &mut Vec<PathBuf>) -> Result<(), CliError> {
    if depth > MAX_FOLDER_DEPTH {
        return Err(CliError::BadInput(format!(
            "{}: folders nested deeper than {MAX_FOLDER_DEPTH} levels; give the folder of the shards",
            path.display()
        )));
    }
    let entries =
        std::fs::read_dir(path).map_err(|e| CliError::BadInput(format!("{}: cannot read: {e}", path.display())))?;
    let mut children: Vec<(PathBuf, std::fs::FileType)> =
        entries.filter_map(|entry| entry.ok().and_then(|e| Some((e.path(), e.file_type().ok()?)))).collect();
    children.sort_by(|a, b| a.0.cmp(&b.0));
    for (child, kind) in children {
        let name = child.file_name().and_then(|n| n.to_str()).unwrap_or("");
        if kind.is_dir() {
            collect_below(&child, depth + 1, files)?;
        } else if !child.is_dir() && name.starts_with("shard-") && name.ends_with(".json") {
            files.push(child);
        }
    }
    Ok(())
}

fn read_shard(path: &Path) -> Result<ShardFile, CliError> {
    let shown = path.display();
    let text = read_capped(path, MAX_RESULT_BYTES).map_err(|e| CliError::BadInput(format!("{shown}: {e}")))?;
    let shard: ShardFile = serde_json::from_str(&text)
        .map_err(|e| CliError::BadInput(format!("{shown}:{}:{}: not a shard result: {e}", e.line(), e.column())))?;
    shard.check().map_err(|why| CliError::BadInput(format!("{shown}: {why}")))?;
    Ok(shard)
}

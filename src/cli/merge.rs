//! `unbindsim merge PATH…`: gathers shard files (given directly, or found
//! in the folders given), merges each run's complete set into the summary
//! the unsharded run writes, prints it and gates on its objectives.

use super::CliError;
use super::gates::{Gates, objectives_of};
use super::output::{self, Format};
use super::overwrite::Guard;
use super::run::write_and_print;
use crate::metrics::{ShardFile, merge_shards};
use crate::report::{RunStatus, summary_path};
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
    // Every run merged and checked against what is in the way before anything is written.
    let mut merged = Vec::with_capacity(runs.len());
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
        write_and_print(&path, &summary, &RunStatus::complete(), &checked, &done, args.quiet)?;
    }
    gates.finish(args.junit.as_deref())
}

fn collect(path: &Path, files: &mut Vec<PathBuf>) -> Result<(), CliError> {
    if path.is_file() {
        files.push(path.to_owned());
        return Ok(());
    }
    let entries =
        std::fs::read_dir(path).map_err(|e| CliError::BadInput(format!("{}: cannot read: {e}", path.display())))?;
    let mut children: Vec<PathBuf> = entries.filter_map(|entry| entry.ok().map(|e| e.path())).collect();
    children.sort();
    for child in children {
        let name = child.file_name().and_then(|n| n.to_str()).unwrap_or("");
        if child.is_dir() {
            collect(&child, files)?;
        } else if name.starts_with("shard-") && name.ends_with(".json") {
            files.push(child);
        }
    }
    Ok(())
}

fn read_shard(path: &Path) -> Result<ShardFile, CliError> {
    let shown = path.display();
    let text = std::fs::read_to_string(path).map_err(|e| CliError::BadInput(format!("{shown}: cannot read: {e}")))?;
    let shard: ShardFile = serde_json::from_str(&text)
        .map_err(|e| CliError::BadInput(format!("{shown}:{}:{}: not a shard result: {e}", e.line(), e.column())))?;
    shard.check().map_err(|why| CliError::BadInput(format!("{shown}: {why}")))?;
    Ok(shard)
}

//! `unbindsim sweep SCENARIO --set key=v1,v2 …`: the full grid of the values
//! given, each point run with the same seed (so neighbouring points see the
//! same people: common random numbers across the grid), written as
//! `sweep.csv` (one row per point, one column per figure and interval bound)
//! and `sweep.json`, and gated on the scenario's objectives.

use super::CliError;
use super::gates::Gates;
use super::options::RunOptions;
use crate::metrics::{LatencyReport, Summary};
use crate::report::write_atomic;
use crate::runner::{Seeds, Task, simulate_tasks, summarize, timing};
use crate::scenario::load_with_overrides;
use clap::Args;
use serde::Serialize;
use std::path::PathBuf;

/// Most grid points one sweep may have.
const MAX_POINTS: usize = 10_000;

#[derive(Args, Debug)]
pub struct SweepArgs {
    /// The scenario to sweep (file or built-in name).
    scenario: String,
    /// `key=v1,v2,…` (a dotted scenario key such as policy.buffer); repeat for a grid.
    #[arg(long = "set", required = true)]
    sets: Vec<String>,
    /// Write the objectives' verdicts at every point as JUnit XML.
    #[arg(long)]
    junit: Option<PathBuf>,
    #[command(flatten)]
    options: RunOptions,
}

/// One swept key and its values, as TOML.
struct Axis {
    key: String,
    values: Vec<(String, toml::Value)>,
}

#[derive(Serialize)]
struct Point {
    settings: Vec<(String, String)>,
    summary: Summary,
}

pub fn sweep(args: SweepArgs) -> Result<(), CliError> {
    let options = &args.options;
    let axes: Vec<Axis> = args.sets.iter().map(|set| axis(set)).collect::<Result<_, _>>()?;
    let grid = cartesian(&axes);
    if grid.len() > MAX_POINTS {
        return Err(CliError::BadInput(format!("the grid has {} points, more than {MAX_POINTS}", grid.len())));
    }
    let mut scenarios = Vec::with_capacity(grid.len());
    for point in &grid {
        let overrides: Vec<(String, toml::Value)> =
            point.iter().map(|(key, _, value)| (key.clone(), value.clone())).collect();
        scenarios.push(options.sized(load_with_overrides(&args.scenario, &overrides)?)?);
    }
    let name = scenarios[0].name.clone();
    let (seed, replications, threads) =
        (options.seed_for(&scenarios[0]), options.replications_for(&scenarios[0]), options.threads());
    if !options.quiet {
        eprintln!(
            "sweep {name}: {} points, seed {seed}, {replications} replications each, {} members",
            grid.len(),
            scenarios[0].org.members
        );
    }
    let mut points = Vec::with_capacity(grid.len());
    let mut gates = Gates::default();
    let progress =
        super::progress::bar(grid.len() as u64 * u64::from(replications), &format!("sweep {name}"), options.quiet);
    let indices: Vec<u32> = (0..replications).collect();
    let tasks: Vec<Task<'_>> =
        scenarios.iter().map(|scenario| Task { scenario, seeds: Seeds::same(seed), indices: &indices }).collect();
    let results = simulate_tasks(&tasks, threads, &|_| progress.inc(1));
    progress.finish_and_clear();
    for ((point, scenario), result) in grid.iter().zip(&scenarios).zip(results) {
        let run = result.map_err(|fault| CliError::Runtime(fault.to_string()))?;
        let summary = summarize(scenario, seed, replications, &run.records, timing(&run, threads));
        let settings: Vec<(String, String)> = point.iter().map(|(key, text, _)| (key.clone(), text.clone())).collect();
        if !options.quiet {
            let label: Vec<String> = settings.iter().map(|(k, v)| format!("{k}={v}")).collect();
            println!("{}", row_summary(&label.join(" "), &summary));
        }
        gates.check(&summary, &scenario.slo, None, true);
        points.push(Point { settings, summary });
    }
    write_results(&options.out.join(format!("sweep-{name}")), &axes, &points, options.quiet)?;
    gates.finish(args.junit.as_deref())
}

/// Parses `key=v1,v2`; values that are not TOML literals are strings.
fn axis(set: &str) -> Result<Axis, CliError> {
    let (key, values) = set
        .split_once('=')
        .ok_or_else(|| CliError::BadInput(format!("--set {set}: expected key=value1,value2,...")))?;
    let key = key.trim();
    if key.is_empty() || values.trim().is_empty() {
        return Err(CliError::BadInput(format!("--set {set}: expected key=value1,value2,...")));
    }
    let values = values.split(',').map(|text| (text.trim().to_owned(), toml_value(text.trim()))).collect();
    Ok(Axis { key: key.to_owned(), values })
}

fn toml_value(text: &str) -> toml::Value {
    toml::from_str::<toml::Table>(&format!("v = {text}"))
        .ok()
        .and_then(|mut table| table.remove("v"))
        .unwrap_or_else(|| toml::Value::String(text.to_owned()))
}

/// Every combination of the axes' values, the first axis varying slowest.
fn cartesian(axes: &[Axis]) -> Vec<Vec<(String, String, toml::Value)>> {
    axes.iter().fold(vec![Vec::new()], |points, axis| {
        points
            .iter()
            .flat_map(|point| {
                axis.values.iter().map(move |(text, value)| {
                    let mut next = point.clone();
                    next.push((axis.key.clone(), text.clone(), value.clone()));
                    next
                })
            })
            .collect()
    })
}

fn row_summary(label: &str, summary: &Summary) -> String {
    let m = &summary.metrics;
    let rate = |r: Option<f64>| r.map_or_else(|| "—".to_owned(), |r| format!("{:.4}", r));
    format!(
        "  {label:<40} batch p99 {:>10}  races {}  lockout {}  residue {}",
        m.batch_latency_ms.p99.map_or_else(|| "—".to_owned(), |v| crate::metrics::format_duration_ms(v as f64)),
        rate(m.grace_races.rate),
        rate(m.lockout.overall.rate),
        rate(m.residue.probability)
    )
}

const CSV_FIGURES: [&str; 17] = [
    "batch_latency_p50_ms",
    "batch_latency_p99_ms",
    "batch_latency_incomplete",
    "revocation_latency_p50_ms",
    "revocation_latency_p99_ms",
    "race_rate",
    "race_rate_ci_low",
    "race_rate_ci_high",
    "lockout_rate",
    "lockout_rate_ci_low",
    "lockout_rate_ci_high",
    "residue_probability",
    "residue_probability_ci_low",
    "residue_probability_ci_high",
    "done",
    "pending",
    "events",
];

fn csv_row(summary: &Summary) -> Vec<String> {
    let m = &summary.metrics;
    let opt = |v: Option<f64>| v.map_or_else(String::new, |v| v.to_string());
    let int = |v: Option<u64>| v.map_or_else(String::new, |v| v.to_string());
    let bound = |ci: Option<[f64; 2]>, i: usize| opt(ci.map(|c| c[i]));
    let latency = |l: &LatencyReport| [int(l.p50), int(l.p99)];
    let [b50, b99] = latency(&m.batch_latency_ms);
    let [r50, r99] = latency(&m.revocation_latency_ms);
    vec![
        b50,
        b99,
        m.batch_latency_ms.incomplete.to_string(),
        r50,
        r99,
        opt(m.grace_races.rate),
        bound(m.grace_races.ci95, 0),
        bound(m.grace_races.ci95, 1),
        opt(m.lockout.overall.rate),
        bound(m.lockout.overall.ci95, 0),
        bound(m.lockout.overall.ci95, 1),
        opt(m.residue.probability),
        bound(m.residue.ci95, 0),
        bound(m.residue.ci95, 1),
        m.outcomes.done.to_string(),
        m.outcomes.pending.to_string(),
        summary.engine.events.to_string(),
    ]
}

fn csv_field(text: &str) -> String {
    if text.contains([',', '"', '\n']) { format!("\"{}\"", text.replace('"', "\"\"")) } else { text.to_owned() }
}

fn write_results(directory: &std::path::Path, axes: &[Axis], points: &[Point], quiet: bool) -> Result<(), CliError> {
    let mut csv = String::new();
    let header: Vec<String> =
        axes.iter().map(|a| a.key.clone()).chain(CSV_FIGURES.iter().map(|f| (*f).to_owned())).collect();
    csv.push_str(&header.iter().map(|h| csv_field(h)).collect::<Vec<_>>().join(","));
    csv.push('\n');
    for point in points {
        let cells: Vec<String> = point.settings.iter().map(|(_, v)| v.clone()).chain(csv_row(&point.summary)).collect();
        csv.push_str(&cells.iter().map(|c| csv_field(c)).collect::<Vec<_>>().join(","));
        csv.push('\n');
    }
    let write = |name: &str, bytes: &[u8]| {
        let path = directory.join(name);
        write_atomic(&path, bytes).map_err(|e| CliError::Runtime(format!("{}: cannot write: {e}", path.display())))
    };
    write("sweep.csv", csv.as_bytes())?;
    let mut json = serde_json::to_string_pretty(points).map_err(|e| CliError::Runtime(e.to_string()))?;
    json.push('\n');
    write("sweep.json", json.as_bytes())?;
    if !quiet {
        println!("  wrote {} and sweep.json", directory.join("sweep.csv").display());
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn grid_is_the_cartesian_product_in_flag_order() {
        let axes = [axis("policy.buffer=0h,72h").unwrap(), axis("policy.batch_limit=50,100,200").unwrap()];
        let grid = cartesian(&axes);
        assert_eq!(grid.len(), 6);
        assert_eq!(grid[1][1].2, toml::Value::Integer(100));
        assert_eq!(grid[3][0].2, toml::Value::String("72h".into()));
    }

    #[test]
    fn malformed_sets_are_bad_input() {
        assert!(axis("policy.buffer").is_err());
        assert!(axis("=1,2").is_err());
    }
}

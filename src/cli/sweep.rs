//! `unbindsim sweep SCENARIO --set key=v1,v2 …`: the full grid of the values
//! given, each point run with the same seed (so neighbouring points see the
//! same people: common random numbers across the grid), written as
//! `sweep.csv` (one row per point, one column per figure and interval bound)
//! and `sweep.json`, and gated on the scenario's objectives.
//!
//! Values split at top-level commas only: a comma inside brackets, braces
//! or quotes belongs to its value, so `{ uniform = ["1h", "24h"] }` is one
//! value. `seed`, `replications` and `org.members` may be swept like any
//! key and each point runs with its own (a swept seed gives each point
//! other streams); sweeping one of them beside its flag (`--seed`,
//! `--replications`, `--members`), which would override it, is refused, and
//! so is a key given twice.

use super::CliError;
use super::gates::Gates;
use super::options::RunOptions;
use super::output::{self, noteln, sayln};
use super::signals::{self, keep_gap_free};
use crate::engine::SimDuration;
use crate::metrics::{Reading, Summary, format_duration_ms, read};
use crate::model::{PoolKind, ResidueKind};
use crate::report::{RunStatus, SummaryVerdicts, json_text, publish_folder};
use crate::runner::{Seeds, Task, run_info, simulate_tasks, summarize, timing};
use crate::scenario::{Figure, Latency, Quantile, Scenario, Unit, load_with_overrides};
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
    ///
    /// Values split at top-level commas: one inside brackets, braces or
    /// quotes stays in its value, as in
    /// `--set 'policy.department_delay={ uniform = ["1h", "24h"] },{ exp = "2h" }'`.
    /// `seed`, `replications` and `org.members` are honoured per point
    /// (not together with `--seed`, `--replications`, `--members`); a key
    /// may be given once.
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
    #[serde(flatten)]
    status: RunStatus,
    verdicts: SummaryVerdicts,
}

pub fn sweep(args: SweepArgs) -> Result<(), CliError> {
    let options = &args.options;
    output::begin(options.format);
    let axes = axes(&args.sets, options)?;
    let grid = cartesian(&axes);
    if grid.len() > MAX_POINTS {
        return Err(CliError::BadInput(format!("the grid has {} points, more than {MAX_POINTS}", grid.len())));
    }
    let mut scenarios = Vec::with_capacity(grid.len());
    for point in &grid {
        let overrides: Vec<(String, toml::Value)> =
            point.iter().map(|(key, _, value)| (key.clone(), value.clone())).collect();
        scenarios.push(options.scenario.sized(load_with_overrides(&args.scenario, &overrides)?)?);
    }
    let runs: Vec<(u64, u32)> = scenarios
        .iter()
        .map(|scenario| (options.scenario.seed_for(scenario), options.replications_for(scenario)))
        .collect();
    let name = scenarios[0].name.clone();
    let directory = options.out.join(format!("sweep-{name}"));
    let infos: Vec<_> = scenarios.iter().zip(&runs).map(|(s, (seed, count))| run_info(s, *seed, *count)).collect();
    options.guard().same_sweep(&directory.join("sweep.json"), &infos)?;
    args.junit.as_deref().map_or(Ok(()), super::overwrite::writable_file)?;
    if !options.quiet {
        noteln!("sweep {name}: {} points, {}", grid.len(), banner(&runs, &scenarios));
    }
    let mut points = Vec::with_capacity(grid.len());
    let mut gates = Gates::default();
    let total: u64 = runs.iter().map(|(_, replications)| u64::from(*replications)).sum();
    let indices: Vec<Vec<u32>> = runs.iter().map(|(_, replications)| (0..*replications).collect()).collect();
    let tasks: Vec<Task<'_>> = scenarios
        .iter()
        .zip(&runs)
        .zip(&indices)
        .map(|((scenario, (seed, _)), indices)| Task { scenario, seeds: Seeds::of(scenario, *seed), indices })
        .collect();
    let threads = options.threads();
    crate::runner::check_memory(&tasks, threads).map_err(CliError::BadInput)?;
    let progress = super::progress::bar(total, &format!("sweep {name}"), options.quiet);
    signals::watch()?;
    let results = simulate_tasks(&tasks, threads, &|_| progress.inc(1), &signals::stop_requested);
    progress.finish_and_clear();
    for (((point, scenario), seed), (result, planned)) in
        grid.iter().zip(&scenarios).zip(runs.iter().map(|(seed, _)| *seed)).zip(results.into_iter().zip(&indices))
    {
        let mut run = result.map_err(|fault| CliError::Runtime(fault.to_string()))?;
        let complete = keep_gap_free(&mut run.records, planned);
        if run.records.is_empty() {
            continue;
        }
        let summary = summarize(scenario, seed, run.records.len() as u32, &run.records, timing(&run, threads));
        let point = judge(&mut gates, point, scenario, summary, (complete, planned.len() as u32), options.quiet);
        output::add("points", &point);
        points.push(point);
    }
    let cut = points.iter().filter(|point| point.status.status == "interrupted").count();
    write_results(&directory, &axes, &points, options.quiet)?;
    match signals::received() {
        Some(signal) if cut > 0 => Err(signals::interrupted(
            signal,
            &format!("wrote {} of {} points, {cut} of them cut short (no verdicts)", points.len(), grid.len()),
        )),
        _ => gates.finish(args.junit.as_deref()),
    }
}

/// A point's summary, printed as a row, with its status and verdicts (none
/// when a signal cut it short: `complete` is false, of `planned` replications).
fn judge(
    gates: &mut Gates,
    point: &[(String, String, toml::Value)],
    scenario: &Scenario,
    summary: Summary,
    (complete, planned): (bool, u32),
    quiet: bool,
) -> Point {
    let settings: Vec<(String, String)> = point.iter().map(|(key, text, _)| (key.clone(), text.clone())).collect();
    let label: Vec<String> = settings.iter().map(|(k, v)| format!("{k}={v}")).collect();
    if !quiet {
        sayln!("{}", row_summary(&label.join(" "), &summary));
    }
    let (status, verdicts) = match signals::received().filter(|_| !complete) {
        Some(signal) => {
            (RunStatus::interrupted(signals::name(signal), planned, summary.replications), SummaryVerdicts::default())
        }
        None => {
            // Each point its own JUnit suite: `self-exit[policy.buffer=24h]`.
            let suite = format!("{}[{}]", summary.scenario, label.join(","));
            let mut checked = gates.check(&suite, &summary, &scenario.slo, None);
            gates.live_not_judged(&mut checked, &scenario.live_slo);
            (RunStatus::of(&summary), checked.verdicts)
        }
    };
    Point { settings, summary, status, verdicts }
}

/// What the banner says of the points' seeds, replications and org sizes:
/// the one value where they share it, "per point" where the grid varies it.
fn banner(runs: &[(u64, u32)], scenarios: &[Scenario]) -> String {
    let shared = |values: Vec<u64>| values.iter().all(|value| *value == values[0]).then(|| values[0]);
    let seed = shared(runs.iter().map(|(seed, _)| *seed).collect()).map_or_else(
        || "a seed per point (points on other seeds share no streams)".to_owned(),
        |seed| format!("seed {seed}"),
    );
    let replications = shared(runs.iter().map(|(_, replications)| u64::from(*replications)).collect())
        .map_or_else(|| "replications per point".to_owned(), |count| format!("{count} replications each"));
    let members = shared(scenarios.iter().map(|scenario| u64::from(scenario.org.members)).collect())
        .map_or_else(|| "members per point".to_owned(), |members| format!("{members} members"));
    let org = Seeds::of(&scenarios[0], runs[0].0).org_draw();
    format!("{seed}, {replications}, {members}, {org}")
}

/// The axes of `--set` flags: a key given twice is refused, and so is a
/// swept run setting whose flag would override every point's value.
fn axes(sets: &[String], options: &RunOptions) -> Result<Vec<Axis>, CliError> {
    let axes: Vec<Axis> = sets.iter().map(|set| axis(set)).collect::<Result<_, _>>()?;
    for (i, axis) in axes.iter().enumerate() {
        if axes[..i].iter().any(|earlier| earlier.key == axis.key) {
            return Err(CliError::BadInput(format!(
                "--set {}: the key is given twice; list all its values in one --set",
                axis.key
            )));
        }
        let flag = match axis.key.as_str() {
            "seed" => options.scenario.seed.is_some().then_some("--seed"),
            "replications" => options.replications.is_some().then_some("--replications"),
            "org.members" => options.scenario.members.is_some().then_some("--members"),
            _ => None,
        };
        if let Some(flag) = flag {
            return Err(CliError::BadInput(format!(
                "--set {}: {flag} would override it at every point; drop one of them",
                axis.key
            )));
        }
    }
    Ok(axes)
}

/// Longest `--set` flag, in bytes.
const MAX_SET_BYTES: usize = 64 << 10;
/// Deepest nesting of brackets and braces in a `--set` value.
const MAX_SET_NESTING: usize = 32;

/// Parses `key=v1,v2`; values that are not TOML literals are strings.
fn axis(set: &str) -> Result<Axis, CliError> {
    if set.len() > MAX_SET_BYTES {
        let start: String = set.chars().take(40).collect();
        return Err(CliError::BadInput(format!("--set {start}…: longer than {MAX_SET_BYTES} bytes")));
    }
    let (key, values) = set
        .split_once('=')
        .ok_or_else(|| CliError::BadInput(format!("--set {set}: expected key=value1,value2,...")))?;
    let key = key.trim();
    if key.is_empty() || values.trim().is_empty() {
        return Err(CliError::BadInput(format!("--set {set}: expected key=value1,value2,...")));
    }
    let values = split_values(values)
        .map_err(|problem| CliError::BadInput(format!("--set {set}: {problem}")))?
        .into_iter()
        .map(|text| (text.to_owned(), toml_value(text)))
        .collect();
    Ok(Axis { key: key.to_owned(), values })
}

/// `values` split at its top-level commas, each trimmed: a comma inside
/// brackets, braces or a quoted string belongs to its value.
fn split_values(values: &str) -> Result<Vec<&str>, String> {
    let (mut depth, mut quote, mut escaped, mut start) = (0_usize, None, false, 0);
    let mut parts = Vec::new();
    for (i, c) in values.char_indices() {
        match quote {
            Some(_) if escaped => escaped = false,
            Some('"') if c == '\\' => escaped = true,
            Some(open) if c == open => quote = None,
            Some(_) => {}
            None => match c {
                '"' | '\'' => quote = Some(c),
                '[' | '{' if depth == MAX_SET_NESTING => {
                    return Err(format!("brackets and braces nested deeper than {MAX_SET_NESTING}"));
                }
                '[' | '{' => depth += 1,
                ']' | '}' => depth = depth.checked_sub(1).ok_or(format!("`{c}` closes nothing"))?,
                ',' if depth == 0 => {
                    parts.push(values[start..i].trim());
                    start = i + 1;
                }
                _ => {}
            },
        }
    }
    if depth > 0 || quote.is_some() {
        return Err("a bracket, brace or quote is not closed".to_owned());
    }
    parts.push(values[start..].trim());
    match parts.iter().any(|part| part.is_empty()) {
        true => Err("an empty value (values are separated by commas)".to_owned()),
        false => Ok(parts),
    }
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

/// The line a sweep prints per point: batch p99 and the headline rates.
fn row_summary(label: &str, summary: &Summary) -> String {
    let shown = |figure| {
        match read(figure, summary) {
            Ok(Reading::Rate(view)) => view.rate.map(|rate| format!("{rate:.4}")),
            Ok(Reading::Percentile { value_ms, .. }) => value_ms.map(|ms| format_duration_ms(ms as f64)),
            Ok(Reading::Mean(_) | Reading::Count(_)) | Err(_) => None,
        }
        .unwrap_or_else(|| "—".to_owned())
    };
    format!(
        "  {label:<40} batch p99 {:>10}  races {}  lockout {}  residue {}",
        shown(Figure::LatencyQuantile(Latency::Batch, Quantile::P99)),
        shown(Figure::RaceRate),
        shown(Figure::LockoutRate),
        shown(Figure::ResidueProbability)
    )
}

/// The figures of a sweep's CSV, one column each; a rate adds the bounds
/// of its interval as `<name>_ci_low` and `<name>_ci_high`. The exposure
/// window, the 7-day leak risk and the 30-day survival of credentials
/// come last, after the older columns, then the approvers' p99 wait and
/// the console's peak backlog.
const CSV_FIGURES: [Figure; 19] = [
    Figure::LatencyQuantile(Latency::Batch, Quantile::P50),
    Figure::LatencyQuantile(Latency::Batch, Quantile::P99),
    Figure::LatencyUnfinished(Latency::Batch),
    Figure::LatencyQuantile(Latency::Revocation, Quantile::P50),
    Figure::LatencyQuantile(Latency::Revocation, Quantile::P99),
    Figure::RaceRate,
    Figure::LockoutRate,
    Figure::LockoutGivenUninstallRate,
    Figure::LatencyQuantile(Latency::Lockout, Quantile::P50),
    Figure::ResidueProbability,
    Figure::Done,
    Figure::Pending,
    Figure::Events,
    Figure::LatencyQuantile(Latency::Exposure, Quantile::P50),
    Figure::LatencyQuantile(Latency::Exposure, Quantile::P99),
    Figure::LeakRisk(SimDuration::from_days(7)),
    Figure::ResidueKindAt(ResidueKind::Credentials, SimDuration::from_days(30)),
    Figure::LatencyQuantile(Latency::QueueWait(PoolKind::Approvers), Quantile::P99),
    Figure::ConsoleBacklogPeak,
];

/// The CSV column names of `figure`.
fn csv_columns(figure: Figure) -> Vec<String> {
    let name = figure.name();
    match figure.unit() {
        Unit::Fraction => {
            let bounds = [format!("{name}_ci_low"), format!("{name}_ci_high")];
            std::iter::once(name).chain(bounds).collect()
        }
        Unit::Milliseconds
        | Unit::Batches
        | Unit::Members
        | Unit::Events
        | Unit::Grants
        | Unit::Days
        | Unit::Requests => vec![name],
    }
}

/// The cells of `figure` in `summary`, as the summary wrote the values
/// (empty where it has none).
fn csv_cells(figure: Figure, summary: &Summary) -> Vec<String> {
    let text = |value: Option<f64>| value.map_or_else(String::new, |value| value.to_string());
    match read(figure, summary) {
        Ok(Reading::Rate(view)) => {
            vec![text(view.rate), text(view.ci95.map(|ci| ci[0])), text(view.ci95.map(|ci| ci[1]))]
        }
        Ok(Reading::Percentile { value_ms, .. }) => vec![value_ms.map_or_else(String::new, |ms| ms.to_string())],
        Ok(Reading::Mean(mean)) => vec![text(mean)],
        Ok(Reading::Count(count)) => vec![count.to_string()],
        Err(_) => vec![String::new(); csv_columns(figure).len()],
    }
}

fn csv_row(summary: &Summary) -> Vec<String> {
    CSV_FIGURES.iter().flat_map(|figure| csv_cells(*figure, summary)).collect()
}

fn csv_field(text: &str) -> String {
    if text.contains([',', '"', '\n']) { format!("\"{}\"", text.replace('"', "\"\"")) } else { text.to_owned() }
}

fn write_results(directory: &std::path::Path, axes: &[Axis], points: &[Point], quiet: bool) -> Result<(), CliError> {
    let mut csv = String::new();
    let header: Vec<String> =
        axes.iter().map(|a| a.key.clone()).chain(CSV_FIGURES.into_iter().flat_map(csv_columns)).collect();
    csv.push_str(&header.iter().map(|h| csv_field(h)).collect::<Vec<_>>().join(","));
    csv.push('\n');
    for point in points {
        let cells: Vec<String> = point.settings.iter().map(|(_, v)| v.clone()).chain(csv_row(&point.summary)).collect();
        csv.push_str(&cells.iter().map(|c| csv_field(c)).collect::<Vec<_>>().join(","));
        csv.push('\n');
    }
    let failed =
        |path: &std::path::Path, e: std::io::Error| CliError::Runtime(format!("{}: cannot write: {e}", path.display()));
    let json = json_text(points);
    // The pair is published as one folder: a reader never sees a new CSV
    // beside an old JSON (see `report::publish_folder`).
    publish_folder(directory, &[("sweep.csv", csv.as_bytes()), ("sweep.json", json.as_bytes())])
        .map_err(|e| failed(directory, e))?;
    if !quiet {
        sayln!("  wrote {} and sweep.json", directory.join("sweep.csv").display());
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
    fn rates_add_their_interval_bounds_to_the_header() {
        assert_eq!(csv_columns(Figure::LockoutRate), ["lockout_rate", "lockout_rate_ci_low", "lockout_rate_ci_high"]);
        assert_eq!(csv_columns(Figure::Events), ["events"]);
        let summary = crate::metrics::fixtures::empty_summary("s");
        let header: usize = CSV_FIGURES.into_iter().map(|figure| csv_columns(figure).len()).sum();
        assert_eq!(csv_row(&summary).len(), header);
    }

    #[test]
    fn malformed_sets_are_bad_input() {
        assert!(axis("policy.buffer").is_err());
        assert!(axis("=1,2").is_err());
        assert!(axis("policy.buffer=1h,,2h").is_err());
        assert!(axis("policy.department_delay={ uniform = [\"1h\", \"24h\"]").is_err());
        assert!(axis("policy.department_delay=]").is_err());
    }

    #[test]
    fn commas_inside_brackets_braces_and_quotes_stay_in_their_value() {
        let set = r#"policy.department_delay={ uniform = ["1h", "24h"] }, { exp = "2h" },"a,b",'c,d'"#;
        let values: Vec<String> = axis(set).unwrap().values.into_iter().map(|(text, _)| text).collect();
        assert_eq!(values, [r#"{ uniform = ["1h", "24h"] }"#, r#"{ exp = "2h" }"#, r#""a,b""#, "'c,d'"]);
        assert_eq!(split_values(r#""say \"hi, there\"",2"#).unwrap(), [r#""say \"hi, there\"""#, "2"]);
        let table = toml_value(&values[0]);
        assert!(table.get("uniform").is_some_and(toml::Value::is_array), "{table:?}");
    }

    #[test]
    fn a_repeated_key_or_a_run_setting_beside_its_flag_is_refused() {
        #[derive(clap::Parser)]
        struct Flags {
            #[command(flatten)]
            options: RunOptions,
        }
        let options = |seed: Option<u64>| {
            let seed = seed.map(|seed| format!("--seed={seed}"));
            <Flags as clap::Parser>::parse_from(std::iter::once("sweep".to_owned()).chain(seed)).options
        };
        let sets = |sets: &[&str]| sets.iter().map(|set| (*set).to_owned()).collect::<Vec<_>>();
        let twice = axes(&sets(&["policy.buffer=0h", "policy.buffer=6h"]), &options(None));
        assert!(matches!(twice, Err(CliError::BadInput(message)) if message.contains("policy.buffer")));
        assert!(axes(&sets(&["seed=1,2"]), &options(None)).is_ok());
        let beside = axes(&sets(&["seed=1,2"]), &options(Some(3)));
        assert!(matches!(beside, Err(CliError::BadInput(message)) if message.contains("--seed")));
    }
}

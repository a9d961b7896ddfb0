//! The checks a run can gate CI on: the scenario's `[slo]` objectives and a
//! regression check against a baseline summary (one file, or a folder of
//! earlier results holding `<scenario>/summary.json` for every scenario
//! run). Verdicts are printed, collected for `--junit`, and turn into exit
//! code 3 when one fails; the failure message names the failing figures,
//! so `--quiet` still says what failed.

use super::CliError;
use crate::metrics::{
    DEFAULT_NOISE_THRESHOLD, Gate, RunInfo, SCHEMA_VERSION, SloOutcome, Summary, Verdict, any_regression,
    check_baseline, compare_to_baseline, default_gated_figures, evaluate, gateable_names, is_gateable,
    regressed_figures, regression_table, verdict_table,
};
use crate::report::{
    BaselineVerdicts, ObjectiveVerdict, SummaryVerdicts, TestSuite, junit_xml, summary_path, write_atomic,
};
use crate::scenario::{Figure, LiveSlo, Slo, parse_slo};
use clap::Args;
use std::path::{Path, PathBuf};

/// The flags of the baseline check.
#[derive(Args, Debug)]
pub struct BaselineArgs {
    /// A previous summary.json of one scenario of this run, or a results
    /// folder holding `<scenario>/summary.json` for every scenario run:
    /// exit 3 when a gated figure is confidently worse.
    #[arg(long)]
    baseline: Option<PathBuf>,
    /// The figures the baseline check gates, comma-separated (default: the
    /// figures of the scenario's objectives, else lockout_rate,
    /// residue_probability, race_rate, done_share, batch_latency_p50 and
    /// batch_latency_p99).
    #[arg(long, value_delimiter = ',')]
    gate: Vec<String>,
    /// A change smaller than this share of the baseline's value is never a
    /// regression (default 0.01).
    #[arg(long, value_parser = parse_noise_threshold)]
    noise_threshold: Option<f64>,
}

fn parse_noise_threshold(text: &str) -> Result<f64, String> {
    match text.parse::<f64>() {
        Ok(value) if (0.0..=10.0).contains(&value) => Ok(value),
        Ok(_) => Err(format!("{text} is not a share between 0 and 10 (0.01 is 1 %)")),
        Err(_) => Err(format!("{text} is not a number (a share such as 0.01)")),
    }
}

/// The baselines of one command, scenario by scenario, read and checked
/// before anything runs.
pub struct Baselines {
    source: Option<Source>,
    figures: Option<Vec<Figure>>,
    noise_threshold: f64,
}

enum Source {
    /// One summary: only its scenario is checked.
    File(PathBuf, Box<Summary>),
    /// A results folder: every scenario is checked against its own summary.
    Folder(PathBuf),
}

impl Baselines {
    /// Reads the flags; with a folder, each scenario's summary is read by `for_run`.
    pub fn read(args: &BaselineArgs) -> Result<Baselines, CliError> {
        if args.baseline.is_none() && (!args.gate.is_empty() || args.noise_threshold.is_some()) {
            return Err(CliError::BadInput("--gate and --noise-threshold need --baseline".to_owned()));
        }
        let figures = (!args.gate.is_empty()).then(|| gated_figures(&args.gate)).transpose()?;
        let source = match &args.baseline {
            None => None,
            Some(path) if path.is_dir() => Some(Source::Folder(path.clone())),
            Some(path) => Some(Source::File(path.clone(), Box::new(read_baseline(path)?))),
        };
        Ok(Baselines { source, figures, noise_threshold: args.noise_threshold.unwrap_or(DEFAULT_NOISE_THRESHOLD) })
    }

    /// The baseline of each run (in order), checked against it: a file's
    /// scenario must be one of them; a folder must hold every one.
    pub fn for_runs(&self, runs: &[RunInfo]) -> Result<Vec<Option<Summary>>, CliError> {
        let baselines: Vec<Option<Summary>> = match &self.source {
            None => return Ok(vec![None; runs.len()]),
            Some(Source::File(path, summary)) => {
                if !runs.iter().any(|run| run.scenario == summary.scenario) {
                    return Err(CliError::BadInput(format!(
                        "--baseline {}: a summary of {}, which this run does not run",
                        path.display(),
                        summary.scenario
                    )));
                }
                runs.iter().map(|run| (run.scenario == summary.scenario).then(|| (**summary).clone())).collect()
            }
            Some(Source::Folder(folder)) => runs
                .iter()
                .map(|run| read_baseline(&summary_path(folder, &run.scenario)).map(Some))
                .collect::<Result<_, _>>()?,
        };
        for (run, baseline) in runs.iter().zip(&baselines) {
            if let Some(baseline) = baseline {
                check_baseline(run, baseline).map_err(|why| CliError::BadInput(format!("--baseline: {why}")))?;
            }
        }
        Ok(baselines)
    }

    /// What the gate checks for a scenario with objectives `slos`.
    pub fn gate(&self, slos: &[Slo]) -> Gate {
        let from_objectives: Vec<Figure> =
            slos.iter().map(|slo| slo.figure).filter(|figure| is_gateable(*figure)).collect();
        let figures = match &self.figures {
            Some(figures) => figures.clone(),
            None if !from_objectives.is_empty() => dedup(from_objectives),
            None => default_gated_figures(),
        };
        Gate { figures, noise_threshold: self.noise_threshold }
    }
}

fn dedup(figures: Vec<Figure>) -> Vec<Figure> {
    let mut unique = Vec::with_capacity(figures.len());
    figures.into_iter().for_each(|figure| {
        if !unique.contains(&figure) {
            unique.push(figure)
        }
    });
    unique
}

/// The figures `--gate` names, each one a summary keeps per replication.
fn gated_figures(names: &[String]) -> Result<Vec<Figure>, CliError> {
    let figures = names
        .iter()
        .map(|name| {
            Figure::named(name.trim()).filter(|figure| is_gateable(*figure)).ok_or_else(|| {
                CliError::BadInput(format!(
                    "--gate {name}: not a figure the baseline check can gate; one of {}",
                    gateable_names().join(", ")
                ))
            })
        })
        .collect::<Result<Vec<_>, _>>()?;
    Ok(dedup(figures))
}

/// Verdicts gathered over the scenarios of one command.
#[derive(Default)]
pub struct Gates {
    /// One JUnit suite per summary judged; verdicts go to the last one.
    suites: Vec<TestSuite>,
    failures: Vec<String>,
}

/// What the checks of one summary found: the verdicts `summary.json` and
/// `--format json` carry, and the tables that print them.
#[derive(Default)]
pub struct Checked {
    pub verdicts: SummaryVerdicts,
    pub text: String,
}

impl Gates {
    /// Starts the JUnit suite of `summary`, named `label` (the scenario,
    /// with a sweep point's settings).
    pub fn start(&mut self, label: &str, summary: &Summary) {
        self.suites.push(TestSuite::new(label, summary.timing.wall_ms / 1e3));
    }

    /// Evaluates `slos` (and the baseline, if any, through `gate`) on
    /// `summary`, in a suite named `label`.
    pub fn check(
        &mut self,
        label: &str,
        summary: &Summary,
        slos: &[Slo],
        baseline: Option<(&Summary, Gate)>,
    ) -> Checked {
        self.start(label, summary);
        let mut checked = Checked::default();
        if !slos.is_empty() {
            let heading = "objectives (PASS or FAIL only when the whole 95 % interval is on one side)";
            self.objectives(&mut checked, &summary.scenario, heading, slos, &evaluate(slos, summary));
        }
        if let Some((baseline, gate)) = baseline {
            self.baseline(&mut checked, summary, baseline, &gate);
        }
        checked
    }

    /// Records the verdicts on the objectives `slos` of `scenario` in `checked`.
    pub fn objectives(
        &mut self,
        checked: &mut Checked,
        scenario: &str,
        heading: &str,
        slos: &[Slo],
        verdicts: &[Verdict],
    ) {
        checked.text.push_str(&format!("  {heading}:\n{}\n", verdict_table(verdicts)));
        let judged: Vec<ObjectiveVerdict> = verdicts
            .iter()
            .filter_map(|verdict| {
                let slo = slos.iter().find(|slo| slo.to_string() == verdict.objective)?;
                Some(ObjectiveVerdict::new(slo, verdict))
            })
            .collect();
        self.suite().add_objectives(&judged);
        checked.verdicts.objectives.extend(judged);
        let failed: Vec<&str> = verdicts
            .iter()
            .filter(|verdict| verdict.outcome == SloOutcome::Fail)
            .map(|verdict| verdict.objective.as_str())
            .collect();
        if !failed.is_empty() {
            self.failures.push(format!("{scenario}: objective failed: {}", failed.join(", ")));
        }
    }

    /// Records the scenario's live objectives in `checked` as N/A: a
    /// simulation measures no live figure; `load` judges them.
    pub fn live_not_judged(&mut self, checked: &mut Checked, live: &[LiveSlo]) {
        if live.is_empty() {
            return;
        }
        let judged: Vec<ObjectiveVerdict> = live
            .iter()
            .map(|slo| ObjectiveVerdict {
                objective: slo.to_string(),
                figure: slo.key.clone(),
                comparison: slo.comparison.symbol(),
                threshold: slo.threshold,
                estimate: None,
                interval: None,
                verdict: SloOutcome::NotApplicable,
                reason: format!(
                    "no verdict: `{}` is a live figure, judged by `unbindsim load` against a service; a simulation does not measure it",
                    slo.key
                ),
            })
            .collect();
        checked.text.push_str("  live objectives (judged by `unbindsim load`, not by a simulation):\n");
        for verdict in &judged {
            checked.text.push_str(&format!(
                "  {:<9}  {}  {}\n",
                verdict.verdict.label(),
                verdict.objective,
                verdict.reason
            ));
        }
        checked.text.push('\n');
        self.suite().add_objectives(&judged);
        checked.verdicts.objectives.extend(judged);
    }

    /// The suite verdicts go to.
    fn suite(&mut self) -> &mut TestSuite {
        if self.suites.is_empty() {
            self.suites.push(TestSuite::default());
        }
        self.suites.last_mut().expect("one suite at least")
    }

    /// Checks `summary` against `baseline` through `gate`, into `checked`.
    pub fn baseline(&mut self, checked: &mut Checked, summary: &Summary, baseline: &Summary, gate: &Gate) {
        let checks = compare_to_baseline(summary, baseline, gate);
        checked.text.push_str(&format!(
            "  against the baseline (seed {}, {} replication(s); Holm over {} gated figure(s), noise threshold {}):\n{}\n",
            baseline.seed,
            baseline.replications,
            gate.figures.len(),
            gate.noise_threshold,
            regression_table(&checks)
        ));
        let judged = BaselineVerdicts::new(baseline, gate, &checks);
        self.suite().add_regressions(&judged.checks);
        checked.verdicts.baseline = Some(judged);
        if any_regression(&checks) {
            self.failures.push(format!(
                "{}: confidently worse than the baseline: {}",
                summary.scenario,
                regressed_figures(&checks).join(", ")
            ));
        }
    }

    /// Writes the JUnit file (if asked) and fails with exit code 3 if any
    /// objective failed or any figure regressed.
    pub fn finish(self, junit: Option<&Path>) -> Result<(), CliError> {
        if let Some(path) = junit {
            let xml = junit_xml("unbindsim", &self.suites);
            write_atomic(path, xml.as_bytes())
                .map_err(|e| CliError::Runtime(format!("{}: cannot write: {e}", path.display())))?;
        }
        if self.failures.is_empty() { Ok(()) } else { Err(CliError::GateFailed(self.failures.join("; "))) }
    }
}

/// The objectives recorded in a summary's parameters (so `merge` can
/// evaluate the same `[slo]` the scenario carried).
pub fn objectives_of(summary: &Summary) -> Vec<Slo> {
    let Some(table) = summary.parameters.get("slo").and_then(|v| v.as_object()) else { return Vec::new() };
    table.iter().filter_map(|(key, text)| parse_slo(key, text.as_str()?).ok()).collect()
}

/// Reads a summary written by `run` or `merge`, for `--baseline`: one of
/// this build's layout, or a message saying to re-run it.
fn read_baseline(path: &Path) -> Result<Summary, CliError> {
    let shown = path.display();
    let text = crate::scenario::read_capped(path, crate::metrics::MAX_RESULT_BYTES)
        .map_err(|e| CliError::BadInput(format!("--baseline {shown}: {e}")))?;
    let not_a_summary = |e: serde_json::Error| {
        CliError::BadInput(format!("--baseline {shown}: not a unbindsim summary ({e}, line {})", e.line()))
    };
    let value: serde_json::Value = serde_json::from_str(&text).map_err(not_a_summary)?;
    match value.get("schema_version").and_then(serde_json::Value::as_u64) {
        Some(version) if version == u64::from(SCHEMA_VERSION) => serde_json::from_value(value).map_err(not_a_summary),
        Some(version) => Err(CliError::BadInput(format!(
            "--baseline {shown}: summary layout {version}, this build reads {SCHEMA_VERSION}; re-run the baseline with this build"
        ))),
        None => Err(CliError::BadInput(format!("--baseline {shown}: not a unbindsim summary (no schema_version)"))),
    }
}

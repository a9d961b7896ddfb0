//! The checks a run can gate CI on: the scenario's `[slo]` objectives and a
//! regression check against a baseline summary. Verdicts are printed,
//! collected for `--junit`, and turn into exit code 3 when one fails.

use super::CliError;
use crate::metrics::{
    Summary, any_failed, any_regression, compare_to_baseline, evaluate, regression_table, verdict_table,
};
use crate::report::{TestCase, junit_xml, regression_cases, verdict_cases, write_atomic};
use crate::scenario::{Slo, parse_slo};
use std::path::{Path, PathBuf};

/// Verdicts gathered over the scenarios of one command.
#[derive(Default)]
pub struct Gates {
    cases: Vec<TestCase>,
    failures: Vec<String>,
}

impl Gates {
    /// Evaluates `slos` (and the baseline, if any) on `summary`; prints the
    /// verdicts unless `quiet`.
    pub fn check(&mut self, summary: &Summary, slos: &[Slo], baseline: Option<&Summary>, quiet: bool) {
        if !slos.is_empty() {
            let verdicts = evaluate(slos, summary);
            if !quiet {
                println!("  objectives (conservative 95 % bounds):\n{}", verdict_table(&verdicts));
            }
            if any_failed(&verdicts) {
                self.failures.push(format!("{}: an objective failed", summary.scenario));
            }
            self.cases.extend(verdict_cases(&summary.scenario, &verdicts));
        }
        if let Some(baseline) = baseline {
            let checks = compare_to_baseline(summary, baseline);
            if !quiet {
                println!("  against the baseline (seed {}):\n{}", baseline.seed, regression_table(&checks));
            }
            if any_regression(&checks) {
                self.failures.push(format!("{}: confidently worse than the baseline", summary.scenario));
            }
            self.cases.extend(regression_cases(&summary.scenario, &checks));
        }
    }

    /// Writes the JUnit file (if asked) and fails with exit code 3 if any
    /// objective failed or any figure regressed.
    pub fn finish(self, junit: Option<&Path>) -> Result<(), CliError> {
        if let Some(path) = junit {
            let xml = junit_xml("unbindsim", &self.cases);
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

/// Reads a summary written by `run` or `merge`, for `--baseline`.
pub fn read_baseline(path: &PathBuf) -> Result<Summary, CliError> {
    let shown = path.display();
    let text = std::fs::read_to_string(path)
        .map_err(|e| CliError::BadInput(format!("--baseline {shown}: cannot read: {e}")))?;
    serde_json::from_str(&text).map_err(|e| {
        CliError::BadInput(format!("--baseline {shown}: not a unbindsim summary ({e}, line {})", e.line()))
    })
}

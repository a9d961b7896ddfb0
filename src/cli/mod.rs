//! The command line: `run`, `compare`, `sweep`, `merge`, `load`, `validate` and `scenarios`. Parses flags with
//! clap, loads and checks every scenario before running any (so bad input
//! writes nothing), prints the seed and parameters first, and maps errors
//! to exit codes: 2 for bad input, 1 for runtime failures.
//!
//! **Architecture invariant:** `cli` is the last layer: it may use every
//! other, and only `main` uses it. It prints to the terminal (as `live`
//! does during a load run), reads results back (shards, baselines) and
//! writes every file through `report`. It reads no clock itself: `runner`
//! measures wall time for `timing`, and `live` paces a load run.

mod compare;
mod gates;
mod load;
mod merge;
mod options;
mod output;
mod overwrite;
mod progress;
mod run;
mod shard;
mod signals;
mod sweep;
mod until_decided;

use crate::scenario::{BUILTIN, Scenario, ScenarioError, parse_scenario};
use clap::{Parser, Subcommand};
use output::{noteln, sayln};

/// Exit code for bad input: a file or flag the user got wrong.
pub(crate) const EXIT_BAD_INPUT: i32 = 2;
/// Exit code for a failure at run time (I/O, a broken model invariant).
pub(crate) const EXIT_RUNTIME: i32 = 1;
/// Exit code for a failed objective or a confident regression.
pub(crate) const EXIT_GATE: i32 = 3;

#[derive(Parser, Debug)]
#[command(
    name = "unbindsim",
    version,
    about = "Discrete-event simulator for unbinding members, devices and app grants from an enterprise workspace"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Run scenarios (every seed scenario when none is given) and write results/<scenario>/summary.json.
    Run(run::RunArgs),
    /// Compare two policies on the same org with common random numbers: A, B and B−A with 95 % intervals.
    Compare(compare::CompareArgs),
    /// Merge shard results (files, or folders searched for shard-*.json) into the summary an unsharded run writes.
    Merge(merge::MergeArgs),
    /// Run the full grid of --set key=v1,v2,... values, with common random numbers across points.
    Sweep(sweep::SweepArgs),
    /// Replay a scenario's unbinds against a real SCIM 2.0 service and compare with the simulation.
    Load(load::LoadArgs),
    /// Check scenario files without running them.
    Validate {
        /// Scenario files (or built-in scenario names).
        #[arg(required = true)]
        files: Vec<String>,
    },
    /// List the built-in seed scenarios.
    Scenarios,
}

/// An error with the exit code it deserves.
#[derive(Debug)]
pub(crate) enum CliError {
    BadInput(String),
    Runtime(String),
    GateFailed(String),
    /// A signal stopped the command after it wrote what was complete; the
    /// code is 128 + the signal's number.
    Interrupted {
        code: i32,
        message: String,
    },
}

impl CliError {
    fn exit_code(&self) -> i32 {
        match self {
            CliError::BadInput(_) => EXIT_BAD_INPUT,
            CliError::Runtime(_) => EXIT_RUNTIME,
            CliError::GateFailed(_) => EXIT_GATE,
            CliError::Interrupted { code, .. } => *code,
        }
    }
}

impl std::fmt::Display for CliError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            CliError::BadInput(message)
            | CliError::Runtime(message)
            | CliError::GateFailed(message)
            | CliError::Interrupted { message, .. } => f.write_str(message),
        }
    }
}

impl From<ScenarioError> for CliError {
    fn from(error: ScenarioError) -> Self {
        CliError::BadInput(error.to_string())
    }
}

/// Runs the command line and returns the process exit code.
pub fn main() -> i32 {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(error) => {
            let _ = error.print();
            return if error.use_stderr() { EXIT_BAD_INPUT } else { 0 };
        }
    };
    let name = cli.command.name();
    let result = match cli.command {
        Command::Run(args) => run::run(args),
        Command::Compare(args) => compare::compare(args),
        Command::Merge(args) => merge::merge(args),
        Command::Sweep(args) => sweep::sweep(args),
        Command::Load(args) => load::load(args),
        Command::Validate { files } => validate(&files),
        Command::Scenarios => {
            list_scenarios();
            Ok(())
        }
    };
    let code = match &result {
        Ok(()) => 0,
        Err(error) => {
            noteln!("error: {error}");
            error.exit_code()
        }
    };
    output::finish(name, code, result.err().map(|error| error.to_string()));
    code
}

impl Command {
    /// The subcommand as typed.
    fn name(&self) -> &'static str {
        match self {
            Command::Run(_) => "run",
            Command::Compare(_) => "compare",
            Command::Merge(_) => "merge",
            Command::Sweep(_) => "sweep",
            Command::Load(_) => "load",
            Command::Validate { .. } => "validate",
            Command::Scenarios => "scenarios",
        }
    }
}

/// Loads a scenario (a file or a built-in name); errors are bad input.
pub(crate) fn load_scenario(reference: &str) -> Result<Scenario, CliError> {
    Ok(crate::scenario::load_scenario(reference)?)
}

fn validate(files: &[String]) -> Result<(), CliError> {
    let mut failures = 0;
    for file in files {
        match load_scenario(file) {
            Ok(scenario) => sayln!(
                "ok: {file} ({}, {} workload, {} members, horizon {})",
                scenario.name,
                scenario.workload.kind.name(),
                scenario.org.members,
                scenario.horizon
            ),
            Err(error) => {
                noteln!("error: {error}");
                failures += 1;
            }
        }
    }
    if failures > 0 {
        return Err(CliError::BadInput(format!("{failures} of {} scenario file(s) invalid", files.len())));
    }
    Ok(())
}

fn list_scenarios() {
    for (name, text) in BUILTIN {
        let description = parse_scenario(name, text).map(|s| s.description).unwrap_or_default();
        let first_sentence = description.split(": ").next().unwrap_or(&description);
        sayln!("{name:<24} {first_sentence}");
    }
}

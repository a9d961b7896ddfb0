//! The command line: `run`, `compare`, `sweep`, `merge`, `load`,
//! `explain`, `validate`, `scenarios`, `init`, `completions` and `man`. Parses flags
//! with clap (help wrapped to the terminal's width), loads and checks every
//! scenario before running any (so bad input writes nothing), prints the
//! seed and parameters first, and maps errors to exit codes: 2 for bad
//! input, 1 for runtime failures, 3 for a failed gate, 128 + N for signal N.
//!
//! **Architecture invariant:** `cli` is the last layer: it may use every
//! other, and only `main` uses it. It prints to the terminal (as `live`
//! does during a load run), reads results back (shards, baselines) and
//! writes every file through `report`. It reads no clock itself: `runner`
//! measures wall time for `timing`, and `live` paces a load run.

mod compare;
mod explain;
mod gates;
mod load;
mod merge;
mod newcomer;
mod options;
mod output;
mod overwrite;
mod progress;
mod run;
mod shard;
mod signals;
mod sweep;
mod until_decided;

use crate::scenario::{Scenario, ScenarioError};
use clap::{Parser, Subcommand};
use output::{noteln, sayln};

/// Exit code for bad input: a file or flag the user got wrong.
pub(crate) const EXIT_BAD_INPUT: i32 = 2;
/// Exit code for a failure at run time (I/O, a broken model invariant).
pub(crate) const EXIT_RUNTIME: i32 = 1;
/// Exit code for a failed objective or a confident regression.
pub(crate) const EXIT_GATE: i32 = 3;

/// Examples and exit codes, after the list of commands: each line at most
/// 78 columns, so an 80-column terminal wraps none (clap wraps the rest to
/// the terminal's width).
const AFTER_HELP: &str = "\
Examples:
  Every built-in scenario (results/<scenario>/summary.json):
    unbindsim run
  A built-in scenario's TOML; a commented file to start from:
    unbindsim scenarios --show admin-batch
    unbindsim init mine.toml --from device-change
  Your scenario, every parameter listed first:
    unbindsim run mine.toml --seed 7 --replications 20 --verbose
  In CI: objectives, a baseline, JUnit and one JSON document on stdout:
    unbindsim run mine.toml --baseline results/ --junit junit.xml --format json
  Two policies on the same org, paired; a grid of values:
    unbindsim compare device-change mine.toml
    unbindsim sweep self-exit --set policy.buffer=0h,24h,72h
  From a surprising rate to an example, and its timeline:
    unbindsim explain device-change --find locked_out
    unbindsim explain device-change --member 17
  Shell completions and manual pages:
    unbindsim completions bash > ~/.local/share/bash-completion/completions/unbindsim
    unbindsim man ~/.local/share/man/man1

Exit codes:
  0    success (also when stdout was closed early: the work completed)
  1    runtime failure (I/O, a broken model invariant; the replay is printed)
  2    bad input (a file or flag; the message names where): nothing written
  3    an objective failed, a figure regressed against --baseline, or load
       lost something
  130  interrupted by SIGINT, 143 by SIGTERM: the complete replications were
       written

`unbindsim COMMAND --help` lists a command's flags.";

#[derive(Parser, Debug)]
#[command(
    name = "unbindsim",
    version,
    about = "Discrete-event simulator for unbinding members, devices and app grants from an enterprise workspace",
    after_help = AFTER_HELP
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
    /// Replay one replication and print a member's (device's, grant's) timeline, or --find members by outcome.
    Explain(explain::ExplainArgs),
    /// Check scenario files without running them.
    Validate {
        /// Scenario files (or built-in scenario names).
        #[arg(required = true)]
        files: Vec<String>,
    },
    /// List the built-in seed scenarios, or print one's TOML.
    Scenarios {
        /// Print the TOML of this built-in scenario.
        #[arg(long, value_name = "NAME")]
        show: Option<String>,
    },
    /// Write a commented scenario file to start from (never overwrites).
    Init {
        /// The file to write.
        file: std::path::PathBuf,
        /// The built-in scenario it layers on (`base = "NAME"`).
        #[arg(long, value_name = "NAME", default_value = "admin-batch")]
        from: String,
    },
    /// Print a shell completion script (bash, zsh, fish, elvish, powershell).
    Completions {
        #[arg(value_enum)]
        shell: clap_complete::Shell,
    },
    /// Print the manual page (roff), or write one page per command into DIR.
    Man {
        /// Write unbindsim.1 and unbindsim-COMMAND.1 here (replacing pages
        /// already there), e.g. ~/.local/share/man/man1.
        dir: Option<std::path::PathBuf>,
    },
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
        Command::Explain(args) => explain::explain(args),
        Command::Validate { files } => validate(&files),
        Command::Scenarios { show } => newcomer::scenarios(show.as_deref()),
        Command::Init { file, from } => newcomer::init(&file, &from),
        Command::Completions { shell } => newcomer::completions(shell),
        Command::Man { dir } => newcomer::man(dir.as_deref()),
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
            Command::Explain(_) => "explain",
            Command::Validate { .. } => "validate",
            Command::Scenarios { .. } => "scenarios",
            Command::Init { .. } => "init",
            Command::Completions { .. } => "completions",
            Command::Man { .. } => "man",
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

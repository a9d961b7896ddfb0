//! `unbindsim run`: load and check every scenario, then for each one print
//! the seed and parameters, generate the org, run the replications, write
//! the summary atomically and print its table.

use super::{CliError, load_scenario};
use crate::report::{summary_path, summary_table, write_summary};
use crate::runner::{default_threads, simulate};
use crate::scenario::{BUILTIN, Scenario};
use clap::Args;
use std::path::PathBuf;

/// Seed used when neither the flag nor the scenario gives one.
pub const DEFAULT_SEED: u64 = 42;
/// Replications used when neither the flag nor the scenario gives a count.
pub const DEFAULT_REPLICATIONS: u32 = 10;
/// Memory a run may plan to use before it is refused up front.
const MEMORY_LIMIT_BYTES: u64 = 16 << 30;

#[derive(Args, Debug)]
pub struct RunArgs {
    /// Scenario files or built-in names; all eight seed scenarios if none.
    scenarios: Vec<String>,
    /// Members of the synthetic org (overrides the scenario).
    #[arg(long, value_parser = clap::value_parser!(u32).range(1..))]
    members: Option<u32>,
    /// Seed of the run (overrides the scenario; default 42).
    #[arg(long)]
    seed: Option<u64>,
    /// Replications (overrides the scenario; default 10).
    #[arg(long, value_parser = clap::value_parser!(u32).range(1..=100_000))]
    replications: Option<u32>,
    /// Worker threads (default: all cores); results do not depend on it.
    #[arg(long, value_parser = clap::value_parser!(u32).range(1..=1024))]
    threads: Option<u32>,
    /// Output directory.
    #[arg(long, default_value = "results")]
    out: PathBuf,
    /// Print nothing but errors.
    #[arg(long)]
    quiet: bool,
}

/// A scenario ready to run, with its seed and replication count fixed.
struct Plan {
    reference: String,
    scenario: Scenario,
    seed: u64,
    replications: u32,
}

pub fn run(args: RunArgs) -> Result<(), CliError> {
    let threads = args.threads.map_or_else(default_threads, |t| t as usize);
    let plans = plan(&args, threads)?;
    for plan in &plans {
        run_plan(plan, &args, threads)?;
    }
    Ok(())
}

/// Loads and checks every scenario before anything runs.
fn plan(args: &RunArgs, threads: usize) -> Result<Vec<Plan>, CliError> {
    let references: Vec<String> = if args.scenarios.is_empty() {
        BUILTIN.iter().map(|(name, _)| (*name).to_owned()).collect()
    } else {
        args.scenarios.clone()
    };
    let mut plans = Vec::with_capacity(references.len());
    for reference in references {
        let mut scenario = load_scenario(&reference)?;
        if let Some(members) = args.members {
            scenario.org.members = members;
            scenario.org.validate().map_err(|e| CliError::BadInput(format!("--members {members}: {}", e.message)))?;
        }
        let needed = scenario.org.estimated_bytes().saturating_mul(threads as u64 + 1);
        if needed > MEMORY_LIMIT_BYTES {
            return Err(CliError::BadInput(format!(
                "{reference}: {} members on {threads} thread(s) would need about {} GiB, more than the {} GiB limit; use fewer members or --threads",
                scenario.org.members,
                needed >> 30,
                MEMORY_LIMIT_BYTES >> 30
            )));
        }
        let seed = args.seed.or(scenario.seed).unwrap_or(DEFAULT_SEED);
        let replications = args.replications.or(scenario.replications).unwrap_or(DEFAULT_REPLICATIONS);
        plans.push(Plan { reference, scenario, seed, replications });
    }
    Ok(plans)
}

fn run_plan(plan: &Plan, args: &RunArgs, threads: usize) -> Result<(), CliError> {
    if !args.quiet {
        eprint!("{}", banner(plan, threads));
    }
    let summary = simulate(&plan.scenario, plan.seed, plan.replications, threads)
        .map_err(|fault| CliError::Runtime(format!("{fault}; replay with: {}", replay_command(plan))))?;
    let path = summary_path(&args.out, &plan.scenario.name);
    write_summary(&path, &summary).map_err(|e| CliError::Runtime(format!("{}: cannot write: {e}", path.display())))?;
    if !args.quiet {
        print!("{}", summary_table(&summary));
        println!("  wrote {}\n", path.display());
    }
    Ok(())
}

/// What a run prints before it starts: seed, sizes, and every parameter.
fn banner(plan: &Plan, threads: usize) -> String {
    let scenario = &plan.scenario;
    let mut flat = Vec::new();
    flatten("", &scenario.parameters(), &mut flat);
    format!(
        "run {}: seed {}, {} replication(s), {} members, horizon {}, {} thread(s)\n  replay: {}\n  parameters: {}\n",
        scenario.name,
        plan.seed,
        plan.replications,
        scenario.org.members,
        scenario.horizon,
        threads,
        replay_command(plan),
        flat.join(" ")
    )
}

fn replay_command(plan: &Plan) -> String {
    format!(
        "unbindsim run {} --seed {} --replications {} --members {}",
        plan.reference, plan.seed, plan.replications, plan.scenario.org.members
    )
}

fn flatten(prefix: &str, value: &serde_json::Value, out: &mut Vec<String>) {
    match value {
        serde_json::Value::Object(map) => {
            for (key, value) in map {
                let key = if prefix.is_empty() { key.clone() } else { format!("{prefix}.{key}") };
                flatten(&key, value, out);
            }
        }
        serde_json::Value::String(text) => out.push(format!("{prefix}=\"{text}\"")),
        other => out.push(format!("{prefix}={other}")),
    }
}

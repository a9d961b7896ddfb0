//! The options `run`, `compare` and `sweep` share — org size, org mode,
//! seed, replications, threads, output folder, quietness — and how they
//! resolve against a scenario's own settings (flag, then file, then default).
//! `explain` takes the first four (`ScenarioOptions`), which fix the orgs
//! and streams a replication sees.

use super::output::Format;
use super::overwrite::Guard;
use super::{CliError, load_scenario};
use crate::runner::default_threads;
use crate::scenario::{OrgMode, Scenario};
use clap::{Args, ValueEnum};
use std::path::PathBuf;

/// Seed used when neither the flag nor the scenario gives one.
pub const DEFAULT_SEED: u64 = 42;
/// Replications used when neither the flag nor the scenario gives a count.
pub const DEFAULT_REPLICATIONS: u32 = 10;

/// The values of `--org`.
#[derive(Clone, Copy, Debug, ValueEnum)]
pub enum OrgModeArg {
    Sampled,
    Shared,
}

impl From<OrgModeArg> for OrgMode {
    fn from(mode: OrgModeArg) -> OrgMode {
        match mode {
            OrgModeArg::Sampled => OrgMode::Sampled,
            OrgModeArg::Shared => OrgMode::Shared,
        }
    }
}

/// What fixes the org and the streams of a replication.
#[derive(Args, Debug)]
pub struct ScenarioOptions {
    /// Members of the synthetic org (overrides the scenario).
    #[arg(long, value_parser = clap::value_parser!(u32).range(1..))]
    pub members: Option<u32>,
    /// How replications get their orgs (overrides the scenario's `org_mode`):
    /// `sampled` (the default) generates each one's own org from its own seed;
    /// `shared` keeps the org of the run seed for all, and every figure is
    /// conditional on it.
    #[arg(long = "org", value_enum)]
    pub org_mode: Option<OrgModeArg>,
    /// With `--org shared`: generate the shared org from this seed rather
    /// than the run's, so runs of several seeds see one org.
    #[arg(long)]
    pub org_seed: Option<u64>,
    /// Seed of the run (overrides the scenario; default 42).
    #[arg(long)]
    pub seed: Option<u64>,
}

#[derive(Args, Debug)]
pub struct RunOptions {
    #[command(flatten)]
    pub scenario: ScenarioOptions,
    /// Replications (overrides the scenario; default 10).
    #[arg(long, value_parser = clap::value_parser!(u32).range(1..=100_000))]
    pub replications: Option<u32>,
    /// Worker threads (default: all cores); results do not depend on it.
    #[arg(long, value_parser = clap::value_parser!(u32).range(1..=1024))]
    pub threads: Option<u32>,
    /// Output directory.
    #[arg(long, default_value = "results")]
    pub out: PathBuf,
    /// Print nothing but errors (and no progress bar).
    #[arg(long)]
    pub quiet: bool,
    /// `json`: print one JSON document on stdout at the end (what was
    /// written, with its verdicts, and the exit code); tables go to stderr.
    #[arg(long, value_enum, default_value = "text")]
    pub format: Format,
    /// Replace results of another run in the output folder (refused
    /// otherwise; the results of the same run are always replaced).
    #[arg(long)]
    pub overwrite: bool,
}

impl ScenarioOptions {
    /// Loads a scenario and applies `--members`.
    pub fn load(&self, reference: &str) -> Result<Scenario, CliError> {
        self.sized(load_scenario(reference)?)
    }

    /// Applies `--members` and `--org` to a scenario.
    pub fn sized(&self, mut scenario: Scenario) -> Result<Scenario, CliError> {
        if let Some(mode) = self.org_mode {
            scenario.org_mode = mode.into();
        }
        if let Some(seed) = self.org_seed {
            if scenario.org_mode != OrgMode::Shared {
                return Err(CliError::BadInput(format!(
                    "--org-seed {seed}: {} samples an org per replication; add --org shared",
                    scenario.name
                )));
            }
            scenario.org_seed = Some(seed);
        }
        if let Some(members) = self.members {
            scenario.org.members = members;
            scenario.org.validate().map_err(|e| CliError::BadInput(format!("--members {members}: {}", e.message)))?;
            if let Some(named) = scenario.workload.highest_member().filter(|named| named.0 >= members) {
                return Err(CliError::BadInput(format!("--members {members}: the script names member {}", named.0)));
            }
        }
        Ok(scenario)
    }

    pub fn seed_for(&self, scenario: &Scenario) -> u64 {
        self.seed.or(scenario.seed).unwrap_or(DEFAULT_SEED)
    }
}

impl RunOptions {
    /// How results in the way are treated.
    pub fn guard(&self) -> Guard {
        Guard { overwrite: self.overwrite }
    }

    pub fn threads(&self) -> usize {
        self.threads.map_or_else(default_threads, |t| t as usize)
    }

    pub fn replications_for(&self, scenario: &Scenario) -> u32 {
        self.replications.or(scenario.replications).unwrap_or(DEFAULT_REPLICATIONS)
    }
}

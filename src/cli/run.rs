//! `unbindsim run`: load and check every scenario and print each one's seed
//! and parameters; run all their replications on one pool of threads (orgs
//! shared where scenarios agree on them); then, scenario by scenario, write
//! the summary atomically, print its table and gate on its objectives — or,
//! with `--shard`, write one share of the replications as a shard file for
//! `merge`.

use super::CliError;
use super::gates::{BaselineArgs, Baselines, Checked, Gates};
use super::options::RunOptions;
use super::output::{self, note, noteln, say, sayln};
use super::overwrite::{refuse_duplicate_names, writable_file};
use super::shard::parse_shard;
use super::signals::{self, keep_gap_free};
use super::until_decided::{cap_of, check_objectives, simulate_until_decided};
use crate::metrics::{ReplicationRecord, ShardFile, ShardId, Summary, Timing};
use crate::report::{RunStatus, WrittenSummary, summary_path, summary_table, write_json_line, write_summary};
use crate::runner::{
    Seeds, SummaryJob, Task, TaskResult, TaskRun, check_memory, run_info, simulate_tasks, summarize, summarize_all,
    timing,
};
use crate::scenario::{BUILTIN, Scenario};
use clap::Args;
use std::path::{Path, PathBuf};

#[derive(Args, Debug)]
pub struct RunArgs {
    /// Scenario files or built-in names; every seed scenario (see `unbindsim scenarios`) if none.
    scenarios: Vec<String>,
    #[command(flatten)]
    options: RunOptions,
    /// Run only share I of N of the replications (`I/N`, or `auto` / `auto/N`
    /// to read I from SLURM_ARRAY_TASK_ID or JOB_COMPLETION_INDEX and N from
    /// SLURM_ARRAY_TASK_COUNT) and write a shard file for `merge`.
    #[arg(long)]
    shard: Option<String>,
    /// Write the objectives' and the baseline check's verdicts as JUnit XML.
    #[arg(long)]
    junit: Option<PathBuf>,
    #[command(flatten)]
    baseline: BaselineArgs,
    /// Add rounds of replications (the scenario's count each) until every
    /// objective is PASS or FAIL; each look spends part of a 5 % error rate
    /// (Pocock-type alpha spending), so the whole sequence errs at most 5 %.
    #[arg(long)]
    until_decided: bool,
    /// With --until-decided: never run more replications than this
    /// (default: ten rounds).
    #[arg(long, requires = "until_decided", value_parser = clap::value_parser!(u32).range(1..=100_000))]
    max_replications: Option<u32>,
    /// List every resolved parameter before the run, not only those that
    /// differ from the defaults.
    #[arg(long)]
    verbose: bool,
}

/// A scenario ready to run, with its seed and replication count fixed.
pub struct Plan {
    reference: String,
    pub scenario: Scenario,
    pub seed: u64,
    pub replications: u32,
}

impl Plan {
    fn seeds(&self) -> Seeds {
        Seeds::of(&self.scenario, self.seed)
    }
}

pub fn run(args: RunArgs) -> Result<(), CliError> {
    output::begin(args.options.format);
    let threads = args.options.threads();
    let shard = args.shard.as_deref().map(parse_shard).transpose()?;
    let plans = plan(&args)?;
    let indices: Vec<Vec<u32>> = plans
        .iter()
        .map(|plan| match shard {
            Some(shard) => shard.replications(plan.replications),
            None => (0..plan.replications).collect(),
        })
        .collect();
    check_memory(&tasks_of(&plans.iter().collect::<Vec<_>>(), &indices), threads).map_err(CliError::BadInput)?;
    let baselines = Baselines::read(&args.baseline)?;
    let infos: Vec<_> = plans.iter().map(|plan| run_info(&plan.scenario, plan.seed, plan.replications)).collect();
    let baseline_of = baselines.for_runs(&infos)?;
    check_outputs(&plans, &args, shard)?;
    let unchecked: Vec<&str> = infos
        .iter()
        .zip(&baseline_of)
        .filter(|(_, baseline)| baseline.is_none())
        .map(|(info, _)| info.scenario.as_str())
        .collect();
    if baseline_of.iter().any(Option::is_some) && !unchecked.is_empty() {
        noteln!(
            "note: --baseline names one summary; not checked against a baseline: {} (give a results folder to check every scenario)",
            unchecked.join(", ")
        );
    }
    signals::watch()?;
    if !args.options.quiet {
        plans.iter().for_each(|plan| note!("{}", banner(plan, threads, args.verbose)));
    }
    if args.until_decided {
        return run_until_decided(&args, &plans, &baselines, &baseline_of, threads);
    }
    let results = simulate_plans(&plans.iter().collect::<Vec<_>>(), &indices, threads, args.options.quiet);
    let mut runs = plans
        .iter()
        .zip(results)
        .map(|(plan, result)| {
            result.map_err(|fault| CliError::Runtime(format!("{fault}; replay with: {}", replay_command(plan))))
        })
        .collect::<Result<Vec<_>, _>>()?;
    let cut: Vec<bool> =
        runs.iter_mut().zip(&indices).map(|(run, planned)| !keep_gap_free(&mut run.records, planned)).collect();
    if let Some(signal) = signals::received().filter(|_| cut.contains(&true)) {
        return write_interrupted(&plans, runs, &indices, &args, shard, signal);
    }
    if let Some(shard) = shard {
        for (plan, run) in plans.iter().zip(runs) {
            write_shard(plan, &args, shard, timing(&run, threads), run.records)?;
        }
        return Ok(());
    }
    let jobs: Vec<SummaryJob<'_>> = plans
        .iter()
        .zip(&runs)
        .map(|(plan, run)| SummaryJob {
            scenario: &plan.scenario,
            seed: plan.seed,
            replications: plan.replications,
            records: &run.records,
            timing: timing(run, threads),
        })
        .collect();
    let mut gates = Gates::default();
    let mut stopped_early = Vec::new();
    for ((plan, summary), baseline) in plans.iter().zip(summarize_all(&jobs, threads)).zip(&baseline_of) {
        let baseline = baseline.as_ref().map(|baseline| (baseline, baselines.gate(&plan.scenario.slo)));
        let mut checked = gates.check(&summary.scenario, &summary, &plan.scenario.slo, baseline);
        gates.live_not_judged(&mut checked, &plan.scenario.live_slo);
        let path = summary_path(&args.options.out, &summary.scenario);
        write_and_print(&path, &summary, &RunStatus::of(&summary), &checked, "wrote", args.options.quiet)?;
        if summary.stopped_by_event_limit() {
            stopped_early.push(summary.scenario.clone());
        }
    }
    let gated = gates.finish(args.junit.as_deref());
    event_limit_verdict(&stopped_early).and(gated)
}

/// A run whose replications the event limit stopped failed at run time
/// (exit 1, before a failed objective's 3: its figures are partial), after
/// its partial summaries were written and gated.
pub fn event_limit_verdict(scenarios: &[String]) -> Result<(), CliError> {
    if scenarios.is_empty() {
        return Ok(());
    }
    Err(CliError::Runtime(format!(
        "{}: a replication hit the event limit before the horizon; the summary is marked \"status\": \"event-limit\" and its figures are partial",
        scenarios.join(", ")
    )))
}

/// `run --until-decided`: rounds until the objectives are decided, then
/// each scenario's summary, its verdicts from the looks, and the baseline.
fn run_until_decided(
    args: &RunArgs,
    plans: &[Plan],
    baselines: &Baselines,
    baseline_of: &[Option<Summary>],
    threads: usize,
) -> Result<(), CliError> {
    if args.shard.is_some() {
        return Err(CliError::BadInput("--until-decided cannot run a shard: every look needs all replications".into()));
    }
    check_objectives(plans)?;
    let decided = simulate_until_decided(plans, args.max_replications, threads, args.options.quiet)?;
    let mut gates = Gates::default();
    for ((plan, decided), baseline) in plans.iter().zip(decided).zip(baseline_of) {
        let timing = timing(&decided.run, threads);
        let summary = summarize(&plan.scenario, plan.seed, decided.replications, &decided.run.records, timing);
        let heading = format!(
            "objectives, decided in {} look(s) of up to {} replications (5 % error over all looks)",
            decided.sequence.looks(),
            cap_of(plan, args.max_replications)
        );
        let mut checked = Checked::default();
        gates.start(&summary.scenario, &summary);
        let verdicts = decided.sequence.verdicts();
        gates.objectives(&mut checked, &summary.scenario, &heading, &plan.scenario.slo, &verdicts);
        gates.live_not_judged(&mut checked, &plan.scenario.live_slo);
        if let Some(baseline) = baseline {
            gates.baseline(&mut checked, &summary, baseline, &baselines.gate(&plan.scenario.slo));
        }
        let path = summary_path(&args.options.out, &summary.scenario);
        write_and_print(&path, &summary, &RunStatus::of(&summary), &checked, "wrote", args.options.quiet)?;
    }
    gates.finish(args.junit.as_deref())
}

/// Every plan's replications `indices` on one pool of threads, behind one
/// progress bar.
pub fn simulate_plans(plans: &[&Plan], indices: &[Vec<u32>], threads: usize, quiet: bool) -> Vec<TaskResult> {
    let tasks = tasks_of(plans, indices);
    let total = indices.iter().map(|indices| indices.len() as u64).sum();
    let label = match plans {
        [one] => one.scenario.name.clone(),
        _ => format!("{} scenarios", plans.len()),
    };
    let progress = super::progress::bar(total, &label, quiet);
    let results = simulate_tasks(&tasks, threads, &|_| progress.inc(1), &signals::stop_requested);
    progress.finish_and_clear();
    results
}

/// Refuses duplicate names, and results of other runs in the way of
/// this one's summaries (or shards).
fn check_outputs(plans: &[Plan], args: &RunArgs, shard: Option<ShardId>) -> Result<(), CliError> {
    refuse_duplicate_names(plans.iter().map(|plan| plan.scenario.name.as_str()))?;
    args.junit.as_deref().map_or(Ok(()), writable_file)?;
    let guard = args.options.guard();
    for plan in plans {
        let info = run_info(&plan.scenario, plan.seed, plan.replications);
        match shard {
            Some(shard) => guard.same_run(&shard_path(plan, args, shard), "/info", &info, false)?,
            None => guard.same_run(&summary_path(&args.options.out, &info.scenario), "", &info, args.until_decided)?,
        }
    }
    Ok(())
}

/// The pool's tasks: each plan's replications `indices`.
fn tasks_of<'a>(plans: &[&'a Plan], indices: &'a [Vec<u32>]) -> Vec<Task<'a>> {
    plans
        .iter()
        .zip(indices)
        .map(|(plan, indices)| Task { scenario: &plan.scenario, seeds: plan.seeds(), indices })
        .collect()
}

/// Loads and checks every scenario before anything runs.
fn plan(args: &RunArgs) -> Result<Vec<Plan>, CliError> {
    let references: Vec<String> = if args.scenarios.is_empty() {
        BUILTIN.iter().map(|(name, _)| (*name).to_owned()).collect()
    } else {
        args.scenarios.clone()
    };
    let mut plans = Vec::with_capacity(references.len());
    for reference in references {
        let scenario = args.options.scenario.load(&reference)?;
        let (seed, replications) =
            (args.options.scenario.seed_for(&scenario), args.options.replications_for(&scenario));
        plans.push(Plan { reference, scenario, seed, replications });
    }
    Ok(plans)
}

/// After a signal: each scenario's first replications without a gap, as
/// a summary marked interrupted (with `--shard`: only the shards whose
/// every replication finished); nothing for a scenario with none. Ends
/// with the signal's exit code.
fn write_interrupted(
    plans: &[Plan],
    runs: Vec<TaskRun>,
    indices: &[Vec<u32>],
    args: &RunArgs,
    shard: Option<ShardId>,
    signal: i32,
) -> Result<(), CliError> {
    let threads = args.options.threads();
    let mut wrote = Vec::new();
    for ((plan, run), planned) in plans.iter().zip(runs).zip(indices) {
        let done = run.records.len() as u32;
        let name = &plan.scenario.name;
        match shard {
            _ if done == 0 => {}
            Some(shard) if done as usize == planned.len() => {
                write_shard(plan, args, shard, timing(&run, threads), run.records)?;
                wrote.push(format!("{name} (its shard)"));
            }
            Some(_) => {}
            None => {
                let summary = summarize(&plan.scenario, plan.seed, done, &run.records, timing(&run, threads));
                let status = if done == plan.replications {
                    RunStatus::of(&summary)
                } else {
                    RunStatus::interrupted(signals::name(signal), plan.replications, done)
                };
                let path = summary_path(&args.options.out, name);
                write_and_print(&path, &summary, &status, &Checked::default(), "wrote", args.options.quiet)?;
                wrote.push(format!("{name} ({done} of {} replications)", planned.len()));
            }
        }
    }
    let wrote = if wrote.is_empty() {
        "nothing was complete, nothing written".to_owned()
    } else {
        format!("wrote {}", wrote.join(", "))
    };
    Err(signals::interrupted(signal, &wrote))
}

/// Writes `summary` to `path` with how it ended and its verdicts, adds it
/// to the `--format json` document, and prints its table, `done` and the
/// path, and the verdicts (unless `quiet`).
pub fn write_and_print(
    path: &Path,
    summary: &Summary,
    status: &RunStatus,
    checked: &Checked,
    done: &str,
    quiet: bool,
) -> Result<(), CliError> {
    let written = WrittenSummary { summary, status, verdicts: &checked.verdicts };
    write_summary(path, &written).map_err(|e| CliError::Runtime(format!("{}: cannot write: {e}", path.display())))?;
    output::add("summaries", &written);
    if !quiet {
        say!("{}", summary_table(summary));
        sayln!("  {done} {}\n", path.display());
        say!("{}", checked.text);
    }
    Ok(())
}

/// Writes this shard's records as a shard file for `merge`.
fn write_shard(
    plan: &Plan,
    args: &RunArgs,
    shard: ShardId,
    timing: Timing,
    records: Vec<ReplicationRecord>,
) -> Result<(), CliError> {
    let indices: Vec<u32> = records.iter().map(|record| record.index).collect();
    let info = run_info(&plan.scenario, plan.seed, plan.replications);
    let file = ShardFile::new(info, shard, timing, records);
    let path = shard_path(plan, args, shard);
    write_json_line(&path, &file).map_err(|e| CliError::Runtime(format!("{}: cannot write: {e}", path.display())))?;
    if !args.options.quiet {
        sayln!(
            "shard {}/{} of {}: replications {indices:?}, wrote {}",
            shard.index,
            shard.count,
            plan.scenario.name,
            path.display()
        );
    }
    Ok(())
}

fn shard_path(plan: &Plan, args: &RunArgs, shard: ShardId) -> PathBuf {
    args.options.out.join(&plan.scenario.name).join(format!("shard-{}-of-{}.json", shard.index, shard.count))
}

/// What a run prints before it starts: seed, sizes, and the parameters
/// not at their defaults (every one with `--verbose`), one `key=value` a
/// line in the scenario file's syntax, as `sweep --set` takes them.
fn banner(plan: &Plan, threads: usize, verbose: bool) -> String {
    let scenario = &plan.scenario;
    let all = scenario.settings();
    let (heading, shown) = if verbose {
        (format!("all {}", all.len()), all)
    } else {
        let changed = scenario.changed_settings();
        (format!("{} not at their defaults (--verbose lists all {})", changed.len(), all.len()), changed)
    };
    let lines: String = shown.iter().map(|setting| format!("    {setting}\n")).collect();
    format!(
        "run {}: seed {}, {} replication(s), {} members, horizon {}, {} thread(s), {}\n  replay: {}\n  parameters: {heading}\n{lines}",
        scenario.name,
        plan.seed,
        plan.replications,
        scenario.org.members,
        scenario.horizon,
        threads,
        plan.seeds().org_draw(),
        replay_command(plan),
    )
}

fn replay_command(plan: &Plan) -> String {
    let org_seed = plan.scenario.org_seed.map_or_else(String::new, |seed| format!(" --org-seed {seed}"));
    format!(
        "unbindsim run {} --seed {} --replications {} --members {} --org {}{org_seed}",
        plan.reference,
        plan.seed,
        plan.replications,
        plan.scenario.org.members,
        plan.scenario.org_mode.name()
    )
}

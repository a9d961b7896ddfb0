//! `unbindsim compare A B`: both scenarios on the same orgs and seeds, so
//! replication *i* of A and of B see the same org (org *i*, or the one
//! shared org) and the same people doing the same things (common random
//! numbers); every figure is reported as A, B and the paired difference
//! B−A with its 95 % interval, a p-value and a Holm-adjusted one over
//! every figure compared. `--independent` gives B other streams (and other
//! orgs when they are sampled), to show what pairing buys.
//!
//! Both sides run on one seed, one replication count and one org mode: the
//! flags, else A's file. A B whose file sets another seed or count is
//! refused (exit 2) rather than silently overridden, and so are two
//! workload kinds unless `--force`, and two org modes unless `--org`.
//! Latencies print in human units; the JSON keeps milliseconds, with `_ms`
//! in the figure's key.

use super::CliError;
use super::options::RunOptions;
use super::output::{self, noteln, say, sayln};
use super::signals::{self, keep_gap_free};
use crate::metrics::{Comparison, OrgDraw, Pairing, ReplicationRecord, Test, compare_records, format_duration_ms};
use crate::report::{RunStatus, run_key, write_json};
use crate::runner::{Seeds, Task, run_info, simulate_tasks};
use crate::scenario::{Scenario, Unit};
use clap::Args;
use serde::Serialize;
use std::collections::BTreeMap;
use std::fmt::Write;

#[derive(Args, Debug)]
pub struct CompareArgs {
    /// The baseline policy (file or built-in name).
    a: String,
    /// The alternative policy, on the same org.
    b: String,
    /// Run B on streams independent of A's (no common random numbers).
    #[arg(long)]
    independent: bool,
    /// Compare scenarios of different workload kinds (refused otherwise).
    #[arg(long)]
    force: bool,
    #[command(flatten)]
    options: RunOptions,
}

/// What `comparison.json` holds.
#[derive(Serialize)]
struct ComparisonFile<'a> {
    schema_version: u32,
    a: &'a str,
    b: &'a str,
    seed: u64,
    members: u32,
    replications: u32,
    /// How the orgs were drawn (replication *i* of A and B share org *i*
    /// unless `--independent` samples B's orgs apart).
    org: OrgDraw,
    /// "paired" (common random numbers) or "independent".
    mode: &'a str,
    /// How many figures the Holm adjustment ran over (every figure compared with a p-value).
    holm_family: usize,
    /// The same for the residue-over-time figures, a family of their own.
    residue_over_time_holm_family: usize,
    figures: &'a BTreeMap<String, crate::metrics::FigureComparison>,
    /// A key of both sides' runs and the mode: a later comparison replaces
    /// this file only when its key is the same (or with `--overwrite`).
    run_key: &'a str,
    #[serde(flatten)]
    status: RunStatus,
}

pub fn compare(args: CompareArgs) -> Result<(), CliError> {
    let options = &args.options;
    output::begin(options.format);
    let (a, b) = (options.scenario.load(&args.a)?, options.scenario.load(&args.b)?);
    let (seed, replications) = check_comparable(&a, &b, &args)?;
    let mode = if args.independent { "independent" } else { "paired" };
    let org = Seeds::of(&a, seed).org_draw();
    if !options.quiet {
        noteln!(
            "compare {} vs {}: seed {seed}, {replications} replications, {} members, {mode}, {org}\n  replay: unbindsim compare {} {} --seed {seed} --replications {replications} --members {} --org {}{}",
            a.name,
            b.name,
            a.org.members,
            args.a,
            args.b,
            a.org.members,
            a.org_mode.name(),
            if args.independent { " --independent" } else { "" }
        );
    }
    let run_key = run_key(&(run_info(&a, seed, replications), run_info(&b, seed, replications), mode));
    let directory = options.out.join(format!(
        "compare-{}-vs-{}{}",
        a.name,
        b.name,
        if args.independent { "-independent" } else { "" }
    ));
    let path = directory.join("comparison.json");
    options.guard().same_key(&path, &run_key)?;
    signals::watch()?;
    let (records_a, records_b) = simulate_both(&a, &b, &args, seed, replications)?;
    let (done, status) = (records_a.len() as u32, completion(records_a.len() as u32, replications)?);
    let pairing = match (args.independent, same_model(&a, &b)) {
        (true, _) => Pairing::Independent,
        (false, true) => Pairing::SameModel,
        (false, false) => Pairing::Paired,
    };
    let comparison = compare_records(&records_a, &records_b, pairing);
    let file = ComparisonFile {
        schema_version: 1,
        a: &a.name,
        b: &b.name,
        seed,
        members: a.org.members,
        replications: done,
        org,
        mode,
        holm_family: comparison.holm_family,
        residue_over_time_holm_family: comparison.residue_over_time_holm_family,
        figures: &comparison.figures,
        run_key: &run_key,
        status,
    };
    output::add("comparisons", &file);
    write_json(&path, &file).map_err(|e| CliError::Runtime(format!("{}: cannot write: {e}", path.display())))?;
    if !options.quiet {
        say!("{}", comparison_table(&a.name, &b.name, &comparison));
        sayln!("  wrote {}", path.display());
    }
    match signals::received() {
        Some(signal) if done < replications => Err(signals::interrupted(
            signal,
            &format!("wrote {} ({done} of {replications} replications)", path.display()),
        )),
        _ => Ok(()),
    }
}

/// How a comparison of `done` of `planned` replication pairs ended; an
/// error when a signal left fewer than two.
fn completion(done: u32, planned: u32) -> Result<RunStatus, CliError> {
    match signals::received() {
        Some(signal) if done < planned && done < 2 => {
            Err(signals::interrupted(signal, "nothing written: fewer than two replication pairs were complete"))
        }
        Some(signal) if done < planned => Ok(RunStatus::interrupted(signals::name(signal), planned, done)),
        _ => Ok(RunStatus::complete()),
    }
}

/// The seed and replication count both sides run with, after refusing
/// what would make the comparison meaningless or silently not what B's
/// file says: another org, fewer than two replications, another workload
/// kind (unless `--force`), a seed or count in B's file that differs from
/// A's without a flag to settle it.
fn check_comparable(a: &Scenario, b: &Scenario, args: &CompareArgs) -> Result<(u64, u32), CliError> {
    let (options, refs) = (&args.options, (&args.a, &args.b));
    if a.org != b.org {
        return Err(CliError::BadInput(format!(
            "{} and {} describe different orgs: a comparison needs the same [org] (use base = \"...\" to share it)",
            refs.0, refs.1
        )));
    }
    same_org_mode(args, a, b)?;
    let (seed, replications) = (options.scenario.seed_for(a), options.replications_for(a));
    if replications < 2 {
        return Err(CliError::BadInput(format!(
            "--replications {replications}: a comparison needs at least 2 (intervals)"
        )));
    }
    let kinds = (a.workload.kind.name(), b.workload.kind.name());
    if kinds.0 != kinds.1 && !args.force {
        return Err(CliError::BadInput(format!(
            "{} is a {} workload and {} a {} one: their figures measure different things (pass --force to compare anyway)",
            refs.0, kinds.0, refs.1, kinds.1
        )));
    }
    let unsettled = |what: &str, flag: &str, b_value: Option<u64>, used: u64| match b_value {
        Some(value) if value != used => Err(CliError::BadInput(format!(
            "{} sets {what} = {value} but {} runs with {used}: both sides of a comparison run with one {what}, so replication i of each is paired; pass {flag} to choose it",
            refs.1, refs.0
        ))),
        Some(_) | None => Ok(()),
    };
    if options.scenario.seed.is_none() {
        unsettled("seed", "--seed", b.seed, seed)?;
    }
    if options.replications.is_none() {
        unsettled("replications", "--replications", b.replications.map(u64::from), u64::from(replications))?;
    }
    Ok((seed, replications))
}

/// Whether B is A's model (names, descriptions and objectives aside): on
/// A's streams every difference is then zero by construction.
fn same_model(a: &Scenario, b: &Scenario) -> bool {
    (a.horizon, &a.org, &a.policy, &a.behaviour, &a.workload)
        == (b.horizon, &b.org, &b.policy, &b.behaviour, &b.workload)
}

/// Both sides must draw their orgs the same way, so replication *i* of
/// each runs on the same org.
fn same_org_mode(args: &CompareArgs, a: &Scenario, b: &Scenario) -> Result<(), CliError> {
    if a.org_mode == b.org_mode {
        return Ok(());
    }
    Err(CliError::BadInput(format!(
        "{} has org_mode = \"{}\", {} has \"{}\": a comparison draws the orgs one way (give --org)",
        args.a,
        a.org_mode.name(),
        args.b,
        b.org_mode.name()
    )))
}

/// Replications `0..replications` of `a` and of `b` on one pool of
/// threads; B on A's streams unless `--independent`.
fn simulate_both(
    a: &Scenario,
    b: &Scenario,
    args: &CompareArgs,
    seed: u64,
    replications: u32,
) -> Result<(Vec<ReplicationRecord>, Vec<ReplicationRecord>), CliError> {
    let indices: Vec<u32> = (0..replications).collect();
    let runtime = |fault: crate::runner::RunFault| CliError::Runtime(fault.to_string());
    let a_seeds = Seeds::of(a, seed);
    let b_seeds = if args.independent { Seeds::independent(a, seed) } else { a_seeds };
    let tasks = [
        Task { scenario: a, seeds: a_seeds, indices: &indices },
        Task { scenario: b, seeds: b_seeds, indices: &indices },
    ];
    crate::runner::check_memory(&tasks, args.options.threads()).map_err(CliError::BadInput)?;
    let progress = super::progress::bar(2 * u64::from(replications), "compare", args.options.quiet);
    let threads = args.options.threads();
    let mut sides = simulate_tasks(&tasks, threads, &|_| progress.inc(1), &signals::stop_requested).into_iter();
    progress.finish_and_clear();
    let mut records_a = sides.next().expect("one result per task").map_err(runtime)?.records;
    let mut records_b = sides.next().expect("one result per task").map_err(runtime)?.records;
    // After a signal: the pairs both sides finished, without a gap.
    keep_gap_free(&mut records_a, &indices);
    keep_gap_free(&mut records_b, &indices);
    let pairs = records_a.len().min(records_b.len());
    records_a.truncate(pairs);
    records_b.truncate(pairs);
    Ok((records_a, records_b))
}

fn comparison_table(a: &str, b: &str, comparison: &Comparison) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "  {:<34} {:>12} {:>12} {:>12} {:>22} {:>7}  {:<3}  Holm",
        "figure", a, b, "B - A", "[95 % CI]", "p", "sig"
    );
    let mut without_interval: BTreeMap<&str, Vec<&str>> = BTreeMap::new();
    for (name, figure) in &comparison.figures {
        if let Some(reason) = &figure.null_reason {
            without_interval.entry(reason).or_default().push(name);
        }
        let (Some(ea), Some(eb), Some(d)) = (figure.a, figure.b, figure.difference) else { continue };
        let shown = |value: f64| shown(value, figure.unit);
        let ci = d.ci95.map_or_else(|| "—".to_owned(), |[low, high]| format!("[{}, {}]", shown(low), shown(high)));
        let p = figure
            .p_value
            .map_or_else(|| "—".to_owned(), |p| if p < 0.001 { "<0.001".to_owned() } else { format!("{p:.3}") });
        let _ = writeln!(
            out,
            "  {name:<34} {:>12} {:>12} {:>12} {ci:>22} {p:>7}  {:<3}  {}",
            shown(ea.mean),
            shown(eb.mean),
            shown(d.mean),
            yes_no(figure.significant),
            yes_no(figure.significant_holm)
        );
    }
    let tested = comparison.figures.values().filter(|figure| figure.p_value.is_some()).count();
    let _ = writeln!(
        out,
        "  sig: p < 0.05 for the figure alone (exact sign-flip test over the replications that differ, paired t beyond 16 of them, Welch t when independent)\n  Holm: adjusted over the family of the {} figures whose test can reach p < 0.05{}",
        comparison.holm_family,
        match tested - comparison.holm_family - comparison.residue_over_time_holm_family {
            0 => String::new(),
            left_out => format!(
                " ({left_out} more cannot, too few of their paired replications differing, and are never significant)"
            ),
        }
    );
    if comparison.residue_over_time_holm_family > 0 {
        let _ = writeln!(
            out,
            "  (residue over time, residue_<kind or platform>_<t> and residue-days: a Holm family of its own, {} figures)",
            comparison.residue_over_time_holm_family
        );
    }
    if comparison.figures.values().any(|figure| figure.test == Some(Test::ByConstruction)) {
        let _ = writeln!(out, "  B is A's model on A's streams: every difference is zero by construction");
    }
    for (reason, names) in without_interval {
        let _ = writeln!(out, "  no interval ({reason}): {}", names.join(", "));
    }
    out
}

fn yes_no(significant: Option<bool>) -> &'static str {
    match significant {
        Some(true) => "yes",
        Some(false) => "no",
        None => "—",
    }
}

/// A value as the table prints it: latencies in human units, signed.
fn shown(value: f64, unit: Option<Unit>) -> String {
    match unit {
        Some(Unit::Milliseconds) if value < 0.0 => format!("-{}", format_duration_ms(-value)),
        Some(Unit::Milliseconds) => format_duration_ms(value),
        Some(
            Unit::Fraction | Unit::Batches | Unit::Members | Unit::Events | Unit::Grants | Unit::Days | Unit::Requests,
        )
        | None => number(value),
    }
}

fn number(value: f64) -> String {
    if value.abs() >= 1000.0 { format!("{value:.0}") } else { format!("{value:.4}") }
}

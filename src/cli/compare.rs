//! `unbindsim compare A B`: both scenarios on the same orgs and seeds, so
//! replication *i* of A and of B see the same org (org *i*, or the one
//! shared org) and the same people doing the same things (common random
//! numbers); every figure is reported as A, B and the paired difference
//! B−A with its 95 % interval. `--independent` gives B other streams (and
//! other orgs when they are sampled), to show what pairing buys.

use super::CliError;
use super::options::RunOptions;
use crate::metrics::{FigureComparison, OrgDraw, ReplicationRecord, compare_records};
use crate::report::write_json;
use crate::runner::{Seeds, Task, simulate_tasks};
use crate::scenario::Scenario;
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
    figures: &'a BTreeMap<String, FigureComparison>,
}

pub fn compare(args: CompareArgs) -> Result<(), CliError> {
    let options = &args.options;
    let (a, b) = (options.load(&args.a)?, options.load(&args.b)?);
    if a.org != b.org {
        return Err(CliError::BadInput(format!(
            "{} and {} describe different orgs: a comparison needs the same [org] (use base = \"...\" to share it)",
            args.a, args.b
        )));
    }
    same_org_mode(&args, &a, &b)?;
    let (seed, replications) = (options.seed_for(&a), options.replications_for(&a));
    if replications < 2 {
        return Err(CliError::BadInput(format!(
            "--replications {replications}: a comparison needs at least 2 (intervals)"
        )));
    }
    let mode = if args.independent { "independent" } else { "paired" };
    let org = Seeds::same(seed, a.org_mode).org_draw();
    if !options.quiet {
        eprintln!(
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
    let (records_a, records_b) = simulate_both(&a, &b, &args, seed, replications)?;
    let figures = compare_records(&records_a, &records_b, !args.independent);
    let file = ComparisonFile {
        schema_version: 1,
        a: &a.name,
        b: &b.name,
        seed,
        members: a.org.members,
        replications,
        org,
        mode,
        figures: &figures,
    };
    let directory = options.out.join(format!(
        "compare-{}-vs-{}{}",
        a.name,
        b.name,
        if args.independent { "-independent" } else { "" }
    ));
    let path = directory.join("comparison.json");
    write_json(&path, &file).map_err(|e| CliError::Runtime(format!("{}: cannot write: {e}", path.display())))?;
    if !options.quiet {
        print!("{}", comparison_table(&a.name, &b.name, &figures));
        println!("  wrote {}", path.display());
    }
    Ok(())
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
    let progress = super::progress::bar(2 * u64::from(replications), "compare", args.options.quiet);
    let a_seeds = Seeds::same(seed, a.org_mode);
    let b_seeds = if args.independent { Seeds::independent(seed, a.org_mode) } else { a_seeds };
    let tasks = [
        Task { scenario: a, seeds: a_seeds, indices: &indices },
        Task { scenario: b, seeds: b_seeds, indices: &indices },
    ];
    let mut sides = simulate_tasks(&tasks, args.options.threads(), &|_| progress.inc(1)).into_iter();
    progress.finish_and_clear();
    let records_a = sides.next().expect("one result per task").map_err(runtime)?.records;
    let records_b = sides.next().expect("one result per task").map_err(runtime)?.records;
    Ok((records_a, records_b))
}

fn comparison_table(a: &str, b: &str, figures: &BTreeMap<String, FigureComparison>) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "  {:<34} {:>12} {:>12} {:>30}  significant", "figure", a, b, "B - A [95 % CI]");
    for (name, figure) in figures {
        let (Some(ea), Some(eb), Some(d)) = (figure.a, figure.b, figure.difference) else { continue };
        let ci = d.ci95.map_or_else(|| "—".to_owned(), |[low, high]| format!("[{}, {}]", number(low), number(high)));
        let verdict = match figure.significant {
            Some(true) => "yes",
            Some(false) => "no",
            None => "—",
        };
        let _ = writeln!(
            out,
            "  {name:<34} {:>12} {:>12} {:>12} {ci:>17}  {verdict}",
            number(ea.mean),
            number(eb.mean),
            number(d.mean)
        );
    }
    out
}

fn number(value: f64) -> String {
    if value.abs() >= 1000.0 { format!("{value:.0}") } else { format!("{value:.4}") }
}

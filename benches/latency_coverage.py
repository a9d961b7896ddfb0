#!/usr/bin/env python3
"""Coverage of the 95 % intervals of latency percentiles, measured from outside:
batch latency (and its tiers), revocation, lockout duration, each pool's
wait and the exposure windows.

For each seed S in 1..N, a trial run (`--replications R`, default 10) and a
truth run on the same seed with many more replications (`--truth-replications
T`, default 400) are made. Both share S's org (the org comes from the seed),
so the truth is the Kaplan–Meier percentile of the org's own latency
distribution (replications 0..R-1 of the trial are among the truth run's
T, an overlap of R/T). A trial interval covers the truth when
lo <= truth <= hi, a null bound meaning "beyond the horizon" (+inf); a truth
beyond the horizon is +inf too and is covered only by an interval whose
upper bound is beyond it. Coverage gets a Wilson 95 % interval.

With `--truth-seed S` one truth run on seed S serves every trial instead:
orgs are sampled per replication, so it estimates the same scenario-level
percentile and shares no draw with the trials. `--replications 10,40`
measures several trial sizes against the one truth.

Usage: benches/latency_coverage.py [--binary target/release/unbindsim]
    [--scenario admin-batch] [--members 2000] [--seeds 40] [--replications 10[,40…]]
    [--truth-replications 400] [--truth-seed S] [--threads 2]
"""

import argparse
import glob
import json
import math
import subprocess
import sys
import tempfile

Z95 = 1.959963984540054
INF = float("inf")


def run(args, seed, replications):
    """{latency.percentile: (value, [lo, hi])} of one run (None bounds as +inf)."""
    with tempfile.TemporaryDirectory() as out:
        cmd = [args.binary, "run", args.scenario, "--members", str(args.members), "--seed", str(seed),
               "--replications", str(replications), "--threads", str(args.threads), "--quiet", "--out", out]
        subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL)
        # The folder is named after the scenario's `name`, a file's too.
        (path,) = glob.glob(f"{out}/*/summary.json")
        with open(path) as f:
            metrics = json.load(f)["metrics"]
    figures = {}
    for name, report in latency_reports(metrics):
        for key, p in report.get("percentiles", {}).items():
            value = INF if p["value"] is None else p["value"]
            ci = None if p["ci95"] is None else [INF if b is None else b for b in p["ci95"]]
            figures[f"{name}.{key}"] = (value, ci)
    return figures


def latency_reports(metrics):
    """(name, report) of every report with KM percentiles: batch latency and
    its tiers, revocation, lockout duration, each pool's wait, the exposure
    windows."""
    reports = []
    for latency in ("batch_latency_ms", "revocation_latency_ms"):
        reports.append((latency, metrics[latency]))
        reports += [(f"{latency}.{tier}", report) for tier, report in metrics[latency].get("by_tier", {}).items()]
    if "duration_ms" in metrics.get("lockout", {}):
        reports.append(("lockout.duration_ms", metrics["lockout"]["duration_ms"]))
    for pool, queue in metrics.get("queues", {}).items():
        reports.append((f"queues.{pool}.wait_ms", queue["wait_ms"]))
    exposure = metrics.get("exposure", {})
    if "window_ms" in exposure:
        reports.append(("exposure.window_ms", exposure["window_ms"]))
    if "window_ms" in exposure.get("tokens", {}):
        reports.append(("exposure.tokens.window_ms", exposure["tokens"]["window_ms"]))
    return reports


def wilson(k, n):
    if n == 0:
        return (math.nan, math.nan)
    p, d = k / n, 1 + Z95 * Z95 / n
    c = (p + Z95 * Z95 / (2 * n)) / d
    h = Z95 * math.sqrt(p * (1 - p) / n + Z95 * Z95 / (4 * n * n)) / d
    return (max(0.0, c - h), min(1.0, c + h))


def tally_coverage(tally, trial, truth):
    """Add one trial run's intervals against `truth` to `tally`."""
    for figure, (_, ci) in trial.items():
        row = tally.setdefault(figure, {"runs": 0, "covered": 0, "no_ci": 0, "below": 0, "above": 0})
        row["runs"] += 1
        if ci is None or figure not in truth:
            row["no_ci"] += 1
            continue
        value = truth[figure][0]
        if value < ci[0]:
            row["below"] += 1
        elif value > ci[1]:
            row["above"] += 1
        else:
            row["covered"] += 1


def print_table(args, replications, tally, truth_label):
    print(f"| figure ({args.scenario}, {args.members} members, {replications} replications, "
          f"{args.seeds} seeds, truth {truth_label}) "
          f"| coverage | Wilson 95 % | truth below / above | no interval |")
    print("|---|---|---|---|---|")
    for figure, row in sorted(tally.items()):
        n = row["runs"] - row["no_ci"]
        low, high = wilson(row["covered"], n)
        coverage = f"{100 * row['covered'] / n:.1f} %" if n else "—"
        print(f"| {figure} | {coverage} | [{100 * low:.1f}, {100 * high:.1f}] | {row['below']} / {row['above']} "
              f"| {row['no_ci']} |")
    print()


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--binary", default="target/release/unbindsim")
    parser.add_argument("--scenario", default="admin-batch", help="a built-in name or a scenario file")
    parser.add_argument("--members", type=int, default=2000)
    parser.add_argument("--seeds", type=int, default=40)
    parser.add_argument("--replications", default="10",
                        help="trial replications, or several separated by commas (one table each)")
    parser.add_argument("--truth-replications", type=int, default=400)
    parser.add_argument("--truth-seed", type=int,
                        help="one truth run on this seed for every trial (orgs sampled: it shares no draw "
                             "with seeds 1..N) instead of a truth run on each trial's own seed")
    parser.add_argument("--threads", type=int, default=2)
    args = parser.parse_args()
    sizes = [int(size) for size in args.replications.split(",")]
    if args.truth_seed is not None:
        shared_truth = run(args, args.truth_seed, args.truth_replications)
        truth_label = f"{args.truth_replications} replications of seed {args.truth_seed}"
    else:
        shared_truth = None
        truth_label = f"{args.truth_replications} replications of the same seed"
    tallies = {size: {} for size in sizes}
    for seed in range(1, args.seeds + 1):
        truth = shared_truth if shared_truth is not None else run(args, seed, args.truth_replications)
        for size in sizes:
            tally_coverage(tallies[size], run(args, seed, size), truth)
        print(f"seed {seed} done", file=sys.stderr)
    for size in sizes:
        print_table(args, size, tallies[size], truth_label)


if __name__ == "__main__":
    main()

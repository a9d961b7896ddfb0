#!/usr/bin/env python3
"""Coverage of the 95 % intervals of latency percentiles, measured from outside.

For each seed S in 1..N, a trial run (`--replications R`, default 10) and a
truth run on the same seed with many more replications (`--truth-replications
T`, default 400) are made. Both share S's org (the org comes from the seed),
so the truth is the Kaplan–Meier percentile of the org's own latency
distribution (replications 0..R-1 of the trial are among the truth run's
T, an overlap of R/T). A trial interval covers the truth when
lo <= truth <= hi, a null bound meaning "beyond the horizon" (+inf); a truth
beyond the horizon is +inf too and is covered only by an interval whose
upper bound is beyond it. Coverage gets a Wilson 95 % interval.

Usage: benches/latency_coverage.py [--binary target/release/unbindsim]
    [--scenario admin-batch] [--members 2000] [--seeds 40] [--replications 10]
    [--truth-replications 400] [--threads 2]
"""

import argparse
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
        with open(f"{out}/{args.scenario}/summary.json") as f:
            metrics = json.load(f)["metrics"]
    figures = {}
    for latency in ("batch_latency_ms", "revocation_latency_ms"):
        reports = [("", metrics[latency])]
        reports += [(f".{tier}", report) for tier, report in metrics[latency].get("by_tier", {}).items()]
        for tier, report in reports:
            for key, p in report.get("percentiles", {}).items():
                value = INF if p["value"] is None else p["value"]
                ci = None if p["ci95"] is None else [INF if b is None else b for b in p["ci95"]]
                figures[f"{latency}{tier}.{key}"] = (value, ci)
    return figures


def wilson(k, n):
    if n == 0:
        return (math.nan, math.nan)
    p, d = k / n, 1 + Z95 * Z95 / n
    c = (p + Z95 * Z95 / (2 * n)) / d
    h = Z95 * math.sqrt(p * (1 - p) / n + Z95 * Z95 / (4 * n * n)) / d
    return (max(0.0, c - h), min(1.0, c + h))


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--binary", default="target/release/unbindsim")
    parser.add_argument("--scenario", default="admin-batch")
    parser.add_argument("--members", type=int, default=2000)
    parser.add_argument("--seeds", type=int, default=40)
    parser.add_argument("--replications", type=int, default=10)
    parser.add_argument("--truth-replications", type=int, default=400)
    parser.add_argument("--threads", type=int, default=2)
    args = parser.parse_args()
    tally = {}
    for seed in range(1, args.seeds + 1):
        trial, truth = run(args, seed, args.replications), run(args, seed, args.truth_replications)
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
        print(f"seed {seed} done", file=sys.stderr)
    print(f"| figure ({args.scenario}, {args.members} members, {args.replications} replications, "
          f"{args.seeds} seeds, truth {args.truth_replications} replications of the same seed) "
          f"| coverage | Wilson 95 % | truth below / above | no interval |")
    print("|---|---|---|---|---|")
    for figure, row in sorted(tally.items()):
        n = row["runs"] - row["no_ci"]
        low, high = wilson(row["covered"], n)
        coverage = f"{100 * row['covered'] / n:.1f} %" if n else "—"
        print(f"| {figure} | {coverage} | [{100 * low:.1f}, {100 * high:.1f}] | {row['below']} / {row['above']} "
              f"| {row['no_ci']} |")


if __name__ == "__main__":
    main()

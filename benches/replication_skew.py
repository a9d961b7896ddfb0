#!/usr/bin/env python3
"""Coverage of two intervals for a figure's mean over replications, from outside.

For each seed, one run of `--replications R_MAX` replications; its first R
replications (R in --rs) are an R-replication run (a replication's streams
do not depend on how many replications run). From each replication's own
value of FIGURE (`replication_figures` in summary.json) two 95 % intervals
for the mean over replications are built:

- t: mean ± t(0.975, R − 1) · s / √R, the shape of the summary's ratio-t
  interval (unweighted here: each replication counts once);
- hall: Hall's (1992) skewness-corrected t, which stretches the interval
  toward the side the replications are skewed to.

Coverage is measured against `--truth` (e.g. a truth row of
`benches/coverage.sh`), with the misses split by side. Standard library
only. Example:

    python3 benches/replication_skew.py --scenario subsidiary-split \
        --figure rebind_vs_rollback_rate --truth 0.08319 --seeds 200
"""
import argparse
import json
import math
import statistics
import subprocess
import tempfile
from concurrent.futures import ThreadPoolExecutor

# Two-sided 95 % Student-t quantiles by degrees of freedom (scipy.stats.t.ppf(0.975, df)).
T975 = {9: 2.262157, 19: 2.093024, 39: 2.022691}


def replication_values(args, seed, out_root):
    out = f"{out_root}/{seed}"
    cmd = [args.binary, "run", args.scenario, "--seed", str(seed), "--replications", str(max(args.rs)),
           "--threads", "1", "--quiet", "--out", out]
    if args.members:
        cmd += ["--members", str(args.members)]
    subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    with open(f"{out}/{args.scenario}/summary.json") as f:
        return json.load(f)["replication_figures"][args.figure]


def t_interval(values, quantile):
    n, mean, sd = len(values), statistics.mean(values), statistics.stdev(values)
    return mean - quantile * sd / math.sqrt(n), mean + quantile * sd / math.sqrt(n)


def hall_interval(values, quantile):
    """Hall (1992): invert g(T) = T + γ(1 + 2T²)/(6√n) + γ²T³/(27n) at ±quantile."""
    n, mean, sd = len(values), statistics.mean(values), statistics.stdev(values)
    skew = sum((v - mean) ** 3 for v in values) / n / sd**3 if sd > 0 else 0.0
    root_n = math.sqrt(n)

    def g_inverse(t):
        if abs(skew) < 1e-12:
            return t
        a = 1 + (skew / root_n) * (t - skew / (6 * root_n))
        return (3 * root_n / skew) * (math.copysign(abs(a) ** (1 / 3), a) - 1)

    return mean - sd / root_n * g_inverse(quantile), mean - sd / root_n * g_inverse(-quantile)


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--binary", default="target/release/unbindsim")
    parser.add_argument("--scenario", required=True)
    parser.add_argument("--figure", required=True, help="a key of summary.json's replication_figures")
    parser.add_argument("--truth", type=float, required=True)
    parser.add_argument("--members", type=int)
    parser.add_argument("--seeds", type=int, default=200)
    parser.add_argument("--first-seed", type=int, default=5001)
    parser.add_argument("--rs", default="10,20,40", help="replication counts, each of 10, 20, 40")
    parser.add_argument("--jobs", type=int, default=2)
    args = parser.parse_args()
    args.rs = [int(r) for r in args.rs.split(",")]
    seeds = range(args.first_seed, args.first_seed + args.seeds)
    with tempfile.TemporaryDirectory() as out_root, ThreadPoolExecutor(args.jobs) as pool:
        runs = list(pool.map(lambda seed: replication_values(args, seed, out_root), seeds))
    print(f"{args.scenario} {args.figure}, truth {args.truth}, {args.seeds} seeds from {args.first_seed}")
    print("| R | interval | coverage | truth below / above |")
    print("|---|---|---|---|")
    for r in args.rs:
        for name, build in (("t", t_interval), ("hall", hall_interval)):
            covered = below = above = 0
            for run in runs:
                values = [v for v in run[:r] if v is not None]
                if len(values) - 1 not in T975:
                    continue  # a replication without the figure: the run is left out
                low, high = build(values, T975[len(values) - 1])
                covered += low <= args.truth <= high
                below += args.truth < low
                above += args.truth > high
            print(f"| {r} | {name} | {100 * covered / len(runs):.1f} % | {below} / {above} |")


if __name__ == "__main__":
    main()

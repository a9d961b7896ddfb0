#!/usr/bin/env python3
"""Error rate of `run --until-decided`, measured from outside.

The truth of one rate figure comes from TRUTH independent runs (seeds
1 000 001...; pooled hits over pooled trials). Objectives `FIGURE < t` are
then set a relative MARGIN either side of it, and SEEDS sequential runs
(`--until-decided --max-replications CAP`, rounds of R) are judged: with
t above the truth the objective holds, so a FAIL is wrong; with t below,
a PASS is wrong. A valid procedure is wrong at most 5 % of the time over
all its looks (here: at most 2.5 %, one side of a two-sided interval). The
table also gives how often each side was decided and the replications it
took on average.

    python3 benches/sequential_error.py --binary target/release/unbindsim \\
        --scenario device-change --figure lockout_rate --path lockout \\
        --members 2000 --seeds 200 --truth 300 --margin 0.03
"""

import argparse
import json
import math
import os
import re
import subprocess
import sys
import tempfile


def wilson(hits, trials, z=1.959964):
    p = hits / trials
    centre = (p + z * z / (2 * trials)) / (1 + z * z / trials)
    half = z * math.sqrt(p * (1 - p) / trials + z * z / (4 * trials * trials)) / (1 + z * z / trials)
    return max(0.0, centre - half), min(1.0, centre + half)


def run(binary, scenario, seed, out, args, extra):
    # Every seed replaces the previous seed's summary in the same folder.
    command = [binary, "run", scenario, "--seed", str(seed), "--members", str(args.members), "--out", out,
               "--overwrite", *extra]
    result = subprocess.run(command, capture_output=True, text=True)
    if result.returncode not in (0, 3):
        sys.exit(f"{' '.join(command)} exited {result.returncode}: {result.stderr}")
    return result


def pick(summary, path):
    node = summary["metrics"]
    for key in path.split("."):
        node = node[key]
    return node


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--binary", default="target/release/unbindsim")
    parser.add_argument("--scenario", default="device-change")
    parser.add_argument("--figure", default="lockout_rate")
    parser.add_argument("--path", default="lockout", help="where the rate's hits and trials are, under metrics")
    parser.add_argument("--members", type=int, default=2000)
    parser.add_argument("--replications", type=int, default=10, help="replications per round")
    parser.add_argument("--cap", type=int, default=50)
    parser.add_argument("--seeds", type=int, default=200)
    parser.add_argument("--truth", type=int, default=300)
    parser.add_argument("--margin", type=float, default=0.03, help="relative distance of the thresholds from the truth")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as work:
        name = os.path.basename(args.scenario).removesuffix(".toml")
        hits = trials = 0
        for seed in range(1_000_001, 1_000_001 + args.truth):
            run(args.binary, args.scenario, seed, work, args, ["--replications", str(args.replications), "--quiet"])
            rate = pick(json.load(open(os.path.join(work, name, "summary.json"))), args.path)
            hits, trials = hits + rate["hits"], trials + rate["trials"]
        truth = hits / trials
        rows = []
        for side, factor in (("above", 1 + args.margin), ("below", 1 - args.margin)):
            threshold = truth * factor
            os.makedirs(os.path.join(work, "spec"), exist_ok=True)
            spec = os.path.join(work, "spec", "objective.toml")
            with open(spec, "w") as f:
                f.write(f'base = "{args.scenario}"\nname = "{name}"\n[slo]\n{args.figure} = "< {threshold:.6f}"\n')
            counts = {"PASS": 0, "FAIL": 0, "UNDECIDED": 0}
            used = 0
            for seed in range(1, args.seeds + 1):
                extra = ["--replications", str(args.replications), "--until-decided", "--max-replications", str(args.cap)]
                printed = run(args.binary, spec, seed, work, args, extra).stdout
                verdict = re.search(r"^  (PASS|FAIL|UNDECIDED)\s", printed, re.M).group(1)
                counts[verdict] += 1
                used += json.load(open(os.path.join(work, name, "summary.json")))["replications"]
                print(f"\r{side} {seed}/{args.seeds}", end="", file=sys.stderr, flush=True)
            wrong = counts["FAIL"] if side == "above" else counts["PASS"]
            rows.append((side, threshold, counts, wrong, used / args.seeds))
        print(file=sys.stderr)
    print(f"{args.scenario} {args.figure}: truth {truth:.5f} ({hits}/{trials} over {args.truth} runs of "
          f"{args.replications}); rounds of {args.replications} up to {args.cap}; {args.seeds} seeds per threshold\n")
    print("| threshold | objective is | PASS | FAIL | UNDECIDED | wrong | wrong rate (Wilson 95 %) | mean replications |")
    print("|---|---|---|---|---|---|---|---|")
    for side, threshold, counts, wrong, mean_used in rows:
        low, high = wilson(wrong, args.seeds)
        truth_word = "true" if side == "above" else "false"
        print(f"| < {threshold:.5f} (truth {'+' if side == 'above' else '-'}{args.margin:.0%}) | {truth_word} | "
              f"{counts['PASS']} | {counts['FAIL']} | {counts['UNDECIDED']} | {wrong} | "
              f"{wrong / args.seeds:.3f} [{low:.3f}, {high:.3f}] | {mean_used:.1f} |")


if __name__ == "__main__":
    main()

#!/usr/bin/env python3
"""False-alarm rate of the baseline gate: how often an unchanged model,
run on another seed, is called WORSE than its own baseline.

For each of PAIRS seed pairs, every scenario runs once at seed S (the
baseline, written to a results folder) and once at seed S + 1 000 000 with
`--baseline FOLDER --junit FILE`; the JUnit file says which scenarios the
gate failed. A correct gate fails each scenario at most 5 % of the time
(Holm over its gated figures). The table gives, per scenario, the share of
pairs failed with its Wilson 95 % interval, and the figures that tripped.

    python3 benches/gate_false_alarm.py --binary target/release/unbindsim \\
        --pairs 100 --members 2000

Extra flags after `--` go to both runs (e.g. `-- --gate lockout_rate`).
"""

import argparse
import math
import os
import re
import subprocess
import sys
import tempfile
from collections import Counter

SCENARIOS = [
    "self-exit",
    "admin-batch",
    "device-change",
    "app-grants",
    "dissolution",
    "gdpr-export",
    "subsidiary-split",
    "compliance-dual-control",
]


def wilson(hits, trials, z=1.959964):
    if trials == 0:
        return (float("nan"), float("nan"))
    p = hits / trials
    centre = (p + z * z / (2 * trials)) / (1 + z * z / trials)
    half = z * math.sqrt(p * (1 - p) / trials + z * z / (4 * trials * trials)) / (1 + z * z / trials)
    return (max(0.0, centre - half), min(1.0, centre + half))


def run(binary, scenarios, seed, out, members, replications, extra, baseline=None, junit=None):
    command = [binary, "run", *scenarios, "--seed", str(seed), "--members", str(members)]
    # Each pair replaces the previous pair's results in the same folders.
    command += ["--replications", str(replications), "--out", out, "--quiet", "--overwrite", *extra]
    if baseline:
        command += ["--baseline", baseline, "--junit", junit]
    result = subprocess.run(command, capture_output=True, text=True)
    if result.returncode not in (0, 3):
        sys.exit(f"{' '.join(command)} exited {result.returncode}: {result.stderr}")
    return result.returncode


def failed_figures(junit):
    """(scenario, figure) of every regression test case that failed."""
    text = open(junit).read()
    return re.findall(r'<testcase classname="([^"]+)\.regression" name="([^"]+)"[^>]*>\s*<failure', text)


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--binary", default="target/release/unbindsim")
    parser.add_argument("--scenarios", default=",".join(SCENARIOS))
    parser.add_argument("--pairs", type=int, default=100)
    parser.add_argument("--members", type=int, default=2000)
    parser.add_argument("--replications", type=int, default=10)
    parser.add_argument("--first-seed", type=int, default=1)
    parser.add_argument("extra", nargs="*")
    args = parser.parse_args()
    scenarios = args.scenarios.split(",")
    failures = Counter()
    figures = Counter()
    with tempfile.TemporaryDirectory() as work:
        for pair in range(args.pairs):
            seed = args.first_seed + pair
            base, current, junit = (os.path.join(work, name) for name in ("base", "current", "junit.xml"))
            run(args.binary, scenarios, seed, base, args.members, args.replications, args.extra)
            run(args.binary, scenarios, seed + 1_000_000, current, args.members, args.replications, args.extra,
                baseline=base, junit=junit)
            tripped = failed_figures(junit)
            for scenario in {scenario for scenario, _ in tripped}:
                failures[scenario] += 1
            figures.update(tripped)
            print(f"\rpair {pair + 1}/{args.pairs}", end="", file=sys.stderr, flush=True)
    print(file=sys.stderr)
    print(f"| scenario ({args.members} members, R = {args.replications}, {args.pairs} seed pairs) "
          "| false alarms | rate | Wilson 95 % | figures that tripped |")
    print("|---|---|---|---|---|")
    for scenario in scenarios:
        hits = failures[scenario]
        low, high = wilson(hits, args.pairs)
        tripped = ", ".join(f"{figure} {count}" for (s, figure), count in sorted(figures.items()) if s == scenario)
        print(f"| {scenario} | {hits}/{args.pairs} | {hits / args.pairs:.3f} | [{low:.3f}, {high:.3f}] | {tripped or '-'} |")


if __name__ == "__main__":
    main()

#!/usr/bin/env bash
# Runs the hold-model benchmark (`cargo bench --bench engine`, arguments passed
# on) and prints, per queue size, the cost per event of the engine's queue and
# of the full simulation loop next to the bare BinaryHeap, measured in the
# same run, as ratios. Reads criterion's estimates under target/criterion/.
#
#   benches/engine-ratios.sh [-- --quick]
set -euo pipefail
cd "$(dirname "$0")/.."
cargo bench --bench engine "$@" >&2
python3 - <<'PY'
import json, pathlib

root = pathlib.Path("target/criterion")

def ns_per_event(group, name):
    run = root / group / name / "new"
    mean = json.loads((run / "estimates.json").read_text())["mean"]["point_estimate"]
    elements = json.loads((run / "benchmark.json").read_text()).get("throughput", {}).get("Elements", 1)
    return mean / elements

print(f"{'pending':>10} {'bare heap':>11} {'EventQueue':>11} {'ratio':>6} {'Simulation':>11} {'ratio':>6}")
for n in (1_000, 10_000, 100_000, 1_000_000):
    group = f"hold_{n}"
    bare, queue, sim = (ns_per_event(group, name) for name in ("bare_binary_heap", "event_queue", "simulation"))
    print(f"{n:>10,} {bare:>8.1f} ns {queue:>8.1f} ns {queue / bare:>5.2f}x {sim:>8.1f} ns {sim / bare:>5.2f}x")
PY

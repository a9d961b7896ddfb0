#!/usr/bin/env bash
# Runs the same M/M/c approval queue on SimPy 4 and on unbindsim's engine,
# with the same parameters, and prints each one's figures and the ratio of
# requests simulated per second. Our engine runs twice: with keyed draws (a
# stream per request and purpose, as the simulator draws: common random
# numbers) and with sequential draws (one stream per purpose, as the SimPy
# model draws from one generator). Each side reports the median wall time of
# identical runs (--repeat, default 7 for ours and 3 for SimPy's, whose runs
# last seconds). Installs SimPy in a local venv if missing.
#
#   benches/compare-simpy.sh [--lambda 2.5] [--mu 1] [--servers 3] [--requests 200000] [--seed 42] [--repeat N]
set -euo pipefail
cd "$(dirname "$0")/.."
venv=target/peer-venv
if [ ! -x "$venv/bin/python" ] || ! "$venv/bin/python" -c "import simpy" 2>/dev/null; then
  python3 -m venv "$venv"
  "$venv/bin/pip" install --quiet "simpy==4.1.2"
fi
cargo bench --quiet --bench mmc --no-run
keyed=$(cargo bench --quiet --bench mmc -- "$@" --draws keyed)
sequential=$(cargo bench --quiet --bench mmc -- "$@" --draws sequential)
theirs=$("$venv/bin/python" benches/peer/simpy_mmc.py "$@")
echo "unbindsim: $keyed"
echo "unbindsim: $sequential"
echo "simpy:     $theirs"
python3 - "$keyed" "$sequential" "$theirs" <<'PY'
import json, sys
keyed, sequential, theirs = (json.loads(s) for s in sys.argv[1:4])
runs = (("unbindsim, keyed draws", keyed), ("unbindsim, sequential", sequential), ("simpy", theirs))
for name, run in runs:
    low, high = run["mean_wait_h_ci95"]
    inside = "inside" if low <= run["erlang_c_wait_h"] <= high else "OUTSIDE"
    print(f"{name:>22}: {run['events_per_sec']:>12,.0f} events/s  {run['requests_per_sec']:>12,.0f} requests/s  "
          f"(median of {run['repeats']} runs, {run['wall_s_min']:.3f}-{run['wall_s_max']:.3f} s)  "
          f"mean wait {run['mean_wait_h']:.4f} h [{low:.4f}, {high:.4f}]  Erlang C {run['erlang_c_wait_h']:.4f} h ({inside})")
for name, run in runs[:2]:
    print(f"ratio (requests/s), {name} / simpy: {run['requests_per_sec'] / theirs['requests_per_sec']:.1f}x")
PY

#!/usr/bin/env bash
# Runs the same M/M/c approval queue on SimPy 4 and on unbindsim's engine,
# with the same parameters, and prints each one's figures and the ratio of
# requests simulated per second. Installs SimPy in a local venv if missing.
#
#   benches/compare-simpy.sh [--lambda 2.5] [--mu 1] [--servers 3] [--requests 200000] [--seed 42]
set -euo pipefail
cd "$(dirname "$0")/.."
venv=target/peer-venv
if [ ! -x "$venv/bin/python" ] || ! "$venv/bin/python" -c "import simpy" 2>/dev/null; then
  python3 -m venv "$venv"
  "$venv/bin/pip" install --quiet "simpy==4.1.2"
fi
ours=$(cargo bench --quiet --bench mmc -- "$@")
theirs=$("$venv/bin/python" benches/peer/simpy_mmc.py "$@")
echo "unbindsim: $ours"
echo "simpy:     $theirs"
python3 - "$ours" "$theirs" <<'PY'
import json, sys
ours, theirs = (json.loads(s) for s in sys.argv[1:3])
for name, run in (("unbindsim", ours), ("simpy", theirs)):
    low, high = run["mean_wait_h_ci95"]
    inside = "inside" if low <= run["erlang_c_wait_h"] <= high else "OUTSIDE"
    print(f"{name:>10}: {run['events_per_sec']:>14,.0f} events/s  {run['requests_per_sec']:>12,.0f} requests/s  "
          f"mean wait {run['mean_wait_h']:.4f} h [{low:.4f}, {high:.4f}]  Erlang C {run['erlang_c_wait_h']:.4f} h ({inside})")
print(f"ratio (requests/s, unbindsim / simpy): {ours['requests_per_sec'] / theirs['requests_per_sec']:.1f}x")
PY

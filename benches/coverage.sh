#!/usr/bin/env bash
# Coverage of the reported 95 % intervals against a truth estimated from a
# much larger independent set of runs; see benches/coverage.py for the method
# and every option.
#
#   benches/coverage.sh [--binary PATH] [--scenarios a,b] [--members 2000[,name=N]]
#                       [--replications 10] [--seeds 300] [--truth-seeds 1000]
#                       [--jobs 2] [--threads 1] [--extra-args "..."]
#                       [--out results/coverage.md] [--objectives] [--quick]
set -euo pipefail
cd "$(dirname "$0")/.."
command -v python3 >/dev/null || { echo "python3 is needed (3.11, standard library only)" >&2; exit 1; }
exec python3 benches/coverage.py "$@"

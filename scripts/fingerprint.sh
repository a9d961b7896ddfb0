#!/usr/bin/env bash
# Writes every output a refactor must leave unchanged into one folder, with the
# wall-clock `timing` objects removed, so two builds can be compared by `diff -r`:
#   bash scripts/fingerprint.sh BINARY OUT_DIR
# Covers the eight seed scenarios and scenarios/script-example.toml at seeds
# 1, 2 and 3 (summary JSON and printed table), a paired compare, a sweep, a
# shard merge, JUnit verdicts and a baseline check.
set -euo pipefail
bin=$(realpath "$1")
out=$2
cd "$(dirname "$0")/.."
rm -rf "$out"
mkdir -p "$out"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

strip_timing() { # FILE... : drop every "timing" key, keep the rest byte for byte
  python3 - "$@" <<'PY'
import json, sys
def strip(value):
    if isinstance(value, dict):
        return {k: strip(v) for k, v in value.items() if k != "timing"}
    if isinstance(value, list):
        return [strip(v) for v in value]
    return value
for path in sys.argv[1:]:
    text = open(path).read()
    try:
        data = json.loads(text)
    except ValueError:
        continue
    open(path, "w").write(json.dumps(strip(data), indent=1, sort_keys=False) + "\n")
PY
}
table() { # the printed text without wall-clock figures and temporary paths
  sed -E -e '/^  engine: /d' -e "s#$work#<work>#g" -e 's/[0-9.]+ ?(µs|ms|s) wall/<wall>/g'
}

for seed in 1 2 3; do
  "$bin" run --seed "$seed" --out "$work/run-$seed" 2>&1 | table > "$out/run-$seed.txt" || true
  "$bin" run scenarios/script-example.toml --seed "$seed" --out "$work/run-$seed" 2>&1 | table > "$out/script-$seed.txt" || true
  for f in "$work/run-$seed"/*/summary.json; do
    name=$(basename "$(dirname "$f")")
    cp "$f" "$out/summary-$seed-$name.json"
  done
done
"$bin" compare device-change scenarios/device-change-basic.toml --replications 20 --out "$work/cmp" 2>&1 | table > "$out/compare.txt" || true
find "$work/cmp" -type f | sort | while read -r f; do cp "$f" "$out/compare-$(basename "$f")"; done
"$bin" sweep self-exit --set policy.buffer=0h,24h,72h --out "$work/sweep" 2>&1 | table > "$out/sweep.txt" || true
find "$work/sweep" -type f | sort | while read -r f; do cp "$f" "$out/sweep-$(basename "$f")"; done
for i in 0 1 2; do
  "$bin" run admin-batch --shard "$i/3" --out "$work/shards" --quiet
done
"$bin" merge "$work/shards" --out "$work/merged" 2>&1 | table > "$out/merge.txt" || true
find "$work/merged" -type f -name '*.json' | sort | while read -r f; do cp "$f" "$out/merged-$(basename "$f")"; done
"$bin" run device-change --junit "$work/junit.xml" --baseline "$out/summary-1-device-change.json" --out "$work/gate" > "$work/gate.txt" 2>&1 && status=0 || status=$?
table < "$work/gate.txt" > "$out/gate.txt"
echo "exit $status" >> "$out/gate.txt"
sed -E 's/time="[0-9.]+"/time="<t>"/g' "$work/junit.xml" > "$out/junit.xml"
"$bin" validate scenarios/*.toml > "$out/validate.txt" 2>&1 || true
strip_timing "$out"/*.json
ls "$out" | wc -l

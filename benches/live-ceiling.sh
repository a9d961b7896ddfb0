#!/usr/bin/env bash
# The live driver's own cost and ceiling, side by side with wrk, against the
# fast in-memory SCIM service (examples/fast_scim_server.rs) on loopback.
#
#   benches/live-ceiling.sh [--rates 1000,5000,20000,50000] [--concurrency 64]
#                           [--seconds 5] [--server-threads 1] [--out results/live-ceiling.md]
#
# 1. wrk (Debian's; installed when missing) sends the same PATCH the replay
#    sends, to one user, over --concurrency keep-alive connections for
#    --seconds: its requests/s and CPU seconds per 1 000 requests.
# 2. `unbindsim load` replays an admin-batch org whose every member is cut
#    (super admins, batches of 200) at each rate of the ladder, then at
#    1 000 000/s, far beyond any rate here, so the 64 slots are the only
#    limit (its ceiling), each on a fresh scenario name so every run
#    provisions its own users. Per rung: achieved rate, late starts, the
#    client's dispatch delay, corrected and uncorrected latency percentiles,
#    and CPU seconds per 1 000 replayed requests (the replay phase when the
#    summary gives it, `metrics.rate.client_cpu_s_per_1000_requests`; else the whole process,
#    provisioning included, and the table says so).
set -euo pipefail
cd "$(dirname "$0")/.."

rates=1000,5000,20000,50000
concurrency=64
seconds=5
server_threads=1
out=results/live-ceiling.md
while [ $# -gt 0 ]; do
  case "$1" in
    --rates) rates=$2; shift 2 ;;
    --concurrency) concurrency=$2; shift 2 ;;
    --seconds) seconds=$2; shift 2 ;;
    --server-threads) server_threads=$2; shift 2 ;;
    --out) out=$2; shift 2 ;;
    *) echo "live-ceiling.sh: unknown argument $1" >&2; exit 2 ;;
  esac
done

if ! command -v wrk >/dev/null; then
  apt-get update -qq && apt-get install -y -qq wrk >/dev/null
fi
command -v curl >/dev/null || { apt-get update -qq && apt-get install -y -qq curl >/dev/null; }
cargo build --release --quiet
cargo build --release --quiet --example fast_scim_server
bin=target/release/unbindsim
work=$(mktemp -d)
trap 'kill "$server" 2>/dev/null || true; rm -rf "$work"' EXIT

target/release/examples/fast_scim_server --threads "$server_threads" >"$work/port" 2>"$work/server.log" &
server=$!
for _ in $(seq 50); do [ -s "$work/port" ] && break; sleep 0.1; done
port=$(head -1 "$work/port")
url="http://127.0.0.1:$port/v2"

# wrk: the replay's PATCH (active = false) to one existing user.
id=$(curl -s -X POST -H 'content-type: application/scim+json' \
  -d '{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":"wrk-target","active":true}' \
  "$url/Users" | python3 -c 'import json,sys; print(json.load(sys.stdin)["id"])')
cat >"$work/patch.lua" <<'LUA'
wrk.method = "PATCH"
wrk.headers["Content-Type"] = "application/scim+json"
wrk.body = '{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"replace","path":"active","value":false}]}'
LUA
/usr/bin/time -f "%U %S" -o "$work/wrk.cpu" \
  wrk -t1 -c"$concurrency" -d"${seconds}s" --latency -s "$work/patch.lua" "$url/Users/$id" >"$work/wrk.out"

# unbindsim load: a ladder of rates, then the ceiling: asked far more than
# any service here takes, so only the concurrency limits it (as wrk's).
ceiling_rate=1000000
ladder="${rates//,/ } $ceiling_rate"
for rate in $ladder; do
  requests=$(( rate * seconds ))
  [ "$requests" -gt 100000 ] && requests=100000
  members=$(( (requests + 199) / 200 * 200 ))
  name="ceiling-$rate"
  cat >"$work/$name.toml" <<TOML
base = "admin-batch"
name = "$name"
[org]
members = $members
departments = { branching = 4, depth = 2 }
[workload]
arrivals = { every = "1h", count = $(( members / 200 )) }
members_per_arrival = 200
[workload.admin-batch]
tiers = { super = 1.0, department = 0.0, app = 0.0 }
TOML
  /usr/bin/time -f "%U %S" -o "$work/$name.cpu" \
    "$bin" load "$work/$name.toml" --url "$url" --out "$work/out" --mode patch --rate "$rate/s" \
      --concurrency "$concurrency" --speedup 1000000000 --replications 2 --quiet >/dev/null 2>"$work/$name.err" \
    || { echo "load at $rate/s failed:"; cat "$work/$name.err"; exit 1; }
done

python3 - "$work" "$concurrency" "$seconds" "$server_threads" "$ladder" "$out" "$(git rev-parse --short HEAD)" "$ceiling_rate" <<'PY'
import json, os, re, sys, datetime
work, concurrency, seconds, server_threads, ladder, out, commit, ceiling_rate = sys.argv[1:9]
def cpu(path):
    user, system = open(path).read().split()[-2:]
    return float(user) + float(system)
wrk = open(os.path.join(work, "wrk.out")).read()
wrk_rate = float(re.search(r"Requests/sec:\s+([\d.]+)", wrk).group(1))
wrk_requests = int(re.search(r"(\d+) requests in", wrk).group(1))
wrk_p50 = re.search(r"50%\s+(\S+)", wrk).group(1)
wrk_p99 = re.search(r"99%\s+(\S+)", wrk).group(1)
wrk_cpu = cpu(os.path.join(work, "wrk.cpu")) / wrk_requests * 1000
rows = []
ceiling = None
for rate in ladder.split():
    name = f"ceiling-{rate}"
    summary = json.load(open(os.path.join(work, "out", f"{name}-live", "summary.json")))
    m = summary["metrics"]
    requests = m["requests"]
    lat = m["request_latency_ms"]
    sent = requests["sent"]
    replay_cpu = m["rate"].get("client_cpu_s_per_1000_requests")
    if replay_cpu is not None:
        per_1000 = f"{replay_cpu:.3f}"
    else:
        per_1000 = f"{cpu(os.path.join(work, name + '.cpu')) / sent * 1000:.3f} (whole process)"
    achieved = m["rate"]["achieved_per_sec"]
    intended = m["rate"]["intended_per_sec"]
    ms = lambda figure, q: f"{lat[figure][q]:.3f}"
    label = f"ceiling ({int(rate):,}/s asked)" if rate == ceiling_rate else f"{int(rate):,}/s"
    if rate == ceiling_rate:
        ceiling = achieved
    rows.append(f"| {label} | {sent:,} | {intended:,.0f}/s | {achieved:,.0f}/s | {requests['late_starts']:,} | "
                f"{ms('dispatch_delay','p50')} / {ms('dispatch_delay','p99')} | {ms('response_time','p50')} / {ms('response_time','p99')} | "
                f"{ms('service_time','p50')} / {ms('service_time','p99')} | {per_1000} |")
stamp = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
text = f"""# Live driver against wrk, one run

Written by `benches/live-ceiling.sh` on {stamp}, commit `{commit}`: the fast SCIM service
(`examples/fast_scim_server.rs`, {server_threads} thread(s)) on loopback, {concurrency} connections,
the same `PATCH /Users/{{id}}` (`active` = false). Latencies in ms.

**wrk** (`wrk -t1 -c{concurrency} -d{seconds}s`): {wrk_rate:,.0f} requests/s, p50 {wrk_p50}, p99 {wrk_p99}
(uncorrected: wrk is closed-loop), {wrk_cpu:.3f} CPU s per 1 000 requests.

**unbindsim load** (open model at each rate; `--concurrency {concurrency}`):

| rate asked | requests | intended | achieved | late starts | dispatch delay p50 / p99 | response time p50 / p99 (corrected) | service time p50 / p99 | CPU s per 1 000 |
|---|---:|---:|---:|---:|---|---|---|---|
""" + "\n".join(rows) + f"""

Ceiling against wrk at the same concurrency: **{ceiling / wrk_rate:.2f}×** ({ceiling:,.0f} against {wrk_rate:,.0f} requests/s).
"""
os.makedirs(os.path.dirname(out) or ".", exist_ok=True)
open(out, "w").write(text)
print(text)
PY

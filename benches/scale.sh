#!/usr/bin/env bash
# The scale run: all eight seed scenarios, one replication, at 10 000,
# 100 000 and 1 000 000 members; wall time and peak memory of each whole
# command from /usr/bin/time -v (median of --repeat runs), the log-log fit of
# time against members, and the machine it ran on, written to
# results/baselines/scale.md (or --out FILE).
#
# With --against OTHER_BINARY (an older build, say) every run of ours is
# followed by the same run of the other binary, so both see the same machine
# load, and the table gains their figures and the ratio of medians; the
# fitted exponent stays ours.
#
#   benches/scale.sh [--repeat 3] [--out results/baselines/scale.md] [--against OTHER_BINARY]
set -euo pipefail
cd "$(dirname "$0")/.."
repeat=3
out=results/baselines/scale.md
against=""
while [ $# -gt 0 ]; do
  case "$1" in
    --repeat) repeat="$2"; shift 2 ;;
    --out) out="$2"; shift 2 ;;
    --against) against="$2"; shift 2 ;;
    *) echo "unknown argument: $1 (allowed: --repeat N, --out FILE, --against BINARY)" >&2; exit 2 ;;
  esac
done
[ -x /usr/bin/time ] || { echo "/usr/bin/time is missing (Debian package: time)" >&2; exit 1; }
[ -z "$against" ] || [ -x "$against" ] || { echo "--against $against: not an executable file" >&2; exit 2; }
cargo build --release --quiet
python3 - "$repeat" "$out" "$against" <<'PY'
import math, os, platform, re, statistics, subprocess, sys, tempfile, time

repeat, out, against = int(sys.argv[1]), sys.argv[2], sys.argv[3]
sizes = [10_000, 100_000, 1_000_000]
ours = "target/release/unbindsim"

def measure(members, binary=ours):
    with tempfile.TemporaryDirectory() as results:
        command = ["/usr/bin/time", "-v", binary, "run", "--members", str(members),
                   "--replications", "1", "--quiet", "--out", results]
        done = subprocess.run(command, capture_output=True, text=True, check=True)
    text = done.stderr
    clock = re.search(r"Elapsed \(wall clock\) time \(h:mm:ss or m:ss\): (\S+)", text).group(1)
    seconds = sum(float(part) * 60 ** i for i, part in enumerate(reversed(clock.split(":"))))
    user = float(re.search(r"User time \(seconds\): (\S+)", text).group(1))
    rss_kb = int(re.search(r"Maximum resident set size \(kbytes\): (\d+)", text).group(1))
    return seconds, user, rss_kb

def load():
    return os.getloadavg()[0]

rows, others = [], []
for members in sizes:
    load_before = load()
    runs, other_runs = [], []
    for _ in range(repeat):
        runs.append(measure(members))
        if against:
            other_runs.append(measure(members, against))
    wall = statistics.median(r[0] for r in runs)
    user = statistics.median(r[1] for r in runs)
    rss = max(r[2] for r in runs)
    rows.append((members, wall, user, rss, [r[0] for r in runs], load_before))
    print(f"{members:>9} members: wall {wall:.2f} s (runs {', '.join(f'{r[0]:.2f}' for r in runs)}), "
          f"user {user:.2f} s, peak RSS {rss / 1024:.0f} MiB, load before {load_before:.2f}", flush=True)
    if against:
        other_wall = statistics.median(r[0] for r in other_runs)
        other_rss = max(r[2] for r in other_runs)
        others.append((members, other_wall, other_rss, [r[0] for r in other_runs], wall / other_wall))
        print(f"{'':>9} against {against}: wall {other_wall:.2f} s (runs {', '.join(f'{r[0]:.2f}' for r in other_runs)}), "
              f"peak RSS {other_rss / 1024:.0f} MiB; ours / theirs {wall / other_wall:.3f}", flush=True)

def slope(points):
    xs = [math.log(x) for x, _ in points]
    ys = [math.log(y) for _, y in points]
    mx, my = sum(xs) / len(xs), sum(ys) / len(ys)
    return sum((x - mx) * (y - my) for x, y in zip(xs, ys)) / sum((x - mx) ** 2 for x in xs)

wall_exponent = slope([(r[0], r[1]) for r in rows])
user_exponent = slope([(r[0], r[2]) for r in rows])
steps = [(a[0], b[0], math.log(b[1] / a[1]) / math.log(b[0] / a[0])) for a, b in zip(rows, rows[1:])]
print(f"fitted exponent (log wall against log members): {wall_exponent:.3f}; of user time: {user_exponent:.3f}; "
      + "; ".join(f"{a:,} -> {b:,}: {k:.3f}" for a, b, k in steps))

def first_line(command):
    try:
        return subprocess.run(command, capture_output=True, text=True).stdout.strip().splitlines()[0]
    except (OSError, IndexError):
        return "unknown"

cpu = next((line.split(":", 1)[1].strip() for line in open("/proc/cpuinfo") if line.startswith("model name")), "unknown")
memory_kb = next(int(line.split()[1]) for line in open("/proc/meminfo") if line.startswith("MemTotal"))
commit = first_line(["git", "rev-parse", "--short", "HEAD"])
lines = [
    "# Scale: all eight seed scenarios, one replication",
    "",
    f"Written by `benches/scale.sh --repeat {repeat}` on {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}, "
    f"commit `{commit}`.",
    "",
    "Command per size: `/usr/bin/time -v target/release/unbindsim run --members N --replications 1 --quiet` "
    "(all eight seed scenarios, seed 42, on all cores). Wall and user time are the median of the runs; "
    "peak RSS is the largest.",
    "",
    "| members | wall (s) | runs (s) | user CPU (s) | peak RSS (MiB) | load average before |",
    "|---:|---:|---:|---:|---:|---:|",
]
for members, wall, user, rss, runs, load_before in rows:
    lines.append(f"| {members:,} | {wall:.2f} | {', '.join(f'{r:.2f}' for r in runs)} | {user:.2f} | "
                 f"{rss / 1024:.0f} | {load_before:.2f} |")
if against:
    lines += [
        "",
        f"Side by side with `{against}` (each of our runs followed by the same run of it):",
        "",
        "| members | its wall (s) | its runs (s) | its peak RSS (MiB) | ours / its wall |",
        "|---:|---:|---:|---:|---:|",
    ]
    for members, other_wall, other_rss, other_runs, ratio in others:
        lines.append(f"| {members:,} | {other_wall:.2f} | {', '.join(f'{r:.2f}' for r in other_runs)} | "
                     f"{other_rss / 1024:.0f} | {ratio:.3f} |")
lines += [
    "",
    f"Least-squares slope of log(wall) against log(members), 10 000 → 1 000 000: **{wall_exponent:.3f}** "
    f"(of user CPU time: {user_exponent:.3f}). Below 1, fixed costs (process start, threads, output) "
    "still weigh at the small sizes; 1 means linear. Step by step: "
    + "; ".join(f"{a:,} → {b:,}: {k:.3f}" for a, b, k in steps) + ".",
    "",
    "## Machine",
    "",
    f"- CPU: {cpu}, {os.cpu_count()} logical cores",
    f"- memory: {memory_kb / 1024 / 1024:.1f} GiB",
    f"- kernel: {platform.release()}",
    f"- compiler: {first_line(['rustc', '--version'])}",
    f"- load average (1 min) at the end: {load():.2f} — other work on the machine slows the figures above",
    "",
]
os.makedirs(os.path.dirname(out) or ".", exist_ok=True)
temporary = out + ".tmp"
with open(temporary, "w") as handle:
    handle.write("\n".join(lines))
os.replace(temporary, out)
print(f"wrote {out}")
PY

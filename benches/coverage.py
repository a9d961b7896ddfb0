#!/usr/bin/env python3
"""Coverage of the 95 % intervals unbindsim reports, measured from outside.

For each scenario, `unbindsim run SCENARIO --members M --replications R
--seed S --quiet --out DIR` runs for many seeds S (the *trial* runs, seeds
1..N) and, separately, for a much larger independent set of seeds (the
*truth* runs, seeds 1 000 001..1 000 000+T). Every interval in
`DIR/SCENARIO/summary.json` is found generically: any object under `metrics`
holding `ci95` (two numbers, or null), and any key `X_ci95` beside a key `X`
(e.g. `queues.approvers.mean_wait_ms`). A figure is named by its dotted path
(`residue.by_kind.credentials`, `grace_races.by_kind.token_after_disable`,
`lockout.by_platform.ios`); its point estimate is the sibling `rate`,
`probability`, `mean` or `value`. Latency percentiles (`p50`, `p90`, `p99`,
`p999`, `max`, `mean` of an object with no interval) are listed as "no
interval reported"; the percentiles under `percentiles` carry a `ci95` whose
`null` bound means "beyond the horizon" (read as +inf). Their truth is the
Kaplan–Meier percentile of one large run (`--latency-truth-replications N`
replications on a seed of its own; a percentile beyond the horizon is
+inf); with `--latency-truth-replications 0`, the weighted mean of per-run
points, an approximation marked `approximate truth`.

The truth of a figure comes from the truth runs only:
  - with `hits`/`trials`: sum of hits over sum of trials across all truth runs
    (the population value of the ratio-of-pooled-sums estimator; each seed
    draws its own org today, so this is over sampled orgs);
  - otherwise a weighted mean of the per-run points, weighted by the figure's
    `trials`, `members`, `served`, `count` or `batches` (the first present),
    else a plain mean;
  - latency percentiles: the Kaplan–Meier percentile of the large run above.
A trial interval covers the truth if lo <= truth <= hi (1e-9 slack for the
9-decimal rounding of summary.json). Coverage gets a Wilson 95 % interval;
a figure is flagged LOW when that interval's upper bound is below 0.93. An
interval that is `null` (say with a `null_reason`) is counted in its own
column, not as a miss.

With `--objectives`, each trial seed is run once more with a `[slo]` table
(a scenario file whose `base` is `scenarios/<name>.toml`) holding, for every
figure that has an objective key, an objective on the passing side of the
truth: `< p + m*min(p, 1-p)` for a rate of truth p, `<= truth*(1+m)` in ms for latency
percentiles (p90, p99), m = --objective-margin (relative, default 0.01). The verdicts are
read from `--junit`; a FAIL is a false FAIL (the true value passes).

Usage (from the repository root):

  benches/coverage.sh                          # all eight seed scenarios, defaults below
  benches/coverage.sh --quick                  # smoke test: 20 trial and 100 truth seeds
  benches/coverage.sh --binary /tmp/old/unbindsim --scenarios admin-batch,device-change \\
      --members 2000,subsidiary-split=10000 --seeds 300 --truth-seeds 1000 --objectives
  benches/coverage.sh --extra-args "--org shared"

Options (defaults): --binary target/release/unbindsim (built with `cargo
build --release` only when it is the default and missing), --scenarios (the
eight seed scenarios), --members 2000,subsidiary-split=10000 (`N,name=N,...`:
N for every scenario but those named; at 2 000 members the re-bind race is too
rare to test),
--replications 10,subsidiary-split=20 (the same form; subsidiary-split's re-bind
race needs 20 for an interval), --seeds 300, --truth-seeds 1000, --jobs 2 (parallel
processes), --threads 1 (per process), --extra-args "" (appended to every
run), --out results/coverage.md (Markdown table, written atomically; the raw
per-run figures go to the same name with .json), --objectives,
--objective-margin 0.01, --latency-truth-replications 1000 (200 with
--quick; 0 = the approximate truth), --quick. The same options give the same
table.
Exit codes: 0 done, 2 bad flag (or unbindsim refused a run's arguments), 1 a
run failed. Temporary result folders are removed, also on SIGTERM/Ctrl-C.

Runtime on this 2-core machine, shared with other builds (load average 6-10):
the default run (8 scenarios x 1300 runs) took 705 s; with --objectives and
subsidiary-split at 10 000 members, 1008 s. results/coverage.md was made with

  benches/coverage.sh --binary /tmp/base/unbindsim-old --members 2000,subsidiary-split=10000 --objectives

(main's release build): at 2 000 members subsidiary-split's re-bind race is
too rare (truth 0.015 %, coverage 99.7 %) to test its interval.

With `--extra-args "--org shared --org-seed S"` every run, trial and truth,
is on the one org of seed S, so the coverage is conditional on that org and
measured against its own truth. Latency percentiles against a
pooled-histogram truth: `benches/latency_coverage.py`; the baseline gate's
false alarms: `benches/gate_false_alarm.py`.
"""

import argparse
import concurrent.futures
import hashlib
import json
import math
import os
import shlex
import signal
import subprocess
import sys
import tempfile
import time
import xml.etree.ElementTree as ET

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SEED_SCENARIOS = ["self-exit", "admin-batch", "device-change", "app-grants", "dissolution",
                  "gdpr-export", "subsidiary-split", "compliance-dual-control"]
TRUTH_SEED_BASE = 1_000_000
# The seed of the one large run whose Kaplan–Meier percentiles are the latency truth.
LATENCY_TRUTH_SEED = 3_000_001
POINT_KEYS = ("rate", "probability", "mean", "value")
WEIGHT_KEYS = ("trials", "members", "served", "count", "batches")
PERCENTILE_KEYS = ("mean", "p50", "p90", "p99", "p999", "max")
Z95 = 1.959963984540054
LOW_BELOW = 0.93
SLACK = 1e-9


class Usage(Exception):
    pass


# ---------------------------------------------------------------- extraction

def _num(x):
    return isinstance(x, (int, float)) and not isinstance(x, bool) and math.isfinite(x)


def _interval(ci):
    """(lo, hi) for a usable interval, None for null, 'bad' for anything else."""
    if ci is None:
        return None
    if isinstance(ci, dict):  # tolerate {lo, hi} / {lower, upper} layouts
        lo = ci.get("lo", ci.get("lower"))
        hi = ci.get("hi", ci.get("upper"))
        ci = [lo, hi] if lo is not None or hi is not None else None
        if ci is None:
            return None
    if isinstance(ci, (list, tuple)) and len(ci) == 2:
        if all(_num(v) for v in ci):
            return (float(min(ci)), float(max(ci)))
        if all(_num(v) or v is None for v in ci):
            # a latency percentile's bound beyond the horizon (`null`): +inf
            lo, hi = (float("inf") if v is None else float(v) for v in ci)
            return (lo, hi)
    return "bad"


def _figure(node, point_key=None, weight_node=None):
    """One figure's record from the object holding it."""
    rec = {}
    if point_key is None:
        point_key = next((k for k in POINT_KEYS if k in node), None)
    p = node.get(point_key) if point_key else None
    rec["point"] = float(p) if _num(p) else None
    for k in ("hits", "trials"):
        if _num(node.get(k)):
            rec[k] = node[k]
    w = weight_node if weight_node is not None else node
    wk = next((k for k in WEIGHT_KEYS if _num(w.get(k))), None)
    if wk:
        rec["weight"] = w[wk]
        rec["weight_key"] = wk
    if isinstance(node.get("null_reason"), str):
        rec["null_reason"] = node["null_reason"]
    if isinstance(node.get("method"), str):
        rec["method"] = node["method"]
    return rec


def extract(metrics):
    """{dotted path: record} for every figure in a summary's metrics."""
    out = {}

    def walk(node, path):
        if not isinstance(node, dict):
            return
        if "ci95" in node:
            rec = _figure(node)
            iv = _interval(node["ci95"])
            rec["kind"] = "interval"
            rec["ci"] = iv
            out[".".join(path)] = rec
        for k, v in node.items():
            if k.endswith("_ci95") and k[:-5] in node:
                base = k[:-5]
                rec = _figure(node, point_key=base)
                rec.pop("hits", None), rec.pop("trials", None)
                rec["kind"] = "interval"
                rec["ci"] = _interval(v)
                out[".".join(path + [base])] = rec
        if "ci95" not in node and any(_num(node.get(k)) or (k in node and node[k] is None)
                                      for k in PERCENTILE_KEYS[1:]):
            for k in PERCENTILE_KEYS:
                if k in node and (k + "_ci95") not in node:
                    rec = _figure(node, point_key=k)
                    rec.pop("hits", None), rec.pop("trials", None)
                    rec["kind"] = "no interval"
                    out[".".join(path + [k])] = rec
        for k, v in node.items():
            if isinstance(v, dict) and k != "ci95":
                walk(v, path + [k])

    walk(metrics, [])
    return out


# ---------------------------------------------------------------- statistics

def wilson(k, n, z=Z95):
    if n == 0:
        return (float("nan"), float("nan"))
    p = k / n
    d = 1 + z * z / n
    c = (p + z * z / (2 * n)) / d
    h = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / d
    return (max(0.0, c - h), min(1.0, c + h))


def truth_of(records):
    """(value, how) from the truth runs' records of one figure."""
    recs = [r for r in records if r is not None]
    ht = [r for r in recs if "hits" in r and "trials" in r]
    if ht and len(ht) == len(recs):
        trials = sum(r["trials"] for r in ht)
        if trials > 0:
            return sum(r["hits"] for r in ht) / trials, "pooled"
        return None, "no trials"
    pts = [r for r in recs if r.get("point") is not None]
    if not pts:
        return None, "no value"
    if all("weight" in r for r in pts):
        w = sum(r["weight"] for r in pts)
        if w > 0:
            return sum(r["point"] * r["weight"] for r in pts) / w, "w:" + pts[0]["weight_key"]
    return sum(r["point"] for r in pts) / len(pts), "mean"


def figure_stats(trial_recs, truth):
    s = {"runs": 0, "with_ci": 0, "null": 0, "bad": 0, "covered": 0, "below": 0, "above": 0,
         "width": 0.0, "null_reasons": {}}
    for r in trial_recs:
        if r is None:
            continue
        s["runs"] += 1
        if r.get("kind") != "interval":
            continue
        ci = r["ci"]
        if ci is None:
            s["null"] += 1
            reason = r.get("null_reason", "(no reason given)")
            s["null_reasons"][reason] = s["null_reasons"].get(reason, 0) + 1
            continue
        if ci == "bad":
            s["bad"] += 1
            continue
        s["with_ci"] += 1
        lo, hi = ci
        s["width"] += hi - lo
        if truth is None:
            continue
        slack = SLACK * max(1.0, abs(truth))
        if truth < lo - slack:
            s["below"] += 1  # truth below the interval: interval too high
        elif truth > hi + slack:
            s["above"] += 1
        else:
            s["covered"] += 1
    if s["with_ci"]:
        s["width"] /= s["with_ci"]
    return s


# ---------------------------------------------------------------- running

def run_one(binary, scenario, members, reps, seed, threads, extra, tmp_root, slo_file=None):
    """Run one seed; return (exit code, figures, verdicts, stderr tail)."""
    out = tempfile.mkdtemp(prefix="run-", dir=tmp_root)
    try:
        target = slo_file if slo_file else scenario
        cmd = [binary, "run", target, "--members", str(members), "--replications", str(reps),
               "--seed", str(seed), "--quiet", "--out", out, "--threads", str(threads)] + extra
        junit = None
        if slo_file:
            junit = os.path.join(out, "junit.xml")
            cmd += ["--junit", junit]
        done = subprocess.run(cmd, capture_output=True, text=True)
        figures, verdicts, name = None, None, None
        entries = [e for e in os.listdir(out) if os.path.isfile(os.path.join(out, e, "summary.json"))]
        if len(entries) == 1:
            name = entries[0]
            with open(os.path.join(out, name, "summary.json")) as f:
                summary = json.load(f)
            figures = extract(summary.get("metrics") or {})
            figures["__schema"] = summary.get("schema_version")
        if junit and os.path.exists(junit):
            verdicts = {}
            for case in ET.parse(junit).getroot().iter("testcase"):
                if case.find("failure") is not None:
                    v = "FAIL"
                elif case.find("skipped") is not None:
                    v = "UNDECIDED"
                elif case.find("error") is not None:
                    v = "ERROR"
                else:
                    v = "PASS"
                verdicts[case.get("name", "").split(" ")[0]] = v
        return done.returncode, figures, verdicts, done.stderr[-2000:]
    finally:
        subprocess.run(["rm", "-rf", out])


def run_many(label, jobs, fn, seeds, progress):
    results = [None] * len(seeds)
    t0 = time.monotonic()
    step = max(1, len(seeds) // 10)
    with concurrent.futures.ThreadPoolExecutor(max_workers=jobs) as pool:
        futs = {pool.submit(fn, s): i for i, s in enumerate(seeds)}
        try:
            for n, fut in enumerate(concurrent.futures.as_completed(futs), 1):
                results[futs[fut]] = fut.result()
                if progress and (n % step == 0 or n == len(seeds)):
                    el = time.monotonic() - t0
                    eta = el / n * (len(seeds) - n)
                    print(f"  {label}: {n}/{len(seeds)} runs, {el:.0f}s, eta {eta:.0f}s",
                          file=sys.stderr, flush=True)
        except BaseException:
            for f in futs:
                f.cancel()
            raise
    return results


def check_runs(label, seeds, results):
    for seed, (rc, figures, _, err) in zip(seeds, results):
        if rc == 2:
            raise Usage(f"{label}: unbindsim refused the arguments (exit 2; check --extra-args, "
                        f"--members, --scenarios):\n{err.strip()}")
        if figures is None or rc not in (0, 3):
            raise RuntimeError(f"{label}: seed {seed} exited {rc} without a usable summary:\n{err}")


# ---------------------------------------------------------------- objectives

def slo_key(path):
    parts = path.split(".")
    if path == "residue":
        return "residue_probability", "rate"
    if len(parts) == 3 and parts[:2] == ["residue", "by_kind"]:
        return f"residue_{parts[2]}_probability", "rate"
    if path == "lockout":
        return "lockout_rate", "rate"
    if path == "grace_races":
        return "race_rate", "rate"
    if len(parts) == 3 and parts[:2] == ["grace_races", "by_kind"]:
        return f"{parts[2]}_rate", "rate"
    if len(parts) == 2 and parts[0] in ("batch_latency_ms", "revocation_latency_ms") \
            and parts[1] in ("p90", "p99"):
        return f"{parts[0][:-3]}_{parts[1]}", "ms"
    return None, None


def objective_table(truths, margin):
    """{slo key: (figure path, objective text)} on the passing side of the truth."""
    table = {}
    for path, (value, _) in sorted(truths.items()):
        key, unit = slo_key(path)
        if key is None or value is None:
            continue
        if unit == "rate":
            if value <= 0 or value >= 1:
                continue  # nothing on the passing side to test, or trivially passed
            # passing side, by m of the smaller of p and 1 - p (stays inside (0, 1))
            table[key] = (path, f"< {value + margin * min(value, 1 - value):.9g}")
        else:
            if value <= 0 or math.isinf(value):
                continue  # a percentile beyond the horizon: no finite objective passes it
            table[key] = (path, f"{math.ceil(value * (1 + margin))}ms")
    return table


def write_slo_file(tmp_root, scenario, table):
    base = scenario if scenario.endswith(".toml") else os.path.join(ROOT, "scenarios", scenario + ".toml")
    if not os.path.isfile(base):
        return None
    path = os.path.join(tmp_root, f"slo-{os.path.basename(base)}")
    with open(path, "w") as f:
        f.write(f"base = {json.dumps(os.path.abspath(base))}\n\n[slo]\n")
        for key, (_, text) in sorted(table.items()):
            f.write(f"{key} = {json.dumps(text)}\n")
    return path


# ---------------------------------------------------------------- output

def fmt(x, digits=4):
    if x is None or (isinstance(x, float) and math.isnan(x)):
        return "—"
    if x == 0:
        return "0"
    if abs(x) >= 1e4:
        return f"{x:.4g}"
    return f"{x:.{digits}g}"


def fmt_ms(x):
    if x is None:
        return "—"
    for unit, size in (("d", 86_400_000), ("h", 3_600_000), ("min", 60_000), ("s", 1000)):
        if abs(x) >= size:
            return f"{x / size:.3g}{unit}"
    return f"{x:.3g}ms"


def fmt_fig(path, x, digits=4):
    return fmt_ms(x) if path.split(".")[-1].endswith("_ms") or "_ms." in path else fmt(x, digits)


def pct(x):
    return "—" if x is None or math.isnan(x) else f"{100 * x:.1f}%"


KM_KEYS = ("p50", "p90", "p99", "p999", "max")


def is_latency_percentile(path):
    """A Kaplan–Meier percentile: `X.percentiles.pNN` (with its interval) or
    the same value as `X.pNN` beside a report's `mean`."""
    return path.split(".")[-1] in KM_KEYS


def km_truth(figures, replications):
    """{path: (value, how)} of every latency percentile of one large run: the
    Kaplan–Meier percentile of its pooled replications, +inf beyond the horizon."""
    how = f"KM of {replications}"
    return {path: (float("inf") if rec.get("point") is None else rec["point"], how)
            for path, rec in figures.items() if not path.startswith("__") and is_latency_percentile(path)}


def approximate_truth(path, km):
    """Without a Kaplan–Meier truth (`km`, from --latency-truth-replications) a
    latency percentile's truth is the mean of per-run percentiles, not the
    percentile of the pooled distribution: its coverage is not flagged LOW."""
    return is_latency_percentile(path) and path not in km


def analyse(scenario, trials, truths_runs, km):
    paths = set()
    for rec in trials + truths_runs:
        paths.update(k for k in rec if not k.startswith("__"))
    rows = []
    for path in sorted(paths):
        kinds = {r[path]["kind"] for r in trials + truths_runs if path in r}
        kind = "interval" if "interval" in kinds else "no interval"
        truth, how = km[path] if path in km else truth_of([r.get(path) for r in truths_runs])
        st = figure_stats([r.get(path) for r in trials], truth)
        cov = st["covered"] / st["with_ci"] if st["with_ci"] and truth is not None else None
        lo, hi = wilson(st["covered"], st["with_ci"]) if cov is not None else (None, None)
        approximate = approximate_truth(path, km)
        rows.append({"figure": path, "kind": kind, "truth": truth, "truth_from": how,
                     "coverage": cov, "coverage_ci": [lo, hi], "approximate": approximate,
                     "low": cov is not None and hi < LOW_BELOW and not approximate, **st})
    return rows


def markdown(meta, per_scenario):
    L = []
    L.append("# Coverage of unbindsim's 95 % intervals")
    L.append("")
    L.append(f"Generated by `{meta['command']}`.")
    L.append("")
    L.append(f"- binary: `{meta['binary']}` ({meta['version']}, sha256 `{meta['sha256'][:16]}…`)")
    L.append(f"- per run: `unbindsim run SCENARIO --members M --replications R "
             f"--seed S --quiet{(' ' + meta['extra']) if meta['extra'] else ''}`")
    L.append(f"- trial runs: seeds 1..{meta['seeds']}; truth runs: seeds "
             f"{TRUTH_SEED_BASE + 1}..{TRUTH_SEED_BASE + meta['truth_seeds']} (disjoint, independent)")
    latency_truth = (f"`KM of N` = the Kaplan–Meier percentile of one run of N replications on seed "
                     f"{LATENCY_TRUTH_SEED} (independent of both sets)" if meta["latency_truth_replications"]
                     else "for latency percentiles the mean of per-run percentiles, an approximation: "
                          "those rows say `approximate truth` and are never LOW")
    L.append("- truth: `pooled` = Σ hits / Σ trials over all truth runs (the population value of the "
             "ratio-of-pooled-sums estimator; every seed draws its own org, so this is over orgs); "
             f"`w:K` = mean of the per-run points weighted by K; {latency_truth}")
    L.append("- coverage: share of the trial runs' intervals containing the truth, with its Wilson 95 % "
             "interval; `below`/`above` = truth below/above the interval; **LOW** = the coverage "
             f"interval's upper bound is below {LOW_BELOW}; `null` = runs whose interval is null "
             "(not counted as misses)")
    L.append("")
    for sc in per_scenario:
        L.append(f"## {sc['scenario']} — {sc['members']} members, {sc['replications']} replications, "
                 f"{meta['seeds']} trial / {meta['truth_seeds']} truth runs"
                 f" (schema {', '.join(str(v) for v in sc['schemas'])})")
        L.append("")
        L.append("| figure | truth | truth from | runs with interval | null | coverage [95 %] "
                 "| below / above | mean width | |")
        L.append("|---|---|---|---|---|---|---|---|---|")
        always_null, no_interval = [], []
        for r in sc["rows"]:
            if r["kind"] == "no interval":
                no_interval.append(r)
                continue
            if r["with_ci"] == 0 and r["truth"] is None:
                always_null.append(r)
                continue
            flag = "**LOW**" if r["low"] else ("approximate truth" if r["approximate"] else "")
            if r["truth"] is not None and r["truth"] in (0.0, 1.0) and "_ms" not in r["figure"]:
                flag = (flag + " truth " + ("0" if r["truth"] == 0 else "1")).strip()
            nulls = f"{r['null']} (+{r['bad']} malformed)" if r["bad"] else str(r["null"])
            cov = (f"{pct(r['coverage'])} [{pct(r['coverage_ci'][0])}, {pct(r['coverage_ci'][1])}]"
                   if r["coverage"] is not None else "—")
            L.append(f"| `{r['figure']}` | {fmt_fig(r['figure'], r['truth'])} | {r['truth_from']} | {r['with_ci']} "
                     f"| {nulls} | {cov} | {r['below']} / {r['above']} | {fmt_fig(r['figure'], r['width'], 3)} "
                     f"| {flag} |")
        L.append("")
        if no_interval:
            L.append("No interval reported (truth = " + no_interval[0]["truth_from"]
                     + " of the truth runs' values): "
                     + ", ".join(f"`{r['figure']}` {fmt_fig(r['figure'], r['truth'])}" for r in no_interval) + ".")
            L.append("")
        if always_null:
            L.append("Null in every run: " + "; ".join(
                f"`{r['figure']}`" + (f" ({next(iter(r['null_reasons']))})" if r["null_reasons"] else "")
                for r in always_null) + ".")
            L.append("")
        if sc.get("objectives"):
            approximate = {r["figure"] for r in sc["rows"] if r["approximate"]}
            caveat = (" A latency objective set from an approximate truth (the mean of per-run percentiles, "
                      "not the pooled Kaplan–Meier percentile) measures that approximation, not the gate "
                      "(`approximate truth`)." if approximate else "")
            L.append(f"Objectives on the passing side of the truth p (rates `< p + m·min(p, 1−p)`, latencies "
                     f"`<= p·(1 + m)`, m = {meta['objective_margin']}), "
                     f"{sc['objective_runs']} runs; a FAIL is a false FAIL.{caveat}")
            L.append("")
            L.append("| objective | figure | FAIL [95 %] | PASS | UNDECIDED | |")
            L.append("|---|---|---|---|---|---|")
            for o in sc["objectives"]:
                n = o["runs"]
                lo, hi = wilson(o["FAIL"], n)
                note = "approximate truth" if o["figure"] in approximate else ""
                L.append(f"| `{o['key']} = \"{o['objective']}\"` | `{o['figure']}` | "
                         f"{pct(o['FAIL'] / n if n else None)} [{pct(lo)}, {pct(hi)}] | "
                         f"{o['PASS']} | {o['UNDECIDED']} | {note} |")
            L.append("")
    return "\n".join(L) + "\n"


def atomic_write(path, text):
    d = os.path.dirname(os.path.abspath(path))
    os.makedirs(d, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=".coverage-", dir=d)
    umask = os.umask(0)
    os.umask(umask)
    try:
        os.fchmod(fd, 0o666 & ~umask)  # mkstemp makes 0600; the table is an ordinary file
        with os.fdopen(fd, "w") as f:
            f.write(text)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


def raw_figures(runs):
    """Per-run figures, compact: {path: [[seed, point, lo, hi, hits, trials, weight], ...]}."""
    out = {}
    for seed, rec in runs:
        for path, r in rec.items():
            if path.startswith("__"):
                continue
            ci = r.get("ci")
            lo, hi = (ci if isinstance(ci, tuple) else (None, None))
            out.setdefault(path, []).append([seed, r.get("point"), lo, hi, r.get("hits"),
                                             r.get("trials"), r.get("weight")])
    return out


# ---------------------------------------------------------------- main

def per_scenario_counts(p, flag, text, scenarios, default_text):
    """{scenario: N} from `N,name=N,...`: N for every scenario but those named.
    A name not among `scenarios` is an error, unless it comes from the flag's
    default (`default_text`), which names subsidiary-split."""
    counts, default = {}, None
    for part in text.split(","):
        name, _, n = part.rpartition("=")
        try:
            n = int(n.replace("_", ""))
            if n < 1:
                raise ValueError
        except ValueError:
            p.error(f"{flag}: {part!r} is not a positive integer or NAME=N")
        if name:
            if name not in scenarios and text != default_text:
                p.error(f"{flag}: {name!r} is not one of --scenarios")
            counts[name] = n
        else:
            default = n
    for s in scenarios:
        if s not in counts:
            if default is None:
                p.error(f"{flag}: no value for {s!r} (give N, or {s}=N)")
            counts[s] = default
    return {s: counts[s] for s in scenarios}


def parse_args(argv):
    p = argparse.ArgumentParser(prog="benches/coverage.sh",
                                description="Coverage of unbindsim's 95 %% intervals against a "
                                            "truth estimated from independent runs.")
    p.add_argument("--binary", default=None)
    p.add_argument("--scenarios", default=",".join(SEED_SCENARIOS))
    p.add_argument("--members", default="2000,subsidiary-split=10000")
    p.add_argument("--replications", default="10,subsidiary-split=20")
    p.add_argument("--seeds", type=int, default=None)
    p.add_argument("--truth-seeds", type=int, default=None)
    p.add_argument("--threads", type=int, default=1)
    p.add_argument("--jobs", type=int, default=2)
    p.add_argument("--extra-args", default="")
    p.add_argument("--out", default=os.path.join("results", "coverage.md"))
    p.add_argument("--objectives", action="store_true")
    p.add_argument("--objective-margin", type=float, default=0.01)
    p.add_argument("--latency-truth-replications", type=int, default=None)
    p.add_argument("--quick", action="store_true")
    a = p.parse_args(argv)
    if a.seeds is None:
        a.seeds = 20 if a.quick else 300
    if a.truth_seeds is None:
        a.truth_seeds = 100 if a.quick else 1000
    if a.latency_truth_replications is None:
        a.latency_truth_replications = 200 if a.quick else 1000
    if a.latency_truth_replications < 0:
        p.error("--latency-truth-replications must be 0 (off) or more")
    for name in ("seeds", "truth_seeds", "threads", "jobs"):
        if getattr(a, name) < 1:
            p.error(f"--{name.replace('_', '-')} must be at least 1 (got {getattr(a, name)})")
    if a.seeds >= TRUTH_SEED_BASE:
        p.error(f"--seeds must be below {TRUTH_SEED_BASE} (trial and truth seeds must not overlap)")
    if not (0 <= a.objective_margin < 1):
        p.error("--objective-margin must be in [0, 1)")
    a.scenario_list = [s for s in a.scenarios.split(",") if s]
    if not a.scenario_list:
        p.error("--scenarios: give at least one scenario")
    if len(set(a.scenario_list)) != len(a.scenario_list):
        p.error("--scenarios: a scenario is named twice")
    for flag in ("members", "replications"):
        counts = per_scenario_counts(p, f"--{flag}", getattr(a, flag), a.scenario_list, p.get_default(flag))
        setattr(a, f"{flag}_of", counts)
    try:
        a.extra = shlex.split(a.extra_args)
    except ValueError as e:
        p.error(f"--extra-args: {e}")
    if a.binary is None:
        a.binary = os.path.join(ROOT, "target", "release", "unbindsim")
        a.build = not os.path.exists(a.binary)
    else:
        a.build = False
        if not (os.path.isfile(a.binary) and os.access(a.binary, os.X_OK)):
            p.error(f"--binary {a.binary}: not an executable file")
        a.binary = os.path.abspath(a.binary)
    return p, a


def main(argv):
    parser, a = parse_args(argv)
    if a.build:
        print("building target/release/unbindsim (cargo build --release)", file=sys.stderr)
        subprocess.run(["cargo", "build", "--release", "--quiet"], cwd=ROOT, check=True)
    listed = subprocess.run([a.binary, "scenarios"], capture_output=True, text=True)
    builtins = {line.split()[0] for line in listed.stdout.splitlines() if line.strip()}
    for s in a.scenario_list:
        if s not in builtins and not os.path.isfile(s):
            parser.error(f"--scenarios: {s!r} is neither a built-in scenario "
                         f"({', '.join(sorted(builtins))}) nor a file")
    version = subprocess.run([a.binary, "--version"], capture_output=True, text=True).stdout.strip()
    with open(a.binary, "rb") as f:
        sha = hashlib.sha256(f.read()).hexdigest()
    command = "benches/coverage.sh " + " ".join(shlex.quote(x) for x in argv)

    def on_term(signum, frame):
        raise SystemExit(128 + signum)
    signal.signal(signal.SIGTERM, on_term)

    t_start = time.monotonic()
    per_scenario, raw = [], {}
    with tempfile.TemporaryDirectory(prefix="unbindsim-coverage-") as tmp_root:
        for s in a.scenario_list:
            m, reps = a.members_of[s], a.replications_of[s]
            print(f"{s}: {m} members, {reps} replications, {a.truth_seeds} truth + {a.seeds} trial runs",
                  file=sys.stderr, flush=True)
            t0 = time.monotonic()

            def fn(seed, slo=None):
                return run_one(a.binary, s, m, reps, seed, a.threads, a.extra, tmp_root, slo)
            truth_seeds = list(range(TRUTH_SEED_BASE + 1, TRUTH_SEED_BASE + a.truth_seeds + 1))
            trial_seeds = list(range(1, a.seeds + 1))
            truth_res = run_many("truth", a.jobs, fn, truth_seeds, True)
            check_runs(f"{s} truth", truth_seeds, truth_res)
            trial_res = run_many("trial", a.jobs, fn, trial_seeds, True)
            check_runs(f"{s} trial", trial_seeds, trial_res)
            truths = [r[1] for r in truth_res]
            trials = [r[1] for r in trial_res]
            km = {}
            if a.latency_truth_replications:
                n = a.latency_truth_replications
                print(f"  latency truth: one run of {n} replications", file=sys.stderr, flush=True)
                big = run_one(a.binary, s, m, n, LATENCY_TRUTH_SEED, a.jobs * a.threads, a.extra, tmp_root)
                check_runs(f"{s} latency truth", [LATENCY_TRUTH_SEED], [big])
                km = km_truth(big[1], n)
            rows = analyse(s, trials, truths, km)
            sc = {"scenario": s, "members": m, "replications": reps, "rows": rows,
                  "schemas": sorted({r.get("__schema") for r in truths + trials}, key=str),
                  "exit_codes": sorted({r[0] for r in truth_res + trial_res})}
            if a.objectives:
                table = objective_table({r["figure"]: (r["truth"], r["truth_from"]) for r in rows},
                                        a.objective_margin)
                slo_file = write_slo_file(tmp_root, s, table) if table else None
                if slo_file is None:
                    print(f"  objectives: skipped for {s} (no scenarios/{s}.toml to base them on, "
                          f"or no figure with an objective key)", file=sys.stderr)
                else:
                    obj_res = run_many("objectives", a.jobs, lambda seed: fn(seed, slo_file),
                                       trial_seeds, True)
                    try:
                        check_runs(f"{s} objectives", trial_seeds, obj_res)
                    except (Usage, RuntimeError) as e:
                        print(f"  objectives: skipped for {s}: {e}", file=sys.stderr)
                        obj_res = None
                if slo_file is not None and obj_res is not None:
                    objs = []
                    for key, (path, text) in sorted(table.items()):
                        counts = {"PASS": 0, "FAIL": 0, "UNDECIDED": 0, "ERROR": 0, "missing": 0}
                        for rc, _, verdicts, _ in obj_res:
                            v = (verdicts or {}).get(key, "missing")
                            counts[v] = counts.get(v, 0) + 1
                        objs.append({"key": key, "figure": path, "objective": text,
                                     "runs": len(obj_res), **counts})
                    sc["objectives"] = objs
                    sc["objective_runs"] = len(obj_res)
            sc["seconds"] = round(time.monotonic() - t0, 1)
            per_scenario.append(sc)
            raw[s] = {"members": m, "replications": reps,
                      "trial": raw_figures(zip(trial_seeds, trials)),
                      "truth": raw_figures(zip(truth_seeds, truths))}
            print(f"  {s}: {sc['seconds']}s", file=sys.stderr, flush=True)
    elapsed = time.monotonic() - t_start

    meta = {"command": command, "binary": a.binary, "version": version, "sha256": sha,
            "seeds": a.seeds, "truth_seeds": a.truth_seeds,
            "extra": " ".join(shlex.quote(x) for x in a.extra),
            "objective_margin": a.objective_margin,
            "latency_truth_replications": a.latency_truth_replications}
    text = markdown(meta, per_scenario)
    atomic_write(a.out, text)
    raw_path = os.path.splitext(a.out)[0] + ".json"
    for sc in per_scenario:
        for r in sc["rows"]:
            r["null_reasons"] = dict(sorted(r["null_reasons"].items()))
    atomic_write(raw_path, json.dumps({
        "meta": meta, "truth_seed_base": TRUTH_SEED_BASE,
        "columns": ["seed", "point", "lo", "hi", "hits", "trials", "weight"],
        "summary": [{k: v for k, v in sc.items() if k != "seconds"} for sc in per_scenario],
        "runs": raw,
        "timing": {"seconds": round(elapsed, 1),
                   "per_scenario": {sc["scenario"]: sc["seconds"] for sc in per_scenario}},
    }, separators=(",", ":")) + "\n")
    sys.stdout.write(text)
    print(f"wrote {a.out} and {raw_path} in {elapsed:.0f}s", file=sys.stderr)
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main(sys.argv[1:]))
    except Usage as e:
        print(f"error: {e}", file=sys.stderr)
        sys.exit(2)
    except RuntimeError as e:
        print(f"error: {e}", file=sys.stderr)
        sys.exit(1)
    except KeyboardInterrupt:
        sys.exit(130)

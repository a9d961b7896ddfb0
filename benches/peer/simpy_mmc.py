"""The M/M/c approval queue in SimPy 4: the peer model unbindsim's engine is
measured against (see ../compare-simpy.sh and ../mmc.rs).

Exit requests arrive as a Poisson process of rate LAMBDA per hour; C approvers
serve them first come, first served, each taking an exponential time of mean
1/MU hours. Prints one JSON line: requests, events the SimPy kernel stepped
through, simulated hours, the mean wait with a 95 % batch-means interval, the
Erlang-C mean wait, the median wall time of --repeat identical runs (and the
fastest and slowest), events/s and requests/s at the median.
"""

import argparse
import json
import math
import random
import time

import simpy


def erlang_c_wait(lam, mu, c):
    load = lam / mu
    term, below = 1.0, 0.0
    for k in range(c):
        below += term
        term *= load / (k + 1)
    waiting = term * c / (c - load)
    return waiting / (below + waiting) / (c * mu - lam)


def batch_means_ci(values, batches=30):
    size = len(values) // batches
    means = [sum(values[i * size:(i + 1) * size]) / size for i in range(batches)]
    mean = sum(means) / batches
    sd = math.sqrt(sum((m - mean) ** 2 for m in means) / (batches - 1))
    half = 2.045 * sd / math.sqrt(batches)  # Student t, 29 degrees of freedom
    return mean, mean - half, mean + half


def simulate(args):
    """One run from an empty system: the waits, events stepped, the final
    simulated time and the wall time of the event loop in seconds."""
    rng = random.Random(args.seed)
    env = simpy.Environment()
    approvers = simpy.Resource(env, capacity=args.servers)
    waits = []

    def request():
        arrived = env.now
        with approvers.request() as slot:
            yield slot
            waits.append(env.now - arrived)
            yield env.timeout(rng.expovariate(args.mu))

    def source():
        for _ in range(args.requests):
            yield env.timeout(rng.expovariate(args.lam))
            env.process(request())

    env.process(source())
    events = 0
    started = time.perf_counter()
    while env.peek() != simpy.core.Infinity:
        env.step()
        events += 1
    return waits, events, env.now, time.perf_counter() - started


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--lambda", dest="lam", type=float, default=2.5, help="arrivals per hour")
    parser.add_argument("--mu", type=float, default=1.0, help="services per hour per approver")
    parser.add_argument("--servers", type=int, default=3)
    parser.add_argument("--requests", type=int, default=200_000)
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--repeat", type=int, default=3, help="identical runs; the median wall time is reported")
    args = parser.parse_args()

    waits, events, now, wall = simulate(args)
    walls = [wall]
    for _ in range(1, max(args.repeat, 1)):
        again, _, _, wall = simulate(args)
        assert again == waits, "a repeat of the same seed gave other waits"
        walls.append(wall)
    walls.sort()
    wall = walls[len(walls) // 2]

    mean, low, high = batch_means_ci(waits)
    print(json.dumps({
        "simulator": "simpy " + simpy.__version__,
        "requests": len(waits),
        "events": events,
        "simulated_hours": now,
        "mean_wait_h": mean,
        "mean_wait_h_ci95": [low, high],
        "erlang_c_wait_h": erlang_c_wait(args.lam, args.mu, args.servers),
        "repeats": len(walls),
        "wall_s": wall,
        "wall_s_min": walls[0],
        "wall_s_max": walls[-1],
        "events_per_sec": events / wall,
        "requests_per_sec": len(waits) / wall,
    }))


if __name__ == "__main__":
    main()

"""The benchmark's anchor: a bare SimPy M/M/c queue (by default M/M/10 at utilisation 0.9).

Why an anchor: wall times depend on the machine and on what else runs on it. A textbook SimPy program
timed in the same bench run gives a yardstick that moves with the machine, so "model spells per second
over M/M/10 customers per second" can be compared across machines and days where raw speeds cannot.
The queue is the standard SimPy one (a source process with exponential gaps, one process per customer,
`simpy.Resource` with c servers, exponential service), with just enough bookkeeping to show it is a
correct M/M/c: the mean wait in queue and the time-average utilisation (tests check both against the
Erlang C formula).
"""

from __future__ import annotations

import random
import time
from typing import Any

MM10_SERVERS = 10
MM10_RHO = 0.9
MM10_CUSTOMERS = 200_000  # the bench's default: a few seconds of SimPy work on a 2026 laptop core


# About 65 lines, over the house's ~40: the textbook M/M/c program (source, customer, Resource) is
# kept in one function on purpose, so the anchor stays the plain SimPy program it claims to be.
def mm_queue(customers: int, servers: int = MM10_SERVERS, rho: float = MM10_RHO, seed: int = 1,
             warmup: int = 0) -> dict[str, Any]:
    """Serve `customers` customers in an M/M/`servers` queue at utilisation `rho` (service rate 1).

    Returns the wall time of the whole run, the customers served, customers per wall second and, over the
    customers after the first `warmup` (whose waits start from an empty system and so run short), the mean
    wait in queue, the share that waited at all, and the time-average share of busy servers between the
    arrival of the first counted customer and the last arrival. Runs under the same garbage-collector
    regime as the model, so that the comparison is like for like.
    """
    import simpy

    from sim.engine.model import without_gc_pauses

    if customers < 1 or servers < 1 or not 0.0 < rho < 1.0 or not 0 <= warmup < customers:
        raise ValueError(f"need customers >= 1, servers >= 1, 0 < rho < 1 and 0 <= warmup < customers, "
                         f"got {customers}, {servers}, {rho}, {warmup}")
    rng = random.Random(seed)
    expo = rng.expovariate
    arrival_rate = rho * servers  # service rate 1 per server
    acc = {"served": 0, "waits": 0.0, "waited": 0, "counted": 0, "busy": 0.0}
    window: list[float | None] = [None, None]  # [arrival of the first counted customer, last arrival]

    def customer(env: simpy.Environment, desk: simpy.Resource, index: int):
        arrived = env.now
        with desk.request() as req:
            yield req
            start = env.now
            if index >= warmup:
                wait = start - arrived
                acc["waits"] += wait
                acc["counted"] += 1
                if wait > 0.0:
                    acc["waited"] += 1
            yield env.timeout(expo(1.0))
        acc["served"] += 1
        lo, hi = window
        if lo is not None:  # busy time inside the window (time only moves on, so clipping online is exact)
            busy = (env.now if hi is None else min(env.now, hi)) - max(start, lo)
            if busy > 0.0:
                acc["busy"] += busy

    def source(env: simpy.Environment, desk: simpy.Resource):
        for i in range(customers):
            yield env.timeout(expo(arrival_rate))
            if i == warmup:
                window[0] = env.now
            if i == customers - 1:
                window[1] = env.now
            env.process(customer(env, desk, i))

    t0 = time.perf_counter()
    env = simpy.Environment()
    desk = simpy.Resource(env, capacity=servers)
    with without_gc_pauses():
        env.process(source(env, desk))
        env.run()
    wall = time.perf_counter() - t0
    lo, hi = window
    span = (hi - lo) if lo is not None and hi is not None else 0.0
    return {"customers": customers, "servers": servers, "rho": rho, "seed": seed, "warmup": warmup,
            "wall_s": wall, "served": acc["served"], "customers_per_s": acc["served"] / wall,
            "mean_wait": acc["waits"] / acc["counted"], "share_waited": acc["waited"] / acc["counted"],
            "utilisation": acc["busy"] / (servers * span) if span > 0 else float("nan"),
            "sim_time": env.now}

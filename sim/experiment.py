"""Replications of a scenario: serial or in local processes, identical results either way."""

from __future__ import annotations

import os
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import Any

import pandas as pd

import sim
from sim.compliance import legal_thresholds
from sim.model import Model
from sim.parameters import LoadedParams, load_params
from sim.results import KPI_COLUMNS, WEEKLY_COLUMNS, Results


def run_replication(params: LoadedParams, replication: int, seed: int) -> tuple[pd.DataFrame, pd.DataFrame, dict]:
    """Run one replication; return its KPI frame, weekly frame and counts for the benchmark."""
    t0 = time.perf_counter()
    model = Model(params, replication, seed)
    rec = model.run()
    kpis = rec.kpis(replication, params.scenario)
    weekly = rec.weekly_frame(replication, params.scenario)
    stats = {"replication": replication, "wall_s": time.perf_counter() - t0, "wakes": model.events,
             "processes": model.n_processes, "timeouts": model.n_timeouts, "initial": int(rec.c["start"].sum()),
             "spells": int(rec.c["arrived"].sum() + rec.c["start"].sum())}
    return kpis, weekly, stats


def _resolve(params) -> LoadedParams:
    if params is None or isinstance(params, (str, Path)):
        return load_params(params)
    return params


def run(params=None, replications: int = 1, seed: int = 1, workers: int | None = 1) -> Results:
    """Run `replications` replications with seeds (seed, replication r) for r = 0..n-1.

    `workers` > 1 runs replications in local processes (None: all cores); results are identical
    to a serial run because every replication draws only from its own seeded streams.
    """
    p = _resolve(params)
    if int(replications) < 1:
        raise sim.ParamError("replications", replications, "a whole number >= 1")
    n = int(replications)
    t0 = time.perf_counter()
    workers = os.cpu_count() or 1 if workers is None else max(1, int(workers))
    if workers > 1 and n > 1:
        with ProcessPoolExecutor(max_workers=min(workers, n)) as pool:
            parts = list(pool.map(run_replication, [p] * n, range(n), [seed] * n))
    else:
        parts = [run_replication(p, r, seed) for r in range(n)]
    kpis = pd.concat([k for k, _, _ in parts], ignore_index=True) if parts else pd.DataFrame(columns=KPI_COLUMNS)
    weekly = pd.concat([w for _, w, _ in parts], ignore_index=True) if parts else pd.DataFrame(columns=WEEKLY_COLUMNS)
    provenance: dict[str, Any] = {
        "scenario": p.scenario.name,
        "rules": p.scenario.model_dump(mode="json", by_alias=True)["rules"],
        "params_file": p.origin,
        "params_hash": p.params_hash,
        "seed": seed,
        "replications": n,
        "version": sim.__version__,
        "scale": p.scenario.scale,
        "years": p.scenario.years,
        "start_date": str(p.scenario.start_date),
        "wall_time_s": round(time.perf_counter() - t0, 3),
        "replication_stats": [s for _, _, s in parts],
        "assumptions": p.assumptions(),
        "legal_thresholds": legal_thresholds(p).to_dict(orient="records"),
        "params": p.scenario.model_dump(mode="json", by_alias=True),
    }
    return Results(kpis, weekly, provenance)

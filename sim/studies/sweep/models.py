"""What a sweep evaluates, and the task a worker runs: one design point × one replication.

A model is the simulation by default, or any ``"module:function"`` taking (values, replication,
seed) and returning KPI values: the Ishigami function of :mod:`sim.studies.sensitivity` checks the
machinery against known indices. Tasks are pure and keyed, so a retried task gives the same result.
"""

from __future__ import annotations

import hashlib
import importlib
import json
import time
import traceback
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from sim.experiment.runner import run_replication
from sim.inputs.errors import ParamError
from sim.inputs.loading import load_params
from sim.metrics.kpis import TABLE, TRIAL_ARMS


class SweepModel:
    """What a sweep evaluates. `prepare` runs in the driver (once per point) and may raise
    ParamError for an invalid point; `evaluate` runs in a worker and must be pure."""

    name = "model"

    def prepare(self, base: str | None, values: dict[str, Any]) -> Any:
        return dict(values)

    def resolved(self, payload: Any) -> tuple[str, str]:
        """(hash, JSON) of a point's resolved parameters, stored beside the results."""
        blob = json.dumps(payload, sort_keys=True, default=str)
        return hashlib.sha256(blob.encode()).hexdigest()[:16], blob

    def evaluate(self, payload: Any, replication: int, seed: int) -> pd.DataFrame | Mapping[str, float]:
        raise NotImplementedError

    def catalogue(self, payload: Any) -> KpiCatalogue | None:
        """The KPIs a point's tasks can return, to check the sweep's KPI names before anything runs;
        None when the model cannot say (its results are checked after the run instead)."""
        return None

    @property
    def deterministic(self) -> bool:
        """True when replications are identical by construction (no replication noise to measure)."""
        return False


@dataclass(frozen=True)
class KpiCatalogue:
    """KPI names, groups and providers a model computes (a reference names one of each)."""

    names: frozenset[str]
    groups: frozenset[str] = frozenset({"all"})
    providers: frozenset[str] = frozenset({"all"})

    def __or__(self, other: KpiCatalogue) -> KpiCatalogue:
        return KpiCatalogue(self.names | other.names, self.groups | other.groups, self.providers | other.providers)


class SimulationModel(SweepModel):
    """The simulation: a point is the base scenario with the fixed and factor overrides."""

    name = "simulation"

    def prepare(self, base, values):
        return load_params(base, values)

    def resolved(self, payload):
        return payload.params_hash, json.dumps(payload.scenario.model_dump(mode="json", by_alias=True), default=str)

    def evaluate(self, payload, replication, seed):
        return run_replication(payload, replication, seed)[0]

    def catalogue(self, payload):
        """Every KPI of the KPI table this scenario can have: the legal minimums' KPIs follow the
        kinds of its rule sets, the trials' KPIs the trial arms."""
        kinds = {item.kind for rs in payload.rule_sets.values() for gr in rs.groups.values()
                 for item in (*gr.talks, *gr.offers, *gr.clarifications)}
        keys = {"rule_kinds": sorted(kinds), "trial_arms": list(TRIAL_ARMS)}
        names = {row.name.format(key=key) for section in TABLE for row in section.rows
                 for key in (keys[section.family] if section.family else [""])}
        sc = payload.scenario
        return KpiCatalogue(frozenset(names), frozenset({"all", *sc.groups}),
                            frozenset({"all", *sc.capacity.providers}))


@dataclass(frozen=True)
class FunctionModel(SweepModel):
    """A plain function of (values, replication, seed) returning {kpi: value} or KPI rows."""

    fn: Callable[..., Any]

    @property
    def name(self) -> str:  # type: ignore[override]
        return f"{self.fn.__module__}:{self.fn.__qualname__}"

    def evaluate(self, payload, replication, seed):
        return self.fn(payload, replication, seed)

    def catalogue(self, payload):
        """The function's ``kpis`` attribute, if it declares one."""
        kpis = getattr(self.fn, "kpis", None)
        return KpiCatalogue(frozenset(kpis)) if kpis is not None else None

    @property
    def deterministic(self) -> bool:
        return bool(getattr(self.fn, "deterministic", False))


def resolve_model(ref: str | SweepModel | Callable[..., Any]) -> SweepModel:
    """"simulation", "module:function", a SweepModel or a function -> a SweepModel."""
    if isinstance(ref, SweepModel):
        return ref
    if callable(ref):
        return FunctionModel(ref)
    if ref in ("simulation", "sim"):
        return SimulationModel()
    allowed = "\"simulation\" or an importable \"module:function\""
    mod, _, attr = str(ref).partition(":")
    try:
        obj = getattr(importlib.import_module(mod), attr)
    except Exception:  # noqa: BLE001 - whatever importing the user's module raised, the name is wrong
        raise ParamError("model", ref, allowed) from None
    if not (isinstance(obj, SweepModel) or callable(obj)):
        raise ParamError("model", ref, f"{allowed}: {attr} is not a function")
    return resolve_model(obj)


def point_seed(seed: int, point: int) -> int:
    """The seed of a design point's replications: its own, derived from (sweep seed, point) by
    NumPy's SeedSequence, so that replication r at two points draws independent random numbers.

    Why not the same seeds at every point (common random numbers)? Then each replication's noise
    is shared by all points: a Morris elementary effect, a difference of two points with the same
    seeds, carries that replication's own effect, which no number of trajectories averages out,
    and its interval over the trajectories is far too narrow (a 10-trajectory screening called the
    frailty variance's effect on FTE -2.1 ± 0.4 when a Latin hypercube found +0.5 ± 0.5). With
    independent noise the analyses' and the diagnosis's intervals mean what they say."""
    state = np.random.SeedSequence([int(seed), int(point)]).generate_state(2, dtype=np.uint32)
    return int(state[0]) | int(state[1]) << 32


@dataclass(frozen=True)
class SweepTask:
    """One point × replication: everything a worker needs, nothing it must look up."""

    key: str
    point: int
    replication: int
    seed: int
    model: SweepModel
    payload: Any


def kpi_rows(out: pd.DataFrame | Mapping[str, float]) -> pd.DataFrame:
    """A model's output as rows kpi, group, provider, value."""
    if isinstance(out, Mapping):
        return pd.DataFrame({"kpi": list(out), "group": "all", "provider": "all",
                             "value": [float(v) for v in out.values()]})
    df = out.copy()
    for col in ("group", "provider"):
        if col not in df:
            df[col] = "all"
    return df[["kpi", "group", "provider", "value"]]


def run_task(task: SweepTask) -> dict[str, Any]:
    """Evaluate one task; an exception in the model becomes an error record, not a crash."""
    t0 = time.perf_counter()
    try:
        rows = kpi_rows(task.model.evaluate(task.payload, task.replication, task.seed))
        return {"point": task.point, "replication": task.replication, "rows": rows, "error": None,
                "wall_s": time.perf_counter() - t0}
    except Exception as exc:  # noqa: BLE001 - recorded, the sweep goes on
        tb = traceback.format_exc(limit=3)
        return {"point": task.point, "replication": task.replication, "rows": None,
                "error": f"{type(exc).__name__}: {exc}\n{tb}", "wall_s": time.perf_counter() - t0}

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

import pandas as pd

from sim.experiment.runner import run_replication
from sim.inputs.errors import ParamError
from sim.inputs.loading import load_params


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


class SimulationModel(SweepModel):
    """The simulation: a point is the base scenario with the fixed and factor overrides."""

    name = "simulation"

    def prepare(self, base, values):
        return load_params(base, values)

    def resolved(self, payload):
        return payload.params_hash, json.dumps(payload.scenario.model_dump(mode="json", by_alias=True), default=str)

    def evaluate(self, payload, replication, seed):
        return run_replication(payload, replication, seed)[0]


@dataclass(frozen=True)
class FunctionModel(SweepModel):
    """A plain function of (values, replication, seed) returning {kpi: value} or KPI rows."""

    fn: Callable[..., Any]

    @property
    def name(self) -> str:  # type: ignore[override]
        return f"{self.fn.__module__}:{self.fn.__qualname__}"

    def evaluate(self, payload, replication, seed):
        return self.fn(payload, replication, seed)


def resolve_model(ref: str | SweepModel | Callable[..., Any]) -> SweepModel:
    """"simulation", "module:function", a SweepModel or a function -> a SweepModel."""
    if isinstance(ref, SweepModel):
        return ref
    if callable(ref):
        return FunctionModel(ref)
    if ref in ("simulation", "sim"):
        return SimulationModel()
    mod, _, attr = str(ref).partition(":")
    try:
        obj = getattr(importlib.import_module(mod), attr)
    except (ImportError, AttributeError, ValueError):
        raise ParamError("model", ref, "\"simulation\" or an importable \"module:function\"") from None
    return resolve_model(obj)


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

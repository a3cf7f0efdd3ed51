"""The sweep driver: runs the tasks a sweep folder does not hold yet, and only it writes files.

Workers evaluate tasks and return records; the driver buffers them and appends them to the store
in small atomic parts, so a retried task (a worker died) is stored once and a killed sweep loses
at most the buffer. A task that raises is stored with its error and the sweep goes on; it is
not done, and a rerun repeats it only with ``retry_errors`` (``caseload sweep --retry-errors``).
"""

from __future__ import annotations

import json
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from tqdm import tqdm

from sim._version import __version__
from sim.experiment.executors import Executor, SerialExecutor, WorkersLost
from sim.experiment.results import atomic_write
from sim.inputs.errors import ParamError
from sim.studies.sweep.checks import check_base, check_factors, check_kpis, check_sweep_folder, point_error
from sim.studies.sweep.design import design_points
from sim.studies.sweep.models import SweepModel, SweepTask, point_seed, resolve_model, run_task
from sim.studies.sweep.result import SweepResult
from sim.studies.sweep.spec import SweepSpec, load_sweep
from sim.studies.sweep.store import Lock, Store, task_keys


def _read_points(path: Path) -> pd.DataFrame:
    try:
        return pd.read_parquet(path)
    except Exception as exc:  # noqa: BLE001 - any unreadable file: pyarrow raises many kinds
        raise ParamError("--out", str(path.parent), f"a sweep folder whose points.parquet is readable "
                         f"({type(exc).__name__}): choose another --out") from None


def _prepare_points(spec: SweepSpec, model: SweepModel, store: Store) -> tuple[pd.DataFrame, dict[int, Any]]:
    """The design with each point's resolved parameters (kept in points.parquet), and the payloads.
    Writes nothing: an invalid point is a ParamError before anything runs, and so is a resumed
    sweep whose base scenario has changed since (its old and new results must not be mixed)."""
    existing = store.out / "points.parquet"
    design = _read_points(existing) if existing.exists() else design_points(spec)
    factors = [f.path for f in spec.factors]
    if list(design.columns[:1 + len(factors)]) != ["point", *factors]:
        raise ParamError("--out", str(store.out), "a folder of this sweep; its points.parquet holds other factors: "
                         "choose another --out")
    payloads: dict[int, Any] = {}
    hashes: list[str] = []
    blobs: list[str] = []
    for row in design.itertuples(index=False):
        values = {f: v.item() if isinstance(v, np.generic) else v for f, v in zip(factors, row[1:1 + len(factors)])}
        try:
            payload = model.prepare(spec.base, {**spec.fixed, **values})
        except ParamError as exc:
            raise point_error(exc, int(row.point), values) from None
        h, blob = model.resolved(payload)
        payloads[int(row.point)] = payload
        hashes.append(h)
        blobs.append(blob)
    if existing.exists() and "params_hash" in design:
        changed = [int(p) for p, old, new in zip(design["point"], design["params_hash"], hashes)
                   if old is not None and old != new]
        if changed:
            raise ParamError("base", spec.base, f"the scenario this sweep started from: the resolved parameters of "
                             f"{len(changed)} points have changed since (the base file or the package was edited); "
                             f"run into a new --out, or restore the scenario to finish {store.out}")
    design = design[["point", *factors]].copy()
    design["params_hash"], design["params"], design["error"] = hashes, blobs, None
    return design, payloads


def _check_same_sweep(spec: SweepSpec, store: Store) -> dict[str, Any]:
    meta_path = store.out / "sweep.json"
    if meta_path.exists():
        try:
            meta = json.loads(meta_path.read_text(encoding="utf-8"))
            if not isinstance(meta, dict):
                raise ValueError("not a JSON object")
        except (OSError, ValueError) as exc:
            raise ParamError("--out", str(store.out), f"a sweep folder whose sweep.json is readable ({exc}): "
                             "choose another --out") from None
        if meta.get("spec_hash") != spec.spec_hash:
            raise ParamError("--out", str(store.out), f"a folder of this sweep; it holds sweep {meta.get('name')} "
                             f"with another design (hash {meta.get('spec_hash')}): choose another --out")
        return meta
    return {"name": spec.name, "spec_hash": spec.spec_hash, "version": __version__, "spec": spec.identity(),
            "kpis": spec.kpis, "description": spec.description, "runs": []}


def _write_meta(store: Store, meta: dict[str, Any]) -> None:
    atomic_write(store.out / "sweep.json", lambda p: Path(p).write_text(json.dumps(meta, indent=2, default=str)))


def _todo(spec: SweepSpec, points: pd.DataFrame, done: pd.DataFrame) -> list[tuple[int, int]]:
    """(point, replication) pairs to run: those not stored yet, and the failed ones when retried.
    A failed task is not done (the sweep reports it and exits non-zero) but it is not run again
    on its own: a failure that repeats would only cost time until its cause is fixed."""
    have = task_keys(done, status="ok" if spec.retry_errors else None)
    return [(int(p), r) for p in points["point"] for r in range(spec.replications) if (int(p), r) not in have]


def _progress(total: int, initial: int, name: str, show: bool) -> tqdm:
    """A progress bar on stderr when it is a terminal (a log file or a pipe gets none)."""
    return tqdm(total=total, initial=initial, desc=name, unit="task", disable=None if show else True,
                file=sys.stderr, dynamic_ncols=True, smoothing=0.1)


class SweepIncomplete(RuntimeError):
    """The workers were lost and the sweep stopped; what finished is stored and a rerun finishes it."""


def _execute(spec: SweepSpec, model: SweepModel, store: Store, executor: Executor, todo: list[tuple[int, int]],
             payloads: dict[int, Any], total: int, progress: bool,
             on_result: Callable[[dict[str, Any]], None] | None) -> int:
    """Run the pending tasks and store their records in parts; returns how many were computed."""
    tasks = [SweepTask(f"{spec.spec_hash}-p{p}-r{r}", p, r, point_seed(spec.seed, p), model, payloads[p])
             for p, r in todo]
    buffer: list[dict[str, Any]] = []
    computed, last_flush = 0, time.monotonic()
    bar = _progress(total, total - len(todo), spec.name, progress)
    try:
        for task, result in executor.imap_unordered(run_task, tasks):
            if isinstance(result, KeyboardInterrupt):
                raise KeyboardInterrupt  # Ctrl-C reached a worker first: stop, do not store it as the task's error
            if isinstance(result, BaseException):
                result = {"point": task.point, "replication": task.replication, "rows": None,
                          "error": f"{type(result).__name__}: {result}", "wall_s": 0.0}
            buffer.append(result)
            computed += 1
            bar.update(1)
            if on_result is not None:
                on_result(result)
            if len(buffer) >= spec.flush_every or time.monotonic() - last_flush >= spec.flush_seconds:
                store.append(buffer)
                buffer, last_flush = [], time.monotonic()
    except WorkersLost as exc:
        store.append(buffer)
        buffer = []
        raise SweepIncomplete(f"{exc}; the finished tasks are stored: run the same sweep again to finish it") \
            from None
    finally:
        store.append(buffer)
        bar.close()
    return computed


@dataclass
class PreparedSweep:
    """A sweep checked and ready to run: nothing has run and no file has been written yet."""

    spec: SweepSpec
    model: SweepModel
    store: Store
    meta: dict[str, Any]
    points: pd.DataFrame
    payloads: dict[int, Any]

    @property
    def n_tasks(self) -> int:
        return len(self.points) * self.spec.replications


def prepare_sweep(spec: SweepSpec | str | Path, out: str | Path | None = None,
                  model: str | SweepModel | Callable[..., Any] | None = None) -> PreparedSweep:
    """Check everything a sweep needs before it runs a task or writes a file
    (:mod:`sim.studies.sweep.checks`): the output folder, the base scenario, the factor paths,
    every design point's parameters and the KPI names. Raises ParamError on the first problem.
    `model` overrides the sweep file's model (the simulation unless it names one)."""
    if not isinstance(spec, SweepSpec):
        spec = load_sweep(spec)
    m = resolve_model(spec.model if model is None else model)
    if model is not None:
        spec.model = m.name  # the sweep's identity records the model that actually ran
    store = Store(check_sweep_folder(Path("results") / "sweeps" / spec.name if out is None else out))
    meta = _check_same_sweep(spec, store)
    check_base(spec, m)
    check_factors(spec, m)
    points, payloads = _prepare_points(spec, m, store)
    check_kpis(spec, m, payloads.values())
    return PreparedSweep(spec, m, store, meta, points, payloads)


def run_sweep(spec: SweepSpec | str | Path | PreparedSweep, out: str | Path | None = None,
              executor: Executor | None = None, model: str | SweepModel | Callable[..., Any] | None = None,
              progress: bool = False, on_result: Callable[[dict[str, Any]], None] | None = None) -> SweepResult:
    """Run the tasks of `spec` that `out` does not hold yet, on `executor` (default: serial).

    A spec is checked first (:func:`prepare_sweep`; a PreparedSweep already was), so a bad output
    folder, base scenario, factor path, design point or KPI name is a ParamError before anything
    runs. `on_result` is called in the driver after each finished task (tests use it to kill a
    worker mid-sweep). Stored failed tasks are run again only with ``spec.retry_errors``.
    """
    prep = spec if isinstance(spec, PreparedSweep) else prepare_sweep(spec, out, model)
    spec, m, store, meta, points = prep.spec, prep.model, prep.store, prep.meta, prep.points
    executor = executor or SerialExecutor()
    store.out.mkdir(parents=True, exist_ok=True)
    meta["kpis"] = spec.kpis  # not part of the identity: a rerun may analyse other KPIs
    with Lock(store.out):
        store.clean_temporaries()
        _write_meta(store, meta)
        if not (store.out / "points.parquet").exists():
            atomic_write(store.out / "points.parquet", lambda p: points.to_parquet(p, index=False))
        todo = _todo(spec, points, store.read_tasks())
        t0 = time.perf_counter()
        computed = _execute(spec, m, store, executor, todo, prep.payloads, prep.n_tasks, progress, on_result)
        wall = time.perf_counter() - t0
        run_info = {"when": time.strftime("%Y-%m-%dT%H:%M:%S"), **executor.describe(), "computed": computed,
                    "wall_s": round(wall, 3), "tasks_per_s": round(computed / wall, 4) if computed and wall else 0.0}
        meta["runs"] = [*meta.get("runs", []), run_info]
        _write_meta(store, meta)
        return SweepResult(store.out, spec, points, store.read_tasks(), computed, wall, executor.describe(),
                           deterministic=m.deterministic)


def open_sweep(out: str | Path, spec: SweepSpec | str | Path) -> SweepResult:
    """Read a sweep folder back without running anything."""
    if not isinstance(spec, SweepSpec):
        spec = load_sweep(spec)
    store = Store(out)
    points = _read_points(store.out / "points.parquet")
    return SweepResult(store.out, spec, points, store.read_tasks(),
                       deterministic=resolve_model(spec.model).deterministic)

"""The sweep driver: runs the tasks a sweep folder does not hold yet, and only it writes files.

Workers evaluate tasks and return records; the driver buffers them and appends them to the store
in small atomic parts, so a retried task (a worker died) is stored once and a killed sweep loses
at most the buffer. A task that raises is stored with its error and the sweep goes on; a rerun
does not repeat it unless ``retry_errors = true``.
"""

from __future__ import annotations

import json
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from tqdm import tqdm

from sim._version import __version__
from sim.experiment.executors import Executor, SerialExecutor, WorkersLost
from sim.experiment.results import atomic_write
from sim.inputs.errors import ParamError
from sim.studies.sweep.design import design_points
from sim.studies.sweep.models import SweepModel, SweepTask, resolve_model, run_task
from sim.studies.sweep.result import SweepResult
from sim.studies.sweep.spec import SweepSpec, load_sweep
from sim.studies.sweep.store import Lock, Store


def _prepare_points(spec: SweepSpec, model: SweepModel, store: Store) -> tuple[pd.DataFrame, dict[int, Any]]:
    """The design with each point's resolved parameters (kept in points.parquet), and the
    payloads; a point whose parameters are invalid gets its error instead of a payload."""
    existing = store.out / "points.parquet"
    design = pd.read_parquet(existing) if existing.exists() else design_points(spec)
    factors = [f.path for f in spec.factors]
    payloads: dict[int, Any] = {}
    hashes: list[str | None] = []
    blobs: list[str | None] = []
    errors: list[str | None] = []
    for row in design.itertuples(index=False):
        values = dict(spec.fixed)
        for f, v in zip(factors, row[1:1 + len(factors)]):
            values[f] = v.item() if isinstance(v, np.generic) else v
        try:
            payload = model.prepare(spec.base, values)
            h, blob = model.resolved(payload)
            payloads[int(row.point)] = payload
            hashes.append(h)
            blobs.append(blob)
            errors.append(None)
        except ParamError as exc:
            payloads[int(row.point)] = exc
            hashes.append(None)
            blobs.append(None)
            errors.append(str(exc))
    if existing.exists() and "params_hash" in design:
        changed = [int(p) for p, old, new in zip(design["point"], design["params_hash"], hashes)
                   if old is not None and new is not None and old != new]
        if changed:
            raise ParamError("base", spec.base, f"the scenario this sweep started from: the resolved parameters of "
                             f"{len(changed)} points have changed since (the base file or the package was edited); "
                             f"run into a new --out, or restore the scenario to finish {store.out}")
    design = design[["point", *factors]].copy()
    design["params_hash"], design["params"], design["error"] = hashes, blobs, errors
    if not existing.exists():
        atomic_write(existing, lambda p: design.to_parquet(p, index=False))
    return design, payloads


def _check_same_sweep(spec: SweepSpec, store: Store) -> dict[str, Any]:
    meta_path = store.out / "sweep.json"
    if meta_path.exists():
        meta = json.loads(meta_path.read_text())
        if meta.get("spec_hash") != spec.spec_hash:
            raise ParamError("--out", str(store.out), f"a folder of this sweep; it holds sweep {meta.get('name')} "
                             f"with another design (hash {meta.get('spec_hash')}): choose another --out")
        return meta
    return {"name": spec.name, "spec_hash": spec.spec_hash, "version": __version__, "spec": spec.identity(),
            "kpis": spec.kpis, "description": spec.description, "runs": []}


def _write_meta(store: Store, meta: dict[str, Any]) -> None:
    atomic_write(store.out / "sweep.json", lambda p: Path(p).write_text(json.dumps(meta, indent=2, default=str)))


def _todo(spec: SweepSpec, points: pd.DataFrame, done: pd.DataFrame) -> list[tuple[int, int]]:
    """(point, replication) pairs not stored yet; stored errors count as done unless retried."""
    if len(done) and not spec.retry_errors:
        have = set(map(tuple, done[["point", "replication"]].drop_duplicates().to_numpy().tolist()))
    else:
        ok = done[done["status"] == "ok"] if len(done) else done
        have = set(map(tuple, ok[["point", "replication"]].drop_duplicates().to_numpy().tolist()))
    return [(int(p), r) for p in points["point"] for r in range(spec.replications) if (int(p), r) not in have]


def _progress(total: int, initial: int, name: str, show: bool) -> tqdm:
    return tqdm(total=total, initial=initial, desc=name, unit="task", disable=not show, file=sys.stderr,
                dynamic_ncols=True, smoothing=0.1)


def _execute(spec: SweepSpec, model: SweepModel, store: Store, executor: Executor, todo: list[tuple[int, int]],
             payloads: dict[int, Any], total: int, progress: bool,
             on_result: Callable[[dict[str, Any]], None] | None) -> int:
    """Run the pending tasks and store their records in parts; returns how many were computed.
    Points with invalid parameters are stored as errors without running."""
    invalid = [(p, r) for p, r in todo if isinstance(payloads[p], ParamError)]
    tasks = [SweepTask(f"{spec.spec_hash}-p{p}-r{r}", p, r, spec.seed, model, payloads[p])
             for p, r in todo if not isinstance(payloads[p], ParamError)]
    buffer: list[dict[str, Any]] = [{"point": p, "replication": r, "rows": None, "error": str(payloads[p]),
                                     "wall_s": 0.0} for p, r in invalid]
    computed, last_flush = 0, time.monotonic()
    bar = _progress(total, total - len(todo), spec.name, progress)
    try:
        bar.update(len(invalid))
        for task, result in executor.imap_unordered(run_task, tasks):
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
        raise RuntimeError(f"{exc}; the finished tasks are stored: run the same sweep again to finish it") from exc
    finally:
        store.append(buffer)
        bar.close()
    return computed


def run_sweep(spec: SweepSpec | str | Path, out: str | Path | None = None, executor: Executor | None = None,
              model: str | SweepModel | Callable[..., Any] | None = None, progress: bool = False,
              on_result: Callable[[dict[str, Any]], None] | None = None) -> SweepResult:
    """Run the tasks of `spec` that `out` does not hold yet, on `executor` (default: serial).

    `model` overrides the sweep file's model (the simulation unless it names one). `on_result` is
    called in the driver after each finished task (tests use it to kill a worker mid-sweep).
    """
    if not isinstance(spec, SweepSpec):
        spec = load_sweep(spec)
    m = resolve_model(spec.model if model is None else model)
    if model is not None:
        spec.model = m.name  # the sweep's identity records the model that actually ran
    store = Store(out or Path("results") / "sweeps" / spec.name)
    store.out.mkdir(parents=True, exist_ok=True)
    executor = executor or SerialExecutor()
    with Lock(store.out):
        store.clean_temporaries()
        meta = _check_same_sweep(spec, store)
        _write_meta(store, meta)
        points, payloads = _prepare_points(spec, m, store)
        todo = _todo(spec, points, store.read_tasks())
        t0 = time.perf_counter()
        computed = _execute(spec, m, store, executor, todo, payloads, len(points) * spec.replications, progress,
                            on_result)
        wall = time.perf_counter() - t0
        run_info = {"when": time.strftime("%Y-%m-%dT%H:%M:%S"), **executor.describe(), "computed": computed,
                    "wall_s": round(wall, 3), "tasks_per_s": round(computed / wall, 4) if computed and wall else 0.0}
        meta["runs"] = [*meta.get("runs", []), run_info]
        _write_meta(store, meta)
        return SweepResult(store.out, spec, points, store.read_tasks(), computed, wall, executor.describe())


def open_sweep(out: str | Path, spec: SweepSpec | str | Path) -> SweepResult:
    """Read a sweep folder back without running anything."""
    if not isinstance(spec, SweepSpec):
        spec = load_sweep(spec)
    store = Store(out)
    points = pd.read_parquet(store.out / "points.parquet")
    return SweepResult(store.out, spec, points, store.read_tasks())

"""Parameter sweeps: a design over dotted parameter paths, every point × replication one task,
results in a Parquet dataset that a rerun completes rather than recomputes.

A sweep file (TOML) names a base scenario, fixed overrides, factors and a design::

    name = "effects_lhs"
    base = "national_default"          # a scenario name or a path (relative to this file)
    design = "lhs"                      # "grid" | "lhs" | "sobol" | "morris"
    points = 100                        # lhs: points; sobol/morris: SALib's N; grid: ignored
    replications = 2
    seed = 1
    kpis = ["fte_needed", "exit_work_or_education_6m"]
    [set]                               # fixed overrides for every point
    scale = 0.02
    [factors]                           # dotted path -> [low, high] or {levels = [...]}
    "effects.talk_multiplier.dagpenge" = [1.10, 1.30]
    "effects.talk_weeks" = { levels = [2.0, 4.0, 8.0] }

Why it is built this way:

- **Tasks are pure and keyed.** Task (point p, replication r) runs the point's resolved
  parameters with seeds (seed, r): the same task gives the same result on any executor, and a
  retry after a worker died gives it again. Only the driver writes files, so a retried task is
  stored once.
- **Interruption-safe.** The driver appends finished tasks in small Parquet parts, each written
  atomically (`tasks/part-NNNNNN.parquet`, rows keyed by point and replication). A killed sweep
  loses at most the unwritten buffer; a rerun reads which tasks are done and computes the rest.
- **Failures are data.** A task that raises is stored with its error (`status = "error"`) and the
  sweep goes on; a rerun does not repeat it unless `retry_errors = true`.
- **The model is pluggable.** A sweep evaluates the simulation by default, or any
  ``model = "module:function"`` taking (values, replication, seed) and returning KPI values: the
  Ishigami function of :mod:`sim.sensitivity` checks the machinery against known indices.
"""

from __future__ import annotations

import hashlib
import importlib
import itertools
import json
import os
import sys
import time
import traceback
from collections.abc import Callable, Mapping
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from sim._version import __version__
from sim.experiment.executors import Executor, SerialExecutor, WorkersLost, make_executor
from sim.experiment.results import atomic_write
from sim.inputs.errors import ParamError
from sim.inputs.files import params_dir, read_toml
from sim.inputs.loading import load_params
from sim.inputs.schema import is_numeric

DESIGNS = ("grid", "lhs", "sobol", "morris")
TASK_COLUMNS = ["point", "replication", "status", "kpi", "group", "provider", "value", "error", "wall_s"]
SPEC_KEYS = {"name", "description", "base", "model", "design", "points", "replications", "seed", "kpis",
             "grid_levels", "set", "factors", "retry_errors", "flush_every", "flush_seconds"}


# ---------------------------------------------------------------- the sweep file


@dataclass
class Factor:
    """One swept parameter: a continuous range [low, high] or a list of levels."""

    path: str
    low: float | None = None
    high: float | None = None
    levels: list[Any] | None = None

    @property
    def continuous(self) -> bool:
        return self.levels is None

    def from_unit(self, u: np.ndarray) -> list[Any]:
        """Values for points u in [0, 1): scaled to the range, or the level whose stratum holds u."""
        if self.continuous:
            return [float(self.low + x * (self.high - self.low)) for x in u]
        k = len(self.levels)
        return [self.levels[min(int(x * k), k - 1)] for x in u]


@dataclass
class SweepSpec:
    """A validated sweep file."""

    name: str
    factors: list[Factor]
    design: str = "lhs"
    points: int = 10
    replications: int = 1
    seed: int = 1
    kpis: list[str] = field(default_factory=list)
    base: str | None = None
    model: str = "simulation"
    fixed: dict[str, Any] = field(default_factory=dict)
    grid_levels: int = 3
    retry_errors: bool = False
    flush_every: int = 32
    flush_seconds: float = 5.0
    description: str = ""

    @property
    def bounds(self) -> dict[str, tuple[float, float]]:
        return {f.path: (float(f.low), float(f.high)) for f in self.factors if f.continuous}

    def identity(self) -> dict[str, Any]:
        """What determines the tasks and their results (not the flushing or error policy)."""
        return {"factors": [asdict(f) for f in self.factors], "design": self.design, "points": self.points,
                "replications": self.replications, "seed": self.seed, "base": self.base, "model": self.model,
                "set": self.fixed, "grid_levels": self.grid_levels}

    @property
    def spec_hash(self) -> str:
        blob = json.dumps(self.identity(), sort_keys=True, default=str)
        return hashlib.sha256(blob.encode()).hexdigest()[:16]


def _flatten_factors(node: Mapping[str, Any], prefix: str = "") -> dict[str, Any]:
    """`[factors]` as dotted path -> definition; nested tables are paths too, so both
    ``"effects.talk_weeks" = [2, 8]`` and ``[factors.effects] talk_weeks = [2, 8]`` work."""
    out: dict[str, Any] = {}
    for k, v in node.items():
        path = f"{prefix}.{k}" if prefix else k
        if isinstance(v, dict) and not ({"levels", "low", "high"} & set(v)):
            out.update(_flatten_factors(v, path))
        else:
            out[path] = v
    return out


def _factor(path: str, spec: Any) -> Factor:
    where = f"factors.{path}"
    if isinstance(spec, dict):
        if "levels" in spec:
            levels = spec["levels"]
            if not isinstance(levels, list) or not levels:
                raise ParamError(where, levels, "a non-empty list of levels")
            return Factor(path, levels=list(levels))
        spec = [spec.get("low"), spec.get("high")]
    if isinstance(spec, list) and len(spec) == 2 and all(is_numeric(x) and not isinstance(x, list) for x in spec):
        lo, hi = float(spec[0]), float(spec[1])
        if not lo < hi:
            raise ParamError(where, spec, "a range [low, high] with low < high")
        return Factor(path, lo, hi)
    raise ParamError(where, spec, "a range [low, high] or a table { levels = [...] }")


def parse_spec(data: Mapping[str, Any], name: str = "sweep", relative_to: Path | None = None) -> SweepSpec:
    """Validate a sweep definition (the TOML file's contents); errors are ParamErrors naming the key."""
    unknown = set(data) - SPEC_KEYS
    if unknown:
        raise ParamError(sorted(unknown)[0], data[sorted(unknown)[0]], f"unknown sweep key; known: {sorted(SPEC_KEYS)}")
    design = str(data.get("design", "lhs")).lower()
    if design not in DESIGNS:
        raise ParamError("design", data.get("design"), " | ".join(DESIGNS))
    raw = data.get("factors")
    if not isinstance(raw, dict) or not raw:
        raise ParamError("factors", raw, "a table of dotted parameter paths -> [low, high] or { levels = [...] }")
    factors = [_factor(p, s) for p, s in _flatten_factors(raw).items()]
    if design in ("sobol", "morris", "lhs") and any(not f.continuous for f in factors) and design != "lhs":
        bad = next(f for f in factors if not f.continuous)
        raise ParamError(f"factors.{bad.path}", bad.levels, f"a range [low, high]: the {design} design needs ranges")

    def whole(key: str, default: int, low: int) -> int:
        v = data.get(key, default)
        if isinstance(v, bool) or not isinstance(v, int) or v < low:
            raise ParamError(key, v, f"a whole number >= {low}")
        return v

    points = whole("points", 10, 1)
    if design == "morris" and points < 2:
        raise ParamError("points", points, "at least 2 Morris trajectories")
    kpis = data.get("kpis", [])
    if isinstance(kpis, str):
        kpis = [kpis]
    if not isinstance(kpis, list) or not all(isinstance(k, str) for k in kpis):
        raise ParamError("kpis", kpis, "a list of KPI names")
    base = data.get("base", "national_default")
    if base is not None and relative_to is not None and (relative_to / str(base)).is_file():
        base = str((relative_to / str(base)).resolve())
    fixed = data.get("set", {}) or {}
    if not isinstance(fixed, dict):
        raise ParamError("set", fixed, "a table of dotted parameter paths -> values")
    flush_seconds = data.get("flush_seconds", 5.0)
    if not is_numeric(flush_seconds) or isinstance(flush_seconds, list) or flush_seconds < 0:
        raise ParamError("flush_seconds", flush_seconds, "a number of seconds >= 0")
    return SweepSpec(
        name=str(data.get("name", name)), factors=factors, design=design, points=points,
        replications=whole("replications", 1, 1), seed=whole("seed", 1, 0), kpis=list(kpis), base=base,
        model=str(data.get("model", "simulation")), fixed=_flatten_set(fixed),
        grid_levels=whole("grid_levels", 3, 2), retry_errors=bool(data.get("retry_errors", False)),
        flush_every=whole("flush_every", 32, 1), flush_seconds=float(flush_seconds),
        description=str(data.get("description", "")))


def _flatten_set(node: Mapping[str, Any], prefix: str = "") -> dict[str, Any]:
    out: dict[str, Any] = {}
    for k, v in node.items():
        path = f"{prefix}.{k}" if prefix else k
        if isinstance(v, dict):
            out.update(_flatten_set(v, path))
        else:
            out[path] = v
    return out


def load_sweep(path: str | Path) -> SweepSpec:
    """Read and validate a sweep file."""
    p = Path(path)
    if not p.is_file():
        candidate = params_dir() / "sweeps" / (str(path) + ("" if str(path).endswith(".toml")
                                                                              else ".toml"))
        if candidate.is_file():
            p = candidate
    return parse_spec(read_toml(p), name=p.stem, relative_to=p.parent)


# ---------------------------------------------------------------- the design


def design_points(spec: SweepSpec) -> pd.DataFrame:
    """The design as a frame: `point` and one column per factor path, in the order the analysis
    needs (SALib's sample order for sobol and morris)."""
    names = [f.path for f in spec.factors]
    if spec.design == "grid":
        axes = [f.levels if not f.continuous else list(np.linspace(f.low, f.high, spec.grid_levels))
                for f in spec.factors]
        rows = [[float(v) if isinstance(v, np.floating) else v for v in combo] for combo in itertools.product(*axes)]
    elif spec.design == "lhs":
        from scipy.stats import qmc

        u = qmc.LatinHypercube(d=len(names), seed=spec.seed).random(spec.points)
        cols = [f.from_unit(u[:, j]) for j, f in enumerate(spec.factors)]
        rows = [list(r) for r in zip(*cols)]
    else:
        from sim.studies.sensitivity import sample

        X = sample(spec.design, spec.bounds, spec.points, spec.seed)
        rows = [[float(x) for x in r] for r in X]
    df = pd.DataFrame(rows, columns=names)
    df.insert(0, "point", np.arange(len(df), dtype=np.int64))
    return df


# ---------------------------------------------------------------- models and tasks


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
        from sim.experiment.runner import run_replication

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


# ---------------------------------------------------------------- storage


class Store:
    """The sweep folder: sweep.json, points.parquet and the task dataset tasks/part-*.parquet."""

    def __init__(self, out: str | Path):
        self.out = Path(out)
        self.tasks_dir = self.out / "tasks"
        self._seq: int | None = None

    def parts(self) -> list[Path]:
        return sorted(self.tasks_dir.glob("part-*.parquet")) if self.tasks_dir.exists() else []

    def read_tasks(self) -> pd.DataFrame:
        """Every stored row; where a task was stored twice (a retried error), the latest part wins."""
        frames = []
        for p in self.parts():
            df = pd.read_parquet(p)
            df["part"] = int(p.stem.split("-")[1])
            frames.append(df)
        if not frames:
            return pd.DataFrame(columns=[*TASK_COLUMNS, "part"])
        df = pd.concat(frames, ignore_index=True)
        latest = df.groupby(["point", "replication"])["part"].transform("max")
        return df[df["part"] == latest].reset_index(drop=True)

    def append(self, records: list[dict[str, Any]]) -> None:
        """Write finished tasks as one new part, atomically."""
        if not records:
            return
        cols: dict[str, list[Any]] = {c: [] for c in TASK_COLUMNS}
        for r in records:
            rows = r["rows"]
            n = len(rows) if r["error"] is None else 1
            cols["point"] += [r["point"]] * n
            cols["replication"] += [r["replication"]] * n
            cols["wall_s"] += [r["wall_s"]] * n
            cols["status"] += ["ok" if r["error"] is None else "error"] * n
            cols["error"] += [r["error"]] * n
            for c in ("kpi", "group", "provider", "value"):
                cols[c] += rows[c].tolist() if r["error"] is None else [np.nan if c == "value" else None]
        df = pd.DataFrame(cols)[TASK_COLUMNS]
        df = df.astype({"point": "int64", "replication": "int64", "value": "float64", "wall_s": "float64"})
        self.tasks_dir.mkdir(parents=True, exist_ok=True)
        if self._seq is None:
            parts = self.parts()
            self._seq = int(parts[-1].stem.split("-")[1]) + 1 if parts else 0
        atomic_write(self.tasks_dir / f"part-{self._seq:06d}.parquet", lambda p: df.to_parquet(p, index=False))
        self._seq += 1

    def clean_temporaries(self) -> None:
        """Remove half-written temporary files a killed run left behind."""
        for d in (self.out, self.tasks_dir):
            if d.exists():
                for tmp in d.glob(".*.tmp"):
                    tmp.unlink(missing_ok=True)


class Lock:
    """One driver per sweep folder at a time (two would store tasks twice). A lock left by a
    killed process (its pid no longer runs on this host) is taken over."""

    def __init__(self, out: Path):
        self.path = out / "sweep.lock"

    def __enter__(self) -> Lock:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        for _ in range(2):
            try:
                fd = os.open(self.path, os.O_CREAT | os.O_EXCL | os.O_WRONLY)
                os.write(fd, str(os.getpid()).encode())
                os.close(fd)
                return self
            except FileExistsError:
                try:
                    pid = int(self.path.read_text().strip() or 0)
                    os.kill(pid, 0)
                except (ValueError, ProcessLookupError, FileNotFoundError):
                    self.path.unlink(missing_ok=True)
                    continue
                except PermissionError:
                    pass
                raise ParamError("--out", str(self.path.parent), f"a folder no other sweep is running in (pid {pid})") \
                    from None
        raise ParamError("--out", str(self.path.parent), "a folder whose sweep.lock can be taken")

    def __exit__(self, *exc: Any) -> None:
        self.path.unlink(missing_ok=True)


# ---------------------------------------------------------------- running a sweep


@dataclass
class SweepResult:
    """A sweep folder read back: the design, the tidy KPI rows, the task log and this run's counts."""

    out: Path
    spec: SweepSpec
    points: pd.DataFrame
    tasks: pd.DataFrame
    computed: int = 0
    wall_s: float = 0.0
    executor: dict[str, Any] = field(default_factory=dict)

    @property
    def kpis(self) -> pd.DataFrame:
        """point, replication, kpi, group, provider, value for every successful task."""
        ok = self.tasks[self.tasks["status"] == "ok"]
        return ok[["point", "replication", "kpi", "group", "provider", "value"]].sort_values(
            ["point", "replication", "kpi", "group", "provider"], kind="stable").reset_index(drop=True)

    @property
    def errors(self) -> pd.DataFrame:
        return self.tasks[self.tasks["status"] == "error"][["point", "replication", "error"]].reset_index(drop=True)

    @property
    def n_tasks(self) -> int:
        return len(self.points) * self.spec.replications

    @property
    def n_done(self) -> int:
        return int(self.tasks[["point", "replication"]].drop_duplicates().shape[0]) if len(self.tasks) else 0

    @property
    def throughput(self) -> float:
        """Tasks per second computed by this run (0 if it computed none)."""
        return self.computed / self.wall_s if self.computed and self.wall_s > 0 else 0.0

    def point_means(self, kpi: str, group: str = "all", provider: str = "all") -> pd.Series:
        """One KPI's mean over replications per design point, in design order (NaN where missing)."""
        k = self.kpis
        sel = k[(k.kpi == kpi) & (k.group == group) & (k.provider == provider)]
        return sel.groupby("point")["value"].mean().reindex(self.points["point"]).rename(kpi)

    def table(self, kpis: list[str] | None = None) -> pd.DataFrame:
        """The design with each KPI's mean over replications (group and provider "all")."""
        out = self.points[["point", *[f.path for f in self.spec.factors]]].copy()
        for kpi in kpis or self.spec.kpis:
            out[kpi] = self.point_means(kpi).to_numpy()
        return out

    def sensitivity(self, kpi: str, group: str = "all", provider: str = "all") -> pd.DataFrame:
        """Sobol (sobol design), Morris (morris) or RBD-FAST first-order Sobol (lhs) indices."""
        from sim.studies.sensitivity import analyse

        factors = [f.path for f in self.spec.factors]
        X = self.points[factors].to_numpy(dtype=float)
        return analyse(self.spec.design, self.spec.bounds, X, self.point_means(kpi, group, provider).to_numpy(),
                       seed=self.spec.seed)


def _prepare_points(spec: SweepSpec, model: SweepModel, store: Store) -> tuple[pd.DataFrame, dict[int, Any]]:
    """The design with each point's resolved parameters (kept in points.parquet), and the
    payloads; a point whose parameters are invalid gets its error instead of a payload."""
    existing = store.out / "points.parquet"
    design = pd.read_parquet(existing) if existing.exists() else design_points(spec)
    factors = [f.path for f in spec.factors]
    payloads: dict[int, Any] = {}
    hashes, blobs, errors = [], [], []
    for row in design.itertuples(index=False):
        values = dict(spec.fixed)
        for f, v in zip(factors, row[1:1 + len(factors)]):
            values[f] = v.item() if isinstance(v, np.generic) else v
        try:
            payload = model.prepare(spec.base, values)
            h, blob = model.resolved(payload)
            payloads[int(row.point)] = payload
            hashes.append(h), blobs.append(blob), errors.append(None)
        except ParamError as exc:
            payloads[int(row.point)] = exc
            hashes.append(None), blobs.append(None), errors.append(str(exc))
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


def run_sweep(spec: SweepSpec | str | Path, out: str | Path | None = None, executor: Executor | None = None,
              model: str | SweepModel | Callable[..., Any] | None = None, progress: bool = False,
              on_result: Callable[[dict[str, Any]], None] | None = None) -> SweepResult:
    """Run the tasks of `spec` that `out` does not hold yet, on `executor` (default: serial).

    `model` overrides the sweep file's model (the simulation unless it names one). `on_result` is
    called in the driver after each finished task (tests use it to kill a worker mid-sweep).
    """
    if not isinstance(spec, SweepSpec):
        spec = load_sweep(spec)
    if model is not None:
        m = resolve_model(model)
        spec.model = m.name
    else:
        m = resolve_model(spec.model)
    store = Store(out or Path("results") / "sweeps" / spec.name)
    store.out.mkdir(parents=True, exist_ok=True)
    executor = executor or SerialExecutor()
    with Lock(store.out):
        store.clean_temporaries()
        meta = _check_same_sweep(spec, store)
        atomic_write(store.out / "sweep.json", lambda p: Path(p).write_text(json.dumps(meta, indent=2, default=str)))
        points, payloads = _prepare_points(spec, m, store)
        done = store.read_tasks()
        if len(done) and not spec.retry_errors:
            have = set(map(tuple, done[["point", "replication"]].drop_duplicates().to_numpy().tolist()))
        else:
            ok = done[done["status"] == "ok"] if len(done) else done
            have = set(map(tuple, ok[["point", "replication"]].drop_duplicates().to_numpy().tolist()))
        todo = [(int(p), r) for p in points["point"] for r in range(spec.replications) if (int(p), r) not in have]
        invalid = [(p, r) for p, r in todo if isinstance(payloads[p], ParamError)]
        tasks = [SweepTask(f"{spec.spec_hash}-p{p}-r{r}", p, r, spec.seed, m, payloads[p])
                 for p, r in todo if not isinstance(payloads[p], ParamError)]
        total = len(points) * spec.replications
        t0 = time.perf_counter()
        computed = 0
        buffer: list[dict[str, Any]] = [{"point": p, "replication": r, "rows": None, "error": str(payloads[p]),
                                         "wall_s": 0.0} for p, r in invalid]
        last_flush = time.monotonic()
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
            raise RuntimeError(f"{exc}; the finished tasks are stored: run the same sweep again to finish it") \
                from exc
        finally:
            store.append(buffer)
            bar.close()
        wall = time.perf_counter() - t0
        run_info = {"when": time.strftime("%Y-%m-%dT%H:%M:%S"), **executor.describe(), "computed": computed,
                    "wall_s": round(wall, 3), "tasks_per_s": round(computed / wall, 4) if computed and wall else 0.0}
        meta["runs"] = [*meta.get("runs", []), run_info]
        atomic_write(store.out / "sweep.json", lambda p: Path(p).write_text(json.dumps(meta, indent=2, default=str)))
        return SweepResult(store.out, spec, points, store.read_tasks(), computed, wall, executor.describe())


def open_sweep(out: str | Path, spec: SweepSpec | str | Path) -> SweepResult:
    """Read a sweep folder back without running anything."""
    if not isinstance(spec, SweepSpec):
        spec = load_sweep(spec)
    store = Store(out)
    points = pd.read_parquet(store.out / "points.parquet")
    return SweepResult(store.out, spec, points, store.read_tasks())


def _progress(total: int, initial: int, name: str, show: bool):
    from tqdm import tqdm

    return tqdm(total=total, initial=initial, desc=name, unit="task", disable=not show, file=sys.stderr,
                dynamic_ncols=True, smoothing=0.1)


# ---------------------------------------------------------------- reports and the command


def write_outputs(res: SweepResult, lang: str = "en") -> list[Path]:
    """table.csv (design with KPI means), kpis.parquet (tidy), errors.csv, and for lhs, sobol and
    morris designs sensitivity.csv with one chart per KPI."""
    out = res.out
    written = []
    kp = res.kpis
    atomic_write(out / "kpis.parquet", lambda p: kp.to_parquet(p, index=False))
    table = res.table()
    atomic_write(out / "table.csv", lambda p: table.to_csv(p, index=False))
    written += [out / "kpis.parquet", out / "table.csv"]
    if len(res.errors):
        errs = res.errors
        atomic_write(out / "errors.csv", lambda p: errs.to_csv(p, index=False))
        written.append(out / "errors.csv")
    if res.spec.design == "grid" or not res.spec.kpis or res.n_done < res.n_tasks:
        return written
    frames = []
    for kpi in res.spec.kpis:
        try:
            df = res.sensitivity(kpi)
        except ValueError as exc:
            print(f"sensitivity of {kpi}: not computed ({exc})", file=sys.stderr)
            continue
        df.insert(0, "kpi", kpi)
        frames.append(df)
        from sim.studies.sensitivity import chart

        fig = chart(df, kpi, lang, caption=f"sweep {res.spec.name} ({res.spec.design}, {len(res.points)} points × "
                                            f"{res.spec.replications} replications, seed {res.spec.seed}), "
                                            f"caseload-sim {__version__}")
        for ext in ("png", "svg"):
            path = out / f"sensitivity_{kpi}.{ext}"
            atomic_write(path, lambda p, fig=fig, ext=ext: fig.savefig(p, format=ext, dpi=150))
            written.append(path)
        import matplotlib.pyplot as plt

        plt.close(fig)
    if frames:
        sens = pd.concat(frames, ignore_index=True)
        atomic_write(out / "sensitivity.csv", lambda p: sens.to_csv(p, index=False))
        written.append(out / "sensitivity.csv")
    return written


def sweep_command(args: Any) -> int:
    """`caseload sweep SWEEP.toml [--out DIR] [--workers W] [--serial] [--dask ADDRESS]`."""
    spec = load_sweep(args.sweep_file)
    out = Path(args.out) if args.out else Path("results") / "sweeps" / spec.name
    n_points = len(design_points(spec))
    print(f"caseload-sim {__version__}: sweep {spec.name} | {spec.design}, {n_points} points × "
          f"{spec.replications} replications = {n_points * spec.replications} tasks | factors "
          f"{', '.join(f.path for f in spec.factors)} | out {out}", flush=True)
    executor = make_executor(getattr(args, "serial", False), getattr(args, "workers", None),
                             getattr(args, "dask", None), key_prefix=f"caseload-{spec.name}")
    with executor:
        res = run_sweep(spec, out, executor, progress=True)
    written = write_outputs(res)
    print(f"{res.n_done} of {res.n_tasks} tasks done ({res.computed} computed now on {res.executor.get('executor')} "
          f"with {res.executor.get('workers')} workers, {res.throughput:.2f} tasks/s); {len(res.errors)} failed"
          + (f" (see {out}/errors.csv)" if len(res.errors) else ""))
    sens = out / "sensitivity.csv"
    if sens in written:
        df = pd.read_csv(sens)
        key = "mu_star" if "mu_star" in df and df["mu_star"].notna().any() else ("ST" if "ST" in df else "S1")
        with pd.option_context("display.width", 160, "display.max_columns", 10):
            print(df.sort_values(["kpi", key], ascending=[True, False]).to_string(index=False, float_format="%.3f"))
    print(f"Wrote {out}/tasks/ (Parquet, one row per point × replication × KPI), points.parquet, "
          + ", ".join(p.name for p in written))
    return 0

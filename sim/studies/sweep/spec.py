"""The sweep file: factors, design, replications and fixed overrides, validated into a SweepSpec.

Errors are ParamErrors naming the key, so a typo in a sweep file ends the command with one line
rather than a traceback half-way through a long sweep."""

from __future__ import annotations

import hashlib
import json
import math
import re
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from sim.inputs.errors import ParamError
from sim.inputs.files import read_toml, resolve
from sim.inputs.schema import is_numeric
from sim.metrics.kpi_refs import parse_kpi_ref

DESIGNS = ("grid", "lhs", "sobol", "morris")
SEEDING = "per point"  # each point's replications have seeds of their own (sweep.models.point_seed)
SPEC_KEYS = {"name", "description", "base", "model", "design", "points", "replications", "seed", "kpis",
             "grid_levels", "set", "factors", "retry_errors", "flush_every", "flush_seconds"}


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

    @property
    def span(self) -> tuple[float, float]:
        """(low, high) of a continuous factor."""
        if self.low is None or self.high is None:
            raise ValueError(f"factor {self.path} has levels, not a range")
        return float(self.low), float(self.high)

    def from_unit(self, u: np.ndarray) -> list[Any]:
        """Values for points u in [0, 1): scaled to the range, or the level whose stratum holds u."""
        if self.levels is None:
            lo, hi = self.span
            return [float(lo + x * (hi - lo)) for x in u]
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
        return {f.path: f.span for f in self.factors if f.continuous}

    def identity(self) -> dict[str, Any]:
        """What determines the tasks and their results (not the flushing or error policy)."""
        return {"factors": [asdict(f) for f in self.factors], "design": self.design, "points": self.points,
                "replications": self.replications, "seed": self.seed, "base": self.base, "model": self.model,
                "set": self.fixed, "grid_levels": self.grid_levels, "seeding": SEEDING}

    @property
    def spec_hash(self) -> str:
        blob = json.dumps(self.identity(), sort_keys=True, default=str)
        return hashlib.sha256(blob.encode()).hexdigest()[:16]


PATH_PATTERN = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_-]*(\.[A-Za-z0-9_][A-Za-z0-9_-]*)*")
NAME_PATTERN = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_.-]{0,99}")
MAX_ROWS = 1_000_000  # design points: each is validated (and stored) before anything runs
MAX_TASKS = 10_000_000
MAX_LEVELS = 1_000
SCALAR_TYPES = {bool: "booleans", int: "numbers", float: "numbers", str: "strings"}


def _path(where: str, path: str) -> str:
    if not PATH_PATTERN.fullmatch(path):
        raise ParamError(where, path, "a dotted parameter path such as effects.talk_weeks")
    return path


def _flatten(node: Mapping[str, Any], where: str, is_leaf: Any, prefix: str = "") -> dict[str, Any]:
    """A table as dotted path -> value; nested tables are paths too, so both ``"effects.talk_weeks" = …``
    and ``[factors.effects] talk_weeks = …`` work. The same path written both ways is an error."""
    out: dict[str, Any] = {}
    for k, v in node.items():
        path = _path(f"{where}.{prefix}{k}", f"{prefix}{k}")
        if isinstance(v, dict) and not is_leaf(v):
            inner = _flatten(v, where, is_leaf, f"{path}.")
        else:
            inner = {path: v}
        for p, x in inner.items():
            if p in out:
                raise ParamError(f"{where}.{p}", x, "each parameter path once (it is written twice)")
            out[p] = x
    return out


def _flatten_factors(node: Mapping[str, Any]) -> dict[str, Any]:
    return _flatten(node, "factors", lambda v: bool({"levels", "low", "high"} & set(v)))


def _flatten_set(node: Mapping[str, Any]) -> dict[str, Any]:
    return _flatten(node, "set", lambda v: False)


def _finite_number(x: Any) -> bool:
    return is_numeric(x) and not isinstance(x, list) and math.isfinite(float(x))


def _levels(where: str, levels: Any) -> list[Any]:
    """Levels: a non-empty list of numbers, strings or booleans, all of one kind."""
    allowed = f"a non-empty list (at most {MAX_LEVELS}) of numbers, strings or booleans, all of one kind"
    if not isinstance(levels, list) or not levels or len(levels) > MAX_LEVELS:
        raise ParamError(where, levels, allowed)
    kinds = {SCALAR_TYPES.get(type(x)) for x in levels}
    if None in kinds or len(kinds) > 1:
        raise ParamError(where, levels, allowed + f" (these are {' and '.join(sorted(map(str, kinds)))})")
    if kinds == {"numbers"} and not all(math.isfinite(float(x)) for x in levels):
        raise ParamError(where, levels, "finite numbers (not nan or inf)")
    return list(levels)


def _factor(path: str, spec: Any) -> Factor:
    where = f"factors.{path}"
    if isinstance(spec, dict):
        extra = set(spec) - ({"levels"} if "levels" in spec else {"low", "high"})
        if extra:
            raise ParamError(f"{where}.{sorted(extra)[0]}", spec[sorted(extra)[0]],
                             "a factor is [low, high], { low = …, high = … } or { levels = [...] }")
        if "levels" in spec:
            return Factor(path, levels=_levels(f"{where}.levels", spec["levels"]))
        spec = [spec.get("low"), spec.get("high")]
    if isinstance(spec, list) and len(spec) == 2 and all(is_numeric(x) and not isinstance(x, list) for x in spec):
        if not all(_finite_number(x) for x in spec):
            raise ParamError(where, spec, "a range [low, high] of finite numbers (not nan or inf)")
        lo, hi = float(spec[0]), float(spec[1])
        if not lo < hi:
            raise ParamError(where, spec, "a range [low, high] with low < high")
        return Factor(path, lo, hi)
    raise ParamError(where, spec, "a range [low, high] or a table { levels = [...] }")


def _factors(data: Mapping[str, Any], design: str) -> list[Factor]:
    raw = data.get("factors")
    if not isinstance(raw, dict) or not raw:
        raise ParamError("factors", raw, "a table of dotted parameter paths -> [low, high] or { levels = [...] }")
    factors = [_factor(p, s) for p, s in _flatten_factors(raw).items()]
    if design in ("sobol", "morris"):
        bad = next((f for f in factors if not f.continuous), None)
        if bad is not None:
            raise ParamError(f"factors.{bad.path}", bad.levels,
                             f"a range [low, high]: the {design} design needs ranges")
    return factors


def _whole(data: Mapping[str, Any], key: str, default: int, low: int, high: int = 2 ** 63 - 1) -> int:
    v = data.get(key, default)
    if isinstance(v, bool) or not isinstance(v, int) or not low <= v <= high:
        raise ParamError(key, v, f"a whole number from {low:,} to {high:,}")
    return v


def _flag(data: Mapping[str, Any], key: str) -> bool:
    v = data.get(key, False)
    if not isinstance(v, bool):
        raise ParamError(key, v, "true or false")
    return v


def _text(data: Mapping[str, Any], key: str, default: str) -> str:
    v = data.get(key, default)
    if not isinstance(v, str):
        raise ParamError(key, v, "a string")
    return v


def _kpis(data: Mapping[str, Any]) -> list[str]:
    """KPI references (``kpi``, ``kpi[group]``, ``kpi[group/provider]``), each once. Whether the
    model computes them is checked before the sweep runs (:mod:`sim.studies.sweep.checks`)."""
    kpis = data.get("kpis", [])
    if isinstance(kpis, str):
        kpis = [kpis]
    if not isinstance(kpis, list) or not all(isinstance(k, str) for k in kpis):
        raise ParamError("kpis", kpis, "a list of KPI names")
    seen: set[tuple[str, str, str]] = set()
    for ref in kpis:
        key = parse_kpi_ref(ref, "kpis")
        if key in seen:
            raise ParamError("kpis", ref, "each KPI once (it is listed twice)")
        seen.add(key)
    return [k.strip() for k in kpis]


def _base(base: Any, relative_to: Path | None) -> str | None:
    """A base scenario file beside the sweep file as an absolute path, so that the sweep runs the
    same from any folder; anything else stays as written for load_params to look up."""
    if base is not None and (not isinstance(base, str) or not base.strip() or "\x00" in base):
        raise ParamError("base", base, "a scenario name or the path of a scenario file")
    if base is None or relative_to is None:
        return base
    try:
        return str(resolve(str(base), relative_to, folders=(), field="base"))
    except ParamError:
        return base  # a scenario name: the shipped params folder is searched when the sweep loads it


def design_rows(design: str, points: int, factors: list[Factor], grid_levels: int) -> int:
    """How many design points a design has, computed before it is drawn."""
    d = len(factors)
    if design == "grid":
        return math.prod(len(f.levels) if f.levels is not None else grid_levels for f in factors)
    return {"lhs": points, "sobol": points * (d + 2), "morris": points * (d + 1)}[design]


def _points(data: Mapping[str, Any], design: str) -> int:
    points = _whole(data, "points", 10, 1, MAX_ROWS)
    if design == "morris" and points < 2:
        raise ParamError("points", points, "at least 2 Morris trajectories")
    if design == "sobol" and points & (points - 1):
        raise ParamError("points", points, "a power of 2 for the sobol design (SALib's Sobol' sequence: "
                         f"e.g. {1 << points.bit_length() - 1} or {1 << points.bit_length()})")
    return points


def _check_size(design: str, points: int, factors: list[Factor], grid_levels: int, replications: int) -> None:
    rows = design_rows(design, points, factors, grid_levels)
    if rows > MAX_ROWS:
        raise ParamError("points", points, f"a design of at most {MAX_ROWS:,} points (this {design} design has "
                         f"{rows:,}: fewer points, factors or levels)")
    if rows * replications > MAX_TASKS:
        raise ParamError("replications", replications, f"at most {MAX_TASKS:,} tasks in all (points × replications; "
                         f"this is {rows * replications:,})")


def parse_spec(data: Mapping[str, Any], name: str = "sweep", relative_to: Path | None = None) -> SweepSpec:
    """Validate a sweep definition (the TOML file's contents); errors are ParamErrors naming the key."""
    unknown = set(data) - SPEC_KEYS
    if unknown:
        raise ParamError(sorted(unknown)[0], data[sorted(unknown)[0]], f"unknown sweep key; known: {sorted(SPEC_KEYS)}")
    design = data.get("design", "lhs")
    if not isinstance(design, str) or design.lower() not in DESIGNS:
        raise ParamError("design", design, " | ".join(DESIGNS))
    design = design.lower()
    factors = _factors(data, design)
    points = _points(data, design)
    grid_levels = _whole(data, "grid_levels", 3, 2, MAX_LEVELS)
    replications = _whole(data, "replications", 1, 1, MAX_TASKS)
    _check_size(design, points, factors, grid_levels, replications)
    kpis = _kpis(data)
    base = _base(data.get("base", "national_default"), relative_to)
    fixed = data.get("set", {})
    if not isinstance(fixed, dict):
        raise ParamError("set", fixed, "a table of dotted parameter paths -> values")
    fixed = _flatten_set(fixed)
    both = next((f.path for f in factors if f.path in fixed), None)
    if both is not None:
        raise ParamError(f"set.{both}", fixed[both], "a parameter that is not also a factor (it is swept)")
    flush_seconds = data.get("flush_seconds", 5.0)
    if not _finite_number(flush_seconds) or flush_seconds < 0:
        raise ParamError("flush_seconds", flush_seconds, "a number of seconds >= 0")
    sweep_name = _text(data, "name", name)
    if not NAME_PATTERN.fullmatch(sweep_name) or sweep_name in (".", ".."):
        raise ParamError("name", sweep_name, "a folder name of letters, digits, _ . - (at most 100 characters)")
    return SweepSpec(
        name=sweep_name, factors=factors, design=design, points=points, replications=replications,
        seed=_whole(data, "seed", 1, 0, 2 ** 63 - 1), kpis=kpis, base=base, model=_text(data, "model", "simulation"),
        fixed=fixed, grid_levels=grid_levels, retry_errors=_flag(data, "retry_errors"),
        flush_every=_whole(data, "flush_every", 32, 1, MAX_TASKS), flush_seconds=float(flush_seconds),
        description=_text(data, "description", ""))


def load_sweep(path: str | Path) -> SweepSpec:
    """Read and validate a sweep file: a path, or the name of one under the shipped params/sweeps."""
    p = resolve(str(path), folders=("sweeps",), field="SWEEP_FILE", what="a sweep")
    return parse_spec(read_toml(p, field="SWEEP_FILE"), name=_default_name(p.stem), relative_to=p.parent)


def _default_name(stem: str) -> str:
    """The file's stem as the sweep's name, made a safe folder name."""
    name = re.sub(r"[^A-Za-z0-9_.-]", "_", stem).lstrip(".")[:100]
    return name or "sweep"

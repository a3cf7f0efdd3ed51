"""The sweep file: factors, design, replications and fixed overrides, validated into a SweepSpec.

Errors are ParamErrors naming the key, so a typo in a sweep file ends the command with one line
rather than a traceback half-way through a long sweep."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from sim.inputs.errors import ParamError
from sim.inputs.files import read_toml, resolve
from sim.inputs.schema import is_numeric

DESIGNS = ("grid", "lhs", "sobol", "morris")
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


def _flatten_set(node: Mapping[str, Any], prefix: str = "") -> dict[str, Any]:
    out: dict[str, Any] = {}
    for k, v in node.items():
        path = f"{prefix}.{k}" if prefix else k
        if isinstance(v, dict):
            out.update(_flatten_set(v, path))
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


def _whole(data: Mapping[str, Any], key: str, default: int, low: int) -> int:
    v = data.get(key, default)
    if isinstance(v, bool) or not isinstance(v, int) or v < low:
        raise ParamError(key, v, f"a whole number >= {low}")
    return v


def _kpis(data: Mapping[str, Any]) -> list[str]:
    kpis = data.get("kpis", [])
    if isinstance(kpis, str):
        kpis = [kpis]
    if not isinstance(kpis, list) or not all(isinstance(k, str) for k in kpis):
        raise ParamError("kpis", kpis, "a list of KPI names")
    return list(kpis)


def _base(base: Any, relative_to: Path | None) -> str | None:
    """A base scenario file beside the sweep file as an absolute path, so that the sweep runs the
    same from any folder; anything else stays as written for load_params to look up."""
    if base is None or relative_to is None:
        return base
    try:
        return str(resolve(str(base), relative_to, folders=(), field="base"))
    except ParamError:
        return base  # a scenario name: the shipped params folder is searched when the sweep loads it


def parse_spec(data: Mapping[str, Any], name: str = "sweep", relative_to: Path | None = None) -> SweepSpec:
    """Validate a sweep definition (the TOML file's contents); errors are ParamErrors naming the key."""
    unknown = set(data) - SPEC_KEYS
    if unknown:
        raise ParamError(sorted(unknown)[0], data[sorted(unknown)[0]], f"unknown sweep key; known: {sorted(SPEC_KEYS)}")
    design = str(data.get("design", "lhs")).lower()
    if design not in DESIGNS:
        raise ParamError("design", data.get("design"), " | ".join(DESIGNS))
    factors = _factors(data, design)
    points = _whole(data, "points", 10, 1)
    if design == "morris" and points < 2:
        raise ParamError("points", points, "at least 2 Morris trajectories")
    kpis = _kpis(data)
    base = _base(data.get("base", "national_default"), relative_to)
    fixed = data.get("set", {}) or {}
    if not isinstance(fixed, dict):
        raise ParamError("set", fixed, "a table of dotted parameter paths -> values")
    flush_seconds = data.get("flush_seconds", 5.0)
    if not is_numeric(flush_seconds) or isinstance(flush_seconds, list) or flush_seconds < 0:
        raise ParamError("flush_seconds", flush_seconds, "a number of seconds >= 0")
    return SweepSpec(
        name=str(data.get("name", name)), factors=factors, design=design, points=points,
        replications=_whole(data, "replications", 1, 1), seed=_whole(data, "seed", 1, 0), kpis=kpis, base=base,
        model=str(data.get("model", "simulation")), fixed=_flatten_set(fixed),
        grid_levels=_whole(data, "grid_levels", 3, 2), retry_errors=bool(data.get("retry_errors", False)),
        flush_every=_whole(data, "flush_every", 32, 1), flush_seconds=float(flush_seconds),
        description=str(data.get("description", "")))


def load_sweep(path: str | Path) -> SweepSpec:
    """Read and validate a sweep file: a path, or the name of one under the shipped params/sweeps."""
    p = resolve(str(path), folders=("sweeps",), field="SWEEP_FILE", what="a sweep")
    return parse_spec(read_toml(p), name=p.stem, relative_to=p.parent)

"""The figures a municipality states about itself, read from a long-form CSV.

One line per figure (``figure, group, value, source``): per group the stock, the yearly inflow, the
mean spell length and the share of spells ending in work; besides them caseworker FTE per provider,
the population, the municipality's name and the rules the figures were observed under. Every
source is kept, so the calibrated scenario can say where each number came from."""

from __future__ import annotations

import csv
import math
from dataclasses import dataclass, field
from pathlib import Path

from sim.inputs.errors import ParamError

GROUP_FIGURES = ("stock", "inflow_per_year", "mean_spell_weeks", "share_to_work")
OTHER_FIGURES = ("caseworker_fte", "fte_target", "population", "municipality", "rules")


@dataclass
class GroupFigures:
    """One group's figures as read from the CSV (None: not given)."""

    stock: float | None = None
    inflow_per_year: float | None = None
    mean_spell_weeks: float | None = None
    share_to_work: float | None = None
    sources: dict[str, str] = field(default_factory=dict)


@dataclass
class Figures:
    """Everything the CSV states."""

    path: str
    groups: dict[str, GroupFigures] = field(default_factory=dict)
    fte: dict[str, float] = field(default_factory=dict)
    fte_targets: dict[str, float] = field(default_factory=dict)  # all job-centre work (fte_needed) per provider
    population: float | None = None
    municipality: str | None = None
    rules: str = "pre_reform"
    sources: dict[str, str] = field(default_factory=dict)


def _number(text: str, where: str) -> float:
    try:
        x = float(str(text).replace("_", "").replace(" ", ""))
    except ValueError:
        raise ParamError(where, text, "a number (no thousands separators other than _)") from None
    if not math.isfinite(x) or x < 0:
        raise ParamError(where, text, "a finite number >= 0")
    return x


def read_figures(path: str | Path, groups: list[str]) -> Figures:
    """Read the long-form CSV (figure, group, value, source); lines starting with # are comments."""
    p = Path(path)
    if not p.is_file():
        raise ParamError("FIGURES", str(path), "an existing CSV file (see params/calibration_example.csv)")
    with open(p, encoding="utf-8-sig", newline="") as fh:
        lines = [ln for ln in fh if ln.strip() and not ln.lstrip().startswith("#")]
    reader = csv.DictReader(lines)
    missing = {"figure", "group", "value"} - set(reader.fieldnames or [])
    if missing:
        raise ParamError("FIGURES", str(path),
                         f"a CSV with the columns figure, group, value, source (missing {sorted(missing)})")
    fig = Figures(str(p))
    for i, row in enumerate(reader, start=2):
        name = (row.get("figure") or "").strip()
        key = (row.get("group") or "").strip()
        value = (row.get("value") or "").strip()
        source = (row.get("source") or "").strip()
        where = f"{p.name} line {i}: {name}" + (f"[{key}]" if key else "")
        if name in GROUP_FIGURES:
            if key not in groups:
                raise ParamError(where, key, f"a group of the national default: {', '.join(groups)}")
            if value == "":
                continue
            x = _number(value, f"groups.{key}.{name}")
            if name == "share_to_work" and not 0.0 < x < 1.0:
                raise ParamError(f"groups.{key}.share_to_work", x,
                                 "a share strictly between 0 and 1 (not a percentage)")
            gf = fig.groups.setdefault(key, GroupFigures())
            setattr(gf, name, x)
            gf.sources[name] = source
        elif name == "caseworker_fte":
            if not key:
                raise ParamError(where, key, "a provider name in the group column (municipality, akasse)")
            fig.fte[key] = _number(value, f"capacity.providers.{key}.fte")
            fig.sources[f"fte.{key}"] = source
        elif name == "fte_target":
            if not key:
                raise ParamError(where, key, "a provider name in the group column (municipality, akasse)")
            fig.fte_targets[key] = _number(value, f"fte_target.{key}")
            fig.sources[f"fte_target.{key}"] = source
        elif name == "population":
            fig.population = _number(value, "population")
            if fig.population <= 0:
                raise ParamError("population", value, "the municipality's number of inhabitants, > 0")
            fig.sources["population"] = source
        elif name == "municipality":
            fig.municipality = value
        elif name == "rules":
            fig.rules = value
        else:
            raise ParamError(where, name, f"one of {', '.join(GROUP_FIGURES + OTHER_FIGURES)}")
    if not fig.groups:
        raise ParamError("FIGURES", str(path), "figures for at least one group")
    return fig

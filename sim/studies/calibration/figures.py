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
from typing import Any

from sim.inputs.errors import ParamError
from sim.inputs.files import is_file, read_text_lines
from sim.inputs.municipalities import find

GROUP_FIGURES = ("stock", "inflow_per_year", "mean_spell_weeks", "share_to_work")
OTHER_FIGURES = ("caseworker_fte", "fte_target", "time_share", "population", "municipality", "rules")
TIME_SHARE_CATEGORIES = ("contact", "preparation", "administration")  # the group column of a time_share
PROVIDER_FIGURES = ("caseworker_fte", "fte_target")  # figures whose group column names a provider


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
    time_shares: dict[str, float] = field(default_factory=dict)  # share of the job centre's hours per category
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


def _rows(p: Path) -> list[tuple[int, dict[str | None, Any]]]:
    """The CSV's data rows with their line numbers (comments and blank lines skipped); a file
    that is not such a CSV is refused in one line."""
    allowed = "a CSV with the columns figure, group, value, source (see params/calibration_example.csv)"
    if not is_file(p):
        raise ParamError("FIGURES", str(p), "an existing " + allowed.removeprefix("a "))
    numbered = [(i, ln) for i, ln in enumerate(read_text_lines(p, "FIGURES", "CSV file"), start=1)
                if ln.strip() and not ln.lstrip().startswith("#")]
    reader = csv.DictReader([ln for _, ln in numbered])
    records = []
    try:
        for rec in reader:  # the line a record ends on, in the file's numbering
            records.append((numbered[reader.line_num - 1][0], rec))
    except csv.Error as exc:
        raise ParamError("FIGURES", str(p), f"{allowed} ({exc})") from None
    missing = {"figure", "group", "value"} - {str(f).strip() for f in reader.fieldnames or []}
    if missing:
        raise ParamError("FIGURES", str(p), f"{allowed} (missing {sorted(missing)})")
    out = []
    for line, rec in records:
        row = {(k.strip() if isinstance(k, str) else k): v for k, v in rec.items()}
        if row.get(None):
            raise ParamError(f"{p.name} line {line}", dict(numbered)[line].strip(),
                             "no more fields than the header has columns (a comma inside a number? write 1000, "
                             "not 1,000, or quote the field)")
        out.append((line, row))
    return out


def _text(row: dict[str | None, Any], column: str) -> str:
    value = row.get(column)
    return value.strip() if isinstance(value, str) else ""


def read_figures(path: str | Path, groups: list[str], providers: list[str] | None = None) -> Figures:
    """Read the long-form CSV (figure, group, value, source); lines starting with # are comments.

    Every line must count: an unknown figure, group or provider, a figure given twice, or an empty
    value is an error naming the line, never a figure silently left out or overwritten."""
    p = Path(path)
    fig = Figures(str(p))
    seen: dict[tuple[str, str], int] = {}
    for line, row in _rows(p):
        name, key, value = _text(row, "figure"), _text(row, "group"), _text(row, "value")
        where = f"{p.name} line {line}: {name}" + (f"[{key}]" if key else "")
        if name not in GROUP_FIGURES + OTHER_FIGURES:
            raise ParamError(f"{p.name} line {line}: figure", name,
                             f"one of {', '.join(GROUP_FIGURES + OTHER_FIGURES)}")
        if (name, key) in seen:
            raise ParamError(where, value, f"each figure once (it is also on line {seen[name, key]})")
        seen[name, key] = line
        if value == "":
            raise ParamError(where, value, "a value (leave the line out for a figure you do not have)")
        _read_row(fig, name, key, value, _text(row, "source"), where, groups, providers)
    if not fig.groups:
        raise ParamError("FIGURES", str(path), "figures for at least one group")
    return fig


def _read_row(fig: Figures, name: str, key: str, value: str, source: str, where: str, groups: list[str],
              providers: list[str] | None) -> None:
    """Put one figure into `fig`, checking that its group column names what the figure needs."""
    if name in GROUP_FIGURES:
        if key not in groups:
            raise ParamError(where, key, f"a group of the national default: {', '.join(groups)}")
        x = _number(value, f"groups.{key}.{name}")
        if name == "share_to_work" and not 0.0 < x < 1.0:
            raise ParamError(f"groups.{key}.share_to_work", x, "a share strictly between 0 and 1 (not a percentage)")
        gf = fig.groups.setdefault(key, GroupFigures())
        setattr(gf, name, x)
        gf.sources[name] = source
    elif name in PROVIDER_FIGURES:
        if not key or (providers is not None and key not in providers):
            raise ParamError(where, key, "a provider in the group column: " + ", ".join(providers or ["municipality",
                                                                                                   "akasse"]))
        if name == "caseworker_fte":
            fig.fte[key] = _number(value, f"capacity.providers.{key}.fte")
            fig.sources[f"fte.{key}"] = source
        else:  # fte_target: all job-centre work of the provider (fte_needed), a target for other case work
            fig.fte_targets[key] = _number(value, f"fte_target.{key}")
            fig.sources[f"fte_target.{key}"] = source
    elif name == "time_share":
        if key not in TIME_SHARE_CATEGORIES:
            raise ParamError(where, key, "a time-use category in the group column: " + ", ".join(TIME_SHARE_CATEGORIES))
        x = _number(value, f"time_share.{key}")
        if not 0.0 <= x <= 1.0:
            raise ParamError(f"time_share.{key}", x, "a share from 0 to 1 (not a percentage)")
        fig.time_shares[key] = x
        fig.sources[f"time_share.{key}"] = source
    elif key:
        raise ParamError(where, key, f"an empty group column: {name} is not a figure per group")
    elif name == "population":
        fig.population = _number(value, "population")
        if fig.population <= 0:
            raise ParamError("population", value, "the municipality's number of inhabitants, > 0")
        fig.sources["population"] = source
    elif name == "municipality":
        fig.municipality = find(value).name  # an unknown name is refused here, with close matches
    else:
        fig.rules = value

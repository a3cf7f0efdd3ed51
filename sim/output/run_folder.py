"""A run folder as the charts and the report read it, and the provenance line that names it.

Charts and reports take their numbers only from the files `caseload run --out DIR` wrote, never from
a live simulation, so that a picture on a slide can always be traced back to one folder. Files added
to the run folder later (weekly.parquet, compliance.csv) are optional here: an older run still loads,
and each chart or section whose inputs are missing is skipped rather than filled in.

run.json lists the files it vouches for with their SHA-256 and size ("files"); a folder whose
listed files are missing or differ is refused in one line naming the file, so the numbers of one
run are never labelled with the seed of another (a write that failed part-way, a file copied in by
hand). Files not listed (charts/, report.html written later) are not checked. Folders written before
the hashes existed have no "files" entry and load silently as before: refusing them would strand
every earlier result, and a note on each chart would be noise one can act on only by re-running.
The check guards against accidents, not against someone who edits run.json as well.
"""

from __future__ import annotations

import datetime as dt
import hmac
import json
import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from sim.experiment.population_scale import BASIS_KEY
from sim.experiment.results import MANIFEST_KEY, file_digest
from sim.inputs.errors import ParamError
from sim.output.labels import label

SUMMARY_NEEDS = {"kpi", "group", "provider", "mean", "ci_low", "ci_high"}
SUMMARY_NUMBERS = {"mean", "ci_low", "ci_high"}
COMPLIANCE_NEEDS = {"kpi", "group", "mean", "ci_low", "ci_high", "threshold", "status"}
COMPLIANCE_NUMBERS = {"mean", "ci_low", "ci_high", "threshold"}
WEEKLY_NEEDS = {"week", "group", "provider", "measure", "value"}


@dataclass
class Run:
    """One run folder as read from disk; optional files are None when the run predates them."""

    path: Path
    meta: dict[str, Any]
    summary: pd.DataFrame
    weekly: pd.DataFrame | None = None
    compliance: pd.DataFrame | None = None
    name: str = field(default="")

    @property
    def params(self) -> dict[str, Any]:
        return self.meta.get("params") or {}

    @property
    def scale(self) -> float:
        return float(self.meta.get("scale", self.params.get("scale", 1.0)))

    @property
    def population_factor(self) -> float | None:
        """Population count per simulated count (run.json "population"), or None for a run folder
        written before counts were scaled up: its summary.csv and weekly series are at its scale."""
        basis = self.meta.get(BASIS_KEY)
        return float(basis["factor"]) if isinstance(basis, dict) and "factor" in basis else None

    @property
    def years(self) -> float:
        return float(self.meta.get("years", self.params.get("years", 1.0)))


def _bad_run(run_dir: Path, why: str) -> ParamError:
    return ParamError("run_dir", str(run_dir), f"a run folder written by `caseload run --out DIR` ({why})")


def _typed(df: pd.DataFrame, columns: set[str], numbers: set[str], name: str, run_dir: Path) -> pd.DataFrame:
    """`numbers` as numbers (empty cells are NaN; text in them means the file is not what it
    claims), the other `columns` as text (a blank name is "", never a float NaN among strings)."""
    for col in sorted(columns - numbers):
        df[col] = df[col].fillna("").astype(str)
    for col in sorted(numbers):
        try:
            df[col] = pd.to_numeric(df[col], errors="raise").astype(float)
        except (ValueError, TypeError):
            raise _bad_run(run_dir, f"{name} column {col} holds values that are not numbers") from None
    return df


def _read_csv(path: Path, needs: set[str], run_dir: Path, numbers: set[str]) -> pd.DataFrame:
    """Read a result CSV and check its columns, so a wrong file fails with one clear line."""
    try:
        df = pd.read_csv(path)
    except (OSError, ValueError) as exc:  # pandas' parser and decoding errors are ValueErrors
        raise _bad_run(run_dir, f"{path.name} unreadable: {type(exc).__name__}: {exc}") from None
    missing = needs - set(df.columns)
    if missing:
        raise _bad_run(run_dir, f"{path.name} lacks columns {sorted(missing)}")
    return _typed(df, needs, numbers, path.name, run_dir)


def _read_weekly(path: Path, run_dir: Path) -> pd.DataFrame:
    """weekly.parquet, refused in one line when it is not a Parquet file with the weekly columns."""
    try:
        df = pd.read_parquet(path)
    except Exception as exc:  # noqa: BLE001 - pyarrow raises many kinds for a corrupt file; all mean "unreadable"
        raise _bad_run(run_dir, f"weekly.parquet unreadable: {type(exc).__name__}: {exc}") from None
    missing = WEEKLY_NEEDS - set(df.columns)
    if missing:
        raise _bad_run(run_dir, f"weekly.parquet lacks columns {sorted(missing)}")
    df = _typed(df, WEEKLY_NEEDS, {"week", "value"}, "weekly.parquet", run_dir)
    if not np.isfinite(df["week"]).all():
        raise _bad_run(run_dir, "weekly.parquet column week has empty or infinite values")
    return df


# The shape of what the charts and the report read from run.json: a table (dict) of entries, "*"
# for every key of a table, a one-item list for a list of such items, and for a value its type:
# "positive" (a finite number > 0), "number" (finite, or null), "date" (an ISO date) or a type.
# Entries not listed are not read; listed ones may be missing (older runs), but not malformed.
META_SHAPE: dict[str, Any] = {
    "scenario": str, "seed": int, "replications": int, "version": str, "params_hash": str,
    "scale": "positive", "years": "positive", "start_date": "date",
    "assumptions": {"*": str},
    MANIFEST_KEY: {"*": {"sha256": str, "bytes": int}},
    "legal_thresholds": [{"kpi": str, "group": str, "threshold": "number", "source": str, "rule_set": str}],
    BASIS_KEY: {"name": str, "share": "positive", "scale": "positive", "factor": "positive", "inhabitants": "number",
                "note": str},
    "params": {"description": str, "scale": "positive", "years": "positive", "start_date": "date",
               "capacity": {"productive_hours_per_fte_year": "positive"},
               "groups": {"*": {"label_en": str, "label_da": str}}},
}


def _value_ok(value: Any, kind: Any) -> bool:
    if kind in ("positive", "number"):
        if value is None:
            return kind == "number"
        ok = isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)
        return ok and (kind == "number" or value > 0)
    if kind == "date":
        try:
            dt.date.fromisoformat(value)
        except (TypeError, ValueError):
            return False
        return True
    return value is None or (isinstance(value, kind) and not (kind is int and isinstance(value, bool)))


def _shape_error(value: Any, shape: Any, where: str) -> str | None:
    """Where `value` departs from `shape` (see META_SHAPE), or None."""
    if isinstance(shape, dict):
        if not isinstance(value, dict):
            return f"{where} is {type(value).__name__}, not a table"
        for key, item in value.items():
            sub = shape.get(key, shape.get("*"))
            found = None if sub is None else _shape_error(item, sub, f"{where}.{key}")
            if found:
                return found
        return None
    if isinstance(shape, list):
        if not isinstance(value, list):
            return f"{where} is {type(value).__name__}, not a list"
        return next((e for i, item in enumerate(value) if (e := _shape_error(item, shape[0], f"{where}[{i}]"))), None)
    return None if _value_ok(value, shape) else f"{where} = {value!r} is not {getattr(shape, '__name__', shape)}"


def _read_meta(path: Path) -> dict[str, Any]:
    try:
        meta = json.loads((path / "run.json").read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:  # JSON and decoding errors are ValueErrors
        raise _bad_run(path, f"run.json unreadable: {type(exc).__name__}: {exc}") from None
    problem = _shape_error(meta, META_SHAPE, "run.json")
    if problem:
        raise _bad_run(path, problem)
    return meta


def _check_files(path: Path, meta: dict[str, Any]) -> None:
    """Every file run.json lists is there, with the size and SHA-256 it records."""
    for name, entry in (meta.get(MANIFEST_KEY) or {}).items():
        if not isinstance(entry.get("sha256"), str) or not isinstance(entry.get("bytes"), int):
            raise _bad_run(path, f"run.json {MANIFEST_KEY}.{name} lacks sha256 or bytes")
        if Path(name).name != name or name in ("", ".", ".."):
            raise _bad_run(path, f"run.json lists {name!r}, not a file name in the folder")
        file = path / name
        if not file.is_file():
            raise _bad_run(path, f"{name} is listed in run.json but missing")
        try:
            digest, size = file_digest(file)
        except OSError as exc:
            raise _bad_run(path, f"{name} unreadable: {exc.strerror or exc}") from None
        if size != entry["bytes"] or not hmac.compare_digest(digest, entry["sha256"].lower()):
            raise _bad_run(path, f"{name} is not the file run.json records (its size or SHA-256 differs): changed "
                                 "after the run, or left from another one")


def load_run(run_dir: str | Path) -> Run:
    """Read run.json and summary.csv (required) and weekly.parquet, compliance.csv (optional).
    A missing, binary, truncated or otherwise corrupt file, or one that differs from what run.json
    records, is a ParamError naming the file."""
    path = Path(run_dir)
    if not _exists(path):
        raise _bad_run(path, "no such folder")
    if not path.is_dir():
        raise _bad_run(path, "this is a file, not a folder")
    if not (path / "run.json").is_file() or not (path / "summary.csv").is_file():
        raise _bad_run(path, "run.json and summary.csv are missing")
    meta = _read_meta(path)
    _check_files(path, meta)
    run = Run(path=path, meta=meta, summary=_read_csv(path / "summary.csv", SUMMARY_NEEDS, path, SUMMARY_NUMBERS))
    if (path / "weekly.parquet").is_file():
        run.weekly = _read_weekly(path / "weekly.parquet", path)
        factor = run.population_factor
        if factor is not None:  # weekly.parquet is in simulated units; its measures are all counts
            run.weekly["value"] = run.weekly["value"] * factor
    if (path / "compliance.csv").is_file():
        comp = _read_csv(path / "compliance.csv", COMPLIANCE_NEEDS, path, COMPLIANCE_NUMBERS)
        comp["status"] = comp["status"].astype(str).str.strip().str.lower().str.replace("_", " ")
        run.compliance = comp
    run.name = f"{meta.get('scenario', path.name)} ({rules_text(meta.get('rules'))})"
    return run


def _exists(path: Path) -> bool:
    try:
        return path.exists()
    except (OSError, ValueError):
        return False


def load_runs(run_dirs: Sequence[str | Path]) -> list[Run]:
    """Load several runs; identical scenario names get the folder name added so legends differ."""
    runs = [load_run(d) for d in run_dirs]
    names = [r.name for r in runs]
    for r in runs:
        if names.count(r.name) > 1:
            r.name = f"{r.name} [{r.path.name}]"
    names = [r.name for r in runs]
    for i, r in enumerate(runs):  # the same folder twice, or equal folder names in different places
        if names.count(r.name) > 1:
            r.name = f"{r.name} #{i + 1}"
    return runs


def rules_text(rules: Any) -> str:
    """A rule set name, or a dated timeline of them as 'a → b → c'."""
    if isinstance(rules, list):
        return " → ".join(str(step.get("set", step)) if isinstance(step, dict) else str(step) for step in rules)
    return str(rules) if rules is not None else "?"


def provenance(run: Run, lang: str) -> str:
    """The footer and metadata line: enough to find the exact run again."""
    m = run.meta
    return label("provenance", lang).format(
        scenario=m.get("scenario", "?"), rules=rules_text(m.get("rules")), hash=m.get("params_hash", "?"),
        seed=m.get("seed", "?"), reps=m.get("replications", "?"), version=m.get("version", "?"))

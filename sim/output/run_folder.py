"""A run folder as the charts and the report read it, and the provenance line that names it.

Charts and reports take their numbers only from the files `caseload run --out DIR` wrote, never from
a live simulation, so that a picture on a slide can always be traced back to one folder. Files added
to the run folder later (weekly.parquet, compliance.csv) are optional here: an older run still loads,
and each chart or section whose inputs are missing is skipped rather than filled in.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from sim.inputs.errors import ParamError
from sim.output.labels import label

SUMMARY_NEEDS = {"kpi", "group", "provider", "mean", "ci_low", "ci_high"}
COMPLIANCE_NEEDS = {"kpi", "group", "mean", "ci_low", "ci_high", "threshold", "status"}


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
    def years(self) -> float:
        return float(self.meta.get("years", self.params.get("years", 1.0)))


def _bad_run(run_dir: Path, why: str) -> ParamError:
    return ParamError("run_dir", str(run_dir), f"a run folder written by `caseload run --out DIR` ({why})")


def _read_csv(path: Path, needs: set[str], run_dir: Path) -> pd.DataFrame:
    """Read a result CSV and check its columns, so a wrong file fails with one clear line."""
    try:
        df = pd.read_csv(path)
    except (OSError, ValueError) as exc:
        raise _bad_run(run_dir, f"{path.name} unreadable: {exc}") from None
    missing = needs - set(df.columns)
    if missing:
        raise _bad_run(run_dir, f"{path.name} lacks columns {sorted(missing)}")
    return df


def _read_meta(path: Path) -> dict[str, Any]:
    try:
        meta = json.loads((path / "run.json").read_text())
    except (OSError, ValueError) as exc:
        raise _bad_run(path, f"run.json unreadable: {exc}") from None
    if not isinstance(meta, dict):
        raise _bad_run(path, "run.json is not an object")
    return meta


def load_run(run_dir: str | Path) -> Run:
    """Read run.json and summary.csv (required) and weekly.parquet, compliance.csv (optional)."""
    path = Path(run_dir)
    if not path.is_dir():
        raise _bad_run(path, "no such folder")
    if not (path / "run.json").is_file() or not (path / "summary.csv").is_file():
        raise _bad_run(path, "run.json and summary.csv are missing")
    meta = _read_meta(path)
    run = Run(path=path, meta=meta, summary=_read_csv(path / "summary.csv", SUMMARY_NEEDS, path))
    if (path / "weekly.parquet").is_file():
        run.weekly = pd.read_parquet(path / "weekly.parquet")
    if (path / "compliance.csv").is_file():
        comp = _read_csv(path / "compliance.csv", COMPLIANCE_NEEDS, path)
        comp["status"] = comp["status"].astype(str).str.strip().str.lower().str.replace("_", " ")
        run.compliance = comp
    run.name = f"{meta.get('scenario', path.name)} ({rules_text(meta.get('rules'))})"
    return run


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

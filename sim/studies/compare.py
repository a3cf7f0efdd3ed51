"""Paired comparison of two scenarios with common random numbers (CRN).

Both scenarios run replication r with seeds (seed, r), so they see the same citizens, arrival
times and unit-exponential budgets; the difference B − A per replication then carries only the
effect of the change, not the noise of two different populations. The interval of the mean
difference is a paired Student-t interval. The variance reduction is reported against what
independent seeds would give, Var(A) + Var(B): 1 − Var(B − A) / (Var(A) + Var(B)).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from sim._version import __version__
from sim.experiment.executors import Executor
from sim.experiment.results import MANIFEST_KEY, Results, file_manifest, staged_folder
from sim.experiment.runner import run
from sim.inputs.schema import LoadedParams
from sim.metrics.stats import LEVEL, t_half_width

DIFF_COLUMNS = ["kpi", "group", "provider", "mean_a", "mean_b", "diff", "ci_low", "ci_high", "rel_diff", "sd_diff",
                "var_reduction", "n"]
HEADLINE_KPIS = ["stock_mean", "spell_weeks_mean", "exit_work_or_education_6m", "talks_held_per_year",
              "offers_started_per_year", "caseworker_hours_per_year", "fte_needed", "first_talk_on_time",
              "talk_coverage_6m", "offer_coverage_6m", "exempt_share", "net_dkk_per_year"]


def paired_differences(a: pd.DataFrame, b: pd.DataFrame, level: float = LEVEL) -> pd.DataFrame:
    """B − A per KPI row matched on replication, with its paired t-interval and variance reduction.

    A KPI that one scenario does not compute is left out rather than compared with zero.
    """
    keys = ["replication", "kpi", "group", "provider"]
    m = a[keys + ["value"]].merge(b[keys + ["value"]], on=keys, suffixes=("_a", "_b"))
    if m.empty:
        return pd.DataFrame(columns=DIFF_COLUMNS)
    m["d"] = m["value_b"] - m["value_a"]
    g = m.groupby(["kpi", "group", "provider"], sort=False)
    out = g.agg(mean_a=("value_a", "mean"), mean_b=("value_b", "mean"), diff=("d", "mean"), sd_diff=("d", "std"),
                var_a=("value_a", "var"), var_b=("value_b", "var"), n=("d", "count")).reset_index()
    half = t_half_width(out["sd_diff"], out["n"], level)
    out["ci_low"], out["ci_high"] = out["diff"] - half, out["diff"] + half
    with np.errstate(divide="ignore", invalid="ignore"):
        out["rel_diff"] = np.where(out["mean_a"] != 0, out["diff"] / out["mean_a"].abs(), np.nan)
        indep = out["var_a"] + out["var_b"]
        out["var_reduction"] = np.where(indep > 0, 1 - out["sd_diff"] ** 2 / indep, np.nan)
    return out[DIFF_COLUMNS]


@dataclass
class Comparison:
    """Two runs with the same seeds and their paired differences B − A."""

    a: Results
    b: Results
    differences: pd.DataFrame
    meta: dict[str, Any] = field(default_factory=dict)

    def headline(self) -> pd.DataFrame:
        """The differences of the headline KPIs for all groups and providers."""
        d = self.differences
        d = d[(d.group == "all") & (d.provider == "all") & d.kpi.isin(HEADLINE_KPIS)]
        return d.set_index("kpi").reindex([k for k in HEADLINE_KPIS if k in set(d.kpi)]).reset_index()

    def variance_reduction(self) -> float:
        """Median variance reduction over the headline KPIs (the per-KPI values are in the table)."""
        v = self.headline()["var_reduction"].dropna()
        return float(v.median()) if len(v) else float("nan")

    def save(self, out: str | Path) -> Path:
        """Write the comparison folder as a unit (see sim.experiment.results.staged_folder): the
        old folder stays whole until the new one is complete. The chart of the differences is
        drawn by the output layer: to have it in the same unit, stage the folder yourself and
        call `write_files` and the chart writer inside (as `caseload compare` does)."""
        with staged_folder(out, COMPARISON_MARKER) as folder:
            self.write_files(folder)
        return Path(out)

    def write_files(self, folder: Path) -> None:
        """a/ and b/ (ordinary run folders, for `caseload charts out/a out/b`), differences.csv and,
        last, comparison.json with the SHA-256 of differences.csv. `folder` is a staging folder."""
        folder.mkdir(parents=True, exist_ok=True)
        self.a.write_files(folder / "a")
        self.b.write_files(folder / "b")
        self.differences.to_csv(folder / "differences.csv", index=False)
        meta = {**self.meta, "variance_reduction_median": self.variance_reduction(),
                MANIFEST_KEY: file_manifest(folder, ["differences.csv"])}
        (folder / COMPARISON_MARKER).write_text(json.dumps(meta, indent=2, default=str))


COMPARISON_MARKER = "comparison.json"


def compare(a: LoadedParams | str | Path | None, b: LoadedParams | str | Path | None, replications: int = 10,
            seed: int = 1, workers: int | None = 1, seed_b: int | None = None,
            executor: Executor | None = None) -> Comparison:
    """Run scenarios `a` and `b` (LoadedParams, paths or None) and pair them by replication.

    `seed_b` other than `seed` runs B with independent seeds: the baseline that common random
    numbers are measured against (tests use it); the default is common random numbers.
    """
    ra = run(a, replications=replications, seed=seed, workers=workers, executor=executor)
    rb = run(b, replications=replications, seed=seed if seed_b is None else seed_b, workers=workers,
             executor=executor)
    diffs = paired_differences(ra.kpis, rb.kpis)
    meta = {"a": {k: ra.provenance.get(k) for k in ("scenario", "params_file", "params_hash", "rules")},
            "b": {k: rb.provenance.get(k) for k in ("scenario", "params_file", "params_hash", "rules")},
            "seed": seed, "seed_b": seed if seed_b is None else seed_b, "replications": ra.provenance["replications"],
            "common_random_numbers": seed_b is None or seed_b == seed, "version": __version__,
            "method": "paired differences B - A by replication, Student-t 95 % interval; variance reduction "
                      "1 - Var(B - A) / (Var(A) + Var(B))"}
    return Comparison(ra, rb, diffs, meta)


def format_table(cmp: Comparison) -> str:
    h = cmp.headline()
    lines = [f"{'kpi':<28}{'A':>14}{'B':>14}{'B - A':>14}{'95% CI':>30}{'var. red.':>11}"]

    def f(x: float) -> str:
        return "-" if pd.isna(x) else (f"{x:,.3f}" if abs(x) < 10 else f"{x:,.0f}")

    for r in h.itertuples():
        ci = f"[{f(r.ci_low)}, {f(r.ci_high)}]"
        vr = "-" if pd.isna(r.var_reduction) else f"{r.var_reduction:.0%}"
        lines.append(f"{r.kpi:<28}{f(r.mean_a):>14}{f(r.mean_b):>14}{f(r.diff):>14}{ci:>30}{vr:>11}")
    return "\n".join(lines)

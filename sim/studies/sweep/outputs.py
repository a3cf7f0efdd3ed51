"""A finished sweep as files: the design with KPI means, the tidy KPI rows, the failures, and the
sensitivity indices. Charts of the indices are drawn by the output layer, not here."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from sim.experiment.results import atomic_write
from sim.studies.sweep.result import SweepResult


def write_tables(res: SweepResult) -> list[Path]:
    """kpis.parquet (tidy), table.csv (design with KPI means) and, if any task failed, errors.csv."""
    out = res.out
    kp = res.kpis
    atomic_write(out / "kpis.parquet", lambda p: kp.to_parquet(p, index=False))
    table = res.table()
    atomic_write(out / "table.csv", lambda p: table.to_csv(p, index=False))
    written = [out / "kpis.parquet", out / "table.csv"]
    if len(res.errors):
        errs = res.errors
        atomic_write(out / "errors.csv", lambda p: errs.to_csv(p, index=False))
        written.append(out / "errors.csv")
    return written


def sensitivity_indices(res: SweepResult) -> tuple[dict[str, pd.DataFrame], dict[str, str]]:
    """Indices per KPI of the sweep file (lhs, sobol and morris designs, all tasks done), each with
    a leading `kpi` column, and why a KPI has none (e.g. failed points). A grid, a sweep without
    KPIs or an unfinished sweep gives neither: its indices would be meaningless."""
    if res.spec.design == "grid" or not res.spec.kpis or res.n_done < res.n_tasks:
        return {}, {}
    indices, skipped = {}, {}
    for kpi in res.spec.kpis:
        try:
            df = res.sensitivity(kpi)
        except ValueError as exc:
            skipped[kpi] = str(exc)
            continue
        df.insert(0, "kpi", kpi)
        indices[kpi] = df
    return indices, skipped


def write_sensitivity(res: SweepResult, indices: dict[str, pd.DataFrame]) -> Path | None:
    """sensitivity.csv: the indices of every KPI in one table (None when there are none)."""
    if not indices:
        return None
    sens = pd.concat(list(indices.values()), ignore_index=True)
    path = res.out / "sensitivity.csv"
    atomic_write(path, lambda p: sens.to_csv(p, index=False))
    return path

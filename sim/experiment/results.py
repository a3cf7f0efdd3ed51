"""Tidy results of a run: KPIs and weekly series with a replication column, their summary with
95 % confidence intervals over replications, provenance, and atomic writing to a folder."""

from __future__ import annotations

import json
import os
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from sim.metrics.compliance import assess
from sim.metrics.stats import grouped_ci

KPI_COLUMNS = ["replication", "kpi", "group", "provider", "value"]
WEEKLY_COLUMNS = ["replication", "week", "group", "provider", "measure", "value"]
SUMMARY_COLUMNS = ["kpi", "group", "provider", "mean", "ci_low", "ci_high", "n"]


def summarise(kpis: pd.DataFrame, level: float = 0.95) -> pd.DataFrame:
    """Mean and Student-t confidence interval over replications for each KPI row."""
    if kpis.empty:
        return pd.DataFrame(columns=SUMMARY_COLUMNS)
    out = grouped_ci(kpis, ["kpi", "group", "provider"], level=level)
    # a share cannot leave [0, 1]: clip the t-interval of share KPIs to it
    share = out["kpi"].map(is_share)
    out.loc[share, "ci_low"] = out.loc[share, "ci_low"].clip(lower=0.0)
    out.loc[share, "ci_high"] = out.loc[share, "ci_high"].clip(upper=1.0)
    return out[SUMMARY_COLUMNS]


SHARE_KPIS = {"first_talk_on_time", "talk_coverage_6m", "offer_coverage_6m", "clarification_on_time",
              "exempt_share", "exit_work_or_education_3m", "exit_work_or_education_6m", "public_support_share"}


def is_share(kpi: str) -> bool:
    """KPIs that are shares of citizens, bounded by 0 and 1."""
    return kpi in SHARE_KPIS or kpi.startswith("compliance_")


@dataclass
class Results:
    kpis: pd.DataFrame
    weekly: pd.DataFrame
    provenance: dict[str, Any] = field(default_factory=dict)
    workload: pd.DataFrame | None = None  # hours a year and FTE per work item, group, provider, replication

    def summary(self, level: float = 0.95) -> pd.DataFrame:
        return summarise(self.kpis, level)

    def compliance(self) -> pd.DataFrame:
        """Each legal minimum: the share achieved with its 95 % interval, the legal threshold of
        the rule set in force at the end, and met / not met / uncertain."""
        thresholds = pd.DataFrame(self.provenance.get("legal_thresholds", []),
                                  columns=["kpi", "group", "threshold", "source", "rule_set"])
        return assess(self.summary(), thresholds)

    def kpi(self, name: str, group: str = "all", provider: str = "all") -> pd.Series:
        """One KPI's value per replication."""
        k = self.kpis
        sel = k[(k.kpi == name) & (k.group == group) & (k.provider == provider)]
        return sel.set_index("replication")["value"]

    def save(self, out_dir: str | Path) -> Path:
        """Write run.json, kpis.csv, summary.csv, compliance.csv, weekly.parquet and workload.csv,
        each atomically."""
        out = Path(out_dir)
        out.mkdir(parents=True, exist_ok=True)
        atomic_write(out / "run.json", lambda p: Path(p).write_text(json.dumps(self.provenance, indent=2, default=str)))
        atomic_write(out / "kpis.csv", lambda p: self.kpis.to_csv(p, index=False))
        atomic_write(out / "summary.csv", lambda p: self.summary().to_csv(p, index=False))
        atomic_write(out / "compliance.csv", lambda p: self.compliance().to_csv(p, index=False))
        atomic_write(out / "weekly.parquet", lambda p: self.weekly.to_parquet(p, index=False))
        if self.workload is not None:
            workload = self.workload
            atomic_write(out / "workload.csv", lambda p: workload.to_csv(p, index=False))
        return out


def atomic_write(path: Path, writer) -> None:
    """Write through a temporary file in the same folder and rename it into place, so that a
    reader never sees half a file and an interrupted run leaves the old file intact."""
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    os.close(fd)
    umask = os.umask(0)
    os.umask(umask)
    os.chmod(tmp, 0o666 & ~umask)  # mkstemp makes files private; results are for sharing
    try:
        writer(tmp)
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise

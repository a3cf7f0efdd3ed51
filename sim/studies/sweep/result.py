"""A sweep folder read back: the design, the tidy KPI rows, the task log, and their analysis."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from sim.studies.sensitivity import analyse
from sim.studies.sweep.spec import SweepSpec


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
        factors = [f.path for f in self.spec.factors]
        X = self.points[factors].to_numpy(dtype=float)
        return analyse(self.spec.design, self.spec.bounds, X, self.point_means(kpi, group, provider).to_numpy(),
                       seed=self.spec.seed)

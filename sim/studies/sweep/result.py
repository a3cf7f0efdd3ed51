"""A sweep folder read back: the design, the tidy KPI rows, the task log, and their analysis."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from sim.metrics.kpi_refs import parse_kpi_ref
from sim.studies.sensitivity import analyse
from sim.studies.sweep.spec import SweepSpec
from sim.studies.sweep.store import task_keys


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
    deterministic: bool = False  # the model has no replication noise (e.g. the Ishigami function)

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
        """Tasks finished without error: a failed task is stored, but it is not done."""
        return len(task_keys(self.tasks, "ok"))

    @property
    def n_stored(self) -> int:
        """Tasks with a stored record, done or failed: what a rerun does not compute again on its own."""
        return len(task_keys(self.tasks))

    @property
    def n_failed(self) -> int:
        """Tasks whose latest attempt failed (see `errors`; ``retry_errors`` reruns them)."""
        return len(task_keys(self.tasks, "error"))

    @property
    def throughput(self) -> float:
        """Tasks per second computed by this run (0 if it computed none)."""
        return self.computed / self.wall_s if self.computed and self.wall_s > 0 else 0.0

    def values(self, ref: str) -> pd.DataFrame:
        """point, replication, value of one KPI reference (``kpi``, ``kpi[group]`` or ``kpi[group/provider]``)."""
        kpi, group, provider = parse_kpi_ref(ref)
        k = self.kpis
        return k[(k.kpi == kpi) & (k.group == group) & (k.provider == provider)][["point", "replication", "value"]]

    def point_means(self, kpi: str, group: str | None = None, provider: str | None = None) -> pd.Series:
        """One KPI's mean over replications per design point, in design order (NaN where missing).
        `kpi` may be a reference such as ``fte_needed[dagpenge]``; `group` and `provider` override it."""
        name, g, p = parse_kpi_ref(kpi)
        ref = f"{name}[{group or g}/{provider or p}]"
        return self.values(ref).groupby("point")["value"].mean().reindex(self.points["point"]).rename(kpi)

    def table(self, kpis: list[str] | None = None) -> pd.DataFrame:
        """The design with the mean over replications of each KPI reference (of the sweep file by default)."""
        out = self.points[["point", *[f.path for f in self.spec.factors]]].copy()
        for kpi in kpis or self.spec.kpis:
            out[kpi] = self.point_means(kpi).to_numpy()
        return out

    def sensitivity(self, kpi: str, group: str | None = None, provider: str | None = None) -> pd.DataFrame:
        """Sobol (sobol design), Morris (morris) or RBD-FAST first-order Sobol with linear effects (lhs)
        indices; NaN with a SensitivityWarning when the design is too small for the method."""
        factors = [f.path for f in self.spec.factors]
        X = self.points[factors].to_numpy(dtype=float)
        return analyse(self.spec.design, self.spec.bounds, X, self.point_means(kpi, group, provider).to_numpy(),
                       seed=self.spec.seed)

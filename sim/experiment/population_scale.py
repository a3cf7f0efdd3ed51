"""Counts for the real population: the simulated sample scaled up to the population it stands for.

A scenario simulates a sample: ``scale`` is its share of Denmark's caseload (1.0 = all of
Denmark). A planner asks about a whole population, Denmark or one municipality (``--set
municipality=NAME``, whose preset stands for that municipality's share of Denmark). Every KPI that
is a count (persons, talks, hours, FTE, DKK; see :func:`sim.metrics.kpis.kpi_kind`) grows in
proportion to the sample, so the population's count is the sample's count × share / scale; shares
and lengths in weeks are the same in the sample and the population and are never scaled. The mean
and both ends of a confidence interval are multiplied by the same positive factor, so the interval
scales with them (it is an interval for the population's count under the same sampling model).

kpis.csv keeps the simulated units (what the model counted); summary.csv, the printed headline,
the charts and the report show the population's counts, and run.json records the basis
(:func:`PopulationBasis.to_dict`) so that a reader can go from one to the other.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import pandas as pd

from sim.inputs.municipalities import find, population_share
from sim.metrics.kpis import kpi_kind

SCALED_COLUMNS = ("mean", "ci_low", "ci_high")
BASIS_KEY = "population"  # run.json entry with the basis; its presence means summary.csv is population-scale
OWN_POPULATION_BELOW = 0.95  # [A] a scenario whose money.population is below 95 % of Denmark's is its own area


@dataclass(frozen=True)
class PopulationBasis:
    """The population a run stands for and the factor from the simulated sample to it."""

    name: str  # "Denmark", a municipality, or the scenario's own area (a calibrated file)
    share: float  # the population's share of the scale the scenario is written for (1 = the whole file)
    scale: float  # the simulated sample's scale
    inhabitants: float | None = None  # the population's size, where the scenario states it

    @property
    def factor(self) -> float:
        """Population count per simulated count: share / scale."""
        return self.share / self.scale

    def to_dict(self) -> dict[str, Any]:
        return {"name": self.name, "share": self.share, "scale": self.scale, "factor": self.factor,
                "inhabitants": self.inhabitants,
                "note": "summary.csv counts are for this population (simulated counts in kpis.csv × factor); "
                        "shares and weeks are not scaled"}


def basis_from_params(params: Mapping[str, Any], name: str = "") -> PopulationBasis:
    """The basis of a scenario given as its resolved parameters (run.json's "params", or
    ``scenario.model_dump()``): a municipality stands for its share of Denmark; a scenario written
    for a smaller population than Denmark's (a calibrated file) stands for that population at
    scale 1; otherwise Denmark at scale 1."""
    scale = float(params.get("scale", 1.0))
    money = params.get("money") or {}
    overhead = params.get("overhead") or {}
    population = money.get("population")
    national = float(overhead.get("national_population", 5_960_000.0))
    municipality = params.get("municipality")
    if municipality:
        m = find(str(municipality))
        return PopulationBasis(m.name, population_share(m), scale, float(m.population))
    if population is not None and float(population) < OWN_POPULATION_BELOW * national:
        return PopulationBasis(name or str(params.get("name", "the scenario's area")), 1.0, scale, float(population))
    return PopulationBasis("Denmark", 1.0, scale, float(population) if population is not None else None)


def is_count(kpi: str) -> bool:
    """KPIs that grow with the population: persons, talks, hours, FTE, DKK (the KPI table's kind)."""
    return kpi_kind(kpi) == "count"


def to_population(summary: pd.DataFrame, factor: float) -> pd.DataFrame:
    """The summary with every count KPI's mean and interval multiplied by `factor`; shares, weeks
    and the number of replications unchanged."""
    out = summary.copy()
    if out.empty or factor == 1.0:
        return out
    counts = out["kpi"].map(is_count).astype(bool)
    for col in SCALED_COLUMNS:
        out[col] = out[col].astype(float)
        out.loc[counts, col] = out.loc[counts, col] * factor
    return out

"""Results per municipality: the rows of ``by_municipality.csv`` for one replication.

Columns: replication, municipality, kpi, group, provider, value. The KPIs:

- ``inhabitants``: the municipality's population × scale (the simulated inhabitants);
- ``stock_mean`` by group: the mean number of citizens in each group over the run;
- ``trial_participants_per_year`` (the trial group, by the provider chosen, and "all"): free-choice
  participants a year; zero outside the 19 free-choice municipalities;
- ``extended_course_entrants_per_year`` (the trial group, by course provider, and "all"): entrants to
  the extended a-kasse course a year;
- ``fte_needed`` by provider and "all": the national ``fte_needed`` of each provider split over the
  municipalities in proportion to the diary and other case-work hours of their citizens with that
  provider. [A] the rule-set work items and the overhead block follow that split; their sum over
  the municipalities is the national figure;
- ``fte_per_1000_inhabitants``: ``fte_needed`` (all providers) per 1,000 simulated inhabitants.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

BY_MUNICIPALITY = "municipality"  # the value of `caseload run --by` that asks for these rows
BY_MUNICIPALITY_FILE = "by_municipality.csv"
COLUMNS = ["replication", "municipality", "kpi", "group", "provider", "value"]
DAYS_PER_YEAR = 365.25


def _split(national: dict[str, float], hours: np.ndarray, providers: list[str]) -> np.ndarray:
    """Each provider's national FTE split over the places by their hours with it: (place, provider)."""
    total = hours.sum(axis=0)
    weights = np.divide(hours, total, out=np.zeros_like(hours), where=total > 0)
    return weights * np.array([national.get(p, 0.0) for p in providers])


def by_municipality_frame(model, replication: int, kpis: pd.DataFrame, scenario) -> pd.DataFrame:
    """The rows of one replication. `model` is the Model after its run; `kpis` its KPI frame (for
    the national ``fte_needed`` by provider)."""
    places, tally = model.places, model.by_place
    groups, providers = model.groups, model.providers
    horizon = float(scenario.horizon_days)
    years = horizon / DAYS_PER_YEAR  # as the national KPIs count a year
    rates = scenario.caseworker_time.case_work_hours_per_week
    rate = np.array([rates.get(g, 0.0) for g in groups], dtype=float)
    days = tally.days  # (place, group, provider)
    work = tally.hours + days / 7.0 * rate[None, :, None]  # diary + other case work
    fte = kpis[(kpis.kpi == "fte_needed") & (kpis.group == "all")]
    national = dict(zip(fte.provider, fte.value))
    split = _split(national, work.sum(axis=1), providers)  # (place, provider)
    trial_group = _trial_group(model)
    fc, ext = tally.trial_participants, tally.extended_entrants
    rows: list[tuple] = []
    for i, name in enumerate(places.names):
        inhabitants = float(places.weights[i]) * _national_inhabitants(scenario)
        rows.append((replication, name, "inhabitants", "all", "all", inhabitants))
        for gi, g in enumerate(groups):
            rows.append((replication, name, "stock_mean", g, "all", float(days[i, gi].sum()) / horizon))
        if trial_group is not None:
            gi = groups.index(trial_group)
            for kpi, arr in (("trial_participants_per_year", fc), ("extended_course_entrants_per_year", ext)):
                for pi, p in enumerate(providers):
                    rows.append((replication, name, kpi, trial_group, p, float(arr[i, gi, pi]) / years))
                rows.append((replication, name, kpi, trial_group, "all", float(arr[i, gi].sum()) / years))
        for pi, p in enumerate(providers):
            rows.append((replication, name, "fte_needed", "all", p, float(split[i, pi])))
        total = float(split[i].sum())
        rows.append((replication, name, "fte_needed", "all", "all", total))
        rows.append((replication, name, "fte_per_1000_inhabitants", "all", "all",
                     total / inhabitants * 1000.0 if inhabitants > 0 else float("nan")))
    return pd.DataFrame(rows, columns=COLUMNS)


def _trial_group(model) -> str | None:
    """The group the trials of the run's rule sets apply to (None: no trial)."""
    return next((rs.trials.group for _, rs in model.timeline if rs.trials is not None), None)


def _national_inhabitants(scenario) -> float:
    """The simulated inhabitants of the run: Denmark's population × scale, or for a run of one
    municipality its own (the scale is then its share of Denmark)."""
    return float(scenario.money.population) * float(scenario.scale)

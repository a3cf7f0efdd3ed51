"""The weekly frame: the recorder's weekly counters in long form, with the measures derived from them.

The recorder counts events per (week, group, provider); this module turns the stock changes into
the stock at the end of each week and adds what the scenario's rates make of it (other case work,
FTE, benefit payments), so that the counting stays free of definitions."""

from __future__ import annotations

import numpy as np
import pandas as pd

from sim.engine.recorder import W_HOURS, W_STOCK, WEEKLY, WEEKS_PER_YEAR, Recorder
from sim.metrics.kpis import per_group

DERIVED = ("case_work_hours", "fte_needed", "benefit_dkk")


def weekly_measures(rec: Recorder, scenario) -> tuple[np.ndarray, list[str]]:
    """(week, group, provider, measure) values and the measure names.

    `stock` is the caseload at the end of the week. Other case work, benefit payments and FTE are
    derived from it (approximations that treat the end-of-week stock as the week's); the KPIs use
    exact stock days instead. Caseworker hours include other case work. Not (yet) week by week: the
    rule sets' work items, the programmes outside the five groups and the overhead block (issue 11);
    they are in the KPIs (`fte_needed`) and workload.csv, so the weekly `fte_needed` here is the diary
    work and other case work only."""
    base = rec.weekly.copy()
    stock = rec.initial_stock[None, :, :] + np.cumsum(base[:, :, :, W_STOCK], axis=0)
    base[:, :, :, W_STOCK] = stock
    case_rate = per_group(rec.groups, scenario.caseworker_time.case_work_hours_per_week, 0.0)
    benefit_rate = per_group(rec.groups, scenario.money.benefit_dkk_per_week)
    case_work = stock * case_rate[None, :, None]
    hours = base[:, :, :, W_HOURS] + case_work
    fte = hours * WEEKS_PER_YEAR / scenario.capacity.productive_hours_per_fte_year
    benefit = stock * benefit_rate[None, :, None]
    base[:, :, :, W_HOURS] = hours
    arr = np.concatenate([base, case_work[..., None], fte[..., None], benefit[..., None]], axis=3)
    names = list(WEEKLY) + list(DERIVED)
    names[W_STOCK] = "stock"
    return arr, names


def with_totals(arr: np.ndarray) -> np.ndarray:
    """Append an "all" group and an "all" provider (sums) to a (week, group, provider, measure) array."""
    w, g, p, m = arr.shape
    full = np.zeros((w, g + 1, p + 1, m))
    full[:, :-1, :-1] = arr
    full[:, -1, :-1] = arr.sum(axis=1)
    full[:, :-1, -1] = arr.sum(axis=2)
    full[:, -1, -1] = arr.sum(axis=(1, 2))
    return full


def weekly_frame(rec: Recorder, replication: int, scenario) -> pd.DataFrame:
    """Weekly measures per group and provider, with "all" aggregates, in long form:
    replication, week, group, provider, measure, value."""
    arr, names = weekly_measures(rec, scenario)
    full = with_totals(arr)
    groups = rec.groups + ["all"]
    providers = rec.providers + ["all"]
    w, g, p, m = np.meshgrid(np.arange(rec.n_weeks), np.arange(len(groups)), np.arange(len(providers)),
                             np.arange(len(names)), indexing="ij")
    frame = pd.DataFrame({
        "replication": replication,
        "week": w.ravel(),
        "group": pd.Categorical.from_codes(g.ravel(), groups),
        "provider": pd.Categorical.from_codes(p.ravel(), providers),
        "measure": pd.Categorical.from_codes(m.ravel(), names),
        "value": full.ravel(),
    })
    for col in ("group", "provider", "measure"):
        frame[col] = frame[col].astype(str)
    return frame

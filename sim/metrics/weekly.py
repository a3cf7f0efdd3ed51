"""The weekly frame: the recorder's weekly counters in long form, with the measures derived from them.

The recorder counts events per (week, group, provider); this module turns the stock changes into
the stock at the end of each week and adds what the scenario's rates make of it (other case work,
FTE, benefit payments), so that the counting stays free of definitions."""

from __future__ import annotations

import numpy as np
import pandas as pd

from sim.engine.recorder import (
    W_CLARIF,
    W_ENTRIES,
    W_EXITS_EXTERNAL,
    W_EXITS_OTHER,
    W_HOURS,
    W_MOVES_IN,
    W_OFFERS,
    W_STOCK,
    W_TALKS,
    WEEKLY,
    WEEKS_PER_YEAR,
    Recorder,
)
from sim.metrics.kpis import per_group
from sim.metrics.workload import WorkPlan, national_share

DERIVED = ("diary_hours", "case_work_hours", "work_item_hours", "fte_needed", "benefit_dkk")

# the weekly count each trigger of a work item is booked on (citizen-weeks: the end-of-week stock)
_WEEKLY_TRIGGER = {"talk": W_TALKS, "spell_start": W_ENTRIES, "offer": W_OFFERS, "group_change": W_MOVES_IN,
                   "exit": W_EXITS_EXTERNAL, "exit_other": W_EXITS_OTHER, "clarification": W_CLARIF}


def _item_hours(rec: Recorder, base: np.ndarray, stock: np.ndarray, plan: WorkPlan | None) -> np.ndarray:
    """The rule sets' work items per (week, group, provider), each week under the rule set in force
    on its first day."""
    out = np.zeros(stock.shape)
    if plan is None:
        return out
    # an item's hours per (group, provider) do not change from week to week: worked out once per item
    # (they were rebuilt for every week, most of the time this frame took in a small run)
    per_item: dict[int, np.ndarray] = {}
    for w in range(rec.n_weeks):
        for item in plan.periods[min(rec.period(7.0 * w), len(plan.periods) - 1)]:
            if item.trigger in ("citizen_week", "availability_case"):
                n = stock[w] * (item.rate_per_citizen_week if item.trigger == "availability_case" else 1.0)
            else:
                n = base[w, :, :, _WEEKLY_TRIGGER[item.trigger]]
            per = per_item.get(id(item))
            if per is None:
                per = per_item[id(item)] = np.array(
                    [[item.hours_for(g) * item.share * item.applies(g, p) for p in rec.providers]
                     for g in rec.groups])
            out[w] += n * per
    return out


def _fixed_hours(rec: Recorder, scenario, modelled: np.ndarray) -> np.ndarray:
    """Per (week, provider): the overhead block, which belongs to no group."""
    share = national_share(scenario)
    out = np.zeros((rec.n_weeks, len(rec.providers)))
    oh = getattr(scenario, "overhead", None)
    if oh is not None and oh.provider in rec.providers:
        i = rec.providers.index(oh.provider)
        weekly_fte_hours = scenario.capacity.productive_hours_per_fte_year / WEEKS_PER_YEAR
        out[:, i] += ((oh.management_share + oh.administration_share) * (modelled[:, i] + out[:, i])
                      + (oh.employer_service_fte + oh.other_groups_fte) * share * weekly_fte_hours)
    return out


def weekly_measures(rec: Recorder, scenario, plan: WorkPlan | None = None) -> tuple[np.ndarray, list[str], np.ndarray]:
    """(week, group, provider, measure) values, the measure names, and the hours per (week,
    provider) that belong to no group (the overhead block).

    `stock` is the caseload at the end of the week. Other case work, the work items booked on
    citizen-weeks, benefit payments and FTE are derived from it (approximations that treat the
    end-of-week stock as the week's); the KPIs use exact stock days instead. Caseworker hours include
    other case work and the work items, as in the KPIs."""
    base = rec.weekly.copy()
    stock = rec.initial_stock[None, :, :] + np.cumsum(base[:, :, :, W_STOCK], axis=0)
    base[:, :, :, W_STOCK] = stock
    case_rate = per_group(rec.groups, scenario.caseworker_time.case_work_hours_per_week, 0.0)
    benefit_rate = per_group(rec.groups, scenario.money.benefit_dkk_per_week)
    case_work = stock * case_rate[None, :, None]
    items = _item_hours(rec, base, stock, plan)
    diary = base[:, :, :, W_HOURS].copy()  # the booked tasks (talks, offers, clarifications)
    hours = diary + case_work + items
    fte = hours * WEEKS_PER_YEAR / scenario.capacity.productive_hours_per_fte_year
    benefit = stock * benefit_rate[None, :, None]
    base[:, :, :, W_HOURS] = hours
    arr = np.concatenate([base, diary[..., None], case_work[..., None], items[..., None], fte[..., None],
                          benefit[..., None]], axis=3)
    names = list(WEEKLY) + list(DERIVED)
    names[W_STOCK] = "stock"
    return arr, names, _fixed_hours(rec, scenario, hours.sum(axis=1))


def with_totals(arr: np.ndarray) -> np.ndarray:
    """Append an "all" group and an "all" provider (sums) to a (week, group, provider, measure) array."""
    w, g, p, m = arr.shape
    full = np.zeros((w, g + 1, p + 1, m))
    full[:, :-1, :-1] = arr
    full[:, -1, :-1] = arr.sum(axis=1)
    full[:, :-1, -1] = arr.sum(axis=2)
    full[:, -1, -1] = arr.sum(axis=(1, 2))
    return full


def weekly_frame(rec: Recorder, replication: int, scenario, plan: WorkPlan | None = None) -> pd.DataFrame:
    """Weekly measures per group and provider, with "all" aggregates, in long form:
    replication, week, group, provider, measure, value. The overhead block belongs
    to no group: it is in the caseworker hours and FTE of group "all" only, as in the KPIs."""
    arr, names, fixed = weekly_measures(rec, scenario, plan)
    full = with_totals(arr)
    per_fte = WEEKS_PER_YEAR / scenario.capacity.productive_hours_per_fte_year
    for k, factor in ((names.index("caseworker_hours"), 1.0), (names.index("fte_needed"), per_fte)):
        full[:, -1, :-1, k] += fixed * factor
        full[:, -1, -1, k] += fixed.sum(axis=1) * factor
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

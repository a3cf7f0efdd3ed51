"""Caseworker work as items: what each process requirement costs in hours, by group and provider.

The recorder counts trigger events (talks, spell starts, citizen-weeks, offers, group changes,
exits, clarifications) per rule period, group and provider; the rule sets list the work items
(hours per trigger, see :class:`sim.inputs.rules.WorkItem`). This module multiplies the two, so
that a rule set can drop or change an item from its date and the hours follow exactly:
hours of an item = Σ over rule periods of (events in the period × hours × share), or for an
availability/sanction case (citizen-weeks × cases per citizen-week × hours).

Besides the rule-set items there are the diary tasks the capacity model books (talk, offer
administration, clarification: ``caseworker_time``), the other case work per citizen-week
(``caseworker_time.case_work_hours_per_week``, one explicit item) and the overhead block
(management, administration, employer service, groups outside the five: ``overhead``).
`fte_needed` counts all of them.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np
import pandas as pd

from sim.engine.recorder import T_WEEK, TRIGGER_EVENTS, W_CLARIF, W_OFFERS, W_TALKS, Recorder
from sim.inputs.errors import ParamError
from sim.inputs.rules import WorkItem

BLOCK_GROUP = "block"
"""The group column of the overhead block's rows in workload.csv (it belongs to no target group)."""

BOOKED_ITEMS = (("talk", W_TALKS), ("offer_admin", W_OFFERS), ("clarification", W_CLARIF))
"""The diary tasks the capacity model books, as items of the workload table."""
CASE_WORK_ITEM = "other_case_work"
BLOCK_ITEMS = ("overhead_management", "overhead_administration", "overhead_employer_service",
               "overhead_other_groups")
WORKLOAD_COLUMNS = ["replication", "item", "group", "provider", "hours", "fte"]


@dataclass(frozen=True)
class WorkPlan:
    """The work items in force in each rule period of a run (period k starts at the k-th switch)."""

    periods: tuple[tuple[WorkItem, ...], ...]

    @property
    def item_ids(self) -> list[str]:
        """Every item id of the run, in first-seen order."""
        seen: dict[str, None] = {}
        for items in self.periods:
            for w in items:
                seen.setdefault(w.id)
        return list(seen)


def work_plan(params) -> WorkPlan:
    """The rule sets' work items along the run's rule timeline; an item naming a group or
    provider the scenario does not have is an error (its work would silently vanish)."""
    sc = params.scenario
    groups, providers = set(sc.groups), set(sc.capacity.providers)
    periods = []
    for _, rs in params.timeline():
        for w in rs.work_items:
            unknown = set(w.groups) - groups | ({w.provider} - providers if w.provider else set())
            if unknown:
                raise ParamError(f"rules[{rs.name}].work_items.{w.id}", sorted(unknown),
                                 f"groups of {sorted(groups)} and providers of {sorted(providers)}")
        periods.append(tuple(rs.work_items))
    return WorkPlan(tuple(periods))


def _period_counts(rec: Recorder, plan: WorkPlan) -> Iterator[tuple[WorkItem, np.ndarray]]:
    """(item, trigger events booked on it by group and provider) for each rule period and item in
    force then; for an availability case the events are the expected cases (citizen-weeks × rate)."""
    trig = rec.triggers
    for k, items in enumerate(plan.periods[:rec.n_periods]):
        for w in items:
            case = w.trigger == "availability_case"
            t = T_WEEK if case else TRIGGER_EVENTS.index(w.trigger)
            mask = np.array([[w.applies(g, p) for p in rec.providers] for g in rec.groups], dtype=float)
            yield w, trig[t, k] * mask * (w.rate_per_citizen_week if case else 1.0)


def item_counts(rec: Recorder, plan: WorkPlan) -> dict[str, np.ndarray]:
    """Trigger events booked on each item over the run, by group and provider."""
    out: dict[str, np.ndarray] = {}
    for w, n in _period_counts(rec, plan):
        out[w.id] = out.get(w.id, 0.0) + n
    return out


def item_hours(rec: Recorder, plan: WorkPlan) -> dict[str, np.ndarray]:
    """Hours of each rule-set item over the run, by group and provider: events × hours × share."""
    out: dict[str, np.ndarray] = {}
    for w, n in _period_counts(rec, plan):
        per_event = np.array([w.hours_for(g) * w.share for g in rec.groups])
        out[w.id] = out.get(w.id, 0.0) + n * per_event[:, None]
    return out


def national_share(scenario) -> float:
    """The run's share of Denmark (see Overhead.national_share); the scale where the scenario has no block."""
    oh = getattr(scenario, "overhead", None)
    return oh.national_share(scenario) if oh is not None else scenario.scale


def case_work_hours_gp(rec: Recorder, scenario) -> np.ndarray:
    """Other case work by group and provider: hours per citizen-week in stock × weeks with the provider."""
    rates = scenario.caseworker_time.case_work_hours_per_week
    rate = np.array([rates.get(g, 0.0) for g in rec.groups], dtype=float)
    return rec.stock_days_gp / 7.0 * rate[:, None]


def group_hours(rec: Recorder, scenario, plan: WorkPlan | None) -> dict[str, np.ndarray]:
    """Every item's hours over the run by group and provider, the overhead block excepted."""
    hours = {name: rec.booked_hours(m) for name, m in BOOKED_ITEMS}
    hours[CASE_WORK_ITEM] = case_work_hours_gp(rec, scenario)
    if plan is not None:
        hours |= item_hours(rec, plan)
    return hours


def block_hours(modelled: np.ndarray, providers: list[str], scenario, years: float) -> dict[str, np.ndarray]:
    """The overhead block's hours over the run per provider: management and administration as
    shares of the block provider's modelled hours, employer service and other groups as fixed
    national FTE × the run's share of Denmark × productive hours × years."""
    oh = getattr(scenario, "overhead", None)
    zero = np.zeros(len(providers))
    if oh is None or oh.provider not in providers:
        return {}
    i = providers.index(oh.provider)
    fte_hours = scenario.capacity.productive_hours_per_fte_year * years * national_share(scenario)
    values = (oh.management_share * modelled[i], oh.administration_share * modelled[i],
              oh.employer_service_fte * fte_hours, oh.other_groups_fte * fte_hours)
    out = {}
    for name, v in zip(BLOCK_ITEMS, values, strict=True):
        row = zero.copy()
        row[i] = v
        out[name] = row
    return out


def workload_frame(rec: Recorder, replication: int, scenario, plan: WorkPlan | None) -> pd.DataFrame:
    """The tidy workload table of one replication: hours a year and FTE per item, group and provider
    (the block's rows have group "block"). Rows with no hours are left out."""
    years = rec.horizon_days / 365.25
    per_fte = scenario.capacity.productive_hours_per_fte_year
    rows = []
    gh = group_hours(rec, scenario, plan)
    for item, m in gh.items():
        for gi, g in enumerate(rec.groups):
            for pi, p in enumerate(rec.providers):
                if m[gi, pi] > 0:
                    rows.append((replication, item, g, p, m[gi, pi] / years, m[gi, pi] / years / per_fte))
    modelled = sum(gh.values(), np.zeros((len(rec.groups), len(rec.providers)))).sum(axis=0)
    for item, v in block_hours(modelled, rec.providers, scenario, years).items():
        for pi, p in enumerate(rec.providers):
            if v[pi] > 0:
                rows.append((replication, item, BLOCK_GROUP, p, v[pi] / years, v[pi] / years / per_fte))
    return pd.DataFrame(rows, columns=WORKLOAD_COLUMNS)

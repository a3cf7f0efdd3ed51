"""Calibrating time use: fit the assumed other case work per citizen-week to FTE targets by provider.

A municipality can state how many FTE its job centre (and the a-kasser) spend in all (`fte_target`
figures, compared with `fte_needed`: all work, the overhead block included). Other case work is the
one [A] knob of the baseline: its hours per citizen-week change no event of the simulation, so every
provider's FTE is exactly linear in a common factor λ on those rates,

    FTE_p(λ) = a_p + λ b_p,  b_p = other case work FTE of p × (1 + management + administration
                                                               shares if p carries the block).

λ minimises Σ_p ((FTE_p(λ) − T_p) / T_p)² in closed form and is clipped so that every rate stays in
its range (CASE_WORK_RANGE). Only the baseline is fitted (the check runs use the rules the figures
were observed under); the reform's change is never a target.
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from sim.experiment.results import Results

CASE_WORK_RANGE = (0.0, 1.0)
"""Hours per citizen-week of other case work that the fit may use: the [A] range stated with
caseworker_time.case_work_hours_per_week in params/national_default.toml."""


@dataclass
class TimeUseFit:
    factor: float  # λ applied to every group's rate
    clipped: bool  # the unconstrained λ left the range
    rates: dict[str, float]  # the fitted hours per citizen-week
    table: pd.DataFrame  # provider, target, before, fitted (FTE)


def _per_provider(res: Results) -> pd.DataFrame:
    """Mean over replications of all FTE and of other case work FTE, per provider."""
    w = res.workload
    if w is None or w.empty:
        raise ValueError("the check run has no workload table")
    reps = w.replication.nunique()
    total = w.groupby("provider").fte.sum() / reps
    case = w[w.item == "other_case_work"].groupby("provider").fte.sum() / reps
    return pd.DataFrame({"total": total, "case_work": case}).fillna(0.0)


def fit_case_work(res: Results, targets: dict[str, float], scenario) -> TimeUseFit:
    """The common factor on other case work that brings fte_needed closest to the targets."""
    per = _per_provider(res)
    oh = scenario.overhead
    rates = dict(scenario.caseworker_time.case_work_hours_per_week)
    num = den = 0.0
    rows = []
    for p, target in targets.items():
        total = float(per.total.get(p, 0.0))
        b = float(per.case_work.get(p, 0.0)) * ((1.0 + oh.management_share + oh.administration_share)
                                                if p == oh.provider else 1.0)
        a = total - b
        rows.append((p, target, total, a, b))
        if target > 0:
            num += b * (target - a) / target ** 2
            den += b * b / target ** 2
    lam = num / den if den > 0 else 1.0
    positive = [r for r in rates.values() if r > 0]
    hi = min(CASE_WORK_RANGE[1] / r for r in positive) if positive else 1.0
    clipped = not 0.0 <= lam <= hi
    lam = min(max(lam, 0.0), hi)
    table = pd.DataFrame([(p, t, total, a + lam * b) for p, t, total, a, b in rows],
                         columns=["provider", "target", "before", "fitted"])
    return TimeUseFit(lam, clipped, {g: r * lam for g, r in rates.items()}, table)


TIME_USE_CATEGORIES = ("contact", "preparation", "administration")
"""The time-use categories a municipality may give shares for (as in the 2014 job-centre analysis:
direct contact with citizens and firms, preparation and follow-up of cases, the rest)."""

ITEM_CATEGORY = {"talk": "contact", "offer_admin": "preparation", "clarification": "preparation",
                 "other_case_work": "preparation", "overhead_management": "administration",
                 "overhead_administration": "administration", "overhead_employer_service": "contact",
                 "overhead_other_groups": "preparation"}
"""Which category the items outside the rule sets belong to; a rule-set item names its own
(`time_use` in [[work_items]], "preparation" when not given)."""


@dataclass
class ShareFit:
    hours: dict[str, float]  # fitted hours per event of each [A] item moved
    table: pd.DataFrame  # category, target share, share before, share fitted
    moved: list[str]  # the [A] items the fit could move (within their ranges)


def category_of(item: str, rule_items: dict) -> str:
    """The time-use category of a workload item (a rule-set item's own `time_use`, else the table)."""
    w = rule_items.get(item)
    if w is not None:
        return w.time_use
    return ITEM_CATEGORY.get(item, "preparation")


def fit_item_hours(workload: pd.DataFrame, shares: dict[str, float], rule_items: dict, provider: str,
                   management_share: float = 0.0, administration_share: float = 0.0) -> ShareFit:
    """Hours per event of the [A] work items (those with range_low/range_high), within their ranges,
    that bring the provider's time-use shares closest to `shares` (least squares on the shares).

    Why it is exact without new runs: an item's hours change no event of the simulation, so its
    hours scale with its hours per event; management and administration in the overhead block are
    shares of the modelled hours and follow. Fitted on a baseline run only: the reform's change is
    never a target."""
    from scipy.optimize import least_squares

    w = workload[workload.provider == provider]
    base = w.groupby("item").hours.sum()
    movable = [i for i, x in rule_items.items() if i in base.index and base[i] > 0
               and x.range_low is not None and x.range_high is not None and x.range_high > x.range_low]
    h0 = {i: rule_items[i].hours for i in movable}
    block = {"overhead_management": management_share, "overhead_administration": administration_share}

    def hours_by_item(x) -> pd.Series:
        h = base.copy()
        for i, v in zip(movable, x, strict=True):
            h[i] = base[i] * v / h0[i] if h0[i] > 0 else base[i]
        modelled = h.drop([b for b in block if b in h.index]).drop(
            [i for i in ("overhead_employer_service", "overhead_other_groups") if i in h.index]).sum()
        for b, s in block.items():
            if b in h.index and s > 0:
                h[b] = s * modelled
        return h

    def category_shares(x) -> dict[str, float]:
        h = hours_by_item(x)
        tot = float(h.sum())
        return {c: float(sum(v for i, v in h.items() if category_of(str(i), rule_items) == c)) / tot
                for c in TIME_USE_CATEGORIES}

    def residuals(x):
        got = category_shares(x)
        return [got[c] - s for c, s in shares.items()]

    x0 = [h0[i] for i in movable]
    if movable:
        lo = [rule_items[i].range_low for i in movable]
        hi = [rule_items[i].range_high for i in movable]
        x = least_squares(residuals, x0, bounds=(lo, hi)).x
    else:
        x = []
    before, after = category_shares(x0), category_shares(x)
    table = pd.DataFrame([(c, shares.get(c, float("nan")), before[c], after[c]) for c in TIME_USE_CATEGORIES],
                         columns=["category", "target", "before", "fitted"])
    return ShareFit({i: float(v) for i, v in zip(movable, x, strict=True)}, table, movable)

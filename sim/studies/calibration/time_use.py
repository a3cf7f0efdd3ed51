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

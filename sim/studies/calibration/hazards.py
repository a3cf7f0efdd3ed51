"""Hazard factors: the group's exit hazards scaled so that its spells match the target.

The group's baseline hazards keep their shape over spell duration (that is the national model's
knowledge); the job hazard and the other hazards are multiplied by two factors solved so that the
analytic spell distribution (:func:`sim.engine.hazard.spell_distribution`) has the target mean and
the target share ending in work. Without a share, one factor scales all. External inflows follow
from the targets by the same arithmetic as :func:`sim.engine.population.external_inflows`."""

from __future__ import annotations

import math
from types import SimpleNamespace

import numpy as np
from scipy import optimize

from sim.engine.hazard import spell_distribution
from sim.engine.population import external_inflows
from sim.inputs.errors import ParamError
from sim.inputs.schema import Group, LoadedParams
from sim.studies.calibration.targets import Target

MAX_WEEKLY_HAZARD = 7.0


def scaled_group(group: Group, work_factor: float, rest_factor: float) -> Group:
    """The group with its job hazard × work_factor and every other hazard × rest_factor."""
    hz = group.hazard
    new = hz.model_copy(update={
        "work": [r * work_factor for r in hz.work],
        "other": [r * rest_factor for r in hz.other],
        "to": {k: [r * rest_factor for r in v] for k, v in hz.to.items()},
    })
    return group.model_copy(update={"hazard": new})


def _max_factor(rates: list[float]) -> float:
    top = max(rates) if rates else 0.0
    return MAX_WEEKLY_HAZARD / top if top > 0 else 1e6


def solve_factors(g: str, group: Group, frailty_variance: float, mean_weeks: float,
                  share_to_work: float | None) -> tuple[float, float]:
    """(work factor, rest factor) whose analytic spell distribution has the target mean and share.

    Why two factors: the mean fixes how fast spells end, the share how they end; scaling only the
    job hazard would change both at once. The shape over duration is kept from the national model."""
    hz = group.hazard
    rest_rates = hz.other + [r for v in hz.to.values() for r in v]
    hi_w, hi_r = _max_factor(hz.work), _max_factor(rest_rates)
    target_days = mean_weeks * 7.0

    def dist(a: float, b: float):
        return spell_distribution(scaled_group(group, a, b), frailty_variance)

    if share_to_work is None:
        def gap(logc: float) -> float:
            c = math.exp(logc)
            return math.log(dist(c, c).mean_days / target_days)
        lo, hi = math.log(1e-3), math.log(min(hi_w, hi_r))
        if gap(lo) < 0 or gap(hi) > 0:
            raise ParamError(f"groups.{g}.mean_spell_weeks", round(mean_weeks, 1),
                             "a mean spell the group's hazard shape can reach (check the unit: weeks)")
        c = math.exp(optimize.brentq(gap, lo, hi, xtol=1e-6))
        return c, c

    def residuals(x: np.ndarray) -> np.ndarray:
        d = dist(math.exp(x[0]), math.exp(x[1]))
        return np.array([math.log(d.mean_days / target_days),
                         d.destination_probs["work"] - share_to_work])

    bounds = ([math.log(1e-3)] * 2, [math.log(hi_w), math.log(hi_r)])
    sol = optimize.least_squares(residuals, x0=np.zeros(2), bounds=bounds, xtol=1e-10, ftol=1e-10)
    if np.max(np.abs(sol.fun)) > 2e-3:
        d = dist(math.exp(sol.x[0]), math.exp(sol.x[1]))
        raise ParamError(f"groups.{g}.share_to_work", share_to_work,
                         f"not reachable together with a mean spell of {mean_weeks:.1f} weeks for this group's "
                         f"hazard shape (closest: {d.destination_probs['work']:.2f} to work, "
                         f"{d.mean_days / 7:.1f} weeks); check the figures")
    return math.exp(sol.x[0]), math.exp(sol.x[1])


def implied_external_inflows(params: LoadedParams, targets: dict[str, Target], factors: dict[str, tuple[float, float]],
                             share: float) -> dict[str, float]:
    """External inflow per group: the target entries per year minus what other groups send in.

    Reuses :func:`sim.population.external_inflows` with the target stocks and mean spells in place
    of the national ones, so an impossible combination raises its error naming ``groups.X.stock``.
    Groups without figures keep the national hazards and a stock scaled by `share`."""
    dists = {}
    groups = {}
    for g, grp in params.scenario.groups.items():
        a, b = factors.get(g, (1.0, 1.0))
        scaled = scaled_group(grp, a, b)
        d = spell_distribution(scaled, params.scenario.frailty.variance)
        t = targets.get(g)
        mean_days = t.mean_weeks * 7.0 if t else d.mean_days
        stock = t.stock if t else grp.stock * share
        dists[g] = SimpleNamespace(mean_days=mean_days, destination_probs=d.destination_probs)
        groups[g] = scaled.model_copy(update={"inflow_per_year": "little", "stock": stock})
    return external_inflows(groups, dists)

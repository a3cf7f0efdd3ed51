"""The synthetic population: external inflows, monthly Poisson arrivals, and the initial stock.

Inflows a group does not state are derived from its stock by Little's law: the total entry rate
is stock / mean spell length, and what other groups send in (exhausted dagpenge, job loss after
sickness, reassessment) is subtracted, leaving the external inflow. The initial stock is drawn
from the stationary distribution of the hazard model: spells covering the start date are
length-biased, and the time already spent is uniform within them (left truncation).
"""

from __future__ import annotations

import calendar
import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Final

import numpy as np

from sim.engine.hazard import INF, SpellDistribution, frailty_from_uniform, spell_distribution
from sim.engine.randomness import COL_FRAILTY, COL_PRIOR_HOURS, COL_SHORT_ABSENCE, COL_UNDER_30, ROW_WIDTH, Streams
from sim.inputs.errors import ParamError
from sim.inputs.schema import Group, Scenario

DAYS_PER_YEAR: Final = 365.25


def spell_distributions(scenario: Scenario) -> dict[str, SpellDistribution]:
    """Each group's spell-length distribution under the scenario's hazards and frailty."""
    return {g: spell_distribution(grp, scenario.frailty.variance) for g, grp in scenario.groups.items()}


def external_inflows(groups: Mapping[str, Group], dists: Mapping[str, Any]) -> dict[str, float]:
    """Yearly external inflow per group (national, before `scale`), stated or by Little's law.

    `dists` needs only each group's mean spell and destination probabilities, so calibration can
    pass target values in place of a fitted distribution."""
    total = {g: grp.stock / dists[g].mean_days * DAYS_PER_YEAR for g, grp in groups.items()}
    out = {}
    for g, grp in groups.items():
        if grp.inflow_per_year != "little":
            out[g] = float(grp.inflow_per_year)
            continue
        from_others = sum(total[h] * dists[h].destination_probs.get(g, 0.0) for h in groups if h != g)
        ext = total[g] - from_others
        if ext < 0:
            raise ParamError(f"groups.{g}.stock", grp.stock,
                             f"a stock large enough for the {from_others:,.0f} a year that other groups send in "
                             f"(the stock and hazard imply {total[g]:,.0f} entries a year in all)")
        out[g] = ext
    return out


@dataclass
class Entrants:
    """A batch of new citizens of one group: arrival days, keys and their rows of uniforms."""

    group: str
    days: np.ndarray
    keys: np.ndarray
    rows: np.ndarray
    elapsed: np.ndarray | None = None  # for the initial stock: days already spent in the spell


def month_starts(start: dt.date, horizon_days: int) -> list[tuple[int, int, int]]:
    """(first day, last day exclusive, calendar month index 0-11) of each month the run touches."""
    out = []
    day = 0
    d = start
    while day < horizon_days:
        last = calendar.monthrange(d.year, d.month)[1]
        nxt = dt.date(d.year, d.month, last) + dt.timedelta(days=1)
        end = min(day + (nxt - d).days, horizon_days)
        out.append((day, end, d.month - 1))
        day, d = end, nxt
    return out


def arrivals(params, group: str, yearly_rate: float, streams: Streams, key_base: int):
    """Yield the month batches of a group's arrivals: a Poisson process with monthly seasonality."""
    rng = streams.generator(f"arrivals:{group}")
    season = params.scenario.groups[group].seasonality
    count = 0
    for first, end, month in month_starts(params.scenario.start_date, params.scenario.horizon_days):
        mean = yearly_rate * params.scenario.scale * season[month] * (end - first) / DAYS_PER_YEAR
        n = int(rng.poisson(mean))
        days = np.sort(rng.uniform(first, end, n))
        rows = rng.random((n, ROW_WIDTH))
        keys = key_base + count + np.arange(n, dtype=np.int64)
        count += n
        yield Entrants(group, days, keys, rows)


def citizen_attributes(params, group: str, rows: np.ndarray) -> dict[str, np.ndarray]:
    """The attributes the rules and hazards need, read from the fixed columns of the rows."""
    grp = params.scenario.groups[group]
    n = len(rows)
    out = {
        "frailty": frailty_from_uniform(rows[:, COL_FRAILTY], params.scenario.frailty.variance),
        "under_30": rows[:, COL_UNDER_30] < grp.share_under_30,
        "short_absence": rows[:, COL_SHORT_ABSENCE] < grp.short_absence_share,
        "cap_day": np.full(n, INF),
    }
    out["work_mult"] = np.where(out["short_absence"], grp.short_absence_work_multiplier, 1.0)
    if grp.exhaustion is not None:
        out["cap_day"] = exhaustion_days(grp.exhaustion, rows[:, COL_PRIOR_HOURS])
    return out


def exhaustion_days(ex, u: np.ndarray) -> np.ndarray:
    """The spell day on which UI benefit runs out, from each citizen's uniform draw for the
    hours already used at entry (the `prior_hours_used` mixture)."""
    cum = np.cumsum([p for p, _ in ex.prior_hours_used])
    idx = np.minimum(np.searchsorted(cum, u, side="right"), len(cum) - 1)
    used = np.array([h for _, h in ex.prior_hours_used])[idx]
    return (ex.benefit_period_hours - used) / ex.hours_per_week * 7.0


def baseline_spell_days(params, group: str, attrs: dict[str, np.ndarray], budgets: np.ndarray) -> np.ndarray:
    """Total spell length with no effects, from one unit-exponential budget on the summed hazard."""
    grp = params.scenario.groups[group]
    hz = grp.hazard
    starts = np.array(hz.breaks_weeks) * 7.0
    w = np.array(hz.work) / 7.0
    rest = (np.array(hz.other) + sum((np.array(r) for r in hz.to.values()), np.zeros(len(starts)))) / 7.0
    zm = (attrs["frailty"] * attrs["work_mult"])[:, None]
    rates = zm * w + rest  # (n, pieces)
    widths = np.append(np.diff(starts), np.inf)
    seg = np.where(np.isfinite(widths), rates * np.where(np.isfinite(widths), widths, 0.0), 0.0)
    cum = np.concatenate([np.zeros((len(budgets), 1)), np.cumsum(seg[:, :-1], axis=1)], axis=1)
    piece = np.clip((cum < budgets[:, None]).sum(axis=1) - 1, 0, len(starts) - 1)
    r = rates[np.arange(len(budgets)), piece]
    with np.errstate(divide="ignore"):
        t = starts[piece] + (budgets - cum[np.arange(len(budgets)), piece]) / r
    t = np.where(r > 0, t, INF)
    return np.minimum(np.minimum(t, attrs["cap_day"]), 40 * DAYS_PER_YEAR)


def initial_stock(params, group: str, streams: Streams, key_base: int) -> Entrants:
    """The citizens in the group on the start date, with the days they have already spent there."""
    n = int(round(params.scenario.groups[group].stock * params.scenario.scale))
    rng = streams.generator(f"stock:{group}")
    if n == 0:
        return Entrants(group, np.zeros(0), np.zeros(0, dtype=np.int64), np.zeros((0, ROW_WIDTH)), np.zeros(0))
    k = max(8 * n, 4000)
    rows = rng.random((k, ROW_WIDTH))
    attrs = citizen_attributes(params, group, rows)
    total = baseline_spell_days(params, group, attrs, rng.exponential(size=k))
    pick = rng.choice(k, size=n, replace=True, p=total / total.sum())
    elapsed = rng.random(n) * total[pick]
    # The picked rows keep their attributes; their budgets are drawn afresh by the model, which is
    # exact because the budget left after surviving to `elapsed` is again unit exponential.
    return Entrants(group, np.zeros(n), key_base + np.arange(n, dtype=np.int64), rows[pick], elapsed)



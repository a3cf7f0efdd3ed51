"""The exit-hazard model: piecewise-constant hazards by spell duration, competing destinations.

Each citizen carries one unit-exponential budget per destination. The time of an exit is where the
cumulative hazard, from the start of the spell, uses up the budget; the destination that gets
there first wins (competing risks). The job hazard is multiplied by the citizen's frailty and by
time windows of effects (after a talk, before a mandatory offer, during and after an offer);
when a window is added, only the job destination is recomputed, from the budget that is left.

The analytic side (:class:`SpellDistribution`) gives the survival function of a group's spells
with frailty integrated out. It drives the initial stock (left truncation), the Little's-law
inflows and the tests that hold the simulation to the hazard.
"""

from __future__ import annotations

import math
from bisect import bisect_right
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Final

import numpy as np
from scipy import special

INF: Final = math.inf
WEEK: Final = 7.0

# The exits of the hazard model that are not moves to another group: to work or education (the
# destination the effects act on) and any other exit (flex-job, pension, leaving the system).
WORK: Final = "work"
OTHER: Final = "other"

# A window of effect on the job hazard: (start day, end day, multiplier), absolute simulation days.
Window = tuple[float, float, float]


@dataclass(frozen=True)
class Piecewise:
    """A hazard per day, constant on [starts[i], starts[i+1]) of spell days; the last piece lasts."""

    starts: tuple[float, ...]
    rates: tuple[float, ...]

    @classmethod
    def from_weeks(cls, breaks_weeks: list[float], rates_per_week: list[float]) -> Piecewise:
        return cls(tuple(b * WEEK for b in breaks_weeks), tuple(r / WEEK for r in rates_per_week))

    def cumulative(self, u: float) -> float:
        """Cumulative hazard from spell day 0 to spell day u."""
        total = 0.0
        for i, s in enumerate(self.starts):
            if u <= s:
                break
            end = self.starts[i + 1] if i + 1 < len(self.starts) else INF
            total += self.rates[i] * (min(u, end) - s)
        return total

    def cumulative_array(self, u: np.ndarray) -> np.ndarray:
        starts = np.asarray(self.starts)
        rates = np.asarray(self.rates)
        ends = np.append(starts[1:], np.inf)
        return np.clip(u[..., None] - starts, 0.0, ends - starts) @ rates

    def invert(self, u0: float, budget: float, mult: float = 1.0) -> float:
        """The spell day at which `budget` is used up, starting from spell day u0, at a constant multiplier."""
        if mult <= 0.0:
            return INF
        starts, rates = self.starts, self.rates
        i = bisect_right(starts, u0) - 1
        u = u0
        n = len(starts)
        while True:
            end = starts[i + 1] if i + 1 < n else INF
            rate = rates[i] * mult
            if rate > 0.0:
                need = budget / rate
                if u + need <= end:
                    return u + need
                budget -= rate * (end - u)
            elif end == INF:
                return INF
            u = end
            i += 1


def _window_state(windows: Sequence[Window], t: float) -> tuple[float, float]:
    """The product of the multipliers in force at t, and the next time that product changes."""
    m = 1.0
    nxt = INF
    for a, b, f in windows:
        if a <= t < b:
            m *= f
            if b < nxt:
                nxt = b
        elif a > t and a < nxt:
            nxt = a
    return m, nxt


def invert_windows(h: Piecewise, spell_start: float, t0: float, budget: float, scale: float,
                   windows: Sequence[Window]) -> float:
    """The absolute day at which `budget` is used up from day t0, for hazard h(t - spell_start) ×
    scale × the product of the windows in force. Exact: steps over the pieces of both."""
    if not windows:
        return spell_start + h.invert(t0 - spell_start, budget, scale)
    starts, rates = h.starts, h.rates
    n = len(starts)
    t = t0
    i = bisect_right(starts, t - spell_start) - 1
    while True:
        piece_end = spell_start + starts[i + 1] if i + 1 < n else INF
        # m, change = _window_state(windows, t), inlined: this loop runs at every exit-clock
        # inversion with effect windows (the hot path); integrate_windows keeps the call
        m = 1.0
        change = INF
        for a, b, f in windows:
            if a <= t < b:
                m *= f
                if b < change:
                    change = b
            elif a > t and a < change:
                change = a
        seg_end = piece_end if piece_end < change else change
        rate = rates[i] * scale * m
        if rate > 0.0:
            need = budget / rate
            if t + need <= seg_end:
                return t + need
            budget -= rate * (seg_end - t)
        elif seg_end == INF:
            return INF
        t = seg_end
        if t >= piece_end:
            i += 1


def integrate_windows(h: Piecewise, spell_start: float, t0: float, t1: float, scale: float,
                      windows: Sequence[Window]) -> float:
    """The hazard used up between absolute days t0 and t1 (t1 >= t0), with the same terms."""
    if t1 <= t0:
        return 0.0
    if not windows:
        return scale * (h.cumulative(t1 - spell_start) - h.cumulative(t0 - spell_start))
    starts, rates = h.starts, h.rates
    n = len(starts)
    t = t0
    i = bisect_right(starts, t - spell_start) - 1
    total = 0.0
    while t < t1:
        piece_end = spell_start + starts[i + 1] if i + 1 < n else INF
        m, change = _window_state(windows, t)
        seg_end = min(piece_end, change, t1)
        total += rates[i] * scale * m * (seg_end - t)
        t = seg_end
        if t >= piece_end:
            i += 1
    return total


@dataclass(frozen=True)
class GroupHazard:
    """The destinations of one group's spells: work, other exits, moves to other groups."""

    work: Piecewise
    other: Piecewise
    to: dict[str, Piecewise]

    @classmethod
    def from_params(cls, hz) -> GroupHazard:
        return cls.from_weeks(hz.breaks_weeks, hz.work, hz.other, hz.to.items())

    @classmethod
    def from_weeks(cls, breaks_weeks: Sequence[float], work: Sequence[float], other: Sequence[float],
                   to: Iterable[tuple[str, Sequence[float]]]) -> GroupHazard:
        """From rates per week on the pieces starting at `breaks_weeks` (to: (group, rates) pairs)."""
        return cls(Piecewise.from_weeks(list(breaks_weeks), list(work)),
                   Piecewise.from_weeks(list(breaks_weeks), list(other)),
                   {g: Piecewise.from_weeks(list(breaks_weeks), list(r)) for g, r in to})


def fixed_exit(hz: GroupHazard, spell_start: float, now: float, cap_exit: float, cap_dest: str,
               uniform: Callable[[], float]) -> tuple[float, str]:
    """The first exit of a spell other than to work, and where it goes (competing risks).

    The candidates are the benefit cap (`cap_exit`, to `cap_dest`), an other exit and a move to
    each group of `hz.to`, each but the cap with a fresh unit-exponential budget from `uniform`
    (drawn in that order) used up from day `now` on; the earliest wins, a tie keeps the earlier
    candidate. The hazards do not change during the spell, so this is drawn once per spell."""
    best, dest = cap_exit, cap_dest
    t = spell_start + hz.other.invert(now - spell_start, -math.log(1.0 - uniform()))
    if t < best:
        best, dest = t, OTHER
    for name, h in hz.to.items():
        t = spell_start + h.invert(now - spell_start, -math.log(1.0 - uniform()))
        if t < best:
            best, dest = t, name
    return best, dest


def frailty_nodes(variance: float, n: int = 48) -> tuple[np.ndarray, np.ndarray]:
    """Quadrature for a gamma frailty with mean 1: equal-probability nodes (the bin medians)."""
    if variance <= 0.0:
        return np.ones(1), np.ones(1)
    z = frailty_from_uniform((np.arange(n) + 0.5) / n, variance)
    return z, np.full(n, 1.0 / n)


def frailty_from_uniform(u: np.ndarray, variance: float) -> np.ndarray:
    """Frailty values (gamma, mean 1) from uniforms, so that one uniform per citizen fixes it.

    The gamma quantile is computed as scipy.stats.gamma(a=1/variance, scale=variance).ppf does it
    (the inverse regularised incomplete gamma function, times the scale), the same values exactly,
    without building a frozen distribution: that took about a millisecond per call, and a run calls
    this for every day's entrants of every group (a tenth of a small run's time), and scipy.stats adds
    about 47 MB to every process that imports it (the engine needs only scipy.special)."""
    if variance <= 0.0:
        return np.ones_like(u)
    return special.gammaincinv(1.0 / variance, u) * variance


class SpellDistribution:
    """A group's spell length and destination, frailty and entry mixtures integrated out.

    Mixture components are (weight, job-hazard multiplier, cap day): the sick-listed
    short-absence subgroup changes the multiplier; dagpenge exhaustion sets the cap, at which the
    spell ends by a move to `cap_to`. Effects of talks and offers are not in it: it is the
    distribution the simulation must reproduce with effects switched off.
    """

    def __init__(self, hazard: GroupHazard, frailty_variance: float,
                 components: list[tuple[float, float, float]], cap_to: str | None = None,
                 horizon_days: float = 40 * 365.25, step: float = 0.5):
        self.hazard = hazard
        self.cap_to = cap_to
        self.t = np.arange(0.0, horizon_days + step, step)
        z, wz = frailty_nodes(frailty_variance)
        hw = hazard.work.cumulative_array(self.t)
        ho = hazard.other.cumulative_array(self.t)
        hto = {g: p.cumulative_array(self.t) for g, p in hazard.to.items()}
        rest = ho + sum(hto.values(), np.zeros_like(self.t))
        surv = np.zeros_like(self.t)
        dens_w = np.zeros_like(self.t)  # density of exits to work, per day
        dens_rest_factor = np.zeros_like(self.t)  # survival summed over components (for other/to)
        cap_mass = 0.0
        self._components = components
        for weight, mult, cap in components:
            alive = self.t < cap
            for zi, wi in zip(z, wz):
                s = np.exp(-zi * mult * hw - rest) * alive
                w = weight * wi
                surv += w * s
                dens_w += w * s * zi * mult * _rate_array(hazard.work, self.t)
                dens_rest_factor += w * s
            if cap < INF:
                idx = min(int(np.searchsorted(self.t, cap)) - 1, len(self.t) - 1)
                cap_mass += weight * float(np.sum(wz * np.exp(-z * mult * hw[idx] - rest[idx])))
        self.survival = surv
        self.cap_mass = cap_mass
        self.mean_days = float(np.trapezoid(surv, self.t))
        p = {WORK: float(np.trapezoid(dens_w, self.t))}
        p[OTHER] = float(np.trapezoid(dens_rest_factor * _rate_array(hazard.other, self.t), self.t))
        for g, pw in hazard.to.items():
            p[g] = p.get(g, 0.0) + float(np.trapezoid(dens_rest_factor * _rate_array(pw, self.t), self.t))
        if cap_to is not None:
            p[cap_to] = p.get(cap_to, 0.0) + cap_mass
        self.destination_probs = p

    def cdf(self, days: np.ndarray) -> np.ndarray:
        """P(spell length <= days)."""
        return 1.0 - np.interp(days, self.t, self.survival, right=0.0)


def _rate_array(p: Piecewise, t: np.ndarray) -> np.ndarray:
    idx = np.searchsorted(np.asarray(p.starts), t, side="right") - 1
    return np.asarray(p.rates)[idx]


def entry_components(group) -> tuple[list[tuple[float, float, float]], str | None]:
    """The mixture of entrants of a group: short-absence sick-listed and prior UI hours."""
    comps = [(1.0, 1.0, INF)]
    cap_to = None
    if group.short_absence_share > 0.0:
        s = group.short_absence_share
        comps = [(1.0 - s, 1.0, INF), (s, group.short_absence_work_multiplier, INF)]
    if group.exhaustion is not None:
        ex = group.exhaustion
        cap_to = ex.to_group
        comps = [(w * p, m, exhaustion_day(ex, used)) for (w, m, _) in comps for p, used in ex.prior_hours_used]
    return comps, cap_to


def exhaustion_day(ex, hours_used: float) -> float:
    """The spell day on which UI benefit runs out, given the hours already used at entry."""
    return (ex.benefit_period_hours - hours_used) / ex.hours_per_week * WEEK


def spell_distribution(group, frailty_variance: float) -> SpellDistribution:
    """The group's spell-length distribution (shared, not to be changed: see _cached_distribution)."""
    comps, cap_to = entry_components(group)
    hz = group.hazard
    return _cached_distribution(tuple(hz.breaks_weeks), tuple(hz.work), tuple(hz.other),
                                tuple((g, tuple(r)) for g, r in hz.to.items()), float(frailty_variance),
                                tuple(comps), cap_to)


@lru_cache(maxsize=32)
def _cached_distribution(breaks_weeks: tuple[float, ...], work: tuple[float, ...], other: tuple[float, ...],
                         to: tuple[tuple[str, tuple[float, ...]], ...], frailty_variance: float,
                         comps: tuple[tuple[float, float, float], ...], cap_to: str | None) -> SpellDistribution:
    """A spell-length distribution by the values it is computed from.

    Why cached: each takes about 20 ms of numpy (a 40-year grid, 48 frailty nodes, every entry
    component), and every replication of a scenario needs the same eight, so small runs (tests,
    sweeps, the staffing search) spent about a fifth of their time recomputing them. Keyed on plain
    values, so any change of a hazard, the frailty or the entry mixture computes afresh."""
    hazard = GroupHazard.from_weeks(breaks_weeks, work, other, to)
    return SpellDistribution(hazard, frailty_variance, list(comps), cap_to)

"""The hazard model: exact inversion, and simulated spells against the analytic distribution."""

from __future__ import annotations

import math

import numpy as np
from conftest import GROUPS, no_effects, spells
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import integrate, stats

import sim
from sim.engine.hazard import (
    Piecewise,
    exhaustion_day,
    frailty_nodes,
    integrate_windows,
    invert_windows,
    spell_distribution,
)

rates = st.lists(st.floats(0.0, 0.5), min_size=1, max_size=5)


@settings(max_examples=200, deadline=None)
@given(rates=rates, u0=st.floats(0.0, 400.0), budget=st.floats(0.01, 5.0),
       windows=st.lists(st.tuples(st.floats(0.0, 300.0), st.floats(1.0, 100.0), st.floats(0.1, 3.0)), max_size=3))
def test_inversion_uses_exactly_the_budget(rates, u0, budget, windows):
    rates = [r + 0.001 for r in rates]  # strictly positive, so every budget is used up
    h = Piecewise.from_weeks([4.0 * i for i in range(len(rates))], rates)
    win = [(a, a + w, f) for a, w, f in windows]
    t = invert_windows(h, 0.0, u0, budget, 1.3, win)
    assert t >= u0
    assert math.isclose(integrate_windows(h, 0.0, u0, t, 1.3, win), budget, rel_tol=1e-9, abs_tol=1e-9)


def test_integrate_windows_matches_numerical_quadrature():
    h = Piecewise.from_weeks([0.0, 2.0, 5.0], [0.1, 0.3, 0.05])
    win = [(3.0, 20.0, 1.5), (10.0, 40.0, 0.5)]

    def rate(t: float) -> float:
        m = np.prod([f for a, b, f in win if a <= t < b]) if any(a <= t < b for a, b, _ in win) else 1.0
        return h.rates[np.searchsorted(h.starts, t, side="right") - 1] * 0.8 * m

    exact = integrate_windows(h, 0.0, 1.0, 60.0, 0.8, win)
    numeric, _ = integrate.quad(rate, 1.0, 60.0, points=[3, 10, 14, 20, 35, 40], limit=200)
    assert math.isclose(exact, numeric, rel_tol=1e-6)


def test_destination_probabilities_sum_to_one():
    p = sim.load_params()
    for g, grp in p.scenario.groups.items():
        d = spell_distribution(grp, p.scenario.frailty.variance)
        assert math.isclose(sum(d.destination_probs.values()), 1.0, abs_tol=2e-3), g


def test_simulated_spell_lengths_follow_the_hazard_ks():
    """With effects off, external entrants' spell lengths follow the analytic distribution
    (frailty, the sick-listed short-absence mixture and dagpenge exhaustion included)."""
    p = sim.load_params(overrides=no_effects() | {"scale": 0.05, "years": 6.0, "capacity.unlimited": True,
                                                  "rules": "pre_reform", "exemption.share": 0.0})
    df, model = spells(p, seed=5)
    limit = 4.0 * 365.25  # entrants of the first year are followed for at least 4 years
    df = df[df.new_entry & df.external & (df.start < model.horizon - limit)]
    for g in GROUPS:
        sub = df[df.group == g]
        dur = (sub.end - sub.start).to_numpy()
        grp = p.scenario.groups[g]
        dist = spell_distribution(grp, p.scenario.frailty.variance)
        lim = limit
        if grp.exhaustion is not None:
            # KS needs a continuous distribution: stop short of the first exhaustion atom, and
            # check the mass that runs out of benefit separately
            lim = min(exhaustion_day(grp.exhaustion, h) for _, h in grp.exhaustion.prior_hours_used) - 1e-6
            caps = [exhaustion_day(grp.exhaustion, h) for _, h in grp.exhaustion.prior_hours_used]
            exhausted = (sub.dest == grp.exhaustion.to_group).to_numpy() & np.isin(np.round(dur, 6), np.round(caps, 6))
            ci = stats.binomtest(int(exhausted.sum()), len(dur)).proportion_ci(0.99)
            assert ci.low <= dist.cap_mass <= ci.high, (g, dist.cap_mass, ci)
        f_limit = dist.cdf(np.array([lim]))[0]
        done = dur[dur <= lim]
        # censoring at `limit`: compare the lengths of the spells that ended by then with the
        # distribution conditional on ending by then, and the share that ended with F(limit)
        ks = stats.kstest(done, lambda x, d=dist, fl=f_limit: np.minimum(d.cdf(np.asarray(x)) / fl, 1.0))
        assert ks.pvalue > 0.01, (g, len(done), ks)
        ci = stats.binomtest(len(done), len(dur)).proportion_ci(0.99)
        assert ci.low <= f_limit <= ci.high, (g, f_limit, ci)


def test_frailty_nodes_are_the_gamma_quantiles_of_scipy_stats():
    """The quadrature nodes are the bin medians of a mean-1 gamma with the frailty variance, as
    scipy.stats computes them (the engine itself does not import scipy.stats)."""
    for variance in (0.1, 0.35, 1.0):
        z, w = frailty_nodes(variance, 24)
        expected = stats.gamma(a=1.0 / variance, scale=variance).ppf((np.arange(24) + 0.5) / 24)
        assert np.allclose(z, expected, rtol=1e-13, atol=0.0) and np.allclose(w, 1.0 / 24)
        assert abs(z.mean() - 1.0) < 0.02  # equal-weight medians of a mean-1 distribution

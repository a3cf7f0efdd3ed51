"""The trial as a cluster trial (issue 12, item 6): ICC, design effect and clustered power.

The estimators are checked against data with a known ICC (beta-binomial clusters, ICC = 1/(a+b+1))
and against hand computations; the simulated trial against the individual-level figure, which the
clustered one must exceed once outcomes correlate within a municipality.
"""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats

import sim
from sim.inputs.municipalities import municipalities, population_share
from sim.studies import cluster_trial as ct


def test_icc_estimator_recovers_a_known_icc():
    """Beta(a, b) cluster rates give ICC 1/(a+b+1); 40 data sets of 100 clusters of 200."""
    rng = np.random.default_rng(3)
    a, b = 6.0, 4.0  # ICC = 1/11
    est = []
    for _ in range(40):
        p = rng.beta(a, b, 100)
        n = np.full(100, 200)
        y = rng.binomial(n, p)
        arm = np.repeat(["x", "y"], 50)
        est.append(ct.icc_anova(n, y, arm))
    mean, half = np.mean(est), stats.t.ppf(0.995, 39) * np.std(est, ddof=1) / np.sqrt(40)
    assert abs(mean - 1 / 11) < half + 0.005, (mean, half)


def test_icc_near_zero_without_clustering():
    rng = np.random.default_rng(4)
    n = rng.integers(50, 500, 98)
    y = rng.binomial(n, 0.6)
    assert abs(ct.icc_anova(n, y, np.repeat(["x", "y"], 49))) < 0.01


def test_design_effect_by_hand():
    # sizes 10 and 30: mean 20, cv² = 100 / 400 = 0.25; 1 + (1.25 × 20 − 1) × 0.1 = 3.4
    assert ct.design_effect(np.array([10, 30]), 0.1) == pytest.approx(3.4)
    assert ct.design_effect(np.array([10, 30]), 0.0) == 1.0


def test_individual_mde_by_hand():
    # p = 0.5, 1,000 a side: (1.95996 + 0.84162) × √(0.25 × 0.002) = 0.062645
    assert ct.mde_individual(1000, 1000, 0.5) == pytest.approx(0.062645, abs=1e-5)


def _outcomes(sd: float):
    params = sim.load_params(overrides={"scale": 0.03, "years": 1.0, "municipality_effects.job_chance_sd": sd})
    return params, ct.place_outcomes(params, 4, 2)


@pytest.fixture(scope="module")
def outcomes():
    return _outcomes(0.3)


def test_municipality_effects_raise_the_simulated_icc(outcomes):
    """The same citizens (common random numbers) with and without municipality effects: the ICC
    rises in every replication, and the mean rise has a 95 % interval above zero."""
    _, with_effects = outcomes
    _, without = _outcomes(0.0)
    diff = ct.icc_by_replication(with_effects) - ct.icc_by_replication(without)
    half = stats.t.ppf(0.975, len(diff) - 1) * diff.std(ddof=1) / np.sqrt(len(diff))
    assert (diff > 0).all() and diff.mean() - half > 0, diff


def test_clustered_mde_above_individual(outcomes):
    params, o = outcomes
    assert set(o.arm) == {"free_choice", "extended"}
    free = {m.name for m in municipalities() if m.free_choice}
    assert set(o[o.arm == "free_choice"].municipality) <= free
    weights = {m.name: population_share(m) for m in municipalities()}
    run_years = (params.scenario.horizon_days - ct.FOLLOW_DAYS) / 365.25
    design = ct.real_design(o, weights, params.scenario.scale, run_years, 3.0)
    # the real trial: about 25,000 free-choice participants over 3 years in the 19 ([seed 000])
    assert 15_000 < design.treated.sum() < 40_000
    table = ct.power_table(o, design).set_index("analysis")
    clustered = table.loc["clustered by municipality"]
    assert clustered.icc > 0 and clustered.design_effect_control > 1, table
    assert clustered.mde_pp > table.loc["individual"].mde_pp, table
    # the evaluation gives both standard errors (the cluster-robust one is itself noisy with 19
    # small simulated clusters, so only its presence and sign are checked here)
    ev = ct.evaluate(o)
    assert len(ev) == 4 and (ev.se_cluster_pp > 0).all() and (ev.se_individual_pp > 0).all()


def test_with_the_default_municipality_effects_the_clustered_mde_is_still_above():
    params = sim.load_params(overrides={"scale": 0.02, "years": 1.0})
    o = ct.place_outcomes(params, 2, 5)
    weights = {m.name: population_share(m) for m in municipalities()}
    design = ct.real_design(o, weights, 0.02, (params.scenario.horizon_days - ct.FOLLOW_DAYS) / 365.25, 3.0)
    table = ct.power_table(o, design).set_index("analysis")
    assert table.loc["clustered by municipality"].mde_pp > table.loc["individual"].mde_pp

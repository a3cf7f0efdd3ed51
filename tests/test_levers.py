"""The policy levers: the exemption cap as the law counts it, exemption policies, the trials and
the trial's evaluation."""

from __future__ import annotations

import numpy as np
import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats

import sim
from sim.engine.exemption import ExemptionPool
from sim.studies.levers import TrialData, evaluation, exemption_effects, minimum_detectable_effect, power_curve

SMALL = {"scale": 0.01, "years": 1.0, "capacity.unlimited": True}


@settings(max_examples=100, deadline=None)
@given(cap=st.sampled_from([0.1, 0.25, 0.5]),
       ops=st.lists(st.tuples(st.sampled_from(["enter", "leave", "expire"]), st.booleans(), st.integers(0, 60)),
                    max_size=200))
def test_pool_share_never_exceeds_the_cap(cap, ops):
    pool = ExemptionPool(cap)
    key, now = 0, 0.0
    for op, wants, k in ops:
        if op == "enter":
            key += 1
            pool.enter(key, now + 30.0, wants)
        elif op == "leave":
            pool.leave(k)
        else:
            now += 7.0
            pool.expire(now)
        assert pool.n_exempt == sum(pool.members.values())
        if pool.members:
            assert pool.n_exempt <= cap * len(pool.members) + 1e-9
    assert pool.max_share <= cap + 1e-9


ONE_POOL = {"municipality": "Aarhus", "scale": 0.01, "years": 1.0, "capacity.unlimited": True}
"""The national sample of scale 0.01, all in one municipality and so in one pool: spread over 98
pools, the same sample gives pools of a handful of members, where the cap's integer floor (no
exemption until 4 members) keeps the share near 0.12, not 0.25."""


def test_the_cap_holds_over_a_run_and_exemptions_are_lifted_to_keep_it():
    res = sim.run(sim.load_params(overrides=ONE_POOL | {"exemption.share": 0.25}), replications=2, seed=3, workers=1)
    assert (res.kpi("exempt_share_max") <= 0.25 + 1e-12).all()
    assert (res.kpi("exempt_share") > 0.15).all()
    beyond = sim.run(sim.load_params(overrides=ONE_POOL | {"exemption.share": 0.4, "exemption.beyond_law": True}),
                     replications=1, seed=3, workers=1)
    assert beyond.kpi("exempt_share_max").iloc[0] <= 0.4 + 1e-12
    assert beyond.kpi("exempt_share").iloc[0] > 0.3


def test_with_share_zero_the_policies_give_identical_results():
    runs = [sim.run(sim.load_params(overrides=SMALL | {"exemption.share": 0.0, "exemption.policy": policy}),
                    replications=1, seed=5, workers=1).kpis for policy in ("random", "targeted", "none")]
    pd.testing.assert_frame_equal(runs[0], runs[1])
    pd.testing.assert_frame_equal(runs[0], runs[2])


def test_perfect_judgement_costs_fewer_benefit_weeks_per_hour_saved_than_random():
    """Same seeds for no exemption, random and targeted (common random numbers): per replication,
    the extra benefit weeks per caseworker hour saved is lower when the municipality exempts
    exactly those who need the talks least; the paired difference's 95 % interval is below 0."""
    over = {"scale": 0.02, "years": 1.5, "capacity.unlimited": True, "exemption.judgement": 1.0}
    runs = {policy: sim.run(sim.load_params(overrides=over | {"exemption.share": share, "exemption.policy": policy}),
                            replications=6, seed=2, workers=None)
            for policy, share in (("none", 0.0), ("random", 0.25), ("targeted", 0.25))}

    def weeks_per_hour(policy: str) -> np.ndarray:
        extra = runs[policy].kpi("benefit_weeks_per_year") - runs["none"].kpi("benefit_weeks_per_year")
        saved = runs["none"].kpi("caseworker_hours_per_year") - runs[policy].kpi("caseworker_hours_per_year")
        assert (saved > 0).all()
        return (extra / saved).to_numpy()

    diff = weeks_per_hour("targeted") - weeks_per_hour("random")
    high = diff.mean() + stats.t.ppf(0.975, len(diff) - 1) * diff.std(ddof=1) / np.sqrt(len(diff))
    assert high < 0.0, diff


def test_exemption_effects_table_has_every_measure():
    p = sim.load_params(overrides=SMALL)
    table = exemption_effects(p, shares=(0.0, 0.25), policies=("random",), replications=2, seed=1)
    zero = table[table.share == 0.0].set_index("measure")
    assert zero.loc["caseworker_hours_saved", "mean"] == 0.0  # the same run: nothing saved
    measures = set(table.measure)
    assert {"caseworker_hours_saved", "fte_saved", "extra_benefit_weeks", "extra_benefit_dkk", "net_saving_dkk",
            "exit_work_6m_change_pp"} <= measures


def _trial(choice: dict[str, float], free_choice_share: float, outside: str = "akasse") -> dict:
    over = {"scale": 0.01, "years": 1.0, "trials.free_choice_share": free_choice_share,
            "trials.participation": 1.0, "trials.outside_provider": outside}
    over |= {f"trials.choice.{k}": v for k, v in choice.items()}
    return over


def test_free_choice_of_the_municipality_equals_the_municipality_running_the_first_four_months():
    a = sim.run(sim.load_params(overrides=_trial({"municipality": 1.0, "akasse": 0.0, "other": 0.0}, 1.0)),
                replications=2, seed=7, workers=1).kpis
    b = sim.run(sim.load_params(overrides=_trial({"municipality": 1.0, "akasse": 0.0, "other": 0.0}, 0.0,
                                                 outside="municipality")), replications=2, seed=7, workers=1).kpis
    a = a[~a.kpi.str.startswith("trial_")].reset_index(drop=True)
    b = b[~b.kpi.str.startswith("trial_")].reset_index(drop=True)
    pd.testing.assert_frame_equal(a, b)
    # and it differs from the a-kasse running them (the comparison can fail)
    c = sim.run(sim.load_params(overrides=_trial({"municipality": 1.0, "akasse": 0.0, "other": 0.0}, 0.0)),
                replications=2, seed=7, workers=1).kpis
    c = c[~c.kpi.str.startswith("trial_")].reset_index(drop=True)
    assert not np.allclose(a.value, c.value)


def test_the_extended_akasse_trial_moves_the_handover_to_four_months():
    from conftest import only_group, spells
    p = sim.load_params(overrides=only_group("dagpenge", 200.0, "reform_2027", years=1.0,
                                             **{"groups.dagpenge.on_request_talks_per_month": 0.0,
                                                "exemption.share": 0.0, "trials.free_choice_share": 0.0}))
    df, model = spells(p)
    df = df[df.new_entry & (df.start <= model.horizon - 182.0)]
    assert len(df) > 50 and (df.trial_arm == "extended").all()
    for r in df.itertuples():
        assert all(prov == "akasse" for d, prov in r.talks if d < 122.0)
        assert all(prov == "municipality" for d, prov in r.talks if 122.0 <= d <= 182.0)
        assert sum(1 for d, _ in r.talks if d <= 182.0) == 4


def test_national_trial_participants_near_25000_over_three_years():
    p = sim.load_params(overrides={"scale": 0.1, "years": 3.0})
    res = sim.run(p, replications=1, seed=1, workers=1)
    participants = res.kpi("trial_free_choice_entrants_per_year").iloc[0] * 3.0
    expected = p.rule_sets["reform_2027"].trials.participants_total * p.scenario.scale
    # Poisson sampling noise of the simulated count: within 3 standard deviations
    assert abs(participants - expected) <= 3.0 * np.sqrt(expected), (participants, expected)


def test_evaluation_without_effects_or_selection_is_centred_on_zero():
    over = _trial({"municipality": 0.4, "akasse": 0.4, "other": 0.2}, 1.0)
    over |= {"scale": 0.03, "years": 1.0, "trials.selection": 0.0, "capacity.unlimited": True}
    p = sim.load_params(overrides=over)
    table = evaluation(p, provider="akasse", replications=4, seed=3).set_index("estimate")
    # no provider effect and no queues: the forced assignments give the same outcomes exactly
    assert table.loc["truth", "mean_pp"] == 0.0
    for name in ("naive", "adjusted"):
        assert table.loc[name, "ci_low_pp"] <= 0.0 <= table.loc[name, "ci_high_pp"], table


def test_selection_biases_the_naive_comparison_and_adjustment_reduces_it():
    """Citizens with better job chances choose the a-kasse (selection 0.8): the naive difference is
    biased upwards. The linear adjustment for the job-chance score removes most of that bias but not
    all of it: the 6-month exit probability is not linear in the score (measured over seeds 3-8, a
    residual of about +0.5 pp on average), so the test claims a large reduction, not zero bias."""
    over = _trial({"municipality": 0.5, "akasse": 0.5, "other": 0.0}, 1.0)
    over |= {"scale": 0.03, "years": 1.0, "trials.selection": 0.8, "capacity.unlimited": True}
    table = evaluation(sim.load_params(overrides=over), provider="akasse", replications=4, seed=3)
    t = table.set_index("estimate")
    assert t.loc["naive", "ci_low_pp"] > t.loc["truth", "ci_high_pp"]  # better job chances chose the a-kasse
    naive_bias = t.loc["naive", "mean_pp"] - t.loc["truth", "mean_pp"]
    adjusted_bias = t.loc["adjusted", "mean_pp"] - t.loc["truth", "mean_pp"]
    assert abs(adjusted_bias) < 0.5 * naive_bias, t


def test_power_grows_with_the_effect_and_matches_the_normal_approximation():
    rng = np.random.default_rng(0)
    n = 20000
    d = TrialData(rng.integers(0, 2, n), rng.normal(size=n), rng.random(n) < 0.6, ["municipality", "akasse"])
    curve = power_curve(d, trial_size=4000, effects_pp=(0.0, 2.0, 4.0, 6.0), simulations=300, seed=1)
    assert curve.power.is_monotonic_increasing
    assert curve.power.iloc[0] < 0.1  # the size of the test when there is no effect
    # analytic power of a two-sample comparison of proportions, 2,000 per arm
    se = np.sqrt(2 * 0.6 * 0.4 / 2000)
    analytic = stats.norm.sf(stats.norm.ppf(0.975) - 0.04 / se)
    assert abs(curve.set_index("effect_pp").loc[4.0, "power"] - analytic) < 0.1
    assert minimum_detectable_effect(curve) in (4.0, 6.0)

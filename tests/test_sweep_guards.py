"""Statistical guards of sweeps (issue 13, item 3): each sensitivity method's floor on the number of
points, intervals that noise cannot fake, the split of a sweep's spread into replication noise and
the design's effect, the diagnosis a sweep prints, and no compliance verdict on one value.

Expected values come from analytic results (a linear response has known effects, elementary
effects and standardized coefficients), hand-computed analyses of variance, or frequencies over
many fixed-seed draws with binomial tolerances."""

from __future__ import annotations

import math
import warnings

import numpy as np
import pandas as pd
import pytest
from scipy.stats import qmc

from sim.metrics.compliance import assess
from sim.studies.sensitivity import SensitivityWarning, analyse, index_intervals, rbd_harmonics, sample
from sim.studies.sweep import FunctionModel, diagnose, parse_spec, run_sweep, sensitivity_indices, split_variance
from sim.studies.sweep.noise import replications_for


def lhs(n: int, bounds: dict[str, tuple[float, float]], seed: int = 1) -> np.ndarray:
    u = qmc.LatinHypercube(d=len(bounds), seed=seed).random(n)
    lo = np.array([b[0] for b in bounds.values()])
    hi = np.array([b[1] for b in bounds.values()])
    return lo + u * (hi - lo)


# ------------------------------------------------------------------ floors on the number of points


@pytest.mark.parametrize("n, m", [(10, 0), (25, 0), (64, 0), (65, 4), (100, 4), (101, 5), (400, 9), (401, 10),
                                  (5000, 10)])
def test_rbd_fast_harmonics_follow_n_greater_than_4m_squared(n, m):
    # hand: the largest M <= 10 with n > 4 M², none below M = 4 (n <= 64)
    assert rbd_harmonics(n) == m


@pytest.mark.parametrize("n", [10, 20, 25, 64])
def test_rbd_fast_on_too_few_points_is_nan_with_a_warning(n):
    bounds = {"a": (0.0, 1.0), "b": (0.0, 1.0), "c": (0.0, 1.0)}
    X = lhs(n, bounds)
    Y = np.random.default_rng(3).normal(size=n)  # pure noise: the old analysis said S1 = 1.000 for all three
    with pytest.warns(SensitivityWarning, match="at least 65 points"):
        df = analyse("lhs", bounds, X, Y)
    assert df[["S1", "S1_conf", "effect", "effect_conf"]].isna().all().all()
    assert list(df["factor"]) == ["a", "b", "c"]


def test_rbd_fast_and_linear_effects_of_a_linear_response():
    # y = 3 x1 on x1 in [0, 2], x2 in [0, 1]: over its range x1 moves y by exactly 6, x2 by 0;
    # x1 explains all the variance (S1 = 1, SRC = 1), x2 none.
    bounds = {"x1": (0.0, 2.0), "x2": (0.0, 1.0)}
    X = lhs(200, bounds, seed=4)
    with warnings.catch_warnings():
        warnings.simplefilter("error", SensitivityWarning)
        df = analyse("lhs", bounds, X, 3 * X[:, 0]).set_index("factor")
    assert df.loc["x1", "effect"] == pytest.approx(6.0, abs=1e-9)
    assert df.loc["x2", "effect"] == pytest.approx(0.0, abs=1e-9)
    assert df.loc["x1", "src"] == pytest.approx(1.0, abs=1e-9)
    assert df.loc["x1", "S1"] > 0.9 and abs(df.loc["x2", "S1"]) < 0.1


def test_morris_floor_and_the_elementary_effects_of_a_linear_response():
    bounds = {"x1": (0.0, 1.0), "x2": (0.0, 1.0)}
    X9 = sample("morris", bounds, 9, seed=1)
    with pytest.warns(SensitivityWarning, match="at least 10 trajectories"):
        assert analyse("morris", bounds, X9, 2 * X9[:, 0])[["mu", "mu_star"]].isna().all().all()
    X = sample("morris", bounds, 10, seed=1)
    df = analyse("morris", bounds, X, 2 * X[:, 0]).set_index("factor")
    # every elementary effect of x1 is the slope 2 (on the unit range), of x2 zero: no spread
    assert df.loc["x1", "mu"] == pytest.approx(2.0) and df.loc["x1", "mu_conf"] == pytest.approx(0.0, abs=1e-9)
    assert df.loc["x2", "mu"] == pytest.approx(0.0, abs=1e-12) and df.loc["x2", "mu_star"] == pytest.approx(0.0)


def test_sobol_floor():
    bounds = {"x1": (0.0, 1.0), "x2": (0.0, 1.0)}
    X32 = sample("sobol", bounds, 32, seed=1)
    with pytest.warns(SensitivityWarning, match="N >= 64"):
        assert analyse("sobol", bounds, X32, X32[:, 0])[["S1", "ST"]].isna().all().all()
    X64 = sample("sobol", bounds, 64, seed=1)
    df = analyse("sobol", bounds, X64, X64[:, 0]).set_index("factor")
    # y = x1: x1 carries all the variance, x2 none (analytic S1 = ST = 1 and 0)
    assert df.loc["x1", "ST"] == pytest.approx(1.0, abs=0.1) and abs(df.loc["x2", "ST"]) < 0.05


def test_a_constant_output_has_no_indices():
    bounds = {"x1": (0.0, 1.0)}
    X = lhs(80, bounds)
    with pytest.warns(SensitivityWarning, match="same at every design point"):
        assert analyse("lhs", bounds, X, np.full(80, 4.0))["S1"].isna().all()


def test_morris_mu_star_is_fooled_by_noise_but_the_interval_of_mu_is_not():
    # Pure noise: μ* > 0 always, and SALib's interval of μ* excludes zero; μ has mean zero, so its
    # 95 % interval should exclude zero in about 5 % of cases. 40 draws × 3 factors = 120 intervals:
    # binomial sd of the fraction ≈ 0.02, so 0.12 is a tolerance of 3.5 sd.
    bounds = {"a": (0.0, 1.0), "b": (0.0, 1.0), "c": (0.0, 1.0)}
    X = sample("morris", bounds, 30, seed=2)
    mu_star_clear, mu_clear = [], []
    for draw in range(40):
        Y = np.random.default_rng(100 + draw).normal(size=len(X))
        df = analyse("morris", bounds, X, Y)
        mu_star_clear += list(df["mu_star"] - df["mu_star_conf"] > 0)
        mu_clear += list(index_intervals(df)["clear"])
    assert np.mean(mu_star_clear) > 0.9
    assert np.mean(mu_clear) <= 0.12


def test_index_intervals_take_the_first_interval_that_excludes_zero():
    df = pd.DataFrame({"factor": ["a", "b", "c"], "method": "rbd_fast", "S1": [0.5, 0.3, 0.01],
                       "S1_conf": [0.6, 0.1, 0.05], "effect": [1.0, 0.2, -0.1], "effect_conf": [0.5, 0.5, 0.5]})
    iv = index_intervals(df).set_index("factor")
    assert list(index_intervals(df)["factor"]) == ["a", "b", "c"]  # ranked by S1
    assert iv.loc["a", "index"] == "effect" and (iv.loc["a", "low"], iv.loc["a", "high"]) == (0.5, 1.5)
    assert iv.loc["b", "index"] == "S1" and iv.loc["b", "low"] == pytest.approx(0.2) and iv.loc["b", "clear"]
    assert not iv.loc["c", "clear"]


# ------------------------------------------------------------------ noise against design


def test_variance_split_by_hand():
    # points 0..2 with replications [1, 3], [4, 6], [7, 9]: point means 2, 5, 8 (grand mean 5).
    # MSW = (1+1+1+1+1+1) / (6 - 3) = 2; variance of the means = (9 + 0 + 9) / 2 = 9;
    # noise in the means = 2 × mean(1/2) = 1, so the design's variance is 8 and noise is
    # 2 / (2 + 8) = 0.2 of one task's and 1/9 of the means'. MSB = 2 × 18 / 2 = 18, F = 9,
    # and for F(2, 3) the tail is (1 + 2F/3)^(-3/2) = 7^(-1.5).
    v = pd.DataFrame({"point": [0, 0, 1, 1, 2, 2], "value": [1.0, 3, 4, 6, 7, 9]})
    s = split_variance(v)
    assert (s.points, s.replications, s.mean) == (3, 2.0, 5.0)
    assert s.var_noise == pytest.approx(2.0) and s.var_design == pytest.approx(8.0)
    assert s.noise_share == pytest.approx(0.2) and s.noise_share_of_means == pytest.approx(1 / 9)
    assert s.F == pytest.approx(9.0) and s.p_value == pytest.approx(7 ** -1.5)
    # noise at a fifth of the means' variance: σ²ₑ (1 - 0.2) / (0.2 σ²_design) = 2 × 0.8 / 1.6 = 1 replication
    assert replications_for(s) == pytest.approx(1.0)


def test_variance_split_without_replications_or_noise():
    one = split_variance(pd.DataFrame({"point": [0, 1, 2], "value": [1.0, 2.0, 4.0]}))
    assert math.isnan(one.var_noise) and math.isnan(one.noise_share_of_means)
    det = split_variance(pd.DataFrame({"point": [0, 1, 2], "value": [1.0, 2.0, 4.0]}), deterministic=True)
    assert det.var_noise == 0.0 and det.noise_share_of_means == 0.0
    assert det.var_design == pytest.approx(7 / 3)  # the variance of 1, 2, 4


def _noisy_line(slope: float, sd: float):
    """y = slope · x + normal noise, the noise drawn from (seed, replication, point)."""
    def model(values, replication, seed):
        key = int(round(values["x"] * 1e9)), int(round(values["z"] * 1e9))
        noise = np.random.default_rng([seed, replication, *key]).normal(0.0, sd)
        return {"y": slope * values["x"] + noise}
    return model


def _sweep(tmp_path, name, model, replications=2, points=80):
    spec = parse_spec({"name": name, "design": "lhs", "points": points, "replications": replications, "seed": 7,
                       "kpis": ["y"], "factors": {"x": [0.0, 1.0], "z": [0.0, 1.0]}})
    res = run_sweep(spec, tmp_path / name, model=FunctionModel(model))
    indices, notes = sensitivity_indices(res)
    return diagnose(res, indices, notes).set_index("kpi").loc["y"]


def test_diagnosis_of_a_clear_effect(tmp_path):
    d = _sweep(tmp_path, "clear", _noisy_line(5.0, 0.1))
    # var_design ≈ 25/12, noise of a mean 0.01/2: noise is a fraction of a percent of the spread
    assert d["verdict"] == "informative" and d["main_factor"] == "x" and d["main_index"] == "effect"
    assert d["main_low"] > 4.5 and d["main_high"] < 5.5 and d["noise_share_of_means"] < 0.01
    assert d["advice"] == ""


def test_diagnosis_of_pure_noise_says_so_and_suggests_replications(tmp_path):
    d = _sweep(tmp_path, "noise", _noisy_line(0.0, 1.0))
    # the share is 1/F, and F(79, 80) > 2 has probability about 0.1 %
    assert "noise dominates" in d["verdict"] and d["noise_share_of_means"] > 0.5
    assert "Raise the replications (now 2" in d["advice"]


def test_diagnosis_with_one_replication_says_noise_was_not_measured(tmp_path):
    d = _sweep(tmp_path, "one", _noisy_line(5.0, 0.1), replications=1)
    assert math.isnan(d["noise_share_of_means"]) and "replications >= 2" in d["advice"]


def test_diagnosis_of_too_few_points_gives_the_floor_as_the_reason(tmp_path):
    d = _sweep(tmp_path, "few", _noisy_line(5.0, 0.1), points=20)
    assert d["verdict"] == "no indices" and "at least 65 points" in d["advice"]


# ------------------------------------------------------------------ no verdict on one value


def test_a_legal_minimum_is_uncertain_on_fewer_than_two_replications():
    thresholds = pd.DataFrame({"kpi": ["k"] * 4, "group": ["a", "b", "c", "d"], "threshold": 0.75,
                               "source": "law", "rule_set": "r"})
    summary = pd.DataFrame({"kpi": "k", "group": ["a", "b", "c", "d"], "provider": "all",
                            "mean": [0.5, 0.9, 0.5, 0.9], "ci_low": [np.nan, np.nan, 0.45, 0.85],
                            "ci_high": [np.nan, np.nan, 0.55, 0.95], "n": [1, 1, 2, 2]})
    status = assess(summary, thresholds).set_index("group")["status"]
    assert status.to_dict() == {"a": "uncertain", "b": "uncertain", "c": "not met", "d": "met"}


@pytest.mark.parametrize("name", ["effects_lhs", "effects_morris", "ishigami_sobol"])
def test_the_shipped_sweeps_meet_their_methods_floor_and_measure_noise(name):
    from sim.studies.sensitivity import too_few_points
    from sim.studies.sweep import load_sweep

    spec = load_sweep(name)
    assert too_few_points(spec.design, spec.points) is None
    # a stochastic model needs replications to tell noise from effects; the Ishigami function has none
    assert spec.replications >= 2 or spec.model.endswith(":ishigami")


def test_points_draw_independent_random_numbers():
    from sim.studies.sweep.models import point_seed

    seeds = [point_seed(1, p) for p in range(1000)]
    assert len(set(seeds)) == 1000 and point_seed(1, 7) == seeds[7] and point_seed(2, 7) != seeds[7]


def _seed_dependent_slope(values, replication, seed):
    """y = (1 + b) x1 with b ~ N(0, 1) drawn from the task's seeds: the mean slope is 1, but each
    random-number stream has its own. If all points shared a replication's stream, every Morris
    elementary effect would be that stream's slope: μ = 1 + b with no spread, an interval of width 0."""
    b = np.random.default_rng([seed, replication]).normal()
    return {"y": (1.0 + b) * values["x1"] + 0.0 * values["x2"]}


def test_morris_intervals_cover_the_mean_effect_when_noise_depends_on_the_seed(tmp_path):
    # 20 sweeps with different seeds; a 95 % interval should miss in about one. P(more than 4
    # misses) = 0.3 % for a valid interval, and near 1 for the zero-width one of shared streams.
    covered = 0
    for s in range(20):
        spec = parse_spec({"design": "morris", "points": 10, "seed": s, "kpis": ["y"],
                           "factors": {"x1": [0.0, 1.0], "x2": [0.0, 1.0]}})
        df = run_sweep(spec, tmp_path / f"m{s}", model=FunctionModel(_seed_dependent_slope)).sensitivity("y")
        x1 = df.set_index("factor").loc["x1"]
        covered += abs(x1["mu"] - 1.0) <= x1["mu_conf"]
    assert covered >= 16

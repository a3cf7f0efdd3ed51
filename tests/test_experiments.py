"""Replications with confidence, the warm-up check, and paired comparisons with common random numbers."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from conftest import only_group
from scipy import stats

import sim
from sim.experiment.runner import AutoRule, relative_half_width, replicate_until_precise
from sim.metrics.warmup import mser, warmup_check
from sim.studies.compare import compare, paired_differences

SMALL = {"scale": 0.005, "years": 0.5}


def normal_kpi(mean: float, sd: float):
    """A KPI with known variance: replication r draws N(mean, sd²) from its own seed."""
    def evaluate(reps: list[int]) -> pd.DataFrame:
        vals = [np.random.default_rng([7, r]).normal(mean, sd) for r in reps]
        return pd.DataFrame({"replication": reps, "kpi": "x", "group": "all", "provider": "all", "value": vals})
    return evaluate


def test_auto_replications_reach_the_precision_the_known_variance_predicts():
    mean, sd, precision = 100.0, 20.0, 0.05
    rule = AutoRule(kpis=("x",), precision=precision, budget=500)
    kpis, decision = replicate_until_precise(normal_kpi(mean, sd), rule, batch=3)
    assert decision["stopped_because"] == "precision"
    n = decision["recommended"]
    # the number the known variance calls for: t(n-1) * sd / sqrt(n) <= precision * mean
    theory = next(m for m in range(2, 1000) if stats.t.ppf(0.975, m - 1) * sd / np.sqrt(m) <= precision * mean)
    assert 0.5 * theory <= n <= 1.6 * theory, (n, theory)
    assert relative_half_width(kpis["value"]) <= precision
    assert decision["replications"] == n + 5 == kpis["replication"].nunique()
    # the decision does not depend on the batch size (the number of workers)
    _, d1 = replicate_until_precise(normal_kpi(mean, sd), rule, batch=1)
    assert d1["recommended"] == n


def test_auto_replications_stop_at_the_budget_and_say_so():
    rule = AutoRule(kpis=("x",), precision=0.001, budget=8)
    kpis, decision = replicate_until_precise(normal_kpi(100.0, 20.0), rule, batch=2)
    assert decision["stopped_because"] == "budget" and decision["replications"] == 8
    assert "budget" in decision["reason"]


def test_auto_replications_on_poisson_arrivals():
    # arrivals only, nobody leaves: persons_arrived is Poisson with mean = inflow × years, so its
    # variance is known and the rule must stop with the precision met
    p = sim.load_params(overrides=only_group("jobparat", 400.0, "reform_2027", years=0.25))
    res = sim.run(p, replications="auto", seed=3, kpis=["persons_arrived"], precision=0.1, max_replications=40)
    rule = res.provenance["replication_rule"]
    assert rule["stopped_because"] == "precision", rule
    assert rule["relative_half_width"]["persons_arrived"] <= 0.1
    x = res.kpi("persons_arrived")
    assert len(x) == rule["replications"] == res.provenance["replications"]
    assert abs(x.mean() - 100.0) < 4 * np.sqrt(100.0 / len(x))
    json.dumps(res.provenance, default=str)  # run.json can hold it


def test_auto_rejects_unknown_kpis_and_bad_precision():
    p = sim.load_params(overrides=SMALL)
    with pytest.raises(sim.ParamError):
        sim.run(p, replications="auto", kpis=["no_such_kpi"], max_replications=3)
    with pytest.raises(sim.ParamError):
        sim.run(p, replications="auto", precision=2.0)
    with pytest.raises(sim.ParamError):
        sim.run(p, replications="many")


def test_mser_finds_an_initial_transient_and_none_in_a_stationary_series():
    rng = np.random.default_rng(1)
    t = np.arange(200)
    transient = 50 * np.exp(-t / 8.0) + rng.normal(0, 1, t.size)
    assert 15 <= mser(transient)["truncation"] <= 60
    assert mser(rng.normal(0, 1, 200))["truncation"] <= 10


def test_runs_report_the_warmup_check(small_run):
    w = small_run.provenance["warmup"]
    assert w["method"].startswith("MSER-5") and set(w["measures"]) == {"stock", "caseworker_hours"}
    assert "verdict" in w and isinstance(w["needed"], bool)
    # the stationary start of the stock: no long warm-up on the stock series
    assert w["measures"]["stock"]["truncation_week"] <= 26
    empty = warmup_check(small_run.weekly.iloc[0:0])
    assert empty["needed"] is False


def test_paired_differences_have_smaller_variance_than_independent_seeds():
    a = sim.load_params(overrides=SMALL)
    b = sim.load_params(overrides={**SMALL, "exemption.share": 0.0})
    crn = compare(a, b, replications=5, seed=1)
    indep = compare(a, b, replications=5, seed=1, seed_b=1001)
    for kpi in ("stock_mean", "caseworker_hours_per_year", "fte_needed"):
        d_crn = crn.differences.set_index(["kpi", "group", "provider"]).loc[(kpi, "all", "all")]
        d_ind = indep.differences.set_index(["kpi", "group", "provider"]).loc[(kpi, "all", "all")]
        assert d_crn["sd_diff"] < d_ind["sd_diff"], kpi
        assert d_crn["var_reduction"] > 0.5, kpi
    assert crn.meta["common_random_numbers"] and not indep.meta["common_random_numbers"]


def test_paired_difference_interval_is_the_paired_t_interval():
    rows = []
    for r, (x, y) in enumerate([(1.0, 2.0), (2.0, 3.5), (3.0, 3.9)]):
        rows.append(("a", r, x))
        rows.append(("b", r, y))
    df = pd.DataFrame(rows, columns=["s", "replication", "value"]).assign(kpi="k", group="all", provider="all")
    d = paired_differences(df[df.s == "a"], df[df.s == "b"]).iloc[0]
    diffs = np.array([1.0, 1.5, 0.9])
    half = stats.t.ppf(0.975, 2) * diffs.std(ddof=1) / np.sqrt(3)
    assert d["diff"] == pytest.approx(diffs.mean())
    assert d["ci_low"] == pytest.approx(diffs.mean() - half) and d["ci_high"] == pytest.approx(diffs.mean() + half)


def test_compare_command_writes_table_chart_and_json(tmp_path, capsys):
    from sim.cli.main import main

    out = tmp_path / "cmp"
    code = main(["compare", "national_default", "pre_reform", "--set", "scale=0.003", "--set", "years=0.25",
                 "--replications", "2", "--workers", "1", "--out", str(out)])
    assert code == 0
    assert (out / "differences.csv").exists() and (out / "differences.png").exists()
    assert (out / "a" / "run.json").exists() and (out / "b" / "kpis.csv").exists()
    meta = json.loads((out / "comparison.json").read_text())
    assert meta["common_random_numbers"] and "variance_reduction_median" in meta
    assert "B - A" in capsys.readouterr().out
    assert main(["compare", "national_default", "pre_reform", "--replications", "1"]) == 2

"""Results per municipality (issue 12, item 5): by_municipality.csv and the municipality chart.

The expected values are the national KPIs of the same run (a second tally: the recorder's), which
the rows per municipality must add up to, and the municipality table's trial flags.
"""

from __future__ import annotations

import pandas as pd
import pytest

import sim
from sim.experiment.runner import run
from sim.inputs.municipalities import municipalities
from sim.metrics.by_municipality import BY_MUNICIPALITY_FILE, COLUMNS
from sim.output.labels import has_label, label
from sim.output.municipality_chart import chart_municipalities, municipality_points
from sim.output.run_folder import load_run

FREE = {m.name for m in municipalities() if m.free_choice}


@pytest.fixture(scope="module")
def result(tmp_path_factory):
    params = sim.load_params(overrides={"scale": 0.02, "years": 1.0})
    res = run(params, replications=2, seed=4, workers=1, by="municipality")
    out = tmp_path_factory.mktemp("run") / "r"
    res.save(out)
    return res, out


def test_the_file_has_the_columns_and_every_municipality(result):
    res, out = result
    df = pd.read_csv(out / BY_MUNICIPALITY_FILE)
    assert list(df.columns) == COLUMNS
    assert df.municipality.nunique() == 98 and set(df.replication) == {0, 1}


def test_municipalities_sum_to_the_national_kpis(result):
    """FTE by provider, mean stock by group and free-choice participants add up to the national KPIs."""
    res, _ = result
    b, k = res.by_municipality, res.kpis
    for (rep, provider), value in b[b.kpi == "fte_needed"].groupby(["replication", "provider"]).value.sum().items():
        assert value == pytest.approx(res.kpi("fte_needed", "all", provider)[rep], rel=1e-9)
    for (rep, group), value in b[b.kpi == "stock_mean"].groupby(["replication", "group"]).value.sum().items():
        assert value == pytest.approx(res.kpi("stock_mean", group)[rep], rel=1e-9), group
    tp = b[(b.kpi == "trial_participants_per_year") & (b.provider == "all")].groupby("replication").value.sum()
    national = k[(k.kpi == "trial_free_choice_entrants_per_year") & (k.provider == "all")].set_index("replication")
    for rep, value in tp.items():
        assert value == pytest.approx(national.value[rep], rel=1e-9)
    inh = b[b.kpi == "inhabitants"].groupby("replication").value.sum()
    sc = sim.load_params(overrides={"scale": 0.02}).scenario
    assert inh.iloc[0] == pytest.approx(sc.money.population * sc.scale, rel=1e-9)


def test_trial_participants_only_in_the_19_and_by_provider(result):
    res, _ = result
    b = res.by_municipality
    tp = b[(b.kpi == "trial_participants_per_year") & (b.group == "dagpenge")]
    with_any = set(tp[(tp.provider == "all") & (tp.value > 0)].municipality)
    assert with_any <= FREE and len(with_any) >= 10
    assert set(tp.provider) == {"municipality", "akasse", "other", "all"}
    ext = b[(b.kpi == "extended_course_entrants_per_year") & (b.provider == "all") & (b.value > 0)]
    assert not set(ext.municipality) & FREE


def test_the_municipality_chart_marks_the_19(result):
    _, out = result
    points = municipality_points(out)
    assert len(points) == 98 and points["mean"].is_monotonic_increasing
    assert set(points.index[points.free_choice]) == FREE
    for lang in ("en", "da"):
        fig = chart_municipalities([load_run(out)], lang)
        assert fig is not None
    for key in ("title.municipalities", "axis.fte_per_1000", "legend.free_choice", "legend.extended_akasse"):
        assert has_label(key) and label(key, "da") != label(key, "en")


def test_a_run_without_the_option_writes_no_file_and_no_chart(tmp_path):
    res = run(sim.load_params(overrides={"scale": 0.005, "years": 0.25}), replications=1, seed=1, workers=1)
    assert res.by_municipality is None
    res.save(tmp_path / "r")
    assert not (tmp_path / "r" / BY_MUNICIPALITY_FILE).exists()
    assert chart_municipalities([load_run(tmp_path / "r")], "en") is None


def test_an_unknown_by_is_refused():
    with pytest.raises(sim.ParamError, match="--by"):
        run(sim.load_params(overrides={"scale": 0.005, "years": 0.25}), replications=1, by="region")

"""Counts for the real population (issue 15 item 3): summary.csv, the headline, the charts and the
report show counts for Denmark or the municipality, scaled up from the simulated sample; kpis.csv
keeps the sample's units and run.json states the scale and the factor.

Expected values come from hand arithmetic: the initial stock is drawn as round(stock × scale) per
group (so its population count is known exactly), the factor is 1 / scale for Denmark and the
municipality's population share / scale for a municipality, with the share from the population
table's documented national total. The statistical check compares two sample sizes with fixed
seeds: scaled up, their mean stocks must agree within the combined 95 % half-widths.
"""

from __future__ import annotations

import json
import math
from pathlib import Path

import pandas as pd
import pytest

import sim
from sim.experiment.population_scale import basis_from_params, is_count, to_population
from sim.metrics.kpis import TABLE, kpi_kind

YEARS = 0.5
REPS = 3
# params/municipalities.csv (FOLK1A, 1 January 2026): the national total 6,025,603 less Christiansø (92, no
# municipality) is the sum of the 98 rows (its header)
MUNICIPALITY_TOTAL = 6_025_603 - 92
ODENSE = 213_168


def _run(tmp: Path, scale: float, **extra) -> Path:
    params = sim.load_params(overrides={"scale": scale, "years": YEARS, **extra})
    out = tmp / f"run_{scale:g}_{'_'.join(extra)}"
    sim.run(params, replications=REPS, seed=11, workers=1).save(out)
    return out


@pytest.fixture(scope="module")
def runs(tmp_path_factory) -> dict[float, Path]:
    tmp = tmp_path_factory.mktemp("scale")
    return {0.01: _run(tmp, 0.01), 0.02: _run(tmp, 0.02)}


def _row(folder: Path, kpi: str, group: str = "all", provider: str = "all") -> pd.Series:
    s = pd.read_csv(folder / "summary.csv")
    return s[(s.kpi == kpi) & (s.group == group) & (s.provider == provider)].iloc[0]


def _sample_mean(folder: Path, kpi: str, group: str = "all", provider: str = "all") -> float:
    k = pd.read_csv(folder / "kpis.csv")
    return float(k[(k.kpi == kpi) & (k.group == group) & (k.provider == provider)]["value"].mean())


# ---------------------------------------------------------------- which KPIs are counts


def test_every_kpi_of_the_table_has_a_kind_and_the_obvious_ones_are_right() -> None:
    for section in TABLE:
        for k in section.rows:
            assert k.kind in ("count", "share", "weeks"), k.name
    counts = ["stock_mean", "inflow_per_year", "persons_start", "talks_held_per_year", "caseworker_hours_per_year",
              "fte_needed", "net_dkk_per_year", "benefit_dkk_per_year", "trial_free_choice_entrants_per_year"]
    shares = ["exit_work_or_education_6m", "first_talk_on_time", "exempt_share", "compliance_offer_6m",
              "overhead_share_of_fte", "public_support_share", "trial_extended_exit_work_6m", "exempt_share_max"]
    assert all(is_count(k) for k in counts)
    assert all(kpi_kind(k) == "share" for k in shares)
    assert kpi_kind("spell_weeks_mean") == "weeks" and kpi_kind("not_a_kpi") is None


def test_to_population_multiplies_counts_only() -> None:
    s = pd.DataFrame({"kpi": ["stock_mean", "first_talk_on_time", "spell_weeks_mean"], "group": "all",
                      "provider": "all", "mean": [10.0, 0.5, 20.0], "ci_low": [8.0, 0.4, 19.0],
                      "ci_high": [12.0, 0.6, 21.0], "n": 3})
    out = to_population(s, 50.0)
    assert out["mean"].tolist() == [500.0, 0.5, 20.0]
    assert out["ci_low"].tolist() == [400.0, 0.4, 19.0] and out["ci_high"].tolist() == [600.0, 0.6, 21.0]
    assert out["n"].tolist() == [3, 3, 3]


def test_the_basis_is_denmark_or_the_municipality() -> None:
    dk = basis_from_params({"scale": 0.02, "money": {"population": 5_960_000.0}})
    assert (dk.name, dk.factor) == ("Denmark", pytest.approx(50.0))
    share = ODENSE / MUNICIPALITY_TOTAL
    own = basis_from_params(sim.load_params(overrides={"municipality": "Odense"}).scenario.model_dump(mode="json"))
    assert own.name == "Odense" and own.share == pytest.approx(share, rel=1e-12) and own.factor == pytest.approx(1.0)
    thin = basis_from_params({"scale": 0.01, "municipality": "Odense"})
    assert thin.factor == pytest.approx(share / 0.01, rel=1e-12)


# ---------------------------------------------------------------- the run folder


def test_summary_counts_are_for_denmark_and_kpis_csv_is_the_sample(runs) -> None:
    for scale, folder in runs.items():
        meta = json.loads((folder / "run.json").read_text())
        assert meta["scale"] == scale
        assert meta["population"]["name"] == "Denmark" and meta["population"]["factor"] == pytest.approx(1 / scale)
        # the initial stock is round(stock × scale) per group: its count for Denmark is known by hand
        stocks = {g: v.stock for g, v in sim.load_params().scenario.groups.items()}
        sample = sum(round(v * scale) for v in stocks.values())
        assert _sample_mean(folder, "persons_start") == sample
        assert _row(folder, "persons_start")["mean"] == pytest.approx(sample / scale, rel=1e-12)
        assert sample / scale == pytest.approx(sum(stocks.values()), rel=2e-4)  # 244,700 in Denmark
        for kpi, provider in (("stock_mean", "all"), ("fte_needed", "municipality"), ("net_dkk_per_year", "all")):
            assert _row(folder, kpi, provider=provider)["mean"] == pytest.approx(
                _sample_mean(folder, kpi, provider=provider) / scale, rel=1e-9)


def test_shares_are_not_scaled(runs) -> None:
    folder = runs[0.02]
    for kpi in ("exit_work_or_education_6m", "first_talk_on_time", "exempt_share", "spell_weeks_mean"):
        assert _row(folder, kpi)["mean"] == pytest.approx(_sample_mean(folder, kpi), rel=1e-12), kpi
    comp = pd.read_csv(folder / "compliance.csv")
    assert comp["mean"].between(0, 1).all()


def test_two_sample_sizes_give_the_same_stock_for_denmark(runs) -> None:
    """0.01 and 0.02 of Denmark, scaled up: the mean stocks agree within their combined 95 % half-widths,
    and so do the shares (which are not scaled at all)."""
    for kpi in ("stock_mean", "inflow_per_year", "exit_work_or_education_6m"):
        a, b = _row(runs[0.01], kpi), _row(runs[0.02], kpi)
        ha, hb = (a.ci_high - a.ci_low) / 2, (b.ci_high - b.ci_low) / 2
        assert abs(a["mean"] - b["mean"]) <= math.hypot(ha, hb), (kpi, a["mean"], b["mean"], ha, hb)
    # a summary left at the sample's scale would differ by a factor of 2
    assert _row(runs[0.01], "stock_mean")["mean"] == pytest.approx(_row(runs[0.02], "stock_mean")["mean"], rel=0.05)


def test_a_municipality_sampled_thinly_is_scaled_up_to_the_municipality(tmp_path) -> None:
    folder = _run(tmp_path, 0.01, municipality="Odense")
    factor = ODENSE / MUNICIPALITY_TOTAL / 0.01
    meta = json.loads((folder / "run.json").read_text())
    assert meta["population"]["name"] == "Odense" and meta["population"]["factor"] == pytest.approx(factor, rel=1e-12)
    assert _row(folder, "stock_mean")["mean"] == pytest.approx(_sample_mean(folder, "stock_mean") * factor, rel=1e-9)


def test_headline_and_summary_agree(runs) -> None:
    from sim.output.headline import format_headline

    folder = runs[0.02]
    meta = json.loads((folder / "run.json").read_text())
    text = format_headline(pd.read_csv(folder / "summary.csv"), pd.read_csv(folder / "compliance.csv"), meta)
    stock = _row(folder, "stock_mean")
    line = next(ln for ln in text.splitlines() if ln.startswith("Caseload"))
    assert f"{stock['mean']:,.0f}" in line and f"{stock['ci_low']:,.0f}" in line and f"{stock['ci_high']:,.0f}" in line
    fte = _row(folder, "fte_needed", provider="municipality")
    line = next(ln for ln in text.splitlines() if ln.startswith("FTE needed, Municipality"))
    assert f"{fte['mean']:,.0f}" in line
    assert text.count("citizens at the start") == 1 and "×50" in text


def test_charts_draw_population_counts_and_say_so(runs) -> None:
    from sim.output.charts import build_figures, load_runs, slide_style

    folder = runs[0.02]
    with slide_style():
        figs = dict(build_figures(load_runs([folder]), "en"))
    ax = figs["caseload"].axes[0]
    assert "Denmark" in ax.get_ylabel() and "scale" not in ax.get_ylabel()
    # the weekly stock lines are the sample's weekly stock × 50: their sum is about the stock for Denmark
    top = sum(max(line.get_ydata()) for line in ax.get_lines())
    assert top > 0.9 * _row(folder, "stock_mean")["mean"]


def test_report_shows_population_counts_and_the_sample_once(runs) -> None:
    from sim.output.report import write_report

    folder = runs[0.02]
    html = write_report(folder, "en").read_text()
    stock = _row(folder, "stock_mean")
    assert f"{stock['mean']:,.0f}" in html
    assert html.count("citizens at the start") == 1 and "count: for Denmark" in html
    da = write_report(folder, "da").read_text()
    assert "Danmark" in da and da.count("borgere ved start") == 1

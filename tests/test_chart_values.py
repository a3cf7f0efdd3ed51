"""The charts draw the run's numbers: values read back from the figures against the run folder.

The other chart tests check files, provenance and language; these read what a slide reader sees
(bar heights, whisker ends, line points, band edges, which legend colour and tick label a mark has)
and compare it with summary.csv and weekly.parquet read here directly with csv/pandas, and with
intervals worked out by hand from a t table. They fail if a chart plots another provider's or
group's number, fails to scale a count up from the sample (scale SCALE) to the whole country, or
draws a different interval.
"""

from __future__ import annotations

import csv
import math
import statistics
from datetime import date, timedelta
from pathlib import Path

import matplotlib.dates as mdates
import numpy as np
import pandas as pd
import pytest
from matplotlib.colors import to_rgba
from matplotlib.container import ErrorbarContainer
from matplotlib.lines import Line2D

import sim
from sim.output.chart_series import mean_band
from sim.output.charts import build_figures, load_runs, slide_style

SCALE = 0.005
YEARS = 0.5
REPS = 3
T975 = {1: 12.706204736174707, 2: 4.302652729911275}  # Student-t 97.5 % quantiles by degrees of freedom (t table)
PROVIDER_LABELS = {"Municipality": "municipality", "A-kasse": "akasse", "All": "all"}


@pytest.fixture(scope="module")
def run_dir(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("run")
    params = sim.load_params(overrides={"scale": SCALE, "years": YEARS})
    sim.run(params, replications=REPS, seed=1, workers=1).save(out)
    return out


@pytest.fixture(scope="module")
def figures(run_dir: Path) -> dict:
    with slide_style():
        return dict(build_figures(load_runs([run_dir]), "en"))


@pytest.fixture(scope="module")
def summary(run_dir: Path) -> dict[tuple[str, str, str], dict[str, float]]:
    """summary.csv as {(kpi, group, provider): {mean, ci_low, ci_high}}, read without the package
    (an empty cell is a quantity with no value, e.g. the spell length of a programme nobody entered)."""
    with (run_dir / "summary.csv").open() as f:
        return {(r["kpi"], r["group"], r["provider"]): {k: float(r[k] or "nan") for k in ("mean", "ci_low", "ci_high")}
                for r in csv.DictReader(f)}


def _axis_by_title(fig, title: str):
    return next(ax for ax in fig.axes if ax.get_title(loc="left") == title)


def _legend_colors(ax) -> dict[tuple, str]:
    """Legend entry colour (RGB) -> its text, as a reader matches marks to names."""
    leg = ax.get_legend() or ax.figure.legends[0]
    return {_rgb(h.get_color() if isinstance(h, Line2D) else h.get_facecolor()): t.get_text()
            for h, t in zip(leg.legend_handles, leg.get_texts(), strict=True)}


def _rgb(color) -> tuple:
    return tuple(np.round(to_rgba(color)[:3], 4))


def _bars(ax) -> list[dict]:
    """Each (vertical) bar with its centre, height, colour and the whisker drawn through that centre."""
    whiskers = {}
    for c in ax.containers:
        if isinstance(c, ErrorbarContainer):
            seg = c.lines[2][0].get_segments()[0]
            whiskers[round(float(seg[0, 0]), 6)] = (float(seg[:, 1].min()), float(seg[:, 1].max()))
    out = []
    for p in ax.patches:
        centre = p.get_x() + p.get_width() / 2
        out.append({"centre": centre, "value": p.get_height(),
                    "color": _rgb(p.get_facecolor()), "whisker": whiskers[round(centre, 6)]})
    return out


def _tick_at(ax, x: float) -> str:
    """The tick label nearest to x: the category a bar stands over."""
    ticks = ax.get_xticks()
    return ax.get_xticklabels()[int(np.argmin(np.abs(ticks - x)))].get_text()


def test_fte_bars_are_the_summary_means_and_intervals(run_dir: Path, figures, summary) -> None:
    ax = _axis_by_title(figures["fte"], "Average over the run")
    bars = _bars(ax)
    drawn = {PROVIDER_LABELS[_tick_at(ax, b["centre"])]: b for b in bars}
    assert set(drawn) == {"municipality", "akasse", "all"} and len(bars) == 3
    for provider, bar in drawn.items():
        want = summary[("fte_needed", "all", provider)]
        assert bar["value"] == pytest.approx(want["mean"], rel=1e-9), provider
        assert bar["whisker"] == pytest.approx((want["ci_low"], want["ci_high"]), rel=1e-9), provider
    # the bars are for all of Denmark: the sample's mean (kpis.csv, simulated units) times 1 / SCALE
    k = pd.read_csv(run_dir / "kpis.csv").query("kpi == 'fte_needed' and group == 'all' and provider == 'all'")
    assert drawn["all"]["value"] == pytest.approx(k["value"].mean() / SCALE, rel=1e-9)
    assert drawn["municipality"]["value"] != pytest.approx(drawn["akasse"]["value"], rel=0.05)


def test_talks_bars_sit_over_their_group_in_their_provider_colour(run_dir: Path, figures, summary) -> None:
    ax = figures["talks"].axes[0]
    colors = _legend_colors(ax)
    groups = {v["label_en"]: g for g, v in pd.read_json(run_dir / "run.json", typ="series")["params"]["groups"].items()}
    drawn = {}
    for b in _bars(ax):
        key = (groups[_tick_at(ax, b["centre"])], PROVIDER_LABELS[colors[b["color"]]])
        assert key not in drawn
        drawn[key] = b
    want = {(g, p): v for (k, g, p), v in summary.items()
            if k == "talks_held_per_year" and g != "all" and p in ("municipality", "akasse")
            and not (v["mean"] == 0 and v["ci_high"] == 0)}
    assert set(drawn) == set(want)
    assert ("dagpenge", "akasse") in drawn and ("jobparat", "akasse") not in drawn  # the a-kasse serves dagpenge
    for key, bar in drawn.items():
        assert bar["value"] == pytest.approx(want[key]["mean"], rel=1e-9), key
        assert bar["whisker"] == pytest.approx((want[key]["ci_low"], want[key]["ci_high"]), rel=1e-9), key


def _hand_band(run_dir: Path, provider: str) -> pd.DataFrame:
    """Weekly FTE of one provider over the full weeks: mean and t interval over replications, by hand."""
    w = pd.read_parquet(run_dir / "weekly.parquet")
    w = w[(w["measure"] == "fte_needed") & (w["group"] == "all") & (w["provider"] == provider)]
    days = round(YEARS * 365.25)
    rows = []
    for week, sub in w.groupby("week"):
        if week * 7 + 7 > days:  # the last, partial week is left out of the chart
            continue
        values = [v / SCALE for v in sub["value"]]  # weekly.parquet is the sample; the chart is for Denmark
        assert len(values) == REPS
        m = sum(values) / REPS
        half = T975[REPS - 1] * statistics.stdev(values) / math.sqrt(REPS)
        rows.append({"week": week, "mean": m, "lo": m - half, "hi": m + half})
    return pd.DataFrame(rows)


@pytest.mark.parametrize("provider", ["municipality", "akasse"])
def test_weekly_fte_line_and_band_are_the_replication_mean_and_t_interval(run_dir: Path, figures, provider) -> None:
    ax = _axis_by_title(figures["fte"], "Weekly demand as FTE")
    colors = {name: rgb for rgb, name in _legend_colors(ax).items()}
    rgb = colors[{v: k for k, v in PROVIDER_LABELS.items()}[provider]]
    line = next(ln for ln in ax.get_lines() if _rgb(ln.get_color()) == rgb)
    band = next(c for c in ax.collections if _rgb(c.get_facecolor()[0]) == rgb)
    hand = _hand_band(run_dir, provider)
    start = date.fromisoformat(str(pd.read_json(run_dir / "run.json", typ="series")["start_date"]))
    x = np.array([mdates.date2num(start + timedelta(days=7 * int(k))) for k in hand["week"]])
    assert len(hand) == 26
    assert np.asarray(mdates.date2num(line.get_xdata())) == pytest.approx(x)
    assert np.asarray(line.get_ydata(), dtype=float) == pytest.approx(hand["mean"].to_numpy(), rel=1e-9)
    verts = band.get_paths()[0].vertices
    for xi, lo, hi in zip(x, hand["lo"], hand["hi"], strict=True):
        ys = verts[np.isclose(verts[:, 0], xi), 1]
        assert ys.min() == pytest.approx(lo, rel=1e-9, abs=1e-12) and ys.max() == pytest.approx(hi, rel=1e-9)
    assert (hand["hi"] > hand["lo"]).any()  # a band of zero width everywhere would prove nothing


def test_mean_band_is_the_t_interval_and_zero_wide_for_one_replication() -> None:
    df = pd.DataFrame({"week": [0, 0, 1], "value": [1.0, 3.0, 5.0]})
    band = mean_band(df, ["week"]).set_index("week")
    # week 0: mean 2, sd sqrt(2), n 2, half-width t(0.975, 1) * sqrt(2) / sqrt(2)
    assert band.loc[0, "mean"] == 2.0
    assert (band.loc[0, "lo"], band.loc[0, "hi"]) == pytest.approx((2 - T975[1], 2 + T975[1]))
    # week 1: one replication has no spread; the band is drawn at the mean, not left out
    assert band.loc[1, "lo"] == band.loc[1, "hi"] == 5.0

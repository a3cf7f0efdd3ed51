"""The confidence-interval helpers of sim/metrics/stats.py against a hand computation.

Every study, chart and summary takes its 95 % intervals from these three functions, yet no fast
test ran them (mutation testing, tests/MUTATION.md: `mean_ci` 25, `grouped_ci` 34 and
`t_half_width` 6 survived with "no tests"). The expected values are worked out here from the
definition of a Student-t interval: mean ± t(0.975, n-1) · s / √n with s the sample standard
deviation (ddof=1), where the quantile comes from scipy and s from numpy, and for one small array
from a t-table value typed in by hand, so that the test does not only repeat the code's own calls.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from scipy import stats as sps

from sim.experiment.results import SUMMARY_COLUMNS, summarise
from sim.metrics.stats import LEVEL, grouped_ci, mean_ci, t_half_width, t_quantile

# Small given samples; odd values so that a wrong divisor (n for n-1, √(n-1) for √n) shows.
A = np.array([2.0, 4.0, 4.0, 5.0, 7.0])  # mean 4.4, sum of squares about the mean 13.2
B = np.array([10.0, 13.0])  # mean 11.5, s = 3/√2


def _hand(x: np.ndarray, level: float = 0.95) -> tuple[float, float, float]:
    """(mean, low, high) from the textbook formula, with scipy's t quantile and numpy's ddof=1 sd."""
    n = len(x)
    half = sps.t.ppf(0.5 + level / 2, n - 1) * np.std(x, ddof=1) / math.sqrt(n)
    return float(np.mean(x)), float(np.mean(x) - half), float(np.mean(x) + half)


def test_level_is_95_percent():
    """The documented default: every interval in the reports is a 95 % interval."""
    assert LEVEL == 0.95


def test_t_half_width_matches_a_t_table_value_by_hand():
    """A: s² = 13.2 / 4 = 3.3, n = 5, t(0.975, 4) = 2.776 (any t-table): half-width
    2.776 · √3.3 / √5 = 2.2553 (to the table's four digits)."""
    half = float(t_half_width(math.sqrt(3.3), 5))
    assert half == pytest.approx(2.776 * math.sqrt(3.3) / math.sqrt(5), abs=5e-4)
    assert half == pytest.approx(2.2553, abs=5e-4)


def test_t_half_width_elementwise_and_nan_below_two():
    """Arrays of sd and n, elementwise; n = 1 and n = 0 give NaN (the docstring: no spread to measure)."""
    sd = np.array([1.5, 2.0, 0.7, 3.0])
    n = np.array([4, 12, 1, 0])
    got = t_half_width(sd, n)
    assert got.shape == (4,)
    for i in (0, 1):
        assert got[i] == pytest.approx(sps.t.ppf(0.975, n[i] - 1) * sd[i] / math.sqrt(n[i]), rel=1e-12)
    assert math.isnan(got[2]) and math.isnan(got[3])


def test_t_half_width_other_level():
    """The level is honoured: a 90 % interval uses t(0.95, n-1)."""
    got = float(t_half_width(2.0, 9, level=0.90))
    assert got == pytest.approx(sps.t.ppf(0.95, 8) * 2.0 / 3.0, rel=1e-12)


def test_t_half_width_accepts_series():
    """Series of sd and n (what grouped_ci passes), also with a NaN sd of a one-row group."""
    got = t_half_width(pd.Series([1.0, np.nan]), pd.Series([3, 1]))
    assert got[0] == pytest.approx(sps.t.ppf(0.975, 2) / math.sqrt(3), rel=1e-12)
    assert math.isnan(got[1])


@pytest.mark.parametrize("x", [A, B, np.array([0.31, 0.29, 0.35, 0.30, 0.33, 0.28, 0.36, 0.32])])
def test_mean_ci_matches_the_textbook_interval(x: np.ndarray):
    m, lo, hi = mean_ci(x)
    em, elo, ehi = _hand(x)
    assert (m, lo, hi) == pytest.approx((em, elo, ehi), rel=1e-12)
    assert lo < m < hi


def test_mean_ci_two_values_by_hand():
    """B = (10, 13): s = 3/√2, half-width t(0.975, 1) · s / √2 = 12.706 · 1.5 = 19.059."""
    m, lo, hi = mean_ci(B)
    assert m == 11.5
    assert hi - m == pytest.approx(12.706 * 1.5, abs=2e-3)
    assert m - lo == pytest.approx(hi - m, rel=1e-12)


def test_mean_ci_drops_nans_and_takes_lists_and_series():
    """NaNs are dropped before n is counted (a replication without the KPI is not a zero)."""
    with_nan = [2.0, float("nan"), 4.0, 4.0, 5.0, 7.0]
    assert mean_ci(with_nan) == pytest.approx(_hand(A), rel=1e-12)
    assert mean_ci(pd.Series(with_nan)) == pytest.approx(_hand(A), rel=1e-12)


def test_mean_ci_one_value_has_a_mean_and_nan_bounds():
    """The docstring: the bounds are NaN with fewer than two values; the mean is the value itself
    (it must not raise: the studies call it on one-replication runs)."""
    m, lo, hi = mean_ci([3.25])
    assert m == 3.25 and math.isnan(lo) and math.isnan(hi)
    m, lo, hi = mean_ci([float("nan"), 3.25])
    assert m == 3.25 and math.isnan(lo) and math.isnan(hi)


def test_mean_ci_no_values_is_all_nan():
    for empty in ([], [float("nan")]):
        assert all(math.isnan(v) for v in mean_ci(empty))


def test_mean_ci_constant_values_have_zero_width():
    assert mean_ci([1.5, 1.5, 1.5]) == (1.5, 1.5, 1.5)


def _frame() -> pd.DataFrame:
    """Two KPIs, three group/provider cells: A, B and a one-replication cell."""
    rows = [("fte", "dagpenge", "all", v) for v in A]
    rows += [("fte", "jobparat", "akasse", v) for v in B]
    rows += [("stock", "all", "all", 8.0)]
    return pd.DataFrame(rows, columns=["kpi", "group", "provider", "value"])


def test_grouped_ci_columns_keys_and_values():
    """The columns other code reads (mean, sd, n, ci_low, ci_high: results.summarise, chart_series),
    the grouping keys kept as columns, and each group's interval the textbook one."""
    g = grouped_ci(_frame(), ["kpi", "group", "provider"])
    assert list(g.columns) == ["kpi", "group", "provider", "mean", "sd", "n", "ci_low", "ci_high"]
    assert len(g) == 3
    rows = {(r.kpi, r.group, r.provider): r for r in g.itertuples()}
    for key, x in ((("fte", "dagpenge", "all"), A), (("fte", "jobparat", "akasse"), B)):
        r = rows[key]
        em, elo, ehi = _hand(x)
        assert r.n == len(x)
        assert r.sd == pytest.approx(np.std(x, ddof=1), rel=1e-12)
        assert (r.mean, r.ci_low, r.ci_high) == pytest.approx((em, elo, ehi), rel=1e-12)
    one = rows[("stock", "all", "all")]
    assert one.mean == 8.0 and one.n == 1 and math.isnan(one.ci_low) and math.isnan(one.ci_high)


def test_grouped_ci_keeps_first_seen_order_unless_sorted():
    df = pd.DataFrame({"k": ["b", "b", "a", "a"], "value": [1.0, 3.0, 5.0, 9.0]})
    assert list(grouped_ci(df, ["k"]).k) == ["b", "a"]
    s = grouped_ci(df, ["k"], sort=True)
    assert list(s.k) == ["a", "b"]
    assert list(s["mean"]) == [7.0, 2.0]


def test_grouped_ci_other_value_column_and_level():
    df = pd.DataFrame({"k": ["x"] * 5, "v": A})
    g = grouped_ci(df, ["k"], value="v", level=0.9)
    _, elo, ehi = _hand(A, 0.9)
    assert (g.ci_low[0], g.ci_high[0]) == pytest.approx((elo, ehi), rel=1e-12)


def test_the_summary_reads_the_interval_columns():
    """results.summarise (summary.csv) is built on grouped_ci's column names: a rename there would
    break it, so check its output against the hand interval too (a share KPI is clipped to [0, 1])."""
    kpis = _frame().assign(replication=0)
    s = summarise(kpis)
    assert list(s.columns) == SUMMARY_COLUMNS
    r = s[(s.kpi == "fte") & (s.group == "dagpenge")].iloc[0]
    assert (r.ci_low, r.ci_high) == pytest.approx(_hand(A)[1:], rel=1e-12)
    share = pd.DataFrame({"kpi": "first_talk_on_time", "group": "all", "provider": "all", "replication": [0, 1],
                          "value": [0.98, 1.0]})
    r = summarise(share).iloc[0]
    assert r.ci_high == 1.0 and r.ci_low == pytest.approx(0.99 - sps.t.ppf(0.975, 1) * np.std([0.98, 1.0], ddof=1)
                                                            / math.sqrt(2), rel=1e-12)


def test_t_quantile_is_scipy_stats_value_for_value():
    """t_quantile (scipy.special, so that a run need not import scipy.stats) gives exactly what
    scipy.stats.t.ppf gives, over the levels and degrees of freedom the studies use."""
    from scipy import stats

    for dof in (1, 2, 3, 9, 19, 39, 511, 10_000):
        for p in (0.9, 0.95, 0.975, 0.995):
            assert float(t_quantile(p, dof)) == float(stats.t.ppf(p, dof))
    assert float(t_quantile(0.975, 4)) == pytest.approx(2.776, abs=5e-4)  # a t table

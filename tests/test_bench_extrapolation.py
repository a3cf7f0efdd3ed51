"""The national replication-year extrapolations, against hand computations.

Expected values come from the formulas worked by hand (power laws with a known exponent, the least-squares
normal equations in exact fractions), not from the functions under test.
"""

from __future__ import annotations

from fractions import Fraction

import pytest

from sim.experiment.extrapolation import (
    national_peak_rss_mb,
    national_year_seconds,
    rss_linear_fit,
    scaling_exponent,
)


def test_national_year_of_a_power_law_with_known_exponent():
    # wall = 3 s x scale^1.2 over 2 simulated years: the national 2-year run takes 3 s, one year 1.5 s
    scales = [0.0625, 0.125, 0.25]
    walls = [3.0 * s ** 1.2 for s in scales]
    k = scaling_exponent(scales, walls)
    assert k == pytest.approx(1.2)
    assert national_year_seconds(0.25, walls[-1], 2.0, k) == pytest.approx(1.5)


def test_national_year_is_the_hand_formula():
    # 5 s at scale 0.25 over one year with exponent 1.05: 5 x 4^1.05 = 5 x 4.2871... = 21.435...
    assert national_year_seconds(0.25, 5.0, 1.0, 1.05) == pytest.approx(5.0 * 4.0 ** 1.05)
    assert national_year_seconds(0.25, 5.0, 1.0, 1.05) == pytest.approx(21.4355, abs=1e-3)
    # linear scaling, half a year simulated: 2 s at scale 0.5 -> 4 s for half a year -> 8 s per year
    assert national_year_seconds(0.5, 2.0, 0.5, 1.0) == pytest.approx(8.0)
    # at scale 1 nothing is extrapolated, only divided by the years
    assert national_year_seconds(1.0, 60.0, 4.0, 1.3) == pytest.approx(15.0)


@pytest.mark.parametrize("args", [(0.0, 1.0, 1.0, 1.0), (0.25, 0.0, 1.0, 1.0), (0.25, 1.0, 0.0, 1.0)])
def test_national_year_refuses_non_positive_inputs(args):
    with pytest.raises(ValueError):
        national_year_seconds(*args)


def test_rss_on_an_exact_line():
    # RSS = 150 MB + 800 MB x scale: 950 MB at scale 1
    scales = [0.0625, 0.125, 0.25]
    a, b = rss_linear_fit(scales, [150 + 800 * s for s in scales])
    assert (a, b) == (pytest.approx(150.0), pytest.approx(800.0))
    assert national_peak_rss_mb(scales, [150 + 800 * s for s in scales]) == pytest.approx(950.0)


def test_rss_least_squares_by_the_normal_equations():
    # points off any line: b = Sxy / Sxx and a = mean(r) - b mean(s), in exact fractions
    scales = [Fraction(1, 4), Fraction(1, 2), Fraction(1)]
    rss = [Fraction(310), Fraction(390), Fraction(600)]
    ms, mr = sum(scales) / 3, sum(rss) / 3
    b = sum((s - ms) * (r - mr) for s, r in zip(scales, rss)) / sum((s - ms) ** 2 for s in scales)
    a = mr - b * ms
    assert float(a + b) == pytest.approx(596.4286, abs=1e-4)  # worked: b = 2740/7, a = 205
    got_a, got_b = rss_linear_fit([float(s) for s in scales], [float(r) for r in rss])
    assert (got_a, got_b) == (pytest.approx(float(a)), pytest.approx(float(b)))
    assert national_peak_rss_mb([float(s) for s in scales], [float(r) for r in rss]) == pytest.approx(float(a + b))


def test_rss_fit_needs_two_scales():
    with pytest.raises(ValueError):
        rss_linear_fit([0.25, 0.25], [300.0, 310.0])
    with pytest.raises(ValueError):
        rss_linear_fit([0.25, 0.5], [300.0])

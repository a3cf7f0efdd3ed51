"""The project's Erlang B/C against kept implementations (issue 15, item 5).

sim.studies.staffing.erlang writes its own Erlang B recursion so that it can carry it from c to
c + 1 while searching. Two kept, independent computations check it:

- pyworkforce's ErlangC (a maintained workforce-planning package): the waiting probability, the
  service level P(W <= t) and the required positions for a target service level;
- the closed form of Erlang B as a truncated Poisson distribution,
  B(c, a) = poisson.pmf(c, a) / poisson.cdf(c, a), from scipy.stats, and Erlang C from it by
  C = B / (1 - rho (1 - B)), rho = a / c (Kleinrock, Queueing Systems I, 1975, eq. 3.46 and 3.40).
"""

from __future__ import annotations

import math

import pytest
from pyworkforce.queuing import ErlangC  # in the test extras: a missing install fails, never skips
from scipy import stats

from sim.studies.staffing.erlang import erlang_b, erlang_c, erlang_servers, p_wait_beyond

# (servers, offered load in Erlang): small and large pools, light and heavy load
CASES = [(1, 0.5), (2, 1.5), (5, 4.2), (10, 8.0), (25, 20.3), (60, 55.5), (120, 100.0), (400, 390.0)]


def _pyworkforce(a: float, aht: float, asa: float) -> object:
    """pyworkforce's model with intensity a: `a` transactions of `aht` minutes in an interval of
    `aht` minutes (its intensity is transactions / interval × aht)."""
    return ErlangC(transactions=a, aht=aht, asa=asa, interval=aht)


@pytest.mark.parametrize("c,a", CASES)
def test_erlang_c_matches_pyworkforce(c, a):
    ref = _pyworkforce(a, aht=10.0, asa=1.0).waiting_probability(c)
    assert erlang_c(c, a) == pytest.approx(ref, rel=1e-9)


@pytest.mark.parametrize("c,a", CASES)
@pytest.mark.parametrize("t_over_service", [0.0, 0.2, 1.0, 3.0])
def test_probability_of_waiting_beyond_t_matches_pyworkforce(c, a, t_over_service):
    """P(W > t) = 1 - service level; time in units of the mean service time (mu = 1)."""
    aht = 10.0
    asa = max(t_over_service * aht, 1e-9)  # pyworkforce refuses asa = 0
    ref = 1.0 - _pyworkforce(a, aht=aht, asa=asa).service_level(c)
    assert p_wait_beyond(c, a, mu=1.0, t=asa / aht) == pytest.approx(ref, rel=1e-7, abs=1e-12)


@pytest.mark.parametrize("a", [0.3, 3.2, 17.4, 84.1, 250.2])
@pytest.mark.parametrize("max_late", [0.2, 0.05, 0.01])
def test_servers_needed_match_pyworkforce(a, max_late):
    """The smallest c with P(W > t) <= max_late. pyworkforce starts its search at round(a + 1),
    so the loads here have a fraction below one half (where that equals our floor(a) + 1)."""
    aht, asa = 10.0, 2.0
    ref = _pyworkforce(a, aht=aht, asa=asa).required_positions(service_level=1.0 - max_late)
    c, p = erlang_servers(a, mu=1.0 / aht, t=asa, max_late=max_late)
    assert c == ref["raw_positions"]
    assert p == pytest.approx(1.0 - ref["service_level"], rel=1e-7)
    assert p <= max_late < p_wait_beyond(c - 1, a, 1.0 / aht, asa) or c == math.floor(a) + 1


@pytest.mark.parametrize("c,a", CASES + [(1000, 950.0), (3000, 2900.0)])
def test_erlang_b_and_c_match_the_truncated_poisson_form(c, a):
    """The closed form from scipy.stats, also for the thousands of servers of a national pool."""
    b_ref = stats.poisson.pmf(c, a) / stats.poisson.cdf(c, a)
    assert erlang_b(c, a) == pytest.approx(b_ref, rel=1e-9)
    rho = a / c
    assert erlang_c(c, a) == pytest.approx(b_ref / (1.0 - rho * (1.0 - b_ref)), rel=1e-9)


def test_hand_computed_values():
    """By hand: M/M/1 waits with probability rho; Erlang B(2, 1) = (1/2) / (1 + 1 + 1/2) = 0.2,
    and C(2, 1) = 2 × 0.2 / (2 - 1 × 0.8) = 1/3."""
    assert erlang_c(1, 0.5) == pytest.approx(0.5)
    assert erlang_b(2, 1.0) == pytest.approx(0.2)
    assert erlang_c(2, 1.0) == pytest.approx(1 / 3)
    assert erlang_c(3, 3.0) == 1.0  # unstable: everyone waits

"""The benchmark's anchor is a correct M/M/10 queue at utilisation 0.9.

The expected values come from queueing theory, computed here from the Erlang C formula and not from the
code under test: with c servers, offered load a = lambda / mu and rho = a / c,

    C(c, a) = (a^c / c!) (c / (c - a)) / (sum_{k<c} a^k / k! + (a^c / c!) (c / (c - a))),

the probability that an arriving customer waits, and Wq = C(c, a) / (c mu - lambda) the mean wait in queue.
Ten independent replications (fixed seeds, the first tenth of each discarded as warm-up from an empty
system) give a t confidence interval that must contain the analytic value. No assertion is about speed.
"""

from __future__ import annotations

import math
import statistics

import pytest
from scipy import stats

from sim.experiment.mm_queue import MM10_RHO, MM10_SERVERS, mm_queue

REPLICATIONS = 10
CUSTOMERS = 30_000
WARMUP = 3_000
CONFIDENCE = 0.99


def erlang_c(servers: int, offered_load: float) -> float:
    """Probability of waiting in M/M/c (Erlang C), straight from the formula."""
    top = offered_load ** servers / math.factorial(servers) * servers / (servers - offered_load)
    below = sum(offered_load ** k / math.factorial(k) for k in range(servers))
    return top / (below + top)


@pytest.fixture(scope="module")
def replications() -> list[dict]:
    return [mm_queue(CUSTOMERS, MM10_SERVERS, MM10_RHO, seed=1000 + i, warmup=WARMUP) for i in range(REPLICATIONS)]


def _ci(values: list[float]) -> tuple[float, float]:
    mean = statistics.fmean(values)
    half = stats.t.ppf(0.5 + CONFIDENCE / 2, len(values) - 1) * statistics.stdev(values) / math.sqrt(len(values))
    return mean - half, mean + half


def test_erlang_c_by_hand_for_a_small_case():
    # M/M/2 with a = 1: C = (1/2 * 2) / (1 + 1 + 1) = 1/3 (textbook value)
    assert erlang_c(2, 1.0) == pytest.approx(1 / 3)


def test_anchor_is_ten_servers_at_rho_09():
    assert (MM10_SERVERS, MM10_RHO) == (10, 0.9)


def test_every_customer_is_served(replications):
    assert all(r["served"] == CUSTOMERS for r in replications)


def test_mean_wait_in_queue_matches_erlang_c(replications):
    c, a = MM10_SERVERS, MM10_RHO * MM10_SERVERS  # service rate 1
    wq = erlang_c(c, a) / (c - a)  # about 0.669 service times
    lo, hi = _ci([r["mean_wait"] for r in replications])
    assert lo <= wq <= hi, (lo, wq, hi)
    assert hi - lo < 0.4 * wq  # the interval is narrow enough to mean something


def test_share_of_customers_who_wait_matches_erlang_c(replications):
    pw = erlang_c(MM10_SERVERS, MM10_RHO * MM10_SERVERS)
    lo, hi = _ci([r["share_waited"] for r in replications])
    assert lo <= pw <= hi, (lo, pw, hi)
    assert hi - lo < 0.1


def test_utilisation_is_rho(replications):
    lo, hi = _ci([r["utilisation"] for r in replications])
    assert lo <= MM10_RHO <= hi, (lo, hi)
    assert hi - lo < 0.03


def test_same_seed_same_queue():
    a, b = mm_queue(2_000, seed=7), mm_queue(2_000, seed=7)
    assert (a["mean_wait"], a["utilisation"], a["sim_time"]) == (b["mean_wait"], b["utilisation"], b["sim_time"])


@pytest.mark.parametrize("kwargs", [{"customers": 0}, {"customers": 10, "servers": 0}, {"customers": 10, "rho": 1.0},
                                    {"customers": 10, "warmup": 10}])
def test_bad_arguments_are_refused(kwargs):
    with pytest.raises(ValueError):
        mm_queue(**kwargs)

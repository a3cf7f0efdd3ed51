"""The staffing search: target parsing, Erlang C, and a small search that meets its target and
cannot go one step lower."""

from __future__ import annotations

import json
import math

import pandas as pd
import pytest

import sim
from sim.cli.main import main
from sim.inputs.errors import ParamError
from sim.studies import staffing
from sim.studies.staffing import Target, erlang_b, erlang_c, erlang_servers, parse_target, parse_targets

TARGET = 0.9


# -- target parsing -------------------------------------------------------------------------------
def test_parse_plain_group_and_le():
    assert parse_target("first_talk_on_time>=0.95") == Target("first_talk_on_time", "all", ">=", 0.95,
                                                              "first_talk_on_time>=0.95")
    t = parse_target(" talk_coverage_6m[jobparat] >= 0.75 ")
    assert (t.kpi, t.group, t.op, t.value) == ("talk_coverage_6m", "jobparat", ">=", 0.75)
    t = parse_target("offer_coverage_6m<=0.5")
    assert (t.op, t.value) == ("<=", 0.5)
    assert parse_target("first_talk_on_time>=95%").value == pytest.approx(0.95)
    assert parse_target("compliance_first_talk>=0.9").kpi == "compliance_first_talk"


@pytest.mark.parametrize("text", ["first_talk_on_time", "first_talk_on_time>0.9", "first_talk_on_time>=abc",
                                  "first_talk_on_time[>=0.9", "stock_mean>=0.5", "nonsense>=0.5",
                                  "compliance_>=0.5", "first_talk_on_time>=1.5", "first_talk_on_time>=-0.1",
                                  "first_talk_on_time>=120%", ""])
def test_parse_errors_name_the_target(text):
    with pytest.raises(ParamError) as exc:
        parse_target(text)
    assert exc.value.field == "--target"


def test_targets_need_one_and_a_known_group():
    with pytest.raises(ParamError):
        parse_targets([])
    with pytest.raises(ParamError, match="group"):
        parse_targets(["first_talk_on_time[nogroup]>=0.9"], ["dagpenge", "jobparat"])
    assert parse_targets(["first_talk_on_time[jobparat]>=0.9"], ["dagpenge", "jobparat"])[0].group == "jobparat"


def test_target_bound_is_the_pessimistic_end():
    ge, le = parse_target("first_talk_on_time>=0.9"), parse_target("first_talk_on_time<=0.9")
    assert ge.met(0.91, 0.99) and not ge.met(0.89, 0.99) and not ge.met(math.nan, math.nan)
    assert le.met(0.5, 0.89) and not le.met(0.5, 0.91)


def test_cli_bad_target_exits_2(capsys):
    rc = main(["staff", "--set", "scale=0.005", "--target", "first_talk_on_time>=2"])
    assert rc == 2
    err = capsys.readouterr().err
    assert err.startswith("error: --target") and len(err.strip().splitlines()) == 1


def test_one_replication_is_refused():
    p = sim.load_params(overrides={"scale": 0.005, "years": 0.5})
    with pytest.raises(ParamError, match="replications"):
        staffing.find_staffing(p, [parse_target("first_talk_on_time>=0.9")], replications=1, workers=1)


# -- Erlang C -------------------------------------------------------------------------------------
def _erlang_c_closed_form(c: int, a: float) -> float:
    """The textbook formula, fine for small c: (a^c/c! · c/(c-a)) / (Σ_{k<c} a^k/k! + a^c/c! · c/(c-a))."""
    top = a ** c / math.factorial(c) * c / (c - a)
    return top / (sum(a ** k / math.factorial(k) for k in range(c)) + top)


def test_erlang_textbook_values():
    assert erlang_b(1, 1.0) == pytest.approx(0.5)
    assert erlang_b(2, 1.0) == pytest.approx(0.2)
    assert erlang_c(2, 1.0) == pytest.approx(1.0 / 3.0)
    assert erlang_c(1, 0.5) == pytest.approx(0.5)  # M/M/1: the probability of waiting is rho


@pytest.mark.parametrize("c,a", [(10, 7.0), (25, 21.5), (60, 55.0)])
def test_erlang_c_matches_closed_form(c, a):
    assert erlang_c(c, a) == pytest.approx(_erlang_c_closed_form(c, a), rel=1e-10)


def test_erlang_is_stable_for_large_pools_and_unstable_queues():
    x = erlang_c(5000, 4950.0)  # a^c and c! overflow a float; the recursion does not
    assert 0.0 < x < 1.0
    assert erlang_c(3, 3.0) == 1.0 and erlang_c(2, 5.0) == 1.0


def test_erlang_servers_is_the_smallest_c():
    a, mu, t, late = 40.0, 2.0, 0.2, 0.05
    c, p = erlang_servers(a, mu, t, late)
    assert c > a and p <= late
    assert staffing.p_wait_beyond(c, a, mu, t) == pytest.approx(p)
    assert staffing.p_wait_beyond(c - 1, a, mu, t) > late


# -- the search on a small scenario ---------------------------------------------------------------
@pytest.fixture(scope="module")
def small():
    params = sim.load_params(overrides={"scale": 0.005, "years": 0.5})
    targets = [parse_target(f"first_talk_on_time>={TARGET}")]
    result = staffing.find_staffing(params, targets, replications=4, seed=1, workers=1, resolution_share=0.05)
    return params, result


def test_search_meets_its_target(small):
    _, r = small
    assert r.feasible, r.message
    v = r.verification
    assert v.passed and v.fte == r.answer
    assert v.stats[0].ci_low >= TARGET
    # every provider that holds first talks is searched (other actors run trial courses from 2027)
    assert {"municipality", "akasse"} <= set(r.searched) <= {"municipality", "akasse", "other"}
    for p in ("municipality", "akasse"):  # the other actors' handful of trial talks barely move the target
        assert r.answer[p] >= r.demand[p] * 0.5  # far from zero: talks need diary hours


def test_one_step_fewer_does_not_meet(small):
    _, r = small
    v = r.verification.stats[0]
    for p in r.searched:
        fewer = r.step_fewer[p]
        if fewer is None:  # one step fewer would be no caseworker at all: nothing to try
            assert r.answer[p] - r.resolution[p] <= 1e-9
            continue
        assert fewer in r.candidates
        assert fewer.fte[p] == pytest.approx(r.answer[p] - r.resolution[p], abs=1e-3)
        assert all(fewer.fte[q] == r.answer[q] for q in r.answer if q != p)
        s = fewer.stats[0]
        # common random numbers make the KPI nearly monotone in FTE, not exactly: one step lower
        # fails, or at worst is indistinguishable from the answer
        assert (not fewer.passed) or (v.ci_low <= s.mean <= v.ci_high)


def test_search_records_candidates_without_trying_every_value(small):
    _, r = small
    assert r.candidates[0].phase == "unlimited"
    assert [c.run for c in r.candidates] == list(range(1, r.n_runs + 1))
    for c in r.candidates:
        assert len(c.stats) == 1 and c.passed == c.stats[0].passed
    passing = [c for c in r.candidates if c.passed and c.fte]
    assert r.answer in [c.fte for c in passing]
    # every candidate that is at or below the answer for all providers and strictly below for one fails
    for c in r.candidates[1:]:
        if c.fte != r.answer and all(c.fte[p] <= r.answer[p] for p in r.answer):
            assert not c.passed or c.phase.startswith("step_fewer")
    assert r.n_runs <= 1 + 6 + 2 * (5 + 8) + 2


def test_erlang_check_is_below_the_simulated_answer(small):
    _, r = small
    assert {"municipality", "akasse"} <= {e.provider for e in r.erlang}
    for e in r.erlang:
        assert e.fte_national >= e.offered_load_fte  # a stable queue
        assert e.at_or_below_answer and e.fte_national <= r.answer[e.provider]


def test_outputs_are_written(small, tmp_path):
    _, r = small
    staffing.write_outputs(r, tmp_path, {"command": "test"})
    rows = pd.read_csv(tmp_path / "staffing.csv")
    assert len(rows) == r.n_runs
    assert {"run", "phase", "passed", "fte_municipality", "fte_akasse"} <= set(rows.columns)
    doc = json.loads((tmp_path / "staffing.json").read_text(),
                     parse_constant=lambda x: pytest.fail(f"non-standard JSON constant {x}"))
    assert doc["answer"] == pytest.approx(r.answer) and doc["n_runs"] == r.n_runs
    text = staffing.format_result(r, 1.0)
    assert "Erlang C lower-bound check" in text and "national FTE" in text

"""Places, their job multipliers, the per-place tallies and the rows by municipality, fast.

Mutation testing (tests/MUTATION.md, sample of 4 December 2026) found that no fast test looked at
where citizens are placed or what is counted per place: municipalities drawn uniformly instead of
by population, a one-municipality scenario broken, the job multipliers' mean moved off 1, the
per-place tallies not starting at 0 and the FTE split by municipality all survived. The expected
values here come from elsewhere: the population column of params/municipalities.csv read with the
csv module, a chi-square test from scipy, the lognormal mean E[exp(σZ − σ²/2)] = 1, values of exp
typed in by hand, and for the rows by municipality the spell log of the same run (each spell's
place, days, talks, offers, clarifications and trial arm) with the test's own time parameters.
"""

from __future__ import annotations

import csv
import math
from collections import defaultdict
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
from lawbook import frozen, rule_set
from scipy import stats as sps
from test_independent_workload import PRODUCTIVE_H, _time_overrides, hand_hours

import sim
from sim.engine.model import Model
from sim.engine.place_tally import PlaceTally
from sim.engine.places import PlaceDraws, Places, places_of
from sim.engine.randomness import Streams, place_stream
from sim.experiment.runner import run
from sim.metrics.by_municipality import COLUMNS, _split, by_municipality_frame
from sim.metrics.kpis import kpi_frame
from sim.metrics.workload import work_plan

TABLE = Path(__file__).parent.parent / "params" / "municipalities.csv"
SEED = 23


def _csv_population() -> dict[str, float]:
    """name -> population, straight from the CSV file (comment lines start with '#')."""
    with open(TABLE, encoding="utf-8") as fh:
        rows = list(csv.DictReader(line for line in fh if not line.lstrip().startswith("#") and line.strip()))
    return {r["name"]: float(r["population"]) for r in rows}


# -- the place draw ------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def national_places() -> Places:
    return places_of(sim.load_params().scenario)


def test_place_weights_are_the_population_shares_of_the_csv(national_places: Places):
    pop = _csv_population()
    total = sum(pop.values())
    assert len(national_places) == 98 == len(pop)
    for name, w in zip(national_places.names, national_places.weights):
        assert w == pytest.approx(pop[name] / total, rel=1e-12), name


def test_municipalities_are_drawn_by_population_not_uniformly(national_places: Places):
    """200,000 draws at a fixed seed: a chi-square goodness-of-fit test over all 98 municipalities
    against the CSV's population shares (the smallest, Læsø, expects about 60), and København's
    share within a 99.9 % binomial bound of its population share (about 11 %), far from the 1/98
    of a uniform draw."""
    n = 200_000
    draws = PlaceDraws(national_places, Streams(SEED, 0))
    got = draws.draw("dagpenge", "arrivals", n)
    assert got["place"].shape == (n,) and got["fund"].shape == (n,)
    pop = _csv_population()
    total = sum(pop.values())
    expected = np.array([pop[name] / total * n for name in national_places.names])
    counts = np.bincount(got["place"], minlength=98)
    assert expected.min() > 5  # the chi-square approximation holds
    _, p_value = sps.chisquare(counts, expected)
    assert p_value > 0.001, p_value
    kbh = national_places.names.index("København")
    share = pop["København"] / total
    assert share > 0.1 > 5 / 98  # the test can tell population weights from uniform ones
    assert abs(counts[kbh] / n - share) < 3.29 * math.sqrt(share * (1 - share) / n)


def test_akasse_draw_follows_the_fund_shares(national_places: Places):
    n = 100_000
    fund = PlaceDraws(national_places, Streams(SEED, 1)).draw("dagpenge", "stock", n)["fund"]
    shares = sim.load_params().scenario.unemployment_funds.shares
    total = sum(shares.values())
    counts = np.bincount(fund, minlength=len(shares))
    _, p_value = sps.chisquare(counts, [s / total * n for s in shares.values()])
    assert p_value > 0.001, p_value


def test_one_municipality_scenario_puts_everyone_there():
    """municipality = Aarhus: one place; the draw gives index 0 for each of n citizens, as arrays
    of n (not a 0-d array), and a run labels every citizen with it."""
    p = sim.load_params(overrides=frozen({"jobparat": 400.0}, "pre_reform", municipality="Aarhus", years=0.25,
                                                   **{"exemption.share": 0.0}))
    places = places_of(p.scenario)
    assert places.names == ("Aarhus",) and places.weights.tolist() == [1.0]
    got = PlaceDraws(places, Streams(SEED, 0)).draw("jobparat", "arrivals", 7)
    assert got["place"].shape == (7,) and got["place"].tolist() == [0] * 7
    assert got["fund"].shape == (7,)
    model = Model(p, 0, SEED, record_spells=True)
    model.run()
    assert model.places.names == ("Aarhus",)
    assert len(model.spell_log) > 50
    assert {r["place"] for r in model.spell_log} == {0}


# -- the municipal job multipliers ---------------------------------------------------------------

class _GivenZ:
    """A stand-in for Streams: the municipalities' effects stream returns the given standard
    normals, every other stream is a real generator (for the place draws)."""

    def __init__(self, z: list[float]):
        self.z = np.array(z, dtype=float)

    def generator(self, name: str) -> Any:
        if name != place_stream("*", "effects"):
            return Streams(SEED, 0).generator(name)
        z = self.z

        class _Gen:
            def standard_normal(self, n: int) -> np.ndarray:
                assert n == len(z)
                return z.copy()

        return _Gen()


def _places(n: int) -> Places:
    return Places(tuple(f"m{i}" for i in range(n)), np.full(n, 1.0 / n), (False,) * n, ("f",), np.ones(1))


def test_job_multiplier_is_the_mean_one_lognormal_of_the_given_z():
    """z = (0, 1, −2), σ = 0.1: exp(σz − σ²/2) = exp(−0.005), exp(0.095), exp(−0.205), i.e.
    0.99501248, 1.09965886, 0.81464732 (values of exp typed in from a table)."""
    d = PlaceDraws(_places(3), _GivenZ([0.0, 1.0, -2.0]), job_chance_sd=0.1)
    assert d.job_mult is not None
    assert d.job_mult == pytest.approx([0.99501248, 1.09965886, 0.81464732], abs=1e-8)
    d = PlaceDraws(_places(2), _GivenZ([1.5, -1.0]), job_chance_sd=0.5)
    assert d.job_mult == pytest.approx([math.exp(0.625), math.exp(-0.625)], rel=1e-12)


def test_no_multiplier_without_spread():
    assert PlaceDraws(_places(3), _GivenZ([0.0, 1.0, -2.0]), job_chance_sd=0.0).job_mult is None


@pytest.mark.parametrize("sd", [0.10, 0.5])
def test_job_multipliers_have_mean_one(sd: float):
    """Over 200,000 places from the real stream, the multipliers' mean is 1 within a 99.9 % normal
    bound, with the lognormal's variance exp(σ²) − 1 (σ = 0.1: ±0.00074, well inside which a
    −σ²/3 instead of −σ²/2 would shift the mean by 0.0017)."""
    n = 200_000
    mult = PlaceDraws(_places(n), Streams(SEED, 0), job_chance_sd=sd).job_mult
    assert mult is not None and mult.shape == (n,)
    bound = 3.29 * math.sqrt(math.expm1(sd * sd) / n)
    assert abs(mult.mean() - 1.0) < bound, (mult.mean(), bound)
    assert np.log(mult).std() == pytest.approx(sd, rel=0.01)


def test_label_multiplies_frailty_by_the_place_multiplier():
    d = PlaceDraws(_places(3), _GivenZ([0.0, 1.0, -2.0]), job_chance_sd=0.1)
    out = d.label({"frailty": np.array([2.0, 2.0, 2.0, 2.0])}, "jobparat", "arrivals", 4)
    assert d.job_mult is not None
    assert out["frailty"] == pytest.approx(2.0 * d.job_mult[out["place"]], rel=1e-12)


# -- the per-place tallies ---------------------------------------------------------------------

def test_place_tally_starts_at_zero_and_adds_where_told():
    t = PlaceTally(3, 2, 4)
    for arr in (t.hours, t.days, t.trial_participants, t.extended_entrants):
        assert arr.shape == (3, 2, 4)
        assert not arr.any()
    t.on_task(2, 1, 3, 1.25)
    t.on_task(2, 1, 3, 0.5)
    t.on_provider_days(0, 1, 2, 10.0)
    t.on_trial_entry(1, 0, 1, True)
    t.on_trial_entry(1, 0, 1, False)
    t.on_trial_entry(1, 0, 2, False)
    assert t.hours.sum() == 1.75 and t.hours[2, 1, 3] == 1.75
    assert t.days.sum() == 10.0 and t.days[0, 1, 2] == 10.0
    assert t.trial_participants.sum() == 1.0 and t.trial_participants[1, 0, 1] == 1.0
    assert t.extended_entrants.sum() == 2.0 and t.extended_entrants[1, 0, 1] == t.extended_entrants[1, 0, 2] == 1.0


def test_split_by_hand():
    """Hours (place × provider) = [[1, 3], [3, 0]], national FTE a = 8, b = 6, c absent:
    a splits 8·1/4 = 2 and 8·3/4 = 6; b all to place 0; c (no national figure, no hours) 0."""
    hours = np.array([[1.0, 3.0, 0.0], [3.0, 0.0, 0.0]])
    got = _split({"a": 8.0, "b": 6.0}, hours, ["a", "b", "c"])
    assert got.tolist() == [[2.0, 6.0, 0.0], [6.0, 0.0, 0.0]]


# -- the rows by municipality of a small run, against its spell log ------------------------------

DIGITAL = {"jobparat": 0.0, "dagpenge": 1.0}


@pytest.fixture(scope="module")
def small_national() -> tuple[Any, pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """A frozen national run under the 2027 reform (with both trials), half a year, about 500
    citizens spread over the 98 municipalities; its KPIs, rows by municipality and spell log."""
    ov = frozen({"jobparat": 400.0, "dagpenge": 600.0}, "reform_2027", years=0.5,
                **{"exemption.share": 0.0}) | _time_overrides(DIGITAL)
    p = sim.load_params(overrides=ov)
    model = Model(p, 0, SEED, record_spells=True)
    rec = model.run()
    kpis = kpi_frame(rec, 0, p.scenario, work_plan(p))
    rows = by_municipality_frame(model, 0, kpis, p.scenario)
    log = pd.DataFrame(model.spell_log)
    log["name"] = [model.places.names[i] for i in log.place]
    for col in ("dest", "trial_arm", "course_provider"):
        log[col] = log[col].astype(object).where(log[col].notna(), None)
    return p, kpis, rows, log


def _value(rows: pd.DataFrame, name: str, kpi: str, group: str = "all", provider: str = "all") -> float:
    sel = rows[(rows.municipality == name) & (rows.kpi == kpi) & (rows.group == group) & (rows.provider == provider)]
    assert len(sel) == 1, (name, kpi, group, provider)
    return float(sel.value.iloc[0])


def test_rows_have_the_columns_and_every_municipality(small_national):
    _, _, rows, log = small_national
    assert list(rows.columns) == COLUMNS
    assert rows.municipality.nunique() == 98
    assert log.place.nunique() > 40  # citizens did spread over many places


def test_stock_mean_and_inhabitants_per_place_by_hand(small_national):
    """stock_mean = the place's citizen-days (spell log: end − start, nobody leaves) / horizon, also
    0 where no citizen lives; inhabitants = CSV population share × population × scale."""
    p, kpis, rows, log = small_national
    sc = p.scenario
    horizon = float(sc.horizon_days)
    pop = _csv_population()
    total = sum(pop.values())
    days = (log.end - log.start).groupby([log.name, log.group]).sum()
    for name in pop:
        assert _value(rows, name, "inhabitants") == pytest.approx(
            pop[name] / total * sc.money.population * sc.scale, rel=1e-12)
        for g in ("jobparat", "dagpenge", "sygemeldt"):
            assert _value(rows, name, "stock_mean", g) == pytest.approx(days.get((name, g), 0.0) / horizon,
                                                                       rel=1e-9, abs=1e-12), (name, g)


def test_trial_rows_per_place_from_the_spell_log(small_national):
    """Free-choice participants and extended-course entrants a year, per place and course provider:
    the spell log's trial arms and course providers, divided by the run's years (0 elsewhere,
    not 1: the tallies start at 0)."""
    _, _, rows, log = small_national
    years = float(log.end.max()) / 365.25
    fc = log[log.trial_arm == "free_choice"].groupby(["name", "course_provider"]).size()
    ext = log[log.trial_arm == "extended"].groupby(["name", "course_provider"]).size()
    assert fc.sum() > 10 and ext.sum() > 100
    for kpi, counts in (("trial_participants_per_year", fc), ("extended_course_entrants_per_year", ext)):
        for name in _csv_population():
            for prov in ("municipality", "akasse", "other"):
                want = counts.get((name, prov), 0) / years
                assert _value(rows, name, kpi, "dagpenge", prov) == pytest.approx(want, rel=1e-9), (kpi, name, prov)
            all_ = sum(counts.get((name, q), 0) for q in ("municipality", "akasse", "other")) / years
            assert _value(rows, name, kpi, "dagpenge", "all") == pytest.approx(all_, rel=1e-9)


def test_fte_split_per_place_by_hand_and_sums_to_national(small_national):
    """Each provider's national fte_needed is split over the places in proportion to their diary
    and other case-work hours, worked out from the spell log with the test's own minutes and
    rates (test_independent_workload.hand_hours); the places add up to the national figure, and
    fte_per_1000_inhabitants is the place's total per 1,000 inhabitants."""
    _, kpis, rows, log = small_national
    handover = rule_set("reform_2027")["handover"]["day"]
    course_days = rule_set("reform_2027")["trials"]["course_days"]
    weights: dict[tuple[str, str], float] = defaultdict(float)
    for name, part in log.groupby("name"):
        for (_, prov), h in hand_hours(part, DIGITAL, handover, course_days).items():
            weights[name, prov] += h
    national = {r.provider: r.value for r in kpis[(kpis.kpi == "fte_needed") & (kpis.group == "all")].itertuples()}
    assert national["municipality"] > 0 and national["akasse"] > 0
    for prov in ("municipality", "akasse", "other"):
        tot = sum(v for (_, q), v in weights.items() if q == prov)
        col = rows[(rows.kpi == "fte_needed") & (rows.provider == prov)]
        assert col.value.sum() == pytest.approx(national[prov], rel=1e-9)
        for name in _csv_population():
            want = national[prov] * weights.get((name, prov), 0.0) / tot if tot > 0 else 0.0
            assert _value(rows, name, "fte_needed", "all", prov) == pytest.approx(want, rel=1e-9, abs=1e-12)
    all_rows = rows[(rows.kpi == "fte_needed") & (rows.provider == "all")]
    assert all_rows.value.sum() == pytest.approx(national["all"], rel=1e-9)
    name = log.name.value_counts().index[0]
    inh = _value(rows, name, "inhabitants")
    assert _value(rows, name, "fte_per_1000_inhabitants") == pytest.approx(
        _value(rows, name, "fte_needed") / inh * 1000.0, rel=1e-12)
    assert PRODUCTIVE_H == 1400.0  # the time overrides this test relies on


def test_runner_returns_the_same_rows():
    """run(..., by="municipality") gives the frame built above (same seed, same replication)."""
    ov = frozen({"jobparat": 150.0}, "pre_reform", years=0.25, **{"exemption.share": 0.0})
    p = sim.load_params(overrides=ov)
    res = run(p, replications=1, seed=SEED, workers=1, by="municipality")
    b = res.by_municipality
    assert b is not None and list(b.columns) == COLUMNS
    sm = b[b.kpi == "stock_mean"].groupby("group").value.sum()
    assert sm["jobparat"] == pytest.approx(res.kpi("stock_mean", "jobparat")[0], rel=1e-9)

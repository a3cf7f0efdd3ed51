"""Who belongs where (issue 12, items 1 and 4): every citizen in one of the 98 municipalities, each
dagpenge citizen in an a-kasse, the trials by place, and the municipality preset with the user's
other overrides.

Expected values come from the parameter files and the municipality table (population shares,
stocks × scale), from the population module's own generators run without the model, and from
binomial confidence bounds; never from the place draw under test.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

import sim
from sim.engine.model import STOCK_KEY_BASE, Model
from sim.engine.population import arrivals, external_inflows, spell_distributions
from sim.engine.randomness import Streams
from sim.inputs.municipalities import municipalities, population_share

SEED = 5
OVER = {"scale": 0.02, "years": 1.0}


@pytest.fixture(scope="module")
def national():
    params = sim.load_params(overrides=OVER)
    model = Model(params, 0, SEED, record_spells=True)
    model.run()
    df = pd.DataFrame(model.spell_log)
    df["name"] = [model.places.names[i] for i in df.place]
    return params, model, df


def _citizens(df: pd.DataFrame) -> pd.DataFrame:
    """One row per citizen: its first spell (a citizen keeps its place across spells)."""
    return df.sort_values("start").groupby("key", as_index=False).first()


def test_a_citizen_keeps_its_municipality_and_akasse_across_spells(national):
    _, _, df = national
    assert (df.groupby("key").place.nunique() == 1).all()
    assert (df.groupby("key").fund.nunique() == 1).all()


def test_the_initial_stock_sums_to_the_national_stock(national):
    """The stock of each group is round(stock × scale) as before places existed, and the
    municipalities' stocks sum to it."""
    params, _, df = national
    sc = params.scenario
    stock = df[(df.key >= STOCK_KEY_BASE) & (df.start <= 0) & ~df.key.duplicated()]
    first = stock.sort_values("start").groupby("key").first()
    for g, grp in sc.groups.items():
        expected = int(round(grp.stock * sc.scale))
        per_place = first[first.group == g].groupby("place").size()
        assert per_place.sum() == expected, g


def test_arrivals_are_exactly_those_of_the_population_streams(national):
    """The number of new citizens per group equals what the arrival generator gives on its own,
    without the model and without places: drawing places moves no other stream."""
    params, model, df = national
    dists = spell_distributions(params.scenario)
    inflows = external_inflows(params.scenario.groups, dists)
    new = _citizens(df[df.key < STOCK_KEY_BASE])
    for gi, g in enumerate(params.scenario.groups):
        n = sum(len(b.keys) for b in arrivals(params, g, inflows[g], Streams(SEED, 0), gi << 40))
        got = int(((new.key.to_numpy(dtype=np.int64) >> 40) == gi).sum())
        assert got == n, g


def test_municipality_shares_follow_population(national):
    """Citizens per municipality against population shares: København's share within a 99.9 %
    binomial bound, and a chi-square over the municipalities grouped into ten bins of population."""
    _, _, df = national
    cit = _citizens(df)
    n = len(cit)
    table = municipalities()
    kbh = population_share(next(m for m in table if m.name == "København"))
    got = (cit.name == "København").mean()
    assert abs(got - kbh) < 3.29 * math.sqrt(kbh * (1 - kbh) / n), (got, kbh)
    shares = pd.Series({m.name: population_share(m) for m in table}).sort_values()
    bins = np.array_split(shares.index.to_numpy(), 10)
    counts = cit.name.value_counts()
    chi2 = 0.0
    for b in bins:
        p = shares[list(b)].sum()
        chi2 += (counts.reindex(list(b)).fillna(0).sum() - n * p) ** 2 / (n * p)
    assert chi2 < 27.88  # chi-square, 9 degrees of freedom, 0.999 quantile


def test_akasse_shares_follow_the_parameters(national):
    params, model, df = national
    dag = _citizens(df[df.group == "dagpenge"])
    shares = params.scenario.unemployment_funds.shares
    assert model.places.funds == tuple(shares)
    for i, (_, p) in enumerate(shares.items()):
        got = (dag.fund == i).mean()
        assert abs(got - p) < 3.29 * math.sqrt(p * (1 - p) / len(dag)), (i, got, p)


def test_trial_participants_only_in_the_19(national):
    """Free choice only in the 19 free-choice municipalities, the extended a-kasse course only in
    the others; and the 19 have free-choice participants."""
    _, _, df = national
    free = {m.name for m in municipalities() if m.free_choice}
    assert len(free) == 19
    fc = df[df.trial_arm == "free_choice"]
    ext = df[df.trial_arm == "extended"]
    assert len(fc) > 50 and len(ext) > 500
    assert set(fc.name) <= free
    assert not set(ext.name) & free
    # participation: the share of new dagpenge spells in the 19 that take part, about trials.participation
    new19 = df[(df.group == "dagpenge") & df.name.isin(free) & df.new_entry & (df.start >= 0)]
    part = new19.trial_arm.eq("free_choice").mean()
    assert part == pytest.approx(0.254, abs=3.29 * math.sqrt(0.254 * 0.746 / len(new19)))


def test_the_national_share_lever_still_overrides_places():
    """trials.free_choice_share = 1 puts every place's entrants into free choice (a what-if)."""
    params = sim.load_params(overrides=OVER | {"trials.free_choice_share": 1.0, "trials.participation": 1.0})
    model = Model(params, 0, SEED, record_spells=True)
    model.run()
    df = pd.DataFrame(model.spell_log)
    assert set(df.trial_arm.dropna()) == {"free_choice"}


def test_a_municipality_run_keeps_the_users_other_overrides_and_has_one_place():
    p = sim.load_params(overrides={"municipality": "Odense", "scale": "0.5", "trials.participation": "0.3",
                                   "trials.enabled": "false", "years": "0.5"})
    sc = p.scenario
    assert sc.municipality == "Odense" and sc.scale == 0.5
    assert sc.trials.participation == 0.3 and sc.trials.enabled is False
    assert p.sources["scale"] == "override (user)" == p.sources["trials.participation"]
    model = Model(sim.load_params(overrides={"municipality": "Odense", "years": 0.25}), 0, SEED, record_spells=True)
    model.run()
    assert model.places.names == ("Odense",)
    assert {r["place"] for r in model.spell_log} == {0}

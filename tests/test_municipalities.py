"""The municipality table and the municipality presets (issue 7, deliverable 2)."""

from __future__ import annotations

import pytest

import sim
from sim.inputs.municipalities import TRIALS, find, municipalities, population_share

FREE_CHOICE = {"Assens", "Ballerup", "Brøndby", "Faaborg-Midtfyn", "Gentofte", "Gladsaxe", "Glostrup", "Herlev",
               "Hvidovre", "Høje-Taastrup", "København", "Langeland", "Lyngby-Taarbæk", "Nordfyns", "Nyborg",
               "Rødovre", "Svendborg", "Vallensbæk", "Ærø"}


def test_every_municipality_has_a_population_with_year_and_source_and_a_trial():
    table = municipalities()
    assert len(table) == 98
    assert len({m.name for m in table}) == 98
    for m in table:
        assert m.population > 0 and 1000 < m.population < 1_000_000, m
        assert 2007 <= m.year <= 2030 and m.source, m
        assert m.trial in TRIALS, m
    years = {m.year for m in table}
    assert len(years) == 1, "all rows from one year, so that shares are consistent"


def test_the_19_free_choice_municipalities_are_the_ones_marked():
    assert {m.name for m in municipalities() if m.free_choice} == FREE_CHOICE


def test_population_total_is_denmark():
    total = sum(m.population for m in municipalities())
    assert 5.5e6 < total < 6.1e6


@pytest.mark.parametrize("spelling", ["København", "Koebenhavn", "Kobenhavn", "Copenhagen", "KØBENHAVN KOMMUNE",
                                      "københavn"])
def test_spellings_of_copenhagen(spelling):
    assert find(spelling).name == "København"


@pytest.mark.parametrize("spelling,name", [("Århus", "Aarhus"), ("aarhus", "Aarhus"), ("Laesoe", "Læsø"),
                                           ("Hoeje-Taastrup", "Høje-Taastrup"), ("Nordfyn", "Nordfyns"),
                                           ("vesthimmerland", "Vesthimmerlands")])
def test_other_spellings(spelling, name):
    assert find(spelling).name == name


def test_unknown_name_lists_close_matches():
    with pytest.raises(sim.ParamError) as err:
        sim.load_params(overrides={"municipality": "Odensee"})
    assert err.value.field == "municipality"
    assert "Odense" in str(err.value)


def test_preset_sets_scale_trial_and_sources():
    kbh = sim.load_params(overrides={"municipality": "Copenhagen"})
    assert kbh.scenario.municipality == "København"
    assert kbh.scenario.scale == pytest.approx(population_share(find("København")))
    assert kbh.scenario.trials.free_choice_share == 1.0
    assert "København" in kbh.sources["scale"] and "2026" in kbh.sources["scale"]
    assert "trials.free_choice_share" in kbh.sources
    odense = sim.load_params(overrides={"municipality": "Odense"})
    assert odense.scenario.trials.free_choice_share == 0.0
    assert odense.scenario.scale < kbh.scenario.scale


def test_copenhagen_stock_is_its_population_share_of_the_national_stock():
    params = sim.load_params(overrides={"municipality": "København", "years": 0.25, "capacity.unlimited": True})
    national = sum(g.stock for g in params.scenario.groups.values())
    res = sim.run(params, replications=1, seed=3, workers=1)
    stock = res.kpi("stock_mean").iloc[0]
    assert stock == pytest.approx(params.scenario.scale * national, rel=0.05)

"""The explorer's callbacks without a browser (issue 15 item 4): controls -> overrides -> run ->
headline and charts, and the ipywidgets panel driven as the button would drive it.

Expected overrides are worked out by hand: FTE set for a population become national-equivalent
FTE (÷ the population's share of Denmark, from the municipality table's documented total), so the
engine's sample at scale s gets FTE × s / share."""

from __future__ import annotations

import datetime as dt
from dataclasses import replace

import pytest

from sim.explorer import (
    DENMARK,
    REPLICATIONS_ENV,
    SAMPLE_SCALE,
    SCALE_ENV,
    TIMELINE,
    Controls,
    build_panel,
    default_fte,
    explore,
    overrides,
    replications,
    sample_scale,
    scenario,
)
from sim.inputs.errors import ParamError

MUNICIPALITY_TOTAL = 6_025_603 - 92  # params/municipalities.csv header (1 Jan 2026): 98 rows + Christiansø (92)
ODENSE = 213_168 / MUNICIPALITY_TOTAL
LAESOE = 1_683 / MUNICIPALITY_TOTAL


@pytest.fixture(autouse=True)
def _no_env(monkeypatch):
    monkeypatch.delenv(SCALE_ENV, raising=False)
    monkeypatch.delenv(REPLICATIONS_ENV, raising=False)


def test_the_sample_is_at_most_the_default_share_and_never_more_than_the_municipality(monkeypatch) -> None:
    assert sample_scale(Controls()) == SAMPLE_SCALE
    assert sample_scale(Controls(municipality="København")) == SAMPLE_SCALE  # 11 % of Denmark: a sample of it
    assert sample_scale(Controls(municipality="Odense")) == pytest.approx(ODENSE, rel=1e-12)  # 3.5 %: all of it
    assert sample_scale(Controls(municipality="Læsø")) == pytest.approx(LAESOE, rel=1e-12)
    monkeypatch.setenv(SCALE_ENV, "0.01")
    monkeypatch.setenv(REPLICATIONS_ENV, "1")
    assert sample_scale(Controls()) == 0.01 and replications(Controls(replications=5)) == 1
    monkeypatch.setenv(SCALE_ENV, "small")
    with pytest.raises(ParamError, match=SCALE_ENV):
        sample_scale(Controls())


def test_controls_become_overrides_with_fte_for_the_population() -> None:
    c = Controls(municipality="Odense", rules="reform_2026", exemption_policy="targeted", exemption_share=0.1,
                 trial_participation=0.5, fte={"municipality": 100.0}, years=0.5, scale=0.01)
    o = overrides(c)
    assert o["municipality"] == "Odense" and o["rules"] == "reform_2026" and o["scale"] == 0.01
    assert (o["exemption.policy"], o["exemption.share"], o["trials.participation"]) == ("targeted", 0.1, 0.5)
    step = o["capacity.providers.municipality.fte"][0]
    assert step["fte"] == pytest.approx(100.0 / ODENSE, rel=1e-12)
    p = scenario(c).scenario
    # the engine's sample gets FTE × scale: 100 FTE for Odense at a 1 % sample of Denmark
    assert p.capacity.providers["municipality"].fte[0].fte * p.scale == pytest.approx(100.0 * 0.01 / ODENSE)
    assert p.municipality == "Odense" and p.exemption.policy == "targeted"


def test_the_timeline_starts_with_its_first_rule_set() -> None:
    o = overrides(Controls(rules=TIMELINE))
    assert [s["set"] for s in o["rules"]] == ["pre_reform", "reform_2026", "reform_2027"]
    assert o["start_date"] == dt.date(2026, 1, 1)
    with pytest.raises(ParamError, match="rules"):
        overrides(Controls(rules="reform_2099"))


def test_the_exemption_slider_stops_at_the_law() -> None:
    from sim.explorer import exemption_cap

    assert exemption_cap("pre_reform") == 0.0  # no exemption pool before the reform
    assert exemption_cap("reform_2027") == 0.25  # one in four (the 2027 rule set's max_share)
    panel = build_panel("unused", Controls(rules="reform_2027", exemption_share=0.25, replications=1))
    panel.controls["rules"].value = "pre_reform"
    assert panel.controls["exemption_share"].value == 0.0


def test_default_fte_is_the_national_fte_times_the_share() -> None:
    dk, odense = default_fte(DENMARK), default_fte("Odense")
    assert set(dk) == {"municipality", "akasse", "other"}
    for p in dk:
        assert odense[p] == pytest.approx(dk[p] * ODENSE, abs=0.05)


SMALL = Controls(municipality="Odense", replications=1, years=0.5, scale=0.005)


def test_explore_returns_the_headline_and_the_two_charts(tmp_path) -> None:
    seen: list[tuple[int, int]] = []
    a = explore(replace(SMALL, replications=2), tmp_path / "x", progress=lambda d, t: seen.append((d, t)))
    assert seen == [(0, 2), (1, 2), (2, 2)]
    assert set(a.figures) == {"fte", "compliance"}
    assert "Counts are for Odense" in a.headline and len(a.headline.splitlines()) <= 22
    assert (a.run_dir / "summary.csv").is_file() and not a.compliance.empty
    assert a.results.provenance["scale"] == 0.005


def test_more_fte_never_lowers_compliance_in_the_explorer(tmp_path) -> None:
    """The FTE control reaches the engine: with a tenth of the default FTE the legal minimums are
    met no more often than with the default (same seeds)."""
    base = default_fte("Odense")
    lean = {p: v / 10 for p, v in base.items()}
    a = explore(replace(SMALL, fte=base), tmp_path / "a").compliance
    b = explore(replace(SMALL, fte=lean), tmp_path / "b").compliance
    merged = a.merge(b, on=["kpi", "group"], suffixes=("_base", "_lean"))
    assert (merged["mean_lean"] <= merged["mean_base"] + 1e-12).all()
    assert (merged["mean_lean"] < merged["mean_base"]).any()


def test_the_panel_runs_as_the_button_would(tmp_path) -> None:
    panel = build_panel(tmp_path / "panel", replace(SMALL, fte=default_fte("Odense")))
    panel.controls["exemption_share"].value = 0.1
    panel.controls["municipality"].value = "Læsø"  # resets the FTE boxes to Læsø's
    assert panel.fte["municipality"].value == pytest.approx(default_fte("Læsø")["municipality"])
    panel.controls["years"].value = 0.5
    c = panel.read()
    assert (c.municipality, c.exemption_share, c.replications) == ("Læsø", 0.1, 1)
    panel.button.click()
    assert len(panel.answers) == 1
    answer = panel.answers[0]
    assert "Counts are for Læsø" in answer.headline
    assert panel.progress.value == panel.progress.max == 1
    assert answer.results.provenance["params"]["exemption"]["share"] == 0.1


def test_a_bad_control_shows_one_line_and_no_answer(tmp_path, capsys) -> None:
    panel = build_panel(tmp_path / "bad", replace(SMALL, fte=default_fte("Odense")))
    panel.fte["akasse"].value = -5.0
    assert panel.run() is None and panel.answers == []
    printed = capsys.readouterr().out.replace("\x1b[2K", "").lstrip("\r")
    assert printed == "error: FTE akasse = -5.0: a number of FTE >= 0 for Odense\n"

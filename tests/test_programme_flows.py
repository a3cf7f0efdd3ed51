"""Abolished programmes as flows (issue 11 item 3): ressourceforløb, revalidering and jobafklaring are
groups with a stock and flows; a rule set closes them to new cases ([[closures]]).

What the law says [STAR's questions and answers, 19 Nov 2025]: who was granted a course before it
closed finishes it under the old rules; nobody enters after; would-be entrants of ressourceforløb and
revalidering get cash benefit with an individual effort (activity-ready); jobafklaring is replaced
by reduced-rate sickness benefit (they stay sick-listed), and who leaves a course at its limit goes
to it. The expected values below are counted from the spell log (a second view of the same run) or
computed by hand from the rule-set numbers, never from the workload code under test.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from conftest import GROUPS, only_group, spells

import sim
from sim.engine.model import GROUP_KEY_SHIFT, STOCK_KEY_BASE
from sim.inputs.errors import ParamError
from sim.inputs.files import params_dir

WORK, OTHER = "work", "other"


def _timeline_scenario(tmp_path: Path, start: str, steps: list[tuple[str, str]], keep: dict[str, float],
                       years: float = 1.0, scale: float = 0.05) -> sim.LoadedParams:
    """The national default on a dated rule timeline, with only the groups in `keep` populated
    (stock × `keep[g]`); the others start empty and get no external inflow."""
    rules = ", ".join(f'{{ from = {d}, set = "{s}" }}' for d, s in steps)
    f = tmp_path / "timeline.toml"
    f.write_text(f'extends = "{(params_dir() / "national_default.toml").as_posix()}"\nname = "t"\n'
                 f'start_date = {start}\nyears = {years}\nrules = [{rules}]\n', encoding="utf-8")
    base = sim.load_params()
    ov: dict[str, object] = {"scale": scale, "capacity.unlimited": True, "exemption.share": 0.0}
    for g in GROUPS:
        if g in keep:
            ov[f"groups.{g}.stock"] = base.scenario.groups[g].stock * keep[g]
        else:
            ov[f"groups.{g}.stock"] = 0.0
            ov[f"groups.{g}.inflow_per_year"] = 0.0
    return sim.load_params(f, ov)


def _origin(key: int) -> int:
    """The group index a citizen first arrived in (arrival keys carry it above GROUP_KEY_SHIFT)."""
    return (key % STOCK_KEY_BASE) >> GROUP_KEY_SHIFT


def _in_stock(df: pd.DataFrame, group: str, day: float) -> pd.DataFrame:
    """Spells of `group` under way on `day` (a spell still under way at the horizon ends there with
    no destination)."""
    return df[(df.group == group) & (df.start <= day) & (df.end > day)]


@pytest.fixture(scope="module")
def rf_closing(tmp_path_factory):
    """1 Jan to 31 Dec 2026: pre_reform, then reform_2026_feb from 1 Feb (ressourceforløb and
    revalidering closed). Activity-ready and both programmes populated."""
    p = _timeline_scenario(tmp_path_factory.mktemp("rf"), "2026-01-01",
                           [("2026-01-01", "pre_reform"), ("2026-02-01", "reform_2026_feb")],
                           {"aktivitetsparat": 1.0, "ressourceforloeb": 1.0, "revalidering": 1.0})
    df, model = spells(p, seed=3)
    return p, df, model


@pytest.mark.parametrize("group", ["ressourceforloeb", "revalidering"])
def test_closed_programme_takes_no_new_cases_and_its_stock_finishes_the_course(rf_closing, group):
    p, df, model = rf_closing
    close = model.switch_days[0]
    assert close == 31  # 1 Feb 2026 counted from 1 Jan 2026
    sp = df[df.group == group]
    before = _in_stock(df, group, close - 1)
    assert len(sp[(sp.start > 0) & (sp.start < close)]) > 0  # it did take cases before
    assert len(sp[sp.start >= close]) == 0  # none on or after the closing day
    # the day before's stock finishes its course: each either is still in at the end or has left
    # by the group's own exits (work, other, back to activity-ready), none the day it closed by force
    left = before[before.dest.notna()]
    assert len(before) > 50
    assert set(left.dest) <= {WORK, OTHER, "aktivitetsparat"}
    assert len(before) == before.dest.isna().sum() + len(left)  # persons conserved
    # not everyone left on the closing day: the course runs on under the old rules
    assert (left.end == close).sum() <= 0.05 * len(before)


def test_would_be_entrants_of_a_closed_programme_are_activity_ready(rf_closing):
    p, df, model = rf_closing
    close = model.switch_days[0]
    groups = list(p.scenario.groups)
    gi = {g: groups.index(g) for g in groups}
    ext = df[df.external & (df.start > 0)]
    for g in ("ressourceforloeb", "revalidering"):
        born = ext[ext.key.map(_origin) == gi[g]]
        assert set(born[born.start < close].group) == {g}
        after = born[born.start >= close]
        assert len(after) > 0 and set(after.group) == {"aktivitetsparat"}
    # activity-ready citizens who drew the move to ressourceforløb after the closing day stayed
    moved = df[(df.group == "ressourceforloeb") & ~df.external & (df.start > 0)]
    assert (moved.start < close).all()
    assert model.closed_moves.get("aktivitetsparat", 0) > 0


def test_persons_are_conserved_in_every_group(rf_closing):
    """In stock at the start + arrived (from outside or another group) = exited + in stock at the
    end, group by group: the recorder's counters (kept apart from the spell log) against the log,
    across the closing day; the ignored moves into the closed programme created nobody."""
    p, df, model = rf_closing
    c = model.recorder._c
    for gi, g in enumerate(p.scenario.groups):
        sp = df[df.group == g]
        assert c["start"][gi] == (sp.start <= 0).sum()
        assert c["arrived"][gi] == (sp.start > 0).sum()
        assert c["exited"][gi] == sp.dest.notna().sum()
        assert c["in_stock_end"][gi] == sp.dest.isna().sum()
        assert c["start"][gi] + c["arrived"][gi] == c["exited"][gi] + c["in_stock_end"][gi]
    # one spell log row per spell: no citizen is in two places at once
    assert not df.duplicated(["key", "start"]).any()
    # every move out of a group starts a spell in its destination the same day
    moves = df[df.dest.isin(list(p.scenario.groups))]
    starts = df.set_index(["key", "start"]).index
    assert all((k, e) in starts for k, e in zip(moves.key, moves.end, strict=True))


def test_jobafklaring_closes_on_1_january_2027_and_its_leavers_get_sickness_benefit(tmp_path):
    p = _timeline_scenario(tmp_path, "2026-10-01", [("2026-10-01", "reform_2026"), ("2027-01-01", "reform_2027")],
                           {"sygemeldt": 1.0, "jobafklaring": 1.0}, years=1.0)
    df, model = spells(p, seed=5)
    close = model.switch_days[0]
    assert close == 92  # 1 Jan 2027 counted from 1 Oct 2026
    sp = df[df.group == "jobafklaring"]
    assert len(sp[(sp.start > 0) & (sp.start < close)]) > 0
    assert len(sp[sp.start >= close]) == 0
    before = _in_stock(df, "jobafklaring", close - 1)
    after_close = before[before.dest.notna() & (before.end >= close)]
    # a course that ends in a move after the closing day leads to reduced-rate sygedagpenge
    assert set(after_close.dest) <= {WORK, OTHER, "sygemeldt"}
    assert (after_close.dest == "sygemeldt").sum() > 0
    # before the closing day the same course could end on cash benefit
    early = sp[sp.dest.notna() & (sp.end < close)]
    assert "aktivitetsparat" in set(early.dest)
    # sick-listed who would have entered jobafklaring stay sick-listed
    assert model.closed_moves.get("sygemeldt", 0) > 0
    assert len(before) == before.dest.isna().sum() + before.dest.notna().sum()


def _hand_hours(df: pd.DataFrame, horizon: float, group: str, hours_per_week: float, per_start: float) -> float:
    """Citizen-weeks in `group` × hours per week + spell starts × hours per start, from the log."""
    sp = df[df.group == group]
    weeks = (sp.end - sp.start.clip(lower=0.0)).sum() / 7.0
    return weeks * hours_per_week + (sp.start > 0).sum() * per_start


def test_programme_work_follows_its_stock_by_hand():
    """Only ressourceforløb receives citizens, who never leave (frozen): rf_casework is 0.85 h per
    citizen-week in it and the rehabilitation team's case before a course 20 h per entrant
    (pre_reform's numbers); no other item books on it."""
    p = sim.load_params(overrides=only_group("ressourceforloeb", 500.0, "pre_reform", years=1.0))
    res = sim.run(p, replications=1, seed=4, workers=1)
    df, _ = spells(p, seed=4)
    horizon = float(p.scenario.horizon_days)
    w = res.workload.groupby("item").hours.sum()
    years = horizon / 365.25
    assert len(df) > 300 and set(df.group) == {"ressourceforloeb"}
    assert w["rf_casework"] * years == pytest.approx(_hand_hours(df, horizon, "ressourceforloeb", 0.85, 0.0), rel=1e-9)
    assert w["rehab_case_entry"] * years == pytest.approx(20.0 * len(df), rel=1e-12)
    # the flat work items are gone: no FTE without citizens in the programme
    assert "jobafklaring_casework" not in w.index and "revalidering_casework" not in w.index


def test_doubling_a_programme_items_hours_doubles_its_fte_exactly():
    ov = only_group("jobafklaring", 300.0, "pre_reform", years=1.0)
    base = sim.run(sim.load_params(overrides=ov), replications=1, seed=6, workers=1).workload
    ov2 = {**ov, "rules.pre_reform.work_items.jobafklaring_casework.range_high": 1.6,
           "rules.pre_reform.work_items.jobafklaring_casework.hours": 1.6}
    dbl = sim.run(sim.load_params(overrides=ov2), replications=1, seed=6, workers=1).workload

    def fte(w: pd.DataFrame, item: str) -> float:
        return float(w[w["item"] == item].fte.sum())

    assert fte(base, "jobafklaring_casework") > 0
    assert fte(dbl, "jobafklaring_casework") == pytest.approx(2 * fte(base, "jobafklaring_casework"), rel=1e-12)
    assert fte(dbl, "talk") == pytest.approx(fte(base, "talk"), rel=1e-12)  # the rest does not move


def test_work_item_override_names_an_unknown_id_in_one_line():
    ov = {"rules": "pre_reform", "exemption.share": 0.0, "rules.pre_reform.work_items.no_such_item.hours": 1.0}
    with pytest.raises(ParamError) as e:
        sim.load_params(overrides=ov)
    msg = str(e.value)
    assert "\n" not in msg and "no_such_item" in msg and "rf_casework" in msg
    with pytest.raises(ParamError, match="a rule set of the scenario"):
        sim.load_params(overrides={"rules.reform_2099.work_items.rf_casework.hours": 1.0})

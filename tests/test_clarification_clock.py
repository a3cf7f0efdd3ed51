"""The clarification clock of issue 12, item 7: time in the cash-benefit system, and the STU exception.

The 2027 yearly clarification (params/rules/reform_2027.toml: first_day 365, every_days 365,
counted_in "cash_benefit_system", stu_grace_days 30; the cash-benefit system is jobparat and
aktivitetsparat) is planned `clarification_lead_days` = 14 days before its due day (the national
default's planning table). Every expected day below is worked out by hand from those numbers.
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from conftest import only_group, spells

import sim
from sim.engine.citizen import NONE_YET, Citizen, new_citizen
from sim.engine.clarification_clock import next_due, stay_start
from sim.engine.hazard import INF
from sim.engine.planner import CLARIF, Planner
from sim.engine.randomness import ROW_WIDTH, Streams
from sim.engine.spell_scoring import score_spell
from sim.engine.stu import StuDraws
from sim.inputs.errors import ParamError
from sim.inputs.rules import RuleSet, load_rule_set
from sim.inputs.schema import DAYS_PER_YEAR, Stu

LEAD = 14.0
RULES_DIR = Path(__file__).parent.parent / "params" / "rules"


@pytest.fixture(scope="module")
def params():
    return sim.load_params()


@pytest.fixture(scope="module")
def r27(params) -> RuleSet:
    return params.rule_sets["reform_2027"]


def aktivitetsparat(r27: RuleSet, spell_start: float, cash_start: float, stu_end: float | None = None,
                    **fields) -> Citizen:
    """An activity-ready new entrant at the start of its spell, as the model holds it."""
    attrs = {"frailty": [1.0], "under_30": [True], "short_absence": [False], "cap_day": [INF],
             "stu_end": [np.nan if stu_end is None else stu_end]}
    c = new_citizen(3, np.full(ROW_WIDTH, 0.5), attrs, 0, need_weight=0.0)
    c.g, c.spell_start, c.case_start, c.cash_start, c.new_entry = "aktivitetsparat", spell_start, spell_start, \
        cash_start, True
    c.talk_log = NONE_YET
    c.offer_days, c.clar_days, c.clar_dues, c.plan, c.seq, c.windows = [], [], [], [], 0, []
    c.request_day, c.request_seq = math.inf, 0
    c.first_block, c.rules, c.exempt, c.exempt_separate = None, r27, False, False
    for k, v in fields.items():
        setattr(c, k, v)
    return c


def planned_clarifications(params, c: Citizen, now: float) -> list[tuple[float, float]]:
    """(target day, due day) of the clarifications in the citizen's plan, days of the run."""
    p = Planner(params.scenario.planning, {g: 0.0 for g in params.scenario.groups}, Streams(1, 0))
    p.plan(c, c.rules, now)
    return sorted((day, payload[1]) for day, _, kind, payload in c.plan if kind == CLARIF)


class Facts:
    """The compliance sink of the scoring: a list of (name, met)."""

    def __init__(self):
        self.calls: list[tuple[str, bool]] = []

    def on_pool(self, g, exempt): ...
    def on_trial_outcome(self, arm, p, score, work6): ...

    def on_compliance(self, g, name, met):
        self.calls.append((name, met))

    def on_rule(self, kind, g, met):
        self.calls.append((kind, met))


def clarification_facts(c: Citizen, end: float, horizon: float = 5000.0) -> list[tuple[str, bool]]:
    facts = Facts()
    score_spell(facts, c, 2, end, horizon, {"municipality": 0, "akasse": 1, "other": 2})
    return [f for f in facts.calls if f[0] in ("clar", "yearly_clarification")]


def test_the_lead_and_the_rule_are_the_numbers_worked_with(params, r27):
    assert params.scenario.planning.clarification_lead_days == LEAD
    (cl,) = r27.groups["aktivitetsparat"].clarifications
    assert (cl.first_day, cl.every_days, cl.counted_in, cl.stu_grace_days) == (365, 365, "cash_benefit_system", 30)
    assert set(r27.cash_benefit_system.groups) == {"jobparat", "aktivitetsparat"}


# -- (a) the clock runs across jobparat -> aktivitetsparat ----------------------------------------

def test_a_move_from_jobparat_after_240_days_is_due_on_day_365_of_the_stay(params, r27):
    """Job-ready from day 0, activity-ready from day 240: the stay began on day 0, so the yearly
    clarification is due on day 365 = 125 days into the new spell (not 240 + 365 = 605), aimed at
    365 - 14 = 351; the next one a year later, on day 730."""
    start = stay_start(r27, "jobparat", "aktivitetsparat", 0.0, 240.0)
    assert start == 0.0
    c = aktivitetsparat(r27, 240.0, start)
    (cl,) = r27.groups["aktivitetsparat"].clarifications
    assert next_due(c, cl, 240.0) == pytest.approx(365.0)
    assert next_due(c, cl, 365.0) == pytest.approx(730.0)
    assert planned_clarifications(params, c, 240.0) == [(pytest.approx(351.0), pytest.approx(365.0))]


def test_the_clarification_is_scored_on_day_365_of_the_stay(r27):
    """Held on day 360 for the due day 365: met. Held on day 366: late. A spell that ends on day 364
    is not counted (not in the spell when due); one that lasts to day 800 counts 365 and 730."""
    c = aktivitetsparat(r27, 240.0, 0.0, clar_days=[360.0], clar_dues=[365.0])
    assert clarification_facts(c, end=400.0) == [("clar", True), ("yearly_clarification", True)]
    assert clarification_facts(c, end=364.0) == []
    late = aktivitetsparat(r27, 240.0, 0.0, clar_days=[366.0], clar_dues=[365.0])
    assert clarification_facts(late, end=400.0) == [("clar", False), ("yearly_clarification", False)]
    both = aktivitetsparat(r27, 240.0, 0.0, clar_days=[360.0, 720.0], clar_dues=[365.0, 730.0])
    assert clarification_facts(both, end=800.0) == [("clar", True), ("yearly_clarification", True)] * 2


def test_the_clock_is_kept_back_and_forth_inside_the_system(r27):
    """aktivitetsparat from day 0, jobparat from day 100, aktivitetsparat again from day 200: the
    stay still began on day 0, so the clarification is due on day 365."""
    s1 = stay_start(r27, None, "aktivitetsparat", None, 0.0)
    s2 = stay_start(r27, "aktivitetsparat", "jobparat", s1, 100.0)
    s3 = stay_start(r27, "jobparat", "aktivitetsparat", s2, 200.0)
    assert (s1, s2, s3) == (0.0, 0.0, 0.0)
    (cl,) = r27.groups["aktivitetsparat"].clarifications
    assert next_due(aktivitetsparat(r27, 200.0, s3), cl, 200.0) == pytest.approx(365.0)


def test_moves_into_aktivitetsparat_are_planned_on_the_stays_clock_in_a_run():
    """Only job-ready entrants who never leave but move to activity-ready at 0.01 a week (2 years,
    unlimited capacity). Each activity-ready spell that follows a job-ready one keeps that spell's
    start as its stay's start, and its first clarification is held in [due - 14, due] with due the
    first stay start + 365 k after the move (for those on STU, see the STU tests). The
    activity-ready never leave, so that many are still there when due."""
    base = sim.load_params().scenario.groups
    n_jp, n_ak = len(base["jobparat"].hazard.breaks_weeks), len(base["aktivitetsparat"].hazard.breaks_weeks)
    stay = {f"groups.aktivitetsparat.hazard.{k}": [0.0] * n_ak
            for k in ["work", "other", *(f"to.{g}" for g in base["aktivitetsparat"].hazard.to)]}
    p = sim.load_params(overrides=only_group("jobparat", 300.0, "reform_2027", years=2.0,
                                             **{"groups.jobparat.hazard.to.aktivitetsparat": [0.01] * n_jp}, **stay))
    df, model = spells(p)
    jp = df[df.group == "jobparat"].set_index("key")
    ak = df[(df.group == "aktivitetsparat") & df.new_entry]
    moved = ak[ak.key.isin(jp.index)]
    checked = 0
    for row in moved.itertuples():
        before = jp.loc[row.key]
        if isinstance(before, type(jp)):  # more than one job-ready spell: take the one ending at the move
            before = before[before.end == row.start].iloc[0]
        assert before.end == row.start
        assert row.stay_start == before.stay_start
        due = row.stay_start + 365.0
        while due <= row.start:
            due += 365.0
        if pd.notna(row.stu_end) or due > min(row.end, model.horizon) or due - row.start < LEAD + 7.0:
            continue  # (one due within three weeks of the move is aimed at once, the next working day)
        assert any(due - LEAD <= row.start + d <= due for d in row.clarifications), (row.start, due)
        checked += 1
    assert checked > 20
    assert (moved.stay_start < moved.start).all()


# -- (b) the STU exception ----------------------------------------------------------------------------

def test_a_citizen_on_stu_until_day_500_is_due_by_day_530(params, r27):
    """Due day 365 falls on STU (which ends on day 500): due 500 + 30 = 530 instead, aimed at
    530 - 14 = 516; the next yearly day, 730, is after the STU and stays."""
    c = aktivitetsparat(r27, 0.0, 0.0, stu_end=500.0)
    (cl,) = r27.groups["aktivitetsparat"].clarifications
    assert next_due(c, cl, 0.0) == pytest.approx(530.0)
    assert next_due(c, cl, 530.0) == pytest.approx(730.0)
    assert planned_clarifications(params, c, 0.0) == [(pytest.approx(516.0), pytest.approx(530.0))]


def test_the_deferred_clarification_is_scored_on_its_deferred_day(r27):
    """Held on day 520 for due 530: met, and day 365 is not asked for; a spell ending on day 529
    counts nothing; held on day 531: late."""
    c = aktivitetsparat(r27, 0.0, 0.0, stu_end=500.0, clar_days=[520.0], clar_dues=[530.0])
    assert clarification_facts(c, end=600.0) == [("clar", True), ("yearly_clarification", True)]
    assert clarification_facts(c, end=529.0) == []
    late = aktivitetsparat(r27, 0.0, 0.0, stu_end=500.0, clar_days=[531.0], clar_dues=[530.0])
    assert clarification_facts(late, end=600.0) == [("clar", False), ("yearly_clarification", False)]


def test_a_yearly_day_within_the_month_after_stu_serves_the_deferred_one(r27):
    """STU until day 720: day 365 falls on it and would wait until 750, but day 730 comes first
    (after the STU, within its month), so the due days are 730 and 1095. Without STU: 365, 730."""
    (cl,) = r27.groups["aktivitetsparat"].clarifications
    c = aktivitetsparat(r27, 0.0, 0.0, stu_end=720.0)
    assert [next_due(c, cl, 0.0), next_due(c, cl, 730.0)] == [pytest.approx(730.0), pytest.approx(1095.0)]
    free = aktivitetsparat(r27, 0.0, 0.0)
    assert [next_due(free, cl, 0.0), next_due(free, cl, 365.0)] == [pytest.approx(365.0), pytest.approx(730.0)]


def test_an_stu_that_ended_before_the_due_day_changes_nothing(r27):
    (cl,) = r27.groups["aktivitetsparat"].clarifications
    assert next_due(aktivitetsparat(r27, 0.0, 0.0, stu_end=100.0), cl, 0.0) == pytest.approx(365.0)


def test_rules_without_a_grace_period_ignore_stu(params):
    """The 2-year clarification of the 2026 rules (activity-ready 30+, first_day 730) has no
    stu_grace_days: an STU until day 1000 leaves it on day 730."""
    cl = params.rule_sets.get("reform_2026") or sim.load_params(overrides={"rules": "reform_2026"}).rule_sets[
        "reform_2026"]
    (rule,) = cl.groups["aktivitetsparat"].clarifications
    assert rule.stu_grace_days is None
    assert next_due(aktivitetsparat(cl, 0.0, 0.0, stu_end=1000.0), rule, 0.0) == pytest.approx(730.0)


def test_stu_draws_a_share_of_the_under_30s_and_at_most_three_years():
    """share 0.10 of the under-30s, none of the others; 20,000 under-30s: the count is binomial
    with sd sqrt(20000 × 0.1 × 0.9) = 42.4, so ±4 sd is ±170 around 2,000. End days lie in
    (day, day + 3 × 365.25]; the remaining time is uniform, mean 1.5 years (±4 sd of the mean:
    4 × 1095.75/sqrt(12)/sqrt(2000) = 28 days)."""
    draws = StuDraws(Stu(share_under_30=0.10, years_max=3.0, groups=["aktivitetsparat"]), Streams(5, 0))
    n = 40_000
    under_30 = np.arange(n) % 2 == 0
    days = np.full(n, 100.0)
    end = draws.end_days("aktivitetsparat", "arrivals", under_30, days)
    on = ~np.isnan(end)
    assert not on[~under_30].any()
    assert abs(on.sum() - 2000) < 170
    left = end[on] - 100.0
    assert left.min() > 0.0 and left.max() <= 3.0 * DAYS_PER_YEAR
    assert abs(left.mean() - 1.5 * DAYS_PER_YEAR) < 28.0
    assert np.isnan(draws.end_days("jobparat", "arrivals", under_30, days)).all()  # not one of stu.groups


def test_stu_draws_move_no_other_draw():
    """The national default with and without STU: the same citizens, with the same places and the
    same first spells' starts (STU has a stream of its own)."""
    base = {"scale": 0.005, "years": 0.25}
    runs = []
    for share in (0.0, 0.10):
        p = sim.load_params(overrides=base | {"stu.share_under_30": share})
        df, _ = spells(p, seed=4)
        first = df.sort_values("start").groupby("key").first()
        runs.append(first[["group", "start", "place", "fund", "under_30"]])
    a, b = runs
    common = a.index.intersection(b.index)
    assert len(common) > 0.95 * max(len(a), len(b))
    assert a.loc[common].equals(b.loc[common])


# -- (c) an entry from outside the system starts the clock at zero ------------------------------------

def test_an_entry_from_dagpenge_starts_the_clock_at_zero(params, r27):
    """Dagpenge from day 0, activity-ready from day 300: dagpenge is not the cash-benefit system,
    so the stay starts on day 300 and the clarification is due on day 665 (365 into the spell)."""
    start = stay_start(r27, "dagpenge", "aktivitetsparat", 0.0, 300.0)
    assert start == 300.0
    c = aktivitetsparat(r27, 300.0, start)
    (cl,) = r27.groups["aktivitetsparat"].clarifications
    assert next_due(c, cl, 300.0) == pytest.approx(665.0)
    assert planned_clarifications(params, c, 300.0) == [(pytest.approx(651.0), pytest.approx(665.0))]
    # likewise from sickness benefit, and for a new entrant
    assert stay_start(r27, "sygemeldt", "jobparat", 0.0, 50.0) == 50.0
    assert stay_start(r27, None, "aktivitetsparat", None, 80.0) == 80.0


def test_the_initial_stocks_clock_starts_with_its_spell(r27):
    """The stock's history before its spell is unknown: a spell 200 days old at the start is due on
    day -200 + 365 = 165 of the run."""
    assert stay_start(r27, None, "aktivitetsparat", None, -200.0) == -200.0
    (cl,) = r27.groups["aktivitetsparat"].clarifications
    assert next_due(aktivitetsparat(r27, -200.0, -200.0), cl, 0.0) == pytest.approx(165.0)


def test_a_clarification_counted_in_the_system_must_belong_to_it(tmp_path):
    """A rule set whose cash-benefit system leaves out activity-ready (whose clarification counts
    the time in it), or names a group it does not have, is refused in one line naming the field."""
    for groups, field in ((["jobparat"], "counted_in"), (["jobparat", "nobody"], "cash_benefit_system.groups")):
        path = tmp_path / "x.toml"
        path.write_text(f'extends = "reform_2027"\nname = "x"\n[cash_benefit_system]\ngroups = {groups!r}\n'
                        .replace("'", '"'))
        with pytest.raises(ParamError, match=field):
            load_rule_set(str(path), RULES_DIR)

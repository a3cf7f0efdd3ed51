"""Each contact rule of domain.md §3-4 on a small deterministic scenario: citizens who never
leave, unlimited capacity, one group at a time. Counts come from the rule-set files, so these
tests check the engine against the legal text, not against itself."""

from __future__ import annotations

import numpy as np
import pandas as pd
from conftest import only_group, spells
from scipy import stats

import sim


def _talks_in(talks, provider: str, lo: float, hi: float) -> int:
    return sum(1 for d, p in talks if p == provider and lo <= d <= hi)


def _new(df):
    """Spells of citizens who arrived during the run and had at least 182 days to go."""
    return df[df.new_entry & (df.start <= df.end.max() - 182.0)]


def test_jobparat_reform_2027_first_talk_and_four_talks_unless_exempt():
    p = sim.load_params(overrides=only_group("jobparat", 400.0, "reform_2027", years=1.0,
                                             **{"groups.jobparat.on_request_talks_per_month": 0.0}))
    df = _new(spells(p)[0])
    assert len(df) > 100
    for row in df.itertuples():
        first = min(d for d, _ in row.talks)
        assert first <= 14.0, f"first talk on day {first}"
        n6 = _talks_in(row.talks, "municipality", 0.0, 182.0)
        assert not row.lifted  # a lifted exemption would leave the spell between the two rules below
        if row.exempt:
            assert n6 == 1  # the first talk is held with everyone, nothing more is mandatory
            assert not any(d <= 182.0 for d in row.offers)
        else:
            assert n6 >= 4
            assert any(d <= 182.0 for d in row.offers)
    # the exemption share is 25 % of the pool, within a binomial 99 % interval
    k, n = int(df.exempt.sum()), len(df)
    lo, hi = stats.binomtest(k, n).proportion_ci(0.99)
    assert lo <= 0.25 <= hi


def test_dagpenge_pre_reform_six_talks_three_by_each_provider():
    p = sim.load_params(overrides=only_group("dagpenge", 300.0, "pre_reform", years=1.0,
                                             **{"groups.dagpenge.exhaustion.prior_hours_used": [[1.0, 0.0]],
                                                "groups.dagpenge.on_request_talks_per_month": 0.0}))
    df = _new(spells(p)[0])
    assert len(df) > 100
    for row in df.itertuples():
        assert not row.exempt
        assert _talks_in(row.talks, "akasse", 0.0, 91.0) == 3
        assert _talks_in(row.talks, "municipality", 91.0, 182.0) == 3
        assert min(d for d, p in row.talks if p == "akasse") <= 14.0
        assert any(d <= 182.0 for d in row.offers)  # ret og pligt offer to everyone


def test_dagpenge_reform_2027_two_plus_two_handover_and_16_month_talk():
    p = sim.load_params(overrides=only_group("dagpenge", 200.0, "reform_2027", years=2.0,
                                             **{"groups.dagpenge.exhaustion.prior_hours_used": [[1.0, 0.0]],
                                                "groups.dagpenge.on_request_talks_per_month": 0.0,
                                                "trials.enabled": False}))
    df, model = spells(p)
    df = df[df.new_entry & (df.start <= model.horizon - 490.0)]
    assert len(df) > 50
    for row in df.itertuples():
        assert min(d for d, p in row.talks if p == "akasse") <= 14.0
        expected = (1, 0) if row.exempt else (2, 2)
        assert _talks_in(row.talks, "akasse", 0.0, 91.0) == expected[0]
        assert _talks_in(row.talks, "municipality", 91.0, 182.0) == expected[1]
        assert _talks_in(row.talks, "akasse", 91.0, 1e9) == 0  # the a-kasse hands over at 3 months
        assert _talks_in(row.talks, "municipality", 455.0, 487.0) == 1  # exempt or not


def test_sick_listed_reform_2027_short_absence_not_called_others_by_week_8():
    extra = {"groups.sygemeldt.on_request_talks_per_month": 0.0}
    p = sim.load_params(overrides=only_group("sygemeldt", 400.0, "reform_2027", years=1.0, **extra))
    df = _new(spells(p)[0])
    short = df[df.short_absence]
    others = df[~df.short_absence]
    assert len(short) > 50 and len(others) > 50
    assert all(len(t) == 0 for t in short.talks)
    for row in others.itertuples():
        assert len(row.talks) == 1 and row.talks[0][0] <= 56.0


def test_sick_listed_pre_reform_four_follow_ups_one_for_uncomplicated_cases_with_a_job():
    """Sygedagpengeloven § 13 b: 4 follow-ups in 6 months, the first by week 8; since 2025 (the
    agreement of 14 Mar 2024, inside pre_reform) one talk for uncomplicated cases with a job, which
    the model's short-absence sick-listed stand for."""
    extra = {"groups.sygemeldt.on_request_talks_per_month": 0.0}
    p = sim.load_params(overrides=only_group("sygemeldt", 300.0, "pre_reform", years=1.0, **extra))
    df = _new(spells(p)[0])
    assert df.short_absence.any() and (~df.short_absence).any()
    for row in df.itertuples():
        assert len([d for d, _ in row.talks if d <= 182.0]) == (1 if row.short_absence else 4)
        assert min(d for d, _ in row.talks) <= 56.0
        lead = p.scenario.planning.clarification_lead_days
        assert any(154.0 - lead <= d <= 154.0 for d in row.clarifications)  # week 22


def test_activity_ready_reform_2027_talk_in_two_weeks_and_yearly_clarification():
    p = sim.load_params(overrides=only_group("aktivitetsparat", 200.0, "reform_2027", years=2.0,
                                             **{"groups.aktivitetsparat.on_request_talks_per_month": 0.0}))
    df, model = spells(p)
    ak = df[(df.group == "aktivitetsparat") & df.new_entry]
    assert len(ak) > 100
    for row in ak[ak.start <= model.horizon - 14.0].itertuples():
        assert min(d for d, _ in row.talks) <= 14.0
    long = ak[ak.start <= model.horizon - 366.0]
    assert len(long) > 20
    lead = p.scenario.planning.clarification_lead_days
    plain = 0
    for row in long.itertuples():
        # a year after the start of the stay in the cash-benefit system (a job-ready spell before
        # counts); for one on STU then, 30 days after the STU ends
        due = row.stay_start + 365.0 - row.start
        while due <= 0.0:
            due += 365.0
        if pd.notna(row.stu_end) and row.stu_end > row.start + due:
            stu = row.stu_end - row.start
            regular = due + 365.0 * np.ceil((stu - due) / 365.0)  # the first yearly day after the STU
            due = regular if regular <= stu + 30.0 else stu + 30.0
        if due == 365.0:
            plain += 1
        if row.start + due <= model.horizon:
            assert any(due - lead <= d <= due for d in row.clarifications)
    assert plain > len(long) / 2
    # from 2027 some would-be activity-ready entrants are registered job-ready by default
    jp = df[df.group == "jobparat"]
    share = len(jp) / (len(jp) + len(ak))
    lo, hi = stats.binomtest(len(jp), len(jp) + len(ak)).proportion_ci(0.99)
    assert lo <= p.rule_sets["reform_2027"].routing.share("aktivitetsparat", "jobparat") <= hi, share


def test_rule_timeline_switches_rules_mid_spell():
    """A jobparat citizen who arrives under pre_reform (first talk within 7 days, no exemption)
    and is still there on 1 Jul 2026 continues under reform_2026."""
    ov = only_group("jobparat", 300.0, "pre_reform", years=1.5,
                    **{"groups.jobparat.on_request_talks_per_month": 0.0})
    ov.update({"start_date": "2026-01-01", "exemption.share": 0.25})
    p = sim.load_params(overrides=ov | {"rules": [{"from": "2026-01-01", "set": "pre_reform"},
                                                  {"from": "2026-07-01", "set": "reform_2026"}]})
    df, model = spells(p)
    switch = model.switch_days[0]
    before = df[df.new_entry & (df.start < switch - 14.0)]
    after = df[df.new_entry & (df.start >= switch) & (df.start <= model.horizon - 182.0)]
    assert len(before) > 50 and len(after) > 20
    assert all(min(d for d, _ in r.talks) <= 7.0 for r in before.itertuples())
    assert not before.exempt.any()  # no exemption before 1 Jul 2026
    assert after.exempt.any()
    assert all(r.rules == "reform_2026" for r in df.itertuples())  # everyone ends under the new rules
    first_after = np.array([min(d for d, _ in r.talks) for r in after.itertuples()])
    assert first_after.max() <= 14.0 and first_after.max() > 7.0  # the new 14-day deadline is used

"""Who holds a dagpenge case, and when (issue 16, item 1).

Under the 2027 rules the a-kasse holds an ordinary dagpenge case until the hand-over day (91 in
reform_2027.toml) and the municipality after it; in the trials the course provider (the a-kasse
in the extended trial; the municipality, the a-kasse or another actor by free choice) holds it
until the course ends (`course_days`, 122) and then the municipality. Both numbers are read from
the rule-set file. Two views are checked, each computed from the spell log:

- the weekly stock per provider, exactly, counted from each spell's start, end and course;
- talks on request, which the holder of the case on the day they are booked holds. To have such
  talks around both days, a copy of the rule set lets dagpenge citizens ask for talks from day 0
  (the shipped file: from day 182), and they ask often.
"""

from __future__ import annotations

import re

import numpy as np
import pytest
from conftest import no_effects
from lawbook import RULES_DIR, rule_set, spell_log

import sim

SEED = 23
# a talk asked for on day T is held on the first working day from T: at most 6 days later
# (Easter closes Thursday to Monday)
MAX_BOOKING_DELAY = 6.0


def _talks_on_request_from_day_0(tmp_path) -> str:
    text = (RULES_DIR / "reform_2027.toml").read_text()
    section = text.index("[groups.dagpenge]")
    head, tail = text[:section], text[section:]
    tail, n = re.subn(r"as_needed_from_day\s*=\s*[0-9.]+", "as_needed_from_day = 0", tail, count=1)
    assert n == 1
    path = tmp_path / "reform_2027_talks_on_request.toml"
    path.write_text(head + tail)
    return str(path)


def _course_run(rules: str, on_request_per_month: float):
    """Dagpenge only: 3,000 entrants a year, who leave at the default hazards (talks do not change
    them, so that many talks do not empty the stock); a quarter in the ordinary course, a quarter
    in the free-choice trial, half in the extended a-kasse trial."""
    ov = no_effects() | {"scale": 1.0, "years": 1.0, "start_date": "2027-01-01", "rules": rules,
                         "capacity.unlimited": True,
                         "trials.free_choice_share": 0.5, "trials.participation": 0.5,
                         "groups.dagpenge.on_request_talks_per_month": on_request_per_month}
    for g in ("dagpenge", "jobparat", "aktivitetsparat", "sygemeldt", "oevrige"):
        ov[f"groups.{g}.stock"] = 0.0
        ov[f"groups.{g}.inflow_per_year"] = 3000.0 if g == "dagpenge" else 0.0
    p = sim.load_params(overrides=ov)
    df, horizon = spell_log(p, SEED)
    weekly = sim.run(p, replications=1, seed=SEED, workers=1).weekly
    return df[df.group == "dagpenge"], horizon, weekly


@pytest.fixture(scope="module")
def shipped_run():
    """The shipped rule set: nothing is booked close before either hand-over day."""
    return _course_run("reform_2027", 0.1)


@pytest.fixture(scope="module")
def on_request_run(tmp_path_factory):
    """Talks on request from day 0, often: many talks around both hand-over days."""
    return _course_run(_talks_on_request_from_day_0(tmp_path_factory.mktemp("rules")), 20.0)


def _law():
    rs = rule_set("reform_2027")
    assert rs["handover"]["group"] == "dagpenge" and rs["trials"]["group"] == "dagpenge"
    return rs["handover"], rs["trials"]["course_days"]


def _first_holder(row, handover) -> tuple[str, float]:
    """(who holds the case first, until which day of the spell)."""
    if row.course_provider is not None:
        return row.course_provider, _law()[1]
    return handover["from_provider"], handover["day"]


@pytest.mark.parametrize("run", ["shipped_run", "on_request_run"])
def test_the_runs_have_all_three_courses(run, request):
    df, _, _ = request.getfixturevalue(run)
    arms = df.trial_arm.fillna("ordinary").value_counts()
    assert arms.get("ordinary", 0) > 400 and arms.get("free_choice", 0) > 400 and arms.get("extended", 0) > 800
    assert set(df[df.trial_arm == "free_choice"].course_provider) == {"municipality", "akasse", "other"}
    assert (df.dest.notna()).sum() > 500  # citizens leave, some before the hand-over


def check_weekly_stock(df, horizon: float, weekly) -> None:
    """The stock per provider at the end of every week, counted from the spells."""
    handover, _ = _law()
    first = [_first_holder(r, handover) for r in df.itertuples()]
    start, end = df.start.to_numpy(), df.end.to_numpy()
    censored = df.dest.isna().to_numpy()
    holder = np.array([f[0] for f in first])
    until = np.array([f[1] for f in first])
    w = weekly[(weekly.measure == "stock") & (weekly.group == "dagpenge")]
    n_weeks = int(w.week.max()) + 1
    checked = 0
    for week in range(n_weeks):
        cut = min(7.0 * (week + 1), horizon)  # the end of the week
        in_stock = (start < cut) & ((end > cut) | censored)
        early = cut - start < until
        for provider in ("municipality", "akasse", "other"):
            expected = int((in_stock & early & (holder == provider)).sum())
            if provider == handover["to_provider"]:
                expected += int((in_stock & ~early).sum())
            got = w[(w.week == week) & (w.provider == provider)].value.iloc[0]
            assert got == expected, (week, provider, got, expected)
            checked += expected
    assert checked > 10000


def test_weekly_stock_per_provider_follows_the_hand_over_days(shipped_run):
    check_weekly_stock(*shipped_run)


def test_weekly_stock_per_provider_when_a_talk_is_booked_across_the_hand_over(on_request_run):
    check_weekly_stock(*on_request_run)


def test_talks_on_request_are_held_by_whoever_holds_the_case(on_request_run):
    """A talk held before the course or hand-over ends is the first holder's; one held more than a
    booking delay after it is the municipality's; and on the day itself some talks are already the
    municipality's (the case changes hands on that day, not later)."""
    df, _, _ = on_request_run
    handover, _ = _law()
    new_holder = handover["to_provider"]
    on_the_day = {"ordinary": 0, "trial": 0}
    for row in df.itertuples():
        first, until = _first_holder(row, handover)
        for d, provider in row.talks:
            if d < until:
                assert provider == first, (row.key, d, provider, first)
            elif d >= until + MAX_BOOKING_DELAY:
                assert provider == new_holder, (row.key, d, provider)
            elif d < until + 1.0 and provider == new_holder and first != new_holder:
                on_the_day["ordinary" if row.course_provider is None else "trial"] += 1
    assert on_the_day["ordinary"] >= 10 and on_the_day["trial"] >= 10, on_the_day

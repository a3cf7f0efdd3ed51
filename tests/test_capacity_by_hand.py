"""Caseworker capacity worked out by hand (issue 16, item 1).

The municipality has no caseworkers until 1 March 2027 (a step of 0 FTE from the start) and F FTE
from then on. About 30 sick-listed citizens arrive a day, more than F can
see (28 talks a day on average), so every working day from 1 March is full. A working day's hours
are F × productive hours a year / working days in the year × scale, and each talk takes the same
time, so the spell log must show exactly floor(hours / talk time) talks on every working day from
1 March, none before and none on a day off. The working days of 2027 are counted here from the
Danish holidays written out by hand (not from the `holidays` package the model uses).
"""

from __future__ import annotations

import datetime as dt
import math
from collections import Counter

from lawbook import frozen, spell_log

import sim

START = dt.date(2027, 1, 1)
CLOSED_2027 = {  # public holidays and customary closing days of 2027 that fall on a weekday
    dt.date(2027, 1, 1),    # New Year's Day (Friday)
    dt.date(2027, 3, 25),   # Maundy Thursday
    dt.date(2027, 3, 26),   # Good Friday
    dt.date(2027, 3, 29),   # Easter Monday
    dt.date(2027, 5, 6),    # Ascension Day
    dt.date(2027, 5, 17),   # Whit Monday
    dt.date(2027, 12, 24),  # Christmas Eve (customary closing day)
    dt.date(2027, 12, 31),  # New Year's Eve (customary closing day)
}  # on a weekend in 2027: Easter and Whit Sunday, 1 May, Constitution Day 5 June, 25-26 December
STAFF_FROM = dt.date(2027, 3, 1)
SCALE = 0.5
PRODUCTIVE_H = 1375.0
TALK_H = (10.0 + 5.0) / 60.0  # 10 minutes in person + 5 of preparation
FTE = 3.7352  # 3.7352 × 1375 / 253 × 0.5 = 10.15 hours a working day: 40.6 talks (so 250 or 261 working
# days, a year of weekdays without holidays, would give 41 or 39)


def working(day: dt.date) -> bool:
    return day.weekday() < 5 and day not in CLOSED_2027


def test_talks_per_working_day_fill_the_hours_of_the_staff():
    days_2027 = [START + dt.timedelta(days=i) for i in range(365)]
    working_days = sum(working(d) for d in days_2027)
    assert working_days == 253  # 261 weekdays (2027 starts on a Friday) minus 8 closed
    per_day = math.floor(FTE * PRODUCTIVE_H / working_days * SCALE / TALK_H + 1e-9)
    assert per_day == 40
    ov = frozen({"sygemeldt": 22000.0}, "reform_2027", years=1.0, **{
        "scale": SCALE, "capacity.unlimited": False,
        "capacity.productive_hours_per_fte_year": PRODUCTIVE_H,
        # the steps in reverse order: the model must order them by date
        "capacity.providers.municipality.fte": [{"from": STAFF_FROM.isoformat(), "fte": FTE},
                                                {"from": START.isoformat(), "fte": 0.0}],
        "caseworker_time.talk_in_person_minutes": 10.0, "caseworker_time.talk_preparation_minutes": 5.0,
        "groups.sygemeldt.digital_share": 0.0, "groups.sygemeldt.short_absence_share": 0.0,
        "groups.sygemeldt.on_request_talks_per_month": 0.0})
    df, horizon = spell_log(sim.load_params(overrides=ov), seed=3)
    held = Counter(round(s + d) for s, talks in zip(df.start, df.talks) for d, _ in talks)
    assert all(abs(s + d - round(s + d)) < 1e-6 for s, talks in zip(df.start, df.talks) for d, _ in talks)
    staffed = (STAFF_FROM - START).days
    for i, day in enumerate(days_2027[: int(horizon)]):
        expected = per_day if i >= staffed and working(day) else 0
        assert held.get(i, 0) == expected, (day, held.get(i, 0), expected)
    assert len(df) > 10000

"""Persons touched per year: each person counted once per run year and group, and once per year
over all groups, however many spells they have there.

Why apart from the spell itself: a full-time figure (the stock) and a person count (238,400
dagpenge recipients in 2023 against 56,200 full-time) answer different questions, and a person
who moves between groups must not be counted twice in "all"."""

from __future__ import annotations

from typing import Protocol

from sim.engine.citizen import Citizen

YEAR_DAYS = 365.25
ANY_GROUP = "*"


class TouchSink(Protocol):
    def on_touch(self, g: int, first_year: int, last_year: int) -> None: ...


def count_touched_years(rec: TouchSink, c: Citizen, gi: int, all_index: int, end: float, horizon: float) -> None:
    """Count the run years the ending spell [spell start, end) touched that were not counted yet."""
    start = max(c.spell_start, 0.0)
    last = max(start, min(end, horizon) - 1e-9)
    y0, y1 = int(start // YEAR_DAYS), int(last // YEAR_DAYS)
    for key, index in ((c.g, gi), (ANY_GROUP, all_index)):
        first = max(y0, c.touched.get(key, -1) + 1)
        if first <= y1:
            rec.on_touch(index, first, y1)
            c.touched[key] = y1

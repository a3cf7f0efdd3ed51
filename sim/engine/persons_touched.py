"""Persons touched per year: each person counted once per run year and group, and once per year
over all groups, however many spells they have there.

Why apart from the spell itself: a full-time figure (the stock) and a person count (238,400
dagpenge recipients in 2023 against 56,200 full-time) answer different questions, and a person
who moves between groups must not be counted twice in "all"."""

from __future__ import annotations

from typing import Final, Protocol

from sim.engine.citizen import Citizen

YEAR_DAYS: Final = 365.25
ANY_GROUP: Final = "*"


class TouchSink(Protocol):
    def on_touch(self, g: int, first_year: int, last_year: int) -> None: ...


def count_touched_years(rec: TouchSink, c: Citizen, gi: int, all_index: int, end: float, horizon: float) -> None:
    """Count the run years the ending spell [spell start, end) touched that were not counted yet."""
    start = max(c.spell_start, 0.0)
    last = max(start, min(end, horizon) - 1e-9)
    y0, y1 = int(start // YEAR_DAYS), int(last // YEAR_DAYS)
    touched = c.touched
    if touched is None:  # its first spell ends: most citizens in stock never need the record
        touched = c.touched = {}
    # the group, then any group (unrolled: this runs at every spell's end)
    first = max(y0, touched.get(c.g, -1) + 1)
    if first <= y1:
        rec.on_touch(gi, first, y1)
        touched[c.g] = y1
    first = max(y0, touched.get(ANY_GROUP, -1) + 1)
    if first <= y1:
        rec.on_touch(all_index, first, y1)
        touched[ANY_GROUP] = y1

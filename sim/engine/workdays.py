"""Working days: weekdays that are not Danish public holidays (from the `holidays` package).

Deadlines run in calendar days, but talks are only held on working days, so a holiday week moves
bookings later, and caseworker hours exist only on working days.
"""

from __future__ import annotations

import datetime as dt
import math

import holidays
import numpy as np


class WorkingCalendar:
    """Which simulation days (counted from the start date) are working days, with look-ups."""

    def __init__(self, start: dt.date, n_days: int, include_customary_closing_days: bool = True):
        self.start = start
        self.n_days = n_days
        years = range(start.year, (start + dt.timedelta(days=n_days)).year + 1)
        categories = ("public", "optional") if include_customary_closing_days else ("public",)
        closed = holidays.Denmark(years=list(years), categories=categories)
        dates = [start + dt.timedelta(days=i) for i in range(n_days)]
        self.working = np.array([d.weekday() < 5 and d not in closed for d in dates], dtype=bool)
        # next_working[i]: the first working day >= i (n_days if none is left).
        nxt = np.full(n_days + 1, n_days, dtype=np.int64)
        for i in range(n_days - 1, -1, -1):
            nxt[i] = i if self.working[i] else nxt[i + 1]
        self.next_working: list[int] = nxt.tolist()  # read directly by Ledger.book, per booking
        self._next = self.next_working

    def next_working_day(self, day: float) -> int:
        """The first working day on or after `day` (days past the calendar count as working)."""
        i = math.ceil(day) if day > 0 else 0
        if i >= self.n_days:
            return i
        return self._next[i]

    def date(self, day: float) -> dt.date:
        return self.start + dt.timedelta(days=int(day))

    def working_days_in_year(self, year: int) -> int:
        first = max(0, (dt.date(year, 1, 1) - self.start).days)
        last = min(self.n_days, (dt.date(year + 1, 1, 1) - self.start).days)
        if last <= first:
            return 250
        share = (last - first) / (dt.date(year + 1, 1, 1) - dt.date(year, 1, 1)).days
        return max(1, int(round(int(self.working[first:last].sum()) / share)))

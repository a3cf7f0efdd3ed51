"""Caseworker capacity: hours per working day for each provider, and the booking of tasks.

A due task (talk, offer start, clarification) is booked on the first working day on or after its
target day that still has the hours it needs; late bookings are what make deadlines fail. A
booking cancelled because the citizen left gives its hours back. In unlimited mode every task is
booked on its target (moved to a working day), which measures pure demand.
"""

from __future__ import annotations

import math

import numpy as np

from sim.engine.workdays import WorkingCalendar


class Ledger:
    """The free caseworker hours of one provider, day by day."""

    def __init__(self, calendar: WorkingCalendar, hours_per_day: np.ndarray | None):
        self.calendar = calendar
        self.unlimited = hours_per_day is None
        if hours_per_day is not None:
            # a plain list: one element is read or written per booking, and list indexing is
            # several times cheaper than numpy scalar indexing in this hot path
            self.free: list[float] = np.where(calendar.working, hours_per_day, 0.0).astype(float).tolist()
        self.n = calendar.n_days
        self._next_working = calendar.next_working  # calendar.next_working_day, inlined in book (per booking)

    def book(self, target: float, hours: float) -> int:
        """Reserve `hours` on the first working day >= target with room; return that day."""
        day = math.ceil(target) if target > 0 else 0  # = self.calendar.next_working_day(target)
        if day < self.n:
            day = self._next_working[day]
        if self.unlimited or day >= self.n:
            return day
        free = self.free
        need = hours - 1e-9
        n = self.n
        while day < n:
            if free[day] >= need:
                free[day] -= hours
                return day
            day += 1
        return n

    def release(self, day: int, hours: float) -> None:
        """Give back the hours of a booking that will not be used."""
        if not self.unlimited and 0 <= day < self.n:
            self.free[day] += hours


def hours_per_day(params, provider: str, calendar: WorkingCalendar) -> np.ndarray:
    """Caseworker hours per working day: FTE (stepwise by date) × productive hours a year /
    working days in that year, × scale."""
    import datetime as dt

    steps = sorted(params.scenario.capacity.providers[provider].fte, key=lambda s: s.from_)
    out = np.zeros(calendar.n_days)
    hours_fte = params.scenario.capacity.productive_hours_per_fte_year
    per_year: dict[int, int] = {}
    for day in range(calendar.n_days):
        date = params.scenario.start_date + dt.timedelta(days=day)
        fte = 0.0
        for s in steps:
            if s.from_ <= date:
                fte = s.fte
        if date.year not in per_year:
            per_year[date.year] = calendar.working_days_in_year(date.year)
        out[day] = fte * hours_fte / per_year[date.year] * params.scenario.scale
    return out

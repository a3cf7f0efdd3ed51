"""Capacity: the booking ledger against an exact backlog recursion computed independently,
and the direction of capacity effects in the model."""

from __future__ import annotations

import datetime as dt

import numpy as np

import sim
from sim.engine.capacity import Ledger
from sim.engine.workdays import WorkingCalendar


def backlog_recursion(arrivals: np.ndarray, capacity: np.ndarray) -> np.ndarray:
    """Talks served per day by a first-come-first-served queue: B[d] = B[d-1] + A[d] - S[d],
    S[d] = min(B[d-1] + A[d], C[d])."""
    served = np.zeros_like(arrivals)
    backlog = 0
    for d in range(len(arrivals)):
        waiting = backlog + arrivals[d]
        served[d] = min(waiting, capacity[d])
        backlog = waiting - served[d]
    return served


def test_ledger_matches_backlog_recursion():
    rng = np.random.default_rng(3)
    cal = WorkingCalendar(dt.date(2027, 1, 1), 400)
    talks_per_day = 7
    hours = 0.75
    ledger = Ledger(cal, np.full(400, talks_per_day * hours))
    arrivals = np.zeros(400, dtype=int)
    arrivals[:300] = rng.poisson(6.0, 300)  # a load near capacity, with holiday weeks
    booked = np.zeros(400, dtype=int)
    for day in range(400):
        for _ in range(arrivals[day]):
            booked[ledger.book(float(day), hours)] += 1
    capacity = np.where(cal.working, talks_per_day, 0)
    np.testing.assert_array_equal(booked, backlog_recursion(arrivals, capacity))
    assert booked.sum() == arrivals.sum()
    assert (booked[~cal.working] == 0).all()


def test_released_hours_are_booked_again():
    cal = WorkingCalendar(dt.date(2027, 1, 4), 30)
    ledger = Ledger(cal, np.full(30, 1.0))
    first = ledger.book(0.0, 1.0)
    assert ledger.book(0.0, 1.0) > first
    ledger.release(first, 1.0)
    assert ledger.book(0.0, 1.0) == first


def test_unlimited_books_on_the_next_working_day():
    cal = WorkingCalendar(dt.date(2027, 3, 24), 30)  # Easter 2027: 25-29 March closed
    ledger = Ledger(cal, None)
    assert ledger.book(0.0, 5.0) == 0
    assert ledger.book(1.0, 5.0) == 6  # Thursday 25 March → Tuesday 30 March
    assert ledger.book(1.0, 500.0) == 6


def test_fewer_caseworkers_make_first_talks_late():
    base = {"scale": 0.01, "years": 1.0}
    ample = sim.run(sim.load_params(overrides=base), replications=2, seed=3, workers=1)
    short = sim.run(sim.load_params(overrides=base | {"capacity.providers.municipality.fte": [
        {"from": "2024-01-01", "fte": 150.0}]}), replications=2, seed=3, workers=1)
    on_time_ample = ample.kpi("first_talk_on_time").mean()
    on_time_short = short.kpi("first_talk_on_time").mean()
    assert on_time_ample > 0.98
    assert on_time_short < on_time_ample - 0.1
    # limited capacity cannot create work: hours held never exceed the unlimited demand much
    assert short.kpi("caseworker_hours_per_year", provider="municipality").mean() <= \
        ample.kpi("caseworker_hours_per_year", provider="municipality").mean() * 1.01

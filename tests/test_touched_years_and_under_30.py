"""Persons touched per run year, and the under-30 share of simulated citizens.

Two mutants of the mutation sample (tests/MUTATION.md) survived because no fast test looked:
`Recorder.on_touch` 3 counted the years of a spell from year 0 instead of from its first year (only
visible in a run longer than a year), and `new_citizen` 14 made nobody under 30 (the rules for
the under-30s then never apply). The expectations come from the spell log, counted here in the
test's own way (a person is touched in run year y if one of its spells overlaps [365.25·y,
365.25·(y+1)), each person once per year), and from the parameter `share_under_30` with a 99.9 %
binomial bound.
"""

from __future__ import annotations

import math
from typing import Any

import pandas as pd
import pytest
from lawbook import frozen, kpi_value, spell_log

import sim
from sim.engine.citizen import Citizen
from sim.engine.persons_touched import count_touched_years
from sim.engine.recorder import Recorder

YEAR = 365.25
SEED = 41
UNDER_30 = {"jobparat": 0.37, "dagpenge": 0.23}  # the test's own shares


def test_on_touch_counts_only_the_years_given():
    """A three-year recorder: touched in years 1-2 adds to rows 1 and 2, not row 0; years beyond
    the run are dropped; the last column is "any group"."""
    rec = Recorder(["a", "b"], ["m"], horizon_days=3 * YEAR)
    assert rec.n_years == 3
    rec.on_touch(0, 1, 2)
    rec.on_touch(2, 2, 5)
    rec.on_touch(1, 0, 0)
    assert rec.touched.tolist() == [[0, 1, 0], [1, 0, 0], [1, 0, 1]]


def _citizen(group: str, spell_start: float, touched: dict[str, int] | None) -> Citizen:
    """The three fields count_touched_years reads (a real Citizen: the engine may run compiled)."""
    c = Citizen()
    c.g, c.spell_start, c.touched = group, spell_start, touched
    return c


def test_count_touched_years_of_a_spell_by_hand():
    """A spell from day 400 to day 900 of a three-year run lies in years 1 and 2 (365.25-730.5 and
    730.5-1095.75); a second spell of the same person in year 2 adds nothing; a spell of another
    person from day 10 to day 20 is year 0 only."""
    rec = Recorder(["a"], ["m"], horizon_days=3 * YEAR)
    c = _citizen("a", 400.0, None)  # as new_citizen makes it
    count_touched_years(rec, c, 0, 1, 900.0, rec.horizon_days)
    assert rec.touched.tolist() == [[0, 0], [1, 1], [1, 1]]
    c.spell_start = 950.0
    count_touched_years(rec, c, 0, 1, 1000.0, rec.horizon_days)
    assert rec.touched.tolist() == [[0, 0], [1, 1], [1, 1]]
    d = _citizen("a", 10.0, {})
    count_touched_years(rec, d, 0, 1, 20.0, rec.horizon_days)
    assert rec.touched.tolist() == [[1, 1], [1, 1], [1, 1]]


@pytest.fixture(scope="module")
def two_years() -> tuple[Any, pd.DataFrame, pd.DataFrame]:
    """Jobparat and dagpenge arrive at a flat rate over two years, no initial stock, unlimited
    capacity; jobparat citizens leave to work at a flat 1.5 % a week (so persons start and end
    spells in both years), dagpenge citizens stay."""
    ov = frozen({"jobparat": 500.0, "dagpenge": 250.0}, "pre_reform", years=2.0, **{"exemption.share": 0.0})
    n = len(sim.load_params().scenario.groups["jobparat"].hazard.breaks_weeks)
    ov["groups.jobparat.hazard.work"] = [0.015] * n
    for g, share in UNDER_30.items():
        ov[f"groups.{g}.share_under_30"] = share
    p = sim.load_params(overrides=ov)
    df, horizon = spell_log(p, SEED)
    kpis = sim.run(p, replications=1, seed=SEED, workers=1).kpis
    return p, df, kpis


def _touched_by_hand(df: pd.DataFrame, horizon: float) -> dict[tuple[int, str], int]:
    """(run year, group or "all") -> distinct persons with a spell overlapping that year."""
    seen: dict[tuple[int, str], set[int]] = {}
    for r in df.itertuples():
        lo, hi = max(r.start, 0.0), min(r.end, horizon)
        for y in range(int(horizon // YEAR) + 1):
            if lo < (y + 1) * YEAR and hi > y * YEAR:
                seen.setdefault((y, r.group), set()).add(r.key)
                seen.setdefault((y, "all"), set()).add(r.key)
    return {k: len(v) for k, v in seen.items()}


def test_persons_touched_per_year_over_two_years(two_years):
    """The KPI is the mean over the run's two whole years of the persons touched in each. Persons
    who arrive in year 2 count in year 2 only, so the mean is well below the number of persons."""
    p, df, kpis = two_years
    horizon = float(p.scenario.horizon_days)
    assert 2 * YEAR - 1 <= horizon < 2 * YEAR + 1
    assert (df.dest == "work").sum() > 100 and (df.start >= YEAR).sum() > 300
    hand = _touched_by_hand(df, horizon)
    for g in ("jobparat", "dagpenge", "all"):
        y0, y1 = hand.get((0, g), 0), hand.get((1, g), 0)
        persons = df.key.nunique() if g == "all" else df[df.group == g].key.nunique()
        assert y0 < persons and y1 <= persons  # year 2's arrivals are not touched in year 1
        got = kpi_value(kpis, "persons_touched_per_year", g)
        assert got == pytest.approx((y0 + y1) / 2.0, rel=1e-12), (g, got, y0, y1)


def test_under_30_share_of_simulated_citizens(two_years):
    """Each citizen is under 30 with probability share_under_30 of its group: the share among the
    run's citizens lies within a 99.9 % binomial bound (n about 1,000 and 500)."""
    _, df, _ = two_years
    citizens = df.sort_values("start").groupby("key", as_index=False).first()
    assert (df.groupby("key").under_30.nunique() == 1).all()  # a citizen keeps its age class
    for g, share in UNDER_30.items():
        x = citizens[citizens.group == g].under_30.astype(bool)
        n = len(x)
        assert n > 300, g
        bound = 3.29 * math.sqrt(share * (1 - share) / n)
        assert abs(x.mean() - share) < bound, (g, x.mean(), share, bound)


def test_spell_log_and_kpis_are_of_the_same_run(two_years):
    """The hand counts above compare the spell log of one Model with the KPIs of sim.run: both
    must be the same run (same seed and replication), which the spells per group show."""
    _, df, kpis = two_years
    for g in ("jobparat", "dagpenge"):
        assert kpi_value(kpis, "persons_arrived", g) == (df.group == g).sum()

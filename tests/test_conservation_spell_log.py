"""Conservation of persons counted from the spell log (issue 16, item 1).

The recorder computes `persons_in_stock_end` as start + arrived − exited, so the KPI identity is
true by construction. Here every term is counted from the spells instead: the initial stock (the
spells that began before the run), arrivals (spells that began during it), exits (spells that
ended before the horizon) and the stock at the end (spells still open), per group and for whole
cases, and compared with the KPIs, the weekly stock and the mean stock. The chain of each
citizen's spells is checked too: a move to another group starts a spell there on the same day.
"""

from __future__ import annotations

import numpy as np
import pytest
from conftest import GROUPS
from lawbook import kpi_value, spell_log

import sim

SEED = 19
CLOSED = {c.group for c in sim.load_params().rule_sets["reform_2027"].closures}


@pytest.fixture(scope="module")
def national_run():
    """All five groups with their moves (exhaustion, reassessment, job loss after sickness) and the
    2027 routing of activity-ready entrants; two years, so that UI benefit runs out."""
    p = sim.load_params(overrides={"scale": 0.004, "years": 2.0})
    df, horizon = spell_log(p, SEED)
    res = sim.run(p, replications=1, seed=SEED, workers=1)
    return df, horizon, res.kpis, res.weekly


def test_persons_per_group_counted_from_spells(national_run):
    df, horizon, kpis, weekly = national_run
    last = weekly[(weekly.measure == "stock") & (weekly.provider == "all")]
    last = last[last.week == last.week.max()]
    for g in GROUPS:
        s = df[df.group == g]
        start = int((~s.new_entry).sum())
        arrived = int(s.new_entry.sum())
        exited = int(s.dest.notna().sum())
        open_end = int(s.dest.isna().sum())
        assert (s[~s.new_entry].start <= 0).all() and (s[s.new_entry].start >= 0).all()
        assert (s[s.dest.isna()].end == horizon).all() and (s[s.dest.notna()].end < horizon).all()
        assert kpi_value(kpis, "persons_start", g) == start, g
        assert kpi_value(kpis, "persons_arrived", g) == arrived, g
        assert kpi_value(kpis, "persons_exited", g) == exited, g
        assert kpi_value(kpis, "persons_in_stock_end", g) == open_end, g
        assert last[last.group == g].value.iloc[0] == open_end, g
        # the mean stock: days in the group within the run, over the run's days
        days = (np.minimum(s.end, horizon) - np.maximum(s.start, 0.0)).sum()
        assert kpi_value(kpis, "stock_mean", g) == pytest.approx(days / horizon, rel=1e-9), g
        if g in CLOSED:  # a programme the 2027 rules close takes nobody in; its stock runs off
            assert arrived == 0 and exited > 0, g
        else:
            assert exited > 20 and arrived > 20, g


def test_whole_cases_counted_from_spells(national_run):
    """The "all" level follows cases: arrivals from outside, exits to outside, the stock at the end."""
    df, horizon, kpis, _ = national_run
    outside_entries = int((df.new_entry & df.external).sum())
    outside_exits = int((df.dest.notna() & ~df.dest.isin(GROUPS)).sum())
    assert kpi_value(kpis, "persons_start", "all") == int((~df.new_entry).sum())
    assert kpi_value(kpis, "persons_arrived", "all") == outside_entries
    assert kpi_value(kpis, "persons_exited", "all") == outside_exits
    assert kpi_value(kpis, "persons_in_stock_end", "all") == int(df.dest.isna().sum())


def test_each_citizen_is_in_one_place_at_a_time(national_run):
    """A citizen's spells follow each other without gap or overlap: a move to group h starts a
    spell in h on the day the old one ends; a citizen who leaves for outside has no later spell;
    every case starts with one external spell."""
    df, _, _, _ = national_run
    d = df.sort_values(["key", "start", "end"]).reset_index(drop=True)
    nxt = d.shift(-1)
    moved = d.key.eq(nxt.key)  # a later spell of the same citizen follows
    first = ~d.key.eq(d.key.shift(1))
    assert (d.dest[moved] == nxt.group[moved]).all()
    assert (d.end[moved] == nxt.start[moved]).all()
    assert d.external[first].all() and not d.external[~first].any()
    last_dest = d.dest[~moved]
    assert (last_dest.isna() | ~last_dest.isin(GROUPS)).all()
    assert moved.sum() > 100

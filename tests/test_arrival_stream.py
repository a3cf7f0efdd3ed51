"""The engine's arrivals (sim.engine.arrival_stream) and the end of a run.

Each group's arrivals are drawn by `population.arrivals` in month batches; the model brings them in
through one queued event per group. Expected values here come from that drawing function run on its
own with the same seed, not from the model: every drawn arrival must enter exactly once, on its day,
under its key, and no arrival after the horizon may enter."""

from __future__ import annotations

import gc

import pytest

import sim
from sim.engine.citizen import Citizen
from sim.engine.model import GROUP_KEY_SHIFT, Model
from sim.engine.population import arrivals
from sim.engine.randomness import Streams

SEED, REPLICATION = 11, 1


@pytest.fixture(scope="module")
def run():
    params = sim.load_params(overrides={"scale": 0.01, "years": 1.0})
    model = Model(params, REPLICATION, SEED, record_spells=True)
    model.run()
    return params, model


def test_every_drawn_arrival_enters_once_on_its_day(run):
    params, model = run
    expected = {}
    for g in model.groups:
        for batch in arrivals(params, g, model.inflows[g], Streams(SEED, REPLICATION),
                              model.gidx[g] << GROUP_KEY_SHIFT):
            expected.update({int(k): float(d) for k, d in zip(batch.keys, batch.days) if d < model.horizon})
    first_spells = [r for r in model.spell_log if r["new_entry"] and r["external"]]
    entered = {}
    for r in first_spells:
        entered.setdefault(r["key"], []).append(r["start"])
    assert len(expected) > 1000  # every group, several month batches
    assert {k: min(days) for k, days in entered.items()} == expected  # each on its drawn day
    # a case's first spell is logged once (later spells of the case are not "external")
    assert all(len(days) == 1 for days in entered.values())


def test_a_finished_run_lets_go_of_its_citizens():
    """A citizen and its wake-up refer to each other; the run cuts that link at its end, so the
    citizens are freed by reference counting before the output tables are built (a national run's
    peak memory), not left to a later garbage collection."""
    params = sim.load_params(overrides={"scale": 0.005, "years": 0.5})
    was_enabled = gc.isenabled()
    gc.collect()
    gc.disable()  # nothing but reference counting may free them
    try:
        model = Model(params, 0, 3)
        rec = model.run()
        left = sum(1 for o in gc.get_objects() if isinstance(o, Citizen))
    finally:
        if was_enabled:
            gc.enable()
    assert rec.c["in_stock_end"].sum() > 100  # citizens were still in stock when it ended
    assert left == 0 and not model.active and not model.env._queue and not model.queue.wakes

"""The engine's own driver of SimPy's queue (sim.engine.event_queue) processes the same events in
the same order as SimPy's `Environment.schedule` and `Environment.run`: the expected run is the same
model, or the same events, with SimPy's own methods.
"""

from __future__ import annotations

import json
import os
import random
import subprocess
import sys
import textwrap

import pandas as pd
import pytest
import simpy
from simpy.events import NORMAL, URGENT

import sim
from sim.engine.event_queue import check_simpy
from sim.engine.model import Model
from sim.engine.wakes import Wake
from sim.metrics.kpis import kpi_frame
from sim.metrics.weekly import weekly_frame

RUNS = {
    # capacity-limited (bookings depend on the order of everyone's bookings), over the reform's change
    # of rules (every citizen replanned), with arrivals and the exemption pools as SimPy processes
    "capacity-limited": {"scale": 0.01, "years": 1.0, "capacity.unlimited": False, "start_date": "2026-10-01",
                         "rules": [{"from": "2026-10-01", "set": "reform_2026"},
                                   {"from": "2027-01-01", "set": "reform_2027"}]},
    # a managed exemption lifts exemptions of sleeping citizens: urgent interrupts among the wake-ups
    "managed": {"municipality": "Aarhus", "scale": 0.02, "years": 1.5, "exemption.policy": "managed",
                "exemption.share": 0.25, "exemption.judgement": 0.0},
}


def _run(overrides: dict, by_simpy: bool) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame, Model]:
    params = sim.load_params(overrides=overrides)
    model = Model(params, replication=0, seed=4, record_spells=True)
    model.queue.by_simpy = by_simpy
    rec = model.run()
    return (pd.DataFrame(model.spell_log), kpi_frame(rec, 0, params.scenario),
            weekly_frame(rec, 0, params.scenario), model)


@pytest.mark.parametrize("name", list(RUNS))
def test_own_loop_gives_simpys_run_exactly(name):
    log, kpis, weekly, model = _run(RUNS[name], by_simpy=False)
    log_s, kpis_s, weekly_s, model_s = _run(RUNS[name], by_simpy=True)
    if name == "managed":
        assert log["lifted"].any()  # interrupts happened
    else:
        assert 0 < model.switch_days[0] < model.horizon  # a change of rules is crossed
    assert model.events == model_s.events and model.n_timeouts == model_s.n_timeouts
    assert model.env.now == model_s.env.now == model.horizon
    pd.testing.assert_frame_equal(log, log_s)
    pd.testing.assert_frame_equal(kpis, kpis_s)
    pd.testing.assert_frame_equal(weekly, weekly_s)


def test_a_simpy_without_the_queue_it_drives_is_named():
    env = simpy.Environment()
    del env._queue
    with pytest.raises(RuntimeError, match=r"Environment\._queue.*SimPy 4"):
        check_simpy(env)



def _keyed_wake(time: float, priority: int, eid: int) -> Wake:
    w = Wake(None, None, 0)
    w.time, w.priority, w.eid = time, priority, eid
    return w


def test_a_wake_orders_as_simpys_queue_entries():
    """Wake.__lt__ (the wake-ups' heap) and Wake.before (against SimPy's queue) order by time, then
    priority, then event id: as Python orders SimPy's (time, priority, event id, event) tuples."""
    rng = random.Random(5)
    keys = [(float(rng.choice([0, 1, 2])), rng.choice([URGENT, NORMAL]), eid) for eid in rng.sample(range(10_000), 300)]
    wakes = [_keyed_wake(*k) for k in keys]
    assert len({k[:2] for k in keys}) == 6  # every (time, priority) shared by many
    for a, ka in zip(wakes, keys):
        for b, kb in zip(wakes[:60], keys[:60]):
            assert (a < b) == (ka < kb)
            assert a.before((*kb, None)) == (ka < kb)
    assert [(w.time, w.priority, w.eid) for w in sorted(wakes)] == sorted(keys)


# The engine's loop with a stand-in model: run from the sources (compiled, EventQueue.run takes the
# compiled Model only), with SimPy's own loop and with the engine's, on events tied in time and priority.
TIED = textwrap.dedent("""
    import json, random, sys
    import simpy
    from simpy.events import NORMAL, URGENT
    from sim.engine.event_queue import EventQueue
    from sim.engine.wakes import Wake

    def tied_events(by_simpy, seed, days):
        rng = random.Random(seed)
        env = simpy.Environment()
        queue = EventQueue(env, days)
        queue.by_simpy = by_simpy
        log = []

        def woke(w):
            log.append((env.now, "wake", w.what))
            if w.what % 3 == 0 and env.now < 4:  # some wake-ups queue another, some at no delay
                queue.schedule(Wake(None, [woke], w.what + 1000), rng.choice([URGENT, NORMAL]),
                               float(rng.choice([0, 0, 1, 0.5])))

        model = type("Model", (), {"on_wake": staticmethod(woke)})()
        for i in range(120):
            priority, delay = rng.choice([URGENT, NORMAL]), float(rng.choice([0, 1, 2, 2.25, 3, 3.5]))
            if rng.random() < 0.5:
                queue.schedule(Wake(None, [woke], i), priority, delay)
            else:
                event = simpy.Event(env)
                event._ok, event._value = True, None
                event.callbacks.append(lambda _e, i=i: log.append((env.now, "event", i)))
                queue.schedule(event, priority, delay)
        queue.run(10.0, model)
        return log, queue.popped

    seed, days = int(sys.argv[1]), int(sys.argv[2])
    (expected, _), (got, popped) = tied_events(True, seed, days), tied_events(False, seed, days)
    print(json.dumps({"simpy": expected, "engine": got, "popped": popped}))
""")


@pytest.mark.parametrize(("seed", "days"), [(1, 11), (2, 11), (3, 11), (4, 3)])
def test_tied_wakes_and_events_come_in_simpys_order(seed, days):
    """The wake-ups' own calendar merged with SimPy's queue gives SimPy's order, ties included (with
    days 3, the wake-ups from day 3 on wait in the calendar's heap of late ones)."""
    env = os.environ | {"CASELOAD_PURE_PYTHON": "1"}
    out = subprocess.run([sys.executable, "-W", "ignore", "-c", TIED, str(seed), str(days)], env=env,
                         capture_output=True, text=True, check=True)
    logs = json.loads(out.stdout.strip().splitlines()[-1])
    expected, got = logs["simpy"], logs["engine"]
    assert len({(t, what) for t, what, _ in expected}) < len(expected) / 4  # ties everywhere
    assert any(what == "wake" for _, what, _ in expected) and any(what == "event" for _, what, _ in expected)
    assert got == expected
    assert logs["popped"] == len(got)  # the loop counts each event it took, the stop not included


def test_the_wake_calendar_gives_one_heaps_order():
    """WakeCalendar against heapq over the same keyed wake-ups: pushes and takes interleaved, with
    wake-ups at the start of a day (normal and urgent, filed in the day's list or its heap), inside a
    day, on a day before the one being taken (a wake-up queued by an event of SimPy's queue), past the
    last day, and days left empty on the way."""
    import heapq

    from simpy.events import NORMAL, URGENT

    from sim.engine.wake_calendar import WakeCalendar

    rng = random.Random(11)
    calendar, reference = WakeCalendar(20), []
    eid, now, taken, expected = 0, 0.0, [], []

    def push(time: float) -> None:
        nonlocal eid
        eid += 1
        w = _keyed_wake(time, rng.choice([NORMAL, NORMAL, NORMAL, URGENT]), eid)
        calendar.push(w)
        heapq.heappush(reference, (w.time, w.priority, w.eid))

    for _ in range(3000):
        if rng.random() < 0.55 or not reference:
            kind = rng.random()
            if kind < 0.6:
                push(float(int(now) + rng.choice([0, 0, 1, 2, 5])))  # the start of a day
            elif kind < 0.9:
                push(now + rng.uniform(0.0, 4.0))
            elif kind < 0.95:
                push(max(now - rng.uniform(0.0, 3.0), 0.0))  # before the day being taken
            else:
                push(rng.uniform(20.0, 30.0))  # past the last day
        else:
            w = calendar.first()
            assert w is not None
            calendar.take()
            taken.append((w.time, w.priority, w.eid))
            expected.append(heapq.heappop(reference))
            now = w.time
    assert len(calendar) == len(reference)
    while (w := calendar.first()) is not None:
        calendar.take()
        taken.append((w.time, w.priority, w.eid))
        expected.append(heapq.heappop(reference))
    assert not reference and len(calendar) == 0
    assert taken == expected
    assert len({t for t, _, _ in taken}) < len(taken) * 0.8  # ties at the start of a day are common
    assert any(t >= 20.0 for t, _, _ in taken) and any(t % 1.0 for t, _, _ in taken)

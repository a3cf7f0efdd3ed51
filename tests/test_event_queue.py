"""The engine's own driver of SimPy's queue (sim.engine.event_queue) processes the same events in
the same order as SimPy's `Environment.schedule` and `Environment.run`: the expected run is the same
model with SimPy's own methods.
"""

from __future__ import annotations

import pandas as pd
import pytest
import simpy

import sim
from sim.engine.event_queue import check_simpy
from sim.engine.model import Model
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

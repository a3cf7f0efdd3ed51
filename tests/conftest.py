"""Shared helpers: small scenarios and a way to look at individual spells."""

from __future__ import annotations

import signal

import pandas as pd
import pytest

import sim
from sim.engine.model import Model

GROUPS = list(sim.load_params().scenario.groups)  # the five target groups and the programmes (ressourceforløb etc.)


@pytest.fixture(autouse=True, scope="session")
def ctrl_c_as_in_a_terminal():
    """Ctrl-C behaves as in a terminal, however the test runner was started.

    A runner started in the background by a non-interactive shell inherits SIGINT *ignored*, and so
    would every process a test starts: the Ctrl-C tests would then test nothing (the child never
    sees the signal). Python's own handler here also gives the children the default disposition,
    since exec resets a caught signal to its default (an ignored one stays ignored)."""
    if signal.getsignal(signal.SIGINT) is signal.SIG_IGN:
        signal.signal(signal.SIGINT, signal.default_int_handler)
    yield


def no_effects() -> dict[str, object]:
    """Overrides that switch every effect on the job hazard off."""
    ov: dict[str, object] = {}
    for g in GROUPS:
        ov[f"effects.talk_multiplier.{g}"] = 1.0
        ov[f"effects.threat_multiplier.{g}"] = 1.0
    for t in ("oevo", "virksomhedspraktik", "loentilskud"):
        ov[f"offers.types.{t}.lock_in_multiplier"] = 1.0
    ov["effects.after_offer_multiplier"] = 1.0
    ov["municipality_effects.job_chance_sd"] = 0.0  # the local labour market: a mixture over places
    return ov


def only_group(group: str, inflow: float, rules: str, **extra) -> dict[str, object]:
    """A scenario where only `group` receives citizens, who never leave (all hazards zero).

    It runs in one municipality (Aarhus, outside the free-choice trial) so that one exemption pool
    serves it, as the rule tests assume: spread over 98 municipalities, a few hundred citizens
    make pools of a handful of members, where the cap's integer floor lifts exemptions all the time."""
    ov: dict[str, object] = {"municipality": "Aarhus", "scale": 1.0, "rules": rules, "capacity.unlimited": True,
                             "start_date": "2027-01-01"}
    for g in GROUPS:
        ov[f"groups.{g}.stock"] = 0.0
        ov[f"groups.{g}.inflow_per_year"] = inflow if g == group else 0.0
    p = sim.load_params()
    grp = p.scenario.groups[group]
    n = len(grp.hazard.breaks_weeks)
    ov[f"groups.{group}.hazard.work"] = [0.0] * n
    ov[f"groups.{group}.hazard.other"] = [0.0] * n
    for dest in grp.hazard.to:
        ov[f"groups.{group}.hazard.to.{dest}"] = [0.0] * n
    ov[f"groups.{group}.seasonality"] = [1.0] * 12
    if rules == "pre_reform":
        ov["exemption.share"] = 0.0
    ov.update(extra)
    return ov


def spells(params, seed: int = 1, replication: int = 0) -> tuple[pd.DataFrame, Model]:
    """Run one replication with the spell log on; return the log as a frame and the model."""
    model = Model(params, replication, seed, record_spells=True)
    model.run()
    return pd.DataFrame(model.spell_log), model


@pytest.fixture(scope="session")
def small_run():
    """The national default at a small scale, three replications (shared by several tests)."""
    params = sim.load_params(overrides={"scale": 0.01, "years": 1.0})
    return sim.run(params, replications=3, seed=11, workers=1)

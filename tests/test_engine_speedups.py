"""The exact engine savings of issue 14 keep their promise: the same events in the same order, the
same random numbers.

Expectations come from the plain SimPy program and the plain numpy generator that the faster
engine replaces, not from the engine.
"""

from __future__ import annotations

import random

import numpy as np
import pytest
import simpy
from scipy import stats
from simpy.events import NORMAL, URGENT

import sim
from sim.engine.hazard import GroupHazard, SpellDistribution, entry_components, frailty_from_uniform, spell_distribution
from sim.engine.randomness import CONTACT_DRAWS, EXIT_DRAWS, OVERFLOW_CHUNK, OverflowDraws, Streams
from sim.engine.wakes import INTERRUPT, START, Wake


def _plans(seed: int, n: int) -> list[list[float]]:
    """Each entity's waits: whole days (so that many wake-ups tie) and some zero waits."""
    rng = random.Random(seed)
    return [[float(rng.choice([0, 0, 1, 2, 3, 7])) for _ in range(rng.randint(1, 6))] for _ in range(n)]


def _kicks(seed: int, n: int) -> dict[float, list[int]]:
    """Interrupts: day -> entities, sent by a process of their own every third day. The kicker waits
    for its day from three days before, so on its day it comes before the wake-ups scheduled since:
    the interrupt's priority decides whether those entities wake first."""
    rng = random.Random(seed + 1)
    kicks: dict[float, list[int]] = {}
    for _ in range(n):
        kicks.setdefault(3.0 * rng.randint(0, 4), []).append(rng.randrange(n))
    return dict(sorted(kicks.items()))


def _with_processes(plans: list[list[float]], kicks: dict[float, list[int]], late: int) -> list[tuple]:
    """The textbook program: a process per entity; an interrupt restarts its waits from the next one."""
    env = simpy.Environment()
    log: list[tuple] = []
    procs: dict[int, simpy.Process] = {}
    started: set[int] = set()

    def entity(i: int):
        started.add(i)
        log.append((env.now, i, "start"))
        k = 0
        while k < len(plans[i]):
            wait = plans[i][k]
            if wait > 0:
                try:
                    yield env.timeout(wait)
                except simpy.Interrupt:
                    log.append((env.now, i, "interrupted"))
                    k += 1
                    continue
            log.append((env.now, i, "wake"))
            k += 1

    def kicker():
        for day, targets in kicks.items():
            yield env.timeout(day - env.now)
            for i in targets:
                if i in started and procs[i].is_alive:  # (an unstarted process cannot take an interrupt)
                    procs[i].interrupt()

    def source():
        for i in range(late, len(plans)):
            yield env.timeout(1.0)
            procs[i] = env.process(entity(i))

    for i in range(late):
        procs[i] = env.process(entity(i))
    env.process(source())
    env.process(kicker())
    env.run(until=30)
    return log


def _with_wakes(plans: list[list[float]], kicks: dict[float, list[int]], late: int) -> list[tuple]:
    """The same program with Wake events on SimPy's queue, as sim.engine.model schedules citizens."""
    env = simpy.Environment()
    log: list[tuple] = []
    step = [0] * len(plans)
    current: dict[int, Wake] = {}
    running = [False] * len(plans)
    started: set[int] = set()

    def on_wake(w: Wake) -> None:
        i = w.citizen
        if i is None:
            return  # replaced by an interrupt
        if w.what == START:
            started.add(i)
            log.append((env.now, i, "start"))
        elif w.what == INTERRUPT:
            if not running[i]:
                return
            log.append((env.now, i, "interrupted"))
            current[i].citizen = None
            current[i] = w
            step[i] += 1
        else:
            log.append((env.now, i, "wake"))
            step[i] += 1
        while step[i] < len(plans[i]):
            wait = plans[i][step[i]]
            if wait > 0:
                w.what = 0
                w.callbacks = callbacks
                env.schedule(w, NORMAL, wait)  # type: ignore[arg-type]
                return
            log.append((env.now, i, "wake"))
            step[i] += 1
        running[i] = False

    callbacks = [on_wake]

    def launch(i: int) -> None:
        w = Wake(i, callbacks, START)
        current[i] = w
        running[i] = True
        env.schedule(w, URGENT)  # type: ignore[arg-type]

    def kicker():
        for day, targets in kicks.items():
            yield env.timeout(day - env.now)
            for i in targets:
                if i in started and running[i]:
                    env.schedule(Wake(i, callbacks, INTERRUPT), URGENT)  # type: ignore[arg-type]

    def source():
        for i in range(late, len(plans)):
            yield env.timeout(1.0)
            launch(i)

    for i in range(late):
        launch(i)
    env.process(source())
    env.process(kicker())
    env.run(until=30)
    return log


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_wakes_reproduce_the_order_of_a_process_per_citizen(seed):
    plans, kicks = _plans(seed, 200), _kicks(seed, 200)
    expected = _with_processes(plans, kicks, late=120)
    got = _with_wakes(plans, kicks, late=120)
    assert any(what == "interrupted" for _, _, what in expected)  # the interrupt path is exercised
    assert len({t for t, _, _ in expected}) < len(expected)  # and ties are
    assert got == expected


@pytest.mark.parametrize("sequence", [EXIT_DRAWS, CONTACT_DRAWS])
def test_overflow_draws_continue_the_private_generator_exactly(sequence):
    streams = Streams(7, 2)
    for key in (3, 1 << 41):
        gen = streams.citizen_overflow(key, sequence)
        expected = [float(gen.random()) for _ in range(5 * OVERFLOW_CHUNK + 3)]  # several refills
        draws = OverflowDraws(streams, key, sequence)
        assert [draws.next() for _ in range(len(expected))] == expected
        assert draws.used == len(expected)


@pytest.mark.parametrize("variance", [0.05, 0.3, 1.0, 2.5])
def test_frailty_equals_scipys_gamma_quantile_exactly(variance):
    """The frailty from the inverse incomplete gamma function is scipy's frozen gamma ppf, bit for bit
    (uniforms as the streams give them, with the edges 0 and just below 1)."""
    u = np.concatenate([np.random.default_rng(5).random(2000), [0.0, 1e-300, 0.5, np.nextafter(1.0, 0.0)]])
    expected = stats.gamma(a=1.0 / variance, scale=variance).ppf(u)
    assert np.array_equal(frailty_from_uniform(u, variance), expected)


def test_the_cached_spell_distribution_is_the_one_computed_afresh():
    """A group's cached distribution equals one built directly from its hazard; a changed hazard, frailty
    or entry mixture gets its own."""
    params = sim.load_params(overrides={"scale": 0.01})
    group = params.scenario.groups["dagpenge"]
    variance = params.scenario.frailty.variance
    comps, cap_to = entry_components(group)
    fresh = SpellDistribution(GroupHazard.from_params(group.hazard), variance, comps, cap_to)
    cached = spell_distribution(group, variance)
    assert spell_distribution(group, variance) is cached
    assert np.array_equal(cached.survival, fresh.survival) and cached.destination_probs == fresh.destination_probs
    assert spell_distribution(group, variance * 1.5).mean_days != cached.mean_days
    faster = group.model_copy(update={"hazard": group.hazard.model_copy(
        update={"work": [r * 1.2 for r in group.hazard.work]})})
    assert spell_distribution(faster, variance).mean_days < cached.mean_days
    other_mix = group.model_copy(update={"short_absence_share": 0.5, "short_absence_work_multiplier": 2.0})
    assert spell_distribution(other_mix, variance) is not cached

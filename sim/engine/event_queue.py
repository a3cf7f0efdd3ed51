"""SimPy's event queue, driven from the compiled engine: what Environment.run and .schedule do, event
for event, without a Python call per event.

Why: `Environment.run` hands every event to `Environment.step`, and the model put every wake-up on
the queue with `Environment.schedule`; both are Python methods of SimPy, and at about four events
per spell they were about a tenth of a national run with the compiled engine (py-spy, scale 0.1).
This module keys every event as SimPy does (time, priority, event id from SimPy's own counter) and
always takes the first, so the order of events and every output stay exactly what SimPy's own loop
gives: a citizen's wake-up goes straight to the model, and every other event (the arrival streams,
the pool keepers and the rule changes) is processed as `Environment.step` processes it.

The citizens' wake-ups wait beside SimPy's queue, filed by day (sim.engine.wake_calendar), each Wake
carrying its key: a Wake compares itself in C, where SimPy's entry was a tuple of four compared
element by element, and a queued wake-up no longer holds a tuple, a float and an integer of its own
(about 140 bytes of each citizen in stock). The next event is the earlier of the two queues' first.

It reads three attributes SimPy keeps private (`_queue`, `_eid`, `_now`, unchanged since SimPy 3);
`check_simpy` says so clearly if a SimPy release renames them, and `EventQueue.by_simpy` hands the
scheduling and the loop back to SimPy's own methods, for comparison (tests/test_event_queue.py).
"""

from __future__ import annotations

from heapq import heappop, heappush
from typing import TYPE_CHECKING, Any, Final

import simpy
from simpy.events import URGENT

from sim.engine.wake_calendar import WakeCalendar
from sim.engine.wakes import Wake

# An import cycle for the type checker only (model imports this module to run its queue): typed as the
# Model, `model.on_wake(w)` compiles to a direct C call per event; a protocol or a callback would make
# it a generic Python call. At run time the import does not happen.
if TYPE_CHECKING:
    from sim.engine.model import Model

SIMPY_INTERNALS: Final = ("_queue", "_eid", "_now")


def check_simpy(env: simpy.Environment) -> None:
    """Fail at the start of a run, with the reason, if this SimPy keeps its queue differently."""
    missing = [name for name in SIMPY_INTERNALS if not hasattr(env, name)]
    if missing:
        raise RuntimeError(
            f"SimPy {getattr(simpy, '__version__', '?')} has no Environment.{', Environment.'.join(missing)}: "
            "the engine drives SimPy's event queue itself (sim.engine.event_queue) and was written for "
            "SimPy 4's queue; install a SimPy 4 release")


class EventQueue:
    """Schedule a citizen's wake-up on SimPy's queue, as `Environment.schedule` would."""

    __slots__ = ("env", "queue", "wakes", "eid", "by_simpy", "popped")

    def __init__(self, env: simpy.Environment, days: int):
        """`days`: the days of the run, from day 0 (the calendar files wake-ups by day up to there; later ones
        wait in one heap of their own)."""
        check_simpy(env)
        self.env = env
        self.queue: list[Any] = env._queue
        self.wakes = WakeCalendar(days)  # the citizens' wake-ups, by day
        self.eid: Any = env._eid  # SimPy's counter of event ids (itertools.count)
        self.by_simpy = False  # True: Environment.schedule and Environment.run do it (for comparison)
        self.popped = 0  # events taken from the queues by run()

    def schedule(self, w: Any, priority: int, delay: float) -> None:
        """Queue `w` (a citizen's Wake, a group's ArrivalStream or a pool's PoolLook: bare events, see
        sim.engine.wakes) `delay` days from now: the same key as Environment.schedule (its time
        `now + delay`, not the target day itself, so the floating-point sum is the one SimPy would have
        queued)."""
        if self.by_simpy:
            # (a Wake is event enough for SimPy: see sim.engine.wakes)
            self.env.schedule(w, priority, delay)  # type: ignore[arg-type]
            return
        now: float = self.env._now
        if isinstance(w, Wake):
            w.time = now + delay
            w.priority = priority
            w.eid = next(self.eid)
            self.wakes.push(w)
        else:
            heappush(self.queue, (now + delay, priority, next(self.eid), w))

    def clear(self) -> None:
        """Drop every event still queued (SimPy's queue included)."""
        self.queue.clear()
        self.wakes.clear()

    def run(self, until: float, model: Model) -> None:
        """Process every event before `until` as `Environment.run(until=until)` does: that puts an
        urgent stop event at `until` and steps until it comes, so events at `until` itself wait,
        except urgent ones queued before the stop."""
        env = self.env
        if self.by_simpy:
            env.run(until=until)
            return
        stop = simpy.Event(env)
        stop._ok = True
        stop._value = None
        env.schedule(stop, URGENT, until - env.now)
        queue = self.queue
        wakes = self.wakes
        while True:
            # (SimPy's queue is never empty here: the stop event is in it)
            w = wakes.first()
            if w is not None and w.before(queue[0]):
                self.popped += 1
                wakes.take()
                env._now = w.time
                w.callbacks = None  # as step does: a wake-up is not called twice
                model.on_wake(w)
                continue
            entry: Any = heappop(queue)
            env._now = entry[0]
            event = entry[3]
            if event is stop:
                return
            self.popped += 1
            step_callbacks(event)


def step_callbacks(event: Any) -> None:
    """Call an event's callbacks and fail on an event that failed undefused: Environment.step after
    its pop."""
    callbacks, event.callbacks = event.callbacks, None
    for callback in callbacks:
        callback(event)
    if not event._ok and not hasattr(event, "_defused"):
        exc = type(event._value)(*event._value.args)
        exc.__cause__ = event._value
        raise exc

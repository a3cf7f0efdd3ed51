"""A citizen's wake-ups as bare SimPy events, in place of a SimPy process per citizen.

Why: a process per citizen costs, at every wake-up, a Timeout object, resuming a generator and
SimPy's bookkeeping around it, and, for every citizen in stock, a Process, its generator frame and
its pending Timeout in memory (about 600 bytes each). A citizen's step needs none of that: it is a
plain function of the citizen's state, called when the day it waits for comes. So each citizen holds
one small `Wake`, queued with the key SimPy gives an event (sim.engine.event_queue), and the model
is called back when it is due, in exactly the order SimPy would have resumed the process: the same
time, the same priority (URGENT for a restart and for an interrupt, NORMAL for a timeout) and an
event id drawn at the same moment. (A new citizen's case starts at once, where its process started
with an urgent wake-up that came next: Model._enter.) The outputs are therefore identical to those
of the process-per-citizen engine, event for event.

What `Environment.step` asks of an event is two attributes: `callbacks` (a list it calls with the
event and then sets to None) and `_ok` (True: nothing failed). A Wake is that, and the key it is
queued with; the list of callbacks is shared by all wake-ups of a model, since step never changes it.
"""

from __future__ import annotations

from typing import Any, Final

# What a citizen does when a wake-up comes (Wake.what); the four below START are what it sleeps
# towards (the model tests `what < START`)
CONTACT: Final = 0
EXIT: Final = 1
REPLAN: Final = 2
HANDOVER: Final = 3
START: Final = 4  # a new citizen's wake-up, before its first sleep (its case starts at once: Model._enter)
RESUME: Final = 5
INTERRUPT: Final = 6


class Wake:
    """One scheduled wake-up of a citizen, as SimPy's event queue sees it.

    A citizen reuses its Wake from one wake-up to the next. An interrupt (an exemption lifted while
    it sleeps) is a Wake of its own; when it comes it detaches the sleeping one (citizen None), as
    SimPy detaches an interrupted process from the timeout it waited for, which still comes and
    does nothing."""

    __slots__ = ("callbacks", "citizen", "what", "time", "priority", "eid")
    _ok = True  # read by Environment.step: the event did not fail

    def __init__(self, citizen: Any, callbacks: Any, what: int):
        self.callbacks = callbacks
        self.citizen = citizen
        self.what = what
        # its key while queued by sim.engine.event_queue: SimPy's (time, priority, event id)
        self.time = 0.0
        self.priority = 0
        self.eid = 0

    def precedes(self, time: float, priority: int, eid: int) -> bool:
        """Comes before an event keyed (time, priority, event id): SimPy's order of its queue."""
        if self.time != time:
            return self.time < time
        if self.priority != priority:
            return self.priority < priority
        return self.eid < eid

    def __lt__(self, other: Wake) -> bool:
        """For the heaps of the wake-up calendar (sim.engine.wake_calendar)."""
        return self.precedes(other.time, other.priority, other.eid)

    def before(self, entry: tuple[float, int, int, Any]) -> bool:
        """Comes before the event of an entry of SimPy's queue (time, priority, event id, event)."""
        return self.precedes(entry[0], entry[1], entry[2])


class PoolLook:
    """The next look of an exemption pool's keeper at its pool, as a bare event (Model._look_at_pool).

    Why: the keeper was a SimPy process, and each of its looks cost a Timeout and a generator's
    resumption in SimPy's Python (about 2 % of a national run). It is queued where the process
    queued its start (urgent, at no delay) and its timeouts (normal, after the wait), so the looks
    come in the same order."""

    __slots__ = ("callbacks", "pool", "flag", "started")
    _ok = True  # read by Environment.step: the event did not fail

    def __init__(self, pool: Any, flag: str):
        self.callbacks: Any = None  # set each time it is queued (step sets it to None)
        self.pool = pool
        self.flag = flag
        self.started = False  # its first look (the process's start) has come

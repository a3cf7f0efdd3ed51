"""A group's arrivals as one event, queued again for each arrival, in place of a SimPy process.

Why: the process that brought a group's arrivals yielded a Timeout per arrival and resumed its
generator, and each new citizen then waited for a START wake-up of its own before its case began:
the bookkeeping of three events for each arrival where one does. The stream is queued as SimPy
queues a timeout (NORMAL priority, at now + the wait), and when it comes the model first queues the
stream's next arrival and then starts the arriving citizens' cases at once, the order in which the
process queued its next timeout and then the citizens' START wake-ups came (nothing else can come
between them: they were urgent and due at that very instant). The outputs are the same, event for event.

Like a Wake (sim.engine.wakes), the stream is an event to SimPy's queue: `callbacks` and `_ok`.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from sim.engine.population import Entrants


class ArrivalStream:
    """The arrivals of one group: its month batches, drawn one at a time as they are reached, and
    the next arrival in the current batch."""

    __slots__ = ("callbacks", "group", "batches", "days", "keys", "rows", "attrs", "i")
    _ok = True  # read by Environment.step: the event did not fail

    def __init__(self, group: str, batches: Iterator[Entrants]):
        self.callbacks: Any = None  # set each time the stream is queued (step sets it to None)
        self.group = group
        self.batches = batches
        self.days: list[float] = []  # arrival days of the current batch
        self.keys: Any = None  # its citizens' keys and rows of uniforms (numpy arrays)
        self.rows: Any = None
        self.attrs: dict[str, list] = {}  # their drawn attributes, as lists by name
        self.i = 0  # the next arrival of the batch

    def exhausted(self) -> bool:
        """Whether the current batch has no arrival left (the next batch is then drawn, if any)."""
        return self.i >= len(self.days)

    def load(self, batch: Entrants, attrs: dict[str, list]) -> None:
        """Make `batch`, with its citizens' attributes, the current batch."""
        self.days = batch.days.tolist()
        self.keys, self.rows, self.attrs, self.i = batch.keys, batch.rows, attrs, 0

"""The citizens' queued wake-ups, filed by day, taken in SimPy's order (time, priority, event id).

Why: one heap of every citizen's wake-up (one per citizen in stock, about 280,000 in a national run)
cost about a tenth of a run in its sift-downs, each of some eighteen levels comparing two Wakes that lie
anywhere in memory. Most wake-ups (seven in ten) are for a booked contact: due at the start of a whole
day, at normal priority. Those due on one day come in the order of their event ids, which SimPy hands
out in increasing order, so the ones filed for a day in the order they are queued are already in
SimPy's order: a list read from the front, with no comparisons. The others (exits at any time of day,
urgent ones) go to a small heap of their day. The first wake-up is the earlier of its day's two firsts,
and the earliest day that holds one has the first of all, since every wake-up of an earlier day comes
before every one of a later day. So the order is exactly that of one heap.

Wake-ups due on or after the last day filed (the horizon) wait in one heap of their own.
"""

from __future__ import annotations

from heapq import heappop, heappush
from typing import Final

from simpy.events import NORMAL

from sim.engine.wakes import Wake

FROM_LIST: Final = 0  # where the first wake-up lies (see WakeCalendar.first)
FROM_HEAP: Final = 1
FROM_LATE: Final = 2


class WakeCalendar:
    """Queued wake-ups by day: per day a list of those due at its start at normal priority (in the
    order queued) and a heap of the rest."""

    __slots__ = ("lists", "read", "heaps", "late", "day", "found", "size")

    def __init__(self, days: int):
        self.lists: list[list[Wake]] = [[] for _ in range(days)]
        self.read: list[int] = [0] * days  # how many of each day's list were taken
        self.heaps: list[list[Wake]] = [[] for _ in range(days)]
        self.late: list[Wake] = []  # a heap of those due on or after day `days`
        self.day = days  # no day before this one holds a wake-up
        self.found = FROM_LATE  # where first() found the first wake-up
        self.size = 0  # wake-ups filed and not taken

    def __len__(self) -> int:
        return self.size

    def push(self, w: Wake) -> None:
        """File a keyed wake-up (its time, priority and event id set)."""
        t = w.time
        self.size += 1
        if t >= len(self.lists):
            heappush(self.late, w)
            return
        d = int(t) if t > 0.0 else 0  # (nothing is due before now; a negative time would go to day 0)
        if t == d and w.priority == NORMAL:
            self.lists[d].append(w)  # later than every wake-up already filed there: a larger event id
        else:
            heappush(self.heaps[d], w)
        if d < self.day:
            self.day = d

    def first(self) -> Wake | None:
        """The first wake-up (None: there is none), left filed; `take` takes it. Days used up on the way
        let go of their lists."""
        lists, heaps, read = self.lists, self.heaps, self.read
        d = self.day
        n = len(lists)
        while d < n:
            today = lists[d]
            i = read[d]
            heap = heaps[d]
            if i < len(today):
                w = today[i]
                if heap and heap[0].precedes(w.time, w.priority, w.eid):
                    self.day, self.found = d, FROM_HEAP
                    return heap[0]
                self.day, self.found = d, FROM_LIST
                return w
            if heap:
                self.day, self.found = d, FROM_HEAP
                return heap[0]
            if i:
                lists[d], read[d] = [], 0
            d += 1
        self.day, self.found = n, FROM_LATE
        return self.late[0] if self.late else None

    def take(self) -> None:
        """Take the wake-up the last call of `first` returned (nothing filed in between)."""
        self.size -= 1
        if self.found == FROM_LIST:
            self.read[self.day] += 1
        elif self.found == FROM_HEAP:
            heappop(self.heaps[self.day])
        else:
            heappop(self.late)

    def clear(self) -> None:
        """Drop every wake-up."""
        n = len(self.lists)
        self.lists = [[] for _ in range(n)]
        self.read = [0] * n
        self.heaps = [[] for _ in range(n)]
        self.late = []
        self.day = n
        self.size = 0

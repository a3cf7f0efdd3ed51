"""Who is on STU (særligt tilrettelagt ungdomsuddannelse) and until when.

An activity-ready citizen on STU when its yearly clarification falls due has it at the latest a
month after the STU ends (see :mod:`sim.engine.clarification_clock`). Drawn from streams of their
own (:func:`sim.engine.randomness.stu_stream`), so that no citizen's other draws move.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from sim.engine.randomness import Streams, stu_stream
from sim.inputs.schema import DAYS_PER_YEAR, Stu


class StuDraws:
    """Draws the STU end day of each new citizen of a group, from the group's own streams."""

    def __init__(self, stu: Stu, streams: Streams):
        self.stu = stu
        self.streams = streams
        self._rngs: dict[str, np.random.Generator] = {}

    def end_days(self, group: str, kind: str, under_30: Sequence[bool] | np.ndarray,
                 days: Sequence[float] | np.ndarray) -> np.ndarray:
        """The day each of the next citizens of `group` (`kind`: "stock" or "arrivals", created on
        `days`) ends its STU, NaN for those not on STU: a `share_under_30` of the under-30s, each
        with a remaining time uniform on (0, years_max] from the day it is created."""
        n = len(days)
        stu = self.stu
        if group not in stu.groups or stu.share_under_30 <= 0.0 or n == 0:
            return np.full(n, np.nan)
        name = stu_stream(group, kind)
        rng = self._rngs.get(name)
        if rng is None:
            rng = self._rngs[name] = self.streams.generator(name)
        u = rng.random((n, 2))
        on = np.asarray(under_30, dtype=bool) & (u[:, 0] < stu.share_under_30)
        left = (1.0 - u[:, 1]) * stu.years_max * DAYS_PER_YEAR  # in (0, years_max]
        return np.where(on, np.asarray(days, dtype=float) + left, np.nan)

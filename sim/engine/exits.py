"""When a spell ends: the exit clocks a citizen starts a spell with, and how effects move the job exit.

A spell has two clocks (competing risks): the job exit, whose hazard the windows of effect of
talks and offers multiply, so it is recomputed from the budget left whenever a window is added;
and the first other exit (benefit cap, other exit, move to another group), drawn once because
nothing the model does changes those hazards.
"""

from __future__ import annotations

import math
from functools import partial

import numpy as np

from sim.engine.citizen import Citizen
from sim.engine.hazard import INF, OTHER, GroupHazard, Piecewise, Window, fixed_exit, integrate_windows, invert_windows
from sim.engine.population import exhaustion_days
from sim.engine.randomness import COL_PRIOR_HOURS, Streams
from sim.inputs.schema import Exhaustion


def start_exit_clocks(c: Citizen, hazard: GroupHazard, short_mult: float, exhaustion: Exhaustion | None,
                      now: float, streams: Streams, moved_in: bool) -> None:
    """Draw the exits of the spell the citizen starts (its spell start and windows already set),
    counted from day `now`: a fresh unit-exponential budget for the job exit, then the other exits.

    The benefit cap runs from the spell start; a citizen who moved in from another group (job
    loss after sickness) gets its UI hours from its own prior-hours draw, an entrant keeps the cap
    its attributes gave it."""
    if exhaustion is None:
        c.cap_day = INF
    elif moved_in:
        c.cap_day = float(exhaustion_days(exhaustion, np.array([c.row[COL_PRIOR_HOURS]]))[0])
    s = c.spell_start
    mult = c.frailty * (short_mult if c.short_absence else 1.0)
    c.work_left = -math.log(1.0 - c.uniform(streams))
    c.work_t = now
    c.work_exit = invert_windows(hazard.work, s, now, c.work_left, mult, c.windows)
    c.fixed_exit, c.fixed_dest = fixed_exit(hazard, s, now, s + c.cap_day,
                                            exhaustion.to_group if exhaustion else OTHER, partial(c.uniform, streams))


def redraw_fixed_exit(c: Citizen, hazard: GroupHazard, exhaustion: Exhaustion | None, now: float,
                      streams: Streams) -> None:
    """Draw the spell's first exit other than to work afresh from day `now`, keeping the benefit cap.

    Why: when the move the citizen drew is closed (its programme takes no new cases), the citizen
    stays; the competing exits still to come are redrawn from today. The hazards are memoryless
    given survival to `now`, so ignoring the closed move and redrawing is the same in law as a
    hazard without it (the closed move may be drawn again and is ignored again)."""
    s = c.spell_start
    c.fixed_exit, c.fixed_dest = fixed_exit(hazard, s, now, s + c.cap_day,
                                            exhaustion.to_group if exhaustion else OTHER, partial(c.uniform, streams))


def add_window(c: Citizen, window: Window, now: float, work: Piecewise, short_mult: float) -> None:
    """Add a window of effect on the citizen's job hazard `work` from day `now` and recompute its
    job-exit time: the budget used up to now under the old windows is taken off, then the rest is
    inverted under the new ones (windows already over are dropped). `short_mult` multiplies the
    hazard of the short-absence sick-listed."""
    scale = c.frailty * (short_mult if c.short_absence else 1.0)
    if now > c.work_t:
        c.work_left -= integrate_windows(work, c.spell_start, c.work_t, now, scale, c.windows)
        c.work_t = now
    c.windows = [w for w in c.windows if w[1] > now]
    c.windows.append(window)
    c.work_exit = invert_windows(work, c.spell_start, now, max(c.work_left, 0.0), scale, c.windows)

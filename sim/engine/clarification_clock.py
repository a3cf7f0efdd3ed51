"""The clarification clock: when a citizen's clarifications (afklaringer) are due.

A clarification rule counts its days from the start of the spell, or (``counted_in =
"cash_benefit_system"``) from the start of the citizen's stay in the cash-benefit system: the rule
set's `cash_benefit_system` groups, across moves between them. A citizen who is job-ready for 8
months and then activity-ready is due its yearly clarification 4 months into the activity-ready
spell. With `stu_grace_days`, a clarification due while the citizen is on STU is due that many days
after the STU ends instead (STAR: at the latest one month after the STU ends).

A citizen who enters the rule's group after an anniversary of its stay has passed (e.g. job-ready
for 14 months, then activity-ready) is due on the next anniversary, not at once: an assumption
([A]); the STAR answers say only "after one year in the cash-benefit system and every year after".

The planner, the model (the next clarification after one is held) and the compliance scoring all
take their due days from :func:`next_due`, so what is planned is what is scored.
"""

from __future__ import annotations

import math
from collections.abc import Iterator

from sim.engine.citizen import Citizen
from sim.inputs.rules import Clarification, RuleSet


def stay_start(rules: RuleSet, previous_group: str | None, group: str, previous_start: float | None,
               spell_start: float) -> float:
    """The start of the citizen's stay in the cash-benefit system as it starts a spell in `group`.

    A move between two groups of the system keeps the stay's start; any other start (a new entrant,
    the initial stock, a move from outside the system) starts the clock with the spell. The initial
    stock's history before its current spell is unknown, so its clock starts with that spell."""
    system = rules.cash_benefit_system.groups
    if previous_group is not None and previous_start is not None and previous_group in system and group in system:
        return previous_start
    return spell_start


def clock_start(c: Citizen, cl: Clarification) -> float:
    """The day the rule's days count from: the spell's start or the stay's."""
    if cl.counted_in == "cash_benefit_system":
        return c.cash_start
    return c.spell_start


def due_days(start: float, cl: Clarification, stu_end: float | None) -> Iterator[float]:
    """The absolute due days of a rule whose clock starts on `start`, in increasing order.

    The anniversaries are start + first_day + k·every_days. With a grace period and an STU ending
    on `stu_end`, those before `stu_end` (due while on STU) become one clarification due
    `stu_end` + grace, unless a regular anniversary falls between the STU's end and that day (it
    then serves the deferred one too); the anniversaries from the STU's end on stay as they are."""
    first = start + cl.first_day
    every = cl.every_days
    nxt: float | None = first
    if cl.stu_grace_days is not None and stu_end is not None and first < stu_end:
        deferred = stu_end + cl.stu_grace_days
        nxt = first + math.ceil((stu_end - first) / every) * every if every else None
        if nxt is None or nxt > deferred:
            yield deferred
    while nxt is not None:
        yield nxt
        if not every:
            return
        nxt += every


def next_due(c: Citizen, cl: Clarification, after: float) -> float | None:
    """The citizen's first due day of rule `cl` strictly after day `after` (None: there is none)."""
    for due in due_days(clock_start(c, cl), cl, c.stu_end):
        if due > after:
            return due
    return None

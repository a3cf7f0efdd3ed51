"""The citizen record: the state of one citizen's current spell, and its own random numbers.

A citizen is created once (at the start date for the initial stock, on arrival otherwise) and
carries the same record through every spell of its case; each new spell resets the spell fields.
Everything random about it comes from its row of uniforms (common random numbers, see
:mod:`sim.engine.randomness`).
"""

from __future__ import annotations

import math
from array import array
from collections.abc import Mapping
from typing import Any, Final

import numpy as np

from sim.engine.randomness import (
    COL_FRAILTY,
    CONTACT_DRAWS,
    EXIT_DRAWS,
    FIRST_CONTACT,
    FIRST_FREE,
    ROW_WIDTH,
    OverflowDraws,
    Streams,
)

# A spell's record (talks, offer days, ...) before its first entry. Why shared and not a fresh empty
# list per spell: most citizens in stock have no offer or clarification yet, and five empty lists were
# about 280 bytes of each citizen's record, over a tenth of a national run's memory.
NONE_YET: Final[tuple[()]] = ()

# Talk providers as small numbers in a citizen's talk log (see Citizen.add_talk). The codes are this
# process's shorthand, handed out in order of first use; they never leave the log, whose reader
# (Citizen.talks) turns them back into names.
_PROVIDER_CODES: Final[dict[str, float]] = {}
_PROVIDER_NAMES: Final[list[str]] = []


def provider_code(provider: str) -> float:
    """The talk log's code for a provider (a whole number, held as a double like the days beside it)."""
    code = _PROVIDER_CODES.get(provider)
    if code is None:
        code = float(len(_PROVIDER_NAMES))
        _PROVIDER_NAMES.append(provider)
        _PROVIDER_CODES[provider] = code
    return code


class Citizen:
    """The state of one citizen's current spell. Plain slots: this is the hot path."""

    __slots__ = ("key", "row", "col", "overflow", "g", "spell_start", "case_start", "frailty", "under_30",
                 "short_absence", "cap_day", "exempt", "exempt_separate", "exempt_offer", "lifted", "pooled",
                 "proc", "running", "windows", "course_provider", "course_days", "trial_arm", "need", "work_left",
                 "work_t", "work_exit", "fixed_exit", "fixed_dest", "provider", "plan", "seq", "request_day",
                 "request_seq", "booked_day", "booked_provider", "booked_hours", "booked_joint", "talk_log",
                 "offer_days", "clar_days", "clar_dues", "new_entry", "provider_since", "rules", "first_block",
                 "touched", "handover_day", "handover_rule", "ccol", "contact_overflow", "place", "fund",
                 "cash_start", "stu_end")

    key: int
    row: Any  # the citizen's own row of uniforms, as C doubles (array "d"; see new_citizen)
    col: int  # the next free column of the row for the exit draws
    overflow: Any  # its private stream of exit draws once those columns are used up (OverflowDraws)
    ccol: int  # the next free column of the row for the contact draws
    contact_overflow: Any  # its private stream of contact draws once those columns are used up
    g: str  # the group of the current spell
    spell_start: float
    case_start: float
    # start of its stay in the cash-benefit system (set at every spell start; a plain float, not float | None,
    # which held a boxed float of 24 bytes)
    cash_start: float
    stu_end: float | None  # the day its STU ends (None: not on STU)
    frailty: float
    cap_day: float  # spell day on which UI benefit runs out (infinite outside dagpenge)
    exempt_offer: bool | None  # exempt from the offers by their own decision (None: `exempt` covers them)
    proc: Any  # its wake-up on SimPy's event queue (sim.engine.wakes.Wake)
    # The spell's records below start as NONE_YET and become lists at their first entry
    windows: list[tuple[float, float, float]] | tuple[()]  # windows of effect on the job hazard
    course_provider: str | None  # who runs the first months of its course in a trial
    course_days: float | None  # how long the trial course provider runs it
    trial_arm: str | None
    need: float  # how much talks help it, relative to the average
    work_left: float  # unit-exponential budget of the job exit still to use
    work_t: float  # the day work_left was last brought up to date
    work_exit: float
    fixed_exit: float  # the first exit other than to work, and where it goes
    fixed_dest: str
    provider: str  # who runs its course now
    # heap of (day, sequence, kind, payload); NONE_YET when empty (in nearly half the citizens in stock:
    # an empty list was 72 bytes)
    plan: list[tuple[float, int, int, Any]] | tuple[()]
    seq: int
    # its next talk on request (math.inf: none), a plan item kept beside the heap (see planner.first_item).
    # Why: nearly every citizen in stock has one pending, and as a heap entry it was a tuple and a float
    # (96 bytes); there is never more than one, since each is planned when the one before is held
    request_day: float
    request_seq: int
    # its booked contact: the day (math.inf: none booked), whose diary, the hours and the provider that joins
    # it (None: nobody). Fields rather than a tuple: a booking per contact, and a tuple with its two
    # floats was about 130 bytes of each citizen in stock
    booked_day: float
    booked_provider: str
    booked_hours: float
    booked_joint: str | None
    # the spell's talks in order, as day and provider code by turns (array "d", or NONE_YET; see add_talk)
    talk_log: Any
    offer_days: list[float] | tuple[()]
    clar_days: list[float] | tuple[()]  # days the spell's clarifications were held
    clar_dues: list[float] | tuple[()]  # the due day each of them served (same order)
    provider_since: float
    rules: Any  # the rule set its spell is planned under
    # group ("*": any) -> the last run year it was counted in (persons touched); None until its first
    # spell ends (an empty dict is 64 bytes, and most citizens in stock are in their first spell)
    touched: dict[str, int] | None
    first_block: Any  # the talk block that holds its first talk
    place: int  # index of its municipality (sim.engine.places)
    fund: int  # index of its a-kasse
    handover_day: float  # when the case passes to its hand-over rule's to_provider (math.inf: it does not)
    handover_rule: Any  # that rule (sim.inputs.rules.Handover) while a hand-over is due
    # The flags last and together: the compiled record lays its fields out in the order declared here,
    # and a flag (one byte) between two eight-byte fields took eight; together the eight take one word
    # (40 bytes less a citizen, about 11 MB of a national run)
    under_30: bool
    short_absence: bool
    exempt: bool  # exempt by the main decision
    exempt_separate: bool  # exempt from the talks of the provider that decides separately
    pooled: bool  # counted in an exemption pool as a new entrant
    running: bool  # its step loop goes on: a wake-up is due, or it is being stepped
    new_entry: bool  # entered during the run (the initial stock has an unknown history)
    lifted: bool  # an exemption of this spell was lifted to keep a pool's cap (the rest of it is planned in)

    def add_talk(self, day: float, provider: str) -> None:
        """Record a talk held. Why one C array of days and provider codes, not a list of (day, provider)
        tuples: a tuple and its float took 80 bytes a talk, and a citizen in stock has had a talk or
        two in its spell; an array of days beside a list of providers still took about 180 bytes."""
        if self.talk_log:
            self.talk_log.extend((day, provider_code(provider)))
        else:
            self.talk_log = array("d", (day, provider_code(provider)))

    def talks(self) -> list[tuple[float, str]]:
        """(day, provider) of each talk of the spell, in order."""
        log = self.talk_log
        names = _PROVIDER_NAMES
        return [(log[i], names[int(log[i + 1])]) for i in range(0, len(log), 2)]

    def uniform(self, streams: Streams) -> float:
        """The citizen's next uniform for its exit clocks: from its row, then from its private stream.

        Why two sequences: the exit draws of a spell must not depend on how many contacts earlier
        spells had (the number of talks depends on staffing), or common random numbers between
        staffing levels break for citizens who move between groups."""
        col = self.col
        if col < FIRST_CONTACT:
            self.col = col + 1
            return self.row[col]
        if self.overflow is None:
            self.overflow = OverflowDraws(streams, int(self.key), EXIT_DRAWS)
        return self.overflow.next()

    def contact_uniform(self, streams: Streams) -> float:
        """The citizen's next uniform for its contacts (talk channel, offer type, talks on request)."""
        col = self.ccol
        if col < ROW_WIDTH:
            self.ccol = col + 1
            return self.row[col]
        if self.contact_overflow is None:
            self.contact_overflow = OverflowDraws(streams, int(self.key), CONTACT_DRAWS)
        return self.contact_overflow.next()


def talk_need(u_frailty: float, weight: float) -> float:
    """How much talks and the threat of activation help a citizen, relative to the average.

    2(1 - u) falls from 2 to 0 as the job chances (the frailty draw u) rise and has mean 1, so
    `weight` (effects.talk_effect_by_need) moves between no difference (0) and that full spread (1)
    while the average effect stays what the effect multipliers say."""
    return 1.0 - weight + weight * 2.0 * (1.0 - u_frailty)


def new_citizen(key: Any, row: Any, attrs: Mapping[str, Any], i: int, need_weight: float) -> Citizen:
    """A citizen from its row of uniforms and the i-th entry of its group's drawn attributes
    (arrays or lists by attribute name, see population.citizen_attributes).

    The citizen keeps its own copy of the row as an array of C doubles (336 bytes), not a numpy
    row: a view (112 bytes) kept its whole batch of rows alive after the others had left, and a
    numpy copy takes 368 bytes. Indexing it gives Python floats, the same values."""
    c = Citizen()
    c.key = int(key)
    # (the slice copies it at its exact size: an array built from bytes keeps 56 bytes spare)
    c.row = array("d", np.ascontiguousarray(row, dtype=np.float64).tobytes())[:]
    c.col = FIRST_FREE
    c.overflow = None
    c.ccol = FIRST_CONTACT
    c.contact_overflow = None
    c.handover_day = math.inf
    c.handover_rule = None
    c.frailty = float(attrs["frailty"][i])
    c.under_30 = bool(attrs["under_30"][i])
    c.short_absence = bool(attrs["short_absence"][i])
    c.cap_day = float(attrs["cap_day"][i])  # plain floats: numpy scalars are slow in the hot path
    c.booked_day = math.inf
    c.request_day = math.inf  # (every plan sets it)
    c.request_seq = 0
    c.booked_provider = ""
    c.booked_hours = 0.0
    c.booked_joint = None
    c.exempt = False
    c.exempt_separate = False
    c.exempt_offer = None
    c.lifted = False
    c.pooled = False
    c.proc = None
    c.running = False
    c.need = talk_need(float(row[COL_FRAILTY]), need_weight)
    c.course_provider = None
    c.course_days = None
    c.trial_arm = None
    c.touched = None
    c.place = int(attrs["place"][i]) if "place" in attrs else 0
    c.fund = int(attrs["fund"][i]) if "fund" in attrs else 0
    c.cash_start = math.nan  # every spell start sets it (Model._start_spell)
    stu_end = float(attrs["stu_end"][i]) if "stu_end" in attrs else math.nan
    c.stu_end = None if math.isnan(stu_end) else stu_end
    return c


def spell_record(c: Citizen, end: float, dest: str | None) -> dict[str, Any]:
    """The spell log's row for a spell ending on day `end` (dest None: still in stock at the end);
    contact days count from the spell start; `stay_start` (the start of its stay in the cash-benefit
    system) and `stu_end` (None: not on STU) are days of the run, like `start` and `end`."""
    s = c.spell_start
    return {
        "key": int(c.key), "group": c.g, "start": s, "end": end, "dest": dest, "new_entry": c.new_entry,
        "external": s == c.case_start, "exempt": c.exempt, "exempt_separate": c.exempt_separate,
        "exempt_offer": c.exempt_offer, "lifted": c.lifted, "under_30": c.under_30,
        "short_absence": c.short_absence, "rules": c.rules.name,
        "talks": [(d - s, p) for d, p in c.talks()], "offers": [d - s for d in c.offer_days],
        "trial_arm": c.trial_arm, "course_provider": c.course_provider,
        "clarifications": [d - s for d in c.clar_days], "place": c.place, "fund": c.fund,
        "stay_start": c.cash_start, "stu_end": c.stu_end,
    }


def applies(c: Citizen, applies_to: str) -> bool:
    """Whether a rule's `applies_to` ("all", "under_30", "over_30", "short_absence", "not_short_absence")
    covers `c`."""
    if applies_to == "all":
        return True
    if applies_to == "under_30":
        return c.under_30
    if applies_to == "over_30":
        return not c.under_30
    if applies_to == "short_absence":
        return c.short_absence
    return not c.short_absence  # "not_short_absence"

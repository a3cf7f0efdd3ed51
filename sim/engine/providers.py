"""Who runs a citizen's contact course and holds its talks: hand-overs, the trials, the default.

Outside the trials a group's course is run by the hand-over's `from_provider` until the hand-over
day and by its `to_provider` after (rule sets), and by the scenario's `capacity.default_provider`
in the groups without a hand-over. The trials of the 2027 rules (3 years from their start) give
the first `course_days` of a new course in the trial's group to a course provider instead: the one
a free-choice participant picks, or the `outside_provider` everywhere else. A talk in a trial
course counts for its block whoever holds it.
"""

from __future__ import annotations

import math
from typing import Any, Final

from scipy.special import ndtr, ndtri

from sim.engine.citizen import Citizen
from sim.engine.hazard import INF
from sim.engine.randomness import COL_FRAILTY, COL_PROVIDER_CHOICE, COL_TRIAL
from sim.inputs.rules import Handover, RuleSet, TalkBlock, TrialRule
from sim.inputs.schema import Trials

# the trial arms, as the recorder and studies name them
FREE_CHOICE: Final = "free_choice"
EXTENDED: Final = "extended"


def trial_window(timeline: list[tuple[int, RuleSet]], start_date: Any) -> tuple[float, float]:
    """The simulation days [start, end) in which new courses enter the trials (infinite if none)."""
    trial_rules: TrialRule | None = next((rs.trials for _, rs in timeline if rs.trials is not None), None)
    if trial_rules is None:
        return INF, INF
    start = float((trial_rules.start - start_date).days)
    return start, start + trial_rules.years * 365.25


class TrialCourses:
    """Assigns the course provider of a new course in the trial group, from the citizen's own draws."""

    def __init__(self, cfg: Trials, window: tuple[float, float], free_choice_places: tuple[bool, ...] = ()):
        self.cfg = cfg
        self.start, self.end = window
        self.free_places = free_choice_places  # by place index: the municipality runs free choice

    def assign(self, c: Citizen, rules: RuleSet, now: float, initial: bool) -> tuple[str, str] | None:
        """Set the citizen's course provider, course days and trial arm; (arm, course provider) if
        it entered a trial, else None.

        In the free-choice municipalities (the citizen's own place, or a share of every place when
        ``trials.free_choice_share`` is set) a share of the entrants take part and choose the
        municipality, their a-kasse or another actor; the choice may lean on their job chances
        (selection). Everywhere else the outside provider runs the first months. Outside the trial
        window, or for the initial stock, nothing changes."""
        c.course_provider = None
        c.course_days = None
        c.trial_arm = None
        tr = rules.trials
        cfg = self.cfg
        if tr is None or not cfg.enabled or tr.group != c.g or initial or not self.start <= now < self.end:
            return None
        u = float(c.row[COL_TRIAL])  # a Python float: `u < share` must be a bool, not numpy.bool (mypyc)
        share = cfg.free_choice_share
        if share is None:  # by place: the participation draw is the trial draw itself
            free, u_part = bool(self.free_places and self.free_places[c.place]), u
        else:
            free, u_part = u < share, (u / share if share > 0 else 1.0)
        if free:
            if u_part >= cfg.participation:
                return None  # in a free-choice municipality but not in the trial: the ordinary course
            arm = FREE_CHOICE
            provider = choose_provider(float(c.row[COL_PROVIDER_CHOICE]), float(c.row[COL_FRAILTY]),
                                       cfg.choice, cfg.selection)
        else:
            arm, provider = EXTENDED, cfg.outside_provider
        c.trial_arm, c.course_provider, c.course_days = arm, provider, tr.course_days
        return arm, provider

    def price(self, provider: str) -> float:
        """What the trial pays the provider per participant (DKK)."""
        return self.cfg.price_dkk_per_participant.get(provider, 0.0)


def choose_provider(u_choice: float, u_frailty: float, choice: dict[str, float], selection: float) -> str:
    """The provider a free-choice participant picks: the `choice` shares split [0, 1) in their order.

    `selection` > 0 makes citizens with better job chances (higher frailty draw) lean to the later
    options: the choice uniform is replaced by Φ(s·z + √(1-s²)·Φ⁻¹(u)), still uniform, correlated s
    with the job-chance score z."""
    u = u_choice
    if selection != 0.0:
        z = float(ndtri(u_frailty))
        u = float(ndtr(selection * z + math.sqrt(1.0 - selection * selection) * float(ndtri(u))))
    cum = 0.0
    names = list(choice)
    for name in names:
        cum += choice[name]
        if u < cum:
            return name
    return names[-1]


def talk_provider(c: Citizen, block: TalkBlock, target: float, handover: Handover | None) -> str:
    """Who holds a talk planned for spell day `target`: the block's provider, or in a trial the
    course provider for the talks of the hand-over's first provider and for every talk in the
    course provider's months."""
    course, days = c.course_provider, c.course_days
    if course is None or days is None:
        return block.provider
    if (handover is not None and block.provider == handover.from_provider) or target < days:
        return course
    return block.provider


def counts_for(c: Citizen, talk_provider: str, block_provider: str) -> bool:
    """Whether a talk counts for a block: by its provider, or by anyone in a trial course."""
    return c.course_provider is not None or talk_provider == block_provider


def talks_held(c: Citizen, block: TalkBlock) -> int:
    """The spell's talks that count for `block`: held in its window [from_day, to_day]."""
    s = c.spell_start
    return sum(1 for d, p in c.talks() if block.from_day <= d - s <= block.to_day and counts_for(c, p, block.provider))


def provider_at(c: Citizen, rules: RuleSet, now: float, default: str) -> str:
    """Who runs the citizen's course on day `now` of its current spell (`default` where no
    hand-over or trial course says otherwise)."""
    ho = rules.handover
    course, days = c.course_provider, c.course_days
    if course is not None and days is not None:
        if now - c.spell_start < days:
            return course
        return ho.to_provider if ho is not None else default
    if ho is not None and ho.group == c.g:
        return ho.from_provider if now - c.spell_start < ho.day else ho.to_provider
    return default


def handover_day(c: Citizen, handover: Handover) -> float:
    """The spell day the course passes to the hand-over's `to_provider`: the end of a trial course,
    else the rule set's hand-over day."""
    return c.course_days if c.course_days is not None else handover.day

"""Compliance scoring at the end of a spell: which legal minimums a new entrant got in time.

A minimum is scored for the citizens it applies to who are still in the spell at its deadline,
and only if the deadline lies within the run (a spell censored earlier says nothing about it).
Exempt citizens count as not getting what they were exempted from, which is what the law's
coverage share measures. The facts go to the recorder's compliance counters; the KPIs are
defined elsewhere (sim.metrics).
"""

from __future__ import annotations

from typing import Final, NamedTuple, Protocol

from scipy.special import ndtri

from sim.engine.citizen import Citizen, applies
from sim.engine.clarification_clock import next_due
from sim.engine.providers import counts_for, talks_held
from sim.engine.randomness import COL_FRAILTY
from sim.engine.recorder import SIX_MONTHS
from sim.inputs.rules import Clarification, GroupRules, OfferRule, TalkBlock

ON_TIME: Final = 1e-9  # a contact on its deadline day counts as in time despite rounding
SAME_DAY: Final = 1e-6  # two due days computed along different sums of the same rule days


class ComplianceSink(Protocol):
    """The recorder's compliance counters (the recorder, or a list in a unit test)."""

    def on_pool(self, g: int, exempt: bool) -> None: ...
    def on_trial_outcome(self, arm: str, p: int, score: float, work6: bool) -> None: ...
    def on_compliance(self, g: int, name: str, met: bool) -> None: ...
    def on_rule(self, kind: str, g: int, met: bool) -> None: ...


def score_spell(rec: ComplianceSink, c: Citizen, gi: int, end: float, horizon: float,
                pidx: dict[str, int], to_work: bool = False) -> None:
    """Fold the facts of a spell that ends (or is censored) on day `end` into `rec` (new entrants only):
    the pool's exemption, a trial participant's outcome, the first talk by its deadline, and the
    rule set's minimums (one call per spell end: the scoring of a spell stays in two functions)."""
    if not c.new_entry:
        return
    if c.pooled:
        rec.on_pool(gi, c.exempt)  # exempt as it ended: an exemption lifted to keep the cap counts as none
    s = c.spell_start
    # the trial's outcome is the result goal "in work after 6 months": a measurement window of the
    # KPIs (the recorder's), not a legal deadline
    if c.trial_arm is not None and c.course_provider is not None and s + SIX_MONTHS <= horizon:
        work6 = to_work and end - s <= SIX_MONTHS
        rec.on_trial_outcome(c.trial_arm, pidx[c.course_provider], float(ndtri(c.row[COL_FRAILTY])), work6)
    b = c.first_block
    if b is not None:
        deadline = s + b.first_deadline
        # counted for the citizens still in the spell at the deadline, like every minimum
        if end >= deadline and deadline <= horizon:
            first = next((d for d, p in c.talks() if counts_for(c, p, b.provider) and d - s >= b.from_day), None)
            rec.on_compliance(gi, "first", first is not None and first <= deadline + ON_TIME)
    gr = c.rules.groups.get(c.g)
    if gr is not None:
        _score_minimums(rec, c, gr, c.rules.first_months_day, gi, end, horizon)


class _Applying(NamedTuple):
    """The rules of a group that apply to a citizen, in their order (see `_applying`)."""

    first_blocks: list[TalkBlock]  # talk blocks due within the first months
    first_last: float  # the last of their ends (unused when there are none)
    first_offers: list[OfferRule]  # offer rules due within the first months
    first_due: float  # the first of their due days (unused when there are none)
    talks: list[TalkBlock]
    offers: list[OfferRule]
    clarifications: list[Clarification]


# (id of the group rules, first months, under 30, short absence) -> (the group rules, what applies).
# Which rules apply depends on these alone; the group rules are kept in the value, so that an id
# is never reused for other rules while its entry exists.
_APPLYING: dict[tuple[int, float, bool, bool], tuple[GroupRules, _Applying]] = {}


def _applying(c: Citizen, gr: GroupRules, first_months: float) -> _Applying:
    """The rules of `gr` that apply to `c`, worked out once per kind of citizen: every spell end
    is scored, and filtering the rules each time was a noticeable part of it."""
    key = (id(gr), first_months, c.under_30, c.short_absence)
    hit = _APPLYING.get(key)
    if hit is not None and hit[0] is gr:
        return hit[1]
    blocks = [x for x in gr.talks if x.to_day <= first_months and applies(c, x.applies_to)]
    offers = [o for o in gr.offers if o.due_day <= first_months and applies(c, o.applies_to)]
    out = _Applying(blocks, max(x.to_day for x in blocks) if blocks else 0.0,
                    offers, min(o.due_day for o in offers) if offers else 0.0,
                    [x for x in gr.talks if applies(c, x.applies_to)],
                    [o for o in gr.offers if applies(c, o.applies_to)],
                    [cl for cl in gr.clarifications if applies(c, cl.applies_to)])
    if len(_APPLYING) > 4096:  # many runs in one process: start afresh rather than grow
        _APPLYING.clear()
    _APPLYING[key] = (gr, out)
    return out


def _score_minimums(rec: ComplianceSink, c: Citizen, gr: GroupRules, first_months: float, gi: int, end: float,
                    horizon: float) -> None:
    """The group's minimums: those of the legal first months (the rule set's `first_months_day`)
    together (every talk block due by then, "cov"; the first offer due by then, "offer"), then one
    fact per talk block or offer rule."""
    s = c.spell_start
    ap = _applying(c, gr, first_months)
    blocks = ap.first_blocks
    if blocks:
        last = ap.first_last
        if end - s >= last and s + last <= horizon:
            rec.on_compliance(gi, "cov", all(talks_held(c, x) >= x.count for x in blocks))
    if ap.first_offers:
        due = ap.first_due
        if end - s >= due and s + due <= horizon:
            rec.on_compliance(gi, "offer", any(d - s <= due for d in c.offer_days))
    for x in ap.talks:
        if end - s >= x.to_day and s + x.to_day <= horizon:
            rec.on_rule(x.kind, gi, talks_held(c, x) >= x.count)
    for o in ap.offers:
        if end - s >= o.due_day and s + o.due_day <= horizon:
            rec.on_rule(o.kind, gi, any(d - s <= o.due_day for d in c.offer_days))
    _score_clarifications(rec, c, ap.clarifications, gi, end, horizon)


def _score_clarifications(rec: ComplianceSink, c: Citizen, rules: list[Clarification], gi: int, end: float,
                          horizon: float) -> None:
    """Each clarification due while the citizen was in the spell and within the run (due days from
    the clarification clock, as planned): met if the
    clarification for that due day was held by it. Counted over the citizens due, like every other
    minimum: one still waiting when the citizen leaves is not counted, one not yet held is not met.
    `rules`: the group's clarification rules that apply to the citizen."""
    s = c.spell_start
    for cl in rules:
        due = next_due(c, cl, s)  # the planner's due days (the clarification clock)
        while due is not None and due <= end and due <= horizon:
            met = any(abs(d - due) < SAME_DAY and held <= due + ON_TIME for held, d in zip(c.clar_days, c.clar_dues))
            rec.on_compliance(gi, "clar", met)
            rec.on_rule(cl.kind, gi, met)
            due = next_due(c, cl, due)


def missed_first_months(c: Citizen, now: float) -> tuple[bool, bool]:
    """(missed the talks, missed the offer) of the legal first months, as `_score_minimums` scores
    them ("cov" and "offer"), for a citizen in its spell on day `now` (a managed municipality's
    measure at month 6). A minimum that does not apply counts as not missed."""
    gr = c.rules.groups.get(c.g)
    if gr is None:
        return False, False
    s = c.spell_start
    first_months = c.rules.first_months_day
    blocks = [x for x in gr.talks if x.to_day <= first_months and applies(c, x.applies_to)]
    talks = not all(talks_held(c, x) >= x.count for x in blocks)
    offers = [o for o in gr.offers if o.due_day <= first_months and applies(c, o.applies_to)]
    offer = False
    if offers:
        due = min(o.due_day for o in offers)
        offer = not any(d - s <= due for d in c.offer_days)
    return talks, offer

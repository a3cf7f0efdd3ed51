"""What a contact costs and does: caseworker hours per task, the offer mix, per-group numbers.

Prepared once per run from the scenario, so that the SimPy loop only looks numbers up.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Final

import numpy as np

from sim.engine.citizen import Citizen
from sim.engine.exits import add_window
from sim.engine.hazard import GroupHazard
from sim.engine.planner import CLARIF, OFFER, ON_REQUEST, TALK, push
from sim.engine.randomness import Streams
from sim.inputs.rules import CURRENT_PROVIDER
from sim.inputs.schema import Scenario

DAYS_PER_MONTH: Final = 365.25 / 12


@dataclass(frozen=True)
class GroupConst:
    """Per-group numbers looked up in the hot path, prepared once."""

    index: int
    hazard: GroupHazard
    talk_mult: float
    threat_mult: float
    digital_share: float
    on_request_rate: float  # per day
    short_absence_mult: float  # on the job hazard of the short-absence sick-listed


def group_constants(sc: Scenario) -> dict[str, GroupConst]:
    """Each group's hot-path numbers, indexed in the scenario's group order."""
    eff = sc.effects
    return {g: GroupConst(i, GroupHazard.from_params(grp.hazard), eff.talk_multiplier[g], eff.threat_multiplier[g],
                          grp.digital_share, grp.on_request_talks_per_month / DAYS_PER_MONTH,
                          grp.short_absence_work_multiplier)
            for i, (g, grp) in enumerate(sc.groups.items())}


class OfferMix:
    """The offer types a started offer is drawn from, with what each does and costs.

    Each type is (duration days, lock-in multiplier on the job hazard, cost DKK, of which counted
    against the ØVO + mentor limit); the mentor cost is spread over all offers by its share."""

    def __init__(self, sc: Scenario, streams: Streams):
        self.streams = streams
        self.after_days = sc.effects.after_offer_weeks * 7.0
        self.after_mult = sc.effects.after_offer_multiplier
        self.target_share = sc.planning.offer_target_share
        types = list(sc.offers.types.values())
        self.cum: list[float] = np.cumsum([t.share for t in types]).tolist()
        mentor = sc.money.mentor_share_of_offers * sc.money.mentor_dkk_per_offer
        self.types = [(t.duration_weeks * 7.0, t.lock_in_multiplier,
                       t.cost_dkk_per_week * t.duration_weeks + mentor,
                       (t.cost_dkk_per_week * t.duration_weeks if t.counts_against_oevo_limit else 0.0) + mentor)
                      for t in types]

    def draw(self, u: float) -> tuple[float, float, float, float]:
        """The type of an offer from the uniform `u`: the shares split [0, 1) in their order."""
        ti = next((i for i, cum in enumerate(self.cum) if u < cum), len(self.cum) - 1)
        return self.types[ti]

    def start(self, c: Citizen, now: float, gc: GroupConst, payload: tuple[Any, float]) -> tuple[float, float]:
        """An offer starts today: draw its type, add its lock-in and after-effect windows, plan the
        next one if the rule repeats; return its cost and the part counted against the ØVO limit."""
        if c.offer_days:
            c.offer_days.append(now)
        else:
            c.offer_days = [now]
        dur, lock, cost, oevo_cost = self.draw(c.contact_uniform(self.streams))
        if lock != 1.0:
            add_window(c, (now, now + dur, lock), now, gc.hazard.work, gc.short_absence_mult)
        if self.after_mult != 1.0 and self.after_days > 0:
            add_window(c, (now + dur, now + dur + self.after_days, self.after_mult), now, gc.hazard.work,
                       gc.short_absence_mult)
        o, _ = payload
        if o.every_days:
            nxt_due = now + o.every_days
            push(c, nxt_due - (1 - self.target_share) * o.every_days, OFFER, (o, nxt_due))
        return cost, oevo_cost


class TaskCosts:
    """Who does a plan item and with how many caseworker hours (talks: in person or digital)."""

    def __init__(self, sc: Scenario, gconst: dict[str, GroupConst], streams: Streams):
        ct = sc.caseworker_time
        self.talk_hours = ((ct.talk_in_person_minutes + ct.talk_preparation_minutes) / 60.0,
                           (ct.talk_digital_minutes + ct.talk_preparation_minutes) / 60.0)
        self.offer_hours = ct.offer_admin_hours
        self.clar_hours = ct.clarification_hours
        self.talk_time_factor = dict(sc.trials.talk_time_factor)
        self.offer_provider = sc.capacity.default_provider
        self.digital_share = {g: gc.digital_share for g, gc in gconst.items()}
        self.streams = streams

    def task(self, c: Citizen, kind: int, payload: Any) -> tuple[str, float, str | None, int]:
        """(provider, hours, joint provider, channel 0 in person / 1 digital) of a plan item."""
        if kind == TALK or kind == ON_REQUEST:
            provider = payload[2] if kind == TALK else c.provider
            if provider == CURRENT_PROVIDER:
                provider = c.provider
            channel = 1 if c.contact_uniform(self.streams) < self.digital_share[c.g] else 0
            joint = payload[0].joint_with if kind == TALK else None
            return provider, self.talk_hours[channel] * self.talk_time_factor.get(provider, 1.0), joint, channel
        if kind == OFFER:
            return self.offer_provider, self.offer_hours, None, 0
        if kind == CLARIF:
            return payload[0].provider, self.clar_hours, None, 0
        return c.provider, 0.0, None, 0

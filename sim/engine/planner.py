"""Course planning: the contacts a spell's rules call for, as a heap of dated plan items.

A plan item is (target day, sequence, kind, payload). Talks are aimed inside their block's window
(the first at `first_talk_target_share` of the way to its deadline, the others spread evenly up
to `talk_end_margin_days` before the block ends), offers at `offer_target_share` of the way to
their due day, clarifications `clarification_lead_days` before theirs. Only the first item of a
plan is booked at a time (see the model), so its target is what a caseworker aims at and the
booked day what the diary allows.

Payloads: a talk's is (block, first talk of the block, provider); an offer's and a
clarification's is (rule, due day); a talk on request has none. The next talk on request waits in a
slot of the citizen's own beside the heap (`Citizen.request_day`; `first_item` and `pop_first` take
the earlier of the two in the heap's order), and an empty heap is the shared empty tuple. A hand-over
is planned with the items but kept apart on the citizen (`Citizen.handover_day`): the case changes
hands on the hand-over day even when a talk aimed before it is booked after it.
"""

from __future__ import annotations

import heapq
import math
from typing import Any, Final

from sim.engine.citizen import NONE_YET, Citizen, applies
from sim.engine.clarification_clock import next_due
from sim.engine.hazard import INF
from sim.engine.providers import handover_day, talk_provider, talks_held
from sim.engine.randomness import Streams
from sim.inputs.rules import CURRENT_PROVIDER, GroupRules, RuleSet, TalkBlock
from sim.inputs.schema import Planning

TALK: Final = 0
OFFER: Final = 1
CLARIF: Final = 2
HANDOVER: Final = 3
ON_REQUEST: Final = 4

# (target, kind, payload, due) relative to the spell start, in the order the items are numbered
PlanItem = tuple[float, int, Any, float | None]
Template = tuple[list[PlanItem], TalkBlock | None]


def push(c: Citizen, day: float, kind: int, payload: Any) -> None:
    """Add an item to the citizen's plan (after the ones already numbered); a talk on request goes to
    the citizen's one slot for it (Citizen.request_day), which is free: the one before was held."""
    c.seq += 1
    if kind == ON_REQUEST:
        c.request_day, c.request_seq = day, c.seq
    elif c.plan:
        heapq.heappush(c.plan, (day, c.seq, kind, payload))
    else:
        c.plan = [(day, c.seq, kind, payload)]


def _request_first(c: Citizen) -> bool:
    """Whether the talk on request is the plan's first item: it comes before the heap's first in the
    heap's own order (day, then sequence number)."""
    day = c.request_day
    if day == INF:
        return False
    plan = c.plan
    if not plan:
        return True
    head = plan[0]
    return day < head[0] or (day == head[0] and c.request_seq < head[1])


def first_item(c: Citizen) -> tuple[float, int, int, Any] | None:
    """The plan's first item, (day, sequence, kind, payload), without taking it (None: the plan is empty)."""
    if _request_first(c):
        return (c.request_day, c.request_seq, ON_REQUEST, None)
    return c.plan[0] if c.plan else None


def pop_first(c: Citizen) -> tuple[float, int, int, Any]:
    """Take the plan's first item (the plan must not be empty)."""
    if _request_first(c):
        item = (c.request_day, c.request_seq, ON_REQUEST, None)
        c.request_day = INF
        return item
    plan: Any = c.plan
    first: tuple[float, int, int, Any] = heapq.heappop(plan)
    if not plan:
        c.plan = NONE_YET  # (see Citizen.plan)
    return first


def plan_items(c: Citizen) -> list[tuple[float, int, int, Any]]:
    """All items of the plan, the talk on request included, in no particular order (for inspection)."""
    items = list(c.plan)
    if c.request_day != INF:
        items.append((c.request_day, c.request_seq, ON_REQUEST, None))
    return items


def follows_the_case(item: tuple[float, int, int, Any] | None) -> bool:
    """Whether a plan item is held by whoever holds the case when it is held: a talk on request, or
    a talk of a block held by the current provider (None, no item: no)."""
    if item is None:
        return False
    _, _, kind, payload = item
    return kind == ON_REQUEST or (kind == TALK and payload[2] == CURRENT_PROVIDER)


def deadline(c: Citizen, kind: int, payload: Any) -> float:
    """The legal deadline of a plan item (absolute day); infinite where there is none."""
    if kind == TALK:
        block, first, _ = payload
        return c.spell_start + (block.first_deadline if first else block.to_day)
    if kind == OFFER or kind == CLARIF:
        return payload[1]
    return INF


def talk_targets(block: TalkBlock, n: int, planning: Planning) -> list[float]:
    """The spell days `n` talks of a block are aimed at: the first at `first_talk_target_share`
    of its first-talk window, the last `talk_end_margin_days` before the block's end (not before
    the first), the others evenly between."""
    first = block.from_day + planning.first_talk_target_share * (block.first_deadline - block.from_day)
    last = max(first, block.to_day - planning.talk_end_margin_days)
    return [first + k * (last - first) / (n - 1) if n > 1 else first for k in range(n)]


def talks_due(c: Citizen, block: TalkBlock, rules: RuleSet) -> int:
    """How many talks of the block the citizen is to get: all, or for an exempt citizen only the
    first talk if the block holds it with everyone (exemptable blocks only). The provider named in
    the rule set's exemption as deciding separately follows its own decision for its own talks."""
    exempt = c.exempt_separate if block.provider == rules.exemption.separate_provider else c.exempt
    if exempt and block.exemptable:
        return 1 if block.first_for_all else 0
    return block.count


class Planner:
    """Builds the plan of a spell; a fresh spell's items are cached per (rules, group, attributes)."""

    def __init__(self, planning: Planning, on_request_rate: dict[str, float], streams: Streams):
        self.planning = planning
        self.on_request_rate = on_request_rate  # talks on request per day, per group
        self.streams = streams
        self._templates: dict[tuple, Template] = {}

    def plan(self, c: Citizen, rules: RuleSet, now: float, assume_history: bool = False) -> None:
        """Set the citizen's plan for the rest of its spell under `rules`, from `now`.

        A fresh spell's plan depends only on the rule set, the group and a few attributes, so it
        is built once per such combination and reused (relative to the spell start). A talk on
        request is dated by the citizen's own exponential draw."""
        s = c.spell_start
        elapsed = now - s
        if elapsed == 0.0 and not assume_history and own_clock_free(c):
            key = (rules.name, c.g, c.exempt, c.exempt_separate, c.exempt_offer, c.under_30, c.short_absence,
                   c.course_provider)
            template = self._templates.get(key)
            if template is None:
                template = self._templates[key] = self.items(c, rules, 0.0, False)
        else:
            template = self.items(c, rules, elapsed, assume_history)
        items, c.first_block = template
        plan = []
        seq = 0
        c.handover_day = math.inf
        c.request_day = INF
        for rel, kind, static, due_rel in items:
            seq += 1
            day = s + rel
            if kind == HANDOVER:
                # not a plan item: the case changes hands on its day whatever is booked before it
                c.handover_day, c.handover_rule = day, static
                continue
            if kind == ON_REQUEST:
                c.request_day = day + -math.log(1.0 - c.contact_uniform(self.streams)) / self.on_request_rate[c.g]
                c.request_seq = seq
                continue
            plan.append((day, seq, kind, (static, s + due_rel) if due_rel is not None else static))
        heapq.heapify(plan)
        c.plan = plan if plan else NONE_YET  # (see Citizen.plan)
        c.seq = seq

    def items(self, c: Citizen, rules: RuleSet, elapsed: float, assume_history: bool) -> Template:
        """The items of a plan relative to the spell start, and the block that holds the first talk.

        Talks and offers already held count against the requirements. For the initial stock,
        whose history before the start date is unknown, `assume_history` takes every contact
        planned before the elapsed time as held."""
        items: list[PlanItem] = []
        gr = rules.groups.get(c.g)
        first_block = None
        if gr is not None:
            for b in gr.talks:
                if not applies(c, b.applies_to):
                    continue
                n = talks_due(c, b, rules)
                if n == 0:
                    continue
                if first_block is None and b.first_for_all:
                    first_block = b
                items += self._talk_items(c, b, n, rules, elapsed, assume_history)
            items += self._offer_items(c, gr, elapsed, assume_history)
            items += self._clarification_items(c, gr, elapsed)
            if self.on_request_rate[c.g] > 0:
                items.append((max(elapsed, gr.as_needed_from_day), ON_REQUEST, None, None))
        ho = rules.handover
        if ho is not None and ho.group == c.g and elapsed < handover_day(c, ho):
            items.append((handover_day(c, ho), HANDOVER, ho, None))
        return items, first_block

    def _talk_items(self, c: Citizen, b: TalkBlock, n: int, rules: RuleSet, elapsed: float,
                    assume_history: bool) -> list[PlanItem]:
        """The block's talks still to hold, none before `elapsed`."""
        targets = talk_targets(b, n, self.planning)
        held = talks_held(c, b)
        remaining = targets[held:]
        if elapsed > 0:
            if elapsed >= b.to_day:
                return self._late_talk_items(c, b, n, rules, elapsed)
            if assume_history:
                held = sum(1 for t in targets if t < elapsed)
                remaining = targets[held:]
            remaining = [max(t, elapsed) for t in remaining]
        return [(t, TALK, (b, held + k == 0, talk_provider(c, b, t, rules.handover)), None)
                for k, t in enumerate(remaining)]

    def _late_talk_items(self, c: Citizen, b: TalkBlock, n: int, rules: RuleSet, elapsed: float) -> list[PlanItem]:
        """The talks of a block whose window has passed: none, unless the block's talks are
        `held_late_when_lifted` and an exemption of the spell was lifted. Then the talks it missed
        are still owed ("keeps the a-kasse's second talk"): aimed at today, held by the block's
        provider, one after the other. Talks held late count here, so each is held once; they do not
        count for the block's minimum, which was due at its end."""
        if not (b.held_late_when_lifted and c.lifted):
            return []
        s = c.spell_start
        provider = talk_provider(c, b, elapsed, rules.handover)  # the a-kasse, or a trial's course provider
        # counted by who holds them (in a trial course any talk counts for a block: counts_for)
        held = sum(1 for d, p in c.talks() if d - s >= b.from_day and p == provider)
        return [(elapsed, TALK, (b, held + k == 0, provider), None) for k in range(max(n - held, 0))]

    def _offer_items(self, c: Citizen, gr: GroupRules, elapsed: float, assume_history: bool) -> list[PlanItem]:
        """The next offer of each offer rule not yet started (a citizen exempt from the offers, by
        their own decision or else by the talk decision, skips exemptable ones)."""
        out: list[PlanItem] = []
        s = c.spell_start
        exempt = c.exempt if c.exempt_offer is None else c.exempt_offer
        for o in gr.offers:
            if not applies(c, o.applies_to) or (exempt and o.exemptable):
                continue
            due: float | None = o.due_day
            while due is not None and due <= elapsed:
                due = due + o.every_days if o.every_days else None
            if due is None:
                continue
            prev = due - (o.every_days or o.due_day)
            target = prev + self.planning.offer_target_share * (due - prev)
            done = any(prev < d - s <= due for d in c.offer_days)
            if done or (assume_history and elapsed > target):
                continue
            out.append((max(elapsed, target), OFFER, o, due))
        return out

    def _clarification_items(self, c: Citizen, gr: GroupRules, elapsed: float) -> list[PlanItem]:
        """The next clarification of each clarification rule, due after `elapsed` (its due day from
        the clarification clock: the stay in the cash-benefit system, STU)."""
        out: list[PlanItem] = []
        s = c.spell_start
        for cl in gr.clarifications:
            if not applies(c, cl.applies_to):
                continue
            due = next_due(c, cl, s + elapsed)
            if due is not None:
                rel = due - s
                out.append((max(elapsed, rel - self.planning.clarification_lead_days), CLARIF, cl, rel))
        return out


def own_clock_free(c: Citizen) -> bool:
    """Whether the citizen's clarification due days depend only on its spell, so that a fresh
    spell's plan can be shared with others: its cash-benefit stay starts with the spell and no STU
    of its runs into the spell."""
    return c.cash_start == c.spell_start and (c.stu_end is None or c.stu_end <= c.spell_start)

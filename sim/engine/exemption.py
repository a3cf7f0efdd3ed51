"""The one-in-four exemption: which citizens of the pool are lifted from the mandatory talks and
offers beyond the first talk, and the cap as the law counts it (per municipality and per a-kasse).

The law lets municipalities and a-kasser exempt up to 25 % of the dagpenge and job-ready citizens
*in their first 6 months*, counted over that whole pool (domain.md §3). The pool therefore changes
all the time: citizens enter, leave for work, and age out of their first 6 months. Exempt
citizens, who get fewer talks, stay longer, so a share chosen at entry drifts above the cap.
:class:`ExemptionPool` keeps the count exact and, when the exempt share would exceed the cap, lifts
the most recent exemptions (the municipality calls those citizens in after all).

A policy only says whom the municipality would like to exempt:

- ``none``: nobody;
- ``random``: each pool entrant with probability `share`, from the citizen's own uniform draw,
  so that a larger share exempts a superset of a smaller one (common random numbers);
- ``targeted``: those judged most able to find work themselves. The judgement is a noisy signal
  of the citizen's true job chances (the normal score of the frailty draw) with correlation
  `judgement` (0 = no better than chance, 1 = perfect); the municipality exempts the citizens whose
  signal lies in the top `share` of its distribution.
- ``managed``: whom ``targeted`` would choose, but only while the municipality's measured 75 %
  minimums stay met at month 6, with exemptions reviewed at each talk and the offers exempted
  separately (:class:`MonthSixMeasure`, :meth:`Exemptions.reassess`).

Why ``managed``: the cap is counted on the pool at each moment, the minimums are measured on the
citizens reaching month 6, and exempt citizens (fewer talks) stay longer. So a quarter of the pool
exempt is more than a quarter of those reaching month 6, and a random 25 % exemption misses the
75 % minimums. The managed municipality therefore limits its exemptions by the measure the law
applies, not by the pool share alone.

:class:`Exemptions` makes the decision for a citizen entering its pool group: the main pool and,
when the provider the rule set names as deciding separately (the a-kasse) has a share of its own,
that provider's pool for its own talks.
"""

from __future__ import annotations

import heapq
import math
from collections import deque
from collections.abc import Callable
from typing import Final, Protocol

from scipy.special import ndtr, ndtri

from sim.engine.randomness import COL_ASSESSMENT, COL_EXEMPTION, COL_FRAILTY, COL_SEPARATE_EXEMPTION
from sim.inputs.rules import RuleSet
from sim.inputs.schema import Exemption

# the citizen flag each pool decides (attribute names of sim.engine.citizen.Citizen)
MAIN_FLAG: Final = "exempt"
SEPARATE_FLAG: Final = "exempt_separate"
OFFER_FLAG: Final = "exempt_offer"
# what a managed pool's measure counts at month 6: the talk minimums or the offer minimum
TALKS: Final = 0
OFFERS: Final = 1


class ExemptionPolicy(Protocol):
    def wants(self, u_exempt: float, u_frailty: float, u_assessment: float, share: float) -> bool: ...


class NoExemption:
    """Everyone gets the full contact course."""

    def wants(self, u_exempt: float, u_frailty: float, u_assessment: float, share: float) -> bool:
        return False


class RandomExemption:
    """Each pool entrant with probability `share`, independently."""

    def wants(self, u_exempt: float, u_frailty: float, u_assessment: float, share: float) -> bool:
        return u_exempt < share


class TargetedExemption:
    """The entrants whose judged job chances lie in the top `share`: signal = ρ·true + √(1-ρ²)·noise."""

    def __init__(self, judgement: float):
        self.rho = judgement
        self.noise = math.sqrt(max(0.0, 1.0 - judgement * judgement))

    def wants(self, u_exempt: float, u_frailty: float, u_assessment: float, share: float) -> bool:
        if share <= 0.0:
            return False
        signal = self.rho * float(ndtri(u_frailty)) + self.noise * float(ndtri(u_assessment))
        return signal > float(ndtri(1.0 - share))


def make_policy(cfg) -> ExemptionPolicy:
    if cfg.policy == "none":
        return NoExemption()
    if cfg.policy in ("targeted", "managed"):
        return TargetedExemption(cfg.judgement)
    return RandomExemption()


class MonthSixMeasure:
    """The managed municipality's running measure of one pool's minimums at month 6, per group.

    The control rule (why): the law measures coverage on the citizens who reach month 6, but the cap
    and the decisions act on the pool now, and an exemption granted today shows up at month 6
    months later. Waiting for the month-6 share itself to move would make the municipality
    overshoot and swing. What is stable is the *ratio* between the two: exempt citizens stay longer
    by about the same factor whatever their number. So the measure keeps, over the citizens of the
    group who reached month 6 in the last `window` days, the number F who missed the minimum
    (exempt, or not given the talks or the offer in time) and the sum S of the group's exempt share
    of the pool on each of their arrival days; r = F / S is the measured ratio of the month-6
    shortfall to the pool's exempt share. A new exemption that would bring the group's pool share
    to p is granted only if the projected month-6 shortfall r·p stays at or below
    1 - coverage - margin (coverage from the rule set, 0.75; margin [A]). Until the window holds
    `min_arrivals` arrivals the cap alone decides; with no exemption in the window (S = 0) the
    measured shortfall F / N must itself be within the limit.
    """

    def __init__(self, window: float, margin: float, min_arrivals: int):
        self.window = window
        self.margin = margin
        self.min_arrivals = min_arrivals
        self.limit: dict[str, float] = {}  # group -> largest share of shortfall allowed (1 - coverage)
        self._seen: dict[str, deque[tuple[float, bool, float]]] = {}  # (day, missed, pool share)
        self._sums: dict[str, list[float]] = {}  # group -> [arrivals, missed, sum of pool shares]

    def record(self, group: str, day: float, missed: bool, pool_share: float) -> None:
        """A pool member of `group` reaches month 6 on `day` (missed: it did not get the minimum)."""
        self._seen.setdefault(group, deque()).append((day, missed, pool_share))
        sums = self._sums.setdefault(group, [0.0, 0.0, 0.0])
        sums[0] += 1.0
        sums[1] += missed
        sums[2] += pool_share
        self._trim(group, day)

    def _trim(self, group: str, now: float) -> None:
        seen, sums = self._seen.get(group), self._sums.get(group)
        while seen and seen[0][0] <= now - self.window:
            _, missed, share = seen.popleft()
            sums[0] -= 1.0  # type: ignore[index]
            sums[1] -= missed  # type: ignore[index]
            sums[2] -= share  # type: ignore[index]

    def shortfall(self, group: str, now: float) -> float:
        """The measured share of the window's month-6 arrivals who missed the minimum (NaN: none)."""
        self._trim(group, now)
        n, missed, _ = self._sums.get(group, [0.0, 0.0, 0.0])
        return missed / n if n > 0 else math.nan

    def allows(self, group: str, now: float, pool_share: float) -> bool:
        """Whether an exemption that brings the group's exempt share of the pool to `pool_share`
        keeps the projected month-6 shortfall within the limit (see the class docstring)."""
        limit = self.limit.get(group)
        if limit is None:
            return True  # the group has no minimum the exemption lifts
        self._trim(group, now)
        n, missed, shares = self._sums.get(group, [0.0, 0.0, 0.0])
        if n < self.min_arrivals:
            return True
        allowed = limit - self.margin
        if shares <= 1e-12:
            return missed / n <= allowed
        return missed / shares * pool_share <= allowed + 1e-12


class ExemptionPool:
    """The citizens of one exempting body's pool in their first months, and who of them is exempt.

    `cap` is the largest exempt share allowed. Every change goes through `enter`, `leave` and
    `expire`; each returns the keys whose exemption had to be lifted to keep the share within the
    cap, which the model then plans in again. `max_share` is the largest share ever seen after a
    change, for the test that the cap holds at every point of a run.
    """

    def __init__(self, cap: float):
        self.cap = cap
        self.members: dict[int, bool] = {}  # key -> exempt
        self._leave_day: dict[int, float] = {}  # key -> the day its current first months end
        self.n_exempt = 0
        self._expiry: list[tuple[float, int]] = []  # (leave day, key), lazily cleaned
        self._granted: list[int] = []  # exempt keys in the order granted (newest last)
        self.max_share = 0.0
        self.revoked = 0
        # the managed policy's: each member's group, the members and exempt members per group, the
        # measure at month 6 and what the model judges a member reaching it missed (None: unmanaged)
        self.group_of: dict[int, str] = {}
        self.by_group: dict[str, list[int]] = {}
        self.measure: MonthSixMeasure | None = None
        self.missed: Callable[[int], bool] | None = None

    def __len__(self) -> int:
        return len(self.members)

    def _is_current(self, entry: tuple[float, int]) -> bool:
        """Whether an expiry in the heap is still its member's: one who left and came back has a newer one."""
        day, key = entry
        return self._leave_day.get(key) == day

    def next_expiry(self) -> float:
        while self._expiry and not self._is_current(self._expiry[0]):
            heapq.heappop(self._expiry)
        return self._expiry[0][0] if self._expiry else math.inf

    def enter(self, key: int, leave_day: float, wants: bool, group: str | None = None, now: float = 0.0) -> bool:
        """Add a pool entrant; exempt it if it is wanted and the cap allows. Returns the decision.
        A managed pool (one with a measure) also needs the entrant's `group` and the day `now`."""
        self.members[key] = False
        self._leave_day[key] = leave_day
        heapq.heappush(self._expiry, (leave_day, key))
        if self.measure is not None and group is not None:
            self.group_of[key] = group
            self.by_group.setdefault(group, [0, 0])[0] += 1
        exempt = wants and self.has_room() and self._measure_allows(key, now)
        if exempt:
            self._set(key, True)
            self._granted.append(key)
        self._observe()
        return exempt

    def _measure_allows(self, key: int, now: float) -> bool:
        """A managed pool's month-6 measure lets one more member of the key's group be exempt."""
        group = self.group_of.get(key)
        if self.measure is None or group is None:
            return True
        return self.measure.allows(group, now, self.group_share(group, extra=1))

    def _set(self, key: int, exempt: bool) -> None:
        self.members[key] = exempt
        self.n_exempt += 1 if exempt else -1
        group = self.group_of.get(key)
        if group is not None:
            self.by_group[group][1] += 1 if exempt else -1

    def has_room(self) -> bool:
        """Whether one more exemption fits the cap."""
        return self.n_exempt + 1 <= self.cap * len(self.members) + 1e-9

    def group_share(self, group: str, extra: int = 0) -> float:
        """The exempt share of the group's members in the pool, with `extra` more exempt."""
        members, exempt = self.by_group.get(group, (0, 0))
        return (exempt + extra) / members if members else 0.0

    def grant(self, key: int, now: float = 0.0) -> bool:
        """Exempt a member later in its first months (a review), if the cap and a managed pool's
        measure allow."""
        if self.members.get(key) is not False or not self.has_room() or not self._measure_allows(key, now):
            return False
        self._set(key, True)
        self._granted.append(key)
        self._observe()
        return True

    def lift(self, key: int) -> bool:
        """End a member's exemption (a review found it needs the course after all)."""
        if not self.members.get(key):
            return False
        self._set(key, False)
        return True

    def leave(self, key: int) -> list[int]:
        """A member leaves the pool (exit or end of its first months)."""
        exempt = self.members.get(key)
        if exempt is None:
            return []
        if exempt:
            self._set(key, False)
        del self.members[key]
        del self._leave_day[key]
        group = self.group_of.pop(key, None)
        if group is not None:
            self.by_group[group][0] -= 1
        return self.rebalance()

    def expire(self, now: float) -> list[int]:
        """Members whose first months end by `now` leave the pool; a managed pool's measure records
        whether each of them missed the minimum at this, the legal measurement point."""
        revoked: list[int] = []
        while self._expiry and self._expiry[0][0] <= now:
            entry = heapq.heappop(self._expiry)
            if self._is_current(entry):
                key = entry[1]
                group = self.group_of.get(key)
                if self.measure is not None and self.missed is not None and group is not None:
                    self.measure.record(group, now, self.missed(key), self.group_share(group))
                revoked += self.leave(key)
        return revoked

    def rebalance(self) -> list[int]:
        """Lift the newest exemptions until the exempt share is within the cap (also after the cap changes)."""
        revoked = []
        while self.n_exempt > self.cap * len(self.members) + 1e-9 and self._granted:
            key = self._granted.pop()
            if self.members.get(key):
                self._set(key, False)
                revoked.append(key)
        self.revoked += len(revoked)
        self._observe()
        return revoked

    def _observe(self) -> None:
        if self.members:
            self.max_share = max(self.max_share, self.n_exempt / len(self.members))


class Exemptions:
    """The exemption decisions of one run: who is exempt, within the cap of the rules in force,
    counted as the law counts: one pool per municipality and, when the separately deciding
    provider (the a-kasse) has a share of its own, one pool per a-kasse of its members. Under the
    ``managed`` policy, when the rule set lets the municipality exempt from the offers on their own
    (``offer_max_share``), a third set of pools, one per municipality, counts the offer exemptions.

    `cfg` is the scenario's exemption table: the main share and policy, the separately deciding
    provider's own share (``akasse_share``; None: one decision covers all talks) and whether
    shares beyond the legal cap are allowed. A citizen leaves through `leave`; that and
    `follow_rules` give the citizens whose exemption had to be lifted to keep the cap, for the
    model to plan them in again. A managed run's model also calls `bind` (what a citizen reaching
    month 6 missed) and `reassess` (the review at a talk)."""

    def __init__(self, cfg: Exemption, first_rules: RuleSet, n_places: int = 1, n_funds: int = 1):
        self.cfg = cfg
        self.policy: ExemptionPolicy = make_policy(cfg)
        self.managed = cfg.policy == "managed"
        cap = self.cap(first_rules, cfg.share)
        self.place_pools = [ExemptionPool(cap) for _ in range(n_places)]
        sep_cap = self.cap(first_rules, cfg.akasse_share)
        self.fund_pools = ([ExemptionPool(sep_cap) for _ in range(n_funds)]
                           if cfg.akasse_share is not None else [])
        # the offers' own pools: managed only, and only where some rule set in the run allows it
        # (a rule set without it gets cap 0 there: see offer_cap)
        self.offer_pools = ([ExemptionPool(self.offer_cap(first_rules)) for _ in range(n_places)]
                            if self.managed else [])
        if self.managed:
            for pool in self.place_pools + self.fund_pools + self.offer_pools:
                pool.measure = MonthSixMeasure(cfg.managed_window_days, cfg.managed_margin, cfg.managed_min_arrivals)
            self._set_limits(first_rules)

    @property
    def pool(self) -> ExemptionPool:
        """The first municipality's pool (the only one in a run for one municipality)."""
        return self.place_pools[0]

    def cap(self, rules: RuleSet, share: float | None) -> float:
        """The exempt share allowed: the policy's share, at most the legal cap unless beyond the law."""
        if share is None:
            return 0.0
        if self.cfg.beyond_law:
            return share
        return min(share, rules.exemption.max_share)

    def offer_cap(self, rules: RuleSet) -> float:
        """The offers' own cap: the offer share (None: the talk share), at most the rule set's
        `offer_max_share` (None: the rule set lets no separate offer exemption, cap 0)."""
        law = rules.exemption.offer_max_share
        share = self.cfg.offer_share if self.cfg.offer_share is not None else self.cfg.share
        if law is None:
            return 0.0
        return share if self.cfg.beyond_law else min(share, law)

    def _set_limits(self, rules: RuleSet) -> None:
        """The managed measures' limits: per pool group, 1 - the coverage of the exemptable
        minimums due in the first months (talks for the talk pools, the offer for the offer pools)."""
        fm = rules.first_months_day
        talks: dict[str, float] = {}
        offers: dict[str, float] = {}
        for g, gr in rules.groups.items():
            covs = [b.coverage for b in gr.talks if b.exemptable and b.to_day <= fm]
            if covs:
                talks[g] = 1.0 - min(covs)
            covs = [o.coverage for o in gr.offers if o.exemptable and o.due_day <= fm]
            if covs:
                offers[g] = 1.0 - min(covs)
        for pool in self.place_pools + self.fund_pools:
            pool.measure.limit = talks  # type: ignore[union-attr]
        for pool in self.offer_pools:
            pool.measure.limit = offers  # type: ignore[union-attr]

    def bind(self, missed: Callable[[int, int], bool]) -> None:
        """What a citizen reaching month 6 missed, `missed(key, TALKS or OFFERS)`, for the managed
        measures (the model knows the citizen's talks and offers; the pools only its key)."""
        for pool in self.place_pools + self.fund_pools:
            pool.missed = lambda key, m=missed: m(key, TALKS)
        for pool in self.offer_pools:
            pool.missed = lambda key, m=missed: m(key, OFFERS)

    def may_exempt(self) -> bool:
        """Whether anyone can be exempt at all (else the pools need no keeper)."""
        ex = self.cfg
        return ex.policy != "none" and (ex.share > 0 or (ex.akasse_share or 0) > 0 or (ex.offer_share or 0) > 0)

    def pools(self) -> list[tuple[ExemptionPool, str]]:
        """Every pool with the citizen flag it decides, the municipalities' first."""
        return ([(p, MAIN_FLAG) for p in self.place_pools] + [(p, SEPARATE_FLAG) for p in self.fund_pools]
                + [(p, OFFER_FLAG) for p in self.offer_pools])

    def one_decision(self) -> bool:
        """Whether the municipality's talk decision also covers the a-kasse's talks, lifting and
        granting included (managed without an a-kasse share). The other policies keep their
        earlier reading: a lift to keep the cap frees the municipality's talks only."""
        return self.managed and not self.fund_pools

    def decide(self, key: int, group: str, spell_start: float, row, rules: RuleSet, now: float,
               initial: bool, place: int = 0, fund: int = 0) -> tuple[bool, bool, bool]:
        """(exempt, exempt from the separate provider's talks, pooled) for a citizen starting a spell.

        Only a citizen of a pool group within its first `pool_window_day` days enters its
        municipality's pool, and its a-kasse's pool if its group is one of the a-kasse's; it is
        counted as pooled only if it is a new entrant (the initial stock has no history)."""
        ex = rules.exemption
        if group not in ex.pool_groups or now - spell_start >= ex.pool_window_day:
            return False, False, False
        leave = spell_start + ex.pool_window_day
        share = self.cap(rules, self.cfg.share)
        wants = self.policy.wants(row[COL_EXEMPTION], row[COL_FRAILTY], row[COL_ASSESSMENT], share)
        exempt = self.place_pools[place].enter(key, leave, wants, group, now)
        sep_groups = ex.separate_pool_groups if ex.separate_pool_groups is not None else ex.pool_groups
        if not self.fund_pools or group not in sep_groups:
            return exempt, exempt, not initial
        sep_share = self.cap(rules, self.cfg.akasse_share)
        # its own draw serves as both its exemption uniform and its assessment noise: a policy
        # reads one of the two, so the separate decision stays independent of the main one
        sep_wants = self.policy.wants(row[COL_SEPARATE_EXEMPTION], row[COL_FRAILTY], row[COL_SEPARATE_EXEMPTION],
                                      sep_share)
        return exempt, self.fund_pools[fund].enter(key, leave, sep_wants, group, now), not initial

    def decide_offers(self, key: int, group: str, spell_start: float, row, rules: RuleSet, now: float,
                      place: int = 0) -> bool | None:
        """Whether a citizen starting a spell is exempt from the offers by their own decision (the
        managed policy, in the municipality's offer pool); None where the talk decision covers the
        offers (the other policies). Whom: as for the talks, within the offer pool's own cap."""
        ex = rules.exemption
        if not self.offer_pools:
            return None
        if group not in ex.pool_groups or now - spell_start >= ex.pool_window_day:
            return False
        pool = self.offer_pools[place]
        wants = self.policy.wants(row[COL_EXEMPTION], row[COL_FRAILTY], row[COL_ASSESSMENT], pool.cap)
        return pool.enter(key, spell_start + ex.pool_window_day, wants, group, now)

    def update_assessment(self, row, u_new: float) -> None:
        """The municipality's assessment after a talk: its noise moves towards a fresh draw,
        e' = a·e + √(1-a²)·new (a = `reassess_persistence`), so that it stays a standard normal
        and a review revises the earlier judgement rather than forgetting it. Kept in the citizen's
        row (as a uniform) for the next review."""
        a = self.cfg.reassess_persistence
        e = a * float(ndtri(row[COL_ASSESSMENT])) + math.sqrt(max(0.0, 1.0 - a * a)) * float(ndtri(u_new))
        row[COL_ASSESSMENT] = min(max(float(ndtr(e)), 1e-12), 1.0 - 1e-12)

    def reassess(self, key: int, row, u_assessment: float, rules: RuleSet, now: float,
                 place: int = 0) -> list[tuple[str, bool]]:
        """The managed municipality's review at a talk held in the citizen's first months: the
        changed flags, as (citizen flag, new value).

        The assessment is revised with a fresh noise draw `u_assessment` (`update_assessment`;
        with judgement 1 it has no noise and cannot change). Someone now judged able to manage
        alone is exempted if the cap and the month-6 measure allow (from the talks, and separately
        from the offers); someone exempt who is no longer so judged has the exemption lifted. Only
        members of the pools (the pool groups in their first months) are reviewed; the a-kasse's
        own pool is not (it holds no talks after the hand-over)."""
        out: list[tuple[str, bool]] = []
        self.update_assessment(row, u_assessment)
        kinds = [(self.place_pools[place], MAIN_FLAG, self.cap(rules, self.cfg.share))]
        if self.offer_pools:
            kinds.append((self.offer_pools[place], OFFER_FLAG, self.offer_pools[place].cap))
        for pool, flag, share in kinds:
            exempt = pool.members.get(key)
            if exempt is None:
                continue
            wants = self.policy.wants(row[COL_EXEMPTION], row[COL_FRAILTY], row[COL_ASSESSMENT], share)
            if wants and not exempt and pool.grant(key, now):
                out.append((flag, True))
            elif exempt and not wants and pool.lift(key):
                out.append((flag, False))
        if self.one_decision():
            out += [(SEPARATE_FLAG, value) for flag, value in out if flag == MAIN_FLAG]
        return out

    def leave(self, key: int, place: int, fund: int) -> list[tuple[list[int], str]]:
        """The citizen leaves its pools (exit or a new spell): the exemptions lifted to keep the caps."""
        out = [(self.place_pools[place].leave(key), MAIN_FLAG)]
        if self.fund_pools:
            out.append((self.fund_pools[fund].leave(key), SEPARATE_FLAG))
        if self.offer_pools:
            out.append((self.offer_pools[place].leave(key), OFFER_FLAG))
        return out

    def follow_rules(self, rules: RuleSet) -> list[tuple[list[int], str]]:
        """The caps (and a managed run's limits) follow the new rules in force."""
        out = []
        for pool in self.place_pools:
            pool.cap = self.cap(rules, self.cfg.share)
            out.append((pool.rebalance(), MAIN_FLAG))
        for pool in self.fund_pools:
            pool.cap = self.cap(rules, self.cfg.akasse_share)
            out.append((pool.rebalance(), SEPARATE_FLAG))
        for pool in self.offer_pools:
            pool.cap = self.offer_cap(rules)
            out.append((pool.rebalance(), OFFER_FLAG))
        if self.managed:
            self._set_limits(rules)
        return out

    def stats(self) -> dict[str, float]:
        """The run's record: the largest exempt share any pool ever held, and the lifted exemptions."""
        every = [p for p, _ in self.pools()]
        return {"exempt_share_max": max(p.max_share for p in every),
                "exemptions_lifted": float(sum(p.revoked for p in every))}

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

:class:`Exemptions` makes the decision for a citizen entering its pool group: the main pool and,
when the provider the rule set names as deciding separately (the a-kasse) has a share of its own,
that provider's pool for its own talks.
"""

from __future__ import annotations

import heapq
import math
from typing import Protocol

from scipy.special import ndtri

from sim.engine.randomness import COL_ASSESSMENT, COL_EXEMPTION, COL_FRAILTY, COL_SEPARATE_EXEMPTION
from sim.inputs.rules import RuleSet
from sim.inputs.schema import Exemption

# the citizen flag each pool decides (attribute names of sim.engine.citizen.Citizen)
MAIN_FLAG, SEPARATE_FLAG = "exempt", "exempt_separate"


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
    if cfg.policy == "targeted":
        return TargetedExemption(cfg.judgement)
    return RandomExemption()


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

    def enter(self, key: int, leave_day: float, wants: bool) -> bool:
        """Add a pool entrant; exempt it if it is wanted and the cap allows. Returns the decision."""
        self.members[key] = False
        self._leave_day[key] = leave_day
        heapq.heappush(self._expiry, (leave_day, key))
        exempt = wants and self.n_exempt + 1 <= self.cap * len(self.members) + 1e-9
        if exempt:
            self.members[key] = True
            self.n_exempt += 1
            self._granted.append(key)
        self._observe()
        return exempt

    def leave(self, key: int) -> list[int]:
        """A member leaves the pool (exit or end of its first months)."""
        exempt = self.members.pop(key, None)
        if exempt is None:
            return []
        del self._leave_day[key]
        if exempt:
            self.n_exempt -= 1
        return self.rebalance()

    def expire(self, now: float) -> list[int]:
        """Members whose first months end by `now` leave the pool."""
        revoked: list[int] = []
        while self._expiry and self._expiry[0][0] <= now:
            entry = heapq.heappop(self._expiry)
            if self._is_current(entry):
                revoked += self.leave(entry[1])
        return revoked

    def rebalance(self) -> list[int]:
        """Lift the newest exemptions until the exempt share is within the cap (also after the cap changes)."""
        revoked = []
        while self.n_exempt > self.cap * len(self.members) + 1e-9 and self._granted:
            key = self._granted.pop()
            if self.members.get(key):
                self.members[key] = False
                self.n_exempt -= 1
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
    provider (the a-kasse) has a share of its own, one pool per a-kasse of its members.

    `cfg` is the scenario's exemption table: the main share and policy, the separately deciding
    provider's own share (``akasse_share``; None: one decision covers all talks) and whether
    shares beyond the legal cap are allowed. A citizen leaves through `leave`; that and
    `follow_rules` give the citizens whose exemption had to be lifted to keep the cap, for the
    model to plan them in again."""

    def __init__(self, cfg: Exemption, first_rules: RuleSet, n_places: int = 1, n_funds: int = 1):
        self.cfg = cfg
        self.policy: ExemptionPolicy = make_policy(cfg)
        cap = self.cap(first_rules, cfg.share)
        self.place_pools = [ExemptionPool(cap) for _ in range(n_places)]
        sep_cap = self.cap(first_rules, cfg.akasse_share)
        self.fund_pools = ([ExemptionPool(sep_cap) for _ in range(n_funds)]
                           if cfg.akasse_share is not None else [])

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

    def may_exempt(self) -> bool:
        """Whether anyone can be exempt at all (else the pools need no keeper)."""
        ex = self.cfg
        return ex.policy != "none" and (ex.share > 0 or (ex.akasse_share or 0) > 0)

    def pools(self) -> list[tuple[ExemptionPool, str]]:
        """Every pool with the citizen flag it decides, the municipalities' first."""
        return [(p, MAIN_FLAG) for p in self.place_pools] + [(p, SEPARATE_FLAG) for p in self.fund_pools]

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
        exempt = self.place_pools[place].enter(key, leave, wants)
        sep_groups = ex.separate_pool_groups if ex.separate_pool_groups is not None else ex.pool_groups
        if not self.fund_pools or group not in sep_groups:
            return exempt, exempt, not initial
        sep_share = self.cap(rules, self.cfg.akasse_share)
        # its own draw serves as both its exemption uniform and its assessment noise: a policy
        # reads one of the two, so the separate decision stays independent of the main one
        sep_wants = self.policy.wants(row[COL_SEPARATE_EXEMPTION], row[COL_FRAILTY], row[COL_SEPARATE_EXEMPTION],
                                      sep_share)
        return exempt, self.fund_pools[fund].enter(key, leave, sep_wants), not initial

    def leave(self, key: int, place: int, fund: int) -> list[tuple[list[int], str]]:
        """The citizen leaves its pools (exit or a new spell): the exemptions lifted to keep the caps."""
        out = [(self.place_pools[place].leave(key), MAIN_FLAG)]
        if self.fund_pools:
            out.append((self.fund_pools[fund].leave(key), SEPARATE_FLAG))
        return out

    def follow_rules(self, rules: RuleSet) -> list[tuple[list[int], str]]:
        """The caps follow the legal cap of new rules in force."""
        out = []
        for pool in self.place_pools:
            pool.cap = self.cap(rules, self.cfg.share)
            out.append((pool.rebalance(), MAIN_FLAG))
        for pool in self.fund_pools:
            pool.cap = self.cap(rules, self.cfg.akasse_share)
            out.append((pool.rebalance(), SEPARATE_FLAG))
        return out

    def stats(self) -> dict[str, float]:
        """The run's record: the largest exempt share any pool ever held, and the lifted exemptions."""
        every = [p for p, _ in self.pools()]
        return {"exempt_share_max": max(p.max_share for p in every),
                "exemptions_lifted": float(sum(p.revoked for p in every))}

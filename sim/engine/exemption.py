"""The one-in-four exemption: which citizens of the pool are lifted from the mandatory talks and
offers beyond the first talk, and the cap as the law counts it.

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
"""

from __future__ import annotations

import heapq
import math
from typing import Protocol

from scipy.special import ndtri


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
        self.n_exempt = 0
        self._expiry: list[tuple[float, int]] = []  # (leave day, key), lazily cleaned
        self._granted: list[int] = []  # exempt keys in the order granted (newest last)
        self.max_share = 0.0
        self.revoked = 0

    def __len__(self) -> int:
        return len(self.members)

    def next_expiry(self) -> float:
        while self._expiry and self._expiry[0][1] not in self.members:
            heapq.heappop(self._expiry)
        return self._expiry[0][0] if self._expiry else math.inf

    def enter(self, key: int, leave_day: float, wants: bool) -> bool:
        """Add a pool entrant; exempt it if it is wanted and the cap allows. Returns the decision."""
        self.members[key] = False
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
        if exempt:
            self.n_exempt -= 1
        return self.rebalance()

    def expire(self, now: float) -> list[int]:
        """Members whose first months end by `now` leave the pool."""
        revoked: list[int] = []
        while self._expiry and self._expiry[0][0] <= now:
            _, key = heapq.heappop(self._expiry)
            revoked += self.leave(key)
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

"""The one-in-four exemption: which citizens of the pool are lifted from the mandatory talks
and offers beyond the first talk.

A policy sees the citizen's own uniform draw for the exemption, so that a larger share exempts
a superset of the citizens a smaller share exempts (common random numbers across shares).
Targeted policies (exempting those judged most able to find work themselves) plug in here.
"""

from __future__ import annotations

from typing import Protocol


class ExemptionPolicy(Protocol):
    def exempt(self, u: float, share: float) -> bool: ...


class NoExemption:
    """Everyone gets the full contact course."""

    def exempt(self, u: float, share: float) -> bool:
        return False


class RandomExemption:
    """Each pool entrant is exempted with probability `share`, independently."""

    def exempt(self, u: float, share: float) -> bool:
        return u < share


def make_policy(cfg) -> ExemptionPolicy:
    if cfg.policy == "none":
        return NoExemption()
    return RandomExemption()

"""The rule sets in force over a run: which applies on a given day, and when the next one starts.

Days count from the scenario's start date; the first rule set is in force from day 0 (see
``LoadedParams.timeline``). A spell under way when the rules change is planned again under the
new ones (the model does that on the switch day).
"""

from __future__ import annotations

from sim.engine.hazard import INF
from sim.inputs.rules import RuleSet


class RuleTimeline:
    """The steps (first day, rule set) of a run, in increasing order of day."""

    def __init__(self, steps: list[tuple[int, RuleSet]]):
        self.steps = steps
        self.first = steps[0][1]
        self.switch_days = [d for d, _ in steps[1:]]

    def rules_at(self, day: float) -> RuleSet:
        """The rule set in force on `day` (a switch day already has the new rules)."""
        current = self.first
        for d, rs in self.steps:
            if d <= day:
                current = rs
        return current

    def next_switch(self, day: float) -> float:
        """The first switch day after `day`, infinite if none."""
        for d in self.switch_days:
            if d > day:
                return float(d)
        return INF

"""Staffing targets: what a planner asks staffing to achieve, e.g. ``first_talk_on_time>=0.95``.

A target is judged on the pessimistic end of a 95 % interval, never on the mean, so that a staffing
that passes holds with confidence. The KPI reference inside a target (``kpi`` or ``kpi[group]``) is
the package's one KPI-reference grammar (:mod:`sim.metrics.kpi_refs`)."""

from __future__ import annotations

import math
import re
from dataclasses import dataclass

from sim.inputs.errors import ParamError
from sim.metrics.kpi_refs import KPI_REF_PATTERN

# KPIs a staffing target can name: shares of tasks or citizens that capacity makes on time.
SHARE_KPIS = ("first_talk_on_time", "talk_coverage_6m", "offer_coverage_6m", "clarification_on_time")
COMPLIANCE_PREFIX = "compliance_"

_TARGET_RE = re.compile(rf"^\s*{KPI_REF_PATTERN}\s*(?P<op>>=|<=)\s*(?P<value>[-+0-9.eE]+)\s*(?P<pct>%?)\s*$")
_FORM = "KPI>=VALUE or KPI[group]>=VALUE (or <=), e.g. first_talk_on_time>=0.95"


@dataclass(frozen=True)
class Target:
    """One requirement: the confidence bound of `kpi` for `group` must be `op` `value`."""

    kpi: str
    group: str
    op: str
    value: float
    text: str

    @property
    def label(self) -> str:
        where = "" if self.group == "all" else f"[{self.group}]"
        return f"{self.kpi}{where}{self.op}{self.value:g}"

    def bound(self, ci_low: float, ci_high: float) -> float:
        """The bound that must meet the value: the pessimistic end of the interval."""
        return ci_low if self.op == ">=" else ci_high

    def met(self, ci_low: float, ci_high: float) -> bool:
        b = self.bound(ci_low, ci_high)
        if b is None or math.isnan(b):
            return False
        return b >= self.value - 1e-12 if self.op == ">=" else b <= self.value + 1e-12


def _known_kpi(kpi: str) -> bool:
    return kpi in SHARE_KPIS or (kpi.startswith(COMPLIANCE_PREFIX) and len(kpi) > len(COMPLIANCE_PREFIX))


def parse_target(text: str) -> Target:
    """Parse 'KPI>=VALUE', 'KPI[group]>=VALUE' or the same with '<='; a trailing % divides by 100.

    Only compliance shares are accepted: they are what staffing moves, and a share outside [0, 1]
    can never be met, so both are refused up front rather than after a long search. A provider in
    the reference (``kpi[group/provider]``) is refused too: staffing is searched for all providers
    together, so a target holds for the group as a whole."""
    m = _TARGET_RE.match(text or "")
    if m is None:
        raise ParamError("--target", text, _FORM)
    if m["provider"]:
        raise ParamError("--target", text, "KPI>=VALUE or KPI[group]>=VALUE without /provider: a staffing target "
                                           "covers all providers together")
    kpi = m["kpi"]
    if not _known_kpi(kpi):
        raise ParamError("--target", text, f"a compliance KPI: one of {', '.join(SHARE_KPIS)} or "
                                           f"{COMPLIANCE_PREFIX}<kind>")
    try:
        value = float(m["value"])
    except ValueError:
        raise ParamError("--target", text, "a number after >= or <=, e.g. 0.95 or 95%") from None
    if m["pct"]:
        value /= 100.0
    if not 0.0 <= value <= 1.0:
        raise ParamError("--target", text, f"{kpi} is a share: a value from 0 to 1 (or 0% to 100%)")
    return Target(kpi=kpi, group=m["group"] or "all", op=m["op"], value=value, text=text)


def parse_targets(texts: list[str] | None, groups: list[str] | None = None) -> list[Target]:
    """Parse every --target; with `groups`, refuse a group the scenario does not have."""
    if not texts:
        raise ParamError("--target", None, "at least one target, e.g. --target 'first_talk_on_time>=0.95'")
    targets = [parse_target(t) for t in texts]
    if groups is not None:
        for t in targets:
            if t.group != "all" and t.group not in groups:
                raise ParamError("--target", t.text, f"a group of {sorted(groups)} or all")
    return targets

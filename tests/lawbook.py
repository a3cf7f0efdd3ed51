"""Helpers for the tests with independent expectations (issue 16).

The legal numbers are read here straight from ``params/rules/*.toml`` with ``tomllib``, never
through ``sim.inputs.rules``, so a test compares the engine with the rule-set file itself. The
per-citizen facts come from the spell log of ``Model(..., record_spells=True)``, the one stable
window onto what happened to each citizen; every count a test needs is made here from that log.
"""

from __future__ import annotations

import math
import tomllib
from pathlib import Path
from typing import Any

import pandas as pd
from conftest import GROUPS

import sim
from sim.engine.model import Model

RULES_DIR = Path(__file__).parent.parent / "params" / "rules"


def rule_set(name: str) -> dict[str, Any]:
    """A rule-set file as plain data."""
    with open(RULES_DIR / f"{name}.toml", "rb") as fh:
        return tomllib.load(fh)


def applies(applies_to: str, under_30: bool, short_absence: bool) -> bool:
    """Whether a rule with `applies_to` covers a citizen (the field meanings of the rule files)."""
    return {"all": True, "under_30": under_30, "over_30": not under_30,
            "short_absence": short_absence, "not_short_absence": not short_absence}[applies_to]


def clarification_dues(cl: dict[str, Any], start: float, end: float, stay_start: float,
                       stu_end: float | None) -> list[float]:
    """The days in (start, end] (days of the run) a clarification rule of a rule file falls due for
    a spell from `start`, as the rule's fields say: `first_day` and then every `every_days` from the
    spell's start, or with counted_in = "cash_benefit_system" from the stay's start `stay_start`;
    with `stu_grace_days`, the due days before `stu_end` (on STU) become one due `stu_grace_days`
    after the STU ends, unless a regular due day falls between the STU's end and then."""
    clock = stay_start if cl.get("counted_in") == "cash_benefit_system" else start
    every = cl.get("every_days")
    grace = cl.get("stu_grace_days")
    last = end + (grace or 0.0) + (every or 0.0)
    regular = [clock + cl["first_day"]]
    while every and regular[-1] + every <= last:
        regular.append(regular[-1] + every)
    dues = regular
    if grace is not None and stu_end is not None and not math.isnan(stu_end):
        on_stu = [d for d in regular if d < stu_end]
        after = [d for d in regular if d >= stu_end]
        served = any(d <= stu_end + grace for d in after)
        dues = ([stu_end + grace] if on_stu and not served else []) + after
    return [d for d in dues if start < d <= end]


def frozen(inflows: dict[str, float], rules: str | list, **extra: Any) -> dict[str, Any]:
    """Overrides for a deterministic scenario: only the groups in `inflows` receive citizens, at
    a flat rate, with no initial stock, and nobody ever leaves (every hazard zero, UI benefit
    never exhausted); unlimited capacity; start 1 Jan 2027, scale 1."""
    ov: dict[str, Any] = {"scale": 1.0, "rules": rules, "capacity.unlimited": True, "start_date": "2027-01-01"}
    base = sim.load_params()
    for g in GROUPS:
        ov[f"groups.{g}.stock"] = 0.0
        ov[f"groups.{g}.inflow_per_year"] = inflows.get(g, 0.0)
        if g not in inflows:
            continue
        grp = base.scenario.groups[g]
        n = len(grp.hazard.breaks_weeks)
        ov[f"groups.{g}.hazard.work"] = [0.0] * n
        ov[f"groups.{g}.hazard.other"] = [0.0] * n
        for dest in grp.hazard.to:
            ov[f"groups.{g}.hazard.to.{dest}"] = [0.0] * n
        ov[f"groups.{g}.seasonality"] = [1.0] * 12
    if "dagpenge" in inflows:
        ov["groups.dagpenge.exhaustion.prior_hours_used"] = [[1.0, 0.0]]
    ov.update(extra)
    return ov


def spell_log(params, seed: int, replication: int = 0) -> tuple[pd.DataFrame, float]:
    """One replication's spell log as a frame, and the horizon in days (the end of censored spells).

    Missing values stay None (pandas would turn them into NaN in a column that also holds strings)."""
    model = Model(params, replication=replication, seed=seed, record_spells=True)
    model.run()
    df = pd.DataFrame(model.spell_log)
    for col in ("dest", "trial_arm", "course_provider"):
        df[col] = df[col].astype(object).where(df[col].notna(), None)
    return df, float(params.scenario.horizon_days)


def kpi_value(kpis: pd.DataFrame, name: str, group: str = "all", provider: str = "all",
              replication: int = 0) -> float | None:
    """One KPI of one replication, or None when the run does not report it."""
    sel = kpis[(kpis.kpi == name) & (kpis.group == group) & (kpis.provider == provider)
               & (kpis.replication == replication)]
    return None if sel.empty else float(sel["value"].iloc[0])

"""The KPI definitions as one table, evaluated for each group and for "all" by one loop.

Every KPI is a ratio of named quantities the recorder counted (or the scenario fixes):
``value = num[0] × num[1] × … / (den[0] × den[1] × …)``. A KPI whose denominator, or one of the
quantities it `requires`, is not positive is *absent*, never zero: a share of nobody is unknown,
not 0 %. A KPI that needs a quantity the level does not have is absent too.

The same row serves every group and the "all" level. Most quantities at "all" are sums over the
groups; a few follow whole cases instead (a citizen who moves from one group to another is two
spells but one case): see `_whole_cases`. Rows are grouped in sections; a section lists its KPIs
for provider "all" first and then, provider by provider, those that have a provider breakdown.
A section may repeat for each key of a family (the legal minimums' kinds, the trials' arms).
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from functools import lru_cache
from typing import Literal

import numpy as np
import pandas as pd

from sim.engine.recorder import Recorder
from sim.metrics.workload import (
    WorkPlan,
    block_hours,
    case_work_hours_gp,
    item_hours,
)

TRIAL_ARMS = ("free_choice", "extended")
"""The two trials' arms, in the order their KPIs are listed (the 2027 trials)."""

Quantities = dict[str, float]
Kind = Literal["count", "share", "weeks"]
"""What a KPI's number is: a count of persons, talks, hours, FTE or DKK (proportional to the
simulated population, so scaled up to the population the scenario stands for), a share of
citizens, or a length in weeks (neither changes with the population's size)."""


@dataclass(frozen=True)
class Kpi:
    """One KPI: name, numerator, denominator, what it means. `{key}` in the name and the quantity
    names stands for the key of a family section (a legal minimum's kind, a trial's arm)."""

    name: str
    num: tuple[str, ...]
    den: tuple[str, ...] = ()
    about: str = ""
    level: Literal["every", "all"] = "every"  # "all": only the "all" level (e.g. money that has no group)
    provider: Literal["total", "each", "only"] = "total"  # total: provider "all"; each: also per provider
    requires: tuple[str, ...] = ()  # further quantities that must be positive for the KPI to exist
    kind: Kind = "count"  # count: grows with the population (scaled up to it); share, weeks: do not

    @property
    def formula(self) -> str:
        num = " × ".join(self.num)
        if not self.den:
            return num
        den = self.den[0] if len(self.den) == 1 else "(" + " × ".join(self.den) + ")"
        return f"{num} / {den}"

    def value(self, q: Mapping[str, float]) -> float | None:
        """The KPI over quantities `q`, or None where it cannot be computed."""
        names = (*self.num, *self.den, *self.requires)
        if any(n not in q for n in names):
            return None
        if any(not q[n] > 0 for n in (*self.den, *self.requires)):
            return None
        # divide first, then multiply: the rounding of the definitions the pinned values came from
        v = q[self.num[0]]
        for d in self.den:
            v /= q[d]
        for n in self.num[1:]:
            v *= q[n]
        return float(v)

    def keyed(self, key: str) -> Kpi:
        """The row for one key of a family."""
        def fill(names: tuple[str, ...]) -> tuple[str, ...]:
            return tuple(n.format(key=key) for n in names)

        return Kpi(self.name.format(key=key), fill(self.num), fill(self.den), self.about, self.level,
                   self.provider, fill(self.requires), self.kind)


@dataclass(frozen=True)
class Section:
    """KPIs listed together: for provider "all", then per provider (rows that have a breakdown)."""

    rows: tuple[Kpi, ...]
    family: Literal["rule_kinds", "trial_arms"] | None = None  # repeat the rows for each key
    title: str = ""

    def providers(self, providers: list[str]) -> list[str]:
        """The providers this section is evaluated for, in the order its rows are listed."""
        return ["all", *providers] if any(r.provider != "total" for r in self.rows) else ["all"]


def _share(name: str, met: str, due: str, about: str, **kw) -> Kpi:
    return Kpi(name, (met,), (due,), about, kind="share", **kw)


def _per_year(name: str, count: str, about: str, **kw) -> Kpi:
    return Kpi(name, (count,), ("years",), about, **kw)


TABLE: tuple[Section, ...] = (
    Section(title="persons, spells and results", rows=(
        Kpi("persons_start", ("start",), about="citizens in stock when the run starts"),
        Kpi("persons_arrived", ("arrived",), about="entries during the run (at \"all\": new cases)"),
        Kpi("persons_exited", ("exited",), about="exits during the run (at \"all\": cases ended)"),
        Kpi("persons_in_stock_end", ("in_stock_end",), about="citizens still in stock when the run ends"),
        Kpi("persons_touched_per_year", ("touched",), ("touch_years",),
            "distinct persons with any spell in the group during a run year (at \"all\": in any group), "
            "mean over the run's whole years"),
        Kpi("stock_mean", ("stock_days",), ("horizon_days",), "mean caseload: days in stock / days run"),
        _per_year("inflow_per_year", "arrived", "entries per year"),
        Kpi("spell_weeks_mean", ("spell_days_done",), ("spells_done", "days_per_week"),
            "mean length of the spells (at \"all\": cases) that ended, in weeks", kind="weeks"),
        _share("exit_work_or_education_3m", "work3", "n3", "entrants in work or education within 3 months"),
        _share("exit_work_or_education_6m", "work6", "n6", "entrants in work or education within 6 months"),
        _share("first_talk_on_time", "first_on_time", "first_due", "first talks held by their deadline"),
        _share("talk_coverage_6m", "cov_met", "cov_due", "citizens who got the talks of their first 6 months"),
        _share("offer_coverage_6m", "offer_met", "offer_due", "citizens who got their offer within 6 months"),
        _share("clarification_on_time", "clar_on_time", "clar_due", "clarifications held by their deadline"),
        _share("exempt_share", "exempt", "pool", "the exemption pool's members who were exempted"),
    )),
    Section(title="legal minimums", family="rule_kinds", rows=(
        _share("compliance_{key}", "rule_met_{key}", "rule_due_{key}", "citizens due who got the minimum in time"),
    )),
    Section(title="the exemption pool", rows=(
        Kpi("exempt_share_max", ("exempt_share_max",), about="the pool's largest exempt share during the run",
            level="all", requires=("pool",), kind="share"),
        _per_year("exemptions_lifted_per_year", "exemptions_lifted", "exemptions lifted before they ran out",
                  level="all", requires=("pool",)),
    )),
    Section(title="workload", rows=(
        _per_year("talks_held_per_year", "talks", "talks held", provider="each"),
        _per_year("offers_started_per_year", "offers", "offers started"),
        _per_year("caseworker_hours_per_year", "hours", "caseworker hours, other case work included",
                  provider="each"),
        Kpi("fte_needed", ("hours",), ("years", "productive_hours_per_fte_year"),
            "caseworkers needed: hours per year / productive hours of one FTE; all work, the overhead block "
            "included", provider="each"),
        Kpi("fte_modelled_work", ("modelled_hours",), ("years", "productive_hours_per_fte_year"),
            "FTE of the modelled work: diary tasks, rule-set work items and other case work", provider="each"),
        Kpi("fte_overhead_block", ("block_hours",), ("years", "productive_hours_per_fte_year"),
            "FTE of the overhead block: management, administration, employer service, other groups",
            level="all", provider="each"),
        _share("overhead_share_of_fte", "block_hours", "hours", "share of fte_needed that is the overhead block",
               level="all"),
        Kpi("caseworker_dkk_per_year", ("hours", "caseworker_dkk_per_fte_year"),
            ("years", "productive_hours_per_fte_year"), "the caseworkers' cost", provider="each"),
    )),
    Section(title="money", rows=(
        _per_year("benefit_weeks_per_year", "benefit_weeks", "weeks of benefit paid: days in stock / 7"),
        _per_year("benefit_dkk_per_year", "benefit_dkk", "benefits paid: days in stock / 7 × weekly rate"),
        _per_year("offer_dkk_per_year", "offer_dkk", "offer costs, booked when an offer starts"),
        _per_year("oevo_mentor_dkk_per_year", "oevo_mentor_dkk", "costs under the training-and-mentor limit: "
                  "ØVO and mentor in the mandatory offers and beyond them (per citizen-week)",
                  level="all"),
        Kpi("oevo_mentor_limit_dkk_per_year", ("limit_stock_days", "oevo_mentor_limit_dkk_per_full_time_person"),
            ("horizon_days",), "the limit: full-time persons in the limit's groups × the limit per person",
            level="all"),
        _per_year("oevo_mentor_above_limit_dkk_per_year", "oevo_mentor_above_limit_dkk",
                  "ØVO and mentor spending above the financing limit: the state refund is cut by it", level="all"),
        Kpi("job_premium_dkk_per_year", ("premium_exits", "job_premium_dkk_per_exit"), ("years",),
            "job premiums earned by long cases that end in work", level="all"),
        _per_year("trial_provider_dkk_per_year", "trial_dkk", "prices paid to trial providers", level="all"),
        _per_year("net_dkk_per_year", "net_dkk", "benefits + offers + caseworkers + trial providers − premiums",
                  level="all"),
    )),
    Section(title="the trials", family="trial_arms", rows=(
        _per_year("trial_{key}_entrants_per_year", "trial_entrants_{key}", "entrants to the trial arm",
                  level="all", provider="each", requires=("trial_entrants_{key}",)),
        _share("trial_{key}_exit_work_6m", "trial_work6_{key}", "trial_followed_{key}",
               "entrants followed 6 months who were in work by then", level="all", provider="only"),
    )),
    Section(title="support", rows=(
        Kpi("public_support_share", ("support_stock_days",), ("horizon_days", "population"),
            "share of the population on public support: mean stock of groups with a benefit / population",
            level="all", kind="share"),
    )),
)


# ---------------------------------------------------------------- the quantities of each level


def per_group(groups: list[str], rates: Mapping[str, float], default: float | None = None) -> np.ndarray:
    """One rate per group, in the recorder's order; a group without a rate gets `default` (if given)."""
    return np.array([rates[g] if default is None else rates.get(g, default) for g in groups], dtype=float)


def _constants(rec: Recorder, scenario) -> Quantities:
    """What the scenario fixes: the run's length, the FTE's productive hours, prices, the population."""
    money = scenario.money
    return {"years": rec.horizon_days / 365.25, "horizon_days": rec.horizon_days, "days_per_week": 7.0,
            "productive_hours_per_fte_year": scenario.capacity.productive_hours_per_fte_year,
            "caseworker_dkk_per_fte_year": money.caseworker_dkk_per_fte_year,
            "job_premium_dkk_per_exit": money.job_premium_dkk_per_exit,
            "oevo_mentor_limit_dkk_per_full_time_person": money.oevo_mentor_limit_dkk_per_full_time_person,
            "population": money.population * scenario.scale}


def _group_counts(rec: Recorder, scenario) -> dict[str, np.ndarray]:
    """Quantities per group that add up over groups: the counters and what the rates make of them."""
    counts = rec.c
    for kind, (due, met) in rec.rules.items():
        counts[f"rule_due_{kind}"], counts[f"rule_met_{kind}"] = due, met
    money = scenario.money
    stock_days = counts["stock_days"]
    benefit_rate = per_group(rec.groups, money.benefit_dkk_per_week)
    counts["benefit_weeks"] = stock_days / 7.0
    counts["benefit_dkk"] = stock_days / 7.0 * benefit_rate
    counts["limit_stock_days"] = np.where(np.isin(rec.groups, list(money.oevo_limit_groups)), stock_days, 0.0)
    beyond = per_group(rec.groups, getattr(money, "oevo_mentor_beyond_offers_dkk_per_week", {}), 0.0)
    counts["oevo_mentor_dkk"] = counts["oevo_mentor_dkk"] + stock_days / 7.0 * beyond
    counts["offer_dkk"] = counts["offer_dkk"] + stock_days / 7.0 * beyond
    counts["support_stock_days"] = np.where(benefit_rate > 0, stock_days, 0.0)
    return counts


# At the "all" level these quantities follow whole cases (external entry to external exit), not
# the sum of the groups' spells: a citizen who moves from one group to another is one case.
def _whole_cases(rec: Recorder) -> Quantities:
    c, case = rec.c, rec.case
    return {"arrived": float(c["arrived_external"].sum()), "exited": float(c["exited_external"].sum()),
            "spell_days_done": case["days_done"], "spells_done": case["done"],
            "n3": case["n3"], "work3": case["work3"], "n6": case["n6"], "work6": case["work6"]}


def _trials(rec: Recorder, provider: int | None) -> Quantities:
    """Each arm's entrants and 6-month outcomes for one course provider (None: all providers)."""
    q: Quantities = {}
    entrants, outcomes = rec.trial_entrants, rec.trial_outcomes
    for arm in TRIAL_ARMS:
        mine = [p for p in range(len(rec.providers)) if provider is None or p == provider]
        q[f"trial_entrants_{arm}"] = float(sum(entrants.get((arm, p), 0.0) for p in mine))
        q[f"trial_followed_{arm}"] = float(sum(outcomes.get((arm, p), (0.0, 0.0))[0] for p in mine))
        q[f"trial_work6_{arm}"] = float(sum(outcomes.get((arm, p), (0.0, 0.0))[1] for p in mine))
    return q


def _with_net(q: Quantities) -> Quantities:
    """The net public cost: benefits + offers + caseworkers + trial providers − job premiums."""
    caseworkers = q["hours"] / q["productive_hours_per_fte_year"] * q["caseworker_dkk_per_fte_year"]
    premiums = q["premium_exits"] * q["job_premium_dkk_per_exit"]
    q["net_dkk"] = q["benefit_dkk"] + q["offer_dkk"] + caseworkers + q["trial_dkk"] - premiums
    return q


Level = tuple[str, Quantities, dict[str, Quantities]]


def _hours_gp(rec: Recorder, scenario, plan: WorkPlan | None) -> np.ndarray:
    """All modelled hours by group and provider: diary tasks, other case work and the rule-set items."""
    hours = rec.hours_gp + case_work_hours_gp(rec, scenario)
    if plan is not None:
        for h in item_hours(rec, plan).values():
            hours = hours + h
    return hours


def _touched(rec: Recorder) -> tuple[np.ndarray, float]:
    """Persons touched over the run's whole years, per group and (last) any group, and the years."""
    whole = int((rec.horizon_days + 1.5) // 365.25)  # a "1-year" run has 365 days: a whole year
    return rec.touched[:whole].sum(axis=0), float(whole)


def levels(rec: Recorder, scenario, plan: WorkPlan | None = None) -> Iterator[Level]:
    """(level name, quantities over all providers, quantities per provider) for each group, then "all".
    `plan`: the run's work items (None: no rule-set items)."""
    const = _constants(rec, scenario)
    counts = _group_counts(rec, scenario)
    hours = _hours_gp(rec, scenario, plan)
    touched, const["touch_years"] = _touched(rec)
    counts["touched"] = touched[:-1]
    by_provider = {"talks": rec.talks_gp, "hours": hours, "modelled_hours": hours}
    zero = np.zeros(len(rec.providers))
    block_p = sum(block_hours(hours.sum(axis=0), rec.providers, scenario, const["years"]).values(), zero)
    providers = list(enumerate(rec.providers))
    for gi, g in enumerate(rec.groups):
        total = const | {k: float(v[gi]) for k, v in counts.items()} | {k: float(m[gi].sum())
                                                                         for k, m in by_provider.items()}
        each = {p: const | {k: float(m[gi, pi]) for k, m in by_provider.items()} for pi, p in providers}
        yield g, _with_net(total), each
    total = const | {k: float(v.sum()) for k, v in counts.items()} | {k: float(m.sum()) for k, m in by_provider.items()}
    total |= _whole_cases(rec) | dict(rec.pool_stats) | _trials(rec, None)
    limit = total["limit_stock_days"] / rec.horizon_days * const["years"] * const[
        "oevo_mentor_limit_dkk_per_full_time_person"]
    total["oevo_mentor_above_limit_dkk"] = max(0.0, total["oevo_mentor_dkk"] - limit)
    total |= {"touched": float(touched[-1]), "block_hours": float(block_p.sum()),
              "modelled_hours": total["hours"],
              "hours": total["hours"] + float(block_p.sum())}
    each = {p: const | {k: float(m[:, pi].sum()) for k, m in by_provider.items()} | _trials(rec, pi)
            for pi, p in providers}
    for pi, p in providers:
        each[p] |= {"block_hours": float(block_p[pi]), "modelled_hours": each[p]["hours"],
                    "hours": each[p]["hours"] + float(block_p[pi])}
    yield "all", _with_net(total), each


# ---------------------------------------------------------------- the one loop


def _applies(kpi: Kpi, level: str, provider: str) -> bool:
    if kpi.level == "all" and level != "all":
        return False
    return {"total": provider == "all", "each": True, "only": provider != "all"}[kpi.provider]


def evaluate(rec: Recorder, scenario, plan: WorkPlan | None = None) -> list[tuple[str, str, str, float]]:
    """Every KPI the run can compute as (kpi, group, provider, value), in the table's order, for
    each group and then "all"."""
    families = {"rule_kinds": list(rec.rules), "trial_arms": list(TRIAL_ARMS)}
    rows: list[tuple[str, str, str, float]] = []
    for level, total, each in levels(rec, scenario, plan):
        for section in TABLE:
            for key in families[section.family] if section.family else [None]:
                kpis = [k if key is None else k.keyed(key) for k in section.rows]
                for provider in section.providers(rec.providers):
                    q = total if provider == "all" else each[provider]
                    for kpi in kpis:
                        value = kpi.value(q) if _applies(kpi, level, provider) else None
                        if value is not None:
                            rows.append((kpi.name, level, provider, value))
    return rows


def kpi_frame(rec: Recorder, replication: int, scenario, plan: WorkPlan | None = None) -> pd.DataFrame:
    """The KPI table of one replication: replication, kpi, group, provider, value."""
    df = pd.DataFrame(evaluate(rec, scenario, plan), columns=["kpi", "group", "provider", "value"])
    df.insert(0, "replication", replication)
    return df


@lru_cache(maxsize=1)
def _kind_patterns() -> tuple[tuple[re.Pattern[str], Kind], ...]:
    """Each row's name as a pattern ({key} of a family matches any key) with its kind."""
    return tuple((re.compile(re.escape(k.name).replace(re.escape("{key}"), ".+") + "$"), k.kind)
                 for s in TABLE for k in s.rows)


def kpi_kind(name: str) -> Kind | None:
    """The kind of KPI `name` ("count", "share" or "weeks"), keyed family names included; None for a
    name the table does not define."""
    return next((kind for pattern, kind in _kind_patterns() if pattern.match(name)), None)


def table_frame() -> pd.DataFrame:
    """The definitions for people: section, kpi, formula, level, provider breakdown, meaning."""
    return pd.DataFrame([(s.title, k.name, k.formula, k.level, k.provider, k.about) for s in TABLE for k in s.rows],
                        columns=["section", "kpi", "formula", "level", "provider", "about"])

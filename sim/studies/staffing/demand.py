"""Caseworker demand read from a run with unlimited capacity: where a staffing search starts.

An unlimited run has no queues, so the hours it books are pure demand. Two figures matter: the
diary demand (talks, offers, reviews: the hours that compete for diary slots and make talks late)
and all work (diary demand plus other case work per citizen-week, the `fte_needed` KPI)."""

from __future__ import annotations

from sim.experiment.results import Results
from sim.inputs.errors import ParamError
from sim.inputs.schema import LoadedParams
from sim.studies.staffing.targets import Target


def mean_kpi(res: Results, kpi: str, group: str, provider: str) -> float:
    """A KPI's mean over replications; 0 when the run does not produce it."""
    s = res.kpi(kpi, group=group, provider=provider)
    return float(s.mean()) if len(s) else 0.0


def horizon_years(params: LoadedParams) -> float:
    """The simulated horizon in years."""
    return params.scenario.horizon_days / 365.25


def booked_hours_per_year(res: Results, provider: str, years: float) -> float:
    """Hours a provider books in its diaries (talks, offers, reviews) a year at scale, mean over
    replications. `caseworker_hours_per_year` also counts other case work per citizen-week, which
    is not booked in the diaries and so does not compete for the hours that make talks late."""
    w = res.weekly
    sel = w[(w.group == "all") & (w.provider == provider)]
    if sel.empty or "caseworker_hours" not in set(sel.measure):
        return mean_kpi(res, "caseworker_hours_per_year", "all", provider)
    per = sel.pivot_table(index="replication", columns="measure", values="value", aggfunc="sum")
    if "diary_hours" in per:  # since issue 11 caseworker_hours also holds the work items and the block
        return float(per["diary_hours"].mean()) / years
    booked = per["caseworker_hours"] - (per["case_work_hours"] if "case_work_hours" in per else 0.0)
    return float(booked.mean()) / years


def diary_demand(res: Results, params: LoadedParams, providers: list[str]) -> dict[str, float]:
    """Pure diary demand per provider in national FTE: where the search starts."""
    prod = params.scenario.capacity.productive_hours_per_fte_year
    return {p: booked_hours_per_year(res, p, horizon_years(params)) / prod / params.scenario.scale for p in providers}


def all_work_demand(res: Results, providers: list[str], scale: float) -> dict[str, float]:
    """All caseworker demand per provider in national FTE (the run reports FTE at scale)."""
    return {p: mean_kpi(res, "fte_needed", "all", p) / scale for p in providers}


def dependent_providers(res: Results, targets: list[Target], providers: list[str]) -> list[str]:
    """Providers with work in a group some target covers: only their staffing can move the target."""
    return [p for p in providers if any(mean_kpi(res, "fte_needed", t.group, p) > 0 for t in targets)]


def check_kpis_exist(res: Results, targets: list[Target]) -> None:
    """Refuse a target whose KPI the scenario never produces (no cases due), before any search."""
    k = res.kpis
    for t in targets:
        if k[(k.kpi == t.kpi) & (k.group == t.group)].empty:
            raise ParamError("--target", t.text, f"a KPI this scenario produces ({t.kpi} for group {t.group} "
                                                 "has no cases due)")

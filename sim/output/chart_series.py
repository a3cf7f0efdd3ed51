"""The numbers a chart draws, picked out of a run folder: KPI rows, weekly series and their bands.

Kept apart from the drawing code so that what is plotted can be read and tested as plain tables.
Bars and whiskers come from summary.csv as written; the only interval computed here is the band
of a weekly series, with the same Student-t helper that wrote summary.csv (sim.metrics.stats).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from sim.metrics.stats import grouped_ci
from sim.output.run_folder import Run

WEEKS_PER_YEAR = 52.18
GROUP_ORDER = ["dagpenge", "jobparat", "aktivitetsparat", "sygemeldt", "oevrige"]
PROVIDERS = ["municipality", "akasse"]
SHARE_FALLBACK_KPIS = ["first_talk_on_time", "talk_coverage_6m", "offer_coverage_6m"]


def full_weeks(run: Run) -> pd.DataFrame:
    """Weekly rows without the last, partial week, whose counts would look like a sudden drop."""
    w = run.weekly
    if w is None:
        raise ValueError(f"{run.path} has no weekly series")
    days = round(run.years * 365.25)
    return w[w["week"] * 7 + 7 <= days]


def mean_band(df: pd.DataFrame, by: list[str]) -> pd.DataFrame:
    """Mean over replications (rows of `value`) per `by` and its 95 % band `lo`..`hi`: the
    Student-t interval of summary.csv. One replication has no spread to measure; it is drawn as a
    zero-width band at the mean rather than left out, so the line still shows."""
    g = grouped_ci(df, by, sort=True)
    single = g["n"] <= 1
    g["lo"] = g["ci_low"].mask(single, g["mean"])
    g["hi"] = g["ci_high"].mask(single, g["mean"])
    return g


def dates(run: Run, weeks: pd.Series) -> pd.Series:
    """Calendar dates of the week numbers, from the run's start date."""
    start = pd.Timestamp(str(run.meta.get("start_date", run.params.get("start_date", "2027-01-01"))))
    return start + pd.to_timedelta(weeks.astype(int) * 7, unit="D")


def kpi_rows(run: Run, kpi: str) -> pd.DataFrame:
    """The summary.csv rows of one KPI (every group and provider)."""
    return run.summary[run.summary["kpi"] == kpi]


def ordered_groups(present: set[str]) -> list[str]:
    """The known groups in their usual order, then any others (a scenario may add groups)."""
    return [g for g in GROUP_ORDER if g in present] + sorted(present - set(GROUP_ORDER))


def weekly_fte(run: Run) -> pd.DataFrame | None:
    """Weekly FTE per provider (group all): the fte_needed measure if the run has it, else the
    weekly caseworker hours at a year's rate over the productive hours of one FTE."""
    if run.weekly is None:
        return None
    w = full_weeks(run)
    w = w[(w["group"] == "all") & w["provider"].isin(PROVIDERS)]
    if (w["measure"] == "fte_needed").any():
        return w[w["measure"] == "fte_needed"]
    hours = (run.params.get("capacity") or {}).get("productive_hours_per_fte_year")
    h = w[w["measure"] == "caseworker_hours"]
    if not hours or h.empty:
        return None
    return h.assign(value=h["value"] * WEEKS_PER_YEAR / float(hours))


def compliance_rows(run: Run) -> tuple[pd.DataFrame, bool]:
    """compliance.csv if the run has it (with thresholds and status), and True; else the
    contact-course share KPIs from summary.csv, with a threshold only where run.json's
    legal_thresholds gives one, and False."""
    if run.compliance is not None and not run.compliance.empty:
        return run.compliance.copy(), True
    s = run.summary
    rows = s[s["kpi"].isin(SHARE_FALLBACK_KPIS) & (s["provider"] == "all")].copy()
    rows["threshold"] = np.nan
    rows["status"] = ""
    for t in run.meta.get("legal_thresholds") or []:
        hit = (rows["kpi"] == t.get("kpi")) & (rows["group"] == t.get("group", "all"))
        rows.loc[hit, "threshold"] = t.get("threshold")
    return rows, False

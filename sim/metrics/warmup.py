"""The warm-up check: MSER-5 on the weekly series of a run.

The model starts from a stock whose elapsed durations are drawn from the stationary distribution
of the hazard model, so it should need no warm-up. Rather than trust that (or silently discard
years), every run reports MSER-5 (White 1997; White, Cobb & Spratt 2000; the heuristic Hoad,
Robinson & Davies found most reliable): the truncation point that minimises the marginal
standard error of the remaining batch means. A truncation point at or near week 0 confirms the
stationary start; a late one says to discard weeks or to look at the start-up.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

BATCH = 5
WARMUP_MEASURES = ("stock", "caseworker_hours")


def mser(series: np.ndarray | list[float], batch: int = BATCH) -> dict[str, Any]:
    """MSER-`batch` of one series: the truncation (in observations) minimising the MSER statistic.

    The series is cut into batches of `batch` observations (a trailing part batch is dropped); the
    statistic for truncating d batches is sum((z_i - mean)^2) / (n - d)^2 over the remaining batch
    means. Truncation is searched only over the first half, as the method prescribes: a minimum
    in the second half means the series is too short or not settling, which is reported.
    """
    x = np.asarray(series, dtype=float)
    x = x[np.isfinite(x)]
    k = len(x) // batch
    if k < 4:
        return {"truncation": 0, "batches": k, "reliable": False, "reason": "series too short for MSER"}
    z = x[: k * batch].reshape(k, batch).mean(axis=1)
    stats = np.empty(k - 1)
    for d in range(k - 1):
        rest = z[d:]
        stats[d] = np.sum((rest - rest.mean()) ** 2) / (len(rest) ** 2)
    d_all = int(np.argmin(stats))
    half = k // 2
    d = int(np.argmin(stats[: half + 1]))
    reliable = d_all <= half
    return {"truncation": d * batch, "batches": k, "reliable": bool(reliable),
            "reason": "minimum in the first half" if reliable else "minimum in the second half: series not settled"}


def weekly_totals(weekly: pd.DataFrame, measure: str, horizon_days: int | None = None) -> pd.Series:
    """One measure summed over groups and providers, averaged over replications, per full week.

    Rows with group or provider "all" are aggregates and are left out so nothing counts twice;
    the last, partial week is dropped because its counts would look like a sudden fall.
    """
    w = weekly[(weekly["measure"] == measure) & (weekly["group"] != "all") & (weekly["provider"] != "all")]
    if horizon_days is not None:
        w = w[w["week"] * 7 + 7 <= horizon_days]
    if w.empty:
        return pd.Series(dtype=float)
    per_rep = w.groupby(["replication", "week"])["value"].sum()
    return per_rep.groupby("week").mean().sort_index()


def warmup_check(weekly: pd.DataFrame, horizon_days: int | None = None,
                 measures: tuple[str, ...] = WARMUP_MEASURES) -> dict[str, Any]:
    """MSER-5 on the replication-mean weekly totals of `measures`; the verdict for run.json.

    `needed` is true when some measure's (reliable) truncation point is more than one batch and
    more than 5 % of the weeks: MSER-5 resolves only whole batches, and a single batch cut is the
    noise one expects at the start of a stationary series.
    """
    out: dict[str, Any] = {"method": "MSER-5 on the replication-mean weekly totals", "measures": {}}
    needed = False
    for m in measures:
        s = weekly_totals(weekly, m, horizon_days)
        if s.empty:
            continue
        r = mser(s.to_numpy())
        r["weeks"] = int(len(s))
        r["truncation_week"] = int(s.index[0]) + r.pop("truncation")
        out["measures"][m] = r
        if r["reliable"] and r["truncation_week"] > max(BATCH, 0.05 * len(s)):
            needed = True
    worst = max((r["truncation_week"] for r in out["measures"].values()), default=0)
    out["truncation_week"] = int(worst)
    out["needed"] = bool(needed)
    out["verdict"] = (f"warm-up: MSER-5 suggests discarding the first {worst} weeks" if needed
                      else f"warm-up: none needed (MSER-5 truncation at week {worst})")
    return out

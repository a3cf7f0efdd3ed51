"""Whether a sweep's answer can be used: per KPI, the noise/design split, the main factor with its
interval, a verdict and advice.

A table of indices is printed whatever its quality; this module says what it is worth. A KPI is
*informative* when at least one factor's interval excludes zero (the first such factor in the
method's ranking is its main factor). It is *noisy* when replication noise is more than half the
variance of the point means that the indices apportion. The advice names the knob that helps:
replications or the scale against noise (with the number of replications that would bring noise
down to a fifth), points against wide intervals.
"""

from __future__ import annotations

import math
from typing import Any

import pandas as pd

from sim.studies.sensitivity import index_intervals
from sim.studies.sweep.noise import NOISE_DOMINATES, VarianceSplit, replications_for, split_variance
from sim.studies.sweep.result import SweepResult

COLUMNS = ["kpi", "method", "points", "replications", "mean", "var_noise", "var_design", "noise_share",
           "noise_share_of_means", "F", "p_value", "main_factor", "main_index", "main_estimate", "main_low",
           "main_high", "clear_factors", "verdict", "advice"]


def _scale(res: SweepResult) -> str:
    """How to say "a larger scale" for this sweep (empty for a model without one)."""
    if res.spec.model not in ("simulation", "sim"):
        return ""
    scale = res.spec.fixed.get("scale")
    return f" or the scale (now {scale})" if scale is not None else " or the scale"


def _advice(res: SweepResult, split: VarianceSplit, informative: bool, indices_note: str) -> list[str]:
    spec = res.spec
    out = []
    if indices_note:
        out.append(indices_note)
    if res.deterministic or split.points == 0:
        pass
    elif not math.isfinite(split.var_noise):
        if split.replications < 2:
            out.append("replication noise not measured (one replication per point): use replications >= 2 to see "
                       "how much of the spread is noise")
    elif math.isfinite(split.noise_share_of_means) and split.noise_share_of_means > NOISE_DOMINATES:
        need = replications_for(split)
        hint = (f"; about {math.ceil(need)} would bring it to a fifth" if math.isfinite(need)
                else "; the design explains none of the spread")
        out.append(f"replication noise is {split.noise_share_of_means:.0%} of the spread of the point means: the "
                   f"indices mostly apportion noise. Raise the replications (now {spec.replications}{hint})"
                   f"{_scale(res)}")
    if math.isfinite(split.p_value) and split.p_value > 0.05:
        out.append(f"the design does not move this KPI more than noise would (F test p = {split.p_value:.2f})")
    if not informative and not indices_note:
        out.append(f"every factor's interval spans zero: no factor is clearly important. Raise the points (now "
                   f"{spec.points}) to narrow the intervals, or the replications{_scale(res)} against noise")
    return out


def _verdict(split: VarianceSplit, informative: bool, has_indices: bool) -> str:
    if split.points == 0:
        return "no values"
    if not has_indices:
        return "no indices"
    noisy = math.isfinite(split.noise_share_of_means) and split.noise_share_of_means > NOISE_DOMINATES
    if informative:
        return "informative, noise dominates" if noisy else "informative"
    return "noise dominates" if noisy else "uninformative"


def diagnose_kpi(res: SweepResult, kpi: str, indices: pd.DataFrame | None, note: str = "") -> dict[str, Any]:
    """One KPI's row of the diagnosis (see COLUMNS)."""
    split = split_variance(res.values(kpi), deterministic=res.deterministic)
    row: dict[str, Any] = {"kpi": kpi, "method": "", **split.as_dict(), "main_factor": None, "main_index": None,
                           "main_estimate": math.nan, "main_low": math.nan, "main_high": math.nan, "clear_factors": 0}
    has = indices is not None and len(indices) > 0 and not indices.drop(columns=["kpi", "factor", "method"],
                                                                           errors="ignore").isna().all().all()
    informative = False
    if has and indices is not None:
        row["method"] = str(indices["method"].iloc[0])
        iv = index_intervals(indices)
        clear = iv[iv["clear"]]
        row["clear_factors"] = len(clear)
        informative = len(clear) > 0
        if informative:
            top = clear.iloc[0]
            row.update(main_factor=top["factor"], main_index=top["index"], main_estimate=top["estimate"],
                       main_low=top["low"], main_high=top["high"])
    row["verdict"] = _verdict(split, informative, has)
    row["advice"] = "; ".join(_advice(res, split, informative, note if not has else ""))
    return row


def diagnose(res: SweepResult, indices: dict[str, pd.DataFrame], notes: dict[str, str]) -> pd.DataFrame:
    """The diagnosis of every KPI of the sweep file: `indices` per KPI (absent where none), and
    `notes` saying why a KPI has none."""
    rows = [diagnose_kpi(res, kpi, indices.get(kpi), notes.get(kpi, "")) for kpi in res.spec.kpis]
    return pd.DataFrame(rows, columns=COLUMNS)

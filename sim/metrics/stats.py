"""The one confidence-interval helper: Student-t intervals over replications, from scipy.

Replications are independent and identically distributed by construction (one seed each), so the
mean of a KPI over them has a Student-t interval. Every study, chart and summary uses these
functions, so a number printed in a table and drawn in a chart carry the same interval."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
from scipy import special

LEVEL = 0.95


def t_quantile(p: float | np.ndarray, dof: float | np.ndarray) -> np.ndarray:
    """The Student-t quantile, as scipy.stats.t.ppf computes it (special.stdtrit), without importing
    scipy.stats: that adds about 47 MB to every process, a run's and a sweep's workers included."""
    return special.stdtrit(dof, p)


def t_half_width(sd: np.ndarray | pd.Series | float, n: np.ndarray | pd.Series | int,
                 level: float = LEVEL) -> np.ndarray:
    """Half-width t(level, n-1) × sd / √n, elementwise; NaN where n < 2 (no spread to measure)."""
    n_arr = np.asarray(n, dtype=float)
    sd_arr = np.asarray(sd, dtype=float)
    t = t_quantile(0.5 + level / 2, np.maximum(n_arr - 1, 1))
    with np.errstate(invalid="ignore", divide="ignore"):
        half = t * sd_arr / np.sqrt(n_arr)
    return np.where(n_arr > 1, half, np.nan)


def mean_ci(values: Sequence[float] | np.ndarray | pd.Series, level: float = LEVEL) -> tuple[float, float, float]:
    """(mean, low, high) of the values, NaNs dropped; the bounds are NaN with fewer than two values."""
    x = np.asarray(values, dtype=float)
    x = x[~np.isnan(x)]
    if len(x) == 0:
        return float("nan"), float("nan"), float("nan")
    m = float(x.mean())
    if len(x) < 2:
        return m, float("nan"), float("nan")
    half = float(t_half_width(x.std(ddof=1), len(x), level))
    return m, m - half, m + half


def grouped_ci(df: pd.DataFrame, by: list[str], value: str = "value", level: float = LEVEL,
               sort: bool = False) -> pd.DataFrame:
    """Per group of `by`: mean, sd, n, ci_low and ci_high of column `value` over its rows."""
    g = df.groupby(by, sort=sort)[value].agg(mean="mean", sd="std", n="count").reset_index()
    half = t_half_width(g["sd"], g["n"], level)
    g["ci_low"] = g["mean"] - half
    g["ci_high"] = g["mean"] + half
    return g

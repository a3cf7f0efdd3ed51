"""How much of a sweep's spread is replication noise and how much comes from the design.

A stochastic model gives a different value at the same design point for every replication. The
sensitivity indices apportion the variance of the point means, so noise that is large against the
design's effect shows up as index values that mean nothing. A one-way analysis of variance with
the design points as groups separates the two:

- within a point (replication noise): the mean square within, MSW, estimates the noise variance σ²ₑ;
- between points (the design): the variance of the point means is σ²_design + σ²ₑ × mean(1/nₚ),
  so σ²_design is what remains after the noise's share is taken off (at least 0);
- the share of the point means' variance that is noise is what the indices see: with R
  replications it falls as 1/R, and with a larger population (scale) roughly as 1/scale.

The F test (MSB / MSW) says whether the design moves the KPI more than noise would at all.
With one replication per point the noise cannot be measured; a model that says it is
deterministic has none.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass

import numpy as np
import pandas as pd

NOISE_DOMINATES = 0.5
"""Noise share of the point means' variance above which the indices mostly apportion noise."""


@dataclass(frozen=True)
class VarianceSplit:
    """One KPI's spread over a sweep, split into replication noise and the design's effect."""

    points: int
    replications: float  # mean replications per point
    mean: float
    var_noise: float  # σ²ₑ: within a point (NaN when not measured)
    var_design: float  # σ²_design: between points, noise removed
    noise_share: float  # of one task's variance: σ²ₑ / (σ²ₑ + σ²_design)
    noise_share_of_means: float  # of the point means' variance (what the indices apportion)
    F: float
    p_value: float

    def as_dict(self) -> dict[str, float]:
        return asdict(self)


def split_variance(values: pd.DataFrame, deterministic: bool = False) -> VarianceSplit:
    """The split for one KPI from rows `point`, `value` (one row per replication)."""
    v = values.dropna(subset=["value"])
    g = v.groupby("point")["value"]
    n = g.count()
    means = g.mean()
    k, total = len(n), int(n.sum())
    mean = float(v["value"].mean()) if total else math.nan
    var_means = float(means.var(ddof=1)) if k > 1 else math.nan
    if deterministic:
        share_means = 0.0 if k > 1 else math.nan
        return VarianceSplit(k, float(n.mean()) if k else math.nan, mean, 0.0, var_means, 0.0, share_means,
                             math.inf, 0.0)
    nan = math.nan
    if k < 2 or total - k < 1:
        return VarianceSplit(k, float(n.mean()) if k else nan, mean, nan, nan, nan, nan, nan, nan)
    msw = float(((v["value"] - g.transform("mean")) ** 2).sum() / (total - k))
    noise_of_means = msw * float((1.0 / n).mean())
    var_design = max(0.0, var_means - noise_of_means)
    msb = float((n * (means - mean) ** 2).sum() / (k - 1))
    if msw > 0:
        # (imported here: every worker of a sweep imports this module, and scipy.stats is about 47 MB)
        from scipy import stats

        F = msb / msw
        p = float(stats.f.sf(F, k - 1, total - k))
    else:
        F, p = (math.inf, 0.0) if msb > 0 else (nan, nan)
    share = msw / (msw + var_design) if msw + var_design > 0 else nan
    share_means = min(1.0, noise_of_means / var_means) if var_means > 0 else nan
    return VarianceSplit(k, float(n.mean()), mean, msw, var_design, share, share_means, F, p)


def replications_for(split: VarianceSplit, target_share: float = 0.2) -> float:
    """Replications per point at which noise would be `target_share` of the point means' variance
    (NaN if it cannot be said; inf if the design explains nothing measurable)."""
    if not (np.isfinite(split.var_noise) and np.isfinite(split.var_design)):
        return math.nan
    if split.var_design <= 0:
        return math.inf
    return split.var_noise * (1 - target_share) / (target_share * split.var_design)

"""Sensitivity analysis with SALib: Sobol indices, Morris screening, and first-order Sobol
indices from a Latin hypercube (RBD-FAST), of chosen KPIs to the uncertain parameters.

The designs are drawn here and evaluated by the sweep machinery (:mod:`sim.studies.sweep`), so the
analysis of the simulation and of a test function with known indices (Ishigami) go through the
same code: that is what makes the Ishigami check a test of the simulation's indices too. Their charts
are drawn by :mod:`sim.output.study_charts`.

Why every method has a floor on the number of points: below it the estimators do not fail, they
give confident nonsense. RBD-FAST sums the first M harmonics of a periodogram of N values that has
only N/2 frequencies: with N <= 2M every factor gets S1 = 1.000 ± 0.000. The floors follow SALib:

- RBD-FAST (lhs): SALib's FAST sampler requires N > 4M² (M harmonics, its default 4) and RBD-FAST
  defaults to M = 10. Here M is the largest number of harmonics from 4 to 10 with N > 4M², so a
  design needs at least 65 points; SALib's bootstrap then resamples N/2 points, still > 2M.
- Sobol (Saltelli's scheme): SALib asks for N a power of 2 (the sweep file is checked for that)
  and its examples use N >= 512; below N = 64 the bootstrap intervals rest on too few rows.
- Morris: SALib's sampler follows Campolongo et al. (2007), who use r = 10 to 20 trajectories;
  below 10 the interval of each factor rests on fewer than 10 elementary effects.

Below the floor the indices are NaN and a :class:`SensitivityWarning` says why.

Stochastic outputs need one more guard: noise makes μ* of Morris positive for any factor, and
spreads RBD-FAST's indices. So each method also reports an interval that noise cannot fake:
Morris's signed mean effect μ with a Student-t interval over the r trajectories, and, for a Latin
hypercube, the linear effect of each factor over its range (least squares on the point means, with
its t interval) beside RBD-FAST's S1.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd

from sim.metrics.stats import t_quantile

# The uncertain effect parameters of params/national_default.toml [effects], with the ranges in their
# sources ([A] defaults), and a few others whose values are assumptions. Used by params/sweeps/*.toml and the notebook.
EFFECT_FACTORS: dict[str, tuple[float, float]] = {
    "effects.talk_multiplier.dagpenge": (1.10, 1.30),
    "effects.talk_multiplier.jobparat": (1.10, 1.30),
    "effects.threat_multiplier.dagpenge": (1.05, 1.15),
    "effects.threat_multiplier.jobparat": (1.05, 1.15),
    "offers.types.oevo.lock_in_multiplier": (0.5, 0.8),
    "offers.types.virksomhedspraktik.lock_in_multiplier": (0.9, 1.0),
    "effects.after_offer_multiplier": (1.0, 1.10),
    "effects.talk_weeks": (2.0, 8.0),
    "frailty.variance": (0.25, 1.0),
}

ISHIGAMI_A, ISHIGAMI_B = 7.0, 0.1
# Analytic indices of the Ishigami function with a = 7, b = 0.1 on [-pi, pi]^3 (Saltelli et al. 2008).
ISHIGAMI_S1 = {"x1": 0.3139, "x2": 0.4424, "x3": 0.0}
ISHIGAMI_ST = {"x1": 0.5576, "x2": 0.4424, "x3": 0.2437}

METHODS = {"sobol": "sobol", "morris": "morris", "lhs": "rbd_fast"}
"""The analysis of each design (a grid gets none)."""

MORRIS_LEVELS = 4
RBD_HARMONICS = (4, 10)  # (SALib's FAST default M, RBD-FAST's default M)
MIN_SOBOL_N = 64
MIN_MORRIS_TRAJECTORIES = 10
LEVEL = 0.95


class SensitivityWarning(UserWarning):
    """The indices could not be estimated (too few points, a constant output): they are NaN."""


def ishigami(values: Mapping[str, float], replication: int = 0, seed: int = 0) -> dict[str, float]:
    """The Ishigami test function as a sweep model (factors x1, x2, x3; KPI "y"): deterministic,
    with known Sobol indices, so a sweep of it checks the sweep and analysis machinery."""
    x1, x2, x3 = (float(values[k]) for k in ("x1", "x2", "x3"))
    return {"y": np.sin(x1) + ISHIGAMI_A * np.sin(x2) ** 2 + ISHIGAMI_B * x3 ** 4 * np.sin(x1)}


# What a sweep may check before it runs: the KPIs the function returns, and that it has no noise.
ishigami.kpis = ("y",)  # type: ignore[attr-defined]
ishigami.deterministic = True  # type: ignore[attr-defined]


def problem(bounds: Mapping[str, tuple[float, float]]) -> dict[str, Any]:
    """The SALib problem of continuous factors with their ranges."""
    return {"num_vars": len(bounds), "names": list(bounds), "bounds": [[float(lo), float(hi)] for lo, hi in
                                                                        bounds.values()]}


def sample(method: str, bounds: Mapping[str, tuple[float, float]], points: int, seed: int) -> np.ndarray:
    """The design matrix of SALib's Sobol (Saltelli, N (D + 2) rows) or Morris (N (D + 1) rows)."""
    prob = problem(bounds)
    if method == "sobol":
        from SALib.sample import sobol

        return sobol.sample(prob, points, calc_second_order=False, seed=seed)
    if method == "morris":
        from SALib.sample import morris

        return morris.sample(prob, points, num_levels=MORRIS_LEVELS, seed=seed)
    raise ValueError(f"no SALib sampler for {method!r}")


def rbd_harmonics(n: int) -> int:
    """RBD-FAST's number of harmonics M for n points: the largest M <= 10 with n > 4M² (0 if none >= 4)."""
    m = min(RBD_HARMONICS[1], math.isqrt(max(n - 1, 0) // 4))
    while m >= RBD_HARMONICS[0] and not n > 4 * m * m:
        m -= 1
    return m if m >= RBD_HARMONICS[0] else 0


def base_samples(method: str, rows: int, factors: int) -> int:
    """SALib's N of a design of `rows` rows: points (lhs), N (sobol: N (D + 2) rows) or trajectories
    (morris: r (D + 1) rows)."""
    if method == "sobol":
        return rows // (factors + 2)
    if method == "morris":
        return rows // (factors + 1)
    return rows


def too_few_points(method: str, n: int) -> str | None:
    """Why a design with SALib's N = `n` is too small for `method`'s indices, or None if it is not."""
    if method == "lhs" and rbd_harmonics(n) == 0:
        return (f"RBD-FAST needs at least {4 * RBD_HARMONICS[0] ** 2 + 1} points (N > 4M² with M = "
                f"{RBD_HARMONICS[0]} harmonics, SALib's FAST rule); this design has {n}")
    if method == "sobol" and n < MIN_SOBOL_N:
        return f"Sobol indices need N >= {MIN_SOBOL_N} (a power of 2; SALib's examples use 512 or more); this is {n}"
    if method == "morris" and n < MIN_MORRIS_TRAJECTORIES:
        return (f"Morris screening needs at least {MIN_MORRIS_TRAJECTORIES} trajectories (Campolongo et al. 2007, "
                f"as in SALib, use 10 to 20); this design has {n}")
    return None


def _empty(method: str, names: list[str]) -> pd.DataFrame:
    cols = {"sobol": ["S1", "S1_conf", "ST", "ST_conf"],
            "morris": ["mu", "mu_conf", "mu_star", "mu_star_conf", "sigma"],
            "lhs": ["S1", "S1_conf", "effect", "effect_conf", "src"]}[method]
    return pd.DataFrame({"factor": names, **{c: np.nan for c in cols}})


def linear_effects(bounds: Mapping[str, tuple[float, float]], X: np.ndarray, Y: np.ndarray,
                   level: float = LEVEL) -> pd.DataFrame:
    """Least squares of Y on the factors scaled to [0, 1]: each factor's effect over its whole range
    (the others held) with its Student-t half-width, and the standardized coefficient SRC
    (SRC² is the factor's first-order index when the response is linear). NaN without residual
    degrees of freedom. Noise in Y widens the intervals honestly: it is part of the residual."""
    names = list(bounds)
    lo = np.array([b[0] for b in bounds.values()], dtype=float)
    hi = np.array([b[1] for b in bounds.values()], dtype=float)
    U = (np.asarray(X, dtype=float) - lo) / (hi - lo)
    A = np.column_stack([np.ones(len(Y)), U])
    dof = len(Y) - A.shape[1]
    if dof < 1:
        return pd.DataFrame({"factor": names, "effect": np.nan, "effect_conf": np.nan, "src": np.nan})
    beta, *_ = np.linalg.lstsq(A, Y, rcond=None)
    resid = Y - A @ beta
    cov = float(resid @ resid / dof) * np.linalg.pinv(A.T @ A)
    half = t_quantile(0.5 + level / 2, dof) * np.sqrt(np.diag(cov))[1:]
    sd_y = float(np.std(Y, ddof=1))
    src = beta[1:] * U.std(axis=0, ddof=1) / sd_y if sd_y > 0 else np.full(len(names), np.nan)
    return pd.DataFrame({"factor": names, "effect": beta[1:], "effect_conf": half, "src": src})


def _analyse(method: str, prob: dict[str, Any], bounds: Mapping[str, tuple[float, float]], X: np.ndarray,
             Y: np.ndarray, seed: int) -> pd.DataFrame:
    if method == "sobol":
        from SALib.analyze import sobol

        r = sobol.analyze(prob, Y, calc_second_order=False, seed=seed)
        return pd.DataFrame({"factor": prob["names"], "S1": r["S1"], "S1_conf": r["S1_conf"],
                             "ST": r["ST"], "ST_conf": r["ST_conf"]})
    if method == "morris":
        from SALib.analyze import morris

        r = morris.analyze(prob, X, Y, num_levels=MORRIS_LEVELS, seed=seed)
        trajectories = base_samples("morris", len(Y), len(prob["names"]))
        return pd.DataFrame({"factor": prob["names"], "mu": r["mu"],
                             "mu_conf": np.asarray(t_quantile(0.5 + LEVEL / 2, trajectories - 1))
                             * np.asarray(r["sigma"], dtype=float) / math.sqrt(trajectories),
                             "mu_star": r["mu_star"], "mu_star_conf": r["mu_star_conf"], "sigma": r["sigma"]})
    from SALib.analyze import rbd_fast

    r = rbd_fast.analyze(prob, X, Y, M=rbd_harmonics(len(Y)), seed=seed)
    df = pd.DataFrame({"factor": prob["names"], "S1": r["S1"], "S1_conf": r["S1_conf"]})
    return df.merge(linear_effects(bounds, X, Y), on="factor")


def analyse(method: str, bounds: Mapping[str, tuple[float, float]], X: np.ndarray, Y: np.ndarray,
            seed: int = 1) -> pd.DataFrame:
    """Indices of one output `Y` (one value per design row, in design order) to each factor.

    sobol: first-order S1 and total ST with bootstrap confidence (Saltelli/Jansen estimators);
    morris: μ (signed mean elementary effect) with a t interval, μ* (mean absolute effect: the
    screening measure) with SALib's bootstrap interval, and σ;
    lhs: first-order S1 by RBD-FAST (Tarantola et al. 2006; Plischke 2010), which needs no special
    design, and the linear effect of each factor over its range with a t interval.
    Too few points, or an output that does not vary, give NaN indices and a SensitivityWarning.
    Grid designs get no indices.
    """
    if method not in METHODS:
        raise ValueError(f"no sensitivity analysis for design {method!r}")
    prob = problem(bounds)
    X = np.asarray(X, dtype=float)
    Y = np.asarray(Y, dtype=float)
    if not np.all(np.isfinite(Y)):
        raise ValueError("some design points have no value (failed or missing tasks)")
    why = too_few_points(method, base_samples(method, len(Y), prob["num_vars"]))
    if why is None and float(np.ptp(Y)) == 0.0:
        why = "the output is the same at every design point: there is no variance to apportion"
    if why is not None:
        warnings.warn(f"sensitivity indices are NaN: {why}", SensitivityWarning, stacklevel=2)
        df = _empty(method, prob["names"])
    else:
        df = _analyse(method, prob, bounds, X, Y, seed)
    df.insert(1, "method", METHODS[method])
    return df


def index_intervals(indices: pd.DataFrame) -> pd.DataFrame:
    """Per factor of one KPI's indices: the index that ranks it, and whether an interval that noise
    cannot fake excludes zero (`clear`), with that interval as `estimate`, `low`, `high`.

    Ranking: ST (Sobol), μ* (Morris), S1 (RBD-FAST). The interval checked: ST, else S1 (Sobol);
    μ (Morris: μ* of pure noise is positive, μ's mean is zero); the linear effect, else S1 (lhs).
    """
    method = str(indices["method"].iloc[0]) if len(indices) else ""
    rank_by, checks = {"sobol": ("ST", [("ST", "ST_conf"), ("S1", "S1_conf")]),
                       "morris": ("mu_star", [("mu", "mu_conf")]),
                       "rbd_fast": ("S1", [("effect", "effect_conf"), ("S1", "S1_conf")])}.get(method, ("", []))
    rows = []
    for _, r in indices.iterrows():
        chosen = None
        for est, conf in checks:
            e, c = float(r.get(est, np.nan)), float(r.get(conf, np.nan))
            if np.isfinite(e) and np.isfinite(c) and abs(e) > c:
                chosen = (est, e, e - c, e + c)
                break
        if chosen is None and checks:
            est, conf = checks[0]
            e, c = float(r.get(est, np.nan)), float(r.get(conf, np.nan))
            chosen = (est, e, e - c, e + c)
        name, e, lo, hi = chosen or ("", np.nan, np.nan, np.nan)
        rows.append({"factor": r["factor"], "rank_by": float(r.get(rank_by, np.nan)) if rank_by else np.nan,
                     "index": name, "estimate": e, "low": lo, "high": hi,
                     "clear": bool(np.isfinite(lo) and (lo > 0 or hi < 0))})
    out = pd.DataFrame(rows, columns=["factor", "rank_by", "index", "estimate", "low", "high", "clear"])
    return out.sort_values("rank_by", ascending=False, na_position="last", kind="stable").reset_index(drop=True)

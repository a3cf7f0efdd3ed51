"""Sensitivity analysis with SALib: Sobol indices, Morris screening, and first-order Sobol
indices from a Latin hypercube (RBD-FAST), of chosen KPIs to the uncertain parameters.

The designs are drawn here and evaluated by the sweep machinery (:mod:`sim.studies.sweep`), so the
analysis of the simulation and of a test function with known indices (Ishigami) go through the
same code: that is what makes the Ishigami check a test of the simulation's indices too. Their charts
are drawn by :mod:`sim.output.study_charts`.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd

# The uncertain effect parameters of domain.md §8 with the ranges given there ([A] defaults),
# and a few others whose values are assumptions. Used by params/sweeps/*.toml and the notebook.
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


def ishigami(values: Mapping[str, float], replication: int = 0, seed: int = 0) -> dict[str, float]:
    """The Ishigami test function as a sweep model (factors x1, x2, x3; KPI "y"): deterministic,
    with known Sobol indices, so a sweep of it checks the sweep and analysis machinery."""
    x1, x2, x3 = (float(values[k]) for k in ("x1", "x2", "x3"))
    return {"y": np.sin(x1) + ISHIGAMI_A * np.sin(x2) ** 2 + ISHIGAMI_B * x3 ** 4 * np.sin(x1)}


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

        return morris.sample(prob, points, num_levels=4, seed=seed)
    raise ValueError(f"no SALib sampler for {method!r}")


def analyse(method: str, bounds: Mapping[str, tuple[float, float]], X: np.ndarray, Y: np.ndarray,
            seed: int = 1) -> pd.DataFrame:
    """Indices of one output `Y` (one value per design row, in design order) to each factor.

    sobol: first-order S1 and total ST with bootstrap confidence (Saltelli/Jansen estimators);
    morris: mu, mu* (mean absolute elementary effect: the screening measure) and sigma;
    lhs: first-order S1 by RBD-FAST (Tarantola et al. 2006; Plischke 2010), which needs no
    special design, only a Latin hypercube. Grid designs get no indices.
    """
    prob = problem(bounds)
    Y = np.asarray(Y, dtype=float)
    if not np.all(np.isfinite(Y)):
        raise ValueError("some design points have no value (failed or missing tasks)")
    if method == "sobol":
        from SALib.analyze import sobol

        r = sobol.analyze(prob, Y, calc_second_order=False, seed=seed)
        df = pd.DataFrame({"factor": prob["names"], "S1": r["S1"], "S1_conf": r["S1_conf"],
                           "ST": r["ST"], "ST_conf": r["ST_conf"]})
    elif method == "morris":
        from SALib.analyze import morris

        r = morris.analyze(prob, np.asarray(X, dtype=float), Y, num_levels=4, seed=seed)
        df = pd.DataFrame({"factor": prob["names"], "mu": r["mu"], "mu_star": r["mu_star"],
                           "sigma": r["sigma"], "mu_star_conf": r["mu_star_conf"]})
    elif method == "lhs":
        from SALib.analyze import rbd_fast

        r = rbd_fast.analyze(prob, np.asarray(X, dtype=float), Y, seed=seed)
        df = pd.DataFrame({"factor": prob["names"], "S1": r["S1"], "S1_conf": r["S1_conf"]})
    else:
        raise ValueError(f"no sensitivity analysis for design {method!r}")
    df.insert(1, "method", {"sobol": "sobol", "morris": "morris", "lhs": "rbd_fast"}[method])
    return df

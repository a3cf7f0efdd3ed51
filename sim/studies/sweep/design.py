"""The design of a sweep: which parameter values each point gets.

Grid and Latin hypercube designs are drawn here; Sobol and Morris designs come from SALib via
:mod:`sim.studies.sensitivity`, in the order its analysis expects the results back."""

from __future__ import annotations

import itertools

import numpy as np
import pandas as pd

from sim.studies.sensitivity import sample
from sim.studies.sweep.spec import SweepSpec


def design_points(spec: SweepSpec) -> pd.DataFrame:
    """The design as a frame: `point` and one column per factor path, in the order the analysis
    needs (SALib's sample order for sobol and morris)."""
    names = [f.path for f in spec.factors]
    if spec.design == "grid":
        axes = [f.levels if f.levels is not None else list(np.linspace(*f.span, spec.grid_levels))
                for f in spec.factors]
        rows = [[float(v) if isinstance(v, np.floating) else v for v in combo] for combo in itertools.product(*axes)]
    elif spec.design == "lhs":
        # (scipy.stats is about 47 MB, and every worker of a sweep imports this module: see sim.cli.main)
        from scipy.stats import qmc

        u = qmc.LatinHypercube(d=len(names), seed=spec.seed).random(spec.points)
        cols = [f.from_unit(u[:, j]) for j, f in enumerate(spec.factors)]
        rows = [list(r) for r in zip(*cols)]
    else:
        X = sample(spec.design, spec.bounds, spec.points, spec.seed)
        rows = [[float(x) for x in r] for r in X]
    df = pd.DataFrame(rows, columns=names)
    df.insert(0, "point", np.arange(len(df), dtype=np.int64))
    return df

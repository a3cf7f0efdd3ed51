"""The calibration procedure: figures in, a validated scenario file out, checked by simulation."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from sim.experiment.results import atomic_write
from sim.inputs.errors import ParamError
from sim.inputs.loading import load_params
from sim.inputs.schema import LoadedParams
from sim.studies.calibration.check import check_run, compare, corrected, format_comparison, measured
from sim.studies.calibration.figures import Figures, read_figures
from sim.studies.calibration.hazards import implied_external_inflows, solve_factors
from sim.studies.calibration.scenario_file import population_share, scenario_dict, to_toml
from sim.studies.calibration.targets import Target, group_target


@dataclass
class Calibration:
    """The outcome: the scenario written, its factors, and the check-run comparison."""

    out: Path
    targets: dict[str, Target]
    factors: dict[str, tuple[float, float]]
    comparison: pd.DataFrame
    text: str


def calibrate(figures: str | Path, out: str | Path, name: str | None = None, replications: int = 4,
              seed: int = 1, check: bool = True) -> Calibration:
    """Write a scenario calibrated to `figures` at `out`; with `check`, correct once and compare."""
    base_params = load_params(overrides={"scale": 1.0})
    groups = list(base_params.scenario.groups)
    fig = read_figures(figures, groups)
    if fig.rules not in ("pre_reform", "reform_2026", "reform_2027"):
        load_params(overrides={"rules": fig.rules})  # raises the usual error for an unknown rule set
    targets = {g: group_target(g, fig.groups[g]) for g in groups if g in fig.groups}
    missing = [g for g in groups if g not in targets]
    if missing and fig.population is None and not fig.municipality:
        raise ParamError(f"groups.{missing[0]}", None, "figures for every group, or the municipality's population "
                         "(or name) to scale the national default for the groups left out")
    name = name or Path(out).stem
    national_stock = sum(grp.stock for grp in base_params.scenario.groups.values())
    out = Path(out)
    base_targets = dict(targets)
    factors = _write(base_params, fig, name, targets, base_targets, national_stock, out)
    comparison = pd.DataFrame()
    if check:
        first = measured(check_run(out, fig.rules, replications, seed))
        base_targets = corrected(targets, base_targets, first)
        factors = _write(base_params, fig, name, targets, base_targets, national_stock, out)
        comparison = compare(targets, measured(check_run(out, fig.rules, replications, seed)))
    text = format_comparison(comparison, fig, out, replications) if check else f"Wrote {out} (no check run)."
    return Calibration(out, targets, factors, comparison, text)


def _write(params: LoadedParams, fig: Figures, name: str, targets: dict[str, Target], base: dict[str, Target],
           national_stock: float, out: Path) -> dict[str, tuple[float, float]]:
    """Solve the hazard factors for the baseline targets and write the scenario file atomically."""
    factors = {g: solve_factors(g, params.scenario.groups[g], params.scenario.frailty.variance, base[g].mean_weeks,
                                base[g].share_to_work) for g in targets}
    local_stock = sum(t.stock for t in targets.values())
    inflows = implied_external_inflows(params, targets, factors,
                                       population_share(params, fig, local_stock, national_stock))
    data = scenario_dict(params, fig, name, factors, targets, inflows, national_stock)
    header = (f"# Calibrated by `caseload calibrate {Path(fig.path).name}` on {dt.date.today()}.\n"
              f"# Stocks and Little's-law inflows from the figures; hazards of the national default scaled per group.")
    out.parent.mkdir(parents=True, exist_ok=True)
    text = to_toml(data, header)
    atomic_write(out, lambda p: Path(p).write_text(text, encoding="utf-8"))
    load_params(out)  # the file must validate
    return factors

"""The calibration procedure: figures in, a validated scenario file out, checked by simulation."""

from __future__ import annotations

import datetime as dt
import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from sim.experiment.results import Results
from sim.inputs.errors import ParamError, one_line
from sim.inputs.files import check_output_file, is_shipped
from sim.inputs.loading import load_params
from sim.inputs.schema import LoadedParams
from sim.metrics.stats import mean_ci
from sim.studies.calibration.check import check_run, compare, corrected, format_comparison, measured
from sim.studies.calibration.figures import Figures, read_figures
from sim.studies.calibration.hazards import implied_external_inflows, solve_factors
from sim.studies.calibration.scenario_file import population_share, scenario_dict, to_toml
from sim.studies.calibration.targets import Target, group_target
from sim.studies.calibration.time_use import ShareFit, TimeUseFit, fit_case_work, fit_item_hours


@dataclass
class Calibration:
    """The outcome: the scenario written, its factors, and the check-run comparison."""

    out: Path
    targets: dict[str, Target]
    factors: dict[str, tuple[float, float]]
    comparison: pd.DataFrame
    text: str
    time_use: TimeUseFit | None = None
    fte_check: pd.DataFrame | None = None  # provider, target, simulated fte_needed (95 % CI) after the fit
    shares: ShareFit | None = None  # [A] work-item hours fitted to the time-use shares


def check_out(out: str | Path, figures: str | Path) -> Path:
    """The scenario file to write: a .toml path one can write, which is neither the figures nor a
    file the model itself reads (the shipped national default, rule sets, presets, sweeps), and
    not called national_default.toml (the file extends national_default and would find itself).
    The shipped files are recognised before anything is probed, so their folder is not touched."""
    path = Path(str(out))
    if str(out).strip() and "\x00" not in str(out):
        if is_shipped(path):
            raise ParamError("--out", str(out), "a scenario file of your own: this one is shipped with caseload-sim "
                                                "and every command reads it")
        if path.name == "national_default.toml":
            raise ParamError("--out", str(out), "a name other than national_default.toml: the calibrated scenario "
                                                "extends national_default and would extend itself")
        if _same_file(path, Path(figures)):
            raise ParamError("--out", str(out), "a scenario file other than FIGURES")
    return check_output_file(out, "--out", suffix=".toml")


def _same_file(a: Path, b: Path) -> bool:
    try:
        return a.resolve() == b.resolve()
    except (OSError, RuntimeError, ValueError):
        return False


def calibrate(figures: str | Path, out: str | Path, name: str | None = None, replications: int = 4,
              seed: int = 1, check: bool = True) -> Calibration:
    """Write a scenario calibrated to `figures` at `out`; with `check`, correct once and compare.

    `out` is replaced only when the new scenario is complete and validates: until then it is a
    hidden file beside `out`, removed if anything fails or the user interrupts."""
    out = check_out(out, figures)
    base_params = load_params(overrides={"scale": 1.0})
    groups = list(base_params.scenario.groups)
    fig = read_figures(figures, groups, list(base_params.scenario.capacity.providers))
    if fig.rules not in ("pre_reform", "reform_2026", "reform_2027"):
        load_params(overrides={"rules": fig.rules})  # raises the usual error for an unknown rule set
    targets = {g: group_target(g, fig.groups[g]) for g in groups if g in fig.groups}
    missing = [g for g in groups if g not in targets]
    if missing and fig.population is None and not fig.municipality:
        raise ParamError(f"groups.{missing[0]}", None, "figures for every group, or the municipality's population "
                         "(or name) to scale the national default for the groups left out")
    name = name or out.stem
    national_stock = sum(grp.stock for grp in base_params.scenario.groups.values())
    base_targets = dict(targets)
    comparison = pd.DataFrame()
    fit, fte_check, shares = None, None, None
    with _scratch_file(out) as draft:
        factors = _write(base_params, fig, name, targets, base_targets, national_stock, draft)
        if check:
            first = measured(check_run(draft, fig.rules, replications, seed))
            base_targets = corrected(targets, base_targets, first)
            factors = _write(base_params, fig, name, targets, base_targets, national_stock, draft)
            second = check_run(draft, fig.rules, replications, seed)
            comparison = compare(targets, measured(second))
            if fig.fte_targets:  # other case work fitted to the FTE targets, then checked once more
                fit = fit_case_work(second, fig.fte_targets, load_params(draft).scenario)
                _write(base_params, fig, name, targets, base_targets, national_stock, draft, case_work=fit.rates)
                second = check_run(draft, fig.rules, replications, seed)
                fte_check = fte_comparison(second, fig.fte_targets)
            if fig.time_shares:  # [A] work-item hours fitted to the time-use shares (baseline rules only)
                shares = fit_shares(second, fig, load_params(draft, {"rules": fig.rules, "exemption.share": 0.0}))
        os.replace(draft, out)
    text = format_comparison(comparison, fig, out, replications) if check else f"Wrote {out} (no check run)."
    if fit is not None and fte_check is not None:
        text += "\n" + format_time_use(fit, fte_check)
    if shares is not None:
        text += "\n" + format_shares(shares, fig.rules)
    return Calibration(out, targets, factors, comparison, text, fit, fte_check, shares)


def fit_shares(res: Results, fig: Figures, params: LoadedParams) -> ShareFit:
    """The [A] work-item hours of the baseline rule set fitted to the stated time-use shares of the
    provider that carries the overhead block (the job centre)."""
    oh = params.scenario.overhead
    items = {w.id: w for w in params.rule_sets[fig.rules].work_items}
    if res.workload is None or res.workload.empty:
        raise ValueError("the check run has no workload table")
    reps = res.workload.replication.nunique()
    w = res.workload.assign(hours=res.workload.hours / reps)
    return fit_item_hours(w, fig.time_shares, items, oh.provider, oh.management_share, oh.administration_share)


def format_shares(fit: ShareFit, rules: str) -> str:
    """The fitted shares and the hours to use, as --set overrides (the rule-set files stay as they are)."""
    lines = ["Time-use shares of the job centre (target, before, fitted):"]
    for r in fit.table.itertuples():
        lines.append(f"  {r.category:<16}{r.target:>8.1%}{r.before:>8.1%}{r.fitted:>8.1%}")
    lines.append("Fitted [A] work-item hours (within their ranges; use them with --set):")
    lines += [f"  --set rules.{rules}.work_items.{i}.hours={h:.3f}" for i, h in fit.hours.items()]
    return "\n".join(lines)


def fte_comparison(res: Results, targets: dict[str, float]) -> pd.DataFrame:
    """Target FTE beside the simulated fte_needed per provider, with 95 % intervals."""
    rows = []
    for p, target in targets.items():
        mean, lo, hi = mean_ci(res.kpi("fte_needed", "all", p).to_numpy())
        rows.append((p, target, mean, lo, hi, mean / target - 1.0 if target > 0 else float("nan")))
    return pd.DataFrame(rows, columns=["provider", "target", "simulated", "ci_low", "ci_high", "gap"])


def format_time_use(fit: TimeUseFit, check: pd.DataFrame) -> str:
    lines = [f"Time use: other case work × {fit.factor:.3f}" + (" (clipped to its range)" if fit.clipped else "")
             + "; FTE target against simulated fte_needed (check run after the fit):"]
    for r in check.itertuples():
        lines.append(f"  {r.provider:<14}{r.target:>10,.1f}{r.simulated:>10,.1f}  [{r.ci_low:,.1f}, {r.ci_high:,.1f}]"
                     f"  {r.gap:+.1%}")
    return "\n".join(lines)


@contextmanager
def _scratch_file(out: Path) -> Iterator[Path]:
    """A hidden file beside `out` (so that the scenario's relative references resolve as they will
    at `out`), removed unless it was renamed into place."""
    out.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=out.parent, prefix=f".{out.stem}.", suffix=".calibrating.toml")
    os.close(fd)
    umask = os.umask(0)
    os.umask(umask)
    os.chmod(tmp, 0o666 & ~umask)  # mkstemp makes files private; a scenario is for sharing
    try:
        yield Path(tmp)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)


def _write(params: LoadedParams, fig: Figures, name: str, targets: dict[str, Target], base: dict[str, Target],
           national_stock: float, path: Path, case_work: dict[str, float] | None = None
           ) -> dict[str, tuple[float, float]]:
    """Solve the hazard factors for the baseline targets, write the scenario to `path` (with other
    case work fitted to the FTE targets, when given) and check that it validates."""
    factors = {g: solve_factors(g, params.scenario.groups[g], params.scenario.frailty.variance, base[g].mean_weeks,
                                base[g].share_to_work) for g in targets}
    local_stock = sum(t.stock for t in targets.values())
    inflows = implied_external_inflows(params, targets, factors,
                                       population_share(params, fig, local_stock, national_stock))
    data = scenario_dict(params, fig, name, factors, targets, inflows, national_stock)
    if case_work is not None:
        srcs = ", ".join(f"{p} {fig.sources.get('fte_target.' + p, '')}".strip() for p in fig.fte_targets)
        data["caseworker_time"] = {"case_work_hours_per_week": {
            **{g: round(r, 6) for g, r in case_work.items()},
            "source": f"[A] fitted by `caseload calibrate` to the FTE targets ({srcs}) on the baseline rules "
                      f"{fig.rules}, a common factor on the national default within 0-1 h per citizen-week"}}
    header = (f"# Calibrated by `caseload calibrate {one_line(Path(fig.path).name)}` on {dt.date.today()}.\n"
              f"# Stocks and Little's-law inflows from the figures; hazards of the national default scaled per group.")
    path.write_text(to_toml(data, header), encoding="utf-8")
    load_params(path)  # the file must validate
    return factors

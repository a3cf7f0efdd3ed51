"""`caseload sweep`: a resumable parameter sweep."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import pandas as pd

from sim._version import __version__
from sim.experiment.executors import make_executor
from sim.output.study_charts import write_sensitivity_charts
from sim.studies.sweep import (
    SweepResult,
    SweepSpec,
    design_points,
    load_sweep,
    run_sweep,
    sensitivity_indices,
    write_sensitivity,
    write_tables,
)


def _announce(spec: SweepSpec, out: Path) -> None:
    n_points = len(design_points(spec))
    print(f"caseload-sim {__version__}: sweep {spec.name} | {spec.design}, {n_points} points × "
          f"{spec.replications} replications = {n_points * spec.replications} tasks | factors "
          f"{', '.join(f.path for f in spec.factors)} | out {out}", flush=True)


def _write_outputs(res: SweepResult) -> tuple[list[Path], pd.DataFrame | None]:
    """The tables, a chart per KPI with indices, and sensitivity.csv; the indices for printing."""
    written = write_tables(res)
    indices, skipped = sensitivity_indices(res)
    for kpi, why in skipped.items():
        print(f"sensitivity of {kpi}: not computed ({why})", file=sys.stderr)
    written += write_sensitivity_charts(res, indices)
    sens = write_sensitivity(res, indices)
    if sens is None:
        return written, None
    return [*written, sens], pd.concat(list(indices.values()), ignore_index=True)


def _print_indices(df: pd.DataFrame) -> None:
    """The indices, most important factor first per KPI (μ* for Morris, ST for Sobol, else S1)."""
    key = "mu_star" if "mu_star" in df and df["mu_star"].notna().any() else ("ST" if "ST" in df else "S1")
    with pd.option_context("display.width", 160, "display.max_columns", 10):
        print(df.sort_values(["kpi", key], ascending=[True, False]).to_string(index=False, float_format="%.3f"))


def cmd_sweep(args: argparse.Namespace) -> int:
    """Run (or finish) the sweep, write its tables and charts, and print its indices."""
    spec = load_sweep(args.sweep_file)
    out = Path(args.out) if args.out else Path("results") / "sweeps" / spec.name
    _announce(spec, out)
    executor = make_executor(args.serial, args.workers, args.dask, key_prefix=f"caseload-{spec.name}")
    with executor:
        res = run_sweep(spec, out, executor, progress=True)
    written, indices = _write_outputs(res)
    print(f"{res.n_done} of {res.n_tasks} tasks done ({res.computed} computed now on {res.executor.get('executor')} "
          f"with {res.executor.get('workers')} workers, {res.throughput:.2f} tasks/s); {len(res.errors)} failed"
          + (f" (see {out}/errors.csv)" if len(res.errors) else ""))
    if indices is not None:
        _print_indices(indices)
    print(f"Wrote {out}/tasks/ (Parquet, one row per point × replication × KPI), points.parquet, "
          + ", ".join(p.name for p in written))
    return 0


def register(sub: argparse._SubParsersAction) -> None:
    """Add this command group's subcommands to the `caseload` parser."""
    sw = sub.add_parser("sweep", help="run a parameter sweep (grid, Latin hypercube, Sobol, Morris); resumable")
    sw.add_argument("sweep_file")
    sw.add_argument("--out", default=None, help="sweep folder (default results/sweeps/NAME)")
    sw.add_argument("--workers", type=int, default=None, help="local processes (default: all cores)")
    sw.add_argument("--serial", action="store_true", help="run in this process")
    sw.add_argument("--dask", default=None, metavar="ADDRESS",
                    help="tcp://HOST:8786 for an existing scheduler, or 'local' for a LocalCluster")
    sw.set_defaults(func=cmd_sweep)

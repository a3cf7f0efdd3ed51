"""`caseload sweep`: a resumable parameter sweep.

Exit codes: 0 all tasks done; 2 bad input (found before anything runs); 3 tasks failed or the
workers were lost (what finished is stored: ``--retry-errors`` reruns the failed ones, a plain
rerun finishes the rest); 130 interrupted (a rerun resumes).
"""

from __future__ import annotations

import argparse
import math
import sys

import pandas as pd

from sim._version import __version__
from sim.cli.options import examples
from sim.experiment.executors import make_executor
from sim.studies.sweep import (
    PreparedSweep,
    SweepIncomplete,
    SweepResult,
    diagnose,
    load_sweep,
    prepare_sweep,
    report_folder,
    run_sweep,
    sensitivity_indices,
    write_diagnosis,
    write_sensitivity,
    write_tables,
)
from sim.studies.sweep.outputs import REPORT

EXIT_FAILED = 3
EXIT_INTERRUPTED = 130

INDEX_COLUMNS = {"rbd_fast": ["S1", "S1_conf", "effect", "effect_conf"],
                 "morris": ["mu_star", "mu_star_conf", "mu", "mu_conf", "sigma"],
                 "sobol": ["S1", "S1_conf", "ST", "ST_conf"]}
RANK_BY = {"rbd_fast": "S1", "morris": "mu_star", "sobol": "ST"}


def _announce(prep: PreparedSweep) -> None:
    spec = prep.spec
    print(f"caseload-sim {__version__}: sweep {spec.name} | {spec.design}, {len(prep.points)} points × "
          f"{spec.replications} replications = {prep.n_tasks} tasks | factors "
          f"{', '.join(f.path for f in spec.factors)} | out {prep.store.out}", flush=True)


def _write_outputs(res: SweepResult) -> tuple[list[str], dict[str, pd.DataFrame], pd.DataFrame]:
    """The report folder, written as a unit: tables, indices, diagnosis and a chart per KPI."""
    # (drawing loads matplotlib and seaborn: imported when it is needed, see sim.cli.main)
    from sim.output.study_charts import write_sensitivity_charts

    indices, notes = sensitivity_indices(res)
    diagnosis = diagnose(res, indices, notes)
    with report_folder(res.out) as folder:
        written = write_tables(res, folder)
        written += write_sensitivity_charts(res, indices, folder=folder, diagnosis=diagnosis)
        for extra in (write_sensitivity(indices, folder), write_diagnosis(diagnosis, folder)):
            if extra is not None:
                written.append(extra)
    return [p.name for p in written], indices, diagnosis


def _print_indices(indices: dict[str, pd.DataFrame]) -> None:
    """Each KPI's indices, most important factor first."""
    with pd.option_context("display.width", 160, "display.max_columns", 12, "display.max_colwidth", 60):
        for kpi, df in indices.items():
            method = str(df["method"].iloc[0])
            if df[INDEX_COLUMNS.get(method, [])].isna().all().all():
                continue  # NaN: the diagnosis says why
            cols = [c for c in INDEX_COLUMNS.get(method, []) if c in df]
            shown = df.sort_values(RANK_BY.get(method, cols[0]), ascending=False, na_position="last")
            print(f"\n{kpi} ({method}):")
            print(shown[["factor", *cols]].to_string(index=False, float_format="%.4g"))


def _fmt(x: float) -> str:
    return f"{x:.4g}" if math.isfinite(x) else "–"


def _print_diagnosis(diagnosis: pd.DataFrame) -> None:
    """Per KPI the verdict, the main factor with its interval and the noise share; then the advice."""
    if diagnosis.empty:
        return
    print("\nWhat the answer is worth (95 % intervals; noise = share of the point means' variance that is "
          "replication noise):")
    for d in diagnosis.itertuples(index=False):
        main = (f"main factor {d.main_factor}: {d.main_index} {_fmt(d.main_estimate)} "
                f"[{_fmt(d.main_low)}, {_fmt(d.main_high)}]" if d.main_factor else "no factor is clear")
        noise = f"noise {d.noise_share_of_means:.0%}" if math.isfinite(d.noise_share_of_means) else "noise not measured"
        print(f"  {d.kpi}: {d.verdict}; {main}; {noise}")
    for d in diagnosis.itertuples(index=False):
        if d.advice:
            print(f"warning: {d.kpi}: {d.advice}")


def _report_failures(res: SweepResult) -> None:
    """The failed tasks on stderr: how many, and the most common causes."""
    causes = res.errors["error"].fillna("").map(lambda e: (e.strip().splitlines() or ["?"])[0]).value_counts()
    print(f"error: {res.n_failed} of {res.n_tasks} tasks failed (see {res.out / REPORT / 'errors.csv'}); "
          f"after fixing the cause, rerun with --retry-errors. Most common: {causes.index[0]} "
          f"({causes.iloc[0]} tasks)", file=sys.stderr)


def cmd_sweep(args: argparse.Namespace) -> int:
    """Check everything, run (or finish) the sweep, write its report and print its indices."""
    spec = load_sweep(args.sweep_file)
    if args.retry_errors:
        spec.retry_errors = True
    prep = prepare_sweep(spec, args.out)
    _announce(prep)
    executor = make_executor(args.serial, args.workers, args.dask, key_prefix=f"caseload-{spec.name}")
    try:
        with executor:
            res = run_sweep(prep, executor=executor, progress=True)
    except SweepIncomplete as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_FAILED
    except KeyboardInterrupt:
        print(f"interrupted: the finished tasks are stored in {prep.store.out}; run the same command again to "
              "resume", file=sys.stderr)
        return EXIT_INTERRUPTED
    written, indices, diagnosis = _write_outputs(res)
    print(f"{res.n_done} of {res.n_tasks} tasks done ({res.computed} computed now on {res.executor.get('executor')} "
          f"with {res.executor.get('workers')} workers, {res.throughput:.2f} tasks/s); {res.n_failed} failed")
    _print_indices(indices)
    _print_diagnosis(diagnosis)
    print(f"\nWrote {res.out}/tasks/ (Parquet, one row per point × replication × KPI), points.parquet and "
          f"{res.out / REPORT}/: " + ", ".join(written))
    if res.n_failed:
        _report_failures(res)
        return EXIT_FAILED
    return 0


def register(sub: argparse._SubParsersAction) -> None:
    """Add this command group's subcommands to the `caseload` parser."""
    sw = sub.add_parser("sweep", help="run a parameter sweep (grid, Latin hypercube, Sobol, Morris); resumable",
                        **examples("caseload sweep params/sweeps/effects_lhs.toml --workers 2",
                                   "caseload sweep params/sweeps/effects_lhs.toml --retry-errors"))
    sw.add_argument("sweep_file", help="sweep TOML file (see params/sweeps/)")
    sw.add_argument("--out", default=None, help="sweep folder (default results/sweeps/NAME)")
    sw.add_argument("--workers", type=int, default=None, help="local processes (default: all cores)")
    sw.add_argument("--serial", action="store_true", help="run in this process")
    sw.add_argument("--dask", default=None, metavar="ADDRESS",
                    help="tcp://HOST:8786 for an existing scheduler, or 'local' for a LocalCluster")
    sw.add_argument("--retry-errors", action="store_true",
                    help="run the stored failed tasks again (after fixing their cause)")
    sw.set_defaults(func=cmd_sweep)

"""Parameter sweeps: a design over dotted parameter paths, every point × replication one task,
results in a Parquet dataset that a rerun completes rather than recomputes.

A sweep file (TOML) names a base scenario, fixed overrides, factors and a design::

    name = "effects_lhs"
    base = "national_default"          # a scenario name or a path (relative to this file)
    design = "lhs"                      # "grid" | "lhs" | "sobol" | "morris"
    points = 100                        # lhs: points (>= 65); sobol: SALib's N (a power of 2, >= 64);
                                        # morris: trajectories (>= 10); grid: ignored
    replications = 3                    # >= 2 to measure replication noise
    seed = 1
    kpis = ["fte_needed", "exit_work_or_education_6m[dagpenge]"]   # kpi, kpi[group] or kpi[group/provider]
    [set]                               # fixed overrides for every point
    scale = 0.04
    [factors]                           # dotted path -> [low, high] or {levels = [...]} (all of one kind)
    "effects.talk_multiplier.dagpenge" = [1.10, 1.30]
    "effects.talk_weeks" = { levels = [2.0, 4.0, 8.0] }

Why it is built this way:

- **Tasks are pure and keyed.** Task (point p, replication r) runs the point's resolved
  parameters with replication r of the point's own seed (derived from the sweep's seed and p):
  the same task gives the same result on any executor, and a retry after a worker died gives it
  again. Points do not share random numbers, so replication noise is independent between points
  and the analyses' intervals hold (:func:`~sim.studies.sweep.models.point_seed` says why). Only
  the driver writes files, so a retried task is stored once.
- **Interruption-safe.** The driver appends finished tasks in small Parquet parts, each written
  atomically (`tasks/part-NNNNNN.parquet`, rows keyed by point and replication). A killed sweep
  loses at most the unwritten buffer; a rerun reads which tasks are done and computes the rest.
- **Checked before it runs.** The output folder, base scenario, factor paths, every design point's
  parameters and the KPI names are checked before a task runs or a file is written
  (:mod:`~sim.studies.sweep.checks`): a typo costs a second, not the sweep.
- **Failures are data, and not done.** A task that raises is stored with its error
  (`status = "error"`) and the sweep goes on; it does not count as done, the command reports it and
  exits 3, and a rerun repeats it only with `retry_errors = true` (``--retry-errors``).
- **Says what its answer is worth.** Per KPI, how much of the spread is replication noise and how
  much the design's, the main factor with an interval that excludes zero, or advice when there is
  none (:mod:`~sim.studies.sweep.noise`, :mod:`~sim.studies.sweep.diagnosis`). Each method has a
  floor on the number of points below which its indices are NaN (:mod:`sim.studies.sensitivity`).
- **The model is pluggable.** A sweep evaluates the simulation by default, or any
  ``model = "module:function"`` taking (values, replication, seed) and returning KPI values: the
  Ishigami function of :mod:`sim.studies.sensitivity` checks the machinery against known indices.

Modules: ``spec`` (the sweep file), ``checks`` (before running), ``design`` (the points),
``models`` (what a task evaluates), ``store`` (the folder and its lock), ``driver`` (running and
resuming), ``result`` (reading back), ``noise`` and ``diagnosis`` (what the answer is worth),
``outputs`` (the report folder, written as a unit). This package's namespace is the public API used by the notebooks.
"""

from sim.studies.sweep.checks import check_sweep_folder
from sim.studies.sweep.design import design_points
from sim.studies.sweep.diagnosis import diagnose
from sim.studies.sweep.driver import PreparedSweep, SweepIncomplete, open_sweep, prepare_sweep, run_sweep
from sim.studies.sweep.models import FunctionModel, SimulationModel, SweepModel, SweepTask, resolve_model, run_task
from sim.studies.sweep.noise import split_variance
from sim.studies.sweep.outputs import (
    report_folder,
    sensitivity_indices,
    write_diagnosis,
    write_sensitivity,
    write_tables,
)
from sim.studies.sweep.result import SweepResult
from sim.studies.sweep.spec import DESIGNS, Factor, SweepSpec, load_sweep, parse_spec
from sim.studies.sweep.store import Lock, Store

__all__ = ["DESIGNS", "Factor", "FunctionModel", "Lock", "PreparedSweep", "SimulationModel", "Store",
           "SweepIncomplete", "SweepModel", "SweepResult", "SweepSpec", "SweepTask", "check_sweep_folder",
           "design_points", "diagnose", "load_sweep", "open_sweep", "parse_spec", "prepare_sweep", "report_folder",
           "resolve_model", "run_sweep", "run_task", "sensitivity_indices", "split_variance", "write_diagnosis",
           "write_sensitivity", "write_tables"]

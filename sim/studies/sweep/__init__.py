"""Parameter sweeps: a design over dotted parameter paths, every point × replication one task,
results in a Parquet dataset that a rerun completes rather than recomputes.

A sweep file (TOML) names a base scenario, fixed overrides, factors and a design::

    name = "effects_lhs"
    base = "national_default"          # a scenario name or a path (relative to this file)
    design = "lhs"                      # "grid" | "lhs" | "sobol" | "morris"
    points = 100                        # lhs: points; sobol/morris: SALib's N; grid: ignored
    replications = 2
    seed = 1
    kpis = ["fte_needed", "exit_work_or_education_6m"]
    [set]                               # fixed overrides for every point
    scale = 0.02
    [factors]                           # dotted path -> [low, high] or {levels = [...]}
    "effects.talk_multiplier.dagpenge" = [1.10, 1.30]
    "effects.talk_weeks" = { levels = [2.0, 4.0, 8.0] }

Why it is built this way:

- **Tasks are pure and keyed.** Task (point p, replication r) runs the point's resolved
  parameters with seeds (seed, r): the same task gives the same result on any executor, and a
  retry after a worker died gives it again. Only the driver writes files, so a retried task is
  stored once.
- **Interruption-safe.** The driver appends finished tasks in small Parquet parts, each written
  atomically (`tasks/part-NNNNNN.parquet`, rows keyed by point and replication). A killed sweep
  loses at most the unwritten buffer; a rerun reads which tasks are done and computes the rest.
- **Failures are data.** A task that raises is stored with its error (`status = "error"`) and the
  sweep goes on; a rerun does not repeat it unless `retry_errors = true`.
- **The model is pluggable.** A sweep evaluates the simulation by default, or any
  ``model = "module:function"`` taking (values, replication, seed) and returning KPI values: the
  Ishigami function of :mod:`sim.studies.sensitivity` checks the machinery against known indices.

Modules: ``spec`` (the sweep file), ``design`` (the points), ``models`` (what a task evaluates),
``store`` (the folder and its lock), ``driver`` (running and resuming), ``result`` (reading back),
``outputs`` (tables and indices). This package's namespace is the public API used by the notebooks.
"""

from sim.studies.sweep.design import design_points
from sim.studies.sweep.driver import open_sweep, run_sweep
from sim.studies.sweep.models import FunctionModel, SimulationModel, SweepModel, SweepTask, resolve_model, run_task
from sim.studies.sweep.outputs import sensitivity_indices, write_sensitivity, write_tables
from sim.studies.sweep.result import SweepResult
from sim.studies.sweep.spec import DESIGNS, Factor, SweepSpec, load_sweep, parse_spec
from sim.studies.sweep.store import Lock, Store

__all__ = ["DESIGNS", "Factor", "FunctionModel", "Lock", "SimulationModel", "Store", "SweepModel", "SweepResult",
           "SweepSpec", "SweepTask", "design_points", "load_sweep", "open_sweep", "parse_spec", "resolve_model",
           "run_sweep", "run_task", "sensitivity_indices", "write_sensitivity", "write_tables"]

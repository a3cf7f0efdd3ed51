"""A finished sweep as files: the design with KPI means, the tidy KPI rows, the failures, the
sensitivity indices and their diagnosis. Charts of the indices are drawn by the output layer.

The files are derived from the task store and written as one unit, the ``report/`` folder: they
are written into a temporary sibling, which then takes the place of the old folder. A reader never
sees a new table beside an old diagnosis, and a crash half-way leaves the previous report (or, in
the instant between the two renames, none: the next run writes it again from the store, which is
the record).
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import tempfile
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pandas as pd

from sim.experiment.results import atomic_write
from sim.studies.sensitivity import SensitivityWarning
from sim.studies.sweep.result import SweepResult

REPORT = "report"


@contextmanager
def report_folder(out: Path) -> Iterator[Path]:
    """A temporary folder to write the report into; on leaving without error it becomes
    ``out/report`` (replacing the old one), and on an error it is removed."""
    tmp = Path(tempfile.mkdtemp(dir=out, prefix=f".{REPORT}-", suffix=".tmp"))
    os.chmod(tmp, 0o777 & ~_umask())
    try:
        yield tmp
        _manifest(tmp)
        final = out / REPORT
        old = None
        if final.exists():
            old = Path(tempfile.mkdtemp(dir=out, prefix=f".{REPORT}-old-", suffix=".tmp"))
            os.replace(final, old / REPORT)
        os.replace(tmp, final)
        if old is not None:
            shutil.rmtree(old, ignore_errors=True)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def _manifest(folder: Path) -> None:
    """manifest.json: every file of the report with its SHA-256, so a copy can be checked whole."""
    files = {}
    for p in sorted(folder.iterdir()):
        if p.is_file():
            files[p.name] = hashlib.sha256(p.read_bytes()).hexdigest()
    atomic_write(folder / "manifest.json", lambda p: Path(p).write_text(json.dumps({"files": files}, indent=2)))


def write_tables(res: SweepResult, folder: Path) -> list[Path]:
    """kpis.parquet (tidy), table.csv (design with KPI means) and, if any task failed, errors.csv."""
    kp = res.kpis
    atomic_write(folder / "kpis.parquet", lambda p: kp.to_parquet(p, index=False))
    table = res.table()
    atomic_write(folder / "table.csv", lambda p: table.to_csv(p, index=False))
    written = [folder / "kpis.parquet", folder / "table.csv"]
    if len(res.errors):
        errs = res.errors
        atomic_write(folder / "errors.csv", lambda p: errs.to_csv(p, index=False))
        written.append(folder / "errors.csv")
    return written


def _why_none(res: SweepResult) -> str:
    """Why no KPI of this sweep can have indices ("" if they can)."""
    spec = res.spec
    if spec.design == "grid":
        return "a grid design gets no sensitivity indices (use lhs, sobol or morris)"
    if res.n_done < res.n_tasks:
        return (f"{res.n_tasks - res.n_done} of {res.n_tasks} tasks are not done ({res.n_failed} failed): "
                "indices of an incomplete design would be wrong")
    levels = next((f.path for f in spec.factors if not f.continuous), None)
    if levels is not None:
        return f"RBD-FAST needs ranges, and factor {levels} has levels"
    return ""


def sensitivity_indices(res: SweepResult) -> tuple[dict[str, pd.DataFrame], dict[str, str]]:
    """Indices per KPI of the sweep file, each with a leading `kpi` column, and a note per KPI
    that has none or only NaN (too few points, failed tasks, a KPI no task returned, a grid)."""
    why = _why_none(res)
    if why:
        return {}, {kpi: why for kpi in res.spec.kpis}
    indices, notes = {}, {}
    for kpi in res.spec.kpis:
        if res.values(kpi).empty:
            notes[kpi] = ("no task returned this KPI (e.g. a 6-month KPI in a run shorter than 6 months, or a "
                          "name the model does not compute)")
            continue
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            try:
                df = res.sensitivity(kpi)
            except ValueError as exc:
                notes[kpi] = str(exc)
                continue
        said = [str(w.message) for w in caught if issubclass(w.category, SensitivityWarning)]
        if said:
            notes[kpi] = said[0]
        df.insert(0, "kpi", kpi)
        indices[kpi] = df
    return indices, notes


def write_sensitivity(indices: dict[str, pd.DataFrame], folder: Path) -> Path | None:
    """sensitivity.csv: the indices of every KPI in one table (None when there are none)."""
    if not indices:
        return None
    sens = pd.concat(list(indices.values()), ignore_index=True)
    path = folder / "sensitivity.csv"
    atomic_write(path, lambda p: sens.to_csv(p, index=False))
    return path


def write_diagnosis(diagnosis: pd.DataFrame, folder: Path) -> Path | None:
    """diagnosis.csv: per KPI the noise/design split, the main factor and the verdict."""
    if diagnosis.empty:
        return None
    path = folder / "diagnosis.csv"
    atomic_write(path, lambda p: diagnosis.to_csv(p, index=False))
    return path

"""Tidy results of a run: KPIs and weekly series with a replication column, their summary with
95 % confidence intervals over replications, provenance, and writing a result folder as a unit:
staged in a hidden sibling and renamed into place only when complete, with run.json listing the
SHA-256 of every file it vouches for."""

from __future__ import annotations

import contextlib
import ctypes
import errno
import hashlib
import json
import os
import shutil
import signal
import sys
import tempfile
import threading
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from sim.experiment.population_scale import BASIS_KEY, PopulationBasis, basis_from_params, to_population
from sim.inputs.errors import ParamError
from sim.metrics.by_municipality import BY_MUNICIPALITY_FILE
from sim.metrics.compliance import assess
from sim.metrics.stats import grouped_ci

KPI_COLUMNS = ["replication", "kpi", "group", "provider", "value"]
WEEKLY_COLUMNS = ["replication", "week", "group", "provider", "measure", "value"]
SUMMARY_COLUMNS = ["kpi", "group", "provider", "mean", "ci_low", "ci_high", "n"]


def summarise(kpis: pd.DataFrame, level: float = 0.95) -> pd.DataFrame:
    """Mean and Student-t confidence interval over replications for each KPI row."""
    if kpis.empty:
        return pd.DataFrame(columns=SUMMARY_COLUMNS)
    out = grouped_ci(kpis, ["kpi", "group", "provider"], level=level)
    # a share cannot leave [0, 1]: clip the t-interval of share KPIs to it
    share = out["kpi"].map(is_share)
    out.loc[share, "ci_low"] = out.loc[share, "ci_low"].clip(lower=0.0)
    out.loc[share, "ci_high"] = out.loc[share, "ci_high"].clip(upper=1.0)
    return out[SUMMARY_COLUMNS]


SHARE_KPIS = {"first_talk_on_time", "talk_coverage_6m", "offer_coverage_6m", "clarification_on_time",
              "exempt_share", "exit_work_or_education_3m", "exit_work_or_education_6m", "public_support_share"}


def is_share(kpi: str) -> bool:
    """KPIs that are shares of citizens, bounded by 0 and 1."""
    return kpi in SHARE_KPIS or kpi.startswith("compliance_")


@dataclass
class Results:
    kpis: pd.DataFrame
    weekly: pd.DataFrame
    provenance: dict[str, Any] = field(default_factory=dict)
    workload: pd.DataFrame | None = None  # hours a year and FTE per work item, group, provider, replication
    by_municipality: pd.DataFrame | None = None  # rows per municipality (run --by municipality)

    def summary(self, level: float = 0.95) -> pd.DataFrame:
        return summarise(self.kpis, level)

    def population_basis(self) -> PopulationBasis | None:
        """The population this run's counts are scaled up to (None for results without their
        parameters, e.g. made by hand: their summary stays in simulated units)."""
        params = self.provenance.get("params")
        if not isinstance(params, dict):
            return None
        return basis_from_params(params, str(self.provenance.get("scenario", "")))

    def population_summary(self, level: float = 0.95) -> pd.DataFrame:
        """The summary with counts for the population the scenario stands for (what summary.csv
        holds); `summary()` keeps the simulated units."""
        basis = self.population_basis()
        return self.summary(level) if basis is None else to_population(self.summary(level), basis.factor)

    def compliance(self) -> pd.DataFrame:
        """Each legal minimum: the share achieved with its 95 % interval, the legal threshold of
        the rule set in force at the end, and met / not met / uncertain."""
        thresholds = pd.DataFrame(self.provenance.get("legal_thresholds", []),
                                  columns=["kpi", "group", "threshold", "source", "rule_set"])
        return assess(self.summary(), thresholds)

    def kpi(self, name: str, group: str = "all", provider: str = "all") -> pd.Series:
        """One KPI's value per replication."""
        k = self.kpis
        sel = k[(k.kpi == name) & (k.group == group) & (k.provider == provider)]
        return sel.set_index("replication")["value"]

    def save(self, out_dir: str | Path) -> Path:
        """Write the run folder as a unit (see `staged_folder`): a reader of `out_dir` sees the old
        folder or the complete new one, never a new run.json beside old numbers."""
        with staged_folder(out_dir, RUN_MARKER) as folder:
            self.write_files(folder)
        return Path(out_dir)

    def write_files(self, folder: Path) -> None:
        """kpis.csv, summary.csv, compliance.csv, weekly.parquet and workload.csv (when the run has
        work items), then run.json listing them with their SHA-256 and size, so that a reader can
        tell these files from any others. `folder` is a staging folder: the files need no atomic
        writes of their own."""
        folder.mkdir(parents=True, exist_ok=True)
        self.kpis.to_csv(folder / "kpis.csv", index=False)  # simulated units: what the model counted
        basis = self.population_basis()
        population_summary = self.summary() if basis is None else to_population(self.summary(), basis.factor)
        population_summary.to_csv(folder / "summary.csv", index=False)
        self.compliance().to_csv(folder / "compliance.csv", index=False)
        self.weekly.to_parquet(folder / "weekly.parquet", index=False)
        names = list(RUN_FILES)
        if self.workload is not None:
            self.workload.to_csv(folder / WORKLOAD_FILE, index=False)
            names.append(WORKLOAD_FILE)
        if self.by_municipality is not None:
            self.by_municipality.to_csv(folder / BY_MUNICIPALITY_FILE, index=False)
            names.append(BY_MUNICIPALITY_FILE)
        files = file_manifest(folder, names)
        meta = {**self.provenance, MANIFEST_KEY: files}
        if basis is not None:
            meta[BASIS_KEY] = basis.to_dict()
        (folder / RUN_MARKER).write_text(json.dumps(meta, indent=2, default=str))


RUN_MARKER = "run.json"
RUN_FILES = ("kpis.csv", "summary.csv", "compliance.csv", "weekly.parquet")
WORKLOAD_FILE = "workload.csv"  # hours and FTE per work item, group and provider (issue 11)
MANIFEST_KEY = "files"


def atomic_write(path: Path, writer: Callable[..., Any]) -> None:
    """Write through a temporary file in the same folder and rename it into place, so that a
    reader never sees half a file and an interrupted run leaves the old file intact."""
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    os.close(fd)
    os.chmod(tmp, 0o666 & ~_umask())  # mkstemp makes files private; results are for sharing
    try:
        writer(tmp)
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


def _umask() -> int:
    umask = os.umask(0)
    os.umask(umask)
    return umask


def file_digest(path: Path) -> tuple[str, int]:
    """SHA-256 (hex) and size in bytes of a file, read in blocks so a large weekly.parquet is fine."""
    h = hashlib.sha256()
    size = 0
    with open(path, "rb") as f:
        while block := f.read(1 << 20):
            h.update(block)
            size += len(block)
    return h.hexdigest(), size


def file_manifest(folder: Path, names: Iterable[str]) -> dict[str, dict[str, Any]]:
    """{name: {"sha256": ..., "bytes": ...}} for files in `folder`, each flushed to disk first
    (fsync), so that after the folder is renamed into place a power cut cannot leave a listed
    file empty."""
    out: dict[str, dict[str, Any]] = {}
    for name in names:
        path = folder / name
        _fsync(path)
        digest, size = file_digest(path)
        out[name] = {"sha256": digest, "bytes": size}
    return out


def _fsync(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def check_replaceable(target: str | Path, marker: str, field: str = "--out") -> Path:
    """The real path of an output folder that `staged_folder` may replace as a whole.

    Replacing removes everything in the old folder, so an existing folder must be empty or one the
    same command wrote (it holds `marker`, e.g. run.json); `--out ~/Documents` is refused rather
    than emptied. The current folder (or one it lies in) is refused too: the process would be
    left in a removed folder. A symbolic link is followed, so the link stays and its target is
    replaced. Raises ParamError naming `field`; call it before simulating."""
    final = Path(os.path.realpath(target))
    if os.path.lexists(final) and not final.is_dir():
        raise ParamError(field, str(target), "a folder for the results, not an existing file")
    if final.is_dir():
        if any(final.iterdir()) and not (final / marker).is_file():
            raise ParamError(field, str(target), f"a new or empty folder, or one written by this command (with "
                                                 f"{marker}); its contents would be replaced")
        cwd = Path(os.path.realpath(os.getcwd()))
        if final == cwd or final in cwd.parents:
            raise ParamError(field, str(target), "a folder other than the current folder or one that holds it")
    return final


@contextlib.contextmanager
def staged_folder(target: str | Path, marker: str) -> Iterator[Path]:
    """Yield a hidden temporary sibling of `target` to write into; when the block ends without an
    error, put it in place of `target` (see `commit_folder`), replacing an older folder only then.

    On any exception, KeyboardInterrupt included, the temporary folder is removed and `target` is
    untouched: nothing half-written is ever at `target`. The sibling shares the parent, hence the
    file system, so the final step is a rename, not a copy. Only SIGKILL or a power cut while
    writing can leave the hidden `.NAME.partial-*` folder behind, never a partial `target`."""
    final = check_replaceable(target, marker)
    final.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(dir=final.parent, prefix=f".{final.name}.partial-"))
    try:
        os.chmod(staging, 0o777 & ~_umask())  # mkdtemp makes folders private; results are for sharing
        yield staging
        _fsync(staging)
        commit_folder(staging, final)
        _fsync(final.parent)  # the rename itself on disk, not only in the cache
    finally:
        shutil.rmtree(staging, ignore_errors=True)  # after a commit, the old folder (or nothing)


def commit_folder(new: Path, final: Path) -> None:
    """Put the complete folder `new` at `final`; an existing `final` ends up at `new`, for removal.

    What is atomic: rename(2) of a folder onto a missing name is. On Linux, renameat2 with
    RENAME_EXCHANGE swaps two existing folders atomically: `final` names the old folder or the new
    one at every instant. Where that is not available (another OS, an old kernel or a file system
    without it), the old folder is renamed aside, the new one in, with a brief instant when
    `final` is missing; if the second rename fails, the first is undone. Ctrl-C is held back
    until the renames are done, so an interrupt cannot fall between them."""
    with _sigint_deferred():
        if not os.path.lexists(final):
            os.rename(new, final)
            return
        if _exchange(new, final):
            return
        aside = Path(tempfile.mkdtemp(dir=final.parent, prefix=f".{final.name}.old-"))
        os.rename(final, aside)  # onto an empty folder: allowed, atomic
        try:
            os.rename(new, final)
        except BaseException:
            os.rename(aside, final)
            raise
        os.rename(aside, new)


_RENAME_EXCHANGE = 2
_AT_FDCWD = -100


def _exchange(a: Path, b: Path) -> bool:
    """Swap two paths with Linux renameat2(RENAME_EXCHANGE); False where the call is unavailable
    or the file system does not support it (the caller then falls back); OSError otherwise."""
    if not sys.platform.startswith("linux"):
        return False
    try:
        renameat2 = ctypes.CDLL(None, use_errno=True).renameat2
    except (OSError, AttributeError):  # no C library to ask, or one without renameat2 (glibc < 2.28)
        return False
    renameat2.argtypes = [ctypes.c_int, ctypes.c_char_p, ctypes.c_int, ctypes.c_char_p, ctypes.c_uint]
    renameat2.restype = ctypes.c_int
    if renameat2(_AT_FDCWD, os.fsencode(a), _AT_FDCWD, os.fsencode(b), _RENAME_EXCHANGE) == 0:
        return True
    err = ctypes.get_errno()
    if err in (errno.EINVAL, errno.ENOSYS, errno.EOPNOTSUPP):
        return False
    raise OSError(err, os.strerror(err), str(b))


@contextlib.contextmanager
def _sigint_deferred() -> Iterator[None]:
    """Hold back SIGINT for the block and deliver it after, to whatever handler was there (main
    thread only: Python runs signal handlers nowhere else)."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    caught: list[int] = []
    try:
        previous = signal.signal(signal.SIGINT, lambda signum, frame: caught.append(signum))
    except ValueError:  # not the main interpreter
        yield
        return
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, signal.SIG_DFL if previous is None else previous)
        if caught:  # even after an error in the block: the user asked to stop
            signal.raise_signal(signal.SIGINT)  # KeyboardInterrupt under Python's default handler

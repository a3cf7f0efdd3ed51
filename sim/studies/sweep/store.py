"""The sweep folder on disk: the task dataset that makes a sweep resumable, and its lock.

The driver appends finished tasks in small Parquet parts, each written atomically
(``tasks/part-NNNNNN.parquet``, rows keyed by point and replication). A killed sweep loses at most
the unwritten buffer; a rerun reads which tasks are done and computes the rest.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from sim.experiment.results import atomic_write
from sim.inputs.errors import ParamError

TASK_COLUMNS = ["point", "replication", "status", "kpi", "group", "provider", "value", "error", "wall_s"]


def task_keys(tasks: pd.DataFrame, status: str | None = None) -> set[tuple[int, int]]:
    """The distinct (point, replication) tasks among stored rows (one row per KPI), optionally of one status."""
    if len(tasks) and status is not None:
        tasks = tasks[tasks["status"] == status]
    if not len(tasks):
        return set()
    return {(int(p), int(r)) for p, r in tasks[["point", "replication"]].drop_duplicates().to_numpy().tolist()}


class Store:
    """The sweep folder: sweep.json, points.parquet and the task dataset tasks/part-*.parquet."""

    def __init__(self, out: str | Path):
        self.out = Path(out)
        self.tasks_dir = self.out / "tasks"
        self._seq: int | None = None

    def parts(self) -> list[Path]:
        return sorted(self.tasks_dir.glob("part-*.parquet")) if self.tasks_dir.exists() else []

    def read_tasks(self) -> pd.DataFrame:
        """Every stored row; where a task was stored twice (a retried error), the latest part wins."""
        frames = []
        for p in self.parts():
            try:
                df = pd.read_parquet(p)
            except Exception as exc:  # noqa: BLE001 - pyarrow raises many kinds for a damaged file
                raise ParamError("--out", str(self.out), f"a sweep folder whose task parts are readable ({p.name}: "
                                 f"{type(exc).__name__}); delete that part to compute its tasks again") from None
            if not set(TASK_COLUMNS) <= set(df.columns):
                raise ParamError("--out", str(self.out), f"a sweep folder whose task parts hold the task columns "
                                 f"({p.name} does not); delete that part to compute its tasks again")
            df["part"] = int(p.stem.split("-")[1])
            frames.append(df)
        if not frames:
            return pd.DataFrame(columns=[*TASK_COLUMNS, "part"])
        df = pd.concat(frames, ignore_index=True)
        latest = df.groupby(["point", "replication"])["part"].transform("max")
        return df[df["part"] == latest].reset_index(drop=True)

    def append(self, records: list[dict[str, Any]]) -> None:
        """Write finished tasks as one new part, atomically."""
        if not records:
            return
        cols: dict[str, list[Any]] = {c: [] for c in TASK_COLUMNS}
        for r in records:
            rows = r["rows"]
            n = len(rows) if r["error"] is None else 1
            cols["point"] += [r["point"]] * n
            cols["replication"] += [r["replication"]] * n
            cols["wall_s"] += [r["wall_s"]] * n
            cols["status"] += ["ok" if r["error"] is None else "error"] * n
            cols["error"] += [r["error"]] * n
            for c in ("kpi", "group", "provider", "value"):
                cols[c] += rows[c].tolist() if r["error"] is None else [np.nan if c == "value" else None]
        df = pd.DataFrame(cols)[TASK_COLUMNS]
        df = df.astype({"point": "int64", "replication": "int64", "value": "float64", "wall_s": "float64"})
        self.tasks_dir.mkdir(parents=True, exist_ok=True)
        if self._seq is None:
            parts = self.parts()
            self._seq = int(parts[-1].stem.split("-")[1]) + 1 if parts else 0
        atomic_write(self.tasks_dir / f"part-{self._seq:06d}.parquet", lambda p: df.to_parquet(p, index=False))
        self._seq += 1

    def clean_temporaries(self) -> None:
        """Remove half-written temporary files (and report folders) a killed run left behind."""
        for d in (self.out, self.tasks_dir):
            if d.exists():
                for tmp in d.glob(".*.tmp"):
                    if tmp.is_dir() and not tmp.is_symlink():
                        shutil.rmtree(tmp, ignore_errors=True)
                    else:
                        tmp.unlink(missing_ok=True)


class Lock:
    """One driver per sweep folder at a time (two would store tasks twice). A lock left by a
    killed process (its pid no longer runs on this host) is taken over."""

    def __init__(self, out: Path):
        self.path = out / "sweep.lock"

    def __enter__(self) -> Lock:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        for _ in range(2):
            try:
                fd = os.open(self.path, os.O_CREAT | os.O_EXCL | os.O_WRONLY)
                os.write(fd, str(os.getpid()).encode())
                os.close(fd)
                return self
            except FileExistsError:
                try:
                    pid = int(self.path.read_text().strip() or 0)
                    os.kill(pid, 0)
                except (ValueError, ProcessLookupError, FileNotFoundError):
                    self.path.unlink(missing_ok=True)
                    continue
                except PermissionError:
                    pass
                raise ParamError("--out", str(self.path.parent), f"a folder no other sweep is running in (pid {pid})") \
                    from None
        raise ParamError("--out", str(self.path.parent), "a folder whose sweep.lock can be taken")

    def __exit__(self, *exc: Any) -> None:
        self.path.unlink(missing_ok=True)

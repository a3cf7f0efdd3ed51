"""Where tasks run: serial, local processes, or a dask.distributed cluster, behind one interface.

An executor takes a pure function and keyed items and yields ``(item, result)`` pairs as they
complete, in any order; a result is the function's return value or the exception it raised (or
the infrastructure raised for it), so the caller decides what a failure means. Because every task
draws only from its own seeded streams, the same items give identical results on every executor;
only the order of completion differs.

The contract that makes failures data rather than gaps: every item submitted is reported exactly
once, with a result or an exception. The base class enforces it around each executor's own loop,
so a driver that loses a future (or a scheduler that forgets one) shows as a `TaskLost` error for
that task instead of a task that silently never happened. A task that kills the worker process
it runs in, every time, ends as an error too (`WorkerDied`, or Dask's ``KilledWorker``), so a
sweep records it and a rerun does not hang on it.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
from collections.abc import Callable, Generator, Iterable, Iterator
from concurrent.futures import ProcessPoolExecutor, as_completed
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass
from typing import Any, Protocol

from sim.inputs.errors import ParamError


class Keyed(Protocol):
    """An item with a key that names it uniquely within a run (used by Dask as the task key)."""

    @property
    def key(self) -> str: ...


class WorkersLost(RuntimeError):
    """The pool of workers broke and no task can be blamed (no task had started): the caller
    should stop, keep what is done and let a rerun compute the rest."""


class WorkerDied(RuntimeError):
    """The task ended the worker process it ran in, even when it ran alone (a crash, os._exit,
    the out-of-memory killer): an error of this task, not of the others."""


class TaskLost(RuntimeError):
    """The executor finished without reporting this task: a bug in a driver or a scheduler, made
    visible as an error of the task instead of a silent gap in the results."""


class Executor:
    """Run `fn(item)` for every item; yield (item, result or exception) as each completes."""

    name = "base"
    workers = 1

    def imap_unordered(self, fn: Callable[[Any], Any], items: Iterable[Keyed]) -> Iterator[tuple[Any, Any]]:
        """Every item exactly once, with its result or exception, in order of completion."""
        todo = list(items)
        pending = {item.key: item for item in todo}
        if len(pending) < len(todo):
            raise ValueError("task keys must be unique within a run: two tasks would be taken for one")
        for item, result in self._imap(fn, todo):
            if pending.pop(item.key, None) is None:
                raise RuntimeError(f"the {self.name} executor reported task {item.key!r} twice")
            yield item, result
        for key, item in pending.items():
            yield item, TaskLost(f"the {self.name} executor finished without reporting task {key!r}")

    def _imap(self, fn: Callable[[Any], Any], items: list[Any]) -> Iterator[tuple[Any, Any]]:
        raise NotImplementedError

    def close(self) -> None:
        """Release workers; an executor that was handed an existing client leaves it alone."""

    def describe(self) -> dict[str, Any]:
        return {"executor": self.name, "workers": self.workers}

    def __enter__(self) -> Executor:
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()


class SerialExecutor(Executor):
    """In this process, one task after another: the reference every other executor must match."""

    name = "serial"

    def _imap(self, fn, items):
        for item in items:
            try:
                yield item, fn(item)
            except Exception as exc:  # noqa: BLE001 - the caller records it
                yield item, exc


@dataclass(frozen=True)
class _Marked:
    """`fn` that first leaves a mark in `folder`: after a pool broke, the marks tell which tasks
    had started (one of them killed it) from those still queued (innocent). A file per task needs
    no lock a dying process could leave held."""

    fn: Callable[[Any], Any]
    folder: str

    def mark(self, item: Keyed) -> str:
        return os.path.join(self.folder, hashlib.sha1(item.key.encode()).hexdigest())

    def started(self, item: Keyed) -> bool:
        return os.path.exists(self.mark(item))

    def __call__(self, item: Keyed) -> Any:
        with open(self.mark(item), "w"):
            pass
        return self.fn(item)


class ProcessExecutor(Executor):
    """Local worker processes (default: all cores), one task per submission.

    A worker that dies breaks the whole pool and fails every unfinished task with it, so the pool
    alone cannot say which task was to blame. The tasks that had started then run again one at a
    time, each alone in a fresh one-worker pool: one that breaks its pool alone is reported as
    `WorkerDied`, the others give their results, and the tasks that had not started go on in a
    fresh pool."""

    name = "processes"

    def __init__(self, workers: int | None = None):
        self.workers = max(1, int(workers or os.cpu_count() or 1))
        self._pool: ProcessPoolExecutor | None = None

    def _imap(self, fn, items):
        with tempfile.TemporaryDirectory(prefix="caseload-tasks-") as folder:
            task = _Marked(fn, folder)
            pending = items
            while pending:
                unfinished = yield from self._run_pool(task, pending)
                suspects = [item for item in unfinished if task.started(item)]
                if unfinished and not suspects:
                    raise WorkersLost("the local worker pool broke before any task started")
                for item in suspects:
                    yield item, self._run_alone(task, item)
                pending = [item for item in unfinished if not task.started(item)]

    def _run_pool(self, task: _Marked, items: list[Any]) -> Generator[tuple[Any, Any], None, list[Any]]:
        """Yield what finishes on the shared pool; return the items a broken pool left unfinished."""
        if self._pool is None:
            self._pool = ProcessPoolExecutor(max_workers=min(self.workers, len(items)))
        futures = {self._pool.submit(task, item): item for item in items}
        unfinished = []
        try:
            for fut in as_completed(futures):
                exc = fut.exception()
                if isinstance(exc, BrokenProcessPool):
                    unfinished.append(futures[fut])
                else:
                    yield futures[fut], exc if exc is not None else fut.result()
        finally:
            for fut in futures:
                fut.cancel()
        if unfinished:
            self.close()
        return unfinished

    @staticmethod
    def _run_alone(task: _Marked, item: Keyed) -> Any:
        """The task's result (or exception) in a pool of its own; WorkerDied if it kills that too."""
        with ProcessPoolExecutor(max_workers=1) as pool:
            try:
                return pool.submit(task, item).result()
            except BrokenProcessPool:
                return WorkerDied(f"task {item.key!r} ended its worker process, also when it ran alone")
            except Exception as exc:  # noqa: BLE001 - the caller records it
                return exc

    def close(self) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=True)
            self._pool = None


class DaskExecutor(Executor):
    """A dask.distributed cluster: an existing scheduler (``tcp://HOST:8786``), ``"local"`` for a
    LocalCluster of `workers` single-threaded processes, or a ``Client`` passed in.

    Tasks are submitted with their own keys and ``pure=False`` is not needed: the key names the
    (point, replication) and the function is deterministic, so when the scheduler re-runs a task
    whose worker died, the result is the same and is gathered once. A task that keeps killing its
    workers is given up after ``distributed.scheduler.allowed-failures`` + 1 deaths (default 4) and
    reported with Dask's ``KilledWorker``; ``retries`` apply only to exceptions the task raised.
    """

    name = "dask"

    def __init__(self, address: str | None = "local", workers: int | None = None, client: Any = None,
                 key_prefix: str = "caseload"):
        try:
            from dask.distributed import Client, LocalCluster
        except ImportError as exc:  # pragma: no cover - dask is a dependency
            raise ParamError("--dask", address, "dask[distributed] installed (pip install 'dask[distributed]')") \
                from exc
        self.key_prefix = key_prefix
        self._own_client = client is None
        self._cluster = None
        if client is not None:
            self.client = client
        elif address in (None, "local"):
            n = max(1, int(workers or os.cpu_count() or 1))
            self._cluster = LocalCluster(n_workers=n, threads_per_worker=1, processes=True,
                                         host="127.0.0.1", dashboard_address=None)
            self.client = Client(self._cluster)
        else:
            if not str(address).startswith(("tcp://", "tls://", "ws://", "wss://", "inproc://", "ucx://")):
                raise ParamError("--dask", address, "'local' or a scheduler address such as tcp://HOST:8786")
            try:
                self.client = Client(address, timeout="20s")
            except OSError as exc:
                raise ParamError("--dask", address, f"a reachable Dask scheduler ({exc})") from None
        self.address = address if client is None else getattr(client.scheduler, "address", "client")

    @property
    def workers(self) -> int:  # type: ignore[override]
        try:
            return max(1, sum(self.client.nthreads().values()))
        except Exception:  # noqa: BLE001
            return 1

    def _imap(self, fn, items):
        from dask.distributed import as_completed as dask_as_completed

        if not items:
            return
        keys = [f"{self.key_prefix}-{item.key}" for item in items]
        futures = self.client.map(fn, items, key=keys, retries=2)
        by_key = {f.key: item for f, item in zip(futures, items)}
        try:
            for fut in dask_as_completed(futures):
                item = by_key[fut.key]
                try:
                    yield item, fut.result()
                except Exception as exc:  # noqa: BLE001 - includes KilledWorker after repeated deaths
                    yield item, exc
                fut.release()
        finally:
            for f in futures:
                if not f.done():
                    f.cancel()

    def describe(self) -> dict[str, Any]:
        return {"executor": self.name, "workers": self.workers, "address": str(self.address)}

    def close(self) -> None:
        if self._own_client:
            self.client.close()
            if self._cluster is not None:
                self._cluster.close()


def make_executor(serial: bool = False, workers: int | None = None, dask: str | None = None,
                  key_prefix: str = "caseload") -> Executor:
    """The executor the command line asks for: --serial, --dask ADDRESS, else local processes."""
    if workers is not None and int(workers) < 1:
        raise ParamError("--workers", workers, "a whole number >= 1")
    if serial and dask:
        raise ParamError("--serial", True, "either --serial or --dask, not both")
    if serial:
        return SerialExecutor()
    if dask:
        return DaskExecutor(dask, workers=workers, key_prefix=key_prefix)
    if workers == 1:
        return SerialExecutor()
    return ProcessExecutor(workers)

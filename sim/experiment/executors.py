"""Where tasks run: serial, local processes, or a dask.distributed cluster, behind one interface.

An executor takes a pure function and keyed items and yields ``(item, result)`` pairs as they
complete, in any order; a result is the function's return value or the exception it raised (or
the infrastructure raised for it), so the caller decides what a failure means. Because every task
draws only from its own seeded streams, the same items give identical results on every executor;
only the order of completion differs.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ProcessPoolExecutor, as_completed
from concurrent.futures.process import BrokenProcessPool
from typing import Any, Protocol

from sim.inputs.errors import ParamError


class Keyed(Protocol):
    """An item with a key that names it uniquely within a run (used by Dask as the task key)."""

    key: str


class WorkersLost(RuntimeError):
    """The pool of workers broke (a worker process died): nothing is wrong with the task itself,
    so the caller should stop, keep what is done and let a rerun compute the rest."""


class Executor:
    """Run `fn(item)` for every item; yield (item, result or exception) as each completes."""

    name = "base"
    workers = 1

    def imap_unordered(self, fn: Callable[[Any], Any], items: Iterable[Keyed]) -> Iterator[tuple[Any, Any]]:
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

    def imap_unordered(self, fn, items):
        for item in items:
            try:
                yield item, fn(item)
            except Exception as exc:  # noqa: BLE001 - the caller records it
                yield item, exc


class ProcessExecutor(Executor):
    """Local worker processes (default: all cores), one task per submission."""

    name = "processes"

    def __init__(self, workers: int | None = None):
        self.workers = max(1, int(workers or os.cpu_count() or 1))
        self._pool: ProcessPoolExecutor | None = None

    def imap_unordered(self, fn, items):
        items = list(items)
        if not items:
            return
        if self._pool is None:
            self._pool = ProcessPoolExecutor(max_workers=min(self.workers, len(items)))
        futures = {self._pool.submit(fn, item): item for item in items}
        try:
            for fut in as_completed(futures):
                try:
                    yield futures[fut], fut.result()
                except BrokenProcessPool as exc:
                    raise WorkersLost(f"a local worker process died: {exc}") from exc
                except Exception as exc:  # noqa: BLE001
                    yield futures[fut], exc
        finally:
            for fut in futures:
                fut.cancel()

    def close(self) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=True)
            self._pool = None


class DaskExecutor(Executor):
    """A dask.distributed cluster: an existing scheduler (``tcp://HOST:8786``), ``"local"`` for a
    LocalCluster of `workers` single-threaded processes, or a ``Client`` passed in.

    Tasks are submitted with their own keys and ``pure=False`` is not needed: the key names the
    (point, replication) and the function is deterministic, so when the scheduler re-runs a task
    whose worker died, the result is the same and is gathered once.
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

    def imap_unordered(self, fn, items):
        from dask.distributed import as_completed as dask_as_completed

        items = list(items)
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

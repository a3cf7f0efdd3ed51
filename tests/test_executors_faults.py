"""Executors under faults: every submitted task is reported (a result or an error), a task that
keeps killing its worker ends as a recorded error instead of a hang or a gap, and a rerun
finishes it once the task works.

The Dask tests run a small LocalCluster (two single-threaded worker processes). The scheduler is
told to give up on a task after it killed two workers (``allowed-failures = 1``) and to hand a
worker one task at a time (``worker-saturation = 1.0``), so only the killing task is blamed. Each
sweep runs in a watchdog thread, so a hang fails the test instead of blocking the suite.
"""

from __future__ import annotations

import os
import threading
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
import pytest

from sim.experiment.executors import DaskExecutor, Executor, ProcessExecutor, SerialExecutor, TaskLost, WorkerDied
from sim.studies.sweep import FunctionModel, parse_spec, run_sweep

HANG = 180.0  # seconds before a sweep that has not returned counts as hung (it takes a few)


@dataclass(frozen=True)
class Item:
    key: str
    n: int


def half(item: Item) -> float:
    """Fails for odd numbers, at the infrastructure level (outside any sweep error handling)."""
    if item.n % 2:
        raise ValueError(f"odd {item.n}")
    return item.n / 2


def reports(executor: Executor, n: int = 6) -> dict[str, object]:
    """What the executor reported for items 0..n-1, each key at most once."""
    seen: dict[str, object] = {}
    for item, result in executor.imap_unordered(half, [Item(f"i{k}", k) for k in range(n)]):
        assert item.key not in seen, f"{item.key} reported twice"
        seen[item.key] = result
    return seen


def assert_every_task_reported(seen: dict[str, object], n: int = 6) -> None:
    assert sorted(seen) == sorted(f"i{k}" for k in range(n))
    for k in range(n):
        if k % 2:
            assert isinstance(seen[f"i{k}"], BaseException), k
        else:
            assert seen[f"i{k}"] == k / 2


def with_watchdog(fn):
    """Run fn() in a daemon thread; its result, or a failure if it has not returned within HANG s."""
    out: dict[str, object] = {}

    def target():
        try:
            out["value"] = fn()
        except BaseException as exc:  # noqa: BLE001 - re-raised in the test thread
            out["error"] = exc

    t = threading.Thread(target=target, daemon=True)
    t.start()
    t.join(HANG)
    assert not t.is_alive(), f"hung for {HANG:.0f} s"
    if "error" in out:
        raise out["error"]  # type: ignore[misc]
    return out["value"]


# ---------------------------------------------------------------- every task is reported


def test_serial_and_processes_report_every_task():
    assert_every_task_reported(reports(SerialExecutor()))
    with ProcessExecutor(2) as ex:
        assert_every_task_reported(reports(ex))


def test_a_dropped_task_is_a_recorded_error_in_a_sweep_and_a_rerun_computes_it(tmp_path):
    class DropsOne(SerialExecutor):
        def _imap(self, fn, items):
            for item, result in super()._imap(fn, items):
                if item.point != 2:
                    yield item, result

    def square(values, replication, seed):
        return {"y": values["x"] ** 2}

    spec = parse_spec({"design": "lhs", "points": 4, "factors": {"x": [0.0, 1.0]}})
    res = run_sweep(spec, tmp_path / "s", DropsOne(), model=FunctionModel(square))
    assert res.n_stored == 4 and res.n_done == 3 and res.errors["point"].tolist() == [2]
    assert res.errors["error"].str.contains("TaskLost").all()
    spec.retry_errors = True
    again = run_sweep(spec, tmp_path / "s", SerialExecutor(), model=FunctionModel(square))
    assert again.computed == 1 and again.errors.empty and len(again.kpis) == 4


def test_duplicate_task_keys_are_refused():
    with pytest.raises(ValueError, match="unique"):
        list(SerialExecutor().imap_unordered(half, [Item("a", 0), Item("a", 2)]))


# ---------------------------------------------------------------- a task that kills its worker


def kill_while_marked(values, replication, seed):
    """The point with x >= 0.75 ends its worker process while the marker file exists (a task that
    crashes its worker, e.g. out of memory, until the cause is fixed); the others work."""
    if values["x"] >= 0.75 and os.path.exists(values["marker"]):
        os._exit(3)
    return {"y": 2 * values["x"]}


def killer_sweep(marker: Path):
    # a Latin hypercube of 4 points puts exactly one point in [0.75, 1); a module-level function,
    # so that local processes can unpickle it too
    spec = parse_spec({"design": "lhs", "points": 4, "factors": {"x": [0.0, 1.0]}, "flush_every": 1,
                       "set": {"marker": str(marker)}})
    return spec, FunctionModel(kill_while_marked)


def assert_killer_recorded_then_finished(tmp_path: Path, executor: Executor, error: str) -> None:
    marker = tmp_path / "broken"
    marker.write_text("")
    spec, model = killer_sweep(marker)
    out = tmp_path / "sweep"
    first = with_watchdog(lambda: run_sweep(spec, out, executor, model=model))
    x = first.points.set_index("point")["x"]
    killer = int(x[x >= 0.75].index[0])
    assert first.n_stored == 4 and first.n_done == 3, "every task is stored, the killer as an error"
    assert first.errors["point"].tolist() == [killer]
    assert error in first.errors["error"].iloc[0]
    ok = first.kpis.set_index("point")["value"]
    assert sorted(ok.index) == sorted(set(range(4)) - {killer})
    pd.testing.assert_series_equal(ok, 2 * x.loc[ok.index], check_names=False)
    # the cause is fixed: a rerun that retries errors computes only the killer's task
    marker.unlink()
    spec.retry_errors = True
    second = with_watchdog(lambda: run_sweep(spec, out, executor, model=model))
    assert second.computed == 1 and second.errors.empty and second.n_done == 4
    y = second.kpis.set_index("point")["value"].sort_index()
    pd.testing.assert_series_equal(y, 2 * x.sort_index(), check_names=False)


def test_a_local_task_that_keeps_killing_its_worker_is_recorded_and_a_rerun_finishes_it(tmp_path):
    with ProcessExecutor(2) as ex:
        assert_killer_recorded_then_finished(tmp_path, ex, "WorkerDied")


def test_tasks_beside_a_killer_in_the_process_pool_are_not_blamed():
    """The pool breaks for every task in it; only the one that breaks a pool alone is an error."""
    items = [Item(f"k{k}", k) for k in range(8)]
    with ProcessExecutor(2) as ex:
        seen = dict((item.key, result) for item, result in ex.imap_unordered(die_on_five, items))
    assert sorted(seen) == sorted(i.key for i in items)
    assert isinstance(seen["k5"], WorkerDied)
    assert all(seen[f"k{k}"] == 10 * k for k in range(8) if k != 5)


def die_on_five(item: Item) -> int:
    if item.n == 5:
        os._exit(3)
    return 10 * item.n


# ---------------------------------------------------------------- Dask (last: no process pool is forked
# while the cluster's threads run)


@pytest.fixture(scope="module")
def dask_client():
    dask = pytest.importorskip("dask")
    from dask.distributed import Client, LocalCluster

    with dask.config.set({"distributed.scheduler.allowed-failures": 1,
                          "distributed.scheduler.worker-saturation": 1.0}):
        with LocalCluster(n_workers=2, threads_per_worker=1, processes=True, host="127.0.0.1",
                          dashboard_address=None) as cluster, Client(cluster) as client:
            yield client


def test_dask_reports_every_task(dask_client):
    assert_every_task_reported(reports(DaskExecutor(client=dask_client)))


class DroppingDask(DaskExecutor):
    """A Dask driver with the bug the issue describes: failed futures are silently dropped."""

    def _imap(self, fn, items):
        for item, result in super()._imap(fn, items):
            if not isinstance(result, BaseException):
                yield item, result


def test_a_driver_that_drops_failed_futures_is_caught(dask_client):
    seen = reports(DroppingDask(client=dask_client))
    assert_every_task_reported(seen)
    assert all(isinstance(seen[f"i{k}"], TaskLost) for k in (1, 3, 5))


def test_a_dask_task_that_keeps_killing_its_worker_is_recorded_and_a_rerun_finishes_it(tmp_path, dask_client):
    assert_killer_recorded_then_finished(tmp_path, DaskExecutor(client=dask_client), "KilledWorker")

"""Sweeps: designs, executors that agree, interruption and worker loss without loss or duplicates,
errors recorded, and Sobol indices of the Ishigami function through the same machinery."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import sim
from sim.experiment.executors import DaskExecutor, ProcessExecutor, SerialExecutor
from sim.studies.sensitivity import ISHIGAMI_S1, ISHIGAMI_ST
from sim.studies.sweep import FunctionModel, design_points, load_sweep, parse_spec, run_sweep

ROOT = Path(__file__).resolve().parent.parent

SIM_SWEEP = """
name = "tiny"
base = "national_default"
design = "lhs"
points = 6
replications = 2
seed = 5
kpis = ["fte_needed", "exit_work_or_education_6m"]
flush_every = 1
[set]
scale = 0.002
years = 0.25
[factors]
"effects.talk_multiplier.dagpenge" = [1.10, 1.30]
"offers.types.oevo.lock_in_multiplier" = [0.5, 0.8]
"""


@pytest.fixture(scope="module")
def sweep_file(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("spec") / "tiny.toml"
    path.write_text(SIM_SWEEP)
    return path


@pytest.fixture(scope="module")
def reference(sweep_file, tmp_path_factory):
    """The uninterrupted serial sweep every other way of running must reproduce."""
    return run_sweep(sweep_file, tmp_path_factory.mktemp("ref"), SerialExecutor())


def raw_tasks(out: Path) -> pd.DataFrame:
    """Every stored row, without the latest-part rule of Store.read_tasks: duplicates would show."""
    return pd.concat([pd.read_parquet(p) for p in sorted((out / "tasks").glob("part-*.parquet"))], ignore_index=True)


def assert_each_task_once(out: Path, n_tasks: int) -> None:
    raw = raw_tasks(out)
    per_task = raw.groupby(["point", "replication"]).size()
    assert len(per_task) == n_tasks
    assert not raw.duplicated(["point", "replication", "kpi", "group", "provider"]).any()


def test_designs_have_the_expected_sizes_and_ranges():
    base = {"factors": {"a": [0.0, 1.0], "b": [10.0, 20.0]}, "points": 8, "seed": 2}
    lhs = design_points(parse_spec({**base, "design": "lhs"}))
    assert len(lhs) == 8 and lhs["a"].between(0, 1).all() and lhs["b"].between(10, 20).all()
    # a Latin hypercube: one point in each of the 8 strata of every factor
    assert sorted((lhs["a"] * 8).astype(int)) == list(range(8))
    assert len(design_points(parse_spec({**base, "design": "grid", "grid_levels": 3}))) == 9
    assert len(design_points(parse_spec({**base, "design": "sobol"}))) == 8 * (2 + 2)
    assert len(design_points(parse_spec({**base, "design": "morris", "points": 4}))) == 4 * (2 + 1)
    levels = parse_spec({"factors": {"x": {"levels": [1, 2, 3]}, "y": [0.0, 1.0]}, "design": "grid"})
    assert len(design_points(levels)) == 9
    shipped = load_sweep(ROOT / "params" / "sweeps" / "effects_lhs.toml")
    assert shipped.design == "lhs" and shipped.points == 100


@pytest.mark.parametrize("bad", [
    {"factors": {"a": [1.0, 0.0]}},
    {"factors": {"a": [0.0, 1.0]}, "design": "halton"},
    {"factors": {"a": [0.0, 1.0]}, "replications": 0},
    {"factors": {}},
    {"factors": {"a": [0.0, 1.0]}, "pionts": 3},
    {"factors": {"a": {"levels": [1, 2]}}, "design": "sobol"},
])
def test_bad_sweep_files_are_param_errors(bad):
    with pytest.raises(sim.ParamError):
        parse_spec(bad)


def test_sweep_command_bad_factor_path_is_exit_2_before_anything_runs(tmp_path, capsys):
    from sim.cli.main import main

    spec = tmp_path / "bad.toml"
    spec.write_text(SIM_SWEEP.replace("effects.talk_multiplier.dagpenge", "effects.no_such_thing"))
    assert main(["sweep", str(spec), "--serial", "--out", str(tmp_path / "o")]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "factors.effects.no_such_thing" in err and "unknown parameter" in err
    assert not (tmp_path / "o").exists()  # nothing ran, nothing was written
    assert main(["sweep", str(spec), "--serial", "--dask", "local"]) == 2


def test_ishigami_sobol_indices_through_the_sweep_machinery(tmp_path):
    spec = parse_spec({"name": "ishigami", "model": "sim.studies.sensitivity:ishigami", "design": "sobol",
                       "points": 512,
                       "seed": 3, "kpis": ["y"], "flush_every": 4096,
                       "factors": {k: [-np.pi, np.pi] for k in ("x1", "x2", "x3")}})
    res = run_sweep(spec, tmp_path / "ish", SerialExecutor())
    assert res.n_done == res.n_tasks == 512 * 5
    s = res.sensitivity("y").set_index("factor")
    for f in ("x1", "x2", "x3"):
        assert s.loc[f, "S1"] == pytest.approx(ISHIGAMI_S1[f], abs=0.08), f
        assert s.loc[f, "ST"] == pytest.approx(ISHIGAMI_ST[f], abs=0.08), f


def test_morris_and_lhs_analysis_rank_the_ishigami_factors(tmp_path):
    fac = {k: [-np.pi, np.pi] for k in ("x1", "x2", "x3")}
    morris = run_sweep(parse_spec({"model": "sim.studies.sensitivity:ishigami", "design": "morris", "points": 40,
                                   "factors": fac}), tmp_path / "m").sensitivity("y").set_index("factor")
    assert morris["mu_star"].idxmin() == "x3"  # x3 acts only with x1: the smallest mean effect
    lhs = run_sweep(parse_spec({"model": "sim.studies.sensitivity:ishigami", "design": "lhs", "points": 1000,
                                "factors": fac}), tmp_path / "l").sensitivity("y").set_index("factor")
    assert lhs.loc["x2", "S1"] == pytest.approx(0.44, abs=0.1) and lhs.loc["x3", "S1"] < 0.1


def test_a_task_that_raises_is_recorded_and_the_sweep_goes_on(tmp_path):
    calls = []

    def flaky(values, replication, seed):
        calls.append((values["x"], replication))
        if values["x"] > 0.5:
            raise RuntimeError("model failed here")
        return {"y": values["x"] * 2}

    spec = parse_spec({"design": "lhs", "points": 10, "replications": 2, "factors": {"x": [0.0, 1.0]}})
    res = run_sweep(spec, tmp_path / "f", model=FunctionModel(flaky))
    assert res.n_done == 10 and res.n_failed == 10 and len(res.errors) == 10 and len(res.kpis) == 10
    assert res.errors["error"].str.contains("model failed here").all()
    n = len(calls)
    again = run_sweep(spec, tmp_path / "f", model=FunctionModel(flaky))
    # a failed task is not run again on its own, and it is not counted as done
    assert again.computed == 0 and len(calls) == n and again.n_done == 10 and again.n_failed == 10
    spec.retry_errors = True
    retried = run_sweep(spec, tmp_path / "f", model=FunctionModel(flaky))
    assert retried.computed == 10 and len(retried.errors) == 10 and retried.n_done == 10


def test_same_results_serial_processes_and_dask(sweep_file, reference, tmp_path):
    from dask.distributed import Client, LocalCluster

    assert reference.n_done == reference.n_tasks == 12 and reference.errors.empty
    with ProcessExecutor(2) as ex:
        procs = run_sweep(sweep_file, tmp_path / "p", ex)
    pd.testing.assert_frame_equal(procs.kpis, reference.kpis)
    with LocalCluster(n_workers=2, processes=True, threads_per_worker=1, host="127.0.0.1",
                      dashboard_address=None) as cluster, Client(cluster) as client:
        dask = run_sweep(sweep_file, tmp_path / "d", DaskExecutor(client=client))
    pd.testing.assert_frame_equal(dask.kpis, reference.kpis)
    assert dask.executor["executor"] == "dask"
    # the resolved parameters of each point are stored with the results
    pts = pd.read_parquet(tmp_path / "d" / "points.parquet")
    assert pts["params_hash"].nunique() == 6 and pts["params"].str.contains("talk_multiplier").all()


def test_a_killed_dask_worker_loses_and_duplicates_nothing(sweep_file, reference, tmp_path):
    from dask.distributed import Client, LocalCluster

    with LocalCluster(n_workers=2, processes=True, threads_per_worker=1, host="127.0.0.1",
                      dashboard_address=None) as cluster, Client(cluster) as client:
        killed = []

        def kill_one(_result):
            if not killed:
                pids = client.run(os.getpid)
                addr, pid = sorted(pids.items())[0]
                os.kill(pid, signal.SIGKILL)
                killed.append(addr)

        res = run_sweep(sweep_file, tmp_path / "k", DaskExecutor(client=client), on_result=kill_one)
    assert killed
    assert res.n_done == 12 and res.errors.empty
    assert_each_task_once(tmp_path / "k", 12)
    pd.testing.assert_frame_equal(res.kpis, reference.kpis)


def test_an_interrupted_sweep_resumes_and_computes_each_task_once(sweep_file, reference, tmp_path):
    out = tmp_path / "int"
    proc = subprocess.Popen([sys.executable, "-m", "sim.cli", "sweep", str(sweep_file), "--serial", "--out", str(out)],
                            cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 120
        while len(list((out / "tasks").glob("part-*.parquet"))) < 3 and proc.poll() is None:
            assert time.monotonic() < deadline, "the sweep wrote no tasks"
            time.sleep(0.05)
    finally:
        proc.kill()
        proc.wait()
    before = raw_tasks(out)[["point", "replication"]].drop_duplicates()
    assert 3 <= len(before) < 12, "kill the sweep part-way"
    res = run_sweep(sweep_file, out, SerialExecutor())
    assert res.computed == 12 - len(before)
    assert_each_task_once(out, 12)
    pd.testing.assert_frame_equal(res.kpis, reference.kpis)
    assert run_sweep(sweep_file, out, SerialExecutor()).computed == 0


def test_resuming_after_the_base_scenario_changed_is_refused(tmp_path):
    # results of the old and the new scenario must not be mixed in one dataset
    (tmp_path / "base.toml").write_text('extends = "national_default"\nname = "base"\n')
    spec_path = tmp_path / "s.toml"
    spec_path.write_text(SIM_SWEEP.replace('base = "national_default"', 'base = "base.toml"')
                         .replace("points = 6", "points = 2").replace("replications = 2", "replications = 1"))
    out = tmp_path / "o"
    run_sweep(spec_path, out)
    with open(tmp_path / "base.toml", "a") as fh:
        fh.write("[frailty]\nvariance = 0.6\n")
    with pytest.raises(sim.ParamError, match="changed since"):
        run_sweep(spec_path, out)

"""A result folder is written as a unit (issue 13, item 2).

`caseload run` and `caseload compare` stage their folder in a hidden sibling and rename it into
place only when complete; run.json lists its files with SHA-256 and size, and the charts and the
report refuse a folder whose files do not match. The faults here (an exception, a full disk, Ctrl-C
in the middle of a write, a failed rename) must each leave the previous folder byte-identical and
no temporary folder behind.
"""

from __future__ import annotations

import contextlib
import errno
import hashlib
import io
import json
import os
import signal
import subprocess
import sys
import threading
from pathlib import Path

import pandas as pd
import pytest

import sim.experiment.results as results_mod
from sim.cli.main import main
from sim.experiment.results import Results, commit_folder, staged_folder
from sim.inputs.errors import ParamError
from sim.output.run_folder import load_run
from sim.studies.compare import Comparison, paired_differences

ROOT = Path(__file__).resolve().parents[1]
TINY = ["--set", "scale=0.002", "--set", "years=0.25", "--replications", "2", "--workers", "1"]
RUN_FILES = {"run.json", "kpis.csv", "summary.csv", "compliance.csv", "weekly.parquet"}


def cli(argv: list[str]) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = main(argv)
    return code, out.getvalue(), err.getvalue()


def snapshot(folder: Path) -> dict[str, bytes]:
    """Every file under `folder` (relative path -> bytes): equal snapshots mean byte-identical folders."""
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def hand_results(value: float, seed: int) -> Results:
    """A tiny Results built by hand (no simulation): two replications of one KPI and one weekly row."""
    kpis = pd.DataFrame({"replication": [0, 1], "kpi": ["stock_mean"] * 2, "group": ["all"] * 2,
                         "provider": ["all"] * 2, "value": [value, value + 2.0]})
    weekly = pd.DataFrame({"replication": [0], "week": [0], "group": ["all"], "provider": ["all"],
                           "measure": ["stock"], "value": [value]})
    return Results(kpis, weekly, {"scenario": "hand", "seed": seed, "replications": 2})


def only_child(parent: Path) -> list[str]:
    """What the parent holds: after any fault, only the result folder itself (no hidden temp folder)."""
    return sorted(p.name for p in parent.iterdir())


# ---------------------------------------------------------------- the manifest in run.json

def test_run_json_lists_every_file_with_its_sha256_and_size(tmp_path):
    out = hand_results(10.0, seed=1).save(tmp_path / "run")
    files = json.loads((out / "run.json").read_text())["files"]
    assert set(files) == RUN_FILES - {"run.json"}
    for name, entry in files.items():
        data = (out / name).read_bytes()
        assert entry == {"sha256": hashlib.sha256(data).hexdigest(), "bytes": len(data)}
    # the mean of 10 and 12 is 11: the summary listed is the one on disk
    assert pd.read_csv(out / "summary.csv")["mean"].tolist() == [11.0]


def test_a_second_save_replaces_the_folder_whole(tmp_path):
    out = tmp_path / "run"
    hand_results(10.0, seed=1).save(out)
    (out / "charts").mkdir()  # a chart of the old numbers must not survive next to the new ones
    (out / "charts" / "old.png").write_bytes(b"old")
    hand_results(20.0, seed=2).save(out)
    assert {p.name for p in out.iterdir()} == RUN_FILES
    assert json.loads((out / "run.json").read_text())["seed"] == 2
    assert pd.read_csv(out / "kpis.csv")["value"].tolist() == [20.0, 22.0]
    assert only_child(tmp_path) == ["run"]


# ---------------------------------------------------------------- faults while writing

def test_an_exception_in_the_middle_leaves_the_old_folder_byte_identical(tmp_path, monkeypatch):
    out = tmp_path / "run"
    hand_results(10.0, seed=1).save(out)
    before = snapshot(out)

    def half_then_fail(self, path, *args, **kwargs):  # kpis, summary and compliance are written by now
        Path(path).write_bytes(b"PAR1 half a file")
        raise RuntimeError("writer broke")

    monkeypatch.setattr(pd.DataFrame, "to_parquet", half_then_fail)
    with pytest.raises(RuntimeError, match="writer broke"):
        hand_results(20.0, seed=2).save(out)
    assert snapshot(out) == before
    assert only_child(tmp_path) == ["run"]


def test_a_fault_while_writing_a_comparison_keeps_the_old_one(tmp_path, monkeypatch):
    a, b = hand_results(10.0, seed=1), hand_results(11.0, seed=1)
    out = Comparison(a, b, paired_differences(a.kpis, b.kpis), {"seed": 1}).save(tmp_path / "cmp")
    before = snapshot(out)
    assert {"a/run.json", "b/run.json", "differences.csv", "comparison.json"} <= set(before)
    calls = []

    def fail_on_b(self, path, *args, **kwargs):  # a/ is complete, b/ is half written
        calls.append(path)
        if len(calls) == 2:
            raise OSError(errno.EIO, "I/O error", str(path))
        return real(self, path, *args, **kwargs)

    real = pd.DataFrame.to_parquet
    monkeypatch.setattr(pd.DataFrame, "to_parquet", fail_on_b)
    c, d = hand_results(30.0, seed=5), hand_results(31.0, seed=5)
    with pytest.raises(OSError):
        Comparison(c, d, paired_differences(c.kpis, d.kpis), {"seed": 5}).save(out)
    assert len(calls) == 2
    assert snapshot(out) == before
    assert only_child(tmp_path) == ["cmp"]


@pytest.fixture(scope="module")
def old_run(tmp_path_factory) -> Path:
    """A real run folder from the CLI (seed 1), copied fresh by each test that needs one."""
    out = tmp_path_factory.mktemp("old") / "run"
    code, _, err = cli(["run", *TINY, "--seed", "1", "--out", str(out)])
    assert code == 0, err
    return out


def copy_of(folder: Path, dest: Path) -> Path:
    dest.mkdir()
    for name, data in snapshot(folder).items():
        (dest / name).write_bytes(data)
    return dest


def test_a_full_disk_is_one_line_exit_1_and_loses_nothing(old_run, tmp_path, monkeypatch):
    out = copy_of(old_run, tmp_path / "run")
    before = snapshot(out)

    def disk_full(self, path, *args, **kwargs):
        Path(path).write_bytes(b"PAR1")
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), str(path))

    monkeypatch.setattr(pd.DataFrame, "to_parquet", disk_full)
    code, _, err = cli(["run", *TINY, "--seed", "2", "--out", str(out)])
    assert code == 1
    assert len(err.splitlines()) == 1 and os.strerror(errno.ENOSPC) in err and "Traceback" not in err
    assert snapshot(out) == before
    assert only_child(tmp_path) == ["run"]


def test_a_full_disk_during_compare_keeps_the_old_comparison(tmp_path, monkeypatch):
    out = tmp_path / "cmp"
    argv = ["compare", "national_default", "national_default", *TINY, "--out", str(out)]
    code, _, err = cli([*argv, "--seed", "1"])
    assert code == 0, err
    before = snapshot(out)
    assert {"differences.png", "a/run.json", "b/kpis.csv"} <= set(before)

    def disk_full(*args, **kwargs):  # the chart is the last thing written into the folder
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    monkeypatch.setattr("matplotlib.figure.Figure.savefig", disk_full)
    code, _, err = cli([*argv, "--seed", "2"])
    assert code == 1 and len(err.splitlines()) == 1, err
    assert snapshot(out) == before
    assert only_child(tmp_path) == ["cmp"]


SLOW_WRITER = """
import sys, time
import pandas as pd
from sim.cli.main import main

def stuck(self, path, *args, **kwargs):  # half a file, then wait for the test's SIGINT
    with open(path, "wb") as f:
        f.write(b"PAR1 half")
    print("WRITING", flush=True)
    time.sleep(300)

pd.DataFrame.to_parquet = stuck
sys.exit(main(sys.argv[1:]))
"""


def test_ctrl_c_in_the_middle_of_a_write_leaves_the_old_folder(old_run, tmp_path):
    out = copy_of(old_run, tmp_path / "run")
    before = snapshot(out)
    proc = subprocess.Popen([sys.executable, "-c", SLOW_WRITER, "run", *TINY, "--seed", "2", "--out", str(out)],
                            cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    guard = threading.Timer(240, proc.kill)  # a bound in case the writer is never reached; not a timing test
    guard.start()
    try:
        assert proc.stdout is not None
        lines = iter(proc.stdout.readline, "")
        assert any(line.strip() == "WRITING" for line in lines), "the writer was never reached"
        assert any(p.name.startswith(".run.partial-") for p in tmp_path.iterdir())  # caught mid-write
        proc.send_signal(signal.SIGINT)
        _, err = proc.communicate(timeout=120)
    finally:
        guard.cancel()
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 130, err
    assert err.strip().splitlines()[-1] == "interrupted"
    assert snapshot(out) == before
    assert only_child(tmp_path) == ["run"]


# ---------------------------------------------------------------- the rename into place

def test_both_ways_of_replacing_give_the_new_folder(tmp_path, monkeypatch):
    """renameat2(RENAME_EXCHANGE) where Linux offers it, rename aside + rename in elsewhere."""
    for exchange in (True, False):
        if not exchange:
            monkeypatch.setattr(results_mod, "_exchange", lambda a, b: False)
        out = tmp_path / f"run_{exchange}"
        hand_results(10.0, seed=1).save(out)
        hand_results(20.0, seed=2).save(out)
        assert json.loads((out / "run.json").read_text())["seed"] == 2
        assert pd.read_csv(out / "kpis.csv")["value"].tolist() == [20.0, 22.0]
    assert only_child(tmp_path) == ["run_False", "run_True"]


def test_a_failed_rename_in_puts_the_old_folder_back(tmp_path, monkeypatch):
    out = tmp_path / "run"
    hand_results(10.0, seed=1).save(out)
    before = snapshot(out)
    monkeypatch.setattr(results_mod, "_exchange", lambda a, b: False)
    real_rename = os.rename

    def refuse_rename_in(src, dst):  # the old folder has gone aside; the new one cannot come in
        if ".partial-" in str(src) and Path(dst) == out.resolve():
            raise OSError(errno.EIO, "I/O error", str(dst))
        real_rename(src, dst)

    monkeypatch.setattr(os, "rename", refuse_rename_in)
    with pytest.raises(OSError):
        hand_results(20.0, seed=2).save(out)
    assert snapshot(out) == before
    assert only_child(tmp_path) == ["run"]


@pytest.mark.parametrize("exchange", [True, False])
def test_ctrl_c_during_the_rename_is_held_until_the_new_folder_is_in(tmp_path, monkeypatch, exchange):
    """An interrupt between "old aside" and "new in" would leave no folder at all: it is delivered after."""
    out = tmp_path / "run"
    hand_results(10.0, seed=1).save(out)
    if not exchange:
        monkeypatch.setattr(results_mod, "_exchange", lambda a, b: False)
    real_rename = os.rename

    def interrupted_rename(src, dst):
        os.kill(os.getpid(), signal.SIGINT)  # Ctrl-C arrives while the folders are being swapped
        real_rename(src, dst)

    monkeypatch.setattr(os, "rename", interrupted_rename)
    real_exchange = results_mod._exchange

    def interrupted_exchange(a, b):
        os.kill(os.getpid(), signal.SIGINT)
        return real_exchange(a, b)

    if exchange:
        monkeypatch.setattr(results_mod, "_exchange", interrupted_exchange)
    staged = hand_results(20.0, seed=2)
    with pytest.raises(KeyboardInterrupt):
        staged.save(out)
    assert json.loads((out / "run.json").read_text())["seed"] == 2  # complete and new, not missing
    assert {p.name for p in out.iterdir()} == RUN_FILES
    assert only_child(tmp_path) == ["run"]


def test_commit_onto_a_missing_name_is_a_plain_rename(tmp_path):
    new = tmp_path / "new"
    new.mkdir()
    (new / "x").write_text("1")
    commit_folder(new, tmp_path / "final")
    assert (tmp_path / "final" / "x").read_text() == "1" and not new.exists()


def test_a_folder_that_is_not_a_run_folder_is_never_emptied(tmp_path):
    docs = tmp_path / "documents"
    docs.mkdir()
    (docs / "thesis.tex").write_text("years of work")
    with pytest.raises(ParamError) as err:
        with staged_folder(docs, "run.json"):
            pytest.fail("must refuse before staging")
    assert err.value.field == "--out"
    code, _, msg = cli(["run", *TINY, "--out", str(docs)])
    assert code == 2 and len(msg.splitlines()) == 1 and "run.json" in msg
    assert snapshot(docs) == {"thesis.tex": b"years of work"}
    assert only_child(tmp_path) == ["documents"]


def test_the_current_folder_is_not_replaced(tmp_path, monkeypatch):
    out = hand_results(10.0, seed=1).save(tmp_path / "run")
    monkeypatch.chdir(out)
    code, _, msg = cli(["run", *TINY, "--out", "."])
    assert code == 2 and "current folder" in msg


def test_a_link_to_a_run_folder_stays_a_link(tmp_path):
    real = hand_results(10.0, seed=1).save(tmp_path / "real")
    (tmp_path / "link").symlink_to(real, target_is_directory=True)
    hand_results(20.0, seed=2).save(tmp_path / "link")
    assert (tmp_path / "link").is_symlink()
    assert json.loads((real / "run.json").read_text())["seed"] == 2
    assert only_child(tmp_path) == ["link", "real"]


# ---------------------------------------------------------------- charts and report check the hashes

def flip_one_byte(path: Path) -> None:
    """Change one digit, keeping the size: only the hash can tell."""
    data = bytearray(path.read_bytes())
    i = next(i for i, c in enumerate(data) if chr(c).isdigit())
    data[i] = ord("1") if data[i] != ord("1") else ord("2")
    path.write_bytes(bytes(data))


def test_charts_and_report_accept_an_untouched_folder(old_run, tmp_path):
    out = copy_of(old_run, tmp_path / "run")
    assert cli(["report", str(out), "--out", str(tmp_path / "r.html")])[0] == 0
    assert cli(["charts", str(out), "--out", str(tmp_path / "charts")])[0] == 0


@pytest.mark.parametrize("damage, named", [
    (lambda d: flip_one_byte(d / "kpis.csv"), "kpis.csv"),
    (lambda d: (d / "weekly.parquet").unlink(), "weekly.parquet"),
    (lambda d: (d / "compliance.csv").write_bytes((d / "compliance.csv").read_bytes() + b"\n"), "compliance.csv"),
])
def test_charts_and_report_refuse_a_folder_that_differs_from_run_json(old_run, tmp_path, damage, named):
    out = copy_of(old_run, tmp_path / "run")
    damage(out)
    for argv in (["report", str(out), "--out", str(tmp_path / "r.html")],
                 ["charts", str(out), "--out", str(tmp_path / "charts")]):
        code, _, err = cli(argv)
        assert code == 2, err
        assert len(err.splitlines()) == 1 and named in err and "run.json" in err
    assert not (tmp_path / "r.html").exists()


def test_a_stale_run_json_next_to_old_numbers_is_refused(tmp_path):
    """The case of issue 13: a new run.json beside the old kpis.csv."""
    old = hand_results(10.0, seed=1).save(tmp_path / "old")
    new = hand_results(20.0, seed=2).save(tmp_path / "new")
    (old / "run.json").write_bytes((new / "run.json").read_bytes())
    with pytest.raises(ParamError, match="kpis.csv"):
        load_run(old)


def test_a_folder_from_before_the_hashes_still_loads(tmp_path):
    out = hand_results(10.0, seed=1).save(tmp_path / "run")
    meta = json.loads((out / "run.json").read_text())
    del meta["files"]
    (out / "run.json").write_text(json.dumps(meta))
    flip_one_byte(out / "kpis.csv")  # nothing to check it against: accepted as older versions were
    assert load_run(out).meta["seed"] == 1

"""`caseload calibrate` never loses a file and never drops a figure silently (issue 13).

The scenario file is replaced only once the new one is complete and validates; an interruption
or an error on the way leaves the old file byte for byte. Every line of the figures must count:
an unknown group or provider, a figure given twice, an empty value or a stray field is an error
naming the line."""

from __future__ import annotations

import contextlib
import hashlib
import io
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

import sim.studies.calibration.procedure as procedure
from sim.cli.main import main
from sim.inputs.errors import ParamError
from sim.inputs.files import params_dir
from sim.studies.calibration import calibrate, read_figures

GROUPS = ["dagpenge", "jobparat", "aktivitetsparat", "sygemeldt", "oevrige"]
PROVIDERS = ["municipality", "akasse", "other"]
EXAMPLE = params_dir() / "calibration_example.csv"
GOOD = ["population,,100000,", "stock,jobparat,1000,", "mean_spell_weeks,jobparat,30,"]


def write(tmp_path: Path, rows: list[str], name: str = "figures.csv") -> Path:
    path = tmp_path / name
    path.write_text("figure,group,value,source\n" + "\n".join(rows) + "\n", encoding="utf-8")
    return path


def cli(argv: list[str]) -> tuple[int, str]:
    err = io.StringIO()
    with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(err):
        code = main(argv)
    return code, err.getvalue()


def leftovers(folder: Path) -> list[Path]:
    return [p for p in folder.iterdir() if p.name.startswith(".")]


@pytest.mark.parametrize("rows, field, value", [
    (GOOD + ["caseworker_fte,kommune,40,"], "figures.csv line 5: caseworker_fte[kommune]", "kommune"),
    (GOOD + ["caseworker_fte,,40,"], "figures.csv line 5: caseworker_fte", ""),
    (GOOD + ["stock,jobbparat,1000,"], "figures.csv line 5: stock[jobbparat]", "jobbparat"),
    (GOOD + ["stock,jobparat,2000,"], "figures.csv line 5: stock[jobparat]", "2000"),  # twice: not "last wins"
    (GOOD + ["population,,200000,"], "figures.csv line 5: population", "200000"),
    (GOOD + ["share_to_work,jobparat,,"], "figures.csv line 5: share_to_work[jobparat]", ""),
    (GOOD + ["population_total,,5,"], "figures.csv line 5: figure", "population_total"),
    (GOOD + ["rules,jobparat,pre_reform,"], "figures.csv line 5: rules[jobparat]", "jobparat"),
    (GOOD + ["stock,dagpenge,1,000,"], "figures.csv line 5", "stock,dagpenge,1,000,"),  # a thousands comma
    (GOOD + ["municipality,,Odensee,"], "municipality", "Odensee"),
])
def test_every_figure_counts(tmp_path, rows, field, value):
    with pytest.raises(ParamError) as err:
        read_figures(write(tmp_path, rows), GROUPS, PROVIDERS)
    assert (err.value.field, err.value.value) == (field, value), str(err.value)


def test_a_duplicate_names_both_lines(tmp_path):
    with pytest.raises(ParamError) as err:
        read_figures(write(tmp_path, ["# a comment", *GOOD, "mean_spell_weeks,jobparat,31,"]), GROUPS)
    # header line 1, comment 2, the good rows 3-5, the duplicate on line 6 repeats line 5
    assert err.value.field == "figures.csv line 6: mean_spell_weeks[jobparat]" and "line 5" in err.value.allowed


def test_figures_that_are_not_a_csv(tmp_path):
    binary = tmp_path / "figures.csv"
    binary.write_bytes(b"figure,group,value\n\x00\x01\x02")
    with pytest.raises(ParamError) as err:
        read_figures(binary, GROUPS)
    assert err.value.field == "FIGURES"
    with pytest.raises(ParamError):
        read_figures(tmp_path, GROUPS)  # a folder


@pytest.fixture
def old_file(tmp_path) -> Path:
    out = tmp_path / "mine.toml"
    out.write_text("# the planner's earlier scenario\nextends = \"national_default\"\n", encoding="utf-8")
    return out


def test_an_interrupted_calibration_leaves_the_old_file(old_file, monkeypatch):
    before = old_file.read_bytes()

    def interrupted(*_a, **_k):
        raise KeyboardInterrupt  # Ctrl-C during the first check run, after the first pass was written

    monkeypatch.setattr(procedure, "check_run", interrupted)
    with pytest.raises(KeyboardInterrupt):
        calibrate(EXAMPLE, old_file, replications=1)
    assert old_file.read_bytes() == before and leftovers(old_file.parent) == []
    code, err = cli(["calibrate", str(EXAMPLE), "--out", str(old_file), "--replications", "1"])
    assert code == 130 and err.strip() == "interrupted"
    assert old_file.read_bytes() == before and leftovers(old_file.parent) == []


@pytest.mark.skipif(sys.platform == "win32", reason="SIGINT to a child process is POSIX")
def test_ctrl_c_in_a_real_calibration_leaves_the_old_file(old_file):
    before = old_file.read_bytes()
    proc = subprocess.Popen([sys.executable, "-m", "sim.cli", "calibrate", str(EXAMPLE), "--out", str(old_file),
                             "--replications", "2"], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        for _ in range(1200):  # wait for the draft of the first pass: the check run is under way
            if leftovers(old_file.parent) or proc.poll() is not None:
                break
            time.sleep(0.1)
        assert proc.poll() is None and leftovers(old_file.parent), "the calibration ended before its first check run"
        proc.send_signal(signal.SIGINT)
        _, err = proc.communicate(timeout=300)
    finally:
        if proc.poll() is None:
            proc.kill()
    # 130, or death by SIGINT after the report: a shell shows both as status 130. The one line
    # "interrupted" rules out an unhandled KeyboardInterrupt (which prints a traceback). CI once saw
    # -2 after "interrupted" (not reproduced in about 130 local tries; SIGINT is now ignored once
    # the interruption is reported, see sim.cli.main.entry).
    assert proc.returncode in (130, -signal.SIGINT) and err.strip() == "interrupted", err
    assert old_file.read_bytes() == before and leftovers(old_file.parent) == []


def test_a_scenario_that_does_not_validate_is_never_put_in_place(old_file, monkeypatch):
    before = old_file.read_bytes()
    real = procedure.load_params

    def refuse_drafts(path=None, overrides=None):
        if path is not None:
            raise ParamError("groups.jobparat.stock", -1, "a stock >= 0")
        return real(path, overrides)

    monkeypatch.setattr(procedure, "load_params", refuse_drafts)
    with pytest.raises(ParamError):
        calibrate(write(old_file.parent, GOOD), old_file, check=False)
    assert old_file.read_bytes() == before and leftovers(old_file.parent) == []


def test_a_complete_calibration_replaces_the_file(old_file):
    figures = write(old_file.parent, GOOD)
    cal = calibrate(figures, old_file, check=False)
    text = old_file.read_text(encoding="utf-8")
    assert cal.out == old_file and 'name = "mine"' in text and "# Calibrated by" in text
    assert leftovers(old_file.parent) == []


def sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.mark.parametrize("target", ["national_default.toml", "rules/pre_reform.toml", "presets/pre_reform.toml"])
def test_shipped_files_are_never_written(target):
    path = params_dir() / target
    before = sha(path)
    code, err = cli(["calibrate", str(EXAMPLE), "--out", str(path)])
    assert code == 2 and "shipped" in err and len(err.splitlines()) == 1
    assert sha(path) == before


def test_the_figures_are_not_the_output(tmp_path):
    figures = write(tmp_path, GOOD, name="figures.toml")  # a CSV with a .toml name
    code, err = cli(["calibrate", str(figures), "--out", str(figures)])
    assert code == 2 and "FIGURES" in err
    assert figures.read_text().startswith("figure,group,value")

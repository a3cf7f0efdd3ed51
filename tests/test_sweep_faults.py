"""Sweeps against bad input and failing tasks (issue 13, items 1, 2, 5 and 6).

Everything is checked before a task runs: a bad sweep file ends in exit 2 with one line on stderr,
no traceback and no folder written, and no simulation starts (the tests make starting one fail).
A sweep with failed tasks says so and exits 3; ``--retry-errors`` finishes it once the cause is
fixed; a failed task is never counted as done. The report folder is replaced as a unit.
"""

from __future__ import annotations

import hashlib
import json
import math
import string
import textwrap
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import sim
from sim.cli.main import main
from sim.studies.sweep import FunctionModel, parse_spec, report_folder, run_sweep

VALID = {
    "name": "guarded", "base": "national_default", "design": "lhs", "points": 3, "replications": 1, "seed": 2,
    "kpis": ["fte_needed", "stock_mean[dagpenge]"],
    "set": {"scale": 0.002, "years": 0.25},
    "factors": {"effects.talk_weeks": [2.0, 8.0], "frailty.variance": [0.25, 1.0]},
}


def toml_value(v) -> str:
    """A TOML literal for the values these tests write (numbers with nan and inf, strings, lists)."""
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, float):
        return "nan" if math.isnan(v) else ("inf" if v == math.inf else "-inf" if v == -math.inf else repr(v))
    if isinstance(v, int):
        return str(v)
    if isinstance(v, str):
        return json.dumps(v)
    if isinstance(v, list):
        return "[" + ", ".join(toml_value(x) for x in v) + "]"
    if isinstance(v, dict):
        return "{ " + ", ".join(f"{json.dumps(k)} = {toml_value(x)}" for k, x in v.items()) + " }"
    raise TypeError(v)


def to_toml(data: dict) -> str:
    lines, tables = [], []
    for k, v in data.items():
        (tables if isinstance(v, dict) else lines).append((k, v))
    out = [f"{json.dumps(k)} = {toml_value(v)}" for k, v in lines]
    for k, v in tables:
        out.append(f"[{json.dumps(k)}]")
        out += [f"{json.dumps(kk)} = {toml_value(vv)}" for kk, vv in v.items()]
    return "\n".join(out) + "\n"


@pytest.fixture
def no_simulation(monkeypatch):
    """Make any simulation started by a sweep fail the test: bad input must stop before it."""
    def forbidden(*a, **k):
        raise AssertionError("a simulation ran although the sweep file is invalid")
    monkeypatch.setattr("sim.studies.sweep.models.run_replication", forbidden)


def run_cli(tmp: Path, data: dict | str, *extra: str) -> tuple[int, Path]:
    path = tmp / "sweep.toml"
    path.write_text(data if isinstance(data, str) else to_toml(data))
    out = tmp / "out"
    return main(["sweep", str(path), "--serial", "--out", str(out), *extra]), out


def assert_one_line_error(capsys, *words: str) -> str:
    err = capsys.readouterr().err
    assert err.startswith("error: ") and err.count("\n") == 1 and "Traceback" not in err, err
    for w in words:
        assert w in err, err
    return err


def test_the_valid_base_file_runs(tmp_path, capsys):
    # the fuzz below mutates this file: it must be valid itself, or every case would pass trivially
    code, out = run_cli(tmp_path, VALID)
    assert code == 0
    report = out / "report"
    names = sorted(p.name for p in report.iterdir())
    # 3 points are too few for RBD-FAST: NaN indices, no chart, and the diagnosis says why
    assert names == ["diagnosis.csv", "kpis.parquet", "manifest.json", "sensitivity.csv", "table.csv"]
    assert "warning: fte_needed: sensitivity indices are NaN: RBD-FAST needs at least 65 points" in \
        capsys.readouterr().out
    manifest = json.loads((report / "manifest.json").read_text())["files"]
    assert manifest == {n: hashlib.sha256((report / n).read_bytes()).hexdigest() for n in names
                        if n != "manifest.json"}


@pytest.mark.parametrize("change, words", [
    ({"base": "no_such_scenario"}, ["base", "no_such_scenario"]),
    ({"kpis": ["fte_neded"]}, ["kpis", "did you mean fte_needed"]),
    ({"kpis": ["stock_mean[nogroup]"]}, ["kpis", "a group of the scenario"]),
    ({"factors": {"effects.no_such_thing": [1.0, 2.0]}}, ["factors.effects.no_such_thing", "unknown parameter"]),
    ({"factors": {"frailty.variance": [-1.0, 1.0]}}, ["factors.frailty.variance", "-1.0"]),
    ({"factors": {"effects.talk_weeks": {"levels": [2, "four"]}}}, ["factors.effects.talk_weeks.levels", "one kind"]),
    ({"set": {"scale": 0.002, "years": 0.25, "effects.talk_weeks": 4.0}}, ["set.effects.talk_weeks", "factor"]),
    ({"set": {"scale": -1.0, "years": 0.25}}, ["scale"]),
    ({"design": "sobol", "points": 6}, ["points", "power of 2"]),
    ({"points": 10 ** 9}, ["points", "1,000,000"]),
    ({"name": "../escape"}, ["name"]),
    ({"retry_errors": "yes"}, ["retry_errors", "true or false"]),
    ({"model": "no_such_module:f"}, ["model"]),
])
def test_bad_sweep_files_stop_before_anything_runs(tmp_path, capsys, no_simulation, change, words):
    code, out = run_cli(tmp_path, {**VALID, **change})
    assert code == 2
    assert_one_line_error(capsys, *words)
    assert not out.exists()


def test_an_unusable_out_is_refused_before_anything_runs(tmp_path, capsys, no_simulation):
    (tmp_path / "file").write_text("x")
    path = tmp_path / "sweep.toml"
    path.write_text(to_toml(VALID))
    assert main(["sweep", str(path), "--serial", "--out", str(tmp_path / "file")]) == 2
    assert_one_line_error(capsys, "--out", "not an existing file")
    assert main(["sweep", str(path), "--serial", "--out", ""]) == 2
    assert_one_line_error(capsys, "--out", "empty path")
    other = tmp_path / "other"
    other.mkdir()
    (other / "notes.txt").write_text("mine")
    assert main(["sweep", str(path), "--serial", "--out", str(other)]) == 2
    assert_one_line_error(capsys, "--out", "notes.txt")
    assert sorted(p.name for p in other.iterdir()) == ["notes.txt"]


FLAKY = '''
import os

def model(values, replication, seed):
    """Fails for x > 0.5 while the marker file exists: a cause the user can fix."""
    if os.path.exists(os.environ["FLAKY_MARKER"]) and values["x"] > 0.5:
        raise RuntimeError("the marker says fail")
    return {"y": 2 * values["x"]}

model.kpis = ("y",)
'''


def test_failed_tasks_exit_3_and_retry_errors_finishes_them(tmp_path, monkeypatch, capsys):
    (tmp_path / "flaky_model.py").write_text(textwrap.dedent(FLAKY))
    monkeypatch.syspath_prepend(str(tmp_path))
    marker = tmp_path / "marker"
    marker.write_text("fail")
    monkeypatch.setenv("FLAKY_MARKER", str(marker))
    spec = {"name": "flaky", "model": "flaky_model:model", "design": "lhs", "points": 10, "replications": 2,
            "kpis": ["y"], "factors": {"x": [0.0, 1.0]}}
    # an LHS of 10 points has one point in each tenth of [0, 1]: 5 points, 10 tasks, above 0.5
    code, out = run_cli(tmp_path, spec)
    assert code == 3
    err = assert_one_line_error(capsys, "10 of 20 tasks failed", "--retry-errors", "the marker says fail")
    assert "errors.csv" in err and (out / "report" / "errors.csv").exists()
    # a plain rerun computes nothing and still reports the failures: they are not done
    assert run_cli(tmp_path, spec)[0] == 3
    text = capsys.readouterr()
    assert "10 of 20 tasks done (0 computed now" in text.out and "10 of 20 tasks failed" in text.err
    marker.unlink()  # the cause is fixed
    assert run_cli(tmp_path, spec, "--retry-errors")[0] == 0
    assert "20 of 20 tasks done (10 computed now" in capsys.readouterr().out
    assert not (out / "report" / "errors.csv").exists()


def test_the_report_is_replaced_as_a_unit(tmp_path):
    spec = parse_spec({"design": "lhs", "points": 4, "kpis": ["y"], "factors": {"x": [0.0, 1.0]}})
    res = run_sweep(spec, tmp_path / "s", model=FunctionModel(lambda v, r, s: {"y": v["x"]}))
    with report_folder(res.out) as folder:
        (folder / "a.csv").write_text("old a")
        (folder / "b.csv").write_text("old b")
    manifest = json.loads((res.out / "report" / "manifest.json").read_text())["files"]
    assert manifest == {n: hashlib.sha256(f"old {n[0]}".encode()).hexdigest() for n in ("a.csv", "b.csv")}
    with pytest.raises(OSError, match="disk full"):
        with report_folder(res.out) as folder:
            (folder / "a.csv").write_text("new a")
            raise OSError("disk full")  # a write fails half-way
    assert (res.out / "report" / "a.csv").read_text() == "old a"  # the old report, whole
    assert not [p for p in res.out.iterdir() if p.name.endswith(".tmp")]


# ------------------------------------------------------------------ fuzz: generated bad sweep files

unknown = st.text(string.ascii_lowercase, min_size=3, max_size=12).map(lambda s: "zz_" + s)
not_a_whole = st.one_of(st.floats(allow_nan=True), st.text(max_size=5), st.booleans(), st.just([1]))


def _bad_factors():
    good = VALID["factors"]
    bad_range = st.one_of(
        st.tuples(st.floats(-10, 10), st.floats(-10, 10)).filter(lambda t: not t[0] < t[1]).map(list),
        st.sampled_from([[math.nan, 1.0], [0.0, math.inf], [1.0], [1.0, 2.0, 3.0], [], "low", 3, ["a", "b"]]),
        st.lists(st.one_of(st.integers(0, 9), st.text(max_size=3), st.booleans()), min_size=2, max_size=4)
        .filter(lambda xs: len({type(x) for x in xs}) > 1 and {type(x) for x in xs} != {int, float})
        .map(lambda xs: {"levels": xs}),
        st.just({"levels": []}), st.just({"low": 1.0, "high": 2.0, "step": 0.1}),
    )
    return st.one_of(
        bad_range.map(lambda r: {**good, "effects.talk_weeks": r}),
        unknown.map(lambda u: {**good, f"effects.{u}": [1.0, 2.0]}),
        unknown.map(lambda u: {u: [1.0, 2.0]}),
        st.sampled_from(["", "a..b", ".a", "a b", "a/b"]).map(lambda p: {p: [1.0, 2.0]}),
        st.just({}),
    )


MUTATIONS = st.one_of(
    unknown.map(lambda u: {u: 1}),
    st.one_of(unknown, st.integers(), st.just("")).map(lambda d: {"design": d}),
    st.one_of(st.integers(max_value=0), st.integers(min_value=1_000_001, max_value=2 ** 62), not_a_whole)
    .map(lambda p: {"points": p}),
    st.integers(3, 1000).filter(lambda n: n & (n - 1)).map(lambda n: {"design": "sobol", "points": n}),
    st.integers(max_value=1).map(lambda n: {"design": "morris", "points": n}),
    st.one_of(st.integers(max_value=0), not_a_whole).map(lambda r: {"replications": r}),
    st.one_of(st.integers(max_value=-1), not_a_whole).map(lambda s: {"seed": s}),
    st.one_of(unknown.map(lambda u: [u]), unknown.map(lambda u: [f"fte_needed[{u}]"]),
              unknown.map(lambda u: [f"fte_needed[all/{u}]"]), st.just(["fte_needed", "fte_needed"]),
              st.sampled_from([["a b"], ["fte_needed["], [""], 3, [1]])).map(lambda k: {"kpis": k}),
    _bad_factors().map(lambda f: {"factors": f}),
    st.one_of(unknown.map(lambda u: {"scale": 0.002, f"effects.{u}": 1.0}),
              st.sampled_from([{"scale": -0.5}, {"scale": 0.0}, {"years": 0.0}, {"years": "long"},
                               {"scale": math.nan}, {"effects.talk_weeks": 3.0}])).map(lambda s: {"set": s}),
    st.one_of(unknown, st.just(""), st.just("/")).map(lambda b: {"base": b}),
    st.sampled_from(["", "..", "a/b", ".hidden", "x" * 101]).map(lambda n: {"name": n}),
    st.one_of(st.floats(max_value=-0.001), st.just(math.nan), st.text(max_size=3)).map(lambda f: {"flush_seconds": f}),
    st.one_of(st.text(max_size=3), st.integers()).map(lambda r: {"retry_errors": r}),
    unknown.map(lambda m: {"model": f"{m}:f"}),
)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(change=MUTATIONS)
def test_generated_bad_sweep_files_end_in_one_line_and_exit_2(tmp_path_factory, capsys, no_simulation, change):
    tmp = tmp_path_factory.mktemp("fuzz")
    code, out = run_cli(tmp, {**VALID, **change})
    assert code == 2, change
    assert_one_line_error(capsys)
    assert not out.exists()


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(text=st.text(st.characters(exclude_categories=["Cs"]), max_size=60))
def test_generated_garbage_sweep_files_end_in_one_line(tmp_path_factory, capsys, no_simulation, text):
    tmp = tmp_path_factory.mktemp("garbage")
    code, out = run_cli(tmp, text)
    assert code == 2, text
    assert_one_line_error(capsys)
    assert not out.exists()


def test_parse_spec_refuses_mixed_levels_in_one_line():
    with pytest.raises(sim.ParamError, match="all of one kind") as exc:
        parse_spec({"design": "grid", "factors": {"a": {"levels": [1, "b", True]}}})
    assert "\n" not in str(exc.value)


def test_a_damaged_sweep_folder_is_one_line(tmp_path, monkeypatch, capsys):
    (tmp_path / "flaky_model.py").write_text(textwrap.dedent(FLAKY))
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.setenv("FLAKY_MARKER", str(tmp_path / "absent"))
    spec = {"name": "damaged", "model": "flaky_model:model", "design": "lhs", "points": 4, "kpis": ["y"],
            "factors": {"x": [0.0, 1.0]}}
    code, out = run_cli(tmp_path, spec)
    assert code == 0
    capsys.readouterr()
    part = sorted((out / "tasks").glob("part-*.parquet"))[0]
    part.write_bytes(b"not parquet")
    assert run_cli(tmp_path, spec)[0] == 2
    assert_one_line_error(capsys, part.name, "delete that part")
    (out / "sweep.json").write_text("{ broken")
    assert run_cli(tmp_path, spec)[0] == 2
    assert_one_line_error(capsys, "sweep.json")

"""Fuzz the command line with bad input (issue 13, deliverable 6): over a thousand generated bad
``--set`` values, scenario TOML files and calibration CSVs go through the `caseload` entry point
in this process. Every one must end with exit code 2 and exactly one line on stderr, never a
traceback.

Each generator produces input that is bad by construction (a non-finite or negative number, a word
where a number belongs, an unknown parameter, a figure line that cannot count, bytes that are not
text), so a case that exits 0 is itself a finding: nonsense accepted. No case may start a
simulation: the runners are replaced by a function that fails the test, which also keeps the
test fast. Sweep files are fuzzed with the sweep tests."""

from __future__ import annotations

import contextlib
import io
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import sim
from sim.cli.main import main

FUZZ = settings(max_examples=350, deadline=None, derandomize=True, database=None,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much,
                                       HealthCheck.function_scoped_fixture])
SMALL_FUZZ = settings(FUZZ, max_examples=150)

DEFAULT = sim.load_params()
NUMERIC_PATHS = sorted(p for p in DEFAULT.numeric_paths() if ".fte." not in p)  # FTE steps are a list of tables


def _all_keys(node: Any) -> set[str]:
    if isinstance(node, dict):
        return set(node) | {k for v in node.values() for k in _all_keys(v)}
    if isinstance(node, list):
        return {k for v in node for k in _all_keys(v)}
    return set()


KNOWN_KEYS = _all_keys(DEFAULT.raw) | {"extends", "source", "municipality", "from"}
TABLES = ["", "exemption", "calendar", "planning", "effects", "effects.talk_multiplier", "money",
          "money.benefit_dkk_per_week", "frailty", "trials", "trials.choice", "trials.talk_time_factor",
          "caseworker_time", "caseworker_time.case_work_hours_per_week", "capacity", "capacity.providers",
          "groups", "groups.dagpenge", "groups.jobparat.hazard", "groups.oevrige.hazard.to", "offers.types",
          "offers.types.oevo", "overhead", "money.oevo_mentor_beyond_offers_dkk_per_week"]


@pytest.fixture(scope="module", autouse=True)
def no_simulation() -> Iterator[None]:
    """A case that reached a simulation would fail here instead of running for minutes."""
    def refuse(*_a: Any, **_k: Any) -> None:
        raise AssertionError("a fuzz case started a simulation: the input was not refused")

    import sim.cli.compare as compare
    import sim.cli.run as run
    import sim.cli.validation as validation
    import sim.studies.calibration.procedure as procedure

    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(run, "run", refuse)
        mp.setattr(compare, "compare", refuse)
        mp.setattr(validation, "run_validation", refuse)
        mp.setattr(procedure, "check_run", refuse)
        yield


@pytest.fixture(scope="module")
def folder() -> Iterator[Path]:
    with tempfile.TemporaryDirectory(prefix="caseload-fuzz-") as d:
        yield Path(d)


def assert_one_line_exit_2(argv: list[str]) -> None:
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = main(argv)
    text = err.getvalue()
    assert code == 2, f"exit {code} for {argv!r}: {text or out.getvalue()[-300:]}"
    assert len(text.splitlines()) == 1, f"{len(text.splitlines())} lines for {argv!r}: {text}"
    assert text.startswith("error: ") and "Traceback" not in text


# ------------------------------------------------------------------------------------ values

words = st.from_regex(r"\A[A-Za-z][A-Za-z_ ]{0,15}\Z").filter(lambda s: s.strip() != "little")
negatives = st.one_of(st.floats(max_value=-2.0, allow_nan=False, allow_infinity=False).map(repr),
                      st.integers(max_value=-2).map(str))
non_finite = st.sampled_from(["nan", "inf", "-inf", "+inf", "+nan", "1e400", "-1e999"])
wrong_types = st.one_of(st.sampled_from(["true", "false", "2027-01-01", "12:00:00", '""', "[]", "{}"]),
                        st.lists(words, min_size=1, max_size=3).map(lambda ws: "[" + ", ".join(
                            '"' + w + '"' for w in ws) + "]"),
                        words.map(lambda w: "{ " + w.strip().replace(" ", "_") + " = 1 }"))
bad_numbers = st.one_of(non_finite, negatives, words, wrong_types)
# a bare key that no scenario table knows, so it can only be refused
new_keys = st.from_regex(r"\A[a-z][a-z0-9_]{0,11}\Z").filter(lambda k: k not in KNOWN_KEYS)


@st.composite
def set_pairs(draw: st.DrawFn) -> str:
    """One `--set` argument that must be refused."""
    kind = draw(st.sampled_from(["bad value", "unknown path", "malformed"]))
    if kind == "bad value":
        return f"{draw(st.sampled_from(NUMERIC_PATHS))}={draw(bad_numbers)}"
    if kind == "unknown path":
        table = draw(st.sampled_from(TABLES))
        key = draw(new_keys)
        return f"{table + '.' if table else ''}{key}={draw(st.sampled_from(['1', '0.5', 'x', '[1]']))}"
    return draw(st.sampled_from(["scale", "=1", " =1", "a..b=1", ".scale=1", "scale.=1", "scale.x=1",
                                 "groups.dagpenge.stock.x=1", "municipality=", "municipality=Atlantis"]))


@given(pair=set_pairs(), command=st.sampled_from(["validate", "run", "describe"]))
@FUZZ
def test_bad_set_values(pair: str, command: str, folder: Path) -> None:
    argv = [command, "national_default", "--set", pair]
    if command == "run":
        argv += ["--out", str(folder / "run"), "--replications", "2"]
    assert_one_line_exit_2(argv)


@given(option=st.sampled_from(["--scale", "--seed", "--replications", "--workers"]), value=bad_numbers)
@SMALL_FUZZ
def test_bad_validation_arguments(option: str, value: str, folder: Path) -> None:
    """`caseload validation` takes no scenario: its own numbers are what a user can get wrong."""
    assert_one_line_exit_2(["validation", f"{option}={value}", "--out", str(folder / "validation")])


# -------------------------------------------------------------------------------- TOML files

def _toml_text(path: str, value: str) -> str:
    """`path = value` as a TOML table entry below a line that extends the national default."""
    *table, key = path.split(".")
    head = f"[{'.'.join(table)}]\n" if table else ""
    return f'extends = "national_default"\n{head}{key} = {value}\n'


@st.composite
def toml_files(draw: st.DrawFn) -> bytes:
    """A scenario file that must be refused: a bad value or key, a bad `extends`, or not TOML."""
    kind = draw(st.sampled_from(["bad value", "unknown key", "bad extends", "bytes", "text"]))
    if kind == "bad value":
        value = draw(st.one_of(non_finite, negatives, wrong_types, words.map(lambda w: '"' + w + '"')))
        return _toml_text(draw(st.sampled_from(NUMERIC_PATHS)), value).encode()
    if kind == "unknown key":
        table = draw(st.sampled_from(TABLES))
        return _toml_text(f"{table + '.' if table else ''}{draw(new_keys)}", "1").encode()
    if kind == "bad extends":
        target = draw(st.sampled_from(['5', '""', '"/"', '"no_such_scenario"', '"fuzz.toml"', "[1]",
                                       '"national_default\\u0000"', '"' + "x" * 300 + '"']))
        return f"extends = {target}\n".encode()
    if kind == "bytes":
        return draw(st.binary(max_size=200))
    return draw(st.text(max_size=200)).encode("utf-8", "surrogatepass")


@given(content=toml_files())
@FUZZ
def test_bad_scenario_files(content: bytes, folder: Path) -> None:
    path = folder / "fuzz.toml"  # a file that extends "fuzz.toml" extends itself: a cycle
    path.write_bytes(content)
    assert_one_line_exit_2(["validate", str(path)])


# --------------------------------------------------------------------------- calibration CSVs

GOOD_ROWS = ["population,,100000,", "stock,jobparat,1000,", "mean_spell_weeks,jobparat,30,",
             "stock,dagpenge,2000,", "inflow_per_year,dagpenge,5000,", "caseworker_fte,municipality,40,",
             "fte_target,municipality,60,"]
PROVIDER_FIGURES = ["caseworker_fte", "fte_target"]
GROUP_FIGURES = ["stock", "inflow_per_year", "mean_spell_weeks", "share_to_work"]
cells = st.text(alphabet=st.characters(blacklist_categories=("Cs",), blacklist_characters='",\r\n'), max_size=12)


@st.composite
def bad_rows(draw: st.DrawFn) -> str:
    """One figure line that cannot count."""
    group = draw(st.sampled_from(["dagpenge", "jobparat", "oevrige"]))
    kind = draw(st.sampled_from(["unknown figure", "unknown group", "unknown provider", "duplicate", "empty",
                                 "bad number", "share", "group column", "extra field", "municipality"]))
    if kind == "unknown figure":
        return f"{draw(new_keys.filter(lambda k: k not in GROUP_FIGURES))},{group},1,"
    if kind == "unknown group":
        return f"{draw(st.sampled_from(GROUP_FIGURES))},{draw(new_keys)},1,"
    if kind == "unknown provider":
        provider = draw(new_keys.filter(lambda k: k not in ('municipality', 'akasse', 'other')))
        return f"{draw(st.sampled_from(PROVIDER_FIGURES))},{provider},1,"
    if kind == "duplicate":
        return draw(st.sampled_from(GOOD_ROWS))
    if kind == "empty":
        return f"{draw(st.sampled_from(GROUP_FIGURES + ['population', 'rules', 'municipality']))},{group},,"
    if kind == "bad number":
        value = draw(st.one_of(non_finite, negatives.filter(lambda v: float(v) <= -1e-6), words))
        return f"{draw(st.sampled_from(GROUP_FIGURES + ['population'] + PROVIDER_FIGURES))},{group},{value},"
    if kind == "share":
        return f"share_to_work,{group},{draw(st.sampled_from(['0', '1', '1.5', '62', '100']))},"
    if kind == "group column":
        return f"{draw(st.sampled_from(['population', 'rules', 'municipality']))},{group},1,"
    if kind == "extra field":
        return f"stock,{group},1,000,{draw(cells)}"
    return f"municipality,,{draw(words.filter(lambda w: len(w.strip()) > 3))}xq,"


@st.composite
def figure_files(draw: st.DrawFn) -> bytes:
    """Good lines with one bad line among them, or something that is not a figures CSV at all."""
    kind = draw(st.sampled_from(["bad line", "bad line", "bad line", "bytes", "text", "header"]))
    if kind == "bad line":
        rows = draw(st.lists(st.sampled_from(GOOD_ROWS), unique=True, max_size=len(GOOD_ROWS)))
        bad = draw(bad_rows())
        if bad in GOOD_ROWS and bad not in rows:  # a duplicate needs its first occurrence
            rows.append(bad)
        rows.insert(draw(st.integers(0, len(rows))), bad)
        return ("figure,group,value,source\n" + "\n".join(rows) + "\n").encode()
    if kind == "bytes":
        return draw(st.binary(max_size=200))
    if kind == "header":
        header = draw(st.sampled_from(["figure,group", "", "value,source", "a,b,c,d"]))
        return (header + "\n" + "\n".join(GOOD_ROWS) + "\n").encode()
    return draw(st.text(max_size=200)).encode("utf-8", "surrogatepass")


@given(content=figure_files())
@FUZZ
def test_bad_figure_files(content: bytes, folder: Path) -> None:
    path = folder / "figures.csv"
    path.write_bytes(content)
    assert_one_line_exit_2(["calibrate", str(path), "--out", str(folder / "calibrated.toml")])
    assert not (folder / "calibrated.toml").exists()


@given(content=toml_files())
@SMALL_FUZZ
def test_bad_scenario_files_in_compare(content: bytes, folder: Path) -> None:
    """The same files as scenario B of a comparison: refused before A is run."""
    path = folder / "b.toml"
    path.write_bytes(content)
    assert_one_line_exit_2(["compare", "national_default", str(path), "--out", str(folder / "cmp")])

"""Bad input ends in one line and exit code 2, checked before anything is simulated (issue 13).

Each test names the class of input it guards: nonsense numbers, dates the rule sets cannot speak
for, output paths that cannot be written, files that are not what they claim, errors that must
survive a trip through a worker process, and the municipality preset that must not drop the
user's own values. Expected values are worked out by hand in the comments."""

from __future__ import annotations

import argparse
import contextlib
import io
import math
import pickle
import sys
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import pytest

import sim
from sim.cli import main as cli_main
from sim.cli.main import build_parser, main
from sim.experiment.executors import TaskLost, WorkerDied, WorkersLost
from sim.inputs.arguments import parse_overrides, parse_replications, parse_seed, parse_workers
from sim.inputs.errors import ParamError, one_line
from sim.inputs.files import check_output_file, check_output_folder, is_shipped, params_dir
from sim.inputs.municipalities import find, population_share


def cli(argv: list[str]) -> tuple[int, str, str]:
    """Run the `caseload` entry point in this process; return (exit code, stdout, stderr)."""
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = main(argv)
    return code, out.getvalue(), err.getvalue()


def one_error_line(err: str) -> str:
    lines = err.splitlines()
    assert len(lines) == 1, err
    assert "Traceback" not in err
    return lines[0]


@pytest.fixture
def no_simulation(monkeypatch):
    """Any simulation started by a command fails the test: bad input must be refused before."""
    def refuse(*_a, **_k):
        raise AssertionError("a simulation started before the input was checked")

    import sim.cli.compare as cmp
    import sim.cli.run as run
    import sim.cli.staff as staff
    import sim.cli.validation as validation
    import sim.studies.calibration.procedure as procedure

    monkeypatch.setattr(run, "run", refuse)
    monkeypatch.setattr(staff, "find_staffing", refuse)
    monkeypatch.setattr(cmp, "compare", refuse)
    monkeypatch.setattr(validation, "run_validation", refuse)
    monkeypatch.setattr(procedure, "check_run", refuse)


# ------------------------------------------------------------------------------------------ help


def test_help_works_for_the_program_and_every_command():
    # a '%' in a help text breaks argparse's formatting only when the help is printed
    assert cli(["--help"])[0] == 0 and cli(["-h"])[0] == 0
    sub = next(a for a in build_parser()._actions if isinstance(a, argparse._SubParsersAction))
    commands = sub.choices
    assert {"run", "validate", "staff", "compare", "calibrate", "report", "charts", "describe"} <= set(commands)
    for name in commands:
        code, out, _ = cli([name, "--help"])
        assert code == 0 and f"caseload {name}" in out, name


def test_a_command_line_argparse_refuses_is_one_line():
    code, _, err = cli(["run", "--no-such-option"])
    assert code == 2 and "--no-such-option" in one_error_line(err)
    code, _, err = cli([])
    assert code == 2 and "COMMAND" in one_error_line(err)


# ------------------------------------------------------------------------ errors are one line


def test_error_text_is_always_one_line():
    # a TOML key or CSV cell can hold a newline, a tab or U+2028; the message must not break
    err = ParamError("groups.a\nb", "x\u2028y", "allowed\r\nhere")
    assert len(str(err).splitlines()) == 1 and "\\n" in str(err)
    assert one_line("a\tb") == "a\\tb"


def test_param_error_pickles_with_its_parts():
    err = ParamError("exemption.share", 0.5, "0 to 0.25")
    back = pickle.loads(pickle.dumps(err))
    assert (back.field, back.value, back.allowed, str(back)) == (err.field, 0.5, err.allowed, str(err))
    odd = pickle.loads(pickle.dumps(ParamError("f", lambda: 1, "x")))  # a value that does not pickle
    assert odd.field == "f" and odd.value.startswith("<function")


@pytest.mark.parametrize("exc", [cli_main.UsageError("caseload run: bad"), WorkersLost("pool broke"),
                                 WorkerDied("task 'k' died"), TaskLost("task 'k' lost")])
def test_every_error_a_user_can_see_pickles(exc):
    back = pickle.loads(pickle.dumps(exc))
    assert type(back) is type(exc) and str(back) == str(exc)


def _raise_param_error(field: str) -> None:
    raise ParamError(field, [1, 2], "something else")


def test_param_error_crosses_a_process_pool_intact():
    with ProcessPoolExecutor(max_workers=1) as pool:
        exc = pool.submit(_raise_param_error, "groups.jobparat.stock").exception(timeout=60)
    assert isinstance(exc, ParamError)
    assert (exc.field, exc.value, exc.allowed) == ("groups.jobparat.stock", [1, 2], "something else")


def test_an_error_inside_a_worker_reaches_the_user_as_that_error():
    # a jobparat stock of 100 cannot hold what the other groups send in; the model finds this when
    # it starts, i.e. inside the worker process, and the caller must get the ParamError itself
    params = sim.load_params(overrides={"groups.jobparat.stock": 100.0, "scale": 0.001, "years": 0.1})
    with pytest.raises(ParamError) as err:
        sim.run(params, replications=2, seed=1, workers=2)
    assert err.value.field == "groups.jobparat.stock" and err.value.value == 100.0


# ------------------------------------------------------------------------ nonsense at load time


@pytest.mark.parametrize("overrides, field", [
    ({"groups.dagpenge.seasonality": [math.nan] + [1.0] * 11}, "groups.dagpenge.seasonality.0"),
    ({"groups.dagpenge.inflow_per_year": math.inf}, "groups.dagpenge.inflow_per_year"),
    ({"groups.jobparat.stock": math.inf}, "groups.jobparat.stock"),
    ({"money.population": "nan"}, "money.population"),  # a string parsed as TOML: nan
    ({"effects.talk_multiplier.dagpenge": -math.inf}, "effects.talk_multiplier.dagpenge"),
    ({"trials.talk_multiplier.akasse": -0.5}, "trials.talk_multiplier.akasse"),
    ({"trials.talk_time_factor.akasse": -1.0}, "trials.talk_time_factor.akasse"),
    ({"trials.price_dkk_per_participant.akasse": -100.0}, "trials.price_dkk_per_participant.akasse"),
    ({"scale": True}, "scale"),  # pydantic would read true as 1.0
    ({"effects.talk_multiplier.no_such_group": 1.0}, "effects.talk_multiplier.no_such_group"),
    ({"money.benefit_dkk_per_week.no_such_group": 1.0}, "money.benefit_dkk_per_week.no_such_group"),
    ({"years": 6 / 365.25}, "years"),  # rounds to 6 days, under the one week minimum
    ({"years": 0.0001}, "years"),  # rounds to 0 days
    ({"start_date": "9999-01-01"}, "start_date"),
    ({"start_date": "1900-01-01"}, "start_date"),
    ({"start_date": "2026-12-31"}, "start_date"),  # the day before reform_2027 is in force
    ({"start_date": "2038-01-01"}, "start_date"),  # reform_2027 from 2027 + 10 years ends 2037-12-31
    ({"capacity.providers.municipality.fte": [{"from": "2028-01-01", "fte": 10.0}]},
     "capacity.providers.municipality.fte"),  # starts after 2027-01-01: no caseworkers in 2027
    ({"capacity.providers.akasse.fte": [{"from": "2024-01-01", "fte": 1.0}, {"from": "2024-01-01", "fte": 2.0}]},
     "capacity.providers.akasse.fte"),  # two steps on one date
    # the workload tables of issue 11 follow the same rules
    ({"overhead.management_share": math.nan}, "overhead.management_share"),
    ({"overhead.other_groups_fte": -1.0}, "overhead.other_groups_fte"),
    ({"overhead.employer_service_fte": math.inf}, "overhead.employer_service_fte"),
    ({"overhead.administration_share": True}, "overhead.administration_share"),
    ({"overhead.provider": "municipalty"}, "overhead.provider"),  # the block would be booked on no one
    ({"money.oevo_mentor_beyond_offers_dkk_per_week.dagpenge": -260.0},
     "money.oevo_mentor_beyond_offers_dkk_per_week.dagpenge"),
    ({"money.oevo_mentor_beyond_offers_dkk_per_week.dagpenge": math.nan},
     "money.oevo_mentor_beyond_offers_dkk_per_week.dagpenge"),
    ({"money.oevo_mentor_beyond_offers_dkk_per_week.dagpnge": 260.0},
     "money.oevo_mentor_beyond_offers_dkk_per_week.dagpnge"),  # a misspelt group would be ignored
])
def test_nonsense_is_refused_at_load(overrides, field):
    with pytest.raises(ParamError) as err:
        sim.load_params(overrides=overrides)
    assert err.value.field == field, str(err.value)
    assert "\n" not in str(err.value)


@pytest.mark.parametrize("overrides", [
    {"years": 7 / 365.25},  # exactly one week
    {"start_date": "2027-01-01"},  # the day reform_2027 comes into force
    {"start_date": "2037-12-31"},  # the last day of the tenth year after it
    {"start_date": "2026-03-01", "rules": "pre_reform", "exemption.share": 0.0},  # pre_reform: from 2024
    {"capacity.providers.municipality.fte": [{"from": "2027-01-01", "fte": 10.0}]},  # starts on start_date
    {"trials.talk_multiplier.akasse": 0.0},
])
def test_the_edges_of_what_is_allowed_load(overrides):
    sim.load_params(overrides=overrides)


def test_validate_refuses_nan_in_a_file(tmp_path):
    bad = tmp_path / "nan.toml"
    bad.write_text('extends = "national_default"\n[groups.oevrige]\nseasonality = '
                   "[1.0, 1.0, nan, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0]\n")
    code, _, err = cli(["validate", str(bad)])
    assert code == 2 and one_error_line(err).startswith("error: groups.oevrige.seasonality.2 = nan")


WORK_ITEM = """
[[work_items]]
id = "{id}"
label_en = "An extra item"
label_da = "En ekstra opgave"
trigger = "talk"
hours = {hours}
groups = {groups}
provider = "{provider}"
source = "[S] test"
"""


@pytest.mark.parametrize("change, field", [
    ({"hours": "nan"}, "rules[{path}].work_items.{last}.hours"),
    ({"hours": "-0.5"}, "rules[{path}].work_items.{last}.hours"),
    ({"hours": "true"}, "rules[{path}].work_items.{last}.hours"),
    ({"groups": '["dagpnge"]'}, "rules[{path}].work_items[extra].groups"),  # a misspelt group books nothing
    ({"id": "talk_docs"}, "rules[{path}].work_items.id"),  # an id already in pre_reform
    ({"provider": "kommune"}, "rules[pre_reform_extra].work_items[extra].provider"),  # not a provider
])
def test_a_rule_sets_work_items_are_checked_like_the_scenario(tmp_path, change, field):
    rules = (params_dir() / "rules" / "pre_reform.toml").read_text(encoding="utf-8")
    ids = rules.count("[[work_items]]")
    item = {"id": "extra", "hours": "0.5", "groups": '["dagpenge"]', "provider": "municipality", **change}
    path = tmp_path / "pre_reform_extra.toml"
    path.write_text(rules.replace('name = "pre_reform"', 'name = "pre_reform_extra"', 1)
                    + WORK_ITEM.format(**item), encoding="utf-8")
    with pytest.raises(ParamError) as err:
        sim.load_params(overrides={"rules": str(path), "exemption.share": 0.0, "start_date": "2025-01-01"})
    assert err.value.field == field.format(path=path, last=ids), str(err.value)
    assert "\n" not in str(err.value)


def test_validate_refuses_stocks_the_other_groups_overfill():
    # the model's own start-up check, made by `validate` before any simulation
    code, _, err = cli(["validate", "national_default", "--set", "groups.jobparat.stock=100"])
    assert code == 2 and "groups.jobparat.stock" in one_error_line(err)


# ------------------------------------------------------------------------ command-line values


@pytest.mark.parametrize("parse, text", [
    (parse_seed, "-1"), (parse_seed, "1.5"), (parse_seed, "x"), (parse_seed, str(2**63)),
    (parse_workers, "0"), (parse_workers, "-3"), (parse_workers, "two"),
    (parse_replications, "0"), (parse_replications, "10001"), (parse_replications, "auto5"),
])
def test_command_line_numbers_are_checked(parse, text):
    with pytest.raises(ParamError):
        parse(text)


def test_command_line_numbers_that_are_fine():
    assert parse_seed("0") == 0 and parse_seed(str(2**63 - 1)) == 2**63 - 1
    assert parse_workers(None) is None and parse_workers("1") == 1
    assert parse_replications("10000") == 10000 and parse_replications(" AUTO ") == "auto"


@pytest.mark.parametrize("pairs", [["=1"], ["a..b=1"], [".scale=1"], ["scale=0.1", "scale=0.2"], ["scale"]])
def test_set_pairs_are_checked(pairs):
    with pytest.raises(ParamError) as err:
        parse_overrides(pairs)
    assert err.value.field == "--set"


def test_staff_replications_auto_is_one_line(no_simulation):
    code, _, err = cli(["staff", "--replications", "auto", "--target", "first_talk_on_time>=0.9"])
    assert code == 2 and "auto is only for `caseload run`" in one_error_line(err)


# ------------------------------------------------------------------------ output paths, first


def test_output_folder_checks(tmp_path):
    a_file = tmp_path / "a_file"
    a_file.write_text("x")
    for bad in ("", "   ", str(a_file), str(a_file / "below")):
        with pytest.raises(ParamError):
            check_output_folder(bad)
    assert check_output_folder(tmp_path / "new" / "deeper") == tmp_path / "new" / "deeper"
    assert not (tmp_path / "new").exists()  # checking creates nothing
    assert list(tmp_path.iterdir()) == [a_file]  # and leaves no probe behind
    with pytest.raises(ParamError):
        check_output_file(tmp_path)  # a folder is not a file
    with pytest.raises(ParamError):
        check_output_file(tmp_path / "x.csv", suffix=".toml")


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="/proc refuses new files only on Linux")
def test_an_unwritable_place_is_refused_even_for_root():
    # os.access says yes to root everywhere; a real probe says no in /proc
    with pytest.raises(ParamError) as err:
        check_output_folder("/proc/caseload-test-out")
    assert err.value.field == "--out"


@pytest.mark.parametrize("argv", [
    ["run", "--set", "scale=0.001", "--out", "{file}"],
    ["run", "--set", "scale=0.001", "--out", ""],
    ["run", "--set", "scale=0.001", "--out", "{file}/sub"],
    ["run", "--seed", "-1", "--out", "{dir}/r"],
    ["run", "--workers", "0", "--out", "{dir}/r"],
    ["run", "--set", "years=0.0001", "--out", "{dir}/r"],
    ["run", "--set", "start_date=9999-01-01", "--out", "{dir}/r"],
    ["compare", "national_default", "national_default", "--out", "{file}"],
    ["staff", "--target", "first_talk_on_time>=0.9", "--out", "{file}"],
    ["validation", "--out", "{file}"],
    ["validation", "--scale", "nan", "--out", "{dir}/v"],
    ["validation", "--scale", "-0.02", "--out", "{dir}/v"],
    ["validation", "--seed", "-1", "--out", "{dir}/v"],
    ["validation", "--replications", "1", "--out", "{dir}/v"],
    ["validation", "--workers", "0", "--out", "{dir}/v"],
    ["calibrate", "{figures}", "--out", "{dir}"],
    ["calibrate", "{figures}", "--out", ""],
    ["describe", "--out", "{file}/x.md"],
    ["report", "{dir}", "--out", "{dir}"],
    ["charts", "{dir}", "--out", "{file}"],
])
def test_bad_arguments_are_refused_before_simulating(argv, tmp_path, no_simulation):
    (tmp_path / "file").write_text("x")
    figures = params_dir() / "calibration_example.csv"
    argv = [a.format(file=tmp_path / "file", dir=tmp_path, figures=figures) for a in argv]
    code, _, err = cli(argv)
    assert code == 2, err
    one_error_line(err)


def test_inputs_that_are_not_what_they_claim(tmp_path, no_simulation):
    binary = tmp_path / "binary.toml"
    binary.write_bytes(b"\x00\x01\xff\xfe binary")
    for argv in (["validate", str(binary)], ["validate", str(tmp_path)], ["run", str(binary), "--out", str(tmp_path)],
                 ["calibrate", str(binary), "--out", str(tmp_path / "x.toml")],
                 ["charts", str(binary)], ["report", str(tmp_path / "missing")],
                 ["validate", "national_default", "--set", f"rules={binary}"]):
        code, _, err = cli(argv)
        assert code == 2, (argv, err)
        one_error_line(err)


def _run_folder(folder: Path) -> Path:
    """A minimal run folder written by hand: the files the charts and the report need."""
    folder.mkdir()
    (folder / "run.json").write_text('{"scenario": "x", "seed": 1, "replications": 2, "scale": 0.1, "years": 1}')
    (folder / "summary.csv").write_text("kpi,group,provider,mean,ci_low,ci_high,n\nstock_mean,all,all,1,0.5,1.5,2\n")
    return folder


@pytest.mark.parametrize("file, content", [
    ("weekly.parquet", b"PAR1 this is not parquet"),
    ("weekly.parquet", b""),
    ("summary.csv", b"\x00\xff\xfe\x00"),
    ("summary.csv", b"kpi,group,provider,mean,ci_low,ci_high\nx,all,all,high,low,hi\n"),
    ("run.json", b'{"scenario": "x", "seed"'),
    ("run.json", b"[1, 2]"),
    ("run.json", b'{"scale": "abc"}'),
    ("run.json", b'{"start_date": "someday"}'),
    ("run.json", b'{"scale": null}'),
    ("run.json", b'{"params": {"groups": {"jobparat": true}}}'),  # the report reads a group's labels
    ("run.json", b'{"legal_thresholds": [{"kpi": "first_talk_on_time", "threshold": "high"}]}'),
    ("compliance.csv", b"not,a,compliance,table\n"),
])
def test_corrupt_run_folder_files_are_one_line(tmp_path, file, content):
    run = _run_folder(tmp_path / "run")
    (run / file).write_bytes(content)
    for argv in (["report", str(run)], ["charts", str(run)]):
        code, _, err = cli(argv)
        assert code == 2, (argv, err)
        assert file in one_error_line(err)


def test_charts_into_a_run_folders_existing_charts_folder(tmp_path, monkeypatch):
    # the default output folder exists after the first `caseload charts`: a second one must not be refused
    run = _run_folder(tmp_path / "run")
    (run / "charts").mkdir()
    import sim.output.charts as charts

    monkeypatch.setattr(charts, "write_chart_pack", lambda *_a: [run / "charts" / "x.png", run / "charts" / "c.pdf"])
    assert cli(["charts", str(run)])[0] == 0


# ------------------------------------------------------------------- how other endings look


def test_internal_errors_say_how_to_report_them(monkeypatch):
    def bug(_args):
        raise ZeroDivisionError("division by zero")

    import sim.cli.run as run

    monkeypatch.setattr(run, "cmd_validate", bug)
    code, _, err = cli(["validate", "national_default"])
    assert code == 70 and "bug" in one_error_line(err) and "--debug" in err
    code, _, err = cli(["--debug", "validate", "national_default"])
    assert code == 70 and "Traceback" in err and "ZeroDivisionError" in err.splitlines()[-1]


@pytest.mark.parametrize("exc, code", [(KeyboardInterrupt(), 130), (OSError(28, "No space left on device", "f"), 1)])
def test_interrupts_and_system_errors_are_one_line(monkeypatch, exc, code):
    def fail(_args):
        raise exc

    import sim.cli.run as run

    monkeypatch.setattr(run, "cmd_validate", fail)
    got, _, err = cli(["validate", "national_default"])
    assert got == code
    one_error_line(err)


# ------------------------------------------------------------------------ municipality preset


def test_the_users_overrides_win_over_the_municipality_preset():
    odense = find("Odense")  # in the extended a-kasse trial: the preset sets free_choice_share 0
    assert not odense.free_choice
    p = sim.load_params(overrides={"municipality": "Odense", "scale": "0.5", "trials.free_choice_share": "1"})
    assert p.scenario.municipality == "Odense"
    assert p.scenario.scale == 0.5 and p.scenario.trials.free_choice_share == 1.0
    assert p.sources["scale"] == "override (user)" == p.sources["trials.free_choice_share"]
    alone = sim.load_params(overrides={"municipality": "Odense"})  # the preset itself still works
    assert alone.scenario.scale == pytest.approx(population_share(odense))
    assert alone.scenario.trials.free_choice_share == 0.0 and "Odense" in alone.sources["scale"]


def test_a_scenario_files_own_values_win_over_its_municipality(tmp_path):
    f = tmp_path / "mine.toml"
    f.write_text('extends = "national_default"\nmunicipality = "copenhagen"\nscale = 0.3\n')
    p = sim.load_params(f)
    # København is a free-choice municipality: the trial comes from the preset, the scale from the file
    assert p.scenario.municipality == "København" and p.scenario.scale == 0.3
    assert p.scenario.trials.free_choice_share == 1.0
    assert "København" not in (p.sources.get("scale") or "")


@pytest.mark.parametrize("name", ["", "   ", "Odensee"])
def test_a_bad_municipality_is_one_line(name):
    code, _, err = cli(["validate", "national_default", "--set", f"municipality={name}"])
    assert code == 2 and one_error_line(err).startswith("error: municipality =")


def test_shipped_files_are_recognised():
    assert is_shipped(params_dir() / "national_default.toml")
    assert is_shipped(params_dir() / "rules" / "pre_reform.toml")
    assert is_shipped(params_dir() / "municipalities.csv")
    assert not is_shipped(params_dir() / "odense.toml")  # a planner's own scenario beside them

"""A planner's first look (issue 15 items 1-2): help that works with examples, and a headline of
at most 25 lines that says the scenario, the population and the answer with intervals.

The headline's numbers are checked against a summary made by hand here (no simulation), so a
line that shows another KPI, provider or interval fails; the CLI tests run a tiny scenario and
count lines."""

from __future__ import annotations

import argparse
import json
import shlex

import pandas as pd
import pytest

from sim.cli.main import build_parser, main
from sim.output.headline import HEADLINE_MAX_LINES, format_headline, headline_lines

META = {"scenario": "hand", "rules": "reform_2027", "years": 1.0, "start_date": "2027-01-01", "replications": 3,
        "seed": 7, "scale": 0.02, "params": {"description": "A hand-made summary", "exemption": {"share": 0.25,
                                                                                            "policy": "random"}},
        "population": {"name": "Denmark", "share": 1.0, "scale": 0.02, "factor": 50.0, "inhabitants": 5_960_000.0}}


def _summary() -> pd.DataFrame:
    rows = [("stock_mean", "all", 244_000.0, 243_000.0, 245_000.0), ("persons_start", "all", 244_700.0, 244_700.0,
                                                                        244_700.0),
            ("exit_work_or_education_6m", "all", 0.658, 0.629, 0.688),
            ("fte_needed", "municipality", 10_879.0, 10_837.0, 10_920.0), ("fte_needed", "akasse", 542.0, 524.0, 560.0),
            ("fte_needed", "all", 11_426.0, 11_377.0, 11_475.0),
            ("net_dkk_per_year", "all", 58_787e6, 58_489e6, 59_084e6)]
    return pd.DataFrame([{"kpi": k, "group": "all", "provider": p, "mean": m, "ci_low": lo, "ci_high": hi, "n": 3}
                         for k, p, m, lo, hi in rows])


def _compliance(n: int) -> pd.DataFrame:
    status = ["met", "uncertain", "not met"]
    return pd.DataFrame([{"kpi": f"compliance_kind{i}", "group": "jobparat", "mean": 0.7 + i / 100, "ci_low": 0.6,
                          "ci_high": 0.8, "n": 3, "threshold": 0.75, "status": status[i % 3]} for i in range(n)])


def test_headline_shows_the_hand_numbers_with_intervals() -> None:
    lines = headline_lines(_summary(), _compliance(3), META, where="out/summary.csv")
    text = "\n".join(lines)
    assert lines[0].startswith("Scenario hand: A hand-made summary")
    assert "reform_2027" in lines[1] and "3 replications, seed 7" in lines[1] and "exemption 25 % (random)" in lines[1]
    assert "Denmark (5,960,000 inhabitants)" in lines[2] and "×50" in lines[2] and "4,894 citizens" in lines[2]
    line = {ln.split("  ")[0]: ln for ln in lines}
    assert "244,000" in line["Caseload (mean stock, persons)"] and "[243,000 – 245,000]" in line[
        "Caseload (mean stock, persons)"]
    assert "65.8 %" in line["In work or education within 6 months"]
    assert "[524 – 560]" in line["FTE needed, A-kasse"] and "10,879" in line["FTE needed, Municipality"]
    assert "11,426" in line["FTE needed, all providers"]
    assert "58,787" in line["Net public cost, DKK million a year"]
    # the worst first: not met, then uncertain, then met; each with the law's line
    minimums = [ln for ln in lines if "line 75 %" in ln]
    assert [m.rsplit(": ", 1)[1] for m in minimums] == ["not met", "uncertain", "met"]
    assert lines[-1] == "Full table (7 rows): out/summary.csv"
    assert text.count("citizens at the start") == 1


@pytest.mark.parametrize("n", [0, 5, 40])
def test_headline_fits_in_its_lines_whatever_the_number_of_minimums(n: int) -> None:
    lines = headline_lines(_summary(), _compliance(n), META)
    assert len(lines) <= HEADLINE_MAX_LINES
    assert lines[-1].startswith("Full table")
    if n == 40:
        more = next(ln for ln in lines if ln.startswith("... and"))
        shown = sum("line 75 %" in ln for ln in lines)
        assert more.startswith(f"... and {40 - shown} more")


def test_an_old_run_without_a_population_says_its_counts_are_the_sample() -> None:
    meta = {k: v for k, v in META.items() if k != "population"}
    text = format_headline(_summary(), None, meta)
    assert "simulated sample at scale 0.02" in text and "Legal minimums: none" in text


# ---------------------------------------------------------------- help


def _subcommands() -> dict[str, argparse.ArgumentParser]:
    ap = build_parser()
    action = next(a for a in ap._actions if isinstance(a, argparse._SubParsersAction))
    return dict(action.choices)


def test_main_help_works_and_has_examples(capsys) -> None:
    assert main(["--help"]) == 0
    out = capsys.readouterr().out
    assert "examples:" in out and "caseload run --scale 0.02 --replications 2" in out


@pytest.mark.parametrize("command", sorted(_subcommands()))
def test_every_command_help_works_with_an_example_that_parses(command: str, capsys) -> None:
    assert main([command, "--help"]) == 0
    out = capsys.readouterr().out
    assert "example" in out and f"caseload {command}" in out
    examples = [ln.strip() for ln in out.split("example", 1)[1].splitlines()[1:] if ln.strip().startswith("caseload")]
    assert examples
    for example in examples:
        words = shlex.split(example.split(" > ")[0])[1:]
        args = build_parser().parse_args(words)  # argparse accepts it (a bad example would exit 2)
        assert args.command == command


# ---------------------------------------------------------------- caseload run


@pytest.fixture(scope="module")
def run_out(tmp_path_factory):
    return tmp_path_factory.mktemp("cli") / "run"


def test_cli_run_prints_at_most_25_lines_and_says_where_the_table_is(run_out, capsys) -> None:
    code = main(["run", "--scale", "0.005", "--years", "0.5", "--replications", "2", "--out", str(run_out),
                 "--workers", "1"])
    assert code == 0
    lines = capsys.readouterr().out.rstrip("\n").splitlines()
    assert len(lines) <= 25, "\n".join(lines)
    text = "\n".join(lines)
    for needle in ("Scenario national_default", "Counts are for Denmark", "Caseload (mean stock", "FTE needed, ",
                   "Legal minimums", "DKK million a year", "within 6 months", f"{run_out}/summary.csv", "--all"):
        assert needle in text, needle
    meta = json.loads((run_out / "run.json").read_text())
    assert meta["scale"] == 0.005 and meta["population"]["factor"] == pytest.approx(200.0)


def test_cli_run_all_prints_the_full_table(tmp_path, capsys) -> None:
    out = tmp_path / "all"
    assert main(["run", "--scale", "0.005", "--years", "0.5", "--replications", "2", "--out", str(out),
                 "--workers", "1", "--all"]) == 0
    printed = capsys.readouterr().out
    summary = pd.read_csv(out / "summary.csv")
    assert len(summary) > 100
    assert sum(ln.startswith(("stock_mean ", "fte_needed ")) for ln in printed.splitlines()) == \
        int(summary["kpi"].isin(["stock_mean", "fte_needed"]).sum())

"""Sources a reader can follow (issue 15, item 8).

Every source in params/ and in a report's assumption list must name a public document or say [A];
none may point to a file outside the repository (the project's working notes, the design brief or
the folder of source documents the parameters were first read from), because a reader of the
repository or of a report has none of them.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

import sim
from sim.inputs.files import params_dir

ROOT = Path(__file__).resolve().parents[1]

# References to files a reader of the repository does not have.
OUTSIDE = re.compile(r"domain\.md|design\.md|seeds?/|seed 0\d*|\[seed|seed NNN|issue\d+_research", re.IGNORECASE)
# What a source string is recognised by: one of the project's tags.
TAG = re.compile(r"\[(A|V|S|D)\b")


def _outside(text: str) -> list[str]:
    return [m.group(0) for m in OUTSIDE.finditer(text)]


def _param_files() -> list[Path]:
    return sorted(p for p in params_dir().rglob("*") if p.is_file() and p.suffix in (".toml", ".csv"))


def test_the_patterns_catch_what_they_should():
    """The check itself, on strings written by hand: the kinds of reference found before the fix."""
    for bad in ("[A] 1,300-1,450 hours (domain.md §7)", "[seed 003] a-kasse talks", "[seed 000]/[A] on request",
                "see design.md", "../shared/seeds/003", "(issue11_research §3.10)"):
        assert _outside(bad), bad
    for good in ("[V] STAR, 'Spørgsmål og svar om beskæftigelsesreformen' (updated 19 Nov 2025)",
                 "[A] 0.25 h per talk", "[V] LAB §§ 31-32", "seed 7 of the run"):
        assert not _outside(good), good


@pytest.mark.parametrize("path", _param_files(), ids=lambda p: str(p.relative_to(params_dir())))
def test_no_parameter_file_points_outside_the_repository(path: Path):
    """Every line of every parameter file, comments included: a comment is where a reader looks
    for the source of the lines below it."""
    bad = [(i, line.strip()) for i, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
           if _outside(line)]
    assert not bad, f"{path.name}: lines pointing outside the repository: {bad[:5]}"


@pytest.mark.parametrize("overrides", [{}, {"rules": "pre_reform", "exemption.share": 0.0}, {"municipality": "Odense"},
                                       {"municipality": "Assens"}])
def test_the_reports_assumptions_and_sources_point_to_public_sources(overrides):
    """What a report prints: the assumption list (run.json's "assumptions") and every source of the
    loaded parameters, for the national default, the old rules and a municipality of each trial."""
    params = sim.load_params(overrides=overrides)
    texts = {**params.sources, **{f"assumption {k}": v for k, v in params.assumptions().items()}}
    assert params.assumptions(), "the national default rests on assumptions; the list must not be empty"
    bad = {k: v for k, v in texts.items() if isinstance(v, str) and _outside(v)}
    assert not bad, f"sources pointing outside the repository: {dict(list(bad.items())[:5])}"


def test_every_default_number_has_a_tagged_source():
    """Each source of the national default carries a tag ([V], [S], [D], [A]) or is a user override,
    so the reader knows what kind of source it is."""
    params = sim.load_params()
    untagged = {k: v for k, v in params.sources.items()
                if isinstance(v, str) and not TAG.search(v) and not v.startswith("override")}
    assert not untagged, f"sources without a tag: {dict(list(untagged.items())[:5])}"


def _source_strings(path: Path) -> list[tuple[int, str]]:
    """String constants in a Python file that are source texts (they carry a tag)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    out = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Constant) and isinstance(node.value, str) and TAG.search(node.value):
            out.append((node.lineno, node.value))
        elif isinstance(node, ast.JoinedStr):
            text = "".join(v.value for v in node.values if isinstance(v, ast.Constant) and isinstance(v.value, str))
            if TAG.search(text):
                out.append((node.lineno, text))
    return out


def test_source_strings_in_the_package_point_to_public_sources():
    """Sources written by the code (a municipality's preset, the calibrated scenario, the validation
    measures) follow the same rule as the parameter files."""
    bad = [(str(p.relative_to(ROOT)), line, text[:80]) for p in sorted((ROOT / "sim").rglob("*.py"))
           for line, text in _source_strings(p) if _outside(text)]
    assert not bad, f"source strings pointing outside the repository: {bad[:5]}"

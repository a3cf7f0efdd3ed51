"""Recheck mutants that mutmut did not kill by running the whole fast selection against each.

Why: mutmut runs, for each mutant, only the tests it saw call the mutated function during its
first pass. Tests that reuse a run cached in a module fixture, or that reach a function through a
worker, are not linked to it, so mutmut can call a mutant "survived" (or "no tests") that a test of
the selection kills (tests/MUTATION.md: ``_score_clarifications`` 9, ``_hand_over`` 40). This script
runs each given mutant with ``MUTANT_UNDER_TEST=NAME python -m pytest -x`` over every test of the
``[tool.mutmut]`` selection, in the mutants/ folder of a scratch copy made by scripts/mutation.sh,
and records how each ended:

- ``killed``: a test failed (pytest exit 1) or the mutant broke collection (exit 2);
- ``timeout``: still running after ``--timeout`` seconds (counts as killed, as in mutmut; check it
  on a quiet machine before trusting it);
- ``survived``: every test passed (exit 0).

Usage (from the repository):
    python scripts/mutation_recheck.py --workdir /tmp/caseload-mutation-sample NAME [NAME ...]
    python scripts/mutation_recheck.py --workdir DIR --not-killed   # every mutant of the sample
                                                                   # done list mutmut did not kill
``--sync-tests`` first copies tests/ and pyproject.toml of this repository into mutants/, so tests
added after the mutmut run count. The results are appended to DIR/mutation-recheck.tsv.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import time
import tomllib
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent


def selection(pyproject: Path) -> list[str]:
    """The fast test selection (files and --deselect pairs) of [tool.mutmut]."""
    cfg = tomllib.loads(pyproject.read_text())["tool"]["mutmut"]
    return list(cfg["pytest_add_cli_args_test_selection"])


def likely_first(tests: list[str], name: str) -> list[str]:
    """The same tests, those named after the mutated module first, then the others newest first.

    Why: pytest -x stops at the first failure, so the order changes only the time a killed mutant
    takes, never the result; the selection lists the slow scenario tests first and the quick unit
    tests (added later) last.
    """
    module = name.split(".x")[0].rsplit(".", 1)[-1]
    options, files, i = [], [], 0
    while i < len(tests):
        if tests[i].startswith("--"):
            options += tests[i:i + 2]
            i += 2
        else:
            files.append(tests[i])
            i += 1
    named = [f for f in files if module in f]
    return named + [f for f in reversed(files) if f not in named] + options


def not_killed(workdir: Path) -> list[str]:
    """The mutants of the sample's done list whose mutmut status is not killed or timeout."""
    from mutmut.stats import status_by_exit_code

    done = set((workdir / "mutation-sample-done.txt").read_text().split())
    names = []
    for meta in (workdir / "mutants").rglob("*.py.meta"):
        for key, code in json.loads(meta.read_text())["exit_code_by_key"].items():
            if key in done and status_by_exit_code[code] not in ("killed", "timeout", "segfault"):
                names.append(key)
    return sorted(names)


def recheck(name: str, mutants: Path, tests: list[str], timeout: float, python: str) -> tuple[str, str, float]:
    """Run the selection against one mutant; (result, first failing test or '', seconds)."""
    env = dict(os.environ, MUTANT_UNDER_TEST=name, PYTHONPATH=str(mutants))
    cmd = [python, "-m", "pytest", "-x", "-q", "-p", "no:cacheprovider", "-n", "0", "-W", "ignore", *tests]
    start = time.monotonic()
    try:
        out = subprocess.run(cmd, cwd=mutants, env=env, capture_output=True, text=True, timeout=timeout)
    except subprocess.TimeoutExpired:
        return "timeout", "", time.monotonic() - start
    seconds = time.monotonic() - start
    failed = next((line.split(" ", 1)[1].split(" - ")[0] for line in out.stdout.splitlines()
                   if line.startswith(("FAILED ", "ERROR "))), "")
    if out.returncode == 0:
        return "survived", "", seconds
    if out.returncode in (1, 2):
        return "killed", failed or f"pytest exit {out.returncode}", seconds
    return f"error (pytest exit {out.returncode})", out.stdout[-200:].replace("\n", " "), seconds


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--workdir", type=Path, required=True, help="the scratch copy of scripts/mutation.sh")
    ap.add_argument("--not-killed", action="store_true", help="recheck every not-killed mutant of the sample")
    ap.add_argument("--sync-tests", action="store_true", help="copy this repository's tests/ into mutants/ first")
    ap.add_argument("--timeout", type=float, default=900.0, help="seconds per mutant (default 900)")
    ap.add_argument("names", nargs="*")
    args = ap.parse_args()
    mutants = args.workdir / "mutants"
    if not mutants.is_dir():
        ap.error(f"--workdir {args.workdir}: no mutants/ folder (run scripts/mutation.sh first)")
    if args.sync_tests:
        shutil.rmtree(mutants / "tests")
        shutil.copytree(REPO / "tests", mutants / "tests", ignore=shutil.ignore_patterns("__pycache__"))
        shutil.copy2(REPO / "pyproject.toml", mutants / "pyproject.toml")
    names = list(args.names) + (not_killed(args.workdir) if args.not_killed else [])
    if not names:
        ap.error("give mutant names or --not-killed")
    tests = selection(mutants / "pyproject.toml")
    log = args.workdir / "mutation-recheck.tsv"
    with log.open("a") as out:
        for name in names:
            ordered = likely_first(tests, name)
            result, detail, seconds = recheck(name, mutants, ordered, args.timeout, sys.executable)
            line = f"{name}\t{result}\t{detail}\t{seconds:.0f}"
            print(line, flush=True)
            out.write(line + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""The `caseload` entry point: after a reported interruption, shutdown cannot be cut short by SIGINT."""

from __future__ import annotations

import subprocess
import sys

PROBE = """
import atexit, signal, sys
import sim.cli.main as m
atexit.register(lambda: print(signal.getsignal(signal.SIGINT) is signal.SIG_IGN))
m.main = lambda: int(sys.argv[1])
m.entry()
"""


def probe(code: int) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-c", PROBE, str(code)], capture_output=True, text=True, timeout=120)


def test_after_an_interruption_sigint_is_ignored_until_the_process_has_ended():
    done = probe(130)
    assert done.returncode == 130 and done.stdout.strip() == "True", done.stderr


def test_any_other_ending_keeps_ctrl_c_working():
    for code in (0, 2, 70):
        done = probe(code)
        assert done.returncode == code and done.stdout.strip() == "False", done.stderr

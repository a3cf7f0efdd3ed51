"""The `caseload` command line: one parser, one module per command group, one error policy.

Exit codes:
- 0 done;
- 1 done, but the answer is "no" (`staff` found no staffing that meets the targets), or the system
  refused something the input could not foresee (a full disk): one line;
- 2 bad input: one line on stderr naming the field, the value and what is allowed, no traceback.
  Every command checks its inputs and its output path before it simulates anything;
- 3 (`caseload sweep`) some tasks failed;
- 70 an internal error (a bug): one line that says how to report it; the traceback is printed
  too with ``--debug`` (or CASELOAD_DEBUG=1);
- 130 interrupted (Ctrl-C): one line.

The command modules import what only their command needs (the charts, with matplotlib and seaborn;
the calibration, with scipy.optimize) when it runs, not at import: a process started with 'spawn' (the
bench's children, Dask's local workers) runs the `caseload` script, and so imports this module, again
before its first replication, and those imports were about 85 MB in each (a bench child's baseline
214 MB instead of 129 MB). Forked workers (`run --workers`) share the parent's pages instead.
"""

from __future__ import annotations

import argparse
import os
import signal
import sys
import traceback
from typing import NoReturn

from sim._version import __version__
from sim.cli import bench, calibrate, compare, reports, run, staff, sweep, validation
from sim.inputs.errors import ParamError, one_line

COMMAND_GROUPS = (run, bench, staff, reports, compare, sweep, calibrate, validation)
EXIT_BAD_INPUT = 2
EXIT_SYSTEM = 1
EXIT_INTERNAL = 70
EXIT_INTERRUPTED = 130


MAIN_EPILOG = """examples:
  caseload run --scale 0.02 --replications 2          a first answer for Denmark in under a minute
  caseload run --set municipality=Odense              the same for one municipality
  caseload report results/latest                      an HTML report of that run
  caseload CMD --help                                 each command's options and examples

exit codes: 0 done; 1 done but the answer is no (staff), or the system refused (e.g. a full disk);
2 bad input, named in one line; 3 a sweep with failed tasks; 70 internal error (a bug: please
report it); 130 interrupted."""


class UsageError(Exception):
    """A command line argparse cannot parse, as one line (argparse would print its usage too)."""


class Parser(argparse.ArgumentParser):
    """argparse with one-line errors: the usage block is one `--help` away, and a script that reads
    stderr gets the one line that matters."""

    def error(self, message: str) -> NoReturn:
        raise UsageError(f"{self.prog}: {message} (see `{self.prog} --help`)")


def build_parser() -> argparse.ArgumentParser:
    ap = Parser(prog="caseload", description="Caseload simulation of the Danish employment reform: how many "
                                             "caseworkers, which legal minimums are met, at what cost.",
                epilog=MAIN_EPILOG, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--version", action="version", version=f"caseload-sim {__version__}")
    ap.add_argument("--debug", action="store_true",
                    help="on an internal error, print the traceback (also CASELOAD_DEBUG=1)")
    sub = ap.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for group in COMMAND_GROUPS:
        group.register(sub)
    return ap


def _say(text: str) -> None:
    print(one_line(text), file=sys.stderr, flush=True)


def _internal_error(exc: BaseException, debug: bool) -> int:
    """A bug, not the user's input: the traceback when asked for, and how to report it."""
    if debug:
        traceback.print_exception(exc, file=sys.stderr)
    _say(f"internal error: {type(exc).__name__}: {exc} -- this is a bug in caseload-sim {__version__}, not in "
         "your input; please report it with the command line"
         + (" and the traceback above" if debug else " and the output of the same command with --debug"))
    return EXIT_INTERNAL


def _system_error(exc: OSError) -> int:
    where = f": {exc.filename}" if exc.filename else ""
    _say(f"error: could not complete: {exc.strerror or exc}{where}")
    return EXIT_SYSTEM


def main(argv: list[str] | None = None) -> int:
    """Parse, run the command, and turn every way it can end into an exit code and at most one
    line on stderr (plus a traceback for internal errors with --debug)."""
    debug = os.environ.get("CASELOAD_DEBUG", "") not in ("", "0")
    try:
        args = build_parser().parse_args(argv)
    except UsageError as exc:
        _say(f"error: {exc}")
        return EXIT_BAD_INPUT
    except SystemExit as exc:  # --help and --version
        return exc.code if isinstance(exc.code, int) else 0
    debug = debug or args.debug
    try:
        return args.func(args)
    except ParamError as exc:
        _say(f"error: {exc}")
        return EXIT_BAD_INPUT
    except KeyboardInterrupt:
        _say("interrupted")
        return EXIT_INTERRUPTED
    except OSError as exc:
        if debug:
            traceback.print_exception(exc, file=sys.stderr)
        return _system_error(exc)
    except Exception as exc:  # noqa: BLE001 - every other exception is a bug: say how to report it
        return _internal_error(exc, debug)


def entry() -> NoReturn:
    """The `caseload` command and `python -m sim.cli`: `main`, then exit with its code.

    After an interruption has been reported and everything cleaned up, a further Ctrl-C (or a
    signal sent to the whole process group) during the interpreter's shutdown would kill the
    process by SIGINT instead of ending it with 130, as it did once in CI: from there on SIGINT
    is ignored. Only here, not in `main`, which tests call in their own process."""
    code = main()
    if code == EXIT_INTERRUPTED:
        signal.signal(signal.SIGINT, signal.SIG_IGN)
    sys.exit(code)


if __name__ == "__main__":
    entry()

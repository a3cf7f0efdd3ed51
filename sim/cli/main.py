"""The `caseload` command line: one parser, one module per command group, one error policy.

Bad input ends with exit code 2 and one line naming the field, the value and what is allowed;
no traceback.
"""

from __future__ import annotations

import argparse
import sys

from sim.cli import bench, calibrate, compare, reports, run, staff, sweep, validation
from sim.inputs.errors import ParamError

COMMAND_GROUPS = (run, bench, staff, reports, compare, sweep, calibrate, validation)


def build_parser() -> argparse.ArgumentParser:
    ap = argparse.ArgumentParser(prog="caseload", description="Caseload simulation of the Danish employment reform.")
    sub = ap.add_subparsers(dest="command", required=True)
    for group in COMMAND_GROUPS:
        group.register(sub)
    return ap


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return args.func(args)
    except ParamError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    raise SystemExit(main())

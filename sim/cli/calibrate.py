"""`caseload calibrate`: a scenario that matches a municipality's own figures."""

from __future__ import annotations

import argparse


def cmd_calibrate(args: argparse.Namespace) -> int:
    from sim.studies.calibration import calibrate_command

    return calibrate_command(args)


def register(sub: argparse._SubParsersAction) -> None:
    """Add this command group's subcommands to the `caseload` parser."""
    ca = sub.add_parser("calibrate", help="write a scenario matching a municipality's own figures")
    ca.add_argument("figures", help="CSV of figures per group (see params/calibration_example.csv)")
    ca.add_argument("--out", required=True, help="scenario TOML to write, e.g. params/odense.toml")
    ca.add_argument("--name", default=None)
    ca.add_argument("--replications", default="4")
    ca.add_argument("--seed", type=int, default=1)
    ca.set_defaults(func=cmd_calibrate)

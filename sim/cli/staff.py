"""`caseload staff`: the smallest FTE per provider that meets the targets."""

from __future__ import annotations

import argparse


def cmd_staff(args: argparse.Namespace) -> int:
    from sim.studies.staffing import staff_command

    return staff_command(args)


def register(sub: argparse._SubParsersAction) -> None:
    """Add this command group's subcommands to the `caseload` parser."""
    s = sub.add_parser("staff", help="smallest caseworker FTE per provider whose lower 95 % bound meets targets")
    s.add_argument("params", nargs="?", default=None, help="scenario TOML file (default: the national default)")
    s.add_argument("--target", action="append", default=[], metavar="KPI>=VALUE",
                   help="e.g. first_talk_on_time>=0.95 or talk_coverage_6m[jobparat]>=0.75 (repeatable)")
    s.add_argument("--set", action="append", default=[], metavar="PATH=VALUE")
    s.add_argument("--replications", default="10")
    s.add_argument("--seed", type=int, default=1)
    s.add_argument("--workers", type=int, default=None)
    s.add_argument("--out", default=None, help="folder for staffing.csv (optional)")
    s.set_defaults(func=cmd_staff)

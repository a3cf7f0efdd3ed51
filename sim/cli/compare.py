"""`caseload compare`: a paired comparison of two scenarios under common random numbers."""

from __future__ import annotations

import argparse


def cmd_compare(args: argparse.Namespace) -> int:
    from sim.studies.compare import compare_command

    return compare_command(args)


def register(sub: argparse._SubParsersAction) -> None:
    """Add this command group's subcommands to the `caseload` parser."""
    cp = sub.add_parser("compare", help="paired comparison B - A of two scenarios with common random numbers")
    cp.add_argument("a", help="scenario A (TOML)")
    cp.add_argument("b", help="scenario B (TOML)")
    cp.add_argument("--set", action="append", default=[], metavar="PATH=VALUE", help="override in both")
    cp.add_argument("--replications", default="10")
    cp.add_argument("--seed", type=int, default=1)
    cp.add_argument("--workers", type=int, default=None)
    cp.add_argument("--out", default="results/compare")
    cp.add_argument("--lang", choices=["en", "da"], default="en")
    cp.set_defaults(func=cmd_compare)

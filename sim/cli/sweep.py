"""`caseload sweep`: a resumable parameter sweep."""

from __future__ import annotations

import argparse


def cmd_sweep(args: argparse.Namespace) -> int:
    from sim.studies.sweep import sweep_command

    return sweep_command(args)


def register(sub: argparse._SubParsersAction) -> None:
    """Add this command group's subcommands to the `caseload` parser."""
    sw = sub.add_parser("sweep", help="run a parameter sweep (grid, Latin hypercube, Sobol, Morris); resumable")
    sw.add_argument("sweep_file")
    sw.add_argument("--out", default=None, help="sweep folder (default results/sweeps/NAME)")
    sw.add_argument("--workers", type=int, default=None, help="local processes (default: all cores)")
    sw.add_argument("--serial", action="store_true", help="run in this process")
    sw.add_argument("--dask", default=None, metavar="ADDRESS",
                    help="tcp://HOST:8786 for an existing scheduler, or 'local' for a LocalCluster")
    sw.set_defaults(func=cmd_sweep)

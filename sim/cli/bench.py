"""`caseload bench`: speed, memory, scaling and parallel efficiency on this machine."""

from __future__ import annotations

import argparse
import sys

from sim.experiment import bench


def cmd_bench(args: argparse.Namespace) -> int:
    """Measure, reporting progress on stderr, and print the table (or JSON)."""

    def say(text: str) -> None:
        print(f"bench: {text}", file=sys.stderr, flush=True)

    result = bench.run_bench(scale=args.scale, years=args.years, sweep_replications=args.sweep_replications,
                             sweep_scale=args.sweep_scale, progress=say)
    print(bench.to_json(result) if args.json else bench.format_bench(result))
    return 0


def register(sub: argparse._SubParsersAction) -> None:
    """Add this command group's subcommands to the `caseload` parser."""
    b = sub.add_parser("bench", help="measure speed, memory, scaling and parallel efficiency on this machine")
    b.add_argument("--json", action="store_true", help="print JSON instead of a table")
    b.add_argument("--years", type=float, default=1.0, help="simulated years (default 1)")
    b.add_argument("--scale", type=float, default=0.25, help="population scale (default 0.25; 1 = Denmark)")
    b.add_argument("--sweep-replications", type=int, default=4, help=argparse.SUPPRESS)
    b.add_argument("--sweep-scale", type=float, default=None, help=argparse.SUPPRESS)
    b.set_defaults(func=cmd_bench)

"""`caseload bench`: speed, memory, scaling and parallel efficiency on this machine."""

from __future__ import annotations

import argparse
import sys

from sim.cli.options import check_scenario, examples
from sim.experiment import bench
from sim.experiment.mm_queue import MM10_CUSTOMERS
from sim.inputs.errors import ParamError


def _check_sizes(args: argparse.Namespace) -> None:
    """The scales and years the benchmark will run, validated as scenarios before any is measured
    (a bad one would otherwise fail inside a child process)."""
    if not 1 <= args.sweep_replications <= 1000:
        raise ParamError("--sweep-replications", args.sweep_replications, "a whole number from 1 to 1000")
    if not 1_000 <= args.mm10_customers <= 10_000_000:
        raise ParamError("--mm10-customers", args.mm10_customers, "a whole number from 1,000 to 10,000,000")
    sweep_scale = args.sweep_scale if args.sweep_scale is not None else args.scale / 4
    for field, scale in (("--scale", args.scale), ("--sweep-scale", sweep_scale)):
        try:
            check_scenario(bench.bench_params(scale, args.years))
        except ParamError as exc:
            name = {"scale": field, "years": "--years"}.get(exc.field, exc.field)
            raise ParamError(name, exc.value, exc.allowed) from None


def cmd_bench(args: argparse.Namespace) -> int:
    """Measure, reporting progress on stderr, and print the table (or JSON)."""
    _check_sizes(args)

    def say(text: str) -> None:
        print(f"bench: {text}", file=sys.stderr, flush=True)

    result = bench.run_bench(scale=args.scale, years=args.years, sweep_replications=args.sweep_replications,
                             sweep_scale=args.sweep_scale, progress=say,
                             mm10_customers=args.mm10_customers)
    print(bench.to_json(result) if args.json else bench.format_bench(result))
    return 0


def register(sub: argparse._SubParsersAction) -> None:
    """Add this command group's subcommands to the `caseload` parser."""
    b = sub.add_parser("bench", help="measure speed, memory, scaling and parallel efficiency on this machine",
                       **examples("caseload bench --scale 0.05 --years 0.5", "caseload bench --json > bench.json"))
    b.add_argument("--json", action="store_true", help="print JSON instead of a table")
    b.add_argument("--years", type=float, default=1.0, help="simulated years (default 1)")
    b.add_argument("--scale", type=float, default=0.25, help="population scale (default 0.25; 1 = Denmark)")
    b.add_argument("--sweep-replications", type=int, default=4, help=argparse.SUPPRESS)
    b.add_argument("--sweep-scale", type=float, default=None, help=argparse.SUPPRESS)
    b.add_argument("--mm10-customers", type=int, default=MM10_CUSTOMERS, help=argparse.SUPPRESS)
    b.set_defaults(func=cmd_bench)

"""`caseload validation`: pre_reform against reform_2027 beside the official figures (issue 11)."""

from __future__ import annotations

import argparse

from sim._version import __version__
from sim.cli.options import whole_replications
from sim.output.validation_chart import write_validation_chart
from sim.studies.validation import format_validation, run_validation


def cmd_validation(args: argparse.Namespace) -> int:
    """Run the paired validation, write validation.csv, validation_terms.csv and the chart, print the table."""
    n = whole_replications(args.replications, 2, " (an interval needs two)")
    print(f"caseload-sim {__version__}: validation pre_reform vs reform_2027 | scale {args.scale}, {n} paired "
          f"replications, seed {args.seed}", flush=True)
    v = run_validation(scale=args.scale, replications=n, seed=args.seed, workers=args.workers)
    out = v.save(args.out)
    write_validation_chart(v, out)
    print(format_validation(v))
    print(f"\nWrote {out}/validation.csv, validation_terms.csv, validation.png, a/, b/.")
    return 0


def register(sub: argparse._SubParsersAction) -> None:
    """Add this command group's subcommands to the `caseload` parser."""
    vp = sub.add_parser("validation", help="pre_reform vs reform_2027 against the official figures (issue 11)")
    vp.add_argument("--scale", type=float, default=0.02)
    vp.add_argument("--replications", default="5")
    vp.add_argument("--seed", type=int, default=1)
    vp.add_argument("--workers", type=int, default=1)
    vp.add_argument("--out", default="results/validation")
    vp.set_defaults(func=cmd_validation)

"""`caseload calibrate`: a scenario that matches a municipality's own figures."""

from __future__ import annotations

import argparse

from sim.cli.options import examples, whole_replications
from sim.inputs.arguments import parse_seed


def cmd_calibrate(args: argparse.Namespace) -> int:
    """Write the calibrated scenario, check it by simulation and print target against simulated.
    The output file is checked first and replaced only once the new scenario is complete."""
    from sim.studies.calibration import calibrate, check_out  # loads scipy.optimize: only here (see sim.cli.main)

    n = whole_replications(args.replications, 1, " for calibrate")
    seed = parse_seed(args.seed)
    check_out(args.out, args.figures)
    result = calibrate(args.figures, args.out, name=args.name, replications=n, seed=seed)
    print(result.text)
    return 0


def register(sub: argparse._SubParsersAction) -> None:
    """Add this command group's subcommands to the `caseload` parser."""
    ca = sub.add_parser("calibrate", help="write a scenario matching a municipality's own figures",
                        **examples("caseload calibrate params/calibration_example.csv --out params/odense.toml "
                                   "--name odense"))
    ca.add_argument("figures", help="CSV of figures per group (see params/calibration_example.csv)")
    ca.add_argument("--out", required=True,
                    help="scenario TOML to write, e.g. params/odense.toml (replaced only when complete)")
    ca.add_argument("--name", default=None, help="the scenario's name (default: from the figures)")
    ca.add_argument("--replications", default="4", help="a whole number >= 1 (default 4)")
    ca.add_argument("--seed", default="1", help="a whole number >= 0 (default 1)")
    ca.set_defaults(func=cmd_calibrate)

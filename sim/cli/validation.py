"""`caseload validation`: pre_reform against reform_2027 beside the official figures (issue 11)."""

from __future__ import annotations

import argparse

from sim._version import __version__
from sim.cli.options import check_scenario, examples, whole_replications
from sim.experiment.results import check_replaceable, staged_folder
from sim.inputs.arguments import parse_seed, parse_workers
from sim.inputs.files import check_output_folder
from sim.studies.validation import VALIDATION_MARKER, format_validation, run_validation, validation_params


def cmd_validation(args: argparse.Namespace) -> int:
    """Run the paired validation, write validation.csv, validation_terms.csv and the chart, print the table.
    Arguments, both scenarios and the output folder are checked before either is simulated."""
    n = whole_replications(args.replications, 2, " (an interval needs two)")
    seed, workers = parse_seed(args.seed), parse_workers(args.workers)
    check_output_folder(args.out)
    pre, post = validation_params(args.scale)  # --scale is checked here, as the scenario's scale
    check_scenario(pre), check_scenario(post)
    check_replaceable(args.out, VALIDATION_MARKER)
    print(f"caseload-sim {__version__}: validation pre_reform vs reform_2027 | scale {args.scale}, {n} paired "
          f"replications, seed {seed}", flush=True)
    v = run_validation(scale=args.scale, replications=n, seed=seed, workers=workers, params=(pre, post))
    # (drawing loads matplotlib and seaborn: imported when it is needed, see sim.cli.main)
    from sim.output.validation_chart import write_validation_chart

    with staged_folder(args.out, VALIDATION_MARKER) as folder:  # the folder appears whole, chart included
        v.write_files(folder)
        write_validation_chart(v, folder)
    print(format_validation(v))
    print(f"\nWrote {args.out}/validation.csv, validation_terms.csv, validation.png, a/, b/.")
    return 0


def register(sub: argparse._SubParsersAction) -> None:
    """Add this command group's subcommands to the `caseload` parser."""
    vp = sub.add_parser("validation", help="pre_reform vs reform_2027 against the official figures",
                        **examples("caseload validation --scale 0.02 --replications 3"))
    vp.add_argument("--scale", type=float, default=0.02, help="share of Denmark simulated (default 0.02)")
    vp.add_argument("--replications", default="5", help="a whole number >= 2 (default 5)")
    vp.add_argument("--seed", default="1", help="a whole number >= 0 (default 1)")
    vp.add_argument("--workers", default="1", help="local processes (default 1)")
    vp.add_argument("--out", default="results/validation",
                    help="output folder (default results/validation); an earlier validation there is replaced "
                         "whole, once the new one is complete")
    vp.set_defaults(func=cmd_validation)

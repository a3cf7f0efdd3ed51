"""`caseload compare`: a paired comparison of two scenarios under common random numbers."""

from __future__ import annotations

import argparse
import sys

from sim._version import __version__
from sim.cli.options import check_scenario, examples, whole_replications
from sim.experiment.results import check_replaceable, staged_folder
from sim.inputs.arguments import parse_overrides, parse_seed, parse_workers
from sim.inputs.files import check_output_folder
from sim.inputs.loading import load_params
from sim.studies.compare import COMPARISON_MARKER, compare, format_table


def cmd_compare(args: argparse.Namespace) -> int:
    """Run A and B with the same seeds, write the comparison folder and print the headline table.
    Arguments, both scenarios and the output folder are checked before either is simulated."""
    n = whole_replications(args.replications, 2, " (an interval needs two)")
    seed, workers = parse_seed(args.seed), parse_workers(args.workers)
    check_output_folder(args.out)
    overrides = parse_overrides(args.set)
    pa, pb = load_params(args.a, overrides), load_params(args.b, overrides)  # both load before either is checked
    check_scenario(pa), check_scenario(pb)
    check_replaceable(args.out, COMPARISON_MARKER)
    print(f"caseload-sim {__version__}: compare {pa.scenario.name} (A) and {pb.scenario.name} (B) | "
          f"{n} paired replications, seed {seed}", flush=True)
    cmp = compare(pa, pb, replications=n, seed=seed, workers=workers)
    cmp.meta["command"] = " ".join(sys.argv)
    # (drawing loads matplotlib and seaborn: imported when it is needed, see sim.cli.main)
    from sim.output.study_charts import write_comparison_chart

    with staged_folder(args.out, COMPARISON_MARKER) as folder:  # the folder appears whole, chart included
        cmp.write_files(folder)
        write_comparison_chart(cmp, folder, lang=args.lang)
    out = args.out
    print(format_table(cmp))
    print(f"\nCommon random numbers: median variance reduction {cmp.variance_reduction():.0%} against "
          f"independent seeds. Wrote {out}/differences.csv, differences.png, comparison.json, a/, b/.")
    return 0


def register(sub: argparse._SubParsersAction) -> None:
    """Add this command group's subcommands to the `caseload` parser."""
    cp = sub.add_parser("compare", help="paired comparison B - A of two scenarios with common random numbers",
                        **examples("caseload compare params/presets/pre_reform.toml params/national_default.toml "
                                   "--set scale=0.02 --replications 4"))
    cp.add_argument("a", help="scenario A (TOML)")
    cp.add_argument("b", help="scenario B (TOML)")
    cp.add_argument("--set", action="append", default=[], metavar="PATH=VALUE", help="override in both")
    cp.add_argument("--replications", default="10", help="a whole number >= 2 (default 10)")
    cp.add_argument("--seed", default="1", help="a whole number >= 0 (default 1)")
    cp.add_argument("--workers", default=None, help="local processes (default: all cores)")
    cp.add_argument("--out", default="results/compare",
                    help="output folder (default results/compare); an earlier comparison there is replaced whole, "
                         "once the new one is complete")
    cp.add_argument("--lang", choices=["en", "da"], default="en")
    cp.set_defaults(func=cmd_compare)

"""`caseload staff`: the smallest FTE per provider that meets the targets."""

from __future__ import annotations

import argparse
import sys
import time

from sim.cli.options import examples, load_scenario, whole_replications
from sim.inputs.arguments import parse_seed, parse_workers
from sim.inputs.files import check_output_folder
from sim.studies.staffing import Candidate, find_staffing, format_result, parse_targets, write_outputs


def _say(c: Candidate) -> None:
    """One line per simulated candidate on stderr, so a long search shows where it is."""
    fte = ", ".join(f"{p} {v:,.1f}" for p, v in c.fte.items()) or "unlimited capacity"
    bounds = "; ".join(f"{s.target} [{s.ci_low:.3f}, {s.ci_high:.3f}]" for s in c.stats)
    print(f"  run {c.run:>2} {c.phase:<22} {fte:<40} {bounds}  {'pass' if c.passed else 'fail'}",
          file=sys.stderr, flush=True)


def cmd_staff(args: argparse.Namespace) -> int:
    """Parse, search, print, write; 0 when a staffing meets the targets, 1 if none. Arguments and
    the output folder are checked before the first candidate is simulated."""
    n = whole_replications(args.replications, 2, ": a target is judged on a confidence interval")
    seed, workers = parse_seed(args.seed), parse_workers(args.workers)
    out = None if args.out is None else check_output_folder(args.out)
    params = load_scenario(args.params, args.set)
    targets = parse_targets(args.target, list(params.scenario.groups))
    sc = params.scenario
    print(f"caseload staff: {sc.name} | scale {sc.scale:g} | {sc.years:g} years | "
          f"{n} replications, seed {seed} | targets: {', '.join(t.label for t in targets)}", flush=True)
    t0 = time.perf_counter()
    result = find_staffing(params, targets, n, seed, workers, progress=_say)
    wall = time.perf_counter() - t0
    print(format_result(result, wall))
    if out is not None:
        extra = {"wall_time_s": round(wall, 3), "command": " ".join(sys.argv), "params_hash": params.params_hash,
                 "scenario": params.scenario.name, "params_file": params.origin}
        write_outputs(result, out, extra)
        print(f"Wrote {out}/staffing.csv and staffing.json.")
    return 0 if result.feasible else 1


def register(sub: argparse._SubParsersAction) -> None:
    """Add this command group's subcommands to the `caseload` parser."""
    s = sub.add_parser("staff", help="smallest caseworker FTE per provider whose lower 95 %% bound meets targets",
                       **examples("caseload staff --target first_talk_on_time>=0.95 --set scale=0.02 --replications 4",
                                  "caseload staff --set municipality=Odense "
                                  "--target 'talk_coverage_6m[jobparat]>=0.75' --out results/staff"))
    s.add_argument("params", nargs="?", default=None, help="scenario TOML file (default: the national default)")
    s.add_argument("--target", action="append", default=[], metavar="KPI>=VALUE",
                   help="e.g. first_talk_on_time>=0.95 or talk_coverage_6m[jobparat]>=0.75 (repeatable)")
    s.add_argument("--set", action="append", default=[], metavar="PATH=VALUE")
    s.add_argument("--replications", default="10", help="a whole number >= 2 (default 10)")
    s.add_argument("--seed", default="1", help="a whole number >= 0 (default 1)")
    s.add_argument("--workers", default=None, help="local processes (default: all cores)")
    s.add_argument("--out", default=None, help="folder for staffing.csv (optional)")
    s.set_defaults(func=cmd_staff)

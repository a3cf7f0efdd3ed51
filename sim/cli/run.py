"""`caseload run` and `caseload validate`: a scenario in, KPIs with intervals and result files out."""

from __future__ import annotations

import argparse
import sys
import time

from sim._version import __version__
from sim.cli.options import add_shorthands, examples, load_scenario, with_shorthands
from sim.experiment.results import RUN_MARKER, check_replaceable
from sim.experiment.runner import run
from sim.inputs.arguments import parse_replications, parse_seed, parse_workers
from sim.inputs.files import check_output_folder
from sim.metrics.by_municipality import BY_MUNICIPALITY
from sim.output.headline import format_table, headline_from_results, run_meta


def cmd_run(args: argparse.Namespace) -> int:
    """Run the scenario, save the result folder and print the KPI table with the warm-up verdict.
    Every argument and the output folder are checked before the first replication starts."""
    n = parse_replications(args.replications)
    seed, workers = parse_seed(args.seed), parse_workers(args.workers)
    out = check_output_folder(args.out)
    params = load_scenario(args.params, with_shorthands(args))
    check_replaceable(out, RUN_MARKER)
    print(f"caseload-sim {__version__}: running {params.scenario.name} at scale {params.scenario.scale:g}, "
          f"{n} replications ...", flush=True)
    t0 = time.perf_counter()
    results = run(params, replications=n, seed=seed, workers=workers, by=args.by)
    results.provenance["wall_time_s"] = round(time.perf_counter() - t0, 3)
    results.provenance["command"] = " ".join(sys.argv)
    results.save(out)  # staged: the folder is replaced only once every file is written
    if args.all:
        print(format_table(results.population_summary(), run_meta(results)))
    else:
        print(headline_from_results(results, where=f"{out}/summary.csv, or add --all"))
    warmup = results.provenance.get("warmup") or {}
    rule = results.provenance.get("replication_rule") or {}
    notes = [f"Warm-up (MSER-5): {warmup['verdict']}" if warmup.get("verdict") else "",
             f"Replications: {rule['reason']}" if rule.get("reason") else ""]
    print(" ".join(n for n in notes if n) or "", end="\n" if any(notes) else "")
    extra = ", by_municipality.csv" if results.by_municipality is not None else ""
    print(f"Wrote {out}/run.json, kpis.csv (simulated units), summary.csv, compliance.csv, weekly.parquet{extra} "
          f"({results.provenance['wall_time_s']:.1f} s).")
    return 0


def cmd_validate(args: argparse.Namespace) -> int:
    """Load and validate a scenario, with the checks the model makes when it starts; a bad field
    ends with exit code 2 (see main)."""
    params = load_scenario(args.params, args.set)
    print(f"ok: {params.scenario.name} (params hash {params.params_hash})")
    return 0


def register(sub: argparse._SubParsersAction) -> None:
    """Add this command group's subcommands to the `caseload` parser."""
    r = sub.add_parser("run", help="run a scenario (default: the national default) and write results",
                       description="Run a scenario and print its headline: stock, FTE by provider, legal minimums, "
                                   "money, exits, with 95 % intervals, as counts for Denmark or the municipality.",
                       **examples("caseload run --scale 0.02 --replications 2",
                                  "caseload run --set municipality=Odense --set exemption.share=0.25",
                                  "caseload run params/presets/pre_reform.toml --replications 10 --out results/pre "
                                  "--all"))
    r.add_argument("params", nargs="?", default=None, help="scenario TOML file (default: the national default)")
    r.add_argument("--set", action="append", default=[], metavar="PATH=VALUE", help="override a parameter")
    add_shorthands(r)
    r.add_argument("--replications", default="5", help="number of replications, or auto (default 5)")
    r.add_argument("--seed", default="1", help="a whole number >= 0 (default 1)")
    r.add_argument("--out", default="results/latest",
                   help="output folder (default results/latest); an earlier run folder there is replaced whole, "
                        "once the new one is complete")
    r.add_argument("--workers", default=None, help="local processes (default: all cores)")
    r.add_argument("--by", default=None, choices=[BY_MUNICIPALITY],
                   help="also write results per municipality (by_municipality.csv)")
    r.add_argument("--all", action="store_true", help="print the full KPI table instead of the headline")
    r.set_defaults(func=cmd_run)
    v = sub.add_parser("validate", help="check a scenario file; exit 2 naming the bad field",
                       **examples("caseload validate params/national_default.toml --set exemption.share=0.3"))
    v.add_argument("params", help="scenario TOML file")
    v.add_argument("--set", action="append", default=[], metavar="PATH=VALUE", help="override a parameter")
    v.set_defaults(func=cmd_validate)

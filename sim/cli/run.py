"""`caseload run` and `caseload validate`: a scenario in, KPIs with intervals and result files out."""

from __future__ import annotations

import argparse
import sys
import time

import pandas as pd

from sim._version import __version__
from sim.cli.options import load_scenario
from sim.experiment.results import RUN_MARKER, check_replaceable
from sim.experiment.runner import run
from sim.inputs.arguments import parse_replications, parse_seed, parse_workers
from sim.inputs.files import check_output_folder
from sim.metrics.by_municipality import BY_MUNICIPALITY

HEADLINE_KPIS = [
    "persons_start", "persons_arrived", "persons_exited", "persons_in_stock_end", "stock_mean",
    "inflow_per_year", "spell_weeks_mean", "exit_work_or_education_3m", "exit_work_or_education_6m",
    "talks_held_per_year", "offers_started_per_year", "caseworker_hours_per_year", "fte_needed",
    "first_talk_on_time", "talk_coverage_6m", "offer_coverage_6m", "exempt_share",
]


def format_summary(summary: pd.DataFrame, scale: float) -> str:
    """The printed KPI table: headline KPIs for all groups, then per provider and per group."""
    s = summary.copy()
    s["order"] = s["kpi"].map({k: i for i, k in enumerate(HEADLINE_KPIS)})
    s["g_order"] = (s["group"] != "all").astype(int)
    s["p_order"] = (s["provider"] != "all").astype(int)
    s = s[s["order"].notna()].sort_values(["order", "g_order", "group", "p_order", "provider"], kind="stable")

    def fmt(x: float) -> str:
        if pd.isna(x):
            return "-"
        return f"{x:,.3f}" if abs(x) < 10 else f"{x:,.0f}"

    lines = [f"{'kpi':<28}{'group':<17}{'provider':<14}{'mean':>14}{'95% CI':>28}{'n':>4}"]
    for row in s.itertuples():
        ci = f"[{fmt(row.ci_low)}, {fmt(row.ci_high)}]"
        lines.append(f"{row.kpi:<28}{row.group:<17}{row.provider:<14}{fmt(row.mean):>14}{ci:>28}{row.n:>4}")
    if scale != 1.0:
        lines.append(f"\nCounts are for the simulated population at scale {scale:g} "
                     f"({scale:.0%} of Denmark); shares and spell lengths need no scaling.")
    return "\n".join(lines)


def cmd_run(args: argparse.Namespace) -> int:
    """Run the scenario, save the result folder and print the KPI table with the warm-up verdict.
    Every argument and the output folder are checked before the first replication starts."""
    n = parse_replications(args.replications)
    seed, workers = parse_seed(args.seed), parse_workers(args.workers)
    out = check_output_folder(args.out)
    params = load_scenario(args.params, args.set)
    check_replaceable(out, RUN_MARKER)
    print(f"caseload-sim {__version__}: {params.scenario.name} | rules {params.scenario.rules} | "
          f"scale {params.scenario.scale:g} | {params.scenario.years:g} years from {params.scenario.start_date} | "
          f"{n} replications, seed {seed}", flush=True)
    t0 = time.perf_counter()
    results = run(params, replications=n, seed=seed, workers=workers, by=args.by)
    results.provenance["wall_time_s"] = round(time.perf_counter() - t0, 3)
    results.provenance["command"] = " ".join(sys.argv)
    results.save(out)  # staged: the folder is replaced only once every file is written
    which = args.params or "the national default"
    print(format_summary(results.summary(), params.scenario.scale))
    warmup = results.provenance.get("warmup") or {}
    if warmup.get("verdict"):
        print(f"\nWarm-up (MSER-5): {warmup['verdict']}")
    rule = results.provenance.get("replication_rule") or {}
    if rule.get("reason"):
        print(f"Replications: {rule['reason']}")
    extra = ", by_municipality.csv" if results.by_municipality is not None else ""
    print(f"\nWrote {out}/run.json, kpis.csv, summary.csv, compliance.csv, weekly.parquet{extra} "
          f"({results.provenance['wall_time_s']:.1f} s). Scenario: {which}.")
    if params.scenario.scale < 1.0 or params.scenario.years < 2:
        print("For the full national run: caseload run --set scale=1.0 --set years=2 --replications 10")
    return 0


def cmd_validate(args: argparse.Namespace) -> int:
    """Load and validate a scenario, with the checks the model makes when it starts; a bad field
    ends with exit code 2 (see main)."""
    params = load_scenario(args.params, args.set)
    print(f"ok: {params.scenario.name} (params hash {params.params_hash})")
    return 0


def register(sub: argparse._SubParsersAction) -> None:
    """Add this command group's subcommands to the `caseload` parser."""
    r = sub.add_parser("run", help="run a scenario (default: the national default) and write results")
    r.add_argument("params", nargs="?", default=None, help="scenario TOML file (default: the national default)")
    r.add_argument("--set", action="append", default=[], metavar="PATH=VALUE", help="override a parameter")
    r.add_argument("--replications", default="5", help="number of replications (default 5)")
    r.add_argument("--seed", default="1", help="a whole number >= 0 (default 1)")
    r.add_argument("--out", default="results/latest",
                   help="output folder (default results/latest); an earlier run folder there is replaced whole, "
                        "once the new one is complete")
    r.add_argument("--workers", default=None, help="local processes (default: all cores)")
    r.add_argument("--by", default=None, choices=[BY_MUNICIPALITY],
                   help="also write results per municipality (by_municipality.csv)")
    r.set_defaults(func=cmd_run)
    v = sub.add_parser("validate", help="check a scenario file; exit 2 naming the bad field")
    v.add_argument("params")
    v.add_argument("--set", action="append", default=[], metavar="PATH=VALUE")
    v.set_defaults(func=cmd_validate)

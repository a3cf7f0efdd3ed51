"""The `caseload` command line: run, validate.

Bad input ends with exit code 2 and one line naming the field, the value and what is allowed;
no traceback.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import pandas as pd

from sim._version import __version__
from sim.experiment.runner import run
from sim.inputs.arguments import parse_overrides, parse_replications
from sim.inputs.errors import ParamError
from sim.inputs.loading import load_params

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

    overrides = parse_overrides(args.set)
    params = load_params(args.params, overrides)
    n = parse_replications(args.replications)
    out = Path(args.out)
    print(f"caseload-sim {__version__}: {params.scenario.name} | rules {params.scenario.rules} | "
          f"scale {params.scenario.scale:g} | {params.scenario.years:g} years from {params.scenario.start_date} | "
          f"{n} replications, seed {args.seed}", flush=True)
    t0 = time.perf_counter()
    results = run(params, replications=n, seed=args.seed, workers=args.workers)
    results.provenance["wall_time_s"] = round(time.perf_counter() - t0, 3)
    results.provenance["command"] = " ".join(sys.argv)
    results.save(out)
    which = args.params or "the national default"
    print(format_summary(results.summary(), params.scenario.scale))
    warmup = results.provenance.get("warmup") or {}
    if warmup.get("verdict"):
        print(f"\nWarm-up (MSER-5): {warmup['verdict']}")
    rule = results.provenance.get("replication_rule") or {}
    if rule.get("reason"):
        print(f"Replications: {rule['reason']}")
    print(f"\nWrote {out}/run.json, kpis.csv, summary.csv, compliance.csv, weekly.parquet "
          f"({results.provenance['wall_time_s']:.1f} s). Scenario: {which}.")
    if params.scenario.scale < 1.0 or params.scenario.years < 2:
        print("For the full national run: caseload run --set scale=1.0 --set years=2 --replications 10")
    return 0


def cmd_validate(args: argparse.Namespace) -> int:

    params = load_params(args.params, parse_overrides(args.set))
    print(f"ok: {params.scenario.name} (params hash {params.params_hash})")
    return 0


def cmd_bench(args: argparse.Namespace) -> int:
    from sim.experiment import bench

    def say(text: str) -> None:
        print(f"bench: {text}", file=sys.stderr, flush=True)

    result = bench.run_bench(scale=args.scale, years=args.years, sweep_replications=args.sweep_replications,
                             sweep_scale=args.sweep_scale, progress=say)
    print(bench.to_json(result) if args.json else bench.format_bench(result))
    return 0


def cmd_staff(args: argparse.Namespace) -> int:
    from sim.studies.staffing import staff_command

    return staff_command(args)


def cmd_report(args: argparse.Namespace) -> int:
    from sim.output.report import report_command

    return report_command(args)


def cmd_compare(args: argparse.Namespace) -> int:
    from sim.studies.compare import compare_command

    return compare_command(args)


def cmd_sweep(args: argparse.Namespace) -> int:
    from sim.studies.sweep import sweep_command

    return sweep_command(args)


def cmd_calibrate(args: argparse.Namespace) -> int:
    from sim.studies.calibration import calibrate_command

    return calibrate_command(args)


def cmd_describe(args: argparse.Namespace) -> int:
    from sim.output.describe import describe_command

    return describe_command(args)


def cmd_charts(args: argparse.Namespace) -> int:
    from sim.output.charts import charts_command

    return charts_command(args)


def build_parser() -> argparse.ArgumentParser:
    ap = argparse.ArgumentParser(prog="caseload", description="Caseload simulation of the Danish employment reform.")
    sub = ap.add_subparsers(dest="command", required=True)
    r = sub.add_parser("run", help="run a scenario (default: the national default) and write results")
    r.add_argument("params", nargs="?", default=None, help="scenario TOML file (default: the national default)")
    r.add_argument("--set", action="append", default=[], metavar="PATH=VALUE", help="override a parameter")
    r.add_argument("--replications", default="5", help="number of replications (default 5)")
    r.add_argument("--seed", type=int, default=1)
    r.add_argument("--out", default="results/latest", help="output folder (default results/latest)")
    r.add_argument("--workers", type=int, default=None, help="local processes (default: all cores)")
    r.set_defaults(func=cmd_run)
    v = sub.add_parser("validate", help="check a scenario file; exit 2 naming the bad field")
    v.add_argument("params")
    v.add_argument("--set", action="append", default=[], metavar="PATH=VALUE")
    v.set_defaults(func=cmd_validate)
    b = sub.add_parser("bench", help="measure speed, memory, scaling and parallel efficiency on this machine")
    b.add_argument("--json", action="store_true", help="print JSON instead of a table")
    b.add_argument("--years", type=float, default=1.0, help="simulated years (default 1)")
    b.add_argument("--scale", type=float, default=0.25, help="population scale (default 0.25; 1 = Denmark)")
    b.add_argument("--sweep-replications", type=int, default=4, help=argparse.SUPPRESS)
    b.add_argument("--sweep-scale", type=float, default=None, help=argparse.SUPPRESS)
    b.set_defaults(func=cmd_bench)
    s = sub.add_parser("staff", help="smallest caseworker FTE per provider whose lower 95 % bound meets targets")
    s.add_argument("params", nargs="?", default=None, help="scenario TOML file (default: the national default)")
    s.add_argument("--target", action="append", default=[], metavar="KPI>=VALUE",
                   help="e.g. first_talk_on_time>=0.95 or talk_coverage_6m[jobparat]>=0.75 (repeatable)")
    s.add_argument("--set", action="append", default=[], metavar="PATH=VALUE")
    s.add_argument("--replications", default="10")
    s.add_argument("--seed", type=int, default=1)
    s.add_argument("--workers", type=int, default=None)
    s.add_argument("--out", default=None, help="folder for staffing.csv (optional)")
    s.set_defaults(func=cmd_staff)
    rp = sub.add_parser("report", help="write one self-contained HTML report for a run folder")
    rp.add_argument("run_dir")
    rp.add_argument("--lang", choices=["en", "da"], default="en")
    rp.add_argument("--out", default=None, help="HTML file (default RUN_DIR/report[_da].html)")
    rp.set_defaults(func=cmd_report)
    ch = sub.add_parser("charts", help="write the chart pack (PNG, SVG, one PDF) for one run or a comparison")
    ch.add_argument("run_dirs", nargs="+", help="one run folder, or several to compare")
    ch.add_argument("--lang", choices=["en", "da"], default="en")
    ch.add_argument("--out", default=None, help="folder for the charts (default RUN_DIR/charts)")
    ch.set_defaults(func=cmd_charts)
    cp = sub.add_parser("compare", help="paired comparison B - A of two scenarios with common random numbers")
    cp.add_argument("a", help="scenario A (TOML)")
    cp.add_argument("b", help="scenario B (TOML)")
    cp.add_argument("--set", action="append", default=[], metavar="PATH=VALUE", help="override in both")
    cp.add_argument("--replications", default="10")
    cp.add_argument("--seed", type=int, default=1)
    cp.add_argument("--workers", type=int, default=None)
    cp.add_argument("--out", default="results/compare")
    cp.add_argument("--lang", choices=["en", "da"], default="en")
    cp.set_defaults(func=cmd_compare)
    sw = sub.add_parser("sweep", help="run a parameter sweep (grid, Latin hypercube, Sobol, Morris); resumable")
    sw.add_argument("sweep_file")
    sw.add_argument("--out", default=None, help="sweep folder (default results/sweeps/NAME)")
    sw.add_argument("--workers", type=int, default=None, help="local processes (default: all cores)")
    sw.add_argument("--serial", action="store_true", help="run in this process")
    sw.add_argument("--dask", default=None, metavar="ADDRESS",
                    help="tcp://HOST:8786 for an existing scheduler, or 'local' for a LocalCluster")
    sw.set_defaults(func=cmd_sweep)
    ca = sub.add_parser("calibrate", help="write a scenario matching a municipality's own figures")
    ca.add_argument("figures", help="CSV of figures per group (see params/calibration_example.csv)")
    ca.add_argument("--out", required=True, help="scenario TOML to write, e.g. params/odense.toml")
    ca.add_argument("--name", default=None)
    ca.add_argument("--replications", default="4")
    ca.add_argument("--seed", type=int, default=1)
    ca.set_defaults(func=cmd_calibrate)
    de = sub.add_parser("describe", help="write the model description (STRESS-DES) as Markdown")
    de.add_argument("params", nargs="?", default=None)
    de.add_argument("--set", action="append", default=[], metavar="PATH=VALUE")
    de.add_argument("--out", default=None, help="Markdown file (default: print)")
    de.set_defaults(func=cmd_describe)
    return ap


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return args.func(args)
    except ParamError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    raise SystemExit(main())

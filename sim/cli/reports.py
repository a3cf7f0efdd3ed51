"""`caseload report`, `charts` and `describe`: what a manager reads from a run folder.

The library functions (sim.output) take typed values and return the files they wrote; this module
turns the command line into those values and prints what was written. The sim.output imports sit
inside the commands because matplotlib and seaborn take about a second to load, which every other
`caseload` command would otherwise pay at start-up.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from sim.cli.options import examples
from sim.inputs.arguments import parse_overrides
from sim.inputs.files import check_output_file, check_output_folder
from sim.inputs.loading import load_params


def _default_target(run_dir: str, name: str, folder: bool = False) -> None:
    """Check the default output inside an existing run folder (a missing folder is load_run's error)."""
    if Path(run_dir).is_dir():
        (check_output_folder if folder else check_output_file)(Path(run_dir) / name, "run_dir")


def cmd_report(args: argparse.Namespace) -> int:
    """`caseload report RUN_DIR [--lang en|da] [--out FILE]`."""
    if args.out is not None:
        check_output_file(args.out)
    else:
        _default_target(args.run_dir, "report.html" if args.lang == "en" else f"report_{args.lang}.html")
    from sim.output.report import write_report

    path = write_report(args.run_dir, args.lang, args.out)
    print(f"Wrote {path}")
    return 0


def cmd_charts(args: argparse.Namespace) -> int:
    """`caseload charts RUN_DIR [RUN_DIR ...] [--lang en|da] [--out DIR]`: default folder RUN_DIR/charts."""
    if args.out is not None:
        check_output_folder(args.out)
    else:
        _default_target(args.run_dirs[0], "charts", folder=True)
    from sim.output.charts import write_chart_pack

    files = write_chart_pack(args.run_dirs, args.out, args.lang)
    n = sum(1 for f in files if f.suffix == ".png")
    print(f"Wrote {n} charts (PNG, SVG) and {files[-1].name} to {files[-1].parent}")
    return 0


def cmd_describe(args: argparse.Namespace) -> int:
    """`caseload describe [PARAMS] [--set PATH=VALUE ...] [--out FILE|DIR]`: print or write the description.
    A folder (or a name without suffix) gets model_description.md inside it."""
    if args.out is not None:
        out = Path(args.out)
        is_folder = bool(str(args.out).strip()) and (out.is_dir() or not out.suffix)
        (check_output_folder if is_folder else check_output_file)(args.out)
    params = load_params(args.params, parse_overrides(args.set))
    from sim.output.describe import describe, write_description

    if args.out is None:
        print(describe(params))
        return 0
    print(f"Wrote {write_description(params, args.out)}")
    return 0


def register(sub: argparse._SubParsersAction) -> None:
    """Add this command group's subcommands to the `caseload` parser."""
    rp = sub.add_parser("report", help="write one self-contained HTML report for a run folder",
                        **examples("caseload report results/latest", "caseload report results/latest --lang da"))
    rp.add_argument("run_dir", help="a folder written by `caseload run --out DIR`")
    rp.add_argument("--lang", choices=["en", "da"], default="en", help="English or Danish (default en)")
    rp.add_argument("--out", default=None, help="HTML file (default RUN_DIR/report[_da].html)")
    rp.set_defaults(func=cmd_report)
    ch = sub.add_parser("charts", help="write the chart pack (PNG, SVG, one PDF) for one run or a comparison",
                        **examples("caseload charts results/latest",
                                   "caseload charts results/pre results/latest --lang da --out results/charts"))
    ch.add_argument("run_dirs", nargs="+", help="one run folder, or several to compare")
    ch.add_argument("--lang", choices=["en", "da"], default="en", help="English or Danish (default en)")
    ch.add_argument("--out", default=None, help="folder for the charts (default RUN_DIR/charts)")
    ch.set_defaults(func=cmd_charts)
    de = sub.add_parser("describe", help="write the model description (STRESS-DES) as Markdown",
                        **examples("caseload describe",
                                   "caseload describe --set municipality=Odense --out results/latest"))
    de.add_argument("params", nargs="?", default=None, help="scenario TOML file (default: the national default)")
    de.add_argument("--set", action="append", default=[], metavar="PATH=VALUE", help="override a parameter")
    de.add_argument("--out", default=None, help="Markdown file (default: print)")
    de.set_defaults(func=cmd_describe)

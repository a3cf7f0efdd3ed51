"""`caseload report`, `charts` and `describe`: what a manager reads from a run folder."""

from __future__ import annotations

import argparse


def cmd_report(args: argparse.Namespace) -> int:
    from sim.output.report import report_command

    return report_command(args)


def cmd_charts(args: argparse.Namespace) -> int:
    from sim.output.charts import charts_command

    return charts_command(args)


def cmd_describe(args: argparse.Namespace) -> int:
    from sim.output.describe import describe_command

    return describe_command(args)


def register(sub: argparse._SubParsersAction) -> None:
    """Add this command group's subcommands to the `caseload` parser."""
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
    de = sub.add_parser("describe", help="write the model description (STRESS-DES) as Markdown")
    de.add_argument("params", nargs="?", default=None)
    de.add_argument("--set", action="append", default=[], metavar="PATH=VALUE")
    de.add_argument("--out", default=None, help="Markdown file (default: print)")
    de.set_defaults(func=cmd_describe)

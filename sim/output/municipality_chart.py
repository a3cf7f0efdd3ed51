"""The municipality chart: FTE per 1,000 inhabitants in each municipality, sorted, with intervals.

Why: the law counts the one-in-four exemption per municipality and the 2027 trial is assigned by
municipality, so a national run differs from place to place even where every municipality has the
national average mix of citizens. A sorted dot plot shows the spread at a glance, with the 19
free-choice municipalities marked. The numbers are read from ``by_municipality.csv`` of a run
written with ``caseload run --by municipality``; a run without that file gets no chart.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pandas as pd
from matplotlib.figure import Figure
from matplotlib.lines import Line2D

from sim.inputs.municipalities import municipalities
from sim.metrics.by_municipality import BY_MUNICIPALITY_FILE
from sim.metrics.stats import t_half_width
from sim.output.labels import label
from sim.output.run_folder import Run
from sim.output.slides import new_figure, number_axis

KPI = "fte_per_1000_inhabitants"
FREE_COLOR, OTHER_COLOR = "#c0392b", "#2c6fbb"


def municipality_points(path: Path) -> pd.DataFrame | None:
    """Per municipality: the mean of the KPI over replications and its 95 % t half-width, sorted by
    the mean, with a free-choice flag from the municipality table; None without the file."""
    file = path / BY_MUNICIPALITY_FILE
    if not file.exists():
        return None
    rows = pd.read_csv(file)
    rows = rows[(rows.kpi == KPI) & (rows.group == "all") & (rows.provider == "all")]
    if rows.empty:
        return None
    g = rows.groupby("municipality").value
    out = pd.DataFrame({"mean": g.mean(), "sd": g.std(ddof=1), "n": g.size()})
    out["half"] = t_half_width(out["sd"], out["n"])
    free = {m.name for m in municipalities() if m.free_choice}
    out["free_choice"] = [name in free for name in out.index]
    return out.sort_values("mean")


def chart_municipalities(runs: Sequence[Run], lang: str) -> Figure | None:
    """(f) FTE per 1,000 inhabitants by municipality, sorted, 95 % intervals, free choice marked
    (the first run with the file: a comparison of runs would need one panel per run)."""
    for run in runs:
        points = municipality_points(run.path)
        if points is not None:
            break
    else:
        return None
    fig, ax = new_figure(label("title.municipalities", lang), [run], lang)
    x = np.arange(len(points))
    colors = [FREE_COLOR if f else OTHER_COLOR for f in points.free_choice]
    half = points["half"].fillna(0.0).to_numpy()
    ax.errorbar(x, points["mean"], yerr=half, fmt="none", ecolor="#999999", elinewidth=0.8, capsize=0)
    ax.scatter(x, points["mean"], c=colors, s=14, zorder=3)
    ax.set_xticks(x, points.index, rotation=90, fontsize=5)
    ax.set_xlim(-1, len(points))
    ax.set_ylim(bottom=0.0)  # FTE cannot be negative: an interval of two replications may reach below
    ax.grid(axis="x", visible=False)
    ax.set_ylabel(label("axis.fte_per_1000", lang))
    number_axis(ax.yaxis, lang, 1)
    handles = [Line2D([], [], marker="o", ls="", color=FREE_COLOR, label=label("legend.free_choice", lang)),
               Line2D([], [], marker="o", ls="", color=OTHER_COLOR, label=label("legend.extended_akasse", lang))]
    ax.legend(handles=handles, loc="upper left", frameon=False)
    return fig

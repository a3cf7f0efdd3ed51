"""The slide canvas every chart is drawn on: size, fonts, the provenance footer, and the bar helper.

Figures are bare ``matplotlib.figure.Figure`` objects with the Agg canvas, never pyplot, so that
making charts inside a notebook or a worker process leaves no global state behind. Each figure
carries its title and provenance (``figure_meta``), which the writers put into the file metadata
so they survive when the picture is copied out of the slide deck.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any

import matplotlib
import pandas as pd
import seaborn as sns
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.layout_engine import ConstrainedLayoutEngine
from matplotlib.patches import Patch
from matplotlib.ticker import Formatter

from sim.output.headline import axis_population
from sim.output.labels import fmt_number, label
from sim.output.run_folder import Run, provenance

SLIDE_SIZE = (13.33, 7.5)  # inches, 16:9
LINESTYLES = ["-", "--", ":", "-."]
STATUS_COLORS = {"met": "#2a9d8f", "not met": "#c1121f", "uncertain": "#e9a23b"}
WHISKER = {"fmt": "none", "ecolor": "#222222", "capsize": 4, "lw": 1.3}

RC: dict[Any, Any] = {  # rc keys are Literal-typed in matplotlib's stubs
    "font.size": 14,
    "axes.titlesize": 17,
    "axes.labelsize": 15,
    "xtick.labelsize": 13,
    "ytick.labelsize": 13,
    "legend.fontsize": 12,
    "legend.title_fontsize": 13,
    "figure.titlesize": 22,
    "svg.fonttype": "none",  # keep text as text: searchable provenance, editable in slide tools
    "svg.hashsalt": "caseload-sim",  # stable element ids, so reruns give identical files
    "pdf.fonttype": 42,
}


@contextmanager
def slide_style() -> Iterator[None]:
    """Slide fonts and seaborn's whitegrid for the figures made (and saved) inside, without
    changing the caller's matplotlib settings."""
    with sns.axes_style("whitegrid"), matplotlib.rc_context(RC):
        yield


def new_figure(title: str, runs: Sequence[Run], lang: str, **grid: Any) -> tuple[Figure, Any]:
    """A slide-sized figure with the title top left and the provenance footer at the bottom."""
    fig = Figure(figsize=SLIDE_SIZE, layout="constrained")
    FigureCanvasAgg(fig)
    axes = fig.subplots(**grid) if grid else fig.subplots()
    fig.suptitle(title, x=0.01, ha="left", fontweight="bold")
    lines = [provenance(r, lang) for r in runs]
    fig.text(0.005, 0.006, "\n".join(lines), ha="left", va="bottom", fontsize=10, color="#555555")
    foot = 0.012 + 0.022 * len(lines)
    layout = fig.get_layout_engine()
    assert isinstance(layout, ConstrainedLayoutEngine)
    layout.set(rect=(0, foot, 1, 1 - foot))
    fig._caseload_meta = {"title": title, "provenance": "; ".join(lines)}  # type: ignore[attr-defined]
    return fig, axes


def figure_meta(fig: Figure) -> dict[str, str]:
    """Title and provenance of a chart made here."""
    return getattr(fig, "_caseload_meta", {"title": "", "provenance": ""})


def scale_text(runs: Sequence[Run], lang: str) -> str:
    """The population the counts on the axis are for ('Denmark', a municipality), or 'simulated at
    scale 0.005' for a run folder written before counts were scaled up to the population."""
    if all(r.population_factor is not None for r in runs):
        return axis_population([r.meta for r in runs], lang)
    scales = sorted({r.scale for r in runs})
    text = " / ".join(f"{s:g}" for s in scales)
    return label("at_scale", lang).format(scale=text.replace(".", ",") if lang == "da" else text)


def run_colors(runs: Sequence[Run]) -> dict[str, Any]:
    """One colour-blind-safe colour per run, by run name."""
    pal = sns.color_palette("colorblind", max(len(runs), 3))
    return {r.name: pal[i] for i, r in enumerate(runs)}


def provider_colors(providers: Sequence[str]) -> dict[str, Any]:
    """One colour per provider, the same in every chart."""
    return dict(zip(providers, sns.color_palette("deep", len(providers)), strict=True))


class NumberTicks(Formatter):
    """Tick labels with the language's separators and as few decimals as the ticks need, at most
    `decimals`: FTE ticks at 0, 20, 40 read "20", not "20.0"; ticks at 0.5, 1.0, 1.5 keep one
    decimal on every tick, so a column of labels stays aligned."""

    def __init__(self, lang: str, decimals: int = 0) -> None:
        self.lang, self.decimals, self.shown = lang, decimals, decimals

    def set_locs(self, locs: Any) -> None:
        super().set_locs(locs)
        self.shown = next((d for d in range(self.decimals + 1)
                           if all(abs(round(float(v), d) - float(v)) <= 1e-9 * max(1.0, abs(float(v))) for v in locs)),
                          self.decimals)

    def __call__(self, x: float, pos: int | None = None) -> str:
        return fmt_number(x, self.lang, self.shown)


def number_axis(axis: Any, lang: str, decimals: int = 0) -> None:
    """Tick labels with the language's thousands and decimal separators (see NumberTicks)."""
    axis.set_major_formatter(NumberTicks(lang, decimals))


def hue_legend(ax: Any, names: list[str], colors: dict[str, Any], title: str | None = None, **kw: Any) -> None:
    ax.legend([Patch(color=colors[n]) for n in names], names, title=title, **kw)


def _whisker(row: pd.Series) -> tuple[float, float]:
    """Lengths below and above the mean; a missing bound draws no whisker on that side."""
    lo = max(row["mean"] - row["ci_low"], 0.0) if pd.notna(row["ci_low"]) else 0.0
    hi = max(row["ci_high"] - row["mean"], 0.0) if pd.notna(row["ci_high"]) else 0.0
    return lo, hi


def dodged_bars(ax: Any, rows: pd.DataFrame, cats: list[str], hues: list[str], colors: dict[str, Any],
                horizontal: bool = False, compact: bool = False,
                cat_colors: dict[str, Any] | None = None) -> dict[tuple[str, str], float]:
    """Bars dodged by hue with the summary's own 95 % interval as whiskers (seaborn's barplot would
    bootstrap a different interval from the replications). `rows` has cat, hue, mean, ci_low,
    ci_high. `compact` centres the bars a category has instead of leaving empty slots (one run:
    the a-kasse only serves one group); `cat_colors` colours by category instead of hue. Returns
    the centre of each (cat, hue) bar, for markers drawn on top."""
    width = 0.8 / max(len(hues), 1)
    centres: dict[tuple[str, str], float] = {}
    for i, cat in enumerate(cats):
        sub = rows[rows["cat"] == cat].set_index("hue")
        present = [h for h in hues if h in sub.index]
        slots = present if compact else hues
        left = i - width * len(slots) / 2
        for h in present:
            r = sub.loc[h]
            pos = left + width * (slots.index(h) + 0.5)
            centres[(cat, h)] = pos
            lo, hi = _whisker(r)
            color = (cat_colors or {}).get(cat, colors.get(h, "#4c72b0"))
            if horizontal:
                ax.barh(pos, r["mean"], height=width * 0.9, color=color)
                ax.errorbar(r["mean"], pos, xerr=[[lo], [hi]], **WHISKER)
            else:
                ax.bar(pos, r["mean"], width=width * 0.9, color=color)
                ax.errorbar(pos, r["mean"], yerr=[[lo], [hi]], **WHISKER)
    return centres

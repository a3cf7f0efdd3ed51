"""Charts of studies: the paired differences of a comparison and the sensitivity indices of a sweep.

The studies compute and store numbers; drawing them belongs here, in the output layer, beside the
run charts, so that labels and languages come from one place (:mod:`sim.output.labels`). Each chart
is written as PNG and SVG through an atomic write, and the figure is closed after writing so a long
sweep with many KPIs does not hold every figure in memory.

The figures are pyplot figures and no backend is forced: a notebook shows them inline, and a
machine without a display falls back to Agg by itself. pyplot is imported when a chart is drawn,
not when the module is: it would be most of the start-up time of every `caseload` command."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from sim._version import __version__
from sim.experiment.results import atomic_write
from sim.output.labels import factor_label, label
from sim.output.slides import SLIDE_SIZE, number_axis, slide_style
from sim.studies.compare import Comparison
from sim.studies.sweep import SweepResult

if TYPE_CHECKING:
    from matplotlib.figure import Figure

CHART_DPI = 150


def comparison_chart(cmp: Comparison, lang: str = "en") -> Figure:
    """Relative difference (B − A) / A of the headline KPIs with 95 % intervals: one row per KPI,
    a dot and a bar, zero marked, so that which changes are real is visible at a glance."""
    import matplotlib.pyplot as plt

    h = cmp.headline()
    h = h[h["mean_a"].abs() > 0]
    fig, ax = plt.subplots(figsize=(8.5, 0.42 * max(3, len(h)) + 1.8))
    y = np.arange(len(h))[::-1]
    scale = h["mean_a"].abs().to_numpy()
    lo, hi, mid = (h["ci_low"] / scale * 100).to_numpy(), (h["ci_high"] / scale * 100).to_numpy(), \
        (h["diff"] / scale * 100).to_numpy()
    sig = (lo > 0) | (hi < 0)
    ax.hlines(y, lo, hi, color=np.where(sig, "#1f77b4", "#999999"), lw=3)
    ax.plot(mid, y, "o", color="black", ms=4)
    ax.axvline(0, color="#444444", lw=0.8)
    ax.set_yticks(y, [label(k, lang) for k in h["kpi"]])
    ax.set_xlabel(label("axis.change_pct", lang))
    a_name, b_name = cmp.meta.get("a", {}).get("scenario"), cmp.meta.get("b", {}).get("scenario")
    ax.set_title(f"{b_name} − {a_name}")
    fig.text(0.01, 0.01, label("t.paired", lang).format(n=cmp.meta.get("replications"), seed=cmp.meta.get("seed"),
                                                        vr=f"{cmp.variance_reduction():.0%}", version=__version__),
             fontsize=7, color="#555555")
    fig.tight_layout(rect=(0, 0.04, 1, 1))
    return fig


# The chart pack's colour-blind palette (seaborn "colorblind"): blue, orange, and a red for σ.
_BLUE, _ORANGE, _RED = "#0173b2", "#de8f05", "#d55e00"
_WHISKER = {"ecolor": "#222222", "capsize": 4, "lw": 1.3}


def _sensitivity_bars(ax, df: pd.DataFrame, ypos: np.ndarray, method: str, lang: str) -> pd.DataFrame:
    """Draw the bars (μ*, σ and μ with its interval for Morris, S1 and ST otherwise); returns the rows
    in drawn order."""
    if method == "morris":
        df = df.sort_values("mu_star")
        ax.barh(ypos, df["mu_star"], xerr=df["mu_star_conf"], color=_BLUE, label=label("legend.mu_star", lang),
                error_kw=_WHISKER)
        ax.plot(df["sigma"], ypos, "o", color=_RED, ms=8, label=label("legend.sigma", lang))
        if "mu_conf" in df:  # the signed mean effect: its interval, unlike μ*'s, is not pushed off zero by noise
            ax.errorbar(df["mu"], ypos, xerr=df["mu_conf"], fmt="s", ms=6, color="black",
                        label=label("legend.mu", lang))
            ax.axvline(0, color="#444444", lw=0.8)
        ax.set_xlabel(label("axis.elementary_effect", lang))
        return df
    key = "ST" if "ST" in df else "S1"
    df = df.sort_values(key)
    if "ST" in df:
        ax.barh(ypos + 0.2, df["ST"], height=0.4, xerr=df["ST_conf"], color=_ORANGE, label=label("legend.st", lang),
                error_kw=_WHISKER)
    ax.barh(ypos - (0.2 if "ST" in df else 0.0), df["S1"], height=0.4 if "ST" in df else 0.7,
            xerr=df["S1_conf"], color=_BLUE, label=label("legend.s1", lang), error_kw=_WHISKER)
    ax.set_xlabel(label("axis.sobol", lang))
    lowest = np.nanmin(df["S1"].to_numpy(dtype=float)) if df["S1"].notna().any() else 0.0
    ax.set_xlim(left=min(0.0, float(lowest) - 0.05))
    return df


def sensitivity_chart(indices: pd.DataFrame, kpi: str, lang: str = "en", caption: str = "") -> Figure:
    """A horizontal bar chart of the indices of one KPI: S1 and ST (Sobol), S1 (RBD-FAST) or mu*
    with sigma (Morris), factors sorted by importance and named in words (not parameter paths),
    with confidence bars. Drawn like the chart pack: slide size, its fonts and grid, the title top
    left and the sweep's provenance as a grey footer."""
    import matplotlib.pyplot as plt
    from matplotlib.layout_engine import ConstrainedLayoutEngine

    with slide_style():
        df = indices.copy()
        method = str(df["method"].iloc[0]) if len(df) else ""
        fig, ax = plt.subplots(figsize=SLIDE_SIZE, layout="constrained")
        ypos = np.arange(len(df))
        df = _sensitivity_bars(ax, df, ypos, method, lang)
        ax.set_yticks(ypos, [factor_label(str(f), lang) for f in df["factor"]])
        ax.grid(axis="y", visible=False)
        number_axis(ax.xaxis, lang, 2)
        ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1), frameon=False)
        method_name = label(f"method.{method}", lang) if method else ""
        fig.suptitle(label("title.sensitivity", lang).format(kpi=label(kpi, lang))
                     + (f" ({method_name})" if method_name else ""), x=0.01, ha="left", fontweight="bold")
        if caption:
            fig.text(0.005, 0.006, caption, ha="left", va="bottom", fontsize=10, color="#555555")
            layout = fig.get_layout_engine()
            assert isinstance(layout, ConstrainedLayoutEngine)
            layout.set(rect=(0, 0.035, 1, 0.965))
    return fig


def save_png_svg(fig: Figure, folder: Path, stem: str) -> list[Path]:
    """`stem`.png and `stem`.svg in `folder`, each written atomically; the figure is closed."""
    import matplotlib.pyplot as plt

    written = []
    try:
        for ext in ("png", "svg"):
            path = folder / f"{stem}.{ext}"
            atomic_write(path, lambda p, ext=ext: fig.savefig(p, format=ext, dpi=CHART_DPI))
            written.append(path)
    finally:
        plt.close(fig)
    return written


def write_comparison_chart(cmp: Comparison, out: str | Path, lang: str = "en") -> list[Path]:
    """differences.png and differences.svg in a comparison folder."""
    return save_png_svg(comparison_chart(cmp, lang), Path(out), "differences")


def _caption(res: SweepResult, diagnosis: pd.DataFrame | None, kpi: str) -> str:
    """The sweep's design and, from its diagnosis, the verdict and noise share of `kpi`."""
    text = (f"sweep {res.spec.name} ({res.spec.design}, {len(res.points)} points × {res.spec.replications} "
            f"replications, seed {res.spec.seed}), caseload-sim {__version__}")
    if diagnosis is not None and (diagnosis["kpi"] == kpi).any():
        d = diagnosis[diagnosis["kpi"] == kpi].iloc[0]
        share = d["noise_share_of_means"]
        noise = f", replication noise {share:.0%} of the spread" if np.isfinite(share) else ""
        text += f"; {d['verdict']}{noise}"
    return text


def write_sensitivity_charts(res: SweepResult, indices: dict[str, pd.DataFrame], lang: str = "en",
                             folder: Path | None = None, diagnosis: pd.DataFrame | None = None) -> list[Path]:
    """sensitivity_KPI.png and .svg in `folder` (default the sweep folder) for every KPI with indices;
    a KPI whose indices are all NaN (too few points) gets no chart, and the caption carries the
    diagnosis's verdict, so a chart of noise does not pass for a finding."""
    written = []
    for kpi, df in indices.items():
        values = df.drop(columns=["kpi", "factor", "method"], errors="ignore")
        if values.isna().all().all():
            continue
        stem = "sensitivity_" + "".join(c if c.isalnum() or c in "_-" else "_" for c in kpi)
        with slide_style():  # the chart pack's fonts also when the file is written (SVG text kept as text)
            written += save_png_svg(sensitivity_chart(df, kpi, lang, caption=_caption(res, diagnosis, kpi)),
                                    folder or res.out, stem)
    return written

"""The five slide charts of a run folder, or of several overlaid: caseload, FTE, talks, compliance, money.

Each builder returns a Figure, or None when none of the runs has its inputs (an older run folder),
so a chart is skipped rather than drawn from invented numbers. Bars and whiskers are the mean and
95 % interval of summary.csv as written; weekly lines are the mean over replications with the same
Student-t band (sim.output.chart_series). Counts are for the population the run stands for
(summary.csv as written, the weekly series × run.json's population factor), and the axes say which.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import matplotlib.dates as mdates
import pandas as pd
import seaborn as sns
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Patch
from matplotlib.ticker import FuncFormatter

from sim.output.chart_series import (
    PROVIDERS,
    compliance_rows,
    dates,
    full_weeks,
    kpi_rows,
    mean_band,
    ordered_groups,
    weekly_fte,
)
from sim.output.labels import fmt_number, fmt_share, group_label, label
from sim.output.municipality_chart import chart_municipalities
from sim.output.run_folder import Run
from sim.output.slides import (
    LINESTYLES,
    STATUS_COLORS,
    dodged_bars,
    hue_legend,
    new_figure,
    number_axis,
    provider_colors,
    run_colors,
    scale_text,
)


def _run_style_handles(runs: Sequence[Run]) -> list[Line2D]:
    """Legend entries telling overlaid runs apart by line style."""
    return [Line2D([], [], color="#333333", ls=LINESTYLES[k % len(LINESTYLES)], lw=2, label=r.name)
            for k, r in enumerate(runs)]


def _date_axis(ax: Any, lang: str) -> None:
    ax.set_xlabel(label("axis.date", lang))
    ax.set_ylim(bottom=0)
    ax.xaxis.set_major_formatter(mdates.DateFormatter("%Y-%m"))


def chart_caseload(runs: Sequence[Run], lang: str) -> Figure | None:
    """(a) Caseload by group over time with a 95 % band over replications."""
    with_weekly = [r for r in runs if r.weekly is not None and (r.weekly["measure"] == "stock").any()]
    if not with_weekly:
        return None
    fig, ax = new_figure(label("title.caseload", lang), runs, lang)
    pal = sns.color_palette("colorblind", 10)  # ten distinct colours: the five groups and the programmes
    handles: list[Any] = []
    for k, run in enumerate(with_weekly):
        w = full_weeks(run)
        w = w[(w["measure"] == "stock") & (w["group"] != "all") & (w["provider"] == "all")]
        band = mean_band(w, ["group", "week"])
        for i, g in enumerate(ordered_groups(set(band["group"]))):
            b = band[band["group"] == g]
            x = dates(run, b["week"])
            color = pal[i % len(pal)]
            ls = LINESTYLES[k % len(LINESTYLES)]
            sns.lineplot(x=x, y=b["mean"].to_numpy(), ax=ax, color=color, linestyle=ls, lw=2.2, legend=False)
            ax.fill_between(x, b["lo"], b["hi"], color=color, alpha=0.2, lw=0)
            if k == 0:
                handles.append(Line2D([], [], color=color, lw=3, label=group_label(g, lang, run.params)))
    handles.append(Patch(color="#888888", alpha=0.3, label=label("band", lang)))
    if len(with_weekly) > 1:
        handles += _run_style_handles(with_weekly)
    ax.legend(handles=handles, loc="upper left", bbox_to_anchor=(1.01, 1), frameon=False)
    _date_axis(ax, lang)
    ax.set_ylabel(f"{label('axis.persons', lang)} ({scale_text(runs, lang)})")
    number_axis(ax.yaxis, lang)
    return fig


def _fte_weekly_panel(ax: Any, runs: Sequence[Run], weekly: dict[str, pd.DataFrame | None], lang: str) -> None:
    """Left panel of (b): weekly demand as FTE per provider, a line and band per run."""
    pal = provider_colors(PROVIDERS)
    for k, run in enumerate(runs):
        w = weekly[run.name]
        if w is None or w.empty:
            continue
        band = mean_band(w, ["provider", "week"])
        for p in PROVIDERS:
            b = band[band["provider"] == p]
            x = dates(run, b["week"])
            ax.plot(x, b["mean"], color=pal[p], ls=LINESTYLES[k % 4], lw=2.2)
            ax.fill_between(x, b["lo"], b["hi"], color=pal[p], alpha=0.2, lw=0)
    handles: list[Any] = [Line2D([], [], color=pal[p], lw=3, label=label(p, lang)) for p in PROVIDERS]
    if len(runs) > 1:
        handles += _run_style_handles(runs)
    ax.legend(handles=handles, loc="upper left", frameon=True, framealpha=0.9)
    ax.set_title(label("title.fte_weekly", lang), loc="left")
    _date_axis(ax, lang)
    ax.set_ylabel(f"{label('axis.fte', lang)} ({scale_text(runs, lang)})")
    ax.tick_params(axis="x", labelrotation=30)
    number_axis(ax.yaxis, lang, 1)


def _fte_kpi_panel(ax: Any, runs: Sequence[Run], lang: str) -> None:
    """Right panel of (b): the run's fte_needed KPI per provider and in all, with its interval."""
    cats = PROVIDERS + ["all"]
    rows = pd.concat([kpi_rows(r, "fte_needed").query("group == 'all'").assign(hue=r.name) for r in runs])
    rows = rows.assign(cat=rows["provider"])
    if len(runs) == 1:  # one run: colour by provider, like the left panel
        dodged_bars(ax, rows, cats, [runs[0].name], {}, cat_colors={**provider_colors(PROVIDERS), "all": "#555555"})
    else:
        dodged_bars(ax, rows, cats, [r.name for r in runs], run_colors(runs))
        hue_legend(ax, [r.name for r in runs], run_colors(runs), loc="upper left")
    ax.set_xticks(range(len(cats)), [label(c, lang) for c in cats])
    ax.set_title(label("title.fte_kpi", lang), loc="left")
    ax.set_ylabel(f"{label('axis.fte', lang)} ({scale_text(runs, lang)})")
    number_axis(ax.yaxis, lang, 1)


def chart_fte(runs: Sequence[Run], lang: str) -> Figure | None:
    """(b) FTE needed by provider: weekly demand as FTE (left) and the run's fte_needed KPI (right)."""
    weekly = {r.name: weekly_fte(r) for r in runs}
    has_kpi = any(not kpi_rows(r, "fte_needed").empty for r in runs)
    has_weekly = any(v is not None and not v.empty for v in weekly.values())
    if not (has_kpi or has_weekly):
        return None
    fig, (ax_w, ax_k) = new_figure(label("title.fte", lang), runs, lang, ncols=2, width_ratios=[1.8, 1.2])
    _fte_weekly_panel(ax_w, runs, weekly, lang)
    _fte_kpi_panel(ax_k, runs, lang)
    return fig


def _talks_one_run(runs: Sequence[Run], rows: pd.DataFrame, groups: list[str], lang: str) -> tuple[Figure, list]:
    """(c) for one run: groups on the axis, a bar per provider that serves the group."""
    fig, ax = new_figure(label("title.talks", lang), runs, lang)
    pal = provider_colors(PROVIDERS)
    shown = rows[~((rows["mean"] == 0) & (rows["ci_high"].fillna(0) == 0))]
    dodged_bars(ax, shown.assign(cat=shown["group"], hue=shown["provider"]), groups, PROVIDERS, pal, compact=True)
    ax.legend([Patch(color=pal[p]) for p in PROVIDERS], [label(p, lang) for p in PROVIDERS],
              title=label("axis.provider", lang), loc="upper right")
    ax.set_xticks(range(len(groups)), [group_label(g, lang, runs[0].params) for g in groups])
    return fig, [ax]


def _talks_comparison(runs: Sequence[Run], rows: pd.DataFrame, groups: list[str], lang: str) -> tuple[Figure, list]:
    """(c) for several runs: a panel per provider with talks, the runs dodged within each group."""
    params = runs[0].params
    used = [p for p in PROVIDERS if (rows[rows["provider"] == p]["mean"] > 0).any()]
    per = {p: [g for g in groups if (rows[(rows["provider"] == p) & (rows["group"] == g)]["mean"] > 0).any()]
           for p in used}
    fig, grid = new_figure(label("title.talks", lang), runs, lang, ncols=len(used),
                           width_ratios=[max(len(per[p]), 2) for p in used], sharey=True, squeeze=False)
    axes = list(grid[0])
    colors = run_colors(runs)
    names = [r.name for r in runs]
    for ax, p in zip(axes, used, strict=True):
        sub = rows[rows["provider"] == p]
        dodged_bars(ax, sub.assign(cat=sub["group"], hue=sub["run"]), per[p], names, colors)
        ax.set_xticks(range(len(per[p])), [group_label(g, lang, params) for g in per[p]])
        ax.set_title(label(p, lang), loc="left")
    fig.legend([Patch(color=colors[n]) for n in names], names, loc="outside upper right", ncols=len(names),
               frameon=False)
    return fig, axes


def chart_talks(runs: Sequence[Run], lang: str) -> Figure | None:
    """(c) Job talks a year by group and provider with 95 % whiskers, from talks_held_per_year."""
    rows = pd.concat([kpi_rows(r, "talks_held_per_year").assign(run=r.name) for r in runs])
    rows = rows[(rows["group"] != "all") & rows["provider"].isin(PROVIDERS)]
    if rows.empty:
        return None
    groups = ordered_groups(set(rows["group"]))
    make = _talks_one_run if len(runs) == 1 else _talks_comparison
    fig, axes = make(runs, rows, groups, lang)
    for ax in axes:
        ax.set_xlabel("")
        number_axis(ax.yaxis, lang)
    axes[0].set_ylabel(f"{label('axis.talks', lang)} ({scale_text(runs, lang)})")
    return fig


def _compliance_table(runs: Sequence[Run], lang: str) -> tuple[pd.DataFrame, bool] | None:
    """The share rows of all runs with a category label each, and whether any run has the law's
    thresholds (compliance.csv); None when no run has any share to show."""
    parts = [compliance_rows(r) for r in runs]
    frames = [rows.assign(run=r.name) for r, (rows, _) in zip(runs, parts, strict=True) if not rows.empty]
    if not frames:
        return None
    rows = pd.concat(frames, ignore_index=True)
    params = runs[0].params
    rows["cat"] = [f"{label(k, lang)} · {group_label(g, lang, params)}" for k, g in zip(rows["kpi"], rows["group"])]
    if "rule_set" in rows and rows.duplicated(["run", "cat"]).any():  # a rule timeline: one row per rule set
        rows["cat"] = rows["cat"] + " · " + rows["rule_set"].astype(str)
    return rows, any(flag for _, flag in parts)


def _compliance_bars(ax: Any, rows: pd.DataFrame, cats: list[str], runs: Sequence[Run], by_status: bool,
                     lang: str) -> tuple[dict[tuple[str, str], float], list[str], list[Any]]:
    """The horizontal bars: one run with the law coloured by status, else one colour per run.
    Sets rows["hue"]; returns the bar centres, the hues and the legend handles."""
    if by_status:
        statuses = [s for s in STATUS_COLORS if s in set(rows["status"])]
        # one hue per bar (its status) but all in the same slot: draw each status as its own layer
        centres: dict[tuple[str, str], float] = {}
        for s in statuses:
            sub = rows[rows["status"] == s].assign(hue="x")
            centres.update(dodged_bars(ax, sub, cats, ["x"], {"x": STATUS_COLORS[s]}, horizontal=True))
        rows["hue"] = "x"
        return centres, ["x"], [Patch(color=STATUS_COLORS[s], label=label(s, lang)) for s in statuses]
    hues = [r.name for r in runs]
    rows["hue"] = rows["run"]
    colors = run_colors(runs)
    centres = dodged_bars(ax, rows, cats, hues, colors, horizontal=True)
    return centres, hues, [Patch(color=colors[h], label=h) for h in hues] if len(runs) > 1 else []


def _legal_ticks(ax: Any, rows: pd.DataFrame, centres: dict[tuple[str, str], float], n_hues: int) -> bool:
    """A black tick across each bar at its legal minimum; True if any was drawn."""
    half = 0.4 / n_hues
    for r in rows.itertuples():
        if pd.notna(r.threshold) and (r.cat, r.hue) in centres:
            y = centres[(r.cat, r.hue)]
            ax.plot([r.threshold, r.threshold], [y - half, y + half], color="black", lw=3, solid_capstyle="butt")
    return bool(rows["threshold"].notna().any())


def chart_compliance(runs: Sequence[Run], lang: str) -> Figure | None:
    """(d) Shares against the legal line: horizontal bars with 95 % whiskers, a black tick at each
    legal minimum, and (one run) bar colour by status. Horizontal so long rule names stay legible."""
    table = _compliance_table(runs, lang)
    if table is None:
        return None
    rows, have_law = table
    cats = list(dict.fromkeys(rows["cat"]))
    fig, ax = new_figure(label("title.compliance" if have_law else "title.compliance_nolaw", lang), runs, lang)
    centres, hues, handles = _compliance_bars(ax, rows, cats, runs, len(runs) == 1 and have_law, lang)
    if _legal_ticks(ax, rows, centres, len(hues)):
        handles.append(Line2D([], [], color="black", lw=3, label=label("legal_line", lang)))
    for r in rows.itertuples() if len(hues) == 1 and len(cats) <= 24 else []:  # no room in thin bars
        if (r.cat, r.hue) in centres and pd.notna(r.mean):
            ax.text(0.01, centres[(r.cat, r.hue)], fmt_share(r.mean, lang), va="center", ha="left",
                    color="white", fontsize=12, fontweight="bold")
    ax.set_yticks(range(len(cats)), cats, fontsize=13 if len(cats) <= 14 else 11 if len(cats) <= 24 else 8)
    ax.invert_yaxis()
    ax.set_xlim(0, 1.03)
    ax.xaxis.set_major_formatter(FuncFormatter(lambda v, _p: f"{fmt_number(100 * v, lang)} %"))
    ax.set_xlabel(label("axis.share", lang))
    if handles:
        ax.legend(handles=handles, loc="upper left", bbox_to_anchor=(1.01, 1), frameon=False)
    return fig


def _money_values(ax: Any, rows: pd.DataFrame, centres: dict[tuple[str, str], float], lang: str) -> None:
    """The value at the end of each whisker, readable from the back of the room (one run)."""
    pad = 0.01 * max(rows["ci_high"].abs().max(), rows["mean"].abs().max(), 1e-9)
    for r in rows.itertuples():
        end = r.ci_high if pd.notna(r.ci_high) and r.mean >= 0 else r.ci_low if pd.notna(r.ci_low) else r.mean
        text = fmt_number(r.mean, lang, 0 if abs(r.mean) >= 10 else 1)
        ax.text(end + (pad if r.mean >= 0 else -pad), centres[(r.cat, r.run)], text, va="center",
                ha="left" if r.mean >= 0 else "right", fontsize=12)
    ax.margins(x=0.08)


def chart_money(runs: Sequence[Run], lang: str) -> Figure | None:
    """(e) Money per year: the *_dkk_per_year KPIs (all groups, all providers) in DKK million."""
    frames = []
    for r in runs:
        s = r.summary
        m = s[s["kpi"].str.endswith("_dkk_per_year") & (s["group"] == "all") & (s["provider"] == "all")]
        frames.append(m.assign(run=r.name))
    rows = pd.concat(frames, ignore_index=True)
    if rows.empty:
        return None
    rows[["mean", "ci_low", "ci_high"]] = rows[["mean", "ci_low", "ci_high"]] / 1e6
    cats = [label(k, lang) for k in dict.fromkeys(rows["kpi"])]
    rows["cat"] = rows["kpi"].map(lambda k: label(k, lang))
    fig, ax = new_figure(label("title.money", lang), runs, lang)
    colors = run_colors(runs)
    centres = dodged_bars(ax, rows.assign(hue=rows["run"]), cats, [r.name for r in runs], colors, horizontal=True)
    ax.axvline(0, color="#333333", lw=1)
    if len(runs) == 1:
        _money_values(ax, rows, centres, lang)
    ax.set_yticks(range(len(cats)), cats)
    ax.invert_yaxis()
    ax.set_xlabel(f"{label('axis.mdkk', lang)} ({scale_text(runs, lang)})")
    number_axis(ax.xaxis, lang, 0 if rows["mean"].abs().max() >= 100 else 1)
    if len(runs) > 1:
        hue_legend(ax, [r.name for r in runs], colors, loc="upper left", bbox_to_anchor=(1.01, 1), frameon=False)
    return fig


CHARTS: list[tuple[str, Callable[[Sequence[Run], str], Figure | None]]] = [
    ("caseload", chart_caseload), ("fte", chart_fte), ("talks", chart_talks),
    ("compliance", chart_compliance), ("money", chart_money), ("municipalities", chart_municipalities)]


def build_figures(runs: Sequence[Run], lang: str) -> list[tuple[str, Figure]]:
    """All charts the runs have data for, as (name, figure); call inside slide_style()."""
    out = []
    for name, make in CHARTS:
        fig = make(runs, lang)
        if fig is not None:
            out.append((name, fig))
    return out

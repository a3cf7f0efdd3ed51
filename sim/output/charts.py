"""The chart pack: slide-sized seaborn charts for one run folder or a comparison of several.

Charts are built on bare ``matplotlib.figure.Figure`` objects with the Agg canvas, never through
pyplot, so that making charts inside a notebook or a worker process leaves no global state behind.
Every chart carries its provenance twice: a footer people can read on the slide, and file metadata
that survives when the picture is copied out of the slide deck. Numbers come only from the run
folder; a chart whose inputs are missing (an older run) is skipped, never filled in.
"""

from __future__ import annotations

import argparse
import json
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import matplotlib
import matplotlib.dates as mdates
import numpy as np
import pandas as pd
import seaborn as sns
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.backends.backend_pdf import PdfPages
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Patch
from matplotlib.ticker import FuncFormatter
from scipy import stats

from sim.inputs.errors import ParamError
from sim.output.labels import fmt_number, fmt_share, group_label, label

SLIDE_SIZE = (13.33, 7.5)  # inches, 16:9
PNG_DPI = 150
WEEKS_PER_YEAR = 52.18
GROUP_ORDER = ["dagpenge", "jobparat", "aktivitetsparat", "sygemeldt", "oevrige"]
PROVIDERS = ["municipality", "akasse"]
SHARE_FALLBACK_KPIS = ["first_talk_on_time", "talk_coverage_6m", "offer_coverage_6m"]
STATUS_COLORS = {"met": "#2a9d8f", "not met": "#c1121f", "uncertain": "#e9a23b"}
LINESTYLES = ["-", "--", ":", "-."]
SUMMARY_NEEDS = {"kpi", "group", "provider", "mean", "ci_low", "ci_high"}
COMPLIANCE_NEEDS = {"kpi", "group", "mean", "ci_low", "ci_high", "threshold", "status"}

RC = {
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


@dataclass
class Run:
    """One run folder as read from disk; optional files are None when the run predates them."""

    path: Path
    meta: dict[str, Any]
    summary: pd.DataFrame
    weekly: pd.DataFrame | None = None
    compliance: pd.DataFrame | None = None
    name: str = field(default="")

    @property
    def params(self) -> dict[str, Any]:
        return self.meta.get("params") or {}

    @property
    def scale(self) -> float:
        return float(self.meta.get("scale", self.params.get("scale", 1.0)))

    @property
    def years(self) -> float:
        return float(self.meta.get("years", self.params.get("years", 1.0)))


def _bad_run(run_dir: Path, why: str) -> ParamError:
    return ParamError("run_dir", str(run_dir), f"a run folder written by `caseload run --out DIR` ({why})")


def _read_csv(path: Path, needs: set[str], run_dir: Path) -> pd.DataFrame:
    """Read a result CSV and check its columns, so a wrong file fails with one clear line."""
    try:
        df = pd.read_csv(path)
    except (OSError, ValueError) as exc:
        raise _bad_run(run_dir, f"{path.name} unreadable: {exc}") from None
    missing = needs - set(df.columns)
    if missing:
        raise _bad_run(run_dir, f"{path.name} lacks columns {sorted(missing)}")
    return df


def load_run(run_dir: str | Path) -> Run:
    """Read run.json and summary.csv (required) and weekly.parquet, compliance.csv (optional)."""
    path = Path(run_dir)
    if not path.is_dir():
        raise _bad_run(path, "no such folder")
    if not (path / "run.json").is_file() or not (path / "summary.csv").is_file():
        raise _bad_run(path, "run.json and summary.csv are missing")
    try:
        meta = json.loads((path / "run.json").read_text())
    except (OSError, ValueError) as exc:
        raise _bad_run(path, f"run.json unreadable: {exc}") from None
    if not isinstance(meta, dict):
        raise _bad_run(path, "run.json is not an object")
    run = Run(path=path, meta=meta, summary=_read_csv(path / "summary.csv", SUMMARY_NEEDS, path))
    if (path / "weekly.parquet").is_file():
        run.weekly = pd.read_parquet(path / "weekly.parquet")
    if (path / "compliance.csv").is_file():
        comp = _read_csv(path / "compliance.csv", COMPLIANCE_NEEDS, path)
        comp["status"] = comp["status"].astype(str).str.strip().str.lower().str.replace("_", " ")
        run.compliance = comp
    run.name = f"{meta.get('scenario', path.name)} ({rules_text(meta.get('rules'))})"
    return run


def load_runs(run_dirs: Sequence[str | Path]) -> list[Run]:
    """Load several runs; identical scenario names get the folder name added so legends differ."""
    runs = [load_run(d) for d in run_dirs]
    names = [r.name for r in runs]
    for r in runs:
        if names.count(r.name) > 1:
            r.name = f"{r.name} [{r.path.name}]"
    names = [r.name for r in runs]
    for i, r in enumerate(runs):  # the same folder twice, or equal folder names in different places
        if names.count(r.name) > 1:
            r.name = f"{r.name} #{i + 1}"
    return runs


def rules_text(rules: Any) -> str:
    """A rule set name, or a dated timeline of them as 'a → b → c'."""
    if isinstance(rules, list):
        return " → ".join(str(step.get("set", step)) if isinstance(step, dict) else str(step) for step in rules)
    return str(rules) if rules is not None else "?"


def provenance(run: Run, lang: str) -> str:
    """The footer and metadata line: enough to find the exact run again."""
    m = run.meta
    return label("provenance", lang).format(
        scenario=m.get("scenario", "?"), rules=rules_text(m.get("rules")), hash=m.get("params_hash", "?"),
        seed=m.get("seed", "?"), reps=m.get("replications", "?"), version=m.get("version", "?"))


def _scale_text(runs: Sequence[Run], lang: str) -> str:
    scales = sorted({r.scale for r in runs})
    text = " / ".join(f"{s:g}" for s in scales)
    return label("at_scale", lang).format(scale=text.replace(".", ",") if lang == "da" else text)


# ---------------------------------------------------------------- data helpers


def _full_weeks(run: Run) -> pd.DataFrame:
    """Weekly rows without the last, partial week, whose counts would look like a sudden drop."""
    w = run.weekly
    days = round(run.years * 365.25)
    return w[w["week"] * 7 + 7 <= days]


def _mean_band(df: pd.DataFrame, by: list[str]) -> pd.DataFrame:
    """Mean over replications and a 95 % Student-t interval, the same interval as summary.csv."""
    g = df.groupby(by, sort=True)["value"].agg(mean="mean", sd="std", n="count").reset_index()
    t = stats.t.ppf(0.975, np.maximum(g["n"] - 1, 1))
    half = np.where(g["n"] > 1, t * g["sd"].fillna(0) / np.sqrt(g["n"]), 0.0)
    g["lo"], g["hi"] = g["mean"] - half, g["mean"] + half
    return g


def _dates(run: Run, weeks: pd.Series) -> pd.Series:
    start = pd.Timestamp(str(run.meta.get("start_date", run.params.get("start_date", "2027-01-01"))))
    return start + pd.to_timedelta(weeks.astype(int) * 7, unit="D")


def _kpi(run: Run, kpi: str) -> pd.DataFrame:
    return run.summary[run.summary["kpi"] == kpi]


def _weekly_fte(run: Run) -> pd.DataFrame | None:
    """Weekly FTE per provider (group all): the fte_needed measure if the run has it, else the
    weekly caseworker hours at a year's rate over the productive hours of one FTE."""
    if run.weekly is None:
        return None
    w = _full_weeks(run)
    w = w[(w["group"] == "all") & w["provider"].isin(PROVIDERS)]
    if (w["measure"] == "fte_needed").any():
        return w[w["measure"] == "fte_needed"]
    hours = (run.params.get("capacity") or {}).get("productive_hours_per_fte_year")
    h = w[w["measure"] == "caseworker_hours"]
    if not hours or h.empty:
        return None
    return h.assign(value=h["value"] * WEEKS_PER_YEAR / float(hours))


# ---------------------------------------------------------------- drawing helpers


def _new_figure(title: str, runs: Sequence[Run], lang: str, **grid: Any) -> tuple[Figure, Any]:
    """A slide-sized figure with the title top left and the provenance footer at the bottom."""
    fig = Figure(figsize=SLIDE_SIZE, layout="constrained")
    FigureCanvasAgg(fig)
    axes = fig.subplots(**grid) if grid else fig.subplots()
    fig.suptitle(title, x=0.01, ha="left", fontweight="bold")
    lines = [provenance(r, lang) for r in runs]
    fig.text(0.005, 0.006, "\n".join(lines), ha="left", va="bottom", fontsize=10, color="#555555")
    foot = 0.012 + 0.022 * len(lines)
    fig.get_layout_engine().set(rect=(0, foot, 1, 1 - foot))
    fig._caseload_meta = {"title": title, "provenance": "; ".join(lines)}  # read by _save
    return fig, axes


def _run_colors(runs: Sequence[Run]) -> dict[str, Any]:
    pal = sns.color_palette("colorblind", max(len(runs), 3))
    return {r.name: pal[i] for i, r in enumerate(runs)}


def _number_axis(axis: Any, lang: str, decimals: int = 0) -> None:
    axis.set_major_formatter(FuncFormatter(lambda v, _pos: fmt_number(v, lang, decimals)))


def _dodged_bars(ax: Any, rows: pd.DataFrame, cats: list[str], hues: list[str], colors: dict[str, Any],
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
            lo = max(r["mean"] - r["ci_low"], 0.0) if pd.notna(r["ci_low"]) else 0.0
            hi = max(r["ci_high"] - r["mean"], 0.0) if pd.notna(r["ci_high"]) else 0.0
            color = (cat_colors or {}).get(cat, colors.get(h, "#4c72b0"))
            if horizontal:
                ax.barh(pos, r["mean"], height=width * 0.9, color=color)
                ax.errorbar(r["mean"], pos, xerr=[[lo], [hi]], fmt="none", ecolor="#222222", capsize=4, lw=1.3)
            else:
                ax.bar(pos, r["mean"], width=width * 0.9, color=color)
                ax.errorbar(pos, r["mean"], yerr=[[lo], [hi]], fmt="none", ecolor="#222222", capsize=4, lw=1.3)
    return centres


def _hue_legend(ax: Any, names: list[str], colors: dict[str, Any], title: str | None = None, **kw: Any) -> None:
    ax.legend([Patch(color=colors[n]) for n in names], names, title=title, **kw)


# ---------------------------------------------------------------- the charts


def chart_caseload(runs: Sequence[Run], lang: str) -> Figure | None:
    """(a) Caseload by group over time with a 95 % band over replications."""
    with_weekly = [r for r in runs if r.weekly is not None and (r.weekly["measure"] == "stock").any()]
    if not with_weekly:
        return None
    fig, ax = _new_figure(label("title.caseload", lang), runs, lang)
    pal = sns.color_palette("colorblind", len(GROUP_ORDER))
    handles: list[Any] = []
    for k, run in enumerate(with_weekly):
        w = _full_weeks(run)
        w = w[(w["measure"] == "stock") & (w["group"] != "all") & (w["provider"] == "all")]
        band = _mean_band(w, ["group", "week"])
        groups = [g for g in GROUP_ORDER if g in set(band["group"])] + sorted(set(band["group"]) - set(GROUP_ORDER))
        for i, g in enumerate(groups):
            b = band[band["group"] == g]
            x = _dates(run, b["week"])
            color = pal[i % len(pal)]
            ls = LINESTYLES[k % len(LINESTYLES)]
            sns.lineplot(x=x, y=b["mean"].to_numpy(), ax=ax, color=color, linestyle=ls, lw=2.2, legend=False)
            ax.fill_between(x, b["lo"], b["hi"], color=color, alpha=0.2, lw=0)
            if k == 0:
                handles.append(Line2D([], [], color=color, lw=3, label=group_label(g, lang, run.params)))
    handles.append(Patch(color="#888888", alpha=0.3, label=label("band", lang)))
    if len(with_weekly) > 1:
        handles += [Line2D([], [], color="#333333", ls=LINESTYLES[k % 4], lw=2, label=r.name)
                    for k, r in enumerate(with_weekly)]
    ax.legend(handles=handles, loc="upper left", bbox_to_anchor=(1.01, 1), frameon=False)
    ax.set_xlabel(label("axis.date", lang))
    ax.set_ylabel(f"{label('axis.persons', lang)} ({_scale_text(runs, lang)})")
    ax.set_ylim(bottom=0)
    ax.xaxis.set_major_formatter(mdates.DateFormatter("%Y-%m"))
    _number_axis(ax.yaxis, lang)
    return fig


def chart_fte(runs: Sequence[Run], lang: str) -> Figure | None:
    """(b) FTE needed by provider: weekly demand as FTE (left) and the run's fte_needed KPI (right)."""
    weekly = {r.name: _weekly_fte(r) for r in runs}
    has_kpi = any(not _kpi(r, "fte_needed").empty for r in runs)
    has_weekly = any(v is not None and not v.empty for v in weekly.values())
    if not (has_kpi or has_weekly):
        return None
    fig, (ax_w, ax_k) = _new_figure(label("title.fte", lang), runs, lang, ncols=2, width_ratios=[1.8, 1.2])
    pal = dict(zip(PROVIDERS, sns.color_palette("deep", 2), strict=True))
    handles: list[Any] = []
    for k, run in enumerate(runs):
        w = weekly[run.name]
        if w is None or w.empty:
            continue
        band = _mean_band(w, ["provider", "week"])
        for p in PROVIDERS:
            b = band[band["provider"] == p]
            x = _dates(run, b["week"])
            ax_w.plot(x, b["mean"], color=pal[p], ls=LINESTYLES[k % 4], lw=2.2)
            ax_w.fill_between(x, b["lo"], b["hi"], color=pal[p], alpha=0.2, lw=0)
    handles += [Line2D([], [], color=pal[p], lw=3, label=label(p, lang)) for p in PROVIDERS]
    if len(runs) > 1:
        handles += [Line2D([], [], color="#333333", ls=LINESTYLES[k % 4], lw=2, label=r.name)
                    for k, r in enumerate(runs)]
    ax_w.legend(handles=handles, loc="upper left", frameon=True, framealpha=0.9)
    ax_w.set_title(label("title.fte_weekly", lang), loc="left")
    ax_w.set_xlabel(label("axis.date", lang))
    ax_w.set_ylabel(f"{label('axis.fte', lang)} ({_scale_text(runs, lang)})")
    ax_w.set_ylim(bottom=0)
    ax_w.xaxis.set_major_formatter(mdates.DateFormatter("%Y-%m"))
    ax_w.tick_params(axis="x", labelrotation=30)
    _number_axis(ax_w.yaxis, lang, 1)
    cats = PROVIDERS + ["all"]
    rows = pd.concat([_kpi(r, "fte_needed").query("group == 'all'").assign(hue=r.name) for r in runs])
    rows = rows.assign(cat=rows["provider"])
    if len(runs) == 1:  # one run: colour by provider, like the left panel
        _dodged_bars(ax_k, rows, cats, [runs[0].name], {}, cat_colors={**pal, "all": "#555555"})
    else:
        _dodged_bars(ax_k, rows, cats, [r.name for r in runs], _run_colors(runs))
        _hue_legend(ax_k, [r.name for r in runs], _run_colors(runs), loc="upper left")
    ax_k.set_xticks(range(len(cats)), [label(c, lang) for c in cats])
    ax_k.set_title(label("title.fte_kpi", lang), loc="left")
    ax_k.set_ylabel(label("axis.fte", lang))
    _number_axis(ax_k.yaxis, lang, 1)
    return fig


def chart_talks(runs: Sequence[Run], lang: str) -> Figure | None:
    """(c) Job talks a year by group and provider with 95 % whiskers, from talks_held_per_year."""
    rows = pd.concat([_kpi(r, "talks_held_per_year").assign(run=r.name) for r in runs])
    rows = rows[(rows["group"] != "all") & rows["provider"].isin(PROVIDERS)]
    if rows.empty:
        return None
    groups = [g for g in GROUP_ORDER if g in set(rows["group"])]
    params = runs[0].params
    if len(runs) == 1:
        fig, ax = _new_figure(label("title.talks", lang), runs, lang)
        pal = dict(zip(PROVIDERS, sns.color_palette("deep", 2), strict=True))
        shown = rows[~((rows["mean"] == 0) & (rows["ci_high"].fillna(0) == 0))]
        _dodged_bars(ax, shown.assign(cat=shown["group"], hue=shown["provider"]), groups, PROVIDERS, pal,
                     compact=True)
        ax.legend([Patch(color=pal[p]) for p in PROVIDERS], [label(p, lang) for p in PROVIDERS],
                  title=label("axis.provider", lang), loc="upper right")
        axes = [ax]
        ax.set_xticks(range(len(groups)), [group_label(g, lang, params) for g in groups])
    else:
        used = [p for p in PROVIDERS if (rows[rows["provider"] == p]["mean"] > 0).any()]
        per = {p: [g for g in groups if (rows[(rows["provider"] == p) & (rows["group"] == g)]["mean"] > 0).any()]
               for p in used}
        fig, axes = _new_figure(label("title.talks", lang), runs, lang, ncols=len(used),
                                width_ratios=[max(len(per[p]), 2) for p in used], sharey=True, squeeze=False)
        axes = list(axes[0])
        colors = _run_colors(runs)
        for ax, p in zip(axes, used, strict=True):
            sub = rows[rows["provider"] == p]
            _dodged_bars(ax, sub.assign(cat=sub["group"], hue=sub["run"]), per[p], [r.name for r in runs], colors)
            ax.set_xticks(range(len(per[p])), [group_label(g, lang, params) for g in per[p]])
            ax.set_title(label(p, lang), loc="left")
        names = [r.name for r in runs]
        fig.legend([Patch(color=colors[n]) for n in names], names, loc="outside upper right", ncols=len(names),
                   frameon=False)
    for ax in axes:
        ax.set_xlabel("")
        _number_axis(ax.yaxis, lang)
    axes[0].set_ylabel(f"{label('axis.talks', lang)} ({_scale_text(runs, lang)})")
    return fig


def _compliance_rows(run: Run) -> tuple[pd.DataFrame, bool]:
    """compliance.csv if the run has it (with thresholds and status); else the contact-course
    share KPIs from summary.csv, with a threshold only where run.json's legal_thresholds gives one."""
    if run.compliance is not None and not run.compliance.empty:
        return run.compliance.copy(), True
    s = run.summary
    rows = s[s["kpi"].isin(SHARE_FALLBACK_KPIS) & (s["provider"] == "all")].copy()
    rows["threshold"] = np.nan
    rows["status"] = ""
    for t in run.meta.get("legal_thresholds") or []:
        hit = (rows["kpi"] == t.get("kpi")) & (rows["group"] == t.get("group", "all"))
        rows.loc[hit, "threshold"] = t.get("threshold")
    return rows, False


def chart_compliance(runs: Sequence[Run], lang: str) -> Figure | None:
    """(d) Shares against the legal line: horizontal bars with 95 % whiskers, a black tick at each
    legal minimum, and (one run) bar colour by status. Horizontal so long rule names stay legible."""
    parts = [_compliance_rows(r) for r in runs]
    have_law = any(flag for _, flag in parts)
    frames = [rows.assign(run=r.name) for r, (rows, _) in zip(runs, parts, strict=True) if not rows.empty]
    if not frames:
        return None
    rows = pd.concat(frames, ignore_index=True)
    params = runs[0].params
    rows["cat"] = [f"{label(k, lang)} · {group_label(g, lang, params)}" for k, g in zip(rows["kpi"], rows["group"])]
    if "rule_set" in rows and rows.duplicated(["run", "cat"]).any():  # a rule timeline: one row per rule set
        rows["cat"] = rows["cat"] + " · " + rows["rule_set"].astype(str)
    cats = list(dict.fromkeys(rows["cat"]))
    title = label("title.compliance" if have_law else "title.compliance_nolaw", lang)
    fig, ax = _new_figure(title, runs, lang)
    handles: list[Any] = []
    if len(runs) == 1 and have_law:
        rows["hue"] = rows["status"]
        statuses = [s for s in STATUS_COLORS if s in set(rows["status"])]
        # one hue per bar (its status) but all in the same slot: draw each status as its own layer
        centres = {}
        for s in statuses:
            sub = rows[rows["status"] == s].assign(hue="x")
            centres.update(_dodged_bars(ax, sub, cats, ["x"], {"x": STATUS_COLORS[s]}, horizontal=True))
        handles += [Patch(color=STATUS_COLORS[s], label=label(s, lang)) for s in statuses]
        hues = ["x"]
        rows["hue"] = "x"
    else:
        hues = [r.name for r in runs]
        rows["hue"] = rows["run"]
        colors = _run_colors(runs)
        centres = _dodged_bars(ax, rows, cats, hues, colors, horizontal=True)
        if len(runs) > 1:
            handles += [Patch(color=colors[h], label=h) for h in hues]
    half = 0.4 / len(hues)
    for r in rows.itertuples():
        if pd.notna(r.threshold) and (r.cat, r.hue) in centres:
            y = centres[(r.cat, r.hue)]
            ax.plot([r.threshold, r.threshold], [y - half, y + half], color="black", lw=3, solid_capstyle="butt")
    if rows["threshold"].notna().any():
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
    cats_kpi = list(dict.fromkeys(rows["kpi"]))
    rows["cat"] = rows["kpi"].map(lambda k: label(k, lang))
    cats = [label(k, lang) for k in cats_kpi]
    fig, ax = _new_figure(label("title.money", lang), runs, lang)
    colors = _run_colors(runs)
    centres = _dodged_bars(ax, rows.assign(hue=rows["run"]), cats, [r.name for r in runs], colors, horizontal=True)
    ax.axvline(0, color="#333333", lw=1)
    big = rows["mean"].abs().max() >= 100
    if len(runs) == 1:  # the value at the end of each whisker, readable from the back of the room
        pad = 0.01 * max(rows["ci_high"].abs().max(), rows["mean"].abs().max(), 1e-9)
        for r in rows.itertuples():
            end = r.ci_high if pd.notna(r.ci_high) and r.mean >= 0 else r.ci_low if pd.notna(r.ci_low) else r.mean
            text = fmt_number(r.mean, lang, 0 if abs(r.mean) >= 10 else 1)
            ax.text(end + (pad if r.mean >= 0 else -pad), centres[(r.cat, r.run)], text, va="center",
                    ha="left" if r.mean >= 0 else "right", fontsize=12)
        ax.margins(x=0.08)
    ax.set_yticks(range(len(cats)), cats)
    ax.invert_yaxis()
    ax.set_xlabel(f"{label('axis.mdkk', lang)} ({_scale_text(runs, lang)})")
    _number_axis(ax.xaxis, lang, 0 if big else 1)
    if len(runs) > 1:
        _hue_legend(ax, [r.name for r in runs], colors, loc="upper left", bbox_to_anchor=(1.01, 1), frameon=False)
    return fig


CHARTS = [("caseload", chart_caseload), ("fte", chart_fte), ("talks", chart_talks),
          ("compliance", chart_compliance), ("money", chart_money)]


@contextmanager
def slide_style() -> Iterator[None]:
    """Slide fonts and seaborn's whitegrid for the figures made (and saved) inside, without
    changing the caller's matplotlib settings."""
    with sns.axes_style("whitegrid"), matplotlib.rc_context(RC):
        yield


def build_figures(runs: Sequence[Run], lang: str) -> list[tuple[str, Figure]]:
    """All charts the runs have data for, as (name, figure); call inside slide_style()."""
    out = []
    for name, make in CHARTS:
        fig = make(runs, lang)
        if fig is not None:
            out.append((name, fig))
    return out


def figure_meta(fig: Figure) -> dict[str, str]:
    """Title and provenance of a chart made here."""
    return getattr(fig, "_caseload_meta", {"title": "", "provenance": ""})


def _save(fig: Figure, out_dir: Path, stem: str) -> list[Path]:
    """PNG and SVG of one chart, each with title and provenance in the file metadata."""
    meta = figure_meta(fig)
    png, svg = out_dir / f"{stem}.png", out_dir / f"{stem}.svg"
    fig.savefig(png, dpi=PNG_DPI, metadata={"Title": meta["title"], "Description": meta["provenance"],
                                            "Comment": meta["provenance"], "Software": "caseload-sim"})
    fig.savefig(svg, metadata={"Title": meta["title"], "Description": meta["provenance"], "Date": None,
                               "Creator": "caseload-sim"})
    return [png, svg]


def write_chart_pack(run_dirs: Sequence[str | Path], out_dir: str | Path, lang: str = "en") -> list[Path]:
    """Write every chart as PNG and SVG and all of them in one PDF; return the files written.
    Several run folders make a comparison (runs overlaid or dodged, named by scenario and rules)."""
    runs = load_runs(run_dirs)
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    suffix = "" if lang == "en" else f"_{lang}"
    written: list[Path] = []
    prov = "; ".join(provenance(r, lang) for r in runs)
    with slide_style():
        figures = build_figures(runs, lang)
        number = {name: i for i, (name, _make) in enumerate(CHARTS, start=1)}
        for name, fig in figures:
            written += _save(fig, out, f"{number[name]:02d}_{name}{suffix}")
        pdf_path = out / f"charts{suffix}.pdf"
        pdf_meta = {"Title": f"{label('h.report', lang)}: {', '.join(r.name for r in runs)}", "Subject": prov,
                    "Keywords": prov, "Creator": "caseload-sim", "CreationDate": None}
        with PdfPages(pdf_path, metadata=pdf_meta) as pdf:
            for _name, fig in figures:
                pdf.savefig(fig)
        written.append(pdf_path)
    return written


def charts_command(args: argparse.Namespace) -> int:
    """`caseload charts RUN_DIR [RUN_DIR ...] [--lang] [--out]`: default folder RUN_DIR/charts."""
    lang = getattr(args, "lang", "en") or "en"
    out = Path(args.out) if args.out else Path(args.run_dirs[0]) / "charts"
    files = write_chart_pack(args.run_dirs, out, lang)
    n = sum(1 for f in files if f.suffix == ".png")
    print(f"Wrote {n} charts (PNG, SVG) and {files[-1].name} to {out}")
    return 0

"""One self-contained HTML report for a run folder, in English or Danish.

Self-contained means one file a planner can mail or archive: charts are embedded as base64 PNG,
the CSS is inline and nothing is fetched from the network, so it opens the same way offline and
years later. Every number is read from the run folder; sections whose inputs the run lacks are
left out or say so, never filled in.
"""

from __future__ import annotations

import base64
import html
import io
import os
from collections.abc import Collection
from pathlib import Path

import pandas as pd
from matplotlib.figure import Figure

from sim.experiment.results import atomic_write
from sim.output.chart_series import SHARE_FALLBACK_KPIS
from sim.output.figures import build_figures
from sim.output.labels import GLOSSARY, fmt_number, fmt_share, group_label, label
from sim.output.run_folder import Run, load_run, provenance, rules_text
from sim.output.slides import figure_meta, slide_style

EMBED_DPI = 110
# (kpi, group, provider, kind): kind decides the format and whether the number scales with the run
HEADLINE = [
    ("stock_mean", "all", "all", "count"),
    ("inflow_per_year", "all", "all", "count"),
    ("spell_weeks_mean", "all", "all", "weeks"),
    ("exit_work_or_education_3m", "all", "all", "share"),
    ("exit_work_or_education_6m", "all", "all", "share"),
    ("talks_held_per_year", "all", "all", "count"),
    ("offers_started_per_year", "all", "all", "count"),
    ("caseworker_hours_per_year", "all", "all", "count"),
    ("fte_needed", "all", "all", "count"),
    ("fte_needed", "all", "municipality", "count"),
    ("fte_needed", "all", "akasse", "count"),
    ("first_talk_on_time", "all", "all", "share"),
    ("talk_coverage_6m", "all", "all", "share"),
    ("offer_coverage_6m", "all", "all", "share"),
    ("exempt_share", "all", "all", "share"),
]
GOALS = [("exit_work_or_education_3m", "share"), ("exit_work_or_education_6m", "share"),
         ("public_support_share", "share")]
NOT_MODELLED_GOALS = ["goal.citizen_satisfaction", "goal.employer_satisfaction"]
DESCRIPTION_FILES = ["model_description.md", "describe.md"]
STATUS_CLASS = {"met": "met", "not met": "notmet", "uncertain": "uncertain"}

CSS = """
body{font-family:system-ui,-apple-system,"Segoe UI",Roboto,"DejaVu Sans",sans-serif;margin:2rem auto;
max-width:1100px;padding:0 1rem;color:#222;line-height:1.45}
h1{font-size:1.9rem;margin-bottom:.2rem}h2{margin-top:2.2rem;border-bottom:2px solid #ddd;padding-bottom:.2rem}
.prov{color:#555;font-size:.92rem}.note{color:#555;font-size:.9rem}
table{border-collapse:collapse;width:100%;margin:.6rem 0;font-size:.95rem}
th,td{border-bottom:1px solid #e3e3e3;padding:.35rem .5rem;text-align:left;vertical-align:top}
th{background:#f4f4f4}td.num{text-align:right;font-variant-numeric:tabular-nums;white-space:nowrap}
.badge{display:inline-block;padding:.05rem .5rem;border-radius:.8rem;color:#fff;font-weight:600;white-space:nowrap}
.met{background:#2a9d8f}.notmet{background:#c1121f}.uncertain{background:#e9a23b}.nm{background:#888}
figure{margin:1.2rem 0}figure img{width:100%;height:auto;border:1px solid #eee}
figcaption{color:#555;font-size:.9rem}td.src{font-size:.85rem;color:#444}code{font-size:.88rem}
"""


def _e(text: object) -> str:
    return html.escape(str(text), quote=True)


def _fmt(x: float, kind: str, lang: str) -> str:
    """One number as the report shows it: shares in %, counts with thousands separators."""
    if kind == "share":
        return fmt_share(x, lang)
    if kind == "weeks":
        return fmt_number(x, lang, 1)
    if kind == "dkk":
        return fmt_number(x, lang, 0)
    return fmt_number(x, lang, 0 if abs(x) >= 100 else 1) if pd.notna(x) else "–"


def _ci(row: pd.Series, kind: str, lang: str) -> str:
    return f"{_fmt(row['ci_low'], kind, lang)} – {_fmt(row['ci_high'], kind, lang)}"


def _find(run: Run, kpi: str, group: str = "all", provider: str = "all") -> pd.Series | None:
    s = run.summary
    hit = s[(s["kpi"] == kpi) & (s["group"] == group) & (s["provider"] == provider)]
    return None if hit.empty else hit.iloc[0]


def _table(headers: list[str], rows: list[list[str]], num_cols: Collection[int] = ()) -> str:
    """An HTML table from already escaped cells; `num_cols` are right-aligned numbers."""
    head = "".join(f"<th>{h}</th>" for h in headers)
    body = "".join("<tr>" + "".join(f'<td class="num">{c}</td>' if i in num_cols else f"<td>{c}</td>"
                                    for i, c in enumerate(r)) + "</tr>" for r in rows)
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def _scale_str(run: Run, lang: str) -> str:
    text = f"{run.scale:g}"
    return text.replace(".", ",") if lang == "da" else text


def _kpi_name(kpi: str, group: str, provider: str, lang: str, run: Run) -> str:
    name = label(kpi, lang)
    extra = [group_label(group, lang, run.params)] if group != "all" else []
    extra += [label(provider, lang)] if provider != "all" else []
    return f"{name} ({', '.join(extra)})" if extra else name


def section_header(run: Run, lang: str) -> str:
    """Title, scenario description and the provenance line."""
    m = run.meta
    scale_txt = label("t.scale_txt", lang).format(scale=_scale_str(run, lang), pct=fmt_share(run.scale, lang, 0))
    line = label("t.run", lang).format(
        scale_txt=scale_txt, years=fmt_number(run.years, lang, 1 if run.years % 1 else 0),
        start=m.get("start_date", "?"), reps=m.get("replications", "?"), seed=m.get("seed", "?"),
        hash=m.get("params_hash", "?"), version=m.get("version", "?"),
        wall=fmt_number(m.get("wall_time_s", 0), lang, 1))
    desc = run.params.get("description") or ""
    out = [f"<h1>{_e(label('h.report', lang))}: {_e(m.get('scenario', run.path.name))}</h1>",
           f"<p><strong>{_e(m.get('scenario', ''))}</strong> · {_e(label('t.rules', lang))} "
           f"<code>{_e(rules_text(m.get('rules')))}</code>{' — ' + _e(desc) if desc else ''}</p>",
           f'<p class="prov">{_e(line)}</p>']
    return "\n".join(out)


def section_headline(run: Run, lang: str) -> str:
    """Headline KPIs with their 95 % intervals; counts are starred as being at the run's scale."""
    rows = []
    for kpi, group, provider, kind in HEADLINE:
        r = _find(run, kpi, group, provider)
        if r is None:
            continue
        star = " *" if kind == "count" else ""
        rows.append([_e(_kpi_name(kpi, group, provider, lang, run)) + star, _e(_fmt(r["mean"], kind, lang)),
                     _e(_ci(r, kind, lang))])
    table = _table([_e(label("col.kpi", lang)), _e(label("col.mean", lang)), _e(label("col.ci", lang))], rows, {1, 2})
    note = label("t.scale_note", lang).format(scale=_scale_str(run, lang), pct=fmt_share(run.scale, lang, 0))
    star = label("t.counts_star", lang).format(scale=_scale_str(run, lang))
    return (f"<h2>{_e(label('h.headline', lang))}</h2>\n{table}\n"
            f'<p class="note">{_e(star)} {_e(note)}</p>')


def _badge(status: str, lang: str) -> str:
    cls = STATUS_CLASS.get(status, "nm")
    return f'<span class="badge {cls}">{_e(label(status, lang))}</span>'


def _shares_without_law(run: Run, lang: str) -> str:
    """An older run without compliance.csv: its contact-course shares, with a note that the legal
    verdicts need a newer run (no threshold is guessed here)."""
    rows = []
    for kpi in SHARE_FALLBACK_KPIS:
        sub = run.summary[(run.summary["kpi"] == kpi) & (run.summary["provider"] == "all")]
        for _, r in sub.iterrows():
            rows.append([_e(label(kpi, lang)), _e(group_label(r["group"], lang, run.params)),
                         _e(_fmt(r["mean"], "share", lang)), _e(_ci(r, "share", lang))])
    cols = [label("col.kpi", lang), label("col.group", lang), label("col.mean", lang), label("col.ci", lang)]
    return (f'<p class="note">{_e(label("t.no_compliance", lang))}</p>\n'
            + _table([_e(c) for c in cols], rows, {2, 3}))


def section_compliance(run: Run, lang: str) -> str:
    """The legal minimums with met / not met / uncertain, as written by the run."""
    head = f"<h2>{_e(label('h.compliance', lang))}</h2>"
    comp = run.compliance
    if comp is None or comp.empty:
        return f"{head}\n{_shares_without_law(run, lang)}"
    rows = []
    has_rule_set = "rule_set" in comp and comp["rule_set"].nunique() > 1
    for _, r in comp.iterrows():
        name = label(r["kpi"], lang) + (f" · {r['rule_set']}" if has_rule_set else "")
        src = r["source"] if "source" in comp and pd.notna(r.get("source")) else ""
        rows.append([_e(name), _e(group_label(r["group"], lang, run.params)), _e(_fmt(r["mean"], "share", lang)),
                     _e(_ci(r, "share", lang)), _e(_fmt(r["threshold"], "share", lang)), _badge(r["status"], lang),
                     f'<span class="src">{_e(src)}</span>'])
    cols = ["col.kpi", "col.group", "col.mean", "col.ci", "col.threshold", "col.status", "col.source"]
    return (f"{head}\n" + _table([_e(label(c, lang)) for c in cols], rows, {2, 3, 4})
            + f'\n<p class="note">{_e(label("t.status_rule", lang))}</p>')


def _png_data_uri(fig: Figure) -> str:
    buf = io.BytesIO()
    meta = figure_meta(fig)
    fig.savefig(buf, format="png", dpi=EMBED_DPI, metadata={"Title": meta["title"], "Description": meta["provenance"]})
    return "data:image/png;base64," + base64.b64encode(buf.getvalue()).decode("ascii")


def section_charts(run: Run, lang: str) -> str:
    """The chart pack of this run, embedded as PNG so the file needs nothing beside it."""
    parts = [f"<h2>{_e(label('h.charts', lang))}</h2>"]
    with slide_style():
        for name, fig in build_figures([run], lang):
            title = figure_meta(fig)["title"]
            parts.append(f'<figure id="chart-{_e(name)}"><img src="{_png_data_uri(fig)}" alt="{_e(title)}">'
                         f"<figcaption>{_e(title)}. {_e(provenance(run, lang))}</figcaption></figure>")
    return "\n".join(parts)


def section_money(run: Run, lang: str) -> str:
    """The money KPIs (DKK a year, all groups) if the run has them; nothing otherwise."""
    s = run.summary
    money = s[(s["kpi"].str.endswith("_dkk_per_year") | (s["kpi"] == "benefit_weeks_per_year"))
              & (s["group"] == "all") & (s["provider"] == "all")]
    if money.empty:
        return ""
    rows = []
    for _, r in money.iterrows():
        kind = "dkk" if r["kpi"].endswith("_dkk_per_year") else "count"
        unit = (" kr." if lang == "da" else " DKK") if kind == "dkk" else ""
        rows.append([_e(label(r["kpi"], lang)) + " *", _e(_fmt(r["mean"], kind, lang) + unit),
                     _e(_ci(r, kind, lang) + unit)])
    star = label("t.counts_star", lang).format(scale=_scale_str(run, lang))
    cols = [label("col.kpi", lang), label("col.mean", lang), label("col.ci", lang)]
    return (f"<h2>{_e(label('h.money', lang))}</h2>\n" + _table([_e(c) for c in cols], rows, {1, 2})
            + f'\n<p class="note">{_e(star)}</p>')


def section_workload(run: Run, lang: str) -> str:
    """fte_needed split into modelled work and the overhead block, with the block's share said in words."""
    rows = []
    for kpi, provider, kind in (("fte_needed", "all", "count"), ("fte_modelled_work", "all", "count"),
                                ("fte_overhead_block", "all", "count"), ("overhead_share_of_fte", "all", "share")):
        r = _find(run, kpi, "all", provider)
        if r is not None:
            star = " *" if kind == "count" else ""
            rows.append([_e(label(kpi, lang)) + star, _e(_fmt(r["mean"], kind, lang)), _e(_ci(r, kind, lang))])
    share = _find(run, "overhead_share_of_fte")
    if share is None:
        return ""
    text = label("t.workload_share", lang).format(work=fmt_share(1.0 - share["mean"], lang, 0),
                                                  block=fmt_share(share["mean"], lang, 0))
    cols = [label("col.kpi", lang), label("col.mean", lang), label("col.ci", lang)]
    return (f"<h2>{_e(label('h.workload', lang))}</h2>\n<p>{_e(text)}</p>\n"
            + _table([_e(c) for c in cols], rows, {1, 2}))


def section_goals(run: Run, lang: str) -> str:
    """The reform's result goals: what the model measures, and the satisfaction goals it does not."""
    rows = []
    for kpi, kind in GOALS:
        r = _find(run, kpi)
        if r is not None:
            rows.append([_e(label(kpi, lang)), _e(_fmt(r["mean"], kind, lang)), _e(_ci(r, kind, lang))])
    for key in NOT_MODELLED_GOALS:
        rows.append([_e(label(key, lang)), _badge("not modelled", lang), ""])
    cols = [label("col.goal", lang), label("col.result", lang), label("col.ci", lang)]
    return f"<h2>{_e(label('h.goals', lang))}</h2>\n" + _table([_e(c) for c in cols], rows, {2})


def section_assumptions(run: Run, lang: str) -> str:
    """Every assumption of the run with its source text, so a reader sees what the numbers rest on."""
    assumptions = run.meta.get("assumptions") or {}
    rows = [[f"<code>{_e(k)}</code>", _e(v)] for k, v in assumptions.items()]
    intro = label("t.assumptions", lang).format(n=len(rows))
    cols = [label("col.param", lang), label("col.source", lang)]
    return (f"<h2>{_e(label('h.assumptions', lang))}</h2>\n<p>{_e(intro)}</p>\n"
            + _table([_e(c) for c in cols], rows))


def section_glossary(lang: str) -> str:
    """The Danish terms once, in English (the Danish report needs no glossary)."""
    if lang == "da":
        return ""
    rows = [[f"<em>{_e(k)}</em>", _e(v)] for k, v in GLOSSARY.items()]
    cols = [label("col.term", lang), label("col.meaning", lang)]
    return f"<h2>{_e(label('h.glossary', lang))}</h2>\n" + _table([_e(c) for c in cols], rows)


def _description_link(run: Run, out: Path, lang: str) -> str:
    """A relative link to the model description if the run folder has one (optional)."""
    for name in DESCRIPTION_FILES:
        path = run.path / name
        if path.is_file():
            rel = Path(os.path.relpath(path.resolve(), out.parent.resolve())).as_posix()
            return f'<p><a href="{_e(rel)}">{_e(label("t.description", lang))}</a> (<code>{_e(name)}</code>)</p>'
    return ""


def render_report(run: Run, lang: str, out: Path) -> str:
    """The whole HTML document as text."""
    title = f"{label('h.report', lang)}: {run.meta.get('scenario', run.path.name)}"
    made = label("t.made", lang).format(version=run.meta.get("version", "?"), run_dir=run.path.name)
    body = [section_header(run, lang), _description_link(run, out, lang), section_headline(run, lang),
            section_workload(run, lang), section_compliance(run, lang), section_charts(run, lang),
            section_money(run, lang),
            section_goals(run, lang), section_assumptions(run, lang), section_glossary(lang),
            f'<p class="prov">{_e(made)}</p>']
    return (f'<!DOCTYPE html>\n<html lang="{lang}">\n<head>\n<meta charset="utf-8">\n'
            f'<meta name="viewport" content="width=device-width, initial-scale=1">\n'
            f'<meta name="description" content="{_e(provenance(run, lang))}">\n'
            f"<title>{_e(title)}</title>\n<style>{CSS}</style>\n</head>\n<body>\n"
            + "\n".join(b for b in body if b) + "\n</body>\n</html>\n")


def write_report(run_dir: str | Path, lang: str = "en", out: str | Path | None = None) -> Path:
    """Write the report of one run folder; default RUN_DIR/report.html (report_da.html in Danish)."""
    run = load_run(run_dir)
    path = Path(out) if out else run.path / ("report.html" if lang == "en" else f"report_{lang}.html")
    path.parent.mkdir(parents=True, exist_ok=True)
    text = render_report(run, lang, path)
    atomic_write(path, lambda p: Path(p).write_text(text, encoding="utf-8"))
    path.chmod(0o644)  # a report is for sharing; the temporary file it came from was private
    return path


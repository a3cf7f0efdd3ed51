"""One self-contained HTML report for a run folder, in English or Danish.

Self-contained means one file a planner can mail or archive: charts are embedded as base64 PNG,
the CSS is inline and nothing is fetched from the network, so it opens the same way offline and
years later. Every number is read from the run folder; sections whose inputs the run lacks are
left out or say so, never filled in. Counts are for the population the run stands for (summary.csv
as written; the sample they were scaled up from is stated once, at the top), and the report lists
the assumptions the result rests on.

The page is the Jinja2 template templates/report.html.j2 (autoescaped); this module only turns the
run folder into the template's context: texts, numbers formatted for the language, and table rows.
"""

from __future__ import annotations

import base64
import io
import os
from collections.abc import Collection
from functools import lru_cache
from pathlib import Path
from typing import Any

import jinja2
import pandas as pd
from matplotlib.figure import Figure

from sim.experiment.results import atomic_write
from sim.output.chart_series import SHARE_FALLBACK_KPIS
from sim.output.figures import build_figures
from sim.output.headline import Basis, population_line, population_name
from sim.output.headline import text as headline_text
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


TEMPLATE = "report.html.j2"
Table = dict[str, Any]  # {"headers": [...], "rows": [[cell, ...]], "num_cols": {...}}; a cell is text or a dict


@lru_cache(maxsize=1)
def _environment() -> jinja2.Environment:
    """The templates shipped in the package (sim/output/templates), HTML-escaped by default."""
    return jinja2.Environment(loader=jinja2.FileSystemLoader(Path(__file__).parent / "templates"),
                              autoescape=True, undefined=jinja2.StrictUndefined, keep_trailing_newline=True)


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


def _table(headers: list[str], rows: list[list[Any]], num_cols: Collection[int] = ()) -> Table:
    """A table for the template; `num_cols` are right-aligned numbers."""
    return {"headers": headers, "rows": rows, "num_cols": set(num_cols)}


def _labels(keys: list[str], lang: str) -> list[str]:
    return [label(k, lang) for k in keys]


def _scale_str(run: Run, lang: str) -> str:
    text = f"{run.scale:g}"
    return text.replace(".", ",") if lang == "da" else text


def _counts_note(run: Run, lang: str) -> str:
    """What a starred count is for: the run's population, or (an older run) its simulated scale."""
    basis = Basis.from_meta(run.meta)
    if basis is not None:
        return headline_text("counts_star", lang).format(name=population_name(basis.name, lang))
    return label("t.counts_star", lang).format(scale=_scale_str(run, lang))


def _kpi_name(kpi: str, group: str, provider: str, lang: str, run: Run) -> str:
    name = label(kpi, lang)
    extra = [group_label(group, lang, run.params)] if group != "all" else []
    extra += [label(provider, lang)] if provider != "all" else []
    return f"{name} ({', '.join(extra)})" if extra else name


def _sample_start(run: Run) -> float | None:
    """The simulated persons at the start: the population's count divided back by the factor."""
    row = _find(run, "persons_start")
    if row is None:
        return None
    return float(row["mean"]) / (run.population_factor or 1.0)


def section_header(run: Run, lang: str) -> dict[str, str]:
    """Title, scenario description, the provenance line and the population the counts are for."""
    m = run.meta
    scale_txt = label("t.scale_txt", lang).format(scale=_scale_str(run, lang), pct=fmt_share(run.scale, lang, 0))
    line = label("t.run", lang).format(
        scale_txt=scale_txt, years=fmt_number(run.years, lang, 1 if run.years % 1 else 0),
        start=m.get("start_date", "?"), reps=m.get("replications", "?"), seed=m.get("seed", "?"),
        hash=m.get("params_hash", "?"), version=m.get("version", "?"),
        wall=fmt_number(m.get("wall_time_s", 0), lang, 1))
    return {"h1": f"{label('h.report', lang)}: {m.get('scenario', run.path.name)}",
            "scenario": str(m.get("scenario", "")), "rules_label": label("t.rules", lang),
            "rules": rules_text(m.get("rules")), "description": str(run.params.get("description") or ""),
            "line": line, "population": population_line(m, _sample_start(run), lang)}


def section_headline(run: Run, lang: str) -> dict[str, Any]:
    """Headline KPIs with their 95 % intervals; counts are starred as being for the population."""
    rows = []
    for kpi, group, provider, kind in HEADLINE:
        r = _find(run, kpi, group, provider)
        if r is None:
            continue
        star = " *" if kind == "count" else ""
        rows.append([_kpi_name(kpi, group, provider, lang, run) + star, _fmt(r["mean"], kind, lang),
                     _ci(r, kind, lang)])
    table = _table(_labels(["col.kpi", "col.mean", "col.ci"], lang), rows, {1, 2})
    if run.population_factor is not None:
        note = _counts_note(run, lang)
    else:
        note = _counts_note(run, lang) + " " + label("t.scale_note", lang).format(
            scale=_scale_str(run, lang), pct=fmt_share(run.scale, lang, 0))
    return {"title": label("h.headline", lang), "table": table, "note": note}


def _badge(status: str, lang: str) -> dict[str, str]:
    return {"badge": STATUS_CLASS.get(status, "nm"), "text": label(status, lang)}


def _shares_without_law(run: Run, lang: str) -> Table:
    """An older run without compliance.csv: its contact-course shares (no threshold is guessed)."""
    rows = []
    for kpi in SHARE_FALLBACK_KPIS:
        sub = run.summary[(run.summary["kpi"] == kpi) & (run.summary["provider"] == "all")]
        for _, r in sub.iterrows():
            rows.append([label(kpi, lang), group_label(r["group"], lang, run.params),
                         _fmt(r["mean"], "share", lang), _ci(r, "share", lang)])
    return _table(_labels(["col.kpi", "col.group", "col.mean", "col.ci"], lang), rows, {2, 3})


def section_compliance(run: Run, lang: str) -> dict[str, Any]:
    """The legal minimums with met / not met / uncertain, as written by the run; an older run
    without compliance.csv gets its shares and a note that the legal verdicts need a newer run."""
    title = label("h.compliance", lang)
    comp = run.compliance
    if comp is None or comp.empty:
        return {"title": title, "fallback_note": label("t.no_compliance", lang),
                "table": _shares_without_law(run, lang), "note": ""}
    rows = []
    has_rule_set = "rule_set" in comp and comp["rule_set"].nunique() > 1
    for _, r in comp.iterrows():
        name = label(r["kpi"], lang) + (f" · {r['rule_set']}" if has_rule_set else "")
        src = r["source"] if "source" in comp and pd.notna(r.get("source")) else ""
        rows.append([name, group_label(r["group"], lang, run.params), _fmt(r["mean"], "share", lang),
                     _ci(r, "share", lang), _fmt(r["threshold"], "share", lang), _badge(r["status"], lang),
                     {"src": str(src)}])
    cols = ["col.kpi", "col.group", "col.mean", "col.ci", "col.threshold", "col.status", "col.source"]
    return {"title": title, "fallback_note": "", "table": _table(_labels(cols, lang), rows, {2, 3, 4}),
            "note": label("t.status_rule", lang)}


def _png_data_uri(fig: Figure) -> str:
    buf = io.BytesIO()
    meta = figure_meta(fig)
    fig.savefig(buf, format="png", dpi=EMBED_DPI, metadata={"Title": meta["title"], "Description": meta["provenance"]})
    return "data:image/png;base64," + base64.b64encode(buf.getvalue()).decode("ascii")


def section_charts(run: Run, lang: str) -> dict[str, Any]:
    """The chart pack of this run, embedded as PNG so the file needs nothing beside it."""
    figures = []
    with slide_style():
        for name, fig in build_figures([run], lang):
            figures.append({"name": name, "src": _png_data_uri(fig), "title": figure_meta(fig)["title"],
                            "caption": provenance(run, lang)})
    return {"title": label("h.charts", lang), "figures": figures}


def section_money(run: Run, lang: str) -> dict[str, Any] | None:
    """The money KPIs (DKK a year, all groups) if the run has them; None otherwise."""
    s = run.summary
    money = s[(s["kpi"].str.endswith("_dkk_per_year") | (s["kpi"] == "benefit_weeks_per_year"))
              & (s["group"] == "all") & (s["provider"] == "all")]
    if money.empty:
        return None
    rows = []
    for _, r in money.iterrows():
        kind = "dkk" if r["kpi"].endswith("_dkk_per_year") else "count"
        unit = (" kr." if lang == "da" else " DKK") if kind == "dkk" else ""
        rows.append([label(r["kpi"], lang) + " *", _fmt(r["mean"], kind, lang) + unit, _ci(r, kind, lang) + unit])
    return {"title": label("h.money", lang), "table": _table(_labels(["col.kpi", "col.mean", "col.ci"], lang), rows,
                                                             {1, 2}), "note": _counts_note(run, lang)}


def section_workload(run: Run, lang: str) -> dict[str, Any] | None:
    """fte_needed split into modelled work and the overhead block, with the block's share said in words."""
    rows = []
    for kpi, provider, kind in (("fte_needed", "all", "count"), ("fte_modelled_work", "all", "count"),
                                ("fte_overhead_block", "all", "count"), ("overhead_share_of_fte", "all", "share")):
        r = _find(run, kpi, "all", provider)
        if r is not None:
            star = " *" if kind == "count" else ""
            rows.append([label(kpi, lang) + star, _fmt(r["mean"], kind, lang), _ci(r, kind, lang)])
    share = _find(run, "overhead_share_of_fte")
    if share is None:
        return None
    text = label("t.workload_share", lang).format(work=fmt_share(1.0 - share["mean"], lang, 0),
                                                  block=fmt_share(share["mean"], lang, 0))
    return {"title": label("h.workload", lang), "text": text,
            "table": _table(_labels(["col.kpi", "col.mean", "col.ci"], lang), rows, {1, 2})}


def section_goals(run: Run, lang: str) -> dict[str, Any]:
    """The reform's result goals: what the model measures, and the satisfaction goals it does not."""
    rows: list[list[Any]] = []
    for kpi, kind in GOALS:
        r = _find(run, kpi)
        if r is not None:
            rows.append([label(kpi, lang), _fmt(r["mean"], kind, lang), _ci(r, kind, lang)])
    for key in NOT_MODELLED_GOALS:
        rows.append([label(key, lang), _badge("not modelled", lang), ""])
    return {"title": label("h.goals", lang),
            "table": _table(_labels(["col.goal", "col.result", "col.ci"], lang), rows, {2})}


def section_assumptions(run: Run, lang: str) -> dict[str, Any]:
    """Every assumption of the run with its source text, so a reader sees what the numbers rest on."""
    assumptions = run.meta.get("assumptions") or {}
    rows = [[{"code": str(k)}, str(v)] for k, v in assumptions.items()]
    return {"title": label("h.assumptions", lang), "intro": label("t.assumptions", lang).format(n=len(rows)),
            "table": _table(_labels(["col.param", "col.source"], lang), rows)}


def section_glossary(lang: str) -> dict[str, Any] | None:
    """The Danish terms once, in English (the Danish report needs no glossary)."""
    if lang == "da":
        return None
    rows = [[{"em": k}, v] for k, v in GLOSSARY.items()]
    return {"title": label("h.glossary", lang), "table": _table(_labels(["col.term", "col.meaning"], lang), rows)}


def _description_link(run: Run, out: Path, lang: str) -> dict[str, str] | None:
    """A relative link to the model description if the run folder has one (optional)."""
    for name in DESCRIPTION_FILES:
        path = run.path / name
        if path.is_file():
            rel = Path(os.path.relpath(path.resolve(), out.parent.resolve())).as_posix()
            return {"href": rel, "text": label("t.description", lang), "name": name}
    return None


def report_context(run: Run, lang: str, out: Path) -> dict[str, Any]:
    """Everything the template shows, section by section."""
    return {
        "lang": lang, "css": CSS, "provenance": provenance(run, lang),
        "title": f"{label('h.report', lang)}: {run.meta.get('scenario', run.path.name)}",
        "header": section_header(run, lang), "description_link": _description_link(run, out, lang),
        "headline": section_headline(run, lang), "workload": section_workload(run, lang),
        "compliance": section_compliance(run, lang), "charts": section_charts(run, lang),
        "money": section_money(run, lang), "goals": section_goals(run, lang),
        "assumptions": section_assumptions(run, lang), "glossary": section_glossary(lang),
        "made": label("t.made", lang).format(version=run.meta.get("version", "?"), run_dir=run.path.name),
    }


def render_report(run: Run, lang: str, out: Path) -> str:
    """The whole HTML document as text."""
    return _environment().get_template(TEMPLATE).render(report_context(run, lang, out))


def write_report(run_dir: str | Path, lang: str = "en", out: str | Path | None = None) -> Path:
    """Write the report of one run folder; default RUN_DIR/report.html (report_da.html in Danish)."""
    run = load_run(run_dir)
    path = Path(out) if out else run.path / ("report.html" if lang == "en" else f"report_{lang}.html")
    path.parent.mkdir(parents=True, exist_ok=True)
    text = render_report(run, lang, path)
    atomic_write(path, lambda p: Path(p).write_text(text, encoding="utf-8"))
    path.chmod(0o644)  # a report is for sharing; the temporary file it came from was private
    return path

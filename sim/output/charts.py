"""The chart pack: every slide chart of one run folder, or a comparison of several, written to disk.

Each chart is written as PNG (for slides) and SVG (editable, text kept as text), and all of them in
one PDF; every file carries the chart's title and the runs' provenance in its metadata, so a picture
copied out of a deck still names the run it came from. Numbers come only from the run folders
(sim.output.run_folder); the figures themselves are built in sim.output.figures.

The names below the imports are re-exported so that ``from sim.output.charts import ...`` keeps
working for notebooks and scripts written before the chart code was split into modules.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from matplotlib.backends.backend_pdf import PdfPages
from matplotlib.figure import Figure

from sim.inputs.errors import ParamError
from sim.output.figures import (
    CHARTS,
    build_figures,
    chart_caseload,
    chart_compliance,
    chart_fte,
    chart_money,
    chart_talks,
)
from sim.output.labels import label
from sim.output.run_folder import Run, load_run, load_runs, provenance, rules_text
from sim.output.slides import figure_meta, slide_style

__all__ = ["CHARTS", "PNG_DPI", "Run", "build_figures", "chart_caseload", "chart_compliance", "chart_fte",
           "chart_money", "chart_talks", "chart_file_stem", "figure_meta", "load_run", "load_runs", "provenance",
           "rules_text", "slide_style", "write_chart_pack"]

PNG_DPI = 150
CHARTS_FOLDER = "charts"


def chart_file_stem(name: str, lang: str) -> str:
    """'02_fte' in English, '02_fte_da' in Danish: numbered in slide order, so a file listing sorts
    like the deck."""
    number = {chart: i for i, (chart, _make) in enumerate(CHARTS, start=1)}
    return f"{number[name]:02d}_{name}{'' if lang == 'en' else f'_{lang}'}"


def _save(fig: Figure, out_dir: Path, stem: str) -> list[Path]:
    """PNG and SVG of one chart, each with title and provenance in the file metadata."""
    meta = figure_meta(fig)
    png, svg = out_dir / f"{stem}.png", out_dir / f"{stem}.svg"
    fig.savefig(png, dpi=PNG_DPI, metadata={"Title": meta["title"], "Description": meta["provenance"],
                                            "Comment": meta["provenance"], "Software": "caseload-sim"})
    fig.savefig(svg, metadata={"Title": meta["title"], "Description": meta["provenance"], "Date": None,
                               "Creator": "caseload-sim"})
    return [png, svg]


def _save_pdf(figures: list[tuple[str, Figure]], runs: Sequence[Run], path: Path, lang: str) -> Path:
    """All charts in one PDF, the runs named in its title and their provenance in its metadata."""
    prov = "; ".join(provenance(r, lang) for r in runs)
    pdf_meta = {"Title": f"{label('h.report', lang)}: {', '.join(r.name for r in runs)}", "Subject": prov,
                "Keywords": prov, "Creator": "caseload-sim", "CreationDate": None}
    with PdfPages(path, metadata=pdf_meta) as pdf:
        for _name, fig in figures:
            pdf.savefig(fig)
    return path


def write_chart_pack(run_dirs: Sequence[str | Path], out_dir: str | Path | None = None,
                     lang: str = "en") -> list[Path]:
    """Write every chart as PNG and SVG and all of them in one PDF; return the files written, the
    PDF last. Several run folders make a comparison (runs overlaid or dodged, named by scenario and
    rules). The default folder is `charts/` inside the first run folder."""
    if not run_dirs:
        raise ParamError("run_dirs", "[]", "one run folder, or several to compare")
    runs = load_runs(run_dirs)
    out = Path(out_dir) if out_dir is not None else runs[0].path / CHARTS_FOLDER
    out.mkdir(parents=True, exist_ok=True)
    written: list[Path] = []
    with slide_style():
        figures = build_figures(runs, lang)
        for name, fig in figures:
            written += _save(fig, out, chart_file_stem(name, lang))
        written.append(_save_pdf(figures, runs, out / f"charts{'' if lang == 'en' else f'_{lang}'}.pdf", lang))
    return written

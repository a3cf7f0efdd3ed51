"""The validation chart: each measure's model value against its official figure, as a ratio with
the 95 % interval and the tolerance band, and the change of municipal FTE item by item."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from sim._version import __version__
from sim.output.study_charts import save_png_svg
from sim.studies.validation import DELTA_FTE, Validation

if TYPE_CHECKING:
    from matplotlib.figure import Figure


def validation_chart(v: Validation) -> Figure:
    """Left: model / official per measure (1 = agreement), grey band = tolerance; right: ΔFTE by item,
    the official −3,000 drawn as a reference beside the sum of the items."""
    import matplotlib.pyplot as plt

    t = v.table[v.table.model_mean.notna() & (v.table.official != 0)]
    t = t[t.measure != "delta_fte_gap_to_official"]
    fig, (ax, bx) = plt.subplots(1, 2, figsize=(13, 0.45 * max(6, len(t), len(v.terms)) + 1.8))
    y = np.arange(len(t))[::-1]
    off = t.official.to_numpy()
    for yi, r in zip(y, t.itertuples(), strict=True):
        if r.tolerance is not None and not np.isnan(r.band_low):
            lo, hi = sorted((r.band_low / r.official, r.band_high / r.official))
            ax.fill_betweenx([yi - 0.35, yi + 0.35], lo, hi, color="#dddddd")
    ax.hlines(y, t.ci_low.to_numpy() / off, t.ci_high.to_numpy() / off, color="#1f77b4", lw=3)
    ax.plot(t.model_mean.to_numpy() / off, y, "o", color="black", ms=4)
    ax.axvline(1.0, color="#444444", lw=0.8)
    ax.set_yticks(y, list(t.measure))
    ax.set_xlabel("model / official (95 % CI); grey: tolerance")
    terms = v.terms[v.terms.delta_fte.abs() >= 0.5]
    yt = np.arange(len(terms) + 2)[::-1]
    official = float(v.table.set_index("measure").loc[DELTA_FTE, "official"])
    values = [*terms.delta_fte, terms.delta_fte.sum(), official]
    names = [*terms["item"], "sum of items", f"official ({official:+,.0f})".replace("-", "−")]
    colors = ["#1f77b4"] * len(terms) + ["black", "#d62728"]
    bx.barh(yt, values, color=colors)
    bx.set_yticks(yt, names)
    bx.axvline(0, color="#444444", lw=0.8)
    bx.set_xlabel("Δ municipal FTE, reform_2027 − pre_reform (national)")
    m = v.meta
    fig.text(0.01, 0.01, f"scale {m.get('scale')}, {m.get('replications')} paired replications, seed {m.get('seed')} "
             f"(common random numbers), unlimited capacity; caseload-sim {__version__}", fontsize=7, color="#555555")
    fig.tight_layout(rect=(0, 0.04, 1, 1))
    return fig


def write_validation_chart(v: Validation, out: str | Path) -> list[Path]:
    """validation.png and validation.svg in the validation folder."""
    return save_png_svg(validation_chart(v), Path(out), "validation")

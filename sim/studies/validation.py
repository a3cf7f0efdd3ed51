"""The validation of issue 11: pre_reform against reform_2027, national, unlimited capacity, with
common random numbers, set beside the official figures.

Honesty rule: only the baseline (about 12,500 job-centre FTE, the 2024 ØVO and mentor spending) may
be calibrated; the reform's changes (ΔFTE, Δtalks, the savings) are out-of-sample checks and are
never fitted. Where the modelled work items do not reach the official ΔFTE, `terms` gives the
change item by item so that the gap can be read term by term.

Model values are national: a run at scale s is divided by s. The 12,500 are municipal job-centre
staff, so FTE are compared for provider "municipality" (the a-kasse's work is left out).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from sim.experiment.executors import Executor
from sim.experiment.results import MANIFEST_KEY, file_manifest, staged_folder
from sim.inputs.errors import ParamError
from sim.inputs.files import params_dir, read_toml
from sim.inputs.loading import load_params
from sim.inputs.schema import LoadedParams
from sim.metrics.stats import mean_ci
from sim.studies.compare import Comparison, compare

VALIDATION_COLUMNS = ["measure", "official", "official_source", "model_mean", "ci_low", "ci_high", "tolerance",
                      "band_low", "band_high", "verdict"]
TERM_COLUMNS = ["item", "group", "fte_pre_reform", "fte_reform_2027", "delta_fte", "ci_low", "ci_high"]
MUNI = "municipality"


@dataclass(frozen=True)
class Measure:
    """One official figure and how the model's value is read. `band` is (low, high) of the official
    figure (a range where the source gives one); the tolerance widens it relatively."""

    name: str
    official: float
    source: str
    tolerance: float | None  # None: shown side by side, no verdict
    band: tuple[float, float] | None = None

    def band_with_tolerance(self) -> tuple[float, float]:
        lo, hi = self.band or (self.official, self.official)
        tol = self.tolerance or 0.0
        lo, hi = sorted((lo * (1 - tol) if lo > 0 else lo * (1 + tol), hi * (1 + tol) if hi > 0 else hi * (1 - tol)))
        return lo, hi


DELTA_FTE = "delta_fte_municipality"


def load_measures(path: Path | None = None) -> tuple[Measure, ...]:
    """The official figures with their sources, from ``params/validation.toml`` (data, not code:
    a figure and its source are edited in one place)."""
    data = read_toml(path or params_dir() / "validation.toml", field="validation")
    out = []
    for i, m in enumerate(data.get("measures", [])):
        try:
            band = m.get("band")
            out.append(Measure(str(m["name"]), float(m["official"]), str(m["source"]),
                               None if m.get("tolerance") is None else float(m["tolerance"]),
                               None if band is None else (float(band[0]), float(band[1]))))
        except (KeyError, TypeError, ValueError, IndexError) as exc:
            raise ParamError(f"validation.measures[{i}]", m.get("name"),
                             f"name, official, source (and optional tolerance, band [low, high]): {exc}") from None
    if DELTA_FTE not in {m.name for m in out}:
        raise ParamError("validation.measures", DELTA_FTE, "a measure of that name (the gap row is read from it)")
    return tuple(out)


MEASURES = load_measures()


@dataclass
class Validation:
    """The paired runs, the validation table and the change of FTE item by item."""

    comparison: Comparison
    table: pd.DataFrame
    terms: pd.DataFrame
    meta: dict[str, Any] = field(default_factory=dict)

    def save(self, out: str | Path) -> Path:
        """Write the validation folder as a unit (see sim.experiment.results.staged_folder): the old
        folder stays whole until the new one is complete. To have the chart in the same unit, stage
        the folder yourself and call `write_files` and the chart writer inside (as `caseload
        validation` does)."""
        with staged_folder(out, VALIDATION_MARKER) as folder:
            self.write_files(folder)
        return Path(out)

    def write_files(self, folder: Path) -> None:
        """The comparison's files (a/, b/, differences.csv, comparison.json), validation.csv,
        validation_terms.csv and, last, validation.json listing the two tables with their SHA-256.
        `folder` is a staging folder: the files need no atomic writes of their own."""
        self.comparison.write_files(folder)
        self.table.to_csv(folder / "validation.csv", index=False)
        self.terms.to_csv(folder / "validation_terms.csv", index=False)
        meta = {**self.meta, MANIFEST_KEY: file_manifest(folder, ["validation.csv", "validation_terms.csv"])}
        (folder / VALIDATION_MARKER).write_text(json.dumps(meta, indent=2, default=str))


VALIDATION_MARKER = "validation.json"


def validation_params(scale: float, years: float = 2.0) -> tuple[LoadedParams, LoadedParams]:
    """pre_reform (no exemption) and reform_2027 (the one-in-four exemption in full), national, unlimited
    capacity, from the national default."""
    base: dict[str, object] = {"scale": scale, "years": years, "capacity.unlimited": True}
    pre = load_params(None, {**base, "rules": "pre_reform", "exemption.share": 0.0})
    post = load_params(None, {**base, "rules": "reform_2027"})
    return pre, post


def _per_rep(kpis: pd.DataFrame, kpi: str, group: str = "all", provider: str = "all") -> pd.Series:
    sel = kpis[(kpis.kpi == kpi) & (kpis.group == group) & (kpis.provider == provider)]
    return sel.set_index("replication")["value"].sort_index()


def _model_values(cmp: Comparison, scale: float, cost_per_fte: float) -> dict[str, pd.Series]:
    """Each measure's national model value per replication (paired differences for the changes)."""
    a, b = cmp.a.kpis, cmp.b.kpis
    fte_a, fte_b = _per_rep(a, "fte_needed", provider=MUNI), _per_rep(b, "fte_needed", provider=MUNI)
    om_a, om_b = _per_rep(a, "oevo_mentor_dkk_per_year"), _per_rep(b, "oevo_mentor_dkk_per_year")
    admin = _item_fte(cmp.b.workload, "offer_admin") - _item_fte(cmp.a.workload, "offer_admin")
    cash = _per_rep(a, "persons_touched_per_year", "jobparat") + _per_rep(a, "persons_touched_per_year",
                                                                          "aktivitetsparat")
    values = {
        "baseline_fte_municipality": fte_a,
        "delta_fte_municipality": fte_b - fte_a,
        "delta_talks": _per_rep(b, "talks_held_per_year") - _per_rep(a, "talks_held_per_year"),
        "oevo_mentor_dkk_pre_reform": om_a,
        "delta_oevo_mentor_dkk": om_b - om_a,
        "delta_offer_admin_dkk": admin * cost_per_fte,
        "dagpenge_persons_per_year": _per_rep(a, "persons_touched_per_year", "dagpenge"),
        "dagpenge_full_time": _per_rep(a, "stock_mean", "dagpenge"),
        "sygedagpenge_persons_per_year": _per_rep(a, "persons_touched_per_year", "sygemeldt"),
        "sygedagpenge_full_time": _per_rep(a, "stock_mean", "sygemeldt"),
        "kontanthjaelp_persons_per_year": cash,
    }
    return {k: v / scale for k, v in values.items() if len(v)}


def _item_fte(workload: pd.DataFrame | None, item: str) -> pd.Series:
    """One item's FTE per replication (all groups and providers)."""
    if workload is None or workload.empty:
        return pd.Series(dtype=float)
    w = workload[workload.item == item]
    reps = sorted(workload.replication.unique())
    return w.groupby("replication").fte.sum().reindex(reps, fill_value=0.0)


def validation_table(values: dict[str, pd.Series]) -> pd.DataFrame:
    """One row per measure: official figure, model mean with its 95 % interval, tolerance band, verdict."""
    rows = []
    for m in MEASURES:
        v = values.get(m.name)
        mean, lo, hi = (np.nan, np.nan, np.nan) if v is None or v.empty else mean_ci(v.to_numpy())
        band_lo, band_hi = m.band_with_tolerance()
        if m.tolerance is None:
            verdict = "side by side" if v is not None else "not modelled"
        elif np.isnan(mean):
            verdict = "not modelled"
        else:
            verdict = "within" if band_lo <= mean <= band_hi else "outside"
        rows.append((m.name, m.official, m.source, mean, lo, hi, m.tolerance, band_lo, band_hi, verdict))
    return pd.DataFrame(rows, columns=VALIDATION_COLUMNS)


def fte_terms(cmp: Comparison, scale: float) -> pd.DataFrame:
    """The change of municipal FTE item by item (national), paired by replication: the gap to the
    official saving read term by term. Items are summed over groups; the block is one term per item."""
    def per_item(w: pd.DataFrame | None) -> pd.DataFrame:
        if w is None or w.empty:
            return pd.DataFrame(columns=["replication", "item", "fte"])
        w = w[w.provider == MUNI]
        return w.groupby(["replication", "item"], as_index=False).fte.sum()

    a, b = per_item(cmp.a.workload), per_item(cmp.b.workload)
    m = a.merge(b, on=["replication", "item"], how="outer", suffixes=("_a", "_b")).fillna(0.0)
    rows = []
    for item, g in m.groupby("item", sort=False):
        d = (g.fte_b - g.fte_a).to_numpy() / scale
        mean, lo, hi = mean_ci(d)
        rows.append((item, "all", g.fte_a.mean() / scale, g.fte_b.mean() / scale, mean, lo, hi))
    out = pd.DataFrame(rows, columns=TERM_COLUMNS).sort_values("delta_fte").reset_index(drop=True)
    return out


def run_validation(scale: float = 0.02, replications: int = 5, seed: int = 1, workers: int | None = 1,
                   years: float = 2.0, executor: Executor | None = None,
                   params: tuple[LoadedParams, LoadedParams] | None = None) -> Validation:
    """Run pre_reform and reform_2027 with common random numbers and judge the model against the
    official figures. The gap to the official ΔFTE is also a row, so that it is never hidden.
    `params` is `validation_params(scale, years)` when a caller has already loaded and checked it."""
    pre, post = params if params is not None else validation_params(scale, years)
    cmp = compare(pre, post, replications=replications, seed=seed, workers=workers, executor=executor)
    values = _model_values(cmp, scale, pre.scenario.money.caseworker_dkk_per_fte_year)
    table = validation_table(values)
    terms = fte_terms(cmp, scale)
    delta = table.set_index("measure").loc[DELTA_FTE]
    official = next(m.official for m in MEASURES if m.name == DELTA_FTE)
    gap = pd.DataFrame([("delta_fte_gap_to_official", official, f"official {official:,.0f} minus the model's ΔFTE: the "
                         "part of the official saving the modelled work items do not explain",
                         official - delta.model_mean, official - delta.ci_high, official - delta.ci_low, None, np.nan,
                         np.nan, "side by side")], columns=VALIDATION_COLUMNS)
    table = pd.concat([table, gap], ignore_index=True)
    meta = {"scale": scale, "replications": replications, "seed": seed, "years": years,
            "scenarios": {"a": "pre_reform, no exemption", "b": "reform_2027, one-in-four exemption"},
            "capacity": "unlimited", "honesty_rule": "only the baseline (12,500 FTE, 2024 ØVO + mentor) is calibrated; "
            "the reform's changes are out-of-sample checks and never fitted", "values": "national (run / scale)",
            "fte_compared_for": MUNI}
    return Validation(cmp, table, terms, meta)


def format_validation(v: Validation) -> str:
    """The validation table for the console."""
    def f(x: float) -> str:
        if pd.isna(x):
            return "-"
        return f"{x / 1e6:,.0f} mio" if abs(x) >= 1e7 else f"{x:,.0f}"

    lines = [f"{'measure':<34}{'official':>14}{'model':>14}{'95% CI':>30}  verdict"]
    for r in v.table.itertuples():
        ci = f"[{f(r.ci_low)}, {f(r.ci_high)}]"
        lines.append(f"{r.measure:<34}{f(r.official):>14}{f(r.model_mean):>14}{ci:>30}  {r.verdict}")
    lines.append("\nΔ municipal FTE by item (national):")
    for r in v.terms.itertuples():
        if abs(r.delta_fte) >= 0.5:
            lines.append(f"  {r.item:<34}{r.fte_pre_reform:>10,.0f} -> {r.fte_reform_2027:>8,.0f}  "
                         f"{r.delta_fte:>+8,.0f}  [{r.ci_low:+,.0f}, {r.ci_high:+,.0f}]")
    return "\n".join(lines)

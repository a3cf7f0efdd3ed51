"""The calibrated scenario as a TOML file that ``extends`` the national default.

Only what the figures change is written (stocks, inflows, hazards, capacity, population, the trial
a named municipality runs), each value with a source tag, so a reader of the file can tell a
municipality's own figure from one derived or scaled from the national default."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import tomli_w

from sim.inputs.municipalities import find
from sim.inputs.municipalities import population_share as municipality_share
from sim.inputs.schema import Group, LoadedParams
from sim.studies.calibration.figures import Figures
from sim.studies.calibration.hazards import scaled_group
from sim.studies.calibration.targets import Target


def _rounded(v: Any) -> Any:
    """`v` with every float rounded to 8 decimals, so a solved factor does not print 17 digits."""
    if isinstance(v, bool):
        return v
    if isinstance(v, float):
        return round(v, 8)
    if isinstance(v, list):
        return [_rounded(x) for x in v]
    if isinstance(v, dict):
        return {k: _rounded(x) for k, x in v.items()}
    return v


def to_toml(data: dict[str, Any], header: str = "") -> str:
    """The scenario as TOML text, written by tomli-w (quoting, escaping and tables are its job),
    after an optional comment `header`."""
    body = tomli_w.dumps(_rounded(data))
    return (header.rstrip("\n") + "\n\n" if header else "") + body


def _trial_section(municipality: str) -> dict[str, Any]:
    """The trial a named municipality takes part in (free choice or extended a-kasse)."""
    m = find(municipality)
    trial = "free-choice" if m.free_choice else "extended a-kasse"
    return {"free_choice_share": 1.0 if m.free_choice else 0.0,
            "source": f"[S] {m.name}: {trial} trial (bm.dk press release 3 Dec 2025; lovguiden.dk)"}


def _money_section(params: LoadedParams, fig: Figures, share: float) -> dict[str, Any]:
    """The population: the municipality's own figure, or the national one times its share."""
    pop = fig.population if fig.population is not None else params.scenario.money.population * share
    derived = f"[D] national population × the municipality's share of the national stock ({share:.2%})"
    return {"population": float(round(pop)),
            "population_source": (_tagged(fig.sources.get("population"), "[V]", "population figure")
                                  if fig.population is not None else derived)}


def _capacity_section(params: LoadedParams, fig: Figures, share: float) -> dict[str, Any]:
    """Caseworker FTE per provider: the stated figure, or the national steps times the share."""
    scaled = f"[D] national default × the municipality's share ({share:.2%})"
    providers = {}
    for p, prov in params.scenario.capacity.providers.items():
        if p in fig.fte:
            providers[p] = {"fte": [{"from": dt.date(2024, 1, 1), "fte": fig.fte[p]}],
                            "source": _tagged(fig.sources.get(f"fte.{p}"), "[V]", "caseworker FTE figure")}
        else:
            steps = [{"from": s.from_, "fte": round(s.fte * share, 2)} for s in prov.fte]
            providers[p] = {"fte": steps, "source": f"{scaled}: FTE"}
    return {"providers": providers}


def _calibrated_group(grp: Group, fig: Figures, g: str, t: Target, factors: tuple[float, float],
                      inflow: float) -> dict[str, Any]:
    """A group with figures: its stock, Little's-law inflow and scaled hazards, each with its source."""
    src = f"[D] calibrated to {Path(fig.path).name}"
    a, b = factors
    hz = scaled_group(grp, a, b).hazard
    figure_src = "; ".join(f"{k}: {v}" for k, v in fig.groups[g].sources.items() if v)
    return {
        "stock": round(t.stock, 1),
        "stock_source": f"{src}: stock {t.stock:,.0f}" + (f" ({figure_src})" if figure_src else ""),
        "inflow_per_year": round(inflow, 1),
        "inflow_per_year_source": (f"{src}: Little's law, {t.entries_per_year:,.0f} entries a year "
                                   f"(stock / {t.mean_weeks:.1f} weeks) minus those from other groups"),
        "hazard": {
            "work": [round(r, 6) for r in hz.work],
            "other": [round(r, 6) for r in hz.other],
            "to": {k: [round(r, 6) for r in v] for k, v in hz.to.items()},
            "source": (f"{src}: the national default's hazard shape, job hazard × {a:.3f}, other exits × {b:.3f}, "
                       f"solved so that spells average {t.mean_weeks:.1f} weeks"
                       + (f" and {t.share_to_work:.0%} end in work" if t.share_to_work is not None else "")
                       + " in the simulation"),
        },
    }


def scenario_dict(params: LoadedParams, fig: Figures, name: str, factors: dict[str, tuple[float, float]],
                  targets: dict[str, Target], inflows: dict[str, float], national_stock: float) -> dict[str, Any]:
    """The calibrated scenario as a nested dict in the shape of params/national_default.toml."""
    data: dict[str, Any] = {
        "extends": "national_default",
        "name": name,
        "description": f"Calibrated to {Path(fig.path).name}" + (f" ({fig.municipality})" if fig.municipality else ""),
        "scale": 1.0,
        "scale_source": "[D] the figures are the municipality's own counts: the simulated population is all of it",
    }
    local_stock = sum(targets[g].stock if g in targets else 0.0 for g in params.scenario.groups)
    share = population_share(params, fig, local_stock, national_stock)
    if fig.municipality:
        data["trials"] = _trial_section(fig.municipality)
    data["money"] = _money_section(params, fig, share)
    data["capacity"] = _capacity_section(params, fig, share)
    scaled = f"[D] national default × the municipality's share ({share:.2%})"
    data["groups"] = {
        g: (_calibrated_group(grp, fig, g, targets[g], factors[g], inflows[g]) if g in targets else
            {"stock": round(grp.stock * share, 1), "inflow_per_year": "little",
             "stock_source": f"{scaled}: not in the figures"})
        for g, grp in params.scenario.groups.items()}
    return data


def _tagged(source: str | None, tag: str, default: str) -> str:
    """A figure's source with a tag: the planner's own tag if it has one, else `tag`."""
    text = (source or "").strip() or default
    return text if text.startswith("[") else f"{tag} {text}"


def population_share(params: LoadedParams, fig: Figures, local_stock: float, national_stock: float) -> float:
    """The municipality's share of Denmark: by population when known, else by the stock figures."""
    if fig.population is not None:
        return fig.population / params.scenario.money.population
    if fig.municipality:
        return municipality_share(find(fig.municipality))
    covered = sum(grp.stock for g, grp in params.scenario.groups.items() if g in fig.groups)
    return local_stock / covered if covered > 0 else local_stock / national_stock

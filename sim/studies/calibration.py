"""Calibrate the national default to a municipality's own figures (``caseload calibrate``).

A planner can read, per target group, from the public jobindsats.dk tables: the citizens in stock,
the yearly inflow or the mean spell length, and the share of spells that end in work. This module
turns those figures into a scenario file that ``extends`` the national default:

1. **Little's law.** stock = entries per year × mean spell (in years). Given the stock and either
   of the other two, the third follows; given all three, they must agree (within 20 %), otherwise
   the figures are inconsistent and the error names the group.
2. **Hazards.** The group's baseline hazards keep their shape over spell duration (that is the
   national model's knowledge); the job hazard and the other hazards are multiplied by two factors
   solved so that the analytic spell distribution (:func:`sim.hazard.spell_distribution`) has the
   target mean and the target share ending in work. Without a share, one factor scales all.
3. **Inflows.** External inflow per group = entries per year minus what the other groups send in
   (the same arithmetic as :func:`sim.population.external_inflows`), written as a number.
4. **Check run and one correction.** The simulation adds what the analytic distribution leaves
   out: talks and offers shorten spells and tilt them towards work. A first check run measures that
   gap; the baseline targets are corrected by the simulated/target ratio (the share on the odds
   scale) and the hazards solved again; a second check run is reported, target against simulated
   with 95 % intervals. Whatever gap remains is printed, not hidden.

The check runs use the rules the figures were observed under (``rules`` figure, default
``pre_reform`` with no exemption) and unlimited capacity. The file written keeps the national
default's rules (the 2027 reform), so running it shows the reform in that municipality.
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import math
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import numpy as np
import pandas as pd
from scipy import optimize, stats

from sim.engine.hazard import spell_distribution
from sim.engine.population import DAYS_PER_YEAR, external_inflows
from sim.experiment.runner import run
from sim.inputs.errors import ParamError
from sim.inputs.loading import load_params
from sim.inputs.schema import LoadedParams

GROUP_FIGURES = ("stock", "inflow_per_year", "mean_spell_weeks", "share_to_work")
OTHER_FIGURES = ("caseworker_fte", "population", "municipality", "rules")
LITTLE_TOLERANCE = 0.20
MAX_WEEKLY_HAZARD = 7.0
WEEKS_PER_YEAR = DAYS_PER_YEAR / 7.0


@dataclass
class GroupFigures:
    """One group's figures as read from the CSV (None: not given)."""

    stock: float | None = None
    inflow_per_year: float | None = None
    mean_spell_weeks: float | None = None
    share_to_work: float | None = None
    sources: dict[str, str] = field(default_factory=dict)


@dataclass
class Figures:
    """Everything the CSV states."""

    path: str
    groups: dict[str, GroupFigures] = field(default_factory=dict)
    fte: dict[str, float] = field(default_factory=dict)
    population: float | None = None
    municipality: str | None = None
    rules: str = "pre_reform"
    sources: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Target:
    """What one group must reproduce: stock, mean spell in weeks, share of spells ending in work."""

    stock: float
    mean_weeks: float
    share_to_work: float | None

    @property
    def entries_per_year(self) -> float:
        return self.stock / self.mean_weeks * WEEKS_PER_YEAR


# ---------------------------------------------------------------------------------------------
# Reading the figures
# ---------------------------------------------------------------------------------------------

def _number(text: str, where: str) -> float:
    try:
        x = float(str(text).replace("_", "").replace(" ", ""))
    except ValueError:
        raise ParamError(where, text, "a number (no thousands separators other than _)") from None
    if not math.isfinite(x) or x < 0:
        raise ParamError(where, text, "a finite number >= 0")
    return x


def read_figures(path: str | Path, groups: list[str]) -> Figures:
    """Read the long-form CSV (figure, group, value, source); lines starting with # are comments."""
    p = Path(path)
    if not p.is_file():
        raise ParamError("FIGURES", str(path), "an existing CSV file (see params/calibration_example.csv)")
    with open(p, encoding="utf-8-sig", newline="") as fh:
        lines = [ln for ln in fh if ln.strip() and not ln.lstrip().startswith("#")]
    reader = csv.DictReader(lines)
    missing = {"figure", "group", "value"} - set(reader.fieldnames or [])
    if missing:
        raise ParamError("FIGURES", str(path),
                         f"a CSV with the columns figure, group, value, source (missing {sorted(missing)})")
    fig = Figures(str(p))
    for i, row in enumerate(reader, start=2):
        name = (row.get("figure") or "").strip()
        key = (row.get("group") or "").strip()
        value = (row.get("value") or "").strip()
        source = (row.get("source") or "").strip()
        where = f"{p.name} line {i}: {name}" + (f"[{key}]" if key else "")
        if name in GROUP_FIGURES:
            if key not in groups:
                raise ParamError(where, key, f"a group of the national default: {', '.join(groups)}")
            if value == "":
                continue
            x = _number(value, f"groups.{key}.{name}")
            if name == "share_to_work" and not 0.0 < x < 1.0:
                raise ParamError(f"groups.{key}.share_to_work", x,
                                 "a share strictly between 0 and 1 (not a percentage)")
            gf = fig.groups.setdefault(key, GroupFigures())
            setattr(gf, name, x)
            gf.sources[name] = source
        elif name == "caseworker_fte":
            if not key:
                raise ParamError(where, key, "a provider name in the group column (municipality, akasse)")
            fig.fte[key] = _number(value, f"capacity.providers.{key}.fte")
            fig.sources[f"fte.{key}"] = source
        elif name == "population":
            fig.population = _number(value, "population")
            if fig.population <= 0:
                raise ParamError("population", value, "the municipality's number of inhabitants, > 0")
            fig.sources["population"] = source
        elif name == "municipality":
            fig.municipality = value
        elif name == "rules":
            fig.rules = value
        else:
            raise ParamError(where, name, f"one of {', '.join(GROUP_FIGURES + OTHER_FIGURES)}")
    if not fig.groups:
        raise ParamError("FIGURES", str(path), "figures for at least one group")
    return fig


# ---------------------------------------------------------------------------------------------
# Little's law and consistency
# ---------------------------------------------------------------------------------------------

def group_target(g: str, f: GroupFigures) -> Target:
    """The group's stock, mean spell and share to work, checked against Little's law."""
    if f.stock is None:
        raise ParamError(f"groups.{g}.stock", None, "the number of citizens in stock is needed for every group given")
    s, inflow, mean = f.stock, f.inflow_per_year, f.mean_spell_weeks
    if inflow is None and mean is None:
        raise ParamError(f"groups.{g}", f"stock {s:,.0f}", "also a yearly inflow (inflow_per_year) or a mean spell "
                         "length (mean_spell_weeks), so that Little's law gives the other")
    if s <= 0:
        raise ParamError(f"groups.{g}.stock", s, "> 0 (leave a group out of the CSV to keep the national default)")
    if inflow is not None and inflow <= 0:
        raise ParamError(f"groups.{g}.stock", s, f"a stock of {s:,.0f} needs an inflow > 0; "
                         f"inflow_per_year = {inflow:g} cannot produce it")
    if mean is not None and mean <= 0:
        raise ParamError(f"groups.{g}.stock", s, f"a stock of {s:,.0f} needs spells longer than 0 weeks; "
                         f"mean_spell_weeks = {mean:g} cannot produce it")
    if mean is None:
        mean = s / inflow * WEEKS_PER_YEAR
    elif inflow is not None:
        implied = inflow * mean / WEEKS_PER_YEAR
        if abs(implied / s - 1.0) > LITTLE_TOLERANCE:
            raise ParamError(f"groups.{g}.stock", s,
                             f"inconsistent with inflow_per_year {inflow:,.0f} and mean_spell_weeks {mean:g}: by "
                             f"Little's law they give a stock of {implied:,.0f} ({implied / s - 1:+.0%}); "
                             f"check that all three figures cover the same citizens and period")
    if mean > 40 * 52:
        raise ParamError(f"groups.{g}.mean_spell_weeks", round(mean, 1), "a mean spell under 40 years")
    return Target(s, mean, f.share_to_work)


# ---------------------------------------------------------------------------------------------
# Hazard factors
# ---------------------------------------------------------------------------------------------

def scaled_group(group, work_factor: float, rest_factor: float):
    """The group with its job hazard × work_factor and every other hazard × rest_factor."""
    hz = group.hazard
    new = hz.model_copy(update={
        "work": [r * work_factor for r in hz.work],
        "other": [r * rest_factor for r in hz.other],
        "to": {k: [r * rest_factor for r in v] for k, v in hz.to.items()},
    })
    return group.model_copy(update={"hazard": new})


def _max_factor(rates: list[float]) -> float:
    top = max(rates) if rates else 0.0
    return MAX_WEEKLY_HAZARD / top if top > 0 else 1e6


def solve_factors(g: str, group, frailty_variance: float, mean_weeks: float,
                  share_to_work: float | None) -> tuple[float, float]:
    """(work factor, rest factor) whose analytic spell distribution has the target mean and share.

    Why two factors: the mean fixes how fast spells end, the share how they end; scaling only the
    job hazard would change both at once. The shape over duration is kept from the national model."""
    hz = group.hazard
    rest_rates = hz.other + [r for v in hz.to.values() for r in v]
    hi_w, hi_r = _max_factor(hz.work), _max_factor(rest_rates)
    target_days = mean_weeks * 7.0

    def dist(a: float, b: float):
        return spell_distribution(scaled_group(group, a, b), frailty_variance)

    if share_to_work is None:
        def gap(logc: float) -> float:
            c = math.exp(logc)
            return math.log(dist(c, c).mean_days / target_days)
        lo, hi = math.log(1e-3), math.log(min(hi_w, hi_r))
        if gap(lo) < 0 or gap(hi) > 0:
            raise ParamError(f"groups.{g}.mean_spell_weeks", round(mean_weeks, 1),
                             "a mean spell the group's hazard shape can reach (check the unit: weeks)")
        c = math.exp(optimize.brentq(gap, lo, hi, xtol=1e-6))
        return c, c

    def residuals(x: np.ndarray) -> np.ndarray:
        d = dist(math.exp(x[0]), math.exp(x[1]))
        return np.array([math.log(d.mean_days / target_days),
                         d.destination_probs["work"] - share_to_work])

    bounds = ([math.log(1e-3)] * 2, [math.log(hi_w), math.log(hi_r)])
    sol = optimize.least_squares(residuals, x0=np.zeros(2), bounds=bounds, xtol=1e-10, ftol=1e-10)
    if np.max(np.abs(sol.fun)) > 2e-3:
        d = dist(math.exp(sol.x[0]), math.exp(sol.x[1]))
        raise ParamError(f"groups.{g}.share_to_work", share_to_work,
                         f"not reachable together with a mean spell of {mean_weeks:.1f} weeks for this group's "
                         f"hazard shape (closest: {d.destination_probs['work']:.2f} to work, "
                         f"{d.mean_days / 7:.1f} weeks); check the figures")
    return math.exp(sol.x[0]), math.exp(sol.x[1])


def implied_external_inflows(params: LoadedParams, targets: dict[str, Target], factors: dict[str, tuple[float, float]],
                             share: float) -> dict[str, float]:
    """External inflow per group: the target entries per year minus what other groups send in.

    Reuses :func:`sim.population.external_inflows` with the target stocks and mean spells in place
    of the national ones, so an impossible combination raises its error naming ``groups.X.stock``.
    Groups without figures keep the national hazards and a stock scaled by `share`."""
    dists = {}
    groups = {}
    for g, grp in params.scenario.groups.items():
        a, b = factors.get(g, (1.0, 1.0))
        scaled = scaled_group(grp, a, b)
        d = spell_distribution(scaled, params.scenario.frailty.variance)
        t = targets.get(g)
        mean_days = t.mean_weeks * 7.0 if t else d.mean_days
        stock = t.stock if t else grp.stock * share
        dists[g] = SimpleNamespace(mean_days=mean_days, destination_probs=d.destination_probs)
        groups[g] = scaled.model_copy(update={"inflow_per_year": "little", "stock": stock})
    return external_inflows(groups, dists)


# ---------------------------------------------------------------------------------------------
# The scenario file
# ---------------------------------------------------------------------------------------------

def _toml_value(v: Any) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, (int, float)):
        return repr(float(round(v, 8))) if isinstance(v, float) else str(v)
    if isinstance(v, dt.date):
        return v.isoformat()
    if isinstance(v, str):
        return '"' + v.replace("\\", "\\\\").replace('"', '\\"') + '"'
    if isinstance(v, list):
        return "[" + ", ".join(_toml_value(x) for x in v) + "]"
    if isinstance(v, dict):
        return "{ " + ", ".join(f"{k} = {_toml_value(x)}" for k, x in v.items()) + " }"
    raise TypeError(f"cannot write {type(v).__name__} to TOML")


def to_toml(data: dict[str, Any], header: str = "") -> str:
    """A small TOML writer for scenario files: scalars first, then tables, recursively."""
    out = [header] if header else []

    def emit(node: dict[str, Any], prefix: str) -> None:
        scalars = {k: v for k, v in node.items() if not isinstance(v, dict)}
        tables = {k: v for k, v in node.items() if isinstance(v, dict)}
        if prefix and (scalars or not tables):
            out.append(f"\n[{prefix}]")
        for k, v in scalars.items():
            out.append(f"{k} = {_toml_value(v)}")
        for k, v in tables.items():
            emit(v, f"{prefix}.{k}" if prefix else k)

    emit(data, "")
    return "\n".join(out) + "\n"


def scenario_dict(params: LoadedParams, fig: Figures, name: str, factors: dict[str, tuple[float, float]],
                  targets: dict[str, Target], inflows: dict[str, float], national_stock: float) -> dict[str, Any]:
    """The calibrated scenario as a nested dict in the shape of params/national_default.toml."""
    src = f"[D] calibrated to {Path(fig.path).name}"
    data: dict[str, Any] = {
        "extends": "national_default",
        "name": name,
        "description": f"Calibrated to {Path(fig.path).name}" + (f" ({fig.municipality})" if fig.municipality else ""),
        "scale": 1.0,
        "scale_source": "[D] the figures are the municipality's own counts: the simulated population is all of it",
    }
    local_stock = sum(targets[g].stock if g in targets else 0.0 for g in params.scenario.groups)
    share = _population_share(params, fig, local_stock, national_stock)
    if fig.municipality:
        from sim.inputs.municipalities import find

        m = find(fig.municipality)
        trial = "free-choice" if m.free_choice else "extended a-kasse"
        data["trials"] = {"free_choice_share": 1.0 if m.free_choice else 0.0,
                          "source": f"[S] {m.name}: {trial} trial (domain.md §5)"}
    pop = fig.population if fig.population is not None else params.scenario.money.population * share
    derived = f"[D] national population × the municipality's share of the national stock ({share:.2%})"
    data["money"] = {"population": float(round(pop)),
                     "population_source": (_tagged(fig.sources.get("population"), "[V]", "population figure")
                                           if fig.population is not None else derived)}
    scaled = f"[D] national default × the municipality's share ({share:.2%})"
    providers = {}
    for p, prov in params.scenario.capacity.providers.items():
        if p in fig.fte:
            providers[p] = {"fte": [{"from": dt.date(2024, 1, 1), "fte": fig.fte[p]}],
                            "source": _tagged(fig.sources.get(f"fte.{p}"), "[V]", "caseworker FTE figure")}
        else:
            steps = [{"from": s.from_, "fte": round(s.fte * share, 2)} for s in prov.fte]
            providers[p] = {"fte": steps, "source": f"{scaled}: FTE"}
    data["capacity"] = {"providers": providers}
    groups: dict[str, Any] = {}
    for g, grp in params.scenario.groups.items():
        if g not in targets:
            groups[g] = {"stock": round(grp.stock * share, 1), "inflow_per_year": "little",
                         "stock_source": f"{scaled}: not in the figures"}
            continue
        t, (a, b), gf = targets[g], factors[g], fig.groups[g]
        hz = scaled_group(grp, a, b).hazard
        figure_src = "; ".join(f"{k}: {v}" for k, v in gf.sources.items() if v)
        groups[g] = {
            "stock": round(t.stock, 1),
            "stock_source": f"{src}: stock {t.stock:,.0f}" + (f" ({figure_src})" if figure_src else ""),
            "inflow_per_year": round(inflows[g], 1),
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
    data["groups"] = groups
    return data


def _tagged(source: str | None, tag: str, default: str) -> str:
    """A figure's source with a tag: the planner's own tag if it has one, else `tag`."""
    text = (source or "").strip() or default
    return text if text.startswith("[") else f"{tag} {text}"


def _population_share(params: LoadedParams, fig: Figures, local_stock: float, national_stock: float) -> float:
    """The municipality's share of Denmark: by population when known, else by the stock figures."""
    if fig.population is not None:
        return fig.population / params.scenario.money.population
    if fig.municipality:
        from sim.inputs.municipalities import find, population_share

        return population_share(find(fig.municipality))
    covered = sum(grp.stock for g, grp in params.scenario.groups.items() if g in fig.groups)
    return local_stock / covered if covered > 0 else local_stock / national_stock


# ---------------------------------------------------------------------------------------------
# Check runs
# ---------------------------------------------------------------------------------------------

def _ci(values: pd.Series) -> tuple[float, float, float]:
    v = values.dropna().to_numpy(dtype=float)
    if len(v) == 0:
        return math.nan, math.nan, math.nan
    m = float(v.mean())
    if len(v) < 2:
        return m, math.nan, math.nan
    h = float(stats.t.ppf(0.975, len(v) - 1) * v.std(ddof=1) / math.sqrt(len(v)))
    return m, m - h, m + h


def measured(res) -> pd.DataFrame:
    """Per group: stock_mean, spell_weeks_mean and share_to_work with 95 % intervals over replications.

    The share to work is not a KPI of its own: it is exits to work over all exits (spell ends,
    moves included), from the weekly counts, as the analytic destination probabilities count it."""
    k = res.kpis
    w = res.weekly
    w = w[(w.provider == "all") & w.measure.isin(["exits", "exits_work"])]
    per = w.groupby(["replication", "group", "measure"])["value"].sum().unstack("measure")
    share = (per["exits_work"] / per["exits"].where(per["exits"] > 0)).rename("share_to_work").reset_index()
    rows = []
    for g in sorted(set(k.group) - {"all"}):
        for kpi in ("stock_mean", "spell_weeks_mean"):
            sel = k[(k.kpi == kpi) & (k.group == g) & (k.provider == "all")]["value"]
            rows.append((g, kpi, *_ci(sel)))
        rows.append((g, "share_to_work", *_ci(share[share.group == g]["share_to_work"])))
    return pd.DataFrame(rows, columns=["group", "measure", "mean", "ci_low", "ci_high"])


def check_run(path: Path, rules: str, replications: int, seed: int):
    """Run the calibrated file under the rules the figures were observed under, pure demand."""

    overrides: dict[str, Any] = {"rules": rules, "years": 1.0, "capacity.unlimited": True}
    if rules == "pre_reform":
        overrides["exemption.share"] = 0.0
    params = load_params(path, overrides)
    return run(params, replications=replications, seed=seed, workers=1)


def _odds(p: float) -> float:
    p = min(max(p, 1e-6), 1 - 1e-6)
    return p / (1 - p)


def corrected(targets: dict[str, Target], base: dict[str, Target], sim_measured: pd.DataFrame) -> dict[str, Target]:
    """Baseline targets moved by the simulated/target ratio, so that the simulation lands on target."""
    out = {}
    for g, t in targets.items():
        m = sim_measured[sim_measured.group == g].set_index("measure")["mean"]
        b = base[g]
        mean = b.mean_weeks * t.mean_weeks / m["spell_weeks_mean"] if m.get("spell_weeks_mean", 0) > 0 else b.mean_weeks
        share = b.share_to_work
        if t.share_to_work is not None and 0 < m.get("share_to_work", math.nan) < 1:
            o = _odds(b.share_to_work) * _odds(t.share_to_work) / _odds(m["share_to_work"])
            share = o / (1 + o)
        out[g] = Target(t.stock, mean, share)
    return out


@dataclass
class Calibration:
    """The outcome: the scenario written, its factors, and the check-run comparison."""

    out: Path
    targets: dict[str, Target]
    factors: dict[str, tuple[float, float]]
    comparison: pd.DataFrame
    text: str


def calibrate(figures: str | Path, out: str | Path, name: str | None = None, replications: int = 4,
              seed: int = 1, check: bool = True) -> Calibration:
    """Write a scenario calibrated to `figures` at `out`; with `check`, correct once and compare."""
    base_params = load_params(overrides={"scale": 1.0})
    groups = list(base_params.scenario.groups)
    fig = read_figures(figures, groups)
    if fig.rules not in ("pre_reform", "reform_2026", "reform_2027"):
        load_params(overrides={"rules": fig.rules})  # raises the usual error for an unknown rule set
    targets = {g: group_target(g, fig.groups[g]) for g in groups if g in fig.groups}
    missing = [g for g in groups if g not in targets]
    if missing and fig.population is None and not fig.municipality:
        raise ParamError(f"groups.{missing[0]}", None, "figures for every group, or the municipality's population "
                         "(or name) to scale the national default for the groups left out")
    name = name or Path(out).stem
    national_stock = sum(grp.stock for grp in base_params.scenario.groups.values())
    out = Path(out)
    base_targets = dict(targets)
    factors = _write(base_params, fig, name, targets, base_targets, national_stock, out)
    comparison = pd.DataFrame()
    if check:
        first = measured(check_run(out, fig.rules, replications, seed))
        base_targets = corrected(targets, base_targets, first)
        factors = _write(base_params, fig, name, targets, base_targets, national_stock, out)
        comparison = compare(targets, measured(check_run(out, fig.rules, replications, seed)))
    text = format_comparison(comparison, fig, out, replications) if check else f"Wrote {out} (no check run)."
    return Calibration(out, targets, factors, comparison, text)


def _write(params: LoadedParams, fig: Figures, name: str, targets: dict[str, Target], base: dict[str, Target],
           national_stock: float, out: Path) -> dict[str, tuple[float, float]]:
    """Solve the hazard factors for the baseline targets and write the scenario file atomically."""
    factors = {g: solve_factors(g, params.scenario.groups[g], params.scenario.frailty.variance, base[g].mean_weeks,
                                base[g].share_to_work) for g in targets}
    local_stock = sum(t.stock for t in targets.values())
    inflows = implied_external_inflows(params, targets, factors,
                                       _population_share(params, fig, local_stock, national_stock))
    data = scenario_dict(params, fig, name, factors, targets, inflows, national_stock)
    header = (f"# Calibrated by `caseload calibrate {Path(fig.path).name}` on {dt.date.today()}.\n"
              f"# Stocks and Little's-law inflows from the figures; hazards of the national default scaled per group.")
    out.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.NamedTemporaryFile("w", dir=out.parent, suffix=".toml", delete=False, encoding="utf-8") as fh:
        fh.write(to_toml(data, header))
    Path(fh.name).replace(out)
    load_params(out)  # the file must validate
    return factors


def compare(targets: dict[str, Target], sim_measured: pd.DataFrame) -> pd.DataFrame:
    """Target beside simulated, with the gap and whether the target lies in the 95 % interval."""
    rows = []
    for g, t in targets.items():
        want = {"stock_mean": t.stock, "spell_weeks_mean": t.mean_weeks, "share_to_work": t.share_to_work}
        for kpi, target in want.items():
            m = sim_measured[(sim_measured.group == g) & (sim_measured.measure == kpi)]
            if m.empty or target is None:
                continue
            r = m.iloc[0]
            inside = bool(r.ci_low <= target <= r.ci_high) if not math.isnan(r.ci_low) else False
            rows.append((g, kpi, target, r["mean"], r.ci_low, r.ci_high, r["mean"] / target - 1.0, inside))
    return pd.DataFrame(rows, columns=["group", "measure", "target", "simulated", "ci_low", "ci_high", "gap", "in_ci"])


def format_comparison(comp: pd.DataFrame, fig: Figures, out: Path, replications: int) -> str:
    def f(x: float, kpi: str) -> str:
        return f"{x:.3f}" if kpi == "share_to_work" else (f"{x:,.1f}" if kpi == "spell_weeks_mean" else f"{x:,.0f}")

    lines = [f"Check run: {out.name} under {fig.rules}, 1 year, {replications} replications, unlimited capacity",
             f"{'group':<17}{'measure':<18}{'target':>10}{'simulated':>11}{'95% CI':>22}{'gap':>8}  in CI"]
    for r in comp.itertuples():
        ci = f"[{f(r.ci_low, r.measure)}, {f(r.ci_high, r.measure)}]"
        lines.append(f"{r.group:<17}{r.measure:<18}{f(r.target, r.measure):>10}{f(r.simulated, r.measure):>11}"
                     f"{ci:>22}{r.gap:>+8.1%}  {'yes' if r.in_ci else 'no'}")
    worst = comp.loc[comp.gap.abs().idxmax()] if len(comp) else None
    if worst is not None:
        lines.append(f"\nLargest gap: {worst.group} {worst.measure} {worst.gap:+.1%}. Stock and spell targets are "
                     f"met through Little's law once talks and offers (which shorten spells) are in the simulation; "
                     f"a remaining gap is the simulation's noise or a group the one correction could not settle.")
    lines.append(f"Wrote {out}. Run it: caseload run {out}")
    return "\n".join(lines)


def calibrate_command(args: argparse.Namespace) -> int:
    from sim.inputs.arguments import parse_replications

    n = parse_replications(args.replications)
    if n == "auto":
        raise ParamError("--replications", "auto", "a whole number >= 1 for calibrate")
    result = calibrate(args.figures, args.out, name=args.name, replications=int(n), seed=args.seed)
    print(result.text)
    return 0

"""A planner's answer at a glance: the headline of a run, in the population's own numbers.

`caseload run` prints it, and the explorer (sim.explorer) shows it, from the same function: the
scenario in words; the population the counts stand for and the sample they were scaled up from
(stated once); the stock; exits to work or education within 6 months; FTE needed by provider;
money per year; each legal minimum as met / uncertain / not met; every number with its 95 %
interval. At most HEADLINE_MAX_LINES lines, so that the answer fits a terminal without scrolling;
the full table is summary.csv (or `caseload run --all`).

The numbers come from a population-scale summary (summary.csv, or Results.population_summary())
and the compliance table; nothing here simulates or scales again.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import pandas as pd

from sim.output.labels import fmt_number, fmt_share, group_label, label

HEADLINE_MAX_LINES = 22  # the CLI adds at most three lines (start, warm-up, files): 25 in all
MAX_MINIMUMS = 7  # legal minimums listed one a line; the rest are counted in one line
PROVIDER_ORDER = ("municipality", "akasse", "other")
MONEY_KPIS = ("net_dkk_per_year", "benefit_dkk_per_year", "caseworker_dkk_per_year")
STATUS_ORDER = {"not met": 0, "uncertain": 1, "met": 2}
NAME_WIDTH = 44
MINIMUM_WIDTH = 52

TEXT: dict[str, tuple[str, str]] = {
    "population": ("Counts are for {name}{inhabitants}: scaled up ×{factor} from a sample at scale {scale} "
                   "({sample} citizens at the start).",
                   "Antal gælder {name}{inhabitants}: opskaleret ×{factor} fra en stikprøve i skala {scale} "
                   "({sample} borgere ved start)."),
    "population_same": ("Counts are for {name}{inhabitants}, simulated in full ({sample} citizens at the start).",
                        "Antal gælder {name}{inhabitants}, simuleret fuldt ud ({sample} borgere ved start)."),
    "inhabitants": (" ({n} inhabitants)", " ({n} indbyggere)"),
    "unscaled": ("Counts are for the simulated sample at scale {scale} (this run records no population to "
                 "scale up to).", "Antal gælder den simulerede stikprøve i skala {scale}."),
    "axis_population": ("{name}", "{name}"),
    "axis_unscaled": ("simulated at scale {scale}", "simuleret i skala {scale}"),
    "scenario": ("Scenario {name}: {description}.\nRules {rules}, {years} years from {start}; exemption {exemption}; "
                 "{reps} replications, seed {seed}.",
                 "Scenarie {name}: {description}.\nRegler {rules}, {years} år fra {start}; fritagelse {exemption}; "
                 "{reps} replikationer, seed {seed}."),
    "col": ("{what:<{w}}{mean:>12}   95 % interval", "{what:<{w}}{mean:>12}   95 %-interval"),
    "stock": ("Caseload (mean stock, persons)", "Sager (gennemsnitlig bestand, personer)"),
    "exit6": ("In work or education within 6 months", "I job eller uddannelse inden 6 måneder"),
    "fte": ("FTE needed, {provider}", "Årsværk, {provider}"),
    "fte_all": ("FTE needed, all providers", "Årsværk, alle aktører"),
    "money": ("{what}, DKK million a year", "{what}, mio. kr. om året"),
    "minimums": ("Legal minimums (share of those due who got it in time; law's line):",
                 "Lovens minimumskrav (andel af de berørte, der fik det i tide; lovens grænse):"),
    "more": ("... and {n} more: {counts} (compliance.csv)", "... og {n} mere: {counts} (compliance.csv)"),
    "none": ("Legal minimums: none in this rule set.", "Lovens minimumskrav: ingen i dette regelsæt."),
    "no_interval": ("(no interval)", "(intet interval)"),
    "counts_star": ("* count: for {name}, scaled up from the simulated sample.",
                    "* antal: for {name}, opskaleret fra den simulerede stikprøve."),
    "full": ("Full table ({n} rows): {where}", "Fuld tabel ({n} rækker): {where}"),
}


def text(key: str, lang: str = "en") -> str:
    """A headline phrase in English or Danish."""
    return TEXT[key][0 if lang == "en" else 1]


@dataclass(frozen=True)
class Basis:
    """What run.json's "population" entry says (sim.experiment.population_scale.PopulationBasis)."""

    name: str
    scale: float
    factor: float
    inhabitants: float | None = None

    @classmethod
    def from_meta(cls, meta: Mapping[str, Any]) -> Basis | None:
        b = meta.get("population")
        if not isinstance(b, Mapping):
            return None
        return cls(str(b.get("name", "?")), float(b.get("scale", meta.get("scale", 1.0))), float(b.get("factor", 1.0)),
                   None if b.get("inhabitants") is None else float(b["inhabitants"]))


def population_name(name: str, lang: str = "en") -> str:
    """The population's name in the reader's language (Denmark is Danmark in Danish)."""
    return "Danmark" if name == "Denmark" and lang == "da" else name


def _g(x: float) -> str:
    return f"{x:.4g}"


def population_line(meta: Mapping[str, Any], sample_start: float | None, lang: str = "en") -> str:
    """The one line that states the population and the sample size: counts scaled ×factor."""
    basis = Basis.from_meta(meta)
    if basis is None:
        return text("unscaled", lang).format(scale=_g(float(meta.get("scale", 1.0))))
    inh = "" if not basis.inhabitants else text("inhabitants", lang).format(n=fmt_number(basis.inhabitants, lang))
    sample = fmt_number(sample_start, lang) if sample_start is not None else "?"
    key = "population_same" if abs(basis.factor - 1.0) < 1e-9 else "population"
    factor = fmt_number(basis.factor, lang, 1 if basis.factor < 10 else 0)
    return text(key, lang).format(name=population_name(basis.name, lang), inhabitants=inh, factor=factor,
                                  scale=_g(basis.scale), sample=sample)


def axis_population(meta_list: Sequence[Mapping[str, Any]], lang: str = "en") -> str:
    """What a chart axis says its counts are for: the population (or populations) of the runs, or
    'simulated at scale s' for a run folder written before counts were scaled up."""
    names = []
    for meta in meta_list:
        basis = Basis.from_meta(meta)
        if basis is None:
            names.append(text("axis_unscaled", lang).format(scale=_g(float(meta.get("scale", 1.0)))))
        else:
            names.append(text("axis_population", lang).format(name=population_name(basis.name, lang)))
    return " / ".join(dict.fromkeys(names))


def _pick(summary: pd.DataFrame, kpi: str, group: str = "all", provider: str = "all") -> pd.Series | None:
    rows = summary[(summary["kpi"] == kpi) & (summary["group"] == group) & (summary["provider"] == provider)]
    return None if rows.empty else rows.iloc[0]


def _fmt(x: float, kind: str, lang: str) -> str:
    if x is None or pd.isna(x):
        return "–"
    if kind == "share":
        return fmt_share(x, lang, 1)
    if kind == "mdkk":
        return fmt_number(x / 1e6, lang, 0 if abs(x) >= 1e8 else 1)
    return fmt_number(x, lang, 0 if abs(x) >= 100 else 1)


def _interval(low: float, high: float, fmt: Callable[[float], str], lang: str) -> str:
    """'[low – high]', or a word where there is no interval (one replication, or no spread to measure)."""
    if pd.isna(low) or pd.isna(high):
        return text("no_interval", lang)
    return f"[{fmt(low)} – {fmt(high)}]"


def _row(what: str, row: pd.Series | None, kind: str, lang: str) -> str | None:
    if row is None:
        return None
    ci = _interval(row["ci_low"], row["ci_high"], lambda x: _fmt(x, kind, lang), lang)
    return f"{what[:NAME_WIDTH]:<{NAME_WIDTH}}{_fmt(row['mean'], kind, lang):>12}   {ci}"


def scenario_line(meta: Mapping[str, Any], lang: str = "en") -> str:
    """The scenario in words (two lines): its name and description; rules, period, exemption and
    replications."""
    params = meta.get("params") or {}
    ex = params.get("exemption") or {}
    rules = meta.get("rules", params.get("rules"))
    if isinstance(rules, list):
        rules = " → ".join(f"{s.get('set', s)} ({s.get('from', '')})" if isinstance(s, dict) else str(s)
                           for s in rules)
    exemption = (f"{fmt_share(float(ex.get('share', 0.0)), lang, 0)} ({ex.get('policy', 'random')})"
                 if ex else "–")
    years = float(meta.get("years", params.get("years", 1.0)))
    return text("scenario", lang).format(
        name=meta.get("scenario", params.get("name", "?")), description=(params.get("description") or "–").rstrip("."),
        rules=rules, years=fmt_number(years, lang, 0 if years % 1 == 0 else 1),
        start=meta.get("start_date", params.get("start_date", "?")), exemption=exemption,
        reps=meta.get("replications", "?"), seed=meta.get("seed", "?"))


def _minimum_lines(compliance: pd.DataFrame | None, meta: Mapping[str, Any], lang: str,
                   room: int = MAX_MINIMUMS + 1) -> list[str]:
    """One line per legal minimum (a rule kind for a group), the worst first; the rest counted in
    one line, so that the whole takes at most `room` lines (the heading included)."""
    if compliance is None or compliance.empty:
        return [text("none", lang)]
    c = compliance[compliance["kpi"].astype(str).str.startswith("compliance_")].copy()
    if c.empty:
        c = compliance.copy()
    c["order"] = c["status"].map(STATUS_ORDER).fillna(1)
    c = c.sort_values(["order", "kpi", "group"], kind="stable")
    params = meta.get("params") or {}
    lines = [text("minimums", lang)]
    fits = max(room - 1, 1)
    shown = c.head(fits if len(c) <= fits else fits - 1)
    for r in shown.itertuples():
        kind = str(r.kpi)[len("compliance_"):] if str(r.kpi).startswith("compliance_") else str(r.kpi)
        name = f"{label(kind, lang)}, {group_label(str(r.group), lang, params)}"
        lines.append(f"  {name[:MINIMUM_WIDTH]:<{MINIMUM_WIDTH}}{fmt_share(r.mean, lang, 1):>8}   "
                     f"{_interval(r.ci_low, r.ci_high, lambda x: fmt_share(x, lang, 1), lang)}  "
                     f"line {fmt_share(r.threshold, lang, 0)}: {label(str(r.status), lang)}")
    rest = c.iloc[len(shown):]
    if not rest.empty:
        counts = ", ".join(f"{n} {label(s, lang)}" for s, n in rest["status"].value_counts().items())
        lines.append(text("more", lang).format(n=len(rest), counts=counts))
    return lines


def headline_lines(summary: pd.DataFrame, compliance: pd.DataFrame | None, meta: Mapping[str, Any],
                   where: str = "", lang: str = "en", sample_start: float | None = None) -> list[str]:
    """The headline as lines (at most HEADLINE_MAX_LINES). `summary` is population-scale (what
    summary.csv holds); `meta` is run.json (or Results.provenance with its "population" entry);
    `where` says where the full table is; `sample_start` is the simulated persons at the start
    (default: the population's, divided back by the factor)."""
    basis = Basis.from_meta(meta)
    if sample_start is None:
        start = _pick(summary, "persons_start")
        if start is not None:
            sample_start = float(start["mean"]) / (basis.factor if basis is not None else 1.0)
    lines = [*scenario_line(meta, lang).split("\n"), population_line(meta, sample_start, lang), ""]
    lines.append(text("col", lang).format(what="", mean="mean" if lang == "en" else "middel", w=NAME_WIDTH))
    body = [_row(text("stock", lang), _pick(summary, "stock_mean"), "count", lang),
            _row(text("exit6", lang), _pick(summary, "exit_work_or_education_6m"), "share", lang)]
    providers = [p for p in PROVIDER_ORDER if _pick(summary, "fte_needed", provider=p) is not None]
    providers += sorted(set(summary.loc[summary["kpi"] == "fte_needed", "provider"]) - set(providers) - {"all"})
    for p in providers:
        body.append(_row(text("fte", lang).format(provider=label(p, lang)), _pick(summary, "fte_needed", provider=p),
                         "count", lang))
    body.append(_row(text("fte_all", lang), _pick(summary, "fte_needed"), "count", lang))
    for k in MONEY_KPIS:
        body.append(_row(text("money", lang).format(what=label(k, lang)), _pick(summary, k), "mdkk", lang))
    lines += [b for b in body if b is not None]
    room = HEADLINE_MAX_LINES - len(lines) - 3  # blank, the minimums, blank, the full table
    lines += ["", *_minimum_lines(compliance, meta, lang, min(room, MAX_MINIMUMS + 1)), ""]
    lines.append(text("full", lang).format(n=len(summary), where=where or "summary.csv"))
    return lines[:HEADLINE_MAX_LINES]


def format_headline(summary: pd.DataFrame, compliance: pd.DataFrame | None, meta: Mapping[str, Any],
                    where: str = "", lang: str = "en", sample_start: float | None = None) -> str:
    """The headline as one text block (see headline_lines)."""
    return "\n".join(headline_lines(summary, compliance, meta, where, lang, sample_start))


def format_table(summary: pd.DataFrame, meta: Mapping[str, Any], lang: str = "en") -> str:
    """The full KPI table (`caseload run --all`): every row of the population-scale summary, the
    groups' "all" level and provider "all" first."""
    s = summary.copy()
    s["g_order"] = (s["group"] != "all").astype(int)
    s["p_order"] = (s["provider"] != "all").astype(int)
    s = s.sort_values(["g_order", "group", "p_order", "provider"], kind="stable")

    def fmt(x: float) -> str:
        if pd.isna(x):
            return "-"
        return f"{x:,.3f}" if abs(x) < 10 else f"{x:,.0f}"

    lines = [f"{'kpi':<38}{'group':<17}{'provider':<14}{'mean':>16}{'95% CI':>34}{'n':>4}"]
    for row in s.itertuples():
        ci = f"[{fmt(row.ci_low)}, {fmt(row.ci_high)}]"
        lines.append(f"{row.kpi:<38}{row.group:<17}{row.provider:<14}{fmt(row.mean):>16}{ci:>34}{int(row.n):>4}")
    sample = _pick(summary, "persons_start")
    basis = Basis.from_meta(meta)
    lines.append(population_line(meta, None if sample is None else float(sample["mean"]) / (
        basis.factor if basis is not None else 1.0), lang))
    return "\n".join(lines)


def run_meta(results: Any) -> dict[str, Any]:
    """What run.json will say about a Results object (its provenance with the population basis),
    for a headline shown before or without reading the folder back."""
    meta = dict(results.provenance)
    basis = results.population_basis()
    if basis is not None:
        meta["population"] = basis.to_dict()
    return meta


def headline_from_results(results: Any, where: str = "", lang: str = "en") -> str:
    """The headline of a Results object (sim.run), as `caseload run` prints it."""
    sample = results.kpis[(results.kpis["kpi"] == "persons_start") & (results.kpis["group"] == "all")
                          & (results.kpis["provider"] == "all")]["value"]
    return format_headline(results.population_summary(), results.compliance(), run_meta(results), where, lang,
                           float(sample.mean()) if len(sample) else None)

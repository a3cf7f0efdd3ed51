"""The model description, generated from the loaded parameters, following STRESS-DES.

STRESS-DES (Monks et al. 2019, "Strengthening the reporting of empirical simulation studies")
asks for: 1 objectives, 2 logic, 3 data, 4 experimentation, 5 implementation, 6 code access.
Writing it from the parameters rather than by hand keeps it true to the scenario that was run:
every number in the tables below is read from the same objects the simulation reads.

``caseload describe [PARAMS] --out RUN_DIR/model_description.md`` puts it beside a run; the
HTML report (``caseload report RUN_DIR``) links it when it is there.
"""

from __future__ import annotations

import os
import platform
import sys
from importlib import metadata
from pathlib import Path

from sim._version import __version__
from sim.engine import model as engine_model
from sim.engine.hazard import spell_distribution
from sim.engine.population import external_inflows
from sim.inputs.rules import RuleSet
from sim.inputs.schema import LoadedParams

DESCRIPTION_FILE = "model_description.md"
PACKAGES = ("simpy", "numpy", "scipy", "pandas", "pydantic", "holidays")


def _table(header: list[str], rows: list[list[str]]) -> str:
    def esc(x: object) -> str:
        return str(x).replace("|", "\\|").replace("\n", " ")

    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(esc(c) for c in r) + " |" for r in rows]
    return "\n".join(lines)


def objectives(p: LoadedParams) -> str:
    sc = p.scenario
    return f"""## 1. Objectives

**Purpose.** Estimate job-centre and a-kasse workload (talks, offers, clarifications, caseworker
hours and FTE), compliance with the legal minimums, benefit and offer costs and exits to work in
Danish public employment services under the contact rules before and after the employment reform
of 2026-2027, for the whole country or one municipality.

**Scenario described here.** `{sc.name}`: {sc.description or "(no description)"}. Rules: `{_rules_text(p)}`;
scale {sc.scale:g} (1 = all of Denmark){f", municipality {sc.municipality}" if sc.municipality else ""};
{sc.years:g} simulated years from {sc.start_date}.

**Outputs (KPIs).** Per group and provider, with 95 % confidence intervals over replications:
`stock_mean`, `inflow_per_year`, `spell_weeks_mean`, exits to work within 3 and 6 months,
`talks_held_per_year`, `offers_started_per_year`, `caseworker_hours_per_year`, `fte_needed`,
`first_talk_on_time`, coverage of the 75 % rules, one `compliance_<rule>` per legal minimum,
money KPIs. Citizen and employer satisfaction and ordinary wage hours are not modelled.

**Experimentation aims.** Compare rule sets with common random numbers (paired differences),
size caseworker staff to meet compliance targets with 95 % confidence, and study the one-in-four
exemption and the free-choice trial.
"""


def _rules_text(p: LoadedParams) -> str:
    r = p.scenario.rules
    return r if isinstance(r, str) else " → ".join(f"{s.set} from {s.from_}" for s in r)


def _event_ordering() -> str:
    """The engine's own account of one simulated day, so the description cannot drift from it."""
    order = (engine_model.__doc__ or "").split("Event ordering", 1)
    return order[1].split(":", 1)[-1].strip() if len(order) == 2 else "(see the docstring of sim/engine/model.py)"


def logic(p: LoadedParams) -> str:
    body = _event_ordering()
    parts = [f"""## 2. Logic

**Base model.** A discrete-event simulation in SimPy with one process per citizen. Citizens arrive
in {len(p.scenario.groups)} target groups (Poisson arrivals with monthly seasonality), are called to job talks,
get activation offers and clarifications under the rule set in force, may be exempted under the
one-in-four rule, move between groups, and leave for work or other exits. Exits come from
piecewise-constant weekly hazards by spell duration with competing destinations, inverted exactly
from unit-exponential budgets; a gamma frailty multiplies the job hazard; talks, the threat of a
mandatory offer, lock-in during offers and a lift after them are time windows multiplying the job
hazard. Caseworker capacity is hours per working day per provider (Danish public holidays);
a task is booked on the first working day with free hours.

**Event ordering** (what happens, in what order, on one simulated day; from `sim/engine/model.py`):

{body}

**Rule sets as data** (`params/rules/*.toml`; no legal number is written in Python):
"""]
    for name, rs in p.rule_sets.items():
        parts.append(f"\n*{name}* — {rs.description} (exemption cap {rs.exemption.max_share:.0%} over "
                     f"{', '.join(rs.exemption.pool_groups) or 'no groups'}; {_handover_text(rs)})\n\n")
        parts.append(_table(["group", "what", "rule", "provider", "when", "coverage", "exemptable", "source"],
                            _rule_rows(rs)))
    return "".join(parts) + "\n"


def _handover_text(rs: RuleSet) -> str:
    h = rs.handover
    return f"hand-over {h.from_provider} → {h.to_provider} on day {h.day:g}" if h else "no hand-over"


def _rule_rows(rs: RuleSet) -> list[list[str]]:
    """One row per talk, offer and clarification rule of each group, with its legal source."""
    rows = []
    for g, gr in rs.groups.items():
        for t in gr.talks:
            rows.append([g, "talks", t.kind, t.provider, f"{t.count} in days {t.from_day:g}-{t.to_day:g}",
                         f"{t.coverage:.0%}", "yes" if t.exemptable else "no", t.source])
        for o in gr.offers:
            every = f", every {o.every_days:g} days" if o.every_days else ""
            rows.append([g, "offer", o.kind, "", f"by day {o.due_day:g}{every}", f"{o.coverage:.0%}",
                         "yes" if o.exemptable else "no", o.source])
        for c in gr.clarifications:
            rows.append([g, "clarification", c.kind, c.provider,
                         f"day {c.first_day:g}, every {c.every_days:g}" if c.every_days else f"day {c.first_day:g}",
                         "100%", "no", c.source])
    return rows


def data(p: LoadedParams) -> str:
    dists = {g: spell_distribution(grp, p.scenario.frailty.variance) for g, grp in p.scenario.groups.items()}
    inflows = external_inflows(p.scenario.groups, dists)
    rows = []
    for g, grp in p.scenario.groups.items():
        d = dists[g]
        rows.append([g, grp.label_en, f"{grp.stock:,.0f}", f"{inflows[g]:,.0f}",
                     "Little's law" if grp.inflow_per_year == "little" else "stated",
                     f"{d.mean_days / 7:.1f}", f"{d.destination_probs.get('work', 0):.2f}",
                     p.source_of(f"groups.{g}.stock") or ""])
    assumptions = p.assumptions()
    arows = [[k, v] for k, v in sorted(assumptions.items())]
    srows = [[k, p.source_of(k) or "(none)"] for k in p.numeric_paths()]
    return f"""## 3. Data and assumptions

**Groups** (national counts before `scale`; mean spell and share ending in work from the analytic
spell distribution of the hazards, frailty integrated out, effects of talks and offers excluded):

{_table(["group", "label", "stock", "external inflow / year", "inflow from", "mean spell (weeks)",
         "share to work", "stock source"], rows)}

**Pre-processing.** External inflows not stated are derived by Little's law: entries per year =
stock / mean spell, minus what other groups send in (dagpenge exhaustion, reassessment, job loss
after sickness). Weekly hazards are per spell week, piecewise constant on `breaks_weeks`.

**Assumptions** ({len(assumptions)} parameters whose source is an assumption, tagged [A]):

{_table(["parameter", "source"], arows)}

**Every numeric parameter and its source** (tags: [V] official, [S] secondary, [D] derived,
[A] assumption):

{_table(["parameter", "source"], srows)}
"""


def experimentation(p: LoadedParams) -> str:
    sc = p.scenario
    return f"""## 4. Experimentation

- **Initialisation.** The run starts from the stock on {sc.start_date}, not from empty: elapsed
  durations are drawn from the stationary (length-biased) distribution of the hazard model, so no
  warm-up period is discarded; the weekly series show whether the stock stays level.
- **Run length.** {sc.years:g} years ({sc.horizon_days} days); counts per year are divided by the run length.
- **Replications.** Chosen per run (`--replications N`, or `auto` until the KPIs are precise
  enough); the confidence intervals are Student-t over replications.
- **Randomness.** One `numpy.random.SeedSequence` per replication, spawned into named streams
  (arrivals, stock, durations, exemption, provider choice) and a row of uniforms per citizen, so
  that scenarios run with the same seed see the same citizens (common random numbers).
- **Scale.** `scale = {sc.scale:g}`: arrivals and stock are that share of the counts in section 3.
- **Capacity.** {"unlimited (pure demand)" if sc.capacity.unlimited else "limited: " + ", ".join(
        f"{k} {v.fte[-1].fte:g} FTE" for k, v in sc.capacity.providers.items())};
  {sc.capacity.productive_hours_per_fte_year:g} productive hours per FTE a year.
"""


def implementation() -> str:
    versions = []
    for pkg in PACKAGES:
        try:
            versions.append(f"{pkg} {metadata.version(pkg)}")
        except metadata.PackageNotFoundError:
            continue
    return f"""## 5. Implementation

- **Software.** caseload-sim {__version__} on Python {sys.version.split()[0]}; {", ".join(versions)}.
- **Computer.** {platform.system()} {platform.release()} ({platform.machine()}), {_cores()} cores. Replications run
  serially or in local processes with identical results.

## 6. Code access

The model is the Python package `caseload-sim` (import `sim`); the scenario files are under
`params/`, the rule sets under `params/rules/`. Regenerate this description with
`caseload describe [PARAMS] --out FILE`.
"""


def _cores() -> int:
    return os.cpu_count() or 1


def describe(params: LoadedParams) -> str:
    """The whole description as Markdown."""
    sc = params.scenario
    head = (f"# Model description: {sc.name}\n\nGenerated by `caseload describe` from the parameters "
            f"(params hash `{params.params_hash}`, source `{Path(params.origin).name}`), following the "
            f"STRESS-DES checklist.\n\n")
    return head + "\n".join([objectives(params), logic(params), data(params), experimentation(params),
                             implementation()])


def write_description(params: LoadedParams, out: str | Path) -> Path:
    """Write the description to `out`; a folder (or a name without suffix) gets DESCRIPTION_FILE
    inside it, the name the HTML report looks for beside a run."""
    path = Path(out)
    if path.is_dir() or not path.suffix:
        path = path / DESCRIPTION_FILE
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(describe(params), encoding="utf-8")
    return path

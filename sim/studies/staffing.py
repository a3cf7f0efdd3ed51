"""Staffing search: the smallest caseworker FTE per provider that meets compliance targets.

A planner asks "how many caseworkers do we need so that 95 % of first talks are on time?". The
answer must hold with confidence, not just on average, so a candidate staffing passes a target
only if the 95 % confidence bound over replications (the lower bound for ``>=``, the upper bound
for ``<=``) meets the value. Every candidate is run with the same seed, so candidates see the same
citizens (common random numbers) and differences between them are due to staffing, not noise.

The search avoids trying every value: an unlimited-capacity run gives the pure demand in FTE
(the floor: below it the work piles up without bound), doubling finds an upper bracket, and
bisection per provider (coordinate-wise) narrows it to a resolution. An Erlang C (M/M/c) figure is
shown beside the answer as a lower-bound check.
"""

from __future__ import annotations

import argparse
import copy
import csv
import datetime as dt
import json
import math
import re
import sys
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from sim.experiment.runner import run
from sim.inputs.errors import ParamError
from sim.inputs.loading import load_params
from sim.inputs.schema import LoadedParams, Scenario

# KPIs a staffing target can name: shares of tasks or citizens that capacity makes on time.
SHARE_KPIS = ("first_talk_on_time", "talk_coverage_6m", "offer_coverage_6m", "clarification_on_time")
COMPLIANCE_PREFIX = "compliance_"
# KPIs whose deadline applies task by task, so that a queue's waiting time decides them.
QUEUE_KPIS = ("first_talk_on_time",)
WORKING_DAYS_PER_YEAR = 250.0
MAX_DOUBLINGS = 5
MAX_HALVINGS = 4
DEFAULT_RESOLUTION_SHARE = 0.01
DEFAULT_MAX_BISECTIONS = 8
MIN_RESOLUTION_FTE = 1.0  # national FTE: nobody plans staffing finer than one caseworker

_TARGET_RE = re.compile(
    r"^\s*(?P<kpi>[A-Za-z_][A-Za-z0-9_]*)\s*(?:\[\s*(?P<group>[A-Za-z_][A-Za-z0-9_]*)\s*\])?\s*"
    r"(?P<op>>=|<=)\s*(?P<value>[-+0-9.eE]+)\s*(?P<pct>%?)\s*$")


# -- targets ---------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Target:
    """One requirement: the confidence bound of `kpi` for `group` must be `op` `value`."""

    kpi: str
    group: str
    op: str
    value: float
    text: str

    @property
    def label(self) -> str:
        where = "" if self.group == "all" else f"[{self.group}]"
        return f"{self.kpi}{where}{self.op}{self.value:g}"

    def bound(self, ci_low: float, ci_high: float) -> float:
        """The bound that must meet the value: the pessimistic end of the interval."""
        return ci_low if self.op == ">=" else ci_high

    def met(self, ci_low: float, ci_high: float) -> bool:
        b = self.bound(ci_low, ci_high)
        if b is None or math.isnan(b):
            return False
        return b >= self.value - 1e-12 if self.op == ">=" else b <= self.value + 1e-12


def _known_kpi(kpi: str) -> bool:
    return kpi in SHARE_KPIS or (kpi.startswith(COMPLIANCE_PREFIX) and len(kpi) > len(COMPLIANCE_PREFIX))


def parse_target(text: str) -> Target:
    """Parse 'KPI>=VALUE', 'KPI[group]>=VALUE' or the same with '<='; a trailing % divides by 100.

    Only compliance shares are accepted: they are what staffing moves, and a share outside [0, 1]
    can never be met, so both are refused up front rather than after a long search."""
    m = _TARGET_RE.match(text or "")
    if m is None:
        raise ParamError("--target", text, "KPI>=VALUE or KPI[group]>=VALUE (or <=), e.g. first_talk_on_time>=0.95")
    kpi = m["kpi"]
    if not _known_kpi(kpi):
        raise ParamError("--target", text, f"a compliance KPI: one of {', '.join(SHARE_KPIS)} or "
                                           f"{COMPLIANCE_PREFIX}<kind>")
    try:
        value = float(m["value"])
    except ValueError:
        raise ParamError("--target", text, "a number after >= or <=, e.g. 0.95 or 95%") from None
    if m["pct"]:
        value /= 100.0
    if not 0.0 <= value <= 1.0:
        raise ParamError("--target", text, f"{kpi} is a share: a value from 0 to 1 (or 0% to 100%)")
    return Target(kpi=kpi, group=m["group"] or "all", op=m["op"], value=value, text=text)


def parse_targets(texts: list[str] | None, groups: list[str] | None = None) -> list[Target]:
    """Parse every --target; with `groups`, refuse a group the scenario does not have."""
    if not texts:
        raise ParamError("--target", None, "at least one target, e.g. --target 'first_talk_on_time>=0.95'")
    targets = [parse_target(t) for t in texts]
    if groups is not None:
        for t in targets:
            if t.group != "all" and t.group not in groups:
                raise ParamError("--target", t.text, f"a group of {sorted(groups)} or all")
    return targets


# -- scenario variants -----------------------------------------------------------------------------
def with_capacity(params: LoadedParams, fte: dict[str, float] | None) -> LoadedParams:
    """The scenario with constant national FTE per provider over the whole run, or with unlimited
    capacity when `fte` is None. Built from the raw data so that validation and the provenance
    hash see exactly what runs."""
    raw = copy.deepcopy(params.raw)
    cap = raw.setdefault("capacity", {})
    cap["unlimited"] = fte is None
    if fte is not None:
        start = params.scenario.start_date
        for name, value in fte.items():
            steps = params.scenario.capacity.providers[name].fte
            first = min([start] + [s.from_ for s in steps])
            cap["providers"][name]["fte"] = [{"from": first, "fte": float(value)}]
    scenario = Scenario.model_validate(raw)
    return LoadedParams(scenario, raw, dict(params.sources), params.origin, params.rule_sets)


# -- candidates ------------------------------------------------------------------------------------
@dataclass
class TargetStat:
    """One target's KPI at one candidate: mean, 95 % interval over replications and verdict."""

    target: str
    mean: float
    ci_low: float
    ci_high: float
    n: int
    passed: bool


@dataclass
class Candidate:
    """One simulated staffing (national FTE per provider) and how it did on every target."""

    run: int
    phase: str
    fte: dict[str, float]
    stats: list[TargetStat]
    passed: bool


def _target_stats(res, targets: list[Target]) -> list[TargetStat]:
    s = res.summary()
    out = []
    for t in targets:
        row = s[(s.kpi == t.kpi) & (s.group == t.group) & (s.provider == "all")]
        if row.empty:
            out.append(TargetStat(t.label, math.nan, math.nan, math.nan, 0, False))
            continue
        r = row.iloc[0]
        lo, hi = float(r.ci_low), float(r.ci_high)
        out.append(TargetStat(t.label, float(r["mean"]), lo, hi, int(r.n), t.met(lo, hi)))
    return out


@dataclass
class ErlangCheck:
    """The M/M/c figure for one provider: a lower-bound check beside the simulated answer."""

    provider: str
    target: str
    fte_national: float | None
    offered_load_fte: float
    talks_per_working_day: float
    service_hours: float
    slack_working_days: float
    p_wait_beyond: float | None
    at_or_below_answer: bool | None
    note: str = ""


@dataclass
class StaffingResult:
    """Everything the search found, fit for printing and for staffing.json."""

    targets: list[Target]
    scale: float
    replications: int
    seed: int
    feasible: bool
    answer: dict[str, float]
    demand: dict[str, float]  # diary demand (booked talks, offers, reviews), national FTE
    demand_all_work: dict[str, float]  # fte_needed: diary demand plus other case work, national FTE
    resolution: dict[str, float]
    searched: list[str]
    candidates: list[Candidate]
    verification: Candidate | None
    step_fewer: dict[str, Candidate | None] = field(default_factory=dict)
    erlang: list[ErlangCheck] = field(default_factory=list)
    message: str = ""

    @property
    def n_runs(self) -> int:
        """Simulation runs made (each of `replications` replications), the unlimited run included."""
        return len(self.candidates)

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["targets"] = [t.label for t in self.targets]
        d["n_runs"] = self.n_runs
        d["answer_at_scale"] = {p: v * self.scale for p, v in self.answer.items()}
        return d


class _Search:
    """Runs candidates with common random numbers and remembers them, so none is run twice."""

    def __init__(self, params: LoadedParams, targets: list[Target], replications: int, seed: int,
                 workers: int | None, progress: Callable[[Candidate], None] | None):
        self.params, self.targets = params, targets
        self.replications, self.seed, self.workers = replications, seed, workers
        self.progress = progress
        self.candidates: list[Candidate] = []
        self._cache: dict[tuple, Candidate] = {}

    def _record(self, phase: str, fte: dict[str, float], res) -> Candidate:
        stats = _target_stats(res, self.targets)
        cand = Candidate(len(self.candidates) + 1, phase, dict(fte), stats, all(s.passed for s in stats))
        self.candidates.append(cand)
        if self.progress:
            self.progress(cand)
        return cand

    def unlimited(self):
        res = run(with_capacity(self.params, None), replications=self.replications, seed=self.seed,
                      workers=self.workers)
        return res, self._record("unlimited", {}, res)

    def evaluate(self, phase: str, fte: dict[str, float]) -> Candidate:
        """Run one staffing (same seed as every other candidate), or return the earlier run of it."""
        key = tuple(sorted((p, round(v, 6)) for p, v in fte.items()))
        if key in self._cache:
            return self._cache[key]
        res = run(with_capacity(self.params, fte), replications=self.replications, seed=self.seed,
                      workers=self.workers)
        cand = self._record(phase, fte, res)
        self._cache[key] = cand
        return cand


# -- demand and dependencies -----------------------------------------------------------------------
def _mean_kpi(res, kpi: str, group: str, provider: str) -> float:
    s = res.kpi(kpi, group=group, provider=provider)
    return float(s.mean()) if len(s) else 0.0


def _years(params: LoadedParams) -> float:
    return params.scenario.horizon_days / 365.25


def booked_hours_per_year(res, provider: str, years: float) -> float:
    """Hours a provider books in its diaries (talks, offers, reviews) a year at scale, mean over
    replications. `caseworker_hours_per_year` also counts other case work per citizen-week, which
    is not booked in the diaries and so does not compete for the hours that make talks late."""
    w = res.weekly
    sel = w[(w.group == "all") & (w.provider == provider)]
    if sel.empty or "caseworker_hours" not in set(sel.measure):
        return _mean_kpi(res, "caseworker_hours_per_year", "all", provider)
    per = sel.pivot_table(index="replication", columns="measure", values="value", aggfunc="sum")
    booked = per["caseworker_hours"] - (per["case_work_hours"] if "case_work_hours" in per else 0.0)
    return float(booked.mean()) / years


def _diary_demand(res, params: LoadedParams, providers: list[str]) -> dict[str, float]:
    """Pure diary demand per provider in national FTE: where the search starts."""
    prod = params.scenario.capacity.productive_hours_per_fte_year
    return {p: booked_hours_per_year(res, p, _years(params)) / prod / params.scenario.scale for p in providers}


def _demand_national(res, providers: list[str], scale: float) -> dict[str, float]:
    """All caseworker demand per provider in national FTE (the run reports FTE at scale)."""
    return {p: _mean_kpi(res, "fte_needed", "all", p) / scale for p in providers}


def _dependent_providers(res, targets: list[Target], providers: list[str]) -> list[str]:
    """Providers with work in a group some target covers: only their staffing can move the target."""
    out = []
    for p in providers:
        if any(_mean_kpi(res, "fte_needed", t.group, p) > 0 for t in targets):
            out.append(p)
    return out


def _check_kpis_exist(res, targets: list[Target]) -> None:
    k = res.kpis
    for t in targets:
        if k[(k.kpi == t.kpi) & (k.group == t.group)].empty:
            raise ParamError("--target", t.text, f"a KPI this scenario produces ({t.kpi} for group {t.group} "
                                                 "has no cases due)")


# -- the search ------------------------------------------------------------------------------------
def _scaled(fte: dict[str, float], providers: list[str], factor: float) -> dict[str, float]:
    return {p: (v * factor if p in providers else v) for p, v in fte.items()}


def _upper_bracket(search: _Search, start: dict[str, float], searched: list[str]) -> Candidate | None:
    """All searched providers at start × 1, 2, 4, … until every target passes (None if never)."""
    factor = 1.0
    for _ in range(MAX_DOUBLINGS + 1):
        cand = search.evaluate("bracket", _scaled(start, searched, factor))
        if cand.passed:
            return cand
        factor *= 2.0
    return None


def _lower_bracket(search: _Search, current: dict[str, float], p: str, start: float) -> tuple[float | None, float]:
    """A failing value below the passing current[p] for provider p, the others held: start at the
    diary demand (or half the current value if that is not lower), halve while it still passes.
    Returns (failing value or None if none was found, lowest passing value)."""
    hi = current[p]
    x = start if start < hi else hi / 2.0
    for _ in range(MAX_HALVINGS + 1):
        cand = search.evaluate(f"bracket:{p}", {**current, p: x})
        if not cand.passed:
            return x, hi
        hi, x = x, x / 2.0
    return None, hi


def _bisect_provider(search: _Search, current: dict[str, float], p: str, start: float, step: float,
                     max_iter: int) -> dict[str, float]:
    """Lower provider `p` as far as targets allow, the others held at their current values.

    Invariant: `current` always is a staffing that was run and passed, so the final answer is
    itself a run candidate (under common random numbers a re-run would be identical)."""
    lo, hi = _lower_bracket(search, current, p, start)
    if lo is None:
        return {**current, p: hi}
    for _ in range(max_iter):
        if hi - lo <= step * (1 + 1e-9):
            break
        mid = round((lo + hi) / 2.0, 3)
        if search.evaluate(f"bisect:{p}", {**current, p: mid}).passed:
            hi = mid
        else:
            lo = mid
    return {**current, p: hi}


def find_staffing(params: LoadedParams, targets: list[Target], replications: int = 10, seed: int = 1,
                  workers: int | None = None, *, resolution_share: float = DEFAULT_RESOLUTION_SHARE,
                  max_bisections: int = DEFAULT_MAX_BISECTIONS,
                  progress: Callable[[Candidate], None] | None = None) -> StaffingResult:
    """The smallest national FTE per provider whose 95 % bound meets every target.

    Steps: an unlimited run gives the diary demand (the starting point) and tells which
    providers each target depends on; all dependent providers at demand × 2^k give an upper
    bracket; each provider in turn gets a lower bracket (demand, halved while it passes) and is
    bisected to max(resolution_share × demand, 1 national FTE), with the others at their current
    passing values (coordinate-wise, so with a target on group "all" the split between providers
    depends on their order); then the combined answer is verified and each provider is tried one
    step lower, which should fail. Providers no target depends on stay at demand.
    """
    if int(replications) < 2:
        raise ParamError("--replications", replications, "at least 2: a target is judged on a confidence interval")
    search = _Search(params, targets, int(replications), seed, workers, progress)
    providers = list(params.scenario.capacity.providers)
    res_unl, cand_unl = search.unlimited()
    _check_kpis_exist(res_unl, targets)
    diary = _diary_demand(res_unl, params, providers)
    start = {p: max(v, MIN_RESOLUTION_FTE) for p, v in diary.items()}
    searched = _dependent_providers(res_unl, targets, providers)
    step = {p: max(resolution_share * start[p], MIN_RESOLUTION_FTE) for p in providers}
    scale = params.scenario.scale
    result = StaffingResult(targets, scale, int(replications), seed, False, {}, diary,
                            _demand_national(res_unl, providers, scale), step, searched, search.candidates, None)
    if not cand_unl.passed:
        result.message = ("not reachable by staffing: even unlimited capacity misses "
                          + ", ".join(s.target for s in cand_unl.stats if not s.passed))
        return result
    top = _upper_bracket(search, start, searched)
    if top is None:
        result.message = f"no staffing up to {2 ** MAX_DOUBLINGS} × demand meets the targets"
        return result
    current = dict(top.fte)
    for p in searched:
        current = _bisect_provider(search, current, p, start[p], step[p], max_bisections)
    result.verification = search.evaluate("verify", current)
    result.feasible = result.verification.passed
    result.answer = dict(result.verification.fte)  # every provider: the searched ones and those kept at demand
    for p in searched:
        fewer = round(current[p] - step[p], 3)
        result.step_fewer[p] = search.evaluate(f"step_fewer:{p}", {**current, p: fewer}) if fewer > 0 else None
    result.erlang = erlang_checks(params, res_unl, targets, current)
    if not result.feasible:
        result.message = "the combined answer failed its verification run"
    return result


# -- Erlang C --------------------------------------------------------------------------------------
def erlang_b(c: int, a: float) -> float:
    """Erlang B blocking probability by the recursion B(k) = a B(k-1) / (k + a B(k-1)), B(0) = 1,
    which never forms a^c or c! and so stays finite for thousands of servers."""
    b = 1.0
    for k in range(1, int(c) + 1):
        b = a * b / (k + a * b)
    return b


def erlang_c(c: int, a: float) -> float:
    """Erlang C, the probability that an arrival waits in M/M/c with offered load `a` Erlang:
    C = c B / (c - a (1 - B)) from Erlang B; 1 when the queue is unstable (c <= a)."""
    if c <= a:
        return 1.0
    b = erlang_b(c, a)
    return c * b / (c - a * (1.0 - b))


def p_wait_beyond(c: int, a: float, mu: float, t: float) -> float:
    """P(W > t) in M/M/c (FIFO): C(c, a) exp(-(c mu - lambda) t), with lambda = a mu."""
    if c <= a:
        return 1.0
    return erlang_c(c, a) * math.exp(-(c - a) * mu * t)


def erlang_servers(a: float, mu: float, t: float, max_late: float) -> tuple[int, float]:
    """The smallest c with P(W > t) <= max_late, and that probability. Erlang B is carried from
    c to c + 1 so the search costs one recursion overall."""
    c = int(math.floor(a)) + 1
    b = erlang_b(c, a)
    while True:
        cc = c * b / (c - a * (1.0 - b))
        p = cc * math.exp(-(c - a) * mu * t)
        if p <= max_late:
            return c, p
        c += 1
        b = a * b / (c + a * b)


def _first_talk_slack_days(params: LoadedParams, group: str, provider: str) -> float | None:
    """Calendar days between the planned first talk and its deadline, the most lenient over the
    rule sets and groups in question (lenient keeps the check a lower bound); None if the
    provider holds no first talks there."""
    share = params.scenario.planning.first_talk_target_share
    best = None
    for _, rules in params.timeline():
        for g, gr in rules.groups.items():
            if group != "all" and g != group:
                continue
            first = next((b for b in gr.talks if b.first_for_all), None)
            if first is None or first.provider not in (provider, "caseload"):
                continue
            slack = (1.0 - share) * (first.first_deadline - first.from_day)
            best = slack if best is None else max(best, slack)
    return best


def erlang_checks(params: LoadedParams, res_unl, targets: list[Target], answer: dict[str, float]) -> list[ErlangCheck]:
    """An M/M/c lower-bound check per provider and per-task-deadline target.

    Assumptions (each makes the figure optimistic, hence a lower bound on the FTE needed):
    - all of a provider's caseworkers nationally form one pooled queue (national FTE, so pooling
      is as large as it gets), serving in arrival order in working-day time;
    - arrivals are Poisson at talks_held_per_year / 250 per working day, with no seasonality,
      holidays or week structure; the calendar structure of deadlines is ignored;
    - service times are exponential with mean (booked hours a year) / talks_held_per_year hours:
      all the provider's diary hours (talks, offers, reviews) spread over its talks; other case
      work per citizen-week is left out because it is not booked in the diaries;
    - one FTE serves productive_hours_per_fte_year / 250 hours a working day;
    - a talk is late when it waits longer than the slack from its planned day to its deadline
      (the most lenient group's), and each provider meets the target share on its own.
    """
    out = []
    prod = params.scenario.capacity.productive_hours_per_fte_year
    hours_per_server_day = prod / WORKING_DAYS_PER_YEAR
    for t in targets:
        if t.kpi not in QUEUE_KPIS or t.op != ">=":
            continue
        for p in params.scenario.capacity.providers:
            talks = _mean_kpi(res_unl, "talks_held_per_year", "all", p) / params.scenario.scale
            hours = booked_hours_per_year(res_unl, p, _years(params)) / params.scenario.scale
            slack = _first_talk_slack_days(params, t.group, p)
            if talks <= 0 or hours <= 0 or slack is None:
                continue
            lam = talks / WORKING_DAYS_PER_YEAR
            service = hours / talks
            mu = hours_per_server_day / service
            a = lam / mu
            slack_wd = slack * WORKING_DAYS_PER_YEAR / 365.25
            c, pw = erlang_servers(a, mu, slack_wd, 1.0 - t.value)
            ok = c <= answer.get(p, math.inf) + 1e-9
            note = "" if ok else "above the simulated answer: the lower-bound check does not hold here"
            out.append(ErlangCheck(p, t.label, float(c), a, lam, service, slack_wd, pw, ok, note))
    return out


# -- command ---------------------------------------------------------------------------------------
def _fmt_stat(s: TargetStat) -> str:
    verdict = "met" if s.passed else "NOT met"
    return f"{s.target:<40} mean {s.mean:.4f}  95% CI [{s.ci_low:.4f}, {s.ci_high:.4f}]  n={s.n}  {verdict}"


def format_result(r: StaffingResult, wall_s: float | None = None) -> str:
    """The printed answer: FTE per provider, achieved KPIs, search length and the Erlang C check."""
    lines = []
    if not r.feasible:
        lines.append(f"no staffing found: {r.message}")
    else:
        lines.append(f"{'provider':<14}{'national FTE':>14}{'at scale':>12}{'diary demand':>14}{'all work':>10}"
                     f"{'total FTE':>11}{'resolution':>12}  searched")
        for p, v in r.answer.items():
            total = v + r.demand_all_work[p] - r.demand[p]
            lines.append(f"{p:<14}{v:>14,.1f}{v * r.scale:>12,.2f}{r.demand[p]:>14,.1f}{r.demand_all_work[p]:>10,.1f}"
                         f"{total:>11,.1f}{r.resolution[p]:>12,.1f}  "
                         f"{'yes' if p in r.searched else 'no (no target depends on it; kept at demand)'}")
        lines.append("(national FTE: caseworkers on the diaries (talks, offers, reviews) needed for the targets; "
                     "diary demand: the same with unlimited capacity; all work adds other case work, which is not "
                     "booked in the diaries; total FTE = national FTE + other case work)")
        lines.append("")
        lines.append(f"Achieved (run {r.verification.run}, the combined answer; a re-run with the same seed "
                     "is identical under common random numbers):")
        lines += ["  " + _fmt_stat(s) for s in r.verification.stats]
        lines.append("")
        lines.append("One resolution step fewer:")
        for p, cand in r.step_fewer.items():
            if cand is None:
                lines.append(f"  {p}: not tried (would be zero FTE)")
                continue
            fewer = cand.fte[p]
            verdict = "does not meet the targets (as expected)" if not cand.passed else \
                "STILL MEETS the targets (noise across candidates; the answer is within one step)"
            lines.append(f"  {p} at {fewer:,.1f}: {verdict}")
    lines.append("")
    if r.erlang:
        lines.append("Erlang C lower-bound check (pooled national M/M/c queue, no calendar structure):")
        for e in r.erlang:
            ans = r.answer.get(e.provider)
            cmp = "" if ans is None else (f"<= simulated {ans:,.1f}" if e.at_or_below_answer
                                          else f"> simulated {ans:,.1f}: NOT a lower bound here")
            lines.append(f"  {e.provider:<14}{e.target:<34} {e.fte_national:>10,.0f} national FTE "
                         f"(load {e.offered_load_fte:,.1f} Erlang, slack {e.slack_working_days:.1f} working days)"
                         f"  {cmp}")
    else:
        lines.append("Erlang C lower-bound check: not applicable "
                     "(no per-task deadline target such as first_talk_on_time)")
    runs = (f"Search: {r.n_runs} simulation runs of {r.replications} replications each "
            f"(seed {r.seed}, common random numbers)")
    lines.append("")
    lines.append(runs + (f", {wall_s:.1f} s." if wall_s is not None else "."))
    if r.scale != 1.0:
        lines.append(f"National FTE are the simulated FTE divided by scale {r.scale:g}.")
    return "\n".join(lines)


def _candidate_rows(r: StaffingResult) -> tuple[list[str], list[dict[str, Any]]]:
    providers = list(r.demand)
    header = ["run", "phase", "passed"] + [f"fte_{p}" for p in providers]
    for t in r.targets:
        header += [f"{t.label}:{x}" for x in ("mean", "ci_low", "ci_high", "n", "passed")]
    rows = []
    for c in r.candidates:
        row: dict[str, Any] = {"run": c.run, "phase": c.phase, "passed": c.passed}
        for p in providers:
            row[f"fte_{p}"] = c.fte.get(p, "unlimited")
        for s in c.stats:
            row.update({f"{s.target}:mean": s.mean, f"{s.target}:ci_low": s.ci_low, f"{s.target}:ci_high": s.ci_high,
                        f"{s.target}:n": s.n, f"{s.target}:passed": s.passed})
        rows.append(row)
    return header, rows


def write_outputs(r: StaffingResult, out: Path, extra: dict[str, Any]) -> None:
    """staffing.csv (every candidate) and staffing.json (answer, checks, candidates), atomically."""
    from sim.experiment.results import atomic_write

    out.mkdir(parents=True, exist_ok=True)
    header, rows = _candidate_rows(r)

    def write_csv(path: str) -> None:
        with open(path, "w", newline="") as fh:
            w = csv.DictWriter(fh, fieldnames=header)
            w.writeheader()
            w.writerows(rows)

    doc = _finite({**r.to_dict(), **extra})
    atomic_write(out / "staffing.csv", write_csv)
    atomic_write(out / "staffing.json", lambda p: Path(p).write_text(json.dumps(doc, indent=2, default=_json_default)))


def _finite(x: Any) -> Any:
    """NaN (a bound over fewer than two values) as null: strict JSON has no NaN."""
    if isinstance(x, float) and not math.isfinite(x):
        return None
    if isinstance(x, dict):
        return {k: _finite(v) for k, v in x.items()}
    if isinstance(x, (list, tuple)):
        return [_finite(v) for v in x]
    return x


def _json_default(x: Any) -> Any:
    if isinstance(x, (dt.date, dt.datetime)):
        return x.isoformat()
    return str(x)


def staff_command(args: argparse.Namespace) -> int:
    """`caseload staff`: parse, search, print, write; 0 when a staffing meets the targets, 1 if none."""
    from sim.inputs.arguments import parse_overrides, parse_replications

    params = load_params(args.params, parse_overrides(args.set))
    targets = parse_targets(args.target, list(params.scenario.groups))
    n = parse_replications(str(args.replications))
    sc = params.scenario
    print(f"caseload staff: {sc.name} | scale {sc.scale:g} | {sc.years:g} years | "
          f"{n} replications, seed {args.seed} | targets: {', '.join(t.label for t in targets)}", flush=True)

    def say(c: Candidate) -> None:
        fte = ", ".join(f"{p} {v:,.1f}" for p, v in c.fte.items()) or "unlimited capacity"
        bounds = "; ".join(f"{s.target} [{s.ci_low:.3f}, {s.ci_high:.3f}]" for s in c.stats)
        print(f"  run {c.run:>2} {c.phase:<22} {fte:<40} {bounds}  {'pass' if c.passed else 'fail'}",
              file=sys.stderr, flush=True)

    t0 = time.perf_counter()
    result = find_staffing(params, targets, n, args.seed, args.workers, progress=say)
    wall = time.perf_counter() - t0
    print(format_result(result, wall))
    if args.out:
        extra = {"wall_time_s": round(wall, 3), "command": " ".join(sys.argv), "params_hash": params.params_hash,
                 "scenario": params.scenario.name, "params_file": params.origin}
        write_outputs(result, Path(args.out), extra)
        print(f"Wrote {args.out}/staffing.csv and staffing.json.")
    return 0 if result.feasible else 1

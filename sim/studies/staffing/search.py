"""The staffing search: the smallest national FTE per provider whose 95 % bound meets every target.

Every candidate is run with the same seed, so candidates see the same citizens (common random
numbers) and differences between them are due to staffing, not noise. The search avoids trying
every value: an unlimited-capacity run gives the pure demand in FTE (the floor: below it the work
piles up without bound), doubling finds an upper bracket, and bisection per provider
(coordinate-wise) narrows it to a resolution.
"""

from __future__ import annotations

import copy
import math
from collections.abc import Callable

from sim.experiment.results import Results
from sim.experiment.runner import run
from sim.inputs.errors import ParamError
from sim.inputs.schema import LoadedParams, Scenario
from sim.studies.staffing.demand import all_work_demand, check_kpis_exist, dependent_providers, diary_demand
from sim.studies.staffing.erlang import erlang_checks
from sim.studies.staffing.result import Candidate, StaffingResult, TargetStat
from sim.studies.staffing.targets import Target

MAX_DOUBLINGS = 5
MAX_HALVINGS = 4
DEFAULT_RESOLUTION_SHARE = 0.01
DEFAULT_MAX_BISECTIONS = 8
MIN_RESOLUTION_FTE = 1.0  # national FTE: nobody plans staffing finer than one caseworker


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


def _target_stats(res: Results, targets: list[Target]) -> list[TargetStat]:
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


class _Search:
    """Runs candidates with common random numbers and remembers them, so none is run twice."""

    def __init__(self, params: LoadedParams, targets: list[Target], replications: int, seed: int,
                 workers: int | None, progress: Callable[[Candidate], None] | None):
        self.params, self.targets = params, targets
        self.replications, self.seed, self.workers = replications, seed, workers
        self.progress = progress
        self.candidates: list[Candidate] = []
        self._cache: dict[tuple, Candidate] = {}

    def _record(self, phase: str, fte: dict[str, float], res: Results) -> Candidate:
        stats = _target_stats(res, self.targets)
        cand = Candidate(len(self.candidates) + 1, phase, dict(fte), stats, all(s.passed for s in stats))
        self.candidates.append(cand)
        if self.progress:
            self.progress(cand)
        return cand

    def unlimited(self) -> tuple[Results, Candidate]:
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
    check_kpis_exist(res_unl, targets)
    diary = diary_demand(res_unl, params, providers)
    start = {p: max(v, MIN_RESOLUTION_FTE) for p, v in diary.items()}
    searched = dependent_providers(res_unl, targets, providers)
    step = {p: max(resolution_share * start[p], MIN_RESOLUTION_FTE) for p in providers}
    scale = params.scenario.scale
    result = StaffingResult(targets, scale, int(replications), seed, False, {}, diary,
                            all_work_demand(res_unl, providers, scale), step, searched, search.candidates, None)
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

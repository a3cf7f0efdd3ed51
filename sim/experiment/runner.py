"""Replications of a scenario: a fixed number or "auto", on any executor, identical results either way.

Replication r always uses seeds (seed, r), so results do not depend on where or in which order
replications run. ``replications="auto"`` adds replications until the 95 % confidence half-width
of chosen KPIs is within a relative precision of their mean, or a budget is spent, with the
look-ahead of Hoad, Robinson & Davies (2010, "Automated selection of the number of replications
for a discrete-event simulation", JORS 61:1632-1644): once the precision is met at n, it must stay
met for the next few replications before n is accepted, so that a lucky early interval does not
stop the run. Every run also gets the MSER-5 warm-up check of :mod:`sim.warmup`.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, NamedTuple

import numpy as np
import pandas as pd

from sim._version import __version__
from sim.engine.model import Model
from sim.experiment.executors import Executor, ProcessExecutor, SerialExecutor
from sim.experiment.results import KPI_COLUMNS, WEEKLY_COLUMNS, Results
from sim.inputs.arguments import parse_replications
from sim.inputs.errors import ParamError
from sim.inputs.loading import load_params
from sim.inputs.schema import LoadedParams
from sim.metrics.by_municipality import BY_MUNICIPALITY, by_municipality_frame
from sim.metrics.compliance import legal_thresholds
from sim.metrics.kpi_refs import parse_kpi_ref
from sim.metrics.kpis import kpi_frame
from sim.metrics.stats import t_half_width
from sim.metrics.warmup import warmup_check
from sim.metrics.weekly import weekly_frame
from sim.metrics.workload import WORKLOAD_COLUMNS, work_plan, workload_frame

AUTO_KPIS = ("stock_mean", "fte_needed", "caseworker_hours_per_year", "first_talk_on_time",
             "exit_work_or_education_6m")
AUTO_PRECISION = 0.05
AUTO_BUDGET = 30
AUTO_MIN = 3
AUTO_LOOK_AHEAD = 5


class ReplicationParts(NamedTuple):
    """What one replication returns: its KPI frame, weekly frame, counts for the benchmark and
    workload table."""

    kpis: pd.DataFrame
    weekly: pd.DataFrame
    stats: dict
    workload: pd.DataFrame
    by_municipality: pd.DataFrame | None = None  # rows per municipality when asked (--by municipality)


def run_replication(params: LoadedParams, replication: int, seed: int, by: str | None = None) -> ReplicationParts:
    """Run one replication; return its KPI frame, weekly frame, counts and workload table (and the
    rows per municipality when `by` is "municipality")."""
    t0 = time.perf_counter()
    model = Model(params, replication, seed)
    rec = model.run()
    plan = work_plan(params)
    kpis = kpi_frame(rec, replication, params.scenario, plan)
    weekly = weekly_frame(rec, replication, params.scenario, plan)
    workload = workload_frame(rec, replication, params.scenario, plan)
    stats_ = {"replication": replication, "wall_s": time.perf_counter() - t0, "wakes": model.events,
              "queued": model.queue.popped,
              "processes": model.n_processes, "timeouts": model.n_timeouts, "initial": int(rec.c["start"].sum()),
              "spells": int(rec.c["arrived"].sum() + rec.c["start"].sum())}
    places = by_municipality_frame(model, replication, kpis, params.scenario) if by == BY_MUNICIPALITY else None
    return ReplicationParts(kpis, weekly, stats_, workload, places)


@dataclass(frozen=True)
class ReplicationTask:
    """One replication as a keyed, picklable task for an executor."""

    key: str
    params: LoadedParams
    replication: int
    seed: int
    by: str | None = None


def _run_task(task: ReplicationTask) -> ReplicationParts:
    return run_replication(task.params, task.replication, task.seed, task.by)


def _resolve(params) -> LoadedParams:
    if params is None or isinstance(params, (str, Path)):
        return load_params(params)
    return params


def _executor_for(workers: int | None, n: int) -> Executor:
    w = (os.cpu_count() or 1) if workers is None else max(1, int(workers))
    return ProcessExecutor(min(w, n)) if w > 1 and n > 1 else SerialExecutor()


def run_replications(p: LoadedParams, reps: Sequence[int], seed: int, executor: Executor,
                     by: str | None = None) -> list[ReplicationParts]:
    """Run replications `reps` on `executor`; return their parts sorted by replication."""
    tasks = [ReplicationTask(f"{p.params_hash}-{seed}-{r}", p, r, seed, by) for r in reps]
    parts = []
    for _task, result in executor.imap_unordered(_run_task, tasks):
        if isinstance(result, BaseException):
            raise result
        parts.append(result)
    return sorted(parts, key=lambda part: part.stats["replication"])


# ---------------------------------------------------------------- the automatic replication rule


def relative_half_width(values: Sequence[float], level: float = 0.95) -> float:
    """Student-t confidence half-width over |mean|; 0 for a constant series, inf if the mean is 0
    and the values are not."""
    x = np.asarray(values, dtype=float)
    n = len(x)
    if n < 2:
        return float("inf")
    sd = float(np.std(x, ddof=1))
    half = float(t_half_width(sd, n, level))
    if half == 0.0:
        return 0.0
    mean = abs(float(np.mean(x)))
    return half / mean if mean > 0 else float("inf")


def look_ahead(k_limit: int, n: int) -> int:
    """Hoad et al.'s look-ahead: k_limit replications up to n = 100, then in proportion to n."""
    return k_limit if n <= 100 else int(np.floor(k_limit * n / 100))


@dataclass
class AutoRule:
    """The stopping rule of ``replications="auto"``: its settings and, after a run, its outcome."""

    kpis: tuple[str, ...] = AUTO_KPIS
    precision: float = AUTO_PRECISION
    budget: int = AUTO_BUDGET
    min_replications: int = AUTO_MIN
    k_limit: int = AUTO_LOOK_AHEAD
    level: float = 0.95
    optional: bool = False  # the default KPIs: watch those the run computes (a 3-month run has no 6-month KPI)

    def __post_init__(self) -> None:
        if not 0 < float(self.precision) < 1:
            raise ParamError("precision", self.precision, "a relative half-width between 0 and 1, e.g. 0.05")
        if int(self.min_replications) < 2:
            raise ParamError("min_replications", self.min_replications, "a whole number >= 2")
        if int(self.budget) < int(self.min_replications):
            raise ParamError("max_replications", self.budget, f"a whole number >= {self.min_replications}")
        if int(self.k_limit) < 0:
            raise ParamError("look_ahead", self.k_limit, "a whole number >= 0")
        if isinstance(self.kpis, str):
            self.kpis = (self.kpis,)
        if not self.kpis:
            raise ParamError("kpis", self.kpis, "at least one KPI to watch")
        for ref in self.kpis:
            parse_kpi_ref(ref)

    def decide(self, series: Mapping[str, Sequence[float]], n: int) -> dict[str, Any] | None:
        """Given the first `n` values of each watched KPI, the decision if the rule stops at n.

        Scans n' = min..n for the smallest n' that met the precision and kept meeting it for the
        look-ahead replications after it (the look-ahead ends within n). Returns None to go on.
        """
        met = {}
        for m in range(self.min_replications, n + 1):
            met[m] = all(relative_half_width(v[:m], self.level) <= self.precision for v in series.values())
        for m in range(self.min_replications, n + 1):
            if not met[m]:
                continue
            ahead = look_ahead(self.k_limit, m)
            if m + ahead > n:
                break
            if all(met[j] for j in range(m, m + ahead + 1)):
                return {"stopped_because": "precision", "recommended": m, "replications": m + ahead}
        if n >= self.budget:
            return {"stopped_because": "budget", "recommended": None, "replications": n}
        return None


def _watched(kpis: pd.DataFrame, refs: Sequence[str], n: int) -> dict[str, list[float]]:
    """Each watched KPI's values for replications 0..n-1 (a KPI that cannot be computed is absent)."""
    out: dict[str, list[float]] = {}
    for ref in refs:
        k, g, pr = parse_kpi_ref(ref)
        sel = kpis[(kpis.kpi == k) & (kpis.group == g) & (kpis.provider == pr) & (kpis.replication < n)]
        if len(sel):
            out[ref] = sel.sort_values("replication")["value"].tolist()
    return out


def replicate_until_precise(evaluate: Callable[[list[int]], pd.DataFrame], rule: AutoRule,
                            batch: int = 1) -> tuple[pd.DataFrame, dict[str, Any]]:
    """Run replications 0, 1, 2, … in batches of `batch` through `evaluate(reps) -> KPI rows` until
    `rule` stops; return the KPI rows of the replications kept and the decision.

    The decision depends only on the values in replication order, so it (and the replications
    kept) is the same whatever the batch size: replications run past the stopping point in the
    last batch are dropped.
    """
    frames: list[pd.DataFrame] = []
    n = 0
    batch = max(1, int(batch))
    decision: dict[str, Any] | None = None
    while decision is None:
        size = max(batch, rule.min_replications - n) if n < rule.min_replications else batch
        size = min(size, rule.budget - n)
        frames.append(evaluate(list(range(n, n + size))))
        n += size
        kpis = pd.concat(frames, ignore_index=True)
        missing = [ref for ref in rule.kpis if ref not in _watched(kpis, [ref], n)]
        if missing and rule.optional and len(missing) < len(rule.kpis):
            rule.kpis = tuple(ref for ref in rule.kpis if ref not in missing)
        elif missing:
            raise ParamError("kpis", missing, "KPIs the run computes, e.g. " + ", ".join(AUTO_KPIS))
        decision = rule.decide(_watched(kpis, rule.kpis, n), n)
    kept = decision["replications"]
    kpis = pd.concat(frames, ignore_index=True)
    kpis = kpis[kpis.replication < kept].reset_index(drop=True)
    series = _watched(kpis, rule.kpis, kept)
    decision.update({
        "method": "Hoad, Robinson & Davies (2010): relative 95 % half-width with look-ahead",
        "kpis": list(rule.kpis), "precision": rule.precision, "budget": rule.budget,
        "min_replications": rule.min_replications, "look_ahead": rule.k_limit,
        "relative_half_width": {k: round(relative_half_width(v, rule.level), 6) for k, v in series.items()},
    })
    why = ("every watched KPI's 95 % half-width is within "
           f"{rule.precision:.1%} of its mean (held for {look_ahead(rule.k_limit, decision['recommended'])} more "
           "replications)") if decision["stopped_because"] == "precision" else \
        f"the budget of {rule.budget} replications was spent before the precision of {rule.precision:.1%} was met"
    decision["reason"] = why
    return kpis, decision


# ---------------------------------------------------------------- run


def replications_count(replications: int | str) -> int | str:
    """The API's `replications` read by the one parser of :mod:`sim.inputs.arguments` (a whole
    number >= 1, or "auto"); an error names the argument as the API spells it."""
    try:
        return parse_replications(replications)
    except (ParamError, TypeError):
        raise ParamError("replications", replications, "a whole number >= 1, or \"auto\"") from None


def run(params=None, replications: int | str = 1, seed: int = 1, workers: int | None = 1, *,
        executor: Executor | None = None, kpis: Sequence[str] | None = None, precision: float = AUTO_PRECISION,
        max_replications: int = AUTO_BUDGET, min_replications: int = AUTO_MIN,
        look_ahead_replications: int = AUTO_LOOK_AHEAD, by: str | None = None) -> Results:
    """Run replications with seeds (seed, replication r) for r = 0..n-1.

    `replications` is a whole number, or "auto": add replications (in batches of the number of
    workers) until the 95 % half-width of every KPI in `kpis` ("name", "name[group]" or
    "name[group/provider]"; default: those of AUTO_KPIS the run computes) is within `precision` of
    its mean, or `max_replications` are spent;
    provenance["replication_rule"] says why it stopped. `workers` > 1 runs replications in local
    processes (None: all cores), or pass any `executor`; results are identical to a serial run
    because every replication draws only from its own seeded streams. `by` = "municipality" adds
    the results per municipality (Results.by_municipality).
    """
    if by not in (None, BY_MUNICIPALITY):
        raise ParamError("--by", by, f"{BY_MUNICIPALITY!r} (results per municipality)")
    p = _resolve(params)
    count = replications_count(replications)
    t0 = time.perf_counter()
    rule = None
    if count == "auto":
        rule = AutoRule(tuple(kpis or AUTO_KPIS), float(precision), int(max_replications), int(min_replications),
                        int(look_ahead_replications), optional=kpis is None)
    ex = executor or _executor_for(workers, rule.budget if rule is not None else int(count))
    decision: dict[str, Any] | None = None
    try:
        if rule is not None:
            kept, decision = _run_until_precise(p, seed, ex, rule, by)
        else:
            kept = run_replications(p, range(int(count)), seed, ex, by)
    finally:
        if executor is None:
            ex.close()
    kpi_frame = pd.concat([k.kpis for k in kept], ignore_index=True) if kept else pd.DataFrame(columns=KPI_COLUMNS)
    weekly = pd.concat([k.weekly for k in kept], ignore_index=True) if kept else pd.DataFrame(columns=WEEKLY_COLUMNS)
    workload = (pd.concat([k.workload for k in kept], ignore_index=True) if kept
                else pd.DataFrame(columns=WORKLOAD_COLUMNS))
    provenance = _provenance(p, seed, len(kept), ex, [k.stats for k in kept], weekly)
    provenance["wall_time_s"] = round(time.perf_counter() - t0, 3)
    if decision is not None:
        provenance["replication_rule"] = decision
    places = ([k.by_municipality for k in kept if k.by_municipality is not None] if by is not None else [])
    by_place = pd.concat(places, ignore_index=True) if places else None
    return Results(kpi_frame, weekly, provenance, workload=workload, by_municipality=by_place)


def _run_until_precise(p: LoadedParams, seed: int, ex: Executor, rule: AutoRule, by: str | None = None
                       ) -> tuple[list[ReplicationParts], dict[str, Any]]:
    """The replications the automatic rule keeps (sorted), and its decision."""
    parts: dict[int, ReplicationParts] = {}

    def evaluate(reps: list[int]) -> pd.DataFrame:
        for part in run_replications(p, reps, seed, ex, by):
            parts[part.stats["replication"]] = part
        return pd.concat([parts[r].kpis for r in reps], ignore_index=True)

    _, decision = replicate_until_precise(evaluate, rule, batch=ex.workers)
    return [parts[r] for r in range(decision["replications"])], decision


def _provenance(p: LoadedParams, seed: int, n: int, ex: Executor, stats_: list[dict], weekly: pd.DataFrame
                ) -> dict[str, Any]:
    """What run.json records: the scenario and its rules, seeds, version, executor and checks."""
    return {
        "scenario": p.scenario.name,
        "rules": p.scenario.model_dump(mode="json", by_alias=True)["rules"],
        "params_file": p.origin,
        "params_hash": p.params_hash,
        "seed": seed,
        "replications": n,
        "version": __version__,
        "scale": p.scenario.scale,
        "years": p.scenario.years,
        "start_date": str(p.scenario.start_date),
        "wall_time_s": None,
        "executor": ex.describe(),
        "replication_stats": stats_,
        "warmup": warmup_check(weekly, p.scenario.horizon_days),
        "assumptions": p.assumptions(),
        "legal_thresholds": legal_thresholds(p).to_dict(orient="records"),
        "params": p.scenario.model_dump(mode="json", by_alias=True),
    }

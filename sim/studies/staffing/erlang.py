"""Erlang C (M/M/c): a queueing figure shown beside the simulated staffing as a lower-bound check.

The formulas are pure queueing theory; :func:`erlang_checks` applies them to a scenario with
assumptions that all make the figure optimistic, so it should never exceed the simulated answer.
If it does, something in the simulation or in the check deserves a look, and the output says so."""

from __future__ import annotations

import math
from dataclasses import dataclass

from sim.experiment.results import Results
from sim.inputs.schema import LoadedParams
from sim.studies.staffing.demand import booked_hours_per_year, horizon_years, mean_kpi
from sim.studies.staffing.targets import Target

# KPIs whose deadline applies task by task, so that a queue's waiting time decides them.
QUEUE_KPIS = ("first_talk_on_time",)
WORKING_DAYS_PER_YEAR = 250.0


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


def _provider_check(params: LoadedParams, res_unl: Results, t: Target, p: str,
                    answer: dict[str, float]) -> ErlangCheck | None:
    """The check for one provider and target; None when the provider holds no such talks."""
    scale = params.scenario.scale
    talks = mean_kpi(res_unl, "talks_held_per_year", "all", p) / scale
    hours = booked_hours_per_year(res_unl, p, horizon_years(params)) / scale
    slack = _first_talk_slack_days(params, t.group, p)
    if talks <= 0 or hours <= 0 or slack is None:
        return None
    hours_per_server_day = params.scenario.capacity.productive_hours_per_fte_year / WORKING_DAYS_PER_YEAR
    lam = talks / WORKING_DAYS_PER_YEAR
    service = hours / talks
    mu = hours_per_server_day / service
    a = lam / mu
    slack_wd = slack * WORKING_DAYS_PER_YEAR / 365.25
    c, pw = erlang_servers(a, mu, slack_wd, 1.0 - t.value)
    ok = c <= answer.get(p, math.inf) + 1e-9
    note = "" if ok else "above the simulated answer: the lower-bound check does not hold here"
    return ErlangCheck(p, t.label, float(c), a, lam, service, slack_wd, pw, ok, note)


def erlang_checks(params: LoadedParams, res_unl: Results, targets: list[Target],
                  answer: dict[str, float]) -> list[ErlangCheck]:
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
    for t in targets:
        if t.kpi not in QUEUE_KPIS or t.op != ">=":
            continue
        for p in params.scenario.capacity.providers:
            check = _provider_check(params, res_unl, t, p, answer)
            if check is not None:
                out.append(check)
    return out

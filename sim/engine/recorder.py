"""The recorder: streams what happens into fixed-size counters. It only counts.

Memory is fixed by the number of weeks, groups and providers, never by the number of events:
every event adds to a counter, and per-spell facts (compliance, spell lengths) are folded in when
the spell ends or when the run ends. The model calls the `on_*` methods; nothing here reaches
back into the model. What the counts mean (the KPIs and the weekly frame) is defined in
:mod:`sim.metrics.kpis` and :mod:`sim.metrics.weekly`, so that a definition can change without
touching the hot path, and counting can be tested without the definitions.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Final

import numpy as np

# The follow-up windows of the result goals "exit to work or education after 3 and 6 months"
# (domain.md §6): measurement definitions of the KPIs, not legal deadlines (those live in the
# rule-set files).
THREE_MONTHS: Final = 91.0
SIX_MONTHS: Final = 182.0

# Weekly measures recorded per (week, group, provider).
WEEKLY = ("entries", "exits", "exits_work", "talks_held", "offers_started", "clarifications",
          "caseworker_hours", "stock_delta", "offer_dkk", "moves_in", "exits_external", "exits_other")
W_ENTRIES: Final = 0
W_EXITS: Final = 1
W_EXITS_WORK: Final = 2
W_TALKS: Final = 3
W_OFFERS: Final = 4
W_CLARIF: Final = 5
W_HOURS: Final = 6
W_STOCK: Final = 7
W_OFFER_DKK: Final = 8
W_MOVES_IN: Final = 9
W_EXITS_EXTERNAL: Final = 10
W_EXITS_OTHER: Final = 11
# one name per measure, in WEEKLY's order (single Final names: compiled code reads them as constants)
assert [W_ENTRIES, W_EXITS, W_EXITS_WORK, W_TALKS, W_OFFERS, W_CLARIF, W_HOURS, W_STOCK, W_OFFER_DKK, W_MOVES_IN,
        W_EXITS_EXTERNAL, W_EXITS_OTHER] == list(range(len(WEEKLY)))
WEEKS_PER_YEAR: Final = 365.25 / 7.0

# Trigger events of the work items (sim.inputs.rules.TRIGGERS), counted per (rule period, group,
# provider). A rule period is the stretch of the run under one rule set; a citizen-week is 7 days
# in stock with the provider. An external exit is an "exit" (and an "exit_other" unless to work);
# a move to another group is a "group_change" (and a "spell_start" of the new spell).
TRIGGER_EVENTS = ("talk", "spell_start", "citizen_week", "offer", "group_change", "exit", "exit_other",
                  "clarification")
T_TALK: Final = 0
T_START: Final = 1
T_WEEK: Final = 2
T_OFFER: Final = 3
T_MOVE: Final = 4
T_EXIT: Final = 5
T_EXIT_OTHER: Final = 6
T_CLARIF: Final = 7
assert [T_TALK, T_START, T_WEEK, T_OFFER, T_MOVE, T_EXIT, T_EXIT_OTHER, T_CLARIF] == list(range(len(TRIGGER_EVENTS)))
_MEASURE_TRIGGER = {W_TALKS: T_TALK, W_OFFERS: T_OFFER, W_CLARIF: T_CLARIF}

# Per-group counters (index = group).
# `in_stock_end` counts the citizens still in stock when the run ends (one `on_censor` each), so
# that conservation (start + arrived = exited + in stock at the end) is a check, not an identity.
COUNTERS = ("start", "arrived", "arrived_external", "exited", "exited_external", "exits_work", "in_stock_end",
            "spell_days_done", "spells_done", "stock_days",
            "n3", "work3", "n6", "work6",
            "first_due", "first_on_time", "cov_due", "cov_met", "offer_due", "offer_met",
            "pool", "exempt", "offers", "clarifications", "clar_due", "clar_on_time",
            "offer_dkk", "oevo_mentor_dkk", "premium_exits", "trial_dkk")


@dataclass
class Recorder:
    groups: list[str]
    providers: list[str]
    horizon_days: float
    premium_min_days: float = float("inf")
    switch_days: list[float] = field(default_factory=list)  # days on which a new rule set starts
    n_weeks: int = field(init=False)

    def __post_init__(self) -> None:
        self.n_weeks = int(np.ceil(self.horizon_days / 7.0))
        g, p = len(self.groups), len(self.providers)
        # a flat list indexed by ((week * G + group) * P + provider) * M + measure: one element
        # is updated per event, which is several times cheaper on a list than on a numpy array
        self._stride = (g * p * len(WEEKLY), p * len(WEEKLY), len(WEEKLY))
        self._weekly = [0.0] * (self.n_weeks * g * p * len(WEEKLY))
        self.initial_stock = np.zeros((g, p))
        self._c = {k: [0.0] * g for k in COUNTERS}
        self._talks_gp = [[0.0] * p for _ in range(g)]
        self._hours_gp = [[0.0] * p for _ in range(g)]
        self._stock_days_gp = [[0.0] * p for _ in range(g)]
        self.pool_stats: dict[str, float] = {}
        # the trials: entrants per (arm, course provider), and the free-choice participants' outcomes
        self._trial_n: dict[tuple[str, int], float] = {}
        self._trial_out: dict[tuple[str, int], list[float]] = {}  # (exposed to 6 months, to work by then)
        self.trial_log: list[tuple[int, float, bool]] = []  # free choice: (provider, job-chance score, work 6m)
        # compliance with each legal minimum, by the rule's kind: kind -> (due per group, met per group)
        self._rules: dict[str, tuple[list[float], list[float]]] = {}
        # the "all" level follows whole cases (external entry to external exit)
        self.case = {k: 0.0 for k in ("n3", "work3", "n6", "work6", "days_done", "done")}
        # trigger events per (rule period, group, provider), flat; and booked hours per kind of task
        self.n_periods = len(self.switch_days) + 1
        self._trig = [[0.0] * (self.n_periods * g * p) for _ in TRIGGER_EVENTS]
        self._booked = {m: [[0.0] * p for _ in range(g)] for m in _MEASURE_TRIGGER}
        # persons touched per (calendar year of the run, group); the last row is "any group"
        self.n_years = int(np.ceil(self.horizon_days / 365.25))
        self._touched = [[0.0] * (g + 1) for _ in range(self.n_years)]
        # the hot path's look-ups, bound once (the same lists as above, so the counts are shared)
        self._last_week = self.n_weeks - 1
        self._n_groups, self._n_providers = g, p
        self._task_lists = {m: (self._trig[trig], self._booked[m]) for m, trig in _MEASURE_TRIGGER.items()}
        self._week_ends = [*self.switch_days, float("inf")]

    # -- events --------------------------------------------------------------------------------
    def week(self, t: float) -> int:
        return min(int(t // 7.0), self.n_weeks - 1)

    def _cell(self, t: float, g: int, p: int) -> int:
        sw, sg, sp = self._stride
        w = int(t // 7.0)  # self.week(t), inlined: called for every event
        if w > self._last_week:
            w = self._last_week
        return w * sw + g * sg + p * sp

    @property
    def weekly(self) -> np.ndarray:
        """The weekly counters as an array (week, group, provider, measure)."""
        return np.array(self._weekly).reshape(self.n_weeks, len(self.groups), len(self.providers), len(WEEKLY))

    def period(self, t: float) -> int:
        """The rule period of day t (a switch day already belongs to the new period)."""
        k = 0
        for d in self.switch_days:
            if t >= d:
                k += 1
        return k

    def _trigger(self, kind: int, t: float, g: int, p: int, n: float = 1.0) -> None:
        k = 0  # self.period(t), inlined: called for most events
        for d in self.switch_days:
            if t >= d:
                k += 1
        self._trig[kind][(k * self._n_groups + g) * self._n_providers + p] += n

    def on_start(self, g: int, p: int) -> None:
        self._c["start"][g] += 1
        self.initial_stock[g, p] += 1

    def on_entry(self, t: float, g: int, p: int, external: bool) -> None:
        i = self._cell(t, g, p)
        self._c["arrived"][g] += 1
        if external:
            self._c["arrived_external"][g] += 1
        self._weekly[i + W_ENTRIES] += 1
        self._weekly[i + W_STOCK] += 1
        self._trigger(T_START, t, g, p)
        if not external:
            self._trigger(T_MOVE, t, g, p)
            self._weekly[i + W_MOVES_IN] += 1
        h = self.horizon_days
        if t <= h - THREE_MONTHS:
            self._c["n3"][g] += 1
        if t <= h - SIX_MONTHS:
            self._c["n6"][g] += 1
        if external:
            if t <= h - THREE_MONTHS:
                self.case["n3"] += 1
            if t <= h - SIX_MONTHS:
                self.case["n6"] += 1

    def on_handover(self, t: float, g: int, p_from: int, p_to: int) -> None:
        self._weekly[self._cell(t, g, p_from) + W_STOCK] -= 1
        self._weekly[self._cell(t, g, p_to) + W_STOCK] += 1

    def on_exit(self, t: float, g: int, p: int, spell_start: float, to_work: bool, external: bool,
                case_start: float, new_entry: bool) -> None:
        i = self._cell(t, g, p)
        c = self._c
        c["exited"][g] += 1
        if external:
            c["exited_external"][g] += 1
            self._trigger(T_EXIT, t, g, p)
            self._weekly[i + W_EXITS_EXTERNAL] += 1
            if not to_work:
                self._trigger(T_EXIT_OTHER, t, g, p)
                self._weekly[i + W_EXITS_OTHER] += 1
        self._weekly[i + W_EXITS] += 1
        self._weekly[i + W_STOCK] -= 1
        dur = t - spell_start
        c["spell_days_done"][g] += dur
        c["spells_done"][g] += 1
        c["stock_days"][g] += t - max(spell_start, 0.0)
        if to_work:
            c["exits_work"][g] += 1
            self._weekly[i + W_EXITS_WORK] += 1
            if new_entry:
                h = self.horizon_days
                if dur <= THREE_MONTHS and spell_start <= h - THREE_MONTHS:
                    c["work3"][g] += 1
                if dur <= SIX_MONTHS and spell_start <= h - SIX_MONTHS:
                    c["work6"][g] += 1
        if external:
            self.case["days_done"] += t - case_start
            self.case["done"] += 1
            if to_work and t - case_start >= self.premium_min_days:
                c["premium_exits"][g] += 1
            if to_work and case_start >= 0.0:
                h = self.horizon_days
                if t - case_start <= THREE_MONTHS and case_start <= h - THREE_MONTHS:
                    self.case["work3"] += 1
                if t - case_start <= SIX_MONTHS and case_start <= h - SIX_MONTHS:
                    self.case["work6"] += 1

    def on_censor(self, g: int, spell_start: float) -> None:
        """A citizen still in stock when the run ends."""
        self._c["in_stock_end"][g] += 1
        self._c["stock_days"][g] += self.horizon_days - max(spell_start, 0.0)

    def on_task(self, t: float, g: int, p: int, hours: float, measure: int) -> None:
        # the hot path of every contact: _cell and _trigger inlined, the same additions in the same order
        sw, sg, sp = self._stride
        w = int(t // 7.0)
        if w > self._last_week:
            w = self._last_week
        i = w * sw + g * sg + p * sp
        weekly = self._weekly
        weekly[i + measure] += 1
        weekly[i + W_HOURS] += hours
        self._hours_gp[g][p] += hours
        trig, booked = self._task_lists[measure]
        booked[g][p] += hours
        k = 0
        for d in self.switch_days:
            if t >= d:
                k += 1
        trig[(k * self._n_groups + g) * self._n_providers + p] += 1.0
        if measure == W_TALKS:
            self._talks_gp[g][p] += 1
        elif measure == W_OFFERS:
            self._c["offers"][g] += 1
        elif measure == W_CLARIF:
            self._c["clarifications"][g] += 1

    def on_provider_days(self, g: int, p: int, days: float, end: float | None = None) -> None:
        """Days a citizen of group g spent with provider p up to day `end` (for case work by
        provider); the citizen-weeks are split over the rule periods. `end` may be left out only
        in a run with one rule set."""
        self._stock_days_gp[g][p] += days
        if end is None:
            if self.switch_days:
                raise ValueError("on_provider_days needs `end` in a run with several rule sets")
            self._trigger(T_WEEK, 0.0, g, p, days / 7.0)
            return
        t0 = end - days
        for d in self._week_ends:
            if t0 >= end:
                break
            if t0 < d:
                upto = min(d, end)
                self._trigger(T_WEEK, t0, g, p, (upto - t0) / 7.0)
                t0 = upto

    def on_touch(self, g: int, first_year: int, last_year: int) -> None:
        """A person was in group g (g = len(groups): in any group) in run years first_year..last_year,
        not counted there before: persons touched count each person once per year and group."""
        for y in range(max(first_year, 0), min(last_year, self.n_years - 1) + 1):
            self._touched[y][g] += 1

    def on_offer_cost(self, t: float, g: int, p: int, dkk: float, oevo_mentor_dkk: float) -> None:
        self._weekly[self._cell(t, g, p) + W_OFFER_DKK] += dkk
        self._c["offer_dkk"][g] += dkk
        self._c["oevo_mentor_dkk"][g] += oevo_mentor_dkk

    def on_trial_entry(self, g: int, p: int, arm: str, price_dkk: float) -> None:
        self._trial_n[(arm, p)] = self._trial_n.get((arm, p), 0.0) + 1
        self._c["trial_dkk"][g] += price_dkk

    def on_trial_outcome(self, arm: str, p: int, score: float, work6: bool) -> None:
        """A trial entrant followed for 6 months (or until the end of the spell)."""
        out = self._trial_out.setdefault((arm, p), [0.0, 0.0])
        out[0] += 1
        out[1] += work6
        if arm == "free_choice":
            self.trial_log.append((p, score, work6))

    def on_rule(self, kind: str, g: int, met: bool) -> None:
        """One citizen exposed to the legal minimum `kind` (talk block, offer, clarification)."""
        due, ok = self._rules.setdefault(kind, ([0.0] * len(self.groups), [0.0] * len(self.groups)))
        due[g] += 1
        if met:
            ok[g] += 1

    def on_compliance(self, g: int, name: str, met: bool) -> None:
        self._c[name + "_due" if name != "cov" else "cov_due"][g] += 1
        if met:
            key = {"first": "first_on_time", "cov": "cov_met", "offer": "offer_met", "clar": "clar_on_time"}[name]
            self._c[key][g] += 1

    def on_pool(self, g: int, exempt: bool) -> None:
        self._c["pool"][g] += 1
        if exempt:
            self._c["exempt"][g] += 1

    # -- results -------------------------------------------------------------------------------
    @property
    def c(self) -> dict[str, np.ndarray]:
        """The per-group counters as arrays."""
        return {k: np.array(v) for k, v in self._c.items()}

    @property
    def talks_gp(self) -> np.ndarray:
        return np.array(self._talks_gp)

    @property
    def hours_gp(self) -> np.ndarray:
        return np.array(self._hours_gp)

    @property
    def stock_days_gp(self) -> np.ndarray:
        """Days in stock by group and provider (the base of other case work)."""
        return np.array(self._stock_days_gp)

    @property
    def triggers(self) -> np.ndarray:
        """Trigger events as an array (trigger, rule period, group, provider), in TRIGGER_EVENTS order."""
        return np.array(self._trig).reshape(len(TRIGGER_EVENTS), self.n_periods, len(self.groups),
                                            len(self.providers))

    def booked_hours(self, measure: int) -> np.ndarray:
        """Hours booked in the diaries for one kind of task (W_TALKS, W_OFFERS, W_CLARIF) by group and provider."""
        return np.array(self._booked[measure])

    @property
    def touched(self) -> np.ndarray:
        """Persons touched per (run year, group); the last column is any group."""
        return np.array(self._touched)

    @property
    def rules(self) -> dict[str, tuple[np.ndarray, np.ndarray]]:
        """Each legal minimum's kind -> (citizens due, citizens met) per group, in first-seen order."""
        return {kind: (np.array(due), np.array(ok)) for kind, (due, ok) in self._rules.items()}

    @property
    def trial_entrants(self) -> dict[tuple[str, int], float]:
        """Trial entrants per (arm, course provider); a pair is present only once it had an entrant."""
        return dict(self._trial_n)

    @property
    def trial_outcomes(self) -> dict[tuple[str, int], tuple[float, float]]:
        """Per (arm, course provider): (entrants followed for 6 months, of whom in work by then)."""
        return {k: (v[0], v[1]) for k, v in self._trial_out.items()}

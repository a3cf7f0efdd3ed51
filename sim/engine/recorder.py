"""The recorder: streams what happens into fixed-size counters, and turns them into tidy frames.

Memory is fixed by the number of weeks, groups and providers, never by the number of events:
every event adds to a counter, and per-spell facts (compliance, spell lengths) are folded in when
the spell ends or when the run ends. The model calls the `on_*` methods; nothing here reaches
back into the model.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

# The follow-up windows of the result goals "exit to work or education after 3 and 6 months"
# (domain.md §6): measurement definitions of the KPIs, not legal deadlines (those live in the
# rule-set files).
THREE_MONTHS = 91.0
SIX_MONTHS = 182.0

# Weekly measures recorded per (week, group, provider).
WEEKLY = ("entries", "exits", "exits_work", "talks_held", "offers_started", "clarifications",
          "caseworker_hours", "stock_delta", "offer_dkk")
W_ENTRIES, W_EXITS, W_EXITS_WORK, W_TALKS, W_OFFERS, W_CLARIF, W_HOURS, W_STOCK, W_OFFER_DKK = range(len(WEEKLY))
WEEKS_PER_YEAR = 365.25 / 7.0

# Per-group counters (index = group).
COUNTERS = ("start", "arrived", "arrived_external", "exited", "exited_external", "exits_work",
            "spell_days_done", "spells_done", "stock_days",
            "n3", "work3", "n6", "work6",
            "first_due", "first_on_time", "cov_due", "cov_met", "offer_due", "offer_met",
            "pool", "exempt", "talks", "offers", "clarifications", "clar_due", "clar_on_time",
            "hours", "offer_dkk", "oevo_mentor_dkk", "premium_exits", "trial_dkk")


@dataclass
class Recorder:
    groups: list[str]
    providers: list[str]
    horizon_days: float
    premium_min_days: float = float("inf")
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

    # -- events --------------------------------------------------------------------------------
    def week(self, t: float) -> int:
        return min(int(t // 7.0), self.n_weeks - 1)

    def _cell(self, t: float, g: int, p: int) -> int:
        sw, sg, sp = self._stride
        return self.week(t) * sw + g * sg + p * sp

    @property
    def weekly(self) -> np.ndarray:
        """The weekly counters as an array (week, group, provider, measure)."""
        return np.array(self._weekly).reshape(self.n_weeks, len(self.groups), len(self.providers), len(WEEKLY))

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
        self._c["stock_days"][g] += self.horizon_days - max(spell_start, 0.0)

    def on_task(self, t: float, g: int, p: int, hours: float, measure: int) -> None:
        i = self._cell(t, g, p)
        self._weekly[i + measure] += 1
        self._weekly[i + W_HOURS] += hours
        self._hours_gp[g][p] += hours
        if measure == W_TALKS:
            self._talks_gp[g][p] += 1
        elif measure == W_OFFERS:
            self._c["offers"][g] += 1
        elif measure == W_CLARIF:
            self._c["clarifications"][g] += 1

    def on_provider_days(self, g: int, p: int, days: float) -> None:
        """Days a citizen of group g spent with provider p (for case work by provider)."""
        self._stock_days_gp[g][p] += days

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

    def case_work_hours_gp(self, scenario) -> np.ndarray:
        """Other case work (hours per citizen-week in stock, by group) by group and provider."""
        rate = np.array([scenario.caseworker_time.case_work_hours_per_week.get(g, 0.0) for g in self.groups])
        return np.array(self._stock_days_gp) / 7.0 * rate[:, None]

    def kpis(self, replication: int, scenario) -> pd.DataFrame:
        """The KPI table of one replication: replication, kpi, group, provider, value.

        A KPI whose denominator is empty is absent, never zero. Money follows the events: benefit
        weeks are the days spent in stock, offer costs are booked when an offer starts, the job
        premium when a long case ends in work."""
        years = self.horizon_days / 365.25
        productive_hours = scenario.capacity.productive_hours_per_fte_year
        money = scenario.money
        c = self.c
        talks_gp = self.talks_gp
        hours_gp = self.hours_gp + self.case_work_hours_gp(scenario)
        rows: list[tuple[str, str, str, float]] = []

        def add(kpi: str, group: str, provider: str, value: float) -> None:
            rows.append((kpi, group, provider, float(value)))

        def ratio(kpi: str, group: str, num: float, den: float) -> None:
            if den > 0:
                add(kpi, group, "all", num / den)

        def staff(group: str, provider: str, hours: float) -> None:
            add("caseworker_hours_per_year", group, provider, hours / years)
            add("fte_needed", group, provider, hours / years / productive_hours)
            add("caseworker_dkk_per_year", group, provider,
                hours / years / productive_hours * money.caseworker_dkk_per_fte_year)

        start = c["start"]
        in_stock = start + c["arrived"] - c["exited"]
        benefit_weeks = c["stock_days"] / 7.0 / years
        rates = np.array([money.benefit_dkk_per_week[g] for g in self.groups])
        for gi, g in enumerate(self.groups):
            add("persons_start", g, "all", start[gi])
            add("persons_arrived", g, "all", c["arrived"][gi])
            add("persons_exited", g, "all", c["exited"][gi])
            add("persons_in_stock_end", g, "all", in_stock[gi])
            add("stock_mean", g, "all", c["stock_days"][gi] / self.horizon_days)
            add("inflow_per_year", g, "all", c["arrived"][gi] / years)
            if c["spells_done"][gi] > 0:
                add("spell_weeks_mean", g, "all", c["spell_days_done"][gi] / c["spells_done"][gi] / 7.0)
            ratio("exit_work_or_education_3m", g, c["work3"][gi], c["n3"][gi])
            ratio("exit_work_or_education_6m", g, c["work6"][gi], c["n6"][gi])
            ratio("first_talk_on_time", g, c["first_on_time"][gi], c["first_due"][gi])
            ratio("talk_coverage_6m", g, c["cov_met"][gi], c["cov_due"][gi])
            ratio("offer_coverage_6m", g, c["offer_met"][gi], c["offer_due"][gi])
            ratio("clarification_on_time", g, c["clar_on_time"][gi], c["clar_due"][gi])
            ratio("exempt_share", g, c["exempt"][gi], c["pool"][gi])
            for kind, (due, ok) in self._rules.items():
                ratio(f"compliance_{kind}", g, ok[gi], due[gi])
            add("talks_held_per_year", g, "all", talks_gp[gi].sum() / years)
            add("offers_started_per_year", g, "all", c["offers"][gi] / years)
            staff(g, "all", hours_gp[gi].sum())
            for pi, p in enumerate(self.providers):
                add("talks_held_per_year", g, p, talks_gp[gi, pi] / years)
                staff(g, p, hours_gp[gi, pi])
            add("benefit_weeks_per_year", g, "all", benefit_weeks[gi])
            add("benefit_dkk_per_year", g, "all", benefit_weeks[gi] * rates[gi])
            add("offer_dkk_per_year", g, "all", c["offer_dkk"][gi] / years)
        add("persons_start", "all", "all", start.sum())
        add("persons_arrived", "all", "all", c["arrived_external"].sum())
        add("persons_exited", "all", "all", c["exited_external"].sum())
        add("persons_in_stock_end", "all", "all", in_stock.sum())
        add("stock_mean", "all", "all", c["stock_days"].sum() / self.horizon_days)
        add("inflow_per_year", "all", "all", c["arrived_external"].sum() / years)
        if self.case["done"] > 0:
            add("spell_weeks_mean", "all", "all", self.case["days_done"] / self.case["done"] / 7.0)
        ratio("exit_work_or_education_3m", "all", self.case["work3"], self.case["n3"])
        ratio("exit_work_or_education_6m", "all", self.case["work6"], self.case["n6"])
        for name, num, den in [("first_talk_on_time", "first_on_time", "first_due"),
                               ("talk_coverage_6m", "cov_met", "cov_due"),
                               ("offer_coverage_6m", "offer_met", "offer_due"),
                               ("clarification_on_time", "clar_on_time", "clar_due"),
                               ("exempt_share", "exempt", "pool")]:
            ratio(name, "all", c[num].sum(), c[den].sum())
        for kind, (due, ok) in self._rules.items():
            ratio(f"compliance_{kind}", "all", sum(ok), sum(due))
        if c["pool"].sum() > 0 and self.pool_stats:
            add("exempt_share_max", "all", "all", self.pool_stats["exempt_share_max"])
            add("exemptions_lifted_per_year", "all", "all", self.pool_stats["exemptions_lifted"] / years)
        add("talks_held_per_year", "all", "all", talks_gp.sum() / years)
        add("offers_started_per_year", "all", "all", c["offers"].sum() / years)
        staff("all", "all", hours_gp.sum())
        for pi, p in enumerate(self.providers):
            add("talks_held_per_year", "all", p, talks_gp[:, pi].sum() / years)
            staff("all", p, hours_gp[:, pi].sum())
        # money and the result goals that the model can compute (domain.md §6)
        benefit = float((benefit_weeks * rates).sum())
        offers = c["offer_dkk"].sum() / years
        caseworkers = hours_gp.sum() / years / productive_hours * money.caseworker_dkk_per_fte_year
        premium = c["premium_exits"].sum() * money.job_premium_dkk_per_exit / years
        limit_groups = [self.groups.index(g) for g in money.oevo_limit_groups if g in self.groups]
        full_time_persons = c["stock_days"][limit_groups].sum() / self.horizon_days
        add("benefit_weeks_per_year", "all", "all", benefit_weeks.sum())
        add("benefit_dkk_per_year", "all", "all", benefit)
        add("offer_dkk_per_year", "all", "all", offers)
        add("oevo_mentor_dkk_per_year", "all", "all", c["oevo_mentor_dkk"].sum() / years)
        add("oevo_mentor_limit_dkk_per_year", "all", "all",
            full_time_persons * money.oevo_mentor_limit_dkk_per_full_time_person)
        trial_cost = c["trial_dkk"].sum() / years
        add("job_premium_dkk_per_year", "all", "all", premium)
        add("trial_provider_dkk_per_year", "all", "all", trial_cost)
        add("net_dkk_per_year", "all", "all", benefit + offers + caseworkers + trial_cost - premium)
        for arm in ("free_choice", "extended"):
            total = sum(v for (a, _), v in self._trial_n.items() if a == arm)
            if total:
                add(f"trial_{arm}_entrants_per_year", "all", "all", total / years)
            for pi, p in enumerate(self.providers):
                if (arm, pi) in self._trial_n:
                    add(f"trial_{arm}_entrants_per_year", "all", p, self._trial_n[(arm, pi)] / years)
                n6, w6 = self._trial_out.get((arm, pi), (0.0, 0.0))
                if n6 > 0:
                    add(f"trial_{arm}_exit_work_6m", "all", p, w6 / n6)
        on_support = [gi for gi, g in enumerate(self.groups) if money.benefit_dkk_per_week[g] > 0]
        add("public_support_share", "all", "all",
            c["stock_days"][on_support].sum() / self.horizon_days / (money.population * scenario.scale))
        df = pd.DataFrame(rows, columns=["kpi", "group", "provider", "value"])
        df.insert(0, "replication", replication)
        return df

    def weekly_frame(self, replication: int, scenario) -> pd.DataFrame:
        """Weekly measures per group and provider, with "all" aggregates, in long form.

        `stock` is the caseload at the end of the week. Other case work, benefit payments and FTE
        are derived from it (approximations that treat the end-of-week stock as the week's);
        the KPIs use exact stock days instead."""
        base = self.weekly.copy()
        stock = self.initial_stock[None, :, :] + np.cumsum(base[:, :, :, W_STOCK], axis=0)
        base[:, :, :, W_STOCK] = stock
        case_rate = np.array([scenario.caseworker_time.case_work_hours_per_week.get(g, 0.0) for g in self.groups])
        benefit_rate = np.array([scenario.money.benefit_dkk_per_week[g] for g in self.groups])
        case_work = stock * case_rate[None, :, None]
        hours = base[:, :, :, W_HOURS] + case_work
        fte = hours * WEEKS_PER_YEAR / scenario.capacity.productive_hours_per_fte_year
        benefit = stock * benefit_rate[None, :, None]
        base[:, :, :, W_HOURS] = hours  # caseworker hours include other case work, as in the KPIs
        arr = np.concatenate([base, case_work[..., None], fte[..., None], benefit[..., None]], axis=3)
        names = list(WEEKLY) + ["case_work_hours", "fte_needed", "benefit_dkk"]
        names[W_STOCK] = "stock"
        frames = []
        groups = self.groups + ["all"]
        providers = self.providers + ["all"]
        full = np.zeros((self.n_weeks, len(groups), len(providers), len(names)))
        full[:, :-1, :-1] = arr
        full[:, -1, :-1] = arr.sum(axis=1)
        full[:, :-1, -1] = arr.sum(axis=2)
        full[:, -1, -1] = arr.sum(axis=(1, 2))
        w, g, p, m = np.meshgrid(np.arange(self.n_weeks), np.arange(len(groups)), np.arange(len(providers)),
                                 np.arange(len(names)), indexing="ij")
        frames = pd.DataFrame({
            "replication": replication,
            "week": w.ravel(),
            "group": pd.Categorical.from_codes(g.ravel(), groups),
            "provider": pd.Categorical.from_codes(p.ravel(), providers),
            "measure": pd.Categorical.from_codes(m.ravel(), names),
            "value": full.ravel(),
        })
        for col in ("group", "provider", "measure"):
            frames[col] = frames[col].astype(str)
        return frames

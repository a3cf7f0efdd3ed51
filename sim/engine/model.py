"""The SimPy model: one process per citizen, stepping from one planned contact to the next.

Event ordering (what happens, in what order, on one simulated day):

1. A citizen's process sleeps until the earliest of: its next booked contact, its exit time,
   the next change of rule set. Ties go to the exit, so a citizen who leaves on the day of a talk
   does not get the talk.
2. On waking for a contact it records the contact (caseworker hours, talk, offer, clarification),
   adds the contact's window of effect on the job hazard and recomputes the job-exit time from
   the budget left. Then it books its next contact in its provider's ledger.
3. On waking for an exit it leaves, or starts a spell in the group it moves to.
4. On a rule change it cancels its booking and plans the rest of its spell under the new rules.

An uneventful spell therefore costs one or two events. The plan of a spell is a heap of items
(target day, sequence, kind, payload); only the first item is booked at a time.
"""

from __future__ import annotations

import gc
import heapq
import math
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import numpy as np
import simpy
from scipy.special import ndtr, ndtri

from sim.engine.capacity import Ledger, hours_per_day
from sim.engine.exemption import ExemptionPolicy, ExemptionPool, make_policy
from sim.engine.hazard import INF, GroupHazard, integrate_windows, invert_windows
from sim.engine.population import (
    arrivals,
    citizen_attributes,
    exhaustion_days,
    external_inflows,
    initial_stock,
    spell_distributions,
)
from sim.engine.randomness import (
    COL_AKASSE_EXEMPTION,
    COL_ASSESSMENT,
    COL_EXEMPTION,
    COL_FRAILTY,
    COL_PRIOR_HOURS,
    COL_PROVIDER_CHOICE,
    COL_ROUTING,
    COL_TRIAL,
    FIRST_FREE,
    ROW_WIDTH,
    Streams,
)
from sim.engine.recorder import SIX_MONTHS, W_CLARIF, W_OFFERS, W_TALKS, Recorder
from sim.engine.workdays import WorkingCalendar
from sim.inputs.rules import RuleSet

TALK, OFFER, CLARIF, HANDOVER, ON_REQUEST = range(5)
DAYS_PER_MONTH = 365.25 / 12
STOCK_KEY_BASE = 1 << 50
GROUP_KEY_SHIFT = 40
BOOKING_MARGIN_DAYS = 800


@contextmanager
def without_gc_pauses() -> Iterator[None]:
    """Switch Python's cyclic garbage collector off while a simulation runs.

    Why: with hundreds of thousands of live citizens and generators, every full collection walks
    them all, which made a national replication about 30 % slower and its cost grow faster than
    the population. The model creates no reference cycles that need collecting (peak memory was
    the same with the collector off), and reference counting still frees every citizen that
    leaves. The collector is restored afterwards, also on error."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


class Citizen:
    """The state of one citizen's current spell. Plain slots: this is the hot path."""

    __slots__ = ("key", "row", "col", "overflow", "g", "spell_start", "case_start", "frailty",
                 "under_30", "short_absence", "cap_day", "exempt", "exempt_ak", "pooled", "proc", "windows",
                 "course_provider", "course_days", "trial_arm", "need", "work_left", "work_t", "work_exit",
                 "fixed_exit", "fixed_dest", "provider", "plan", "seq", "booking", "talks", "offer_days",
                 "clar_days", "new_entry", "provider_since", "rules", "first_block")

    def uniform(self, streams: Streams) -> float:
        """The citizen's next own uniform: from its row, then from its private stream."""
        col = self.col
        if col < ROW_WIDTH:
            self.col = col + 1
            return float(self.row[col])
        if self.overflow is None:
            self.overflow = streams.citizen_overflow(int(self.key))
        self.col = col + 1
        return float(self.overflow.random())


@dataclass(frozen=True)
class GroupConst:
    """Per-group numbers looked up in the hot path, prepared once."""

    index: int
    hazard: GroupHazard
    dest_names: tuple[str, ...]
    talk_mult: float
    threat_mult: float
    digital_share: float
    on_request_rate: float  # per day


class Model:
    """One replication of a scenario."""

    def __init__(self, params, replication: int, seed: int, record_spells: bool = False):
        self.params = params
        # A log of every spell with its contacts, for tests and small studies only: it grows
        # with the number of spells, so the default is off.
        self.spell_log: list[dict] | None = [] if record_spells else None
        sc = params.scenario
        self.streams = Streams(seed, replication)
        self.env = simpy.Environment()
        self.horizon = float(sc.horizon_days)
        self.groups = list(sc.groups)
        self.providers = list(sc.capacity.providers)
        self.gidx = {g: i for i, g in enumerate(self.groups)}
        self.pidx = {p: i for i, p in enumerate(self.providers)}
        self.recorder = Recorder(self.groups, self.providers, self.horizon,
                                 premium_min_days=sc.money.job_premium_min_case_weeks * 7.0)
        self.calendar = WorkingCalendar(sc.start_date, int(self.horizon) + BOOKING_MARGIN_DAYS,
                                        sc.calendar.include_customary_closing_days)
        self.ledgers = {
            p: Ledger(self.calendar, None if sc.capacity.unlimited else hours_per_day(params, p, self.calendar))
            for p in self.providers}
        self.timeline = params.timeline()
        self.switch_days = [d for d, _ in self.timeline[1:]]
        self.policy: ExemptionPolicy = make_policy(sc.exemption)
        # the municipality's pool and, when it decides separately, the a-kasse's
        self.pool = ExemptionPool(self._cap(self.timeline[0][1], sc.exemption.share))
        self.akasse_pool = (ExemptionPool(self._cap(self.timeline[0][1], sc.exemption.akasse_share))
                            if sc.exemption.akasse_share is not None else None)
        ct = sc.caseworker_time
        self.talk_hours = ((ct.talk_in_person_minutes + ct.talk_preparation_minutes) / 60.0,
                           (ct.talk_digital_minutes + ct.talk_preparation_minutes) / 60.0)
        self.offer_hours = ct.offer_admin_hours
        self.clar_hours = ct.clarification_hours
        eff = sc.effects
        self.talk_days = eff.talk_weeks * 7.0
        self.threat_days = eff.threat_weeks * 7.0
        self.after_days = eff.after_offer_weeks * 7.0
        self.after_mult = eff.after_offer_multiplier
        self.need_weight = eff.talk_effect_by_need
        types = list(sc.offers.types.values())
        self.offer_cum = np.cumsum([t.share for t in types]).tolist()
        mentor = sc.money.mentor_share_of_offers * sc.money.mentor_dkk_per_offer
        # (duration days, lock-in multiplier, cost DKK, of which against the ØVO + mentor limit)
        self.offer_types = [(t.duration_weeks * 7.0, t.lock_in_multiplier,
                             t.cost_dkk_per_week * t.duration_weeks + mentor,
                             (t.cost_dkk_per_week * t.duration_weeks if t.counts_against_oevo_limit else 0.0) + mentor)
                            for t in types]
        self.gconst = {}
        for g, grp in sc.groups.items():
            hz = GroupHazard.from_params(grp.hazard)
            self.gconst[g] = GroupConst(self.gidx[g], hz, tuple(hz.to), eff.talk_multiplier[g],
                                        eff.threat_multiplier[g], grp.digital_share,
                                        grp.on_request_talks_per_month / DAYS_PER_MONTH)
        self.planning = sc.planning
        self.provider_talk_mult = dict(sc.trials.talk_multiplier)
        self.talk_time_factor = dict(sc.trials.talk_time_factor)
        trial_rules = next((rs.trials for _, rs in self.timeline if rs.trials is not None), None)
        if trial_rules is not None:
            self.trial_start = float((trial_rules.start - sc.start_date).days)
            self.trial_end = self.trial_start + trial_rules.years * 365.25
        else:
            self.trial_start = self.trial_end = INF
        self.dists = spell_distributions(params.scenario)
        self.inflows = external_inflows(params.scenario.groups, self.dists)
        self.events = 0  # wake-ups of citizen processes
        self.n_processes = 0  # SimPy processes started
        self.n_timeouts = 0  # SimPy timeouts yielded (the benchmark's floor repeats these counts)
        self.active: dict[int, Citizen] = {}
        self._templates: dict[tuple, tuple] = {}

    # -- rules in force -----------------------------------------------------------------------
    def rules_at(self, day: float) -> RuleSet:
        current = self.timeline[0][1]
        for d, rs in self.timeline:
            if d <= day:
                current = rs
        return current

    def next_switch(self, day: float) -> float:
        for d in self.switch_days:
            if d > day:
                return float(d)
        return INF

    # -- set-up --------------------------------------------------------------------------------
    def run(self) -> Recorder:
        env = self.env
        for g in self.groups:
            gi = self.gidx[g]
            stock = initial_stock(self.params, g, self.streams, STOCK_KEY_BASE + (gi << GROUP_KEY_SHIFT))
            attrs = citizen_attributes(self.params, g, stock.rows)
            for i in range(len(stock.keys)):
                c = self._new_citizen(stock.keys[i], stock.rows[i], attrs, i)
                c.proc = env.process(self._life(c, g, -float(stock.elapsed[i]), external=False, initial=True))
            env.process(self._arrivals(g))
            self.n_processes += len(stock.keys) + 1
        for pool, flag in ((self.pool, "exempt"), (self.akasse_pool, "exempt_ak")):
            if pool is not None and self._pool_may_exempt():
                env.process(self._pool_keeper(pool, flag))
        if self.switch_days:
            env.process(self._rule_changes())
        with without_gc_pauses():
            env.run(until=self.horizon)
        self._finish()
        return self.recorder

    # -- the exemption pools ----------------------------------------------------------------------
    def _cap(self, rules: RuleSet, share: float | None) -> float:
        """The exempt share allowed: the policy's share, at most the legal cap unless beyond the law."""
        if share is None:
            return 0.0
        if self.params.scenario.exemption.beyond_law:
            return share
        return min(share, rules.exemption.max_share)

    def _pool_may_exempt(self) -> bool:
        ex = self.params.scenario.exemption
        return ex.policy != "none" and (ex.share > 0 or (ex.akasse_share or 0) > 0)

    def _pool_keeper(self, pool: ExemptionPool, flag: str):
        """Take citizens out of the pool when their first months end, exactly when they end."""
        env = self.env
        while True:
            nxt = pool.next_expiry()
            wait = nxt - env.now if nxt < INF else 1.0  # an empty pool is looked at again tomorrow
            if env.now + wait >= self.horizon:
                return
            yield env.timeout(max(wait, 0.0))
            self._revoke(pool.expire(env.now), flag)

    def _rule_changes(self):
        """On each change of rule set the caps follow the new rules' legal cap."""
        env = self.env
        ex = self.params.scenario.exemption
        for day in self.switch_days:
            if day >= self.horizon:
                return
            yield env.timeout(day - env.now)
            rules = self.rules_at(day)
            self.pool.cap = self._cap(rules, ex.share)
            self._revoke(self.pool.rebalance(), "exempt")
            if self.akasse_pool is not None:
                self.akasse_pool.cap = self._cap(rules, ex.akasse_share)
                self._revoke(self.akasse_pool.rebalance(), "exempt_ak")

    def _revoke(self, keys: list[int], flag: str) -> None:
        """Lift exemptions to keep within the cap: those citizens are planned in again."""
        for key in keys:
            c = self.active.get(key)
            if c is None:
                continue
            setattr(c, flag, False)
            if c.proc is not None and c.proc.is_alive and c.proc is not self.env.active_process:
                c.proc.interrupt("exemption lifted")

    def _new_citizen(self, key, row, attrs, i) -> Citizen:
        c = Citizen()
        c.key = key
        c.row = row
        c.col = FIRST_FREE
        c.overflow = None
        c.frailty = float(attrs["frailty"][i])
        c.under_30 = bool(attrs["under_30"][i])
        c.short_absence = bool(attrs["short_absence"][i])
        c.cap_day = float(attrs["cap_day"][i])  # plain floats: numpy scalars are slow in the hot path
        c.booking = None
        c.exempt = False
        c.exempt_ak = False
        c.pooled = False
        c.proc = None
        # how much talks and the threat of activation help this citizen, relative to the average:
        # 2(1 - u) falls from 2 to 0 as the job chances (frailty draw u) rise, mean 1
        w = self.need_weight
        c.need = 1.0 - w + w * 2.0 * (1.0 - float(row[COL_FRAILTY]))
        c.course_provider = None
        c.course_days = None
        c.trial_arm = None
        return c

    def _arrivals(self, g: str):
        env = self.env
        gi = self.gidx[g]
        for batch in arrivals(self.params, g, self.inflows[g], self.streams, gi << GROUP_KEY_SHIFT):
            if len(batch.keys) == 0:
                continue
            attrs = {k: v.tolist() for k, v in citizen_attributes(self.params, g, batch.rows).items()}
            days = batch.days.tolist()
            for i in range(len(days)):
                day = days[i]
                if day > env.now:
                    self.n_timeouts += 1
                    yield env.timeout(day - env.now)
                c = self._new_citizen(batch.keys[i], batch.rows[i].copy(), attrs, i)
                target = g
                if g == "aktivitetsparat":
                    share = self.rules_at(day).routing.aktivitetsparat_entrants_to_jobparat
                    if share > 0.0 and "jobparat" in self.gidx and c.row[COL_ROUTING] < share:
                        target = "jobparat"
                c.proc = env.process(self._life(c, target, day, external=True, initial=False))
                self.n_processes += 1

    def _finish(self) -> None:
        """Fold in the citizens still in stock at the end of the run, and the pools' record."""
        self.recorder.pool_stats = {"exempt_share_max": self.pool.max_share,
                                    "exemptions_lifted": float(self.pool.revoked)}
        for c in self.active.values():
            self.recorder.on_censor(self.gidx[c.g], c.spell_start)
            self.recorder.on_provider_days(self.gidx[c.g], self.pidx[c.provider], self.horizon - c.provider_since)
            self._evaluate_spell(c, self.horizon)
            self._log_spell(c, self.horizon, None)

    # -- a citizen's life ------------------------------------------------------------------------
    def _life(self, c: Citizen, g: str, spell_start: float, external: bool, initial: bool):
        env = self.env
        c.case_start = spell_start
        self.active[c.key] = c
        self._start_spell(c, g, spell_start, external=external, initial=initial)
        horizon = self.horizon
        switches = bool(self.switch_days)
        while True:
            now = env.now
            booking = c.booking
            wake = booking[0] if booking is not None else INF
            exit_day = c.work_exit if c.work_exit < c.fixed_exit else c.fixed_exit
            if exit_day < wake:
                wake = exit_day
            switch = self.next_switch(now) if switches else INF
            if switch < wake:
                wake = switch
            if wake >= horizon:
                return  # still in stock at the end: _finish folds it in
            if wake > now:
                self.n_timeouts += 1
                try:
                    yield env.timeout(wake - now)
                except simpy.Interrupt:
                    # the exemption was lifted: plan the rest of the spell with the full rules
                    self._replan(c)
                    continue
            self.events += 1
            if exit_day <= wake:
                dest = "work" if c.work_exit < c.fixed_exit else c.fixed_dest
                if not self._exit(c, dest):
                    del self.active[c.key]
                    return
            elif switch <= wake:
                self._replan(c)
            else:
                self._do_contact(c)

    def _start_spell(self, c: Citizen, g: str, spell_start: float, external: bool, initial: bool) -> None:
        gc = self.gconst[g]
        grp = self.params.scenario.groups[g]
        c.g = g
        c.spell_start = spell_start
        c.new_entry = not initial
        c.windows = []
        c.talks = []
        c.offer_days = []
        c.clar_days = []
        c.seq = 0
        c.booking = None
        if grp.exhaustion is None:
            c.cap_day = INF
        elif not initial and not external:
            # moved in from another group (job loss after sickness): UI hours from the same draw
            c.cap_day = float(exhaustion_days(grp.exhaustion, np.array([c.row[COL_PRIOR_HOURS]]))[0])
        mult = c.frailty * (grp.short_absence_work_multiplier if c.short_absence else 1.0)
        now = max(spell_start, 0.0)
        # competing destinations, each with a fresh unit-exponential budget
        c.work_left = -math.log(1.0 - c.uniform(self.streams))
        c.work_t = now
        c.work_exit = invert_windows(gc.hazard.work, spell_start, now, c.work_left, mult, c.windows)
        best, dest = spell_start + c.cap_day, (grp.exhaustion.to_group if grp.exhaustion else "other")
        e = -math.log(1.0 - c.uniform(self.streams))
        t = spell_start + gc.hazard.other.invert(now - spell_start, e)
        if t < best:
            best, dest = t, "other"
        for name in gc.dest_names:
            e = -math.log(1.0 - c.uniform(self.streams))
            t = spell_start + gc.hazard.to[name].invert(now - spell_start, e)
            if t < best:
                best, dest = t, name
        c.fixed_exit, c.fixed_dest = best, dest
        rules = self.rules_at(now)
        c.rules = rules
        self._assign_course(c, rules, now, initial)
        c.provider = self._provider_at(c, rules, now)
        c.provider_since = now
        gi = gc.index
        if initial:
            self.recorder.on_start(gi, self.pidx[c.provider])
        else:
            self.recorder.on_entry(now, gi, self.pidx[c.provider], external)
        self._decide_exemption(c, rules, now, initial)
        self._plan(c, rules, now, assume_history=initial)

    def _assign_course(self, c: Citizen, rules: RuleSet, now: float, initial: bool) -> None:
        """The trials (from 2027, 3 years): who runs the first months of a new dagpenge course.

        In the free-choice municipalities (a share of the country, or 1 for one of them) a share of
        the entrants take part and choose the municipality, their a-kasse or another actor; the
        choice may lean on their job chances (selection). Everywhere else the a-kasse runs the
        first months. Outside the trial window nothing changes."""
        c.course_provider = None
        c.course_days = None
        c.trial_arm = None
        tr = rules.trials
        cfg = self.params.scenario.trials
        if tr is None or not cfg.enabled or tr.group != c.g or initial or not self.trial_start <= now < self.trial_end:
            return
        u = c.row[COL_TRIAL]
        if u < cfg.free_choice_share:
            if u / cfg.free_choice_share >= cfg.participation:
                return  # in a free-choice municipality but not in the trial: the ordinary course
            c.trial_arm = "free_choice"
            c.course_provider = self._choose_provider(c, cfg)
        else:
            c.trial_arm = "extended"
            c.course_provider = cfg.outside_provider
        c.course_days = tr.course_days
        price = cfg.price_dkk_per_participant.get(c.course_provider, 0.0)
        self.recorder.on_trial_entry(self.gconst[c.g].index, self.pidx[c.course_provider], c.trial_arm, price)

    def _choose_provider(self, c: Citizen, cfg) -> str:
        """The provider a free-choice participant picks; `selection` > 0 makes citizens with better
        job chances lean to the later options (a-kasse, other actor)."""
        u = float(c.row[COL_PROVIDER_CHOICE])
        if cfg.selection != 0.0:
            z = float(ndtri(c.row[COL_FRAILTY]))
            s = cfg.selection
            u = float(ndtr(s * z + math.sqrt(1.0 - s * s) * float(ndtri(u))))
        cum = 0.0
        names = list(cfg.choice)
        for name in names:
            cum += cfg.choice[name]
            if u < cum:
                return name
        return names[-1]

    def _talk_provider(self, c: Citizen, block, target: float, rules: RuleSet) -> str:
        """Who holds a talk: the block's provider, or in a trial the course provider for the
        a-kasse's talks and for every talk in the first months."""
        if c.course_provider is None:
            return block.provider
        ho = rules.handover
        if (ho is not None and block.provider == ho.from_provider) or target < c.course_days:
            return c.course_provider
        return block.provider

    def _counts_for(self, c: Citizen, talk_provider: str, block_provider: str) -> bool:
        """Whether a talk counts for a block: by its provider, or by anyone in a trial course."""
        return c.course_provider is not None or talk_provider == block_provider

    def _provider_at(self, c: Citizen, rules: RuleSet, now: float) -> str:
        ho = rules.handover
        if c.course_provider is not None:
            return c.course_provider if now - c.spell_start < c.course_days else ho.to_provider
        if ho is not None and ho.group == c.g and now - c.spell_start < ho.day:
            return ho.from_provider
        if ho is not None and ho.group == c.g:
            return ho.to_provider
        return "municipality" if "municipality" in self.pidx else self.providers[0]

    def _decide_exemption(self, c: Citizen, rules: RuleSet, now: float, initial: bool) -> None:
        """Enter a citizen of a pool group in its first months into the pool(s) and decide."""
        ex = rules.exemption
        c.exempt = False
        c.exempt_ak = False
        c.pooled = False
        if c.g not in ex.pool_groups or now - c.spell_start >= ex.pool_window_day:
            return
        c.pooled = not initial
        key = int(c.key)
        leave = c.spell_start + ex.pool_window_day
        row = c.row
        share = self._cap(rules, self.params.scenario.exemption.share)
        wants = self.policy.wants(row[COL_EXEMPTION], row[COL_FRAILTY], row[COL_ASSESSMENT], share)
        c.exempt = self.pool.enter(key, leave, wants)
        if self.akasse_pool is None:
            c.exempt_ak = c.exempt
        else:
            ak_share = self._cap(rules, self.params.scenario.exemption.akasse_share)
            ak_wants = self.policy.wants(row[COL_AKASSE_EXEMPTION], row[COL_FRAILTY], row[COL_AKASSE_EXEMPTION],
                                         ak_share)
            c.exempt_ak = self.akasse_pool.enter(key, leave, ak_wants)

    def _leave_pools(self, c: Citizen) -> None:
        key = int(c.key)
        self._revoke(self.pool.leave(key), "exempt")
        if self.akasse_pool is not None:
            self._revoke(self.akasse_pool.leave(key), "exempt_ak")

    # -- planning -------------------------------------------------------------------------------
    def _applies(self, c: Citizen, applies_to: str) -> bool:
        if applies_to == "all":
            return True
        if applies_to == "under_30":
            return c.under_30
        if applies_to == "over_30":
            return not c.under_30
        return not c.short_absence  # "not_short_absence"

    def _push(self, c: Citizen, day: float, kind: int, payload) -> None:
        c.seq += 1
        heapq.heappush(c.plan, (day, c.seq, kind, payload))

    def _plan(self, c: Citizen, rules: RuleSet, now: float, assume_history: bool = False) -> None:
        """Plan the rest of the spell under `rules`, from `now`, and book its first item.

        A fresh spell's plan depends only on the rule set, the group and a few attributes, so it
        is built once per such combination and reused (relative to the spell start)."""
        s = c.spell_start
        elapsed = now - s
        if elapsed == 0.0 and not assume_history:
            key = (rules.name, c.g, c.exempt, c.exempt_ak, c.under_30, c.short_absence, c.course_provider)
            template = self._templates.get(key)
            if template is None:
                template = self._templates[key] = self._plan_items(c, rules, 0.0, False)
        else:
            template = self._plan_items(c, rules, elapsed, assume_history)
        items, c.first_block = template
        plan = []
        seq = 0
        for rel, kind, static, due_rel in items:
            seq += 1
            day = s + rel
            if kind == ON_REQUEST:
                day = day + -math.log(1.0 - c.uniform(self.streams)) / self.gconst[c.g].on_request_rate
            plan.append((day, seq, kind, (static, s + due_rel) if due_rel is not None else static))
        heapq.heapify(plan)
        c.plan = plan
        c.seq = seq
        self._book_next(c)

    def _plan_items(self, c: Citizen, rules: RuleSet, elapsed: float, assume_history: bool):
        """The items of a plan relative to the spell start: (target, kind, payload, due) in the
        order they are numbered, and the block that holds the first talk.

        Talks and offers already held count against the requirements. For the initial stock,
        whose history before the start date is unknown, `assume_history` takes every contact
        planned before the elapsed time as held."""
        items: list[tuple[float, int, object, float | None]] = []
        s = c.spell_start
        gr = rules.groups.get(c.g)
        pl = self.planning
        first_block = None
        if gr is not None:
            for b in gr.talks:
                if not self._applies(c, b.applies_to):
                    continue
                n = b.count
                exempt = c.exempt_ak if b.provider == "akasse" else c.exempt
                if exempt and b.exemptable:
                    n = 1 if b.first_for_all else 0
                if n == 0:
                    continue
                if first_block is None and b.first_for_all:
                    first_block = b
                first_target = b.from_day + pl.first_talk_target_share * (b.first_deadline - b.from_day)
                last_target = max(first_target, b.to_day - pl.talk_end_margin_days)
                targets = [first_target + k * (last_target - first_target) / (n - 1) if n > 1 else first_target
                           for k in range(n)]
                held = sum(1 for d, p in c.talks
                           if b.from_day <= d - s <= b.to_day and self._counts_for(c, p, b.provider))
                remaining = targets[held:]
                if elapsed > 0:
                    if elapsed >= b.to_day:
                        continue
                    if assume_history:
                        held = sum(1 for t in targets if t < elapsed)
                        remaining = targets[held:]
                    remaining = [max(t, elapsed) for t in remaining]
                for k, t in enumerate(remaining):
                    items.append((t, TALK, (b, held + k == 0, self._talk_provider(c, b, t, rules)), None))
            for o in gr.offers:
                if not self._applies(c, o.applies_to) or (c.exempt and o.exemptable):
                    continue
                due = o.due_day
                while due is not None and due <= elapsed:
                    due = due + o.every_days if o.every_days else None
                if due is None:
                    continue
                prev = due - (o.every_days or o.due_day)
                target = prev + pl.offer_target_share * (due - prev)
                done = any(prev < d - s <= due for d in c.offer_days)
                if done or (assume_history and elapsed > target):
                    continue
                items.append((max(elapsed, target), OFFER, o, due))
            for cl in gr.clarifications:
                if not self._applies(c, cl.applies_to):
                    continue
                due = cl.first_day
                while due is not None and due <= elapsed:
                    due = due + cl.every_days if cl.every_days else None
                if due is not None:
                    items.append((max(elapsed, due - pl.clarification_lead_days), CLARIF, cl, due))
            if self.gconst[c.g].on_request_rate > 0:
                items.append((max(elapsed, gr.as_needed_from_day), ON_REQUEST, None, None))
        ho = rules.handover
        handover_day = c.course_days if c.course_days is not None else (ho.day if ho is not None else 0.0)
        if ho is not None and ho.group == c.g and elapsed < handover_day:
            items.append((handover_day, HANDOVER, ho, None))
        return items, first_block

    def _task_hours(self, c: Citizen, kind: int, payload) -> tuple[str, float, str | None, int]:
        """(provider, hours, joint provider, channel 0 in person / 1 digital) of a plan item."""
        if kind == TALK or kind == ON_REQUEST:
            provider = payload[2] if kind == TALK else c.provider
            if provider == "caseload":
                provider = c.provider
            channel = 1 if c.uniform(self.streams) < self.gconst[c.g].digital_share else 0
            joint = payload[0].joint_with if kind == TALK else None
            return provider, self.talk_hours[channel] * self.talk_time_factor.get(provider, 1.0), joint, channel
        if kind == OFFER:
            return "municipality" if "municipality" in self.pidx else c.provider, self.offer_hours, None, 0
        if kind == CLARIF:
            return payload[0].provider, self.clar_hours, None, 0
        return c.provider, 0.0, None, 0

    def _book_next(self, c: Citizen) -> None:
        """Book the first item of the plan in its provider's ledger (hand-overs need no booking)."""
        if not c.plan:
            c.booking = None
            return
        target, _, kind, payload = c.plan[0]
        if kind == HANDOVER:
            c.booking = (target, None, 0.0, None, 0)
            return
        provider, hours, joint, channel = self._task_hours(c, kind, payload)
        now = self.env.now
        ledger = self.ledgers[provider]
        day = ledger.book(max(target, now), hours)
        deadline = self._deadline(c, kind, payload)
        if day > deadline and target > now:
            # the target's first free day misses the deadline (a holiday week, a full diary):
            # take the earliest free day from today instead, if that is any earlier
            ledger.release(day, hours)
            day = ledger.book(now, hours)
        if joint is not None:
            self.ledgers[joint].book(day, hours)
        c.booking = (float(day), provider, hours, joint, channel)
        if kind == OFFER and self.gconst[c.g].threat_mult != 1.0:
            mult = 1.0 + (self.gconst[c.g].threat_mult - 1.0) * c.need
            self._add_window(c, (max(self.env.now, day - self.threat_days), float(day), mult))

    @staticmethod
    def _deadline(c: Citizen, kind: int, payload) -> float:
        """The legal deadline of a plan item (absolute day); infinite where there is none."""
        if kind == TALK:
            block, first, _ = payload
            return c.spell_start + (block.first_deadline if first else block.to_day)
        if kind == OFFER or kind == CLARIF:
            return payload[1]
        return INF

    def _cancel_booking(self, c: Citizen) -> None:
        if c.booking is not None and c.booking[1] is not None:
            day, provider, hours, joint, _ = c.booking
            self.ledgers[provider].release(int(day), hours)
            if joint is not None:
                self.ledgers[joint].release(int(day), hours)
        c.booking = None

    def _replan(self, c: Citizen) -> None:
        now = self.env.now
        self._cancel_booking(c)
        rules = self.rules_at(now)
        c.rules = rules
        self._plan(c, rules, now)

    # -- contacts and effects ---------------------------------------------------------------------
    def _add_window(self, c: Citizen, window) -> None:
        """Add a window of effect on the job hazard and recompute the job-exit time."""
        now = self.env.now
        gc = self.gconst[c.g]
        grp_mult = self.params.scenario.groups[c.g].short_absence_work_multiplier if c.short_absence else 1.0
        scale = c.frailty * grp_mult
        if now > c.work_t:
            c.work_left -= integrate_windows(gc.hazard.work, c.spell_start, c.work_t, now, scale, c.windows)
            c.work_t = now
        c.windows = [w for w in c.windows if w[1] > now]
        c.windows.append(window)
        c.work_exit = invert_windows(gc.hazard.work, c.spell_start, now, max(c.work_left, 0.0), scale, c.windows)

    def _do_contact(self, c: Citizen) -> None:
        now = self.env.now
        target, _, kind, payload = heapq.heappop(c.plan)
        day, provider, hours, joint, channel = c.booking
        c.booking = None
        gc = self.gconst[c.g]
        gi = gc.index
        rec = self.recorder
        if kind == HANDOVER:
            p_from = self.pidx[c.provider]
            rec.on_provider_days(gi, p_from, now - c.provider_since)
            c.provider_since = now
            c.provider = payload.to_provider
            rec.on_handover(now, gi, p_from, self.pidx[c.provider])
        elif kind == TALK or kind == ON_REQUEST:
            rec.on_task(now, gi, self.pidx[provider], hours, W_TALKS)
            if joint is not None:
                rec.on_task(now, gi, self.pidx[joint], hours, W_TALKS)
            c.talks.append((now, provider))
            if kind == ON_REQUEST:
                self._push(c, now + -math.log(1.0 - c.uniform(self.streams)) / gc.on_request_rate, ON_REQUEST, None)
            mult = 1.0 + (gc.talk_mult * self.provider_talk_mult.get(provider, 1.0) - 1.0) * c.need
            if mult != 1.0:
                self._add_window(c, (now, now + self.talk_days, mult))
        elif kind == OFFER:
            rec.on_task(now, gi, self.pidx[provider], hours, W_OFFERS)
            c.offer_days.append(now)
            u = c.uniform(self.streams)
            ti = next((i for i, cum in enumerate(self.offer_cum) if u < cum), len(self.offer_cum) - 1)
            dur, lock, cost, oevo_cost = self.offer_types[ti]
            rec.on_offer_cost(now, gi, self.pidx[provider], cost, oevo_cost)
            if lock != 1.0:
                self._add_window(c, (now, now + dur, lock))
            if self.after_mult != 1.0 and self.after_days > 0:
                self._add_window(c, (now + dur, now + dur + self.after_days, self.after_mult))
            o, due = payload
            if o.every_days:
                nxt_due = now + o.every_days
                self._push(c, nxt_due - (1 - self.planning.offer_target_share) * o.every_days, OFFER, (o, nxt_due))
        elif kind == CLARIF:
            rec.on_task(now, gi, self.pidx[provider], hours, W_CLARIF)
            cl, due = payload
            c.clar_days.append(now)
            if c.new_entry:
                rec.on_compliance(gi, "clar", now <= due + 1e-9)
                rec.on_rule(cl.kind, gi, now <= due + 1e-9)
            if cl.every_days:
                nd = due + cl.every_days
                self._push(c, nd - self.planning.clarification_lead_days, CLARIF, (cl, nd))
        self._book_next(c)

    # -- leaving ----------------------------------------------------------------------------------
    def _exit(self, c: Citizen, dest: str) -> bool:
        """End the current spell; return True if the citizen goes on in another group."""
        now = self.env.now
        self._cancel_booking(c)
        self._leave_pools(c)
        gi = self.gconst[c.g].index
        moves = dest in self.gidx
        self._evaluate_spell(c, now, to_work=dest == "work")
        self._log_spell(c, now, dest)
        self.recorder.on_provider_days(gi, self.pidx[c.provider], now - c.provider_since)
        self.recorder.on_exit(now, gi, self.pidx[c.provider], c.spell_start, dest == "work",
                              external=not moves, case_start=c.case_start, new_entry=c.new_entry)
        if moves:
            self._start_spell(c, dest, now, external=False, initial=False)
        return moves

    def _log_spell(self, c: Citizen, end: float, dest: str | None) -> None:
        if self.spell_log is None:
            return
        s = c.spell_start
        self.spell_log.append({
            "key": int(c.key), "group": c.g, "start": s, "end": end, "dest": dest, "new_entry": c.new_entry,
            "external": s == c.case_start, "exempt": c.exempt, "under_30": c.under_30,
            "short_absence": c.short_absence, "rules": c.rules.name,
            "talks": [(d - s, p) for d, p in c.talks], "offers": [d - s for d in c.offer_days],
            "trial_arm": c.trial_arm, "course_provider": c.course_provider,
            "clarifications": [d - s for d in c.clar_days],
        })

    def _evaluate_spell(self, c: Citizen, end: float, to_work: bool = False) -> None:
        """Fold the spell's compliance facts into the recorder (new entrants only)."""
        if not c.new_entry:
            return
        rec = self.recorder
        gi = self.gconst[c.g].index
        if c.pooled:
            rec.on_pool(gi, c.exempt)  # exempt as it ended: an exemption lifted to keep the cap counts as none
        if c.trial_arm is not None and c.spell_start + SIX_MONTHS <= self.horizon:
            work6 = to_work and end - c.spell_start <= SIX_MONTHS
            rec.on_trial_outcome(c.trial_arm, self.pidx[c.course_provider], float(ndtri(c.row[COL_FRAILTY])), work6)
        s = c.spell_start
        b = c.first_block
        if b is not None:
            deadline = s + b.first_deadline
            # counted for the citizens still in the spell at the deadline, like every minimum
            if end >= deadline and deadline <= self.horizon:
                first = next((d for d, p in c.talks if self._counts_for(c, p, b.provider) and d - s >= b.from_day),
                             None)
                rec.on_compliance(gi, "first", first is not None and first <= deadline + 1e-9)
        gr = c.rules.groups.get(c.g)
        if gr is None:
            return
        blocks = [x for x in gr.talks if x.to_day <= SIX_MONTHS and self._applies(c, x.applies_to)]
        if blocks:
            last = max(x.to_day for x in blocks)
            if end - s >= last and s + last <= self.horizon:
                met = all(sum(1 for d, p in c.talks if self._counts_for(c, p, x.provider)
                              and x.from_day <= d - s <= x.to_day) >= x.count for x in blocks)
                rec.on_compliance(gi, "cov", met)
        offers = [o for o in gr.offers if o.due_day <= SIX_MONTHS and self._applies(c, o.applies_to)]
        if offers:
            due = min(o.due_day for o in offers)
            if end - s >= due and s + due <= self.horizon:
                rec.on_compliance(gi, "offer", any(d - s <= due for d in c.offer_days))
        # one compliance KPI per legal minimum: the share of the citizens it applies to, still in
        # the spell at its deadline, who got it in time (exempt citizens count as not getting it,
        # which is what the coverage share of the law measures)
        for x in gr.talks:
            if self._applies(c, x.applies_to) and end - s >= x.to_day and s + x.to_day <= self.horizon:
                held = sum(1 for d, p in c.talks
                           if self._counts_for(c, p, x.provider) and x.from_day <= d - s <= x.to_day)
                rec.on_rule(x.kind, gi, held >= x.count)
        for o in gr.offers:
            if self._applies(c, o.applies_to) and end - s >= o.due_day and s + o.due_day <= self.horizon:
                rec.on_rule(o.kind, gi, any(d - s <= o.due_day for d in c.offer_days))

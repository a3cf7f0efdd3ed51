"""The SimPy model: each citizen steps from one planned contact to the next on SimPy's event queue.

A citizen is not a SimPy process but a small wake-up event, called back when it is due
(sim.engine.wakes: the same order of events as a process per citizen, at a fraction of the cost), and
a group's arrivals and an exemption pool's keeper are each one event queued again and again
(sim.engine.arrival_stream, sim.engine.wakes.PoolLook); the rule changes are a SimPy process.

Event ordering (what happens, in what order, on one simulated day):

1. A citizen sleeps until the earliest of: its next booked contact, its exit time,
   the next change of rule set. Ties go to the exit, so a citizen who leaves on the day of a talk
   does not get the talk.
2. On waking for a contact it records the contact (caseworker hours, talk, offer, clarification),
   adds the contact's window of effect on the job hazard and recomputes the job-exit time from
   the budget left. Then it books its next contact in its provider's ledger.
3. On waking for an exit it leaves, or starts a spell in the group it moves to.
4. On a rule change it cancels its booking and plans the rest of its spell under the new rules.

An uneventful spell therefore costs one or two events. The plan of a spell is a heap of items
(target day, sequence, kind, payload); only the first item is booked at a time.

This module holds the processes, the citizens' steps and the glue between them; the domain decisions are plain
functions and small classes beside it, testable without SimPy: the citizen record (citizen),
course planning (planner), who runs a course (providers), the exemption decision (exemption),
what contacts cost and do (contacts), the exit clocks (exits, hazard), the rules in force
(timeline) and the end-of-spell compliance scoring (spell_scoring).
"""

from __future__ import annotations

import gc
import math
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Final

import simpy
from simpy.events import NORMAL, URGENT

from sim.engine.arrival_stream import ArrivalStream
from sim.engine.capacity import Ledger, hours_per_day
from sim.engine.citizen import NONE_YET, Citizen, new_citizen, spell_record
from sim.engine.clarification_clock import next_due, stay_start
from sim.engine.contacts import OfferMix, TaskCosts, group_constants
from sim.engine.event_queue import EventQueue
from sim.engine.exemption import MAIN_FLAG, TALKS, ExemptionPool, Exemptions
from sim.engine.exits import add_window, redraw_fixed_exit, start_exit_clocks
from sim.engine.hazard import INF, WORK
from sim.engine.persons_touched import count_touched_years
from sim.engine.place_tally import PlaceTally
from sim.engine.places import PlaceDraws, places_of
from sim.engine.planner import (
    CLARIF,
    OFFER,
    ON_REQUEST,
    TALK,
    Planner,
    deadline,
    first_item,
    follows_the_case,
    pop_first,
    push,
)
from sim.engine.population import (
    arrivals,
    citizen_attributes,
    external_inflows,
    initial_stock,
    spell_distributions,
)
from sim.engine.providers import FREE_CHOICE, TrialCourses, provider_at, trial_window
from sim.engine.randomness import COL_ROUTING, Streams
from sim.engine.recorder import W_CLARIF, W_OFFERS, W_TALKS, Recorder
from sim.engine.spell_scoring import missed_first_months, score_spell
from sim.engine.stu import StuDraws
from sim.engine.timeline import RuleTimeline
from sim.engine.wakes import CONTACT, EXIT, HANDOVER, INTERRUPT, REPLAN, RESUME, START, PoolLook, Wake
from sim.engine.workdays import WorkingCalendar

STOCK_KEY_BASE: Final = 1 << 50
GROUP_KEY_SHIFT: Final = 40
BOOKING_MARGIN_DAYS: Final = 800


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


# About 560 lines, over the house's ~300: the SimPy processes and the citizens' wake-ups share the
# environment, the ledgers and the recorder, and the per-event methods stay methods so the hot path has no
# extra call layers. The merges of the programmes (closed programmes), the places (tallies by
# municipality), the clarification clock and the managed exemption (reviews at talks, the month-6
# measure) added about 85 lines, and the wake-ups (issue 14: a citizen steps on SimPy's queue without a
# process) about 55 over the generator they replace, the pool keepers' rule for an empty pool about 10, the
# arrival streams, the pools' looks and the release of the citizens at the end (issue 14) about 45 over
# the processes they replace.
# Candidates to move out: the per-place tallying and the exemption reviews (_review,
# _missed_at_month_six) into the exemption module.
class Model:
    """One replication of a scenario."""

    # About 65 lines, over the house's ~40: it wires one replication's parts (streams, calendar, ledgers,
    # rules, recorder, places, exemptions, planner, trials) and binds the hot path's look-ups once; each
    # line is one part, so splitting it would only move the list elsewhere.
    def __init__(self, params, replication: int, seed: int, record_spells: bool = False):
        self.params = params
        # A log of every spell with its contacts, for tests and small studies only: it grows
        # with the number of spells, so the default is off.
        self.spell_log: list[dict] | None = [] if record_spells else None
        sc = params.scenario
        self.streams = Streams(seed, replication)
        self.env = simpy.Environment()
        self.horizon: float = float(sc.horizon_days)
        self.groups = list(sc.groups)
        self.providers = list(sc.capacity.providers)
        self.gidx = {g: i for i, g in enumerate(self.groups)}
        self.pidx = {p: i for i, p in enumerate(self.providers)}
        self.calendar = WorkingCalendar(sc.start_date, int(self.horizon) + BOOKING_MARGIN_DAYS,
                                        sc.calendar.include_customary_closing_days)
        self.ledgers = {
            p: Ledger(self.calendar, None if sc.capacity.unlimited else hours_per_day(params, p, self.calendar))
            for p in self.providers}
        self.timeline = params.timeline()
        rules = RuleTimeline(self.timeline)
        self.switch_days = rules.switch_days
        self.recorder = Recorder(self.groups, self.providers, self.horizon,
                                 premium_min_days=sc.money.job_premium_min_case_weeks * 7.0,
                                 switch_days=[float(d) for d in rules.switch_days])
        self.rules_at = rules.rules_at  # bound once: looked up per wake-up
        self.next_switch = rules.next_switch
        self.places = places_of(sc)
        self.place_draws = PlaceDraws(self.places, self.streams, sc.municipality_effects.job_chance_sd)
        self.stu_draws = StuDraws(sc.stu, self.streams)
        self.exemptions = Exemptions(sc.exemption, rules.first, len(self.places), len(self.places.funds))
        self._pools = self.exemptions.pools()  # (pool, citizen flag), the municipalities' first
        self._pool_quiet_days = min(rs.exemption.pool_window_day for _, rs in self.timeline)
        if self.exemptions.managed:
            self.exemptions.bind(self._missed_at_month_six)
        # reviews only where someone can be exempt (a review uses a contact draw: with share 0 the
        # managed run stays identical to the others)
        self._reassess = self.exemptions.managed and sc.exemption.reassess_at_talks and self.exemptions.may_exempt()
        self.default_provider = sc.capacity.default_provider
        eff = sc.effects
        self.talk_days: float = eff.talk_weeks * 7.0
        self.threat_days: float = eff.threat_weeks * 7.0
        self.need_weight: float = eff.talk_effect_by_need
        self.offer_mix = OfferMix(sc, self.streams)
        self.gconst = group_constants(sc)
        self._exhaustion = {g: grp.exhaustion for g, grp in sc.groups.items()}  # looked up per spell
        self.planning = sc.planning
        self.planner = Planner(sc.planning, {g: gc.on_request_rate for g, gc in self.gconst.items()}, self.streams)
        self._task = TaskCosts(sc, self.gconst, self.streams).task  # bound once: called per booking
        self.provider_talk_mult: dict[str, float] = dict(sc.trials.talk_multiplier)
        self.trials = TrialCourses(sc.trials, trial_window(self.timeline, sc.start_date), self.places.free_choice)
        self.routed = {r.from_group for _, rs in self.timeline for r in rs.routing.routes}
        self.dists = spell_distributions(params.scenario)
        self.inflows = external_inflows(params.scenario.groups, self.dists)
        self.events = 0  # wake-ups of citizen processes
        self.n_processes = 0  # processes the textbook engine would start (a citizen, a group's arrivals)
        self.n_timeouts = 0  # SimPy timeouts yielded (the benchmark's floor repeats these counts)
        self.active: dict[int, Citizen] = {}
        # a citizen's Wake waits in the engine's own calendar beside SimPy's queue, and the engine drives
        # both itself, in SimPy's order (sim.engine.event_queue)
        self.queue = EventQueue(self.env, int(self.horizon) + 1)
        self._wake_callbacks = [self.on_wake]  # shared by every wake-up (see sim.engine.wakes)
        self._arrival_callbacks = [self._arrive]  # shared by the groups' arrival streams
        self._look_callbacks = [self._look_at_pool]  # shared by the pools' keepers
        self._current: Citizen | None = None  # the citizen being stepped (it cannot interrupt itself)
        self.by_place = PlaceTally(len(self.places), len(self.groups), len(self.providers))
        self.closed_moves: dict[str, int] = {}  # group -> moves into a closed programme ignored (the citizen stayed)

    # -- set-up --------------------------------------------------------------------------------
    def run(self) -> Recorder:
        # the collector is off from the first citizen on: creating the initial stock (hundreds of
        # thousands of objects in a national run) set off full collections that walked them all
        with without_gc_pauses():
            self._populate()
            self.queue.run(self.horizon, self)
            self._finish()
            self._release()
        return self.recorder

    def _populate(self) -> None:
        """Launch the initial stock and start the arrivals, the pool keepers and the rule changes."""
        env = self.env
        for g in self.groups:
            gi = self.gidx[g]
            stock = initial_stock(self.params, g, self.streams, STOCK_KEY_BASE + (gi << GROUP_KEY_SHIFT))
            attrs = self.place_draws.label(citizen_attributes(self.params, g, stock.rows), g, "stock", len(stock.keys))
            attrs["stu_end"] = self.stu_draws.end_days(g, "stock", attrs["under_30"], [0.0] * len(stock.keys))
            elapsed = stock.elapsed if stock.elapsed is not None else [0.0] * len(stock.keys)
            for i in range(len(stock.keys)):
                c = new_citizen(stock.keys[i], stock.rows[i], attrs, i, self.need_weight)
                self._enter(c, g, -float(elapsed[i]), False, True)
            self._start_arrivals(g)
            self.n_processes += len(stock.keys) + 1  # the processes of the process-per-citizen engine
        if self.exemptions.may_exempt():
            for pool, flag in self._pools:
                look = PoolLook(pool, flag)
                look.callbacks = self._look_callbacks
                self.queue.schedule(look, URGENT, 0.0)
        if self.switch_days:
            env.process(self._rule_changes())

    # -- the exemption pools ----------------------------------------------------------------------
    def _look_at_pool(self, look: PoolLook) -> None:
        """Take citizens out of the pool when their first months end, exactly when they end, and
        queue the next look (see sim.engine.wakes.PoolLook).

        An empty pool is looked at again after the shortest pool window of the run's rule sets: who
        enters later entered on its spell's first day, so its first months end no earlier. (It was
        looked at every day: in a small run most municipalities' pools are often empty, and those
        looks were a fifth of the run's events at scale 0.005.)"""
        now: float = self.env._now
        pool: ExemptionPool = look.pool
        if look.started:
            self._revoke(pool.expire(now), look.flag)
        look.started = True
        nxt = pool.next_expiry()
        wait = nxt - now if nxt < INF else self._pool_quiet_days
        if now + wait < self.horizon:
            look.callbacks = self._look_callbacks
            self.queue.schedule(look, NORMAL, max(wait, 0.0))

    def _rule_changes(self):
        """On each change of rule set the caps follow the new rules' legal cap."""
        env = self.env
        for day in self.switch_days:
            if day >= self.horizon:
                return
            yield env.timeout(day - env.now)
            for keys, flag in self.exemptions.follow_rules(self.rules_at(day)):
                self._revoke(keys, flag)

    def _revoke(self, keys: list[int], flag: str) -> None:
        """Lift exemptions to keep within the cap: those citizens are planned in again."""
        both = flag == MAIN_FLAG and self.exemptions.one_decision()
        for key in keys:
            c = self.active.get(key)
            if c is None:
                continue
            setattr(c, flag, False)
            if both:
                c.exempt_separate = False
            c.lifted = True
            if c.running:
                if c is not self._current:
                    self.queue.schedule(Wake(c, self._wake_callbacks, INTERRUPT), URGENT, 0.0)
            elif c.proc is not None and self.exemptions.managed:
                # its process ended because nothing was due before the horizon: plan the rest of
                # the spell and let it go on (else a lift near the end of a run would change nothing).
                # Managed runs only for now: the same holds for the other policies' lifts, but
                # fixing it there moves the pinned outputs, so it waits for a deliberate regeneration
                self._replan(c)
                self._resume(c)
                self.n_processes += 1

    def _start_arrivals(self, g: str) -> None:
        """Queue the first arrival of group g (see sim.engine.arrival_stream)."""
        s = ArrivalStream(g, arrivals(self.params, g, self.inflows[g], self.streams, self.gidx[g] << GROUP_KEY_SHIFT))
        if self._refill(s):
            self._queue_arrival(s, self.env.now)

    def _arrive(self, s: ArrivalStream) -> None:
        """An arrival day of the stream has come: the citizens arriving now enter, once the stream's
        next arrival is queued (as the arrivals process did it: its next timeout, then their starts)."""
        now: float = self.env._now
        entering = [self._arrival(s)]
        while self._refill(s) and s.days[s.i] <= now:
            entering.append(self._arrival(s))
        if not s.exhausted():
            self._queue_arrival(s, now)
        for c, (g, day, external, initial) in entering:
            self._enter(c, g, day, external, initial)  # (not *start: a star call goes through Python)

    def _queue_arrival(self, s: ArrivalStream, now: float) -> None:
        self.n_timeouts += 1  # (the arrivals process yielded a timeout here)
        s.callbacks = self._arrival_callbacks
        self.queue.schedule(s, NORMAL, s.days[s.i] - now)

    def _refill(self, s: ArrivalStream) -> bool:
        """Whether the stream has an arrival left: draw its next month batch when the current one is
        used up (the draws of a batch's attributes come from the group's own streams)."""
        g = s.group
        while s.exhausted():
            batch = next(s.batches, None)
            if batch is None:
                return False
            if len(batch.keys) == 0:
                continue
            drawn = self.place_draws.label(citizen_attributes(self.params, g, batch.rows), g, "arrivals",
                                           len(batch.keys))
            drawn["stu_end"] = self.stu_draws.end_days(g, "arrivals", drawn["under_30"], batch.days)
            s.load(batch, {k: v.tolist() for k, v in drawn.items()})
        return True

    def _arrival(self, s: ArrivalStream) -> tuple[Citizen, tuple[str, float, bool, bool]]:
        """The stream's next citizen and the start of its case: the group its routing sends it to."""
        i = s.i
        s.i = i + 1
        day = s.days[i]
        c = new_citizen(s.keys[i], s.rows[i], s.attrs, i, self.need_weight)
        rules = self.rules_at(day)
        g = s.group
        target = rules.routing.destination(g, c.row[COL_ROUTING]) if g in self.routed else g
        if rules.closures:
            target = rules.destination("", target)  # a closed programme takes no new entrants
        self.n_processes += 1
        return c, (target, day, True, False)

    def _finish(self) -> None:
        """Fold in the citizens still in stock at the end of the run, and the pools' record."""
        self.recorder.pool_stats = self.exemptions.stats()
        for c in self.active.values():
            self.recorder.on_censor(self.gidx[c.g], c.spell_start)
            self.recorder.on_provider_days(self.gidx[c.g], self.pidx[c.provider], self.horizon - c.provider_since,
                                           end=self.horizon)
            self.by_place.on_provider_days(c.place, self.gidx[c.g], self.pidx[c.provider],
                                           self.horizon - c.provider_since)
            count_touched_years(self.recorder, c, self.gidx[c.g], len(self.groups), self.horizon, self.horizon)
            score_spell(self.recorder, c, self.gidx[c.g], self.horizon, self.horizon, self.pidx)
            self._log_spell(c, self.horizon, None)

    def _release(self) -> None:
        """Let go of the citizens once the run is folded in (the run is over: run() is called once).

        Why: the output tables are built next, and they should reuse the citizens' memory rather than
        add to a national run's peak. A citizen and its wake-up refer to each other, so that link is
        cut and reference counting frees both at once, without a collection; the wake-ups still
        queued past the horizon go with them."""
        for c in self.active.values():
            c.proc = None
        self.active.clear()
        self.queue.clear()

    # -- a citizen's life ------------------------------------------------------------------------
    def _enter(self, c: Citizen, g: str, spell_start: float, external: bool, initial: bool) -> None:
        """A new citizen's case starts now in group g: its first spell, then its step loop.

        Done at once, where a START wake-up used to be queued (urgent, at no delay) and come next:
        the initial stock enters in the order the wake-ups came (nothing came between them), and
        an arrival as sim.engine.arrival_stream says."""
        w = Wake(c, self._wake_callbacks, START)
        c.proc = w
        c.running = True
        self._current = c
        c.case_start = spell_start
        self.active[c.key] = c
        self._start_spell(c, g, spell_start, external=external, initial=initial)
        self._step_on(c, w)
        self._current = None

    def _resume(self, c: Citizen) -> None:
        """Start the citizen's step loop again today, first among today's normal events, as SimPy
        starts a process: its case goes on where it stands (its loop had ended with nothing left
        before the horizon, and a lifted exemption gave it work again: see _revoke)."""
        w = Wake(c, self._wake_callbacks, RESUME)
        c.proc = w
        c.running = True
        self.queue.schedule(w, URGENT, 0.0)

    def on_wake(self, w: Wake) -> None:
        """SimPy calls this when a citizen's wake-up comes: do what it woke for, then step on."""
        c = w.citizen
        if c is None:
            return  # an interrupt replaced this wake-up while the citizen slept
        what = w.what
        self._current = c
        if what < START:  # what it slept towards: a contact, its exit, a rule change or its hand-over
            self.events += 1
            if not self._handle(c, what):
                self._current = None
                return
        elif what == INTERRUPT:
            if not c.running:
                self._current = None
                return  # its loop has ended: nothing to interrupt (SimPy ignores a dead process too)
            # the exemption was lifted: drop the wake-up it slept towards, plan the rest of the spell
            # with the full rules
            c.proc.citizen = None
            c.proc = w
            self._replan(c)
        self._step_on(c, w)
        self._current = None

    def _leave(self, c: Citizen) -> None:
        """The citizen has left for good: its loop ends, and it lets go of its wake-up, which points
        back at it (a cycle the garbage collector, off during a run, would not break)."""
        del self.active[c.key]
        c.running = False
        c.proc = None

    def _step_on(self, c: Citizen, w: Wake) -> None:
        """Do everything due today, then schedule the citizen's next wake-up: the earliest of its
        booked contact, its exit, the next change of rule set and its hand-over (ties go in that
        order); or end its loop if that is after the horizon (still in stock: _finish folds it in)."""
        env = self.env
        horizon = self.horizon
        switches = bool(self.switch_days)
        next_switch = self.next_switch
        while True:
            now: float = env._now  # (SimPy's `now` is a Python property: a frame per read)
            wake = c.booked_day
            work_exit, fixed_exit = c.work_exit, c.fixed_exit
            exit_day = work_exit if work_exit < fixed_exit else fixed_exit
            if exit_day < wake:
                wake = exit_day
            switch = next_switch(now) if switches else INF
            if switch < wake:
                wake = switch
            handover = c.handover_day
            if handover < wake:
                wake = handover
            if wake >= horizon:
                c.running = False
                return
            if exit_day <= wake:
                what = EXIT
            elif switch <= wake:
                what = REPLAN
            elif handover <= wake:
                what = HANDOVER
            else:
                what = CONTACT
            if wake > now:
                self.n_timeouts += 1
                w.what = what
                w.callbacks = self._wake_callbacks
                self.queue.schedule(w, NORMAL, wake - now)
                return
            self.events += 1
            if not self._handle(c, what):
                return

    def _handle(self, c: Citizen, what: int) -> bool:
        """Do what the citizen woke for (CONTACT, EXIT, REPLAN or HANDOVER); False if it left for good."""
        if what == CONTACT:
            self._do_contact(c)
        elif what == EXIT:
            if not self._exit(c, WORK if c.work_exit < c.fixed_exit else c.fixed_dest):
                self._leave(c)
                return False
        elif what == REPLAN:
            self._replan(c)
        else:
            self._hand_over(c)
        return True

    def _start_spell(self, c: Citizen, g: str, spell_start: float, external: bool, initial: bool) -> None:
        gc = self.gconst[g]
        moved_in = not initial and not external
        now = max(spell_start, 0.0)
        rules = self.rules_at(now)
        # the clarification clock: a move inside the cash-benefit system keeps the stay's start
        c.cash_start = stay_start(rules, c.g if moved_in else None, g, c.cash_start if moved_in else None,
                                  spell_start)
        c.g = g
        c.spell_start = spell_start
        c.new_entry = not initial
        c.windows = c.talk_log = c.offer_days = c.clar_days = c.clar_dues = NONE_YET
        c.seq = 0
        c.booked_day = INF
        start_exit_clocks(c, gc.hazard, gc.short_absence_mult, self._exhaustion[g], now, self.streams,
                          moved_in=moved_in)
        c.rules = rules
        trial = self.trials.assign(c, rules, now, initial)
        if trial is not None:
            arm, course_provider = trial
            self.recorder.on_trial_entry(gc.index, self.pidx[course_provider], arm, self.trials.price(course_provider))
            self.by_place.on_trial_entry(c.place, gc.index, self.pidx[course_provider], arm == FREE_CHOICE)
        c.provider = provider = provider_at(c, rules, now, self.default_provider)
        c.provider_since = now
        if initial:
            self.recorder.on_start(gc.index, self.pidx[provider])
        else:
            self.recorder.on_entry(now, gc.index, self.pidx[provider], external)
        c.lifted = False
        key = int(c.key)
        exemptions = self.exemptions
        c.exempt, c.exempt_separate, c.pooled = exemptions.decide(key, g, spell_start, c.row, rules,
                                                                  now, initial, c.place, c.fund)
        c.exempt_offer = exemptions.decide_offers(key, g, spell_start, c.row, rules, now, c.place)
        self.planner.plan(c, rules, now, assume_history=initial)
        self._book_next(c)

    # -- booking -------------------------------------------------------------------------------
    def _book_next(self, c: Citizen) -> None:
        """Book the first item of the plan in its provider's ledger."""
        first = first_item(c)
        if first is None:
            c.booked_day = INF
            return
        target, _, kind, payload = first
        provider, hours, joint, _ = self._task(c, kind, payload)
        now: float = self.env._now
        ledger = self.ledgers[provider]
        day = ledger.book(max(target, now), hours)
        if target > now and day > deadline(c, kind, payload):  # deadline() only when it can matter
            # the target's first free day misses the deadline (a holiday week, a full diary):
            # take the earliest free day from today instead, if that is any earlier
            ledger.release(day, hours)
            day = ledger.book(now, hours)
        if joint is not None:
            self.ledgers[joint].book(day, hours)
        c.booked_day = float(day)
        c.booked_provider = provider
        c.booked_hours = hours
        c.booked_joint = joint
        if kind == OFFER:
            gc = self.gconst[c.g]
            if gc.threat_mult != 1.0:
                mult = 1.0 + (gc.threat_mult - 1.0) * c.need
                add_window(c, (max(now, day - self.threat_days), float(day), mult), now, gc.hazard.work,
                           gc.short_absence_mult)

    def _cancel_booking(self, c: Citizen) -> None:
        if c.booked_day < INF:
            day = int(c.booked_day)
            self.ledgers[c.booked_provider].release(day, c.booked_hours)
            if c.booked_joint is not None:
                self.ledgers[c.booked_joint].release(day, c.booked_hours)
        c.booked_day = INF

    def _replan(self, c: Citizen) -> None:
        now: float = self.env._now
        self._cancel_booking(c)
        rules = self.rules_at(now)
        c.rules = rules
        self.planner.plan(c, rules, now)
        self._book_next(c)

    # -- contacts and effects ---------------------------------------------------------------------
    def _do_contact(self, c: Citizen) -> None:
        now: float = self.env._now
        target, _, kind, payload = pop_first(c)
        assert c.booked_day < INF  # it woke for this booked contact
        provider, hours, joint = c.booked_provider, c.booked_hours, c.booked_joint
        c.booked_day = INF
        gc = self.gconst[c.g]
        gi = gc.index
        rec = self.recorder
        pi = self.pidx[provider]
        if kind == TALK or kind == ON_REQUEST:
            rec.on_task(now, gi, pi, hours, W_TALKS)
            self.by_place.on_task(c.place, gi, pi, hours)
            if joint is not None:
                rec.on_task(now, gi, self.pidx[joint], hours, W_TALKS)
                self.by_place.on_task(c.place, gi, self.pidx[joint], hours)
            c.add_talk(now, provider)
            if kind == ON_REQUEST:
                push(c, now + -math.log(1.0 - c.contact_uniform(self.streams)) / gc.on_request_rate, ON_REQUEST, None)
            mult = 1.0 + (gc.talk_mult * self.provider_talk_mult.get(provider, 1.0) - 1.0) * c.need
            if mult != 1.0:
                add_window(c, (now, now + self.talk_days, mult), now, gc.hazard.work, gc.short_absence_mult)
            if self._reassess and self._review(c, now):
                self._replan(c)  # the review changed an exemption: plan the rest of the spell anew
                return
        elif kind == OFFER:
            rec.on_task(now, gi, pi, hours, W_OFFERS)
            self.by_place.on_task(c.place, gi, pi, hours)
            cost, oevo_cost = self.offer_mix.start(c, now, gc, payload)
            rec.on_offer_cost(now, gi, pi, cost, oevo_cost)
        elif kind == CLARIF:
            rec.on_task(now, gi, pi, hours, W_CLARIF)
            self.by_place.on_task(c.place, gi, pi, hours)
            cl, due = payload
            # (new lists: a spell has a few clarifications at most) scored at the spell's end, over the
            # citizens still in it when due
            c.clar_days, c.clar_dues = [*c.clar_days, now], [*c.clar_dues, due]
            nd = next_due(c, cl, due)
            if nd is not None:
                push(c, nd - self.planning.clarification_lead_days, CLARIF, (cl, nd))
        self._book_next(c)

    def _review(self, c: Citizen, now: float) -> bool:
        """The managed municipality reviews the citizen's exemptions at a talk (see
        Exemptions.reassess); True if a flag changed. Only citizens of a pool are reviewed, so only
        they use a contact draw for it."""
        if int(c.key) not in self.exemptions.place_pools[c.place].members:
            return False
        changes = self.exemptions.reassess(int(c.key), c.row, c.contact_uniform(self.streams), c.rules, now,
                                           c.place)
        for flag, value in changes:
            setattr(c, flag, value)
            if not value:
                c.lifted = True
        return bool(changes)

    def _missed_at_month_six(self, key: int, what: int) -> bool:
        """Whether a citizen reaching month 6 in its pool missed the minimum (the talks or the offer)
        as the law measures it; for the initial stock, whose earlier contacts are unknown, whether it
        is exempt."""
        c = self.active[key]
        if not c.new_entry:
            offer_exempt = c.exempt if c.exempt_offer is None else c.exempt_offer
            return c.exempt if what == TALKS else offer_exempt
        talks, offer = missed_first_months(c, self.env._now)
        return talks if what == TALKS else offer

    def _hand_over(self, c: Citizen) -> None:
        """The case passes to the hand-over's to_provider today. A booked talk that goes with the
        case (on request, or held by whoever holds it) moves to the new holder's diary."""
        now: float = self.env._now
        assert c.handover_day < INF  # it woke for this hand-over
        rule = c.handover_rule
        c.handover_day, c.handover_rule = INF, None
        gi = self.gconst[c.g].index
        p_from = self.pidx[c.provider]
        self.recorder.on_provider_days(gi, p_from, now - c.provider_since, end=now)
        self.by_place.on_provider_days(c.place, gi, p_from, now - c.provider_since)
        old = c.provider
        c.provider_since = now
        c.provider = rule.to_provider
        self.recorder.on_handover(now, gi, p_from, self.pidx[c.provider])
        if c.booked_day < INF and c.booked_provider == old and follows_the_case(first_item(c)):
            self._cancel_booking(c)
            self._book_next(c)

    # -- leaving ----------------------------------------------------------------------------------
    def _exit(self, c: Citizen, dest: str) -> bool:
        """End the current spell; return True if the citizen goes on (in another group, or in the
        same one when the move it drew leads into a closed programme)."""
        now: float = self.env._now
        rules = self.rules_at(now)
        if rules.closures and dest in self.gidx:
            dest = rules.destination(c.g, dest)
            if dest == c.g:
                grp = self.params.scenario.groups[c.g]
                redraw_fixed_exit(c, self.gconst[c.g].hazard, grp.exhaustion, now, self.streams)
                self.closed_moves[c.g] = self.closed_moves.get(c.g, 0) + 1
                return True
        self._cancel_booking(c)
        key = int(c.key)
        for keys, flag in self.exemptions.leave(key, c.place, c.fund):
            if keys:  # nothing to lift is the usual case
                self._revoke(keys, flag)
        gi = self.gconst[c.g].index
        moves = dest in self.gidx
        rec = self.recorder
        to_work = dest == WORK
        score_spell(rec, c, gi, now, self.horizon, self.pidx, to_work=to_work)
        if self.spell_log is not None:
            self._log_spell(c, now, dest)
        pi = self.pidx[c.provider]
        days = now - c.provider_since
        rec.on_provider_days(gi, pi, days, end=now)
        self.by_place.on_provider_days(c.place, gi, pi, days)
        count_touched_years(rec, c, self.gidx[c.g], len(self.groups), now, self.horizon)
        rec.on_exit(now, gi, pi, c.spell_start, to_work, external=not moves, case_start=c.case_start,
                    new_entry=c.new_entry)
        if moves:
            self._start_spell(c, dest, now, external=False, initial=False)
        return moves

    def _log_spell(self, c: Citizen, end: float, dest: str | None) -> None:
        if self.spell_log is not None:
            self.spell_log.append(spell_record(c, end, dest))

"""Unit tests of the engine's domain pieces, without a SimPy environment.

Every expected value is worked out by hand from the numbers of the rule-set files and the national
default scenario (quoted in the comments), not by running the code under test: course planning,
deadlines, who runs a course and holds a talk, the exemption decision at the cap, the routing of
entrants, the trial assignment, the end-of-spell compliance scoring, the exit draw, task costs.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

import sim
from sim.engine.citizen import NONE_YET, Citizen, new_citizen, talk_need
from sim.engine.contacts import DAYS_PER_MONTH, OfferMix, TaskCosts, group_constants
from sim.engine.exemption import ExemptionPool, Exemptions
from sim.engine.hazard import INF, OTHER, GroupHazard, Piecewise, fixed_exit
from sim.engine.planner import (
    HANDOVER,
    OFFER,
    ON_REQUEST,
    TALK,
    Planner,
    deadline,
    first_item,
    plan_items,
    pop_first,
    push,
    talk_targets,
)
from sim.engine.providers import (
    EXTENDED,
    FREE_CHOICE,
    TrialCourses,
    choose_provider,
    counts_for,
    provider_at,
    talk_provider,
    talks_held,
)
from sim.engine.randomness import (
    COL_EXEMPTION,
    COL_PROVIDER_CHOICE,
    COL_SEPARATE_EXEMPTION,
    COL_TRIAL,
    FIRST_CONTACT,
    ROW_WIDTH,
    Streams,
)
from sim.engine.spell_scoring import score_spell
from sim.engine.timeline import RuleTimeline
from sim.inputs.rules import CURRENT_PROVIDER, Routing, RuleSet
from sim.inputs.schema import Exemption


@pytest.fixture(scope="module")
def params():
    return sim.load_params()  # national default: reform_2027, planning defaults 0.5 / 14 / 0.6 / 14


@pytest.fixture(scope="module")
def r27(params) -> RuleSet:
    return params.rule_sets["reform_2027"]


@pytest.fixture(scope="module")
def pre():
    return sim.load_params(overrides={"rules": "pre_reform", "exemption.share": 0.0}).rule_sets["pre_reform"]


def uniforms(cols: dict[int, float] | None = None) -> np.ndarray:
    """A citizen's row of uniforms: 0.5 everywhere but in `cols`."""
    r = np.full(ROW_WIDTH, 0.5)
    for col, u in (cols or {}).items():
        r[col] = u
    return r


def citizen(group: str, spell_start: float = 0.0, row: dict[int, float] | None = None, **fields) -> Citizen:
    """A citizen record as the model would hold it at the start of a spell."""
    r = uniforms(row)
    attrs = {"frailty": [1.0], "under_30": [False], "short_absence": [False], "cap_day": [INF]}
    c = new_citizen(7, r, attrs, 0, need_weight=0.0)
    c.g, c.spell_start, c.case_start, c.new_entry = group, spell_start, spell_start, True
    c.talk_log = NONE_YET
    c.offer_days, c.clar_days, c.clar_dues, c.plan, c.seq, c.windows = [], [], [], [], 0, []
    c.request_day, c.request_seq = math.inf, 0
    c.first_block = None
    for day, provider in fields.pop("talks", []):
        c.add_talk(day, provider)
    for k, v in fields.items():
        setattr(c, k, v)
    return c


def planner(params, rate_per_month: float = 0.3) -> Planner:
    return Planner(params.scenario.planning, {g: rate_per_month / DAYS_PER_MONTH for g in params.scenario.groups},
                   Streams(1, 0))


def _talks(items):
    return [(round(t, 6), payload[2], payload[1]) for t, kind, payload, _ in items if kind == TALK]


# -- course planning ----------------------------------------------------------------------------------

def test_talk_targets_first_mid_window_last_two_weeks_before_the_end(r27, params):
    """jobparat 2027: 4 talks in [0, 182], first by day 14. First aimed at 0.5 × 14 = 7, last at
    182 - 14 = 168, the middle two evenly between: 7 + 161/3 = 60.667 and 7 + 322/3 = 114.333."""
    block = r27.groups["jobparat"].talks[0]
    assert talk_targets(block, 4, params.scenario.planning) == pytest.approx([7.0, 60.666667, 114.333333, 168.0])
    assert talk_targets(block, 1, params.scenario.planning) == [7.0]


def test_plan_of_a_new_jobparat_citizen_under_reform_2027(r27, params):
    """4 municipality talks (7, 60.67, 114.33, 168), the 6-month offer aimed at 0.6 × 182 = 109.2,
    talks on request from day 182; no hand-over in jobparat."""
    items, first_block = planner(params).items(citizen("jobparat"), r27, 0.0, False)
    assert _talks(items) == [(7.0, "municipality", True), (60.666667, "municipality", False),
                             (114.333333, "municipality", False), (168.0, "municipality", False)]
    offers = [(t, due) for t, kind, _, due in items if kind == OFFER]
    assert offers == [(pytest.approx(109.2), 182.0)]
    assert [t for t, kind, _, _ in items if kind == ON_REQUEST] == [182.0]
    assert not [1 for _, kind, _, _ in items if kind == HANDOVER]
    assert first_block is r27.groups["jobparat"].talks[0]


def test_exempt_jobparat_citizen_gets_only_the_first_talk_and_no_offer(r27, params):
    items, _ = planner(params).items(citizen("jobparat", exempt=True), r27, 0.0, False)
    assert _talks(items) == [(7.0, "municipality", True)]
    assert not [1 for _, kind, _, _ in items if kind == OFFER]


def test_plan_of_a_new_dagpenge_citizen_hands_over_on_day_91(r27, params):
    """a-kasse 2 talks in [0, 91], first by 14: 7 and 91 - 14 = 77; municipality 2 in [91, 182]
    (no earlier first deadline): 91 + 0.5 × 91 = 136.5 and 168; the 16-month talk in [455, 487]:
    455 + 0.5 × 32 = 471; hand-over on day 91."""
    items, first_block = planner(params).items(citizen("dagpenge"), r27, 0.0, False)
    assert _talks(items) == [(7.0, "akasse", True), (77.0, "akasse", False), (136.5, "municipality", True),
                             (168.0, "municipality", False), (471.0, "municipality", True)]
    assert [(t, payload.to_provider) for t, kind, payload, _ in items if kind == HANDOVER] == [(91.0, "municipality")]
    assert first_block.provider == "akasse"


def test_separate_exemption_lifts_only_the_separate_providers_talks(r27, params):
    """The rule set names the a-kasse as deciding separately: its decision halves the a-kasse block
    (first talk kept), the municipality's block stays at 2 talks."""
    assert r27.exemption.separate_provider == "akasse"
    items, _ = planner(params).items(citizen("dagpenge", exempt=False, exempt_separate=True), r27, 0.0, False)
    assert [p for _, p, _ in _talks(items)] == ["akasse", "municipality", "municipality", "municipality"]


def test_trial_course_moves_the_akasse_talks_and_the_handover(r27, params):
    """A trial course run by "other" for 122 days holds the a-kasse's talks; the hand-over comes on
    day 122 instead of 91; the municipality's talks (136.5, 168) stay with the municipality."""
    c = citizen("dagpenge", course_provider="other", course_days=122.0, trial_arm=FREE_CHOICE)
    items, _ = planner(params).items(c, r27, 0.0, False)
    assert [p for _, p, _ in _talks(items)] == ["other", "other", "municipality", "municipality", "municipality"]
    assert [t for t, kind, _, _ in items if kind == HANDOVER] == [122.0]


def test_replan_mid_spell_skips_held_talks_and_past_windows(r27, params):
    """On day 100 of a jobparat spell with talks held on days 7 and 60: the remaining two targets
    114.33 and 168 are kept; the first of them is not the block's first talk."""
    c = citizen("jobparat", spell_start=50.0, talks=[(57.0, "municipality"), (110.0, "municipality")])
    items, _ = planner(params).items(c, r27, 100.0, False)
    assert _talks(items) == [(114.333333, "municipality", False), (168.0, "municipality", False)]
    # after the block's end nothing of it is planned
    items, _ = planner(params).items(c, r27, 183.0, False)
    assert _talks(items) == []
    # the initial stock's unknown history: the talks aimed before day 100 count as held
    stock = citizen("jobparat", spell_start=-100.0)
    items, _ = planner(params).items(stock, r27, 100.0, True)
    assert _talks(items) == [(114.333333, "municipality", False), (168.0, "municipality", False)]
    # an offer aimed before day 100 (109.2 is not) is assumed started; at day 110 it is
    assert [t for t, kind, _, _ in items if kind == OFFER] == [pytest.approx(109.2)]
    items, _ = planner(params).items(stock, r27, 110.0, True)
    assert [t for t, kind, _, _ in items if kind == OFFER] == []


def test_plan_dates_items_from_the_spell_start_and_draws_the_talk_on_request(r27, params):
    """Spell start 100: the first talk on 107; the talk on request at 100 + 182 + an exponential
    wait with the citizen's next contact uniform 0.5: ln 2 / (0.3 / 30.44) = 70.33 days."""
    c = citizen("jobparat", spell_start=100.0, row={FIRST_CONTACT: 0.5})
    planner(params).plan(c, r27, 100.0)
    first = first_item(c)
    assert first is not None and first[0] == pytest.approx(107.0) and first[2] == TALK
    items = plan_items(c)
    on_request = [day for day, _, kind, _ in items if kind == ON_REQUEST]
    assert on_request == [pytest.approx(282.0 + math.log(2.0) / (0.3 / (365.25 / 12)))]
    offer = next(p for _, _, kind, p in items if kind == OFFER)
    assert offer[1] == 282.0  # the due day, absolute
    assert c.seq == len(items) == 6


def test_the_talk_on_request_beside_the_heap_keeps_the_heaps_order():
    """The plan's items come out of first_item/pop_first in the order one heap of (day, sequence) tuples
    gives them, the talk on request included, ties on the day broken by the sequence number both ways
    (compared with heapq over the same items, by hand)."""
    import heapq

    c = citizen("jobparat")
    push(c, 50.0, OFFER, ("offer", 60.0))        # seq 1
    push(c, 40.0, ON_REQUEST, None)             # seq 2: before the offer
    push(c, 40.0, TALK, ("block", True, "x"))   # seq 3: the same day as the request, numbered after it
    push(c, 30.0, TALK, ("block", False, "x"))  # seq 4: first of all
    reference = [(50.0, 1, OFFER, ("offer", 60.0)), (40.0, 2, ON_REQUEST, None),
                 (40.0, 3, TALK, ("block", True, "x")), (30.0, 4, TALK, ("block", False, "x"))]
    assert sorted(plan_items(c)) == sorted(reference)
    heapq.heapify(reference)
    taken = []
    while (head := first_item(c)) is not None:
        item = pop_first(c)
        assert item == head
        taken.append(item)
        if item[1] == 2:  # the talk on request is held: plan the next (seq 5), before the offer's day
            push(c, 45.0, ON_REQUEST, None)
            heapq.heappush(reference, (45.0, 5, ON_REQUEST, None))
    expected = [heapq.heappop(reference) for _ in range(len(reference))]
    assert [(d, s) for d, s, _, _ in taken] == [(30.0, 4), (40.0, 2), (40.0, 3), (45.0, 5), (50.0, 1)]
    assert taken == expected
    assert c.plan == () and plan_items(c) == []  # an emptied plan holds no list
    # the other tie: the heap's item numbered before the request on the same day comes first
    c = citizen("jobparat")
    push(c, 40.0, TALK, ("block", True, "x"))   # seq 1
    push(c, 40.0, ON_REQUEST, None)             # seq 2
    assert pop_first(c)[2] == TALK and pop_first(c)[2] == ON_REQUEST and first_item(c) is None


def test_deadlines_of_plan_items(r27):
    """Spell start 100: the a-kasse block's first talk by 100 + 14, its others by 100 + 91; an
    offer by its due day; a hand-over has none."""
    c = citizen("dagpenge", spell_start=100.0)
    akasse = r27.groups["dagpenge"].talks[0]
    assert deadline(c, TALK, (akasse, True, "akasse")) == 114.0
    assert deadline(c, TALK, (akasse, False, "akasse")) == 191.0
    assert deadline(c, OFFER, (r27.groups["dagpenge"].offers[0], 282.0)) == 282.0
    assert deadline(c, HANDOVER, r27.handover) == INF


# -- providers ----------------------------------------------------------------------------------------

def test_provider_at_follows_the_handover_and_a_trial_course(r27):
    """Hand-over on day 91 (the day itself is the municipality's); a trial course of 122 days runs
    until day 122; jobparat has no hand-over and gets the scenario's default provider."""
    plain = citizen("dagpenge")
    assert [provider_at(plain, r27, d, "dflt") for d in (0.0, 90.9, 91.0, 200.0)] == \
        ["akasse", "akasse", "municipality", "municipality"]
    trial = citizen("dagpenge", course_provider="other", course_days=122.0)
    assert [provider_at(trial, r27, d, "dflt") for d in (0.0, 91.0, 121.9, 122.0, 200.0)] == \
        ["other", "other", "other", "municipality", "municipality"]
    assert provider_at(citizen("jobparat"), r27, 0.0, "dflt") == "dflt"
    late = citizen("dagpenge", spell_start=-150.0)  # initial stock, 150 days into the spell
    assert provider_at(late, r27, 0.0, "dflt") == "municipality"


def test_talk_provider_in_a_trial(r27):
    mun = r27.groups["dagpenge"].talks[1]  # municipality, [91, 182]
    trial = citizen("dagpenge", course_provider="other", course_days=122.0)
    assert talk_provider(trial, mun, 121.0, r27.handover) == "other"
    assert talk_provider(trial, mun, 122.0, r27.handover) == "municipality"
    assert talk_provider(citizen("dagpenge"), mun, 100.0, r27.handover) == "municipality"


def test_counts_for_and_talks_held_windows_are_inclusive(r27):
    """Municipality block [91, 182]: talks on spell days 91 and 182 count, 90 and 183 do not, nor
    an a-kasse talk; in a trial course any provider's talk counts."""
    mun = r27.groups["dagpenge"].talks[1]
    talks = [(10.0 + d, p) for d, p in [(90.0, "municipality"), (91.0, "municipality"), (120.0, "akasse"),
                                        (182.0, "municipality"), (183.0, "municipality")]]
    assert talks_held(citizen("dagpenge", spell_start=10.0, talks=talks), mun) == 2
    assert talks_held(citizen("dagpenge", spell_start=10.0, talks=talks, course_provider="other"), mun) == 3
    assert counts_for(citizen("dagpenge"), "akasse", "akasse")
    assert not counts_for(citizen("dagpenge"), "municipality", "akasse")
    assert counts_for(citizen("dagpenge", course_provider="other"), "other", "akasse")


def test_trial_assignment_by_the_citizens_draws(r27):
    """With a national share (trials.free_choice_share 0.235): free choice in 23.5 % of the
    country, 25.4 % of its entrants take part; choice shares municipality 0.35, akasse 0.5, other
    0.15; the outside provider is the a-kasse. u_trial 0.05: 0.05 / 0.235 = 0.213 < 0.254 takes
    part; 0.1: 0.426, does not; 0.5: outside."""
    shared = sim.load_params(overrides={"trials.free_choice_share": 0.235})
    trials = TrialCourses(shared.scenario.trials, (0.0, 1096.0))
    c = citizen("dagpenge", row={COL_TRIAL: 0.05, COL_PROVIDER_CHOICE: 0.84}, place=0)
    assert trials.assign(c, r27, 0.0, initial=False) == (FREE_CHOICE, "akasse")
    assert (c.course_provider, c.course_days, c.trial_arm) == ("akasse", 122.0, FREE_CHOICE)
    assert trials.assign(citizen("dagpenge", row={COL_TRIAL: 0.1}, place=0), r27, 0.0, initial=False) is None
    assert trials.assign(citizen("dagpenge", row={COL_TRIAL: 0.5}, place=0), r27, 0.0, initial=False) == \
        (EXTENDED, "akasse")
    assert trials.assign(citizen("dagpenge", row={COL_TRIAL: 0.5}, place=0), r27, 1096.0, initial=False) is None
    assert trials.assign(citizen("dagpenge", row={COL_TRIAL: 0.5}, place=0), r27, 0.0, initial=True) is None
    assert trials.assign(citizen("jobparat", row={COL_TRIAL: 0.5}, place=0), r27, 0.0, initial=False) is None


def test_trial_assignment_by_place(params, r27):
    """By place (the default): the citizen's municipality decides the arm, and the trial draw alone
    decides participation there: u_trial 0.2 < 0.254 takes part in a free-choice place (0), 0.3
    does not; in a place without free choice (1) every entrant gets the extended a-kasse course."""
    assert params.scenario.trials.free_choice_share is None
    trials = TrialCourses(params.scenario.trials, (0.0, 1096.0), free_choice_places=(True, False))
    free = citizen("dagpenge", row={COL_TRIAL: 0.2, COL_PROVIDER_CHOICE: 0.1}, place=0)
    assert trials.assign(free, r27, 0.0, initial=False) == (FREE_CHOICE, "municipality")
    assert trials.assign(citizen("dagpenge", row={COL_TRIAL: 0.3}, place=0), r27, 0.0, initial=False) is None
    assert trials.assign(citizen("dagpenge", row={COL_TRIAL: 0.2}, place=1), r27, 0.0, initial=False) == \
        (EXTENDED, "akasse")


def test_choose_provider_splits_the_unit_interval_in_order():
    choice = {"municipality": 0.35, "akasse": 0.5, "other": 0.15}
    assert [choose_provider(u, 0.5, choice, 0.0) for u in (0.0, 0.349, 0.35, 0.849, 0.851, 0.999)] == \
        ["municipality", "municipality", "akasse", "akasse", "other", "other"]
    # full selection: the choice follows the job-chance draw, Φ(1 · Φ⁻¹(0.9) + 0) = 0.9 -> other
    assert choose_provider(0.5, 0.9, choice, 1.0) == "other"
    assert choose_provider(0.5, 0.1, choice, 1.0) == "municipality"


# -- the exemption decision ---------------------------------------------------------------------------

def test_exemption_at_the_cap_of_a_quarter(r27):
    """Everyone wants an exemption (u 0.1 < 0.25): the k-th entrant is exempt only if
    exempt + 1 <= 0.25 k, so entrants 4 and 8 are, the others not."""
    ex = Exemptions(Exemption(share=0.25, policy="random"), r27)
    row = uniforms({COL_EXEMPTION: 0.1})
    decisions = [ex.decide(k, "jobparat", 0.0, row, r27, 0.0, initial=False)[0] for k in range(1, 9)]
    assert [k for k, d in zip(range(1, 9), decisions) if d] == [4, 8]
    assert ex.pool.n_exempt == 2 and len(ex.pool) == 8
    assert ex.follow_rules(r27) == [([], "exempt")]  # the same cap: nothing to lift
    # a 9th entrant who does not want it (u 0.9) dilutes the pool; then #4 leaves: 1 of 8 <= 2
    assert not ex.decide(9, "jobparat", 0.0, uniforms({COL_EXEMPTION: 0.9}), r27, 0.0, initial=False)[0]
    assert ex.pool.leave(4) == [] and ex.pool.n_exempt == 1


def test_exemption_cap_changes_with_the_rules(r27, pre):
    ex = Exemptions(Exemption(share=0.25, policy="random"), r27)
    for k in range(1, 9):
        ex.decide(k, "dagpenge", 0.0, uniforms({COL_EXEMPTION: 0.1}), r27, 0.0, initial=False)
    # the law's cap falls to 0 (pre_reform): the newest exemptions are lifted first
    assert ex.follow_rules(pre) == [([8, 4], "exempt")]
    assert ex.pool.n_exempt == 0


def test_exemption_share_is_capped_by_law_unless_beyond_it(r27):
    assert Exemptions(Exemption(share=0.25), r27).cap(r27, 0.4) == 0.25
    assert Exemptions(Exemption(share=0.25, beyond_law=True), r27).cap(r27, 0.4) == 0.4
    assert Exemptions(Exemption(share=0.25), r27).cap(r27, None) == 0.0


def test_exemption_only_in_pool_groups_and_window(r27):
    """Pool: dagpenge and jobparat within their first 182 days; the initial stock enters the pool
    but is not counted as pooled."""
    ex = Exemptions(Exemption(share=0.25, policy="random"), r27)
    row = uniforms({COL_EXEMPTION: 0.1})
    assert ex.decide(1, "aktivitetsparat", 0.0, row, r27, 0.0, initial=False) == (False, False, False)
    assert ex.decide(2, "jobparat", -182.0, row, r27, 0.0, initial=True) == (False, False, False)
    assert ex.decide(3, "jobparat", -181.0, row, r27, 0.0, initial=True) == (False, False, False)
    assert len(ex.pool) == 1


def test_separate_decision_has_its_own_pool_and_draw(r27):
    """Main share 0: nobody is exempt by the municipality; the separately deciding provider
    exempts with share 1 (beyond the law) from its own draw."""
    ex = Exemptions(Exemption(share=0.0, akasse_share=1.0, beyond_law=True, policy="random"), r27)
    row = uniforms({COL_EXEMPTION: 0.1, COL_SEPARATE_EXEMPTION: 0.3})
    assert ex.decide(1, "dagpenge", 0.0, row, r27, 0.0, initial=False) == (False, True, True)
    assert [flag for _, flag in ex.pools()] == ["exempt", "exempt_separate"]
    assert ex.may_exempt()
    assert not Exemptions(Exemption(share=0.0, policy="random"), r27).may_exempt()


# -- routing and the rule timeline --------------------------------------------------------------------

def test_routing_moves_a_share_of_the_entrants(r27, pre):
    """2027: 20 % of would-be aktivitetsparat entrants are registered jobparat (u < 0.2)."""
    assert r27.routing.share("aktivitetsparat", "jobparat") == 0.2
    assert [r27.routing.destination("aktivitetsparat", u) for u in (0.0, 0.199, 0.2, 0.9)] == \
        ["jobparat", "jobparat", "aktivitetsparat", "aktivitetsparat"]
    assert r27.routing.destination("dagpenge", 0.0) == "dagpenge"
    assert pre.routing.destination("aktivitetsparat", 0.0) == "aktivitetsparat"
    two = Routing.model_validate({"routes": [{"from_group": "a", "to_group": "b", "share": 0.2},
                                             {"from_group": "a", "to_group": "c", "share": 0.3}]})
    assert [two.destination("a", u) for u in (0.1, 0.2, 0.49, 0.5)] == ["b", "c", "c", "a"]


def test_routing_is_validated():
    with pytest.raises(ValueError, match="at most 1"):
        Routing.model_validate({"routes": [{"from_group": "a", "to_group": "b", "share": 0.6},
                                           {"from_group": "a", "to_group": "c", "share": 0.5}]})
    data = {"name": "x", "first_months_day": 182, "exemption": {"max_share": 0.0, "pool_window_day": 182},
            "groups": {"a": {}},
            "routing": {"routes": [{"from_group": "a", "to_group": "b", "share": 0.1}]}}
    with pytest.raises(ValueError, match="not a group of the rule set"):
        RuleSet.model_validate(data)


def test_rule_timeline(r27, pre):
    tl = RuleTimeline([(0, pre), (181, r27)])
    assert tl.rules_at(180.9) is pre and tl.rules_at(181.0) is r27
    assert tl.next_switch(0.0) == 181.0 and tl.next_switch(181.0) == INF


# -- compliance scoring -------------------------------------------------------------------------------

class Facts:
    def __init__(self):
        self.calls: list[tuple] = []

    def on_pool(self, g, exempt):
        self.calls.append(("pool", exempt))

    def on_trial_outcome(self, arm, p, score, work6):
        self.calls.append(("trial", arm, p, work6))

    def on_compliance(self, g, name, met):
        self.calls.append((name, met))

    def on_rule(self, kind, g, met):
        self.calls.append((kind, met))


def _scored(c: Citizen, end: float, horizon: float, to_work: bool = False) -> list[tuple]:
    facts = Facts()
    score_spell(facts, c, 1, end, horizon, {"municipality": 0, "akasse": 1, "other": 2}, to_work=to_work)
    return facts.calls


def _jobparat(r27, talks, offers, **kw) -> Citizen:
    return citizen("jobparat", spell_start=10.0, talks=[(10.0 + d, "municipality") for d in talks],
                   offer_days=[10.0 + d for d in offers], rules=r27, first_block=r27.groups["jobparat"].talks[0], **kw)


def test_spell_scoring_of_a_jobparat_spell(r27):
    """Talks on days 10, 50, 100, 150 and an offer on day 100, spell ended on day 200: first talk by
    14, 4 talks by 182 and the offer by 182 all met."""
    assert _scored(_jobparat(r27, [10, 50, 100, 150], [100]), 210.0, 400.0) == \
        [("first", True), ("cov", True), ("offer", True), ("municipality_talks_6m", True), ("offer_6m", True)]


def test_spell_scoring_misses_and_exposure(r27):
    # first talk on day 15 is late; the fourth talk on day 183 is outside the window
    assert _scored(_jobparat(r27, [15, 50, 100, 183], []), 210.0, 400.0) == \
        [("first", False), ("cov", False), ("offer", False), ("municipality_talks_6m", False), ("offer_6m", False)]
    # a first talk on the deadline day itself is in time
    assert _scored(_jobparat(r27, [14], []), 110.0, 400.0) == [("first", True)]
    # left on day 100: only the first-talk deadline (14) was reached
    assert _scored(_jobparat(r27, [10], []), 110.0, 400.0) == [("first", True)]
    # the 182-day deadline (absolute 192) lies beyond a horizon of 150
    assert _scored(_jobparat(r27, [10, 50, 100, 150], [100]), 150.0, 150.0) == [("first", True)]
    # the initial stock is not scored
    assert _scored(_jobparat(r27, [10], [], new_entry=False), 210.0, 400.0) == []


def test_spell_scoring_pool_and_trial(r27):
    c = citizen("dagpenge", spell_start=0.0, rules=r27, pooled=True, exempt=True, trial_arm=FREE_CHOICE,
                course_provider="other", course_days=122.0)
    calls = _scored(c, 100.0, 400.0, to_work=True)
    assert calls[:2] == [("pool", True), ("trial", FREE_CHOICE, 2, True)]
    assert _scored(c, 190.0, 400.0, to_work=True)[1] == ("trial", FREE_CHOICE, 2, False)  # work after 6 months


# -- exits, contacts ----------------------------------------------------------------------------------

def test_fixed_exit_competing_risks():
    """Other exit 0.07 a week = 0.01 a day: a unit budget (u = 1 - 1/e) lasts 100 days; a move
    at 0.14 a week with budget ln 2 (u = 0.5) comes after ln 2 / 0.02 = 34.66 days."""
    hz = GroupHazard(Piecewise((0.0,), (0.1,)), Piecewise.from_weeks([0.0], [0.07]),
                     {"g2": Piecewise.from_weeks([0.0], [0.14])})
    draws = iter([1.0 - math.exp(-1.0), 0.5])
    t, dest = fixed_exit(hz, 5.0, 5.0, INF, OTHER, lambda: next(draws))
    assert (t, dest) == (pytest.approx(5.0 + math.log(2.0) / 0.02), "g2")
    draws = iter([1.0 - math.exp(-1.0), 0.99])
    assert fixed_exit(hz, 5.0, 5.0, INF, OTHER, lambda: next(draws)) == (pytest.approx(105.0), OTHER)
    draws = iter([1.0 - math.exp(-1.0), 0.99])
    assert fixed_exit(hz, 5.0, 5.0, 55.0, "capped", lambda: next(draws)) == (55.0, "capped")
    # a tie keeps the earlier candidate: the same rate and draw for the other exit and the move
    same = GroupHazard(hz.work, hz.other, {"g2": hz.other})
    assert fixed_exit(same, 5.0, 5.0, INF, OTHER, lambda: 0.5)[1] == OTHER


def test_task_costs(params):
    """Talk: (40 + 20) / 60 = 1 h in person, (25 + 20) / 60 = 0.75 h digital (uniform 0.1 < dagpenge's
    digital share 0.3); another actor's talk takes 1.2 × as long; offers 2 h by the default provider."""
    sc = params.scenario
    tasks = TaskCosts(sc, group_constants(sc), Streams(1, 0))
    block = params.rule_sets["reform_2027"].groups["dagpenge"].talks[0]
    digital = citizen("dagpenge", row={FIRST_CONTACT: 0.1}, provider="akasse")
    assert tasks.task(digital, TALK, (block, True, "akasse")) == ("akasse", 0.75, None, 1)
    in_person = citizen("dagpenge", row={FIRST_CONTACT: 0.9}, provider="other")
    assert tasks.task(in_person, TALK, (block, True, CURRENT_PROVIDER)) == ("other", pytest.approx(1.2), None, 0)
    assert tasks.task(in_person, OFFER, None) == (sc.capacity.default_provider, 2.0, None, 0)


def test_offer_mix_and_talk_need(params):
    """Shares 0.5 / 0.35 / 0.15; ØVO: 6 weeks at 3,000 DKK + mentor 0.1 × 8,000 = 18,800 DKK, all
    against the limit; workplace practice: 4 × 500 + 800 = 2,800 DKK, of which the mentor's 800."""
    mix = OfferMix(params.scenario, Streams(1, 0))
    assert mix.draw(0.49) == (42.0, 0.65, pytest.approx(18800.0), pytest.approx(18800.0))
    assert mix.draw(0.5) == (28.0, 0.95, pytest.approx(2800.0), pytest.approx(800.0))
    assert mix.draw(0.9999)[0] == 91.0
    assert talk_need(0.2, 0.5) == pytest.approx(1.3)  # 1 - 0.5 + 0.5 × 2 × 0.8
    assert talk_need(0.2, 0.0) == 1.0


def test_default_provider_is_scenario_data():
    with pytest.raises(sim.ParamError, match="default_provider"):
        sim.load_params(overrides={"capacity.default_provider": "jobcentre"})
    p = sim.load_params(overrides={"capacity.default_provider": "akasse"})
    assert provider_at(citizen("jobparat"), p.rule_sets["reform_2027"], 0.0, p.scenario.capacity.default_provider) \
        == "akasse"
    tasks = TaskCosts(p.scenario, group_constants(p.scenario), Streams(1, 0))
    assert tasks.task(citizen("jobparat", provider="municipality"), OFFER, None)[0] == "akasse"  # offers too


def test_exit_draws_do_not_depend_on_how_many_contacts_came_before():
    """A citizen's exit draws and contact draws are two sequences of its row: however many contact
    draws are taken (talks booked under more or less staff), the next exit draw is the same; each
    sequence runs on into its own private stream once its columns are used up."""
    row = {col: col / 100.0 for col in range(ROW_WIDTH)}
    streams = Streams(5, 0)
    few, many = citizen("jobparat", row=row), citizen("jobparat", row=row)
    for _ in range(3):
        few.contact_uniform(streams)
    for _ in range(40):  # past the row's contact columns into the private stream
        many.contact_uniform(streams)
    exits_few = [few.uniform(streams) for _ in range(15)]
    exits_many = [many.uniform(streams) for _ in range(15)]
    assert exits_few == exits_many
    assert exits_few[:FIRST_CONTACT - 10] == [col / 100.0 for col in range(10, FIRST_CONTACT)]
    # beyond the row: the exit and contact streams differ from each other
    assert exits_few[FIRST_CONTACT - 10:] != [many.contact_uniform(streams) for _ in range(4)]


def test_pool_ignores_the_expiry_of_a_members_earlier_stay():
    """A member who leaves on day 10 and comes back on day 50 (first months to day 232) stays a
    member past day 182, the end of its first stay's months; it leaves on day 232."""
    pool = ExemptionPool(cap=0.25)
    pool.enter(1, 182.0, wants=False)
    pool.leave(1)
    pool.enter(1, 232.0, wants=False)
    assert pool.next_expiry() == 232.0
    pool.expire(200.0)
    assert 1 in pool.members
    pool.expire(232.0)
    assert 1 not in pool.members

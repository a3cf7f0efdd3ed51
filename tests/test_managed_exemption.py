"""The managed exemption policy (issue 12, item 3): exemptions limited by the 75 % minimums at month
6, reviewed at the talks, offers exempted in their own pool, and the a-kasse's talk kept when an
exemption is lifted after month 3.

Expected values come from the rule-set files (read with tomllib in `lawbook`), from hand
computations in the docstrings, or from the law's count (floor of cap × members), never from the
code under test.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from lawbook import rule_set
from scipy import stats

import sim
from sim.engine.citizen import NONE_YET, Citizen, new_citizen
from sim.engine.exemption import ExemptionPool, Exemptions, MonthSixMeasure
from sim.engine.hazard import INF
from sim.engine.model import Model
from sim.engine.planner import OFFER, TALK, Planner
from sim.engine.randomness import COL_ASSESSMENT, COL_EXEMPTION, COL_FRAILTY, ROW_WIDTH, Streams
from sim.inputs.schema import Exemption

LAW = rule_set("reform_2027")
POOL_GROUPS = ("dagpenge", "jobparat")
# one municipality's pool of a useful size (as tests/test_levers.py ONE_POOL); judgement 0: whom the
# municipality exempts is no better than chance, so only the control rule keeps the minimums
MANAGED_RUN = {"municipality": "Aarhus", "scale": 0.02, "years": 1.0, "capacity.unlimited": True,
               "exemption.share": 0.25, "exemption.judgement": 0.0}
REPS, SEED = 6, 3


def minimum(group: str, what: str) -> float:
    """The coverage the rule file asks at month 6: the exemptable talk blocks (or offers) due by
    `first_months_day`, their smallest coverage."""
    rules = LAW["groups"][group]
    fm = LAW["first_months_day"]
    if what == "talks":
        covs = [b["coverage"] for b in rules["talks"] if b.get("exemptable") and b["to_day"] <= fm]
    else:
        covs = [o["coverage"] for o in rules["offers"] if o.get("exemptable") and o["due_day"] <= fm]
    return min(covs)


def ci95(values: np.ndarray) -> tuple[float, float]:
    half = stats.t.ppf(0.975, len(values) - 1) * values.std(ddof=1) / math.sqrt(len(values))
    return values.mean() - half, values.mean() + half


@pytest.fixture(scope="module")
def coverage() -> dict[str, pd.DataFrame]:
    """talk_coverage_6m and offer_coverage_6m per replication, managed and random (same seeds)."""
    out = {}
    for policy in ("managed", "random"):
        res = sim.run(sim.load_params(overrides=MANAGED_RUN | {"exemption.policy": policy}), replications=REPS,
                      seed=SEED, workers=1)
        k = res.kpis
        out[policy] = k[k.kpi.isin(["talk_coverage_6m", "offer_coverage_6m", "exempt_share", "exempt_share_max"])]
    return out


def _values(df: pd.DataFrame, kpi: str, group: str) -> np.ndarray:
    return df[(df.kpi == kpi) & (df.group == group)].sort_values("replication").value.to_numpy()


@pytest.mark.parametrize("group", POOL_GROUPS)
@pytest.mark.parametrize("kpi,what", [("talk_coverage_6m", "talks"), ("offer_coverage_6m", "offers")])
def test_managed_policy_meets_the_minimums_at_month_six(coverage, group, kpi, what):
    """The 95 % interval of the coverage at month 6 over the replications lies above the rule
    file's 0.75, while the municipality still uses the exemption (a policy that exempted nobody
    would pass trivially)."""
    assert minimum(group, what) == 0.75
    low, _ = ci95(_values(coverage["managed"], kpi, group))
    assert low > minimum(group, what), (group, kpi, low)
    assert _values(coverage["managed"], "exempt_share", group).mean() > 0.10


def test_random_quarter_is_not_shown_to_meet_the_talk_minimum(coverage):
    """Measured (6 replications, seed 3, a scale-0.02 sample in Aarhus, one year, unlimited
    capacity): random 25 % gives talk coverage at month 6 of 0.752 (95 % CI 0.738-0.767) for
    dagpenge and 0.760 (0.733-0.786) for jobparat: at the minimum, not above it, so the interval's
    lower end is below 0.75 (managed: 0.819 [0.802, 0.836] and 0.842 [0.822, 0.861]).
    The managed policy's coverage is higher in every replication (same seeds)."""
    for group in POOL_GROUPS:
        low, _ = ci95(_values(coverage["random"], "talk_coverage_6m", group))
        assert low < minimum(group, "talks"), group  # random cannot be shown to meet the minimum
        assert (_values(coverage["managed"], "talk_coverage_6m", group)
                > _values(coverage["random"], "talk_coverage_6m", group)).all(), group


def test_managed_cap_holds_over_a_run(coverage):
    assert (coverage["managed"].query("kpi == 'exempt_share_max'").value <= LAW["exemption"]["max_share"] + 1e-12).all()


# -- the month-6 measure, by hand ------------------------------------------------------------------

def test_month_six_measure_projects_the_pool_share_by_the_measured_ratio():
    """Window 10 days, margin 0.02, limit 0.25, at least 4 arrivals. Arrivals on days 1-4, one of
    them missed, at pool shares 0.2 each: F = 1, S = 0.8, ratio 1.25. A pool share of 0.18 projects
    1.25 × 0.18 = 0.225 <= 0.23: allowed; 0.19 projects 0.2375 > 0.23: refused. On day 12 the
    arrivals of days 1 and 2 have left the window (2 left, < 4): the cap alone decides."""
    m = MonthSixMeasure(window=10.0, margin=0.02, min_arrivals=4)
    m.limit = {"jobparat": 0.25}
    assert m.allows("jobparat", 0.0, 0.99)  # no arrivals yet
    for day, missed in ((1.0, True), (2.0, False), (3.0, False), (4.0, False)):
        m.record("jobparat", day, missed, 0.2)
    assert m.shortfall("jobparat", 4.0) == pytest.approx(0.25)
    assert m.allows("jobparat", 4.0, 0.18)
    assert not m.allows("jobparat", 4.0, 0.19)
    assert m.allows("dagpenge", 4.0, 0.99)  # a group without a limit
    assert m.allows("jobparat", 12.0, 0.99)


def test_month_six_measure_with_no_exemption_in_the_window_reads_the_shortfall_itself():
    """No exempt arrivals (pool share 0): 2 of 10 missed (capacity) = 0.2 <= 0.23 allows; 3 of 10 refuses."""
    for n_missed, allowed in ((2, True), (3, False)):
        m = MonthSixMeasure(window=100.0, margin=0.02, min_arrivals=5)
        m.limit = {"dagpenge": 0.25}
        for k in range(10):
            m.record("dagpenge", float(k), k < n_missed, 0.0)
        assert m.allows("dagpenge", 10.0, 0.1) is allowed


# -- the cap with grants and lifts at the reviews (hypothesis) -------------------------------------

@settings(max_examples=100, deadline=None)
@given(cap=st.sampled_from([0.1, 0.25, 0.5]),
       ops=st.lists(st.tuples(st.sampled_from(["enter", "leave", "expire", "grant", "lift"]), st.booleans(),
                              st.integers(0, 60), st.sampled_from(POOL_GROUPS)), max_size=200))
def test_managed_pool_never_exceeds_the_cap(cap, ops):
    """Entries, exits, the end of the first months, and the reviews' grants and lifts in any order:
    the exempt count is at most floor(cap × members) (within rounding), the per-group counts add
    up to the members, and the measure is fed at each month-6 arrival."""
    pool = ExemptionPool(cap)
    pool.measure = MonthSixMeasure(window=30.0, margin=0.02, min_arrivals=3)
    pool.measure.limit = {g: 0.25 for g in POOL_GROUPS}
    arrivals = []
    pool.missed = lambda key: arrivals.append(key) or pool.members[key]
    key, now = 0, 0.0
    for op, wants, k, group in ops:
        if op == "enter":
            key += 1
            pool.enter(key, now + 30.0, wants, group, now)
        elif op == "leave":
            pool.leave(k)
        elif op == "grant":
            pool.grant(k, now)
        elif op == "lift":
            pool.lift(k)
        else:
            now += 7.0
            pool.expire(now)
        assert pool.n_exempt == sum(pool.members.values())
        assert pool.n_exempt <= math.floor(cap * len(pool.members) + 1e-9)
        assert sum(m for m, _ in pool.by_group.values()) == len(pool.members)
        assert sum(e for _, e in pool.by_group.values()) == pool.n_exempt
    assert pool.max_share <= cap + 1e-9
    assert len(arrivals) == len(set(arrivals))  # each member measured once, at its month 6


# -- offers exempted separately --------------------------------------------------------------------

def _row(u_frailty: float) -> np.ndarray:
    r = np.full(ROW_WIDTH, 0.5)
    r[COL_FRAILTY] = u_frailty
    r[COL_EXEMPTION] = 0.5
    r[COL_ASSESSMENT] = 0.5
    return r


def test_offer_exemptions_have_their_own_pool_and_cap(params27):
    """Managed, perfect judgement, every entrant with top job chances (frailty u 0.99 > 0.75):
    everyone is wanted. Talk share 0.25, offer share 0.1: of 20 entrants the talk pool exempts
    floor(0.25 × n) as n grows (5 at 20), the offer pool floor(0.1 × n) (2 at 20), each by its own count."""
    r27 = params27.rule_sets["reform_2027"]
    assert LAW["exemption"]["offer_max_share"] == 0.25
    ex = Exemptions(Exemption(share=0.25, offer_share=0.1, policy="managed"), r27)
    talk, offer = [], []
    for k in range(1, 21):
        talk.append(ex.decide(k, "jobparat", 0.0, _row(0.99), r27, 0.0, initial=False)[0])
        offer.append(ex.decide_offers(k, "jobparat", 0.0, _row(0.99), r27, 0.0))
    assert sum(talk) == 5 and sum(offer) == 2
    assert [k + 1 for k, e in enumerate(offer) if e] == [10, 20]
    assert [k + 1 for k, e in enumerate(talk) if e] == [4, 8, 12, 16, 20]
    # the other policies decide once: no offer flag of its own
    assert Exemptions(Exemption(share=0.25, policy="targeted"), r27).decide_offers(
        1, "jobparat", 0.0, _row(0.99), r27, 0.0) is None


@pytest.fixture(scope="module")
def params27():
    return sim.load_params()


def _citizen(group: str, **fields) -> Citizen:
    attrs = {"frailty": [1.0], "under_30": [False], "short_absence": [False], "cap_day": [INF]}
    c = new_citizen(7, np.full(ROW_WIDTH, 0.5), attrs, 0, need_weight=0.0)
    c.g, c.spell_start, c.case_start, c.new_entry = group, 0.0, 0.0, True
    c.talk_log = NONE_YET
    c.offer_days, c.clar_days, c.clar_dues, c.plan, c.seq, c.windows = [], [], [], [], 0, []
    c.request_day, c.request_seq = math.inf, 0
    c.first_block = None
    for day, provider in fields.pop("talks", []):
        c.add_talk(day, provider)
    for k, v in fields.items():
        setattr(c, k, v)
    return c


def _planner(params) -> Planner:
    return Planner(params.scenario.planning, {g: 0.0 for g in params.scenario.groups}, Streams(1, 0))


def test_the_offer_flag_decides_the_offers_and_the_talk_flag_the_talks(params27):
    """jobparat 2027: 4 talks, one offer by day 182. Exempt from the talks only: 1 talk and the
    offer; exempt from the offers only: 4 talks and no offer."""
    r27 = params27.rule_sets["reform_2027"]
    items, _ = _planner(params27).items(_citizen("jobparat", exempt=True, exempt_offer=False), r27, 0.0, False)
    assert sum(k == TALK for _, k, _, _ in items) == 1 and sum(k == OFFER for _, k, _, _ in items) == 1
    items, _ = _planner(params27).items(_citizen("jobparat", exempt=False, exempt_offer=True), r27, 0.0, False)
    assert sum(k == TALK for _, k, _, _ in items) == 4 and sum(k == OFFER for _, k, _, _ in items) == 0


# -- an exemption lifted after day 91 keeps the a-kasse's second talk ----------------------------------

def test_lifted_after_day_91_the_akasse_second_talk_is_held_late(params27):
    """dagpenge 2027: the a-kasse holds 2 talks in [0, 91]. An exempt citizen had only the first
    (day 7). Replanned on day 120 after its exemption was lifted: the missing second a-kasse talk is
    planned for day 120 (today), held by the a-kasse; the municipality's 2 talks of [91, 182] are
    planned as usual. Without the lift, nothing of the a-kasse block is planned after day 91."""
    r27 = params27.rule_sets["reform_2027"]
    block = r27.groups["dagpenge"].talks[0]
    assert LAW["groups"]["dagpenge"]["talks"][0]["held_late_when_lifted"] is True
    assert (block.provider, block.to_day, block.count) == ("akasse", 91.0, 2)
    lifted = _citizen("dagpenge", exempt=False, exempt_separate=False, lifted=True, talks=[(7.0, "akasse")])
    items, _ = _planner(params27).items(lifted, r27, 120.0, False)
    talks = [(t, p[0].provider, p[2]) for t, k, p, _ in items if k == TALK]
    assert (120.0, "akasse", "akasse") in talks
    assert sum(1 for _, b, _ in talks if b == "akasse") == 1
    assert sum(1 for _, b, _ in talks if b == "municipality") == 3  # 2 in [91, 182] + the 16-month talk
    never = _citizen("dagpenge", exempt=False, exempt_separate=False, lifted=False, talks=[(7.0, "akasse")])
    items, _ = _planner(params27).items(never, r27, 120.0, False)
    assert not [1 for t, k, p, _ in items if k == TALK and p[0].provider == "akasse"]
    # once held late (day 121), it is not planned again
    lifted.add_talk(121.0, "akasse")
    items, _ = _planner(params27).items(lifted, r27, 125.0, False)
    assert not [1 for t, k, p, _ in items if k == TALK and p[0].provider == "akasse"]


def test_in_a_managed_run_a_lift_after_day_91_brings_the_akasse_second_talk():
    """A managed run in which, on day 200, the municipality lifts the exemption of every exempt
    dagpenge new entrant between day 91 and 182 of its spell who had only the first a-kasse talk
    (a cap or a review would do the same;
    these are rare in a run, because an exempt dagpenge citizen has no talk to be reviewed at
    after its first). Each of them who stays 10 more days gets the rule file's 2 a-kasse talks,
    the second after day 91 of its spell, on or after the lift. Outside
    the 19 free-choice municipalities (Aarhus is one of the others) the a-kasse runs the first
    months as the course provider."""
    params = sim.load_params(overrides=MANAGED_RUN | {"exemption.policy": "managed"})
    model = Model(params, replication=0, seed=SEED, record_spells=True)
    lift_day = 200.0
    lifted: dict[int, float] = {}  # key -> spell start

    def lifter():
        yield model.env.timeout(lift_day)
        for c in list(model.active.values()):
            if (c.g == "dagpenge" and c.new_entry and c.exempt_separate and c.course_provider in (None, "akasse")
                    and 91.0 < lift_day - c.spell_start < 182.0 and sum(p == "akasse" for _, p in c.talks()) == 1):
                lifted[int(c.key)] = c.spell_start
        model._revoke(list(lifted), "exempt")

    model.env.process(lifter())
    model.run()
    df = pd.DataFrame(model.spell_log)
    count = LAW["groups"]["dagpenge"]["talks"][0]["count"]
    spells = df[df.key.isin(lifted) & (df.group == "dagpenge") & (df.end >= lift_day + 10.0)]
    spells = spells[spells.apply(lambda r: r.start == lifted[r.key], axis=1)]
    assert len(spells) > 20
    for _, r in spells.iterrows():
        akasse = sorted(d for d, p in r.talks if p == "akasse")
        assert len(akasse) == count, (r.key, r.talks)
        assert akasse[0] <= 91.0 < akasse[1] and akasse[1] >= lift_day - r.start - 1e-9, (r.key, akasse)
        assert r.lifted  # (a later review may exempt it again: judgement 0 revises the assessment)


def test_in_a_managed_run_the_offer_flag_is_decided_apart():
    """The offer flag is decided in its own pool: set for every pooled spell, and not always equal
    to the talk flag (the two pools fill and lift on their own counts)."""
    params = sim.load_params(overrides=MANAGED_RUN | {"exemption.policy": "managed"})
    model = Model(params, replication=0, seed=SEED, record_spells=True)
    model.run()
    df = pd.DataFrame(model.spell_log)
    pooled = df[df.group.isin(POOL_GROUPS) & df.new_entry & (df.start >= 0.0)]
    assert pooled.exempt_offer.notna().all()
    assert (pooled.exempt_offer.astype(bool) != pooled.exempt).any()
    assert 0.05 < pooled.exempt_offer.astype(bool).mean() <= 0.25 + 0.05


def test_with_share_zero_managed_gives_the_same_results_as_no_exemption():
    """Share 0 (talks and offers): nobody can be exempt, so the managed run is the run without
    exemption, number for number (the same seeds)."""
    small = {"scale": 0.01, "years": 1.0, "capacity.unlimited": True, "exemption.share": 0.0}
    runs = [sim.run(sim.load_params(overrides=small | {"exemption.policy": policy}), replications=1, seed=5,
                    workers=1).kpis for policy in ("managed", "none")]
    pd.testing.assert_frame_equal(runs[0], runs[1])

"""The KPI table against a hand computation.

A Recorder is fed a small made-up history through its on_* methods, the way the model feeds it,
and every expected number below is worked out on paper from that history (the arithmetic is
written out, not taken from the code). The run is exactly one year (365.25 days), so "per year"
is the count itself.

The history, two groups a and b, providers muni and ak:
  X  initial stock in a (spell began day -10), with muni; leaves to work on day 30.
  Y  initial stock in b (day -20), with muni; still there at the end.
  Z  enters a on day 7 (new case), moves to b on day 60, leaves b to work on day 130.
  W  enters a on day 200 (new case), handed over from muni to ak on day 220; there at the end.
  V  enters b on day 150 (new case), leaves to work on day 180.
"""

from __future__ import annotations

from types import SimpleNamespace

import pandas as pd
import pytest

from sim.engine.recorder import W_CLARIF, W_OFFERS, W_TALKS, Recorder
from sim.metrics.kpis import TABLE, TRIAL_ARMS, kpi_frame, levels, table_frame
from sim.metrics.weekly import weekly_frame

YEAR = 365.25
A, B = 0, 1
MUNI, AK = 0, 1


def scenario() -> SimpleNamespace:
    """Round made-up rates, independent of the shipped parameters."""
    money = SimpleNamespace(benefit_dkk_per_week={"a": 1000.0, "b": 0.0}, caseworker_dkk_per_fte_year=500_000.0,
                            job_premium_dkk_per_exit=10_000.0, oevo_mentor_limit_dkk_per_full_time_person=2_000.0,
                            oevo_limit_groups=["a"], population=1000.0)
    return SimpleNamespace(money=money, scale=0.5,
                           caseworker_time=SimpleNamespace(case_work_hours_per_week={"a": 0.7}),  # b: none
                           capacity=SimpleNamespace(productive_hours_per_fte_year=1000.0))


def history() -> Recorder:
    rec = Recorder(["a", "b"], ["muni", "ak"], horizon_days=YEAR, premium_min_days=100.0)
    rec.on_start(A, MUNI)  # X
    rec.on_start(B, MUNI)  # Y
    rec.on_entry(7.0, A, MUNI, external=True)  # Z
    rec.on_task(10.0, A, MUNI, 1.5, W_TALKS)
    rec.on_task(20.0, A, MUNI, 3.0, W_OFFERS)
    rec.on_offer_cost(20.0, A, MUNI, 5000.0, 3000.0)
    rec.on_provider_days(A, MUNI, 30.0)  # X leaves
    rec.on_exit(30.0, A, MUNI, spell_start=-10.0, to_work=True, external=True, case_start=-10.0, new_entry=False)
    rec.on_provider_days(A, MUNI, 53.0)  # Z moves a -> b
    rec.on_exit(60.0, A, MUNI, spell_start=7.0, to_work=False, external=False, case_start=7.0, new_entry=True)
    rec.on_entry(60.0, B, MUNI, external=False)
    rec.on_task(100.0, B, MUNI, 2.0, W_TALKS)
    rec.on_provider_days(B, MUNI, 70.0)  # Z leaves b to work
    rec.on_exit(130.0, B, MUNI, spell_start=60.0, to_work=True, external=True, case_start=7.0, new_entry=True)
    rec.on_entry(150.0, B, MUNI, external=True)  # V
    rec.on_provider_days(B, MUNI, 30.0)
    rec.on_exit(180.0, B, MUNI, spell_start=150.0, to_work=True, external=True, case_start=150.0, new_entry=True)
    rec.on_entry(200.0, A, MUNI, external=True)  # W
    rec.on_provider_days(A, MUNI, 20.0)
    rec.on_handover(220.0, A, MUNI, AK)
    rec.on_task(230.0, A, AK, 1.0, W_TALKS)
    rec.on_task(240.0, A, AK, 1.0, W_TALKS)
    rec.on_trial_entry(A, AK, "extended", 800.0)
    rec.on_trial_outcome("extended", AK, 0.3, True)
    rec.on_trial_entry(B, MUNI, "free_choice", 400.0)
    rec.on_trial_outcome("free_choice", MUNI, -0.2, False)
    rec.on_task(300.0, B, MUNI, 0.5, W_CLARIF)
    # the spells as scored: first talks (Z in a on time, W in a late, Z in b on time), coverage, an offer
    for g, met in ((A, True), (A, False), (B, True)):
        rec.on_compliance(g, "first", met)
    rec.on_compliance(B, "cov", True)
    rec.on_compliance(B, "cov", False)
    rec.on_compliance(A, "offer", True)
    for g, kind, met in ((A, "talk_2w", True), (A, "talk_2w", False), (A, "talk_2w", False), (B, "offer_6m", True)):
        rec.on_rule(kind, g, met)
    for exempt in (True, False, False, False):
        rec.on_pool(A, exempt)
    rec.pool_stats = {"exempt_share_max": 0.3, "exemptions_lifted": 2.0}
    # the end of the run: Y and W are still in stock
    rec.on_censor(B, -20.0)
    rec.on_provider_days(B, MUNI, YEAR)
    rec.on_censor(A, 200.0)
    rec.on_provider_days(A, AK, YEAR - 220.0)
    return rec


@pytest.fixture(scope="module")
def kpis() -> pd.DataFrame:
    return kpi_frame(history(), 0, scenario())


def value(kpis: pd.DataFrame, kpi: str, group: str = "all", provider: str = "all") -> float:
    sel = kpis[(kpis.kpi == kpi) & (kpis.group == group) & (kpis.provider == provider)]
    assert len(sel) == 1, (kpi, group, provider, len(sel))
    return float(sel["value"].iloc[0])


def absent(kpis: pd.DataFrame, kpi: str, group: str = "all", provider: str = "all") -> bool:
    return not ((kpis.kpi == kpi) & (kpis.group == group) & (kpis.provider == provider)).any()


STOCK_DAYS_A = 30.0 + (60.0 - 7.0) + (YEAR - 200.0)  # X, Z, W
STOCK_DAYS_B = YEAR + (130.0 - 60.0) + (180.0 - 150.0)  # Y (from day 0), Z, V
# hours: tasks + other case work (0.7 h per citizen-week in a, with the provider who holds the case)
HOURS_A_MUNI = 1.5 + 3.0 + (30.0 + 53.0 + 20.0) / 7 * 0.7
HOURS_A_AK = 1.0 + 1.0 + (YEAR - 220.0) / 7 * 0.7
HOURS_B_MUNI = 2.0 + 0.5


@pytest.mark.parametrize("group, expected", [
    ("a", {"persons_start": 1, "persons_arrived": 2, "persons_exited": 2, "persons_in_stock_end": 1,
           "stock_mean": STOCK_DAYS_A / YEAR, "inflow_per_year": 2, "spell_weeks_mean": (40 + 53) / 2 / 7,
           "exit_work_or_education_3m": 0 / 2, "exit_work_or_education_6m": 0 / 1, "first_talk_on_time": 1 / 2,
           "offer_coverage_6m": 1.0, "exempt_share": 1 / 4, "compliance_talk_2w": 1 / 3,
           "talks_held_per_year": 3, "offers_started_per_year": 1,
           "caseworker_hours_per_year": HOURS_A_MUNI + HOURS_A_AK,
           "fte_needed": (HOURS_A_MUNI + HOURS_A_AK) / 1000,
           "caseworker_dkk_per_year": (HOURS_A_MUNI + HOURS_A_AK) / 1000 * 500_000,
           "benefit_weeks_per_year": STOCK_DAYS_A / 7, "benefit_dkk_per_year": STOCK_DAYS_A / 7 * 1000,
           "offer_dkk_per_year": 5000}),
    # Z counts in b as an arrival, and its 70-day spell in b ended in work within 3 months, as V's did
    ("b", {"persons_start": 1, "persons_arrived": 2, "persons_exited": 2, "persons_in_stock_end": 1,
           "stock_mean": STOCK_DAYS_B / YEAR, "inflow_per_year": 2, "spell_weeks_mean": (70 + 30) / 2 / 7,
           "exit_work_or_education_3m": 1.0, "exit_work_or_education_6m": 1.0, "first_talk_on_time": 1.0,
           "talk_coverage_6m": 1 / 2, "compliance_offer_6m": 1.0, "talks_held_per_year": 1,
           "offers_started_per_year": 0, "caseworker_hours_per_year": HOURS_B_MUNI, "fte_needed": HOURS_B_MUNI / 1000,
           "benefit_weeks_per_year": STOCK_DAYS_B / 7, "benefit_dkk_per_year": 0.0, "offer_dkk_per_year": 0.0}),
    # "all" follows whole cases: Z is one case (day 7 to day 130, 123 days: work within 6 months, not 3);
    # new cases Z, W, V (W too late for the 6-month window); Z and V in work within 6 months, V within 3
    ("all", {"persons_start": 2, "persons_arrived": 3, "persons_exited": 3, "persons_in_stock_end": 2,
             "stock_mean": (STOCK_DAYS_A + STOCK_DAYS_B) / YEAR, "inflow_per_year": 3,
             "spell_weeks_mean": (40 + 123 + 30) / 3 / 7, "exit_work_or_education_3m": 1 / 3,
             "exit_work_or_education_6m": 2 / 2, "first_talk_on_time": 2 / 3, "talk_coverage_6m": 1 / 2,
             "offer_coverage_6m": 1.0, "exempt_share": 1 / 4, "compliance_talk_2w": 1 / 3,
             "compliance_offer_6m": 1.0, "exempt_share_max": 0.3, "exemptions_lifted_per_year": 2,
             "talks_held_per_year": 4, "offers_started_per_year": 1,
             "caseworker_hours_per_year": HOURS_A_MUNI + HOURS_A_AK + HOURS_B_MUNI,
             "fte_needed": (HOURS_A_MUNI + HOURS_A_AK + HOURS_B_MUNI) / 1000,
             "benefit_weeks_per_year": (STOCK_DAYS_A + STOCK_DAYS_B) / 7,
             "benefit_dkk_per_year": STOCK_DAYS_A / 7 * 1000, "offer_dkk_per_year": 5000,
             "oevo_mentor_dkk_per_year": 3000, "oevo_mentor_limit_dkk_per_year": STOCK_DAYS_A / YEAR * 2000,
             "job_premium_dkk_per_year": 10_000, "trial_provider_dkk_per_year": 800 + 400,
             "net_dkk_per_year": STOCK_DAYS_A / 7 * 1000 + 5000 + (HOURS_A_MUNI + HOURS_A_AK + HOURS_B_MUNI) / 1000
             * 500_000 + 1200 - 10_000,
             "trial_free_choice_entrants_per_year": 1, "trial_extended_entrants_per_year": 1,
             "public_support_share": STOCK_DAYS_A / YEAR / (1000 * 0.5)}),
])
def test_kpis_per_group_and_all_match_the_hand_computation(kpis, group, expected):
    for kpi, want in expected.items():
        assert value(kpis, kpi, group) == pytest.approx(want, rel=1e-12), kpi


def test_the_provider_breakdown_matches_the_hand_computation(kpis):
    assert value(kpis, "talks_held_per_year", "a", "muni") == 1
    assert value(kpis, "talks_held_per_year", "a", "ak") == 2
    assert value(kpis, "caseworker_hours_per_year", "a", "ak") == pytest.approx(HOURS_A_AK, rel=1e-12)
    assert value(kpis, "fte_needed", "a", "muni") == pytest.approx(HOURS_A_MUNI / 1000, rel=1e-12)
    assert value(kpis, "caseworker_dkk_per_year", "a", "ak") == pytest.approx(HOURS_A_AK / 1000 * 500_000, rel=1e-12)
    assert value(kpis, "fte_needed", "b", "ak") == 0.0  # a provider with no work is a true zero
    assert value(kpis, "talks_held_per_year", "all", "muni") == 2
    assert value(kpis, "caseworker_hours_per_year", "all", "muni") == pytest.approx(HOURS_A_MUNI + HOURS_B_MUNI)
    # the trials are followed per course provider
    assert value(kpis, "trial_extended_entrants_per_year", "all", "ak") == 1
    assert value(kpis, "trial_extended_exit_work_6m", "all", "ak") == 1.0
    assert value(kpis, "trial_free_choice_entrants_per_year", "all", "muni") == 1
    assert value(kpis, "trial_free_choice_exit_work_6m", "all", "muni") == 0.0


@pytest.mark.parametrize("kpi, group, provider", [
    ("talk_coverage_6m", "a", "all"),  # nobody in a was due
    ("offer_coverage_6m", "b", "all"),
    ("clarification_on_time", "all", "all"),  # a clarification was held, but nobody's deadline was scored
    ("exempt_share", "b", "all"),  # b has no pool members
    ("compliance_talk_2w", "b", "all"),
    ("compliance_offer_6m", "a", "all"),
    ("trial_extended_entrants_per_year", "all", "muni"),  # nobody entered this arm with this provider
    ("trial_extended_exit_work_6m", "all", "all"),  # the outcome is per provider only
    ("offers_started_per_year", "a", "muni"),  # no provider breakdown for offers
    ("net_dkk_per_year", "a", "all"),  # money without a group
    ("exempt_share_max", "a", "all"),
])
def test_a_kpi_that_cannot_be_computed_is_absent(kpis, kpi, group, provider):
    assert absent(kpis, kpi, group, provider)


def test_the_pool_kpis_are_absent_without_pool_members():
    rec = Recorder(["a"], ["muni"], horizon_days=YEAR)
    rec.on_start(A, MUNI)
    rec.on_censor(A, -5.0)
    rec.pool_stats = {"exempt_share_max": 0.0, "exemptions_lifted": 0.0}
    k = kpi_frame(rec, 3, _one_group_scenario())
    assert absent(k, "exempt_share_max") and absent(k, "exemptions_lifted_per_year") and absent(k, "exempt_share")
    assert absent(k, "spell_weeks_mean")  # no spell ended
    assert (k.replication == 3).all()


def _one_group_scenario() -> SimpleNamespace:
    s = scenario()
    s.money.benefit_dkk_per_week = {"a": 1000.0}
    return s


def test_rows_come_in_table_order_each_group_then_all(kpis):
    groups = kpis.drop_duplicates("group")["group"].tolist()
    assert groups == ["a", "b", "all"]
    a = kpis[kpis.group == "a"]
    names = a[a.provider == "all"]["kpi"].tolist()
    assert names[:4] == ["persons_start", "persons_arrived", "persons_exited", "persons_in_stock_end"]
    # a provider breakdown follows the section's totals
    work = a[a.kpi.isin(["talks_held_per_year", "offers_started_per_year", "caseworker_hours_per_year"])]
    assert list(zip(work.kpi, work.provider))[:4] == [
        ("talks_held_per_year", "all"), ("offers_started_per_year", "all"), ("caseworker_hours_per_year", "all"),
        ("talks_held_per_year", "muni")]


def test_in_stock_at_the_end_is_counted_so_conservation_can_fail():
    """A citizen the model forgot to fold in at the end shows as a broken balance, which a formula
    start + arrived - exited could never show."""
    rec = Recorder(["a"], ["muni"], horizon_days=YEAR)
    rec.on_start(A, MUNI)
    rec.on_start(A, MUNI)
    rec.on_censor(A, -5.0)  # only one of the two is folded in
    k = kpi_frame(rec, 0, _one_group_scenario())
    assert value(k, "persons_in_stock_end", "a") == 1
    assert value(k, "persons_start", "a") + value(k, "persons_arrived", "a") == 2


def test_every_quantity_the_table_names_exists():
    """A misspelt quantity would make its KPI silently absent in every run."""
    rec = history()
    families = {"rule_kinds": list(rec.rules), "trial_arms": list(TRIAL_ARMS)}
    known_total = set().union(*(total for _, total, _ in levels(rec, scenario())))
    known_each = set().union(*(q for _, _, each in levels(rec, scenario()) for q in each.values()))
    for section in TABLE:
        for key in families[section.family] if section.family else [None]:
            for kpi in section.rows:
                k = kpi if key is None else kpi.keyed(key)
                names = set(k.num) | set(k.den) | set(k.requires)
                if k.provider != "only":
                    assert names <= known_total, (k.name, names - known_total)
                if k.provider != "total":
                    assert names <= known_each, (k.name, names - known_each)
    doc = table_frame()
    assert doc["kpi"].is_unique and (doc["about"] != "").all()
    assert doc.set_index("kpi").loc["fte_needed", "formula"] == "hours / (years × productive_hours_per_fte_year)"


def test_weekly_stock_at_the_end_matches_the_citizens_in_stock():
    w = weekly_frame(history(), 0, scenario())
    last = w[(w.measure == "stock") & (w.week == w.week.max())].set_index(["group", "provider"])["value"]
    # Y with muni in b, W with ak in a (handed over on day 220)
    assert last[("a", "ak")] == 1 and last[("a", "muni")] == 0 and last[("b", "muni")] == 1
    assert last[("all", "all")] == 2

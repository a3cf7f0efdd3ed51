"""Planner outputs: FTE from caseworker time, money tied to events, compliance KPIs against
answers worked out by hand from the spell log."""

from __future__ import annotations

import numpy as np
from conftest import GROUPS, only_group, spells

import sim
from sim.experiment.runner import run_replication


def _caseworker_time_times(factor: float) -> dict[str, object]:
    p = sim.load_params()
    ct = p.scenario.caseworker_time
    ov: dict[str, object] = {
        "caseworker_time.talk_in_person_minutes": ct.talk_in_person_minutes * factor,
        "caseworker_time.talk_digital_minutes": ct.talk_digital_minutes * factor,
        "caseworker_time.talk_preparation_minutes": ct.talk_preparation_minutes * factor,
        "caseworker_time.offer_admin_hours": ct.offer_admin_hours * factor,
        "caseworker_time.clarification_hours": ct.clarification_hours * factor,
    }
    for g, h in ct.case_work_hours_per_week.items():
        ov[f"caseworker_time.case_work_hours_per_week.{g}"] = h * factor
    return ov


def test_doubling_caseworker_time_doubles_its_items_and_nothing_else():
    """Issue 11 changed what fte_needed holds: besides the diary tasks and other case work (which
    `caseworker_time` sets) it has the rule sets' work items and the overhead block. Doubling
    caseworker_time doubles exactly its four items; the rule-set items, whose events do not
    change, stay the same; fte_needed is the sum of the workload table either way."""
    base = {"scale": 0.01, "years": 1.0, "capacity.unlimited": True}
    one = sim.run(sim.load_params(overrides=base | _caseworker_time_times(1.0)), replications=2, seed=8, workers=1)
    two = sim.run(sim.load_params(overrides=base | _caseworker_time_times(2.0)), replications=2, seed=8, workers=1)
    keys = ["replication", "item", "group", "provider"]
    m = one.workload.merge(two.workload, on=keys, suffixes=("_1", "_2"), how="outer")
    assert not m[["hours_1", "hours_2"]].isna().any().any()
    diary = m.item.isin(["talk", "offer_admin", "clarification", "other_case_work"])
    np.testing.assert_allclose(m[diary].hours_2, 2.0 * m[diary].hours_1, rtol=1e-12)
    items = ~diary & (m.group != "block")
    np.testing.assert_allclose(m[items].hours_2, m[items].hours_1, rtol=1e-12)
    for run in (one, two):
        by_rep = run.workload.groupby("replication").fte.sum()
        np.testing.assert_allclose(run.kpi("fte_needed").to_numpy(), by_rep.to_numpy(), rtol=1e-9)
    # the talks themselves do not change: only the time they take
    np.testing.assert_array_equal(two.kpi("talks_held_per_year").to_numpy(), one.kpi("talks_held_per_year").to_numpy())


def test_benefit_cost_is_benefit_weeks_times_the_rate(small_run):
    rates = sim.load_params().scenario.money.benefit_dkk_per_week
    total = 0.0
    for g in GROUPS:
        weeks = small_run.kpi("benefit_weeks_per_year", g)
        cost = small_run.kpi("benefit_dkk_per_year", g)
        np.testing.assert_allclose(cost.to_numpy(), weeks.to_numpy() * rates[g], rtol=1e-12)
        total = total + cost
    np.testing.assert_allclose(small_run.kpi("benefit_dkk_per_year").to_numpy(), total.to_numpy(), rtol=1e-12)
    # benefit weeks are the days spent in stock: the same as the stock mean over the run
    np.testing.assert_allclose(small_run.kpi("benefit_weeks_per_year").to_numpy(),
                               small_run.kpi("stock_mean").to_numpy() * 365.25 / 7.0, rtol=1e-12)


def test_net_cost_adds_up(small_run):
    k = {name: small_run.kpi(name).to_numpy() for name in
         ("benefit_dkk_per_year", "offer_dkk_per_year", "caseworker_dkk_per_year", "job_premium_dkk_per_year",
          "trial_provider_dkk_per_year", "net_dkk_per_year")}
    np.testing.assert_allclose(k["net_dkk_per_year"], k["benefit_dkk_per_year"] + k["offer_dkk_per_year"]
                               + k["caseworker_dkk_per_year"] + k["trial_provider_dkk_per_year"]
                               - k["job_premium_dkk_per_year"], rtol=1e-12)
    money = sim.load_params().scenario.money
    fte = small_run.kpi("fte_needed").to_numpy()
    np.testing.assert_allclose(k["caseworker_dkk_per_year"], fte * money.caseworker_dkk_per_fte_year, rtol=1e-12)
    assert (small_run.kpi("oevo_mentor_dkk_per_year") <= small_run.kpi("offer_dkk_per_year")).all()


def test_compliance_kpis_match_the_spell_log_worked_out_by_hand():
    """Job-ready citizens who never leave, with too few caseworkers: every compliance KPI equals
    the share computed directly from each citizen's talks and offers."""
    ov = only_group("jobparat", 600.0, "reform_2027", years=1.0,
                    **{"groups.jobparat.on_request_talks_per_month": 0.0, "capacity.unlimited": False,
                       "capacity.providers.municipality.fte": [{"from": "2024-01-01", "fte": 1.4}]})
    p = sim.load_params(overrides=ov)
    df, model = spells(p, seed=2)
    kpis = run_replication(p, 0, 2).kpis
    k = kpis[(kpis.group == "jobparat") & (kpis.provider == "all")].set_index("kpi")["value"]
    new = df[df.new_entry]
    exposed_14 = new[new.start + 14.0 <= model.horizon]
    first = [min((d for d, _ in r.talks), default=np.inf) for r in exposed_14.itertuples()]
    assert k["first_talk_on_time"] == np.mean(np.array(first) <= 14.0 + 1e-9)
    assert 0.05 < k["first_talk_on_time"] < 0.95  # capacity binds: some first talks are late
    exposed = new[new.start + 182.0 <= model.horizon]
    talks_ok = [sum(1 for d, p_ in r.talks if p_ == "municipality" and d <= 182.0) >= 4 for r in exposed.itertuples()]
    offer_ok = [any(d <= 182.0 for d in r.offers) for r in exposed.itertuples()]
    assert k["compliance_municipality_talks_6m"] == np.mean(talks_ok)
    assert k["talk_coverage_6m"] == np.mean(talks_ok)
    assert k["compliance_offer_6m"] == np.mean(offer_ok)
    assert k["exempt_share"] == new.exempt.mean()


def test_compliance_table_judges_against_the_legal_line(small_run):
    c = small_run.compliance()
    assert set(c.status) <= {"met", "not met", "uncertain"}
    row = c[(c.kpi == "compliance_municipality_talks_6m") & (c.group == "jobparat")].iloc[0]
    assert row.threshold == 0.75 and row.rule_set == "reform_2027"
    first = c[(c.kpi == "first_talk_on_time") & (c.group == "dagpenge")].iloc[0]
    assert first.threshold == 1.0
    for r in c.itertuples():
        if r.status == "met":
            assert r.ci_low >= r.threshold - 1e-12
        if r.status == "not met":
            assert r.ci_high < r.threshold


def test_public_support_share_uses_the_population(small_run):
    p = sim.load_params(overrides={"scale": 0.01})
    on_benefit = sum(small_run.kpi("stock_mean", g) for g in GROUPS if p.scenario.money.benefit_dkk_per_week[g] > 0)
    np.testing.assert_allclose(small_run.kpi("public_support_share").to_numpy(),
                               (on_benefit / (p.scenario.money.population * 0.01)).to_numpy(), rtol=1e-12)

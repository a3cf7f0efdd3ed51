"""Work items (issue 11): trigger counts and hours against hand computations, items switched by the
rule timeline, the overhead block, doubling one item, and persons touched per year."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from conftest import only_group, spells

import sim
from sim.engine.recorder import W_TALKS, Recorder
from sim.inputs.files import params_dir
from sim.inputs.rules import WorkItem
from sim.metrics.workload import WorkPlan, item_counts, item_hours, work_plan

A, B = 0, 1
MUNI, AK = 0, 1


def _item(id_: str, trigger: str, hours: float, **kw) -> WorkItem:
    return WorkItem(id=id_, label_en=id_, label_da=id_, trigger=trigger, hours=hours, source="[V] test", **kw)


def _history() -> Recorder:
    """One citizen: enters a on day 10 (municipality), talks on days 20 and 120, moves to b on day
    150, leaves b (not to work) on day 200. The rules change on day 100."""
    rec = Recorder(["a", "b"], ["muni", "ak"], horizon_days=365.0, switch_days=[100.0])
    rec.on_entry(10.0, A, MUNI, external=True)
    rec.on_task(20.0, A, MUNI, 1.0, W_TALKS)
    rec.on_task(120.0, A, MUNI, 1.0, W_TALKS)
    rec.on_provider_days(A, MUNI, 140.0, end=150.0)
    rec.on_exit(150.0, A, MUNI, 10.0, to_work=False, external=False, case_start=10.0, new_entry=True)
    rec.on_entry(150.0, B, MUNI, external=False)
    rec.on_provider_days(B, MUNI, 50.0, end=200.0)
    rec.on_exit(200.0, B, MUNI, 150.0, to_work=False, external=True, case_start=10.0, new_entry=True)
    return rec


def _plan() -> WorkPlan:
    docs = _item("docs", "talk", 0.5)
    weekly = _item("weekly", "citizen_week", 0.2, hours_by_group={"a": 0.4})
    before = (docs, weekly, _item("plan", "spell_start", 1.0, groups=["a"]))
    after = (docs, weekly, _item("sanction", "availability_case", 3.0, rate_per_citizen_week=0.1, groups=["a"]),
             _item("move", "group_change", 2.0), _item("rehab", "exit_other", 20.0, share=0.75),
             _item("ak_only", "talk", 9.0, provider="ak"))
    return WorkPlan((before, after))


def test_trigger_counts_and_hours_match_a_hand_computation():
    rec, plan = _history(), _plan()
    n, h = item_counts(rec, plan), item_hours(rec, plan)
    # talks: one in each period, both on a/muni
    assert n["docs"][A, MUNI] == 2.0 and h["docs"][A, MUNI] == pytest.approx(1.0)
    # citizen-weeks: a 140 days, b 50 days, split over the periods but all counted
    assert n["weekly"][A, MUNI] == pytest.approx(140 / 7) and n["weekly"][B, MUNI] == pytest.approx(50 / 7)
    assert h["weekly"][A, MUNI] == pytest.approx(0.4 * 140 / 7) and h["weekly"][B, MUNI] == pytest.approx(0.2 * 50 / 7)
    # the spell start on day 10 falls before the switch; the entry to b (day 150) is after "plan" went
    assert h["plan"][A, MUNI] == 1.0 and h["plan"].sum() == 1.0
    # sanction cases only after day 100, on a's 50 citizen-weeks of the second period
    assert n["sanction"][A, MUNI] == pytest.approx(50 / 7 * 0.1)
    assert h["sanction"][A, MUNI] == pytest.approx(50 / 7 * 0.1 * 3.0) and h["sanction"][B].sum() == 0.0
    assert h["move"][B, MUNI] == 2.0 and h["move"].sum() == 2.0
    assert h["rehab"][B, MUNI] == pytest.approx(15.0) and h["rehab"].sum() == pytest.approx(15.0)
    assert h["ak_only"].sum() == 0.0  # no talk was held by the a-kasse


def test_an_item_dropped_by_the_next_rule_set_stops_on_the_switch_day():
    rec = Recorder(["a"], ["muni"], horizon_days=365.0, switch_days=[100.0])
    rec.on_provider_days(0, 0, 365.0, end=365.0)  # one citizen in stock all year
    plan = WorkPlan(((_item("w", "citizen_week", 1.0),), ()))
    assert item_hours(rec, plan)["w"][0, 0] == pytest.approx(100 / 7)


def _rule_set_with(tmp_path: Path, item: str, factor: float) -> Path:
    """A copy of pre_reform with one work item's hours (and its range) multiplied."""
    text = (params_dir() / "rules" / "pre_reform.toml").read_text()
    head, sep, rest = text.partition(f'id = "{item}"')
    body, nxt, tail = rest.partition("[[work_items]]")
    lines = []
    for line in body.splitlines():
        key = line.split(" = ")[0]
        if key in ("hours", "range_low", "range_high"):
            line = f"{key} = {float(line.split(' = ')[1]) * factor}"
        lines.append(line)
    out = tmp_path / f"pre_reform_x{factor:g}.toml"
    out.write_text(head + sep + "\n".join(lines) + "\n" + nxt + tail)
    return out


def test_doubling_one_items_hours_doubles_its_fte_exactly(tmp_path):
    base = {"scale": 0.01, "years": 1.0, "capacity.unlimited": True, "exemption.share": 0.0}
    one = sim.run(sim.load_params(overrides=base | {"rules": str(_rule_set_with(tmp_path, "rehab_case", 1.0))}),
                  replications=1, seed=4, workers=1).workload
    two = sim.run(sim.load_params(overrides=base | {"rules": str(_rule_set_with(tmp_path, "rehab_case", 2.0))}),
                  replications=1, seed=4, workers=1).workload
    keys = ["replication", "item", "group", "provider"]
    m = one.merge(two, on=keys, suffixes=("_1", "_2"))
    assert len(m) == len(one) == len(two)
    rehab = m.item == "rehab_case"
    assert rehab.sum() >= 1 and (m[rehab].fte_1 > 0).all()
    np.testing.assert_array_equal(m[rehab].fte_2.to_numpy(), 2.0 * m[rehab].fte_1.to_numpy())
    shares = m.item.isin(["overhead_management", "overhead_administration"])
    others = ~rehab & ~shares
    np.testing.assert_array_equal(m[others].fte_2.to_numpy(), m[others].fte_1.to_numpy())
    # management and administration follow the modelled work: they grow by their shares of the change
    added = (m[rehab].fte_2 - m[rehab].fte_1).sum()
    grown = (m[shares].fte_2 - m[shares].fte_1).sum()
    assert grown == pytest.approx(0.20 * added, rel=1e-9)


def test_engine_trigger_counts_match_the_spell_log():
    """Job-ready citizens who never leave, pre-reform rules: the talks, spell starts and citizen-weeks
    the work items are booked on equal what the spell log shows."""
    p = sim.load_params(overrides=only_group("jobparat", 400.0, "pre_reform", years=1.0))
    df, model = spells(p, seed=3)
    n = item_counts(model.recorder, work_plan(p))
    j = model.groups.index("jobparat")
    muni = model.providers.index("municipality")
    assert n["talk_docs"][j, muni] == sum(len(t) for t in df.talks)
    assert n["entry_visitation"][j, muni] == len(df)  # every spell is a new entry
    weeks = sum(model.horizon - s for s in df.start) / 7.0
    assert n["sanction_case_jobparat"][j, muni] == pytest.approx(0.019 * weeks, rel=1e-9)
    assert n["udd_paalaeg"][j, muni] == len(df)  # counted on every start; the share 0.175 is in the hours


def test_overhead_block_by_hand(small_run):
    oh = sim.load_params().scenario.overhead
    modelled = small_run.kpi("fte_modelled_work", provider="municipality").to_numpy()
    block = small_run.kpi("fte_overhead_block", provider="municipality").to_numpy()
    fixed = (oh.employer_service_fte + oh.other_groups_fte) * 0.01
    np.testing.assert_allclose(block, (oh.management_share + oh.administration_share) * modelled + fixed, rtol=1e-9)
    np.testing.assert_allclose(small_run.kpi("fte_needed").to_numpy(),
                               small_run.kpi("fte_modelled_work").to_numpy() + block, rtol=1e-9)
    np.testing.assert_allclose(small_run.kpi("overhead_share_of_fte").to_numpy(),
                               block / small_run.kpi("fte_needed").to_numpy(), rtol=1e-9)


def test_persons_touched_per_year_counts_each_person_once_a_year():
    """Citizens who never leave, two years: year 1 has those who arrived in it, year 2 everyone who
    arrived in either year (still in stock); the KPI is their mean."""
    p = sim.load_params(overrides=only_group("oevrige", 300.0, "pre_reform", years=2.0))
    df, model = spells(p, seed=6)
    first_year = int((df.start < 365.25).sum())
    k = model.recorder.touched
    assert k[0, model.groups.index("oevrige")] == first_year
    assert k[1, model.groups.index("oevrige")] == len(df)
    assert k[1, -1] == len(df)  # any group: the same persons
    kpis = sim.run(p, replications=1, seed=6, workers=1)
    assert kpis.kpi("persons_touched_per_year", "oevrige").iloc[0] == pytest.approx((first_year + len(df)) / 2)


def test_fixed_national_work_follows_the_populations_share_not_the_scale():
    """A calibrated municipality file runs at scale 1 with its own population: the block's fixed FTE
    must be its share of Denmark (59,600 / 5,960,000 = 1 %), not national. (The programmes are groups
    with simulated stocks now, so they follow the scenario's own stock, not the population share.)"""
    p = sim.load_params(overrides=only_group("oevrige", 100.0, "pre_reform", years=1.0,
                                             **{"money.population": 59_600.0}))
    res = sim.run(p, replications=1, seed=2, workers=1)
    oh = p.scenario.overhead
    w = res.workload.set_index("item")
    assert w.loc["overhead_employer_service", "fte"] == pytest.approx(oh.employer_service_fte * 0.01, rel=1e-12)
    assert w.loc["overhead_other_groups", "fte"] == pytest.approx(oh.other_groups_fte * 0.01, rel=1e-12)
    assert "rf_casework" not in w.index  # no one in ressourceforløb in this scenario: no work


def test_report_states_the_shares_of_modelled_work_and_the_block(small_run, tmp_path):
    from sim.output.report import write_report

    small_run.save(tmp_path / "run")
    html = write_report(tmp_path / "run").read_text(encoding="utf-8")
    share = float(small_run.summary().query("kpi == 'overhead_share_of_fte' and group == 'all'")["mean"].iloc[0])
    assert f"{round(100 * (1 - share))} % of the FTE needed is modelled work" in html
    assert f"; {round(100 * share)} % is the overhead block" in html
    assert (tmp_path / "run" / "workload.csv").is_file()


def test_weekly_fte_needed_holds_the_same_work_as_the_kpi(small_run):
    """The weekly frame books the work items week by week (citizen-weeks from the end-of-week stock,
    an approximation) and adds the block to group "all": over the run it must come
    to the KPI's fte_needed within the approximation (2 %), per provider too."""
    w = small_run.weekly
    for provider in ("all", "municipality", "akasse"):
        sel = w[(w.measure == "fte_needed") & (w.group == "all") & (w.provider == provider)]
        weekly_mean = sel.groupby("replication").value.mean().to_numpy()
        np.testing.assert_allclose(weekly_mean, small_run.kpi("fte_needed", provider=provider).to_numpy(), rtol=0.02)
    # the rule-set items alone, summed over the weeks, against workload.csv (exact for event triggers)
    wl = small_run.workload
    items = set(wl.item) - {"talk", "offer_admin", "clarification", "other_case_work"}
    items -= {i for i in items if i.startswith("overhead_")} | set(wl[wl.group == "programmes"].item)
    per_rep = wl[wl.item.isin(items)].groupby("replication").hours.sum().to_numpy()
    weekly_items = w[(w.measure == "work_item_hours") & (w.group == "all") & (w.provider == "all")]
    years = 365 / 365.25
    np.testing.assert_allclose(weekly_items.groupby("replication").value.sum().to_numpy() / years, per_rep, rtol=0.02)

"""The overhead block in the weekly series, by hand.

The block (management and administration as shares of the municipality's modelled hours; employer
service and groups outside the five as national FTE times the run's share of Denmark) belongs to
no target group, so the weekly frame adds it to the caseworker hours and FTE of group "all" only.
Mutation testing (tests/MUTATION.md, `weekly._fixed_hours` 12) showed that dropping it from the
weekly series went unnoticed: the KPIs carry it (test_independent_workload), the weeks did not
have a test. Here the expected weekly hours are worked out from the test's own parameter values:

    block(week) = (management + administration) × municipality's modelled hours(week)
                  + (employer service FTE + other groups FTE) × share × productive hours / (365.25/7)
    share       = money.population × scale / overhead.national_population
"""

from __future__ import annotations

import pandas as pd
import pytest
from lawbook import frozen

import sim
from sim.engine.recorder import W_TALKS, Recorder
from sim.experiment.runner import run
from sim.metrics.weekly import weekly_frame

MGMT, ADMIN, EMPLOYER_FTE, OTHER_FTE = 0.07, 0.13, 310.0, 170.0
NATIONAL_POP = 4_000_000.0
PRODUCTIVE_H = 1400.0
SCALE = 0.01
WEEKS_PER_YEAR = 365.25 / 7.0
CASE_WORK = {"jobparat": 0.5, "dagpenge": 0.2}


def _overrides() -> dict[str, object]:
    ov: dict[str, object] = {
        "overhead.management_share": MGMT, "overhead.administration_share": ADMIN,
        "overhead.employer_service_fte": EMPLOYER_FTE, "overhead.other_groups_fte": OTHER_FTE,
        "overhead.national_population": NATIONAL_POP, "overhead.provider": "municipality",
        "capacity.productive_hours_per_fte_year": PRODUCTIVE_H, "scale": SCALE,
    }
    for g in ("dagpenge", "jobparat", "aktivitetsparat", "sygemeldt", "oevrige"):
        ov[f"caseworker_time.case_work_hours_per_week.{g}"] = CASE_WORK.get(g, 0.0)
    return ov


def _fixed_per_week(population: float, scale: float = SCALE) -> float:
    """The national-FTE part of the block in one week, in hours."""
    return (EMPLOYER_FTE + OTHER_FTE) * (population * scale / NATIONAL_POP) * PRODUCTIVE_H / WEEKS_PER_YEAR


def _series(frame: pd.DataFrame, measure: str, group: str, provider: str) -> list[float]:
    sel = frame[(frame.measure == measure) & (frame.group == group) & (frame.provider == provider)]
    return sel.sort_values("week").value.tolist()


def test_weekly_block_by_hand_from_a_recorder():
    """Three weeks, counted by hand into a recorder: one jobparat citizen with the municipality from
    the start (a 1.5-hour talk on day 2), one dagpenge citizen arriving with the a-kasse on day 9
    (a 0.75-hour talk on day 10). Modelled hours:
    jobparat/municipality 1.5 + 0.5, 0.5, 0.5; dagpenge/a-kasse 0, 0.75 + 0.2, 0.2.
    Group "all", municipality: × (1 + 0.07 + 0.13) plus the fixed part; the a-kasse gets no block."""
    p = sim.load_params(overrides=_overrides())
    sc = p.scenario
    rec = Recorder(["jobparat", "dagpenge"], ["municipality", "akasse"], horizon_days=21.0)
    rec.on_start(0, 0)
    rec.on_task(2.0, 0, 0, 1.5, W_TALKS)
    rec.on_entry(9.0, 1, 1, external=True)
    rec.on_task(10.0, 1, 1, 0.75, W_TALKS)
    frame = weekly_frame(rec, 0, sc, None)
    fixed = _fixed_per_week(sc.money.population)
    assert fixed > 1.0  # the fixed part is large enough to see
    muni = [2.0, 0.5, 0.5]
    akasse = [0.0, 0.95, 0.2]
    # the group rows carry no block
    assert _series(frame, "caseworker_hours", "jobparat", "municipality") == pytest.approx(muni, rel=1e-12)
    assert _series(frame, "caseworker_hours", "dagpenge", "akasse") == pytest.approx(akasse, rel=1e-12)
    assert _series(frame, "caseworker_hours", "jobparat", "all") == pytest.approx(muni, rel=1e-12)
    # group "all": the block on the municipality only
    all_muni = [1.2 * h + fixed for h in muni]
    assert _series(frame, "caseworker_hours", "all", "municipality") == pytest.approx(all_muni, rel=1e-12)
    assert _series(frame, "caseworker_hours", "all", "akasse") == pytest.approx(akasse, rel=1e-12, abs=1e-12)
    all_all = [m + a for m, a in zip(all_muni, akasse)]
    assert _series(frame, "caseworker_hours", "all", "all") == pytest.approx(all_all, rel=1e-12)
    # FTE: the same hours × weeks a year / productive hours
    for prov, hours in (("municipality", all_muni), ("akasse", akasse), ("all", all_all)):
        assert _series(frame, "fte_needed", "all", prov) == pytest.approx(
            [h * WEEKS_PER_YEAR / PRODUCTIVE_H for h in hours], rel=1e-12, abs=1e-12), prov
    assert _series(frame, "fte_needed", "jobparat", "municipality") == pytest.approx(
        [h * WEEKS_PER_YEAR / PRODUCTIVE_H for h in muni], rel=1e-12)


def test_no_block_without_overhead_parameters():
    """With every overhead parameter 0, group "all" is the plain sum of the groups."""
    ov = _overrides() | {"overhead.management_share": 0.0, "overhead.administration_share": 0.0,
                         "overhead.employer_service_fte": 0.0, "overhead.other_groups_fte": 0.0}
    sc = sim.load_params(overrides=ov).scenario
    rec = Recorder(["jobparat"], ["municipality"], horizon_days=14.0)
    rec.on_start(0, 0)
    rec.on_task(3.0, 0, 0, 1.5, W_TALKS)
    frame = weekly_frame(rec, 0, sc, None)
    assert _series(frame, "caseworker_hours", "all", "municipality") == pytest.approx([2.0, 0.5], rel=1e-12)


def test_weekly_block_in_a_small_run():
    """A frozen run (jobparat and dagpenge arrive, nobody leaves), 13 weeks: each week, group "all"
    of the municipality is 1.2 × the sum of the groups' municipality hours (talks, offers,
    clarifications, case work and the rule-set items) plus the fixed part; the other providers and
    the groups carry no block. Scale 1 here, so the share is money.population / 4,000,000."""
    ov = frozen({"jobparat": 300.0, "dagpenge": 300.0}, "pre_reform", years=0.25,
                **{"exemption.share": 0.0}) | _overrides() | {"scale": 1.0}
    p = sim.load_params(overrides=ov)
    frame = run(p, replications=1, seed=7, workers=1).weekly
    fixed = _fixed_per_week(p.scenario.money.population, 1.0)
    groups = sorted(set(frame.group) - {"all"})
    for prov, block in (("municipality", True), ("akasse", False)):
        per_group = [_series(frame, "caseworker_hours", g, prov) for g in groups]
        modelled = [sum(col) for col in zip(*per_group)]
        assert sum(modelled) > 50.0, prov  # the run did work with this provider
        want = [(1.0 + MGMT + ADMIN) * h + fixed if block else h for h in modelled]
        assert _series(frame, "caseworker_hours", "all", prov) == pytest.approx(want, rel=1e-9), prov
        assert _series(frame, "fte_needed", "all", prov) == pytest.approx(
            [h * WEEKS_PER_YEAR / PRODUCTIVE_H for h in want], rel=1e-9), prov

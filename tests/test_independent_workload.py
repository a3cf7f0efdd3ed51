"""Caseworker hours and FTE worked out by hand (issue 16, item 1).

In a deterministic scenario (nobody leaves, unlimited capacity) every talk, offer start and
clarification is in the spell log, with its provider. The test counts them, multiplies by the
parameter values it set itself (talk minutes by channel plus preparation, offer administration,
clarification hours, other case work per citizen-week with each provider) and compares the sum
with the `caseworker_hours_per_year` and `fte_needed` KPIs for every group and provider.

Issue 11 adds the rule sets' work items and the overhead block. Their hours are read from the
rule-set TOML file (not from the engine) and multiplied by trigger counts from the spell log:
per talk (each logged talk), per spell start (each logged spell: no initial stock, all external),
per availability case (citizen-weeks with the provider × rate); group changes and exits do not
happen in a frozen scenario. Programme items (fixed national stock) and the block are worked out
from the scenario by the documented formulas, with the test's own block parameters, and enter
only the provider totals (group "all"), as they belong to none of the five groups.

The channel of a talk is not logged, so each group is given one channel: `digital_share` 0
(all talks in person) or 1 (all digital).
"""

from __future__ import annotations

from collections import defaultdict

import pytest
from lawbook import frozen, kpi_value, rule_set, spell_log

import sim

SEED = 31
# the test's own parameter values: odd numbers, so that a wrong term cannot hide behind a round one
IN_PERSON_MIN, DIGITAL_MIN, PREP_MIN = 37.0, 23.0, 11.0
OFFER_H, CLAR_H = 1.7, 2.9
CASE_WORK = {"dagpenge": 0.2, "jobparat": 0.45, "sygemeldt": 0.55}
PRODUCTIVE_H = 1400.0
OTHER_FACTOR = 1.25
PROVIDERS = ("municipality", "akasse", "other")
# the test's own overhead block (issue 11 item 2): shares of the municipality's modelled hours and national FTE
MGMT_SHARE, ADMIN_SHARE, EMPLOYER_FTE, OTHER_GROUPS_FTE = 0.07, 0.13, 310.0, 170.0
NATIONAL_POP = 4_000_000.0


def _time_overrides(digital: dict[str, float]) -> dict[str, object]:
    ov: dict[str, object] = {
        "caseworker_time.talk_in_person_minutes": IN_PERSON_MIN,
        "caseworker_time.talk_digital_minutes": DIGITAL_MIN,
        "caseworker_time.talk_preparation_minutes": PREP_MIN,
        "caseworker_time.offer_admin_hours": OFFER_H,
        "caseworker_time.clarification_hours": CLAR_H,
        "capacity.productive_hours_per_fte_year": PRODUCTIVE_H,
        "trials.talk_time_factor.municipality": 1.0,
        "trials.talk_time_factor.akasse": 1.0,
        "trials.talk_time_factor.other": OTHER_FACTOR,
    }
    for g in ("dagpenge", "jobparat", "aktivitetsparat", "sygemeldt", "oevrige"):
        ov[f"caseworker_time.case_work_hours_per_week.{g}"] = CASE_WORK.get(g, 0.0)
    for g, share in digital.items():
        ov[f"groups.{g}.digital_share"] = share
    ov |= {"overhead.management_share": MGMT_SHARE, "overhead.administration_share": ADMIN_SHARE,
           "overhead.employer_service_fte": EMPLOYER_FTE, "overhead.other_groups_fte": OTHER_GROUPS_FTE,
           "overhead.national_population": NATIONAL_POP}
    return ov


def _item_applies(item: dict, group: str, provider: str) -> bool:
    """A rule-file work item's reach: its groups (none listed: all) and its provider (none: all)."""
    return ((not item.get("groups") or group in item["groups"])
            and item.get("provider") in (None, provider))


def _item_hours(item: dict, group: str) -> float:
    """Hours per trigger event × share, as the rule file states them."""
    return item.get("hours_by_group", {}).get(group, item["hours"]) * item.get("share", 1.0)


def _first_holder(row, handover_day: float) -> str:
    """Who holds the case when the spell starts (the provider its spell-start event is charged to)."""
    if row.group != "dagpenge":
        return "municipality"
    if row.course_provider is not None:
        return row.course_provider
    return "akasse" if handover_day > 0 else "municipality"


def items_hours(df, rules: dict, handover_day: float, course_days: float = 0.0):
    """The rule set's work items by (group, provider), counted from the spell log: talks, spell
    starts and citizen-weeks (availability cases); frozen scenarios have no moves or exits."""
    items = rules.get("work_items", [])
    kinds = {w["trigger"] for w in items}
    assert kinds <= {"talk", "spell_start", "availability_case", "citizen_week", "group_change", "exit",
                     "exit_other"}, kinds
    hours: dict[tuple[str, str], float] = defaultdict(float)
    for row in df.itertuples():
        g = row.group
        assert row.dest is None  # nobody leaves: no exit or group-change triggers
        for w in items:
            per = _item_hours(w, g)
            if w["trigger"] == "talk":
                for _day, provider in row.talks:
                    hours[g, provider] += per * _item_applies(w, g, provider)
            elif w["trigger"] == "spell_start":
                first = _first_holder(row, handover_day)
                hours[g, first] += per * _item_applies(w, g, first)
            elif w["trigger"] in ("availability_case", "citizen_week"):
                rate = w["rate_per_citizen_week"] if w["trigger"] == "availability_case" else 1.0
                for provider, days in _holder_days(row, handover_day, course_days).items():
                    hours[g, provider] += per * rate * days / 7.0 * _item_applies(w, g, provider)
    return hours


def outside_hours(p, rules: dict, group_hours: dict, horizon: float) -> dict[str, float]:
    """The overhead block per provider (group "all" only): national FTE × the run's share of
    Denmark; management and administration as shares of the block provider's (the
    municipality's) modelled hours."""
    sc = p.scenario
    share = sc.money.population * sc.scale / NATIONAL_POP
    out: dict[str, float] = defaultdict(float)
    modelled = sum(v for (_, q), v in group_hours.items() if q == "municipality")
    years = horizon / 365.25
    out["municipality"] += (MGMT_SHARE + ADMIN_SHARE) * modelled \
        + (EMPLOYER_FTE + OTHER_GROUPS_FTE) * PRODUCTIVE_H * years * share
    return out


def _holder_days(row, handover_day: float, course_days: float) -> dict[str, float]:
    """Days of the spell with each provider: the course provider in a trial course, the a-kasse
    until the hand-over for dagpenge, the municipality otherwise."""
    days = row.end - row.start
    if row.group != "dagpenge":
        return {"municipality": days}
    first, until = ((row.course_provider, course_days) if row.course_provider is not None
                    else ("akasse", handover_day))
    early = min(days, until)
    out: dict[str, float] = defaultdict(float)
    out[first] += early
    out["municipality"] += days - early
    return out


def hand_hours(df, digital: dict[str, float], handover_day: float, course_days: float = 0.0):
    """Hours by (group, provider) from the spell log and the test's own parameter values."""
    talk_h = {0.0: (IN_PERSON_MIN + PREP_MIN) / 60.0, 1.0: (DIGITAL_MIN + PREP_MIN) / 60.0}
    factor = {"municipality": 1.0, "akasse": 1.0, "other": OTHER_FACTOR}
    hours: dict[tuple[str, str], float] = defaultdict(float)
    for row in df.itertuples():
        g = row.group
        for _day, provider in row.talks:
            hours[g, provider] += talk_h[digital[g]] * factor[provider]
        hours[g, "municipality"] += OFFER_H * len(row.offers) + CLAR_H * len(row.clarifications)
        for provider, days in _holder_days(row, handover_day, course_days).items():
            hours[g, provider] += CASE_WORK[g] * days / 7.0
    return hours


def check_against_kpis(kpis, hours, groups, years: float, outside: dict[str, float]) -> None:
    def compare(group: str, provider: str, h: float) -> None:
        got = kpi_value(kpis, "caseworker_hours_per_year", group, provider)
        assert got == pytest.approx(h / years, rel=1e-9, abs=1e-9), (group, provider)
        fte = kpi_value(kpis, "fte_needed", group, provider)
        assert fte == pytest.approx(h / years / PRODUCTIVE_H, rel=1e-9, abs=1e-12), (group, provider)

    for g in groups:
        for p in PROVIDERS:
            compare(g, p, hours.get((g, p), 0.0))
        compare(g, "all", sum(hours.get((g, p), 0.0) for p in PROVIDERS))
    for p in PROVIDERS:
        compare("all", p, sum(v for (_, q), v in hours.items() if q == p) + outside.get(p, 0.0))
    compare("all", "all", sum(hours.values()) + sum(outside.values()))


def all_hours(df, p, rules_name: str, digital, handover_day: float, horizon: float, course_days: float = 0.0):
    """Group hours (diary tasks, other case work, rule-set items) and the provider-only rest."""
    rules = rule_set(rules_name)
    hours = hand_hours(df, digital, handover_day, course_days)
    for k, v in items_hours(df, rules, handover_day, course_days).items():
        hours[k] += v
    return hours, outside_hours(p, rules, hours, horizon)


def test_hours_and_fte_by_hand_pre_reform_three_groups_two_channels():
    """jobparat all in person, sygemeldt and dagpenge all digital; dagpenge switches from the
    a-kasse to the municipality at the hand-over, so its case work is split between them."""
    digital = {"jobparat": 0.0, "sygemeldt": 1.0, "dagpenge": 1.0}
    ov = frozen({"jobparat": 500.0, "sygemeldt": 400.0, "dagpenge": 400.0}, "pre_reform", years=1.0,
                **{"exemption.share": 0.0}) | _time_overrides(digital)
    p = sim.load_params(overrides=ov)
    df, horizon = spell_log(p, SEED)
    kpis = sim.run(p, replications=1, seed=SEED, workers=1).kpis
    # the scenario exercises every term: talks of both channels and providers, offers, clarifications
    talks = [prov for t in df.talks for _, prov in t]
    assert talks.count("akasse") > 500 and talks.count("municipality") > 2000
    assert df.offers.map(len).sum() > 100 and df.clarifications.map(len).sum() > 100
    handover = rule_set("pre_reform")["handover"]["day"]
    hours, outside = all_hours(df, p, "pre_reform", digital, handover, horizon)
    check_against_kpis(kpis, hours, ["dagpenge", "jobparat", "sygemeldt"], horizon / 365.25, outside)


def test_hours_and_fte_by_hand_free_choice_course_with_another_actor():
    """reform_2027 with every dagpenge entrant in the free-choice trial choosing another actor:
    that actor holds the first months' talks at its own time factor, and the case until the
    course ends; the exemption takes some talks and offers away (whatever happened is logged)."""
    digital = {"dagpenge": 0.0}
    ov = frozen({"dagpenge": 500.0}, "reform_2027", years=1.0,
                **{"trials.free_choice_share": 1.0, "trials.participation": 1.0,
                   "trials.choice.municipality": 0.0, "trials.choice.akasse": 0.0, "trials.choice.other": 1.0,
                   "groups.dagpenge.on_request_talks_per_month": 1.0}) | _time_overrides(digital)
    p = sim.load_params(overrides=ov)
    df, horizon = spell_log(p, SEED)
    kpis = sim.run(p, replications=1, seed=SEED, workers=1).kpis
    assert (df.course_provider == "other").all()
    talks = [prov for t in df.talks for _, prov in t]
    assert talks.count("other") > 300 and talks.count("municipality") > 300
    course_days = rule_set("reform_2027")["trials"]["course_days"]
    hours, outside = all_hours(df, p, "reform_2027", digital, 0.0, horizon, course_days)
    check_against_kpis(kpis, hours, ["dagpenge"], horizon / 365.25, outside)

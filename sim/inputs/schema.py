"""The scenario schema: typed, validated parameter tables and the loaded scenario.

Validation happens once, at load time, with pydantic; nothing inside the SimPy loop validates
again. Every table refuses unknown keys, so a typo is an error rather than an ignored setting.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from typing import Annotated, Any, Literal

from pydantic import Field, field_validator, model_validator

from sim.inputs.errors import ParamError
from sim.inputs.groups import Exhaustion as Exhaustion  # re-exported: the schema's tables live here
from sim.inputs.groups import Group
from sim.inputs.groups import Hazard as Hazard
from sim.inputs.numbers import Count, Number, Strict
from sim.inputs.rules import RuleSet

# The span of start dates the rule sets can speak for: none before the first rule set of the
# scenario is in force, and none more than this many years after the last one comes into force
# (no rule set says what the law will be then, and the figures are today's).
YEARS_AFTER_RULES = 10
MIN_HORIZON_DAYS = 7  # one week: the weekly series and every KPI need at least one
MAX_SPELLS_PER_INHABITANT = 10  # a yearly inflow beyond this many spells per inhabitant is a typo
DAYS_PER_YEAR = 365.25
# Dates a calendar can hold for any horizon: the rule sets narrow this further (see loading).
EARLIEST_DATE, LATEST_DATE = dt.date(1900, 1, 1), dt.date(2200, 12, 31)


class Calendar(Strict):
    include_customary_closing_days: bool = True


class Exemption(Strict):
    """Whom the municipalities and a-kasser exempt (see sim.engine.exemption). The ``managed_*``
    fields and `reassess_at_talks` are read by the ``managed`` policy only; `offer_share` is the
    municipality's share for the offers, decided separately by ``managed`` when the rule set allows
    it (None: the talk share)."""

    share: Number = Field(default=0.0, ge=0.0, le=1.0)
    policy: Literal["none", "random", "targeted", "managed"] = "random"
    judgement: Number = Field(default=1.0, ge=0.0, le=1.0)
    akasse_share: Number | None = Field(default=None, ge=0.0, le=1.0)
    beyond_law: bool = False
    offer_share: Number | None = Field(default=None, ge=0.0, le=1.0)
    managed_window_days: Number = Field(default=91.0, gt=0.0, le=730.0)
    managed_margin: Number = Field(default=0.02, ge=0.0, le=0.25)
    managed_min_arrivals: Count = Field(default=20, ge=1, le=100_000)
    reassess_at_talks: bool = True
    reassess_persistence: Number = Field(default=0.8, ge=0.0, le=1.0)


class FteStep(Strict):
    from_: dt.date = Field(alias="from")
    fte: Number = Field(ge=0.0)


class Provider(Strict):
    fte: list[FteStep] = Field(min_length=1)


class Capacity(Strict):
    """The providers' caseworker FTE; `default_provider` runs every contact course that no hand-over
    or trial gives to another provider, and starts the activation offers (the job centre)."""

    unlimited: bool = False
    productive_hours_per_fte_year: Number = Field(1375.0, gt=0.0, le=2000.0)
    providers: dict[str, Provider]
    default_provider: str

    @model_validator(mode="after")
    def _default_is_a_provider(self) -> Capacity:
        if self.default_provider not in self.providers:
            raise ParamError("default_provider", self.default_provider,
                             f"one of the providers {sorted(self.providers)}")
        return self


class CaseworkerTime(Strict):
    talk_in_person_minutes: Number = Field(gt=0.0, le=480.0)
    talk_digital_minutes: Number = Field(gt=0.0, le=480.0)
    talk_preparation_minutes: Number = Field(ge=0.0, le=480.0)
    offer_admin_hours: Number = Field(ge=0.0, le=100.0)
    clarification_hours: Number = Field(ge=0.0, le=100.0)
    # hours per citizen-week
    case_work_hours_per_week: dict[str, Annotated[Number, Field(ge=0.0, le=40.0)]] = Field(default_factory=dict)


class Overhead(Strict):
    """The block of job-centre work outside the modelled caseload (issue 11 item 2): management and
    administration as shares of the modelled work of `provider`, employer service and groups
    outside the five as fixed national FTE (times the scenario's scale)."""

    provider: str = "municipality"
    management_share: Number = Field(default=0.0, ge=0.0, le=1.0)
    administration_share: Number = Field(default=0.0, ge=0.0, le=1.0)
    employer_service_fte: Number = Field(default=0.0, ge=0.0, le=1e5)
    other_groups_fte: Number = Field(default=0.0, ge=0.0, le=1e5)
    national_population: Number = Field(default=5_960_000.0, gt=0.0, le=1e10)

    def national_share(self, scenario: Scenario) -> float:
        """The simulated population's share of Denmark: money.population × scale / national_population.
        The fixed national FTE (and the programme stocks of the rule sets) are multiplied by it, so that
        a municipality preset (scale = its share) and a calibrated file (scale 1, its own population) both
        get their share."""
        return scenario.money.population * scenario.scale / self.national_population


class Planning(Strict):
    first_talk_target_share: Number = Field(default=0.5, ge=0.0, le=1.0)
    talk_end_margin_days: Number = Field(default=14.0, ge=0.0, le=90.0)
    offer_target_share: Number = Field(default=0.6, ge=0.0, le=1.0)
    clarification_lead_days: Number = Field(default=14.0, ge=0.0, le=180.0)


class Effects(Strict):
    talk_weeks: Number = Field(ge=0.0, le=52.0)
    threat_weeks: Number = Field(ge=0.0, le=52.0)
    after_offer_weeks: Number = Field(ge=0.0, le=104.0)
    after_offer_multiplier: Number = Field(ge=0.0, le=5.0)
    talk_effect_by_need: Number = Field(0.0, ge=0.0, le=1.0)
    talk_multiplier: dict[str, Annotated[Number, Field(ge=0.0, le=5.0)]]
    threat_multiplier: dict[str, Annotated[Number, Field(ge=0.0, le=5.0)]]


class OfferType(Strict):
    label: str = ""
    share: Number = Field(ge=0.0, le=1.0)
    duration_weeks: Number = Field(gt=0.0, le=104.0)
    lock_in_multiplier: Number = Field(ge=0.0, le=5.0)
    cost_dkk_per_week: Number = Field(0.0, ge=0.0, le=1e6)
    counts_against_oevo_limit: bool = False


class Offers(Strict):
    types: dict[str, OfferType] = Field(min_length=1)

    @model_validator(mode="after")
    def _shares_sum_to_one(self) -> Offers:
        total = sum(t.share for t in self.types.values())
        if abs(total - 1.0) > 1e-6:
            raise ParamError("types", {k: t.share for k, t in self.types.items()},
                             f"offer type shares that sum to 1 (these sum to {total:g})")
        return self


class Money(Strict):
    caseworker_dkk_per_fte_year: Number = Field(ge=0.0, le=1e7)
    oevo_mentor_limit_dkk_per_full_time_person: Number = Field(ge=0.0, le=1e7)
    oevo_limit_groups: list[str] = Field(default_factory=list)
    mentor_share_of_offers: Number = Field(0.0, ge=0.0, le=1.0)
    mentor_dkk_per_offer: Number = Field(0.0, ge=0.0, le=1e7)
    job_premium_min_case_weeks: Number = Field(52.0, ge=0.0, le=520.0)
    job_premium_dkk_per_exit: Number = Field(0.0, ge=0.0, le=1e7)
    population: Number = Field(gt=0.0, le=1e10)
    benefit_dkk_per_week: dict[str, Annotated[Number, Field(ge=0.0, le=1e6)]]  # a weekly rate in DKK
    # ØVO and mentor support beyond the mandatory offers, DKK per citizen-week in the group
    oevo_mentor_beyond_offers_dkk_per_week: dict[str, Annotated[Number, Field(ge=0.0, le=1e6)]] = Field(
        default_factory=dict)


class Frailty(Strict):
    variance: Number = Field(default=0.5, ge=0.0, le=5.0)


class Trials(Strict):
    """The free-choice trial and the extended a-kasse trial (bm.dk press release 3 Dec 2025)."""

    enabled: bool = True
    # None: by place, each municipality's own trial (the 19 free choice, the rest the extended a-kasse
    # course); a number: that share of every place's entrants runs free choice (a what-if lever)
    free_choice_share: Number | None = Field(default=None, ge=0.0, le=1.0)
    participation: Number = Field(default=1.0, ge=0.0, le=1.0)
    choice: dict[str, Number] = Field(default_factory=lambda: {"municipality": 0.35, "akasse": 0.5, "other": 0.15})
    selection: Number = Field(default=0.0, ge=-1.0, le=1.0)
    outside_provider: str = "akasse"
    talk_multiplier: dict[str, Annotated[Number, Field(ge=0.0, le=5.0)]] = Field(default_factory=dict)
    talk_time_factor: dict[str, Annotated[Number, Field(gt=0.0, le=10.0)]] = Field(default_factory=dict)
    price_dkk_per_participant: dict[str, Annotated[Number, Field(ge=0.0, le=1e7)]] = Field(default_factory=dict)

    @field_validator("choice")
    @classmethod
    def _shares(cls, v: dict[str, float]) -> dict[str, float]:
        if any(x < 0 for x in v.values()) or abs(sum(v.values()) - 1.0) > 1e-6:
            raise ParamError("", v, "shares >= 0 that sum to 1")
        return v


class UnemploymentFunds(Strict):
    """The a-kasser a dagpenge citizen can belong to, with their shares of the members: each has
    its own exemption pool when it decides separately (``exemption.akasse_share``)."""

    shares: dict[str, Annotated[Number, Field(ge=0.0, le=1.0)]] = Field(
        default_factory=lambda: {"akasse_1": 1.0}, min_length=1)

    @field_validator("shares")
    @classmethod
    def _sum_to_one(cls, v: dict[str, float]) -> dict[str, float]:
        if abs(sum(v.values()) - 1.0) > 1e-6:
            raise ParamError("", v, "shares >= 0 that sum to 1")
        return v


class MunicipalityEffects(Strict):
    """How municipalities differ beyond their size: a municipality's job chances multiply every
    citizen's job hazard there by exp(sd·z − sd²/2), z standard normal drawn per municipality and
    replication (mean 1: the national level stays). The source of the intra-cluster correlation the
    trial's clustered power uses."""

    job_chance_sd: Number = Field(default=0.0, ge=0.0, le=1.0)


class Stu(Strict):
    """Citizens on STU (særligt tilrettelagt ungdomsuddannelse, a three-year special youth education),
    whose yearly clarification waits until the STU ends (a rule set's `stu_grace_days`).

    A `share_under_30` of the under-30 citizens created in one of `groups` (at the start, or on
    arrival) is on STU with a remaining time uniform on (0, `years_max`] from that day."""

    share_under_30: Number = Field(default=0.0, ge=0.0, le=1.0)
    years_max: Number = Field(default=3.0, gt=0.0, le=10.0)
    groups: list[str] = Field(default_factory=list)


class RuleStep(Strict):
    from_: dt.date = Field(alias="from")
    set: str


def _only_known(table: str, keys: Any, known: set[str], what: str) -> None:
    """Every key of a table keyed by group or provider names one (a misspelt key would be ignored)."""
    for k in keys:
        if k not in known:
            raise ParamError(f"{table}.{k}" if isinstance(keys, dict) else table, k, f"{what} {sorted(known)}")


def _check_groups(sc: Scenario) -> None:
    """References between groups, and the tables that need a value for every group and no other."""
    names = set(sc.groups)
    population = sc.money.population
    for g, grp in sc.groups.items():
        for dest in grp.hazard.to:
            if dest not in names or dest == g:
                raise ParamError(f"groups.{g}.hazard.to", dest, f"another group of {sorted(names)}")
        if grp.exhaustion and (grp.exhaustion.to_group not in names or grp.exhaustion.to_group == g):
            raise ParamError(f"groups.{g}.exhaustion.to_group", grp.exhaustion.to_group,
                             f"another group of {sorted(names)}")
        if grp.stock > population:
            raise ParamError(f"groups.{g}.stock", grp.stock, f"at most money.population ({population:,.0f})")
        if not isinstance(grp.inflow_per_year, str) and grp.inflow_per_year > MAX_SPELLS_PER_INHABITANT * population:
            raise ParamError(f"groups.{g}.inflow_per_year", grp.inflow_per_year,
                             f"at most {MAX_SPELLS_PER_INHABITANT} spells a year per inhabitant of money.population "
                             f"({MAX_SPELLS_PER_INHABITANT * population:,.0f})")
    for table, values in (("effects.talk_multiplier", sc.effects.talk_multiplier),
                          ("effects.threat_multiplier", sc.effects.threat_multiplier),
                          ("money.benefit_dkk_per_week", sc.money.benefit_dkk_per_week)):
        missing = names - set(values)
        if missing:
            raise ParamError(table, sorted(missing), f"a value for every group {sorted(names)}; these have none")
        _only_known(table, values, names, "a group of")
    _only_known("money.oevo_limit_groups", sc.money.oevo_limit_groups, names, "groups of")
    _only_known("stu.groups", sc.stu.groups, names, "groups of")
    _only_known("money.oevo_mentor_beyond_offers_dkk_per_week", sc.money.oevo_mentor_beyond_offers_dkk_per_week,
                names, "a group of")
    _only_known("caseworker_time.case_work_hours_per_week", sc.caseworker_time.case_work_hours_per_week, names,
                "a group of")


def _check_providers(sc: Scenario) -> None:
    """The trial tables name providers; an FTE timeline has one step per date."""
    providers = set(sc.capacity.providers)
    tr = sc.trials
    for table, keys in (("trials.choice", tr.choice), ("trials.talk_multiplier", tr.talk_multiplier),
                        ("trials.talk_time_factor", tr.talk_time_factor),
                        ("trials.price_dkk_per_participant", tr.price_dkk_per_participant)):
        _only_known(table, keys, providers, "a provider of")
    if tr.outside_provider not in providers:
        raise ParamError("trials.outside_provider", tr.outside_provider, f"a provider of {sorted(providers)}")
    oh = sc.overhead
    if oh.provider not in providers and (oh.management_share or oh.administration_share
                                         or oh.employer_service_fte or oh.other_groups_fte):
        raise ParamError("overhead.provider", oh.provider,
                         f"a provider of {sorted(providers)} (the block is booked on it)")
    for p, prov in sc.capacity.providers.items():
        dates = [s.from_ for s in prov.fte]
        if len(set(dates)) != len(dates):
            raise ParamError(f"capacity.providers.{p}.fte", sorted(d.isoformat() for d in dates),
                             "steps with different dates (two steps on one date leave the FTE ambiguous)")
        most = max(s.fte for s in prov.fte)
        if most > sc.money.population:
            raise ParamError(f"capacity.providers.{p}.fte", most,
                             f"at most money.population ({sc.money.population:,.0f}) caseworkers")


def check_capacity_covers_start(sc: Scenario) -> None:
    """Each provider's FTE timeline starts on or before start_date: before its first step a
    provider would silently have no caseworkers. (Checked after the start date itself, whose
    error is the more telling one when both are off.)"""
    for p, prov in sc.capacity.providers.items():
        first = min(s.from_ for s in prov.fte)
        if first > sc.start_date:
            raise ParamError(f"capacity.providers.{p}.fte", first.isoformat(),
                             f"a first step on or before start_date {sc.start_date} (before its first step "
                             "the provider would have no caseworkers)")


def _check_time(sc: Scenario) -> None:
    """A horizon of at least a week, and a rule timeline that covers the start."""
    if sc.horizon_days < MIN_HORIZON_DAYS:
        raise ParamError("years", sc.years, f"at least one week ({MIN_HORIZON_DAYS / DAYS_PER_YEAR:.4f} years); "
                                            f"this is {sc.horizon_days} days")
    if isinstance(sc.rules, list):
        if not sc.rules:
            raise ParamError("rules", [], "a rule set name or a timeline of at least one step")
        dates = [s.from_ for s in sc.rules]
        if dates != sorted(dates) or len(set(dates)) != len(dates):
            raise ParamError("rules", [d.isoformat() for d in dates], "a timeline whose dates increase")
        if dates[0] > sc.start_date:
            raise ParamError("rules", dates[0].isoformat(),
                             f"a timeline whose first step is on or before start_date {sc.start_date}")


class Scenario(Strict):
    """The validated scenario. Field names are the dotted parameter paths of the public contract."""

    name: str = "scenario"
    description: str = ""
    scale: Number = Field(1.0, gt=0.0, le=10.0)
    years: Number = Field(1.0, gt=0.0, le=30.0)
    start_date: dt.date = Field(dt.date(2027, 1, 1), ge=EARLIEST_DATE, le=LATEST_DATE)
    rules: str | list[RuleStep] = "reform_2027"
    calendar: Calendar = Calendar()
    exemption: Exemption = Exemption()
    capacity: Capacity
    caseworker_time: CaseworkerTime
    overhead: Overhead = Overhead()
    planning: Planning = Planning()
    effects: Effects
    offers: Offers
    money: Money
    frailty: Frailty = Frailty()
    municipality: str | None = None
    trials: Trials = Trials()
    unemployment_funds: UnemploymentFunds = UnemploymentFunds()
    municipality_effects: MunicipalityEffects = MunicipalityEffects()
    stu: Stu = Stu()
    groups: dict[str, Group] = Field(min_length=1)

    @model_validator(mode="after")
    def _cross_references(self) -> Scenario:
        """Checks across tables; each raises a ParamError naming its own field (see loading)."""
        _check_groups(self)
        _check_providers(self)
        _check_time(self)
        return self

    @property
    def end_date(self) -> dt.date:
        return self.start_date + dt.timedelta(days=self.horizon_days)

    @property
    def horizon_days(self) -> int:
        return int(round(self.years * DAYS_PER_YEAR))


class LoadedParams:
    """A validated scenario together with its rule sets, sources and provenance hash."""

    def __init__(self, scenario: Scenario, raw: dict[str, Any], sources: dict[str, str], origin: str,
                 rule_sets: dict[str, RuleSet]):
        self.scenario = scenario
        self.raw = raw
        self.sources = sources
        self.origin = origin
        self.rule_sets = rule_sets


    @property
    def params_hash(self) -> str:
        """A short hash of everything that determines the results (scenario and rule sets)."""
        blob = json.dumps({"scenario": self.scenario.model_dump(mode="json", by_alias=True),
                           "rules": {k: v.model_dump(mode="json") for k, v in sorted(self.rule_sets.items())}},
                          sort_keys=True, default=str)
        return hashlib.sha256(blob.encode()).hexdigest()[:16]

    def timeline(self) -> list[tuple[int, RuleSet]]:
        """The rule sets as (first day counted from start_date, rule set); the first entry is day 0."""
        sc = self.scenario
        if isinstance(sc.rules, str):
            return [(0, self.rule_sets[sc.rules])]
        steps: list[tuple[int, RuleSet]] = []
        for step in sc.rules:
            day = max(0, (step.from_ - sc.start_date).days)
            if steps and day == 0:
                steps[-1] = (0, self.rule_sets[step.set])
            else:
                steps.append((day, self.rule_sets[step.set]))
        return steps

    def source_of(self, path: str) -> str | None:
        """The source of a dotted parameter path: its own, or that of the nearest enclosing table."""
        if path in self.sources:
            return self.sources[path]
        parts = path.split(".")
        for i in range(len(parts) - 1, -1, -1):
            key = ".".join(parts[:i]) + "#table"
            if key in self.sources:
                return self.sources[key]
        return None

    def numeric_paths(self) -> list[str]:
        """Every numeric leaf of the raw scenario, as dotted paths (lists count as one leaf)."""
        out: list[str] = []

        def walk(node: Any, prefix: str) -> None:
            if isinstance(node, dict):
                for k, v in node.items():
                    walk(v, f"{prefix}.{k}" if prefix else k)
            elif isinstance(node, list) and node and all(isinstance(x, dict) for x in node):
                for v in node:
                    walk(v, prefix)
            elif is_numeric(node):
                out.append(prefix)

        walk(self.raw, "")
        return sorted(set(out))

    def assumptions(self) -> dict[str, str]:
        """Every numeric parameter whose source is an assumption ([A]), with that source."""
        out = {}
        for path in self.numeric_paths():
            src = self.source_of(path) or ""
            if "[A]" in src or src.lower().startswith("assumption") or "override" in src:
                out[path] = src
        return out


def is_numeric(x: Any) -> bool:
    if isinstance(x, bool):
        return False
    if isinstance(x, (int, float)):
        return True
    if isinstance(x, list) and x:
        return all(is_numeric(v) for v in x)
    return False

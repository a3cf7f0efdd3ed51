"""The scenario schema: typed, validated parameter tables and the loaded scenario.

Validation happens once, at load time, with pydantic; nothing inside the SimPy loop validates
again. Every table refuses unknown keys, so a typo is an error rather than an ignored setting.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from sim.inputs.rules import RuleSet


class Strict(BaseModel):
    """Refuses unknown keys, so that a typo is an error rather than a silently ignored setting."""

    model_config = ConfigDict(extra="forbid", frozen=True)


class Calendar(Strict):
    include_customary_closing_days: bool = True


class Exemption(Strict):
    share: float = Field(default=0.0, ge=0.0, le=1.0)
    policy: Literal["none", "random", "targeted"] = "random"
    judgement: float = Field(default=1.0, ge=0.0, le=1.0)
    akasse_share: float | None = Field(default=None, ge=0.0, le=1.0)
    beyond_law: bool = False


class FteStep(Strict):
    from_: dt.date = Field(alias="from")
    fte: float = Field(ge=0.0)


class Provider(Strict):
    fte: list[FteStep] = Field(min_length=1)


class Capacity(Strict):
    """The providers' caseworker FTE; `default_provider` runs every contact course that no hand-over
    or trial gives to another provider, and starts the activation offers (the job centre)."""

    unlimited: bool = False
    productive_hours_per_fte_year: float = Field(1375.0, gt=0.0, le=2000.0)
    providers: dict[str, Provider]
    default_provider: str

    @model_validator(mode="after")
    def _default_is_a_provider(self) -> Capacity:
        if self.default_provider not in self.providers:
            raise ValueError(f"default_provider {self.default_provider!r} is not one of the providers "
                             f"{sorted(self.providers)}")
        return self


class CaseworkerTime(Strict):
    talk_in_person_minutes: float = Field(gt=0.0, le=480.0)
    talk_digital_minutes: float = Field(gt=0.0, le=480.0)
    talk_preparation_minutes: float = Field(ge=0.0, le=480.0)
    offer_admin_hours: float = Field(ge=0.0, le=100.0)
    clarification_hours: float = Field(ge=0.0, le=100.0)
    case_work_hours_per_week: dict[str, float] = Field(default_factory=dict)

    @field_validator("case_work_hours_per_week")
    @classmethod
    def _hours(cls, v: dict[str, float]) -> dict[str, float]:
        for k, x in v.items():
            if not 0.0 <= x <= 40.0:
                raise ValueError(f"{k} = {x}: hours per citizen-week must be between 0 and 40")
        return v


class Overhead(Strict):
    """The block of job-centre work outside the modelled caseload (issue 11 item 2): management and
    administration as shares of the modelled work of `provider`, employer service and groups
    outside the five as fixed national FTE (times the scenario's scale)."""

    provider: str = "municipality"
    management_share: float = Field(default=0.0, ge=0.0, le=1.0)
    administration_share: float = Field(default=0.0, ge=0.0, le=1.0)
    employer_service_fte: float = Field(default=0.0, ge=0.0, le=1e5)
    other_groups_fte: float = Field(default=0.0, ge=0.0, le=1e5)
    national_population: float = Field(default=5_960_000.0, gt=0.0)

    def national_share(self, scenario: Scenario) -> float:
        """The simulated population's share of Denmark: money.population × scale / national_population.
        The fixed national FTE (and the programme stocks of the rule sets) are multiplied by it, so that
        a municipality preset (scale = its share) and a calibrated file (scale 1, its own population) both
        get their share."""
        return scenario.money.population * scenario.scale / self.national_population


class Planning(Strict):
    first_talk_target_share: float = Field(default=0.5, ge=0.0, le=1.0)
    talk_end_margin_days: float = Field(default=14.0, ge=0.0, le=90.0)
    offer_target_share: float = Field(default=0.6, ge=0.0, le=1.0)
    clarification_lead_days: float = Field(default=14.0, ge=0.0, le=180.0)


class Effects(Strict):
    talk_weeks: float = Field(ge=0.0, le=52.0)
    threat_weeks: float = Field(ge=0.0, le=52.0)
    after_offer_weeks: float = Field(ge=0.0, le=104.0)
    after_offer_multiplier: float = Field(ge=0.0, le=5.0)
    talk_effect_by_need: float = Field(0.0, ge=0.0, le=1.0)
    talk_multiplier: dict[str, float]
    threat_multiplier: dict[str, float]

    @field_validator("talk_multiplier", "threat_multiplier")
    @classmethod
    def _positive(cls, v: dict[str, float]) -> dict[str, float]:
        for k, x in v.items():
            if not 0.0 <= x <= 5.0:
                raise ValueError(f"{k} = {x}: a multiplier must be between 0 and 5")
        return v


class OfferType(Strict):
    label: str = ""
    share: float = Field(ge=0.0, le=1.0)
    duration_weeks: float = Field(gt=0.0, le=104.0)
    lock_in_multiplier: float = Field(ge=0.0, le=5.0)
    cost_dkk_per_week: float = Field(0.0, ge=0.0, le=1e6)
    counts_against_oevo_limit: bool = False


class Offers(Strict):
    types: dict[str, OfferType] = Field(min_length=1)

    @model_validator(mode="after")
    def _shares_sum_to_one(self) -> Offers:
        total = sum(t.share for t in self.types.values())
        if abs(total - 1.0) > 1e-6:
            raise ValueError(f"offer type shares sum to {total:g}; they must sum to 1")
        return self


class Money(Strict):
    caseworker_dkk_per_fte_year: float = Field(ge=0.0, le=1e7)
    oevo_mentor_limit_dkk_per_full_time_person: float = Field(ge=0.0, le=1e7)
    oevo_limit_groups: list[str] = Field(default_factory=list)
    mentor_share_of_offers: float = Field(0.0, ge=0.0, le=1.0)
    mentor_dkk_per_offer: float = Field(0.0, ge=0.0, le=1e7)
    job_premium_min_case_weeks: float = Field(52.0, ge=0.0, le=520.0)
    job_premium_dkk_per_exit: float = Field(0.0, ge=0.0, le=1e7)
    population: float = Field(gt=0.0)
    benefit_dkk_per_week: dict[str, float]
    # ØVO and mentor support beyond the mandatory offers, DKK per citizen-week in the group
    oevo_mentor_beyond_offers_dkk_per_week: dict[str, float] = Field(default_factory=dict)

    @field_validator("benefit_dkk_per_week")
    @classmethod
    def _rates(cls, v: dict[str, float]) -> dict[str, float]:
        for k, x in v.items():
            if not 0.0 <= x <= 1e6:
                raise ValueError(f"{k} = {x}: a weekly rate between 0 and 1,000,000 DKK")
        return v


class Frailty(Strict):
    variance: float = Field(default=0.5, ge=0.0, le=5.0)


class Hazard(Strict):
    breaks_weeks: list[float] = Field(min_length=1)
    work: list[float]
    other: list[float]
    to: dict[str, list[float]] = Field(default_factory=dict)

    @model_validator(mode="after")
    def _shapes(self) -> Hazard:
        b = self.breaks_weeks
        if b[0] != 0.0 or any(x >= y for x, y in zip(b, b[1:])):
            raise ValueError(f"breaks_weeks = {b}: must start at 0 and increase")
        for name, rates in [("work", self.work), ("other", self.other), *self.to.items()]:
            if len(rates) != len(b):
                raise ValueError(f"{name} has {len(rates)} rates for {len(b)} pieces of breaks_weeks")
            if any(not (0.0 <= r <= 7.0) for r in rates):
                raise ValueError(f"{name} = {rates}: weekly hazards must lie in [0, 7]")
        return self


class Exhaustion(Strict):
    to_group: str
    benefit_period_hours: float = Field(gt=0.0)
    hours_per_week: float = Field(gt=0.0, le=168.0)
    prior_hours_used: list[tuple[float, float]] = Field(min_length=1)

    @model_validator(mode="after")
    def _mixture(self) -> Exhaustion:
        total = sum(p for p, _ in self.prior_hours_used)
        if abs(total - 1.0) > 1e-6:
            raise ValueError(f"prior_hours_used shares sum to {total:g}; they must sum to 1")
        for p, h in self.prior_hours_used:
            if p < 0 or not 0 <= h < self.benefit_period_hours:
                raise ValueError(f"prior_hours_used entry [{p}, {h}]: "
                                 "share >= 0 and hours in [0, benefit_period_hours)")
        return self


class Group(Strict):
    label_en: str
    label_da: str
    stock: float = Field(ge=0.0)
    inflow_per_year: float | Literal["little"] = "little"
    seasonality: list[float] = Field(min_length=12, max_length=12)
    share_under_30: float = Field(ge=0.0, le=1.0)
    digital_share: float = Field(ge=0.0, le=1.0)
    on_request_talks_per_month: float = Field(ge=0.0, le=30.0)
    short_absence_share: float = Field(0.0, ge=0.0, le=1.0)
    short_absence_work_multiplier: float = Field(1.0, gt=0.0, le=20.0)
    hazard: Hazard
    exhaustion: Exhaustion | None = None

    @field_validator("inflow_per_year")
    @classmethod
    def _inflow(cls, v: float | str) -> float | str:
        if isinstance(v, float) and v < 0:
            raise ValueError("must be >= 0 or \"little\"")
        return v

    @field_validator("seasonality")
    @classmethod
    def _season(cls, v: list[float]) -> list[float]:
        if any(x < 0 for x in v) or abs(sum(v) / 12 - 1.0) > 0.01:
            raise ValueError(f"12 monthly factors >= 0 with mean 1 (mean is {sum(v) / 12:.3f})")
        return v


class Trials(Strict):
    """The free-choice trial and the extended a-kasse trial (domain.md §5)."""

    enabled: bool = True
    free_choice_share: float = Field(default=0.0, ge=0.0, le=1.0)
    participation: float = Field(default=1.0, ge=0.0, le=1.0)
    choice: dict[str, float] = Field(default_factory=lambda: {"municipality": 0.35, "akasse": 0.5, "other": 0.15})
    selection: float = Field(default=0.0, ge=-1.0, le=1.0)
    outside_provider: str = "akasse"
    talk_multiplier: dict[str, float] = Field(default_factory=dict)
    talk_time_factor: dict[str, float] = Field(default_factory=dict)
    price_dkk_per_participant: dict[str, float] = Field(default_factory=dict)

    @field_validator("choice")
    @classmethod
    def _shares(cls, v: dict[str, float]) -> dict[str, float]:
        if any(x < 0 for x in v.values()) or abs(sum(v.values()) - 1.0) > 1e-6:
            raise ValueError(f"choice shares {v} must be >= 0 and sum to 1")
        return v


class RuleStep(Strict):
    from_: dt.date = Field(alias="from")
    set: str


class Scenario(Strict):
    """The validated scenario. Field names are the dotted parameter paths of the public contract."""

    name: str = "scenario"
    description: str = ""
    scale: float = Field(1.0, gt=0.0, le=10.0)
    years: float = Field(1.0, gt=0.0, le=30.0)
    start_date: dt.date = dt.date(2027, 1, 1)
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
    groups: dict[str, Group] = Field(min_length=1)

    @model_validator(mode="after")
    def _cross_references(self) -> Scenario:
        names = set(self.groups)
        for g, grp in self.groups.items():
            for dest in grp.hazard.to:
                if dest not in names or dest == g:
                    raise ValueError(f"groups.{g}.hazard.to.{dest}: not another group of {sorted(names)}")
            if grp.exhaustion and grp.exhaustion.to_group not in names:
                raise ValueError(f"groups.{g}.exhaustion.to_group = {grp.exhaustion.to_group!r}: "
                                 f"not a group of {sorted(names)}")
        for table in ("talk_multiplier", "threat_multiplier"):
            missing = names - set(getattr(self.effects, table))
            if missing:
                raise ValueError(f"effects.{table}: no value for groups {sorted(missing)}")
        missing = names - set(self.money.benefit_dkk_per_week)
        if missing:
            raise ValueError(f"money.benefit_dkk_per_week: no rate for groups {sorted(missing)}")
        providers = set(self.capacity.providers)
        oh = self.overhead
        if oh.provider not in providers and (oh.management_share or oh.administration_share
                                             or oh.employer_service_fte or oh.other_groups_fte):
            raise ValueError(f"overhead.provider {oh.provider!r} is not one of the providers {sorted(providers)}")
        tr = self.trials
        for table, keys in (("trials.choice", tr.choice), ("trials.talk_multiplier", tr.talk_multiplier),
                            ("trials.talk_time_factor", tr.talk_time_factor),
                            ("trials.price_dkk_per_participant", tr.price_dkk_per_participant),
                            ("trials.outside_provider", [tr.outside_provider])):
            unknown = set(keys) - providers
            if unknown:
                raise ValueError(f"{table}: {sorted(unknown)} are not providers {sorted(providers)}")
        case_work = self.caseworker_time.case_work_hours_per_week
        for table, keys in (("money.oevo_limit_groups", self.money.oevo_limit_groups),
                            ("money.oevo_mentor_beyond_offers_dkk_per_week",
                             self.money.oevo_mentor_beyond_offers_dkk_per_week),
                            ("caseworker_time.case_work_hours_per_week", case_work)):
            unknown = set(keys) - names
            if unknown:
                raise ValueError(f"{table}: {sorted(unknown)} are not groups of {sorted(names)}")
        if isinstance(self.rules, list):
            if not self.rules:
                raise ValueError("rules: the timeline is empty")
            dates = [s.from_ for s in self.rules]
            if dates != sorted(dates) or len(set(dates)) != len(dates):
                raise ValueError("rules: timeline dates must increase")
            if dates[0] > self.start_date:
                raise ValueError(f"rules: the timeline starts {dates[0]}, after start_date {self.start_date}")
        return self

    @property
    def end_date(self) -> dt.date:
        return self.start_date + dt.timedelta(days=self.horizon_days)

    @property
    def horizon_days(self) -> int:
        return int(round(self.years * 365.25))


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

"""Rule sets as data: the contact rules of one legal regime, read from ``params/rules/NAME.toml``.

No legal number is written in Python: deadlines, counts, coverage shares, the exemption cap and the
hand-over day all come from these files, so that a planner can read and edit them.
"""

from __future__ import annotations

import datetime as dt
import tomllib
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from sim.inputs.errors import ParamError

AppliesTo = Literal["all", "under_30", "over_30", "short_absence", "not_short_absence"]

CURRENT_PROVIDER = "caseload"
"""A keyword of the rule-set language, not a provider: a talk block whose `provider` is
``"caseload"`` is held by whoever runs the citizen's contact course on the day of the talk (the
trials use it). Loading accepts it wherever a talk provider is named; the engine resolves it."""


class _Rule(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    source: str = ""


class TalkBlock(_Rule):
    """`count` talks held by `provider` in [from_day, to_day] of the spell, for `coverage` of citizens."""

    kind: str
    provider: str
    joint_with: str | None = None
    from_day: float = Field(ge=0.0)
    to_day: float = Field(gt=0.0)
    count: int = Field(ge=1, le=100)
    coverage: float = Field(ge=0.0, le=1.0)
    first_for_all: bool = True
    first_deadline_day: float | None = None
    exemptable: bool = False
    applies_to: AppliesTo = "all"

    @model_validator(mode="after")
    def _window(self) -> TalkBlock:
        if self.to_day <= self.from_day:
            raise ValueError(f"to_day {self.to_day} must be after from_day {self.from_day}")
        if self.first_deadline_day is not None and not self.from_day <= self.first_deadline_day <= self.to_day:
            raise ValueError("first_deadline_day must lie in [from_day, to_day]")
        return self

    @property
    def first_deadline(self) -> float:
        return self.first_deadline_day if self.first_deadline_day is not None else self.to_day


class OfferRule(_Rule):
    """An activation offer started by `due_day` (and then every `every_days`) for `coverage` of citizens."""

    kind: str
    due_day: float = Field(gt=0.0)
    every_days: float | None = Field(None, gt=0.0)
    coverage: float = Field(ge=0.0, le=1.0)
    exemptable: bool = False
    applies_to: AppliesTo = "all"


class Clarification(_Rule):
    """A case review (afklaring, revurdering) due at `first_day` and then every `every_days`."""

    kind: str
    provider: str
    first_day: float = Field(gt=0.0)
    every_days: float | None = Field(None, gt=0.0)
    applies_to: AppliesTo = "all"


class GroupRules(_Rule):
    as_needed_from_day: float = Field(0.0, ge=0.0)
    talks: list[TalkBlock] = Field(default_factory=list)
    offers: list[OfferRule] = Field(default_factory=list)
    clarifications: list[Clarification] = Field(default_factory=list)


class ExemptionRule(_Rule):
    """The one-in-four exemption: the cap, the pool it is counted over, and who decides.

    `separate_provider` names the provider that may decide itself whom to exempt from the talks it
    holds (the a-kasse); when the scenario gives that provider a share of its own
    (``exemption.akasse_share``) it has its own pool, otherwise the one decision covers all talks."""

    max_share: float = Field(ge=0.0, le=1.0)
    pool_groups: list[str] = Field(default_factory=list)
    pool_window_day: float = Field(gt=0.0)  # no default: the legal window lives in the rule-set files
    separate_provider: str | None = None


class Handover(_Rule):
    group: str
    from_provider: str
    to_provider: str
    day: float = Field(gt=0.0)


class TrialRule(_Rule):
    """The trials of the 2027 rules: who runs the first `course_days` of the `group`'s course."""

    group: str
    start: dt.date
    years: float = Field(gt=0.0)
    course_days: float = Field(gt=0.0)
    participants_total: float = Field(ge=0.0)


class Route(_Rule):
    """A `share` of the new entrants to `from_group` are registered in `to_group` instead."""

    from_group: str
    to_group: str
    share: float = Field(ge=0.0, le=1.0)


class Routing(_Rule):
    """Where new external entrants are registered (e.g. job-ready by default from 2027)."""

    routes: list[Route] = Field(default_factory=list)

    @model_validator(mode="after")
    def _shares(self) -> Routing:
        for g in {r.from_group for r in self.routes}:
            total = sum(r.share for r in self.routes if r.from_group == g)
            if total > 1.0 + 1e-9:
                raise ValueError(f"routes from {g!r} move {total:g} of its entrants; at most 1")
        return self

    def share(self, from_group: str, to_group: str) -> float:
        """The share of `from_group`'s entrants registered in `to_group` (0 if no route says so)."""
        return sum(r.share for r in self.routes if r.from_group == from_group and r.to_group == to_group)

    def destination(self, group: str, u: float) -> str:
        """The group an entrant to `group` is registered in, from its routing uniform `u`: the routes
        from `group` split [0, 1) in their order, the rest stays."""
        cum = 0.0
        for r in self.routes:
            if r.from_group == group:
                cum += r.share
                if u < cum:
                    return r.to_group
        return group


TRIGGERS = ("talk", "spell_start", "citizen_week", "offer", "group_change", "exit", "exit_other",
            "clarification", "availability_case", "programme_week")
"""What a work item is booked per. The recorder counts all but the last as events (a citizen-week is
a week in stock; "exit" is any exit from the system, "exit_other" one not to work, e.g. to flex-job or
disability pension); an availability or sanction case has no event of its own and is booked as
`rate_per_citizen_week` cases per citizen-week ([A] rates, see the rule sets). A "programme_week" is a
week of a citizen in a programme outside the five groups (ressourceforløb, jobafklaring, revalidering),
booked on a fixed national `stock` (× the scenario's scale) while the rule set is in force: those
programmes are not yet simulated as flows."""

Trigger = Literal["talk", "spell_start", "citizen_week", "offer", "group_change", "exit", "exit_other",
                  "clarification", "availability_case", "programme_week"]


class WorkItem(_Rule):
    """One process requirement: `hours` of caseworker work (times `share`) per trigger event in
    `groups` (empty: every group), charged to the provider the event happened with; a `provider`
    restricts the item to events with that provider. `range_low`/`range_high` bound an assumed
    number of hours for calibration (baseline only). `hours_by_group` overrides `hours` per group."""

    id: str
    label_en: str
    label_da: str
    trigger: Trigger
    hours: float = Field(ge=0.0, le=200.0)
    hours_by_group: dict[str, float] = Field(default_factory=dict)
    share: float = Field(1.0, ge=0.0, le=1.0)
    rate_per_citizen_week: float = Field(0.0, ge=0.0, le=1.0)
    stock: float = Field(0.0, ge=0.0, le=1e6)
    provider: str | None = None
    groups: list[str] = Field(default_factory=list)
    range_low: float | None = Field(None, ge=0.0)
    range_high: float | None = Field(None, ge=0.0)

    @model_validator(mode="after")
    def _consistent(self) -> WorkItem:
        if not self.source:
            raise ValueError(f"work item {self.id!r} needs a source")
        if (self.trigger == "availability_case") != (self.rate_per_citizen_week > 0):
            raise ValueError(f"work item {self.id!r}: rate_per_citizen_week > 0 exactly for availability_case")
        if "[A]" in self.source and (self.range_low is None or self.range_high is None):
            raise ValueError(f"work item {self.id!r} is an assumption ([A]): give range_low and range_high")
        if (self.trigger == "programme_week") != (self.stock > 0):
            raise ValueError(f"work item {self.id!r}: stock > 0 exactly for programme_week")
        if self.trigger == "programme_week" and (self.provider is None or self.groups):
            raise ValueError(f"work item {self.id!r}: a programme_week item names its provider and no groups")
        lo, hi = self.range_low, self.range_high
        if lo is not None and hi is not None and not lo <= self.hours <= hi:
            raise ValueError(f"work item {self.id!r}: hours {self.hours} outside [{lo}, {hi}]")
        return self

    def hours_for(self, group: str) -> float:
        return self.hours_by_group.get(group, self.hours)

    def applies(self, group: str, provider: str) -> bool:
        return (not self.groups or group in self.groups) and (self.provider is None or provider == self.provider)


class RuleSet(_Rule):
    name: str
    description: str = ""
    in_force_from: dt.date | None = None
    exemption: ExemptionRule
    handover: Handover | None = None
    trials: TrialRule | None = None
    routing: Routing = Routing()
    groups: dict[str, GroupRules]
    work_items: list[WorkItem] = Field(default_factory=list)

    @model_validator(mode="after")
    def _routes_between_groups(self) -> RuleSet:
        for r in self.routing.routes:
            for g in (r.from_group, r.to_group):
                if g not in self.groups:
                    raise ValueError(f"routing: {g!r} is not a group of the rule set {sorted(self.groups)}")
        ids = [w.id for w in self.work_items]
        if len(set(ids)) != len(ids):
            raise ValueError(f"work_items: ids must be unique ({ids})")
        return self


def load_rule_set(name: str, rules_dir: Path, scenario_dir: Path | None = None) -> RuleSet:
    """Load the rule set `name`: a file in ``params/rules``, or a path (relative to the scenario)."""
    candidates = [rules_dir / f"{name}.toml"]
    if scenario_dir is not None:
        candidates += [scenario_dir / name, scenario_dir / f"{name}.toml"]
    candidates.append(Path(name))
    path = next((c for c in candidates if c.is_file()), None)
    if path is None:
        known = sorted(p.stem for p in rules_dir.glob("*.toml"))
        raise ParamError("rules", name, f"one of {known} or a path to a rule-set TOML file")
    try:
        with open(path, "rb") as fh:
            data = tomllib.load(fh)
        return RuleSet.model_validate(data)
    except tomllib.TOMLDecodeError as exc:
        raise ParamError("rules", str(path), f"valid TOML ({exc})") from None
    except ValidationError as exc:
        err = exc.errors()[0]
        loc = ".".join(str(x) for x in err["loc"])
        raise ParamError(f"rules[{name}].{loc}", err.get("input"), err["msg"].removeprefix("Value error, ")) from None

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

AppliesTo = Literal["all", "under_30", "over_30", "not_short_absence"]

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


class RuleSet(_Rule):
    name: str
    description: str = ""
    in_force_from: dt.date | None = None
    exemption: ExemptionRule
    handover: Handover | None = None
    trials: TrialRule | None = None
    routing: Routing = Routing()
    groups: dict[str, GroupRules]

    @model_validator(mode="after")
    def _routes_between_groups(self) -> RuleSet:
        for r in self.routing.routes:
            for g in (r.from_group, r.to_group):
                if g not in self.groups:
                    raise ValueError(f"routing: {g!r} is not a group of the rule set {sorted(self.groups)}")
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

"""Rule sets as data: the contact rules of one legal regime, read from ``params/rules/NAME.toml``.

No legal number is written in Python: deadlines, counts, coverage shares, the exemption cap and the
hand-over day all come from these files, so that a planner can read and edit them.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Annotated, Literal

from pydantic import Field, ValidationError, model_validator

from sim.inputs.errors import ParamError
from sim.inputs.files import is_file, read_toml
from sim.inputs.numbers import Count, Number, Strict

MAX_DAY = 36525.0  # a hundred years of a spell: any day a rule names beyond this is a typo

AppliesTo = Literal["all", "under_30", "over_30", "short_absence", "not_short_absence"]

CURRENT_PROVIDER = "caseload"
"""A keyword of the rule-set language, not a provider: a talk block whose `provider` is
``"caseload"`` is held by whoever runs the citizen's contact course on the day of the talk (the
trials use it). Loading accepts it wherever a talk provider is named; the engine resolves it."""


class _Rule(Strict):
    source: str = ""


class TalkBlock(_Rule):
    """`count` talks held by `provider` in [from_day, to_day] of the spell, for `coverage` of citizens."""

    kind: str
    provider: str
    joint_with: str | None = None
    from_day: Number = Field(ge=0.0, le=MAX_DAY)
    to_day: Number = Field(gt=0.0, le=MAX_DAY)
    count: Count = Field(ge=1, le=100)
    coverage: Number = Field(ge=0.0, le=1.0)
    first_for_all: bool = True
    first_deadline_day: Number | None = Field(None, ge=0.0, le=MAX_DAY)
    exemptable: bool = False
    applies_to: AppliesTo = "all"
    # a talk of this block missed because of an exemption lifted after the block's end is still
    # held, late, rather than dropped (it no longer counts for the block's minimum)
    held_late_when_lifted: bool = False

    @model_validator(mode="after")
    def _window(self) -> TalkBlock:
        if self.to_day <= self.from_day:
            raise ParamError("to_day", self.to_day, f"a day after from_day {self.from_day:g}")
        if self.first_deadline_day is not None and not self.from_day <= self.first_deadline_day <= self.to_day:
            raise ParamError("first_deadline_day", self.first_deadline_day,
                             f"a day from from_day {self.from_day:g} to to_day {self.to_day:g}")
        return self

    @property
    def first_deadline(self) -> float:
        return self.first_deadline_day if self.first_deadline_day is not None else self.to_day


class OfferRule(_Rule):
    """An activation offer started by `due_day` (and then every `every_days`) for `coverage` of citizens."""

    kind: str
    due_day: Number = Field(gt=0.0, le=MAX_DAY)
    every_days: Number | None = Field(None, gt=0.0, le=MAX_DAY)
    coverage: Number = Field(ge=0.0, le=1.0)
    exemptable: bool = False
    applies_to: AppliesTo = "all"


class Clarification(_Rule):
    """A case review (afklaring, revurdering) due at `first_day` and then every `every_days`.

    The days count from the start of the spell, or with `counted_in = "cash_benefit_system"` from
    the start of the citizen's stay in the rule set's cash-benefit system (its `cash_benefit_system`
    groups, across moves between them). With `stu_grace_days`, a review due while the citizen is on
    STU (a special youth education) is due that many days after the STU ends instead."""

    kind: str
    provider: str
    first_day: Number = Field(gt=0.0, le=MAX_DAY)
    every_days: Number | None = Field(None, gt=0.0, le=MAX_DAY)
    applies_to: AppliesTo = "all"
    counted_in: Literal["spell", "cash_benefit_system"] = "spell"
    stu_grace_days: Number | None = Field(None, ge=0.0, le=MAX_DAY)


class CashBenefitSystem(_Rule):
    """The groups whose time together is the time "in the cash-benefit system" (kontanthjælps-
    systemet): a move between two of them keeps the citizen's clock, any other entry restarts it."""

    groups: list[str] = Field(default_factory=list)


class GroupRules(_Rule):
    as_needed_from_day: Number = Field(0.0, ge=0.0, le=MAX_DAY)
    talks: list[TalkBlock] = Field(default_factory=list)
    offers: list[OfferRule] = Field(default_factory=list)
    clarifications: list[Clarification] = Field(default_factory=list)


class ExemptionRule(_Rule):
    """The one-in-four exemption: the cap, the pool it is counted over, and who decides.

    `separate_provider` names the provider that may decide itself whom to exempt from the talks it
    holds (the a-kasse); when the scenario gives that provider a share of its own
    (``exemption.akasse_share``) it has its own pool, otherwise the one decision covers all talks."""

    max_share: Number = Field(ge=0.0, le=1.0)
    pool_groups: list[str] = Field(default_factory=list)
    pool_window_day: Number = Field(gt=0.0, le=MAX_DAY)  # no default: the legal window lives in the rule-set files
    separate_provider: str | None = None
    # the groups of the separate provider's own pool (its members: the a-kasse's are on dagpenge);
    # None: the same pool groups as the municipality's
    separate_pool_groups: list[str] | None = None
    # the municipality's own cap for exempting from the offers, counted separately from the talks'
    # ("tilsvarende for tilbud"); None: the talk decision covers the offers. Read by the managed policy.
    offer_max_share: Number | None = Field(None, ge=0.0, le=1.0)


class Handover(_Rule):
    group: str
    from_provider: str
    to_provider: str
    day: Number = Field(gt=0.0, le=MAX_DAY)


class TrialRule(_Rule):
    """The trials of the 2027 rules: who runs the first `course_days` of the `group`'s course."""

    group: str
    start: dt.date
    years: Number = Field(gt=0.0, le=100.0)
    course_days: Number = Field(gt=0.0, le=MAX_DAY)
    participants_total: Number = Field(ge=0.0, le=1e10)


class Route(_Rule):
    """A `share` of the new entrants to `from_group` are registered in `to_group` instead."""

    from_group: str
    to_group: str
    share: Number = Field(ge=0.0, le=1.0)


class Routing(_Rule):
    """Where new external entrants are registered (e.g. job-ready by default from 2027)."""

    routes: list[Route] = Field(default_factory=list)

    @model_validator(mode="after")
    def _shares(self) -> Routing:
        for g in {r.from_group for r in self.routes}:
            total = sum(r.share for r in self.routes if r.from_group == g)
            if total > 1.0 + 1e-9:
                raise ParamError("routes", g,
                                 f"routes that move at most 1 of a group's entrants (these move {total:g})")
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
            "clarification", "availability_case")
"""What a work item is booked per. The recorder counts all but the last as events (a citizen-week is
a week in stock; "exit" is any exit from the system, "exit_other" one not to work, e.g. to flex-job or
disability pension); an availability or sanction case has no event of its own and is booked as
`rate_per_citizen_week` cases per citizen-week ([A] rates, see the rule sets). A programme outside
the five groups (ressourceforløb, jobafklaring, revalidering) is a group of its own in the scenario,
so its work follows its simulated stock and flows like any other group's."""

Trigger = Literal["talk", "spell_start", "citizen_week", "offer", "group_change", "exit", "exit_other",
                  "clarification", "availability_case"]


class Closure(_Rule):
    """A programme (a group of the scenario) closed to new cases while this rule set is in force.

    Who is in it on the day it closes finishes the course under the old rules (they leave by the
    group's own hazards). Whoever would have entered it from then on (a new entrant or a move from
    another group) is registered in `entrants_to` instead; a citizen already in the group who enters
    `entrants_to` by this redirection simply stays where it is. `leavers_to`, if given, is where the
    course's citizens go when their course ends in a move to another group (e.g. jobafklaring to
    reduced-rate sickness benefit); exits to work or out of the system are not changed."""

    group: str
    entrants_to: str
    leavers_to: str | None = None


class WorkItem(_Rule):
    """One process requirement: `hours` of caseworker work (times `share`) per trigger event in
    `groups` (empty: every group), charged to the provider the event happened with; a `provider`
    restricts the item to events with that provider. `range_low`/`range_high` bound an assumed
    number of hours for calibration (baseline only). `hours_by_group` overrides `hours` per group.
    Its groups must be groups of the rule set and its provider one of the scenario's (checked on
    load): a misspelt name would silently book nothing."""

    id: str
    label_en: str
    label_da: str
    trigger: Trigger
    hours: Number = Field(ge=0.0, le=200.0)
    hours_by_group: dict[str, Annotated[Number, Field(ge=0.0, le=200.0)]] = Field(default_factory=dict)
    share: Number = Field(1.0, ge=0.0, le=1.0)
    rate_per_citizen_week: Number = Field(0.0, ge=0.0, le=1.0)
    provider: str | None = None
    groups: list[str] = Field(default_factory=list)
    range_low: Number | None = Field(None, ge=0.0, le=200.0)
    range_high: Number | None = Field(None, ge=0.0, le=200.0)
    time_use: Literal["contact", "preparation", "administration"] = "preparation"
    """Its time-use category, for calibrating to a municipality's time-use shares (most process
    requirements are preparation and follow-up of cases)."""

    @model_validator(mode="after")
    def _consistent(self) -> WorkItem:
        if not self.source:
            raise ParamError("source", self.source, f"a source for work item {self.id!r}")
        if (self.trigger == "availability_case") != (self.rate_per_citizen_week > 0):
            raise ParamError("rate_per_citizen_week", self.rate_per_citizen_week,
                             f"> 0 exactly when the trigger is availability_case (work item {self.id!r})")
        if "[A]" in self.source and (self.range_low is None or self.range_high is None):
            raise ParamError("range_low", self.range_low,
                             f"range_low and range_high for an assumed ([A]) work item ({self.id!r})")
        lo, hi = self.range_low, self.range_high
        if lo is not None and hi is not None and not lo <= self.hours <= hi:
            raise ParamError("hours", self.hours, f"hours within [range_low {lo:g}, range_high {hi:g}] "
                                                  f"(work item {self.id!r})")
        return self

    def hours_for(self, group: str) -> float:
        return self.hours_by_group.get(group, self.hours)

    def applies(self, group: str, provider: str) -> bool:
        return (not self.groups or group in self.groups) and (self.provider is None or provider == self.provider)


class RuleSet(_Rule):
    name: str
    description: str = ""
    in_force_from: dt.date | None = None
    first_months_day: Number = Field(gt=0.0, le=MAX_DAY)
    """The legal first months of a contact course (6 months: the talks and the first offer due by
    then are scored together as "cov" and "offer"); no default, the number lives in the file."""
    exemption: ExemptionRule
    handover: Handover | None = None
    trials: TrialRule | None = None
    routing: Routing = Routing()
    cash_benefit_system: CashBenefitSystem = CashBenefitSystem()
    groups: dict[str, GroupRules]
    work_items: list[WorkItem] = Field(default_factory=list)
    closures: list[Closure] = Field(default_factory=list)

    @model_validator(mode="after")
    def _routes_between_groups(self) -> RuleSet:
        for r in self.routing.routes:
            for g in (r.from_group, r.to_group):
                if g not in self.groups:
                    raise ParamError("routing.routes", g, f"not a group of the rule set {sorted(self.groups)}: "
                                                          "routes must name its groups")
        for g in self.cash_benefit_system.groups:
            if g not in self.groups:
                raise ParamError("cash_benefit_system.groups", g, f"a group of the rule set {sorted(self.groups)}")
        for g, gr in self.groups.items():
            for cl in gr.clarifications:
                if cl.counted_in == "cash_benefit_system" and g not in self.cash_benefit_system.groups:
                    raise ParamError(f"groups.{g}.clarifications.counted_in", cl.counted_in,
                                     f"'spell' for a group outside cash_benefit_system.groups "
                                     f"{self.cash_benefit_system.groups}")
        closed = [c.group for c in self.closures]
        for c in self.closures:
            if closed.count(c.group) > 1:
                raise ParamError("closures.group", c.group, "a group closed by one closure only")
            for target in (c.entrants_to, c.leavers_to):
                if target is not None and target in closed:
                    raise ParamError(f"closures[{c.group}]", target, "a destination that is not itself closed")
        ids = [w.id for w in self.work_items]
        repeated = sorted({i for i in ids if ids.count(i) > 1})
        if repeated:
            raise ParamError("work_items.id", repeated[0], "an id used by one work item only")
        for w in self.work_items:
            for table, keys in (("groups", w.groups), ("hours_by_group", w.hours_by_group)):
                unknown = [g for g in keys if g not in self.groups]
                if unknown:
                    raise ParamError(f"work_items[{w.id}].{table}", unknown[0],
                                     f"a group of the rule set {sorted(self.groups)}")
        return self


    def closure_of(self, group: str) -> Closure | None:
        """The closure of `group` under these rules, if it is closed."""
        for c in self.closures:
            if c.group == group:
                return c
        return None

    def destination(self, from_group: str, to_group: str) -> str:
        """Where a move from `from_group` to `to_group` (or a new entrant to `to_group`, with
        `from_group` "") lands under these rules: out of a closed course to its `leavers_to`, into a
        closed group to its `entrants_to`. A result equal to `from_group` means the citizen stays."""
        out = self.closure_of(from_group) if from_group else None
        if out is not None and out.leavers_to is not None and to_group != from_group:
            to_group = out.leavers_to
        into = self.closure_of(to_group)
        return into.entrants_to if into is not None else to_group


def load_rule_set(name: str, rules_dir: Path, scenario_dir: Path | None = None) -> RuleSet:
    """Load the rule set `name`: a file in ``params/rules``, or a path (relative to the scenario)."""
    candidates = [rules_dir / f"{name}.toml"]
    if scenario_dir is not None:
        candidates += [scenario_dir / name, scenario_dir / f"{name}.toml"]
    candidates.append(Path(name))
    path = next((c for c in candidates if is_file(c)), None)
    if path is None:
        known = sorted(p.stem for p in rules_dir.glob("*.toml"))
        raise ParamError("rules", name, f"one of {known} or a path to a rule-set TOML file")
    data = read_toml(path, field="rules")
    parent = data.pop("extends", None)
    if parent is not None:
        # A rule set that differs from another by a few top-level tables (e.g. the closures of
        # 1 Feb 2026 on top of the old contact rules) names it; its own top-level keys replace
        # the parent's whole (a list of work items is replaced, not merged).
        if not isinstance(parent, str) or parent == name or parent == path.stem:
            raise ParamError(f"rules[{name}].extends", parent, "the name of another rule set")
        base = load_rule_set(parent, rules_dir, scenario_dir).model_dump(exclude_unset=True)
        data = {**base, **data}
    try:
        return RuleSet.model_validate(data)
    except ValidationError as exc:
        err = exc.errors()[0]
        loc = [str(x) for x in err["loc"] if not str(x).startswith("function-")]
        own = (err.get("ctx") or {}).get("error")
        if isinstance(own, ParamError):  # a check that names its own field below the location
            raise ParamError(f"rules[{name}]." + ".".join([*loc, own.field]), own.value, own.allowed) from None
        raise ParamError(f"rules[{name}]." + ".".join(loc), err.get("input"),
                         err["msg"].removeprefix("Value error, ")) from None

"""Scenario parameters: TOML files, inheritance, dotted overrides, sources and validation.

A scenario is a TOML file under ``params/``. It may ``extends`` another scenario (by name, such as
``"national_default"``, or by a path relative to itself); tables are merged key by key. Every
number carries its source (a table's ``source`` or a ``<key>_source`` beside the key); the sources
are taken out before validation and kept on the loaded object so that reports can list the
assumptions a result rests on.

Validation happens once, here, with pydantic; nothing inside the SimPy loop validates again.
"""

from __future__ import annotations

import copy
import datetime as dt
import hashlib
import json
import tomllib
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from sim.errors import ParamError
from sim.rules import RuleSet, load_rule_set

PACKAGE_DIR = Path(__file__).resolve().parent


def params_dir() -> Path:
    """The folder holding the shipped scenarios: the repository's ``params/`` in a checkout,
    the copy inside the wheel otherwise."""
    repo = PACKAGE_DIR.parent / "params"
    if (repo / "national_default.toml").exists():
        return repo
    return PACKAGE_DIR / "_params"


class Strict(BaseModel):
    """Refuses unknown keys, so that a typo is an error rather than a silently ignored setting."""

    model_config = ConfigDict(extra="forbid", frozen=True)


class Calendar(Strict):
    include_customary_closing_days: bool = True


class Exemption(Strict):
    share: float = Field(0.0, ge=0.0, le=1.0)
    policy: Literal["none", "random", "targeted"] = "random"
    judgement: float = Field(1.0, ge=0.0, le=1.0)
    akasse_share: float | None = Field(None, ge=0.0, le=1.0)
    beyond_law: bool = False


class FteStep(Strict):
    from_: dt.date = Field(alias="from")
    fte: float = Field(ge=0.0)


class Provider(Strict):
    fte: list[FteStep] = Field(min_length=1)


class Capacity(Strict):
    unlimited: bool = False
    productive_hours_per_fte_year: float = Field(1375.0, gt=0.0, le=2000.0)
    providers: dict[str, Provider]


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


class Planning(Strict):
    first_talk_target_share: float = Field(0.5, ge=0.0, le=1.0)
    talk_end_margin_days: float = Field(14.0, ge=0.0, le=90.0)
    offer_target_share: float = Field(0.6, ge=0.0, le=1.0)
    clarification_lead_days: float = Field(14.0, ge=0.0, le=180.0)


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

    @field_validator("benefit_dkk_per_week")
    @classmethod
    def _rates(cls, v: dict[str, float]) -> dict[str, float]:
        for k, x in v.items():
            if not 0.0 <= x <= 1e6:
                raise ValueError(f"{k} = {x}: a weekly rate between 0 and 1,000,000 DKK")
        return v


class Frailty(Strict):
    variance: float = Field(0.5, ge=0.0, le=5.0)


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
    free_choice_share: float = Field(0.0, ge=0.0, le=1.0)
    participation: float = Field(1.0, ge=0.0, le=1.0)
    choice: dict[str, float] = Field(default_factory=lambda: {"municipality": 0.35, "akasse": 0.5, "other": 0.15})
    selection: float = Field(0.0, ge=-1.0, le=1.0)
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

    def __getattr__(self, name: str) -> Any:
        # Reads fall through to the scenario, so `params.exemption.share` works.
        if name.startswith("__") or name == "scenario":
            raise AttributeError(name)
        return getattr(self.scenario, name)

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
            elif _is_numeric(node):
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


def _is_numeric(x: Any) -> bool:
    if isinstance(x, bool):
        return False
    if isinstance(x, (int, float)):
        return True
    if isinstance(x, list) and x:
        return all(_is_numeric(v) for v in x)
    return False


def _merge(base: dict[str, Any], over: dict[str, Any]) -> dict[str, Any]:
    out = copy.deepcopy(base)
    for k, v in over.items():
        if isinstance(v, dict) and isinstance(out.get(k), dict):
            out[k] = _merge(out[k], v)
        else:
            out[k] = copy.deepcopy(v)
    return out


def _resolve_path(ref: str, relative_to: Path | None) -> Path:
    candidates = []
    p = Path(ref)
    if relative_to is not None:
        candidates.append(relative_to / p)
        candidates.append(relative_to / (ref + ".toml"))
    candidates += [p, params_dir() / p, params_dir() / (ref + ".toml"), params_dir() / "presets" / (ref + ".toml")]
    for c in candidates:
        if c.is_file():
            return c.resolve()
    raise ParamError("extends", ref, f"a scenario name under {params_dir()} or a path to a TOML file")


def read_toml(path: Path) -> dict[str, Any]:
    """Read a TOML file, turning a syntax error into a ParamError that names the file."""
    try:
        with open(path, "rb") as fh:
            return tomllib.load(fh)
    except FileNotFoundError:
        raise ParamError("PARAMS", str(path), "an existing TOML file") from None
    except tomllib.TOMLDecodeError as exc:
        raise ParamError("PARAMS", str(path), f"valid TOML ({exc})") from None


def _load_chain(path: Path, seen: tuple[Path, ...] = ()) -> dict[str, Any]:
    if path in seen:
        raise ParamError("extends", str(path), "a chain without cycles")
    data = read_toml(path)
    parent = data.pop("extends", None)
    if parent is None:
        return data
    base = _load_chain(_resolve_path(parent, path.parent), (*seen, path))
    return _merge(base, data)


def _split_sources(node: Any, prefix: str, sources: dict[str, str]) -> Any:
    """Remove `source` and `<key>_source` entries, recording them by dotted path."""
    if isinstance(node, dict):
        out = {}
        for k, v in node.items():
            if k == "source" and isinstance(v, str):
                sources[(prefix + "#table") if prefix else "#table"] = v
            elif k.endswith("_source") and isinstance(v, str):
                sources[f"{prefix}.{k[:-7]}" if prefix else k[:-7]] = v
            else:
                out[k] = _split_sources(v, f"{prefix}.{k}" if prefix else k, sources)
        return out
    if isinstance(node, list):
        return [_split_sources(v, prefix, sources) for v in node]
    return node


def parse_value(text: str) -> Any:
    """A command-line value as TOML (numbers, booleans, dates, lists), else as a plain string."""
    try:
        return tomllib.loads(f"v = {text}")["v"]
    except tomllib.TOMLDecodeError:
        return text


def _apply_override(data: dict[str, Any], path: str, value: Any, sources: dict[str, str]) -> None:
    parts = path.split(".")
    node = data
    for i, part in enumerate(parts[:-1]):
        nxt = node.get(part)
        if nxt is None:
            nxt = node[part] = {}
        if not isinstance(nxt, dict):
            raise ParamError(".".join(parts[: i + 1]), nxt, "a table (the override path goes through a value)")
        node = nxt
    node[parts[-1]] = value
    sources[path] = "override (user)"


def _pydantic_to_param_error(exc: ValidationError, data: dict[str, Any]) -> ParamError:
    err = exc.errors()[0]
    loc = [str(x) for x in err["loc"] if not str(x).startswith("function-after")]
    # pydantic names union branches in the location (e.g. "float", "literal['little']"); drop them.
    loc = [x for x in loc if not (x in ("float", "str", "int", "list[RuleStep]") or x.startswith("literal["))]
    field = ".".join(loc) or "scenario"
    value: Any = err.get("input")
    if isinstance(value, dict):
        value = "{…}"
    msg = err["msg"].removeprefix("Value error, ")
    if err["type"] == "extra_forbidden":
        msg = "unknown parameter (check the spelling; see params/national_default.toml for the known ones)"
    elif err["type"] == "missing":
        msg = "missing: this parameter is required"
        value = None
    return ParamError(field, value, msg)


def load_params(path: str | Path | None = None, overrides: dict[str, Any] | None = None) -> LoadedParams:
    """Load, merge and validate a scenario.

    ``path=None`` is the built-in national default. ``overrides`` maps dotted paths to values
    (``{"exemption.share": 0.25}``); strings are parsed as TOML values. Raises ``ParamError``
    naming the field, the value and what is allowed.
    """
    file = params_dir() / "national_default.toml" if path is None else _resolve_path(str(path), None)
    merged = _load_chain(file)
    sources: dict[str, str] = {}
    data = _split_sources(merged, "", sources)
    for key, value in (overrides or {}).items():
        if isinstance(value, str) and key != "municipality":
            value = parse_value(value)
        _apply_override(data, key, value, sources)
    if data.get("municipality"):
        # a municipality preset: national default scaled by population, with its trial
        from sim.municipalities import apply_municipality

        data = apply_municipality(data, str(data["municipality"]), sources)
    try:
        scenario = Scenario.model_validate(data)
    except ValidationError as exc:
        raise _pydantic_to_param_error(exc, data) from None
    rule_names = [scenario.rules] if isinstance(scenario.rules, str) else [s.set for s in scenario.rules]
    rule_sets = {}
    for name in rule_names:
        rule_sets[name] = load_rule_set(name, params_dir() / "rules", file.parent)
    _check_against_rules(scenario, rule_sets)
    return LoadedParams(scenario, data, sources, str(file), rule_sets)


def _check_against_rules(sc: Scenario, rule_sets: dict[str, RuleSet]) -> None:
    names = set(sc.groups)
    for rs in rule_sets.values():
        unknown = set(rs.groups) - names
        if unknown:
            raise ParamError("rules", rs.name,
                             f"rule groups {sorted(unknown)} are not groups of the scenario {sorted(names)}")
        for g in rs.exemption.pool_groups:
            if g not in names:
                raise ParamError("rules", rs.name, f"exemption pool group {g!r} is not a group of the scenario")
        for talk in (t for grp in rs.groups.values() for t in grp.talks):
            for p in (talk.provider, talk.joint_with):
                if p and p != "caseload" and p not in sc.capacity.providers:
                    raise ParamError("capacity.providers", sorted(sc.capacity.providers),
                                     f"a provider {p!r} for rule set {rs.name}")
    cap = max(rs.exemption.max_share for rs in rule_sets.values())
    for field in ("share", "akasse_share"):
        value = getattr(sc.exemption, field)
        if value is not None and value > cap + 1e-12 and not sc.exemption.beyond_law:
            raise ParamError(f"exemption.{field}", value,
                             f"0 to {cap:g} (the legal cap of the rule sets in force); "
                             "set exemption.beyond_law = true to study shares beyond the law")

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
import tomllib
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from sim.inputs.errors import ParamError
from sim.inputs.files import params_dir, read_toml, resolve
from sim.inputs.municipalities import municipality_layer
from sim.inputs.rules import RuleSet, load_rule_set
from sim.inputs.schema import LATEST_DATE, YEARS_AFTER_RULES, LoadedParams, Scenario, check_capacity_covers_start


def _merge(base: dict[str, Any], over: dict[str, Any]) -> dict[str, Any]:
    out = copy.deepcopy(base)
    for k, v in over.items():
        if isinstance(v, dict) and isinstance(out.get(k), dict):
            out[k] = _merge(out[k], v)
        else:
            out[k] = copy.deepcopy(v)
    return out


def _without_given(layer: dict[str, Any], given: dict[str, Any]) -> dict[str, Any]:
    """`layer` less every value (and its ``_source``) that `given` states itself, so that the
    source of a value the user gave is not the preset's."""
    out = {}
    for k, v in layer.items():
        own = k.removesuffix("_source") if k.endswith("_source") else k
        if isinstance(v, dict) and isinstance(given.get(k), dict):
            out[k] = _without_given(v, given[k])
        elif own not in given:
            out[k] = v
    return out


def _load_chain(path: Path, seen: tuple[Path, ...] = ()) -> dict[str, Any]:
    """The file merged over the chain it ``extends``; a file naming a municipality gets the preset
    laid under its own values (its own values win)."""
    if path in seen:
        raise ParamError("extends", str(path), "a chain without cycles")
    data = read_toml(path)
    parent = data.pop("extends", None)
    base = {} if parent is None else _load_chain(resolve(parent, path.parent), (*seen, path))
    if "municipality" in data:
        layer = municipality_layer(data["municipality"], base)
        data = _merge(_without_given(layer, data), data)
        data["municipality"] = layer["municipality"]
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
    except (tomllib.TOMLDecodeError, KeyError):
        return text


def _apply_override(data: dict[str, Any], path: str, value: Any, sources: dict[str, str]) -> None:
    parts = path.split(".")
    if not all(p.strip() for p in parts):
        raise ParamError("--set", path, "a dotted parameter path such as exemption.share (no empty parts)")
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


def _apply_overrides(data: dict[str, Any], overrides: dict[str, Any], sources: dict[str, str]) -> dict[str, Any]:
    """The user's overrides over the scenario. A municipality comes first, as a preset: the other
    overrides are laid over it, so ``--set municipality=Odense --set scale=0.5`` runs at 0.5."""
    if "municipality" in overrides:
        layer = _split_sources(municipality_layer(overrides["municipality"], data), "", sources)
        data = _merge(data, layer)
        sources["municipality"] = "override (user)"
    for key, value in overrides.items():
        if key == "municipality":
            continue
        if isinstance(value, str):
            value = parse_value(value)
        _apply_override(data, key, value, sources)
    return data


RULE_OVERRIDE_EXAMPLE = "rules.pre_reform.work_items.talk_docs.hours=0.4"
OVERRIDABLE_ITEM_FIELDS = ("hours", "share", "rate_per_citizen_week", "range_low", "range_high", "hours_by_group")


def split_rule_overrides(overrides: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    """(scenario overrides, rule-set overrides). ``rules`` alone names the scenario's rule sets;
    a longer path ``rules.<rule set>.work_items.<id>.<field>`` reaches into a rule set."""
    scenario = {k: v for k, v in overrides.items() if not k.startswith("rules.")}
    return scenario, {k: v for k, v in overrides.items() if k.startswith("rules.")}


def apply_rule_overrides(rule_sets: dict[str, RuleSet], overrides: dict[str, Any], sources: dict[str, str]) -> None:
    """Set work-item numbers of the scenario's rule sets (``rules.<set>.work_items.<id>.<field>``),
    in place of the loaded rule sets; the item is checked again (an [A] item's hours within its
    range). Why here: calibration and sensitivity studies move item hours without copying files."""
    for key, value in overrides.items():
        parts = key.split(".")
        if len(parts) < 5 or parts[2] != "work_items" or parts[4] not in OVERRIDABLE_ITEM_FIELDS \
                or len(parts) != (6 if parts[4] == "hours_by_group" else 5):
            fields = ", ".join(OVERRIDABLE_ITEM_FIELDS)
            raise ParamError("--set", key, f"rules.<rule set>.work_items.<id>.<one of {fields}> "
                                           f"(hours_by_group.<group>), for example {RULE_OVERRIDE_EXAMPLE}")
        name, item_id = parts[1], parts[3]
        if name not in rule_sets:
            raise ParamError(key, name, f"a rule set of the scenario ({', '.join(sorted(rule_sets))})")
        data = rule_sets[name].model_dump(exclude_unset=True)
        items = data.get("work_items", [])
        row = next((w for w in items if w["id"] == item_id), None)
        if row is None:
            raise ParamError(key, item_id, f"a work item of rule set {name} ({', '.join(w['id'] for w in items)})")
        value = parse_value(value) if isinstance(value, str) else value
        if parts[4] == "hours_by_group":
            row.setdefault("hours_by_group", {})[parts[5]] = value
        else:
            row[parts[4]] = value
        try:
            rule_sets[name] = RuleSet.model_validate(data)
        except ValidationError as exc:
            err = exc.errors()[0]
            own = (err.get("ctx") or {}).get("error")
            allowed = own.allowed if isinstance(own, ParamError) else err["msg"].removeprefix("Value error, ")
            raise ParamError(key, _shown(value), allowed) from None
        sources[key] = "override (user)"


def _drop_validator_names(loc: list[str]) -> list[str]:
    """pydantic names validators and union branches in the location (e.g. "function-before[...]",
    "float", "literal['little']"); a user knows only the parameter path."""
    return [x for x in loc if not (x.startswith("function-") or x in ("float", "int", "str", "list[RuleStep]")
                                   or x.startswith("literal["))]


def _shown(value: Any) -> Any:
    """A value as the error shows it: tables abbreviated, dates as dates."""
    if isinstance(value, dict):
        return "{…}"
    if isinstance(value, dt.date):
        return value.isoformat()
    return value


def _pydantic_to_param_error(exc: ValidationError) -> ParamError:
    """The first error as a ParamError. A value that fits none of a union's forms (a number or
    "little") lists what each form needed, so the message says everything that is allowed."""
    errors = exc.errors()
    err = errors[0]
    loc = _drop_validator_names([str(x) for x in err["loc"]])
    own = (err.get("ctx") or {}).get("error")
    if isinstance(own, ParamError):  # a check that names its own field below the location
        shown = own.value.isoformat() if isinstance(own.value, dt.date) else own.value
        return ParamError(".".join([*loc, own.field]) if own.field else ".".join(loc), shown, own.allowed)
    field = ".".join(loc) or "scenario"
    value: Any = _shown(err.get("input"))
    if err["type"] == "extra_forbidden":
        msg = "unknown parameter (check the spelling; see params/national_default.toml for the known ones)"
    elif err["type"] == "missing":
        msg = "missing: this parameter is required"
        value = None
    else:
        same = [e["msg"].removeprefix("Value error, ") for e in errors
                if _drop_validator_names([str(x) for x in e["loc"]]) == loc and e["type"] != "missing"]
        msg = "; or ".join(dict.fromkeys(same))
    return ParamError(field, value, msg)


def load_params(path: str | Path | None = None, overrides: dict[str, Any] | None = None) -> LoadedParams:
    """Load, merge and validate a scenario.

    ``path=None`` is the built-in national default. ``overrides`` maps dotted paths to values
    (``{"exemption.share": 0.25}``); strings are parsed as TOML values. Raises ``ParamError``
    naming the field, the value and what is allowed.
    """
    file = params_dir() / "national_default.toml" if path is None else resolve(str(path), field="PARAMS")
    merged = _load_chain(file)
    sources: dict[str, str] = {}
    scenario_overrides, rule_overrides = split_rule_overrides(overrides or {})
    data = _apply_overrides(_split_sources(merged, "", sources), scenario_overrides, sources)
    try:
        scenario = Scenario.model_validate(data)
    except ValidationError as exc:
        raise _pydantic_to_param_error(exc) from None
    rule_names = [scenario.rules] if isinstance(scenario.rules, str) else [s.set for s in scenario.rules]
    rule_sets = {}
    for name in rule_names:
        rule_sets[name] = load_rule_set(name, params_dir() / "rules", file.parent)
    apply_rule_overrides(rule_sets, rule_overrides, sources)
    _check_against_rules(scenario, rule_sets)
    _check_start_date(scenario, rule_sets)
    check_capacity_covers_start(scenario)
    return LoadedParams(scenario, data, sources, str(file), rule_sets)


def _check_start_date(sc: Scenario, rule_sets: dict[str, RuleSet]) -> None:
    """A start date the rule sets speak for: not before the earliest of them is in force, and not
    more than YEARS_AFTER_RULES years after the last one comes into force."""
    in_force = [rs.in_force_from for rs in rule_sets.values() if rs.in_force_from is not None]
    if not in_force:
        return
    first, last = min(in_force), max(in_force)
    latest = min(dt.date(last.year + YEARS_AFTER_RULES, 12, 31), LATEST_DATE) if last.year < LATEST_DATE.year \
        else LATEST_DATE
    if not first <= sc.start_date <= latest:
        names = ", ".join(f"{rs.name} from {rs.in_force_from}" for rs in rule_sets.values() if rs.in_force_from)
        raise ParamError("start_date", sc.start_date.isoformat(),
                         f"a date from {first} to {latest}: the rule sets are in force {names}, and no rule set "
                         f"speaks for more than {YEARS_AFTER_RULES} years after the last one")


def _check_against_rules(sc: Scenario, rule_sets: dict[str, RuleSet]) -> None:
    names = set(sc.groups)
    for rs in rule_sets.values():
        unknown = set(rs.groups) - names
        if unknown:
            raise ParamError("rules", rs.name,
                             f"rule groups {sorted(unknown)} are not groups of the scenario {sorted(names)}")
        for g in rs.exemption.pool_groups + (rs.exemption.separate_pool_groups or []):
            if g not in names:
                raise ParamError("rules", rs.name, f"exemption pool group {g!r} is not a group of the scenario")
        for talk in (t for grp in rs.groups.values() for t in grp.talks):
            for p in (talk.provider, talk.joint_with):
                if p and p != "caseload" and p not in sc.capacity.providers:
                    raise ParamError("capacity.providers", sorted(sc.capacity.providers),
                                     f"a provider {p!r} for rule set {rs.name}")
        for item in rs.work_items:  # a misspelt provider would silently book nothing
            if item.provider is not None and item.provider not in sc.capacity.providers:
                raise ParamError(f"rules[{rs.name}].work_items[{item.id}].provider", item.provider,
                                 f"a provider of {sorted(sc.capacity.providers)}")
    cap = max(rs.exemption.max_share for rs in rule_sets.values())
    for field in ("share", "akasse_share", "offer_share"):
        value = getattr(sc.exemption, field)
        if value is not None and value > cap + 1e-12 and not sc.exemption.beyond_law:
            raise ParamError(f"exemption.{field}", value,
                             f"0 to {cap:g} (the legal cap of the rule sets in force); "
                             "set exemption.beyond_law = true to study shares beyond the law")

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
import tomllib
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from sim.inputs.errors import ParamError
from sim.inputs.files import params_dir, read_toml, resolve
from sim.inputs.municipalities import apply_municipality
from sim.inputs.rules import RuleSet, load_rule_set
from sim.inputs.schema import LoadedParams, Scenario


def _merge(base: dict[str, Any], over: dict[str, Any]) -> dict[str, Any]:
    out = copy.deepcopy(base)
    for k, v in over.items():
        if isinstance(v, dict) and isinstance(out.get(k), dict):
            out[k] = _merge(out[k], v)
        else:
            out[k] = copy.deepcopy(v)
    return out


def _load_chain(path: Path, seen: tuple[Path, ...] = ()) -> dict[str, Any]:
    if path in seen:
        raise ParamError("extends", str(path), "a chain without cycles")
    data = read_toml(path)
    parent = data.pop("extends", None)
    if parent is None:
        return data
    base = _load_chain(resolve(parent, path.parent), (*seen, path))
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
    file = params_dir() / "national_default.toml" if path is None else resolve(str(path), field="PARAMS")
    merged = _load_chain(file)
    sources: dict[str, str] = {}
    data = _split_sources(merged, "", sources)
    for key, value in (overrides or {}).items():
        if isinstance(value, str) and key != "municipality":
            value = parse_value(value)
        _apply_override(data, key, value, sources)
    if data.get("municipality"):
        # a municipality preset: national default scaled by population, with its trial
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

"""Everything a sweep checks before it runs a task or writes a file.

A sweep may run for hours; a typo in a factor path, a missing base scenario or a KPI name the model
does not compute must cost a second, not the sweep. So before anything runs:

- the output folder can be written and is new, empty or this sweep's folder;
- the base scenario loads, with the fixed overrides (``[set]``);
- every factor path is a parameter, at the ends of its range or at each of its levels;
- every design point's parameters are valid (the driver prepares them all first);
- every KPI reference names a KPI, group and provider the model computes.

Each failure is one ParamError naming the sweep file's key, the value and what is allowed.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from sim.inputs.errors import ParamError
from sim.inputs.files import check_output_folder
from sim.metrics.kpi_refs import parse_kpi_ref
from sim.studies.sweep.models import KpiCatalogue, SweepModel
from sim.studies.sweep.spec import SweepSpec

# What a folder may hold and still be taken for a new sweep (a run killed before it wrote sweep.json).
_LEFTOVERS = ("sweep.lock",)
_SWEEP_MARKERS = ("sweep.json", "points.parquet", "tasks")


def check_sweep_folder(out: str | Path) -> Path:
    """`out` as a folder a sweep may write: new, empty, or a sweep's folder (the one to resume)."""
    path = check_output_folder(out, "--out")
    if path.is_dir():
        names = {p.name for p in path.iterdir() if not (p.name.startswith(".") and p.name.endswith(".tmp"))}
        if names and not names & set(_SWEEP_MARKERS) and not names <= set(_LEFTOVERS):
            shown = ", ".join(sorted(names)[:3]) + (", …" if len(names) > 3 else "")
            raise ParamError("--out", str(out), f"a new or empty folder, or a sweep's folder to resume (this one "
                             f"holds other files: {shown})")
    return path


def _one_line(text: str) -> str:
    return " ".join(str(text).split())


def _prepare(model: SweepModel, spec: SweepSpec, values: dict[str, Any]) -> Any:
    return model.prepare(spec.base, {**spec.fixed, **values})


def check_base(spec: SweepSpec, model: SweepModel) -> None:
    """The base scenario loads, alone and with the fixed overrides."""
    try:
        model.prepare(spec.base, {})
    except ParamError as exc:
        raise ParamError("base", spec.base, _one_line(f"a scenario that loads ({exc})")) from None
    try:
        _prepare(model, spec, {})
    except ParamError as exc:
        field = f"set.{exc.field}" if exc.field in spec.fixed else exc.field
        raise ParamError(field, exc.value, _one_line(f"{exc.allowed} (the base scenario with the sweep's [set])")) \
            from None


def _trial_values(factor) -> list[Any]:
    return list(factor.levels) if factor.levels is not None else list(factor.span)


def check_factors(spec: SweepSpec, model: SweepModel) -> None:
    """Each factor path is a parameter, valid at its range's ends (or each level) with the base."""
    for f in spec.factors:
        for value in _trial_values(f):
            try:
                _prepare(model, spec, {f.path: value})
            except ParamError as exc:
                why = exc.allowed if exc.field == f.path else f"{exc.field} = {exc.value!r}: {exc.allowed}"
                raise ParamError(f"factors.{f.path}", value, _one_line(why)) from None


def point_error(exc: ParamError, point: int, values: dict[str, Any]) -> ParamError:
    """A design point's invalid parameters as one line that says which point."""
    where = ", ".join(f"{k} = {v!r}" for k, v in values.items())
    return ParamError(exc.field, exc.value, _one_line(f"{exc.allowed} (at design point {point}: {where})"))


def _suggest(name: str, known: Iterable[str]) -> str:
    close = difflib.get_close_matches(name, sorted(known), n=1)
    return f"; did you mean {close[0]}?" if close else ""


def check_kpis(spec: SweepSpec, model: SweepModel, payloads: Iterable[Any]) -> None:
    """Every KPI reference names a KPI, group and provider the model computes at some point.
    A model that cannot list its KPIs is checked after the run (a KPI no task returned is reported)."""
    catalogue: KpiCatalogue | None = None
    seen: set[int] = set()
    for payload in payloads:
        if id(payload) in seen:
            continue
        seen.add(id(payload))
        c = model.catalogue(payload)
        if c is None:
            return
        catalogue = c if catalogue is None else catalogue | c
    if catalogue is None:
        return
    for ref in spec.kpis:
        kpi, group, provider = parse_kpi_ref(ref)
        if kpi not in catalogue.names:
            raise ParamError("kpis", ref, f"a KPI the {model.name} model computes{_suggest(kpi, catalogue.names)}")
        if group not in catalogue.groups:
            raise ParamError("kpis", ref, f"a group of the scenario: {' | '.join(sorted(catalogue.groups))}")
        if provider not in catalogue.providers:
            raise ParamError("kpis", ref, f"a provider of the scenario: {' | '.join(sorted(catalogue.providers))}")

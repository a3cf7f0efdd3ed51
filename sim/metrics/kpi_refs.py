"""The one parser of KPI references: ``kpi``, ``kpi[group]`` or ``kpi[group/provider]``.

Staffing targets, the automatic replication rule, sweeps and calibration all name KPIs this way;
one grammar keeps a reference that works in one command working in the others."""

from __future__ import annotations

import re

from sim.inputs.errors import ParamError

KPI_REF_PATTERN = (r"(?P<kpi>[A-Za-z_][A-Za-z0-9_]*)\s*"
                   r"(?:\[\s*(?P<group>[A-Za-z0-9_]+)\s*(?:/\s*(?P<provider>[A-Za-z0-9_]+)\s*)?\])?")
"""A regular expression (named groups kpi, group, provider) to embed in larger grammars."""

_REF = re.compile(rf"\s*{KPI_REF_PATTERN}\s*")


def parse_kpi_ref(ref: str, field: str = "kpis") -> tuple[str, str, str]:
    """"kpi", "kpi[group]" or "kpi[group/provider]" -> (kpi, group, provider), "all" where left out."""
    m = _REF.fullmatch(ref or "")
    if not m:
        raise ParamError(field, ref, "a KPI name, optionally with [group] or [group/provider]")
    return m["kpi"], m["group"] or "all", m["provider"] or "all"

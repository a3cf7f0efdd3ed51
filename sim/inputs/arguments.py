"""Values typed on a command line: ``--set PATH=VALUE`` pairs and ``--replications``.

One parser each, shared by every command, so that ``caseload run``, ``staff``, ``compare``,
``calibrate`` and ``describe`` accept and refuse exactly the same spellings."""

from __future__ import annotations

from sim.inputs.errors import ParamError


def parse_overrides(pairs: list[str] | None) -> dict[str, str]:
    """``["exemption.share=0.2", ...]`` as ``{"exemption.share": "0.2"}``; values stay text for the loader."""
    out: dict[str, str] = {}
    for pair in pairs or []:
        if "=" not in pair:
            raise ParamError("--set", pair, "PATH=VALUE, for example exemption.share=0.25")
        k, v = pair.split("=", 1)
        out[k.strip()] = v.strip()
    return out


def parse_replications(text: str | int) -> int | str:
    """A whole number >= 1, or "auto" (add replications until the KPIs are precise enough)."""
    if str(text).strip().lower() == "auto":
        return "auto"
    try:
        n = int(text)
    except ValueError:
        raise ParamError("--replications", text, "a whole number >= 1") from None
    if n < 1:
        raise ParamError("--replications", text, "a whole number >= 1")
    return n

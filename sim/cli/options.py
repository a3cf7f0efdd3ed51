"""Command-line values shared by several commands, on top of :mod:`sim.inputs.arguments`."""

from __future__ import annotations

from sim.inputs.arguments import parse_replications
from sim.inputs.errors import ParamError


def whole_replications(text: str | int, minimum: int, why: str = "") -> int:
    """``--replications`` for a command that needs a fixed number (not "auto") of at least `minimum`:
    parsed by the one replications parser, then held to the command's own floor, e.g. two for a
    confidence interval."""
    try:
        n = parse_replications(str(text))
    except ParamError:
        n = None
    if not isinstance(n, int) or n < minimum:
        raise ParamError("--replications", text, f"a whole number >= {minimum}{why}")
    return n

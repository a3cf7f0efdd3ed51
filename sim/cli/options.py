"""Command-line values shared by several commands, on top of :mod:`sim.inputs.arguments`, and the
one way a command loads its scenario: validated, then checked the way the simulation would check
it on its first day, so that a bad scenario fails in a second, not inside a worker process."""

from __future__ import annotations

import argparse
from pathlib import Path

from sim.engine.population import external_inflows, spell_distributions
from sim.inputs.arguments import parse_overrides, parse_replications
from sim.inputs.errors import ParamError
from sim.inputs.loading import load_params
from sim.inputs.schema import LoadedParams


def whole_replications(text: str | int, minimum: int, why: str = "") -> int:
    """``--replications`` for a command that needs a fixed number (not "auto") of at least `minimum`:
    parsed by the one replications parser, then held to the command's own floor, e.g. two for a
    confidence interval."""
    try:
        n = parse_replications(str(text))
    except ParamError:
        n = None
    if not isinstance(n, int) or n < minimum:
        auto = " (auto is only for `caseload run`)" if n == "auto" else ""
        raise ParamError("--replications", text, f"a whole number >= {minimum}{why}{auto}")
    return n


def check_scenario(params: LoadedParams) -> LoadedParams:
    """What the model checks when it starts, done before any simulation: the groups' stocks can
    hold what the other groups send into them (a ParamError naming the group otherwise)."""
    external_inflows(params.scenario.groups, spell_distributions(params.scenario))
    return params


def load_scenario(path: str | Path | None, set_pairs: list[str] | None) -> LoadedParams:
    """The scenario a command runs: PARAMS with the ``--set`` overrides, validated and checked."""
    return check_scenario(load_params(path, parse_overrides(set_pairs)))


def examples(*commands: str) -> dict:
    """The keyword arguments that give a subcommand's ``--help`` an epilog of example command lines,
    shown as written (argparse would otherwise re-wrap them into one paragraph)."""
    head = "example:" if len(commands) == 1 else "examples:"
    return {"epilog": "\n".join([head, *(f"  {c}" for c in commands)]),
            "formatter_class": argparse.RawDescriptionHelpFormatter}


SHORTHANDS = (("scale", "share of Denmark's caseload simulated (--set scale=S; 1 = all of Denmark); counts are "
                        "scaled up to the population either way"),
              ("years", "simulated years (--set years=Y)"))


def add_shorthands(parser: argparse.ArgumentParser) -> None:
    """``--scale S`` and ``--years Y``: the two parameters a first run changes, without --set."""
    for name, text in SHORTHANDS:
        parser.add_argument(f"--{name}", default=None, metavar=name[0].upper(), help=text)


def with_shorthands(args: argparse.Namespace) -> list[str]:
    """The ``--set`` pairs with ``--scale`` and ``--years`` added last, so that they win (a
    municipality preset sets the scale; ``--scale`` then samples that municipality more thinly)."""
    pairs = list(args.set or [])
    for name, _ in SHORTHANDS:
        value = getattr(args, name, None)
        if value is not None:
            pairs.append(f"{name}={value}")
    return pairs

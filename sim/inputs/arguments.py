"""Values typed on a command line: ``--set PATH=VALUE`` pairs, ``--replications``, ``--seed`` and
``--workers``.

One parser each, shared by every command, so that ``caseload run``, ``staff``, ``compare``,
``calibrate`` and ``describe`` accept and refuse exactly the same spellings."""

from __future__ import annotations

from sim.inputs.errors import ParamError

MAX_REPLICATIONS = 10_000  # beyond this a typo (an extra zero or two) is likelier than a plan
MAX_SEED = 2**63 - 1  # seeds are stored in run.json and Parquet as 64-bit integers


def parse_overrides(pairs: list[str] | None) -> dict[str, str]:
    """``["exemption.share=0.2", ...]`` as ``{"exemption.share": "0.2"}``; values stay text for the loader.

    The same path twice is refused: which of the two should win is a guess."""
    out: dict[str, str] = {}
    for pair in pairs or []:
        if "=" not in pair:
            raise ParamError("--set", pair, "PATH=VALUE, for example exemption.share=0.25")
        k, v = pair.split("=", 1)
        key = k.strip()
        if not key or not all(part.strip() for part in key.split(".")):
            raise ParamError("--set", pair, "PATH=VALUE with a dotted parameter path, for example exemption.share=0.25")
        if key in out:
            raise ParamError("--set", pair, f"each parameter once ({key} is already set to {out[key]!r})")
        out[key] = v.strip()
    return out


def _whole_number(text: str | int, field: str, allowed: str) -> int:
    if isinstance(text, bool):
        raise ParamError(field, text, allowed)
    if isinstance(text, int):
        return text
    try:
        return int(str(text).strip())
    except ValueError:
        raise ParamError(field, text, allowed) from None


def parse_replications(text: str | int) -> int | str:
    """A whole number from 1 to MAX_REPLICATIONS, or "auto" (add replications until the KPIs are
    precise enough)."""
    if str(text).strip().lower() == "auto":
        return "auto"
    allowed = f"a whole number from 1 to {MAX_REPLICATIONS:,}, or auto"
    n = _whole_number(text, "--replications", allowed)
    if not 1 <= n <= MAX_REPLICATIONS:
        raise ParamError("--replications", text, allowed)
    return n


def parse_seed(text: str | int) -> int:
    """A whole number from 0 to 2**63 - 1: the seed of replication r is (seed, r)."""
    allowed = f"a whole number from 0 to {MAX_SEED}"
    n = _whole_number(text, "--seed", allowed)
    if not 0 <= n <= MAX_SEED:
        raise ParamError("--seed", text, allowed)
    return n


def parse_workers(text: str | int | None) -> int | None:
    """None (all cores) or a whole number >= 1 of local worker processes."""
    if text is None:
        return None
    n = _whole_number(text, "--workers", "a whole number >= 1 (leave it out to use all cores)")
    if n < 1:
        raise ParamError("--workers", text, "a whole number >= 1 (leave it out to use all cores)")
    return n

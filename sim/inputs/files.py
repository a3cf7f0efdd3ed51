"""Where scenario files live, and the one lookup that finds them by name or path.

A scenario, rule set, sweep or preset may be named (``"pre_reform"``), given relative to the file
that refers to it, or given as a path; the shipped ``params/`` folder is searched last. Every
command that takes such a reference goes through :func:`resolve`, so they all accept the same.
"""

from __future__ import annotations

import tomllib
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from sim.inputs.errors import ParamError

PACKAGE_DIR = Path(__file__).resolve().parent.parent  # the package folder, sim/


def params_dir() -> Path:
    """The folder holding the shipped scenarios: the repository's ``params/`` in a checkout,
    the copy inside the wheel otherwise."""
    repo = PACKAGE_DIR.parent / "params"
    if (repo / "national_default.toml").exists():
        return repo
    return PACKAGE_DIR / "_params"


def resolve(ref: str, relative_to: Path | None = None, folders: Sequence[str] = ("", "presets"),
            field: str = "extends", what: str = "a scenario") -> Path:
    """The file a reference names: itself, beside `relative_to`, or under the shipped params folders.

    A bare name may leave out ``.toml``. Raises ParamError naming `field` when nothing matches."""
    p = Path(ref)
    candidates: list[Path] = []
    if relative_to is not None:
        candidates += [relative_to / p, relative_to / (ref + ".toml")]
    candidates.append(p)
    for folder in folders:
        base = params_dir() / folder if folder else params_dir()
        candidates += [base / p, base / (ref + ".toml")]
    for c in candidates:
        if c.is_file():
            return c.resolve()
    raise ParamError(field, ref, f"{what} name under {params_dir()} or a path to a TOML file")


def read_toml(path: Path) -> dict[str, Any]:
    """Read a TOML file, turning a syntax error into a ParamError that names the file."""
    try:
        with open(path, "rb") as fh:
            return tomllib.load(fh)
    except FileNotFoundError:
        raise ParamError("PARAMS", str(path), "an existing TOML file") from None
    except tomllib.TOMLDecodeError as exc:
        raise ParamError("PARAMS", str(path), f"valid TOML ({exc})") from None

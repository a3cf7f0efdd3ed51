"""Where scenario files live, the one lookup that finds them by name or path, and the checks every
file a user names goes through: one to read, one for a place to write.

A scenario, rule set, sweep or preset may be named (``"pre_reform"``), given relative to the file
that refers to it, or given as a path; the shipped ``params/`` folder is searched last. Every
command that takes such a reference goes through :func:`resolve`, so they all accept the same.

A command checks its output path with :func:`check_output_folder` or :func:`check_output_file`
before it simulates anything, so that a typo in ``--out`` costs a second, not an hour's run.
"""

from __future__ import annotations

import os
import tempfile
import tomllib
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from sim.inputs.errors import ParamError

PACKAGE_DIR = Path(__file__).resolve().parent.parent  # the package folder, sim/

# Shipped files the model itself reads: writing over one would break every later command.
SHIPPED_FILES = ("national_default.toml", "municipalities.csv", "calibration_example.csv")
SHIPPED_FOLDERS = ("rules", "presets", "sweeps")


def params_dir() -> Path:
    """The folder holding the shipped scenarios: the repository's ``params/`` in a checkout,
    the copy inside the wheel otherwise."""
    repo = PACKAGE_DIR.parent / "params"
    if (repo / "national_default.toml").exists():
        return repo
    return PACKAGE_DIR / "_params"


def is_file(path: Path) -> bool:
    """``path.is_file()`` that answers False, not an exception, for a name the system cannot even
    look up (too long, a NUL byte, a loop of links)."""
    try:
        return path.is_file()
    except (OSError, ValueError):
        return False


def resolve(ref: str, relative_to: Path | None = None, folders: Sequence[str] = ("", "presets"),
            field: str = "extends", what: str = "a scenario") -> Path:
    """The file a reference names: itself, beside `relative_to`, or under the shipped params folders.

    A bare name may leave out ``.toml``. Raises ParamError naming `field` when nothing matches."""
    allowed = f"{what} name under {params_dir()} or a path to a TOML file"
    if not isinstance(ref, str) or not ref.strip():
        raise ParamError(field, ref, allowed)
    p = Path(ref)
    candidates: list[Path] = []
    if relative_to is not None:
        candidates += [relative_to / p, relative_to / (ref + ".toml")]
    candidates.append(p)
    for folder in folders:
        base = params_dir() / folder if folder else params_dir()
        candidates += [base / p, base / (ref + ".toml")]
    for c in candidates:
        if is_file(c):
            return c.resolve()
    if _is_dir(p):
        allowed += f" ({ref} is a folder)"
    raise ParamError(field, ref, allowed)


def _is_dir(path: Path) -> bool:
    try:
        return path.is_dir()
    except (OSError, ValueError):
        return False


def read_toml(path: Path, field: str = "PARAMS") -> dict[str, Any]:
    """Read a TOML file; anything that makes it unreadable (missing, a folder, not UTF-8 text, a
    syntax error, no permission) is a ParamError that names the file."""
    try:
        with open(path, "rb") as fh:
            return tomllib.load(fh)
    except FileNotFoundError:
        raise ParamError(field, str(path), "an existing TOML file") from None
    except IsADirectoryError:
        raise ParamError(field, str(path), "a TOML file, not a folder") from None
    except UnicodeDecodeError:
        raise ParamError(field, str(path), "a TOML text file (UTF-8); this one is binary or in another encoding") \
            from None
    except tomllib.TOMLDecodeError as exc:
        raise ParamError(field, str(path), f"valid TOML ({exc})") from None
    except (OSError, ValueError) as exc:
        raise ParamError(field, str(path), f"a readable TOML file ({exc})") from None


def read_text_lines(path: Path, field: str, what: str) -> list[str]:
    """The lines of a UTF-8 text file (a byte-order mark is dropped); ParamError naming `field`
    when the file is missing, a folder, binary or unreadable. `what` says what was expected."""
    try:
        with open(path, encoding="utf-8-sig", newline="") as fh:
            text = fh.read()
    except FileNotFoundError:
        raise ParamError(field, str(path), f"an existing {what}") from None
    except IsADirectoryError:
        raise ParamError(field, str(path), f"{what}, not a folder") from None
    except UnicodeDecodeError:
        raise ParamError(field, str(path), f"{what} as UTF-8 text; this one is binary or in another encoding") \
            from None
    except (OSError, ValueError) as exc:
        raise ParamError(field, str(path), f"a readable {what} ({exc})") from None
    if "\x00" in text:
        raise ParamError(field, str(path), f"{what} as text; this one holds NUL bytes (binary)")
    return text.splitlines(keepends=True)


# ------------------------------------------------------------------------------ places to write


def _nearest_existing(path: Path) -> Path:
    """`path` itself or its closest ancestor that exists."""
    p = path
    while not os.path.lexists(p) and p != p.parent:
        p = p.parent
    return p


def _probe_writable(folder: Path, field: str, value: str) -> None:
    """Create and remove a temporary file in `folder`: the one check of writability that also
    holds for root, read-only mounts and pseudo file systems, where os.access says yes."""
    try:
        fd, tmp = tempfile.mkstemp(dir=folder, prefix=".caseload-write-check-")
    except OSError as exc:
        raise ParamError(field, value, f"a place you can write to ({folder}: {exc.strerror or exc})") from None
    os.close(fd)
    os.unlink(tmp)


def _existing_ancestor_folder(path: Path, field: str, value: str) -> Path:
    """The closest existing ancestor of `path`, which must be a folder one can write into."""
    base = _nearest_existing(path.parent if path != path.parent else path)
    if not base.is_dir():
        raise ParamError(field, value, f"a path whose parent folders are folders ({base} is a file)")
    _probe_writable(base, field, value)
    return base


def _checked_text(path: str | Path | None, field: str, what: str) -> Path:
    text = "" if path is None else str(path)
    if not text.strip():
        raise ParamError(field, text, f"{what} (an empty path is not one)")
    if "\x00" in text:
        raise ParamError(field, text, f"{what} (the path holds a NUL byte)")
    return Path(text)


def check_output_folder(path: str | Path | None, field: str = "--out") -> Path:
    """An output folder that can be written: new (its parent writable) or an existing folder.
    Raises ParamError naming `field` for an empty path, a file, or a place one cannot write."""
    p = _checked_text(path, field, "a folder for the results")
    try:
        if os.path.lexists(p) and not p.is_dir():  # a file, or a link to nowhere
            raise ParamError(field, str(path), "a folder for the results, not an existing file")
        if p.is_dir():
            _probe_writable(p, field, str(path))
        else:
            _existing_ancestor_folder(p, field, str(path))
    except OSError as exc:  # a name the system refuses (too long, ...)
        raise ParamError(field, str(path), f"a usable folder path ({exc.strerror or exc})") from None
    return p


def check_output_file(path: str | Path | None, field: str = "--out", suffix: str | None = None) -> Path:
    """An output file that can be written (replaced, if it exists): not a folder, its folder
    writable, and ending in `suffix` when one is given."""
    p = _checked_text(path, field, "a file to write")
    if suffix is not None and p.suffix.lower() != suffix:
        raise ParamError(field, str(path), f"a file name ending in {suffix}")
    try:
        if p.is_dir():
            raise ParamError(field, str(path), "a file to write, not a folder")
        if os.path.lexists(p) and not p.is_file():  # a device, pipe or socket must not be replaced
            raise ParamError(field, str(path), "a regular file to write (this is a device, pipe or socket)")
        _existing_ancestor_folder(p, field, str(path))
    except OSError as exc:
        raise ParamError(field, str(path), f"a usable file path ({exc.strerror or exc})") from None
    return p


def is_shipped(path: Path) -> bool:
    """Whether `path` is one of the files shipped in ``params/`` that the model reads (the
    national default, the municipality table, the rule sets, presets and sweeps)."""
    try:
        target = path.resolve()
        base = params_dir().resolve()
    except (OSError, RuntimeError, ValueError):
        return False
    if target.parent == base:
        return target.name in SHIPPED_FILES
    return any(target.parent == base / folder for folder in SHIPPED_FOLDERS)

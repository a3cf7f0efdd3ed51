"""Which engine runs: the modules compiled by mypyc at install (hatch_build.py), or their sources.

An install compiles the engine's modules to C extensions beside their sources, and Python imports
an extension before a source of the same name. So an engine source edited after the install would
be shadowed by its stale extension: the tests would test the old code and mutation testing would
see no mutant. Before any engine module is imported (sim/engine/__init__.py), this compares each
source with the hash recorded when it was compiled; if one differs, or `CASELOAD_PURE_PYTHON` is
set, the whole engine is loaded from its sources (all or nothing: compiled modules call each other
directly, so they cannot be mixed with sources). The results are the same either way; only the
speed differs (`engine_kind` says which runs; the benchmark reports it).

Standard library only: the build hook (hatch_build.py) loads this file by path for the manifest,
the hash and the switch, before the package's dependencies are installed.
"""

from __future__ import annotations

import hashlib
import importlib.abc
import importlib.util
import json
import os
import sys
import warnings
from importlib.machinery import EXTENSION_SUFFIXES, ModuleSpec
from pathlib import Path

HERE = Path(__file__).parent
PACKAGE = "sim.engine"
MANIFEST = HERE / "_compiled.json"
PURE_ENV = "CASELOAD_PURE_PYTHON"

_kind = "pure"


class SourcesFirst(importlib.abc.MetaPathFinder):
    """Finds the engine's modules in their .py sources, ahead of the compiled extensions."""

    def find_spec(self, fullname: str, path: object = None, target: object = None) -> ModuleSpec | None:
        package, _, name = fullname.rpartition(".")
        if package != PACKAGE:
            return None
        source = HERE / f"{name}.py"
        return importlib.util.spec_from_file_location(fullname, source) if source.is_file() else None


def source_hash(path: Path) -> str:
    """The hash a source is recorded with when compiled (hatch_build.py) and checked against here."""
    return hashlib.sha256(path.read_bytes()).hexdigest()


def pure_forced() -> bool:
    """Whether `CASELOAD_PURE_PYTHON` asks for the sources (at install: no compilation)."""
    return os.environ.get(PURE_ENV, "") not in ("", "0")


def stale_sources(manifest: dict) -> list[str]:
    """The compiled sources whose text changed since they were compiled (or that went away)."""
    recorded: dict[str, str] = manifest.get("sources", {})
    return sorted(name for name, digest in recorded.items()
                  if not (HERE / name).is_file() or source_hash(HERE / name) != digest)


def compiled_modules() -> list[str]:
    """The engine's compiled extension modules present beside the sources."""
    return sorted(p.name for p in HERE.iterdir() if p.name.endswith(tuple(EXTENSION_SUFFIXES)))


def choose() -> str:
    """Decide, once, whether the compiled engine may be used; return "compiled" or "pure"."""
    global _kind
    if not compiled_modules():
        _kind = "pure"  # nothing was compiled (a pure install, or a checkout not installed)
        return _kind
    # extensions without the record of their build cannot be checked: as stale as an edited source
    stale = stale_sources(json.loads(MANIFEST.read_text())) if MANIFEST.is_file() else [MANIFEST.name]
    forced = pure_forced()
    if stale or forced:
        if stale and not forced:
            warnings.warn(f"caseload-sim: {', '.join(stale)} changed or went missing since the engine was "
                          "compiled, so the engine runs from its sources (same results, slower); "
                          "`pip install -e .` compiles it again", stacklevel=2)
        if not any(isinstance(f, SourcesFirst) for f in sys.meta_path):
            sys.meta_path.insert(0, SourcesFirst())
        _kind = "pure"
    else:
        _kind = "compiled"
    return _kind


def engine_kind() -> str:
    """"compiled" when the mypyc-compiled engine runs, "pure" when its Python sources do."""
    return _kind

"""Build hook: compile the simulation engine (sim/engine) to C with mypyc, or leave it pure Python.

Why: the engine's per-event Python is most of a run's time (issue 14). mypyc, the compiler that
ships with mypy, turns the same typed modules into C extensions that compute the same floats in
the same order, so every output stays identical while a replication runs about twice as fast
(1.3-2.3 times on a noisy 2-core machine, README "Benchmark").

What it does, for `pip install .` and `pip install -e .` alike: compile the engine's modules in a
scratch folder, copy the extensions next to their sources (an editable install imports them from
the checkout; a wheel takes them along), and record the SHA-256 of each compiled source in
`sim/engine/_compiled.json`. At import, `sim.engine` checks those hashes and falls back to the
sources when one was edited since (see sim/engine/_native.py), so a stale build is never used.

It never fails an install: without a C compiler, or if mypyc fails, it prints why and the package
installs pure Python (the same results, slower). `CASELOAD_PURE_PYTHON=1` skips the compilation.
"""

from __future__ import annotations

import importlib.util
import json
import shutil
import subprocess
import sys
import sysconfig
import tempfile
from pathlib import Path
from types import ModuleType
from typing import Any

from hatchling.builders.hooks.plugin.interface import BuildHookInterface

ENGINE = Path("sim") / "engine"
NOT_COMPILED = {"__init__.py", "_native.py"}  # the package and the loader that chooses stay Python
GROUP = "sim_engine"  # name of mypyc's shared runtime library (sim_engine__mypyc.*.so, at the root)

SETUP = f"""
import sys
from setuptools import setup
from mypyc.build import mypycify
paths = sys.argv[1:]
sys.argv[1:] = ["build_ext", "--build-lib", "lib", "--build-temp", "tmp"]
setup(name="sim-engine-compiled", packages=[], py_modules=[],
      ext_modules=mypycify(["--ignore-missing-imports", *paths], opt_level="3", group_name="{GROUP}"))
"""


def native(root: Path) -> ModuleType:
    """sim/engine/_native.py, loaded by path (the package's dependencies are not installed yet): the
    manifest, the source hash and the pure-Python switch that the engine checks at import."""
    spec = importlib.util.spec_from_file_location("caseload_engine_native", root / ENGINE / "_native.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def engine_sources(root: Path) -> list[Path]:
    return sorted(p for p in (root / ENGINE).glob("*.py") if p.name not in NOT_COMPILED)


def extension_suffix() -> str:
    return sysconfig.get_config_var("EXT_SUFFIX") or ".so"


def remove_old_build(root: Path) -> None:
    """Extensions and manifest of an earlier build (they would shadow edited sources)."""
    for p in (root / ENGINE).glob(f"*{extension_suffix()}"):
        p.unlink()
    for p in root.glob(f"{GROUP}__mypyc*{extension_suffix()}"):
        p.unlink()
    native(root).MANIFEST.unlink(missing_ok=True)


def compile_engine(root: Path) -> list[Path]:
    """Compile the engine in a scratch folder; copy the extensions into the tree and record the
    sources' hashes; return the files written."""
    sources = engine_sources(root)
    with tempfile.TemporaryDirectory(prefix="caseload-mypyc-") as tmp:
        work = Path(tmp)
        # mypyc names modules by the folders above them that hold an __init__.py: a copy keeps the names
        shutil.copytree(root / "sim", work / "sim", ignore=shutil.ignore_patterns("__pycache__", "*.so"))
        (work / "setup_engine.py").write_text(SETUP)
        rel = [str(p.relative_to(root)) for p in sources]
        done = subprocess.run([sys.executable, "setup_engine.py", *rel], cwd=work, stdout=subprocess.PIPE,
                              stderr=subprocess.STDOUT, text=True)
        if done.returncode != 0:
            raise RuntimeError(done.stdout[-3000:])
        built = []
        for ext in (work / "lib").rglob(f"*{extension_suffix()}"):
            target = root / ext.relative_to(work / "lib")
            shutil.copy2(ext, target)
            built.append(target)
    record = native(root)
    manifest = {"sources": {p.name: record.source_hash(p) for p in sources}, "python": sys.version.split()[0]}
    record.MANIFEST.write_text(json.dumps(manifest, indent=1) + "\n")
    return [*built, record.MANIFEST]


class CustomBuildHook(BuildHookInterface):
    """hatchling's hook: compile before the wheel (or the editable wheel) is assembled."""

    def initialize(self, version: str, build_data: dict[str, Any]) -> None:
        root = Path(self.root)
        remove_old_build(root)
        if native(root).pure_forced():
            print("caseload-sim: CASELOAD_PURE_PYTHON is set: the engine stays pure Python", file=sys.stderr)
            return
        try:
            built = compile_engine(root)
        except Exception as err:  # noqa: BLE001  (any failure: install pure Python rather than fail)
            remove_old_build(root)
            print(f"caseload-sim: the engine could not be compiled with mypyc, so it installs as pure "
                  f"Python (same results, slower):\n{err}", file=sys.stderr)
            return
        build_data["pure_python"] = False
        build_data["infer_tag"] = True
        if version != "editable":  # an editable install imports them from the checkout
            for path in built:
                build_data["force_include"][str(path)] = str(path.relative_to(root))

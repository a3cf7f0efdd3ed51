"""The engine compiled by mypyc at install (hatch_build.py) against its pure-Python sources.

The compiled engine must compute exactly what its sources compute (it is the same code, and C
doubles are Python floats), so a run under each gives identical tables, bit for bit. And a source
edited after the install must never be shadowed by its stale compiled module (sim/engine/_native.py).
"""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

import sim.engine._native as native

ROOT = Path(__file__).resolve().parents[1]

RUN = textwrap.dedent("""
    import hashlib, json
    from sim.engine import engine_kind
    from sim.experiment.runner import run_replication
    from sim.inputs.loading import load_params
    h = hashlib.sha1()
    for over in ({"scale": 0.004, "years": 1, "capacity.unlimited": False},
                 {"scale": 0.004, "years": 1, "exemption.policy": "managed"},
                 {"scale": 0.004, "years": 2}):
        scenario = "params/presets/timeline_2026_2027.toml" if over["years"] == 2 else None
        parts = run_replication(load_params(scenario, overrides=over), replication=0, seed=3)
        for frame in (parts.kpis, parts.weekly, parts.workload):
            h.update(frame.to_csv(index=False).encode())
    print(json.dumps({"engine": engine_kind(), "digest": h.hexdigest()}))
""")


def _run(pure: bool) -> dict:
    env = {k: v for k, v in os.environ.items() if k != native.PURE_ENV}
    if pure:
        env[native.PURE_ENV] = "1"
    out = subprocess.run([sys.executable, "-c", RUN], cwd=ROOT, env=env, capture_output=True, text=True, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def test_the_compiled_engine_gives_the_tables_of_its_sources_bit_for_bit():
    if not native.MANIFEST.is_file():
        pytest.skip("the engine was installed as pure Python (no C compiler, or CASELOAD_PURE_PYTHON at install)")
    compiled, pure = _run(pure=False), _run(pure=True)
    assert (compiled["engine"], pure["engine"]) == ("compiled", "pure")
    assert compiled["digest"] == pure["digest"]


def test_extensions_without_the_record_of_their_build_are_not_trusted(tmp_path):
    """A build whose manifest is missing cannot be checked: choose() runs the sources (in a fresh
    interpreter, as in the test below)."""
    probe = textwrap.dedent(f"""
        import importlib.util, json, warnings
        from pathlib import Path
        spec = importlib.util.spec_from_file_location("native_probe", {str(native.HERE / "_native.py")!r})
        native = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(native)
        native.MANIFEST = Path({str(tmp_path / "missing.json")!r})
        native.compiled_modules = lambda: ["model.so"]
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            kind = native.choose()
        import sim.engine.model as model
        print(json.dumps({{"kind": kind, "warned": [str(w.message) for w in caught], "file": model.__file__}}))
    """)
    env = {k: v for k, v in os.environ.items() if k != native.PURE_ENV}
    out = subprocess.run([sys.executable, "-c", probe], cwd=ROOT, env=env, capture_output=True, text=True, check=True)
    got = json.loads(out.stdout.strip().splitlines()[-1])
    assert got["kind"] == "pure" and got["file"].endswith("model.py")
    assert len(got["warned"]) == 1 and "missing.json changed or went missing" in got["warned"][0]


def test_a_source_edited_after_the_build_is_found_stale():
    sources = {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in native.HERE.glob("*.py")}
    assert native.stale_sources({"sources": sources}) == []
    edited = dict(sources, **{"hazard.py": "0" * 64, "gone.py": sources["model.py"]})
    assert native.stale_sources({"sources": edited}) == ["gone.py", "hazard.py"]


def test_a_stale_build_runs_the_engine_from_its_sources(tmp_path):
    """In a fresh interpreter, before anything of `sim` is imported (as sim/engine/__init__.py runs
    it): a manifest whose hash of hazard.py is wrong makes choose() warn, name the file and load
    every engine module from its .py source."""
    probe = textwrap.dedent(f"""
        import importlib.util, json, sys, warnings
        from pathlib import Path
        spec = importlib.util.spec_from_file_location("native_probe", {str(native.HERE / "_native.py")!r})
        native = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(native)
        manifest = Path({str(tmp_path / "m.json")!r})
        manifest.write_text(json.dumps({{"sources": {{"hazard.py": "0" * 64}}}}))
        native.MANIFEST = manifest
        native.compiled_modules = lambda: ["hazard.so"]  # as in an install that compiled (also without a compiler)
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            kind = native.choose()
        import sim.engine.hazard as hazard, sim.engine.model as model
        print(json.dumps({{"kind": kind, "now": native.engine_kind(), "warned": [str(w.message) for w in caught],
                          "files": [hazard.__file__, model.__file__]}}))
    """)
    env = {k: v for k, v in os.environ.items() if k != native.PURE_ENV}
    out = subprocess.run([sys.executable, "-c", probe], cwd=ROOT, env=env, capture_output=True, text=True, check=True)
    got = json.loads(out.stdout.strip().splitlines()[-1])
    assert got["kind"] == got["now"] == "pure"
    assert len(got["warned"]) == 1 and "hazard.py changed" in got["warned"][0]
    assert all(f.endswith(".py") for f in got["files"])


def test_the_bench_says_which_engine_it_measured():
    from sim.experiment.bench import model_once

    assert model_once(0.002, 0.1)["engine"] == native.engine_kind() in ("compiled", "pure")

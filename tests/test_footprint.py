"""What a replication loads: the modules a run imports set the floor of every process's memory
(a national run's peak RSS, each sweep worker's), so heavy modules the run does not need stay out.

scipy.stats alone adds about 47 MB; the engine and the interval helper need only scipy.special,
whose functions give the same values (tests/test_stats.py and tests/test_hazard.py check them)."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

PROBE = textwrap.dedent("""
    import json, sys
    from sim.experiment.runner import run_replication
    from sim.inputs.loading import load_params
    from sim.metrics.stats import mean_ci
    run_replication(load_params(overrides={"scale": 0.002, "years": 0.5}), replication=0, seed=1)
    mean_ci([1.0, 2.0, 4.0])
    print(json.dumps(sorted(m for m in sys.modules if m.split(".")[:2] == ["scipy", "stats"])))
""")


def test_a_replication_does_not_import_scipy_stats():
    out = subprocess.run([sys.executable, "-c", PROBE], cwd=ROOT, capture_output=True, text=True, check=True)
    assert json.loads(out.stdout.strip().splitlines()[-1]) == []


CLI_PROBE = textwrap.dedent("""
    import json, sys
    import sim.cli.main
    heavy = ("matplotlib", "seaborn", "scipy.stats", "scipy.optimize", "SALib")
    print(json.dumps(sorted(m for m in heavy if m in sys.modules)))
""")


def test_the_command_line_imports_no_charts_and_no_scipy_stats():
    """A process started with 'spawn' (the bench's children, Dask's local workers) imports the command line
    again before its first replication: the charts (matplotlib, seaborn), scipy.stats, the calibration's
    optimiser and SALib load when a command needs them, not there (about 85 MB a process)."""
    out = subprocess.run([sys.executable, "-c", CLI_PROBE], cwd=ROOT, capture_output=True, text=True, check=True)
    assert json.loads(out.stdout.strip().splitlines()[-1]) == []

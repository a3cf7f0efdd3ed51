"""`caseload bench`: the floor program is what it claims to be, and the report has every key.

No assertion here is about speed: timings on a shared CI machine are noise, so we check counts, keys and
that numbers are finite (and positive where positivity holds by construction).
"""

from __future__ import annotations

import json
import math

import pytest

from sim.cli.main import main
from sim.experiment import bench

REQUIRED = ["model_over_floor", "spells_per_s", "events_per_s", "peak_rss_mb", "scaling_exponent",
            "parallel_efficiency"]


@pytest.mark.parametrize("processes, timeouts, initial", [(1, 0, None), (1, 5, None), (7, 7, 3), (7, 23, 1),
                                                         (100, 1001, 40), (3, 2, 1), (50, 10, 5)])
def test_floor_runs_exactly_the_requested_processes_and_timeouts(processes, timeouts, initial):
    out = bench.simpy_floor(processes, timeouts, seed=3, initial=initial)
    assert out["processes"] == processes
    assert out["timeouts"] == timeouts


def test_floor_rejects_no_processes():
    with pytest.raises(ValueError):
        bench.simpy_floor(0, 10)


def test_scaling_exponent_of_a_power_law():
    assert bench.scaling_exponent([0.25, 0.5, 1.0], [2.0, 4.0, 8.0]) == pytest.approx(1.0)


def test_bench_json_has_all_keys_and_finite_numbers(capsys):
    rc = main(["bench", "--json", "--scale", "0.002", "--years", "0.25", "--sweep-replications", "2",
               "--sweep-scale", "0.001"])
    assert rc == 0
    r = json.loads(capsys.readouterr().out)
    for key in REQUIRED:
        assert isinstance(r[key], float) and math.isfinite(r[key]), key
    # Positive by construction (walls, counts and RSS are positive); the scaling exponent is a slope of
    # timings and may have either sign at a toy scale, so it is only required to be finite.
    for key in ["model_over_floor", "spells_per_s", "events_per_s", "peak_rss_mb", "parallel_efficiency"]:
        assert r[key] > 0, key
    assert r["floor"]["processes"] == r["model"]["processes"] > 0
    assert r["floor"]["timeouts"] == r["model"]["timeouts"]
    assert [p["scale"] for p in r["scaling"]["points"]] == pytest.approx([0.0005, 0.001, 0.002])
    assert all(p["wall_s"] > 0 and p["peak_rss_mb"] > 0 for p in r["scaling"]["points"])
    assert r["sweep"]["replications"] == 2 and r["sweep"]["workers"] >= 1
    for key in ["platform", "cpu_count", "python", "simpy"]:
        assert r["machine"][key]
    assert set(r["targets"]) == {"model_over_floor", "peak_rss_mb", "scaling_exponent", "parallel_efficiency"}
    assert all(isinstance(t["met"], bool) for k, t in r["targets"].items() if k != "peak_rss_mb")
    assert r["targets"]["peak_rss_mb"]["met"] is None  # judged only at scale 1, 4 years
    assert any("caseload bench --scale 1 --years 4" in n for n in r["notes"])


def test_bench_table_mentions_the_memory_run(capsys):
    r = {"scale": 0.25, "years": 1.0, "model_over_floor": 1.5, "spells_per_s": 1e4, "events_per_s": 5e4,
         "peak_rss_mb": 300.0, "scaling_exponent": 1.0, "parallel_efficiency": 0.9,
         "model": {"wall_s": 1.0, "spells": 10, "processes": 5, "timeouts": 9, "rss_baseline_mb": 100.0},
         "floor": {"wall_s": 0.5, "processes": 5, "timeouts": 9},
         "scaling": {"points": [{"scale": 0.25, "wall_s": 1.0, "peak_rss_mb": 300.0}]},
         "sweep": {"replications": 4, "scale": 0.0625, "wall_1_s": 2.0, "reps_per_s_1": 2.0, "workers": 2,
                   "wall_n_s": 1.1, "reps_per_s_n": 3.6},
         "machine": {"platform": "x", "cpu_count": 2, "python": "3", "simpy": "4", "loadavg_start": None,
                     "loadavg_end": None},
         "notes": ["measure it with: caseload bench --scale 1 --years 4"], "bench_wall_s": 10.0}
    r["targets"] = bench.targets(r)
    text = bench.format_bench(r)
    assert "caseload bench --scale 1 --years 4" in text
    assert "n/a" in text  # memory target not judged below scale 1 / 4 years

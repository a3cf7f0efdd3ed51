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
NEW = ["national_year_s", "events_per_spell", "mm10_customers_per_s", "spells_per_s_over_mm10",
       "national_year_peak_rss_mb"]


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
               "--sweep-scale", "0.001", "--mm10-customers", "2000"])
    assert rc == 0
    r = json.loads(capsys.readouterr().out)
    for key in REQUIRED + NEW:
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
    assert set(r["targets"]) == {"model_over_floor", "peak_rss_mb", "scaling_exponent", "parallel_efficiency",
                                 "national_year_s", "spells_per_s_over_mm10", "national_year_peak_rss_mb"}
    judged_elsewhere = {"peak_rss_mb", "national_year_peak_rss_mb"}
    assert all(isinstance(t["met"], bool) for k, t in r["targets"].items() if k not in judged_elsewhere)
    assert r["targets"]["peak_rss_mb"]["met"] is None  # judged only at scale 1, 4 years
    assert r["targets"]["national_year_peak_rss_mb"]["met"] is None  # judged only when the bench runs one year
    assert any("caseload bench --scale 1 --years 4" in n for n in r["notes"])


def test_bench_json_new_keys(capsys):
    """The new keys: positive, and each the hand formula of the JSON's own measurements."""
    rc = main(["bench", "--json", "--scale", "0.002", "--years", "1", "--sweep-replications", "1",
               "--sweep-scale", "0.001", "--mm10-customers", "2000"])
    assert rc == 0
    r = json.loads(capsys.readouterr().out)
    for key in NEW:
        assert isinstance(r[key], float) and math.isfinite(r[key]) and r[key] > 0, key
    m, mm = r["model"], r["mm10"]
    assert r["events_per_spell"] == pytest.approx((m["processes"] + m["timeouts"]) / m["spells"])
    parts = r["events_per_spell_parts"]
    assert parts["processes"] + parts["timeouts"] == pytest.approx(r["events_per_spell"])
    assert parts["wakes"] == pytest.approx(m["wakes"] / m["spells"])
    assert m["queued"] > 0 and parts["queued"] == pytest.approx(m["queued"] / m["spells"])
    assert mm["served"] == 2000 and mm["servers"] == 10 and mm["rho"] == pytest.approx(0.9)
    assert r["mm10_customers_per_s"] == pytest.approx(sum(2000 / w for w in mm["wall_s_runs"]) / 2)
    assert len(mm["customers_per_s_runs"]) == 2 and mm["spread"] >= 0
    assert r["spells_per_s_over_mm10"] == pytest.approx(r["spells_per_s"] / r["mm10_customers_per_s"])
    # wall at the bench scale carried to scale 1 with the fitted exponent, per simulated year
    assert r["national_year_s"] == pytest.approx(m["wall_s"] * (1 / 0.002) ** r["scaling_exponent"] / 1.0)
    # RSS = a + b x scale through the three scaling points, by the normal equations, at scale 1
    pts = r["scaling"]["points"]
    xs, ys = [p["scale"] for p in pts], [p["peak_rss_mb"] for p in pts]
    mx, my = sum(xs) / 3, sum(ys) / 3
    b = sum((x - mx) * (y - my) for x, y in zip(xs, ys)) / sum((x - mx) ** 2 for x in xs)
    assert r["national_year_peak_rss_mb"] == pytest.approx(my - b * mx + b * 1.0)
    t = r["targets"]
    assert t["national_year_s"]["met"] == (r["national_year_s"] <= 20.0)
    assert t["spells_per_s_over_mm10"]["met"] == (r["spells_per_s_over_mm10"] >= 0.5)
    assert t["national_year_peak_rss_mb"]["met"] == (r["national_year_peak_rss_mb"] <= 600.0)  # one year: judged
    assert "0.002" in t["national_year_s"]["target"]
    assert any("national_year_s is extrapolated" in n and "0.002" in n for n in r["notes"])
    assert any("national_year_peak_rss_mb is extrapolated" in n for n in r["notes"])


def test_national_year_at_scale_1_uses_the_measured_peak():
    model = {"wall_s": 60.0, "peak_rss_mb": 1090.0}
    scaling = {"scaling_exponent": 1.05, "points": [{"scale": 0.25, "peak_rss_mb": 400.0},
                                                    {"scale": 0.5, "peak_rss_mb": 600.0},
                                                    {"scale": 1.0, "peak_rss_mb": 1090.0}]}
    n = bench.national_year(1.0, 2.0, model, scaling)
    assert n["peak_rss_mb"] == 1090.0 and "measured directly" in n["peak_rss_basis"]
    assert n["seconds"] == pytest.approx(30.0)  # nothing to extrapolate: 60 s over 2 years
    below = bench.national_year(0.25, 1.0, {"wall_s": 5.0, "peak_rss_mb": 400.0},
                                {"scaling_exponent": 1.0, "points": [{"scale": 0.0625, "peak_rss_mb": 250.0},
                                                                     {"scale": 0.125, "peak_rss_mb": 300.0},
                                                                     {"scale": 0.25, "peak_rss_mb": 400.0}]})
    # the three points lie on RSS = 200 + 800 x scale: 1000 MB at scale 1
    assert below["peak_rss_mb"] == pytest.approx(1000.0) and "extrapolated" in below["peak_rss_basis"]
    assert below["seconds"] == pytest.approx(20.0)  # 5 s x 4^1


def test_bench_table_mentions_the_memory_run(capsys):
    r = {"scale": 0.25, "years": 1.0, "model_over_floor": 1.5, "spells_per_s": 1e4, "events_per_s": 5e4,
         "peak_rss_mb": 300.0, "scaling_exponent": 1.0, "parallel_efficiency": 0.9,
         "national_year_s": 4.0, "events_per_spell": 1.4, "mm10_customers_per_s": 5e4,
         "spells_per_s_over_mm10": 0.2, "national_year_peak_rss_mb": 700.0,
         "events_per_spell_parts": {"processes": 0.5, "timeouts": 0.9, "wakes": 0.8},
         "mm10": {"served": 1000, "rho": 0.9, "wall_s": 0.02, "mean_wait": 0.67, "wall_s_runs": [0.02, 0.03],
                  "spread": 0.4},
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
    assert "national year (s, extrapolated)" in text and "M/M/10" in text
    assert "NOT met" in text  # 0.2 < 0.5 and 700 MB > 600 MB


def test_anchor_bracket_is_the_mean_rate_and_its_spread():
    before = {"customers_per_s": 40_000.0, "wall_s": 5.0}
    after = {"customers_per_s": 60_000.0, "wall_s": 10 / 3, "served": 200_000}
    b = bench.bracket(before, after)
    assert b["customers_per_s"] == pytest.approx(50_000.0)
    assert b["spread"] == pytest.approx(0.4)  # 20,000 / 50,000
    assert b["customers_per_s_runs"] == [40_000.0, 60_000.0] and b["wall_s_runs"] == [5.0, 10 / 3]
    assert b["served"] == 200_000


def test_bad_anchor_size_is_refused_before_measuring(capsys):
    assert main(["bench", "--mm10-customers", "5"]) == 2
    err = capsys.readouterr().err
    assert "--mm10-customers = 5" in err and "1,000 to 10,000,000" in err

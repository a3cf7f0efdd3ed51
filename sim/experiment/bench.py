"""`caseload bench`: how fast and how big the model is on this machine, against fixed targets.

Five measurements, each answering one question:

(a) the model itself (national default, capacity limited): wall time, spells/s, SimPy events/s, peak RSS;
(b) the SimPy floor: a bare SimPy program with exactly the model's processes and timeouts, so that
    `model_over_floor` says how much the model costs beyond the event machinery of a textbook SimPy program
    (a process per citizen). The model counts a citizen's start as a process, though since issue 14 it
    schedules its citizens as bare wake-up events on SimPy's queue (sim.engine.wakes), which is cheaper than
    a process: the floor is the textbook program with the model's events, no longer a lower bound;
(c) scaling: wall and peak RSS at 0.25, 0.5 and 1 x the scale, and the log-log slope of wall on scale
    (1.0 = linear; more means something grows faster than the population);
(d) sweep throughput: replications per second with 1 worker and with all cores, and the parallel efficiency;
(e) the anchor: a bare SimPy M/M/10 queue at utilisation 0.9 (sim.experiment.mm_queue), customers served per
    wall second, so that `spells_per_s_over_mm10` compares the model with a textbook SimPy program timed on the
    same machine in the same run. It runs twice, just before and just after (a), and the spread of the two
    rates shows how much the machine's load drifted while the model was timed.

From these it derives the national replication-year (sim.experiment.extrapolation): `national_year_s`, the
model's wall at the bench scale carried to scale 1 with the fitted exponent and divided by the simulated
years, and `national_year_peak_rss_mb`, the scaling points' peak RSS fitted linearly in scale and evaluated
at scale 1 (below scale 1 both are extrapolations, not measurements: a national run takes over a minute and
about a gigabyte, more than the rest of the bench together; at scale 1 the peak RSS is the measured one).

Every single-replication measurement runs in a fresh 'spawn' child process, so a peak RSS (a high-water
mark that never goes down) belongs to that measurement alone and no measurement warms caches for the next.
Nothing here asserts on timings: the targets are reported as met or not, never raised as errors.
"""

from __future__ import annotations

import json
import math
import multiprocessing
import os
import platform
import random
import resource
import sys
import time
from concurrent.futures import ProcessPoolExecutor
from typing import Any

from sim._version import __version__
from sim.experiment.extrapolation import NATIONAL_SCALE, national_peak_rss_mb, national_year_seconds, scaling_exponent
from sim.experiment.mm_queue import MM10_CUSTOMERS, MM10_RHO, MM10_SERVERS, mm_queue
from sim.experiment.runner import run
from sim.inputs.loading import load_params

# Targets the benchmark reports against (see the brief in README / `caseload bench --help`).
TARGET_MODEL_OVER_FLOOR = 2.0
TARGET_PEAK_RSS_MB = 1500.0
TARGET_RSS_SCALE, TARGET_RSS_YEARS = 1.0, 4.0
TARGET_SCALING_EXPONENT = 1.1
TARGET_PARALLEL_EFFICIENCY = 0.85
TARGET_NATIONAL_YEAR_S = 20.0  # seconds per national replication-year on one core
TARGET_SPELLS_OVER_MM10 = 0.5  # model spells/s over M/M/10 customers/s
TARGET_NATIONAL_YEAR_RSS_MB = 600.0  # peak RSS of a national one-year replication

SCALE_FACTORS = (0.25, 0.5, 1.0)


def _peak_rss_mb() -> float:
    """Peak resident set size of this process so far, in MB (Linux reports ru_maxrss in KB, macOS in bytes)."""
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return rss / (1024 * 1024) if sys.platform == "darwin" else rss / 1024


def bench_params(scale: float, years: float):
    """The benchmarked scenario: the national default with capacity limits on (the expensive, realistic case)."""

    return load_params(overrides={"scale": scale, "years": years, "capacity.unlimited": False})


# -- work done inside a child process ------------------------------------------------------------------------
def model_once(scale: float, years: float, seed: int = 1) -> dict[str, Any]:
    """One replication of the model; returns run_replication's counts plus peak RSS of the calling process.

    Meant to run in a fresh child (see `in_child`); `rss_baseline_mb` is the RSS after imports and parameter
    loading, so the model's own footprint is peak minus baseline.
    """
    from sim.engine import engine_kind
    from sim.experiment.runner import run_replication

    params = bench_params(scale, years)
    baseline = _peak_rss_mb()
    stats = run_replication(params, replication=0, seed=seed).stats
    return {"scale": scale, "years": years, "wall_s": float(stats["wall_s"]), "spells": int(stats["spells"]),
            "processes": int(stats["processes"]), "timeouts": int(stats["timeouts"]), "wakes": int(stats["wakes"]),
            "queued": int(stats["queued"]),
            "initial": int(stats["initial"]), "engine": engine_kind(),
            "rss_baseline_mb": baseline, "peak_rss_mb": _peak_rss_mb()}


def simpy_floor(processes: int, timeouts: int, seed: int = 1, initial: int | None = None) -> dict[str, Any]:
    """A bare SimPy program with exactly `processes` processes yielding `timeouts` timeouts in total.

    Why: the model cannot be cheaper than SimPy scheduling the same events, so its wall over this wall is the
    overhead of the model's own Python. Shaped like the model: `initial` processes start at time 0 (the
    initial stock); the others are started over time by one source process (the arrivals), whose waits count
    among the timeouts, so the event queue holds about as many events as the model's. Each process yields an
    equal share of the remaining timeouts. It runs under the same garbage-collector regime as the model.
    Returns the counts actually started and yielded, so a test can check the floor is the program it claims.
    """
    import simpy

    from sim.engine.model import without_gc_pauses

    if processes < 1 or timeouts < 0:
        raise ValueError(f"need processes >= 1 and timeouts >= 0, got {processes}, {timeouts}")
    initial = processes if initial is None else max(1, min(int(initial), processes))
    later = processes - initial
    source_timeouts = min(later, timeouts)
    rng = random.Random(seed)
    expo = rng.expovariate
    counts = {"processes": 0, "timeouts": 0}
    base, extra = divmod(timeouts - source_timeouts, processes)

    def proc(env: simpy.Environment, n: int):
        counts["processes"] += 1
        for _ in range(n):
            counts["timeouts"] += 1
            yield env.timeout(expo(1.0 / 30.0))

    def source(env: simpy.Environment, first: int):
        for i in range(first, processes):
            if i - first < source_timeouts:
                counts["timeouts"] += 1
                yield env.timeout(expo(later / 365.0))
            env.process(proc(env, base + 1 if i < extra else base))

    t0 = time.perf_counter()
    env = simpy.Environment()
    with without_gc_pauses():
        for i in range(initial):
            env.process(proc(env, base + 1 if i < extra else base))
        if later:
            env.process(source(env, initial))
        env.run()
    wall = time.perf_counter() - t0
    return {"wall_s": wall, "processes": counts["processes"], "timeouts": counts["timeouts"],
            "initial": initial, "peak_rss_mb": _peak_rss_mb()}


def in_child(fn, *args: Any) -> dict[str, Any]:
    """Run `fn(*args)` in a fresh 'spawn' process and return its result.

    Why spawn, not fork: a forked child starts with the parent's pages and high-water mark, so its peak RSS
    would include whatever the parent measured before; a spawned interpreter starts clean every time.
    """
    ctx = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(max_workers=1, mp_context=ctx) as pool:
        return pool.submit(fn, *args).result()


# -- the four measurements ------------------------------------------------------------------------------------
def measure_model(scale: float, years: float) -> dict[str, Any]:
    """(a) The model at one scale in a fresh child, with spells/s and SimPy events/s derived from its counts."""
    m = in_child(model_once, scale, years)
    wall = m["wall_s"]
    m["spells_per_s"] = m["spells"] / wall
    m["events_per_s"] = (m["processes"] + m["timeouts"]) / wall
    return m


def measure_floor(processes: int, timeouts: int, initial: int | None = None) -> dict[str, Any]:
    """(b) The SimPy floor for the given counts, in a fresh child like the model."""
    return in_child(simpy_floor, processes, timeouts, 1, initial)


def measure_anchor(customers: int = MM10_CUSTOMERS) -> dict[str, Any]:
    """(e) The M/M/10 anchor at utilisation 0.9 in a fresh child like the model, customers served per wall second."""
    return in_child(mm_queue, customers, MM10_SERVERS, MM10_RHO, 1, 0)


def bracket(before: dict[str, Any], after: dict[str, Any]) -> dict[str, Any]:
    """The anchor as run just before and just after the model: the mean rate, and both runs.

    Why twice: the ratio to the model is only fair if the machine was equally busy for both; two anchor
    runs around the model's measurement show how much the machine drifted meanwhile (`spread`, the
    difference over the mean), which is the noise to read the ratio with.
    """
    rates = [before["customers_per_s"], after["customers_per_s"]]
    mean = sum(rates) / 2
    return {**after, "customers_per_s": mean, "customers_per_s_runs": rates,
            "spread": abs(rates[1] - rates[0]) / mean, "wall_s_runs": [before["wall_s"], after["wall_s"]]}


def national_year(scale: float, years: float, model: dict[str, Any], scaling: dict[str, Any]) -> dict[str, Any]:
    """The national replication-year derived from (a) and (c), with the basis of each number stated.

    At scale 1 the peak RSS of (a) is a direct measurement of the national replication and is used as it
    is; below scale 1 it is the linear fit through the scaling points (see extrapolation.rss_linear_fit).
    """
    points = scaling["points"]
    k = scaling["scaling_exponent"]
    if scale == NATIONAL_SCALE:
        rss, rss_basis = model["peak_rss_mb"], f"measured directly at scale 1, {years:g} simulated years"
    else:
        rss = national_peak_rss_mb([p["scale"] for p in points], [p["peak_rss_mb"] for p in points])
        rss_basis = ("extrapolated: linear fit RSS = a + b x scale through the scaling points ("
                     + ", ".join(f"{p['scale']:g}" for p in points)
                     + f"), evaluated at scale 1, {years:g} simulated years")
    return {
        "seconds": national_year_seconds(scale, model["wall_s"], years, k),
        "seconds_basis": f"model wall {model['wall_s']:.2f} s at scale {scale:g}, {years:g} years, "
                         f"x (1 / {scale:g})^{k:.3f} (fitted scaling exponent) / {years:g} years",
        "peak_rss_mb": rss, "peak_rss_basis": rss_basis,
        "measured_scale": scale, "measured_years": years,
    }


def measure_scaling(scale: float, years: float, at_full: dict[str, Any] | None = None) -> dict[str, Any]:
    """(c) Wall and peak RSS at 0.25, 0.5 and 1 x `scale`, each in a fresh child.

    `at_full` reuses an existing measurement at 1 x `scale` (the one from (a)) instead of running it again.
    """
    points = []
    for f in SCALE_FACTORS:
        s = scale * f
        m = at_full if (f == 1.0 and at_full is not None) else in_child(model_once, s, years)
        points.append({"scale": s, "wall_s": m["wall_s"], "peak_rss_mb": m["peak_rss_mb"], "spells": m["spells"]})
    exponent = scaling_exponent([p["scale"] for p in points], [p["wall_s"] for p in points])
    return {"points": points, "scaling_exponent": exponent}


def measure_sweep(scale: float, years: float, replications: int, workers: int | None = None) -> dict[str, Any]:
    """(d) The same replications with 1 worker and with `workers` (default: all cores) via `sim.run`.

    Parallel efficiency = (t1 / tN) / N with N the number of workers; it includes the pool's start-up and
    the gathering of results, because a user pays those too. With fewer replications than workers the
    efficiency cannot reach 1.
    """

    n_workers = workers or os.cpu_count() or 1
    params = bench_params(scale, years)
    # Untimed warm-up: the first run in a process pays one-off costs (lazy imports, cached tables) that
    # would otherwise be charged to the 1-worker run only, and forked workers inherit the warm state.
    run(params, replications=1, seed=1, workers=1)
    t0 = time.perf_counter()
    run(params, replications=replications, seed=1, workers=1)
    t1 = time.perf_counter() - t0
    t0 = time.perf_counter()
    run(params, replications=replications, seed=1, workers=n_workers)
    tn = time.perf_counter() - t0
    return {"scale": scale, "years": years, "replications": replications, "workers": n_workers,
            "wall_1_s": t1, "wall_n_s": tn, "reps_per_s_1": replications / t1, "reps_per_s_n": replications / tn,
            "parallel_efficiency": (t1 / tn) / n_workers}


def machine_info() -> dict[str, Any]:
    """What the numbers depend on: platform, cores, interpreter and library versions, load at start."""
    import numpy
    import simpy

    usable: int | None
    try:
        usable = len(os.sched_getaffinity(0))
    except AttributeError:
        usable = os.cpu_count()
    return {"platform": platform.platform(), "machine": platform.machine(), "cpu_count": os.cpu_count(),
            "cpus_usable": usable, "python": platform.python_version(), "simpy": simpy.__version__,
            "numpy": numpy.__version__, "caseload_sim": __version__, "loadavg_start": _loadavg()}


def _loadavg() -> list[float] | None:
    try:
        return [round(x, 2) for x in os.getloadavg()]
    except OSError:
        return None


def targets(result: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """Each target with its measured value and whether it is met.

    The measured memory target is judged only at scale 1, 4 years; the extrapolated one-year memory only when
    the bench simulates one year (its scaling points then are one-year runs).
    """
    rss_applies = result["scale"] == TARGET_RSS_SCALE and result["years"] == TARGET_RSS_YEARS
    year_rss_applies = result["years"] == 1.0  # the scaling points simulate the bench's years
    how = "measured" if result["scale"] == NATIONAL_SCALE else "extrapolated"
    return {
        "model_over_floor": {"target": f"<= {TARGET_MODEL_OVER_FLOOR}", "value": result["model_over_floor"],
                             "met": result["model_over_floor"] <= TARGET_MODEL_OVER_FLOOR},
        "peak_rss_mb": {"target": f"<= {TARGET_PEAK_RSS_MB:g} MB (scale {TARGET_RSS_SCALE:g}, "
                                  f"{TARGET_RSS_YEARS:g} years)",
                        "value": result["peak_rss_mb"],
                        "met": (result["peak_rss_mb"] <= TARGET_PEAK_RSS_MB) if rss_applies else None,
                        "within_limit_at_this_setup": result["peak_rss_mb"] <= TARGET_PEAK_RSS_MB,
                        "applies": rss_applies},
        "scaling_exponent": {"target": f"<= {TARGET_SCALING_EXPONENT}", "value": result["scaling_exponent"],
                             "met": result["scaling_exponent"] <= TARGET_SCALING_EXPONENT},
        "parallel_efficiency": {"target": f">= {TARGET_PARALLEL_EFFICIENCY}", "value": result["parallel_efficiency"],
                                "met": result["parallel_efficiency"] >= TARGET_PARALLEL_EFFICIENCY},
        "national_year_s": {"target": f"<= {TARGET_NATIONAL_YEAR_S:g} s ({how} at scale {result['scale']:g})",
                            "value": result["national_year_s"],
                            "met": result["national_year_s"] <= TARGET_NATIONAL_YEAR_S},
        "spells_per_s_over_mm10": {"target": f">= {TARGET_SPELLS_OVER_MM10}",
                                   "value": result["spells_per_s_over_mm10"],
                                   "met": result["spells_per_s_over_mm10"] >= TARGET_SPELLS_OVER_MM10},
        "national_year_peak_rss_mb": {"target": f"<= {TARGET_NATIONAL_YEAR_RSS_MB:g} MB (scale 1, 1 year, {how})",
                                      "value": result["national_year_peak_rss_mb"],
                                      "met": (result["national_year_peak_rss_mb"] <= TARGET_NATIONAL_YEAR_RSS_MB)
                                      if year_rss_applies else None,
                                      "applies": year_rss_applies},
    }


# About 65 lines, over the house's ~40: the five measurements are one call each, and most of the rest is
# the result's fields and notes, which belong together with the numbers they explain.
def run_bench(scale: float = 0.25, years: float = 1.0, sweep_replications: int = 4,
              sweep_scale: float | None = None, progress=None, mm10_customers: int = MM10_CUSTOMERS) -> dict[str, Any]:
    """All five measurements; `progress(text)` is called before each step (the CLI prints to stderr)."""
    say = progress or (lambda _text: None)
    t_start = time.perf_counter()
    info = machine_info()
    say(f"(e) anchor before the model: SimPy M/M/{MM10_SERVERS} at utilisation {MM10_RHO:g}, "
        f"{mm10_customers:,} customers")
    anchor_before = measure_anchor(mm10_customers)
    say(f"(a) model at scale {scale:g}, {years:g} years")
    model = measure_model(scale, years)
    say("(e) anchor after the model")
    anchor = bracket(anchor_before, measure_anchor(mm10_customers))
    say(f"(b) SimPy floor: {model['processes']:,} processes, {model['timeouts']:,} timeouts")
    floor = measure_floor(model["processes"], model["timeouts"], model.get("initial"))
    say("(c) scaling at " + ", ".join(f"{scale * f:g}" for f in SCALE_FACTORS))
    scaling = measure_scaling(scale, years, at_full=model)
    sweep_s = sweep_scale if sweep_scale is not None else scale / 4
    say(f"(d) sweep: {sweep_replications} replications at scale {sweep_s:g}, 1 worker vs all")
    sweep = measure_sweep(sweep_s, years, sweep_replications)
    info["loadavg_end"] = _loadavg()
    national = national_year(scale, years, model, scaling)
    events = model["processes"] + model["timeouts"]
    result: dict[str, Any] = {
        "scale": scale, "years": years,
        "model_over_floor": model["wall_s"] / floor["wall_s"],
        "spells_per_s": model["spells_per_s"],
        "events_per_s": model["events_per_s"],
        "peak_rss_mb": model["peak_rss_mb"],
        "scaling_exponent": scaling["scaling_exponent"],
        "parallel_efficiency": sweep["parallel_efficiency"],
        "national_year_s": national["seconds"],
        "events_per_spell": events / model["spells"] if model["spells"] else float("nan"),
        "mm10_customers_per_s": anchor["customers_per_s"],
        "spells_per_s_over_mm10": model["spells_per_s"] / anchor["customers_per_s"],
        "national_year_peak_rss_mb": national["peak_rss_mb"],
        "events_per_spell_parts": {k: model[k] / model["spells"] if model["spells"] else float("nan")
                                   for k in ("processes", "timeouts", "wakes", "queued")},
        "model": model, "floor": floor, "scaling": scaling, "sweep": sweep, "mm10": anchor,
        "national_year": national, "machine": info,
    }
    result["targets"] = targets(result)
    result["notes"] = [
        f"The memory target refers to a national replication at scale {TARGET_RSS_SCALE:g}, "
        f"{TARGET_RSS_YEARS:g} years; measure it with: caseload bench --scale 1 --years 4",
        "Model wall is run_replication's wall_s (set-up, simulation and KPI tables); events = processes + timeouts.",
        "Peak RSS is the whole child interpreter's high-water mark, including imports (see rss_baseline_mb).",
        f"The model ran the {model.get('engine', '?')} engine (compiled: sim/engine built with mypyc at install, "
        "hatch_build.py; pure: its Python sources, e.g. with CASELOAD_PURE_PYTHON=1); the results are the same.",
        f"national_year_s is extrapolated, not measured: {national['seconds_basis']}.",
        f"national_year_peak_rss_mb is {national['peak_rss_basis']}; "
        "its target (one year) is judged only when the bench simulates one year.",
        "events_per_spell = (SimPy processes + timeouts) / spells, the events of the textbook engine (a process per "
        "citizen and per group's arrivals), counted in events_per_s and repeated by the floor; the "
        "model's wake-ups (events_per_spell_parts.wakes) mostly follow one of those timeouts and are not added "
        "(adding them gives the larger per-spell figure quoted in issue 14). The engine handles fewer: "
        "events_per_spell_parts.queued counts the events it took from its queues (a citizen's start and an "
        "arrival are no events of their own, see sim.engine.arrival_stream).",
        f"mm10_customers_per_s: a bare SimPy M/M/{MM10_SERVERS} queue (simpy.Resource, Poisson arrivals, "
        f"exponential service, utilisation {MM10_RHO:g}) timed in a fresh child just before and just after the "
        "model's measurement (a); the mean of the two rates, their spread shows the machine's drift.",
    ]
    result["bench_wall_s"] = time.perf_counter() - t_start
    return result


def format_bench(r: dict[str, Any]) -> str:
    """The human-readable report."""
    m, f, sw, mi, mm = r["model"], r["floor"], r["sweep"], r["machine"], r["mm10"]

    def yes(t: dict[str, Any]) -> str:
        return "n/a" if t["met"] is None else ("met" if t["met"] else "NOT met")

    t = r["targets"]
    lines = [
        f"caseload bench: scale {r['scale']:g}, {r['years']:g} years | {mi['platform']} | "
        f"{mi['cpu_count']} cpus | Python {mi['python']} | SimPy {mi['simpy']} | engine {m.get('engine', '?')} "
        f"| load {mi['loadavg_start']}",
        "",
        f"{'measure':<34}{'value':>16}  {'target':<40}{'':>8}",
        f"{'model / SimPy floor (wall)':<34}{r['model_over_floor']:>16.2f}  {t['model_over_floor']['target']:<40}"
        f"{yes(t['model_over_floor']):>8}",
        f"{'peak RSS (MB)':<34}{r['peak_rss_mb']:>16,.0f}  {t['peak_rss_mb']['target']:<40}{yes(t['peak_rss_mb']):>8}",
        f"{'scaling exponent (wall ~ scale^k)':<34}{r['scaling_exponent']:>16.2f}  "
        f"{t['scaling_exponent']['target']:<40}{yes(t['scaling_exponent']):>8}",
        f"{'parallel efficiency':<34}{r['parallel_efficiency']:>16.2f}  {t['parallel_efficiency']['target']:<40}"
        f"{yes(t['parallel_efficiency']):>8}",
        f"{'national year (s, extrapolated)':<34}{r['national_year_s']:>16,.1f}  "
        f"{t['national_year_s']['target']:<40}{yes(t['national_year_s']):>8}",
        f"{'national year peak RSS (MB, extr.)':<34}{r['national_year_peak_rss_mb']:>16,.0f}  "
        f"{t['national_year_peak_rss_mb']['target']:<40}{yes(t['national_year_peak_rss_mb']):>8}",
        f"{'spells/s over M/M/10 customers/s':<34}{r['spells_per_s_over_mm10']:>16.2f}  "
        f"{t['spells_per_s_over_mm10']['target']:<40}{yes(t['spells_per_s_over_mm10']):>8}",
        f"{'spells per second':<34}{r['spells_per_s']:>16,.0f}",
        f"{'SimPy events per second':<34}{r['events_per_s']:>16,.0f}",
        f"{'SimPy events per spell':<34}{r['events_per_spell']:>16.2f}",
        f"{'M/M/10 customers per second':<34}{r['mm10_customers_per_s']:>16,.0f}",
        "",
        f"model: {m['wall_s']:.2f} s, {m['spells']:,} spells, {m['processes']:,} processes, "
        f"{m['timeouts']:,} timeouts, RSS baseline {m['rss_baseline_mb']:.0f} MB",
        "per spell: " + ", ".join(f"{v:.2f} {k}" for k, v in r["events_per_spell_parts"].items()),
        f"floor: {f['wall_s']:.2f} s for the same {f['processes']:,} processes and {f['timeouts']:,} timeouts",
        "scaling: " + "; ".join(f"scale {p['scale']:g}: {p['wall_s']:.2f} s, {p['peak_rss_mb']:.0f} MB"
                                for p in r["scaling"]["points"]),
        f"M/M/10 anchor: {mm['served']:,} customers at utilisation {mm['rho']:g}, before and after the model: "
        + " and ".join(f"{w:.2f} s" for w in mm["wall_s_runs"])
        + f" (spread {mm['spread']:.0%}; mean wait in queue {mm['mean_wait']:.3f} service times)",
        f"sweep: {sw['replications']} replications at scale {sw['scale']:g}: 1 worker {sw['wall_1_s']:.2f} s "
        f"({sw['reps_per_s_1']:.2f}/s), {sw['workers']} workers {sw['wall_n_s']:.2f} s ({sw['reps_per_s_n']:.2f}/s)",
        "",
        *(f"note: {n}" for n in r["notes"]),
        f"bench wall time {r['bench_wall_s']:.0f} s; load average at end {mi['loadavg_end']}",
    ]
    return "\n".join(lines)


def to_json(r: dict[str, Any]) -> str:
    """The JSON report; non-finite numbers (which should not occur) become null rather than invalid JSON."""
    def clean(x: Any) -> Any:
        if isinstance(x, float) and not math.isfinite(x):
            return None
        if isinstance(x, dict):
            return {k: clean(v) for k, v in x.items()}
        if isinstance(x, list | tuple):
            return [clean(v) for v in x]
        return x

    return json.dumps(clean(r), indent=2)

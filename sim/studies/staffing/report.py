"""A staffing result as text (the printed answer) and as files (staffing.csv, staffing.json)."""

from __future__ import annotations

import csv
import datetime as dt
import json
import math
from pathlib import Path
from typing import Any

from sim.experiment.results import atomic_write
from sim.studies.staffing.result import Candidate, StaffingResult, TargetStat


def _fmt_stat(s: TargetStat) -> str:
    verdict = "met" if s.passed else "NOT met"
    return f"{s.target:<40} mean {s.mean:.4f}  95% CI [{s.ci_low:.4f}, {s.ci_high:.4f}]  n={s.n}  {verdict}"


def _answer_lines(r: StaffingResult, verification: Candidate) -> list[str]:
    """FTE per provider beside the demand, the achieved KPIs and the one-step-fewer check."""
    lines = [f"{'provider':<14}{'national FTE':>14}{'at scale':>12}{'diary demand':>14}{'all work':>10}"
             f"{'total FTE':>11}{'resolution':>12}  searched"]
    for p, v in r.answer.items():
        total = v + r.demand_all_work[p] - r.demand[p]
        lines.append(f"{p:<14}{v:>14,.1f}{v * r.scale:>12,.2f}{r.demand[p]:>14,.1f}{r.demand_all_work[p]:>10,.1f}"
                     f"{total:>11,.1f}{r.resolution[p]:>12,.1f}  "
                     f"{'yes' if p in r.searched else 'no (no target depends on it; kept at demand)'}")
    lines.append("(national FTE: caseworkers on the diaries (talks, offers, reviews) needed for the targets; "
                 "diary demand: the same with unlimited capacity; all work adds other case work, which is not "
                 "booked in the diaries; total FTE = national FTE + other case work)")
    lines.append("")
    lines.append(f"Achieved (run {verification.run}, the combined answer; a re-run with the same seed "
                 "is identical under common random numbers):")
    lines += ["  " + _fmt_stat(s) for s in verification.stats]
    lines.append("")
    lines.append("One resolution step fewer:")
    for p, cand in r.step_fewer.items():
        if cand is None:
            lines.append(f"  {p}: not tried (would be zero FTE)")
            continue
        verdict = "does not meet the targets (as expected)" if not cand.passed else \
            "STILL MEETS the targets (noise across candidates; the answer is within one step)"
        lines.append(f"  {p} at {cand.fte[p]:,.1f}: {verdict}")
    return lines


def _erlang_lines(r: StaffingResult) -> list[str]:
    if not r.erlang:
        return ["Erlang C lower-bound check: not applicable "
                "(no per-task deadline target such as first_talk_on_time)"]
    lines = ["Erlang C lower-bound check (pooled national M/M/c queue, no calendar structure):"]
    for e in r.erlang:
        ans = r.answer.get(e.provider)
        cmp = "" if ans is None else (f"<= simulated {ans:,.1f}" if e.at_or_below_answer
                                      else f"> simulated {ans:,.1f}: NOT a lower bound here")
        lines.append(f"  {e.provider:<14}{e.target:<34} {e.fte_national:>10,.0f} national FTE "
                     f"(load {e.offered_load_fte:,.1f} Erlang, slack {e.slack_working_days:.1f} working days)"
                     f"  {cmp}")
    return lines


def format_result(r: StaffingResult, wall_s: float | None = None) -> str:
    """The printed answer: FTE per provider, achieved KPIs, search length and the Erlang C check."""
    if r.feasible and r.verification is not None:
        lines = _answer_lines(r, r.verification)
    else:
        lines = [f"no staffing found: {r.message}"]
    lines.append("")
    lines += _erlang_lines(r)
    runs = (f"Search: {r.n_runs} simulation runs of {r.replications} replications each "
            f"(seed {r.seed}, common random numbers)")
    lines.append("")
    lines.append(runs + (f", {wall_s:.1f} s." if wall_s is not None else "."))
    if r.scale != 1.0:
        lines.append(f"National FTE are the simulated FTE divided by scale {r.scale:g}.")
    return "\n".join(lines)


def _candidate_rows(r: StaffingResult) -> tuple[list[str], list[dict[str, Any]]]:
    providers = list(r.demand)
    header = ["run", "phase", "passed"] + [f"fte_{p}" for p in providers]
    for t in r.targets:
        header += [f"{t.label}:{x}" for x in ("mean", "ci_low", "ci_high", "n", "passed")]
    rows = []
    for c in r.candidates:
        row: dict[str, Any] = {"run": c.run, "phase": c.phase, "passed": c.passed}
        for p in providers:
            row[f"fte_{p}"] = c.fte.get(p, "unlimited")
        for s in c.stats:
            row.update({f"{s.target}:mean": s.mean, f"{s.target}:ci_low": s.ci_low, f"{s.target}:ci_high": s.ci_high,
                        f"{s.target}:n": s.n, f"{s.target}:passed": s.passed})
        rows.append(row)
    return header, rows


def write_outputs(r: StaffingResult, out: Path, extra: dict[str, Any]) -> None:
    """staffing.csv (every candidate) and staffing.json (answer, checks, candidates), atomically."""
    out.mkdir(parents=True, exist_ok=True)
    header, rows = _candidate_rows(r)

    def write_csv(path: str) -> None:
        with open(path, "w", newline="") as fh:
            w = csv.DictWriter(fh, fieldnames=header)
            w.writeheader()
            w.writerows(rows)

    doc = _finite({**r.to_dict(), **extra})
    atomic_write(out / "staffing.csv", write_csv)
    atomic_write(out / "staffing.json", lambda p: Path(p).write_text(json.dumps(doc, indent=2, default=_json_default)))


def _finite(x: Any) -> Any:
    """NaN (a bound over fewer than two values) as null: strict JSON has no NaN."""
    if isinstance(x, float) and not math.isfinite(x):
        return None
    if isinstance(x, dict):
        return {k: _finite(v) for k, v in x.items()}
    if isinstance(x, (list, tuple)):
        return [_finite(v) for v in x]
    return x


def _json_default(x: Any) -> Any:
    if isinstance(x, (dt.date, dt.datetime)):
        return x.isoformat()
    return str(x)

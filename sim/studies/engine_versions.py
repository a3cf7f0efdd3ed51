"""Same answers from a faster engine: a paired comparison of two engine versions (issue 14).

A rewrite for speed must leave the model's answers statistically unchanged before the pinned
outputs may be regenerated. Both versions run the same scenario with the same seed and number of
replications, so replication r of each sees the same citizens (common random numbers, CRN); the
difference new − old per replication then shows the change of engine, not two populations' noise.

For every KPI row (kpi, group, provider) the verdict is:

- ``identical``: the same value in every replication (an exact refactor gives only these);
- ``within``: the mean moved less than the old run's own confidence half-width, and the paired
  interval does not show a shift once the many KPIs are accounted for (Benjamini-Hochberg at 5 %);
- ``moved``: either of those fails: the row needs an explanation before the pinned file changes.

Run from the shell:  python -m sim.studies.engine_versions OLD_RUN NEW_RUN [--out shifts.csv]
(`scripts/engine_compare.sh REV` runs a git revision and the working tree, then this).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np
import pandas as pd
from scipy import stats

from sim.inputs.errors import ParamError
from sim.metrics.stats import LEVEL, t_half_width
from sim.studies.compare import paired_differences

KEYS = ["kpi", "group", "provider"]
FDR = 0.05


def read_kpis(run: str | Path) -> pd.DataFrame:
    """The per-replication KPI rows of a `caseload run` folder."""
    path = Path(run) / "kpis.csv"
    if not path.is_file():
        raise ParamError("run folder", str(run), "a folder written by `caseload run` (it has kpis.csv)")
    return pd.read_csv(path)


def _same_replications(old: pd.DataFrame, new: pd.DataFrame) -> None:
    a, b = sorted(old["replication"].unique()), sorted(new["replication"].unique())
    if a != b:
        raise ParamError("replications", f"old {a}, new {b}", "both runs with the same replications and seed")


def engine_shifts(old: pd.DataFrame, new: pd.DataFrame, level: float = LEVEL, fdr: float = FDR) -> pd.DataFrame:
    """Per KPI row: the paired difference new − old, the old mean's half-width, a BH-adjusted
    p-value and the verdict (identical / within / moved); rows in one run only are listed too."""
    _same_replications(old, new)
    diffs = paired_differences(old, new, level).rename(columns={"mean_a": "mean_old", "mean_b": "mean_new"})
    spread = old.groupby(KEYS, sort=False)["value"].agg(sd_old="std", n_old="count").reset_index()
    out = diffs.merge(spread, on=KEYS, how="left")
    out["half_width_old"] = t_half_width(out["sd_old"].fillna(0.0), out["n_old"], level)
    exact = _identical_rows(old, new)
    out["identical"] = [tuple(k) in exact for k in out[KEYS].itertuples(index=False)]
    out["p"] = _paired_p(out)
    out["q"] = np.nan
    tested = ~out["identical"] & out["p"].notna()
    if tested.any():
        out.loc[tested, "q"] = stats.false_discovery_control(out.loc[tested, "p"].to_numpy())
    beyond = out["diff"].abs() > out["half_width_old"]
    shifted = out["q"] < fdr
    out["verdict"] = np.where(out["identical"], "identical", np.where(beyond | shifted, "moved", "within"))
    return pd.concat([out, _one_sided(old, new)], ignore_index=True)


def _identical_rows(old: pd.DataFrame, new: pd.DataFrame) -> set[tuple]:
    keys = KEYS + ["replication"]
    m = old[keys + ["value"]].merge(new[keys + ["value"]], on=keys, suffixes=("_old", "_new"))
    same = (m["value_old"] == m["value_new"]) | (m["value_old"].isna() & m["value_new"].isna())
    by_row = same.groupby([m[k] for k in KEYS], sort=False).all()
    return {k for k, v in by_row.items() if v}


def _paired_p(out: pd.DataFrame) -> np.ndarray:
    """Two-sided p of the paired t-test; 0 for a constant non-zero shift, NaN without variation."""
    with np.errstate(divide="ignore", invalid="ignore"):
        t = out["diff"] / (out["sd_diff"] / np.sqrt(out["n"]))
    p = 2 * stats.t.sf(np.abs(t), out["n"] - 1)
    p = np.where((out["sd_diff"] == 0) & (out["diff"] != 0), 0.0, p)
    return np.where((out["sd_diff"] == 0) & (out["diff"] == 0), np.nan, p)


def _one_sided(old: pd.DataFrame, new: pd.DataFrame) -> pd.DataFrame:
    a = set(old[KEYS].itertuples(index=False, name=None))
    b = set(new[KEYS].itertuples(index=False, name=None))
    rows = [(*k, "only in old") for k in sorted(a - b, key=str)] + [(*k, "only in new") for k in sorted(b - a, key=str)]
    return pd.DataFrame(rows, columns=KEYS + ["verdict"])


def summary(shifts: pd.DataFrame) -> str:
    """The verdict counts and the rows that moved, for the README and the pinned-outputs log."""
    counts = shifts["verdict"].value_counts()
    lines = [", ".join(f"{v}: {counts.get(v, 0)}" for v in ("identical", "within", "moved", "only in old",
                                                             "only in new"))]
    moved = shifts[shifts["verdict"] == "moved"]
    for r in moved.itertuples(index=False):
        lines.append(f"moved: {r.kpi} [{r.group}, {r.provider}] {r.mean_old:.6g} -> {r.mean_new:.6g} "
                     f"(diff {r.diff:+.4g} [{r.ci_low:+.4g}; {r.ci_high:+.4g}], old half-width "
                     f"{r.half_width_old:.4g}, q {r.q:.3g})")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m sim.studies.engine_versions", description=__doc__.split("\n")[0])
    parser.add_argument("old"), parser.add_argument("new")
    parser.add_argument("--out", help="write every row's comparison to this CSV")
    args = parser.parse_args(argv)
    try:
        shifts = engine_shifts(read_kpis(args.old), read_kpis(args.new))
    except ParamError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    if args.out:
        shifts.to_csv(args.out, index=False)
    print(summary(shifts))
    return 1 if (shifts["verdict"].isin(["moved", "only in old", "only in new"])).any() else 0


if __name__ == "__main__":
    raise SystemExit(main())

"""Back test: the outputs of a fixed scenario and seed are pinned in tests/data.

Pinned: every KPI (pinned_kpis.csv), the compliance table of the run (pinned_compliance.csv, as
written to compliance.csv, without the source texts) and a few weekly series
(pinned_weekly.csv: stock and talks held per week for dagpenge and jobparat, per provider).
Engine work (speed-ups, refactoring) must leave them unchanged.

These files are the model's own earlier output, so they catch changes, not wrong answers (the
tests with independent expectations do that). A deliberate change of behaviour regenerates them
in the same commit, with its reason:

    python tests/test_pinned_outputs.py --reason "why the outputs move"

which prints what moved and by how much, refuses to run without a reason, and appends the
date, the git commit, the reason and what moved to tests/data/PINNED_LOG.md.
``--dry-run`` only prints what would move.
"""

from __future__ import annotations

import argparse
import datetime as dt
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import sim

DATA = Path(__file__).parent / "data"
LOG = DATA / "PINNED_LOG.md"
SCENARIO = {"scale": 0.01, "years": 1.0, "capacity.providers.municipality.fte": [{"from": "2024-01-01", "fte": 600.0}],
            "rules": [{"from": "2026-07-01", "set": "reform_2026"}, {"from": "2027-01-01", "set": "reform_2027"}],
            "start_date": "2026-10-01"}
REPLICATIONS, SEED = 2, 5
WEEKLY_GROUPS = ("dagpenge", "jobparat")
WEEKLY_MEASURES = ("stock", "talks_held")
RTOL = ATOL = 1e-9


@dataclass(frozen=True)
class Pinned:
    """One pinned table: its file, the columns that identify a row, and the columns compared."""

    file: str
    keys: tuple[str, ...]
    values: tuple[str, ...]
    label: tuple[str, ...]  # the key columns that name what moved in the report

    @property
    def path(self) -> Path:
        return DATA / self.file


TABLES = {
    "kpis": Pinned("pinned_kpis.csv", ("replication", "kpi", "group", "provider"), ("value",), ("kpi",)),
    "compliance": Pinned("pinned_compliance.csv", ("kpi", "group"),
                         ("mean", "ci_low", "ci_high", "n", "threshold", "status", "rule_set"), ("kpi",)),
    "weekly": Pinned("pinned_weekly.csv", ("replication", "week", "group", "provider", "measure"), ("value",),
                     ("group", "measure")),
}


def current() -> dict[str, pd.DataFrame]:
    """The pinned scenario's outputs now, one frame per pinned table."""
    res = sim.run(sim.load_params(overrides=SCENARIO), replications=REPLICATIONS, seed=SEED, workers=1)
    w = res.weekly
    weekly = w[w.group.isin(WEEKLY_GROUPS) & w.measure.isin(WEEKLY_MEASURES)]
    compliance = res.compliance()
    return {"kpis": res.kpis.reset_index(drop=True),
            "compliance": compliance[list(TABLES["compliance"].keys + TABLES["compliance"].values)],
            "weekly": weekly[list(TABLES["weekly"].keys + TABLES["weekly"].values)].reset_index(drop=True)}


def differences(table: Pinned, pinned: pd.DataFrame, now: pd.DataFrame) -> pd.DataFrame:
    """Rows that moved, appeared or disappeared: keys, column, old, new (NaN where absent)."""
    keys = list(table.keys)
    for df in (pinned, now):
        assert not df.duplicated(keys).any(), f"{table.file}: duplicate keys"
    both = pinned.merge(now, on=keys, how="outer", suffixes=("_old", "_new"), indicator=True)
    rows = []
    for col in table.values:
        old, new = both[f"{col}_old"], both[f"{col}_new"]
        if pd.api.types.is_numeric_dtype(old) and pd.api.types.is_numeric_dtype(new):
            same = np.isclose(old.to_numpy(float), new.to_numpy(float), rtol=RTOL, atol=ATOL, equal_nan=True)
        else:
            same = (old.astype(str) == new.astype(str)).to_numpy()
        moved = both[~same | (both["_merge"] != "both")]
        if not moved.empty:
            rows.append(moved[keys].assign(column=col, old=moved[f"{col}_old"], new=moved[f"{col}_new"]))
    if not rows:
        return pd.DataFrame(columns=[*keys, "column", "old", "new"])
    return pd.concat(rows, ignore_index=True).drop_duplicates()


def describe(table: Pinned, diff: pd.DataFrame) -> list[str]:
    """One line per moved quantity: how many rows, the largest absolute and relative change, and
    changed labels (a compliance status) as old -> new."""
    if diff.empty:
        return []
    lines = []
    for label, d in diff.groupby(list(table.label), sort=True):
        name = "/".join(str(x) for x in (label if isinstance(label, tuple) else (label,)))
        old = pd.to_numeric(d.old, errors="coerce")
        new = pd.to_numeric(d.new, errors="coerce")
        delta = (new - old).abs()
        rel = delta / old.abs().where(old.abs() > 0)
        text = f"{name}: {len(d)} row(s) moved"
        if delta.notna().any():
            text += f", max |Δ| {delta.max():.6g}"
        if rel.notna().any():
            text += f" (max {100 * rel.max():.3g} %)"
        words = d[old.isna() & new.isna() & d.old.notna() & d.new.notna()]
        if not words.empty:
            text += "; " + ", ".join(sorted({f"{o} -> {n}" for o, n in zip(words.old, words.new)}))
        added, removed = int((d.old.isna() & d.new.notna()).sum()), int((d.old.notna() & d.new.isna()).sum())
        if added or removed:
            text += f"; {added} new, {removed} gone"
        lines.append(text)
    return lines


# ------------------------------------------------------------------------------------- the tests
@pytest.fixture(scope="module")
def outputs():
    return current()


@pytest.mark.parametrize("name", list(TABLES))
def test_pinned_outputs_are_unchanged(name, outputs):
    table = TABLES[name]
    diff = differences(table, pd.read_csv(table.path), outputs[name])
    assert diff.empty, (f"{table.file} moved (regenerate only with a reason, see the module docstring):\n"
                        + "\n".join(describe(table, diff)) + "\n" + diff.head(20).to_string())


# -------------------------------------------------------------------------------- regenerating
def _git(*args: str) -> str:
    """A read-only git query (no optional index refresh); empty when git or the repository is missing."""
    try:
        out = subprocess.run(["git", "--no-optional-locks", *args], cwd=Path(__file__).resolve().parent.parent,
                             capture_output=True, text=True, timeout=30)
    except (OSError, subprocess.TimeoutExpired):
        return ""
    return out.stdout.strip() if out.returncode == 0 else ""


def commit_description() -> str:
    """The commit the outputs were made from, and whether the model's files differed from it."""
    commit = _git("rev-parse", "--short", "HEAD")
    if not commit:
        return "unknown (no git repository)"
    changed = _git("diff", "--name-only", "HEAD", "--", "sim", "params").split()
    if not changed:
        return f"{commit} (clean)"
    more = f" and {len(changed) - 5} more" if len(changed) > 5 else ""
    return f"{commit} (uncommitted changes in {', '.join(changed[:5])}{more})"


def regenerate(reason: str, dry_run: bool = False) -> str:
    """Compute the outputs, print what moved, and unless `dry_run` write the tables that moved (a
    table that did not move keeps its file byte for byte) and log the reason."""
    now = current()
    report, to_write = [], []
    for name, table in TABLES.items():
        if not table.path.exists():
            to_write.append(name)
            report.append(f"- {table.file}: new file ({len(now[name])} rows)")
            continue
        lines = describe(table, differences(table, pd.read_csv(table.path), now[name]))
        if lines:
            to_write.append(name)
        report.append(f"- {table.file}: " + (f"{len(lines)} quantities moved" if lines else "nothing moved"))
        report += [f"  - {line}" for line in lines]
    text = "\n".join(report)
    print(text)
    if dry_run:
        return text
    for name in to_write:
        now[name].to_csv(TABLES[name].path, index=False)
    stamp = dt.datetime.now().strftime("%Y-%m-%d %H:%M")
    with open(LOG, "a", encoding="utf-8") as fh:
        fh.write(f"\n## {stamp}, commit {commit_description()}\n\nReason: {reason}\n\nWhat moved:\n{text}\n")
    written = ", ".join(TABLES[n].file for n in to_write) or "nothing (no table moved)"
    print(f"wrote {written}; logged the reason in {LOG.name}")
    return text


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description="Regenerate the pinned outputs in tests/data, with a reason.")
    ap.add_argument("--reason", help="why the outputs move (required to write; appended to PINNED_LOG.md)")
    ap.add_argument("--dry-run", action="store_true", help="only print what would move")
    args = ap.parse_args(argv)
    if not args.dry_run and not (args.reason or "").strip():
        ap.error("refusing to regenerate without --reason \"...\": say why the pinned outputs move")
    regenerate((args.reason or "").strip(), dry_run=args.dry_run)
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""The engine-version check (issue 14): an exact refactor reads "identical", a shift is caught.

Expected verdicts come from how the inputs are built (an exact copy, a constant shift, zero-mean
noise) and the half-width from scipy's t quantile computed here."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from sim.inputs.errors import ParamError
from sim.studies.engine_versions import engine_shifts, main

N = 8


def kpis(seed: int = 3) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    rows = []
    for r in range(N):
        for kpi, mean, sd in (("fte_needed", 120.0, 4.0), ("stock_mean", 5000.0, 60.0), ("share", 0.4, 0.02)):
            for group in ("jobparat", "all"):
                rows.append((r, kpi, group, "all", float(rng.normal(mean, sd))))
    return pd.DataFrame(rows, columns=["replication", "kpi", "group", "provider", "value"])


def verdicts(shifts: pd.DataFrame) -> dict[tuple[str, str], str]:
    return {(r.kpi, r.group): r.verdict for r in shifts.itertuples(index=False)}


def test_an_exact_copy_is_identical_everywhere():
    old = kpis()
    assert set(verdicts(engine_shifts(old, old.copy())).values()) == {"identical"}


def test_a_constant_shift_of_one_kpi_is_the_only_row_that_moved():
    old = kpis()
    new = old.copy()
    hit = (new.kpi == "fte_needed") & (new.group == "all")
    new.loc[hit, "value"] += 2.0  # half a replication sd: small, but the same in every replication
    v = verdicts(engine_shifts(old, new))
    assert v.pop(("fte_needed", "all")) == "moved"
    assert set(v.values()) == {"identical"}


def test_zero_mean_noise_far_below_the_spread_stays_within():
    old = kpis()
    new = old.copy()
    new["value"] += np.random.default_rng(11).normal(0.0, 1e-4, len(new)) * new["value"].abs()
    assert set(verdicts(engine_shifts(old, new)).values()) == {"within"}


def test_a_noisy_shift_beyond_the_old_half_width_moved():
    old = kpis()
    sub = old[(old.kpi == "stock_mean") & (old.group == "jobparat")]["value"]
    half = stats.t.ppf(0.975, N - 1) * sub.std(ddof=1) / math.sqrt(N)  # the old run's own 95 % half-width
    new = old.copy()
    hit = (new.kpi == "stock_mean") & (new.group == "jobparat")
    noise = np.random.default_rng(5).normal(0.0, 200.0, N)
    new.loc[hit, "value"] += 1.5 * half + noise - noise.mean()  # mean shift exactly 1.5 half-widths
    shifts = engine_shifts(old, new)
    row = shifts[(shifts.kpi == "stock_mean") & (shifts.group == "jobparat")].iloc[0]
    assert row.half_width_old == pytest.approx(half, rel=1e-12)
    assert row["diff"] == pytest.approx(1.5 * half, rel=1e-9)
    assert row.verdict == "moved"


def test_rows_in_one_run_only_are_listed_and_replications_must_match():
    old = kpis()
    new = old[old.kpi != "share"]
    v = verdicts(engine_shifts(old, new))
    assert v[("share", "all")] == "only in old" and v[("fte_needed", "all")] == "identical"
    with pytest.raises(ParamError, match="replications"):
        engine_shifts(old, old[old.replication < N - 1])


def test_the_command_exits_1_when_a_row_moved(tmp_path, capsys):
    old = kpis()
    new = old.copy()
    new.loc[new.kpi == "share", "value"] *= 1.1
    for name, frame in (("old", old), ("new", new), ("same", old)):
        (tmp_path / name).mkdir()
        frame.to_csv(tmp_path / name / "kpis.csv", index=False)
    assert main([str(tmp_path / "old"), str(tmp_path / "same")]) == 0
    assert main([str(tmp_path / "old"), str(tmp_path / "new"), "--out", str(tmp_path / "s.csv")]) == 1
    assert "moved: share [all, all]" in capsys.readouterr().out
    assert set(pd.read_csv(tmp_path / "s.csv").verdict) == {"identical", "moved"}
    assert main([str(tmp_path / "old"), str(tmp_path / "nowhere")]) == 2

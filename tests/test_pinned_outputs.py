"""Back test: the model's KPIs for a fixed scenario and seed are pinned in tests/data.

Engine work (speed-ups, refactoring) must leave them unchanged. A deliberate change of the
model's behaviour regenerates the file (`python tests/test_pinned_outputs.py`) in the same
commit, with the reason in the commit message."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

import sim

PINNED = Path(__file__).parent / "data" / "pinned_kpis.csv"
SCENARIO = {"scale": 0.01, "years": 1.0, "capacity.providers.municipality.fte": [{"from": "2024-01-01", "fte": 600.0}],
            "rules": [{"from": "2026-07-01", "set": "reform_2026"}, {"from": "2027-01-01", "set": "reform_2027"}],
            "start_date": "2026-10-01"}


def current() -> pd.DataFrame:
    return sim.run(sim.load_params(overrides=SCENARIO), replications=2, seed=5, workers=1).kpis


def test_kpis_are_unchanged():
    pinned = pd.read_csv(PINNED)
    now = current()
    pd.testing.assert_frame_equal(now[["replication", "kpi", "group", "provider"]].reset_index(drop=True),
                                  pinned[["replication", "kpi", "group", "provider"]], check_dtype=False)
    np.testing.assert_allclose(now["value"].to_numpy(), pinned["value"].to_numpy(), rtol=1e-9, atol=1e-9)


if __name__ == "__main__":
    current().to_csv(PINNED, index=False)
    print(f"wrote {PINNED}")

"""The validation study (issue 11): tolerance bands, verdicts and the FTE change term by term, worked
out by hand on small made-up inputs; and the command is registered."""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest

from sim.cli.main import build_parser
from sim.studies.validation import MEASURES, fte_terms, validation_table


def _measure(name: str):
    return next(m for m in MEASURES if m.name == name)


def test_bands_widen_the_official_range_by_the_tolerance():
    assert _measure("delta_fte_municipality").band_with_tolerance() == pytest.approx((-3500 * 1.15, -3000 * 0.85))
    assert _measure("baseline_fte_municipality").band_with_tolerance() == pytest.approx((11_250, 13_750))
    assert _measure("delta_talks").band_with_tolerance() == pytest.approx((-575_000, -425_000))


def test_verdicts_and_intervals():
    values = {"baseline_fte_municipality": pd.Series([11_000.0, 12_000.0, 13_000.0]),  # mean 12,000: within
              "delta_fte_municipality": pd.Series([-1_700.0, -1_600.0]),  # outside the band
              "delta_oevo_mentor_dkk": pd.Series([-600e6, -700e6])}  # no tolerance: side by side
    t = validation_table(values).set_index("measure")
    base = t.loc["baseline_fte_municipality"]
    assert base.model_mean == 12_000.0 and base.verdict == "within"
    half = 4.302652729911275 * 1000.0 / np.sqrt(3)  # t(0.975, 2) × sd / √n
    assert base.ci_low == pytest.approx(12_000 - half) and base.ci_high == pytest.approx(12_000 + half)
    assert t.loc["delta_fte_municipality"].verdict == "outside"
    assert t.loc["delta_oevo_mentor_dkk"].verdict == "side by side"
    assert t.loc["delta_talks"].verdict == "not modelled" and np.isnan(t.loc["delta_talks"].model_mean)


def test_fte_terms_pair_items_by_replication_and_scale_to_denmark():
    def wl(rows):
        return pd.DataFrame(rows, columns=["replication", "item", "group", "provider", "hours", "fte"])

    a = wl([(0, "talk", "g", "municipality", 0, 2.0), (0, "talk", "h", "municipality", 0, 1.0),
            (0, "rehab", "g", "municipality", 0, 1.0), (0, "talk", "g", "akasse", 0, 5.0),
            (1, "talk", "g", "municipality", 0, 4.0), (1, "rehab", "g", "municipality", 0, 1.0)])
    b = wl([(0, "talk", "g", "municipality", 0, 2.0), (0, "new", "g", "municipality", 0, 0.5),
            (1, "talk", "g", "municipality", 0, 3.0), (1, "new", "g", "municipality", 0, 0.5)])
    cmp = SimpleNamespace(a=SimpleNamespace(workload=a), b=SimpleNamespace(workload=b))
    t = fte_terms(cmp, scale=0.5).set_index("item")  # type: ignore[arg-type]
    # talk (municipality only): rep 0 3 -> 2, rep 1 4 -> 3: -1 each, national -2
    assert t.loc["talk", "delta_fte"] == pytest.approx(-2.0) and t.loc["talk", "fte_pre_reform"] == pytest.approx(7.0)
    assert t.loc["rehab", "delta_fte"] == pytest.approx(-2.0) and t.loc["rehab", "fte_reform_2027"] == 0.0
    assert t.loc["new", "delta_fte"] == pytest.approx(1.0)


def test_the_command_is_registered():
    args = build_parser().parse_args(["validation", "--scale", "0.01", "--replications", "2", "--out", "x"])
    assert args.scale == 0.01 and args.replications == "2" and args.func.__name__ == "cmd_validation"


def test_official_figures_come_from_the_params_file_each_with_a_source(tmp_path):
    import tomllib

    from sim.inputs.errors import ParamError
    from sim.inputs.files import params_dir
    from sim.studies.validation import load_measures

    raw = tomllib.loads((params_dir() / "validation.toml").read_text(encoding="utf-8"))["measures"]
    assert [m.name for m in MEASURES] == [m["name"] for m in raw]
    assert _measure("delta_fte_municipality").official == -3000.0
    assert all(m.source.startswith(("[S]", "[V]", "[D]", "[seed")) for m in MEASURES)
    bad = tmp_path / "v.toml"
    bad.write_text('[[measures]]\nname = "x"\nofficial = 1.0\n', encoding="utf-8")
    with pytest.raises(ParamError, match="source"):
        load_measures(bad)

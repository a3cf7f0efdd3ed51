"""Parameters: sources, validation errors that name the field, inheritance, overrides; the CLI."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

import sim
from sim.cli.main import main
from sim.inputs.files import params_dir

PRESETS = sorted((params_dir() / "presets").glob("*.toml"))


def test_every_default_number_has_a_source():
    p = sim.load_params()
    missing = [path for path in p.numeric_paths() if not p.source_of(path)]
    assert missing == []
    assumptions = p.assumptions()
    assert "capacity.productive_hours_per_fte_year" in assumptions
    assert "groups.sygemeldt.stock" not in assumptions  # Statistics Denmark, not an assumption


def test_rule_sets_carry_sources_for_every_rule():
    p = sim.load_params()
    for name in ("pre_reform", "reform_2026", "reform_2027"):
        rs = sim.load_params(overrides={"rules": name, "exemption.share": 0.0}).rule_sets[name]
        assert rs.source and rs.exemption.source
        for g, gr in rs.groups.items():
            for item in [*gr.talks, *gr.offers, *gr.clarifications]:
                assert item.source, (name, g, item.kind)
    assert p.rule_sets["reform_2027"].exemption.max_share == 0.25


@pytest.mark.parametrize("preset", PRESETS, ids=lambda x: x.stem)
def test_presets_validate(preset: Path):
    assert sim.load_params(preset).scenario.name == preset.stem


@pytest.mark.parametrize("overrides, field", [
    ({"exemption.share": 0.3}, "exemption.share"),
    ({"exemption.share": -0.1}, "exemption.share"),
    ({"scale": 0}, "scale"),
    ({"groups.dagpenge.stock": -5}, "groups.dagpenge.stock"),
    ({"groups.jobparat.hazard.work": [0.1]}, "groups.jobparat.hazard"),
    ({"exemption.shares": 0.1}, "exemption.shares"),
    ({"rules": "reform_2030"}, "rules"),
    ({"capacity.unlimited": "maybe"}, "capacity.unlimited"),
    ({"offers.types.oevo.share": 0.9}, "offers"),
])
def test_bad_values_name_the_field(overrides, field):
    with pytest.raises(sim.ParamError) as err:
        sim.load_params(overrides=overrides)
    assert err.value.field.startswith(field), str(err.value)
    assert "=" in str(err.value) and "\n" not in str(err.value)


def test_beyond_the_legal_cap_only_when_said():
    p = sim.load_params(overrides={"exemption.share": 0.4, "exemption.beyond_law": True})
    assert p.scenario.exemption.share == 0.4


def test_overrides_parse_cli_strings_and_extends_merges():
    p = sim.load_params(params_dir() / "presets" / "timeline_2026_2027.toml",
                        overrides={"exemption.share": "0.1", "capacity.unlimited": "true"})
    assert p.scenario.exemption.share == 0.1 and p.scenario.capacity.unlimited is True
    assert [rs.name for _, rs in p.timeline()] == ["pre_reform", "reform_2026_feb", "reform_2026", "reform_2027"]
    assert [d for d, _ in p.timeline()] == [0, 31, 181, 365]  # from 1 Jan 2026: 1 Feb, 1 Jul, 1 Jan 2027
    assert p.scenario.groups["dagpenge"].stock == sim.load_params().scenario.groups["dagpenge"].stock  # inherited


def test_inconsistent_inflows_name_the_group():
    # a tiny stock cannot absorb what other groups send into it
    from sim.engine.population import external_inflows, spell_distributions

    scenario = sim.load_params(overrides={"groups.jobparat.stock": 100.0}).scenario
    with pytest.raises(sim.ParamError) as err:
        external_inflows(scenario.groups, spell_distributions(scenario))
    assert err.value.field == "groups.jobparat.stock"


def test_validate_exit_codes(tmp_path, capsys):
    good = tmp_path / "good.toml"
    good.write_text('extends = "national_default"\nname = "mine"\n[exemption]\nshare = 0.1\n')
    assert main(["validate", str(good)]) == 0
    bad = tmp_path / "bad.toml"
    bad.write_text('extends = "national_default"\n[exemption]\nshare = 0.5\n')
    assert main(["validate", str(bad)]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "exemption.share" in err[0] and "0.5" in err[0]


def test_cli_error_has_no_traceback():
    proc = subprocess.run([sys.executable, "-m", "sim.cli", "run", "--set", "years=-1"],
                          capture_output=True, text=True)
    assert proc.returncode == 2
    assert "Traceback" not in proc.stderr and "years" in proc.stderr


def test_cli_run_writes_the_contract_files(tmp_path, capsys):
    out = tmp_path / "run"
    code = main(["run", "--set", "scale=0.005", "--set", "years=0.5", "--replications", "2",
                 "--seed", "3", "--out", str(out), "--workers", "1"])
    assert code == 0
    printed = capsys.readouterr().out
    assert "FTE needed" in printed and "95 % interval" in printed and "summary.csv" in printed  # the headline
    meta = json.loads((out / "run.json").read_text())
    assert {"params", "seed", "replications", "version", "params_hash", "wall_time_s"} <= set(meta)
    assert meta["seed"] == 3 and meta["replications"] == 2
    assert meta["assumptions"]
    kpis = pd.read_csv(out / "kpis.csv")
    assert list(kpis.columns) == ["replication", "kpi", "group", "provider", "value"]
    summary = pd.read_csv(out / "summary.csv")
    assert list(summary.columns) == ["kpi", "group", "provider", "mean", "ci_low", "ci_high", "n"]
    weekly = pd.read_parquet(out / "weekly.parquet")
    assert list(weekly.columns) == ["replication", "week", "group", "provider", "measure", "value"]
    assert not list(out.glob(".*.tmp"))  # atomic writes leave no temporary files

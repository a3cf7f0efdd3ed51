"""The STRESS-DES model description generated from the parameters (issue 7, deliverable 4)."""

from __future__ import annotations

import sim
from sim.cli.main import main
from sim.output import report
from sim.output.describe import DESCRIPTION_FILE, describe


def test_description_has_every_stress_des_section_and_the_parameters():
    params = sim.load_params(overrides={"rules": "pre_reform", "exemption.share": 0.0})
    text = describe(params)
    for heading in ("## 1. Objectives", "## 2. Logic", "## 3. Data and assumptions", "## 4. Experimentation",
                    "## 5. Implementation", "## 6. Code access"):
        assert heading in text
    for g in params.scenario.groups:
        assert f"| {g} |" in text
    assert "pre_reform" in text and "reassessment_w22" in text
    for path in params.assumptions():
        assert path in text
    assert params.params_hash in text


def test_cli_writes_into_a_run_folder_where_the_report_finds_it(tmp_path, capsys):
    assert main(["describe", "--set", "municipality=Odense", "--out", str(tmp_path)]) == 0
    out = tmp_path / DESCRIPTION_FILE
    assert out.is_file() and "Odense" in out.read_text(encoding="utf-8")
    assert DESCRIPTION_FILE in report.DESCRIPTION_FILES


def test_cli_bad_override_exits_2(capsys):
    assert main(["describe", "--set", "exemption.share=0.9"]) == 2

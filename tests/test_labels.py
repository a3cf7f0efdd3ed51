"""Labels in English and Danish with no untranslated fallback; FTE axes without ".0"; the sweep's
sensitivity charts with readable factor names (issue 15, item 7)."""

from __future__ import annotations

import ast
import re
import tomllib
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import sim
from sim.engine.recorder import WEEKLY
from sim.inputs.files import params_dir
from sim.metrics.kpis import TABLE, TRIAL_ARMS
from sim.metrics.weekly import DERIVED
from sim.output.labels import LANGS, factor_label, has_factor_label, has_label, label
from sim.output.slides import NumberTicks
from sim.studies.sensitivity import EFFECT_FACTORS

ROOT = Path(__file__).resolve().parents[1]


def _fallback(key: str) -> str:
    """What label() shows for a key it has no words for (the form no reader should meet)."""
    return key.replace("_", " ").capitalize()


def _rule_kinds() -> set[str]:
    """Every legal minimum's kind in the rule sets shipped (talks, offers and clarifications)."""
    kinds: set[str] = set()
    for path in sorted((params_dir() / "rules").glob("*.toml")):
        data = tomllib.loads(path.read_text(encoding="utf-8"))
        for grp in data.get("groups", {}).values():
            for table in ("talks", "offers", "clarifications"):
                kinds |= {row["kind"] for row in grp.get(table, [])}
    return kinds


def _table_kpis() -> list[str]:
    """Every KPI name the KPI table can produce, its families expanded."""
    keys = {"rule_kinds": sorted(_rule_kinds()), "trial_arms": list(TRIAL_ARMS)}
    return [row.name.format(key=k) if section.family else row.name
            for section in TABLE for row in section.rows
            for k in (keys[section.family] if section.family else [None])]


def test_the_rule_sets_have_legal_minimums():
    assert {"akasse_talks_3m", "talk_2w", "followup_w8"} <= _rule_kinds()


@pytest.mark.parametrize("kpi", _table_kpis())
def test_every_kpi_of_the_table_has_written_english_and_danish_labels(kpi):
    assert has_label(kpi), f"{kpi} has no label in sim/output/labels.py"
    assert label(kpi, "da") != _fallback(kpi)  # (an English label may read like its key; a Danish one may not)


def test_the_label_a_reader_met_before_is_gone():
    """The fallback that prompted the item: 'Trial provider dkk per year' in both languages."""
    assert label("trial_provider_dkk_per_year", "en") == "Payments to the trial's other actors"
    assert label("trial_provider_dkk_per_year", "da") == "Betaling til forsøgets andre aktører"
    assert label("compliance_followup_w8_light", "da") == "Regelefterlevelse: Let opfølgning på sygemeldte senest uge 8"


def test_groups_providers_measures_and_statuses_have_labels():
    params = sim.load_params()
    keys = [*params.scenario.groups, "all", *params.scenario.capacity.providers,
            *["stock" if m == "stock_delta" else m for m in WEEKLY], *DERIVED,
            "met", "not met", "uncertain", "not modelled"]
    missing = [k for k in keys if not has_label(k)]
    assert not missing, f"no label for {missing}"


def _literal_label_keys() -> set[tuple[str, str]]:
    """(key, file) for every label("...") call with a literal key in the package."""
    out = set()
    for path in sorted((ROOT / "sim").rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if (isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "label"
                    and node.args and isinstance(node.args[0], ast.Constant) and isinstance(node.args[0].value, str)):
                out.add((node.args[0].value, str(path.relative_to(ROOT))))
    return out


def test_every_label_a_chart_or_report_asks_for_is_written():
    keys = _literal_label_keys()
    assert len(keys) > 30  # the search finds the charts' and the report's calls
    missing = sorted(k for k in keys if not has_label(k[0]))
    assert not missing, f"label keys with no entry: {missing}"


def test_the_report_goals_have_labels():
    from sim.output.report import NOT_MODELLED_GOALS

    assert all(has_label(k) for k in NOT_MODELLED_GOALS)


# ---------------------------------------------------------------- tick labels


def _ticks(values: list[float], lang: str, decimals: int) -> list[str]:
    f = NumberTicks(lang, decimals)
    f.set_locs(np.array(values))
    return [f(v) for v in values]


def test_whole_ticks_have_no_decimals():
    assert _ticks([0.0, 20.0, 40.0, 60.0], "en", 1) == ["0", "20", "40", "60"]
    assert _ticks([0.0, 1000.0, 2000.0], "da", 1) == ["0", "1.000", "2.000"]


def test_fractional_ticks_keep_the_same_decimals_on_every_tick():
    assert _ticks([0.0, 0.5, 1.0, 1.5], "en", 1) == ["0.0", "0.5", "1.0", "1.5"]
    assert _ticks([0.0, 0.5, 1.0], "da", 1) == ["0,0", "0,5", "1,0"]
    assert _ticks([0.0, 0.25, 0.5], "en", 1) == ["0.0", "0.2", "0.5"]  # never more than asked for


@pytest.fixture(scope="module")
def small_run(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("run")
    params = sim.load_params(overrides={"scale": 0.005, "years": 0.5})
    sim.run(params, replications=2, seed=1, workers=1).save(out)
    return out


@pytest.mark.parametrize("lang", LANGS)
def test_the_fte_chart_axes_show_whole_ftes_without_decimals(small_run, lang):
    from sim.output.figures import chart_fte
    from sim.output.run_folder import load_runs
    from sim.output.slides import slide_style

    with slide_style():
        fig = chart_fte(load_runs([small_run]), lang)
        assert fig is not None
        fig.canvas.draw()
        for ax in fig.axes:
            for tick, value in zip(ax.get_yticklabels(), ax.get_yticks()):
                text = tick.get_text()
                if text and float(value).is_integer():
                    assert not re.search(r"[.,]0$", text), f"{ax.get_title()}: tick {text!r}"


# ---------------------------------------------------------------- sensitivity charts


def _sweep_factor_paths() -> set[str]:
    paths = set(EFFECT_FACTORS)
    for path in (params_dir() / "sweeps").glob("*.toml"):
        paths |= {f for f in tomllib.loads(path.read_text(encoding="utf-8"))["factors"] if "." in f}
    return paths


@pytest.mark.parametrize("path", sorted(_sweep_factor_paths()))
def test_every_sweep_factor_has_a_readable_name_in_both_languages(path):
    assert has_factor_label(path)
    en, da = factor_label(path, "en"), factor_label(path, "da")
    assert en != da and "." not in en and "_" not in en and "_" not in da


def test_factor_names_by_hand():
    assert factor_label("effects.talk_multiplier.dagpenge", "en") == "Talk effect on the job chance: UI benefit"
    assert factor_label("effects.talk_multiplier.jobparat", "da") == "Samtalers effekt på jobchancen: Jobparate"
    assert factor_label("offers.types.oevo.lock_in_multiplier", "da") == "Fastlåsning under ØVO (undervisning)"
    assert factor_label("x1", "en") == "x1"  # the test function's own variables stay as they are
    assert factor_label("groups.jobparat.stock", "en") == "groups.jobparat.stock"  # unknown: the exact path


def _indices(method: str) -> pd.DataFrame:
    factors = ["effects.talk_multiplier.dagpenge", "frailty.variance", "offers.types.oevo.lock_in_multiplier"]
    if method == "morris":
        return pd.DataFrame({"kpi": "fte_needed", "method": "morris", "factor": factors, "mu_star": [0.3, 0.1, 0.2],
                             "mu_star_conf": [0.05] * 3, "sigma": [0.1] * 3, "mu": [0.3, -0.1, 0.1],
                             "mu_conf": [0.05] * 3})
    return pd.DataFrame({"kpi": "fte_needed", "method": "sobol", "factor": factors, "S1": [0.5, 0.1, 0.2],
                         "S1_conf": [0.05] * 3, "ST": [0.6, 0.15, 0.25], "ST_conf": [0.05] * 3})


@pytest.mark.parametrize("method", ["morris", "sobol"])
@pytest.mark.parametrize("lang", LANGS)
def test_sensitivity_chart_names_factors_in_words(method, lang, tmp_path):
    import matplotlib.pyplot as plt

    from sim.output.study_charts import sensitivity_chart

    fig = sensitivity_chart(_indices(method), "fte_needed", lang, caption="sweep x")
    try:
        ax = fig.axes[0]
        names = [t.get_text() for t in ax.get_yticklabels()]
        assert names and not any("." in n or "_" in n for n in names), names
        assert factor_label("frailty.variance", lang) in names
        title = fig.get_suptitle()
        assert title.startswith(label("fte_needed", lang))
        assert fig.get_size_inches().tolist() == pytest.approx([13.33, 7.5])  # the chart pack's slide size
        texts = " ".join([title, ax.get_xlabel(), *(t.get_text() for t in ax.get_legend().get_texts())])
        if lang == "da":
            assert "sensitivity" not in texts and "index" not in texts.lower().replace("indeks", "")
    finally:
        plt.close(fig)


def test_a_sweeps_chart_files_name_the_factors_in_words(tmp_path):
    """End to end: a small sweep (a known linear function stands in for the model) whose factors are
    parameter paths, through the analysis to the SVG the sweep command writes."""
    from sim.output.study_charts import write_sensitivity_charts
    from sim.studies.sweep import FunctionModel, parse_spec, run_sweep, sensitivity_indices

    def model(values, replication, seed):
        return {"fte_needed": 3.0 * values["effects.talk_weeks"] + values["frailty.variance"]}

    spec = parse_spec({"name": "words", "design": "lhs", "points": 80, "replications": 2, "seed": 3,
                       "kpis": ["fte_needed"], "factors": {"effects.talk_weeks": [2.0, 8.0],
                                                           "frailty.variance": [0.25, 1.0]}})
    res = run_sweep(spec, tmp_path / "sweep", model=FunctionModel(model))
    indices, _ = sensitivity_indices(res)
    files = write_sensitivity_charts(res, indices, lang="da", folder=tmp_path)
    svg = next(p for p in files if p.suffix == ".svg").read_text(encoding="utf-8")
    assert "Uger en samtales effekt varer" in svg and "Spredning i borgernes jobchancer" in svg
    assert ">effects.talk_weeks<" not in svg and "Sagsbehandlerårsværk, behov: hvad driver det" in svg

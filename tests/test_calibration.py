"""Calibration to a municipality's own figures (issue 7, deliverable 1)."""

from __future__ import annotations

import math
from pathlib import Path

import pytest

import sim
from sim.cli.main import main
from sim.inputs.files import params_dir
from sim.studies.calibration import (
    calibrate,
    group_target,
    measured,
    read_figures,
    solve_factors,
    to_toml,
)

GROUPS = ["dagpenge", "jobparat", "aktivitetsparat", "sygemeldt", "oevrige"]


def write(tmp_path: Path, rows: list[str], name: str = "figures.csv") -> Path:
    path = tmp_path / name
    path.write_text("figure,group,value,source\n" + "\n".join(rows) + "\n", encoding="utf-8")
    return path


def test_example_file_reads_and_is_consistent():
    fig = read_figures(params_dir() / "calibration_example.csv", GROUPS)
    assert fig.municipality == "Odense" and fig.rules == "pre_reform"
    assert set(fig.groups) == {"dagpenge", "jobparat", "aktivitetsparat", "sygemeldt"}
    for g, gf in fig.groups.items():
        t = group_target(g, gf)
        assert t.stock > 0 and t.mean_weeks > 0


@pytest.mark.parametrize("rows,field", [
    (["stock,jobparat,5000,", "inflow_per_year,jobparat,1000,", "mean_spell_weeks,jobparat,10,"],
     "groups.jobparat.stock"),
    (["stock,sygemeldt,3000,"], "groups.sygemeldt"),
    (["stock,dagpenge,3000,", "inflow_per_year,dagpenge,0,"], "groups.dagpenge.stock"),
    (["stock,aktivitetsparat,100,", "mean_spell_weeks,aktivitetsparat,0,"], "groups.aktivitetsparat.stock"),
    (["stock,oevrige,100,", "mean_spell_weeks,oevrige,20,", "share_to_work,oevrige,62,"],
     "groups.oevrige.share_to_work"),
])
def test_inconsistent_figures_name_the_group(tmp_path, rows, field):
    path = write(tmp_path, rows + ["population,,100000,"])
    with pytest.raises(sim.ParamError) as err:
        calibrate(path, tmp_path / "out.toml", check=False)
    assert err.value.field == field


def test_a_stock_the_other_groups_overfill_is_named(tmp_path):
    # jobparat receives exhausted dagpenge claimants and reassessed activity-ready citizens; a tiny
    # jobparat with short spells cannot hold what they send in
    rows: list[str] = []
    for g, s, m in [("dagpenge", 20000, 40), ("jobparat", 50, 2), ("aktivitetsparat", 30000, 70),
                    ("sygemeldt", 8000, 18), ("oevrige", 1000, 19)]:
        rows += [f"stock,{g},{s},", f"mean_spell_weeks,{g},{m},"]
    rows.append("population,,600000,")  # the programmes (ressourceforløb etc.) keep the scaled default
    with pytest.raises(sim.ParamError) as err:
        calibrate(write(tmp_path, rows), tmp_path / "out.toml", check=False)
    assert err.value.field == "groups.jobparat.stock"


def test_unreachable_share_is_named(tmp_path):
    # dagpenge spells that end in exhaustion after 2 years cannot all end in work with a 3-year mean
    p = sim.load_params()
    with pytest.raises(sim.ParamError) as err:
        solve_factors("dagpenge", p.scenario.groups["dagpenge"], p.scenario.frailty.variance, 150.0, 0.99)
    assert err.value.field == "groups.dagpenge.share_to_work"


def test_factors_recover_the_national_hazards():
    from sim.engine.hazard import spell_distribution

    p = sim.load_params()
    for g, grp in p.scenario.groups.items():
        d = spell_distribution(grp, p.scenario.frailty.variance)
        a, b = solve_factors(g, grp, p.scenario.frailty.variance, d.mean_days / 7, d.destination_probs["work"])
        assert a == pytest.approx(1.0, abs=0.02) and b == pytest.approx(1.0, abs=0.05), g
        c, c2 = solve_factors(g, grp, p.scenario.frailty.variance, d.mean_days / 7, None)
        assert c == c2 == pytest.approx(1.0, abs=0.01)


def test_written_file_extends_the_default_and_carries_sources(tmp_path):
    out = tmp_path / "odense.toml"
    calibrate(params_dir() / "calibration_example.csv", out, check=False)
    params = sim.load_params(out)
    assert params.scenario.scale == 1.0
    assert params.scenario.groups["dagpenge"].stock == 2000
    assert isinstance(params.scenario.groups["sygemeldt"].inflow_per_year, float)
    assert "[D] calibrated to calibration_example.csv" in params.source_of("groups.dagpenge.hazard.work")
    assert params.scenario.capacity.providers["municipality"].fte[0].fte == 45
    assert params.scenario.trials.free_choice_share == 0.0
    assert 'extends = "national_default"' in out.read_text(encoding="utf-8")


def test_toml_writer_round_trips():
    import datetime as dt
    import tomllib

    data = {"a": 1.5, "b": "x \"q\"", "t": {"l": [1.0, 2.0], "f": [{"from": dt.date(2024, 1, 1), "fte": 2.0}],
                                             "u": {}}}
    assert tomllib.loads(to_toml(data)) == data


def test_cli_inconsistent_figures_exit_2(tmp_path, capsys):
    path = write(tmp_path, ["stock,jobparat,5000,", "inflow_per_year,jobparat,1000,", "mean_spell_weeks,jobparat,10,"])
    assert main(["calibrate", str(path), "--out", str(tmp_path / "x.toml")]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: groups.jobparat.stock") and "Little's law" in err


@pytest.fixture(scope="module")
def known(tmp_path_factory):
    """Figures produced by a known scenario: the national default at 1 % under the pre-reform rules."""
    params = sim.load_params(overrides={"scale": 0.01, "years": 1.0, "rules": "pre_reform",
                                        "exemption.share": 0.0, "capacity.unlimited": True})
    res = sim.run(params, replications=4, seed=5, workers=1)
    m = measured(res)
    rows = []
    for g in GROUPS:
        v = m[m.group == g].set_index("measure")["mean"]
        rows += [f"stock,{g},{v['stock_mean']:.1f},known", f"mean_spell_weeks,{g},{v['spell_weeks_mean']:.3f},known",
                 f"share_to_work,{g},{v['share_to_work']:.4f},known"]
    rows.append("population,,59600,known")  # 1 % of Denmark: the programmes keep the scaled default
    return write(tmp_path_factory.mktemp("known"), rows), m


def test_calibration_recovers_a_known_scenario(known, tmp_path):
    path, truth = known
    cal = calibrate(path, tmp_path / "known.toml", replications=4, seed=9)
    comp = cal.comparison.set_index(["group", "measure"])
    for g in GROUPS:
        for kpi in ("stock_mean", "spell_weeks_mean"):
            t = truth[(truth.group == g) & (truth.measure == kpi)].iloc[0]
            c = comp.loc[(g, kpi)]
            half = math.hypot(t.ci_high - t["mean"], c.ci_high - c.simulated)
            # the calibrated run and the known run agree within their joint 95 % interval (+2 % slack
            # for the one correction step)
            assert abs(c.simulated - t["mean"]) <= half + 0.02 * t["mean"], (g, kpi, c.simulated, t["mean"], half)
    assert "Check run" in cal.text and "stock_mean" in cal.text


def test_time_use_fit_hits_an_fte_target_exactly_because_case_work_is_linear(tmp_path):
    """Other case work changes no event, so with the same seeds fte_needed is linear in its factor:
    the fitted prediction must equal a fresh simulation with the fitted rates, and one unclipped
    target is met exactly. Only the baseline rules (pre_reform) are run."""
    from sim.studies.calibration.check import check_run
    from sim.studies.calibration.time_use import fit_case_work

    out = calibrate(params_dir() / "calibration_example.csv", tmp_path / "odense.toml", replications=1,
                    check=False).out
    res = check_run(out, "pre_reform", 2, 3)
    before = float(res.kpi("fte_needed", "all", "municipality").mean())
    target = 0.9 * before
    fit = fit_case_work(res, {"municipality": target}, sim.load_params(out).scenario)
    assert not fit.clipped and 0 < fit.factor < 1
    overrides = {f"caseworker_time.case_work_hours_per_week.{g}": r for g, r in fit.rates.items()}
    again = sim.run(sim.load_params(out, {"rules": "pre_reform", "years": 1.0, "capacity.unlimited": True,
                                          "exemption.share": 0.0, **overrides}), replications=2, seed=3, workers=1)
    assert float(again.kpi("fte_needed", "all", "municipality").mean()) == pytest.approx(target, rel=1e-9)
    # the talks (events) did not move
    assert (again.kpi("talks_held_per_year").to_numpy() == res.kpi("talks_held_per_year").to_numpy()).all()


def test_calibrate_with_fte_targets_reports_the_fit(tmp_path):
    rows = (params_dir() / "calibration_example.csv").read_text(encoding="utf-8").splitlines()
    figs = tmp_path / "figs.csv"
    figs.write_text("\n".join([*rows, "fte_target,municipality,400,[A] test target"]) + "\n", encoding="utf-8")
    cal = calibrate(figs, tmp_path / "odense.toml", replications=1)
    assert cal.time_use is not None and cal.fte_check is not None
    assert "Time use: other case work" in cal.text
    written = sim.load_params(tmp_path / "odense.toml")
    assert "fitted by `caseload calibrate`" in (written.source_of("caseworker_time.case_work_hours_per_week.jobparat")
                                                or "")
    row = cal.fte_check.iloc[0]
    fitted = float(cal.time_use.table.fitted.iloc[0])
    # the linear prediction is what the simulation gives (up to the rates written with 6 decimals)
    assert row.simulated == pytest.approx(fitted, rel=1e-5)


def _rule_item(id_: str, hours: float, lo: float | None, hi: float | None, time_use: str = "preparation"):
    from sim.inputs.rules import WorkItem

    src = "[A] test" if lo is not None else "[V] test"
    return WorkItem(id=id_, label_en=id_, label_da=id_, trigger="talk", hours=hours, range_low=lo, range_high=hi,
                    time_use=time_use, source=src)


def test_time_share_fit_moves_assumed_items_within_their_ranges_by_hand():
    """A job centre with 100 h of talks (contact), 100 h of an [A] item at 1 h per event (range
    0.5-3, preparation) and 100 h of a sourced item (administration, fixed). Target preparation
    40 %: preparation x h per event gives 100x / (200 + 100x) = 0.4, so x = 4/3 (hand algebra);
    a target it cannot reach stops at the range's end."""
    import pandas as pd

    from sim.studies.calibration.time_use import fit_item_hours

    items = {"prep": _rule_item("prep", 1.0, 0.5, 3.0), "adm": _rule_item("adm", 2.0, None, None, "administration")}
    w = pd.DataFrame({"item": ["talk", "prep", "adm"], "provider": "municipality", "hours": [100.0, 100.0, 100.0]})
    fit = fit_item_hours(w, {"preparation": 0.4}, items, "municipality")
    assert fit.moved == ["prep"]
    assert fit.hours["prep"] == pytest.approx(4 / 3, rel=1e-6)
    t = fit.table.set_index("category")
    assert t.loc["preparation", "before"] == pytest.approx(1 / 3)
    assert t.loc["preparation", "fitted"] == pytest.approx(0.4)
    assert t.loc["contact", "fitted"] == pytest.approx(100 / (200 + 400 / 3))
    far = fit_item_hours(w, {"preparation": 0.9}, items, "municipality")
    assert far.hours["prep"] == pytest.approx(3.0)  # the end of its range, never beyond


def test_time_share_figures_are_read_and_checked(tmp_path):
    from sim.inputs.errors import ParamError

    rows = ["stock,dagpenge,1000,[A] test"]
    ok = write(tmp_path, [*rows,
        "time_share,contact,0.26,[V] bm.dk 12 Jun 2014 (Quartz+Co/BDO)",
        "time_share,preparation,0.33,[V] bm.dk 12 Jun 2014 (Quartz+Co/BDO)"])
    fig = read_figures(ok, GROUPS, ["municipality", "akasse", "other"])
    assert fig.time_shares == {"contact": 0.26, "preparation": 0.33}
    with pytest.raises(ParamError, match="time-use category"):
        read_figures(write(tmp_path, [*rows, "time_share,meetings,0.2,[A]"], "b.csv"), GROUPS)
    with pytest.raises(ParamError, match="not a percentage"):
        read_figures(write(tmp_path, [*rows, "time_share,contact,26,[A]"], "c.csv"), GROUPS)


def test_calibrate_with_time_shares_reports_hours_to_set_and_they_load(tmp_path):
    """End to end on the example figures with the 2014 split as targets: the fitted hours are
    printed as --set overrides of the baseline rule set, and loading them reproduces the fit's
    shares in a fresh run (hours change no event)."""
    rows = (params_dir() / "calibration_example.csv").read_text(encoding="utf-8").splitlines()
    figs = tmp_path / "figs.csv"
    figs.write_text("\n".join([*rows, "time_share,contact,0.26,[V] bm.dk 12 Jun 2014",
                                "time_share,preparation,0.33,[V] bm.dk 12 Jun 2014"]) + "\n", encoding="utf-8")
    cal = calibrate(figs, tmp_path / "odense.toml", replications=1)
    assert cal.shares is not None and cal.shares.moved
    assert "--set rules.pre_reform.work_items." in cal.text
    for i, h in cal.shares.hours.items():
        w = next(x for x in sim.load_params(overrides={"rules": "pre_reform", "exemption.share": 0.0}
                                            ).rule_sets["pre_reform"].work_items if x.id == i)
        assert w.range_low - 1e-12 <= h <= w.range_high + 1e-12

"""KPI references and the compliance verdicts, on inputs made by hand.

`parse_kpi_ref` is the one grammar for "kpi", "kpi[group]" and "kpi[group/provider]" used by
staffing targets, sweeps, calibration and the replication rule; `assess` calls each legal minimum
met (the 95 % interval's lower end reaches the threshold), not met (its upper end stays below) or
uncertain (otherwise, and always with one replication). Neither was run by a fast test. The
intervals here are computed by hand from a t-table (t(0.975, 2) = 4.303, t(0.975, 3) = 3.182) and
the thresholds typed in from params/rules/reform_2027.toml, so the tests do not repeat the code.
"""

from __future__ import annotations

import math
import re

import pandas as pd
import pytest
from lawbook import rule_set

import sim
from sim.experiment.results import Results
from sim.inputs.errors import ParamError
from sim.metrics.compliance import COLUMNS, assess, legal_thresholds
from sim.metrics.kpi_refs import KPI_REF_PATTERN, parse_kpi_ref

# -- KPI references ----------------------------------------------------------------------------


@pytest.mark.parametrize(("ref", "want"), [
    ("fte_needed", ("fte_needed", "all", "all")),
    ("fte_needed[dagpenge]", ("fte_needed", "dagpenge", "all")),
    ("fte_needed[all/akasse]", ("fte_needed", "all", "akasse")),
    ("  talk_coverage_6m [ jobparat / municipality ]  ", ("talk_coverage_6m", "jobparat", "municipality")),
    ("compliance_talk_16m[dagpenge/all]", ("compliance_talk_16m", "dagpenge", "all")),
    ("_x1[g2/p3]", ("_x1", "g2", "p3")),
    ("Stock_Mean", ("Stock_Mean", "all", "all")),
])
def test_parse_kpi_ref_valid(ref: str, want: tuple[str, str, str]):
    assert parse_kpi_ref(ref) == want


@pytest.mark.parametrize("ref", [
    "", "   ", "1kpi", "fte needed", "fte_needed[", "fte_needed[]", "fte_needed[dagpenge",
    "fte_needed[a/b/c]", "fte_needed[dagpenge/]", "fte_needed[/akasse]", "fte_needed]dagpenge[",
    "fte-needed", "fte_needed[dag-penge]", "fte_needed[dagpenge] x",
])
def test_parse_kpi_ref_refuses(ref: str):
    with pytest.raises(ParamError, match="a KPI name, optionally with"):
        parse_kpi_ref(ref)


def test_parse_kpi_ref_names_the_field_and_takes_none():
    with pytest.raises(ParamError) as err:
        parse_kpi_ref("bad ref", field="staffing.target")
    assert err.value.field == "staffing.target" and err.value.value == "bad ref"
    with pytest.raises(ParamError):
        parse_kpi_ref(None)


def test_pattern_embeds_in_a_larger_grammar():
    """The staffing targets embed the pattern (kpi[group/provider] >= value): the named groups
    must come out the same there."""
    m = re.fullmatch(rf"{KPI_REF_PATTERN}\s*>=\s*(?P<v>[0-9.]+)", "first_talk_on_time[jobparat/municipality] >= 0.9")
    assert m is not None
    assert (m["kpi"], m["group"], m["provider"], m["v"]) == ("first_talk_on_time", "jobparat", "municipality", "0.9")
    m = re.fullmatch(rf"{KPI_REF_PATTERN}\s*<=\s*1", "stock_mean <= 1")
    assert m is not None and m["group"] is None and m["provider"] is None


# -- compliance verdicts -----------------------------------------------------------------------

def _thresholds(rows: list[tuple[str, str, float]]) -> pd.DataFrame:
    return pd.DataFrame([(k, g, t, "src", "rules") for k, g, t in rows],
                        columns=["kpi", "group", "threshold", "source", "rule_set"])


def _summary(rows: list[tuple[str, str, str, float, float, float, int]]) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=["kpi", "group", "provider", "mean", "ci_low", "ci_high", "n"])


def test_verdicts_on_a_summary_by_hand():
    """A compliance share with mean 0.82 and interval [0.7703, 0.8697] (3 replications):
    threshold 0.75 met (0.7703 ≥ 0.75), 0.90 not met (0.8697 < 0.90), 0.80 uncertain.
    Exactly on the bounds: low = threshold is met, high = threshold is uncertain, not "not met"."""
    s = _summary([
        ("k_met", "dagpenge", "all", 0.82, 0.7703, 0.8697, 3),
        ("k_not", "dagpenge", "all", 0.82, 0.7703, 0.8697, 3),
        ("k_unc", "dagpenge", "all", 0.82, 0.7703, 0.8697, 3),
        ("k_low_eq", "jobparat", "all", 0.80, 0.75, 0.85, 4),
        ("k_high_eq", "jobparat", "all", 0.70, 0.65, 0.75, 4),
        ("k_one", "jobparat", "all", 0.99, float("nan"), float("nan"), 1),
        ("k_one_low", "jobparat", "all", 0.10, float("nan"), float("nan"), 1),
        ("k_met", "dagpenge", "akasse", 0.10, 0.05, 0.15, 3),  # a provider row: not judged
        ("k_no_threshold", "dagpenge", "all", 0.5, 0.4, 0.6, 3),
    ])
    t = _thresholds([("k_met", "dagpenge", 0.75), ("k_not", "dagpenge", 0.90), ("k_unc", "dagpenge", 0.80),
                     ("k_low_eq", "jobparat", 0.75), ("k_high_eq", "jobparat", 0.75),
                     ("k_one", "jobparat", 0.75), ("k_one_low", "jobparat", 0.75),
                     ("k_no_kpi", "dagpenge", 1.0)])
    out = assess(s, t)
    assert list(out.columns) == COLUMNS
    status = dict(zip(out.kpi, out.status))
    assert status == {"k_met": "met", "k_not": "not met", "k_unc": "uncertain", "k_low_eq": "met",
                      "k_high_eq": "uncertain", "k_one": "uncertain", "k_one_low": "uncertain"}
    met = out[out.kpi == "k_met"].iloc[0]
    assert (met["mean"], met.ci_low, met.ci_high, met.threshold, met.n) == (0.82, 0.7703, 0.8697, 0.75, 3)


def test_no_thresholds_give_an_empty_frame():
    out = assess(_summary([("k", "all", "all", 1.0, 1.0, 1.0, 2)]), _thresholds([]))
    assert out.empty and list(out.columns) == COLUMNS


def test_verdicts_from_replications_through_the_summary():
    """Replication values (0.80, 0.84, 0.82): mean 0.82, s = 0.02, half-width 4.303 × 0.02 / √3
    = 0.04969, interval [0.7703, 0.8697]; (0.95, 0.97, 0.96, 0.96): mean 0.96, s = 0.008165,
    half-width 3.182 × 0.008165 / 2 = 0.01299, interval [0.9470, 0.9730]. Against 0.75, 0.96 and
    0.98: met, uncertain, not met."""
    vals = {("compliance_a", "dagpenge"): [0.80, 0.84, 0.82], ("compliance_b", "jobparat"): [0.95, 0.97, 0.96, 0.96],
            ("compliance_c", "jobparat"): [0.95, 0.97, 0.96, 0.96]}
    rows = [(rep, k, g, "all", v) for (k, g), vs in vals.items() for rep, v in enumerate(vs)]
    kpis = pd.DataFrame(rows, columns=["replication", "kpi", "group", "provider", "value"])
    t = _thresholds([("compliance_a", "dagpenge", 0.75), ("compliance_b", "jobparat", 0.96),
                     ("compliance_c", "jobparat", 0.98)])
    res = Results(kpis, pd.DataFrame(), provenance={"legal_thresholds": t.to_dict("records")})
    out = res.compliance().set_index("kpi")
    assert out.loc["compliance_a", "ci_low"] == pytest.approx(0.82 - 4.303 * 0.02 / math.sqrt(3), abs=1e-4)
    assert out.loc["compliance_a", "ci_high"] == pytest.approx(0.8697, abs=1e-4)
    assert out.loc["compliance_b", "ci_low"] == pytest.approx(0.9470, abs=1e-4)
    assert out.loc["compliance_b", "ci_high"] == pytest.approx(0.9730, abs=1e-4)
    assert out.status.to_dict() == {"compliance_a": "met", "compliance_b": "uncertain", "compliance_c": "not met"}


def test_one_replication_is_always_uncertain():
    kpis = pd.DataFrame({"replication": [0], "kpi": ["compliance_a"], "group": ["dagpenge"], "provider": ["all"],
                         "value": [1.0]})
    t = _thresholds([("compliance_a", "dagpenge", 0.5)])
    res = Results(kpis, pd.DataFrame(), provenance={"legal_thresholds": t.to_dict("records")})
    assert res.compliance().status.tolist() == ["uncertain"]


def test_legal_thresholds_of_the_2027_reform():
    """Typed in from params/rules/reform_2027.toml: dagpenge's a-kasse talks (75 %, first with
    everyone), the municipality's talks to month 6 (75 %), the 16-month talk (everyone) and the
    offer by month 6 (75 %); jobparat's four talks and offer (75 %). Every talk, offer and
    clarification rule of the file has its compliance_<kind> row at its coverage (clarifications: 1)."""
    p = sim.load_params(overrides={"rules": "reform_2027", "start_date": "2027-01-01", "years": 1.0})
    th = legal_thresholds(p)
    assert set(th.rule_set) == {"reform_2027"}
    got = {(r.kpi, r.group): r.threshold for r in th.itertuples()}
    assert {k: v for k, v in got.items() if k[1] == "dagpenge"} == {
        ("first_talk_on_time", "dagpenge"): 1.0, ("talk_coverage_6m", "dagpenge"): 0.75,
        ("offer_coverage_6m", "dagpenge"): 0.75, ("compliance_akasse_talks_3m", "dagpenge"): 0.75,
        ("compliance_municipality_talks_6m", "dagpenge"): 0.75, ("compliance_talk_16m", "dagpenge"): 1.0,
        ("compliance_offer_6m", "dagpenge"): 0.75}
    assert got[("first_talk_on_time", "jobparat")] == 1.0
    assert got[("compliance_municipality_talks_6m", "jobparat")] == 0.75
    assert got[("offer_coverage_6m", "jobparat")] == 0.75
    toml = rule_set("reform_2027")
    for g, spec in toml["groups"].items():
        for t in spec.get("talks", []) + spec.get("offers", []):
            assert got[(f"compliance_{t['kind']}", g)] == t["coverage"], (g, t["kind"])
        for cl in spec.get("clarifications", []):
            assert got[(f"compliance_{cl['kind']}", g)] == 1.0, (g, cl["kind"])

"""Who the targeted exemption picks, and where a programme's closure sends its movers.

Why: two hand mutations of issue 16's fresh set got past the fast selection (tests/MUTATION.md,
"Hand mutations, second set"): exempting the citizens with the *lowest* judged job chances instead
of the highest, and ignoring a closure's ``leavers_to``. The first was caught only by a statistical
test in test_levers whose interval barely crossed zero; the second only by a slow flow test. These
checks state the law's reading directly, with expectations worked out by hand from the rule-set
files and the policy's definition.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from sim.engine.exemption import TargetedExemption
from sim.engine.hazard import frailty_from_uniform
from sim.inputs.rules import load_rule_set

RULES_DIR = Path(__file__).parent.parent / "params" / "rules"


@pytest.fixture(scope="module")
def rule_sets():
    return {name: load_rule_set(name, RULES_DIR) for name in ("pre_reform", "reform_2026_feb", "reform_2027")}


@pytest.mark.parametrize("share", [0.1, 0.25])
def test_perfect_judgement_exempts_exactly_the_top_share_of_job_chances(share):
    """With judgement 1 the signal is the citizen's own frailty quantile, so of a grid of 1,000
    frailty draws exactly those above the 1 - share quantile are exempted: the share of the grid,
    and the ones with the highest frailty (the highest job hazard, as frailty multiplies it)."""
    policy = TargetedExemption(1.0)
    u = (np.arange(1000) + 0.5) / 1000
    picked = np.array([policy.wants(0.0, float(x), 0.5, share) for x in u])
    assert picked.sum() == round(1000 * share)
    assert picked[u > 1.0 - share].all() and not picked[u < 1.0 - share].any()
    # frailty rises with the uniform, so the picked are the citizens with the best job chances
    frailty = frailty_from_uniform(u, 0.5)
    assert frailty[picked].min() > frailty[~picked].max()


def test_no_judgement_exempts_by_the_assessment_alone():
    """With judgement 0 the true job chances play no part: the decision follows the assessment's
    noise only (the top `share` of the assessment quantiles)."""
    policy = TargetedExemption(0.0)
    assert policy.wants(0.0, 0.01, 0.9, 0.25) and policy.wants(0.0, 0.99, 0.9, 0.25)
    assert not policy.wants(0.0, 0.99, 0.5, 0.25) and not policy.wants(0.0, 0.01, 0.5, 0.25)


def test_share_zero_exempts_nobody():
    assert not TargetedExemption(1.0).wants(0.0, 0.999, 0.999, 0.0)


def test_closures_send_movers_where_the_rule_sets_say(rule_sets):
    """From params/rules: reform_2027 closes jobafklaring (entrants and leavers to the sick-listed)
    and keeps ressourceforløb and revalidering closed (entrants to activity-ready); reform_2026_feb
    closes those two from 1 Feb 2026; pre_reform closes nothing."""
    r27, feb, pre = rule_sets["reform_2027"], rule_sets["reform_2026_feb"], rule_sets["pre_reform"]
    # leaving a closed course: to its leavers_to, whatever the move was
    assert r27.destination("jobafklaring", "aktivitetsparat") == "sygemeldt"
    assert r27.destination("jobafklaring", "ressourceforloeb") == "sygemeldt"
    # entering a closed course: to its entrants_to (new entrants have from_group "")
    assert r27.destination("sygemeldt", "jobafklaring") == "sygemeldt"
    assert r27.destination("", "jobafklaring") == "sygemeldt"
    assert r27.destination("aktivitetsparat", "ressourceforloeb") == "aktivitetsparat"
    assert feb.destination("aktivitetsparat", "revalidering") == "aktivitetsparat"
    # a closure without leavers_to lets its leavers go where they were going
    assert feb.destination("ressourceforloeb", "jobparat") == "jobparat"
    # open groups and the old rules: unchanged
    assert r27.destination("jobparat", "aktivitetsparat") == "aktivitetsparat"
    assert pre.destination("jobafklaring", "aktivitetsparat") == "aktivitetsparat"
    assert pre.destination("", "ressourceforloeb") == "ressourceforloeb"

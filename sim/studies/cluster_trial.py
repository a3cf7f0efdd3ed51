"""The free-choice trial as a cluster trial: the municipality is the unit of assignment.

The trial gives free choice to new dagpenge recipients in 19 named municipalities and the extended
a-kasse course to those in all others, so the treatment is assigned by municipality, not by
person. Outcomes of citizens in one municipality are correlated (a shared local labour market, a
shared exemption pool), and an evaluation that treats the participants as independent overstates
its precision. This module measures that from the simulation:

- :func:`place_outcomes`: per replication and municipality, the new dagpenge entrants of each
  trial arm followed for 6 months and how many of them left for work or education by then;
- :func:`icc_anova`: the intra-cluster correlation of that outcome, by the one-way ANOVA estimator
  with the municipalities nested in the arms (Donner & Klar 2000, ch. 6);
- :func:`design_effect`: 1 + ((1 + cv²)·m̄ − 1)·ICC for clusters of unequal size (Eldridge, Ashby &
  Kerry 2006);
- :func:`power_table`: the minimum detectable effect of the real trial's size, at the individual
  level (two proportions, normal) and clustered (design effect per arm, t with k − 2 degrees of
  freedom for k municipalities), side by side;
- :func:`evaluate`: the estimated difference in 6-month exit rates between the arms with the
  individual standard error and the cluster-robust one (municipalities as clusters).

The comparison is free-choice participants against extended-course entrants: both arms of the
law's design, each assigned by the citizen's municipality.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import stats

from sim.engine.hazard import WORK
from sim.engine.model import Model
from sim.engine.providers import EXTENDED, FREE_CHOICE

FOLLOW_DAYS = 182.0  # 6 months, the horizon of the trial's outcome
ARMS = (FREE_CHOICE, EXTENDED)


def place_outcomes(params, replications: int, seed: int) -> pd.DataFrame:
    """Rows (replication, place, arm, n, work6): per municipality and arm, the trial entrants who can
    be followed for 6 months within the run and how many of them left for work by then."""
    frames = []
    for r in range(replications):
        model = Model(params, r, seed, record_spells=True)
        model.run()
        log = pd.DataFrame(model.spell_log)
        horizon = float(params.scenario.horizon_days)
        trial = log[log.trial_arm.notna() & (log.start + FOLLOW_DAYS <= horizon)]
        work6 = (trial.dest == WORK) & (trial.end - trial.start <= FOLLOW_DAYS)
        agg = (trial.assign(work6=work6.astype(float)).groupby(["place", "trial_arm"])
               .agg(n=("work6", "size"), work6=("work6", "sum")).reset_index())
        agg.insert(0, "replication", r)
        agg["municipality"] = [model.places.names[i] for i in agg.place]
        frames.append(agg.rename(columns={"trial_arm": "arm"}))
    return pd.concat(frames, ignore_index=True)


def icc_anova(n: np.ndarray, successes: np.ndarray, arm: np.ndarray) -> float:
    """The ANOVA estimate of the ICC of a binary outcome, clusters nested in arms.

    `n`, `successes` and `arm` are per cluster. MSB is the between-cluster mean square about each
    arm's mean (k − a degrees of freedom), MSW the within-cluster one (N − k); m0 = (N − Σ_arms
    Σ n_j² / N_arm) / (k − a). ICC = (MSB − MSW) / (MSB + (m0 − 1)·MSW); it may be slightly
    negative by chance when the true ICC is 0."""
    n = np.asarray(n, dtype=float)
    y = np.asarray(successes, dtype=float)
    arm = np.asarray(arm)
    keep = n > 0
    n, y, arm = n[keep], y[keep], arm[keep]
    k, total = len(n), n.sum()
    arms = np.unique(arm)
    ssb = ssw = adj = 0.0
    for a in arms:
        m = arm == a
        na, ya = n[m], y[m]
        pa = ya.sum() / na.sum()
        pj = ya / na
        ssb += float((na * (pj - pa) ** 2).sum())
        ssw += float((ya * (1 - pj)).sum())  # Σ_j Σ_i (y_ij − p_j)² for 0/1 outcomes
        adj += float((na ** 2).sum() / na.sum())
    dfb, dfw = k - len(arms), total - k
    if dfb <= 0 or dfw <= 0:
        return float("nan")
    msb, msw = ssb / dfb, ssw / dfw
    m0 = (total - adj) / dfb
    return float((msb - msw) / (msb + (m0 - 1) * msw))


def design_effect(sizes: np.ndarray, icc: float) -> float:
    """1 + ((1 + cv²)·m̄ − 1)·ICC: the variance inflation of a mean over clusters of these sizes."""
    sizes = np.asarray(sizes, dtype=float)
    mean = sizes.mean()
    cv2 = sizes.var(ddof=0) / mean ** 2 if mean > 0 else 0.0
    return float(1.0 + ((1.0 + cv2) * mean - 1.0) * icc)


@dataclass(frozen=True)
class TrialDesign:
    """The real trial's size: expected entrants of each arm in each municipality over the trial."""

    treated: np.ndarray  # free-choice participants per free-choice municipality
    control: np.ndarray  # extended-course entrants per other municipality
    rate: float  # the 6-month exit rate (pooled over the arms)


def real_design(outcomes: pd.DataFrame, weights: dict[str, float], scale: float, run_years: float,
                trial_years: float) -> TrialDesign:
    """The trial at full scale: each arm's simulated entrants a year, scaled up to Denmark and to
    the trial's years, split over its municipalities by population weight.

    `run_years` is the span over which the simulated entrants could enter and be followed."""
    reps = outcomes.replication.nunique()
    sizes = {}
    for arm in ARMS:
        rows = outcomes[outcomes.arm == arm]
        per_year = rows.n.sum() / reps / run_years / scale
        names = sorted(set(rows.municipality))
        w = np.array([weights[m] for m in names])
        sizes[arm] = per_year * trial_years * w / w.sum()
    rate = float(outcomes.work6.sum() / outcomes.n.sum())
    return TrialDesign(sizes[FREE_CHOICE], sizes[EXTENDED], rate)


def mde_individual(n1: float, n0: float, rate: float, alpha: float = 0.05, power: float = 0.8) -> float:
    """The smallest true difference in proportions detected with `power`: (z_{1−α/2} + z_power)·SE."""
    z = stats.norm.ppf(1 - alpha / 2) + stats.norm.ppf(power)
    return float(z * np.sqrt(rate * (1 - rate) * (1 / n1 + 1 / n0)))


def mde_clustered(design: TrialDesign, icc: float, alpha: float = 0.05, power: float = 0.8) -> float:
    """The same with each arm's variance times its design effect and t quantiles on k − 2 degrees
    of freedom (k municipalities): the few clusters, not the many citizens, limit the precision."""
    k = len(design.treated) + len(design.control)
    df = max(k - 2, 1)
    t = stats.t.ppf(1 - alpha / 2, df) + stats.t.ppf(power, df)
    var = design.rate * (1 - design.rate) * (design_effect(design.treated, icc) / design.treated.sum()
                                             + design_effect(design.control, icc) / design.control.sum())
    return float(t * np.sqrt(var))


def icc_by_replication(outcomes: pd.DataFrame) -> np.ndarray:
    """The ICC estimate of each replication (the municipality effects are drawn anew in each)."""
    return np.array([icc_anova(g.n.to_numpy(), g.work6.to_numpy(), g.arm.to_numpy())
                     for _, g in outcomes.groupby("replication")])


def power_table(outcomes: pd.DataFrame, design: TrialDesign, alpha: float = 0.05,
                power: float = 0.8) -> pd.DataFrame:
    """The individual and the clustered MDE (percentage points) side by side, with the ICC (mean
    over replications and its 95 % interval) and the design effect of each arm."""
    iccs = icc_by_replication(outcomes)
    icc = float(np.nanmean(iccs))
    half = (float(stats.t.ppf(0.975, len(iccs) - 1) * np.nanstd(iccs, ddof=1) / np.sqrt(len(iccs)))
            if len(iccs) > 1 else float("nan"))
    ind = mde_individual(design.treated.sum(), design.control.sum(), design.rate, alpha, power)
    rows = [("individual", 0.0, 0.0, 0.0, 1.0, 1.0, ind * 100),
            ("clustered by municipality", icc, icc - half, icc + half,
             design_effect(design.treated, icc), design_effect(design.control, icc),
             mde_clustered(design, max(icc, 0.0), alpha, power) * 100)]
    return pd.DataFrame(rows, columns=["analysis", "icc", "icc_ci_low", "icc_ci_high", "design_effect_treated",
                                       "design_effect_control", "mde_pp"])


def evaluate(outcomes: pd.DataFrame) -> pd.DataFrame:
    """Per replication: the difference in 6-month exit rates (free choice − extended, percentage
    points), its individual standard error and its cluster-robust one (municipalities as clusters,
    with the small-sample factor k/(k − 1) per arm)."""
    rows = []
    for r, g in outcomes.groupby("replication"):
        est, se_i, se_c = 0.0, 0.0, 0.0
        parts = {}
        for arm in ARMS:
            a = g[g.arm == arm]
            n, y = a.n.to_numpy(float), a.work6.to_numpy(float)
            p = y.sum() / n.sum()
            k = len(n)
            v_ind = p * (1 - p) / n.sum()
            v_cl = k / max(k - 1, 1) * float(((y - n * p) ** 2).sum()) / n.sum() ** 2
            parts[arm] = (p, v_ind, v_cl)
        est = parts[FREE_CHOICE][0] - parts[EXTENDED][0]
        se_i = np.sqrt(parts[FREE_CHOICE][1] + parts[EXTENDED][1])
        se_c = np.sqrt(parts[FREE_CHOICE][2] + parts[EXTENDED][2])
        rows.append((r, est * 100, se_i * 100, se_c * 100))
    return pd.DataFrame(rows, columns=["replication", "difference_pp", "se_individual_pp", "se_cluster_pp"])

"""The policy levers in numbers: what the one-in-four exemption does, and what an evaluation of the
free-choice trial could see.

Every comparison runs the scenarios with the same seeds, so the same citizens arrive and make the
same draws (common random numbers); the difference per replication is then mostly the lever's own
effect, and its confidence interval is narrow.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import stats

from sim.engine.model import Model
from sim.experiment.runner import run
from sim.inputs.loading import load_params
from sim.metrics.stats import mean_ci

EXEMPTION_COLUMNS = ["policy", "share", "measure", "mean", "ci_low", "ci_high", "n"]


def _interval(values: np.ndarray) -> tuple[float, float, float, int]:
    """Mean, 95 % interval and n over replications; a replication without a value (NaN) is left out."""
    return (*mean_ci(values), int(np.count_nonzero(~np.isnan(np.asarray(values, dtype=float)))))


def _kpi(res, name: str, group: str = "all", provider: str = "all") -> np.ndarray:
    return res.kpi(name, group, provider).sort_index().to_numpy()


def exemption_effects(params, shares=(0.0, 0.1, 0.25), policies=("random", "targeted"), replications: int = 5,
                      seed: int = 1, workers: int | None = 1, judgement: float | None = None) -> pd.DataFrame:
    """Paired differences against no exemption (same seeds) for each policy and share.

    Measures (per year, at the simulated scale): caseworker hours and FTE saved, extra benefit
    weeks and extra benefit cost, net saving (public spending, money KPIs), change in exit to
    work or education after 6 months (percentage points), and the extra benefit cost per
    caseworker hour saved."""
    base_params = load_params(params.origin, overrides=_with(params, {"exemption.share": 0.0}))
    base = run(base_params, replications=replications, seed=seed, workers=workers)
    rows = []
    for policy in policies:
        for share in shares:
            over = {"exemption.share": share, "exemption.policy": policy}
            if judgement is not None:
                over["exemption.judgement"] = judgement
            res = run(load_params(params.origin, overrides=_with(params, over)),
                          replications=replications, seed=seed, workers=workers)
            d = _differences(base, res)
            for measure, values in d.items():
                rows.append((policy, share, measure, *_interval(values)))
    return pd.DataFrame(rows, columns=EXEMPTION_COLUMNS)


def _with(params, overrides: dict) -> dict:
    """The overrides that made `params`, plus new ones (so a comparison changes one thing)."""
    return _overrides_of(params) | overrides


def _overrides_of(params) -> dict:
    """The dotted paths a user overrode when loading `params`, with their values."""
    out = {}
    for path, src in params.sources.items():
        if src == "override (user)":
            node = params.raw
            for part in path.split("."):
                node = node[part]
            out[path] = node
    return out


def _differences(base, res) -> dict[str, np.ndarray]:
    hours = _kpi(base, "caseworker_hours_per_year") - _kpi(res, "caseworker_hours_per_year")
    fte = _kpi(base, "fte_needed") - _kpi(res, "fte_needed")
    weeks = _kpi(res, "benefit_weeks_per_year") - _kpi(base, "benefit_weeks_per_year")
    cost = _kpi(res, "benefit_dkk_per_year") - _kpi(base, "benefit_dkk_per_year")
    net = _kpi(base, "net_dkk_per_year") - _kpi(res, "net_dkk_per_year")
    exit6 = (_kpi(res, "exit_work_or_education_6m") - _kpi(base, "exit_work_or_education_6m")) * 100.0
    with np.errstate(divide="ignore", invalid="ignore"):
        per_hour = np.where(hours > 0, cost / hours, np.nan)
    out = {"caseworker_hours_saved": hours, "fte_saved": fte, "extra_benefit_weeks": weeks,
           "extra_benefit_dkk": cost, "net_saving_dkk": net, "exit_work_6m_change_pp": exit6,
           "exempt_share": _kpi(res, "exempt_share") if "exempt_share" in set(res.kpis.kpi) else np.zeros(len(hours))}
    if np.isfinite(per_hour).all():
        out["extra_benefit_dkk_per_hour_saved"] = per_hour
    return out


# -- the trial's evaluation ----------------------------------------------------------------------
@dataclass
class TrialData:
    """Free-choice participants followed for 6 months: chosen provider, job-chance score, outcome."""

    provider: np.ndarray
    score: np.ndarray
    work6: np.ndarray
    providers: list[str]


def trial_data(params, replications: int, seed: int) -> list[TrialData]:
    """The participants of each replication (one list entry per replication)."""
    out = []
    for r in range(replications):
        model = Model(params, r, seed)
        rec = model.run()
        log = np.array(rec.trial_log, dtype=float).reshape(-1, 3)
        out.append(TrialData(log[:, 0].astype(int), log[:, 1], log[:, 2].astype(bool), model.providers))
    return out


def naive_and_adjusted(d: TrialData, provider: str, reference: str = "municipality") -> tuple[float, float]:
    """The difference in 6-month exit rates, `provider` − `reference`: naive (by chosen provider)
    and adjusted for the selection (linear probability model with the job-chance score)."""
    pi, ri = d.providers.index(provider), d.providers.index(reference)
    keep = (d.provider == pi) | (d.provider == ri)
    y = d.work6[keep].astype(float)
    treat = (d.provider[keep] == pi).astype(float)
    naive = float(y[treat == 1].mean() - y[treat == 0].mean())
    x = np.column_stack([np.ones_like(y), treat, d.score[keep]])
    beta, *_ = np.linalg.lstsq(x, y, rcond=None)
    return naive, float(beta[1])


def true_effect(params, provider: str, replications: int, seed: int, reference: str = "municipality") -> np.ndarray:
    """The effect the evaluation should find: every participant assigned to `provider` versus to
    `reference`, the same citizens in both (common random numbers), per replication."""
    rates = {}
    for p in (provider, reference):
        forced = {k: (1.0 if k == p else 0.0) for k in params.scenario.trials.choice}
        over = _overrides_of(params) | {f"trials.choice.{k}": v for k, v in forced.items()}
        data = trial_data(load_params(params.origin, overrides=over), replications, seed)
        rates[p] = np.array([d.work6.mean() for d in data])
    return rates[provider] - rates[reference]


def evaluation(params, provider: str = "akasse", replications: int = 3, seed: int = 1,
               reference: str = "municipality") -> pd.DataFrame:
    """What an evaluator comparing providers would estimate, naive and adjusted, against the truth."""
    data = trial_data(params, replications, seed)
    est = np.array([naive_and_adjusted(d, provider, reference) for d in data])
    truth = true_effect(params, provider, replications, seed, reference)
    rows = []
    for name, values in (("naive", est[:, 0]), ("adjusted", est[:, 1]), ("truth", truth)):
        rows.append((name, *_interval(values * 100.0)))
    return pd.DataFrame(rows, columns=["estimate", "mean_pp", "ci_low_pp", "ci_high_pp", "n"])


def power_curve(d: TrialData, trial_size: float, effects_pp=(0.5, 1, 1.5, 2, 3, 4, 5), provider: str = "akasse",
                reference: str = "municipality", simulations: int = 400, alpha: float = 0.05,
                seed: int = 1) -> pd.DataFrame:
    """Power to detect a true difference in 6-month exit rates between two providers, from
    repeated simulated trials of the real size.

    Each simulated trial draws `trial_size` participants from the model's participants of the two
    arms (so the provider shares, exit rates and job chances are the model's), each arm from the
    pooled participants so that the null hypothesis holds exactly, adds the effect to the
    provider's arm by turning a share of its non-exits into exits, and tests the adjusted
    difference at level `alpha` (two-sided, normal approximation with heteroskedasticity-robust
    errors). The minimum detectable effect is the smallest effect with power >= 0.8."""
    rng = np.random.default_rng(seed)
    pi, ri = d.providers.index(provider), d.providers.index(reference)
    keep = np.flatnonzero((d.provider == pi) | (d.provider == ri))
    share_in_pair = len(keep) / max(len(d.provider), 1)
    n = max(int(round(trial_size * share_in_pair)), 10)
    n_treat = int(round(n * np.mean(d.provider[keep] == pi)))
    treat = np.r_[np.ones(n_treat), np.zeros(n - n_treat)]
    zcrit = stats.norm.ppf(1 - alpha / 2)
    rows = []
    for eff in effects_pp:
        hits = 0
        for _ in range(simulations):
            idx = rng.choice(keep, size=n, replace=True)
            y = d.work6[idx].astype(float)
            base_rate = y[treat == 1].mean() if (treat == 1).any() else 0.0
            lift = eff / 100.0 / max(1.0 - base_rate, 1e-9)
            flip = (treat == 1) & (y == 0) & (rng.random(n) < lift)
            y = np.where(flip, 1.0, y)
            x = np.column_stack([np.ones(n), treat, d.score[idx]])
            beta, se = _ols_robust(x, y)
            hits += abs(beta[1] / se[1]) > zcrit
        rows.append((eff, hits / simulations))
    df = pd.DataFrame(rows, columns=["effect_pp", "power"])
    df.attrs["n_in_comparison"] = n
    return df


def minimum_detectable_effect(curve: pd.DataFrame, power: float = 0.8) -> float | None:
    ok = curve[curve.power >= power]
    return float(ok.effect_pp.min()) if len(ok) else None


def _ols_robust(x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """OLS coefficients with HC1 standard errors."""
    xtx_inv = np.linalg.pinv(x.T @ x)
    beta = xtx_inv @ x.T @ y
    resid = y - x @ beta
    n, k = x.shape
    meat = (x * resid[:, None] ** 2).T @ x
    cov = xtx_inv @ meat @ xtx_inv * n / max(n - k, 1)
    return beta, np.sqrt(np.clip(np.diag(cov), 0.0, None))

"""Legal minimums as thresholds, and whether a run meets them with 95 % confidence.

Each compliance KPI is a share of citizens; its legal threshold is the coverage share written in
the rule set in force at the end of the run (0.75 for the reform's 75 % rules, 1.0 where the law
says "everyone"). A minimum is *met* when the lower end of the 95 % interval reaches the
threshold, *not met* when the upper end stays below it, and *uncertain* otherwise, always so
with fewer than two replications (one value has no interval).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

COLUMNS = ["kpi", "group", "mean", "ci_low", "ci_high", "n", "threshold", "status", "rule_set", "source"]


def legal_thresholds(params) -> pd.DataFrame:
    """(kpi, group, threshold, rule_set, source) for every compliance KPI the rule set defines."""
    horizon = params.scenario.horizon_days
    rules = [rs for day, rs in params.timeline() if day < horizon][-1]
    rows = []
    for g, gr in rules.groups.items():
        talks_6m = [t for t in gr.talks if t.to_day <= rules.first_months_day]
        first = next((t for t in gr.talks if t.first_for_all), None)
        if first is not None:
            rows.append(("first_talk_on_time", g, 1.0, f"the first talk is held with everyone: {first.source}"))
        if talks_6m:
            rows.append(("talk_coverage_6m", g, min(t.coverage for t in talks_6m), talks_6m[0].source))
        offers_6m = [o for o in gr.offers if o.due_day <= rules.first_months_day]
        if offers_6m:
            rows.append(("offer_coverage_6m", g, min(o.coverage for o in offers_6m), offers_6m[0].source))
        for t in gr.talks:
            rows.append((f"compliance_{t.kind}", g, t.coverage, t.source))
        for o in gr.offers:
            rows.append((f"compliance_{o.kind}", g, o.coverage, o.source))
        for cl in gr.clarifications:
            rows.append((f"compliance_{cl.kind}", g, 1.0, cl.source))
    df = pd.DataFrame(rows, columns=["kpi", "group", "threshold", "source"])
    df["rule_set"] = rules.name
    return df


def assess(summary: pd.DataFrame, thresholds: pd.DataFrame) -> pd.DataFrame:
    """Join the KPI summary (group level, provider all) with the thresholds and judge each."""
    if thresholds.empty:
        return pd.DataFrame(columns=COLUMNS)
    s = summary[summary["provider"] == "all"].drop(columns="provider")
    df = thresholds.merge(s, on=["kpi", "group"], how="inner")
    low = df["ci_low"].fillna(df["mean"])
    high = df["ci_high"].fillna(df["mean"])
    df["status"] = np.where(low >= df["threshold"] - 1e-12, "met",
                            np.where(high < df["threshold"] - 1e-12, "not met", "uncertain"))
    # One value has no interval: it cannot show a minimum met or missed with confidence.
    df.loc[~(df["n"] >= 2), "status"] = "uncertain"
    return df[COLUMNS].reset_index(drop=True)

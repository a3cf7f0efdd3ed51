"""Monthly arrivals against inflow × seasonality (issue 16, item 1).

New external entrants are counted per calendar month from the spell log and compared with a
Poisson interval around inflow × scale × seasonality[month] × days of the month in the run / 365.25.
The run starts mid-month, so the first and last months are partial; one group keeps the shipped
seasonality of params/national_default.toml, the other gets a strong pattern of its own.
"""

from __future__ import annotations

import datetime as dt
import tomllib
from collections import Counter

from lawbook import RULES_DIR, spell_log
from scipy import stats

import sim

START = dt.date(2027, 3, 15)
SEED = 41
ALPHA = 0.001  # per month and group
OWN_PATTERN = [1.6, 0.4, 1.0, 1.3, 0.7, 1.0, 1.2, 0.8, 1.0, 0.6, 1.4, 1.0]
INFLOW = {"dagpenge": 12000.0, "oevrige": 16000.0}
SCALE = 0.5


def shipped_seasonality(group: str) -> list[float]:
    with open(RULES_DIR.parent / "national_default.toml", "rb") as fh:
        return tomllib.load(fh)["groups"][group]["seasonality"]


def month_segments(start: dt.date, days: int) -> list[tuple[tuple[int, int], int]]:
    """((year, month), days of that month within the run) in order, counted day by day."""
    count = Counter((start + dt.timedelta(days=i)).timetuple()[:2] for i in range(days))
    return sorted(count.items())


def run_arrivals():
    ov: dict[str, object] = {"scale": SCALE, "years": 1.0, "start_date": START.isoformat(), "rules": "pre_reform",
                             "exemption.share": 0.0, "capacity.unlimited": True,
                             "groups.oevrige.seasonality": OWN_PATTERN,
                             "groups.dagpenge.on_request_talks_per_month": 0.0,
                             "groups.oevrige.on_request_talks_per_month": 0.0}
    for g in ("dagpenge", "jobparat", "aktivitetsparat", "sygemeldt", "oevrige"):
        ov[f"groups.{g}.stock"] = 0.0
        ov[f"groups.{g}.inflow_per_year"] = INFLOW.get(g, 0.0)
    p = sim.load_params(overrides=ov)
    df, horizon = spell_log(p, SEED)
    entrants = df[df.new_entry & df.external]
    months = Counter((g, (START + dt.timedelta(days=int(s))).timetuple()[:2])
                     for g, s in zip(entrants.group, entrants.start))
    return months, int(horizon)


def poisson_interval(mean: float) -> tuple[float, float]:
    return stats.poisson.ppf(ALPHA / 2, mean), stats.poisson.ppf(1 - ALPHA / 2, mean)


def test_monthly_arrivals_follow_inflow_times_seasonality():
    months, horizon = run_arrivals()
    segments = month_segments(START, horizon)
    # partial first and last months (2028 is a leap year)
    assert len(segments) == 13 and segments[0][1] == 17 and segments[-1][1] == 13
    pattern = {"dagpenge": shipped_seasonality("dagpenge"), "oevrige": OWN_PATTERN}
    flat_rejected = 0
    for g, season in pattern.items():
        for (year, month), days in segments:
            k = months.get((g, (year, month)), 0)
            mean = INFLOW[g] * SCALE * season[month - 1] * days / 365.25
            lo, hi = poisson_interval(mean)
            assert lo <= k <= hi, (g, year, month, k, mean)
            flat_lo, flat_hi = poisson_interval(INFLOW[g] * SCALE * days / 365.25)
            flat_rejected += not flat_lo <= k <= flat_hi
    # the test has the power to see a run without seasonality: many months reject a flat year
    assert flat_rejected >= 8
    assert sum(months.values()) > 10000

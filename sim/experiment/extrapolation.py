"""From the bench's small-scale measurements to a national replication-year (scale 1, one simulated year).

Why extrapolate rather than measure: a national replication-year takes over a minute and about a
gigabyte, which would more than double the bench's run time and memory; the scaling points the bench
measures anyway carry the information needed, and the fitted exponent is itself one of the targets.
"""

from __future__ import annotations

NATIONAL_SCALE = 1.0


def scaling_exponent(scales: list[float], walls: list[float]) -> float:
    """Least-squares slope of log(wall) on log(scale): 1.0 means wall time grows linearly with the population."""
    import numpy as np

    return float(np.polyfit(np.log(scales), np.log(walls), 1)[0])


def national_year_seconds(scale: float, wall_s: float, years: float, exponent: float) -> float:
    """Seconds per national replication-year: wall_s x (1 / scale)^exponent / years.

    Anchored at one measured point (the bench uses its largest scale, the one least inflated by fixed
    start-up costs) and carried to scale 1 with the fitted log-log exponent; dividing by the simulated
    years gives the cost of one year (one-off set-up is spread over the years, so short runs overstate it
    slightly).
    """
    if scale <= 0 or wall_s <= 0 or years <= 0:
        raise ValueError(f"need scale, wall_s and years > 0, got {scale}, {wall_s}, {years}")
    return wall_s * (NATIONAL_SCALE / scale) ** exponent / years


def rss_linear_fit(scales: list[float], rss_mb: list[float]) -> tuple[float, float]:
    """Least-squares intercept a and slope b of peak RSS = a + b x scale.

    Why linear: the peak is the interpreter with its imports and parameter tables (a, the same at every
    scale) plus the citizens, their generators and the records kept per spell (b x scale, proportional to
    the population for a fixed number of years). Needs at least two distinct scales.
    """
    import numpy as np

    if len(scales) != len(rss_mb) or len(set(scales)) < 2:
        raise ValueError(f"need one RSS value per scale and at least two distinct scales, got scales {scales} "
                         f"and {len(rss_mb)} RSS values")
    b, a = np.polyfit(np.asarray(scales, dtype=float), np.asarray(rss_mb, dtype=float), 1)
    return float(a), float(b)


def national_peak_rss_mb(scales: list[float], rss_mb: list[float]) -> float:
    """The fitted line a + b x scale evaluated at scale 1 (the points' own number of simulated years)."""
    a, b = rss_linear_fit(scales, rss_mb)
    return a + b * NATIONAL_SCALE

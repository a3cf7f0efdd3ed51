"""What one group must reproduce, and Little's law that ties stock, inflow and spell length together.

stock = entries per year × mean spell (in years). Given the stock and either of the other two, the
third follows; given all three, they must agree (within 20 %), otherwise the figures are
inconsistent and the error names the group."""

from __future__ import annotations

from dataclasses import dataclass

from sim.engine.population import DAYS_PER_YEAR
from sim.inputs.errors import ParamError
from sim.studies.calibration.figures import GroupFigures

LITTLE_TOLERANCE = 0.20
WEEKS_PER_YEAR = DAYS_PER_YEAR / 7.0


@dataclass(frozen=True)
class Target:
    """What one group must reproduce: stock, mean spell in weeks, share of spells ending in work."""

    stock: float
    mean_weeks: float
    share_to_work: float | None

    @property
    def entries_per_year(self) -> float:
        return self.stock / self.mean_weeks * WEEKS_PER_YEAR


def group_target(g: str, f: GroupFigures) -> Target:
    """The group's stock, mean spell and share to work, checked against Little's law."""
    if f.stock is None:
        raise ParamError(f"groups.{g}.stock", None, "the number of citizens in stock is needed for every group given")
    s, inflow, mean = f.stock, f.inflow_per_year, f.mean_spell_weeks
    if inflow is None and mean is None:
        raise ParamError(f"groups.{g}", f"stock {s:,.0f}", "also a yearly inflow (inflow_per_year) or a mean spell "
                         "length (mean_spell_weeks), so that Little's law gives the other")
    if s <= 0:
        raise ParamError(f"groups.{g}.stock", s, "> 0 (leave a group out of the CSV to keep the national default)")
    if inflow is not None and inflow <= 0:
        raise ParamError(f"groups.{g}.stock", s, f"a stock of {s:,.0f} needs an inflow > 0; "
                         f"inflow_per_year = {inflow:g} cannot produce it")
    if mean is not None and mean <= 0:
        raise ParamError(f"groups.{g}.stock", s, f"a stock of {s:,.0f} needs spells longer than 0 weeks; "
                         f"mean_spell_weeks = {mean:g} cannot produce it")
    if mean is None:
        assert inflow is not None  # one of the two was required above
        mean = s / inflow * WEEKS_PER_YEAR
    elif inflow is not None:
        implied = inflow * mean / WEEKS_PER_YEAR
        if abs(implied / s - 1.0) > LITTLE_TOLERANCE:
            raise ParamError(f"groups.{g}.stock", s,
                             f"inconsistent with inflow_per_year {inflow:,.0f} and mean_spell_weeks {mean:g}: by "
                             f"Little's law they give a stock of {implied:,.0f} ({implied / s - 1:+.0%}); "
                             f"check that all three figures cover the same citizens and period")
    if mean > 40 * 52:
        raise ParamError(f"groups.{g}.mean_spell_weeks", round(mean, 1), "a mean spell under 40 years")
    return Target(s, mean, f.share_to_work)

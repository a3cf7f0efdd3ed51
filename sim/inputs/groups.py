"""A target group's tables: its stock, inflow and seasonality, and the exit hazards that end its
spells (with dagpenge exhaustion). Part of the scenario schema (:mod:`sim.inputs.schema`)."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field, field_validator, model_validator

from sim.inputs.errors import ParamError
from sim.inputs.numbers import Number, Strict

WeeklyHazard = Annotated[Number, Field(ge=0.0, le=7.0)]  # an exit hazard per week


class Hazard(Strict):
    breaks_weeks: list[Number] = Field(min_length=1)
    work: list[WeeklyHazard]
    other: list[WeeklyHazard]
    to: dict[str, list[WeeklyHazard]] = Field(default_factory=dict)

    @model_validator(mode="after")
    def _shapes(self) -> Hazard:
        b = self.breaks_weeks
        if b[0] != 0.0 or any(x >= y for x, y in zip(b, b[1:])):
            raise ParamError("breaks_weeks", b, "weeks that start at 0 and increase")
        for name, rates in [("work", self.work), ("other", self.other), *((f"to.{k}", v) for k, v in self.to.items())]:
            if len(rates) != len(b):
                raise ParamError(name, rates, f"one weekly hazard for each of the {len(b)} pieces of breaks_weeks")
        return self


class Exhaustion(Strict):
    to_group: str
    benefit_period_hours: Number = Field(gt=0.0)
    hours_per_week: Number = Field(gt=0.0, le=168.0)
    prior_hours_used: list[tuple[Number, Number]] = Field(min_length=1)

    @model_validator(mode="after")
    def _mixture(self) -> Exhaustion:
        total = sum(p for p, _ in self.prior_hours_used)
        for p, h in self.prior_hours_used:
            if p < 0 or not 0 <= h < self.benefit_period_hours:
                raise ParamError("prior_hours_used", [p, h], "entries [share >= 0, hours in [0, benefit_period_hours)]")
        if abs(total - 1.0) > 1e-6:
            raise ParamError("prior_hours_used", [p for p, _ in self.prior_hours_used],
                             f"shares that sum to 1 (these sum to {total:g})")
        return self


class Group(Strict):
    label_en: str
    label_da: str
    stock: Number = Field(ge=0.0)
    inflow_per_year: Annotated[Number, Field(ge=0.0)] | Literal["little"] = "little"
    seasonality: list[Annotated[Number, Field(ge=0.0)]] = Field(min_length=12, max_length=12)
    share_under_30: Number = Field(ge=0.0, le=1.0)
    digital_share: Number = Field(ge=0.0, le=1.0)
    on_request_talks_per_month: Number = Field(ge=0.0, le=30.0)
    short_absence_share: Number = Field(0.0, ge=0.0, le=1.0)
    short_absence_work_multiplier: Number = Field(1.0, gt=0.0, le=20.0)
    hazard: Hazard
    exhaustion: Exhaustion | None = None

    @field_validator("seasonality")
    @classmethod
    def _season(cls, v: list[float]) -> list[float]:
        if abs(sum(v) / 12 - 1.0) > 0.01:
            raise ParamError("", v, f"12 monthly factors >= 0 with mean 1 (their mean is {sum(v) / 12:.3f})")
        return v
